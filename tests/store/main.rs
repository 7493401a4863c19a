//! The reference store in the simulator: its mechanisms, faults and determinism, the presets' promises, the zoo's bugs, and explore's campaign.
//!
//! One test binary for these files (each a module): linking one binary instead of one per file
//! is most of what a test build costs on a small machine.

#[path = "../common/mod.rs"]
mod common;

mod causality_laws;
mod convergence_obligation;
mod explore;
mod placement;
mod properties;
mod sim_checked;
mod sim_determinism;
mod sim_faults;
mod sim_mechanisms;
mod zoo;
