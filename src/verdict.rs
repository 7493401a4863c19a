//! What a checker concludes: the one [`Verdict`] of both checkers, the leaderless checker
//! (`crate::check`) and general linearizability (`crate::lin`).
//!
//! This module sits below both and uses nothing else of the crate: `lin` uses it, `check` uses it
//! and `lin`, and the command line uses all three. The answer is the same three-way one whichever
//! checker gives it, and `quorate check` says it with the same exit code; only the words differ.
//! A report (`check`) names it [`Verdict::name`]: `valid`, `invalid`, `unknown`; a linearizability
//! result (`lin`) names it `linearizable`, `not-linearizable` (`not linearizable` in text),
//! `unknown` (`lin::verdict_words`).
//!
//! ```
//! use quorate::verdict::Verdict;
//!
//! assert_eq!(Verdict::Invalid.name(), "invalid");
//! assert_eq!(Verdict::from_name("unknown"), Some(Verdict::Unknown));
//! ```

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

#[cfg(test)]
mod tests {
    use super::Verdict;

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
}
