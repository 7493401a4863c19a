//! The reference store keeps every preset's promise: random scenarios with every kind of fault,
//! simulated and then judged by the checker against the model the configuration implies, show
//! no forbidden anomaly. (A finding here is either a store bug, a simulator bug or a checker
//! bug; the replay command names the scenario.)

use quorate::check::{check, CheckOptions, Verdict};
use quorate::config::{Config, PRESETS};
use quorate::gen::{self, WorkloadOptions};
use quorate::history::FaultType;
use quorate::sim;

#[test]
fn every_preset_keeps_its_model_under_faults() {
    for preset in PRESETS {
        for seed in 0..60u64 {
            // A seed-dependent subset of the fault kinds.
            let faults = FaultType::ALL
                .into_iter()
                .enumerate()
                .filter(|(i, _)| (seed >> i) & 1 == 1)
                .map(|(_, kind)| kind)
                .collect();
            let options = WorkloadOptions {
                ops: 60,
                clients: 3,
                keys: 2,
                faults,
                faults_per_kind: 1,
            };
            let config = Config::preset(preset).unwrap();
            let scenario = gen::workload(config, seed, &options).unwrap();
            let history = sim::run(&scenario).unwrap().history;
            let report = check(&history, &CheckOptions::default()).unwrap();
            let forbidden: Vec<String> = report
                .anomalies
                .iter()
                .filter(|finding| finding.forbidden)
                .map(|finding| format!("{:?}", finding.anomaly.kind()))
                .collect();
            assert!(
                report.verdict != Verdict::Invalid,
                "{preset} seed {seed} breaks {}: {forbidden:?}; replay: quorate sim --config {preset} --seed {seed} --ops 60 --keys 2 --faults {}",
                report.model,
                options.faults.iter().map(|kind| kind.cli_name()).collect::<Vec<_>>().join(","),
            );
        }
    }
}
