//! C6 (reaping, docs/DESIGN.md §4): with reaping configured, no home replica still holds a
//! tombstone-only state of a key at quiescence later than the configuration promises it gone.
//!
//! A store reaps a key's tombstone once its delay has passed and every home replica holds it,
//! so the promise has two conditions, both read from the history alone:
//! - every home replica holds the tombstone: either the key must converge (the obligation of
//!   `obligation`: a key the configuration does not promise to bring together need not reach
//!   the state that reaping waits for), or every snapshot of the key shows that it did (they
//!   all hold the same tombstone-only state, so every reap vote would pass), and
//! - the tombstone is old enough: the run went quiet (`time_ms_end`) later than the key's last
//!   activity plus the reap delay plus the settle time. The key's last activity is the latest
//!   invocation or completion of its operations and the latest heal of any fault (a fault with
//!   no heal lasted to the end of the workload, the last completion of any operation): after
//!   it, nothing but repair changes the key. The settle time is what the configuration gives
//!   repair to bring every home replica the final state and the reap votes to go round:
//!   `request_timeout_ms` (a coordinator sends, hints and repairs within it) + 4 × the
//!   network's longest latency (a request in, its copy out, a reap question and its answer) +
//!   with anti-entropy, `anti_entropy_period_ms` × `nodes` (every node's exchange comes round
//!   once) + the largest clock skew of the run (a skewed node's timers run off its own clock).
//!
//! A tombstone-only state is one with at least one tombstone and no value: a tombstone beside a
//! live sibling is not a deleted key, and nothing reaps it.
//!
//! Owns: that deadline ([`ReapDeadline`]) and the check. Must never: read the store's own
//! tuning (maintenance periods, quiet windows) — only the configuration and what the history
//! records of the run — or judge a run that was not quiet, whose replicas were still changing.

use crate::config::{Config, Reaping};
use crate::history::{FaultType, History, ReplicaSnapshot, Value};

use super::anomaly::{Anomaly, Findings, OpSummary, ReplicaHolding};
use super::index::KeyIndex;
use super::obligation;

/// When the configuration promises every tombstone of a key gone, given the key's last activity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ReapDeadline {
    /// The reap delay (0 for immediate reaping).
    reap_after_ms: u64,
    /// The settle time (see the module docs).
    settle_ms: u64,
    /// The latest heal of the run's faults (0 without faults).
    faults_healed_ms: u64,
    /// When the run went quiet.
    time_ms_end: u64,
}

impl ReapDeadline {
    /// The deadline of a history whose snapshots are final, or why C6 cannot be judged.
    pub(crate) fn of(history: &History) -> Result<ReapDeadline, String> {
        let Some(config) = &history.config else {
            return Err(
                "the history has no configuration, so nothing says it reaps tombstones".into(),
            );
        };
        let reap_after_ms = match config.reaping {
            Reaping::Keep => {
                return Err("the configuration keeps its tombstones (reaping: keep)".into())
            }
            Reaping::Immediate => 0,
            Reaping::AfterMs(delay_ms) => delay_ms,
        };
        let run = match &history.run {
            Some(run) if run.quiescent && run.bound_hit.is_none() => run,
            Some(_) => {
                return Err(
                    "the run did not go quiet, so tombstones may still have been due".into(),
                )
            }
            None => return Err("the history does not say when the run went quiet".into()),
        };
        let Some(latency_ms) = obligation::longest_latency_ms(history) else {
            return Err(
                "the history's scenario does not name its network latency, which the reap deadline needs"
                    .into(),
            );
        };
        let Some(skew_ms) = largest_skew_ms(history) else {
            return Err(
                "a clock-skew fault of the run is not in the history's scenario, so its size (which delays reaping) is unknown"
                    .into(),
            );
        };
        Ok(ReapDeadline {
            reap_after_ms,
            settle_ms: settle_ms(config, latency_ms, skew_ms),
            faults_healed_ms: faults_healed_ms(history, config),
            time_ms_end: run.time_ms_end,
        })
    }

    /// C6 on one key: the home replicas that hold only tombstones although the deadline has
    /// passed. `must_converge` (the obligation) is asked only when there is one and the
    /// snapshots do not all hold the same tombstones.
    pub(crate) fn check_key(
        &self,
        history: &History,
        key: &KeyIndex<'_>,
        snapshots: &[&ReplicaSnapshot],
        must_converge: impl FnOnce() -> bool,
        out: &mut Findings,
    ) {
        let replicas: Vec<ReplicaHolding> = snapshots
            .iter()
            .filter(|snapshot| snapshot.values.is_empty() && !snapshot.tombstones.is_empty())
            .map(|snapshot| {
                let mut tombstones = snapshot.tombstones.clone();
                tombstones.sort();
                tombstones.dedup();
                ReplicaHolding {
                    node: snapshot.node,
                    values: tombstones,
                }
            })
            .collect();
        if replicas.is_empty() {
            return;
        }
        let last_activity_ms = key
            .writes
            .iter()
            .chain(&key.gets)
            .map(|&op| {
                let operation = &history.operations[op];
                operation
                    .time_ms_complete
                    .unwrap_or(0)
                    .max(operation.time_ms_invoke)
            })
            .chain([self.faults_healed_ms])
            .max()
            .unwrap_or(0);
        let due_ms = last_activity_ms
            .saturating_add(self.reap_after_ms)
            .saturating_add(self.settle_ms);
        // Every snapshot holds the same tombstones and nothing else: reaping's condition is met.
        let agreed = replicas.len() == snapshots.len()
            && replicas
                .windows(2)
                .all(|pair| pair[0].values == pair[1].values);
        if self.time_ms_end <= due_ms || !(agreed || must_converge()) {
            return;
        }
        let mut held: Vec<&Value> = replicas.iter().flat_map(|r| &r.values).collect();
        held.sort();
        held.dedup();
        let deletes = held
            .into_iter()
            .filter_map(|value| key.write_of(value))
            .map(|write| OpSummary::of(&history.operations[key.writes[write]]))
            .collect();
        out.push(Anomaly::TombstoneNotReaped {
            key: key.key.clone(),
            replicas,
            deletes,
            reap_after_ms: self.reap_after_ms,
            time_ms_last_activity: last_activity_ms,
            time_ms_due: due_ms,
            time_ms_end: self.time_ms_end,
        });
    }
}

/// The settle time of the module docs.
fn settle_ms(config: &Config, latency_ms: u64, skew_ms: u64) -> u64 {
    let anti_entropy_ms = config.anti_entropy_period_ms.map_or(0, |period_ms| {
        period_ms.saturating_mul(u64::from(config.nodes))
    });
    config
        .request_timeout_ms
        .saturating_add(latency_ms.saturating_mul(4))
        .saturating_add(anti_entropy_ms)
        .saturating_add(skew_ms)
}

/// The latest heal of the run's faults; a fault with no heal lasted until the workload ended,
/// when the last operation completed (or its client gave up: an `info` operation with no
/// completion time waited at most the client timeout).
fn faults_healed_ms(history: &History, config: &Config) -> u64 {
    let workload_end_ms = || {
        history
            .operations
            .iter()
            .map(|operation| {
                operation.time_ms_complete.unwrap_or(
                    operation
                        .time_ms_invoke
                        .saturating_add(config.client_timeout_ms),
                )
            })
            .max()
            .unwrap_or(0)
    };
    history
        .faults
        .iter()
        .map(|fault| fault.time_ms_end.unwrap_or_else(workload_end_ms))
        .max()
        .unwrap_or(0)
}

/// The largest clock skew, in either direction, of the clock-skew faults the history's scenario
/// lists (0 when the run had none); `None` when the run had one the scenario does not list.
fn largest_skew_ms(history: &History) -> Option<u64> {
    if !history
        .faults
        .iter()
        .any(|fault| fault.kind == FaultType::ClockSkew)
    {
        return Some(0);
    }
    let faults = history.scenario.as_ref()?.get("faults")?.as_array()?;
    let skews: Vec<u64> = faults
        .iter()
        .filter_map(|fault| fault.get("kind"))
        .filter(|kind| kind.get("fault").and_then(|name| name.as_str()) == Some("clock_skew"))
        .filter_map(|kind| kind.get("skew_ms")?.as_i64())
        .map(i64::unsigned_abs)
        .collect();
    skews.into_iter().max()
}
