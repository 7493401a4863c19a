//! `cargo bench --bench check`: the checker on a synthetic history of 1,000,000 operations
//! (16 clients, 1,000 keys, read-modify-write clients whose contexts come from their previous
//! reads), written to JSON, loaded back and checked. Prints the time of each stage.
//!
//! The load (reading the file a chunk at a time, as `quorate check` does, and validating) and
//! the check run 5 times (`QUORATE_BENCH_RUNS` changes it), and the medians are printed.
//! `QUORATE_BENCH_OPS` changes the size; `QUORATE_BENCH_META=1` adds the store metadata the
//! white-box property M6 reads (a dot per write, a context per read). The history is left in
//! `target/bench-check/history.json`, so the command line can be measured on it too:
//! `/usr/bin/time -v target/release/quorate check target/bench-check/history.json`.
//!
//! The simulated store is a correct one (every operation takes effect at its invocation), so
//! the check finds no forbidden anomaly; 1% of puts answer `fail` after taking effect, which
//! the report lists as allowed observations.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

use quorate::causality::{NodeId, VersionVector};
use quorate::check::{check_catalog, CheckOptions, Verdict};
use quorate::config::Config;
use quorate::history::{
    Action, ClientId, History, Key, OpId, Operation, Outcome, ReadValue, ReplicaSnapshot,
    RunSummary, StoreMeta, Value, Write,
};

const CLIENTS: u32 = 16;
const KEYS: u64 = 1_000;

/// A small deterministic generator (xorshift64*), so the bench needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// What a key holds in the simulated store: its siblings, and the context of everything it
/// has seen (one counter per coordinating node).
#[derive(Default)]
struct Object {
    siblings: Vec<u64>,
    context: VersionVector,
}

/// The store metadata of a write coordinated by `node` on `object`, recorded if asked for.
fn mint(object: &mut Object, node: NodeId, with_meta: bool) -> Option<StoreMeta> {
    let dot = object.context.next_dot(node);
    object.context.add(dot);
    with_meta.then(|| StoreMeta {
        dot: Some(dot),
        ..StoreMeta::default()
    })
}

fn synthetic_history(operations: usize, seed: u64, with_meta: bool) -> History {
    let mut rng = Rng(seed | 1);
    let mut objects: HashMap<u64, Object> = HashMap::new();
    // Each client's pending read-modify-write: the key and the values it read.
    let mut pending: HashMap<u32, (u64, Vec<u64>)> = HashMap::new();
    let mut ready: BinaryHeap<Reverse<(u64, u32)>> =
        (0..CLIENTS).map(|client| Reverse((0, client))).collect();
    let mut next_value = 0u64;
    let mut out = Vec::with_capacity(operations);
    while out.len() < operations {
        // Popped in invocation order: every operation takes effect at its invocation.
        let Some(Reverse((invoke, client))) = ready.pop() else {
            break;
        };
        let complete = invoke + 1 + rng.below(4);
        let id = OpId(out.len() as u64);
        let coordinator = NodeId(client % 3 + 1);
        let (key, action, outcome, meta) = match pending.remove(&client) {
            Some((key, read)) => {
                let value = next_value;
                next_value += 1;
                let object = objects.entry(key).or_default();
                object.siblings.retain(|sibling| !read.contains(sibling));
                object.siblings.push(value);
                let meta = mint(object, coordinator, with_meta);
                let outcome = if rng.below(100) == 0 {
                    Outcome::Fail
                } else {
                    Outcome::Ok
                };
                let write = Write {
                    value: Value::from(format!("v{value}")),
                    context: read.iter().map(|v| Value::from(format!("v{v}"))).collect(),
                };
                (key, Action::Put(write), outcome, meta)
            }
            None => {
                let key = rng.below(KEYS);
                let object = objects.entry(key).or_default();
                if rng.below(10) == 0 {
                    // A blind write: a new sibling of whatever is there.
                    let value = next_value;
                    next_value += 1;
                    object.siblings.push(value);
                    let meta = mint(object, coordinator, with_meta);
                    let write = Write {
                        value: Value::from(format!("v{value}")),
                        context: Vec::new(),
                    };
                    (key, Action::Put(write), Outcome::Ok, meta)
                } else {
                    let read = object.siblings.clone();
                    if rng.below(10) < 6 {
                        pending.insert(client, (key, read.clone()));
                    }
                    let values = read
                        .iter()
                        .map(|v| ReadValue {
                            value: Value::from(format!("v{v}")),
                            tombstone: false,
                        })
                        .collect();
                    let meta = with_meta.then(|| StoreMeta {
                        context_vv: Some(object.context.clone()),
                        ..StoreMeta::default()
                    });
                    (
                        key,
                        Action::Get {
                            values,
                            context: None,
                        },
                        Outcome::Ok,
                        meta,
                    )
                }
            }
        };
        out.push(Operation {
            id,
            client: ClientId(client),
            key: Key::from(format!("k{key}")),
            action,
            time_ms_invoke: invoke,
            time_ms_complete: Some(complete),
            outcome,
            meta: meta.map(Box::new),
        });
        ready.push(Reverse((complete + rng.below(3), client)));
    }
    let mut replicas = Vec::new();
    let mut keys: Vec<&u64> = objects.keys().collect();
    keys.sort();
    for &key in keys {
        for node in 1..=3 {
            let mut values: Vec<Value> = objects[&key]
                .siblings
                .iter()
                .map(|v| Value::from(format!("v{v}")))
                .collect();
            values.sort();
            replicas.push(ReplicaSnapshot {
                key: Key::from(format!("k{key}")),
                node: NodeId(node),
                values,
                tombstones: Vec::new(),
                context_vv: None,
            });
        }
    }
    let mut history = History::new(out);
    history.config = Some(Config::default());
    history.replicas = Some(replicas);
    history.run = Some(RunSummary {
        steps: operations as u64,
        time_ms_end: history
            .operations
            .last()
            .and_then(|op| op.time_ms_complete)
            .unwrap_or(0),
        quiescent: true,
        bound_hit: None,
    });
    history
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would pass nothing. Either way run.
    let operations: usize = std::env::var("QUORATE_BENCH_OPS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_000_000);
    let started = Instant::now();
    let with_meta = std::env::var("QUORATE_BENCH_META").is_ok_and(|value| value == "1");
    let history = synthetic_history(operations, 0x5EED, with_meta);
    let text = serde_json::to_string(&history).expect("a history serializes");
    drop(history);
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-check");
    let _ = std::fs::create_dir_all(&directory);
    let path = directory.join("history.json");
    // The load below reads this file, as `quorate check` would.
    if let Err(error) = std::fs::write(&path, &text) {
        panic!("cannot write {}: {error}", path.display());
    }
    println!(
        "generated {operations} operations ({} MB of JSON) in {:.2} s -> {}",
        text.len() / 1_000_000,
        started.elapsed().as_secs_f64(),
        path.display()
    );

    drop(text);
    // As `quorate check` does: read the file a chunk at a time, validate (which catalogues the
    // history), check. Five times, and the medians.
    let runs: usize = std::env::var("QUORATE_BENCH_RUNS")
        .ok()
        .and_then(|text| text.parse().ok())
        .filter(|&runs| runs > 0)
        .unwrap_or(5);
    let (mut loads, mut checks) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for run in 1..=runs {
        let loading = Instant::now();
        let history = History::parse_file(&path).expect("the synthetic history parses");
        let catalog = history.validated().expect("the synthetic history is valid");
        let load_s = loading.elapsed().as_secs_f64();
        let checking = Instant::now();
        let report =
            check_catalog(&catalog, &CheckOptions::default()).expect("contexts are well formed");
        let check_s = checking.elapsed().as_secs_f64();
        println!(
            "run {run}: load {load_s:.3} s, check {check_s:.3} s, total {:.3} s; verdict {:?}, {} anomalies kept",
            load_s + check_s,
            report.verdict,
            report.anomalies.len()
        );
        assert_eq!(report.verdict, Verdict::Valid, "{report}");
        loads.push(load_s);
        checks.push(check_s);
    }
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let (load_s, check_s) = (median(&mut loads), median(&mut checks));
    println!(
        "median of {runs}: load {load_s:.3} s, check {check_s:.3} s, total {:.3} s",
        load_s + check_s
    );
}
