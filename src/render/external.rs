//! An external history (Knossos / Jepsen EDN, a Jepsen log, a Porcupine key-value log) as a
//! picture, with the linearizability checker's result on it: the operation that cannot be
//! linearized, the longest linearizable prefix the search found (each of its operations numbered
//! in its place in that order, with the model's state after it, as Porcupine's visualizer shows a
//! partial linearization), and a sentence above the picture that says it.
//!
//! This file owns only that translation, into the history, highlights and [`Extras`] the page
//! draws: one lane per process, one band per key (or one for a history without keys), time as the
//! file's event positions. It never runs the checker (the caller passes its result and the
//! prefix's states) and reads nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::history::{Action, ClientId, History, Key, OpId, Operation, Outcome, ReadValue, Write};
use crate::lin::import::{Edn, ExternalHistory, ExternalOp, Observed};
use crate::lin::{verdict_words, CheckResult};
use crate::verdict::Verdict;

use super::{Extras, Highlight, TimeUnit};

/// The key of operations of a history without keys (Knossos' single register, a mutex).
pub const NO_KEY: &str = "(the history)";

/// What the page draws for an external history.
#[derive(Debug)]
pub struct ExternalPicture {
    /// The operations as the page draws them: ids are positions in the imported history.
    pub history: History,
    /// The operation that cannot be linearized (the witness) and the prefix before it.
    pub highlights: Vec<Highlight>,
    /// Each operation's label, the event time unit and the sentence above the picture.
    pub extras: Extras,
}

/// The picture of `external` with `result` on it; `states` are the model's states after each
/// operation of the counterexample's prefix, in order (`lin::external::states_along`), shorter
/// or empty when not known.
pub fn picture(
    external: &ExternalHistory,
    result: &CheckResult,
    states: &[String],
) -> ExternalPicture {
    let clients = client_numbers(external);
    let mut place_in_prefix: HashMap<u64, usize> = HashMap::new();
    if let Some(counterexample) = &result.counterexample {
        for (position, op) in counterexample.prefix.iter().enumerate() {
            place_in_prefix.insert(op.id, position);
        }
    }
    let mut labels = HashMap::with_capacity(external.operations.len());
    let operations = external
        .operations
        .iter()
        .enumerate()
        .map(|(index, op)| {
            let id = OpId(index as u64);
            let mut label = short_text(op);
            if let Some(&position) = place_in_prefix.get(&(index as u64)) {
                label.insert_str(0, &format!("{}. ", position + 1));
                if let Some(state) = states.get(position) {
                    label.push_str(" ⇒ ");
                    label.push_str(state);
                }
            }
            labels.insert(id, label);
            operation(id, op, clients[&op.process])
        })
        .collect();
    ExternalPicture {
        history: History::new(operations),
        highlights: highlights(result, states),
        extras: Extras {
            labels,
            unit: TimeUnit::Event,
            sentence: Some(sentence(result)),
        },
    }
}

/// Each process's client number: its own number when every process is a number that fits,
/// else its place among the processes in order.
fn client_numbers(external: &ExternalHistory) -> BTreeMap<Edn, ClientId> {
    let processes: BTreeSet<&Edn> = external.operations.iter().map(|op| &op.process).collect();
    let own = |process: &Edn| match process {
        Edn::Int(number) => u32::try_from(*number).ok(),
        _ => None,
    };
    let all_numbers = processes.iter().all(|process| own(process).is_some());
    processes
        .into_iter()
        .enumerate()
        .map(|(place, process)| {
            let number = if all_numbers {
                own(process).unwrap_or(place as u32)
            } else {
                place as u32
            };
            (process.clone(), ClientId(number))
        })
        .collect()
}

/// One imported operation as the page draws it: reads as gets, everything else as puts; the
/// label (not these values) says what it did.
fn operation(id: OpId, op: &ExternalOp, client: ClientId) -> Operation {
    let key = op
        .key
        .as_ref()
        .map_or_else(|| Key::from(NO_KEY), |key| Key::from(key.to_string()));
    let outcome = match op.observed {
        Observed::Ok(_) => Outcome::Ok,
        Observed::Failed(_) => Outcome::Fail,
        Observed::Unknown => Outcome::Info,
    };
    let action = if matches!(op.f.as_str(), "read" | "get") {
        Action::Get {
            values: Vec::<ReadValue>::new(),
            context: None,
        }
    } else {
        Action::Put(Write {
            value: "".into(),
            context: Vec::new(),
        })
    };
    Operation {
        id,
        client,
        key,
        action,
        time_ms_invoke: op.time_invoke,
        time_ms_complete: op.time_complete,
        outcome,
        meta: None,
    }
}

/// `read → 3`, `write 2`, `cas [1 2] ✗`, `append x ?`, then its line: the operation in a few
/// words for its bar.
fn short_text(op: &ExternalOp) -> String {
    let invoked = if op.value_invoke == Edn::Nil {
        String::new()
    } else {
        format!(" {}", op.value_invoke)
    };
    let observed = match &op.observed {
        Observed::Ok(value) if value == &op.value_invoke => String::new(),
        Observed::Ok(value) => format!(" → {value}"),
        Observed::Failed(_) => " ✗".to_string(),
        Observed::Unknown if op.time_complete.is_none() => " (never completed)".to_string(),
        Observed::Unknown => " ?".to_string(),
    };
    format!("{}{invoked}{observed} (line {})", op.f, op.line)
}

/// The witness (the operation that cannot be linearized) and the prefix before it.
fn highlights(result: &CheckResult, states: &[String]) -> Vec<Highlight> {
    let Some(counterexample) = &result.counterexample else {
        return Vec::new();
    };
    let mut witness = Highlight::new(
        "not linearizable (forbidden)",
        &format!(
            "{}: after the {} operation(s) of the longest linearizable prefix found, {}; then no remaining operation can take effect before {} returns",
            counterexample.partition,
            counterexample.prefix.len(),
            counterexample.state,
            counterexample.blocked.description
        ),
        vec![OpId(counterexample.blocked.id)],
    );
    witness.witness = true;
    let mut highlights = vec![witness];
    if !counterexample.prefix.is_empty() {
        let mut prefix = Highlight::new(
            "the longest linearizable prefix found",
            &format!(
                "{} operation(s) of {} linearized in the order their labels number, each label with the model's state after it ({} of them known); after them, {}",
                counterexample.prefix.len(),
                counterexample.partition,
                states.len().min(counterexample.prefix.len()),
                counterexample.state
            ),
            counterexample.prefix.iter().map(|op| OpId(op.id)).collect(),
        );
        prefix.allowed_under = Some(result.model.clone());
        highlights.push(prefix);
    }
    highlights
}

/// The sentence above the picture: the verdict, and for a counterexample where it stops.
fn sentence(result: &CheckResult) -> String {
    let verdict = verdict_words(result.verdict);
    match (&result.counterexample, result.verdict) {
        (Some(counterexample), _) => format!(
            "{} under the {} model. On {}, the search linearized at most {} operation(s) (numbered in their labels, each with the model's state after it), leaving {}; then {} returned before any remaining operation could take effect.",
            capitalized(verdict),
            result.model,
            counterexample.partition,
            counterexample.prefix.len(),
            counterexample.state,
            counterexample.blocked.description
        ),
        (None, Verdict::Unknown) => format!(
            "Unknown under the {} model: {}{}.",
            result.model,
            result
                .unknown_reason
                .as_deref()
                .unwrap_or("the search did not finish"),
            if result.partitions_unfinished.is_empty() {
                String::new()
            } else {
                format!("; unfinished: {}", result.partitions_unfinished.join(", "))
            }
        ),
        (None, _) => format!(
            "{} under the {} model: {} operation(s) in {} partition(s).",
            capitalized(verdict),
            result.model,
            result.operations,
            result.partitions
        ),
    }
}

fn capitalized(text: &str) -> String {
    let mut characters = text.chars();
    characters.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(characters).collect()
    })
}
