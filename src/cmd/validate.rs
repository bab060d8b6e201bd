//! `yearbook validate PIPELINE`: checks the pipeline and every input; writes nothing.

use crate::batch::{aggregate_batch, read_batch, Stack};
use crate::error::{exit, Error};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Pipeline file (TOML).
    pub pipeline: PathBuf,
}

pub fn execute(args: ValidateArgs) -> Result<u8, Error> {
    let pipeline = crate::config::load(&args.pipeline)?;
    println!(
        "pipeline `{}`: {} datasets, {} tables",
        pipeline.name,
        pipeline.datasets.len(),
        pipeline.tables.len()
    );
    let batch = read_batch(&pipeline, None, None, Stack::All)?;
    let acc = batch.accounting();
    println!(
        "{} input files ({} unreadable); rows read {} = kept {} + rejected {} + skipped {}",
        batch.files.len(),
        batch.unreadable(),
        acc.rows_read,
        acc.rows_kept,
        acc.rows_rejected,
        acc.rows_skipped
    );
    let mut series_warnings = Vec::new();
    if let Some(period) = batch.period {
        aggregate_batch(&pipeline, &batch, period)?;
        (_, series_warnings) = crate::aggregate::series::series_tables(
            &pipeline,
            &batch.files,
            (period.year, period.month),
        )
        .map_err(Error::Data)?;
        println!("period {period}: every table aggregates");
    }
    let mut warnings = batch.warnings();
    warnings.extend(series_warnings);
    for n in &batch.notes {
        println!("note: {n}");
    }
    for w in &warnings {
        println!("warning: {w}");
    }
    for r in batch.rejections() {
        println!("rejected: {r}");
    }
    Ok(if acc.rows_rejected > 0 || batch.unreadable() > 0 {
        exit::DATA
    } else if !warnings.is_empty() {
        exit::WARNINGS
    } else {
        exit::OK
    })
}
