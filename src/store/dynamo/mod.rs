//! The reference leaderless store: Riak KV's design with Cassandra's options (DESIGN.md §1).
//!
//! Every handler here works on one node's [`DynamoNode`] and answers with effects; nothing here
//! knows about time except the node's clock, or about the network except the messages it sends.
//! All repair paths (replication, read repair, anti-entropy, hinted handoff) go through one
//! merge ([`Object::merge`]), which never overwrites.
//!
//! The deliberate bugs of the bug zoo ([`Bug`], DESIGN.md §7) are hooks here, each behind
//! [`Config::has_bug`]; with the configuration's `bugs` empty, every hook takes the correct path.

mod anti_entropy;
mod crash;
mod handoff;
mod read_repair;
mod reaping;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::causality::{Dot, NodeId, SiblingSet, VersionVector};
use crate::config::{Bug, Config, ConfigError, Durability, Resolution, Timestamps};
use crate::history::{Key, ReplicaSnapshot, StoreMeta, Value};

use self::handoff::Hint;
use self::reaping::Reaped;
use super::object::{Object, Version};
use super::ring::{stable_hash, Ring};
use super::{Reply, Request, RequestAction, RequestId, Store, StoreEffects};

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
    pub fn for_config(config: &Config) -> Tuning {
        Tuning {
            handoff_delay_ms: (config.request_timeout_ms / 4).max(1),
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

/// What the reference store's nodes send each other.
#[derive(Clone, Debug)]
pub enum DynamoMessage {
    /// Merge `object` in (replication, read repair); with `hint_for`, keep it as a hint for that
    /// home node. Acknowledged when `ack` names a coordinator's request. `replace` is set only by
    /// the `repair-overwrites` bug: the receiver replaces its state instead of merging.
    Store {
        key: Key,
        object: Arc<Object>,
        ack: Option<u64>,
        hint_for: Option<NodeId>,
        replace: bool,
    },
    StoreAck {
        ack: u64,
        hint_for: Option<NodeId>,
    },
    /// Send back what you hold for `key` (as a fallback: the hints you hold for it).
    Read {
        request: u64,
        key: Key,
        fallback: bool,
    },
    ReadReply {
        request: u64,
        object: Option<Arc<Object>>,
        fallback: bool,
    },
    /// A fallback hands a hint back to its home node.
    Handoff {
        key: Key,
        object: Arc<Object>,
        hint_version: u64,
    },
    HandoffAck {
        key: Key,
        hint_version: u64,
    },
    /// Anti-entropy, step 1: the root of my tree over the keys we share.
    MerkleRoot {
        root: u64,
    },
    /// Step 2: ours differ; here are my leaves.
    MerkleBuckets {
        buckets: Vec<u64>,
    },
    /// Steps 3 and 4: my objects in the leaves that differ (`answer`: send yours back).
    MerkleObjects {
        objects: Vec<(Key, Arc<Object>)>,
        buckets: Vec<u32>,
        answer: bool,
    },
    /// Reaping: do you hold exactly this tombstone state?
    ReapQuery {
        key: Key,
        digest: u64,
    },
    ReapReply {
        key: Key,
        digest: u64,
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
    AntiEntropy,
    Maintenance,
    Sync,
}

/// What survives a durable crash; a volatile crash goes back to the last synced copy.
#[derive(Clone, Debug, Default)]
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
#[derive(Debug)]
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
}

#[derive(Debug)]
enum Pending {
    Write(WritePending),
    Read(ReadPending),
    /// ABD, phase 1: reading the highest timestamp before writing.
    Stamp(StampPending),
}

/// A write a coordinator is about to replicate: for which request, on which key, what.
#[derive(Debug)]
struct WriteOrder {
    client: RequestId,
    key: Key,
    version: Version,
}

#[derive(Debug)]
struct WritePending {
    client: RequestId,
    key: Key,
    object: Arc<Object>,
    home: Vec<NodeId>,
    fallbacks: Vec<NodeId>,
    acked: Vec<NodeId>,
    fallback_acked: Vec<NodeId>,
    hinted: Vec<NodeId>,
    answered: bool,
    meta: StoreMeta,
}

#[derive(Debug)]
struct ReadReplyRecord {
    node: NodeId,
    object: Option<Arc<Object>>,
    fallback: bool,
}

#[derive(Debug)]
struct ReadPending {
    client: RequestId,
    key: Key,
    home: Vec<NodeId>,
    fallbacks: Vec<NodeId>,
    replies: Vec<ReadReplyRecord>,
    answered: bool,
    fallbacks_asked: bool,
    /// Blocking read repair: the merged state at quorum, and the replicas still to acknowledge it.
    quorum_merge: Option<Option<Arc<Object>>>,
    repairing: Vec<NodeId>,
}

#[derive(Debug)]
struct StampPending {
    client: RequestId,
    key: Key,
    version: Version,
    replies: Vec<NodeId>,
    timestamp_max: u64,
}

type Out = StoreEffects<Dynamo>;

impl Dynamo {
    /// The reference store for a configuration, which must be valid.
    pub fn new(config: Config) -> Result<Dynamo, ConfigError> {
        let tuning = Tuning::for_config(&config);
        Dynamo::with_tuning(config, tuning)
    }

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

    pub fn config(&self) -> &Config {
        &self.config
    }

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

    fn actor(node: &DynamoNode) -> NodeId {
        NodeId(node.id.0 + ACTOR_STRIDE * node.incarnation)
    }

    /// The context a put is stored with: the client's, unless a bug changes it. `vnode-clock`
    /// adds the coordinator's own entry as the local object has it (Riak's pre-DVV vclock
    /// increment, which claims the put saw every earlier write of this coordinator);
    /// `ignore-context` drops it.
    fn effective_context(
        &self,
        context: &VersionVector,
        local: &SiblingSet<Version>,
        actor: NodeId,
    ) -> VersionVector {
        if self.config.has_bug(Bug::IgnoreContext) {
            return VersionVector::new();
        }
        let mut context = context.clone();
        if self.config.has_bug(Bug::VnodeClock) {
            if let Some(dot) = Dot::new(actor, local.context().get(actor)) {
                context.add(dot);
            }
        }
        context
    }

    /// Merges `object` into this node's home copy of `key`; returns whether it changed.
    fn absorb(
        &self,
        node: &mut DynamoNode,
        key: &Key,
        object: &Arc<Object>,
        clock_ms: u64,
    ) -> bool {
        let changed = match node.stored.data.get_mut(key) {
            Some(mine) if Arc::ptr_eq(mine, object) => false,
            // Copy-on-write: a copy is made only when a message in flight still shares it.
            Some(mine) => merge_shared(mine, object),
            None => {
                let Some(object) = reaping::comes_back(node.stored.reaped.get(key), object) else {
                    return false;
                };
                node.stored.reaped.remove(key);
                node.stored.data.insert(key.clone(), object);
                true
            }
        };
        if changed {
            node.changes += 1;
            self.after_change(node, key, clock_ms);
        }
        changed
    }

    fn start_write(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        local: u64,
        order: WriteOrder,
        context: &VersionVector,
    ) {
        let WriteOrder {
            client,
            key,
            version,
        } = order;
        let me = node.id;
        let (home, fallbacks) = self.placement(&key);
        let mut meta = StoreMeta::default();
        let object = match self.config.resolution {
            Resolution::Siblings => {
                let actor = Dynamo::actor(node);
                let mut set = match node.stored.data.get(&key).map(|object| &**object) {
                    Some(Object::Siblings(set)) => set.clone(),
                    _ => SiblingSet::new(),
                };
                let counter = node.stored.minted.max(set.context().get(actor)) + 1;
                node.stored.minted = counter;
                let dot = Dot::new(actor, counter).expect("counter + 1 is never 0");
                let context = self.effective_context(context, &set, actor);
                set.insert(dot, &context, version);
                meta.dot = Some(dot);
                meta.context_vv = Some(context);
                Object::Siblings(set)
            }
            Resolution::Lww => {
                meta.timestamp = Some(version.timestamp);
                Object::Lww(version)
            }
        };
        let object = Arc::new(object);
        let mut acked = Vec::with_capacity(home.len());
        if home.contains(&me) {
            self.absorb(node, &key, &object, out.clock_ms());
            acked.push(me);
        }
        for &peer in home.iter().filter(|&&peer| peer != me) {
            out.send(
                peer,
                DynamoMessage::Store {
                    key: key.clone(),
                    object: Arc::clone(&object),
                    ack: Some(local),
                    hint_for: None,
                    replace: false,
                },
            );
        }
        if self.config.hinted_handoff {
            out.set_timer(self.tuning.handoff_delay_ms, DynamoTimer::Handoff(local));
        }
        node.pending.insert(
            local,
            Pending::Write(WritePending {
                client,
                key,
                object,
                home,
                fallbacks,
                acked,
                fallback_acked: Vec::new(),
                hinted: Vec::new(),
                answered: false,
                meta,
            }),
        );
        self.progress_write(node, out, local);
    }

    fn progress_write(&self, node: &mut DynamoNode, out: &mut Out, local: u64) {
        let Some(Pending::Write(write)) = node.pending.get_mut(&local) else {
            return;
        };
        let mut count = write.acked.len();
        if self.config.sloppy_quorum {
            count += write.fallback_acked.len();
        }
        if !write.answered && count >= self.config.w as usize {
            write.answered = true;
            out.reply(
                write.client,
                Reply::Written {
                    meta: write.meta.clone(),
                },
            );
        }
        if write.answered && write.acked.len() == write.home.len() {
            node.pending.remove(&local);
        }
    }

    fn progress_read(&self, node: &mut DynamoNode, out: &mut Out, local: u64) {
        let me = node.id;
        let clock_ms = out.clock_ms();
        let Some(Pending::Read(read)) = node.pending.get_mut(&local) else {
            return;
        };
        let counted = read
            .replies
            .iter()
            .filter(|reply| self.read_reply_counts(reply.fallback))
            .count();
        let mut repair_self = None;
        if !read.answered && read.quorum_merge.is_none() && counted >= self.config.r as usize {
            let merged = self.merge_replies(&read.replies);
            if let Some(merged) = &merged {
                repair_self = self.repair_before_answer(read, me, local, merged, out);
            }
            read.quorum_merge = Some(merged);
        }
        if !read.answered && read.repairing.is_empty() {
            if let Some(merged) = &read.quorum_merge {
                read.answered = true;
                let stale_context = self.config.has_bug(Bug::StaleContext);
                out.reply(read.client, read_reply(merged.as_deref(), stale_context));
            }
        }
        let all_home_replied = read
            .home
            .iter()
            .all(|home| read.replies.iter().any(|r| r.node == *home && !r.fallback));
        let key = read.key.clone();
        if let Some(merged) = repair_self {
            self.repair_own(node, &key, &merged, clock_ms);
        }
        if all_home_replied {
            let answered = matches!(node.pending.get(&local), Some(Pending::Read(r)) if r.answered && r.repairing.is_empty());
            if answered {
                self.finish_read(node, out, local);
            }
        }
    }

    /// The read is over (everyone answered, or time ran out): fail it if unanswered, and repair
    /// the replicas that answered with less than the merge (unless read repair is off).
    fn finish_read(&self, node: &mut DynamoNode, out: &mut Out, local: u64) {
        let Some(Pending::Read(read)) = node.pending.remove(&local) else {
            return;
        };
        if !read.answered {
            out.reply(
                read.client,
                Reply::Failed {
                    meta: StoreMeta::default(),
                },
            );
        }
        self.repair_after_read(node, out, &read);
    }

    /// The merge of a read's replies.
    fn merge_replies(&self, replies: &[ReadReplyRecord]) -> Option<Arc<Object>> {
        // The `lww-reversed` bug: the merge keeps the smaller LWW version, not the greater.
        let lww_reversed = self.config.has_bug(Bug::LwwReversed);
        merge_replies(replies, lww_reversed)
    }

    fn on_read_reply(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        local: u64,
        object: Option<Arc<Object>>,
        fallback: bool,
    ) {
        match node.pending.get_mut(&local) {
            Some(Pending::Read(read)) => {
                let double_count = self.config.has_bug(Bug::QuorumDoubleCount);
                if !double_count && read.replies.iter().any(|r| r.node == from) {
                    return; // a duplicate
                }
                read.replies.push(ReadReplyRecord {
                    node: from,
                    object,
                    fallback,
                });
                self.progress_read(node, out, local);
            }
            Some(Pending::Stamp(stamp)) => {
                let double_count = self.config.has_bug(Bug::QuorumDoubleCount);
                if (!double_count && stamp.replies.contains(&from)) || !self.counts(fallback) {
                    return;
                }
                stamp.replies.push(from);
                let timestamp = object.as_deref().map_or(0, Object::timestamp);
                stamp.timestamp_max = stamp.timestamp_max.max(timestamp);
                if stamp.replies.len() >= self.config.r as usize {
                    let Some(Pending::Stamp(stamp)) = node.pending.remove(&local) else {
                        unreachable!("matched above");
                    };
                    let version = Version {
                        timestamp: stamp.timestamp_max + 1,
                        ..stamp.version
                    };
                    self.start_write(
                        node,
                        out,
                        local,
                        WriteOrder {
                            client: stamp.client,
                            key: stamp.key,
                            version,
                        },
                        &VersionVector::new(),
                    );
                }
            }
            _ => {}
        }
    }

    fn local_read(&self, node: &DynamoNode, key: &Key, fallback: bool) -> Option<Arc<Object>> {
        if !fallback {
            return node.stored.data.get(key).cloned();
        }
        Dynamo::hinted(node, key)
    }

    fn on_timeout(&self, node: &mut DynamoNode, out: &mut Out, local: u64) {
        match node.pending.get(&local) {
            Some(Pending::Read(_)) => self.finish_read(node, out, local),
            Some(Pending::Write(write)) => {
                if !write.answered {
                    out.reply(
                        write.client,
                        Reply::Failed {
                            meta: write.meta.clone(),
                        },
                    );
                }
                node.pending.remove(&local);
            }
            Some(Pending::Stamp(stamp)) => {
                out.reply(
                    stamp.client,
                    Reply::Failed {
                        meta: StoreMeta::default(),
                    },
                );
                node.pending.remove(&local);
            }
            None => {}
        }
    }

    fn on_maintenance(&self, node: &mut DynamoNode, out: &mut Out) {
        node.maintenance_armed = false;
        Dynamo::hand_back_hints(node, out);
        self.reap_due(node, out);
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

    fn handle_request(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        request: Request<VersionVector>,
    ) {
        let local = node.next_request;
        node.next_request += 1;
        let me = node.id;
        let clock_ms = out.clock_ms();
        out.set_timer(self.config.request_timeout_ms, DynamoTimer::Timeout(local));
        let (value, context, tombstone) = match request.action {
            RequestAction::Get => {
                let (home, fallbacks) = self.placement(&request.key);
                for &peer in home.iter().filter(|&&peer| peer != me) {
                    out.send(
                        peer,
                        DynamoMessage::Read {
                            request: local,
                            key: request.key.clone(),
                            fallback: false,
                        },
                    );
                }
                if self.reads_ask_fallbacks() {
                    out.set_timer(self.tuning.handoff_delay_ms, DynamoTimer::Handoff(local));
                }
                let own = home
                    .contains(&me)
                    .then(|| node.stored.data.get(&request.key).cloned());
                node.pending.insert(
                    local,
                    Pending::Read(ReadPending {
                        client: request.id,
                        key: request.key,
                        home,
                        fallbacks,
                        replies: Vec::new(),
                        answered: false,
                        fallbacks_asked: false,
                        quorum_merge: None,
                        repairing: Vec::new(),
                    }),
                );
                if let Some(object) = own {
                    self.on_read_reply(node, out, me, local, object, false);
                }
                return;
            }
            RequestAction::Put { value, context } => (value, context, false),
            RequestAction::Delete { value, context } => (value, context, true),
        };
        let version = Version {
            value,
            tombstone,
            timestamp: clock_ms,
        };
        if self.config.resolution == Resolution::Lww && self.config.timestamps == Timestamps::Quorum
        {
            let home = self.home(&request.key);
            for &peer in home.iter().filter(|&&peer| peer != me) {
                out.send(
                    peer,
                    DynamoMessage::Read {
                        request: local,
                        key: request.key.clone(),
                        fallback: false,
                    },
                );
            }
            let own = home
                .contains(&me)
                .then(|| node.stored.data.get(&request.key).cloned());
            node.pending.insert(
                local,
                Pending::Stamp(StampPending {
                    client: request.id,
                    key: request.key,
                    version,
                    replies: Vec::new(),
                    timestamp_max: 0,
                }),
            );
            if let Some(object) = own {
                self.on_read_reply(node, out, me, local, object, false);
            }
            return;
        }
        let order = WriteOrder {
            client: request.id,
            key: request.key,
            version,
        };
        self.start_write(node, out, local, order, &context);
    }

    fn handle_message(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        message: DynamoMessage,
    ) {
        let clock_ms = out.clock_ms();
        match message {
            DynamoMessage::Store {
                key,
                object,
                ack,
                hint_for,
                replace,
            } => {
                match hint_for {
                    Some(home) if home != node.id => self.keep_hint(node, home, key, &object),
                    _ if replace => self.overwrite(node, &key, &object, clock_ms),
                    _ => {
                        self.absorb(node, &key, &object, clock_ms);
                    }
                }
                if let Some(ack) = ack {
                    out.send(from, DynamoMessage::StoreAck { ack, hint_for });
                }
            }
            DynamoMessage::StoreAck { ack, hint_for } => match node.pending.get_mut(&ack) {
                Some(Pending::Write(write)) => {
                    let list = if hint_for.is_some() {
                        &mut write.fallback_acked
                    } else {
                        &mut write.acked
                    };
                    if !list.contains(&from) || self.config.has_bug(Bug::QuorumDoubleCount) {
                        list.push(from);
                    }
                    self.progress_write(node, out, ack);
                }
                Some(Pending::Read(read)) => {
                    read.repairing.retain(|&node| node != from);
                    self.progress_read(node, out, ack);
                }
                _ => {}
            },
            DynamoMessage::Read {
                request,
                key,
                fallback,
            } => {
                let object = self.local_read(node, &key, fallback);
                out.send(
                    from,
                    DynamoMessage::ReadReply {
                        request,
                        object,
                        fallback,
                    },
                );
            }
            DynamoMessage::ReadReply {
                request,
                object,
                fallback,
            } => self.on_read_reply(node, out, from, request, object, fallback),
            DynamoMessage::Handoff {
                key,
                object,
                hint_version,
            } => self.on_handoff(node, out, from, key, &object, hint_version),
            DynamoMessage::HandoffAck { key, hint_version } => {
                Dynamo::on_handoff_ack(node, from, key, hint_version);
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
                self.on_reap_reply(node, from, &key, digest, holds);
            }
        }
    }

    fn handle_timer(&self, node: &mut DynamoNode, out: &mut Out, timer: DynamoTimer) {
        match timer {
            DynamoTimer::Timeout(local) => self.on_timeout(node, out, local),
            DynamoTimer::Handoff(local) => self.on_fallback_timer(node, out, local),
            DynamoTimer::AntiEntropy => self.on_anti_entropy_timer(node, out),
            DynamoTimer::Maintenance => self.on_maintenance(node, out),
            DynamoTimer::Sync => self.on_sync_timer(node, out),
        }
    }
}

/// Merges `other` into a shared object, copying it first only if it is shared and would change.
fn merge_shared(into: &mut Arc<Object>, other: &Object) -> bool {
    if !into.would_change(other) {
        return false;
    }
    Arc::make_mut(into).merge(other)
}

/// The merge of a read's replies; `lww_reversed` (the `lww-reversed` bug) keeps the smaller LWW
/// version instead of the greater.
fn merge_replies(replies: &[ReadReplyRecord], lww_reversed: bool) -> Option<Arc<Object>> {
    let mut merged: Option<Arc<Object>> = None;
    for object in replies.iter().filter_map(|reply| reply.object.as_ref()) {
        match &mut merged {
            Some(into) if lww_reversed && into.keeps_smaller_lww(object) => {
                *into = Arc::clone(object);
            }
            Some(into) => {
                merge_shared(into, object);
            }
            None => merged = Some(Arc::clone(object)),
        }
    }
    merged
}

/// A get's answer; `stale_context` (the `stale-context` bug) leaves the last sibling's dot out of
/// the context of a result with several siblings.
fn read_reply(merged: Option<&Object>, stale_context: bool) -> Reply<VersionVector> {
    let versions = merged.map(Object::read_values).unwrap_or_default();
    let mut context_vv = merged.and_then(|object| object.context().cloned());
    if let (true, Some(Object::Siblings(set)), Some(context)) = (stale_context, merged, &context_vv)
    {
        if let [.., missed] = set.siblings() {
            if set.siblings().len() > 1 {
                context_vv = Some(without_dot(context, missed.dot));
            }
        }
    }
    let context = context_vv.clone().unwrap_or_default();
    let meta = StoreMeta {
        context_vv,
        ..StoreMeta::default()
    };
    Reply::Read {
        versions,
        context,
        meta,
    }
}

/// `context` lowered so that it no longer covers `dot` (nor the later events of its node).
fn without_dot(context: &VersionVector, dot: Dot) -> VersionVector {
    let mut lowered = VersionVector::new();
    for (node, counter) in context.entries() {
        let counter = if node == dot.node {
            counter.min(dot.counter.get() - 1)
        } else {
            counter
        };
        if let Some(kept) = Dot::new(node, counter) {
            lowered.add(kept);
        }
    }
    lowered
}

impl Store for Dynamo {
    type Node = DynamoNode;
    type Message = DynamoMessage;
    type Timer = DynamoTimer;
    type Context = VersionVector;

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

    fn snapshot(&self, node: &DynamoNode, key: &Key) -> ReplicaSnapshot {
        let object = node.stored.data.get(key).map(|object| &**object);
        let mut values: Vec<Value> = Vec::new();
        let mut tombstones: Vec<Value> = Vec::new();
        if let Some(object) = object {
            for version in object.versions() {
                if version.tombstone {
                    tombstones.push(version.value.clone());
                } else {
                    values.push(version.value.clone());
                }
            }
        }
        ReplicaSnapshot {
            key: key.clone(),
            node: node.id,
            values,
            tombstones,
            context_vv: match self.config.resolution {
                Resolution::Siblings => Some(
                    object
                        .and_then(Object::context)
                        .cloned()
                        .unwrap_or_default(),
                ),
                Resolution::Lww => None,
            },
        }
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

#[cfg(test)]
mod tests {
    //! The handlers alone, without the simulator: how a store's logic can be tested directly.

    use super::*;
    use crate::store::Effects;

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
}
