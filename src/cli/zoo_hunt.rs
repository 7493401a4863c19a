//! `quorate explore --bug NAME` (dispatched from `explore`): hunt deliberate store bugs (the bug
//! zoo) with their focused searches, and print cases to detection, seconds and the minimized
//! history; several bugs (or `all`) print the zoo table.

use std::path::PathBuf;

use crate::config::{parse_bugs, Bug};
use crate::zoo::{describe_operations, search, table, Hunt};

use super::Exit;

/// What `explore --bug` asks for.
#[derive(Debug)]
pub(super) struct Args {
    /// The bugs to hunt, by name (lists separated by commas), or `all`.
    pub(super) bugs: Vec<String>,
    /// The most cases each search runs (default: each hunt's own, [`Hunt::cases_max`]).
    pub(super) cases: Option<u64>,
    /// The seed of the first case (case i runs seed + i); each hunt's own by default.
    pub(super) seed: Option<u64>,
    /// Hunt with the bugs switched off: the same cases, to show they find nothing.
    pub(super) off: bool,
    /// Where to write the minimized history (JSON), when hunting one bug.
    pub(super) out: Option<PathBuf>,
    /// Replace `out` if it exists.
    pub(super) force: bool,
}

fn bugs_of(args: &Args) -> Result<Vec<Bug>, String> {
    let mut bugs = Vec::new();
    for list in &args.bugs {
        if list.trim() == "all" {
            bugs.extend(Bug::ALL);
            continue;
        }
        bugs.extend(parse_bugs(list).map_err(|error| format!("--bug: {error}"))?);
    }
    bugs.sort();
    bugs.dedup();
    Ok(bugs)
}

pub(super) fn run(args: &Args) -> Exit {
    let bugs = match bugs_of(args) {
        Ok(bugs) if !bugs.is_empty() => bugs,
        Ok(_) => {
            eprintln!("quorate explore: --bug names no bug");
            return Exit::BadInput;
        }
        Err(error) => {
            eprintln!("quorate explore: {error}");
            return Exit::BadInput;
        }
    };
    if args.out.is_some() && bugs.len() > 1 {
        eprintln!("quorate explore: --out needs exactly one bug");
        return Exit::BadInput;
    }
    if let Some(out) = &args.out {
        if let Err(error) = super::refuse_overwrite("--out", out, args.force) {
            eprintln!("quorate explore: {error}");
            return Exit::BadInput;
        }
    }
    let mut rows = Vec::new();
    for bug in bugs {
        let mut hunt = Hunt::for_bug(bug);
        if let Some(seed) = args.seed {
            hunt.first_seed = seed;
        }
        let found = search(&hunt, !args.off, args.cases.unwrap_or(hunt.cases_max));
        rows.push((hunt, found));
    }
    let any_found = rows.iter().any(|(_, found)| found.is_some());
    if let [(hunt, found)] = rows.as_slice() {
        let switched = if args.off { "off" } else { "on" };
        say!(
            "quorate explore --bug {}: {}",
            hunt.bug,
            hunt.bug.description()
        );
        say!(
            "  preset {}{}; {} clients, {} steps, {} key(s); faults: {}; bug {switched}",
            hunt.preset,
            if hunt.adjustments.is_empty() {
                String::new()
            } else {
                format!(" ({})", hunt.adjustments)
            },
            hunt.options.clients,
            hunt.options.ops,
            hunt.options.keys,
            crate::history::FaultType::list_text(&hunt.options.faults, ", ")
        );
        let Some(found) = found else {
            say!(
                "  nothing forbidden in {} cases from seed {}",
                args.cases.unwrap_or(hunt.cases_max),
                hunt.first_seed
            );
            return Exit::Valid;
        };
        say!(
            "  found after {} cases (seed {}) in {:.3} s: {}; minimized in {:.3} s to {} steps, {} operations",
            found.cases,
            found.seed,
            found.detection.as_secs_f64(),
            found
                .forbidden_kinds
                .iter()
                .map(|kind| kind.name())
                .collect::<Vec<_>>()
                .join(", "),
            found.total.as_secs_f64(),
            found.minimized.op_count(),
            found.minimized_history.operations.len()
        );
        let replay = hunt.replay_command(found.seed);
        let replay = if args.off {
            replay.replace(&format!(" --bug {}", hunt.bug), "")
        } else {
            replay
        };
        say!("  replay: {replay}");
        say!("minimized history:");
        say_raw!("{}", describe_operations(&found.minimized_history));
        say!("{}", found.minimized_report);
        if let Some(path) = &args.out {
            if let Err(error) = std::fs::write(path, found.minimized_history.to_json()) {
                eprintln!("quorate explore: cannot write {}: {error}", path.display());
                return Exit::BadInput;
            }
            say!("minimized history written to {}", path.display());
        }
    } else {
        say_raw!("{}", table(&rows));
    }
    if any_found {
        Exit::Anomaly
    } else {
        Exit::Valid
    }
}
