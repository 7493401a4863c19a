//! bytes → a scenario (via `arbitrary`) → the simulator → the checker; a forbidden anomaly under
//! the configuration's own model is a crash naming the anomaly and the replay commands.
//! `quorate fuzz-artifact ARTIFACT` turns a crash into a regression case.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quorate::fuzzing::scenario(data);
});
