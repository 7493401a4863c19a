//! What every subcommand promises alike (docs/DESIGN.md §8): its `--help` lists its exit codes,
//! its errors start with `quorate COMMAND:`, and no file the user names is replaced without
//! `--force`.

use crate::common;

use common::quorate;

/// Every subcommand, as `quorate --help` lists them.
fn subcommands() -> Vec<String> {
    let (code, stdout, stderr) = quorate(&["--help"]);
    assert_eq!(code, 0, "{stderr}");
    let commands: Vec<String> = stdout
        .split("Commands:")
        .nth(1)
        .expect("a Commands section")
        .lines()
        .skip(1)
        .map_while(|line| {
            let line = line.trim();
            (!line.is_empty() && !line.starts_with("Options:")).then(|| line.to_string())
        })
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .filter(|name| name != "help")
        .collect();
    assert!(commands.len() >= 9, "{commands:?}");
    commands
}

#[test]
fn every_help_lists_the_exit_codes() {
    let (_, top, _) = quorate(&["--help"]);
    assert!(top.contains("Exit codes"), "{top}");
    for command in subcommands() {
        let (code, stdout, stderr) = quorate(&[&command, "--help"]);
        assert_eq!(code, 0, "{command}: {stderr}");
        let codes = stdout
            .split("Exit codes:")
            .nth(1)
            .unwrap_or_else(|| panic!("{command} --help has no exit codes:\n{stdout}"));
        assert!(codes.contains("0 "), "{command}: {codes}");
        assert!(codes.contains("2 bad usage"), "{command}: {codes}");
    }
}

#[test]
fn every_error_starts_with_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let missing = missing.to_str().unwrap();
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{ not json").unwrap();
    let garbage = garbage.to_str().unwrap();
    let page = dir.path().join("page.html");
    let page = page.to_str().unwrap();
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("check", vec!["check", missing]),
        ("check", vec!["check", garbage]),
        ("validate", vec!["validate", garbage]),
        ("render", vec!["render", garbage, "--out", page]),
        ("minimize", vec!["minimize", missing]),
        ("replay", vec!["replay", missing]),
        ("fuzz-artifact", vec!["fuzz-artifact", missing]),
        ("sim", vec!["sim", "--config", "nosuch", "--seed", "1"]),
        ("staleness", vec!["staleness", "--trials", "0"]),
        ("explore", vec!["explore", "--cases", "0"]),
        (
            "exhaust",
            vec!["exhaust", "--config", "dynamo", "--clients", "0"],
        ),
        (
            "maelstrom",
            vec!["maelstrom", "-w", "lin-kv", "--bin", missing],
        ),
        ("node", vec!["node", "--config", garbage]),
    ];
    let mut seen: Vec<&str> = Vec::new();
    for (command, args) in &cases {
        let (code, stdout, stderr) = quorate(args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        let prefix = format!("quorate {command}: ");
        assert!(stderr.starts_with(&prefix), "{args:?}: {stderr}");
        seen.push(command);
    }
    for command in subcommands() {
        assert!(
            seen.contains(&command.as_str()),
            "no error case for `quorate {command}`: add one above"
        );
    }
}

#[test]
fn sim_out_is_not_replaced_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("history.json");
    std::fs::write(&out, "mine").unwrap();
    let args = [
        "sim",
        "--config",
        "dynamo",
        "--seed",
        "3",
        "--ops",
        "5",
        "--out",
        out.to_str().unwrap(),
    ];
    let (code, stdout, stderr) = quorate(&args);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("pass --force"), "{stderr}");
    assert!(stdout.is_empty(), "nothing ran: {stdout}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
    let (code, stdout, stderr) = quorate(&[&args[..], &["--force"]].concat());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.starts_with('{'), "{written}");
    quorate::history::History::from_json(&written).unwrap();
}
