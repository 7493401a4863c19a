//! The trace of a simulated run read once, per key: its messages with their fates (delivered,
//! dropped and why, still in flight), the network's copies, each node's siblings after each
//! change, the nodes and the faults' spans; and the words of a message and of a sibling set. The
//! timeline draws this view (`render`: a lane per node, messages as arrows, faults as bands on
//! nodes, siblings where they change) and the explanation reads it (`cause`). It never decides
//! what is wrong and never writes markup.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::history::{DropReason, Endpoint, History, Key, OpId, TraceEvent, Value};

/// What became of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    Delivered(u64),
    Dropped(u64, DropReason),
    /// Still in flight when the run ended.
    Lost,
}

/// One message of the trace, with its fate.
#[derive(Clone, Debug)]
pub(crate) struct Message<'h> {
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
pub(crate) struct State<'h> {
    /// Its position in the trace's events.
    pub index: usize,
    pub time_ms: u64,
    pub node: u32,
    pub values: &'h [Value],
    pub tombstones: &'h [Value],
}

/// The trace of one key: the messages about it and its nodes' states.
#[derive(Debug, Default)]
pub(crate) struct KeyTrace<'h> {
    pub messages: Vec<Message<'h>>,
    pub states: Vec<State<'h>>,
}

/// The whole trace, read once: per key, and the nodes and fault spans.
#[derive(Debug, Default)]
pub(crate) struct TraceView<'h> {
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
    pub(crate) fn of(history: &'h History) -> TraceView<'h> {
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
    pub(crate) fn times_ms(&self) -> impl Iterator<Item = u64> + '_ {
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
pub(crate) fn set_text(values: &[Value], tombstones: &[Value]) -> String {
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
pub(crate) fn message_text(message: &Message<'_>) -> String {
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
