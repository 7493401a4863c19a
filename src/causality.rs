//! Causality: dots, version vectors and the dotted sibling set a replica keeps for one key.
//!
//! This module owns the *store-side* description of causality, the dotted version vector design
//! of Preguiça et al.: every write gets a fresh [`Dot`] minted by its coordinator, every sibling
//! remembers the dot it was written with and the causal past its client had seen, and an object
//! carries the causal context of everything it has seen (kept or overwritten).
//!
//! What it must never do: lose a concurrent write. A plain "merge the context and increment the
//! coordinator's counter" version vector silently overwrites concurrent writes that go through
//! the same coordinator; that behaviour is a known bug and exists in quorate only as a switchable
//! bug of the reference store, never here.
//!
//! The checker does not use this module to judge a history: it derives causality from what
//! clients observed (values and contexts). These types are the store's, and the white-box checks'.
//!
//! ```
//! use quorate::causality::{NodeId, SiblingSet, VersionVector};
//!
//! let mut object: SiblingSet<&str> = SiblingSet::new();
//! // Two clients write with an empty context through the same coordinator: both are kept.
//! object.put(NodeId(1), &VersionVector::new(), "a");
//! object.put(NodeId(1), &VersionVector::new(), "b");
//! assert_eq!(object.values().count(), 2);
//! // A write whose context covers both replaces them.
//! let context = object.context().clone();
//! object.put(NodeId(2), &context, "c");
//! assert_eq!(object.values().copied().collect::<Vec<_>>(), vec!["c"]);
//! ```

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU64;

use serde::{Deserialize, Serialize};

/// The identity of a node (an actor that mints dots).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

/// One event minted by one node: the node and its counter, which is always at least 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Dot {
    /// The node that minted it.
    pub node: NodeId,
    /// Its rank among the node's events, from 1.
    pub counter: NonZeroU64,
}

impl Dot {
    /// A dot; `None` when `counter` is 0, which no dot can be.
    pub fn new(node: NodeId, counter: u64) -> Option<Dot> {
        NonZeroU64::new(counter).map(|counter| Dot { node, counter })
    }
}

impl fmt::Display for Dot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.node, self.counter)
    }
}

/// How two version vectors (or the events they stand for) relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Causality {
    /// Both cover the same events.
    Equal,
    /// The first is strictly covered by the second: it happened before.
    Before,
    /// The first strictly covers the second: it happened after.
    After,
    /// Each has an event the other lacks.
    Concurrent,
}

/// A version vector: for each node, how many of its events have been seen (events 1..=counter).
///
/// Entries with counter 0 are never stored, so two vectors that cover the same events are equal
/// as values too.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VersionVector {
    counters: BTreeMap<NodeId, u64>,
}

impl VersionVector {
    /// The empty vector: no event seen.
    pub fn new() -> VersionVector {
        VersionVector::default()
    }

    /// How many events of `node` this vector has seen.
    pub fn get(&self, node: NodeId) -> u64 {
        self.counters.get(&node).copied().unwrap_or(0)
    }

    /// Whether no event is seen.
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
    }

    /// The (node, counter) entries, in node order, counters all ≥ 1.
    pub fn entries(&self) -> impl Iterator<Item = (NodeId, u64)> + '_ {
        self.counters
            .iter()
            .map(|(&node, &counter)| (node, counter))
    }

    /// Whether the event `dot` is among those this vector has seen.
    pub fn covers(&self, dot: Dot) -> bool {
        self.get(dot.node) >= dot.counter.get()
    }

    /// Raise this vector so it has seen `dot` (and, as vectors do, every earlier event of its node).
    pub fn add(&mut self, dot: Dot) {
        let counter = self.counters.entry(dot.node).or_insert(0);
        *counter = (*counter).max(dot.counter.get());
    }

    /// The pointwise maximum: afterwards this vector has seen what either had seen.
    pub fn merge(&mut self, other: &VersionVector) {
        for (node, counter) in other.entries() {
            let mine = self.counters.entry(node).or_insert(0);
            *mine = (*mine).max(counter);
        }
    }

    /// The next dot `node` would mint after every event of it this vector has seen.
    pub fn next_dot(&self, node: NodeId) -> Dot {
        let counter = self
            .get(node)
            .checked_add(1)
            .expect("a node minted 2^64 dots");
        Dot::new(node, counter).expect("counter + 1 is never 0")
    }

    /// Whether every event `other` has seen, this one has seen too.
    pub fn dominates(&self, other: &VersionVector) -> bool {
        other
            .entries()
            .all(|(node, counter)| self.get(node) >= counter)
    }

    /// The partial order of vectors.
    pub fn compare(&self, other: &VersionVector) -> Causality {
        match (self.dominates(other), other.dominates(self)) {
            (true, true) => Causality::Equal,
            (false, true) => Causality::Before,
            (true, false) => Causality::After,
            (false, false) => Causality::Concurrent,
        }
    }
}

impl PartialOrd for VersionVector {
    fn partial_cmp(&self, other: &VersionVector) -> Option<Ordering> {
        match self.compare(other) {
            Causality::Equal => Some(Ordering::Equal),
            Causality::Before => Some(Ordering::Less),
            Causality::After => Some(Ordering::Greater),
            Causality::Concurrent => None,
        }
    }
}

impl FromIterator<Dot> for VersionVector {
    fn from_iter<I: IntoIterator<Item = Dot>>(dots: I) -> VersionVector {
        let mut vector = VersionVector::new();
        for dot in dots {
            vector.add(dot);
        }
        vector
    }
}

impl fmt::Display for VersionVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, (node, counter)) in self.entries().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{node}:{counter}")?;
        }
        f.write_str("]")
    }
}

/// One version of a key's value: the dot its write was minted with, the causal past its client
/// had seen (the context it wrote with), and the value (or a tombstone, for a delete).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sibling<V> {
    /// The dot the write was minted with, unique to this version.
    pub dot: Dot,
    /// The context the write was sent with: the events it overwrites.
    pub past: VersionVector,
    /// The value written, or a tombstone.
    pub value: V,
}

impl<V> Sibling<V> {
    /// Whether `self` was overwritten, directly or not, by the write of `later`.
    pub fn precedes(&self, later: &Sibling<V>) -> bool {
        later.past.covers(self.dot)
    }
}

/// What a replica stores for one key: siblings that are pairwise concurrent, and the causal
/// context of every write the object has seen, whether still a sibling or overwritten.
///
/// Invariants (checked by [`SiblingSet::check_invariants`], asserted in debug builds):
/// no two siblings share a dot; no sibling precedes another (an antichain); the context covers
/// every sibling's dot and past.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(bound(serialize = "V: Serialize", deserialize = "V: Deserialize<'de>"))]
pub struct SiblingSet<V> {
    siblings: Vec<Sibling<V>>,
    context: VersionVector,
}

impl<V> Default for SiblingSet<V> {
    fn default() -> SiblingSet<V> {
        SiblingSet {
            siblings: Vec::new(),
            context: VersionVector::new(),
        }
    }
}

impl<V> SiblingSet<V> {
    /// The empty object: no siblings, nothing seen.
    pub fn new() -> SiblingSet<V> {
        SiblingSet::default()
    }

    /// An object that has seen `context` and holds nothing: what a replica remembers of a key
    /// whose tombstone it reaped. Merging a stale copy into it keeps only what it had not seen.
    pub fn forgotten(context: VersionVector) -> SiblingSet<V> {
        SiblingSet {
            siblings: Vec::new(),
            context,
        }
    }

    /// The siblings, in dot order.
    pub fn siblings(&self) -> &[Sibling<V>] {
        &self.siblings
    }

    /// The values of the siblings, in dot order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.siblings.iter().map(|sibling| &sibling.value)
    }

    /// The causal context a client gets with a read and sends back with its next write.
    pub fn context(&self) -> &VersionVector {
        &self.context
    }

    /// Whether no sibling is held (the key is absent here).
    pub fn is_empty(&self) -> bool {
        self.siblings.is_empty()
    }

    /// A write at coordinator `node`: mints a fresh dot (one past every event of `node` this
    /// object has seen), discards exactly the siblings whose dots `client_context` covers, keeps
    /// the rest as siblings, and returns the dot.
    pub fn put(&mut self, node: NodeId, client_context: &VersionVector, value: V) -> Dot {
        let dot = self.context.next_dot(node);
        self.insert(dot, client_context, value);
        dot
    }

    /// A write whose dot was minted elsewhere: discards exactly the siblings `client_context`
    /// covers and adds `(dot, value)`. The dot must be new to this object; if the object has
    /// already seen it, nothing changes (a write is applied at most once).
    pub fn insert(&mut self, dot: Dot, client_context: &VersionVector, value: V) {
        if self.context.covers(dot) {
            return;
        }
        self.siblings
            .retain(|sibling| !client_context.covers(sibling.dot));
        self.context.merge(client_context);
        self.context.add(dot);
        let position = self.siblings.partition_point(|sibling| sibling.dot < dot);
        self.siblings.insert(
            position,
            Sibling {
                dot,
                past: client_context.clone(),
                value,
            },
        );
        self.debug_check();
    }

    fn debug_check(&self) {
        if cfg!(debug_assertions) {
            if let Err(problem) = self.check_invariants() {
                panic!("sibling set invariant broken: {problem}");
            }
        }
    }

    /// Checks the invariants of the type; the error says which one broke.
    pub fn check_invariants(&self) -> Result<(), InvariantViolation> {
        for (i, sibling) in self.siblings.iter().enumerate() {
            if !self.context.covers(sibling.dot) || !self.context.dominates(&sibling.past) {
                return Err(InvariantViolation::ContextMissesSibling {
                    context: self.context.clone(),
                    sibling: sibling.dot,
                });
            }
            if let Some(next) = self.siblings.get(i + 1) {
                if next.dot <= sibling.dot {
                    return Err(InvariantViolation::OutOfOrder {
                        first: sibling.dot,
                        second: next.dot,
                    });
                }
            }
            for other in &self.siblings {
                if sibling.precedes(other) {
                    return Err(InvariantViolation::NotAntichain {
                        earlier: sibling.dot,
                        later: other.dot,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Which invariant of a [`SiblingSet`] broke, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvariantViolation {
    /// The set's context does not cover a sibling's dot or past.
    #[error("context {context} misses sibling {sibling}")]
    ContextMissesSibling {
        /// The set's context.
        context: VersionVector,
        /// The sibling it misses.
        sibling: Dot,
    },
    /// Two neighbouring siblings are not in strictly increasing dot order.
    #[error("siblings {first} and {second} out of order")]
    OutOfOrder {
        /// The earlier sibling's dot.
        first: Dot,
        /// The next sibling's dot, not larger.
        second: Dot,
    },
    /// One sibling precedes another: the set is not an antichain.
    #[error("sibling {earlier} precedes sibling {later}")]
    NotAntichain {
        /// The overwritten sibling's dot.
        earlier: Dot,
        /// The dot of the sibling that overwrote it.
        later: Dot,
    },
}

impl<V: Clone> SiblingSet<V> {
    /// Merges what another replica holds into this one: keeps every sibling that the other side
    /// has not seen and overwritten, and the union of both contexts. Idempotent, commutative and
    /// associative; the result is an antichain.
    pub fn merge(&mut self, other: &SiblingSet<V>) {
        let other_has = |dot: Dot| other.siblings.binary_search_by(|s| s.dot.cmp(&dot)).is_ok();
        self.siblings
            .retain(|mine| other_has(mine.dot) || !other.context.covers(mine.dot));
        for theirs in &other.siblings {
            if !self.context.covers(theirs.dot) {
                let position = self
                    .siblings
                    .partition_point(|sibling| sibling.dot < theirs.dot);
                self.siblings.insert(position, theirs.clone());
            }
        }
        self.context.merge(&other.context);
        self.debug_check();
    }

    /// The merge of two objects, leaving both as they are.
    pub fn merged(&self, other: &SiblingSet<V>) -> SiblingSet<V> {
        let mut result = self.clone();
        result.merge(other);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(node: u32, counter: u64) -> Dot {
        Dot::new(NodeId(node), counter).unwrap()
    }

    #[test]
    fn dot_counter_is_never_zero() {
        assert!(Dot::new(NodeId(1), 0).is_none());
        assert_eq!(dot(1, 3).to_string(), "n1:3");
    }

    #[test]
    fn compare_orders_vectors() {
        let a: VersionVector = [dot(1, 2)].into_iter().collect();
        let b: VersionVector = [dot(1, 2), dot(2, 1)].into_iter().collect();
        let c: VersionVector = [dot(2, 3)].into_iter().collect();
        assert_eq!(a.compare(&b), Causality::Before);
        assert_eq!(b.compare(&a), Causality::After);
        assert_eq!(a.compare(&c), Causality::Concurrent);
        assert_eq!(a.compare(&a.clone()), Causality::Equal);
        assert!(a < b);
        assert_eq!(a.partial_cmp(&c), None);
    }

    #[test]
    fn a_vector_counts_the_events_it_has_seen() {
        let mut vector = VersionVector::new();
        assert!(vector.is_empty());
        assert_eq!(vector.to_string(), "[]");
        assert_eq!(vector.next_dot(NodeId(2)), dot(2, 1));
        vector.add(dot(2, 3));
        vector.add(dot(2, 1));
        assert!(!vector.is_empty());
        assert_eq!((vector.get(NodeId(1)), vector.get(NodeId(2))), (0, 3));
        assert!(vector.covers(dot(2, 3)) && !vector.covers(dot(2, 4)));
        assert_eq!(vector.next_dot(NodeId(2)), dot(2, 4));
        let other: VersionVector = [dot(1, 1), dot(2, 2)].into_iter().collect();
        vector.merge(&other);
        assert_eq!(
            vector.entries().collect::<Vec<_>>(),
            [(NodeId(1), 1), (NodeId(2), 3)]
        );
        assert_eq!(vector.to_string(), "[n1:1 n2:3]");
    }

    #[test]
    fn a_forgotten_object_takes_back_only_what_it_had_not_seen() {
        let mut stale: SiblingSet<u32> = SiblingSet::new();
        stale.put(NodeId(1), &VersionVector::new(), 1);
        let reaped = stale.context().clone();
        stale.put(NodeId(2), &VersionVector::new(), 2);
        let mut object = SiblingSet::forgotten(reaped.clone());
        assert!(object.is_empty());
        assert_eq!(object.context(), &reaped);
        object.merge(&stale);
        assert_eq!(object.values().copied().collect::<Vec<_>>(), vec![2]);
        assert_eq!(object.context(), stale.context());
    }

    #[test]
    fn replicated_write_is_applied_once() {
        let mut object: SiblingSet<u32> = SiblingSet::new();
        let d = object.put(NodeId(1), &VersionVector::new(), 7);
        object.insert(d, &VersionVector::new(), 8);
        assert_eq!(object.values().copied().collect::<Vec<_>>(), vec![7]);
    }

    #[test]
    fn write_with_stale_context_stays_concurrent() {
        let mut object: SiblingSet<u32> = SiblingSet::new();
        object.put(NodeId(1), &VersionVector::new(), 1);
        let context_after_one = object.context().clone();
        object.put(NodeId(2), &VersionVector::new(), 2);
        // Written having seen 1 only: replaces 1, keeps 2.
        object.put(NodeId(1), &context_after_one, 3);
        assert_eq!(object.values().copied().collect::<Vec<_>>(), vec![3, 2]);
    }

    /// A sibling set as a replica could receive it from a broken peer (deserialized): each
    /// broken invariant is named, and a set that keeps them all passes.
    fn parsed(json: &str) -> SiblingSet<u32> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn check_invariants_names_the_invariant_a_set_breaks() {
        let sibling = |node: u32, counter: u64, past: &str| {
            format!(r#"{{"dot":{{"node":{node},"counter":{counter}}},"past":{past},"value":0}}"#)
        };
        let set = |siblings: &[String], context: &str| {
            parsed(&format!(
                r#"{{"siblings":[{}],"context":{context}}}"#,
                siblings.join(",")
            ))
            .check_invariants()
            .map_err(|violation| violation.to_string())
        };
        // Two concurrent siblings, in dot order, both covered: valid.
        let valid = [sibling(1, 2, "{}"), sibling(2, 1, r#"{"1":1}"#)];
        assert_eq!(set(&valid, r#"{"1":2,"2":1}"#), Ok(()));
        // The context misses a sibling's dot, or only its past.
        assert_eq!(
            set(&[sibling(1, 2, "{}")], r#"{"1":1}"#),
            Err("context [n1:1] misses sibling n1:2".to_string())
        );
        assert_eq!(
            set(&[sibling(1, 1, r#"{"2":3}"#)], r#"{"1":1,"2":2}"#),
            Err("context [n1:1 n2:2] misses sibling n1:1".to_string())
        );
        // Out of dot order, or one dot twice.
        let reversed = [sibling(2, 1, "{}"), sibling(1, 1, "{}")];
        assert_eq!(
            set(&reversed, r#"{"1":1,"2":1}"#),
            Err("siblings n2:1 and n1:1 out of order".to_string())
        );
        let twice = [sibling(1, 1, "{}"), sibling(1, 1, "{}")];
        assert_eq!(
            set(&twice, r#"{"1":1}"#),
            Err("siblings n1:1 and n1:1 out of order".to_string())
        );
        // Not an antichain: the second was written having seen the first.
        let chain = [sibling(1, 1, "{}"), sibling(2, 1, r#"{"1":1}"#)];
        assert_eq!(
            set(&chain, r#"{"1":1,"2":1}"#),
            Err("sibling n1:1 precedes sibling n2:1".to_string())
        );
    }

    /// Debug builds check the invariants after every change: a write into a set that a broken
    /// peer sent (the context misses its sibling) panics rather than going on.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "sibling set invariant broken: context [n2:1] misses sibling n1:1")]
    fn debug_builds_assert_the_invariants_after_a_change() {
        let mut broken = parsed(
            r#"{"siblings":[{"dot":{"node":1,"counter":1},"past":{},"value":0}],"context":{}}"#,
        );
        broken.insert(dot(2, 1), &VersionVector::new(), 1);
    }
}
