//! Small helpers with no better home.

use sha2::{Digest, Sha256};

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
        return Err(std::io::Error::other(crate::t!(
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
        return std::io::Error::other(crate::t!("util.symlink", path_display = path.display()));
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
        Ok(m) => Err(crate::t!(
            "util.not_own",
            path_display = path.display(),
            v = crate::i18n::word(kind_of(&m))
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(crate::t!("util.cannot_look", path = path.display(), e = e)),
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

fn hex(digest: &[u8]) -> String {
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
fn write_atomic_parts(path: &std::path::Path, parts: &[&[u8]]) -> std::io::Result<()> {
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

/// The encoding of the cache files.
pub fn bincode_config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Writes a cache file atomically, followed by a CRC-32 of its bytes, so that a damaged file
/// is noticed before use.
pub fn write_sealed(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    write_sealed_parts(path, &[bytes])
}

/// [`write_sealed`] of the pieces one after another, as if joined.
pub fn write_sealed_parts(path: &std::path::Path, parts: &[&[u8]]) -> std::io::Result<()> {
    let mut crc = crc32fast::Hasher::new();
    parts.iter().for_each(|p| crc.update(p));
    let seal = crc.finalize().to_le_bytes();
    let all: Vec<&[u8]> = parts.iter().copied().chain([seal.as_slice()]).collect();
    write_atomic_parts(path, &all)
}

/// The bytes [`write_sealed`] was given; None when the file is missing, unreadable (a link
/// or not a plain file: see [`open_own`]) or damaged (its CRC-32 does not match).
pub fn read_sealed(path: &std::path::Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open_own(path).ok()?.read_to_end(&mut bytes).ok()?;
    let len = bytes.len().checked_sub(4)?;
    let (body, crc) = bytes.split_at(len);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return None;
    }
    bytes.truncate(len);
    Some(bytes)
}

/// A sealed file's body, mapped rather than read: a re-run reads the parse cache entry of
/// every unchanged workbook, and copying them all into fresh memory took several
/// milliseconds of page faults.
pub struct SealedMap {
    map: memmap2::Mmap,
    len: usize,
}

impl std::ops::Deref for SealedMap {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map[..self.len]
    }
}

/// The body [`write_sealed`] was given, mapped; None as for [`read_sealed`].
pub fn map_sealed(path: &std::path::Path) -> Option<SealedMap> {
    let file = open_own(path).ok()?;
    // SAFETY: sealed files are written beside their place and renamed over it (or removed),
    // never changed where they are, so the mapped bytes cannot change under the map. Another
    // program cutting an entry short while it is mapped would end the process (SIGBUS); on
    // Windows a mapped entry cannot be replaced or removed until the map is dropped.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    let len = map.len().checked_sub(4)?;
    let (body, crc) = map.split_at(len);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return None;
    }
    Some(SealedMap { map, len })
}

/// Copies a sealed file's body to `to` through a small buffer, checking the seal and hashing
/// the body on the way: its size and sha256, or None when the seal does not hold (`to` may
/// then hold part of it). `to` is made as any other output is (`fs::copy` would carry over
/// the store's owner-only permissions).
pub fn copy_sealed(from: &std::path::Path, to: &std::path::Path) -> Option<(u64, String)> {
    use std::io::{Read, Write};
    let mut file = open_own(from).ok()?;
    let len = file.metadata().ok()?.len().checked_sub(4)?;
    let mut out = create_own(to).ok()?;
    let mut crc = crc32fast::Hasher::new();
    let mut sha = Sha256::new();
    let mut buf = [0u8; 64 << 10];
    let mut left = len;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        file.read_exact(&mut buf[..want]).ok()?;
        crc.update(&buf[..want]);
        sha.update(&buf[..want]);
        out.write_all(&buf[..want]).ok()?;
        left -= want as u64;
    }
    let mut seal = [0u8; 4];
    file.read_exact(&mut seal).ok()?;
    // Nothing may follow the seal (the file grew while it was read).
    if file.read(&mut buf[..1]).ok()? != 0 {
        return None;
    }
    (crc.finalize().to_le_bytes() == seal).then(|| (len, hex(&sha.finalize())))
}

/// A character of cell text as XML and HTML text allow it: C0 control characters other than
/// tab and line breaks become U+FFFD, the replacement character.
pub fn xml_text_char(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' => c,
        c if (c as u32) < 0x20 => '\u{FFFD}',
        c => c,
    }
}

/// The message a panic carried, for reporting it as an error.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
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
