//! `yearbook ingest PIPELINE --out DIR [WORKBOOK...]`: ingestion only, into a Hive-partitioned
//! Parquet folder, for one share of the inputs. Several machines each ingest their own list
//! into the same folder; `yearbook run --from-parquet DIR` then aggregates the union.

use crate::error::{exit, Error};
use crate::ingest;
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
        .map_err(|e| Error::Usage(format!("invalid input glob: {e}")))?;
    let mut wanted = args.workbooks.clone();
    if let Some(list) = &args.files_from {
        let text = std::fs::read_to_string(list)
            .map_err(|e| Error::Usage(format!("cannot read {}: {e}", list.display())))?;
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
            return Err(Error::Usage(format!(
                "not inputs of {}: {}",
                args.pipeline.display(),
                strangers.join(", ")
            )));
        }
        list.sort_by(|a, b| a.1.cmp(&b.1));
        list
    };
    if list.is_empty() {
        return Err(Error::Usage("no workbooks to ingest".into()));
    }
    info!(files = list.len(), "reading workbooks");
    let files = ingest::ingest_all(&pipeline, &list, None);
    let frames = crate::aggregate::clean_frames(&pipeline, &files)
        .map_err(|e| Error::Aggregate(Box::new(e)))?;
    let written = crate::partitioned::write(&pipeline, &files, &frames, &args.out)?;
    let mut warnings = 0;
    for f in &files {
        if let Some(e) = &f.error {
            warn!("{}: {e}", f.display);
            warnings += 1;
        }
        for sh in &f.sheets {
            for w in &sh.warnings {
                warn!("{}: sheet `{}`: {w}", f.display, sh.name);
                warnings += 1;
            }
            warnings += sh.rows_rejected.min(1) as usize;
        }
    }
    let (read, kept, rejected, skipped) = files.iter().fold((0, 0, 0, 0), |a, f| {
        let r = f.rows();
        (a.0 + r.0, a.1 + r.1, a.2 + r.2, a.3 + r.3)
    });
    info!(
        "done: {} files as {} | rows read {read}, kept {kept}, rejected {rejected}, skipped {skipped} | {} files in {}",
        files.len(),
        crate::partitioned::part_id(&files),
        written.len(),
        args.out.display()
    );
    Ok(if warnings > 0 {
        exit::WARNINGS
    } else {
        exit::OK
    })
}
