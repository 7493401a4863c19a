//! The linearizability search's memo: the configurations (linearized set, state) it has entered,
//! so that it never explores one twice (Lowe's memoisation).
//!
//! It owns the table and the storage of the linearized sets (as windows, in an arena); it never
//! decides what a configuration is or when one is entered: `search` hashes the configuration and
//! numbers its state, and this module only remembers.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use super::hash::PassThroughBuild;

/// The configurations entered so far, by hash.
#[derive(Debug, Default)]
pub(super) struct Memo {
    table: HashMap<u64, MemoEntry, PassThroughBuild>,
    windows: WindowArena,
    entries: u64,
}

impl Memo {
    /// How many configurations it holds.
    pub(super) fn entries(&self) -> u64 {
        self.entries
    }

    /// Records the configuration whose linearized set is `window` from word `low_word` on (see
    /// [`MemoEntry`]) and whose state is numbered `state`, under `hash`; false if it was there
    /// already.
    #[inline]
    pub(super) fn insert(&mut self, hash: u64, low_word: u32, window: &[u64], state: u32) -> bool {
        let windows = &mut self.windows;
        let fresh = |windows: &mut WindowArena| MemoEntry {
            low_word,
            window: windows.push(window),
            state,
            collision: None,
        };
        let inserted = match self.table.entry(hash) {
            Entry::Vacant(vacant) => {
                vacant.insert(fresh(windows));
                true
            }
            Entry::Occupied(occupied) => {
                let mut entry = occupied.into_mut();
                loop {
                    if entry.state == state
                        && entry.low_word == low_word
                        && windows.get(entry.window) == window
                    {
                        break false;
                    }
                    match entry.collision {
                        Some(ref mut next) => entry = next,
                        None => {
                            entry.collision = Some(Box::new(fresh(windows)));
                            break true;
                        }
                    }
                }
            }
        };
        if inserted {
            self.entries += 1;
        }
        inserted
    }
}

/// A memoised configuration: (linearized set, state). Entries whose hashes collide chain.
///
/// The set is stored as its window: the words from the first that is not full to the last that
/// is not empty. Operations are numbered in invocation order, and everything before the first
/// operation not yet linearized is linearized, so the window spans about as many operations as
/// run concurrently, not the whole history.
#[derive(Debug)]
pub(super) struct MemoEntry {
    low_word: u32,
    window: WindowRef,
    state: u32,
    collision: Option<Box<MemoEntry>>,
}

/// Where a memo entry's window lies in the [`WindowArena`].
#[derive(Clone, Copy, Debug)]
struct WindowRef {
    chunk: u32,
    offset: u32,
    len: u32,
}

/// The memo's windows, back to back in chunks that double up to [`ARENA_CHUNK_WORDS_MAX`]: one
/// allocation per chunk instead of one per entry, so that a search that gives up after millions
/// of configurations frees its memo at once instead of spending a fifth of its time budget again
/// in the allocator (a 5 s `--timeout` on 10,000 crashed `cas` operations took 6.4 s).
#[derive(Debug, Default)]
struct WindowArena {
    chunks: Vec<Vec<u64>>,
}

/// The largest chunk of the window arena, in words (8 MiB).
const ARENA_CHUNK_WORDS_MAX: usize = 1 << 20;

impl WindowArena {
    fn push(&mut self, window: &[u64]) -> WindowRef {
        let fits = self
            .chunks
            .last()
            .is_some_and(|chunk| chunk.capacity() - chunk.len() >= window.len());
        if !fits {
            let previous = self.chunks.last().map_or(32, Vec::capacity);
            let words = (2 * previous).min(ARENA_CHUNK_WORDS_MAX).max(window.len());
            self.chunks.push(Vec::with_capacity(words));
        }
        let chunk = self.chunks.len() - 1;
        let words = &mut self.chunks[chunk];
        let offset = words.len();
        words.extend_from_slice(window);
        WindowRef {
            chunk: chunk as u32,
            offset: offset as u32,
            len: window.len() as u32,
        }
    }

    fn get(&self, window: WindowRef) -> &[u64] {
        let start = window.offset as usize;
        &self.chunks[window.chunk as usize][start..start + window.len as usize]
    }
}
