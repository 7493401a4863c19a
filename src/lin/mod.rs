//! General linearizability checking: sequential specifications ("models") and the Wing–Gong
//! search with Lowe's memoisation, for histories where the fast polynomial checks of the
//! leaderless checker do not apply (registers without unique values, CAS, mutexes, external
//! histories from Jepsen, Knossos and Porcupine).
//!
//! This module owns:
//! - [`Spec`]: a sequential specification, and the models of `quorate check --model`
//!   ([`specs`]): `register`, `cas-register`, `mutex`, `multi-register`, `etcd`, `kv`, `mvr`;
//! - [`check`]: the search. It splits a history into independent partitions (one per key:
//!   P-compositionality), runs them round-robin in slices so that one hard partition cannot hide
//!   an easy violation in another, and stops at the first violation or when the budget is spent
//!   (then the verdict is unknown, never a hang or an out-of-memory kill). The `Verdict` and the
//!   `Budget` are the crate's ones (`crate::verdict`); a verdict is worded here as
//!   [`verdict_words`] says;
//! - [`check_register`]: the entry point for quorate's own LWW histories (a register per key),
//!   whose operations are [`RegisterAction`]s; Knossos' register (`register`, `cas-register`) has
//!   its own, [`specs::KnossosRegisterOp`]: EDN values, a cas, and a read of nothing that says
//!   nothing, where quorate's read of nothing read an empty register;
//! - [`import`]: the importers of histories recorded by other tools (Knossos and Jepsen EDN, Jepsen
//!   logs, Porcupine key-value logs), whose values are EDN;
//! - [`external`]: checking an imported history under a named model;
//! - [`brute_force`]: the crate's one exhaustive search, the oracle the fast search (and, through
//!   `check::mvr_oracle`, the leaderless checker) is tested against.
//!
//! It never reads store internals, never reads the wall clock except to honour a time budget,
//! and never panics on any history.
//!
//! ```
//! use quorate::lin::{check_register, RegisterAction, TimedOp};
//! use quorate::verdict::{Budget, Verdict};
//!
//! // A write of "a" completes before a read that still sees nothing: not linearizable.
//! let ops = [
//!     TimedOp { id: 0, op: RegisterAction::Write("a".into()), time_invoke: 0, time_complete: Some(5) },
//!     TimedOp { id: 1, op: RegisterAction::Read(None), time_invoke: 6, time_complete: Some(9) },
//! ];
//! let result = check_register(&ops, None, &Budget::unlimited());
//! assert_eq!(result.verdict, Verdict::Invalid);
//! ```

pub mod brute_force;
pub mod external;
mod hash;
pub mod import;
mod memo;
mod search;
pub mod specs;

use std::fmt;
use std::hash::Hash;

use serde::Serialize;

pub use search::check;

use crate::verdict::{Budget, Verdict};

/// A sequential specification: the states an object can be in and how each operation, with what
/// it observed, moves it from one to the next.
pub trait Spec {
    /// A state of the object. Cheap to compare and hash: the search memoises on it.
    type State: Clone + Eq + Hash + fmt::Debug;
    /// An operation together with what it observed (or `None`-like variants when the outcome is
    /// unknown).
    type Op: Clone + Eq + Hash + fmt::Debug;

    /// The model's name, as `--model` spells it.
    fn name(&self) -> &'static str;

    /// What `op` does in `state`: leaves it as it is, moves it to a new state, or is impossible
    /// (it could not have observed what it did in `state`).
    fn step(&self, state: &Self::State, op: &Self::Op) -> Step<Self::State>;

    /// Whether `op` is accepted in every state and changes none (a read whose result is unknown):
    /// such an operation constrains nothing and the search leaves it out.
    fn says_nothing(&self, op: &Self::Op) -> bool;

    /// Whether `op` never changes any state (its step is `Same` or `Illegal` in every state): a
    /// read with a known result, a cas known to have failed. The search linearizes such an
    /// operation as soon as it is legal, without trying alternatives (see `search`).
    fn is_read_only(&self, op: &Self::Op) -> bool;

    /// Whether the read-only operation `read` could become legal from `state` if some of the
    /// operations `before` (those that may still take effect before `read` returns) took effect
    /// first, in some order. `false` only when that is impossible: the search then abandons the
    /// configuration at once instead of trying every order of `before`. The default, `true`,
    /// never prunes.
    fn could_become_legal(
        &self,
        _state: &Self::State,
        _read: &Self::Op,
        _before: &mut dyn Iterator<Item = &Self::Op>,
    ) -> bool {
        true
    }

    /// What [`is_unobservable`](Spec::is_unobservable) consults about a partition, prepared once
    /// from its operations by [`observations`](Spec::observations).
    type Observations: Default + fmt::Debug;

    /// Prepares what [`is_unobservable`](Spec::is_unobservable) consults from every operation of
    /// a partition. The default prepares nothing.
    fn observations(&self, _ops: &mut dyn Iterator<Item = &Self::Op>) -> Self::Observations {
        Self::Observations::default()
    }

    /// Whether `state` is *unobservable* in the partition `observations` was prepared from. The
    /// unobservable states must be interchangeable for every operation `op` of the partition:
    /// `op` is illegal in all of them, or leads each of them to an unobservable state, or leads
    /// all of them to one same state. Then any sequence of the partition's operations is legal
    /// from one unobservable state exactly when it is legal from another, so the search keeps
    /// one of them for all (see `search`). The default, `false`, keeps every state apart.
    fn is_unobservable(&self, _observations: &Self::Observations, _state: &Self::State) -> bool {
        false
    }

    /// Whether `op` is *hidden* in the partition `observations` was prepared from: whenever the
    /// operations not yet linearized (`op` among them, and `op` free to take effect now) can be
    /// linearized from an unobservable state, they can be in an order that takes `op` first. The
    /// search then linearizes `op` in an unobservable state without trying alternatives, as it
    /// does a legal read. The default, `false`, claims nothing.
    fn is_hidden(&self, _observations: &Self::Observations, _op: &Self::Op) -> bool {
        false
    }

    /// The operation in a few words: `cas 1 → 2 (succeeded)`.
    fn describe_op(&self, op: &Self::Op) -> String;

    /// The state in words: `the register holds 3`.
    fn describe_state(&self, state: &Self::State) -> String;

    /// Roughly how many bytes a state takes, for the memory budget.
    fn state_bytes(&self, _state: &Self::State) -> usize {
        std::mem::size_of::<Self::State>()
    }
}

/// What an operation does to a state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<S> {
    /// The operation could not have observed what it did in this state.
    Illegal,
    /// The operation is accepted and leaves the state as it is (a read).
    Same,
    /// The operation is accepted and moves the object to this state.
    Next(S),
}

impl<S: Clone> Step<S> {
    /// The state after the step from `state`, if the step is legal.
    pub fn apply(self, state: &S) -> Option<S> {
        match self {
            Step::Illegal => None,
            Step::Same => Some(state.clone()),
            Step::Next(next) => Some(next),
        }
    }

    /// `Same` if `legal`, else `Illegal`.
    pub fn same_if(legal: bool) -> Step<S> {
        if legal {
            Step::Same
        } else {
            Step::Illegal
        }
    }
}

/// One operation of a history to check, with its real-time interval.
///
/// `a` precedes `b` in real time iff `a` completed and `a.time_complete < b.time_invoke`; equal
/// times are concurrent. An operation with no completion (`time_complete: None`) stays open to
/// the end of the history: it may take effect at any time after its invocation, or never.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedOp<Op> {
    /// The caller's identity for the operation, echoed in the counterexample.
    pub id: u64,
    /// What it did, and what it observed.
    pub op: Op,
    /// When it was invoked, in the history's unit of time.
    pub time_invoke: u64,
    /// When it completed; `None`: never (open to the end of the history).
    pub time_complete: Option<u64>,
}

/// A set of operations checked on their own (P-compositionality): one key's operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition<Op> {
    /// What the partition is, in words: `key "3"`, or `the register`.
    pub label: String,
    /// The partition's operations, in any order.
    pub ops: Vec<TimedOp<Op>>,
}

/// The text `args` make, in a buffer of exactly its size: measured first, then written. The
/// descriptions of operations and states are made this way, as one may quote a huge value, which
/// `format!`'s growing buffer could take twice over.
fn exact(args: fmt::Arguments<'_>) -> String {
    /// Counts what is written, keeping nothing.
    struct Length(usize);
    impl fmt::Write for Length {
        fn write_str(&mut self, piece: &str) -> fmt::Result {
            self.0 += piece.len();
            Ok(())
        }
    }
    let mut length = Length(0);
    let mut text = String::new();
    if fmt::write(&mut length, args).is_ok() {
        text.reserve_exact(length.0);
    }
    // The values' `Display` never fails; if one did, the text would end where it failed.
    let _ = fmt::write(&mut text, args);
    text
}

/// How a linearizability result words a verdict: `linearizable`, `not linearizable`, `unknown`
/// (in JSON, `not-linearizable`).
pub fn verdict_words(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Valid => "linearizable",
        Verdict::Invalid => "not linearizable",
        Verdict::Unknown => "unknown",
    }
}

/// A verdict in a result's JSON: its words, kebab-cased.
fn serialize_verdict<S: serde::Serializer>(
    verdict: &Verdict,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(match verdict {
        Verdict::Valid => "linearizable",
        Verdict::Invalid => "not-linearizable",
        Verdict::Unknown => "unknown",
    })
}

/// An operation named in a result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpReport {
    /// The caller's identity for the operation ([`TimedOp::id`]).
    pub id: u64,
    /// The operation in words, as the model describes it.
    pub description: String,
}

/// Why a history is not linearizable, as far as the search got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counterexample {
    /// The partition (key) that cannot be linearized.
    pub partition: String,
    /// The longest linearizable prefix the search found, in its order.
    pub prefix: Vec<OpReport>,
    /// The model's state after that prefix, in words.
    pub state: String,
    /// The first operation that cannot be linearized after that prefix: it returned before any
    /// remaining operation could take effect.
    pub blocked: OpReport,
}

impl Counterexample {
    /// The counterexample in words: what its `Display` writes, which is the way to print it (its
    /// descriptions may quote a huge value, not to be copied into one more string).
    pub fn explain(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: after the {} operation(s) below, linearized in this order, {}; then no remaining operation can take effect before this one returns:\n  {}\n",
            self.partition,
            self.prefix.len(),
            self.state,
            self.blocked.description
        )?;
        if !self.prefix.is_empty() {
            f.write_str("the longest linearizable prefix found:\n")?;
            for op in &self.prefix {
                writeln!(f, "  {}", op.description)?;
            }
        }
        Ok(())
    }
}

/// The full result of a check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckResult {
    /// Valid: linearizable; invalid: not linearizable ([`verdict_words`] says it so).
    #[serde(serialize_with = "serialize_verdict")]
    pub verdict: Verdict,
    /// The name of the model checked (e.g. `register`, `kv`).
    pub model: String,
    /// Operations checked (after leaving out those that say nothing).
    pub operations: usize,
    /// How many partitions (keys) were checked on their own.
    pub partitions: usize,
    /// Why the history is not linearizable; `None` unless the verdict is invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    /// Why the verdict is unknown (which budget ran out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_reason: Option<String>,
    /// Partitions whose search had not finished when the check stopped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partitions_unfinished: Vec<String>,
    /// Distinct (linearized set, state) configurations the search visited.
    pub configurations: u64,
    /// Wall-clock time the check took, in milliseconds.
    pub elapsed_ms: f64,
}

/// What an operation on one of quorate's LWW registers (one key) did, for [`check_register`],
/// which takes it as a [`TimedOp`].
///
/// Build it from a `history::Operation` as follows: an `ok` get becomes a `Read` of its one
/// returned value (`None` if it returned none: the register was empty); a get that is not `ok` is
/// left out; a put becomes a `Write` of its value, with `time_complete: Some(..)` only if it is
/// `ok` (a failed or unanswered put may still take effect at any later time in a leaderless
/// store, so it stays open: `None`). Times are milliseconds; equal times are concurrent.
///
/// Not Knossos' register operation ([`specs::KnossosRegisterOp`]): there values are EDN, there is
/// a cas, and a read of nothing says nothing, where here it read an empty register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegisterAction {
    /// A read and the value it returned; `None` for a read that found the register empty.
    Read(Option<String>),
    /// A write of this value.
    Write(String),
}

/// Checks that operations on one register (values compared exactly, `None` for empty) are
/// linearizable, starting from `initial`.
pub fn check_register(
    ops: &[TimedOp<RegisterAction>],
    initial: Option<String>,
    budget: &Budget,
) -> CheckResult {
    use import::Edn;
    use specs::{Etcd, EtcdOp};
    use std::sync::Arc;

    let timed_ops = ops
        .iter()
        .map(|op| TimedOp {
            id: op.id,
            op: match &op.op {
                RegisterAction::Read(value) => {
                    EtcdOp::Read(Some(value.clone().map(|value| Edn::Str(Arc::new(value)))))
                }
                RegisterAction::Write(value) => EtcdOp::Write(Edn::Str(Arc::new(value.clone()))),
            },
            time_invoke: op.time_invoke,
            time_complete: op.time_complete,
        })
        .collect();
    let partition = Partition {
        label: "the register".to_string(),
        ops: timed_ops,
    };
    let initial = initial.map(|value| Edn::Str(Arc::new(value)));
    check(&Etcd, vec![partition], &initial, budget)
}

#[cfg(test)]
mod tests;
