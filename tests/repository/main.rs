//! Rules about the repository itself: the documents are true to the code, the features are all on by default, and the modules keep their layers.
//!
//! One test binary for these files (each a module): linking one binary instead of one per file
//! is most of what a test build costs on a small machine.

mod docs;
mod features;
mod layering;
