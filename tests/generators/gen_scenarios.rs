//! The generators themselves: every generated scenario is valid and replays byte for byte, the
//! three front ends (proptest, quickcheck, arbitrary) agree on the shape, shrinking only ever makes
//! scenarios smaller, and a property that should fail does fail, minimized, with its replay
//! command.

use proptest::prelude::*;
use quorate::check::{AnomalyKind, Model};
use quorate::gen::{scenarios, smaller, GenOptions};
use quorate::history::FaultType;
use quorate::sim::Scenario;
use quorate::testing::{check_scenario, check_scenario_against, find_failure, proptest_config};

fn size(scenario: &Scenario) -> (usize, usize, usize, u32) {
    (
        scenario.op_count(),
        scenario.faults.len(),
        scenario.clients.len(),
        scenario.config.nodes,
    )
}

proptest! {
    #![proptest_config(proptest_config(32))]

    #[test]
    fn generated_scenarios_are_valid_and_deterministic(scenario in scenarios(&GenOptions::default())) {
        prop_assert_eq!(scenario.validate(), Ok(()));
        prop_assert!(scenario.op_count() <= 18 && scenario.faults.len() <= 3);
        prop_assert!(scenario.config.nodes >= scenario.config.n && scenario.config.nodes <= 5);
        let first = quorate::sim::run_history(&scenario).unwrap().to_json();
        prop_assert_eq!(first, quorate::sim::run_history(&scenario).unwrap().to_json());
    }

    #[test]
    fn the_testing_api_works_inside_proptest(scenario in scenarios(&GenOptions::preset("cassandra"))) {
        check_scenario(&scenario)?;
    }

    #[test]
    fn shrinking_only_makes_scenarios_smaller(scenario in scenarios(&GenOptions::default())) {
        let (ops, faults, clients, nodes) = size(&scenario);
        for candidate in smaller(&scenario) {
            prop_assert_eq!(candidate.validate(), Ok(()));
            let (c_ops, c_faults, c_clients, c_nodes) = size(&candidate);
            prop_assert!(c_ops <= ops && c_faults <= faults && c_clients <= clients && c_nodes <= nodes);
            prop_assert!(candidate != scenario);
        }
    }
}

#[test]
fn arbitrary_bytes_make_valid_scenarios() {
    use arbitrary::{Arbitrary, Unstructured};
    for length in [0usize, 1, 7, 64, 512] {
        let bytes: Vec<u8> = (0..length).map(|i| (i * 37 + 11) as u8).collect();
        let scenario = Scenario::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
        assert_eq!(scenario.validate(), Ok(()), "{length} bytes");
    }
}

#[test]
fn quickcheck_scenarios_are_valid_and_shrink() {
    let mut generator = quickcheck::Gen::new(32);
    for _ in 0..16 {
        let scenario = <Scenario as quickcheck::Arbitrary>::arbitrary(&mut generator);
        assert_eq!(scenario.validate(), Ok(()));
        for candidate in quickcheck::Arbitrary::shrink(&scenario).take(8) {
            assert_eq!(candidate.validate(), Ok(()));
        }
    }
}

#[test]
fn options_restrict_presets() {
    let options = GenOptions::presets(&["lww", "cassandra"]);
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..32 {
        let scenario = proptest::strategy::ValueTree::current(
            &scenarios(&options).new_tree(&mut runner).unwrap(),
        );
        assert_eq!(scenario.config.resolution, quorate::config::Resolution::Lww);
    }
}

#[test]
fn options_restrict_fault_kinds() {
    let options = GenOptions::preset("weak").faults(&[FaultType::Crash]);
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..32 {
        let scenario = proptest::strategy::ValueTree::current(
            &scenarios(&options).new_tree(&mut runner).unwrap(),
        );
        assert!(scenario
            .faults
            .iter()
            .all(|f| f.kind.fault_type() == FaultType::Crash));
        assert_eq!((scenario.config.r, scenario.config.w), (1, 1));
    }
}

#[test]
fn a_broken_promise_is_found_minimized_and_explained() {
    // Weak quorums (r = w = 1) promise only eventual; asked for quorum they read stale values
    // even without faults. The search must find it, shrink it and say how to replay it.
    let options = GenOptions::preset("weak").no_faults().clients(2..=3);
    let property = |scenario: &Scenario| check_scenario_against(scenario, Some(Model::Quorum));
    let failure = find_failure(&options, 64, &property).unwrap_err();
    let failure = quorate::testing::shrink_failure(failure, &property);
    let report = failure.report().expect("an anomaly, not an error");
    assert!(report.kinds().contains(&AnomalyKind::StaleRead));
    assert!(failure.scenario.op_count() <= 6, "{failure}");
    let text = failure.to_string();
    assert!(
        text.contains(&format!("seed {}", failure.scenario.seed)),
        "{text}"
    );
    assert!(text.contains("replay:   quorate sim --scenario"), "{text}");
    assert!(text.contains("minimize: quorate minimize"), "{text}");
    // The saved scenario file is the one the replay command runs.
    let saved = failure
        .saved_to
        .as_ref()
        .expect("saved under target/quorate-failures");
    let replayed = Scenario::from_json(&std::fs::read_to_string(saved).unwrap()).unwrap();
    assert_eq!(replayed, *failure.scenario);
    assert!(check_scenario_against(&replayed, Some(Model::Quorum)).is_err());
}
