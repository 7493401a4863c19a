//! Jepsen log lines, as in Porcupine's etcd test data:
//! `INFO  jepsen.util - 3 :invoke :cas [1 4]` (fields separated by tabs or runs of spaces).
//! Fields after the value (`:hint 3` in some of Porcupine's logs) are ignored.
//!
//! Lines that are not operation lines are skipped, as Porcupine skips them: other loggers, blank
//! lines, and `jepsen.util` messages whose first field is not a process (a number). An operation
//! line whose other fields do not parse is an error naming it. Nemesis lines are ignored.

use super::edn::{read_first_value, read_value, Edn};
use super::events::{event_type_of, Event, EventType, Pairing};
use super::{ExternalHistory, ImportError, Reading};

const MARKER: &str = "jepsen.util -";

/// The history of a Jepsen log, each operation line paired as soon as it is read.
pub(super) fn import(text: &str, reading: Reading) -> Result<ExternalHistory, ImportError> {
    let mut pairing = Pairing::new(reading, super::events::lines(text));
    let mut saw_text = false;
    let mut saw_event = false;
    for (line_index, line) in text.lines().enumerate() {
        let line_number = line_index + 1;
        saw_text |= !line.trim().is_empty();
        let Some(marker_at) = marker_at(line) else {
            continue;
        };
        let fields_at = marker_at + MARKER.len();
        if let Some(event) = event_of_line(&line[fields_at..], line_number, fields_at + 1)? {
            saw_event = true;
            pairing.push(event)?;
        }
    }
    if !saw_event && saw_text {
        return Err(ImportError::at(
            0,
            0,
            "no Jepsen operation lines (`INFO  jepsen.util - <process> :<type> :<f> <value>`) in the file",
        ));
    }
    Ok(pairing.finish())
}

/// Where [`MARKER`] starts in the line, if it is there (found by its first byte, without
/// building a substring searcher for every line).
fn marker_at(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(offset) = bytes[from..].iter().position(|&byte| byte == b'j') {
        let at = from + offset;
        if bytes[at..].starts_with(MARKER.as_bytes()) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// A process written as plain decimal digits, read without the EDN reader (what it would read).
fn plain_process(text: &str) -> Option<Edn> {
    let plain =
        !text.is_empty() && text.len() <= 18 && text.bytes().all(|byte| byte.is_ascii_digit());
    plain.then(|| text.parse().ok().map(Edn::Int)).flatten()
}

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
    let process = match plain_process(process_text) {
        Some(process) => process,
        None => read_value(process_text).map_err(|_| {
            ImportError::at(
                line,
                process_column,
                format!("{shape}; the process {process_text:?} is not a value"),
            )
        })?,
    };
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
    let plain_type = match type_text {
        ":invoke" => Some(EventType::Invoke),
        ":ok" => Some(EventType::Ok),
        ":fail" => Some(EventType::Fail),
        ":info" => Some(EventType::Info),
        _ => None,
    };
    let event_type = plain_type
        .or_else(|| read_value(type_text).ok().as_ref().and_then(event_type_of))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_readings_agree_with_the_edn_reader() {
        for text in ["0", "7", "007", "123456789012345678"] {
            assert_eq!(plain_process(text), read_value(text).ok(), "{text}");
        }
        for text in [
            "",
            "-1",
            "+1",
            "1N",
            "1.5",
            "1234567890123456789",
            ":nemesis",
            "x",
        ] {
            assert_eq!(plain_process(text), None, "{text}");
        }
        assert_eq!(marker_at("INFO  jepsen.util - 3 :invoke"), Some(6));
        assert_eq!(marker_at("jjepsen.util -"), Some(1));
        assert_eq!(marker_at("INFO  jepsen.core - 3"), None);
    }
}
