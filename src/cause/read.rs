//! The causes read from a read's messages: a read that missed a written value (cause 2), and a
//! read whose context does not cover a value it returned (cause 5): which node coordinated it,
//! whom it heard from before it answered, and what they said.

use std::collections::{BTreeMap, BTreeSet};

use crate::history::{Action, Endpoint, Operation, Value};

use crate::causality::NodeId;

use super::view::{set_text, Fate, KeyTrace, Message};
use super::{nodes_text, Chain};

/// A read's messages, seen from its coordinator.
struct Hearing<'v, 'h> {
    /// Every message serving the read.
    mine: Vec<&'v Message<'h>>,
    coordinator: NodeId,
    /// When the coordinator sent its answer to the client (`u64::MAX`: never).
    answered: u64,
    /// The replicas whose replies reached the coordinator before it answered.
    heard: BTreeSet<u32>,
}

fn hearing<'v, 'h>(key_trace: &'v KeyTrace<'h>, read: &Operation) -> Option<Hearing<'v, 'h>> {
    let mine: Vec<_> = key_trace
        .messages
        .iter()
        .filter(|message| message.op == Some(read.id))
        .collect();
    let coordinator = mine
        .iter()
        .find_map(|message| match (message.from, message.to) {
            (Endpoint::Client(_), Endpoint::Node(node)) => Some(node),
            _ => None,
        })?;
    let answered = mine
        .iter()
        .filter(|message| {
            message.from == Endpoint::Node(coordinator) && matches!(message.to, Endpoint::Client(_))
        })
        .map(|message| message.time_ms)
        .min()
        .unwrap_or(u64::MAX);
    let heard = mine
        .iter()
        .filter(|message| message.to == Endpoint::Node(coordinator))
        .filter(|message| matches!(message.fate, Fate::Delivered(time_ms) if time_ms <= answered))
        .filter_map(|message| match message.from {
            Endpoint::Node(node) => Some(node.0),
            Endpoint::Client(_) => None,
        })
        .collect();
    Some(Hearing {
        mine,
        coordinator,
        answered,
        heard,
    })
}

/// A read's story: the sentence, the read, and every message that served it.
fn read_chain(sentence: String, read: &Operation, mine: &[&Message<'_>]) -> Chain {
    Chain {
        sentence: Some(sentence),
        operations: BTreeSet::from([read.id]),
        messages: mine.iter().map(|message| message.number).collect(),
        ..Chain::default()
    }
}

/// What the coordinator itself held when it answered: ` (its own copy: {…})`, or nothing.
fn own_copy(key_trace: &KeyTrace<'_>, coordinator: NodeId, answered: u64) -> String {
    key_trace
        .states
        .iter()
        .rev()
        .find(|state| state.node == coordinator.0 && state.time_ms <= answered)
        .map(|state| {
            format!(
                " (its own copy: {})",
                set_text(state.values, state.tombstones)
            )
        })
        .unwrap_or_default()
}

/// Cause 2: a read missed a written value; whom it heard from, and who held the value.
pub(super) fn missed_read(
    key_trace: &KeyTrace<'_>,
    ops: &[&Operation],
    written: &[&Value],
) -> Option<Chain> {
    let (read, value) = ops.iter().find_map(|op| match &op.action {
        Action::Get { values, .. } if op.is_ok() => written
            .iter()
            .find(|value| !values.iter().any(|read| &&read.value == *value))
            .map(|value| (op, *value)),
        _ => None,
    })?;
    let Hearing {
        mine,
        coordinator,
        answered,
        heard,
    } = hearing(key_trace, read)?;
    let dropped = mine
        .iter()
        .filter(|message| matches!(message.fate, Fate::Dropped(..)))
        .count();
    // Who held the value when the read began.
    let mut holding: BTreeMap<u32, bool> = BTreeMap::new();
    for state in key_trace
        .states
        .iter()
        .take_while(|state| state.time_ms <= read.time_ms_invoke)
    {
        let has = state.values.contains(value) || state.tombstones.contains(value);
        holding.insert(state.node, has);
    }
    let held: BTreeSet<u32> = holding
        .into_iter()
        .filter_map(|(node, has)| has.then_some(node))
        .collect();
    let heard_text = if heard.is_empty() {
        "no other replica".to_string()
    } else {
        nodes_text(&heard)
    };
    let own = own_copy(key_trace, coordinator, answered);
    let mut sentence = format!(
        "{} was coordinated by n{}{own} and, before it answered, heard from {heard_text}; when it began, {value} had reached {}.",
        read.id,
        coordinator.0,
        nodes_text(&held)
    );
    match dropped {
        0 => {}
        1 => sentence.push_str(" One of its messages was dropped on the way."),
        _ => sentence.push_str(&format!(
            " {dropped} of its messages were dropped on the way."
        )),
    }
    Some(read_chain(sentence, read, &mine))
}

/// Cause 5: a read returned one of the anomaly's written values with a context (which the
/// checker found wanting): whom it heard from and what each said, and the context it returned.
pub(super) fn read_context(
    key_trace: &KeyTrace<'_>,
    ops: &[&Operation],
    written: &[&Value],
) -> Option<Chain> {
    let (read, value, context) = ops.iter().find_map(|op| match &op.action {
        Action::Get {
            values,
            context: Some(context),
        } if op.is_ok() => written
            .iter()
            .find(|value| values.iter().any(|read| &&read.value == *value))
            .map(|value| (op, *value, context)),
        _ => None,
    })?;
    let Hearing {
        mine,
        coordinator,
        answered,
        heard,
    } = hearing(key_trace, read)?;
    let replies: Vec<String> = mine
        .iter()
        .filter(|message| message.to == Endpoint::Node(coordinator))
        .filter(|message| matches!(message.fate, Fate::Delivered(time_ms) if time_ms <= answered))
        .filter_map(|message| match message.from {
            Endpoint::Node(node) if heard.contains(&node.0) => {
                Some(format!("n{} (\"{}\")", node.0, message.summary))
            }
            _ => None,
        })
        .collect();
    let heard_text = if replies.is_empty() {
        "no other replica".to_string()
    } else {
        replies.join(", ")
    };
    let Action::Get { values, .. } = &read.action else {
        return None;
    };
    let returned: Vec<Value> = values.iter().map(|read| read.value.clone()).collect();
    let sentence = format!(
        "{} was coordinated by n{}{} and, before it answered, heard from {heard_text}; it returned {} with the context {context}, which does not cover {value}.",
        read.id,
        coordinator.0,
        own_copy(key_trace, coordinator, answered),
        set_text(&returned, &[])
    );
    Some(read_chain(sentence, read, &mine))
}
