//! Benchmark of the linearizability search where per-key concurrency is high (issue #20, item
//! 1): Porcupine-style key-value logs of a linearizable store, 100 clients, 20,000 operations
//! (get / append / put, about 50 / 35 / 15 %), about 100 operations in flight, over K keys.
//! Every operation takes effect at a random instant inside its interval and the store applies
//! the effects in that order, so the history is linearizable by construction; every append and
//! put writes a unique token (`x CLIENT N y`). The "bad" variant changes one get halfway
//! through: it returns the value the key held just before a write that completed before the get
//! began, which no linearization allows.
//!
//! `cargo bench --bench lin_kv_hard` prints, per K in {15, 12, 10, 8, 7, 6, 5} and variant, the
//! median of 5 runs of import + check, the verdict, the configurations the search visited and
//! the peak resident size of the run. Each run is a child process (this program again, with
//! `QUORATE_KV_HARD_RUN=K,VARIANT`), so each peak is its own. The budget is 60 s and 4 GiB of
//! the search's own estimate; a history whose first run ends `unknown` is run once only.
//!
//! Deterministic: the seed is printed (`QUORATE_KV_HARD_SEED` changes it; each K uses seed + K).
//! `QUORATE_KV_HARD_KEYS=10,8` runs those K only; `QUORATE_KV_HARD_RUNS=3` sets the number of
//! runs; `QUORATE_KV_HARD_DUMP=DIR` writes the histories as `kv-K-ok.txt` and `kv-K-bad.txt` into
//! DIR instead of checking them (for `quorate check --format porcupine-kv --model kv`).

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use quorate::lin::external::{self, SpecName};
use quorate::lin::import::{self, Format};
use quorate::lin::verdict_words;
use quorate::verdict::{Budget, Verdict, MIB};

const CLIENTS: u64 = 100;
const OPERATIONS: usize = 20_000;
const SEED_DEFAULT: u64 = 2_020;
const KEYS_DEFAULT: [u64; 7] = [15, 12, 10, 8, 7, 6, 5];
const BUDGET_SECONDS: u64 = 60;

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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    Append,
    Put,
}

struct Op {
    client: u64,
    kind: Kind,
    key: u64,
    /// The token written (append, put) or the string returned (get).
    value: String,
    invoke: u64,
    effect: u64,
    complete: u64,
    /// For a write: the key's string just before it took effect.
    before: String,
}

/// A linearizable key-value history over `keys` keys.
fn history(keys: u64, seed: u64) -> Vec<Op> {
    let mut rng = Rng(seed);
    let mut free_at: Vec<u64> = (0..CLIENTS).map(|_| rng.below(50)).collect();
    let mut sequence = vec![0u64; CLIENTS as usize];
    let mut ops: Vec<Op> = Vec::with_capacity(OPERATIONS);
    for _ in 0..OPERATIONS {
        // The client free the soonest invokes next: every client stays busy, so about CLIENTS
        // operations are in flight (gaps of 0 to 3 between operations lasting 1 to 100).
        let client = (0..CLIENTS)
            .min_by_key(|&client| (free_at[client as usize], client))
            .unwrap_or(0);
        let invoke = free_at[client as usize] + rng.below(3);
        let complete = invoke + 1 + rng.below(100);
        let effect = invoke + rng.below(complete - invoke + 1);
        free_at[client as usize] = complete + 1;
        let kind = match rng.below(100) {
            0..=49 => Kind::Get,
            50..=84 => Kind::Append,
            _ => Kind::Put,
        };
        let key = rng.below(keys);
        let value = if kind == Kind::Get {
            String::new()
        } else {
            let number = sequence[client as usize];
            sequence[client as usize] += 1;
            format!("x {client} {number} y")
        };
        ops.push(Op {
            client,
            kind,
            key,
            value,
            invoke,
            effect,
            complete,
            before: String::new(),
        });
    }
    // The store applies the effects in effect order (ties by position).
    let mut by_effect: Vec<usize> = (0..ops.len()).collect();
    by_effect.sort_by_key(|&index| (ops[index].effect, index));
    let mut strings = vec![String::new(); keys as usize];
    for index in by_effect {
        let op = &mut ops[index];
        let string = &mut strings[op.key as usize];
        match op.kind {
            Kind::Get => op.value = string.clone(),
            Kind::Append => {
                op.before = string.clone();
                string.push_str(&op.value);
            }
            Kind::Put => {
                op.before = std::mem::replace(string, op.value.clone());
            }
        }
    }
    ops
}

/// Makes the first get from the middle on, after a write to its key that completed before it
/// began, return the string from before that write (the latest such write by effect). Tokens are
/// unique, so the key never holds that string again: no linearization allows the get.
fn corrupt(ops: &mut [Op]) -> usize {
    for index in ops.len() / 2..ops.len() {
        if ops[index].kind != Kind::Get {
            continue;
        }
        let (key, invoke) = (ops[index].key, ops[index].invoke);
        let write = ops
            .iter()
            .filter(|op| op.kind != Kind::Get && op.key == key && op.complete < invoke)
            .max_by_key(|op| op.effect);
        if let Some(write) = write {
            let stale = write.before.clone();
            assert_ne!(stale, ops[index].value, "tokens are unique");
            ops[index].value = stale;
            return index;
        }
    }
    panic!("no get to corrupt");
}

fn porcupine_kv(ops: &[Op]) -> String {
    let mut events: Vec<(u64, usize)> = Vec::with_capacity(2 * ops.len());
    for (index, op) in ops.iter().enumerate() {
        events.push((2 * op.invoke, index));
        events.push((2 * op.complete + 1, index));
    }
    events.sort_unstable();
    let mut text = String::with_capacity(80 * events.len());
    for (time, index) in events {
        let op = &ops[index];
        let is_return = time % 2 == 1;
        let kind = if is_return { ":ok" } else { ":invoke" };
        let f = match op.kind {
            Kind::Get => ":get",
            Kind::Append => ":append",
            Kind::Put => ":put",
        };
        let value = if op.kind == Kind::Get && !is_return {
            "nil".to_string()
        } else {
            format!("{:?}", op.value)
        };
        let _ = writeln!(
            text,
            "{{:process {}, :type {kind}, :f {f}, :key \"{}\", :value {value}}}",
            op.client, op.key
        );
    }
    text
}

fn text_of(keys: u64, bad: bool, seed: u64) -> String {
    let mut ops = history(keys, seed + keys);
    if bad {
        corrupt(&mut ops);
    }
    porcupine_kv(&ops)
}

#[path = "support/proc_status.rs"]
mod proc_status;

/// The process's peak resident size, in kB (Linux), 0 if unknown.
fn peak_resident_kb() -> u64 {
    proc_status::status_kilobytes("VmHWM").unwrap_or(0)
}

/// One run, in this (child) process: prints `RESULT ms verdict configurations peak-kB`.
fn run_once(keys: u64, bad: bool, seed: u64) {
    let text = text_of(keys, bad, seed);
    let budget = Budget {
        time: Some(Duration::from_secs(BUDGET_SECONDS)),
        memory: Some(4_096 * MIB),
    };
    let started = Instant::now();
    let history = import::import(text.as_bytes(), Format::PorcupineKv).expect("imports");
    let result = external::check(&history, SpecName::Kv, None, &budget).expect("checks");
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let expected = if bad {
        Verdict::Invalid
    } else {
        Verdict::Valid
    };
    assert!(
        result.verdict == expected || result.verdict == Verdict::Unknown,
        "{keys} keys, bad: {bad}: {}",
        verdict_words(result.verdict)
    );
    let verdict = match result.verdict {
        Verdict::Valid => "linearizable",
        Verdict::Invalid => "not-linearizable",
        Verdict::Unknown => "unknown",
    };
    println!(
        "RESULT {ms:.1} {verdict} {} {}",
        result.configurations,
        peak_resident_kb()
    );
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|text| text.parse().ok())
}

fn main() {
    let seed = env_u64("QUORATE_KV_HARD_SEED").unwrap_or(SEED_DEFAULT);
    if let Ok(run) = std::env::var("QUORATE_KV_HARD_RUN") {
        let (keys, variant) = run.split_once(',').expect("K,VARIANT");
        run_once(keys.parse().expect("K"), variant == "bad", seed);
        return;
    }
    let keys_list: Vec<u64> = match std::env::var("QUORATE_KV_HARD_KEYS") {
        Ok(text) => text.split(',').filter_map(|k| k.parse().ok()).collect(),
        Err(_) => KEYS_DEFAULT.to_vec(),
    };
    if let Some(folder) = std::env::var_os("QUORATE_KV_HARD_DUMP") {
        for &keys in &keys_list {
            for (bad, name) in [(false, "ok"), (true, "bad")] {
                let path = std::path::Path::new(&folder).join(format!("kv-{keys}-{name}.txt"));
                std::fs::write(&path, text_of(keys, bad, seed)).expect("writes");
                println!("wrote {} (seed {})", path.display(), seed + keys);
            }
        }
        return;
    }
    let runs = env_u64("QUORATE_KV_HARD_RUNS").unwrap_or(5).max(1);
    let program = std::env::current_exe().expect("its own path");
    println!(
        "seed {seed} (K keys use seed + K); {CLIENTS} clients, {OPERATIONS} operations; \
         budget {BUDGET_SECONDS} s; median of {runs} runs (1 if the first is unknown)"
    );
    println!("| keys | variant | verdict | configurations | median s | peak MB (median) | runs |");
    println!("|---:|---|---|---:|---:|---:|---:|");
    for &keys in &keys_list {
        for variant in ["ok", "bad"] {
            let mut seconds = Vec::new();
            let mut peaks = Vec::new();
            let mut verdict = String::new();
            let mut configurations = String::new();
            for _ in 0..runs {
                let output = Command::new(&program)
                    .env("QUORATE_KV_HARD_RUN", format!("{keys},{variant}"))
                    .env("QUORATE_KV_HARD_SEED", seed.to_string())
                    .output()
                    .expect("runs itself");
                let stdout = String::from_utf8_lossy(&output.stdout);
                let line = stdout
                    .lines()
                    .find_map(|line| line.strip_prefix("RESULT "))
                    .unwrap_or_else(|| {
                        panic!(
                            "{keys} keys {variant}: no result\n{}",
                            String::from_utf8_lossy(&output.stderr)
                        )
                    })
                    .to_string();
                let fields: Vec<&str> = line.split_whitespace().collect();
                seconds.push(fields[0].parse::<f64>().unwrap_or(f64::NAN) / 1000.0);
                verdict = fields[1].to_string();
                configurations = fields[2].to_string();
                peaks.push(fields[3].parse::<f64>().unwrap_or(f64::NAN) / 1000.0);
                if verdict == "unknown" {
                    break;
                }
            }
            seconds.sort_by(f64::total_cmp);
            peaks.sort_by(f64::total_cmp);
            println!(
                "| {keys} | {variant} | {verdict} | {configurations} | {:.3} | {:.0} | {} |",
                seconds[seconds.len() / 2],
                peaks[peaks.len() / 2],
                seconds.len()
            );
        }
    }
}
