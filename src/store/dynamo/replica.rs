//! A replica's own copy of the keys it is a home node of, and the two requests every replica
//! answers: `Store` (merge this in: replication, read repair, or a hint to keep) and `Read`
//! (send back what you hold).
//!
//! Owns: the one merge every path goes through ([`Dynamo::absorb`]: replication, read repair,
//! anti-entropy and hand-back all land here), copy-on-write of objects shared with messages in
//! flight ([`merge_shared`]), serving reads, and what a replica reports it holds (its snapshot).
//!
//! Must never: overwrite (a `Store` with `replace` set, sent only under the `repair-overwrites`
//! bug, is the one exception, [`Dynamo::overwrite`]), mint a dot or stamp a timestamp (that is a
//! coordinator's work), or decide anything about quorums: it answers whoever asked.

use std::sync::Arc;

use crate::causality::NodeId;
use crate::config::Resolution;
use crate::history::{Key, ReplicaSnapshot, Value};
use crate::store::Object;

use super::reaping;
use super::{Dynamo, DynamoMessage, DynamoNode, DynamoProbe, Out};

/// Merges `other` into a shared object, copying it first only if it is shared and would change.
pub(super) fn merge_shared(into: &mut Arc<Object>, other: &Object) -> bool {
    if !into.would_change(other) {
        return false;
    }
    Arc::make_mut(into).merge(other)
}

impl Dynamo {
    /// Merges `object` into this node's home copy of `key`; returns whether it changed.
    pub(super) fn absorb(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        key: &Key,
        object: &Arc<Object>,
    ) -> bool {
        let changed = match node.stored.data.get_mut(key) {
            Some(mine) if Arc::ptr_eq(mine, object) => false,
            // Copy-on-write: a copy is made only when a message in flight still shares it.
            Some(mine) => merge_shared(mine, object),
            None => {
                let Some(object) = reaping::comes_back(node.stored.reaped.get(key), object) else {
                    Dynamo::hit(out, DynamoProbe::ReapedCopyDropped);
                    return false;
                };
                // Of the reaped tombstone only its timestamp stays, a floor for later writes.
                if let Some(floor) = node
                    .stored
                    .reaped
                    .remove(key)
                    .and_then(reaping::Reaped::floor)
                {
                    node.stored.reaped.insert(key.clone(), floor);
                }
                node.stored.data.insert(key.clone(), object);
                true
            }
        };
        if changed {
            node.changes += 1;
            if node
                .stored
                .data
                .get(key)
                .is_some_and(|object| object.versions().nth(1).is_some())
            {
                Dynamo::hit(out, DynamoProbe::SiblingsKept);
            }
            if self.after_change(node, key, out.clock_ms()) {
                Dynamo::hit(out, DynamoProbe::TombstoneReaped);
            }
        }
        changed
    }

    /// A `Store` message's object lands: as a hint for another node, in place of this node's
    /// copy (`replace`, only under the `repair-overwrites` bug), or merged into it. The sender
    /// is acknowledged by the caller.
    pub(super) fn on_store(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        key: Key,
        object: &Arc<Object>,
        hint_for: Option<NodeId>,
        replace: bool,
    ) {
        match hint_for {
            Some(home) if home != node.id => self.keep_hint(node, out, home, key, object),
            _ if replace => self.overwrite(node, &key, object, out.clock_ms()),
            _ => {
                self.absorb(node, out, &key, object);
            }
        }
    }

    /// A `Read` message: send back this node's copy of `key` (as a fallback: its hints for it).
    pub(super) fn on_read(
        node: &DynamoNode,
        out: &mut Out,
        from: NodeId,
        request: u64,
        key: &Key,
        fallback: bool,
    ) {
        let object = if fallback {
            Dynamo::hinted(node, key)
        } else {
            node.stored.data.get(key).cloned()
        };
        let reaped_timestamp = if fallback {
            0
        } else {
            Dynamo::reaped_timestamp(node, key)
        };
        out.send(
            from,
            DynamoMessage::ReadReply {
                request,
                object,
                reaped_timestamp,
                fallback,
            },
        );
    }

    /// What `node` holds for `key`: its values, its tombstones and (under siblings) its context.
    pub(super) fn replica_snapshot(&self, node: &DynamoNode, key: &Key) -> ReplicaSnapshot {
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
}
