//! The causes on small hand-made traces.

use std::collections::BTreeSet;

use super::replica::carries;
use super::*;
use crate::causality::NodeId;
use crate::history::{Action, Endpoint, TraceEvent};
use crate::history::{ClientId, Key, Trace};

fn history(trace: Vec<TraceEvent>) -> History {
    let mut history = History::from_json(
        r#"{"version": 1, "operations": [
          {"id": 0, "client": 0, "key": "k", "kind": "put", "value": "v1", "time_ms_invoke": 0, "time_ms_complete": 10, "outcome": "ok"},
          {"id": 1, "client": 1, "key": "k", "kind": "get", "values": ["v0"], "time_ms_invoke": 30, "time_ms_complete": 40, "outcome": "ok"}
        ]}"#,
    )
    .unwrap();
    history.trace = Some(Trace { events: trace });
    history.validate().unwrap();
    history
}

fn send(message: u64, time_ms: u64, from: u32, to: Endpoint, op: u64, summary: &str) -> TraceEvent {
    TraceEvent::Send {
        message,
        time_ms,
        from: Endpoint::Node(NodeId(from)),
        to,
        op: Some(OpId(op)),
        key: Some(Key::from("k")),
        summary: summary.to_string(),
    }
}

fn state(time_ms: u64, node: u32, values: &[&str]) -> TraceEvent {
    TraceEvent::State {
        time_ms,
        node: NodeId(node),
        key: Key::from("k"),
        values: values.iter().map(|value| Value::from(*value)).collect(),
        tombstones: Vec::new(),
    }
}

/// The operations of a stale read: the read #1 and the write #0 it missed.
fn witness() -> Vec<OpId> {
    vec![OpId(1), OpId(0)]
}

#[test]
fn a_replica_that_loses_a_write_is_named_with_the_message_that_did_it() {
    let node = |n| Endpoint::Node(NodeId(n));
    let history = history(vec![
        state(5, 1, &["v1"]),
        send(0, 20, 0, node(1), 7, "repair k {v0} REPLACE"),
        TraceEvent::Deliver {
            message: 0,
            time_ms: 22,
        },
        state(22, 1, &["v0"]),
        send(1, 22, 1, node(2), 7, "repair k {v0} REPLACE"),
    ]);
    let view = TraceView::of(&history);
    let chain = explain(&history, &view, &witness());
    assert_eq!(
        chain.sentence.as_deref(),
        Some("At 22 ms n1 lost v1: it held {v1} when \"repair k {v0} REPLACE\" arrived from n0 (sent at 20 ms for #7), and it kept only {v0}, none of which descends from v1. In the same step it sent \"repair k {v0} REPLACE\" to n2. #1 then read {v0} without it.")
    );
    assert_eq!(chain.messages, BTreeSet::from([0, 1]));
    assert_eq!(chain.states, BTreeSet::from([0, 3]));
}

#[test]
fn a_successor_that_descends_from_the_write_is_no_loss() {
    let mut history = history(vec![state(5, 1, &["v1"]), state(22, 1, &["v2"])]);
    let put: crate::history::Operation = serde_json::from_str(
        r#"{"id": 2, "client": 2, "key": "k", "kind": "put", "value": "v2", "context": [], "time_ms_invoke": 11, "time_ms_complete": 12, "outcome": "ok"}"#,
    )
    .unwrap();
    history.operations.push(put);
    let view = TraceView::of(&history);
    // v2 does not descend from v1: a loss.
    assert!(explain(&history, &view, &witness())
        .sentence
        .unwrap()
        .starts_with("At 22 ms n1 lost v1"));
    // Now it does (its client had read v1): no loss, and the read's story instead.
    if let Action::Put(write) = &mut history.operations[2].action {
        write.context = vec![Value::from("v1")];
    }
    let view = TraceView::of(&history);
    let chain = explain(&history, &view, &witness());
    assert_eq!(
        chain.sentence, None,
        "no message of the read in the trace: {chain:?}"
    );
}

#[test]
fn a_read_that_missed_a_write_says_whom_it_heard_from() {
    let node = |n| Endpoint::Node(NodeId(n));
    let history = history(vec![
        state(5, 0, &["v1"]),
        TraceEvent::Send {
            message: 0,
            time_ms: 30,
            from: Endpoint::Client(ClientId(1)),
            to: node(2),
            op: Some(OpId(1)),
            key: Some(Key::from("k")),
            summary: "get k".to_string(),
        },
        TraceEvent::Deliver {
            message: 0,
            time_ms: 31,
        },
        send(1, 31, 2, node(0), 1, "read k"),
        send(2, 31, 2, node(3), 1, "read k"),
        TraceEvent::Drop {
            message: 1,
            time_ms: 31,
            reason: crate::history::DropReason::Partition,
        },
        TraceEvent::Deliver {
            message: 2,
            time_ms: 33,
        },
        send(3, 33, 3, node(2), 1, "holds {v0}"),
        TraceEvent::Deliver {
            message: 3,
            time_ms: 35,
        },
    ]);
    let view = TraceView::of(&history);
    let chain = explain(&history, &view, &witness());
    assert_eq!(
        chain.sentence.as_deref(),
        Some("#1 was coordinated by n2 and, before it answered, heard from n3; when it began, v1 had reached n0. One of its messages was dropped on the way.")
    );
    assert_eq!(chain.messages, BTreeSet::from([0, 1, 2, 3]));
}

#[test]
fn no_witness_or_no_trace_says_nothing() {
    let history = history(Vec::new());
    let view = TraceView::of(&history);
    assert_eq!(explain(&history, &view, &[]).sentence, None);
    assert_eq!(explain(&history, &view, &witness()).sentence, None);
}

#[test]
fn a_replica_that_ends_without_a_write_is_named_with_what_carried_it_there() {
    let node = |n| Endpoint::Node(NodeId(n));
    let mut history = history(vec![
        send(0, 3, 0, node(1), 0, "store k {v1}"),
        send(1, 3, 0, node(2), 0, "store k {v1}"),
        TraceEvent::Drop {
            message: 1,
            time_ms: 3,
            reason: crate::history::DropReason::NodeDown,
        },
        TraceEvent::Deliver {
            message: 0,
            time_ms: 5,
        },
        state(5, 1, &["v1"]),
    ]);
    let snapshot = |node: u32, values: &[&str]| crate::history::ReplicaSnapshot {
        key: Key::from("k"),
        node: NodeId(node),
        values: values.iter().map(|value| Value::from(*value)).collect(),
        tombstones: Vec::new(),
        context_vv: None,
    };
    history.replicas = Some(vec![
        snapshot(0, &["v1"]),
        snapshot(1, &["v1"]),
        snapshot(2, &[]),
    ]);
    // The read saw v0 only and no message of it is traced: cause 3 speaks.
    let view = TraceView::of(&history);
    let chain = explain(&history, &view, &[OpId(0)]);
    assert_eq!(
        chain.sentence.as_deref(),
        Some("v1 (#0) ends missing from n2, while n0, n1 keep it: \"store k {v1}\" was dropped at 3 ms (node down).")
    );
    assert_eq!(chain.messages, BTreeSet::from([1]));
}

#[test]
fn carried_values_are_whole_words_of_a_set() {
    assert!(carries("store k {a,v1}", &Value::from("v1")));
    assert!(carries("repair k {†v1}", &Value::from("v1")));
    assert!(!carries("store k {v10}", &Value::from("v1")));
}

fn client_send(
    message: u64,
    time_ms: u64,
    client: u32,
    node: u32,
    op: u64,
    summary: &str,
) -> TraceEvent {
    TraceEvent::Send {
        message,
        time_ms,
        from: Endpoint::Client(ClientId(client)),
        to: Endpoint::Node(NodeId(node)),
        op: Some(OpId(op)),
        key: Some(Key::from("k")),
        summary: summary.to_string(),
    }
}

fn snapshot(node: u32, values: &[&str]) -> crate::history::ReplicaSnapshot {
    crate::history::ReplicaSnapshot {
        key: Key::from("k"),
        node: NodeId(node),
        values: values.iter().map(|value| Value::from(*value)).collect(),
        tombstones: Vec::new(),
        context_vv: None,
    }
}

#[test]
fn a_replica_that_keeps_an_overwritten_sibling_is_named_with_the_write_that_did_it() {
    let mut history = history(vec![
        state(5, 1, &["v1"]),
        client_send(0, 18, 2, 1, 2, "put v2 on k"),
        TraceEvent::Deliver {
            message: 0,
            time_ms: 20,
        },
        state(20, 1, &["v1", "v2"]),
    ]);
    let put: crate::history::Operation = serde_json::from_str(
        r#"{"id": 2, "client": 2, "key": "k", "kind": "put", "value": "v2", "context": ["v1"], "time_ms_invoke": 18, "time_ms_complete": 25, "outcome": "ok"}"#,
    )
    .unwrap();
    history.operations.push(put);
    let view = TraceView::of(&history);
    let chain = explain(&history, &view, &[OpId(2)]);
    assert_eq!(
        chain.sentence.as_deref(),
        Some("At 20 ms n1 kept v1 beside v2 (#2), which overwrites it: it held {v1} when \"put v2 on k\" arrived from client 2 (sent at 18 ms for #2), and it then held {v1,v2}.")
    );
    assert_eq!(chain.messages, BTreeSet::from([0]));
    assert_eq!(chain.states, BTreeSet::from([0, 3]));
    // The write of v1 is named by the states: minimization keeps it.
    assert_eq!(chain.operations, BTreeSet::from([OpId(0), OpId(2)]));
    // Without the context, v2 does not overwrite v1: two siblings are no anomaly's cause.
    if let Action::Put(write) = &mut history.operations[2].action {
        write.context.clear();
    }
    let view = TraceView::of(&history);
    assert_eq!(explain(&history, &view, &[OpId(2)]).sentence, None);
}

#[test]
fn a_read_whose_context_is_wanting_says_whom_it_heard_from_and_what_they_held() {
    let node = |n| Endpoint::Node(NodeId(n));
    let mut history = history(vec![
        client_send(0, 30, 1, 2, 1, "get k"),
        TraceEvent::Deliver {
            message: 0,
            time_ms: 31,
        },
        send(1, 31, 2, node(0), 1, "read k"),
        TraceEvent::Deliver {
            message: 1,
            time_ms: 32,
        },
        send(2, 32, 0, node(2), 1, "holds {v1}"),
        TraceEvent::Deliver {
            message: 2,
            time_ms: 34,
        },
        send(3, 35, 2, Endpoint::Client(ClientId(1)), 1, "ok {v1}"),
    ]);
    history.operations[1].action = Action::Get {
        values: vec![crate::history::ReadValue {
            value: Value::from("v1"),
            tombstone: false,
        }],
        context: Some("[n0:1]".to_string()),
    };
    let view = TraceView::of(&history);
    let chain = explain(&history, &view, &witness());
    assert_eq!(
        chain.sentence.as_deref(),
        Some("#1 was coordinated by n2 and, before it answered, heard from n0 (\"holds {v1}\"); it returned {v1} with the context [n0:1], which does not cover v1.")
    );
    assert_eq!(chain.messages, BTreeSet::from([0, 1, 2, 3]));
    assert_eq!(chain.operations, BTreeSet::from([OpId(1)]));
}

#[test]
fn replicas_that_disagree_are_explained_by_the_writes_they_end_with() {
    let mut history = history(vec![state(5, 0, &["v1"])]);
    history.replicas = Some(vec![snapshot(0, &["v1"]), snapshot(1, &[])]);
    let view = TraceView::of(&history);
    let chain = explain_replicas(&history, &view);
    assert_eq!(
        chain.sentence.as_deref(),
        Some("v1 (#0) ends missing from n1, while n0 keep it: no message carried it there.")
    );
    assert_eq!(needed_operations(&history, &[]), BTreeSet::from([OpId(0)]));
    // Replicas that agree on what the trace cannot explain: nothing is said, nothing needed.
    history.replicas = Some(vec![snapshot(0, &["v1"]), snapshot(1, &["v1"])]);
    let view = TraceView::of(&history);
    assert_eq!(explain_replicas(&history, &view).sentence, None);
    assert!(needed_operations(&history, &[]).is_empty());
    // No trace: nothing is needed, whatever the anomaly.
    history.trace = None;
    assert!(needed_operations(&history, &witness()).is_empty());
}

#[test]
fn the_anomaly_explained_is_the_smallest_that_names_operations() {
    let (a, b, none) = ([OpId(3), OpId(4)], [OpId(1)], []);
    assert_eq!(anomaly_to_explain(&[&a, &b]), Some(&b[..]));
    // The smallest names none (divergence): the first that names some.
    assert_eq!(anomaly_to_explain(&[&a, &none, &b]), Some(&a[..]));
    assert_eq!(anomaly_to_explain(&[&none]), Some(&none[..]));
    // Nothing forbidden: nothing to explain.
    assert_eq!(anomaly_to_explain(&[]), None);
}
