//! The optional `trace` of a simulated history (what happened inside the store), or of a
//! real-process `mvr-kv` run (what quorate routed between the processes; `process::trace`).
//!
//! This file owns the trace's plain-data shape (documented in `histories/README.md`) and its
//! validation: every message a node or client sent (from, to, the operation it served, a short
//! summary of its payload the store wrote), what became of it (delivered, dropped and why,
//! duplicated), when each recorded fault started and ended, and each node's sibling set for a
//! key after every change. It must never feed the checker: a verdict depends on what clients
//! observed (and, for the white-box checks, on metadata and snapshots), never on the trace, so a
//! history judges the same with its trace removed.

use serde::{Deserialize, Serialize};

use crate::causality::NodeId;

use super::{ClientId, Key, OpId, Value};

/// What happened inside the store, in the order it happened (times never decrease).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trace {
    /// The events, in the order they happened.
    pub events: Vec<TraceEvent>,
}

/// One end of a message: a node or a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// A node of the store.
    Node(NodeId),
    /// A client.
    Client(ClientId),
}

/// Why a message never arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// A partition cut the link (when it was sent, or when it would have arrived).
    Partition,
    /// The network's loss rate took it.
    Lost,
    /// Its destination was down when it arrived, or crashed while it waited in a paused node.
    NodeDown,
}

impl DropReason {
    /// The reason in words, as the timeline writes it.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Partition => "partition",
            DropReason::Lost => "lost",
            DropReason::NodeDown => "node down",
        }
    }
}

/// One thing that happened inside the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum TraceEvent {
    /// A message left `from` for `to`. `message` numbers it, unique in the trace; `op` is the
    /// client operation it serves, when it serves one (it may name an operation a minimized
    /// history has since dropped), and `key` that operation's key.
    Send {
        /// The message's number, unique in the trace.
        message: u64,
        /// When it was sent, in milliseconds (simulated, or real in a process-mode run).
        time_ms: u64,
        /// Its sender.
        from: Endpoint,
        /// Its destination.
        to: Endpoint,
        /// The client operation it serves, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        op: Option<OpId>,
        /// That operation's key, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<Key>,
        /// A one-line summary of the payload: the store's own (`Store::describe`) in a simulated
        /// run, its type and key in a process-mode one.
        summary: String,
    },
    /// The network made a second copy of message `message`, numbered `copy`.
    Duplicate {
        /// The message copied.
        message: u64,
        /// The copy's own number, unique in the trace.
        copy: u64,
        /// When the copy was made.
        time_ms: u64,
    },
    /// Message (or copy) `message` reached its destination.
    Deliver {
        /// The message (or copy) delivered.
        message: u64,
        /// When it arrived.
        time_ms: u64,
    },
    /// Message (or copy) `message` never arrived.
    Drop {
        /// The message (or copy) lost.
        message: u64,
        /// When it was lost.
        time_ms: u64,
        /// Why.
        reason: DropReason,
    },
    /// The history's fault number `fault` (its position in `faults`) began.
    FaultStart {
        /// The fault's position in the history's `faults`.
        fault: usize,
        /// When it began.
        time_ms: u64,
    },
    /// It ended (a crash: the node restarts; a pause: the node resumes).
    FaultEnd {
        /// The fault's position in the history's `faults`.
        fault: usize,
        /// When it ended.
        time_ms: u64,
    },
    /// What `node` holds for `key` now that it changed: its siblings and tombstones.
    State {
        /// When the state changed.
        time_ms: u64,
        /// The node.
        node: NodeId,
        /// The key.
        key: Key,
        /// The values it now holds (its siblings; one under LWW).
        #[serde(default)]
        values: Vec<Value>,
        /// The tombstones it now holds.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tombstones: Vec<Value>,
    },
}

impl TraceEvent {
    /// When the event happened, in milliseconds (simulated, or real in a process-mode run).
    pub fn time_ms(&self) -> u64 {
        match self {
            TraceEvent::Send { time_ms, .. }
            | TraceEvent::Duplicate { time_ms, .. }
            | TraceEvent::Deliver { time_ms, .. }
            | TraceEvent::Drop { time_ms, .. }
            | TraceEvent::FaultStart { time_ms, .. }
            | TraceEvent::FaultEnd { time_ms, .. }
            | TraceEvent::State { time_ms, .. } => *time_ms,
        }
    }
}

/// What is wrong with a trace: the event's position and the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("trace event {index}: {reason}")]
pub struct TraceError {
    /// The event's position in the trace, from 0.
    pub index: usize,
    /// What is wrong with it.
    pub reason: String,
}

impl Trace {
    /// Checks that times never decrease, that a message is numbered once and is sent (or
    /// copied) before anything else happens to it, and that faults name recorded faults.
    pub fn validate(&self, faults: usize) -> Result<(), TraceError> {
        let mut known = rustc_hash::FxHashSet::default();
        let mut time_ms_last = 0;
        for (index, event) in self.events.iter().enumerate() {
            let fail = |reason: String| Err(TraceError { index, reason });
            if event.time_ms() < time_ms_last {
                return fail(format!(
                    "at {} ms, before the event ahead of it ({time_ms_last} ms)",
                    event.time_ms()
                ));
            }
            time_ms_last = event.time_ms();
            match event {
                TraceEvent::Send { message, .. } => {
                    if !known.insert(*message) {
                        return fail(format!("message {message} is sent twice"));
                    }
                }
                TraceEvent::Duplicate { message, copy, .. } => {
                    if !known.contains(message) {
                        return fail(format!("message {message} is copied before it is sent"));
                    }
                    if !known.insert(*copy) {
                        return fail(format!("copy {copy} reuses a message number"));
                    }
                }
                TraceEvent::Deliver { message, .. } | TraceEvent::Drop { message, .. } => {
                    if !known.contains(message) {
                        return fail(format!("message {message} arrives before it is sent"));
                    }
                }
                TraceEvent::FaultStart { fault, .. } | TraceEvent::FaultEnd { fault, .. } => {
                    if *fault >= faults {
                        return fail(format!(
                            "fault {fault} does not exist (the history records {faults})"
                        ));
                    }
                }
                TraceEvent::State { .. } => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(message: u64, time_ms: u64) -> TraceEvent {
        TraceEvent::Send {
            message,
            time_ms,
            from: Endpoint::Node(NodeId(0)),
            to: Endpoint::Client(ClientId(1)),
            op: Some(OpId(3)),
            key: Some(Key::from("k")),
            summary: "ok".to_string(),
        }
    }

    #[test]
    fn events_read_back_as_written() {
        let trace = Trace {
            events: vec![
                send(0, 1),
                TraceEvent::Duplicate {
                    message: 0,
                    copy: 1,
                    time_ms: 1,
                },
                TraceEvent::Drop {
                    message: 1,
                    time_ms: 2,
                    reason: DropReason::Partition,
                },
                TraceEvent::State {
                    time_ms: 3,
                    node: NodeId(2),
                    key: Key::from("k"),
                    values: vec![Value::from("a")],
                    tombstones: vec![],
                },
            ],
        };
        let text = serde_json::to_string(&trace).unwrap();
        assert!(text.contains(r#""event":"send""#), "{text}");
        assert!(text.contains(r#""to":{"client":1}"#), "{text}");
        assert_eq!(serde_json::from_str::<Trace>(&text).unwrap(), trace);
        assert_eq!(trace.validate(0), Ok(()));
    }

    #[test]
    fn validation_names_the_event_and_the_reason() {
        let bad = |events: Vec<TraceEvent>| Trace { events }.validate(1).unwrap_err();
        assert_eq!(
            bad(vec![send(0, 5), send(1, 4)]).to_string(),
            "trace event 1: at 4 ms, before the event ahead of it (5 ms)"
        );
        assert_eq!(bad(vec![send(0, 1), send(0, 1)]).index, 1);
        let early = TraceEvent::Deliver {
            message: 9,
            time_ms: 0,
        };
        assert!(bad(vec![early]).reason.contains("before it is sent"));
        let fault = TraceEvent::FaultEnd {
            fault: 1,
            time_ms: 0,
        };
        assert!(bad(vec![fault]).reason.contains("fault 1 does not exist"));
    }
}
