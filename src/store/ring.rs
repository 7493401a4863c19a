//! Placement: a consistent-hash ring with virtual nodes, and the preference list of a key.
//!
//! Owns: the tokens, and the walk from a key's position that names every node once (so the
//! first n of a list, a key's home nodes, are n distinct nodes whenever n ≤ nodes, which the
//! configuration guarantees). Must never: name a node twice in a list or leave one out — a
//! home list with a node twice would keep a key on fewer than n replicas while every quorum
//! still counted n. That is checked on every list built, not only in debug builds: a list is
//! built once per ring position and cached by the store, so the check costs nothing per request.

use crate::causality::NodeId;
use crate::history::Key;

// A key's ring position (and the store's digests) come from the crate's stable hashes, the same
// on every platform and in every run: placement must never depend on a process-random hasher, and
// must never change between versions.
pub use crate::stable_hash::fnv1a_mixed as stable_hash;
pub use crate::stable_hash::splitmix64 as mix;

/// The ring: every node owns `vnodes_per_node` tokens; a key belongs to the tokens that follow
/// its hash clockwise.
#[derive(Clone, Debug)]
pub struct Ring {
    /// (token, node), sorted by token.
    tokens: Vec<(u64, NodeId)>,
    nodes: u32,
}

impl Ring {
    /// The ring of `nodes` nodes with `vnodes_per_node` tokens each; both must be at least 1.
    pub fn new(nodes: u32, vnodes_per_node: u32) -> Ring {
        assert!(nodes >= 1 && vnodes_per_node >= 1, "validated by Config");
        let mut tokens = Vec::with_capacity((nodes * vnodes_per_node) as usize);
        for node in 0..nodes {
            for vnode in 0..vnodes_per_node {
                let token = mix(mix(u64::from(node)) ^ u64::from(vnode));
                tokens.push((token, NodeId(node)));
            }
        }
        tokens.sort_unstable();
        Ring { tokens, nodes }
    }

    /// Every node once, in ring order from the key's position: the first n are the key's home
    /// nodes, the rest its fallbacks, in the order they are tried.
    pub fn preference_list(&self, key: &Key) -> Vec<NodeId> {
        self.preference_list_at(stable_hash(key.0.as_bytes()))
    }

    /// The preference list of a ring position (a key's position is its [`stable_hash`]).
    ///
    /// # Panics
    ///
    /// If the walk did not name every node exactly once, which no ring built by [`Ring::new`]
    /// allows (every node owns at least one token): a broken invariant of this module, never a
    /// consequence of input.
    pub fn preference_list_at(&self, position: u64) -> Vec<NodeId> {
        let start = self.tokens.partition_point(|&(token, _)| token < position);
        let nodes = self.nodes as usize;
        let mut list = Vec::with_capacity(nodes);
        // One flag per node: a node's later tokens are skipped in O(1), so a list costs one walk
        // of the ring (up to 999 nodes × 1,024 vnodes), not a scan of the list per token.
        let mut listed = vec![false; nodes];
        for index in 0..self.tokens.len() {
            let (_, node) = self.tokens[(start + index) % self.tokens.len()];
            let seen = &mut listed[node.0 as usize];
            if !*seen {
                *seen = true;
                list.push(node);
                if list.len() == nodes {
                    break;
                }
            }
        }
        assert!(
            list.len() == nodes && listed.iter().all(|&seen| seen),
            "the preference list at {position:#x} names {} of the ring's {nodes} nodes: every node must appear exactly once",
            list.len()
        );
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn preference_list_names_every_node_once() {
        let ring = Ring::new(5, 8);
        for key in ["a", "b", "cart", "profile"] {
            let mut list = ring.preference_list(&Key(key.into()));
            list.sort();
            assert_eq!(list, (0..5).map(NodeId).collect::<Vec<_>>());
        }
    }

    proptest::proptest! {
        /// For any ring a configuration allows, and any key: the list names every node exactly
        /// once, so its first n (the home nodes) are n distinct nodes for every n ≤ nodes.
        #[test]
        fn every_list_names_every_node_once(
            (nodes, n) in (1u32..=40).prop_flat_map(|nodes| (Just(nodes), 1..=nodes)),
            vnodes_per_node in 1u32..=24,
            key in "[a-z0-9]{0,12}",
        ) {
            let ring = Ring::new(nodes, vnodes_per_node);
            let list = ring.preference_list(&Key(key.as_str().into()));
            let mut home = list[..n as usize].to_vec();
            home.sort();
            home.dedup();
            prop_assert_eq!(home.len(), n as usize);
            let mut all = list.clone();
            all.sort();
            prop_assert_eq!(all, (0..nodes).map(NodeId).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_ring_of_many_nodes_and_vnodes_lists_every_node_once() {
        // The largest ring a configuration allows would take a scan of the list per token.
        let ring = Ring::new(999, 1_024);
        let mut list = ring.preference_list(&Key("k".into()));
        list.sort();
        assert_eq!(list, (0..999).map(NodeId).collect::<Vec<_>>());
    }

    #[test]
    fn a_position_on_a_token_belongs_to_that_tokens_node() {
        let ring = Ring::new(5, 8);
        for &(token, node) in &ring.tokens {
            assert_eq!(ring.preference_list_at(token)[0], node);
        }
    }

    #[test]
    fn placement_is_stable() {
        let ring = Ring::new(5, 8);
        let first = ring.preference_list(&Key("k0".into()));
        assert_eq!(first, Ring::new(5, 8).preference_list(&Key("k0".into())));
    }
}
