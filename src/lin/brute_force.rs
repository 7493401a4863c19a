//! Brute-force linearizability, for tests: the one exhaustive search of the crate, and its judge
//! of histories under a sequential model ([`is_linearizable`]).
//!
//! The search tries every order of the operations that respects real time: each operation the
//! order must hold (a completed one) exactly once, each other (an open one) at most once, each
//! after every operation that precedes it, and each accepted by the model in the state the
//! operations before it left. Its only economy is to remember the configurations (operations
//! placed, state) from which no order completes, which any search may; there is no pruning, no
//! list surgery, and no operation is left out beyond what the order may leave out. It is
//! exponential and only for small histories ([`OPERATIONS_MAX`]).
//!
//! Two oracles stand on it, each the judge of a fast decision in differential tests and fuzzing:
//! - [`is_linearizable`] judges a partition under a [`Spec`]: the Wing–Gong–Lowe search
//!   ([`check`](super::check)) is tested against it;
//! - `check::mvr_oracle` judges one key of a sibling history as a multi-value register: the
//!   leaderless checker's polynomial MVR-linearizability decision is tested against it.

use std::collections::HashSet;
use std::hash::Hash;

use super::{Spec, TimedOp};

/// The most operations the search takes (its sets are bitmasks).
pub const OPERATIONS_MAX: usize = 24;

/// Whether some order of `ops` (each completed operation exactly once, each open operation at
/// most once) respects real time and is accepted by `model` from `initial`. `None` if there are
/// more than [`OPERATIONS_MAX`] operations.
pub fn is_linearizable<M: Spec>(
    model: &M,
    ops: &[TimedOp<M::Op>],
    initial: &M::State,
) -> Option<bool> {
    if ops.len() > OPERATIONS_MAX {
        return None;
    }
    let predecessors = predecessor_masks(ops.len(), |earlier, later| {
        ops[earlier]
            .time_complete
            .is_some_and(|complete| complete < ops[later].time_invoke)
    });
    let completed = mask(ops.len(), |index| ops[index].time_complete.is_some());
    let order = find_order(&predecessors, completed, initial.clone(), |state, index| {
        model.step(state, &ops[index].op).apply(state)
    });
    Some(order.is_some())
}

/// For each operation, the set (bitmask) of the other operations that `precedes` puts before it:
/// `precedes(earlier, later)`.
pub(crate) fn predecessor_masks(count: usize, precedes: impl Fn(usize, usize) -> bool) -> Vec<u32> {
    (0..count)
        .map(|later| {
            mask(count, |earlier| {
                earlier != later && precedes(earlier, later)
            })
        })
        .collect()
}

/// The set (bitmask) of the operations among the first `count` that `holds`.
pub(crate) fn mask(count: usize, holds: impl Fn(usize) -> bool) -> u32 {
    (0..count)
        .filter(|&index| holds(index))
        .fold(0, |mask, index| mask | 1 << index)
}

/// An order of the operations (their positions, first first) that holds every operation of
/// `mandatory` and maybe others, places each after all of its `predecessors`, and in which `step`
/// accepts each from the state the ones before it left, starting at `initial`; `None` if there is
/// none. When several exist, the first in the order of positions is taken.
///
/// Precondition: at most [`OPERATIONS_MAX`] operations (`predecessors.len()`); callers check it.
pub(crate) fn find_order<S: Clone + Eq + Hash>(
    predecessors: &[u32],
    mandatory: u32,
    initial: S,
    step: impl Fn(&S, usize) -> Option<S>,
) -> Option<Vec<usize>> {
    let mut search = Search {
        predecessors,
        mandatory,
        step,
        failed: HashSet::new(),
        order: Vec::new(),
    };
    if search.extend(0, &initial) {
        search.order.reverse();
        Some(search.order)
    } else {
        None
    }
}

struct Search<'p, S, F> {
    predecessors: &'p [u32],
    mandatory: u32,
    step: F,
    /// (placed, state) pairs from which no order completes.
    failed: HashSet<(u32, S)>,
    /// The order found, last operation first.
    order: Vec<usize>,
}

impl<S: Clone + Eq + Hash, F: Fn(&S, usize) -> Option<S>> Search<'_, S, F> {
    fn extend(&mut self, placed: u32, state: &S) -> bool {
        if self.mandatory & !placed == 0 {
            return true;
        }
        if self.failed.contains(&(placed, state.clone())) {
            return false;
        }
        for position in 0..self.predecessors.len() {
            let bit = 1u32 << position;
            if placed & bit != 0 || self.predecessors[position] & !placed != 0 {
                continue;
            }
            let Some(next) = (self.step)(state, position) else {
                continue;
            };
            if self.extend(placed | bit, &next) {
                self.order.push(position);
                return true;
            }
        }
        self.failed.insert((placed, state.clone()));
        false
    }
}
