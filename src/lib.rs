//! quorate finds consistency bugs in leaderless (Dynamo-style) replicated key-value stores and
//! explains each one with the smallest history that shows it.
//!
//! Data flows one way (see `ARCHITECTURE.md`):
//! scenario → simulator + store → history → checker → report → minimizer → `histories/`.
//!
//! - [`causality`]: dots, version vectors and the dotted sibling set a replica keeps.
//! - [`config`]: a store's configuration (replication, quorums, resolution, repair) and presets.
//! - [`history`]: the history format, its loader and its validation.
//! - [`store`]: the store boundary ([`store::Store`]) and the reference leaderless store.
//! - [`sim`]: the deterministic fault-injecting simulator: scenario → history.
//! - [`cli`]: the `quorate` command line.

pub mod causality;
pub mod cli;
pub mod config;
pub mod history;
pub mod sim;
pub mod store;
