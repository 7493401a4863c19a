//! quorate finds consistency bugs in leaderless (Dynamo-style) replicated key-value stores and
//! explains each one with the smallest history that shows it.
//!
//! Data flows one way (see `ARCHITECTURE.md`):
//! scenario → simulator + store → history → checker → report → minimizer → `histories/`.
//!
//! Three ways to use it:
//!
//! 1. **The command line** (`cargo install --path .`, feature `cli`): `quorate check FILE` judges a
//!    history (quorate's JSON, or Knossos/Jepsen EDN, Jepsen logs, Porcupine logs) and exits 1 on
//!    a forbidden anomaly; `quorate explore` runs a campaign of generated faulty scenarios against
//!    every preset of the reference store and saves the smallest witness of each anomaly;
//!    `quorate sim`, `minimize`, `render` and `replay` cover one scenario, one witness, one
//!    picture and the regression cases of `histories/` (docs/DESIGN.md §8).
//! 2. **`cargo test`** in a store's own crate, through [`testing`] (below).
//! 3. **`cargo fuzz`**: the targets in `fuzz/` call [`fuzzing`]'s bodies (`cargo fuzz run -s none
//!    scenario` on stable Rust); a crash artifact becomes a regression case with
//!    `quorate fuzz-artifact`.
//!
//! In a store's own tests, "this store under partitions and crashes keeps the `quorum` promise"
//! is three lines (see [`testing`]); a failure prints its seed, the scenario file and the
//! commands that replay it and minimize it into `histories/`:
//!
//! ```
//! use quorate::gen::GenOptions;
//! use quorate::history::FaultType;
//! let options = GenOptions::preset("dynamo").faults(&[FaultType::Partition, FaultType::Crash]);
//! quorate::testing::assert_model(&options, Some(quorate::check::Model::Quorum), 8);
//! ```
//!
//! - [`causality`]: dots, version vectors and the dotted sibling set a replica keeps.
//! - [`config`]: a store's configuration (replication, quorums, resolution, repair) and presets.
//! - [`fuzzing`]: the bodies of the `cargo fuzz` targets, so `cargo test` runs them too.
//! - [`history`]: the history format, its loader and its validation.
//! - [`lin`]: general linearizability checking (Wing–Gong–Lowe) and the models of external histories.
//! - [`store`]: the store boundary ([`store::Store`]) and the reference leaderless store.
//! - [`sim`]: the deterministic fault-injecting simulator: scenario → history.
//! - [`render`]: a history as a self-contained HTML timeline.
//! - [`staleness`]: the PBS table of how soon a partial quorum read sees a write.
//! - [`zoo`]: the bug zoo's focused hunts: find and minimize each deliberate store bug.
//! - [`cli`]: the `quorate` command line.
//! - [`testing`]: the API a store author calls from `cargo test` (check a scenario, assert a model).
//! - [`minimize`]: delta debugging of a failing scenario, then of its history.
//! - [`regressions`]: the regression cases of `histories/` and their replay.
//! - [`exhaust`]: exhaustive exploration: every schedule of a small scenario, with sleep sets.
//! - [`explore`]: the explore campaign: many cases per configuration, a table, the smallest witnesses.
//! - [`gen`]: random scenarios for property tests (proptest, quickcheck, arbitrary) and their shrinking.
//! - [`verdict`]: the verdict both checkers ([`check`] and [`lin`]) answer, and the budget they answer within.
//!
//! Features (all on by default): `cli` (the binary, [`cli`], and with it [`explore`] and
//! [`fuzzing`]), `proptest` ([`gen::scenarios`] and [`testing`]), `quickcheck` and `arbitrary`
//! (those traits for [`sim::Scenario`]; `arbitrary` also [`explore`]), `fuzzing` ([`fuzzing`]).
//! Without default features the library checks histories, simulates and minimizes with no
//! command-line or property-testing crate.

#![forbid(unsafe_code)]
// Every public item says what it is: `cargo clippy -D warnings` and `cargo doc -D warnings` (both in
// `.ci/run`) fail on one without a doc comment.
#![warn(missing_docs)]

pub mod causality;
mod cause;
pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
pub mod exhaust;
#[cfg(feature = "arbitrary")]
pub mod explore;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod gen;
pub mod history;
pub mod lin;
pub mod minimize;
#[cfg(unix)]
pub mod process;
pub mod regressions;
pub mod render;
pub mod sim;
mod stable_hash;
pub mod staleness;
pub mod store;
#[cfg(feature = "proptest")]
pub mod testing;
pub mod verdict;
pub mod zoo;
