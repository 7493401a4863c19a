//! The history format: the documented example loads, every validation error names its place and
//! reason, JSON round trips are the identity, and no bytes make the loader panic.

use proptest::prelude::*;
use quorate::history::{
    Action, ClientId, History, HistoryError, Key, OpId, Operation, Outcome, ReadValue, StoreMeta,
    Value, Write,
};

const EXAMPLE: &str = include_str!("../../histories/example.json");

#[test]
fn documented_example_loads() {
    let history = History::from_json(EXAMPLE).expect("histories/example.json is valid");
    assert_eq!(history.operations.len(), 9);
    assert!(history.config.is_some());
    let get = &history.operations[6];
    assert_eq!(
        get.action,
        Action::Get {
            values: vec![ReadValue {
                value: Value::from("d1"),
                tombstone: true
            }],
            context: None
        }
    );
}

#[test]
fn format_readme_example_loads() {
    let readme = include_str!("../../histories/README.md");
    let start = readme
        .find("```json\n")
        .expect("the README has a JSON example")
        + "```json\n".len();
    let end = start + readme[start..].find("```").expect("the JSON example ends");
    let history = History::from_json(&readme[start..end]).expect("the README's example is valid");
    assert_eq!(history.operations.len(), 6);
    let resolving_put = history.operations[4]
        .action
        .write()
        .expect("operation 4 is a put");
    assert_eq!(
        resolving_put.context,
        vec![Value::from("a"), Value::from("b")]
    );
}

/// The example with one JSON edit applied, loaded; returns the error message.
fn error_after(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut tree: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
    edit(&mut tree);
    let text = serde_json::to_string_pretty(&tree).unwrap();
    match History::from_json(&text) {
        Ok(_) => panic!("the edited history was accepted"),
        Err(error) => error.to_string(),
    }
}

fn op(tree: &mut serde_json::Value, index: usize) -> &mut serde_json::Value {
    &mut tree["operations"][index]
}

#[test]
fn validation_errors_name_the_place_and_the_reason() {
    type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "duplicate id",
            Box::new(|t| op(t, 5)["id"] = 2.into()),
            "operation #2 appears twice (ids must be unique)",
        ),
        (
            "completion before invocation",
            Box::new(|t| op(t, 5)["time_ms_complete"] = 29.into()),
            "operation #5 completes at 29 ms, before it was invoked at 30 ms",
        ),
        (
            "a client with two operations open at once",
            Box::new(|t| op(t, 6)["time_ms_invoke"] = 32.into()),
            "client 2 has two operations open at once: #5 (invoked at 30 ms, open until 33 ms) and #6 (invoked at 32 ms)",
        ),
        (
            "an info operation that never completed is followed by another",
            Box::new(|t| {
                op(t, 4).as_object_mut().unwrap().remove("time_ms_complete");
                op(t, 1)["time_ms_invoke"] = 600.into();
                op(t, 1)["time_ms_complete"] = 601.into();
            }),
            "client 1 has two operations open at once: #4 (invoked at 25 ms, never completed) and #1 (invoked at 600 ms)",
        ),
        (
            "a put value written twice on one key",
            Box::new(|t| op(t, 3)["value"] = "v1".into()),
            "operation #3 writes value \"v1\" on key \"cart\", which operation #0 wrote already (values must be unique per key)",
        ),
        (
            "a time that is not a number",
            Box::new(|t| op(t, 2)["time_ms_invoke"] = "ten".into()),
            "operation #2: time_ms_invoke is not a number of milliseconds (found \"ten\")",
        ),
        (
            "a negative time",
            Box::new(|t| op(t, 7)["time_ms_complete"] = (-5).into()),
            "operation #7: time_ms_complete is not a number of milliseconds (found -5)",
        ),
        (
            "an ok operation without completion",
            Box::new(|t| {
                op(t, 5).as_object_mut().unwrap().remove("time_ms_complete");
            }),
            "operation #5 is ok but has no time_ms_complete (only info operations may lack one)",
        ),
        (
            "a failed get returning values",
            Box::new(|t| op(t, 5)["outcome"] = "fail".into()),
            "operation #5 returned values but its outcome is fail: only an ok get returns values",
        ),
        (
            "a put without a value",
            Box::new(|t| {
                op(t, 0).as_object_mut().unwrap().remove("value");
            }),
            "line 48, column 4: operation #0: a put needs the unique \"value\" it writes",
        ),
        (
            "an unknown kind",
            Box::new(|t| op(t, 0)["kind"] = "increment".into()),
            "line 36, column 25: unknown variant `increment`, expected one of `get`, `put`, `delete`",
        ),
        ("a future version", Box::new(|t| t["version"] = 7.into()), "unsupported history version 7; this build reads version 1"),
        (
            "an impossible configuration",
            Box::new(|t| t["config"]["r"] = 4.into()),
            "configuration: r = 4 is larger than n = 3: a read cannot wait for more replies than there are replicas",
        ),
    ];
    let mut failures = Vec::new();
    for (name, edit, expected) in cases {
        let message = error_after(edit);
        if message != expected {
            failures.push(format!(
                "{name}:\n  expected: {expected}\n  actual:   {message}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn syntax_errors_name_line_and_column() {
    let error = History::from_json("{\n  \"version\": 1,\n  \"operations\": [,]\n}").unwrap_err();
    assert_eq!(error.to_string(), "line 3, column 18: expected value");
    let error = History::from_slice(&[0xff, 0xfe]).unwrap_err();
    assert_eq!(error.to_string(), "line 1, column 1: expected value");
}

fn value() -> impl Strategy<Value = Value> {
    "[a-z0-9]{1,4}".prop_map(Value::from)
}

fn write() -> impl Strategy<Value = Write> {
    (value(), proptest::collection::vec(value(), 0..3))
        .prop_map(|(value, context)| Write { value, context })
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (
            proptest::collection::vec(value(), 0..3),
            proptest::collection::vec(value(), 0..2),
            proptest::option::of("[a-z:0-9 ]{0,8}")
        )
            .prop_map(|(values, tombstones, context)| {
                // In memory a get lists its values first, then its tombstones, as the loader builds it.
                let values = values.into_iter().map(|value| ReadValue {
                    value,
                    tombstone: false,
                });
                let tombstones = tombstones.into_iter().map(|value| ReadValue {
                    value,
                    tombstone: true,
                });
                Action::Get {
                    values: values.chain(tombstones).collect(),
                    context,
                }
            }),
        write().prop_map(Action::Put),
        write().prop_map(Action::Delete),
    ]
}

fn operation() -> impl Strategy<Value = Operation> {
    (
        any::<u64>(),
        0u32..4,
        "[a-z]{1,3}",
        action(),
        any::<u64>(),
        proptest::option::of(any::<u64>()),
        prop_oneof![Just(Outcome::Ok), Just(Outcome::Fail), Just(Outcome::Info)],
        proptest::option::of(any::<u64>()),
    )
        .prop_map(
            |(id, client, key, action, invoke, complete, outcome, timestamp)| Operation {
                id: OpId(id),
                client: ClientId(client),
                key: Key::from(key),
                action,
                time_ms_invoke: invoke,
                time_ms_complete: complete,
                outcome,
                meta: timestamp.map(|timestamp| {
                    Box::new(StoreMeta {
                        timestamp: Some(timestamp),
                        ..StoreMeta::default()
                    })
                }),
            },
        )
}

/// Mutations of a valid file's bytes.
#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (
            any::<usize>(),
            prop_oneof![
                Just("-1".to_string()),
                Just("null".into()),
                Just("[".into()),
                Just("\"x\"".into()),
                Just("1e999".into()),
                Just("{\"id\":0}".into()),
                "[\\[\\]{}\":,0-9a-z]{1,6}"
            ]
        )
            .prop_map(|(at, text)| Mutation::Insert { at, text }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    match mutation {
        Mutation::Flip { at, byte } => {
            let at = at % bytes.len();
            bytes[at] = *byte;
        }
        Mutation::Delete { at, len } => {
            let at = at % bytes.len();
            let end = (at + len).min(bytes.len());
            bytes.drain(at..end);
        }
        Mutation::Insert { at, text } => {
            let at = at % (bytes.len() + 1);
            bytes.splice(at..at, text.bytes());
        }
    }
}

/// Whether a syntax error's 1-based line, and column (0 at the start of a line, as serde_json
/// reports an input that ends there), lie within `bytes`.
fn position_is_in(bytes: &[u8], line: usize, column: usize) -> bool {
    let lines: Vec<&[u8]> = bytes.split(|&byte| byte == b'\n').collect();
    line >= 1 && line <= lines.len() && column <= lines[line - 1].len() + 1
}

proptest! {
    #[test]
    fn json_round_trip_is_identity(operations in proptest::collection::vec(operation(), 0..8)) {
        let history = History::new(operations);
        let text = history.to_json();
        let back: History = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &history);
        prop_assert_eq!(back.to_json(), text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        match History::from_slice(&bytes) {
            Err(HistoryError::Syntax { line, column, .. }) => {
                prop_assert!(position_is_in(&bytes, line, column), "line {line}, column {column}");
            }
            Err(_) => {}
            Ok(history) => prop_assert_eq!(history.validate(), Ok(())),
        }
    }

    #[test]
    fn mutated_valid_files_never_panic(mutations in proptest::collection::vec(mutation(), 1..6)) {
        let mut bytes = EXAMPLE.as_bytes().to_vec();
        for mutation in &mutations {
            if bytes.is_empty() { break; }
            apply(&mut bytes, mutation);
        }
        match History::from_slice(&bytes) {
            Ok(history) => {
                // Whatever loads is valid and survives a round trip.
                prop_assert_eq!(history.validate(), Ok(()));
                prop_assert_eq!(History::from_json(&history.to_json()), Ok(history));
            }
            // A syntax error names a place that exists in the bytes.
            Err(HistoryError::Syntax { line, column, .. }) => {
                prop_assert!(position_is_in(&bytes, line, column), "line {line}, column {column}");
            }
            Err(_) => {}
        }
    }
}
