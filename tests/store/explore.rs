//! `quorate explore`: a tiny campaign shows the anomaly kinds each preset is known for; shards
//! are disjoint, cover the campaign and merge into the table of the unsplit run; results do not
//! depend on the number of threads; a results folder is never overwritten without `--force`.

use crate::common;

use common::quorate;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicU64;

use quorate::check::{AnomalyKind, LwwCause};
use quorate::explore::{self, Campaign, ModelKept, Shard, Summary, SUMMARY_FILE};

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn run(campaign: &Campaign, shard: Shard, jobs: usize) -> Summary {
    explore::run(campaign, shard, jobs, None, &AtomicU64::new(0))
}

fn load(dir: &Path) -> Summary {
    Summary::from_json(&std::fs::read_to_string(dir.join(SUMMARY_FILE)).unwrap()).unwrap()
}

/// The row of a configuration in a printed table, split into cells.
fn row<'a>(table: &'a str, label: &str) -> Vec<&'a str> {
    table
        .lines()
        .find(|line| line.split_whitespace().next() == Some(label))
        .unwrap_or_else(|| panic!("no row {label} in\n{table}"))
        .split_whitespace()
        .collect()
}

#[test]
fn a_tiny_campaign_shows_what_each_preset_is_known_for() {
    let summary = run(&Campaign::presets(1, 120), Shard::WHOLE, 1);
    let config = |label: &str| {
        summary
            .configs
            .iter()
            .find(|config| config.label == label)
            .unwrap()
    };
    let table = explore::table(&summary);
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    let column = |name: &str| header.iter().position(|cell| *cell == name).unwrap();
    // r = w = 1 reads stale values; LWW discards acknowledged writes; ABD keeps `atomic`.
    assert_ne!(row(&table, "weak")[column("stale_read")], "-", "{table}");
    assert!(config("weak").kinds.contains_key(&AnomalyKind::StaleRead));
    for lww in ["lww", "cassandra", "atomic"] {
        assert!(
            config(lww).kinds.contains_key(&AnomalyKind::LwwLostWrite),
            "{table}"
        );
    }
    assert_eq!(
        config("atomic").strongest_model.map(ModelKept::name),
        Some("atomic")
    );
    assert_eq!(row(&table, "atomic").last(), Some(&"atomic"), "{table}");
    // Jepsen's shape: siblings lose no acknowledged write, LWW a large share; only node clocks
    // lose writes to clock skew.
    for siblings in ["dynamo", "weak", "sloppy"] {
        assert_eq!(config(siblings).puts_lost, 0, "{table}");
        assert!(config(siblings).puts_acknowledged > 100);
    }
    for lww in ["lww", "cassandra"] {
        assert!(config(lww).lost_percent().unwrap() > 30.0, "{table}");
        assert!(
            config(lww).lww_lost_writes.get(&LwwCause::ClockSkew) > Some(&0),
            "{table}"
        );
    }
    assert_eq!(
        config("atomic").lww_lost_writes.get(&LwwCause::ClockSkew),
        None
    );
    // Every preset keeps its own promise on these cases.
    for config in &summary.configs {
        assert_eq!(config.cases, 120);
        assert_eq!(
            (config.cases_invalid, config.cases_error),
            (0, 0),
            "{table}"
        );
    }
}

#[test]
fn results_do_not_depend_on_threads_and_shards_merge_into_the_unsplit_table() {
    let campaign = Campaign::presets(5, 40);
    let whole = run(&campaign, Shard::WHOLE, 1);
    assert_eq!(whole, run(&campaign, Shard::WHOLE, 3));
    let shards: Vec<Summary> = (0..3)
        .map(|index| run(&campaign, Shard { index, count: 3 }, 2))
        .collect();
    assert_eq!(
        shards.iter().map(Summary::cases).sum::<u64>(),
        campaign.case_total()
    );
    let mut reversed = shards.clone();
    reversed.reverse();
    for order in [shards.clone(), reversed] {
        let merged = explore::merge(&order).unwrap();
        assert_eq!(merged.configs, whole.configs);
        assert_eq!(merged.shards, [0, 1, 2]);
        assert_eq!(explore::table(&merged), explore::table(&whole));
    }
    // A shard twice, or shards of another campaign, do not merge.
    let twice = explore::merge(&[shards[0].clone(), shards[0].clone()]).unwrap_err();
    assert!(
        matches!(twice, explore::SummaryError::ShardTwice { .. }),
        "{twice}"
    );
    assert!(twice.to_string().contains("appears twice"), "{twice}");
    let other = run(&Campaign::presets(6, 40), Shard { index: 1, count: 3 }, 1);
    let error = explore::merge(&[shards[0].clone(), other]).unwrap_err();
    assert!(
        matches!(error, explore::SummaryError::DifferentCampaigns(_)),
        "{error}"
    );
    assert!(error.to_string().contains("different campaigns"), "{error}");
}

#[test]
fn the_command_saves_witnesses_that_replay_and_merges_shard_folders() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let common = [
        "explore", "--config", "weak", "--config", "lww", "--cases", "30",
    ];
    let (code, stdout, stderr) =
        quorate(&[&common[..], &["--jobs", "1", "--save", path_str(&whole)]].concat());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("lww_lost_write"), "{stdout}");
    assert!(stdout.contains("quorate replay"), "{stdout}");
    assert!(stdout.contains("scenario seed"), "{stdout}");
    let summary = load(&whole);
    assert!(!summary.witnesses.is_empty());
    for witness in &summary.witnesses {
        assert!(whole.join(&witness.case_file).is_file());
        let html = std::fs::read_to_string(whole.join(&witness.html_file)).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
    }
    let (code, replayed, stderr) = quorate(&["replay", path_str(&whole)]);
    assert_eq!(code, 0, "{replayed}{stderr}");

    let mut shard_dirs = Vec::new();
    for index in 1..=2 {
        let shard_dir = dir.path().join(format!("shard-{index}"));
        let shard = format!("{index}/2");
        let (code, stdout, stderr) = quorate(
            &[
                &common[..],
                &["--shard", &shard, "--save", path_str(&shard_dir)],
            ]
            .concat(),
        );
        assert_eq!(code, 0, "{stdout}{stderr}");
        shard_dirs.push(shard_dir);
    }
    let (code, merged_out, stderr) = quorate(&[
        "explore",
        "--merge",
        path_str(&shard_dirs[1]),
        path_str(&shard_dirs[0]),
    ]);
    assert_eq!(code, 0, "{merged_out}{stderr}");
    assert!(
        merged_out.contains("shards 1, 2 of 2 (complete)"),
        "{merged_out}"
    );
    // One shard alone is an incomplete set: refused, naming the missing one, unless --partial.
    let (code, out, stderr) = quorate(&["explore", "--merge", path_str(&shard_dirs[1])]);
    assert_eq!(code, 2, "{out}{stderr}");
    assert!(stderr.contains("shard is 1 of 2 missing"), "{stderr}");
    assert!(stderr.contains("--partial"), "{stderr}");
    assert!(out.is_empty(), "{out}");
    let (code, out, stderr) =
        quorate(&["explore", "--merge", path_str(&shard_dirs[1]), "--partial"]);
    assert!(code == 0 || code == 1, "{out}{stderr}");
    assert!(
        out.contains("shards 2 of 2 (INCOMPLETE, --partial: shard 1 missing)"),
        "{out}"
    );
    let table = explore::table(&summary);
    assert!(merged_out.contains(&table), "{merged_out}\nwant\n{table}");
    let merged = explore::merge(&[load(&shard_dirs[0]), load(&shard_dirs[1])]).unwrap();
    assert_eq!(merged.configs, summary.configs);
    // The merge keeps the witness of the same (smallest) case as the unsplit run.
    let key = |w: &explore::Witness| (w.label.clone(), w.kind, w.case_index);
    let mut want: Vec<_> = summary.witnesses.iter().map(key).collect();
    let mut got: Vec<_> = merged.witnesses.iter().map(key).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn a_results_folder_is_never_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("results");
    std::fs::create_dir_all(&save).unwrap();
    std::fs::write(save.join("keep.txt"), "mine").unwrap();
    let args = [
        "explore",
        "--config",
        "atomic",
        "--cases",
        "5",
        "--save",
        path_str(&save),
    ];
    let (code, _, stderr) = quorate(&args);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(!save.join(SUMMARY_FILE).exists());
    let (code, stdout, stderr) = quorate(&[&args[..], &["--force"]].concat());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(save.join(SUMMARY_FILE).is_file());
    assert_eq!(
        std::fs::read_to_string(save.join("keep.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn bad_usage_exits_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("out");
    let check = |extra: &[&str], expected: &str| {
        let args = [
            &["explore", "--cases", "2", "--save", path_str(&save)][..],
            extra,
        ]
        .concat();
        let (code, stdout, stderr) = quorate(&args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    };
    check(&["--shard", "3/2"], "expected I/N");
    check(&["--shard", "0/2"], "shards count from 1");
    check(&["--shard", "1/0"], "expected I/N");
    check(&["--shard", "x"], "expected I/N");
    check(&["--config", "nosuch"], "unknown preset");
    check(&["--config", "weak", "--config", "weak"], "given twice");
    check(&["--time", "0"], "positive number");
    check(
        &["--bug", "ignore-context"],
        "not --config, --shard, --save or --time",
    );
    let (code, _, stderr) = quorate(&["explore", "--merge", path_str(&save)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn a_spent_deadline_starts_no_case_and_says_so() {
    let campaign = Campaign::presets(1, 10);
    let past = std::time::Instant::now();
    let summary = explore::run(&campaign, Shard::WHOLE, 2, Some(past), &AtomicU64::new(0));
    assert!(summary.stopped_early);
    assert_eq!(summary.cases(), 0);
    let full = run(&campaign, Shard::WHOLE, 2);
    assert!(!full.stopped_early);
    assert_eq!(full.cases(), 60);
}

#[test]
fn the_default_folder_is_never_reused_and_time_bounds_the_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let run_in = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_quorate"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert_eq!(output.status.code(), Some(0), "{text}");
        text
    };
    let args = ["explore", "--config", "weak", "--cases", "3", "--seed", "4"];
    run_in(&args);
    run_in(&args);
    run_in(&[&args[..], &["--shard", "1/2"]].concat());
    for folder in ["explore-4", "explore-4-2", "explore-4-shard-1-of-2"] {
        assert!(
            dir.path()
                .join("results")
                .join(folder)
                .join(SUMMARY_FILE)
                .is_file(),
            "{folder}"
        );
    }
    let stopped = run_in(&[
        "explore", "--config", "weak", "--cases", "1000000", "--time", "0.2", "--save", "timed",
    ]);
    assert!(stopped.contains("stopped early by --time"), "{stopped}");
    assert!(load(&dir.path().join("timed")).stopped_early);
}

/// The default campaign (presets and variant rows) keeps every row's promise at a test size, and
/// its cases reach every profile, the lost disk, (without anti-entropy) divergence that the
/// configuration does not promise to repair, and every coverage probe of the reference store.
#[test]
fn the_default_campaign_keeps_every_rows_promise() {
    use quorate::explore::{Profile, VARIANT_ROWS};
    use quorate::history::FaultType;

    let campaign = Campaign::default_rows(1, 300);
    assert_eq!(campaign.configs.len(), 6 + VARIANT_ROWS.len());
    let summary = run(&campaign, Shard::WHOLE, 2);
    for config in &summary.configs {
        assert_eq!(
            (config.cases_invalid, config.cases_error),
            (0, 0),
            "{}: the correct store broke its promise; replay with: {}",
            config.label,
            campaign.command(
                campaign
                    .configs
                    .iter()
                    .position(|c| c.label == config.label)
                    .unwrap()
            )
        );
    }
    let no_aae = summary
        .configs
        .iter()
        .find(|config| config.label == "dynamo+no-aae+no-read-repair")
        .unwrap();
    assert!(no_aae
        .kinds
        .contains_key(&AnomalyKind::UnrepairedDivergence));
    // Every coverage probe of the reference store is reached, unless marked expected-rare.
    let unhit: Vec<&str> = quorate::store::Dynamo::probe_list()
        .iter()
        .filter(|probe| probe.rare.is_none())
        .filter(|probe| {
            summary
                .configs
                .iter()
                .all(|config| !config.probe_cases.contains_key(probe.name))
        })
        .map(|probe| probe.name)
        .collect();
    assert!(
        unhit.is_empty(),
        "probes the default campaign never hit: {unhit:?}\n{}",
        explore::probe_table(&summary)
    );
    let mut profiles = std::collections::BTreeSet::new();
    let mut disk_lost = false;
    for index in 0..300 {
        let (profile, scenario) = campaign.profiled_scenario(explore::CaseId { config: 0, index });
        profiles.insert(profile);
        disk_lost |= scenario
            .faults
            .iter()
            .any(|fault| fault.kind.fault_type() == FaultType::DiskLoss);
    }
    assert_eq!(
        profiles.into_iter().collect::<Vec<_>>(),
        [Profile::Dense, Profile::Sparse, Profile::Long]
    );
    assert!(disk_lost);
}
