//! The simulated world: time, the event queue, the network, faults and clients. Store logic
//! lives behind [`Store`]; this file never looks inside a node's state.

use std::collections::{BTreeSet, BinaryHeap};

use crate::causality::NodeId;
use crate::history::{
    Action, ClientId, FaultRecord, History, Key, OpId, Operation, Outcome, ReplicaSnapshot,
    RunSummary, Value, Write, FORMAT_VERSION,
};
use crate::store::{Effects, Reply, Request, RequestAction, RequestId, Store, StoreEffects};

use super::rng::{below, draw, identity, unit, Stream};
use super::scenario::{ClientOpKind, Direction, FaultKind, Latency, Scenario};
use super::trace::Tracer;
use super::Stats;
use crate::stable_hash::splitmix64 as mix;

/// The key of what a node does when it (re)starts.
fn boot_key(node: u32, boot: u32) -> u64 {
    identity(&[0xb007, u64::from(node), u64::from(boot)])
}

/// How often, once healed, the simulator looks for quiescence.
const QUIET_CHECK_MS: u64 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    Node(u32),
    Client(u32),
}

enum Payload<S: Store> {
    Message(S::Message),
    // Boxed: client traffic is rarer than node traffic, and a small event moves faster.
    Request(Box<Request<S::Context>>),
    Reply(RequestId, Box<Reply<S::Context>>),
}

/// Events caused by a node or a client carry a `key`: a hash of what caused them (the client's
/// step, or the key of the event whose handler sent or set them, and their rank among its
/// effects). Every random draw about an event is keyed by it, so a draw never depends on
/// unrelated traffic, and removing an operation while shrinking changes only what it caused.
enum Event<S: Store> {
    Deliver {
        key: u64,
        from: Endpoint,
        to: Endpoint,
        payload: Payload<S>,
    },
    Timer {
        key: u64,
        node: u32,
        boot: u32,
        timer: S::Timer,
    },
    ClientNext {
        client: u32,
    },
    ClientTimeout {
        client: u32,
        request: RequestId,
    },
    FaultStart(usize),
    FaultEnd(usize),
    QuietCheck,
}

/// A queued event's place: when, in which order among equal times, and where it is stored.
/// Events themselves live in a slab, so that the heap moves 16 bytes rather than whole messages.
/// Packed as time (high 40 bits: 34 years of milliseconds), sequence number (56 bits), slab index
/// (32 bits), so that ordering is one integer comparison.
type Slot = std::cmp::Reverse<u128>;

const TIME_MS_LIMIT: u64 = super::scenario::TIME_MS_LIMIT;

struct NodeSlot<N> {
    state: N,
    up: bool,
    /// Raised at every crash: timers of an earlier boot never fire.
    boot: u32,
    paused: u32,
    skew_ms: i64,
}

/// A client's operation in flight.
struct OpenOp {
    step: usize,
    /// Its index in the history's operations.
    history: usize,
    request: RequestId,
    /// The read of a read-modify-write or a delete, still to be followed by its write.
    reading: bool,
}

struct ClientSlot {
    next_step: usize,
    open: Option<OpenOp>,
    requests: u64,
    done: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Workload,
    Settle,
    Done,
}

pub(super) struct World<'a, S: Store> {
    store: &'a S,
    scenario: &'a Scenario,
    now_ms: u64,
    seq: u64,
    queue: BinaryHeap<Slot>,
    events: Vec<Option<Event<S>>>,
    events_free: Vec<u32>,
    nodes: Vec<NodeSlot<S::Node>>,
    deferred: Vec<Vec<Event<S>>>,
    clients: Vec<ClientSlot>,
    endpoints: usize,
    /// `cut[from * endpoints + to]`: the link drops everything.
    cut: Vec<bool>,
    fault_active: Vec<Option<usize>>,
    fault_records: Vec<FaultRecord>,
    loss_per_million: u32,
    duplicate_per_million: u32,
    /// What a delay fault in force multiplies every latency by (1: none).
    delay_factor: u64,
    /// The longest extra delay a reorder fault in force adds to a message (0: none).
    jitter_ms: u64,
    operations: Vec<Operation>,
    /// Writes whose clients gave up, by request: a late reply still tells the store's metadata.
    abandoned: std::collections::BTreeMap<RequestId, usize>,
    effects: StoreEffects<S>,
    in_flight: u64,
    clients_done: usize,
    phase: Phase,
    time_ms_heal: u64,
    changes_last: u64,
    time_ms_last_change: u64,
    quiescent: bool,
    bound_hit: Option<String>,
    steps: u64,
    stats: Stats,
    /// The trace recorder, when the run was asked for its trace; `None` changes nothing.
    trace: Option<Box<Tracer>>,
}

impl<'a, S: Store> World<'a, S> {
    pub(super) fn new(store: &'a S, scenario: &'a Scenario) -> World<'a, S> {
        let node_count = store.nodes() as usize;
        let endpoints = node_count + scenario.clients.len();
        let nodes = (0..store.nodes())
            .map(|node| NodeSlot {
                state: store.boot(NodeId(node)),
                up: true,
                boot: 0,
                paused: 0,
                skew_ms: 0,
            })
            .collect();
        World {
            store,
            scenario,
            now_ms: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            events: Vec::new(),
            events_free: Vec::new(),
            nodes,
            deferred: (0..node_count).map(|_| Vec::new()).collect(),
            clients: scenario
                .clients
                .iter()
                .map(|_| ClientSlot {
                    next_step: 0,
                    open: None,
                    requests: 0,
                    done: false,
                })
                .collect(),
            endpoints,
            cut: vec![false; endpoints * endpoints],
            fault_active: vec![None; scenario.faults.len()],
            fault_records: Vec::new(),
            loss_per_million: 0,
            duplicate_per_million: 0,
            delay_factor: 1,
            jitter_ms: 0,
            operations: Vec::new(),
            abandoned: std::collections::BTreeMap::new(),
            effects: Effects::new(NodeId(0), 0),
            in_flight: 0,
            clients_done: 0,
            phase: Phase::Workload,
            time_ms_heal: 0,
            changes_last: 0,
            time_ms_last_change: 0,
            quiescent: false,
            bound_hit: None,
            steps: 0,
            stats: Stats {
                probe_hits: vec![0; store.probes().len()],
                ..Stats::default()
            },
            trace: None,
        }
    }

    /// Records the run's trace into its history (see `sim::trace`).
    pub(super) fn traced(mut self) -> World<'a, S> {
        let keys: BTreeSet<&str> = self
            .scenario
            .clients
            .iter()
            .flat_map(|program| program.ops.iter().map(|op| op.key.as_str()))
            .collect();
        self.trace = Some(Box::new(Tracer::new(
            keys.into_iter().map(Key::from).collect(),
        )));
        self
    }

    /// The trace's name of an endpoint.
    fn trace_endpoint(endpoint: Endpoint) -> crate::history::Endpoint {
        match endpoint {
            Endpoint::Node(node) => crate::history::Endpoint::Node(NodeId(node)),
            Endpoint::Client(client) => crate::history::Endpoint::Client(ClientId(client)),
        }
    }

    /// The trace's summary of a payload: the store's words for its messages.
    fn summary(&self, payload: &Payload<S>) -> String {
        match payload {
            Payload::Message(message) => self.store.describe(message),
            Payload::Request(request) => match &request.action {
                RequestAction::Get => format!("get {}", request.key),
                RequestAction::Put { value, .. } => format!("put {value} on {}", request.key),
                RequestAction::Delete { value, .. } => format!("del {value} on {}", request.key),
            },
            Payload::Reply(_, reply) => match reply.as_ref() {
                Reply::Read { versions, .. } => {
                    let values: Vec<String> = versions
                        .iter()
                        .map(|read| {
                            let mark = if read.tombstone { "†" } else { "" };
                            format!("{mark}{}", read.value)
                        })
                        .collect();
                    format!("ok {{{}}}", values.join(","))
                }
                Reply::Written { .. } => "written".to_string(),
                Reply::Failed { .. } => "failed".to_string(),
            },
        }
    }

    /// Records what `node` holds for each traced key, where it changed.
    fn trace_states(&mut self, node: usize) {
        let Some(trace) = self.trace.as_mut() else {
            return;
        };
        for position in 0..trace.keys.len() {
            let snapshot = self
                .store
                .snapshot(&self.nodes[node].state, &trace.keys[position]);
            trace.state(self.now_ms, node as u32, position, snapshot);
        }
    }

    fn push(&mut self, time_ms: u64, event: Event<S>) {
        self.seq += 1;
        let index = match self.events_free.pop() {
            Some(index) => {
                debug_assert!(self.events[index as usize].is_none());
                self.events[index as usize] = Some(event);
                index
            }
            None => {
                self.events.push(Some(event));
                u32::try_from(self.events.len() - 1).expect("fewer than 2^32 queued events")
            }
        };
        // Anything later than the limit is later than every run's time bound, which the
        // scenario keeps below it: such an event can only end the run, never run itself.
        let time_ms = time_ms.min(TIME_MS_LIMIT - 1);
        assert!(self.seq < 1 << 56, "more than 2^56 events");
        let packed = (u128::from(time_ms) << 88) | (u128::from(self.seq) << 32) | u128::from(index);
        self.queue.push(std::cmp::Reverse(packed));
    }

    /// The earliest event (first queued among equal times).
    fn pop(&mut self) -> Option<(u64, Event<S>)> {
        let std::cmp::Reverse(packed) = self.queue.pop()?;
        let time_ms = (packed >> 88) as u64;
        let index = packed as u32;
        let event = self.events[index as usize]
            .take()
            .expect("a queued slot holds an event");
        self.events_free.push(index);
        Some((time_ms, event))
    }

    /// Runs the three phases and returns the history.
    pub(super) fn run(mut self) -> (History, Stats) {
        for node in 0..self.nodes.len() {
            let cause = boot_key(node as u32, 0);
            self.call(node, cause, |store, state, out| store.on_start(state, out));
        }
        for (client, program) in self.scenario.clients.iter().enumerate() {
            let delay_ms = program.ops.first().map_or(0, |op| op.delay_ms);
            self.push(
                program.time_ms_start.saturating_add(delay_ms),
                Event::ClientNext {
                    client: client as u32,
                },
            );
        }
        for (index, fault) in self.scenario.faults.iter().enumerate() {
            self.push(fault.time_ms_start, Event::FaultStart(index));
        }
        if self.scenario.clients.is_empty() {
            self.heal();
        }
        let bounds = &self.scenario.bounds;
        while self.phase != Phase::Done {
            if self.steps >= bounds.steps_max {
                self.bound_hit = Some(format!("steps_max = {}", bounds.steps_max));
                break;
            }
            let Some((time_ms, event)) = self.pop() else {
                break;
            };
            if time_ms > bounds.time_ms_max {
                self.bound_hit = Some(format!("time_ms_max = {}", bounds.time_ms_max));
                break;
            }
            debug_assert!(time_ms >= self.now_ms, "time never runs backwards");
            self.now_ms = time_ms;
            self.steps += 1;
            self.handle(event);
            if self.phase == Phase::Workload && self.clients_done == self.clients.len() {
                self.heal();
            }
        }
        self.stats.steps = self.steps;
        let history = self.history();
        (history, self.stats)
    }

    fn handle(&mut self, event: Event<S>) {
        match event {
            Event::Deliver {
                key,
                from,
                to,
                payload,
            } => {
                self.in_flight -= 1;
                self.deliver(key, from, to, payload);
            }
            Event::Timer {
                key,
                node,
                boot,
                timer,
            } => {
                let slot = &self.nodes[node as usize];
                if !slot.up || slot.boot != boot {
                    return;
                }
                if slot.paused > 0 {
                    self.deferred[node as usize].push(Event::Timer {
                        key,
                        node,
                        boot,
                        timer,
                    });
                    return;
                }
                self.call(node as usize, key, |store, state, out| {
                    store.on_timer(state, out, timer)
                });
            }
            Event::ClientNext { client } => self.client_next(client),
            Event::ClientTimeout { client, request } => self.client_timeout(client, request),
            Event::FaultStart(index) => {
                if self.phase == Phase::Workload {
                    self.start_fault(index);
                }
            }
            Event::FaultEnd(index) => self.end_fault(index),
            Event::QuietCheck => self.quiet_check(),
        }
    }

    fn link(&self, from: Endpoint, to: Endpoint) -> usize {
        self.index(from) * self.endpoints + self.index(to)
    }

    fn index(&self, endpoint: Endpoint) -> usize {
        match endpoint {
            Endpoint::Node(node) => node as usize,
            Endpoint::Client(client) => self.nodes.len() + client as usize,
        }
    }

    fn deliver(&mut self, key: u64, from: Endpoint, to: Endpoint, payload: Payload<S>) {
        if self.cut[self.link(from, to)] {
            self.stats.messages_dropped += 1;
            if let Some(trace) = self.trace.as_mut() {
                trace.dropped(key, self.now_ms, crate::history::DropReason::Partition);
            }
            return;
        }
        match to {
            Endpoint::Node(node) => {
                let slot = &self.nodes[node as usize];
                if !slot.up {
                    self.stats.messages_dropped += 1;
                    if let Some(trace) = self.trace.as_mut() {
                        trace.dropped(key, self.now_ms, crate::history::DropReason::NodeDown);
                    }
                    return;
                }
                if slot.paused > 0 {
                    self.in_flight += 1;
                    self.deferred[node as usize].push(Event::Deliver {
                        key,
                        from,
                        to,
                        payload,
                    });
                    return;
                }
                self.stats.messages_delivered += 1;
                if let Some(trace) = self.trace.as_mut() {
                    trace.delivered(key, self.now_ms);
                }
                match payload {
                    Payload::Message(message) => {
                        let Endpoint::Node(sender) = from else {
                            unreachable!("only nodes send node messages");
                        };
                        self.call(node as usize, key, |store, state, out| {
                            store.on_message(state, out, NodeId(sender), message)
                        });
                    }
                    Payload::Request(request) => {
                        self.call(node as usize, key, |store, state, out| {
                            store.on_request(state, out, *request)
                        });
                    }
                    Payload::Reply(..) => unreachable!("replies go to clients"),
                }
            }
            Endpoint::Client(client) => {
                self.stats.messages_delivered += 1;
                if let Some(trace) = self.trace.as_mut() {
                    trace.delivered(key, self.now_ms);
                }
                if let Payload::Reply(request, reply) = payload {
                    self.client_reply(client, request, *reply);
                }
            }
        }
    }

    /// Runs one handler on one node, for an event whose key is `cause`, and carries out its
    /// effects, each keyed by the cause and its rank.
    fn call(
        &mut self,
        node: usize,
        cause: u64,
        handler: impl FnOnce(&S, &mut S::Node, &mut StoreEffects<S>),
    ) {
        let slot = &mut self.nodes[node];
        let clock_ms = (self.now_ms as i64).saturating_add(slot.skew_ms).max(0) as u64;
        self.effects.reset(NodeId(node as u32), clock_ms);
        handler(self.store, &mut slot.state, &mut self.effects);
        if let Some(trace) = self.trace.as_mut() {
            trace.begin(cause);
        }
        self.trace_states(node);
        let from = Endpoint::Node(node as u32);
        let mut rank = 0u64;
        let mut effect_key = || {
            rank += 1;
            mix(cause ^ mix(rank))
        };
        let mut sends = std::mem::take(&mut self.effects.sends);
        for (to, message) in sends.drain(..) {
            assert!(
                to.0 < self.nodes.len() as u32,
                "node {node} sent a message to {to}, which does not exist"
            );
            let key = effect_key();
            self.send(key, from, Endpoint::Node(to.0), Payload::Message(message));
        }
        self.effects.sends = sends;
        let mut replies = std::mem::take(&mut self.effects.replies);
        for (request, reply) in replies.drain(..) {
            let client = (request.0 >> 32) as u32;
            let key = effect_key();
            if (client as usize) < self.clients.len() {
                self.send(
                    key,
                    from,
                    Endpoint::Client(client),
                    Payload::Reply(request, Box::new(reply)),
                );
            }
        }
        self.effects.replies = replies;
        let boot = self.nodes[node].boot;
        let mut timers = std::mem::take(&mut self.effects.timers);
        for (delay_ms, timer) in timers.drain(..) {
            let key = effect_key();
            if let Some(trace) = self.trace.as_mut() {
                trace.inherit(key);
            }
            self.push(
                self.now_ms.saturating_add(delay_ms),
                Event::Timer {
                    key,
                    node: node as u32,
                    boot,
                    timer,
                },
            );
        }
        self.effects.timers = timers;
        for index in self.effects.probes.drain(..) {
            if let Some(hits) = self.stats.probe_hits.get_mut(index) {
                *hits += 1;
            }
        }
    }

    /// A crash drops the messages a paused node was holding: the trace says so.
    fn trace_deferred_drops(&mut self, node: usize) {
        let Some(trace) = self.trace.as_mut() else {
            return;
        };
        for event in &self.deferred[node] {
            if let Event::Deliver { key, .. } = event {
                trace.dropped(*key, self.now_ms, crate::history::DropReason::NodeDown);
            }
        }
    }

    fn latency_ms(&self, random: u64) -> u64 {
        match &self.scenario.network.latency {
            &Latency::Constant { latency_ms } => latency_ms,
            &Latency::Uniform {
                latency_ms_min,
                latency_ms_max,
            } => latency_ms_min + below(random, latency_ms_max - latency_ms_min + 1),
            // Validated non-empty.
            Latency::Table { latency_ms } => {
                latency_ms[below(random, latency_ms.len() as u64) as usize]
            }
            &Latency::Exponential { latency_ms_mean } => {
                let sample = -(latency_ms_mean as f64) * unit(random).ln();
                (sample.round() as u64).min(latency_ms_mean.saturating_mul(20))
            }
        }
    }

    /// The latency of a message (`stream` and `key` name the network's draw for it; `jitter_key`
    /// names the message, a copy having a name of its own) under the delay and reorder faults in
    /// force. Without them only the network's draw is made, so runs without these faults are
    /// what they were before the faults existed.
    fn message_latency_ms(&self, stream: Stream, key: u64, jitter_key: u64) -> u64 {
        let seed = self.scenario.seed;
        let latency = self
            .latency_ms(draw(seed, stream, key))
            .saturating_mul(self.delay_factor);
        if self.jitter_ms == 0 {
            return latency;
        }
        latency.saturating_add(below(
            draw(seed, Stream::Reorder, jitter_key),
            self.jitter_ms + 1,
        ))
    }

    fn send(&mut self, key: u64, from: Endpoint, to: Endpoint, payload: Payload<S>) {
        self.stats.messages_sent += 1;
        if self.trace.is_some() {
            let summary = self.summary(&payload);
            let (from_traced, to_traced) = (Self::trace_endpoint(from), Self::trace_endpoint(to));
            if let Some(trace) = self.trace.as_mut() {
                trace.sent(key, self.now_ms, from_traced, to_traced, summary);
            }
        }
        if self.cut[self.link(from, to)] {
            self.stats.messages_dropped += 1;
            if let Some(trace) = self.trace.as_mut() {
                trace.dropped(key, self.now_ms, crate::history::DropReason::Partition);
            }
            return;
        }
        let seed = self.scenario.seed;
        if self.loss_per_million > 0
            && below(draw(seed, Stream::Loss, key), 1_000_000) < u64::from(self.loss_per_million)
        {
            self.stats.messages_dropped += 1;
            if let Some(trace) = self.trace.as_mut() {
                trace.dropped(key, self.now_ms, crate::history::DropReason::Lost);
            }
            return;
        }
        let time_ms =
            self.now_ms
                .saturating_add(self.message_latency_ms(Stream::Latency, key, key));
        // Clients talk to nodes over connections that never duplicate a request.
        if let Payload::Message(message) = &payload {
            if self.duplicate_per_million > 0
                && below(draw(seed, Stream::Duplicate, key), 1_000_000)
                    < u64::from(self.duplicate_per_million)
            {
                let copy = Payload::Message(message.clone());
                let time_ms_copy = self.now_ms.saturating_add(self.message_latency_ms(
                    Stream::DuplicateLatency,
                    key,
                    mix(key ^ 0xd0b1e),
                ));
                self.stats.messages_duplicated += 1;
                self.in_flight += 1;
                if let Some(trace) = self.trace.as_mut() {
                    trace.duplicated(key, mix(key ^ 0xd0b1e), self.now_ms);
                }
                self.push(
                    time_ms_copy,
                    Event::Deliver {
                        key: mix(key ^ 0xd0b1e),
                        from,
                        to,
                        payload: copy,
                    },
                );
            }
        }
        self.in_flight += 1;
        self.push(
            time_ms,
            Event::Deliver {
                key,
                from,
                to,
                payload,
            },
        );
    }

    fn client_next(&mut self, client: u32) {
        let slot = &mut self.clients[client as usize];
        if slot.open.is_some() || slot.done {
            return;
        }
        let program = &self.scenario.clients[client as usize];
        let Some(op) = program.ops.get(slot.next_step) else {
            slot.done = true;
            self.clients_done += 1;
            return;
        };
        let step = slot.next_step;
        slot.next_step += 1;
        if op.kind == ClientOpKind::Put {
            let value = Value::from(format!("c{client}.{step}"));
            self.invoke(
                client,
                step,
                RequestAction::Put {
                    value: value.clone(),
                    context: S::Context::default(),
                },
                Action::Put(Write {
                    value,
                    context: Vec::new(),
                }),
                false,
            );
        } else {
            let reading = op.kind != ClientOpKind::Get;
            self.invoke(
                client,
                step,
                RequestAction::Get,
                Action::Get {
                    values: Vec::new(),
                    context: None,
                },
                reading,
            );
        }
    }

    fn invoke(
        &mut self,
        client: u32,
        step: usize,
        action: RequestAction<S::Context>,
        recorded: Action,
        reading: bool,
    ) {
        let op = &self.scenario.clients[client as usize].ops[step];
        let key = Key::from(op.key.clone());
        let slot = &mut self.clients[client as usize];
        let request = RequestId((u64::from(client) << 32) | slot.requests);
        slot.requests += 1;
        let history = self.operations.len();
        self.operations.push(Operation {
            id: OpId(history as u64),
            client: ClientId(client),
            key: key.clone(),
            action: recorded,
            time_ms_invoke: self.now_ms,
            time_ms_complete: None,
            outcome: Outcome::Info,
            meta: None,
        });
        slot.open = Some(OpenOp {
            step,
            history,
            request,
            reading,
        });
        // The request's identity: its client, its step, and which half of a read-modify-write.
        let phase = u64::from(matches!(action, RequestAction::Get));
        let key_request = identity(&[u64::from(client), step as u64, phase]);
        let pick = match op.coordinator {
            Some(position) => u64::from(position),
            None => draw(self.scenario.seed, Stream::Route, key_request),
        };
        let node = self.store.route(&key, pick);
        assert!(
            node.0 < self.nodes.len() as u32,
            "the store routed {key} to {node}, which does not exist"
        );
        if let Some(trace) = self.trace.as_mut() {
            trace.begin_op(OpId(history as u64), &key);
        }
        self.send(
            key_request,
            Endpoint::Client(client),
            Endpoint::Node(node.0),
            Payload::Request(Box::new(Request {
                id: request,
                key,
                action,
            })),
        );
        self.push(
            self.now_ms
                .saturating_add(self.scenario.config.client_timeout_ms),
            Event::ClientTimeout { client, request },
        );
    }

    /// The client's next step, after its think time and the step's own delay.
    fn schedule_next(&mut self, client: u32) {
        let program = &self.scenario.clients[client as usize];
        let slot = &self.clients[client as usize];
        let delay_ms = program.ops.get(slot.next_step).map_or(0, |op| op.delay_ms);
        self.push(
            self.now_ms
                .saturating_add(program.think_ms)
                .saturating_add(delay_ms),
            Event::ClientNext { client },
        );
    }

    fn client_reply(&mut self, client: u32, request: RequestId, reply: Reply<S::Context>) {
        let slot = &mut self.clients[client as usize];
        let Some(open) = slot.open.take_if(|open| open.request == request) else {
            // The client gave up on this request already: its outcome stays `info`, but what
            // the store says it did (a write's dot or timestamp) is still white-box evidence.
            if let Some(index) = self.abandoned.remove(&request) {
                super::record_abandoned_reply(&mut self.operations[index], reply);
            }
            return;
        };
        let read = super::record_reply(&mut self.operations[open.history], reply, self.now_ms);
        match (open.reading, read) {
            (true, Some((versions, context))) => {
                let kind = self.scenario.clients[client as usize].ops[open.step].kind;
                let (action, recorded) =
                    super::write_after_read(client, open.step, kind, versions, context);
                self.invoke(client, open.step, action, recorded, false);
            }
            _ => self.schedule_next(client),
        }
    }

    fn client_timeout(&mut self, client: u32, request: RequestId) {
        let slot = &mut self.clients[client as usize];
        let Some(open) = slot.open.take_if(|open| open.request == request) else {
            return;
        };
        let operation = &mut self.operations[open.history];
        operation.outcome = Outcome::Info;
        operation.time_ms_complete = Some(self.now_ms);
        if operation.kind() != crate::history::OpKind::Get {
            self.abandoned.insert(request, open.history);
        }
        self.schedule_next(client);
    }

    fn start_fault(&mut self, index: usize) {
        let fault = &self.scenario.faults[index];
        let mut nodes = Vec::new();
        let mut loses_data = false;
        let description;
        match &fault.kind {
            FaultKind::Partition {
                nodes: group,
                clients,
                direction,
            } => {
                nodes = group.iter().map(|&node| NodeId(node)).collect();
                let way = match direction {
                    Direction::Both => "cut off from",
                    Direction::Inbound => "unreachable from",
                    Direction::Outbound => "unable to reach",
                };
                description = format!("nodes {group:?} and clients {clients:?} {way} the rest");
            }
            &FaultKind::DiskLoss { node } => {
                let slot = &mut self.nodes[node as usize];
                if !slot.up {
                    return; // already down: this loss changes nothing
                }
                slot.up = false;
                slot.boot += 1;
                self.store.on_disk_loss(NodeId(node), &mut slot.state);
                loses_data = true;
                self.trace_deferred_drops(node as usize);
                let dropped = self.deferred[node as usize]
                    .drain(..)
                    .filter(|event| matches!(event, Event::Deliver { .. }))
                    .count() as u64;
                self.in_flight -= dropped;
                self.stats.messages_dropped += dropped;
                nodes.push(NodeId(node));
                description = format!("n{node} lost its disk");
            }
            FaultKind::Crash { node } => {
                let slot = &mut self.nodes[*node as usize];
                if !slot.up {
                    return; // already down: this crash changes nothing
                }
                slot.up = false;
                slot.boot += 1;
                loses_data = self.store.on_crash(&mut slot.state);
                self.trace_deferred_drops(*node as usize);
                let dropped = self.deferred[*node as usize]
                    .drain(..)
                    .filter(|event| matches!(event, Event::Deliver { .. }))
                    .count() as u64;
                self.in_flight -= dropped;
                self.stats.messages_dropped += dropped;
                nodes.push(NodeId(*node));
                description = format!(
                    "n{node} crashed{}",
                    if loses_data {
                        ", losing what it had not synced"
                    } else {
                        ""
                    }
                );
            }
            FaultKind::Pause { node } => {
                self.nodes[*node as usize].paused += 1;
                nodes.push(NodeId(*node));
                description = format!("n{node} paused");
            }
            FaultKind::ClockSkew { node, skew_ms } => {
                nodes.push(NodeId(*node));
                description = format!("n{node}'s clock off by {skew_ms} ms");
            }
            FaultKind::Loss { per_million } => {
                description = format!("{per_million} messages in a million lost");
            }
            FaultKind::Duplicate { per_million } => {
                description = format!("{per_million} messages in a million duplicated");
            }
            FaultKind::Delay { factor } => {
                description = format!("every message's latency {factor} times as long");
            }
            FaultKind::Reorder { jitter_ms } => {
                description =
                    format!("every message delayed by up to {jitter_ms} ms more, out of order");
            }
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.fault(self.fault_records.len(), self.now_ms, true);
        }
        for node in nodes.clone() {
            self.trace_states(node.0 as usize);
        }
        self.fault_active[index] = Some(self.fault_records.len());
        self.fault_records.push(FaultRecord {
            kind: fault.kind.fault_type(),
            time_ms_start: self.now_ms,
            time_ms_end: None,
            nodes,
            loses_data,
            description,
        });
        self.stats.faults_injected += 1;
        self.recompute_network();
        if let Some(end) = fault.time_ms_end {
            self.push(end.max(self.now_ms), Event::FaultEnd(index));
        }
    }

    fn end_fault(&mut self, index: usize) {
        let Some(record) = self.fault_active[index].take() else {
            return;
        };
        // A fault that lasts to the end of the workload has no end in the record (the history
        // format's convention); the heal ends it all the same.
        if self.phase == Phase::Workload && self.clients_done < self.clients.len() {
            self.fault_records[record].time_ms_end = Some(self.now_ms);
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.fault(record, self.now_ms, false);
        }
        match self.scenario.faults[index].kind {
            FaultKind::Crash { node } | FaultKind::DiskLoss { node } => {
                let slot = &mut self.nodes[node as usize];
                slot.up = true;
                let cause = boot_key(node, slot.boot);
                self.call(node as usize, cause, |store, state, out| {
                    store.on_start(state, out)
                });
            }
            FaultKind::Pause { node } => {
                let slot = &mut self.nodes[node as usize];
                slot.paused -= 1;
                if slot.paused == 0 {
                    let deferred = std::mem::take(&mut self.deferred[node as usize]);
                    for event in deferred {
                        self.push(self.now_ms, event);
                    }
                }
            }
            _ => {}
        }
        self.recompute_network();
    }

    /// Partitions, loss, duplication and skew from the faults active now.
    fn recompute_network(&mut self) {
        self.cut.iter_mut().for_each(|cut| *cut = false);
        self.loss_per_million = 0;
        self.duplicate_per_million = 0;
        self.delay_factor = 1;
        self.jitter_ms = 0;
        for slot in &mut self.nodes {
            slot.skew_ms = 0;
        }
        let endpoints = self.endpoints;
        let node_count = self.nodes.len();
        for (index, fault) in self.scenario.faults.iter().enumerate() {
            if self.fault_active[index].is_none() {
                continue;
            }
            match &fault.kind {
                FaultKind::Partition {
                    nodes,
                    clients,
                    direction,
                } => {
                    let mut inside = vec![false; endpoints];
                    for &node in nodes {
                        inside[node as usize] = true;
                    }
                    for &client in clients {
                        inside[node_count + client as usize] = true;
                    }
                    for from in 0..endpoints {
                        for to in 0..endpoints {
                            let cut = match direction {
                                Direction::Both => inside[from] != inside[to],
                                Direction::Inbound => !inside[from] && inside[to],
                                Direction::Outbound => inside[from] && !inside[to],
                            };
                            if cut {
                                self.cut[from * endpoints + to] = true;
                            }
                        }
                    }
                }
                FaultKind::ClockSkew { node, skew_ms } => {
                    let slot = &mut self.nodes[*node as usize];
                    slot.skew_ms = slot.skew_ms.saturating_add(*skew_ms);
                }
                FaultKind::Loss { per_million } => {
                    self.loss_per_million = self.loss_per_million.max(*per_million);
                }
                FaultKind::Duplicate { per_million } => {
                    self.duplicate_per_million = self.duplicate_per_million.max(*per_million);
                }
                FaultKind::Delay { factor } => {
                    self.delay_factor = self.delay_factor.max(u64::from(*factor));
                }
                FaultKind::Reorder { jitter_ms } => {
                    self.jitter_ms = self.jitter_ms.max(*jitter_ms);
                }
                FaultKind::Crash { .. } | FaultKind::DiskLoss { .. } | FaultKind::Pause { .. } => {}
            }
        }
    }

    /// The workload is over: end every fault, then wait for the store to go quiet.
    fn heal(&mut self) {
        for index in 0..self.fault_active.len() {
            self.end_fault(index);
        }
        self.phase = Phase::Settle;
        self.time_ms_heal = self.now_ms;
        self.time_ms_last_change = self.now_ms;
        self.changes_last = self.total_changes();
        self.push(self.now_ms + QUIET_CHECK_MS, Event::QuietCheck);
    }

    fn total_changes(&self) -> u64 {
        self.nodes
            .iter()
            .map(|slot| self.store.changes(&slot.state))
            .sum()
    }

    fn quiet_check(&mut self) {
        let changes = self.total_changes();
        if changes != self.changes_last {
            self.changes_last = changes;
            self.time_ms_last_change = self.now_ms;
        }
        let idle = self.in_flight == 0
            && self
                .nodes
                .iter()
                .all(|slot| slot.up && self.store.is_quiet(&slot.state));
        let still_ms = self.now_ms - self.time_ms_last_change;
        let window_ms = self.store.quiet_window_ms();
        if idle && still_ms >= window_ms {
            self.quiescent = true;
            self.phase = Phase::Done;
        } else if self.now_ms - self.time_ms_heal >= self.scenario.bounds.settle_ms_max {
            self.bound_hit = Some(format!(
                "settle_ms_max = {}: not quiet",
                self.scenario.bounds.settle_ms_max
            ));
            self.phase = Phase::Done;
        } else {
            // Busy: look again soon. Idle: nothing can be decided before the window has passed
            // (a change meanwhile restarts the window from the check that sees it, which only
            // errs on the side of waiting longer).
            let wait_ms = if idle {
                (window_ms - still_ms).max(QUIET_CHECK_MS)
            } else {
                QUIET_CHECK_MS
            };
            // Never past the settle bound, so that hitting it is seen when it happens.
            let time_ms_bound = self
                .time_ms_heal
                .saturating_add(self.scenario.bounds.settle_ms_max);
            let time_ms_next = self.now_ms.saturating_add(wait_ms).min(time_ms_bound);
            self.push(time_ms_next, Event::QuietCheck);
        }
    }

    fn history(&mut self) -> History {
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
                replicas.push(
                    self.store
                        .snapshot(&self.nodes[node.0 as usize].state, &key),
                );
            }
        }
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
                time_ms_end: self.now_ms,
                quiescent: self.quiescent,
                bound_hit: self.bound_hit.clone(),
            }),
            trace: self.trace.take().map(|trace| trace.finish()),
        }
    }
}
