//! Process mode: real node processes, speaking Maelstrom's protocol, under quorate's network,
//! faults, clients and checkers (docs/DESIGN.md §10).
//!
//! This module owns the real-time world: it starts N processes of a user's binary, talks to each
//! over its standard streams (one JSON message a line), answers nothing itself but owns every
//! node-to-node message (the router decides whether, when and how often each arrives), injects
//! faults (partitions, loss, duplication, latency spikes, reordering, kill and restart, pause),
//! drives quorate's own clients, records what they invoked and observed, and reaps every process
//! it started, on every path.
//!
//! It shares with the simulator only plain data and judges: the fault vocabulary
//! (`history::FaultType`, `history::FaultRecord`), the histories the importers read (a `lin-kv`
//! run is written as a Jepsen EDN history, which `quorate check` loads; an `mvr-kv` run as
//! quorate's own JSON history) and the checkers (`lin`, the WGL search, with the
//! register-that-may-be-absent model; `check`, the leaderless checker). It never touches the
//! simulator (`sim`), whose time is simulated and whose runs are deterministic; here time is
//! the wall clock and only what quorate decides (the workload, the fault schedule, every
//! delivery's delay, drop and duplication) comes from the seed.
//!
//! Files: [`node`] (one process: spawn, its stdin writer and stdout reader threads, signals,
//! reaping), [`net`] (the seeded draws, the fault schedule and the router's decisions),
//! [`lin_kv`] (the `lin-kv` clients, the EDN history they record, and its check), [`mvr_kv`]
//! (the `mvr-kv` clients and final readers, and the quorate JSON history they record, which the
//! leaderless checker judges), `clients` (either workload's clients behind one face), `serve`
//! (the other side: one node of any `Store` as a process, [`serve`]), `runtime`
//! (the event loop that ties them together), `output` (the message log, the files a run leaves
//! and the verdict of the history as written), `trace` (an `mvr-kv` history's optional trace:
//! the messages the runtime routed and the faults, when `--trace` asks). What it must never do: leave a process behind,
//! panic on anything a node writes, or decide anything from a source of randomness other than
//! the seed.

mod clients;
pub mod lin_kv;
pub mod mvr_kv;
pub mod net;
pub mod node;
mod output;
mod runtime;
mod serve;
mod trace;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use crate::check::{Model, Report};
use crate::config::Config;
use crate::history::{FaultRecord, FaultType, UnknownFault};
use crate::lin::CheckResult;

pub use runtime::Progress;
pub use serve::{serve, serve_io, Cluster, Persist, ServeError, ServeOptions};

/// The workloads process mode runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Maelstrom's `lin-kv`: read, write and cas on keys, each key a linearizable register that
    /// starts absent.
    LinKv,
    /// quorate's `mvr-kv`: get, put and delete with the store's opaque context, for leaderless
    /// stores with siblings; judged by the leaderless checker after final reads of every key
    /// from every node.
    MvrKv,
}

impl Workload {
    /// The workload of a name (`lin-kv`).
    pub fn parse(name: &str) -> Result<Workload, ProcessError> {
        match name {
            "lin-kv" => Ok(Workload::LinKv),
            "mvr-kv" => Ok(Workload::MvrKv),
            other => Err(ProcessError::Usage(format!(
                "unknown workload {other:?}; the workloads are: lin-kv, mvr-kv"
            ))),
        }
    }
}

/// Everything a run needs. [`Options::new`] gives Maelstrom's defaults for the rest.
#[derive(Clone, Debug)]
pub struct Options {
    /// The workload the clients run.
    pub workload: Workload,
    /// The node binary and its arguments.
    pub bin: PathBuf,
    /// Arguments passed to every node process.
    pub args: Vec<String>,
    /// How many node processes (`n1` … `nN`).
    pub node_count: usize,
    /// How long clients invoke operations.
    pub time_limit: Duration,
    /// Operations per second, over all clients together.
    pub rate: f64,
    /// How many clients run at once (each sequential).
    pub concurrency: usize,
    /// The mean one-way delay of a node-to-node message (uniform in `[0, 2 × latency]`, so
    /// messages are reordered).
    pub latency: Duration,
    /// The kinds of fault the nemesis injects, in the shared vocabulary.
    pub nemesis: Vec<FaultType>,
    /// Time between the start of one fault and its heal, and between a heal and the next fault.
    pub nemesis_interval: Duration,
    /// The seed every decision of quorate's comes from (operations, values, faults, routing).
    pub seed: u64,
    /// Where the history, the fault list, the message log and each node's stderr go.
    pub out: PathBuf,
    /// A request with no answer after this long is `info`.
    pub timeout: Duration,
    /// How long a node may take to answer `init`.
    pub init_timeout: Duration,
    /// The share of reads among the operations.
    pub read_ratio: f64,
    /// How many keys are in use at once.
    pub keys: usize,
    /// How many operations a key gets before clients move to a fresh one (keeps each key's
    /// search small, as Jepsen's independent keys do).
    pub ops_per_key: usize,
    /// The linearizability search's time budget.
    pub check_budget: Duration,
    /// `mvr-kv`: what the store under test promises, written as the history's configuration
    /// for the leaderless checker (n, r, w, resolution, durability, anti-entropy); its `nodes`
    /// must be `node_count`.
    pub store_config: Config,
    /// `mvr-kv`: the model the history is judged against.
    pub model: Model,
    /// `mvr-kv`: how long after the heal and the drain the final reads wait (repair time).
    pub settle: Duration,
    /// `mvr-kv`: record the history's `trace` (the messages quorate routed and the faults).
    pub trace: bool,
}

impl Options {
    /// Options with Maelstrom's defaults for a binary and an output folder.
    pub fn new(bin: PathBuf, args: Vec<String>, out: PathBuf) -> Options {
        Options {
            workload: Workload::LinKv,
            bin,
            args,
            node_count: 3,
            time_limit: Duration::from_secs(10),
            rate: 100.0,
            concurrency: 6,
            latency: Duration::ZERO,
            nemesis: Vec::new(),
            nemesis_interval: Duration::from_secs(2),
            seed: 0,
            out,
            timeout: Duration::from_secs(1),
            init_timeout: Duration::from_secs(10),
            read_ratio: 0.5,
            keys: 3,
            ops_per_key: 120,
            check_budget: Duration::from_secs(30),
            store_config: Config {
                nodes: 3,
                ..Config::default()
            },
            model: Model::Eventual,
            settle: Duration::from_secs(2),
            trace: false,
        }
    }

    /// Refuses what cannot run: no nodes, no clients, a rate that is not positive.
    pub fn validate(&self) -> Result<(), ProcessError> {
        let bad = |message: &str| Err(ProcessError::Usage(message.to_string()));
        if self.node_count == 0 || self.node_count > 100 {
            return bad("--node-count must be between 1 and 100");
        }
        if self.concurrency == 0 || self.concurrency > 1000 {
            return bad("--concurrency must be between 1 and 1000");
        }
        if !(self.rate.is_finite() && self.rate > 0.0) {
            return bad("--rate must be a number of operations per second > 0");
        }
        if !(0.0..=1.0).contains(&self.read_ratio) {
            return bad("the read ratio must be between 0 and 1");
        }
        if self.keys == 0 || self.ops_per_key == 0 {
            return bad("keys and operations per key must be at least 1");
        }
        if self.workload == Workload::MvrKv {
            if self.store_config.nodes as usize != self.node_count {
                return bad("the store configuration's nodes must be --node-count");
            }
            if let Err(error) = self.store_config.validate() {
                return Err(ProcessError::Usage(format!(
                    "the store's configuration cannot work: {error}"
                )));
            }
        }
        if self.trace && self.workload == Workload::LinKv {
            return bad(
                "--trace needs -w mvr-kv: a lin-kv run writes an EDN history, which has no trace section",
            );
        }
        if self.nemesis_interval.is_zero() && !self.nemesis.is_empty() {
            return bad("--nemesis-interval must be > 0");
        }
        for kind in &self.nemesis {
            if !NEMESES.contains(kind) {
                return Err(ProcessError::Usage(format!(
                    "the nemesis {kind} is not available in process mode; it offers {}",
                    nemesis_names()
                )));
            }
        }
        Ok(())
    }
}

/// The faults process mode injects, in the shared vocabulary.
pub const NEMESES: [FaultType; 8] = [
    FaultType::Partition,
    FaultType::OneWay,
    FaultType::Crash,
    FaultType::Pause,
    FaultType::Loss,
    FaultType::Duplicate,
    FaultType::Delay,
    FaultType::Reorder,
];

fn nemesis_names() -> String {
    "partition, one-way, kill (crash), pause, drop (loss), duplicate, delay, reorder".to_string()
}

/// Parses `--nemesis`: Maelstrom's names (`partition`, `kill`, `pause`) and quorate's (`drop`
/// is `loss`, `kill` is `crash`), comma-separated; `none` or empty is no fault.
pub fn parse_nemesis(text: &str) -> Result<Vec<FaultType>, UnknownFault> {
    let mut kinds = Vec::new();
    for name in text.split(',').map(str::trim) {
        let kind = match name {
            "" | "none" => continue,
            "kill" => FaultType::Crash,
            "drop" => FaultType::Loss,
            other => other.parse()?,
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

/// Why a run could not be done or did not finish: every variant names what and where.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// Options that cannot make a run (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The node binary is missing or cannot be run.
    #[error("--bin {path}: {reason}")]
    Bin {
        /// The path given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file or folder of the run could not be written or read.
    #[error("{path}: {reason}")]
    Io {
        /// The file or folder.
        path: String,
        /// The system's error.
        reason: String,
    },
    /// A node never answered `init`.
    #[error(
        "node {node} did not answer init{} with init_ok within {seconds} s (its stderr: {stderr})",
        if *restarted { " after its restart" } else { "" }
    )]
    InitTimeout {
        /// The node's id (`n1`, …).
        node: String,
        /// Whether it was the fresh init after a restart (kill) that went unanswered.
        restarted: bool,
        /// The `--init-timeout` it had.
        seconds: f64,
        /// The end of its stderr.
        stderr: String,
    },
    /// A node wrote something that is not a message of the protocol.
    #[error("node {node} broke the protocol at line {line} of its stdout: {reason}: {text}")]
    Protocol {
        /// The node's id.
        node: String,
        /// The line of its stdout, from 1.
        line: u64,
        /// What is wrong with the line.
        reason: String,
        /// The line (shortened).
        text: String,
    },
    /// A node process exited when it should have been running.
    #[error("node {node} exited during the {phase} ({status}); its stderr: {stderr}")]
    Exited {
        /// The node's id.
        node: String,
        /// What the run was doing (`init`, `workload`, …).
        phase: &'static str,
        /// Its exit status.
        status: String,
        /// The end of its stderr.
        stderr: String,
    },
    /// quorate itself was interrupted (Ctrl-C, SIGTERM).
    #[error("interrupted")]
    Interrupted,
}

/// What a finished (or stopped) run produced. The files are already written.
#[derive(Debug)]
pub struct Outcome {
    /// The check of a `lin-kv` history; `None` when the run stopped before it could be judged
    /// (or for `mvr-kv`).
    pub result: Option<CheckResult>,
    /// The leaderless checker's report of an `mvr-kv` history; `None` when the run stopped
    /// before it could be judged (or for `lin-kv`).
    pub report: Option<Report>,
    /// `mvr-kv`'s final reads that got no snapshot, in words.
    pub missing_snapshots: Vec<String>,
    /// Why the run stopped early, if it did: the history written covers what happened before.
    pub error: Option<ProcessError>,
    /// The faults injected, as the history's fault records.
    pub faults: Vec<FaultRecord>,
    /// What the clients and the router did.
    pub counts: Counts,
    /// The files written.
    pub history_path: PathBuf,
}

/// How many operations ended each way, and what the router did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Operations the clients invoked.
    pub invoked: u64,
    /// `mvr-kv`'s final reads (one per key and node), not counted among the operations.
    pub final_reads: u64,
    /// Operations answered `ok`.
    pub ok: u64,
    /// Operations that definitely did not happen (a definite error code).
    pub fail: u64,
    /// Operations whose outcome is unknown (no answer in time, or an indefinite error).
    pub info: u64,
    /// Node-to-node messages the router delivered (a duplicate counts once).
    pub routed: u64,
    /// Node-to-node messages the router dropped (faults).
    pub dropped: u64,
    /// Node-to-node messages the router delivered twice.
    pub duplicated: u64,
    /// Replies to a request that was already answered (or had timed out), ignored.
    pub late_or_duplicate_replies: u64,
    /// Messages to a destination that is neither a node nor a waiting client, dropped.
    pub unknown_destination: u64,
    /// Node restarts after a kill.
    pub restarts: u64,
    /// Messages lost because their node had not read its stdin for `node::STDIN_BACKLOG`
    /// messages (paused, or flooded).
    pub backlog_lost: u64,
}

/// Runs `options` to the end (or until `stop` is set, or a node breaks the protocol), writes
/// the history and the other files under `options.out`, judges the history, and reaps every
/// process on every path. `progress` is called about once a second.
pub fn run(
    options: &Options,
    stop: Arc<AtomicBool>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Outcome, ProcessError> {
    options.validate()?;
    node::check_bin(&options.bin)?;
    std::fs::create_dir_all(&options.out).map_err(|error| ProcessError::Io {
        path: options.out.display().to_string(),
        reason: format!("cannot create the output folder: {error}"),
    })?;
    // The nodes' data folders belong to one run: a run that replaces another (`--force`) starts
    // its nodes empty, never from the state the last run's nodes left.
    let nodes = options.out.join("nodes");
    if nodes.exists() {
        std::fs::remove_dir_all(&nodes).map_err(|error| ProcessError::Io {
            path: nodes.display().to_string(),
            reason: format!("cannot clear the last run's node folders: {error}"),
        })?;
    }
    runtime::run(options, &stop, progress)
}

/// The first `chars` characters of `text`, with `…` when it was longer (for error messages, log
/// lines and a trace's summaries).
fn shorten(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nemesis_names_are_maelstroms_and_quorates() {
        assert_eq!(
            parse_nemesis("partition,kill,pause,drop,duplicate,delay,reorder").unwrap(),
            vec![
                FaultType::Partition,
                FaultType::Crash,
                FaultType::Pause,
                FaultType::Loss,
                FaultType::Duplicate,
                FaultType::Delay,
                FaultType::Reorder
            ]
        );
        assert_eq!(parse_nemesis("none").unwrap(), vec![]);
        assert_eq!(parse_nemesis("crash,kill").unwrap(), vec![FaultType::Crash]);
        assert!(parse_nemesis("earthquake").is_err());
    }

    #[test]
    fn options_refuse_what_cannot_run() {
        let base = Options::new("x".into(), vec![], "out".into());
        assert!(base.validate().is_ok());
        let mut skew = base.clone();
        skew.nemesis = vec![FaultType::ClockSkew];
        let error = skew.validate().unwrap_err().to_string();
        assert!(error.contains("skew"), "{error}");
        let mut spike = base.clone();
        spike.nemesis = vec![FaultType::Delay, FaultType::Reorder];
        assert!(spike.validate().is_ok());
        let mut disk = base.clone();
        disk.nemesis = vec![FaultType::DiskLoss];
        let error = disk.validate().unwrap_err().to_string();
        assert!(
            error.contains("disk-loss") && error.contains("reorder"),
            "{error}"
        );
        let mut none = base.clone();
        none.node_count = 0;
        assert!(none.validate().is_err());
        let mut rate = base.clone();
        rate.rate = 0.0;
        assert!(rate.validate().is_err());
        let mut traced = base;
        traced.trace = true;
        let error = traced.validate().unwrap_err().to_string();
        assert!(error.contains("--trace needs -w mvr-kv"), "{error}");
        traced.workload = Workload::MvrKv;
        assert!(traced.validate().is_ok());
    }
}
