//! Loading and validating histories: every way a history can be malformed, as a typed error that
//! names where and why.

use crate::config::ConfigError;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{
    Catalog, ClientId, History, Key, OpId, Operation, Outcome, ReplicaSnapshot, Value,
    FORMAT_VERSION,
};
use crate::causality::NodeId;

/// Why a history could not be loaded. Each message names the place (the operation id, or the
/// JSON line and column) and the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The file could not be read.
    #[error("cannot read the file: {message}")]
    Io {
        /// The file's path, as given.
        path: String,
        /// The I/O error, in words.
        message: String,
    },
    /// The bytes are not JSON of a history.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// The line of the error, from 1.
        line: usize,
        /// The column of the error, from 1.
        column: usize,
        /// serde_json's message, without its position.
        message: String,
    },
    /// A time field holds something other than a non-negative integer.
    #[error("operation {id}: {field} is not a number of milliseconds (found {found})")]
    TimeNotNumber {
        /// The operation's id (`#7`), or `at index N` when it has no readable id.
        id: String,
        /// `time_ms_invoke` or `time_ms_complete`.
        field: &'static str,
        /// The JSON found there.
        found: String,
    },
    /// A `version` this build does not read.
    #[error("unsupported history version {found}; this build reads version {FORMAT_VERSION}")]
    Version {
        /// The version the history declares.
        found: u32,
    },
    /// The history's configuration is impossible.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// Two operations share an id.
    #[error("operation {id} appears twice (ids must be unique)")]
    DuplicateId {
        /// The id two operations share.
        id: OpId,
    },
    /// An operation completes before its invocation.
    #[error("operation {id} completes at {complete} ms, before it was invoked at {invoke} ms")]
    CompletesBeforeInvoke {
        /// The operation that completes too early.
        id: OpId,
        /// Its `time_ms_invoke`.
        invoke: u64,
        /// Its `time_ms_complete`, earlier.
        complete: u64,
    },
    /// An `ok` or `fail` operation without `time_ms_complete`.
    #[error("operation {id} is {outcome} but has no time_ms_complete (only info operations may lack one)")]
    MissingCompletion {
        /// The operation without a completion time.
        id: OpId,
        /// Its outcome's name (`ok` or `fail`).
        outcome: &'static str,
    },
    /// A `fail` or `info` get that returned values.
    #[error("operation {id} returned values but its outcome is {outcome}: only an ok get returns values")]
    ValuesWithoutOk {
        /// The get that returned values.
        id: OpId,
        /// Its outcome's name (`fail` or `info`).
        outcome: &'static str,
    },
    /// A client invoked an operation before its previous one ended.
    #[error("{client} has two operations open at once: {first} (invoked at {first_invoke} ms, {first_end}) and {second} (invoked at {second_invoke} ms)")]
    ClientOverlap {
        /// The client with two operations open.
        client: ClientId,
        /// The operation still open.
        first: OpId,
        /// When `first` was invoked, in milliseconds.
        first_invoke: u64,
        /// How `first` ended, in words (`open until 9 ms`, or `never completed`).
        first_end: String,
        /// The operation invoked while `first` was open.
        second: OpId,
        /// When `second` was invoked, in milliseconds.
        second_invoke: u64,
    },
    /// Two writes of one key write the same value.
    #[error("operation {second} writes value \"{value}\" on key \"{key}\", which operation {first} wrote already (values must be unique per key)")]
    ValueWrittenTwice {
        /// The key both writes are on.
        key: Key,
        /// The value written twice.
        value: Value,
        /// The write that came first in the file.
        first: OpId,
        /// The write that repeats it.
        second: OpId,
    },
    /// Two replica snapshots of one key from the same node.
    #[error("the replica snapshots name node {node} twice for key \"{key}\": a node holds one copy of a key, so each of a key's snapshots must come from a different node")]
    SnapshotTwice {
        /// The key whose snapshots name one node twice.
        key: Key,
        /// The node named twice.
        node: NodeId,
    },
    /// The history's trace section is malformed (the event and the reason).
    #[error("{0}")]
    Trace(#[from] super::TraceError),
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "ok",
        Outcome::Fail => "fail",
        Outcome::Info => "info",
    }
}

/// Parses bytes into a history and validates it.
pub(super) fn load(bytes: &[u8]) -> Result<History, HistoryError> {
    let history = parse(bytes)?;
    validated(&history)?;
    Ok(history)
}

/// Reads a history file without validating it, as [`parse`] reads its bytes, after a UTF-8
/// byte order mark if the file opens with one. A regular file in the plain form is read a chunk
/// at a time and never held whole; any other file (a pipe cannot be read twice) is read whole.
pub(super) fn parse_file(path: &std::path::Path) -> Result<History, HistoryError> {
    use std::io::Read as _;
    let unreadable = |error: std::io::Error| HistoryError::Io {
        path: path.display().to_string(),
        message: error.to_string(),
    };
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    if !file.metadata().map_err(unreadable)?.is_file() {
        // A pipe or a device: it cannot be read a second time, should serde_json need it whole.
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(unreadable)?;
        return parse(bytes.strip_prefix(UTF8_BOM).unwrap_or(&bytes));
    }
    let mut opening = Vec::with_capacity(UTF8_BOM.len());
    (&mut file)
        .take(UTF8_BOM.len() as u64)
        .read_to_end(&mut opening)
        .map_err(unreadable)?;
    if opening == UTF8_BOM {
        opening.clear();
    }
    if let Some(history) =
        super::fast::parse_stream(opening.as_slice().chain(file)).map_err(unreadable)?
    {
        return Ok(history);
    }
    // Not in the plain form, or not a history: serde_json reads it whole, and words the error.
    let bytes = std::fs::read(path).map_err(unreadable)?;
    parse(bytes.strip_prefix(UTF8_BOM).unwrap_or(&bytes))
}

/// The byte order mark some editors put at the start of a UTF-8 file.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Parses bytes into a history without validating it: by the fast path when the file is in its
/// plain form, else by serde_json, which also words any error.
pub(super) fn parse(bytes: &[u8]) -> Result<History, HistoryError> {
    if let Some(history) = super::fast::parse(bytes) {
        return Ok(history);
    }
    serde_json::from_slice(bytes).map_err(|error| diagnose(bytes, error))
}

/// Turns a serde error into the most precise message we can give. A type error inside an
/// operation is located by a second, slower parse into a JSON tree, so it can name the operation
/// id rather than only a line and column.
fn diagnose(bytes: &[u8], error: serde_json::Error) -> HistoryError {
    if error.is_data() {
        if let Ok(tree) = serde_json::from_slice::<serde_json::Value>(bytes) {
            if let Some(located) = locate_bad_time(&tree) {
                return located;
            }
        }
    }
    HistoryError::Syntax {
        line: error.line(),
        column: error.column(),
        message: strip_position(&error),
    }
}

/// serde_json appends " at line L column C" to its messages; we print the position first.
fn strip_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(position) => message[..position].to_string(),
        None => message,
    }
}

fn locate_bad_time(tree: &serde_json::Value) -> Option<HistoryError> {
    let operations = tree.get("operations")?.as_array()?;
    for (index, operation) in operations.iter().enumerate() {
        for field in ["time_ms_invoke", "time_ms_complete"] {
            let Some(time) = operation.get(field) else {
                continue;
            };
            if time.is_u64() || (time.is_null() && field == "time_ms_complete") {
                continue;
            }
            let id = match operation.get("id").and_then(|id| id.as_u64()) {
                Some(id) => OpId(id).to_string(),
                None => format!("at index {index}"),
            };
            return Some(HistoryError::TimeNotNumber {
                id,
                field,
                found: time.to_string(),
            });
        }
    }
    None
}

/// Checks everything beyond syntax and returns the history catalogued; the error is the first
/// problem, in the order of the operations.
pub(super) fn validated(history: &History) -> Result<Catalog<'_>, HistoryError> {
    if history.version != FORMAT_VERSION {
        return Err(HistoryError::Version {
            found: history.version,
        });
    }
    if let Some(config) = &history.config {
        config.validate()?;
    }
    for operation in &history.operations {
        check_times(operation)?;
    }
    check_ids_unique(&history.operations)?;
    check_clients_sequential(&history.operations)?;
    // The value rule (unique per key) comes from the catalogue,
    // which the checker needs anyway: one pass over the values serves both.
    let catalog = Catalog::of(history);
    if let Some(problem) = catalog.problem() {
        return Err(problem.clone());
    }
    check_snapshots_distinct(history.replicas.as_deref().unwrap_or_default())?;
    if let Some(trace) = &history.trace {
        trace.validate(history.faults.len())?;
    }
    Ok(catalog)
}

/// Each snapshot of a key comes from a different node: the convergence checks count a key's
/// replicas by its snapshots, and one node's copy listed twice would count as two replicas.
/// The first repeat in file order is the error.
fn check_snapshots_distinct(snapshots: &[ReplicaSnapshot]) -> Result<(), HistoryError> {
    // The simulator lists snapshots by key, then node: one pass shows there is no repeat.
    let ordered =
        |pair: &[ReplicaSnapshot]| (&pair[0].key, pair[0].node) < (&pair[1].key, pair[1].node);
    if snapshots.windows(2).all(ordered) {
        return Ok(());
    }
    let mut seen = FxHashSet::with_capacity_and_hasher(snapshots.len(), Default::default());
    for snapshot in snapshots {
        if !seen.insert((&snapshot.key, snapshot.node)) {
            return Err(HistoryError::SnapshotTwice {
                key: snapshot.key.clone(),
                node: snapshot.node,
            });
        }
    }
    Ok(())
}

fn check_times(operation: &Operation) -> Result<(), HistoryError> {
    let id = operation.id;
    match operation.time_ms_complete {
        Some(complete) if complete < operation.time_ms_invoke => {
            Err(HistoryError::CompletesBeforeInvoke {
                id,
                invoke: operation.time_ms_invoke,
                complete,
            })
        }
        None if operation.outcome != Outcome::Info => Err(HistoryError::MissingCompletion {
            id,
            outcome: outcome_name(operation.outcome),
        }),
        _ => {
            let returned_values = matches!(&operation.action, super::Action::Get { values, .. } if !values.is_empty());
            if returned_values && operation.outcome != Outcome::Ok {
                return Err(HistoryError::ValuesWithoutOk {
                    id,
                    outcome: outcome_name(operation.outcome),
                });
            }
            Ok(())
        }
    }
}

/// Operation ids are unique. Files usually number operations in order, which needs no set.
fn check_ids_unique(operations: &[Operation]) -> Result<(), HistoryError> {
    if operations.windows(2).all(|pair| pair[0].id < pair[1].id) {
        return Ok(());
    }
    let mut ids = FxHashSet::with_capacity_and_hasher(operations.len(), Default::default());
    for operation in operations {
        if !ids.insert(operation.id) {
            return Err(HistoryError::DuplicateId { id: operation.id });
        }
    }
    Ok(())
}

/// A client is sequential: each operation ends (or is given up on) before its next begins.
fn check_clients_sequential(operations: &[Operation]) -> Result<(), HistoryError> {
    // Usually the file lists every client's operations in its order and none overlap: one pass,
    // remembering each client's last operation, shows it. Otherwise the turns are sorted, so
    // that the error names the same overlap whatever order the file lists them in.
    let mut last: FxHashMap<ClientId, &Operation> = FxHashMap::default();
    let fine = operations.iter().all(|operation| {
        let Some(previous) = last.insert(operation.client, operation) else {
            return true;
        };
        let end = |operation: &Operation| operation.time_ms_complete.unwrap_or(u64::MAX);
        (previous.time_ms_invoke, end(previous)) <= (operation.time_ms_invoke, end(operation))
            && overlap(previous, operation).is_ok()
    });
    if fine {
        return Ok(());
    }
    // Per client, (invoke, end, index): sorted without touching the operations again.
    let mut by_client: FxHashMap<ClientId, Vec<(u64, u64, usize)>> = FxHashMap::default();
    for (index, operation) in operations.iter().enumerate() {
        let end = operation.time_ms_complete.unwrap_or(u64::MAX);
        by_client
            .entry(operation.client)
            .or_default()
            .push((operation.time_ms_invoke, end, index));
    }
    let mut clients: Vec<_> = by_client.into_iter().collect();
    clients.sort_by_key(|(client, _)| *client);
    for (_, mut turns) in clients {
        turns.sort_by_key(|&(invoke, end, _)| (invoke, end));
        for pair in turns.windows(2) {
            overlap(&operations[pair[0].2], &operations[pair[1].2])?;
        }
    }
    Ok(())
}

/// `second`, the next turn of `first`'s client, must not begin before `first` ended.
fn overlap(first: &Operation, second: &Operation) -> Result<(), HistoryError> {
    let first_end = first.time_ms_complete.unwrap_or(u64::MAX);
    if second.time_ms_invoke >= first_end {
        return Ok(());
    }
    let first_end = match first.time_ms_complete {
        Some(end) => format!("open until {end} ms"),
        None => "never completed".to_string(),
    };
    Err(HistoryError::ClientOverlap {
        client: first.client,
        first: first.id,
        first_invoke: first.time_ms_invoke,
        first_end,
        second: second.id,
        second_invoke: second.time_ms_invoke,
    })
}
