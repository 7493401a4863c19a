//! The testing API a store author calls from `cargo test`: run a scenario, check the history,
//! and on failure say everything needed to reproduce it (the seed, the anomaly, the scenario file
//! and the commands that replay and minimize it).
//!
//! It owns the glue between [`crate::gen`], [`crate::sim`], [`crate::check`] and
//! [`crate::minimize`] for tests. What it must never do: hide a failure (every failure is a
//! [`Failure`] whose text names the seed and the replay command), or depend on the wall clock (the
//! proptest runner is seeded deterministically unless `PROPTEST_RNG_SEED` says otherwise).
//!
//! "The reference store under partitions and crashes satisfies `quorum`" is three lines:
//!
//! ```
//! use quorate::gen::GenOptions;
//! use quorate::history::FaultType;
//! use quorate::testing::assert_model;
//!
//! let options = GenOptions::preset("dynamo").faults(&[FaultType::Partition, FaultType::Crash]);
//! assert_model(&options, None, 4);
//! ```
//!
//! Inside `proptest!`, a [`Failure`] (an `Error`) converts into a failed case with its text, so
//! `?` works; proptest then shrinks the scenario and keeps it in `proptest-regressions/`:
//!
//! ```
//! use proptest::prelude::*;
//! use quorate::gen::{scenarios, GenOptions};
//!
//! proptest! {
//!     #![proptest_config(quorate::testing::proptest_config(4))]
//!     # /*
//!     #[test]
//!     # */
//!     fn atomic_is_linearizable(scenario in scenarios(&GenOptions::preset("atomic"))) {
//!         quorate::testing::check_scenario(&scenario)?;
//!     }
//! }
//! # atomic_is_linearizable();
//! ```
//!
//! A store of your own goes through [`assert_store_model`] with a function that builds it from a
//! configuration, and one scenario through [`check_scenario`] or [`check_store_scenario`].

use std::fmt;
use std::path::{Path, PathBuf};

use proptest::test_runner::{
    Config as ProptestConfig, RngSeed, TestCaseError, TestError, TestRunner,
};

use crate::check::{check, CheckOptions, Model, Report, Verdict};
use crate::config::Config;
use crate::gen::{scenarios, GenOptions};
use crate::history::History;
use crate::sim::{self, Scenario};
use crate::store::Store;

/// Where failing scenarios are written, unless `QUORATE_FAILURES_DIR` says otherwise (relative
/// to the directory `cargo test` runs in: the package root).
pub const FAILURES_DIR: &str = "target/quorate-failures";

/// A scenario whose history breaks the model it was checked against, or that could not run.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The failing scenario (shrunk, when the property shrank it).
    pub scenario: Box<Scenario>,
    /// The model checked (`None`: the one the configuration promises).
    pub model: Option<Model>,
    /// What went wrong.
    pub reason: FailureReason,
    /// The file the scenario was saved to, if it could be.
    pub saved_to: Option<PathBuf>,
}

/// Why a scenario failed.
#[derive(Clone, Debug)]
pub enum FailureReason {
    /// The checker found forbidden anomalies (or could not decide).
    Report(Box<Report>),
    /// The scenario could not run, or its history could not be checked.
    Error(String),
}

impl Failure {
    fn new(scenario: &Scenario, model: Option<Model>, reason: FailureReason) -> Failure {
        Failure {
            scenario: Box::new(scenario.clone()),
            model,
            reason,
            saved_to: None,
        }
    }

    /// The report, when the failure is an anomaly rather than an error.
    pub fn report(&self) -> Option<&Report> {
        match &self.reason {
            FailureReason::Report(report) => Some(report),
            FailureReason::Error(_) => None,
        }
    }

    /// Writes the scenario as JSON under `dir` (named after its seed) and remembers where.
    pub fn save(&mut self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("scenario-{}.json", self.scenario.seed));
        let text = serde_json::to_string_pretty(&self.scenario).expect("a scenario serializes");
        std::fs::write(&path, text)?;
        self.saved_to = Some(path.clone());
        Ok(path)
    }

    /// Saves the scenario under `QUORATE_FAILURES_DIR` or [`FAILURES_DIR`]; a failure to save is
    /// only noted (the scenario is in the text anyway).
    pub fn save_default(&mut self) {
        let dir = std::env::var_os("QUORATE_FAILURES_DIR")
            .map_or_else(|| PathBuf::from(FAILURES_DIR), PathBuf::from);
        let _ = self.save(&dir);
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let model = self.model.map_or(
            "the model its configuration promises".to_string(),
            |model| format!("model {model}"),
        );
        writeln!(
            f,
            "quorate: scenario with seed {} fails {model} ({} nodes, {} clients, {} steps, {} faults)",
            self.scenario.seed,
            self.scenario.config.nodes,
            self.scenario.clients.len(),
            self.scenario.op_count(),
            self.scenario.faults.len()
        )?;
        match &self.reason {
            FailureReason::Report(report) => {
                let kinds: Vec<String> = report
                    .forbidden_kinds()
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                writeln!(f, "forbidden anomalies: {}", kinds.join(", "))?;
                write!(f, "{report}")?;
            }
            FailureReason::Error(error) => writeln!(f, "error: {error}")?,
        }
        let file = self
            .saved_to
            .as_ref()
            .map_or("SCENARIO.json".to_string(), |path| {
                path.display().to_string()
            });
        if self.saved_to.is_none() {
            writeln!(
                f,
                "scenario (save it as SCENARIO.json): {}",
                serde_json::to_string(&self.scenario).expect("a scenario serializes")
            )?;
        }
        let model_flag = self
            .model
            .map_or(String::new(), |model| format!(" --model {model}"));
        writeln!(f, "replay:   quorate sim --scenario {file} --out /tmp/history.json && quorate check{model_flag} /tmp/history.json")?;
        writeln!(
            f,
            "minimize: quorate minimize {file}{model_flag} --out histories/seed-{}.json",
            self.scenario.seed
        )
    }
}

impl std::error::Error for Failure {}

/// Checks a history against `model` (`None`: what its configuration promises); a report without
/// forbidden anomalies is `Ok`.
fn judge(scenario: &Scenario, history: &History, model: Option<Model>) -> Result<Report, Failure> {
    let report = check(history, &CheckOptions::model(model))
        .map_err(|error| Failure::new(scenario, model, FailureReason::Error(error.to_string())))?;
    if report.verdict == Verdict::Valid {
        Ok(report)
    } else {
        Err(Failure::new(
            scenario,
            model,
            FailureReason::Report(Box::new(report)),
        ))
    }
}

/// Runs a scenario against the reference store and checks it against the model its
/// configuration promises.
pub fn check_scenario(scenario: &Scenario) -> Result<Report, Failure> {
    check_scenario_against(scenario, None)
}

/// Runs a scenario against the reference store and checks it against `model`.
pub fn check_scenario_against(
    scenario: &Scenario,
    model: Option<Model>,
) -> Result<Report, Failure> {
    let history = sim::run_history(scenario)
        .map_err(|error| Failure::new(scenario, model, FailureReason::Error(error.to_string())))?;
    judge(scenario, &history, model)
}

/// Runs a scenario against your store and checks it against `model`. The history carries the
/// scenario's configuration, so the checker knows the resolution mode and quorum sizes.
pub fn check_store_scenario<S: Store>(
    store: &S,
    scenario: &Scenario,
    model: Model,
) -> Result<Report, Failure> {
    let mut history = sim::run_store(store, scenario)
        .map_err(|error| {
            Failure::new(
                scenario,
                Some(model),
                FailureReason::Error(error.to_string()),
            )
        })?
        .history;
    history.config = Some(scenario.config.clone());
    judge(scenario, &history, Some(model))
}

/// The proptest configuration of a property over scenarios: `cases` cases unless
/// `PROPTEST_CASES` says otherwise, and a fixed RNG seed unless `PROPTEST_RNG_SEED` says
/// otherwise. Inside `proptest!`, failures are also kept in `proptest-regressions` files.
pub fn proptest_config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0x9e37_79b9);
    }
    config
}

/// Generates scenarios from `options` and asserts that every one satisfies `model` (`None`: the
/// model each configuration promises) on the reference store. On failure, proptest's shrinking
/// and then [`crate::minimize`] make the scenario small, it is saved under [`FAILURES_DIR`], and
/// the panic message says how to replay it.
pub fn assert_model(options: &GenOptions, model: Option<Model>, cases: u32) {
    assert_property(options, cases, |scenario| {
        check_scenario_against(scenario, model)
    });
}

/// [`assert_model`] for your own store, built from each scenario's configuration.
pub fn assert_store_model<S, F>(options: &GenOptions, model: Model, cases: u32, make_store: F)
where
    S: Store,
    F: Fn(&Config) -> S,
{
    assert_property(options, cases, |scenario| {
        let store = make_store(&scenario.config);
        check_store_scenario(&store, scenario, model)
    });
}

/// Runs `property` on generated scenarios and panics with the smallest failure's text.
pub fn assert_property<P>(options: &GenOptions, cases: u32, property: P)
where
    P: Fn(&Scenario) -> Result<Report, Failure>,
{
    if let Err(failure) = find_failure(options, cases, &property) {
        let failure = shrink_failure(failure, &property);
        panic!("{failure}");
    }
}

/// Runs `property` on generated scenarios; the first failure, after proptest's shrinking.
pub fn find_failure<P>(options: &GenOptions, cases: u32, property: &P) -> Result<(), Failure>
where
    P: Fn(&Scenario) -> Result<Report, Failure>,
{
    // A bare runner has no source file to put a proptest-regressions file beside: the failure is
    // kept by saving its scenario instead (see `Failure::save_default`).
    let mut config = proptest_config(cases);
    config.failure_persistence = None;
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&scenarios(options), |scenario| {
        property(&scenario)
            .map(drop)
            .map_err(|failure| TestCaseError::fail(failure.to_string()))
    });
    match outcome {
        Ok(()) => Ok(()),
        Err(TestError::Fail(_, scenario)) => match property(&scenario) {
            Ok(_) => Err(Failure::new(
                &scenario,
                None,
                FailureReason::Error("the scenario failed once and passed when run again: the simulator is not deterministic".into()),
            )),
            Err(failure) => Err(failure),
        },
        Err(TestError::Abort(reason)) => Err(Failure::new(
            &Scenario::new(Config::default(), 0, Vec::new()),
            None,
            FailureReason::Error(format!("proptest gave up: {reason}")),
        )),
    }
}

/// A failure of `property`, made smaller by delta debugging over its scenario while the property
/// still fails with the same first forbidden kind, then saved (see [`Failure::save_default`]).
pub fn shrink_failure<P>(failure: Failure, property: &P) -> Failure
where
    P: Fn(&Scenario) -> Result<Report, Failure>,
{
    let kind = match &failure.reason {
        FailureReason::Report(report) if report.verdict == Verdict::Invalid => {
            crate::minimize::first_forbidden(report)
        }
        _ => None,
    };
    let mut failure = match kind {
        Some(kind) => {
            let still_fails = |candidate: &Scenario| match property(candidate) {
                Err(failure) => failure
                    .report()
                    .is_some_and(|report| report.kinds().contains(&kind)),
                Ok(_) => false,
            };
            let scenario = crate::minimize::minimize_scenario(
                &failure.scenario,
                still_fails,
                crate::minimize::ATTEMPTS_MAX,
            );
            property(&scenario).err().unwrap_or(failure)
        }
        None => failure,
    };
    failure.save_default();
    failure
}

/// A store that an exhaustive search ([`crate::exhaust`]) caught breaking its model, or a search
/// that could not say (its budget ran out, or the bounds were impossible).
#[derive(Clone, Debug)]
pub struct ExhaustFailure {
    /// The search's end: its verdict, counts and counterexample.
    pub outcome: Option<Box<crate::exhaust::Outcome>>,
    /// Why the search could not run, when it could not.
    pub error: Option<crate::exhaust::ExhaustError>,
}

impl fmt::Display for ExhaustFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(error) = &self.error {
            return writeln!(f, "quorate: exhaustive search could not run: {error}");
        }
        let Some(outcome) = &self.outcome else {
            return writeln!(f, "quorate: exhaustive search without an outcome");
        };
        let counts = &outcome.counts;
        match &outcome.counterexample {
            Some(found) => {
                writeln!(
                    f,
                    "quorate: a schedule of {} steps breaks {} (after {} states, {} schedules):",
                    found.schedule.len(),
                    outcome.model,
                    counts.states,
                    counts.schedules
                )?;
                for (index, step) in found.steps.iter().enumerate() {
                    writeln!(f, "  {:>3}. {step}", index + 1)?;
                }
                write!(f, "{}", found.report)?;
                let schedule = serde_json::to_string(&found.schedule).map_err(|_| fmt::Error)?;
                writeln!(
                    f,
                    "replay it with quorate::exhaust::replay(&store, &scenario, &schedule), schedule = {schedule}"
                )
            }
            None => writeln!(
                f,
                "quorate: exhaustive search undecided: {} ({} states, {} schedules)",
                outcome.unknown.as_deref().unwrap_or("unknown"),
                counts.states,
                counts.schedules
            ),
        }
    }
}

impl std::error::Error for ExhaustFailure {}

/// Explores every schedule of the scenario `options.bounds` describes under `config` against
/// `store` ([`crate::exhaust::exhaust`]), judged against `options.model` (or the configuration's
/// promise): the counts when no schedule breaks it, else the failure with its schedule.
pub fn check_exhaustive<S: Store>(
    store: &S,
    config: Config,
    options: &crate::exhaust::Options,
) -> Result<crate::exhaust::Counts, ExhaustFailure> {
    let failed = |error| ExhaustFailure {
        outcome: None,
        error: Some(error),
    };
    let scenario = crate::exhaust::scenario(config, &options.bounds).map_err(failed)?;
    let outcome = crate::exhaust::exhaust(store, &scenario, options, &|_| {}).map_err(failed)?;
    if outcome.verdict == Verdict::Valid {
        return Ok(outcome.counts);
    }
    Err(ExhaustFailure {
        error: outcome.error.clone(),
        outcome: Some(Box::new(outcome)),
    })
}

/// [`check_exhaustive`] for `cargo test`: panics with the schedule, the report and the replay
/// when a schedule breaks the model, or when the search cannot say (budget, bounds).
pub fn assert_exhaustive<S: Store>(
    store: &S,
    config: Config,
    options: &crate::exhaust::Options,
) -> crate::exhaust::Counts {
    match check_exhaustive(store, config, options) {
        Ok(counts) => counts,
        Err(failure) => panic!("{failure}"),
    }
}
