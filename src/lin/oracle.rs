//! A brute-force linearizability oracle for tests: tries every order of the operations that
//! respects real time, with no memoisation, no list surgery and no operations left out. It is
//! exponential and only for small histories; the fast search is checked against it.

use super::{Model, TimedOp};

/// The most operations the oracle takes (its sets are bitmasks).
pub const OPERATIONS_MAX: usize = 24;

/// Whether some order of `ops` (each completed operation exactly once, each open operation at
/// most once) respects real time and is accepted by `model` from `initial`. `None` if there are
/// more than [`OPERATIONS_MAX`] operations.
pub fn is_linearizable<M: Model>(
    model: &M,
    ops: &[TimedOp<M::Op>],
    initial: &M::State,
) -> Option<bool> {
    if ops.len() > OPERATIONS_MAX {
        return None;
    }
    // must_follow[i]: the operations that precede i in real time, as a bitmask.
    let must_follow: Vec<u32> = ops
        .iter()
        .map(|later| {
            ops.iter()
                .enumerate()
                .filter(|(_, earlier)| {
                    earlier
                        .time_complete
                        .is_some_and(|complete| complete < later.time_invoke)
                })
                .fold(0u32, |mask, (index, _)| mask | 1 << index)
        })
        .collect();
    let completed: u32 = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.time_complete.is_some())
        .fold(0, |mask, (index, _)| mask | 1 << index);
    Some(search(model, ops, &must_follow, completed, 0, initial))
}

fn search<M: Model>(
    model: &M,
    ops: &[TimedOp<M::Op>],
    must_follow: &[u32],
    completed: u32,
    done: u32,
    state: &M::State,
) -> bool {
    if done & completed == completed {
        return true;
    }
    (0..ops.len()).any(|index| {
        let bit = 1u32 << index;
        done & bit == 0
            && must_follow[index] & !done == 0
            && model
                .step(state, &ops[index].op)
                .apply(state)
                .is_some_and(|next| search(model, ops, must_follow, completed, done | bit, &next))
    })
}
