//! How fast the `scenario` fuzz target's body runs without libFuzzer's instrumentation, and
//! where its time goes (generation, simulation, checking), over N pseudo-random inputs:
//!
//! ```sh
//! cargo run --release --example scenario_rate -- 20000
//! ```

use std::time::{Duration, Instant};

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|text| text.parse().ok())
        .unwrap_or(20_000);
    // xorshift64: fixed inputs, so runs compare.
    let mut state = 0x1234_5678_9abc_def1_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let inputs: Vec<Vec<u8>> = (0..count)
        .map(|_| {
            let len = 16 + (next() % 256) as usize;
            (0..len).map(|_| next().to_le_bytes()[0]).collect()
        })
        .collect();

    let no_bugs = std::collections::BTreeSet::new();
    let started = Instant::now();
    for input in &inputs {
        quorate::fuzzing::scenario(input, &no_bugs);
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{count} inputs in {seconds:.3} s: {:.0} executions/s",
        count as f64 / seconds
    );

    let (mut simulate, mut judge) = (Duration::ZERO, Duration::ZERO);
    let (mut scenarios, mut steps, mut operations) = (0u64, 0u64, 0u64);
    for input in &inputs {
        let Some(scenario) = quorate::fuzzing::scenario_of(input, &no_bugs) else {
            continue;
        };
        let started = Instant::now();
        let Ok(output) = quorate::sim::run(&scenario) else {
            continue;
        };
        simulate += started.elapsed();
        let started = Instant::now();
        let _ = quorate::check::check(&output.history, &Default::default());
        judge += started.elapsed();
        scenarios += 1;
        steps += output.history.run.as_ref().map_or(0, |run| run.steps);
        operations += output.history.operations.len() as u64;
    }
    let scenarios_f = scenarios.max(1);
    println!(
        "{scenarios} scenarios: simulate {simulate:.2?}, check {judge:.2?}; on average {} steps and {} operations",
        steps / scenarios_f,
        operations / scenarios_f
    );
}
