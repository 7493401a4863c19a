//! The timeline picture of a history: one self-contained HTML page, no network.
//!
//! This module owns turning a history (and the anomalies to highlight, as plain data) into HTML:
//! per key, one lane per client, each operation a bar from invocation to completion labelled with
//! its values, faults as bands across the lanes, and highlighted operations outlined with the
//! anomaly's explanation on hover (an SVG `<title>`). It never runs the checker itself: the caller
//! passes [`Highlight`]s (made from a checker's report by [`Highlight::from_report`], or by hand),
//! so the picture can show anything a caller wants to point at. Forbidden anomalies are red,
//! allowed ones another colour; the anomaly list scrolls to its operations; a detail panel holds
//! the whole text of whatever was clicked.
//!
//! When the history carries a trace (`history::Trace`), each key's picture also shows the inside
//! of the store under the client lanes (`trace.rs`: node lanes, message arrows, faults on nodes,
//! sibling sets), and above the picture one or two sentences, generated from the trace, say why
//! the smallest forbidden anomaly happened, with that chain of events highlighted
//! (`explain.rs`). Every text the history brings is escaped; the page loads nothing.
//!
//! The page is one SVG per key with fixed-height lanes and an ordinal time scale that caps the
//! width, and each operation costs one short `<g>` element. It draws every tick of the whole
//! history for every key, so very large histories make very large pages (issue #19's "any size"
//! is not done).
//!
//! ```
//! use quorate::history::History;
//! use quorate::render::{render_html, Highlight};
//!
//! let history = History::from_json(include_str!("../../histories/example.json")).unwrap();
//! let highlight = Highlight::new("example", "operation 4 never answered", vec![history.operations[4].id]);
//! let page = render_html(&history, &[highlight], "example");
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! assert!(page.contains("operation 4 never answered"));
//! ```

mod assets;
mod explain;
mod narrow;
mod trace;

pub use narrow::{narrow, Narrow, NarrowError};

use assets::{LEGEND, MARKERS, SCRIPT, STYLE, TRACE_LEGEND};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::check::{explain, Report};
use crate::history::{Action, ClientId, History, Key, OpId, Operation, Outcome};

/// Something to point at in the picture: an anomaly and the operations that show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Highlight {
    /// A short name, e.g. `StaleRead`.
    pub title: String,
    /// The explanation in words, shown on hover.
    pub explanation: String,
    /// The operations it points at, by id.
    pub operations: Vec<OpId>,
    /// Whether these operations are the smallest witness, drawn with extra emphasis.
    pub witness: bool,
    /// The model under which this anomaly is allowed, if it is (drawn in another colour than
    /// the forbidden ones, and said so on hover); `None` for a forbidden anomaly or a highlight
    /// made by hand.
    pub allowed_under: Option<String>,
}

impl Highlight {
    /// The highlights for a checker's report: one per finding, forbidden ones first as the report
    /// lists them, and the smallest forbidden finding marked as the witness.
    pub fn from_report(report: &Report) -> Vec<Highlight> {
        let mut highlights: Vec<Highlight> = report
            .anomalies
            .iter()
            .map(|finding| {
                let kind = finding.anomaly.kind().name();
                let title = if finding.forbidden {
                    format!("{kind} (forbidden)")
                } else {
                    kind.to_string()
                };
                let mut highlight = Highlight::new(
                    &title,
                    &explain(&finding.anomaly, report.quorum),
                    finding.anomaly.operations(),
                );
                if !finding.forbidden {
                    highlight.allowed_under = Some(report.model.name().to_string());
                }
                highlight
            })
            .collect();
        let smallest_forbidden = report
            .anomalies
            .iter()
            .enumerate()
            .filter(|(_, finding)| finding.forbidden)
            .min_by_key(|(_, finding)| finding.anomaly.operations().len())
            .map(|(position, _)| position);
        if let Some(position) = smallest_forbidden {
            highlights[position].witness = true;
        }
        highlights
    }

    /// A highlight that is not the witness.
    pub fn new(title: &str, explanation: &str, operations: Vec<OpId>) -> Highlight {
        Highlight {
            title: title.to_string(),
            explanation: explanation.to_string(),
            operations,
            witness: false,
            allowed_under: None,
        }
    }
}

const LANE_HEIGHT_PX: f64 = 26.0;
const LABEL_WIDTH_PX: f64 = 90.0;
const AXIS_HEIGHT_PX: f64 = 22.0;
/// The timeline is ordinal: every distinct time at which something happened gets one step, so
/// short operations stay readable next to long ones while real-time order is kept exactly.
const STEP_PX_MAX: f64 = 64.0;
const STEP_PX_MIN: f64 = 6.0;
/// Past this width the steps shrink (down to the minimum), so huge histories scroll, not explode.
const WIDTH_PX_TARGET: f64 = 30_000.0;
/// The width of one character of the bars' monospace labels.
const CHAR_PX: f64 = 6.7;

/// Escapes text for HTML and SVG content and attributes.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The label written on an operation's bar.
fn label(operation: &Operation) -> String {
    let list = |values: &mut dyn Iterator<Item = String>| values.collect::<Vec<_>>().join(",");
    match &operation.action {
        Action::Get { values, .. } if operation.outcome == Outcome::Ok => {
            let shown = list(&mut values.iter().map(|read| {
                if read.tombstone {
                    format!("†{}", read.value)
                } else {
                    read.value.to_string()
                }
            }));
            format!("get {{{shown}}}")
        }
        Action::Get { .. } => "get".to_string(),
        Action::Put(write) | Action::Delete(write) => {
            let verb = if matches!(operation.action, Action::Put(_)) {
                "put"
            } else {
                "del"
            };
            if write.context.is_empty() {
                format!("{verb} {}", write.value)
            } else {
                format!(
                    "{verb} {} ⟵{{{}}}",
                    write.value,
                    list(&mut write.context.iter().map(|v| v.to_string()))
                )
            }
        }
    }
}

/// The end of the timeline: the last time anything happened.
fn time_ms_end(history: &History) -> u64 {
    let operations = history
        .operations
        .iter()
        .map(|op| op.time_ms_complete.unwrap_or(op.time_ms_invoke));
    let faults = history
        .faults
        .iter()
        .map(|fault| fault.time_ms_end.unwrap_or(fault.time_ms_start));
    operations.chain(faults).max().unwrap_or(0).max(1)
}

/// Renders the whole page.
pub fn render_html(history: &History, highlights: &[Highlight], title: &str) -> String {
    let mut marks: HashMap<OpId, Vec<&Highlight>> = HashMap::new();
    for highlight in highlights {
        for id in &highlight.operations {
            marks.entry(*id).or_default().push(highlight);
        }
    }
    let clients: BTreeSet<ClientId> = history.operations.iter().map(|op| op.client).collect();
    let lane_of: HashMap<ClientId, usize> = clients
        .iter()
        .enumerate()
        .map(|(lane, c)| (*c, lane))
        .collect();
    let mut by_key: BTreeMap<&Key, Vec<&Operation>> = BTreeMap::new();
    for operation in &history.operations {
        by_key.entry(&operation.key).or_default().push(operation);
    }
    let view = trace::TraceView::of(history);
    let nodes: Vec<u32> = view.nodes.iter().copied().collect();
    let end_ms = time_ms_end(history).max(view.times_ms().max().unwrap_or(0));
    let scale = Scale::new(history, view.times_ms());
    // The anomaly to explain: the witness, or (when it names no operation, as divergence does)
    // the first forbidden one that names some.
    let to_explain = highlights
        .iter()
        .find(|highlight| highlight.witness && !highlight.operations.is_empty())
        .or_else(|| {
            highlights.iter().find(|highlight| {
                highlight.allowed_under.is_none() && !highlight.operations.is_empty()
            })
        });
    let chain = explain::explain(history, &view, to_explain);
    let width_px = scale.x(end_ms) - LABEL_WIDTH_PX + STEP_PX_MAX;

    let mut page = String::new();
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    let _ = writeln!(page, "<title>quorate: {}</title>", escape(title));
    page.push_str(STYLE);
    page.push_str("</head><body>\n");
    let _ = writeln!(page, "<h1>{}</h1>", escape(title));
    let _ = writeln!(
        page,
        "<p class=\"summary\">{} operations by {} clients on {} keys, {} faults; the picture spans 0 to {} ms (the last answer, fault end or traced event). Hover over a bar for its details, or click it.</p>",
        history.operations.len(),
        clients.len(),
        by_key.len(),
        history.faults.len(),
        end_ms
    );
    if let Some(sentence) = &chain.sentence {
        let _ = writeln!(
            page,
            "<p class=\"why\"><b>Why:</b> {}</p>",
            escape(sentence)
        );
    }
    write_anomaly_list(&mut page, highlights);
    page.push_str(LEGEND);
    if history.trace.is_some() {
        page.push_str(TRACE_LEGEND);
    }
    page.push_str(MARKERS);
    let lanes = trace::Lanes {
        clients: &lane_of,
        nodes: &nodes,
    };
    let inside = Inside {
        view: &view,
        lanes: &lanes,
        chain: &chain,
    };
    for (key, operations) in &by_key {
        write_key_timeline(
            &mut page, history, key, operations, &marks, &scale, width_px, end_ms, &inside,
        );
    }
    page.push_str("<div id=\"detail\" class=\"detail\">Click a bar or an anomaly for its whole description.</div>\n");
    page.push_str(SCRIPT);
    page.push_str("</body></html>\n");
    page
}

/// Maps times to x positions: one step per distinct time.
struct Scale {
    times_ms: Vec<u64>,
    step_px: f64,
}

impl Scale {
    fn new(history: &History, trace_times_ms: impl Iterator<Item = u64>) -> Scale {
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
        times_ms.push(time_ms_end(history));
        times_ms.sort_unstable();
        times_ms.dedup();
        let step_px = (WIDTH_PX_TARGET / times_ms.len() as f64).clamp(STEP_PX_MIN, STEP_PX_MAX);
        Scale { times_ms, step_px }
    }

    fn x(&self, time_ms: u64) -> f64 {
        LABEL_WIDTH_PX + self.times_ms.partition_point(|t| *t < time_ms) as f64 * self.step_px
    }
}

fn write_anomaly_list(page: &mut String, highlights: &[Highlight]) {
    if highlights.is_empty() {
        page.push_str("<p class=\"clean\">No anomalies highlighted.</p>\n");
        return;
    }
    page.push_str("<ol class=\"anomalies\">\n");
    for highlight in highlights {
        let ids: Vec<String> = highlight
            .operations
            .iter()
            .map(|id| id.to_string())
            .collect();
        let numbers: Vec<String> = highlight
            .operations
            .iter()
            .map(|id| id.0.to_string())
            .collect();
        let class = match (&highlight.allowed_under, highlight.witness) {
            (Some(_), _) => "allowed",
            (None, true) => "forbidden witness",
            (None, false) => "forbidden",
        };
        let hover = match &highlight.allowed_under {
            Some(model) => format!("allowed under {model}"),
            None => "click to show its operations".to_string(),
        };
        let _ = writeln!(
            page,
            "<li class=\"{class}\" data-ops=\"{}\" title=\"{}\"><b>{}</b> ({}): {}</li>",
            numbers.join(" "),
            escape(&hover),
            escape(&highlight.title),
            escape(&ids.join(", ")),
            escape(&highlight.explanation)
        );
    }
    page.push_str("</ol>\n");
}

/// What the trace adds to every key's picture.
struct Inside<'a> {
    view: &'a trace::TraceView<'a>,
    lanes: &'a trace::Lanes<'a>,
    chain: &'a explain::Chain,
}

#[allow(clippy::too_many_arguments)]
fn write_key_timeline(
    page: &mut String,
    history: &History,
    key: &Key,
    operations: &[&Operation],
    marks: &HashMap<OpId, Vec<&Highlight>>,
    scale: &Scale,
    width_px: f64,
    end_ms: u64,
    inside: &Inside<'_>,
) {
    let lane_of = inside.lanes.clients;
    let lanes = lane_of.len();
    let client_height_px = AXIS_HEIGHT_PX + lanes as f64 * LANE_HEIGHT_PX;
    let height_px = client_height_px + inside.lanes.height();
    let svg_width_px = LABEL_WIDTH_PX + width_px + 10.0;
    let _ = writeln!(
        page,
        "<section class=\"key\"><h2>key {}</h2><div class=\"scroll\">",
        escape(&key.0)
    );
    // The lanes' names stay at the left edge however far the picture is scrolled.
    page.push_str("<div class=\"names\">");
    let mut names: Vec<(&ClientId, &usize)> = lane_of.iter().collect();
    names.sort_by_key(|(_, lane)| **lane);
    for (client, lane) in names {
        let top = AXIS_HEIGHT_PX + *lane as f64 * LANE_HEIGHT_PX + 6.0;
        let _ = write!(
            page,
            "<span style=\"top:{top:.0}px\">client {}</span>",
            client.0
        );
    }
    for node in inside.lanes.nodes {
        if let Some(top) = inside.lanes.node_top(*node) {
            let _ = write!(
                page,
                "<span style=\"top:{:.0}px\">node n{node}</span>",
                top + 8.0
            );
        }
    }
    page.push_str("</div>\n");
    let _ = writeln!(
        page,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{svg_width_px:.0}\" height=\"{height_px:.0}\" data-key=\"{}\">",
        escape(&key.0)
    );
    // Lanes, one per client.
    let mut clients: Vec<(&ClientId, &usize)> = lane_of.iter().collect();
    clients.sort_by_key(|(_, lane)| **lane);
    for (client, lane) in clients {
        let y = AXIS_HEIGHT_PX + *lane as f64 * LANE_HEIGHT_PX;
        let _ = writeln!(
            page,
            "<g class=\"lane\" data-client=\"{}\"><rect class=\"lane-bg\" x=\"0\" y=\"{y:.1}\" width=\"{svg_width_px:.0}\" height=\"{LANE_HEIGHT_PX}\"/><text class=\"lane-label\" x=\"4\" y=\"{:.1}\">client {}</text></g>",
            client.0,
            y + 17.0,
            client.0
        );
    }
    // Faults as bands behind the bars.
    for fault in &history.faults {
        let x_start = scale.x(fault.time_ms_start);
        let x_end = scale.x(fault.time_ms_end.unwrap_or(fault.time_ms_start.max(end_ms)));
        let nodes: Vec<String> = fault.nodes.iter().map(|node| node.to_string()).collect();
        let _ = writeln!(
            page,
            "<rect class=\"fault\" x=\"{x_start:.1}\" y=\"{AXIS_HEIGHT_PX}\" width=\"{:.1}\" height=\"{:.1}\"><title>{} {} from {} ms{}{}</title></rect>",
            (x_end - x_start).max(2.0),
            client_height_px - AXIS_HEIGHT_PX,
            escape(fault.kind.record_name()),
            escape(&nodes.join(" ")),
            fault.time_ms_start,
            fault.time_ms_end.map(|end| format!(" to {end} ms")).unwrap_or_default(),
            if fault.description.is_empty() { String::new() } else { format!(": {}", escape(&fault.description)) }
        );
    }
    write_axis(page, scale);
    trace::write_node_lanes(page, history, key, inside, scale, svg_width_px);
    for operation in operations {
        write_operation(
            page,
            operation,
            lane_of,
            marks.get(&operation.id),
            scale,
            time_ms_end(history),
        );
    }
    page.push_str("</svg></div></section>\n");
}

fn write_axis(page: &mut String, scale: &Scale) {
    // Label every k-th distinct time, k chosen so that labels stand about 90 px apart.
    let every = (90.0 / scale.step_px).ceil().max(1.0) as usize;
    for time_ms in scale.times_ms.iter().step_by(every) {
        let x = scale.x(*time_ms);
        let _ = writeln!(page, "<text class=\"tick\" x=\"{x:.1}\" y=\"14\">{time_ms} ms</text><line class=\"tick-line\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"17\" y2=\"{AXIS_HEIGHT_PX}\"/>");
    }
}

fn write_operation(
    page: &mut String,
    operation: &Operation,
    lane_of: &HashMap<ClientId, usize>,
    marks: Option<&Vec<&Highlight>>,
    scale: &Scale,
    end_ms: u64,
) {
    let lane = lane_of[&operation.client];
    let y = AXIS_HEIGHT_PX + lane as f64 * LANE_HEIGHT_PX + 4.0;
    let x_start = scale.x(operation.time_ms_invoke);
    let open = operation.time_ms_complete.is_none();
    let x_end = match operation.time_ms_complete {
        Some(complete) => scale.x(complete),
        None => scale.x(end_ms) + scale.step_px,
    };
    let width = (x_end - x_start).max(scale.step_px * 0.6);
    // The label is cut to the bar; the tooltip has it whole.
    let fits = ((width - 4.0) / CHAR_PX).floor().max(0.0) as usize;
    let text = label(operation);
    let shown: String = if text.chars().count() <= fits {
        text.clone()
    } else {
        let mut cut: String = text.chars().take(fits.saturating_sub(1)).collect();
        if fits > 0 {
            cut.push('…');
        }
        cut
    };
    let outcome = match operation.outcome {
        Outcome::Ok => "ok",
        Outcome::Fail => "fail",
        Outcome::Info => "info",
    };
    let mut classes = format!("op {} {outcome}", operation.kind());
    if open {
        classes.push_str(" open");
    }
    if let Some(marks) = marks {
        classes.push_str(" anomaly");
        if marks.iter().any(|highlight| highlight.witness) {
            classes.push_str(" witness");
        }
        // Red if any of its anomalies is forbidden; the allowed colour only if all are allowed.
        if marks
            .iter()
            .all(|highlight| highlight.allowed_under.is_some())
        {
            classes.push_str(" allowed");
        }
    }
    let mut tooltip = format!(
        "{} by client {} on key {}: {} — {}, invoked at {} ms, {}",
        operation.id,
        operation.client.0,
        operation.key,
        text,
        outcome,
        operation.time_ms_invoke,
        match operation.time_ms_complete {
            Some(end) => format!("answered at {end} ms"),
            None => "never answered".to_string(),
        }
    );
    for highlight in marks.into_iter().flatten() {
        let _ = write!(tooltip, "\n{}: {}", highlight.title, highlight.explanation);
        if let Some(model) = &highlight.allowed_under {
            let _ = write!(tooltip, " (allowed under {model})");
        }
    }
    let _ = writeln!(
        page,
        "<g class=\"{classes}\" data-op=\"{}\"><title>{}</title><rect x=\"{x_start:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\" rx=\"3\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
        operation.id.0,
        escape(&tooltip),
        LANE_HEIGHT_PX - 8.0,
        x_start + 3.0,
        y + 13.0,
        escape(&shown)
    );
}

#[cfg(test)]
mod tests;
