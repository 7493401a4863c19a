//! `quorate explore`: the campaign of [`crate::explore`] with its effects — the results folder,
//! the progress bar (or plain lines when stderr is not a terminal), the table and the witnesses'
//! paths — and `--merge`, which folds shard results folders into one table.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::config::{Config, PRESETS};
use crate::explore::{
    self, Campaign, Configuration, FoundWitness, Shard, Summary, Witness, CASES_PER_CONFIG_DEFAULT,
    JOBS_MAX, SEED_DEFAULT, SUMMARY_FILE, VARIANT_ROWS,
};

use super::{zoo_hunt, Exit};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A preset (dynamo, weak, sloppy, lww, cassandra, atomic) or a configuration JSON file;
    /// repeat it for several (default: every preset).
    #[arg(long)]
    config: Vec<String>,
    /// Cases per configuration (default 50,000; with --bug, the most cases each hunt runs,
    /// default 2,000).
    #[arg(long)]
    cases: Option<u64>,
    /// Start no new case after this many seconds of wall time. Each case's result stays
    /// deterministic; only how many cases run depends on the time.
    #[arg(long)]
    time: Option<f64>,
    /// The campaign seed: each case's scenario comes from it, the configuration and the case
    /// index (default 1). With --bug, the seed of a hunt's first case (default: the hunt's own).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads, 1 to 1024 (default: the machine's cores). Results do not depend on it.
    #[arg(long, value_parser = parse_jobs)]
    jobs: Option<usize>,
    /// Hunt deliberate store bugs of the bug zoo instead of running the campaign: by name (repeat
    /// the flag or separate names by commas), or `all`. Prints cases to detection, seconds and
    /// the minimized history (one bug) or the zoo table (several).
    #[arg(long, value_name = "NAME")]
    bug: Vec<String>,
    /// With --bug: hunt with the bugs switched off, over the same cases, to show they find nothing.
    #[arg(long, requires = "bug")]
    off: bool,
    /// With --bug and one bug: where to write the minimized history (JSON).
    #[arg(long, requires = "bug")]
    out: Option<PathBuf>,
    /// The results folder (default: results/explore-SEED, or the next free results/explore-SEED-K;
    /// for a shard, results/explore-SEED-shard-I-of-N).
    #[arg(long)]
    save: Option<PathBuf>,
    /// Write into a --save folder that is not empty; with --bug, replace the --out file.
    #[arg(long)]
    force: bool,
    /// Run only shard I of N, counting from 1 (1/4 … 4/4; case i belongs to shard (i mod N) + 1),
    /// and write its results for --merge.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Merge the results folders of shards (or of whole runs) into one table; nothing is run.
    /// Every shard of the campaign must be there, unless --partial.
    #[arg(long, num_args = 1.., conflicts_with_all = ["config", "time", "jobs", "bug", "shard", "force"])]
    merge: Vec<PathBuf>,
    /// With --merge: merge the shards given even when some are missing (the table then covers
    /// only those, and says so).
    #[arg(long, requires = "merge")]
    partial: bool,
}

/// `--jobs` is refused above [`JOBS_MAX`] rather than capped: results do not depend on the number
/// of threads, so a larger number only costs memory (a stack each) and switching, and is more
/// likely a slip (`--jobs 100000` for `--cases 100000`) than a wish; a message says so instead of
/// silently running with fewer. 1024 is beyond the cores of any machine this runs on; the pool
/// still copes if the system refuses some of them.
fn parse_jobs(text: &str) -> Result<usize, String> {
    let jobs: usize = text
        .parse()
        .map_err(|_| format!("expected a number of threads from 1 to {JOBS_MAX}"))?;
    if (1..=JOBS_MAX).contains(&jobs) {
        Ok(jobs)
    } else {
        Err(format!(
            "{jobs} threads: expected 1 to {JOBS_MAX} (results do not depend on it)"
        ))
    }
}

pub(super) fn run(args: &Args) -> Exit {
    let result = if args.merge.is_empty() {
        explore(args)
    } else {
        merge_dirs(&args.merge, args.partial)
    };
    result.unwrap_or_else(|error| {
        eprintln!("quorate explore: {error}");
        Exit::BadInput
    })
}

fn campaign(args: &Args) -> Result<Campaign, String> {
    let names: Vec<String> = if args.config.is_empty() {
        PRESETS
            .iter()
            .chain(&VARIANT_ROWS)
            .map(|name| name.to_string())
            .collect()
    } else {
        args.config.clone()
    };
    let mut configs: Vec<Configuration> = Vec::new();
    for name in names {
        if configs.iter().any(|c| c.label == name) {
            return Err(format!("--config {name} is given twice"));
        }
        let config = Config::from_preset_or_file(&name).map_err(|error| error.to_string())?;
        configs.push(Configuration {
            label: name,
            config,
        });
    }
    if args.cases == Some(0) {
        return Err("--cases 0: nothing to explore".into());
    }
    Ok(Campaign {
        seed: args.seed.unwrap_or(SEED_DEFAULT),
        configs,
        cases_per_config: args.cases.unwrap_or(CASES_PER_CONFIG_DEFAULT),
    })
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}

/// The results folder: `--save` (refused if not empty, unless `--force`), or the first free
/// `results/explore-SEED[-K]`.
fn save_dir(args: &Args, shard: Shard) -> Result<PathBuf, String> {
    if let Some(dir) = &args.save {
        if dir.exists() && !dir.is_dir() {
            return Err(format!("--save {}: not a folder", dir.display()));
        }
        if dir.exists() && !is_empty_dir(dir) && !args.force {
            return Err(format!(
                "--save {}: the folder is not empty; pass --force to write into it",
                dir.display()
            ));
        }
        return Ok(dir.clone());
    }
    let base = PathBuf::from(if shard == Shard::WHOLE {
        format!("results/explore-{}", args.seed.unwrap_or(SEED_DEFAULT))
    } else {
        format!(
            "results/explore-{}-shard-{}-of-{}",
            args.seed.unwrap_or(SEED_DEFAULT),
            shard.index + 1,
            shard.count
        )
    });
    let candidates = std::iter::once(base.clone())
        .chain((2..1000).map(|k| PathBuf::from(format!("{}-{k}", base.display()))));
    for dir in candidates {
        if !dir.exists() || is_empty_dir(&dir) {
            return Ok(dir);
        }
    }
    Err(format!(
        "{}-2 … -999 are all taken; name a folder with --save",
        base.display()
    ))
}

/// Runs `work` and shows its progress from another thread meanwhile: a bar on a terminal, a line
/// every ten seconds otherwise. When the system refuses that thread, the work runs without
/// progress.
fn with_progress<R>(what: &str, total: u64, done: &AtomicU64, work: impl FnOnce() -> R) -> R {
    let started = Instant::now();
    let finished = AtomicBool::new(false);
    let show = || {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            let style = indicatif::ProgressStyle::with_template(
                "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(what.to_string());
            bar
        });
        let mut last_line = Instant::now();
        while !finished.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            let position = done.load(Ordering::Relaxed);
            match &bar {
                Some(bar) => bar.set_position(position),
                None if last_line.elapsed() >= Duration::from_secs(10) => {
                    last_line = Instant::now();
                    eprintln!(
                        "quorate explore: {what}: {position}/{total} after {:.0} s",
                        started.elapsed().as_secs_f64()
                    );
                }
                None => {}
            }
        }
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
    };
    /// Tells the progress thread to stop however `work` ends, a panic included: the scope waits
    /// for that thread before it passes a panic on, so without this a panic would hang the run.
    struct StopOnDrop<'a>(&'a AtomicBool);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    std::thread::scope(|scope| {
        let progress = std::thread::Builder::new().spawn_scoped(scope, show);
        let stop = StopOnDrop(&finished);
        let result = work();
        drop(stop);
        if let Ok(progress) = progress {
            let _ = progress.join();
        }
        result
    })
}

/// Creates the results folder and writes and removes a probe file in it, so that a folder that
/// cannot take the results is refused before the campaign, not after it.
fn ensure_writable(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    let probe = dir.join(".quorate-write-probe");
    std::fs::write(&probe, b"probe")
        .map_err(|error| format!("cannot write into {}: {error}", dir.display()))?;
    std::fs::remove_file(&probe)
        .map_err(|error| format!("cannot remove {}: {error}", probe.display()))
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|error| format!("cannot write {}: {error}", path.display()))
}

fn explore(args: &Args) -> Result<Exit, String> {
    if !args.bug.is_empty() {
        if !args.config.is_empty()
            || args.shard.is_some()
            || args.save.is_some()
            || args.time.is_some()
        {
            return Err("--bug hunts each bug with its own focused search: it takes --cases, --seed, --off, --out and --force, not --config, --shard, --save or --time".into());
        }
        let hunt = zoo_hunt::Args {
            bugs: args.bug.clone(),
            cases: args.cases,
            seed: args.seed,
            off: args.off,
            out: args.out.clone(),
            force: args.force,
        };
        return Ok(zoo_hunt::run(&hunt));
    }
    let shard = match &args.shard {
        Some(text) => text.parse::<Shard>().map_err(|error| error.to_string())?,
        None => Shard::WHOLE,
    };
    if let Some(seconds) = args.time {
        if !(seconds.is_finite() && seconds > 0.0) {
            return Err(format!(
                "--time {seconds}: expected a positive number of seconds"
            ));
        }
    }
    let campaign = campaign(args)?;
    let dir = save_dir(args, shard)?;
    ensure_writable(&dir)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, JOBS_MAX);
    let started = Instant::now();
    let deadline = args
        .time
        .map(|seconds| started + Duration::from_secs_f64(seconds));
    let total = shard.len(campaign.case_total());
    eprintln!(
        "quorate explore: seed {}, {} configurations × {} cases{}: {total} cases on {jobs} threads; results in {}",
        campaign.seed,
        campaign.configs.len(),
        campaign.cases_per_config,
        if shard == Shard::WHOLE {
            String::new()
        } else {
            format!(", shard {shard}")
        },
        dir.display()
    );
    let done = AtomicU64::new(0);
    let mut summary = with_progress("cases", total, &done, || {
        explore::run(&campaign, shard, jobs, deadline, &done)
    });
    let campaign_seconds = started.elapsed().as_secs_f64();
    let targets = explore::witness_targets(&summary);
    let witness_started = Instant::now();
    let done = AtomicU64::new(0);
    let found = with_progress("witnesses", targets.len() as u64, &done, || {
        explore::find_witnesses(&campaign, &targets, jobs, &done)
    });
    let mut failures = Vec::new();
    for result in found {
        match result {
            Ok(witness) => summary
                .witnesses
                .push(save_witness(&campaign, &dir, &witness)?),
            Err(error) => failures.push(error),
        }
    }
    write_file(&dir.join(SUMMARY_FILE), &summary.to_json())?;
    print_results(&summary, Some(&dir));
    say!(
        "{} cases in {campaign_seconds:.1} s{}, {} witnesses minimized in {:.1} s, on {jobs} threads; summary in {}",
        summary.cases(),
        if summary.stopped_early {
            " (stopped early by --time)"
        } else {
            ""
        },
        summary.witnesses.len(),
        witness_started.elapsed().as_secs_f64(),
        dir.join(SUMMARY_FILE).display()
    );
    for error in &failures {
        eprintln!("quorate explore: a witness could not be minimized: {error}");
    }
    Ok(exit_of(&summary))
}

/// 1 when some case broke the model its configuration promises (or could not be run).
fn exit_of(summary: &Summary) -> Exit {
    if summary
        .configs
        .iter()
        .any(|config| config.cases_invalid > 0 || config.cases_error > 0)
    {
        Exit::Anomaly
    } else {
        Exit::Valid
    }
}

fn save_witness(campaign: &Campaign, dir: &Path, found: &FoundWitness) -> Result<Witness, String> {
    let stem = found.file_stem(campaign);
    let case_file = format!("{stem}.json");
    let html_file = format!("{stem}.html");
    write_file(&dir.join(&case_file), &found.case.to_json())?;
    write_file(&dir.join(&html_file), &found.html)?;
    Ok(Witness {
        label: campaign.configs[found.config].label.clone(),
        kind: found.kind,
        case_index: found.case_index,
        scenario_seed: campaign
            .scenario(explore::CaseId {
                config: found.config,
                index: found.case_index,
            })
            .seed,
        forbidden: found.forbidden,
        operations: found.case.history.operations.len(),
        case_file,
        html_file,
    })
}

const LEGEND: &str = "\
Cells count the cases that showed each anomaly kind; * means the model the configuration promises
forbade it in some of them.
acked puts lost: acknowledged puts whose value the converged replicas neither hold nor overwrote
  (through the contexts writers read). LWW keeps one value where siblings keep every concurrent or
  blind write, so even atomic LWW loses the writes that a concurrent or later blind write replaced.
lost to skew: acknowledged LWW writes discarded by a write acknowledged before they began, whose
  timestamp was larger: the node clocks disagreed (the checker's L1 findings, cause clock_skew).
satisfied: the strongest model every case kept (none: some case broke even eventual).
";

/// The table, its legend and the witnesses (paths under `dir` when given).
fn print_results(summary: &Summary, dir: Option<&Path>) {
    say!();
    say_raw!("{}", explore::table(summary));
    say!();
    say_raw!("{LEGEND}");
    say!();
    say!("Coverage probes of the reference store (cases that reached each rare path):");
    say_raw!("{}", explore::probe_table(summary));
    for config in &summary.configs {
        if let Some(error) = &config.first_error {
            say!(
                "{}: {} cases could not run; case {}: {}",
                config.label,
                config.cases_error,
                error.index,
                error.message
            );
        }
    }
    if summary.witnesses.is_empty() {
        return;
    }
    say!();
    say!("Smallest witnesses (minimized; each replays with the command shown):");
    for witness in &summary.witnesses {
        let path = |file: &str| match dir {
            Some(dir) => dir.join(file),
            None => PathBuf::from(file),
        };
        say!(
            "  {:<10} {:<20} {} operations{}, case {} (scenario seed {})",
            witness.label,
            witness.kind.name(),
            witness.operations,
            if witness.forbidden { ", forbidden" } else { "" },
            witness.case_index,
            witness.scenario_seed,
        );
        say!(
            "             quorate replay {}   (timeline: {})",
            path(&witness.case_file).display(),
            path(&witness.html_file).display()
        );
    }
}

fn merge_dirs(dirs: &[PathBuf], partial: bool) -> Result<Exit, String> {
    let mut summaries = Vec::new();
    for dir in dirs {
        let path = dir.join(SUMMARY_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let mut summary =
            Summary::from_json(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        for witness in &mut summary.witnesses {
            witness.case_file = dir.join(&witness.case_file).display().to_string();
            witness.html_file = dir.join(&witness.html_file).display().to_string();
        }
        summaries.push(summary);
    }
    let merged = explore::merge(&summaries).map_err(|error| error.to_string())?;
    let missing = explore::missing_shards(&merged.shards, merged.shard_count);
    let list = |shards: &mut dyn Iterator<Item = u64>| {
        shards.map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
    };
    if !missing.is_empty() && !partial {
        return Err(format!(
            "shard{} {} of {} missing (shards count from 1): give {} folder{} too, or pass --partial to merge only the {} given",
            if missing.len() == 1 { " is" } else { "s are" },
            list(&mut missing.iter().copied()),
            merged.shard_count,
            if missing.len() == 1 { "its" } else { "their" },
            if missing.len() == 1 { "" } else { "s" },
            merged.shards.len()
        ));
    }
    say!(
        "quorate explore --merge: seed {}, shards {} of {}{}",
        merged.seed,
        list(&mut merged.shards.iter().map(|s| s + 1)),
        merged.shard_count,
        if missing.is_empty() {
            " (complete)".to_string()
        } else {
            format!(
                " (INCOMPLETE, --partial: shard{} {} missing)",
                if missing.len() == 1 { "" } else { "s" },
                list(&mut missing.iter().copied())
            )
        }
    );
    print_results(&merged, None);
    say!("{} cases", merged.cases());
    Ok(exit_of(&merged))
}
