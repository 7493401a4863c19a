//! `quorate maelstrom`: real node processes (the Python examples and small fixture nodes written
//! here) under quorate's router, faults and clients. Each run is short (a few seconds of real
//! time); the tests run in parallel, so the whole file takes about as long as its longest run.
//! They need `python3` on PATH (`.ci/run` makes sure of it).

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use quorate::history::FaultType;
use quorate::process::net;

const QUORATE: &str = env!("CARGO_BIN_EXE_quorate");

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/maelstrom")
        .join(name)
}

fn maelstrom(bin: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut command = Command::new(QUORATE);
    command
        .args(["maelstrom", "-w", "lin-kv", "--bin"])
        .arg(bin)
        .arg("--out")
        .arg(out)
        .args(extra);
    command.output().expect("quorate runs")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A fixture node: a Python program written into `dir`, made executable.
fn fixture(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    let program = format!(
        "#!/usr/bin/env python3\nimport json, os, sys\nprint('pid', os.getpid(), file=sys.stderr, flush=True)\n{body}"
    );
    std::fs::write(&path, program).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The pids the nodes of a run wrote on their stderr (`pid N`, one per start), from `out`.
fn node_pids(out: &Path) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "stderr") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let pid: Option<u32> = line
                    .split("pid ")
                    .nth(1)
                    .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|digits| digits.parse().ok());
                pids.extend(pid);
            }
        }
    }
    pids
}

/// Every node process of the run is gone (reaped: not even a zombie is left).
fn assert_reaped(out: &Path, expected_at_least: usize) {
    let pids = node_pids(out);
    assert!(
        pids.len() >= expected_at_least,
        "expected {expected_at_least} node pids in {}, found {pids:?}",
        out.display()
    );
    for pid in pids {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "node process {pid} is still there after the run"
        );
    }
}

#[test]
fn the_correct_example_passes_under_partitions() {
    let out = tempfile::tempdir().unwrap();
    let output = maelstrom(
        &example("lin_kv_leader.py"),
        out.path(),
        &[
            "--time-limit",
            "3",
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "0.5",
            "--timeout",
            "0.4",
            "--seed",
            "3",
        ],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(": linearizable under the cas-register model"),
        "{stdout}"
    );
    // The faults happened and are in the history's fault list, in the shared vocabulary.
    let faults: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("faults.json")).unwrap())
            .unwrap();
    let faults = faults.as_array().unwrap();
    assert!(faults.len() >= 2, "{faults:?}");
    assert!(
        faults
            .iter()
            .all(|fault| ["partition", "partition_one_way"]
                .contains(&fault["kind"].as_str().unwrap()))
    );
    // The history is judged the same by `quorate check`.
    let history = out.path().join("history.edn");
    let check = Command::new(QUORATE)
        .args(["check", "--model", "etcd"])
        .arg(&history)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", text(&check).0);
    assert!(std::fs::read_to_string(&history)
        .unwrap()
        .contains(":process :nemesis"));
    assert_reaped(out.path(), 3);
}

#[test]
fn the_naive_example_is_rejected_under_partitions_with_a_named_anomaly() {
    let out = tempfile::tempdir().unwrap();
    let output = maelstrom(
        &example("lin_kv_naive.py"),
        out.path(),
        &[
            "--time-limit",
            "3",
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "0.5",
            "--latency",
            "5",
            "--seed",
            "3",
        ],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("not linearizable"), "{stdout}");
    // The naive node's anomaly is usually a read of an old value (named a stale read); it may
    // also be a cas that succeeded on an old value (named a non-linearizable operation).
    assert!(
        stdout.contains("anomaly: a stale read on key")
            || stdout.contains("anomaly: a non-linearizable operation on key"),
        "{stdout}"
    );
    assert!(stderr.contains("seed 3"), "{stderr}");
    // `quorate check` reaches the same verdict from the file alone.
    let check = Command::new(QUORATE)
        .args(["check", "--model", "etcd"])
        .arg(out.path().join("history.edn"))
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1), "{}", text(&check).0);
    assert_reaped(out.path(), 0);
}

#[test]
fn a_missing_or_non_executable_bin_is_bad_usage_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-node");
    let started = Instant::now();
    let output = maelstrom(&missing, &dir.path().join("out"), &[]);
    assert_eq!(output.status.code(), Some(2));
    let (_, stderr) = text(&output);
    assert!(
        stderr.contains("no-such-node") && stderr.contains("not found"),
        "{stderr}"
    );
    let plain = dir.path().join("plain.py");
    std::fs::write(&plain, "print('hi')\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = maelstrom(&plain, &dir.path().join("out"), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).1.contains("not executable"),
        "{}",
        text(&output).1
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

const ANSWER_INIT: &str = "
def send(src, dest, body):
    print(json.dumps({'src': src, 'dest': dest, 'body': body}), flush=True)
for line in sys.stdin:
    message = json.loads(line)
    body = message['body']
    if body['type'] == 'init':
        me = body['node_id']
        send(me, message['src'], {'type': 'init_ok', 'in_reply_to': body['msg_id']})
";

#[test]
fn a_node_that_prints_garbage_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = format!(
        "{ANSWER_INIT}    elif me == 'n1':\n        print('hello, not json', flush=True)\n"
    );
    let bin = fixture(dir.path(), "garbage.py", &garbage);
    let out = dir.path().join("out");
    let output = maelstrom(&bin, &out, &["--time-limit", "2"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("node n1 broke the protocol at line 2 of its stdout: not a JSON message"),
        "{stderr}"
    );
    assert!(stderr.contains("hello, not json"), "{stderr}");
    // The history so far is written, and every node reaped.
    assert!(out.join("history.edn").exists());
    assert_reaped(&out, 3);
}

#[test]
fn a_node_that_dies_at_init_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let body = "line = sys.stdin.readline()\nprint('giving up', file=sys.stderr, flush=True)\nsys.exit(3)\n";
    let bin = fixture(dir.path(), "dies.py", body);
    let out = dir.path().join("out");
    let output = maelstrom(&bin, &out, &["--node-count", "2"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("exited during the init"), "{stderr}");
    assert!(stderr.contains("exit status: 3"), "{stderr}");
    assert!(stderr.contains("giving up"), "{stderr}");
    assert_reaped(&out, 1);
}

#[test]
fn a_node_that_never_answers_init_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fixture(
        dir.path(),
        "silent.py",
        "for line in sys.stdin:\n    pass\n",
    );
    let out = dir.path().join("out");
    // Long enough for three Python interpreters to start (and log their pids) on a busy machine.
    let output = maelstrom(&bin, &out, &["--init-timeout", "3"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("node n0 did not answer init with init_ok within 3 s"),
        "{stderr}"
    );
    assert_reaped(&out, 3);
}

#[test]
fn ctrl_c_reaps_every_node_and_keeps_the_history_so_far() {
    use std::io::BufRead;
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new(QUORATE)
        .args(["maelstrom", "-w", "lin-kv", "--time-limit", "60", "--bin"])
        .arg(example("lin_kv_leader.py"))
        .arg("--out")
        .arg(out.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for a progress line of the workload with acknowledged operations in it.
    let (lines, receiver) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = lines.send(line);
        }
    });
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        let line = receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("a progress line within 30 s");
        let working = line.contains("workload]") && !line.contains(" (0 ok");
        seen.push(line);
        if working {
            break;
        }
    }
    let pids = node_pids(out.path());
    assert_eq!(pids.len(), 3, "{seen:?}");
    for pid in &pids {
        assert!(Path::new(&format!("/proc/{pid}")).exists());
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    seen.extend(receiver.try_iter());
    let stderr = seen.join("\n");
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(50));
    let history = std::fs::read_to_string(out.path().join("history.edn")).unwrap();
    assert!(history.contains(":type :ok"), "{history}");
    assert_reaped(out.path(), 3);
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The kill schedule of seed 11 over 3 s: n0 (the leader) is killed three times.
const KILL_RUN: [&str; 10] = [
    "--time-limit",
    "3",
    "--nemesis",
    "kill",
    "--nemesis-interval",
    "0.4",
    "--timeout",
    "0.3",
    "--seed",
    "11",
];

fn killed_nodes(out: &Path) -> Vec<u64> {
    let faults = read_json(&out.join("faults.json"));
    faults
        .as_array()
        .unwrap()
        .iter()
        .map(|fault| fault["nodes"][0].as_u64().unwrap())
        .collect()
}

#[test]
fn kill_restarts_the_node_with_a_fresh_init_and_its_disk_keeps_acknowledged_writes() {
    let out = tempfile::tempdir().unwrap();
    let output = maelstrom(&example("lin_kv_leader.py"), out.path(), &KILL_RUN);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    // The leader, which holds every value, was among the nodes killed.
    assert!(killed_nodes(out.path()).contains(&0));
    let faults = read_json(&out.path().join("faults.json"));
    let faults = faults.as_array().unwrap();
    assert!(faults.len() >= 3, "{faults:?}");
    assert!(faults.iter().all(|fault| fault["kind"] == "crash"));
    let run = read_json(&out.path().join("run.json"));
    assert_eq!(
        run["counts"]["restarts"].as_u64().unwrap(),
        faults.len() as u64
    );
    // Each killed node started again (a new pid) and answered a fresh init (it logs its pid in
    // its init handler).
    for fault in faults {
        let node = fault["nodes"][0].as_u64().unwrap();
        let log = std::fs::read_to_string(out.path().join(format!("n{node}.stderr"))).unwrap();
        assert!(log.matches(": pid ").count() >= 2, "n{node}: {log}");
    }
    let history = std::fs::read_to_string(out.path().join("history.edn")).unwrap();
    assert!(history.contains(":f :start-crash"), "{history}");
    assert_reaped(out.path(), 3 + faults.len());
}

#[test]
fn kill_catches_a_node_that_keeps_nothing_on_disk() {
    // The same leader with its save turned off: a killed leader comes back empty, and a read
    // after the restart misses an acknowledged write.
    let dir = tempfile::tempdir().unwrap();
    let program = std::fs::read_to_string(example("lin_kv_leader.py")).unwrap();
    let forgetful = program.replace("def save():\n", "def save():\n    return\n");
    assert_ne!(program, forgetful);
    let bin = dir.path().join("forgetful.py");
    std::fs::write(&bin, forgetful).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = dir.path().join("out");
    let output = maelstrom(&bin, &out, &KILL_RUN);
    let (stdout, stderr) = text(&output);
    assert!(killed_nodes(&out).contains(&0));
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("not linearizable"), "{stdout}");
    assert_reaped(&out, 3);
}

#[test]
fn pause_stops_a_node_and_continues_it() {
    let out = tempfile::tempdir().unwrap();
    let output = maelstrom(
        &example("lin_kv_leader.py"),
        out.path(),
        &[
            "--time-limit",
            "2.5",
            "--nemesis",
            "pause",
            "--nemesis-interval",
            "0.5",
            "--timeout",
            "0.3",
            "--seed",
            "5",
        ],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let faults = read_json(&out.path().join("faults.json"));
    let faults = faults.as_array().unwrap();
    assert!(faults.len() >= 2, "{faults:?}");
    assert!(faults.iter().all(|fault| fault["kind"] == "pause"));
    let run = read_json(&out.path().join("run.json"));
    // A stopped node answers nothing while stopped: its clients time out (info) ...
    assert!(run["counts"]["info"].as_u64().unwrap() >= 1, "{run}");
    // ... and it is continued, not restarted: every node started exactly once.
    assert_eq!(run["counts"]["restarts"], 0);
    assert_eq!(node_pids(out.path()).len(), 3);
    assert_reaped(out.path(), 3);
}

#[test]
fn replies_twice_and_messages_to_nobody_are_counted_not_trusted() {
    // Every request is answered twice with a definite error, and every node also writes to a
    // node that does not exist: no operation succeeds, the history is valid, and both are counted.
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{ANSWER_INIT}    else:\n        reply = {{'type': 'error', 'code': 11, 'in_reply_to': body['msg_id']}}\n        send(me, message['src'], reply)\n        send(me, message['src'], reply)\n        send(me, 'n99', {{'type': 'hello'}})\n"
    );
    let bin = fixture(dir.path(), "twice.py", &body);
    let out = dir.path().join("out");
    let output = maelstrom(&bin, &out, &["--time-limit", "1", "--rate", "50"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let run = read_json(&out.join("run.json"));
    let counts = &run["counts"];
    let invoked = counts["invoked"].as_u64().unwrap();
    assert!(invoked >= 10, "{run}");
    assert_eq!(counts["fail"].as_u64().unwrap(), invoked, "{run}");
    assert_eq!(counts["late_or_duplicate_replies"], counts["fail"], "{run}");
    assert_eq!(counts["unknown_destination"], counts["fail"], "{run}");
    assert_reaped(&out, 3);
}

#[test]
fn a_node_that_floods_the_network_is_held_back_and_the_run_ends() {
    // Each node answers init, then writes to its neighbour forever and never reads again: its
    // clients time out (info), the router keeps up or holds the node back, and the run ends on
    // time with every node reaped.
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{ANSWER_INIT}        other = 'n1' if me == 'n0' else 'n0'\n        spam = json.dumps({{'src': me, 'dest': other, 'body': {{'type': 'spam'}}}}) + '\\n'\n        while True:\n            sys.stdout.write(spam)\n"
    );
    let bin = fixture(dir.path(), "flood.py", &body);
    let out = dir.path().join("out");
    let started = Instant::now();
    let output = maelstrom(
        &bin,
        &out,
        &["--node-count", "2", "--time-limit", "1", "--timeout", "0.3"],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(started.elapsed() < Duration::from_secs(15));
    let run = read_json(&out.join("run.json"));
    let counts = &run["counts"];
    assert!(counts["routed"].as_u64().unwrap() > 10_000, "{run}");
    assert_eq!(counts["ok"], 0, "{run}");
    assert!(counts["backlog_lost"].as_u64().unwrap() > 0, "{run}");
    assert_reaped(&out, 2);
}

#[test]
fn a_run_that_invokes_nothing_proves_nothing() {
    let out = tempfile::tempdir().unwrap();
    let output = maelstrom(
        &example("lin_kv_leader.py"),
        out.path(),
        &["--time-limit", "0"],
    );
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("an empty history proves nothing"),
        "{stderr}"
    );
    assert_reaped(out.path(), 3);
    // The folder now holds a run: it is not replaced without --force.
    let written = std::fs::read_to_string(out.path().join("history.edn")).unwrap();
    let again = maelstrom(
        &example("lin_kv_leader.py"),
        out.path(),
        &["--time-limit", "0"],
    );
    let (_, stderr) = text(&again);
    assert_eq!(again.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("quorate maelstrom: --out"), "{stderr}");
    assert!(stderr.contains("pass --force"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.path().join("history.edn")).unwrap(),
        written
    );
    let forced = maelstrom(
        &example("lin_kv_leader.py"),
        out.path(),
        &["--time-limit", "0", "--force"],
    );
    assert!(text(&forced).1.contains("an empty history proves nothing"));
}

#[test]
fn bad_flags_are_bad_usage_naming_the_flag() {
    let out = tempfile::tempdir().unwrap();
    let leader = example("lin_kv_leader.py");
    for (flags, expected) in [
        (&["--nemesis", "skew"][..], "not available in process mode"),
        (&["--nemesis", "earthquake"][..], "unknown fault"),
        (&["--concurrency", "lots"][..], "--concurrency lots"),
        (&["--node-count", "0"][..], "--node-count"),
        (&["--time-limit=-1"][..], "--time-limit"),
        (
            &["--seed", "1", "--", "x", "--seed=2"][..],
            "--seed is given both before the node's arguments and after them",
        ),
    ] {
        let output = maelstrom(&leader, out.path(), flags);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(expected), "{flags:?}: {stderr}");
    }
    let output = Command::new(QUORATE)
        .args(["maelstrom", "-w", "g-set", "--bin"])
        .arg(&leader)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).1.contains("unknown workload \"g-set\""),
        "{}",
        text(&output).1
    );
}

#[test]
fn the_fault_schedule_is_the_seeds() {
    // Real time differs between runs; the faults quorate decides do not.
    let schedule = |out: &Path| {
        let output = maelstrom(
            &example("lin_kv_leader.py"),
            out,
            &[
                "--time-limit",
                "2",
                "--nemesis",
                "partition,pause,kill",
                "--nemesis-interval",
                "0.3",
                "--timeout",
                "0.2",
                "--seed",
                "9",
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
        let faults = read_json(&out.join("faults.json"));
        faults
            .as_array()
            .unwrap()
            .iter()
            .map(|fault| {
                (
                    fault["kind"].clone(),
                    fault["nodes"].clone(),
                    fault["description"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = schedule(first.path());
    assert!(one.len() >= 3, "{one:?}");
    assert_eq!(one, schedule(second.path()));
}

#[test]
fn a_restarted_node_that_never_answers_its_fresh_init_is_named() {
    // The node answers init only on its first start (it leaves a mark in its node directory):
    // after a kill it comes back silent.
    let dir = tempfile::tempdir().unwrap();
    let body = "mark = os.path.join(os.environ['QUORATE_NODE_DIR'], 'started')
if os.path.exists(mark):
    for line in sys.stdin:
        pass
open(mark, 'w').close()
for line in sys.stdin:
    message = json.loads(line)
    body = message['body']
    if body['type'] == 'init':
        reply = {'type': 'init_ok', 'in_reply_to': body['msg_id']}
        print(json.dumps({'src': body['node_id'], 'dest': message['src'], 'body': reply}), flush=True)
";
    let bin = fixture(dir.path(), "once.py", body);
    let out = dir.path().join("out");
    let output = maelstrom(
        &bin,
        &out,
        &[
            "--time-limit",
            "1",
            "--nemesis",
            "kill",
            "--nemesis-interval",
            "0.2",
            "--timeout",
            "0.2",
            "--init-timeout",
            "3",
        ],
    );
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("did not answer init after its restart with init_ok within 3 s"),
        "{stderr}"
    );
    // The first three starts, and the restart if it got as far as logging its pid.
    assert_reaped(&out, 3);
}

/// `quorate maelstrom -w mvr-kv --bin quorate -- node ARGS… --nemesis NEMESIS` for 3 s (the run
/// flags before the `--` and, as in issue #14's command, `--nemesis` after the node's
/// arguments), the history judged against the default model (`eventual`).
fn mvr_kv(out: &Path, nemesis: &str, seed: &str, node: &[&str]) -> Output {
    Command::new(QUORATE)
        .args(["maelstrom", "-w", "mvr-kv", "--bin", QUORATE, "--out"])
        .arg(out)
        .args(["--time-limit", "3", "--nemesis-interval", "0.6"])
        .args(["--timeout", "0.5", "--settle", "1.5", "--seed", seed, "--"])
        .arg("node")
        .args(node)
        .args(["--nemesis", nemesis])
        .output()
        .expect("quorate runs")
}

#[test]
fn quorate_node_keeps_its_promise_under_partitions_and_kills() {
    let out = tempfile::tempdir().unwrap();
    let output = mvr_kv(out.path(), "partition,kill", "1", &["--config", "dynamo"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("VALID against model eventual"), "{stdout}");
    // The history is quorate's own format: `quorate check` reads it and judges it the same.
    let history_path = out.path().join("history.json");
    let history = quorate::history::History::load(&history_path).unwrap();
    assert!(
        history.operations.len() > 50,
        "{}",
        history.operations.len()
    );
    assert_eq!(history.config.as_ref().map(|config| config.n), Some(3));
    let kinds: Vec<&str> = history
        .faults
        .iter()
        .map(|f| f.kind.record_name())
        .collect();
    assert!(
        kinds.contains(&"crash") && kinds.contains(&"partition"),
        "{kinds:?}"
    );
    assert!(history.faults.iter().all(|fault| !fault.loses_data));
    // Without --trace, no trace.
    assert!(history.trace.is_none());
    // Every node read every key at the end: one snapshot per node and key.
    let keys: std::collections::BTreeSet<_> =
        history.operations.iter().map(|op| op.key.clone()).collect();
    let run = read_json(&out.path().join("run.json"));
    assert_eq!(run["missing_snapshots"], serde_json::json!([]), "{run}");
    assert_eq!(history.replicas.as_ref().unwrap().len(), keys.len() * 3);
    // A killed node came back with its state (state.json under its node folder).
    let killed = history
        .faults
        .iter()
        .find(|f| f.kind.record_name() == "crash")
        .unwrap();
    let node = killed.nodes[0].0;
    assert!(out
        .path()
        .join(format!("nodes/n{node}/state.json"))
        .exists());
    let check = Command::new(QUORATE)
        .arg("check")
        .arg(&history_path)
        .args(["--model", "eventual"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", text(&check).0);
    assert_reaped(out.path(), 3 + 1);
    // The same run again into the same folder (--force): its nodes start empty, not from the
    // state the first run's nodes left (whose values, of the same names, would be read before
    // they were written).
    let again = Command::new(QUORATE)
        .args([
            "maelstrom",
            "-w",
            "mvr-kv",
            "--bin",
            QUORATE,
            "--force",
            "--out",
        ])
        .arg(out.path())
        .args([
            "--time-limit",
            "2",
            "--seed",
            "1",
            "--",
            "node",
            "--config",
            "dynamo",
        ])
        .output()
        .expect("quorate runs");
    let (stdout, stderr) = text(&again);
    assert_eq!(again.status.code(), Some(0), "{stdout}\n{stderr}");
}

/// `--trace` (issue #19): the history carries what quorate routed: client requests and replies,
/// node-to-node messages with their fates (some dropped by the partition), the faults' starts
/// and ends at the times the history's faults record; it validates (`History::load`), and
/// `quorate render` draws node lanes and arrows from it. `--trace` with lin-kv is bad usage.
#[test]
fn trace_records_what_quorate_routed_and_render_draws_it() {
    use quorate::history::{DropReason, Endpoint, TraceEvent};
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(QUORATE)
        .args(["maelstrom", "-w", "mvr-kv", "--bin", QUORATE, "--out"])
        .arg(out.path())
        .args(["--time-limit", "2", "--nemesis-interval", "0.5", "--trace"])
        .args(["--", "node", "--config", "dynamo", "--nemesis", "partition"])
        .output()
        .expect("quorate runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let history_path = out.path().join("history.json");
    let history = quorate::history::History::load(&history_path).unwrap();
    let events = &history.trace.as_ref().expect("a trace").events;
    let sends = |client: bool| {
        events
            .iter()
            .filter(|event| match event {
                TraceEvent::Send { from, to, .. } => {
                    let ends = [from, to];
                    client == ends.iter().any(|end| matches!(end, Endpoint::Client(_)))
                }
                _ => false,
            })
            .count()
    };
    assert!(sends(true) > 20 && sends(false) > 20, "{events:?}");
    // Replicas' replies name no key; they get their coordinator's request's.
    let replies_keyed = events.iter().any(|event| {
        matches!(event, TraceEvent::Send { key: Some(_), summary, .. } if summary.starts_with("store_ack "))
    });
    assert!(replies_keyed, "{events:?}");
    // Every client message serves an operation of the history, on its key, by its client.
    for event in events {
        if let TraceEvent::Send {
            from,
            to,
            op: Some(op),
            key,
            ..
        } = event
        {
            let operation = &history.operations[op.0 as usize];
            assert_eq!(key.as_ref(), Some(&operation.key), "{event:?}");
            let client = [from, to].into_iter().find_map(|end| match end {
                Endpoint::Client(client) => Some(*client),
                Endpoint::Node(_) => None,
            });
            assert_eq!(client, Some(operation.client), "{event:?}");
        }
    }
    let partitioned = events.iter().any(|event| {
        matches!(
            event,
            TraceEvent::Drop {
                reason: DropReason::Partition,
                ..
            }
        )
    });
    assert!(
        partitioned,
        "no drop under the partition: {:?}",
        history.faults
    );
    assert!(events
        .iter()
        .all(|event| !matches!(event, TraceEvent::State { .. })));
    assert!(!history.faults.is_empty());
    for (number, fault) in history.faults.iter().enumerate() {
        let started = TraceEvent::FaultStart {
            fault: number,
            time_ms: fault.time_ms_start,
        };
        assert!(events.contains(&started), "{fault:?}");
    }
    let run = read_json(&out.path().join("run.json"));
    assert_eq!(run["trace_events_left_out"], 0, "{run}");
    // The timeline draws node lanes and the messages as arrows.
    let page = out.path().join("page.html");
    let render = Command::new(QUORATE)
        .arg("render")
        .arg(&history_path)
        .arg("--out")
        .arg(&page)
        .output()
        .unwrap();
    assert_eq!(render.status.code(), Some(0), "{}", text(&render).1);
    let page = std::fs::read_to_string(page).unwrap();
    let opening = "<script type=\"application/json\" id=\"quorate-data\">";
    let start = page.find(opening).expect("the page embeds its data") + opening.len();
    let end = start + page[start..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&page[start..end]).unwrap();
    assert!(
        !data["nodes"].as_array().unwrap().is_empty(),
        "{}",
        data["nodes"]
    );
    let arrows: usize = data["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key[1].as_array().unwrap().len())
        .sum();
    assert!(arrows > 20, "{arrows} arrows");
    assert_reaped(out.path(), 3);
    // lin-kv's EDN history has no place for a trace: refused before anything starts.
    let refused = maelstrom(Path::new(QUORATE), &out.path().join("lin"), &["--trace"]);
    let (_, stderr) = text(&refused);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--trace needs -w mvr-kv"), "{stderr}");
    assert!(!out.path().join("lin").exists());
}

#[test]
fn quorate_node_keeps_its_promise_under_delay_and_reorder_given_after_its_arguments() {
    // A seed whose faults (one at 0.6 s, 1.8 s, …) are of both kinds; the flags as the CLI
    // reads them.
    let kinds = [FaultType::Delay, FaultType::Reorder];
    let (limit, interval) = (Duration::from_secs_f64(3.0), Duration::from_secs_f64(0.6));
    let plan = |seed: u64| net::schedule(&kinds, 3, limit, interval, Duration::ZERO, seed);
    let seed = (0..100)
        .find(|seed| {
            let planned = plan(*seed);
            kinds
                .iter()
                .all(|kind| planned.iter().any(|fault| fault.kind == *kind))
        })
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    // The issue's shape: `--nemesis` after the node's arguments (`quorate node` would refuse
    // it, so the node got only its own).
    let output = mvr_kv(
        out.path(),
        "delay,reorder",
        &seed.to_string(),
        &["--config", "dynamo"],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("VALID against model eventual"), "{stdout}");
    let history = quorate::history::History::load(&out.path().join("history.json")).unwrap();
    let recorded: Vec<(FaultType, &str)> = history
        .faults
        .iter()
        .map(|fault| (fault.kind, fault.description.as_str()))
        .collect();
    let planned: Vec<FaultType> = plan(seed).iter().map(|fault| fault.kind).collect();
    assert_eq!(
        recorded.iter().map(|(kind, _)| *kind).collect::<Vec<_>>(),
        planned
    );
    assert!(
        recorded
            .iter()
            .any(|(kind, what)| *kind == FaultType::Delay && what.contains("200 to 400 ms more")),
        "{recorded:?}"
    );
    assert!(
        recorded
            .iter()
            .any(|(kind, what)| *kind == FaultType::Reorder && what.contains("0 to 50 ms more")),
        "{recorded:?}"
    );
    assert_reaped(out.path(), 3);
}

#[test]
fn quorate_node_with_zoo_bugs_is_caught_with_the_anomaly_named() {
    // vnode-clock: the coordinator's counter instead of a dot, so concurrent puts overwrite
    // each other (lost writes); ignore-context: a put forgets what its client read, so siblings
    // it overwrote stay beside it (dominated siblings). Neither needs a simulated clock.
    for (bug, anomaly) in [
        ("vnode-clock", "lost_write"),
        ("ignore-context", "dominated_sibling"),
    ] {
        let out = tempfile::tempdir().unwrap();
        let output = mvr_kv(
            out.path(),
            "partition",
            "2",
            &["--config", "dynamo", "--bug", bug],
        );
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{bug}: {stdout}\n{stderr}");
        assert!(
            stdout.contains("INVALID against model eventual"),
            "{stdout}"
        );
        let named = stdout
            .lines()
            .find(|line| line.starts_with("anomalies: "))
            .unwrap_or_default();
        assert!(named.contains(anomaly), "{bug}: {named}\n{stdout}");
        assert_reaped(out.path(), 3);
    }
}

/// The final snapshots are each replica's own copy (`snapshot`), so bugs that leave one replica
/// behind are seen in real processes: `lazy-replication` (a put acknowledged before it reached
/// every home replica, with anti-entropy off to bring it later) is under-replication, and
/// `aae-skips-bucket` (anti-entropy never compares the last bucket, so a replica a partition left
/// behind stays so) is divergence. The same runs with the bugs off are valid.
#[test]
fn replica_snapshots_catch_a_replica_left_behind() {
    let run = |out: &Path, node: &[&str], run: &[&str]| {
        Command::new(QUORATE)
            .args(["maelstrom", "-w", "mvr-kv", "--bin", QUORATE, "--out"])
            .arg(out)
            .args(["--seed", "1", "--"])
            .arg("node")
            .args(node)
            .args(run)
            .output()
            .expect("quorate runs")
    };
    let lazy = ["--config", "dynamo+no-aae", "--bug", "lazy-replication"];
    let lazy_run = ["--time-limit", "2", "--store-config", "dynamo+no-aae"];
    let aae = ["--config", "dynamo", "--bug", "aae-skips-bucket"];
    let aae_run = [
        "--time-limit",
        "4",
        "--nemesis",
        "partition,kill",
        "--nemesis-interval",
        "1",
        "--model",
        "quorum",
    ];
    for (node, flags, anomaly) in [
        (&lazy[..], &lazy_run[..], "under_replicated"),
        (&aae[..], &aae_run[..], "divergence"),
    ] {
        let out = tempfile::tempdir().unwrap();
        let output = run(out.path(), node, flags);
        let (stdout, stderr) = text(&output);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{node:?}: {stdout}\n{stderr}"
        );
        let named = stdout
            .lines()
            .find(|line| line.starts_with("anomalies: "))
            .unwrap_or_default();
        assert!(named.contains(anomaly), "{node:?}: {named}\n{stdout}");
        // One snapshot per home replica of each key, not one per node.
        let history = read_json(&out.path().join("history.json"));
        let replicas = history["replicas"].as_array().unwrap();
        let keys: std::collections::BTreeSet<&str> = replicas
            .iter()
            .map(|snapshot| snapshot["key"].as_str().unwrap())
            .collect();
        assert!(!keys.is_empty());
        assert!(replicas.len() <= 3 * keys.len(), "{}", replicas.len());
        assert_reaped(out.path(), 3);
        // The bug off: valid.
        let clean: Vec<&str> = node.iter().take(2).copied().collect();
        let out = tempfile::tempdir().unwrap();
        let output = run(out.path(), &clean, flags);
        let (stdout, stderr) = text(&output);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{clean:?}: {stdout}\n{stderr}"
        );
    }
}

#[test]
fn a_node_configuration_that_cannot_work_is_bad_usage_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut config: serde_json::Value =
        serde_json::to_value(quorate::config::Config::preset("dynamo").unwrap()).unwrap();
    config["r"] = serde_json::json!(4);
    let path = dir.path().join("r4.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let path = path.to_str().unwrap();
    // Alone: refused before it reads anything.
    let output = Command::new(QUORATE)
        .args(["node", "--config", path])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "quorate node: --config {path}: r = 4 is larger than n = 3"
        )),
        "{stderr}"
    );
    // Under quorate maelstrom: the node's exit is named with its stderr.
    let out = dir.path().join("out");
    let output = mvr_kv(&out, "none", "1", &["--config", path]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("r = 4 is larger than n = 3"), "{stderr}");
    // And a cluster the configuration cannot fit is named at init.
    let output = Command::new(QUORATE)
        .args(["node", "--config", "dynamo"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            let init = r#"{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0","n1"]}}"#;
            writeln!(child.stdin.take().unwrap(), "{init}")?;
            child.wait_with_output()
        })
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("quorate node: init: --config dynamo cannot run on the 2 nodes init names: n = 3 is larger than nodes = 2"),
        "{stderr}"
    );
}

#[test]
fn mvr_kv_flags_that_cannot_work_are_bad_usage() {
    let out = tempfile::tempdir().unwrap();
    for (flags, expected) in [
        (&["--r", "4"][..], "r = 4 is larger than n = 3"),
        (&["--model", "strict"][..], "--model: unknown model"),
        (&["--store-config", "nope"][..], "--store-config nope"),
    ] {
        let output = Command::new(QUORATE)
            .args(["maelstrom", "-w", "mvr-kv", "--bin", QUORATE, "--out"])
            .arg(out.path())
            .args(flags)
            .args(["--", "node", "--config", "dynamo"])
            .output()
            .unwrap();
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.starts_with("quorate maelstrom: "), "{stderr}");
        assert!(stderr.contains(expected), "{flags:?}: {stderr}");
    }
}
