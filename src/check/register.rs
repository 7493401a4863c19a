//! LIN for LWW histories: each key is a register (a read returns at most one value), so its
//! linearizability is decided by the Wing–Gong–Lowe search of `crate::lin`.
//!
//! This module owns the translation from a key's operations to register operations and from the
//! search's counterexample back to an anomaly. It never decides linearizability itself.
//!
//! Translation: a put or delete writes its value (a delete writes its tombstone's name); it
//! completes when it was acknowledged, and otherwise stays open to the end (a leaderless store
//! never rolls back, so a failed or unanswered write may take effect at any later time). An `ok`
//! get reads its one value or tombstone, or "empty" when it returned nothing; a get that was not
//! `ok` is left out. A get that returned two or more versions is not a register read (M2 reports
//! it); its key is then not decided here. Limitation: with tombstone reaping on, a read after a
//! reaped delete returns nothing where the register holds the tombstone, which the search would
//! call not linearizable; the presets keep tombstones.

use crate::history::{Action, History, Key, OpId, Operation, Outcome};
use crate::lin::{self, RegisterAction, TimedOp};
use crate::verdict::{Budget, Verdict};

use super::anomaly::{Anomaly, LinReason, OpSummary};

/// The verdict on one key's register.
#[derive(Debug)]
pub(super) enum KeyRegister {
    Linearizable,
    NotLinearizable(Box<Anomaly>),
    Unknown(String),
}

/// The operations at these positions of the history.
pub(super) fn operations_of<'h>(history: &'h History, positions: &[usize]) -> Vec<&'h Operation> {
    positions
        .iter()
        .map(|&position| &history.operations[position])
        .collect()
}

/// Decides whether one key's operations, read as a register, are linearizable, within `budget`
/// (the key's: `CheckOptions::budget`); a spent budget leaves the key undecided.
pub(super) fn check_key(key: &Key, operations: &[&Operation], budget: &Budget) -> KeyRegister {
    let mut register_ops = Vec::with_capacity(operations.len());
    for operation in operations {
        let action = match &operation.action {
            Action::Put(write) | Action::Delete(write) => {
                RegisterAction::Write(write.value.0.to_string())
            }
            Action::Get { .. } if operation.outcome != Outcome::Ok => continue,
            Action::Get { values, .. } => match values.as_slice() {
                [] => RegisterAction::Read(None),
                [one] => RegisterAction::Read(Some(one.value.0.to_string())),
                _ => {
                    return KeyRegister::Unknown(format!(
                        "key {key}: read {} returned {} versions, so the key is not a register",
                        operation.id,
                        values.len()
                    ))
                }
            },
        };
        let time_complete = match operation.outcome {
            Outcome::Ok => operation.time_ms_complete,
            Outcome::Fail | Outcome::Info => None,
        };
        register_ops.push(TimedOp {
            id: operation.id.0,
            op: action,
            time_invoke: operation.time_ms_invoke,
            time_complete,
        });
    }
    let result = lin::check_register(&register_ops, None, budget);
    match result.verdict {
        Verdict::Valid => KeyRegister::Linearizable,
        Verdict::Unknown => KeyRegister::Unknown(format!(
            "key {key}: {}",
            result
                .unknown_reason
                .unwrap_or_else(|| "the search's budget ran out".to_string())
        )),
        Verdict::Invalid => KeyRegister::NotLinearizable(Box::new(anomaly(
            key,
            operations,
            result.counterexample.as_ref(),
        ))),
    }
}

/// The anomaly for a register that cannot be linearized: the operation the search could not
/// place, the write of the value it returned, and the write that left the register in the state
/// where the search got stuck.
fn anomaly(
    key: &Key,
    operations: &[&Operation],
    counterexample: Option<&lin::Counterexample>,
) -> Anomaly {
    let find = |id: u64| operations.iter().find(|operation| operation.id == OpId(id));
    let mut witness: Vec<OpSummary> = Vec::new();
    let mut add = |operation: &Operation| {
        if !witness.iter().any(|summary| summary.id == operation.id) {
            witness.push(OpSummary::of(operation));
        }
    };
    if let Some(counterexample) = counterexample {
        let last_write_in_prefix = counterexample
            .prefix
            .iter()
            .rev()
            .filter_map(|report| find(report.id))
            .find(|operation| operation.action.write().is_some());
        if let Some(write) = last_write_in_prefix {
            add(write);
        }
        if let Some(blocked) = find(counterexample.blocked.id) {
            if let Action::Get { values, .. } = &blocked.action {
                let writer = values.first().and_then(|read| {
                    operations.iter().find(|operation| {
                        operation
                            .action
                            .write()
                            .is_some_and(|write| write.value == read.value)
                    })
                });
                if let Some(writer) = writer {
                    add(writer);
                }
            }
            add(blocked);
        }
    }
    // The order is meaningful to the explanation: the last write placed, the write of the value
    // read (when there is one), and the operation the search could not place, last.
    Anomaly::NotLinearizable {
        key: key.clone(),
        reason: LinReason::RegisterOrder,
        witness,
        saw_only: Vec::new(),
    }
}
