//! `quorate staleness`: the PBS table — how likely a read t ms after an acknowledged write sees it.

use crate::config::Config;
use crate::staleness::{staleness_table, LatencyModel};

use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A preset name or a configuration file; only its n (replicas per key) is used.
    #[arg(long, default_value = "dynamo")]
    config: String,
    /// Latency model: lnkd-ssd, lnkd-disk, ymmr (the PBS paper's production fits), constant:MS,
    /// uniform:MIN:MAX or exponential:MEAN_MS (`const:` and `exp:` are accepted too).
    #[arg(long, default_value = "lnkd-ssd")]
    latency: String,
    /// Times after the acknowledgement at which reads start, in milliseconds.
    #[arg(long, value_delimiter = ',', default_value = "0,1,5,10,100")]
    times_ms: Vec<f64>,
    /// Monte Carlo trials per (r, w).
    #[arg(long, default_value_t = 100_000)]
    trials: u64,
    /// The seed every draw flows from.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The most latency draws one table may take (some ten seconds of work in a release build), so that a large
/// configuration is refused at once instead of running for hours in silence.
const DRAWS_MAX: u128 = 100_000_000;

pub(super) fn run(args: &Args) -> Exit {
    let config = match Config::from_preset_or_file(&args.config) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("quorate staleness: {error}");
            return Exit::BadInput;
        }
    };
    let model = match LatencyModel::parse(&args.latency) {
        Ok(model) => model,
        Err(error) => {
            eprintln!("quorate staleness: {error}");
            return Exit::BadInput;
        }
    };
    if args.trials == 0 || args.times_ms.iter().any(|t| !t.is_finite() || *t < 0.0) {
        eprintln!(
            "quorate staleness: --trials must be at least 1 and --times-ms non-negative numbers"
        );
        return Exit::BadInput;
    }
    // Every (r, w) pair draws about n latencies per trial: n³ × trials draws in all.
    let n = u128::from(config.n);
    let draws = n * n * n * u128::from(args.trials);
    if draws > DRAWS_MAX {
        let trials_max = DRAWS_MAX / (n * n * n);
        let advice = if trials_max == 0 {
            format!(
                "n = {} is too large for this table even with one trial",
                config.n
            )
        } else {
            format!("lower --trials to at most {trials_max}")
        };
        eprintln!(
            "quorate staleness: n = {} with --trials {} needs about {draws} latency draws, more than the {DRAWS_MAX} (some seconds) this command takes on; {advice}",
            config.n,
            args.trials,
        );
        return Exit::BadInput;
    }
    let table = staleness_table(
        &model,
        config.n as usize,
        &args.times_ms,
        args.trials,
        args.seed,
    );
    say_raw!("{table}");
    Exit::Valid
}
