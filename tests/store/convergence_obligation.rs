//! Convergence follows the configuration (docs/DESIGN.md §4): replicas that differ at quiescence
//! break C1 only where a mechanism of the configuration promises to repair them. Each test
//! judges one hand-built history whose replicas disagree, and changes one circumstance.

use quorate::check::{check, AnomalyKind, CheckOptions, Verdict};
use quorate::history::History;
use serde_json::{json, Value};

/// Two puts on key `k`; the second (t=100..120) reaches n0 and n1 but not n2. `faults` are the
/// run's fault records.
fn history(anti_entropy: bool, hinted_handoff: bool, nodes: u32, faults: Value) -> History {
    let text = json!({
        "version": 1,
        "config": {
            "nodes": nodes, "vnodes_per_node": 8, "n": 3, "r": 2, "w": 2,
            "resolution": "siblings", "timestamps": "clock", "read_repair": "async",
            "anti_entropy_period_ms": if anti_entropy { json!(1000) } else { Value::Null },
            "hinted_handoff": hinted_handoff, "sloppy_quorum": false,
            "durability": "durable", "reaping": "keep",
            "client_timeout_ms": 500, "request_timeout_ms": 200
        },
        "operations": [
            {"id": 0, "client": 0, "key": "k", "kind": "put", "value": "v1",
             "time_ms_invoke": 0, "time_ms_complete": 10, "outcome": "ok"},
            {"id": 1, "client": 0, "key": "k", "kind": "get", "values": ["v1"],
             "time_ms_invoke": 20, "time_ms_complete": 30, "outcome": "ok"},
            {"id": 2, "client": 0, "key": "k", "kind": "put", "value": "v2", "context": ["v1"],
             "time_ms_invoke": 100, "time_ms_complete": 120, "outcome": "ok"}
        ],
        "faults": faults,
        "replicas": [
            {"key": "k", "node": 0, "values": ["v2"]},
            {"key": "k", "node": 1, "values": ["v2"]},
            {"key": "k", "node": 2, "values": ["v1"]}
        ],
        "run": {"steps": 100, "time_ms_end": 2000, "quiescent": true},
        "scenario": {"network": {"latency": {
            "distribution": "uniform", "latency_ms_min": 1, "latency_ms_max": 10}}}
    });
    History::from_json(&text.to_string()).expect("the history is well formed")
}

fn crash(node: u32, start: u64, heal: u64) -> Value {
    json!({"kind": "crash", "time_ms_start": start, "time_ms_end": heal, "nodes": [node]})
}

/// The divergence kind the report names, whether it is forbidden, and the verdict.
fn judged(history: &History) -> (AnomalyKind, bool, Verdict) {
    let report = check(history, &CheckOptions::default()).expect("the history checks");
    let divergences: Vec<_> = report
        .anomalies
        .iter()
        .filter(|finding| {
            matches!(
                finding.anomaly.kind(),
                AnomalyKind::Divergence | AnomalyKind::UnrepairedDivergence
            )
        })
        .collect();
    assert_eq!(divergences.len(), 1, "{report}");
    (
        divergences[0].anomaly.kind(),
        divergences[0].forbidden,
        report.verdict,
    )
}

#[test]
fn with_anti_entropy_every_key_must_converge() {
    let history = history(true, false, 5, json!([crash(2, 105, 300)]));
    assert_eq!(
        judged(&history),
        (AnomalyKind::Divergence, true, Verdict::Invalid)
    );
}

#[test]
fn without_anti_entropy_a_crash_during_the_write_excuses_divergence() {
    let history = history(false, false, 5, json!([crash(2, 105, 300)]));
    assert_eq!(
        judged(&history),
        (AnomalyKind::UnrepairedDivergence, false, Verdict::Valid)
    );
    let report = check(&history, &CheckOptions::default()).unwrap();
    let text = report.to_string();
    assert!(
        text.contains("no anti-entropy") && text.contains("n2"),
        "{text}"
    );
}

#[test]
fn without_anti_entropy_and_without_faults_the_key_must_converge() {
    let history = history(false, false, 5, json!([]));
    assert_eq!(
        judged(&history),
        (AnomalyKind::Divergence, true, Verdict::Invalid)
    );
}

#[test]
fn a_crash_long_after_the_write_excuses_nothing() {
    // The write's coordination ends by 100 + 2 × 10 ms (no hinted handoff): a crash at 500 ms
    // could not keep it from a home.
    let history = history(false, false, 5, json!([crash(2, 500, 600)]));
    assert_eq!(
        judged(&history),
        (AnomalyKind::Divergence, true, Verdict::Invalid)
    );
}

#[test]
fn a_pause_stretches_the_write_over_a_later_crash() {
    // Without hinted handoff, a node paused during the write handles it late; a crash then
    // drops what the pause held back.
    let faults = json!([
        {"kind": "pause", "time_ms_start": 105, "time_ms_end": 600, "nodes": [2]},
        crash(2, 500, 700)
    ]);
    assert_eq!(
        judged(&history(false, false, 5, faults)),
        (AnomalyKind::UnrepairedDivergence, false, Verdict::Valid)
    );
}

#[test]
fn with_hinted_handoff_one_crash_is_repaired_and_two_are_not() {
    // A fallback exists (5 nodes, n = 3): the coordinator hints for the crashed home.
    let one = history(false, true, 5, json!([crash(2, 105, 300)]));
    assert_eq!(
        judged(&one),
        (AnomalyKind::Divergence, true, Verdict::Invalid)
    );
    // A second crash during the write may be the fallback's or the coordinator's.
    let two = history(
        false,
        true,
        5,
        json!([crash(2, 105, 300), crash(4, 110, 300)]),
    );
    assert_eq!(
        judged(&two),
        (AnomalyKind::UnrepairedDivergence, false, Verdict::Valid)
    );
    // With as many nodes as homes there is no fallback: one crash suffices.
    let no_fallback = history(false, true, 3, json!([crash(2, 105, 300)]));
    assert_eq!(
        judged(&no_fallback),
        (AnomalyKind::UnrepairedDivergence, false, Verdict::Valid)
    );
}

#[test]
fn data_loss_excuses_every_earlier_write() {
    let volatile = json!([{"kind": "crash", "time_ms_start": 900, "time_ms_end": 950,
                           "nodes": [2], "loses_data": true}]);
    assert_eq!(
        judged(&history(false, true, 5, volatile)),
        (AnomalyKind::UnrepairedDivergence, false, Verdict::Valid)
    );
}

/// Key `k`: v1 put and read by client 0, then deleted (d1, t=15..20); with `concurrent`, client 1
/// also puts v2 blind (t=16..25), which neither saw d1 nor was seen by it. No fault.
fn reaped_history(
    reaping: Value,
    anti_entropy: bool,
    concurrent: bool,
    replicas: Value,
) -> History {
    let mut operations = vec![
        json!({"id": 0, "client": 0, "key": "k", "kind": "put", "value": "v1",
               "time_ms_invoke": 0, "time_ms_complete": 10, "outcome": "ok"}),
        json!({"id": 1, "client": 0, "key": "k", "kind": "get", "values": ["v1"],
               "time_ms_invoke": 11, "time_ms_complete": 14, "outcome": "ok"}),
        json!({"id": 2, "client": 0, "key": "k", "kind": "delete", "value": "d1",
               "context": ["v1"], "time_ms_invoke": 15, "time_ms_complete": 20, "outcome": "ok"}),
    ];
    if concurrent {
        operations.push(
            json!({"id": 3, "client": 1, "key": "k", "kind": "put", "value": "v2",
                               "time_ms_invoke": 16, "time_ms_complete": 25, "outcome": "ok"}),
        );
    }
    let text = json!({
        "version": 1,
        "config": {
            "nodes": 5, "vnodes_per_node": 8, "n": 3, "r": 2, "w": 2,
            "resolution": "siblings", "timestamps": "clock", "read_repair": "async",
            "anti_entropy_period_ms": if anti_entropy { json!(1000) } else { Value::Null },
            "hinted_handoff": false, "sloppy_quorum": false,
            "durability": "durable", "reaping": reaping,
            "client_timeout_ms": 500, "request_timeout_ms": 200
        },
        "operations": operations,
        "replicas": replicas,
        "run": {"steps": 100, "time_ms_end": 300, "quiescent": true},
        "scenario": {"network": {"latency": {
            "distribution": "uniform", "latency_ms_min": 1, "latency_ms_max": 10}}}
    });
    History::from_json(&text.to_string()).expect("the history is well formed")
}

#[test]
fn without_anti_entropy_reaping_excuses_a_write_that_can_land_on_either_side_of_a_reap() {
    // n2 got v2 before it reaped d1 and keeps the tombstone beside it; n0 and n1 had reaped d1
    // when v2 arrived. Only anti-entropy (or a read) would tell n2 that d1 is gone.
    let split = json!([
        {"key": "k", "node": 0, "values": ["v2"]},
        {"key": "k", "node": 1, "values": ["v2"]},
        {"key": "k", "node": 2, "values": ["v2"], "tombstones": ["d1"]}
    ]);
    let after = json!({"after_ms": 100});
    let history = reaped_history(after.clone(), false, true, split.clone());
    assert_eq!(
        judged(&history),
        (AnomalyKind::UnrepairedDivergence, false, Verdict::Valid)
    );
    let text = check(&history, &CheckOptions::default())
        .unwrap()
        .to_string();
    assert!(
        text.contains("reaps tombstones, each replica on its own")
            && text.contains("delete d1 (#2)"),
        "{text}"
    );
    // With anti-entropy, or without reaping, the same replicas break C1.
    for history in [
        reaped_history(after.clone(), true, true, split.clone()),
        reaped_history(json!("keep"), false, true, split),
    ] {
        assert_eq!(
            judged(&history),
            (AnomalyKind::Divergence, true, Verdict::Invalid)
        );
    }
}

#[test]
fn with_reaping_after_a_delay_a_delete_alone_must_still_converge() {
    // Reaping waits until every home holds the tombstone, and keeps its causal context: with
    // no write concurrent with the delete, every replica reaps alike. n2 kept it: C1.
    let kept = json!([
        {"key": "k", "node": 0, "values": []},
        {"key": "k", "node": 1, "values": []},
        {"key": "k", "node": 2, "values": [], "tombstones": ["d1"]}
    ]);
    let history = reaped_history(json!({"after_ms": 100}), false, false, kept);
    assert_eq!(
        judged(&history),
        (AnomalyKind::Divergence, true, Verdict::Invalid)
    );
}

#[test]
fn immediate_reaping_excuses_a_resurrection_on_one_replica() {
    // v1's copy reached n0 after n0 had reaped d1 at once: it came back there alone, as
    // immediate reaping allows, and nothing without anti-entropy spreads either state.
    let resurrected = json!([
        {"key": "k", "node": 0, "values": ["v1"]},
        {"key": "k", "node": 1, "values": []},
        {"key": "k", "node": 2, "values": []}
    ]);
    let history = reaped_history(json!("immediate"), false, false, resurrected.clone());
    assert_eq!(
        judged(&history),
        (AnomalyKind::UnrepairedDivergence, false, Verdict::Valid)
    );
    let history = reaped_history(json!({"after_ms": 100}), false, false, resurrected);
    assert_eq!(
        judged(&history),
        (AnomalyKind::Divergence, true, Verdict::Invalid)
    );
}
