//! A minimal legacy Excel (BIFF8) writer for the example generators: strings as LABEL records,
//! numbers and dates as NUMBER records, hidden sheets and merged cells, in an OLE compound file.

use super::book::{Book, Cell, Sheet};
use std::io::{self, Cursor, Write};
use std::path::Path;

/// BIFF8 records carry at most this many bytes.
const MAX_RECORD: usize = 8224;
/// XF index of the plain cell format, and of the date format (built-in number format 14).
const XF_GENERAL: u16 = 16;
const XF_DATE: u16 = 17;

fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) -> io::Result<()> {
    if data.len() > MAX_RECORD {
        return Err(io::Error::other(format!(
            "BIFF record 0x{typ:04X} of {} bytes is too long",
            data.len()
        )));
    }
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
    Ok(())
}

fn bof(dt: u16) -> Vec<u8> {
    let mut d = Vec::new();
    for v in [0x0600u16, dt, 0x0DBB, 0x07CC] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    d.extend_from_slice(&0u32.to_le_bytes());
    d.extend_from_slice(&6u32.to_le_bytes());
    d
}

/// XLUnicodeString: 16-bit length, flags (UTF-16), UTF-16LE characters.
fn unicode_string(s: &str, short: bool) -> io::Result<Vec<u8>> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut d = Vec::new();
    if short {
        let n = u8::try_from(units.len()).map_err(|_| io::Error::other("sheet name too long"))?;
        d.push(n);
    } else {
        let n =
            u16::try_from(units.len()).map_err(|_| io::Error::other("text too long for a cell"))?;
        d.extend_from_slice(&n.to_le_bytes());
    }
    d.push(1);
    for u in units {
        d.extend_from_slice(&u.to_le_bytes());
    }
    Ok(d)
}

fn xf(ifmt: u16, style: bool) -> Vec<u8> {
    let mut d = vec![0u8; 20];
    d[2..4].copy_from_slice(&ifmt.to_le_bytes());
    let flags: u16 = if style { 0xFFF5 } else { 0x0001 };
    d[4..6].copy_from_slice(&flags.to_le_bytes());
    d
}

fn font() -> io::Result<Vec<u8>> {
    let mut d = Vec::new();
    for v in [200u16, 0, 0x7FFF, 400, 0] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    d.extend_from_slice(&[0, 0, 0, 0]);
    d.extend(unicode_string("Arial", true)?);
    Ok(d)
}

/// Days from 1899-12-30 (Excel's 1900 date system serial) for a calendar date.
fn serial(year: i32, month: u32, day: u32) -> f64 {
    // Days from civil (proleptic Gregorian), then shifted to Excel's epoch.
    let y = if month <= 2 { year - 1 } else { year } as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days_from_1970 = era * 146_097 + doe - 719_468;
    (days_from_1970 + 25_569) as f64
}

/// `A1` as a 0-based (row, col).
fn parse_a1(s: &str) -> Option<(u16, u16)> {
    let letters = s.chars().take_while(|c| c.is_ascii_uppercase()).count();
    if letters == 0 || letters > 2 {
        return None;
    }
    let col = s[..letters]
        .bytes()
        .fold(0u32, |acc, b| acc * 26 + u32::from(b - b'A') + 1)
        - 1;
    let row: u32 = s[letters..].parse().ok()?;
    Some((
        u16::try_from(row.checked_sub(1)?).ok()?,
        u16::try_from(col).ok()?,
    ))
}

/// Parsed tokens (rgce) of `SUM(A1:A9)` or `SUBTOTAL(9,A1:A9)`, the only formulas written;
/// None for anything else, which is then written as its value alone.
fn formula_tokens(formula: &str) -> Option<Vec<u8>> {
    let (func, args) = formula.strip_suffix(')')?.split_once('(')?;
    let (function, range) = match func {
        "SUM" => (4u16, args),
        "SUBTOTAL" => (344u16, args.strip_prefix("9,")?),
        _ => return None,
    };
    let (a, b) = range.split_once(':')?;
    let ((r0, c0), (r1, c1)) = (parse_a1(a)?, parse_a1(b)?);
    let mut t = Vec::new();
    let mut argc = 1u8;
    if function == 344 {
        t.push(0x1E); // tInt
        t.extend_from_slice(&9u16.to_le_bytes());
        argc = 2;
    }
    t.push(0x25); // tArea, both corners relative
    for v in [r0, r1, c0 | 0xC000, c1 | 0xC000] {
        t.extend_from_slice(&v.to_le_bytes());
    }
    t.push(0x22); // tFuncVar
    t.push(argc);
    t.extend_from_slice(&function.to_le_bytes());
    Some(t)
}

fn sheet_stream(sheet: &Sheet) -> io::Result<Vec<u8>> {
    let mut s = Vec::new();
    record(&mut s, 0x0809, &bof(0x0010))?;
    let last_row = sheet.cells.keys().map(|k| k.0).max().unwrap_or(0);
    let last_col = sheet.cells.keys().map(|k| k.1).max().unwrap_or(0);
    let mut dim = Vec::new();
    dim.extend_from_slice(&0u32.to_le_bytes());
    dim.extend_from_slice(&(last_row + 1).to_le_bytes());
    dim.extend_from_slice(&0u16.to_le_bytes());
    dim.extend_from_slice(&(last_col + 1).to_le_bytes());
    dim.extend_from_slice(&0u16.to_le_bytes());
    record(&mut s, 0x0200, &dim)?;
    for (&(row, col), cell) in &sheet.cells {
        let row16 =
            u16::try_from(row).map_err(|_| io::Error::other("row beyond the .xls limit"))?;
        let mut d = Vec::new();
        d.extend_from_slice(&row16.to_le_bytes());
        d.extend_from_slice(&col.to_le_bytes());
        match cell {
            Cell::Text(t) => {
                d.extend_from_slice(&XF_GENERAL.to_le_bytes());
                d.extend(unicode_string(t, false)?);
                record(&mut s, 0x0204, &d)?;
            }
            Cell::Number(n) => {
                d.extend_from_slice(&XF_GENERAL.to_le_bytes());
                d.extend_from_slice(&n.to_le_bytes());
                match sheet
                    .formulas
                    .get(&(row, col))
                    .and_then(|f| formula_tokens(f))
                {
                    Some(rgce) => {
                        // FORMULA: cached value, flags, chn, then the parsed formula.
                        d.extend_from_slice(&0u16.to_le_bytes());
                        d.extend_from_slice(&0u32.to_le_bytes());
                        d.extend_from_slice(&(rgce.len() as u16).to_le_bytes());
                        d.extend(rgce);
                        record(&mut s, 0x0006, &d)?;
                    }
                    None => record(&mut s, 0x0203, &d)?,
                }
            }
            Cell::Date { year, month, day } => {
                d.extend_from_slice(&XF_DATE.to_le_bytes());
                d.extend_from_slice(&serial(*year, *month, *day).to_le_bytes());
                record(&mut s, 0x0203, &d)?;
            }
        }
    }
    for chunk in sheet.merges.chunks(1000) {
        let mut d = Vec::new();
        d.extend_from_slice(&(chunk.len() as u16).to_le_bytes());
        for &(r0, c0, r1, c1) in chunk {
            for v in [r0 as u16, r1 as u16, c0, c1] {
                d.extend_from_slice(&v.to_le_bytes());
            }
        }
        record(&mut s, 0x00E5, &d)?;
    }
    record(&mut s, 0x000A, &[])?;
    Ok(s)
}

fn workbook_stream(book: &Book) -> io::Result<Vec<u8>> {
    let mut g = Vec::new();
    record(&mut g, 0x0809, &bof(0x0005))?;
    record(&mut g, 0x0042, &1200u16.to_le_bytes())?;
    record(&mut g, 0x0022, &0u16.to_le_bytes())?;
    for _ in 0..4 {
        record(&mut g, 0x0031, &font()?)?;
    }
    for _ in 0..16 {
        record(&mut g, 0x00E0, &xf(0, true))?;
    }
    record(&mut g, 0x00E0, &xf(0, false))?;
    record(&mut g, 0x00E0, &xf(14, false))?;
    let sheets: Vec<Vec<u8>> = book
        .sheets
        .iter()
        .map(sheet_stream)
        .collect::<io::Result<_>>()?;
    // BoundSheet8 records hold each sheet's stream offset, known once the globals are laid out.
    let mut bounds = Vec::new();
    for sheet in &book.sheets {
        let mut d = vec![0u8; 4];
        d.push(if sheet.very_hidden {
            2
        } else if sheet.hidden {
            1
        } else {
            0
        });
        d.push(0);
        d.extend(unicode_string(&sheet.name, true)?);
        bounds.push(d);
    }
    let bounds_len: usize = bounds.iter().map(|b| b.len() + 4).sum();
    let mut offset = g.len() + bounds_len + 4; // + the globals' EOF
    for (b, s) in bounds.iter_mut().zip(&sheets) {
        b[0..4].copy_from_slice(&(offset as u32).to_le_bytes());
        offset += s.len();
    }
    for b in &bounds {
        record(&mut g, 0x0085, b)?;
    }
    record(&mut g, 0x000A, &[])?;
    for s in sheets {
        g.extend(s);
    }
    Ok(g)
}

pub fn write_xls(book: &Book, path: &Path) -> io::Result<()> {
    let stream = workbook_stream(book)?;
    let mut buf = Vec::new();
    {
        // Version 3 (512-byte sectors): what Excel writes and every reader accepts.
        let mut cfb =
            cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(&mut buf))?;
        let mut s = cfb.create_stream("/Workbook")?;
        s.write_all(&stream)?;
        s.flush()?;
        drop(s);
        cfb.flush()?;
    }
    zero_root_times(&mut buf);
    std::fs::write(path, buf)
}

/// The compound file's root entry records when it was created; zero it for stable bytes.
fn zero_root_times(buf: &mut [u8]) {
    if buf.len() < 512 {
        return;
    }
    let sector_shift = u16::from_le_bytes([buf[30], buf[31]]) as u32;
    let first_dir = u32::from_le_bytes([buf[48], buf[49], buf[50], buf[51]]);
    let sector = 1usize << sector_shift;
    let root = (first_dir as usize + 1) * sector;
    if root + 128 <= buf.len() {
        buf[root + 100..root + 116].fill(0);
    }
}
