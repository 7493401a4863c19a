//! The convergence properties C1–C4 of DESIGN.md §4, judged on the final replica snapshots.
//!
//! Snapshots are the store's own word about what it holds at the end, so this module reads
//! them; it never reads anything else of the store (dots and contexts are left to M6).

use std::collections::BTreeMap;

use crate::config::{Reaping, Resolution};
use crate::history::{History, Key, OpKind, ReplicaSnapshot, Value};

use super::anomaly::{Anomaly, Findings, Observer, OpSummary, ReplicaHolding};
use super::bits;
use super::index::KeyIndex;

/// The snapshots of every key, in key then node order.
pub(crate) fn snapshots_by_key(
    replicas: &[ReplicaSnapshot],
) -> BTreeMap<&Key, Vec<&ReplicaSnapshot>> {
    let mut by_key: BTreeMap<&Key, Vec<&ReplicaSnapshot>> = BTreeMap::new();
    for snapshot in replicas {
        by_key.entry(&snapshot.key).or_default().push(snapshot);
    }
    for snapshots in by_key.values_mut() {
        snapshots.sort_by_key(|snapshot| snapshot.node);
    }
    by_key
}

/// Everything a replica holds for the key: values and tombstones, sorted.
fn holding(snapshot: &ReplicaSnapshot) -> Vec<Value> {
    let mut values: Vec<Value> = snapshot
        .values
        .iter()
        .chain(&snapshot.tombstones)
        .cloned()
        .collect();
    values.sort();
    values.dedup();
    values
}

/// C1 (divergence) and C2 (each replica's siblings are an antichain of real writes).
pub(crate) fn check_replicas(
    key: &KeyIndex<'_>,
    snapshots: &[&ReplicaSnapshot],
    resolution: Resolution,
    out: &mut Findings,
) {
    let holdings: Vec<(crate::causality::NodeId, Vec<Value>)> = snapshots
        .iter()
        .map(|snapshot| (snapshot.node, holding(snapshot)))
        .collect();
    if holdings.windows(2).any(|pair| pair[0].1 != pair[1].1) {
        out.push(Anomaly::Divergence {
            key: key.key.clone(),
            replicas: holdings
                .iter()
                .map(|(node, values)| ReplicaHolding {
                    node: *node,
                    values: values.clone(),
                })
                .collect(),
        });
    }
    let mut checked: Vec<&Vec<Value>> = Vec::new();
    for (node, values) in &holdings {
        // Replicas that agree would repeat the same C2 anomaly; report each holding once.
        if checked.contains(&values) {
            continue;
        }
        checked.push(values);
        let seen_by = || Observer::Replica { node: *node };
        let mut overwritten = vec![0; key.past.words()];
        for value in values {
            match key.write_of(value) {
                Some(write) => bits::union_into(&mut overwritten, key.past.row(write)),
                None => out.push(Anomaly::PhantomValue {
                    key: key.key.clone(),
                    seen_by: seen_by(),
                    value: value.clone(),
                }),
            }
        }
        let mut dominated_here = false;
        for value in values {
            let Some(write) = key.write_of(value) else {
                continue;
            };
            if !bits::contains(&overwritten, write) {
                continue;
            }
            dominated_here = true;
            let by = values.iter().find(|other| {
                key.write_of(other)
                    .is_some_and(|other| bits::contains(key.past.row(other), write))
            });
            if let Some(by) = by {
                out.push(Anomaly::DominatedSibling {
                    key: key.key.clone(),
                    seen_by: seen_by(),
                    dominated: value.clone(),
                    by: by.clone(),
                    lww_single_value: false,
                });
            }
        }
        // Under LWW a replica keeps one value: a second one is a sibling it should not have.
        if let (Resolution::Lww, false, [kept, extra, ..]) =
            (resolution, dominated_here, values.as_slice())
        {
            out.push(Anomaly::DominatedSibling {
                key: key.key.clone(),
                seen_by: seen_by(),
                dominated: extra.clone(),
                by: kept.clone(),
                lww_single_value: true,
            });
        }
    }
}

/// C3: every acknowledged write is in the causal past of what the replicas hold (their union,
/// so that a divergent key reports its divergence rather than a lost write too). A key with no
/// snapshot holds nothing.
///
/// A store that reaps tombstones may have forgotten any delete, with what it overwrote: those
/// count as kept. When reaping waits until every primary holds the tombstone, a delete that
/// overwrote a value a replica still holds does not count (that value was resurrected, and the
/// delete is lost); immediate reaping allows resurrection by design.
pub(crate) fn check_lost_writes(
    history: &History,
    key: &KeyIndex<'_>,
    snapshots: &[&ReplicaSnapshot],
    reaping: Reaping,
    out: &mut Findings,
) {
    let held = || {
        snapshots
            .iter()
            .flat_map(|snapshot| snapshot.values.iter().chain(&snapshot.tombstones))
    };
    let mut kept = key.down_closure(held());
    if reaping != Reaping::Keep {
        let held_writes: Vec<usize> = held().filter_map(|value| key.write_of(value)).collect();
        for (write, &op) in key.writes.iter().enumerate() {
            if history.operations[op].kind() != OpKind::Delete {
                continue;
            }
            let past = key.past.row(write);
            let resurrected = matches!(reaping, Reaping::AfterMs(_))
                && held_writes.iter().any(|&held| bits::contains(past, held));
            if !resurrected {
                bits::union_into(&mut kept, past);
                bits::insert(&mut kept, write);
            }
        }
    }
    for (write, &op) in key.writes.iter().enumerate() {
        let operation = &history.operations[op];
        if operation.is_ok() && !bits::contains(&kept, write) {
            out.push(Anomaly::LostWrite {
                key: key.key.clone(),
                put: OpSummary::of(operation),
            });
        }
    }
}
