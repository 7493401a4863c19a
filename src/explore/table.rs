//! The table `quorate explore` prints: one row per configuration, one column per anomaly kind.

use std::fmt::Write as _;

use crate::check::{AnomalyKind, LwwCause};
use crate::config::Resolution;

use super::summary::Summary;

/// The table: one row per configuration, one column per anomaly kind found anywhere (cases that
/// showed it; `*` when the configuration's promise forbade it in some of them), the share of
/// acknowledged puts lost, the model promised and the strongest model every case satisfied.
pub fn table(summary: &Summary) -> String {
    let kinds: Vec<AnomalyKind> = AnomalyKind::ALL
        .into_iter()
        .filter(|kind| {
            summary
                .configs
                .iter()
                .any(|config| config.kinds.contains_key(kind))
        })
        .collect();
    let mut header: Vec<String> = vec!["configuration".into(), "cases".into(), "invalid".into()];
    header.extend(kinds.iter().map(|kind| kind.name().to_string()));
    header.extend([
        "acked puts lost".to_string(),
        "lost to skew".to_string(),
        "promises".to_string(),
        "satisfied".to_string(),
    ]);
    let mut rows: Vec<Vec<String>> = vec![header];
    for config in &summary.configs {
        let mut row = vec![
            config.label.clone(),
            config.cases.to_string(),
            config.cases_invalid.to_string(),
        ];
        for kind in &kinds {
            row.push(match config.kinds.get(kind) {
                None => "-".to_string(),
                Some(tally) if tally.forbidden_cases > 0 => format!("{}*", tally.cases),
                Some(tally) => tally.cases.to_string(),
            });
        }
        row.push(match config.lost_percent() {
            None => "-".to_string(),
            Some(percent) => format!(
                "{}/{} ({percent:.1}%)",
                config.puts_lost, config.puts_acknowledged
            ),
        });
        row.push(if config.config.resolution == Resolution::Lww {
            config
                .lww_lost_writes
                .get(&LwwCause::ClockSkew)
                .copied()
                .unwrap_or(0)
                .to_string()
        } else {
            "-".to_string()
        });
        row.push(config.promised.to_string());
        row.push(
            config
                .strongest_model
                .map_or("-".to_string(), |kept| kept.name().to_string()),
        );
        rows.push(row);
    }
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            if column == 0 {
                let _ = write!(line, "{cell:<width$}", width = widths[column]);
            } else {
                let _ = write!(line, "  {cell:>width$}", width = widths[column]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
