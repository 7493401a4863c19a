//! Randomness keyed by stable identities: every draw is a hash of the seed and the identity of
//! what it decides (a client's step; a message or timer, named by the event that caused it and
//! its rank among that event's effects), so removing one operation while shrinking does not
//! reshuffle the draws of everything else.

use crate::stable_hash::splitmix64;

/// What a draw decides; part of its key, so that different decisions never share a draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    Latency = 1,
    Loss = 2,
    Duplicate = 3,
    DuplicateLatency = 4,
    Route = 5,
    Reorder = 6,
}

/// The draw for `stream` about the thing named `key`, under `seed`.
pub(crate) fn draw(seed: u64, stream: Stream, key: u64) -> u64 {
    splitmix64(splitmix64(seed ^ ((stream as u64) << 56)) ^ key)
}

/// A name made of parts, order mattering.
pub(crate) fn identity(parts: &[u64]) -> u64 {
    parts.iter().fold(0x0001_de47_17e5, |name, &part| {
        splitmix64(name ^ splitmix64(part))
    })
}

/// A uniform draw in `0..bound` (0 when `bound` is 0), by multiply-shift (no modulo bias to speak
/// of at the sizes we use).
pub(crate) fn below(random: u64, bound: u64) -> u64 {
    ((u128::from(random) * u128::from(bound)) >> 64) as u64
}

/// A uniform draw in (0, 1].
pub(crate) fn unit(random: u64) -> f64 {
    ((random >> 11) + 1) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_depend_on_every_part_of_the_key() {
        let key = identity(&[2, 3, 4]);
        let base = draw(1, Stream::Latency, key);
        assert_ne!(base, draw(2, Stream::Latency, key));
        assert_ne!(base, draw(1, Stream::Loss, key));
        assert_ne!(base, draw(1, Stream::Latency, identity(&[3, 2, 4])));
        assert_eq!(base, draw(1, Stream::Latency, identity(&[2, 3, 4])));
        assert!(below(u64::MAX, 10) < 10);
        assert!(unit(0) > 0.0 && unit(u64::MAX) <= 1.0);
    }
}
