//! Differential test: on random small histories of every model, the fast search
//! (`quorate::lin::check`) and a brute force over all orders (`quorate::lin::brute_force`) agree.
//! Case counts are modest by default; `PROPTEST_CASES` raises them.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::Config;
use quorate::lin::import::Edn;
use quorate::lin::specs::{
    Cas, Etcd, EtcdOp, KnossosRegister, KnossosRegisterOp, Kv, KvOp, MicroOp, MultiRegister, Mutex,
    MutexOp, Mvr, MvrOp,
};
use quorate::lin::{brute_force, check, Partition, Spec, TimedOp};
use quorate::verdict::{Budget, Verdict};

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(300);
    Config {
        cases,
        ..Config::default()
    }
}

/// An interval: invocation time, and completion time unless the operation stays open.
fn interval() -> impl Strategy<Value = (u64, Option<u64>)> {
    (0u64..12, 0u64..6, prop::bool::weighted(0.2))
        .prop_map(|(invoke, length, open)| (invoke, (!open).then_some(invoke + length)))
}

fn history<Op: Debug + Clone>(
    op: impl Strategy<Value = Op>,
    length_max: usize,
) -> impl Strategy<Value = Vec<TimedOp<Op>>> {
    prop::collection::vec((op, interval()), 0..=length_max).prop_map(|ops| {
        ops.into_iter()
            .enumerate()
            .map(|(index, (op, (time_invoke, time_complete)))| TimedOp {
                id: index as u64,
                op,
                time_invoke,
                time_complete,
            })
            .collect()
    })
}

fn agree<M: Spec>(
    model: &M,
    ops: Vec<TimedOp<M::Op>>,
    initial: &M::State,
) -> Result<(), TestCaseError> {
    let expected =
        brute_force::is_linearizable(model, &ops, initial).expect("small enough for the oracle");
    let partition = Partition {
        label: "the object".to_string(),
        ops: ops.clone(),
    };
    let result = check(model, vec![partition], initial, &Budget::unlimited());
    let fast = match result.verdict {
        Verdict::Valid => true,
        Verdict::Invalid => false,
        Verdict::Unknown => return Err(TestCaseError::fail("unknown without a budget")),
    };
    prop_assert_eq!(
        fast,
        expected,
        "fast search and brute force disagree on {:?}",
        ops
    );
    prop_assert_eq!(result.counterexample.is_some(), !fast);
    if let Some(counterexample) = &result.counterexample {
        // The reported prefix is a legal sequence that ends in the reported state.
        let mut state = initial.clone();
        for report in &counterexample.prefix {
            let op = &ops[report.id as usize].op;
            state = model
                .step(&state, op)
                .apply(&state)
                .ok_or_else(|| TestCaseError::fail(format!("prefix step {op:?} is illegal")))?;
        }
        prop_assert_eq!(model.describe_state(&state), counterexample.state.clone());
    }
    Ok(())
}

fn small_value() -> impl Strategy<Value = Edn> {
    prop_oneof![Just(Edn::Nil), (0i64..3).prop_map(Edn::Int)]
}

fn cas_outcome() -> impl Strategy<Value = Option<bool>> {
    prop_oneof![Just(Some(true)), Just(Some(false)), Just(None)]
}

fn register_op(with_cas: bool) -> impl Strategy<Value = KnossosRegisterOp> {
    let read = prop::option::weighted(0.8, small_value())
        .prop_map(|value| KnossosRegisterOp::Read(value.filter(|value| *value != Edn::Nil)));
    let write = small_value().prop_map(KnossosRegisterOp::Write);
    let cas = (small_value(), small_value(), cas_outcome()).prop_map(|(from, to, succeeded)| {
        KnossosRegisterOp::Cas(Cas {
            from,
            to,
            succeeded,
        })
    });
    if with_cas {
        prop_oneof![read, write, cas].boxed()
    } else {
        prop_oneof![read, write].boxed()
    }
}

fn optional_value() -> impl Strategy<Value = Option<Edn>> {
    prop::option::of((0i64..3).prop_map(Edn::Int))
}

fn etcd_op() -> impl Strategy<Value = EtcdOp> {
    prop_oneof![
        prop::option::weighted(0.8, optional_value()).prop_map(EtcdOp::Read),
        (0i64..3).prop_map(|value| EtcdOp::Write(Edn::Int(value))),
        (optional_value(), optional_value(), cas_outcome()).prop_map(|(from, to, succeeded)| {
            EtcdOp::Cas(Cas {
                from,
                to,
                succeeded,
            })
        }),
    ]
}

fn kv_op() -> impl Strategy<Value = KvOp> {
    let token =
        prop_oneof![Just("a"), Just("b"), Just("c")].prop_map(|text| Arc::new(text.to_string()));
    let observed = prop_oneof![
        Just(""),
        Just("a"),
        Just("b"),
        Just("ab"),
        Just("ba"),
        Just("abc"),
        Just("ca")
    ]
    .prop_map(|text| Arc::new(text.to_string()));
    prop_oneof![
        prop::option::weighted(0.8, observed).prop_map(KvOp::Get),
        token.clone().prop_map(KvOp::Put),
        token.prop_map(KvOp::Append),
    ]
}

/// A kv history whose gets return what one run of it returned (each operation taking effect at a
/// point of its interval, open ones too), and in half the cases one get changed to another
/// string the run held: near misses, where most strings the search meets are read by no get
/// (the model's unobservable states). Tokens overlap ("a", "b", "ab"), so a string does not
/// always say which appends made it.
fn kv_run(length_max: usize) -> impl Strategy<Value = Vec<TimedOp<KvOp>>> {
    let token = prop_oneof![Just("a"), Just("b"), Just("ab"), Just("c")];
    let op = (
        0u8..3,
        token,
        0u64..12,
        0u64..6,
        0u64..6,
        prop::bool::weighted(0.15),
    );
    (
        prop::collection::vec(op, 0..=length_max),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(ops, get_index, string_index, corrupt)| {
            let effect = |&(_, _, invoke, length, offset, _): &(u8, &str, u64, u64, u64, bool)| {
                invoke + offset.min(length)
            };
            let mut order: Vec<usize> = (0..ops.len()).collect();
            order.sort_by_key(|&index| (effect(&ops[index]), index));
            let mut string = String::new();
            let mut held = vec![String::new()];
            let mut returned = vec![String::new(); ops.len()];
            for index in order {
                let (kind, token, ..) = ops[index];
                match kind {
                    0 => returned[index] = string.clone(),
                    1 => string.push_str(token),
                    _ => string = token.to_string(),
                }
                held.push(string.clone());
            }
            let gets: Vec<usize> = (0..ops.len()).filter(|&index| ops[index].0 == 0).collect();
            if corrupt && !gets.is_empty() {
                returned[gets[get_index.index(gets.len())]] =
                    held[string_index.index(held.len())].clone();
            }
            ops.iter()
                .enumerate()
                .map(|(index, &(kind, token, invoke, length, _, open))| {
                    let text = |text: &str| Arc::new(text.to_string());
                    TimedOp {
                        id: index as u64,
                        op: match kind {
                            0 => KvOp::Get(Some(text(&returned[index]))),
                            1 => KvOp::Append(text(token)),
                            _ => KvOp::Put(text(token)),
                        },
                        time_invoke: invoke,
                        time_complete: (!open || kind == 0).then_some(invoke + length),
                    }
                })
                .collect()
        })
}

fn key() -> impl Strategy<Value = Edn> {
    prop_oneof![
        Just(Edn::Keyword("x".into())),
        Just(Edn::Keyword("y".into()))
    ]
}

fn multi_register_op() -> impl Strategy<Value = Vec<MicroOp>> {
    let micro = prop_oneof![
        (
            key(),
            prop::option::weighted(0.8, (0i64..2).prop_map(Edn::Int))
        )
            .prop_map(|(key, value)| MicroOp::Read(key, value)),
        (key(), (0i64..2).prop_map(Edn::Int)).prop_map(|(key, value)| MicroOp::Write(key, value)),
    ];
    prop::collection::vec(micro, 1..3)
}

fn mvr_op() -> impl Strategy<Value = MvrOp> {
    let value = (0i64..4).prop_map(Edn::Int);
    let values = prop::collection::btree_set((0i64..4).prop_map(Edn::Int), 0..3);
    prop_oneof![
        prop::option::weighted(0.8, values.clone()).prop_map(MvrOp::Get),
        (value, values).prop_map(|(value, context)| MvrOp::Put {
            value,
            context: context.into_iter().collect()
        }),
    ]
}

const LENGTH_MAX: usize = 7;

proptest! {
    #![proptest_config(config())]

    #[test]
    fn register(ops in history(register_op(false), LENGTH_MAX), initial in small_value()) {
        agree(&KnossosRegister { with_cas: false }, ops, &initial)?;
    }

    #[test]
    fn cas_register(ops in history(register_op(true), LENGTH_MAX), initial in small_value()) {
        agree(&KnossosRegister { with_cas: true }, ops, &initial)?;
    }

    #[test]
    fn etcd(ops in history(etcd_op(), LENGTH_MAX), initial in optional_value()) {
        agree(&Etcd, ops, &initial)?;
    }

    #[test]
    fn mutex(ops in history(prop_oneof![Just(MutexOp::Acquire), Just(MutexOp::Release)], LENGTH_MAX), locked in any::<bool>()) {
        agree(&Mutex, ops, &locked)?;
    }

    #[test]
    fn multi_register(ops in history(multi_register_op(), LENGTH_MAX)) {
        let initial = [(Edn::Keyword("x".into()), Edn::Int(0)), (Edn::Keyword("y".into()), Edn::Int(0))].into_iter().collect();
        agree(&MultiRegister, ops, &initial)?;
    }

    #[test]
    fn kv(ops in history(kv_op(), LENGTH_MAX)) {
        agree(&Kv, ops, &Arc::default())?;
    }

    #[test]
    fn kv_values_from_a_run(ops in kv_run(LENGTH_MAX + 1)) {
        agree(&Kv, ops, &Arc::default())?;
    }

    #[test]
    fn mvr(ops in history(mvr_op(), LENGTH_MAX)) {
        agree(&Mvr, ops, &BTreeSet::new())?;
    }
}
