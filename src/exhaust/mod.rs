//! Exhaustive exploration: every schedule of a small scenario (docs/DESIGN.md §9). Where the
//! simulator lets simulated time and a seed choose the next event, here the explorer chooses it
//! among those enabled (deliver a message, or within the fault budget drop or duplicate it; fire a
//! due timer; a client's next step, through any of the first `coordinators` coordinators; crash,
//! restart, cut off a node, heal), for any [`Store`]; every complete schedule's history is judged
//! by the checker against the configuration's promised model (or the one asked for), and the
//! first forbidden anomaly stops the search with its schedule.
//!
//! The search is depth-first and stateful: a visited set of hashed world states prunes what was
//! explored before, and sleep sets (P. Godefroid, "Partial-Order Methods for the Verification of
//! Concurrent Systems", LNCS 1032, 1996; with state caching as in its §6.2) prune schedules that
//! only swap independent events. Events are independent when they touch different nodes and
//! clients, not the same message, not both the history nor both the fault budget, and neither
//! moves the clock or the network's partition (`tests.rs` checks that such pairs commute). Persistent and source sets (Flanagan & Godefroid, POPL 2005; Abdulla et
//! al., POPL 2014) are not implemented.
//!
//! It owns the controllable world (`world/`), the search (`search.rs`), the bounds and the
//! choice vocabulary ([`Choice`], which a regression case stores as its schedule), and the merge
//! of shards run as separate processes (`shards.rs`). What it must never do: change the
//! [`Store`] trait's contract (node states are neither cloned nor compared: they are hashed by
//! `Store::node_hash`, by default through `Debug`, and reached again by replay), read the wall clock except for
//! the time budget (which only decides where the search stops, never what a schedule does), or
//! print (the command line does).
//!
//! ```
//! use quorate::config::Config;
//! use quorate::exhaust::{self, Options};
//! use quorate::verdict::Verdict;
//!
//! // Two clients writing one key concurrently, no fault: every order of their messages.
//! let options = Options::default();
//! let outcome = exhaust::exhaust_reference(Config::preset("dynamo").unwrap(), &options, &|_| {}).unwrap();
//! assert_eq!(outcome.verdict, Verdict::Valid);
//! assert!(outcome.counts.schedules > 1);
//! ```

mod parallel;
mod search;
pub mod shards;
mod world;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::check::{Model, Report};
use crate::config::Config;
use crate::history::History;
use crate::sim::{ClientOp, ClientOpKind, ClientProgram, Scenario, ScenarioError};
use crate::store::{Dynamo, Store};
use crate::verdict::Verdict;

/// One step of a schedule, as the explorer chose it. Messages and timers are named as the
/// simulator names them: by what caused them, so a name means the same event in every schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Choice {
    /// Deliver a message in flight to its destination.
    Deliver {
        /// The message's name (derived from what sent it, stable across schedules).
        message: u64,
    },
    /// Lose a message in flight (a fault: counts against `max_faults`).
    Drop {
        /// The message's name.
        message: u64,
    },
    /// Deliver a copy of a message and keep the original in flight (a fault).
    Duplicate {
        /// The message's name.
        message: u64,
    },
    /// Fire a due timer of a node.
    Fire {
        /// The timer's name (derived from what set it).
        timer: u64,
    },
    /// A client's next step: send its request.
    Invoke {
        /// The client, by index.
        client: u32,
        /// Which of the store's candidate coordinators for the key gets it (0: the first).
        coordinator: u32,
    },
    /// Crash a node (a fault).
    Crash {
        /// The node, by index.
        node: u32,
    },
    /// Restart a crashed node.
    Restart {
        /// The node, by index.
        node: u32,
    },
    /// Cut the node off from the other nodes (clients still reach it).
    Partition {
        /// The node, by index.
        node: u32,
    },
    /// End the partition.
    Heal,
}

/// The fault kinds the explorer can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// A node crashes (and may restart).
    Crash,
    /// One node is cut off from the others (and the cut may heal).
    Partition,
    /// A message is lost.
    Drop,
    /// A message is delivered twice.
    Duplicate,
}

impl FaultKind {
    /// Every kind, in the order the command line lists them.
    pub const ALL: [FaultKind; 4] = [
        FaultKind::Crash,
        FaultKind::Partition,
        FaultKind::Drop,
        FaultKind::Duplicate,
    ];

    /// The kind's name on the command line (`--faults crash,partition`).
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Crash => "crash",
            FaultKind::Partition => "partition",
            FaultKind::Drop => "drop",
            FaultKind::Duplicate => "duplicate",
        }
    }
}

impl FromStr for FaultKind {
    type Err = ExhaustError;

    fn from_str(name: &str) -> Result<FaultKind, ExhaustError> {
        if ["delay", "reorder"].contains(&name.trim()) {
            return Err(ExhaustError::TimingFault(name.trim().to_string()));
        }
        FaultKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name.trim())
            .ok_or_else(|| ExhaustError::UnknownFault(name.to_string()))
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The bounds of the explored scenario: what may happen at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Clients, each a sequence of `ops` steps.
    pub clients: u32,
    /// Steps per client.
    pub ops: u32,
    /// Keys: client `c`'s step `s` works on key `k{(c + s) mod keys}`.
    pub keys: u32,
    /// Each client's steps cycle through these kinds.
    pub kinds: Vec<ClientOpKind>,
    /// The fault kinds the explorer may inject.
    pub faults: Vec<FaultKind>,
    /// Faults injected in one schedule (crashes, partitions, drops, duplicates together).
    pub max_faults: u32,
    /// How many times in one schedule the clock may jump to the next due timer.
    pub advances: u32,
    /// A client's step may go to any of the first `coordinators` of the store's candidates.
    pub coordinators: u32,
    /// Choices in one schedule; a schedule cut at this depth makes the verdict unknown.
    pub max_depth: u32,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            clients: 2,
            ops: 1,
            keys: 1,
            kinds: vec![ClientOpKind::Put],
            faults: Vec::new(),
            max_faults: 0,
            advances: 0,
            coordinators: 1,
            max_depth: 200,
        }
    }
}

/// Where the search stops short of a verdict (exit 3, with the coverage reached).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Distinct states (or, without the visited set, states entered) before the search stops.
    pub max_states: u64,
    /// Wall time before the search stops; `None`: no limit.
    pub time: Option<Duration>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            max_states: 2_000_000,
            time: None,
        }
    }
}

/// Everything the search is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// What may happen in the scenario.
    pub bounds: Bounds,
    /// When to stop short of a verdict.
    pub budget: Budget,
    /// The model each history is judged against; `None`: the configuration's promise.
    pub model: Option<Model>,
    /// Prune schedules that only swap independent events (sleep sets).
    pub sleep_sets: bool,
    /// Prune states explored before (the visited set).
    pub visited: bool,
    /// Search by iterative deepening (depth 1, 2, ... up to `bounds.max_depth`, each a complete
    /// bounded search whose cut schedules are settled and judged), so that the counterexample
    /// found is a shortest one: breadth-first's answer at depth-first's memory.
    pub shortest: bool,
    /// `Some((i, n))`: explore only the first choices whose position among the start's enabled
    /// choices is `i` mod `n` (the others are left to the other shards, and still put to sleep
    /// where they are independent, as the whole search would).
    pub shard: Option<(u32, u32)>,
    /// Threads that run parts of the search side by side (see [`exhaust_with`]); 1: one search.
    /// Each thread takes an equal share of the state budget.
    pub threads: u32,
    /// Go on after the first schedule that breaks the model (`--all`): every schedule within the
    /// bounds is judged, the first counterexample found is kept, and the outcome counts the
    /// distinct histories that broke the model. Not with `shortest`.
    pub all: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            bounds: Bounds::default(),
            budget: Budget::default(),
            model: None,
            sleep_sets: true,
            visited: true,
            shortest: false,
            shard: None,
            threads: 1,
            all: false,
        }
    }
}

/// What the search did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Distinct states (with the visited set; 0 without).
    pub states: u64,
    /// States entered without the visited set.
    pub states_unhashed: u64,
    /// Choices taken (transitions between states), replays excluded.
    pub transitions: u64,
    /// Choices replayed to come back to a state (node states are not cloned).
    pub replayed: u64,
    /// Complete schedules (no choice left), each settled and judged unless its history was seen.
    pub schedules: u64,
    /// Enabled choices skipped because they were asleep.
    pub pruned_sleep: u64,
    /// States not explored again because the visited set covered them.
    pub pruned_visited: u64,
    /// Distinct histories judged.
    pub histories: u64,
    /// Schedules cut at the depth bound.
    pub truncated: u64,
    /// Histories the checker could not decide.
    pub undecided: u64,
    /// Distinct histories that broke the model (more than one only with `Options::all`).
    pub failing: u64,
    /// The deepest schedule explored, in choices.
    pub depth_max: u64,
    /// Wall time of the search.
    pub seconds: f64,
}

impl Counts {
    /// Adds another search's counts (every count summed, the deepest depth kept): the total of
    /// iterative deepening's depths, or of shards run side by side.
    fn add(&mut self, other: &Counts) {
        self.states += other.states;
        self.states_unhashed += other.states_unhashed;
        self.transitions += other.transitions;
        self.replayed += other.replayed;
        self.schedules += other.schedules;
        self.pruned_sleep += other.pruned_sleep;
        self.pruned_visited += other.pruned_visited;
        self.histories += other.histories;
        self.truncated += other.truncated;
        self.undecided += other.undecided;
        self.failing += other.failing;
        self.depth_max = self.depth_max.max(other.depth_max);
        self.seconds += other.seconds;
    }
}

/// A schedule whose history breaks the model.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The choices that reproduce it, from the start.
    pub schedule: Vec<Choice>,
    /// Each choice in words.
    pub steps: Vec<String>,
    /// The schedule's history (healed and settled).
    pub history: History,
    /// The checker's report on it, with the forbidden anomaly.
    pub report: Box<Report>,
}

impl Counterexample {
    /// The kinds of the forbidden anomalies, comma-separated: what the schedule breaks.
    pub fn forbidden_kinds(&self) -> String {
        let kinds: Vec<String> = self
            .report
            .forbidden_kinds()
            .iter()
            .map(ToString::to_string)
            .collect();
        kinds.join(", ")
    }
}

/// The end of a search.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Valid: no schedule within the bounds breaks the model; invalid: `counterexample` does;
    /// unknown: `unknown` says why.
    pub verdict: Verdict,
    /// The model the histories were judged against.
    pub model: Model,
    /// What the search did.
    pub counts: Counts,
    /// The first schedule that broke the model, when the verdict is invalid.
    pub counterexample: Option<Box<Counterexample>>,
    /// Why the verdict is unknown (a budget, the depth bound, an undecided history, an error).
    pub unknown: Option<String>,
    /// Whether the state or time budget ran out.
    pub budget_spent: bool,
    /// The hashes of the distinct histories judged, sorted (the reduction's soundness tests
    /// compare them between searches).
    pub histories: Vec<u64>,
    /// The hashes of the distinct histories that broke the model, sorted.
    pub failing: Vec<u64>,
    /// The error that stopped the search, if one did (the verdict is then unknown).
    pub error: Option<ExhaustError>,
}

impl Outcome {
    fn error(counts: Counts, error: ExhaustError) -> Outcome {
        Outcome {
            verdict: Verdict::Unknown,
            model: Model::Eventual,
            counts,
            counterexample: None,
            unknown: Some(error.to_string()),
            budget_spent: false,
            histories: Vec::new(),
            failing: Vec::new(),
            error: Some(error),
        }
    }
}

/// Why a search cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExhaustError {
    /// `--all` with `--bfs`.
    #[error(
        "--all with --bfs: --bfs stops at a shortest counterexample, --all judges every schedule"
    )]
    AllAndShortest,
    /// No client.
    #[error("--clients 0: there is nothing to explore without a client")]
    NoClients,
    /// No step per client.
    #[error("--ops 0: there is nothing to explore without an operation")]
    NoOps,
    /// No key.
    #[error("--keys 0: operations need at least one key")]
    NoKeys,
    /// No coordinator to choose from.
    #[error("--coordinators 0: a request needs a coordinator")]
    NoCoordinators,
    /// No operation kind.
    #[error("no operation kinds: each client needs at least one")]
    NoKinds,
    /// More endpoints than the explorer's 64-bit sets hold.
    #[error("{nodes} nodes and {clients} clients: the explorer handles at most 64 endpoints")]
    TooManyEndpoints {
        /// The store's nodes.
        nodes: u32,
        /// The scenario's clients.
        clients: u32,
    },
    /// A fault kind the explorer does not know.
    #[error("unknown fault kind {0:?}: the explorer injects crash, partition, drop and duplicate")]
    UnknownFault(String),
    /// A fault of the shared vocabulary that only shifts when messages arrive.
    #[error(
        "--faults {0}: the explorer already tries every order of message deliveries and due timers (a message delivered late or out of order is one of them), so it has no {0} fault; it injects crash, partition, drop and duplicate"
    )]
    TimingFault(String),
    /// A partition asked of a one-node store.
    #[error("partition: a store of {0} node cannot be cut in two")]
    PartitionOneNode(u32),
    /// Faults allowed but no kind named.
    #[error("--max-faults {max_faults} with no fault kind: name the kinds with --faults")]
    FaultsWithoutKinds {
        /// The `--max-faults` given.
        max_faults: u32,
    },
    /// The scenario the bounds make is invalid.
    #[error("scenario: {0}")]
    Scenario(#[from] ScenarioError),
    /// The checker refused a history (its precondition).
    #[error("the checker refused a history: {0}")]
    Check(String),
    /// A shard that is not one of `count` (`Options::shard` counts from 0; the command line's
    /// `--shard I/N` from 1).
    #[error("shard {index} of {count} (counting from 0): the index must be below the count, and the count above 0")]
    Shard {
        /// The shard's index, from 0.
        index: u32,
        /// How many shards.
        count: u32,
    },
    /// No thread, or threads asked of a search given one store (threads need a store each).
    #[error("--threads {0}: {reason}", reason = if *.0 == 0 { "a search needs at least one thread" } else { "threads need a store each: give exhaust_with a way to make one" })]
    Threads(u32),
    /// A stored schedule that cannot be replayed (a choice that is not enabled at its step).
    #[error("schedule step {step}: {reason}")]
    Schedule {
        /// The step, from 0.
        step: usize,
        /// Why the choice cannot be taken there.
        reason: String,
    },
    /// A broken assumption of the explorer itself.
    #[error("internal: {0}")]
    Internal(String),
}

/// The scenario the bounds describe: `clients` clients of `ops` steps each, cycling through the
/// kinds and the keys, under `config`. Its network and seed are unused: the explorer chooses.
pub fn scenario(config: Config, bounds: &Bounds) -> Result<Scenario, ExhaustError> {
    if bounds.clients == 0 {
        return Err(ExhaustError::NoClients);
    }
    if bounds.ops == 0 {
        return Err(ExhaustError::NoOps);
    }
    if bounds.keys == 0 {
        return Err(ExhaustError::NoKeys);
    }
    if bounds.coordinators == 0 {
        return Err(ExhaustError::NoCoordinators);
    }
    if bounds.kinds.is_empty() {
        return Err(ExhaustError::NoKinds);
    }
    if bounds.max_faults > 0 && bounds.faults.is_empty() {
        return Err(ExhaustError::FaultsWithoutKinds {
            max_faults: bounds.max_faults,
        });
    }
    if config.nodes.saturating_add(bounds.clients) > 64 {
        return Err(ExhaustError::TooManyEndpoints {
            nodes: config.nodes,
            clients: bounds.clients,
        });
    }
    if config.nodes < 2 && bounds.faults.contains(&FaultKind::Partition) {
        return Err(ExhaustError::PartitionOneNode(config.nodes));
    }
    let clients = (0..bounds.clients)
        .map(|client| ClientProgram {
            time_ms_start: 0,
            think_ms: 0,
            ops: (0..bounds.ops)
                .map(|step| ClientOp {
                    key: format!("k{}", (client + step) % bounds.keys),
                    kind: bounds.kinds[step as usize % bounds.kinds.len()],
                    delay_ms: 0,
                    coordinator: None,
                })
                .collect(),
        })
        .collect();
    let scenario = Scenario::new(config, 0, clients);
    scenario.validate()?;
    Ok(scenario)
}

/// Explores every schedule of `scenario` against `store` (with the store's own nodes; the
/// configuration gives the clients' patience and, unless `options.model` names one, the model).
/// `progress` is called now and then with the counts so far. One thread: `options.threads` must
/// be 1 (see [`exhaust_with`] for more).
pub fn exhaust<S: Store>(
    store: &S,
    scenario: &Scenario,
    options: &Options,
    progress: &(dyn Fn(&Counts) + Sync),
) -> Result<Outcome, ExhaustError> {
    check_store(store, scenario)?;
    check_options(options)?;
    if options.threads != 1 {
        return Err(ExhaustError::Threads(options.threads));
    }
    Ok(run_search(
        Stores::One(store),
        scenario,
        options,
        false,
        progress,
    ))
}

/// [`exhaust`] on `options.threads` threads, each with a store `make_store` makes: the first
/// choices are dealt among them as shards are, and the outcomes merged (the counterexample is the
/// lowest shard's, the same at every run; counts are sums, distinct histories counted once).
pub fn exhaust_with<S: Store>(
    make_store: &(dyn Fn() -> S + Sync),
    scenario: &Scenario,
    options: &Options,
    progress: &(dyn Fn(&Counts) + Sync),
) -> Result<Outcome, ExhaustError> {
    check_store(&make_store(), scenario)?;
    check_options(options)?;
    Ok(run_search(
        Stores::Each(make_store),
        scenario,
        options,
        false,
        progress,
    ))
}

/// The store a search runs against: one, or one per thread.
enum Stores<'a, S> {
    One(&'a S),
    Each(&'a (dyn Fn() -> S + Sync)),
}

/// One bounded search (one depth of iterative deepening), on as many threads as asked.
fn search_once<S: Store>(
    stores: &Stores<'_, S>,
    scenario: &Scenario,
    options: &Options,
    reference: bool,
    progress: &(dyn Fn(&Counts) + Sync),
) -> Outcome {
    match stores {
        Stores::One(store) => search::Search::new(*store, scenario, options, reference)
            .run(&mut |counts| progress(counts)),
        Stores::Each(make_store) if options.threads <= 1 => {
            let store = make_store();
            search::Search::new(&store, scenario, options, reference)
                .run(&mut |counts| progress(counts))
        }
        Stores::Each(make_store) => {
            parallel::search_threads(*make_store, scenario, options, reference, progress)
        }
    }
}

fn run_search<S: Store>(
    stores: Stores<'_, S>,
    scenario: &Scenario,
    options: &Options,
    reference: bool,
    progress: &(dyn Fn(&Counts) + Sync),
) -> Outcome {
    if !options.shortest {
        return search_once(&stores, scenario, options, reference, progress);
    }
    let started = std::time::Instant::now();
    let mut total = Counts::default();
    let mut depth = 1;
    loop {
        let mut step = options.clone();
        step.shortest = false;
        step.bounds.max_depth = depth;
        step.budget.time = options
            .budget
            .time
            .map(|time| time.saturating_sub(started.elapsed()));
        let outcome = search_once(&stores, scenario, &step, reference, progress);
        total.add(&outcome.counts);
        // Only the last depth's cut schedules are left unexplored.
        total.truncated = outcome.counts.truncated;
        let deeper = outcome.verdict == Verdict::Unknown
            && !outcome.budget_spent
            && outcome.error.is_none()
            && outcome.counts.truncated > 0
            && depth < options.bounds.max_depth;
        if !deeper {
            total.seconds = started.elapsed().as_secs_f64();
            let unknown = match (&outcome.unknown, options.budget.time) {
                (Some(reason), Some(time)) if reason.starts_with("the time budget") => {
                    Some(format!(
                        "the time budget ({} s) ran out at depth {depth}",
                        time.as_secs_f64()
                    ))
                }
                (reason, _) => reason.clone(),
            };
            return Outcome {
                counts: total,
                unknown,
                ..outcome
            };
        }
        depth += 1;
    }
}

/// Explores the reference store ([`Dynamo`]) under `config`, in the scenario the bounds describe;
/// its histories name the configuration, as the simulator's do.
pub fn exhaust_reference(
    config: Config,
    options: &Options,
    progress: &(dyn Fn(&Counts) + Sync),
) -> Result<Outcome, ExhaustError> {
    let scenario = scenario(config, &options.bounds)?;
    check_options(options)?;
    Dynamo::new(scenario.config.clone()).map_err(ScenarioError::from)?;
    let make_store = || Dynamo::new(scenario.config.clone()).expect("the configuration was valid");
    Ok(run_search(
        Stores::Each(&make_store),
        &scenario,
        options,
        true,
        progress,
    ))
}

fn check_options(options: &Options) -> Result<(), ExhaustError> {
    if options.threads == 0 {
        return Err(ExhaustError::Threads(0));
    }
    if options.all && options.shortest {
        return Err(ExhaustError::AllAndShortest);
    }
    match options.shard {
        Some((index, count)) if count == 0 || index >= count => {
            Err(ExhaustError::Shard { index, count })
        }
        _ => Ok(()),
    }
}

fn check_store<S: Store>(store: &S, scenario: &Scenario) -> Result<(), ExhaustError> {
    scenario.validate()?;
    if store.nodes() != scenario.config.nodes {
        return Err(ScenarioError::NodeCount {
            store: store.nodes(),
            config: scenario.config.nodes,
        }
        .into());
    }
    if store.nodes().saturating_add(scenario.clients.len() as u32) > 64 {
        return Err(ExhaustError::TooManyEndpoints {
            nodes: store.nodes(),
            clients: scenario.clients.len() as u32,
        });
    }
    Ok(())
}

/// Runs one schedule of `scenario` against `store` and returns its history (the schedule's
/// choices in order, then the canonical settle): how a regression case's schedule is replayed.
pub fn replay<S: Store>(
    store: &S,
    scenario: &Scenario,
    schedule: &[Choice],
) -> Result<History, ExhaustError> {
    check_store(store, scenario)?;
    let bounds = Bounds {
        faults: FaultKind::ALL.to_vec(),
        max_faults: u32::MAX,
        advances: u32::MAX,
        coordinators: u32::MAX,
        ..Bounds::default()
    };
    let mut world = world::World::new(store, scenario, &bounds);
    for (step, &choice) in schedule.iter().enumerate() {
        world
            .apply(choice)
            .map_err(|reason| ExhaustError::Schedule { step, reason })?;
    }
    Ok(world.settle())
}

/// [`replay`] against the reference store built from the scenario's configuration; the history
/// names the configuration.
pub fn replay_reference(scenario: &Scenario, schedule: &[Choice]) -> Result<History, ExhaustError> {
    let store = Dynamo::new(scenario.config.clone()).map_err(ScenarioError::from)?;
    let mut history = replay(&store, scenario, schedule)?;
    history.config = Some(scenario.config.clone());
    Ok(history)
}

#[cfg(test)]
mod tests;
