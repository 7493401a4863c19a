//! Property tests (docs/DESIGN.md §5): for every preset, random scenarios under every fault kind
//! give histories that satisfy the model the configuration promises (which already includes
//! eventual convergence after heal: C1–C4 belong to every model).
//!
//! Case counts are small by default so that `cargo test` stays fast on two cores;
//! `PROPTEST_CASES=1000 cargo test --test store properties::` searches harder. A failure prints its seed,
//! the minimized scenario's file and the commands that replay and minimize it into `histories/`.

use quorate::check::Model;
use quorate::config::{Config, Durability, ReadRepair, Reaping};
use quorate::gen::GenOptions;
use quorate::history::FaultType;
use quorate::store::Dynamo;
use quorate::testing::{assert_model, assert_store_model};

const CASES: u32 = 256;

fn promised(preset: &str) {
    assert_model(&GenOptions::preset(preset), None, CASES);
}

#[test]
fn dynamo_promises_quorum_under_every_fault() {
    promised("dynamo");
}

#[test]
fn weak_promises_eventual_under_every_fault() {
    promised("weak");
}

#[test]
fn sloppy_promises_eventual_under_every_fault() {
    promised("sloppy");
}

#[test]
fn lww_promises_eventual_under_every_fault() {
    promised("lww");
}

#[test]
fn cassandra_promises_eventual_under_every_fault() {
    promised("cassandra");
}

#[test]
fn atomic_promises_atomic_under_every_fault() {
    promised("atomic");
}

#[test]
fn every_preset_converges_after_heal() {
    // Eventual is the weakest promise: convergence (C1–C4), no phantom or dominated values.
    assert_model(&GenOptions::default(), Some(Model::Eventual), CASES);
}

#[test]
fn dynamo_without_faults_is_quorum_with_many_clients() {
    let options = GenOptions::preset("dynamo")
        .no_faults()
        .clients(2..=4)
        .ops_per_client(2..=8);
    assert_model(&options, Some(Model::Quorum), CASES);
}

#[test]
fn dynamo_with_message_faults_only() {
    let options = GenOptions::preset("dynamo").faults(&[FaultType::Loss, FaultType::Duplicate]);
    assert_model(&options, None, CASES);
}

#[test]
fn a_store_of_your_own_is_tested_the_same_way() {
    // What a store author writes: the reference store stands in for theirs.
    let options = GenOptions::preset("dynamo").faults(&[FaultType::Partition, FaultType::Pause]);
    assert_store_model(&options, Model::Quorum, CASES, |config| {
        Dynamo::new(config.clone()).expect("the generated configuration is valid")
    });
}

#[test]
fn dynamo_with_blocking_read_repair_promises_monotonic() {
    let config = Config {
        read_repair: ReadRepair::Blocking,
        ..Config::preset("dynamo").unwrap()
    };
    assert_model(&GenOptions::default().config(config), None, CASES);
}

#[test]
fn dynamo_that_reaps_tombstones_keeps_quorum() {
    // A reaped key reads as never written: the checker allows a reaped delete, and what it
    // overwrote, to be missing from reads and snapshots (and nothing else).
    for reaping in [Reaping::Immediate, Reaping::AfterMs(100)] {
        let config = Config {
            reaping,
            ..Config::preset("dynamo").unwrap()
        };
        assert_model(&GenOptions::default().config(config), None, CASES);
    }
}

#[test]
fn volatile_dynamo_keeps_quorum_except_where_a_crash_loses_data() {
    // A volatile crash may destroy acknowledged writes; the checker then voids M3 and C3 for the
    // run, and everything else must still hold.
    let config = Config {
        durability: Durability::Volatile,
        ..Config::preset("dynamo").unwrap()
    };
    let options = GenOptions::default()
        .config(config)
        .faults(&[FaultType::Crash, FaultType::Partition]);
    assert_model(&options, None, CASES);
}
