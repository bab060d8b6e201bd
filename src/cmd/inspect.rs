//! `yearbook inspect WORKBOOK...`: what detection finds, for writing pipelines.

use crate::config::Pipeline;
use crate::error::{exit, Error};
use crate::ingest::wide::{Role, WideTable};
use crate::ingest::{self, FileReport, SheetReport, Visibility};
use crate::model::column_letter;
use clap::Args;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Workbooks to inspect (.xlsx, .xls, .ods).
    #[arg(required = true)]
    pub workbooks: Vec<PathBuf>,
    /// Pipeline whose datasets to detect (default: the built-in field dictionary).
    #[arg(long)]
    pub pipeline: Option<PathBuf>,
}

pub fn execute(args: InspectArgs) -> Result<u8, Error> {
    let pipeline = match &args.pipeline {
        Some(p) => crate::config::load(p)?,
        None => crate::config::builtin()?,
    };
    let mut code = exit::OK;
    for path in &args.workbooks {
        let display = path.display().to_string();
        let report = ingest::ingest_file(&pipeline, path, &display);
        print!("{}", render(&pipeline, &report));
        if report.error.is_some()
            || report
                .sheets
                .iter()
                .any(|s| s.rows_rejected > 0 || !s.warnings.is_empty())
        {
            code = exit::WARNINGS;
        }
    }
    Ok(code)
}

/// The text `inspect` prints for one file.
pub fn render(pipeline: &Pipeline, f: &FileReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}, {} bytes)",
        f.display,
        f.format.as_deref().unwrap_or("?"),
        f.size
    );
    if let Some(e) = &f.error {
        let _ = writeln!(out, "  error: {e}");
        return out;
    }
    for sh in &f.sheets {
        render_sheet(&mut out, pipeline, sh);
    }
    out
}

fn render_sheet(out: &mut String, pipeline: &Pipeline, sh: &SheetReport) {
    let vis = match sh.visibility {
        Visibility::Visible => "visible",
        Visibility::Hidden => "hidden",
        Visibility::VeryHidden => "very hidden",
    };
    let _ = writeln!(out, "  sheet `{}` ({vis})", sh.name);
    if sh.visibility != Visibility::Visible {
        let _ = writeln!(
            out,
            "    ignored: hidden sheets are not read ({} rows)",
            sh.rows_read
        );
        return;
    }
    if let Some(l) = &sh.layout {
        let ds = &pipeline.datasets[l.dataset];
        let rows = if l.header_first == l.header_last {
            format!("row {}", l.header_first + 1)
        } else {
            format!("rows {}-{}", l.header_first + 1, l.header_last + 1)
        };
        let _ = writeln!(out, "    table: {} ({}), header {rows}", ds.name, ds.title);
        for t in &l.title_lines {
            let _ = writeln!(out, "    title: {t}");
        }
        for c in &l.columns {
            let f = &ds.fields[c.field];
            let unit = c.unit.map(|u| format!(", unit {u}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "    column {} `{}` -> {} ({}{unit})",
                column_letter(c.col),
                c.header,
                f.name,
                f.kind.as_str()
            );
        }
        if let Some(col) = l.year_col {
            let _ = writeln!(out, "    column {} -> year of each row", column_letter(col));
        }
        if let Some(col) = l.month_col {
            let _ = writeln!(
                out,
                "    column {} -> month of each row",
                column_letter(col)
            );
        }
        if !l.unmatched.is_empty() {
            let _ = writeln!(out, "    not mapped: {}", l.unmatched.join(", "));
        }
        let _ = writeln!(
            out,
            "    money unit: {} (from {})",
            l.unit.0,
            l.unit.1.as_str()
        );
        match l.year {
            Some((y, src)) => {
                let _ = writeln!(out, "    year: {y} (from {})", src.as_str());
            }
            None if l.year_col.is_some() => {
                let _ = writeln!(out, "    year: per row");
            }
            None => {
                let _ = writeln!(out, "    year: not found");
            }
        }
        let month = match (l.month, l.month_col) {
            (_, Some(_)) => "per row".to_string(),
            (Some((m, s)), None) => format!("{m} (from {})", s.as_str()),
            (None, None) => "none (annual)".into(),
        };
        let _ = writeln!(
            out,
            "    month: {month}; cumulative 1-N月: {}",
            if l.cumulative { "yes" } else { "no" }
        );
    }
    for w in &sh.wide {
        render_wide(out, w);
    }
    if let Some(first) = sh.series_meta.first() {
        let _ = writeln!(
            out,
            "    metadata sheet: {} series listed (first: {}), joined to the wide tables of this workbook",
            sh.series_meta.len(),
            first.indicator
        );
    }
    let skipped: Vec<String> = sh
        .skipped
        .iter()
        .map(|(r, n)| format!("{} {n}", r.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "    rows: {} read = {} kept + {} rejected + {} skipped ({})",
        sh.rows_read,
        sh.rows_kept,
        sh.rows_rejected,
        sh.rows_skipped(),
        skipped.join(", ")
    );
    for w in &sh.warnings {
        let _ = writeln!(out, "    warning: {w}");
    }
    for r in &sh.rejected {
        let _ = writeln!(
            out,
            "    rejected: cell {}{}: {} (value `{}`)",
            r.column, r.row, r.reason, r.value
        );
    }
}

fn render_wide(out: &mut String, w: &WideTable) {
    let rows = if w.header_first == w.header_last {
        format!("row {}", w.header_first + 1)
    } else {
        format!("rows {}-{}", w.header_first + 1, w.header_last + 1)
    };
    let _ = writeln!(
        out,
        "    wide table ({}), header {rows}; variant {}",
        w.orientation.as_str(),
        w.variant
    );
    for (k, v) in &w.metadata {
        let _ = writeln!(out, "    metadata {k}: {v}");
    }
    let freq: BTreeSet<&str> = w.points.iter().map(|p| p.key.frequency.as_str()).collect();
    let (first, last) = (w.periods.first(), w.periods.last());
    let _ = writeln!(
        out,
        "    periods: {} ({}), {} .. {}",
        w.periods.len(),
        freq.into_iter().collect::<Vec<_>>().join(", "),
        first.map(String::as_str).unwrap_or(""),
        last.map(String::as_str).unwrap_or("")
    );
    let missing = w.points.iter().filter(|p| p.value.is_none()).count();
    let roles = |r: Role| w.points.iter().filter(|p| p.role == r).count();
    let _ = writeln!(
        out,
        "    series: {}; values: {} ({} missing; {} in 合计 rows, {} in # 其中 rows)",
        w.series,
        w.points.len(),
        missing,
        roles(Role::Total),
        roles(Role::Breakdown)
    );
    let first: Vec<&str> = w.labels.iter().take(3).map(String::as_str).collect();
    let _ = writeln!(out, "    first series: {}", first.join(" | "));
    for f in &w.footer {
        let _ = writeln!(out, "    footer: {f}");
    }
    if !w.series_notes.is_empty() {
        let _ = writeln!(
            out,
            "    notes or source from the metadata sheet for {} series",
            w.series_notes.len()
        );
    }
}
