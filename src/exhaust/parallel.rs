//! Threads (`--threads J`): one search split into J shards that run side by side, each with a
//! store of its own, and their outcomes merged into one.
//!
//! Owns the split of a shard among threads (shard `i` of `n` run by J threads is shards
//! `i + n·t` of `n·J`, t = 0 … J-1: together exactly the first choices `i` mod `n`), the early
//! stop once a lower shard has found a counterexample, and the merge.
//!
//! Must never: share a store or a world between threads, or let the verdict or the counterexample
//! depend on which thread finishes first. The counterexample reported is the lowest shard's, and
//! the shards below it always run to their end, so the answer is the same at every run (it may
//! differ from a one-thread search's, which takes the first choices in another order). Counts
//! are sums over the threads: each has its own visited set, so a state two threads reach is
//! counted twice; distinct histories are counted once.

use std::sync::atomic::AtomicU32;
use std::sync::Mutex;
use std::time::Instant;

use crate::sim::Scenario;
use crate::store::Store;
use crate::verdict::Verdict;

use super::search::Search;
use super::{Counts, Options, Outcome};

/// Runs `options.threads` shards of the search (within `options.shard`, if set) side by side.
pub(super) fn search_threads<S: Store>(
    make_store: &(dyn Fn() -> S + Sync),
    scenario: &Scenario,
    options: &Options,
    reference: bool,
    progress: &(dyn Fn(&Counts) + Sync),
) -> Outcome {
    let started = Instant::now();
    let threads = options.threads.max(1);
    let (index, count) = options.shard.unwrap_or((0, 1));
    let lowest_found = AtomicU32::new(u32::MAX);
    let so_far = Mutex::new(vec![Counts::default(); threads as usize]);
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|position| {
                let mut part = options.clone();
                part.threads = 1;
                part.shard = Some((index + count * position, count * threads));
                part.budget.max_states = options.budget.max_states.div_ceil(u64::from(threads));
                let (lowest_found, so_far) = (&lowest_found, &so_far);
                scope.spawn(move || {
                    let store = make_store();
                    let mut report = |counts: &Counts| {
                        let mut all = so_far.lock().unwrap_or_else(|poison| poison.into_inner());
                        all[position as usize] = counts.clone();
                        progress(&total(&all, started.elapsed().as_secs_f64()));
                    };
                    Search::new(&store, scenario, &part, reference)
                        .beside(lowest_found, position)
                        .run(&mut report)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    merge(outcomes, started.elapsed().as_secs_f64())
}

/// The counts of searches that ran side by side, over `seconds` of wall time.
fn total(parts: &[Counts], seconds: f64) -> Counts {
    let mut sum = Counts::default();
    for part in parts {
        sum.add(part);
    }
    sum.seconds = seconds;
    sum
}

/// One outcome for shards in order: the lowest shard's error or counterexample if any shard has
/// one (the shards above it were stopped, or their finds are not the answer), else unknown if
/// any shard's is, else valid.
pub(super) fn merge(outcomes: Vec<Outcome>, seconds: f64) -> Outcome {
    let counts: Vec<Counts> = outcomes
        .iter()
        .map(|outcome| outcome.counts.clone())
        .collect();
    let mut histories: Vec<u64> = outcomes
        .iter()
        .flat_map(|outcome| outcome.histories.iter().copied())
        .collect();
    histories.sort_unstable();
    histories.dedup();
    let mut failing: Vec<u64> = outcomes
        .iter()
        .flat_map(|outcome| outcome.failing.iter().copied())
        .collect();
    failing.sort_unstable();
    failing.dedup();
    let decisive = outcomes
        .iter()
        .position(|outcome| outcome.error.is_some() || outcome.verdict == Verdict::Invalid);
    let considered = decisive.map_or(outcomes.len(), |position| position + 1);
    let budget_spent = outcomes[..considered]
        .iter()
        .any(|outcome| outcome.budget_spent);
    let chosen = decisive
        .or_else(|| {
            outcomes
                .iter()
                .position(|outcome| outcome.verdict == Verdict::Unknown)
        })
        .unwrap_or(0);
    let mut outcome = outcomes
        .into_iter()
        .nth(chosen)
        .expect("at least one thread ran");
    outcome.counts = total(&counts, seconds);
    outcome.counts.histories = histories.len() as u64;
    outcome.histories = histories;
    outcome.counts.failing = failing.len() as u64;
    outcome.failing = failing;
    outcome.budget_spent = budget_spent;
    outcome
}
