//! Placement: a consistent-hash ring with virtual nodes, and the preference list of a key.

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
    pub fn preference_list_at(&self, position: u64) -> Vec<NodeId> {
        let start = self.tokens.partition_point(|&(token, _)| token < position);
        let mut list = Vec::with_capacity(self.nodes as usize);
        for index in 0..self.tokens.len() {
            let (_, node) = self.tokens[(start + index) % self.tokens.len()];
            if !list.contains(&node) {
                list.push(node);
                if list.len() == self.nodes as usize {
                    break;
                }
            }
        }
        debug_assert_eq!(list.len(), self.nodes as usize);
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preference_list_names_every_node_once() {
        let ring = Ring::new(5, 8);
        for key in ["a", "b", "cart", "profile"] {
            let mut list = ring.preference_list(&Key(key.into()));
            list.sort();
            assert_eq!(list, (0..5).map(NodeId).collect::<Vec<_>>());
        }
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
