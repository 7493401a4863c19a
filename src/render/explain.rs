//! The one or two sentences above the picture that say, from the trace, why the smallest
//! forbidden anomaly happened, and the chain of trace events they name (highlighted in the
//! picture). This file owns only that reading of the trace; it never judges anything (the
//! anomaly comes from the caller's highlight) and says nothing when the trace does not show a
//! cause, rather than guess.
//!
//! Two causes are looked for, in this order:
//! 1. a replica lost a value the anomaly's writes wrote: its siblings changed to a set none of
//!    whose values descends from it (by the writes' contexts), named with the message or the
//!    fault that changed them at that moment;
//! 2. a read of the anomaly missed such a value: which node coordinated it, which replicas it
//!    heard from before it answered, which of its messages were dropped, and which nodes held
//!    the value then;
//! 3. a replica ends without such a value (nor one descending from it): the messages that
//!    carried it there and what became of them, or that none did.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::history::{Action, Endpoint, History, OpId, Operation, TraceEvent, Value};

use super::trace::{set_text, Fate, KeyTrace, TraceView};
use super::Highlight;

/// The explanation and the trace events it names.
#[derive(Debug, Default)]
pub(super) struct Chain {
    pub sentence: Option<String>,
    /// Message numbers.
    pub messages: BTreeSet<u64>,
    /// Positions in the trace's events of the `state` events.
    pub states: BTreeSet<usize>,
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

/// The chain for the highlighted witness, or an empty one.
pub(super) fn explain(
    history: &History,
    view: &TraceView<'_>,
    witness: Option<&Highlight>,
) -> Chain {
    let Some(witness) = witness else {
        return Chain::default();
    };
    let by_id: HashMap<OpId, &Operation> =
        history.operations.iter().map(|op| (op.id, op)).collect();
    let ops: Vec<&Operation> = witness
        .operations
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
    lost_value(history, key_trace, &ops, &written, &contexts)
        .or_else(|| missed_read(key_trace, &ops, &written))
        .or_else(|| never_reached(history, key, key_trace, &ops, &contexts))
        .unwrap_or_default()
}

/// Cause 1: a replica dropped a written value for siblings that do not descend from it.
fn lost_value(
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
        // What changed the node at that moment: the message delivered to it just before.
        let cause = events[..state.index]
            .iter()
            .rev()
            .take_while(|event| event.time_ms() == state.time_ms)
            .find_map(|event| match event {
                TraceEvent::Deliver { message, .. } => key_trace.messages.iter().find(|m| {
                    m.number == *message
                        && m.to == Endpoint::Node(crate::causality::NodeId(state.node))
                }),
                _ => None,
            });
        let mut sentence = match cause {
            Some(message) => {
                chain.messages.insert(message.number);
                let from = match message.from {
                    Endpoint::Node(node) => format!("n{}", node.0),
                    Endpoint::Client(client) => format!("client {}", client.0),
                };
                let serving = message
                    .op
                    .map(|op| format!(" for {op}"))
                    .unwrap_or_default();
                format!(
                    "At {} ms n{} {lost_text}: it held {before_text} when \"{}\" arrived from {from} (sent at {} ms{serving}), and it kept only {after_text}, none of which descends from {value}.",
                    state.time_ms, state.node, message.summary, message.time_ms
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
        }
        chain.sentence = Some(sentence);
        return Some(chain);
    }
    None
}

/// Cause 2: a read missed a written value; whom it heard from, and who held the value.
fn missed_read(key_trace: &KeyTrace<'_>, ops: &[&Operation], written: &[&Value]) -> Option<Chain> {
    let (read, value) = ops.iter().find_map(|op| match &op.action {
        Action::Get { values, .. } if op.is_ok() => written
            .iter()
            .find(|value| !values.iter().any(|read| &&read.value == *value))
            .map(|value| (op, *value)),
        _ => None,
    })?;
    let mine: Vec<_> = key_trace
        .messages
        .iter()
        .filter(|message| message.op == Some(read.id))
        .collect();
    let coordinator = mine
        .iter()
        .find_map(|message| match (message.from, message.to) {
            (Endpoint::Client(_), Endpoint::Node(node)) => Some(node),
            _ => None,
        })?;
    // The coordinator answered when it sent its reply to the client.
    let answered = mine
        .iter()
        .filter(|message| {
            message.from == Endpoint::Node(coordinator) && matches!(message.to, Endpoint::Client(_))
        })
        .map(|message| message.time_ms)
        .min()
        .unwrap_or(u64::MAX);
    let heard: BTreeSet<u32> = mine
        .iter()
        .filter(|message| message.to == Endpoint::Node(coordinator))
        .filter(|message| matches!(message.fate, Fate::Delivered(time_ms) if time_ms <= answered))
        .filter_map(|message| match message.from {
            Endpoint::Node(node) => Some(node.0),
            Endpoint::Client(_) => None,
        })
        .collect();
    let dropped = mine
        .iter()
        .filter(|message| matches!(message.fate, Fate::Dropped(..)))
        .count();
    // Who held the value when the read began.
    let mut holding: BTreeMap<u32, bool> = BTreeMap::new();
    for state in key_trace
        .states
        .iter()
        .take_while(|state| state.time_ms <= read.time_ms_invoke)
    {
        let has = state.values.contains(value) || state.tombstones.contains(value);
        holding.insert(state.node, has);
    }
    let held: BTreeSet<u32> = holding
        .into_iter()
        .filter_map(|(node, has)| has.then_some(node))
        .collect();
    let heard_text = if heard.is_empty() {
        "no other replica".to_string()
    } else {
        nodes_text(&heard)
    };
    // What the coordinator itself held when it answered.
    let own = key_trace
        .states
        .iter()
        .rev()
        .find(|state| state.node == coordinator.0 && state.time_ms <= answered)
        .map(|state| {
            format!(
                " (its own copy: {})",
                set_text(state.values, state.tombstones)
            )
        })
        .unwrap_or_default();
    let mut sentence = format!(
        "{} was coordinated by n{}{own} and, before it answered, heard from {heard_text}; when it began, {value} had reached {}.",
        read.id,
        coordinator.0,
        nodes_text(&held)
    );
    match dropped {
        0 => {}
        1 => sentence.push_str(" One of its messages was dropped on the way."),
        _ => sentence.push_str(&format!(
            " {dropped} of its messages were dropped on the way."
        )),
    }
    let mut chain = Chain {
        sentence: Some(sentence),
        ..Chain::default()
    };
    chain
        .messages
        .extend(mine.iter().map(|message| message.number));
    Some(chain)
}

/// Whether a summary carries `value` in one of its `{…}` sets.
fn carries(summary: &str, value: &Value) -> bool {
    summary
        .split(['{', '}', ',', ' '])
        .any(|word| word.trim_start_matches('†') == value.as_str())
}

/// Cause 3: a home replica ends without a written value nor anything descending from it.
fn never_reached(
    history: &History,
    key: &crate::history::Key,
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
        let keeps = |snapshot: &&crate::history::ReplicaSnapshot| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causality::NodeId;
    use crate::history::{ClientId, Key, Trace};

    fn history(trace: Vec<TraceEvent>) -> History {
        let mut history = History::from_json(
            r#"{"version": 1, "operations": [
              {"id": 0, "client": 0, "key": "k", "kind": "put", "value": "v1", "time_ms_invoke": 0, "time_ms_complete": 10, "outcome": "ok"},
              {"id": 1, "client": 1, "key": "k", "kind": "get", "values": ["v0"], "time_ms_invoke": 30, "time_ms_complete": 40, "outcome": "ok"}
            ]}"#,
        )
        .unwrap();
        history.trace = Some(Trace { events: trace });
        history.validate().unwrap();
        history
    }

    fn send(
        message: u64,
        time_ms: u64,
        from: u32,
        to: Endpoint,
        op: u64,
        summary: &str,
    ) -> TraceEvent {
        TraceEvent::Send {
            message,
            time_ms,
            from: Endpoint::Node(NodeId(from)),
            to,
            op: Some(OpId(op)),
            key: Some(Key::from("k")),
            summary: summary.to_string(),
        }
    }

    fn state(time_ms: u64, node: u32, values: &[&str]) -> TraceEvent {
        TraceEvent::State {
            time_ms,
            node: NodeId(node),
            key: Key::from("k"),
            values: values.iter().map(|value| Value::from(*value)).collect(),
            tombstones: Vec::new(),
        }
    }

    fn witness() -> Highlight {
        let mut highlight = Highlight::new("stale_read (forbidden)", "", vec![OpId(1), OpId(0)]);
        highlight.witness = true;
        highlight
    }

    #[test]
    fn a_replica_that_loses_a_write_is_named_with_the_message_that_did_it() {
        let node = |n| Endpoint::Node(NodeId(n));
        let history = history(vec![
            state(5, 1, &["v1"]),
            send(0, 20, 0, node(1), 7, "repair k {v0} REPLACE"),
            TraceEvent::Deliver {
                message: 0,
                time_ms: 22,
            },
            state(22, 1, &["v0"]),
            send(1, 22, 1, node(2), 7, "repair k {v0} REPLACE"),
        ]);
        let view = TraceView::of(&history);
        let chain = explain(&history, &view, Some(&witness()));
        assert_eq!(
            chain.sentence.as_deref(),
            Some("At 22 ms n1 lost v1: it held {v1} when \"repair k {v0} REPLACE\" arrived from n0 (sent at 20 ms for #7), and it kept only {v0}, none of which descends from v1. In the same step it sent \"repair k {v0} REPLACE\" to n2. #1 then read {v0} without it.")
        );
        assert_eq!(chain.messages, BTreeSet::from([0, 1]));
        assert_eq!(chain.states, BTreeSet::from([0, 3]));
    }

    #[test]
    fn a_successor_that_descends_from_the_write_is_no_loss() {
        let mut history = history(vec![state(5, 1, &["v1"]), state(22, 1, &["v2"])]);
        let put: crate::history::Operation = serde_json::from_str(
            r#"{"id": 2, "client": 2, "key": "k", "kind": "put", "value": "v2", "context": [], "time_ms_invoke": 11, "time_ms_complete": 12, "outcome": "ok"}"#,
        )
        .unwrap();
        history.operations.push(put);
        let view = TraceView::of(&history);
        // v2 does not descend from v1: a loss.
        assert!(explain(&history, &view, Some(&witness()))
            .sentence
            .unwrap()
            .starts_with("At 22 ms n1 lost v1"));
        // Now it does (its client had read v1): no loss, and the read's story instead.
        if let Action::Put(write) = &mut history.operations[2].action {
            write.context = vec![Value::from("v1")];
        }
        let view = TraceView::of(&history);
        let chain = explain(&history, &view, Some(&witness()));
        assert_eq!(
            chain.sentence, None,
            "no message of the read in the trace: {chain:?}"
        );
    }

    #[test]
    fn a_read_that_missed_a_write_says_whom_it_heard_from() {
        let node = |n| Endpoint::Node(NodeId(n));
        let history = history(vec![
            state(5, 0, &["v1"]),
            TraceEvent::Send {
                message: 0,
                time_ms: 30,
                from: Endpoint::Client(ClientId(1)),
                to: node(2),
                op: Some(OpId(1)),
                key: Some(Key::from("k")),
                summary: "get k".to_string(),
            },
            TraceEvent::Deliver {
                message: 0,
                time_ms: 31,
            },
            send(1, 31, 2, node(0), 1, "read k"),
            send(2, 31, 2, node(3), 1, "read k"),
            TraceEvent::Drop {
                message: 1,
                time_ms: 31,
                reason: crate::history::DropReason::Partition,
            },
            TraceEvent::Deliver {
                message: 2,
                time_ms: 33,
            },
            send(3, 33, 3, node(2), 1, "holds {v0}"),
            TraceEvent::Deliver {
                message: 3,
                time_ms: 35,
            },
        ]);
        let view = TraceView::of(&history);
        let chain = explain(&history, &view, Some(&witness()));
        assert_eq!(
            chain.sentence.as_deref(),
            Some("#1 was coordinated by n2 and, before it answered, heard from n3; when it began, v1 had reached n0. One of its messages was dropped on the way.")
        );
        assert_eq!(chain.messages, BTreeSet::from([0, 1, 2, 3]));
    }

    #[test]
    fn no_witness_or_no_trace_says_nothing() {
        let history = history(Vec::new());
        let view = TraceView::of(&history);
        assert_eq!(explain(&history, &view, None).sentence, None);
        assert_eq!(explain(&history, &view, Some(&witness())).sentence, None);
    }

    #[test]
    fn a_replica_that_ends_without_a_write_is_named_with_what_carried_it_there() {
        let node = |n| Endpoint::Node(NodeId(n));
        let mut history = history(vec![
            send(0, 3, 0, node(1), 0, "store k {v1}"),
            send(1, 3, 0, node(2), 0, "store k {v1}"),
            TraceEvent::Drop {
                message: 1,
                time_ms: 3,
                reason: crate::history::DropReason::NodeDown,
            },
            TraceEvent::Deliver {
                message: 0,
                time_ms: 5,
            },
            state(5, 1, &["v1"]),
        ]);
        let snapshot = |node: u32, values: &[&str]| crate::history::ReplicaSnapshot {
            key: Key::from("k"),
            node: NodeId(node),
            values: values.iter().map(|value| Value::from(*value)).collect(),
            tombstones: Vec::new(),
            context_vv: None,
        };
        history.replicas = Some(vec![
            snapshot(0, &["v1"]),
            snapshot(1, &["v1"]),
            snapshot(2, &[]),
        ]);
        // The read saw v0 only and no message of it is traced: cause 3 speaks.
        let highlight = Highlight::new("under_replicated (forbidden)", "", vec![OpId(0)]);
        let view = TraceView::of(&history);
        let chain = explain(&history, &view, Some(&highlight));
        assert_eq!(
            chain.sentence.as_deref(),
            Some("v1 (#0) ends missing from n2, while n0, n1 keep it: \"store k {v1}\" was dropped at 3 ms (node down).")
        );
        assert_eq!(chain.messages, BTreeSet::from([1]));
    }

    #[test]
    fn carried_values_are_whole_words_of_a_set() {
        assert!(carries("store k {a,v1}", &Value::from("v1")));
        assert!(carries("repair k {†v1}", &Value::from("v1")));
        assert!(!carries("store k {v10}", &Value::from("v1")));
    }
}
