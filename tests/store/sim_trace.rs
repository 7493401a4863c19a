//! The simulator's trace (`quorate sim --trace`, `history::Trace`): recorded only when asked,
//! the same for the same scenario, read back as written, and invisible to the checker.

use quorate::check::{check, CheckOptions};
use quorate::config::{Bug, Config};
use quorate::gen::{self, WorkloadOptions};
use quorate::history::{FaultType, History, TraceEvent};
use quorate::sim;
use quorate::zoo::{search, Hunt};

fn scenario(seed: u64) -> sim::Scenario {
    let options = WorkloadOptions {
        ops: 20,
        clients: 3,
        keys: 2,
        faults: vec![
            FaultType::Partition,
            FaultType::Crash,
            FaultType::Pause,
            FaultType::Duplicate,
            FaultType::Loss,
        ],
        faults_per_kind: 1,
    };
    gen::workload(Config::preset("dynamo").unwrap(), seed, &options).unwrap()
}

#[test]
fn a_traced_run_is_the_plain_run_plus_its_trace_and_is_deterministic() {
    for seed in 0..20 {
        let scenario = scenario(seed);
        let plain = sim::run(&scenario).unwrap();
        let traced = sim::run_traced(&scenario).unwrap();
        assert!(plain.history.trace.is_none());
        assert!(!plain.history.to_json().contains("\"trace\""));
        let trace = traced.history.trace.clone().expect("a trace");
        let mut without = traced.history.clone();
        without.trace = None;
        assert_eq!(without.to_json(), plain.history.to_json(), "seed {seed}");
        assert_eq!(traced.stats, plain.stats, "seed {seed}");
        assert_eq!(
            sim::run_traced(&scenario).unwrap().history.to_json(),
            traced.history.to_json(),
            "seed {seed}: the trace is not deterministic"
        );
        // Every message the simulator counted is in the trace, and what became of it.
        let count = |wanted: fn(&TraceEvent) -> bool| {
            trace.events.iter().filter(|e| wanted(e)).count() as u64
        };
        assert_eq!(
            count(|e| matches!(e, TraceEvent::Send { .. })),
            plain.stats.messages_sent
        );
        assert_eq!(
            count(|e| matches!(e, TraceEvent::Duplicate { .. })),
            plain.stats.messages_duplicated
        );
        assert_eq!(
            count(|e| matches!(e, TraceEvent::Deliver { .. })),
            plain.stats.messages_delivered
        );
        assert_eq!(
            count(|e| matches!(e, TraceEvent::Drop { .. })),
            plain.stats.messages_dropped
        );
        assert_eq!(
            count(|e| matches!(e, TraceEvent::FaultStart { .. })),
            traced.history.faults.len() as u64
        );
        assert!(count(|e| matches!(e, TraceEvent::State { .. })) > 0);
        // Every write's value reaches some replica's sibling set in the trace.
        let written = traced
            .history
            .operations
            .iter()
            .filter(|op| op.is_ok())
            .filter_map(|op| op.action.write());
        for write in written {
            assert!(
                trace.events.iter().any(|event| matches!(event,
                    TraceEvent::State { values, tombstones, .. }
                        if values.contains(&write.value) || tombstones.contains(&write.value))),
                "seed {seed}: {} never shows in a replica",
                write.value
            );
        }
    }
}

/// A crash (or a disk loss) of a paused node drops the messages it held: the trace and the
/// run's counts agree on them (the counts once left them out). Seeds are searched until some
/// run has such drops, so the test cannot pass without them.
#[test]
fn a_paused_node_that_crashes_drops_what_it_held_in_the_counts_too() {
    let mut held_and_dropped = 0;
    for seed in 0..400 {
        let options = WorkloadOptions {
            ops: 16,
            clients: 3,
            keys: 1,
            faults: vec![FaultType::Pause, FaultType::Crash, FaultType::DiskLoss],
            faults_per_kind: 2,
        };
        let scenario = gen::workload(Config::preset("dynamo").unwrap(), seed, &options).unwrap();
        let traced = sim::run_traced(&scenario).unwrap();
        let trace = traced.history.trace.as_ref().unwrap();
        let drops = trace
            .events
            .iter()
            .filter(|event| matches!(event, TraceEvent::Drop { .. }))
            .count() as u64;
        assert_eq!(drops, traced.stats.messages_dropped, "seed {seed}");
        // The drops written just before a crash or disk loss begins, at its moment: the
        // messages a paused node held.
        let events = &trace.events;
        for (index, event) in events.iter().enumerate() {
            let TraceEvent::FaultStart { fault, time_ms } = event else {
                continue;
            };
            if !matches!(
                traced.history.faults[*fault].kind,
                FaultType::Crash | FaultType::DiskLoss
            ) {
                continue;
            }
            held_and_dropped += events[..index]
                .iter()
                .rev()
                .take_while(|earlier| {
                    matches!(earlier, TraceEvent::Drop { time_ms: at, reason: quorate::history::DropReason::NodeDown, .. } if at == time_ms)
                })
                .count();
        }
        if held_and_dropped >= 3 {
            return;
        }
    }
    panic!("no seed crashed a paused node that held messages ({held_and_dropped} drops)");
}

#[test]
fn the_trace_reads_back_as_written_and_the_checker_ignores_it() {
    let history = sim::run_traced(&scenario(3)).unwrap().history;
    let text = history.to_json();
    let read = History::from_json(&text).unwrap();
    assert_eq!(read, history);
    let mut bare = history.clone();
    bare.trace = None;
    let options = CheckOptions::default();
    assert_eq!(
        check(&history, &options).unwrap().to_json(),
        check(&bare, &options).unwrap().to_json()
    );
}

#[test]
fn a_broken_trace_is_an_error_naming_the_event() {
    let history = sim::run_traced(&scenario(3)).unwrap().history;
    let mut value: serde_json::Value = serde_json::from_str(&history.to_json()).unwrap();
    let events = value["trace"]["events"].as_array_mut().unwrap();
    let first_deliver = events
        .iter()
        .position(|event| event["event"] == "deliver")
        .unwrap();
    events[first_deliver]["message"] = serde_json::json!(999_999_999);
    let error = History::from_json(&value.to_string())
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        format!("trace event {first_deliver}: message 999999999 arrives before it is sent")
    );
    value["trace"]["events"][0]["colour"] = serde_json::json!("red");
    let error = History::from_json(&value.to_string())
        .unwrap_err()
        .to_string();
    assert!(error.contains("colour"), "{error}");
}

/// A zoo case is minimized with its trace: for `repair-overwrites`, the trace holds the
/// repair that replaced a replica's siblings.
#[test]
fn a_zoo_case_keeps_the_trace_of_its_minimized_run() {
    let hunt = Hunt::for_bug(Bug::RepairOverwrites);
    let found = search(&hunt, true, hunt.cases_max).expect("the hunt finds the bug");
    let trace = found.minimized_history.trace.as_ref().expect("a trace");
    assert!(
        trace.events.iter().any(|event| matches!(event,
            TraceEvent::Send { summary, .. } if summary.contains("REPLACE"))),
        "{:#?}",
        trace.events
    );
}

#[test]
fn quorate_sim_writes_the_trace_only_when_asked() {
    let folder = tempfile::tempdir().unwrap();
    let run = |extra: &[&str], name: &str| {
        let out = folder.path().join(name);
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_quorate"))
            .args([
                "sim", "--config", "dynamo", "--seed", "4", "--ops", "12", "--out",
            ])
            .arg(&out)
            .args(extra)
            .status()
            .unwrap();
        assert!(status.success());
        History::load(&out).unwrap()
    };
    let plain = run(&[], "plain.json");
    let traced = run(&["--trace"], "traced.json");
    assert!(plain.trace.is_none());
    assert!(!traced.trace.as_ref().unwrap().events.is_empty());
    assert_eq!(
        History {
            trace: None,
            ..traced
        },
        plain
    );
}
