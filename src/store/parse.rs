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
//! columns, one Parquet image per dataset it has rows for. Columns load faster than typed rows
//! rebuilt into columns, and they are decoded only for the datasets a run aggregates again
//! (see [`crate::store::results`]); the clean-data files are joined from the images without
//! decoding them (see [`crate::clean::image`]).

use crate::clean::frame::FILE;
use crate::config::Pipeline;
use crate::ingest::{FileReport, Readings, Stamp};
use crate::model::Period;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
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
    /// Entry file names this run read or wrote (see [`Cache::prune`]).
    used: Mutex<BTreeSet<String>>,
}

impl Cache {
    /// The parse cache in `dir`; an error (saying what is there) when `dir` or the folder of
    /// its entries is not a folder of yearbook's: a link there is not followed.
    pub fn new(dir: &Path, pipeline: &Pipeline) -> Result<Cache, String> {
        let settings = serde_json::to_string(&pipeline.datasets).unwrap_or_default();
        // The lock file stands for the exact dependencies (polars' Parquet among them).
        let lock = crate::files::sha256_hex(include_bytes!("../../Cargo.lock"));
        let key = format!(
            "yearbook {} {lock} cache 10 wide {} lang {}\n{settings}",
            env!("CARGO_PKG_VERSION"),
            pipeline.wide_tables,
            crate::i18n::lang().code()
        );
        let settings = crate::files::sha256_hex(key.as_bytes())[..16].to_string();
        crate::files::own_folder(dir)?;
        crate::files::own_folder(&dir.join(&settings))?;
        let stamps = crate::store::sealed::read_sealed(&dir.join(STAMPS))
            .and_then(|b| {
                bincode::serde::decode_from_slice(&b, crate::store::sealed::bincode_config()).ok()
            })
            .map(|(stamps, _)| stamps)
            .unwrap_or_default();
        Ok(Cache {
            dir: dir.to_path_buf(),
            settings,
            stamps,
            seen: Mutex::new(BTreeMap::new()),
            used: Mutex::new(BTreeSet::new()),
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
        let saved = bincode::serde::encode_to_vec(&*seen, crate::store::sealed::bincode_config())
            .map_err(std::io::Error::other)
            .and_then(|bytes| crate::store::sealed::write_sealed(&path, &bytes));
        if let Err(e) = saved {
            warn!(
                "{}",
                crate::i18n::t!("cache.write", path_display = path.display(), e = e)
            );
        }
    }

    /// A hash of the yearbook version, its dependencies and the ingestion settings.
    pub fn settings(&self) -> &str {
        &self.settings
    }

    fn entry(&self, sha256: &str) -> PathBuf {
        let name = format!("{sha256}.bin");
        if let Ok(mut used) = self.used.lock() {
            used.insert(name.clone());
        }
        self.dir.join(&self.settings).join(name)
    }

    /// Removes entries no run has used for a while, and the folders of other settings (an
    /// earlier yearbook or other datasets) once unused as long (see [`super::prune`]).
    pub fn prune(&self) {
        let keep = super::prune::KEEP_UNUSED;
        if let Ok(used) = self.used.lock() {
            super::prune::unused(&self.dir.join(&self.settings), &used, keep);
        }
        let mine: BTreeSet<String> = [self.settings.clone(), STAMPS.to_string()].into();
        super::prune::unused(&self.dir, &only_settings(&self.dir, mine), keep);
    }

    /// The cached reading of a workbook, its columns still encoded.
    pub fn get(&self, sha256: &str) -> Option<(FileReport, Columns)> {
        let path = self.entry(sha256);
        // SAFETY: an entry of this store, written by `write_sealed_parts` and only replaced
        // by a rename (see `map_sealed`).
        let bytes = unsafe { crate::store::sealed::map_sealed(&path) };
        if bytes.is_none() && !path.exists() {
            return None;
        }
        let load = || -> Option<(Head, Vec<Option<std::ops::Range<usize>>>)> {
            let body = bytes.as_deref()?;
            let (head, mut at): (Head, usize) =
                bincode::serde::decode_from_slice(body, crate::store::sealed::bincode_config())
                    .ok()?;
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
    /// image per dataset (see [`crate::clean::image::image`]).
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
            let head = bincode::serde::encode_to_vec(&head, crate::store::sealed::bincode_config())
                .map_err(std::io::Error::other)?;
            let parts: Vec<&[u8]> = std::iter::once(head.as_slice())
                .chain(images.iter().flatten().map(Vec::as_slice))
                .collect();
            crate::store::sealed::write_sealed_parts(&path, &parts)
        };
        if let Err(e) = write() {
            warn!(
                "{}",
                crate::i18n::t!("cache.entry", path_display = path.display(), e = e)
            );
        }
    }
}

/// `mine` and every name in `dir` that is not a settings folder (16 hex digits): what pruning
/// `dir` must leave alone (the other stores live beside the settings folders).
fn only_settings(dir: &Path, mut mine: BTreeSet<String>) -> BTreeSet<String> {
    let settings = |n: &str| n.len() == 16 && n.bytes().all(|b| b.is_ascii_hexdigit());
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !settings(&name) {
            mine.insert(name);
        }
    }
    mine
}

impl Readings for Cache {
    type Columns = Columns;

    fn known(&self, path: &Path, stamp: &Stamp) -> Option<&str> {
        Cache::known(self, path, stamp)
    }

    fn get(&self, sha256: &str) -> Option<(FileReport, Columns)> {
        Cache::get(self, sha256)
    }

    fn saw(&self, path: &Path, stamp: Option<Stamp>, sha256: &str) {
        Cache::saw(self, path, stamp, sha256)
    }
}

/// A cached workbook's clean columns as Parquet images, one per dataset (None where it has
/// no rows), and the latest month in them.
pub struct Columns {
    /// The name the images' `file` column holds: the workbook's name when it was read.
    pub file: String,
    pub latest: Option<Period>,
    /// The whole entry; the images are ranges of it, decoded only when asked for.
    bytes: crate::store::sealed::SealedMap,
    images: Vec<Option<std::ops::Range<usize>>>,
}

impl Columns {
    pub fn has_rows(&self, dataset: usize) -> bool {
        self.images.get(dataset).is_some_and(Option::is_some)
    }

    /// Every dataset's Parquet image the entry has.
    pub fn images(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.images.len()).filter_map(|d| self.image(d))
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
