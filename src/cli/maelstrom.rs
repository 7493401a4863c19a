//! `quorate maelstrom -w lin-kv --bin PATH [-- ARGS…]`: run a node binary as N real processes
//! under quorate's network, faults and clients (`crate::process`), then print the verdict like
//! `quorate check` does. Flag names follow Maelstrom's `test` command.
//!
//! This file only parses flags, installs the Ctrl-C handler (which sets the run's stop flag, so
//! the library reaps every node before quorate exits), prints progress and the verdict, and maps
//! the outcome to the exit code: 0 linearizable, 1 not, 2 bad usage or a node that broke the
//! protocol, 3 unknown (the search's budget ran out, or the run was interrupted).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::lin;
use crate::process::{self, lin_kv, Options, ProcessError, Workload};

use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The workload: lin-kv (Maelstrom's read / write / cas on linearizable keys).
    #[arg(short = 'w', long)]
    workload: String,
    /// The node binary (a path, or a name on PATH); its arguments follow `--`.
    #[arg(long)]
    bin: PathBuf,
    /// How many node processes to run (n0, n1, …).
    #[arg(long, default_value_t = 3)]
    node_count: usize,
    /// Seconds during which clients invoke operations.
    #[arg(long, default_value_t = 10.0)]
    time_limit: f64,
    /// Operations per second, over all clients.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Clients at once: a number, or `Kn` for K times the node count (default 2n).
    #[arg(long, default_value = "2n")]
    concurrency: String,
    /// Mean one-way delay of node-to-node messages, in ms (each drawn uniformly in [0, 2 ×
    /// latency], so messages are reordered).
    #[arg(long, default_value_t = 0)]
    latency: u64,
    /// Faults, comma separated: partition (halves, one node, or one-way), kill (SIGKILL, then a
    /// restart with a fresh init), pause (SIGSTOP / SIGCONT), drop, duplicate; or none.
    #[arg(long, default_value = "none")]
    nemesis: String,
    /// Seconds each fault lasts, and between faults.
    #[arg(long, default_value_t = 2.0)]
    nemesis_interval: f64,
    /// The seed of every decision quorate makes (workload, faults, deliveries).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where the history, faults, message log and each node's stderr go (default: a new folder
    /// store/WORKLOAD/SECONDS-seedS). A folder that holds a run already is refused without --force.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the run an --out folder already holds.
    #[arg(long)]
    force: bool,
    /// Seconds without an answer after which a request is `info`.
    #[arg(long, default_value_t = 1.0)]
    timeout: f64,
    /// Seconds a node may take to answer init with init_ok.
    #[arg(long, default_value_t = 10.0)]
    init_timeout: f64,
    /// The share of reads among the operations.
    #[arg(long, default_value_t = 0.5)]
    read_ratio: f64,
    /// The node's arguments.
    #[arg(last = true)]
    args: Vec<String>,
}

fn seconds(flag: &str, value: f64) -> Result<Duration, ProcessError> {
    if (0.0..1e6).contains(&value) {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(ProcessError::Usage(format!(
            "--{flag} {value}: expected a number of seconds ≥ 0"
        )))
    }
}

fn options(args: &Args) -> Result<Options, ProcessError> {
    let out = match &args.out {
        Some(out) => {
            if out.join("history.edn").exists() && !args.force {
                return Err(ProcessError::Usage(format!(
                    "--out {}: it holds a run already (history.edn); pass --force to replace it",
                    out.display()
                )));
            }
            out.clone()
        }
        None => {
            let seconds = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs());
            PathBuf::from("store")
                .join(&args.workload)
                .join(format!("{seconds}-seed{}", args.seed))
        }
    };
    let mut options = Options::new(args.bin.clone(), args.args.clone(), out);
    options.workload = Workload::parse(&args.workload)?;
    options.node_count = args.node_count;
    options.time_limit = seconds("time-limit", args.time_limit)?;
    options.rate = args.rate;
    options.concurrency = match args.concurrency.strip_suffix('n') {
        Some(times) => times
            .parse::<usize>()
            .ok()
            .map(|times| times * args.node_count),
        None => args.concurrency.parse().ok(),
    }
    .ok_or_else(|| {
        ProcessError::Usage(format!(
            "--concurrency {}: expected a number or Kn (K times the node count)",
            args.concurrency
        ))
    })?;
    options.latency = Duration::from_millis(args.latency);
    options.nemesis = process::parse_nemesis(&args.nemesis)
        .map_err(|error| ProcessError::Usage(format!("--nemesis: {error}")))?;
    options.nemesis_interval = seconds("nemesis-interval", args.nemesis_interval)?;
    options.seed = args.seed;
    options.timeout = seconds("timeout", args.timeout)?;
    options.read_ratio = args.read_ratio;
    options.init_timeout = seconds("init-timeout", args.init_timeout)?;
    Ok(options)
}

pub(super) fn run(args: &Args) -> Exit {
    let options = match options(args) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("quorate maelstrom: {error}");
            return Exit::BadInput;
        }
    };
    // Refused before anything is printed or started.
    if let Err(error) = options
        .validate()
        .and_then(|()| process::node::check_bin(&options.bin).map(drop))
    {
        eprintln!("quorate maelstrom: {error}");
        return Exit::BadInput;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    // A second handler cannot be installed in one process (tests call `run` once per process).
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    eprintln!(
        "quorate maelstrom: {} × {} {}, {} clients, {} s, seed {}, nemesis {}",
        options.node_count,
        options.bin.display(),
        options.args.join(" "),
        options.concurrency,
        options.time_limit.as_secs_f64(),
        options.seed,
        crate::history::FaultType::list_text(&options.nemesis, ",")
    );
    let mut report = |progress: &process::Progress| {
        let faults = if progress.faults.is_empty() {
            String::new()
        } else {
            format!("; faults: {}", progress.faults.join("; "))
        };
        eprintln!(
            "[{:>5.1} s {}] {}{faults}",
            progress.elapsed.as_secs_f64(),
            progress.phase,
            lin_kv::summary(&progress.counts)
        );
    };
    let outcome = match process::run(&options, stop, &mut report) {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("quorate maelstrom: {error}");
            return Exit::BadInput;
        }
    };
    let out = options.out.display();
    eprintln!(
        "wrote {} (check it again with: quorate check {} --model {}), {out}/faults.json, {out}/run.json, {out}/messages.log and each node's stderr ({out}/n0.stderr, …)",
        outcome.history_path.display(),
        outcome.history_path.display(),
        lin_kv::MODEL
    );
    let replay = format!(
        "replay with: quorate maelstrom -w {} --bin {} --seed {} (real time: the same decisions, not the same timings)",
        args.workload,
        options.bin.display(),
        options.seed
    );
    if let Some(error) = &outcome.error {
        eprintln!("quorate maelstrom: {error}");
        eprintln!("{replay}");
        return match error {
            ProcessError::Interrupted => Exit::Unknown,
            _ => Exit::BadInput,
        };
    }
    let Some(result) = &outcome.result else {
        return Exit::Unknown;
    };
    if outcome.counts.invoked == 0 {
        eprintln!(
            "quorate maelstrom: no operation was invoked (--time-limit {} s, --rate {}): an empty history proves nothing",
            options.time_limit.as_secs_f64(),
            options.rate
        );
        return Exit::BadInput;
    }
    say!("{}", lin_kv::summary(&outcome.counts));
    say_raw!(
        "{}: {} under the cas-register model, key absent to start (`{}`; {} operations in {} key(s), {} configurations, {:.1} ms)\n",
        outcome.history_path.display(),
        lin::verdict_words(result.verdict),
        result.model,
        result.operations,
        result.partitions,
        result.configurations,
        result.elapsed_ms
    );
    if let Some(counterexample) = &result.counterexample {
        // The blocked operation's description is `process P, key K: read V` for a read.
        let kind = if counterexample.blocked.description.contains(": read ") {
            "a stale read"
        } else {
            "a non-linearizable operation"
        };
        say!("anomaly: {kind} on {counterexample}");
        eprintln!("seed {}; {replay}", options.seed);
    }
    if let Some(reason) = &result.unknown_reason {
        say!(
            "gave up: {reason}; unfinished: {}",
            result.partitions_unfinished.join(", ")
        );
    }
    result.verdict.into()
}
