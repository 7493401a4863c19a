//! The bug zoo's hunts: for each deliberate store bug ([`Bug`], docs/DESIGN.md §7), the focused
//! search a user would run to find it, and the minimization of what it finds.
//!
//! A [`Hunt`] names a configuration (a preset, adjusted where the bug needs a setting no preset
//! has), a workload and fault kinds, the model to check against and the anomaly kind the bug
//! should show. [`search`] walks seeds from the hunt's first seed, generating a scenario for each
//! ([`gen::workload`]), running it with the bug on or off, and checking the history; the first
//! scenario with a forbidden anomaly is minimized ([`crate::minimize`]: the scenario, then its
//! history) while an anomaly of the same kind stays forbidden.
//!
//! It owns no judgement of its own: the checker decides what is forbidden. With the bug off the
//! same search over the same seeds must find nothing, which is how the tests show that a finding
//! is the bug's and not the harness's.
//!
//! ```
//! use quorate::config::Bug;
//! use quorate::zoo::{search, Hunt};
//!
//! let hunt = Hunt::for_bug(Bug::StaleContext);
//! let found = search(&hunt, true, 200).expect("the bug is found");
//! assert_eq!(found.kind, hunt.expected);
//! assert!(found.minimized_history.operations.len() <= 12);
//! ```

use std::time::{Duration, Instant};

use crate::check::{check, Anomaly, AnomalyKind, CheckOptions, Model, Report};
use crate::config::{Bug, Config, Reaping};
use crate::gen::{self, WorkloadOptions};
use crate::history::{Action, FaultType, History};
use crate::minimize::minimize_failure;
use crate::sim::{self, Scenario};

/// How many candidates each minimization (scenario, then history) may try.
pub const MINIMIZE_ATTEMPTS_MAX: usize = 2_000;

/// A focused search for one bug.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hunt {
    /// The bug hunted, switched on in each case.
    pub bug: Bug,
    /// The preset the configuration starts from.
    pub preset: &'static str,
    /// What the hunt changes in the preset, in words (empty when nothing), for reports.
    pub adjustments: &'static str,
    /// The configuration with the bug off.
    pub config: Config,
    /// The shape of each case's workload (steps, clients, keys, faults).
    pub options: WorkloadOptions,
    /// The model to check against (`None`: the one the configuration promises).
    pub model: Option<Model>,
    /// The anomaly kind the bug shows.
    pub expected: AnomalyKind,
    /// Whether a lost write on a key every replica holds nothing of is left out: with reaping
    /// on, that is a reaped tombstone (with the writes it overwrote), which the checker, keeping
    /// no record of reaping, reports as lost. A resurrected value still counts: some replica
    /// then holds it.
    pub reaped_deletes_allowed: bool,
    /// The seed of the first case; case i runs seed `first_seed + i`.
    pub first_seed: u64,
    /// The most cases the hunt runs unless told otherwise ([`CASES_DEFAULT`], or more for a bug
    /// whose scenario is rare, with the reason where the hunt is defined).
    pub cases_max: u64,
}

/// The most cases a hunt runs by default.
pub const CASES_DEFAULT: u64 = 2_000;

/// What a search found.
#[derive(Clone, Debug)]
pub struct Found {
    /// The seed of the failing case.
    pub seed: u64,
    /// How many cases ran, the failing one included.
    pub cases: u64,
    /// The kind the minimization kept: the hunt's expected kind when the case showed it, else
    /// the first forbidden kind.
    pub kind: AnomalyKind,
    /// Every forbidden kind the failing case showed.
    pub forbidden_kinds: Vec<AnomalyKind>,
    /// The failing case's scenario, as generated.
    pub scenario: Scenario,
    /// The checker's report on the failing case, before minimization.
    pub report: Report,
    /// The scenario minimized (for the kept kind).
    pub minimized: Scenario,
    /// The minimized scenario's history, minimized too.
    pub minimized_history: History,
    /// The checker's report on `minimized_history`.
    pub minimized_report: Report,
    /// Wall time from the hunt's start to detection.
    pub detection: Duration,
    /// Wall time from the hunt's start to the end of minimization.
    pub total: Duration,
}

impl Hunt {
    /// The hunt the zoo uses for `bug`.
    pub fn for_bug(bug: Bug) -> Hunt {
        let preset = |name: &str| Config::preset(name).expect("presets are valid");
        let options = |clients: usize, ops: usize, faults: &[FaultType]| WorkloadOptions {
            ops,
            clients,
            keys: 1,
            faults: faults.to_vec(),
            faults_per_kind: 1,
        };
        let hunt = |preset_name: &'static str,
                    adjustments: &'static str,
                    config: Config,
                    options: WorkloadOptions,
                    expected: AnomalyKind| Hunt {
            reaped_deletes_allowed: config.reaping != Reaping::Keep,
            bug,
            preset: preset_name,
            adjustments,
            config,
            options,
            model: None,
            expected,
            first_seed: 1,
            cases_max: CASES_DEFAULT,
        };
        match bug {
            Bug::VnodeClock => hunt(
                "dynamo",
                "",
                preset("dynamo"),
                options(3, 8, &[]),
                AnomalyKind::LostWrite,
            ),
            Bug::IgnoreContext => hunt(
                "dynamo",
                "",
                preset("dynamo"),
                options(2, 6, &[]),
                AnomalyKind::DominatedSibling,
            ),
            Bug::RepairOverwrites => hunt(
                "dynamo",
                "",
                preset("dynamo"),
                options(3, 10, &[FaultType::Partition]),
                AnomalyKind::StaleRead,
            ),
            Bug::QuorumDoubleCount => hunt(
                "dynamo",
                "r = 1, w = 3",
                Config {
                    r: 1,
                    w: 3,
                    ..preset("dynamo")
                },
                options(2, 8, &[FaultType::Duplicate, FaultType::Partition]),
                AnomalyKind::StaleRead,
            ),
            // The bug shows only when two crashes line up: a home node is down when the put
            // reaches it, and the fallback holding its hint restarts before the home node is
            // back. Without anti-entropy the checker forgives divergence that crashes during a
            // write's coordination explain (docs/DESIGN.md §4), so the fallback's restart must
            // also come after the hint arrived: about one case in 6,000.
            Bug::HintLostOnRestart => Hunt {
                cases_max: 10_000,
                ..hunt(
                    "sloppy",
                    "anti-entropy off",
                    Config {
                        anti_entropy_period_ms: None,
                        ..preset("sloppy")
                    },
                    WorkloadOptions {
                        faults_per_kind: 2,
                        ..options(1, 6, &[FaultType::Crash])
                    },
                    AnomalyKind::Divergence,
                )
            },
            Bug::AaeSkipsBucket => hunt(
                "dynamo",
                "",
                preset("dynamo"),
                options(2, 8, &[FaultType::Partition]),
                AnomalyKind::Divergence,
            ),
            Bug::EarlyReap => hunt(
                "dynamo",
                "reaping after 100 ms",
                Config {
                    reaping: Reaping::AfterMs(100),
                    ..preset("dynamo")
                },
                options(2, 8, &[FaultType::Crash]),
                AnomalyKind::LostWrite,
            ),
            Bug::LwwReversed => hunt(
                "atomic",
                "",
                preset("atomic"),
                options(3, 8, &[FaultType::Loss]),
                AnomalyKind::StaleRead,
            ),
            Bug::SloppyReadsCountFallbacks => hunt(
                "dynamo",
                "hinted handoff on",
                Config {
                    hinted_handoff: true,
                    ..preset("dynamo")
                },
                WorkloadOptions {
                    faults_per_kind: 2,
                    ..options(2, 16, &[FaultType::Loss, FaultType::Pause])
                },
                AnomalyKind::StaleRead,
            ),
            Bug::StaleContext => hunt(
                "dynamo",
                "",
                preset("dynamo"),
                options(3, 8, &[]),
                AnomalyKind::ContextTooSmall,
            ),
            // With anti-entropy on, the exchange brings the skipped home node the write within a
            // round and nothing shows: the bug needs a configuration that runs without it.
            Bug::LazyReplication => hunt(
                "dynamo",
                "anti-entropy off",
                Config {
                    anti_entropy_period_ms: None,
                    ..preset("dynamo")
                },
                options(2, 6, &[]),
                AnomalyKind::UnderReplicated,
            ),
            // A round of reap votes fails when a home node is down at the due time: a crash
            // lined up with the delete, about one case in 300. The crashed node reaps when it is
            // back (the others hold the tombstone), the others never ask again.
            Bug::ReapNotRetried => hunt(
                "dynamo",
                "reaping after 100 ms",
                Config {
                    reaping: Reaping::AfterMs(100),
                    ..preset("dynamo")
                },
                options(2, 8, &[FaultType::Crash]),
                AnomalyKind::TombstoneNotReaped,
            ),
        }
    }

    /// The configuration with the bug on or off.
    pub fn config(&self, bug_on: bool) -> Config {
        let mut config = self.config.clone();
        if bug_on {
            config.bugs.insert(self.bug);
        }
        config
    }

    /// The scenario of case `case` (0-based).
    pub fn scenario(&self, case: u64, bug_on: bool) -> Scenario {
        gen::workload(self.config(bug_on), self.first_seed + case, &self.options)
            .expect("a hunt's configuration is valid")
    }

    /// The command that runs this hunt's case with this seed alone, bug on, and prints the
    /// minimized history (add `--off` for the bug off).
    pub fn explore_command(&self, seed: u64) -> String {
        format!("quorate explore --bug {} --seed {seed} --cases 1", self.bug)
    }

    /// The command that replays the case with this seed (the configuration as JSON when it is
    /// not a plain preset).
    pub fn replay_command(&self, seed: u64) -> String {
        let config = if self.adjustments.is_empty() {
            self.preset.to_string()
        } else {
            format!(
                "CONFIG.json (with CONFIG.json = '{}')",
                serde_json::to_string(&self.config).expect("a configuration serializes")
            )
        };
        // Each kind named once per fault of it draws the same schedule as `faults_per_kind`.
        let faults: Vec<&str> = self
            .options
            .faults
            .iter()
            .flat_map(|kind| std::iter::repeat(kind.cli_name()).take(self.options.faults_per_kind))
            .collect();
        let faults = if faults.is_empty() {
            "none".to_string()
        } else {
            faults.join(",")
        };
        format!(
            "quorate sim --config {config} --seed {seed} --ops {} --clients {} --keys {} --faults {faults} --bug {}",
            self.options.ops, self.options.clients, self.options.keys, self.bug
        )
    }
}

impl Hunt {
    /// The forbidden anomaly kinds of a scenario's run, in report order (empty when it passes
    /// or cannot run).
    pub fn forbidden_kinds(&self, scenario: &Scenario) -> Vec<AnomalyKind> {
        match sim::run(scenario) {
            Ok(output) => self.forbidden_in_history(&output.history),
            Err(_) => Vec::new(),
        }
    }

    /// The forbidden anomaly kinds the checker finds in a history.
    pub fn forbidden_in_history(&self, history: &History) -> Vec<AnomalyKind> {
        match check(history, &CheckOptions::model(self.model)) {
            Ok(report) => self.forbidden_in(history, &report),
            Err(_) => Vec::new(),
        }
    }

    fn forbidden_in(&self, history: &History, report: &Report) -> Vec<AnomalyKind> {
        let reaped = |anomaly: &Anomaly| match anomaly {
            Anomaly::LostWrite { key, .. } => history.replicas.iter().flatten().all(|snapshot| {
                &snapshot.key != key
                    || (snapshot.values.is_empty() && snapshot.tombstones.is_empty())
            }),
            _ => false,
        };
        let mut kinds: Vec<AnomalyKind> = report
            .anomalies
            .iter()
            .filter(|found| found.forbidden)
            .filter(|found| !(self.reaped_deletes_allowed && reaped(&found.anomaly)))
            .map(|found| found.anomaly.kind())
            .chain(
                report
                    .omitted
                    .iter()
                    .filter(|omitted| omitted.forbidden)
                    .map(|omitted| omitted.kind),
            )
            .collect();
        let mut unique = Vec::new();
        for kind in kinds.drain(..) {
            if !unique.contains(&kind) {
                unique.push(kind);
            }
        }
        unique
    }
}

/// Runs up to `cases` cases of the hunt with the bug on or off; the first one with a forbidden
/// anomaly is minimized and returned.
pub fn search(hunt: &Hunt, bug_on: bool, cases: u64) -> Option<Found> {
    let start = Instant::now();
    for case in 0..cases {
        let scenario = hunt.scenario(case, bug_on);
        let Ok(output) = sim::run(&scenario) else {
            continue;
        };
        let Ok(report) = check(&output.history, &CheckOptions::model(hunt.model)) else {
            continue;
        };
        let kinds = hunt.forbidden_in(&output.history, &report);
        let Some(&first) = kinds.first() else {
            continue;
        };
        let detection = start.elapsed();
        let kind = if kinds.contains(&hunt.expected) {
            hunt.expected
        } else {
            first
        };
        // Dropping operations must not invent anomalies (a value whose put was dropped reads
        // as a phantom): a smaller history keeps the kind and shows no kind the run did not.
        let keeps_kind = |candidate: &History, report: &Report, run: &Report| {
            let run_kinds = run.kinds();
            report.kinds().iter().all(|kind| run_kinds.contains(kind))
                && hunt.forbidden_in(candidate, report).contains(&kind)
        };
        // With the bug on, a smaller scenario must still need the bug: the same scenario with
        // the bug off must not show the kind (else the witness shows the store's design).
        let shows_kind = |candidate: &Scenario| {
            hunt.forbidden_kinds(candidate).contains(&kind)
                && !(bug_on
                    && hunt
                        .forbidden_kinds(&without_bug(candidate, hunt.bug))
                        .contains(&kind))
        };
        let small = minimize_failure(
            &scenario,
            hunt.model,
            &shows_kind,
            Some(&keeps_kind),
            MINIMIZE_ATTEMPTS_MAX,
        )
        .expect("the minimized scenario ran before");
        let (minimized, minimized_history, minimized_report) =
            (small.scenario, small.history, small.report);
        return Some(Found {
            seed: scenario.seed,
            cases: case + 1,
            kind,
            forbidden_kinds: kinds,
            scenario,
            report,
            minimized,
            minimized_history,
            minimized_report,
            detection,
            total: start.elapsed(),
        });
    }
    None
}

/// `scenario` with `bug` switched off.
fn without_bug(scenario: &Scenario, bug: Bug) -> Scenario {
    let mut scenario = scenario.clone();
    scenario.config.bugs.remove(&bug);
    scenario
}

/// One line per operation of a history, for a terminal: id, client, what it did, when, outcome.
pub fn describe_operations(history: &History) -> String {
    let mut text = String::new();
    for op in &history.operations {
        let what = match &op.action {
            Action::Get { values, .. } => {
                let values: Vec<String> = values
                    .iter()
                    .map(|read| {
                        if read.tombstone {
                            format!("{} (tombstone)", read.value)
                        } else {
                            read.value.to_string()
                        }
                    })
                    .collect();
                format!("get {} -> {{{}}}", op.key, values.join(", "))
            }
            Action::Put(write) | Action::Delete(write) => {
                let context: Vec<String> = write.context.iter().map(ToString::to_string).collect();
                format!(
                    "{} {} {} context {{{}}}",
                    op.kind(),
                    op.key,
                    write.value,
                    context.join(", ")
                )
            }
        };
        let complete = op
            .time_ms_complete
            .map_or("…".to_string(), |time| time.to_string());
        text.push_str(&format!(
            "  {:<4} {:<9} {what:<48} {:>5}..{:<5} ms {:?}\n",
            op.id.to_string(),
            op.client.to_string(),
            op.time_ms_invoke,
            complete,
            op.outcome
        ));
    }
    text
}

/// The zoo table: per hunt, the preset, cases to detection, seconds, the minimized scenario's
/// steps and history's operations, and the anomaly kind (or what was not found).
pub fn table(rows: &[(Hunt, Option<Found>)]) -> String {
    let mut text = String::from(
        "| bug | preset (adjusted) | faults | cases to detection | seconds | minimized steps | minimized operations | anomaly |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (hunt, found) in rows {
        let preset = if hunt.adjustments.is_empty() {
            hunt.preset.to_string()
        } else {
            format!("{} ({})", hunt.preset, hunt.adjustments)
        };
        let faults = FaultType::list_text(&hunt.options.faults, ", ");
        let line = match found {
            Some(found) => format!(
                "| `{}` | {preset} | {faults} | {} | {:.3} | {} | {} | `{}` |\n",
                hunt.bug,
                found.cases,
                found.total.as_secs_f64(),
                found.minimized.op_count(),
                found.minimized_history.operations.len(),
                found.kind
            ),
            None => format!(
                "| `{}` | {preset} | {faults} | not found | | | | |\n",
                hunt.bug
            ),
        };
        text.push_str(&line);
    }
    text
}
