//! Hashing for the search's tables: rustc's FxHash, a pass-through hasher for keys that are
//! already well-mixed 64-bit hashes, and SplitMix64 (from `crate::stable_hash`) for Zobrist keys.
//! Nothing here is random at run time: the search is deterministic.

use std::hash::{BuildHasherDefault, Hasher};

/// The Fx multiplier, for the pass-through hasher's rare byte input.
const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// rustc's FxHash (`rustc-hash`): good enough for small keys, and far faster than SipHash.
pub(super) type FxBuild = rustc_hash::FxBuildHasher;

/// Passes a `u64` key through unchanged: for keys that are already Zobrist hashes.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct PassThroughHasher {
    hash: u64,
}

impl Hasher for PassThroughHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.hash = (self.hash.rotate_left(8) ^ u64::from(byte)).wrapping_mul(FX_SEED);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.hash = value;
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

pub(super) type PassThroughBuild = BuildHasherDefault<PassThroughHasher>;

/// SplitMix64's output function: a bijective mix of a 64-bit value, for Zobrist keys.
pub(super) use crate::stable_hash::splitmix64;
