//! The one thread pool of explore, for both the campaign and the witnesses: `jobs` scoped
//! threads pull positions from one atomic counter and fold what they compute into their own
//! accumulator; no item starts after the deadline.
//!
//! Not rayon: the campaign needs a wall-clock deadline checked before each case starts and a fold
//! per thread (so memory does not grow with the number of cases); thirty lines of scoped threads
//! do both without a dependency. Results never depend on the number of threads: callers fold
//! order-free or sort by position.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// Runs `step(accumulator, position)` for positions `0..total` on `jobs` threads (at most
/// [`super::JOBS_MAX`], and fewer if the system refuses some), each with its
/// own accumulator from `init`; no position starts after `deadline`. `done` counts finished
/// positions. Returns every thread's accumulator.
pub(super) fn fold_parallel<A, I, S>(
    total: u64,
    jobs: usize,
    deadline: Option<Instant>,
    done: &AtomicU64,
    init: I,
    step: S,
) -> Vec<A>
where
    A: Send,
    I: Fn() -> A + Sync,
    S: Fn(&mut A, u64) + Sync,
{
    let next = AtomicU64::new(0);
    let stopped = AtomicBool::new(false);
    let work = || {
        let mut accumulator = init();
        loop {
            if stopped.load(Ordering::Relaxed) {
                break;
            }
            let position = next.fetch_add(1, Ordering::Relaxed);
            if position >= total {
                break;
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                stopped.store(true, Ordering::Relaxed);
                break;
            }
            step(&mut accumulator, position);
            done.fetch_add(1, Ordering::Relaxed);
        }
        accumulator
    };
    std::thread::scope(|scope| {
        // The system may refuse a thread (a thread limit, no memory for its stack): the positions
        // go to the threads that did start, or to this one when none did. Results do not depend
        // on the number of threads, so fewer only take longer.
        let workers: Vec<_> = (0..jobs.clamp(1, super::JOBS_MAX))
            .map_while(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
            .collect();
        if workers.is_empty() {
            return vec![work()];
        }
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a worker never panics"))
            .collect()
    })
}
