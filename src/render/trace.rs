//! The inside of the store, drawn under a key's client lanes from the history's `trace`: one lane
//! per node, each message an arrow from its sender's lane to its receiver's (a Lamport diagram;
//! a dropped message ends in a cross, a duplicated one is drawn twice, the copy dashed), faults
//! as bands on the node lanes they hit, and a node's siblings written on its lane where they
//! change. This file owns reading the trace into per-key pictures and drawing them; it never
//! decides what is wrong (the checker's highlights and `explain.rs` do) and writes every text
//! through `escape`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::history::{ClientId, DropReason, Endpoint, History, Key, OpId, TraceEvent, Value};

use super::{escape, Scale, AXIS_HEIGHT_PX, LANE_HEIGHT_PX};

/// The height of one node lane.
pub(super) const NODE_LANE_PX: f64 = 30.0;

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

/// Where the lanes are: clients' from the page, nodes' below them.
pub(super) struct Lanes<'a> {
    pub clients: &'a HashMap<ClientId, usize>,
    pub nodes: &'a [u32],
}

impl Lanes<'_> {
    pub(super) fn node_top(&self, node: u32) -> Option<f64> {
        let position = self.nodes.iter().position(|n| *n == node)?;
        Some(
            AXIS_HEIGHT_PX
                + self.clients.len() as f64 * LANE_HEIGHT_PX
                + position as f64 * NODE_LANE_PX,
        )
    }

    fn middle(&self, end: Endpoint) -> Option<f64> {
        match end {
            Endpoint::Node(node) => Some(self.node_top(node.0)? + NODE_LANE_PX / 2.0),
            Endpoint::Client(client) => Some(
                AXIS_HEIGHT_PX
                    + *self.clients.get(&client)? as f64 * LANE_HEIGHT_PX
                    + LANE_HEIGHT_PX / 2.0,
            ),
        }
    }

    pub(super) fn height(&self) -> f64 {
        self.nodes.len() as f64 * NODE_LANE_PX
    }
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

/// Draws the node lanes, fault bands, messages and states of one key.
pub(super) fn write_node_lanes(
    page: &mut String,
    history: &History,
    key: &Key,
    inside: &super::Inside<'_>,
    scale: &Scale,
    svg_width_px: f64,
) {
    let (view, lanes, chain) = (inside.view, inside.lanes, inside.chain);
    let key_trace = view.keys.get(key);
    for &node in lanes.nodes {
        let Some(y) = lanes.node_top(node) else {
            continue;
        };
        let _ = writeln!(
            page,
            "<g class=\"node-lane\" data-node=\"{node}\"><rect class=\"node-bg\" x=\"0\" y=\"{y:.1}\" width=\"{svg_width_px:.0}\" height=\"{NODE_LANE_PX}\"/><text class=\"lane-label\" x=\"4\" y=\"{:.1}\">node n{node}</text></g>",
            y + 19.0
        );
    }
    for (index, fault) in history.faults.iter().enumerate() {
        let (start, end) = view
            .fault_spans
            .get(&index)
            .copied()
            .unwrap_or((fault.time_ms_start, fault.time_ms_end));
        let x_start = scale.x(start);
        let x_end = scale.x(end.unwrap_or(start)).max(x_start + 3.0);
        for node in &fault.nodes {
            let Some(y) = lanes.node_top(node.0) else {
                continue;
            };
            let _ = writeln!(
                page,
                "<rect class=\"node-fault\" x=\"{x_start:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{NODE_LANE_PX}\"><title>{} on n{} from {start} ms{}: {}</title></rect>",
                x_end - x_start,
                escape(fault.kind.record_name()),
                node.0,
                end.map(|end| format!(" to {end} ms")).unwrap_or_default(),
                escape(&fault.description)
            );
        }
    }
    let Some(key_trace) = key_trace else {
        return;
    };
    let present: BTreeSet<OpId> = history.operations.iter().map(|op| op.id).collect();
    for message in &key_trace.messages {
        let (Some(y1), Some(y2)) = (lanes.middle(message.from), lanes.middle(message.to)) else {
            continue;
        };
        let x1 = scale.x(message.time_ms);
        let mut classes = String::from("msg");
        if message.copy_of.is_some() {
            classes.push_str(" dup");
        }
        let in_chain = chain.messages.contains(&message.number);
        if in_chain {
            classes.push_str(" chain");
        }
        // Messages of operations a minimized history dropped stay, faint: they are how the
        // replicas came to hold what they held.
        if message.op.is_some_and(|op| !present.contains(&op)) {
            classes.push_str(" gone");
        }
        let (x2, y2, tail) = match message.fate {
            Fate::Delivered(time_ms) => (scale.x(time_ms).max(x1 + 4.0), y2, String::new()),
            Fate::Dropped(time_ms, _) => {
                classes.push_str(" dropped");
                // A dropped message stops halfway, at a cross.
                let x = scale.x(time_ms).max(x1 + 8.0);
                let y = (y1 + y2) / 2.0;
                let cross = format!(
                    "<path class=\"cross\" d=\"M{:.1} {:.1}l8 8m0 -8l-8 8\"/>",
                    x - 4.0,
                    y - 4.0
                );
                (x, y, cross)
            }
            Fate::Lost => {
                classes.push_str(" dropped");
                (x1 + scale.step_px, (y1 + y2) / 2.0, String::new())
            }
        };
        let marker = if tail.is_empty() {
            " marker-end=\"url(#arrow)\""
        } else {
            ""
        };
        // The chain's messages say what they carry without hovering.
        let label = if in_chain {
            format!(
                "<text class=\"chain-label\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                (x1 + x2) / 2.0 + 4.0,
                (y1 + y2) / 2.0 - 3.0,
                escape(message.summary)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            page,
            "<g class=\"{classes}\" data-msg=\"{}\"><title>{}</title><line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\"{marker}/>{tail}{label}</g>",
            message.number,
            escape(&message_text(message))
        );
    }
    for state in &key_trace.states {
        let Some(y) = lanes.node_top(state.node) else {
            continue;
        };
        let x = scale.x(state.time_ms);
        let text = set_text(state.values, state.tombstones);
        let class = if chain.states.contains(&state.index) {
            "state chain"
        } else {
            "state"
        };
        let _ = writeln!(
            page,
            "<g class=\"{class}\"><title>n{} holds {} from {} ms</title><circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"3\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            state.node,
            escape(&text),
            state.time_ms,
            y + NODE_LANE_PX / 2.0,
            x + 4.0,
            y + 10.0,
            escape(&text)
        );
    }
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
            let arrows = page.matches("data-msg=").count();
            assert!(
                arrows >= keyed.len() + copies,
                "seed {seed}: {arrows} arrows"
            );
            assert!(page.matches("\"msg dup").count() >= copies, "seed {seed}");
            assert!(
                page.matches("class=\"cross\"").count() >= drops,
                "seed {seed}"
            );
            let keys = history
                .operations
                .iter()
                .map(|op| &op.key)
                .collect::<BTreeSet<_>>()
                .len();
            // Every node whose siblings the trace records has a lane in every key's picture.
            let nodes: BTreeSet<u32> = events
                .iter()
                .filter_map(|event| match event {
                    TraceEvent::State { node, .. } => Some(node.0),
                    _ => None,
                })
                .collect();
            for node in &nodes {
                let lanes = page
                    .matches(&format!("class=\"node-lane\" data-node=\"{node}\""))
                    .count();
                assert_eq!(lanes, keys, "seed {seed}: n{node}");
            }
            assert_eq!(
                page.matches("class=\"node-lane\"").count() % keys,
                0,
                "seed {seed}"
            );
            assert!(page.contains("class=\"state\""), "seed {seed}");
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
                *summary = "<script>alert(1)</script>".to_string();
            }
        }
        let page = super::super::render_html(&history, &[], "t");
        assert!(!page.contains("<script>alert"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains(", delivered at "));
    }
}
