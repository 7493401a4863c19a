//! Jepsen log lines, as in Porcupine's etcd test data:
//! `INFO  jepsen.util - 3 :invoke :cas [1 4]` (fields separated by tabs or runs of spaces).
//! Fields after the value (`:hint 3` in some of Porcupine's logs) are ignored.
//!
//! Lines that are not operation lines are skipped, as Porcupine skips them: other loggers, blank
//! lines, and `jepsen.util` messages whose first field is not a process (a number). An operation
//! line whose other fields do not parse is an error naming it. Nemesis lines are ignored.

use super::edn::{read_first_value, read_value, Edn};
use super::events::{event_type_of, Event};
use super::ImportError;

const MARKER: &str = "jepsen.util -";

pub(super) fn events(text: &str) -> Result<Vec<Event>, ImportError> {
    let mut events = Vec::new();
    let mut saw_text = false;
    for (line_index, line) in text.lines().enumerate() {
        let line_number = line_index + 1;
        saw_text |= !line.trim().is_empty();
        let Some(marker_at) = line.find(MARKER) else {
            continue;
        };
        let fields_at = marker_at + MARKER.len();
        if let Some(event) = event_of_line(&line[fields_at..], line_number, fields_at + 1)? {
            events.push(event);
        }
    }
    if events.is_empty() && saw_text {
        return Err(ImportError::at(
            0,
            0,
            "no Jepsen operation lines (`INFO  jepsen.util - <process> :<type> :<f> <value>`) in the file",
        ));
    }
    Ok(events)
}

/// Splits off the next whitespace-separated field; returns it, its column offset, and the rest.
fn next_field(text: &str, offset: usize) -> Option<(&str, usize, &str, usize)> {
    let start = text.len() - text.trim_start().len();
    let rest = &text[start..];
    if rest.is_empty() {
        return None;
    }
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some((
        &rest[..end],
        offset + start,
        &rest[end..],
        offset + start + end,
    ))
}

fn event_of_line(fields: &str, line: usize, column: usize) -> Result<Option<Event>, ImportError> {
    let shape = "expected `<process> :<type> :<f> <value>` after `jepsen.util -`";
    let (process_text, process_column, rest, rest_column) =
        next_field(fields, column).ok_or_else(|| ImportError::at(line, column, shape))?;
    let process = read_value(process_text).map_err(|_| {
        ImportError::at(
            line,
            process_column,
            format!("{shape}; the process {process_text:?} is not a value"),
        )
    })?;
    if process.as_keyword() == Some("nemesis") {
        return Ok(None);
    }
    if !matches!(process, Edn::Int(_)) {
        return Err(ImportError::at(
            line,
            process_column,
            format!("{shape}; the process {process_text:?} is not a number"),
        ));
    }
    let (type_text, type_column, rest, rest_column) =
        next_field(rest, rest_column).ok_or_else(|| ImportError::at(line, rest_column, shape))?;
    let event_type = read_value(type_text)
        .ok()
        .as_ref()
        .and_then(event_type_of)
        .ok_or_else(|| {
            ImportError::at(
                line,
                type_column,
                format!(
                    "unknown type {}; expected :invoke, :ok, :fail or :info",
                    super::quoted(type_text)
                ),
            )
        })?;
    let (f_text, f_column, rest, rest_column) =
        next_field(rest, rest_column).ok_or_else(|| ImportError::at(line, rest_column, shape))?;
    let f = f_text
        .strip_prefix(':')
        .filter(|name| !name.is_empty())
        .ok_or_else(|| {
            ImportError::at(
                line,
                f_column,
                format!("the function {} is not a keyword", super::quoted(f_text)),
            )
        })?;
    let value_column = rest_column + (rest.len() - rest.trim_start().len());
    let value = if rest.trim().is_empty() {
        Edn::Nil
    } else {
        // Later fields (`:hint 3` in some of Porcupine's logs) are ignored.
        read_first_value(rest)
            .map(|(value, _)| value)
            .map_err(|error| {
                ImportError::at(
                    line,
                    value_column,
                    format!(
                        "the value {} does not parse: {}",
                        super::quoted(rest.trim()),
                        error.message
                    ),
                )
            })?
    };
    Ok(Some(Event {
        line,
        column,
        process,
        event_type,
        f: f.to_string(),
        key: None,
        value,
    }))
}
