//! `quorate exhaust` and `quorate::testing::assert_exhaustive` from the outside: a zoo bug is
//! found with a short schedule that `quorate replay` reproduces; the reference store is verified
//! under one crash; a user's store that loses acknowledged writes is caught; the reduction finds
//! the same histories as the search without it; impossible bounds are refused.

mod common;

#[allow(dead_code)]
#[path = "../examples/tiny_store.rs"]
mod tiny_store;

use common::quorate;
use quorate::config::Config;
use quorate::exhaust::{self, Bounds, Choice, FaultKind, Options};
use quorate::sim::ClientOpKind;
use quorate::testing::{assert_exhaustive, check_exhaustive};
use quorate::verdict::Verdict;

/// The number in "in a schedule of N steps".
fn schedule_length(stdout: &str) -> usize {
    let (_, rest) = stdout
        .split_once("in a schedule of ")
        .unwrap_or_else(|| panic!("no schedule in {stdout}"));
    rest.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn vnode_clock_is_found_with_a_short_schedule_that_replay_reproduces() {
    let dir = std::env::temp_dir().join(format!("quorate-exhaust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = dir.join("vnode-clock.json");
    let out = case.to_str().unwrap();
    let (code, stdout, stderr) = quorate(&[
        "exhaust",
        "--config",
        "dynamo",
        "--bug",
        "vnode-clock",
        "--out",
        out,
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("anomaly: lost_write breaks quorum"),
        "{stdout}"
    );
    let length = schedule_length(&stdout);
    assert!((1..=20).contains(&length), "{length} steps: {stdout}");
    let text = std::fs::read_to_string(&case).unwrap();
    assert!(text.contains("\"schedule\""), "{text}");
    assert!(text.contains("\"format\": \"quorate-case-1\""), "{text}");
    let (code, stdout, stderr) = quorate(&["replay", out]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    // The same case with the bug switched off no longer reproduces: replay really re-runs it.
    let fixed = text.replace("\"vnode-clock\"", "");
    let fixed = fixed.replace("\"bugs\": [\n      \n    ]", "\"bugs\": []");
    std::fs::write(&case, fixed).unwrap();
    let (code, stdout, _) = quorate(&["replay", out]);
    assert_eq!(code, 1, "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn iterative_deepening_finds_a_schedule_no_longer_than_depth_first() {
    let (code, deep, _) = quorate(&["exhaust", "--config", "dynamo", "--bug", "vnode-clock"]);
    assert_eq!(code, 1, "{deep}");
    let (code, shortest, _) = quorate(&[
        "exhaust",
        "--config",
        "dynamo",
        "--bug",
        "vnode-clock",
        "--bfs",
    ]);
    assert_eq!(code, 1, "{shortest}");
    assert!(schedule_length(&shortest) <= schedule_length(&deep));
}

#[test]
fn the_reference_store_is_verified_under_one_crash() {
    let (code, stdout, stderr) = quorate(&[
        "exhaust",
        "--config",
        "dynamo",
        "--faults",
        "crash",
        "--max-faults",
        "1",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("verified (bounded)"), "{stdout}");
    assert!(stdout.contains("distinct histories"), "{stdout}");
}

#[test]
fn a_spent_budget_is_unknown_with_the_coverage_reached() {
    let (code, stdout, _) = quorate(&[
        "exhaust",
        "--config",
        "dynamo",
        "--faults",
        "crash",
        "--max-states",
        "10",
    ]);
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.contains("unknown: the state budget (10 states) ran out"),
        "{stdout}"
    );
    assert!(stdout.contains(" states, "), "{stdout}");
}

#[test]
fn impossible_bounds_are_usage_errors_with_the_reason() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["--shard", "4/3"],
            "--shard \"4/3\": expected I/N with 1 <= I <= N",
        ),
        (&["--clients", "0"], "--clients 0"),
        (
            &["--faults", "crash,lightning"],
            "unknown fault kind \"lightning\"",
        ),
        (
            &["--kinds", "put,scan"],
            "\"scan\" is not get, put, rmw or delete",
        ),
        (&["--max-faults", "1"], "name the kinds with --faults"),
    ];
    for (extra, reason) in cases {
        let mut args = vec!["exhaust", "--config", "dynamo"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = quorate(&args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
    }
}

fn tiny_config() -> Config {
    Config {
        nodes: 2,
        n: 2,
        r: 1,
        w: 1,
        ..Config::default()
    }
}

fn crash_options(clients: u32, ops: u32) -> Options {
    Options {
        bounds: Bounds {
            clients,
            ops,
            kinds: vec![ClientOpKind::Put, ClientOpKind::Get],
            faults: vec![FaultKind::Crash],
            max_faults: 1,
            ..Bounds::default()
        },
        model: Some(quorate::check::Model::Eventual),
        ..Options::default()
    }
}

#[test]
fn a_primary_backup_store_loses_acknowledged_writes_when_its_primary_crashes() {
    let failure = check_exhaustive(
        &tiny_store::PrimaryBackup,
        tiny_config(),
        &crash_options(1, 2),
    )
    .expect_err("the primary's crash loses the write it acknowledged");
    let outcome = failure.outcome.as_ref().expect("a search ran");
    assert_eq!(outcome.verdict, Verdict::Invalid);
    let found = outcome.counterexample.as_ref().expect("a counterexample");
    assert!(
        found.schedule.contains(&Choice::Crash { node: 0 }),
        "{:?}",
        found.schedule
    );
    let kinds = found.report.forbidden_kinds();
    assert!(!kinds.is_empty(), "{kinds:?}");
    let text = failure.to_string();
    assert!(text.contains("crash   n0"), "{text}");
    // Its schedule replays to the same history.
    let scenario = exhaust::scenario(tiny_config(), &crash_options(1, 2).bounds).unwrap();
    let replayed = exhaust::replay(&tiny_store::PrimaryBackup, &scenario, &found.schedule).unwrap();
    assert_eq!(replayed.to_json(), found.history.to_json());
    // Without faults the same store keeps its promise within these bounds.
    let mut calm = crash_options(1, 2);
    calm.bounds.faults.clear();
    calm.bounds.max_faults = 0;
    let counts = assert_exhaustive(&tiny_store::PrimaryBackup, tiny_config(), &calm);
    assert!(counts.schedules >= 1);
}

/// The distinct histories of a search of the reference store, which must not depend on the
/// reduction, and its transitions.
fn histories(bounds: &Bounds, sleep_sets: bool, visited: bool) -> (Vec<u64>, u64) {
    let options = Options {
        bounds: bounds.clone(),
        sleep_sets,
        visited,
        ..Options::default()
    };
    let config = Config::preset("dynamo").unwrap();
    let scenario = exhaust::scenario(config.clone(), bounds).unwrap();
    let store = quorate::store::Dynamo::new(config).unwrap();
    let outcome = exhaust::exhaust(&store, &scenario, &options, &|_| {}).unwrap();
    assert_eq!(outcome.verdict, Verdict::Valid, "{:?}", outcome.unknown);
    (outcome.histories, outcome.counts.transitions)
}

#[test]
fn the_reduction_finds_the_same_histories_as_the_search_without_it() {
    // One client's put then get, with one message lost anywhere: small enough for the search
    // without any reduction (about 26,000 transitions).
    let bounds = Bounds {
        clients: 1,
        ops: 2,
        kinds: vec![ClientOpKind::Put, ClientOpKind::Get],
        faults: vec![FaultKind::Drop],
        max_faults: 1,
        ..Bounds::default()
    };
    let (plain, plain_transitions) = histories(&bounds, false, false);
    let (sleep, sleep_transitions) = histories(&bounds, true, false);
    let (visited, _) = histories(&bounds, false, true);
    let (both, both_transitions) = histories(&bounds, true, true);
    assert!(plain.len() > 1, "{} histories", plain.len());
    assert_eq!(sleep, plain, "sleep sets lost or invented histories");
    assert_eq!(visited, plain, "the visited set lost or invented histories");
    assert_eq!(
        both, plain,
        "sleep sets with the visited set lost or invented histories"
    );
    assert!(sleep_transitions * 10 < plain_transitions);
    assert!(both_transitions < sleep_transitions);
}

#[test]
fn two_writers_under_a_crash_give_the_same_histories_with_either_pruning() {
    // Too large for the search without any reduction: sleep sets alone against the visited
    // set alone, each checked against the other.
    let bounds = Bounds {
        clients: 2,
        ops: 1,
        faults: vec![FaultKind::Crash],
        max_faults: 1,
        ..Bounds::default()
    };
    let (visited, _) = histories(&bounds, false, true);
    let (both, _) = histories(&bounds, true, true);
    assert!(visited.len() > 50, "{} histories", visited.len());
    assert_eq!(both, visited);
}

#[test]
fn shards_together_find_exactly_the_histories_of_the_whole_search() {
    let bounds = Bounds {
        faults: vec![FaultKind::Crash],
        max_faults: 1,
        ..Bounds::default()
    };
    let config = Config::preset("dynamo").unwrap();
    let scenario = exhaust::scenario(config.clone(), &bounds).unwrap();
    let store = quorate::store::Dynamo::new(config).unwrap();
    let run = |shard| {
        let options = Options {
            bounds: bounds.clone(),
            shard,
            ..Options::default()
        };
        let outcome = exhaust::exhaust(&store, &scenario, &options, &|_| {}).unwrap();
        assert_eq!(outcome.verdict, Verdict::Valid, "{:?}", outcome.unknown);
        outcome.histories
    };
    let whole = run(None);
    let mut union: Vec<u64> = (0..3).flat_map(|index| run(Some((index, 3)))).collect();
    union.sort_unstable();
    union.dedup();
    assert_eq!(union, whole);
    assert!(
        run(Some((0, 3))).len() < whole.len(),
        "one shard does less than the whole"
    );
    let bad = Options {
        shard: Some((3, 3)),
        ..Options::default()
    };
    assert!(exhaust::exhaust(&store, &scenario, &bad, &|_| {}).is_err());
}

#[test]
fn threads_find_exactly_the_histories_of_one_thread_and_the_same_counterexample_every_time() {
    let bounds = Bounds {
        faults: vec![FaultKind::Drop],
        max_faults: 1,
        ..Bounds::default()
    };
    let config = Config::preset("dynamo").unwrap();
    let run = |config: &Config, threads, shard| {
        let options = Options {
            bounds: bounds.clone(),
            threads,
            shard,
            ..Options::default()
        };
        exhaust::exhaust_reference(config.clone(), &options, &|_| {}).unwrap()
    };
    let one = run(&config, 1, None);
    assert_eq!(one.verdict, Verdict::Valid, "{:?}", one.unknown);
    for threads in [2, 3] {
        let many = run(&config, threads, None);
        assert_eq!(
            many.verdict,
            Verdict::Valid,
            "{threads} threads: {:?}",
            many.unknown
        );
        assert_eq!(many.histories, one.histories, "{threads} threads");
        assert_eq!(many.counts.histories, one.histories.len() as u64);
    }
    // Threads within a shard split that shard: shard 1 of 2 on 2 threads is shard 1 of 2 alone.
    let shard = run(&config, 1, Some((1, 2)));
    let shard_threads = run(&config, 2, Some((1, 2)));
    assert_eq!(shard_threads.histories, shard.histories);
    assert!(shard.histories.len() < one.histories.len());

    // A bug: the lowest shard's counterexample, the same at every run, and it replays.
    let mut buggy = config.clone();
    buggy.bugs.insert(quorate::config::Bug::VnodeClock);
    let found: Vec<Vec<Choice>> = (0..3)
        .map(|_| {
            let outcome = run(&buggy, 2, None);
            assert_eq!(outcome.verdict, Verdict::Invalid);
            outcome.counterexample.expect("a counterexample").schedule
        })
        .collect();
    assert!(found.windows(2).all(|pair| pair[0] == pair[1]), "{found:?}");
    let scenario = exhaust::scenario(buggy.clone(), &bounds).unwrap();
    let history = exhaust::replay_reference(&scenario, &found[0]).unwrap();
    let report = quorate::check::check(&history, &quorate::check::CheckOptions::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Invalid);

    // A search given one store cannot be split; none without a thread.
    let store = quorate::store::Dynamo::new(config.clone()).unwrap();
    let options = Options {
        threads: 2,
        ..Options::default()
    };
    let error = exhaust::exhaust(&store, &scenario, &options, &|_| {}).unwrap_err();
    assert!(error.to_string().contains("a store each"), "{error}");
    let none = Options {
        threads: 0,
        ..Options::default()
    };
    assert!(exhaust::exhaust_reference(config, &none, &|_| {}).is_err());
}

/// `--all` goes on past the first counterexample: it keeps the one the stopping search finds,
/// judges every history the bug-free search judges, and counts those that broke the model (the
/// same on 1 and 2 threads); every failing history is one the stopping search would have
/// stopped at. Without the bug none fails. With --bfs it is refused.
#[test]
fn all_judges_every_schedule_and_counts_the_failing_histories() {
    let bounds = Bounds {
        faults: vec![FaultKind::Drop],
        max_faults: 1,
        ..Bounds::default()
    };
    let run = |config: &Config, all, threads| {
        let options = Options {
            bounds: bounds.clone(),
            all,
            threads,
            ..Options::default()
        };
        exhaust::exhaust_reference(config.clone(), &options, &|_| {}).unwrap()
    };
    let config = Config::preset("dynamo").unwrap();
    let mut buggy = config.clone();
    buggy.bugs.insert(quorate::config::Bug::VnodeClock);
    let first = run(&buggy, false, 1);
    let all = run(&buggy, true, 1);
    assert_eq!(all.verdict, Verdict::Invalid);
    assert_eq!(
        all.counterexample.as_ref().unwrap().schedule,
        first.counterexample.as_ref().unwrap().schedule
    );
    assert_eq!(first.counts.failing, 1);
    assert!(all.counts.failing > 1, "{:?}", all.counts);
    assert_eq!(all.counts.failing, all.failing.len() as u64);
    assert!(all.counts.histories > first.counts.histories);
    assert!(all
        .failing
        .iter()
        .all(|hash| all.histories.binary_search(hash).is_ok()));
    let threads = run(&buggy, true, 2);
    assert_eq!(threads.failing, all.failing);
    assert_eq!(threads.histories, all.histories);
    let clean = run(&config, true, 1);
    assert_eq!(clean.verdict, Verdict::Valid);
    assert_eq!(clean.counts.failing, 0);
    let refused = Options {
        bounds: bounds.clone(),
        all: true,
        shortest: true,
        ..Options::default()
    };
    let error = exhaust::exhaust_reference(config, &refused, &|_| {}).unwrap_err();
    assert!(error.to_string().contains("--all with --bfs"), "{error}");
}

/// The number before "distinct histories" in the counts line.
fn distinct_histories(stdout: &str) -> u64 {
    let (before, _) = stdout
        .split_once(" distinct histories")
        .unwrap_or_else(|| panic!("no counts in {stdout}"));
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn shards_run_apart_merge_into_the_unsharded_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let bound = ["exhaust", "--config", "dynamo", "--faults", "drop"];
    let (code, whole, stderr) = quorate(&bound);
    assert_eq!(code, 0, "{whole}{stderr}");
    let mut summaries = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let summary = dir.path().join(format!("shard-{}.json", &shard[..1]));
        let summary = summary.to_str().unwrap().to_string();
        let mut args = bound.to_vec();
        args.extend(["--shard", shard, "--summary", &summary]);
        let (code, stdout, stderr) = quorate(&args);
        assert_eq!(code, 0, "{stdout}{stderr}");
        summaries.push(summary);
    }
    let mut merge = vec!["exhaust", "--merge"];
    merge.extend(summaries.iter().map(String::as_str));
    let (code, merged, stderr) = quorate(&merge);
    assert_eq!(code, 0, "{merged}{stderr}");
    assert!(merged.contains("verified (bounded)"), "{merged}");
    assert_eq!(distinct_histories(&merged), distinct_histories(&whole));

    // A flag of the search beside --merge is refused: the summaries name their search.
    let (code, _, stderr) = quorate(&[&merge[..], &["--clients", "3"]].concat());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");

    // A shard missing, or a shard of another search, is refused.
    let (code, _, stderr) = quorate(&merge[..4]);
    assert_eq!(code, 2);
    assert!(stderr.contains("shards missing: [3] of 3"), "{stderr}");
    let other = dir.path().join("other.json");
    let other = other.to_str().unwrap();
    let (code, stdout, stderr) = quorate(&[
        "exhaust",
        "--config",
        "dynamo",
        "--bug",
        "vnode-clock",
        "--shard",
        "3/3",
        "--summary",
        other,
    ]);
    // (That search has two first choices, so its third shard has nothing to explore.)
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, _, stderr) = quorate(&[&merge[..4], &[other]].concat());
    assert_eq!(code, 2);
    assert!(stderr.contains("of another search"), "{stderr}");
}

#[test]
fn a_merged_search_with_an_anomaly_names_its_shard_and_case() {
    let dir = tempfile::tempdir().unwrap();
    let mut merge = vec!["exhaust".to_string(), "--merge".to_string()];
    for shard in ["1/2", "2/2"] {
        let summary = dir.path().join(format!("shard-{}.json", &shard[..1]));
        let case = dir.path().join(format!("case-{}.json", &shard[..1]));
        let (summary, case) = (summary.to_str().unwrap(), case.to_str().unwrap());
        let (code, stdout, stderr) = quorate(&[
            "exhaust",
            "--config",
            "dynamo",
            "--bug",
            "vnode-clock",
            "--shard",
            shard,
            "--summary",
            summary,
            "--out",
            case,
        ]);
        assert_eq!(code, 1, "{stdout}{stderr}");
        merge.push(summary.to_string());
    }
    let merge: Vec<&str> = merge.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = quorate(&merge);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("anomaly: shard 1/2 breaks quorum: lost_write"),
        "{stdout}"
    );
    let case = dir.path().join("case-1.json");
    assert!(
        stdout.contains(&format!("its case: {}", case.display())),
        "{stdout}"
    );
    let (code, stdout, stderr) = quorate(&["replay", case.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}
