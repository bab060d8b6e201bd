//! A batch: everything read for one run, before anything is written. It owns the readings
//! (one report per workbook), each workbook's clean columns, and the clean frames stacked from
//! them; it says what became of every row and which warnings the run shows.

mod read;
mod stream;

pub use read::{read_batch, read_list};

use crate::aggregate::incremental::{self, Kept, Rows};
use crate::aggregate::{self, TableResult};
use crate::config::Pipeline;
use crate::error::Error;
use crate::ingest::{self, FileReport};
pub use crate::ingest::{Accounting, Duplicate};
use crate::model::Period;
use crate::store::parse::{Cache, Columns};
use polars::prelude::{DataFrame, PolarsResult};
use rayon::prelude::*;
use tracing::warn;

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
    pub(crate) columns: Vec<FileColumns>,
    /// Per file, per dataset: whether the file has clean rows for it.
    pub(crate) rows_in: Vec<Vec<bool>>,
    /// What was folded into partials as it was read (see [`stream`]).
    pub(crate) streamed: Option<stream::Streamed>,
}

/// A file's clean columns: built from a fresh reading (with their images once the parse cache
/// has asked for them), or still encoded in the parse cache.
pub(crate) enum FileColumns {
    Built {
        frames: Vec<DataFrame>,
        images: Option<ParquetImages>,
    },
    Cached(Columns),
}

/// A file as read: its report, its clean columns and the latest month in them.
pub(crate) type Read = (FileReport, FileColumns, Option<Period>);

impl FileColumns {
    fn has_rows(&self, dataset: usize) -> bool {
        match self {
            // Images, once made, stand for rows whose frames were dropped (see `stream`).
            FileColumns::Built {
                images: Some(images),
                ..
            } => images.get(dataset).is_some_and(Option::is_some),
            FileColumns::Built { .. } => self.frame_rows(dataset) > 0,
            FileColumns::Cached(c) => c.has_rows(dataset),
        }
    }

    /// How many rows of `dataset` the file's frames still hold.
    fn frame_rows(&self, dataset: usize) -> usize {
        match self {
            FileColumns::Built { frames, .. } => frames.get(dataset).map_or(0, DataFrame::height),
            FileColumns::Cached(_) => 0,
        }
    }

    /// The file's images, where they are made.
    fn images(&self) -> Option<Vec<&[u8]>> {
        match self {
            FileColumns::Built {
                images: Some(images),
                ..
            } => Some(images.iter().flatten().map(Vec::as_slice).collect()),
            FileColumns::Built { images: None, .. } => None,
            FileColumns::Cached(c) => Some(c.images().collect()),
        }
    }

    /// The file's part of a dataset's clean-data file, its image encoded now into `fresh` if
    /// there is none yet; None where the file has no rows.
    fn part<'a>(
        &'a self,
        dataset: usize,
        file: &'a str,
        fresh: &'a Option<Vec<u8>>,
    ) -> Option<crate::clean::image::Part<'a>> {
        let (image, written_as) = match self {
            FileColumns::Built {
                images: Some(images),
                ..
            } => (images.get(dataset)?.as_deref()?, file),
            FileColumns::Built { images: None, .. } => (fresh.as_deref()?, file),
            FileColumns::Cached(c) => (c.image(dataset)?, c.file.as_str()),
        };
        Some(crate::clean::image::Part {
            image,
            file,
            written_as,
        })
    }
}

/// Which datasets' frames a batch stacks from its files' columns.
#[derive(Clone, Copy)]
pub enum Stack<'a> {
    All,
    /// None yet: the columns are kept until a later call, and rows may be folded into
    /// partials as they are read (see [`stream`]).
    Later,
    /// None yet, and every row held: the parse cache without the results store, whose
    /// per-file partials are what would stand for the rows of the workbooks the cache gives back.
    Held,
    /// Per dataset, the rows given.
    Only(&'a [Rows]),
}

impl Batch {
    /// A batch of clean data read back from a partitioned folder (`run --from-parquet`):
    /// its frames whole, with no workbook columns behind them, and the checks across files
    /// run on the sums its reports kept.
    pub fn of_clean_data(
        pipeline: &Pipeline,
        files: Vec<FileReport>,
        frames: Vec<DataFrame>,
        period: Option<Period>,
        read_seconds: f64,
    ) -> Batch {
        Batch {
            checks: aggregate::checks::cross_file(pipeline, &files),
            files,
            notes: Vec::new(),
            input_warnings: Vec::new(),
            duplicates: Vec::new(),
            period,
            timings: vec![("read", read_seconds)],
            frames,
            columns: Vec::new(),
            rows_in: Vec::new(),
            streamed: None,
        }
    }

    pub fn accounting(&self) -> Accounting {
        Accounting::of(&self.files)
    }

    pub fn unreadable(&self) -> usize {
        self.files.iter().filter(|f| f.error.is_some()).count()
    }

    /// Every warning a person should see, one line each, file and sheet named.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = self.input_warnings.clone();
        for d in &self.duplicates {
            out.push(crate::i18n::t!(
                "warn.duplicate",
                path = d.path,
                same_as = d.same_as,
                sha256 = d.sha256
            ));
        }
        for f in &self.files {
            if let Some(e) = &f.error {
                out.push(crate::i18n::t!("warn.file", file = f.display, e = e));
            }
            for sh in &f.sheets {
                for w in &sh.warnings {
                    out.push(crate::i18n::t!(
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
            out.push(crate::i18n::t!("warn.rejected", n = rejected));
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
    pub fn build_frames(&mut self, pipeline: &Pipeline, build: Stack) -> Result<(), Error> {
        let wanted = |d: usize| match build {
            Stack::All => &Rows::All,
            Stack::Later | Stack::Held => &Rows::None,
            Stack::Only(w) => w.get(d).unwrap_or(&Rows::None),
        };
        if matches!(build, Stack::Later | Stack::Held) {
            return Ok(());
        }
        let columns = &self.columns;
        let aggregate_err = |e| Error::Aggregate(Box::new(e));
        let mut out = crate::clean::clean_frames(pipeline, &[]).map_err(aggregate_err)?;
        for (d, acc) in out.iter_mut().enumerate() {
            let want = wanted(d);
            if *want == Rows::None {
                continue;
            }
            let parts: Vec<Option<DataFrame>> = columns
                .par_iter()
                .zip(&self.files)
                .enumerate()
                .map(|(i, (c, f))| match c {
                    _ if matches!(want, Rows::OfFiles(w) if !w.get(i).copied().unwrap_or(false)) => {
                        Ok(None)
                    }
                    // Rows folded as they were read are not held: a table that asks for them
                    // would be made from nothing, so that is an error, never an empty frame.
                    FileColumns::Built { .. } if c.frame_rows(d) == 0 && c.has_rows(d) => {
                        let msg = format!("the rows of {} were folded as read", f.display);
                        Err(Error::Aggregate(crate::i18n::t!("run.internal", msg = msg).into()))
                    }
                    FileColumns::Built { frames, .. } => Ok(frames.get(d).cloned()),
                    // The entry passed its CRC check, so this is not damage on disk.
                    FileColumns::Cached(c) => c.frame(d, &f.display).map_err(|e| {
                        Error::Data(crate::i18n::t!("run.cache_decode", f_display = f.display, e = e))
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
    pub fn data_file(&self, pipeline: &Pipeline, dataset: usize) -> PolarsResult<Vec<u8>> {
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
            return crate::clean::encode::frame_parquet(frame, &money);
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
                    Some(f) => crate::clean::image::image_of(f),
                    None => Ok(None),
                },
                _ => Ok(None),
            })
            .collect::<PolarsResult<_>>()?;
        let parts: Vec<crate::clean::image::Part> = self
            .columns
            .iter()
            .zip(&self.files)
            .zip(&fresh)
            .filter_map(|((c, f), fresh)| c.part(dataset, &f.display, fresh))
            .collect();
        let empty = crate::clean::clean_frames(pipeline, &[])?;
        let joined = crate::clean::image::join(&parts, &empty[dataset])?;
        crate::clean::encode::portable(
            joined,
            empty[dataset].schema(),
            &crate::clean::encode::money_notes(&money),
        )
    }

    /// The workbooks read afresh whose images are still to be encoded: their frames and
    /// reports (copies, so that the aggregation may go on with the batch meanwhile).
    fn unstored(&self) -> Vec<Unstored> {
        self.columns
            .iter()
            .zip(&self.files)
            .enumerate()
            .filter_map(|(index, (c, report))| match c {
                FileColumns::Built {
                    frames,
                    images: None,
                } => Some(Unstored {
                    index,
                    frames: frames.clone(),
                    report: report.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    fn set_images(&mut self, stored: Vec<(usize, ParquetImages)>) {
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

    /// A period asked for on the command line must have rows: tables of a month without data
    /// would be empty or repeat an earlier month. The error names the nearest months with data.
    pub fn check_period(&self, asked: Period) -> Result<(), Error> {
        use polars::prelude::{ParquetReader, SerReader};
        let mut periods = std::collections::BTreeSet::new();
        crate::clean::frame::data_periods(&self.frames, &mut periods);
        let columns = [
            crate::clean::frame::YEAR.to_string(),
            crate::clean::frame::MONTH.to_string(),
        ];
        for c in &self.columns {
            let images = match (c, c.images()) {
                (_, Some(images)) => images,
                (FileColumns::Built { frames, .. }, None) => {
                    crate::clean::frame::data_periods(frames, &mut periods);
                    continue;
                }
                (FileColumns::Cached(_), None) => continue,
            };
            for image in images {
                let frame = ParquetReader::new(std::io::Cursor::new(image))
                    .with_columns(Some(columns.to_vec()))
                    .finish()
                    .map_err(|e| Error::Aggregate(Box::new(e)))?;
                crate::clean::frame::data_periods(std::slice::from_ref(&frame), &mut periods);
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
        Err(Error::Data(crate::i18n::t!(
            "run.no_period",
            asked = asked,
            year = asked.year,
            month = asked.month,
            v = nearest.join(&crate::i18n::t!("common.and"))
        )))
    }
}

impl Batch {
    /// The run's tables: with the results store, only what changed is aggregated again (see
    /// [`aggregate::incremental`]); without it, every table from every row.
    pub fn tables(
        &mut self,
        pipeline: &Pipeline,
        period: Period,
        kept: Option<&dyn Kept>,
    ) -> Result<Vec<TableResult>, Error> {
        let Some(kept) = kept else {
            return self.tables_from_rows(pipeline, period);
        };
        let streamed = self.streamed.take();
        let rows_in = |i: usize, d: usize| self.rows_in(i, d);
        let folded = |ti: usize, i: usize| {
            let s = streamed.as_ref().filter(|s| s.tables[ti])?;
            s.partials.get(i)?.get(ti)?.clone()
        };
        let plan = incremental::plan(pipeline, &self.files, &rows_in, period, kept, &folded);
        self.build_frames(pipeline, Stack::Only(&plan.rows))?;
        guarded(|| incremental::finish(pipeline, plan, &self.frames, period, kept))
    }

    /// Every table from every row: those folded as the batch was read from its files'
    /// partials, the others from frames built for their datasets alone.
    fn tables_from_rows(
        &mut self,
        pipeline: &Pipeline,
        period: Period,
    ) -> Result<Vec<TableResult>, Error> {
        let Some(streamed) = self.streamed.take() else {
            self.build_frames(pipeline, Stack::All)?;
            return aggregate_batch(pipeline, self, period);
        };
        // Only the workbooks read afresh were folded; one the parse cache gave back has no
        // partials here, and leaving it out would make every folded table wrong.
        if let Some(i) = self
            .columns
            .iter()
            .position(|c| matches!(c, FileColumns::Cached(_)))
        {
            let msg = format!(
                "{} came from the parse cache into a folded batch",
                self.files[i].display
            );
            return Err(Error::Aggregate(
                crate::i18n::t!("run.internal", msg = msg).into(),
            ));
        }
        let rows: Vec<Rows> = streamed
            .datasets
            .iter()
            .map(|&folded| if folded { Rows::None } else { Rows::All })
            .collect();
        self.build_frames(pipeline, Stack::Only(&rows))?;
        let others = |ti: usize| !streamed.tables[ti];
        let mut tables = guarded(|| {
            aggregate::aggregate_only(pipeline, &self.frames, (period.year, period.month), &others)
        })?;
        let schemas =
            crate::clean::clean_frames(pipeline, &[]).map_err(|e| Error::Aggregate(Box::new(e)))?;
        for (ti, table) in tables.iter_mut().enumerate() {
            if streamed.tables[ti] {
                let schema = &schemas[pipeline.tables[ti].dataset];
                let sum = streamed.sum(pipeline, ti);
                *table = Some(guarded(|| {
                    aggregate::table_of_partials(
                        pipeline,
                        ti,
                        schema,
                        sum,
                        (period.year, period.month),
                    )
                })?);
            }
        }
        Ok(tables.into_iter().flatten().collect())
    }

    /// Stores the images of the workbooks read afresh in the parse cache, beside the
    /// aggregation of the tables: after one workbook changed, encoding its images was one
    /// thread's work while the other waited to aggregate.
    pub fn tables_storing_images(
        &mut self,
        pipeline: &Pipeline,
        period: Period,
        kept: Option<&dyn Kept>,
        cache: &Cache,
    ) -> Result<Vec<TableResult>, Error> {
        let fresh = self.unstored();
        let (images, tables) = rayon::join(
            || store_images(fresh, cache),
            || self.tables(pipeline, period, kept),
        );
        let images = images.map_err(|e| Error::Aggregate(Box::new(e)))?;
        let tables = tables?;
        self.set_images(images);
        Ok(tables)
    }

    /// Keeps the readings of a run that stops before writing in the parse cache, for the next.
    pub fn keep_readings(&self, cache: Option<&Cache>) {
        if let Some(c) = cache {
            if let Err(e) = store_images(self.unstored(), c) {
                warn!("{}", crate::i18n::t!("run.cache_keep", e = e));
            }
        }
    }
}

/// A workbook's Parquet images, one per dataset (None where it has no rows).
pub type ParquetImages = Vec<Option<Vec<u8>>>;

/// A workbook read afresh, its images still to be encoded.
struct Unstored {
    index: usize,
    frames: Vec<DataFrame>,
    report: ingest::FileReport,
}

/// Encodes the images of workbooks read afresh and stores each with its reading in the parse
/// cache. Only the clean-data files wait for the images: the aggregation, which needs the
/// frames alone, runs beside this (see `crate::run`).
fn store_images(fresh: Vec<Unstored>, cache: &Cache) -> PolarsResult<Vec<(usize, ParquetImages)>> {
    fresh
        .into_par_iter()
        .map(|f| {
            let images = f
                .frames
                .iter()
                .map(crate::clean::image::image_of)
                .collect::<PolarsResult<Vec<_>>>()?;
            let latest = crate::clean::frame::latest_period(&f.frames);
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
pub(crate) fn guarded<T>(
    f: impl FnOnce() -> Result<T, aggregate::AggregateError>,
) -> Result<T, Error> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(|e| Error::Aggregate(Box::new(e))),
        Err(panic) => {
            let msg = crate::error::panic_message(panic.as_ref());
            Err(Error::Aggregate(
                crate::i18n::t!("run.internal", msg = msg).into(),
            ))
        }
    }
}
