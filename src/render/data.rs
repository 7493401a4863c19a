//! The page's data: the history as compact columns of numbers, embedded in the page as one JSON
//! object inside `<script type="application/json" id="quorate-data">`, which the page's script
//! reads and draws (only what is in view).
//!
//! This file owns that encoding and its escaping. It never writes markup, never judges (the
//! highlights and the explanation's chain come from the caller), and writes every text through
//! [`json_string`], which escapes `<`, `>` and `&` besides what JSON needs, so no text of a
//! history can end the script element or open another: the page's data is inert.
//!
//! The format (`"format": "quorate-timeline-1"`), all times as ranks on the ordinal time axis
//! (one step per distinct time at which something happened, `times` holding the distinct times
//! in ms, delta coded):
//! - `clients` (lane order), `keys`, `nodes` (trace lanes), `strings` (the values' texts, in the
//!   order the operations first name them);
//! - `ops`: `count` operations, one entry per operation in every column, in the history's
//!   order: `id` (delta from the previous id; left out, with `id0` the first id, when the ids
//!   count up by one), `m` (what and where, packed: `f + 18 × (lane + clients × key)`, where `f`
//!   is `kind + 3 × outcome + 9 × open`, kinds get, put, delete, outcomes ok, fail, info), `a`
//!   (invocation rank, delta from the previous operation's), `d` (completion rank minus
//!   invocation rank), `n` (values a get returned, or a write's context length), and `r`,
//!   flattened: a write's value then its context, a get's values, each a string reference (0
//!   for the next new string, else how far back from the strings seen so far), a get's doubled
//!   with its tombstone bit;
//! - optionally `unit` (`"event"` when times are a file's event positions rather than ms) and
//!   `labels` (one per operation, in the history's order: its label, or `null` for the usual
//!   one made from its values);
//! - `faults` (`[start, end, text]`), `nodeFaults` (`[start, end, node lane, text]`), `trace`
//!   (per key: `[key, messages, states]`, a message `[sent, arrived or -1, from lane, to lane,
//!   fate, flags, text, label]`, a state `[rank, node lane, siblings, chain]`) and `anomalies`
//!   (`{"t": title, "x": explanation, "o": operation ids, "w": witness, "m": allowed under}`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use rustc_hash::FxHashMap;

use crate::history::{Action, ClientId, Endpoint, History, Key, OpId, Outcome};

use super::{Extras, Highlight, TimeUnit};
use crate::cause::view::{message_text, set_text, Fate, TraceView};
use crate::cause::Chain;

/// The name of the data's format, which the page's script checks.
pub(super) const FORMAT: &str = "quorate-timeline-1";

/// Appends `text` as a JSON string that is safe inside a `<script>` element: besides the
/// quote, the backslash and control characters, `<`, `>` and `&` are written as `\u` escapes
/// (so neither `</script>` nor `<!--` can appear), and so are U+2028 and U+2029.
pub(super) fn json_string(out: &mut String, text: &str) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            control if (control as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", control as u32);
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

/// The ordinal time axis: one step per distinct time at which something is drawn.
#[derive(Debug)]
pub(super) struct Ranks {
    /// The distinct times, ascending.
    pub times_ms: Vec<u64>,
}

impl Ranks {
    pub(super) fn new(history: &History, trace_times_ms: impl Iterator<Item = u64>) -> Ranks {
        let mut times_ms: Vec<u64> = Vec::with_capacity(history.operations.len() * 2 + 1);
        times_ms.extend(trace_times_ms);
        for operation in &history.operations {
            times_ms.push(operation.time_ms_invoke);
            times_ms.extend(operation.time_ms_complete);
        }
        for fault in &history.faults {
            times_ms.push(fault.time_ms_start);
            times_ms.extend(fault.time_ms_end);
        }
        times_ms.push(0);
        times_ms.sort_unstable();
        times_ms.dedup();
        Ranks { times_ms }
    }

    /// The rank of a time: how many distinct times come before it.
    pub(super) fn rank(&self, time_ms: u64) -> i64 {
        self.times_ms.partition_point(|t| *t < time_ms) as i64
    }

    /// The last time on the axis.
    pub(super) fn end_ms(&self) -> u64 {
        self.times_ms.last().copied().unwrap_or(0)
    }
}

/// The strings the operations name, each once, numbered in the order they are first named.
#[derive(Default)]
struct Strings<'h> {
    index: FxHashMap<&'h str, u32>,
    texts: Vec<&'h str>,
}

impl<'h> Strings<'h> {
    /// The reference to `text`: 0 if it is new (it becomes the next string), else how far back
    /// from the count of strings seen so far.
    fn reference(&mut self, text: &'h str) -> u64 {
        let seen = self.texts.len() as u64;
        match self.index.get(text) {
            Some(&position) => seen - u64::from(position),
            None => {
                self.index.insert(text, self.texts.len() as u32);
                self.texts.push(text);
                0
            }
        }
    }
}

/// One column of numbers: `"name":[1,2,3]`.
#[derive(Default)]
struct Column(String);

impl Column {
    /// Appends a number (as wide as the history's ids and times; JSON numbers have no bound,
    /// though the page's script reads those past 2^53 approximately).
    fn push(&mut self, number: impl Into<i128>) {
        let number: i128 = number.into();
        if !self.0.is_empty() {
            self.0.push(',');
        }
        let _ = write!(self.0, "{number}");
    }

    fn write(&self, out: &mut String, name: &str) {
        let _ = write!(out, "\"{name}\":[{}]", self.0);
    }
}

/// Where things go: the lanes of clients and nodes and the order of keys.
pub(super) struct Layout<'h> {
    pub clients: Vec<ClientId>,
    pub lane_of: HashMap<ClientId, usize>,
    pub keys: Vec<&'h Key>,
    pub key_of: HashMap<&'h Key, usize>,
    pub nodes: Vec<u32>,
}

impl<'h> Layout<'h> {
    pub(super) fn of(history: &'h History, view: &TraceView<'_>) -> Layout<'h> {
        let clients: Vec<ClientId> = history
            .operations
            .iter()
            .map(|op| op.client)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let lane_of = clients
            .iter()
            .enumerate()
            .map(|(lane, client)| (*client, lane))
            .collect();
        let keys: Vec<&Key> = history
            .operations
            .iter()
            .map(|op| &op.key)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let key_of = keys
            .iter()
            .enumerate()
            .map(|(index, key)| (*key, index))
            .collect();
        Layout {
            clients,
            lane_of,
            keys,
            key_of,
            nodes: view.nodes.iter().copied().collect(),
        }
    }

    /// The lane of a message's end: a client's lane, or (after the clients) a node's.
    fn lane(&self, end: Endpoint) -> Option<usize> {
        match end {
            Endpoint::Client(client) => self.lane_of.get(&client).copied(),
            Endpoint::Node(node) => self
                .nodes
                .iter()
                .position(|n| *n == node.0)
                .map(|position| self.clients.len() + position),
        }
    }

    fn node_lane(&self, node: u32) -> Option<usize> {
        self.nodes.iter().position(|n| *n == node)
    }
}

/// What the data is made from.
pub(super) struct Input<'a, 'h> {
    pub history: &'h History,
    pub highlights: &'a [Highlight],
    pub view: &'a TraceView<'h>,
    pub chain: &'a Chain,
    pub layout: &'a Layout<'h>,
    pub ranks: &'a Ranks,
    pub extras: &'a Extras,
}

/// The page's data as one JSON object, safe to place inside a `<script>` element.
pub(super) fn encode(input: &Input<'_, '_>) -> String {
    let Input {
        history,
        highlights,
        view,
        chain,
        layout,
        ranks,
        extras,
    } = input;
    let end_ms = ranks.end_ms();
    let end = ranks.rank(end_ms);
    let mut out = String::with_capacity(history.operations.len() * 24 + 4096);
    out.push('{');
    let _ = write!(
        out,
        "\"format\":\"{FORMAT}\",\"endMs\":{end_ms},\"end\":{end},"
    );
    let mut times = Column::default();
    let mut previous = 0;
    for time_ms in &ranks.times_ms {
        times.push(i128::from(time_ms - previous));
        previous = *time_ms;
    }
    times.write(&mut out, "times");
    out.push_str(",\"clients\":[");
    for (position, client) in layout.clients.iter().enumerate() {
        if position > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}", client.0);
    }
    out.push_str("],\"keys\":[");
    for (position, key) in layout.keys.iter().enumerate() {
        if position > 0 {
            out.push(',');
        }
        json_string(&mut out, key.as_str());
    }
    out.push_str("],\"nodes\":[");
    for (position, node) in layout.nodes.iter().enumerate() {
        if position > 0 {
            out.push(',');
        }
        let _ = write!(out, "{node}");
    }
    out.push_str("],");

    let mut strings = Strings::default();
    let names = ["id", "m", "a", "d", "n", "r"];
    let mut columns: [Column; 6] = Default::default();
    let (mut previous_id, mut previous_rank) = (0i128, 0i64);
    let first_id = history.operations.first().map_or(0, |op| op.id.0);
    let counting = history
        .operations
        .iter()
        .enumerate()
        .all(|(index, op)| Some(op.id.0) == first_id.checked_add(index as u64));
    let clients = layout.clients.len() as i64;
    for operation in &history.operations {
        let [id, what, invoke, duration, count, references] = &mut columns;
        let this_id = i128::from(operation.id.0);
        if !counting {
            id.push(this_id - previous_id);
        }
        previous_id = this_id;
        let lane = layout.lane_of[&operation.client] as i64;
        let key = layout.key_of[&operation.key] as i64;
        let kind = match operation.action {
            Action::Get { .. } => 0,
            Action::Put(_) => 1,
            Action::Delete(_) => 2,
        };
        let outcome = match operation.outcome {
            Outcome::Ok => 0,
            Outcome::Fail => 1,
            Outcome::Info => 2,
        };
        let open = i64::from(operation.time_ms_complete.is_none());
        what.push(kind + 3 * outcome + 9 * open + 18 * (lane + clients * key));
        let rank = ranks.rank(operation.time_ms_invoke);
        invoke.push(rank - previous_rank);
        previous_rank = rank;
        duration.push(
            operation
                .time_ms_complete
                .map_or(0, |complete| ranks.rank(complete) - rank),
        );
        match &operation.action {
            Action::Get { values, .. } => {
                let shown = if operation.outcome == Outcome::Ok {
                    values.as_slice()
                } else {
                    &[]
                };
                count.push(shown.len() as i64);
                for read in shown {
                    let reference = strings.reference(read.value.as_str());
                    references.push((reference * 2 + u64::from(read.tombstone)) as i64);
                }
            }
            Action::Put(write) | Action::Delete(write) => {
                count.push(write.context.len() as i64);
                references.push(strings.reference(write.value.as_str()) as i64);
                for value in &write.context {
                    references.push(strings.reference(value.as_str()) as i64);
                }
            }
        }
    }
    let _ = write!(
        out,
        "\"ops\":{{\"id0\":{first_id},\"count\":{}",
        history.operations.len()
    );
    for (column, name) in columns.iter().zip(names) {
        if name == "id" && counting {
            continue;
        }
        out.push(',');
        column.write(&mut out, name);
    }
    out.push_str("},\"strings\":[");
    for (position, text) in strings.texts.iter().enumerate() {
        if position > 0 {
            out.push(',');
        }
        json_string(&mut out, text);
    }
    out.push_str("],");
    write_labels(&mut out, history, extras);

    write_faults(&mut out, history, view, layout, ranks);
    write_trace(&mut out, history, view, chain, layout, ranks);
    write_anomalies(&mut out, highlights);
    out.push('}');
    out
}

/// The caller's labels, when there are any: `"unit"` and `"labels"`, one entry per operation in
/// the history's order (`null` for one drawn with its usual label).
fn write_labels(out: &mut String, history: &History, extras: &Extras) {
    if extras.unit == TimeUnit::Event {
        out.push_str("\"unit\":\"event\",");
    }
    if extras.labels.is_empty() {
        return;
    }
    out.push_str("\"labels\":[");
    for (position, operation) in history.operations.iter().enumerate() {
        if position > 0 {
            out.push(',');
        }
        match extras.labels.get(&operation.id) {
            Some(label) => json_string(out, label),
            None => out.push_str("null"),
        }
    }
    out.push_str("],");
}

fn write_faults(
    out: &mut String,
    history: &History,
    view: &TraceView<'_>,
    layout: &Layout<'_>,
    ranks: &Ranks,
) {
    let end_ms = ranks.end_ms();
    out.push_str("\"faults\":[");
    for (index, fault) in history.faults.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let nodes: Vec<String> = fault.nodes.iter().map(|node| node.to_string()).collect();
        let text = format!(
            "{} {} from {} ms{}{}",
            fault.kind.record_name(),
            nodes.join(" "),
            fault.time_ms_start,
            fault
                .time_ms_end
                .map(|end| format!(" to {end} ms"))
                .unwrap_or_default(),
            if fault.description.is_empty() {
                String::new()
            } else {
                format!(": {}", fault.description)
            }
        );
        let start = ranks.rank(fault.time_ms_start);
        let end = ranks.rank(fault.time_ms_end.unwrap_or(fault.time_ms_start.max(end_ms)));
        let _ = write!(out, "[{start},{end},");
        json_string(out, &text);
        out.push(']');
    }
    out.push_str("],\"nodeFaults\":[");
    let mut first = true;
    if history.trace.is_some() {
        for (index, fault) in history.faults.iter().enumerate() {
            let (start, end) = view
                .fault_spans
                .get(&index)
                .copied()
                .unwrap_or((fault.time_ms_start, fault.time_ms_end));
            for node in &fault.nodes {
                let Some(lane) = layout.node_lane(node.0) else {
                    continue;
                };
                if !first {
                    out.push(',');
                }
                first = false;
                let text = format!(
                    "{} on n{} from {start} ms{}: {}",
                    fault.kind.record_name(),
                    node.0,
                    end.map(|end| format!(" to {end} ms")).unwrap_or_default(),
                    fault.description
                );
                let _ = write!(
                    out,
                    "[{},{},{lane},",
                    ranks.rank(start),
                    ranks.rank(end.unwrap_or(start))
                );
                json_string(out, &text);
                out.push(']');
            }
        }
    }
    out.push_str("],");
}

/// Per key: its messages (arrows between lanes) and its replicas' sibling sets.
fn write_trace(
    out: &mut String,
    history: &History,
    view: &TraceView<'_>,
    chain: &Chain,
    layout: &Layout<'_>,
    ranks: &Ranks,
) {
    out.push_str("\"trace\":[");
    let present: BTreeSet<OpId> = if history.trace.is_some() {
        history.operations.iter().map(|op| op.id).collect()
    } else {
        BTreeSet::new()
    };
    let mut first_key = true;
    let by_key: BTreeMap<usize, _> = view
        .keys
        .iter()
        .filter_map(|(key, key_trace)| Some((*layout.key_of.get(key)?, key_trace)))
        .collect();
    for (key, key_trace) in by_key {
        if !first_key {
            out.push(',');
        }
        first_key = false;
        let _ = write!(out, "[{key},[");
        let mut first = true;
        for message in &key_trace.messages {
            let (Some(from), Some(to)) = (layout.lane(message.from), layout.lane(message.to))
            else {
                continue;
            };
            if !first {
                out.push(',');
            }
            first = false;
            let (arrived, fate) = match message.fate {
                Fate::Delivered(time_ms) => (ranks.rank(time_ms), 0),
                Fate::Dropped(time_ms, _) => (ranks.rank(time_ms), 1),
                Fate::Lost => (-1, 2),
            };
            let in_chain = chain.messages.contains(&message.number);
            // Messages of operations a minimized history dropped stay, faint: they are how the
            // replicas came to hold what they held.
            let gone = message.op.is_some_and(|op| !present.contains(&op));
            let flags = i32::from(message.copy_of.is_some())
                | i32::from(in_chain) << 1
                | i32::from(gone) << 2;
            let _ = write!(
                out,
                "[{},{arrived},{from},{to},{fate},{flags},",
                ranks.rank(message.time_ms)
            );
            json_string(out, &message_text(message));
            out.push(',');
            // The chain's messages say what they carry without hovering.
            json_string(out, if in_chain { message.summary } else { "" });
            out.push(']');
        }
        out.push_str("],[");
        let mut first = true;
        for state in &key_trace.states {
            let Some(lane) = layout.node_lane(state.node) else {
                continue;
            };
            if !first {
                out.push(',');
            }
            first = false;
            let _ = write!(out, "[{},{lane},", ranks.rank(state.time_ms));
            json_string(out, &set_text(state.values, state.tombstones));
            let _ = write!(
                out,
                ",{},{}]",
                i32::from(chain.states.contains(&state.index)),
                state.time_ms
            );
        }
        out.push_str("]]");
    }
    out.push_str("],");
}

fn write_anomalies(out: &mut String, highlights: &[Highlight]) {
    out.push_str("\"anomalies\":[");
    for (position, highlight) in highlights.iter().enumerate() {
        if position > 0 {
            out.push(',');
        }
        out.push_str("{\"t\":");
        json_string(out, &highlight.title);
        out.push_str(",\"x\":");
        json_string(out, &highlight.explanation);
        out.push_str(",\"o\":[");
        for (index, id) in highlight.operations.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            let _ = write!(out, "{}", id.0);
        }
        let _ = write!(out, "],\"w\":{},\"m\":", u8::from(highlight.witness));
        match &highlight.allowed_under {
            Some(model) => json_string(out, model),
            None => out.push_str("null"),
        }
        out.push('}');
    }
    out.push(']');
}
