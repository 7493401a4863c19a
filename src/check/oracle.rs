//! The brute-force judge of MVR-linearizability, for small histories only.
//!
//! It searches every total order of one key's operations that is consistent with real time and
//! runs the multi-value register's sequential specification on it: a write replaces every
//! value its context covers (the values listed and everything they overwrote) and adds its own;
//! a read must return exactly the current values. Writes that failed or never answered may be
//! left out; gets that are not `ok` take no part. It is exponential on purpose: it shares no
//! code with the polynomial decision in `reads` (beyond the history types) so that the two can
//! be tested against each other.
//!
//! ```
//! use quorate::check::oracle;
//! use quorate::history::{History, Key};
//!
//! let history = History::from_json(r#"{"version": 1, "operations": [
//!   {"id": 0, "client": 0, "key": "k", "kind": "put", "value": "v1",
//!    "time_ms_invoke": 0, "time_ms_complete": 4, "outcome": "ok"},
//!   {"id": 1, "client": 1, "key": "k", "kind": "get", "values": ["v1"],
//!    "time_ms_invoke": 1, "time_ms_complete": 9, "outcome": "ok"}
//! ]}"#).unwrap();
//! let order = oracle::find_order(&history, &Key("k".into())).unwrap();
//! assert_eq!(order.map(|ids| ids.len()), Some(2));
//! ```

use std::collections::{HashMap, HashSet};

use crate::history::{Action, History, Key, OpId, Operation, Outcome};

/// The most operations of one key the oracle accepts.
pub const MAX_OPERATIONS: usize = 24;

/// Why the oracle declined.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OracleError {
    #[error("key {key:?} has {operations} operations; the brute-force oracle takes at most {MAX_OPERATIONS}")]
    TooLarge { key: Key, operations: usize },
}

/// One participant of the search.
#[derive(Debug)]
struct Step {
    id: OpId,
    /// Writes: the bit of the value written. Gets: none.
    write: Option<usize>,
    /// Writes: the bits its context covers.
    covers: u64,
    /// Gets: the bits it returned; `None` if it returned a value no write wrote.
    returned: Option<u64>,
    /// Must it be in the order (acknowledged), or may it be left out?
    mandatory: bool,
    /// The participants that precede it in real time.
    predecessors: u32,
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
    if operations.len() > MAX_OPERATIONS || writes.len() > 64 {
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
    let steps: Vec<Step> = (0..operations.len())
        .map(|position| {
            let operation = operations[position].1;
            let predecessors = (0..operations.len())
                .filter(|&other| other != position && precedes(other, position))
                .fold(0u32, |mask, other| mask | 1 << other);
            let (write, covers, returned) = match &operation.action {
                Action::Get { values, .. } => {
                    let returned = values.iter().try_fold(0u64, |mask, read| {
                        bit_of.get(read.value.0.as_str()).map(|bit| mask | 1 << bit)
                    });
                    (None, 0, returned)
                }
                Action::Put(write) | Action::Delete(write) => {
                    let bit = bit_of.get(write.value.0.as_str()).copied();
                    (bit, bit.map_or(0, |bit| covered[bit]), None)
                }
            };
            Step {
                id: operation.id,
                write,
                covers,
                returned,
                mandatory: operation.outcome == Outcome::Ok,
                predecessors,
            }
        })
        .collect();
    let mandatory = steps
        .iter()
        .enumerate()
        .filter(|(_, step)| step.mandatory)
        .fold(0u32, |mask, (position, _)| mask | 1 << position);
    let mut search = Search {
        steps: &steps,
        mandatory,
        failed: HashSet::new(),
        order: Vec::new(),
    };
    if search.extend(0, 0) {
        search.order.reverse();
        Ok(Some(search.order))
    } else {
        Ok(None)
    }
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

struct Search<'s> {
    steps: &'s [Step],
    mandatory: u32,
    /// (placed, current values) pairs from which no order completes.
    failed: HashSet<(u32, u64)>,
    /// The order found, last step first.
    order: Vec<OpId>,
}

impl Search<'_> {
    fn extend(&mut self, placed: u32, values: u64) -> bool {
        if self.mandatory & !placed == 0 {
            return true;
        }
        if self.failed.contains(&(placed, values)) {
            return false;
        }
        for (position, step) in self.steps.iter().enumerate() {
            let bit = 1u32 << position;
            if placed & bit != 0 || step.predecessors & !placed != 0 {
                continue;
            }
            let next_values = match step.write {
                Some(write) => (values & !step.covers) | 1 << write,
                None => match step.returned {
                    Some(returned) if returned == values => values,
                    _ => continue,
                },
            };
            if self.extend(placed | bit, next_values) {
                self.order.push(step.id);
                return true;
            }
        }
        self.failed.insert((placed, values));
        false
    }
}
