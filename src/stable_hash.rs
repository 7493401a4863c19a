//! Stable hashes: FNV-1a over bytes and the SplitMix64 finalizer over 64-bit values, the same on
//! every platform, in every run and under every Rust version (never `std`'s process-random
//! hasher, never `rustc-hash`'s Fx hasher, which is for in-memory tables only).
//!
//! These values are part of the file formats and placement: they must never change between
//! versions. A key's home nodes (`store::Ring`), the reference store's object digests and Merkle
//! buckets, the simulator's draws (so the history a scenario's seed gives), the generators'
//! scenarios and the search's Zobrist keys are all computed from these functions; changing a
//! constant here moves every key to other nodes and reshuffles every recorded run.

/// The 64-bit FNV-1a offset basis.
const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
/// The 64-bit FNV-1a prime.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// SplitMix64's increment (the golden ratio in 64 bits): the step of a SplitMix64 sequence, and
/// the first thing [`splitmix64`] adds.
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// FNV-1a (64-bit) of `bytes`, without a finalizer.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
    })
}

/// The SplitMix64 finalizer (its output function, golden-ratio increment included): a bijection
/// of 64-bit values that spreads every input bit over the output.
///
/// Public as `quorate::store::mix`; part of placement and of every simulated run, so it must
/// never change.
pub fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A stable 64-bit hash of bytes: FNV-1a followed by the SplitMix64 finalizer, so that
/// keys differing in one byte land far apart on the ring.
///
/// Public as `quorate::store::stable_hash`: a key's ring position, so it must never change.
pub fn fnv1a_mixed(bytes: &[u8]) -> u64 {
    splitmix64(fnv1a(bytes))
}

/// Advances a SplitMix64-style sequence whose state is `state` and returns its next value.
///
/// Unlike the reference SplitMix64 generator, the value returned is [`splitmix64`] of the new
/// state, which adds the increment a second time; the scenarios generated from a seed depend on
/// exactly this sequence, so it stays as it is.
pub(crate) fn splitmix64_next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN_GAMMA);
    splitmix64(*state)
}

/// A stable hash of a value's `Debug` text (FNV-1a over its bytes, then the SplitMix64
/// finalizer), without building the string: what the exhaustive explorer takes as a state's
/// identity when a store offers nothing better (see `Store::node_hash`).
pub(crate) fn debug_hash(value: &impl std::fmt::Debug) -> u64 {
    struct Fnv(u64);
    impl std::fmt::Write for Fnv {
        fn write_str(&mut self, text: &str) -> std::fmt::Result {
            for &byte in text.as_bytes() {
                self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
            }
            Ok(())
        }
    }
    let mut hasher = Fnv(FNV_OFFSET_BASIS);
    let _ = std::fmt::write(&mut hasher, format_args!("{value:?}"));
    splitmix64(hasher.0)
}

/// A stable hash of a value through its `Hash` implementation: every integer the value writes
/// is folded in with the SplitMix64 finalizer, and bytes eight at a time. Deterministic (no
/// random state), unlike `std`'s hasher; far faster than [`debug_hash`], which formats.
pub(crate) fn hash_of(value: &impl std::hash::Hash) -> u64 {
    let mut hasher = StableHasher(FNV_OFFSET_BASIS);
    value.hash(&mut hasher);
    std::hash::Hasher::finish(&hasher)
}

struct StableHasher(u64);

impl std::hash::Hasher for StableHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            // The chunk's length in the top byte's place, so that "a" and "a\0" differ.
            self.write_u64(u64::from_le_bytes(word) ^ ((chunk.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.write_u64(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = splitmix64(self.0 ^ value);
    }

    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn splitmix64_matches_the_reference_generator() {
        // The reference SplitMix64 generator seeded with 0 yields splitmix64(0), then
        // splitmix64(GOLDEN_GAMMA), ...
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(splitmix64(GOLDEN_GAMMA), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn the_values_never_change() {
        // Pinned: placement, digests and every seeded run depend on these exact values.
        assert_eq!(fnv1a_mixed(b"k0"), 0x818b_a4c7_a135_317f);
        assert_eq!(fnv1a_mixed(b"cart"), 0x7135_f409_030e_e8dd);
        let mut state = 7;
        assert_eq!(splitmix64_next(&mut state), 0x044c_3cd7_f43c_661c);
        assert_eq!(state, 7 + GOLDEN_GAMMA);
    }

    #[test]
    fn hash_of_tells_apart_what_differs_and_only_that() {
        let same = hash_of(&(1u64, "ab", vec![3u32]));
        assert_eq!(same, hash_of(&(1u64, "ab", vec![3u32])));
        for other in [
            hash_of(&(2u64, "ab", vec![3u32])),
            hash_of(&(1u64, "a", vec![3u32])),
            hash_of(&(1u64, "ab", vec![3u32, 0])),
            hash_of(&(1u64, "ab\0", vec![3u32])),
        ] {
            assert_ne!(same, other);
        }
        assert_ne!(debug_hash(&"ab"), debug_hash(&"ba"));
    }
}
