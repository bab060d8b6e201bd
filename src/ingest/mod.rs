//! Reading workbooks into clean rows: cell values, header text, layout detection, and the
//! accounting of every row read.

pub mod cfb_check;
pub mod layout;
pub mod periods;
pub mod periods_wide;
#[cfg(test)]
mod properties;
pub mod rows;
pub mod stamp;
pub mod value;
pub mod wide;
pub mod workbook;
pub mod xlsx_parts;
pub mod xlsx_plain;

use crate::config::Pipeline;
use crate::model::Value;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

pub use layout::Layout;
pub use workbook::{FileError, Visibility};

/// Why a row was read but is neither data nor rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Title and unit lines above the header.
    Title,
    Header,
    Blank,
    /// 合计 / 总计 / 小计 rows.
    Total,
    /// 其中 rows and the indented rows under them.
    Breakdown,
    /// 注 / 说明 / 填报 / 数据来源 lines.
    Note,
    HiddenSheet,
    /// A sheet where no dataset's header was found.
    NoTable,
    /// A table whose year could not be found.
    NoYear,
    /// Rows holding only cells far outside the table (e.g. one at XFD1048576).
    Stray,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Title => "title",
            SkipReason::Header => "header",
            SkipReason::Blank => "blank",
            SkipReason::Total => "total",
            SkipReason::Breakdown => "breakdown",
            SkipReason::Note => "note",
            SkipReason::HiddenSheet => "hidden_sheet",
            SkipReason::NoTable => "no_table",
            SkipReason::NoYear => "no_year",
            SkipReason::Stray => "stray",
        }
    }
}

/// A row that could not be read, with where it is and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rejection {
    pub file: String,
    pub sheet: String,
    /// Excel row number (1-based).
    pub row: u32,
    /// Column letter of the offending cell.
    pub column: String,
    pub header: String,
    /// The cell as written.
    pub value: String,
    pub reason: String,
    /// Why, as a name that does not change with the language (`rejected.csv`'s
    /// `reason_code`).
    #[serde(default)]
    pub code: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cell = format!("{}{}", self.column, self.row);
        let header = match self.header.is_empty() {
            true => String::new(),
            false => crate::i18n::t!("rejection.header", header = self.header),
        };
        f.write_str(&crate::i18n::t!(
            "rejection.where",
            file = self.file,
            sheet = self.sheet,
            cell = cell,
            header = header,
            reason = self.reason
        ))
    }
}

/// The clean rows of one sheet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Extracted {
    pub dataset: usize,
    pub month: Option<u32>,
    pub cumulative: bool,
    /// (Excel row number, year, values aligned with the dataset's fields).
    pub rows: Vec<(u32, i32, Vec<Value>)>,
    /// Per row, its month from a month column; empty when the sheet has none (then every
    /// row has `month`).
    #[serde(default)]
    pub row_months: Vec<Option<u32>>,
    /// The sums of the numeric fields per (year, month) of the rows, for the checks across
    /// files (kept when the rows are dropped).
    #[serde(default)]
    pub totals: Vec<PeriodTotal>,
}

/// The rows of one sheet in one (year, month): how many, and the sum of each money and count
/// field (None for other fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodTotal {
    pub year: i32,
    pub month: Option<u32>,
    pub rows: u64,
    pub sums: Vec<Option<i64>>,
}

impl Extracted {
    /// The month of the `i`th row.
    pub fn month_of(&self, i: usize) -> Option<u32> {
        match self.row_months.is_empty() {
            true => self.month,
            false => self.row_months.get(i).copied().flatten(),
        }
    }

    fn period_totals(&self, ds: &crate::config::Dataset) -> Vec<PeriodTotal> {
        let mut by: BTreeMap<(i32, Option<u32>), PeriodTotal> = BTreeMap::new();
        for (i, (_, year, values)) in self.rows.iter().enumerate() {
            let month = self.month_of(i);
            let t = by.entry((*year, month)).or_insert_with(|| PeriodTotal {
                year: *year,
                month,
                rows: 0,
                sums: ds
                    .fields
                    .iter()
                    .map(|f| {
                        matches!(
                            f.kind,
                            crate::model::FieldKind::Money | crate::model::FieldKind::Count
                        )
                        .then_some(0)
                    })
                    .collect(),
            });
            t.rows += 1;
            for (sum, v) in t.sums.iter_mut().zip(values) {
                if let (Some(sum), Value::Money(x) | Value::Count(x)) = (sum, v) {
                    *sum = sum.saturating_add(*x);
                }
            }
        }
        by.into_values().collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SheetReport {
    pub name: String,
    pub visibility: Visibility,
    pub rows_read: u64,
    pub rows_kept: u64,
    pub rows_rejected: u64,
    pub skipped: BTreeMap<SkipReason, u64>,
    pub layout: Option<Layout>,
    pub warnings: Vec<String>,
    pub rejected: Vec<Rejection>,
    pub data: Option<Extracted>,
    /// Wide tables (periods in the header row or down the first column), unpivoted; a sheet
    /// may stack several.
    #[serde(default)]
    pub wide: Vec<wide::WideTable>,
    /// A database export's metadata sheet: the series it lists, joined to the wide tables.
    #[serde(default)]
    pub series_meta: Vec<wide::SeriesMeta>,
}

impl SheetReport {
    pub fn rows_skipped(&self) -> u64 {
        self.skipped.values().sum()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileReport {
    /// Path as shown in reports: relative to the pipeline folder where possible.
    pub display: String,
    #[serde(skip)]
    pub path: PathBuf,
    pub format: Option<String>,
    /// True when the result came from the parse cache rather than the workbook.
    #[serde(default)]
    pub cached: bool,
    pub size: u64,
    pub sha256: String,
    pub sheets: Vec<SheetReport>,
    pub error: Option<String>,
}

impl FileReport {
    pub fn rows(&self) -> (u64, u64, u64, u64) {
        self.sheets.iter().fold((0, 0, 0, 0), |(r, k, j, s), sh| {
            (
                r + sh.rows_read,
                k + sh.rows_kept,
                j + sh.rows_rejected,
                s + sh.rows_skipped(),
            )
        })
    }
}

/// An input holding the same bytes as an earlier one (in the order of the names shown): the
/// workbook is read once, under the earlier name.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub path: String,
    pub same_as: String,
    pub size: u64,
    pub sha256: String,
}

/// What became of every row read: kept, rejected (in rejected.csv) or skipped. Read is the
/// sum of the other three.
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Accounting {
    pub rows_read: u64,
    pub rows_kept: u64,
    pub rows_rejected: u64,
    pub rows_skipped: u64,
}

impl Accounting {
    /// The sums over `files`.
    pub fn of(files: &[FileReport]) -> Accounting {
        let mut a = Accounting::default();
        for f in files {
            let (r, k, j, s) = f.rows();
            a.rows_read += r;
            a.rows_kept += k;
            a.rows_rejected += j;
            a.rows_skipped += s;
        }
        a
    }
}

/// The rows skipped in `files`, by reason.
pub fn skipped_by_reason(files: &[FileReport]) -> BTreeMap<SkipReason, u64> {
    let mut m = BTreeMap::new();
    for sh in files.iter().flat_map(|f| &f.sheets) {
        for (r, n) in &sh.skipped {
            *m.entry(*r).or_insert(0) += n;
        }
    }
    m
}

/// Reads every file in parallel; one file's failure never stops the others. Output order is
/// the input order.
pub fn ingest_all(pipeline: &Pipeline, files: &[(PathBuf, String)]) -> Vec<FileReport> {
    files
        .par_iter()
        .map(|(path, display)| ingest_file(pipeline, path, display))
        .collect()
}

pub use stamp::Stamp;

/// What earlier runs kept of workbooks' readings, by the sha256 of their bytes: the parse
/// cache (`crate::store::parse`). Reading asks it before parsing, and tells it what it hashed.
pub trait Readings: Sync {
    /// A kept reading's clean columns, still encoded.
    type Columns: Send;
    /// The sha256 of the file at `path` when its stamp is the one it had when last hashed.
    fn known(&self, path: &Path, stamp: &Stamp) -> Option<&str>;
    /// The kept reading of these bytes.
    fn get(&self, sha256: &str) -> Option<(FileReport, Self::Columns)>;
    /// Notes the sha256 of a file's bytes, hashed when it had this stamp.
    fn saw(&self, path: &Path, stamp: Option<Stamp>, sha256: &str);
}

/// No readings kept: every workbook is parsed.
pub struct NoReadings;

impl Readings for NoReadings {
    type Columns = ();
    fn known(&self, _: &Path, _: &Stamp) -> Option<&str> {
        None
    }
    fn get(&self, _: &str) -> Option<(FileReport, ())> {
        None
    }
    fn saw(&self, _: &Path, _: Option<Stamp>, _: &str) {}
}

/// Reads one file, or takes its reading from the cache when one is given: then its clean
/// columns (one frame per dataset, None where it has no rows) come with it. A fresh reading
/// is not stored here; the caller stores it with its columns.
pub fn ingest_cached<R: Readings>(
    pipeline: &Pipeline,
    path: &Path,
    display: &str,
    cache: Option<&R>,
) -> (FileReport, Option<R::Columns>) {
    match ingest_unless_large(pipeline, path, display, cache, false) {
        Some(read) => read,
        // Read alone, a workbook is never left for later.
        None => (
            failed(path, display, 0, String::new(), FileError::Empty),
            None,
        ),
    }
}

/// Read beside others, a workbook whose bytes and parts come to more than this (as its zip
/// declares them) is left to be read alone (see [`crate::batch::read_list`]). Every sample
/// workbook inflates to less than a megabyte; a sheet of this size holds some 500,000 rows.
pub const LARGE: u64 = 64 << 20;
/// Read beside others, a workbook may hold this much in cells and grids; one that needs more
/// is read again alone, with the whole [`workbook::FILE_BUDGET`].
pub const SHARE: u64 = 64 << 20;

/// What a workbook's bytes inflate to, as its zip declares it (its parts are refused where
/// they inflate past that); an .xls is not compressed.
pub fn inflated(bytes: &[u8]) -> u64 {
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return bytes.len() as u64;
    };
    (0..zip.len())
        .filter_map(|i| zip.by_index_raw(i).ok().map(|f| f.size()))
        .fold(bytes.len() as u64, u64::saturating_add)
}

/// As [`ingest_cached`]; `beside` others, None when the workbook must be parsed afresh and
/// inflates past [`LARGE`] or needs more than its [`SHARE`] of memory: it is to be read alone.
pub fn ingest_unless_large<R: Readings>(
    pipeline: &Pipeline,
    path: &Path,
    display: &str,
    cache: Option<&R>,
    beside: bool,
) -> Option<(FileReport, Option<R::Columns>)> {
    let cached = |sha256: &str| {
        cache
            .and_then(|c| c.get(sha256))
            .filter(|(hit, _)| reading_fits_name(hit, path))
    };
    // Taken before the bytes are read: a write during the read gives a stamp that no
    // longer matches, and the file is hashed again next time.
    let stamp = match cache {
        Some(_) => std::fs::metadata(path)
            .ok()
            .filter(std::fs::Metadata::is_file)
            .and_then(|m| Stamp::of(&m)),
        None => None,
    };
    let known = match (cache, &stamp) {
        (Some(c), Some(s)) => c
            .known(path, s)
            .and_then(|sha| Some((sha.to_string(), cached(sha)?))),
        _ => None,
    };
    let (sha256, hit, bytes) = match known {
        Some((sha256, hit)) => (sha256, Some(hit), Vec::new()),
        None => {
            let bytes = match read_stable(path, read_regular) {
                Ok(b) => b,
                Err(e) => return Some((failed(path, display, 0, String::new(), e), None)),
            };
            let sha256 = crate::files::sha256_hex(&bytes);
            let hit = cached(&sha256);
            (sha256, hit, bytes)
        }
    };
    if let Some(c) = cache {
        c.saw(path, stamp, &sha256);
    }
    if let Some((mut hit, columns)) = hit {
        hit.display = display.to_string();
        hit.path = path.to_path_buf();
        hit.cached = true;
        for rej in hit.sheets.iter_mut().flat_map(|s| s.rejected.iter_mut()) {
            rej.file = display.to_string();
        }
        return Some((hit, Some(columns)));
    }
    if beside && inflated(&bytes) > LARGE {
        return None;
    }
    let mut spend = match beside {
        true => workbook::Spend::within(SHARE),
        false => workbook::Spend::alone(),
    };
    let report = ingest_within(pipeline, path, display, &bytes, sha256, &mut spend);
    (!spend.short).then_some((report, None))
}

/// Whether a cached reading of the same bytes holds for the file under its current name. A
/// renamed workbook is a hit unless its reading took a sheet's year or month from the file
/// name, or its extension (which the format is checked against) changed.
fn reading_fits_name(cached: &FileReport, path: &Path) -> bool {
    let before = Path::new(&cached.display);
    let name = path.file_name().map(crate::files::name_text);
    if before.file_name().and_then(|n| n.to_str()) == name.as_deref() {
        return true;
    }
    let ext = |p: &Path| p.extension().map(|e| e.to_string_lossy().to_lowercase());
    let from_name = cached
        .sheets
        .iter()
        .filter_map(|s| s.layout.as_ref())
        .any(|l| {
            matches!(l.year, Some((_, layout::Source::FileName)))
                || matches!(l.month, Some((_, layout::Source::FileName)))
        });
    ext(before) == ext(path) && !from_name
}

/// Reads a whole file, and refuses it when it vanished since the folder was listed or changed
/// while it was being read (a copy still in progress): a torn read would be parsed as a
/// corrupt or, worse, a shorter workbook. Everything after works on these bytes alone.
pub fn read_stable(
    path: &Path,
    read: impl FnOnce(&Path) -> std::io::Result<Vec<u8>>,
) -> Result<Vec<u8>, FileError> {
    let stamp = |m: &std::fs::Metadata| (m.len(), m.modified().ok());
    let before = match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => return Err(FileError::NotRegular(file_kind(&m))),
        Ok(m) => stamp(&m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(FileError::Vanished),
        Err(e) => return Err(FileError::Io(e.to_string())),
    };
    let bytes = match read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(FileError::Vanished),
        Err(e) => match e.get_ref().and_then(|i| i.downcast_ref::<NotRegular>()) {
            Some(NotRegular(kind)) => return Err(FileError::NotRegular(kind)),
            None => return Err(FileError::Io(e.to_string())),
        },
    };
    let after = match std::fs::metadata(path) {
        Ok(m) => Some(stamp(&m)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(FileError::Vanished),
        Err(_) => None,
    };
    if after != Some(before) || bytes.len() as u64 != before.0 {
        return Err(FileError::Changed);
    }
    Ok(bytes)
}

/// What a file that is not a regular file is, for its error.
fn file_kind(m: &std::fs::Metadata) -> &'static str {
    let t = m.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a folder"
    } else {
        "an unknown kind of file"
    }
}

/// The error [`read_regular`] gives for a handle that is not a regular file.
#[derive(Debug)]
struct NotRegular(&'static str);

impl std::fmt::Display for NotRegular {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for NotRegular {}

/// Reads a regular file whole. It is opened without blocking (a named pipe put in its place
/// after it was listed would wait for a writer forever), the opened handle must be a regular
/// file, and no more than its size and one byte is read, so that a device such as /dev/zero
/// cannot fill memory.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other(NotRegular(file_kind(&meta))));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    std::io::Read::read_to_end(&mut std::io::Read::take(file, meta.len() + 1), &mut bytes)?;
    Ok(bytes)
}

fn failed(path: &Path, display: &str, size: u64, sha256: String, err: FileError) -> FileReport {
    FileReport {
        display: display.to_string(),
        path: path.to_path_buf(),
        format: None,
        cached: false,
        size,
        sha256,
        sheets: Vec::new(),
        error: Some(err.to_string()),
    }
}

/// Reads one file from disk.
pub fn ingest_file(pipeline: &Pipeline, path: &Path, display: &str) -> FileReport {
    ingest_cached::<NoReadings>(pipeline, path, display, None).0
}

/// Reads one workbook held in memory. A panic inside a dependency becomes this file's error.
pub fn ingest_bytes(
    pipeline: &Pipeline,
    path: &Path,
    display: &str,
    bytes: &[u8],
    sha256: String,
) -> FileReport {
    ingest_within(
        pipeline,
        path,
        display,
        bytes,
        sha256,
        &mut workbook::Spend::alone(),
    )
}

/// As [`ingest_bytes`], its cells and grids counted against `spend`.
fn ingest_within(
    pipeline: &Pipeline,
    path: &Path,
    display: &str,
    bytes: &[u8],
    sha256: String,
    spend: &mut workbook::Spend,
) -> FileReport {
    let size = bytes.len() as u64;
    let format = match workbook::sniff(path, &bytes[..bytes.len().min(4096)]) {
        Ok(f) => f,
        Err(e) => return failed(path, display, size, sha256, e),
    };
    let mut report = failed(path, display, size, sha256, FileError::Empty);
    report.error = None;
    report.format = Some(format.to_string());
    let file_name = path
        .file_name()
        .map(crate::files::name_text)
        .unwrap_or_default();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        read_sheets(pipeline, bytes, format, &file_name, display, spend)
    }));
    match result {
        Ok(Ok(sheets)) => report.sheets = sheets,
        Ok(Err(e)) => report.error = Some(e.to_string()),
        Err(panic) => {
            let msg = crate::error::panic_message(panic.as_ref());
            report.error = Some(FileError::Panic(msg).to_string());
        }
    }
    report
}

fn read_sheets(
    pipeline: &Pipeline,
    bytes: &[u8],
    format: &str,
    file_name: &str,
    display: &str,
    spend: &mut workbook::Spend,
) -> Result<Vec<SheetReport>, FileError> {
    let mut out = Vec::new();
    for loaded in workbook::load_sheets(bytes, format, spend)? {
        let sheet = match loaded {
            Ok(s) => s,
            Err((name, err)) => {
                out.push(SheetReport {
                    name,
                    visibility: Visibility::Visible,
                    rows_read: 0,
                    rows_kept: 0,
                    rows_rejected: 0,
                    skipped: BTreeMap::new(),
                    layout: None,
                    warnings: vec![crate::i18n::t!("sheet.unreadable", err = err)],
                    rejected: Vec::new(),
                    data: None,
                    wide: Vec::new(),
                    series_meta: Vec::new(),
                });
                continue;
            }
        };
        out.push(read_sheet(pipeline, &sheet, file_name, display));
    }
    wide::join_catalog(&mut out);
    // A workbook with nothing in it is named, so that a wrongly saved file is noticed.
    if !out.is_empty()
        && out
            .iter()
            .all(|s| s.rows_read == 0 && s.warnings.is_empty())
    {
        out[0]
            .warnings
            .push(crate::i18n::t!("sheet.none_with_cells"));
    }
    Ok(out)
}

fn read_sheet(
    pipeline: &Pipeline,
    sheet: &workbook::LoadedSheet,
    file_name: &str,
    display: &str,
) -> SheetReport {
    let rep = SheetReport {
        name: sheet.name.clone(),
        visibility: sheet.visibility,
        rows_read: 0,
        rows_kept: 0,
        rows_rejected: 0,
        skipped: BTreeMap::new(),
        layout: None,
        warnings: Vec::new(),
        rejected: Vec::new(),
        data: None,
        wide: Vec::new(),
        series_meta: Vec::new(),
    };
    let mut rep = read_grid(pipeline, sheet, file_name, display, rep);
    account_stray(&mut rep, sheet);
    warn_uncached(&mut rep, sheet);
    rep
}

/// Formulas saved without a computed value are named, so that nobody takes the blanks for 0.
fn warn_uncached(rep: &mut SheetReport, sheet: &workbook::LoadedSheet) {
    if sheet.uncached.is_empty() || sheet.visibility != Visibility::Visible {
        return;
    }
    let shown: Vec<String> = sheet
        .uncached
        .iter()
        .take(5)
        .map(|((r, c), f)| format!("{} (={f})", crate::model::a1(*r, *c)))
        .collect();
    rep.warnings.push(crate::i18n::t!(
        "sheet.uncached",
        uncached_len = sheet.uncached.len(),
        v = listed(&shown, sheet.uncached.len())
    ));
}

/// The first few of `total` items, then how many more: "A1, B2 and 3 more".
fn listed(shown: &[String], total: usize) -> String {
    match total.saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => crate::i18n::t!(
            "common.and_more",
            list = shown.join(&crate::i18n::t!("common.list_sep")),
            n = more
        ),
    }
}

/// Stray cells are reported, and the rows that hold only them counted as skipped.
fn account_stray(rep: &mut SheetReport, sheet: &workbook::LoadedSheet) {
    if sheet.stray.is_empty() {
        return;
    }
    let core_rows = sheet
        .range
        .start()
        .zip(sheet.range.end())
        .map(|(s, e)| (s.0, e.0));
    let mut rows: Vec<u32> = sheet
        .stray
        .iter()
        .map(|(r, _, _)| *r)
        .filter(|r| core_rows.is_none_or(|(a, b)| r < &a || r > &b))
        .collect();
    rows.sort_unstable();
    rows.dedup();
    rep.rows_read += rows.len() as u64;
    if !rows.is_empty() {
        *rep.skipped.entry(SkipReason::Stray).or_insert(0) += rows.len() as u64;
    }
    let shown: Vec<String> = sheet
        .stray
        .iter()
        .take(10)
        .map(|(r, c, v)| format!("{} (\"{}\")", crate::model::a1(*r, *c), value::cell_text(v)))
        .collect();
    rep.warnings.push(crate::i18n::t!(
        "sheet.stray",
        stray_len = sheet.stray.len(),
        v = listed(&shown, sheet.stray.len())
    ));
}

fn read_grid(
    pipeline: &Pipeline,
    sheet: &workbook::LoadedSheet,
    file_name: &str,
    display: &str,
    mut rep: SheetReport,
) -> SheetReport {
    let Some(mut grid) = layout::Grid::new(&sheet.range, &sheet.merges) else {
        return rep; // An empty sheet has no rows to account for.
    };
    grid.uncached = &sheet.uncached;
    rep.rows_read = (grid.last_row - grid.first_row + 1) as u64;
    if sheet.visibility != Visibility::Visible {
        rep.skipped.insert(SkipReason::HiddenSheet, rep.rows_read);
        return rep;
    }
    let Some(lay) = layout::detect(&grid, pipeline, &sheet.name, file_name) else {
        if let Some(c) = pipeline
            .wide_tables
            .then(|| wide::read_catalog(&grid, &sheet.name))
            .flatten()
        {
            rep.rows_kept = c.kept;
            rep.skipped = c.skipped;
            rep.series_meta = c.entries;
            return rep;
        }
        if let Some(w) = pipeline
            .wide_tables
            .then(|| wide::read(&grid, &sheet.name))
            .flatten()
        {
            rep.rows_kept = w.kept;
            rep.skipped = w.skipped;
            rep.warnings = w.warnings;
            rep.wide = w.tables;
            return rep;
        }
        rep.skipped.insert(SkipReason::NoTable, rep.rows_read);
        rep.warnings.push(crate::i18n::t!(
            "sheet.no_table",
            header_scan_rows = layout::HEADER_SCAN_ROWS
        ));
        return rep;
    };
    let ds = &pipeline.datasets[lay.dataset];
    rep.warnings.extend(lay.duplicates.iter().cloned());
    rep.warnings.extend(lay.warnings.iter().cloned());
    rep.warnings.extend(lay.other_years.iter().cloned());
    if lay.year.is_none() && lay.year_col.is_none() {
        rep.skipped.insert(SkipReason::NoYear, rep.rows_read);
        rep.warnings.push(crate::i18n::t!("sheet.no_year"));
        rep.layout = Some(lay);
        return rep;
    }
    let outcome = rows::extract(&grid, &lay, ds, display, &sheet.name);
    if outcome.kept.is_empty() && outcome.rejected.is_empty() {
        rep.warnings.push(crate::i18n::t!("sheet.no_rows"));
    }
    rep.rows_kept = outcome.kept.len() as u64;
    rep.rows_rejected = outcome.rejected.len() as u64;
    rep.skipped = outcome.skipped;
    rep.rejected = outcome.rejected;
    rep.warnings.extend(outcome.warnings);
    let mut data = Extracted {
        dataset: lay.dataset,
        month: lay.month.map(|(m, _)| m),
        cumulative: lay.cumulative,
        rows: outcome
            .kept
            .into_iter()
            .map(|(r, y, v)| (r + 1, y, v))
            .collect(),
        row_months: outcome.months,
        totals: Vec::new(),
    };
    data.totals = data.period_totals(ds);
    rep.data = Some(data);
    rep.layout = Some(lay);
    rep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_vanished_or_changed_during_the_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        assert_eq!(
            read_stable(&path, |p| std::fs::read(p)),
            Err(FileError::Vanished)
        );

        std::fs::write(&path, b"PK\x03\x04 first half").unwrap();
        // A writer appends while the bytes are read, as a copy in progress does.
        let torn = read_stable(&path, |p| {
            let bytes = std::fs::read(p)?;
            std::fs::write(p, b"PK\x03\x04 first half, second half")?;
            Ok(bytes)
        });
        assert_eq!(torn, Err(FileError::Changed));
        assert!(FileError::Changed
            .to_string()
            .contains("changed while it was being read"));

        let whole = read_stable(&path, |p| std::fs::read(p)).unwrap();
        assert_eq!(whole, b"PK\x03\x04 first half, second half");
        std::fs::remove_file(&path).unwrap();
        let gone = read_stable(&path, |p| {
            std::fs::remove_file(p).ok();
            std::fs::read(p)
        });
        assert_eq!(gone, Err(FileError::Vanished));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_swapped_in_after_the_check_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        std::fs::write(&path, b"PK\x03\x04").unwrap();
        // Between the check of the path and the open, the file becomes a named pipe with no
        // writer: opening it for reading the ordinary way would wait forever.
        let swapped = read_stable(&path, |p| {
            std::fs::remove_file(p)?;
            let made = std::process::Command::new("mkfifo").arg(p).status()?;
            assert!(made.success());
            read_regular(p)
        });
        assert_eq!(swapped, Err(FileError::NotRegular("a named pipe (FIFO)")));
        assert_eq!(
            read_stable(&path, read_regular),
            Err(FileError::NotRegular("a named pipe (FIFO)"))
        );
        assert_eq!(
            read_stable(Path::new("/dev/zero"), read_regular),
            Err(FileError::NotRegular("a character device"))
        );
    }
}
