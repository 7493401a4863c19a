//! What a checker concludes, and what it may spend to conclude it: the one [`Verdict`] and the
//! one [`Budget`] of both checkers, the leaderless checker (`crate::check`, in its `CheckOptions`)
//! and general linearizability (`crate::lin`, an argument of each entry point).
//!
//! This module sits below both and uses nothing else of the crate: `lin` uses it, `check` uses it
//! and `lin`, and the command line uses all three. The answer is the same three-way one whichever
//! checker gives it, and `quorate check` says it with the same exit code; only the words differ.
//! A report (`check`) names it [`Verdict::name`]: `valid`, `invalid`, `unknown`; a linearizability
//! result (`lin`) names it `linearizable`, `not-linearizable` (`not linearizable` in text),
//! `unknown` (`lin::verdict_words`).
//!
//! A budget that runs out makes the verdict [`Verdict::Unknown`], never a hang or an out-of-memory
//! kill. What it bounds is each checker's business: `lin` bounds its whole search; `check` bounds
//! each key (the memory of its bitsets, and the time and memory of its register search under
//! LWW). `quorate check --timeout` and `--max-memory` (in MiB, [`MIB`] bytes) fill it for both.
//!
//! ```
//! use quorate::verdict::{Budget, Verdict, MIB};
//!
//! assert_eq!(Verdict::Invalid.name(), "invalid");
//! assert_eq!(Verdict::from_name("unknown"), Some(Verdict::Unknown));
//! let budget = Budget { memory: Some(64 * MIB), ..Budget::unlimited() };
//! assert!(budget.memory_spent(65 * MIB) && !budget.memory_spent(64 * MIB));
//! ```

use std::time::{Duration, Instant};

use serde::Serialize;

/// Whether a history keeps the promise it was checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It keeps it: the history satisfies the model (`check`), or is linearizable under the
    /// sequential model (`lin`).
    Valid,
    /// It breaks it: a forbidden anomaly was found (`check`), or no linearization exists (`lin`).
    Invalid,
    /// Not decided: a budget was spent before a verdict, or (`check`) a required property could
    /// not be decided from the history.
    Unknown,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 3] = [Verdict::Valid, Verdict::Invalid, Verdict::Unknown];

    /// The verdict as reports and regression cases spell it (its JSON form): `valid`, `invalid`,
    /// `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Unknown => "unknown",
        }
    }

    /// The verdict [`Verdict::name`] spells as `name`, if any.
    pub fn from_name(name: &str) -> Option<Verdict> {
        Verdict::ALL
            .into_iter()
            .find(|verdict| verdict.name() == name)
    }
}

/// A mebibyte: the unit of `--max-memory`.
pub const MIB: u64 = 1 << 20;

/// How much a checker may spend before it answers [`Verdict::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time; `None`: no limit. Zero spends nothing: the answer is unknown at once.
    pub time: Option<Duration>,
    /// Memory in bytes, as the checker estimates its own (memo tables, states, bitsets); `None`:
    /// no limit.
    pub memory: Option<u64>,
}

impl Budget {
    /// No limit: the checker runs until it has a verdict.
    pub const fn unlimited() -> Budget {
        Budget {
            time: None,
            memory: None,
        }
    }

    /// Whether the time budget is spent, for work that began at `started`.
    pub fn time_spent(&self, started: Instant) -> bool {
        self.time.is_some_and(|time| started.elapsed() >= time)
    }

    /// Whether `bytes` is more than the memory budget.
    pub fn memory_spent(&self, bytes: u64) -> bool {
        self.memory.is_some_and(|memory| bytes > memory)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{Budget, Verdict};

    #[test]
    fn the_name_is_the_json_form_and_reads_back() {
        for verdict in Verdict::ALL {
            assert_eq!(
                serde_json::to_string(&verdict).unwrap(),
                format!("\"{}\"", verdict.name())
            );
            assert_eq!(Verdict::from_name(verdict.name()), Some(verdict));
        }
        assert_eq!(Verdict::from_name("linearizable"), None);
    }

    #[test]
    fn a_zero_time_budget_is_spent_at_once_and_no_budget_never_is() {
        let started = Instant::now();
        let zero = Budget {
            time: Some(Duration::ZERO),
            memory: Some(0),
        };
        assert!(zero.time_spent(started));
        assert!(zero.memory_spent(1) && !zero.memory_spent(0));
        assert!(!Budget::unlimited().time_spent(started));
        assert!(!Budget::unlimited().memory_spent(u64::MAX));
    }
}
