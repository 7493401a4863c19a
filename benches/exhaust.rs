//! The exhaustive explorer's speed and its reduction (issue #15): for each preset but `atomic`
//! (whose LWW writes read timestamps first, which makes the same bound too large to finish), one
//! client pair of the default bound under one crash is searched 5 times on one thread, and the
//! median time, states, transitions per second and schedules are printed beside the verdict;
//! then the same bound of the `dynamo` preset with the reduction (sleep sets) and the visited set
//! each switched off, side by side, to show what each prunes.
//!
//! `cargo bench --bench exhaust`. Speed is measured here, never asserted in a test.

use std::time::Instant;

use quorate::config::Config;
use quorate::exhaust::{self, Bounds, Counts, FaultKind, Options, Outcome};
use quorate::verdict::Verdict;

const RUNS: usize = 5;

fn crash_bound() -> Bounds {
    Bounds {
        faults: vec![FaultKind::Crash],
        max_faults: 1,
        ..Bounds::default()
    }
}

/// Searches `preset` under `options` `RUNS` times; the outcomes (each search's counts and
/// verdict are the same every time) and the median wall time.
fn measure(preset: &str, options: &Options) -> (Outcome, f64) {
    let config = Config::preset(preset).expect("a preset");
    let mut seconds = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        let outcome = exhaust::exhaust_reference(config.clone(), options, &|_: &Counts| {})
            .expect("the bound is possible");
        seconds.push(started.elapsed().as_secs_f64());
        last = Some(outcome);
    }
    seconds.sort_by(f64::total_cmp);
    (last.expect("at least one run"), seconds[RUNS / 2])
}

fn verdict(outcome: &Outcome) -> &'static str {
    match outcome.verdict {
        Verdict::Valid => "verified (bounded)",
        Verdict::Invalid => "anomaly",
        Verdict::Unknown => "unknown",
    }
}

fn main() {
    println!(
        "exhaust: 2 clients × 1 operation × 1 key, one crash; median of {RUNS} runs, 1 thread"
    );
    println!(
        "{:<10} {:>9} {:>10} {:>12} {:>14} {:>10}  verdict",
        "preset", "seconds", "states", "transitions", "transitions/s", "schedules"
    );
    for preset in ["dynamo", "weak", "sloppy", "lww", "cassandra"] {
        let options = Options {
            bounds: crash_bound(),
            ..Options::default()
        };
        let (outcome, seconds) = measure(preset, &options);
        let counts = &outcome.counts;
        println!(
            "{preset:<10} {seconds:>9.3} {:>10} {:>12} {:>14.0} {:>10}  {}",
            counts.states,
            counts.transitions,
            counts.transitions as f64 / seconds,
            counts.schedules,
            verdict(&outcome)
        );
    }

    println!();
    println!("dynamo, the same bound: what the reduction and the visited set prune");
    println!(
        "{:<28} {:>9} {:>12} {:>10} {:>10}",
        "pruning", "seconds", "transitions", "schedules", "histories"
    );
    for (name, sleep_sets, visited) in [
        ("sleep sets + visited set", true, true),
        ("visited set only", false, true),
        ("sleep sets only", true, false),
    ] {
        let options = Options {
            bounds: crash_bound(),
            sleep_sets,
            visited,
            ..Options::default()
        };
        let (outcome, seconds) = measure("dynamo", &options);
        let counts = &outcome.counts;
        println!(
            "{name:<28} {seconds:>9.3} {:>12} {:>10} {:>10}",
            counts.transitions, counts.schedules, counts.histories
        );
    }
}
