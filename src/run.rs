//! A run, orchestrated: open the stores, read the batch, aggregate, write the period's files
//! into a staging folder, and commit it. Every rule lives in the stage that applies it; this
//! file only calls them in order.

use crate::aggregate::incremental::Kept;
use crate::batch::{read_batch, Accounting, Batch, Stack};
use crate::config::{Format, Pipeline};
use crate::emit::{self, EmitError, PeriodContext};
use crate::error::Error;
use crate::model::Period;
use crate::publish::{Lock, Staging};
use crate::store::{
    charts::PngCache, links::OutputWriter, parse::Cache, results::Results, trash::Trash,
};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tracing::{info, warn};

pub struct RunOptions {
    pub period: Option<Period>,
    pub out: Option<PathBuf>,
    pub strict: bool,
    /// Parse every workbook again instead of using the cache.
    pub no_cache: bool,
    /// Write every output anew, never as a second name of the replaced folder's file.
    pub no_links: bool,
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

/// The stores of the output folder's `.cache` a run may use. A cache folder that is not one of
/// yearbook's (a link to a folder elsewhere) is neither followed nor used: the run goes on
/// without that store, and warns.
struct Stores {
    dir: PathBuf,
    parse: Option<Cache>,
    trash: Option<Trash>,
    charts: Option<PngCache>,
    results_usable: bool,
    warnings: Vec<String>,
}

impl Stores {
    fn open(out_root: &Path, pipeline: &Pipeline, opts: &RunOptions) -> Stores {
        let dir = out_root.join(".cache");
        let mut warnings = Vec::new();
        let mut not_used = |what: &str, why: String| {
            warnings.push(crate::i18n::t!(
                "run.not_used",
                why = why,
                what = crate::i18n::t!(what)
            ));
        };
        let caches = !opts.no_cache
            && crate::files::own_folder(&dir)
                .map_err(|why| not_used("run.what.cache", why))
                .is_ok();
        let parse = match caches && opts.from_parquet.is_none() {
            true => Cache::new(&dir, pipeline)
                .map_err(|why| not_used("run.what.parse_cache", why))
                .ok(),
            false => None,
        };
        let trash = match caches {
            true => Trash::open(dir.join("trash"))
                .map_err(|why| not_used("run.what.trash", why))
                .ok(),
            false => None,
        };
        let charts = match caches {
            true => PngCache::new(&dir.join("charts"))
                .map_err(|why| not_used("run.what.chart_cache", why))
                .ok(),
            false => None,
        };
        let results_usable = parse.is_some()
            && crate::files::own_folder(&dir.join("results"))
                .map_err(|why| not_used("run.what.results", why))
                .is_ok();
        Stores {
            dir,
            parse,
            trash,
            charts,
            results_usable,
            warnings,
        }
    }

    /// The last run's results for this batch, when the store may be used.
    fn results(&self, pipeline: &Pipeline, batch: &Batch) -> Option<Results> {
        let parse = self.parse.as_ref().filter(|_| self.results_usable)?;
        Some(Results::new(
            &self.dir.join("results"),
            parse.settings(),
            pipeline,
            &batch.files,
            |i, d| batch.rows_in(i, d),
        ))
    }
}

/// Reads the workbooks, or the clean-data folder of `--from-parquet`.
fn read(pipeline: &Pipeline, opts: &RunOptions, stores: &Stores) -> Result<Batch, Error> {
    let Some(dir) = &opts.from_parquet else {
        let cache = stores.parse.as_ref();
        let build = match cache.is_some() && !stores.results_usable {
            true => Stack::Held,
            false => Stack::Later,
        };
        return read_batch(pipeline, opts.period, cache, build);
    };
    let t0 = Instant::now();
    let (files, frames) = crate::clean::partitioned::read(pipeline, dir)?;
    let period = opts
        .period
        .or_else(|| crate::clean::frame::latest_period(&frames))
        .or_else(|| crate::clean::frame::latest_series_period(&files));
    info!(
        files = files.len(),
        "{}",
        crate::i18n::t!("log.clean_read", dir = dir.display())
    );
    Ok(Batch::of_clean_data(
        pipeline,
        files,
        frames,
        period,
        t0.elapsed().as_secs_f64(),
    ))
}

pub fn run(pipeline: &Pipeline, opts: &RunOptions) -> Result<RunSummary, Error> {
    let start = Instant::now();
    let out_dir = opts.out.as_ref().unwrap_or(&pipeline.output.dir);
    let out_root = emit::output_path(out_dir, &[&pipeline.name]).map_err(emit_error)?;
    let mut stores = Stores::open(&out_root, pipeline, opts);
    let mut batch = read(pipeline, opts, &stores)?;
    batch.input_warnings.append(&mut stores.warnings);

    // A run that stops before writing still keeps its readings in the parse cache.
    let stop = |batch: &Batch, e: Error| {
        batch.keep_readings(stores.parse.as_ref());
        Err(e)
    };
    if let Some(asked) = opts.period {
        if let Err(e) = batch.check_period(asked) {
            return stop(&batch, e);
        }
    }
    let Some(period) = batch.period else {
        return stop(&batch, Error::Data(crate::i18n::t!("run.no_rows")));
    };
    let mut warnings = batch.run_warnings();
    for w in &warnings {
        warn!("{w}");
    }
    let acc = batch.accounting();
    if opts.strict && (acc.rows_rejected > 0 || batch.unreadable() > 0) {
        let e = Error::Data(crate::i18n::t!(
            "run.strict",
            rows_rejected = acc.rows_rejected,
            unreadable = batch.unreadable()
        ));
        return stop(&batch, e);
    }

    let t = Instant::now();
    let results = stores.results(pipeline, &batch);
    let kept = results.as_ref().map(|r| r as &dyn Kept);
    let mut tables = match (&opts.from_parquet, &stores.parse) {
        (Some(_), _) => crate::batch::aggregate_batch(pipeline, &batch, period)?,
        (None, None) => batch.tables(pipeline, period, kept)?,
        (None, Some(c)) => batch.tables_storing_images(pipeline, period, kept, c)?,
    };
    let (series_tables, series_warnings) = crate::aggregate::series::series_tables(
        pipeline,
        &batch.files,
        (period.year, period.month),
    )
    .map_err(Error::Data)?;
    tables.extend(series_tables);
    batch.timings.push(("aggregate", t.elapsed().as_secs_f64()));
    let mut later = Vec::new();
    later.extend(tables.iter().flat_map(|t| t.warnings.iter().cloned()));
    if pipeline.output.formats.contains(&Format::Xlsx) {
        later.extend(emit::xlsx::overlong_cells(&tables).into_iter().map(|w| {
            crate::i18n::t!(
                "warn.file",
                file = format!("tables/{}.xlsx", pipeline.name),
                e = w
            )
        }));
    }
    later.extend(series_warnings);
    for w in later {
        warn!("{w}");
        warnings.push(w);
    }

    let series = crate::clean::frame::series_frame(&batch.files)
        .map_err(|e| Error::Aggregate(Box::new(e)))?;

    std::fs::create_dir_all(&out_root).map_err(Error::output(&out_root))?;
    let _lock = Lock::acquire(&out_root)?;
    let target = emit::output_path(&out_root, &[&period.to_string()]).map_err(emit_error)?;
    let staging = Staging::new(&out_root, &period.to_string())?;

    let t = Instant::now();
    // Files are linked only from a folder of this output (not through a symbolic link to one
    // elsewhere, whose files would outlive the run), once the trash no longer holds second
    // names of its files.
    let sink = match stores.trash.as_mut() {
        Some(trash) if !opts.no_links && target.symlink_metadata().is_ok_and(|m| m.is_dir()) => {
            trash.wait();
            OutputWriter::replacing(staging.path(), &target)
        }
        _ => OutputWriter::default(),
    };
    let data_file = |d: usize| batch.data_file(pipeline, d);
    let ctx = PeriodContext {
        pipeline,
        tables: &tables,
        warnings: &warnings,
        period,
        dir: staging.path(),
        files: &batch.files,
        duplicates: &batch.duplicates,
        notes: &batch.notes,
        has_long_rows: batch.has_long_rows(),
        series: series.as_ref(),
        data_file: &data_file,
        results: results.as_ref(),
        charts: stores.charts.as_ref(),
        sink: &sink,
    };
    let mut written = emit::write_period(&ctx).map_err(emit_error)?;
    let mut timings = batch.timings.clone();
    timings.push(("write", t.elapsed().as_secs_f64()));
    emit::write_manifest(&ctx, &mut written, &timings, start.elapsed().as_secs_f64())
        .map_err(emit_error)?;
    batch.timings = timings;
    staging.commit(&target, stores.trash.as_ref())?;
    // The new output is published from here on: what fails now is a warning, not a failed run.
    if let Err(e) = crate::publish::write_latest(&out_root, &period.to_string()) {
        let cause = std::error::Error::source(&e).map(|c| format!(": {c}"));
        let w = crate::i18n::t!(
            "run.latest",
            target_display = target.display(),
            e = e,
            cause = cause.unwrap_or_default()
        );
        warn!("{w}");
        warnings.push(w);
    }
    // What the stores hold beyond recent runs' needs goes, now that the run is published.
    if let Some(r) = &results {
        r.prune();
    }
    if let Some(c) = &stores.parse {
        c.prune();
    }
    if let Some(c) = &stores.charts {
        c.prune();
    }

    Ok(RunSummary {
        dir: target,
        period,
        accounting: acc,
        files: batch.files.len(),
        unreadable: batch.unreadable(),
        warnings: warnings.len(),
        outputs: written.len(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// An error of the writers as the run's error: a file or folder that could not be made is
/// shown on its own (`cannot write PATH`), any other under "cannot write outputs".
fn emit_error(e: EmitError) -> Error {
    match e {
        EmitError::Write { path, source } => Error::Output { path, source },
        e => Error::Emit(Box::new(e)),
    }
}
