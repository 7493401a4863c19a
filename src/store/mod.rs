//! Stores: the boundary a simulated store implements ([`Store`]), and quorate's reference
//! leaderless store ([`Dynamo`], modelled on Riak KV with Cassandra's options, docs/DESIGN.md §1).
//!
//! A store is a set of message handlers over one node's state. The simulator (`crate::sim`) owns
//! everything else — time, the network, faults, clients — and calls the handlers; the handlers
//! answer with [`Effects`]: messages to other nodes, replies to clients, timers. A user can run
//! their own in-process store under the same simulator and faults by implementing [`Store`]
//! (see `examples/tiny_store.rs`).
//!
//! What a store must never do: read the wall clock, spawn threads, open sockets, or draw
//! randomness of its own (its only clock is [`Effects::clock_ms`], the node's simulated clock,
//! skew included). The store never knows the checker exists: it reports what it did
//! ([`StoreMeta`], [`ReplicaSnapshot`]) and nothing about what that should mean.
//!
//! ```
//! use quorate::config::Config;
//! use quorate::store::{Dynamo, Store};
//!
//! let store = Dynamo::new(Config::preset("dynamo").unwrap()).unwrap();
//! let key = quorate::history::Key("cart".into());
//! assert_eq!(store.replicas(&key).len(), 3);
//! ```

mod dynamo;
mod object;
mod probe;
mod ring;

use std::fmt;

use crate::causality::NodeId;
use crate::history::{Key, ReadValue, ReplicaSnapshot, StoreMeta, Value};

pub use dynamo::{
    Dynamo, DynamoMessage, DynamoNode, DynamoProbe, DynamoTimer, Tuning, ACTOR_STRIDE,
};
pub use object::{Object, Version};
pub use probe::Probe;
pub use ring::{mix, stable_hash, Ring};

/// The identity of one client request, unique in a run; the simulator routes the reply by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// What a client asks a node (the request's coordinator) to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestAction<C> {
    /// Read the key's versions and their context.
    Get,
    /// Write `value`, overwriting what `context` (from the client's last read) covers.
    Put {
        /// The value written, unique per key.
        value: Value,
        /// The context of the client's last read of the key (empty for a blind put).
        context: C,
    },
    /// Write a tombstone named `value`, overwriting what `context` covers.
    Delete {
        /// The tombstone's name, unique per key like a value.
        value: Value,
        /// The context of the client's last read of the key.
        context: C,
    },
}

/// A client request, as its coordinator receives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<C> {
    /// Unique in the run; the reply is routed by it.
    pub id: RequestId,
    /// The key the request acts on.
    pub key: Key,
    /// What it asks the coordinator to do.
    pub action: RequestAction<C>,
}

/// A coordinator's answer to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply<C> {
    /// A get succeeded: the versions (tombstones flagged) and the context to write with next.
    Read {
        /// The versions the get returned, tombstones flagged.
        versions: Vec<ReadValue>,
        /// The context the client's next write of the key sends back.
        context: C,
        /// What the store says of its causality (the context as a version vector), for white-box checks.
        meta: StoreMeta,
    },
    /// A put or delete reached its write quorum.
    Written {
        /// What the store says of the write's causality (dot, context, timestamp).
        meta: StoreMeta,
    },
    /// The coordinator gave up. A failed write may still take effect (no rollback).
    Failed {
        /// What the store says of a failed write's causality (empty for a failed get).
        meta: StoreMeta,
    },
}

/// What a handler asks the simulator to do, collected while it runs.
#[derive(Debug)]
pub struct Effects<M, T, C> {
    node: NodeId,
    clock_ms: u64,
    pub(crate) sends: Vec<(NodeId, M)>,
    pub(crate) replies: Vec<(RequestId, Reply<C>)>,
    pub(crate) timers: Vec<(u64, T)>,
    /// Probes hit, by position in the store's [`Store::probes`].
    pub(crate) probes: Vec<usize>,
}

impl<M, T, C> Effects<M, T, C> {
    /// Effects for a handler running on `node` whose clock reads `clock_ms`.
    pub fn new(node: NodeId, clock_ms: u64) -> Effects<M, T, C> {
        Effects {
            node,
            clock_ms,
            sends: Vec::new(),
            replies: Vec::new(),
            timers: Vec::new(),
            probes: Vec::new(),
        }
    }

    pub(crate) fn reset(&mut self, node: NodeId, clock_ms: u64) {
        debug_assert!(self.sends.is_empty() && self.replies.is_empty() && self.timers.is_empty());
        self.node = node;
        self.clock_ms = clock_ms;
    }

    /// The node the handler runs on.
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// The node's clock, in simulated milliseconds, skew included: the only clock a store has.
    pub fn clock_ms(&self) -> u64 {
        self.clock_ms
    }

    /// Sends `message` to `to` (never to the node itself: handle that locally).
    pub fn send(&mut self, to: NodeId, message: M) {
        debug_assert_ne!(to, self.node, "a node handles its own work locally");
        self.sends.push((to, message));
    }

    /// Answers a client request.
    pub fn reply(&mut self, request: RequestId, reply: Reply<C>) {
        self.replies.push((request, reply));
    }

    /// Records that the handler ran the rare path of probe `index` (its position in the store's
    /// [`Store::probes`]); it changes nothing else.
    pub fn probe(&mut self, index: usize) {
        self.probes.push(index);
    }

    /// The probes hit so far, by position (for tests of a store's handlers).
    pub fn probed(&self) -> &[usize] {
        &self.probes
    }

    /// Asks for `timer` to fire on this node after `delay_ms` (lost if the node crashes first).
    pub fn set_timer(&mut self, delay_ms: u64, timer: T) {
        self.timers.push((delay_ms, timer));
    }

    /// The messages sent so far (for tests of a store's handlers).
    pub fn sent(&self) -> &[(NodeId, M)] {
        &self.sends
    }

    /// The replies given so far (for tests of a store's handlers).
    pub fn replied(&self) -> &[(RequestId, Reply<C>)] {
        &self.replies
    }
}

/// The effects type of a store.
pub type StoreEffects<S> =
    Effects<<S as Store>::Message, <S as Store>::Timer, <S as Store>::Context>;

/// A store the simulator can run: message handlers over one node's state.
///
/// The simulator calls [`Store::boot`] once per node, [`Store::on_start`] at boot and after every
/// restart, then the `on_*` handlers as requests, messages and timers arrive. A crash drops the
/// node's timers and in-flight messages and calls [`Store::on_crash`], which decides what of the
/// node's state survives.
pub trait Store {
    /// One node's state.
    type Node: fmt::Debug;
    /// What nodes send each other.
    type Message: Clone + fmt::Debug;
    /// What a node asks to be woken up with.
    type Timer: Clone + fmt::Debug;
    /// The opaque causal context a read returns and the next write of the same client sends back.
    type Context: Clone + fmt::Debug + Default;

    /// A hash of everything in `node` that decides what it does next: the exhaustive explorer
    /// (`crate::exhaust`) takes two nodes with the same hash for the same state and explores
    /// one of them only. The default hashes the node's `Debug` text, which is right when that
    /// text shows every such field; a store can give a faster hash of the same fields (the
    /// reference store hashes its fields' `Hash`). Never called by the simulator.
    fn node_hash(&self, node: &Self::Node) -> u64 {
        crate::stable_hash::debug_hash(node)
    }

    /// As [`Store::node_hash`], for a message in flight.
    fn message_hash(&self, message: &Self::Message) -> u64 {
        crate::stable_hash::debug_hash(message)
    }

    /// How many nodes the cluster has (`NodeId(0)` .. `NodeId(nodes - 1)`).
    fn nodes(&self) -> u32;
    /// The state of `node` when the cluster starts.
    fn boot(&self, node: NodeId) -> Self::Node;
    /// The node a client sends a request on `key` to; `pick` is the scenario's choice or a
    /// random draw, to be reduced modulo the candidates.
    fn route(&self, key: &Key, pick: u64) -> NodeId;
    /// The nodes that hold `key` at rest (its home replicas), for the final snapshots.
    fn replicas(&self, key: &Key) -> Vec<NodeId>;

    /// At boot and after every restart: set up periodic timers.
    fn on_start(&self, node: &mut Self::Node, out: &mut StoreEffects<Self>);
    /// A client's request arrived at this node, its coordinator.
    fn on_request(
        &self,
        node: &mut Self::Node,
        out: &mut StoreEffects<Self>,
        request: Request<Self::Context>,
    );
    /// A message from another node arrived.
    fn on_message(
        &self,
        node: &mut Self::Node,
        out: &mut StoreEffects<Self>,
        from: NodeId,
        message: Self::Message,
    );
    /// A timer this node set went off.
    fn on_timer(&self, node: &mut Self::Node, out: &mut StoreEffects<Self>, timer: Self::Timer);
    /// The node crashed: drop what does not survive. Returns whether acknowledged data may have
    /// been lost (a volatile crash), which the history records.
    fn on_crash(&self, node: &mut Self::Node) -> bool;
    /// The store's coverage probes ([`Probe`]): its rare paths, which handlers mark with
    /// [`Effects::probe`] by position in this list. None by default.
    fn probes(&self) -> &'static [Probe] {
        &[]
    }
    /// The node lost its disk: it will restart (through `on_start`) with nothing it stored. The
    /// default boots a fresh node; a store whose nodes mint identities (dots, ballots) must
    /// override it so that the new disk never mints one the old disk minted.
    fn on_disk_loss(&self, id: NodeId, node: &mut Self::Node) {
        *node = self.boot(id);
    }

    /// A short summary of a message's payload for the simulator's trace and the timeline
    /// (e.g. `repair k {c1.3}`). The default is the message's `Debug` form; a store overrides it
    /// to say what the message means in a few words.
    fn describe(&self, message: &Self::Message) -> String {
        format!("{message:?}")
    }

    /// What `node` holds for `key` now.
    fn snapshot(&self, node: &Self::Node, key: &Key) -> ReplicaSnapshot;
    /// Whether the node has no work left of its own (hints to hand off, requests in flight).
    fn is_quiet(&self, _node: &Self::Node) -> bool {
        true
    }
    /// How many times repair (replication, read repair, anti-entropy, handoff) changed the
    /// node's state; the simulator is quiet when this stops moving.
    fn changes(&self, _node: &Self::Node) -> u64 {
        0
    }
    /// How long nothing may change before the cluster counts as quiet (a full repair cycle).
    fn quiet_window_ms(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The least a store implements: one node that keeps the values written to it, and every
    /// provided method left as it is.
    struct Minimal;

    impl Store for Minimal {
        type Node = Vec<Value>;
        type Message = ();
        type Timer = ();
        type Context = ();

        fn nodes(&self) -> u32 {
            1
        }
        fn boot(&self, _node: NodeId) -> Vec<Value> {
            Vec::new()
        }
        fn route(&self, _key: &Key, _pick: u64) -> NodeId {
            NodeId(0)
        }
        fn replicas(&self, _key: &Key) -> Vec<NodeId> {
            vec![NodeId(0)]
        }
        fn on_start(&self, _node: &mut Vec<Value>, _out: &mut StoreEffects<Self>) {}
        fn on_request(
            &self,
            node: &mut Vec<Value>,
            out: &mut StoreEffects<Self>,
            request: Request<()>,
        ) {
            if let RequestAction::Put { value, .. } = request.action {
                node.push(value);
            }
            out.reply(
                request.id,
                Reply::Written {
                    meta: StoreMeta::default(),
                },
            );
        }
        fn on_message(&self, _: &mut Vec<Value>, _: &mut StoreEffects<Self>, _: NodeId, _: ()) {}
        fn on_timer(&self, _node: &mut Vec<Value>, _out: &mut StoreEffects<Self>, _timer: ()) {}
        fn on_crash(&self, _node: &mut Vec<Value>) -> bool {
            false
        }
        fn snapshot(&self, node: &Vec<Value>, key: &Key) -> ReplicaSnapshot {
            ReplicaSnapshot {
                key: key.clone(),
                node: NodeId(0),
                values: node.clone(),
                tombstones: Vec::new(),
                context_vv: None,
            }
        }
    }

    #[test]
    fn the_provided_methods_declare_no_probes_no_work_and_boot_a_lost_disk_afresh() {
        let store = Minimal;
        let mut node = store.boot(NodeId(0));
        let mut out = StoreEffects::<Minimal>::new(NodeId(0), 5);
        let put = RequestAction::Put {
            value: Value("a".into()),
            context: (),
        };
        store.on_request(
            &mut node,
            &mut out,
            Request {
                id: RequestId(7),
                key: Key("k".into()),
                action: put,
            },
        );
        assert_eq!(node, [Value("a".into())]);
        assert_eq!(out.replied().len(), 1);
        assert!(store.probes().is_empty());
        assert!(store.is_quiet(&node));
        assert_eq!(store.changes(&node), 0);
        assert_eq!(store.quiet_window_ms(), 0);
        assert_eq!(store.describe(&()), "()");
        store.on_disk_loss(NodeId(0), &mut node);
        assert!(node.is_empty(), "the disk is lost: {node:?}");
    }

    #[test]
    fn effects_collect_what_a_handler_asked_for_in_order() {
        let mut out: Effects<&str, u8, ()> = Effects::new(NodeId(2), 40);
        assert_eq!((out.node(), out.clock_ms()), (NodeId(2), 40));
        out.send(NodeId(1), "first");
        out.send(NodeId(3), "second");
        out.probe(4);
        out.probe(1);
        out.set_timer(10, 9);
        assert_eq!(out.sent(), [(NodeId(1), "first"), (NodeId(3), "second")]);
        assert_eq!(out.probed(), [4, 1]);
        assert_eq!(out.timers, [(10, 9)]);
        assert!(out.replied().is_empty());
    }
}
