//! The checkers: the leaderless checker's properties, fixtures, reports and differential oracles, and the linearizability checker on generated histories and external corpora.
//!
//! One test binary for these files (each a module): linking one binary instead of one per file
//! is most of what a test build costs on a small machine.

#[path = "../check_support/mod.rs"]
mod check_support;

mod check_differential;
mod check_file_order;
mod check_fixtures;
mod check_properties;
mod check_reports;
mod import_malformed;
mod lin_corpora;
mod lin_differential;
mod reaping_check;
