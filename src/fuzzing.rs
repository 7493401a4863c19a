//! The bodies of the fuzz targets in `fuzz/`: each takes the fuzzer's bytes and panics exactly
//! when it finds a bug, with a message that names the bug.
//!
//! They live in the library, not in `fuzz/`, so that `cargo test` runs them over the committed
//! seed corpora (`tests/fuzz_bodies.rs`) on a machine without cargo-fuzz, and so that a crash
//! artifact can be replayed by an ordinary test. This is the only module whose functions panic
//! on purpose; nothing else in the library calls them.

use crate::history::import::{self, Format};
use crate::history::History;

/// bytes → every loader and importer. Never a panic; a quorate history that loads survives a
/// JSON round trip unchanged; importing is deterministic.
pub fn parse(bytes: &[u8]) {
    if let Ok(history) = History::from_slice(bytes) {
        let text = history.to_json();
        match History::from_json(&text) {
            Ok(again) => assert!(
                again == history,
                "a loaded history changed in a JSON round trip"
            ),
            Err(error) => {
                panic!("a loaded history does not load again after a JSON round trip: {error}")
            }
        }
    }
    for format in [Format::Edn, Format::JepsenLog, Format::PorcupineKv] {
        let first = import::import(bytes, format);
        let second = import::import(bytes, format);
        assert!(
            first == second,
            "importing the same bytes as {format:?} twice gave different results"
        );
    }
    let _ = import::detect(bytes);
}
