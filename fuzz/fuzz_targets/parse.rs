//! bytes → every history loader and importer: never a panic, and a loaded quorate history
//! survives a JSON round trip. The body lives in `quorate::fuzzing` so `cargo test` runs it too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quorate::fuzzing::parse(data);
});
