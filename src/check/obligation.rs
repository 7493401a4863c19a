//! Which keys a configuration promises to converge (docs/DESIGN.md §4, "Convergence follows the
//! configuration"): C1 is forbidden only where some mechanism of the configuration promises to
//! bring the replicas together, and so are C5's per-replica part (a replica lacking a write
//! another keeps) and C6 (reaping waits for every home replica to hold the tombstone).
//!
//! - With anti-entropy, or without a configuration (an external history: nothing says which
//!   mechanisms ran), every key must converge after heal and settle.
//! - Without anti-entropy, a replica is brought up to date only by a write's own coordination
//!   (its messages to the home nodes and, with hinted handoff, hints for silent ones) and by read
//!   repair, which reaches only what a read happened to see. So a key must converge only if none
//!   of its writes was *exposed*: no crash, node partition (both ways or one way) or message loss
//!   overlapped the time the write was being coordinated, and no fault that destroys data
//!   (a volatile crash, a lost disk) came after the write began.
//!
//! A write is being coordinated from its invocation until the invocation plus twice the
//! network's longest latency (the request's way to its coordinator, and the write's way out)
//! plus the time its coordinator may wait before sending: the handoff delay with hinted handoff
//! (when a fallback gets a hint for a silent home), the request timeout when writes first read
//! timestamps (LWW with quorum timestamps), else nothing. Pauses that overlap that time extend it
//! by their length, since a paused node does everything late (with hinted handoff, only a pause
//! its node crashes in). A history whose latency is unknown is coordinated to the end.
//!
//! Without anti-entropy, reaping exposes a key too: each replica forgets a tombstone on its own,
//! and only anti-entropy (or a read that happens by) tells the others. A write that reaches one
//! replica before its reap and another after leaves them different for good (the first keeps the
//! tombstone beside the write; the second, having forgotten it, only the write; under immediate
//! reaping a late copy of what the tombstone overwrote comes back on the second alone; under LWW
//! whether a write beats the tombstone depends on timestamps that clock skew can order against
//! real time, so which late copies a reaped key refuses cannot be told from the clients' view). So a key with a delete and a write that
//! could arrive around the reap need not converge: with reaping after a delay under siblings, a
//! write concurrent with the delete (neither in the other's past: one that the delete overwrote
//! is dropped on both sides, one that overwrote the delete replaces it on both); with immediate
//! reaping or under LWW, any other write.
//!
//! Owns: that rule ([`Obligation`]) and the explanation of an exposure ([`Exposure`]). Must
//! never: read the snapshots (that is `convergence`), or call the simulator (it reads only the
//! latency the history's scenario names, as plain data).

use serde::Deserialize;

use crate::config::{Reaping, Resolution};
use crate::history::{FaultRecord, FaultType, History, OpKind};
use crate::sim::Latency;

use super::bits;
use super::index::KeyIndex;

/// What the configuration promises about the convergence of a key.
#[derive(Debug)]
pub(crate) enum Obligation {
    /// Every key converges (anti-entropy, or nothing known about the mechanisms).
    EveryKey,
    /// Keys converge unless one of their writes was exposed to a fault.
    UnexposedKeys {
        /// How long after its invocation a write may still be coordinated; `None`: unknown.
        reach_ms: Option<u64>,
        /// With hinted handoff, the nodes beyond the n homes (`nodes - n`), which a
        /// coordinator hints to for homes that stay silent; 0 without hinted handoff. With a
        /// fallback for every silent home, one crash cannot keep a write from a home, and a
        /// pause delays a write's coordination only if it ends in a crash of the paused node
        /// (which drops what the pause held back).
        fallbacks: u32,
        /// Which writes beside a delete expose its key, when the configuration reaps tombstones.
        reaping: Option<ReapExposes>,
    },
}

/// Which other writes of a key with a delete expose it to the configuration's reaping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReapExposes {
    /// Reaping after a delay under siblings: a reaped key keeps the tombstone's causal context,
    /// so only a write concurrent with the delete can land differently on either side of a reap.
    ConcurrentWrites,
    /// Immediate reaping (nothing of the tombstone is kept), or LWW (what the tombstone beats
    /// depends on timestamps, not on what the clients saw): any other write can.
    AnyWrite,
}

/// Why a key need not converge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cause {
    /// A fault (its index in the history's faults) overlapped the write's coordination.
    Fault(usize),
    /// The write is a delete whose tombstone replicas reap one by one, with another write of
    /// the key that can land on either side of a reap.
    Reaping,
}

/// Why a key need not converge: one of its writes and what it was exposed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Exposure {
    /// The write's index in the history's operations.
    pub(crate) write: usize,
    pub(crate) cause: Cause,
}

impl Obligation {
    pub(crate) fn of(history: &History) -> Obligation {
        match &history.config {
            Some(config) if config.anti_entropy_period_ms.is_none() => {
                // The request reaches its coordinator within one latency. The coordinator sends
                // the write at once (with hinted handoff, hints follow after the handoff delay),
                // unless it first reads timestamps (ABD), which may take until it forgets the
                // request at the request timeout. What it sends arrives within one more latency.
                let sending_ms = match (config.reads_before_writing(), config.hinted_handoff) {
                    (true, _) => config.request_timeout_ms,
                    (false, true) => config.handoff_delay_ms(),
                    (false, false) => 0,
                };
                let reach_ms = longest_latency_ms(history)
                    .map(|latency| sending_ms.saturating_add(latency.saturating_mul(2)));
                let reaping = match (config.reaping, config.resolution) {
                    (Reaping::Keep, _) => None,
                    (Reaping::AfterMs(_), Resolution::Siblings) => {
                        Some(ReapExposes::ConcurrentWrites)
                    }
                    (Reaping::Immediate, _) | (Reaping::AfterMs(_), Resolution::Lww) => {
                        Some(ReapExposes::AnyWrite)
                    }
                };
                Obligation::UnexposedKeys {
                    reach_ms,
                    fallbacks: if config.hinted_handoff {
                        config.nodes.saturating_sub(config.n)
                    } else {
                        0
                    },
                    reaping,
                }
            }
            _ => Obligation::EveryKey,
        }
    }

    /// The first exposed write among `writes` (history indices of a key's puts and deletes), if
    /// the key need not converge.
    pub(crate) fn exposure(&self, history: &History, writes: &[usize]) -> Option<Exposure> {
        let &Obligation::UnexposedKeys {
            reach_ms,
            fallbacks,
            ..
        } = self
        else {
            return None;
        };
        let hinted_handoff = fallbacks > 0;
        writes.iter().find_map(|&write| {
            let start = history.operations[write].time_ms_invoke;
            let end = reach_ms.map(|reach| start.saturating_add(reach));
            let end = extended_by_pauses(&history.faults, hinted_handoff, start, end);
            // A crash that keeps the write from a home is what hinted handoff repairs, as long
            // as a fallback is left for every silent home (a paused home is silent too). A
            // second crash (of the coordinator before it hinted, or of the fallback before the
            // hint arrived) can defeat it. Any other exposing fault is enough alone.
            let alone = |fault: &FaultRecord| {
                !(hinted_handoff && fault.kind == FaultType::Crash && !fault.loses_data)
            };
            let mut exposing = history
                .faults
                .iter()
                .enumerate()
                .filter(|(_, fault)| exposes(fault, start, end));
            let first_alone = exposing.clone().find(|(_, fault)| alone(fault));
            let silenced = history
                .faults
                .iter()
                .filter(|fault| {
                    matches!(fault.kind, FaultType::Crash | FaultType::Pause)
                        && overlaps(fault, start, end)
                })
                .count();
            let crashes_unhinted = silenced > fallbacks as usize;
            first_alone
                .or_else(|| {
                    let first = exposing.next();
                    exposing.next().or(first.filter(|_| crashes_unhinted))
                })
                .map(|(fault, _)| Exposure {
                    write,
                    cause: Cause::Fault(fault),
                })
        })
    }

    /// A delete of the key that the configuration's reaping exposes (see the module docs), if
    /// there is one: without anti-entropy, replicas that reap its tombstone at different moments
    /// relative to another write of the key need not come together again. The deletes among
    /// `first` (positions in `key.writes`) are named first.
    pub(crate) fn reaping_exposure(
        &self,
        history: &History,
        key: &KeyIndex<'_>,
        first: &[usize],
    ) -> Option<Exposure> {
        let &Obligation::UnexposedKeys {
            reaping: Some(exposes),
            ..
        } = self
        else {
            return None;
        };
        let writes = key.writes.len();
        first
            .iter()
            .copied()
            .chain(0..writes)
            .filter(|&delete| history.operations[key.writes[delete]].kind() == OpKind::Delete)
            .find(|&delete| match exposes {
                ReapExposes::AnyWrite => writes > 1,
                ReapExposes::ConcurrentWrites => (0..writes).any(|other| {
                    other != delete
                        && !bits::contains(key.past.row(delete), other)
                        && !bits::contains(key.past.row(other), delete)
                }),
            })
            .map(|delete| Exposure {
                write: key.writes[delete],
                cause: Cause::Reaping,
            })
    }

    /// Whether the configuration promises that the key converges: none of its writes was
    /// exposed to a fault or to reaping.
    pub(crate) fn must_converge(&self, history: &History, key: &KeyIndex<'_>) -> bool {
        self.exposure(history, &key.writes).is_none()
            && self.reaping_exposure(history, key, &[]).is_none()
    }
}

/// The longest one-way latency of the history's simulated network, if the history says.
pub(crate) fn longest_latency_ms(history: &History) -> Option<u64> {
    let scenario = history.scenario.as_ref()?;
    let latency = match scenario.get("network") {
        // The scenario's default network.
        None => crate::sim::Network::default().latency,
        Some(network) => Latency::deserialize(network.get("latency")?).ok()?,
    };
    Some(latency.longest_ms())
}

/// `end` pushed back by the length of every pause that overlaps `[start, end]` (`None`: the end
/// of the run), until no further pause overlaps. With hinted handoff only pauses that end in a
/// crash of their node count (see [`Obligation::UnexposedKeys`]).
fn extended_by_pauses(
    faults: &[FaultRecord],
    hinted_handoff: bool,
    start: u64,
    end: Option<u64>,
) -> Option<u64> {
    let pauses: Vec<&FaultRecord> = faults
        .iter()
        .filter(|fault| fault.kind == FaultType::Pause)
        .filter(|pause| !hinted_handoff || crashes_during(faults, pause))
        .collect();
    let mut counted = vec![false; pauses.len()];
    let mut end = end;
    loop {
        let mut grew = false;
        for (pause, counted) in pauses.iter().zip(&mut counted) {
            if *counted || !overlaps(pause, start, end) {
                continue;
            }
            *counted = true;
            grew = true;
            end = match (end, pause.time_ms_end) {
                (Some(end), Some(heal)) => {
                    Some(end.saturating_add(heal.saturating_sub(pause.time_ms_start)))
                }
                _ => None,
            };
        }
        if !grew || end.is_none() {
            return end;
        }
    }
}

/// Whether a node of `pause` crashes while the pause holds it.
fn crashes_during(faults: &[FaultRecord], pause: &FaultRecord) -> bool {
    faults.iter().any(|crash| {
        crash.kind == FaultType::Crash
            && crash.nodes.iter().any(|node| pause.nodes.contains(node))
            && pause.time_ms_start <= crash.time_ms_start
            && pause
                .time_ms_end
                .map_or(true, |heal| crash.time_ms_start <= heal)
    })
}

/// Whether the fault's time `[start, heal]` meets `[start, end]`.
fn overlaps(fault: &FaultRecord, start: u64, end: Option<u64>) -> bool {
    end.map_or(true, |end| fault.time_ms_start <= end)
        && fault.time_ms_end.map_or(true, |heal| start <= heal)
}

/// Whether `fault` can leave a home replica without a write coordinated during `[start, end]`.
fn exposes(fault: &FaultRecord, start: u64, end: Option<u64>) -> bool {
    if fault.loses_data {
        // What a node lost is gone whenever it was written before.
        return fault.time_ms_end.map_or(true, |heal| start <= heal);
    }
    let drops_messages = match fault.kind {
        // A lost disk is recorded with `loses_data`; a record without it still stopped a node.
        FaultType::Crash | FaultType::DiskLoss | FaultType::OneWay | FaultType::Loss => true,
        // A partition of clients only (no node inside) cuts no link between nodes.
        FaultType::Partition => !fault.nodes.is_empty(),
        FaultType::ClientPartition
        | FaultType::Pause
        | FaultType::ClockSkew
        | FaultType::Duplicate
        | FaultType::Delay
        | FaultType::Reorder => false,
    };
    drops_messages && overlaps(fault, start, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causality::NodeId;

    fn fault(kind: FaultType, start: u64, heal: Option<u64>) -> FaultRecord {
        FaultRecord {
            kind,
            time_ms_start: start,
            time_ms_end: heal,
            nodes: vec![NodeId(1)],
            loses_data: false,
            description: String::new(),
        }
    }

    #[test]
    fn a_crash_exposes_only_the_writes_it_overlaps() {
        let faults = [fault(FaultType::Crash, 100, Some(200))];
        assert!(exposes(&faults[0], 50, Some(120)));
        assert!(exposes(&faults[0], 150, Some(160)));
        assert!(exposes(&faults[0], 190, None));
        assert!(!exposes(&faults[0], 10, Some(99)));
        assert!(!exposes(&faults[0], 201, Some(300)));
    }

    #[test]
    fn a_pause_extends_the_window_by_its_length_and_chains() {
        let faults = [
            fault(FaultType::Pause, 10, Some(60)),
            fault(FaultType::Pause, 80, Some(100)),
            fault(FaultType::Pause, 500, Some(900)),
        ];
        // [0, 40] meets the first pause (50 ms): [0, 90], which meets the second (20 ms).
        assert_eq!(extended_by_pauses(&faults, false, 0, Some(40)), Some(110));
        assert_eq!(
            extended_by_pauses(&faults, false, 200, Some(300)),
            Some(300)
        );
        let open = [fault(FaultType::Pause, 10, None)];
        assert_eq!(extended_by_pauses(&open, false, 0, Some(40)), None);
    }

    #[test]
    fn data_loss_exposes_every_earlier_write_and_harmless_faults_none() {
        let mut volatile = fault(FaultType::Crash, 1_000, Some(1_100));
        volatile.loses_data = true;
        assert!(exposes(&volatile, 0, Some(10)));
        assert!(!exposes(&volatile, 1_200, Some(1_300)));
        for kind in [FaultType::Pause, FaultType::ClockSkew, FaultType::Duplicate] {
            assert!(!exposes(&fault(kind, 0, None), 0, None), "{kind:?}");
        }
        let mut clients_only = fault(FaultType::Partition, 0, None);
        clients_only.nodes.clear();
        assert!(!exposes(&clients_only, 0, None));
    }
}
