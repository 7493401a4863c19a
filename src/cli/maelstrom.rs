//! `quorate maelstrom -w lin-kv|mvr-kv --bin PATH [-- ARGS…]`: run a node binary as N real processes
//! under quorate's network, faults and clients (`crate::process`), then print the verdict like
//! `quorate check` does. Flag names follow Maelstrom's `test` command.
//!
//! Run flags may also follow the node's arguments (`--bin quorate -- node --config dynamo
//! --nemesis partition,kill`, Maelstrom's order): [`hoist_run_flags`] moves them before the `--`
//! before clap reads the line. In the words after the first `--`, the node's arguments end at
//! the last `--` among them if there is one (dropped; what follows are run flags), else at the
//! first word that is one of this command's long flags (`--nemesis`, or `--nemesis=…`). A node
//! argument spelled like a run flag is passed by ending the node's arguments with `--`. A run
//! flag given on both sides is bad usage naming it.
//!
//! This file only parses flags, installs the Ctrl-C handler (which sets the run's stop flag, so
//! the library reaps every node before quorate exits), prints progress and the verdict, and maps
//! the outcome to the exit code: 0 linearizable (`mvr-kv`: valid against `--model`), 1 not (a
//! forbidden anomaly), 2 bad usage or a node that broke the protocol, 3 unknown (the search's
//! budget ran out, or the run was interrupted).

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::check::Report;
use crate::config::Config;
use crate::lin;
use crate::process::{self, lin_kv, Options, ProcessError, Workload};

use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The workload: lin-kv (Maelstrom's read / write / cas on linearizable keys) or mvr-kv
    /// (get / put / delete with the store's context, siblings allowed; judged by the leaderless
    /// checker).
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
    /// restart with a fresh init), pause (SIGSTOP / SIGCONT), drop (30 % loss), duplicate (30 %),
    /// delay (every node-to-node message held back 1 to 2 × max(10 × latency, 200 ms) more),
    /// reorder (each held back 0 to max(4 × latency, 50 ms) more, so they overtake each other);
    /// or none.
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
    /// mvr-kv: what the store under test promises, for the checker: a preset (dynamo, weak,
    /// sloppy, lww, cassandra, atomic, with +VARIANTs) or a JSON file; its nodes becomes
    /// --node-count, and --n, --r, --w override it.
    #[arg(long, default_value = "dynamo")]
    store_config: String,
    /// mvr-kv: replicas per key the store promises (default: --store-config's).
    #[arg(long)]
    n: Option<u32>,
    /// mvr-kv: the read quorum the store promises (default: --store-config's).
    #[arg(long)]
    r: Option<u32>,
    /// mvr-kv: the write quorum the store promises (default: --store-config's).
    #[arg(long)]
    w: Option<u32>,
    /// mvr-kv: the model to judge the history against: eventual, quorum, monotonic or atomic.
    #[arg(long, default_value = "eventual")]
    model: String,
    /// mvr-kv: seconds between the heal (and drain) and the final reads of every key from
    /// every node, for repair to converge the replicas.
    #[arg(long, default_value_t = 2.0)]
    settle: f64,
    /// mvr-kv: also write the history's trace (every client request and reply, every
    /// node-to-node message with its fate, every fault's start and end), which `quorate render`
    /// draws; refused for lin-kv, whose EDN history has no place for it.
    #[arg(long)]
    trace: bool,
    /// The node's arguments, after `--`. Run flags may follow them: the node's arguments end at
    /// the first of quorate maelstrom's own long flags (`-- node --config dynamo --nemesis
    /// kill`), or at a second `--` (`-- my-node --seed 3 -- --seed 5` gives the node `--seed 3`
    /// and the run `--seed 5`).
    #[arg(last = true)]
    args: Vec<String>,
}

/// `quorate maelstrom`'s long flags (`nemesis`, `time-limit`, …), as clap knows them.
fn run_flag_names() -> Vec<String> {
    <Args as clap::Args>::augment_args(clap::Command::new("maelstrom"))
        .get_arguments()
        .filter_map(|arg| arg.get_long().map(str::to_string))
        .collect()
}

/// The run flag a word names in its long form: `--nemesis` and `--nemesis=kill` name `nemesis`.
fn flag_named<'a>(word: &'a str, names: &[String]) -> Option<&'a str> {
    let name = word.strip_prefix("--")?;
    let name = name.split_once('=').map_or(name, |(name, _)| name);
    names.iter().any(|known| known == name).then_some(name)
}

/// The command line with the run flags that follow a `quorate maelstrom`'s node arguments moved
/// before its `--` (the rule is the module's); any other command line unchanged. A run flag
/// given both before the `--` and after the node's arguments is an error naming it.
pub(super) fn hoist_run_flags(argv: Vec<OsString>) -> Result<Vec<OsString>, clap::Error> {
    if argv.get(1).and_then(|word| word.to_str()) != Some("maelstrom") {
        return Ok(argv);
    }
    let Some(separator) = argv.iter().skip(2).position(|word| word == "--") else {
        return Ok(argv);
    };
    let separator = separator + 2;
    let names = run_flag_names();
    let text = |word: &OsString| word.to_str().map(str::to_string);
    let tail = &argv[separator + 1..];
    let (node, run) = match tail.iter().rposition(|word| word == "--") {
        Some(end) => (&tail[..end], &tail[end + 1..]),
        None => {
            let start = tail
                .iter()
                .position(|word| text(word).is_some_and(|word| flag_named(&word, &names).is_some()))
                .unwrap_or(tail.len());
            (&tail[..start], &tail[start..])
        }
    };
    // `-w` (and `-wlin-kv`) before the `--` is `--workload`; after it, a short flag is the node's.
    let given_before: Vec<String> = argv[2..separator]
        .iter()
        .filter_map(text)
        .filter_map(|word| match word.strip_prefix("-w") {
            Some(_) => Some("workload".to_string()),
            None => flag_named(&word, &names).map(str::to_string),
        })
        .collect();
    for word in run.iter().filter_map(text) {
        if let Some(name) = flag_named(&word, &names) {
            if given_before.iter().any(|before| before == name) {
                let message = format!(
                    "--{name} is given both before the node's arguments and after them; give it once\n"
                );
                return Err(clap::Command::new("maelstrom")
                    .bin_name("quorate maelstrom")
                    .error(clap::error::ErrorKind::ArgumentConflict, message));
            }
        }
    }
    let mut hoisted = argv[..separator].to_vec();
    hoisted.extend_from_slice(run);
    hoisted.push("--".into());
    hoisted.extend_from_slice(node);
    Ok(hoisted)
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
            for file in ["history.edn", "history.json"] {
                if out.join(file).exists() && !args.force {
                    return Err(ProcessError::Usage(format!(
                        "--out {}: it holds a run already ({file}); pass --force to replace it",
                        out.display()
                    )));
                }
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
    options.settle = seconds("settle", args.settle)?;
    options.trace = args.trace;
    options.model = args
        .model
        .parse()
        .map_err(|error| ProcessError::Usage(format!("--model: {error}")))?;
    let mut config = Config::from_preset_or_file(&args.store_config).map_err(|error| {
        ProcessError::Usage(format!("--store-config {}: {error}", args.store_config))
    })?;
    config.nodes = u32::try_from(args.node_count).unwrap_or(u32::MAX);
    config.n = args.n.unwrap_or(config.n);
    config.r = args.r.unwrap_or(config.r);
    config.w = args.w.unwrap_or(config.w);
    if options.workload == Workload::MvrKv {
        config.validate().map_err(|error| {
            ProcessError::Usage(format!(
                "--store-config {} with --node-count {}{}: {error}",
                args.store_config,
                args.node_count,
                [("n", args.n), ("r", args.r), ("w", args.w)]
                    .iter()
                    .filter_map(|(flag, value)| value.map(|value| format!(" --{flag} {value}")))
                    .collect::<String>()
            ))
        })?;
    }
    options.store_config = config;
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
    let model = match options.workload {
        Workload::LinKv => lin_kv::MODEL.to_string(),
        Workload::MvrKv => options.model.to_string(),
    };
    eprintln!(
        "wrote {} (check it again with: quorate check {} --model {model}), {out}/faults.json, {out}/run.json, {out}/messages.log and each node's stderr ({out}/n0.stderr, …)",
        outcome.history_path.display(),
        outcome.history_path.display(),
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
    if outcome.counts.invoked == 0 {
        eprintln!(
            "quorate maelstrom: no operation was invoked (--time-limit {} s, --rate {}): an empty history proves nothing",
            options.time_limit.as_secs_f64(),
            options.rate
        );
        return Exit::BadInput;
    }
    say!("{}", lin_kv::summary(&outcome.counts));
    if let Some(report) = &outcome.report {
        return mvr_verdict(&outcome, report, &replay, options.seed);
    }
    let Some(result) = &outcome.result else {
        return Exit::Unknown;
    };
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

/// Prints an `mvr-kv` run's report (as `quorate check` prints it) and its exit code.
fn mvr_verdict(outcome: &process::Outcome, report: &Report, replay: &str, seed: u64) -> Exit {
    if !outcome.missing_snapshots.is_empty() {
        say!(
            "final reads without an answer (no snapshot of that node): {}",
            outcome.missing_snapshots.join("; ")
        );
    }
    say_raw!("{}: {report}", outcome.history_path.display());
    if report.verdict == crate::verdict::Verdict::Invalid {
        let kinds: Vec<String> = report.kinds().iter().map(|kind| kind.to_string()).collect();
        say!("anomalies: {}", kinds.join(", "));
        eprintln!("seed {seed}; {replay}");
    }
    report.verdict.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn words(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    fn hoisted(line: &str) -> String {
        let argv = hoist_run_flags(words(line)).unwrap();
        let argv: Vec<&str> = argv.iter().map(|word| word.to_str().unwrap()).collect();
        argv.join(" ")
    }

    fn parsed(line: &str) -> Args {
        let argv = hoist_run_flags(words(line)).unwrap();
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Maelstrom(args) => args,
            other => panic!("not maelstrom: {other:?}"),
        }
    }

    #[test]
    fn run_flags_after_the_node_arguments_are_the_runs_and_the_node_keeps_its_own() {
        let acceptance = "quorate maelstrom -w mvr-kv --bin target/release/quorate -- node \
            --config dynamo --nemesis partition,kill";
        assert_eq!(
            hoisted(acceptance),
            "quorate maelstrom -w mvr-kv --bin target/release/quorate --nemesis partition,kill \
             -- node --config dynamo"
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        );
        let args = parsed(acceptance);
        assert_eq!(args.args, ["node", "--config", "dynamo"]);
        assert_eq!(args.nemesis, "partition,kill");
        assert_eq!(args.workload, "mvr-kv");
        // Every run flag counts, with its value apart or after `=`.
        let args = parsed("quorate maelstrom -w lin-kv --bin n -- a -x --time-limit=3 --seed 4");
        assert_eq!(args.args, ["a", "-x"]);
        assert_eq!((args.time_limit, args.seed), (3.0, 4));
        // A second `--` ends the node's arguments, which may then look like run flags.
        let args = parsed("quorate maelstrom -w lin-kv --bin n -- a --seed 3 -- --seed 5");
        assert_eq!(args.args, ["a", "--seed", "3"]);
        assert_eq!(args.seed, 5);
        let args = parsed("quorate maelstrom -w lin-kv --bin n -- a --seed 3 --");
        assert_eq!(args.args, ["a", "--seed", "3"]);
        assert_eq!(args.seed, 0);
        // `--trace`, a switch, ends the node's arguments too.
        let args = parsed("quorate maelstrom -w mvr-kv --bin n -- node --config dynamo --trace");
        assert_eq!(args.args, ["node", "--config", "dynamo"]);
        assert!(args.trace);
        assert!(!parsed("quorate maelstrom -w mvr-kv --bin n -- node").trace);
    }

    #[test]
    fn other_command_lines_are_left_as_they_are() {
        for line in [
            "quorate maelstrom -w lin-kv --bin n -- --its-own-flag -w x",
            "quorate maelstrom -w lin-kv --bin n --nemesis kill",
            "quorate sim --config dynamo -- --nemesis kill",
            "quorate",
        ] {
            assert_eq!(hoisted(line), line);
        }
    }

    #[test]
    fn a_run_flag_given_before_and_after_the_node_arguments_is_named() {
        for (line, flag) in [
            (
                "quorate maelstrom -w lin-kv --bin n --nemesis kill -- a --nemesis=pause",
                "--nemesis",
            ),
            (
                "quorate maelstrom -w lin-kv --bin n -- a -- --workload mvr-kv",
                "--workload",
            ),
            (
                "quorate maelstrom --seed=1 -w lin-kv --bin n -- a --seed 2",
                "--seed",
            ),
        ] {
            let error = hoist_run_flags(words(line)).unwrap_err();
            assert_eq!(error.kind(), clap::error::ErrorKind::ArgumentConflict);
            let text = error.to_string();
            assert!(
                text.contains(&format!("{flag} is given both before")),
                "{line}: {text}"
            );
        }
    }
}
