//! `quorate staleness` prints one row per (r, w) and rejects what it cannot use.

use crate::common;

use common::quorate;

#[test]
fn prints_a_row_per_quorum_pair() {
    let (code, stdout, _) = quorate(&["staleness", "--trials", "2000", "--seed", "5"]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = stdout.lines().skip(2).collect();
    assert_eq!(rows.len(), 9, "{stdout}");
    assert!(rows[0].starts_with("1, 1 "), "{stdout}");
    // r = 2, w = 2 overlaps: every read sees the write at every t.
    assert_eq!(rows[4].matches("100.00%").count(), 5, "{stdout}");
    assert!(
        stdout.lines().nth(1).unwrap().contains("t=100 ms"),
        "{stdout}"
    );
}

#[test]
fn bad_input_exits_2_with_the_reason() {
    let (code, _, stderr) = quorate(&["staleness", "--latency", "gaussian:3"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("latency \"gaussian:3\": unknown latency model"),
        "{stderr}"
    );
    let (code, _, stderr) = quorate(&["staleness", "--config", "riak"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown preset \"riak\""), "{stderr}");
}
