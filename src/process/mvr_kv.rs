//! quorate's `mvr-kv` workload, for leaderless stores with siblings: quorate's clients (which
//! operation each invokes, on which key, with which value, all from the seed), what they
//! observe, and the history they record in quorate's own JSON format (`crate::history`), which
//! the leaderless checker (`crate::check`) judges as it judges a simulated run.
//!
//! The protocol (docs/DESIGN.md §10): `get {key}` → `get_ok {values, tombstones, context}`;
//! `put {key, value, context?}` → `put_ok`; `delete {key, value, context?}` → `delete_ok` (the
//! value names the tombstone). Keys and values are strings; the context is opaque JSON, which a
//! client sends back with its next write of the key: the context of its last `ok` get of that
//! key. The history records, as the simulator's do, the values (and tombstones) that get
//! returned as the write's context; a get records its versions and the context as JSON text.
//!
//! How an answer is recorded: `get_ok`, `put_ok`, `delete_ok` are `ok`; a get answered with
//! error 20 (key does not exist) saw the key empty and is `ok` with no values; any other definite
//! error (1, 10, 11, 12, 14, 20, 21, 22, 30) is `fail`; every other code and a timeout are `info`
//! with the time the client gave up, after which the client goes on (as the simulator's do); a
//! request still open when the run ends is `info` without a completion time.
//!
//! After the heal and a settle time, one reader per node asks that node for its own copy of
//! every key the workload used: `snapshot {key}` → `snapshot_ok {values, tombstones, replica}`
//! (an extension of the protocol that `quorate node` answers; `replica: false` from a node that
//! is not one of the key's home replicas, which then records no snapshot of it). Each copy is
//! that node's replica snapshot of the key, as the simulator takes them, so a diverged replica
//! or one a write never reached is seen. A node that answers `snapshot` with an error (10, not
//! supported, as Maelstrom's nodes answer a request they do not know) is read with `get` instead, and each answer recorded as its snapshot: what a get
//! coordinated by that node returned (r replicas, merged), not the node's own copy, so a
//! diverged replica a quorum read outvotes goes unseen, and every such node records a snapshot
//! of every key, including keys it does not replicate. A node that does not answer in time has
//! no snapshot of the key (`run.json` lists them).
//!
//! What it must never do: trust a reply it cannot match to the request in flight, write a value
//! twice on a key, or send a context the client did not get from a read of that key.

use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Value as Json};

use super::clients::{self, Drawn, Generator};
use super::lin_kv::{Ended, DEFINITE_CODES};
use super::Counts;
use crate::causality::NodeId;
use crate::history::{
    Action, ClientId, History, Key, OpId, OpKind, Operation, Outcome, ReadValue, ReplicaSnapshot,
    Value, Write,
};

/// A request in flight.
#[derive(Clone, Debug)]
struct Pending {
    msg_id: u64,
    /// The operation's index in the history.
    operation: usize,
}

/// What a client last read of a key: the store's context and the versions it came with.
#[derive(Clone, Debug)]
struct Seen {
    context: Json,
    versions: Vec<Value>,
}

/// One client: sequential, bound to one node.
#[derive(Clone, Debug)]
struct Client {
    node: usize,
    pending: Option<Pending>,
    next_msg_id: u64,
    seen: HashMap<Key, Seen>,
}

/// One reader of the final snapshots: every key, from one node, one at a time.
#[derive(Clone, Debug)]
struct Reader {
    node: usize,
    keys: Vec<Key>,
    pending: Option<(u64, Key)>,
    next_msg_id: u64,
    /// The node answered `snapshot` with an error (it does not know it): its snapshots are gets.
    gets: bool,
}

/// The clients, the final readers, and the history they record.
#[derive(Debug)]
pub struct Clients {
    clients: Vec<Client>,
    readers: Vec<Reader>,
    generator: Generator,
    operations: Vec<Operation>,
    snapshots: Vec<ReplicaSnapshot>,
    used_keys: BTreeSet<Key>,
    /// The final reads that got no snapshot, in words.
    missing: Vec<String>,
    /// Whether the final reads began (before, the history claims no snapshots).
    final_reads: bool,
}

impl Clients {
    /// `concurrency` clients, client `i` bound to node `i mod node_count`, and one final reader
    /// per node.
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
                    pending: None,
                    next_msg_id: 1,
                    seen: HashMap::new(),
                })
                .collect(),
            readers: (0..node_count)
                .map(|node| Reader {
                    node,
                    keys: Vec::new(),
                    pending: None,
                    next_msg_id: 1,
                    gets: false,
                })
                .collect(),
            generator: Generator::new(clients::MVR_KV, seed, read_ratio, keys, ops_per_key),
            operations: Vec::new(),
            snapshots: Vec::new(),
            used_keys: BTreeSet::new(),
            missing: Vec::new(),
            final_reads: false,
        }
    }

    /// How many workload clients (the final readers follow them: `len()..len() + node_count`).
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether there is no workload client.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// How many final readers (one per node).
    pub fn readers(&self) -> usize {
        self.readers.len()
    }

    /// The client (or reader) a wire name names: `c1` … are the workload's clients, then one
    /// reader per node (`c0` is quorate's own, for `init`).
    pub fn parse_name(&self, name: &str) -> Option<usize> {
        let number: usize = name.strip_prefix('c')?.parse().ok()?;
        (1..=self.clients.len() + self.readers.len())
            .contains(&number)
            .then(|| number - 1)
    }

    /// Whether the client (or reader) waits for an answer.
    pub fn busy(&self, client: usize) -> bool {
        match self.clients.get(client) {
            Some(state) => state.pending.is_some(),
            None => self.readers[client - self.clients.len()].pending.is_some(),
        }
    }

    /// Whether any workload client waits for an answer.
    pub fn any_busy(&self) -> bool {
        self.clients.iter().any(|client| client.pending.is_some())
    }

    /// Whether any final reader has a read open or keys left.
    pub fn reading(&self) -> bool {
        self.readers
            .iter()
            .any(|reader| reader.pending.is_some() || !reader.keys.is_empty())
    }

    /// Gives every reader the keys the workload used, for the final reads.
    pub fn start_final_reads(&mut self) {
        self.final_reads = true;
        let keys: Vec<Key> = self.used_keys.iter().rev().cloned().collect();
        for reader in &mut self.readers {
            reader.keys.clone_from(&keys);
        }
    }

    /// The client's (or reader's) next request, recorded at `time_ns`: the node to send it to,
    /// the message and its `msg_id`; `None` when a reader has read every key.
    pub fn invoke(&mut self, client: usize, time_ns: u64) -> Option<(usize, String, u64)> {
        if client >= self.clients.len() {
            let reader = &mut self.readers[client - self.clients.len()];
            let key = reader.keys.pop()?;
            let msg_id = reader.next_msg_id;
            reader.next_msg_id += 1;
            let kind = if reader.gets { "get" } else { "snapshot" };
            let message = json!({"src": wire_name(client), "dest": format!("n{}", reader.node),
                "body": {"type": kind, "key": key.as_str(), "msg_id": msg_id}});
            reader.pending = Some((msg_id, key));
            return Some((reader.node, message.to_string(), msg_id));
        }
        let state = &mut self.clients[client];
        // A write with a context overwrites what its client read; some are deletes.
        let seen_keys = &state.seen;
        let (number, drawn) = self
            .generator
            .next(|number| seen_keys.contains_key(&key_name(number)));
        let key = key_name(number);
        self.used_keys.insert(key.clone());
        let seen = state.seen.get(&key);
        let mut body = json!({"key": key.as_str()});
        let action = if let Drawn::Write(value) | Drawn::OtherWrite(value) = drawn {
            let delete = matches!(drawn, Drawn::OtherWrite(_));
            let value = Value::from(format!("{}{value}", if delete { "d" } else { "v" }));
            body["type"] = json!(if delete { "delete" } else { "put" });
            body["value"] = json!(value.as_str());
            let context = match seen {
                Some(seen) => {
                    body["context"] = seen.context.clone();
                    seen.versions.clone()
                }
                None => Vec::new(),
            };
            let write = Write { value, context };
            if delete {
                Action::Delete(write)
            } else {
                Action::Put(write)
            }
        } else {
            body["type"] = json!("get");
            Action::Get {
                values: Vec::new(),
                context: None,
            }
        };
        let msg_id = state.next_msg_id;
        state.next_msg_id += 1;
        body["msg_id"] = json!(msg_id);
        let message =
            json!({"src": wire_name(client), "dest": format!("n{}", state.node), "body": body});
        let operation = self.operations.len();
        self.operations.push(Operation {
            id: OpId(operation as u64),
            client: ClientId(client as u32),
            key,
            action,
            time_ms_invoke: time_ns / 1_000_000,
            time_ms_complete: None,
            outcome: Outcome::Info,
            meta: None,
        });
        state.pending = Some(Pending { msg_id, operation });
        Some((state.node, message.to_string(), msg_id))
    }

    /// Handles a reply `body` to `client`: `Ok(Some(..))` when it ends the request in flight,
    /// `Ok(None)` when it answers no request in flight (late, or twice: ignored), `Err` with the
    /// reason when it is no proper answer to that request.
    pub fn reply(
        &mut self,
        client: usize,
        body: &Json,
        time_ns: u64,
    ) -> Result<Option<Ended>, String> {
        let in_reply_to = body.get("in_reply_to").and_then(Json::as_u64);
        if client >= self.clients.len() {
            return self.reader_reply(client - self.clients.len(), body, in_reply_to);
        }
        let Some(pending) = self.clients[client]
            .pending
            .clone()
            .filter(|pending| Some(pending.msg_id) == in_reply_to)
        else {
            return Ok(None);
        };
        let kind = body.get("type").and_then(Json::as_str).unwrap_or("");
        let op_kind = self.operations[pending.operation].kind();
        let ended = match (kind, op_kind) {
            ("get_ok", OpKind::Get) => {
                let versions = versions_of(body)?;
                let context = body.get("context").cloned().unwrap_or(Json::Null);
                let operation = &mut self.operations[pending.operation];
                let key = operation.key.clone();
                operation.action = Action::Get {
                    values: versions.clone(),
                    context: (!context.is_null()).then(|| context.to_string()),
                };
                let names: BTreeSet<Value> = versions.into_iter().map(|read| read.value).collect();
                self.clients[client].seen.insert(
                    key,
                    Seen {
                        context,
                        versions: names.into_iter().collect(),
                    },
                );
                Ended::Ok
            }
            ("put_ok", OpKind::Put) | ("delete_ok", OpKind::Delete) => Ended::Ok,
            ("error", op_kind) => {
                let code = body
                    .get("code")
                    .and_then(Json::as_i64)
                    .ok_or("an error without an integer code")?;
                match (code, op_kind) {
                    (20, OpKind::Get) => Ended::Ok,
                    (code, _) if DEFINITE_CODES.contains(&code) => Ended::Fail,
                    _ => Ended::Info,
                }
            }
            (other, op_kind) => {
                return Err(format!("a reply of type {other:?} to a {op_kind} request"))
            }
        };
        self.complete(client, ended, Some(time_ns));
        Ok(Some(ended))
    }

    fn reader_reply(
        &mut self,
        reader: usize,
        body: &Json,
        in_reply_to: Option<u64>,
    ) -> Result<Option<Ended>, String> {
        let state = &mut self.readers[reader];
        let Some((_, key)) = state
            .pending
            .clone()
            .filter(|(msg_id, _)| Some(*msg_id) == in_reply_to)
        else {
            return Ok(None);
        };
        let node = state.node;
        let kind = body.get("type").and_then(Json::as_str).unwrap_or("");
        let code = body.get("code").and_then(Json::as_i64);
        let versions = match kind {
            "snapshot_ok" if state.gets => {
                return Err("a snapshot_ok reply to a get request".into());
            }
            // Not one of the key's home replicas: no snapshot of it from this node.
            "snapshot_ok" if body.get("replica") == Some(&Json::Bool(false)) => {
                state.pending = None;
                return Ok(Some(Ended::Ok));
            }
            "snapshot_ok" => versions_of(body)?,
            "get_ok" if !state.gets => return Err("a get_ok reply to a snapshot request".into()),
            "get_ok" => versions_of(body)?,
            // A node without `snapshot` (error 10, or any error a node that does not know the
            // request answers): its snapshots are gets it coordinates, from now on.
            "error" if !state.gets => {
                state.gets = true;
                state.keys.push(key);
                state.pending = None;
                return Ok(Some(Ended::Fail));
            }
            "error" if code == Some(20) => Vec::new(),
            "error" => {
                self.missing.push(format!(
                    "n{node}, key {key}: error {}",
                    body.get("code").unwrap_or(&Json::Null)
                ));
                self.readers[reader].pending = None;
                return Ok(Some(Ended::Fail));
            }
            other => return Err(format!("a reply of type {other:?} to a get request")),
        };
        let (tombstones, values): (Vec<ReadValue>, Vec<ReadValue>) =
            versions.into_iter().partition(|read| read.tombstone);
        self.snapshots.push(ReplicaSnapshot {
            key,
            node: NodeId(node as u32),
            values: values.into_iter().map(|read| read.value).collect(),
            tombstones: tombstones.into_iter().map(|read| read.value).collect(),
            context_vv: None,
        });
        self.readers[reader].pending = None;
        Ok(Some(Ended::Ok))
    }

    /// Ends the request `msg_id` of `client` (or reader) if it is still in flight: an operation
    /// becomes `info`, a final read goes without its snapshot.
    pub fn time_out(&mut self, client: usize, msg_id: u64, time_ns: u64) -> bool {
        if client >= self.clients.len() {
            let reader = &mut self.readers[client - self.clients.len()];
            return match reader.pending.take() {
                Some((pending, key)) if pending == msg_id => {
                    self.missing
                        .push(format!("n{}, key {key}: no answer in time", reader.node));
                    true
                }
                other => {
                    reader.pending = other;
                    false
                }
            };
        }
        match &self.clients[client].pending {
            Some(pending) if pending.msg_id == msg_id => {
                self.complete(client, Ended::Info, Some(time_ns));
                true
            }
            _ => false,
        }
    }

    /// Ends every operation in flight as `info` without a completion time (the run is over).
    pub fn abandon_all(&mut self, counts: &mut Counts) {
        for client in 0..self.clients.len() {
            if self.clients[client].pending.is_some() {
                self.complete(client, Ended::Info, None);
                counts.info += 1;
            }
        }
        for reader in &mut self.readers {
            if let Some((_, key)) = reader.pending.take() {
                self.missing
                    .push(format!("n{}, key {key}: the run ended first", reader.node));
            }
        }
    }

    fn complete(&mut self, client: usize, ended: Ended, time_ns: Option<u64>) {
        let Some(pending) = self.clients[client].pending.take() else {
            return;
        };
        let operation = &mut self.operations[pending.operation];
        operation.outcome = match ended {
            Ended::Ok => Outcome::Ok,
            Ended::Fail => Outcome::Fail,
            Ended::Info => Outcome::Info,
        };
        operation.time_ms_complete =
            time_ns.map(|time| (time / 1_000_000).max(operation.time_ms_invoke));
    }

    /// How many operations the history holds so far (the next one's id).
    pub fn operation_count(&self) -> usize {
        self.operations.len()
    }

    /// The final reads that got no snapshot, in words.
    pub fn missing(&self) -> &[String] {
        &self.missing
    }

    /// The history recorded: operations, and the snapshots once the final reads began (the
    /// caller adds the configuration and the faults).
    pub fn history(&self) -> History {
        let mut history = History::new(self.operations.clone());
        history.replicas = self.final_reads.then(|| self.snapshots.clone());
        history
    }
}

/// A client's (or reader's) name on the wire: `c1`, `c2`, ….
pub fn wire_name(client: usize) -> String {
    format!("c{}", client + 1)
}

/// A key's name from its number: `k0`, `k1`, ….
fn key_name(number: u64) -> Key {
    Key::from(format!("k{number}"))
}

/// The versions of a `get_ok`: its `values`, then its `tombstones` (flagged).
fn versions_of(body: &Json) -> Result<Vec<ReadValue>, String> {
    let kind = body.get("type").and_then(Json::as_str).unwrap_or("get_ok");
    let list = |field: &str, required: bool| -> Result<Vec<ReadValue>, String> {
        let items = match body.get(field) {
            Some(Json::Array(items)) => items,
            None | Some(Json::Null) if !required => return Ok(Vec::new()),
            _ => return Err(format!("{kind} without a list {field:?}")),
        };
        items
            .iter()
            .map(|item| match item {
                Json::String(text) => Ok(ReadValue {
                    value: Value::from(text.as_str()),
                    tombstone: field == "tombstones",
                }),
                Json::Number(number) => Ok(ReadValue {
                    value: Value::from(number.to_string()),
                    tombstone: field == "tombstones",
                }),
                other => Err(format!("{kind} {field:?} holds {other}, not a string")),
            })
            .collect()
    };
    let mut versions = list("values", true)?;
    versions.extend(list("tombstones", false)?);
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{self, AnomalyKind, CheckOptions, Model};
    use crate::config::Config;
    use crate::verdict::Verdict;

    fn body(message: &str) -> Json {
        serde_json::from_str::<Json>(message).unwrap()["body"].clone()
    }

    /// Invokes until `client` draws an operation of `kind`; earlier draws time out.
    fn invoke_until(clients: &mut Clients, client: usize, kind: &str, time: &mut u64) -> Json {
        loop {
            *time += 1_000_000;
            let (_, message, msg_id) = clients.invoke(client, *time).unwrap();
            let body = body(&message);
            if body["type"] == kind {
                return body;
            }
            *time += 1_000_000;
            assert!(clients.time_out(client, msg_id, *time));
        }
    }

    fn judged(clients: &Clients, r: u32, model: Model) -> crate::check::Report {
        let mut history = clients.history();
        history.config = Some(Config {
            nodes: 3,
            r,
            ..Config::preset("dynamo").unwrap()
        });
        history.validate().unwrap();
        check::check(&history, &CheckOptions::model(Some(model))).unwrap()
    }

    /// A write acknowledged, then a read that misses it: a stale read, which `quorum` forbids
    /// and `eventual` allows; the report says whether the configuration's r + w > n promised it.
    #[test]
    fn a_read_that_misses_an_acknowledged_write_is_a_stale_read_judged_by_the_model() {
        for (r, model, expected, promised) in [
            (
                2,
                Model::Quorum,
                Verdict::Invalid,
                "under r + w > n (2 + 2 > 3)",
            ),
            (
                1,
                Model::Eventual,
                Verdict::Valid,
                "r = 1, w = 2, n = 3: no strict quorum",
            ),
        ] {
            let mut clients = Clients::new(2, 3, 7, 0.0, 1, 1000);
            let mut time = 0;
            let put = invoke_until(&mut clients, 0, "put", &mut time);
            assert!(put.get("context").is_none(), "a blind put: {put}");
            let ended = clients
                .reply(
                    0,
                    &json!({"type": "put_ok", "in_reply_to": put["msg_id"]}),
                    time + 500_000,
                )
                .unwrap();
            assert_eq!(ended, Some(Ended::Ok));
            clients.generator.read_ratio = 1.0;
            let get = invoke_until(&mut clients, 1, "get", &mut time);
            let reply = json!({"type": "get_ok", "values": [], "tombstones": [], "context": {},
                "in_reply_to": get["msg_id"]});
            assert_eq!(
                clients.reply(1, &reply, time + 1_000_000).unwrap(),
                Some(Ended::Ok)
            );
            let report = judged(&clients, r, model);
            assert_eq!(report.verdict, expected, "r = {r}: {report}");
            assert_eq!(report.kinds(), [AnomalyKind::StaleRead], "{report}");
            assert!(report.to_string().contains(promised), "{report}");
        }
    }

    /// A write sends back the context of its client's last get of the key, and the history
    /// records the values that get returned as its context.
    #[test]
    fn a_write_carries_the_context_of_the_last_get_and_records_its_values() {
        let mut clients = Clients::new(1, 1, 3, 1.0, 1, 1000);
        let mut time = 0;
        let get = invoke_until(&mut clients, 0, "get", &mut time);
        let reply = json!({"type": "get_ok", "values": ["x", "y"], "tombstones": ["d0"],
            "context": {"n0": 4}, "in_reply_to": get["msg_id"]});
        clients.reply(0, &reply, time + 1).unwrap();
        clients.generator.read_ratio = 0.0;
        let write = invoke_until(&mut clients, 0, "put", &mut time);
        assert_eq!(write["context"], json!({"n0": 4}));
        let operation = clients.operations.last().unwrap();
        let context: Vec<&str> = operation
            .action
            .write()
            .unwrap()
            .context
            .iter()
            .map(Value::as_str)
            .collect();
        assert_eq!(context, ["d0", "x", "y"]);
        let Action::Get { values, context } = &clients.operations[0].action else {
            panic!("the first operation is the get");
        };
        assert_eq!(values.len(), 3);
        assert!(values[2].tombstone);
        assert_eq!(context.as_deref(), Some(r#"{"n0":4}"#));
    }

    #[test]
    fn definite_errors_fail_others_are_info_and_wrong_replies_are_refused() {
        for (code, expected) in [(11, Ended::Fail), (0, Ended::Info), (13, Ended::Info)] {
            let mut clients = Clients::new(1, 1, 5, 0.0, 1, 1000);
            let mut time = 0;
            let put = invoke_until(&mut clients, 0, "put", &mut time);
            let reply = json!({"type": "error", "code": code, "in_reply_to": put["msg_id"]});
            assert_eq!(clients.reply(0, &reply, time).unwrap(), Some(expected));
            assert!(!clients.busy(0));
        }
        let mut clients = Clients::new(1, 1, 5, 1.0, 1, 1000);
        let (_, message, msg_id) = clients.invoke(0, 0).unwrap();
        assert_eq!(body(&message)["type"], "get");
        let late = json!({"type": "get_ok", "values": [], "in_reply_to": msg_id + 1});
        assert_eq!(clients.reply(0, &late, 1).unwrap(), None);
        let wrong = json!({"type": "put_ok", "in_reply_to": msg_id});
        assert!(clients.reply(0, &wrong, 1).unwrap_err().contains("put_ok"));
        let bad = json!({"type": "get_ok", "values": [1, [2]], "in_reply_to": msg_id});
        assert!(clients
            .reply(0, &bad, 1)
            .unwrap_err()
            .contains("not a string"));
        let missing = json!({"type": "get_ok", "in_reply_to": msg_id});
        assert!(clients
            .reply(0, &missing, 1)
            .unwrap_err()
            .contains("\"values\""));
    }

    /// The final reads: every used key from every node, each node's own copy its snapshot; a
    /// node that does not answer leaves its snapshot out, named.
    #[test]
    fn final_reads_become_snapshots_and_a_lost_write_is_judged() {
        let mut clients = Clients::new(1, 2, 9, 0.0, 1, 1000);
        let mut time = 0;
        let put = invoke_until(&mut clients, 0, "put", &mut time);
        let value = put["value"].as_str().unwrap().to_string();
        clients
            .reply(
                0,
                &json!({"type": "put_ok", "in_reply_to": put["msg_id"]}),
                time,
            )
            .unwrap();
        clients.start_final_reads();
        assert!(clients.reading());
        let first_reader = clients.len();
        assert_eq!(
            clients.parse_name(&wire_name(first_reader + 1)),
            Some(first_reader + 1)
        );
        assert_eq!(clients.parse_name(&wire_name(first_reader + 2)), None);
        let (node, message, msg_id) = clients.invoke(first_reader, time).unwrap();
        assert_eq!(node, 0);
        assert_eq!(body(&message)["type"], "snapshot", "{message}");
        let reply =
            json!({"type": "snapshot_ok", "values": [], "replica": true, "in_reply_to": msg_id});
        assert_eq!(
            clients.reply(first_reader, &reply, time).unwrap(),
            Some(Ended::Ok)
        );
        assert!(
            clients.invoke(first_reader, time).is_none(),
            "one key only: {message}"
        );
        let (_, _, msg_id) = clients.invoke(first_reader + 1, time).unwrap();
        assert!(clients.time_out(first_reader + 1, msg_id, time));
        assert!(!clients.reading());
        assert_eq!(clients.missing().len(), 1);
        let history = clients.history();
        assert_eq!(history.replicas.as_ref().unwrap().len(), 1);
        // The one snapshot kept nothing of the acknowledged put: a lost write.
        let report = check::check(&history, &CheckOptions::model(Some(Model::Eventual))).unwrap();
        assert_eq!(report.verdict, Verdict::Invalid, "{value}: {report}");
    }

    /// A node that is not a key's home replica records no snapshot of it; a node without
    /// `snapshot` (error 10) is read with `get` from then on, its answer the snapshot; a reply of
    /// the other kind is refused.
    #[test]
    fn final_reads_skip_non_replicas_and_fall_back_to_get() {
        // One key at a time, one operation each: every operation has a key of its own.
        let mut clients = Clients::new(1, 2, 9, 0.0, 1, 1);
        let mut time = 0;
        for _ in 0..2 {
            let put = invoke_until(&mut clients, 0, "put", &mut time);
            let ok = json!({"type": "put_ok", "in_reply_to": put["msg_id"]});
            clients.reply(0, &ok, time).unwrap();
        }
        clients.start_final_reads();
        let (first, second) = (clients.len(), clients.len() + 1);
        // n0 holds none of the keys as a home replica.
        let mut keys = 0;
        while let Some((_, message, msg_id)) = clients.invoke(first, time) {
            assert_eq!(body(&message)["type"], "snapshot");
            let reply = json!({"type": "snapshot_ok", "values": ["x"], "replica": false, "in_reply_to": msg_id});
            assert_eq!(clients.reply(first, &reply, time).unwrap(), Some(Ended::Ok));
            keys += 1;
        }
        assert!(keys >= 2, "{keys} keys");
        // n1 does not know `snapshot`: the same key again, with get, and then the next with get.
        let (_, message, msg_id) = clients.invoke(second, time).unwrap();
        let key = body(&message)["key"].clone();
        let refused = json!({"type": "error", "code": 10, "in_reply_to": msg_id});
        assert_eq!(
            clients.reply(second, &refused, time).unwrap(),
            Some(Ended::Fail)
        );
        let (_, message, msg_id) = clients.invoke(second, time).unwrap();
        assert_eq!(body(&message)["type"], "get");
        assert_eq!(body(&message)["key"], key);
        let wrong = json!({"type": "snapshot_ok", "values": [], "in_reply_to": msg_id});
        assert!(clients.reply(second, &wrong, time).is_err());
        let reply = json!({"type": "get_ok", "values": ["v"], "in_reply_to": msg_id});
        assert_eq!(
            clients.reply(second, &reply, time).unwrap(),
            Some(Ended::Ok)
        );
        let (_, message, _) = clients.invoke(second, time).unwrap();
        assert_eq!(body(&message)["type"], "get");
        assert_ne!(body(&message)["key"], key);
        let replicas = clients.history().replicas.unwrap();
        assert_eq!(replicas.len(), 1, "{replicas:?}");
        assert_eq!(replicas[0].node, NodeId(1));
        assert_eq!(replicas[0].values, [Value::from("v")]);
    }
}
