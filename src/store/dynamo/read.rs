//! The get: its coordinator asks the key's home nodes for their copies, answers the client with
//! the merge of the replies once r of them count, and finishes the read (repairing what the
//! replies show stale) once every home node replied or time ran out.
//!
//! Owns: a read in flight ([`ReadPending`]), counting replies toward r, the merge of the replies
//! and the get's answer (its versions and the causal context the client writes with next). Bug
//! hooks: `quorum-double-count` (a duplicated reply counts again), `lww-reversed` (the merge
//! keeps the older LWW version) and `stale-context` (the answer's context misses a sibling).
//!
//! Must never: answer before r replies count (fallbacks count only under a sloppy quorum,
//! [`Dynamo::read_reply_counts`]), count one node's reply twice, or answer with a context that
//! does not cover every version it returns.

use std::sync::Arc;

use crate::causality::{Dot, NodeId, VersionVector};
use crate::config::Bug;
use crate::history::{Key, StoreMeta};
use crate::store::{Object, Reply, RequestId};

use super::coordination::Pending;
use super::replica::merge_shared;
use super::{Dynamo, DynamoNode, DynamoProbe, DynamoTimer, Out};

/// A get in flight at its coordinator.
#[derive(Debug, Hash)]
pub(super) struct ReadPending {
    pub(super) client: RequestId,
    pub(super) key: Key,
    pub(super) home: Vec<NodeId>,
    pub(super) fallbacks: Vec<NodeId>,
    pub(super) replies: Vec<ReadReplyRecord>,
    pub(super) answered: bool,
    pub(super) fallbacks_asked: bool,
    /// Blocking read repair: the merged state at quorum, and the replicas still to acknowledge it.
    pub(super) quorum_merge: Option<Option<Arc<Object>>>,
    pub(super) repairing: Vec<NodeId>,
}

/// One reply to a get: who sent it, what it holds, and whether it answered as a fallback.
#[derive(Debug, Hash)]
pub(super) struct ReadReplyRecord {
    pub(super) node: NodeId,
    pub(super) object: Option<Arc<Object>>,
    pub(super) fallback: bool,
}

impl Dynamo {
    /// Starts a get: ask the home nodes (and count this node's own copy if it is one).
    pub(super) fn start_get(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        local: u64,
        client: RequestId,
        key: Key,
    ) {
        let (home, fallbacks) = self.placement(&key);
        let own = self.ask_home(node, out, local, &key, &home);
        if self.reads_ask_fallbacks() {
            out.set_timer(self.tuning.handoff_delay_ms, DynamoTimer::Handoff(local));
        }
        node.pending.insert(
            local,
            Pending::Read(ReadPending {
                client,
                key,
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
            let me = node.id;
            self.on_get_reply(node, out, me, local, object, false);
        }
    }

    /// A reply to a get.
    pub(super) fn on_get_reply(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        local: u64,
        object: Option<Arc<Object>>,
        fallback: bool,
    ) {
        let Some(Pending::Read(read)) = node.pending.get_mut(&local) else {
            return;
        };
        // The `quorum-double-count` bug: a duplicated reply counts again.
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

    /// After every reply or repair acknowledgement: answer at quorum (once blocking repairs are
    /// acknowledged), and finish once every home node replied.
    pub(super) fn progress_read(&self, node: &mut DynamoNode, out: &mut Out, local: u64) {
        let me = node.id;
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
                // The `stale-context` bug: the context misses the last sibling's dot.
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
            Dynamo::hit(out, DynamoProbe::RepairOfCoordinator);
            self.repair_own(node, out, &key, &merged);
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
    pub(super) fn finish_read(&self, node: &mut DynamoNode, out: &mut Out, local: u64) {
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
    pub(super) fn merge_replies(&self, replies: &[ReadReplyRecord]) -> Option<Arc<Object>> {
        // The `lww-reversed` bug: the merge keeps the smaller LWW version, not the greater.
        let lww_reversed = self.config.has_bug(Bug::LwwReversed);
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
