//! Reaping, one event at a time: what a reaped tombstone keeps out and lets in, how a vote is
//! answered and counted.

use std::sync::Arc;

use crate::causality::VersionVector;
use crate::store::dynamo::{Dynamo, DynamoMessage, DynamoProbe, DynamoTimer};
use crate::store::{Effects, Object, Request, RequestAction, RequestId, Store};

use super::handlers::{cluster, context_of, hit, key, message, put_object, replicated, request};

fn delete(value: &str, context: VersionVector) -> Request<VersionVector> {
    Request {
        id: RequestId(2),
        key: key("k"),
        action: RequestAction::Delete {
            value: crate::history::Value(value.into()),
            context,
        },
    }
}

fn late_copy(object: &Arc<Object>) -> DynamoMessage {
    DynamoMessage::Store {
        key: key("k"),
        object: Arc::clone(object),
        ack: None,
        hint_for: None,
        replace: false,
    }
}

/// Three nodes, n = 3, reaping 100 ms after a delete, and the home replicas of `k`.
fn reaping_after_100_ms() -> (Dynamo, Vec<crate::causality::NodeId>) {
    let mut config = cluster(3, 2, 2, false).config().clone();
    config.reaping = crate::config::Reaping::AfterMs(100);
    let store = Dynamo::new(config).unwrap();
    let home = store.placement(&key("k")).0;
    (store, home)
}

#[test]
fn a_reaped_tombstone_keeps_out_what_it_overwrote_and_lets_in_what_it_had_not_seen() {
    let (store, home) = reaping_after_100_ms();
    let mut coordinator = store.boot(home[0]);
    let a = put_object(&store, &mut coordinator, "a", VersionVector::new());
    let deleting = request(&store, &mut coordinator, delete("gone", context_of(&a)));
    let tombstone = replicated(&deleting);
    let concurrent = put_object(&store, &mut store.boot(home[1]), "c", VersionVector::new());

    // Due at 10 + 100 ms: the maintenance timer at 200 ms asks the other home nodes.
    let mut out = Effects::new(coordinator.id, 200);
    store.on_timer(&mut coordinator, &mut out, DynamoTimer::Maintenance);
    let asked = out
        .sent()
        .iter()
        .filter(|(_, message)| matches!(message, DynamoMessage::ReapQuery { .. }))
        .count();
    assert_eq!(asked, 2);
    let before = store.changes(&coordinator);
    let mut reaped = false;
    for peer in [home[1], home[2]] {
        let vote = DynamoMessage::ReapReply {
            key: key("k"),
            digest: tombstone.digest(),
            holds: true,
        };
        let out = message(&store, &mut coordinator, peer, vote);
        reaped |= hit(&out, DynamoProbe::TombstoneReaped);
    }
    assert!(
        reaped
            && store
                .snapshot(&coordinator, &key("k"))
                .tombstones
                .is_empty()
    );
    assert!(store.changes(&coordinator) > before, "a reap is a change");

    message(&store, &mut coordinator, home[1], late_copy(&a));
    message(&store, &mut coordinator, home[1], late_copy(&tombstone));
    let snapshot = store.snapshot(&coordinator, &key("k"));
    assert!(
        snapshot.values.is_empty() && snapshot.tombstones.is_empty(),
        "{snapshot:?}"
    );
    message(&store, &mut coordinator, home[1], late_copy(&concurrent));
    let values = store.snapshot(&coordinator, &key("k")).values;
    assert_eq!(values.len(), 1, "the tombstone had not seen c: {values:?}");
}

#[test]
fn an_immediately_reaped_tombstone_is_not_stored_again() {
    let mut config = cluster(3, 2, 2, false).config().clone();
    config.reaping = crate::config::Reaping::Immediate;
    let store = Dynamo::new(config).unwrap();
    let home = store.placement(&key("k")).0;
    let mut coordinator = store.boot(home[0]);
    let a = put_object(&store, &mut coordinator, "a", VersionVector::new());
    let deleting = request(&store, &mut coordinator, delete("gone", context_of(&a)));
    let tombstone = replicated(&deleting);
    let snapshot = store.snapshot(&coordinator, &key("k"));
    assert!(snapshot.tombstones.is_empty(), "reaped at once");
    let before = store.changes(&coordinator);
    message(&store, &mut coordinator, home[1], late_copy(&tombstone));
    assert_eq!(
        store.changes(&coordinator),
        before,
        "not stored, not reaped again"
    );
    let snapshot = store.snapshot(&coordinator, &key("k"));
    assert!(
        snapshot.values.is_empty() && snapshot.tombstones.is_empty(),
        "{snapshot:?}"
    );
}

#[test]
fn a_replica_votes_yes_only_for_the_tombstone_it_holds_and_a_no_is_a_refusal() {
    let (store, home) = reaping_after_100_ms();
    let mut voter = store.boot(home[1]);
    let a = put_object(&store, &mut voter, "a", VersionVector::new());
    let held = replicated(&request(&store, &mut voter, delete("gone", context_of(&a))));
    let mut asker = store.boot(home[2]);
    let b = put_object(&store, &mut asker, "b", VersionVector::new());
    let different = replicated(&request(&store, &mut asker, delete("gone", context_of(&b))));
    let mut vote = |digest| {
        let query = DynamoMessage::ReapQuery {
            key: key("k"),
            digest,
        };
        let out = message(&store, &mut voter, home[0], query);
        match out.sent() {
            [(_, DynamoMessage::ReapReply { holds, .. })] => *holds,
            sent => panic!("one reply: {sent:?}"),
        }
    };
    assert!(vote(held.digest()), "the tombstone it holds");
    assert!(!vote(different.digest()), "another tombstone");

    // The asker: a refusal is counted as one, a yes is not.
    let mut out = Effects::new(home[2], 200);
    store.on_timer(&mut asker, &mut out, DynamoTimer::Maintenance);
    for (holds, refused) in [(false, true), (true, false)] {
        let reply = DynamoMessage::ReapReply {
            key: key("k"),
            digest: different.digest(),
            holds,
        };
        let out = message(&store, &mut asker, home[1], reply);
        assert_eq!(
            hit(&out, DynamoProbe::ReapRefusedByPeer),
            refused,
            "holds: {holds}"
        );
    }
}
