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
        "{}",
        crate::i18n::t!(
            "inspect.file",
            f_display = f.display,
            v = f.format.as_deref().unwrap_or("?"),
            size = f.size
        )
    );
    if let Some(e) = &f.error {
        let _ = writeln!(out, "{}", crate::i18n::t!("inspect.error", e = e));
        return out;
    }
    for sh in &f.sheets {
        render_sheet(&mut out, pipeline, sh);
    }
    out
}

fn render_sheet(out: &mut String, pipeline: &Pipeline, sh: &SheetReport) {
    let vis = match sh.visibility {
        Visibility::Visible => crate::i18n::t!("inspect.visible"),
        Visibility::Hidden => crate::i18n::t!("inspect.hidden"),
        Visibility::VeryHidden => crate::i18n::t!("inspect.very_hidden"),
    };
    let _ = writeln!(
        out,
        "{}",
        crate::i18n::t!("inspect.sheet", sh_name = sh.name, vis = vis)
    );
    if sh.visibility != Visibility::Visible {
        let _ = writeln!(
            out,
            "{}",
            crate::i18n::t!("inspect.ignored", rows_read = sh.rows_read)
        );
        return;
    }
    if let Some(l) = &sh.layout {
        let ds = &pipeline.datasets[l.dataset];
        let rows = header_rows(l.header_first, l.header_last);
        let _ = writeln!(
            out,
            "{}",
            crate::i18n::t!(
                "inspect.table",
                name = ds.name,
                title = ds.title,
                rows = rows
            )
        );
        for t in &l.title_lines {
            let _ = writeln!(out, "{}", crate::i18n::t!("inspect.title", t = t));
        }
        for c in &l.columns {
            let f = &ds.fields[c.field];
            let unit = c
                .unit
                .map(|u| crate::i18n::t!("inspect.unit", u = u))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{}",
                crate::i18n::t!(
                    "inspect.column",
                    v = column_letter(c.col),
                    header = c.header,
                    name = f.name,
                    kind_as_str = f.kind.as_str(),
                    unit = unit
                )
            );
        }
        if let Some(col) = l.year_col {
            let _ = writeln!(
                out,
                "{}",
                crate::i18n::t!("inspect.year_col", v = column_letter(col))
            );
        }
        if let Some(col) = l.month_col {
            let _ = writeln!(
                out,
                "{}",
                crate::i18n::t!("inspect.month_col", v = column_letter(col))
            );
        }
        if !l.unmatched.is_empty() {
            let _ = writeln!(
                out,
                "{}",
                crate::i18n::t!("inspect.unmapped", v = l.unmatched.join(", "))
            );
        }
        let _ = writeln!(
            out,
            "{}",
            crate::i18n::t!(
                "inspect.money_unit",
                v = l.unit.0,
                src = crate::i18n::word(l.unit.1.as_str())
            )
        );
        match l.year {
            Some((y, src)) => {
                let _ = writeln!(
                    out,
                    "{}",
                    crate::i18n::t!("inspect.year", y = y, src = crate::i18n::word(src.as_str()))
                );
            }
            None if l.year_col.is_some() => {
                let _ = writeln!(out, "{}", crate::i18n::t!("inspect.year_per_row"));
            }
            None => {
                let _ = writeln!(out, "{}", crate::i18n::t!("inspect.year_none"));
            }
        }
        let month = match (l.month, l.month_col) {
            (_, Some(_)) => crate::i18n::t!("inspect.per_row"),
            (Some((m, s)), None) => {
                crate::i18n::t!("inspect.from", v = m, src = crate::i18n::word(s.as_str()))
            }
            (None, None) => crate::i18n::t!("inspect.annual"),
        };
        let _ = writeln!(
            out,
            "{}",
            crate::i18n::t!(
                "inspect.month",
                month = month,
                v = if l.cumulative {
                    crate::i18n::t!("common.yes")
                } else {
                    crate::i18n::t!("common.no")
                }
            )
        );
    }
    for w in &sh.wide {
        render_wide(out, w);
    }
    if let Some(first) = sh.series_meta.first() {
        let _ = writeln!(
            out,
            "{}",
            crate::i18n::t!(
                "inspect.meta",
                series_meta_len = sh.series_meta.len(),
                indicator = first.indicator
            )
        );
    }
    let skipped: Vec<String> = sh
        .skipped
        .iter()
        .map(|(r, n)| format!("{} {n}", r.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "{}",
        crate::i18n::t!(
            "inspect.rows",
            rows_read = sh.rows_read,
            rows_kept = sh.rows_kept,
            rows_rejected = sh.rows_rejected,
            rows_skipped = sh.rows_skipped(),
            v = skipped.join(", ")
        )
    );
    for w in &sh.warnings {
        let _ = writeln!(out, "{}", crate::i18n::t!("inspect.warning", w = w));
    }
    for r in &sh.rejected {
        let _ = writeln!(
            out,
            "{}",
            crate::i18n::t!(
                "inspect.rejected",
                column = r.column,
                row = r.row,
                reason = r.reason,
                value = r.value
            )
        );
    }
}

/// The header's row or rows (0-based, inclusive), as people number them.
fn header_rows(first: u32, last: u32) -> String {
    match first == last {
        true => crate::i18n::row(first + 1),
        false => crate::i18n::t!("common.rows", first = first + 1, last = last + 1),
    }
}

fn render_wide(out: &mut String, w: &WideTable) {
    let rows = header_rows(w.header_first, w.header_last);
    let _ = writeln!(
        out,
        "{}",
        crate::i18n::t!(
            "inspect.wide",
            orientation = crate::i18n::word(w.orientation.as_str()),
            rows = rows,
            variant = w.variant
        )
    );
    for (k, v) in &w.metadata {
        let _ = writeln!(out, "{}", crate::i18n::t!("inspect.metadata", k = k, v = v));
    }
    let freq: BTreeSet<&str> = w.points.iter().map(|p| p.key.frequency.as_str()).collect();
    let (first, last) = (w.periods.first(), w.periods.last());
    let _ = writeln!(
        out,
        "{}",
        crate::i18n::t!(
            "inspect.periods",
            periods_len = w.periods.len(),
            v = freq.into_iter().collect::<Vec<_>>().join(", "),
            v2 = first.map(String::as_str).unwrap_or(""),
            v3 = last.map(String::as_str).unwrap_or("")
        )
    );
    let missing = w.points.iter().filter(|p| p.value.is_none()).count();
    let roles = |r: Role| w.points.iter().filter(|p| p.role == r).count();
    let _ = writeln!(
        out,
        "{}",
        crate::i18n::t!(
            "inspect.series",
            series = w.series,
            points_len = w.points.len(),
            missing = missing,
            v = roles(Role::Total),
            v2 = roles(Role::Breakdown)
        )
    );
    let first: Vec<&str> = w.labels.iter().take(3).map(String::as_str).collect();
    let _ = writeln!(
        out,
        "{}",
        crate::i18n::t!("inspect.first_series", v = first.join(" | "))
    );
    for f in &w.footer {
        let _ = writeln!(out, "{}", crate::i18n::t!("inspect.footer", f = f));
    }
    if !w.series_notes.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            crate::i18n::t!("inspect.notes", series_notes_len = w.series_notes.len())
        );
    }
}
