//! Smaller versions of a scenario, for quickcheck's `shrink` and the minimizer's delta debugging.

use crate::sim::{FaultKind, Scenario};

/// Scenarios one step smaller than `scenario`, the most aggressive first: no faults; one fault
/// fewer; one client fewer; half of a client's steps; one step fewer; the fewest nodes the
/// configuration allows; no delays or think time. Every candidate is valid if `scenario` is.
pub fn smaller(scenario: &Scenario) -> Vec<Scenario> {
    let mut candidates = Vec::new();
    if scenario.faults.len() > 1 {
        candidates.push(Scenario {
            faults: Vec::new(),
            ..scenario.clone()
        });
    }
    for index in 0..scenario.faults.len() {
        let mut candidate = scenario.clone();
        candidate.faults.remove(index);
        candidates.push(candidate);
    }
    if scenario.clients.len() > 1 {
        for index in 0..scenario.clients.len() {
            candidates.push(without_client(scenario, index));
        }
    }
    for (client, program) in scenario.clients.iter().enumerate() {
        let len = program.ops.len();
        if len >= 4 {
            for half in [0..len / 2, len / 2..len] {
                let mut candidate = scenario.clone();
                candidate.clients[client].ops.drain(half);
                candidates.push(candidate);
            }
        }
    }
    for (client, program) in scenario.clients.iter().enumerate() {
        for index in 0..program.ops.len() {
            let mut candidate = scenario.clone();
            candidate.clients[client].ops.remove(index);
            candidates.push(candidate);
        }
    }
    if scenario.config.nodes > scenario.config.n {
        candidates.push(with_nodes(scenario, scenario.config.n));
    }
    let calmer = without_waits(scenario);
    if calmer != *scenario {
        candidates.push(calmer);
    }
    debug_assert!(candidates.iter().all(|c| c.validate().is_ok()));
    candidates
}

/// The scenario without one client; partitions of later clients are renumbered, and a partition
/// left with neither nodes nor clients is dropped.
fn without_client(scenario: &Scenario, removed: usize) -> Scenario {
    let mut candidate = scenario.clone();
    candidate.clients.remove(removed);
    let removed = removed as u32;
    candidate.faults.retain_mut(|fault| match &mut fault.kind {
        FaultKind::Partition { nodes, clients, .. } => {
            clients.retain(|&client| client != removed);
            for client in clients.iter_mut() {
                if *client > removed {
                    *client -= 1;
                }
            }
            !nodes.is_empty() || !clients.is_empty()
        }
        _ => true,
    });
    candidate
}

/// The scenario on a smaller cluster; faults on nodes that no longer exist are dropped.
fn with_nodes(scenario: &Scenario, nodes: u32) -> Scenario {
    let mut candidate = scenario.clone();
    candidate.config.nodes = nodes;
    candidate.faults.retain_mut(|fault| match &mut fault.kind {
        FaultKind::Partition {
            nodes: group,
            clients,
            ..
        } => {
            group.retain(|&node| node < nodes);
            !group.is_empty() || !clients.is_empty()
        }
        FaultKind::Crash { node }
        | FaultKind::DiskLoss { node }
        | FaultKind::Pause { node }
        | FaultKind::ClockSkew { node, .. } => *node < nodes,
        FaultKind::Loss { .. }
        | FaultKind::Duplicate { .. }
        | FaultKind::Delay { .. }
        | FaultKind::Reorder { .. } => true,
    });
    candidate
}

fn without_waits(scenario: &Scenario) -> Scenario {
    let mut candidate = scenario.clone();
    for program in &mut candidate.clients {
        program.think_ms = 0;
        program.time_ms_start = 0;
        for op in &mut program.ops {
            op.delay_ms = 0;
        }
    }
    candidate
}
