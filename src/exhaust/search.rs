//! The depth-first search over schedules: sleep sets (Godefroid, 1996) with a visited set that
//! remembers, for each state, the sleep set it was explored under, so that a revisit under a
//! smaller sleep set explores exactly the choices the first visit slept on (Godefroid's
//! combination of sleep sets and state caching, "Partial-Order Methods for the Verification of
//! Concurrent Systems", LNCS 1032, §6.2; without persistent sets, so every schedule's state is
//! reached, not only one representative per trace).
//!
//! Node states cannot be cloned (the `Store` trait does not ask it), so a state is reached again
//! by replaying its choices from the start: backtracking costs a replay of the prefix.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::check::{check, CheckOptions, Model, Verdict};
use crate::history::History;
use crate::sim::Scenario;
use crate::stable_hash::fnv1a_mixed;
use crate::store::Store;

use super::world::{Footprint, World};
use super::{Choice, Counterexample, Counts, ExhaustError, Options, Outcome};

struct Frame {
    /// The choices to take from this state, in order, and the next one's position.
    todo: Vec<(Choice, Footprint)>,
    next: usize,
    /// The choices asleep here (already covered by an explored sibling schedule).
    sleep: Vec<(Choice, Footprint)>,
    /// The choices of `todo` taken so far.
    done: Vec<(Choice, Footprint)>,
}

pub(super) struct Search<'a, S: Store> {
    store: &'a S,
    scenario: &'a Scenario,
    options: &'a Options,
    model: Model,
    /// Whether histories name the configuration (the reference store's do).
    reference: bool,
    visited: FxHashMap<u64, Vec<Choice>>,
    histories: FxHashSet<u64>,
    pub(super) counts: Counts,
    started: Instant,
    /// Running beside other shards (`--threads`): the lowest shard that found a counterexample
    /// so far, and this one's position among them. A search stops once a lower shard found one.
    beside: Option<(&'a AtomicU32, u32)>,
    /// The distinct histories that broke the model.
    failing: FxHashSet<u64>,
    /// With `Options::all`: the first counterexample, kept while the search goes on.
    first_found: Option<Box<Counterexample>>,
}

enum Stop {
    Anomaly(Box<Counterexample>),
    Budget(String),
    Error(ExhaustError),
    /// A lower shard running beside this one found a counterexample: this one's is not needed.
    Overtaken,
}

impl<'a, S: Store> Search<'a, S> {
    pub(super) fn new(
        store: &'a S,
        scenario: &'a Scenario,
        options: &'a Options,
        reference: bool,
    ) -> Search<'a, S> {
        Search {
            store,
            scenario,
            options,
            model: options
                .model
                .unwrap_or_else(|| Model::implied_by(&scenario.config)),
            reference,
            visited: FxHashMap::default(),
            histories: FxHashSet::default(),
            counts: Counts::default(),
            started: Instant::now(),
            beside: None,
            failing: FxHashSet::default(),
            first_found: None,
        }
    }

    /// Runs as shard `position` beside others that share `lowest_found`.
    pub(super) fn beside(mut self, lowest_found: &'a AtomicU32, position: u32) -> Search<'a, S> {
        self.beside = Some((lowest_found, position));
        self
    }

    fn world(&self) -> World<'a, S> {
        World::new(self.store, self.scenario, &self.options.bounds)
    }

    /// The world after `path`, replayed from the start.
    fn replay(&mut self, path: &[Choice]) -> World<'a, S> {
        let mut world = self.world();
        for &choice in path {
            world
                .apply(choice)
                .expect("a schedule the search took replays");
        }
        self.counts.replayed += path.len() as u64;
        world
    }

    pub(super) fn run(mut self, progress: &mut dyn FnMut(&Counts)) -> Outcome {
        let mut path: Vec<Choice> = Vec::new();
        let mut frames: Vec<Frame> = Vec::new();
        let root = self.world();
        let stop = match self.enter(root, &path, Vec::new()) {
            Err(stop) => Some(stop),
            Ok(None) => None,
            Ok(Some((frame, world))) => {
                frames.push(frame);
                self.descend(&mut frames, &mut path, world, progress).err()
            }
        };
        self.counts.seconds = self.started.elapsed().as_secs_f64();
        self.counts.states = self.visited.len() as u64;
        self.counts.histories = self.histories.len() as u64;
        self.counts.failing = self.failing.len() as u64;
        if let (Some(Stop::Anomaly(_)), Some((lowest, position))) = (&stop, self.beside) {
            lowest.fetch_min(position, Ordering::Relaxed);
        }
        let budget_spent = matches!(stop, Some(Stop::Budget(_)));
        // With `all`, the first counterexample found is the answer once the search ends (or its
        // budget does: what was covered already broke the model).
        let stop = match (stop, self.first_found.take()) {
            (None | Some(Stop::Budget(_)), Some(found)) => Some(Stop::Anomaly(found)),
            (stop, _) => stop,
        };
        let (verdict, counterexample, reason) = match stop {
            Some(Stop::Anomaly(found)) => (Verdict::Invalid, Some(found), None),
            Some(Stop::Budget(reason)) => (Verdict::Unknown, None, Some(reason)),
            Some(Stop::Overtaken) => (
                Verdict::Unknown,
                None,
                Some("stopped: a lower shard found a counterexample".to_string()),
            ),
            Some(Stop::Error(error)) => return Outcome::error(self.counts.clone(), error),
            None if self.counts.truncated > 0 => (
                Verdict::Unknown,
                None,
                Some(format!(
                    "{} schedules reached the depth bound ({})",
                    self.counts.truncated, self.options.bounds.max_depth
                )),
            ),
            None if self.counts.undecided > 0 => (
                Verdict::Unknown,
                None,
                Some(format!(
                    "the checker could not decide {} histories",
                    self.counts.undecided
                )),
            ),
            None => (Verdict::Valid, None, None),
        };
        Outcome {
            verdict,
            model: self.model,
            counts: self.counts,
            counterexample,
            unknown: reason,
            budget_spent,
            failing: {
                let mut hashes: Vec<u64> = self.failing.into_iter().collect();
                hashes.sort_unstable();
                hashes
            },
            histories: {
                let mut hashes: Vec<u64> = self.histories.into_iter().collect();
                hashes.sort_unstable();
                hashes
            },
            error: None,
        }
    }

    fn descend(
        &mut self,
        frames: &mut Vec<Frame>,
        path: &mut Vec<Choice>,
        root: World<'a, S>,
        progress: &mut dyn FnMut(&Counts),
    ) -> Result<(), Stop> {
        // The world at the state of the top frame, if it is there (else it is replayed).
        let mut current: Option<World<'a, S>> = Some(root);
        loop {
            let frames_len = frames.len();
            let Some(top) = frames.last_mut() else {
                break;
            };
            let Some(&(choice, footprint)) = top.todo.get(top.next) else {
                frames.pop();
                path.pop();
                current = None;
                continue;
            };
            top.next += 1;
            if let (1, Some((index, count))) = (frames_len, self.options.shard) {
                if (top.next - 1) as u32 % count != index {
                    // Another shard's subtree: asleep here as if explored.
                    top.done.push((choice, footprint));
                    continue;
                }
            }
            let sleep: Vec<(Choice, Footprint)> = top
                .sleep
                .iter()
                .chain(&top.done)
                .filter(|(_, other)| self.options.sleep_sets && footprint.independent(other))
                .copied()
                .collect();
            top.done.push((choice, footprint));
            let mut world = match current.take() {
                Some(world) => world,
                None => self.replay(path),
            };
            world
                .apply(choice)
                .map_err(|reason| Stop::Error(ExhaustError::Internal(reason)))?;
            self.counts.transitions += 1;
            path.push(choice);
            self.counts.depth_max = self.counts.depth_max.max(path.len() as u64);
            if self.counts.transitions % 4096 == 0 {
                self.counts.states = self.visited.len() as u64;
                self.counts.histories = self.histories.len() as u64;
                self.counts.seconds = self.started.elapsed().as_secs_f64();
                if self.counts.transitions % 65_536 == 0 {
                    progress(&self.counts);
                }
                self.budget()?;
            }
            match self.enter(world, path, sleep)? {
                Some((frame, world)) => {
                    frames.push(frame);
                    current = Some(world);
                }
                None => {
                    path.pop();
                }
            }
        }
        Ok(())
    }

    fn budget(&self) -> Result<(), Stop> {
        if let Some((lowest, position)) = self.beside {
            if lowest.load(Ordering::Relaxed) < position {
                return Err(Stop::Overtaken);
            }
        }
        let budget = &self.options.budget;
        if self.visited.len() as u64 >= budget.max_states {
            return Err(Stop::Budget(format!(
                "the state budget ({} states) ran out",
                budget.max_states
            )));
        }
        if let Some(time) = budget.time {
            if self.started.elapsed() >= time {
                return Err(Stop::Budget(format!(
                    "the time budget ({} s) ran out",
                    time.as_secs_f64()
                )));
            }
        }
        Ok(())
    }

    /// Arrives at a state: a complete schedule is judged; a state seen under a sleep set that
    /// covers this one is pruned; otherwise the frame of the choices to explore from it, and the
    /// world, still at this state.
    fn enter(
        &mut self,
        world: World<'a, S>,
        path: &[Choice],
        sleep: Vec<(Choice, Footprint)>,
    ) -> Result<Option<(Frame, World<'a, S>)>, Stop> {
        let enabled = world.enabled();
        let hash = self.options.visited.then(|| world.state_hash());
        let awake = |choice: &Choice| !sleep.iter().any(|(asleep, _)| asleep == choice);
        let mut todo: Vec<(Choice, Footprint)> = enabled
            .iter()
            .filter(|(choice, _)| awake(choice))
            .copied()
            .collect();
        match hash.map(|hash| (hash, self.visited.get_mut(&hash))) {
            Some((_, Some(stored))) => {
                // Explored before with every enabled choice outside `stored`: what is left is
                // what `stored` slept on and this visit does not.
                todo.retain(|(choice, _)| stored.contains(choice));
                stored.retain(|choice| !awake(choice));
                if todo.is_empty() {
                    self.counts.pruned_visited += 1;
                    return Ok(None);
                }
            }
            Some((hash, None)) => {
                let asleep = sleep.iter().map(|(choice, _)| *choice).collect();
                self.visited.insert(hash, asleep);
            }
            None => self.counts.states_unhashed += 1,
        }
        if enabled.is_empty() {
            self.counts.schedules += 1;
            self.judge(world, path)?;
            return Ok(None);
        }
        self.counts.pruned_sleep += (enabled.len() - todo.len()) as u64;
        if todo.is_empty() {
            // Every enabled choice is asleep: an explored schedule covers this one.
            return Ok(None);
        }
        if path.len() as u64 >= u64::from(self.options.bounds.max_depth) {
            // Cut here: the rest runs in the settle's canonical order, and is judged too (the
            // schedules it leaves out make the verdict unknown at best).
            self.counts.truncated += 1;
            self.counts.schedules += 1;
            self.judge(world, path)?;
            return Ok(None);
        }
        let frame = Frame {
            todo,
            next: 0,
            sleep,
            done: Vec::new(),
        };
        Ok(Some((frame, world)))
    }

    fn judge(&mut self, world: World<'a, S>, path: &[Choice]) -> Result<(), Stop> {
        let mut history = world.settle();
        if self.reference {
            history.config = Some(self.scenario.config.clone());
        }
        let hash = history_hash(&history);
        if !self.histories.insert(hash) {
            return Ok(());
        }
        let report = check(&history, &CheckOptions::model(Some(self.model)))
            .map_err(|error| Stop::Error(ExhaustError::Check(error.to_string())))?;
        match report.verdict {
            Verdict::Valid => Ok(()),
            Verdict::Unknown => {
                self.counts.undecided += 1;
                Ok(())
            }
            Verdict::Invalid => {
                self.failing.insert(hash);
                if self.options.all && self.first_found.is_some() {
                    return Ok(());
                }
                let mut steps = Vec::with_capacity(path.len());
                let mut world = self.world();
                for &choice in path {
                    steps.push(world.describe(choice));
                    let _ = world.apply(choice);
                }
                let found = Box::new(Counterexample {
                    schedule: path.to_vec(),
                    steps,
                    history,
                    report: Box::new(report),
                });
                if self.options.all {
                    self.first_found = Some(found);
                    return Ok(());
                }
                Err(Stop::Anomaly(found))
            }
        }
    }
}

/// A history's identity for the count of distinct histories: its JSON text, hashed, without the
/// run's step count (how many choices led to the same state is the path's, not the history's).
pub(super) fn history_hash(history: &History) -> u64 {
    let mut history = history.clone();
    if let Some(run) = &mut history.run {
        run.steps = 0;
    }
    fnv1a_mixed(history.to_json().as_bytes())
}
