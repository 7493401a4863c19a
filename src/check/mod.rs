//! The checker: judges a leaderless history against a consistency model (docs/DESIGN.md §4).
//!
//! It owns the causal order of writes derived from what clients observed (a put overwrites the
//! values in its context and their pasts), every read's view ↓S, the properties M1–M6, C1–C6,
//! L1 and LIN, the models that forbid their anomalies, and the [`Report`] that explains them.
//!
//! What it must never do: call the simulator or any store, or trust store metadata. Dots, store
//! contexts and timestamps are read only by the white-box property M6 and the LWW observation
//! L1; replica snapshots only by the convergence properties C1–C6. Everything else, and in
//! particular the linearizability verdict, uses client observations alone, so a history
//! recorded from any real cluster is judged the same way.
//!
//! Precondition (well-formed contexts): every value in a write's context is in the view of an
//! `ok` get of the same key by the same client that precedes the write. A history that breaks it
//! is an input error ([`CheckError`]), not an anomaly. Contexts that form a cycle are not an
//! input error but a store's bug: some read returned a write from its future (M1 reports it), the
//! edge that closes the cycle is left out of the causal order, and the key is not linearizable.
//!
//! Where the first design was ambiguous, this module decided as follows; docs/DESIGN.md §4 now
//! states each rule, and each is also documented where it is implemented:
//! - Real-time order is strict across clients (equal times are concurrent) but follows each
//!   client's own sequence even at equal timestamps (`index::precedes`). The precondition and
//!   every property use this one relation; without it a client that reads and writes in the
//!   same millisecond would break the precondition.
//! - M1's "invoked before the read completed" is "not preceded by the read": a put invoked in
//!   the millisecond the read completed may be in its view.
//! - Under LWW, M3 and M5 are the register's versions: a read may miss a write only if that
//!   write could have been ordered before the value it returned (not forced after it by real
//!   time or by a client's read). The view-based versions would call every write lost to a
//!   concurrent one stale.
//! - L1 reports an acknowledged write that loses to a write invoked before it (larger timestamp,
//!   or equal and larger value); the cause is `clock_skew` when the winner had been acknowledged
//!   before the loser was invoked, `tie` on equal timestamps, `concurrent` otherwise.
//! - M6 belongs to every model (docs/DESIGN.md §4): a wrong context is a causality bug in any
//!   store, so every model forbids it when the history exposes dots and read contexts.
//! - `NotLinearizable` is reported only for what M1, M2, M3 and M5 do not already report
//!   (incomparable views of concurrent reads, and put order); the LIN verdict counts them all.
//! - LIN for LWW histories: each key is a register, decided by the Wing–Gong–Lowe search of
//!   `crate::lin` (`register`); the sweep above is for sibling histories.
//! - C3 with no snapshot of a key: the key holds nothing. C4 is judged from the run summary
//!   (`quiescent: false` without a bound hit is churn), since a history has one snapshot round.
//! - Reaping (docs/DESIGN.md §4, "Reaping"): a store that reaps tombstones forgets a delete and
//!   everything it overwrote, so a reaped key reads as never written. M3, M5, C3 and M6's
//!   `ContextTooLarge` let a delete invoked before the read completed (for C3, any delete) stand
//!   for what it overwrote. With reaping after a delay, a delete that overwrote a value the read
//!   (or a replica) still holds does not count: that value was resurrected, which such reaping
//!   must prevent. Immediate reaping allows resurrection by design. LIN is not required.
//! - Properties that the history cannot support (no snapshots, no dots) are listed as not
//!   evaluated and do not make the verdict unknown; unknown is kept for undecided LIN and for
//!   keys beyond the memory budget.
//!
//! ```
//! use quorate::check::{check, CheckOptions, Model, Verdict};
//! use quorate::history::History;
//!
//! let history = History::from_json(r#"{"version": 1, "operations": [
//!   {"id": 0, "client": 0, "key": "k", "kind": "put", "value": "v1",
//!    "time_ms_invoke": 0, "time_ms_complete": 4, "outcome": "ok"},
//!   {"id": 1, "client": 1, "key": "k", "kind": "get", "values": [],
//!    "time_ms_invoke": 5, "time_ms_complete": 9, "outcome": "ok"}
//! ]}"#).unwrap();
//! let report = check(&history, &CheckOptions::model(Some(Model::Quorum))).unwrap();
//! assert_eq!(report.verdict, Verdict::Invalid);
//! assert!(report.to_string().contains("stale read"));
//! ```

mod anomaly;
mod bits;
mod convergence;
mod index;
mod model;
pub mod mvr_oracle;
mod obligation;
mod reads;
mod reaping;
mod register;
mod report;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::{Reaping, Resolution};
use crate::history::{Catalog, ClientId, History, Key, KeyCatalog, OpId, OpKind, Value};
use crate::verdict::Budget;

/// The crate's one verdict (`crate::verdict`), here where reports have always named it.
pub use crate::verdict::Verdict;
pub use anomaly::{Anomaly, AnomalyKind, LinReason, LwwCause, Observer, OpSummary, ReplicaHolding};
pub use convergence::PutCounts;
pub use model::{Circumstances, Model, UnknownModel};
pub use report::{
    explain, Finding, Linearizability, ModelSource, Omitted, PropertyStatus, Quorum, Report,
};

use anomaly::Findings;
use index::{HistoryIndex, KeyIndex};
use obligation::Obligation;
use reaping::ReapDeadline;

/// Why a history cannot be judged: it breaks the checker's precondition.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// A write's context names a value its client had not read in an earlier `ok` get.
    #[error("{kind} {put} (value \"{value}\", {client}) has \"{context_value}\" in its context, but {client} had not read \"{context_value}\" on key \"{key}\" in an ok get before it: contexts must list only values the client read")]
    ContextNotRead {
        /// The put or delete.
        put: OpId,
        /// Whether it is a put or a delete.
        kind: OpKind,
        /// The client that wrote it.
        client: ClientId,
        /// The key it writes.
        key: Key,
        /// The value it writes.
        value: Value,
        /// The value in its context that the client had not read.
        context_value: Value,
    },
}

/// What to check a history against, and within which budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// The model; `None` takes the one the history's configuration promises (else `eventual`).
    pub model: Option<Model>,
    /// What checking one key may spend ([`KEY_BUDGET`] by default): `memory` bounds the bitsets
    /// of the key (a larger key is left unchecked, and the verdict is at best unknown) and, under
    /// LWW, the register search of the key; `time` bounds that search (a key whose search runs
    /// out is undecided for LIN). The polynomial checks take no time budget.
    pub budget: Budget,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            model: None,
            budget: KEY_BUDGET,
        }
    }
}

impl CheckOptions {
    /// The default budget, against `model`.
    pub fn model(model: Option<Model>) -> CheckOptions {
        CheckOptions {
            model,
            ..CheckOptions::default()
        }
    }
}

/// The default budget of one key: 1 GiB of memory (bitsets, and the register search) and 10 s
/// of register search.
pub const KEY_BUDGET: Budget = Budget {
    time: Some(Duration::from_secs(10)),
    memory: Some(1 << 30),
};

/// What checking every key established, before it becomes a report.
#[derive(Debug, Default)]
struct Evidence {
    findings: Findings,
    /// Keys left unchecked, with the reason.
    skipped_keys: Vec<String>,
    /// Whether some checked key is not linearizable (MVR for siblings, register for LWW).
    some_key_not_linearizable: bool,
    /// LWW keys whose register linearizability the search could not decide, with the reason.
    undecided_registers: Vec<String>,
    white_box: bool,
    timestamps: bool,
    /// Acknowledged puts the replicas no longer keep, over the checked keys.
    puts_lost: u64,
}

/// Judges a history: every property, every anomaly, and the verdict against the model.
pub fn check(history: &History, options: &CheckOptions) -> Result<Report, CheckError> {
    check_catalog(&Catalog::of(history), options)
}

/// Judges a catalogued history, as [`check`] does; for a caller that validated the history with
/// [`History::validated`] and so has its catalogue already.
pub fn check_catalog(catalog: &Catalog<'_>, options: &CheckOptions) -> Result<Report, CheckError> {
    let history = catalog.history();
    let index = HistoryIndex::new(catalog);
    let circumstances = Circumstances::of(history);
    let (model, model_source) = match (options.model, &history.config) {
        (Some(model), _) => (model, ModelSource::Requested),
        (None, Some(config)) => (Model::implied_by(config), ModelSource::Config),
        (None, None) => (Model::Eventual, ModelSource::Default),
    };
    let convergence = Convergence::of(history);
    let obligation = Obligation::of(history);
    let snapshots = history
        .replicas
        .as_deref()
        .map(convergence::snapshots_by_key)
        .unwrap_or_default();
    let mut keys: BTreeMap<&Key, Option<&KeyCatalog<'_>>> = catalog
        .keys()
        .iter()
        .map(|key| (key.key(), Some(key)))
        .collect();
    for &key in snapshots.keys() {
        keys.entry(key).or_insert(None);
    }

    let mut evidence = Evidence::default();
    for (&key, &key_catalog) in &keys {
        let operations = key_catalog.map_or(&[][..], KeyCatalog::operations);
        let bytes = index::bitset_bytes(&index, operations);
        if let Some(memory) = options
            .budget
            .memory
            .filter(|_| options.budget.memory_spent(bytes))
        {
            // Too large to index within the memory budget: say so rather than abort.
            evidence.skipped_keys.push(format!(
                "key {key} ({} operations would need {bytes} bytes of bitsets; the budget is {memory} bytes)",
                operations.len(),
            ));
            continue;
        }
        let key_index = KeyIndex::build(&index, key, key_catalog);
        index::check_contexts(&index, &key_index)?;
        let reads = reads::check_key(
            &index,
            &key_index,
            circumstances.resolution,
            circumstances.reaping,
            &mut evidence.findings,
        );
        evidence.some_key_not_linearizable |= !reads.linearizable;
        // Contexts in a cycle: some read saw a write from its future (M1 says which), and no
        // order of the key's writes respects what every client read.
        evidence.some_key_not_linearizable |= key_index.contexts_cyclic;
        if circumstances.resolution == Resolution::Lww {
            let key_operations = register::operations_of(history, operations);
            match register::check_key(key, &key_operations, &options.budget) {
                register::KeyRegister::Linearizable => {}
                register::KeyRegister::NotLinearizable(anomaly) => {
                    evidence.some_key_not_linearizable = true;
                    evidence.findings.push(*anomaly);
                }
                register::KeyRegister::Unknown(reason) => evidence.undecided_registers.push(reason),
            }
        }
        evidence.white_box |= reads.white_box;
        evidence.timestamps |= reads.timestamps;
        if convergence.evaluable() {
            let key_snapshots = snapshots.get(key).map_or(&[][..], Vec::as_slice);
            convergence::check_replicas(
                &key_index,
                key_snapshots,
                circumstances.resolution,
                |missed| {
                    let missed_ops: Vec<usize> = missed
                        .iter()
                        .map(|&write| key_index.writes[write])
                        .collect();
                    obligation
                        .exposure(history, &missed_ops)
                        .or_else(|| obligation.exposure(history, &key_index.writes))
                        .or_else(|| {
                            // The latest missed delete first: the one the replicas last reaped.
                            let latest_first: Vec<usize> = missed.iter().rev().copied().collect();
                            obligation.reaping_exposure(history, &key_index, &latest_first)
                        })
                        .map(|exposure| {
                            let fault = match exposure.cause {
                                obligation::Cause::Fault(fault) => {
                                    Some(history.faults[fault].clone())
                                }
                                obligation::Cause::Reaping => None,
                            };
                            (OpSummary::of(&history.operations[exposure.write]), fault)
                        })
                },
                &mut evidence.findings,
            );
            // C5 and C6 are required only of keys the configuration promises to converge.
            let must_converge = || obligation.must_converge(history, &key_index);
            convergence::check_replication(
                history,
                &key_index,
                key_snapshots,
                history.config.as_ref().map(|config| config.n),
                circumstances.resolution,
                circumstances.reaping,
                must_converge,
                &mut evidence.findings,
            );
            if let Ok(deadline) = &convergence.reap_deadline {
                deadline.check_key(
                    history,
                    &key_index,
                    key_snapshots,
                    must_converge,
                    &mut evidence.findings,
                );
            }
        }
        if history.replicas.is_some() {
            let key_snapshots = snapshots.get(key).map_or(&[][..], Vec::as_slice);
            let kept =
                convergence::kept_writes(history, &key_index, key_snapshots, circumstances.reaping);
            evidence.puts_lost += PutCounts::lost_of_key(history, &key_index, &kept);
            if convergence.evaluable() && circumstances.resolution == Resolution::Siblings {
                convergence::check_lost_writes(history, &key_index, &kept, &mut evidence.findings);
            }
        }
    }
    if let Some(reason) = &convergence.churn {
        evidence.findings.push(Anomaly::RepairChurn {
            reason: reason.clone(),
        });
    }

    let linearizability = match circumstances.resolution {
        Resolution::Siblings if evidence.some_key_not_linearizable => {
            Linearizability::NotLinearizable
        }
        Resolution::Siblings if !evidence.skipped_keys.is_empty() => Linearizability::Unknown {
            reason: format!("not checked: {}", evidence.skipped_keys.join("; ")),
        },
        Resolution::Siblings => Linearizability::Linearizable,
        // LWW keys are registers: the Wing–Gong–Lowe search decided each one.
        Resolution::Lww if evidence.some_key_not_linearizable => Linearizability::NotLinearizable,
        Resolution::Lww
            if evidence.skipped_keys.is_empty() && evidence.undecided_registers.is_empty() =>
        {
            Linearizability::Linearizable
        }
        Resolution::Lww => {
            let mut reasons = evidence.skipped_keys.clone();
            reasons.extend(evidence.undecided_registers.iter().cloned());
            Linearizability::Unknown {
                reason: format!("not decided: {}", reasons.join("; ")),
            }
        }
    };
    Ok(assemble(
        history,
        model,
        model_source,
        circumstances,
        &convergence,
        evidence,
        linearizability,
        keys.len(),
    ))
}

/// What the history says about the convergence checks: whether they can be judged.
#[derive(Debug)]
struct Convergence {
    /// Why C1–C3 and C5 (and so C6) cannot be judged, if they cannot.
    not_evaluable: Option<String>,
    /// Why C4 cannot be judged, if it cannot.
    churn_unknown: Option<String>,
    /// Why repair did not settle, if the run says it did not.
    churn: Option<String>,
    /// When the configuration promises tombstones reaped (C6), or why C6 cannot be judged.
    reap_deadline: Result<ReapDeadline, String>,
}

impl Convergence {
    fn of(history: &History) -> Convergence {
        let bound = history.run.as_ref().and_then(|run| run.bound_hit.clone());
        let not_evaluable = match (&history.replicas, &bound) {
            (None, _) => Some("the history has no replica snapshots".to_string()),
            (Some(_), Some(bound)) => Some(format!(
                "the run stopped at its bound ({bound}) before quiescence, so the snapshots are not final"
            )),
            (Some(_), None) => None,
        };
        let (churn_unknown, churn) = match &history.run {
            None => (
                Some("the history does not say whether repair had gone quiet".to_string()),
                None,
            ),
            Some(run) if run.bound_hit.is_some() => (not_evaluable.clone(), None),
            Some(run) if !run.quiescent => (
                None,
                Some(format!(
                    "hints, read repair or anti-entropy were still changing replicas at t={} ms, after {} steps",
                    run.time_ms_end, run.steps
                )),
            ),
            Some(_) => (None, None),
        };
        let reap_deadline = match &not_evaluable {
            Some(reason) => Err(reason.clone()),
            None => ReapDeadline::of(history),
        };
        Convergence {
            not_evaluable,
            churn_unknown,
            churn,
            reap_deadline,
        }
    }

    fn evaluable(&self) -> bool {
        self.not_evaluable.is_none()
    }
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    history: &History,
    model: Model,
    model_source: ModelSource,
    circumstances: Circumstances,
    convergence: &Convergence,
    evidence: Evidence,
    linearizability: Linearizability,
    keys: usize,
) -> Report {
    let flags = EvidenceFlags {
        white_box: evidence.white_box,
        timestamps: evidence.timestamps,
    };
    let skipped_keys = evidence.skipped_keys;
    let findings = evidence.findings;
    let found = |kind: AnomalyKind| findings.count(kind) > 0;
    let violates = |candidate: Model| {
        AnomalyKind::ALL
            .into_iter()
            .any(|kind| found(kind) && circumstances.forbids(candidate, kind))
    };
    let lin_known_good = linearizability == Linearizability::Linearizable;
    // A key left unchecked could break any model, so then no model is established.
    let strongest_model = Model::ALL.into_iter().rev().find(|&candidate| {
        skipped_keys.is_empty()
            && !violates(candidate)
            && (candidate < Model::Atomic || lin_known_good)
    });
    let verdict = if violates(model) {
        Verdict::Invalid
    } else if !skipped_keys.is_empty()
        || (model == Model::Atomic
            && !lin_known_good
            && circumstances.forbids(model, AnomalyKind::NotLinearizable))
    {
        Verdict::Unknown
    } else {
        Verdict::Valid
    };

    let mut anomalies: Vec<Finding> = findings
        .anomalies
        .into_iter()
        .map(|anomaly| Finding {
            forbidden: circumstances.forbids(model, anomaly.kind()),
            operations: anomaly.operations(),
            anomaly,
        })
        .collect();
    // Stable: within a kind, anomalies keep the order in which keys were checked.
    anomalies.sort_by_key(|finding| (!finding.forbidden, finding.anomaly.kind()));
    let omitted = findings
        .omitted
        .iter()
        .map(|(&kind, &count)| Omitted {
            kind,
            count,
            forbidden: circumstances.forbids(model, kind),
        })
        .collect();
    let mut properties = properties(model, circumstances, convergence, &flags, &linearizability);
    if !skipped_keys.is_empty() {
        properties.push(PropertyStatus {
            property: "ALL",
            evaluated: false,
            required: true,
            note: format!("keys left unchecked: {}", skipped_keys.join("; ")),
        });
    }
    Report {
        model,
        model_source,
        verdict,
        strongest_model,
        linearizability,
        operations: history.operations.len(),
        keys,
        quorum: history.config.as_ref().map(|config| Quorum {
            n: config.n,
            r: config.r,
            w: config.w,
            sloppy: config.sloppy_quorum,
        }),
        puts: PutCounts {
            acknowledged: history
                .operations
                .iter()
                .filter(|operation| operation.kind() == OpKind::Put && operation.is_ok())
                .count() as u64,
            lost: evidence.puts_lost,
        },
        anomalies,
        omitted,
        properties,
    }
}

/// Which store metadata the history carried, for the notes on M6 and L1.
#[derive(Debug)]
struct EvidenceFlags {
    white_box: bool,
    timestamps: bool,
}

/// How every property fared, with a note where it was not evaluated or not required.
fn properties(
    model: Model,
    circumstances: Circumstances,
    convergence: &Convergence,
    flags: &EvidenceFlags,
    linearizability: &Linearizability,
) -> Vec<PropertyStatus> {
    let lww = circumstances.resolution == Resolution::Lww;
    let forbids = |kind| circumstances.forbids(model, kind);
    let status = |property, evaluated, required, note: String| PropertyStatus {
        property,
        evaluated,
        required,
        note,
    };
    let data_loss = "a fault of this run can lose acknowledged data, so it is not required";
    let reaped_note =
        "the store reaps tombstones: a write a reaped delete overwrote may be missing";
    let convergence_note = convergence.not_evaluable.clone().unwrap_or_default();
    let mut out = vec![
        status("M1", true, true, String::new()),
        status("M2", true, true, String::new()),
        status(
            "M3",
            true,
            forbids(AnomalyKind::StaleRead),
            if circumstances.loses_data && model >= Model::Quorum {
                data_loss.to_string()
            } else if lww {
                "under LWW a read may miss a write that a concurrent write overwrote; only writes that must come after the returned one count".to_string()
            } else if circumstances.reaping != Reaping::Keep {
                reaped_note.to_string()
            } else {
                String::new()
            },
        ),
        status("M4", true, false, String::new()),
        status(
            "M5",
            true,
            forbids(AnomalyKind::NonMonotonicRead),
            String::new(),
        ),
        status(
            "M6",
            flags.white_box,
            true,
            if flags.white_box {
                String::new()
            } else {
                "the history has no store dots and read contexts (white-box metadata)".to_string()
            },
        ),
        status(
            "C1",
            convergence.evaluable(),
            true,
            convergence_note.clone(),
        ),
        status(
            "C2",
            convergence.evaluable(),
            true,
            convergence_note.clone(),
        ),
    ];
    let c3_note = if lww {
        "LWW discards concurrent writes by design (see L1)".to_string()
    } else if !convergence.evaluable() {
        convergence_note
    } else if circumstances.loses_data {
        data_loss.to_string()
    } else if !circumstances.durable {
        "storage is volatile, so it is not required".to_string()
    } else if circumstances.reaping != Reaping::Keep {
        reaped_note.to_string()
    } else {
        String::new()
    };
    out.push(status(
        "C3",
        convergence.evaluable() && !lww,
        forbids(AnomalyKind::LostWrite),
        c3_note,
    ));
    out.push(status(
        "C4",
        convergence.churn_unknown.is_none(),
        true,
        convergence.churn_unknown.clone().unwrap_or_default(),
    ));
    let c5_note = if !convergence.evaluable() {
        convergence.not_evaluable.clone().unwrap_or_default()
    } else if lww {
        "under LWW only the number of replicas is checked: a write LWW discarded is discarded on every replica that converged (see C1)".to_string()
    } else {
        String::new()
    };
    out.push(status(
        "C5",
        convergence.evaluable(),
        forbids(AnomalyKind::UnderReplicated),
        c5_note,
    ));
    out.push(status(
        "C6",
        convergence.reap_deadline.is_ok(),
        forbids(AnomalyKind::TombstoneNotReaped),
        convergence.reap_deadline.clone().err().unwrap_or_default(),
    ));
    let l1_note = match (lww, flags.timestamps) {
        (false, _) => "not an LWW history".to_string(),
        (true, false) => "the history has no LWW timestamps".to_string(),
        (true, true) => String::new(),
    };
    out.push(status("L1", lww && flags.timestamps, false, l1_note));
    let lin_note = match linearizability {
        Linearizability::Unknown { reason } => reason.clone(),
        _ if model >= Model::Atomic && circumstances.loses_data => data_loss.to_string(),
        _ if model >= Model::Atomic && circumstances.reaping != Reaping::Keep => {
            "the store reaps tombstones, so a reaped key reads as never written; it is not required"
                .to_string()
        }
        _ => String::new(),
    };
    out.push(status(
        "LIN",
        !matches!(linearizability, Linearizability::Unknown { .. }),
        forbids(AnomalyKind::NotLinearizable),
        lin_note,
    ));
    out
}

/// Whether one key of a sibling history is MVR-linearizable, by the polynomial decision (for
/// tests against [`mvr_oracle`]); `None` for a key no operation touches.
pub fn key_is_mvr_linearizable(history: &History, key: &Key) -> Result<Option<bool>, CheckError> {
    let catalog = Catalog::of(history);
    let index = HistoryIndex::new(&catalog);
    let Some(key_catalog) = catalog.key(key) else {
        return Ok(None);
    };
    let key_index = KeyIndex::build(&index, key, Some(key_catalog));
    index::check_contexts(&index, &key_index)?;
    let mut findings = Findings::default();
    let reads = reads::check_key(
        &index,
        &key_index,
        Resolution::Siblings,
        Reaping::Keep,
        &mut findings,
    );
    Ok(Some(reads.linearizable && !key_index.contexts_cyclic))
}

/// Checks the precondition alone: whether the checker can judge this history.
pub fn check_precondition(history: &History) -> Result<(), CheckError> {
    let catalog = Catalog::of(history);
    let index = HistoryIndex::new(&catalog);
    for key_catalog in catalog.keys() {
        let key_index = KeyIndex::build(&index, key_catalog.key(), Some(key_catalog));
        index::check_contexts(&index, &key_index)?;
    }
    Ok(())
}
