//! The parse cache: a workbook's reading, keyed by the sha256 of its bytes, so that next
//! month's run parses only new or changed workbooks.
//!
//! The key also holds a hash of the tool version and the pipeline's datasets (the ingestion
//! settings): changing either starts a fresh cache. Entries are written atomically; an entry
//! that cannot be read is treated as a miss. Entries are bincode: on a re-run, loading them
//! is most of the reading, and JSON took several times longer to parse.

use super::FileReport;
use crate::config::Pipeline;
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
            "yearbook {} cache 3 wide {}\n{settings}",
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

    pub fn get(&self, sha256: &str) -> Option<FileReport> {
        let bytes = std::fs::read(self.entry(sha256)).ok()?;
        match bincode::serde::decode_from_slice::<FileReport, _>(&bytes, config()) {
            Ok((r, read)) if r.sha256 == sha256 && read == bytes.len() => Some(r),
            _ => {
                debug!("ignoring unreadable cache entry for {sha256}");
                None
            }
        }
    }

    pub fn put(&self, report: &FileReport) {
        if report.sha256.is_empty() {
            return;
        }
        let path = self.entry(&report.sha256);
        let write = || -> std::io::Result<()> {
            let dir = path.parent().unwrap_or(&self.dir);
            std::fs::create_dir_all(dir)?;
            let tmp = tempfile::NamedTempFile::new_in(dir)?;
            let bytes =
                bincode::serde::encode_to_vec(report, config()).map_err(std::io::Error::other)?;
            std::fs::write(tmp.path(), bytes)?;
            tmp.persist(&path).map_err(|e| e.error)?;
            Ok(())
        };
        if let Err(e) = write() {
            warn!("cannot write the parse cache entry {}: {e}", path.display());
        }
    }
}

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}
