//! The brute-force judge of MVR-linearizability of one key of a sibling history, for small
//! histories only: the oracle the polynomial decision in `reads` is tested against.
//!
//! It searches every total order of one key's operations that is consistent with real time (and
//! with each client's own sequence) and runs the multi-value register's sequential specification
//! on it: a write replaces every value its context covers (the values listed and everything they
//! overwrote) and adds its own; a read must return exactly the current values. Writes that failed
//! or never answered may be left out; gets that are not `ok` take no part. It is exponential on
//! purpose: it shares no code with the polynomial decision in `reads` (beyond the history types)
//! so that the two can be tested against each other. This module owns the translation of a key's
//! operations into that specification; the search is the crate's one brute force,
//! `lin::brute_force`.
//!
//! ```
//! use quorate::check::mvr_oracle;
//! use quorate::history::{History, Key};
//!
//! let history = History::from_json(r#"{"version": 1, "operations": [
//!   {"id": 0, "client": 0, "key": "k", "kind": "put", "value": "v1",
//!    "time_ms_invoke": 0, "time_ms_complete": 4, "outcome": "ok"},
//!   {"id": 1, "client": 1, "key": "k", "kind": "get", "values": ["v1"],
//!    "time_ms_invoke": 1, "time_ms_complete": 9, "outcome": "ok"}
//! ]}"#).unwrap();
//! let order = mvr_oracle::find_order(&history, &Key("k".into())).unwrap();
//! assert_eq!(order.map(|ids| ids.len()), Some(2));
//! ```

use std::collections::HashMap;

use crate::history::{Action, History, Key, OpId, Operation, Outcome};
use crate::lin::brute_force::{self, OPERATIONS_MAX};

/// Why the oracle declined.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OracleError {
    /// A key with more operations than the brute-force search takes.
    #[error("key {key:?} has {operations} operations; the brute-force oracle takes at most {OPERATIONS_MAX}")]
    TooLarge {
        /// The key too large to search.
        key: Key,
        /// Its operations, more than the oracle takes.
        operations: usize,
    },
}

/// What one participant of the search does to the register's values (a bitmask of writes).
#[derive(Debug)]
enum Effect {
    /// A write: the bit of the value written and the bits its context covers.
    Write { bit: usize, covers: u64 },
    /// A get: the bits it returned; `None` if it returned a value no write wrote.
    Read { returned: Option<u64> },
}

/// A total order of the key's operations (the ones placed, by id) that satisfies the
/// specification, or `None` if there is none.
pub fn find_order(history: &History, key: &Key) -> Result<Option<Vec<OpId>>, OracleError> {
    let operations: Vec<(usize, &Operation)> = history
        .operations
        .iter()
        .enumerate()
        .filter(|(_, operation)| &operation.key == key)
        .filter(|(_, operation)| {
            !matches!(operation.action, Action::Get { .. }) || operation.outcome == Outcome::Ok
        })
        .collect();
    let writes: Vec<&Operation> = operations
        .iter()
        .map(|(_, operation)| *operation)
        .filter(|operation| operation.action.write().is_some())
        .collect();
    if operations.len() > OPERATIONS_MAX || writes.len() > 64 {
        return Err(OracleError::TooLarge {
            key: key.clone(),
            operations: operations.len(),
        });
    }
    let bit_of: HashMap<&str, usize> = writes
        .iter()
        .enumerate()
        .filter_map(|(bit, operation)| Some((operation.action.write()?.value.0.as_str(), bit)))
        .collect();
    // covered[w]: the values w's context names, closed under "and what they covered".
    let mut covered: Vec<u64> = writes
        .iter()
        .map(|operation| {
            operation.action.write().map_or(0, |write| {
                write
                    .context
                    .iter()
                    .filter_map(|value| bit_of.get(value.0.as_str()))
                    .fold(0, |mask, bit| mask | 1 << bit)
            })
        })
        .collect();
    loop {
        let mut changed = false;
        for w in 0..writes.len() {
            let mut closure = covered[w];
            for (u, covered_u) in covered.iter().enumerate() {
                if closure & (1 << u) != 0 {
                    closure |= covered_u;
                }
            }
            if closure != covered[w] {
                covered[w] = closure;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }

    let client_rank = client_ranks(&operations);
    let precedes = |a: usize, b: usize| {
        let (first, second) = (operations[a].1, operations[b].1);
        first.outcome == Outcome::Ok
            && (first.time_ms_complete.unwrap_or(u64::MAX) < second.time_ms_invoke
                || (first.client == second.client && client_rank[a] < client_rank[b]))
    };
    let predecessors = brute_force::predecessor_masks(operations.len(), precedes);
    // Acknowledged operations must be in the order; failed and unanswered writes may be.
    let mandatory = brute_force::mask(operations.len(), |position| {
        operations[position].1.outcome == Outcome::Ok
    });
    let effects: Vec<Effect> = operations
        .iter()
        .map(|(_, operation)| match &operation.action {
            Action::Get { values, .. } => Effect::Read {
                returned: values.iter().try_fold(0u64, |mask, read| {
                    bit_of.get(read.value.0.as_str()).map(|bit| mask | 1 << bit)
                }),
            },
            Action::Put(write) | Action::Delete(write) => {
                // Every write of the key has a bit: `bit_of` holds every value written.
                match bit_of.get(write.value.0.as_str()) {
                    Some(&bit) => Effect::Write {
                        bit,
                        covers: covered[bit],
                    },
                    None => Effect::Read { returned: None },
                }
            }
        })
        .collect();
    // The state is the set of current values, as bits.
    let order =
        brute_force::find_order(
            &predecessors,
            mandatory,
            0u64,
            |&values, position| match effects[position] {
                Effect::Write { bit, covers } => Some((values & !covers) | 1 << bit),
                Effect::Read { returned } => returned.filter(|&returned| returned == values),
            },
        );
    Ok(order.map(|order| {
        order
            .into_iter()
            .map(|position| operations[position].1.id)
            .collect()
    }))
}

/// Each operation's rank in its client's sequence: invoke, then completion, then file order.
fn client_ranks(operations: &[(usize, &Operation)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..operations.len()).collect();
    order.sort_by_key(|&position| {
        let (file_index, operation) = operations[position];
        (
            operation.client,
            operation.time_ms_invoke,
            operation.time_ms_complete.unwrap_or(u64::MAX),
            file_index,
        )
    });
    let mut rank = vec![0; operations.len()];
    for (position_in_order, &position) in order.iter().enumerate() {
        rank[position] = position_in_order;
    }
    rank
}
