//! Orchestration of a batch: inputs, ingestion, aggregation, and atomic output.

use crate::aggregate::{self, TableResult};
use crate::config::{Format, Pipeline};
use crate::emit;
use crate::error::Error;
use crate::ingest::cache::Cache;
use crate::ingest::{self, FileReport, SkipReason};
use crate::inputs;
use crate::model::Period;
use crate::reuse::Reuse;
use polars::prelude::{DataFrame, PolarsResult};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tracing::{info, warn};

/// Everything read for a batch, before anything is written.
pub struct Batch {
    pub files: Vec<FileReport>,
    /// Facts about the inputs that are not problems with the data: a glob that matched no
    /// file (a pipeline may list formats a month does not have).
    pub notes: Vec<String>,
    /// Problems with the inputs as a whole (a folder named like a workbook), and caches of
    /// the output folder left unused (a link where a cache folder should be).
    pub input_warnings: Vec<String>,
    /// Doubts found across files (see [`aggregate::checks`]).
    pub checks: Vec<String>,
    /// Inputs whose bytes are an earlier input's: not in `files`, so that their rows are
    /// counted once.
    pub duplicates: Vec<Duplicate>,
    pub period: Option<Period>,
    pub timings: Vec<(&'static str, f64)>,
    /// The clean rows, one frame per dataset in pipeline order, once [`Batch::build_frames`]
    /// has built them (empty for a dataset it was not asked for). The reports in `files`
    /// keep their row accounting but not their rows, which live here only.
    pub frames: Vec<DataFrame>,
    /// Each file's clean columns, which [`Batch::build_frames`] stacks into `frames`, and
    /// their Parquet images, which the clean-data files are joined from.
    columns: Vec<FileColumns>,
    /// Per file, per dataset: whether the file has clean rows for it.
    rows_in: Vec<Vec<bool>>,
}

/// An input holding the same bytes as an earlier one (in the order of the names shown): the
/// workbook is read once, under the earlier name.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub path: String,
    pub same_as: String,
    pub size: u64,
    pub sha256: String,
}

/// A file's clean columns: built from a fresh reading (with their images once the parse cache
/// has asked for them), or still encoded in the parse cache.
enum FileColumns {
    Built {
        frames: Vec<DataFrame>,
        images: Option<Images>,
    },
    Cached(ingest::cache::Columns),
}

impl FileColumns {
    fn has_rows(&self, dataset: usize) -> bool {
        match self {
            FileColumns::Built { frames, .. } => {
                frames.get(dataset).is_some_and(|f| f.height() > 0)
            }
            FileColumns::Cached(c) => c.has_rows(dataset),
        }
    }

    /// The file's part of a dataset's clean-data file, its image encoded now into `fresh` if
    /// there is none yet; None where the file has no rows.
    fn part<'a>(
        &'a self,
        dataset: usize,
        file: &'a str,
        fresh: &'a Option<Vec<u8>>,
    ) -> Option<emit::clean::Part<'a>> {
        let (image, written_as) = match self {
            FileColumns::Built {
                images: Some(images),
                ..
            } => (images.get(dataset)?.as_deref()?, file),
            FileColumns::Built { images: None, .. } => (fresh.as_deref()?, file),
            FileColumns::Cached(c) => (c.image(dataset)?, c.file.as_str()),
        };
        Some(emit::clean::Part {
            image,
            file,
            written_as,
        })
    }
}

/// Which datasets' frames a batch builds from its files' columns.
#[derive(Clone, Copy)]
pub enum Build<'a> {
    All,
    /// None yet: the columns are kept until a later call.
    Later,
    /// Per dataset, as given.
    Only(&'a [Frame]),
}

/// What a dataset's frame is built from.
#[derive(Clone, PartialEq)]
pub enum Frame {
    /// Nothing: the frame stays empty.
    Empty,
    Whole,
    /// The rows of the files marked true only.
    Files(Vec<bool>),
}

#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Accounting {
    pub rows_read: u64,
    pub rows_kept: u64,
    pub rows_rejected: u64,
    pub rows_skipped: u64,
}

impl Batch {
    pub fn accounting(&self) -> Accounting {
        let mut a = Accounting::default();
        for f in &self.files {
            let (r, k, j, s) = f.rows();
            a.rows_read += r;
            a.rows_kept += k;
            a.rows_rejected += j;
            a.rows_skipped += s;
        }
        a
    }

    pub fn skipped_by_reason(&self) -> BTreeMap<SkipReason, u64> {
        let mut m = BTreeMap::new();
        for sh in self.files.iter().flat_map(|f| &f.sheets) {
            for (r, n) in &sh.skipped {
                *m.entry(*r).or_insert(0) += n;
            }
        }
        m
    }

    pub fn unreadable(&self) -> usize {
        self.files.iter().filter(|f| f.error.is_some()).count()
    }

    /// Every warning a person should see, one line each, file and sheet named.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = self.input_warnings.clone();
        for d in &self.duplicates {
            out.push(crate::t!(
                "warn.duplicate",
                path = d.path,
                same_as = d.same_as,
                sha256 = d.sha256
            ));
        }
        for f in &self.files {
            if let Some(e) = &f.error {
                out.push(crate::t!("warn.file", file = f.display, e = e));
            }
            for sh in &f.sheets {
                for w in &sh.warnings {
                    out.push(crate::t!(
                        "warn.sheet",
                        file = f.display,
                        sheet = sh.name,
                        w = w
                    ));
                }
            }
        }
        out.extend(self.checks.iter().cloned());
        out
    }

    /// Every warning a run prints, in the order printed: the one list that stderr, the
    /// manifest and index.html show, and whose length makes the exit code.
    pub fn run_warnings(&self) -> Vec<String> {
        let mut out = self.warnings();
        let rejected = self.accounting().rows_rejected;
        if rejected > 0 {
            out.push(crate::t!("warn.rejected", n = rejected));
        }
        out
    }

    /// Whether any dataset has a clean row (not only portal series).
    pub fn has_long_rows(&self) -> bool {
        self.rows_in.iter().flatten().any(|&r| r) || self.frames.iter().any(|f| f.height() > 0)
    }

    /// Whether the file at `index` has clean rows for `dataset`.
    pub fn rows_in(&self, index: usize, dataset: usize) -> bool {
        self.rows_in
            .get(index)
            .is_some_and(|r| r.get(dataset).copied().unwrap_or(false))
    }

    /// Stacks the files' columns into one frame per dataset, in file order; a dataset left
    /// out gets an empty frame. Decoding happens here, so only what is used is decoded.
    pub fn build_frames(&mut self, pipeline: &Pipeline, build: Build) -> Result<(), Error> {
        let wanted = |d: usize| match build {
            Build::All => &Frame::Whole,
            Build::Later => &Frame::Empty,
            Build::Only(w) => w.get(d).unwrap_or(&Frame::Empty),
        };
        if matches!(build, Build::Later) {
            return Ok(());
        }
        let columns = &self.columns;
        let aggregate_err = |e| Error::Aggregate(Box::new(e));
        let mut out = aggregate::clean_frames(pipeline, &[]).map_err(aggregate_err)?;
        for (d, acc) in out.iter_mut().enumerate() {
            let want = wanted(d);
            if *want == Frame::Empty {
                continue;
            }
            let parts: Vec<Option<DataFrame>> = columns
                .par_iter()
                .zip(&self.files)
                .enumerate()
                .map(|(i, (c, f))| match c {
                    _ if matches!(want, Frame::Files(w) if !w.get(i).copied().unwrap_or(false)) => {
                        Ok(None)
                    }
                    FileColumns::Built { frames, .. } => Ok(frames.get(d).cloned()),
                    // The entry passed its CRC check, so this is not damage on disk.
                    FileColumns::Cached(c) => c.frame(d, &f.display).map_err(|e| {
                        Error::Data(crate::t!("run.cache_decode", f_display = f.display, e = e))
                    }),
                })
                .collect::<Result<_, _>>()?;
            for f in parts.iter().flatten().filter(|f| f.height() > 0) {
                acc.vstack_mut(f).map_err(aggregate_err)?;
            }
        }
        // Left in chunks: one copy less at the batch's peak; polars reads across chunks.
        self.frames = out;
        Ok(())
    }

    /// The clean-data file of a dataset: joined from the files' images when the batch read
    /// workbooks, encoded from its frame when it came from a clean-data folder.
    fn data_file(&self, pipeline: &Pipeline, dataset: usize) -> PolarsResult<Vec<u8>> {
        let money: Vec<&str> = pipeline.datasets[dataset]
            .fields
            .iter()
            .filter(|f| f.kind == crate::model::FieldKind::Money)
            .map(|f| f.name.as_str())
            .collect();
        if self.columns.is_empty() {
            let frame = self.frames.get(dataset).ok_or_else(|| {
                polars::prelude::polars_err!(ComputeError: "internal error: no clean data for dataset {dataset}")
            })?;
            return crate::output::frame_parquet(frame, &money);
        }
        // Images not made for the parse cache (a run without it) are encoded here.
        let fresh: Vec<Option<Vec<u8>>> = self
            .columns
            .par_iter()
            .map(|c| match c {
                FileColumns::Built {
                    frames,
                    images: None,
                } => match frames.get(dataset) {
                    Some(f) => emit::clean::image_of(f),
                    None => Ok(None),
                },
                _ => Ok(None),
            })
            .collect::<PolarsResult<_>>()?;
        let parts: Vec<emit::clean::Part> = self
            .columns
            .iter()
            .zip(&self.files)
            .zip(&fresh)
            .filter_map(|((c, f), fresh)| c.part(dataset, &f.display, fresh))
            .collect();
        let empty = aggregate::clean_frames(pipeline, &[])?;
        let joined = emit::clean::join(&parts, &empty[dataset])?;
        emit::parquet::portable(
            joined,
            empty[dataset].schema(),
            &crate::output::money_notes(&money),
        )
    }

    /// The workbooks read afresh whose images are still to be encoded: their frames and
    /// reports (copies, so that the aggregation may go on with the batch meanwhile).
    fn fresh(&self) -> Vec<Fresh> {
        self.columns
            .iter()
            .zip(&self.files)
            .enumerate()
            .filter_map(|(index, (c, report))| match c {
                FileColumns::Built {
                    frames,
                    images: None,
                } => Some(Fresh {
                    index,
                    frames: frames.clone(),
                    report: report.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    fn set_images(&mut self, stored: Vec<(usize, Images)>) {
        for (i, stored) in stored {
            if let Some(FileColumns::Built { images, .. }) = self.columns.get_mut(i) {
                *images = Some(stored);
            }
        }
    }

    pub fn rejections(&self) -> Vec<&ingest::Rejection> {
        self.files
            .iter()
            .flat_map(|f| &f.sheets)
            .flat_map(|s| &s.rejected)
            .collect()
    }
}

/// A period asked for on the command line must have rows: tables of a month without data
/// would be empty or repeat an earlier month. The error names the nearest months with data.
fn period_has_data(pipeline: &Pipeline, batch: &Batch, asked: Period) -> Result<(), Error> {
    use polars::prelude::{ParquetReader, SerReader};
    let mut periods = std::collections::BTreeSet::new();
    aggregate::frame::data_periods(&batch.frames, &mut periods);
    let columns = [
        aggregate::frame::YEAR.to_string(),
        aggregate::frame::MONTH.to_string(),
    ];
    for c in &batch.columns {
        match c {
            FileColumns::Built { frames, .. } => {
                aggregate::frame::data_periods(frames, &mut periods)
            }
            FileColumns::Cached(cached) => {
                for image in (0..pipeline.datasets.len()).filter_map(|d| cached.image(d)) {
                    let frame = ParquetReader::new(std::io::Cursor::new(image))
                        .with_columns(Some(columns.to_vec()))
                        .finish()
                        .map_err(|e| Error::Aggregate(Box::new(e)))?;
                    aggregate::frame::data_periods(std::slice::from_ref(&frame), &mut periods);
                }
            }
        }
    }
    if periods.is_empty() || periods.contains(&asked) {
        return Ok(());
    }
    let before = periods.range(..asked).next_back();
    let after = periods.range(asked..).next();
    let nearest: Vec<String> = before
        .into_iter()
        .chain(after)
        .map(|p| format!("{p}"))
        .collect();
    Err(Error::Data(crate::t!(
        "run.no_period",
        asked = asked,
        year = asked.year,
        month = asked.month,
        v = nearest.join(&crate::t!("common.and"))
    )))
}

/// Resolves inputs and reads every workbook. `period` overrides the latest month found.
pub fn read_batch(
    pipeline: &Pipeline,
    period: Option<Period>,
    cache: Option<&Cache>,
    build: Build,
) -> Result<Batch, Error> {
    let t0 = Instant::now();
    let found =
        inputs::resolve(pipeline).map_err(|e| Error::Usage(crate::t!("run.bad_glob", e = e)))?;
    let notes: Vec<String> = found
        .unmatched
        .iter()
        .map(|&i| crate::t!("run.glob_unmatched", glob = pipeline.include[i]))
        .collect();
    for n in &notes {
        info!("{n}");
    }
    let input_warnings = found
        .notes
        .iter()
        .map(|n| crate::t!("warn.file", file = n.display, e = n.message))
        .collect();
    if found.files.is_empty() {
        return Err(Error::Usage(crate::t!(
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
    build: Build,
) -> Result<Batch, Error> {
    let t0 = Instant::now();
    info!(files = list.len(), "{}", crate::t!("log.reading"));
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
    type Read = (FileReport, FileColumns, Option<Period>);
    let read_one = |path: &PathBuf, display: &String, beside: bool| -> Option<PolarsResult<Read>> {
        let (mut report, cached) =
            ingest::ingest_unless_large(pipeline, path, display, cache, beside)?;
        let read = match cached {
            Some(columns) => {
                let latest = columns.latest;
                (report, FileColumns::Cached(columns), latest)
            }
            None => {
                let frames = match aggregate::clean_frames(pipeline, std::slice::from_ref(&report))
                {
                    Ok(f) => f,
                    Err(e) => return Some(Err(e)),
                };
                for sh in &mut report.sheets {
                    if let Some(d) = &mut sh.data {
                        d.rows = Vec::new();
                        d.row_months = Vec::new();
                    }
                }
                let latest = aggregate::frame::latest_period(&frames);
                // Images are encoded later: beside the aggregation for the parse cache
                // (`store_images`), or while writing when there is none.
                let images = None;
                (report, FileColumns::Built { frames, images }, latest)
            }
        };
        bar.inc(1);
        Some(Ok(read))
    };
    // What is in flight is capped: side by side, each thread holds one workbook that
    // inflates to at most `ingest::LARGE` and holds at most its `ingest::SHARE` in cells and
    // grids; any other is read again after them, alone, with the whole budget of one workbook
    // (`FILE_BUDGET`). Two large workbooks never add up, and whether a workbook is refused
    // never depends on what was read beside it.
    let first: Vec<Option<PolarsResult<Read>>> = list
        .par_iter()
        .map(|(path, display)| read_one(path, display, true))
        .collect();
    let large = first.iter().filter(|r| r.is_none()).count();
    if large > 0 {
        info!(large, "{}", crate::t!("log.reading_large"));
    }
    let per_file: Vec<Read> = first
        .into_iter()
        .zip(list)
        .filter_map(|(read, (path, display))| read.or_else(|| read_one(path, display, false)))
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Aggregate(Box::new(e)))?;
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
    for ((report, c, l), same_as) in per_file.into_iter().zip(same_as) {
        if let Some(same_as) = same_as {
            duplicates.push(Duplicate {
                path: report.display,
                same_as,
                size: report.size,
                sha256: report.sha256,
            });
            continue;
        }
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
    let latest = latest.or_else(|| aggregate::frame::latest_series_period(&files));
    let parsed = files.iter().filter(|f| !f.cached).count();
    info!(
        parsed,
        cached = files.len() - parsed,
        "{}",
        crate::t!("log.read")
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
    };
    batch.checks = aggregate::checks::cross_file(pipeline, &batch.files);
    batch.build_frames(pipeline, build)?;
    batch.timings = vec![("read", t0.elapsed().as_secs_f64())];
    Ok(batch)
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

pub struct RunOptions {
    pub period: Option<Period>,
    pub out: Option<PathBuf>,
    pub strict: bool,
    /// Parse every workbook again instead of using the cache.
    pub no_cache: bool,
    /// Aggregate a clean-data folder written by `yearbook ingest` instead of reading workbooks.
    pub from_parquet: Option<PathBuf>,
}

pub struct RunSummary {
    pub dir: PathBuf,
    pub period: Period,
    pub accounting: Accounting,
    pub files: usize,
    pub unreadable: usize,
    pub warnings: usize,
    pub outputs: usize,
    pub seconds: f64,
}

/// A workbook's Parquet images, one per dataset (None where it has no rows).
type Images = Vec<Option<Vec<u8>>>;

/// A workbook read afresh, its images still to be encoded.
struct Fresh {
    index: usize,
    frames: Vec<DataFrame>,
    report: ingest::FileReport,
}

/// Encodes the images of workbooks read afresh and stores each with its reading in the parse
/// cache. Only the clean-data files wait for the images: the aggregation, which needs the
/// frames alone, runs beside this (see [`run`]).
fn store_images(fresh: Vec<Fresh>, cache: &Cache) -> PolarsResult<Vec<(usize, Images)>> {
    fresh
        .into_par_iter()
        .map(|f| {
            let images = f
                .frames
                .iter()
                .map(emit::clean::image_of)
                .collect::<PolarsResult<Vec<_>>>()?;
            let latest = aggregate::frame::latest_period(&f.frames);
            cache.put(&f.report, &images, latest);
            Ok((f.index, images))
        })
        .collect()
}

/// Aggregates a batch's clean frames into the pipeline's tables.
pub fn aggregate_batch(
    pipeline: &Pipeline,
    batch: &Batch,
    period: Period,
) -> Result<Vec<TableResult>, Error> {
    let all = aggregate_frames(pipeline, &batch.frames, period, &|_| true)?;
    Ok(all.into_iter().flatten().collect())
}

/// Aggregates the tables `wanted` selects.
fn aggregate_frames(
    pipeline: &Pipeline,
    frames: &[DataFrame],
    period: Period,
    wanted: &(dyn Fn(usize) -> bool + Sync),
) -> Result<Vec<Option<TableResult>>, Error> {
    guarded(|| aggregate::aggregate_only(pipeline, frames, (period.year, period.month), wanted))
}

/// Runs an aggregation; a panic inside polars becomes an error, not a crash.
fn guarded<T>(f: impl FnOnce() -> Result<T, aggregate::AggregateError>) -> Result<T, Error> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(|e| Error::Aggregate(Box::new(e))),
        Err(panic) => {
            let msg = crate::util::panic_message(panic.as_ref());
            Err(Error::Aggregate(
                crate::t!("run.internal", msg = msg).into(),
            ))
        }
    }
}

/// A run's tables. Tables the last run's results still hold are taken from them. A table
/// made of partials adds up the kept partials of unchanged workbooks and those of the others,
/// aggregated from their rows alone; the other tables are aggregated from frames built only
/// for their datasets.
fn tables_of(
    pipeline: &Pipeline,
    batch: &mut Batch,
    period: Period,
    reuse: Option<&Reuse>,
) -> Result<Vec<TableResult>, Error> {
    let Some(reuse) = reuse else {
        batch.build_frames(pipeline, Build::All)?;
        return aggregate_batch(pipeline, batch, period);
    };
    let mut kept: Vec<Option<TableResult>> = (0..pipeline.tables.len())
        .into_par_iter()
        .map(|ti| reuse.table(pipeline, ti, period))
        .collect();
    // Per dataset, the files with rows for it: their index, name and the key of their
    // partials.
    let sources: Vec<Vec<(usize, String, String)>> = (0..pipeline.datasets.len())
        .map(|d| {
            (0..batch.files.len())
                .filter(|&i| batch.rows_in(i, d))
                .map(|i| {
                    let f = &batch.files[i];
                    (i, f.display.clone(), Reuse::source(f))
                })
                .collect()
        })
        .collect();
    // Partials are told apart by the file column, which needs one name per file.
    let names_unique = {
        let mut seen = std::collections::BTreeSet::new();
        batch.files.iter().all(|f| seen.insert(f.display.as_str()))
    };
    let mut stored: Vec<Option<BTreeMap<String, aggregate::Partials>>> = (0..pipeline.tables.len())
        .into_par_iter()
        .map(|ti| {
            if !names_unique || !aggregate::made_of_partials(pipeline, ti) {
                return None;
            }
            match kept[ti] {
                Some(_) => {
                    reuse.hold_partials(pipeline, ti);
                    None
                }
                None => Some(reuse.partials(pipeline, ti).unwrap_or_default()),
            }
        })
        .collect();
    let frames: Vec<Frame> = (0..pipeline.datasets.len())
        .map(|d| {
            let mut files = vec![false; batch.files.len()];
            for (ti, t) in pipeline.tables.iter().enumerate() {
                if t.dataset != d || kept[ti].is_some() {
                    continue;
                }
                let Some(stored) = &stored[ti] else {
                    return Frame::Whole;
                };
                for (i, _, key) in &sources[d] {
                    files[*i] |= !stored.contains_key(key);
                }
            }
            match files.iter().any(|&f| f) {
                true => Frame::Files(files),
                false => Frame::Empty,
            }
        })
        .collect();
    batch.build_frames(pipeline, Build::Only(&frames))?;
    let reused = kept.iter().filter(|k| k.is_some()).count();
    let from_rows = |ti: usize| kept[ti].is_none() && stored[ti].is_none();
    let fresh = aggregate_frames(pipeline, &batch.frames, period, &from_rows)?;
    let added = (0..pipeline.tables.len())
        .into_par_iter()
        .zip(stored.par_iter_mut())
        .map(|(ti, stored)| {
            let Some(stored) = stored.take() else {
                return Ok(None);
            };
            let d = pipeline.tables[ti].dataset;
            add_partials(
                pipeline,
                ti,
                &batch.frames[d],
                &sources[d],
                stored,
                period,
                reuse,
            )
            .map(Some)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let mut tables = Vec::with_capacity(fresh.len());
    for (ti, ((k, f), a)) in kept.iter_mut().zip(fresh).zip(added).enumerate() {
        if let Some(t) = f.or(a) {
            reuse.keep_table(pipeline, ti, period, &t);
            tables.push(t);
        } else if let Some(t) = k.take() {
            tables.push(t);
        }
    }
    info!(
        reused,
        aggregated = tables.len() - reused,
        "{}",
        crate::t!("log.tables")
    );
    Ok(tables)
}

/// Table `ti` from the partials of each of its dataset's files: kept in `stored`, or
/// aggregated from the file's rows in `frame`. Keeps this run's partials for the next.
fn add_partials(
    pipeline: &Pipeline,
    ti: usize,
    frame: &DataFrame,
    sources: &[(usize, String, String)],
    mut stored: BTreeMap<String, aggregate::Partials>,
    period: Period,
    reuse: &Reuse,
) -> Result<TableResult, Error> {
    guarded(|| {
        let mut fresh = match frame.height() {
            0 => BTreeMap::new(),
            _ => aggregate::file_partials(pipeline, ti, frame)?,
        };
        let mut all = BTreeMap::new();
        let mut sum = aggregate::Partials::default();
        for (_, name, key) in sources {
            // A file's fresh partials are under its name, as in the file column.
            let p = match stored.remove(key) {
                Some(p) => p,
                None => fresh.remove(name).unwrap_or_default(),
            };
            sum.add(&p, pipeline, ti);
            all.insert(key.clone(), p);
        }
        reuse.keep_partials(pipeline, ti, &all);
        aggregate::table_of_partials(pipeline, ti, frame, sum, (period.year, period.month))
    })
}

pub fn run(pipeline: &Pipeline, opts: &RunOptions) -> Result<RunSummary, Error> {
    let start = Instant::now();
    let out_dir = opts.out.as_ref().unwrap_or(&pipeline.output.dir);
    let out_root = emit::output_path(out_dir, &[&pipeline.name]).map_err(emit_error)?;
    // A cache folder that is not one of yearbook's (a link to a folder elsewhere) is neither
    // followed nor used: the run goes on without that cache, and warns.
    let cache_dir = out_root.join(".cache");
    let mut own_warnings = Vec::new();
    let mut not_used = |what: &str, why: String| {
        own_warnings.push(crate::t!("run.not_used", why = why, what = crate::t!(what)));
    };
    let caches = !opts.no_cache
        && crate::util::own_folder(&cache_dir)
            .map_err(|why| not_used("run.what.cache", why))
            .is_ok();
    let cache = match caches && opts.from_parquet.is_none() {
        true => Cache::new(&cache_dir, pipeline)
            .map_err(|why| not_used("run.what.parse_cache", why))
            .ok(),
        false => None,
    };
    let mut trash = match caches {
        true => crate::output::Trash::open(cache_dir.join("trash"))
            .map_err(|why| not_used("run.what.trash", why))
            .ok(),
        false => None,
    };
    let png_cache = match caches {
        true => emit::chart::PngCache::new(&cache_dir.join("charts"))
            .map_err(|why| not_used("run.what.chart_cache", why))
            .ok(),
        false => None,
    };
    let results_usable = cache.is_some()
        && crate::util::own_folder(&cache_dir.join("results"))
            .map_err(|why| not_used("run.what.results", why))
            .is_ok();
    let mut batch = match &opts.from_parquet {
        None => read_batch(pipeline, opts.period, cache.as_ref(), Build::Later)?,
        Some(dir) => {
            let t0 = Instant::now();
            let (files, frames) = crate::partitioned::read(pipeline, dir)?;
            let period = opts
                .period
                .or_else(|| aggregate::frame::latest_period(&frames))
                .or_else(|| aggregate::frame::latest_series_period(&files));
            info!(
                files = files.len(),
                "{}",
                crate::t!("log.clean_read", dir = dir.display())
            );
            Batch {
                files,
                notes: Vec::new(),
                input_warnings: Vec::new(),
                checks: Vec::new(),
                duplicates: Vec::new(),
                period,
                timings: vec![("read", t0.elapsed().as_secs_f64())],
                frames,
                columns: Vec::new(),
                rows_in: Vec::new(),
            }
        }
    };
    batch.input_warnings.extend(own_warnings);
    // A run that stops here still keeps its readings in the parse cache for the next.
    let keep_readings = |batch: &Batch| {
        if let Some(c) = &cache {
            if let Err(e) = store_images(batch.fresh(), c) {
                warn!("{}", crate::t!("run.cache_keep", e = e));
            }
        }
    };
    if let Some(asked) = opts.period {
        if let Err(e) = period_has_data(pipeline, &batch, asked) {
            keep_readings(&batch);
            return Err(e);
        }
    }
    let Some(period) = batch.period else {
        keep_readings(&batch);
        return Err(Error::Data(crate::t!("run.no_rows")));
    };
    let mut warnings = batch.run_warnings();
    for w in &warnings {
        warn!("{w}");
    }
    let acc = batch.accounting();
    if opts.strict && (acc.rows_rejected > 0 || batch.unreadable() > 0) {
        keep_readings(&batch);
        return Err(Error::Data(crate::t!(
            "run.strict",
            rows_rejected = acc.rows_rejected,
            unreadable = batch.unreadable()
        )));
    }
    let t = Instant::now();
    let reuse = cache
        .as_ref()
        .filter(|_| results_usable)
        .map(|c| Reuse::new(&cache_dir.join("results"), c.settings(), pipeline, &batch));
    let tables = match (&opts.from_parquet, &cache) {
        (Some(_), _) => aggregate_batch(pipeline, &batch, period)?,
        (None, None) => tables_of(pipeline, &mut batch, period, reuse.as_ref())?,
        // After one workbook changed, encoding its images was the one thread's work while
        // the other waited to aggregate.
        (None, Some(c)) => {
            let fresh = batch.fresh();
            let (images, tables) = rayon::join(
                || store_images(fresh, c),
                || tables_of(pipeline, &mut batch, period, reuse.as_ref()),
            );
            let images = images.map_err(|e| Error::Aggregate(Box::new(e)))?;
            let tables = tables?;
            batch.set_images(images);
            tables
        }
    };
    let mut tables = tables;
    let (series_tables, series_warnings) =
        aggregate::series::series_tables(pipeline, &batch.files, (period.year, period.month))
            .map_err(Error::Data)?;
    tables.extend(series_tables);
    batch.timings.push(("aggregate", t.elapsed().as_secs_f64()));
    for w in tables.iter().flat_map(|t| &t.warnings) {
        warn!("{w}");
        warnings.push(w.clone());
    }
    if pipeline.output.formats.contains(&Format::Xlsx) {
        for w in emit::xlsx::overlong_cells(&tables) {
            let w = crate::t!(
                "warn.file",
                file = format!("tables/{}.xlsx", pipeline.name),
                e = w
            );
            warn!("{w}");
            warnings.push(w);
        }
    }
    for w in series_warnings {
        warn!("{w}");
        warnings.push(w);
    }

    std::fs::create_dir_all(&out_root).map_err(Error::output(&out_root))?;
    let _lock = crate::output::Lock::acquire(&out_root)?;
    let target = emit::output_path(&out_root, &[&period.to_string()]).map_err(emit_error)?;
    let staging = crate::output::Staging::new(&out_root, &period.to_string())?;

    let t = Instant::now();
    // `--no-cache` writes every file anew. Files are linked only from a folder of this
    // output (not through a symbolic link to one elsewhere, whose files would outlive the
    // run), once the trash no longer holds second names of its files.
    let sink = match trash.as_mut() {
        Some(trash) if target.symlink_metadata().is_ok_and(|m| m.is_dir()) => {
            trash.wait();
            emit::Sink::replacing(staging.path(), &target)
        }
        _ => emit::Sink::default(),
    };
    let mut written = write_outputs(
        pipeline,
        &batch,
        &warnings,
        &tables,
        period,
        staging.path(),
        Earlier {
            png_cache: png_cache.as_ref(),
            reuse: reuse.as_ref(),
            sink: &sink,
        },
    )?;
    batch.timings.push(("write", t.elapsed().as_secs_f64()));
    crate::output::fail_point("manifest")?;
    let manifest = crate::manifest::build(
        pipeline,
        &batch,
        &warnings,
        period,
        staging.path(),
        &written,
        start.elapsed().as_secs_f64(),
    );
    let manifest_path =
        emit::output_path(staging.path(), &["manifest.json"]).map_err(emit_error)?;
    written.push(
        emit::Sink::default()
            .put(&manifest_path, manifest)
            .map_err(Error::output(&manifest_path))?,
    );
    staging.commit(&target, trash.as_ref())?;
    // The new output is published from here on: what fails now is a warning, not a failed run.
    if let Err(e) = crate::output::write_latest(&out_root, &period.to_string()) {
        let cause = std::error::Error::source(&e).map(|c| format!(": {c}"));
        let w = crate::t!(
            "run.latest",
            target_display = target.display(),
            e = e,
            cause = cause.unwrap_or_default()
        );
        warn!("{w}");
        warnings.push(w);
    }
    if let Some(r) = &reuse {
        r.prune();
    }

    let summary = RunSummary {
        dir: target,
        period,
        accounting: acc,
        files: batch.files.len(),
        unreadable: batch.unreadable(),
        warnings: warnings.len(),
        outputs: written.len(),
        seconds: start.elapsed().as_secs_f64(),
    };
    // Unmapping every cache entry and freeing the frames and reports took 1-2 ms of a
    // re-run; that happens on a thread of its own, which the end of the process need not
    // wait for.
    let _ = std::thread::Builder::new().spawn(move || drop((batch, tables, written)));
    Ok(summary)
}

fn emit_error(e: emit::EmitError) -> Error {
    Error::Emit(Box::new(e))
}

/// What earlier runs left that writing the outputs may use.
struct Earlier<'a> {
    png_cache: Option<&'a emit::chart::PngCache>,
    reuse: Option<&'a Reuse>,
    sink: &'a emit::Sink,
}

fn write_outputs(
    pipeline: &Pipeline,
    batch: &Batch,
    warnings: &[String],
    tables: &[TableResult],
    period: Period,
    dir: &Path,
    earlier: Earlier,
) -> Result<Vec<emit::Written>, Error> {
    let Earlier {
        png_cache,
        reuse,
        sink,
    } = earlier;
    let mut written = Vec::new();
    let emit_err = emit_error;
    // Every output's path is made by `emit::output_path`, below `dir`.
    let place = |parts: &[&str]| emit::output_path(dir, parts).map_err(emit_err);
    let (tables_dir, data_dir, charts_dir) =
        (place(&["tables"])?, place(&["data"])?, place(&["charts"])?);
    for d in [&tables_dir, &data_dir, &charts_dir] {
        std::fs::create_dir_all(d).map_err(Error::output(d))?;
    }
    let in_dir = |dir: &Path, name: &str| emit::output_path(dir, &[name]).map_err(emit_err);
    let csv = pipeline.output.csv;
    let formats = &pipeline.output.formats;
    let rel = |p: &Path| {
        p.strip_prefix(dir)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    crate::output::fail_point("tables")?;
    crate::output::delete_point(dir);
    let write_book = || -> Result<Option<emit::Written>, Error> {
        if !formats.contains(&Format::Xlsx) || tables.is_empty() {
            return Ok(None);
        }
        let path = in_dir(&tables_dir, &format!("{}.xlsx", pipeline.name))?;
        let meta = emit::TableMeta {
            title: pipeline.title.clone(),
            source: pipeline.source.clone(),
            period_label: period.label(),
        };
        emit::write_xlsx(tables, &meta, &path, sink)
            .map(Some)
            .map_err(emit_err)
    };
    // One table's CSV, Parquet and charts.
    let write_table = |ti: usize, t: &TableResult| -> Result<_, Error> {
        let mut written = Vec::new();
        let mut l = emit::report::TableLinks::default();
        if formats.contains(&Format::Csv) {
            let path = in_dir(&tables_dir, &format!("{}.csv", t.name))?;
            written.push(emit::write_csv(t, &path, csv, sink).map_err(emit_err)?);
            l.csv = Some(rel(&path));
        }
        if formats.contains(&Format::Parquet) {
            let path = in_dir(&tables_dir, &format!("{}.parquet", t.name))?;
            written.push(emit::write_parquet(t, &path, sink).map_err(emit_err)?);
            l.parquet = Some(rel(&path));
        }
        crate::output::fail_point("charts")?;
        let scale = pipeline.output.chart_scale;
        let declared: Vec<_> = pipeline
            .charts
            .iter()
            .filter(|c| c.table == ti)
            .map(|c| c.spec.clone())
            .collect();
        let specs = if declared.is_empty() {
            vec![emit::chart::ChartSpec::default_for(t)]
        } else {
            declared
        };
        for spec in &specs {
            if let Some((svg, png)) =
                emit::chart::write_chart(t, spec, &charts_dir, scale, png_cache, sink)
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
    let write_data = || -> Result<Vec<emit::Written>, Error> {
        let paths: Vec<Result<emit::Written, Error>> = (0..pipeline.datasets.len())
            .into_par_iter()
            .map(|d| {
                let path = in_dir(&data_dir, &format!("{}.parquet", pipeline.datasets[d].name))?;
                // An unchanged dataset's file is the last run's, byte for byte.
                if let Some(copied) = reuse.and_then(|r| r.copy_data(d, &path, sink)) {
                    return Ok(copied);
                }
                let bytes = batch.data_file(pipeline, d).map_err(|e| Error::Output {
                    path: path.clone(),
                    source: std::io::Error::other(e.to_string()),
                })?;
                let written = sink.put(&path, &bytes).map_err(Error::output(&path))?;
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
    let write_facts = || emit::write_facts(tables, &facts, csv, sink).map_err(emit_err);
    let (data, (book, (per_table, (facts_done, fonts)))) = rayon::join(write_data, || {
        rayon::join(write_book, || {
            use rayon::prelude::*;
            let per_table = || {
                tables
                    .par_iter()
                    .enumerate()
                    .map(|(ti, t)| write_table(ti, t))
                    .collect::<Vec<_>>()
            };
            let fonts = || emit::report::write_fonts(dir, sink).map_err(emit_err);
            rayon::join(per_table, || rayon::join(write_facts, fonts))
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
    if let Some(frame) =
        aggregate::frame::series_frame(&batch.files).map_err(|e| Error::Aggregate(Box::new(e)))?
    {
        let path = in_dir(&data_dir, "series.parquet")?;
        written.push(crate::output::write_frame_parquet(
            &frame,
            &[],
            &path,
            sink,
        )?);
        let path = in_dir(&data_dir, "series.csv")?;
        written.push(emit::write_frame_csv(&frame, &path, csv, sink).map_err(emit_err)?);
    }
    let rejected = place(&["rejected.csv"])?;
    let rows = batch.rejections().into_iter().map(|r| {
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
    written.push(emit::write_records(&rejected, &header, rows, csv, sink).map_err(emit_err)?);

    let acc = batch.accounting();
    let series = emit::report::series_section(
        &batch.files,
        Some("data/series.csv".to_string()),
        Some("data/series.parquet".to_string()),
    );
    // Without a row of the datasets, the period shown is the series' own span.
    let period_label = match &series {
        Some(s) if !batch.has_long_rows() => s.span.clone(),
        _ => period.label(),
    };
    let meta = emit::report::ReportMeta {
        title: &pipeline.title,
        pipeline: &pipeline.name,
        period_label,
        source: pipeline.source.as_deref(),
        files: batch.files.len(),
        unreadable: batch.unreadable(),
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
    written.push(emit::report::write_report(tables, &meta, &index, sink).map_err(emit_err)?);
    written.extend(fonts?);
    Ok(written)
}
