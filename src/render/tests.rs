//! Tests of the page: lanes, bars, labels, highlights and the anomaly list.

use super::*;

fn example() -> History {
    History::from_json(include_str!("../../histories/example.json")).unwrap()
}

#[test]
fn one_lane_per_client_and_one_bar_per_operation() {
    let history = example();
    let page = render_html(&history, &[], "example");
    let keys = 2;
    let clients = 3;
    assert_eq!(
        page.matches("<svg ").count(),
        keys + 1,
        "a picture per key, and the markers"
    );
    assert_eq!(page.matches(" data-key=").count(), keys);
    assert!(!page.contains("node-lane"), "no trace, no node lanes");
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
    let mut highlight = Highlight::new("StaleRead", "read <#5> missed v3 & more", vec![OpId(5)]);
    highlight.witness = true;
    let page = render_html(&history, &[highlight], "t");
    assert!(
        page.contains("class=\"op get ok anomaly witness\" data-op=\"5\""),
        "{page}"
    );
    assert!(page.contains("StaleRead: read &lt;#5&gt; missed v3 &amp; more"));
    // Only the highlighted operation is outlined.
    assert_eq!(page.matches(" anomaly witness\" data-op=").count(), 1);
    assert_eq!(page.matches(" anomaly\" data-op=").count(), 0);
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

#[test]
fn anomalies_name_their_operations_and_allowed_ones_look_different() {
    let history = example();
    let forbidden = Highlight::new("StaleRead (forbidden)", "missed", vec![OpId(5), OpId(2)]);
    let mut allowed = Highlight::new("Siblings", "two writes", vec![OpId(3)]);
    allowed.allowed_under = Some("quorum".to_string());
    let page = render_html(&history, &[forbidden, allowed], "t");
    assert!(
        page.contains(
            r#"<li class="forbidden" data-ops="5 2" title="click to show its operations">"#
        ),
        "{page}"
    );
    assert!(
        page.contains(r#"<li class="allowed" data-ops="3" title="allowed under quorum">"#),
        "{page}"
    );
    assert!(
        page.contains(r#"class="op put ok anomaly allowed" data-op="3""#),
        "{page}"
    );
    assert!(page.contains("two writes (allowed under quorum)"));
    assert!(
        page.contains(r#"class="op get ok anomaly" data-op="5""#),
        "{page}"
    );
    assert!(page.contains(r#"<div id="detail""#));
}

#[test]
fn from_report_marks_allowed_findings_with_the_model() {
    // A read that misses an acknowledged put: a stale read, which `eventual` (the model of a
    // history without a configuration) allows.
    let history = History::from_json(
        r#"{"version": 1, "operations": [
          {"id": 0, "client": 0, "key": "k", "kind": "put", "value": "a", "time_ms_invoke": 0, "time_ms_complete": 10, "outcome": "ok"},
          {"id": 2, "client": 1, "key": "k", "kind": "get", "values": [], "time_ms_invoke": 20, "time_ms_complete": 30, "outcome": "ok"}
        ]}"#,
    )
    .unwrap();
    let report = crate::check::check(&history, &crate::check::CheckOptions::default()).unwrap();
    let highlights = Highlight::from_report(&report);
    assert!(!highlights.is_empty(), "{report:?}");
    for (highlight, finding) in highlights.iter().zip(&report.anomalies) {
        assert_eq!(
            highlight.allowed_under.is_some(),
            !finding.forbidden,
            "{highlight:?}"
        );
        if let Some(model) = &highlight.allowed_under {
            assert_eq!(model, report.model.name());
        }
    }
    assert!(highlights.iter().any(|h| h.allowed_under.is_some()));
}
