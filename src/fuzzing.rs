//! The bodies of the fuzz targets in `fuzz/`: each takes the fuzzer's bytes and panics exactly
//! when it finds a bug, with a message that names the bug.
//!
//! They live in the library, not in `fuzz/`, so that `cargo test` runs them over the committed
//! seed corpora (`tests/generators/fuzz_bodies.rs`) on a machine without cargo-fuzz, and so that a crash
//! artifact can be replayed by an ordinary test. This is the only module whose functions panic
//! on purpose; nothing else in the library calls them.

use std::collections::BTreeSet;

use arbitrary::{Result, Unstructured};

use crate::check::{self, mvr_oracle};
use crate::config::{parse_bugs, Bug, UnknownBug};
use crate::gen::{self, GenOptions};
use crate::history::{
    Action, ClientId, History, Key, OpId, Operation, Outcome, ReadValue, Value, Write,
};
use crate::lin::import::{self, Format};
use crate::sim::Scenario;
use crate::testing::{self, FailureReason};

/// The scenarios the `scenario` target draws: every preset and fault kind, small (at most three
/// clients of six steps, two keys, three faults), so that a run costs well under a millisecond.
pub fn scenario_options() -> GenOptions {
    GenOptions::default()
}

/// The environment variable that switches bug-zoo bugs on for the `scenario` target (a comma
/// list of names, e.g. `QUORATE_FUZZ_BUGS=vnode-clock`), so the fuzzer's power can be measured
/// the way the property tests' is. Read by the fuzz target and `quorate fuzz-artifact`, which pass
/// the bugs in; never by the store or by these bodies.
pub const BUGS_VARIABLE: &str = "QUORATE_FUZZ_BUGS";

/// A name in [`BUGS_VARIABLE`] that is not a bug.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{BUGS_VARIABLE}: {0}")]
pub struct BugsVariableError(#[from] pub UnknownBug);

/// The bugs [`BUGS_VARIABLE`] names (none when it is unset), or why a name is not a bug.
pub fn bugs_from_environment() -> std::result::Result<BTreeSet<Bug>, BugsVariableError> {
    match std::env::var(BUGS_VARIABLE) {
        Ok(list) => Ok(parse_bugs(&list)?),
        Err(_) => Ok(BTreeSet::new()),
    }
}

/// The scenario a fuzz input stands for, or `None` when the bytes run out before one is drawn,
/// with `bugs` switched on. `quorate fuzz-artifact` decodes crash artifacts with this same
/// function (with the bugs [`BUGS_VARIABLE`] names, as the fuzz target does).
pub fn scenario_of(bytes: &[u8], bugs: &BTreeSet<Bug>) -> Option<Scenario> {
    let mut scenario =
        gen::from_unstructured(&mut Unstructured::new(bytes), &scenario_options()).ok()?;
    scenario.config.bugs.extend(bugs.iter().copied());
    Some(scenario)
}

/// bytes → scenario → simulate → check against the model its configuration promises. A
/// forbidden anomaly (or a scenario that cannot run) is a crash whose message names the anomaly,
/// the seed and the commands that replay it.
pub fn scenario(bytes: &[u8], bugs: &BTreeSet<Bug>) {
    let Some(scenario) = scenario_of(bytes, bugs) else {
        return;
    };
    match testing::check_scenario(&scenario) {
        Ok(_) => {}
        Err(failure) if matches!(&failure.reason, FailureReason::Report(report) if report.forbidden_count() == 0) => {
            // Unknown (a budget spent), not a forbidden anomaly: nothing to report.
        }
        Err(failure) => panic!(
            "{failure}turn this crash into a regression case: quorate fuzz-artifact ARTIFACT --out histories/fuzz-{}.json",
            scenario.seed
        ),
    }
}

/// bytes → every loader and importer. Never a panic; the loader reads exactly what serde_json
/// reads (it has a fast path of its own); a quorate history that loads survives a JSON round
/// trip unchanged, and the checker judges it without a panic; importing is deterministic.
pub fn parse(bytes: &[u8]) {
    let by_serde = serde_json::from_slice::<History>(bytes).ok();
    assert!(
        History::parse(bytes).ok() == by_serde,
        "the loader and serde_json read these bytes differently"
    );
    if let Ok(history) = History::from_slice(bytes) {
        let _ = check::check(&history, &check::CheckOptions::default());
        let text = history.to_json();
        match History::from_json(&text) {
            Ok(again) => assert!(
                again == history,
                "a loaded history changed in a JSON round trip"
            ),
            Err(error) => {
                panic!("a loaded history does not load again after a JSON round trip: {error}")
            }
        }
    }
    for format in [Format::Edn, Format::JepsenLog, Format::PorcupineKv] {
        let first = import::import(bytes, format);
        let second = import::import(bytes, format);
        assert!(
            first == second,
            "importing the same bytes as {format:?} twice gave different results"
        );
    }
    let _ = import::detect(bytes);
}

/// bytes → a small history of one key (at most 8 operations, 3 clients, every outcome, contexts
/// that are what the writing client last read) → the polynomial MVR-linearizability decision
/// must equal the brute-force oracle's. Returns whether the two judges were compared (the bytes
/// made a well-formed history), so a corpus test can require comparisons.
pub fn checker_oracle(bytes: &[u8]) -> bool {
    let Ok(history) = small_history(&mut Unstructured::new(bytes)) else {
        return false;
    };
    let key = Key::from("k");
    // Only well-formed inputs are compared: both judges reject the rest the same way.
    if history.validate().is_err() || check::check_precondition(&history).is_err() {
        return false;
    }
    let fast = check::key_is_mvr_linearizable(&history, &key);
    let brute = mvr_oracle::find_order(&history, &key);
    match (fast, brute) {
        (Ok(Some(fast)), Ok(order)) => assert!(
            fast == order.is_some(),
            "the fast checker says linearizable = {fast}, the oracle found {order:?}, on:\n{}",
            history.to_json()
        ),
        (fast, brute) => panic!(
            "a judge failed on a well-formed history: {fast:?} / {brute:?}\n{}",
            history.to_json()
        ),
    }
    true
}

/// Decodes a small history of key `k`. Puts take effect (in a simulated multi-value register)
/// at a time inside their interval unless they never do; most gets return that register's state,
/// some a subset or superset of it, so that both verdicts are common.
fn small_history(input: &mut Unstructured<'_>) -> Result<History> {
    let operation_count = input.int_in_range(1..=8u8)? as usize;
    let client_count = input.int_in_range(1..=3u32)?;
    let mut client_free_ms = vec![0u64; client_count as usize];
    let mut client_last_read: Vec<Vec<Value>> = vec![Vec::new(); client_count as usize];
    // Writes so far: (value, context, effect time or none).
    let mut writes: Vec<(Value, Vec<Value>, Option<u64>)> = Vec::new();
    let mut operations = Vec::with_capacity(operation_count);
    for index in 0..operation_count {
        let client = input.int_in_range(0..=client_count - 1)?;
        let time_ms_invoke =
            client_free_ms[client as usize] + u64::from(input.int_in_range(0..=3u8)?);
        let duration_ms = u64::from(input.int_in_range(0..=4u8)?);
        let time_ms_complete = time_ms_invoke + duration_ms;
        client_free_ms[client as usize] = time_ms_complete + 1;
        let outcome = match input.int_in_range(0..=9u8)? {
            0 => Outcome::Fail,
            1 => Outcome::Info,
            _ => Outcome::Ok,
        };
        let action = if input.arbitrary::<bool>()? {
            let value = Value::from(format!("v{index}"));
            let context = client_last_read[client as usize].clone();
            let effect_ms = match outcome {
                Outcome::Ok => Some(input.int_in_range(time_ms_invoke..=time_ms_complete)?),
                _ if input.arbitrary::<bool>()? => None,
                _ => Some(time_ms_invoke + u64::from(input.int_in_range(0..=8u8)?)),
            };
            writes.push((value.clone(), context.clone(), effect_ms));
            Action::Put(Write { value, context })
        } else {
            let read_at_ms = input.int_in_range(time_ms_invoke..=time_ms_complete)?;
            let mut returned = register_state(&writes, read_at_ms);
            match input.int_in_range(0..=5u8)? {
                0 if !returned.is_empty() => {
                    let drop = input.choose_index(returned.len())?;
                    returned.remove(drop);
                }
                1 if !writes.is_empty() => {
                    let extra = &writes[input.choose_index(writes.len())?].0;
                    if !returned.contains(extra) {
                        returned.push(extra.clone());
                    }
                }
                _ => {}
            }
            if outcome == Outcome::Ok {
                client_last_read[client as usize] = returned.clone();
            }
            let values = if outcome == Outcome::Ok {
                returned
            } else {
                Vec::new()
            };
            Action::Get {
                values: values
                    .into_iter()
                    .map(|value| ReadValue {
                        value,
                        tombstone: false,
                    })
                    .collect(),
                context: None,
            }
        };
        operations.push(Operation {
            id: OpId(index as u64),
            client: ClientId(client),
            key: Key::from("k"),
            action,
            time_ms_invoke,
            time_ms_complete: if outcome == Outcome::Info {
                None
            } else {
                Some(time_ms_complete)
            },
            outcome,
            meta: None,
        });
    }
    // An info operation with no completion must be its client's last.
    let mut seen_later = vec![false; client_count as usize];
    for operation in operations.iter_mut().rev() {
        let client = operation.client.0 as usize;
        if operation.time_ms_complete.is_none() && seen_later[client] {
            operation.time_ms_complete = Some(operation.time_ms_invoke);
        }
        seen_later[client] = true;
    }
    Ok(History::new(operations))
}

/// The values of a multi-value register after the writes that took effect by `time_ms`, in
/// effect order: each write removes what its context names (and what those overwrote).
fn register_state(writes: &[(Value, Vec<Value>, Option<u64>)], time_ms: u64) -> Vec<Value> {
    let mut applied: Vec<&(Value, Vec<Value>, Option<u64>)> = writes
        .iter()
        .filter(|(_, _, effect)| effect.is_some_and(|effect| effect <= time_ms))
        .collect();
    applied.sort_by_key(|(_, _, effect)| *effect);
    let mut state: Vec<Value> = Vec::new();
    let mut overwritten: Vec<Value> = Vec::new();
    for (value, context, _) in applied {
        overwritten.extend(context.iter().cloned());
        state.retain(|current| !context.contains(current));
        if !overwritten.contains(value) {
            state.push(value.clone());
        }
    }
    state
}
