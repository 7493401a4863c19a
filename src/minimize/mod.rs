//! Delta debugging (docs/DESIGN.md §5): after proptest's shrinking, make a failing scenario smaller
//! (drop faults, clients, steps, nodes) while the same anomaly kind stays, then make its history
//! smaller (drop operations) while the checker's verdict and anomaly kinds stay exactly the same.
//!
//! It owns the search for a smaller input, not the judgement: the caller's predicate says whether
//! a candidate still shows the anomaly. What it must never do: accept a candidate that is not a
//! valid scenario or history, or loop without bound (every search has an attempt budget).
//!
//! ```
//! use quorate::minimize::minimize_history_ops;
//! use quorate::history::History;
//!
//! let history = History::from_json(include_str!("../../histories/example.json")).unwrap();
//! // The smallest history with at least two operations, by removals alone.
//! let small = minimize_history_ops(&history, |candidate| candidate.operations.len() >= 2, 1000);
//! assert_eq!(small.operations.len(), 2);
//! ```

use std::collections::BTreeSet;

use crate::cause;
use crate::check::{check, AnomalyKind, CheckError, CheckOptions, Model, Report};
use crate::gen::smaller;
use crate::history::{History, OpId};
use crate::sim;
use crate::sim::Scenario;

/// Why a minimization could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum MinimizeError {
    /// The given scenario does not show what is to be kept.
    #[error("the scenario (seed {seed}) does not show {kind}{} against {model}", if *forbidden { " forbidden" } else { "" })]
    NotShown {
        /// The scenario's seed.
        seed: u64,
        /// The anomaly kind to keep.
        kind: AnomalyKind,
        /// Whether it had to be forbidden.
        forbidden: bool,
        /// The model named, or "its configuration's model".
        model: String,
    },
    /// The minimized scenario no longer runs (it ran while it was being minimized).
    #[error(transparent)]
    Scenario(#[from] sim::ScenarioError),
    /// The checker refused a history of the scenario.
    #[error(transparent)]
    Check(#[from] CheckError),
}

/// How many candidates a search may try before it stops with what it has.
pub const ATTEMPTS_MAX: usize = 5_000;

/// What a minimization keeps: an anomaly of `kind` when checking against `model`, one the model
/// forbids when `forbidden` (a failure stays a failure, not the same kind allowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The model to check against; `None`: the one the configuration promises.
    pub model: Option<Model>,
    /// The anomaly kind to keep.
    pub kind: AnomalyKind,
    /// Whether only a finding of `kind` the model forbids counts.
    pub forbidden: bool,
}

impl Target {
    /// Whether the scenario, run on the reference store, still shows the anomaly.
    pub fn shown_by_scenario(&self, scenario: &Scenario) -> bool {
        sim::run_history(scenario).is_ok_and(|history| self.shown_by_history(&history))
    }

    /// Whether the history still shows the anomaly.
    pub fn shown_by_history(&self, history: &History) -> bool {
        check(history, &CheckOptions::model(self.model)).is_ok_and(|report| {
            report.anomalies.iter().any(|finding| {
                finding.anomaly.kind() == self.kind && (finding.forbidden || !self.forbidden)
            })
        })
    }
}

/// The smallest scenario reachable from `scenario` by the removals of [`smaller`] (tried most
/// aggressive first, restarting after each success) for which `still_fails` holds; `scenario`
/// itself must satisfy it. The result is 1-minimal: no single removal keeps the failure.
pub fn minimize_scenario<P>(scenario: &Scenario, still_fails: P, attempts_max: usize) -> Scenario
where
    P: Fn(&Scenario) -> bool,
{
    let mut current = scenario.clone();
    let mut attempts = 0;
    'search: loop {
        for candidate in smaller(&current) {
            if attempts >= attempts_max {
                break 'search;
            }
            attempts += 1;
            if still_fails(&candidate) {
                current = candidate;
                continue 'search;
            }
        }
        break;
    }
    current
}

/// ddmin over a history's operations: remove chunks (halves, quarters, … single operations) while
/// `still_fails` holds for the valid remainder. Final replica snapshots are dropped first if the
/// failure does not need them.
pub fn minimize_history_ops<P>(history: &History, still_fails: P, attempts_max: usize) -> History
where
    P: Fn(&History) -> bool,
{
    let holds = |candidate: &History| candidate.validate().is_ok() && still_fails(candidate);
    let mut current = history.clone();
    // The trace is carried through untouched (the checker never reads it) and not cloned into
    // every candidate.
    let trace = current.trace.take();
    let mut attempts = 0;
    if current.replicas.is_some() {
        let candidate = History {
            replicas: None,
            ..current.clone()
        };
        attempts += 1;
        if holds(&candidate) {
            current = candidate;
        }
    }
    let mut chunks = 2;
    loop {
        let len = current.operations.len();
        if len == 0 || attempts >= attempts_max {
            break;
        }
        let chunk_len = len.div_ceil(chunks.min(len));
        let mut removed_any = false;
        let mut start = 0;
        while start < current.operations.len() && attempts < attempts_max {
            let end = (start + chunk_len).min(current.operations.len());
            let mut candidate = current.clone();
            candidate.operations.drain(start..end);
            attempts += 1;
            if holds(&candidate) {
                current = candidate;
                removed_any = true;
            } else {
                start = end;
            }
        }
        if removed_any {
            continue;
        }
        if chunk_len == 1 {
            break;
        }
        chunks *= 2;
    }
    current.trace = trace;
    current
}

/// A failure made small: the scenario, its run's history made small, and that history's report.
#[derive(Clone, Debug)]
pub struct Minimized {
    /// The smallest scenario found that still shows the target.
    pub scenario: Scenario,
    /// Its run's history, made small too when a history rule was given (else the whole run).
    pub history: History,
    /// The checker's report on `history`.
    pub report: Report,
}

/// What a history candidate must keep: `(candidate, its report, the report of the minimized
/// scenario's whole run)`.
pub type HistoryKeeps<'a> = &'a dyn Fn(&History, &Report, &Report) -> bool;

/// Makes a failure of the reference store small, scenario then history: `quorate minimize`,
/// explore's witnesses, the zoo's hunts and the edge-case gallery all come here. (A property's
/// failure on any store, `testing::shrink_failure`, shrinks the scenario alone with
/// [`minimize_scenario`], since only the property can run that store.) First the smallest
/// scenario for which `scenario_keeps` holds (the given scenario must satisfy it), then, when
/// `history_keeps` is given, the smallest history of that scenario's run that keeps it, each
/// candidate checked against `model`; a history candidate also keeps the operations the
/// timeline's explanation of the run's anomaly names (`crate::cause`), so the minimized witness
/// still shows why. Every search stops after `attempts_max` candidates.
pub fn minimize_failure(
    scenario: &Scenario,
    model: Option<Model>,
    scenario_keeps: &dyn Fn(&Scenario) -> bool,
    history_keeps: Option<HistoryKeeps<'_>>,
    attempts_max: usize,
) -> Result<Minimized, MinimizeError> {
    let scenario = minimize_scenario(scenario, scenario_keeps, attempts_max);
    // The minimized run is recorded with its trace, so the case's timeline can show why.
    let history = sim::run_traced(&scenario)?.history;
    let options = CheckOptions::model(model);
    let run_report = check(&history, &options)?;
    let Some(history_keeps) = history_keeps else {
        return Ok(Minimized {
            scenario,
            history,
            report: run_report,
        });
    };
    // The timeline's explanation of the run's forbidden anomaly names operations (a write whose message
    // made a replica lose another, the read that then missed it): a candidate keeps them, so the
    // minimized witness still shows its cause.
    let forbidden: Vec<Vec<OpId>> = run_report
        .anomalies
        .iter()
        .filter(|finding| finding.forbidden)
        .map(|finding| finding.anomaly.operations())
        .collect();
    let forbidden: Vec<&[OpId]> = forbidden.iter().map(Vec::as_slice).collect();
    let cause = cause::anomaly_to_explain(&forbidden)
        .map(|witness| cause::needed_operations(&history, witness))
        .unwrap_or_default();
    let history = minimize_history_ops(
        &history,
        |candidate| {
            keeps_operations(candidate, &cause)
                && check(candidate, &options)
                    .is_ok_and(|report| history_keeps(candidate, &report, &run_report))
        },
        attempts_max,
    );
    let report = check(&history, &options)?;
    Ok(Minimized {
        scenario,
        history,
        report,
    })
}

/// Whether `history` still has every operation of `needed`.
fn keeps_operations(history: &History, needed: &BTreeSet<OpId>) -> bool {
    needed.is_empty()
        || history
            .operations
            .iter()
            .filter(|op| needed.contains(&op.id))
            .count()
            == needed.len()
}

/// The scenario, then its history, minimized for `target`. The history keeps exactly the
/// minimized scenario's verdict and anomaly kinds.
pub fn minimize(
    scenario: &Scenario,
    target: Target,
) -> Result<(Scenario, History, Report), MinimizeError> {
    if !target.shown_by_scenario(scenario) {
        return Err(MinimizeError::NotShown {
            seed: scenario.seed,
            kind: target.kind,
            forbidden: target.forbidden,
            model: target
                .model
                .map_or("its configuration's model".into(), |m| m.to_string()),
        });
    }
    let same_verdict_and_kinds = |_: &History, report: &Report, run: &Report| {
        report.verdict == run.verdict && same_kinds(&report.kinds(), &run.kinds())
    };
    let minimized = minimize_failure(
        scenario,
        target.model,
        &|candidate| target.shown_by_scenario(candidate),
        Some(&same_verdict_and_kinds),
        ATTEMPTS_MAX,
    )?;
    Ok((minimized.scenario, minimized.history, minimized.report))
}

/// Whether two lists name the same kinds, in any order.
pub fn same_kinds(left: &[AnomalyKind], right: &[AnomalyKind]) -> bool {
    let mut left = left.to_vec();
    let mut right = right.to_vec();
    left.sort();
    right.sort();
    left == right
}

/// The first forbidden anomaly kind of a report.
pub fn first_forbidden(report: &Report) -> Option<AnomalyKind> {
    report
        .anomalies
        .iter()
        .find(|found| found.forbidden)
        .map(|found| found.anomaly.kind())
}
