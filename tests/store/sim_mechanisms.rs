//! One deterministic scenario per mechanism of the reference store, each asserting the
//! mechanism's effect in the final replica snapshots or the history, next to the same scenario
//! with the mechanism off (so that the assertion is known to depend on it).

use quorate::config::{Config, Durability, ReadRepair, Reaping};
use quorate::history::{Action, History, Key, OpKind, Outcome};
use quorate::sim::{
    self, ClientOp, ClientOpKind, ClientProgram, Direction, Fault, FaultKind, Latency, Scenario,
};
use quorate::store::Dynamo;

const KEY: &str = "k";

fn op(kind: ClientOpKind, coordinator: u32, delay_ms: u64) -> ClientOp {
    ClientOp {
        key: KEY.into(),
        kind,
        delay_ms,
        coordinator: Some(coordinator),
    }
}

fn client(time_ms_start: u64, ops: Vec<ClientOp>) -> ClientProgram {
    ClientProgram {
        time_ms_start,
        think_ms: 0,
        ops,
    }
}

fn fault(time_ms_start: u64, time_ms_end: Option<u64>, kind: FaultKind) -> Fault {
    Fault {
        time_ms_start,
        time_ms_end,
        kind,
    }
}

/// The nodes `KEY` tries, in order: home nodes first, then fallbacks.
fn preference(config: &Config) -> Vec<u32> {
    let store = Dynamo::new(config.clone()).unwrap();
    store
        .preference_list(&Key(KEY.into()))
        .into_iter()
        .map(|node| node.0)
        .collect()
}

fn cut_off(nodes: Vec<u32>, time_ms_start: u64, time_ms_end: Option<u64>) -> Fault {
    fault(
        time_ms_start,
        time_ms_end,
        FaultKind::Partition {
            nodes,
            clients: Vec::new(),
            direction: Direction::Both,
        },
    )
}

fn run(config: Config, clients: Vec<ClientProgram>, faults: Vec<Fault>) -> History {
    let mut scenario = Scenario::new(config, 42, clients);
    scenario.network.latency = Latency::Constant { latency_ms: 5 };
    scenario.faults = faults;
    let history = sim::run(&scenario).unwrap().history;
    history.validate().unwrap();
    let run = history.run.as_ref().unwrap();
    assert_eq!(run.bound_hit, None, "{run:?}");
    assert!(run.quiescent, "{run:?}");
    // The same scenario gives the same bytes.
    assert_eq!(
        history.to_json(),
        sim::run(&scenario).unwrap().history.to_json()
    );
    history
}

/// The values (not tombstones) `node` holds for `KEY` at the end.
fn held(history: &History, node: u32) -> Vec<String> {
    let snapshot = history
        .replicas
        .as_ref()
        .unwrap()
        .iter()
        .find(|snapshot| snapshot.key.0 == KEY && snapshot.node.0 == node)
        .unwrap_or_else(|| panic!("no snapshot of n{node}"));
    snapshot
        .values
        .iter()
        .map(|value| value.0.to_string())
        .collect()
}

fn tombstones(history: &History, node: u32) -> Vec<String> {
    let snapshot = history
        .replicas
        .as_ref()
        .unwrap()
        .iter()
        .find(|snapshot| snapshot.key.0 == KEY && snapshot.node.0 == node)
        .unwrap();
    snapshot
        .tombstones
        .iter()
        .map(|value| value.0.to_string())
        .collect()
}

fn outcomes(history: &History, kind: OpKind) -> Vec<Outcome> {
    history
        .operations
        .iter()
        .filter(|op| op.kind() == kind)
        .map(|op| op.outcome)
        .collect()
}

fn quiet_config() -> Config {
    Config {
        anti_entropy_period_ms: None,
        read_repair: ReadRepair::Off,
        ..Config::preset("dynamo").unwrap()
    }
}

#[test]
fn read_repair_heals_a_stale_replica() {
    let check = |read_repair: ReadRepair, stale_gets_value: bool| {
        let config = Config {
            read_repair,
            ..quiet_config()
        };
        let home = preference(&config);
        // The third home node misses the put, then a get through the first sees it stale.
        let history = run(
            config,
            vec![client(
                0,
                vec![op(ClientOpKind::Put, 0, 0), op(ClientOpKind::Get, 0, 200)],
            )],
            vec![cut_off(vec![home[2]], 0, Some(100))],
        );
        assert_eq!(outcomes(&history, OpKind::Put), [Outcome::Ok]);
        assert_eq!(held(&history, home[0]), ["c0.0"]);
        let expected: &[&str] = if stale_gets_value { &["c0.0"] } else { &[] };
        assert_eq!(held(&history, home[2]), expected, "{read_repair:?}");
    };
    check(ReadRepair::Async, true);
    check(ReadRepair::Blocking, true);
    check(ReadRepair::Off, false);
}

#[test]
fn anti_entropy_converges_replicas_with_no_reads() {
    let check = |anti_entropy_period_ms: Option<u64>, converges: bool| {
        let config = Config {
            anti_entropy_period_ms,
            ..quiet_config()
        };
        let home = preference(&config);
        let history = run(
            config,
            vec![client(0, vec![op(ClientOpKind::Put, 0, 0)])],
            vec![cut_off(vec![home[2]], 0, Some(100))],
        );
        assert!(outcomes(&history, OpKind::Get).is_empty());
        let expected: &[&str] = if converges { &["c0.0"] } else { &[] };
        assert_eq!(held(&history, home[2]), expected);
    };
    check(Some(500), true);
    check(None, false);
}

#[test]
fn hinted_handoff_delivers_after_a_partition_heals() {
    let check = |hinted_handoff: bool| {
        let config = Config {
            hinted_handoff,
            ..quiet_config()
        };
        let home = preference(&config);
        // The partition lasts until the workload ends, long after the put.
        let history = run(
            config,
            vec![client(
                0,
                vec![op(ClientOpKind::Put, 0, 0), op(ClientOpKind::Get, 1, 1_000)],
            )],
            vec![cut_off(vec![home[2]], 0, None)],
        );
        assert_eq!(outcomes(&history, OpKind::Put), [Outcome::Ok]);
        // The partition lasted to the end of the workload, so its record has no end.
        assert_eq!(history.faults[0].time_ms_end, None);
        let expected: &[&str] = if hinted_handoff { &["c0.0"] } else { &[] };
        assert_eq!(held(&history, home[2]), expected);
        // A fallback is not a home node: the hint is gone from the snapshots.
        assert!(history
            .replicas
            .as_ref()
            .unwrap()
            .iter()
            .all(|snapshot| home[..3].contains(&snapshot.node.0)));
    };
    check(true);
    check(false);
}

#[test]
fn sloppy_quorum_write_succeeds_while_home_nodes_are_cut_off() {
    let check = |sloppy_quorum: bool, expected: Outcome| {
        let config = Config {
            hinted_handoff: true,
            sloppy_quorum,
            ..quiet_config()
        };
        let home = preference(&config);
        let history = run(
            config,
            vec![client(0, vec![op(ClientOpKind::Put, 0, 0)])],
            vec![cut_off(vec![home[1], home[2]], 0, None)],
        );
        assert_eq!(
            outcomes(&history, OpKind::Put),
            [expected],
            "sloppy {sloppy_quorum}"
        );
        // Either way the hints reach the home nodes after the heal (no rollback).
        for node in &home[..3] {
            assert_eq!(held(&history, *node), ["c0.0"]);
        }
    };
    check(true, Outcome::Ok);
    check(false, Outcome::Fail);
}

#[test]
fn concurrent_writes_become_siblings_and_a_merged_context_resolves_them() {
    let config = quiet_config();
    let home = preference(&config);
    let history = run(
        config,
        vec![
            client(
                0,
                vec![
                    op(ClientOpKind::Put, 0, 0),
                    op(ClientOpKind::ReadModifyWrite, 0, 100),
                ],
            ),
            client(0, vec![op(ClientOpKind::Put, 1, 0)]),
        ],
        Vec::new(),
    );
    let get = history
        .operations
        .iter()
        .find(|op| op.kind() == OpKind::Get)
        .unwrap();
    let Action::Get { values, .. } = &get.action else {
        unreachable!()
    };
    let mut read: Vec<&str> = values.iter().map(|read| read.value.0.as_str()).collect();
    read.sort();
    assert_eq!(read, ["c0.0", "c1.0"], "both blind puts are siblings");
    let resolve = history.operations.last().unwrap();
    let Action::Put(write) = &resolve.action else {
        unreachable!()
    };
    assert_eq!(write.value.0, "c0.1");
    assert_eq!(write.context.len(), 2);
    assert_eq!(resolve.outcome, Outcome::Ok);
    for node in &home[..3] {
        assert_eq!(held(&history, *node), ["c0.1"], "n{node}");
    }
}

#[test]
fn lww_with_a_skewed_clock_drops_a_later_write() {
    let config = Config {
        anti_entropy_period_ms: Some(500),
        ..Config::preset("lww").unwrap()
    };
    let home = preference(&config);
    let skew = fault(
        0,
        None,
        FaultKind::ClockSkew {
            node: home[0],
            skew_ms: -1_000,
        },
    );
    let history = run(
        config,
        vec![client(
            0,
            vec![op(ClientOpKind::Put, 1, 0), op(ClientOpKind::Put, 0, 300)],
        )],
        vec![skew],
    );
    assert_eq!(outcomes(&history, OpKind::Put), [Outcome::Ok, Outcome::Ok]);
    let stamps: Vec<u64> = history
        .operations
        .iter()
        .map(|op| op.meta.as_ref().unwrap().timestamp.unwrap())
        .collect();
    assert!(stamps[1] < stamps[0], "{stamps:?}");
    for node in &home[..3] {
        assert_eq!(
            held(&history, *node),
            ["c0.0"],
            "the later put c0.1 is lost"
        );
    }
}

#[test]
fn volatile_crash_loses_unsynced_data() {
    let check = |durability: Durability, survives: bool| {
        let config = Config {
            nodes: 1,
            n: 1,
            r: 1,
            w: 1,
            durability,
            ..quiet_config()
        };
        // Synced every 100 ms: the crash at 20 ms comes before the first sync.
        let crash = fault(20, Some(50), FaultKind::Crash { node: 0 });
        let history = run(
            config,
            vec![client(
                0,
                vec![op(ClientOpKind::Put, 0, 0), op(ClientOpKind::Put, 0, 100)],
            )],
            vec![crash],
        );
        assert_eq!(outcomes(&history, OpKind::Put), [Outcome::Ok, Outcome::Ok]);
        assert_eq!(history.faults[0].loses_data, !survives);
        let expected: &[&str] = if survives {
            &["c0.0", "c0.1"]
        } else {
            &["c0.1"]
        };
        let mut values = held(&history, 0);
        values.sort();
        assert_eq!(values, expected);
        // After losing state, the node mints dots as a new actor, never reusing a dot.
        let dots: Vec<u32> = history
            .operations
            .iter()
            .map(|op| op.meta.as_ref().unwrap().dot.unwrap().node.0)
            .collect();
        assert_eq!(dots, if survives { [0, 0] } else { [0, 1_000] });
    };
    check(Durability::Volatile, false);
    check(Durability::Durable, true);
}

#[test]
fn tombstone_reaped_early_resurrects_a_value() {
    let check = |reaping: Reaping| {
        let config = Config {
            reaping,
            anti_entropy_period_ms: Some(500),
            ..quiet_config()
        };
        let home = preference(&config);
        // Everyone holds c0.0; then the third home node misses the delete.
        let history = run(
            config,
            vec![client(
                0,
                vec![
                    op(ClientOpKind::Put, 0, 0),
                    op(ClientOpKind::Delete, 0, 150),
                ],
            )],
            vec![cut_off(vec![home[2]], 100, None)],
        );
        assert_eq!(outcomes(&history, OpKind::Delete), [Outcome::Ok]);
        (0..3)
            .map(|i| (held(&history, home[i]), tombstones(&history, home[i])))
            .collect::<Vec<_>>()
    };
    let none: Vec<String> = Vec::new();
    let value = vec!["c0.0".to_string()];
    let tombstone = vec!["c0.1".to_string()];
    // Reaped at once: the stale replica's value comes back everywhere through anti-entropy.
    assert_eq!(check(Reaping::Immediate), vec![(value, none.clone()); 3]);
    // Kept: the tombstone wins everywhere.
    assert_eq!(check(Reaping::Keep), vec![(none.clone(), tombstone); 3]);
    // Reaped only once all primaries hold it: nothing comes back.
    assert_eq!(check(Reaping::AfterMs(50)), vec![(none.clone(), none); 3]);
}

#[test]
fn hints_survive_a_durable_restart_of_the_fallback_but_not_a_volatile_one() {
    let check = |durability: Durability, delivered: bool| {
        let config = Config {
            hinted_handoff: true,
            durability,
            ..quiet_config()
        };
        let list = preference(&config);
        // The third home node is cut off; its hint goes to the first fallback (handoff after
        // 50 ms), which crashes at 70 ms, before its first sync at 100 ms.
        let history = run(
            config,
            vec![client(
                0,
                vec![op(ClientOpKind::Put, 0, 0), op(ClientOpKind::Get, 1, 1_000)],
            )],
            vec![
                cut_off(vec![list[2]], 0, None),
                fault(70, Some(200), FaultKind::Crash { node: list[3] }),
            ],
        );
        assert_eq!(outcomes(&history, OpKind::Put), [Outcome::Ok]);
        assert_eq!(history.faults[1].loses_data, !delivered);
        let expected: &[&str] = if delivered { &["c0.0"] } else { &[] };
        assert_eq!(held(&history, list[2]), expected, "{durability:?}");
    };
    check(Durability::Durable, true);
    check(Durability::Volatile, false);
}
