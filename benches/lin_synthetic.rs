//! Benchmark on long synthetic histories, beyond the corpora: a register read and written by
//! several clients (linearizable by construction: every operation takes effect at a random
//! instant inside its interval), written as Jepsen log lines, imported and checked; and the same
//! history with one read corrupted, which is not linearizable.
//!
//! `cargo bench --bench lin_synthetic`. Deterministic: a fixed seed drives everything. Each
//! check has a budget of 2 s; a history that needs more is reported `unknown`.
//! `QUORATE_SYNTHETIC_CLIENTS=16` runs one size only; `QUORATE_SYNTHETIC_DUMP=DIR` writes the
//! histories as Jepsen logs into DIR instead of checking them.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use quorate::lin::external::{self, SpecName};
use quorate::lin::import::{self, Format};
use quorate::lin::verdict_words;
use quorate::verdict::{Budget, Verdict};

/// SplitMix64: a tiny deterministic generator, enough for a benchmark's workload.
struct Rng(u64);

impl Rng {
    /// SplitMix64's next output: the crate's finalizer (which adds the golden-ratio step
    /// itself) of the state, then the state moves one step.
    fn next(&mut self) -> u64 {
        let output = quorate::store::mix(self.0);
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        output
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

struct Op {
    client: u64,
    is_write: bool,
    value: Option<u64>,
    invoke: u64,
    effect: u64,
    complete: u64,
}

/// A linearizable register history: `clients` clients, `count` operations in all.
fn history(clients: u64, count: usize, seed: u64) -> Vec<Op> {
    let mut rng = Rng(seed);
    let mut free_at = vec![0u64; clients as usize];
    let mut ops: Vec<Op> = Vec::with_capacity(count);
    for _ in 0..count {
        let client = rng.below(clients);
        let invoke = free_at[client as usize] + rng.below(10);
        let complete = invoke + 1 + rng.below(40);
        let effect = invoke + rng.below(complete - invoke + 1);
        free_at[client as usize] = complete + 1;
        let is_write = rng.below(2) == 0;
        ops.push(Op {
            client,
            is_write,
            value: is_write.then(|| rng.below(100)),
            invoke,
            effect,
            complete,
        });
    }
    // Reads observe the last write before their effect instant (ties broken by position).
    let mut by_effect: Vec<usize> = (0..ops.len()).collect();
    by_effect.sort_by_key(|&index| (ops[index].effect, index));
    let mut current = None;
    for index in by_effect {
        if ops[index].is_write {
            current = ops[index].value;
        } else {
            ops[index].value = current;
        }
    }
    ops
}

fn jepsen_log(ops: &[Op]) -> String {
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * ops.len());
    for (index, op) in ops.iter().enumerate() {
        events.push((2 * op.invoke, false, index));
        events.push((2 * op.complete + 1, true, index));
    }
    events.sort();
    let mut text = String::new();
    for (_, is_return, index) in events {
        let op = &ops[index];
        let (kind, f) = (
            if is_return { ":ok" } else { ":invoke" },
            if op.is_write { ":write" } else { ":read" },
        );
        let value = match (op.is_write, is_return, op.value) {
            (false, false, _) | (_, _, None) => "nil".to_string(),
            (_, _, Some(value)) => value.to_string(),
        };
        let _ = writeln!(
            text,
            "INFO  jepsen.util - {}\t{kind}\t{f}\t{value}",
            op.client
        );
    }
    text
}

fn measure(name: &str, text: &str, expected: Verdict) {
    let mut times = Vec::new();
    let mut last = None;
    let mut unknown = false;
    let budget = Budget {
        time: Some(Duration::from_secs(2)),
        memory: Some(4_000_000_000),
    };
    for _ in 0..3 {
        let started = Instant::now();
        let history = import::import(text.as_bytes(), Format::JepsenLog).expect("imports");
        let result = external::check(&history, SpecName::Etcd, None, &budget).expect("checks");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        unknown |= result.verdict == Verdict::Unknown;
        last = Some(result);
    }
    times.sort_by(f64::total_cmp);
    let result = last.expect("ran");
    assert!(
        result.verdict == expected || result.verdict == Verdict::Unknown,
        "{name}: {}",
        verdict_words(result.verdict)
    );
    // A run that ended unknown stopped at the budget: its time is the budget's, not the search's,
    // so no median is reported for it.
    let median = if unknown {
        "- (budget spent)".to_string()
    } else {
        format!("{:.3}", times[times.len() / 2])
    };
    println!(
        "| {name} | {} | {} | {} | {median} |",
        verdict_words(result.verdict),
        result.operations,
        result.configurations,
    );
}

fn main() {
    println!("| history | verdict | ops | configurations | median ms |");
    println!("|---|---|---:|---:|---:|");
    let only_clients: Option<u64> = std::env::var("QUORATE_SYNTHETIC_CLIENTS")
        .ok()
        .and_then(|text| text.parse().ok());
    for (clients, count) in [(8u64, 20_000usize), (16, 20_000), (50, 20_000)] {
        if only_clients.is_some_and(|only| only != clients) {
            continue;
        }
        let ops = history(clients, count, 42 + clients);
        let text = jepsen_log(&ops);
        if let Some(folder) = std::env::var_os("QUORATE_SYNTHETIC_DUMP") {
            let _ = std::fs::write(
                std::path::Path::new(&folder).join(format!("register-{clients}.log")),
                &text,
            );
            continue;
        }
        measure(
            &format!("register, {clients} clients, {count} ops"),
            &text,
            Verdict::Valid,
        );
        // Corrupt one read in the middle: it now returns a value nobody wrote.
        let mut corrupted = ops;
        if let Some(read) = corrupted.iter_mut().skip(count / 2).find(|op| !op.is_write) {
            read.value = Some(1_000);
        }
        let text = jepsen_log(&corrupted);
        measure(
            &format!("register, {clients} clients, {count} ops, one bad read"),
            &text,
            Verdict::Invalid,
        );
    }
}
