//! Writers for the aggregated tables: a published-style XLSX workbook, CSV and Parquet per
//! table, and `facts.csv` with every value in one long list. Every writer is deterministic:
//! the same tables give the same bytes on every run.

pub mod chart;
pub mod clean;
pub mod csv;
pub mod facts;
pub mod layout;
pub mod parquet;
pub mod report;
pub mod xlsx;

use std::path::{Path, PathBuf};

pub use self::csv::{write_csv, write_frame_csv, write_records};
pub use facts::{facts_lines, write_facts};
pub use layout::{display, display_as, CellOut, Grid, MonthStyle};
pub use parquet::write_parquet;
pub use xlsx::{write_xlsx, TableMeta};

/// A file a run wrote, with the size and sha256 the manifest lists: taken from the bytes as
/// they are written, so that no output is read back to be hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
}

impl Written {
    /// Writes `bytes` to `path`.
    pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<Written> {
        let bytes = bytes.as_ref();
        std::fs::write(path, bytes)?;
        Ok(Written::of(path, bytes))
    }

    /// What was written to `path`: these bytes.
    pub fn of(path: &Path, bytes: &[u8]) -> Written {
        Written {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            sha256: crate::util::sha256_hex(bytes),
        }
    }
}

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    #[error("cannot write {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write workbook {}", path.display())]
    Xlsx {
        path: PathBuf,
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    #[error("cannot write Parquet file {}", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: polars::error::PolarsError,
    },
}

impl EmitError {
    /// The file concerned.
    pub fn path(&self) -> &Path {
        match self {
            EmitError::Io { path, .. }
            | EmitError::Xlsx { path, .. }
            | EmitError::Parquet { path, .. } => path,
        }
    }

    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EmitError + '_ {
        move |source| EmitError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
