//! The handlers alone, without the simulator: how a store's logic can be tested directly.

use crate::causality::{NodeId, VersionVector};
use crate::config::{Config, Durability};
use crate::history::{Key, Value};
use crate::store::{Effects, Reply, Request, RequestAction, RequestId, Store};

use super::{Dynamo, DynamoNode};

fn single_node() -> Dynamo {
    Dynamo::new(Config {
        nodes: 1,
        n: 1,
        r: 1,
        w: 1,
        anti_entropy_period_ms: None,
        ..Config::default()
    })
    .unwrap()
}

fn request(id: u64, action: RequestAction<VersionVector>) -> Request<VersionVector> {
    Request {
        id: RequestId(id),
        key: Key("k".into()),
        action,
    }
}

fn put(value: &str, context: VersionVector) -> RequestAction<VersionVector> {
    RequestAction::Put {
        value: Value(value.into()),
        context,
    }
}

/// Runs one request on the node and returns the reply it gave at once.
fn ask(
    store: &Dynamo,
    node: &mut DynamoNode,
    request: Request<VersionVector>,
) -> Reply<VersionVector> {
    let mut out = Effects::new(NodeId(0), 10);
    store.on_request(node, &mut out, request);
    assert!(out.sent().is_empty(), "a single node sends nothing");
    out.replied()[0].1.clone()
}

#[test]
fn blind_puts_become_siblings_and_a_put_with_their_context_replaces_them() {
    let store = single_node();
    let mut node = store.boot(NodeId(0));
    let Reply::Written { meta } = ask(
        &store,
        &mut node,
        request(1, put("a", VersionVector::new())),
    ) else {
        panic!("w = 1 answers at once");
    };
    assert_eq!(meta.dot.unwrap().to_string(), "n0:1");
    ask(
        &store,
        &mut node,
        request(2, put("b", VersionVector::new())),
    );
    let Reply::Read {
        versions, context, ..
    } = ask(&store, &mut node, request(3, RequestAction::Get))
    else {
        panic!("a get answers with a read");
    };
    let values: Vec<&str> = versions.iter().map(|read| read.value.0.as_str()).collect();
    assert_eq!(values, ["a", "b"]);
    ask(&store, &mut node, request(4, put("c", context)));
    let Reply::Read { versions, .. } = ask(&store, &mut node, request(5, RequestAction::Get))
    else {
        panic!("a get answers with a read");
    };
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].value.0, "c");
}

#[test]
fn a_volatile_crash_makes_the_node_a_new_actor() {
    let store = Dynamo::new(Config {
        durability: Durability::Volatile,
        ..single_node().config().clone()
    })
    .unwrap();
    let mut node = store.boot(NodeId(0));
    ask(
        &store,
        &mut node,
        request(1, put("a", VersionVector::new())),
    );
    assert!(store.on_crash(&mut node), "nothing was synced");
    let Reply::Written { meta } = ask(
        &store,
        &mut node,
        request(2, put("b", VersionVector::new())),
    ) else {
        panic!("w = 1 answers at once");
    };
    assert_eq!(meta.dot.unwrap().to_string(), "n1000:1");
    assert_eq!(store.snapshot(&node, &Key("k".into())).values.len(), 1);
}

#[test]
fn every_store_timing_must_be_at_least_one() {
    let config = Config::preset("dynamo").unwrap();
    let tuning = super::Tuning::for_config(&config);
    assert!(Dynamo::with_tuning(config.clone(), tuning.clone()).is_ok());
    let zeroed: [fn(&mut super::Tuning); 4] = [
        |t| t.handoff_delay_ms = 0,
        |t| t.maintenance_period_ms = 0,
        |t| t.sync_period_ms = 0,
        |t| t.merkle_buckets = 0,
    ];
    for zero in zeroed {
        let mut bad = tuning.clone();
        zero(&mut bad);
        let error = Dynamo::with_tuning(config.clone(), bad).unwrap_err();
        assert!(error.to_string().contains("at least 1"), "{error}");
    }
}

/// A cluster's handlers, one event at a time: what a whole simulation cannot pin for certain —
/// what a quorum counts, which probe a path hits, which timer a handler sets, when a node is quiet.
mod crash;
mod handlers;
mod reaping;

/// Process mode keeps a node on disk as JSON: a durable node comes back with its values and
/// its dot counter (so it never mints a dot twice), a volatile one empty as a new actor.
#[test]
fn a_saved_node_restores_durable_state_and_a_volatile_one_as_a_new_actor() {
    let store = single_node();
    let mut node = store.boot(NodeId(0));
    ask(
        &store,
        &mut node,
        request(1, put("a", VersionVector::new())),
    );
    let saved = store.saved_state(&node);
    let text = serde_json::to_string(&saved).unwrap();
    let mut restored = store
        .restore_state(NodeId(0), serde_json::from_str(&text).unwrap())
        .unwrap();
    assert_eq!(
        store.snapshot(&restored, &Key("k".into())).values,
        [Value("a".into())]
    );
    let Reply::Written { meta } = ask(
        &store,
        &mut restored,
        request(2, put("b", VersionVector::new())),
    ) else {
        panic!("w = 1 answers at once");
    };
    assert_eq!(
        meta.dot.unwrap().to_string(),
        "n0:2",
        "the counter survived"
    );
    assert!(store
        .restore_state(NodeId(0), serde_json::json!({"incarnation": "x"}))
        .is_err());

    let volatile = Dynamo::new(Config {
        durability: Durability::Volatile,
        ..store.config().clone()
    })
    .unwrap();
    let mut node = volatile.boot(NodeId(0));
    ask(
        &volatile,
        &mut node,
        request(1, put("a", VersionVector::new())),
    );
    let mut restored = volatile
        .restore_state(NodeId(0), volatile.saved_state(&node))
        .unwrap();
    assert!(volatile
        .snapshot(&restored, &Key("k".into()))
        .values
        .is_empty());
    let Reply::Written { meta } = ask(
        &volatile,
        &mut restored,
        request(2, put("b", VersionVector::new())),
    ) else {
        panic!("w = 1 answers at once");
    };
    assert_eq!(meta.dot.unwrap().node, NodeId(1000), "a new actor");
}

/// Messages cross process boundaries as JSON and come back equal.
#[test]
fn messages_round_trip_through_json() {
    let store = single_node();
    let mut node = store.boot(NodeId(0));
    ask(
        &store,
        &mut node,
        request(1, put("a", VersionVector::new())),
    );
    let object = node.stored.data.values().next().unwrap().clone();
    let message = super::DynamoMessage::Store {
        key: Key("k".into()),
        object,
        ack: Some(3),
        hint_for: Some(NodeId(2)),
        replace: false,
    };
    let text = serde_json::to_string(&message).unwrap();
    let back: super::DynamoMessage = serde_json::from_str(&text).unwrap();
    assert_eq!(format!("{back:?}"), format!("{message:?}"));
}
