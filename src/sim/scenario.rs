//! The scenario: everything a simulated run depends on, as plain serde data.

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::history::FaultType;

/// A configuration, client programs, a fault schedule, network settings, bounds and a seed: the
/// whole input of a run. The same scenario always gives the same history, byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The seed every random draw of the run derives from (latencies, loss, coordinators).
    pub seed: u64,
    /// The store's configuration.
    pub config: Config,
    /// Latency outside faults; the default is uniform over 1 to 10 ms.
    #[serde(default)]
    pub network: Network,
    /// The clients, each a sequential program; a client's id is its index here.
    pub clients: Vec<ClientProgram>,
    /// The faults to inject, at their times.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Limits on the run's steps and simulated time.
    #[serde(default)]
    pub bounds: Bounds,
}

/// Settings of the simulated network outside faults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// One-way latency of every message; its variance reorders messages.
    pub latency: Latency,
}

impl Default for Network {
    fn default() -> Network {
        Network {
            latency: Latency::Uniform {
                latency_ms_min: 1,
                latency_ms_max: 10,
            },
        }
    }
}

/// A latency distribution, in simulated milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    /// Every message takes exactly `latency_ms`.
    Constant {
        /// The latency, in milliseconds.
        latency_ms: u64,
    },
    /// Uniform over `latency_ms_min..=latency_ms_max`.
    Uniform {
        /// The shortest latency, in milliseconds.
        latency_ms_min: u64,
        /// The longest latency, in milliseconds (at least `latency_ms_min`).
        latency_ms_max: u64,
    },
    /// Exponential with this mean, cut at 20 × the mean.
    Exponential {
        /// The mean latency, in milliseconds.
        latency_ms_mean: u64,
    },
    /// An empirical distribution: one of these samples, each as likely (repeat a sample to
    /// weigh it).
    Table {
        /// The samples, in milliseconds (at least one).
        latency_ms: Vec<u64>,
    },
}

impl Latency {
    /// The longest latency the distribution can draw (the engine cuts an exponential at 20 ×
    /// its mean).
    pub fn longest_ms(&self) -> u64 {
        match self {
            &Latency::Constant { latency_ms } => latency_ms,
            &Latency::Uniform { latency_ms_max, .. } => latency_ms_max,
            &Latency::Exponential { latency_ms_mean } => latency_ms_mean.saturating_mul(20),
            Latency::Table { latency_ms } => latency_ms.iter().copied().max().unwrap_or(0),
        }
    }
}

/// One sequential client: it starts at `time_ms_start` and runs its operations one after the
/// other, waiting `think_ms` between them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientProgram {
    /// When the client invokes its first step, in simulated milliseconds.
    #[serde(default)]
    pub time_ms_start: u64,
    /// The wait between one step's answer and the next step's invocation, in milliseconds.
    #[serde(default)]
    pub think_ms: u64,
    /// The steps, run in order.
    pub ops: Vec<ClientOp>,
}

/// One step of a client program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientOp {
    /// The key the step acts on.
    pub key: String,
    /// What the step does.
    pub kind: ClientOpKind,
    /// Extra wait before this step, on top of the client's think time.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay_ms: u64,
    /// Which node to send the request to, as a position in the store's candidates for the key
    /// (for the reference store, the key's home nodes in ring order); random when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinator: Option<u32>,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// What a step does. Writes name their value after the client and step (`c2.7`), unique per key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientOpKind {
    /// Read the key.
    Get,
    /// A blind write: put with an empty context.
    Put,
    /// Read, then (if the read succeeded) put a new value with the context read.
    ReadModifyWrite,
    /// Read, then (if the read succeeded) delete with the context read.
    Delete,
}

/// A fault, active from `time_ms_start` until `time_ms_end` (or until the workload ends and
/// everything is healed). A fault due to start after the workload ended is never injected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// When the fault begins, in simulated milliseconds.
    pub time_ms_start: u64,
    /// When it heals; `None`: at the end of the workload, when everything is healed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ms_end: Option<u64>,
    /// What the fault does.
    pub kind: FaultKind,
}

/// Which way a partition cuts the links between its group and everyone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Nothing crosses between the group and the rest, either way.
    Both,
    /// Nothing reaches the group.
    Inbound,
    /// Nothing leaves the group.
    Outbound,
}

/// What a fault does, to whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// Cuts the group (these nodes and these clients) off from everyone else.
    Partition {
        /// The nodes of the group.
        #[serde(default)]
        nodes: Vec<u32>,
        /// The clients of the group, by their index in the scenario.
        #[serde(default)]
        clients: Vec<u32>,
        /// Which links are cut.
        direction: Direction,
    },
    /// The node stops; it restarts at the end (a volatile store loses what it had not synced).
    Crash {
        /// The node that crashes.
        node: u32,
    },
    /// The node stops handling anything until the end, then handles what queued up.
    Pause {
        /// The node that pauses.
        node: u32,
    },
    /// The node's clock reads `skew_ms` off the simulated time.
    ClockSkew {
        /// The node whose clock is off.
        node: u32,
        /// How far its clock reads ahead (positive) or behind (negative), in milliseconds.
        skew_ms: i64,
    },
    /// Each message between nodes or clients is lost with this probability, in millionths.
    Loss {
        /// The probability of losing a message, in millionths (at most 1,000,000).
        per_million: u32,
    },
    /// Each message between nodes is delivered twice with this probability, in millionths.
    Duplicate {
        /// The probability of duplicating a message, in millionths (at most 1,000,000).
        per_million: u32,
    },
    /// The node stops and loses everything it stored; at the heal it restarts empty under a new
    /// identity ([`crate::store::Store::on_disk_loss`]).
    DiskLoss {
        /// The node that loses its disk.
        node: u32,
    },
    /// A latency spike: every message takes `factor` times the latency the network draws for it.
    Delay {
        /// The multiplier (1 to 1000).
        factor: u32,
    },
    /// Every message takes an extra delay drawn uniformly in `0..=jitter_ms`, so messages between
    /// two endpoints overtake each other far more than the latency's own variance makes them.
    Reorder {
        /// The longest extra delay, in milliseconds (below 2^40).
        jitter_ms: u64,
    },
}

impl FaultKind {
    /// The kind in the fault vocabulary that a history records for this fault: a partition by its
    /// direction (a client partition is recorded as a `partition` whose group is a client).
    pub fn fault_type(&self) -> FaultType {
        match self {
            FaultKind::Partition {
                direction: Direction::Both,
                ..
            } => FaultType::Partition,
            FaultKind::Partition { .. } => FaultType::OneWay,
            FaultKind::Crash { .. } => FaultType::Crash,
            FaultKind::Pause { .. } => FaultType::Pause,
            FaultKind::ClockSkew { .. } => FaultType::ClockSkew,
            FaultKind::Loss { .. } => FaultType::Loss,
            FaultKind::Duplicate { .. } => FaultType::Duplicate,
            FaultKind::DiskLoss { .. } => FaultType::DiskLoss,
            FaultKind::Delay { .. } => FaultType::Delay,
            FaultKind::Reorder { .. } => FaultType::Reorder,
        }
    }
}

/// Bounds on a run. Hitting one stops the run and is reported in the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// Events handled, in all phases.
    pub steps_max: u64,
    /// Simulated time, in all phases.
    pub time_ms_max: u64,
    /// Simulated time from the heal to quiescence.
    pub settle_ms_max: u64,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            steps_max: 10_000_000,
            time_ms_max: 3_600_000,
            settle_ms_max: 120_000,
        }
    }
}

/// Why a scenario cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    /// A fault names a node outside the cluster.
    #[error("fault {index}: node {node} does not exist (the cluster has nodes 0 to {last})", last = .nodes - 1)]
    NoSuchNode {
        /// The fault's position in the scenario's `faults`.
        index: usize,
        /// The node it names.
        node: u32,
        /// The cluster's node count.
        nodes: u32,
    },
    /// A partition names a client the scenario does not have.
    #[error("fault {index}: client {client} does not exist (the scenario has {clients} clients)")]
    NoSuchClient {
        /// The fault's position in the scenario's `faults`.
        index: usize,
        /// The client it names.
        client: u32,
        /// The scenario's client count.
        clients: usize,
    },
    /// A fault heals before it begins.
    #[error("fault {index}: it ends at {end} ms, before it starts at {start} ms")]
    EndsBeforeStart {
        /// The fault's position in the scenario's `faults`.
        index: usize,
        /// Its `time_ms_start`.
        start: u64,
        /// Its `time_ms_end`, earlier.
        end: u64,
    },
    /// A loss or duplication probability above one million millionths.
    #[error("fault {index}: per_million = {value} is more than 1000000")]
    Probability {
        /// The fault's position in the scenario's `faults`.
        index: usize,
        /// Its `per_million`.
        value: u32,
    },
    /// A delay fault's factor of 0 or above 1,000.
    #[error("fault {index}: factor = {factor} is not between 1 and {DELAY_FACTOR_MAX}")]
    DelayFactor {
        /// The fault's position in the scenario's `faults`.
        index: usize,
        /// Its `factor`.
        factor: u32,
    },
    /// A reorder fault's jitter at or beyond the simulator's time limit.
    #[error("fault {index}: jitter_ms = {jitter_ms} reaches 2^40 ms")]
    Jitter {
        /// The fault's position in the scenario's `faults`.
        index: usize,
        /// Its `jitter_ms`.
        jitter_ms: u64,
    },
    /// A uniform latency whose minimum exceeds its maximum, or whose maximum reaches 2^40 ms.
    #[error("latency: latency_ms_min = {min} and latency_ms_max = {max} are not a range of at most 2^40 ms")]
    LatencyRange {
        /// `latency_ms_min`.
        min: u64,
        /// `latency_ms_max`.
        max: u64,
    },
    /// A latency table with no sample.
    #[error("latency: a table needs at least one sample")]
    EmptyLatencyTable,
    /// More nodes than [`NODES_MAX`].
    #[error("nodes = {nodes}: the simulator runs at most {max} nodes")]
    TooManyNodes {
        /// The configuration's node count.
        nodes: u32,
        /// [`NODES_MAX`].
        max: u32,
    },
    /// More clients than [`CLIENTS_MAX`].
    #[error("{clients} clients: the simulator runs at most {max}")]
    TooManyClients {
        /// The scenario's client count.
        clients: usize,
        /// [`CLIENTS_MAX`].
        max: usize,
    },
    /// A bound of 0.
    #[error("bounds: {name} = 0 leaves no room to run")]
    ZeroBound {
        /// The bound's field name (`steps_max`, `time_ms_max` or `settle_ms_max`).
        name: &'static str,
    },
    /// A store built for another node count than the configuration's.
    #[error("the store has {store} nodes but the configuration names {config}")]
    NodeCount {
        /// The store's node count.
        store: u32,
        /// The configuration's `nodes`.
        config: u32,
    },
    /// `time_ms_max` at or beyond the simulator's time limit (2^40 - 2 ms).
    #[error("bounds: time_ms_max = {time_ms_max} is beyond the simulator's 2^40 - 2 ms")]
    TimeBound {
        /// The bound given.
        time_ms_max: u64,
    },
    /// The text is not JSON of a scenario; serde_json's message.
    #[error("scenario is not valid JSON: {0}")]
    Json(String),
    /// A history or regression case whose `scenario` is absent or null.
    #[error("a {document} without a scenario: nothing to run")]
    NoScenario {
        /// Which document it is: `history` or `regression case`.
        document: &'static str,
    },
}

/// Simulated time stays below 2^40 ms (about 34 years); `time_ms_max` must be below it.
pub(crate) const TIME_MS_LIMIT: u64 = 1 << 40;

/// The largest factor a delay fault multiplies latencies by.
pub(crate) const DELAY_FACTOR_MAX: u32 = 1_000;

/// The most nodes a scenario may have: the configuration's own bound.
pub use crate::config::NODES_MAX;

/// The most clients a scenario may have (the simulator keeps a table per pair of endpoints).
pub const CLIENTS_MAX: usize = 1_000;

impl Scenario {
    /// A scenario with the default network and bounds, and no faults.
    pub fn new(config: Config, seed: u64, clients: Vec<ClientProgram>) -> Scenario {
        Scenario {
            seed,
            config,
            network: Network::default(),
            clients,
            faults: Vec::new(),
            bounds: Bounds::default(),
        }
    }

    /// Parses a scenario file's JSON and validates it.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario =
            serde_json::from_str(text).map_err(|error| ScenarioError::Json(error.to_string()))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// The scenario a document holds, whichever of the three it is: a scenario file; a history
    /// (its `scenario` field, as `quorate sim --out` writes it); or a regression case (its
    /// `scenario` field, as `quorate minimize`, explore's witnesses and the zoo write them). This
    /// is the one reader every command that re-runs a file uses.
    pub fn from_document(text: &str) -> Result<Scenario, ScenarioError> {
        let mut tree: serde_json::Value =
            serde_json::from_str(text).map_err(|error| ScenarioError::Json(error.to_string()))?;
        let document = if tree.get("format").is_some() || tree.get("history").is_some() {
            Some("regression case")
        } else if tree.get("operations").is_some() {
            Some("history")
        } else {
            None
        };
        if let Some(document) = document {
            tree = match tree.get_mut("scenario").map(serde_json::Value::take) {
                None | Some(serde_json::Value::Null) => {
                    return Err(ScenarioError::NoScenario { document })
                }
                Some(scenario) => scenario,
            };
        }
        let scenario: Scenario =
            serde_json::from_value(tree).map_err(|error| ScenarioError::Json(error.to_string()))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Checks that the scenario can run: a valid configuration, faults that name existing nodes
    /// and clients, sane times and probabilities.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.config.validate()?;
        let nodes = self.config.nodes;
        if nodes > NODES_MAX {
            return Err(ScenarioError::TooManyNodes {
                nodes,
                max: NODES_MAX,
            });
        }
        if self.clients.len() > CLIENTS_MAX {
            return Err(ScenarioError::TooManyClients {
                clients: self.clients.len(),
                max: CLIENTS_MAX,
            });
        }
        match &self.network.latency {
            &Latency::Uniform {
                latency_ms_min,
                latency_ms_max,
            } => {
                if latency_ms_min > latency_ms_max || latency_ms_max >= TIME_MS_LIMIT {
                    return Err(ScenarioError::LatencyRange {
                        min: latency_ms_min,
                        max: latency_ms_max,
                    });
                }
            }
            Latency::Table { latency_ms } => {
                if latency_ms.is_empty() {
                    return Err(ScenarioError::EmptyLatencyTable);
                }
            }
            Latency::Constant { .. } | Latency::Exponential { .. } => {}
        }
        for (name, value) in [
            ("steps_max", self.bounds.steps_max),
            ("time_ms_max", self.bounds.time_ms_max),
            ("settle_ms_max", self.bounds.settle_ms_max),
        ] {
            if value == 0 {
                return Err(ScenarioError::ZeroBound { name });
            }
        }
        if self.bounds.time_ms_max >= TIME_MS_LIMIT - 1 {
            return Err(ScenarioError::TimeBound {
                time_ms_max: self.bounds.time_ms_max,
            });
        }
        for (index, fault) in self.faults.iter().enumerate() {
            if let Some(end) = fault.time_ms_end {
                if end < fault.time_ms_start {
                    return Err(ScenarioError::EndsBeforeStart {
                        index,
                        start: fault.time_ms_start,
                        end,
                    });
                }
            }
            let check_node = |node: u32| {
                if node >= nodes {
                    Err(ScenarioError::NoSuchNode { index, node, nodes })
                } else {
                    Ok(())
                }
            };
            match &fault.kind {
                FaultKind::Partition {
                    nodes: group,
                    clients,
                    ..
                } => {
                    for &node in group {
                        check_node(node)?;
                    }
                    for &client in clients {
                        if client as usize >= self.clients.len() {
                            return Err(ScenarioError::NoSuchClient {
                                index,
                                client,
                                clients: self.clients.len(),
                            });
                        }
                    }
                }
                FaultKind::Crash { node }
                | FaultKind::DiskLoss { node }
                | FaultKind::Pause { node }
                | FaultKind::ClockSkew { node, .. } => check_node(*node)?,
                FaultKind::Loss { per_million } | FaultKind::Duplicate { per_million } => {
                    if *per_million > 1_000_000 {
                        return Err(ScenarioError::Probability {
                            index,
                            value: *per_million,
                        });
                    }
                }
                &FaultKind::Delay { factor } => {
                    if !(1..=DELAY_FACTOR_MAX).contains(&factor) {
                        return Err(ScenarioError::DelayFactor { index, factor });
                    }
                }
                &FaultKind::Reorder { jitter_ms } => {
                    if jitter_ms >= TIME_MS_LIMIT {
                        return Err(ScenarioError::Jitter { index, jitter_ms });
                    }
                }
            }
        }
        Ok(())
    }

    /// The total number of client steps.
    pub fn op_count(&self) -> usize {
        self.clients.iter().map(|client| client.ops.len()).sum()
    }
}
