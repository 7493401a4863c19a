//! Loading takes a fast path for histories in the plain form of the format, and serde_json for
//! everything else. The two must agree: whatever the bytes, `History::parse` reads exactly what
//! serde_json reads, and fails exactly when serde_json fails.

use proptest::prelude::*;
use quorate::gen::{scenarios, GenOptions};
use quorate::history::History;
use quorate::testing::proptest_config;

/// What serde_json alone reads from the bytes, with the history's own loader beside it. Reading
/// the bytes from a file, a chunk at a time, must give what parsing them gives, error and all.
fn both(bytes: &[u8]) -> (Option<History>, Option<History>) {
    let parsed = History::parse(bytes);
    let by_serde = serde_json::from_slice::<History>(bytes);
    read_as_files(bytes);
    (parsed.ok(), by_serde.ok())
}

const BYTE_ORDER_MARK: &[u8] = b"\xef\xbb\xbf";

/// `History::parse_file` reads a file as `History::parse` reads its bytes after one byte order
/// mark, if the file opens with one: the bytes as a file, and with a mark put before them.
fn read_as_files(bytes: &[u8]) {
    let file = tempfile::NamedTempFile::new().unwrap();
    let read = |contents: &[u8]| {
        std::fs::write(file.path(), contents).unwrap();
        History::parse_file(file.path())
    };
    let text = String::from_utf8_lossy(bytes);
    let past_mark = bytes.strip_prefix(BYTE_ORDER_MARK).unwrap_or(bytes);
    assert_eq!(read(bytes), History::parse(past_mark), "{text}");
    let marked = [BYTE_ORDER_MARK, bytes].concat();
    assert_eq!(read(&marked), History::parse(bytes), "{text}");
}

/// Bytes that matter to JSON and to the plain form: delimiters, escapes, digits, signs,
/// exponents, literals' letters, white space, a control byte and the two bytes of "é".
const EDIT_BYTES: &[u8] = b"\"\\,:{}[] \n\t0123456789-+.eEnulltrfa\x01\xc3\xa9";

fn edit() -> impl Strategy<Value = (prop::sample::Index, Option<u8>, bool)> {
    (
        any::<prop::sample::Index>(),
        prop::option::of(prop::sample::select(EDIT_BYTES)),
        any::<bool>(),
    )
}

/// Applies edits: at a position, replace the byte, insert one, or delete it (no byte given).
fn mutate(text: &str, edits: &[(prop::sample::Index, Option<u8>, bool)]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for (position, byte, insert) in edits {
        if bytes.is_empty() {
            break;
        }
        let at = position.index(bytes.len());
        match (byte, insert) {
            (Some(byte), true) => bytes.insert(at, *byte),
            (Some(byte), false) => bytes[at] = *byte,
            (None, _) => {
                bytes.remove(at);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(proptest_config(192))]

    #[test]
    fn loading_agrees_with_serde_json_on_simulated_histories(
        scenario in scenarios(&GenOptions::default()),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let history = quorate::sim::run_history(&scenario).map_err(|error| TestCaseError::fail(error.to_string()))?;
        for text in [serde_json::to_string(&history).unwrap(), history.to_json()] {
            // (Not always `history` itself: the format lists a get's tombstones apart from its
            // values, so their interleaving is not kept.)
            let (parsed, by_serde) = both(text.as_bytes());
            prop_assert!(by_serde.is_some());
            prop_assert_eq!(parsed, by_serde);

            let mutated = mutate(&text, &edits);
            let (parsed, by_serde) = both(&mutated);
            prop_assert_eq!(
                parsed,
                by_serde,
                "the loaders disagree on {}",
                String::from_utf8_lossy(&mutated)
            );
        }
    }
}

/// Forms the fast path leaves to serde_json, each of which serde_json reads or rejects in its
/// own way; the loader must do the same.
#[test]
fn forms_outside_the_plain_one_are_read_as_serde_json_reads_them() {
    let op = |fields: &str| {
        format!(
            r#"{{"version": 1, "operations": [{{"id": 0, "client": 0, "key": "k", "kind": "put", "time_ms_invoke": 0, "outcome": "info", "value": "v"{fields}}}]}}"#
        )
    };
    let cases = [
        op(r#", "time_ms_complete": null"#),
        op(r#", "time_ms_complete": 01"#),
        op(r#", "time_ms_complete": 1.0"#),
        op(r#", "time_ms_complete": 1e3"#),
        op(r#", "time_ms_complete": -1"#),
        op(r#", "time_ms_complete": 18446744073709551616"#),
        op(r#", "context": ["v\u0031"]"#),
        op(r#", "context": ["v\"1"]"#),
        op(r#", "context": ["é"]"#),
        op(r#", "meta": {"timestamp": 5}"#),
        op(r#", "meta": {"timestamp": "5"}"#),
        op(r#", "value": "again""#),
        op(r#", "unknown": 1"#),
        op(r#", "t\u0069me_ms_complete": 4"#),
        r#"{"version": 1, "operations": [], "config": null}"#.to_string(),
        r#"{"version": 1, "operations": [], "scenario": null}"#.to_string(),
        r#"{"version": 1, "operations": [], "scenario": {"seed": 1}}"#.to_string(),
        r#"{"version": 1, "operations": [], "replicas": null, "run": null, "faults": null}"#.to_string(),
        r#"{"version": 1, "operations": [], "faults": [{"kind": "crash", "time_ms_start": 3, "description": "a \"quoted\" [crash]"}]}"#.to_string(),
        r#"{"version": 1, "operations": []} x"#.to_string(),
        r#"{"version": 1}"#.to_string(),
        r#"{"version": 4294967296, "operations": []}"#.to_string(),
        "\u{feff}{\"version\": 1, \"operations\": []}".to_string(),
    ];
    // Nesting within serde_json's recursion limit for the value alone, but not for the file.
    let deep = format!(
        r#"{{"version": 1, "operations": [], "scenario": {}1{}}}"#,
        "[".repeat(127),
        "]".repeat(127)
    );
    let cases = cases.into_iter().chain([deep]);
    for text in cases {
        let (parsed, by_serde) = both(text.as_bytes());
        assert_eq!(parsed, by_serde, "{text}");
    }
}

/// A pipe cannot be read twice: `History::parse_file` reads it whole, so a history outside the
/// plain form (which serde_json reads) comes through a pipe as it does from a regular file.
#[cfg(unix)]
#[test]
fn a_history_from_a_pipe_reads_as_from_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("history.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let op = |fields: &str| {
        format!(
            r#"{{"version": 1, "operations": [{{"id": 0, "client": 0, "key": "k", "kind": "put", "time_ms_invoke": 0, "outcome": "info", "value": "v"{fields}}}]}}"#
        )
    };
    for text in [
        op(""),
        op(r#", "time_ms_complete": null"#),
        op(r#", "time_ms_complete": 1.5"#),
    ] {
        let writer = {
            let (fifo, text) = (fifo.clone(), text.clone());
            std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
        };
        let read = History::parse_file(&fifo);
        writer.join().unwrap();
        assert_eq!(read, History::parse(text.as_bytes()), "{text}");
    }
}
