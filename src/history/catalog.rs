//! A history's operations grouped by key, with every value they name given a dense id per key.
//!
//! Built in one pass over the operations in file order. That pass is what makes a large history
//! cheap to validate and to check: a key's operations are spread over the whole history, and
//! visiting them key by key costs a cache miss each, while a pass in file order reads memory in
//! sequence. During the pass a write's value gets the next id, and a get or a context mostly
//! names a value written just before, which a few remembered values find; each key's hash table
//! is built afterwards, one key at a time while it is small enough to stay in cache, and it
//! resolves the rest. After that, validation and the checker work on ids (integers, contiguous
//! per key) and never hash a value again.
//!
//! This module owns the grouping, the value ids, and the value rule of the format (a value is
//! written at most once per key). A context may name a value no write wrote: that is a store's
//! phantom, which the checker judges. It must never judge consistency: what the ids mean for
//! causality is the checker's business.

use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};

use super::{Action, History, HistoryError, Key, Operation, Value};

/// A history catalogued: per key, its operations in file order and the ids of the values each
/// names. It borrows the history, so the two cannot drift apart.
#[derive(Debug)]
pub struct Catalog<'h> {
    history: &'h History,
    /// In key order.
    keys: Vec<KeyCatalog<'h>>,
    /// The first value rule the history breaks, if any (see [`History::validated`]).
    problem: Option<HistoryError>,
}

/// One key's operations and the values they name.
#[derive(Debug)]
pub struct KeyCatalog<'h> {
    key: &'h Key,
    /// History indices, in file order. An operation's position here is its position on the key.
    operations: Vec<usize>,
    /// `ids[starts[p]..starts[p + 1]]` are the values named by the operation at position `p`: for
    /// a put or delete its value, then its context; for a get what it returned (tombstones
    /// included), in the order the file lists them.
    starts: Vec<usize>,
    ids: Vec<usize>,
    /// Per value id: the value. Written values have the first ids, in the order of their writes.
    values: Vec<Hashed<'h>>,
    /// Per value id: the history index of the put or delete that wrote it (the last one, if a
    /// malformed history writes it twice).
    writers: Vec<Option<usize>>,
    id_of: FxHashMap<Hashed<'h>, usize>,
    /// The values written last, with their ids, most recent first: a get or a context mostly
    /// names one of them, and this finds it before the hash table exists.
    recent: [(Value, usize); RECENT],
    /// During the pass: what the remembered values did not find, by position in `ids`.
    unresolved: Vec<(usize, Hashed<'h>)>,
}

/// How many recently written values a key remembers during the pass.
const RECENT: usize = 4;

/// Stands in `ids` for a value the pass could not resolve yet.
const UNRESOLVED: usize = usize::MAX;

/// A value with its hash, computed during the pass while the operation is in cache: the tables
/// are built afterwards from these alone, without visiting the operations again.
#[derive(Clone, Copy, Debug)]
struct Hashed<'h> {
    hash: u64,
    value: &'h Value,
}

impl<'h> Hashed<'h> {
    fn of(value: &'h Value) -> Hashed<'h> {
        let mut hasher = FxHasher::default();
        hasher.write(value.as_str().as_bytes());
        Hashed {
            hash: hasher.finish(),
            value,
        }
    }
}

impl Hash for Hashed<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for Hashed<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.value == other.value
    }
}

impl Eq for Hashed<'_> {}

/// A value written a second time on one key: the first such write of the key in file order.
#[derive(Clone, Copy)]
struct WrittenTwice {
    first: usize,
    second: usize,
    id: usize,
}

impl<'h> Catalog<'h> {
    /// Catalogues a history, whether or not it is valid; [`Catalog::problem`] says which value
    /// rule it breaks first.
    pub fn of(history: &'h History) -> Catalog<'h> {
        // First each operation's key, and how much each key will hold, so that every table is
        // sized once: growing a thousand hash tables would insert every value again.
        let mut slots: FxHashMap<&'h Key, usize> = FxHashMap::default();
        let mut slot_of: Vec<usize> = Vec::with_capacity(history.operations.len());
        let mut sizes: Vec<Sizes> = Vec::new();
        for operation in &history.operations {
            let slot = *slots.entry(&operation.key).or_insert_with(|| {
                sizes.push(Sizes::default());
                sizes.len() - 1
            });
            slot_of.push(slot);
            sizes[slot].count(operation);
        }
        let mut named: Vec<(usize, &'h Key)> =
            slots.into_iter().map(|(key, slot)| (slot, key)).collect();
        named.sort_unstable_by_key(|&(slot, _)| slot);
        let mut keys: Vec<KeyCatalog<'h>> = named
            .into_iter()
            .map(|(slot, key)| KeyCatalog::new(key, &sizes[slot]))
            .collect();

        for (index, operation) in history.operations.iter().enumerate() {
            let slot = slot_of[index];
            let key = &mut keys[slot];
            key.operations.push(index);
            match &operation.action {
                Action::Get { values, .. } => {
                    for read in values {
                        key.name(&read.value);
                    }
                }
                Action::Put(write) | Action::Delete(write) => {
                    key.write(&write.value, index);
                    // A context may name a value no write wrote: the store returned a phantom and
                    // the client wrote with it. That is the store's bug, which the checker judges.
                    for value in &write.context {
                        key.name(value);
                    }
                }
            }
            key.starts.push(key.ids.len());
        }
        drop(slot_of);

        // Each key's table, one key at a time; the first value written twice, in file order.
        let mut written_twice: Option<(usize, WrittenTwice)> = None;
        for (slot, key) in keys.iter_mut().enumerate() {
            if let Some(twice) = key.resolve() {
                if written_twice.map_or(true, |(_, earliest)| twice.second < earliest.second) {
                    written_twice = Some((slot, twice));
                }
            }
        }
        let written_twice = written_twice.map(|(slot, twice)| {
            let operations = &history.operations;
            HistoryError::ValueWrittenTwice {
                key: keys[slot].key.clone(),
                value: keys[slot].value(twice.id).clone(),
                first: operations[twice.first].id,
                second: operations[twice.second].id,
            }
        });
        let problem = written_twice;
        keys.sort_unstable_by(|a, b| a.key.cmp(b.key));
        Catalog {
            history,
            keys,
            problem,
        }
    }

    /// The history the catalog indexes.
    pub fn history(&self) -> &'h History {
        self.history
    }

    /// Every key that operations touch, in key order.
    pub fn keys(&self) -> &[KeyCatalog<'h>] {
        &self.keys
    }

    /// The catalogue of one key; `None` if no operation touches it.
    pub fn key(&self, key: &Key) -> Option<&KeyCatalog<'h>> {
        let found = self.keys.binary_search_by(|entry| entry.key.cmp(key));
        found.ok().map(|position| &self.keys[position])
    }

    /// The first value rule the history breaks: a value written twice on a key (the first such
    /// write in file order), else a context naming a value no put or delete wrote.
    pub fn problem(&self) -> Option<&HistoryError> {
        self.problem.as_ref()
    }
}

/// How much one key's catalogue will hold.
#[derive(Clone, Copy, Debug, Default)]
struct Sizes {
    operations: usize,
    writes: usize,
    ids: usize,
}

impl Sizes {
    fn count(&mut self, operation: &Operation) {
        self.operations += 1;
        self.ids += match &operation.action {
            Action::Get { values, .. } => values.len(),
            Action::Put(write) | Action::Delete(write) => {
                self.writes += 1;
                1 + write.context.len()
            }
        };
    }
}

impl<'h> KeyCatalog<'h> {
    fn new(key: &'h Key, sizes: &Sizes) -> KeyCatalog<'h> {
        // Nearly every value a key's operations name is one of its writes'.
        let mut starts = Vec::with_capacity(sizes.operations + 1);
        starts.push(0);
        KeyCatalog {
            key,
            operations: Vec::with_capacity(sizes.operations),
            starts,
            ids: Vec::with_capacity(sizes.ids),
            values: Vec::with_capacity(sizes.writes),
            writers: Vec::with_capacity(sizes.writes),
            id_of: FxHashMap::with_capacity_and_hasher(sizes.writes, Default::default()),
            recent: std::array::from_fn(|_| (Value::from(""), UNRESOLVED)),
            unresolved: Vec::new(),
        }
    }

    /// During the pass: a put or delete at history index `index` writes `value`, which gets the
    /// next id (whether a malformed history wrote it before is for `resolve` to find).
    fn write(&mut self, value: &'h Value, index: usize) {
        let id = self.values.len();
        self.values.push(Hashed::of(value));
        self.writers.push(Some(index));
        self.ids.push(id);
        self.recent.rotate_right(1);
        self.recent[0] = (value.clone(), id);
    }

    /// During the pass: a get returned `value`, or a context names it. Whether one of the
    /// values written last is it (if not, `resolve` finds its id).
    fn name(&mut self, value: &'h Value) -> bool {
        let recent = self.recent.iter().find(|(recent, _)| recent == value);
        match recent {
            Some(&(_, id)) if id != UNRESOLVED => {
                self.ids.push(id);
                true
            }
            _ => {
                self.unresolved.push((self.ids.len(), Hashed::of(value)));
                self.ids.push(UNRESOLVED);
                false
            }
        }
    }

    /// After the pass: builds the table of values and resolves what the pass could not. A
    /// value written twice keeps one id, whose writer is its last write, as in a table filled
    /// in file order; the first such write is returned.
    fn resolve(&mut self) -> Option<WrittenTwice> {
        let mut written_twice = None;
        // Empty unless some value was written twice: then, per id, the id that stands for it.
        let mut same_as: Vec<usize> = Vec::new();
        for id in 0..self.values.len() {
            match self.id_of.entry(self.values[id]) {
                Entry::Vacant(entry) => {
                    entry.insert(id);
                }
                Entry::Occupied(entry) => {
                    let kept = *entry.get();
                    if same_as.is_empty() {
                        same_as = (0..self.values.len()).collect();
                    }
                    same_as[id] = kept;
                    if let (None, Some(first), Some(second)) =
                        (written_twice, self.writers[kept], self.writers[id])
                    {
                        written_twice = Some(WrittenTwice { first, second, id });
                    }
                    self.writers[kept] = self.writers[id];
                    self.writers[id] = None;
                }
            }
        }
        if !same_as.is_empty() {
            for id in &mut self.ids {
                if let Some(&kept) = same_as.get(*id) {
                    *id = kept;
                }
            }
        }
        for (position, value) in std::mem::take(&mut self.unresolved) {
            let next = self.values.len();
            let id = *self.id_of.entry(value).or_insert(next);
            if id == next {
                self.values.push(value);
                self.writers.push(None);
            }
            self.ids[position] = id;
        }
        written_twice
    }

    /// The key this catalog is of.
    pub fn key(&self) -> &'h Key {
        self.key
    }

    /// The key's operations as history indices, in file order.
    pub fn operations(&self) -> &[usize] {
        &self.operations
    }

    /// The ids of the values named by the operation at `position` on this key: a write's value
    /// then its context, or what a get returned.
    pub fn named_by(&self, position: usize) -> &[usize] {
        &self.ids[self.starts[position]..self.starts[position + 1]]
    }

    /// How many distinct values the key's operations name.
    pub fn value_count(&self) -> usize {
        self.values.len()
    }

    /// The value with id `id`, one of `0..value_count()`.
    pub fn value(&self, id: usize) -> &'h Value {
        self.values[id].value
    }

    /// The id of `value` on this key, if an operation names it.
    pub fn id_of(&self, value: &Value) -> Option<usize> {
        self.id_of.get(&Hashed::of(value)).copied()
    }

    /// The history index of the put or delete that wrote value `id`, if one did.
    pub fn writer(&self, id: usize) -> Option<usize> {
        self.writers[id]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{ClientId, OpId, Operation, Outcome, ReadValue, Write};

    fn op(id: u64, key: &str, action: Action) -> Operation {
        Operation {
            id: OpId(id),
            client: ClientId(0),
            key: Key::from(key),
            action,
            time_ms_invoke: id,
            time_ms_complete: Some(id),
            outcome: Outcome::Ok,
            meta: None,
        }
    }

    fn put(id: u64, key: &str, value: &str, context: &[&str]) -> Operation {
        let context = context.iter().map(|&value| Value::from(value)).collect();
        let write = Write {
            value: Value::from(value),
            context,
        };
        op(id, key, Action::Put(write))
    }

    fn get(id: u64, key: &str, values: &[&str]) -> Operation {
        let values = values
            .iter()
            .map(|&value| ReadValue {
                value: Value::from(value),
                tombstone: false,
            })
            .collect();
        op(
            id,
            key,
            Action::Get {
                values,
                context: None,
            },
        )
    }

    #[test]
    fn groups_by_key_in_key_order_and_names_values_by_id() {
        let history = History::new(vec![
            get(0, "b", &["v2"]),
            put(1, "a", "v1", &[]),
            put(2, "b", "v2", &[]),
            put(3, "b", "v3", &["v2"]),
            get(4, "a", &["v1", "ghost"]),
        ]);
        let catalog = Catalog::of(&history);
        assert_eq!(catalog.problem(), None);
        let keys: Vec<&str> = catalog
            .keys()
            .iter()
            .map(|key| key.key().as_str())
            .collect();
        assert_eq!(keys, ["a", "b"]);

        let b = catalog.key(&Key::from("b")).unwrap();
        assert_eq!(b.operations(), [0, 2, 3]);
        let v2 = b.id_of(&Value::from("v2")).unwrap();
        let v3 = b.id_of(&Value::from("v3")).unwrap();
        // The get names v2 before its put does: one id all the same.
        assert_eq!(b.named_by(0), [v2]);
        assert_eq!(b.named_by(1), [v2]);
        assert_eq!(b.named_by(2), [v3, v2]);
        assert_eq!((b.writer(v2), b.writer(v3)), (Some(2), Some(3)));

        let a = catalog.key(&Key::from("a")).unwrap();
        let ghost = a.id_of(&Value::from("ghost")).unwrap();
        assert_eq!(a.writer(ghost), None);
        assert_eq!(a.value(ghost).as_str(), "ghost");
        assert_eq!(a.value_count(), 2);
        assert!(catalog.key(&Key::from("c")).is_none());
    }

    #[test]
    fn values_beyond_the_remembered_ones_and_values_written_twice_keep_one_id() {
        let mut operations: Vec<Operation> =
            (0..6).map(|n| put(n, "k", &format!("v{n}"), &[])).collect();
        // v0 is no longer among the values remembered during the pass.
        operations.push(get(6, "k", &["v0", "v5"]));
        operations.push(put(7, "k", "v9", &["v0"]));
        // Written twice, read in between and after: one id, whose writer is the last write.
        operations.push(get(8, "k", &["v9"]));
        operations.push(put(9, "k", "v9", &[]));
        operations.push(get(10, "k", &["v9"]));
        let history = History::new(operations);
        let catalog = Catalog::of(&history);
        let key = catalog.key(&Key::from("k")).unwrap();
        let id = |value: &str| key.id_of(&Value::from(value)).unwrap();
        assert_eq!(key.named_by(6), [id("v0"), id("v5")]);
        assert_eq!(key.named_by(7), [id("v9"), id("v0")]);
        assert_eq!(key.writer(id("v0")), Some(0));
        for position in [8, 9, 10] {
            assert_eq!(key.named_by(position)[0], id("v9"), "position {position}");
        }
        assert_eq!(key.writer(id("v9")), Some(9));
        assert!(matches!(
            catalog.problem(),
            Some(HistoryError::ValueWrittenTwice {
                first: OpId(7),
                second: OpId(9),
                ..
            })
        ));
    }

    #[test]
    fn a_value_written_twice_names_both_writes() {
        let history = History::new(vec![
            put(0, "k", "v", &[]),
            put(1, "other", "v", &[]),
            put(2, "k", "v", &[]),
            put(3, "k", "v", &[]),
        ]);
        let problem = Catalog::of(&history).problem().cloned();
        assert_eq!(
            problem,
            Some(HistoryError::ValueWrittenTwice {
                key: Key::from("k"),
                value: Value::from("v"),
                first: OpId(0),
                second: OpId(2),
            })
        );
    }

    #[test]
    fn a_context_may_name_a_later_write_or_an_unwritten_value() {
        let later = History::new(vec![put(0, "k", "v1", &["v2"]), put(1, "k", "v2", &[])]);
        assert_eq!(Catalog::of(&later).problem(), None);
        // A phantom in a context is the store's bug, judged by the checker: not a malformed file.
        let unwritten = History::new(vec![
            put(0, "k", "v1", &[]),
            put(1, "k", "v2", &["v1", "nowhere"]),
        ]);
        let catalog = Catalog::of(&unwritten);
        assert_eq!(catalog.problem(), None);
        let key = catalog.key(&Key::from("k")).unwrap();
        assert_eq!(
            key.writer(key.id_of(&Value::from("nowhere")).unwrap()),
            None
        );
    }

    #[test]
    fn a_value_written_twice_is_reported_before_an_unknown_context() {
        let history = History::new(vec![
            put(0, "k", "v1", &["nowhere"]),
            put(1, "k", "v2", &[]),
            put(2, "k", "v2", &[]),
        ]);
        let problem = Catalog::of(&history).problem().cloned();
        assert!(
            matches!(problem, Some(HistoryError::ValueWrittenTwice { .. })),
            "{problem:?}"
        );
    }
}
