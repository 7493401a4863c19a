//! The sequential specifications that `quorate check --model` names.
//!
//! Each model is a pure function from (state, operation with what it observed) to the next state,
//! or to nothing when the observation is impossible. Models hold no history and no search state.
//!
//! | model | state | operations |
//! |---|---|---|
//! | [`KnossosRegister`] `register`, `cas-register` | a value (`nil` to start) | read, write, cas; a read of `nil` observed nothing (Knossos) |
//! | [`Etcd`] `etcd` | a value or absent | read (`nil` = absent), write, cas (Porcupine's etcd model) |
//! | [`Mutex`] `mutex` | locked or not | acquire, release |
//! | [`MultiRegister`] `multi-register` | a map from key to value | a transaction of reads and writes (Knossos) |
//! | [`Kv`] `kv` | one string per key | get, put, append (Porcupine's kv model) |
//! | [`Mvr`] `mvr` | the set of sibling values | put with a context (the values it overwrites), get of all siblings |
//!
//! A description of an operation or a state is written once, into a buffer of its final size
//! (`super::exact`), with no part formatted apart first: one may quote a huge value.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use super::import::Edn;

use super::{exact, Spec, Step};

/// Text that `write` writes straight into where it is shown.
struct Shown<F>(F);

impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for Shown<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

fn shown<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result>(write: F) -> Shown<F> {
    Shown(write)
}

fn show_optional(value: &Option<Edn>) -> impl fmt::Display + '_ {
    shown(move |f| match value {
        Some(value) => write!(f, "{value}"),
        None => f.write_str("nothing"),
    })
}

/// `items`, each written by `write`, separated by `", "`.
fn show_joined<I: Iterator + Clone>(
    items: I,
    write: impl Fn(&mut fmt::Formatter<'_>, I::Item) -> fmt::Result,
) -> impl fmt::Display {
    shown(move |f| {
        for (position, item) in items.clone().enumerate() {
            if position > 0 {
                f.write_str(", ")?;
            }
            write(f, item)?;
        }
        Ok(())
    })
}

fn any_op<Op>(ops: &mut dyn Iterator<Item = &Op>, predicate: impl Fn(&Op) -> bool) -> bool {
    for op in ops {
        if predicate(op) {
            return true;
        }
    }
    false
}

fn show_cas_outcome(succeeded: Option<bool>) -> &'static str {
    match succeeded {
        Some(true) => " (succeeded)",
        Some(false) => " (failed)",
        None => " (outcome unknown)",
    }
}

/// A compare-and-set, with whether it succeeded when that is known.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cas<V> {
    /// The value the register must hold for the cas to succeed.
    pub from: V,
    /// The value it sets on success.
    pub to: V,
    /// Whether it succeeded; `None` when the outcome is unknown.
    pub succeeded: Option<bool>,
}

impl<V: PartialEq + Clone> Cas<V> {
    /// The state after this cas in `state`, if the observation fits.
    fn step(&self, state: &V) -> Step<V> {
        let matches = *state == self.from;
        match (self.succeeded, matches) {
            (Some(true), true) | (None, true) => Step::Next(self.to.clone()),
            (Some(false), false) | (None, false) => Step::Same,
            (Some(true), false) | (Some(false), true) => Step::Illegal,
        }
    }
}

/// An operation on Knossos' register and cas-register. (quorate's own LWW registers, whose read
/// of nothing read an empty register, have [`RegisterAction`](super::RegisterAction).)
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KnossosRegisterOp {
    /// A read and the value it returned; `None` when it observed nothing (Knossos reads a `nil`
    /// result as "unknown", and a crashed read observed nothing).
    Read(Option<Edn>),
    /// A write of this value.
    Write(Edn),
    /// A compare-and-set.
    Cas(Cas<Edn>),
}

/// Knossos' `register` (read, write) and `cas-register` (read, write, cas). Starts at `nil`
/// unless told otherwise; Knossos' own cas-register tests start at 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnossosRegister {
    /// Whether cas is allowed (`cas-register`) or not (`register`).
    pub with_cas: bool,
}

impl Spec for KnossosRegister {
    type State = Edn;
    type Op = KnossosRegisterOp;
    type Observations = ();

    fn name(&self) -> &'static str {
        if self.with_cas {
            "cas-register"
        } else {
            "register"
        }
    }

    fn step(&self, state: &Edn, op: &KnossosRegisterOp) -> Step<Edn> {
        match op {
            KnossosRegisterOp::Read(None) => Step::Same,
            KnossosRegisterOp::Read(Some(value)) => Step::same_if(value == state),
            KnossosRegisterOp::Write(value) => Step::Next(value.clone()),
            KnossosRegisterOp::Cas(cas) => cas.step(state),
        }
    }

    fn says_nothing(&self, op: &KnossosRegisterOp) -> bool {
        matches!(op, KnossosRegisterOp::Read(None))
    }

    fn is_read_only(&self, op: &KnossosRegisterOp) -> bool {
        matches!(
            op,
            KnossosRegisterOp::Read(_)
                | KnossosRegisterOp::Cas(Cas {
                    succeeded: Some(false),
                    ..
                })
        )
    }

    /// A read of `v` can only become legal if the register holds `v` or something that may come
    /// first writes `v`.
    fn could_become_legal(
        &self,
        state: &Edn,
        read: &KnossosRegisterOp,
        before: &mut dyn Iterator<Item = &KnossosRegisterOp>,
    ) -> bool {
        let KnossosRegisterOp::Read(Some(wanted)) = read else {
            return true;
        };
        wanted == state
            || any_op(before, |op| match op {
                KnossosRegisterOp::Write(value) => value == wanted,
                KnossosRegisterOp::Cas(cas) => cas.succeeded != Some(false) && &cas.to == wanted,
                KnossosRegisterOp::Read(_) => false,
            })
    }

    fn describe_op(&self, op: &KnossosRegisterOp) -> String {
        match op {
            KnossosRegisterOp::Read(None) => "read (result unknown)".to_string(),
            KnossosRegisterOp::Read(Some(value)) => exact(format_args!("read {value}")),
            KnossosRegisterOp::Write(value) => exact(format_args!("write {value}")),
            KnossosRegisterOp::Cas(cas) => exact(format_args!(
                "cas {} → {}{}",
                cas.from,
                cas.to,
                show_cas_outcome(cas.succeeded)
            )),
        }
    }

    fn describe_state(&self, state: &Edn) -> String {
        exact(format_args!("the register holds {state}"))
    }
}

/// An operation on Porcupine's etcd register.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EtcdOp {
    /// A read: `Some(None)` found the register absent, `Some(Some(v))` read v, `None` timed out.
    Read(Option<Option<Edn>>),
    /// A write of this value.
    Write(Edn),
    /// A compare-and-set; `from: None` expects the register absent.
    Cas(Cas<Option<Edn>>),
}

/// Porcupine's etcd model: a register that may be absent (it starts absent), with read, write
/// and cas, where a read of `nil` means the register was absent. quorate's LWW registers
/// ([`check_register`](super::check_register)) use it too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Etcd;

impl Spec for Etcd {
    type State = Option<Edn>;
    type Op = EtcdOp;
    type Observations = ();

    fn name(&self) -> &'static str {
        "etcd"
    }

    fn step(&self, state: &Option<Edn>, op: &EtcdOp) -> Step<Option<Edn>> {
        match op {
            EtcdOp::Read(None) => Step::Same,
            EtcdOp::Read(Some(value)) => Step::same_if(value == state),
            EtcdOp::Write(value) => Step::Next(Some(value.clone())),
            EtcdOp::Cas(cas) => cas.step(state),
        }
    }

    fn says_nothing(&self, op: &EtcdOp) -> bool {
        matches!(op, EtcdOp::Read(None))
    }

    fn is_read_only(&self, op: &EtcdOp) -> bool {
        matches!(
            op,
            EtcdOp::Read(_)
                | EtcdOp::Cas(Cas {
                    succeeded: Some(false),
                    ..
                })
        )
    }

    /// A read of `v` can only become legal if the register holds `v` or something that may come
    /// first writes `v`.
    fn could_become_legal(
        &self,
        state: &Option<Edn>,
        read: &EtcdOp,
        before: &mut dyn Iterator<Item = &EtcdOp>,
    ) -> bool {
        let EtcdOp::Read(Some(wanted)) = read else {
            return true;
        };
        wanted == state
            || any_op(before, |op| match op {
                EtcdOp::Write(value) => wanted.as_ref() == Some(value),
                EtcdOp::Cas(cas) => cas.succeeded != Some(false) && &cas.to == wanted,
                EtcdOp::Read(_) => false,
            })
    }

    fn describe_op(&self, op: &EtcdOp) -> String {
        match op {
            EtcdOp::Read(None) => "read (timed out)".to_string(),
            EtcdOp::Read(Some(value)) => exact(format_args!("read {}", show_optional(value))),
            EtcdOp::Write(value) => exact(format_args!("write {value}")),
            EtcdOp::Cas(cas) => exact(format_args!(
                "cas {} → {}{}",
                show_optional(&cas.from),
                show_optional(&cas.to),
                show_cas_outcome(cas.succeeded)
            )),
        }
    }

    fn describe_state(&self, state: &Option<Edn>) -> String {
        match state {
            Some(value) => exact(format_args!("the register holds {value}")),
            None => "the register is absent".to_string(),
        }
    }
}

/// An operation on a mutex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MutexOp {
    /// Take the lock (needs it unlocked).
    Acquire,
    /// Give the lock back (needs it locked).
    Release,
}

/// Knossos' mutex: acquire needs it unlocked, release needs it locked. The state is whether it
/// is locked; it starts unlocked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mutex;

impl Spec for Mutex {
    type State = bool;
    type Op = MutexOp;
    type Observations = ();

    fn name(&self) -> &'static str {
        "mutex"
    }

    fn step(&self, locked: &bool, op: &MutexOp) -> Step<bool> {
        match op {
            MutexOp::Acquire if !locked => Step::Next(true),
            MutexOp::Release if *locked => Step::Next(false),
            MutexOp::Acquire | MutexOp::Release => Step::Illegal,
        }
    }

    fn says_nothing(&self, _op: &MutexOp) -> bool {
        false
    }

    fn is_read_only(&self, op: &MutexOp) -> bool {
        let _ = op;
        false
    }

    fn describe_op(&self, op: &MutexOp) -> String {
        match op {
            MutexOp::Acquire => "acquire".to_string(),
            MutexOp::Release => "release".to_string(),
        }
    }

    fn describe_state(&self, locked: &bool) -> String {
        if *locked {
            "the mutex is locked".to_string()
        } else {
            "the mutex is unlocked".to_string()
        }
    }
}

/// One step of a multi-register transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MicroOp {
    /// A read of a key and what it returned; `None` observed nothing (Knossos reads `nil` so).
    Read(Edn, Option<Edn>),
    /// A write of a key (first) to a value (second).
    Write(Edn, Edn),
}

/// Knossos' multi-register: a map from keys to values, and transactions of reads and writes that
/// take effect at once. An absent key reads as `nil`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MultiRegister;

impl Spec for MultiRegister {
    type State = BTreeMap<Edn, Edn>;
    type Op = Vec<MicroOp>;
    type Observations = ();

    fn name(&self) -> &'static str {
        "multi-register"
    }

    fn step(&self, state: &BTreeMap<Edn, Edn>, txn: &Vec<MicroOp>) -> Step<BTreeMap<Edn, Edn>> {
        let mut next: Option<BTreeMap<Edn, Edn>> = None;
        for micro in txn {
            match micro {
                MicroOp::Read(_, None) => {}
                MicroOp::Read(key, Some(value)) => {
                    let current = next.as_ref().unwrap_or(state);
                    if current.get(key).unwrap_or(&Edn::Nil) != value {
                        return Step::Illegal;
                    }
                }
                MicroOp::Write(key, value) => {
                    next.get_or_insert_with(|| state.clone())
                        .insert(key.clone(), value.clone());
                }
            }
        }
        match next {
            Some(next) if next != *state => Step::Next(next),
            _ => Step::Same,
        }
    }

    fn says_nothing(&self, txn: &Vec<MicroOp>) -> bool {
        txn.iter()
            .all(|micro| matches!(micro, MicroOp::Read(_, None)))
    }

    fn is_read_only(&self, op: &Vec<MicroOp>) -> bool {
        op.iter().all(|micro| matches!(micro, MicroOp::Read(..)))
    }

    fn describe_op(&self, txn: &Vec<MicroOp>) -> String {
        let steps = show_joined(txn.iter(), |f, micro| match micro {
            MicroOp::Read(key, None) => write!(f, "read {key} (unknown)"),
            MicroOp::Read(key, Some(value)) => write!(f, "read {key} = {value}"),
            MicroOp::Write(key, value) => write!(f, "write {key} = {value}"),
        });
        exact(format_args!("txn [{steps}]"))
    }

    fn describe_state(&self, state: &BTreeMap<Edn, Edn>) -> String {
        let entries = show_joined(state.iter(), |f, (key, value)| write!(f, "{key} = {value}"));
        exact(format_args!("the registers hold {{{entries}}}"))
    }

    fn state_bytes(&self, state: &BTreeMap<Edn, Edn>) -> usize {
        64 + 96 * state.len()
    }
}

/// An operation on one key of Porcupine's key-value store. Its strings are shared with the
/// imported history (and a put's with the states it leads to), not copies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvOp {
    /// A get and the string it returned; `None` when the result is unknown.
    Get(Option<Arc<String>>),
    /// Replace the string with this one.
    Put(Arc<String>),
    /// Append this string to the current one.
    Append(Arc<String>),
}

/// Porcupine's kv model, for one key (the checker partitions by key): a string that puts replace
/// and appends extend; it starts empty unless told otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kv;

impl Spec for Kv {
    type State = Arc<String>;
    type Op = KvOp;
    type Observations = KvReads;

    fn name(&self) -> &'static str {
        "kv"
    }

    fn step(&self, state: &Arc<String>, op: &KvOp) -> Step<Arc<String>> {
        match op {
            KvOp::Get(None) => Step::Same,
            KvOp::Get(Some(value)) => Step::same_if(value == state),
            KvOp::Put(value) => Step::Next(Arc::clone(value)),
            KvOp::Append(value) => {
                let mut next = String::with_capacity(state.len() + value.len());
                next.push_str(state);
                next.push_str(value);
                Step::Next(Arc::new(next))
            }
        }
    }

    fn says_nothing(&self, op: &KvOp) -> bool {
        matches!(op, KvOp::Get(None))
    }

    fn is_read_only(&self, op: &KvOp) -> bool {
        matches!(op, KvOp::Get(_))
    }

    /// A get of `v` can only become legal if `v` is the key's string now, or is made of the key's
    /// string or of a put's that may come first, followed by appends that may come first. The
    /// appends are matched as pieces of `v` from left to right (each piece may be used more than
    /// once here, which only prunes less).
    fn could_become_legal(
        &self,
        state: &Arc<String>,
        read: &KvOp,
        before: &mut dyn Iterator<Item = &KvOp>,
    ) -> bool {
        let KvOp::Get(Some(wanted)) = read else {
            return true;
        };
        if wanted == state {
            return true;
        }
        let wanted = wanted.as_bytes();
        // Bit i: the operations `before` can lead the key to `wanted[..i]`. On the stack for
        // the usual short strings: this runs after most steps of the search.
        let words = (wanted.len() + 1).div_ceil(64);
        let mut small = [0u64; 16];
        let mut large = Vec::new();
        let reachable: &mut [u64] = if words <= small.len() {
            &mut small[..words]
        } else {
            large.resize(words, 0);
            &mut large
        };
        let mut reach = |position: usize| reachable[position / 64] |= 1 << (position % 64);
        if wanted.starts_with(state.as_bytes()) {
            reach(state.len());
        }
        let mut pieces_small: [&[u8]; 32] = [&[]; 32];
        let mut pieces_count = 0;
        let mut pieces_more: Vec<&[u8]> = Vec::new();
        for op in before {
            match op {
                KvOp::Put(value) if wanted.starts_with(value.as_bytes()) => reach(value.len()),
                KvOp::Append(value) if !value.is_empty() => {
                    if pieces_count < pieces_small.len() {
                        pieces_small[pieces_count] = value.as_bytes();
                        pieces_count += 1;
                    } else {
                        pieces_more.push(value.as_bytes());
                    }
                }
                KvOp::Get(_) | KvOp::Put(_) | KvOp::Append(_) => {}
            }
        }
        let pieces = pieces_small[..pieces_count].iter().chain(&pieces_more);
        // From left to right over the reachable positions only, until the end is reached.
        let mut position = 0;
        loop {
            let mut word = position / 64;
            let mut bits = reachable[word] & (u64::MAX << (position % 64));
            while bits == 0 {
                word += 1;
                if word == words {
                    return false;
                }
                bits = reachable[word];
            }
            position = 64 * word + bits.trailing_zeros() as usize;
            if position == wanted.len() {
                return true;
            }
            let rest = &wanted[position..];
            for piece in pieces.clone() {
                if rest.starts_with(piece) {
                    let end = position + piece.len();
                    reachable[end / 64] |= 1 << (end % 64);
                }
            }
            position += 1;
        }
    }

    fn observations(&self, ops: &mut dyn Iterator<Item = &KvOp>) -> KvReads {
        let mut values: Vec<Arc<String>> = ops
            .filter_map(|op| match op {
                KvOp::Get(Some(value)) => Some(Arc::clone(value)),
                _ => None,
            })
            .collect();
        values.sort_unstable();
        values.dedup();
        KvReads {
            values,
            joined: OnceCell::new(),
        }
    }

    /// A string no get of the partition returned, nor any extension of it: no get is legal in
    /// it, an append leads to another such string, a put to the put's string (whatever came
    /// before), so all of them are interchangeable.
    fn is_unobservable(&self, reads: &KvReads, state: &Arc<String>) -> bool {
        // The values that start with `state` come first among those not less than it.
        let first = reads
            .values
            .partition_point(|value| value.as_str() < state.as_str());
        !reads
            .values
            .get(first)
            .is_some_and(|value| value.starts_with(state.as_str()))
    }

    /// An append of a string that no get returned any part of, or a put of an unobservable
    /// string: after it the key holds an unobservable string, whatever it held before. Take a
    /// linearization from an unobservable state, and move such an operation to its front. The
    /// operations it jumps run from an unobservable state instead of another, so they stay legal
    /// and reach the same states or unobservable ones; after it, where the original order held
    /// an unobservable string, the new one may hold another string: until the next put only
    /// appends can follow (no get is legal in an unobservable string), which are legal on any
    /// string, and the put makes both orders agree again.
    fn is_hidden(&self, reads: &KvReads, op: &KvOp) -> bool {
        match op {
            KvOp::Get(_) => false,
            KvOp::Put(value) => self.is_unobservable(reads, value),
            // The gets' strings are joined by newlines: a token that spans two of them is taken
            // to be read, which only ever hides less.
            KvOp::Append(value) => !value.is_empty() && !reads.joined().contains(value.as_str()),
        }
    }

    fn describe_op(&self, op: &KvOp) -> String {
        match op {
            KvOp::Get(None) => "get (result unknown)".to_string(),
            KvOp::Get(Some(value)) => exact(format_args!("get → {value:?}")),
            KvOp::Put(value) => exact(format_args!("put {value:?}")),
            KvOp::Append(value) => exact(format_args!("append {value:?}")),
        }
    }

    fn describe_state(&self, state: &Arc<String>) -> String {
        exact(format_args!("the key holds {state:?}"))
    }

    fn state_bytes(&self, state: &Arc<String>) -> usize {
        24 + state.len()
    }
}

/// The strings the gets of one key returned, sorted, each once: what [`Kv`]'s
/// `is_unobservable` and `is_hidden` consult.
#[derive(Clone, Debug, Default)]
pub struct KvReads {
    values: Vec<Arc<String>>,
    /// The same strings, each followed by a newline: made the first time `is_hidden` asks.
    joined: OnceCell<String>,
}

impl KvReads {
    fn joined(&self) -> &str {
        self.joined.get_or_init(|| {
            let mut joined =
                String::with_capacity(self.values.iter().map(|value| value.len() + 1).sum());
            for value in &self.values {
                joined.push_str(value);
                joined.push('\n');
            }
            joined
        })
    }
}

/// An operation on a multi-value register.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MvrOp {
    /// A put of a (unique) value with its context: the values its client had read, which it
    /// overwrites.
    Put {
        /// The value written, unique.
        value: Edn,
        /// The values it overwrites.
        context: Vec<Edn>,
    },
    /// A get and the siblings it returned; `None` when the result is unknown.
    Get(Option<BTreeSet<Edn>>),
}

/// The multi-value register of quorate's own store in Siblings mode: the state is the set of
/// sibling values; a put removes the values in its context and adds its own; a get returns all
/// siblings. With well-formed contexts (docs/DESIGN.md §4) this is MVR-linearizability.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mvr;

impl Spec for Mvr {
    type State = BTreeSet<Edn>;
    type Op = MvrOp;
    type Observations = ();

    fn name(&self) -> &'static str {
        "mvr"
    }

    fn step(&self, state: &BTreeSet<Edn>, op: &MvrOp) -> Step<BTreeSet<Edn>> {
        match op {
            MvrOp::Get(None) => Step::Same,
            MvrOp::Get(Some(siblings)) => Step::same_if(siblings == state),
            MvrOp::Put { value, context } => {
                let mut next = state.clone();
                for overwritten in context {
                    next.remove(overwritten);
                }
                next.insert(value.clone());
                Step::Next(next)
            }
        }
    }

    fn says_nothing(&self, op: &MvrOp) -> bool {
        matches!(op, MvrOp::Get(None))
    }

    fn is_read_only(&self, op: &MvrOp) -> bool {
        matches!(op, MvrOp::Get(_))
    }

    fn describe_op(&self, op: &MvrOp) -> String {
        match op {
            MvrOp::Get(None) => "get (result unknown)".to_string(),
            MvrOp::Get(Some(siblings)) => {
                exact(format_args!("get → {}", show_set(siblings.iter())))
            }
            MvrOp::Put { value, context } if context.is_empty() => {
                exact(format_args!("blind put {value}"))
            }
            MvrOp::Put { value, context } => {
                let overwritten: BTreeSet<&Edn> = context.iter().collect();
                let text = exact(format_args!(
                    "put {value} over {}",
                    show_set(overwritten.iter())
                ));
                text
            }
        }
    }

    fn describe_state(&self, state: &BTreeSet<Edn>) -> String {
        exact(format_args!("the siblings are {}", show_set(state.iter())))
    }

    fn state_bytes(&self, state: &BTreeSet<Edn>) -> usize {
        48 + 48 * state.len()
    }
}

/// Values in braces, in the order given (a set's).
fn show_set<I: Iterator<Item: fmt::Display> + Clone>(values: I) -> impl fmt::Display {
    let values = show_joined(values, |f, value| write!(f, "{value}"));
    shown(move |f| write!(f, "{{{values}}}"))
}
