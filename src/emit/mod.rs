//! Writers for the aggregated tables: a published-style XLSX workbook, CSV and Parquet per
//! table, and `facts.csv` with every value in one long list. Every writer is deterministic:
//! the same tables give the same bytes on every run.

pub mod chart;
pub mod csv;
pub mod facts;
pub mod grid;
pub mod manifest;
pub mod parquet;
pub mod period;
pub mod report;
pub mod xlsx;

use std::path::{Path, PathBuf};

pub use crate::files::Written;
pub use crate::store::links::OutputWriter;

pub use self::csv::{write_csv, write_frame_csv, write_records};
pub use facts::{facts_lines, write_facts};
pub use grid::{display, display_as, CellOut, Grid, MonthStyle};
pub use parquet::write_parquet;
pub use period::{write_manifest, write_period, PeriodContext};
pub use xlsx::{write_xlsx, TableMeta};

/// The path of an output below `dir` (see [`crate::files::output_path`]).
pub fn output_path(dir: &Path, parts: &[&str]) -> Result<PathBuf, EmitError> {
    crate::files::output_path(dir, parts).map_err(|e| EmitError::Io {
        path: e.path,
        source: e.source,
    })
}

/// Writes a clean-data frame as Parquet; `money` names its columns of fen.
pub fn write_frame_parquet(
    frame: &polars::prelude::DataFrame,
    money: &[&str],
    path: &Path,
    sink: &OutputWriter,
) -> Result<Written, EmitError> {
    let bytes = crate::clean::encode::frame_parquet(frame, money).map_err(|e| EmitError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    sink.put(path, bytes).map_err(EmitError::io(path))
}

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// A file or folder of the period that could not be made, shown on its own as the run's
    /// error (`cannot write PATH`) rather than under "cannot write outputs".
    #[error("{}", crate::i18n::t!("error.cannot_write", path = path.display()))]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", crate::i18n::t!("error.cannot_write", path = path.display()))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", crate::i18n::t!("emit.workbook", path = path.display()))]
    Xlsx {
        path: PathBuf,
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    #[error("{}", crate::i18n::t!("emit.parquet", path = path.display()))]
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
            | EmitError::Write { path, .. }
            | EmitError::Xlsx { path, .. }
            | EmitError::Parquet { path, .. } => path,
        }
    }

    pub(crate) fn write(path: &Path) -> impl FnOnce(std::io::Error) -> EmitError + '_ {
        move |source| EmitError::Write {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EmitError + '_ {
        move |source| EmitError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A character of cell text as XML and HTML text allow it: C0 control characters other than
/// tab and line breaks become U+FFFD, the replacement character.
pub(crate) fn xml_text_char(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' => c,
        c if (c as u32) < 0x20 => '\u{FFFD}',
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_path_never_leaves_its_folder() {
        let dir = Path::new("/out/t/.staging-2022-12-1");
        let ok = output_path(dir, &["tables", "按性质.csv"]).unwrap();
        assert_eq!(ok, dir.join("tables").join("按性质.csv"));
        let long = "名".repeat(90);
        for bad in [
            "../x",
            "..",
            ".",
            "",
            "/tmp/x",
            "a/../../b",
            "a/b",
            "x/",
            "./x",
            "a\0b",
            "\0",
            long.as_str(),
        ] {
            let e = output_path(dir, &["tables", bad]).unwrap_err();
            assert_eq!(e.path(), dir, "{bad:?}");
            let text = format!("{}", std::error::Error::source(&e).unwrap());
            assert!(text.contains(&format!("{bad:?}")), "{text}");
            let e = output_path(dir, &[bad, "x.csv"]).unwrap_err();
            assert_eq!(e.path(), dir, "{bad:?}");
        }
        #[cfg(windows)]
        for bad in ["C:x", "a\\b", "\\x"] {
            assert!(output_path(dir, &[bad]).is_err(), "{bad:?}");
        }
    }
}
