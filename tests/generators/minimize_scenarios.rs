//! Delta debugging by its results: on predicates whose smallest witness is known, the minimizer
//! reaches it (1-minimal: no single removal keeps the predicate), over scenarios and histories.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use quorate::gen::{scenarios, GenOptions};
use quorate::history::{History, OpKind};
use quorate::minimize::{minimize_history_ops, minimize_scenario, ATTEMPTS_MAX};
use quorate::sim::{FaultKind, Scenario};

fn big_scenario(seed_index: usize) -> Scenario {
    let options = GenOptions::default()
        .clients(3..=3)
        .ops_per_client(6..=6)
        .faults_max(3);
    let mut runner = TestRunner::deterministic();
    let strategy = scenarios(&options);
    (0..=seed_index)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .last()
        .unwrap()
}

#[test]
fn scenario_minimization_reaches_the_smallest_witness() {
    let mut tried = 0;
    for index in 0..8 {
        let scenario = big_scenario(index);
        let has_two_ops_and_a_fault = |s: &Scenario| s.op_count() >= 2 && !s.faults.is_empty();
        if !has_two_ops_and_a_fault(&scenario) {
            continue;
        }
        tried += 1;
        let small = minimize_scenario(&scenario, has_two_ops_and_a_fault, ATTEMPTS_MAX);
        assert_eq!(small.op_count(), 2, "{small:?}");
        assert_eq!(small.faults.len(), 1);
        assert!(small.clients.len() <= 2);
        assert_eq!(small.config.nodes, small.config.n);
        assert_eq!(small.validate(), Ok(()));
    }
    assert!(tried > 0);
}

#[test]
fn client_partitions_follow_their_client_when_clients_are_dropped() {
    let mut tried = 0;
    for index in 0..64 {
        let scenario = big_scenario(index);
        let partitioned_client_has_ops = |s: &Scenario| {
            s.faults.iter().any(|fault| match &fault.kind {
                FaultKind::Partition { clients, .. } => clients
                    .iter()
                    .any(|&client| !s.clients[client as usize].ops.is_empty()),
                _ => false,
            })
        };
        if partitioned_client_has_ops(&scenario) {
            tried += 1;
            let small = minimize_scenario(&scenario, partitioned_client_has_ops, ATTEMPTS_MAX);
            assert_eq!(small.clients.len(), 1, "{small:?}");
            assert_eq!(small.op_count(), 1);
            assert_eq!(small.validate(), Ok(()));
        }
    }
    assert!(tried > 0);
}

#[test]
fn history_minimization_keeps_only_what_the_predicate_needs() {
    let example = History::from_json(include_str!("../../histories/example.json")).unwrap();
    let two_puts = |h: &History| {
        h.operations
            .iter()
            .filter(|op| op.kind() == OpKind::Put)
            .count()
            >= 2
    };
    let small = minimize_history_ops(&example, two_puts, ATTEMPTS_MAX);
    assert_eq!(small.operations.len(), 2);
    assert!(small.replicas.is_none());
    assert_eq!(small.validate(), Ok(()));
}

/// A target that asks for a forbidden finding is not met by the same kind allowed: the weak
/// preset's stale read (r + w ≤ n) counts for a plain target and not for a forbidden one, and
/// the same history judged against `quorum` counts for both.
#[test]
fn a_forbidden_target_is_not_met_by_the_kind_allowed() {
    use quorate::check::{AnomalyKind, Model};
    use quorate::minimize::Target;
    let case: serde_json::Value = serde_json::from_str(include_str!(
        "../../histories/edge-cases/06-weak-quorum-stale-without-faults.json"
    ))
    .unwrap();
    let history = History::from_json(&case["history"].to_string()).unwrap();
    let target = |model, forbidden| Target {
        model,
        kind: AnomalyKind::StaleRead,
        forbidden,
    };
    assert!(target(None, false).shown_by_history(&history));
    assert!(!target(None, true).shown_by_history(&history));
    assert!(target(Some(Model::Quorum), true).shown_by_history(&history));
}
