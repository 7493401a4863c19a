//! The simulator's faults, each asserted by its effect on a tiny scenario against the reference
//! store with every repair mechanism off (so that only the fault explains what happens).

use quorate::config::{Config, ReadRepair};
use quorate::history::{FaultType, History, Key, OpKind, Outcome};
use quorate::sim::{
    self, ClientOp, ClientOpKind, ClientProgram, Direction, Fault, FaultKind, Latency, Scenario,
};
use quorate::store::Dynamo;

const KEY: &str = "k";

fn config() -> Config {
    Config {
        anti_entropy_period_ms: None,
        read_repair: ReadRepair::Off,
        ..Config::preset("dynamo").unwrap()
    }
}

fn home(config: &Config) -> Vec<u32> {
    Dynamo::new(config.clone())
        .unwrap()
        .preference_list(&Key(KEY.into()))
        .into_iter()
        .map(|node| node.0)
        .collect()
}

fn put_then_wait(config: Config, faults: Vec<Fault>, latency: Latency) -> History {
    let op = |kind, delay_ms| ClientOp {
        key: KEY.into(),
        kind,
        delay_ms,
        coordinator: Some(0),
    };
    let client = ClientProgram {
        time_ms_start: 0,
        think_ms: 0,
        // The get only keeps the workload (and so the faults) going until 1 s.
        ops: vec![op(ClientOpKind::Put, 0), op(ClientOpKind::Get, 1_000)],
    };
    let mut scenario = Scenario::new(config, 3, vec![client]);
    scenario.network.latency = latency;
    scenario.faults = faults;
    let history = sim::run(&scenario).unwrap().history;
    history.validate().unwrap();
    assert_eq!(history.run.as_ref().unwrap().bound_hit, None);
    history
}

fn held(history: &History, node: u32) -> bool {
    history
        .replicas
        .as_ref()
        .unwrap()
        .iter()
        .any(|snapshot| snapshot.node.0 == node && !snapshot.values.is_empty())
}

fn node_fault(node: u32, kind: fn(u32) -> FaultKind) -> Fault {
    Fault {
        time_ms_start: 0,
        time_ms_end: Some(500),
        kind: kind(node),
    }
}

const FIVE_MS: Latency = Latency::Constant { latency_ms: 5 };

#[test]
fn a_paused_node_handles_its_messages_later_but_a_crashed_one_loses_them() {
    let config = config();
    let third = home(&config)[2];
    let paused = put_then_wait(
        config.clone(),
        vec![node_fault(third, |node| FaultKind::Pause { node })],
        FIVE_MS,
    );
    assert!(held(&paused, third));
    let crashed = put_then_wait(
        config,
        vec![node_fault(third, |node| FaultKind::Crash { node })],
        FIVE_MS,
    );
    assert!(!held(&crashed, third));
    assert_eq!(crashed.faults[0].kind, quorate::history::FaultType::Crash);
    assert!(!crashed.faults[0].loses_data, "durable");
}

#[test]
fn one_way_partitions_cut_one_direction() {
    let config = Config { w: 3, ..config() };
    let third = home(&config)[2];
    let one_way = |direction| Fault {
        time_ms_start: 0,
        time_ms_end: None,
        kind: FaultKind::Partition {
            nodes: vec![third],
            clients: Vec::new(),
            direction,
        },
    };
    // Nothing reaches the third replica: it never stores the write, which cannot get 3 acks.
    let inbound = put_then_wait(config.clone(), vec![one_way(Direction::Inbound)], FIVE_MS);
    assert!(!held(&inbound, third));
    assert_eq!(inbound.operations[0].outcome, Outcome::Fail);
    // Nothing leaves it: it stores the write, but its acknowledgement is lost.
    let outbound = put_then_wait(config, vec![one_way(Direction::Outbound)], FIVE_MS);
    assert!(held(&outbound, third));
    assert_eq!(outbound.operations[0].outcome, Outcome::Fail);
    assert_eq!(outbound.faults[0].kind, quorate::history::FaultType::OneWay);
}

#[test]
fn a_client_cut_off_from_the_nodes_gets_no_answers() {
    let cut = Fault {
        time_ms_start: 0,
        time_ms_end: None,
        kind: FaultKind::Partition {
            nodes: Vec::new(),
            clients: vec![0],
            direction: Direction::Both,
        },
    };
    let history = put_then_wait(config(), vec![cut], FIVE_MS);
    let outcomes: Vec<Outcome> = history.operations.iter().map(|op| op.outcome).collect();
    assert_eq!(outcomes, [Outcome::Info, Outcome::Info]);
    // The client gave up after its timeout, which ends its turn.
    let put = &history.operations[0];
    assert_eq!(put.time_ms_complete, Some(config().client_timeout_ms));
    assert!(history
        .replicas
        .unwrap()
        .iter()
        .all(|s| s.values.is_empty()));
}

#[test]
fn total_loss_fails_writes_and_every_latency_distribution_runs() {
    let loss = Fault {
        time_ms_start: 0,
        time_ms_end: None,
        kind: FaultKind::Loss {
            per_million: 1_000_000,
        },
    };
    let history = put_then_wait(config(), vec![loss], FIVE_MS);
    assert_eq!(history.operations[0].outcome, Outcome::Info);
    for latency in [
        Latency::Constant { latency_ms: 0 },
        Latency::Uniform {
            latency_ms_min: 1,
            latency_ms_max: 50,
        },
        Latency::Exponential {
            latency_ms_mean: 20,
        },
        Latency::Table {
            latency_ms: vec![1, 1, 1, 2, 3, 40],
        },
    ] {
        let history = put_then_wait(config(), Vec::new(), latency.clone());
        let put = &history.operations[0];
        assert_eq!(put.kind(), OpKind::Put);
        assert_eq!(put.outcome, Outcome::Ok, "{latency:?}");
    }
}

#[test]
fn duplicated_messages_are_applied_once() {
    let duplicate = Fault {
        time_ms_start: 0,
        time_ms_end: None,
        kind: FaultKind::Duplicate {
            per_million: 1_000_000,
        },
    };
    let config = config();
    let history = put_then_wait(config.clone(), vec![duplicate], FIVE_MS);
    assert_eq!(history.operations[0].outcome, Outcome::Ok);
    for node in &home(&config)[..3] {
        let snapshot = history
            .replicas
            .as_ref()
            .unwrap()
            .iter()
            .find(|snapshot| snapshot.node.0 == *node)
            .unwrap();
        assert_eq!(snapshot.values.len(), 1);
    }
}

#[test]
fn a_delay_makes_a_put_time_out_and_is_recorded() {
    let delay = |factor| Fault {
        time_ms_start: 0,
        time_ms_end: None,
        kind: FaultKind::Delay { factor },
    };
    // 5 ms × 60 per hop: the client's 500 ms run out before the coordinator hears back.
    let history = put_then_wait(config(), vec![delay(60)], FIVE_MS);
    assert_eq!(history.operations[0].outcome, Outcome::Info);
    assert_eq!(history.faults[0].kind, FaultType::Delay);
    assert!(
        history.faults[0].description.contains("60 times"),
        "{:?}",
        history.faults[0]
    );
    // A factor of 1 changes nothing.
    let calm = put_then_wait(config(), vec![delay(1)], FIVE_MS);
    let plain = put_then_wait(config(), Vec::new(), FIVE_MS);
    assert_eq!(calm.operations, plain.operations);
}

#[test]
fn a_reorder_adds_jitter_to_every_message_and_is_recorded() {
    let reorder = Fault {
        time_ms_start: 0,
        time_ms_end: None,
        kind: FaultKind::Reorder { jitter_ms: 40 },
    };
    let history = put_then_wait(config(), vec![reorder], FIVE_MS);
    let put = &history.operations[0];
    assert_eq!(put.outcome, Outcome::Ok);
    // Four hops of 5 ms each without the fault.
    let took = put.time_ms_complete.unwrap() - put.time_ms_invoke;
    assert!(took > 20, "{took} ms");
    assert_eq!(history.faults[0].kind, FaultType::Reorder);
    let mut wrong = Scenario::new(config(), 3, Vec::new());
    wrong.faults = vec![Fault {
        time_ms_start: 0,
        time_ms_end: None,
        kind: FaultKind::Delay { factor: 0 },
    }];
    let error = wrong.validate().unwrap_err().to_string();
    assert!(error.contains("fault 0: factor = 0"), "{error}");
}
