//! The inside of the store, drawn under a key's client lanes from the history's `trace`: one lane
//! per node, each message an arrow from its sender's lane to its receiver's (a Lamport diagram;
//! a dropped message ends in a cross, a duplicated one is drawn twice, the copy dashed), faults
//! as bands on the node lanes they hit, and a node's siblings written on its lane where they
//! change. This file owns reading the trace into per-key pictures (which `data.rs` encodes for
//! the page's script to draw, windowed like the operations) and the words of a message's hover
//! text; it never decides what is wrong (the checker's highlights and `explain.rs` do) and never
//! writes markup.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::history::{DropReason, Endpoint, History, Key, OpId, TraceEvent, Value};

/// What became of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fate {
    Delivered(u64),
    Dropped(u64, DropReason),
    /// Still in flight when the run ended.
    Lost,
}

/// One message of the trace, with its fate.
#[derive(Clone, Debug)]
pub(super) struct Message<'h> {
    pub number: u64,
    pub time_ms: u64,
    pub from: Endpoint,
    pub to: Endpoint,
    pub op: Option<OpId>,
    pub summary: &'h str,
    pub fate: Fate,
    /// For a copy the network made: the message it copies.
    pub copy_of: Option<u64>,
}

/// A node's siblings for a key after a change.
#[derive(Clone, Debug)]
pub(super) struct State<'h> {
    /// Its position in the trace's events.
    pub index: usize,
    pub time_ms: u64,
    pub node: u32,
    pub values: &'h [Value],
    pub tombstones: &'h [Value],
}

/// The trace of one key: the messages about it and its nodes' states.
#[derive(Debug, Default)]
pub(super) struct KeyTrace<'h> {
    pub messages: Vec<Message<'h>>,
    pub states: Vec<State<'h>>,
}

/// The whole trace, read once: per key, and the nodes and fault spans.
#[derive(Debug, Default)]
pub(super) struct TraceView<'h> {
    pub keys: BTreeMap<&'h Key, KeyTrace<'h>>,
    pub nodes: BTreeSet<u32>,
    /// Per recorded fault: when the trace says it started and ended.
    pub fault_spans: HashMap<usize, (u64, Option<u64>)>,
}

/// Whether a summary names `key` as one of its words (for messages that serve no operation,
/// such as hand-offs, which name their key in their summary).
fn names_key(summary: &str, key: &str) -> bool {
    summary
        .split(|c: char| c.is_whitespace() || c == ':')
        .any(|word| word == key)
}

impl<'h> TraceView<'h> {
    pub(super) fn of(history: &'h History) -> TraceView<'h> {
        let mut view = TraceView::default();
        let Some(trace) = &history.trace else {
            return view;
        };
        let keys: BTreeSet<&Key> = history.operations.iter().map(|op| &op.key).collect();
        // Message number → (key, position in that key's messages).
        let mut placed: HashMap<u64, (&Key, usize)> = HashMap::new();
        for (index, event) in trace.events.iter().enumerate() {
            match event {
                TraceEvent::Send {
                    message,
                    time_ms,
                    from,
                    to,
                    op,
                    key,
                    summary,
                } => {
                    let key = match key {
                        Some(key) => keys.get(key).copied(),
                        None => keys
                            .iter()
                            .copied()
                            .find(|key| names_key(summary, key.as_str())),
                    };
                    let Some(key) = key else { continue };
                    for end in [from, to] {
                        if let Endpoint::Node(node) = end {
                            view.nodes.insert(node.0);
                        }
                    }
                    let messages = &mut view.keys.entry(key).or_default().messages;
                    placed.insert(*message, (key, messages.len()));
                    messages.push(Message {
                        number: *message,
                        time_ms: *time_ms,
                        from: *from,
                        to: *to,
                        op: *op,
                        summary,
                        fate: Fate::Lost,
                        copy_of: None,
                    });
                }
                TraceEvent::Duplicate {
                    message,
                    copy,
                    time_ms,
                } => {
                    let Some(&(key, position)) = placed.get(message) else {
                        continue;
                    };
                    let messages = &mut view.keys.get_mut(key).expect("placed").messages;
                    let mut twin = messages[position].clone();
                    twin.number = *copy;
                    twin.time_ms = *time_ms;
                    twin.copy_of = Some(*message);
                    placed.insert(*copy, (key, messages.len()));
                    messages.push(twin);
                }
                TraceEvent::Deliver { message, time_ms } => {
                    if let Some(&(key, position)) = placed.get(message) {
                        view.keys.get_mut(key).expect("placed").messages[position].fate =
                            Fate::Delivered(*time_ms);
                    }
                }
                TraceEvent::Drop {
                    message,
                    time_ms,
                    reason,
                } => {
                    if let Some(&(key, position)) = placed.get(message) {
                        view.keys.get_mut(key).expect("placed").messages[position].fate =
                            Fate::Dropped(*time_ms, *reason);
                    }
                }
                TraceEvent::FaultStart { fault, time_ms } => {
                    view.fault_spans.insert(*fault, (*time_ms, None));
                }
                TraceEvent::FaultEnd { fault, time_ms } => {
                    if let Some(span) = view.fault_spans.get_mut(fault) {
                        span.1 = Some(*time_ms);
                    }
                }
                TraceEvent::State {
                    time_ms,
                    node,
                    key,
                    values,
                    tombstones,
                } => {
                    let Some(key) = keys.get(key).copied() else {
                        continue;
                    };
                    view.nodes.insert(node.0);
                    view.keys.entry(key).or_default().states.push(State {
                        index,
                        time_ms: *time_ms,
                        node: node.0,
                        values,
                        tombstones,
                    });
                }
            }
        }
        for fault in &history.faults {
            view.nodes.extend(fault.nodes.iter().map(|node| node.0));
        }
        view
    }

    /// Every time the picture draws something at, for the time scale.
    pub(super) fn times_ms(&self) -> impl Iterator<Item = u64> + '_ {
        let spans = self
            .fault_spans
            .values()
            .flat_map(|(start, end)| std::iter::once(*start).chain(*end));
        self.keys
            .values()
            .flat_map(|key| {
                let messages = key.messages.iter().flat_map(|message| {
                    let end = match message.fate {
                        Fate::Delivered(time_ms) | Fate::Dropped(time_ms, _) => Some(time_ms),
                        Fate::Lost => None,
                    };
                    std::iter::once(message.time_ms).chain(end)
                });
                messages.chain(key.states.iter().map(|state| state.time_ms))
            })
            .chain(spans)
    }
}

/// `{a,b,†t}`.
pub(super) fn set_text(values: &[Value], tombstones: &[Value]) -> String {
    let all: Vec<String> = values
        .iter()
        .map(|value| value.to_string())
        .chain(tombstones.iter().map(|value| format!("†{value}")))
        .collect();
    format!("{{{}}}", all.join(","))
}

fn end_name(end: Endpoint) -> String {
    match end {
        Endpoint::Node(node) => format!("n{}", node.0),
        Endpoint::Client(client) => format!("client {}", client.0),
    }
}

/// The hover text of a message.
pub(super) fn message_text(message: &Message<'_>) -> String {
    let mut text = format!(
        "message {}: {} → {} at {} ms: {}",
        message.number,
        end_name(message.from),
        end_name(message.to),
        message.time_ms,
        message.summary
    );
    if let Some(op) = message.op {
        let _ = write!(text, " (for {op})");
    }
    if let Some(original) = message.copy_of {
        let _ = write!(text, ", a copy of message {original} the network made");
    }
    match message.fate {
        Fate::Delivered(time_ms) => {
            let _ = write!(text, ", delivered at {time_ms} ms");
        }
        Fate::Dropped(time_ms, reason) => {
            let _ = write!(text, ", dropped at {time_ms} ms ({})", reason.name());
        }
        Fate::Lost => text.push_str(", still in flight when the run ended"),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::gen::{self, WorkloadOptions};
    use crate::history::FaultType;

    /// A traced run with partitions, duplication and loss, so some messages are dropped and
    /// some doubled.
    fn traced(seed: u64) -> History {
        let options = WorkloadOptions {
            ops: 16,
            clients: 2,
            keys: 2,
            faults: vec![FaultType::Partition, FaultType::Duplicate, FaultType::Loss],
            faults_per_kind: 1,
        };
        let scenario = gen::workload(Config::preset("dynamo").unwrap(), seed, &options).unwrap();
        crate::sim::run_traced(&scenario).unwrap().history
    }

    #[test]
    fn every_message_of_a_key_is_an_arrow_dropped_ones_end_in_a_cross_copies_are_doubled() {
        let mut seen_drop = false;
        let mut seen_copy = false;
        for seed in 0..30 {
            let history = traced(seed);
            let page = super::super::render_html(&history, &[], "t");
            let data = super::super::tests::data_of(&page);
            let events = &history.trace.as_ref().unwrap().events;
            let keyed: BTreeSet<u64> = events
                .iter()
                .filter_map(|event| match event {
                    TraceEvent::Send {
                        message,
                        key: Some(_),
                        ..
                    } => Some(*message),
                    _ => None,
                })
                .collect();
            let copies = events
                .iter()
                .filter(|event| matches!(event, TraceEvent::Duplicate { message, .. } if keyed.contains(message)))
                .count();
            let drops = events
                .iter()
                .filter(|event| matches!(event, TraceEvent::Drop { message, .. } if keyed.contains(message)))
                .count();
            // Keyed messages only: op-less ones (anti-entropy) name no key of this history.
            let messages: Vec<&serde_json::Value> = data["trace"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|key| key[1].as_array().unwrap())
                .collect();
            assert!(
                messages.len() >= keyed.len() + copies,
                "seed {seed}: {} arrows",
                messages.len()
            );
            let flag = |message: &serde_json::Value, bit: u64| message[5].as_u64().unwrap() & bit;
            let doubled = messages.iter().filter(|m| flag(m, 1) != 0).count();
            assert!(doubled >= copies, "seed {seed}");
            let dropped = messages.iter().filter(|m| m[4] == 1).count();
            assert!(dropped >= drops, "seed {seed}");
            // Every node whose siblings the trace records has a lane (in every key's picture).
            let nodes: BTreeSet<u64> = events
                .iter()
                .filter_map(|event| match event {
                    TraceEvent::State { node, .. } => Some(u64::from(node.0)),
                    _ => None,
                })
                .collect();
            let lanes: BTreeSet<u64> = data["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|node| node.as_u64().unwrap())
                .collect();
            assert!(nodes.is_subset(&lanes), "seed {seed}: {nodes:?} {lanes:?}");
            let states = data["trace"]
                .as_array()
                .unwrap()
                .iter()
                .map(|key| key[2].as_array().unwrap().len())
                .sum::<usize>();
            assert!(states > 0, "seed {seed}");
            seen_drop |= drops > 0;
            seen_copy |= copies > 0;
        }
        assert!(
            seen_drop && seen_copy,
            "the seeds never dropped or never copied a message"
        );
    }

    #[test]
    fn summaries_are_escaped_and_say_where_a_message_went() {
        let mut history = traced(1);
        let trace = history.trace.as_mut().unwrap();
        for event in &mut trace.events {
            if let TraceEvent::Send { summary, .. } = event {
                *summary = "</script><script>alert(1)</script>".to_string();
            }
        }
        let page = super::super::render_html(&history, &[], "t");
        assert!(!page.contains("<script>alert"));
        let data = super::super::tests::data_of(&page);
        let text = data["trace"][0][1][0][6].as_str().unwrap();
        assert!(
            text.contains("</script><script>alert(1)</script>"),
            "{text}"
        );
        assert!(text.contains(", delivered at ") || text.contains(", dropped at "));
    }
}
