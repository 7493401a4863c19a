//! Hostile and careless input (issue 18): nothing passes by being empty, nothing is bent silently,
//! and a broken file is bad input (exit 2) with a message that names the real problem.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::quorate;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

fn histories(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("histories")
        .join(file)
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn an_empty_history_is_bad_input_in_every_format_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (write(dir.path(), "empty.txt", b""), None),
        (write(dir.path(), "blank.txt", b"  \n\n\t\n"), None),
        (
            write(
                dir.path(),
                "empty.json",
                br#"{"version": 1, "operations": []}"#,
            ),
            None,
        ),
        (write(dir.path(), "empty.edn", b"[]"), None),
        (write(dir.path(), "empty.log", b""), Some("jepsen-log")),
        (write(dir.path(), "empty.kv", b"\n"), Some("porcupine-kv")),
        (write(dir.path(), "empty2.edn", b""), Some("edn")),
        (
            write(
                dir.path(),
                "empty2.json",
                br#"{"version": 1, "operations": []}"#,
            ),
            Some("json"),
        ),
    ];
    for (file, format) in &files {
        let mut args = vec!["check", file.as_str()];
        if let Some(format) = format {
            args.extend(["--format", format]);
        }
        let (code, stdout, stderr) = quorate(&args);
        assert_eq!(code, 2, "{file} {format:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("no operations in the history"),
            "{file}: {stderr}"
        );
        assert!(stderr.contains("--allow-empty"), "{stderr}");
        args.push("--allow-empty");
        let (code, stdout, stderr) = quorate(&args);
        assert_eq!(code, 0, "{file} {format:?} --allow-empty: {stdout}{stderr}");
    }
    // Empty standard input: a lost pipe must not pass either.
    let output = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .args(["check", "/dev/stdin"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no operations in the history"));
}

#[test]
fn initial_is_refused_for_a_quorate_history_instead_of_ignored() {
    let (code, _, stderr) = quorate(&["check", &histories("example.json"), "--initial", "0"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--initial \"0\" applies to external histories"),
        "{stderr}"
    );
}

#[test]
fn a_json_history_with_a_byte_order_mark_is_read_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(histories("example.json")).unwrap());
    let file = write(dir.path(), "bom.json", &bytes);
    let (code, stdout, stderr) = quorate(&["check", &file]);
    let (plain_code, plain_stdout, _) = quorate(&["check", &histories("example.json")]);
    assert_eq!(code, plain_code, "{stderr}");
    assert_eq!(stdout, plain_stdout);
}

#[test]
fn sim_refuses_workloads_it_used_to_bend_or_that_would_not_fit_in_memory() {
    for (flag, value, message) in [
        (
            "--keys",
            "0",
            "--keys 0: the workload needs at least one key",
        ),
        ("--clients", "0", "--clients 0: between 1 and 1000"),
        (
            "--clients",
            "1000000",
            "--clients 1000000: between 1 and 1000",
        ),
        ("--ops", "100000000", "--ops 100000000: at most 10000000"),
    ] {
        let (code, stdout, stderr) =
            quorate(&["sim", "--config", "dynamo", "--seed", "1", flag, value]);
        assert_eq!(code, 2, "{flag} {value}: {stdout}{stderr}");
        assert!(stderr.contains(message), "{flag} {value}: {stderr}");
        assert!(
            stdout.is_empty(),
            "{flag} {value} generated something: {stdout}"
        );
    }
}

#[test]
fn configuration_sizes_have_upper_bounds_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    for (field, value, message) in [
        (
            "vnodes_per_node",
            serde_json::json!(4_294_967_295u64),
            "vnodes_per_node = 4294967295 is more than 1024",
        ),
        (
            "nodes",
            serde_json::json!(5000),
            "nodes = 5000 is more than 999",
        ),
    ] {
        let mut config =
            serde_json::to_value(quorate::config::Config::preset("dynamo").unwrap()).unwrap();
        config[field] = value;
        let file = write(
            dir.path(),
            &format!("{field}.json"),
            config.to_string().as_bytes(),
        );
        let (code, _, stderr) = quorate(&["sim", "--config", &file, "--seed", "1"]);
        assert_eq!(code, 2, "{field}: {stderr}");
        assert!(stderr.contains(message), "{field}: {stderr}");
    }
}

#[test]
fn a_broken_regression_case_is_bad_input_that_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let mut case: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(histories("edge-cases/01-sloppy-quorum-stale-read.json")).unwrap(),
    )
    .unwrap();
    case["scenario"] = serde_json::Value::Null;
    let file = write(
        dir.path(),
        "null-scenario.json",
        case.to_string().as_bytes(),
    );
    let expected = "a regression case without its \"scenario\" (missing or null)";

    let (code, stdout, _) = quorate(&["replay", &file]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.contains(expected), "{stdout}");

    let out = dir.path().join("page.html");
    let (code, _, stderr) = quorate(&["render", &file, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!stderr.contains("unknown field `format`"), "{stderr}");

    // A case whose fields have the wrong type: also bad input, not a failed replay.
    let file = write(
        dir.path(),
        "wrong-type.json",
        br#"{"format": "quorate-case-1", "title": 3, "scenario": {}, "history": {}}"#,
    );
    let (code, stdout, _) = quorate(&["replay", &file]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.contains("not a valid regression case"), "{stdout}");
}

#[test]
fn a_huge_value_makes_a_short_error_message() {
    let dir = tempfile::tempdir().unwrap();
    let huge = "x".repeat(5_000_000);
    let log = format!(
        "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\t[{huge}\n"
    );
    let file = write(dir.path(), "huge.log", log.as_bytes());
    let (code, _, stderr) = quorate(&["check", &file, "--format", "jepsen-log"]);
    assert_eq!(code, 2, "{}", &stderr[..stderr.len().min(500)]);
    assert!(stderr.len() < 2_000, "a {}-byte message", stderr.len());
    assert!(
        stderr.contains("5000001 bytes in all") || stderr.contains("message cut"),
        "{stderr}"
    );
}

#[test]
fn a_read_of_its_own_clients_next_write_is_worded_from_the_client_order() {
    let dir = tempfile::tempdir().unwrap();
    let history = r#"{"version": 1, "operations": [
      {"id": 0, "client": 1, "key": "k", "kind": "get", "values": ["v1"],
       "time_ms_invoke": 0, "time_ms_complete": 3, "outcome": "ok"},
      {"id": 1, "client": 1, "key": "k", "kind": "put", "value": "v1",
       "time_ms_invoke": 3, "time_ms_complete": 5, "outcome": "ok"}
    ]}"#;
    let file = write(dir.path(), "own-next.json", history.as_bytes());
    let (code, stdout, stderr) = quorate(&["check", &file]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("client 1 invoked that write only after this read, as its own next operation (at t=3 ms)"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("after the read had finished at t=3 ms"),
        "{stdout}"
    );
}

#[test]
fn staleness_refuses_at_once_a_table_that_would_run_for_hours() {
    let dir = tempfile::tempdir().unwrap();
    let mut config =
        serde_json::to_value(quorate::config::Config::preset("dynamo").unwrap()).unwrap();
    config["nodes"] = serde_json::json!(999);
    config["n"] = serde_json::json!(999);
    let file = write(dir.path(), "n999.json", config.to_string().as_bytes());
    let (code, stdout, stderr) = quorate(&["staleness", "--config", &file]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("n = 999 is too large for this table even with one trial"),
        "{stderr}"
    );
    assert!(stdout.is_empty());
    // A smaller n is told the most --trials that fits: 20³ × 12,500 is exactly the bound, and
    // one trial more is refused.
    config["n"] = serde_json::json!(20);
    let file = write(dir.path(), "n20.json", config.to_string().as_bytes());
    let (code, _, stderr) = quorate(&["staleness", "--config", &file]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("lower --trials to at most 12500"),
        "{stderr}"
    );
    let (code, _, stderr) = quorate(&["staleness", "--config", &file, "--trials", "12501"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("lower --trials to at most 12500"),
        "{stderr}"
    );
}

#[test]
fn contexts_that_form_a_cycle_are_a_store_bug_judged_not_refused() {
    // The issue's example: client 1 reads {1} during [2, 6], then writes 1 with context [1].
    let dir = tempfile::tempdir().unwrap();
    let history = r#"{"version": 1, "operations": [
      {"id": 0, "client": 1, "key": "k", "kind": "get", "values": ["1"],
       "time_ms_invoke": 2, "time_ms_complete": 6, "outcome": "ok"},
      {"id": 1, "client": 1, "key": "k", "kind": "put", "value": "1", "context": ["1"],
       "time_ms_invoke": 7, "time_ms_complete": 9, "outcome": "ok"}
    ]}"#;
    let file = write(dir.path(), "cycle.json", history.as_bytes());
    let (code, stdout, stderr) = quorate(&["check", &file]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("future_read on key k"), "{stdout}");
    assert!(stdout.contains("linearizable: no"), "{stdout}");
    let (code, stdout, _) = quorate(&["check", &file, "--json"]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["linearizability"]["status"], "not_linearizable");
    assert_eq!(
        report["anomalies"][0]["operations"],
        serde_json::json!([0, 1])
    );
}

#[test]
fn a_context_naming_a_phantom_is_a_store_bug_judged_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    // The store returned a value nobody wrote, and the client wrote with it.
    let read_then_written = r#"{"version": 1, "operations": [
      {"id": 0, "client": 0, "key": "k", "kind": "put", "value": "v1",
       "time_ms_invoke": 0, "time_ms_complete": 2, "outcome": "ok"},
      {"id": 1, "client": 1, "key": "k", "kind": "get", "values": ["v1", "ghost"],
       "time_ms_invoke": 3, "time_ms_complete": 5, "outcome": "ok"},
      {"id": 2, "client": 1, "key": "k", "kind": "put", "value": "v2", "context": ["v1", "ghost"],
       "time_ms_invoke": 6, "time_ms_complete": 8, "outcome": "ok"}
    ]}"#;
    let file = write(dir.path(), "phantom.json", read_then_written.as_bytes());
    let (code, stdout, stderr) = quorate(&["validate", &file]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = quorate(&["check", &file]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("phantom_value on key k"), "{stdout}");
    assert!(stdout.contains("ghost"), "{stdout}");

    // A phantom in a context that the client never read is still a malformed history.
    let never_read =
        read_then_written.replace(r#""values": ["v1", "ghost"]"#, r#""values": ["v1"]"#);
    let file = write(dir.path(), "unread.json", never_read.as_bytes());
    let (code, _, stderr) = quorate(&["check", &file]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("has \"ghost\" in its context, but client 1 had not read \"ghost\""),
        "{stderr}"
    );
}

#[test]
fn a_snapshot_set_naming_one_node_twice_for_a_key_is_malformed() {
    let dir = tempfile::tempdir().unwrap();
    // n1's copy of k listed twice would count as two of k's replicas.
    let history = |second_node: u32| {
        format!(
            r#"{{"version": 1, "operations": [
              {{"id": 0, "client": 0, "key": "k", "kind": "put", "value": "v1",
               "time_ms_invoke": 0, "time_ms_complete": 2, "outcome": "ok"}}],
             "replicas": [
              {{"key": "k", "node": 1, "values": ["v1"]}},
              {{"key": "other", "node": 1, "values": []}},
              {{"key": "k", "node": {second_node}, "values": ["v1"]}}]}}"#
        )
    };
    let file = write(dir.path(), "twice.json", history(1).as_bytes());
    for command in ["validate", "check"] {
        let (code, stdout, stderr) = quorate(&[command, &file]);
        assert_eq!(code, 2, "{command}: {stdout}{stderr}");
        assert!(
            stderr.contains(r#"name node n1 twice for key "k""#),
            "{command}: {stderr}"
        );
    }
    // The same node for two keys, or two nodes for one key, is what snapshots are.
    let file = write(dir.path(), "distinct.json", history(2).as_bytes());
    let (code, stdout, stderr) = quorate(&["validate", &file]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

/// The things that already held when issue 18 was filed, kept here so that none can regress.
#[test]
fn deep_nesting_is_refused_with_a_place_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 200_000;
    let json = format!(
        r#"{{"version": 1, "operations": [{}{}]}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let file = write(dir.path(), "deep.json", json.as_bytes());
    let (code, _, stderr) = quorate(&["check", &file]);
    assert_eq!(code, 2, "{}", &stderr[..stderr.len().min(300)]);
    assert!(stderr.contains("line 1"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("overflow"),
        "{stderr}"
    );

    let edn = format!("[{}{}]", "[".repeat(depth), "]".repeat(depth));
    let file = write(dir.path(), "deep.edn", edn.as_bytes());
    let (code, _, stderr) = quorate(&["check", &file, "--format", "edn"]);
    assert_eq!(code, 2, "{}", &stderr[..stderr.len().min(300)]);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("overflow"),
        "{stderr}"
    );
}

#[test]
fn the_timeline_escapes_values_that_look_like_markup() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>";
    let history = serde_json::json!({
        "version": 1,
        "operations": [
            {"id": 0, "client": 0, "key": evil, "kind": "put", "value": evil,
             "time_ms_invoke": 0, "time_ms_complete": 2, "outcome": "ok"},
            {"id": 1, "client": 1, "key": evil, "kind": "get", "values": [evil],
             "time_ms_invoke": 3, "time_ms_complete": 5, "outcome": "ok"}
        ],
        // The trace's summaries, keys and sibling sets are drawn too.
        "trace": {"events": [
            {"event": "send", "message": 0, "time_ms": 1, "from": {"node": 0}, "to": {"node": 1},
             "op": 0, "key": evil, "summary": evil},
            {"event": "deliver", "message": 0, "time_ms": 2},
            {"event": "state", "time_ms": 2, "node": 1, "key": evil, "values": [evil], "tombstones": [evil]}
        ]}
    });
    let file = write(dir.path(), "evil.json", history.to_string().as_bytes());
    let out = dir.path().join("evil.html");
    let (code, _, stderr) = quorate(&["render", &file, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(
        !page.contains("<script>alert(1)"),
        "the value reached the page unescaped"
    );
    assert!(
        !page.contains("<img src=x"),
        "the value reached the page unescaped"
    );
    // The trace is in the page's data, its texts whole (the data is escaped, never markup).
    let data = crate::render_cli::page_data(&page);
    assert_eq!(data["nodes"], serde_json::json!([0, 1]), "no node lanes");
    let message = &data["trace"][0][1][0];
    assert!(
        message[6].as_str().unwrap().contains(evil),
        "the message was not drawn: {message}"
    );
    assert_eq!(data["keys"][0], evil);
}

#[test]
fn a_huge_sibling_set_is_judged() {
    // 3,000 concurrent blind puts and one read that returns every one of them as a sibling.
    let writers = 3_000;
    let mut operations: Vec<serde_json::Value> = (0..writers)
        .map(|i| {
            serde_json::json!({"id": i, "client": i, "key": "k", "kind": "put",
                "value": format!("v{i}"), "time_ms_invoke": 0, "time_ms_complete": 10,
                "outcome": "ok"})
        })
        .collect();
    let values: Vec<String> = (0..writers).map(|i| format!("v{i}")).collect();
    operations.push(
        serde_json::json!({"id": writers, "client": writers, "key": "k",
        "kind": "get", "values": values, "time_ms_invoke": 11, "time_ms_complete": 12,
        "outcome": "ok"}),
    );
    let history = serde_json::json!({"version": 1, "operations": operations});
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "siblings.json", history.to_string().as_bytes());
    let (code, stdout, stderr) = quorate(&["check", &file, "--model", "atomic"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("VALID against model atomic"), "{stdout}");
}
