//! Hinted handoff and sloppy quorums: when a key's home nodes stay silent, its coordinator turns
//! to the next nodes of the preference list (fallbacks). A write's fallback keeps the object as
//! a hint for the silent home node and hands it back later; under a sloppy quorum, a fallback's
//! acknowledgement counts toward w and a read asks fallbacks for their hints.
//!
//! Owns: the coordinator's fallback timer (`DynamoTimer::Handoff`), the hints a node keeps
//! ([`Hint`]: the stored hint, reads of hints, the hand-back by the maintenance timer and its
//! acknowledgement), and the rule of which replies count toward a quorum ([`Dynamo::counts`]).
//! Bug hooks: `sloppy-reads-count-fallbacks` (reads ask fallbacks and count their replies
//! without a sloppy quorum).
//!
//! Must never: merge a hint into the fallback's own copy of the key (a hint reaches a home copy
//! only on hand-back, through the home node's merge), drop a hint before its home node
//! acknowledged that exact version of it, or count a fallback toward a quorum unless the quorum
//! is sloppy.

use std::sync::Arc;

use crate::causality::NodeId;
use crate::config::Bug;
use crate::history::Key;
use crate::store::Object;

use super::coordination::Pending;
use super::replica::merge_shared;
use super::{Dynamo, DynamoMessage, DynamoNode, DynamoProbe, Out};

/// A write kept by a fallback for a home node, until that node acknowledges it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, Hash)]
pub(super) struct Hint {
    object: Arc<Object>,
    /// Raised whenever the hint changes, so an acknowledgement of an older version of it does
    /// not drop it.
    version: u64,
    /// Whether it was offered back before (a hand-back the home node has not acknowledged).
    offered: bool,
}

impl Dynamo {
    /// Whether a reply or acknowledgement from a node counts toward the quorum: a home node's
    /// always, a fallback's only under a sloppy quorum.
    pub(super) fn counts(&self, fallback: bool) -> bool {
        !fallback || self.config.sloppy_quorum
    }

    /// Whether a read's reply counts toward r.
    pub(super) fn read_reply_counts(&self, fallback: bool) -> bool {
        // The `sloppy-reads-count-fallbacks` bug: a fallback's reply counts toward r even
        // without a sloppy quorum.
        self.counts(fallback) || self.config.has_bug(Bug::SloppyReadsCountFallbacks)
    }

    /// Whether a read turns to fallbacks for silent home nodes: under a sloppy quorum, or (the
    /// `sloppy-reads-count-fallbacks` bug) whenever hinted handoff is on.
    pub(super) fn reads_ask_fallbacks(&self) -> bool {
        // The `sloppy-reads-count-fallbacks` bug: reads ask fallbacks without a sloppy quorum.
        self.config.sloppy_quorum
            || (self.config.hinted_handoff && self.config.has_bug(Bug::SloppyReadsCountFallbacks))
    }

    /// The fallback timer of a coordinator's request: home nodes that have not answered get a
    /// fallback (writes keep a hint; reads under a sloppy quorum ask fallbacks for their hints).
    pub(super) fn on_fallback_timer(&self, node: &mut DynamoNode, out: &mut Out, local: u64) {
        match node.pending.get_mut(&local) {
            Some(Pending::Write(write)) => {
                let silent: Vec<NodeId> = write
                    .home
                    .iter()
                    .copied()
                    .filter(|home| !write.acked.contains(home) && !write.hinted.contains(home))
                    .collect();
                for home in silent {
                    let Some(&fallback) = write.fallbacks.get(write.hinted.len()) else {
                        Dynamo::hit(out, DynamoProbe::FallbacksRunOut);
                        break;
                    };
                    write.hinted.push(home);
                    out.send(
                        fallback,
                        DynamoMessage::Store {
                            key: write.key.clone(),
                            object: Arc::clone(&write.object),
                            ack: Some(local),
                            hint_for: Some(home),
                            replace: false,
                        },
                    );
                }
            }
            Some(Pending::Read(read)) => {
                if !self.reads_ask_fallbacks() || read.answered || read.fallbacks_asked {
                    return;
                }
                read.fallbacks_asked = true;
                let silent = read
                    .home
                    .iter()
                    .filter(|home| !read.replies.iter().any(|r| r.node == **home))
                    .count();
                if silent > 0 && !read.fallbacks.is_empty() {
                    Dynamo::hit(out, DynamoProbe::ReadAskedFallbacks);
                }
                for &fallback in read.fallbacks.iter().take(silent) {
                    out.send(
                        fallback,
                        DynamoMessage::Read {
                            request: local,
                            key: read.key.clone(),
                            fallback: true,
                        },
                    );
                }
            }
            _ => {}
        }
    }

    /// As a fallback, keeps `object` as a hint for `home`.
    pub(super) fn keep_hint(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        home: NodeId,
        key: Key,
        object: &Arc<Object>,
    ) {
        Dynamo::hit(out, DynamoProbe::HintStored);
        let hint = node
            .stored
            .hints
            .entry((home, key))
            .or_insert_with(|| Hint {
                object: Arc::clone(object),
                version: 0,
                offered: false,
            });
        if merge_shared(&mut hint.object, object) || hint.version == 0 {
            hint.version += 1;
            node.changes += 1;
        }
    }

    /// What this node holds as hints for `key` (for any home node), merged.
    pub(super) fn hinted(node: &DynamoNode, key: &Key) -> Option<Arc<Object>> {
        let mut merged: Option<Arc<Object>> = None;
        for ((_, hinted_key), hint) in &node.stored.hints {
            if hinted_key == key {
                match &mut merged {
                    Some(object) => {
                        merge_shared(object, &hint.object);
                    }
                    None => merged = Some(Arc::clone(&hint.object)),
                }
            }
        }
        merged
    }

    /// The maintenance timer's handoff: offer every hint back to its home node.
    pub(super) fn hand_back_hints(node: &mut DynamoNode, out: &mut Out) {
        let me = node.id;
        for ((home, key), hint) in &mut node.stored.hints {
            if *home != me {
                if hint.offered {
                    Dynamo::hit(out, DynamoProbe::HintOfferedAgain);
                }
                hint.offered = true;
                out.send(
                    *home,
                    DynamoMessage::Handoff {
                        key: key.clone(),
                        object: Arc::clone(&hint.object),
                        hint_version: hint.version,
                    },
                );
            }
        }
    }

    /// As the home node, takes a hint back.
    pub(super) fn on_handoff(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        key: Key,
        object: &Arc<Object>,
        hint_version: u64,
    ) {
        if self.absorb(node, out, &key, object) {
            Dynamo::hit(out, DynamoProbe::HintHandedBack);
        }
        out.send(from, DynamoMessage::HandoffAck { key, hint_version });
    }

    /// The home node took the hint back: drop it, unless it changed since it was offered.
    pub(super) fn on_handoff_ack(
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        key: Key,
        hint_version: u64,
    ) {
        let slot = (from, key);
        match node.stored.hints.get(&slot) {
            Some(hint) if hint.version == hint_version => {
                node.stored.hints.remove(&slot);
            }
            Some(_) => Dynamo::hit(out, DynamoProbe::HintAckOutdated),
            None => {}
        }
    }
}
