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
    /// What was written to `path`: these bytes.
    pub fn of(path: &Path, bytes: &[u8]) -> Written {
        Written {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            sha256: crate::util::sha256_hex(bytes),
        }
    }
}

/// The path of an output below `dir`, the folder being written: `parts` are the folders and
/// the file name in turn, each one plain name (not empty, `.` or `..`, without a separator,
/// a drive or NUL, at most 255 bytes). Every output's path is made here, so that no name a
/// pipeline gives (a table, dataset or chart, checked again here even after the pipeline's
/// own checks) can lead a write out of `dir`.
pub fn output_path(dir: &Path, parts: &[&str]) -> Result<PathBuf, EmitError> {
    let mut path = dir.to_path_buf();
    for part in parts {
        if let Err(why) = plain_name(part) {
            return Err(EmitError::Io {
                path: dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    crate::t!("emit.bad_name", part = part : {:?}, why = crate::i18n::word(why)),
                ),
            });
        }
        path.push(part);
    }
    Ok(path)
}

/// Whether `name` is one plain file name; why not otherwise.
fn plain_name(name: &str) -> Result<(), &'static str> {
    use std::path::Component;
    if name.is_empty() {
        return Err("is empty");
    }
    if name.contains('\0') {
        return Err("holds NUL");
    }
    if name.len() > 255 {
        return Err("is longer than 255 bytes");
    }
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(n)), None) if n == name => Ok(()),
        _ => Err("is not one plain file name"),
    }
}

/// Where a run's files are written. A re-run that replaces a period folder links that
/// folder's file where it holds exactly the bytes to be written: most of a re-run's files
/// are the same as before, and making a file costs more than reading one. Only a plain file
/// with no other name is linked (on Unix; elsewhere nothing is), and the replaced folder
/// goes to `.cache/trash/`, which the next run empties: from then on the new file's name is
/// its only one, and editing it cannot change another folder's file.
#[derive(Debug, Default)]
pub struct Sink {
    /// The folder being written, and the folder it replaces.
    folders: Option<(PathBuf, PathBuf)>,
}

impl Sink {
    /// Writes into `dir`, linking files of `replaced` where they are the same.
    pub fn replacing(dir: &Path, replaced: &Path) -> Sink {
        Sink {
            folders: Some((dir.to_path_buf(), replaced.to_path_buf())),
        }
    }

    /// Writes `bytes` to `path`.
    pub fn put(&self, path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<Written> {
        self.put_as(path, bytes.as_ref(), None)
    }

    /// [`Sink::put`] of bytes whose sha256 is known.
    pub fn put_known(&self, path: &Path, bytes: &[u8], sha256: &str) -> std::io::Result<Written> {
        self.put_as(path, bytes, Some(sha256))
    }

    /// The file at `path`'s place in the folder being replaced, if there is one.
    pub fn before(&self, path: &Path) -> Option<PathBuf> {
        let (dir, replaced) = self.folders.as_ref()?;
        Some(replaced.join(path.strip_prefix(dir).ok()?))
    }

    fn put_as(&self, path: &Path, bytes: &[u8], sha256: Option<&str>) -> std::io::Result<Written> {
        let linked = self
            .before(path)
            .is_some_and(|b| same_bytes(&b, bytes) && std::fs::hard_link(&b, path).is_ok());
        if !linked {
            self.make_room(path);
            std::io::Write::write_all(&mut crate::util::create_own(path)?, bytes)?;
        }
        Ok(match sha256 {
            Some(s) => Written {
                path: path.to_path_buf(),
                size: bytes.len() as u64,
                sha256: s.to_string(),
            },
            None => Written::of(path, bytes),
        })
    }

    /// Removes a name already at `path` before a file is written there: it may be a link to
    /// the replaced folder (two outputs whose names differ only in case, on a file system
    /// that ignores case), which must not be written through.
    pub fn make_room(&self, path: &Path) {
        if self.folders.is_some() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Whether `path` may be linked (see [`linkable`]) and holds exactly `bytes`.
fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
    if !linkable(path, Some(bytes.len() as u64)) {
        return false;
    }
    let mut rest = bytes;
    let read = crate::util::each_chunk(path, |chunk| match rest.strip_prefix(chunk) {
        Some(after) => {
            rest = after;
            true
        }
        None => false,
    });
    read.is_ok_and(|whole| whole && rest.is_empty())
}

/// Whether the file at `path` may become an output's second name: a plain file (a hard link
/// to a symbolic link would be a symbolic link) of `len` bytes when given, with no other
/// name (a backup made of hard links must not share the new file). Unix only.
pub fn linkable(path: &Path, len: Option<u64>) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(path).is_ok_and(|m| {
            m.file_type().is_file() && m.nlink() == 1 && len.is_none_or(|l| m.len() == l)
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (path, len);
        false
    }
}

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    #[error("{}", crate::t!("error.cannot_write", path = path.display()))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", crate::t!("emit.workbook", path = path.display()))]
    Xlsx {
        path: PathBuf,
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    #[error("{}", crate::t!("emit.parquet", path = path.display()))]
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
