//! Pruning: a store keeps what recent runs used. After a run is published, an entry it did not
//! use and that no run has used for [`KEEP_UNUSED`] is removed, so that a store does not grow
//! with every month's workbooks and charts. (The results store keeps one run's entries only.)

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// How long an entry no run uses is kept.
pub const KEEP_UNUSED: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// An entry used less than this long ago is not marked again: marking every used entry on every
/// run would cost a write of metadata per entry.
const MARK_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Removes the entries of `dir` (files and folders by name) not in `used` whose last use is
/// older than `keep`, and marks those in `used` as used now (their modification time). Names
/// starting with `.tmp` are entries being written and are left alone; links are removed, never
/// followed. Errors only leave an entry for the next run.
pub fn unused(dir: &Path, used: &BTreeSet<String>, keep: Duration) {
    let now = SystemTime::now();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with(".tmp") {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if used.contains(&name) {
            if meta.is_file() && age > MARK_AFTER {
                mark(&e.path(), now);
            }
            continue;
        }
        if age <= keep {
            continue;
        }
        let _ = match meta.is_dir() {
            true => std::fs::remove_dir_all(e.path()),
            false => std::fs::remove_file(e.path()),
        };
    }
}

/// Sets a file's modification time to `now`, without following a link.
fn mark(path: &Path, now: SystemTime) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    if let Ok(f) = options.open(path) {
        let _ = f.set_modified(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aged(path: &Path, days: u64) {
        let when = SystemTime::now() - Duration::from_secs(days * 24 * 60 * 60);
        let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        f.set_modified(when).unwrap();
    }

    #[test]
    fn only_entries_unused_for_longer_than_kept_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        for n in ["old-unused", "new-unused", "old-used", ".tmp-old"] {
            std::fs::write(p(n), n).unwrap();
        }
        aged(&p("old-unused"), 40);
        aged(&p("old-used"), 40);
        aged(&p(".tmp-old"), 40);
        std::fs::create_dir(p("old-folder")).unwrap();
        std::fs::write(p("old-folder/x"), "x").unwrap();
        let old = SystemTime::now() - Duration::from_secs(40 * 24 * 60 * 60);
        std::fs::File::open(p("old-folder"))
            .unwrap()
            .set_modified(old)
            .ok();
        let used: BTreeSet<String> = ["old-used".to_string()].into();
        unused(dir.path(), &used, KEEP_UNUSED);
        assert!(!p("old-unused").exists());
        assert!(p("new-unused").exists());
        assert!(p("old-used").exists());
        assert!(p(".tmp-old").exists());
        // A used entry is marked as used now, so it is kept for another month unused.
        let age = SystemTime::now()
            .duration_since(
                std::fs::metadata(p("old-used"))
                    .unwrap()
                    .modified()
                    .unwrap(),
            )
            .unwrap();
        assert!(age < MARK_AFTER, "{age:?}");
        // A folder's time could not be set on every system; where it was, it is removed.
        let folder_age = std::fs::metadata(p("old-folder"))
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|m| SystemTime::now().duration_since(m).ok());
        if folder_age.is_some_and(|a| a > KEEP_UNUSED) {
            unused(dir.path(), &used, KEEP_UNUSED);
            assert!(!p("old-folder").exists());
        }
    }
}
