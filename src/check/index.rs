//! What the checker derives from a history before judging it: the real-time order of
//! operations, and per key the causal order of writes and the view of every read.
//!
//! Everything here comes from client observations only (values, contexts, invoke and complete
//! times). Store metadata (`meta`) and replica snapshots are never read here.

use crate::history::{
    Action, Catalog, ClientId, History, Key, KeyCatalog, Operation, Outcome, Value,
};

use super::bits::{self, Rows};
use super::CheckError;
use rustc_hash::FxHashMap;

/// When an operation ran, as far as real-time order is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timing {
    pub(crate) invoke: u64,
    /// The completion time of an `ok` operation; `None` for the others, which (for ordering)
    /// complete at infinity: an indeterminate put may take effect at any later time.
    pub(crate) complete_ok: Option<u64>,
    pub(crate) client: ClientId,
    /// The operation's rank in its client's sequence (invoke order).
    pub(crate) client_rank: u32,
}

/// Real-time precedence: `a` is acknowledged and finished before `b` began.
///
/// Across clients it is strict (a completion and an invocation at the same millisecond are
/// concurrent). Within one client it is the client's own sequence, even at equal timestamps: a
/// client issues its next operation only after it saw the previous answer, so the order is
/// known even when the clock cannot show it. (docs/DESIGN.md §4 states this rule under "real-time
/// order"; without it the well-formed-context precondition would reject every client that reads
/// and writes in the same millisecond.)
pub(crate) fn precedes(a: &Timing, b: &Timing) -> bool {
    match a.complete_ok {
        None => false,
        Some(complete) => {
            complete < b.invoke || (a.client == b.client && a.client_rank < b.client_rank)
        }
    }
}

/// What kind of operation, in a few bytes, so that sweeps over a key need not touch the
/// operations themselves (a cache miss each, for keys spread over a large history).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    pub(crate) ok: bool,
    /// Whether the operation is a put or a delete.
    pub(crate) write: bool,
    /// Whether the operation is a get.
    pub(crate) get: bool,
    /// Whether the operation carries store metadata (for M6 and L1).
    pub(crate) meta: bool,
}

/// The operations of a history grouped by key (the catalogue), with their timings.
#[derive(Debug)]
pub(crate) struct HistoryIndex<'h> {
    pub(crate) history: &'h History,
    pub(crate) timing: Vec<Timing>,
    pub(crate) shape: Vec<Shape>,
}

impl<'h> HistoryIndex<'h> {
    pub(crate) fn new(catalog: &'h Catalog<'h>) -> HistoryIndex<'h> {
        let history = catalog.history();
        let operations = &history.operations;
        let mut timing = Vec::with_capacity(operations.len());
        let mut shape = Vec::with_capacity(operations.len());
        // Per client: how many of its operations came so far, and the order of the last.
        let mut turns: FxHashMap<ClientId, (u32, (u64, u64, usize))> = FxHashMap::default();
        let mut in_order = true;
        for (index, operation) in operations.iter().enumerate() {
            let order = client_order(operation, index);
            let (count, last) = turns.entry(operation.client).or_insert((0, order));
            in_order &= *last <= order;
            *last = order;
            timing.push(Timing {
                invoke: operation.time_ms_invoke,
                complete_ok: match operation.outcome {
                    Outcome::Ok => Some(operation.time_ms_complete.unwrap_or(u64::MAX)),
                    Outcome::Fail | Outcome::Info => None,
                },
                client: operation.client,
                client_rank: *count,
            });
            *count = count.saturating_add(1);
            shape.push(Shape {
                ok: operation.is_ok(),
                write: operation.action.write().is_some(),
                get: matches!(operation.action, Action::Get { .. }),
                meta: operation.meta.is_some(),
            });
        }
        // Usually each client's operations are listed in its order, and the ranks are the
        // counts; otherwise they come from sorting each client's turns.
        if !in_order {
            let mut by_client: FxHashMap<ClientId, Vec<(u64, u64, usize)>> = FxHashMap::default();
            for (index, operation) in operations.iter().enumerate() {
                by_client
                    .entry(operation.client)
                    .or_default()
                    .push(client_order(operation, index));
            }
            for turns in by_client.values_mut() {
                turns.sort_unstable();
                for (rank, &(_, _, index)) in turns.iter().enumerate() {
                    timing[index].client_rank = u32::try_from(rank).unwrap_or(u32::MAX);
                }
            }
        }
        HistoryIndex {
            history,
            timing,
            shape,
        }
    }

    pub(crate) fn op(&self, index: usize) -> &'h Operation {
        &self.history.operations[index]
    }

    pub(crate) fn precedes(&self, a: usize, b: usize) -> bool {
        precedes(&self.timing[a], &self.timing[b])
    }
}

/// The order of one client's operations: by invocation, then completion, then file order.
fn client_order(operation: &Operation, index: usize) -> (u64, u64, usize) {
    (
        operation.time_ms_invoke,
        operation.time_ms_complete.unwrap_or(u64::MAX),
        index,
    )
}

/// Many short lists stored one after another: list `i` is `items[starts[i]..starts[i + 1]]`. A
/// key has a list per write and per read; a vector each would be a million allocations.
#[derive(Debug)]
pub(crate) struct Lists<T> {
    starts: Vec<usize>,
    items: Vec<T>,
}

impl<T> Lists<T> {
    fn with_capacity(lists: usize) -> Lists<T> {
        let mut starts = Vec::with_capacity(lists + 1);
        starts.push(0);
        Lists {
            starts,
            items: Vec::new(),
        }
    }

    /// Adds an item to the list being built.
    fn push(&mut self, item: T) {
        self.items.push(item);
    }

    /// Ends the list being built (possibly empty).
    fn end_list(&mut self) {
        self.starts.push(self.items.len());
    }

    fn extend_list(&mut self, items: impl IntoIterator<Item = T>) {
        self.items.extend(items);
        self.end_list();
    }
}

impl<T> std::ops::Index<usize> for Lists<T> {
    type Output = [T];

    fn index(&self, list: usize) -> &[T] {
        &self.items[self.starts[list]..self.starts[list + 1]]
    }
}

/// Marks a value id that no write on the key wrote.
const NO_WRITE: usize = usize::MAX;

/// One key's writes with their causal order, and its `ok` reads with their views.
#[derive(Debug)]
pub(crate) struct KeyIndex<'h> {
    pub(crate) key: &'h Key,
    /// The key's operations and value ids; `None` for a key only replica snapshots name.
    catalog: Option<&'h KeyCatalog<'h>>,
    /// History indices of the key's puts and deletes; a write's position here is its id.
    pub(crate) writes: Vec<usize>,
    /// Per write: its timing, copied here so that the sweeps over a key read contiguous memory
    /// rather than the history-wide table (a cache miss per lookup on a large history).
    pub(crate) write_timing: Vec<Timing>,
    /// Per value id of the catalogue: the write that wrote it, or `NO_WRITE`.
    write_of_id: Vec<usize>,
    /// Per write: the writes its context names.
    pub(crate) contexts: Lists<usize>,
    /// Per write: the values its context names that no write on this key wrote (phantoms the
    /// client read; see [`check_contexts`]).
    phantom_contexts: Lists<&'h Value>,
    /// Row `w`: Past(w), the writes that w overwrote directly or not.
    pub(crate) past: Rows,
    /// Whether the contexts formed a cycle (a store's bug: see [`pasts`]); the edges that closed
    /// it are left out of `past`, and the key cannot be linearizable.
    pub(crate) contexts_cyclic: bool,
    /// History indices of the key's `ok` gets; a get's position here is its id.
    pub(crate) gets: Vec<usize>,
    /// Per get: its timing (see `write_timing`).
    pub(crate) get_timing: Vec<Timing>,
    /// Per get: the writes it returned.
    pub(crate) returned: Lists<usize>,
    /// Per get: the values it returned that no write on this key wrote.
    pub(crate) phantoms: Lists<&'h Value>,
    /// Row `g`: the view ↓S of get `g`.
    pub(crate) views: Rows,
}

impl<'h> KeyIndex<'h> {
    /// Indexes one key: resolves contexts and results to writes, computes every write's past
    /// (leaving out the edges that close a cycle of contexts) and every read's view.
    pub(crate) fn build(
        index: &HistoryIndex<'h>,
        key: &'h Key,
        catalog: Option<&'h KeyCatalog<'h>>,
    ) -> KeyIndex<'h> {
        let operations = catalog.map_or(&[][..], KeyCatalog::operations);
        // What kind each operation is comes from the compact `shape`, and what it names from
        // the catalogue: the operations of one key are spread over the whole history, and each
        // visit to one is a cache miss.
        let mut writes = Vec::new();
        let mut write_positions = Vec::new();
        let mut gets = Vec::new();
        let mut get_positions = Vec::new();
        for (position, &op) in operations.iter().enumerate() {
            let shape = index.shape[op];
            if shape.write {
                writes.push(op);
                write_positions.push(position);
            } else if shape.get && shape.ok {
                gets.push(op);
                get_positions.push(position);
            }
        }
        let mut write_of_id = vec![NO_WRITE; catalog.map_or(0, KeyCatalog::value_count)];
        let mut contexts = Lists::with_capacity(writes.len());
        let mut phantom_contexts = Lists::with_capacity(writes.len());
        if let Some(catalog) = catalog {
            for (id, &position) in write_positions.iter().enumerate() {
                // A value written twice (a history that failed validation) counts as its last
                // write's, as the catalogue records it.
                let value = catalog.named_by(position)[0];
                if catalog.writer(value) == Some(writes[id]) {
                    write_of_id[value] = id;
                }
            }
            for &position in &write_positions {
                for &value in &catalog.named_by(position)[1..] {
                    match write_of_id[value] {
                        // A value no write wrote: the client read a phantom (M1 reports the
                        // read) and wrote with it; it orders nothing.
                        NO_WRITE => phantom_contexts.push(catalog.value(value)),
                        write => contexts.push(write),
                    }
                }
                contexts.end_list();
                phantom_contexts.end_list();
            }
        }
        let (past, cycle_edges_cut) = pasts(&writes, &contexts);

        let mut views = Rows::new(gets.len(), writes.len());
        let mut returned = Lists::with_capacity(gets.len());
        let mut phantoms = Lists::with_capacity(gets.len());
        let mut found = Vec::new();
        for (get, &position) in get_positions.iter().enumerate() {
            found.clear();
            if let Some(catalog) = catalog {
                for &value in catalog.named_by(position) {
                    match write_of_id[value] {
                        NO_WRITE => phantoms.push(catalog.value(value)),
                        write => found.push(write),
                    }
                }
            }
            // A value listed twice is one sibling, not two.
            found.sort_unstable();
            found.dedup();
            let view = views.row_mut(get);
            for &id in &found {
                bits::insert(view, id);
                bits::union_into(view, past.row(id));
            }
            returned.extend_list(found.iter().copied());
            phantoms.end_list();
        }
        let timing_of = |ops: &[usize]| ops.iter().map(|&op| index.timing[op]).collect();
        KeyIndex {
            key,
            catalog,
            write_timing: timing_of(&writes),
            get_timing: timing_of(&gets),
            writes,
            write_of_id,
            contexts,
            phantom_contexts,
            past,
            contexts_cyclic: cycle_edges_cut > 0,
            gets,
            returned,
            phantoms,
            views,
        }
    }

    /// The write that wrote `value` on this key, if one did.
    pub(crate) fn write_of(&self, value: &Value) -> Option<usize> {
        let id = self.catalog?.id_of(value)?;
        Some(self.write_of_id[id]).filter(|&write| write != NO_WRITE)
    }

    /// ↓values: the writes named and everything they overwrote; unknown values are skipped.
    pub(crate) fn down_closure<'v>(&self, values: impl IntoIterator<Item = &'v Value>) -> Vec<u64> {
        let mut row = vec![0; self.past.words()];
        for value in values {
            if let Some(id) = self.write_of(value) {
                bits::insert(&mut row, id);
                bits::union_into(&mut row, self.past.row(id));
            }
        }
        row
    }
}

/// How many bytes of bitsets indexing a key takes: a past per write and a view per read.
pub(crate) fn bitset_bytes(index: &HistoryIndex<'_>, operations: &[usize]) -> u64 {
    let writes = operations
        .iter()
        .filter(|&&op| index.shape[op].write)
        .count() as u64;
    let rows = operations.len() as u64;
    8 * writes.div_ceil(64) * rows
}

/// Past(w) for every write, in a depth-first post-order over contexts.
///
/// Contexts that form a cycle are a store's bug, not a malformed file: some read in the cycle
/// returned a value whose write began only after the read ended (each context names a value its
/// client had read, so going around the cycle would take the writes' invocations back in time),
/// which M1 reports as a future read. The edge that closes each cycle is left out of the pasts so
/// that the rest can be judged, and how many were left out is returned: if any was, no
/// linearization of the key can exist.
fn pasts(writes: &[usize], contexts: &Lists<usize>) -> (Rows, usize) {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut past = Rows::new(writes.len(), writes.len());
    let mut mark = vec![Mark::New; writes.len()];
    // Edges left out; a set, since a crafted history may hold many cycles.
    let mut cut: rustc_hash::FxHashSet<(usize, usize)> = rustc_hash::FxHashSet::default();
    for root in 0..writes.len() {
        if mark[root] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        mark[root] = Mark::Open;
        while let Some(top) = stack.last_mut() {
            let (write, position) = *top;
            if let Some(&child) = contexts[write].get(position) {
                top.1 += 1;
                match mark[child] {
                    Mark::New => {
                        mark[child] = Mark::Open;
                        stack.push((child, 0));
                    }
                    Mark::Open => {
                        cut.insert((write, child));
                    }
                    Mark::Done => {}
                }
            } else {
                for &child in &contexts[write] {
                    if cut.contains(&(write, child)) {
                        continue;
                    }
                    bits::insert(past.row_mut(write), child);
                    past.union_rows(write, child);
                }
                mark[write] = Mark::Done;
                stack.pop();
            }
        }
    }
    (past, cut.len())
}

pub(crate) fn write_value(operation: &Operation) -> Value {
    operation
        .action
        .write()
        .map(|write| write.value.clone())
        .unwrap_or_else(|| Value::from(""))
}

/// The well-formed-context precondition of docs/DESIGN.md §4: every value in a write's context is
/// in the view of an `ok` get of the same key by the same client that precedes the write.
pub(crate) fn check_contexts(
    index: &HistoryIndex<'_>,
    key: &KeyIndex<'_>,
) -> Result<(), CheckError> {
    // Walk each client's operations on this key in its own order, keeping the union of the views
    // it has read so far.
    #[derive(Clone, Copy)]
    enum Turn {
        Get(usize),
        Write(usize),
    }
    let mut turns: Vec<(ClientId, u32, Turn)> = key
        .gets
        .iter()
        .enumerate()
        .map(|(get, &op)| (op, Turn::Get(get)))
        .chain(
            key.writes
                .iter()
                .enumerate()
                .map(|(write, &op)| (op, Turn::Write(write))),
        )
        .map(|(op, turn)| (index.timing[op].client, index.timing[op].client_rank, turn))
        .collect();
    // A client's ranks are distinct, so the order is total.
    turns.sort_unstable_by_key(|&(client, rank, _)| (client, rank));
    let mut seen: Vec<u64> = vec![0; key.past.words()];
    // The phantoms (values no write wrote) the client's gets returned so far: few, if any.
    let mut seen_phantoms: Vec<&Value> = Vec::new();
    let mut current_client = None;
    for (client, _, turn) in turns {
        if current_client != Some(client) {
            current_client = Some(client);
            seen.iter_mut().for_each(|word| *word = 0);
            seen_phantoms.clear();
        }
        let write = match turn {
            Turn::Get(get) => {
                bits::union_into(&mut seen, key.views.row(get));
                seen_phantoms.extend(key.phantoms[get].iter().copied());
                continue;
            }
            Turn::Write(write) => write,
        };
        let operation = index.op(key.writes[write]);
        let not_read = |context_value: Value| CheckError::ContextNotRead {
            put: operation.id,
            kind: operation.kind(),
            client: operation.client,
            key: key.key.clone(),
            value: write_value(operation),
            context_value,
        };
        let unread = key.contexts[write]
            .iter()
            .find(|&&context| !bits::contains(&seen, context));
        if let Some(&context) = unread {
            return Err(not_read(write_value(index.op(key.writes[context]))));
        }
        let unread_phantom = key.phantom_contexts[write]
            .iter()
            .find(|&&phantom| !seen_phantoms.contains(&phantom));
        if let Some(&phantom) = unread_phantom {
            return Err(not_read(phantom.clone()));
        }
    }
    Ok(())
}
