//! The JSON shape of one operation: flat, with the fields of every kind optional, so that a
//! missing or misplaced field becomes an error that names the operation instead of a generic
//! serde message.

use serde::{Deserialize, Serialize};

use super::{
    Action, ClientId, Key, OpId, OpKind, Operation, Outcome, ReadValue, StoreMeta, Value, Write,
};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OperationWire {
    id: OpId,
    client: ClientId,
    key: Key,
    kind: OpKind,
    time_ms_invoke: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    time_ms_complete: Option<u64>,
    outcome: Outcome,
    /// Put and delete: the value written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
    /// Put and delete: the values read before (a list). Get: the opaque context returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    context: Option<serde_json::Value>,
    /// Get: the values returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values: Option<Vec<Value>>,
    /// Get: the tombstones returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tombstones: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    meta: Option<StoreMeta>,
}

impl From<Operation> for OperationWire {
    fn from(operation: Operation) -> OperationWire {
        let mut wire = OperationWire {
            id: operation.id,
            client: operation.client,
            key: operation.key,
            kind: operation.action.kind(),
            time_ms_invoke: operation.time_ms_invoke,
            time_ms_complete: operation.time_ms_complete,
            outcome: operation.outcome,
            value: None,
            context: None,
            values: None,
            tombstones: None,
            meta: operation.meta,
        };
        match operation.action {
            Action::Get { values, context } => {
                let (tombstones, values): (Vec<ReadValue>, Vec<ReadValue>) =
                    values.into_iter().partition(|read| read.tombstone);
                wire.values = Some(values.into_iter().map(|read| read.value).collect());
                if !tombstones.is_empty() {
                    wire.tombstones = Some(tombstones.into_iter().map(|read| read.value).collect());
                }
                wire.context = context.map(serde_json::Value::String);
            }
            Action::Put(write) | Action::Delete(write) => {
                wire.value = Some(write.value);
                if !write.context.is_empty() {
                    let context = write
                        .context
                        .into_iter()
                        .map(|value| serde_json::Value::String(value.0.into_string()));
                    wire.context = Some(serde_json::Value::Array(context.collect()));
                }
            }
        }
        wire
    }
}

impl TryFrom<OperationWire> for Operation {
    type Error = String;

    fn try_from(wire: OperationWire) -> Result<Operation, String> {
        let id = wire.id;
        let problem = |reason: String| format!("operation {id}: {reason}");
        let action = match wire.kind {
            OpKind::Get => {
                if wire.value.is_some() {
                    return Err(problem(
                        "a get has no \"value\"; its results go in \"values\"".into(),
                    ));
                }
                let context = match wire.context {
                    None => None,
                    Some(serde_json::Value::String(text)) => Some(text),
                    Some(_) => {
                        return Err(problem(
                            "a get's \"context\" is the store's opaque context, a string".into(),
                        ))
                    }
                };
                let values = wire
                    .values
                    .unwrap_or_default()
                    .into_iter()
                    .map(|value| ReadValue {
                        value,
                        tombstone: false,
                    });
                let tombstones = wire
                    .tombstones
                    .unwrap_or_default()
                    .into_iter()
                    .map(|value| ReadValue {
                        value,
                        tombstone: true,
                    });
                Action::Get {
                    values: values.chain(tombstones).collect(),
                    context,
                }
            }
            OpKind::Put | OpKind::Delete => {
                let kind = wire.kind;
                if wire.values.is_some() || wire.tombstones.is_some() {
                    return Err(problem(format!(
                        "a {kind} returns no \"values\" or \"tombstones\""
                    )));
                }
                let Some(value) = wire.value else {
                    return Err(problem(format!(
                        "a {kind} needs the unique \"value\" it writes"
                    )));
                };
                let context = match wire.context {
                    None => Vec::new(),
                    Some(serde_json::Value::Array(items)) => items
                        .into_iter()
                        .map(|item| match item {
                            serde_json::Value::String(text) => Ok(Value::from(text)),
                            other => Err(problem(format!(
                                "context entry {other} is not a value (a string)"
                            ))),
                        })
                        .collect::<Result<Vec<Value>, String>>()?,
                    Some(_) => {
                        return Err(problem(format!(
                            "a {kind}'s \"context\" is the list of values its client read"
                        )))
                    }
                };
                let write = Write { value, context };
                if kind == OpKind::Put {
                    Action::Put(write)
                } else {
                    Action::Delete(write)
                }
            }
        };
        Ok(Operation {
            id,
            client: wire.client,
            key: wire.key,
            action,
            time_ms_invoke: wire.time_ms_invoke,
            time_ms_complete: wire.time_ms_complete,
            outcome: wire.outcome,
            meta: wire.meta,
        })
    }
}
