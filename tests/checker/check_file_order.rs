//! The order in which a file lists its operations means nothing: validation and the checker
//! reach the same conclusions however the operations are shuffled. (Both have fast paths for
//! the usual case, a file in time order; a shuffled file takes the general ones.)

use proptest::prelude::*;
use quorate::check::{check, CheckOptions, Report};
use quorate::gen::{scenarios, GenOptions};
use quorate::history::History;
use quorate::sim::run_history;
use quorate::testing::proptest_config;

/// The operations in an order drawn from `seed` (Fisher–Yates with a small xorshift).
fn shuffled(history: &History, seed: u64) -> History {
    let mut shuffled = history.clone();
    let mut state = seed | 1;
    for top in (1..shuffled.operations.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let other = (state % (top as u64 + 1)) as usize;
        shuffled.operations.swap(top, other);
    }
    shuffled
}

/// What must not depend on the file's order: the verdicts and which anomalies were found.
fn conclusions(report: &Report) -> impl PartialEq + std::fmt::Debug {
    let mut kinds = report.kinds();
    kinds.sort_by_key(|kind| format!("{kind:?}"));
    (
        report.verdict,
        report.strongest_model,
        report.linearizability.clone(),
        report.forbidden_count(),
        kinds,
    )
}

proptest! {
    #![proptest_config(proptest_config(128))]

    #[test]
    fn shuffling_the_operations_changes_no_conclusion(
        scenario in scenarios(&GenOptions::default()),
        seed in any::<u64>(),
    ) {
        let history = run_history(&scenario).map_err(|error| TestCaseError::fail(error.to_string()))?;
        let other = shuffled(&history, seed);
        prop_assert!(history.validate().is_ok());
        prop_assert!(other.validate().is_ok(), "{:?}", other.validate());
        let options = CheckOptions::default();
        match (check(&history, &options), check(&other, &options)) {
            (Ok(report), Ok(other_report)) => {
                prop_assert_eq!(conclusions(&report), conclusions(&other_report));
            }
            (report, other_report) => {
                prop_assert_eq!(report.err(), other_report.err());
            }
        }
    }
}

/// A client with two operations open at once is named the same way in any order.
#[test]
fn an_overlap_is_reported_the_same_in_any_order() {
    let text = r#"{"version": 1, "operations": [
      {"id": 0, "client": 1, "key": "k", "kind": "put", "value": "a", "time_ms_invoke": 0, "time_ms_complete": 10, "outcome": "ok"},
      {"id": 1, "client": 2, "key": "k", "kind": "put", "value": "b", "time_ms_invoke": 0, "time_ms_complete": 10, "outcome": "ok"},
      {"id": 2, "client": 2, "key": "k", "kind": "get", "values": [], "time_ms_invoke": 5, "time_ms_complete": 12, "outcome": "ok"},
      {"id": 3, "client": 1, "key": "k", "kind": "get", "values": [], "time_ms_invoke": 5, "time_ms_complete": 12, "outcome": "ok"}
    ]}"#;
    let history = History::parse(text.as_bytes()).unwrap();
    let expected = history.validate().unwrap_err().to_string();
    assert!(
        expected.starts_with("client 1 has two operations open at once"),
        "{expected}"
    );
    for seed in 0..24 {
        let other = shuffled(&history, seed);
        assert_eq!(other.validate().unwrap_err().to_string(), expected);
    }
}
