//! The Wing–Gong linearizability search with Lowe's memoisation, one partition at a time, and the
//! round-robin scheduler over partitions.
//!
//! The history of a partition is a doubly linked list of call and return entries in real-time
//! order. The search walks it from the front: at a call, it tries to linearize that operation
//! now (the model accepts it, and the pair (linearized set ∪ {op}, new state) has not been seen
//! before); then it lifts the operation's entries out of the list and starts again from the
//! front. At a return whose operation is not yet linearized, it backtracks. A partition is
//! linearizable when no return entry is left; not linearizable when it must backtrack with
//! nothing linearized. Open operations (no completion) have no return entry, so they may be
//! linearized anywhere after their call, or never.
//!
//! Beyond Lowe's memoisation, the search prunes in four ways, each checked against a brute
//! force by the differential tests:
//! - the states the model calls unobservable (for `kv`, a string no get of the key returned, nor
//!   any extension of it) are interchangeable, so they share one number, and the memo one entry
//!   per linearized set for all of them ([`PartitionSearch::intern`]); a counterexample's state
//!   is then replayed from its prefix;
//! - a read-only operation that is legal now is linearized at once, without alternatives
//!   ([`PartitionSearch::step`] says why that is safe), and so is an operation the model calls
//!   hidden when the state is unobservable (for `kv`, an append no get read any part of);
//! - a configuration is abandoned as soon as one of the first reads to return can no longer
//!   become legal, whatever else takes effect before it (the model's `could_become_legal`);
//! - of several open operations that are equal, only the first not yet linearized is tried
//!   (they are interchangeable), and open operations that change no state are left out.
//!
//! The linearized set is a bitset with a Zobrist hash kept up to date as bits flip, so looking a
//! configuration up in the memo costs O(1) expected, plus one comparison of bitsets on a hit.
//! States are interned (numbered) and transitions cached, so a model's `step` runs once per
//! (state, operation) pair.
//!
//! The search is iterative (no recursion) and resumable: [`PartitionSearch::run`] takes a step
//! allowance and returns, which is what lets the scheduler interleave partitions and honour the
//! budget. It never panics: every index it follows was built by itself from the history.

use std::collections::HashMap;
use std::time::Instant;

use super::hash::{splitmix64, FxBuild};
use super::memo::Memo;
use super::{CheckResult, Counterexample, OpReport, Partition, Spec, Step, TimedOp};
use crate::verdict::{Budget, Verdict, MIB};

/// No node: the end of the list, or an operation without a return entry.
const NONE: u32 = u32::MAX;
/// The list's head sentinel.
const HEAD: u32 = 0;
/// Steps a partition runs before the scheduler moves on to the next.
const SLICE_STEPS: u64 = 2_000;
/// How many return entries, from the front of the list, the doomed-read check examines.
const RETURNS_EXAMINED_MAX: usize = 8;
/// Rough bytes per memo entry beyond its bitset (the table slot, the entry, the allocation).
const MEMO_ENTRY_OVERHEAD_BYTES: usize = 72;

#[derive(Clone, Copy, Debug)]
struct Node {
    /// The operation (index into the partition's ops); unused for the head.
    op: u32,
    is_call: bool,
    /// For a call entry: its return entry, or `NONE` if the operation stays open.
    return_node: u32,
    previous: u32,
    next: u32,
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    call_node: u32,
    state_before: u32,
    /// The operation is read-only and was linearized as soon as it was legal, or hidden and
    /// linearized in an unobservable state: if the search fails after it, it fails before it too
    /// (see [`PartitionSearch::step`]).
    forced: bool,
}

/// The deepest point the search reached, for the counterexample.
#[derive(Clone, Debug, Default)]
struct Deepest {
    reached: bool,
    prefix: Vec<u32>,
    state: u32,
    blocked: u32,
    /// The lowest the stack has been since `prefix` was recorded: the stack still agrees with
    /// `prefix` below that height, so recording again copies only what lies above it.
    low_water: usize,
}

/// What came of trying to linearize an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attempt {
    /// The model does not accept it in the current state.
    Illegal,
    /// It would lead to a configuration already explored (and so failed).
    Seen,
    /// It is linearized.
    New,
}

/// Where a partition's search stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Progress {
    Running,
    Linearizable,
    NotLinearizable,
}

/// The search over one partition.
#[derive(Debug)]
pub(super) struct PartitionSearch<'m, M: Spec> {
    model: &'m M,
    label: String,
    ops: Vec<TimedOp<M::Op>>,
    read_only: Vec<bool>,
    /// Whether the model calls the operation hidden (see [`PartitionSearch::step`]): asked the
    /// first time the search needs to know, as most searches never meet an unobservable state.
    hidden: Vec<Option<bool>>,
    nodes: Vec<Node>,
    cursor: u32,
    linearized: Vec<u64>,
    /// The first word of `linearized` that is not full (its length if all are).
    low_word: usize,
    /// The last word of `linearized` that is not empty (0 if none is).
    top_word: usize,
    linearized_hash: u64,
    zobrist: Vec<u64>,
    /// For an open operation, the open operation with an equal `Op` just before it in the list.
    twin_before: Vec<u32>,
    states: Vec<M::State>,
    state_numbers: HashMap<M::State, u32, FxBuild>,
    /// What the model's `is_unobservable` consults about this partition.
    observations: M::Observations,
    /// The number of the one unobservable state the search keeps (`NONE` before it meets one):
    /// every unobservable state is numbered so.
    unobservable: u32,
    state: u32,
    stack: Vec<Frame>,
    memo: Memo,
    transitions: HashMap<u64, u32, FxBuild>,
    deepest: Deepest,
    memory_bytes: usize,
    progress: Progress,
}

impl<'m, M: Spec> PartitionSearch<'m, M> {
    /// Prepares the search of `partition` from `initial`. Operations that say nothing are left
    /// out; an operation that completes before it is invoked is taken to complete at once.
    pub(super) fn new(model: &'m M, partition: Partition<M::Op>, initial: &M::State) -> Self {
        let mut ops: Vec<TimedOp<M::Op>> = partition.ops;
        // Numbered in invocation order, the linearized set stays a short window (see `memo::MemoEntry`).
        ops.sort_by_key(|timed| timed.time_invoke);
        let ops: Vec<TimedOp<M::Op>> = ops
            .into_iter()
            // An operation that says nothing, or an open one that changes no state, can always be
            // left out: it constrains nothing.
            .filter(|timed| !leaves_out(model, timed))
            .collect();
        let nodes = build_list(&ops);
        let twin_before = twins_before(&ops, &nodes);
        let read_only = ops
            .iter()
            .map(|timed| model.is_read_only(&timed.op))
            .collect();
        let observations = model.observations(&mut ops.iter().map(|timed| &timed.op));
        let hidden = vec![None; ops.len()];
        let words = ops.len().div_ceil(64).max(1);
        let zobrist = (0..ops.len() as u64)
            .map(|index| splitmix64(index ^ 0x5eed_0000_0000))
            .collect();
        let mut search = PartitionSearch {
            model,
            label: partition.label,
            ops,
            read_only,
            hidden,
            nodes,
            cursor: HEAD,
            linearized: vec![0; words],
            low_word: 0,
            top_word: 0,
            linearized_hash: 0,
            zobrist,
            twin_before,
            states: Vec::new(),
            state_numbers: HashMap::default(),
            observations,
            unobservable: NONE,
            state: 0,
            stack: Vec::new(),
            memo: Memo::default(),
            transitions: HashMap::default(),
            deepest: Deepest::default(),
            memory_bytes: 0,
            progress: Progress::Running,
        };
        search.state = search.intern(initial.clone());
        search.cursor = search.nodes[HEAD as usize].next;
        search
    }

    pub(super) fn memory_bytes(&self) -> usize {
        self.memory_bytes
    }

    pub(super) fn configurations(&self) -> u64 {
        self.memo.entries()
    }

    pub(super) fn operation_count(&self) -> usize {
        self.ops.len()
    }

    pub(super) fn label(&self) -> &str {
        &self.label
    }

    /// Runs at most `steps_max` steps of the search and says where it stands.
    pub(super) fn run(&mut self, steps_max: u64) -> Progress {
        for _ in 0..steps_max {
            if self.progress != Progress::Running {
                break;
            }
            self.progress = self.step();
        }
        self.progress
    }

    fn node(&self, index: u32) -> Node {
        self.nodes[index as usize]
    }

    /// One step of the search: at a call entry, try to linearize its operation; at a return
    /// entry, backtrack.
    ///
    /// A read-only operation that is legal in the current state is linearized at once, with no
    /// alternative tried: if some linearization exists from here, one exists that puts that read
    /// first (moving it forward keeps every other step legal since it changes no state, and keeps
    /// real time since every operation not yet linearized returns after it was invoked). So when
    /// the search fails after such a read, or finds the configuration after it already failed,
    /// the configuration before it has failed as well. So is an operation the model calls hidden
    /// (its `is_hidden`) when the state is unobservable, for the reason the model gives.
    fn step(&mut self) -> Progress {
        if self.cursor == NONE {
            // Only calls of open operations are left: every completed operation is linearized.
            return Progress::Linearizable;
        }
        let node = self.node(self.cursor);
        if !node.is_call {
            self.note_blocked(node.op);
            return self.backtrack();
        }
        if self.has_unlinearized_twin_before(node.op) {
            self.cursor = node.next;
            return Progress::Running;
        }
        let state_before = self.state;
        let forced = self.read_only[node.op as usize]
            || (self.state == self.unobservable && self.is_hidden(node.op));
        match self.try_linearize(node.op) {
            Attempt::Illegal => self.cursor = node.next,
            Attempt::Seen if forced => return self.backtrack(),
            Attempt::Seen => self.cursor = node.next,
            Attempt::New => {
                self.stack.push(Frame {
                    call_node: self.cursor,
                    state_before,
                    forced,
                });
                self.lift(self.cursor);
                self.cursor = self.node(HEAD).next;
                // A write that leaves the unobservable state as it was still takes itself away
                // from what may come before the reads.
                if self.state != state_before || (self.state == self.unobservable && !forced) {
                    if let Some(doomed_read) = self.doomed_read() {
                        self.note_blocked(doomed_read);
                        return self.backtrack();
                    }
                }
            }
        }
        Progress::Running
    }

    fn is_hidden(&mut self, op: u32) -> bool {
        let model = self.model;
        let (observations, ops) = (&self.observations, &self.ops);
        *self.hidden[op as usize]
            .get_or_insert_with(|| model.is_hidden(observations, &ops[op as usize].op))
    }

    /// A read-only operation among the first few to return that can no longer become legal,
    /// whatever else takes effect before it returns (the model's `could_become_legal`).
    ///
    /// Every pending read is bound this way, not only the first: a write linearized too early
    /// dooms whichever later read needed the value it overwrote. Only the first
    /// [`RETURNS_EXAMINED_MAX`] return entries are examined, to keep a step's cost independent of
    /// the history's length.
    fn doomed_read(&self) -> Option<u32> {
        let mut index = self.node(HEAD).next;
        let mut returns_examined = 0;
        while index != NONE && returns_examined < RETURNS_EXAMINED_MAX {
            let node = self.node(index);
            if !node.is_call {
                returns_examined += 1;
                if self.read_only[node.op as usize] {
                    let mut before = CallsBefore {
                        nodes: &self.nodes,
                        ops: &self.ops,
                        index: self.node(HEAD).next,
                        end: index,
                    };
                    let possible = self.model.could_become_legal(
                        &self.states[self.state as usize],
                        &self.ops[node.op as usize].op,
                        &mut before,
                    );
                    if !possible {
                        return Some(node.op);
                    }
                }
            }
            index = node.next;
        }
        None
    }

    /// Undoes linearizations up to and including the last one that was a free choice, and moves
    /// on to the next choice after it.
    fn backtrack(&mut self) -> Progress {
        while let Some(frame) = self.stack.pop() {
            self.deepest.low_water = self.deepest.low_water.min(self.stack.len());
            let call = self.node(frame.call_node);
            self.unlift(frame.call_node);
            self.flip(call.op);
            self.state = frame.state_before;
            self.cursor = call.next;
            if !frame.forced {
                return Progress::Running;
            }
        }
        Progress::NotLinearizable
    }

    /// Linearizes `op` now if the model accepts it and the configuration it leads to is new.
    fn try_linearize(&mut self, op: u32) -> Attempt {
        let Some(next_state) = self.transition(self.state, op) else {
            return Attempt::Illegal;
        };
        let hash =
            self.linearized_hash ^ self.zobrist[op as usize] ^ splitmix64(u64::from(next_state));
        self.flip(op);
        if self.memo_insert(hash, next_state) {
            self.state = next_state;
            Attempt::New
        } else {
            self.flip(op);
            Attempt::Seen
        }
    }

    fn flip(&mut self, op: u32) {
        let word = (op / 64) as usize;
        self.linearized[word] ^= 1 << (op % 64);
        self.linearized_hash ^= self.zobrist[op as usize];
        self.update_window(word);
    }

    /// Keeps `low_word` and `top_word` true after `word` changed.
    fn update_window(&mut self, word: usize) {
        let bits = self.linearized[word];
        if word < self.low_word && bits != u64::MAX {
            self.low_word = word;
        }
        while self.low_word < self.linearized.len() && self.linearized[self.low_word] == u64::MAX {
            self.low_word += 1;
        }
        if bits != 0 && word > self.top_word {
            self.top_word = word;
        }
        while self.top_word > 0 && self.linearized[self.top_word] == 0 {
            self.top_word -= 1;
        }
    }

    fn is_linearized(&self, op: u32) -> bool {
        self.linearized[(op / 64) as usize] & (1 << (op % 64)) != 0
    }

    /// Whether `op` is open and an open operation equal to it, earlier in the list, is not
    /// linearized. Linearizing `op` would lead to a configuration symmetric to the one that
    /// linearizing that twin leads to (both are invoked, neither has a return entry), and the
    /// search has tried the twin already from this configuration, since it comes first in the
    /// list. (Linearized twins are always a prefix of their group, as backtracking is LIFO.)
    fn has_unlinearized_twin_before(&self, op: u32) -> bool {
        let twin = self.twin_before[op as usize];
        twin != NONE && !self.is_linearized(twin)
    }

    /// Records (current linearized set, `state`) in the memo; false if it was there already.
    fn memo_insert(&mut self, hash: u64, state: u32) -> bool {
        let end = (self.top_word + 1).max(self.low_word);
        let window = &self.linearized[self.low_word..end];
        let inserted = self.memo.insert(hash, self.low_word as u32, window, state);
        if inserted {
            self.memory_bytes += MEMO_ENTRY_OVERHEAD_BYTES + 8 * window.len();
        }
        inserted
    }

    /// The state after `op` in `state`; a move to a new state is computed once per pair.
    fn transition(&mut self, state: u32, op: u32) -> Option<u32> {
        let key = (u64::from(state) << 32) | u64::from(op);
        if let Some(&next) = self.transitions.get(&key) {
            return Some(next);
        }
        match self
            .model
            .step(&self.states[state as usize], &self.ops[op as usize].op)
        {
            Step::Illegal => None,
            Step::Same => Some(state),
            Step::Next(next_state) => {
                // Only moves are cached: checking a read again is as cheap as a lookup, and
                // most of the pairs the search tries are reads that fail.
                let next = self.intern(next_state);
                self.transitions.insert(key, next);
                self.memory_bytes += 24;
                Some(next)
            }
        }
    }

    /// The number of `state`; all unobservable states share one, the first's (see the model's
    /// `is_unobservable`), so the memo treats them as the one state they are equivalent to.
    fn intern(&mut self, state: M::State) -> u32 {
        if let Some(&number) = self.state_numbers.get(&state) {
            return number;
        }
        let unobservable = self.model.is_unobservable(&self.observations, &state);
        if unobservable && self.unobservable != NONE {
            return self.unobservable;
        }
        if unobservable {
            self.unobservable = self.states.len() as u32;
        }
        let number = self.states.len() as u32;
        self.memory_bytes += 2 * self.model.state_bytes(&state) + 16;
        self.states.push(state.clone());
        self.state_numbers.insert(state, number);
        number
    }

    /// Takes a call entry and its return entry out of the list.
    fn lift(&mut self, call_node: u32) {
        let call = self.node(call_node);
        self.unlink(call_node);
        if call.return_node != NONE {
            self.unlink(call.return_node);
        }
    }

    /// Puts back what [`lift`](Self::lift) took out (in reverse order, as dancing links need).
    fn unlift(&mut self, call_node: u32) {
        let call = self.node(call_node);
        if call.return_node != NONE {
            self.relink(call.return_node);
        }
        self.relink(call_node);
    }

    fn unlink(&mut self, index: u32) {
        let node = self.node(index);
        self.nodes[node.previous as usize].next = node.next;
        if node.next != NONE {
            self.nodes[node.next as usize].previous = node.previous;
        }
    }

    fn relink(&mut self, index: u32) {
        let node = self.node(index);
        self.nodes[node.previous as usize].next = index;
        if node.next != NONE {
            self.nodes[node.next as usize].previous = index;
        }
    }

    /// At a return entry whose operation is not linearized: remember the deepest such point.
    fn note_blocked(&mut self, op: u32) {
        if self.deepest.reached && self.stack.len() <= self.deepest.prefix.len() {
            return;
        }
        let low_water = self.deepest.low_water.min(self.stack.len());
        let mut prefix = std::mem::take(&mut self.deepest.prefix);
        prefix.truncate(low_water);
        prefix.extend(
            self.stack[low_water..]
                .iter()
                .map(|frame| self.nodes[frame.call_node as usize].op),
        );
        self.deepest = Deepest {
            reached: true,
            prefix,
            state: self.state,
            blocked: op,
            low_water: self.stack.len(),
        };
    }

    fn report(&self, op: u32) -> OpReport {
        let timed = &self.ops[op as usize];
        OpReport {
            id: timed.id,
            description: self.model.describe_op(&timed.op),
        }
    }

    /// The counterexample, once the search has found the partition not linearizable.
    pub(super) fn counterexample(&self) -> Counterexample {
        Counterexample {
            partition: self.label.clone(),
            prefix: self
                .deepest
                .prefix
                .iter()
                .map(|&op| self.report(op))
                .collect(),
            state: self
                .deepest_state()
                .map(|state| self.model.describe_state(&state))
                .unwrap_or_default(),
            blocked: self.report(self.deepest.blocked),
        }
    }

    /// The state after the deepest prefix. The one unobservable state the search keeps stands
    /// for all of them, so the prefix is replayed from the initial state (numbered 0) then.
    fn deepest_state(&self) -> Option<M::State> {
        if self.deepest.state != self.unobservable {
            return self.states.get(self.deepest.state as usize).cloned();
        }
        let mut state = self.states.first()?.clone();
        for &op in &self.deepest.prefix {
            state = self
                .model
                .step(&state, &self.ops[op as usize].op)
                .apply(&state)?;
        }
        Some(state)
    }
}

/// The operations of the call entries from `index` up to (not including) `end`.
struct CallsBefore<'s, Op> {
    nodes: &'s [Node],
    ops: &'s [TimedOp<Op>],
    index: u32,
    end: u32,
}

impl<'s, Op> Iterator for CallsBefore<'s, Op> {
    type Item = &'s Op;

    fn next(&mut self) -> Option<&'s Op> {
        while self.index != self.end && self.index != NONE {
            let node = self.nodes[self.index as usize];
            self.index = node.next;
            if node.is_call {
                return Some(&self.ops[node.op as usize].op);
            }
        }
        None
    }
}

/// For each open operation, the open operation with an equal `Op` whose call comes just before
/// its own in the list (`NONE` if there is none, and for completed operations).
fn twins_before<Op: Eq + std::hash::Hash>(ops: &[TimedOp<Op>], nodes: &[Node]) -> Vec<u32> {
    let mut last_open_with: HashMap<&Op, u32, FxBuild> = HashMap::default();
    let mut twin_before = vec![NONE; ops.len()];
    for node in nodes.iter().skip(1) {
        let timed = &ops[node.op as usize];
        if node.is_call && timed.time_complete.is_none() {
            if let Some(twin) = last_open_with.insert(&timed.op, node.op) {
                twin_before[node.op as usize] = twin;
            }
        }
    }
    twin_before
}

/// Whether the search leaves `timed` out: an operation that says nothing, or an open one that
/// changes no state, constrains nothing.
fn leaves_out<M: Spec>(model: &M, timed: &TimedOp<M::Op>) -> bool {
    let is_open = timed.time_complete.is_none();
    model.says_nothing(&timed.op) || (is_open && model.is_read_only(&timed.op))
}

/// The list of call and return entries in real-time order, behind a head sentinel: by time,
/// calls before returns at equal times (equal times are concurrent), then by position.
fn build_list<Op>(ops: &[TimedOp<Op>]) -> Vec<Node> {
    let mut events: Vec<(u64, bool, u32)> = Vec::with_capacity(2 * ops.len());
    for (index, timed) in ops.iter().enumerate() {
        events.push((timed.time_invoke, false, index as u32));
        if let Some(complete) = timed.time_complete {
            events.push((complete.max(timed.time_invoke), true, index as u32));
        }
    }
    events.sort_unstable();
    let mut nodes = Vec::with_capacity(events.len() + 1);
    nodes.push(Node {
        op: NONE,
        is_call: false,
        return_node: NONE,
        previous: NONE,
        next: NONE,
    });
    let mut return_of = vec![NONE; ops.len()];
    for &(_, is_return, op) in &events {
        let index = nodes.len() as u32;
        if is_return {
            return_of[op as usize] = index;
        }
        nodes.push(Node {
            op,
            is_call: !is_return,
            return_node: NONE,
            previous: index - 1,
            next: NONE,
        });
        nodes[(index - 1) as usize].next = index;
    }
    for node in nodes.iter_mut().skip(1) {
        if node.is_call {
            node.return_node = return_of[node.op as usize];
        }
    }
    nodes
}

/// Checks every partition from `initial`, round-robin in slices, stopping at the first partition
/// that is not linearizable or when the budget is spent. The budget is looked at before each
/// round, so a budget spent from the start (zero time) answers unknown without searching, and a
/// search that has finished is never called unknown.
pub fn check<M: Spec>(
    model: &M,
    partitions: Vec<Partition<M::Op>>,
    initial: &M::State,
    budget: &Budget,
) -> CheckResult {
    let started = Instant::now();
    let partition_count = partitions.len();
    let mut active: Vec<PartitionSearch<'_, M>> = partitions
        .into_iter()
        .map(|partition| PartitionSearch::new(model, partition, initial))
        .collect();
    let operations = active.iter().map(PartitionSearch::operation_count).sum();
    let mut result = CheckResult {
        verdict: Verdict::Valid,
        model: model.name().to_string(),
        operations,
        partitions: partition_count,
        counterexample: None,
        unknown_reason: None,
        partitions_unfinished: Vec::new(),
        configurations: 0,
        elapsed_ms: 0.0,
    };
    while !active.is_empty() {
        if let Some(reason) = budget_spent(budget, &active, started) {
            result.verdict = Verdict::Unknown;
            result.unknown_reason = Some(reason);
            result.partitions_unfinished = active
                .iter()
                .map(|search| search.label().to_string())
                .collect();
            return finish(result, &active, started);
        }
        let mut position = 0;
        while position < active.len() {
            match active[position].run(SLICE_STEPS) {
                Progress::Running => position += 1,
                Progress::Linearizable => {
                    result.configurations += active[position].configurations();
                    active.swap_remove(position);
                }
                Progress::NotLinearizable => {
                    result.verdict = Verdict::Invalid;
                    result.counterexample = Some(active[position].counterexample());
                    result.configurations += active[position].configurations();
                    active.swap_remove(position);
                    return finish(result, &active, started);
                }
            }
        }
    }
    finish(result, &active, started)
}

fn finish<M: Spec>(
    mut result: CheckResult,
    active: &[PartitionSearch<'_, M>],
    started: Instant,
) -> CheckResult {
    result.configurations += active
        .iter()
        .map(PartitionSearch::configurations)
        .sum::<u64>();
    result.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    result
}

fn budget_spent<M: Spec>(
    budget: &Budget,
    active: &[PartitionSearch<'_, M>],
    started: Instant,
) -> Option<String> {
    if let Some(time) = budget.time.filter(|_| budget.time_spent(started)) {
        return Some(format!(
            "the time budget of {:.3} s was spent",
            time.as_secs_f64()
        ));
    }
    let memory: u64 = active
        .iter()
        .map(|search| search.memory_bytes() as u64)
        .sum();
    match budget.memory {
        Some(memory_max) if budget.memory_spent(memory) => Some(format!(
            "the memory budget of {:.1} MiB was spent (the search held about {:.1} MiB)",
            memory_max as f64 / MIB as f64,
            memory as f64 / MIB as f64
        )),
        _ => None,
    }
}
