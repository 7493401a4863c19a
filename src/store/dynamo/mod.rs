//! The reference leaderless store: Riak KV's design with Cassandra's options (docs/DESIGN.md §1).
//!
//! Every handler here works on one node's [`DynamoNode`] and answers with effects; nothing here
//! knows about time except the node's clock, or about the network except the messages it sends.
//! All repair paths (replication, read repair, anti-entropy, hinted handoff) go through one
//! merge ([`Object::merge`]), which never overwrites.
//!
//! This file holds the types (the store, its tuning, its messages and timers, a node's state)
//! and the [`Store`] implementation, which only dispatches: every request, message and timer
//! goes to the mechanism that owns it, one file each:
//!
//! - `coordination`: a request's entry, the requests in flight, their timeouts; with `read`
//!   (the get: r, the merge of the replies, the answer) and `write` (the put and delete: dots,
//!   LWW stamping and ABD timestamp reads, w).
//! - `replica`: a replica's own copy and the one merge; the `Store` and `Read` messages.
//! - `read_repair`; `handoff` (hinted handoff and sloppy quorums); `anti_entropy` (Merkle);
//!   `reaping` (tombstones); `crash` (what a crash keeps, syncing, restart).
//!
//! The deliberate bugs of the bug zoo ([`Bug`](crate::config::Bug), docs/DESIGN.md §7) are hooks in
//! the file of the mechanism they break, each behind [`Config::has_bug`] with a comment naming
//! the bug; with the configuration's `bugs` empty, every hook takes the correct path.

mod anti_entropy;
mod coordination;
mod crash;
mod describe;
mod handoff;
mod probes;
mod read;
mod read_repair;
mod reaping;
mod replica;
#[cfg(test)]
mod tests;
mod write;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::causality::{NodeId, VersionVector};
use crate::config::{Config, ConfigError, Durability};
use crate::history::{Key, ReplicaSnapshot};

use self::coordination::{Pending, Replied};
use self::handoff::Hint;
pub use self::probes::DynamoProbe;
use self::probes::PROBES;
use self::reaping::Reaped;
use super::object::Object;
use super::ring::{stable_hash, Ring};
use super::{Probe, Request, Store, StoreEffects};

/// Dots are minted by actors, not nodes: a node that lost unsynced state in a volatile crash
/// comes back as a new actor, `node + ACTOR_STRIDE × incarnation`, so it can never mint a dot it
/// had minted before the crash (Riak's vnode epochs solve the same problem).
pub const ACTOR_STRIDE: u32 = 1_000;

/// Internal timings of the reference store that the design leaves open; derived from the
/// configuration by [`Tuning::for_config`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// How long a coordinator waits for a home node before it turns to a fallback.
    pub handoff_delay_ms: u64,
    /// How often a node hands hints back and checks tombstones for reaping.
    pub maintenance_period_ms: u64,
    /// How often a volatile node syncs its state (what a crash keeps).
    pub sync_period_ms: u64,
    /// Leaves of the Merkle tree each anti-entropy exchange compares.
    pub merkle_buckets: u32,
}

impl Tuning {
    /// The default timings for `config` (the handoff delay comes from the configuration).
    pub fn for_config(config: &Config) -> Tuning {
        Tuning {
            handoff_delay_ms: config.handoff_delay_ms(),
            maintenance_period_ms: 100,
            sync_period_ms: 100,
            merkle_buckets: 16,
        }
    }
}

/// The reference store: a configuration, its ring, and the handlers.
#[derive(Clone, Debug)]
pub struct Dynamo {
    config: Config,
    tuning: Tuning,
    ring: Ring,
    /// Preference lists by ring position (a list depends on nothing else), computed once.
    placements: RefCell<HashMap<u64, Arc<[NodeId]>>>,
}

/// What the reference store's nodes send each other. It serializes (serde's externally tagged
/// JSON) so that `quorate node` can send it between real processes (`crate::process::serve`).
#[derive(Clone, Debug, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DynamoMessage {
    /// Merge `object` in (replication, read repair); with `hint_for`, keep it as a hint for that
    /// home node. Acknowledged when `ack` names a coordinator's request. `replace` is set only by
    /// the `repair-overwrites` bug: the receiver replaces its state instead of merging.
    Store {
        /// The key the object is of.
        key: Key,
        /// The state to merge in (siblings, or an LWW version).
        object: Arc<Object>,
        /// The coordinator's request to acknowledge; `None`: no acknowledgement wanted (repair).
        ack: Option<u64>,
        /// The home node the receiver keeps it for as a fallback; `None`: the receiver is a home node.
        hint_for: Option<NodeId>,
        /// Replace the stored state instead of merging (only under the `repair-overwrites` bug).
        replace: bool,
    },
    /// The receiver stored what a `Store` sent.
    StoreAck {
        /// The coordinator's request it acknowledges.
        ack: u64,
        /// The `hint_for` of the `Store` it acknowledges: a fallback's acknowledgement.
        hint_for: Option<NodeId>,
    },
    /// Send back what you hold for `key` (as a fallback: the hints you hold for it).
    Read {
        /// The coordinator's request, echoed in the reply.
        request: u64,
        /// The key to read.
        key: Key,
        /// Whether the receiver is asked as a fallback (for its hints) rather than as a home node.
        fallback: bool,
    },
    /// The answer to a `Read`.
    ReadReply {
        /// The coordinator's request it answers.
        request: u64,
        /// The replica's copy (or the fallback's hint); `None` when it holds nothing for the key.
        object: Option<Arc<Object>>,
        /// The LWW timestamp of a tombstone this replica reaped for the key (0 if none), for a
        /// timestamp read: see `reaping::Reaped`.
        reaped_timestamp: u64,
        /// Whether it comes from a fallback.
        fallback: bool,
    },
    /// A fallback hands a hint back to its home node.
    Handoff {
        /// The key of the hint.
        key: Key,
        /// The state the fallback kept for the home node.
        object: Arc<Object>,
        /// The hint's version, echoed by the acknowledgement.
        hint_version: u64,
    },
    /// The home node took a hint back; the fallback drops it if its version is unchanged.
    HandoffAck {
        /// The key of the hint.
        key: Key,
        /// The version of the hint handed back.
        hint_version: u64,
    },
    /// Anti-entropy, step 1: the root of my tree over the keys we share.
    MerkleRoot {
        /// The root hash of the sender's Merkle tree.
        root: u64,
    },
    /// Step 2: ours differ; here are my leaves.
    MerkleBuckets {
        /// The hash of each leaf, by bucket.
        buckets: Vec<u64>,
    },
    /// Steps 3 and 4: my objects in the leaves that differ (`answer`: send yours back).
    MerkleObjects {
        /// The sender's objects in the differing buckets, with their keys.
        objects: Vec<(Key, Arc<Object>)>,
        /// The differing buckets, by index.
        buckets: Vec<u32>,
        /// Whether the receiver should answer with its own objects of those buckets.
        answer: bool,
    },
    /// Reaping: do you hold exactly this tombstone state?
    ReapQuery {
        /// The key whose tombstone is to be reaped.
        key: Key,
        /// The digest of the asker's tombstone state.
        digest: u64,
    },
    /// The answer to a `ReapQuery`.
    ReapReply {
        /// The key asked about.
        key: Key,
        /// The digest asked about, echoed.
        digest: u64,
        /// Whether the receiver holds exactly that tombstone state.
        holds: bool,
    },
}

/// What the reference store's nodes wake up for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DynamoTimer {
    /// A coordinator's request ran out of time.
    Timeout(u64),
    /// A coordinator turns to fallbacks for home nodes that have not answered.
    Handoff(u64),
    /// Time for the next anti-entropy exchange with a peer.
    AntiEntropy,
    /// Time to hand hints back and reap tombstones that are due.
    Maintenance,
    /// Time for a volatile node to sync its state (what a crash keeps).
    Sync,
}

/// What survives a durable crash; a volatile crash goes back to the last synced copy.
#[derive(Clone, Debug, Default, Hash)]
struct Stored {
    /// Keys this node is a home replica of.
    data: BTreeMap<Key, Arc<Object>>,
    /// Writes kept for another (home) node.
    hints: BTreeMap<(NodeId, Key), Hint>,
    /// The highest dot counter this actor minted, on any key. Counters are per actor, not per
    /// key, so a key whose object was reaped (and so forgot its context) never gets a dot it had
    /// before. The price: a write on a reaped key claims to have seen every earlier counter of
    /// its coordinator, so a stale replica's sibling minted by the same coordinator before the
    /// reap is dropped on merge rather than resurrected. Reaping loses data either way; without
    /// reaping an object never forgets, and the wider range covers only other keys' dots.
    minted: u64,
    /// What each reaped key's tombstone state was, so that it does not come back.
    reaped: BTreeMap<Key, Reaped>,
}

/// One node of the reference store.
#[derive(Debug, Hash)]
pub struct DynamoNode {
    id: NodeId,
    /// Survives every crash (like Riak's vnode epoch file); raised by each volatile crash.
    incarnation: u32,
    stored: Stored,
    synced: Option<Stored>,
    pending: BTreeMap<u64, Pending>,
    next_request: u64,
    changes: u64,
    ae_turn: u32,
    reap_due: BTreeMap<Key, u64>,
    reap_votes: BTreeMap<Key, Vec<NodeId>>,
    /// Whether a maintenance timer is set. It is set only while the node has hints to hand
    /// back or tombstones to reap: idle rounds were most of the steps of a small scenario.
    maintenance_armed: bool,
    /// How the last crash left the node, for its restart's probe (a crash has no effects).
    restart_probe: Option<DynamoProbe>,
}

type Out = StoreEffects<Dynamo>;

impl Dynamo {
    /// The reference store for a configuration, which must be valid.
    pub fn new(config: Config) -> Result<Dynamo, ConfigError> {
        let tuning = Tuning::for_config(&config);
        Dynamo::with_tuning(config, tuning)
    }

    /// The reference store with explicit timings; an error if the configuration is invalid or a timing is 0.
    pub fn with_tuning(config: Config, tuning: Tuning) -> Result<Dynamo, ConfigError> {
        config.validate()?;
        if tuning.handoff_delay_ms == 0
            || tuning.maintenance_period_ms == 0
            || tuning.sync_period_ms == 0
            || tuning.merkle_buckets == 0
        {
            return Err(ConfigError::Zero {
                name: "tuning",
                reason: "every store timing must be at least 1",
            });
        }
        let ring = Ring::new(config.nodes, config.vnodes_per_node);
        Ok(Dynamo {
            config,
            tuning,
            ring,
            placements: RefCell::new(HashMap::new()),
        })
    }

    /// The configuration the store runs.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The reference store's coverage probes (what [`Store::probes`] returns).
    pub fn probe_list() -> &'static [Probe] {
        &PROBES
    }

    /// The timings the store runs with.
    pub fn tuning(&self) -> &Tuning {
        &self.tuning
    }

    /// Every node once, in the order the key tries them: its n home nodes, then its fallbacks.
    /// A scenario's `coordinator: Some(i)` sends the request to the i-th home node here.
    pub fn preference_list(&self, key: &Key) -> Vec<NodeId> {
        self.list(key).to_vec()
    }

    fn list(&self, key: &Key) -> Arc<[NodeId]> {
        let position = stable_hash(key.0.as_bytes());
        let mut placements = self.placements.borrow_mut();
        let list = placements
            .entry(position)
            .or_insert_with(|| self.ring.preference_list_at(position).into());
        Arc::clone(list)
    }

    /// (home nodes, fallbacks) for a key.
    fn placement(&self, key: &Key) -> (Vec<NodeId>, Vec<NodeId>) {
        let list = self.list(key);
        let (home, fallbacks) = list.split_at(self.config.n as usize);
        (home.to_vec(), fallbacks.to_vec())
    }

    fn home(&self, key: &Key) -> Vec<NodeId> {
        self.list(key)[..self.config.n as usize].to_vec()
    }

    fn is_home(&self, key: &Key, node: NodeId) -> bool {
        self.list(key)[..self.config.n as usize].contains(&node)
    }

    /// The actor a node mints dots as (see [`ACTOR_STRIDE`]).
    fn actor(node: &DynamoNode) -> NodeId {
        NodeId(node.id.0 + ACTOR_STRIDE * node.incarnation)
    }

    /// Hands a message to the mechanism that owns its kind.
    fn handle_message(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        message: DynamoMessage,
    ) {
        match message {
            DynamoMessage::Store {
                key,
                object,
                ack,
                hint_for,
                replace,
            } => {
                self.on_store(node, out, key, &object, hint_for, replace);
                if let Some(ack) = ack {
                    out.send(from, DynamoMessage::StoreAck { ack, hint_for });
                }
            }
            DynamoMessage::StoreAck { ack, hint_for } => {
                self.on_store_ack(node, out, from, ack, hint_for);
            }
            DynamoMessage::Read {
                request,
                key,
                fallback,
            } => Dynamo::on_read(node, out, from, request, &key, fallback),
            DynamoMessage::ReadReply {
                request,
                object,
                reaped_timestamp,
                fallback,
            } => self.on_read_reply(
                node,
                out,
                from,
                request,
                Replied {
                    object,
                    reaped_timestamp,
                },
                fallback,
            ),
            DynamoMessage::Handoff {
                key,
                object,
                hint_version,
            } => self.on_handoff(node, out, from, key, &object, hint_version),
            DynamoMessage::HandoffAck { key, hint_version } => {
                Dynamo::on_handoff_ack(node, out, from, key, hint_version);
            }
            DynamoMessage::MerkleRoot { root } => self.on_merkle_root(node, out, from, root),
            DynamoMessage::MerkleBuckets { buckets } => {
                self.on_merkle_buckets(node, out, from, &buckets);
            }
            DynamoMessage::MerkleObjects {
                objects,
                buckets,
                answer,
            } => self.on_merkle_objects(node, out, from, &objects, buckets, answer),
            DynamoMessage::ReapQuery { key, digest } => {
                self.on_reap_query(node, out, from, key, digest);
            }
            DynamoMessage::ReapReply { key, digest, holds } => {
                self.on_reap_reply(node, out, from, &key, digest, holds);
            }
        }
    }

    /// Hands a timer to the mechanism that set it.
    fn handle_timer(&self, node: &mut DynamoNode, out: &mut Out, timer: DynamoTimer) {
        match timer {
            DynamoTimer::Timeout(local) => self.on_timeout(node, out, local),
            DynamoTimer::Handoff(local) => self.on_fallback_timer(node, out, local),
            DynamoTimer::AntiEntropy => self.on_anti_entropy_timer(node, out),
            DynamoTimer::Maintenance => {
                node.maintenance_armed = false;
                Dynamo::hand_back_hints(node, out);
                self.reap_due(node, out);
            }
            DynamoTimer::Sync => self.on_sync_timer(node, out),
        }
    }

    /// Sets the maintenance timer if the node has work for it and none is set. Called after
    /// every event, so work that appears (a hint stored, a tombstone due for reaping) is looked
    /// at within one maintenance period.
    fn arm_maintenance(&self, node: &mut DynamoNode, out: &mut Out) {
        let work = !node.stored.hints.is_empty() || !node.reap_due.is_empty();
        if work && !node.maintenance_armed {
            node.maintenance_armed = true;
            out.set_timer(self.tuning.maintenance_period_ms, DynamoTimer::Maintenance);
        }
    }
}

impl Store for Dynamo {
    type Node = DynamoNode;
    type Message = DynamoMessage;
    type Timer = DynamoTimer;
    type Context = VersionVector;

    /// Every field through its `Hash`: the same fields as the `Debug` text, without formatting
    /// it (formatting was most of the explorer's time).
    fn node_hash(&self, node: &DynamoNode) -> u64 {
        crate::stable_hash::hash_of(node)
    }

    fn message_hash(&self, message: &DynamoMessage) -> u64 {
        crate::stable_hash::hash_of(message)
    }

    fn nodes(&self) -> u32 {
        self.config.nodes
    }

    fn boot(&self, id: NodeId) -> DynamoNode {
        DynamoNode {
            id,
            incarnation: 0,
            stored: Stored::default(),
            synced: (self.config.durability == Durability::Volatile).then(Stored::default),
            pending: BTreeMap::new(),
            next_request: 0,
            changes: 0,
            ae_turn: 0,
            reap_due: BTreeMap::new(),
            reap_votes: BTreeMap::new(),
            maintenance_armed: false,
            restart_probe: None,
        }
    }

    fn route(&self, key: &Key, pick: u64) -> NodeId {
        let home = self.home(key);
        home[(pick % home.len() as u64) as usize]
    }

    fn replicas(&self, key: &Key) -> Vec<NodeId> {
        let mut home = self.home(key);
        home.sort();
        home
    }

    fn on_start(&self, node: &mut DynamoNode, out: &mut Out) {
        if let Some(probe) = node.restart_probe.take() {
            Dynamo::hit(out, probe);
        }
        self.start_anti_entropy(node.id, out);
        self.start_syncing(out);
        // Timers set before a crash are gone; maintenance is set again only if there is work.
        node.maintenance_armed = false;
        self.arm_maintenance(node, out);
    }

    fn on_request(&self, node: &mut DynamoNode, out: &mut Out, request: Request<VersionVector>) {
        self.handle_request(node, out, request);
        self.arm_maintenance(node, out);
    }

    fn on_message(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        message: DynamoMessage,
    ) {
        self.handle_message(node, out, from, message);
        self.arm_maintenance(node, out);
    }

    fn on_timer(&self, node: &mut DynamoNode, out: &mut Out, timer: DynamoTimer) {
        self.handle_timer(node, out, timer);
        self.arm_maintenance(node, out);
    }

    fn on_crash(&self, node: &mut DynamoNode) -> bool {
        self.crash(node)
    }

    fn probes(&self) -> &'static [Probe] {
        &PROBES
    }

    fn on_disk_loss(&self, id: NodeId, node: &mut DynamoNode) {
        self.lose_disk(id, node);
    }

    fn describe(&self, message: &DynamoMessage) -> String {
        describe::message(message)
    }

    fn snapshot(&self, node: &DynamoNode, key: &Key) -> ReplicaSnapshot {
        self.replica_snapshot(node, key)
    }

    fn is_quiet(&self, node: &DynamoNode) -> bool {
        node.pending.is_empty() && node.stored.hints.is_empty() && node.reap_due.is_empty()
    }

    fn changes(&self, node: &DynamoNode) -> u64 {
        node.changes
    }

    fn quiet_window_ms(&self) -> u64 {
        let repair_ms = 2 * self.tuning.maintenance_period_ms + self.config.request_timeout_ms;
        match self.config.anti_entropy_period_ms {
            Some(period_ms) => period_ms * u64::from(self.config.nodes) + repair_ms,
            None => repair_ms,
        }
    }
}
