//! Witnesses: for each configuration and anomaly kind worth one, the smallest case that showed
//! it, minimized (by [`crate::minimize`], the one "make a failure small" there is) into a
//! regression case and its timeline.

use crate::check::AnomalyKind;
use crate::minimize::{minimize, MinimizeError, Target};
use crate::regressions::Regression;
use crate::render::{render_html, Highlight};

use super::campaign::{Campaign, CaseId};
use super::summary::{CaseRef, KindTally, Summary};

/// The anomaly kinds a witness is kept for: every kind but `failed_write_visible`, which every
/// model allows and which a leaderless store shows by design, unless a model forbids it.
pub fn wants_witness(kind: AnomalyKind, tally: &KindTally) -> bool {
    kind != AnomalyKind::FailedWriteVisible || tally.forbidden_cases > 0
}

/// One witness to find: a configuration, a kind and the case to minimize.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WitnessTarget {
    /// The configuration's position in the campaign.
    pub config: usize,
    /// The anomaly kind.
    pub kind: AnomalyKind,
    /// The case to minimize.
    pub case: CaseRef,
    /// Whether the case showed the kind forbidden, which the witness then keeps.
    pub forbidden: bool,
}

/// What to minimize: per configuration and kind worth a witness, the smallest case where the
/// configuration's promise forbade it, or, when none did, the smallest case that showed it. A
/// forbidden finding's witness stays forbidden (its replay fails as the case did).
pub fn witness_targets(summary: &Summary) -> Vec<WitnessTarget> {
    let mut targets = Vec::new();
    for (position, config) in summary.configs.iter().enumerate() {
        for kind in AnomalyKind::ALL {
            if let Some(tally) = config.kinds.get(&kind) {
                if wants_witness(kind, tally) {
                    targets.push(WitnessTarget {
                        config: position,
                        kind,
                        case: tally.smallest_forbidden.unwrap_or(tally.smallest),
                        forbidden: tally.smallest_forbidden.is_some(),
                    });
                }
            }
        }
    }
    targets
}

/// A minimized witness, ready to save.
#[derive(Clone, Debug)]
pub struct FoundWitness {
    /// The configuration's position in the campaign.
    pub config: usize,
    /// The anomaly kind it shows.
    pub kind: AnomalyKind,
    /// The index of the case it was minimized from.
    pub case_index: u64,
    /// The minimized case, as a regression file holds it.
    pub case: Regression,
    /// The timeline of the minimized history.
    pub html: String,
    /// Whether the configuration's promise forbids the kind.
    pub forbidden: bool,
}

impl FoundWitness {
    /// The file name of the case (`LABEL-KIND.json`), with the label made file-safe.
    pub fn file_stem(&self, campaign: &Campaign) -> String {
        let label: String = campaign.configs[self.config]
            .label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        format!("{label}-{}", self.kind)
    }
}

/// Minimizes the scenario of one case for one kind (against the model its configuration
/// promises, forbidden if the target says so) into a regression case and its timeline.
pub fn find_witness(
    campaign: &Campaign,
    target: &WitnessTarget,
) -> Result<FoundWitness, MinimizeError> {
    let WitnessTarget {
        config, kind, case, ..
    } = *target;
    let case_index = case.index;
    let scenario = campaign.scenario(CaseId {
        config,
        index: case_index,
    });
    let seed = scenario.seed;
    let target = Target {
        model: None,
        kind,
        forbidden: target.forbidden,
    };
    let (small, history, report) = minimize(&scenario, target)?;
    let forbidden = report
        .anomalies
        .iter()
        .any(|finding| finding.forbidden && finding.anomaly.kind() == kind);
    let label = &campaign.configs[config].label;
    let title = format!(
        "{label}: {kind} (explore seed {}, case {case_index}, scenario seed {seed})",
        campaign.seed
    );
    let found_by = format!(
        "{} (case {case_index}, scenario seed {seed})",
        campaign.command(config)
    );
    let postmortem = format!(
        "The smallest history the explore campaign found in which the {label} configuration shows {kind}{}.",
        if forbidden {
            ", which the model it promises forbids"
        } else {
            ", which the model it promises allows"
        }
    );
    let html = render_html(&history, &Highlight::from_report(&report), &title);
    let case = Regression::new(
        &title,
        &postmortem,
        &found_by,
        None,
        small,
        history,
        &report,
    );
    Ok(FoundWitness {
        config,
        kind,
        case_index,
        case,
        html,
        forbidden,
    })
}
