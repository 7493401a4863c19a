//! bytes → a scenario (via `arbitrary`) → the simulator → the checker; a forbidden anomaly under
//! the configuration's own model is a crash naming the anomaly and the replay commands.
//! `quorate fuzz-artifact ARTIFACT` turns a crash into a regression case. `QUORATE_FUZZ_BUGS`
//! (read once, here) switches bug-zoo bugs on.
#![no_main]

use std::collections::BTreeSet;
use std::sync::OnceLock;

use quorate::config::Bug;

fn bugs() -> &'static BTreeSet<Bug> {
    static BUGS: OnceLock<BTreeSet<Bug>> = OnceLock::new();
    BUGS.get_or_init(|| {
        quorate::fuzzing::bugs_from_environment().unwrap_or_else(|error| panic!("{error}"))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quorate::fuzzing::scenario(data, bugs());
});
