//! The generators, shrinkers and history format: scenarios from proptest, quickcheck and arbitrary bytes; minimization; the history file's rules and readers.
//!
//! One test binary for these files (each a module): linking one binary instead of one per file
//! is most of what a test build costs on a small machine.

mod fuzz_bodies;
mod gen_scenarios;
mod history_fast_path;
mod history_format;
mod minimize_scenarios;
mod quickcheck_properties;
