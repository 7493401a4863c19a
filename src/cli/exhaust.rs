//! `quorate exhaust`: every schedule of a small scenario against the reference store (see
//! `crate::exhaust`), with progress on standard error, the counts and the verdict at the end, and
//! the counterexample as a regression case (`--out`).

use std::path::PathBuf;
use std::time::Duration;

use crate::check::Model;
use crate::config::{parse_bugs, Config};
use crate::exhaust::{self, Bounds, Budget, Counts, FaultKind, Options, Outcome};
use crate::regressions::Regression;
use crate::sim::ClientOpKind;
use crate::verdict::Verdict;

use super::Exit;

mod merge;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A preset (dynamo, weak, sloppy, lww, cassandra, atomic) or a configuration JSON file.
    #[arg(long, required_unless_present = "merge")]
    config: Option<String>,
    /// Deliberate store bugs to switch on (the bug zoo), by name: repeat the flag or separate
    /// names by commas.
    #[arg(long = "bug", value_name = "NAME")]
    bugs: Vec<String>,
    #[arg(long, default_value_t = 2)]
    clients: u32,
    /// Steps per client (2 × 2 with reads is beyond the sleep-set reduction's reach: see the
    /// README's measures).
    #[arg(long, default_value_t = 1)]
    ops: u32,
    #[arg(long, default_value_t = 1)]
    keys: u32,
    /// The kinds each client's steps cycle through: get, put, rmw, delete.
    #[arg(long, default_value = "put")]
    kinds: String,
    /// The fault kinds to inject: crash, partition, drop, duplicate (comma-separated).
    #[arg(long, default_value = "")]
    faults: String,
    /// Faults in one schedule (default: 1 when --faults names any, else 0).
    #[arg(long)]
    max_faults: Option<u32>,
    /// How often one schedule may move the clock to the next due timer.
    #[arg(long, default_value_t = 0)]
    advances: u32,
    /// A step may go to any of the first K coordinators of its key.
    #[arg(long, default_value_t = 1)]
    coordinators: u32,
    /// Choices in one schedule; a schedule cut there makes the verdict unknown.
    #[arg(long, default_value_t = 200)]
    max_depth: u32,
    /// The state budget: past it the verdict is unknown (exit 3).
    #[arg(long, default_value_t = 2_000_000)]
    max_states: u64,
    /// The time budget in seconds: past it the verdict is unknown (exit 3).
    #[arg(long)]
    time: Option<f64>,
    /// Judge against this model instead of the configuration's promise.
    #[arg(long)]
    model: Option<String>,
    /// Explore shard I of N, counting from 1 (1/4 … 4/4): the first choices whose position is
    /// (I - 1) mod N.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Threads that explore parts of the search side by side (each takes an equal share of
    /// --max-states; the counterexample is the same at every run, though it may differ from one
    /// thread's; counts are sums).
    #[arg(long, default_value_t = 1)]
    threads: u32,
    /// Search by iterative deepening, for a shortest counterexample (counts are totals over
    /// the depths).
    #[arg(long)]
    bfs: bool,
    /// Go on after the first schedule that breaks the model: judge every schedule, keep the first
    /// counterexample, and count the distinct histories that broke the model (not with --bfs).
    #[arg(long, conflicts_with = "bfs")]
    all: bool,
    /// Explore without the reduction (sleep sets), to measure it.
    #[arg(long)]
    no_reduction: bool,
    /// Explore without the visited set, to measure it.
    #[arg(long)]
    no_visited: bool,
    /// Where to write the counterexample as a regression case.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where to write this run's result (its verdict, counts and distinct histories) for
    /// --merge: a shard's, with --shard.
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// Merge the --summary files of every shard of one search into its verdict; nothing is run,
    /// so no flag of the search goes with it (each summary names its search).
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = [
        "config", "bugs", "clients", "ops", "keys", "kinds", "faults", "max_faults", "advances",
        "coordinators", "max_depth", "max_states", "time", "model", "shard", "threads", "bfs",
        "all", "no_reduction", "no_visited", "out", "summary",
    ])]
    merge: Vec<PathBuf>,
    /// Replace the --out or --summary file if it exists.
    #[arg(long)]
    force: bool,
}

fn list<T>(text: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(parse)
        .collect()
}

fn options(args: &Args, config: &str) -> Result<(Config, Options), String> {
    let mut config = Config::from_preset_or_file(config).map_err(|e| e.to_string())?;
    for names in &args.bugs {
        config
            .bugs
            .extend(parse_bugs(names).map_err(|error| format!("--bug: {error}"))?);
    }
    let faults = list(&args.faults, |name| {
        name.parse::<FaultKind>()
            .map_err(|error| format!("--faults: {error}"))
    })?;
    let kinds = list(&args.kinds, |name| match name {
        "get" => Ok(ClientOpKind::Get),
        "put" => Ok(ClientOpKind::Put),
        "rmw" => Ok(ClientOpKind::ReadModifyWrite),
        "delete" => Ok(ClientOpKind::Delete),
        _ => Err(format!("--kinds: {name:?} is not get, put, rmw or delete")),
    })?;
    let model = args
        .model
        .as_deref()
        .map(str::parse::<Model>)
        .transpose()
        .map_err(|error| format!("--model: {error}"))?;
    let time = match args.time {
        Some(seconds) if !(seconds.is_finite() && seconds > 0.0) => {
            return Err(format!(
                "--time {seconds}: not a positive number of seconds"
            ))
        }
        Some(seconds) => Some(Duration::from_secs_f64(seconds)),
        None => None,
    };
    let shard = match args.shard.as_deref() {
        None => None,
        Some(text) => {
            // The one shard syntax of the command line (explore's): I/N counting from 1.
            let shard: crate::explore::Shard = text.parse().map_err(|error| format!("{error}"))?;
            let (Ok(index), Ok(count)) = (u32::try_from(shard.index), u32::try_from(shard.count))
            else {
                return Err(format!("--shard {text}: at most {} shards", u32::MAX));
            };
            Some((index, count))
        }
    };
    let bounds = Bounds {
        clients: args.clients,
        ops: args.ops,
        keys: args.keys,
        kinds,
        max_faults: args.max_faults.unwrap_or(u32::from(!faults.is_empty())),
        faults,
        advances: args.advances,
        coordinators: args.coordinators,
        max_depth: args.max_depth,
    };
    let options = Options {
        bounds,
        budget: Budget {
            max_states: args.max_states,
            time,
        },
        model,
        sleep_sets: !args.no_reduction,
        visited: !args.no_visited,
        shortest: args.bfs,
        shard,
        threads: args.threads,
        all: args.all,
    };

    // Impossible bounds are bad input before anything runs.
    exhaust::scenario(config.clone(), &options.bounds).map_err(|error| error.to_string())?;
    Ok((config, options))
}

fn counts_line(counts: &Counts) -> String {
    let rate = counts.transitions as f64 / counts.seconds.max(1e-9);
    format!(
        "{} states, {} transitions ({:.0}/s), {} schedules, pruned {} by reduction and {} by the visited set, {} distinct histories, depth {}, {:.1} s",
        counts.states.max(counts.states_unhashed),
        counts.transitions,
        rate,
        counts.schedules,
        counts.pruned_sleep,
        counts.pruned_visited,
        counts.histories,
        counts.depth_max,
        counts.seconds
    )
}

/// The command line of the search, without its shard, threads and output flags: what the shards
/// of one search have in common.
fn search_line(args: &Args, config: &str) -> String {
    let mut line = format!("quorate exhaust --config {config}");
    for bug in &args.bugs {
        line += &format!(" --bug {bug}");
    }
    line += &format!(
        " --clients {} --ops {} --keys {} --kinds {}",
        args.clients, args.ops, args.keys, args.kinds
    );
    if !args.faults.is_empty() {
        line += &format!(" --faults {}", args.faults);
    }
    if let Some(max) = args.max_faults {
        line += &format!(" --max-faults {max}");
    }
    if args.advances > 0 {
        line += &format!(" --advances {}", args.advances);
    }
    if args.coordinators > 1 {
        line += &format!(" --coordinators {}", args.coordinators);
    }
    if let Some(model) = &args.model {
        line += &format!(" --model {model}");
    }
    if args.bfs {
        line += " --bfs";
    }
    if args.all {
        line += " --all";
    }
    if args.no_reduction {
        line += " --no-reduction";
    }
    if args.no_visited {
        line += " --no-visited";
    }
    if args.max_depth != 200 {
        line += &format!(" --max-depth {}", args.max_depth);
    }
    if args.max_states != 2_000_000 {
        line += &format!(" --max-states {}", args.max_states);
    }
    if let Some(seconds) = args.time {
        line += &format!(" --time {seconds}");
    }
    line
}

fn command_line(args: &Args, config: &str) -> String {
    let mut line = search_line(args, config);
    if let Some(shard) = &args.shard {
        line += &format!(" --shard {shard}");
    }
    if args.threads > 1 {
        line += &format!(" --threads {}", args.threads);
    }
    line
}

pub(super) fn run(args: &Args) -> Exit {
    let Some(config_name) = args.config.as_deref() else {
        return merge::run(&args.merge);
    };
    for (flag, path) in [("--out", &args.out), ("--summary", &args.summary)] {
        if let Some(path) = path {
            if let Err(error) = super::refuse_overwrite(flag, path, args.force) {
                eprintln!("quorate exhaust: {error}");
                return Exit::BadInput;
            }
        }
    }
    let (config, options) = match options(args, config_name) {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("quorate exhaust: {error}");
            return Exit::BadInput;
        }
    };
    let scenario = match exhaust::scenario(config.clone(), &options.bounds) {
        Ok(scenario) => scenario,
        Err(error) => {
            eprintln!("quorate exhaust: {error}");
            return Exit::BadInput;
        }
    };
    let progress = |counts: &Counts| eprintln!("quorate exhaust: {}", counts_line(counts));
    let outcome = match exhaust::exhaust_reference(config, &options, &progress) {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("quorate exhaust: {error}");
            return Exit::BadInput;
        }
    };
    let command = command_line(args, config_name);
    say!("{command}");
    say!("{}", counts_line(&outcome.counts));
    let (shard, shards) = options
        .shard
        .map_or((1, 1), |(index, count)| (index + 1, count));
    let mut result =
        exhaust::shards::ShardResult::of(&search_line(args, config_name), shard, shards, &outcome);
    let exit = report(args, &command, scenario, outcome);
    if let Some(summary) = args.summary.as_ref().filter(|_| exit != Exit::BadInput) {
        if exit == Exit::Anomaly {
            result.counterexample = args.out.as_ref().map(|out| out.display().to_string());
        }
        let json = serde_json::to_string_pretty(&result).expect("a shard result serializes");
        if let Err(error) = std::fs::write(summary, json + "\n") {
            eprintln!(
                "quorate exhaust: cannot write {}: {error}",
                summary.display()
            );
            return Exit::BadInput;
        }
        say!("summary written to {} (for --merge)", summary.display());
    }
    exit
}

fn report(args: &Args, command: &str, scenario: crate::sim::Scenario, outcome: Outcome) -> Exit {
    if let Some(error) = &outcome.error {
        eprintln!("quorate exhaust: {error}");
        return Exit::BadInput;
    }
    match outcome.verdict {
        Verdict::Valid => {
            say!("verified (bounded): no schedule breaks {}", outcome.model);
            Exit::Valid
        }
        Verdict::Unknown => {
            let reason = outcome.unknown.as_deref().unwrap_or("the budget ran out");
            say!("unknown: {reason}; no anomaly in what was covered");
            Exit::Unknown
        }
        Verdict::Invalid => {
            let Some(found) = outcome.counterexample else {
                eprintln!("quorate exhaust: an anomaly without its schedule");
                return Exit::BadInput;
            };
            let kinds = found.forbidden_kinds();
            say!(
                "anomaly: {} breaks {} in a schedule of {} chosen steps (then healed and settled in the canonical order):",
                kinds,
                outcome.model,
                found.schedule.len()
            );
            for (index, step) in found.steps.iter().enumerate() {
                say!("  {:>3}. {step}", index + 1);
            }
            if args.all {
                say!(
                    "{} of {} distinct histories broke {} ({}; the first found is shown)",
                    outcome.counts.failing,
                    outcome.counts.histories,
                    outcome.model,
                    if outcome.budget_spent {
                        "the budget ran out before every schedule was judged"
                    } else {
                        "every schedule within the bounds was judged"
                    }
                );
            }
            say!("{}", found.report);
            let title = format!("exhaust: {} in {} steps", kinds, found.schedule.len());
            let postmortem = "Found by exhaustive exploration; the schedule lists the explorer's choices, and replay runs them again.";
            let mut case = Regression::new(
                &title,
                postmortem,
                command,
                args.model.as_ref().map(|_| outcome.model),
                scenario,
                found.history,
                &found.report,
            );
            case.schedule = Some(found.schedule);
            match &args.out {
                Some(out) => match std::fs::write(out, case.to_json()) {
                    Ok(()) => say!(
                        "case written to {} (replay: quorate replay {})",
                        out.display(),
                        out.display()
                    ),
                    Err(error) => {
                        eprintln!("quorate exhaust: cannot write {}: {error}", out.display());
                        return Exit::BadInput;
                    }
                },
                None => say!("(--out FILE writes it as a regression case for quorate replay)"),
            }
            Exit::Anomaly
        }
    }
}
