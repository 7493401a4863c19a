//! The seeded workload behind `quorate sim --seed S` and the zoo's hunts: exactly `ops` client
//! steps dealt round-robin to `clients` clients over `keys` keys, and `faults_per_kind` faults of
//! each requested type spread over the workload's expected span.
//!
//! Its draws come from a SplitMix64 sequence of the seed, not from `arbitrary::Unstructured` as
//! the property-test shapes do: that sequence is what every `quorate sim --seed S` history ever
//! written was made from, and the same seed must keep giving the same bytes. Faults go through
//! the one fault assembly ([`super::faults`]) like every other generated fault.

use crate::config::Config;
use crate::history::FaultType;
use crate::sim::{ClientOp, ClientOpKind, ClientProgram, Scenario, ScenarioError, CLIENTS_MAX};
use crate::stable_hash::splitmix64_next;

use super::faults::{fault_from_draw, FaultDraw};
use super::key_name;

/// What [`workload`] makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadOptions {
    /// Client steps, dealt round-robin to the clients.
    pub ops: usize,
    /// How many clients, from 1 to the simulator's [`CLIENTS_MAX`].
    pub clients: usize,
    /// How many keys (`k0`, `k1`, …; at least 1).
    pub keys: usize,
    /// Fault types to schedule, `faults_per_kind` of each.
    pub faults: Vec<FaultType>,
    /// How many faults of each type.
    pub faults_per_kind: usize,
}

impl Default for WorkloadOptions {
    fn default() -> WorkloadOptions {
        WorkloadOptions {
            ops: 100,
            clients: 3,
            keys: 3,
            faults: vec![FaultType::Partition, FaultType::Crash],
            faults_per_kind: 1,
        }
    }
}

/// A SplitMix64 sequence: the workload's only source of draws.
#[derive(Clone, Debug)]
struct SeedSequence(u64);

impl SeedSequence {
    fn next_u64(&mut self) -> u64 {
        splitmix64_next(&mut self.0)
    }

    /// A uniform draw in `0..bound` (0 when `bound` is 0), by multiply-shift.
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }
}

/// A random scenario for a configuration: a mix of reads, read-modify-writes, blind writes and
/// deletes, and faults of the given types. The configuration must be valid.
pub fn workload(
    config: Config,
    seed: u64,
    options: &WorkloadOptions,
) -> Result<Scenario, ScenarioError> {
    let clients_count = options.clients.clamp(1, CLIENTS_MAX);
    let keys = options.keys.max(1);
    let mut draws = SeedSequence(seed ^ 0x5ce7_a210);
    let think_ms = 5;
    let mut clients: Vec<ClientProgram> = (0..clients_count)
        .map(|client| ClientProgram {
            time_ms_start: client as u64,
            think_ms,
            ops: Vec::new(),
        })
        .collect();
    for index in 0..options.ops {
        let key = key_name(draws.below(keys as u64) as usize);
        let kind = match draws.below(100) {
            0..=34 => ClientOpKind::Get,
            35..=74 => ClientOpKind::ReadModifyWrite,
            75..=94 => ClientOpKind::Put,
            _ => ClientOpKind::Delete,
        };
        clients[index % clients_count].ops.push(ClientOp {
            key,
            kind,
            delay_ms: 0,
            coordinator: None,
        });
    }
    // A step takes about two round trips; spread faults over the workload's expected span.
    let steps_per_client = options.ops.div_ceil(clients_count) as u64;
    let span_ms = (steps_per_client * (think_ms + 25)).max(100);
    let nodes = config.nodes;
    let mut faults = Vec::new();
    for &choice in &options.faults {
        for _ in 0..options.faults_per_kind {
            let draw = fault_draw(&mut draws, choice, span_ms, nodes, clients_count);
            faults.push(fault_from_draw(&draw, nodes.max(1), clients_count));
        }
    }
    faults.sort_by_key(|fault| fault.time_ms_start);
    let scenario = Scenario {
        faults,
        ..Scenario::new(config, seed, clients)
    };
    scenario.validate()?;
    Ok(scenario)
}

/// One fault's draws, in the order this generator has always drawn them: start, length, a node,
/// then what the type needs (a group's size and first node, a direction, a client, a skew, a rate).
fn fault_draw(
    draws: &mut SeedSequence,
    choice: FaultType,
    span_ms: u64,
    nodes: u32,
    clients: usize,
) -> FaultDraw {
    let time_ms_start = draws.below(span_ms);
    let duration_ms = 10 + draws.below(span_ms / 2 + 1);
    let mut draw = FaultDraw {
        choice,
        time_ms_start,
        duration_ms,
        node: draws.below(u64::from(nodes)) as u32,
        group_size: 1,
        client: 0,
        inbound: false,
        skew_ms: 0,
        per_million: 0,
    };
    let group = |draws: &mut SeedSequence, draw: &mut FaultDraw| {
        draw.group_size = 1 + draws.below(u64::from(nodes.div_ceil(2))) as u32;
        draw.node = draws.below(u64::from(nodes)) as u32;
    };
    match choice {
        FaultType::Partition => group(draws, &mut draw),
        FaultType::OneWay => {
            group(draws, &mut draw);
            draw.inbound = draws.below(2) == 0;
        }
        FaultType::ClientPartition => draw.client = draws.below(clients as u64) as u32,
        FaultType::Crash | FaultType::Pause | FaultType::DiskLoss => {}
        FaultType::ClockSkew => draw.skew_ms = draws.below(2_001) as i64 - 1_000,
        FaultType::Loss | FaultType::Duplicate | FaultType::Delay | FaultType::Reorder => {
            draw.per_million = 50_000 + draws.below(150_000) as u32;
        }
    }
    draw
}
