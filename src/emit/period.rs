//! The period's folder: every file a run writes, the names they are written under, and the
//! order they are written in, from one context (as each renderer of a book takes one).

use super::{output_path, EmitError, Written};
use crate::aggregate::TableResult;
use crate::config::{Format, Pipeline};
use crate::ingest::{Accounting, Duplicate, FileReport, Rejection};
use crate::model::Period;
use crate::shortcuts::{join, min_len, Shortcut};
use crate::store::charts::PngCache;
use crate::store::links::OutputWriter;
use crate::store::results::Results;
use polars::prelude::PolarsResult;
use rayon::prelude::*;
use std::path::Path;

/// Everything the period's files are made from.
pub struct PeriodContext<'a> {
    pub pipeline: &'a Pipeline,
    pub tables: &'a [TableResult],
    /// The run's warnings, as printed.
    pub warnings: &'a [String],
    pub period: Period,
    /// The folder being written (the staging folder).
    pub dir: &'a Path,
    pub files: &'a [FileReport],
    pub duplicates: &'a [Duplicate],
    /// Facts about the inputs that are not problems.
    pub notes: &'a [String],
    /// Whether any dataset has a clean row (not only portal series).
    pub has_long_rows: bool,
    /// The portal series read, in long form (see `crate::clean::frame::series_frame`).
    pub series: Option<&'a polars::prelude::DataFrame>,
    /// A dataset's clean-data file (see `crate::batch::Batch::data_file`).
    pub data_file: &'a (dyn Fn(usize) -> PolarsResult<Vec<u8>> + Sync),
    /// The last run's results, for the clean-data files of unchanged datasets.
    pub results: Option<&'a Results>,
    /// Rendered charts kept by earlier runs.
    pub charts: Option<&'a PngCache>,
    pub sink: &'a OutputWriter,
}

fn rejections(files: &[FileReport]) -> impl Iterator<Item = &Rejection> {
    files
        .iter()
        .flat_map(|f| &f.sheets)
        .flat_map(|s| &s.rejected)
}

/// Writes the period's files (all but the manifest) into `ctx.dir`; what was written.
pub fn write_period(ctx: &PeriodContext) -> Result<Vec<Written>, EmitError> {
    let PeriodContext {
        pipeline,
        tables,
        warnings,
        period,
        dir,
        files,
        has_long_rows,
        series: series_frame,
        data_file,
        results: reuse,
        charts: png_cache,
        sink,
        ..
    } = *ctx;
    let mut written = Vec::new();
    let emit_err = |e: EmitError| e;
    // Every output's path is made by `super::output_path`, below `dir`.
    let place = |parts: &[&str]| output_path(dir, parts).map_err(emit_err);
    let (tables_dir, data_dir, charts_dir) =
        (place(&["tables"])?, place(&["data"])?, place(&["charts"])?);
    for d in [&tables_dir, &data_dir, &charts_dir] {
        std::fs::create_dir_all(d).map_err(EmitError::write(d))?;
    }
    let in_dir = |dir: &Path, name: &str| output_path(dir, &[name]).map_err(emit_err);
    let csv = pipeline.output.csv;
    let formats = &pipeline.output.formats;
    let rel = |p: &Path| {
        p.strip_prefix(dir)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    crate::faults::fail_point("tables").map_err(EmitError::write(Path::new("<tables>")))?;
    crate::faults::delete_point(dir);
    let write_book = || -> Result<Option<Written>, EmitError> {
        if !formats.contains(&Format::Xlsx) || tables.is_empty() {
            return Ok(None);
        }
        let path = in_dir(&tables_dir, &format!("{}.xlsx", pipeline.name))?;
        let meta = super::TableMeta {
            title: pipeline.title.clone(),
            source: pipeline.source.clone(),
            period_label: period.label(),
        };
        super::write_xlsx(tables, &meta, &path, sink)
            .map(Some)
            .map_err(emit_err)
    };
    // One table's CSV, Parquet and charts.
    let write_table = |ti: usize, t: &TableResult| -> Result<_, EmitError> {
        let mut written = Vec::new();
        let mut l = super::report::TableLinks::default();
        if formats.contains(&Format::Csv) {
            let path = in_dir(&tables_dir, &format!("{}.csv", t.name))?;
            written.push(super::write_csv(t, &path, csv, sink).map_err(emit_err)?);
            l.csv = Some(rel(&path));
        }
        if formats.contains(&Format::Parquet) {
            let path = in_dir(&tables_dir, &format!("{}.parquet", t.name))?;
            written.push(super::write_parquet(t, &path, sink).map_err(emit_err)?);
            l.parquet = Some(rel(&path));
        }
        crate::faults::fail_point("charts").map_err(EmitError::write(Path::new("<charts>")))?;
        let scale = pipeline.output.chart_scale;
        let declared: Vec<_> = pipeline
            .charts
            .iter()
            .filter(|c| c.table == ti)
            .map(|c| c.spec.clone())
            .collect();
        let specs = if declared.is_empty() {
            vec![super::chart::default_for(t)]
        } else {
            declared
        };
        for spec in &specs {
            if let Some((svg, png)) =
                super::chart::write_chart(t, spec, &charts_dir, scale, png_cache, sink)
                    .map_err(emit_err)?
            {
                l.charts.push((rel(&png.path), rel(&svg.path)));
                written.extend([svg, png]);
            }
        }
        Ok((l, written))
    };
    // The workbook, the clean data and the tables' files are written side by side; paths
    // and links keep table order, and the first error in that order is the one reported.
    let write_data = || -> Result<Vec<Written>, EmitError> {
        let paths: Vec<Result<Written, EmitError>> = (0..pipeline.datasets.len())
            .into_par_iter()
            .with_min_len(min_len(Shortcut::WritesSideBySide))
            .map(|d| {
                let path = in_dir(&data_dir, &format!("{}.parquet", pipeline.datasets[d].name))?;
                // An unchanged dataset's file is the last run's, byte for byte.
                if let Some(copied) = reuse.and_then(|r| r.copy_data(d, &path, sink)) {
                    return Ok(copied);
                }
                let bytes = data_file(d).map_err(|e| EmitError::Write {
                    path: path.clone(),
                    source: std::io::Error::other(e.to_string()),
                })?;
                let written = sink.put(&path, &bytes).map_err(EmitError::write(&path))?;
                if let Some(r) = reuse {
                    r.keep_data(d, &bytes, &written.sha256);
                }
                Ok(written)
            })
            .collect();
        paths.into_iter().collect()
    };
    // The clean data first: joining a changed dataset's file is the longest task, and the
    // other thread takes the workbook and the tables meanwhile (it starts with the oldest).
    let facts = place(&["facts.csv"])?;
    let write_facts = || super::write_facts(tables, &facts, csv, sink).map_err(emit_err);
    let side = Shortcut::WritesSideBySide;
    let (data, (book, (per_table, (facts_done, fonts)))) = join(side, write_data, || {
        join(side, write_book, || {
            let per_table = || {
                tables
                    .par_iter()
                    .with_min_len(min_len(side))
                    .enumerate()
                    .map(|(ti, t)| write_table(ti, t))
                    .collect::<Vec<_>>()
            };
            let fonts = || super::report::write_fonts(dir, sink).map_err(emit_err);
            join(side, per_table, || join(side, write_facts, fonts))
        })
    });
    let xlsx = book?.map(|w| {
        let shown = rel(&w.path);
        written.push(w);
        shown
    });
    let mut links = Vec::new();
    for r in per_table {
        let (l, paths) = r?;
        links.push(l);
        written.extend(paths);
    }
    written.push(facts_done?);
    written.extend(data?);
    if let Some(frame) = series_frame {
        let path = in_dir(&data_dir, "series.parquet")?;
        written.push(super::write_frame_parquet(frame, &[], &path, sink).map_err(emit_err)?);
        let path = in_dir(&data_dir, "series.csv")?;
        written.push(super::write_frame_csv(frame, &path, csv, sink).map_err(emit_err)?);
    }
    let rejected = place(&["rejected.csv"])?;
    let rows = rejections(files).map(|r| {
        let row = r.row.to_string();
        [
            &r.file, &r.sheet, &row, &r.column, &r.header, &r.value, &r.reason, &r.code,
        ]
        .map(|s| s.to_string())
        .to_vec()
    });
    let header = [
        "file",
        "sheet",
        "row",
        "column",
        "header",
        "value",
        "reason",
        "reason_code",
    ];
    written.push(super::write_records(&rejected, &header, rows, csv, sink).map_err(emit_err)?);

    let acc = Accounting::of(files);
    let series = super::report::series_section(
        files,
        Some("data/series.csv".to_string()),
        Some("data/series.parquet".to_string()),
    );
    // Without a row of the datasets, the period shown is the series' own span.
    let period_label = match &series {
        Some(s) if !has_long_rows => s.span.clone(),
        _ => period.label(),
    };
    let meta = super::report::ReportMeta {
        title: &pipeline.title,
        pipeline: &pipeline.name,
        period_label,
        source: pipeline.source.as_deref(),
        files: files.len(),
        unreadable: files.iter().filter(|f| f.error.is_some()).count(),
        rows_read: acc.rows_read,
        rows_kept: acc.rows_kept,
        rows_rejected: acc.rows_rejected,
        rows_skipped: acc.rows_skipped,
        xlsx,
        links,
        warnings,
        series,
    };
    let index = place(&["index.html"])?;
    written.push(super::report::write_report(tables, &meta, &index, sink).map_err(emit_err)?);
    written.extend(fonts?);
    Ok(written)
}

/// Writes manifest.json, listing `written` and the run's timings.
pub fn write_manifest(
    ctx: &PeriodContext,
    written: &mut Vec<Written>,
    timings: &[(&'static str, f64)],
    total: f64,
) -> Result<(), EmitError> {
    crate::faults::fail_point("manifest").map_err(EmitError::write(Path::new("<manifest>")))?;
    let manifest = super::manifest::build(ctx, written, timings, total);
    let path = output_path(ctx.dir, &["manifest.json"])?;
    let done = OutputWriter::default()
        .put(&path, manifest)
        .map_err(EmitError::write(&path))?;
    written.push(done);
    Ok(())
}
