//! Histories: what clients invoked and observed, as plain data, and its JSON form.
//!
//! This module owns the interchange format of docs/DESIGN.md §3 (specified field by field in
//! `histories/README.md`), loading it from bytes, and validating it. A history is plain data: no
//! behaviour hangs off it beyond accessors, and nothing here knows how a history was made (the
//! simulator, a user's own store, a real cluster) or how it will be judged (the checker).
//!
//! Loading never panics, whatever the bytes: syntax errors name the JSON line and column, every
//! other problem names the operation and the reason ([`HistoryError`]).
//!
//! ```
//! use quorate::history::History;
//!
//! let text = r#"{"version": 1, "operations": [
//!   {"id": 0, "client": 0, "key": "k", "kind": "put", "value": "v1",
//!    "time_ms_invoke": 0, "time_ms_complete": 4, "outcome": "ok"},
//!   {"id": 1, "client": 1, "key": "k", "kind": "get", "values": ["v1"],
//!    "time_ms_invoke": 5, "time_ms_complete": 9, "outcome": "ok"}
//! ]}"#;
//! let history = History::from_json(text).unwrap();
//! assert_eq!(history.operations.len(), 2);
//! ```

mod catalog;
mod fast;
mod fault;
mod trace;
mod validate;
mod wire;

use std::fmt;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::causality::{Dot, NodeId, VersionVector};
use crate::config::Config;

pub use catalog::{Catalog, KeyCatalog};
pub use fault::{FaultType, UnknownFault};
pub use trace::{DropReason, Endpoint, Trace, TraceError, TraceEvent};
pub use validate::HistoryError;

/// The version of the format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The identity of an operation, unique in its history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OpId(pub u64);

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A client: a sequential process with at most one operation open at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(pub u32);

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client {}", self.0)
    }
}

/// A key of the store. Keys are independent of one another.
///
/// Keys and values are short in practice; a [`CompactString`] keeps up to 24 bytes inline, so a
/// history of a million operations is loaded without a million small allocations.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Key(pub CompactString);

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// A value written by a put (or the name of a delete's tombstone); unique per key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Value(pub CompactString);

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl Value {
    /// The value's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value(CompactString::from(text))
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value(CompactString::from(text))
    }
}

impl Key {
    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Key {
    fn from(text: &str) -> Key {
        Key(CompactString::from(text))
    }
}

impl From<String> for Key {
    fn from(text: String) -> Key {
        Key(CompactString::from(text))
    }
}

/// How an operation ended, as its client saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Acknowledged: a get returned values, a put or delete reached its write quorum.
    Ok,
    /// The store said it failed. A failed get took no effect; a failed put or delete may still
    /// have taken effect, since a leaderless store never rolls back.
    Fail,
    /// No answer: the operation may or may not have taken effect, at any time after its invocation.
    Info,
}

/// What an operation asked the store to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// Read a key's versions.
    Get,
    /// Write a new value, overwriting its context.
    Put,
    /// Write a tombstone, overwriting its context.
    Delete,
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OpKind::Get => "get",
            OpKind::Put => "put",
            OpKind::Delete => "delete",
        })
    }
}

/// One version a get returned: a put's value, or a delete's tombstone.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReadValue {
    /// The put's value, or the delete's tombstone name.
    pub value: Value,
    /// Whether it is a delete's tombstone rather than a put's value.
    pub tombstone: bool,
}

/// A put or a delete: the unique value it writes (for a delete, the name of its tombstone) and
/// its context, the values its client had read and so overwrites.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Write {
    /// The unique value written (for a delete, its tombstone's name).
    pub value: Value,
    /// The values of the key its client had read and so overwrites (empty for a blind write).
    pub context: Vec<Value>,
}

/// What an operation did, with what belongs to its kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// A read: the versions returned (empty unless the outcome is `ok`) and the opaque context
    /// the store returned with them, if it exposes one.
    Get {
        /// The versions returned (empty unless the outcome is `ok`).
        values: Vec<ReadValue>,
        /// The opaque causal context the store returned, if it exposes one.
        context: Option<String>,
    },
    /// A write of a value.
    Put(Write),
    /// A write of a tombstone.
    Delete(Write),
}

impl Action {
    /// Get, put or delete.
    pub fn kind(&self) -> OpKind {
        match self {
            Action::Get { .. } => OpKind::Get,
            Action::Put(_) => OpKind::Put,
            Action::Delete(_) => OpKind::Delete,
        }
    }

    /// The write of a put or delete.
    pub fn write(&self) -> Option<&Write> {
        match self {
            Action::Get { .. } => None,
            Action::Put(write) | Action::Delete(write) => Some(write),
        }
    }
}

/// What the store says about its own causality for an operation; used only by white-box checks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(deny_unknown_fields)]
pub struct StoreMeta {
    /// For a put or delete: the dot the coordinator minted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dot: Option<Dot>,
    /// For a put or delete the context it was sent with; for a get the context it returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_vv: Option<VersionVector>,
    /// For an LWW write: its timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
}

/// One operation of a history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(into = "wire::OperationWire", try_from = "wire::OperationWire")]
pub struct Operation {
    /// Unique in the history.
    pub id: OpId,
    /// The client that invoked it.
    pub client: ClientId,
    /// The key it acted on.
    pub key: Key,
    /// What it asked for, and what a get returned.
    pub action: Action,
    /// When the client invoked it, in simulated (or recorded) milliseconds.
    pub time_ms_invoke: u64,
    /// When the client saw the answer. Required for `ok` and `fail`; for `info` the time the
    /// client gave up waiting, if known (it ends the client's turn, not the operation's effect).
    pub time_ms_complete: Option<u64>,
    /// How it ended for its client.
    pub outcome: Outcome,
    /// Boxed: most histories carry none, and an operation stays small (a million of them are
    /// loaded at once).
    pub meta: Option<Box<StoreMeta>>,
}

impl Operation {
    /// Get, put or delete.
    pub fn kind(&self) -> OpKind {
        self.action.kind()
    }

    /// Whether the client got an acknowledgement: the operation surely took effect.
    pub fn is_ok(&self) -> bool {
        self.outcome == Outcome::Ok
    }
}

/// A fault the simulator (or a test harness) injected, for reports and the checker's choice of
/// which anomalies a configuration allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct FaultRecord {
    /// What kind of fault (its record name: `partition`, `crash`, `clock_skew`, ...).
    pub kind: FaultType,
    /// When it began, in simulated (or recorded) milliseconds.
    pub time_ms_start: u64,
    /// When it was healed; absent if it lasted to the end of the workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ms_end: Option<u64>,
    /// The nodes it struck (for a partition, the group cut off; empty for loss and duplication).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeId>,
    /// Whether the fault can destroy acknowledged data (a volatile crash).
    #[serde(default)]
    pub loses_data: bool,
    /// What happened, in words (e.g. `n2 crashed`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// What one replica held for one key at the end of the run, after heal and repair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaSnapshot {
    /// The key of the snapshot.
    pub key: Key,
    /// The node of the replica.
    pub node: NodeId,
    /// The values it held (its siblings, tombstones excluded).
    #[serde(default)]
    pub values: Vec<Value>,
    /// The tombstones it held, by their deletes' names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tombstones: Vec<Value>,
    /// Its causal context, if the store exposes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_vv: Option<VersionVector>,
}

/// How a simulated run ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Events the simulator processed.
    pub steps: u64,
    /// Simulated time when the run ended, in milliseconds.
    pub time_ms_end: u64,
    /// Whether hints, read repair and anti-entropy had all gone quiet before the snapshots.
    pub quiescent: bool,
    /// Which bound stopped the run early, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_hit: Option<String>,
}

/// A whole history: operations, and what is known of how they came about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// The format's version ([`FORMAT_VERSION`]).
    pub version: u32,
    /// The store's configuration, when known; it implies the consistency model to check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Config>,
    /// The scenario that produced the history, when it came from the simulator (opaque here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<serde_json::Value>,
    /// The operations, in any order (the checker orders them by time).
    pub operations: Vec<Operation>,
    /// The faults injected during the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultRecord>,
    /// Final replica snapshots, for the convergence checks; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Vec<ReplicaSnapshot>>,
    /// How a simulated run ended; absent for a recorded history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunSummary>,
    /// What happened inside the store (messages, faults, sibling sets), when the simulator was
    /// asked to record it; the checker never reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Trace>,
}

impl History {
    /// A history of these operations and nothing else.
    pub fn new(operations: Vec<Operation>) -> History {
        History {
            version: FORMAT_VERSION,
            config: None,
            scenario: None,
            operations,
            faults: Vec::new(),
            replicas: None,
            run: None,
            trace: None,
        }
    }

    /// Parses and validates a history from JSON text.
    pub fn from_json(text: &str) -> Result<History, HistoryError> {
        validate::load(text.as_bytes())
    }

    /// Parses and validates a history from bytes, which must be UTF-8 JSON.
    pub fn from_slice(bytes: &[u8]) -> Result<History, HistoryError> {
        validate::load(bytes)
    }

    /// Reads, parses and validates a history file (see [`History::parse_file`]).
    pub fn load(path: &std::path::Path) -> Result<History, HistoryError> {
        let history = History::parse_file(path)?;
        history.validate()?;
        Ok(history)
    }

    /// Reads and parses a history file without validating it, as [`History::parse`] parses
    /// bytes, after a UTF-8 byte order mark if the file opens with one. A regular file in the
    /// plain form of the format (what quorate writes) is read a chunk at a time, so a large
    /// history takes the memory of its operations, not also of its file; a pipe is read whole.
    pub fn parse_file(path: &std::path::Path) -> Result<History, HistoryError> {
        validate::parse_file(path)
    }

    /// Parses a history from bytes without validating it: for a caller that goes on to
    /// [`History::validated`], so that validation and checking share one catalogue.
    pub fn parse(bytes: &[u8]) -> Result<History, HistoryError> {
        validate::parse(bytes)
    }

    /// Checks everything the format promises beyond its syntax (see [`HistoryError`]).
    pub fn validate(&self) -> Result<(), HistoryError> {
        validate::validated(self).map(drop)
    }

    /// Validates the history and returns it catalogued by key (see [`Catalog`]), ready for the
    /// checker without a second pass over its values.
    pub fn validated(&self) -> Result<Catalog<'_>, HistoryError> {
        validate::validated(self)
    }

    /// The history as pretty JSON, deterministic: the same history gives the same bytes.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a history always serializes")
    }
}
