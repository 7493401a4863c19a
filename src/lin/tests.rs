use super::specs::{Cas, KnossosRegister, KnossosRegisterOp};
use super::*;

fn timed<Op>(id: u64, op: Op, time_invoke: u64, time_complete: Option<u64>) -> TimedOp<Op> {
    TimedOp {
        id,
        op,
        time_invoke,
        time_complete,
    }
}

fn check_one(ops: Vec<TimedOp<KnossosRegisterOp>>) -> CheckResult {
    let partition = Partition {
        label: "the register".to_string(),
        ops,
    };
    check(
        &KnossosRegister { with_cas: true },
        vec![partition],
        &super::import::Edn::Int(0),
        &Budget::unlimited(),
    )
}

fn int(value: i64) -> super::import::Edn {
    super::import::Edn::Int(value)
}

#[test]
fn sequential_write_then_read_is_linearizable() {
    let result = check_one(vec![
        timed(0, KnossosRegisterOp::Write(int(1)), 0, Some(1)),
        timed(1, KnossosRegisterOp::Read(Some(int(1))), 2, Some(3)),
    ]);
    assert_eq!(result.verdict, Verdict::Valid);
}

#[test]
fn stale_read_is_reported_with_its_prefix_and_state() {
    let result = check_one(vec![
        timed(0, KnossosRegisterOp::Write(int(1)), 0, Some(1)),
        timed(1, KnossosRegisterOp::Read(Some(int(0))), 2, Some(3)),
    ]);
    assert_eq!(result.verdict, Verdict::Invalid);
    let counterexample = result.counterexample.expect("a counterexample");
    assert_eq!(counterexample.blocked.id, 1);
    assert_eq!(counterexample.prefix.len(), 1);
    assert_eq!(counterexample.state, "the register holds 1");
}

#[test]
fn open_write_may_take_effect_late_or_never() {
    let open_write = timed(0, KnossosRegisterOp::Write(int(7)), 0, None);
    let late = check_one(vec![
        open_write.clone(),
        timed(1, KnossosRegisterOp::Read(Some(int(0))), 2, Some(3)),
        timed(2, KnossosRegisterOp::Read(Some(int(7))), 4, Some(5)),
    ]);
    assert_eq!(late.verdict, Verdict::Valid);
    let never = check_one(vec![
        open_write,
        timed(1, KnossosRegisterOp::Read(Some(int(0))), 2, Some(3)),
    ]);
    assert_eq!(never.verdict, Verdict::Valid);
}

#[test]
fn failed_cas_observed_another_value() {
    let cas = |succeeded| {
        KnossosRegisterOp::Cas(Cas {
            from: int(0),
            to: int(1),
            succeeded,
        })
    };
    assert_eq!(
        check_one(vec![timed(0, cas(Some(false)), 0, Some(1))]).verdict,
        Verdict::Invalid
    );
    assert_eq!(
        check_one(vec![timed(0, cas(Some(true)), 0, Some(1))]).verdict,
        Verdict::Valid
    );
}

#[test]
fn a_spent_budget_is_unknown() {
    // Forty concurrent writes, then reads of 5, 6 and 5 again in sequence: impossible, but only
    // after trying a great many subsets of the writes, far more than a zero budget allows.
    let mut ops: Vec<_> = (0..40)
        .map(|index| {
            timed(
                index,
                KnossosRegisterOp::Write(int(index as i64)),
                0,
                Some(100),
            )
        })
        .collect();
    ops.push(timed(
        100,
        KnossosRegisterOp::Read(Some(int(5))),
        200,
        Some(201),
    ));
    ops.push(timed(
        101,
        KnossosRegisterOp::Read(Some(int(6))),
        202,
        Some(203),
    ));
    ops.push(timed(
        102,
        KnossosRegisterOp::Read(Some(int(5))),
        204,
        Some(205),
    ));
    let partition = Partition {
        label: "the register".to_string(),
        ops,
    };
    let budget = Budget {
        time: Some(std::time::Duration::ZERO),
        memory: None,
    };
    let result = check(
        &KnossosRegister { with_cas: true },
        vec![partition],
        &int(0),
        &budget,
    );
    assert_eq!(result.verdict, Verdict::Unknown);
    assert!(result.unknown_reason.is_some());
}

#[test]
fn a_budget_spent_from_the_start_searches_nothing() {
    // An easy history: the search would finish in its first slice, but the budget is looked at
    // before it, so zero time or zero memory answers unknown without searching.
    let easy = || {
        vec![Partition {
            label: "the register".to_string(),
            ops: vec![
                timed(0, KnossosRegisterOp::Write(int(1)), 0, Some(1)),
                timed(1, KnossosRegisterOp::Read(Some(int(1))), 2, Some(3)),
            ],
        }]
    };
    let model = KnossosRegister { with_cas: true };
    for budget in [
        Budget {
            time: Some(std::time::Duration::ZERO),
            memory: None,
        },
        Budget {
            time: None,
            memory: Some(0),
        },
    ] {
        let result = check(&model, easy(), &int(0), &budget);
        assert_eq!(result.verdict, Verdict::Unknown, "{budget:?}");
        assert_eq!(result.configurations, 0);
        assert_eq!(result.partitions_unfinished, ["the register"]);
    }
    let reason = check(
        &model,
        easy(),
        &int(0),
        &Budget {
            time: None,
            memory: Some(0),
        },
    )
    .unknown_reason
    .unwrap_or_default();
    assert!(
        reason.starts_with("the memory budget of 0.0 MiB was spent"),
        "{reason}"
    );
    assert_eq!(
        check(&model, easy(), &int(0), &Budget::unlimited()).verdict,
        Verdict::Valid
    );
}

#[test]
fn register_entry_point_treats_equal_times_as_concurrent() {
    let ops = [
        timed(0, RegisterAction::Write("a".into()), 0, Some(5)),
        timed(1, RegisterAction::Read(None), 5, Some(9)),
    ];
    assert_eq!(
        check_register(&ops, None, &Budget::unlimited()).verdict,
        Verdict::Valid
    );
}

#[test]
fn a_hard_partition_does_not_hide_an_easy_violation() {
    // The first partition would take astronomically long (forty concurrent writes, then reads
    // that no order explains); the second fails at once. Round-robin slices find the second.
    let mut hard: Vec<_> = (0..40)
        .map(|index| {
            timed(
                index,
                KnossosRegisterOp::Write(int(index as i64)),
                0,
                Some(100),
            )
        })
        .collect();
    hard.push(timed(
        100,
        KnossosRegisterOp::Read(Some(int(5))),
        200,
        Some(201),
    ));
    hard.push(timed(
        101,
        KnossosRegisterOp::Read(Some(int(6))),
        202,
        Some(203),
    ));
    hard.push(timed(
        102,
        KnossosRegisterOp::Read(Some(int(5))),
        204,
        Some(205),
    ));
    let easy = vec![
        timed(0, KnossosRegisterOp::Write(int(1)), 0, Some(1)),
        timed(1, KnossosRegisterOp::Read(Some(int(2))), 2, Some(3)),
    ];
    let partitions = vec![
        Partition {
            label: "hard".to_string(),
            ops: hard,
        },
        Partition {
            label: "easy".to_string(),
            ops: easy,
        },
    ];
    let result = check(
        &KnossosRegister { with_cas: true },
        partitions,
        &int(0),
        &Budget::unlimited(),
    );
    assert_eq!(result.verdict, Verdict::Invalid);
    assert_eq!(
        result
            .counterexample
            .map(|counterexample| counterexample.partition),
        Some("easy".to_string())
    );
}

/// Descriptions are written at their exact size (`exact`), part by part; the words are the ones
/// `format!` and `join` made before.
#[test]
fn descriptions_keep_their_words() {
    use super::import::edn::read_value;
    use super::specs::{Etcd, EtcdOp, Kv, KvOp, MicroOp, MultiRegister, Mvr, MvrOp};
    use std::sync::Arc;

    let edn = |text: &str| read_value(text).expect("an EDN value");
    let register = KnossosRegister { with_cas: true };
    assert_eq!(
        register.describe_op(&KnossosRegisterOp::Read(None)),
        "read (result unknown)"
    );
    assert_eq!(
        register.describe_op(&KnossosRegisterOp::Read(Some(edn("\"a\\\"b\"")))),
        r#"read "a\"b""#
    );
    assert_eq!(
        register.describe_op(&KnossosRegisterOp::Write(edn("[1 :x]"))),
        "write [1 :x]"
    );
    assert_eq!(
        register.describe_op(&KnossosRegisterOp::Cas(Cas {
            from: int(1),
            to: int(2),
            succeeded: Some(true)
        })),
        "cas 1 → 2 (succeeded)"
    );
    assert_eq!(
        register.describe_state(&edn("\"x\"")),
        r#"the register holds "x""#
    );

    assert_eq!(Etcd.describe_op(&EtcdOp::Read(Some(None))), "read nothing");
    assert_eq!(
        Etcd.describe_op(&EtcdOp::Read(Some(Some(int(1))))),
        "read 1"
    );
    assert_eq!(
        Etcd.describe_op(&EtcdOp::Cas(Cas {
            from: None,
            to: Some(int(2)),
            succeeded: None
        })),
        "cas nothing → 2 (outcome unknown)"
    );
    assert_eq!(Etcd.describe_state(&None), "the register is absent");
    assert_eq!(Etcd.describe_state(&Some(int(4))), "the register holds 4");

    let txn = vec![
        MicroOp::Read(edn(":x"), None),
        MicroOp::Read(edn(":x"), Some(int(1))),
        MicroOp::Write(edn(":y"), edn("\"s\"")),
    ];
    assert_eq!(
        MultiRegister.describe_op(&txn),
        r#"txn [read :x (unknown), read :x = 1, write :y = "s"]"#
    );
    assert_eq!(MultiRegister.describe_op(&Vec::new()), "txn []");
    let state = [(edn(":x"), int(1)), (edn(":y"), int(2))]
        .into_iter()
        .collect();
    assert_eq!(
        MultiRegister.describe_state(&state),
        "the registers hold {:x = 1, :y = 2}"
    );
    assert_eq!(
        MultiRegister.describe_state(&Default::default()),
        "the registers hold {}"
    );

    let text = |value: &str| Arc::new(value.to_string());
    assert_eq!(Kv.describe_op(&KvOp::Get(None)), "get (result unknown)");
    assert_eq!(
        Kv.describe_op(&KvOp::Get(Some(text("a\"b")))),
        r#"get → "a\"b""#
    );
    assert_eq!(Kv.describe_op(&KvOp::Put(text("p"))), r#"put "p""#);
    assert_eq!(Kv.describe_op(&KvOp::Append(text("q"))), r#"append "q""#);
    assert_eq!(Kv.describe_state(&text("pq")), r#"the key holds "pq""#);

    assert_eq!(
        Mvr.describe_op(&MvrOp::Get(Some([int(2), int(1)].into_iter().collect()))),
        "get → {1, 2}"
    );
    assert_eq!(
        Mvr.describe_op(&MvrOp::Put {
            value: int(3),
            context: Vec::new()
        }),
        "blind put 3"
    );
    assert_eq!(
        Mvr.describe_op(&MvrOp::Put {
            value: int(3),
            context: vec![int(2), int(1), int(2)]
        }),
        "put 3 over {1, 2}"
    );
    assert_eq!(
        Mvr.describe_state(&Default::default()),
        "the siblings are {}"
    );
}

/// The states a counterexample's prefix passes through, one per operation in the prefix's order,
/// as the timeline writes them; the walk stops at a step the model refuses, and an operation the
/// model cannot read is the error `check` would give.
#[test]
fn states_along_a_prefix_follow_the_model() {
    use super::external::{self, SpecName};
    use super::import::{import, Format};
    let text = "[{:type :invoke, :f :write, :value 1, :process 0}
                 {:type :ok, :f :write, :value 1, :process 0}
                 {:type :invoke, :f :cas, :value [1 2], :process 1}
                 {:type :ok, :f :cas, :value [1 2], :process 1}
                 {:type :invoke, :f :read, :value nil, :process 0}
                 {:type :ok, :f :read, :value 1, :process 0}]";
    let history = import(text.as_bytes(), Format::Edn).unwrap();
    let result =
        external::check(&history, SpecName::CasRegister, None, &Budget::unlimited()).unwrap();
    let counterexample = result
        .counterexample
        .expect("the read of 1 after the cas to 2");
    let order: Vec<u64> = counterexample.prefix.iter().map(|op| op.id).collect();
    assert_eq!(order, [0, 1]);
    let states = external::states_along(&history, SpecName::CasRegister, None, &order).unwrap();
    assert_eq!(states, ["the register holds 1", "the register holds 2"]);
    assert_eq!(counterexample.state, states[1]);
    // The read of 1 after the cas to 2 is refused: the walk stops before it.
    let stopped =
        external::states_along(&history, SpecName::CasRegister, None, &[0, 1, 2]).unwrap();
    assert_eq!(stopped.len(), 2, "{stopped:?}");
    // The mutex model cannot read a write: the error names its line.
    let error = external::states_along(&history, SpecName::Mutex, None, &[0]).unwrap_err();
    assert_eq!(error.line, 1, "{error}");
}

fn kv_text(text: &str) -> std::sync::Arc<String> {
    std::sync::Arc::new(text.to_string())
}

#[test]
fn kv_strings_no_get_can_read_are_unobservable() {
    use super::specs::{Kv, KvOp};
    let ops = [
        KvOp::Get(Some(kv_text("ab"))),
        KvOp::Get(Some(kv_text("c"))),
        KvOp::Get(None),
        KvOp::Append(kv_text("zz")),
        KvOp::Put(kv_text("b")),
    ];
    let reads = Kv.observations(&mut ops.iter());
    let unobservable = |text: &str| Kv.is_unobservable(&reads, &kv_text(text));
    // A prefix of a value read (the empty string too) can still be read after some appends.
    for observable in ["", "a", "ab", "c"] {
        assert!(!unobservable(observable), "{observable:?}");
    }
    // "b" is put but never read: nothing that starts with it is read either.
    for hidden in ["abc", "b", "ba", "ca", "zz", "d"] {
        assert!(unobservable(hidden), "{hidden:?}");
    }
    // Without a get, every string is.
    let reads = Kv.observations(&mut ops[3..].iter());
    assert!(Kv.is_unobservable(&reads, &kv_text("")));
}

#[test]
fn kv_counterexample_names_the_true_unobservable_state() {
    use super::specs::{Kv, KvOp};
    // Two appends nobody reads, a put of "c", an append of "z", then a get of "cw" while "w" is
    // appended: the search keeps one unobservable state for "x", "xy" and "cz", but the
    // counterexample must show the string its prefix really leads to.
    let ops = vec![
        timed(0, KvOp::Append(kv_text("x")), 0, Some(1)),
        timed(1, KvOp::Append(kv_text("y")), 2, Some(3)),
        timed(2, KvOp::Put(kv_text("c")), 4, Some(5)),
        timed(3, KvOp::Append(kv_text("z")), 6, Some(7)),
        timed(4, KvOp::Append(kv_text("w")), 8, Some(12)),
        timed(5, KvOp::Get(Some(kv_text("cw"))), 9, Some(10)),
    ];
    let partition = Partition {
        label: "key".to_string(),
        ops,
    };
    let result = check(&Kv, vec![partition], &kv_text(""), &Budget::unlimited());
    assert_eq!(result.verdict, Verdict::Invalid);
    let counterexample = result.counterexample.expect("a counterexample");
    let prefix: Vec<u64> = counterexample.prefix.iter().map(|op| op.id).collect();
    assert_eq!(prefix, [0, 1, 2, 3]);
    assert_eq!(counterexample.state, Kv.describe_state(&kv_text("cz")));
    assert_eq!(counterexample.blocked.id, 5);
}

#[test]
fn kv_hidden_operations_are_those_no_get_can_see() {
    use super::specs::{Kv, KvOp};
    let ops = [
        KvOp::Get(Some(kv_text("pab"))),
        KvOp::Get(Some(kv_text("q"))),
    ];
    let reads = Kv.observations(&mut ops.iter());
    let hidden = |op: KvOp| Kv.is_hidden(&reads, &op);
    // Read as a part of a get's string: not hidden.
    assert!(!hidden(KvOp::Append(kv_text("a"))));
    assert!(!hidden(KvOp::Append(kv_text("ab"))));
    assert!(!hidden(KvOp::Put(kv_text("pa"))));
    assert!(!hidden(KvOp::Put(kv_text("q"))));
    // An empty append changes nothing, so it is never hidden.
    assert!(!hidden(KvOp::Append(kv_text(""))));
    // A piece spanning two strings counts as read (it only hides less).
    assert!(!hidden(KvOp::Append(kv_text("b\nq"))));
    // Read nowhere: hidden.
    assert!(hidden(KvOp::Append(kv_text("z"))));
    assert!(hidden(KvOp::Append(kv_text("ba"))));
    assert!(hidden(KvOp::Put(kv_text("ab"))));
    assert!(!hidden(KvOp::Get(Some(kv_text("z")))));
}

#[test]
fn kv_get_needs_pieces_that_may_still_come_first() {
    use super::specs::{Kv, KvOp};
    let possible = |state: &str, wanted: &str, before: &[KvOp]| {
        Kv.could_become_legal(
            &kv_text(state),
            &KvOp::Get(Some(kv_text(wanted))),
            &mut before.iter(),
        )
    };
    let append = |text: &str| KvOp::Append(kv_text(text));
    let put = |text: &str| KvOp::Put(kv_text(text));
    assert!(possible("ab", "ab", &[]));
    assert!(possible("a", "abc", &[append("c"), append("b")]));
    // "b" is gone (linearized elsewhere): "abc" cannot be made.
    assert!(!possible("a", "abc", &[append("c")]));
    // The key's string is no prefix, but a put that may come first is.
    assert!(possible("zz", "pxy", &[append("xy"), put("p")]));
    assert!(!possible("zz", "pxy", &[append("x"), put("p")]));
    // Pieces overlap: "ab" then "c", or "a" then "bc".
    assert!(possible(
        "",
        "abc",
        &[append("a"), append("bc"), append("ab")]
    ));
    assert!(!possible(
        "",
        "abc",
        &[append("ab"), append("b"), append("bc")]
    ));
    // A get of an unknown result is always possible.
    assert!(Kv.could_become_legal(&kv_text("q"), &KvOp::Get(None), &mut [].iter()));
}
