//! `quorate validate`: exit 0 on a valid history, 2 with a message naming the problem otherwise.

use crate::common;

use common::quorate;

#[test]
fn validate_accepts_the_example() {
    let (code, stdout, _) = quorate(&["validate", "histories/example.json"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        "histories/example.json: valid history, 9 operations, 1 faults, 6 replica snapshots"
    );
}

#[test]
fn validate_rejects_a_broken_copy_naming_the_problem() {
    let folder = tempfile::tempdir().unwrap();
    let broken = folder.path().join("broken.json");
    let text = std::fs::read_to_string("histories/example.json").unwrap();
    // Make operation 5 complete before it was invoked.
    let text = text.replace(
        "\"time_ms_invoke\": 30, \"time_ms_complete\": 33",
        "\"time_ms_invoke\": 30, \"time_ms_complete\": 3",
    );
    std::fs::write(&broken, text).unwrap();
    let (code, stdout, stderr) = quorate(&["validate", broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.ends_with(
            "broken.json: operation #5 completes at 3 ms, before it was invoked at 30 ms\n"
        ),
        "{stderr}"
    );
}

#[test]
fn validate_rejects_a_context_the_client_never_read() {
    let folder = tempfile::tempdir().unwrap();
    let broken = folder.path().join("unread-context.json");
    let text = std::fs::read_to_string("histories/example.json").unwrap();
    // Drop client 1's read of v3: its delete then names a value it never read.
    let text = text.replace("\"id\": 8, \"client\": 1", "\"id\": 8, \"client\": 2");
    std::fs::write(&broken, text).unwrap();
    let (code, _, stderr) = quorate(&["validate", broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("delete #4 (value \"d1\", client 1) has \"v3\" in its context, but client 1 had not read \"v3\""),
        "{stderr}"
    );
}

#[test]
fn bad_usage_and_missing_files_exit_2() {
    assert_eq!(quorate(&["validate"]).0, 2);
    assert_eq!(quorate(&["frobnicate"]).0, 2);
    let (code, _, stderr) = quorate(&["validate", "no/such/file.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no/such/file.json: cannot read the file"),
        "{stderr}"
    );
}

#[test]
fn help_and_version_exit_0() {
    let (code, stdout, _) = quorate(&["--version"]);
    assert_eq!(
        (code, stdout.trim()),
        (0, concat!("quorate ", env!("CARGO_PKG_VERSION")))
    );
    let (code, stdout, _) = quorate(&["--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("validate"), "{stdout}");
}

#[test]
fn validate_reads_the_external_formats_check_reads() {
    // Each external format is detected as `check` detects it, and read by its importer; the
    // operation count is the importer's (invocations paired with their completions).
    for (file, format) in [
        (
            "tests/corpora/porcupine-kv/c01-ok.txt",
            "Porcupine key-value",
        ),
        ("tests/corpora/jepsen-etcd/etcd_000.log", "Jepsen log"),
    ] {
        let (code, stdout, stderr) = quorate(&["validate", file]);
        assert_eq!(code, 0, "{file}: {stderr}");
        let prefix = format!("{file}: valid {format} history, ");
        assert!(stdout.starts_with(&prefix), "{stdout}");
        let count: usize = stdout[prefix.len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let bytes = std::fs::read(file).unwrap();
        let format = match quorate::lin::import::detect(&bytes) {
            quorate::lin::import::Detected::External(format) => format,
            other => panic!("{file}: detected as {other:?}"),
        };
        let imported = quorate::lin::import::import_owned(bytes, format).unwrap();
        assert_eq!(count, imported.operations.len(), "{file}");
    }
    // A broken EDN history is named as one, with the place of the error.
    let folder = tempfile::tempdir().unwrap();
    let broken = folder.path().join("broken.edn");
    std::fs::write(
        &broken,
        "[{:process 0, :type :invoke, :f :read, :value nil}\n {:process 0 :type",
    )
    .unwrap();
    let (code, stdout, stderr) = quorate(&["validate", broken.to_str().unwrap()]);
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stderr.starts_with("quorate validate: ")
            && stderr.contains("not a well-formed Knossos/Jepsen EDN history: line 2"),
        "{stderr}"
    );
    // --format json insists on quorate's format.
    let (code, _, stderr) = quorate(&[
        "validate",
        "tests/corpora/porcupine-kv/c01-ok.txt",
        "--format",
        "json",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("quorate validate: "), "{stderr}");
}

#[test]
fn validate_reads_a_regression_case_as_check_does() {
    let file = "histories/reaping/late-copy-after-delayed-reap.json";
    let (code, stdout, stderr) = quorate(&["validate", file]);
    assert_eq!(code, 0, "{stderr}");
    let case = quorate::regressions::Regression::from_json(&std::fs::read_to_string(file).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        stdout.trim(),
        format!(
            "{file}: valid regression case; its history has {} operations, {} faults, {} replica snapshots",
            case.history.operations.len(),
            case.history.faults.len(),
            case.history.replicas.as_ref().map_or(0, Vec::len)
        )
    );
    // A case without its history is named as such.
    let folder = tempfile::tempdir().unwrap();
    let broken = folder.path().join("case.json");
    std::fs::write(&broken, r#"{"format": "quorate-case-1", "title": "x"}"#).unwrap();
    let (code, _, stderr) = quorate(&["validate", broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("scenario"), "{stderr}");
}
