//! Whole-run properties of the simulator: the same scenario gives the same bytes, and random
//! scenarios of every preset run to completion within their bounds with valid histories.

use quorate::config::{Config, PRESETS};
use quorate::gen::{self, WorkloadOptions};
use quorate::history::Action;
use quorate::history::FaultType;
use quorate::sim;

fn options(ops: usize, seed: u64) -> WorkloadOptions {
    // A seed-dependent subset of the fault kinds, so that every kind runs alone and together.
    let faults = FaultType::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| (seed >> i) & 1 == 1)
        .map(|(_, kind)| kind)
        .collect();
    WorkloadOptions {
        ops,
        clients: 3,
        keys: 2,
        faults,
        faults_per_kind: 1,
    }
}

#[test]
fn a_thousand_seeds_run_twice_give_identical_bytes() {
    for seed in 0..1_000u64 {
        let preset = PRESETS[seed as usize % PRESETS.len()];
        let config = Config::preset(preset).unwrap();
        let scenario = gen::workload(config, seed, &options(12, seed)).unwrap();
        let first = sim::run(&scenario).unwrap().history;
        let second = sim::run(&scenario).unwrap().history;
        let (first, second) = (first.to_json(), second.to_json());
        assert!(
            first == second,
            "seed {seed} ({preset}) is not deterministic; replay: quorate sim --config {preset} --seed {seed}"
        );
    }
}

#[test]
fn every_preset_runs_200_random_scenarios_within_bounds() {
    for preset in PRESETS {
        for seed in 0..200u64 {
            let config = Config::preset(preset).unwrap();
            let scenario = gen::workload(config, seed, &options(30, seed)).unwrap();
            let history = sim::run(&scenario).unwrap().history;
            let replay = format!("{preset} seed {seed}");
            history
                .validate()
                .unwrap_or_else(|error| panic!("{replay}: {error}"));
            let run = history.run.as_ref().unwrap();
            assert_eq!(run.bound_hit, None, "{replay}");
            assert!(run.quiescent, "{replay}");
            assert!(history.operations.len() >= 30, "{replay}");
            let keys = 2;
            let replicas = history.replicas.as_ref().unwrap();
            assert!(replicas.len() <= keys * 3, "{replay}");
        }
    }
}

#[test]
fn the_scenario_is_stored_and_runs_again_from_the_history() {
    let config = Config::preset("sloppy").unwrap();
    let scenario = gen::workload(config, 9, &options(20, 255)).unwrap();
    let history = sim::run(&scenario).unwrap().history;
    let stored: sim::Scenario = serde_json::from_value(history.scenario.clone().unwrap()).unwrap();
    assert_eq!(stored, scenario);
    assert_eq!(
        sim::run(&stored).unwrap().history.to_json(),
        history.to_json()
    );
}

#[test]
fn bad_scenarios_are_errors_not_panics() {
    let config = Config::preset("dynamo").unwrap();
    let mut scenario = gen::workload(config, 1, &options(5, 0)).unwrap();
    scenario.faults.push(sim::Fault {
        time_ms_start: 0,
        time_ms_end: None,
        kind: sim::FaultKind::Crash { node: 9 },
    });
    assert_eq!(
        sim::run(&scenario).unwrap_err().to_string(),
        "fault 0: node 9 does not exist (the cluster has nodes 0 to 4)"
    );
    scenario.faults.clear();
    scenario.config.r = 7;
    assert!(sim::run(&scenario)
        .unwrap_err()
        .to_string()
        .starts_with("configuration: r = 7 is larger than n = 3"));
    let error = gen::workload(
        Config {
            w: 9,
            ..Config::default()
        },
        1,
        &WorkloadOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.starts_with("configuration: w = 9 is larger than n = 3"),
        "{error}"
    );
}

#[test]
fn hitting_a_bound_stops_the_run_and_is_reported() {
    let config = Config::preset("dynamo").unwrap();
    let base = gen::workload(config, 3, &options(30, 3)).unwrap();
    let check = |change: fn(&mut sim::Bounds), expected: &str| {
        let mut scenario = base.clone();
        change(&mut scenario.bounds);
        let history = sim::run(&scenario).unwrap().history;
        history.validate().unwrap();
        let run = history.run.unwrap();
        assert_eq!(run.bound_hit.as_deref(), Some(expected));
        assert!(!run.quiescent);
        // Snapshots are taken all the same.
        assert!(!history.replicas.unwrap().is_empty());
    };
    check(|bounds| bounds.steps_max = 50, "steps_max = 50");
    check(|bounds| bounds.time_ms_max = 20, "time_ms_max = 20");
    check(
        |bounds| bounds.settle_ms_max = 100,
        "settle_ms_max = 100: not quiet",
    );
}

#[test]
fn extreme_numbers_are_errors_or_bounded_runs_not_panics() {
    let config = Config::preset("dynamo").unwrap();
    let mut scenario = gen::workload(config, 5, &options(10, 0)).unwrap();
    scenario.network.latency = sim::Latency::Uniform {
        latency_ms_min: 0,
        latency_ms_max: u64::MAX,
    };
    assert!(sim::run(&scenario).is_err());
    scenario.network.latency = sim::Latency::Table {
        latency_ms: Vec::new(),
    };
    assert_eq!(
        sim::run(&scenario).unwrap_err().to_string(),
        "latency: a table needs at least one sample"
    );
    scenario.network.latency = sim::Latency::Exponential {
        latency_ms_mean: u64::MAX,
    };
    scenario.config.client_timeout_ms = u64::MAX;
    scenario.clients[0].think_ms = u64::MAX;
    scenario.clients[1].time_ms_start = u64::MAX;
    let history = sim::run(&scenario).unwrap().history;
    history.validate().unwrap();
    assert!(history.run.unwrap().bound_hit.is_some());
}

#[test]
fn removing_a_client_leaves_another_clients_independent_history_alone() {
    // Two clients on two keys, no anti-entropy (the only traffic that mixes keys): the draws of
    // client 0's messages are keyed by link and send time, not by a global count, so they do
    // not move when client 1's operations go away.
    let config = Config {
        anti_entropy_period_ms: None,
        ..Config::preset("dynamo").unwrap()
    };
    let program = |key: &str| sim::ClientProgram {
        time_ms_start: 0,
        think_ms: 3,
        ops: (0..40)
            .map(|i| sim::ClientOp {
                key: key.into(),
                kind: [
                    sim::ClientOpKind::Get,
                    sim::ClientOpKind::ReadModifyWrite,
                    sim::ClientOpKind::Put,
                ][i % 3],
                delay_ms: 0,
                coordinator: None,
            })
            .collect(),
    };
    let mut both = sim::Scenario::new(config, 11, vec![program("a"), program("b")]);
    both.clients[1].time_ms_start = 1;
    let mut alone = both.clone();
    alone.clients[1].ops.clear();
    let client_0 = |scenario: &sim::Scenario| {
        let history = sim::run(scenario).unwrap().history;
        history
            .operations
            .into_iter()
            .filter(|op| op.client.0 == 0)
            .map(|mut op| {
                // The opaque read context names dot counters, which a node mints for all keys.
                if let Action::Get { context, .. } = &mut op.action {
                    *context = None;
                }
                (
                    op.time_ms_invoke,
                    op.time_ms_complete,
                    op.outcome,
                    op.action,
                )
            })
            .collect::<Vec<_>>()
    };
    let (with, without) = (client_0(&both), client_0(&alone));
    assert_eq!(
        with.len(),
        40 + 13,
        "40 steps, 13 of them read-modify-writes"
    );
    assert_eq!(with, without);
}

#[test]
fn one_reader_takes_the_scenario_from_a_scenario_a_history_or_a_case() {
    let config = Config::preset("dynamo").unwrap();
    let scenario = gen::workload(config, 4, &options(10, 4)).unwrap();
    let history = sim::run(&scenario).unwrap().history;
    let from_scenario =
        sim::Scenario::from_document(&serde_json::to_string(&scenario).unwrap()).unwrap();
    let from_history = sim::Scenario::from_document(&history.to_json()).unwrap();
    assert_eq!(from_scenario, scenario);
    assert_eq!(from_history, scenario);

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("histories");
    let case_text =
        std::fs::read_to_string(root.join("edge-cases/01-sloppy-quorum-stale-read.json")).unwrap();
    let case: quorate::regressions::Regression = serde_json::from_str(&case_text).unwrap();
    assert_eq!(
        sim::Scenario::from_document(&case_text).unwrap(),
        case.scenario
    );

    // A history that records no scenario, and bytes that are not JSON, are errors that say so.
    let example = std::fs::read_to_string(root.join("example.json")).unwrap();
    let error = sim::Scenario::from_document(&example)
        .unwrap_err()
        .to_string();
    assert_eq!(error, "a history without a scenario: nothing to run");
    let error = sim::Scenario::from_document("{\"seed\": 1,")
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("scenario is not valid JSON"), "{error}");
}
