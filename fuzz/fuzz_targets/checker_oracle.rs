//! Small histories → the polynomial MVR-linearizability decision against the brute-force oracle;
//! any disagreement is a crash. The body lives in `quorate::fuzzing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quorate::fuzzing::checker_oracle(data);
});
