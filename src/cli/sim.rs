//! `quorate sim`: run one scenario against the reference store, print a summary, write the history.

use std::path::PathBuf;

use crate::config::{parse_bugs, Config};
use crate::gen::{self, WorkloadOptions};
use crate::history::{FaultType, OpKind, Outcome};
use crate::sim::{self, Latency, Scenario};

use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A preset (dynamo, weak, sloppy, lww, cassandra, atomic) or a configuration JSON file.
    #[arg(long, required_unless_present = "scenario")]
    config: Option<String>,
    /// The seed: the same seed and options give the same history, byte for byte.
    #[arg(long, required_unless_present = "scenario")]
    seed: Option<u64>,
    /// Client steps in the generated workload. A step is a get, a blind put, or an update or
    /// delete (a get, then, if it answered, a put or delete with its context), so the history
    /// holds between --ops and 2 × --ops operations.
    #[arg(long, default_value_t = 100)]
    ops: usize,
    /// Sequential clients.
    #[arg(long, default_value_t = 3)]
    clients: usize,
    /// Keys the workload touches.
    #[arg(long, default_value_t = 3)]
    keys: usize,
    /// Fault kinds to inject, comma separated: partition, one-way, client-partition, crash,
    /// pause, skew, loss, duplicate, disk-loss, delay (latencies 2 to 10 times as long),
    /// reorder (up to 10 to 100 ms more per message); or none.
    #[arg(long, default_value = "partition,crash")]
    faults: String,
    /// Network latency: constant:MS, uniform:MIN:MAX, exponential:MEAN or table:MS,MS,...
    /// (default uniform:1:10).
    #[arg(long)]
    latency: Option<String>,
    /// Run this scenario (a scenario JSON file, or a history or regression case whose "scenario"
    /// to replay) instead of generating one; --config and --seed, when given, replace the scenario's own.
    #[arg(long, conflicts_with_all = ["ops", "clients", "keys", "faults"])]
    scenario: Option<PathBuf>,
    /// Deliberate store bugs to switch on (the bug zoo), by name: repeat the flag or separate
    /// names by commas (vnode-clock, ignore-context, repair-overwrites, quorum-double-count,
    /// hint-lost-on-restart, aae-skips-bucket, early-reap, lww-reversed,
    /// sloppy-reads-count-fallbacks, stale-context).
    #[arg(long = "bug", value_name = "NAME")]
    bugs: Vec<String>,
    /// Where to write the history (JSON).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Record what happened inside the store (messages sent, delivered, dropped and duplicated,
    /// faults, each replica's siblings after each change) as the history's `trace`, which
    /// `quorate render` draws. Without it the history is exactly what it always was.
    #[arg(long)]
    trace: bool,
    /// Replace the --out file if it exists.
    #[arg(long, requires = "out")]
    force: bool,
}

fn load_config(name: &str) -> Result<Config, String> {
    Config::from_preset_or_file(name).map_err(|error| error.to_string())
}

/// Parses `--latency`.
fn parse_latency(text: &str) -> Result<Latency, String> {
    let number = |part: &str| {
        part.trim()
            .parse::<u64>()
            .map_err(|_| format!("--latency {text}: {part:?} is not a number of milliseconds"))
    };
    let (name, rest) = text.split_once(':').unwrap_or((text, ""));
    let parts: Vec<&str> = rest.split(':').collect();
    match (name, parts.as_slice()) {
        // `const` and `exp` are the spellings of `quorate staleness --latency`, accepted here too.
        ("constant" | "const", [ms]) => Ok(Latency::Constant {
            latency_ms: number(ms)?,
        }),
        ("uniform", [min, max]) => Ok(Latency::Uniform {
            latency_ms_min: number(min)?,
            latency_ms_max: number(max)?,
        }),
        ("exponential" | "exp", [mean]) => Ok(Latency::Exponential {
            latency_ms_mean: number(mean)?,
        }),
        ("table", [samples]) => Ok(Latency::Table {
            latency_ms: samples.split(',').map(number).collect::<Result<_, _>>()?,
        }),
        _ => Err(format!(
            "--latency {text}: expected constant:MS, uniform:MIN:MAX, exponential:MEAN or table:MS,MS,..."
        )),
    }
}

fn build(args: &Args) -> Result<Scenario, String> {
    let mut scenario = build_scenario(args)?;
    if let Some(text) = &args.latency {
        scenario.network.latency = parse_latency(text)?;
        scenario.validate().map_err(|error| error.to_string())?;
    }
    for list in &args.bugs {
        let bugs = parse_bugs(list).map_err(|error| format!("--bug: {error}"))?;
        scenario.config.bugs.extend(bugs);
    }
    Ok(scenario)
}

fn build_scenario(args: &Args) -> Result<Scenario, String> {
    if let Some(path) = &args.scenario {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let mut scenario = Scenario::from_document(&text)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        if let Some(config) = &args.config {
            scenario.config = load_config(config)?;
        }
        if let Some(seed) = args.seed {
            scenario.seed = seed;
        }
        scenario
            .validate()
            .map_err(|error| format!("{}: {error}", path.display()))?;
        return Ok(scenario);
    }
    let (Some(config), Some(seed)) = (&args.config, args.seed) else {
        return Err("--config and --seed are needed to generate a scenario".into());
    };
    let config = load_config(config)?;
    check_workload_size(args)?;
    let faults =
        FaultType::parse_list(&args.faults).map_err(|error| format!("--faults: {error}"))?;
    let options = WorkloadOptions {
        ops: args.ops,
        clients: args.clients,
        keys: args.keys,
        faults,
        ..WorkloadOptions::default()
    };
    gen::workload(config, seed, &options).map_err(|error| error.to_string())
}

/// The most client steps `quorate sim` generates: a simulated history holds about 1.4 GB per
/// million operations in memory, so ten million need about 14 GB.
const OPS_MAX: usize = 10_000_000;

/// Refuses workload sizes the generator would otherwise bend silently (no keys, no clients, more
/// clients than the simulator runs) or that would not fit in memory.
fn check_workload_size(args: &Args) -> Result<(), String> {
    if args.keys == 0 {
        return Err("--keys 0: the workload needs at least one key".into());
    }
    if args.clients == 0 || args.clients > sim::CLIENTS_MAX {
        return Err(format!(
            "--clients {}: between 1 and {} (the simulator keeps a table per pair of endpoints)",
            args.clients,
            sim::CLIENTS_MAX
        ));
    }
    if args.ops > OPS_MAX {
        return Err(format!(
            "--ops {}: at most {OPS_MAX}; a simulated history takes about 1.4 GB of memory per million operations, so this one would need about {:.0} GB",
            args.ops,
            args.ops as f64 * 1.4e-6
        ));
    }
    Ok(())
}

pub(super) fn run(args: &Args) -> Exit {
    if let Some(out) = &args.out {
        if let Err(error) = super::refuse_overwrite("--out", out, args.force) {
            eprintln!("quorate sim: {error}");
            return Exit::BadInput;
        }
    }
    let scenario = match build(args) {
        Ok(scenario) => scenario,
        Err(error) => {
            eprintln!("quorate sim: {error}");
            return Exit::BadInput;
        }
    };
    let run = if args.trace {
        sim::run_traced
    } else {
        sim::run
    };
    let output = match run(&scenario) {
        Ok(output) => output,
        Err(error) => {
            eprintln!("quorate sim: {error}");
            return Exit::BadInput;
        }
    };
    let history = &output.history;
    let count = |kind: OpKind, outcome: Outcome| {
        history
            .operations
            .iter()
            .filter(|op| op.kind() == kind && op.outcome == outcome)
            .count()
    };
    let config_name = args.config.as_deref().unwrap_or("(the scenario's)");
    let bugs: Vec<&str> = scenario.config.bugs.iter().map(|bug| bug.name()).collect();
    let bugs = if bugs.is_empty() {
        String::new()
    } else {
        format!(" --bug {}", bugs.join(","))
    };
    say!(
        "quorate sim --config {config_name} --seed {}{bugs}: {} operations from {} client steps of {} clients (an update or delete step is a get and then its write)",
        scenario.seed,
        history.operations.len(),
        scenario.op_count(),
        scenario.clients.len()
    );
    let kinds = [OpKind::Get, OpKind::Put, OpKind::Delete];
    for kind in kinds {
        say!(
            "  {:<7} ok {:>5}  fail {:>5}  info {:>5}",
            kind.to_string(),
            count(kind, Outcome::Ok),
            count(kind, Outcome::Fail),
            count(kind, Outcome::Info)
        );
    }
    say!("  faults injected: {}", history.faults.len());
    for fault in &history.faults {
        let end = fault
            .time_ms_end
            .map_or("end".to_string(), |end| format!("{end} ms"));
        say!(
            "    {:<18} {:>6} ms .. {:<9} {}",
            fault.kind.record_name(),
            fault.time_ms_start,
            end,
            fault.description
        );
    }
    let stats = &output.stats;
    say!(
        "  messages: {} sent, {} delivered, {} dropped, {} duplicated",
        stats.messages_sent,
        stats.messages_delivered,
        stats.messages_dropped,
        stats.messages_duplicated
    );
    if let Some(run) = &history.run {
        // The last time a client heard back (or, for an operation never answered, invoked).
        let last_answer_ms = history
            .operations
            .iter()
            .map(|op| op.time_ms_complete.unwrap_or(op.time_ms_invoke))
            .max()
            .unwrap_or(0);
        let ending = match &run.bound_hit {
            Some(bound) => format!("stopped by {bound}"),
            None if run.quiescent => "quiet".to_string(),
            None => "not quiet".to_string(),
        };
        say!(
            "  run: {} simulator steps; operations from 0 to {} ms, the run (workload, heal, settle) to {} simulated ms; {ending}",
            run.steps,
            last_answer_ms,
            run.time_ms_end
        );
    }
    if let Some(path) = &args.out {
        if let Err(error) = std::fs::write(path, history.to_json()) {
            eprintln!("quorate sim: cannot write {}: {error}", path.display());
            return Exit::BadInput;
        }
        say!("  history written to {}", path.display());
    }
    Exit::Valid
}
