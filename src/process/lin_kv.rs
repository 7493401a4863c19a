//! Maelstrom's `lin-kv` workload: quorate's clients (which operation each invokes, on which key,
//! with which value, all from the seed), what they observe, the history they record, and its
//! check.
//!
//! The history is written as a Jepsen EDN history (one op map a line, with `:key`), which
//! `quorate check FILE --model etcd` reads and judges exactly as a run does: this file's
//! [`check`] goes through the same importer and the same model, `lin::specs::Etcd`, a
//! compare-and-set register that starts absent and whose read of `nil` read it absent. Values
//! are integers, unique per key, so a read names the write it saw.
//!
//! How an answer is recorded (docs/DESIGN.md §10): `read_ok`, `write_ok`, `cas_ok` are `:ok`; a
//! read answered with error 20 (key does not exist) observed the key absent and is `:ok` with
//! value `nil`; any other definite error (1, 10, 11, 12, 14, 20, 21, 22, 30) is `:fail` (the
//! operation did not happen); every other code, a timeout, and a request still open at the end
//! are `:info` (it may or may not have happened). After an `:info` the client continues as a new
//! process, as Jepsen's do. What it must never do: trust a reply it cannot match to the request
//! in flight, or reuse a value on a key.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{json, Value as Json};

use super::clients::{self, Drawn, Generator};
use super::Counts;
use crate::lin::external::{self, SpecName};
use crate::lin::import::{import, Format, ImportError};
use crate::lin::CheckResult;
use crate::verdict::Budget;

/// The error codes that say an operation did not (and will not) happen.
pub const DEFINITE_CODES: [i64; 9] = [1, 10, 11, 12, 14, 20, 21, 22, 30];

/// One operation, as invoked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `read` of a key.
    Read {
        /// The key.
        key: u64,
    },
    /// `write` of a value.
    Write {
        /// The key.
        key: u64,
        /// The value written (unique per key).
        value: i64,
    },
    /// `cas`: write `to` if the key holds `from`.
    Cas {
        /// The key.
        key: u64,
        /// The value expected.
        from: i64,
        /// The value written if it was there.
        to: i64,
    },
}

impl Op {
    fn key(&self) -> u64 {
        match self {
            Op::Read { key } | Op::Write { key, .. } | Op::Cas { key, .. } => *key,
        }
    }

    fn f(&self) -> &'static str {
        match self {
            Op::Read { .. } => "read",
            Op::Write { .. } => "write",
            Op::Cas { .. } => "cas",
        }
    }

    /// The value as the history records it at invocation.
    fn edn_value(&self) -> String {
        match self {
            Op::Read { .. } => "nil".to_string(),
            Op::Write { value, .. } => value.to_string(),
            Op::Cas { from, to, .. } => format!("[{from} {to}]"),
        }
    }

    /// The request body (without `msg_id`).
    fn body(&self) -> Json {
        match self {
            Op::Read { key } => json!({"type": "read", "key": key}),
            Op::Write { key, value } => json!({"type": "write", "key": key, "value": value}),
            Op::Cas { key, from, to } => json!({"type": "cas", "key": key, "from": from, "to": to}),
        }
    }
}

/// A request in flight.
#[derive(Clone, Debug)]
struct Pending {
    msg_id: u64,
    op: Op,
}

/// One client: sequential, bound to one node, as Maelstrom's are.
#[derive(Clone, Debug)]
struct Client {
    node: usize,
    process: u64,
    pending: Option<Pending>,
    next_msg_id: u64,
}

/// How a reply or a timeout ended an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It happened (`*_ok`).
    Ok,
    /// It did not happen (a definite error code).
    Fail,
    /// Unknown: no answer in time, or an indefinite error code.
    Info,
}

/// The clients, their generator and the history they record.
#[derive(Debug)]
pub struct Clients {
    clients: Vec<Client>,
    generator: Generator,
    /// The last value invoked on each key (a cas tries to replace it).
    last_value: HashMap<u64, i64>,
    events: Vec<String>,
}

impl Clients {
    /// `concurrency` clients, client `i` bound to node `i mod node_count`.
    pub fn new(
        concurrency: usize,
        node_count: usize,
        seed: u64,
        read_ratio: f64,
        keys: usize,
        ops_per_key: usize,
    ) -> Clients {
        Clients {
            clients: (0..concurrency)
                .map(|index| Client {
                    node: index % node_count,
                    process: index as u64,
                    pending: None,
                    next_msg_id: 1,
                })
                .collect(),
            generator: Generator::new(clients::LIN_KV, seed, read_ratio, keys, ops_per_key),
            last_value: HashMap::new(),
            events: Vec::new(),
        }
    }

    /// How many clients.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether there is no client.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// The client's name on the wire: `c1`, `c2`, … (`c0` is quorate's own, for `init`).
    pub fn name(client: usize) -> String {
        format!("c{}", client + 1)
    }

    /// The client a wire name names.
    pub fn parse_name(&self, name: &str) -> Option<usize> {
        let number: usize = name.strip_prefix('c')?.parse().ok()?;
        (1..=self.clients.len())
            .contains(&number)
            .then(|| number - 1)
    }

    /// Whether the client waits for an answer.
    pub fn busy(&self, client: usize) -> bool {
        self.clients[client].pending.is_some()
    }

    /// Whether any client waits for an answer.
    pub fn any_busy(&self) -> bool {
        self.clients.iter().any(|client| client.pending.is_some())
    }

    /// Draws the client's next operation, records its invocation at `time_ns` and returns the
    /// node to send it to, the message and its `msg_id`.
    pub fn invoke(&mut self, client: usize, time_ns: u64) -> (usize, String, u64) {
        let last_value = &self.last_value;
        let (key, drawn) = self.generator.next(|key| last_value.contains_key(&key));
        let op = match drawn {
            Drawn::Read => Op::Read { key },
            Drawn::Write(value) | Drawn::OtherWrite(value) => {
                let value = value as i64;
                let previous = self.last_value.insert(key, value);
                match (drawn, previous) {
                    (Drawn::OtherWrite(_), Some(from)) => Op::Cas {
                        key,
                        from,
                        to: value,
                    },
                    _ => Op::Write { key, value },
                }
            }
        };
        let state = &mut self.clients[client];
        let msg_id = state.next_msg_id;
        state.next_msg_id += 1;
        let mut body = op.body();
        body["msg_id"] = json!(msg_id);
        let message =
            json!({"src": Clients::name(client), "dest": format!("n{}", state.node), "body": body});
        self.events.push(format!(
            "{{:process {}, :type :invoke, :f :{}, :key {}, :value {}, :time {time_ns}}}",
            state.process,
            op.f(),
            op.key(),
            op.edn_value()
        ));
        state.pending = Some(Pending { msg_id, op });
        (state.node, message.to_string(), msg_id)
    }

    /// Handles a reply `body` to `client`: `Ok(Some(..))` when it ends the operation in flight,
    /// `Ok(None)` when it answers no request in flight (late, or twice: ignored), `Err` with
    /// the reason when it is no proper answer to that request.
    pub fn reply(
        &mut self,
        client: usize,
        body: &Json,
        time_ns: u64,
    ) -> Result<Option<Ended>, String> {
        let in_reply_to = body.get("in_reply_to").and_then(Json::as_u64);
        let state = &mut self.clients[client];
        let Some(pending) = state
            .pending
            .as_ref()
            .filter(|pending| Some(pending.msg_id) == in_reply_to)
        else {
            return Ok(None);
        };
        let kind = body.get("type").and_then(Json::as_str).unwrap_or("");
        let (ended, value) = match (kind, &pending.op) {
            ("read_ok", Op::Read { .. }) => {
                let value = body.get("value").ok_or("read_ok without a value")?;
                (Ended::Ok, edn_of(value))
            }
            ("write_ok", Op::Write { .. }) | ("cas_ok", Op::Cas { .. }) => {
                (Ended::Ok, pending.op.edn_value())
            }
            ("error", op) => {
                let code = body
                    .get("code")
                    .and_then(Json::as_i64)
                    .ok_or("an error without an integer code")?;
                match (code, op) {
                    (20, Op::Read { .. }) => (Ended::Ok, "nil".to_string()),
                    (code, _) if DEFINITE_CODES.contains(&code) => {
                        (Ended::Fail, pending.op.edn_value())
                    }
                    _ => (Ended::Info, pending.op.edn_value()),
                }
            }
            (other, op) => {
                return Err(format!("a reply of type {other:?} to a {} request", op.f()))
            }
        };
        self.complete(client, ended, &value, time_ns);
        Ok(Some(ended))
    }

    /// Ends the operation `msg_id` of `client` as `info` if it is still in flight.
    pub fn time_out(&mut self, client: usize, msg_id: u64, time_ns: u64) -> bool {
        let state = &self.clients[client];
        match &state.pending {
            Some(pending) if pending.msg_id == msg_id => {
                let value = pending.op.edn_value();
                self.complete(client, Ended::Info, &value, time_ns);
                true
            }
            _ => false,
        }
    }

    /// Ends every operation in flight as `info` (the run is over).
    pub fn abandon_all(&mut self, time_ns: u64, counts: &mut Counts) {
        for client in 0..self.clients.len() {
            if let Some(pending) = &self.clients[client].pending {
                let value = pending.op.edn_value();
                self.complete(client, Ended::Info, &value, time_ns);
                counts.info += 1;
            }
        }
    }

    fn complete(&mut self, client: usize, ended: Ended, value: &str, time_ns: u64) {
        let count = self.clients.len() as u64;
        let state = &mut self.clients[client];
        let Some(pending) = state.pending.take() else {
            return;
        };
        let kind = match ended {
            Ended::Ok => "ok",
            Ended::Fail => "fail",
            Ended::Info => "info",
        };
        self.events.push(format!(
            "{{:process {}, :type :{kind}, :f :{}, :key {}, :value {value}, :time {time_ns}}}",
            state.process,
            pending.op.f(),
            pending.op.key(),
        ));
        if ended == Ended::Info {
            // The operation may still take effect: the client goes on as a new process.
            state.process += count;
        }
    }

    /// Records a nemesis event (`:start` or `:stop` of a fault) in the history.
    pub fn nemesis(&mut self, f: &str, description: &str, time_ns: u64) {
        let text: String = description
            .chars()
            .filter(|c| *c != '"' && *c != '\\')
            .collect();
        self.events.push(format!(
            "{{:process :nemesis, :type :info, :f :{f}, :value \"{text}\", :time {time_ns}}}"
        ));
    }

    /// The history as EDN text: a vector of op maps, one a line, in real-time order.
    pub fn edn(&self) -> String {
        let mut text = String::from("[\n");
        for event in &self.events {
            text.push_str(event);
            text.push('\n');
        }
        text.push_str("]\n");
        text
    }
}

/// A JSON value as EDN (what a node answered is written into the history as it was).
pub fn edn_of(value: &Json) -> String {
    let mut text = String::new();
    write_edn(&mut text, value);
    text
}

fn write_edn(text: &mut String, value: &Json) {
    match value {
        Json::Null => text.push_str("nil"),
        Json::Bool(value) => text.push_str(if *value { "true" } else { "false" }),
        Json::Number(number) => text.push_str(&number.to_string()),
        Json::String(string) => {
            text.push('"');
            for character in string.chars() {
                match character {
                    '"' => text.push_str("\\\""),
                    '\\' => text.push_str("\\\\"),
                    '\n' => text.push_str("\\n"),
                    other => text.push(other),
                }
            }
            text.push('"');
        }
        Json::Array(items) => {
            text.push('[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    text.push(' ');
                }
                write_edn(text, item);
            }
            text.push(']');
        }
        Json::Object(map) => {
            text.push('{');
            for (position, (key, item)) in map.iter().enumerate() {
                if position > 0 {
                    text.push_str(", ");
                }
                write_edn(text, &Json::String(key.clone()));
                text.push(' ');
                write_edn(text, item);
            }
            text.push('}');
        }
    }
}

/// The model a `lin-kv` history is judged under, as `quorate check --model` names it.
pub const MODEL: SpecName = SpecName::Etcd;

/// Why a recorded history could not be judged.
#[derive(Debug, thiserror::Error)]
pub enum HistoryCheckError {
    /// The EDN the run wrote does not read as a history.
    #[error("{0}")]
    Import(#[from] ImportError),
    /// The model refused the history.
    #[error("{0}")]
    Model(#[from] external::ModelError),
}

/// Judges an EDN history of this workload: per key, linearizable as a compare-and-set register
/// that starts absent (the model `etcd` of `quorate check`).
pub fn check(edn: &str, budget: &Budget) -> Result<CheckResult, HistoryCheckError> {
    let history = import(edn.as_bytes(), Format::Edn)?;
    Ok(external::check(&history, MODEL, None, budget)?)
}

/// A short account of the counts, for progress lines.
pub fn summary(counts: &Counts) -> String {
    let mut text = String::new();
    let _ = write!(
        text,
        "{} ops ({} ok, {} fail, {} info), {} messages routed ({} dropped, {} duplicated)",
        counts.invoked,
        counts.ok,
        counts.fail,
        counts.info,
        counts.routed,
        counts.dropped,
        counts.duplicated
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Verdict;

    fn answer(clients: &mut Clients, client: usize, body: Json, time: u64) -> Option<Ended> {
        clients.reply(client, &body, time).unwrap()
    }

    /// Invokes until `client` draws an operation `wanted` accepts; earlier draws time out.
    fn invoke_until(clients: &mut Clients, client: usize, wanted: fn(&Json) -> bool) -> u64 {
        for time in 0.. {
            let (_, message, msg_id) = clients.invoke(client, time * 10);
            let message: Json = serde_json::from_str(&message).unwrap();
            if wanted(&message["body"]) {
                return msg_id;
            }
            clients.time_out(client, msg_id, time * 10 + 1);
        }
        unreachable!()
    }

    #[test]
    fn a_stale_read_is_judged_not_linearizable_and_a_fresh_one_linearizable() {
        for (fresh, expected) in [(false, Verdict::Invalid), (true, Verdict::Valid)] {
            // With no reads and one key, the first operation is a write of the first value, 1.
            let mut clients = Clients::new(2, 1, 1, 0.0, 1, 1000);
            let (_, message, write) = clients.invoke(0, 0);
            assert!(message.contains(r#""type":"write""#) && message.contains(r#""value":1"#));
            let ended = answer(
                &mut clients,
                0,
                json!({"type": "write_ok", "in_reply_to": write}),
                1_000,
            );
            assert_eq!(ended, Some(Ended::Ok));
            clients.generator.read_ratio = 1.0;
            let (_, _, read) = clients.invoke(1, 2_000);
            let reply = if fresh {
                json!({"type": "read_ok", "value": 1, "in_reply_to": read})
            } else {
                json!({"type": "error", "code": 20, "in_reply_to": read})
            };
            assert_eq!(answer(&mut clients, 1, reply, 3_000), Some(Ended::Ok));
            let result = check(&clients.edn(), &Budget::unlimited()).unwrap();
            assert_eq!(result.verdict, expected, "{}", clients.edn());
        }
    }

    #[test]
    fn definite_errors_fail_and_others_are_info() {
        for (code, expected) in [
            (11, Ended::Fail),
            (22, Ended::Fail),
            (13, Ended::Info),
            (1000, Ended::Info),
        ] {
            let mut clients = Clients::new(1, 1, 5, 0.0, 1, 1000);
            let msg_id = invoke_until(&mut clients, 0, |body| body["type"] == "write");
            let reply = json!({"type": "error", "code": code, "in_reply_to": msg_id});
            assert_eq!(
                answer(&mut clients, 0, reply, 5),
                Some(expected),
                "code {code}"
            );
            assert!(!clients.busy(0));
        }
    }

    #[test]
    fn replies_that_match_nothing_are_ignored_and_wrong_ones_refused() {
        let mut clients = Clients::new(1, 1, 5, 1.0, 1, 1000);
        let (_, _, msg_id) = clients.invoke(0, 0);
        assert_eq!(
            answer(
                &mut clients,
                0,
                json!({"type": "read_ok", "value": 1, "in_reply_to": msg_id + 7}),
                1
            ),
            None
        );
        let error = clients
            .reply(0, &json!({"type": "write_ok", "in_reply_to": msg_id}), 2)
            .unwrap_err();
        assert!(error.contains("write_ok"), "{error}");
        let error = clients
            .reply(0, &json!({"type": "read_ok", "in_reply_to": msg_id}), 2)
            .unwrap_err();
        assert!(error.contains("without a value"), "{error}");
        assert!(clients.time_out(0, msg_id, 3));
        assert!(!clients.time_out(0, msg_id, 4));
        // After an info the client is a new process.
        assert!(clients.edn().contains(":process 0, :type :info"));
        clients.invoke(0, 5);
        assert!(clients.edn().contains(":process 1, :type :invoke"));
    }

    #[test]
    fn values_are_unique_and_keys_rotate() {
        let mut clients = Clients::new(1, 1, 9, 0.0, 2, 5);
        let mut values = std::collections::HashSet::new();
        let mut keys = std::collections::HashSet::new();
        for time in 0..40 {
            let (_, message, msg_id) = clients.invoke(0, time);
            let body: Json = serde_json::from_str::<Json>(&message).unwrap()["body"].clone();
            let value = body
                .get("value")
                .or_else(|| body.get("to"))
                .unwrap()
                .as_i64()
                .unwrap();
            assert!(values.insert(value));
            keys.insert(body["key"].as_u64().unwrap());
            clients.time_out(0, msg_id, time);
        }
        // 40 operations, 5 per key, 2 keys at a time: 8 keys.
        assert_eq!(keys.len(), 8);
    }

    #[test]
    fn json_values_become_edn() {
        assert_eq!(
            edn_of(&json!([1, "a\"b", null, true, {"k": 2}])),
            r#"[1 "a\"b" nil true {"k" 2}]"#
        );
    }
}
