//! Opening a workbook file: sniffing what it really is, then listing its sheets with their
//! visibility, cells and merged regions.

use calamine::{Cell, Data, Dimensions, Ods, Range, Reader, SheetVisible, Sheets, Xls, Xlsx};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

/// Why a file could not be read as a workbook at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("empty file (0 bytes)")]
    Empty,
    #[error("Excel lock file (`~$` prefix), left behind while the workbook is open; skipped")]
    LockFile,
    #[error("not a workbook: the content looks like {0}, not {1}")]
    NotAWorkbook(&'static str, &'static str),
    #[error("password-protected (encrypted) workbook; save it without a password")]
    Encrypted,
    #[error("unsupported file extension `{0}` (expected .xlsx, .xlsm, .xls or .ods)")]
    Extension(String),
    #[error("cannot read the file: {0}")]
    Io(String),
    #[error("the file disappeared after the input folder was listed")]
    Vanished,
    #[error("the file changed while it was being read (still being copied or saved?); run again when it is complete")]
    Changed,
    #[error("corrupt or unreadable workbook: {0}")]
    Corrupt(String),
    #[error("reading the workbook failed unexpectedly: {0}")]
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

/// A used area beyond this many cells is checked for stray cells before it is allocated.
const DENSE_LIMIT: u64 = 20_000_000;
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

/// Reads the first bytes of a file for sniffing.
pub fn read_head(path: &Path) -> Result<Vec<u8>, FileError> {
    let mut f = std::fs::File::open(path).map_err(|e| FileError::Io(e.to_string()))?;
    let mut buf = vec![0u8; 4096];
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(FileError::Io(e.to_string())),
        }
    }
    buf.truncate(n);
    Ok(buf)
}

/// Opens a workbook held in memory and loads every sheet, in the workbook's own order.
pub fn load_sheets(bytes: &[u8], format: &str) -> Result<Vec<SheetLoad>, FileError> {
    let cursor = Cursor::new(bytes);
    let mut xlsx_merges = None;
    let mut full_calc_on_load = false;
    let mut wb: Sheets<Cursor<&[u8]>> = match format {
        "xls" => {
            super::cfb_check::check(bytes).map_err(FileError::Corrupt)?;
            Sheets::Xls(Xls::new(cursor).map_err(|e| classify(e.into()))?)
        }
        "ods" => {
            check_ods(bytes).map_err(FileError::Corrupt)?;
            Sheets::Ods(Ods::new(cursor).map_err(|e| classify(e.into()))?)
        }
        _ => {
            let scan = super::xlsx_parts::scan(bytes).map_err(FileError::Corrupt)?;
            xlsx_merges = scan.merges;
            full_calc_on_load = scan.full_calc_on_load;
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
        let loaded = match &mut wb {
            Sheets::Xlsx(x) => xlsx_cells(x, &meta.name, full_calc_on_load),
            _ => wb
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
        let merges = match &mut wb {
            Sheets::Xlsx(x) => match xlsx_merges.as_ref().and_then(|m| m.get(&meta.name)) {
                Some(m) => m.clone(),
                None => x.merge_cells_by_sheet_name(&meta.name).unwrap_or_default(),
            },
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(&meta.name).unwrap_or_default(),
            _ => Vec::new(),
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

/// calamine loops forever on an .ods whose content.xml is cut short; this reads it through
/// once and reports where the XML breaks off or goes wrong.
fn check_ods(bytes: &[u8]) -> Result<(), String> {
    use quick_xml::events::Event;
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(()); // calamine reports an unreadable zip itself.
    };
    let mut xml = Vec::new();
    match zip.by_name("content.xml") {
        Ok(mut f) => {
            f.read_to_end(&mut xml)
                .map_err(|e| format!("content.xml cannot be read: {e}"))?;
        }
        Err(_) => return Ok(()),
    }
    let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
    let mut depth = 0usize;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) if depth == 0 => return Ok(()),
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
fn xlsx_cells(
    x: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    full_calc_on_load: bool,
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
    // Shared formulas give their text only on the group's first cell.
    let mut shared: BTreeMap<usize, String> = BTreeMap::new();
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
            shared.insert(*shared_index, formula.clone());
        }
        if value != Data::Empty {
            cells.push(Cell::new(cell.pos, value));
            continue;
        }
        let text = match cell.formula {
            None => continue,
            Some(F::Normal { formula }) => formula,
            Some(F::Shared { formula, .. }) => formula,
            Some(F::SharedDerived { shared_index }) => shared
                .get(&shared_index)
                .map(|f| format!("{f} (shared)"))
                .unwrap_or_default(),
            Some(_) => String::new(),
        };
        uncached.insert(cell.pos, text);
    }
    let (core, stray) = split_stray(cells);
    Ok((Range::from_sparse(core), stray, uncached))
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
