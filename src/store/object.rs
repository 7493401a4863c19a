//! What a replica of the reference store keeps for one key: dotted siblings, or one LWW version.

use serde::{Deserialize, Serialize};

use crate::causality::{SiblingSet, VersionVector};
use crate::history::{ReadValue, Value};

use super::ring::{mix, stable_hash};

/// One written version: a put's value or a delete's tombstone, with its LWW timestamp (0 and
/// unused under sibling resolution).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Version {
    /// The put's value, or the delete's tombstone name.
    pub value: Value,
    /// Whether it is a delete's tombstone.
    pub tombstone: bool,
    /// The LWW timestamp (0 under sibling resolution).
    pub timestamp: u64,
}

impl Version {
    /// LWW order: the higher timestamp wins, ties broken by value (then tombstone last).
    pub(super) fn lww_key(&self) -> (u64, &Value, bool) {
        (self.timestamp, &self.value, self.tombstone)
    }
}

/// A replica's state for one key. Both variants merge, and merging never overwrites: siblings
/// keep everything concurrent, LWW keeps the greatest version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Object {
    /// Under sibling resolution: every concurrent version, with dots and contexts.
    Siblings(SiblingSet<Version>),
    /// Under LWW: the one version with the greatest (timestamp, value).
    Lww(Version),
}

impl Object {
    /// Merges `other` in; returns whether this replica's state changed.
    pub fn merge(&mut self, other: &Object) -> bool {
        match (self, other) {
            (Object::Siblings(mine), Object::Siblings(theirs)) => {
                // Merging adds siblings or context only when theirs has seen something mine has
                // not; otherwise it can only drop siblings, which the count shows.
                let grows = !mine.context().dominates(theirs.context());
                let siblings_before = mine.siblings().len();
                mine.merge(theirs);
                grows || mine.siblings().len() != siblings_before
            }
            (Object::Lww(mine), Object::Lww(theirs)) => {
                if theirs.lww_key() > mine.lww_key() {
                    *mine = theirs.clone();
                    true
                } else {
                    false
                }
            }
            // A configuration has one resolution; mixing them is a bug of the store itself.
            (mine, theirs) => panic!("merging {mine:?} with {theirs:?}: two resolutions"),
        }
    }

    /// The `lww-reversed` bug's comparison: whether `other` is an LWW version smaller than this
    /// one (which a correct merge would ignore).
    pub(super) fn keeps_smaller_lww(&self, other: &Object) -> bool {
        match (self, other) {
            (Object::Lww(mine), Object::Lww(theirs)) => theirs.lww_key() < mine.lww_key(),
            _ => false,
        }
    }

    /// Whether merging `other` in would change this state (without merging).
    pub fn would_change(&self, other: &Object) -> bool {
        match (self, other) {
            (Object::Siblings(mine), Object::Siblings(theirs)) => {
                !mine.context().dominates(theirs.context())
                    || mine.siblings().iter().any(|sibling| {
                        theirs.context().covers(sibling.dot)
                            && theirs
                                .siblings()
                                .binary_search_by(|s| s.dot.cmp(&sibling.dot))
                                .is_err()
                    })
            }
            (Object::Lww(mine), Object::Lww(theirs)) => theirs.lww_key() > mine.lww_key(),
            (mine, theirs) => panic!("comparing {mine:?} with {theirs:?}: two resolutions"),
        }
    }

    /// A hash of the state: two replicas with the same digest hold the same versions and context.
    pub fn digest(&self) -> u64 {
        match self {
            Object::Siblings(set) => digest_siblings(set),
            Object::Lww(version) => {
                let mut hash = mix(version.timestamp ^ u64::from(version.tombstone));
                hash = mix(hash ^ stable_hash(version.value.0.as_bytes()));
                hash
            }
        }
    }

    /// Whether every version is a tombstone (and there is at least one).
    pub fn is_tombstone(&self) -> bool {
        match self {
            Object::Siblings(set) => {
                !set.is_empty() && set.siblings().iter().all(|s| s.value.tombstone)
            }
            Object::Lww(version) => version.tombstone,
        }
    }

    /// The versions a read returns, in dot (or the single LWW) order.
    pub fn read_values(&self) -> Vec<ReadValue> {
        self.versions()
            .map(|version| ReadValue {
                value: version.value.clone(),
                tombstone: version.tombstone,
            })
            .collect()
    }

    /// Every version held: the siblings, or the one LWW version.
    pub fn versions(&self) -> Box<dyn Iterator<Item = &Version> + '_> {
        match self {
            Object::Siblings(set) => Box::new(set.values()),
            Object::Lww(version) => Box::new(std::iter::once(version)),
        }
    }

    /// The causal context, under sibling resolution.
    pub fn context(&self) -> Option<&VersionVector> {
        match self {
            Object::Siblings(set) => Some(set.context()),
            Object::Lww(_) => None,
        }
    }

    /// The LWW timestamp (the highest, under siblings).
    pub fn timestamp(&self) -> u64 {
        self.versions().map(|v| v.timestamp).max().unwrap_or(0)
    }
}

fn digest_siblings(set: &SiblingSet<Version>) -> u64 {
    let mut hash = 0x51b1_1e75_u64;
    for (node, counter) in set.context().entries() {
        hash = mix(hash ^ u64::from(node.0));
        hash = mix(hash ^ counter);
    }
    for sibling in set.siblings() {
        hash = mix(hash ^ 0x5eed ^ u64::from(sibling.dot.node.0));
        hash = mix(hash ^ sibling.dot.counter.get());
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causality::{Dot, NodeId};

    fn version(value: &str, timestamp: u64) -> Version {
        Version {
            value: Value(value.into()),
            tombstone: false,
            timestamp,
        }
    }

    #[test]
    fn lww_keeps_the_greatest_and_ties_go_by_value() {
        let mut object = Object::Lww(version("b", 5));
        assert!(!object.merge(&Object::Lww(version("a", 5))));
        assert!(object.merge(&Object::Lww(version("c", 5))));
        assert!(!object.merge(&Object::Lww(version("z", 4))));
        assert_eq!(object.read_values()[0].value.0, "c");
        // The same version again changes nothing, and says so.
        assert!(!object.merge(&Object::Lww(version("c", 5))));
        // The `lww-reversed` bug's test: only a smaller version is one a correct merge ignores.
        assert!(object.keeps_smaller_lww(&Object::Lww(version("z", 4))));
        assert!(!object.keeps_smaller_lww(&Object::Lww(version("c", 5))));
        assert!(!object.keeps_smaller_lww(&Object::Lww(version("a", 6))));
    }

    /// Replicas compare digests (read repair, reaping, anti-entropy's leaves): states that differ
    /// in one timestamp, flag, value, dot or context entry must not share one, and the same
    /// state must give the same digest however it was reached.
    #[test]
    fn digests_tell_states_apart_and_not_their_history() {
        let mut digests = Vec::new();
        for value in ["a", "b"] {
            // Not 0 with 1: the LWW digest mixes the flag into the timestamp's lowest bit.
            for timestamp in [1, 2, 4] {
                for tombstone in [false, true] {
                    let version = Version {
                        tombstone,
                        ..version(value, timestamp)
                    };
                    digests.push(Object::Lww(version).digest());
                }
            }
        }
        for node in 0..4 {
            for counter in 1..4 {
                let dot = Dot::new(NodeId(node), counter).unwrap();
                let mut set = SiblingSet::new();
                set.insert(dot, &VersionVector::new(), version("a", 0));
                digests.push(Object::Siblings(set.clone()).digest());
                // The same sibling in a wider context, as after a merge with an overwritten write.
                let seen: VersionVector = [Dot::new(NodeId(node + 1), counter).unwrap()]
                    .into_iter()
                    .collect();
                let mut wider = SiblingSet::forgotten(seen);
                wider.merge(&set);
                digests.push(Object::Siblings(wider).digest());
            }
        }
        let count = digests.len();
        digests.sort_unstable();
        digests.dedup();
        assert_eq!(digests.len(), count, "two states share a digest");

        let (one, two) = concurrent_pair();
        assert_eq!(
            Object::Siblings(one.merged(&two)).digest(),
            Object::Siblings(two.merged(&one)).digest()
        );
    }

    /// Two concurrent single-sibling sets: `a` written at n1, `b` at n2, neither seeing the other.
    fn concurrent_pair() -> (SiblingSet<Version>, SiblingSet<Version>) {
        let single = |node, value| {
            let mut set = SiblingSet::new();
            set.insert(
                Dot::new(NodeId(node), 1).unwrap(),
                &VersionVector::new(),
                version(value, 0),
            );
            set
        };
        (single(1, "a"), single(2, "b"))
    }

    /// Pinned, like the hashes they are made of (`stable_hash`): replicas of different versions
    /// compare digests, so a digest must never change between versions.
    #[test]
    fn digests_never_change() {
        let tombstone = Version {
            tombstone: true,
            ..version("gone", 5)
        };
        assert_eq!(Object::Lww(tombstone).digest(), 0xae2f_5966_65a6_6dd4);
        let mut set = SiblingSet::new();
        set.insert(
            Dot::new(NodeId(2), 3).unwrap(),
            &VersionVector::new(),
            version("a", 0),
        );
        let seen: VersionVector = [Dot::new(NodeId(1), 2).unwrap()].into_iter().collect();
        set.insert(Dot::new(NodeId(1), 3).unwrap(), &seen, version("b", 0));
        assert_eq!(Object::Siblings(set).digest(), 0xca3f_0df3_0252_727e);
    }

    #[test]
    fn sibling_merge_reports_change() {
        let (one, two) = concurrent_pair();
        let mut object = Object::Siblings(one.clone());
        assert!(object.would_change(&Object::Siblings(two.clone())));
        assert!(object.merge(&Object::Siblings(two.clone())));
        assert!(!object.would_change(&Object::Siblings(one.clone())));
        assert!(!object.merge(&Object::Siblings(one.clone())));
        // A write that read both replaces them: the merge drops siblings.
        let mut resolved = SiblingSet::new();
        let Object::Siblings(both) = &object else {
            unreachable!()
        };
        resolved.insert(
            Dot::new(NodeId(3), 1).unwrap(),
            &both.context().clone(),
            version("c", 0),
        );
        let resolved = Object::Siblings(resolved);
        assert!(object.would_change(&resolved));
        assert!(object.merge(&resolved));
        assert!(!resolved.would_change(&object));
        assert_eq!(object, resolved);
        assert_eq!(object.read_values().len(), 1);
    }
}
