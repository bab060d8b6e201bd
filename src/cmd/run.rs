//! `yearbook run PIPELINE`

use crate::error::{exit, Error};
use crate::model::Period;
use crate::run::{run, RunOptions};
use clap::Args;
use std::path::PathBuf;
use tracing::info;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Pipeline file (TOML).
    pub pipeline: PathBuf,
    /// Report up to this month (YYYY-MM); default: the latest month found in the inputs.
    #[arg(long, value_parser = parse_period)]
    pub period: Option<Period>,
    /// Output folder (default: the pipeline's `output.dir`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Fail, writing nothing, if any row is rejected or any file is unreadable.
    #[arg(long)]
    pub strict: bool,
    /// Parse, aggregate and render everything again, instead of using the caches in the output
    /// folder's `.cache` (parsed workbooks by content, rendered charts by their SVG, and the
    /// last run's tables and clean data by the workbooks they came from).
    #[arg(long)]
    pub no_cache: bool,
    /// Write every output file anew, instead of giving a file that has not changed a second
    /// name (a hard link) of the one in the folder being replaced.
    #[arg(long)]
    pub no_links: bool,
    /// Aggregate the clean data that `yearbook ingest` wrote to this folder (possibly from
    /// several machines) instead of reading the workbooks.
    #[arg(long, value_name = "DIR")]
    pub from_parquet: Option<PathBuf>,
}

pub fn parse_period(s: &str) -> Result<Period, String> {
    Period::parse(s).ok_or_else(|| crate::i18n::t!("cli.bad_period", s = s))
}

/// Runs the pipeline; `json` gives the summary as fields for log collectors.
pub fn execute(args: RunArgs, json: bool) -> Result<u8, Error> {
    let pipeline = crate::config::load(&args.pipeline)?;
    let opts = RunOptions {
        period: args.period,
        out: args.out,
        strict: args.strict,
        no_cache: args.no_cache,
        no_links: args.no_links,
        from_parquet: args.from_parquet,
    };
    let s = run(&pipeline, &opts)?;
    let a = s.accounting;
    if json {
        info!(
            period = %s.period,
            files = s.files,
            unreadable = s.unreadable,
            rows_read = a.rows_read,
            rows_kept = a.rows_kept,
            rows_rejected = a.rows_rejected,
            rows_skipped = a.rows_skipped,
            warnings = s.warnings,
            outputs = s.outputs,
            dir = %s.dir.display(),
            seconds = s.seconds,
            "done"
        );
    } else {
        let period = match crate::i18n::zh() {
            true => s.period.label(),
            false => s.period.to_string(),
        };
        info!(
            "{}",
            crate::i18n::t!("cli.run_done", period = period, files = s.files, unreadable = s.unreadable, rows_read = a.rows_read, rows_kept = a.rows_kept, rows_rejected = a.rows_rejected, rows_skipped = a.rows_skipped, outputs = s.outputs, dir_display = s.dir.display(), seconds = s.seconds : {:.1})
        );
    }
    let code = if s.warnings > 0 {
        exit::WARNINGS
    } else {
        exit::OK
    };
    Ok(code)
}
