//! The parse cache: a workbook's reading, keyed by the sha256 of its bytes, so that next
//! month's run parses only new or changed workbooks.
//!
//! The key also holds a hash of the tool version and the pipeline's datasets (the ingestion
//! settings): changing either starts a fresh cache. Entries are written atomically; an entry
//! that cannot be read is treated as a miss.
//!
//! An entry is the workbook's report without its rows (bincode) and its clean columns, one
//! Parquet image per dataset it has rows for: on a re-run, loading entries is most of the
//! reading, and columns load several times faster than typed rows rebuilt into columns.

use super::FileReport;
use crate::aggregate::frame::FILE;
use crate::config::Pipeline;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tracing::{debug, warn};

pub struct Cache {
    dir: PathBuf,
    settings: String,
}

impl Cache {
    pub fn new(dir: &Path, pipeline: &Pipeline) -> Cache {
        let settings = serde_json::to_string(&pipeline.datasets).unwrap_or_default();
        let key = format!(
            "yearbook {} cache 4 wide {}\n{settings}",
            env!("CARGO_PKG_VERSION"),
            pipeline.wide_tables
        );
        Cache {
            dir: dir.to_path_buf(),
            settings: crate::util::sha256_hex(key.as_bytes())[..16].to_string(),
        }
    }

    fn entry(&self, sha256: &str) -> PathBuf {
        self.dir.join(&self.settings).join(format!("{sha256}.bin"))
    }

    /// The cached reading and columns of a workbook, its file column set to `display`.
    pub fn get(&self, sha256: &str, display: &str) -> Option<(FileReport, Vec<Option<DataFrame>>)> {
        let bytes = std::fs::read(self.entry(sha256)).ok()?;
        let load = || -> Option<(FileReport, Vec<Option<DataFrame>>)> {
            let (entry, read): (Entry, usize) =
                bincode::serde::decode_from_slice(&bytes, config()).ok()?;
            if entry.report.sha256 != sha256 || read != bytes.len() {
                return None;
            }
            let mut frames = Vec::with_capacity(entry.frames.len());
            for image in entry.frames {
                let Some(image) = image else {
                    frames.push(None);
                    continue;
                };
                let mut df = ParquetReader::new(std::io::Cursor::new(image))
                    .finish()
                    .ok()?;
                let file = StringChunked::full(FILE.into(), display, df.height());
                df.with_column(file.into_column()).ok()?;
                frames.push(Some(df));
            }
            Some((entry.report, frames))
        };
        let hit = load();
        if hit.is_none() {
            debug!("ignoring unreadable cache entry for {sha256}");
        }
        hit
    }

    /// Stores a fresh reading (its rows already dropped) with its clean columns.
    pub fn put(&self, report: &FileReport, frames: &[DataFrame]) {
        if report.sha256.is_empty() {
            return;
        }
        let path = self.entry(&report.sha256);
        let write = || -> std::io::Result<()> {
            let mut images = Vec::with_capacity(frames.len());
            for df in frames {
                if df.height() == 0 {
                    images.push(None);
                    continue;
                }
                let mut image = Vec::new();
                // Written on every first reading: the fast codec, no statistics.
                ParquetWriter::new(&mut image)
                    .with_compression(ParquetCompression::Lz4Raw)
                    .with_statistics(StatisticsOptions::empty())
                    .finish(&mut df.clone())
                    .map_err(std::io::Error::other)?;
                images.push(Some(image));
            }
            let entry = EntryRef {
                report,
                frames: images,
            };
            let bytes =
                bincode::serde::encode_to_vec(&entry, config()).map_err(std::io::Error::other)?;
            crate::util::write_atomic(&path, &bytes)
        };
        if let Err(e) = write() {
            warn!("cannot write the parse cache entry {}: {e}", path.display());
        }
    }
}

#[derive(Deserialize)]
struct Entry {
    report: FileReport,
    frames: Vec<Option<Vec<u8>>>,
}

#[derive(Serialize)]
struct EntryRef<'a> {
    report: &'a FileReport,
    frames: Vec<Option<Vec<u8>>>,
}

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}
