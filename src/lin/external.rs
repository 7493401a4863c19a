//! Checking an imported history ([`ExternalHistory`]) under a model named as `--model` names it.
//!
//! This module owns reading an external operation as an operation of a model (`:cas` with
//! `[from to]`, a `:txn` of `[:read k v]` steps, ...), the models' initial values (`--initial`,
//! an EDN value), the split into partitions by `:key`, and naming operations in the result by
//! their line in the file. Each problem with an operation is an error naming its line; nothing
//! here panics.
//!
//! ```
//! use quorate::lin::import::{import, Format};
//! use quorate::lin::external;
//! use quorate::verdict::{Budget, Verdict};
//!
//! let text = "[{:type :invoke, :f :write, :value 1, :process 0}
//!               {:type :ok, :f :write, :value 1, :process 0}
//!               {:type :invoke, :f :read, :value nil, :process 1}
//!               {:type :ok, :f :read, :value 2, :process 1}]";
//! let history = import(text.as_bytes(), Format::Edn).unwrap();
//! let model = external::SpecName::parse("cas-register").unwrap();
//! let result = external::check(&history, model, None, &Budget::unlimited()).unwrap();
//! assert_eq!(result.verdict, Verdict::Invalid);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use super::import::{Edn, ExternalHistory, ExternalOp, Observed};

use super::specs::{
    Cas, Etcd, EtcdOp, KnossosRegister, KnossosRegisterOp, Kv, KvOp, MicroOp, MultiRegister, Mutex,
    MutexOp, Mvr, MvrOp,
};
use super::{check as check_partitions, CheckResult, Partition, Spec, TimedOp};
use crate::verdict::Budget;

/// A name that is none of the external models.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown model {name:?}; expected one of {list}",
    list = SpecName::ALL.map(SpecName::as_str).join(", ")
)]
pub struct UnknownSpec {
    /// The name given.
    pub name: String,
}

/// The models `--model` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecName {
    /// Knossos' `register`: read and write.
    Register,
    /// Knossos' `cas-register`: read, write and compare-and-set.
    CasRegister,
    /// Knossos' `mutex`: acquire and release.
    Mutex,
    /// Knossos' `multi-register`: transactions of reads and writes over keys.
    MultiRegister,
    /// Porcupine's etcd register: read, write and compare-and-set, starting absent.
    Etcd,
    /// Porcupine's key-value store: get, put and append per key.
    Kv,
    /// A multi-value register (siblings and contexts), one per key.
    Mvr,
}

impl SpecName {
    /// Every model, in the order `--model`'s help lists them.
    pub const ALL: [SpecName; 7] = [
        SpecName::Register,
        SpecName::CasRegister,
        SpecName::Mutex,
        SpecName::MultiRegister,
        SpecName::Etcd,
        SpecName::Kv,
        SpecName::Mvr,
    ];

    /// The name `--model` takes (e.g. `cas-register`).
    pub fn as_str(self) -> &'static str {
        match self {
            SpecName::Register => "register",
            SpecName::CasRegister => "cas-register",
            SpecName::Mutex => "mutex",
            SpecName::MultiRegister => "multi-register",
            SpecName::Etcd => "etcd",
            SpecName::Kv => "kv",
            SpecName::Mvr => "mvr",
        }
    }

    /// The model of this name, or an error listing the names.
    pub fn parse(name: &str) -> Result<SpecName, UnknownSpec> {
        SpecName::ALL
            .into_iter()
            .find(|model| model.as_str() == name)
            .ok_or_else(|| UnknownSpec {
                name: name.to_string(),
            })
    }

    /// The model a history most likely needs, from the functions it uses.
    pub fn guess(history: &ExternalHistory) -> SpecName {
        let uses = |name: &str| history.operations.iter().any(|op| op.f == name);
        if uses("txn") {
            SpecName::MultiRegister
        } else if uses("acquire") || uses("release") {
            SpecName::Mutex
        } else if uses("get")
            || uses("append")
            || history.operations.iter().any(|op| op.key.is_some())
        {
            SpecName::Kv
        } else if uses("cas") {
            SpecName::CasRegister
        } else {
            SpecName::Register
        }
    }
}

impl fmt::Display for SpecName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an external history cannot be checked under a model: the line and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelError {
    /// The line of the operation at fault; 0 for a problem with `--initial`.
    pub line: usize,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for ModelError {}

/// Reading external operations and initial values for one model.
trait External: Spec {
    /// The operation of this model that `op` is, with what it observed.
    fn op(&self, op: &ExternalOp) -> Result<Self::Op, String>;
    /// The initial state `--initial` names (`None`: the model's usual start).
    fn initial(&self, initial: Option<&Edn>) -> Result<Self::State, String>;
}

/// Checks `history` under `model`. Operations in the result are named by their line in the file;
/// their `id` is their index in `history.operations`.
///
/// Checks `history` under `model`, from `initial` (an EDN value, `None` for the model's usual
/// start), within `budget`.
pub fn check(
    history: &ExternalHistory,
    model: SpecName,
    initial: Option<&Edn>,
    budget: &Budget,
) -> Result<CheckResult, ModelError> {
    match model {
        SpecName::Register => run(
            &KnossosRegister { with_cas: false },
            history,
            initial,
            budget,
        ),
        SpecName::CasRegister => run(
            &KnossosRegister { with_cas: true },
            history,
            initial,
            budget,
        ),
        SpecName::Mutex => run(&Mutex, history, initial, budget),
        SpecName::MultiRegister => run(&MultiRegister, history, initial, budget),
        SpecName::Etcd => run(&Etcd, history, initial, budget),
        SpecName::Kv => run(&Kv, history, initial, budget),
        SpecName::Mvr => run(&Mvr, history, initial, budget),
    }
}

/// The model's state, in words, after each operation of `order` (indices into
/// `history.operations`) taken one after another from `initial`: the states a counterexample's
/// linearizable prefix passes through, which the timeline writes beside each operation (as
/// Porcupine's visualizer shows a partial linearization). A step the model refuses (which the
/// prefix the search found never has) ends the list there; an operation the model cannot read
/// is the error `check` would give.
pub fn states_along(
    history: &ExternalHistory,
    model: SpecName,
    initial: Option<&Edn>,
    order: &[u64],
) -> Result<Vec<String>, ModelError> {
    match model {
        SpecName::Register => walk(
            &KnossosRegister { with_cas: false },
            history,
            initial,
            order,
        ),
        SpecName::CasRegister => walk(&KnossosRegister { with_cas: true }, history, initial, order),
        SpecName::Mutex => walk(&Mutex, history, initial, order),
        SpecName::MultiRegister => walk(&MultiRegister, history, initial, order),
        SpecName::Etcd => walk(&Etcd, history, initial, order),
        SpecName::Kv => walk(&Kv, history, initial, order),
        SpecName::Mvr => walk(&Mvr, history, initial, order),
    }
}

fn walk<M: External>(
    model: &M,
    history: &ExternalHistory,
    initial: Option<&Edn>,
    order: &[u64],
) -> Result<Vec<String>, ModelError> {
    let mut state = model.initial(initial).map_err(|message| ModelError {
        line: 0,
        message: format!("--initial: {message}"),
    })?;
    let mut states = Vec::with_capacity(order.len());
    for index in order {
        let Some(external) = usize::try_from(*index)
            .ok()
            .and_then(|index| history.operations.get(index))
        else {
            break;
        };
        let op = model.op(external).map_err(|message| ModelError {
            line: external.line,
            message,
        })?;
        match model.step(&state, &op).apply(&state) {
            Some(next) => state = next,
            None => break,
        }
        states.push(model.describe_state(&state));
    }
    Ok(states)
}

fn run<M: External>(
    model: &M,
    history: &ExternalHistory,
    initial: Option<&Edn>,
    budget: &Budget,
) -> Result<CheckResult, ModelError> {
    let initial_state = model.initial(initial).map_err(|message| ModelError {
        line: 0,
        message: format!("--initial: {message}"),
    })?;
    let mut partitions: BTreeMap<Option<Edn>, Vec<TimedOp<M::Op>>> = BTreeMap::new();
    for (index, external) in history.operations.iter().enumerate() {
        let op = model.op(external).map_err(|message| ModelError {
            line: external.line,
            message: format!(
                "process {} {} {} is not an operation of the {} model: {message}",
                external.process,
                external.f,
                external.value_invoke,
                model.name()
            ),
        })?;
        partitions
            .entry(external.key.clone())
            .or_default()
            .push(TimedOp {
                id: index as u64,
                op,
                time_invoke: external.time_invoke,
                time_complete: external.time_complete,
            });
    }
    let partitions = partitions
        .into_iter()
        .map(|(key, ops)| Partition {
            label: key.map_or_else(|| "the history".to_string(), |key| format!("key {key}")),
            ops,
        })
        .collect();
    let mut result = check_partitions(model, partitions, &initial_state, budget);
    if let Some(counterexample) = &mut result.counterexample {
        let describe = |report: &mut super::OpReport| {
            if let Some(external) = usize::try_from(report.id)
                .ok()
                .and_then(|index| history.operations.get(index))
            {
                let key = external
                    .key
                    .as_ref()
                    .map(|key| format!(", key {key}"))
                    .unwrap_or_default();
                let pending = if external.time_complete.is_none() {
                    ", never completed"
                } else {
                    ""
                };
                // The place goes around the description in place: the description may quote a
                // huge value, which is not copied again.
                let prefix = format!(
                    "line {}: process {}{key}: ",
                    external.line, external.process
                );
                let description = &mut report.description;
                description.reserve_exact(prefix.len() + pending.len());
                description.insert_str(0, &prefix);
                description.push_str(pending);
            }
        };
        counterexample.prefix.iter_mut().for_each(describe);
        describe(&mut counterexample.blocked);
    }
    Ok(result)
}

fn expect_function(op: &ExternalOp, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&op.f.as_str()) {
        Ok(())
    } else {
        Err(format!(
            "unknown function :{}; expected one of :{}",
            op.f,
            allowed.join(", :")
        ))
    }
}

/// `[from to]` of a cas.
fn cas_pair(value: &Edn) -> Result<(Edn, Edn), String> {
    match value {
        Edn::Seq(items) if items.len() == 2 => Ok((items[0].clone(), items[1].clone())),
        other => Err(format!("a cas takes [from to], found {other}")),
    }
}

fn cas_outcome(op: &ExternalOp) -> Option<bool> {
    match op.observed {
        Observed::Ok(_) => Some(true),
        Observed::Failed(_) => Some(false),
        Observed::Unknown => None,
    }
}

impl External for KnossosRegister {
    fn op(&self, op: &ExternalOp) -> Result<KnossosRegisterOp, String> {
        let allowed: &[&str] = if self.with_cas {
            &["read", "write", "cas"]
        } else {
            &["read", "write"]
        };
        expect_function(op, allowed)?;
        Ok(match op.f.as_str() {
            "read" => KnossosRegisterOp::Read(match &op.observed {
                Observed::Ok(Edn::Nil) | Observed::Unknown | Observed::Failed(_) => None,
                Observed::Ok(value) => Some(value.clone()),
            }),
            "write" => KnossosRegisterOp::Write(op.value_invoke.clone()),
            _ => {
                let (from, to) = cas_pair(&op.value_invoke)?;
                KnossosRegisterOp::Cas(Cas {
                    from,
                    to,
                    succeeded: cas_outcome(op),
                })
            }
        })
    }

    fn initial(&self, initial: Option<&Edn>) -> Result<Edn, String> {
        Ok(initial.cloned().unwrap_or(Edn::Nil))
    }
}

fn optional(value: &Edn) -> Option<Edn> {
    match value {
        Edn::Nil => None,
        other => Some(other.clone()),
    }
}

impl External for Etcd {
    fn op(&self, op: &ExternalOp) -> Result<EtcdOp, String> {
        expect_function(op, &["read", "write", "cas"])?;
        Ok(match op.f.as_str() {
            "read" => EtcdOp::Read(match &op.observed {
                Observed::Ok(value) => Some(optional(value)),
                Observed::Unknown | Observed::Failed(_) => None,
            }),
            "write" => EtcdOp::Write(op.value_invoke.clone()),
            _ => {
                let (from, to) = cas_pair(&op.value_invoke)?;
                EtcdOp::Cas(Cas {
                    from: optional(&from),
                    to: optional(&to),
                    succeeded: cas_outcome(op),
                })
            }
        })
    }

    fn initial(&self, initial: Option<&Edn>) -> Result<Option<Edn>, String> {
        Ok(initial.and_then(optional))
    }
}

impl External for Mutex {
    fn op(&self, op: &ExternalOp) -> Result<MutexOp, String> {
        expect_function(op, &["acquire", "release"])?;
        Ok(if op.f == "acquire" {
            MutexOp::Acquire
        } else {
            MutexOp::Release
        })
    }

    fn initial(&self, initial: Option<&Edn>) -> Result<bool, String> {
        match initial {
            None | Some(Edn::Nil) | Some(Edn::Bool(false)) => Ok(false),
            Some(Edn::Bool(true)) => Ok(true),
            Some(Edn::Symbol(name)) | Some(Edn::Keyword(name)) if name == "unlocked" => Ok(false),
            Some(Edn::Symbol(name)) | Some(Edn::Keyword(name)) if name == "locked" => Ok(true),
            Some(other) => Err(format!("a mutex starts unlocked or locked, not {other}")),
        }
    }
}

impl External for MultiRegister {
    fn op(&self, op: &ExternalOp) -> Result<Vec<MicroOp>, String> {
        expect_function(op, &["txn"])?;
        let value = match &op.observed {
            Observed::Ok(value) => value,
            Observed::Unknown | Observed::Failed(_) => &op.value_invoke,
        };
        let Edn::Seq(steps) = value else {
            return Err(format!(
                "a txn takes a vector of [:read k v] / [:write k v], found {value}"
            ));
        };
        steps
            .iter()
            .map(|step| match step {
                Edn::Seq(parts) if parts.len() == 3 => match parts[0].as_keyword() {
                    Some("read") | Some("r") => {
                        Ok(MicroOp::Read(parts[1].clone(), optional(&parts[2])))
                    }
                    Some("write") | Some("w") => {
                        Ok(MicroOp::Write(parts[1].clone(), parts[2].clone()))
                    }
                    _ => Err(format!(
                        "a txn step is [:read k v] or [:write k v], found {step}"
                    )),
                },
                _ => Err(format!(
                    "a txn step is [:read k v] or [:write k v], found {step}"
                )),
            })
            .collect()
    }

    fn initial(&self, initial: Option<&Edn>) -> Result<BTreeMap<Edn, Edn>, String> {
        match initial {
            None | Some(Edn::Nil) => Ok(BTreeMap::new()),
            Some(Edn::Map(entries)) => Ok(entries.iter().cloned().collect()),
            Some(other) => Err(format!(
                "a multi-register starts from a map like {{:x 0 :y 0}}, not {other}"
            )),
        }
    }
}

/// The string `value` is, shared with it.
fn string_of(value: &Edn, what: &str) -> Result<Arc<String>, String> {
    match value {
        Edn::Str(text) => Ok(Arc::clone(text)),
        Edn::Nil => Ok(Arc::default()),
        other => Err(format!("{what} should be a string, found {other}")),
    }
}

impl External for Kv {
    fn op(&self, op: &ExternalOp) -> Result<KvOp, String> {
        expect_function(op, &["get", "put", "append"])?;
        if op.key.is_none() {
            return Err("a kv operation needs a :key".to_string());
        }
        Ok(match op.f.as_str() {
            "get" => KvOp::Get(match &op.observed {
                Observed::Ok(value) => Some(string_of(value, "a get's result")?),
                Observed::Unknown | Observed::Failed(_) => None,
            }),
            "put" => KvOp::Put(string_of(&op.value_invoke, "a put's value")?),
            _ => KvOp::Append(string_of(&op.value_invoke, "an append's value")?),
        })
    }

    fn initial(&self, initial: Option<&Edn>) -> Result<Arc<String>, String> {
        initial.map_or(Ok(Arc::default()), |value| {
            string_of(value, "a key's initial value")
        })
    }
}

fn value_set(value: &Edn) -> Result<BTreeSet<Edn>, String> {
    match value {
        Edn::Nil => Ok(BTreeSet::new()),
        Edn::Seq(items) | Edn::Set(items) => Ok(items.iter().cloned().collect()),
        other => Err(format!("expected a set of values, found {other}")),
    }
}

impl External for Mvr {
    fn op(&self, op: &ExternalOp) -> Result<MvrOp, String> {
        expect_function(op, &["get", "read", "put", "write"])?;
        Ok(match op.f.as_str() {
            "get" | "read" => MvrOp::Get(match &op.observed {
                Observed::Ok(value) => Some(value_set(value)?),
                Observed::Unknown | Observed::Failed(_) => None,
            }),
            _ => match &op.value_invoke {
                Edn::Seq(parts)
                    if parts.len() == 2 && matches!(parts[1], Edn::Seq(_) | Edn::Set(_)) =>
                {
                    MvrOp::Put {
                        value: parts[0].clone(),
                        context: value_set(&parts[1])?.into_iter().collect(),
                    }
                }
                value => MvrOp::Put {
                    value: value.clone(),
                    context: Vec::new(),
                },
            },
        })
    }

    fn initial(&self, initial: Option<&Edn>) -> Result<BTreeSet<Edn>, String> {
        initial.map_or(Ok(BTreeSet::new()), value_set)
    }
}
