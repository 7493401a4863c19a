//! The end of a schedule (the heal, the canonical settle, the history with its snapshots) and
//! the words for a choice in a printed schedule.

use std::collections::BTreeSet;

use crate::history::{History, Key, ReplicaSnapshot, RunSummary, FORMAT_VERSION};
use crate::store::Store;

use super::super::Choice;
use super::{Endpoint, Payload, TimerKind, World};

impl<S: Store> World<'_, S> {
    /// The end of a schedule: heal everything, then run the rest in one canonical order (the
    /// earliest-named message first, then the clients' next steps, then the earliest timer)
    /// until the store is quiet or the scenario's settle bound is hit; then the history.
    pub(in crate::exhaust) fn settle(mut self) -> History {
        for node in 0..self.store.nodes() {
            if !self.nodes[node as usize].up {
                let _ = self.restart(node);
            }
        }
        self.partitioned = None;
        let healed_ms = self.now_ms;
        let mut changes_last = self.total_changes();
        let mut changed_ms = self.now_ms;
        let mut quiescent = false;
        let mut bound_hit = None;
        let settle_ms_max = self.scenario.bounds.settle_ms_max;
        loop {
            if self.now_ms - healed_ms > settle_ms_max {
                bound_hit = Some(format!("settle_ms_max = {settle_ms_max}: not quiet"));
                break;
            }
            if let Some(first) = self.messages.iter().map(|m| m.key).min() {
                let _ = self.apply(Choice::Deliver { message: first });
            } else if let Some(client) = (0..self.clients.len()).find(|&client| {
                let slot = &self.clients[client];
                slot.open.is_none() && slot.next_step < self.scenario.clients[client].ops.len()
            }) {
                let _ = self.apply(Choice::Invoke {
                    client: client as u32,
                    coordinator: 0,
                });
            } else {
                let idle = self.clients.iter().all(|slot| slot.open.is_none())
                    && self
                        .nodes
                        .iter()
                        .all(|slot| self.store.is_quiet(&slot.state));
                if idle && self.now_ms - changed_ms >= self.store.quiet_window_ms() {
                    quiescent = true;
                    break;
                }
                let Some(timer) = self.timers.iter().min_by_key(|t| (t.due_ms, t.key)) else {
                    quiescent = idle;
                    break;
                };
                let key = timer.key;
                self.advances_used = 0;
                let _ = self.apply(Choice::Fire { timer: key });
            }
            let changes = self.total_changes();
            if changes != changes_last {
                changes_last = changes;
                changed_ms = self.now_ms;
            }
        }
        self.history(quiescent, bound_hit)
    }

    fn total_changes(&self) -> u64 {
        self.nodes
            .iter()
            .map(|slot| self.store.changes(&slot.state))
            .sum()
    }

    fn history(mut self, quiescent: bool, bound_hit: Option<String>) -> History {
        let keys: BTreeSet<&str> = self
            .scenario
            .clients
            .iter()
            .flat_map(|program| program.ops.iter().map(|op| op.key.as_str()))
            .collect();
        let mut replicas: Vec<ReplicaSnapshot> = Vec::new();
        for key in keys {
            let key = Key::from(key);
            for node in self.store.replicas(&key) {
                let state = &self.nodes[node.0 as usize].state;
                replicas.push(self.store.snapshot(state, &key));
            }
        }
        let time_ms_end = self.tick();
        History {
            version: FORMAT_VERSION,
            config: None,
            scenario: Some(
                serde_json::to_value(self.scenario).expect("a scenario always serializes"),
            ),
            operations: std::mem::take(&mut self.operations),
            faults: std::mem::take(&mut self.fault_records),
            replicas: Some(replicas),
            run: Some(RunSummary {
                steps: self.steps,
                time_ms_end,
                quiescent,
                bound_hit,
            }),
            // The explorer records no trace yet (the simulator's tracer follows its own engine).
            trace: None,
        }
    }

    /// A line for a choice, for printed schedules: what it delivers, fires or breaks.
    pub(in crate::exhaust) fn describe(&self, choice: Choice) -> String {
        let name = |endpoint: Endpoint| match endpoint {
            Endpoint::Node(node) => format!("n{node}"),
            Endpoint::Client(client) => format!("client {client}"),
        };
        let message = |key: u64| {
            self.messages.iter().find(|m| m.key == key).map(|m| {
                let what = match &m.payload {
                    Payload::Message(inner) => format!("{inner:?}"),
                    Payload::Request(request) => format!("{:?} {}", request.action, request.key),
                    Payload::Reply(_, reply) => format!("{reply:?}"),
                };
                let what: String = what.chars().take(90).collect();
                format!("{} → {}: {what}", name(m.from), name(m.to))
            })
        };
        let unknown = || "?".to_string();
        match choice {
            Choice::Deliver { message: key } => {
                format!("deliver {}", message(key).unwrap_or_else(unknown))
            }
            Choice::Drop { message: key } => {
                format!("drop    {}", message(key).unwrap_or_else(unknown))
            }
            Choice::Duplicate { message: key } => {
                format!("dup     {}", message(key).unwrap_or_else(unknown))
            }
            Choice::Fire { timer } => {
                let what = self
                    .timers
                    .iter()
                    .find(|t| t.key == timer)
                    .map(|t| match &t.kind {
                        TimerKind::Node { node, timer } => {
                            format!("n{node} {timer:?} at {} ms", t.due_ms)
                        }
                        TimerKind::ClientTimeout { client, .. } => {
                            format!("client {client}'s timeout at {} ms", t.due_ms)
                        }
                    });
                format!("fire    {}", what.unwrap_or_else(unknown))
            }
            Choice::Invoke {
                client,
                coordinator,
            } => {
                let slot = &self.clients[client as usize];
                let op = self.scenario.clients[client as usize]
                    .ops
                    .get(slot.next_step);
                let what = op.map_or_else(unknown, |op| format!("{:?} {}", op.kind, op.key));
                format!("invoke  client {client}: {what} (coordinator #{coordinator})")
            }
            Choice::Crash { node } => format!("crash   n{node}"),
            Choice::Restart { node } => format!("restart n{node}"),
            Choice::Partition { node } => format!("cut off n{node}"),
            Choice::Heal => "heal".to_string(),
        }
    }
}
