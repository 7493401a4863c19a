//! One fault from its raw draws: the single place where a fault type and a handful of numbers
//! become a `sim::Fault` that names nodes and clients that exist. Both generators (the property
//! tests' [`super::scenarios`] / [`super::from_unstructured`] and the seeded
//! [`super::workload`]) go through it.

use crate::history::FaultType;
use crate::sim::{Direction, Fault, FaultKind};

/// The raw draws a fault is built from. Node and client numbers are drawn unbounded and taken
/// modulo the cluster and client counts when the scenario is assembled, so that shrinking the
/// cluster or the clients never makes a fault invalid.
#[derive(Clone, Debug)]
pub(super) struct FaultDraw {
    pub(super) choice: FaultType,
    pub(super) time_ms_start: u64,
    pub(super) duration_ms: u64,
    /// The node a crash, pause or skew hits; the first node of a partition's group.
    pub(super) node: u32,
    pub(super) group_size: u32,
    pub(super) client: u32,
    pub(super) inbound: bool,
    pub(super) skew_ms: i64,
    /// A loss or duplication rate; a delay's factor (2 to 10) and a reorder's jitter (10 to 100
    /// ms) are taken from it too.
    pub(super) per_million: u32,
}

/// The fault these draws describe in a cluster of `nodes` nodes and `clients` clients: a group is
/// `group_size` consecutive nodes (modulo the ring, at most half the cluster, sorted).
pub(super) fn fault_from_draw(draw: &FaultDraw, nodes: u32, clients: usize) -> Fault {
    let node = draw.node % nodes;
    let group: Vec<u32> = {
        let size = draw.group_size.min(nodes.div_ceil(2)).max(1);
        let mut group: Vec<u32> = (0..size).map(|i| (node + i) % nodes).collect();
        group.sort_unstable();
        group.dedup();
        group
    };
    let kind = match draw.choice {
        FaultType::Partition => FaultKind::Partition {
            nodes: group,
            clients: Vec::new(),
            direction: Direction::Both,
        },
        FaultType::OneWay => FaultKind::Partition {
            nodes: group,
            clients: Vec::new(),
            direction: if draw.inbound {
                Direction::Inbound
            } else {
                Direction::Outbound
            },
        },
        FaultType::ClientPartition => FaultKind::Partition {
            nodes: Vec::new(),
            clients: vec![draw.client % clients as u32],
            direction: Direction::Both,
        },
        FaultType::Crash => FaultKind::Crash { node },
        FaultType::DiskLoss => FaultKind::DiskLoss { node },
        FaultType::Pause => FaultKind::Pause { node },
        FaultType::ClockSkew => FaultKind::ClockSkew {
            node,
            skew_ms: draw.skew_ms,
        },
        FaultType::Loss => FaultKind::Loss {
            per_million: draw.per_million,
        },
        FaultType::Duplicate => FaultKind::Duplicate {
            per_million: draw.per_million,
        },
        // Delay and reorder reuse the rate's draw, so that no generator draws more for them.
        FaultType::Delay => FaultKind::Delay {
            factor: 2 + draw.per_million % 9,
        },
        FaultType::Reorder => FaultKind::Reorder {
            jitter_ms: 10 + u64::from(draw.per_million % 91),
        },
    };
    Fault {
        time_ms_start: draw.time_ms_start,
        time_ms_end: Some(draw.time_ms_start + draw.duration_ms),
        kind,
    }
}
