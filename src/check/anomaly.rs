//! The anomalies the checker reports: one typed variant per broken property of docs/DESIGN.md §4,
//! each carrying the operations (or replicas) that show it, so a report can be read without the
//! history at hand.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::causality::NodeId;
use crate::history::{Action, ClientId, FaultRecord, Key, OpId, OpKind, Operation, Outcome, Value};

/// The kinds of anomaly, in the order a report lists them within a severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// M1/C2: a value no put wrote (docs/DESIGN.md §4).
    PhantomValue,
    /// M1: a read saw a put it precedes in real time.
    FutureRead,
    /// M2/C2: a returned or kept sibling that another one overwrote.
    DominatedSibling,
    /// M3: a read missed a put acknowledged before it began.
    StaleRead,
    /// M5: a read saw less than a read that finished before it began.
    NonMonotonicRead,
    /// LIN: no real-time order explains the reads.
    NotLinearizable,
    /// M6: a read's context misses a put in its view.
    ContextTooSmall,
    /// M6: a read's context covers a put not in its view.
    ContextTooLarge,
    /// C1: a key's replicas differ at quiescence.
    Divergence,
    /// C3: an acknowledged put in no replica's causal past at quiescence.
    LostWrite,
    /// C5: an acknowledged write kept by fewer home replicas than it has.
    UnderReplicated,
    /// C6: tombstones still held after the configuration promised to reap them.
    TombstoneNotReaped,
    /// C4: repair had not settled when the snapshots were taken.
    RepairChurn,
    /// M4 (an observation): a failed or unanswered put seen by a read.
    FailedWriteVisible,
    /// L1 (an observation): an acknowledged LWW write discarded by an earlier-invoked one.
    LwwLostWrite,
    /// C1 outside the configuration's promise (an observation): replicas differ and nothing promises to repair them.
    UnrepairedDivergence,
}

impl AnomalyKind {
    /// Every kind, in declaration order.
    pub const ALL: [AnomalyKind; 16] = [
        AnomalyKind::PhantomValue,
        AnomalyKind::FutureRead,
        AnomalyKind::DominatedSibling,
        AnomalyKind::StaleRead,
        AnomalyKind::NonMonotonicRead,
        AnomalyKind::NotLinearizable,
        AnomalyKind::ContextTooSmall,
        AnomalyKind::ContextTooLarge,
        AnomalyKind::Divergence,
        AnomalyKind::LostWrite,
        AnomalyKind::UnderReplicated,
        AnomalyKind::TombstoneNotReaped,
        AnomalyKind::RepairChurn,
        AnomalyKind::FailedWriteVisible,
        AnomalyKind::LwwLostWrite,
        AnomalyKind::UnrepairedDivergence,
    ];

    /// The name used in reports and JSON, e.g. `stale_read`.
    pub fn name(self) -> &'static str {
        match self {
            AnomalyKind::PhantomValue => "phantom_value",
            AnomalyKind::FutureRead => "future_read",
            AnomalyKind::DominatedSibling => "dominated_sibling",
            AnomalyKind::StaleRead => "stale_read",
            AnomalyKind::NonMonotonicRead => "non_monotonic_read",
            AnomalyKind::NotLinearizable => "not_linearizable",
            AnomalyKind::ContextTooSmall => "context_too_small",
            AnomalyKind::ContextTooLarge => "context_too_large",
            AnomalyKind::Divergence => "divergence",
            AnomalyKind::LostWrite => "lost_write",
            AnomalyKind::UnderReplicated => "under_replicated",
            AnomalyKind::TombstoneNotReaped => "tombstone_not_reaped",
            AnomalyKind::RepairChurn => "repair_churn",
            AnomalyKind::FailedWriteVisible => "failed_write_visible",
            AnomalyKind::LwwLostWrite => "lww_lost_write",
            AnomalyKind::UnrepairedDivergence => "unrepaired_divergence",
        }
    }
}

impl fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An operation as a report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpSummary {
    /// The operation's id in the history.
    pub id: OpId,
    /// The client that invoked it.
    pub client: ClientId,
    /// Get, put or delete.
    pub kind: OpKind,
    /// How it ended for its client.
    pub outcome: Outcome,
    /// When its client invoked it, in simulated (or recorded) milliseconds.
    pub time_ms_invoke: u64,
    /// When its client saw the answer (for `info`, gave up waiting); `None` if never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ms_complete: Option<u64>,
    /// For a put or delete: the value it wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// For a get: the values (and tombstones) it returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

impl OpSummary {
    /// The summary of `operation`.
    pub fn of(operation: &Operation) -> OpSummary {
        let (value, values) = match &operation.action {
            Action::Get { values, .. } => (
                None,
                Some(values.iter().map(|read| read.value.clone()).collect()),
            ),
            Action::Put(write) | Action::Delete(write) => (Some(write.value.clone()), None),
        };
        OpSummary {
            id: operation.id,
            client: operation.client,
            kind: operation.kind(),
            outcome: operation.outcome,
            time_ms_invoke: operation.time_ms_invoke,
            time_ms_complete: operation.time_ms_complete,
            value,
            values,
        }
    }
}

/// Who saw a value: a client's read, or a replica's final snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "observer", rename_all = "snake_case")]
pub enum Observer {
    /// A client's get returned it.
    Read {
        /// The get that returned the value.
        read: OpSummary,
    },
    /// A replica held it in its final snapshot.
    Replica {
        /// The node of the replica.
        node: NodeId,
    },
}

/// Why an LWW store discarded an acknowledged write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LwwCause {
    /// The two writes overlapped in real time; LWW keeps one of them by design.
    Concurrent,
    /// The losing write began after the winner had been acknowledged, yet got a smaller
    /// timestamp: the coordinators' clocks disagree.
    ClockSkew,
    /// Equal timestamps, broken by value.
    Tie,
}

/// Why no real-time order explains the reads (beyond the anomalies of M1, M2, M3 and M5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinReason {
    /// Two concurrent reads whose views are incomparable: no single order gives both.
    IncomparableViews,
    /// Put `first` was acknowledged before put `second` was invoked, but a read holds `second`
    /// without `first`.
    PutOrder,
    /// LWW: the key read as a register has no order consistent with real time (the Wing–Gong–Lowe
    /// search got stuck at the last operation of the witness).
    RegisterOrder,
}

/// One anomaly, with everything needed to explain it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Anomaly {
    /// M1/C2: a value that no put on the key ever wrote.
    PhantomValue {
        /// The key the anomaly is on.
        key: Key,
        /// The read or replica that holds the value.
        seen_by: Observer,
        /// The value no put wrote.
        value: Value,
    },
    /// M1: a read whose view holds a put that the read precedes in real time.
    FutureRead {
        /// The key the anomaly is on.
        key: Key,
        /// The read that saw the future put.
        read: OpSummary,
        /// The put, invoked after the read completed.
        put: OpSummary,
    },
    /// M2/C2: a returned or kept sibling that another one overwrote.
    DominatedSibling {
        /// The key the anomaly is on.
        key: Key,
        /// The read or replica that holds both siblings.
        seen_by: Observer,
        /// The sibling that `by` overwrote, yet still returned or kept.
        dominated: Value,
        /// The sibling that overwrote it.
        by: Value,
        /// Under LWW a read returns at most one value: `dominated` came back next to `by`
        /// even if neither overwrote the other.
        lww_single_value: bool,
    },
    /// M3: puts acknowledged before the read began that are not in its view.
    StaleRead {
        /// The key the anomaly is on.
        key: Key,
        /// The read that missed them.
        read: OpSummary,
        /// A few of the missing puts, the latest first, leaving out any that a listed one
        /// overwrote.
        missing: Vec<OpSummary>,
        /// How many puts are missing in all (`missing` lists at most a few).
        missing_total: usize,
    },
    /// M4 (an observation): a put that failed or never answered, seen by a read.
    FailedWriteVisible {
        /// The key the anomaly is on.
        key: Key,
        /// The put that failed or never answered.
        put: OpSummary,
        /// The read that saw it.
        read: OpSummary,
    },
    /// M5: a read that saw less than a read that finished before it began.
    NonMonotonicRead {
        /// The key the anomaly is on.
        key: Key,
        /// The read that finished first.
        earlier: OpSummary,
        /// The read that began after `earlier` finished.
        later: OpSummary,
        /// Values in `earlier`'s view that `later` no longer saw.
        lost: Vec<Value>,
    },
    /// M6: the read's context misses a put that is in its view.
    ContextTooSmall {
        /// The key the anomaly is on.
        key: Key,
        /// The read whose context is too small.
        read: OpSummary,
        /// The put in the read's view that its context misses.
        put: OpSummary,
    },
    /// M6: the read's context covers a put that is not in its view.
    ContextTooLarge {
        /// The key the anomaly is on.
        key: Key,
        /// The read whose context is too large.
        read: OpSummary,
        /// The put its context covers though it is not in its view.
        put: OpSummary,
    },
    /// C1: replicas of a key that hold different siblings at quiescence.
    Divergence {
        /// The key the anomaly is on.
        key: Key,
        /// What each replica of the key held, one per snapshot.
        replicas: Vec<ReplicaHolding>,
    },
    /// C1 outside the configuration's promise (an observation): the replicas of a key differ at
    /// quiescence, but no mechanism of the configuration promises to repair them: there is no
    /// anti-entropy, and `fault` overlapped the coordination of `write`, or (with no `fault`)
    /// `write` is a delete whose tombstone the replicas reap one by one while another write of
    /// the key can land on either side of a reap
    /// (docs/DESIGN.md §4, "Convergence follows the configuration").
    UnrepairedDivergence {
        /// The key the anomaly is on.
        key: Key,
        /// What each replica of the key held, one per snapshot.
        replicas: Vec<ReplicaHolding>,
        /// The write whose coordination `fault` overlapped, or the delete reaped one replica at a time.
        write: OpSummary,
        /// The fault that overlapped `write`'s coordination; `None` for the reaping case.
        #[serde(skip_serializing_if = "Option::is_none")]
        fault: Option<FaultRecord>,
    },
    /// C3: an acknowledged put in no replica's causal past at quiescence.
    LostWrite {
        /// The key the anomaly is on.
        key: Key,
        /// The acknowledged put that no replica kept.
        put: OpSummary,
    },
    /// C5: an acknowledged write kept by fewer of the key's home replicas than it has. Either
    /// `lacking` names the replicas that neither hold it nor a write that overwrote it while
    /// others keep it, or (with `lacking` empty) the key's snapshots come from fewer than `n`
    /// nodes, and `write` is the key's first acknowledged write.
    UnderReplicated {
        /// The key the anomaly is on.
        key: Key,
        /// The acknowledged write the `lacking` replicas miss (or the key's first acknowledged
        /// write, when snapshots are missing).
        write: OpSummary,
        /// The nodes the key's snapshots come from.
        replicas: Vec<NodeId>,
        /// Those of them that neither hold the write nor a write that overwrote it.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        lacking: Vec<NodeId>,
        /// The configuration's replicas per key, when the history has a configuration.
        #[serde(skip_serializing_if = "Option::is_none")]
        n: Option<u32>,
    },
    /// C6: with reaping configured, home replicas that still hold nothing but tombstones of a
    /// key when the run ended, later than the configuration promises to have reaped them.
    TombstoneNotReaped {
        /// The key the anomaly is on.
        key: Key,
        /// The replicas that hold only tombstones, and which.
        replicas: Vec<ReplicaHolding>,
        /// The deletes whose tombstones they hold.
        deletes: Vec<OpSummary>,
        /// The reap delay of the configuration (0: immediate).
        reap_after_ms: u64,
        /// The key's last activity: its last operation, or the heal of the run's last fault.
        time_ms_last_activity: u64,
        /// By when the configuration promises the tombstones reaped.
        time_ms_due: u64,
        /// When the run ended (quiescent).
        time_ms_end: u64,
    },
    /// C4: repair had not settled when the snapshots were taken.
    RepairChurn {
        /// In words: which repair was still changing replicas, and when the run stopped.
        reason: String,
    },
    /// L1 (an observation): an acknowledged LWW write discarded by an earlier-invoked write
    /// with a larger (or equal, winning the tie) timestamp.
    LwwLostWrite {
        /// The key the anomaly is on.
        key: Key,
        /// The acknowledged write that was discarded.
        lost: OpSummary,
        /// The earlier-invoked write whose larger (or tie-winning) timestamp won.
        winner: OpSummary,
        /// Why `lost` was discarded.
        cause: LwwCause,
        /// The LWW timestamp of `lost`.
        timestamp_lost: u64,
        /// The LWW timestamp of `winner`.
        timestamp_winner: u64,
    },
    /// LIN: no total order consistent with real time gives every read its view.
    NotLinearizable {
        /// The key the anomaly is on.
        key: Key,
        /// Which kind of contradiction the witness shows.
        reason: LinReason,
        /// Operations that together admit no real-time order (for `RegisterOrder`: the search's
        /// order, stuck at the last).
        witness: Vec<OpSummary>,
        /// For incomparable views: per witness read, a write in its view and not in the other's.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        saw_only: Vec<Value>,
    },
}

/// What one replica held for a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReplicaHolding {
    /// The node that holds the replica.
    pub node: NodeId,
    /// The values (and tombstones) it held for the key.
    pub values: Vec<Value>,
}

impl Anomaly {
    /// The kind of this anomaly.
    pub fn kind(&self) -> AnomalyKind {
        match self {
            Anomaly::PhantomValue { .. } => AnomalyKind::PhantomValue,
            Anomaly::FutureRead { .. } => AnomalyKind::FutureRead,
            Anomaly::DominatedSibling { .. } => AnomalyKind::DominatedSibling,
            Anomaly::StaleRead { .. } => AnomalyKind::StaleRead,
            Anomaly::FailedWriteVisible { .. } => AnomalyKind::FailedWriteVisible,
            Anomaly::NonMonotonicRead { .. } => AnomalyKind::NonMonotonicRead,
            Anomaly::ContextTooSmall { .. } => AnomalyKind::ContextTooSmall,
            Anomaly::ContextTooLarge { .. } => AnomalyKind::ContextTooLarge,
            Anomaly::Divergence { .. } => AnomalyKind::Divergence,
            Anomaly::LostWrite { .. } => AnomalyKind::LostWrite,
            Anomaly::UnderReplicated { .. } => AnomalyKind::UnderReplicated,
            Anomaly::TombstoneNotReaped { .. } => AnomalyKind::TombstoneNotReaped,
            Anomaly::RepairChurn { .. } => AnomalyKind::RepairChurn,
            Anomaly::LwwLostWrite { .. } => AnomalyKind::LwwLostWrite,
            Anomaly::NotLinearizable { .. } => AnomalyKind::NotLinearizable,
            Anomaly::UnrepairedDivergence { .. } => AnomalyKind::UnrepairedDivergence,
        }
    }

    /// The key it concerns, if it concerns one.
    pub fn key(&self) -> Option<&Key> {
        match self {
            Anomaly::PhantomValue { key, .. }
            | Anomaly::FutureRead { key, .. }
            | Anomaly::DominatedSibling { key, .. }
            | Anomaly::StaleRead { key, .. }
            | Anomaly::FailedWriteVisible { key, .. }
            | Anomaly::NonMonotonicRead { key, .. }
            | Anomaly::ContextTooSmall { key, .. }
            | Anomaly::ContextTooLarge { key, .. }
            | Anomaly::Divergence { key, .. }
            | Anomaly::UnrepairedDivergence { key, .. }
            | Anomaly::LostWrite { key, .. }
            | Anomaly::UnderReplicated { key, .. }
            | Anomaly::TombstoneNotReaped { key, .. }
            | Anomaly::LwwLostWrite { key, .. }
            | Anomaly::NotLinearizable { key, .. } => Some(key),
            Anomaly::RepairChurn { .. } => None,
        }
    }

    /// The operations that show it, in the order the explanation names them.
    pub fn operations(&self) -> Vec<OpId> {
        let observer = |seen_by: &Observer| match seen_by {
            Observer::Read { read } => vec![read.id],
            Observer::Replica { .. } => Vec::new(),
        };
        match self {
            Anomaly::PhantomValue { seen_by, .. } | Anomaly::DominatedSibling { seen_by, .. } => {
                observer(seen_by)
            }
            Anomaly::FutureRead { read, put, .. }
            | Anomaly::ContextTooSmall { read, put, .. }
            | Anomaly::ContextTooLarge { read, put, .. } => vec![read.id, put.id],
            Anomaly::StaleRead { read, missing, .. } => std::iter::once(read.id)
                .chain(missing.iter().map(|put| put.id))
                .collect(),
            Anomaly::FailedWriteVisible { put, read, .. } => vec![put.id, read.id],
            Anomaly::NonMonotonicRead { earlier, later, .. } => vec![earlier.id, later.id],
            Anomaly::Divergence { .. } | Anomaly::RepairChurn { .. } => Vec::new(),
            Anomaly::LostWrite { put, .. } => vec![put.id],
            Anomaly::UnderReplicated { write, .. } => vec![write.id],
            Anomaly::TombstoneNotReaped { deletes, .. } => {
                deletes.iter().map(|delete| delete.id).collect()
            }
            Anomaly::UnrepairedDivergence { write, .. } => vec![write.id],
            Anomaly::LwwLostWrite { lost, winner, .. } => vec![lost.id, winner.id],
            Anomaly::NotLinearizable { witness, .. } => witness.iter().map(|op| op.id).collect(),
        }
    }
}

/// The anomalies found so far, with a bound per kind so that a badly broken million-operation
/// history yields a report of readable size; what is left out is counted.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub(crate) anomalies: Vec<Anomaly>,
    pub(crate) omitted: BTreeMap<AnomalyKind, u64>,
    kept: BTreeMap<AnomalyKind, usize>,
}

/// How many anomalies of one kind a report keeps.
pub(crate) const KEPT_PER_KIND: usize = 1_000;

impl Findings {
    pub(crate) fn push(&mut self, anomaly: Anomaly) {
        let kind = anomaly.kind();
        let kept = self.kept.entry(kind).or_insert(0);
        if *kept < KEPT_PER_KIND {
            *kept += 1;
            self.anomalies.push(anomaly);
        } else {
            *self.omitted.entry(kind).or_insert(0) += 1;
        }
    }

    /// How many anomalies of `kind` were found, kept or not.
    pub(crate) fn count(&self, kind: AnomalyKind) -> u64 {
        self.kept.get(&kind).copied().unwrap_or(0) as u64
            + self.omitted.get(&kind).copied().unwrap_or(0)
    }
}
