//! The timeline picture of a history: one self-contained HTML page, no network, of any size.
//!
//! This module owns turning a history (and the anomalies to highlight, as plain data) into that
//! page. The page holds the history as data (`data.rs`: compact columns of numbers embedded as
//! inert JSON, every text escaped) and a script (`assets.rs`) that draws on a canvas only what is
//! in view: all keys stacked on one shared time axis, per key one lane per client, each
//! operation a bar from invocation to completion labelled with its values, faults as bands
//! across the lanes, and highlighted operations outlined. It zooms and pans (wheel, drag,
//! buttons, keyboard), and its anomaly list brings each anomaly's operations into view and
//! highlights them; forbidden anomalies are red, allowed ones purple with "allowed under MODEL"
//! in their hover text; a label cut to its bar is whole on hover and in the detail panel.
//!
//! The time axis is ordinal (one step per distinct time at which something happened), so short
//! operations stay readable beside long ones and real-time order is kept exactly. The page's
//! size is linear in the history (about 24 bytes an operation of a simulated history) and its
//! drawing costs what is in view, so a million operations render and open in seconds
//! (`benches/render.rs`).
//!
//! When the history carries a trace (`history::Trace`), each key's picture also shows the inside
//! of the store under the client lanes (node lanes, message arrows, faults on nodes, sibling
//! sets, read from the trace by `crate::cause::view`), windowed the same way, and above the
//! picture one or two sentences, generated from the trace, say why the smallest forbidden anomaly
//! happened, with that chain of events highlighted and in view as the page opens
//! (`crate::cause`).
//!
//! An external history (Knossos / Jepsen EDN, a Jepsen log, a Porcupine log) is drawn the same
//! way with the linearizability checker's result on it (`external.rs`): the operation that cannot
//! be linearized, and the longest linearizable prefix numbered in its order with the model's state
//! after each step, in the caller's labels ([`Extras`]).
//!
//! It never runs the checker itself: the caller passes [`Highlight`]s (made from a checker's
//! report by [`Highlight::from_report`], or by hand), so the picture can show anything a caller
//! wants to point at. It never loads anything from the network and never lets a text of the
//! history reach the page as markup or script.
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
mod data;
pub mod external;
mod narrow;

pub use narrow::{narrow, Narrow, NarrowError};

use assets::{LEGEND, SCRIPT, STYLE, TRACE_LEGEND, VIEW};

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::cause::{self, view::TraceView};
use crate::check::{explain, Report};
use crate::history::{History, OpId};

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

/// Escapes text for HTML content and attributes.
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

/// What the page's times count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeUnit {
    /// Milliseconds, simulated or recorded (quorate's histories).
    #[default]
    Milliseconds,
    /// Positions among a file's events (external histories, which record no clock).
    Event,
}

/// What a page may carry besides a history and its highlights.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// Operations' labels, drawn instead of the ones made from their values (an external
    /// history's `cas [1 2] ✗`); an operation without one gets its usual label.
    pub labels: HashMap<OpId, String>,
    /// What the history's times count.
    pub unit: TimeUnit,
    /// The sentence above the picture, when the trace gives none.
    pub sentence: Option<String>,
}

/// Renders the whole page: the history as data for the page's script, which draws what is in
/// view (see the module's documentation).
pub fn render_html(history: &History, highlights: &[Highlight], title: &str) -> String {
    render_html_with(history, highlights, title, &Extras::default())
}

/// [`render_html`], with labels, a time unit or a sentence of the caller's (an external
/// history's picture: `external::picture`).
pub fn render_html_with(
    history: &History,
    highlights: &[Highlight],
    title: &str,
    extras: &Extras,
) -> String {
    let view = TraceView::of(history);
    let layout = data::Layout::of(history, &view);
    let ranks = data::Ranks::new(history, view.times_ms());
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
    // An anomaly that names no operation (replicas that disagree at the end, or keep an
    // overwritten sibling) is explained by the writes they end with, when nothing forbidden
    // names any.
    let chain = match to_explain {
        Some(highlight) => cause::explain(history, &view, &highlight.operations),
        None if highlights
            .iter()
            .any(|highlight| highlight.allowed_under.is_none()) =>
        {
            cause::explain_replicas(history, &view)
        }
        None => cause::Chain::default(),
    };
    let encoded = data::encode(&data::Input {
        history,
        highlights,
        view: &view,
        chain: &chain,
        layout: &layout,
        ranks: &ranks,
        extras,
    });

    let mut page = String::with_capacity(encoded.len() + 64 * highlights.len() + 16_384);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    let _ = writeln!(page, "<title>quorate: {}</title>", escape(title));
    page.push_str(STYLE);
    page.push_str("</head><body>\n");
    let _ = writeln!(page, "<h1>{}</h1>", escape(title));
    let span = match extras.unit {
        TimeUnit::Milliseconds => format!(
            "{} faults; the picture spans 0 to {} ms (the last answer, fault end or traced event)",
            history.faults.len(),
            ranks.end_ms()
        ),
        TimeUnit::Event => format!(
            "the picture spans the file's events 0 to {}",
            ranks.end_ms()
        ),
    };
    let _ = writeln!(
        page,
        "<p class=\"summary\">{} operations by {} clients on {} keys, {span}, all keys on one time axis.</p>",
        history.operations.len(),
        layout.clients.len(),
        layout.keys.len(),
    );
    if let Some(sentence) = chain.sentence.as_ref().or(extras.sentence.as_ref()) {
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
    page.push_str("<noscript><p>The picture and the anomaly list are drawn by the page's script.</p></noscript>\n");
    page.push_str(VIEW);
    page.push_str("<script type=\"application/json\" id=\"quorate-data\">");
    page.push_str(&encoded);
    page.push_str("</script>\n");
    page.push_str(SCRIPT);
    page.push_str("</body></html>\n");
    page
}

/// The anomaly list's place: the page's script fills it from the data (each anomaly once in the
/// page, however many there are).
fn write_anomaly_list(page: &mut String, highlights: &[Highlight]) {
    if highlights.is_empty() {
        page.push_str("<p class=\"clean\">No anomalies highlighted.</p>\n");
        return;
    }
    let _ = writeln!(
        page,
        "<ol class=\"anomalies\" id=\"anomalies\" data-count=\"{}\"></ol>",
        highlights.len()
    );
}

#[cfg(test)]
mod tests;
