//! Probabilistically Bounded Staleness: how likely a read started `t` ms after a write was
//! acknowledged is to see it, for partial quorums (Bailis et al., VLDB 2012, the WARS model).
//!
//! This module owns the WARS Monte Carlo and the latency models of the PBS paper. A trial draws,
//! for each of the n replicas, the write's delay to the replica (W), the acknowledgement's delay
//! back (A), the read request's delay (R) and the response's delay (S). The write is acknowledged
//! when the w-th fastest W + A arrives; a read starting t ms later returns with the r fastest
//! R + S responders, and it sees the write when one of them had received the write before the
//! read request reached it (W ≤ commit + t + R). Every t is evaluated on the same draws, so the
//! probabilities are monotone in t, and r + w > n gives exactly 1.
//!
//! What it must never do: read the wall clock or an unseeded random source; every draw flows from
//! the seed.
//!
//! ```
//! use quorate::staleness::{probability_consistent, LatencyModel};
//!
//! let model = LatencyModel::parse("lnkd-ssd").unwrap();
//! let table = probability_consistent(&model, 3, 2, 2, &[0.0], 1_000, 7);
//! assert_eq!(table, vec![1.0]); // r + w > n: every read sees the write
//! ```

use std::fmt;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// A latency distribution in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// Always this many milliseconds.
    Constant {
        /// The delay, in milliseconds.
        ms: f64,
    },
    /// Uniform between `ms_min` and `ms_max`.
    Uniform {
        /// The shortest delay, in milliseconds.
        ms_min: f64,
        /// The longest delay, in milliseconds (at least `ms_min`).
        ms_max: f64,
    },
    /// Exponential with mean `1 / rate_per_ms`.
    Exponential {
        /// The rate, per millisecond (positive).
        rate_per_ms: f64,
    },
    /// Pareto: at least `ms_scale`, with a heavy tail.
    Pareto {
        /// The smallest delay, in milliseconds.
        ms_scale: f64,
        /// The tail index (larger: lighter tail).
        shape: f64,
    },
    /// With probability `weight` the first distribution, otherwise the second.
    Mixture {
        /// The probability of drawing from `first`, in [0, 1].
        weight: f64,
        /// The distribution drawn with probability `weight`.
        first: Box<Distribution>,
        /// The distribution drawn otherwise.
        second: Box<Distribution>,
    },
}

impl Distribution {
    /// One draw, from a uniform sample in [0, 1).
    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        match self {
            Distribution::Constant { ms } => *ms,
            Distribution::Uniform { ms_min, ms_max } => ms_min + (ms_max - ms_min) * unit(rng),
            Distribution::Exponential { rate_per_ms } => -(1.0 - unit(rng)).ln() / rate_per_ms,
            Distribution::Pareto { ms_scale, shape } => {
                ms_scale * (1.0 - unit(rng)).powf(-1.0 / shape)
            }
            Distribution::Mixture {
                weight,
                first,
                second,
            } => {
                if unit(rng) < *weight {
                    first.sample(rng)
                } else {
                    second.sample(rng)
                }
            }
        }
    }
}

/// A uniform draw in [0, 1) with 53 random bits.
fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The four delays of the WARS model.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyModel {
    /// The specification it was parsed from (e.g. `lnkd-ssd`).
    pub name: String,
    /// Write request, coordinator to replica.
    pub write: Distribution,
    /// Write acknowledgement, replica to coordinator.
    pub ack: Distribution,
    /// Read request, coordinator to replica.
    pub read: Distribution,
    /// Read response, replica to coordinator.
    pub response: Distribution,
}

/// A latency specification that could not be understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("latency {spec:?}: {reason}; use lnkd-ssd, lnkd-disk, ymmr, const:MS, uniform:MIN:MAX or exp:MEAN_MS")]
pub struct LatencyError {
    spec: String,
    reason: String,
}

fn pareto_exponential_mixture(
    weight: f64,
    ms_scale: f64,
    shape: f64,
    rate_per_ms: f64,
) -> Distribution {
    Distribution::Mixture {
        weight,
        first: Box::new(Distribution::Pareto { ms_scale, shape }),
        second: Box::new(Distribution::Exponential { rate_per_ms }),
    }
}

impl LatencyModel {
    /// The same distribution for all four delays.
    pub fn uniform_delays(name: &str, delay: Distribution) -> LatencyModel {
        LatencyModel {
            name: name.to_string(),
            write: delay.clone(),
            ack: delay.clone(),
            read: delay.clone(),
            response: delay,
        }
    }

    /// The PBS paper's fits of LinkedIn's and Yammer's production latencies (Table 3), or a
    /// simple distribution used for all four delays: `const:MS`, `uniform:MIN:MAX`, `exp:MEAN_MS`.
    pub fn parse(spec: &str) -> Result<LatencyModel, LatencyError> {
        let error = |reason: &str| LatencyError {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let linkedin_ssd = pareto_exponential_mixture(0.9122, 0.235, 10.0, 1.66);
        match spec {
            "lnkd-ssd" => return Ok(LatencyModel::uniform_delays(spec, linkedin_ssd)),
            "lnkd-disk" => {
                let mut model = LatencyModel::uniform_delays(spec, linkedin_ssd);
                model.write = pareto_exponential_mixture(0.38, 1.05, 1.51, 0.183);
                return Ok(model);
            }
            "ymmr" => {
                let mut model = LatencyModel::uniform_delays(
                    spec,
                    pareto_exponential_mixture(0.982, 1.5, 3.8, 0.0217),
                );
                model.write = pareto_exponential_mixture(0.939, 3.0, 3.35, 0.0028);
                return Ok(model);
            }
            _ => {}
        }
        let mut parts = spec.split(':');
        let kind = parts.next().unwrap_or_default();
        let numbers = parts
            .map(|part| match part.parse::<f64>() {
                Ok(number) if number.is_finite() && number >= 0.0 => Ok(number),
                _ => Err(error(&format!(
                    "{part:?} is not a non-negative number of milliseconds"
                ))),
            })
            .collect::<Result<Vec<f64>, LatencyError>>()?;
        let delay = match (kind, numbers.as_slice()) {
            // `constant` and `exponential` are the spellings of `quorate sim --latency`, accepted
            // here too.
            ("constant" | "const", [ms]) => Distribution::Constant { ms: *ms },
            ("uniform", [ms_min, ms_max]) if ms_min <= ms_max => Distribution::Uniform {
                ms_min: *ms_min,
                ms_max: *ms_max,
            },
            ("uniform", [_, _]) => return Err(error("the minimum is larger than the maximum")),
            ("exponential" | "exp", [mean]) if *mean > 0.0 => Distribution::Exponential {
                rate_per_ms: 1.0 / mean,
            },
            ("exponential" | "exp", [_]) => return Err(error("the mean must be positive")),
            ("constant" | "const" | "uniform" | "exponential" | "exp", _) => {
                return Err(error("wrong number of parameters"))
            }
            _ => return Err(error("unknown latency model")),
        };
        Ok(LatencyModel::uniform_delays(spec, delay))
    }
}

/// The probability, for each `t` in `times_ms_after_ack`, that a read started t ms after the
/// write was acknowledged returns it; n replicas, r replies, w acknowledgements, `trials` draws.
pub fn probability_consistent(
    model: &LatencyModel,
    n: usize,
    r: usize,
    w: usize,
    times_ms_after_ack: &[f64],
    trials: u64,
    seed: u64,
) -> Vec<f64> {
    assert!(
        1 <= r && r <= n && 1 <= w && w <= n,
        "quorums must satisfy 1 ≤ r, w ≤ n"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut consistent = vec![0u64; times_ms_after_ack.len()];
    let mut write_arrival = vec![0.0; n];
    let mut write_round_trip = vec![0.0; n];
    let mut read_request = vec![0.0; n];
    let mut responders: Vec<usize> = (0..n).collect();
    let mut read_round_trip = vec![0.0; n];
    for _ in 0..trials {
        for replica in 0..n {
            write_arrival[replica] = model.write.sample(&mut rng);
            write_round_trip[replica] = write_arrival[replica] + model.ack.sample(&mut rng);
            read_request[replica] = model.read.sample(&mut rng);
            read_round_trip[replica] = read_request[replica] + model.response.sample(&mut rng);
        }
        let mut acks = write_round_trip.clone();
        acks.sort_by(f64::total_cmp);
        let commit = acks[w - 1];
        responders.sort_by(|&a, &b| read_round_trip[a].total_cmp(&read_round_trip[b]));
        for (slot, t) in times_ms_after_ack.iter().enumerate() {
            let sees_write = responders[..r]
                .iter()
                .any(|&replica| write_arrival[replica] <= commit + t + read_request[replica]);
            consistent[slot] += u64::from(sees_write);
        }
    }
    consistent
        .into_iter()
        .map(|count| count as f64 / trials.max(1) as f64)
        .collect()
}

/// The staleness table: one row per (r, w), one column per t.
#[derive(Clone, Debug, PartialEq)]
pub struct StalenessTable {
    /// The latency model's name.
    pub model: String,
    /// Replicas per key.
    pub n: usize,
    /// Monte Carlo trials per (r, w).
    pub trials: u64,
    /// The times after the acknowledgement at which a read starts, in milliseconds.
    pub times_ms_after_ack: Vec<f64>,
    /// (r, w, probability for each t).
    pub rows: Vec<(usize, usize, Vec<f64>)>,
}

/// The table for every r, w in 1..=n.
pub fn staleness_table(
    model: &LatencyModel,
    n: usize,
    times_ms_after_ack: &[f64],
    trials: u64,
    seed: u64,
) -> StalenessTable {
    let mut rows = Vec::new();
    for r in 1..=n {
        for w in 1..=n {
            let probabilities =
                probability_consistent(model, n, r, w, times_ms_after_ack, trials, seed);
            rows.push((r, w, probabilities));
        }
    }
    StalenessTable {
        model: model.name.clone(),
        n,
        trials,
        times_ms_after_ack: times_ms_after_ack.to_vec(),
        rows,
    }
}

impl fmt::Display for StalenessTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "P(a read started t ms after the write was acknowledged returns it), latency {}, n = {}, {} trials",
            self.model, self.n, self.trials
        )?;
        write!(f, "{:<10}", "r, w")?;
        for t in &self.times_ms_after_ack {
            write!(f, "{:>10}", format!("t={t} ms"))?;
        }
        writeln!(f)?;
        for (r, w, probabilities) in &self.rows {
            let strict = if r + w > self.n { " (r+w>n)" } else { "" };
            write!(f, "{:<10}", format!("{r}, {w}"))?;
            for probability in probabilities {
                write!(f, "{:>9.2}%", probability * 100.0)?;
            }
            writeln!(f, "{strict}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_quorums_always_see_the_write() {
        let model = LatencyModel::parse("ymmr").unwrap();
        for (r, w) in [(1, 3), (2, 2), (3, 1), (3, 3)] {
            assert_eq!(
                probability_consistent(&model, 3, r, w, &[0.0, 1.0], 2_000, 1),
                vec![1.0, 1.0]
            );
        }
    }

    #[test]
    fn linkedin_ssd_is_in_the_high_nineties_at_t0_and_grows_with_t() {
        let model = LatencyModel::parse("lnkd-ssd").unwrap();
        let times = [0.0, 1.0, 5.0, 10.0, 100.0];
        let probabilities = probability_consistent(&model, 3, 1, 1, &times, 50_000, 42);
        assert!(
            (0.95..0.995).contains(&probabilities[0]),
            "{probabilities:?}"
        );
        assert!(
            probabilities.windows(2).all(|pair| pair[0] <= pair[1]),
            "{probabilities:?}"
        );
        assert!(probabilities[4] > 0.9999, "{probabilities:?}");
    }

    #[test]
    fn a_slow_write_path_makes_partial_quorums_stale() {
        // Writes take 10 ms to reach a replica, reads 1 ms: an r = w = 1 read right after the
        // acknowledgement finds the other two replicas without the write.
        let mut model = LatencyModel::uniform_delays("test", Distribution::Constant { ms: 1.0 });
        model.write = Distribution::Uniform {
            ms_min: 0.0,
            ms_max: 10.0,
        };
        let probabilities = probability_consistent(&model, 3, 1, 1, &[0.0, 20.0], 10_000, 3);
        assert!(probabilities[0] < 0.8, "{probabilities:?}");
        assert_eq!(probabilities[1], 1.0);
    }

    #[test]
    fn same_seed_same_table() {
        let model = LatencyModel::parse("exp:2").unwrap();
        let once = probability_consistent(&model, 3, 1, 1, &[0.0, 1.0], 1_000, 9);
        assert_eq!(
            once,
            probability_consistent(&model, 3, 1, 1, &[0.0, 1.0], 1_000, 9)
        );
    }

    #[test]
    fn bad_latency_specs_are_errors() {
        let message = |spec: &str| LatencyModel::parse(spec).unwrap_err().to_string();
        assert!(message("lnkd").contains("unknown latency model"));
        assert!(message("exp:-1").contains("\"-1\" is not a non-negative number"));
        assert!(message("uniform:5:1").contains("the minimum is larger than the maximum"));
        assert!(message("const").contains("wrong number of parameters"));
        assert!(message("exp:0").contains("the mean must be positive"));
    }

    #[test]
    fn both_spellings_of_a_latency_mean_the_same() {
        let table = |spec: &str| {
            let model = LatencyModel::parse(spec).unwrap();
            probability_consistent(&model, 3, 1, 1, &[0.0, 1.0, 5.0], 2_000, 4)
        };
        assert_eq!(table("exponential:2"), table("exp:2"));
        assert_eq!(table("constant:3"), table("const:3"));
    }
}
