//! Every generated scenario comes from here: the property tests' shapes (a proptest
//! [`Strategy`], a quickcheck [`quickcheck::Arbitrary`] with `shrink`, an
//! [`arbitrary::Arbitrary`], and [`from_unstructured`], which explore, the fuzz targets and the
//! zoo feed with seeded bytes), and the seeded fixed-size [`workload`] behind `quorate sim --seed`
//! (docs/DESIGN.md §5). Faults are named by the one vocabulary, [`crate::history::FaultType`], and
//! built by one function whatever the shape.
//!
//! It owns the shape of random workloads: which presets, how many nodes, clients, operations and
//! keys, which fault kinds and how often. Key spaces are small so that clients contend. Every
//! generated scenario carries its seed, so it replays byte for byte through `quorate sim
//! --scenario`. Shrinking (proptest's, quickcheck's, and [`smaller`] for the minimizer) goes
//! toward fewer operations, fewer faults, fewer clients and fewer nodes.
//!
//! What it must never do: run the simulator or the checker (that is [`crate::testing`]'s job), or
//! produce a scenario that fails [`Scenario::validate`].
//!
//! ```
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//! use quorate::gen::{scenarios, GenOptions};
//!
//! let mut runner = TestRunner::deterministic();
//! let scenario = scenarios(&GenOptions::preset("dynamo")).new_tree(&mut runner).unwrap().current();
//! scenario.validate().unwrap();
//! assert_eq!(scenario.config.n, 3);
//! ```

mod faults;
mod shrink;
mod workload;

use std::ops::RangeInclusive;

#[cfg(feature = "proptest")]
use proptest::prelude::*;

use crate::config::{Config, PRESETS};
use crate::history::FaultType;
#[cfg(any(feature = "proptest", feature = "arbitrary"))]
use crate::sim::{ClientOp, ClientOpKind, ClientProgram, Fault, Scenario};

#[cfg(any(feature = "proptest", feature = "arbitrary"))]
use faults::{fault_from_draw, FaultDraw};
pub use shrink::smaller;
pub use workload::{workload, WorkloadOptions};

/// What random scenarios look like. The defaults make small, contended, fault-heavy runs that
/// simulate in about a millisecond: 1–3 clients of 0–6 steps on 2 keys, up to 3 faults of any
/// kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenOptions {
    /// The configurations to draw from (the six presets by default).
    pub configs: Vec<Config>,
    /// The cluster size is drawn from `n ..= nodes_max` (at least the configuration's `n`).
    pub nodes_max: u32,
    /// How many clients a scenario has, drawn from this range.
    pub clients: RangeInclusive<usize>,
    /// How many steps each client runs, drawn per client from this range.
    pub ops_per_client: RangeInclusive<usize>,
    /// Keys are `k0`, `k1`, …: few, so that clients contend.
    pub keys: usize,
    /// The fault kinds to draw from; empty: no faults. By default
    /// [`FaultType::DRAWN_BY_DEFAULT`] (every kind but `delay` and `reorder`).
    pub fault_kinds: Vec<FaultType>,
    /// The most faults a scenario has.
    pub faults_max: usize,
    /// The highest message loss or duplication rate, in millionths.
    pub fault_rate_per_million_max: u32,
    /// The longest absolute clock skew, in milliseconds.
    pub skew_ms_max: i64,
    /// A quiet period between bursts: when the range is not `0..=0`, each client waits this
    /// long (drawn) before one of its steps, so background mechanisms (hints, anti-entropy,
    /// reaping) run alone. Drawn by [`from_unstructured`] only.
    pub quiet_ms: RangeInclusive<u64>,
    /// Whether every fault lasts until the end of the workload (the heal), instead of a drawn
    /// length. Applied by [`from_unstructured`] only.
    pub faults_outlast_workload: bool,
}

impl Default for GenOptions {
    fn default() -> GenOptions {
        GenOptions {
            configs: PRESETS
                .iter()
                .map(|name| Config::preset(name).expect("presets are valid"))
                .collect(),
            nodes_max: 5,
            clients: 1..=3,
            ops_per_client: 0..=6,
            keys: 2,
            fault_kinds: FaultType::DRAWN_BY_DEFAULT.to_vec(),
            faults_max: 3,
            fault_rate_per_million_max: 300_000,
            skew_ms_max: 1_000,
            quiet_ms: 0..=0,
            faults_outlast_workload: false,
        }
    }
}

impl GenOptions {
    /// The defaults, for one preset. Panics on an unknown preset name (a test's typo).
    pub fn preset(name: &str) -> GenOptions {
        let config = Config::preset(name).unwrap_or_else(|error| panic!("{error}"));
        GenOptions::default().config(config)
    }

    /// The defaults, drawing from these presets. Panics on an unknown preset name.
    pub fn presets(names: &[&str]) -> GenOptions {
        let configs = names
            .iter()
            .map(|name| Config::preset(name).unwrap_or_else(|error| panic!("{error}")))
            .collect();
        GenOptions {
            configs,
            ..GenOptions::default()
        }
    }

    /// Only this configuration; the cluster keeps its own node count.
    pub fn config(self, config: Config) -> GenOptions {
        GenOptions {
            nodes_max: config.nodes,
            configs: vec![config],
            ..self
        }
    }

    /// Draw faults of these kinds only.
    pub fn faults(self, fault_kinds: &[FaultType]) -> GenOptions {
        GenOptions {
            fault_kinds: fault_kinds.to_vec(),
            ..self
        }
    }

    /// Draw no faults.
    pub fn no_faults(self) -> GenOptions {
        self.faults(&[])
    }

    /// Draw the client count from this range.
    pub fn clients(self, clients: RangeInclusive<usize>) -> GenOptions {
        GenOptions { clients, ..self }
    }

    /// Draw each client's step count from this range.
    pub fn ops_per_client(self, ops_per_client: RangeInclusive<usize>) -> GenOptions {
        GenOptions {
            ops_per_client,
            ..self
        }
    }

    /// Use this many keys (at least 1).
    pub fn keys(self, keys: usize) -> GenOptions {
        GenOptions {
            keys: keys.max(1),
            ..self
        }
    }

    /// Draw at most this many faults.
    pub fn faults_max(self, faults_max: usize) -> GenOptions {
        GenOptions { faults_max, ..self }
    }

    /// Draw a quiet period from this range (see the field).
    pub fn quiet_ms(self, quiet_ms: RangeInclusive<u64>) -> GenOptions {
        GenOptions { quiet_ms, ..self }
    }

    /// Every fault lasts until the end of the workload.
    pub fn faults_outlast_workload(self) -> GenOptions {
        GenOptions {
            faults_outlast_workload: true,
            ..self
        }
    }

    /// The expected span of the workload in simulated ms, over which faults are spread.
    #[cfg(any(feature = "proptest", feature = "arbitrary"))]
    fn span_ms(&self) -> u64 {
        let steps = *self.ops_per_client.end() as u64;
        (steps * 30).max(100)
    }
}

#[cfg(feature = "proptest")]
fn op_kind_strategy() -> impl Strategy<Value = ClientOpKind> {
    // Reads and read-modify-writes first: proptest shrinks a union toward its first arm.
    prop_oneof![
        4 => Just(ClientOpKind::Get),
        4 => Just(ClientOpKind::ReadModifyWrite),
        3 => Just(ClientOpKind::Put),
        1 => Just(ClientOpKind::Delete),
    ]
}

#[cfg(feature = "proptest")]
fn op_strategy(keys: usize) -> impl Strategy<Value = ClientOp> {
    (
        0..keys,
        op_kind_strategy(),
        prop_oneof![4 => Just(0u64), 1 => 1u64..40],
    )
        .prop_map(|(key, kind, delay_ms)| ClientOp {
            key: key_name(key),
            kind,
            delay_ms,
            coordinator: None,
        })
}

#[cfg(feature = "proptest")]
fn client_strategy(options: &GenOptions) -> impl Strategy<Value = ClientProgram> {
    let ops = proptest::collection::vec(
        op_strategy(options.keys.max(1)),
        options.ops_per_client.clone(),
    );
    (ops, 0u64..10, 0u64..20).prop_map(|(ops, time_ms_start, think_ms)| ClientProgram {
        time_ms_start,
        think_ms,
        ops,
    })
}

#[cfg(feature = "proptest")]
fn fault_strategy(options: &GenOptions) -> BoxedStrategy<FaultDraw> {
    if options.fault_kinds.is_empty() {
        // Never drawn: `scenarios` asks for no faults when there is no kind to draw.
        return Just(FaultDraw {
            choice: FaultType::Partition,
            time_ms_start: 0,
            duration_ms: 10,
            node: 0,
            group_size: 1,
            client: 0,
            inbound: false,
            skew_ms: 0,
            per_million: 1,
        })
        .boxed();
    }
    let span_ms = options.span_ms();
    let skew = options.skew_ms_max.max(1);
    let rate = options.fault_rate_per_million_max.clamp(1, 1_000_000);
    (
        proptest::sample::select(options.fault_kinds.clone()),
        0..span_ms,
        10..span_ms,
        any::<u32>(),
        1u32..3,
        any::<u32>(),
        any::<bool>(),
        -skew..=skew,
        1..=rate,
    )
        .prop_map(
            |(
                choice,
                time_ms_start,
                duration_ms,
                node,
                group_size,
                client,
                inbound,
                skew_ms,
                per_million,
            )| FaultDraw {
                choice,
                time_ms_start,
                duration_ms,
                node,
                group_size,
                client,
                inbound,
                skew_ms,
                per_million,
            },
        )
        .boxed()
}

/// The proptest strategy of scenarios these options describe.
#[cfg(feature = "proptest")]
pub fn scenarios(options: &GenOptions) -> BoxedStrategy<Scenario> {
    assert!(
        !options.configs.is_empty(),
        "GenOptions::configs is empty: there is no store to run"
    );
    let clients = proptest::collection::vec(client_strategy(options), options.clients.clone());
    let faults_max = if options.fault_kinds.is_empty() {
        0
    } else {
        options.faults_max
    };
    let faults = proptest::collection::vec(fault_strategy(options), 0..=faults_max);
    let configs = options.configs.clone();
    let nodes_max = options.nodes_max;
    (
        proptest::sample::select(configs),
        0u32..=nodes_max,
        clients,
        faults,
        any::<u64>(),
    )
        .prop_map(move |(config, extra_nodes, clients, faults, seed)| {
            assemble(config, extra_nodes, nodes_max, clients, &faults, seed)
        })
        .boxed()
}

/// The scenario from its draws: the cluster has between `n` and `nodes_max` nodes (at least `n`),
/// and faults name nodes and clients that exist.
#[cfg(any(feature = "proptest", feature = "arbitrary"))]
fn assemble(
    mut config: Config,
    extra_nodes: u32,
    nodes_max: u32,
    mut clients: Vec<ClientProgram>,
    faults: &[FaultDraw],
    seed: u64,
) -> Scenario {
    let nodes_max = nodes_max.max(config.n);
    config.nodes = (config.n + extra_nodes).min(nodes_max);
    if clients.is_empty() {
        clients.push(ClientProgram {
            time_ms_start: 0,
            think_ms: 0,
            ops: Vec::new(),
        });
    }
    let mut faults: Vec<Fault> = faults
        .iter()
        .map(|draw| fault_from_draw(draw, config.nodes, clients.len()))
        .collect();
    faults.sort_by_key(|fault| fault.time_ms_start);
    let scenario = Scenario {
        faults,
        ..Scenario::new(config, seed, clients)
    };
    debug_assert_eq!(scenario.validate(), Ok(()), "gen made an invalid scenario");
    scenario
}

/// The name of the `index`th key.
pub fn key_name(index: usize) -> String {
    format!("k{index}")
}

/// A scenario from raw bytes (for `arbitrary` and fuzzers), shaped by `options`.
#[cfg(feature = "arbitrary")]
pub fn from_unstructured(
    u: &mut arbitrary::Unstructured<'_>,
    options: &GenOptions,
) -> arbitrary::Result<Scenario> {
    if options.configs.is_empty() {
        return Err(arbitrary::Error::IncorrectFormat);
    }
    let config = u.choose(&options.configs)?.clone();
    let extra_nodes = u.int_in_range(0..=options.nodes_max)?;
    let client_count = u.int_in_range(options.clients.clone())?;
    let mut clients = Vec::with_capacity(client_count);
    for _ in 0..client_count {
        let op_count = u.int_in_range(options.ops_per_client.clone())?;
        let mut ops = Vec::with_capacity(op_count);
        for _ in 0..op_count {
            let kind = *u.choose(&[
                ClientOpKind::Get,
                ClientOpKind::Get,
                ClientOpKind::ReadModifyWrite,
                ClientOpKind::ReadModifyWrite,
                ClientOpKind::Put,
                ClientOpKind::Delete,
            ])?;
            ops.push(ClientOp {
                key: key_name(u.int_in_range(0..=options.keys.max(1) - 1)?),
                kind,
                delay_ms: u.int_in_range(0..=20)?,
                coordinator: None,
            });
        }
        if *options.quiet_ms.end() > 0 && !ops.is_empty() {
            let step = u.choose_index(ops.len())?;
            ops[step].delay_ms = u.int_in_range(options.quiet_ms.clone())?;
        }
        clients.push(ClientProgram {
            time_ms_start: u.int_in_range(0..=9)?,
            think_ms: u.int_in_range(0..=19)?,
            ops,
        });
    }
    let mut faults = Vec::new();
    if !options.fault_kinds.is_empty() {
        let span_ms = options.span_ms();
        let skew = options.skew_ms_max.max(1);
        let rate = options.fault_rate_per_million_max.clamp(1, 1_000_000);
        for _ in 0..u.int_in_range(0..=options.faults_max)? {
            faults.push(FaultDraw {
                choice: *u.choose(&options.fault_kinds)?,
                time_ms_start: u.int_in_range(0..=span_ms - 1)?,
                duration_ms: u.int_in_range(10..=span_ms - 1)?,
                node: u.arbitrary()?,
                group_size: u.int_in_range(1..=2)?,
                client: u.arbitrary()?,
                inbound: u.arbitrary()?,
                skew_ms: u.int_in_range(-skew..=skew)?,
                per_million: u.int_in_range(1..=rate)?,
            });
        }
    }
    let seed = u.arbitrary()?;
    let mut scenario = assemble(
        config,
        extra_nodes,
        options.nodes_max,
        clients,
        &faults,
        seed,
    );
    if options.faults_outlast_workload {
        for fault in &mut scenario.faults {
            fault.time_ms_end = None;
        }
    }
    Ok(scenario)
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Scenario {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Scenario> {
        from_unstructured(u, &GenOptions::default())
    }
}

#[cfg(feature = "quickcheck")]
impl quickcheck::Arbitrary for Scenario {
    /// A scenario with the default [`GenOptions`], drawn from quickcheck's generator.
    fn arbitrary(g: &mut quickcheck::Gen) -> Scenario {
        let bytes: Vec<u8> = (0..512)
            .map(|_| <u8 as quickcheck::Arbitrary>::arbitrary(g))
            .collect();
        let mut unstructured = arbitrary::Unstructured::new(&bytes);
        from_unstructured(&mut unstructured, &GenOptions::default())
            .expect("the default options always make a scenario from any bytes")
    }

    /// Smaller scenarios, most aggressive first: see [`smaller`].
    fn shrink(&self) -> Box<dyn Iterator<Item = Scenario>> {
        Box::new(smaller(self).into_iter())
    }
}
