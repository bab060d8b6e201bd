//! The parse cache: a workbook's reading, keyed by the sha256 of its bytes, so that next
//! month's run parses only new or changed workbooks.
//!
//! A file whose metadata is as it was when it was last hashed (see [`Stamp`]) is not read
//! or hashed again: its sha256 is taken from the stamps the last run kept.
//!
//! The key also holds a hash of the yearbook version, its dependencies (Cargo.lock) and the
//! pipeline's datasets (the ingestion settings) and the language of messages, which its
//! warnings and rejection reasons are written in: changing any starts a fresh cache. Entries
//! are written atomically, and end with a CRC-32 of the rest; an entry that cannot be read
//! is treated as a miss.
//!
//! An entry is the workbook's report without its rows (bincode), followed by its clean
//! columns, one Parquet image per dataset it has rows for. Columns load several times faster
//! than typed rows rebuilt into columns, and they are decoded only for the datasets a run
//! aggregates again (see [`crate::reuse`]); the clean-data files are joined from the images
//! without decoding them (see [`crate::emit::clean`]).

use super::FileReport;
use crate::aggregate::frame::FILE;
use crate::config::Pipeline;
use crate::model::Period;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tracing::{debug, warn};

/// The inputs' stamps, beside the entries.
const STAMPS: &str = "input-stamps";

pub struct Cache {
    dir: PathBuf,
    settings: String,
    /// Per input path, its metadata when its bytes were last hashed, and their sha256.
    stamps: BTreeMap<PathBuf, (Stamp, String)>,
    /// The same for this run's inputs, saved for the next by [`Cache::save_stamps`].
    seen: Mutex<BTreeMap<PathBuf, (Stamp, String)>>,
}

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
    fn settled(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(0);
        let margin = 2_000_000_000;
        self.modified_ns < now - margin && self.changed_ns < now - margin
    }
}

impl Cache {
    /// The parse cache in `dir`; an error (saying what is there) when `dir` or the folder of
    /// its entries is not a folder of yearbook's: a link there is not followed.
    pub fn new(dir: &Path, pipeline: &Pipeline) -> Result<Cache, String> {
        let settings = serde_json::to_string(&pipeline.datasets).unwrap_or_default();
        // The lock file stands for the exact dependencies (polars' Parquet among them).
        let lock = crate::util::sha256_hex(include_bytes!("../../Cargo.lock"));
        let key = format!(
            "yearbook {} {lock} cache 10 wide {} lang {}\n{settings}",
            env!("CARGO_PKG_VERSION"),
            pipeline.wide_tables,
            crate::i18n::lang().code()
        );
        let settings = crate::util::sha256_hex(key.as_bytes())[..16].to_string();
        crate::util::own_folder(dir)?;
        crate::util::own_folder(&dir.join(&settings))?;
        let stamps = crate::util::read_sealed(&dir.join(STAMPS))
            .and_then(|b| bincode::serde::decode_from_slice(&b, crate::util::bincode_config()).ok())
            .map(|(stamps, _)| stamps)
            .unwrap_or_default();
        Ok(Cache {
            dir: dir.to_path_buf(),
            settings,
            stamps,
            seen: Mutex::new(BTreeMap::new()),
        })
    }

    /// The sha256 of the file at `path` when its stamp is the one it had when last hashed.
    pub fn known(&self, path: &Path, stamp: &Stamp) -> Option<&str> {
        let (was, sha256) = self.stamps.get(path)?;
        (was == stamp).then_some(sha256.as_str())
    }

    /// Notes the sha256 of a file's bytes, hashed when it had this stamp.
    pub fn saw(&self, path: &Path, stamp: Option<Stamp>, sha256: &str) {
        let Some(stamp) = stamp.filter(Stamp::settled) else {
            return;
        };
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(path.to_path_buf(), (stamp, sha256.to_string()));
        }
    }

    /// Keeps this run's stamps (only its inputs') for the next run.
    pub fn save_stamps(&self) {
        let Ok(seen) = self.seen.lock() else {
            return;
        };
        if *seen == self.stamps {
            return;
        }
        let path = self.dir.join(STAMPS);
        let saved = bincode::serde::encode_to_vec(&*seen, crate::util::bincode_config())
            .map_err(std::io::Error::other)
            .and_then(|bytes| crate::util::write_sealed(&path, &bytes));
        if let Err(e) = saved {
            warn!(
                "{}",
                crate::t!("cache.write", path_display = path.display(), e = e)
            );
        }
    }

    /// A hash of the yearbook version, its dependencies and the ingestion settings.
    pub fn settings(&self) -> &str {
        &self.settings
    }

    fn entry(&self, sha256: &str) -> PathBuf {
        self.dir.join(&self.settings).join(format!("{sha256}.bin"))
    }

    /// The cached reading of a workbook, its columns still encoded.
    pub fn get(&self, sha256: &str) -> Option<(FileReport, Columns)> {
        let path = self.entry(sha256);
        let bytes = crate::util::map_sealed(&path);
        if bytes.is_none() && !path.exists() {
            return None;
        }
        let load = || -> Option<(Head, Vec<Option<std::ops::Range<usize>>>)> {
            let body = bytes.as_deref()?;
            let (head, mut at): (Head, usize) =
                bincode::serde::decode_from_slice(body, crate::util::bincode_config()).ok()?;
            if head.report.sha256 != sha256 {
                return None;
            }
            let mut images = Vec::with_capacity(head.images.len());
            for &len in &head.images {
                images.push(match len {
                    Some(len) => {
                        let end = at.checked_add(usize::try_from(len).ok()?)?;
                        let range = at..end;
                        at = end;
                        Some(range)
                    }
                    None => None,
                });
            }
            if at != body.len() {
                return None;
            }
            Some((head, images))
        };
        let hit = load().and_then(|(head, images)| {
            let columns = Columns {
                file: head.report.display.clone(),
                latest: head.latest.map(|(year, month)| Period { year, month }),
                bytes: bytes?,
                images,
            };
            Some((head.report, columns))
        });
        if hit.is_none() {
            debug!("ignoring unreadable cache entry for {sha256}");
        }
        hit
    }

    /// Stores a fresh reading (its rows already dropped) with its clean columns, one Parquet
    /// image per dataset (see [`crate::emit::clean::image`]).
    pub fn put(&self, report: &FileReport, images: &[Option<Vec<u8>>], latest: Option<Period>) {
        if report.sha256.is_empty() {
            return;
        }
        let path = self.entry(&report.sha256);
        let write = || -> std::io::Result<()> {
            let head = HeadRef {
                report,
                latest: latest.map(|p| (p.year, p.month)),
                images: images
                    .iter()
                    .map(|i| i.as_ref().map(|i| i.len() as u64))
                    .collect(),
            };
            let head = bincode::serde::encode_to_vec(&head, crate::util::bincode_config())
                .map_err(std::io::Error::other)?;
            let parts: Vec<&[u8]> = std::iter::once(head.as_slice())
                .chain(images.iter().flatten().map(Vec::as_slice))
                .collect();
            crate::util::write_sealed_parts(&path, &parts)
        };
        if let Err(e) = write() {
            warn!(
                "{}",
                crate::t!("cache.entry", path_display = path.display(), e = e)
            );
        }
    }
}

/// A cached workbook's clean columns as Parquet images, one per dataset (None where it has
/// no rows), and the latest month in them.
pub struct Columns {
    /// The name the images' `file` column holds: the workbook's name when it was read.
    pub file: String,
    pub latest: Option<Period>,
    /// The whole entry; the images are ranges of it, decoded only when asked for.
    bytes: crate::util::SealedMap,
    images: Vec<Option<std::ops::Range<usize>>>,
}

impl Columns {
    pub fn has_rows(&self, dataset: usize) -> bool {
        self.images.get(dataset).is_some_and(Option::is_some)
    }

    /// One dataset's Parquet image, as the clean-data file takes it.
    pub fn image(&self, dataset: usize) -> Option<&[u8]> {
        let range = self.images.get(dataset)?.as_ref()?;
        self.bytes.get(range.clone())
    }

    /// One dataset's columns, the file column set to `display` (so a renamed workbook is
    /// still a hit); None where the workbook has no rows for it.
    pub fn frame(&self, dataset: usize, display: &str) -> PolarsResult<Option<DataFrame>> {
        let Some(image) = self.image(dataset) else {
            return Ok(None);
        };
        let mut df = ParquetReader::new(std::io::Cursor::new(image)).finish()?;
        let file = StringChunked::full(FILE.into(), display, df.height());
        df.with_column(file.into_column())?;
        Ok(Some(df))
    }
}

/// An entry starts with this, followed by the images it gives the lengths of, in order,
/// and ends with a CRC-32 of everything before it.
#[derive(Deserialize)]
struct Head {
    report: FileReport,
    latest: Option<(i32, u32)>,
    images: Vec<Option<u64>>,
}

#[derive(Serialize)]
struct HeadRef<'a> {
    report: &'a FileReport,
    latest: Option<(i32, u32)>,
    images: Vec<Option<u64>>,
}
