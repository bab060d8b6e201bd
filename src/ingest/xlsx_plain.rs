//! A fast reader for plain xlsx sheets: the grids of numbers and shared strings that most
//! bureau workbooks hold. calamine reads such a sheet through a general XML event reader at
//! about 40 MB of XML a second; the sheet's XML here is a fixed pattern of `<row>`, `<c>` and
//! `<v>` tags, scanned directly.
//!
//! Every function answers None for anything outside that pattern (formulas, inline or rich
//! text, entities, dates and other date or time formats, namespace prefixes, attributes it does
//! not know), and the sheet is then read by calamine. Where it answers, the cells are the ones
//! calamine gives: a test reads every workbook it can find both ways.

use super::workbook::{cell_cost, CELL_BUDGET};
use super::xlsx_parts::{self, HELD_LIMIT};
use calamine::{Cell, Data, Dimensions};
use memchr::memmem;
use std::collections::BTreeMap;
use std::io::Cursor;

type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// A workbook's shared strings and which of its cell styles show numbers as plain numbers.
pub struct Plain<'a> {
    zip: Zip<'a>,
    strings: Vec<String>,
    /// By style index: true when calamine reads a number in that style as a plain number.
    plain_styles: Vec<bool>,
}

impl<'a> Plain<'a> {
    /// None when the shared strings or styles are not plain, or a part cannot be read here.
    pub fn open(bytes: &'a [u8]) -> Option<Plain<'a>> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let strings = match part(&mut zip, "xl/sharedStrings.xml")? {
            Some(xml) => shared_strings(&xml)?,
            None => Vec::new(),
        };
        let plain_styles = match part(&mut zip, "xl/styles.xml")? {
            Some(xml) => plain_styles(std::str::from_utf8(&xml).ok()?)?,
            None => Vec::new(),
        };
        Some(Plain {
            zip,
            strings,
            plain_styles,
        })
    }

    /// The non-empty cells of the sheet part at `path`, in the order calamine gives them,
    /// and its merged regions; None when the sheet is not plain or too large to hold.
    pub fn sheet(&mut self, path: &str, budget: u64) -> Option<PlainSheet> {
        // A sheet is held whole here, so only up to a size; a larger one (or one whose part
        // inflates past its declared size) is read in chunks on the other path, which applies
        // the limit for every part.
        match self.zip.by_name(path) {
            Ok(f) if f.size() <= HOLD_LIMIT => {}
            _ => return None,
        }
        let xml = xlsx_parts::entry(&mut self.zip, path, HOLD_LIMIT).ok()??;
        let (cells, tail) = sheet_cells(&xml, &self.strings, &self.plain_styles, budget)?;
        let merges = xlsx_parts::merges_in(&String::from_utf8_lossy(&xml[tail..]));
        Some((cells, merges))
    }
}

/// The largest sheet part read whole: some 2 million rows of a bureau table.
const HOLD_LIMIT: u64 = 256 << 20;

/// A plain sheet's cells and merged regions.
pub type PlainSheet = (Vec<Cell<Data>>, Vec<Dimensions>);

/// A part's bytes; Some(None) when the part is absent, None when it cannot be read.
fn part(zip: &mut Zip, name: &str) -> Option<Option<Vec<u8>>> {
    xlsx_parts::entry(zip, name, HELD_LIMIT).ok()
}

/// Text that reads the same whether or not XML escapes are applied: no entity, no `_xHHHH_`
/// escape, no carriage return (which XML folds into line feeds).
fn literal(text: &[u8]) -> bool {
    !text.contains(&b'&') && !text.contains(&b'\r') && memmem::find(text, b"_x").is_none()
}

/// `<si><t>text</t></si>` entries only, with or without phonetic settings; rich text,
/// phonetic runs and escapes are not plain.
fn shared_strings(xml: &[u8]) -> Option<Vec<String>> {
    let open = memmem::find(xml, b"<sst")?;
    let body_start = open + memchr::memchr(b'>', &xml[open..])? + 1;
    if xml[body_start - 2] == b'/' {
        return Some(Vec::new());
    }
    let body_end = body_start + memmem::find(&xml[body_start..], b"</sst>")?;
    let mut rest = &xml[body_start..body_end];
    let mut out = Vec::new();
    loop {
        rest = rest.trim_ascii_start();
        if rest.is_empty() {
            return Some(out);
        }
        rest = rest.strip_prefix(b"<si>")?;
        let (preserve, after) = if let Some(r) = rest.strip_prefix(b"<t>") {
            (false, r)
        } else {
            (true, rest.strip_prefix(br#"<t xml:space="preserve">"#)?)
        };
        let end = memchr::memchr(b'<', after)?;
        let text = &after[..end];
        rest = after[end..].strip_prefix(b"</t>")?;
        // Excel in Chinese and Japanese locales adds phonetic settings; they hold no text.
        if let Some(pr) = rest.strip_prefix(b"<phoneticPr ") {
            let close = memchr::memchr(b'>', pr)?;
            if pr[close - 1] != b'/' {
                return None;
            }
            rest = &pr[close + 1..];
        }
        rest = rest.strip_prefix(b"</si>")?;
        if !literal(text) {
            return None;
        }
        // calamine trims ASCII whitespace from text not marked to be preserved.
        let text = if preserve { text } else { text.trim_ascii() };
        out.push(String::from_utf8(text.to_vec()).ok()?);
    }
}

/// For each cell style (`cellXfs`), whether a number in it is read as a plain number. None
/// when the list cannot be found.
fn plain_styles(xml: &str) -> Option<Vec<bool>> {
    let custom: BTreeMap<String, String> = xlsx_parts::tags(xml, "numFmt")
        .into_iter()
        .filter_map(|t| {
            Some((
                xlsx_parts::attr(t, "numFmtId")?,
                xlsx_parts::attr(t, "formatCode")?,
            ))
        })
        .collect();
    let Some(start) = xml.find("<cellXfs") else {
        return Some(Vec::new());
    };
    let end = start + xml[start..].find("</cellXfs>")?;
    let styles = xlsx_parts::tags(&xml[start..end], "xf")
        .into_iter()
        .map(|t| match xlsx_parts::attr(t, "numFmtId") {
            None => true,
            Some(id) => match custom.get(&id) {
                Some(code) => !code.contains(DATE_LETTERS),
                None => id
                    .parse::<u32>()
                    .is_ok_and(|n| n.to_string() == id && matches!(n, 0..=13 | 37..=44 | 48 | 49)),
            },
        })
        .collect();
    Some(styles)
}

/// A custom format without any of these letters cannot be a date, time or duration format,
/// wherever they stand (in quotes, brackets or not).
const DATE_LETTERS: &[char] = &[
    'd', 'm', 'h', 'y', 's', 'a', 'p', 'D', 'M', 'H', 'Y', 'S', 'A', 'P',
];

/// The cells, and where the XML after the cells starts.
fn sheet_cells(
    xml: &[u8],
    strings: &[String],
    plain: &[bool],
    budget: u64,
) -> Option<(Vec<Cell<Data>>, usize)> {
    let Some(open) = memmem::find(xml, b"<sheetData>") else {
        // An empty sheet writes `<sheetData/>`; anything else is left to calamine.
        let empty = memmem::find(xml, b"<sheetData/>")?;
        return Some((Vec::new(), empty));
    };
    let start = open + b"<sheetData>".len();
    let end = start + memmem::find(&xml[start..], b"</sheetData>")?;
    let cells = rows_cells(&xml[start..end], strings, plain, budget)?;
    Some((cells, end))
}

/// Below this much row XML a sheet is scanned on one thread.
const SPLIT_AT: usize = 128 << 10;

/// The cells of whole `<row>` elements. Every plain cell names its position, so a long run
/// of rows is cut in two at a row's start and the halves are scanned side by side: a re-run
/// after one workbook changed waits on that workbook alone.
fn rows_cells(
    body: &[u8],
    strings: &[String],
    plain: &[bool],
    budget: u64,
) -> Option<Vec<Cell<Data>>> {
    let budget = budget.min(CELL_BUDGET);
    // Cell values hold no `<`, so `<row` followed by a space or `>` starts a row.
    let cut = (body.len() >= SPLIT_AT)
        .then(|| {
            let half = body.len() / 2;
            memmem::find_iter(&body[half..], b"<row")
                .map(|i| half + i)
                .find(|&i| matches!(body.get(i + 4), Some(b' ' | b'>')))
        })
        .flatten();
    match cut {
        Some(cut) => {
            let half = budget / 2;
            let (a, b) = rayon::join(
                || scan_rows(&body[..cut], strings, plain, half),
                || scan_rows(&body[cut..], strings, plain, half),
            );
            let mut cells = a?;
            cells.extend(b?);
            Some(cells)
        }
        None => scan_rows(body, strings, plain, budget),
    }
}

/// The cells of `body`; None when they are not plain or take more than `budget` bytes (see
/// [`CELL_BUDGET`]; calamine's path then reads the sheet and names the problem).
fn scan_rows(
    body: &[u8],
    strings: &[String],
    plain: &[bool],
    budget: u64,
) -> Option<Vec<Cell<Data>>> {
    let mut spent = 0u64;
    // A cell takes at least 20 bytes of XML (`<c r="A1"><v>1</v></c>`); room for most of
    // them at once spares copying the cells as the list doubles.
    let mut out = Vec::with_capacity(body.len() / 24);
    let mut i = 0;
    while i < body.len() {
        let rest = &body[i..];
        if rest[0] != b'<' {
            if !rest[0].is_ascii_whitespace() {
                return None;
            }
            i += 1;
            continue;
        }
        if rest.starts_with(b"</row>") {
            i += b"</row>".len();
            continue;
        }
        let close = memchr::memchr(b'>', rest)?;
        if rest.starts_with(b"<row") && matches!(rest[4], b' ' | b'>' | b'/') {
            i += close + 1;
            continue;
        }
        let attrs = rest.strip_prefix(b"<c ")?;
        let self_closing = rest[close - 1] == b'/';
        let attrs = &attrs[..close - 3 - usize::from(self_closing)];
        let cell = CellAttrs::parse(attrs)?;
        i += close + 1;
        if self_closing {
            continue;
        }
        let rest = &body[i..];
        if rest.starts_with(b"</c>") {
            i += b"</c>".len();
            continue;
        }
        let after = rest.strip_prefix(b"<v>")?;
        let v_end = memchr::memchr(b'<', after)?;
        let v = &after[..v_end];
        after[v_end..].strip_prefix(b"</v></c>")?;
        i += b"<v>".len() + v_end + b"</v></c>".len();
        match value(v, &cell, strings, plain)? {
            Data::Empty => {}
            d => {
                spent += cell_cost(&d);
                if spent > budget {
                    return None;
                }
                out.push(Cell::new(cell.pos, d));
            }
        }
    }
    Some(out)
}

struct CellAttrs<'x> {
    pos: (u32, u32),
    style: Option<&'x [u8]>,
    typ: Option<&'x [u8]>,
}

impl<'x> CellAttrs<'x> {
    fn parse(mut attrs: &'x [u8]) -> Option<CellAttrs<'x>> {
        let mut pos = None;
        let mut style = None;
        let mut typ = None;
        loop {
            attrs = attrs.trim_ascii_start();
            if attrs.is_empty() {
                break;
            }
            let eq = memchr::memchr(b'=', attrs)?;
            let name = &attrs[..eq];
            let quote = *attrs.get(eq + 1)?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            let len = memchr::memchr(quote, &attrs[eq + 2..])?;
            let val = &attrs[eq + 2..eq + 2 + len];
            attrs = &attrs[eq + 2 + len + 1..];
            if val.contains(&b'&') {
                return None;
            }
            match name {
                b"r" => pos = Some(cell_ref(val)?),
                b"s" => style = Some(val),
                b"t" => typ = Some(val),
                // Whether Excel shows phonetic text: no bearing on the value.
                b"ph" => {}
                _ => return None,
            }
        }
        Some(CellAttrs {
            pos: pos?,
            style,
            typ,
        })
    }
}

/// `B3` -> (row 2, column 1), 0-based, as calamine numbers cells; only the plain form
/// (capitals, then digits) inside the sheet's bounds.
fn cell_ref(r: &[u8]) -> Option<(u32, u32)> {
    if !r
        .iter()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return None;
    }
    let (row, col) = xlsx_parts::cell_ref(std::str::from_utf8(r).ok()?)?;
    (row < 1_048_576 && col < 16_384).then_some((row, col))
}

fn index(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn value(v: &[u8], cell: &CellAttrs, strings: &[String], plain: &[bool]) -> Option<Data> {
    match cell.typ {
        Some(b"s") if v.is_empty() => Some(Data::Empty),
        Some(b"s") => strings.get(index(v)?).map(|s| Data::String(s.clone())),
        None | Some(b"n") if v.is_empty() => Some(Data::Empty),
        None | Some(b"n") => {
            if let Some(style) = cell.style {
                if !plain.get(index(style)?).copied().unwrap_or(false) {
                    return None;
                }
            }
            let numeric = v[0] != b'+'
                && v.iter()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
            if !numeric {
                return None;
            }
            std::str::from_utf8(v).ok()?.parse().ok().map(Data::Float)
        }
        Some(b"b") => match v {
            b"0" => Some(Data::Bool(false)),
            b"1" => Some(Data::Bool(true)),
            _ => None,
        },
        Some(b"str") if !v.is_empty() && literal(v) => {
            Some(Data::String(String::from_utf8(v.to_vec()).ok()?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(xml: &str) -> Option<Vec<((u32, u32), Data)>> {
        let strings = vec!["合计".to_string(), " 其中 ".to_string()];
        let plain = vec![true, false];
        sheet_cells(xml.as_bytes(), &strings, &plain, CELL_BUDGET).map(|(v, _)| {
            v.into_iter()
                .map(|c| (c.get_position(), c.get_value().clone()))
                .collect()
        })
    }

    #[test]
    fn plain_cells_are_read() {
        let got = cells(
            r#"<worksheet><sheetData><row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="B1" s="0"><v>12.5</v></c><c r="C1"/><c r="D1" t="b"><v>1</v></c></row>
            <row r="3"><c r="AA3" t="str"><v>x</v></c><c r="B3" t="n"><v>-1E-3</v></c><c r="C3" t="s"><v></v></c></row><row r="4"/></sheetData><mergeCells/></worksheet>"#,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                ((0, 0), Data::String("合计".into())),
                ((0, 1), Data::Float(12.5)),
                ((0, 3), Data::Bool(true)),
                ((2, 26), Data::String("x".into())),
                ((2, 1), Data::Float(-0.001)),
            ]
        );
        assert_eq!(cells("<worksheet><sheetData/></worksheet>"), Some(vec![]));
    }

    #[test]
    fn a_long_sheet_read_in_two_halves_gives_the_cells_in_order() {
        let mut body = String::new();
        for r in 1..=6000 {
            body.push_str(&format!(
                r#"<row r="{r}" spans="1:3"><c r="A{r}" t="s"><v>{}</v></c><c r="C{r}"><v>{r}.5</v></c></row>"#,
                r % 2
            ));
        }
        assert!(body.len() > SPLIT_AT);
        let strings = vec!["a".to_string(), "b".to_string()];
        let whole = scan_rows(body.as_bytes(), &strings, &[], CELL_BUDGET).expect("plain");
        let halves = rows_cells(body.as_bytes(), &strings, &[], CELL_BUDGET).expect("plain");
        assert_eq!(whole.len(), 12_000);
        let key = |c: &Cell<Data>| (c.get_position(), c.get_value().clone());
        assert!(whole.iter().map(key).eq(halves.iter().map(key)));
        // A half that is not plain makes the whole sheet not plain.
        let bad = body.replacen(r#"<c r="C5999"><v>"#, r#"<c r="C5999"><f>1</f><v>"#, 1);
        assert!(rows_cells(bad.as_bytes(), &strings, &[], CELL_BUDGET).is_none());
    }

    #[test]
    fn anything_else_is_left_to_calamine() {
        for body in [
            r#"<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>"#,
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>"#,
            r#"<row r="1"><c r="A1" s="1"><v>44000</v></c></row>"#,
            r#"<row r="1"><c r="A1" s="7"><v>44000</v></c></row>"#,
            r#"<row r="1"><c r="A1" t="str"><v>a&amp;b</v></c></row>"#,
            r#"<row r="1"><c r="A1" t="e"><v>#N/A</v></c></row>"#,
            r#"<row r="1"><c r="A1" t="d"><v>2022-01-01</v></c></row>"#,
            r#"<row r="1"><c r="A1" t="s"><v>9</v></c></row>"#,
            r#"<row r="1"><c r="A1"><v>1,5</v></c></row>"#,
            r#"<row r="1"><c><v>1</v></c></row>"#,
            r#"<row r="1"><c r="A1" cm="1"><v>1</v></c></row>"#,
            r#"<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>"#,
            r#"text"#,
        ] {
            let xml = format!("<worksheet><sheetData>{body}</sheetData></worksheet>");
            assert_eq!(cells(&xml), None, "{body}");
        }
        assert_eq!(cells("<x:worksheet><x:sheetData/></x:worksheet>"), None);
    }

    #[test]
    fn shared_strings_keep_calamine_spacing() {
        let xml = r#"<?xml version="1.0"?><sst count="3" uniqueCount="3"><si><t> a </t></si><si><t xml:space="preserve"> b </t></si>
        <si><t>单位：万元</t><phoneticPr fontId="1" type="noConversion"/></si></sst>"#;
        assert_eq!(
            shared_strings(xml.as_bytes()).unwrap(),
            ["a", " b ", "单位：万元"]
        );
        assert_eq!(shared_strings(br#"<sst count="0"/>"#).unwrap().len(), 0);
        for si in [
            "<si><r><t>a</t></r></si>",
            "<si><t>a</t><rPh><t>b</t></rPh></si>",
            "<si><t>a&amp;b</t></si>",
            "<si><t>a_x000D_</t></si>",
            "<si><t/></si>",
        ] {
            let xml = format!("<sst>{si}</sst>");
            assert_eq!(shared_strings(xml.as_bytes()), None, "{si}");
        }
    }

    #[test]
    fn only_formats_that_cannot_show_a_date_are_plain() {
        let xml = r##"<styleSheet><numFmts count="3"><numFmt numFmtId="164" formatCode="0.00_ "/><numFmt numFmtId="165" formatCode="yyyy&quot;年&quot;m&quot;月&quot;"/><numFmt numFmtId="166" formatCode="#,##0_);[Red]\(#,##0\)"/></numFmts>
            <cellXfs count="7"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165"/><xf numFmtId="14"/><xf fontId="1"><alignment/></xf><xf numFmtId="166"/><xf numFmtId="40"/></cellXfs></styleSheet>"##;
        assert_eq!(
            plain_styles(xml).unwrap(),
            [true, true, false, false, true, false, true]
        );
    }

    #[test]
    fn cell_references() {
        assert_eq!(cell_ref(b"A1"), Some((0, 0)));
        assert_eq!(cell_ref(b"XFD1048576"), Some((1_048_575, 16_383)));
        for bad in [&b"a1"[..], b"A0", b"A", b"1", b"XFE1", b"A1048577", b"A1 "] {
            assert_eq!(cell_ref(bad), None, "{bad:?}");
        }
    }
}

/// The fast reader against calamine, on every xlsx in the repository and on generated
/// workbooks holding every kind of cell and format.
#[cfg(test)]
mod against_calamine {
    use super::super::workbook::{split_stray, xlsx_cells, Spend};
    use super::super::xlsx_parts::SheetPart;
    use super::*;
    use calamine::{Range, Reader, Xlsx};
    use proptest::prelude::*;

    /// Reads each sheet both ways; the number of sheets the fast reader answered for.
    fn both_ways(bytes: &[u8], what: &str) -> usize {
        let scan = xlsx_parts::scan(bytes).unwrap();
        let (Some(sheets), Some(mut plain)) = (scan.sheets, Plain::open(bytes)) else {
            return 0;
        };
        let mut x = Xlsx::new(Cursor::new(bytes)).unwrap();
        // The sheet list read without calamine is calamine's.
        let metas = x.sheets_metadata().to_vec();
        assert_eq!(metas.len(), sheets.len(), "{what}");
        for (meta, sheet) in metas.iter().zip(&sheets) {
            let state = match meta.visible {
                calamine::SheetVisible::Visible => "visible",
                calamine::SheetVisible::Hidden => "hidden",
                calamine::SheetVisible::VeryHidden => "veryHidden",
            };
            assert_eq!(sheet.state.as_deref().unwrap_or("visible"), state, "{what}");
            let worksheet = sheet.kind.rsplit('/').next() == Some("worksheet");
            assert_eq!(
                worksheet,
                meta.typ == calamine::SheetType::WorkSheet,
                "{what}"
            );
            if !sheet.escaped {
                assert_eq!(sheet.name, meta.name, "{what}");
            }
        }
        let mut answered = 0;
        for SheetPart { name, path, .. } in sheets {
            let Some((fast, merges)) = plain.sheet(&path, CELL_BUDGET) else {
                continue;
            };
            assert_eq!(
                merges,
                xlsx_parts::sheet_merges(bytes, &path).unwrap(),
                "{what}, sheet {name}"
            );
            let (range, stray, uncached) =
                xlsx_cells(&mut x, &name, scan.full_calc_on_load, &mut Spend::alone()).unwrap();
            let (core, fast_stray) = split_stray(fast);
            assert_eq!(Range::from_sparse(core), range, "{what}, sheet {name}");
            assert_eq!(fast_stray, stray, "{what}, sheet {name}");
            assert!(uncached.is_empty(), "{what}, sheet {name}");
            answered += 1;
        }
        answered
    }

    #[test]
    fn every_workbook_in_the_repository_reads_the_same() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<_> = ["sample-data", "tests"]
            .iter()
            .flat_map(|d| walkdir::WalkDir::new(root.join(d)).sort_by_file_name())
            .filter_map(Result::ok)
            .map(|e| e.into_path())
            .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
            .collect();
        files.sort();
        let mut answered = 0;
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            if bytes.starts_with(b"PK") {
                answered += both_ways(&bytes, &path.display().to_string());
            }
        }
        assert!(answered >= 10, "{answered} sheets of {} files", files.len());
    }

    #[derive(Debug, Clone)]
    enum Content {
        Text(String),
        Number(f64),
        Bool(bool),
        Formula(f64),
        Blank,
    }

    /// Mostly plain cells, so that many workbooks take the fast path; now and then one that
    /// must send its sheet or workbook to calamine.
    fn content() -> impl Strategy<Value = Content> {
        let plain = prop::sample::select(vec![
            "合计",
            " 其中 ",
            "单位：万元",
            "  ",
            "2022年1—6月",
            "\"quoted\"",
            "'",
            "ä",
            "line\nbreak",
        ]);
        let odd = prop::sample::select(vec!["a&b", "<b>", "x_x000D_y", "\r\n", ""]);
        prop_oneof![
            30 => plain.prop_map(|s| Content::Text(s.to_string())),
            20 => any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Content::Number),
            20 => (-1e6f64..1e6).prop_map(|f| Content::Number((f * 100.0).round() / 100.0)),
            5 => any::<bool>().prop_map(Content::Bool),
            5 => Just(Content::Blank),
            1 => odd.prop_map(|s| Content::Text(s.to_string())),
            1 => (0f64..100.0).prop_map(Content::Formula),
        ]
    }

    fn format() -> impl Strategy<Value = Option<rust_xlsxwriter::Format>> {
        use rust_xlsxwriter::Format;
        let plain = prop::sample::select(vec![
            None,
            Some("0.00_ "),
            Some("#,##0.00"),
            Some("@"),
            Some("0%"),
            Some("bold"),
        ]);
        let odd = prop::sample::select(vec![
            Some("yyyy\"年\"m\"月\""),
            Some("#,##0_);[Red]\\(#,##0\\)"),
            Some("[h]:mm"),
            Some("General"),
            Some("builtin 14"),
        ]);
        prop_oneof![40 => plain, 1 => odd].prop_map(|f| {
            f.map(|code| match code {
                "builtin 14" => Format::new().set_num_format_index(14),
                "bold" => Format::new().set_bold(),
                code => Format::new().set_num_format(code),
            })
        })
    }

    fn workbook(cells: &[((u16, u16), Content, Option<rust_xlsxwriter::Format>)]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for ((row, col), content, format) in cells {
            let (row, col) = (u32::from(*row), *col);
            let fmt = format.clone().unwrap_or_default();
            match content {
                Content::Text(s) => ws.write_string_with_format(row, col, s, &fmt),
                Content::Number(f) => ws.write_number_with_format(row, col, *f, &fmt),
                Content::Bool(b) => ws.write_boolean_with_format(row, col, *b, &fmt),
                Content::Formula(v) => ws
                    .write_formula_with_format(row, col, "=1+1", &fmt)
                    .map(|w| w.set_formula_result(row, col, v.to_string())),
                Content::Blank => ws.write_blank(row, col, &fmt),
            }
            .unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn generated_workbooks_read_the_same(
            cells in prop::collection::vec(((0u16..40, 0u16..8), content(), format()), 0..40)
        ) {
            both_ways(&workbook(&cells), &format!("{cells:?}"));
        }
    }

    #[test]
    fn plain_generated_workbooks_take_the_fast_path() {
        let cells = [
            ((0, 0), Content::Text("合计".into()), None),
            ((1, 1), Content::Number(12.25), None),
            ((2, 2), Content::Bool(true), None),
        ];
        let bytes = workbook(&cells);
        assert_eq!(both_ways(&bytes, "plain"), 1);
        // As Excel saves it in a Chinese locale: phonetic settings in each shared string.
        let phonetic = rewrite(&bytes, "xl/sharedStrings.xml", |xml| {
            xml.replace(
                "</t></si>",
                r#"</t><phoneticPr fontId="1" type="noConversion"/></si>"#,
            )
        });
        assert_eq!(both_ways(&phonetic, "phonetic"), 1);
    }

    /// The workbook with one part's text changed.
    fn rewrite(bytes: &[u8], part: &str, change: impl Fn(&str) -> String) -> Vec<u8> {
        use std::io::{Read, Write};
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut body = Vec::new();
            f.read_to_end(&mut body).unwrap();
            if name == part {
                body = change(std::str::from_utf8(&body).unwrap()).into_bytes();
            }
            out.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(&body).unwrap();
        }
        out.finish().unwrap().into_inner()
    }
}
