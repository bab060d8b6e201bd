//! The trash: replaced period folders, removed by the next run while it reads.

use std::path::{Path, PathBuf};

/// A folder in the pipeline's `.cache` for the period folders runs replaced. Each run empties it
/// on a thread of its own while it reads, and puts there the folder it replaces, so that
/// removing a period's files is not on the path of a short re-run.
pub struct Trash {
    dir: PathBuf,
    emptying: Option<std::thread::JoinHandle<()>>,
}

impl Trash {
    /// Starts removing what earlier runs left in `dir`. An error (saying what is there) when
    /// `dir` or its parent is not a folder of yearbook's: a link there is not followed.
    pub fn open(dir: PathBuf) -> Result<Trash, String> {
        if let Some(parent) = dir.parent() {
            crate::files::own_folder(parent)?;
        }
        crate::files::own_folder(&dir)?;
        let left = dir.clone();
        let emptying = std::thread::spawn(move || {
            for e in std::fs::read_dir(&left).into_iter().flatten().flatten() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        });
        Ok(Trash {
            dir,
            emptying: Some(emptying),
        })
    }

    /// Waits until what earlier runs left is removed: then no file of the folder being
    /// replaced still has a second name in the trash (see [`crate::emit::OutputWriter`]).
    pub fn wait(&mut self) {
        if let Some(t) = self.emptying.take() {
            let _ = t.join();
        }
    }

    /// Moves a replaced folder in under `name`; false if it could not be moved.
    pub fn take(&self, old: &Path, name: &str) -> bool {
        let made = |p: &Path| crate::files::make_own_folder(p).is_ok();
        self.dir.parent().is_some_and(made)
            && made(&self.dir)
            && std::fs::rename(old, self.dir.join(name)).is_ok()
    }
}

impl Drop for Trash {
    /// A run ends only after what earlier runs left has been removed.
    fn drop(&mut self) {
        self.wait();
    }
}
