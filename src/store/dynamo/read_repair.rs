//! Read repair: a get's coordinator sends the merge of the replies it got to the home replicas
//! that answered with less. Asynchronous (`read_repair: async`) once the read is over; blocking
//! (`read_repair: blocking`) before the get is answered, which then waits for the stale
//! replicas to acknowledge the repair.
//!
//! Owns: which replicas are stale ([`stale`]), the repair messages and the coordinator's repair
//! of its own copy. Bug hook: `repair-overwrites` (the stale replica replaces its state with the
//! merge, [`Dynamo::overwrite`], instead of merging it in).
//!
//! Must never: repair a fallback (it answered with hints, not a copy of its own), or repair
//! anything under `read_repair: off`; outside the bug, a repair is a merge like any other
//! ([`Dynamo::absorb`]) and can only add to the replica.

use std::sync::Arc;

use crate::causality::NodeId;
use crate::config::{Bug, ReadRepair};
use crate::history::Key;
use crate::store::Object;

use super::coordination::Pending;
use super::read::ReadPending;
use super::{Dynamo, DynamoMessage, DynamoNode, DynamoProbe, Out};

impl Dynamo {
    /// Blocking read repair, once the read reached its quorum with `merged`: sends the merge to
    /// the stale home replicas that answered and waits for them (`read.repairing`). Returns the
    /// merge if this node, the coordinator, is itself stale.
    pub(super) fn repair_before_answer(
        &self,
        read: &mut ReadPending,
        me: NodeId,
        local: u64,
        merged: &Arc<Object>,
        out: &mut Out,
    ) -> Option<Arc<Object>> {
        if self.config.read_repair != ReadRepair::Blocking {
            return None;
        }
        let replace = self.repair_replaces();
        let mut repair_self = None;
        for reply in read.replies.iter().filter(|reply| !reply.fallback) {
            if stale(&reply.object, merged) {
                Dynamo::hit(out, repair_probe(&reply.object));
                if reply.node == me {
                    repair_self = Some(Arc::clone(merged));
                } else {
                    Dynamo::hit(out, DynamoProbe::RepairAwaitedBeforeAnswer);
                    read.repairing.push(reply.node);
                    out.send(
                        reply.node,
                        DynamoMessage::Store {
                            key: read.key.clone(),
                            object: Arc::clone(merged),
                            ack: Some(local),
                            hint_for: None,
                            replace,
                        },
                    );
                }
            }
        }
        repair_self
    }

    /// The read is over: repair the home replicas that answered with less than the merge of
    /// all the replies (unless read repair is off). Nobody waits for these repairs.
    pub(super) fn repair_after_read(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        read: &ReadPending,
    ) {
        if self.config.read_repair == ReadRepair::Off {
            return;
        }
        let Some(merged) = self.merge_replies(&read.replies) else {
            return;
        };
        for reply in read.replies.iter().filter(|reply| !reply.fallback) {
            if !stale(&reply.object, &merged) {
                continue;
            }
            Dynamo::hit(out, repair_probe(&reply.object));
            if reply.node == node.id {
                Dynamo::hit(out, DynamoProbe::RepairOfCoordinator);
                self.repair_own(node, out, &read.key, &merged);
            } else {
                out.send(
                    reply.node,
                    DynamoMessage::Store {
                        key: read.key.clone(),
                        object: Arc::clone(&merged),
                        ack: None,
                        hint_for: None,
                        replace: self.repair_replaces(),
                    },
                );
            }
        }
    }

    /// A stale replica acknowledged a blocking repair: the get may now be answered.
    pub(super) fn on_repair_ack(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        local: u64,
    ) {
        let Some(Pending::Read(read)) = node.pending.get_mut(&local) else {
            return;
        };
        read.repairing.retain(|&node| node != from);
        self.progress_read(node, out, local);
    }

    /// The coordinator repairs its own copy of `key` with a read's merge.
    pub(super) fn repair_own(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        key: &Key,
        merged: &Arc<Object>,
    ) {
        if self.repair_replaces() {
            self.overwrite(node, key, merged, out.clock_ms());
        } else {
            self.absorb(node, out, key, merged);
        }
    }

    /// Whether a repair replaces the stale replica's state instead of merging into it.
    fn repair_replaces(&self) -> bool {
        // The `repair-overwrites` bug: read repair replaces instead of merging.
        self.config.has_bug(Bug::RepairOverwrites)
    }

    /// The `repair-overwrites` bug: the replica takes `object` in place of what it holds (a
    /// `Store` message with `replace` set, or the coordinator's own repair).
    pub(super) fn overwrite(
        &self,
        node: &mut DynamoNode,
        key: &Key,
        object: &Arc<Object>,
        clock_ms: u64,
    ) {
        let same = node
            .stored
            .data
            .get(key)
            .is_some_and(|mine| mine.digest() == object.digest());
        if same {
            return;
        }
        node.stored.data.insert(key.clone(), Arc::clone(object));
        node.changes += 1;
        self.after_change(node, key, clock_ms);
    }
}

/// Whether a replica that answered `held` lacks something of `merged`.
/// The probe of a repair sent to a replica that held `held`.
fn repair_probe(held: &Option<Arc<Object>>) -> DynamoProbe {
    match held {
        None => DynamoProbe::RepairFilledMissingKey,
        Some(_) => DynamoProbe::RepairUpdatedOlderCopy,
    }
}

fn stale(held: &Option<Arc<Object>>, merged: &Object) -> bool {
    match held {
        Some(object) => object.would_change(merged),
        None => true,
    }
}
