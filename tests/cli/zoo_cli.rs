//! `quorate explore --bug` and `quorate sim --bug` from the outside.

use crate::common;

use common::quorate;

#[test]
fn explore_finds_one_bug_and_prints_its_minimized_history() {
    let (code, stdout, stderr) = quorate(&["explore", "--bug", "ignore-context"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("found after 1 cases (seed 1)"), "{stdout}");
    assert!(stdout.contains("dominated_sibling"), "{stdout}");
    assert!(
        stdout.contains("replay: quorate sim --config dynamo --seed 1"),
        "{stdout}"
    );
    assert!(stdout.contains("minimized history:"), "{stdout}");
}

#[test]
fn explore_with_the_bug_off_finds_nothing_in_the_same_cases() {
    let (code, stdout, stderr) = quorate(&[
        "explore",
        "--bug",
        "ignore-context",
        "--off",
        "--cases",
        "20",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("nothing forbidden in 20 cases from seed 1"),
        "{stdout}"
    );
}

#[test]
fn explore_several_bugs_prints_the_table() {
    let (code, stdout, _) = quorate(&["explore", "--bug", "stale-context,vnode-clock"]);
    assert_eq!(code, 1);
    assert!(stdout.starts_with("| bug | preset"), "{stdout}");
    assert!(stdout.contains("| `vnode-clock` | dynamo |"), "{stdout}");
    assert!(stdout.contains("`context_too_small`"), "{stdout}");
}

#[test]
fn unknown_bugs_are_usage_errors_that_list_the_names() {
    for command in ["explore", "sim"] {
        let mut args = vec![command, "--bug", "vnode-clok"];
        if command == "sim" {
            args.extend(["--config", "dynamo", "--seed", "1"]);
        }
        let (code, _, stderr) = quorate(&args);
        assert_eq!(code, 2, "{command}: {stderr}");
        assert!(
            stderr.contains("unknown bug \"vnode-clok\"; the bugs are vnode-clock, ignore-context"),
            "{command}: {stderr}"
        );
    }
}

#[test]
fn sim_replays_a_zoo_case_and_records_the_bug_in_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.json");
    let path = path.to_str().unwrap();
    let (code, stdout, stderr) = quorate(&[
        "sim",
        "--config",
        "dynamo",
        "--seed",
        "1",
        "--ops",
        "8",
        "--clients",
        "3",
        "--keys",
        "1",
        "--faults",
        "none",
        "--bug",
        "stale-context",
        "--out",
        path,
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let history = std::fs::read_to_string(path).unwrap();
    assert!(
        history.contains("\"stale-context\""),
        "the configuration keeps its bugs"
    );
    let (code, stdout, _) = quorate(&["check", path]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("context_too_small"), "{stdout}");
    // Without the bug, the same scenario passes.
    let (code, _, _) = quorate(&[
        "sim",
        "--config",
        "dynamo",
        "--seed",
        "1",
        "--ops",
        "8",
        "--clients",
        "3",
        "--keys",
        "1",
        "--faults",
        "none",
        "--out",
        path,
        "--force",
    ]);
    assert_eq!(code, 0);
    let (code, stdout, _) = quorate(&["check", path]);
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn explore_saves_the_case_with_its_trace_and_its_timeline_and_never_overwrites_them() {
    let folder = tempfile::tempdir().unwrap();
    let case = folder.path().join("case.json");
    let page = folder.path().join("case.html");
    let out = case.to_str().unwrap();
    let (code, stdout, stderr) = quorate(&["explore", "--bug", "ignore-context", "--out", out]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let history = quorate::history::History::load(&case).unwrap();
    assert!(history.trace.is_some(), "the case has no trace");
    let html = std::fs::read_to_string(&page).expect("the timeline beside the case");
    let data = crate::render_cli::page_data(&html);
    assert!(
        !data["nodes"].as_array().unwrap().is_empty(),
        "no node lanes"
    );
    assert!(!data["trace"].as_array().unwrap().is_empty(), "no messages");
    // The page alone is enough to refuse: --force replaces both.
    std::fs::remove_file(&case).unwrap();
    let (code, _, stderr) = quorate(&["explore", "--bug", "ignore-context", "--out", out]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("case.html: the file exists"), "{stderr}");
    let (code, _, _) = quorate(&[
        "explore",
        "--bug",
        "ignore-context",
        "--out",
        out,
        "--force",
    ]);
    assert_eq!(code, 1);
    assert!(case.exists());
}
