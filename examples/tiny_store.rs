//! A deliberately tiny store run under quorate's simulator: how to bring your own store.
//!
//! The store is a primary-backup register per key: clients always talk to node 0, which applies
//! the write, answers at once, and copies it to node 1 in the background (so a crash of node 0
//! can lose acknowledged writes, and node 1 may lag). Everything the simulator needs is the
//! [`Store`] trait: state per node, and handlers that answer with effects.
//!
//! Run it with `cargo run --example tiny_store`.

use std::collections::BTreeMap;

use quorate::causality::NodeId;
use quorate::check::{self, CheckOptions, Model};
use quorate::config::Config;
use quorate::history::{Key, ReadValue, ReplicaSnapshot, StoreMeta, Value};
use quorate::sim::{self, ClientOp, ClientOpKind, ClientProgram, Fault, FaultKind, Scenario};
use quorate::store::{Reply, Request, RequestAction, Store, StoreEffects};
use quorate::zoo::describe_operations;

/// The store: two nodes, node 0 the primary.
#[derive(Debug)]
struct PrimaryBackup;

/// One node's state: the last value (or tombstone) written per key.
#[derive(Debug, Default)]
struct Node {
    id: u32,
    values: BTreeMap<Key, ReadValue>,
}

/// The only message: node 0 copies a write to node 1.
#[derive(Clone, Debug)]
struct Copy {
    key: Key,
    value: ReadValue,
}

impl Store for PrimaryBackup {
    type Node = Node;
    type Message = Copy;
    type Timer = ();
    type Context = ();

    fn nodes(&self) -> u32 {
        2
    }

    fn boot(&self, node: NodeId) -> Node {
        Node {
            id: node.0,
            values: BTreeMap::new(),
        }
    }

    fn route(&self, _key: &Key, _pick: u64) -> NodeId {
        NodeId(0)
    }

    fn replicas(&self, _key: &Key) -> Vec<NodeId> {
        vec![NodeId(0), NodeId(1)]
    }

    fn on_start(&self, _node: &mut Node, _out: &mut StoreEffects<Self>) {}

    fn on_request(&self, node: &mut Node, out: &mut StoreEffects<Self>, request: Request<()>) {
        let written = match request.action {
            RequestAction::Get => {
                let versions = node.values.get(&request.key).cloned().into_iter().collect();
                out.reply(
                    request.id,
                    Reply::Read {
                        versions,
                        context: (),
                        meta: StoreMeta::default(),
                    },
                );
                return;
            }
            RequestAction::Put { value, .. } => ReadValue {
                value,
                tombstone: false,
            },
            RequestAction::Delete { value, .. } => ReadValue {
                value,
                tombstone: true,
            },
        };
        node.values.insert(request.key.clone(), written.clone());
        if node.id == 0 {
            out.send(
                NodeId(1),
                Copy {
                    key: request.key,
                    value: written,
                },
            );
        }
        out.reply(
            request.id,
            Reply::Written {
                meta: StoreMeta::default(),
            },
        );
    }

    fn on_message(
        &self,
        node: &mut Node,
        _out: &mut StoreEffects<Self>,
        _from: NodeId,
        copy: Copy,
    ) {
        node.values.insert(copy.key, copy.value);
    }

    fn on_timer(&self, _node: &mut Node, _out: &mut StoreEffects<Self>, _timer: ()) {}

    fn on_crash(&self, node: &mut Node) -> bool {
        // Nothing is on disk: a crash loses everything.
        node.values.clear();
        true
    }

    fn snapshot(&self, node: &Node, key: &Key) -> ReplicaSnapshot {
        let held = node.values.get(key);
        let pick = |tombstone: bool| -> Vec<Value> {
            held.filter(|read| read.tombstone == tombstone)
                .map(|read| read.value.clone())
                .into_iter()
                .collect()
        };
        ReplicaSnapshot {
            key: key.clone(),
            node: NodeId(node.id),
            values: pick(false),
            tombstones: pick(true),
            context_vv: None,
        }
    }
}

fn main() {
    // The scenario's configuration only tells the simulator how many nodes there are and how
    // long clients wait; the store ignores the rest.
    let config = Config {
        nodes: 2,
        n: 2,
        r: 1,
        w: 1,
        ..Config::default()
    };
    let op = |kind| ClientOp {
        key: "x".into(),
        kind,
        delay_ms: 0,
        coordinator: None,
    };
    let client = ClientProgram {
        time_ms_start: 0,
        think_ms: 10,
        ops: vec![
            op(ClientOpKind::Put),
            op(ClientOpKind::ReadModifyWrite),
            op(ClientOpKind::Get),
        ],
    };
    let mut scenario = Scenario::new(config, 7, vec![client]);
    // The primary crashes right after the first write: the backup may not have its copy yet.
    scenario.faults.push(Fault {
        time_ms_start: 12,
        time_ms_end: Some(40),
        kind: FaultKind::Crash { node: 0 },
    });
    let output = sim::run_store(&PrimaryBackup, &scenario).expect("a valid scenario");
    let history = output.history;
    history
        .validate()
        .expect("the simulator writes valid histories");
    println!("What the client saw:");
    print!("{}", describe_operations(&history));
    println!("What each replica holds at the end:");
    for snapshot in history.replicas.iter().flatten() {
        let values: Vec<String> = snapshot.values.iter().map(ToString::to_string).collect();
        println!("  {} holds {{{}}}", snapshot.node, values.join(", "));
    }
    println!(
        "{} messages sent; the run ended at {} simulated ms.\n",
        output.stats.messages_sent,
        history.run.as_ref().map_or(0, |run| run.time_ms_end)
    );
    // The history names no configuration of the reference store, so the model is chosen here:
    // eventual consistency, the least any replicated store promises (an acknowledged write is
    // never lost, and the replicas agree once the faults heal).
    let report = check::check(&history, &CheckOptions::model(Some(Model::Eventual)))
        .expect("a valid history can be checked");
    println!("The checker's verdict:\n{report}");
}
