//! The preset properties of `tests/properties.rs` through quickcheck, to show that its
//! `Arbitrary` (and `shrink`) for scenarios works as well as the proptest strategy. The generator
//! is seeded from `QUICKCHECK_SEED` (a fixed seed by default, so runs repeat); `QUICKCHECK_TESTS`
//! scales the number of cases. A failure prints the shrunk scenario, its seed and its replay command.

use quickcheck::{Gen, QuickCheck, TestResult};
use quorate::check::Model;
use quorate::config::Config;
use quorate::sim::Scenario;
use quorate::testing::check_scenario_against;

fn checker() -> QuickCheck {
    let seed = std::env::var("QUICKCHECK_SEED")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(0x5eed);
    QuickCheck::new()
        .rng(Gen::from_size_and_seed(32, seed))
        .tests(tests())
}

fn tests() -> u64 {
    std::env::var("QUICKCHECK_TESTS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(100)
}

/// The scenario under `preset`, checked against the model the preset promises.
fn keeps_promise(preset: &str, scenario: Scenario) -> TestResult {
    let mut scenario = scenario;
    let nodes = scenario.config.nodes;
    scenario.config = Config {
        nodes,
        ..Config::preset(preset).unwrap()
    };
    match check_scenario_against(&scenario, None) {
        Ok(_) => TestResult::passed(),
        Err(failure) => TestResult::error(failure.to_string()),
    }
}

macro_rules! preset_property {
    ($test:ident, $preset:literal) => {
        #[test]
        fn $test() {
            fn property(scenario: Scenario) -> TestResult {
                keeps_promise($preset, scenario)
            }
            checker().quickcheck(property as fn(Scenario) -> TestResult);
        }
    };
}

preset_property!(dynamo_keeps_its_promise, "dynamo");
preset_property!(weak_keeps_its_promise, "weak");
preset_property!(sloppy_keeps_its_promise, "sloppy");
preset_property!(lww_keeps_its_promise, "lww");
preset_property!(cassandra_keeps_its_promise, "cassandra");
preset_property!(atomic_keeps_its_promise, "atomic");

#[test]
fn every_scenario_converges_after_heal() {
    fn property(scenario: Scenario) -> TestResult {
        match check_scenario_against(&scenario, Some(Model::Eventual)) {
            Ok(_) => TestResult::passed(),
            Err(failure) => TestResult::error(failure.to_string()),
        }
    }
    checker().quickcheck(property as fn(Scenario) -> TestResult);
}
