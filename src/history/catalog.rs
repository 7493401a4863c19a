//! A history's operations grouped by key, with every value they name given a dense id per key.
//!
//! Built in one pass over the operations in file order. That pass is what makes a large history
//! cheap to validate and to check: a key's operations are spread over the whole history, and
//! visiting them key by key costs a cache miss each, while a pass in file order reads memory in
//! sequence and touches only the small tables of the keys. After it, validation and the checker
//! work on ids (integers, contiguous per key) and never hash a value again.
//!
//! This module owns the grouping, the value ids, and the two value rules of the format (a value
//! is written at most once per key; a context names only written values). It must never judge
//! consistency: what the ids mean for causality is the checker's business.

use crate::fxhash::FxHashMap;

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
    /// Per value id: the value, as first named.
    values: Vec<&'h Value>,
    /// Per value id: the history index of the put or delete that wrote it (the last one, if a
    /// malformed history writes it twice).
    writers: Vec<Option<usize>>,
    id_of: FxHashMap<&'h Value, usize>,
    /// The values named last, with their ids, most recent first: a get or a context mostly names
    /// what was written or read on the key just before, and this finds it without the hash table.
    recent: [(Value, usize); RECENT],
}

/// How many recently named values a key remembers outside its hash table.
const RECENT: usize = 4;

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

        let mut written_twice = None;
        // Context values not written yet when first named: (operation, key slot, value id).
        let mut forward: Vec<(usize, usize, usize)> = Vec::new();
        for (index, operation) in history.operations.iter().enumerate() {
            let slot = slot_of[index];
            let key = &mut keys[slot];
            key.operations.push(index);
            match &operation.action {
                Action::Get { values, .. } => {
                    for read in values {
                        let id = key.intern_seen(&read.value);
                        key.ids.push(id);
                    }
                }
                Action::Put(write) | Action::Delete(write) => {
                    let id = key.intern(&write.value);
                    if let Some(first) = key.writers[id] {
                        written_twice.get_or_insert_with(|| HistoryError::ValueWrittenTwice {
                            key: operation.key.clone(),
                            value: write.value.clone(),
                            first: history.operations[first].id,
                            second: operation.id,
                        });
                    }
                    key.writers[id] = Some(index);
                    key.ids.push(id);
                    for value in &write.context {
                        let id = key.intern_seen(value);
                        if key.writers[id].is_none() {
                            forward.push((index, slot, id));
                        }
                        key.ids.push(id);
                    }
                }
            }
            key.starts.push(key.ids.len());
        }
        let unknown_context = || {
            let &(index, slot, id) = forward
                .iter()
                .find(|&&(_, slot, id)| keys[slot].writers[id].is_none())?;
            let operation = &history.operations[index];
            Some(HistoryError::UnknownContextValue {
                id: operation.id,
                key: operation.key.clone(),
                value: keys[slot].values[id].clone(),
            })
        };
        let problem = written_twice.or_else(unknown_context);
        keys.sort_unstable_by(|a, b| a.key.cmp(b.key));
        Catalog {
            history,
            keys,
            problem,
        }
    }

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
            recent: std::array::from_fn(|_| (Value::from(""), usize::MAX)),
        }
    }

    /// The id of a value a get returned or a context names: usually one named just before.
    fn intern_seen(&mut self, value: &'h Value) -> usize {
        match self.recent.iter().find(|(recent, _)| recent == value) {
            Some(&(_, id)) if id != usize::MAX => id,
            _ => self.intern(value),
        }
    }

    /// The id of a value, new or not, which becomes the most recent.
    fn intern(&mut self, value: &'h Value) -> usize {
        let next = self.values.len();
        let id = *self.id_of.entry(value).or_insert(next);
        if id == next {
            self.values.push(value);
            self.writers.push(None);
        }
        self.recent.rotate_right(1);
        self.recent[0] = (value.clone(), id);
        id
    }

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

    pub fn value(&self, id: usize) -> &'h Value {
        self.values[id]
    }

    pub fn id_of(&self, value: &Value) -> Option<usize> {
        self.id_of.get(value).copied()
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
    fn a_context_may_name_a_later_write_but_not_an_unwritten_value() {
        let later = History::new(vec![put(0, "k", "v1", &["v2"]), put(1, "k", "v2", &[])]);
        assert_eq!(Catalog::of(&later).problem(), None);

        let unwritten = History::new(vec![
            put(0, "k", "v1", &[]),
            put(1, "k", "v2", &["v1", "nowhere"]),
            put(2, "k", "v3", &["also-nowhere"]),
        ]);
        assert_eq!(
            Catalog::of(&unwritten).problem().cloned(),
            Some(HistoryError::UnknownContextValue {
                id: OpId(1),
                key: Key::from("k"),
                value: Value::from("nowhere"),
            })
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
