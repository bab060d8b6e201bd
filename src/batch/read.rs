//! Reading a batch: the inputs resolved, every workbook read (or taken from the parse cache)
//! in parallel with a progress bar, duplicates found, and the cross-file checks run.

use super::stream::{self, Streamed};
use super::{Batch, Duplicate, FileColumns, Read, Stack};
use crate::config::Pipeline;
use crate::error::Error;
use crate::ingest::{self, FileReport};
use crate::inputs;
use crate::model::Period;
use crate::store::parse::Cache;
use polars::prelude::PolarsResult;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;
use tracing::info;

/// Resolves inputs and reads every workbook. `period` overrides the latest month found.
pub fn read_batch(
    pipeline: &Pipeline,
    period: Option<Period>,
    cache: Option<&Cache>,
    build: Stack,
) -> Result<Batch, Error> {
    let t0 = Instant::now();
    let found = inputs::resolve(pipeline)
        .map_err(|e| Error::Usage(crate::i18n::t!("run.bad_glob", e = e)))?;
    let notes: Vec<String> = found
        .unmatched
        .iter()
        .map(|&i| crate::i18n::t!("run.glob_unmatched", glob = pipeline.include[i]))
        .collect();
    for n in &notes {
        info!("{n}");
    }
    let input_warnings = found
        .notes
        .iter()
        .map(|n| crate::i18n::t!("warn.file", file = n.display, e = n.message))
        .collect();
    if found.files.is_empty() {
        return Err(Error::Usage(crate::i18n::t!(
            "run.no_inputs",
            file_display = pipeline.file.display(),
            base_dir_display = pipeline.base_dir.display()
        )));
    }
    let list: Vec<(PathBuf, String)> = found
        .files
        .iter()
        .map(|f| (f.path.clone(), f.display.clone()))
        .collect();
    let mut batch = read_list(pipeline, &list, cache, build)?;
    batch.notes = notes;
    batch.input_warnings = input_warnings;
    batch.period = period.or(batch.period);
    batch.timings = vec![("read", t0.elapsed().as_secs_f64())];
    Ok(batch)
}

/// Reads the given workbooks (path, name shown) into a batch; its period is the latest in
/// the data.
pub fn read_list(
    pipeline: &Pipeline,
    list: &[(PathBuf, String)],
    cache: Option<&Cache>,
    build: Stack,
) -> Result<Batch, Error> {
    let t0 = Instant::now();
    info!(files = list.len(), "{}", crate::i18n::t!("log.reading"));
    // A progress bar only for a person watching a terminal, never in logs.
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr())
        && tracing::enabled!(tracing::Level::INFO)
    {
        indicatif::ProgressBar::new(list.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    // Each file's rows become compact polars columns as soon as it is read, so the batch
    // never holds every row as typed cell values at once.
    let read_one = |path: &PathBuf, display: &String, beside: bool| -> Option<PolarsResult<Read>> {
        let (mut report, cached) =
            ingest::ingest_unless_large(pipeline, path, display, cache, beside)?;
        let read = match cached {
            Some(columns) => {
                let latest = columns.latest;
                (report, FileColumns::Cached(columns), latest)
            }
            None => {
                let frames =
                    match crate::clean::clean_frames(pipeline, std::slice::from_ref(&report)) {
                        Ok(f) => f,
                        Err(e) => return Some(Err(e)),
                    };
                for sh in &mut report.sheets {
                    if let Some(d) = &mut sh.data {
                        d.rows = Vec::new();
                        d.row_months = Vec::new();
                    }
                }
                let latest = crate::clean::frame::latest_period(&frames);
                // Images are encoded later: beside the aggregation for the parse cache
                // (`store_images`), or while writing when there is none.
                let images = None;
                (report, FileColumns::Built { frames, images }, latest)
            }
        };
        bar.inc(1);
        Some(Ok(read))
    };
    // Before any table is asked for, rows are folded into partials a group of workbooks at a
    // time, so that the batch does not hold every row. The results store keeps partials by
    // file name, so with the parse cache (and so the store) each file needs a name of its own.
    let names_unique = {
        let mut seen = std::collections::BTreeSet::new();
        list.iter()
            .all(|(_, display)| seen.insert(display.as_str()))
    };
    let mut streamed = match build {
        Stack::Later if cache.is_none() || names_unique => Streamed::plan(pipeline),
        _ => None,
    };
    let group = match streamed {
        Some(_) => stream::GROUP,
        None => list.len().max(1),
    };
    let mut per_file: Vec<Read> = Vec::with_capacity(list.len());
    let mut partials = Vec::new();
    for part in list.chunks(group) {
        let mut read = read_group(part, &read_one)?;
        if let Some(s) = &streamed {
            partials.extend(s.fold(pipeline, &mut read, cache)?);
        }
        per_file.extend(read);
    }
    bar.finish_and_clear();
    if let Some(c) = cache {
        c.save_stamps();
    }
    let mut files = Vec::with_capacity(per_file.len());
    let mut columns = Vec::with_capacity(per_file.len());
    let mut rows_in = Vec::with_capacity(per_file.len());
    let mut latest = None;
    let mut duplicates = Vec::new();
    let same_as = first_of_each_content(&per_file);
    let mut partials = partials.into_iter();
    let mut kept_partials = Vec::new();
    for ((report, c, l), same_as) in per_file.into_iter().zip(same_as) {
        let p = partials.next();
        if let Some(same_as) = same_as {
            duplicates.push(Duplicate {
                path: report.display,
                same_as,
                size: report.size,
                sha256: report.sha256,
            });
            continue;
        }
        kept_partials.extend(p);
        files.push(report);
        rows_in.push(
            (0..pipeline.datasets.len())
                .map(|d| c.has_rows(d))
                .collect(),
        );
        columns.push(c);
        latest = latest.max(l);
    }
    // Portal exports alone: the period is the latest one with a value in the series.
    let latest = latest.or_else(|| crate::clean::frame::latest_series_period(&files));
    let parsed = files.iter().filter(|f| !f.cached).count();
    info!(
        parsed,
        cached = files.len() - parsed,
        "{}",
        crate::i18n::t!("log.read")
    );
    let mut batch = Batch {
        files,
        notes: Vec::new(),
        input_warnings: Vec::new(),
        checks: Vec::new(),
        duplicates,
        period: latest,
        timings: Vec::new(),
        frames: Vec::new(),
        columns,
        rows_in,
        streamed: streamed.take().map(|s| Streamed {
            partials: kept_partials,
            ..s
        }),
    };
    batch.checks = crate::aggregate::checks::cross_file(pipeline, &batch.files);
    batch.build_frames(pipeline, build)?;
    batch.timings = vec![("read", t0.elapsed().as_secs_f64())];
    Ok(batch)
}

/// Reads a group of workbooks side by side. What is in flight is capped: each thread holds one
/// workbook that inflates to at most `ingest::LARGE` and holds at most its `ingest::SHARE` in
/// cells and grids; any other is read again after them, alone, with the whole budget of one
/// workbook (`FILE_BUDGET`). Two large workbooks never add up, and whether a workbook is
/// refused never depends on what was read beside it.
fn read_group(
    part: &[(PathBuf, String)],
    read_one: &(dyn Fn(&PathBuf, &String, bool) -> Option<PolarsResult<Read>> + Sync),
) -> Result<Vec<Read>, Error> {
    let first: Vec<Option<PolarsResult<Read>>> = part
        .par_iter()
        .map(|(path, display)| read_one(path, display, true))
        .collect();
    let large = first.iter().filter(|r| r.is_none()).count();
    if large > 0 {
        info!(large, "{}", crate::i18n::t!("log.reading_large"));
    }
    first
        .into_iter()
        .zip(part)
        .filter_map(|(read, (path, display))| read.or_else(|| read_one(path, display, false)))
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Aggregate(Box::new(e)))
}

/// For each file, the name of the one that stands for its bytes when that is another: of the
/// inputs holding the same bytes, the one in the fewest folders, then the first by name. The
/// hash is the one taken of the bytes as they were read (or the parse cache's, for a file
/// unchanged since), so finding them reads nothing again.
fn first_of_each_content(
    per_file: &[(FileReport, FileColumns, Option<Period>)],
) -> Vec<Option<String>> {
    let mut order: Vec<&FileReport> = per_file.iter().map(|(r, _, _)| r).collect();
    order.sort_by_key(|r| (r.display.matches('/').count(), r.display.as_str()));
    let mut first: BTreeMap<&str, &str> = BTreeMap::new();
    for r in order.into_iter().filter(|r| !r.sha256.is_empty()) {
        first.entry(&r.sha256).or_insert(&r.display);
    }
    per_file
        .iter()
        .map(|(r, _, _)| {
            first
                .get(r.sha256.as_str())
                .filter(|&&d| d != r.display)
                .map(|d| d.to_string())
        })
        .collect()
}
