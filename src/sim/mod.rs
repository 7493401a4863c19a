//! The deterministic simulator: turns a [`Scenario`] (configuration, client programs, fault
//! schedule, seed) into a [`History`] with final replica snapshots, by running a [`Store`] in
//! simulated time (docs/DESIGN.md §2; FoundationDB's and TigerBeetle's simulation testing).
//!
//! It owns the world around the store: simulated milliseconds, one event queue, the network
//! (latency, loss, duplication, reordering, partitions), node faults (crash, restart, pause,
//! clock skew) and sequential clients. A run has three phases: the workload under faults; heal
//! everything; run until the store is quiet (bounded), then snapshot every replica of every key.
//!
//! What it must never do: read the wall clock, spawn threads, open sockets, or use randomness
//! that is not derived from the scenario's seed and the stable identity of what is drawn (a
//! client's step; a message or timer, named by the event that caused it and its rank among that
//! event's effects). The same scenario gives the same
//! history, byte for byte. It never looks inside a node's state: only the [`Store`] trait.
//!
//! ```
//! use quorate::config::Config;
//! use quorate::gen::{self, WorkloadOptions};
//! use quorate::sim;
//!
//! let scenario = gen::workload(Config::preset("dynamo").unwrap(), 1, &WorkloadOptions::default()).unwrap();
//! let output = sim::run(&scenario).unwrap();
//! output.history.validate().unwrap();
//! assert_eq!(output.history.to_json(), sim::run(&scenario).unwrap().history.to_json());
//! ```

mod engine;
mod rng;
mod scenario;
mod trace;

use crate::history::{Action, History, Operation, Outcome, ReadValue, StoreMeta, Value, Write};
use crate::store::{Dynamo, Reply, RequestAction, Store};

pub use scenario::{
    Bounds, ClientOp, ClientOpKind, ClientProgram, Direction, Fault, FaultKind, Latency, Network,
    Scenario, ScenarioError, CLIENTS_MAX, NODES_MAX,
};

/// Records a store's `reply` into the client's open `operation`, completed at `time_ms`: its
/// outcome, a get's values and context, and the store's metadata. Returns what a get read (its
/// versions, and the context to write with next) for the client's next step. The simulator and
/// the exhaustive explorer (`crate::exhaust`) both record replies through it.
pub(crate) fn record_reply<C>(
    operation: &mut Operation,
    reply: Reply<C>,
    time_ms: u64,
) -> Option<(Vec<ReadValue>, C)> {
    operation.time_ms_complete = Some(time_ms);
    let (outcome, meta, read) = match reply {
        Reply::Read {
            versions,
            context,
            meta,
        } => (Outcome::Ok, meta, Some((versions, context))),
        Reply::Written { meta } => (Outcome::Ok, meta, None),
        Reply::Failed { meta } => (Outcome::Fail, meta, None),
    };
    operation.outcome = outcome;
    if let (Action::Get { values, context }, Some((versions, _))) = (&mut operation.action, &read) {
        *values = versions.clone();
        *context = meta.context_vv.as_ref().map(|vv| vv.to_string());
    }
    if meta != StoreMeta::default() {
        operation.meta = Some(Box::new(meta));
    }
    read
}

/// The write a client's update or delete step sends after its read answered: value
/// `c{client}.{step}`, the store's `context` from the read, and the history's record of it (its
/// context the values the read returned). Shared with the exhaustive explorer, as
/// [`record_reply`] is.
pub(crate) fn write_after_read<C>(
    client: u32,
    step: usize,
    kind: ClientOpKind,
    versions: Vec<ReadValue>,
    context: C,
) -> (RequestAction<C>, Action) {
    let value = Value::from(format!("c{client}.{step}"));
    let read_values: std::collections::BTreeSet<Value> =
        versions.into_iter().map(|read| read.value).collect();
    let write = Write {
        value: value.clone(),
        context: read_values.into_iter().collect(),
    };
    if kind == ClientOpKind::Delete {
        (
            RequestAction::Delete { value, context },
            Action::Delete(write),
        )
    } else {
        (RequestAction::Put { value, context }, Action::Put(write))
    }
}

/// A reply to a request its client gave up on: the operation stays `info`, but what the store
/// says a write did (its dot or timestamp) is still white-box evidence, kept in `operation`.
pub(crate) fn record_abandoned_reply<C>(operation: &mut Operation, reply: Reply<C>) {
    if let Reply::Written { meta } | Reply::Failed { meta } = reply {
        if meta != StoreMeta::default() {
            operation.meta = Some(Box::new(meta));
        }
    }
}

/// Counters of a run, for the command line's summary and the benchmarks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events the simulator handled, in all phases.
    pub steps: u64,
    /// Messages sent, between nodes and between clients and nodes.
    pub messages_sent: u64,
    /// Messages handed to their receiver.
    pub messages_delivered: u64,
    /// Messages lost: to a partition, a loss fault, or a receiver that was down.
    pub messages_dropped: u64,
    /// Extra copies delivered by duplication faults.
    pub messages_duplicated: u64,
    /// Faults that started (a crash of a node already down is not counted).
    pub faults_injected: u64,
    /// Hits of each of the store's coverage probes, by position in its `Store::probes`.
    pub probe_hits: Vec<u64>,
}

/// A run's history and counters.
#[derive(Clone, Debug)]
pub struct SimOutput {
    /// The run's history.
    pub history: History,
    /// The run's counters.
    pub stats: Stats,
}

/// Runs a scenario against the reference store ([`Dynamo`]) built from its configuration.
pub fn run(scenario: &Scenario) -> Result<SimOutput, ScenarioError> {
    scenario.validate()?;
    let store = Dynamo::new(scenario.config.clone())?;
    let mut output = run_store(&store, scenario)?;
    output.history.config = Some(scenario.config.clone());
    Ok(output)
}

/// Runs a scenario against the reference store and records its trace (messages, faults, sibling
/// sets; `history::Trace`) in the history. Everything else is what [`run`] gives, byte for byte.
pub fn run_traced(scenario: &Scenario) -> Result<SimOutput, ScenarioError> {
    scenario.validate()?;
    let store = Dynamo::new(scenario.config.clone())?;
    let mut output = run_store_traced(&store, scenario)?;
    output.history.config = Some(scenario.config.clone());
    Ok(output)
}

/// Runs a scenario against any store, with its trace (see [`run_traced`]).
pub fn run_store_traced<S: Store>(
    store: &S,
    scenario: &Scenario,
) -> Result<SimOutput, ScenarioError> {
    run_world(store, scenario, true)
}

/// Runs a scenario against the reference store and returns its history, which records the
/// scenario (so that `quorate sim --scenario HISTORY` and `quorate minimize HISTORY` can replay it).
pub fn run_history(scenario: &Scenario) -> Result<History, ScenarioError> {
    Ok(run(scenario)?.history)
}

/// Runs a scenario against any store. The store must have as many nodes as the scenario's
/// configuration names; the configuration's `client_timeout_ms` is the clients' patience. The
/// history's `config` is left empty: it describes the reference store, not this one.
pub fn run_store<S: Store>(store: &S, scenario: &Scenario) -> Result<SimOutput, ScenarioError> {
    run_world(store, scenario, false)
}

fn run_world<S: Store>(
    store: &S,
    scenario: &Scenario,
    traced: bool,
) -> Result<SimOutput, ScenarioError> {
    scenario.validate()?;
    if store.nodes() != scenario.config.nodes {
        return Err(ScenarioError::NodeCount {
            store: store.nodes(),
            config: scenario.config.nodes,
        });
    }
    let world = engine::World::new(store, scenario);
    let world = if traced { world.traced() } else { world };
    let (history, stats) = world.run();
    debug_assert_eq!(
        history.validate(),
        Ok(()),
        "the simulator wrote a malformed history"
    );
    Ok(SimOutput { history, stats })
}
