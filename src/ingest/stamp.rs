//! A file's stamp: what its metadata says of its bytes.

use serde::{Deserialize, Serialize};

/// What a file's metadata says of its bytes: an unchanged stamp means unchanged bytes, as
/// in git's index. The change time moves with every write and cannot be set back, so a
/// rewrite that keeps the size and the modification time still shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    len: u64,
    modified_ns: i128,
    changed_ns: i128,
    inode: u64,
    device: u64,
}

impl Stamp {
    #[cfg(unix)]
    pub fn of(m: &std::fs::Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        Some(Stamp {
            len: m.size(),
            modified_ns: ns(m.mtime(), m.mtime_nsec()),
            changed_ns: ns(m.ctime(), m.ctime_nsec()),
            inode: m.ino(),
            device: m.dev(),
        })
    }

    /// Elsewhere every input is hashed on every run.
    #[cfg(not(unix))]
    pub fn of(_: &std::fs::Metadata) -> Option<Stamp> {
        None
    }

    /// Whether the file was last written well before now. A file written again within the
    /// clock's granularity of its last write could keep its stamp, so a stamp is trusted
    /// only once the file has been left alone for a while.
    pub fn settled(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(0);
        let margin = 2_000_000_000;
        self.modified_ns < now - margin && self.changed_ns < now - margin
    }
}
