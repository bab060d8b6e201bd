//! manifest.json: what a run read, what it made of every row, and what it wrote.

use crate::ingest::SkipReason;
use crate::ingest::{Accounting, Duplicate};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Manifest<'a> {
    tool: Tool,
    pipeline: PipelineInfo<'a>,
    period: String,
    accounting: Accounting,
    skipped_by_reason: BTreeMap<&'static str, u64>,
    inputs: Vec<Input<'a>>,
    /// Inputs holding the same bytes as one in `inputs`: read once, their rows counted there.
    duplicates: &'a [Duplicate],
    outputs: Vec<Output>,
    warnings: Vec<String>,
    errors: Vec<String>,
    notes: &'a [String],
    timings_seconds: BTreeMap<&'static str, f64>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct PipelineInfo<'a> {
    name: &'a str,
    file: String,
    sha256: &'a str,
}

#[derive(Serialize)]
struct Input<'a> {
    path: &'a str,
    size: u64,
    sha256: &'a str,
    format: Option<&'a str>,
    /// Read from the parse cache (unchanged since an earlier run).
    cached: bool,
    error: Option<&'a str>,
    rows_read: u64,
    rows_kept: u64,
    rows_rejected: u64,
    rows_skipped: u64,
    sheets: Vec<SheetInfo<'a>>,
}

#[derive(Serialize)]
struct SheetInfo<'a> {
    name: &'a str,
    visibility: crate::ingest::Visibility,
    dataset: Option<&'a str>,
    year: Option<i32>,
    month: Option<u32>,
    cumulative: Option<bool>,
    rows_read: u64,
    rows_kept: u64,
    rows_rejected: u64,
    skipped: BTreeMap<&'static str, u64>,
    /// For a wide table: how many values it unpivoted into data/series.*.
    #[serde(skip_serializing_if = "Option::is_none")]
    wide_values: Option<usize>,
    /// Each wide table's metadata lines, footer, source and notes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    wide_tables: Vec<WideInfo<'a>>,
    /// For a database export's metadata sheet: how many series it lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    series_listed: Option<usize>,
}

#[derive(Serialize)]
struct WideInfo<'a> {
    /// 1-based header row.
    header_row: u32,
    variant: &'a str,
    periods: Option<String>,
    /// `数据库`, `指标`, `时间`… lines above the table, as (key, text).
    metadata: &'a [(String, String)],
    footer: &'a [String],
    source: Option<String>,
    notes: Option<String>,
    /// Series that the metadata sheet gives a source or notes.
    series_noted: usize,
}

#[derive(Serialize)]
struct Output {
    path: String,
    size: u64,
    sha256: String,
}

fn reasons(m: &BTreeMap<SkipReason, u64>) -> BTreeMap<&'static str, u64> {
    m.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

/// Renders the manifest; output paths are listed relative to `dir`.
pub fn build(
    ctx: &super::PeriodContext,
    written: &[crate::emit::Written],
    timings: &[(&'static str, f64)],
    total: f64,
) -> String {
    let super::PeriodContext {
        pipeline,
        warnings,
        period,
        dir,
        files,
        duplicates,
        notes,
        ..
    } = *ctx;
    let inputs = files
        .iter()
        .map(|f| {
            let (r, k, j, s) = f.rows();
            Input {
                path: &f.display,
                size: f.size,
                sha256: &f.sha256,
                format: f.format.as_deref(),
                cached: f.cached,
                error: f.error.as_deref(),
                rows_read: r,
                rows_kept: k,
                rows_rejected: j,
                rows_skipped: s,
                sheets: f
                    .sheets
                    .iter()
                    .map(|sh| SheetInfo {
                        name: &sh.name,
                        visibility: sh.visibility,
                        dataset: sh
                            .layout
                            .as_ref()
                            .map(|l| pipeline.datasets[l.dataset].name.as_str()),
                        year: sh.layout.as_ref().and_then(|l| l.year.map(|y| y.0)),
                        month: sh.layout.as_ref().and_then(|l| l.month.map(|m| m.0)),
                        cumulative: sh.layout.as_ref().map(|l| l.cumulative),
                        rows_read: sh.rows_read,
                        rows_kept: sh.rows_kept,
                        rows_rejected: sh.rows_rejected,
                        skipped: reasons(&sh.skipped),
                        wide_values: (!sh.wide.is_empty())
                            .then(|| sh.wide.iter().map(|w| w.points.len()).sum()),
                        wide_tables: sh
                            .wide
                            .iter()
                            .map(|w| WideInfo {
                                header_row: w.header_first + 1,
                                variant: &w.variant,
                                periods: crate::clean::frame::span_label(
                                    crate::clean::frame::period_span(w.points.iter()),
                                ),
                                metadata: &w.metadata,
                                footer: &w.footer,
                                source: w.source(),
                                notes: w.notes(),
                                series_noted: w.series_notes.len(),
                            })
                            .collect(),
                        series_listed: (!sh.series_meta.is_empty()).then_some(sh.series_meta.len()),
                    })
                    .collect(),
            }
        })
        .collect();
    let mut outputs: Vec<Output> = written
        .iter()
        .map(|w| Output {
            path: w
                .path
                .strip_prefix(dir)
                .unwrap_or(&w.path)
                .to_string_lossy()
                .replace('\\', "/"),
            size: w.size,
            sha256: w.sha256.clone(),
        })
        .collect();
    outputs.sort_by(|a, b| a.path.cmp(&b.path));
    let mut timings: BTreeMap<&'static str, f64> = timings.iter().copied().collect();
    timings.insert("total", total);
    let m = Manifest {
        tool: Tool {
            name: "yearbook",
            version: env!("CARGO_PKG_VERSION"),
        },
        pipeline: PipelineInfo {
            name: &pipeline.name,
            file: pipeline.file.display().to_string(),
            sha256: &pipeline.hash,
        },
        period: period.to_string(),
        accounting: Accounting::of(files),
        skipped_by_reason: reasons(&crate::ingest::skipped_by_reason(files)),
        inputs,
        duplicates,
        outputs,
        warnings: warnings.to_vec(),
        notes,
        errors: files
            .iter()
            .filter_map(|f| {
                f.error
                    .as_ref()
                    .map(|e| crate::i18n::t!("warn.file", file = f.display, e = e))
            })
            .collect(),
        timings_seconds: timings,
    };
    serde_json::to_string_pretty(&m).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
