//! The one link policy: an output may be a second name (a hard link) of the file at its place
//! in the folder it replaces, never of anything else. Every writer goes through [`OutputWriter`];
//! `--no-links` (and `--no-cache`) gives every writer a sink that links nothing.

use crate::files::Written;
use std::path::{Path, PathBuf};

/// Where a run's files are written. A re-run that replaces a period folder links that
/// folder's file where it holds exactly the bytes to be written: most of a re-run's files
/// are the same as before, and making a file costs more than reading one. Only a plain file
/// with no other name is linked (on Unix; elsewhere nothing is), and the replaced folder
/// goes to `.cache/trash/`, which the next run empties: from then on the new file's name is
/// its only one, and editing it cannot change another folder's file.
#[derive(Debug, Default)]
pub struct OutputWriter {
    /// The folder being written, and the folder it replaces.
    folders: Option<(PathBuf, PathBuf)>,
}

impl OutputWriter {
    /// Writes into `dir`, linking files of `replaced` where they are the same.
    pub fn replacing(dir: &Path, replaced: &Path) -> OutputWriter {
        OutputWriter {
            folders: Some((dir.to_path_buf(), replaced.to_path_buf())),
        }
    }

    /// Writes `bytes` to `path`.
    pub fn put(&self, path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<Written> {
        self.put_as(path, bytes.as_ref(), None)
    }

    /// [`OutputWriter::put`] of bytes whose sha256 is known.
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
            std::io::Write::write_all(&mut crate::files::create_own(path)?, bytes)?;
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
    let read = crate::files::each_chunk(path, |chunk| match rest.strip_prefix(chunk) {
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
