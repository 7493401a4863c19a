//! The preset properties of `tests/store/properties.rs` through quickcheck, to show that its
//! `Arbitrary` (and `shrink`) for scenarios works as well as the proptest strategy. The generator
//! is seeded from `QUICKCHECK_SEED` (a fixed seed by default, so runs repeat); `QUICKCHECK_TESTS`
//! scales the number of cases. A failure prints the shrunk scenario, its seed and its replay command.
//! `a_real_failure_shrinks` shows the shrinking on a real failure: a zoo bug switched on.

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

/// The scenarios the shrinking test's property failed on, in the order quickcheck tried them.
static FAILED_ON: std::sync::Mutex<Vec<Scenario>> = std::sync::Mutex::new(Vec::new());

/// The dynamo preset with the `vnode-clock` zoo bug on (a put's dot comes from the coordinating
/// node's counter, so concurrent puts overwrite each other): the promise breaks, and quickcheck
/// must shrink the scenario it first failed on.
fn keeps_promise_with_vnode_clock(scenario: Scenario) -> TestResult {
    let mut buggy = scenario.clone();
    let nodes = buggy.config.nodes;
    buggy.config = Config {
        nodes,
        bugs: [quorate::config::Bug::VnodeClock].into(),
        ..Config::preset("dynamo").unwrap()
    };
    match check_scenario_against(&buggy, None) {
        Ok(_) => TestResult::passed(),
        Err(failure) => {
            FAILED_ON.lock().unwrap().push(scenario);
            TestResult::error(failure.to_string())
        }
    }
}

#[test]
fn a_real_failure_shrinks() {
    let result = checker()
        .tests(1000)
        .max_tests(1000)
        .quicktest(keeps_promise_with_vnode_clock as fn(Scenario) -> TestResult);
    assert!(
        result.is_err(),
        "the vnode-clock bug went unseen in 1000 scenarios"
    );
    let failed_on = std::mem::take(&mut *FAILED_ON.lock().unwrap());
    let first = failed_on.first().expect("a failing scenario").clone();
    // quickcheck keeps the last scenario that failed: its shrunk answer.
    let shrunk = failed_on.last().unwrap().clone();
    let size = |s: &Scenario| (s.op_count(), s.faults.len(), s.clients.len());
    assert!(
        size(&shrunk) < size(&first),
        "not shrunk: {:?} then {:?}",
        size(&first),
        size(&shrunk)
    );
    assert!(
        failed_on.len() > 1,
        "quickcheck tried no smaller failing scenario"
    );
    // The answer is a local minimum: it still fails, and none of its own shrinks does.
    assert!(keeps_promise_with_vnode_clock(shrunk.clone()).is_failure());
    for smaller in quorate::gen::smaller(&shrunk) {
        assert!(
            !keeps_promise_with_vnode_clock(smaller.clone()).is_failure(),
            "a smaller failing scenario was left: {smaller:?}"
        );
    }
    assert!(shrunk.op_count() <= 6, "{} steps left", shrunk.op_count());
}
