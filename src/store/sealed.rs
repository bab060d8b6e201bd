//! The sealed format of every store entry: the bytes, then a CRC-32 of them, written beside
//! their place and renamed over it, so that a damaged or half-written entry is noticed and
//! treated as missing.

use sha2::{Digest, Sha256};

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
    crate::files::write_atomic_parts(path, &all)
}

/// The bytes [`write_sealed`] was given; None when the file is missing, unreadable (a link
/// or not a plain file: see [`open_own`]) or damaged (its CRC-32 does not match).
pub fn read_sealed(path: &std::path::Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    crate::files::open_own(path)
        .ok()?
        .read_to_end(&mut bytes)
        .ok()?;
    let len = bytes.len().checked_sub(4)?;
    let (body, crc) = bytes.split_at(len);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return None;
    }
    bytes.truncate(len);
    Some(bytes)
}

/// A sealed file's body, mapped rather than read: a re-run reads the parse cache entry of
/// every unchanged workbook, and copying them all into fresh memory costs page faults
/// (see BENCHMARKS.md).
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
///
/// # Safety
///
/// `path` must be a sealed file of yearbook's own store, written by [`write_sealed`] and only
/// ever replaced by a rename or removed, never changed in place: the map's bytes must not
/// change while it lives.
pub(crate) unsafe fn map_sealed(path: &std::path::Path) -> Option<SealedMap> {
    let file = crate::files::open_own(path).ok()?;
    // SAFETY: the caller's contract (see above): sealed files are written beside their place and renamed over it (or removed),
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
    let mut file = crate::files::open_own(from).ok()?;
    let len = file.metadata().ok()?.len().checked_sub(4)?;
    let mut out = crate::files::create_own(to).ok()?;
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
    (crc.finalize().to_le_bytes() == seal).then(|| (len, crate::files::hex(&sha.finalize())))
}
