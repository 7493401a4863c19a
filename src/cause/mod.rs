//! Why an anomaly happened, read from the trace of a simulated run: one or two sentences, and
//! the chain of trace events and operations they name. The timeline writes the sentences above
//! its picture and highlights the chain (`render`); minimization keeps the chain's operations,
//! so a minimized witness still shows its cause (`minimize`).
//!
//! This module owns that reading of the trace ([`view`] reads the trace once, per key). It never
//! judges anything (the anomaly's operations come from the caller) and says nothing when the
//! trace does not show a cause, rather than guess.
//!
//! The causes looked for, in this order (each in `replica.rs` or `read.rs`):
//! 1. a replica lost a value the anomaly's writes wrote: its siblings changed to a set none of
//!    whose values descends from it (by the writes' contexts), named with the message or the
//!    fault that changed them at that moment;
//! 2. a read of the anomaly missed such a value: which node coordinated it, which replicas it
//!    heard from before it answered, which of its messages were dropped, and which nodes held
//!    the value then;
//! 3. a replica ends without such a value (nor one descending from it): the messages that
//!    carried it there and what became of them, or that none did;
//! 4. a replica kept a value beside one of the anomaly's writes that overwrites it, named with
//!    the message that made it so;
//! 5. a read returned one of the anomaly's written values with a context: whom it heard from and
//!    what they held, and the context it returned.
//!
//! An anomaly that names no operation (replicas that disagree at the end) is explained by the
//! writes whose values some replicas end with and others do not ([`explain_replicas`]).

mod read;
mod replica;
pub(crate) mod view;

use std::collections::{BTreeSet, HashMap};

use crate::history::{History, OpId, Operation, ReplicaSnapshot, Value};

use view::TraceView;

/// The explanation, and the trace events and operations it names.
#[derive(Debug, Default)]
pub(crate) struct Chain {
    pub sentence: Option<String>,
    /// Message numbers.
    pub messages: BTreeSet<u64>,
    /// Positions in the trace's events of the `state` events.
    pub states: BTreeSet<usize>,
    /// The operations the sentences name, and those the chain's messages serve.
    pub operations: BTreeSet<OpId>,
}

/// Whether `later` descends from `earlier` through the writes' contexts.
fn descends(contexts: &HashMap<&Value, &[Value]>, later: &Value, earlier: &Value) -> bool {
    let mut stack = vec![later];
    let mut seen = BTreeSet::new();
    while let Some(value) = stack.pop() {
        if !seen.insert(value) {
            continue;
        }
        for parent in contexts.get(value).copied().unwrap_or_default() {
            if parent == earlier {
                return true;
            }
            stack.push(parent);
        }
    }
    false
}

fn nodes_text(nodes: &BTreeSet<u32>) -> String {
    if nodes.is_empty() {
        return "none".to_string();
    }
    let names: Vec<String> = nodes.iter().map(|node| format!("n{node}")).collect();
    names.join(", ")
}

/// The chain for the anomaly that names `witness` (its operations), or an empty one.
pub(crate) fn explain(history: &History, view: &TraceView<'_>, witness: &[OpId]) -> Chain {
    let by_id: HashMap<OpId, &Operation> =
        history.operations.iter().map(|op| (op.id, op)).collect();
    let ops: Vec<&Operation> = witness
        .iter()
        .filter_map(|id| by_id.get(id).copied())
        .collect();
    let Some(key) = ops.first().map(|op| &op.key) else {
        return Chain::default();
    };
    let Some(key_trace) = view.keys.get(key) else {
        return Chain::default();
    };
    let written: Vec<&Value> = ops
        .iter()
        .filter_map(|op| op.action.write())
        .map(|write| &write.value)
        .collect();
    let contexts: HashMap<&Value, &[Value]> = history
        .operations
        .iter()
        .filter(|op| &op.key == key)
        .filter_map(|op| op.action.write())
        .map(|write| (&write.value, write.context.as_slice()))
        .collect();
    let mut chain = replica::lost_value(history, key_trace, &ops, &written, &contexts)
        .or_else(|| read::missed_read(key_trace, &ops, &written))
        .or_else(|| replica::never_reached(history, key, key_trace, &ops, &contexts))
        .or_else(|| replica::kept_overwritten(history, key_trace, &written, &contexts))
        .or_else(|| read::read_context(key_trace, &ops, &written))
        .unwrap_or_default();
    if chain.sentence.is_some() {
        // The operations the chain's messages serve, and the writes of the siblings its states
        // name (the concurrent write that replaced a lost one is its cause).
        chain.operations.extend(
            key_trace
                .messages
                .iter()
                .filter(|message| chain.messages.contains(&message.number))
                .filter_map(|message| message.op),
        );
        let named: BTreeSet<&Value> = key_trace
            .states
            .iter()
            .filter(|state| chain.states.contains(&state.index))
            .flat_map(|state| state.values.iter().chain(state.tombstones))
            .collect();
        chain.operations.extend(
            history
                .operations
                .iter()
                .filter(|op| &op.key == key)
                .filter(|op| op.action.write().is_some_and(|w| named.contains(&w.value)))
                .map(|op| op.id),
        );
    }
    chain
}

/// The writes of `key` whose values some of its replicas end with, in the history's order.
fn held_writes(history: &History, snapshots: &[&ReplicaSnapshot]) -> Vec<OpId> {
    let Some(key) = snapshots.first().map(|snapshot| &snapshot.key) else {
        return Vec::new();
    };
    let held: BTreeSet<&Value> = snapshots
        .iter()
        .flat_map(|snapshot| snapshot.values.iter().chain(&snapshot.tombstones))
        .collect();
    history
        .operations
        .iter()
        .filter(|op| &op.key == key)
        .filter(|op| op.action.write().is_some_and(|w| held.contains(&w.value)))
        .map(|op| op.id)
        .collect()
}

/// The chain for an anomaly the replicas show and that names no operation (replicas that
/// disagree at the end, a replica that keeps a sibling a write overwrote): the writes the
/// replicas of a key end with explain it (a replica lost one, one never reached a replica, one
/// was kept beside its successor). Keys whose replicas disagree are tried first, then the
/// others, in order; the first the trace explains is the one said.
pub(crate) fn explain_replicas(history: &History, view: &TraceView<'_>) -> Chain {
    let Some(snapshots) = history.replicas.as_deref() else {
        return Chain::default();
    };
    let mut keys: Vec<Vec<&ReplicaSnapshot>> = Vec::new();
    for snapshot in snapshots {
        match keys.iter_mut().find(|of_key| of_key[0].key == snapshot.key) {
            Some(of_key) => of_key.push(snapshot),
            None => keys.push(vec![snapshot]),
        }
    }
    let agree = |of_key: &[&ReplicaSnapshot]| {
        of_key.windows(2).all(|pair| {
            pair[0].values == pair[1].values && pair[0].tombstones == pair[1].tombstones
        })
    };
    let disagreeing = keys.iter().filter(|of_key| !agree(of_key));
    let agreeing = keys.iter().filter(|of_key| agree(of_key));
    for of_key in disagreeing.chain(agreeing) {
        let writes = held_writes(history, of_key);
        let mut chain = explain(history, view, &writes);
        if chain.sentence.is_some() {
            chain.operations.extend(writes);
            return chain;
        }
    }
    Chain::default()
}

/// The anomaly the timeline explains, given the forbidden anomalies' operations in the report's
/// order: the smallest, or, when the smallest names no operation (divergence), the first that
/// names some; empty when none does (then [`explain_replicas`] speaks); `None` when nothing is
/// forbidden (nothing is explained). The page makes the same choice from a report's highlights.
pub(crate) fn anomaly_to_explain<'a>(forbidden: &[&'a [OpId]]) -> Option<&'a [OpId]> {
    let smallest = forbidden.iter().min_by_key(|ops| ops.len()).copied()?;
    if !smallest.is_empty() {
        return Some(smallest);
    }
    Some(
        forbidden
            .iter()
            .find(|ops| !ops.is_empty())
            .copied()
            .unwrap_or_default(),
    )
}

/// The operations a minimized history must keep for the timeline to still explain its anomaly:
/// `witness` (the anomaly's operations; empty for one that names none, as divergence) and the
/// operations the explanation names or whose messages it follows. Empty when the trace explains
/// nothing (or there is none): then nothing more than the anomaly needs to be kept.
pub(crate) fn needed_operations(history: &History, witness: &[OpId]) -> BTreeSet<OpId> {
    if history.trace.is_none() {
        return BTreeSet::new();
    }
    let view = TraceView::of(history);
    let chain = if witness.is_empty() {
        explain_replicas(history, &view)
    } else {
        explain(history, &view, witness)
    };
    if chain.sentence.is_none() {
        return BTreeSet::new();
    }
    let mut needed = chain.operations;
    needed.extend(witness.iter().copied());
    needed
}

#[cfg(test)]
mod tests;
