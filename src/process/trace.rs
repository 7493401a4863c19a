//! The trace of an `mvr-kv` run (`quorate maelstrom --trace`): what quorate saw pass between the
//! clients and the node processes, and between the nodes, as the history's optional `trace`
//! section (`crate::history::Trace`, documented in `histories/README.md`).
//!
//! This file owns the [`Recorder`]: it numbers the messages, ties each client request and its
//! reply to the history's operation, finds the key a node-to-node message names (the reference
//! store's `{"type": "store", "msg": {"VARIANT": {"key": …}}}`, or any body's top-level `key`;
//! a reference store's reply that names none, `read_reply {request}` or `store_ack {ack}`, gets
//! the key of the coordinator's message that carried that request number), words each payload in a few words, and stops at [`TRACE_EVENTS`] events, counting what it left
//! out. Times are the runtime's: real milliseconds since the workload began, never decreasing
//! (the runtime is one event loop; the recorder holds every time at least at the last one).
//!
//! What it must never do: decide anything about the run (it only listens), record before the
//! workload began (times would count from another origin), record a `state` event (a real
//! process does not show its replicas mid-run), or grow without bound.

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::causality::NodeId;
use crate::history::{ClientId, DropReason, Endpoint, Key, OpId, Trace, TraceEvent};

/// How many events a trace holds at most; a flood of messages would otherwise fill memory.
pub(super) const TRACE_EVENTS: usize = super::output::LOG_LINES as usize;

/// How many characters a message's summary takes at most.
const SUMMARY_CHARS: usize = 60;

/// Records a run's trace, when asked to; a recorder that was not asked records nothing.
#[derive(Debug)]
pub(super) struct Recorder {
    /// Whether the run asked for a trace (`--trace`).
    asked: bool,
    /// Whether the workload began (times count from its start).
    recording: bool,
    events: Vec<TraceEvent>,
    limit: usize,
    /// Events not recorded because the trace was full (a message left out counts once).
    left_out: u64,
    next_message: u64,
    last_ms: u64,
    /// A client request's operation and key, by the client and the request's `msg_id`.
    requests: HashMap<(usize, u64), (OpId, Key)>,
    /// The key of a coordinator's request, by the coordinator and the request's number.
    coordinated: HashMap<(usize, u64), Key>,
}

impl Recorder {
    /// A recorder of at most `limit` events if `asked`, else one that records nothing.
    pub(super) fn new(asked: bool, limit: usize) -> Recorder {
        Recorder {
            asked,
            recording: false,
            events: Vec::new(),
            limit,
            left_out: 0,
            next_message: 0,
            last_ms: 0,
            requests: HashMap::new(),
            coordinated: HashMap::new(),
        }
    }

    /// The workload began: from now on, what is asked is recorded.
    pub(super) fn begin(&mut self) {
        self.recording = self.asked;
    }

    /// Whether the next event would be recorded.
    fn room(&self) -> bool {
        self.recording && self.events.len() < self.limit
    }

    /// Records the event `at` makes of a time no earlier than any recorded (`time_ms`, or the
    /// last time if it was later), unless the trace is full (or off); whether it did.
    fn push(&mut self, time_ms: u64, at: impl FnOnce(u64) -> TraceEvent) -> bool {
        if !self.recording {
            return false;
        }
        if self.events.len() >= self.limit {
            self.left_out += 1;
            return false;
        }
        self.last_ms = self.last_ms.max(time_ms);
        self.events.push(at(self.last_ms));
        true
    }

    /// Records a message; its number if recorded.
    fn send(
        &mut self,
        time_ms: u64,
        (from, to): (Endpoint, Endpoint),
        (op, key): (Option<OpId>, Option<Key>),
        summary: String,
    ) -> Option<u64> {
        let message = self.next_message;
        let summary = super::shorten(&summary, SUMMARY_CHARS);
        let event = |time_ms| TraceEvent::Send {
            message,
            time_ms,
            from,
            to,
            op,
            key,
            summary,
        };
        self.push(time_ms, event).then(|| {
            self.next_message += 1;
            message
        })
    }

    /// Client `client`'s request `text` (the whole message) to `node`, for operation `op`; its
    /// message number if recorded.
    pub(super) fn request(
        &mut self,
        time_ms: u64,
        (client, node): (usize, usize),
        op: OpId,
        text: &str,
    ) -> Option<u64> {
        let message: Json = serde_json::from_str(text).unwrap_or_default();
        let body = &message["body"];
        let key = body["key"].as_str().map(Key::from);
        if let (Some(msg_id), Some(key), true) = (body["msg_id"].as_u64(), &key, self.room()) {
            self.requests.insert((client, msg_id), (op, key.clone()));
        }
        let ends = (client_end(client), node_end(node));
        self.send(time_ms, ends, (Some(op), key), request_summary(body))
    }

    /// `node`'s reply `body` to client `client`; its message number if recorded.
    pub(super) fn reply(
        &mut self,
        time_ms: u64,
        (node, client): (usize, usize),
        body: &Json,
    ) -> Option<u64> {
        let serves = body["in_reply_to"]
            .as_u64()
            .and_then(|msg_id| self.requests.get(&(client, msg_id)).cloned());
        let ends = (node_end(node), client_end(client));
        self.send(time_ms, ends, serves.unzip(), reply_summary(body))
    }

    /// A message `body` from node `from` to node `to`; its message number if recorded.
    pub(super) fn node_message(
        &mut self,
        time_ms: u64,
        (from, to): (usize, usize),
        body: &Json,
    ) -> Option<u64> {
        let mut words = node_message_words(body);
        match (&words.key, words.request) {
            (Some(key), Some(request)) if self.room() => {
                self.coordinated.insert((from, request), key.clone());
            }
            (None, Some(request)) => {
                if let Some(key) = self.coordinated.get(&(to, request)) {
                    words.summary = format!("{} {key}", words.summary);
                    words.key = Some(key.clone());
                }
            }
            _ => {}
        }
        let ends = (node_end(from), node_end(to));
        self.send(time_ms, ends, (None, words.key), words.summary)
    }

    /// The router made a copy of `message`; the copy's number if recorded.
    pub(super) fn copy(&mut self, message: Option<u64>, time_ms: u64) -> Option<u64> {
        let message = message?;
        let copy = self.next_message;
        let event = |time_ms| TraceEvent::Duplicate {
            message,
            copy,
            time_ms,
        };
        self.push(time_ms, event).then(|| {
            self.next_message += 1;
            copy
        })
    }

    /// `message` (if recorded) was written to its destination.
    pub(super) fn arrived(&mut self, message: Option<u64>, time_ms: u64) {
        if let Some(message) = message {
            self.push(time_ms, |time_ms| TraceEvent::Deliver { message, time_ms });
        }
    }

    /// `message` (if recorded) never reached its destination, for `reason`.
    pub(super) fn lost(&mut self, message: Option<u64>, time_ms: u64, reason: DropReason) {
        if let Some(message) = message {
            self.push(time_ms, |time_ms| TraceEvent::Drop {
                message,
                time_ms,
                reason,
            });
        }
    }

    /// The history's fault number `fault` began.
    pub(super) fn fault_start(&mut self, fault: usize, time_ms: u64) {
        self.push(time_ms, |time_ms| TraceEvent::FaultStart { fault, time_ms });
    }

    /// The history's fault number `fault` ended.
    pub(super) fn fault_end(&mut self, fault: usize, time_ms: u64) {
        self.push(time_ms, |time_ms| TraceEvent::FaultEnd { fault, time_ms });
    }

    /// The trace recorded, if one was asked for, and how many events it left out once it was
    /// full; the recorder is empty after.
    pub(super) fn take(&mut self) -> Option<(Trace, u64)> {
        let events = std::mem::take(&mut self.events);
        self.asked.then(|| (Trace { events }, self.left_out))
    }
}

fn client_end(client: usize) -> Endpoint {
    Endpoint::Client(ClientId(u32::try_from(client).unwrap_or(u32::MAX)))
}

fn node_end(node: usize) -> Endpoint {
    Endpoint::Node(NodeId(u32::try_from(node).unwrap_or(u32::MAX)))
}

/// What the router's reason for a drop (`partition`, `loss`) is in the trace.
pub(super) fn drop_reason(why: &str) -> DropReason {
    match why {
        "partition" => DropReason::Partition,
        _ => DropReason::Lost,
    }
}

/// A request in a few words: `put v3 on k0`, `delete d5 on k0`, `get k0`.
fn request_summary(body: &Json) -> String {
    let kind = body["type"].as_str().unwrap_or("request");
    match (body["value"].as_str(), body["key"].as_str()) {
        (Some(value), Some(key)) => format!("{kind} {value} on {key}"),
        (None, Some(key)) => format!("{kind} {key}"),
        _ => kind.to_string(),
    }
}

/// A reply in a few words: `ok {v1,v2}` (a get's values, and its tombstones after `✝`), `ok`,
/// `error 11`.
fn reply_summary(body: &Json) -> String {
    let names = |field: &str| -> Vec<String> {
        let items = body[field]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        items
            .iter()
            .map(|item| {
                item.as_str()
                    .map_or_else(|| item.to_string(), str::to_string)
            })
            .collect()
    };
    match body["type"].as_str() {
        Some("error") => format!("error {}", body["code"]),
        Some("get_ok") => {
            let mut words = format!("ok {{{}}}", names("values").join(","));
            let tombstones = names("tombstones");
            if !tombstones.is_empty() {
                words.push_str(&format!(" ✝{{{}}}", tombstones.join(",")));
            }
            words
        }
        Some(kind) if kind.ends_with("_ok") => "ok".to_string(),
        Some(kind) => kind.to_string(),
        None => "reply".to_string(),
    }
}

/// What the recorder reads from a node-to-node message.
#[derive(Debug, PartialEq)]
struct NodeWords {
    /// The key it names.
    key: Option<Key>,
    /// The coordinator's request number it carries (the reference store's `request` or `ack`).
    request: Option<u64>,
    /// Its few words.
    summary: String,
}

/// The words of a node-to-node message. The reference store's messages are `{"type": "store",
/// "msg": M}` with `M` its serde message, `{"VARIANT": {fields}}`: its words are the variant and
/// the key (`read k0`), and its request number its `request` or `ack`; any other body's are its
/// type and a top-level `key`.
fn node_message_words(body: &Json) -> NodeWords {
    let kind = body["type"].as_str().unwrap_or("message");
    let (name, key, request) = match (kind, &body["msg"]) {
        ("store", Json::Object(variant)) if variant.len() == 1 => {
            let (name, fields) = variant.iter().next().expect("one entry");
            let request = fields["request"].as_u64().or(fields["ack"].as_u64());
            (name.as_str(), fields["key"].as_str(), request)
        }
        ("store", Json::String(name)) => (name.as_str(), None, None),
        _ => (kind, body["key"].as_str(), None),
    };
    NodeWords {
        key: key.map(Key::from),
        request,
        summary: match key {
            Some(key) => format!("{name} {key}"),
            None => name.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(client: usize, node: usize, msg_id: u64, body: Json) -> String {
        let mut body = body;
        body["msg_id"] = json!(msg_id);
        json!({"src": format!("c{}", client + 1), "dest": format!("n{node}"), "body": body})
            .to_string()
    }

    /// A scripted run: two requests and their replies, node-to-node messages delivered,
    /// dropped and copied, a fault; the trace validates, in order, with the ends and keys.
    #[test]
    fn scripted_events_make_a_trace_in_order_with_ends_and_keys() {
        let mut recorder = Recorder::new(true, 100);
        // Before the workload: nothing (times would count from another origin).
        assert_eq!(
            recorder.node_message(5, (0, 1), &json!({"type": "x"})),
            None
        );
        recorder.begin();
        let put = request(0, 1, 1, json!({"type": "put", "key": "k0", "value": "v3"}));
        let sent = recorder.request(10, (0, 1), OpId(0), &put);
        recorder.arrived(sent, 10);
        let store = json!({"type": "store", "msg": {"store": {"key": "k0", "ack": 4}}});
        let replicate = recorder.node_message(11, (1, 2), &store);
        let copy = recorder.copy(replicate, 11);
        recorder.arrived(replicate, 12);
        recorder.lost(copy, 13, DropReason::NodeDown);
        recorder.fault_start(0, 14);
        let ack = json!({"type": "store", "msg": {"store_ack": {"ack": 4, "hint_for": null}}});
        let cut = recorder.node_message(15, (2, 1), &ack);
        recorder.lost(cut, 15, drop_reason("partition"));
        let reply = json!({"type": "error", "code": 11, "in_reply_to": 1});
        let answered = recorder.reply(16, (1, 0), &reply);
        recorder.arrived(answered, 16);
        // A time behind the last is held at the last.
        recorder.fault_end(0, 3);
        let get = request(1, 0, 1, json!({"type": "get", "key": "k1"}));
        recorder.request(20, (1, 0), OpId(1), &get);
        let values = json!({"type": "get_ok", "values": ["v1", "v2"], "tombstones": ["d4"],
            "in_reply_to": 1});
        recorder.reply(21, (0, 1), &values);
        let late = json!({"type": "put_ok", "in_reply_to": 9});
        recorder.reply(22, (0, 1), &late);

        let (trace, left_out) = recorder.take().unwrap();
        assert_eq!(left_out, 0);
        assert_eq!(trace.validate(1), Ok(()));
        let times: Vec<u64> = trace.events.iter().map(TraceEvent::time_ms).collect();
        assert_eq!(
            times,
            [10, 10, 11, 11, 12, 13, 14, 15, 15, 16, 16, 16, 20, 21, 22]
        );
        type Sent<'t> = (Endpoint, Endpoint, Option<OpId>, Option<&'t str>, &'t str);
        let sends: Vec<Sent<'_>> = trace
            .events
            .iter()
            .filter_map(|event| match event {
                TraceEvent::Send {
                    from,
                    to,
                    op,
                    key,
                    summary,
                    ..
                } => Some((
                    *from,
                    *to,
                    *op,
                    key.as_ref().map(Key::as_str),
                    summary.as_str(),
                )),
                _ => None,
            })
            .collect();
        let (c, n) = (client_end, node_end);
        assert_eq!(
            sends,
            [
                (c(0), n(1), Some(OpId(0)), Some("k0"), "put v3 on k0"),
                (n(1), n(2), None, Some("k0"), "store k0"),
                (n(2), n(1), None, Some("k0"), "store_ack k0"),
                (n(1), c(0), Some(OpId(0)), Some("k0"), "error 11"),
                (c(1), n(0), Some(OpId(1)), Some("k1"), "get k1"),
                (n(0), c(1), Some(OpId(1)), Some("k1"), "ok {v1,v2} ✝{d4}"),
                (n(0), c(1), None, None, "ok"),
            ]
        );
        assert!(trace.events.contains(&TraceEvent::Duplicate {
            message: 1,
            copy: 2,
            time_ms: 11
        }));
        assert!(trace.events.contains(&TraceEvent::Drop {
            message: 3,
            time_ms: 15,
            reason: DropReason::Partition
        }));
        assert!(!trace
            .events
            .iter()
            .any(|event| matches!(event, TraceEvent::State { .. })));
    }

    #[test]
    fn a_full_trace_stops_and_counts_what_it_left_out() {
        let mut recorder = Recorder::new(true, 3);
        recorder.begin();
        let body = json!({"type": "gossip", "key": "k2"});
        for time in 0..5 {
            let sent = recorder.node_message(time, (0, 1), &body);
            recorder.arrived(sent, time);
        }
        let (trace, left_out) = recorder.take().unwrap();
        assert_eq!(trace.events.len(), 3);
        assert_eq!(trace.validate(0), Ok(()));
        // The second message's delivery, then three sends (their deliveries go unrecorded).
        assert_eq!(left_out, 4);
        let TraceEvent::Send { key, summary, .. } = &trace.events[0] else {
            panic!("{trace:?}");
        };
        assert_eq!(
            (key.as_ref().unwrap().as_str(), summary.as_str()),
            ("k2", "gossip k2")
        );
    }

    #[test]
    fn a_recorder_not_asked_records_nothing() {
        let mut recorder = Recorder::new(false, 10);
        recorder.begin();
        assert_eq!(
            recorder.node_message(1, (0, 1), &json!({"type": "x"})),
            None
        );
        recorder.fault_start(0, 1);
        assert_eq!(recorder.take(), None);
    }

    #[test]
    fn summaries_are_short_and_name_what_they_can() {
        let long = json!({"type": "a".repeat(100)});
        assert_eq!(node_message_words(&long).summary.chars().count(), 100);
        let mut recorder = Recorder::new(true, 10);
        recorder.begin();
        recorder.node_message(0, (0, 1), &long);
        let (trace, _) = recorder.take().unwrap();
        let TraceEvent::Send { summary, .. } = &trace.events[0] else {
            panic!("{trace:?}");
        };
        assert_eq!(summary.chars().count(), SUMMARY_CHARS + 1);
        assert!(summary.ends_with('…'), "{summary}");
        let words = |body: Json| {
            let words = node_message_words(&body);
            let key = words.key.map(|key| key.as_str().to_string());
            (key, words.request, words.summary)
        };
        let unit = json!({"type": "store", "msg": "tick"});
        assert_eq!(words(unit), (None, None, "tick".to_string()));
        let odd = json!({"type": "store", "msg": {"read": {"key": 7, "request": "x"}}});
        assert_eq!(words(odd), (None, None, "read".to_string()));
        let read = json!({"type": "store", "msg": {"read": {"key": "k1", "request": 8}}});
        let expected = (Some("k1".to_string()), Some(8), "read k1".to_string());
        assert_eq!(words(read), expected);
        // A reply gets the key of its own coordinator's request only.
        let mut recorder = Recorder::new(true, 10);
        recorder.begin();
        let store = json!({"type": "store", "msg": {"store": {"key": "k5", "ack": 1}}});
        let ack = json!({"type": "store", "msg": {"store_ack": {"ack": 1}}});
        recorder.node_message(0, (0, 1), &store);
        recorder.node_message(1, (1, 2), &ack);
        recorder.node_message(2, (1, 0), &ack);
        let (trace, _) = recorder.take().unwrap();
        let keys: Vec<Option<&str>> = trace
            .events
            .iter()
            .map(|event| match event {
                TraceEvent::Send { key, .. } => key.as_ref().map(Key::as_str),
                _ => None,
            })
            .collect();
        assert_eq!(keys, [Some("k5"), None, Some("k5")]);
        assert_eq!(request_summary(&json!({})), "request");
        assert_eq!(reply_summary(&json!({"type": "get_ok"})), "ok {}");
        assert_eq!(drop_reason("loss"), DropReason::Lost);
        // A request that is not JSON is still a message, with no key.
        let mut recorder = Recorder::new(true, 10);
        recorder.begin();
        assert_eq!(recorder.request(0, (0, 0), OpId(0), "{"), Some(0));
    }
}
