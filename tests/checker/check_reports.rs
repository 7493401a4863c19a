//! Snapshots of reports, so that their wording is reviewed like code. Run with
//! `UPDATE_EXPECT=1 cargo test --test checker check_reports::` after a deliberate change, and read the diff.

use crate::check_support;

use check_support::history;
use expect_test::{expect, Expect};
use quorate::check::{check, CheckOptions, Model};

fn text(history_text: &str, model: Option<Model>, expected: Expect) {
    let report = check(&history(history_text), &CheckOptions::model(model)).unwrap();
    expected.assert_eq(&report.to_string());
}

#[test]
fn stale_read_under_strict_quorums() {
    text(
        "config dynamo
         0 c0 put k v7 0-5 ok
         1 c1 put k v9 80-95 ok
         41 c3 get k [v7] 120-130 ok",
        None,
        expect![[r#"
            INVALID against model quorum (promised by the history's configuration)
            strongest model satisfied: eventual
            linearizable: no
            3 operations, 1 key; 1 anomaly, 1 forbidden by quorum

            1. [forbidden] stale_read on key k
               read #41 by client 3 at t=120 ms returned {v7} but put v9 (#1) had been acknowledged at t=95 ms and is not in its view: stale read under r + w > n (2 + 2 > 3).

            notes:
            - M6: not evaluated: the history has no store dots and read contexts (white-box metadata)
            - C1: not evaluated: the history has no replica snapshots
            - C2: not evaluated: the history has no replica snapshots
            - C3: not evaluated: the history has no replica snapshots
            - C4: not evaluated: the history does not say whether repair had gone quiet
            - C5: not evaluated: the history has no replica snapshots
            - C6: not evaluated: the history has no replica snapshots
            - L1: not evaluated: not an LWW history
        "#]],
    );
}

#[test]
fn put_order_is_not_linearizable() {
    text(
        "0 c0 get k [v2] 1-11 ok
         1 c1 put k v1 2-3 ok
         2 c1 put k v2 7-8 ok",
        Some(Model::Atomic),
        expect![[r#"
            INVALID against model atomic (as requested)
            strongest model satisfied: monotonic
            linearizable: no
            3 operations, 1 key; 1 anomaly, 1 forbidden by atomic

            1. [forbidden] not_linearizable on key k
               put v1 (#1) was acknowledged at t=3 ms before put v2 (#2) was invoked at t=7 ms, yet read #0 by client 0 at t=1 ms returned {v2}, which holds the later write and not the earlier: no order consistent with real time explains it.

            notes:
            - M6: not evaluated: the history has no store dots and read contexts (white-box metadata)
            - C1: not evaluated: the history has no replica snapshots
            - C2: not evaluated: the history has no replica snapshots
            - C3: not evaluated: the history has no replica snapshots
            - C4: not evaluated: the history does not say whether repair had gone quiet
            - C5: not evaluated: the history has no replica snapshots
            - C6: not evaluated: the history has no replica snapshots
            - L1: not evaluated: not an LWW history
        "#]],
    );
}

#[test]
fn concurrent_reads_with_incomparable_views() {
    text(
        "0 c0 put k v1 0-10 ok
         1 c1 put k v2 0-10 ok
         2 c2 get k [v1] 2-9 ok
         3 c3 get k [v2] 2-9 ok",
        Some(Model::Atomic),
        expect![[r#"
            INVALID against model atomic (as requested)
            strongest model satisfied: monotonic
            linearizable: no
            4 operations, 1 key; 1 anomaly, 1 forbidden by atomic

            1. [forbidden] not_linearizable on key k
               read #2 by client 2 at t=2 ms returned {v1} and read #3 by client 3 at t=2 ms returned {v2}: the two reads overlap in time, but the first saw v1 and not v2 while the second saw v2 and not v1, so no single order of the writes explains both.

            notes:
            - M6: not evaluated: the history has no store dots and read contexts (white-box metadata)
            - C1: not evaluated: the history has no replica snapshots
            - C2: not evaluated: the history has no replica snapshots
            - C3: not evaluated: the history has no replica snapshots
            - C4: not evaluated: the history does not say whether repair had gone quiet
            - C5: not evaluated: the history has no replica snapshots
            - C6: not evaluated: the history has no replica snapshots
            - L1: not evaluated: not an LWW history
        "#]],
    );
}

#[test]
fn convergence_anomalies_and_an_allowed_failed_write() {
    text(
        "config dynamo
         run quiescent
         0 c0 put k v1 0-4 ok
         1 c1 put k v2 2-6 fail
         2 c2 get k [v1,v2] 7-9 ok
         replica k n1=v1 n2=v2 n3=v2",
        None,
        expect![[r#"
            INVALID against model quorum (promised by the history's configuration)
            strongest model satisfied: none (even eventual is broken)
            linearizable: yes
            3 operations, 1 key; 3 anomalies, 2 forbidden by quorum

            1. [forbidden] divergence on key k
               the replicas of key k disagree after heal and repair: n1 holds {v1}, n2 holds {v2}, n3 holds {v2}.

            2. [forbidden] under_replicated on key k
               put v1 (#0) by client 0 was acknowledged at t=4 ms, but at the end n2, n3 of key k hold neither it nor a write that overwrote it, while n1 keeps it: under-replicated (each of the key's n = 3 home replicas must keep every acknowledged write).

            3. [allowed] failed_write_visible on key k
               put v2 (#1) by client 1 failed, yet read #2 by client 2 at t=7 ms saw it. Allowed: a leaderless store never rolls a write back, so a write that failed may still land.

            notes:
            - M6: not evaluated: the history has no store dots and read contexts (white-box metadata)
            - C6: not evaluated: the configuration keeps its tombstones (reaping: keep)
            - L1: not evaluated: not an LWW history
        "#]],
    );
}

#[test]
fn lww_clock_skew_breaks_register_linearizability() {
    text(
        "config atomic
         0 c0 put k v1 0-4 ok ts=10
         1 c1 put k v2 5-6 ok ts=5
         2 c2 get k [v1] 7-9 ok",
        None,
        expect![[r#"
            INVALID against model atomic (promised by the history's configuration)
            strongest model satisfied: eventual
            linearizable: no
            3 operations, 1 key; 3 anomalies, 2 forbidden by atomic

            1. [forbidden] stale_read on key k
               read #2 by client 2 at t=7 ms returned {v1} but put v2 (#1) had been acknowledged at t=6 ms and is not in its view: stale read under r + w > n (2 + 2 > 3).

            2. [forbidden] not_linearizable on key k
               read as a register (LWW keeps one value), no order consistent with real time explains the reads: the longest order the search found ends with put v2 (#1), and then read #2 by client 2 at t=7 ms returned {v1} (written by put v1 (#0)), which no order of the remaining operations explains.

            3. [allowed] lww_lost_write on key k
               put v2 (#1) by client 1 was acknowledged at t=6 ms with timestamp 5, but put v1 (#0), invoked earlier at t=0 ms, has timestamp 10 and wins: put v1 (#0) had been acknowledged at t=4 ms before the lost write was invoked, so only clock skew explains its larger timestamp.

            notes:
            - M3: under LWW a read may miss a write that a concurrent write overwrote; only writes that must come after the returned one count
            - M6: not evaluated: the history has no store dots and read contexts (white-box metadata)
            - C1: not evaluated: the history has no replica snapshots
            - C2: not evaluated: the history has no replica snapshots
            - C3: not evaluated: LWW discards concurrent writes by design (see L1)
            - C4: not evaluated: the history does not say whether repair had gone quiet
            - C5: not evaluated: the history has no replica snapshots
            - C6: not evaluated: the history has no replica snapshots
        "#]],
    );
}

#[test]
fn json_report() {
    let report = check(
        &history("config weak\n0 c0 put k v1 0-4 ok\n1 c1 get k [v1,ghost] 5-9 ok"),
        &CheckOptions::default(),
    )
    .unwrap();
    expect![[r#"
        {
          "model": "eventual",
          "model_source": "config",
          "verdict": "invalid",
          "strongest_model": null,
          "linearizability": {
            "status": "not_linearizable"
          },
          "operations": 2,
          "keys": 1,
          "quorum": {
            "n": 3,
            "r": 1,
            "w": 1,
            "sloppy": false
          },
          "puts": {
            "acknowledged": 1,
            "lost": 0
          },
          "anomalies": [
            {
              "forbidden": true,
              "operations": [
                1
              ],
              "kind": "phantom_value",
              "key": "k",
              "seen_by": {
                "observer": "read",
                "read": {
                  "id": 1,
                  "client": 1,
                  "kind": "get",
                  "outcome": "ok",
                  "time_ms_invoke": 5,
                  "time_ms_complete": 9,
                  "values": [
                    "v1",
                    "ghost"
                  ]
                }
              },
              "value": "ghost"
            }
          ],
          "properties": [
            {
              "property": "M1",
              "evaluated": true,
              "required": true
            },
            {
              "property": "M2",
              "evaluated": true,
              "required": true
            },
            {
              "property": "M3",
              "evaluated": true,
              "required": false
            },
            {
              "property": "M4",
              "evaluated": true,
              "required": false
            },
            {
              "property": "M5",
              "evaluated": true,
              "required": false
            },
            {
              "property": "M6",
              "evaluated": false,
              "required": true,
              "note": "the history has no store dots and read contexts (white-box metadata)"
            },
            {
              "property": "C1",
              "evaluated": false,
              "required": true,
              "note": "the history has no replica snapshots"
            },
            {
              "property": "C2",
              "evaluated": false,
              "required": true,
              "note": "the history has no replica snapshots"
            },
            {
              "property": "C3",
              "evaluated": false,
              "required": true,
              "note": "the history has no replica snapshots"
            },
            {
              "property": "C4",
              "evaluated": false,
              "required": true,
              "note": "the history does not say whether repair had gone quiet"
            },
            {
              "property": "C5",
              "evaluated": false,
              "required": true,
              "note": "the history has no replica snapshots"
            },
            {
              "property": "C6",
              "evaluated": false,
              "required": true,
              "note": "the history has no replica snapshots"
            },
            {
              "property": "L1",
              "evaluated": false,
              "required": false,
              "note": "not an LWW history"
            },
            {
              "property": "LIN",
              "evaluated": true,
              "required": false
            }
          ]
        }"#]]
    .assert_eq(&report.to_json());
}
