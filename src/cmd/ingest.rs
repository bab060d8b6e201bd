//! `yearbook ingest PIPELINE --out DIR [WORKBOOK...]`: ingestion only, into a Hive-partitioned
//! Parquet folder, for one share of the inputs. Several machines each ingest their own list
//! into the same folder; `yearbook run --from-parquet DIR` then aggregates the union.

use crate::error::{exit, Error};
use clap::Args;
use std::path::{Path, PathBuf};
use tracing::{info, warn};

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Pipeline file (TOML): its datasets and inputs.
    pub pipeline: PathBuf,
    /// Clean-data folder to write (`<dataset>/year=…/month=…/part-….parquet`).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Read the workbooks listed in this file, one path per line (relative to the current
    /// folder; blank lines and lines starting with # ignored).
    #[arg(long, value_name = "LIST")]
    pub files_from: Option<PathBuf>,
    /// Workbooks to read; default: every input of the pipeline. Each must be one of the
    /// pipeline's inputs, so that the shares add up to the whole batch.
    pub workbooks: Vec<PathBuf>,
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

pub fn execute(args: IngestArgs) -> Result<u8, Error> {
    let pipeline = crate::config::load(&args.pipeline)?;
    let found = crate::inputs::resolve(&pipeline)
        .map_err(|e| Error::Usage(crate::i18n::t!("run.bad_glob", e = e)))?;
    let mut wanted = args.workbooks.clone();
    if let Some(list) = &args.files_from {
        let text = std::fs::read_to_string(list).map_err(|e| {
            Error::Usage(crate::i18n::t!(
                "cli.cannot_read",
                path = list.display(),
                e = e
            ))
        })?;
        wanted.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(PathBuf::from),
        );
    }
    let all: Vec<(PathBuf, String)> = found
        .files
        .iter()
        .map(|f| (f.path.clone(), f.display.clone()))
        .collect();
    let list: Vec<(PathBuf, String)> = if wanted.is_empty() && args.files_from.is_none() {
        all
    } else {
        let mut list = Vec::new();
        let mut strangers = Vec::new();
        for w in &wanted {
            let c = canonical(w);
            match all.iter().find(|(p, _)| canonical(p) == c) {
                Some(hit) if !list.contains(hit) => list.push(hit.clone()),
                Some(_) => {}
                None => strangers.push(w.display().to_string()),
            }
        }
        if !strangers.is_empty() {
            return Err(Error::Usage(crate::i18n::t!(
                "cli.strangers",
                pipeline_display = args.pipeline.display(),
                v = strangers.join(", ")
            )));
        }
        list.sort_by(|a, b| a.1.cmp(&b.1));
        list
    };
    if list.is_empty() {
        return Err(Error::Usage(crate::i18n::t!("cli.nothing_to_ingest")));
    }
    // As in `run`: each file's rows become polars columns as soon as it is read.
    let batch = crate::batch::read_list(&pipeline, &list, None, crate::batch::Stack::All)?;
    let (part, written) =
        crate::clean::partitioned::write(&pipeline, &batch.files, &batch.frames, &args.out)?;
    let warnings = batch.warnings();
    for w in &warnings {
        warn!("{w}");
    }
    let acc = batch.accounting();
    info!(
        "{}",
        crate::i18n::t!(
            "cli.ingest_done",
            files_len = batch.files.len(),
            part = part,
            rows_read = acc.rows_read,
            rows_kept = acc.rows_kept,
            rows_rejected = acc.rows_rejected,
            rows_skipped = acc.rows_skipped,
            written_len = written.len(),
            out_display = args.out.display()
        )
    );
    Ok(if !warnings.is_empty() || acc.rows_rejected > 0 {
        exit::WARNINGS
    } else {
        exit::OK
    })
}
