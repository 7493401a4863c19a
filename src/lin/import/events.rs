//! Events (one line of a log, one map of an EDN history) and pairing them into operations.
//!
//! This module owns the readings of failed and crashed operations (see the parent module). It
//! never looks inside values: what a `:cas` means is a model's business. Values move from the
//! document's maps into events and from events into operations, and are never copied.

use rustc_hash::FxHashMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use super::edn::{for_each_form, Edn, Form, Located, OpFields};
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

/// The history of an EDN document (a vector of op maps, or a stream of them), each map paired
/// as soon as it is read, so that neither the document's values nor its events are ever held
/// all at once. Nemesis events (`:process :nemesis`) are left out.
pub(super) fn import_edn_document(
    text: &str,
    reading: Reading,
) -> Result<ExternalHistory, ImportError> {
    let mut pairing = Pairing::new(reading, lines(text));
    for_each_form(text, |form, line, column| {
        let event = match form {
            Form::Op(fields) => event_of_fields(fields, line, column)?,
            Form::Other(value) => event_of_map(Located {
                value,
                line,
                column,
            })?,
        };
        match event {
            Some(event) => pairing.push(event),
            None => Ok(()),
        }
    })?;
    Ok(pairing.finish())
}

/// The event an operation map's fields say: what [`event_of_map`] makes of the same map.
fn event_of_fields(
    fields: OpFields<'_>,
    line: usize,
    column: usize,
) -> Result<Option<Event>, ImportError> {
    if fields.process.as_keyword() == Some("nemesis") {
        return Ok(None);
    }
    let event_type = event_type_of_name(fields.event_type).ok_or_else(|| {
        ImportError::at(
            line,
            column,
            format!(
                "unknown :type {}; expected :invoke, :ok, :fail or :info",
                Edn::Keyword(fields.event_type.to_string())
            ),
        )
    })?;
    Ok(Some(Event {
        line,
        column,
        process: fields.process,
        event_type,
        f: fields.f,
        key: fields.key,
        value: fields.value.unwrap_or(Edn::Nil),
    }))
}

/// [`event_of_map`], for the tests that compare it with the fast reading.
#[cfg(test)]
pub(super) fn event_of_map_for_tests(form: Located) -> Result<Option<Event>, ImportError> {
    event_of_map(form)
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
    event_type_of_name(value.as_keyword()?)
}

fn event_type_of_name(name: &str) -> Option<EventType> {
    match name {
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

/// The lines of a text (its newlines, plus one), counted fast: how the tables are sized.
pub(super) fn lines(text: &str) -> usize {
    text.as_bytes()
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}

/// What a process has in flight: the index of its open operation.
type Pending = FxHashMap<Edn, usize>;

/// Pairs invocations with completions, in file order, under a tool's reading of failures.
#[cfg(test)]
pub(super) fn pair(events: Vec<Event>, reading: Reading) -> Result<ExternalHistory, ImportError> {
    let mut pairing = Pairing::new(reading, events.len());
    for event in events {
        pairing.push(event)?;
    }
    Ok(pairing.finish())
}

/// Invocations paired with completions so far, one event at a time.
pub(super) struct Pairing {
    reading: Reading,
    operations: Vec<ExternalOp>,
    /// Operations that did not happen (Knossos' `:fail`, Porcupine's failed reads), removed at
    /// the end so that indices into `operations` stay valid while pairing.
    dropped: Vec<bool>,
    pending: Pending,
    /// The position of the next event among the file's events.
    time: u64,
}

impl Pairing {
    /// Pairing for a file of about `lines` lines: the tables are sized for one operation in two
    /// lines (an invocation and its completion), so that they do not double, and for a moment
    /// hold twice their size, while they fill.
    pub(super) fn new(reading: Reading, lines: usize) -> Pairing {
        Pairing {
            reading,
            operations: Vec::with_capacity(lines / 2 + 1),
            dropped: Vec::with_capacity(lines / 2 + 1),
            pending: FxHashMap::default(),
            time: 0,
        }
    }

    pub(super) fn push(&mut self, event: Event) -> Result<(), ImportError> {
        let time = self.time;
        self.time += 1;
        let error = |message: String| ImportError::at(event.line, event.column, message);
        let operations = &mut self.operations;
        if event.event_type == EventType::Invoke {
            if let Some(&open) = self.pending.get(&event.process) {
                return Err(error(format!(
                    "process {} invokes {} while its {} from line {} has not completed",
                    event.process, event.f, operations[open].f, operations[open].line
                )));
            }
            self.pending.insert(event.process.clone(), operations.len());
            self.dropped.push(false);
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
            return Ok(());
        }
        let Some(index) = self.pending.remove(&event.process) else {
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
        match (event.event_type, self.reading) {
            (EventType::Ok, _) => {
                operation.observed = Observed::Ok(event.value);
                operation.time_complete = Some(time);
            }
            (EventType::Info, _) => {}
            (EventType::Fail, Reading::Knossos) => self.dropped[index] = true,
            (EventType::Fail, Reading::Porcupine) => match operation.f.as_str() {
                "cas" => {
                    operation.observed = Observed::Failed(event.value);
                    operation.time_complete = Some(time);
                }
                "read" | "get" => self.dropped[index] = true,
                _ => {}
            },
            (EventType::Invoke, _) => {}
        }
        Ok(())
    }

    /// The history: the operations that happened, in place (no second table).
    pub(super) fn finish(self) -> ExternalHistory {
        let mut operations = self.operations;
        let mut dropped = self.dropped.into_iter();
        operations.retain(|_| !dropped.next().unwrap_or(false));
        operations.shrink_to_fit();
        ExternalHistory { operations }
    }
}
