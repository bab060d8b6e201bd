//! Atomic output: a staging folder renamed into place, a lock against concurrent runs, and
//! the `latest` pointer.

use crate::error::Error;
use crate::store::trash::Trash;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use tracing::warn;

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
                    if let Ok(m) = std::fs::symlink_metadata(&path) {
                        if !m.is_file() {
                            return Err(planted(&path, &m, "a file"));
                        }
                    }
                    // Read without following a link, and only as far as a process id goes.
                    let mut holder = String::new();
                    match crate::files::open_own(&path) {
                        Ok(f) => {
                            let _ = std::io::Read::read_to_string(&mut f.take(64), &mut holder);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(Error::Output { path, source: e }),
                    }
                    let pid: Option<u32> = holder.trim().parse().ok();
                    if pid.is_some_and(process_alive) {
                        return Err(Error::Usage(crate::i18n::t!(
                            "out.locked",
                            pid = holder.trim(),
                            dir_display = dir.display()
                        )));
                    }
                    warn!(
                        "{}",
                        crate::i18n::t!(
                            "out.stale_lock",
                            path_display = path.display(),
                            pid = holder.trim()
                        )
                    );
                    std::fs::remove_file(&path).map_err(Error::output(&path))?;
                }
                Err(e) => return Err(Error::Output { path, source: e }),
            }
        }
        Err(Error::Usage(crate::i18n::t!(
            "out.lock",
            path_display = path.display()
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
    /// A staging folder in `root` for the period folder `name`, once what killed runs left
    /// in `root` is cleared (see [`clear_leftovers`]) and `latest` is checked.
    pub fn new(root: &Path, name: &str) -> Result<Staging, Error> {
        check_latest(root)?;
        clear_leftovers(root)?;
        let path = root.join(format!(".staging-{name}-{}", std::process::id()));
        std::fs::create_dir(&path).map_err(Error::output(&path))?;
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
    ///
    /// Where the system can, the two folders are exchanged in one step, so that `target`
    /// always names a whole folder, the old or the new. Elsewhere the old folder is renamed
    /// aside to `.old-<name>-<pid>` first; a run stopped between the two renames leaves it
    /// there, and the next run puts it back (see [`clear_leftovers`]).
    pub fn commit(mut self, target: &Path, trash: Option<&Trash>) -> Result<(), Error> {
        let old_name = format!(
            ".old-{}-{}",
            target
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            std::process::id()
        );
        let old = target.with_file_name(&old_name);
        // Whatever is there, a link included, is replaced, never followed.
        let had_old = target.symlink_metadata().is_ok();
        // Test-only: `no-exchange` takes the two renames, `between-renames` also stops the
        // process between them, as a kill would.
        let fail_at = std::env::var("YEARBOOK_FAIL_AT").unwrap_or_default();
        let two_renames = fail_at == "no-exchange" || fail_at == "between-renames";
        if had_old && !two_renames {
            match exchange(&self.path, target) {
                Ok(true) => {
                    // The staging folder's name now holds the replaced folder.
                    self.committed = true;
                    put_away(&self.path, &old_name, trash);
                    return Ok(());
                }
                Ok(false) => {}
                Err(e) => {
                    return Err(Error::Output {
                        path: target.to_path_buf(),
                        source: e,
                    })
                }
            }
        }
        if had_old {
            std::fs::rename(target, &old).map_err(Error::output(target))?;
        }
        if had_old && fail_at == "between-renames" {
            // Ends the process without running destructors: the lock and both folders stay.
            std::process::exit(137);
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
        if had_old {
            put_away(&old, &old_name, trash);
        }
        Ok(())
    }
}

/// Moves what the commit replaced into the trash under `name`, or removes it.
fn put_away(folder: &Path, name: &str, trash: Option<&Trash>) {
    if !trash.is_some_and(|t| t.take(folder, name)) {
        match std::fs::symlink_metadata(folder) {
            Ok(m) if m.is_dir() => {
                let _ = std::fs::remove_dir_all(folder);
            }
            // A link or a file that stood where the period folder should be.
            _ => {
                let _ = std::fs::remove_file(folder);
            }
        }
    }
}

/// Exchanges two entries of a folder in one step (`renameat2` with `RENAME_EXCHANGE`); false
/// where the system or the file system cannot, and nothing was changed.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "path holds NUL"))
    };
    let (a, b) = (c_path(a)?, c_path(b)?);
    // Called through `syscall`, as C libraries before glibc 2.28 have no wrapper.
    // SAFETY: both arguments are NUL-terminated strings that outlive the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::ENOSYS | libc::EINVAL | libc::EOPNOTSUPP) => Ok(false),
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// An error for an entry of the output folder that is not what yearbook made there (a
/// symbolic link where a folder or file of its own should be): it is neither followed nor
/// replaced.
fn planted(path: &Path, m: &std::fs::Metadata, ours: &str) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(crate::i18n::t!(
            "out.planted",
            path_display = path.display(),
            v = crate::i18n::word(crate::files::kind_of(m)),
            ours = crate::i18n::word(ours)
        )),
    }
}

/// Checks that `latest` and its temporary file are plain files or missing, before anything
/// is written; a temporary file left by a killed run is removed.
fn check_latest(root: &Path) -> Result<(), Error> {
    for name in ["latest", ".latest.tmp"] {
        let path = root.join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => {
                if name == ".latest.tmp" {
                    std::fs::remove_file(&path).map_err(Error::output(&path))?;
                }
            }
            Ok(m) => return Err(planted(&path, &m, "a file")),
            Err(_) => {}
        }
    }
    Ok(())
}

/// Clears the staging folders of killed runs, and the `.old-<period>-<pid>` folders of runs
/// killed while replacing a period folder: one whose period folder is missing (the run was
/// stopped between its two renames) is put back, the others are removed. Runs only under
/// the lock, so no other run is in the middle of a commit. An entry of those names that is
/// not a folder (a link) is an error naming it.
fn clear_leftovers(root: &Path) -> Result<(), Error> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Ok(());
    };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".staging-") || n.starts_with(".old-"))
        .collect();
    names.sort();
    for name in names {
        let path = root.join(&name);
        let Ok(m) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !m.is_dir() {
            return Err(planted(&path, &m, "only folders"));
        }
        let period = name
            .strip_prefix(".old-")
            .and_then(|rest| rest.rsplit_once('-'))
            .map(|(period, _)| period)
            .filter(|p| crate::model::Period::parse(p).is_some_and(|q| q.to_string() == *p));
        if let Some(period) = period {
            let folder = root.join(period);
            if std::fs::symlink_metadata(&folder).is_err() {
                std::fs::rename(&path, &folder).map_err(Error::output(&folder))?;
                warn!(
                    "{}",
                    crate::i18n::t!(
                        "out.restored",
                        folder_display = folder.display(),
                        name = name
                    )
                );
                continue;
            }
        }
        let _ = std::fs::remove_dir_all(&path);
    }
    Ok(())
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Points `latest` at the period just written (a small file, portable to every file system).
/// The temporary file is made anew, never opened through what is at its place.
pub fn write_latest(root: &Path, period: &str) -> Result<(), Error> {
    crate::faults::fail_point("latest").map_err(Error::output("<latest>"))?;
    let tmp = root.join(".latest.tmp");
    let path = root.join("latest");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = options.open(&tmp).map_err(Error::output(&tmp))?;
    let written = file.write_all(format!("{period}\n").as_bytes());
    drop(file);
    let done = written
        .map_err(Error::output(&tmp))
        .and_then(|()| std::fs::rename(&tmp, &path).map_err(Error::output(&path)));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn exchange_swaps_two_folders_in_one_step() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        for (d, text) in [(&a, "a"), (&b, "b")] {
            std::fs::create_dir(d).expect("folder");
            std::fs::write(d.join("x"), text).expect("file");
        }
        if !super::exchange(&a, &b).expect("exchange") {
            assert!(
                std::env::var_os("CI").is_none(),
                "this file system cannot exchange folders"
            );
            eprintln!("skipped: this file system cannot exchange folders");
            return;
        }
        assert_eq!(std::fs::read_to_string(a.join("x")).expect("a"), "b");
        assert_eq!(std::fs::read_to_string(b.join("x")).expect("b"), "a");
    }
}
