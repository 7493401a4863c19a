//! The controllable world: the simulator's model of a cluster (nodes behind the [`Store`] trait,
//! a network, sequential clients, crashes and partitions), where the next event is not chosen by
//! simulated time and a seed but by the explorer, among the [`Choice`]s enabled now.
//!
//! Time is abstracted: messages take no time, and the clock (the one every handler reads through
//! [`crate::store::Effects::clock_ms`]) moves only when a timer fires. Timers fire in order of due
//! time: a timer due now may fire at any point; firing the earliest later timer moves the clock
//! to its due time, and the number of such moves is bounded. The history's times are not the
//! clock's: they count the history's own events (invocations, completions, faults), so that the
//! real-time order of operations is exactly the order of the schedule, and two schedules that
//! differ only by swapping independent events give byte-identical histories.
//!
//! What it must never do: look inside a node's state except through the [`Store`] trait (its
//! state hash is the store's `node_hash`, by default a hash of the node's `Debug` text), read the wall clock, or draw randomness: every
//! event is named by its causes (as the simulator names them), so a choice names the same event
//! in every schedule where it is enabled.

use std::collections::BTreeMap;

use crate::causality::NodeId;
use crate::history::{FaultRecord, FaultType, Operation};
use crate::sim::Scenario;
use crate::stable_hash::{debug_hash, hash_of, splitmix64 as mix};
use crate::store::{Effects, Reply, Request, RequestId, Store, StoreEffects};

use super::{Bounds, Choice, FaultKind};

mod clients;
mod settle;

/// A name made of parts, order mattering (the simulator's naming of events).
fn identity(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x0001_de47_17e5, |name, &part| mix(name ^ mix(part)))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Endpoint {
    Node(u32),
    Client(u32),
}

enum Payload<S: Store> {
    Message(S::Message),
    Request(Box<Request<S::Context>>),
    Reply(RequestId, Box<Reply<S::Context>>),
}

struct InFlight<S: Store> {
    key: u64,
    from: Endpoint,
    to: Endpoint,
    payload: Payload<S>,
    /// The hash of the payload (and ends), computed once.
    hash: u64,
}

enum TimerKind<T> {
    Node { node: u32, timer: T },
    ClientTimeout { client: u32, request: RequestId },
}

struct TimerItem<T> {
    key: u64,
    due_ms: u64,
    kind: TimerKind<T>,
    hash: u64,
}

struct NodeSlot<N> {
    state: N,
    up: bool,
    boot: u32,
    hash: u64,
}

struct OpenOp {
    step: usize,
    history: usize,
    request: RequestId,
    reading: bool,
    coordinator: u32,
}

#[derive(Default)]
struct ClientSlot {
    next_step: usize,
    open: Option<OpenOp>,
    requests: u64,
}

/// What a choice touches, for the independence relation of the reduction: two choices are
/// independent when neither is global, they do not both write the history, they touch no common
/// endpoint and not the same message. Independent choices commute and never disable each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Footprint {
    endpoints: u64,
    message: Option<u64>,
    history: bool,
    /// Takes from the fault budget (and appends to the history's fault records).
    budget: bool,
    global: bool,
}

impl Footprint {
    pub(super) fn independent(&self, other: &Footprint) -> bool {
        !(self.global
            || other.global
            || (self.history && other.history)
            || (self.budget && other.budget)
            || self.endpoints & other.endpoints != 0
            || (self.message.is_some() && self.message == other.message))
    }
}

/// The world of one schedule.
pub(super) struct World<'a, S: Store> {
    store: &'a S,
    scenario: &'a Scenario,
    bounds: &'a Bounds,
    now_ms: u64,
    history_clock: u64,
    nodes: Vec<NodeSlot<S::Node>>,
    messages: Vec<InFlight<S>>,
    timers: Vec<TimerItem<S::Timer>>,
    clients: Vec<ClientSlot>,
    partitioned: Option<u32>,
    faults_used: u32,
    advances_used: u32,
    operations: Vec<Operation>,
    fault_records: Vec<FaultRecord>,
    abandoned: BTreeMap<RequestId, usize>,
    effects: StoreEffects<S>,
    steps: u64,
    /// The hash of the operations, fault records and abandoned writes, while they are unchanged.
    history_hash: std::cell::Cell<Option<u64>>,
}

impl<'a, S: Store> World<'a, S> {
    /// The world at its start: every node booted and started, every client before its first step.
    pub(super) fn new(store: &'a S, scenario: &'a Scenario, bounds: &'a Bounds) -> World<'a, S> {
        let nodes = (0..store.nodes())
            .map(|node| NodeSlot {
                state: store.boot(NodeId(node)),
                up: true,
                boot: 0,
                hash: 0,
            })
            .collect();
        let mut world = World {
            store,
            scenario,
            bounds,
            now_ms: 0,
            history_clock: 0,
            nodes,
            messages: Vec::new(),
            timers: Vec::new(),
            clients: scenario
                .clients
                .iter()
                .map(|_| ClientSlot::default())
                .collect(),
            partitioned: None,
            faults_used: 0,
            advances_used: 0,
            operations: Vec::new(),
            fault_records: Vec::new(),
            abandoned: BTreeMap::new(),
            effects: Effects::new(NodeId(0), 0),
            steps: 0,
            history_hash: std::cell::Cell::new(None),
        };
        for node in 0..store.nodes() {
            world.call(
                node,
                identity(&[0xb007, u64::from(node), 0]),
                |s, n, out| s.on_start(n, out),
            );
        }
        world
    }

    fn tick(&mut self) -> u64 {
        self.history_hash.set(None);
        self.history_clock += 1;
        self.history_clock
    }

    /// The choices enabled now, in a fixed order, each with its footprint.
    pub(super) fn enabled(&self) -> Vec<(Choice, Footprint)> {
        let mut enabled = Vec::new();
        let fault_budget = self.faults_used < self.bounds.max_faults;
        let allows = |kind| fault_budget && self.bounds.faults.contains(&kind);
        let mut messages: Vec<&InFlight<S>> = self.messages.iter().collect();
        messages.sort_by_key(|message| message.key);
        for message in messages {
            let (endpoints, history) = match message.to {
                Endpoint::Node(node) => (self.bit(Endpoint::Node(node)), false),
                Endpoint::Client(client) => (self.bit(Endpoint::Client(client)), true),
            };
            let key = message.key;
            enabled.push((
                Choice::Deliver { message: key },
                Footprint {
                    endpoints,
                    message: Some(key),
                    history,
                    budget: false,
                    global: false,
                },
            ));
            let fault = Footprint {
                endpoints: 0,
                message: Some(key),
                history: false,
                budget: true,
                global: false,
            };
            if allows(FaultKind::Drop) {
                enabled.push((Choice::Drop { message: key }, fault));
            }
            if allows(FaultKind::Duplicate) && matches!(message.payload, Payload::Message(_)) {
                enabled.push((Choice::Duplicate { message: key }, fault));
            }
        }
        if let Some(due_ms) = self.timers.iter().map(|timer| timer.due_ms).min() {
            let advance = due_ms > self.now_ms;
            if !advance || self.advances_used < self.bounds.advances {
                let mut due: Vec<&TimerItem<S::Timer>> = self
                    .timers
                    .iter()
                    .filter(|timer| timer.due_ms == due_ms)
                    .collect();
                due.sort_by_key(|timer| timer.key);
                for timer in due {
                    let (endpoints, history) = match timer.kind {
                        TimerKind::Node { node, .. } => (self.bit(Endpoint::Node(node)), false),
                        TimerKind::ClientTimeout { client, .. } => {
                            (self.bit(Endpoint::Client(client)), true)
                        }
                    };
                    let footprint = Footprint {
                        endpoints,
                        message: None,
                        history,
                        budget: false,
                        global: advance,
                    };
                    enabled.push((Choice::Fire { timer: timer.key }, footprint));
                }
            }
        }
        for (client, slot) in self.clients.iter().enumerate() {
            let steps = self.scenario.clients[client].ops.len();
            if slot.open.is_none() && slot.next_step < steps {
                for coordinator in 0..self.bounds.coordinators {
                    enabled.push((
                        Choice::Invoke {
                            client: client as u32,
                            coordinator,
                        },
                        Footprint {
                            endpoints: self.bit(Endpoint::Client(client as u32)),
                            message: None,
                            history: true,
                            budget: false,
                            global: false,
                        },
                    ));
                }
            }
        }
        for (node, slot) in self.nodes.iter().enumerate() {
            let node = node as u32;
            let footprint = Footprint {
                endpoints: self.bit(Endpoint::Node(node)),
                message: None,
                history: false,
                budget: false,
                global: false,
            };
            if !slot.up {
                enabled.push((Choice::Restart { node }, footprint));
            } else if allows(FaultKind::Crash) {
                let crash = Footprint {
                    budget: true,
                    ..footprint
                };
                enabled.push((Choice::Crash { node }, crash));
            }
        }
        let global = Footprint {
            endpoints: 0,
            message: None,
            history: true,
            budget: true,
            global: true,
        };
        if self.partitioned.is_some() {
            enabled.push((Choice::Heal, global));
        } else if allows(FaultKind::Partition) {
            for node in 0..self.store.nodes() {
                enabled.push((Choice::Partition { node }, global));
            }
        }
        enabled
    }

    fn bit(&self, endpoint: Endpoint) -> u64 {
        let index = match endpoint {
            Endpoint::Node(node) => node as usize,
            Endpoint::Client(client) => self.nodes.len() + client as usize,
        };
        1 << (index % 64)
    }

    /// Carries out `choice`; `Err` names a choice that is not enabled (a schedule that does not
    /// fit this world).
    pub(super) fn apply(&mut self, choice: Choice) -> Result<(), String> {
        self.steps += 1;
        match choice {
            Choice::Deliver { message } => {
                let message = self.take_message(message)?;
                self.deliver(message);
            }
            Choice::Drop { message } => {
                let taken = self.take_message(message)?;
                self.faults_used += 1;
                self.record(FaultType::Loss, Vec::new(), false, "a message lost".into());
                drop(taken);
            }
            Choice::Duplicate { message } => {
                let original = self
                    .messages
                    .iter()
                    .find(|m| m.key == message)
                    .ok_or_else(|| format!("no message {message:#x} in flight"))?;
                let Payload::Message(copy) = &original.payload else {
                    return Err(format!("message {message:#x} is not between nodes"));
                };
                let (copy, from, to) = (copy.clone(), original.from, original.to);
                self.faults_used += 1;
                let note = "a message duplicated".to_string();
                self.record(FaultType::Duplicate, Vec::new(), false, note);
                self.queue(mix(message ^ 0xd0b1e), from, to, Payload::Message(copy));
            }
            Choice::Fire { timer } => {
                let position = self
                    .timers
                    .iter()
                    .position(|item| item.key == timer)
                    .ok_or_else(|| format!("no timer {timer:#x} set"))?;
                let item = self.timers.swap_remove(position);
                if item.due_ms > self.now_ms {
                    self.advances_used += 1;
                    self.now_ms = item.due_ms;
                }
                match item.kind {
                    TimerKind::Node { node, timer } => {
                        self.call(node, item.key, |s, n, out| s.on_timer(n, out, timer));
                    }
                    TimerKind::ClientTimeout { client, request } => {
                        self.client_timeout(client, request)
                    }
                }
            }
            Choice::Invoke {
                client,
                coordinator,
            } => self.client_next(client, coordinator)?,
            Choice::Crash { node } => self.crash(node)?,
            Choice::Restart { node } => self.restart(node)?,
            Choice::Partition { node } => {
                if node >= self.store.nodes() || self.partitioned.is_some() {
                    return Err(format!("cannot cut off n{node} now"));
                }
                self.faults_used += 1;
                let note = format!("n{node} cut off from the other nodes");
                self.record(FaultType::Partition, vec![NodeId(node)], false, note);
                self.partitioned = Some(node);
            }
            Choice::Heal => {
                self.partitioned.take().ok_or("no partition to heal")?;
            }
        }
        Ok(())
    }

    fn take_message(&mut self, key: u64) -> Result<InFlight<S>, String> {
        let position = self
            .messages
            .iter()
            .position(|message| message.key == key)
            .ok_or_else(|| format!("no message {key:#x} in flight"))?;
        Ok(self.messages.swap_remove(position))
    }

    /// Records a fault as spanning the whole workload (from 0, no end): where it fell among
    /// the operations is in the schedule, not in the history, so that a fault commutes with the
    /// events of other nodes and clients. The checker reads fault times only to excuse keys from
    /// converging (without anti-entropy), so a longer span only ever excuses more.
    fn record(
        &mut self,
        kind: FaultType,
        nodes: Vec<NodeId>,
        loses_data: bool,
        description: String,
    ) {
        self.history_hash.set(None);
        self.fault_records.push(FaultRecord {
            kind,
            time_ms_start: 0,
            time_ms_end: None,
            nodes,
            loses_data,
            description,
        });
    }

    fn crash(&mut self, node: u32) -> Result<(), String> {
        let slot = self
            .nodes
            .get_mut(node as usize)
            .filter(|slot| slot.up)
            .ok_or_else(|| format!("n{node} is not up"))?;
        slot.up = false;
        slot.boot += 1;
        let loses = self.store.on_crash(&mut slot.state);
        slot.hash = self.store.node_hash(&slot.state);
        self.timers
            .retain(|timer| !matches!(timer.kind, TimerKind::Node { node: n, .. } if n == node));
        self.faults_used += 1;
        let lost = if loses {
            ", losing what it had not synced"
        } else {
            ""
        };
        let note = format!("n{node} crashed{lost}");
        self.record(FaultType::Crash, vec![NodeId(node)], loses, note);
        Ok(())
    }

    fn restart(&mut self, node: u32) -> Result<(), String> {
        let slot = self
            .nodes
            .get_mut(node as usize)
            .filter(|slot| !slot.up)
            .ok_or_else(|| format!("n{node} is not down"))?;
        slot.up = true;
        let boot = slot.boot;
        let cause = identity(&[0xb007, u64::from(node), u64::from(boot)]);
        self.call(node, cause, |s, n, out| s.on_start(n, out));
        Ok(())
    }

    fn cut(&self, from: Endpoint, to: Endpoint) -> bool {
        match (self.partitioned, from, to) {
            (Some(cut), Endpoint::Node(a), Endpoint::Node(b)) => (a == cut) != (b == cut),
            _ => false,
        }
    }

    fn deliver(&mut self, message: InFlight<S>) {
        if self.cut(message.from, message.to) {
            return;
        }
        match (message.to, message.payload) {
            (Endpoint::Node(node), payload) => {
                if !self.nodes[node as usize].up {
                    return;
                }
                match payload {
                    Payload::Message(inner) => {
                        let Endpoint::Node(sender) = message.from else {
                            unreachable!("only nodes send node messages");
                        };
                        self.call(node, message.key, |s, n, out| {
                            s.on_message(n, out, NodeId(sender), inner)
                        });
                    }
                    Payload::Request(request) => {
                        self.call(node, message.key, |s, n, out| {
                            s.on_request(n, out, *request)
                        });
                    }
                    Payload::Reply(..) => unreachable!("replies go to clients"),
                }
            }
            (Endpoint::Client(client), Payload::Reply(request, reply)) => {
                self.client_reply(client, request, *reply);
            }
            (Endpoint::Client(_), _) => unreachable!("clients receive only replies"),
        }
    }

    fn queue(&mut self, key: u64, from: Endpoint, to: Endpoint, payload: Payload<S>) {
        let body = match &payload {
            Payload::Message(message) => self.store.message_hash(message),
            Payload::Request(request) => debug_hash(request),
            Payload::Reply(request, reply) => debug_hash(&(request, reply)),
        };
        let hash = identity(&[key, hash_of(&(from, to)), body]);
        self.messages.push(InFlight {
            key,
            from,
            to,
            payload,
            hash,
        });
    }

    /// Runs one handler on one node for an event named `cause`, and queues its effects, each
    /// named by the cause and its rank (as the simulator names them).
    fn call(
        &mut self,
        node: u32,
        cause: u64,
        handler: impl FnOnce(&S, &mut S::Node, &mut StoreEffects<S>),
    ) {
        let slot = &mut self.nodes[node as usize];
        self.effects.reset(NodeId(node), self.now_ms);
        handler(self.store, &mut slot.state, &mut self.effects);
        slot.hash = self.store.node_hash(&slot.state);
        let boot = slot.boot;
        let from = Endpoint::Node(node);
        let mut rank = 0u64;
        let mut next_key = || {
            rank += 1;
            mix(cause ^ mix(rank))
        };
        let sends = std::mem::take(&mut self.effects.sends);
        let replies = std::mem::take(&mut self.effects.replies);
        let timers = std::mem::take(&mut self.effects.timers);
        self.effects.probes.clear();
        for (to, message) in sends {
            let key = next_key();
            if to.0 < self.store.nodes() {
                self.queue(key, from, Endpoint::Node(to.0), Payload::Message(message));
            }
        }
        for (request, reply) in replies {
            let key = next_key();
            let client = (request.0 >> 32) as u32;
            if (client as usize) < self.clients.len() {
                let payload = Payload::Reply(request, Box::new(reply));
                self.queue(key, from, Endpoint::Client(client), payload);
            }
        }
        for (delay_ms, timer) in timers {
            let key = next_key();
            let hash = identity(&[key, u64::from(node), u64::from(boot), debug_hash(&timer)]);
            self.timers.push(TimerItem {
                key,
                due_ms: self.now_ms.saturating_add(delay_ms),
                kind: TimerKind::Node { node, timer },
                hash,
            });
        }
    }

    /// A hash of everything that decides what can happen next and what the history will be:
    /// the clock, the budgets, every node (by its `Debug` text), the messages in flight and the
    /// timers set (as sets), the clients, and the history so far.
    pub(super) fn state_hash(&self) -> u64 {
        let mut parts = vec![
            self.now_ms,
            self.history_clock,
            u64::from(self.faults_used),
            u64::from(self.advances_used),
            self.partitioned.map_or(u64::MAX, u64::from),
        ];
        for slot in &self.nodes {
            parts.extend([u64::from(slot.up), u64::from(slot.boot), slot.hash]);
        }
        let messages = self
            .messages
            .iter()
            .fold(0u64, |sum, m| sum.wrapping_add(mix(m.hash)));
        let timers = self.timers.iter().fold(0u64, |sum, t| {
            sum.wrapping_add(mix(t.hash ^ t.due_ms.wrapping_mul(0x9e37)))
        });
        parts.extend([messages, timers]);
        for slot in &self.clients {
            let open = slot.open.as_ref().map_or(u64::MAX, |open| {
                identity(&[open.step as u64, open.request.0, u64::from(open.reading)])
            });
            parts.extend([slot.next_step as u64, slot.requests, open]);
        }
        let history = self
            .history_hash
            .get()
            .unwrap_or_else(|| hash_of(&(&self.operations, &self.fault_records, &self.abandoned)));
        self.history_hash.set(Some(history));
        parts.push(history);
        identity(&parts)
    }
}
