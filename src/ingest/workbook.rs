//! Opening a workbook file: sniffing what it really is, then listing its sheets with their
//! visibility, cells and merged regions.

use crate::shortcuts::{on, Shortcut};
use calamine::{Cell, Data, Dimensions, Ods, Range, Reader, SheetVisible, Sheets, Xls, Xlsx};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

/// Why a file could not be read as a workbook at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("{}", crate::i18n::t!("file.empty"))]
    Empty,
    #[error("{}", crate::i18n::t!("file.lock"))]
    LockFile,
    #[error("{}", crate::i18n::t!("file.not_workbook", looks = crate::i18n::word(.0), expected = crate::i18n::word(.1)))]
    NotAWorkbook(&'static str, &'static str),
    #[error("{}", crate::i18n::t!("file.encrypted"))]
    Encrypted,
    #[error("{}", crate::i18n::t!("file.extension", ext = .0))]
    Extension(String),
    #[error("{}", crate::i18n::t!("file.io", e = .0))]
    Io(String),
    // Named on the command line (`inspect`) or matched by a glob and gone before it was read.
    #[error("{}", crate::i18n::t!("file.vanished"))]
    Vanished,
    #[error("{}", crate::i18n::t!("file.not_regular", kind = crate::i18n::word(.0)))]
    NotRegular(&'static str),
    #[error("{}", crate::i18n::t!("file.changed"))]
    Changed,
    #[error("{}", crate::i18n::t!("file.corrupt", e = .0))]
    Corrupt(String),
    #[error("{}", crate::i18n::t!("file.panic", e = .0))]
    Panic(String),
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Visible,
    Hidden,
    VeryHidden,
}

pub struct LoadedSheet {
    pub name: String,
    pub visibility: Visibility,
    pub range: Range<Data>,
    pub merges: Vec<Dimensions>,
    /// Cells far away from the rest of the sheet, left out of `range`.
    pub stray: Vec<StrayCell>,
    /// Formula cells saved without a computed value (0-based row, column -> formula text).
    /// They are empty in `range`, and must not be read as empty or 0.
    pub uncached: Uncached,
}

pub type Uncached = BTreeMap<(u32, u32), String>;

/// A cell left out of a sheet's range: 0-based row and column, and its value.
pub type StrayCell = (u32, u32, Data);

/// A loaded sheet, or its name and why it could not be read.
pub type SheetLoad = Result<LoadedSheet, (String, String)>;

/// A used area beyond this many cells is checked for stray cells before it is allocated, and
/// one still beyond it once they are set aside is refused: the grid takes 32 bytes a cell, so
/// this holds a sheet's grid to 640 MB.
const DENSE_LIMIT: u64 = 20_000_000;
/// The most memory a sheet's cells may take as they are read, before the grid is built: 40
/// bytes a cell and the bytes of its text (a shared string is copied into every cell that
/// uses it). Some 9 million cells of numbers, more than any bureau sheet; a sheet that inflates
/// to gigabytes of cells is refused here instead of being held.
pub const CELL_BUDGET: u64 = 384 << 20;

/// The most memory one workbook's reading may hold in cells and grids, all its sheets
/// together (a sheet's grid is held until the workbook is read). Enough for one sheet of the
/// largest grid allowed ([`DENSE_LIMIT`] cells of 32 bytes).
pub const FILE_BUDGET: u64 = 640 << 20;

/// The memory a workbook's reading holds in cells and grids, against what it may hold. Read
/// beside others, a workbook gets a share of [`FILE_BUDGET`]; one that needs more is read
/// again alone with the whole of it (see [`crate::batch::read_list`]), so what it may hold never
/// depends on what runs beside it.
pub struct Spend {
    limit: u64,
    spent: u64,
    /// The share was not enough: the reading is to be done again alone.
    pub short: bool,
}

impl Spend {
    pub fn within(limit: u64) -> Spend {
        Spend {
            limit: limit.min(FILE_BUDGET),
            spent: 0,
            short: false,
        }
    }

    pub fn alone() -> Spend {
        Spend::within(FILE_BUDGET)
    }

    fn left(&self) -> u64 {
        self.limit.saturating_sub(self.spent)
    }

    /// Counts `bytes` more; an error once past the limit.
    fn take(&mut self, bytes: u64, what: &str) -> Result<(), String> {
        self.spent = self.spent.saturating_add(bytes);
        if self.spent <= self.limit {
            return Ok(());
        }
        if self.limit < FILE_BUDGET {
            self.short = true;
            return Err(crate::i18n::t!("file.share").into());
        }
        Err(crate::i18n::t!(
            "file.budget",
            v = FILE_BUDGET >> 20,
            what = what
        ))
    }

    fn give(&mut self, bytes: u64) {
        self.spent = self.spent.saturating_sub(bytes);
    }
}

/// What a cell read takes in memory, as [`CELL_BUDGET`] counts it.
pub fn cell_cost(value: &Data) -> u64 {
    let text = match value {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.len() as u64,
        _ => 0,
    };
    std::mem::size_of::<Cell<Data>>() as u64 + text
}

fn over_budget(last: Option<(u32, u32)>) -> String {
    let at = last.map(|(r, c)| crate::i18n::t!("file.by_cell", cell = crate::model::a1(r, c)));
    crate::i18n::t!(
        "file.sheet_budget",
        v = CELL_BUDGET >> 20,
        unwrap_or_default = at.unwrap_or_default()
    )
}
/// Empty rows or columns that separate stray cells from the table.
const ROW_GAP: u32 = 10_000;
const COL_GAP: u32 = 1_000;

/// The file's format by extension, checked against its first bytes.
pub fn sniff(path: &Path, head: &[u8]) -> Result<&'static str, FileError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if name.starts_with("~$") {
        return Err(FileError::LockFile);
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let format = match ext.as_str() {
        "xlsx" | "xlsm" => "xlsx",
        "xls" => "xls",
        "ods" => "ods",
        other => return Err(FileError::Extension(other.to_string())),
    };
    if head.is_empty() {
        return Err(FileError::Empty);
    }
    let is_zip = head.starts_with(b"PK\x03\x04");
    let is_cfb = head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    let expected = match format {
        "xls" => "a legacy .xls (OLE) file",
        "ods" => "an OpenDocument zip",
        _ => "an Excel zip",
    };
    let looks = if is_zip {
        "a zip archive"
    } else if is_cfb {
        "an OLE compound file"
    } else {
        let text = String::from_utf8_lossy(&head[..head.len().min(512)]).to_lowercase();
        if text.contains("<html") || text.contains("<!doctype") || text.contains("<table") {
            "HTML"
        } else if text.contains("<?xml") {
            "XML"
        } else if head.iter().take(512).all(|&b| b >= 0x09) || std::str::from_utf8(head).is_ok() {
            "plain text or CSV"
        } else {
            "unknown binary data"
        }
    };
    match (format, is_zip, is_cfb) {
        ("xlsx", true, _) | ("ods", true, _) | ("xls", _, true) => Ok(format),
        // An encrypted xlsx is an OLE file holding the encrypted package.
        ("xlsx", false, true) => Err(FileError::Encrypted),
        _ => Err(FileError::NotAWorkbook(looks, expected)),
    }
}

/// Opens a workbook held in memory and loads every sheet, in the workbook's own order.
pub fn load_sheets(
    bytes: &[u8],
    format: &str,
    spend: &mut Spend,
) -> Result<Vec<SheetLoad>, FileError> {
    let cursor = Cursor::new(bytes);
    let mut xlsx_scan = None;
    let mut plain = None;
    let mut read_plain = BTreeMap::new();
    let mut full_calc_on_load = false;
    let mut ods_merges = OdsMerges::new();
    let mut wb: Sheets<Cursor<&[u8]>> = match format {
        "xls" => {
            super::cfb_check::check(bytes).map_err(FileError::Corrupt)?;
            Sheets::Xls(Xls::new(cursor).map_err(|e| classify(e.into()))?)
        }
        "ods" => {
            ods_merges = check_ods_within(bytes, spend).map_err(FileError::Corrupt)?;
            Sheets::Ods(Ods::new(cursor).map_err(|e| classify(e.into()))?)
        }
        _ => {
            let scan = super::xlsx_parts::scan(bytes).map_err(FileError::Corrupt)?;
            if let Some(sheets) = scan.sheets.as_ref().filter(|_| on(Shortcut::PlainReader)) {
                plain = super::xlsx_plain::Plain::open(bytes, &scan);
                if let Some(p) = plain.as_mut().filter(|_| on(Shortcut::WithoutCalamine)) {
                    match without_calamine(p, sheets, spend) {
                        Ok(all) => return Ok(all),
                        Err(some) => read_plain = some,
                    }
                }
            }
            full_calc_on_load = scan.full_calc_on_load;
            xlsx_scan = Some(scan);
            Sheets::Xlsx(Xlsx::new(cursor).map_err(|e| classify(e.into()))?)
        }
    };
    let metas = wb.sheets_metadata().to_vec();
    let mut out = Vec::with_capacity(metas.len());
    for meta in metas {
        let visibility = match meta.visible {
            SheetVisible::Visible => Visibility::Visible,
            SheetVisible::Hidden => Visibility::Hidden,
            SheetVisible::VeryHidden => Visibility::VeryHidden,
        };
        let path = xlsx_scan.as_ref().and_then(|s| s.path(&meta.name));
        let left = spend.left();
        let mut fast = read_plain.remove(&meta.name).or_else(|| {
            plain
                .as_mut()
                .zip(path)
                .and_then(|(plain, path)| plain.sheet(path, left))
        });
        // Read before calamine reads the cells: reading a sheet's part for its merged regions
        // also checks the part inflates within the limit.
        let merges = match &mut wb {
            Sheets::Xlsx(x) => match (&mut fast, path) {
                (Some((_, m)), _) => std::mem::take(m),
                (None, Some(path)) => {
                    super::xlsx_parts::sheet_merges(bytes, path).map_err(FileError::Corrupt)?
                }
                (None, None) => x.merge_cells_by_sheet_name(&meta.name).unwrap_or_default(),
            },
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(&meta.name).unwrap_or_default(),
            _ => ods_merges.remove(&meta.name).unwrap_or_default(),
        };
        let loaded = match (&mut wb, fast) {
            (Sheets::Xlsx(_), Some((cells, _))) => {
                let (core, stray) = split_stray(cells);
                grid(core, spend).map(|r| (r, stray, Uncached::new()))
            }
            (Sheets::Xlsx(x), None) => xlsx_cells(x, &meta.name, full_calc_on_load, spend),
            (wb, _) => wb
                .worksheet_range(&meta.name)
                .map(|r| (r, Vec::new(), Uncached::new()))
                .map_err(|e| e.to_string()),
        };
        let (range, stray, uncached) = match loaded {
            Ok((r, stray, u)) if format == "xls" => (repair_utf16_text(r), stray, u),
            Ok(r) => r,
            Err(e) => {
                out.push(Err((meta.name.clone(), e)));
                continue;
            }
        };
        out.push(Ok(LoadedSheet {
            name: meta.name,
            visibility,
            range,
            merges,
            stray,
            uncached,
        }));
    }
    Ok(out)
}

/// The sheets of a workbook whose sheets are all plain worksheets, read without calamine:
/// opening calamine's reader parses the shared strings a second time. Otherwise the plain
/// sheets read so far, by name, for calamine's path to use.
fn without_calamine(
    plain: &mut super::xlsx_plain::Plain,
    sheets: &[super::xlsx_parts::SheetPart],
    spend: &mut Spend,
) -> Result<Vec<SheetLoad>, BTreeMap<String, super::xlsx_plain::PlainSheet>> {
    let mut read = Vec::with_capacity(sheets.len());
    for sheet in sheets {
        // What calamine would list differently, or not at all, is left to it.
        let visibility = match sheet.state.as_deref() {
            None | Some("visible") => Some(Visibility::Visible),
            Some("hidden") => Some(Visibility::Hidden),
            Some("veryHidden") => Some(Visibility::VeryHidden),
            Some(_) => None,
        };
        let cells = visibility
            .filter(|_| !sheet.escaped && sheet.kind.rsplit('/').next() == Some("worksheet"))
            .and_then(|v| Some((v, plain.sheet(&sheet.path, spend.left())?)));
        match cells {
            Some((v, cells)) => read.push((sheet.name.clone(), v, cells)),
            None => return Err(read.into_iter().map(|(n, _, c)| (n, c)).collect()),
        }
    }
    Ok(read
        .into_iter()
        .map(|(name, visibility, (cells, merges))| {
            let (core, stray) = split_stray(cells);
            let range = grid(core, spend).map_err(|e| (name.clone(), e))?;
            Ok(LoadedSheet {
                name,
                visibility,
                range,
                merges,
                stray,
                uncached: Uncached::new(),
            })
        })
        .collect())
}

/// calamine loops forever on an .ods whose content.xml is cut short, and builds each sheet as
/// a dense grid: one stray cell far from the table (or a value repeated across a million rows)
/// would make it allocate gigabytes. This reads content.xml through once, reports where the
/// XML breaks off or goes wrong, and refuses a sheet whose cells span more than
/// [`DENSE_LIMIT`] cells, naming the far cell.
#[cfg(test)]
fn check_ods(bytes: &[u8]) -> Result<(), String> {
    check_ods_within(bytes, &mut Spend::alone()).map(|_| ())
}

/// Merged regions of an .ods, per sheet name (calamine does not report them).
pub(crate) type OdsMerges = BTreeMap<String, Vec<Dimensions>>;

/// Most merged regions kept per sheet: far more than any header has.
const ODS_MERGE_LIMIT: usize = 10_000;

/// As [`check_ods`], counting each sheet's grid (calamine holds a value and a formula for each
/// cell) and text against `spend`; gives each sheet's merged regions (cells spanning rows or
/// columns).
fn check_ods_within(bytes: &[u8], spend: &mut Spend) -> Result<OdsMerges, String> {
    use quick_xml::events::{BytesStart, Event};
    let mut merges = OdsMerges::new();
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(merges); // calamine reports an unreadable zip itself.
    };
    let mut xml = Vec::new();
    match zip.by_name("content.xml") {
        Ok(f) => {
            let limit = super::xlsx_parts::HELD_LIMIT;
            let declared = f.size();
            f.take(limit.min(declared) + 1)
                .read_to_end(&mut xml)
                .map_err(|e| format!("content.xml cannot be read: {e}"))?;
            if xml.len() as u64 > limit {
                return Err(format!(
                    "content.xml expands to more than {} MiB (a damaged file or a zip bomb)",
                    limit >> 20
                ));
            }
            if xml.len() as u64 > declared {
                return Err(format!(
                    "content.xml inflates past the {declared} bytes its zip entry declares (a damaged file or a zip bomb)"
                ));
            }
        }
        Err(_) => return Ok(merges),
    }
    /// A repeat count, capped at the sheet's size as calamine caps it, so that the sums
    /// below cannot overflow.
    fn repeats(e: &BytesStart, key: &str, max: u64) -> u64 {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == key)
            .and_then(|a| a.value.trim().parse().ok())
            .unwrap_or(1)
            .clamp(1, max)
    }
    const MAX_ROWS: u64 = 1 << 20;
    const MAX_COLS: u64 = 1 << 14;
    fn has_attr(e: &BytesStart, key: &str) -> bool {
        e.attributes().flatten().any(|a| a.key.as_ref() == key)
    }
    /// Extent of one sheet's non-empty cells: rows and columns, first and last.
    #[derive(Default)]
    struct Extent {
        name: String,
        row: u64,
        row_repeats: u64,
        col: u64,
        first: Option<(u64, u64)>,
        last: (u64, u64),
        far: (u64, u64),
        /// The cell being read: how many times it repeats, and the bytes of its text so far.
        open_cell: Option<(u64, u64)>,
        /// The text of the sheet's cells, each repeat counted.
        text: u64,
        merges: Vec<Dimensions>,
    }
    impl Extent {
        fn cell(&mut self, cols: u64) {
            let r1 = self.row.saturating_add(self.row_repeats - 1);
            let c1 = self.col.saturating_add(cols - 1);
            let (r0, c0) = (self.row, self.col);
            let (fr, fc) = self.first.get_or_insert((r0, c0));
            (*fr, *fc) = ((*fr).min(r0), (*fc).min(c0));
            self.last = (self.last.0.max(r1), self.last.1.max(c1));
            if r1.saturating_add(c1) >= self.far.0.saturating_add(self.far.1) {
                self.far = (r1, c1);
            }
        }
        /// A cell's end: its text, once for every repeat, must fit the budget for cells.
        fn close_cell(&mut self) -> Result<(), String> {
            let Some((repeats, text)) = self.open_cell.take() else {
                return Ok(());
            };
            self.text = self.text.saturating_add(repeats.saturating_mul(text));
            if self.text > CELL_BUDGET {
                return Err(format!(
                    "sheet `{}` repeats its cells' text to more than {} MiB (up to {}), more than \
                     the cells of a sheet may take; calamine would copy the text into every \
                     repeated cell",
                    self.name,
                    CELL_BUDGET >> 20,
                    crate::model::a1(
                        self.row.min(u32::MAX as u64) as u32,
                        self.col.min(u32::MAX as u64) as u32
                    ),
                ));
            }
            Ok(())
        }
        fn span(&self) -> u64 {
            let Some((r0, c0)) = self.first else {
                return 0;
            };
            let rows = self.last.0.saturating_sub(r0).saturating_add(1);
            rows.saturating_mul(self.last.1.saturating_sub(c0).saturating_add(1))
        }
        fn check(&self) -> Result<(), String> {
            let span = self.span();
            if span == 0 {
                return Ok(());
            }
            if span > DENSE_LIMIT {
                let far = crate::model::a1(
                    self.far.0.min(u32::MAX as u64) as u32,
                    self.far.1.min(u32::MAX as u64) as u32,
                );
                return Err(format!(
                    "sheet `{}` spans {span} cells (up to {far}), more than the {DENSE_LIMIT} a sheet may span; remove the stray cells far from the table",
                    self.name
                ));
            }
            Ok(())
        }
    }
    let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
    let mut depth = 0usize;
    let mut buf = Vec::new();
    let mut sheet: Option<Extent> = None;
    loop {
        let event = reader.read_event_into(&mut buf);
        let (e, open) = match &event {
            Ok(Event::Start(e)) => (Some(e), true),
            Ok(Event::Empty(e)) => (Some(e), false),
            _ => (None, false),
        };
        if let Some(e) = e {
            match e.name().into_inner() {
                "table:table" if open => {
                    let name = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == "table:name")
                        .map(|a| a.value.to_string())
                        .unwrap_or_default();
                    sheet = Some(Extent {
                        name,
                        ..Extent::default()
                    });
                }
                "table:table-row" => {
                    if let Some(s) = sheet.as_mut() {
                        s.row_repeats = repeats(e, "table:number-rows-repeated", MAX_ROWS);
                        s.col = 0;
                        if !open {
                            s.row = s.row.saturating_add(s.row_repeats);
                        }
                    }
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    if let Some(s) = sheet.as_mut() {
                        let cols = repeats(e, "table:number-columns-repeated", MAX_COLS);
                        let filled = open
                            || has_attr(e, "office:value-type")
                            || has_attr(e, "table:formula");
                        let (rows, spanned) = (
                            repeats(e, "table:number-rows-spanned", MAX_ROWS),
                            repeats(e, "table:number-columns-spanned", MAX_COLS),
                        );
                        if (rows > 1 || spanned > 1)
                            && s.merges.len() < ODS_MERGE_LIMIT
                            && s.row + rows <= MAX_ROWS
                            && s.col + spanned <= MAX_COLS
                        {
                            s.merges.push(Dimensions {
                                start: (s.row as u32, s.col as u32),
                                end: ((s.row + rows - 1) as u32, (s.col + spanned - 1) as u32),
                            });
                        }
                        if filled && s.row_repeats > 0 {
                            s.cell(cols);
                            if open {
                                s.open_cell = Some((s.row_repeats.saturating_mul(cols), 0));
                            }
                        }
                        s.col = s.col.saturating_add(cols);
                    }
                }
                // Spaces written as a count, which the reader expands.
                "text:s" => {
                    if let Some((_, text)) = sheet.as_mut().and_then(|s| s.open_cell.as_mut()) {
                        *text = text.saturating_add(repeats(e, "text:c", u64::MAX));
                    }
                }
                _ => {}
            }
        }
        if let (Ok(Event::Text(t)), Some((_, text))) =
            (&event, sheet.as_mut().and_then(|s| s.open_cell.as_mut()))
        {
            *text = text.saturating_add(t.len() as u64);
        }
        match event {
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(e)) => {
                depth = depth.saturating_sub(1);
                match e.name().into_inner() {
                    "table:table-cell" | "table:covered-table-cell" => {
                        if let Some(s) = sheet.as_mut() {
                            s.close_cell()?;
                        }
                    }
                    "table:table-row" => {
                        if let Some(s) = sheet.as_mut() {
                            s.row = s.row.saturating_add(s.row_repeats);
                        }
                    }
                    "table:table" => {
                        if let Some(s) = sheet.take() {
                            s.check()?;
                            let grid = s.span().saturating_mul(56).saturating_add(s.text);
                            spend.take(grid, &crate::i18n::t!("file.by_sheet", name = s.name))?;
                            merges.insert(s.name, s.merges);
                        }
                    }
                    _ => {}
                }
            }
            Ok(Event::Eof) if depth == 0 => return Ok(merges),
            Ok(Event::Eof) => {
                return Err(format!(
                    "content.xml ends inside {depth} open elements (the file is cut short)"
                ))
            }
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "content.xml is not well-formed at byte {}: {e}",
                    reader.buffer_position()
                ))
            }
        }
        buf.clear();
    }
}

/// Reads an xlsx sheet cell by cell, so that a stray cell (say at XFD1048576) is found before
/// a dense grid spanning it is allocated. Formulas saved without a computed value (by programs
/// that write xlsx without calculating) are collected instead of being taken as empty. When
/// the workbook asks to be recalculated on opening, a formula's saved 0 or empty text is such
/// a placeholder too (some writers store 0 for every formula); other saved values are kept.
pub(super) fn xlsx_cells(
    x: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    full_calc_on_load: bool,
    spend: &mut Spend,
) -> Result<(Range<Data>, Vec<StrayCell>, Uncached), String> {
    use calamine::XlsxFormulaMetadata as F;
    let mut reader = x.worksheet_cells_reader(name).map_err(|e| match e {
        calamine::XlsxError::WorksheetNotFound(_) => {
            "the sheet's part is missing from the file (a damaged or half-written workbook)"
                .to_string()
        }
        e => e.to_string(),
    })?;
    let mut cells = Vec::new();
    let mut last = None;
    let mut uncached = Uncached::new();
    let mut spent = 0u64;
    // Shared formulas give their text only on the group's first cell.
    let mut shared: BTreeMap<usize, ((u32, u32), String)> = BTreeMap::new();
    loop {
        let cell = match reader.next_cell_with_formula_metadata() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            // Name where the sheet's XML breaks, so that the cell can be found.
            Err(e) => {
                return Err(match last {
                    Some((r, c)) => format!("{e}, after cell {}", crate::model::a1(r, c)),
                    None => format!("{e}, before the first cell"),
                })
            }
        };
        last = Some(cell.pos);
        let mut value: Data = cell.value.into();
        if full_calc_on_load && cell.formula.is_some() && is_placeholder(&value) {
            value = Data::Empty;
        }
        if let Some(F::Shared {
            shared_index,
            formula,
            ..
        }) = &cell.formula
        {
            shared.insert(*shared_index, (cell.pos, formula.clone()));
        }
        if value != Data::Empty {
            let cost = cell_cost(&value);
            spent += cost;
            if spent > CELL_BUDGET {
                return Err(over_budget(last));
            }
            spend.take(cost, &crate::i18n::t!("file.by_sheet", name = name))?;
            cells.push(Cell::new(cell.pos, value));
            continue;
        }
        let text = match cell.formula {
            None => continue,
            Some(F::Normal { formula }) => formula,
            Some(F::Shared { formula, .. }) => formula,
            Some(F::SharedDerived { shared_index }) => shared
                .get(&shared_index)
                .map(|((r, c), f)| {
                    format!("{f} (shared from {}, shifted)", crate::model::a1(*r, *c))
                })
                .unwrap_or_default(),
            Some(_) => String::new(),
        };
        let cost = cell_cost(&Data::Empty) + text.len() as u64;
        spent += cost;
        if spent > CELL_BUDGET {
            return Err(over_budget(last));
        }
        spend.take(cost, &crate::i18n::t!("file.by_sheet", name = name))?;
        uncached.insert(cell.pos, text);
    }
    // Counted again by `grid`, as the cells it holds.
    spend.give(cells.len() as u64 * std::mem::size_of::<Cell<Data>>() as u64);
    let (core, stray) = split_stray(cells);
    Ok((grid(core, spend)?, stray, uncached))
}

/// The dense grid of a sheet's cells, stray cells already set aside; refused when it would
/// still span more than [`DENSE_LIMIT`] cells (cells placed just inside the gaps that mark
/// stray cells, say), naming its extent.
fn grid(core: Vec<Cell<Data>>, spend: &mut Spend) -> Result<Range<Data>, String> {
    let Some(first) = core.first().map(|c| c.get_position()) else {
        return Ok(Range::from_sparse(core));
    };
    let (r0, r1, c0, c1) = core.iter().fold(
        (first.0, first.0, first.1, first.1),
        |(r0, r1, c0, c1), c| {
            let (r, col) = c.get_position();
            (r0.min(r), r1.max(r), c0.min(col), c1.max(col))
        },
    );
    let area = (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1);
    if area > DENSE_LIMIT {
        return Err(format!(
            "the cells span {}:{} ({area} cells), more than the {DENSE_LIMIT} a sheet may span, \
             even with the cells far from the table set aside; remove the cells scattered \
             outside the table",
            crate::model::a1(r0, c0),
            crate::model::a1(r1, c1)
        ));
    }
    // The grid, and the cells until it takes them.
    let cells = core.len() as u64 * std::mem::size_of::<Cell<Data>>() as u64;
    spend.take(area * 32 + cells, &crate::i18n::t!("file.for_grids"))?;
    let range = Range::from_sparse(core);
    spend.give(cells);
    Ok(range)
}

fn is_placeholder(v: &Data) -> bool {
    match v {
        Data::Int(0) => true,
        Data::Float(f) => *f == 0.0,
        Data::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Splits off cells separated from the top-left block by a wide gap, when the block spanning
/// all cells would be too large to hold. Normal sheets come back whole.
pub fn split_stray(cells: Vec<Cell<Data>>) -> (Vec<Cell<Data>>, Vec<StrayCell>) {
    let bounds = |cells: &[Cell<Data>]| {
        cells
            .iter()
            .fold((u32::MAX, 0, u32::MAX, 0), |(r0, r1, c0, c1), c| {
                let (r, col) = c.get_position();
                (r0.min(r), r1.max(r), c0.min(col), c1.max(col))
            })
    };
    let area = |(r0, r1, c0, c1): (u32, u32, u32, u32)| {
        (r1 as u64 - r0 as u64 + 1) * (c1 as u64 - c0 as u64 + 1)
    };
    if cells.is_empty() || area(bounds(&cells)) <= DENSE_LIMIT {
        return (cells, Vec::new());
    }
    // The end of the first run of rows (then columns) without a gap wider than the limit.
    let run_end = |mut xs: Vec<u32>, gap: u32| {
        xs.sort_unstable();
        xs.dedup();
        let mut end = xs[0];
        for &x in &xs[1..] {
            if x - end > gap {
                break;
            }
            end = x;
        }
        end
    };
    let last_row = run_end(cells.iter().map(|c| c.get_position().0).collect(), ROW_GAP);
    let last_col = run_end(
        cells
            .iter()
            .filter(|c| c.get_position().0 <= last_row)
            .map(|c| c.get_position().1)
            .collect(),
        COL_GAP,
    );
    let (core, far): (Vec<_>, Vec<_>) = cells.into_iter().partition(|c| {
        let (r, col) = c.get_position();
        r <= last_row && col <= last_col
    });
    let stray = far
        .into_iter()
        .map(|c| {
            let (r, col) = c.get_position();
            (r, col, c.get_value().clone())
        })
        .collect();
    (core, stray)
}

/// Some writers store .xls text as UTF-16 without setting the record's 16-bit flag, so it is
/// read as code-page bytes: `居民` comes out as `E\\l`, with a NUL after each ASCII letter.
/// Where a sheet shows that sign, its texts are turned back into bytes and read as UTF-16LE.
fn repair_utf16_text(mut range: Range<Data>) -> Range<Data> {
    let signed = range.used_cells().any(
        |(_, _, c)| matches!(c, Data::String(s) if s.contains('\0') && utf16_repair(s).is_some()),
    );
    if !signed {
        return range;
    }
    let fixes: Vec<((usize, usize), String)> = range
        .used_cells()
        .filter_map(|(r, c, cell)| match cell {
            Data::String(s) => utf16_repair(s).map(|t| ((r, c), t)),
            _ => None,
        })
        .collect();
    let start = range.start().unwrap_or((0, 0));
    for ((r, c), text) in fixes {
        range.set_value((start.0 + r as u32, start.1 + c as u32), Data::String(text));
    }
    range
}

/// The UTF-16LE reading of text that was decoded byte by byte, if it is clean text.
fn utf16_repair(s: &str) -> Option<String> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(s);
    if unmappable || bytes.len() % 2 != 0 || bytes.is_empty() {
        return None;
    }
    let text = encoding_rs::UTF_16LE
        .decode_without_bom_handling_and_without_replacement(&bytes)?
        .into_owned();
    // Latin text read this way gives controls or private-use characters: not a repair.
    let clean = !text.chars().any(|c| {
        (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || ('\u{e000}'..='\u{f8ff}').contains(&c)
    });
    clean.then_some(text)
}

fn classify(e: calamine::Error) -> FileError {
    let text = e.to_string();
    let lower = text.to_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        FileError::Encrypted
    } else {
        FileError::Corrupt(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ods(table: &str) -> Vec<u8> {
        let xml = format!(
            r#"<?xml version="1.0"?><office:document-content><office:body><office:spreadsheet>{table}</office:spreadsheet></office:body></office:document-content>"#
        );
        let mut buf = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file("content.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut w, xml.as_bytes()).unwrap();
        w.finish().unwrap();
        buf.into_inner()
    }

    const ONE: &str = r#"<table:table-row><table:table-cell office:value-type="float" office:value="1"/></table:table-row>"#;

    #[test]
    fn ods_cells_spanning_columns_or_rows_are_merged_regions() {
        let table = r#"<table:table table:name="S"><table:table-row><table:table-cell table:number-columns-repeated="2"/><table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>投资额</text:p></table:table-cell><table:covered-table-cell/></table:table-row><table:table-row><table:table-cell table:number-rows-spanned="2" office:value-type="string"><text:p>序号</text:p></table:table-cell></table:table-row></table:table>"#;
        let merges = check_ods_within(&ods(table), &mut Spend::alone()).unwrap();
        let s = &merges["S"];
        assert_eq!(
            s.iter().map(|d| (d.start, d.end)).collect::<Vec<_>>(),
            vec![((0, 2), (0, 3)), ((1, 0), (2, 0))]
        );
    }

    #[test]
    fn an_ods_sheet_spanning_too_many_cells_is_refused_before_calamine_allocates_it() {
        // A stray cell 100,000 rows down and 1,000 columns across: 100 million cells.
        let stray = format!(
            r#"<table:table table:name="S">{ONE}<table:table-row table:number-rows-repeated="100000"><table:table-cell table:number-columns-repeated="5"/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="999"/><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#
        );
        let err = check_ods(&ods(&stray)).unwrap_err();
        assert_eq!(
            err,
            "sheet `S` spans 100002000 cells (up to ALL100002), more than the 20000000 a sheet may span; remove the stray cells far from the table"
        );
        // One value repeated down a million rows and across 100 columns.
        let repeated = r#"<table:table table:name="R"><table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="100"/></table:table-row></table:table>"#;
        assert!(check_ods(&ods(repeated))
            .unwrap_err()
            .contains("sheet `R` spans 100000000 cells"));
        // A repeat count near u64::MAX must not wrap the span round to a small number.
        let huge = format!(
            r#"<table:table table:name="H">{ONE}<table:table-row table:number-rows-repeated="18446744073709551615"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="18446744073709551615"/></table:table-row></table:table>"#
        );
        assert!(check_ods(&ods(&huge))
            .unwrap_err()
            .contains("sheet `H` spans"));
    }

    #[test]
    fn repeated_text_is_budgeted_in_bytes_as_well_as_cells() {
        // 19,000 rows of 1,000 repeated cells: within the span, but 19 GB of text once each
        // repeat is a copy.
        let long = "长".repeat(334);
        let rows = format!(
            r#"<table:table table:name="T"><table:table-row table:number-rows-repeated="19000"><table:table-cell office:value-type="string" table:number-columns-repeated="1000"><text:p>{long}</text:p></table:table-cell></table:table-row></table:table>"#
        );
        let err = check_ods(&ods(&rows)).unwrap_err();
        assert!(
            err.starts_with("sheet `T` repeats its cells' text to more than 384 MiB"),
            "{err}"
        );
        // Spaces given as a count are text too.
        let spaces = r#"<table:table table:name="S"><table:table-row><table:table-cell office:value-type="string"><text:p><text:s text:c="4294967295"/></text:p></table:table-cell></table:table-row></table:table>"#;
        assert!(check_ods(&ods(spaces))
            .unwrap_err()
            .contains("sheet `S` repeats"));
        // The same text in fewer cells is fine.
        let few = rows.replace("19000", "100");
        assert_eq!(check_ods(&ods(&few)), Ok(()));
    }

    #[test]
    fn a_grid_still_too_large_once_stray_cells_are_set_aside_is_refused() {
        // A staircase: each cell just inside the gaps that would mark it as stray.
        let cells: Vec<Cell<Data>> = (0..105u32)
            .map(|i| {
                Cell::new(
                    (i * (ROW_GAP - 1), (i * (COL_GAP - 1)).min(16_383)),
                    Data::Float(1.0),
                )
            })
            .collect();
        let (core, stray) = split_stray(cells);
        assert!(stray.is_empty());
        let err = grid(core, &mut Spend::alone()).unwrap_err();
        assert!(
            err.starts_with(
                "the cells span A1:XFD1039897 (17037672448 cells), more than the 20000000"
            ),
            "{err}"
        );
    }

    #[test]
    fn empty_repeats_to_the_sheet_edge_are_fine() {
        // As spreadsheet programs save them: empty rows and columns repeated to the edge.
        let edge = format!(
            r#"<table:table table:name="S">{ONE}<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>"#
        );
        assert_eq!(check_ods(&ods(&edge)), Ok(()));
        let sample = std::fs::read("sample-data/2022/2022年工会贴息贷款发放情况.ods").unwrap();
        assert_eq!(check_ods(&sample), Ok(()));
    }
}
