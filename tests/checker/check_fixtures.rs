//! Table-driven fixtures for the checker: for every anomaly kind, a history that shows it and a
//! near miss that does not. Histories are written in a one-line-per-operation shorthand that
//! the helper turns into the JSON format (so the loader is exercised too):
//!
//! ```text
//! config dynamo                       # a preset (optional; implies the default model)
//! config dynamo reaping=after_ms      # ... reaping tombstones (after 100 ms, or `immediate`)
//! config dynamo anti_entropy=off      # ... without anti-entropy
//! fault loses_data                    # a fault record that can lose data
//! fault crash                         # a crash from t=0 that lasts to the end of the workload
//! run quiescent | run churning        # the run summary
//! replica k n1=v1,v2 n2=              # a final snapshot of key k on node 1 and node 2
//! 0 c0 put k v1 0-4 ok                # id, client, kind, key, value, invoke-complete, outcome
//! 1 c0 put k v2 ctx=v1 5-6 ok dot=1:2 ts=7
//! 2 c1 get k [v1,v2] 5-9 ok vv=1:1,2:1
//! 3 c2 put k v3 8 info                # no completion: never answered
//! ```
//!
//! Each case's expectation is `verdict: kind* kind …`, with `*` marking anomalies the model
//! forbids, kinds in report order.

use crate::check_support;

use std::time::Duration;

use check_support::history;
use quorate::check::{self, CheckOptions, Model};
use quorate::history::History;
use quorate::verdict::Budget;

/// Checks `text` against `model` (or the one its configuration implies) and compares the
/// summary `verdict: kind* kind …` with `expected`.
fn check(text: &str, model: Option<&str>, expected: &str) {
    let history = history(text);
    let model = model.map(|name| name.parse::<Model>().unwrap());
    let actual = match check::check(&history, &CheckOptions::model(model)) {
        Ok(report) => {
            let mut summary = format!("{:?}:", report.verdict).to_lowercase();
            let mut listed: Vec<String> = Vec::new();
            for found in &report.anomalies {
                let name = format!(
                    "{}{}",
                    found.anomaly.kind(),
                    if found.forbidden { "*" } else { "" }
                );
                if !listed.contains(&name) {
                    listed.push(name);
                }
            }
            for name in listed {
                summary.push(' ');
                summary.push_str(&name);
            }
            summary
        }
        Err(error) => format!("error: {error}"),
    };
    assert_eq!(actual, expected, "\n{text}");
}

#[test]
fn phantom_value() {
    let base = "0 c0 put k v1 0-4 ok\n";
    check(
        &format!("{base}1 c1 get k [ghost] 5-9 ok"),
        None,
        "invalid: phantom_value* stale_read",
    );
    check(&format!("{base}1 c1 get k [v1] 5-9 ok"), None, "valid:");
    check(
        &format!("{base}1 c1 get k [v1] 5-9 ok\nreplica k n1=v1 n2=v1,ghost"),
        None,
        "invalid: phantom_value* divergence*",
    );
}

#[test]
fn future_read() {
    check(
        "0 c1 get k [v1] 0-2 ok\n1 c0 put k v1 5-6 ok",
        None,
        "invalid: future_read*",
    );
    // Invoked in the same millisecond the read finished: concurrent, so fine.
    check(
        "0 c1 get k [v1] 0-2 ok\n1 c0 put k v1 2-6 ok",
        None,
        "valid:",
    );
}

#[test]
fn dominated_sibling() {
    let base = "0 c0 put k v1 0-1 ok\n1 c1 get k [v1] 2-3 ok\n";
    check(
        &format!("{base}2 c1 put k v2 ctx=v1 4-5 ok\n3 c2 get k [v1,v2] 6-7 ok"),
        None,
        "invalid: dominated_sibling*",
    );
    // A blind write is concurrent with v1: both are siblings.
    check(
        &format!("{base}2 c1 put k v2 4-5 ok\n3 c2 get k [v1,v2] 6-7 ok"),
        None,
        "valid:",
    );
    // Under LWW a read returns one value at most.
    check(
        &format!("config lww\n{base}2 c1 put k v2 4-5 ok\n3 c2 get k [v1,v2] 6-7 ok"),
        None,
        "invalid: dominated_sibling*",
    );
    // Under LWW a replica keeps one value.
    check(
        "config lww\n0 c0 put k v1 0-1 ok\n1 c1 put k v2 0-1 ok\nreplica k n1=v1,v2 n2=v1,v2 n3=v1,v2",
        None,
        "invalid: dominated_sibling*",
    );
    check(
        "config lww\n0 c0 put k v1 0-1 ok\n1 c1 put k v2 0-1 ok\nreplica k n1=v2 n2=v2 n3=v2",
        None,
        "valid:",
    );
    // A replica that keeps an overwritten sibling.
    check(
        &format!("{base}2 c1 put k v2 ctx=v1 4-5 ok\nreplica k n1=v1,v2 n2=v1,v2"),
        None,
        "invalid: dominated_sibling*",
    );
}

#[test]
fn stale_read() {
    check(
        "config dynamo\n0 c0 put k v1 0-4 ok\n1 c1 get k [] 5-9 ok",
        None,
        "invalid: stale_read*",
    );
    // The put never answered: it may land later or never.
    check(
        "config dynamo\n0 c0 put k v1 0-4 info\n1 c1 get k [] 5-9 ok",
        None,
        "valid:",
    );
    // The read began before the put was acknowledged.
    check(
        "config dynamo\n0 c0 put k v1 0-5 ok\n1 c1 get k [] 5-9 ok",
        None,
        "valid:",
    );
    // Without strict quorums a stale read is allowed.
    check(
        "config weak\n0 c0 put k v1 0-4 ok\n1 c1 get k [] 5-9 ok",
        None,
        "valid: stale_read",
    );
    // A fault that loses data voids the promise.
    check(
        "config dynamo\nfault loses_data\n0 c0 put k v1 0-4 ok\n1 c1 get k [] 5-9 ok",
        None,
        "valid: stale_read",
    );
    // Read-your-writes within one client, even in the same millisecond.
    check(
        "config dynamo\n0 c0 put k v1 0-4 ok\n1 c0 get k [] 4-9 ok",
        None,
        "invalid: stale_read*",
    );
    // LWW: missing a write that a concurrent write overwrote is not stale...
    check(
        "config lww\n0 c0 put k v1 0-4 ok\n1 c1 put k v2 0-4 ok\n2 c2 get k [v2] 5-9 ok",
        None,
        "valid:",
    );
    // ...but returning a write older than one acknowledged before it began is.
    // (LWW with node clocks promises only eventual, so the model is asked for.)
    check(
        "config lww\n0 c0 put k v1 0-1 ok\n1 c1 put k v2 2-4 ok\n2 c2 get k [v1] 5-9 ok",
        Some("quorum"),
        "invalid: stale_read* not_linearizable",
    );
    check(
        "config lww\n0 c0 put k v1 0-1 ok\n1 c1 put k v2 2-4 ok\n2 c2 get k [v1] 5-9 ok",
        None,
        "valid: stale_read not_linearizable",
    );
}

#[test]
fn failed_write_visible() {
    check(
        "config dynamo\n0 c0 put k v1 0-4 fail\n1 c1 get k [v1] 5-9 ok",
        None,
        "valid: failed_write_visible",
    );
    check(
        "config dynamo\n0 c0 put k v1 0-4 ok\n1 c1 get k [v1] 5-9 ok",
        None,
        "valid:",
    );
}

#[test]
fn non_monotonic_read() {
    // v1 is acknowledged only at 10, so the later read is not stale, only non-monotonic.
    let base = "config cassandra\n0 c0 put k v1 0-10 ok\n1 c1 get k [v1] 1-2 ok\n";
    check(
        &format!("{base}2 c2 get k [] 3-4 ok"),
        Some("monotonic"),
        "invalid: non_monotonic_read* not_linearizable",
    );
    check(
        &format!("{base}2 c2 get k [] 3-4 ok"),
        Some("quorum"),
        "valid: non_monotonic_read not_linearizable",
    );
    // Overlapping reads may see different prefixes.
    check(&format!("{base}2 c2 get k [] 2-4 ok"), None, "valid:");
}

#[test]
fn contexts_too_small_or_too_large() {
    let put = "0 c0 put k v1 0-4 ok dot=1:1\n";
    check(
        &format!("{put}1 c1 get k [v1] 5-9 ok vv="),
        None,
        "invalid: context_too_small*",
    );
    check(
        &format!("{put}1 c1 get k [v1] 5-9 ok vv=1:1"),
        None,
        "valid:",
    );
    let lost = "0 c0 put k v1 0 info dot=1:1\n";
    check(
        &format!("{lost}1 c1 get k [] 5-9 ok vv=1:1"),
        None,
        "invalid: context_too_large*",
    );
    check(&format!("{lost}1 c1 get k [] 5-9 ok vv="), None, "valid:");
}

#[test]
fn divergence_and_lost_write() {
    let base = "run quiescent\n0 c0 put k v1 0-4 ok\n";
    // n2 lacks the acknowledged v1 that n1 keeps: the replicas differ (C1), and the write is
    // under-replicated (C5).
    check(
        &format!("{base}replica k n1=v1 n2="),
        None,
        "invalid: divergence* under_replicated*",
    );
    check(&format!("{base}replica k n1=v1 n2=v1"), None, "valid:");
    check(
        &format!("{base}replica k n1= n2="),
        None,
        "invalid: lost_write*",
    );
    // Overwritten by a write that read it: not lost.
    let overwritten = "1 c0 get k [v1] 5-6 ok\n2 c0 put k v2 ctx=v1 7-8 ok\n";
    check(
        &format!("{base}{overwritten}replica k n1=v2 n2=v2"),
        None,
        "valid:",
    );
    // A key with no snapshot at all holds nothing.
    check(
        &format!("{base}replica other n1="),
        None,
        "invalid: lost_write*",
    );
    // A failed write may be lost.
    check("0 c0 put k v1 0-4 fail\nreplica k n1= n2=", None, "valid:");
    // Volatile crashes may lose data.
    check(
        &format!("fault loses_data\n{base}replica k n1= n2="),
        None,
        "valid: lost_write",
    );
}

#[test]
fn replication() {
    let base = "config dynamo\nrun quiescent\n0 c0 put k v1 0-4 ok\n";
    check(
        &format!("{base}replica k n1=v1 n2=v1 n3=v1"),
        None,
        "valid:",
    );
    // Two replicas of n = 3: what they agree on is kept on too few nodes.
    check(
        &format!("{base}replica k n1=v1 n2=v1"),
        None,
        "invalid: under_replicated*",
    );
    // n3 still holds v1, which v2 overwrote: it keeps v1 but lacks v2.
    let overwritten = "1 c0 get k [v1] 5-6 ok\n2 c0 put k v2 ctx=v1 7-8 ok\n";
    check(
        &format!("{base}{overwritten}replica k n1=v2 n2=v2 n3=v1"),
        None,
        "invalid: divergence* under_replicated*",
    );
    // A write no replica keeps is C3's lost write, not under-replicated as well.
    check(
        &format!("{base}2 c1 put k v2 7-8 ok\nreplica k n1=v2 n2=v2 n3=v2"),
        None,
        "invalid: lost_write*",
    );
    // Nor is a write that failed.
    check(
        &format!("{base}2 c1 put k v2 7-8 fail\nreplica k n1=v1,v2 n2=v1 n3=v1"),
        None,
        "invalid: divergence*",
    );
    // Where the configuration does not promise convergence (no anti-entropy, and a crash
    // during the writes), a replica that lacks a write is C1's allowed observation alone.
    let exposed =
        "config dynamo anti_entropy=off\nfault crash\nrun quiescent\n0 c0 put k v1 0-4 ok\n";
    check(
        &format!("{exposed}replica k n1=v1 n2=v1 n3="),
        None,
        "valid: unrepaired_divergence",
    );
    // ... but the number of replicas is placement, which no fault excuses.
    check(
        &format!("{exposed}replica k n1=v1 n2=v1"),
        None,
        "invalid: under_replicated*",
    );
    // Under LWW a write lost to a concurrent one is lost everywhere once the replicas agree, so
    // only their number is judged.
    let lww = "config lww\nrun quiescent\n0 c0 put k v1 0-1 ok\n1 c1 put k v2 0-1 ok\n";
    check(
        &format!("{lww}replica k n1=v1 n2=v2 n3=v2"),
        None,
        "invalid: divergence*",
    );
    check(
        &format!("{lww}replica k n1=v2 n2=v2"),
        None,
        "invalid: under_replicated*",
    );
}

#[test]
fn reaped_tombstones() {
    // v1 acknowledged, then deleted by a delete that read it; the tombstone is reaped.
    let base = "run quiescent\n0 c0 put k v1 0-4 ok\n1 c0 get k [v1] 5-6 ok\n2 c0 delete k d1 ctx=v1 7-8 ok\n";
    let reaped = format!("{base}3 c1 get k [] 20-21 ok\nreplica k n1= n2= n3=");
    check(
        &format!("config dynamo\n{reaped}"),
        None,
        "invalid: stale_read* lost_write* non_monotonic_read",
    );
    check(
        &format!("config dynamo reaping=after_ms\n{reaped}"),
        None,
        "valid:",
    );
    check(
        &format!("config dynamo reaping=immediate\n{reaped}"),
        None,
        "valid:",
    );
    // A reaped tombstone stands only for the delete and what it overwrote: a write nobody
    // deleted is still lost, and still missing from a later read.
    let other = "3 c1 put k v2 9-10 ok\n4 c1 get k [] 20-21 ok\nreplica k n1= n2= n3=";
    check(
        &format!("config dynamo reaping=after_ms\n{base}{other}"),
        None,
        "invalid: stale_read* lost_write*",
    );
    // Only a delete invoked before the read completed can have been reaped by then.
    let early = "0 c0 put k v1 0-4 ok\n1 c1 get k [] 5-6 ok\n2 c0 get k [v1] 7-8 ok\n3 c0 delete k d1 ctx=v1 9-10 ok";
    check(
        &format!("config dynamo reaping=immediate\n{early}"),
        None,
        "invalid: stale_read*",
    );
    // After a reap the key starts afresh: a new write with an empty context is not stale.
    check(
        &format!("config dynamo reaping=after_ms\n{base}3 c1 put k v2 12-13 ok\n4 c1 get k [v2] 20-21 ok\nreplica k n1=v2 n2=v2 n3=v2"),
        None,
        "valid:",
    );
    // Resurrection: v1 is back after its delete was acknowledged. Reaping that waits for every
    // primary forbids it; immediate reaping allows it by design.
    let resurrected = format!("{base}3 c1 get k [v1] 20-21 ok\nreplica k n1=v1 n2=v1 n3=v1");
    check(
        &format!("config dynamo reaping=after_ms\n{resurrected}"),
        None,
        "invalid: stale_read* lost_write*",
    );
    check(
        &format!("config dynamo reaping=immediate\n{resurrected}"),
        None,
        "valid:",
    );
    // A context may cover what a reaped tombstone overwrote (M6).
    let white_box = "0 c0 put k v1 0-4 ok dot=1:1\n1 c0 get k [v1] 5-6 ok vv=1:1\n2 c0 delete k d1 ctx=v1 7-8 ok dot=1:2\n3 c1 get k [] 20-21 ok vv=1:2";
    check(
        &format!("config dynamo\n{white_box}"),
        None,
        "invalid: stale_read* context_too_large* non_monotonic_read",
    );
    check(
        &format!("config dynamo reaping=immediate\n{white_box}"),
        None,
        "valid:",
    );
    // A reaped key reads as never written, and a write after the reap starts afresh: no single
    // order explains c0 reading v1 and then c1 reading only v3, so LIN is void under reaping.
    let afresh = format!("{base}3 c1 put k v3 12-13 ok\n4 c1 get k [v3] 20-21 ok");
    check(
        &format!("config dynamo\n{afresh}"),
        Some("atomic"),
        "invalid: stale_read* non_monotonic_read*",
    );
    check(
        &format!("config dynamo reaping=immediate\n{afresh}"),
        Some("atomic"),
        "valid:",
    );
}

#[test]
fn reaped_lww_tombstones() {
    // Under LWW a delete overwrites, like any write, every write that may come before it in the
    // register's order, not only what its context names: v1 was overwritten by v2 (same
    // client, later timestamp), v2 by the delete, and the reaped key reads as empty.
    let base = "run quiescent\n0 c1 put k v1 0-4 ok ts=1\n1 c1 put k v2 5-6 ok ts=2\n2 c0 get k [v2] 10-11 ok\n3 c0 delete k d1 ctx=v2 11-12 ok ts=3\n";
    let reaped = format!("{base}4 c1 get k [] 20-21 ok");
    check(
        &format!("config atomic\n{reaped}"),
        None,
        "invalid: stale_read* non_monotonic_read* not_linearizable*",
    );
    for reaping in ["after_ms", "immediate"] {
        check(
            &format!("config atomic reaping={reaping}\n{reaped}"),
            None,
            "valid: not_linearizable",
        );
    }
    // A write that must come after the delete (invoked once it was acknowledged) is not
    // excused by its reaped tombstone.
    let later = format!("{base}4 c1 put k v3 13-14 ok ts=4\n5 c1 get k [] 20-21 ok");
    check(
        &format!("config atomic reaping=after_ms\n{later}"),
        None,
        "invalid: stale_read* not_linearizable",
    ); // An answer that holds a value is that value, not a reaped tombstone: v1 back after its
       // delete was reaped (a resurrection that reaping after a delay must prevent) misses v2.
    let resurrected = format!("{base}4 c1 get k [v1] 20-21 ok");
    check(
        &format!("config atomic reaping=after_ms\n{resurrected}"),
        None,
        "invalid: stale_read* non_monotonic_read* not_linearizable",
    );
}

#[test]
fn repair_churn() {
    check(
        "run churning\n0 c0 put k v1 0-4 ok\nreplica k n1=v1 n2=v1",
        None,
        "invalid: repair_churn*",
    );
    check(
        "run quiescent\n0 c0 put k v1 0-4 ok\nreplica k n1=v1 n2=v1",
        None,
        "valid:",
    );
}

#[test]
fn lww_lost_write() {
    let base = "config lww\n0 c0 put k v1 0-4 ok ts=10\n";
    check(
        &format!("{base}1 c1 put k v2 2-6 ok ts=5"),
        None,
        "valid: lww_lost_write",
    );
    check(
        &format!("{base}1 c1 put k v2 5-6 ok ts=5"),
        None,
        "valid: lww_lost_write",
    );
    check(
        &format!("{base}1 c1 put k v0 5-6 ok ts=10"),
        None,
        "valid: lww_lost_write",
    );
    // Larger timestamp, or winning the tie: the later write wins, nothing lost.
    check(&format!("{base}1 c1 put k v2 5-6 ok ts=11"), None, "valid:");
    check(&format!("{base}1 c1 put k v2 5-6 ok ts=10"), None, "valid:");
}

#[test]
fn lww_lost_write_causes() {
    let causes = |text: &str| -> Vec<String> {
        let report = check::check(&history(text), &CheckOptions::default()).unwrap();
        report
            .anomalies
            .iter()
            .filter_map(|found| match &found.anomaly {
                check::Anomaly::LwwLostWrite { cause, .. } => Some(format!("{cause:?}")),
                _ => None,
            })
            .collect()
    };
    let base = "config lww\n0 c0 put k v1 0-4 ok ts=10\n";
    assert_eq!(
        causes(&format!("{base}1 c1 put k v2 2-6 ok ts=5")),
        ["Concurrent"]
    );
    assert_eq!(
        causes(&format!("{base}1 c1 put k v2 5-6 ok ts=5")),
        ["ClockSkew"]
    );
    assert_eq!(
        causes(&format!("{base}1 c1 put k v0 5-6 ok ts=10")),
        ["Tie"]
    );
}

#[test]
fn not_linearizable() {
    let puts = "0 c0 put k v1 0-10 ok\n1 c1 put k v2 0-10 ok\n";
    check(
        &format!("{puts}2 c2 get k [v1] 2-9 ok\n3 c3 get k [v2] 2-9 ok"),
        Some("atomic"),
        "invalid: not_linearizable*",
    );
    check(
        &format!("{puts}2 c2 get k [v1] 2-9 ok\n3 c3 get k [v2] 2-9 ok"),
        Some("monotonic"),
        "valid: not_linearizable",
    );
    check(
        &format!("{puts}2 c2 get k [v1] 2-9 ok\n3 c3 get k [v1,v2] 2-9 ok"),
        Some("atomic"),
        "valid:",
    );
    // docs/DESIGN.md §4: put 1 then a blind put 2, both inside a read that sees only 2.
    let order = "0 c0 get k [v2] 1-11 ok\n1 c1 put k v1 2-3 ok\n2 c1 put k v2 7-8 ok";
    check(order, Some("atomic"), "invalid: not_linearizable*");
    check(&order.replace("[v2]", "[v1,v2]"), Some("atomic"), "valid:");
    // A crash that lost data voids LIN as it voids M3: both are reported, neither forbidden.
    check(
        "config atomic\nfault loses_data\n0 c0 put k v1 0-4 ok\n1 c1 get k [] 5-9 ok",
        None,
        "valid: stale_read not_linearizable",
    );
    // LWW histories are registers, decided by the Wing–Gong–Lowe search.
    check(
        "config atomic\n0 c0 put k v1 0-4 ok\n1 c1 get k [v1] 5-9 ok",
        None,
        "valid:",
    );
    // A new/old inversion: the second read returns the older value after the first saw the newer.
    check(
        "config atomic\n0 c0 put k v1 0-1 ok\n1 c1 put k v2 2-20 ok\n2 c2 get k [v2] 3-4 ok\n3 c2 get k [v1] 5-6 ok",
        None,
        "invalid: non_monotonic_read* not_linearizable*",
    );
}

#[test]
fn broken_preconditions_are_input_errors() {
    check(
        "0 c0 put k v1 0-1 ok\n1 c1 put k v2 ctx=v1 2-3 ok",
        None,
        "error: put #1 (value \"v2\", client 1) has \"v1\" in its context, but client 1 had not read \"v1\" on key \"k\" in an ok get before it: contexts must list only values the client read",
    );
}

#[test]
fn contexts_in_a_cycle_are_judged_as_a_store_bug_not_refused() {
    // Each client read the other's write before it was invoked: a read from the future, and no
    // order of the two writes can respect both contexts.
    let text = "0 c0 get k [v2] 0-1 ok\n1 c0 put k v1 ctx=v2 2-3 ok\n2 c1 get k [v1] 0-1 ok\n3 c1 put k v2 ctx=v1 2-3 ok";
    check(text, None, "invalid: future_read*");
    let report = check::check(&history(text), &CheckOptions::default()).unwrap();
    assert_eq!(
        report.linearizability,
        quorate::check::Linearizability::NotLinearizable
    );
}

#[test]
fn strongest_model_is_named() {
    let strongest = |text: &str| {
        let report = check::check(&history(text), &CheckOptions::default()).unwrap();
        report.strongest_model.map(Model::name)
    };
    assert_eq!(
        strongest("0 c0 put k v1 0-4 ok\n1 c1 get k [v1] 5-9 ok"),
        Some("atomic")
    );
    assert_eq!(
        strongest("0 c0 put k v1 0-4 ok\n1 c1 get k [] 5-9 ok"),
        Some("eventual")
    );
    assert_eq!(
        strongest("0 c0 put k v1 0-4 ok\n1 c1 get k [ghost] 5-9 ok"),
        None
    );
    assert_eq!(
        strongest("config lww\n0 c0 put k v1 0-4 ok\n1 c1 get k [v1] 5-9 ok"),
        Some("atomic")
    );
}

#[test]
fn a_key_beyond_the_memory_budget_makes_the_verdict_unknown() {
    let text = "0 c0 put k v1 0-4 ok\n1 c1 get k [v1] 5-9 ok\n2 c2 put j w1 0-4 ok";
    let options = CheckOptions {
        budget: Budget {
            memory: Some(10),
            ..check::KEY_BUDGET
        },
        ..CheckOptions::default()
    };
    let report = check::check(&history(text), &options).unwrap();
    assert_eq!(report.verdict, check::Verdict::Unknown);
    let note = report
        .properties
        .iter()
        .find(|status| status.property == "ALL")
        .unwrap();
    assert_eq!(
        note.note,
        "keys left unchecked: key k (2 operations would need 16 bytes of bitsets; the budget is 10 bytes)"
    );
}

#[test]
fn an_lww_register_search_honours_the_time_budget() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/check/lww_atomic.json"
    );
    let history = History::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    let decided = check::check(&history, &CheckOptions::default()).unwrap();
    assert_eq!(decided.verdict, check::Verdict::Valid);
    // A time budget spent from the start: the key's register search does not run.
    let options = CheckOptions {
        budget: Budget {
            time: Some(Duration::ZERO),
            ..check::KEY_BUDGET
        },
        ..CheckOptions::default()
    };
    let report = check::check(&history, &options).unwrap();
    assert_eq!(report.verdict, check::Verdict::Unknown);
    assert_eq!(
        report.linearizability,
        check::Linearizability::Unknown {
            reason: "not decided: key x: the time budget of 0.000 s was spent".to_string()
        }
    );
}

#[test]
fn a_key_beyond_the_budget_does_not_hide_another_keys_violation() {
    let text = "0 c0 put j w1 0-1 ok\n1 c1 get j [] 2-3 ok\n\
                2 c2 put k v1 0-1 ok\n3 c2 get k [v1] 2-3 ok\n4 c2 put k v2 ctx=v1 4-5 ok";
    let options = CheckOptions {
        model: Some(Model::Atomic),
        budget: Budget {
            memory: Some(20),
            ..check::KEY_BUDGET
        },
    };
    let report = check::check(&history(text), &options).unwrap();
    assert_eq!(report.verdict, check::Verdict::Invalid);
    assert_eq!(
        report.linearizability,
        check::Linearizability::NotLinearizable
    );
    assert_eq!(report.strongest_model, None);
}
