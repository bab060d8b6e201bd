//! Atomic output: a staging folder renamed into place, a lock against concurrent runs, and
//! the `latest` pointer.

use crate::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};
use tracing::warn;

/// Test-only failure injection: `YEARBOOK_FAIL_AT=<stage>` makes that stage fail.
pub fn fail_point(stage: &str) -> Result<(), Error> {
    match std::env::var("YEARBOOK_FAIL_AT") {
        Ok(s) if s == stage => Err(Error::Output {
            path: PathBuf::from(format!("<{stage}>")),
            source: std::io::Error::other(format!("injected failure at stage `{stage}`")),
        }),
        _ => Ok(()),
    }
}

/// Test-only: `YEARBOOK_FAIL_AT=delete-output` deletes the pipeline's output folder (the
/// staging folder's parent) as another process might, then lets the run go on.
pub fn delete_point(staging: &Path) {
    if std::env::var("YEARBOOK_FAIL_AT").is_ok_and(|s| s == "delete-output") {
        if let Some(root) = staging.parent() {
            let _ = std::fs::remove_dir_all(root);
        }
    }
}

/// A lock file in the pipeline's output folder; removed on drop.
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    pub fn acquire(dir: &Path) -> Result<Lock, Error> {
        let path = dir.join(".lock");
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid: Option<u32> = holder.trim().parse().ok();
                    if pid.is_some_and(process_alive) {
                        return Err(Error::Usage(format!(
                            "another run (process {}) is writing to {}; wait for it to finish",
                            holder.trim(),
                            dir.display()
                        )));
                    }
                    warn!(
                        "removing stale lock {} left by process {} that is no longer running",
                        path.display(),
                        holder.trim()
                    );
                    std::fs::remove_file(&path).map_err(Error::output(&path))?;
                }
                Err(e) => return Err(Error::Output { path, source: e }),
            }
        }
        Err(Error::Usage(format!(
            "cannot take the lock {}",
            path.display()
        )))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    // Without /proc there is no cheap check: treat the holder as alive rather than break a live lock.
    !Path::new("/proc").is_dir() || Path::new(&format!("/proc/{pid}")).exists()
}

/// A staging folder next to the target; removed on drop unless committed.
pub struct Staging {
    path: PathBuf,
    committed: bool,
}

impl Staging {
    pub fn new(root: &Path, name: &str) -> Result<Staging, Error> {
        // Leftovers from killed runs are removed first.
        if let Ok(entries) = std::fs::read_dir(root) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().to_string();
                if n.starts_with(".staging-") || n.starts_with(".old-") {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let path = root.join(format!(".staging-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(Error::output(&path))?;
        Ok(Staging {
            path,
            committed: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the staging folder to `target`, replacing what was there. The folder it replaces
    /// is removed, or moved into `trash` when one is given (see [`Trash`]).
    pub fn commit(mut self, target: &Path, trash: Option<&Trash>) -> Result<(), Error> {
        let old = target.with_file_name(format!(
            ".old-{}-{}",
            target
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            std::process::id()
        ));
        let had_old = target.exists();
        if had_old {
            std::fs::rename(target, &old).map_err(Error::output(target))?;
        }
        if let Err(e) = std::fs::rename(&self.path, target) {
            if had_old {
                let _ = std::fs::rename(&old, target);
            }
            return Err(Error::Output {
                path: target.to_path_buf(),
                source: e,
            });
        }
        self.committed = true;
        if had_old && !trash.is_some_and(|t| t.take(&old)) {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(())
    }
}

/// A folder in the pipeline's `.cache` for the period folders runs replaced. Each run empties it
/// on a thread of its own while it reads, and puts there the folder it replaces, so that
/// removing a period's files is not on the path of a short re-run.
pub struct Trash {
    dir: PathBuf,
    emptying: Option<std::thread::JoinHandle<()>>,
}

impl Trash {
    /// Starts removing what earlier runs left in `dir`.
    pub fn open(dir: PathBuf) -> Trash {
        let left = dir.clone();
        let emptying = std::thread::spawn(move || {
            for e in std::fs::read_dir(&left).into_iter().flatten().flatten() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        });
        Trash {
            dir,
            emptying: Some(emptying),
        }
    }

    /// Waits until what earlier runs left is removed: then no file of the folder being
    /// replaced still has a second name in the trash (see [`crate::emit::Sink`]).
    pub fn wait(&mut self) {
        if let Some(t) = self.emptying.take() {
            let _ = t.join();
        }
    }

    /// Moves a replaced folder in; false if it could not be moved.
    fn take(&self, old: &Path) -> bool {
        let Some(name) = old.file_name() else {
            return false;
        };
        std::fs::create_dir_all(&self.dir).is_ok()
            && std::fs::rename(old, self.dir.join(name)).is_ok()
    }
}

impl Drop for Trash {
    /// A run ends only after what earlier runs left has been removed.
    fn drop(&mut self) {
        self.wait();
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Points `latest` at the period just written (a small file, portable to every file system).
pub fn write_latest(root: &Path, period: &str) -> Result<(), Error> {
    let tmp = root.join(".latest.tmp");
    let path = root.join("latest");
    std::fs::write(&tmp, format!("{period}\n")).map_err(Error::output(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(Error::output(&path))
}

/// Writes a clean-data frame as Parquet; `money` names its columns of fen.
pub fn write_frame_parquet(
    frame: &polars::prelude::DataFrame,
    money: &[&str],
    path: &Path,
    sink: &crate::emit::Sink,
) -> Result<crate::emit::Written, Error> {
    let bytes = frame_parquet(frame, money).map_err(|e| Error::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    sink.put(path, bytes).map_err(Error::output(path))
}

/// A clean-data frame as a Parquet file's bytes, readable by older Arrow readers, its `money`
/// columns described as fen (see [`crate::emit::parquet::portable`]).
pub fn frame_parquet(
    frame: &polars::prelude::DataFrame,
    money: &[&str],
) -> polars::prelude::PolarsResult<Vec<u8>> {
    use polars::prelude::ParquetWriter;
    // One chunk per column, so the file's layout does not depend on how the rows arrived.
    let mut df = frame.clone();
    df.rechunk_mut();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut df)?;
    crate::emit::parquet::portable(bytes, df.schema(), &money_notes(money))
}

/// Field metadata saying that each of `money` holds fen.
pub fn money_notes<'a>(money: &[&'a str]) -> Vec<(&'a str, crate::emit::parquet::Metadata)> {
    let meta = crate::emit::parquet::money_metadata();
    money.iter().map(|m| (*m, meta.clone())).collect()
}
