//! The JSON shape of one operation: flat, with the fields of every kind optional, so that a
//! missing or misplaced field becomes an error that names the operation instead of a generic
//! serde message.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    Action, ClientId, Key, OpId, OpKind, Operation, Outcome, ReadValue, StoreMeta, Value, Write,
};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OperationWire {
    pub(super) id: OpId,
    pub(super) client: ClientId,
    pub(super) key: Key,
    pub(super) kind: OpKind,
    pub(super) time_ms_invoke: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) time_ms_complete: Option<u64>,
    pub(super) outcome: Outcome,
    /// Put and delete: the value written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) value: Option<Value>,
    /// Put and delete: the values read before (a list). Get: the opaque context returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) context: Option<WireContext>,
    /// Get: the values returned (read straight into `ReadValue`s: a million-operation history
    /// should not build every list twice).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_read_values",
        deserialize_with = "deserialize_read_values"
    )]
    pub(super) values: Option<Vec<ReadValue>>,
    /// Get: the tombstones returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) tombstones: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) meta: Option<StoreMeta>,
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
            meta: operation.meta.map(|meta| *meta),
        };
        match operation.action {
            Action::Get { values, context } => {
                let (tombstones, values): (Vec<ReadValue>, Vec<ReadValue>) =
                    values.into_iter().partition(|read| read.tombstone);
                wire.values = Some(values);
                if !tombstones.is_empty() {
                    wire.tombstones = Some(tombstones.into_iter().map(|read| read.value).collect());
                }
                wire.context = context.map(WireContext::Opaque);
            }
            Action::Put(write) | Action::Delete(write) => {
                wire.value = Some(write.value);
                if !write.context.is_empty() {
                    wire.context = Some(WireContext::Values(write.context));
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
                    Some(WireContext::Opaque(text)) => Some(text),
                    Some(WireContext::Values(_)) => {
                        return Err(problem(
                            "a get's \"context\" is the store's opaque context, a string".into(),
                        ))
                    }
                };
                let mut values = wire.values.unwrap_or_default();
                let tombstones = wire
                    .tombstones
                    .unwrap_or_default()
                    .into_iter()
                    .map(|value| ReadValue {
                        value,
                        tombstone: true,
                    });
                values.extend(tombstones);
                Action::Get { values, context }
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
                    Some(WireContext::Values(values)) => values,
                    Some(WireContext::Opaque(_)) => {
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
            meta: wire.meta.map(Box::new),
        })
    }
}

/// The `context` field: a list of values for a put or delete, an opaque string for a get. Read
/// without building a JSON tree; which one a kind needs is checked in `Operation::try_from`.
#[derive(Debug)]
pub(super) enum WireContext {
    Opaque(String),
    Values(Vec<Value>),
}

impl Serialize for WireContext {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            WireContext::Opaque(text) => serializer.serialize_str(text),
            WireContext::Values(values) => values.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for WireContext {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WireContext, D::Error> {
        struct ContextVisitor;

        impl<'de> Visitor<'de> for ContextVisitor {
            type Value = WireContext;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(
                    "a context: the list of values a put's client read, or a get's opaque string",
                )
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<WireContext, E> {
                Ok(WireContext::Opaque(text.to_string()))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<WireContext, E> {
                Ok(WireContext::Opaque(text))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WireContext, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(value) = seq.next_element::<Value>()? {
                    values.push(value);
                }
                Ok(WireContext::Values(values))
            }
        }

        deserializer.deserialize_any(ContextVisitor)
    }
}

fn serialize_read_values<S: Serializer>(
    values: &Option<Vec<ReadValue>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match values {
        Some(values) => serializer.collect_seq(values.iter().map(|read| &read.value)),
        None => serializer.serialize_none(),
    }
}

fn deserialize_read_values<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<ReadValue>>, D::Error> {
    struct ValuesVisitor;

    impl<'de> Visitor<'de> for ValuesVisitor {
        type Value = Vec<ReadValue>;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("the list of values a get returned")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<ReadValue>, A::Error> {
            let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
            while let Some(value) = seq.next_element::<Value>()? {
                values.push(ReadValue {
                    value,
                    tombstone: false,
                });
            }
            Ok(values)
        }
    }

    deserializer.deserialize_seq(ValuesVisitor).map(Some)
}
