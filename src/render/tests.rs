//! Tests of the page without a browser: the data it embeds (decoded here as the page's script
//! decodes it), its escaping, its size, highlights and the anomaly list.

use std::collections::BTreeSet;

use super::*;
use crate::config::Config;
use crate::gen::{self, WorkloadOptions};
use crate::history::{Action, FaultType, Outcome, TraceEvent};

fn example() -> History {
    History::from_json(include_str!("../../histories/example.json")).unwrap()
}

/// The page's data, parsed.
pub(super) fn data_of(page: &str) -> serde_json::Value {
    let opening = "<script type=\"application/json\" id=\"quorate-data\">";
    let start = page.find(opening).expect("the page embeds its data") + opening.len();
    let end = start + page[start..].find("</script>").expect("the data ends");
    serde_json::from_str(&page[start..end]).expect("the data is JSON")
}

fn numbers(value: &serde_json::Value) -> Vec<i64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_i64().unwrap())
        .collect()
}

/// One operation as the page's script decodes it.
#[derive(Debug, PartialEq)]
struct Decoded {
    id: u64,
    client: u64,
    key: String,
    label: String,
    invoke_ms: u64,
    complete_ms: Option<u64>,
}

/// Decodes the operations as the page's script does (`assets.rs`), labels included.
fn decode(data: &serde_json::Value) -> Vec<Decoded> {
    let ops = &data["ops"];
    let column = |name: &str| numbers(&ops[name]);
    let (m, a, d, n, r) = (
        column("m"),
        column("a"),
        column("d"),
        column("n"),
        column("r"),
    );
    let count = ops["count"].as_u64().unwrap() as usize;
    assert_eq!(m.len(), count);
    let first = ops["id0"].as_i64().unwrap();
    // Left out when the ids count up by one.
    let id = if ops["id"].is_null() {
        (0..count as i64)
            .map(|i| if i == 0 { first } else { 1 })
            .collect()
    } else {
        column("id")
    };
    let clients = data["clients"].as_array().unwrap().len() as i64;
    let mut times = Vec::new();
    let mut time = 0;
    for delta in numbers(&data["times"]) {
        time += delta;
        times.push(time as u64);
    }
    let strings: Vec<&str> = data["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let (mut this_id, mut rank, mut at, mut seen) = (0i64, 0i64, 0usize, 0usize);
    let mut decoded = Vec::new();
    let mut next = |code: i64| {
        let index = if code == 0 {
            seen += 1;
            seen - 1
        } else {
            seen - code as usize
        };
        strings[index].to_string()
    };
    for i in 0..count {
        this_id += id[i];
        rank += a[i];
        let (f, place) = (m[i] % 18, m[i] / 18);
        let (lane, key) = (place % clients, place / clients);
        let (kind, outcome, open) = (f % 3, f / 3 % 3, f >= 9);
        let label = if kind == 0 {
            let mut values = Vec::new();
            for _ in 0..n[i] {
                let code = r[at];
                at += 1;
                let tombstone = if code % 2 == 1 { "†" } else { "" };
                values.push(format!("{tombstone}{}", next(code / 2)));
            }
            if outcome == 0 {
                format!("get {{{}}}", values.join(","))
            } else {
                "get".to_string()
            }
        } else {
            let verb = if kind == 1 { "put" } else { "del" };
            let value = next(r[at]);
            at += 1;
            let mut context = Vec::new();
            for _ in 0..n[i] {
                context.push(next(r[at]));
                at += 1;
            }
            if context.is_empty() {
                format!("{verb} {value}")
            } else {
                format!("{verb} {value} ⟵{{{}}}", context.join(","))
            }
        };
        decoded.push(Decoded {
            id: this_id as u64,
            client: data["clients"][lane as usize].as_u64().unwrap(),
            key: data["keys"][key as usize].as_str().unwrap().to_string(),
            label,
            invoke_ms: times[rank as usize],
            complete_ms: (!open).then(|| times[(rank + d[i]) as usize]),
        });
    }
    assert_eq!(at, r.len(), "every reference is read");
    decoded
}

#[test]
fn the_data_holds_every_operation_as_the_history_has_it() {
    let history = example();
    let page = render_html(&history, &[], "example");
    let data = data_of(&page);
    assert_eq!(data["format"], "quorate-timeline-1");
    assert_eq!(data["clients"].as_array().unwrap().len(), 3);
    assert_eq!(data["keys"].as_array().unwrap().len(), 2);
    assert_eq!(
        data["faults"].as_array().unwrap().len(),
        history.faults.len()
    );
    assert!(data["trace"].as_array().unwrap().is_empty(), "no trace");
    let decoded = decode(&data);
    assert_eq!(decoded.len(), history.operations.len());
    for (op, seen) in history.operations.iter().zip(&decoded) {
        assert_eq!(seen.id, op.id.0);
        assert_eq!(seen.client, u64::from(op.client.0));
        assert_eq!(seen.key, op.key.as_str());
        assert_eq!(seen.invoke_ms, op.time_ms_invoke);
        assert_eq!(seen.complete_ms, op.time_ms_complete);
    }
    assert!(page.contains("No anomalies highlighted."));
    // Ids that do not count up by one are written one by one.
    let mut gapped = history.clone();
    gapped.operations.remove(1);
    let data = data_of(&render_html(&gapped, &[], "gapped"));
    assert!(data["ops"]["id"].is_array());
    let ids: Vec<u64> = decode(&data).iter().map(|op| op.id).collect();
    let expected: Vec<u64> = gapped.operations.iter().map(|op| op.id.0).collect();
    assert_eq!(ids, expected);
}

#[test]
fn labels_show_values_contexts_and_tombstones() {
    let history = example();
    let labels: Vec<String> = decode(&data_of(&render_html(&history, &[], "t")))
        .into_iter()
        .map(|op| op.label)
        .collect();
    assert_eq!(labels[2], "get {v1,v2}");
    assert_eq!(labels[3], "put v3 ⟵{v1,v2}");
    assert_eq!(labels[6], "get {†d1}");
    assert_eq!(labels[4], "del d1 ⟵{v3}");
    for (op, label) in history.operations.iter().zip(&labels) {
        if op.outcome != Outcome::Ok && matches!(op.action, Action::Get { .. }) {
            assert_eq!(label, "get");
        }
    }
}

#[test]
fn highlighted_operations_carry_the_explanation() {
    let history = example();
    let mut highlight = Highlight::new("StaleRead", "read <#5> missed v3 & more", vec![OpId(5)]);
    highlight.witness = true;
    let page = render_html(&history, &[highlight], "t");
    assert!(page.contains("<ol class=\"anomalies\" id=\"anomalies\" data-count=\"1\">"));
    let data = data_of(&page);
    let anomaly = &data["anomalies"][0];
    assert_eq!(anomaly["t"], "StaleRead");
    assert_eq!(anomaly["x"], "read <#5> missed v3 & more");
    assert_eq!(numbers(&anomaly["o"]), [5]);
    assert_eq!(anomaly["w"], 1);
    assert!(anomaly["m"].is_null());
}

#[test]
fn anomalies_name_their_operations_and_allowed_ones_look_different() {
    let history = example();
    let forbidden = Highlight::new("StaleRead (forbidden)", "missed", vec![OpId(5), OpId(2)]);
    let mut allowed = Highlight::new("Siblings", "two writes", vec![OpId(3)]);
    allowed.allowed_under = Some("quorum".to_string());
    let page = render_html(&history, &[forbidden, allowed], "t");
    // The page's script builds the list from the data (the browser tests click it).
    let data = data_of(&page);
    assert_eq!(data["anomalies"][0]["t"], "StaleRead (forbidden)");
    assert_eq!(numbers(&data["anomalies"][0]["o"]), [5, 2]);
    assert!(data["anomalies"][0]["m"].is_null());
    assert_eq!(data["anomalies"][0]["w"], 0);
    assert_eq!(data["anomalies"][1]["m"], "quorum");
    assert_eq!(numbers(&data["anomalies"][1]["o"]), [3]);
    assert!(page.contains(r#"<div id="detail""#));
}

/// Every text a history brings reaches the page escaped: as HTML text where it is markup, and in
/// the data with `<`, `>` and `&` as `\u` escapes, so nothing can end the data's script element.
#[test]
fn the_page_embeds_the_data_escaped() {
    let evil =
        "</script><script>alert(1)</script><!--<img src=x onerror=alert(2)>&amp;\u{2028}\"\\";
    let history = History::from_json(
        &serde_json::json!({
            "version": 1,
            "operations": [
                {"id": 0, "client": 0, "key": evil, "kind": "put", "value": evil,
                 "time_ms_invoke": 0, "time_ms_complete": 2, "outcome": "ok"},
                {"id": 1, "client": 1, "key": evil, "kind": "get", "values": [evil],
                 "time_ms_invoke": 3, "time_ms_complete": 5, "outcome": "ok"}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let highlight = Highlight::new(evil, evil, vec![OpId(1)]);
    let page = render_html(&history, &[highlight], evil);
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(!page.contains("<!--"), "{page}");
    let opening = "<script type=\"application/json\" id=\"quorate-data\">";
    let start = page.find(opening).unwrap() + opening.len();
    let inside = &page[start..start + page[start..].find("</script>").unwrap()];
    assert!(!inside.contains('<') && !inside.contains('>') && !inside.contains('&'));
    // Exactly two scripts: the data and the page's own.
    assert_eq!(page.matches("<script").count(), 2);
    let data = data_of(&page);
    assert_eq!(data["keys"][0], evil);
    assert_eq!(data["anomalies"][0]["x"], evil);
    let labels: Vec<String> = decode(&data).into_iter().map(|op| op.label).collect();
    assert_eq!(labels, [format!("put {evil}"), format!("get {{{evil}}}")]);
}

/// A simulated history of about `steps` × 1.4 operations on 10 clients and 20 keys.
fn simulated(steps: usize) -> History {
    let options = crate::gen::WorkloadOptions {
        ops: steps,
        clients: 10,
        keys: 20,
        faults: vec![crate::history::FaultType::Partition],
        faults_per_kind: 2,
    };
    let config = crate::config::Config::preset("dynamo").unwrap();
    let scenario = crate::gen::workload(config, 7, &options).unwrap();
    crate::sim::run(&scenario).unwrap().history
}

/// The page grows linearly with the history and costs few bytes an operation: it holds data,
/// not a drawing. (A size, not a time: the speed is measured in `benches/render.rs`.)
#[test]
fn the_page_is_linear_and_small_in_the_operations() {
    let small = simulated(1_000);
    let large = simulated(4_000);
    let page_small = render_html(&small, &[], "small").len();
    let page_large = render_html(&large, &[], "large").len();
    let extra_ops = (large.operations.len() - small.operations.len()) as f64;
    let per_operation = (page_large - page_small) as f64 / extra_ops;
    assert!(
        per_operation < 32.0,
        "{per_operation:.1} bytes an operation ({page_small} bytes for {} operations, {page_large} for {})",
        small.operations.len(),
        large.operations.len()
    );
    let whole_per_operation = page_large as f64 / large.operations.len() as f64;
    assert!(whole_per_operation < 40.0, "{whole_per_operation:.1}");
    // A tenth of the history's own JSON, at most.
    let json = large.to_json().len();
    assert!(
        page_large * 10 <= json,
        "{page_large} bytes of page for {json} of JSON"
    );
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

/// `--keys` and `--around` narrow the history before it is drawn: the page's data holds only
/// what they keep.
#[test]
fn a_narrowed_history_draws_only_what_is_kept() {
    let history = example();
    let cart = |op: &Decoded| op.key == "cart";
    let keys = narrow(
        &history,
        &Narrow {
            keys: vec![crate::history::Key::from("cart")],
            ..Narrow::default()
        },
    )
    .unwrap();
    let data = data_of(&render_html(&keys, &[], "t"));
    assert_eq!(data["keys"], serde_json::json!(["cart"]));
    let decoded = decode(&data);
    assert!(decoded.iter().all(cart));
    let on_cart = history
        .operations
        .iter()
        .filter(|op| op.key.as_str() == "cart")
        .count();
    assert_eq!(decoded.len(), on_cart);
    let around = narrow(
        &history,
        &Narrow {
            around: Some(OpId(4)),
            context: 0,
            ..Narrow::default()
        },
    )
    .unwrap();
    let decoded = decode(&data_of(&render_html(&around, &[], "t")));
    assert!(decoded.iter().any(|op| op.id == 4));
    assert!(decoded.len() < history.operations.len());
}

/// Ids and times as large as the format allows make a page, not a panic (the page's script
/// shows those past 2^53 approximately).
#[test]
fn the_largest_ids_and_times_make_a_page() {
    let history = History::from_json(
        r#"{"version": 1, "operations": [
          {"id": 18446744073709551615, "client": 4294967295, "key": "k", "kind": "put", "value": "a",
           "time_ms_invoke": 0, "time_ms_complete": 18446744073709551615, "outcome": "ok"},
          {"id": 0, "client": 0, "key": "k", "kind": "get", "values": ["a"],
           "time_ms_invoke": 18446744073709551614, "time_ms_complete": 18446744073709551615, "outcome": "ok"}
        ]}"#,
    )
    .unwrap();
    let page = render_html(&history, &[], "t");
    let data = data_of(&page);
    assert_eq!(data["ops"]["count"], 2);
    assert!(data["ops"]["id"].is_array());
}

// The trace drawn: node lanes, arrows and their words (the view is `crate::cause::view`).

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
        let page = render_html(&history, &[], "t");
        let data = data_of(&page);
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
    let page = render_html(&history, &[], "t");
    assert!(!page.contains("<script>alert"));
    let data = data_of(&page);
    let text = data["trace"][0][1][0][6].as_str().unwrap();
    assert!(
        text.contains("</script><script>alert(1)</script>"),
        "{text}"
    );
    assert!(text.contains(", delivered at ") || text.contains(", dropped at "));
}
