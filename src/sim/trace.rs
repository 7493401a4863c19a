//! The simulator's trace recorder: when a run is asked for its trace, the engine tells this
//! recorder about every message it sends, delivers, drops or duplicates, every fault it starts
//! and ends, and every handler it runs, and the recorder writes the history's `trace`
//! (`history::Trace`).
//!
//! It owns two bookkeeping tables the engine does not keep: which message an event key is, and
//! which client operation an event descends from (a request's messages, the timers they set and
//! the messages those send, all carry the operation that started the chain). It never changes
//! what the engine does or draws: a run with a trace gives the same history as one without,
//! plus the trace. It looks at a node's state only through `Store::snapshot`.

use rustc_hash::FxHashMap;

use crate::causality::NodeId;
use crate::history::{DropReason, Endpoint, Key, OpId, ReplicaSnapshot, Trace, TraceEvent, Value};

pub(super) struct Tracer {
    events: Vec<TraceEvent>,
    /// The message number of each event key that carries a message.
    messages: FxHashMap<u64, u64>,
    /// The operation each event key descends from.
    ops: FxHashMap<u64, OpId>,
    /// Each operation's key.
    op_keys: FxHashMap<OpId, Key>,
    /// The operation of the handler running now (or of the request being sent).
    current: Option<OpId>,
    /// The keys the scenario's clients touch, whose sibling sets are recorded.
    pub(super) keys: Vec<Key>,
    /// What each (node, key position) held at its last recorded change.
    held: FxHashMap<(u32, usize), (Vec<Value>, Vec<Value>)>,
}

impl Tracer {
    pub(super) fn new(keys: Vec<Key>) -> Tracer {
        Tracer {
            events: Vec::new(),
            messages: FxHashMap::default(),
            ops: FxHashMap::default(),
            op_keys: FxHashMap::default(),
            current: None,
            keys,
            held: FxHashMap::default(),
        }
    }

    /// A handler runs for the event keyed `cause`: what it sends serves the cause's operation.
    pub(super) fn begin(&mut self, cause: u64) {
        self.current = self.ops.get(&cause).copied();
    }

    /// A client sends the request of `op`, on `key`.
    pub(super) fn begin_op(&mut self, op: OpId, key: &Key) {
        self.current = Some(op);
        self.op_keys.insert(op, key.clone());
    }

    /// The event keyed `key` (a timer) descends from the current handler's operation.
    pub(super) fn inherit(&mut self, key: u64) {
        if let Some(op) = self.current {
            self.ops.insert(key, op);
        }
    }

    fn number(&mut self, key: u64) -> u64 {
        let number = self.messages.len() as u64;
        self.messages.insert(key, number);
        self.inherit(key);
        number
    }

    pub(super) fn sent(
        &mut self,
        key: u64,
        time_ms: u64,
        from: Endpoint,
        to: Endpoint,
        summary: String,
    ) {
        let message = self.number(key);
        self.events.push(TraceEvent::Send {
            message,
            time_ms,
            from,
            to,
            op: self.current,
            key: self.current.and_then(|op| self.op_keys.get(&op).cloned()),
            summary,
        });
    }

    pub(super) fn duplicated(&mut self, key: u64, key_copy: u64, time_ms: u64) {
        let Some(&message) = self.messages.get(&key) else {
            return;
        };
        let copy = self.number(key_copy);
        self.events.push(TraceEvent::Duplicate {
            message,
            copy,
            time_ms,
        });
    }

    pub(super) fn delivered(&mut self, key: u64, time_ms: u64) {
        if let Some(&message) = self.messages.get(&key) {
            self.events.push(TraceEvent::Deliver { message, time_ms });
        }
    }

    pub(super) fn dropped(&mut self, key: u64, time_ms: u64, reason: DropReason) {
        if let Some(&message) = self.messages.get(&key) {
            self.events.push(TraceEvent::Drop {
                message,
                time_ms,
                reason,
            });
        }
    }

    pub(super) fn fault(&mut self, fault: usize, time_ms: u64, start: bool) {
        self.events.push(if start {
            TraceEvent::FaultStart { fault, time_ms }
        } else {
            TraceEvent::FaultEnd { fault, time_ms }
        });
    }

    /// What `node` holds for the key at `position` now; recorded if it changed.
    pub(super) fn state(
        &mut self,
        time_ms: u64,
        node: u32,
        position: usize,
        snapshot: ReplicaSnapshot,
    ) {
        let now = (snapshot.values, snapshot.tombstones);
        let held = self.held.entry((node, position)).or_default();
        if *held == now {
            return;
        }
        held.clone_from(&now);
        self.events.push(TraceEvent::State {
            time_ms,
            node: NodeId(node),
            key: self.keys[position].clone(),
            values: now.0,
            tombstones: now.1,
        });
    }

    pub(super) fn finish(self) -> Trace {
        Trace {
            events: self.events,
        }
    }
}
