use std::collections::BTreeSet;
use std::sync::Arc;

use crate::causality::{NodeId, VersionVector};
use crate::config::{Config, Durability};
use crate::history::Key;
use crate::store::dynamo::{Dynamo, DynamoMessage, DynamoNode, DynamoProbe, DynamoTimer, Out};
use crate::store::{stable_hash, Effects, Object, Reply, Request, RequestAction, RequestId, Store};

use super::put;

/// `nodes` nodes, n = min(nodes, 3), hinted handoff on, anti-entropy off.
pub(super) fn cluster(nodes: u32, r: u32, w: u32, sloppy_quorum: bool) -> Dynamo {
    Dynamo::new(Config {
        nodes,
        n: nodes.min(3),
        r,
        w,
        hinted_handoff: true,
        sloppy_quorum,
        anti_entropy_period_ms: None,
        ..Config::default()
    })
    .unwrap()
}

pub(super) fn key(name: &str) -> Key {
    Key(name.into())
}

pub(super) fn get(name: &str) -> Request<VersionVector> {
    Request {
        id: RequestId(1),
        key: key(name),
        action: RequestAction::Get,
    }
}

pub(super) fn put_to(name: &str, value: &str, context: VersionVector) -> Request<VersionVector> {
    Request {
        id: RequestId(1),
        key: key(name),
        action: put(value, context),
    }
}

pub(super) fn request(
    store: &Dynamo,
    node: &mut DynamoNode,
    request: Request<VersionVector>,
) -> Out {
    let mut out = Effects::new(node.id, 10);
    store.on_request(node, &mut out, request);
    out
}

pub(super) fn message(
    store: &Dynamo,
    node: &mut DynamoNode,
    from: NodeId,
    message: DynamoMessage,
) -> Out {
    let mut out = Effects::new(node.id, 10);
    store.on_message(node, &mut out, from, message);
    out
}

pub(super) fn timer(store: &Dynamo, node: &mut DynamoNode, timer: DynamoTimer) -> Out {
    let mut out = Effects::new(node.id, 10);
    store.on_timer(node, &mut out, timer);
    out
}

/// The coordinator's number for the request a handler started (named by its timeout).
pub(super) fn local_request(out: &Out) -> u64 {
    out.timers
        .iter()
        .find_map(|(_, timer)| match timer {
            DynamoTimer::Timeout(local) => Some(*local),
            _ => None,
        })
        .expect("every coordinated request sets a timeout")
}

pub(super) fn hit(out: &Out, probe: DynamoProbe) -> bool {
    out.probed().contains(&(probe as usize))
}

pub(super) fn sets(out: &Out, wanted: DynamoTimer) -> bool {
    out.timers
        .iter()
        .any(|(_, timer)| std::mem::discriminant(timer) == std::mem::discriminant(&wanted))
}

/// The object a coordinator sent to replicate a put.
pub(super) fn replicated(out: &Out) -> Arc<Object> {
    out.sent()
        .iter()
        .find_map(|(_, message)| match message {
            DynamoMessage::Store { object, .. } => Some(Arc::clone(object)),
            _ => None,
        })
        .expect("the coordinator replicates the put")
}

#[test]
fn the_store_reports_every_probe_it_has() {
    let store = cluster(1, 1, 1, false);
    assert_eq!(
        store.probes().len(),
        DynamoProbe::RestartAfterDiskLoss as usize + 1
    );
    assert_eq!(store.probes(), Dynamo::probe_list());
}

#[test]
fn a_node_is_quiet_only_with_no_request_hint_or_tombstone_due() {
    let store = cluster(4, 2, 2, false);
    let (home, fallbacks) = store.placement(&key("k"));
    assert!(store.is_quiet(&store.boot(home[0])));

    // Each kind of work, alone, keeps a node busy.
    let mut coordinating = store.boot(home[0]);
    let out = request(
        &store,
        &mut coordinating,
        put_to("k", "a", VersionVector::new()),
    );
    assert!(!coordinating.pending.is_empty() && coordinating.stored.hints.is_empty());
    assert!(!store.is_quiet(&coordinating), "a request in flight");

    let mut holding = store.boot(fallbacks[0]);
    let hint = DynamoMessage::Store {
        key: key("k"),
        object: replicated(&out),
        ack: None,
        hint_for: Some(home[1]),
        replace: false,
    };
    message(&store, &mut holding, home[0], hint);
    assert!(holding.pending.is_empty() && !holding.stored.hints.is_empty());
    assert!(!store.is_quiet(&holding), "a hint to hand back");

    let mut reaping = store.boot(home[0]);
    reaping.reap_due.insert(key("k"), 100);
    assert!(reaping.pending.is_empty() && reaping.stored.hints.is_empty());
    assert!(!store.is_quiet(&reaping), "a tombstone due for reaping");
}

#[test]
fn every_change_to_a_replica_is_counted_and_a_read_changes_nothing() {
    let store = cluster(1, 1, 1, false);
    let mut node = store.boot(NodeId(0));
    let mut counts = vec![store.changes(&node)];
    request(&store, &mut node, put_to("k", "a", VersionVector::new()));
    counts.push(store.changes(&node));
    request(&store, &mut node, put_to("k", "b", VersionVector::new()));
    counts.push(store.changes(&node));
    request(&store, &mut node, get("k"));
    counts.push(store.changes(&node));
    assert!(counts[0] < counts[1] && counts[1] < counts[2], "{counts:?}");
    assert_eq!(counts[2], counts[3], "{counts:?}");
}

#[test]
fn only_a_sloppy_quorum_counts_a_fallbacks_acknowledgement_toward_w() {
    for sloppy_quorum in [false, true] {
        let store = cluster(4, 2, 2, sloppy_quorum);
        let (home, fallbacks) = store.placement(&key("k"));
        let mut coordinator = store.boot(home[0]);
        let out = request(
            &store,
            &mut coordinator,
            put_to("k", "a", VersionVector::new()),
        );
        let local = local_request(&out);
        assert!(
            out.replied().is_empty(),
            "w = 2: the coordinator's own copy is 1"
        );
        let out = timer(&store, &mut coordinator, DynamoTimer::Handoff(local));
        let hinted = out.sent().iter().any(|(to, message)| {
            *to == fallbacks[0]
                && matches!(
                    message,
                    DynamoMessage::Store {
                        hint_for: Some(_),
                        ..
                    }
                )
        });
        assert!(hinted, "the silent home nodes get a fallback");
        let ack = DynamoMessage::StoreAck {
            ack: local,
            hint_for: Some(home[1]),
        };
        let out = message(&store, &mut coordinator, fallbacks[0], ack);
        let written = matches!(out.replied(), [(_, Reply::Written { .. })]);
        assert_eq!(written, sloppy_quorum, "sloppy quorum: {sloppy_quorum}");
        assert_eq!(
            hit(&out, DynamoProbe::FallbackCountedTowardW),
            sloppy_quorum,
            "sloppy quorum: {sloppy_quorum}"
        );
    }
}

#[test]
fn only_a_sloppy_quorum_counts_a_fallbacks_reply_toward_r() {
    for sloppy_quorum in [false, true] {
        let store = cluster(4, 2, 2, sloppy_quorum);
        let (home, fallbacks) = store.placement(&key("k"));
        let mut coordinator = store.boot(home[0]);
        let out = request(&store, &mut coordinator, get("k"));
        let local = local_request(&out);
        assert!(
            out.replied().is_empty(),
            "r = 2: the coordinator's own copy is 1"
        );
        let reply = DynamoMessage::ReadReply {
            request: local,
            object: None,
            reaped_timestamp: 0,
            fallback: true,
        };
        let out = message(&store, &mut coordinator, fallbacks[0], reply);
        let answered = matches!(out.replied(), [(_, Reply::Read { .. })]);
        assert_eq!(answered, sloppy_quorum, "sloppy quorum: {sloppy_quorum}");
    }
}

#[test]
fn a_read_asks_fallbacks_only_when_the_key_has_some() {
    // n = 3 of 3 nodes: no fallbacks; of 4: one.
    for (nodes, asks) in [(3, false), (4, true)] {
        let store = cluster(nodes, 3, 1, true);
        let home = store.placement(&key("k")).0;
        let mut coordinator = store.boot(home[0]);
        let local = local_request(&request(&store, &mut coordinator, get("k")));
        let out = timer(&store, &mut coordinator, DynamoTimer::Handoff(local));
        assert_eq!(
            hit(&out, DynamoProbe::ReadAskedFallbacks),
            asks,
            "{nodes} nodes"
        );
        assert_eq!(out.sent().len(), usize::from(asks), "{nodes} nodes");
    }
}

#[test]
fn a_read_times_out_only_when_it_was_not_answered() {
    // r = 1: the coordinator's own copy answers at once; r = 3: the others never reply.
    for (r, times_out) in [(1, false), (3, true)] {
        let store = cluster(3, r, 1, false);
        let home = store.placement(&key("k")).0;
        let mut coordinator = store.boot(home[0]);
        let out = request(&store, &mut coordinator, get("k"));
        assert_eq!(out.replied().is_empty(), times_out, "r = {r}");
        let out = timer(
            &store,
            &mut coordinator,
            DynamoTimer::Timeout(local_request(&out)),
        );
        assert_eq!(hit(&out, DynamoProbe::ReadTimedOut), times_out, "r = {r}");
        assert!(
            coordinator.pending.is_empty(),
            "r = {r}: the timeout forgets the read"
        );
    }
}

#[test]
fn a_volatile_node_syncs_on_its_timer_and_a_crash_goes_back_to_the_last_sync() {
    let store = Dynamo::new(Config {
        durability: Durability::Volatile,
        ..cluster(1, 1, 1, false).config().clone()
    })
    .unwrap();
    let mut node = store.boot(NodeId(0));
    let mut out = Effects::new(NodeId(0), 10);
    store.on_start(&mut node, &mut out);
    assert!(
        sets(&out, DynamoTimer::Sync),
        "a volatile node starts syncing"
    );
    request(&store, &mut node, put_to("k", "a", VersionVector::new()));
    let out = timer(&store, &mut node, DynamoTimer::Sync);
    assert!(
        sets(&out, DynamoTimer::Sync),
        "and syncs again a period later"
    );
    request(&store, &mut node, put_to("k", "b", VersionVector::new()));
    assert_eq!(store.snapshot(&node, &key("k")).values.len(), 2);
    assert!(store.on_crash(&mut node), "b was not synced");
    let kept = store.snapshot(&node, &key("k")).values;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].0, "a", "{kept:?}");
}

#[test]
fn a_single_node_runs_no_exchange_but_keeps_its_timer() {
    let store = Dynamo::new(Config {
        anti_entropy_period_ms: Some(100),
        ..cluster(1, 1, 1, false).config().clone()
    })
    .unwrap();
    let mut node = store.boot(NodeId(0));
    let out = timer(&store, &mut node, DynamoTimer::AntiEntropy);
    assert!(out.sent().is_empty());
    assert!(sets(&out, DynamoTimer::AntiEntropy));
}

/// A node of 3 (n = 3, so every node is home to every key) that coordinated a put of each of
/// `keys`.
fn holding(store: &Dynamo, keys: &[String]) -> DynamoNode {
    let mut node = store.boot(NodeId(0));
    for name in keys {
        request(store, &mut node, put_to(name, "v", VersionVector::new()));
    }
    node
}

#[test]
fn an_exchange_sends_exactly_the_keys_of_the_buckets_that_differ() {
    let store = cluster(3, 2, 2, false);
    let buckets = u64::from(store.tuning().merkle_buckets);
    let keys: Vec<String> = (0..8).map(|i| format!("k{i}")).collect();
    let bucket_of = |name: &str| stable_hash(name.as_bytes()) % buckets;
    let mut node = holding(&store, &keys);
    let peer = NodeId(1);

    // The node's leaves, as it sends them when the roots differ.
    let out = message(
        &store,
        &mut node,
        peer,
        DynamoMessage::MerkleRoot { root: 0 },
    );
    let [(_, DynamoMessage::MerkleBuckets { buckets: leaves })] = out.sent() else {
        panic!("roots differ: {:?}", out.sent());
    };
    let differing = bucket_of(&keys[0]);
    let mut peer_leaves = leaves.clone();
    peer_leaves[differing as usize] ^= 1;

    let out = message(
        &store,
        &mut node,
        peer,
        DynamoMessage::MerkleBuckets {
            buckets: peer_leaves,
        },
    );
    let [(
        to,
        DynamoMessage::MerkleObjects {
            objects,
            buckets: sent_buckets,
            answer: true,
        },
    )] = out.sent()
    else {
        panic!("one leaf differs: {:?}", out.sent());
    };
    assert_eq!(*to, peer);
    assert_eq!(sent_buckets, &[differing as u32]);
    let sent: BTreeSet<&str> = objects.iter().map(|(key, _)| key.0.as_str()).collect();
    let expected: BTreeSet<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|name| bucket_of(name) == differing)
        .collect();
    assert_eq!(sent, expected);
    assert!(
        expected.len() < keys.len(),
        "some keys are in other buckets"
    );
    assert!(hit(&out, DynamoProbe::AntiEntropyBucketsDiffer));
}

#[test]
fn an_exchange_counts_a_key_as_moved_only_to_a_replica_that_lacked_it() {
    let store = cluster(3, 2, 2, false);
    let mut giver = store.boot(NodeId(0));
    let first = replicated(&request(
        &store,
        &mut giver,
        put_to("k", "a", VersionVector::new()),
    ));
    let context = first
        .context()
        .expect("a sibling set has a context")
        .clone();
    let newer = replicated(&request(&store, &mut giver, put_to("k", "b", context)));

    let mut taker = store.boot(NodeId(1));
    let objects = |object: &Arc<Object>| DynamoMessage::MerkleObjects {
        objects: vec![(key("k"), Arc::clone(object))],
        buckets: Vec::new(),
        answer: false,
    };
    let out = message(&store, &mut taker, NodeId(0), objects(&first));
    assert!(
        hit(&out, DynamoProbe::AntiEntropyMovedMissingKey),
        "it lacked the key"
    );
    let out = message(&store, &mut taker, NodeId(0), objects(&newer));
    assert_eq!(
        store.snapshot(&taker, &key("k")).values.len(),
        1,
        "b replaced a"
    );
    assert!(
        !hit(&out, DynamoProbe::AntiEntropyMovedMissingKey),
        "it held an older copy"
    );
}

/// A put of `value` on key k coordinated by `coordinator` (blind, or after `context`), as the
/// object it replicates.
pub(super) fn put_object(
    store: &Dynamo,
    coordinator: &mut DynamoNode,
    value: &str,
    context: VersionVector,
) -> Arc<Object> {
    replicated(&request(store, coordinator, put_to("k", value, context)))
}

pub(super) fn hint(object: &Arc<Object>, home: NodeId) -> DynamoMessage {
    DynamoMessage::Store {
        key: key("k"),
        object: Arc::clone(object),
        ack: None,
        hint_for: Some(home),
        replace: false,
    }
}

pub(super) fn context_of(object: &Arc<Object>) -> VersionVector {
    object
        .context()
        .expect("a sibling set has a context")
        .clone()
}

#[test]
fn a_fallback_counts_a_hint_that_is_new_or_changed_and_not_one_it_has() {
    let store = cluster(4, 2, 2, false);
    let (home, fallbacks) = store.placement(&key("k"));
    let mut coordinator = store.boot(home[0]);
    let first = put_object(&store, &mut coordinator, "a", VersionVector::new());
    let newer = put_object(&store, &mut coordinator, "b", context_of(&first));
    let mut fallback = store.boot(fallbacks[0]);
    let mut counts = vec![store.changes(&fallback)];
    for object in [&first, &first, &newer] {
        message(&store, &mut fallback, home[0], hint(object, home[1]));
        counts.push(store.changes(&fallback));
    }
    assert_eq!(
        fallback.stored.hints.len(),
        1,
        "one hint per home node and key"
    );
    assert!(counts[0] < counts[1], "a new hint: {counts:?}");
    assert_eq!(counts[1], counts[2], "the same hint again: {counts:?}");
    assert!(counts[2] < counts[3], "a newer hint: {counts:?}");
}

#[test]
fn an_acknowledgement_of_a_hint_that_changed_since_its_offer_keeps_it() {
    let store = cluster(4, 2, 2, false);
    let (home, fallbacks) = store.placement(&key("k"));
    let mut coordinator = store.boot(home[0]);
    let first = put_object(&store, &mut coordinator, "a", VersionVector::new());
    let second = put_object(&store, &mut coordinator, "b", context_of(&first));
    let third = put_object(&store, &mut coordinator, "c", context_of(&second));
    let mut fallback = store.boot(fallbacks[0]);
    let offer = |fallback: &mut DynamoNode| -> u64 {
        let out = timer(&store, fallback, DynamoTimer::Maintenance);
        out.sent()
            .iter()
            .find_map(|(to, message)| match message {
                DynamoMessage::Handoff { hint_version, .. } if *to == home[1] => {
                    Some(*hint_version)
                }
                _ => None,
            })
            .expect("maintenance offers the hint back")
    };
    let ack = |hint_version| DynamoMessage::HandoffAck {
        key: key("k"),
        hint_version,
    };

    message(&store, &mut fallback, home[0], hint(&first, home[1]));
    message(&store, &mut fallback, home[0], hint(&second, home[1]));
    let offered = offer(&mut fallback);
    message(&store, &mut fallback, home[0], hint(&third, home[1]));
    let out = message(&store, &mut fallback, home[1], ack(offered));
    assert!(hit(&out, DynamoProbe::HintAckOutdated));
    assert_eq!(fallback.stored.hints.len(), 1, "c was not handed back yet");

    let offered = offer(&mut fallback);
    let out = message(&store, &mut fallback, home[1], ack(offered));
    assert!(!hit(&out, DynamoProbe::HintAckOutdated));
    assert!(fallback.stored.hints.is_empty(), "the home node took c");
}

#[test]
fn a_fallback_answers_a_read_with_its_hints_for_the_key_merged() {
    let store = cluster(5, 2, 2, true);
    let (home, fallbacks) = store.placement(&key("k"));
    let a = put_object(&store, &mut store.boot(home[0]), "a", VersionVector::new());
    let b = put_object(&store, &mut store.boot(home[1]), "b", VersionVector::new());
    let mut fallback = store.boot(fallbacks[0]);
    message(&store, &mut fallback, home[0], hint(&a, home[1]));
    message(&store, &mut fallback, home[1], hint(&b, home[2]));
    let read = |name: &str| DynamoMessage::Read {
        request: 7,
        key: key(name),
        fallback: true,
    };
    let out = message(&store, &mut fallback, home[0], read("k"));
    let [(
        _,
        DynamoMessage::ReadReply {
            request: 7,
            object: Some(object),
            fallback: true,
            ..
        },
    )] = out.sent()
    else {
        panic!("the hints: {:?}", out.sent());
    };
    let mut values: Vec<&str> = object
        .versions()
        .map(|version| version.value.0.as_str())
        .collect();
    values.sort_unstable();
    assert_eq!(values, ["a", "b"], "concurrent hints are siblings");
    let out = message(&store, &mut fallback, home[0], read("other"));
    assert!(
        matches!(
            out.sent(),
            [(_, DynamoMessage::ReadReply { object: None, .. })]
        ),
        "no hint for that key: {:?}",
        out.sent()
    );
}

#[test]
fn a_duplicated_read_reply_counts_once() {
    let store = cluster(3, 3, 1, false);
    let home = store.placement(&key("k")).0;
    let mut coordinator = store.boot(home[0]);
    let local = local_request(&request(&store, &mut coordinator, get("k")));
    let reply = || DynamoMessage::ReadReply {
        request: local,
        object: None,
        reaped_timestamp: 0,
        fallback: false,
    };
    let first = message(&store, &mut coordinator, home[1], reply());
    let again = message(&store, &mut coordinator, home[1], reply());
    assert!(
        first.replied().is_empty() && again.replied().is_empty(),
        "r = 3, two replicas replied"
    );
    let last = message(&store, &mut coordinator, home[2], reply());
    assert!(
        matches!(last.replied(), [(_, Reply::Read { .. })]),
        "the third replica completes r"
    );
}

#[test]
fn the_stale_context_bug_drops_a_dot_only_from_a_read_of_siblings() {
    let mut config = cluster(3, 1, 1, false).config().clone();
    config.bugs.insert(crate::config::Bug::StaleContext);
    let store = Dynamo::new(config).unwrap();
    let mut node = store.boot(store.placement(&key("k")).0[0]);
    let context = |node: &mut DynamoNode| {
        let out = request(&store, node, get("k"));
        let [(_, Reply::Read { context, .. })] = out.replied() else {
            panic!("r = 1 answers at once: {:?}", out.replied());
        };
        context.clone()
    };
    let first = put_object(&store, &mut node, "a", VersionVector::new());
    assert_eq!(
        &context(&mut node),
        first.context().unwrap(),
        "one value: the whole context"
    );
    let both = put_object(&store, &mut node, "b", VersionVector::new());
    let read = context(&mut node);
    let whole = both.context().unwrap();
    assert!(
        read != *whole && whole.dominates(&read),
        "two siblings: one dot left out"
    );
    assert!(
        read.dominates(first.context().unwrap()),
        "only the last sibling's dot"
    );
}

#[test]
fn a_read_repairs_its_coordinators_own_stale_copy() {
    let store = cluster(3, 2, 2, false);
    let home = store.placement(&key("k")).0;
    let written = put_object(&store, &mut store.boot(home[1]), "a", VersionVector::new());
    let mut coordinator = store.boot(home[0]);
    let local = local_request(&request(&store, &mut coordinator, get("k")));
    for replica in [home[1], home[2]] {
        let reply = DynamoMessage::ReadReply {
            request: local,
            object: Some(Arc::clone(&written)),
            reaped_timestamp: 0,
            fallback: false,
        };
        message(&store, &mut coordinator, replica, reply);
    }
    assert!(coordinator.pending.is_empty(), "every home node replied");
    let own = store.snapshot(&coordinator, &key("k")).values;
    assert_eq!(
        own.len(),
        1,
        "the coordinator took the value it lacked: {own:?}"
    );
}

#[test]
fn under_the_repair_overwrites_bug_a_replaced_copy_is_counted_as_a_change() {
    let mut config = cluster(3, 2, 2, false).config().clone();
    config.bugs.insert(crate::config::Bug::RepairOverwrites);
    let store = Dynamo::new(config).unwrap();
    let home = store.placement(&key("k")).0;
    let a = put_object(&store, &mut store.boot(home[0]), "a", VersionVector::new());
    let b = put_object(&store, &mut store.boot(home[1]), "b", VersionVector::new());
    let mut replica = store.boot(home[2]);
    let store_message = |object: &Arc<Object>, replace| DynamoMessage::Store {
        key: key("k"),
        object: Arc::clone(object),
        ack: None,
        hint_for: None,
        replace,
    };
    message(&store, &mut replica, home[0], store_message(&a, false));
    let before = store.changes(&replica);
    message(&store, &mut replica, home[1], store_message(&b, true));
    assert!(store.changes(&replica) > before);
    let values = store.snapshot(&replica, &key("k")).values;
    assert_eq!(
        values.len(),
        1,
        "b replaced a instead of joining it: {values:?}"
    );
}

#[test]
fn a_replica_counts_what_a_store_message_changed_and_takes_a_hint_for_itself_as_its_copy() {
    let store = cluster(4, 2, 2, false);
    let home = store.placement(&key("k")).0;
    let a = put_object(&store, &mut store.boot(home[0]), "a", VersionVector::new());
    let mut replica = store.boot(home[1]);
    let before = store.changes(&replica);
    message(&store, &mut replica, home[0], hint(&a, home[1]));
    assert!(store.changes(&replica) > before, "the copy changed");
    assert!(
        replica.stored.hints.is_empty(),
        "a hint for itself is its own copy"
    );
    assert_eq!(store.snapshot(&replica, &key("k")).values.len(), 1);
}

#[test]
fn a_timestamp_read_counts_each_home_node_once_and_no_fallback() {
    // atomic: LWW with quorum timestamps, so a put first reads the highest timestamp from r.
    let store = Dynamo::new(Config {
        r: 3,
        ..Config::preset("atomic").unwrap()
    })
    .unwrap();
    let (home, fallbacks) = store.placement(&key("k"));
    let stamp_reply = |local, fallback| DynamoMessage::ReadReply {
        request: local,
        object: None,
        reaped_timestamp: 0,
        fallback,
    };
    let writes = |out: &Out| {
        out.sent()
            .iter()
            .any(|(_, message)| matches!(message, DynamoMessage::Store { .. }))
    };
    for (second, fallback) in [(home[1], false), (fallbacks[0], true)] {
        let mut coordinator = store.boot(home[0]);
        let out = request(
            &store,
            &mut coordinator,
            put_to("k", "a", VersionVector::new()),
        );
        let local = local_request(&out);
        assert!(!writes(&out), "r = 3: the coordinator's own timestamp is 1");
        let out = message(&store, &mut coordinator, home[1], stamp_reply(local, false));
        assert!(!writes(&out), "2 of 3");
        let out = message(
            &store,
            &mut coordinator,
            second,
            stamp_reply(local, fallback),
        );
        assert!(!writes(&out), "a duplicate or a fallback is not the third");
        let out = message(&store, &mut coordinator, home[2], stamp_reply(local, false));
        assert!(writes(&out), "the third home node completes r");
    }
}

#[test]
fn a_write_that_home_nodes_acknowledge_counts_no_fallback() {
    let store = cluster(4, 2, 2, true);
    let home = store.placement(&key("k")).0;
    let mut coordinator = store.boot(home[0]);
    let out = request(
        &store,
        &mut coordinator,
        put_to("k", "a", VersionVector::new()),
    );
    let ack = DynamoMessage::StoreAck {
        ack: local_request(&out),
        hint_for: None,
    };
    let out = message(&store, &mut coordinator, home[1], ack);
    assert!(matches!(out.replied(), [(_, Reply::Written { .. })]));
    assert!(!hit(&out, DynamoProbe::FallbackCountedTowardW));
}
