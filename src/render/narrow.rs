//! Narrowing a history before it is drawn (`quorate render --keys`, `--around`): keep some keys,
//! or the stretch of time around one operation. This file owns only choosing what to keep; it
//! never judges (the caller checks the whole history first, so anomalies are those of the whole)
//! and never changes what it keeps.

use std::collections::BTreeSet;

use crate::history::{History, Key, OpId, TraceEvent};

/// Why a history cannot be narrowed as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NarrowError {
    /// A key the history does not have.
    #[error("--keys: the history has no key {0:?}")]
    UnknownKey(String),
    /// An operation the history does not have.
    #[error("--around: the history has no operation {0}")]
    UnknownOperation(OpId),
    /// The operation to centre on is on a key left out.
    #[error("--around: operation {0} is on key {1:?}, which --keys leaves out")]
    OperationLeftOut(OpId, String),
}

/// What to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Narrow {
    /// Only these keys (all when empty).
    pub keys: Vec<Key>,
    /// Only the time around this operation: from the invocation of the `context`-th operation
    /// invoked before it to the end of the `context`-th invoked after it (on the kept keys).
    pub around: Option<OpId>,
    /// How many operations before and after `around` the window reaches.
    pub context: usize,
}

/// The history cut down to what `narrow` keeps: operations of the kept keys (overlapping the
/// window, with `--around`), and the trace's events in the window. Faults are kept whole (the
/// trace names them by position).
pub fn narrow(history: &History, narrow: &Narrow) -> Result<History, NarrowError> {
    let present: BTreeSet<&Key> = history.operations.iter().map(|op| &op.key).collect();
    for key in &narrow.keys {
        if !present.contains(key) {
            return Err(NarrowError::UnknownKey(key.to_string()));
        }
    }
    let keep_key = |key: &Key| narrow.keys.is_empty() || narrow.keys.contains(key);
    let mut on_keys: Vec<_> = history
        .operations
        .iter()
        .filter(|op| keep_key(&op.key))
        .collect();
    let mut window = (0, u64::MAX);
    if let Some(id) = narrow.around {
        let Some(target) = history.operations.iter().find(|op| op.id == id) else {
            return Err(NarrowError::UnknownOperation(id));
        };
        if !keep_key(&target.key) {
            return Err(NarrowError::OperationLeftOut(id, target.key.to_string()));
        }
        on_keys.sort_by_key(|op| (op.time_ms_invoke, op.id));
        let position = on_keys
            .iter()
            .position(|op| op.id == id)
            .expect("the target is on a kept key");
        let first = position.saturating_sub(narrow.context);
        let last = (position + narrow.context).min(on_keys.len() - 1);
        let start = on_keys[first].time_ms_invoke;
        let end = on_keys[first..=last]
            .iter()
            .map(|op| op.time_ms_complete.unwrap_or(op.time_ms_invoke))
            .max()
            .unwrap_or(start);
        window = (start, end);
    }
    let (start, end) = window;
    let kept: BTreeSet<OpId> = on_keys
        .iter()
        .filter(|op| op.time_ms_invoke <= end && op.time_ms_complete.unwrap_or(u64::MAX) >= start)
        .map(|op| op.id)
        .collect();
    let mut narrowed = history.clone();
    narrowed.operations.retain(|op| kept.contains(&op.id));
    if let Some(replicas) = &mut narrowed.replicas {
        replicas.retain(|snapshot| keep_key(&snapshot.key));
    }
    if let Some(trace) = &mut narrowed.trace {
        trace.events.retain(|event| {
            let time_ms = event.time_ms();
            let keyed = match event {
                TraceEvent::Send { key: Some(key), .. } | TraceEvent::State { key, .. } => {
                    keep_key(key)
                }
                _ => true,
            };
            keyed && start <= time_ms && time_ms <= end
        });
    }
    Ok(narrowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> History {
        History::from_json(include_str!("../../histories/example.json")).unwrap()
    }

    #[test]
    fn keys_keep_only_their_operations() {
        let history = example();
        let key = history.operations[0].key.clone();
        let kept = narrow(
            &history,
            &Narrow {
                keys: vec![key.clone()],
                ..Narrow::default()
            },
        )
        .unwrap();
        assert!(!kept.operations.is_empty());
        assert!(kept.operations.iter().all(|op| op.key == key));
        let expected = history.operations.iter().filter(|op| op.key == key).count();
        assert_eq!(kept.operations.len(), expected);
    }

    #[test]
    fn around_keeps_the_window_of_its_neighbours() {
        let history = example();
        let mut ops: Vec<_> = history.operations.iter().collect();
        ops.sort_by_key(|op| (op.time_ms_invoke, op.id));
        let middle = ops[ops.len() / 2];
        let kept = narrow(
            &history,
            &Narrow {
                around: Some(middle.id),
                context: 0,
                ..Narrow::default()
            },
        )
        .unwrap();
        assert!(kept.operations.iter().any(|op| op.id == middle.id));
        let end = middle.time_ms_complete.unwrap_or(middle.time_ms_invoke);
        for op in &kept.operations {
            assert!(op.time_ms_invoke <= end, "{op:?}");
            assert!(op.time_ms_complete.unwrap_or(u64::MAX) >= middle.time_ms_invoke);
        }
        let all = narrow(
            &history,
            &Narrow {
                around: Some(middle.id),
                context: 1000,
                ..Narrow::default()
            },
        )
        .unwrap();
        assert_eq!(all.operations.len(), history.operations.len());
    }

    #[test]
    fn unknown_keys_and_operations_are_errors() {
        let history = example();
        let missing = Narrow {
            keys: vec![Key::from("no-such-key")],
            ..Narrow::default()
        };
        assert_eq!(
            narrow(&history, &missing).unwrap_err().to_string(),
            "--keys: the history has no key \"no-such-key\""
        );
        let missing = Narrow {
            around: Some(OpId(999_999)),
            ..Narrow::default()
        };
        assert_eq!(
            narrow(&history, &missing).unwrap_err(),
            NarrowError::UnknownOperation(OpId(999_999))
        );
    }
}
