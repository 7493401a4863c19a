//! Differential test: on random small histories the polynomial MVR-linearizability decision
//! (`check::key_is_mvr_linearizable`) agrees with the brute-force oracle (`check::mvr_oracle`).
//!
//! Histories have at most 8 operations, 3 clients and 2 keys, with ok, fail and info outcomes
//! and well-formed contexts. Most reads return what a simulated correct store would (so that
//! many histories are linearizable), some are nudged by one value, and some are random.
//! `PROPTEST_CASES` sets the number of cases.

use crate::check_support;

use check_support::generate::{build, scenario};
use proptest::prelude::*;
use quorate::check::{self, mvr_oracle, CheckOptions, Linearizability, Model, Verdict};
use quorate::history::Key;

proptest! {
    #[test]
    fn fast_decision_agrees_with_brute_force((clients, keys, specs) in scenario()) {
        let history = build(clients, keys, &specs);
        prop_assert_eq!(history.validate(), Ok(()), "{}", history.to_json());
        if check::check_precondition(&history).is_err() {
            // Equal-time writes can still make a context cycle; such a history is an input
            // error for both, so there is nothing to compare.
            return Ok(());
        }
        for key in 0..keys {
            let key = Key::from(format!("k{key}"));
            let fast = check::key_is_mvr_linearizable(&history, &key).unwrap();
            let brute = mvr_oracle::find_order(&history, &key).unwrap();
            prop_assert_eq!(
                fast,
                fast.map(|_| brute.is_some()),
                "key {} of\n{}\noracle order: {:?}",
                key,
                history.to_json(),
                brute
            );
        }
    }
}

proptest! {
    /// The whole report agrees too: against `atomic`, with no snapshots or store metadata, a
    /// history is valid exactly when the oracle finds an order for every key.
    #[test]
    fn atomic_verdict_agrees_with_brute_force((clients, keys, specs) in scenario()) {
        let history = build(clients, keys, &specs);
        if check::check_precondition(&history).is_err() {
            return Ok(());
        }
        let every_key_ordered = (0..keys).all(|key| {
            mvr_oracle::find_order(&history, &Key::from(format!("k{key}"))).unwrap().is_some()
        });
        let report = check::check(&history, &CheckOptions::model(Some(Model::Atomic))).unwrap();
        prop_assert_eq!(
            report.verdict == Verdict::Valid,
            every_key_ordered,
            "{}\n{}",
            history.to_json(),
            report
        );
        prop_assert_eq!(
            report.linearizability == Linearizability::Linearizable,
            every_key_ordered
        );
    }
}
