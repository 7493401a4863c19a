//! Laws of the causality types, checked on sibling sets that a real cluster could reach: replicas
//! that write with contexts they read and merge each other's state.

use proptest::prelude::*;
use quorate::causality::{Causality, NodeId, SiblingSet, VersionVector};

/// One step of a small cluster of replicas of one key. Replica `i` mints dots as node `i`.
#[derive(Clone, Debug)]
enum Step {
    /// Replica `at` writes with the context that replica `read_from` had (or none).
    Put { at: usize, read_from: Option<usize> },
    /// Replica `to` merges what replica `from` holds.
    Merge { from: usize, to: usize },
}

const REPLICAS: usize = 3;

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..REPLICAS, proptest::option::of(0..REPLICAS))
            .prop_map(|(at, read_from)| Step::Put { at, read_from }),
        (0..REPLICAS, 0..REPLICAS).prop_map(|(from, to)| Step::Merge { from, to }),
    ]
}

/// Runs the steps; every put writes a fresh value, so values are unique as in a history.
fn run(steps: &[Step]) -> Vec<SiblingSet<u32>> {
    let mut replicas = vec![SiblingSet::new(); REPLICAS];
    for (value, step) in steps.iter().enumerate() {
        match *step {
            Step::Put { at, read_from } => {
                let context = read_from
                    .map(|j| replicas[j].context().clone())
                    .unwrap_or_default();
                replicas[at].put(NodeId(at as u32), &context, value as u32);
            }
            Step::Merge { from, to } => {
                let source = replicas[from].clone();
                replicas[to].merge(&source);
            }
        }
    }
    replicas
}

fn cluster() -> impl Strategy<Value = Vec<SiblingSet<u32>>> {
    proptest::collection::vec(step(), 0..24).prop_map(|steps| run(&steps))
}

fn values(object: &SiblingSet<u32>) -> Vec<u32> {
    let mut values: Vec<u32> = object.values().copied().collect();
    values.sort_unstable();
    values
}

proptest! {
    #[test]
    fn reachable_states_keep_the_invariants(replicas in cluster()) {
        for object in &replicas {
            prop_assert_eq!(object.check_invariants(), Ok(()));
        }
    }

    #[test]
    fn merge_is_commutative_associative_idempotent(replicas in cluster()) {
        let [a, b, c] = [&replicas[0], &replicas[1], &replicas[2]];
        prop_assert_eq!(a.merged(b), b.merged(a));
        prop_assert_eq!(a.merged(b).merged(c), a.merged(&b.merged(c)));
        prop_assert_eq!(&a.merged(a), a);
    }

    #[test]
    fn merge_output_is_an_antichain(replicas in cluster()) {
        let merged = replicas[0].merged(&replicas[1]).merged(&replicas[2]);
        prop_assert_eq!(merged.check_invariants(), Ok(()));
        for x in merged.siblings() {
            for y in merged.siblings() {
                prop_assert!(!x.precedes(y), "{} precedes {}", x.dot, y.dot);
            }
        }
    }

    #[test]
    fn comparison_is_a_partial_order_consistent_with_merge(replicas in cluster()) {
        let contexts: Vec<&VersionVector> = replicas.iter().map(SiblingSet::context).collect();
        for &a in &contexts {
            prop_assert_eq!(a.compare(a), Causality::Equal);
            for &b in &contexts {
                let mut joined = a.clone();
                joined.merge(b);
                // a ≤ a ⊔ b, and a ≤ b exactly when a ⊔ b = b.
                prop_assert!(matches!(a.compare(&joined), Causality::Before | Causality::Equal));
                let below = matches!(a.compare(b), Causality::Before | Causality::Equal);
                prop_assert_eq!(below, &joined == b);
                // Antisymmetry and the mirror image.
                let mirrored = match a.compare(b) {
                    Causality::Before => Causality::After,
                    Causality::After => Causality::Before,
                    other => other,
                };
                prop_assert_eq!(b.compare(a), mirrored);
                for &c in &contexts {
                    let le = |x: &VersionVector, y: &VersionVector| matches!(x.compare(y), Causality::Before | Causality::Equal);
                    if le(a, b) && le(b, c) {
                        prop_assert!(le(a, c));
                    }
                }
            }
        }
        // Merging objects merges their contexts.
        let mut joined = contexts[0].clone();
        joined.merge(contexts[1]);
        let merged = replicas[0].merged(&replicas[1]);
        prop_assert_eq!(merged.context(), &joined);
    }

    #[test]
    fn put_discards_exactly_the_covered_siblings(replicas in cluster(), reader in 0..REPLICAS) {
        let mut object = replicas[0].clone();
        let context = replicas[reader].context().clone();
        let kept: Vec<u32> = object
            .siblings()
            .iter()
            .filter(|sibling| !context.covers(sibling.dot))
            .map(|sibling| sibling.value)
            .collect();
        let dot = object.put(NodeId(0), &context, 1_000);
        let mut expected = kept;
        expected.push(1_000);
        expected.sort_unstable();
        prop_assert_eq!(values(&object), expected);
        prop_assert!(object.context().covers(dot));
    }

    #[test]
    fn concurrent_puts_with_one_context_both_survive(replicas in cluster()) {
        let context = replicas[0].context().clone();
        let mut left = replicas[0].clone();
        let mut right = replicas[0].clone();
        left.put(NodeId(1), &context, 1_000);
        right.put(NodeId(2), &context, 1_001);
        let merged = left.merged(&right);
        let survivors = values(&merged);
        prop_assert!(survivors.contains(&1_000) && survivors.contains(&1_001), "{:?}", survivors);
        // A put whose context covers both replaces them, and everything else it had seen.
        let mut resolved = merged.clone();
        resolved.put(NodeId(0), &merged.context().clone(), 1_002);
        prop_assert_eq!(values(&resolved), vec![1_002]);
    }
}
