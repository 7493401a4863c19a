//! Simulator throughput: simulated messages per second and scenarios per second on one core.
//!
//! `cargo bench --bench sim` (a plain timing loop, no external harness). The goals (issue 4):
//! at least 2,000,000 simulated messages per second, and a 10,000-operation scenario with faults
//! simulated in at most 50 ms. This file reads the wall clock, which the simulator never does.

use std::time::{Duration, Instant};

use quorate::config::{Config, PRESETS};
use quorate::gen::{self, WorkloadOptions};
use quorate::history::FaultType;
use quorate::sim;

fn options(ops: usize, clients: usize, keys: usize) -> WorkloadOptions {
    WorkloadOptions {
        ops,
        clients,
        keys,
        // The kinds the README's figures were measured with (delay and reorder came later).
        faults: FaultType::DRAWN_BY_DEFAULT.to_vec(),
        faults_per_kind: 2,
    }
}

/// CPU time this thread has run, where Linux tells it (`/proc/thread-self/schedstat`): on a
/// machine shared with other work, wall time overstates what one core needs.
fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// How long `work` took: on-CPU time when available, else wall time.
fn time<T>(mut work: impl FnMut() -> T) -> (Duration, T) {
    let (start, cpu_start) = (Instant::now(), cpu_ns());
    let result = work();
    let elapsed = match (cpu_start, cpu_ns()) {
        (Some(before), Some(after)) => Duration::from_nanos(after - before),
        _ => start.elapsed(),
    };
    (elapsed, result)
}

fn main() {
    let clock = if cpu_ns().is_some() {
        "on-CPU time"
    } else {
        "wall time"
    };
    println!("times are {clock} of one thread");
    // QUORATE_BENCH_PRESETS=dynamo,lww runs only those presets (for profiling one of them).
    let only = std::env::var("QUORATE_BENCH_PRESETS").unwrap_or_default();
    let presets: Vec<&str> = PRESETS
        .into_iter()
        .filter(|preset| only.is_empty() || only.split(',').any(|name| name == *preset))
        .collect();
    println!("large scenarios: 10,000 operations, 10 clients, 20 keys, two faults of every kind");
    for &preset in &presets {
        let config = Config::preset(preset).unwrap();
        let scenario = gen::workload(config, 1, &options(10_000, 10, 20)).unwrap();
        // One warm-up run, then the best of three.
        let _ = sim::run(&scenario).unwrap();
        let mut best = Duration::MAX;
        let mut stats = None;
        for _ in 0..3 {
            let (elapsed, output) = time(|| sim::run(&scenario).unwrap());
            if elapsed < best {
                best = elapsed;
            }
            stats = Some(output.stats);
        }
        let stats = stats.unwrap();
        let seconds = best.as_secs_f64();
        println!(
            "  {preset:<9} {:>7.1} ms  {:>8} messages  {:>10.0} messages/s  {:>10.0} steps/s",
            seconds * 1e3,
            stats.messages_sent,
            stats.messages_sent as f64 / seconds,
            stats.steps as f64 / seconds
        );
    }
    println!("small scenarios: 30 operations, 3 clients, 2 keys, every fault kind");
    for &preset in &presets {
        let config = Config::preset(preset).unwrap();
        let scenarios: Vec<_> = (0..500)
            .map(|seed| gen::workload(config.clone(), seed, &options(30, 3, 2)).unwrap())
            .collect();
        let (elapsed, messages) = time(|| {
            scenarios
                .iter()
                .map(|scenario| sim::run(scenario).unwrap().stats.messages_sent)
                .sum::<u64>()
        });
        let seconds = elapsed.as_secs_f64();
        println!(
            "  {preset:<9} {:>8.0} scenarios/s  {:>10.0} messages/s",
            scenarios.len() as f64 / seconds,
            messages as f64 / seconds
        );
    }
}
