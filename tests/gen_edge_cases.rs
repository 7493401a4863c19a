//! The seed's edge-case gallery, `histories/edge-cases/`: how each file was found and minimized.
//!
//! Each case is a search over the scenarios `quorate sim --config C --seed S --ops O --clients K
//! --keys 1..3 --faults F` generates, seeds 0, 1, 2, … in order, for the first one that shows the
//! case; then the scenario is delta-debugged (and, for anomalies, its history too) while it still
//! shows it. `QUORATE_WRITE_EDGE_CASES=1 cargo test --test gen_edge_cases` runs every search again
//! and rewrites the files; plain `cargo test` checks that every file is there and is a case, that
//! the recorded seed and the minimized scenario still show it, and that cases 1–6 have at most
//! ten operations. `tests/cli/regressions.rs` replays them.

use std::path::{Path, PathBuf};

use quorate::check::{check, Anomaly, AnomalyKind, CheckOptions, Model, Report, Verdict};
use quorate::config::{Config, ReadRepair};
use quorate::gen::{workload, WorkloadOptions};
use quorate::history::{Action, History, OpKind};
use quorate::minimize::{minimize_failure, same_kinds, HistoryKeeps, Minimized, ATTEMPTS_MAX};
use quorate::regressions::Regression;
use quorate::sim::{Latency, Scenario};

const SEEDS_MAX: u64 = 5_000;

/// How a case decides that a scenario shows it.
#[derive(Clone, Copy)]
enum Shows {
    /// The history, checked against `model`, has an anomaly of this kind whose JSON contains
    /// `detail`.
    Anomaly {
        kind: AnomalyKind,
        detail: &'static str,
    },
    /// The history is valid, and the same scenario under `contrast` (a configuration without the
    /// mechanism) shows `contrast_kind`.
    HoldsWhereContrastFails {
        contrast: fn() -> Config,
        contrast_model: Option<Model>,
        contrast_kind: AnomalyKind,
        history: fn(&History) -> bool,
    },
}

struct EdgeCase {
    file: &'static str,
    title: &'static str,
    postmortem: &'static str,
    config: fn() -> Config,
    /// How `--config` names the configuration.
    config_name: &'static str,
    model: Option<Model>,
    ops: usize,
    clients: usize,
    keys: usize,
    faults: &'static [&'static str],
    shows: Shows,
    /// The network's latency, when not the default uniform 1–10 ms.
    latency: Option<Latency>,
    /// Whether the history is delta-debugged too (not for cases whose point is the whole run).
    minimize_history: bool,
}

fn preset(name: &str) -> Config {
    Config::preset(name).unwrap()
}

fn dynamo_read_repair_only() -> Config {
    Config {
        anti_entropy_period_ms: None,
        ..preset("dynamo")
    }
}

fn dynamo_no_repair() -> Config {
    Config {
        anti_entropy_period_ms: None,
        read_repair: ReadRepair::Off,
        ..preset("dynamo")
    }
}

fn dynamo_anti_entropy_only() -> Config {
    Config {
        read_repair: ReadRepair::Off,
        ..preset("dynamo")
    }
}

fn sloppy_handoff_only() -> Config {
    Config {
        anti_entropy_period_ms: None,
        read_repair: ReadRepair::Off,
        ..preset("sloppy")
    }
}

fn sloppy_without_handoff() -> Config {
    Config {
        hinted_handoff: false,
        sloppy_quorum: false,
        ..sloppy_handoff_only()
    }
}

fn any_history(_: &History) -> bool {
    true
}

/// A get that returned two or more siblings, then a put by the same client whose context names
/// them all.
fn siblings_then_resolved(history: &History) -> bool {
    history.operations.iter().any(|get| {
        let Action::Get { values, .. } = &get.action else {
            return false;
        };
        get.is_ok()
            && values.len() >= 2
            && history.operations.iter().any(|put| {
                put.client == get.client
                    && put.key == get.key
                    && put.is_ok()
                    && put.kind() == OpKind::Put
                    && put.time_ms_invoke >= get.time_ms_complete.unwrap_or(u64::MAX)
                    && put.action.write().is_some_and(|write| {
                        values
                            .iter()
                            .all(|read| write.context.contains(&read.value))
                    })
            })
    })
}

fn cases() -> Vec<EdgeCase> {
    vec![
        EdgeCase {
            file: "01-sloppy-quorum-stale-read.json",
            title: "A sloppy quorum returns a stale value although r + w > n",
            postmortem: "With sloppy quorums a write cut off from its home replicas is acknowledged by fallback nodes, and a later read that reaches other nodes counts their replies toward r as well. Both quorums have the required size, yet they do not intersect, so the read misses an acknowledged write: r + w > n promises nothing once fallbacks count.",
            config: || preset("sloppy"),
            config_name: "sloppy",
            model: Some(Model::Quorum),
            ops: 12,
            clients: 2,
            keys: 1,
            faults: &["partition"],
            shows: Shows::Anomaly { kind: AnomalyKind::StaleRead, detail: "" },
            latency: None,
            minimize_history: true,
        },
        EdgeCase {
            file: "02-lww-concurrent-write-lost.json",
            title: "LWW silently loses one of two concurrent acknowledged writes",
            postmortem: "Two clients write the key at overlapping times and both are acknowledged. Last-write-wins keeps only the write with the higher timestamp, so the other one disappears without any client being told: an observation (lww_lost_write, concurrent), which LWW allows by design.",
            config: || preset("lww"),
            config_name: "lww",
            model: None,
            ops: 8,
            clients: 2,
            keys: 1,
            faults: &[],
            shows: Shows::Anomaly { kind: AnomalyKind::LwwLostWrite, detail: "\"cause\":\"concurrent\"" },
            latency: None,
            minimize_history: true,
        },
        EdgeCase {
            file: "03-lww-clock-skew-drops-later-write.json",
            title: "LWW with clock skew drops a write that came later in real time",
            postmortem: "One node's clock runs behind. A write coordinated by it begins after another write was acknowledged, so it is not concurrent, yet it gets the smaller timestamp and loses: the later write is discarded (lww_lost_write, clock_skew). Node clocks decide, not real time.",
            config: || preset("lww"),
            config_name: "lww",
            model: None,
            ops: 10,
            clients: 2,
            keys: 1,
            faults: &["skew"],
            shows: Shows::Anomaly { kind: AnomalyKind::LwwLostWrite, detail: "\"cause\":\"clock_skew\"" },
            latency: None,
            minimize_history: true,
        },
        EdgeCase {
            file: "04-strict-quorum-new-then-old.json",
            title: "Under strict quorums, a write concurrent with reads: new then old",
            postmortem: "r + w > n (dynamo preset: n = 3, r = w = 2) but read repair is asynchronous. While a write is still reaching its replicas, one read's quorum includes a replica that has it and returns the new value; a read that starts after that one finished reaches replicas that do not yet have it and returns the old value. No real-time order of the writes explains both: not linearizable (non_monotonic_read, forbidden by monotonic and atomic).",
            config: || preset("dynamo"),
            config_name: "dynamo",
            model: Some(Model::Atomic),
            ops: 12,
            clients: 3,
            keys: 1,
            faults: &[],
            shows: Shows::Anomaly { kind: AnomalyKind::NonMonotonicRead, detail: "" },
            latency: Some(Latency::Exponential { latency_ms_mean: 20 }),
            minimize_history: true,
        },
        EdgeCase {
            file: "05-failed-write-read-later.json",
            title: "A write that failed on the client is not rolled back and is read later",
            postmortem: "The coordinator reached fewer than w replicas before its timeout and answered fail, but the replicas it did reach keep the value: a leaderless store never rolls a write back. A later read returns the failed write (failed_write_visible), which is allowed but surprises clients that retry.",
            config: || preset("dynamo"),
            config_name: "dynamo",
            model: None,
            ops: 12,
            clients: 2,
            keys: 1,
            faults: &["partition"],
            shows: Shows::Anomaly { kind: AnomalyKind::FailedWriteVisible, detail: "\"outcome\":\"fail\"" },
            latency: None,
            minimize_history: true,
        },
        EdgeCase {
            file: "06-weak-quorum-stale-without-faults.json",
            title: "r + w <= n returns a stale value with no fault at all",
            postmortem: "With r = w = 1 a write is acknowledged by one replica and a read answered by one replica, which need not be the same. No fault is needed: message latency alone lets a read that starts after the acknowledgement miss the write (stale_read against quorum, which weak quorums do not promise).",
            config: || preset("weak"),
            config_name: "weak",
            model: Some(Model::Quorum),
            ops: 8,
            clients: 2,
            keys: 1,
            faults: &[],
            shows: Shows::Anomaly { kind: AnomalyKind::StaleRead, detail: "" },
            latency: None,
            minimize_history: true,
        },
        EdgeCase {
            file: "07-read-repair-fixes-stale-node.json",
            title: "A node returns with stale data and read repair fixes it",
            postmortem: "A node misses writes while it is cut off; anti-entropy and hinted handoff are off, so after the heal only reads can bring it up to date. A read after the heal sees the stale replica and repairs it, and the run ends converged (valid). The same scenario with read repair off ends with diverged replicas.",
            config: dynamo_read_repair_only,
            config_name: "dynamo with anti_entropy_period_ms = null",
            model: None,
            ops: 12,
            clients: 2,
            keys: 1,
            faults: &["partition"],
            shows: Shows::HoldsWhereContrastFails {
                contrast: dynamo_no_repair,
                contrast_model: None,
                // Without anti-entropy the contrast's divergence is what its configuration allows
                // (docs/DESIGN.md §4): the observation, not C1's anomaly.
                contrast_kind: AnomalyKind::UnrepairedDivergence,
                history: any_history,
            },
            latency: None,
            minimize_history: false,
        },
        EdgeCase {
            file: "08-anti-entropy-converges-unread-replicas.json",
            title: "Anti-entropy converges replicas that no read touched",
            postmortem: "Writes land on a partial set of replicas while a node is cut off, and no read of the key follows, so read repair never runs. The Merkle-tree exchange between preference-list peers still copies the missing versions and every replica ends the same (valid). The same scenario with anti-entropy off ends diverged.",
            config: dynamo_anti_entropy_only,
            config_name: "dynamo with read_repair = off",
            model: None,
            ops: 12,
            clients: 2,
            keys: 2,
            faults: &["partition"],
            shows: Shows::HoldsWhereContrastFails {
                contrast: dynamo_no_repair,
                contrast_model: None,
                // Without anti-entropy the contrast's divergence is what its configuration allows
                // (docs/DESIGN.md §4): the observation, not C1's anomaly.
                contrast_kind: AnomalyKind::UnrepairedDivergence,
                history: any_history,
            },
            latency: None,
            minimize_history: false,
        },
        EdgeCase {
            file: "09-siblings-then-resolved.json",
            title: "Two concurrent writes become siblings, and a write whose context covers both replaces them",
            postmortem: "Two clients write the key concurrently; dotted version vectors keep both as siblings, so neither is lost, and a read returns both. That client then writes with the context it read, which covers both siblings, and the new value replaces them: the merge the seed describes, with no anomaly (valid against quorum).",
            config: || preset("dynamo"),
            config_name: "dynamo",
            model: None,
            ops: 12,
            clients: 3,
            keys: 1,
            faults: &[],
            shows: Shows::HoldsWhereContrastFails {
                contrast: || preset("lww"),
                contrast_model: None,
                contrast_kind: AnomalyKind::LwwLostWrite,
                history: siblings_then_resolved,
            },
            latency: None,
            minimize_history: false,
        },
        EdgeCase {
            file: "10-hinted-handoff-after-heal.json",
            title: "Hinted handoff delivers a write to its home node after a partition heals",
            postmortem: "A write whose home replica is cut off is stored by a fallback node with a hint naming the home node. Read repair and anti-entropy are off, so after the heal only the hint can carry the write home; every replica ends the same (valid). The same scenario without hinted handoff ends diverged.",
            config: sloppy_handoff_only,
            config_name: "sloppy with read_repair = off, anti_entropy_period_ms = null",
            model: None,
            ops: 12,
            clients: 2,
            keys: 1,
            faults: &["partition"],
            shows: Shows::HoldsWhereContrastFails {
                contrast: sloppy_without_handoff,
                contrast_model: None,
                // Without anti-entropy the contrast's divergence is what its configuration allows
                // (docs/DESIGN.md §4): the observation, not C1's anomaly.
                contrast_kind: AnomalyKind::UnrepairedDivergence,
                history: any_history,
            },
            latency: None,
            minimize_history: false,
        },
        EdgeCase {
            file: "11-atomic-passes-where-dynamo-fails.json",
            title: "The atomic preset passes the linearizability check where dynamo fails it",
            postmortem: "The same clients and faults run on the atomic preset (LWW with quorum timestamps and blocking read repair, ABD) and on dynamo. Checked against atomic, the atomic run is linearizable (valid, the register search finds an order), while the dynamo run is not (see 04 for the pattern: a read sees less than a read that finished before it).",
            config: || preset("atomic"),
            config_name: "atomic",
            model: Some(Model::Atomic),
            ops: 12,
            clients: 3,
            keys: 1,
            faults: &[],
            shows: Shows::HoldsWhereContrastFails {
                contrast: || preset("dynamo"),
                contrast_model: Some(Model::Atomic),
                contrast_kind: AnomalyKind::NonMonotonicRead,
                history: any_history,
            },
            latency: Some(Latency::Exponential { latency_ms_mean: 20 }),
            minimize_history: false,
        },
    ]
}

fn report_of(scenario: &Scenario, model: Option<Model>) -> Option<(History, Report)> {
    let history = quorate::sim::run_history(scenario).ok()?;
    let report = check(&history, &CheckOptions::model(model)).ok()?;
    Some((history, report))
}

fn has_anomaly(report: &Report, kind: AnomalyKind, detail: &str) -> bool {
    report
        .anomalies
        .iter()
        .any(|found| found.anomaly.kind() == kind && anomaly_json(&found.anomaly).contains(detail))
}

fn anomaly_json(anomaly: &Anomaly) -> String {
    serde_json::to_string(anomaly).unwrap()
}

fn shows(case: &EdgeCase, scenario: &Scenario) -> bool {
    let Some((history, report)) = report_of(scenario, case.model) else {
        return false;
    };
    match case.shows {
        Shows::Anomaly { kind, detail } => has_anomaly(&report, kind, detail),
        Shows::HoldsWhereContrastFails {
            contrast,
            contrast_model,
            contrast_kind,
            history: history_shows,
        } => {
            if report.verdict != Verdict::Valid || !history_shows(&history) {
                return false;
            }
            let contrasted = Scenario {
                config: Config {
                    nodes: scenario.config.nodes,
                    ..contrast()
                },
                ..scenario.clone()
            };
            report_of(&contrasted, contrast_model)
                .is_some_and(|(_, report)| has_anomaly(&report, contrast_kind, ""))
        }
    }
}

fn options(case: &EdgeCase) -> WorkloadOptions {
    WorkloadOptions {
        ops: case.ops,
        clients: case.clients,
        keys: case.keys,
        faults: case
            .faults
            .iter()
            .map(|name| name.parse().expect("a fault name"))
            .collect(),
        faults_per_kind: 1,
    }
}

/// The scenario `quorate sim` generates for this case and seed, with the case's latency.
fn scenario(case: &EdgeCase, seed: u64) -> Scenario {
    let mut scenario = workload((case.config)(), seed, &options(case)).unwrap();
    if let Some(latency) = &case.latency {
        scenario.network.latency = latency.clone();
    }
    scenario
}

fn search_command(case: &EdgeCase, seed: u64) -> String {
    let faults = if case.faults.is_empty() {
        "none".to_string()
    } else {
        case.faults.join(",")
    };
    let latency = match &case.latency {
        Some(latency) => format!(" (with the scenario's network latency set to {latency:?})"),
        None => String::new(),
    };
    format!(
        "first of seeds 0..{SEEDS_MAX} for which `quorate sim --config {} --seed {seed} --ops {} --clients {} --keys {} --faults {faults}`{latency} shows the case; then `QUORATE_WRITE_EDGE_CASES=1 cargo test --test gen_edge_cases` minimized it",
        case.config_name, case.ops, case.clients, case.keys
    )
}

/// Runs the search, minimizes what it finds and returns the case.
fn find(case: &EdgeCase) -> Result<Regression, String> {
    let (seed, scenario) = (0..SEEDS_MAX)
        .map(|seed| (seed, scenario(case, seed)))
        .find(|(_, scenario)| shows(case, scenario))
        .ok_or_else(|| format!("{}: no seed below {SEEDS_MAX} shows it", case.file))?;
    let keeps_anomaly = |_: &History, r: &Report, run: &Report| {
        let Shows::Anomaly { kind, detail } = case.shows else {
            unreachable!("only anomalies are minimized over the history")
        };
        r.verdict == run.verdict
            && same_kinds(&r.kinds(), &run.kinds())
            && has_anomaly(r, kind, detail)
    };
    let Minimized {
        scenario: small,
        history,
        report,
    } = minimize_failure(
        &scenario,
        case.model,
        &|candidate| shows(case, candidate),
        case.minimize_history
            .then_some(&keeps_anomaly as HistoryKeeps<'_>),
        ATTEMPTS_MAX,
    )
    .map_err(|error| error.to_string())?;
    Ok(Regression::new(
        case.title,
        case.postmortem,
        &search_command(case, seed),
        case.model,
        small,
        history,
        &report,
    ))
}

/// The seed in a `found_by` text (`... --seed 42 ...`).
fn recorded_seed(found_by: &str) -> Option<u64> {
    let (_, rest) = found_by.split_once("--seed ")?;
    rest.split_whitespace().next()?.parse().ok()
}

fn gallery() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("histories/edge-cases")
}

#[test]
fn the_gallery_is_complete_and_small() {
    if std::env::var_os("QUORATE_WRITE_EDGE_CASES").is_some() {
        std::fs::create_dir_all(gallery()).unwrap();
        for case in cases() {
            match find(&case) {
                Ok(found) => {
                    std::fs::write(gallery().join(case.file), found.to_json()).unwrap();
                    eprintln!(
                        "{}: {} ops, {} [{}]",
                        case.file,
                        found.history.operations.len(),
                        found.expected_verdict,
                        found.anomaly_kinds.join(", ")
                    );
                }
                Err(error) => eprintln!("{error}"),
            }
        }
    }
    let mut problems = Vec::new();
    for (number, case) in cases().iter().enumerate() {
        let path = gallery().join(case.file);
        match Regression::load(&path) {
            Ok(Some(found)) => {
                // The search's hit still shows the case: the recorded seed is reproducible.
                match recorded_seed(&found.found_by) {
                    Some(seed) if shows(case, &scenario(case, seed)) => {}
                    Some(seed) => problems.push(format!(
                        "{}: seed {seed} of its search no longer shows it",
                        case.file
                    )),
                    None => problems.push(format!("{}: found_by names no --seed", case.file)),
                }
                if !shows(case, &found.scenario) {
                    problems.push(format!(
                        "{}: the minimized scenario no longer shows it",
                        case.file
                    ));
                }
                if number < 6 && found.history.operations.len() > 10 {
                    problems.push(format!(
                        "{}: {} operations, more than 10",
                        case.file,
                        found.history.operations.len()
                    ));
                }
            }
            Ok(None) => problems.push(format!("{}: not a case", case.file)),
            Err(error) => problems.push(error.to_string()),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
