//! Results kept from the last run, so that a re-run after a few workbooks changed aggregates
//! again only the tables of the datasets those workbooks feed.
//!
//! A dataset's key hashes the ingestion settings and, in input order, the name and sha256 of
//! every workbook with rows for it: the same key means the same clean frame. A table's result
//! is kept under a hash of its dataset's key, the pipeline file, the table and the period; a
//! dataset's clean-data file under the dataset's key, so that an unchanged dataset's file is
//! copied rather than joined again from the parse cache's images. A table whose measures add
//! up exactly also keeps its partials per workbook, under a hash of the pipeline file, the
//! table and the ingestion settings: when a workbook changes, only its rows are aggregated
//! again and added to the others' partials. Entries are sealed with a CRC-32 and a damaged
//! one is a miss. After a run is written, the entries it did not use are removed, so the
//! store holds one run's results.

use crate::aggregate::{Partials, TableResult};
use crate::config::Pipeline;
use crate::ingest::FileReport;
use crate::model::Period;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tracing::{debug, warn};

pub struct Results {
    dir: PathBuf,
    /// The parse cache's hash of the yearbook version, its dependencies and the ingestion
    /// settings.
    settings: String,
    /// sha256 of the pipeline file.
    pipeline: String,
    /// One key per dataset.
    datasets: Vec<String>,
    /// Entry file names this run looked up or stored.
    used: Mutex<BTreeSet<String>>,
}

impl Results {
    /// `settings` is the parse cache's hash of the yearbook version, its dependencies and the ingestion settings.
    /// `rows_in(file, dataset)` says whether a file has clean rows for a dataset.
    pub fn new(
        dir: &Path,
        settings: &str,
        pipeline: &Pipeline,
        files: &[FileReport],
        rows_in: impl Fn(usize, usize) -> bool,
    ) -> Results {
        let datasets = (0..pipeline.datasets.len())
            .map(|d| {
                let mut text = format!(
                    "yearbook {} dataset {d} {settings}\n",
                    env!("CARGO_PKG_VERSION")
                );
                for (i, f) in files.iter().enumerate() {
                    if rows_in(i, d) {
                        text.push_str(&format!("{}\0{}\n", f.display, f.sha256));
                    }
                }
                crate::files::sha256_hex(text.as_bytes())
            })
            .collect();
        Results {
            dir: dir.to_path_buf(),
            settings: settings.to_string(),
            pipeline: pipeline.hash.clone(),
            datasets,
            used: Mutex::new(BTreeSet::new()),
        }
    }

    fn table_entry(&self, pipeline: &Pipeline, ti: usize, period: Period) -> String {
        let spec = &pipeline.tables[ti];
        let text = format!(
            "table {ti} {}\n{}\n{}\n{period}",
            spec.name, self.pipeline, self.datasets[spec.dataset]
        );
        format!("{}.table", &crate::files::sha256_hex(text.as_bytes())[..32])
    }

    fn partials_entry(&self, pipeline: &Pipeline, ti: usize) -> String {
        let spec = &pipeline.tables[ti];
        let text = format!(
            "partials {ti} {}\n{}\n{}",
            spec.name, self.pipeline, self.settings
        );
        format!(
            "{}.partials",
            &crate::files::sha256_hex(text.as_bytes())[..32]
        )
    }

    fn data_entry(&self, dataset: usize) -> String {
        format!("{}.parquet", &self.datasets[dataset][..32])
    }

    fn data_digest_entry(&self, dataset: usize) -> String {
        format!("{}.sha256", &self.datasets[dataset][..32])
    }

    /// An entry's path, the entry marked as used so that pruning keeps it.
    fn used_entry(&self, name: String) -> PathBuf {
        let path = self.dir.join(&name);
        if let Ok(mut used) = self.used.lock() {
            used.insert(name);
        }
        path
    }

    fn load(&self, name: String) -> Option<Vec<u8>> {
        let path = self.used_entry(name);
        let bytes = crate::store::sealed::read_sealed(&path);
        if bytes.is_none() && path.exists() {
            debug!("ignoring damaged result {}", path.display());
        }
        bytes
    }

    fn store(&self, name: String, bytes: &[u8]) {
        let path = self.used_entry(name);
        if let Err(e) = crate::store::sealed::write_sealed(&path, bytes) {
            warn!(
                "{}",
                crate::i18n::t!("reuse.keep", path_display = path.display(), e = e)
            );
        }
    }

    /// The table's result from the last run, if its data, pipeline and period are the same.
    pub fn table(&self, pipeline: &Pipeline, ti: usize, period: Period) -> Option<TableResult> {
        self.decoded(self.table_entry(pipeline, ti, period))
    }

    pub fn keep_table(&self, pipeline: &Pipeline, ti: usize, period: Period, t: &TableResult) {
        self.encoded(self.table_entry(pipeline, ti, period), t, &t.name);
    }

    /// An entry decoded whole; None when it is missing, damaged or of another shape.
    fn decoded<T: serde::de::DeserializeOwned>(&self, name: String) -> Option<T> {
        let bytes = self.load(name)?;
        let (value, read): (T, usize) =
            bincode::serde::decode_from_slice(&bytes, crate::store::sealed::bincode_config())
                .ok()?;
        (read == bytes.len()).then_some(value)
    }

    /// Stores an entry; a failure only costs the next run the work, so it is a warning.
    fn encoded<T: serde::Serialize>(&self, name: String, value: &T, table: &str) {
        match bincode::serde::encode_to_vec(value, crate::store::sealed::bincode_config()) {
            Ok(bytes) => self.store(name, &bytes),
            Err(e) => warn!(
                "{}",
                crate::i18n::t!("reuse.keep_table", table = table, e = e)
            ),
        }
    }

    /// A table's partials per workbook from the last run (see
    /// [`crate::aggregate::made_of_partials`]), keyed by
    /// [`crate::aggregate::incremental::source_key`].
    pub fn partials(&self, pipeline: &Pipeline, ti: usize) -> Option<BTreeMap<String, Partials>> {
        self.decoded(self.partials_entry(pipeline, ti))
    }

    /// Keeps a table's partials from the last run for the next, unread: the table itself
    /// was reused, so its workbooks are the same.
    pub fn keep_partials_unread(&self, pipeline: &Pipeline, ti: usize) {
        if let Ok(mut used) = self.used.lock() {
            used.insert(self.partials_entry(pipeline, ti));
        }
    }

    pub fn keep_partials(&self, pipeline: &Pipeline, ti: usize, p: &BTreeMap<String, Partials>) {
        let name = &pipeline.tables[ti].name;
        self.encoded(self.partials_entry(pipeline, ti), p, name);
    }

    /// Puts an unchanged dataset's kept clean-data file at `to`; None (and `to` left to be
    /// written anew) when there is none or it is damaged. The file the replaced folder holds
    /// is linked when its sha256 is the kept file's (reading one file costs less than
    /// writing one); otherwise the kept file is copied, its seal checked and its bytes hashed
    /// for the manifest on the way.
    pub fn copy_data(
        &self,
        dataset: usize,
        to: &Path,
        sink: &super::links::OutputWriter,
    ) -> Option<crate::files::Written> {
        let path = self.used_entry(self.data_entry(dataset));
        let digest = self.load(self.data_digest_entry(dataset));
        let digest = digest.as_deref().and_then(|d| std::str::from_utf8(d).ok());
        if let Some(digest) = digest {
            let same = |before: &Path| {
                crate::files::file_sha256_hex(before)
                    .ok()
                    .filter(|(_, sha256)| sha256 == digest)
            };
            if let Some(linked) = sink.link_if(to, same) {
                return Some(linked);
            }
        }
        sink.make_room(to);
        let copied = crate::store::sealed::copy_sealed(&path, to);
        if copied.is_none() && path.exists() {
            debug!("ignoring damaged result {}", path.display());
        }
        let (size, sha256) = copied?;
        if digest != Some(sha256.as_str()) {
            self.store(self.data_digest_entry(dataset), sha256.as_bytes());
        }
        Some(crate::files::Written {
            path: to.to_path_buf(),
            size,
            sha256,
        })
    }

    /// Keeps a dataset's clean-data file, and its sha256, for the next run.
    pub fn keep_data(&self, dataset: usize, parquet: &[u8], sha256: &str) {
        self.store(self.data_entry(dataset), parquet);
        self.store(self.data_digest_entry(dataset), sha256.as_bytes());
    }

    /// Removes the entries this run did not use (not the temporary files of entries being
    /// written).
    pub fn prune(&self) {
        let Ok(used) = self.used.lock() else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if !used.contains(&name) && !name.starts_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

impl crate::aggregate::incremental::Kept for Results {
    fn table(&self, pipeline: &Pipeline, ti: usize, period: Period) -> Option<TableResult> {
        Results::table(self, pipeline, ti, period)
    }
    fn keep_table(&self, pipeline: &Pipeline, ti: usize, period: Period, table: &TableResult) {
        Results::keep_table(self, pipeline, ti, period, table)
    }
    fn partials(&self, pipeline: &Pipeline, ti: usize) -> Option<BTreeMap<String, Partials>> {
        Results::partials(self, pipeline, ti)
    }
    fn keep_partials_unread(&self, pipeline: &Pipeline, ti: usize) {
        Results::keep_partials_unread(self, pipeline, ti)
    }
    fn keep_partials(&self, pipeline: &Pipeline, ti: usize, partials: &BTreeMap<String, Partials>) {
        Results::keep_partials(self, pipeline, ti, partials)
    }
}
