//! C6, reaping (docs/DESIGN.md §4): with reaping configured, a home replica that still holds
//! nothing but tombstones of a key when the run went quiet, later than the key's last activity
//! plus the reap delay plus the settle time, is `tombstone_not_reaped` — where the
//! configuration promises the key converges. Each test judges one hand-built history and
//! changes one circumstance.

use quorate::check::{check, AnomalyKind, CheckOptions, Verdict};
use quorate::history::History;
use serde_json::{json, Value};

/// A put (t=0..10), a get that reads it and a delete (t=15..20) of key `k`, with the given
/// snapshots (node, values, tombstones), run end, reaping, anti-entropy and faults. The
/// network's longest latency is 10 ms; the request timeout 200 ms; 5 nodes.
struct Case {
    reaping: Value,
    anti_entropy: bool,
    faults: Value,
    scenario_faults: Value,
    replicas: Vec<(u32, Vec<&'static str>, Vec<&'static str>)>,
    time_ms_end: u64,
    quiescent: bool,
}

impl Case {
    fn new(time_ms_end: u64) -> Case {
        Case {
            reaping: json!({"after_ms": 100}),
            anti_entropy: true,
            faults: json!([]),
            scenario_faults: json!([]),
            replicas: (0..3).map(|node| (node, vec![], vec!["d1"])).collect(),
            time_ms_end,
            quiescent: true,
        }
    }

    fn history(&self) -> History {
        let replicas: Vec<Value> = self
            .replicas
            .iter()
            .map(|(node, values, tombstones)| {
                json!({"key": "k", "node": node, "values": values, "tombstones": tombstones})
            })
            .collect();
        let text = json!({
            "version": 1,
            "config": {
                "nodes": 5, "vnodes_per_node": 8, "n": 3, "r": 2, "w": 2,
                "resolution": "siblings", "timestamps": "clock", "read_repair": "async",
                "anti_entropy_period_ms": if self.anti_entropy { json!(1000) } else { Value::Null },
                "hinted_handoff": false, "sloppy_quorum": false,
                "durability": "durable", "reaping": self.reaping,
                "client_timeout_ms": 500, "request_timeout_ms": 200
            },
            "operations": [
                {"id": 0, "client": 0, "key": "k", "kind": "put", "value": "v1",
                 "time_ms_invoke": 0, "time_ms_complete": 10, "outcome": "ok"},
                {"id": 1, "client": 0, "key": "k", "kind": "get", "values": ["v1"],
                 "time_ms_invoke": 11, "time_ms_complete": 14, "outcome": "ok"},
                {"id": 2, "client": 0, "key": "k", "kind": "delete", "value": "d1",
                 "context": ["v1"], "time_ms_invoke": 15, "time_ms_complete": 20, "outcome": "ok"}
            ],
            "faults": self.faults,
            "replicas": replicas,
            "run": {"steps": 100, "time_ms_end": self.time_ms_end, "quiescent": self.quiescent},
            "scenario": {
                "network": {"latency": {
                    "distribution": "uniform", "latency_ms_min": 1, "latency_ms_max": 10}},
                "faults": self.scenario_faults
            }
        });
        History::from_json(&text.to_string()).expect("the history is well formed")
    }

    /// Whether `tombstone_not_reaped` was found (and then whether forbidden), the verdict, and
    /// C6's note.
    fn judged(&self) -> (Option<bool>, Verdict, String) {
        let report = check(&self.history(), &CheckOptions::default()).expect("it checks");
        let found = report
            .anomalies
            .iter()
            .find(|finding| finding.anomaly.kind() == AnomalyKind::TombstoneNotReaped)
            .map(|finding| finding.forbidden);
        let c6 = report
            .properties
            .iter()
            .find(|status| status.property == "C6")
            .expect("C6 is listed");
        let note = if c6.evaluated {
            c6.note.clone()
        } else {
            format!("not evaluated: {}", c6.note)
        };
        (found, report.verdict, note)
    }
}

/// The last activity is the delete's completion (t=20); with anti-entropy the settle time is
/// 200 (request timeout) + 4 × 10 (latency) + 1,000 × 5 (every node's exchange once) = 5,240 ms.
const DUE_WITH_ANTI_ENTROPY: u64 = 20 + 100 + 5_240;

#[test]
fn a_tombstone_past_its_deadline_is_not_reaped() {
    let case = Case::new(DUE_WITH_ANTI_ENTROPY + 1);
    assert_eq!(case.judged(), (Some(true), Verdict::Invalid, String::new()));
    let text = check(&case.history(), &CheckOptions::default())
        .unwrap()
        .to_string();
    assert!(
        text.contains("n0 holds only {d1}, n1 holds only {d1}, n2 holds only {d1}")
            && text.contains("written by delete d1 (#2)")
            && text.contains(&format!("due to be gone by t={DUE_WITH_ANTI_ENTROPY} ms"))
            && text.contains("100 ms after a replica has it"),
        "{text}"
    );
}

#[test]
fn a_tombstone_within_its_deadline_may_remain() {
    let case = Case::new(DUE_WITH_ANTI_ENTROPY);
    assert_eq!(case.judged(), (None, Verdict::Valid, String::new()));
}

#[test]
fn one_replica_that_kept_the_tombstone_the_others_reaped_is_reported() {
    let mut case = Case::new(10_000);
    case.replicas = vec![
        (0, vec![], vec![]),
        (1, vec![], vec!["d1"]),
        (2, vec![], vec![]),
    ];
    let report = check(&case.history(), &CheckOptions::default()).unwrap();
    let text = report.to_string();
    assert!(text.contains("n1 holds only {d1}."), "{text}");
    assert!(!text.contains("n0 holds only"), "{text}");
    // The replicas differ too: C1 says so on its own.
    assert!(report.kinds().contains(&AnomalyKind::Divergence), "{text}");
}

#[test]
fn a_tombstone_beside_a_live_value_is_no_deleted_key() {
    let mut case = Case::new(10_000);
    case.replicas = (0..3).map(|node| (node, vec!["v2"], vec!["d1"])).collect();
    assert_eq!(case.judged().0, None);
}

#[test]
fn without_anti_entropy_the_settle_time_is_shorter_and_follows_the_obligation() {
    // No fault: the key must converge, so its tombstones must go within 20 + 100 + 240 ms.
    let mut case = Case::new(361);
    case.anti_entropy = false;
    assert_eq!(case.judged().0, Some(true));
    case.time_ms_end = 360;
    assert_eq!(case.judged().0, None);
    // A crash during the delete's coordination: the key need not converge, so it need not be
    // reaped either (reaping waits for every home replica to hold the tombstone) ...
    case.time_ms_end = 10_000;
    case.faults = json!([{"kind": "crash", "time_ms_start": 16, "time_ms_end": 30, "nodes": [2]}]);
    case.replicas = vec![
        (0, vec![], vec!["d1"]),
        (1, vec![], vec!["d1"]),
        (2, vec![], vec![]),
    ];
    assert_eq!(case.judged().0, None);
    // ... unless every home replica visibly holds it: then every reap vote passes.
    case.replicas = (0..3).map(|node| (node, vec![], vec!["d1"])).collect();
    assert_eq!(case.judged().0, Some(true));
}

#[test]
fn immediate_reaping_has_no_delay() {
    let mut case = Case::new(20 + 5_240 + 1);
    case.reaping = json!("immediate");
    assert_eq!(case.judged().0, Some(true));
    case.time_ms_end -= 1;
    assert_eq!(case.judged().0, None);
}

#[test]
fn a_late_heal_moves_the_deadline() {
    // A partition healed at t=1,000 may have held back what brings the replicas together.
    let mut case = Case::new(DUE_WITH_ANTI_ENTROPY + 1);
    case.faults =
        json!([{"kind": "partition", "time_ms_start": 500, "time_ms_end": 1000, "nodes": [4]}]);
    assert_eq!(case.judged().0, None);
    case.time_ms_end = 1_000 + 100 + 5_240 + 1;
    assert_eq!(case.judged().0, Some(true));
    // A fault without a heal lasted until the workload ended (here, the delete's completion).
    case.faults = json!([{"kind": "partition", "time_ms_start": 500, "nodes": [4]}]);
    case.time_ms_end = DUE_WITH_ANTI_ENTROPY + 1;
    assert_eq!(case.judged().0, Some(true));
}

#[test]
fn clock_skew_delays_the_deadline_by_its_size_and_an_unknown_size_is_not_judged() {
    let mut case = Case::new(DUE_WITH_ANTI_ENTROPY + 1);
    case.faults =
        json!([{"kind": "clock_skew", "time_ms_start": 0, "time_ms_end": 5, "nodes": [1]}]);
    let (found, verdict, note) = case.judged();
    assert_eq!((found, verdict), (None, Verdict::Valid));
    assert!(
        note.starts_with("not evaluated: a clock-skew fault"),
        "{note}"
    );
    case.scenario_faults = json!([{"time_ms_start": 0, "time_ms_end": 5,
        "kind": {"fault": "clock_skew", "node": 1, "skew_ms": -300}}]);
    assert_eq!(case.judged().0, None);
    case.time_ms_end += 300;
    assert_eq!(case.judged().0, Some(true));
}

#[test]
fn c6_is_judged_only_with_reaping_and_a_quiet_run() {
    let mut case = Case::new(10_000);
    case.reaping = json!("keep");
    assert_eq!(
        case.judged(),
        (
            None,
            Verdict::Valid,
            "not evaluated: the configuration keeps its tombstones (reaping: keep)".to_string()
        )
    );
    let mut case = Case::new(10_000);
    case.quiescent = false;
    let (found, _, note) = case.judged();
    assert_eq!(found, None);
    assert!(note.contains("did not go quiet"), "{note}");
}
