//! The checker's result as plain data, and its text form: one paragraph per anomaly, in the
//! words a store engineer uses. The JSON form (`serde`) carries the same content.

use std::fmt::{self, Write as _};

use serde::Serialize;

use crate::history::{OpId, Outcome, Value};
use crate::verdict::Verdict;

use super::anomaly::{Anomaly, AnomalyKind, LinReason, LwwCause, Observer, OpSummary};
use super::model::Model;

/// Where the requested model came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    /// `--model` (or the caller) asked for it.
    Requested,
    /// The history's configuration promises it.
    Config,
    /// The regression case the history came in records it (written `case` in JSON).
    #[serde(rename = "case")]
    Regression,
    /// Neither: the history has no configuration, so nothing beyond `eventual` is promised.
    Default,
}

/// The outcome of the linearizability property (LIN).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Linearizability {
    /// Some real-time order explains every read.
    Linearizable,
    /// No real-time order does: a `NotLinearizable` anomaly says where.
    NotLinearizable,
    /// Not decided; the reason says why.
    Unknown {
        /// Why it was not decided, in words.
        reason: String,
    },
}

/// One anomaly, whether the requested model forbids it, and the ids of the operations that
/// show it (as [`Anomaly::operations`] names them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Whether the requested model forbids it.
    pub forbidden: bool,
    /// The ids of the operations that show it.
    pub operations: Vec<OpId>,
    /// The anomaly, its fields flattened into the finding's JSON.
    #[serde(flatten)]
    pub anomaly: Anomaly,
}

/// Anomalies of one kind beyond the number a report keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Omitted {
    /// The kind of the anomalies left out.
    pub kind: AnomalyKind,
    /// How many of that kind the report left out.
    pub count: u64,
    /// Whether the requested model forbids the kind.
    pub forbidden: bool,
}

/// How one property of docs/DESIGN.md §4 fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PropertyStatus {
    /// `M1` … `M6`, `C1` … `C6`, `L1`, `LIN`.
    pub property: &'static str,
    /// Whether the history held what the property needs.
    pub evaluated: bool,
    /// Whether the requested model (in this run's circumstances) forbids breaking it.
    pub required: bool,
    /// Why the property was not evaluated or not required, in words; empty when nothing to say.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The quorum settings a report names when it explains a stale read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Quorum {
    /// Replicas per key.
    pub n: u32,
    /// Replies a read waits for.
    pub r: u32,
    /// Acknowledgements a write waits for.
    pub w: u32,
    /// Whether fallbacks count toward r and w (a sloppy quorum).
    pub sloppy: bool,
}

/// Everything the checker concluded about one history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The model the history was checked against.
    pub model: Model,
    /// Where that model came from.
    pub model_source: ModelSource,
    /// Whether the history satisfies the requested model: invalid when a forbidden anomaly was
    /// found; unknown when none was but a required property could not be decided.
    pub verdict: Verdict,
    /// The strongest model none of whose forbidden anomalies was found; `None` if even
    /// `eventual` is broken, or if some key was left unchecked (see the `ALL` property).
    pub strongest_model: Option<Model>,
    /// The outcome of LIN, whatever the requested model.
    pub linearizability: Linearizability,
    /// Operations in the history.
    pub operations: usize,
    /// Keys the operations touch.
    pub keys: usize,
    /// The configuration's quorum settings; `None` when the history has no configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorum: Option<Quorum>,
    /// Acknowledged puts, and how many of them the converged replicas no longer keep (C3's rule).
    pub puts: super::PutCounts,
    /// Forbidden anomalies first, then the others; within each, by kind then key.
    pub anomalies: Vec<Finding>,
    /// Anomalies beyond the report's limit, counted by kind.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<Omitted>,
    /// How each property of docs/DESIGN.md §4 fared, in a fixed order.
    pub properties: Vec<PropertyStatus>,
}

impl Report {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// How many anomalies the requested model forbids, counting omitted ones.
    pub fn forbidden_count(&self) -> u64 {
        let kept = self
            .anomalies
            .iter()
            .filter(|found| found.forbidden)
            .count() as u64;
        kept + self
            .omitted
            .iter()
            .filter(|omitted| omitted.forbidden)
            .map(|omitted| omitted.count)
            .sum::<u64>()
    }

    /// The kinds of anomaly found, each once, in report order.
    pub fn kinds(&self) -> Vec<AnomalyKind> {
        Report::distinct_kinds(self.anomalies.iter())
    }

    /// The distinct kinds of the forbidden anomalies kept, in report order: what breaks the
    /// model.
    pub fn forbidden_kinds(&self) -> Vec<AnomalyKind> {
        Report::distinct_kinds(self.anomalies.iter().filter(|found| found.forbidden))
    }

    fn distinct_kinds<'a>(found: impl Iterator<Item = &'a Finding>) -> Vec<AnomalyKind> {
        let mut kinds: Vec<AnomalyKind> = Vec::new();
        for found in found {
            let kind = found.anomaly.kind();
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        kinds
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = self.verdict.name().to_ascii_uppercase();
        let source = match self.model_source {
            ModelSource::Requested => "as requested",
            ModelSource::Config => "promised by the history's configuration",
            ModelSource::Regression => "recorded in the regression case",
            ModelSource::Default => "the history has no configuration",
        };
        writeln!(f, "{verdict} against model {} ({source})", self.model)?;
        let unchecked = self
            .properties
            .iter()
            .any(|status| status.property == "ALL");
        let strongest = match (self.strongest_model, unchecked) {
            (Some(model), _) => model.name(),
            (None, true) => "unknown (some keys were not checked)",
            (None, false) => "none (even eventual is broken)",
        };
        writeln!(f, "strongest model satisfied: {strongest}")?;
        let lin = match &self.linearizability {
            Linearizability::Linearizable => "yes".to_string(),
            Linearizability::NotLinearizable => "no".to_string(),
            Linearizability::Unknown { reason } => format!("unknown ({reason})"),
        };
        writeln!(f, "linearizable: {lin}")?;
        let forbidden = self.forbidden_count();
        let total = self.anomalies.len() as u64 + self.omitted.iter().map(|o| o.count).sum::<u64>();
        writeln!(
            f,
            "{}, {}; {}, {forbidden} forbidden by {}",
            plural(self.operations as u64, "operation"),
            plural(self.keys as u64, "key"),
            plural(total, "anomaly"),
            self.model
        )?;
        for (number, found) in self.anomalies.iter().enumerate() {
            let label = if found.forbidden {
                "forbidden"
            } else {
                "allowed"
            };
            let key = found
                .anomaly
                .key()
                .map_or(String::new(), |key| format!(" on key {key}"));
            writeln!(f)?;
            writeln!(f, "{}. [{label}] {}{key}", number + 1, found.anomaly.kind())?;
            writeln!(f, "   {}", explain(&found.anomaly, self.quorum))?;
        }
        for omitted in &self.omitted {
            let label = if omitted.forbidden {
                "forbidden"
            } else {
                "allowed"
            };
            writeln!(f)?;
            writeln!(
                f,
                "... and {} more {} anomalies [{label}] not listed",
                omitted.count, omitted.kind
            )?;
        }
        let skipped: Vec<&PropertyStatus> = self
            .properties
            .iter()
            .filter(|status| !status.evaluated || !status.note.is_empty())
            .collect();
        if !skipped.is_empty() {
            writeln!(f)?;
            writeln!(f, "notes:")?;
            for status in skipped {
                let evaluated = if status.evaluated {
                    ""
                } else {
                    "not evaluated: "
                };
                writeln!(f, "- {}: {evaluated}{}", status.property, status.note)?;
            }
        }
        Ok(())
    }
}

/// "1 key", "2 keys", "1 anomaly", "3 anomalies".
fn plural(count: u64, noun: &str) -> String {
    match (count, noun) {
        (1, _) => format!("1 {noun}"),
        (_, "anomaly") => format!("{count} anomalies"),
        _ => format!("{count} {noun}s"),
    }
}

fn set(values: &[Value]) -> String {
    let names: Vec<&str> = values.iter().map(|value| value.0.as_str()).collect();
    format!("{{{}}}", names.join(", "))
}

/// "n1, n2"
fn nodes(nodes: &[crate::causality::NodeId]) -> String {
    let names: Vec<String> = nodes.iter().map(ToString::to_string).collect();
    names.join(", ")
}

fn write_name(op: &OpSummary) -> String {
    let value = op.value.as_ref().map_or("?", |value| value.0.as_str());
    format!("{} {value} (#{})", op.kind, op.id.0)
}

/// "read #41 by client 3 at t=120 ms"
fn read_name(op: &OpSummary) -> String {
    format!(
        "read #{} by client {} at t={} ms",
        op.id.0, op.client.0, op.time_ms_invoke
    )
}

fn returned(op: &OpSummary) -> String {
    set(op.values.as_deref().unwrap_or(&[]))
}

fn completed(op: &OpSummary) -> String {
    match op.time_ms_complete {
        Some(time) => format!("t={time} ms"),
        None => "no answer".to_string(),
    }
}

fn under_quorum(quorum: Option<Quorum>) -> String {
    match quorum {
        Some(q) if q.r + q.w > q.n && !q.sloppy => {
            format!(" under r + w > n ({} + {} > {})", q.r, q.w, q.n)
        }
        Some(q) => format!(
            " (r = {}, w = {}, n = {}: no strict quorum promised)",
            q.r, q.w, q.n
        ),
        None => String::new(),
    }
}

fn ended(op: &OpSummary) -> &'static str {
    match op.outcome {
        Outcome::Ok => "was acknowledged",
        Outcome::Fail => "failed",
        Outcome::Info => "never answered",
    }
}

/// One paragraph explaining an anomaly.
pub fn explain(anomaly: &Anomaly, quorum: Option<Quorum>) -> String {
    let mut text = String::new();
    let _ = match anomaly {
        Anomaly::PhantomValue { key, seen_by, value } => match seen_by {
            Observer::Read { read } => write!(
                text,
                "{} returned {}, including {value}, which no put or delete on key {key} ever wrote: a phantom value.",
                read_name(read),
                returned(read)
            ),
            Observer::Replica { node } => write!(
                text,
                "replica {node} holds {value} for key {key} at the end, but no put or delete on key {key} ever wrote it: a phantom value."
            ),
        },
        // The same client's later operation follows the read in client order, even when it was
        // invoked at the very millisecond the read finished: say so, not "after t=3 ms at 3 ms".
        Anomaly::FutureRead { read, put, .. } if put.client == read.client => write!(
            text,
            "{} returned {}, whose view holds {}, but {} invoked that write only after this read, as its own next operation (at t={} ms): a read from the future.",
            read_name(read),
            returned(read),
            write_name(put),
            read.client,
            put.time_ms_invoke
        ),
        Anomaly::FutureRead { read, put, .. } => write!(
            text,
            "{} returned {}, whose view holds {}, but that write was invoked only at t={} ms, after the read had finished at {}: a read from the future.",
            read_name(read),
            returned(read),
            write_name(put),
            put.time_ms_invoke,
            completed(read)
        ),
        Anomaly::DominatedSibling { seen_by, dominated, by, lww_single_value, .. } => {
            let who = match seen_by {
                Observer::Read { read } => format!("{} returned {}, with", read_name(read), returned(read)),
                Observer::Replica { node } => format!("replica {node} keeps"),
            };
            if *lww_single_value {
                write!(text, "{who} both {by} and {dominated}, but under last-write-wins a read returns at most one value.")
            } else {
                write!(text, "{who} both {dominated} and {by} as siblings, but the write of {by} had overwritten {dominated} (its client had read it): {dominated} should have been discarded.")
            }
        }
        Anomaly::StaleRead { read, missing, missing_total, .. } => {
            let missed = match (missing.as_slice(), *missing_total) {
                ([put], 1) => format!(
                    "{} had been acknowledged at {} and is not in its view",
                    write_name(put),
                    completed(put)
                ),
                _ => {
                    let listed: Vec<String> = missing
                        .iter()
                        .map(|put| format!("{} acknowledged at {}", write_name(put), completed(put)))
                        .collect();
                    let more = missing_total.saturating_sub(missing.len());
                    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                    format!("{}{more} had been acknowledged before it began and are not in its view", listed.join(", "))
                }
            };
            write!(
                text,
                "{} returned {} but {missed}: stale read{}.",
                read_name(read),
                returned(read),
                under_quorum(quorum)
            )
        }
        Anomaly::FailedWriteVisible { put, read, .. } => write!(
            text,
            "{} by client {} {}, yet {} saw it. Allowed: a leaderless store never rolls a write back, so a write that failed may still land.",
            write_name(put),
            put.client.0,
            ended(put),
            read_name(read)
        ),
        Anomaly::NonMonotonicRead { earlier, later, lost, .. } => write!(
            text,
            "{} returned {} and no longer sees {}, which {} had seen (it returned {} and finished at {}, before the later read began): non-monotonic read.",
            read_name(later),
            returned(later),
            set(lost),
            read_name(earlier),
            returned(earlier),
            completed(earlier)
        ),
        Anomaly::ContextTooSmall { read, put, .. } => write!(
            text,
            "the context returned by {} does not cover the dot of {}, although that write is in the read's view: a put with this context would keep it as a sibling instead of overwriting it.",
            read_name(read),
            write_name(put)
        ),
        Anomaly::ContextTooLarge { read, put, .. } => write!(
            text,
            "the context returned by {} covers the dot of {}, which is not in the read's view: a put with this context would discard that write unseen (a lost update).",
            read_name(read),
            write_name(put)
        ),
        Anomaly::Divergence { key, replicas } => {
            let holdings: Vec<String> = replicas
                .iter()
                .map(|replica| format!("{} holds {}", replica.node, set(&replica.values)))
                .collect();
            write!(text, "the replicas of key {key} disagree after heal and repair: {}.", holdings.join(", "))
        }
        Anomaly::UnrepairedDivergence { key, replicas, write: exposed, fault } => {
            let holdings: Vec<String> = replicas
                .iter()
                .map(|replica| format!("{} holds {}", replica.node, set(&replica.values)))
                .collect();
            let answered = match exposed.time_ms_complete { Some(time) => format!("answered at t={time} ms"), None => "never answered".to_string() };
            match fault {
                Some(fault) => {
                    let heal = fault.time_ms_end.map_or_else(|| "the end of the workload".to_string(), |heal| format!("t={heal} ms"));
                    let what = if fault.description.is_empty() { fault.kind.record_name().to_string() } else { fault.description.clone() };
                    write!(
                        text,
                        "the replicas of key {key} disagree after heal: {}. The configuration does not promise to repair them: it runs no anti-entropy, and {} (invoked at t={} ms, {answered}) was still being coordinated when a {} fault ({what}, t={} ms to {heal}) could cut it short.",
                        holdings.join(", "),
                        write_name(exposed),
                        exposed.time_ms_invoke,
                        fault.kind.record_name(),
                        fault.time_ms_start,
                    )
                }
                None => write!(
                    text,
                    "the replicas of key {key} disagree after heal: {}. The configuration does not promise to repair them: it runs no anti-entropy and reaps tombstones, each replica on its own, and another write of the key could reach one replica before it reaped the tombstone of {} (invoked at t={} ms, {answered}) and another after: only anti-entropy, or a read that happens by, brings them together.",
                    holdings.join(", "),
                    write_name(exposed),
                    exposed.time_ms_invoke,
                ),
            }
        }
        Anomaly::LostWrite { key, put } => write!(
            text,
            "{} by client {} was acknowledged at {}, but at the end no replica of key {key} holds it or a write that overwrote it: lost write.",
            write_name(put),
            put.client.0,
            completed(put)
        ),
        Anomaly::UnderReplicated { key, write, replicas, lacking, n } => {
            let of_n = n.map_or(String::new(), |n| format!(" n = {n}"));
            let too_few = match n {
                Some(n) if replicas.len() < *n as usize => format!(
                    " Its snapshots also come from only {} of its{of_n} home replicas.",
                    replicas.len()
                ),
                _ => String::new(),
            };
            if lacking.is_empty() {
                write!(
                    text,
                    "key {key} has acknowledged writes ({} by client {}, acknowledged at {}, the first), but its replica snapshots come from only {} ({}), fewer than its{of_n} home replicas: under-replicated.",
                    write_name(write),
                    write.client.0,
                    completed(write),
                    plural(replicas.len() as u64, "node"),
                    nodes(replicas)
                )
            } else {
                let keeping: Vec<crate::causality::NodeId> =
                    replicas.iter().filter(|node| !lacking.contains(node)).copied().collect();
                write!(
                    text,
                    "{} by client {} was acknowledged at {}, but at the end {} of key {key} {} neither it nor a write that overwrote it, while {} {} it: under-replicated (each of the key's{of_n} home replicas must keep every acknowledged write).{too_few}",
                    write_name(write),
                    write.client.0,
                    completed(write),
                    nodes(lacking),
                    if lacking.len() == 1 { "holds" } else { "hold" },
                    nodes(&keeping),
                    if keeping.len() == 1 { "keeps" } else { "keep" },
                )
            }
        }
        Anomaly::TombstoneNotReaped {
            key,
            replicas,
            deletes,
            reap_after_ms,
            time_ms_last_activity,
            time_ms_due,
            time_ms_end,
        } => {
            let holdings: Vec<String> = replicas
                .iter()
                .map(|replica| format!("{} holds only {}", replica.node, set(&replica.values)))
                .collect();
            let written_by = if deletes.is_empty() {
                String::new()
            } else {
                let names: Vec<String> = deletes.iter().map(write_name).collect();
                format!(" (written by {})", names.join(", "))
            };
            let when = if *reap_after_ms == 0 {
                "as soon as a replica holds it".to_string()
            } else {
                format!("{reap_after_ms} ms after a replica has it, once every home replica holds it")
            };
            write!(
                text,
                "when the run went quiet at t={time_ms_end} ms, the tombstones of key {key} were still there{written_by}: {}. The configuration reaps a tombstone {when}; the key's last operation or fault was at t={time_ms_last_activity} ms, so with {} ms to settle they were due to be gone by t={time_ms_due} ms: tombstone not reaped.",
                holdings.join(", "),
                time_ms_due - time_ms_last_activity - reap_after_ms,
            )
        }
        Anomaly::RepairChurn { reason } => write!(text, "repair had not settled when the replicas were snapshotted: {reason}."),
        Anomaly::LwwLostWrite { lost, winner, cause, timestamp_lost, timestamp_winner, .. } => {
            let why = match cause {
                LwwCause::Concurrent => "the two writes overlapped in time, and last-write-wins keeps only one".to_string(),
                LwwCause::ClockSkew => format!(
                    "{} had been acknowledged at {} before the lost write was invoked, so only clock skew explains its larger timestamp",
                    write_name(winner),
                    completed(winner)
                ),
                LwwCause::Tie => "the timestamps are equal and the tie is broken by value".to_string(),
            };
            write!(
                text,
                "{} by client {} was acknowledged at {} with timestamp {timestamp_lost}, but {}, invoked earlier at t={} ms, has timestamp {timestamp_winner} and wins: {why}.",
                write_name(lost),
                lost.client.0,
                completed(lost),
                write_name(winner),
                winner.time_ms_invoke
            )
        }
        Anomaly::NotLinearizable { reason, witness, saw_only, .. } => match (reason, witness.as_slice(), saw_only.as_slice()) {
            (LinReason::IncomparableViews, [first, second], [first_only, second_only]) => write!(
                text,
                "{} returned {} and {} returned {}: the two reads overlap in time, but the first saw {first_only} and not {second_only} while the second saw {second_only} and not {first_only}, so no single order of the writes explains both.",
                read_name(first),
                returned(first),
                read_name(second),
                returned(second)
            ),
            (LinReason::IncomparableViews, [first, second], _) => write!(
                text,
                "{} returned {} and {} returned {}: the two reads overlap in time but each saw a write the other did not, so no single order of the writes explains both.",
                read_name(first),
                returned(first),
                read_name(second),
                returned(second)
            ),
            (LinReason::PutOrder, [earlier, later, read], _) => write!(
                text,
                "{} was acknowledged at {} before {} was invoked at t={} ms, yet {} returned {}, which holds the later write and not the earlier: no order consistent with real time explains it.",
                write_name(earlier),
                completed(earlier),
                write_name(later),
                later.time_ms_invoke,
                read_name(read),
                returned(read)
            ),
            (LinReason::RegisterOrder, [placed @ .., stuck], _) => {
                let stuck_name = if stuck.kind == crate::history::OpKind::Get { read_name(stuck) } else { write_name(stuck) };
                let what = if stuck.kind == crate::history::OpKind::Get {
                    format!("returned {}", returned(stuck))
                } else {
                    "wrote".to_string()
                };
                let read_values = stuck.values.clone().unwrap_or_default();
                let (writers, last): (Vec<&OpSummary>, Vec<&OpSummary>) =
                    placed.iter().partition(|op| op.value.as_ref().is_some_and(|v| read_values.contains(v)));
                let last: Vec<String> = last.into_iter().map(write_name).collect();
                let writers: Vec<String> = writers.into_iter().map(write_name).collect();
                write!(
                    text,
                    "read as a register (LWW keeps one value), no order consistent with real time explains the reads: the longest order the search found ends with {}, and then {stuck_name} {what}{}, which no order of the remaining operations explains.",
                    if last.is_empty() { "no write".to_string() } else { last.join(" and ") },
                    if writers.is_empty() { String::new() } else { format!(" (written by {})", writers.join(" and ")) }
                )
            }
            _ => write!(text, "no order of operations consistent with real time explains what was read."),
        },
    };
    text
}
