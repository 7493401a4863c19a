//! Reaping: when a key's state is a tombstone, the replica forgets the key, at once or (with
//! `reaping: after`) once its delay has passed and every other home node holds the same
//! tombstone state (`ReapQuery`, `ReapReply`).
//!
//! Owns: the tombstone bookkeeping after every change of a key ([`Dynamo::after_change`]), the
//! reap itself, the due reaps of the maintenance timer and their votes, and what a replica keeps
//! of a reaped key ([`Reaped`]) so that the same tombstone, or a late copy of what it overwrote,
//! does not come back ([`comes_back`]). Bug hooks: `early-reap` (reaping without the votes),
//! `reap-not-retried` (a round of votes that fails is never asked again).
//!
//! Must never: reap a key whose state is not a tombstone, or count a vote for a tombstone state
//! other than the one this replica holds now. Under `reaping: keep` nothing here forgets anything.

use std::sync::Arc;

use crate::causality::{NodeId, SiblingSet, VersionVector};
use crate::config::{Bug, Reaping};
use crate::history::Key;
use crate::store::{Object, Version};

use super::{Dynamo, DynamoMessage, DynamoNode, DynamoProbe, Out};

/// What a replica keeps of a key after reaping its tombstone.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, Hash)]
pub(super) struct Reaped {
    /// The digest of the reaped state: the same tombstone coming back (by anti-entropy from a
    /// primary that has not reaped yet) is not stored again. `None` once something of the key
    /// came back (see [`Reaped::floor`]).
    digest: Option<u64>,
    /// Under siblings, with reaping after a delay (once every primary holds the tombstone), the
    /// tombstone's causal context: a late copy of anything it had overwritten (a message
    /// delayed past the reap) is dropped, not resurrected. Immediate reaping keeps no context:
    /// a primary that missed the delete brings its value back, as that configuration allows.
    context: Option<VersionVector>,
    /// Under LWW, with reaping after a delay, the same rule in LWW order: the reaped tombstone,
    /// so that a late copy of a version it beat (a smaller LWW key) is dropped.
    tombstone: Option<Version>,
    /// Under LWW, the reaped tombstone's timestamp (0 under siblings). A timestamp read (ABD's
    /// first phase) reports it for the key, so that a write after the reap stamps above the
    /// tombstone: a home node that has not reaped yet still holds it, and a write stamped below
    /// it would lose to it once they meet (an acknowledged write lost). It outlives the reap:
    /// it is kept when older versions come back (immediate reaping's resurrection), which
    /// still carry their old, smaller timestamps (see [`Reaped::floor`]).
    timestamp: u64,
}

impl Reaped {
    /// The reaped tombstone's LWW timestamp (0 under siblings).
    pub(super) fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// What is kept of `object`'s tombstone when it is reaped, over what was kept of the key
    /// before (its timestamp floor).
    fn of(object: &Object, reaping: Reaping, before: Option<&Reaped>) -> Reaped {
        Reaped {
            timestamp: object.timestamp().max(before.map_or(0, Reaped::timestamp)),
            digest: Some(object.digest()),
            context: match reaping {
                Reaping::AfterMs(_) => object.context().cloned(),
                Reaping::Keep | Reaping::Immediate => None,
            },
            tombstone: match (reaping, object) {
                (Reaping::AfterMs(_), Object::Lww(version)) => Some(version.clone()),
                _ => None,
            },
        }
    }
}

impl Reaped {
    /// What stays of a reaped key once something of it is stored again: only the timestamp, as
    /// a floor for timestamp reads (nothing under siblings). Without it, a replica holding a
    /// resurrected version reports that version's old timestamp, a later write stamps below
    /// the reaped tombstone and below versions written before it, and a resurrected version
    /// beats the acknowledged later write.
    pub(super) fn floor(self) -> Option<Reaped> {
        (self.timestamp > 0).then_some(Reaped {
            digest: None,
            context: None,
            tombstone: None,
            timestamp: self.timestamp,
        })
    }
}

/// What of `object`, arriving for a key the replica holds nothing of, is to be stored, given
/// what the replica kept of the key's reaped tombstone: nothing if it is the same tombstone, or
/// (with reaping after a delay) a version the tombstone beat; only the siblings the tombstone
/// had not seen.
pub(super) fn comes_back(reaped: Option<&Reaped>, object: &Arc<Object>) -> Option<Arc<Object>> {
    match (reaped, &**object) {
        (Some(reaped), _) if reaped.digest == Some(object.digest()) => None,
        (
            Some(Reaped {
                tombstone: Some(tombstone),
                ..
            }),
            Object::Lww(version),
        ) if version.lww_key() <= tombstone.lww_key() => None,
        (
            Some(Reaped {
                context: Some(context),
                ..
            }),
            Object::Siblings(theirs),
        ) => {
            // Only what the reaped tombstone had not seen comes back.
            let mut fresh = SiblingSet::forgotten(context.clone());
            fresh.merge(theirs);
            if fresh.is_empty() {
                return None;
            }
            Some(Arc::new(Object::Siblings(fresh)))
        }
        _ => Some(Arc::clone(object)),
    }
}

impl Dynamo {
    /// The LWW timestamp of the tombstone `node` reaped for `key`, or 0.
    pub(super) fn reaped_timestamp(node: &DynamoNode, key: &Key) -> u64 {
        node.stored.reaped.get(key).map_or(0, Reaped::timestamp)
    }

    /// Tombstone bookkeeping after a key's state changed; returns whether the tombstone was
    /// reaped at once (immediate reaping).
    pub(super) fn after_change(&self, node: &mut DynamoNode, key: &Key, clock_ms: u64) -> bool {
        let Some(object) = node.stored.data.get(key) else {
            return false;
        };
        if !object.is_tombstone() {
            node.reap_due.remove(key);
            node.reap_votes.remove(key);
            return false;
        }
        match self.config.reaping {
            Reaping::Keep => false,
            Reaping::Immediate => {
                let reaped = Reaped::of(object, self.config.reaping, node.stored.reaped.get(key));
                node.stored.data.remove(key);
                node.stored.reaped.insert(key.clone(), reaped);
                true
            }
            Reaping::AfterMs(delay_ms) => {
                node.reap_due
                    .entry(key.clone())
                    .or_insert(clock_ms.saturating_add(delay_ms));
                false
            }
        }
    }

    /// The maintenance timer's reaping: ask the other home nodes whether they hold each
    /// tombstone now due (or reap at once if there are none).
    pub(super) fn reap_due(&self, node: &mut DynamoNode, out: &mut Out) {
        let clock_ms = out.clock_ms();
        let due: Vec<Key> = node
            .reap_due
            .iter()
            .filter(|(_, &due_ms)| due_ms <= clock_ms)
            .map(|(key, _)| key.clone())
            .collect();
        for key in due {
            let Some(object) = node.stored.data.get(&key) else {
                node.reap_due.remove(&key);
                continue;
            };
            // The `early-reap` bug: reap when due without asking the other primaries.
            if self.config.has_bug(Bug::EarlyReap) {
                self.reap(node, out, &key);
                continue;
            }
            let digest = object.digest();
            let peers: Vec<NodeId> = self
                .home(&key)
                .into_iter()
                .filter(|&peer| peer != node.id)
                .collect();
            if peers.is_empty() {
                self.reap(node, out, &key);
                continue;
            }
            node.reap_votes.insert(key.clone(), Vec::new());
            // The `reap-not-retried` bug: one round of votes per tombstone. The key leaves the
            // schedule when asked about, so a round that fails is never asked again.
            if self.config.has_bug(Bug::ReapNotRetried) {
                node.reap_due.remove(&key);
            }
            for peer in peers {
                out.send(
                    peer,
                    DynamoMessage::ReapQuery {
                        key: key.clone(),
                        digest,
                    },
                );
            }
        }
    }

    /// A home node asks whether this replica holds (or has reaped) exactly its tombstone state.
    pub(super) fn on_reap_query(
        &self,
        node: &DynamoNode,
        out: &mut Out,
        from: NodeId,
        key: Key,
        digest: u64,
    ) {
        let holds = match node.stored.data.get(&key) {
            Some(object) => object.is_tombstone() && object.digest() == digest,
            None => node
                .stored
                .reaped
                .get(&key)
                .is_some_and(|reaped| reaped.digest == Some(digest)),
        };
        out.send(from, DynamoMessage::ReapReply { key, digest, holds });
    }

    /// A vote: reap once every other home node holds the tombstone state this replica holds.
    pub(super) fn on_reap_reply(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        key: &Key,
        digest: u64,
        holds: bool,
    ) {
        let still = node
            .stored
            .data
            .get(key)
            .is_some_and(|object| object.digest() == digest);
        if !holds {
            Dynamo::hit(out, DynamoProbe::ReapRefusedByPeer);
        }
        if !(holds && still) {
            return;
        }
        let peers = self.config.n as usize - 1;
        let Some(votes) = node.reap_votes.get_mut(key) else {
            return;
        };
        if !votes.contains(&from) {
            votes.push(from);
        }
        if votes.len() >= peers {
            self.reap(node, out, key);
        }
    }

    fn reap(&self, node: &mut DynamoNode, out: &mut Out, key: &Key) {
        Dynamo::hit(out, DynamoProbe::TombstoneReaped);
        if let Some(object) = node.stored.data.remove(key) {
            let reaped = Reaped::of(&object, self.config.reaping, node.stored.reaped.get(key));
            node.stored.reaped.insert(key.clone(), reaped);
        }
        node.reap_due.remove(key);
        node.reap_votes.remove(key);
        node.changes += 1;
    }
}
