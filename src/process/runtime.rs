//! The event loop of a process-mode run: start the nodes, `init` them, drive the clients, route
//! node-to-node messages through the [`Router`], inject the scheduled faults, heal, drain, reap,
//! write the files and judge the history.
//!
//! One thread decides everything (the node threads only move bytes), so the order of decisions,
//! and with it every draw, is the order of events as this thread sees them. What it must never
//! do: block on a node (every write goes through the node's writer thread), or return without
//! having reaped every node (each `NodeProcess` reaps itself when dropped).

use std::collections::{BinaryHeap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::{json, Value as Json};

use super::clients::Clients;
use super::lin_kv::Ended;
use super::net::{self, Decision, Effect, Planned, Router};
use super::node::{self, Input, NodeProcess};
use super::output::{self, MessageLog};
use super::trace::{self, Recorder};
use super::{Counts, Options, Outcome, ProcessError};
use crate::history::{DropReason, FaultRecord, OpId};

/// How many lines of the nodes' stdout may wait for the router before their readers block.
const INPUT_BACKLOG: usize = 1 << 14;

/// What a run reports while it runs, about once a second.
#[derive(Clone, Debug)]
pub struct Progress {
    /// Time since the workload started.
    pub elapsed: Duration,
    /// What the run is doing (`init`, `workload`, `drain`, …).
    pub phase: &'static str,
    /// The counts so far.
    pub counts: Counts,
    /// The faults in force, in words.
    pub faults: Vec<String>,
}

/// Something due at a time.
#[derive(Debug)]
enum Timer {
    Deliver {
        to: usize,
        text: String,
        /// Its number in the trace, if recorded.
        message: Option<u64>,
    },
    Invoke {
        client: usize,
    },
    Timeout {
        client: usize,
        msg_id: u64,
    },
    FaultStart(usize),
    FaultEnd(usize),
    /// A restarted node must have answered its fresh init by now.
    InitCheck {
        node: usize,
        incarnation: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeState {
    Up,
    Paused,
    Down,
}

#[derive(Debug)]
struct Slot {
    name: String,
    process: Option<NodeProcess>,
    incarnation: u32,
    state: NodeState,
    init_msg: Option<u64>,
    ready: bool,
}

struct Runtime<'a> {
    options: &'a Options,
    bin: PathBuf,
    slots: Vec<Slot>,
    sender: SyncSender<Input>,
    timers: BinaryHeap<std::cmp::Reverse<(Instant, u64)>>,
    due: HashMap<u64, Timer>,
    timer_seq: u64,
    router: Router,
    clients: Clients,
    last_invoke: Vec<Instant>,
    planned: Vec<Planned>,
    /// The record of each fault that started, by its index in `planned`.
    records: Vec<(usize, FaultRecord)>,
    active: Vec<usize>,
    origin: Instant,
    phase: &'static str,
    counts: Counts,
    log: MessageLog,
    trace: Recorder,
    next_init_id: u64,
}

pub(super) fn run(
    options: &Options,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Outcome, ProcessError> {
    let bin = node::check_bin(&options.bin)?;
    let io = |path: &Path, error: std::io::Error| ProcessError::Io {
        path: path.display().to_string(),
        reason: error.to_string(),
    };
    let log_path = options.out.join("messages.log");
    let log = File::create(&log_path).map_err(|error| io(&log_path, error))?;
    for node in 0..options.node_count {
        // Each run starts each node's stderr afresh (restarts append to it).
        let path = node::stderr_path(&options.out, &format!("n{node}"));
        File::create(&path).map_err(|error| io(&path, error))?;
    }
    // Bounded: a node that floods its stdout faster than the router reads it is held back (its
    // reader thread, then its own writes, block) instead of filling quorate's memory.
    let (sender, receiver) = sync_channel(INPUT_BACKLOG);
    let now = Instant::now();
    let mut runtime = Runtime {
        options,
        bin,
        slots: (0..options.node_count)
            .map(|node| Slot {
                name: format!("n{node}"),
                process: None,
                incarnation: 0,
                state: NodeState::Down,
                init_msg: None,
                ready: false,
            })
            .collect(),
        sender,
        timers: BinaryHeap::new(),
        due: HashMap::new(),
        timer_seq: 0,
        router: Router::new(options.seed, options.latency),
        clients: Clients::new(options),
        last_invoke: vec![now; options.concurrency],
        planned: net::schedule(
            &options.nemesis,
            options.node_count,
            options.time_limit,
            options.nemesis_interval,
            options.latency,
            options.seed,
        ),
        records: Vec::new(),
        active: Vec::new(),
        origin: now,
        phase: "init",
        counts: Counts::default(),
        log: MessageLog::new(log),
        trace: Recorder::new(options.trace, trace::TRACE_EVENTS),
        next_init_id: 1,
    };
    let error = runtime.drive(&receiver, stop, progress).err();
    runtime.finish();
    let faults = runtime.records.iter().map(|(_, r)| r.clone()).collect();
    match &runtime.clients {
        Clients::LinKv(clients) => {
            output::write_and_judge(options, &clients.edn(), faults, runtime.counts, error)
        }
        Clients::MvrKv(clients) => {
            let trace = runtime.trace.take();
            output::write_and_judge_mvr(options, clients, (faults, trace), runtime.counts, error)
        }
    }
}

impl Runtime<'_> {
    fn now_ns(&self) -> u64 {
        self.origin.elapsed().as_nanos() as u64
    }

    fn at(&mut self, when: Instant, timer: Timer) {
        self.timer_seq += 1;
        self.due.insert(self.timer_seq, timer);
        self.timers.push(std::cmp::Reverse((when, self.timer_seq)));
    }

    fn spawn(&mut self, node: usize) -> Result<(), ProcessError> {
        let slot = &mut self.slots[node];
        slot.incarnation += 1;
        let out = &self.options.out;
        let process = NodeProcess::spawn(
            &self.bin,
            &self.options.args,
            node,
            slot.incarnation,
            &node::stderr_path(out, &slot.name),
            &out.join("nodes").join(&slot.name),
            self.sender.clone(),
        )
        .map_err(|error| ProcessError::Bin {
            path: self.options.bin.display().to_string(),
            reason: format!("cannot start node {}: {error}", slot.name),
        })?;
        let msg_id = self.next_init_id;
        self.next_init_id += 1;
        let ids: Vec<String> = (0..self.options.node_count)
            .map(|n| format!("n{n}"))
            .collect();
        let init = json!({"src": "c0", "dest": slot.name, "body": {
            "type": "init", "msg_id": msg_id, "node_id": slot.name, "node_ids": ids}});
        process.send(init.to_string());
        slot.process = Some(process);
        slot.state = NodeState::Up;
        slot.init_msg = Some(msg_id);
        slot.ready = false;
        Ok(())
    }

    fn drive(
        &mut self,
        receiver: &Receiver<Input>,
        stop: &AtomicBool,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<(), ProcessError> {
        for node in 0..self.slots.len() {
            self.spawn(node)?;
        }
        // Init: every node answers init_ok, or the run stops naming the first that did not.
        let deadline = Instant::now() + self.options.init_timeout;
        while self.slots.iter().any(|slot| !slot.ready) {
            if stop.load(Ordering::SeqCst) {
                return Err(ProcessError::Interrupted);
            }
            let now = Instant::now();
            if now >= deadline {
                let slot = self
                    .slots
                    .iter()
                    .find(|slot| !slot.ready)
                    .expect("one is not ready");
                return Err(self.init_timeout(&slot.name));
            }
            self.step(receiver, deadline.min(now + Duration::from_millis(100)))?;
        }
        // The workload.
        self.origin = Instant::now();
        self.phase = "workload";
        self.trace.begin();
        let end = self.origin + self.options.time_limit;
        let period = self.period();
        for client in 0..self.clients.len() {
            let offset = period.mul_f64(client as f64 / self.clients.len() as f64);
            self.at(self.origin + offset, Timer::Invoke { client });
        }
        for index in 0..self.planned.len() {
            let fault = &self.planned[index];
            let (start, stop_at) = (self.origin + fault.start, self.origin + fault.end);
            self.at(start, Timer::FaultStart(index));
            self.at(stop_at, Timer::FaultEnd(index));
        }
        let mut next_report = self.origin + Duration::from_secs(1);
        loop {
            if stop.load(Ordering::SeqCst) {
                return Err(ProcessError::Interrupted);
            }
            let now = Instant::now();
            if now >= next_report {
                next_report += Duration::from_secs(1);
                progress(&self.progress());
            }
            if self.phase == "workload" && now >= end {
                self.heal_all()?;
                self.phase = "drain";
            }
            // The drain ends when every client has its answer (or gave up) and every node is up
            // and initialised again (a node restarted at the heal has answered its fresh init).
            let drained = !self.clients.any_busy() && self.slots.iter().all(|slot| slot.ready);
            let drain_limit = (self.options.timeout * 2).max(self.options.init_timeout);
            if self.phase == "drain" && (drained || now >= end + drain_limit) {
                break;
            }
            self.step(receiver, next_report.min(now + Duration::from_millis(50)))?;
        }
        progress(&self.progress());
        // A node restarted at the heal that never answered its init breaks the protocol too.
        if let Some(slot) = self.slots.iter().find(|slot| !slot.ready) {
            return Err(self.init_timeout(&slot.name));
        }
        if let Clients::MvrKv(_) = self.clients {
            self.final_reads(receiver, stop, progress)?;
        }
        Ok(())
    }

    /// `mvr-kv`'s end: the settle time (messages still routed, no fault), then every node reads
    /// every key the workload used, one reader per node, each read bounded by `--timeout`.
    fn final_reads(
        &mut self,
        receiver: &Receiver<Input>,
        stop: &AtomicBool,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<(), ProcessError> {
        self.phase = "settle";
        progress(&self.progress());
        let settled = Instant::now() + self.options.settle;
        while Instant::now() < settled {
            if stop.load(Ordering::SeqCst) {
                return Err(ProcessError::Interrupted);
            }
            self.step(
                receiver,
                settled.min(Instant::now() + Duration::from_millis(50)),
            )?;
        }
        self.phase = "final reads";
        progress(&self.progress());
        let Clients::MvrKv(clients) = &mut self.clients else {
            return Ok(());
        };
        clients.start_final_reads();
        let first = clients.len();
        for reader in first..first + clients.readers() {
            self.at(Instant::now(), Timer::Invoke { client: reader });
        }
        loop {
            if stop.load(Ordering::SeqCst) {
                return Err(ProcessError::Interrupted);
            }
            let Clients::MvrKv(clients) = &self.clients else {
                return Ok(());
            };
            if !clients.reading() {
                break;
            }
            self.step(receiver, Instant::now() + Duration::from_millis(50))?;
        }
        progress(&self.progress());
        Ok(())
    }

    fn init_timeout(&self, name: &str) -> ProcessError {
        let restarted = self
            .slots
            .iter()
            .any(|slot| slot.name == name && slot.incarnation > 1);
        ProcessError::InitTimeout {
            node: name.to_string(),
            restarted,
            seconds: self.options.init_timeout.as_secs_f64(),
            stderr: node::stderr_tail(&node::stderr_path(&self.options.out, name), 5),
        }
    }

    /// The time between one client's invocations that gives `--rate` over all clients.
    fn period(&self) -> Duration {
        Duration::from_secs_f64(self.clients.len() as f64 / self.options.rate)
    }

    fn progress(&self) -> Progress {
        Progress {
            elapsed: self.origin.elapsed(),
            phase: self.phase,
            counts: self.counts.clone(),
            faults: self
                .active
                .iter()
                .map(|index| self.planned[*index].record().description)
                .collect(),
        }
    }

    /// Runs every timer due now, then waits for one input until `until` (or the next timer).
    fn step(&mut self, receiver: &Receiver<Input>, until: Instant) -> Result<(), ProcessError> {
        while let Some(std::cmp::Reverse((when, seq))) = self.timers.peek().copied() {
            if when > Instant::now() {
                break;
            }
            self.timers.pop();
            if let Some(timer) = self.due.remove(&seq) {
                self.fire(timer)?;
            }
        }
        let next_timer = self.timers.peek().map(|std::cmp::Reverse((when, _))| *when);
        let wait_until = next_timer.map_or(until, |when| when.min(until));
        let wait = wait_until.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(wait) {
            Ok(input) => self.input(input),
            Err(RecvTimeoutError::Timeout) => Ok(()),
            // The runtime holds a sender itself, so the channel never disconnects.
            Err(RecvTimeoutError::Disconnected) => Ok(()),
        }
    }

    fn fire(&mut self, timer: Timer) -> Result<(), ProcessError> {
        match timer {
            Timer::Deliver { to, text, message } => self.deliver(to, text, message),
            Timer::Invoke { client } => {
                // Workload clients invoke during the workload, final readers during the final reads.
                let reader = client >= self.clients.len();
                let phase = if reader { "final reads" } else { "workload" };
                if self.phase == phase && !self.clients.busy(client) {
                    let time = self.now_ns();
                    let op = self.clients.operation_count().filter(|_| !reader);
                    let Some((node, message, msg_id)) = self.clients.invoke(client, time) else {
                        return Ok(());
                    };
                    if reader {
                        self.counts.final_reads += 1;
                    } else {
                        self.counts.invoked += 1;
                    }
                    if let Some(last) = self.last_invoke.get_mut(client) {
                        *last = Instant::now();
                    }
                    let sent = op.and_then(|op| {
                        let ends = (client, node);
                        self.trace
                            .request(time / 1_000_000, ends, OpId(op as u64), &message)
                    });
                    self.deliver(node, message, sent);
                    let deadline = Instant::now() + self.options.timeout;
                    self.at(deadline, Timer::Timeout { client, msg_id });
                }
            }
            Timer::Timeout { client, msg_id } => {
                if self.clients.time_out(client, msg_id, self.now_ns()) {
                    if client < self.clients.len() {
                        self.counts.info += 1;
                    }
                    self.next_invoke(client);
                }
            }
            Timer::FaultStart(index) => self.start_fault(index)?,
            Timer::FaultEnd(index) => self.end_fault(index)?,
            Timer::InitCheck { node, incarnation } => {
                let slot = &self.slots[node];
                if slot.incarnation == incarnation && slot.state != NodeState::Down && !slot.ready {
                    return Err(self.init_timeout(&slot.name));
                }
            }
        }
        Ok(())
    }

    fn next_invoke(&mut self, client: usize) {
        if client >= self.clients.len() {
            // A final reader reads its next key at once.
            self.at(Instant::now(), Timer::Invoke { client });
            return;
        }
        let when = (self.last_invoke[client] + self.period()).max(Instant::now());
        self.at(when, Timer::Invoke { client });
    }

    /// Hands `text` (the trace's `message`, if recorded) to node `to`; lost if the node is down
    /// or its backlog is full.
    fn deliver(&mut self, to: usize, text: String, message: Option<u64>) {
        let millis = self.now_ns() / 1_000_000;
        let slot = &self.slots[to];
        let lost = match (&slot.process, slot.state) {
            (Some(process), NodeState::Up | NodeState::Paused) => {
                let lost = !process.send(text);
                self.counts.backlog_lost += u64::from(lost);
                lost.then_some(DropReason::Lost)
            }
            _ => Some(DropReason::NodeDown),
        };
        match lost {
            Some(reason) => self.trace.lost(message, millis, reason),
            None => self.trace.arrived(message, millis),
        }
    }

    fn start_fault(&mut self, index: usize) -> Result<(), ProcessError> {
        if self.phase != "workload" {
            return Ok(());
        }
        let fault = self.planned[index].clone();
        let mut record = fault.record();
        record.time_ms_start = self.origin.elapsed().as_millis() as u64;
        record.time_ms_end = None;
        let time = self.now_ns();
        self.clients.nemesis(
            &format!("start-{}", fault.kind.cli_name()),
            &record.description,
            time,
        );
        self.log.line(format_args!(
            "{} nemesis start: {}",
            time / 1_000_000,
            record.description
        ));
        match &fault.effect {
            Effect::Kill { node } => {
                let slot = &mut self.slots[*node];
                if let Some(mut process) = slot.process.take() {
                    process.kill_and_reap();
                }
                slot.state = NodeState::Down;
                slot.ready = false;
            }
            Effect::Pause { node } => {
                let slot = &mut self.slots[*node];
                if let Some(process) = &slot.process {
                    process.signal(Signal::SIGSTOP);
                    slot.state = NodeState::Paused;
                }
            }
            effect => self.router.start(effect.clone()),
        }
        self.trace
            .fault_start(self.records.len(), record.time_ms_start);
        self.records.push((index, record));
        self.active.push(index);
        Ok(())
    }

    fn end_fault(&mut self, index: usize) -> Result<(), ProcessError> {
        let Some(position) = self.active.iter().position(|active| *active == index) else {
            return Ok(());
        };
        self.active.remove(position);
        let fault = self.planned[index].clone();
        match &fault.effect {
            Effect::Kill { node } => {
                self.spawn(*node)?;
                self.counts.restarts += 1;
                let incarnation = self.slots[*node].incarnation;
                let when = Instant::now() + self.options.init_timeout;
                self.at(
                    when,
                    Timer::InitCheck {
                        node: *node,
                        incarnation,
                    },
                );
            }
            Effect::Pause { node } => {
                let slot = &mut self.slots[*node];
                if let Some(process) = &slot.process {
                    process.signal(Signal::SIGCONT);
                }
                slot.state = NodeState::Up;
            }
            effect => self.router.heal(effect),
        }
        let time = self.now_ns();
        let millis = self.origin.elapsed().as_millis() as u64;
        if let Some(number) = self.records.iter().position(|(i, _)| *i == index) {
            self.records[number].1.time_ms_end = Some(millis);
            self.trace.fault_end(number, millis);
        }
        let description = fault.record().description;
        self.clients.nemesis(
            &format!("stop-{}", fault.kind.cli_name()),
            &description,
            time,
        );
        self.log.line(format_args!(
            "{} nemesis heal: {description}",
            time / 1_000_000
        ));
        Ok(())
    }

    fn heal_all(&mut self) -> Result<(), ProcessError> {
        for index in self.active.clone() {
            self.end_fault(index)?;
        }
        self.router.heal_all();
        Ok(())
    }

    fn input(&mut self, input: Input) -> Result<(), ProcessError> {
        match input {
            Input::Closed { node, incarnation } => {
                let slot = &mut self.slots[node];
                if slot.incarnation != incarnation || slot.state == NodeState::Down {
                    return Ok(());
                }
                let mut status = "its exit status is unknown".to_string();
                if let Some(process) = slot.process.as_mut() {
                    for _ in 0..100 {
                        if let Some(exited) = process.exited() {
                            status = exited;
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
                Err(ProcessError::Exited {
                    node: slot.name.clone(),
                    phase: self.phase,
                    status,
                    stderr: node::stderr_tail(&node::stderr_path(&self.options.out, &slot.name), 5),
                })
            }
            Input::Line {
                node,
                incarnation,
                line,
                text,
            } => {
                if self.slots[node].incarnation != incarnation {
                    return Ok(());
                }
                let protocol = |reason: String, text: &str| ProcessError::Protocol {
                    node: format!("n{node}"),
                    line,
                    reason,
                    text: super::shorten(text, 200),
                };
                let text = text.map_err(|lossy| protocol("not UTF-8".into(), &lossy))?;
                self.message(node, &text)
                    .map_err(|reason| protocol(reason, &text))
            }
        }
    }

    /// One message a node wrote: to quorate (`c0`), to a client, or to another node.
    fn message(&mut self, from: usize, text: &str) -> Result<(), String> {
        let message: Json =
            serde_json::from_str(text).map_err(|error| format!("not a JSON message ({error})"))?;
        let dest = message
            .get("dest")
            .and_then(Json::as_str)
            .ok_or("a message without a string \"dest\"")?;
        let body = message
            .get("body")
            .filter(|body| body.is_object())
            .ok_or("a message without an object \"body\"")?;
        body.get("type")
            .and_then(Json::as_str)
            .ok_or("a body without a string \"type\"")?;
        let name = &self.slots[from].name;
        match message.get("src").and_then(Json::as_str) {
            Some(src) if src == name => {}
            other => {
                return Err(format!(
                    "\"src\" is {other:?}, but the message came from {name}"
                ))
            }
        }
        if dest == "c0" {
            let slot = &mut self.slots[from];
            let answers_init = body.get("in_reply_to").and_then(Json::as_u64) == slot.init_msg;
            if body["type"] == "init_ok" && answers_init {
                slot.ready = true;
            } else {
                self.counts.late_or_duplicate_replies += 1;
            }
            return Ok(());
        }
        if let Some(client) = self.clients.parse_name(dest) {
            let time = self.now_ns();
            if client < self.clients.len() {
                let sent = self.trace.reply(time / 1_000_000, (from, client), body);
                self.trace.arrived(sent, time / 1_000_000);
            }
            match self.clients.reply(client, body, time)? {
                Some(_) if client >= self.clients.len() => self.next_invoke(client),
                Some(ended) => {
                    match ended {
                        Ended::Ok => self.counts.ok += 1,
                        Ended::Fail => self.counts.fail += 1,
                        Ended::Info => self.counts.info += 1,
                    }
                    self.next_invoke(client);
                }
                None => self.counts.late_or_duplicate_replies += 1,
            }
            return Ok(());
        }
        let target = dest
            .strip_prefix('n')
            .and_then(|number| number.parse::<usize>().ok())
            .filter(|number| *number < self.slots.len());
        let Some(to) = target else {
            self.counts.unknown_destination += 1;
            self.log.line(format_args!(
                "{} {name} -> {dest} unknown destination, dropped",
                self.now_ns() / 1_000_000
            ));
            return Ok(());
        };
        self.counts.routed += 1;
        let decision = self.router.decide(from, to);
        let millis = self.now_ns() / 1_000_000;
        let sent = self.trace.node_message(millis, (from, to), body);
        match decision {
            Decision::Drop(why) => {
                self.trace.lost(sent, millis, trace::drop_reason(why));
                self.counts.dropped += 1;
                self.log.line(format_args!(
                    "{millis} {name} -> n{to} dropped ({why}) {text}"
                ));
            }
            Decision::Deliver(delays) => {
                if delays.len() > 1 {
                    self.counts.duplicated += 1;
                }
                let shown: Vec<String> = delays
                    .iter()
                    .map(|d| format!("+{}us", d.as_micros()))
                    .collect();
                self.log.line(format_args!(
                    "{millis} {name} -> n{to} {} {text}",
                    shown.join(" ")
                ));
                for (copy, delay) in delays.into_iter().enumerate() {
                    let message = match copy {
                        0 => sent,
                        _ => self.trace.copy(sent, millis),
                    };
                    if delay.is_zero() {
                        self.deliver(to, text.to_string(), message);
                    } else {
                        let (when, text) = (Instant::now() + delay, text.to_string());
                        self.at(when, Timer::Deliver { to, text, message });
                    }
                }
            }
        }
        Ok(())
    }

    /// Ends what is still open, reaps every node and flushes the message log.
    fn finish(&mut self) {
        let time = self.now_ns();
        self.clients.abandon_all(time, &mut self.counts);
        for slot in &mut self.slots {
            if let Some(mut process) = slot.process.take() {
                process.kill_and_reap();
            }
            slot.state = NodeState::Down;
        }
        self.log.flush();
    }
}
