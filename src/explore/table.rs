//! The tables `quorate explore` prints: one row per configuration, one column per anomaly kind;
//! and the coverage probes, one row per probe.

use std::fmt::Write as _;

use crate::check::{AnomalyKind, LwwCause};
use crate::config::Resolution;
use crate::store::Dynamo;

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
    aligned(&rows)
}

/// The reference store's coverage probes: per probe, the cases that hit it over every row, in
/// how many rows, and the row that hit it least; then the probes no case hit (each expected-rare
/// one with its reason).
pub fn probe_table(summary: &Summary) -> String {
    let probes = Dynamo::probe_list();
    let mut rows: Vec<Vec<String>> = vec![vec![
        "probe".into(),
        "cases".into(),
        "rows".into(),
        "fewest in a row".into(),
    ]];
    let mut never = Vec::new();
    for probe in probes {
        let per_row: Vec<(&str, u64)> = summary
            .configs
            .iter()
            .map(|config| {
                let cases = config.probe_cases.get(probe.name).copied().unwrap_or(0);
                (config.label.as_str(), cases)
            })
            .collect();
        let total: u64 = per_row.iter().map(|(_, cases)| cases).sum();
        if total == 0 {
            never.push(match probe.rare {
                Some(reason) => format!("{} (expected rare: {reason})", probe.name),
                None => probe.name.to_string(),
            });
        }
        let hit_rows = per_row.iter().filter(|(_, cases)| *cases > 0).count();
        let fewest = per_row
            .iter()
            .filter(|(_, cases)| *cases > 0)
            .min_by_key(|(_, cases)| *cases)
            .map_or("-".to_string(), |(label, cases)| {
                format!("{cases} ({label})")
            });
        rows.push(vec![
            probe.name.to_string(),
            total.to_string(),
            format!("{hit_rows}/{}", per_row.len()),
            fewest,
        ]);
    }
    let mut out = aligned(&rows);
    if never.is_empty() {
        out.push_str("every probe was hit\n");
    } else {
        let _ = writeln!(out, "never hit: {}", never.join(", "));
    }
    out
}

/// Rows as text: the first column left-aligned, the others right-aligned, two spaces apart.
fn aligned(rows: &[Vec<String>]) -> String {
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
    for row in rows {
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
