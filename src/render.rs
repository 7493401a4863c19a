//! The timeline picture of a history: one self-contained HTML page, no network.
//!
//! This module owns turning a history (and the anomalies to highlight, as plain data) into HTML:
//! per key, one lane per client, each operation a bar from invocation to completion labelled with
//! its values, faults as bands across the lanes, and highlighted operations outlined with the
//! anomaly's explanation on hover (an SVG `<title>`). It never runs the checker itself: the caller
//! passes [`Highlight`]s (made from a checker's report by [`Highlight::from_report`], or by hand),
//! so the picture can show anything a caller wants to point at.
//!
//! Large histories stay usable: the page is one SVG per key with fixed-height lanes and a time
//! scale that caps the width, so it scrolls instead of growing without bound, and each operation
//! costs one short `<g>` element.
//!
//! ```
//! use quorate::history::History;
//! use quorate::render::{render_html, Highlight};
//!
//! let history = History::from_json(include_str!("../histories/example.json")).unwrap();
//! let highlight = Highlight::new("example", "operation 4 never answered", vec![history.operations[4].id]);
//! let page = render_html(&history, &[highlight], "example");
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! assert!(page.contains("operation 4 never answered"));
//! ```

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
    pub operations: Vec<OpId>,
    /// Whether these operations are the smallest witness, drawn with extra emphasis.
    pub witness: bool,
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
                Highlight::new(
                    &title,
                    &explain(&finding.anomaly, report.quorum),
                    finding.anomaly.operations(),
                )
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

    pub fn new(title: &str, explanation: &str, operations: Vec<OpId>) -> Highlight {
        Highlight {
            title: title.to_string(),
            explanation: explanation.to_string(),
            operations,
            witness: false,
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
    let end_ms = time_ms_end(history);
    let scale = Scale::new(history);
    let width_px = scale.x(end_ms) - LABEL_WIDTH_PX + STEP_PX_MAX;

    let mut page = String::new();
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    let _ = writeln!(page, "<title>quorate: {}</title>", escape(title));
    page.push_str(STYLE);
    page.push_str("</head><body>\n");
    let _ = writeln!(page, "<h1>{}</h1>", escape(title));
    let _ = writeln!(
        page,
        "<p class=\"summary\">{} operations by {} clients on {} keys, {} faults; the picture spans 0 to {} ms (the last answer or fault end). Hover over a bar for its details.</p>",
        history.operations.len(),
        clients.len(),
        by_key.len(),
        history.faults.len(),
        end_ms
    );
    write_anomaly_list(&mut page, highlights);
    page.push_str(LEGEND);
    for (key, operations) in &by_key {
        write_key_timeline(
            &mut page, history, key, operations, &lane_of, &marks, &scale, width_px,
        );
    }
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
    fn new(history: &History) -> Scale {
        let mut times_ms: Vec<u64> = Vec::with_capacity(history.operations.len() * 2 + 1);
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
        let _ = writeln!(
            page,
            "<li class=\"{}\"><b>{}</b> ({}): {}</li>",
            if highlight.witness {
                "witness"
            } else {
                "anomaly"
            },
            escape(&highlight.title),
            escape(&ids.join(", ")),
            escape(&highlight.explanation)
        );
    }
    page.push_str("</ol>\n");
}

#[allow(clippy::too_many_arguments)]
fn write_key_timeline(
    page: &mut String,
    history: &History,
    key: &Key,
    operations: &[&Operation],
    lane_of: &HashMap<ClientId, usize>,
    marks: &HashMap<OpId, Vec<&Highlight>>,
    scale: &Scale,
    width_px: f64,
) {
    let lanes = lane_of.len();
    let height_px = AXIS_HEIGHT_PX + lanes as f64 * LANE_HEIGHT_PX;
    let svg_width_px = LABEL_WIDTH_PX + width_px + 10.0;
    let _ = writeln!(
        page,
        "<section class=\"key\"><h2>key {}</h2><div class=\"scroll\">",
        escape(&key.0)
    );
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
        let x_end = scale.x(fault
            .time_ms_end
            .unwrap_or(fault.time_ms_start.max(time_ms_end(history))));
        let nodes: Vec<String> = fault.nodes.iter().map(|node| node.to_string()).collect();
        let _ = writeln!(
            page,
            "<rect class=\"fault\" x=\"{x_start:.1}\" y=\"{AXIS_HEIGHT_PX}\" width=\"{:.1}\" height=\"{:.1}\"><title>{} {} from {} ms{}{}</title></rect>",
            (x_end - x_start).max(2.0),
            height_px - AXIS_HEIGHT_PX,
            escape(fault.kind.record_name()),
            escape(&nodes.join(" ")),
            fault.time_ms_start,
            fault.time_ms_end.map(|end| format!(" to {end} ms")).unwrap_or_default(),
            if fault.description.is_empty() { String::new() } else { format!(": {}", escape(&fault.description)) }
        );
    }
    write_axis(page, scale);
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

const STYLE: &str = r#"<style>
body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; } h2 { font-size: 14px; margin: 18px 0 4px; }
.scroll { overflow-x: auto; border: 1px solid #ddd; }
svg text { font: 11px ui-monospace, monospace; pointer-events: none; }
.lane-bg { fill: #fafafa; stroke: #eee; }
.lane-label { fill: #666; }
.tick { fill: #888; }
.tick-line { stroke: #ccc; }
.op rect { stroke: #456; stroke-width: 1; }
.op.ok rect { fill: #cfe3ff; }
.op.fail rect { fill: #ffd6d6; }
.op.info rect { fill: #e6e6e6; stroke-dasharray: 4 2; }
.op.get.ok rect { fill: #d9f2d9; }
.op:hover rect { stroke-width: 2; }
.op.anomaly rect { stroke: #d40000; stroke-width: 2.5; }
.op.witness rect { stroke: #d40000; stroke-width: 4; }
.op.focus rect { fill: #ffef5c; }
.anomalies li { cursor: pointer; }
.fault { fill: #ffb000; opacity: 0.18; }
.anomalies li.witness { font-weight: 600; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border: 1px solid #456; border-radius: 3px; }
</style>
"#;

/// Clicking an anomaly in the list outlines its operations and scrolls to the first one. The page
/// marks itself ready when the script has run, so a browser test can tell it ran without error.
const SCRIPT: &str = r#"<script>
"use strict";
for (const item of document.querySelectorAll("li[data-ops]")) {
  item.addEventListener("click", () => {
    for (const old of document.querySelectorAll(".op.focus")) old.classList.remove("focus");
    const ids = item.dataset.ops.split(" ");
    let first = null;
    for (const id of ids) {
      for (const bar of document.querySelectorAll(`.op[data-op="${id}"]`)) {
        bar.classList.add("focus");
        first = first || bar;
      }
    }
    if (first) first.scrollIntoView({ block: "center", inline: "center" });
  });
}
document.body.dataset.ready = "yes";
</script>
"#;

const LEGEND: &str = r#"<p class="legend"><span style="background:#cfe3ff">put/delete ok</span><span style="background:#d9f2d9">get ok</span><span style="background:#ffd6d6">fail</span><span style="background:#e6e6e6;border-style:dashed">info (no answer)</span><span style="border-color:#d40000;border-width:2px">anomaly</span><span style="background:#ffe8b3">fault</span></p>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> History {
        History::from_json(include_str!("../histories/example.json")).unwrap()
    }

    #[test]
    fn one_lane_per_client_and_one_bar_per_operation() {
        let history = example();
        let page = render_html(&history, &[], "example");
        let keys = 2;
        let clients = 3;
        assert_eq!(page.matches("<svg ").count(), keys);
        assert_eq!(page.matches("class=\"lane\"").count(), keys * clients);
        assert_eq!(
            page.matches("<g class=\"op ").count(),
            history.operations.len()
        );
        assert_eq!(
            page.matches("class=\"fault\"").count(),
            keys * history.faults.len()
        );
        assert!(page.contains("No anomalies highlighted."));
    }

    #[test]
    fn highlighted_operations_carry_the_explanation() {
        let history = example();
        let mut highlight =
            Highlight::new("StaleRead", "read <#5> missed v3 & more", vec![OpId(5)]);
        highlight.witness = true;
        let page = render_html(&history, &[highlight], "t");
        assert!(
            page.contains("class=\"op get ok anomaly witness\" data-op=\"5\""),
            "{page}"
        );
        assert!(page.contains("StaleRead: read &lt;#5&gt; missed v3 &amp; more"));
        assert_eq!(page.matches(" anomaly").count(), 1);
    }

    #[test]
    fn labels_show_values_contexts_and_tombstones() {
        let history = example();
        let labels: Vec<String> = history.operations.iter().map(label).collect();
        assert_eq!(labels[2], "get {v1,v2}");
        assert_eq!(labels[3], "put v3 ⟵{v1,v2}");
        assert_eq!(labels[6], "get {†d1}");
        assert_eq!(labels[4], "del d1 ⟵{v3}");
    }
}
