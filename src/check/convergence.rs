//! The convergence properties C1–C5 of docs/DESIGN.md §4, judged on the final replica snapshots:
//! C1 (the replicas agree), C2 (each holds real writes, none overwritten by another), C3 (no
//! acknowledged write is lost by all of them), C4 (repair had settled) and C5 (replication: each
//! of a key's n home replicas keeps every acknowledged write).
//!
//! Snapshots are the store's own word about what it holds at the end, so this module reads
//! them; it never reads anything else of the store (dots and contexts are left to M6), and it
//! never decides which keys the configuration promises to converge (that is `obligation`, which
//! the caller asks).

use std::collections::BTreeMap;

use crate::causality::NodeId;
use crate::config::{Reaping, Resolution};
use crate::history::{FaultRecord, History, Key, OpKind, ReplicaSnapshot, Value};

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

/// The key's writes (positions in `key.writes`) that some replica holds or overwrote and another
/// neither holds nor overwrote.
fn missed_writes(
    key: &KeyIndex<'_>,
    holdings: &[(crate::causality::NodeId, Vec<Value>)],
) -> Vec<usize> {
    let views: Vec<Vec<u64>> = holdings
        .iter()
        .map(|(_, values)| {
            let mut view = vec![0; key.past.words()];
            for write in values.iter().filter_map(|value| key.write_of(value)) {
                bits::union_into(&mut view, key.past.row(write));
                bits::insert(&mut view, write);
            }
            view
        })
        .collect();
    (0..key.writes.len())
        .filter(|&write| {
            views.iter().any(|view| bits::contains(view, write))
                && views.iter().any(|view| !bits::contains(view, write))
        })
        .collect()
}

/// C1 (divergence) and C2 (each replica's siblings are an antichain of real writes).
///
/// `exposure` says, when asked, why the configuration does not promise this key's convergence
/// (a write and the fault that could cut it short, or none when the write is a delete that
/// reaping exposes; see `obligation`): divergence is then the
/// observation `UnrepairedDivergence`, not C1's `Divergence`. It is handed the key's writes that
/// some replica misses (neither holds nor overwrote), to name one of those first.
pub(crate) fn check_replicas(
    key: &KeyIndex<'_>,
    snapshots: &[&ReplicaSnapshot],
    resolution: Resolution,
    exposure: impl FnOnce(&[usize]) -> Option<(OpSummary, Option<FaultRecord>)>,
    out: &mut Findings,
) {
    let holdings: Vec<(crate::causality::NodeId, Vec<Value>)> = snapshots
        .iter()
        .map(|snapshot| (snapshot.node, holding(snapshot)))
        .collect();
    if holdings.windows(2).any(|pair| pair[0].1 != pair[1].1) {
        let replicas = holdings
            .iter()
            .map(|(node, values)| ReplicaHolding {
                node: *node,
                values: values.clone(),
            })
            .collect();
        let missed = missed_writes(key, &holdings);
        let key = key.key.clone();
        out.push(match exposure(&missed) {
            None => Anomaly::Divergence { key, replicas },
            Some((write, fault)) => Anomaly::UnrepairedDivergence {
                key,
                replicas,
                write,
                fault,
            },
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

/// The writes of a key that the replicas keep: held by some snapshot (values or tombstones), or in
/// the causal past of something held. This is the one lost-write rule: C3 and the report's put
/// counts ([`PutCounts`], which explore folds) both read it.
///
/// A store that reaps tombstones may have forgotten any delete, with what it overwrote: those
/// count as kept. When reaping waits until every primary holds the tombstone, a delete that
/// overwrote a value a replica still holds does not count (that value was resurrected, and the
/// delete is lost); immediate reaping allows resurrection by design.
pub(crate) fn kept_writes(
    history: &History,
    key: &KeyIndex<'_>,
    snapshots: &[&ReplicaSnapshot],
    reaping: Reaping,
) -> Vec<u64> {
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
    kept
}

/// C3: every acknowledged write is among the [`kept_writes`] (the union over replicas, so that a
/// divergent key reports its divergence rather than a lost write too). A key with no snapshot
/// holds nothing.
pub(crate) fn check_lost_writes(
    history: &History,
    key: &KeyIndex<'_>,
    kept: &[u64],
    out: &mut Findings,
) {
    for (write, &op) in key.writes.iter().enumerate() {
        let operation = &history.operations[op];
        if operation.is_ok() && !bits::contains(kept, write) {
            out.push(Anomaly::LostWrite {
                key: key.key.clone(),
                put: OpSummary::of(operation),
            });
        }
    }
}

/// C5 (replication): every acknowledged write of the key is kept — held, or overwritten by a
/// write held, by the rule of [`kept_writes`] applied to each snapshot alone — by each of the
/// key's n home replicas.
///
/// Two findings, both `UnderReplicated`:
/// - with `n` known (the history's configuration), a key with acknowledged writes whose
///   snapshots come from fewer than n nodes keeps nothing on enough replicas (any resolution);
/// - in a sibling history, an acknowledged write that some snapshot keeps and another does not.
///   A write no snapshot keeps is C3's lost write (required in C3's circumstances), so it is not
///   reported again; and a write some replica keeps and another lacks means the replicas differ,
///   so this is required exactly where C1 is: `must_converge` (the obligation, asked only when
///   such a write is found) says whether the key must converge. Under LWW a write discarded by a
///   later one is discarded on every replica that converged, so a write some replica lacks is
///   C1's divergence alone: C5 counts the replicas only.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_replication(
    history: &History,
    key: &KeyIndex<'_>,
    snapshots: &[&ReplicaSnapshot],
    n: Option<u32>,
    resolution: Resolution,
    reaping: Reaping,
    must_converge: impl FnOnce() -> bool,
    out: &mut Findings,
) {
    let acknowledged: Vec<usize> = (0..key.writes.len())
        .filter(|&write| history.operations[key.writes[write]].is_ok())
        .collect();
    // The key's first acknowledged write, for a key with too few replicas.
    let Some(&first) = acknowledged
        .iter()
        .min_by_key(|&&write| history.operations[key.writes[write]].time_ms_invoke)
    else {
        return;
    };
    let mut replicas: Vec<NodeId> = snapshots.iter().map(|snapshot| snapshot.node).collect();
    replicas.dedup();
    let anomaly = |write: usize, lacking: Vec<NodeId>| Anomaly::UnderReplicated {
        key: key.key.clone(),
        write: OpSummary::of(&history.operations[key.writes[write]]),
        replicas: replicas.clone(),
        lacking,
        n,
    };
    let mut short: Vec<Anomaly> = Vec::new();
    if resolution == Resolution::Siblings {
        let kept: Vec<Vec<u64>> = snapshots
            .iter()
            .map(|snapshot| kept_writes(history, key, std::slice::from_ref(snapshot), reaping))
            .collect();
        for &write in &acknowledged {
            let lacking: Vec<NodeId> = snapshots
                .iter()
                .zip(&kept)
                .filter(|(_, kept)| !bits::contains(kept, write))
                .map(|(snapshot, _)| snapshot.node)
                .collect();
            if !lacking.is_empty() && lacking.len() < snapshots.len() {
                short.push(anomaly(write, lacking));
            }
        }
        if !short.is_empty() && !must_converge() {
            short.clear();
        }
    }
    let too_few = n.is_some_and(|n| replicas.len() < n as usize);
    if too_few && short.is_empty() {
        short.push(anomaly(first, Vec::new()));
    }
    for anomaly in short {
        out.push(anomaly);
    }
}

/// Acknowledged puts (not deletes) and how many of them the replicas no longer keep, by the rule
/// of `kept_writes`. Counted for every resolution: under LWW a put that a concurrent or later
/// blind put replaced is lost by design, and explore reports how many.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PutCounts {
    /// Acknowledged puts in the history.
    pub acknowledged: u64,
    /// 0 when the history has no replica snapshots: nothing shows a loss.
    pub lost: u64,
}

impl PutCounts {
    /// The lost acknowledged puts of one key, given its kept writes.
    pub(crate) fn lost_of_key(history: &History, key: &KeyIndex<'_>, kept: &[u64]) -> u64 {
        key.writes
            .iter()
            .enumerate()
            .filter(|&(write, &op)| {
                let operation = &history.operations[op];
                operation.kind() == OpKind::Put && operation.is_ok() && !bits::contains(kept, write)
            })
            .count() as u64
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{check, CheckOptions};
    use crate::config::{Config, Reaping};
    use crate::history::{Action, History, Key, Outcome, Value};

    /// `check(writes, replicas, expected lost)`: writes are (value, context, acknowledged) on one
    /// key; replicas are the values the snapshots hold.
    fn check_lost(
        writes: &[(&str, &[&str], bool)],
        replicas: Option<&[&str]>,
        expected: (u64, u64),
    ) {
        use crate::causality::NodeId;
        use crate::history::{ClientId, OpId, Operation, ReplicaSnapshot, Write};
        // Each write is its own client's, after a get that read its context (the checker
        // requires a context to have been read).
        let mut operations = Vec::new();
        for (position, (value, context, ok)) in writes.iter().enumerate() {
            let at = 100 * position as u64;
            let values: Vec<Value> = context.iter().map(|v| Value((*v).into())).collect();
            if !values.is_empty() {
                operations.push(Operation {
                    id: OpId(operations.len() as u64),
                    client: ClientId(position as u32),
                    key: Key("k".into()),
                    action: Action::Get {
                        values: values
                            .iter()
                            .map(|value| crate::history::ReadValue {
                                value: value.clone(),
                                tombstone: false,
                            })
                            .collect(),
                        context: None,
                    },
                    time_ms_invoke: at,
                    time_ms_complete: Some(at + 2),
                    outcome: Outcome::Ok,
                    meta: None,
                });
            }
            operations.push(Operation {
                id: OpId(operations.len() as u64),
                client: ClientId(position as u32),
                key: Key("k".into()),
                action: Action::Put(Write {
                    value: Value((*value).into()),
                    context: values,
                }),
                time_ms_invoke: at + 5,
                time_ms_complete: Some(at + 9),
                outcome: if *ok { Outcome::Ok } else { Outcome::Fail },
                meta: None,
            });
        }
        let mut history = History::new(operations);
        history.replicas = replicas.map(|values| {
            vec![ReplicaSnapshot {
                key: Key("k".into()),
                node: NodeId(0),
                values: values.iter().map(|v| Value((*v).into())).collect(),
                tombstones: Vec::new(),
                context_vv: None,
            }]
        });
        let counts = check(&history, &CheckOptions::default()).unwrap().puts;
        assert_eq!(
            (counts.acknowledged, counts.lost),
            expected,
            "{writes:?} {replicas:?}"
        );
    }

    #[test]
    fn lost_puts_are_those_outside_the_final_view() {
        // Siblings keep both blind writes: nothing lost.
        check_lost(
            &[("a", &[], true), ("b", &[], true)],
            Some(&["a", "b"]),
            (2, 0),
        );
        // LWW kept b: a blind a is lost, but an a that b overwrote (b read it) is not.
        check_lost(&[("a", &[], true), ("b", &[], true)], Some(&["b"]), (2, 1));
        check_lost(
            &[("a", &[], true), ("b", &["a"], true)],
            Some(&["b"]),
            (2, 0),
        );
        // Through a chain of contexts, and through a failed write that took effect.
        check_lost(
            &[("a", &[], true), ("b", &["a"], false), ("c", &["b"], true)],
            Some(&["c"]),
            (2, 0),
        );
        // Failed writes are not acknowledged; without snapshots nothing can be shown lost.
        check_lost(&[("a", &[], false), ("b", &[], true)], Some(&["b"]), (1, 0));
        check_lost(&[("a", &[], true)], None, (1, 0));
        check_lost(&[("a", &[], true)], Some(&[]), (1, 1));
    }

    #[test]
    fn a_put_that_a_reaped_delete_overwrote_is_not_lost() {
        use crate::causality::NodeId;
        use crate::history::{ClientId, OpId, Operation, ReplicaSnapshot, Write};
        let write = |id: u64, value: &str, context: &[&str]| {
            let write = Write {
                value: Value(value.into()),
                context: context.iter().map(|v| Value((*v).into())).collect(),
            };
            (id, write)
        };
        let operation = |(id, write): (u64, Write), delete: bool| Operation {
            id: OpId(id),
            client: ClientId(0),
            key: Key("k".into()),
            action: if delete {
                Action::Delete(write)
            } else {
                Action::Put(write)
            },
            time_ms_invoke: 10 * id,
            time_ms_complete: Some(10 * id + 5),
            outcome: Outcome::Ok,
            meta: None,
        };
        let read_a = Operation {
            id: OpId(3),
            client: ClientId(0),
            key: Key("k".into()),
            action: Action::Get {
                values: vec![crate::history::ReadValue {
                    value: Value("a".into()),
                    tombstone: false,
                }],
                context: None,
            },
            time_ms_invoke: 6,
            time_ms_complete: Some(8),
            outcome: Outcome::Ok,
            meta: None,
        };
        let mut history = History::new(vec![
            operation(write(0, "a", &[]), false),
            read_a,
            operation(write(1, "gone", &["a"]), true),
            operation(write(2, "b", &[]), false),
        ]);
        // The delete's tombstone was reaped: the replicas hold b alone.
        history.replicas = Some(vec![ReplicaSnapshot {
            key: Key("k".into()),
            node: NodeId(0),
            values: vec![Value("b".into())],
            tombstones: Vec::new(),
            context_vv: None,
        }]);
        for (reaping, lost) in [
            (Reaping::Keep, 1),
            (Reaping::Immediate, 0),
            (Reaping::AfterMs(100), 0),
        ] {
            history.config = Some(Config {
                reaping,
                ..Config::preset("dynamo").unwrap()
            });
            let counts = check(&history, &CheckOptions::default()).unwrap().puts;
            assert_eq!((counts.acknowledged, counts.lost), (2, lost), "{reaping:?}");
        }
    }
}
