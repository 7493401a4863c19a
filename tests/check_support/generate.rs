//! Random small histories for property tests: at most 8 operations, 3 clients and 2 keys, with
//! ok, fail and info outcomes and well-formed contexts. Most reads return what a simulated
//! correct multi-value register would (so that many histories are linearizable), some are
//! nudged by one value, and some are random.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use quorate::history::{
    Action, ClientId, History, Key, OpId, Operation, Outcome, ReadValue, Value, Write,
};

#[derive(Clone, Debug)]
pub(crate) struct OpSpec {
    client: u32,
    key: u8,
    is_put: bool,
    outcome: u8,
    gap_ms: u64,
    duration_ms: u64,
    effect_offset_ms: u64,
    never_takes_effect: bool,
    realistic: bool,
    result_mask: u16,
    context_mask: u16,
    nudge: u8,
}

fn op_spec() -> impl Strategy<Value = OpSpec> {
    (
        (0..3u32, 0..2u8, any::<bool>(), 0..10u8, 0..3u64, 0..4u64),
        (
            0..6u64,
            any::<bool>(),
            0..4u8,
            any::<u16>(),
            any::<u16>(),
            0..10u8,
        ),
    )
        .prop_map(
            |(
                (client, key, is_put, outcome, gap_ms, duration_ms),
                (effect_offset_ms, never_takes_effect, realism, result_mask, context_mask, nudge),
            )| OpSpec {
                client,
                key,
                is_put,
                outcome,
                gap_ms,
                duration_ms,
                effect_offset_ms,
                never_takes_effect,
                realistic: realism != 0,
                result_mask,
                context_mask,
                nudge,
            },
        )
}

pub(crate) fn scenario() -> impl Strategy<Value = (u32, u8, Vec<OpSpec>)> {
    (
        1..=3u32,
        prop_oneof![2 => Just(1u8), 1 => Just(2u8)],
        prop::collection::vec(op_spec(), 1..=8),
    )
}

/// Builds a history from the specs: times per client, then a simulated multi-value register
/// whose state realistic reads return.
pub(crate) fn build(clients: u32, keys: u8, specs: &[OpSpec]) -> History {
    let n = specs.len();
    let client_of = |i: usize| specs[i].client % clients;
    let key_of = |i: usize| specs[i].key % keys;
    let outcome_of = |i: usize| match specs[i].outcome {
        0..=5 => Outcome::Ok,
        6 => Outcome::Fail,
        _ => Outcome::Info,
    };
    let last_of_client: HashMap<u32, usize> = (0..n).map(|i| (client_of(i), i)).collect();
    let mut clock: HashMap<u32, u64> = HashMap::new();
    let mut invoke = vec![0; n];
    let mut complete = vec![None; n];
    for i in 0..n {
        let start = clock.get(&client_of(i)).copied().unwrap_or(0) + specs[i].gap_ms;
        let end = start + specs[i].duration_ms;
        invoke[i] = start;
        let never_answered = outcome_of(i) == Outcome::Info
            && last_of_client[&client_of(i)] == i
            && specs[i].never_takes_effect;
        complete[i] = if never_answered { None } else { Some(end) };
        clock.insert(client_of(i), end);
    }
    let value_of = |i: usize| Value::from(format!("v{i}"));
    let writes_on = |key: u8| -> Vec<usize> {
        (0..n)
            .filter(|&i| specs[i].is_put && key_of(i) == key)
            .collect()
    };

    // Effect and read points, processed in time order (reads first at equal times).
    let mut events: Vec<(u64, bool, usize)> = Vec::new();
    for i in 0..n {
        let within = invoke[i] + specs[i].effect_offset_ms.min(specs[i].duration_ms);
        if specs[i].is_put {
            match outcome_of(i) {
                Outcome::Ok => events.push((within, true, i)),
                _ if specs[i].never_takes_effect => {}
                _ => events.push((invoke[i] + specs[i].effect_offset_ms, true, i)),
            }
        } else if outcome_of(i) == Outcome::Ok {
            events.push((within, false, i));
        }
    }
    events.sort();

    let mut returned: HashMap<usize, Vec<Value>> = HashMap::new();
    let mut contexts: HashMap<usize, Vec<usize>> = HashMap::new();
    // The context of put i: part of what its client's last ok get on the key returned, limited
    // to writes invoked before it so that contexts never form a cycle.
    let context_of = |i: usize, returned: &HashMap<usize, Vec<Value>>| -> Vec<usize> {
        let last_get = (0..i).rev().find(|&g| {
            !specs[g].is_put
                && client_of(g) == client_of(i)
                && key_of(g) == key_of(i)
                && outcome_of(g) == Outcome::Ok
        });
        let Some(get) = last_get else {
            return Vec::new();
        };
        let keep_all = specs[i].context_mask & 1 == 0;
        returned
            .get(&get)
            .into_iter()
            .flatten()
            .enumerate()
            .filter(|(position, _)| keep_all || specs[i].context_mask & (2 << position) != 0)
            .filter_map(|(_, value)| (0..n).find(|&u| specs[u].is_put && value_of(u) == *value))
            .filter(|&u| key_of(u) == key_of(i) && (invoke[u], u) < (invoke[i], i))
            .collect()
    };
    let mut state: HashMap<u8, BTreeSet<usize>> = HashMap::new();
    let mut covered_of: HashMap<usize, BTreeSet<usize>> = HashMap::new();
    for (_, is_write, i) in events {
        let key = key_of(i);
        if is_write {
            let context = context_of(i, &returned);
            let mut covered = BTreeSet::new();
            for &u in &context {
                covered.insert(u);
                covered.extend(covered_of.get(&u).cloned().unwrap_or_default());
            }
            let current = state.entry(key).or_default();
            current.retain(|w| !covered.contains(w));
            current.insert(i);
            covered_of.insert(i, covered);
            contexts.insert(i, context);
        } else {
            let candidates = writes_on(key);
            let mut result: BTreeSet<usize> = if specs[i].realistic {
                state.get(&key).cloned().unwrap_or_default()
            } else {
                candidates
                    .iter()
                    .enumerate()
                    .filter(|(position, _)| specs[i].result_mask & (1 << position) != 0)
                    .map(|(_, &w)| w)
                    .collect()
            };
            let pick = candidates
                .get(usize::from(specs[i].result_mask) % candidates.len().max(1))
                .copied();
            match (specs[i].nudge, pick) {
                (0, _) => {
                    let first = result.iter().next().copied();
                    if let Some(first) = first {
                        result.remove(&first);
                    }
                }
                (1, Some(extra)) => {
                    result.insert(extra);
                }
                _ => {}
            }
            let mut values: Vec<Value> = result.into_iter().map(value_of).collect();
            if specs[i].nudge == 2 && !specs[i].realistic {
                values.push(Value("ghost".into()));
            }
            returned.insert(i, values);
        }
    }
    for (i, spec) in specs.iter().enumerate() {
        if spec.is_put && !contexts.contains_key(&i) {
            let context = context_of(i, &returned);
            contexts.insert(i, context);
        }
    }

    let operations = (0..n)
        .map(|i| {
            let action = if specs[i].is_put {
                Action::Put(Write {
                    value: value_of(i),
                    context: contexts[&i].iter().map(|&u| value_of(u)).collect(),
                })
            } else {
                Action::Get {
                    values: returned
                        .get(&i)
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|value| ReadValue {
                            value,
                            tombstone: false,
                        })
                        .collect(),
                    context: None,
                }
            };
            Operation {
                id: OpId(i as u64),
                client: ClientId(client_of(i)),
                key: Key::from(format!("k{}", key_of(i))),
                action,
                time_ms_invoke: invoke[i],
                time_ms_complete: complete[i],
                outcome: outcome_of(i),
                meta: None,
            }
        })
        .collect();
    History::new(operations)
}
