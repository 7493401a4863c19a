//! `quorate sim` end to end: the history it writes validates, bad input exits 2 with a message.

use crate::common;

use common::quorate;

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("quorate-sim-cli-{}-{name}", std::process::id()))
}

#[test]
fn sim_writes_a_history_that_validates_and_is_deterministic() {
    let (first, second) = (temp("first.json"), temp("second.json"));
    for path in [&first, &second] {
        let (code, stdout, stderr) = quorate(&[
            "sim",
            "--config",
            "dynamo",
            "--seed",
            "1",
            "--out",
            path.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("operations"), "{stdout}");
        assert!(stdout.contains("messages:"), "{stdout}");
    }
    // The same seed twice: the same bytes.
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap()
    );
    let (code, stdout, stderr) = quorate(&["validate", first.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // Replaying the scenario stored in the history gives the same history.
    let replayed = temp("replayed.json");
    let (code, _, stderr) = quorate(&[
        "sim",
        "--scenario",
        first.to_str().unwrap(),
        "--out",
        replayed.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&replayed).unwrap()
    );
    for path in [first, second, replayed] {
        let _ = std::fs::remove_file(path);
    }
}

#[test]
fn bad_configurations_exit_2_with_a_message() {
    let (code, _, stderr) = quorate(&["sim", "--config", "riak", "--seed", "1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown preset \"riak\""), "{stderr}");

    let file = temp("config.json");
    let mut config = quorate::config::Config::preset("dynamo").unwrap();
    config.w = 9;
    std::fs::write(&file, serde_json::to_string(&config).unwrap()).unwrap();
    let (code, _, stderr) = quorate(&["sim", "--config", file.to_str().unwrap(), "--seed", "1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("w = 9 is larger than n = 3"), "{stderr}");
    let _ = std::fs::remove_file(file);

    let (code, _, stderr) = quorate(&[
        "sim", "--config", "dynamo", "--seed", "1", "--faults", "meteor",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown fault \"meteor\""), "{stderr}");

    let (code, _, stderr) = quorate(&[
        "sim",
        "--config",
        "dynamo",
        "--seed",
        "1",
        "--latency",
        "uniform:9:2",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("latency_ms_min = 9"), "{stderr}");
    let (code, _, stderr) = quorate(&[
        "sim",
        "--config",
        "dynamo",
        "--seed",
        "1",
        "--latency",
        "gaussian:3",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("expected constant:MS"), "{stderr}");
    // Each distribution runs; `quorate staleness`'s spellings mean the same scenario, byte for
    // byte.
    let history = |latency: &str| {
        let path = temp(&format!("latency-{}.json", latency.replace(':', "-")));
        let (code, _, stderr) = quorate(&[
            "sim",
            "--config",
            "weak",
            "--seed",
            "2",
            "--ops",
            "20",
            "--latency",
            latency,
            "--out",
            path.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{latency}: {stderr}");
        let bytes = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(path);
        bytes
    };
    for latency in ["constant:3", "exponential:5", "table:1,2,30"] {
        assert!(!history(latency).is_empty(), "{latency}");
    }
    assert_eq!(history("exp:5"), history("exponential:5"));
    assert_eq!(history("const:3"), history("constant:3"));
    assert_ne!(history("const:3"), history("constant:4"));
}

#[test]
fn the_summary_names_its_numbers_precisely() {
    // --ops counts client steps; an update or delete step is two operations, so the summary
    // gives both counts, and the times it prints are the history's own.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("h.json");
    let (code, stdout, stderr) = quorate(&[
        "sim",
        "--config",
        "dynamo",
        "--seed",
        "1",
        "--ops",
        "40",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let history = quorate::history::History::load(&out).unwrap();
    let operations = history.operations.len();
    assert!(operations > 40 && operations <= 80, "{operations}");
    assert!(
        stdout.contains(&format!(
            ": {operations} operations from 40 client steps of 3 clients"
        )),
        "{stdout}"
    );
    let last_answer = history
        .operations
        .iter()
        .map(|op| op.time_ms_complete.unwrap_or(op.time_ms_invoke))
        .max()
        .unwrap();
    let run = history.run.as_ref().unwrap();
    assert!(run.time_ms_end > last_answer);
    assert!(
        stdout.contains(&format!(
            "operations from 0 to {last_answer} ms, the run (workload, heal, settle) to {} simulated ms",
            run.time_ms_end
        )),
        "{stdout}"
    );
}
