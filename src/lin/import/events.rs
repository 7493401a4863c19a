//! Events (one line of a log, one map of an EDN history) and pairing them into operations.
//!
//! This module owns the readings of failed and crashed operations (see the parent module). It
//! never looks inside values: what a `:cas` means is a model's business. Values move from the
//! document's maps into events and from events into operations, and are never copied.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use super::edn::{read_document, Edn, Located};
use super::{ExternalHistory, ExternalOp, ImportError, Observed, Reading};

/// What an event says about its operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EventType {
    Invoke,
    Ok,
    Fail,
    Info,
}

/// One event: an invocation or a completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Event {
    pub(super) line: usize,
    pub(super) column: usize,
    pub(super) process: Edn,
    pub(super) event_type: EventType,
    pub(super) f: String,
    pub(super) key: Option<Edn>,
    pub(super) value: Edn,
}

/// The events of an EDN document: a vector of op maps, or a stream of them. Nemesis events
/// (`:process :nemesis`) are left out.
pub(super) fn from_edn_document(text: &str) -> Result<Vec<Event>, ImportError> {
    let forms = read_document(text)?;
    let mut events = Vec::with_capacity(forms.len());
    for form in forms {
        if let Some(event) = event_of_map(form)? {
            events.push(event);
        }
    }
    Ok(events)
}

/// The event a map says, taking its values out of it.
fn event_of_map(form: Located) -> Result<Option<Event>, ImportError> {
    let Located {
        value: mut map,
        line,
        column,
    } = form;
    let error = |message: String| ImportError::at(line, column, message);
    if !map.is_map() {
        return Err(error(format!(
            "expected an operation map like {{:type :invoke, :f :read, :value nil, :process 0}}, found {}",
            abbreviate(&map)
        )));
    }
    let process = map
        .take_keyword("process")
        .ok_or_else(|| error("the operation has no :process".to_string()))?;
    if process.as_keyword() == Some("nemesis") {
        return Ok(None);
    }
    let event_type = match map.get_keyword("type") {
        Some(found) => event_type_of(found).ok_or_else(|| {
            error(format!(
                "unknown :type {found}; expected :invoke, :ok, :fail or :info"
            ))
        })?,
        None => return Err(error("the operation has no :type".to_string())),
    };
    let f = match map.take_keyword("f") {
        Some(Edn::Keyword(name)) | Some(Edn::Symbol(name)) => name,
        Some(Edn::Str(name)) => Arc::unwrap_or_clone(name),
        Some(other) => return Err(error(format!(":f should be a keyword, found {other}"))),
        None => return Err(error("the operation has no :f".to_string())),
    };
    Ok(Some(Event {
        line,
        column,
        process,
        event_type,
        f,
        key: map.take_keyword("key"),
        value: map.take_keyword("value").unwrap_or(Edn::Nil),
    }))
}

pub(super) fn event_type_of(value: &Edn) -> Option<EventType> {
    match value.as_keyword()? {
        "invoke" => Some(EventType::Invoke),
        "ok" => Some(EventType::Ok),
        "fail" => Some(EventType::Fail),
        "info" => Some(EventType::Info),
        _ => None,
    }
}

/// The value's first 60 characters, and `...` if there are more; the rest of a huge value is
/// never written out.
fn abbreviate(value: &Edn) -> String {
    const SHOWN: usize = 60;
    /// Keeps what is written until one character more than it shows, then stops the writing.
    struct Start {
        text: String,
        chars: usize,
    }
    impl fmt::Write for Start {
        fn write_str(&mut self, piece: &str) -> fmt::Result {
            for character in piece.chars() {
                if self.chars > SHOWN {
                    return Err(fmt::Error);
                }
                self.text.push(character);
                self.chars += 1;
            }
            Ok(())
        }
    }
    let mut start = Start {
        text: String::new(),
        chars: 0,
    };
    // An error here only says that the writing stopped early.
    let _ = write!(start, "{value}");
    match start.text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}...", &start.text[..cut]),
        None => start.text,
    }
}

/// What a process has in flight: the index of its open operation.
type Pending = HashMap<Edn, usize>;

/// Pairs invocations with completions, in file order, under a tool's reading of failures.
pub(super) fn pair(events: Vec<Event>, reading: Reading) -> Result<ExternalHistory, ImportError> {
    let mut operations: Vec<ExternalOp> = Vec::new();
    // Operations that did not happen (Knossos' `:fail`, Porcupine's failed reads) are removed at
    // the end, so that indices into `operations` stay valid while pairing.
    let mut dropped = vec![];
    let mut pending: Pending = HashMap::new();
    for (position, event) in events.into_iter().enumerate() {
        let time = position as u64;
        let error = |message: String| ImportError::at(event.line, event.column, message);
        if event.event_type == EventType::Invoke {
            if let Some(&open) = pending.get(&event.process) {
                return Err(error(format!(
                    "process {} invokes {} while its {} from line {} has not completed",
                    event.process, event.f, operations[open].f, operations[open].line
                )));
            }
            pending.insert(event.process.clone(), operations.len());
            dropped.push(false);
            operations.push(ExternalOp {
                process: event.process,
                f: event.f,
                key: event.key,
                value_invoke: event.value,
                observed: Observed::Unknown,
                time_invoke: time,
                time_complete: None,
                line: event.line,
            });
            continue;
        }
        let Some(index) = pending.remove(&event.process) else {
            return Err(error(format!(
                "process {} completes {} without having invoked it",
                event.process, event.f
            )));
        };
        let operation = &mut operations[index];
        if operation.f != event.f {
            return Err(error(format!(
                "process {} completes {} but invoked {} at line {}",
                event.process, event.f, operation.f, operation.line
            )));
        }
        match (event.event_type, reading) {
            (EventType::Ok, _) => {
                operation.observed = Observed::Ok(event.value);
                operation.time_complete = Some(time);
            }
            (EventType::Info, _) => {}
            (EventType::Fail, Reading::Knossos) => dropped[index] = true,
            (EventType::Fail, Reading::Porcupine) => match operation.f.as_str() {
                "cas" => {
                    operation.observed = Observed::Failed(event.value);
                    operation.time_complete = Some(time);
                }
                "read" | "get" => dropped[index] = true,
                _ => {}
            },
            (EventType::Invoke, _) => {}
        }
    }
    let operations = operations
        .into_iter()
        .zip(dropped)
        .filter_map(|(operation, dropped)| (!dropped).then_some(operation))
        .collect();
    Ok(ExternalHistory { operations })
}
