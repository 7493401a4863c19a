//! The causes read from a replica's siblings: a replica that lost a written value (cause 1), one
//! that kept a value a write had overwritten (cause 4), and one that ends without a written
//! value (cause 3). Each reads the trace view and says nothing when it does not apply.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::history::{
    Action, Endpoint, History, Key, Operation, ReplicaSnapshot, TraceEvent, Value,
};

use crate::causality::NodeId;

use super::view::{set_text, Fate, KeyTrace, Message, State};
use super::{descends, nodes_text, Chain};

/// Cause 1: a replica dropped a written value for siblings that do not descend from it.
/// What changed a node's siblings at that moment: the message about the key delivered to it
/// just before, at the same time.
fn arrived<'v, 'h>(
    events: &[TraceEvent],
    key_trace: &'v KeyTrace<'h>,
    state: &State<'h>,
) -> Option<&'v Message<'h>> {
    events[..state.index]
        .iter()
        .rev()
        .take_while(|event| event.time_ms() == state.time_ms)
        .find_map(|event| match event {
            TraceEvent::Deliver { message, .. } => key_trace
                .messages
                .iter()
                .find(|m| m.number == *message && m.to == Endpoint::Node(NodeId(state.node))),
            _ => None,
        })
}

/// `"put c0.1 on k0" arrived from client 0 (sent at 43 ms for #2)`.
fn arrival_text(message: &Message<'_>) -> String {
    let from = match message.from {
        Endpoint::Node(node) => format!("n{}", node.0),
        Endpoint::Client(client) => format!("client {}", client.0),
    };
    let serving = message
        .op
        .map(|op| format!(" for {op}"))
        .unwrap_or_default();
    format!(
        "\"{}\" arrived from {from} (sent at {} ms{serving})",
        message.summary, message.time_ms
    )
}

/// Cause 1: a replica dropped a written value for siblings that do not descend from it.
pub(super) fn lost_value(
    history: &History,
    key_trace: &KeyTrace<'_>,
    ops: &[&Operation],
    written: &[&Value],
    contexts: &HashMap<&Value, &[Value]>,
) -> Option<Chain> {
    let events = &history.trace.as_ref()?.events;
    let mut held: BTreeMap<u32, (usize, Vec<&Value>)> = BTreeMap::new();
    for state in &key_trace.states {
        let now: Vec<&Value> = state.values.iter().chain(state.tombstones).collect();
        let before = held.insert(state.node, (state.index, now.clone()));
        let Some((index_before, before)) = before else {
            continue;
        };
        let lost = written.iter().copied().find(|value| {
            before.contains(value)
                && !now.contains(value)
                && !now.iter().any(|kept| descends(contexts, kept, value))
        });
        let Some(value) = lost else { continue };
        // A tombstone that goes is reaped, which may be the store's due or its bug: say so.
        let reaped = ops
            .iter()
            .any(|op| matches!(&op.action, Action::Delete(write) if &write.value == value));
        let lost_text = if reaped {
            format!("dropped the tombstone {value}")
        } else {
            format!("lost {value}")
        };
        let mut chain = Chain::default();
        chain.states.extend([index_before, state.index]);
        let before_text = {
            let values: Vec<Value> = before.iter().map(|value| (*value).clone()).collect();
            set_text(&values, &[])
        };
        let after_text = set_text(state.values, state.tombstones);
        let mut sentence = match arrived(events, key_trace, state) {
            Some(message) => {
                chain.messages.insert(message.number);
                format!(
                    "At {} ms n{} {lost_text}: it held {before_text} when {}, and it kept only {after_text}, none of which descends from {value}.",
                    state.time_ms, state.node, arrival_text(message)
                )
            }
            None => format!(
                "At {} ms n{} {lost_text}: it held {before_text} and then only {after_text}, none of which descends from {value}.",
                state.time_ms, state.node
            ),
        };
        // What the node sent in the same step, which spreads the change.
        let spread: Vec<String> = events[state.index + 1..]
            .iter()
            .take_while(|event| !matches!(event, TraceEvent::Deliver { .. }))
            .filter_map(|event| match event {
                TraceEvent::Send {
                    message,
                    from: Endpoint::Node(from),
                    to: Endpoint::Node(to),
                    key: Some(_),
                    summary,
                    ..
                } if from.0 == state.node => {
                    chain.messages.insert(*message);
                    Some(format!("\"{summary}\" to n{}", to.0))
                }
                _ => None,
            })
            .collect();
        if !spread.is_empty() {
            sentence.push_str(&format!(" In the same step it sent {}.", spread.join(", ")));
        }
        let later_read = ops.iter().find(|op| {
            op.time_ms_invoke >= state.time_ms
                && matches!(&op.action, Action::Get { values, .. }
                    if op.is_ok() && !values.iter().any(|read| &read.value == value))
        });
        if let Some(read) = later_read {
            let Action::Get { values, .. } = &read.action else {
                unreachable!("found as a get");
            };
            let shown: Vec<Value> = values.iter().map(|read| read.value.clone()).collect();
            sentence.push_str(&format!(
                " {} then read {} without it.",
                read.id,
                set_text(&shown, &[])
            ));
            chain.operations.insert(read.id);
        }
        chain.sentence = Some(sentence);
        return Some(chain);
    }
    None
}

/// Whether a summary carries `value` in one of its `{…}` sets.
pub(super) fn carries(summary: &str, value: &Value) -> bool {
    summary
        .split(['{', '}', ',', ' '])
        .any(|word| word.trim_start_matches('†') == value.as_str())
}

/// Cause 3: a home replica ends without a written value nor anything descending from it.
pub(super) fn never_reached(
    history: &History,
    key: &Key,
    key_trace: &KeyTrace<'_>,
    ops: &[&Operation],
    contexts: &HashMap<&Value, &[Value]>,
) -> Option<Chain> {
    let snapshots: Vec<_> = history
        .replicas
        .as_deref()?
        .iter()
        .filter(|snapshot| &snapshot.key == key)
        .collect();
    for op in ops {
        let Some(write) = op.action.write() else {
            continue;
        };
        let value = &write.value;
        let keeps = |snapshot: &&ReplicaSnapshot| {
            snapshot
                .values
                .iter()
                .chain(&snapshot.tombstones)
                .any(|kept| kept == value || descends(contexts, kept, value))
        };
        let Some(missing) = snapshots.iter().find(|snapshot| !keeps(snapshot)) else {
            continue;
        };
        let node = missing.node;
        let keeping: BTreeSet<u32> = snapshots
            .iter()
            .filter(|snapshot| keeps(snapshot))
            .map(|snapshot| snapshot.node.0)
            .collect();
        let carriers: Vec<_> = key_trace
            .messages
            .iter()
            .filter(|message| message.to == Endpoint::Node(node) && carries(message.summary, value))
            .collect();
        let mut chain = Chain::default();
        chain
            .messages
            .extend(carriers.iter().map(|message| message.number));
        let fates: Vec<String> = carriers
            .iter()
            .map(|message| match message.fate {
                Fate::Delivered(time_ms) => {
                    format!("\"{}\" arrived at {time_ms} ms", message.summary)
                }
                Fate::Dropped(time_ms, reason) => format!(
                    "\"{}\" was dropped at {time_ms} ms ({})",
                    message.summary,
                    reason.name()
                ),
                Fate::Lost => format!("\"{}\" was still in flight", message.summary),
            })
            .collect();
        let how = if fates.is_empty() {
            "no message carried it there".to_string()
        } else {
            fates.join("; ")
        };
        chain.operations.insert(op.id);
        chain.sentence = Some(format!(
            "{value} ({}) ends missing from n{}, while {} keep it: {how}.",
            op.id,
            node.0,
            nodes_text(&keeping)
        ));
        return Some(chain);
    }
    None
}

/// Cause 4: a replica holds one of the anomaly's written values beside a value it overwrites
/// (its client had read that value), named with the message that made it so.
pub(super) fn kept_overwritten(
    history: &History,
    key_trace: &KeyTrace<'_>,
    written: &[&Value],
    contexts: &HashMap<&Value, &[Value]>,
) -> Option<Chain> {
    let events = &history.trace.as_ref()?.events;
    let mut held: BTreeMap<u32, (usize, &[Value])> = BTreeMap::new();
    for state in &key_trace.states {
        let before = held.insert(state.node, (state.index, state.values));
        let now = state.values;
        let Some((newer, older)) = written.iter().find_map(|newer| {
            now.contains(newer)
                .then(|| now.iter().find(|older| descends(contexts, newer, older)))
                .flatten()
                .map(|older| (*newer, older))
        }) else {
            continue;
        };
        let mut chain = Chain::default();
        chain.states.insert(state.index);
        let before_text = match before {
            Some((index, values)) => {
                chain.states.insert(index);
                format!("it held {}", set_text(values, &[]))
            }
            None => "it held nothing".to_string(),
        };
        let how = match arrived(events, key_trace, state) {
            Some(message) => {
                chain.messages.insert(message.number);
                format!("{before_text} when {}", arrival_text(message))
            }
            None => before_text,
        };
        let writer = history
            .operations
            .iter()
            .find(|op| op.action.write().is_some_and(|write| &write.value == newer));
        if let Some(writer) = writer {
            chain.operations.insert(writer.id);
        }
        let writer_text = writer.map(|op| format!(" ({})", op.id)).unwrap_or_default();
        chain.sentence = Some(format!(
            "At {} ms n{} kept {older} beside {newer}{writer_text}, which overwrites it: {how}, and it then held {}.",
            state.time_ms,
            state.node,
            set_text(state.values, state.tombstones)
        ));
        return Some(chain);
    }
    None
}
