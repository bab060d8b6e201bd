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
        "{}",
        crate::i18n::t!(
            "cli.validate_head",
            pipeline_name = pipeline.name,
            datasets_len = pipeline.datasets.len(),
            tables_len = pipeline.tables.len()
        )
    );
    let batch = read_batch(&pipeline, None, None, Stack::All)?;
    let acc = batch.accounting();
    println!(
        "{}",
        crate::i18n::t!(
            "cli.validate_rows",
            files_len = batch.files.len(),
            unreadable = batch.unreadable(),
            rows_read = acc.rows_read,
            rows_kept = acc.rows_kept,
            rows_rejected = acc.rows_rejected,
            rows_skipped = acc.rows_skipped
        )
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
        println!(
            "{}",
            crate::i18n::t!(
                "cli.validate_ok",
                period = match crate::i18n::zh() {
                    true => period.label(),
                    false => period.to_string(),
                }
            )
        );
    }
    let mut warnings = batch.warnings();
    warnings.extend(series_warnings);
    for n in &batch.notes {
        println!("{}{n}", crate::i18n::t!("cli.note"));
    }
    for w in &warnings {
        println!("{}{w}", crate::i18n::t!("cli.warning"));
    }
    for r in batch.rejections() {
        println!("{}{r}", crate::i18n::t!("cli.rejected"));
    }
    Ok(if acc.rows_rejected > 0 || batch.unreadable() > 0 {
        exit::DATA
    } else if !warnings.is_empty() {
        exit::WARNINGS
    } else {
        exit::OK
    })
}
