//! Importers for histories recorded by other tools: Knossos and Jepsen EDN, Jepsen log lines
//! (as in Porcupine's etcd test data) and Porcupine's key-value logs.
//!
//! This module owns reading those formats into one plain-data shape, [`ExternalHistory`]: a list
//! of operations, each with its process, function, key, the value it was invoked with, what it
//! observed, and when it was invoked and completed (as positions in the file, which is the
//! real-time order these tools record). It knows nothing about models or checking: which values
//! a `:cas` compares is the business of the linearizability checker around it (`crate::lin`), the
//! only user of these importers (their EDN values are nothing quorate's own histories use).
//!
//! Each format comes with its tool's reading of crashed and failed operations ([`Reading`]):
//! - Knossos (EDN): a `:fail` operation did not happen and is dropped; an `:info` operation
//!   stays open to the end of the history; nemesis operations are ignored.
//! - Porcupine (Jepsen logs, key-value logs): a failed `:cas` is a completed operation that
//!   observed a value other than the one it expected; a failed read is indeterminate (it says
//!   nothing and is dropped); any other failure, and every `:info`, stays open to the end.
//!
//! Importing never panics, whatever the bytes: a malformed input is an [`ImportError`] that names
//! the line, the column and the reason.
//!
//! ```
//! use quorate::lin::import::{import, Format};
//!
//! let text = "[{:type :invoke, :f :write, :value 1, :process 0}
//!               {:type :ok, :f :write, :value 1, :process 0}]";
//! let history = import(text.as_bytes(), Format::Edn).unwrap();
//! assert_eq!(history.operations.len(), 1);
//! ```

pub mod edn;
mod events;
mod jepsen_log;

use std::fmt;

pub use edn::Edn;

/// A history of another tool, in the order its operations were invoked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalHistory {
    /// The operations, in invocation order.
    pub operations: Vec<ExternalOp>,
}

/// What an operation observed when it completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    /// It completed `:ok` with this value (the completion's `:value`).
    Ok(Edn),
    /// It completed with a definite failure that still observed something: Porcupine's reading
    /// of a failed `:cas`, which saw a value other than the one it expected. Holds the
    /// completion's `:value`.
    Failed(Edn),
    /// Nothing is known of its outcome: it crashed (`:info`), timed out, or never completed.
    Unknown,
}

/// One operation of an external history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalOp {
    /// The process (client) that ran it, as the file names it.
    pub process: Edn,
    /// The function, without its colon: `read`, `write`, `cas`, `txn`, `acquire`, `append`, ...
    pub f: String,
    /// The key, for formats that name one (`:key` in Porcupine's key-value logs).
    pub key: Option<Edn>,
    /// The `:value` it was invoked with.
    pub value_invoke: Edn,
    /// What it observed when it completed.
    pub observed: Observed,
    /// The position of its invocation among the file's events.
    pub time_invoke: u64,
    /// The position of its completion among the file's events; `None` when it stays open to the
    /// end of the history (it may take effect at any time after its invocation, or never).
    pub time_complete: Option<u64>,
    /// The line of its invocation in the file.
    pub line: usize,
}

impl ExternalOp {
    /// The operation in a few words: `process 3 cas [1 2] (ok)`.
    pub fn describe(&self) -> String {
        let key = self
            .key
            .as_ref()
            .map(|key| format!(" key {key}"))
            .unwrap_or_default();
        let observed = match (&self.observed, self.time_complete) {
            (Observed::Ok(value), _) if value == &self.value_invoke => "ok".to_string(),
            (Observed::Ok(value), _) => format!("ok {value}"),
            (Observed::Failed(_), _) => "failed".to_string(),
            (Observed::Unknown, None) => "never completed".to_string(),
            (Observed::Unknown, Some(_)) => "outcome unknown".to_string(),
        };
        format!(
            "line {}: process {} {}{} {} ({observed})",
            self.line, self.process, self.f, key, self.value_invoke
        )
    }
}

/// Why an input could not be imported: where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based line, 0 when the problem is not at one place.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// What is wrong, in words.
    pub message: String,
}

/// The most bytes of the input an error message quotes, and the most bytes a message keeps.
const QUOTE_BYTES_MAX: usize = 200;
const MESSAGE_BYTES_MAX: usize = 1_000;

/// `text` quoted for a message: at most [`QUOTE_BYTES_MAX`] bytes of it, and how much was left.
pub(crate) fn quoted(text: &str) -> String {
    if text.len() <= QUOTE_BYTES_MAX {
        return format!("{text:?}");
    }
    let end = (0..=QUOTE_BYTES_MAX)
        .rev()
        .find(|&end| text.is_char_boundary(end))
        .unwrap_or(0);
    format!("{:?}… ({} bytes in all)", &text[..end], text.len())
}

impl ImportError {
    /// An error at a place. The message is cut to [`MESSAGE_BYTES_MAX`] bytes, whatever it
    /// quotes: an input with one huge value must not make a huge message.
    pub(crate) fn at(line: usize, column: usize, message: impl Into<String>) -> ImportError {
        let mut message = message.into();
        if message.len() > MESSAGE_BYTES_MAX {
            let end = (0..=MESSAGE_BYTES_MAX)
                .rev()
                .find(|&end| message.is_char_boundary(end))
                .unwrap_or(0);
            message.truncate(end);
            message.push_str("… (message cut)");
        }
        ImportError {
            line,
            column,
            message,
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => f.write_str(&self.message),
            (line, 0) => write!(f, "line {line}: {}", self.message),
            (line, column) => write!(f, "line {line}, column {column}: {}", self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// The external formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Knossos / Jepsen EDN: a vector of op maps, or a stream of maps.
    Edn,
    /// Jepsen log lines: `INFO  jepsen.util - 3 :invoke :read nil`.
    JepsenLog,
    /// Porcupine's key-value logs: one map per line with a `:key`.
    PorcupineKv,
}

/// How a tool reads failed and crashed operations (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Knossos': a `:fail` did not happen and is dropped; an `:info` stays open to the end.
    Knossos,
    /// Porcupine's: a failed `:cas` observed another value; a failed read is dropped; any other
    /// failure, and every `:info`, stays open to the end.
    Porcupine,
}

impl Format {
    /// The reading of failures that the format's own tool uses.
    pub fn reading(self) -> Reading {
        match self {
            Format::Edn => Reading::Knossos,
            Format::JepsenLog | Format::PorcupineKv => Reading::Porcupine,
        }
    }
}

/// What a file's first bytes say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detected {
    /// quorate's own JSON history (a `{` document with `"operations"`).
    QuorateJson,
    /// A history of another tool, in this format.
    External(Format),
}

/// Guesses the format from the text: quorate JSON, Jepsen log lines, Porcupine key-value maps
/// (maps with a `:key`), or else EDN.
pub fn detect(bytes: &[u8]) -> Detected {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    let first_line = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with(';'))
        .unwrap_or("");
    // A JSON object's first key is a string; EDN maps open with a keyword (`{:process 0 …}`).
    // This reads only the document's start: a simulated history's `scenario` can put its
    // `"operations"` field megabytes in.
    let json_object = text.trim_start().strip_prefix('{').is_some_and(|rest| {
        rest.trim_start().starts_with('"') || rest.trim_start().starts_with('}')
    });
    if json_object {
        Detected::QuorateJson
    } else if first_line.contains("jepsen.util") || first_line.starts_with("INFO") {
        Detected::External(Format::JepsenLog)
    } else if first_line.starts_with('{') && first_line.contains(":key ") {
        Detected::External(Format::PorcupineKv)
    } else {
        Detected::External(Format::Edn)
    }
}

/// Imports a history of the given format.
///
/// The history owns its values (it borrows nothing from `bytes`), and holds each string of the
/// input once: a history with one huge value takes about the input's size, and importing it
/// about twice that, the input included.
pub fn import(bytes: &[u8], format: Format) -> Result<ExternalHistory, ImportError> {
    let text = utf8(bytes)?;
    match format {
        Format::Edn | Format::PorcupineKv => events::import_edn_document(text, format.reading()),
        Format::JepsenLog => jepsen_log::import(text, format.reading()),
    }
}

/// Imports a whole input of the given format, which it takes and frees once read: the history is
/// checked without the input beside it (as `quorate check` does), so a history with one huge
/// value never holds more than about twice the input's size.
pub fn import_owned(bytes: Vec<u8>, format: Format) -> Result<ExternalHistory, ImportError> {
    import(&bytes, format)
}

/// The text, or an error naming the line and column of the first byte that is not UTF-8.
fn utf8(bytes: &[u8]) -> Result<&str, ImportError> {
    std::str::from_utf8(bytes).map_err(|error| {
        let valid = bytes.get(..error.valid_up_to()).unwrap_or(&[]);
        let line = 1 + valid.iter().filter(|&&byte| byte == b'\n').count();
        let line_start = valid
            .iter()
            .rposition(|&byte| byte == b'\n')
            .map_or(0, |newline| newline + 1);
        let column = 1 + String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count();
        ImportError::at(line, column, "the file is not UTF-8 text")
    })
}

#[cfg(test)]
mod tests;
