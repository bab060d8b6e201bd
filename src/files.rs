//! Files as yearbook reads and writes them: hashes, names as text, atomic writes, and its own
//! files and folders opened without following a link.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Lower-case hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Size and lower-case hex sha256 of a file, read through a small buffer.
pub fn file_sha256_hex(path: &std::path::Path) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    each_chunk(path, |chunk| {
        hasher.update(chunk);
        size += chunk.len() as u64;
        true
    })?;
    Ok((size, hex(&hasher.finalize())))
}

/// Reads the file at `path` through a 64 KiB buffer, handing each piece to `f` until it
/// answers false; whether it read to the end.
pub fn each_chunk(
    path: &std::path::Path,
    mut f: impl FnMut(&[u8]) -> bool,
) -> std::io::Result<bool> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut buf = [0u8; 64 << 10];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(true),
            Ok(n) if f(&buf[..n]) => {}
            Ok(_) => return Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Opens a file of yearbook's own (a cache entry, the lock) for reading without following a
/// link: a link, a FIFO or a device where the file should be is an error, so that a planted
/// entry can neither lead a read elsewhere nor block it.
pub fn open_own(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking, so that opening a FIFO returns at once; a regular file ignores it.
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| not_followed(path, e))?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other(crate::i18n::t!(
            "util.not_plain",
            path_display = path.display()
        )));
    }
    Ok(file)
}

/// Creates (or truncates) a file of yearbook's own for writing, without following a link at
/// its place.
pub fn create_own(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map_err(|e| not_followed(path, e))
}

/// The error of an open refused because of a link, saying so (`ELOOP` reads "too many levels
/// of symbolic links").
fn not_followed(path: &std::path::Path, e: std::io::Error) -> std::io::Error {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return std::io::Error::other(crate::i18n::t!(
            "util.symlink",
            path_display = path.display()
        ));
    }
    let _ = path;
    e
}

/// What is at `path`, a folder of yearbook's own: Ok(true) for a folder, Ok(false) for
/// nothing; anything else (a symbolic link even to a folder, a file) is an error saying what
/// it is.
pub fn own_folder(path: &std::path::Path) -> Result<bool, String> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Ok(true),
        Ok(m) => Err(crate::i18n::t!(
            "util.not_own",
            path_display = path.display(),
            v = crate::i18n::word(kind_of(&m))
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(crate::i18n::t!(
            "util.cannot_look",
            path = path.display(),
            e = e
        )),
    }
}

/// Creates `path`, a folder of yearbook's own whose parent exists, unless it is there;
/// never through a link (see [`own_folder`]).
pub fn make_own_folder(path: &std::path::Path) -> std::io::Result<()> {
    if own_folder(path).map_err(std::io::Error::other)? {
        return Ok(());
    }
    match std::fs::create_dir(path) {
        // Made meanwhile: still only a real folder will do.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            own_folder(path).map_err(std::io::Error::other).map(drop)
        }
        r => r,
    }
}

/// What a directory entry is, in words.
pub fn kind_of(m: &std::fs::Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_file() {
        "a file"
    } else {
        "a special file"
    }
}

pub(crate) fn hex(digest: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Writes a file whole or not at all: into a temporary file beside it, then renamed over it.
/// Creates the folder if needed.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_parts(path, &[bytes])
}

/// [`write_atomic`] of several pieces one after another, without joining them first.
pub(crate) fn write_atomic_parts(path: &std::path::Path, parts: &[&[u8]]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    for part in parts {
        tmp.write_all(part)?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A file or folder name as text. Names that are not UTF-8 (as unzipped from an archive made
/// on Chinese Windows) are read as GB18030 where they decode cleanly, so that they show as
/// written and a year in them is found; anything else shows U+FFFD for the bytes it lacks.
pub fn name_text(name: &std::ffi::OsStr) -> String {
    if let Some(s) = name.to_str() {
        return s.to_string();
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = name.as_bytes();
        if let Some(s) =
            encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes)
        {
            return s.into_owned();
        }
    }
    name.to_string_lossy().into_owned()
}

/// An output name refused by [`output_path`].
#[derive(Debug, thiserror::Error)]
#[error("{}", crate::i18n::t!("error.cannot_write", path = path.display()))]
pub struct PathError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// The path of an output below `dir`, the folder being written: `parts` are the folders and
/// the file name in turn, each one plain name (not empty, `.` or `..`, without a separator,
/// a drive or NUL, at most 255 bytes). Every output's path is made here, so that no name a
/// pipeline gives (a table, dataset or chart, checked again here even after the pipeline's
/// own checks) can lead a write out of `dir`.
pub fn output_path(dir: &Path, parts: &[&str]) -> Result<PathBuf, PathError> {
    let mut path = dir.to_path_buf();
    for part in parts {
        if let Err(why) = plain_name(part) {
            return Err(PathError {
                path: dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    crate::i18n::t!("emit.bad_name", part = part : {:?}, why = crate::i18n::word(why)),
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
            sha256: crate::files::sha256_hex(bytes),
        }
    }
}
