//! Active anti-entropy: every `anti_entropy_period_ms`, a node compares a Merkle tree of the keys
//! it shares with one peer (peers taken in turn) and the two exchange the objects of the leaves
//! that differ, both ways.
//!
//! Owns: the anti-entropy timer, the tree (its leaves are buckets of keys by stable hash, the
//! root a mix of the leaves) and the four-step exchange (`MerkleRoot`, `MerkleBuckets`,
//! `MerkleObjects` and its answer). Bug hook: `aae-skips-bucket` (the leaf comparison).
//!
//! Must never: overwrite (every object received goes through the replica's one merge,
//! `Dynamo::absorb`), take in a key this node is not a home node of, or send a key the peer is
//! not a home node of. The tree is rebuilt from the stored data at every step, never cached.

use std::sync::Arc;

use crate::causality::NodeId;
use crate::config::Bug;
use crate::history::Key;
use crate::store::{mix, stable_hash, Object};

use super::{Dynamo, DynamoMessage, DynamoNode, DynamoProbe, DynamoTimer, Out};

impl Dynamo {
    /// At boot and after every restart: sets the first exchange, staggered by node so that the
    /// nodes do not all compare trees in the same millisecond.
    pub(super) fn start_anti_entropy(&self, node: NodeId, out: &mut Out) {
        if let Some(period_ms) = self.config.anti_entropy_period_ms {
            let first_ms = period_ms / 2 + (u64::from(node.0) * 37) % period_ms.max(1);
            out.set_timer(first_ms, DynamoTimer::AntiEntropy);
        }
    }

    /// The anti-entropy timer: send the root of the tree shared with the next peer in turn.
    pub(super) fn on_anti_entropy_timer(&self, node: &mut DynamoNode, out: &mut Out) {
        let Some(period_ms) = self.config.anti_entropy_period_ms else {
            return;
        };
        let nodes = self.config.nodes;
        if nodes > 1 {
            let offset = 1 + node.ae_turn % (nodes - 1);
            node.ae_turn = node.ae_turn.wrapping_add(1);
            let peer = NodeId((node.id.0 + offset) % nodes);
            let root = merkle_root(&self.merkle_leaves(node, peer));
            out.send(peer, DynamoMessage::MerkleRoot { root });
        }
        out.set_timer(period_ms, DynamoTimer::AntiEntropy);
    }

    /// Step 1 received: if our roots differ, send my leaves.
    pub(super) fn on_merkle_root(&self, node: &DynamoNode, out: &mut Out, from: NodeId, root: u64) {
        let leaves = self.merkle_leaves(node, from);
        if merkle_root(&leaves) != root {
            out.send(from, DynamoMessage::MerkleBuckets { buckets: leaves });
        }
    }

    /// Step 2 received: send my objects in the leaves that differ, asking for theirs back.
    pub(super) fn on_merkle_buckets(
        &self,
        node: &DynamoNode,
        out: &mut Out,
        from: NodeId,
        buckets: &[u64],
    ) {
        let leaves = self.merkle_leaves(node, from);
        // The `aae-skips-bucket` bug: an off-by-one loop never compares the last leaf.
        let compared = if self.config.has_bug(Bug::AaeSkipsBucket) {
            leaves.len().saturating_sub(1)
        } else {
            leaves.len()
        };
        let differing: Vec<u32> = (0..compared)
            .filter(|&i| buckets.get(i) != Some(&leaves[i]))
            .map(|i| i as u32)
            .collect();
        if !differing.is_empty() {
            Dynamo::hit(out, DynamoProbe::AntiEntropyBucketsDiffer);
            let objects = self.objects_in(node, from, &differing);
            out.send(
                from,
                DynamoMessage::MerkleObjects {
                    objects,
                    buckets: differing,
                    answer: true,
                },
            );
        }
    }

    /// Steps 3 and 4 received: merge the peer's objects in; after step 3, send mine back.
    pub(super) fn on_merkle_objects(
        &self,
        node: &mut DynamoNode,
        out: &mut Out,
        from: NodeId,
        objects: &[(Key, Arc<Object>)],
        buckets: Vec<u32>,
        answer: bool,
    ) {
        for (key, object) in objects {
            if self.is_home(key, node.id) {
                let lacked = !node.stored.data.contains_key(key);
                if self.absorb(node, out, key, object) {
                    if lacked {
                        Dynamo::hit(out, DynamoProbe::AntiEntropyMovedMissingKey);
                    }
                    if object.versions().any(|version| version.tombstone) {
                        Dynamo::hit(out, DynamoProbe::AntiEntropyMovedTombstone);
                    }
                }
            }
        }
        if answer {
            let objects = self.objects_in(node, from, &buckets);
            out.send(
                from,
                DynamoMessage::MerkleObjects {
                    objects,
                    buckets,
                    answer: false,
                },
            );
        }
    }

    /// The leaves of this node's Merkle tree over the keys it shares with `peer`.
    fn merkle_leaves(&self, node: &DynamoNode, peer: NodeId) -> Vec<u64> {
        let mut leaves = vec![0u64; self.tuning.merkle_buckets as usize];
        for (key, object) in &node.stored.data {
            if !self.is_home(key, peer) {
                continue;
            }
            let key_hash = stable_hash(key.0.as_bytes());
            let bucket = (key_hash % u64::from(self.tuning.merkle_buckets)) as usize;
            leaves[bucket] = leaves[bucket].wrapping_add(mix(key_hash ^ object.digest()));
        }
        leaves
    }

    /// This node's objects in `buckets` that `peer` is a home node of.
    fn objects_in(
        &self,
        node: &DynamoNode,
        peer: NodeId,
        buckets: &[u32],
    ) -> Vec<(Key, Arc<Object>)> {
        node.stored
            .data
            .iter()
            .filter(|(key, _)| {
                let bucket = stable_hash(key.0.as_bytes()) % u64::from(self.tuning.merkle_buckets);
                buckets.contains(&(bucket as u32)) && self.is_home(key, peer)
            })
            .map(|(key, object)| (key.clone(), Arc::clone(object)))
            .collect()
    }
}

fn merkle_root(leaves: &[u64]) -> u64 {
    leaves.iter().fold(0x7ee, |root, &leaf| mix(root ^ leaf))
}
