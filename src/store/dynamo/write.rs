//! The put and the delete (a delete writes a tombstone): the coordinator makes the new version
//! (under siblings it mints a dot, under LWW it stamps a timestamp), keeps it if it is a home node,
//! sends it to the other home nodes, and answers the client once w of them acknowledged. Under
//! LWW with `timestamps: quorum`, the write first reads the highest timestamp from r home nodes
//! and stamps one more (ABD's first phase).
//!
//! Owns: a write in flight ([`WritePending`]) and a timestamp read in flight ([`StampPending`]),
//! minting dots, the context a put is stored with, LWW stamping, replication to the home nodes
//! and counting acknowledgements toward w. Bug hooks: `vnode-clock` and `ignore-context` (the
//! context a put is stored with), `quorum-double-count` (a duplicated acknowledgement or
//! timestamp reply counts again), `lazy-replication` (a write sent to only as many home nodes
//! as w needs).
//!
//! Must never: mint a dot this actor minted before (counters are per actor, over every key),
//! answer before w acknowledgements count (fallbacks only under a sloppy quorum), or roll a
//! write back: a failed write may still take effect.

use std::sync::Arc;

use crate::causality::{Dot, NodeId, SiblingSet, VersionVector};
use crate::config::{Bug, Resolution};
use crate::history::{Key, StoreMeta};
use crate::store::{Object, Reply, RequestId, Version};

use super::coordination::{Pending, Replied};
use super::{Dynamo, DynamoMessage, DynamoNode, DynamoProbe, DynamoTimer, Out};

/// A write a coordinator is about to replicate: for which request, on which key, what.
#[derive(Debug)]
pub(super) struct WriteOrder {
    pub(super) client: RequestId,
    pub(super) key: Key,
    pub(super) version: Version,
}

/// A put or delete in flight at its coordinator.
#[derive(Debug, Hash)]
pub(super) struct WritePending {
    pub(super) client: RequestId,
    pub(super) key: Key,
    pub(super) object: Arc<Object>,
    pub(super) home: Vec<NodeId>,
    pub(super) fallbacks: Vec<NodeId>,
    pub(super) acked: Vec<NodeId>,
    pub(super) fallback_acked: Vec<NodeId>,
    pub(super) hinted: Vec<NodeId>,
    pub(super) answered: bool,
    pub(super) meta: StoreMeta,
}

/// ABD's first phase in flight: the highest timestamp the home nodes replied with so far.
#[derive(Debug, Hash)]
pub(super) struct StampPending {
    pub(super) client: RequestId,
    pub(super) key: Key,
    pub(super) version: Version,
    pub(super) replies: Vec<NodeId>,
    pub(super) timestamp_max: u64,
}

impl Dynamo {
    /// Starts an LWW write under quorum timestamps: ask the home nodes for their timestamps.
    pub(super) fn start_stamp(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        local: u64,
        order: WriteOrder,
    ) {
        let home = self.home(&order.key);
        let own = self.ask_home(node, out, local, &order.key, &home);
        let own_reaped_timestamp = Dynamo::reaped_timestamp(node, &order.key);
        node.pending.insert(
            local,
            Pending::Stamp(StampPending {
                client: order.client,
                key: order.key,
                version: order.version,
                replies: Vec::new(),
                timestamp_max: 0,
            }),
        );
        if let Some(object) = own {
            let me = node.id;
            let replied = Replied {
                reaped_timestamp: own_reaped_timestamp,
                object,
            };
            self.on_stamp_reply(node, out, me, local, &replied, false);
        }
    }

    /// A reply to a timestamp read: at r replies, write with the highest timestamp plus one (a
    /// reaped tombstone's included).
    pub(super) fn on_stamp_reply(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        local: u64,
        replied: &Replied,
        fallback: bool,
    ) {
        let Some(Pending::Stamp(stamp)) = node.pending.get_mut(&local) else {
            return;
        };
        // The `quorum-double-count` bug: a duplicated reply counts again.
        let double_count = self.config.has_bug(Bug::QuorumDoubleCount);
        if (!double_count && stamp.replies.contains(&from)) || !self.counts(fallback) {
            return;
        }
        stamp.replies.push(from);
        // A key this replica reaped holds nothing, but its tombstone's timestamp still counts.
        let timestamp = replied
            .object
            .as_deref()
            .map_or(0, Object::timestamp)
            .max(replied.reaped_timestamp);
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

    /// Makes the new version (a dot minted under siblings, the stamped version under LWW), keeps
    /// it if this node is a home node, and replicates it to the other home nodes.
    pub(super) fn start_write(
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
            self.absorb(node, out, &key, &object);
            acked.push(me);
        }
        // The `lazy-replication` bug: the write goes only to as many other home nodes as w
        // needs (the coordinator's own copy counts); the rest are left to repair.
        let fanout = if self.config.has_bug(Bug::LazyReplication) {
            (self.config.w as usize).saturating_sub(acked.len())
        } else {
            home.len()
        };
        for &peer in home.iter().filter(|&&peer| peer != me).take(fanout) {
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

    /// The context a put is stored with: the client's, unless a bug changes it.
    fn effective_context(
        &self,
        context: &VersionVector,
        local: &SiblingSet<Version>,
        actor: NodeId,
    ) -> VersionVector {
        // The `ignore-context` bug: the put is stored with an empty context.
        if self.config.has_bug(Bug::IgnoreContext) {
            return VersionVector::new();
        }
        let mut context = context.clone();
        // The `vnode-clock` bug: the coordinator adds its own entry as the local object has it
        // (Riak's pre-DVV vclock increment, which claims the put saw every earlier write of this
        // coordinator).
        if self.config.has_bug(Bug::VnodeClock) {
            if let Some(dot) = Dot::new(actor, local.context().get(actor)) {
                context.add(dot);
            }
        }
        context
    }

    /// A home node (or, with `hint_for`, a fallback) acknowledged the write.
    pub(super) fn on_write_ack(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        local: u64,
        hint_for: Option<NodeId>,
    ) {
        let Some(Pending::Write(write)) = node.pending.get_mut(&local) else {
            return;
        };
        let list = if hint_for.is_some() {
            &mut write.fallback_acked
        } else {
            &mut write.acked
        };
        // The `quorum-double-count` bug: a duplicated acknowledgement counts again.
        if !list.contains(&from) || self.config.has_bug(Bug::QuorumDoubleCount) {
            list.push(from);
        } else {
            Dynamo::hit(out, DynamoProbe::DuplicateAckIgnored);
        }
        self.progress_write(node, out, local);
    }

    /// Answers at w acknowledgements; forgets the write once every home node acknowledged.
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
            if write.acked.len() < self.config.w as usize {
                Dynamo::hit(out, DynamoProbe::FallbackCountedTowardW);
            }
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
}
