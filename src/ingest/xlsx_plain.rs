//! A fast reader for xlsx sheets as spreadsheet programs save them: grids of numbers, shared
//! or inline strings (rich text included), formulas with their saved values, number and date
//! formats. calamine reads a sheet through a general XML event reader; the sheet's XML here is
//! a fixed pattern of `<row>`, `<c>`, `<v>`, `<f>` and `<is>` tags, scanned directly.
//!
//! Every function answers None for anything outside that pattern (entities, error cells,
//! formulas saved without a value, namespace prefixes, attributes it does not know), and the
//! sheet is then read by calamine. Where it answers, the cells are the ones calamine gives: a
//! test reads every workbook it can find both ways.

use super::workbook::{cell_cost, CELL_BUDGET};
use super::xlsx_parts::{self, HELD_LIMIT};
use calamine::{Cell, Data, Dimensions, ExcelDateTime, ExcelDateTimeType};
use memchr::memmem;
use std::collections::BTreeMap;
use std::io::Cursor;

type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// A workbook's shared strings, how its cell styles show numbers, and what its workbook part
/// says about formulas and dates.
pub struct Plain<'a> {
    zip: Zip<'a>,
    book: Book,
}

/// What a sheet's cells are read against.
struct Book {
    strings: Vec<String>,
    /// By style index: how calamine reads a number in that style.
    styles: Vec<Shown>,
    /// Formulas are to be recalculated on opening: a saved 0 or empty text may be a
    /// placeholder, which calamine's path reports as a formula without a value.
    full_calc_on_load: bool,
    date1904: bool,
}

/// How a cell style shows a number, as calamine decides it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shown {
    Number,
    DateTime,
    Duration,
    /// A built-in format this reader does not know: the sheet goes to calamine.
    Unknown,
}

impl<'a> Plain<'a> {
    /// None when the shared strings or styles cannot be read here.
    pub fn open(bytes: &'a [u8], scan: &xlsx_parts::Scan) -> Option<Plain<'a>> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let strings = match part(&mut zip, "xl/sharedStrings.xml")? {
            Some(xml) => shared_strings(&xml)?,
            None => Vec::new(),
        };
        let styles = match part(&mut zip, "xl/styles.xml")? {
            Some(xml) => styles(std::str::from_utf8(&xml).ok()?)?,
            None => Vec::new(),
        };
        Some(Plain {
            zip,
            book: Book {
                strings,
                styles,
                full_calc_on_load: scan.full_calc_on_load,
                date1904: scan.date1904,
            },
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
        let (cells, tail) = sheet_cells(&xml, &self.book, budget)?;
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

/// The entries of the shared-string table: plain text, runs of rich text and phonetic runs
/// (whose text calamine leaves out); escapes and empty tags are not read here.
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
        let (text, used) = string_item(rest, b"</si>")?;
        out.push(text);
        rest = &rest[used..];
    }
}

/// Without leading and trailing spaces, tabs and line ends (not other white space).
fn trim_xml_space(t: &[u8]) -> &[u8] {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = t.iter().position(|b| !space(b)).unwrap_or(t.len());
    let end = t.iter().rposition(|b| !space(b)).map_or(start, |e| e + 1);
    &t[start..end]
}

/// The text of a string item (the inside of `<si>` or `<is>`) up to its `close` tag, as
/// calamine joins it: every `<t>` outside phonetic runs, each trimmed of ASCII white space
/// unless marked to be preserved; and how many bytes it took, the close tag included.
fn string_item(xml: &[u8], close: &[u8]) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut at = 0;
    let mut in_run = false;
    loop {
        let rest = &xml[at..];
        if rest.starts_with(close) && !in_run {
            return Some((text, at + close.len()));
        }
        let body = if let Some(r) = rest.strip_prefix(b"<t>") {
            Some((false, r))
        } else {
            rest.strip_prefix(br#"<t xml:space="preserve">"#)
                .map(|r| (true, r))
        };
        if let Some((preserve, body)) = body {
            let end = memchr::memchr(b'<', body)?;
            let t = &body[..end];
            body[end..].strip_prefix(b"</t>")?;
            if !literal(t) {
                return None;
            }
            let t = if preserve { t } else { trim_xml_space(t) };
            text.push_str(std::str::from_utf8(t).ok()?);
            at = xml.len() - body.len() + end + b"</t>".len();
            continue;
        }
        if let Some(r) = rest.strip_prefix(b"<r>") {
            if in_run {
                return None;
            }
            in_run = true;
            at = xml.len() - r.len();
        } else if let Some(r) = rest.strip_prefix(b"</r>") {
            if !in_run {
                return None;
            }
            in_run = false;
            at = xml.len() - r.len();
        } else if let Some(r) = rest.strip_prefix(b"<rPr>") {
            // A run's font: empty tags only, never text.
            let end = memmem::find(r, b"</rPr>")?;
            if !in_run || memmem::find(&r[..end], b"<t").is_some() {
                return None;
            }
            at = xml.len() - r.len() + end + b"</rPr>".len();
        } else if rest.starts_with(b"<rPh ") && !in_run {
            // Phonetic text, which calamine leaves out.
            let end = memmem::find(rest, b"</rPh>")?;
            at += end + b"</rPh>".len();
        } else if let Some(pr) = rest.strip_prefix(b"<phoneticPr ") {
            // Excel in Chinese and Japanese locales adds phonetic settings; they hold no text.
            let end = memchr::memchr(b'>', pr)?;
            if pr[end - 1] != b'/' || in_run {
                return None;
            }
            at = xml.len() - pr.len() + end + 1;
        } else {
            return None;
        }
    }
}

/// How each cell style (`cellXfs`) shows a number. None when the list cannot be found.
fn styles(xml: &str) -> Option<Vec<Shown>> {
    // calamine takes custom formats from the `numFmts` list only.
    let custom: BTreeMap<String, String> = section(xml, "numFmts")
        .map(|list| {
            xlsx_parts::tags(list, "numFmt")
                .into_iter()
                .filter_map(|t| {
                    Some((
                        xlsx_parts::attr(t, "numFmtId")?,
                        xlsx_parts::attr(t, "formatCode")?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(list) = section(xml, "cellXfs") else {
        // No list at all (an empty `<cellXfs/>` is not read here).
        return (!xml.contains("<cellXfs")).then(Vec::new);
    };
    let styles = xf_tags(list)
        .map(|t| match xlsx_parts::attr(t, "numFmtId") {
            None => Shown::Number,
            Some(id) => match custom.get(&id) {
                Some(code) => custom_format(code),
                None => builtin_format(&id),
            },
        })
        .collect();
    Some(styles)
}

/// The inside of the first `<name …>…</name>`.
fn section<'x>(xml: &'x str, name: &str) -> Option<&'x str> {
    let open = xml.find(&format!("<{name}"))?;
    let after = &xml[open + name.len() + 1..];
    if !after.starts_with([' ', '>']) {
        return None;
    }
    let body = &after[after.find('>')? + 1..];
    Some(&body[..body.find(&format!("</{name}>"))?])
}

/// The attribute text of each `<xf>` tag, with or without attributes.
fn xf_tags(list: &str) -> impl Iterator<Item = &str> {
    list.match_indices("<xf").filter_map(move |(i, _)| {
        let rest = &list[i + 3..];
        if !rest.starts_with([' ', '\t', '\r', '\n', '/', '>']) {
            return None;
        }
        Some(&rest[..rest.find('>').unwrap_or(rest.len())])
    })
}

/// A built-in format by its id, as calamine reads it; ids outside the standard lists are
/// left to calamine.
fn builtin_format(id: &str) -> Shown {
    let Ok(n) = id.parse::<u32>() else {
        return Shown::Unknown;
    };
    if n.to_string() != id {
        return Shown::Unknown;
    }
    match n {
        0..=13 | 37..=44 | 48 | 49 => Shown::Number,
        14..=22 | 27..=36 | 45 | 47 | 50..=58 => Shown::DateTime,
        46 => Shown::Duration,
        _ => Shown::Unknown,
    }
}

/// A custom format as calamine classifies it: by the first section, outside quotes, escapes
/// and brackets, a date letter (`d m h y s`) makes a date or time, `a` starts an AM/PM marker
/// (after which `p`, `m` or `/` make a time), and a bracket holding only one of `h m s`
/// repeated (`[h]`, `[mm]`) makes a duration.
fn custom_format(code: &str) -> Shown {
    let mut escaped = false;
    let mut quoted = false;
    let mut depth = 0u8;
    let mut previous = ' ';
    // Inside a bracket that so far holds only one of `h m s`, repeated.
    let mut elapsed = false;
    let mut am_pm = false;
    for c in code.chars() {
        let outside = depth == 0;
        if escaped {
            escaped = false;
        } else if matches!(c, '_' | '\\' | '*') {
            escaped = true;
        } else if quoted {
            quoted = c != '"';
        } else if c == '"' {
            quoted = true;
        } else if c == ';' {
            return Shown::Number;
        } else if c == '[' {
            depth = depth.wrapping_add(1);
        } else if c == ']' {
            if depth == 1 && elapsed {
                return Shown::Duration;
            }
            depth = depth.saturating_sub(1);
        } else if outside && !am_pm && matches!(c, 'a' | 'A') {
            am_pm = true;
        } else if outside && am_pm && matches!(c, 'p' | 'P' | 'm' | 'M' | '/') {
            return Shown::DateTime;
        } else if outside && !am_pm && "dmhysDMHYS".contains(c) {
            return Shown::DateTime;
        } else if !(elapsed && c.eq_ignore_ascii_case(&previous)) {
            elapsed = previous == '[' && "hmsHMS".contains(c);
        }
        previous = c;
    }
    Shown::Number
}

/// The cells, and where the XML after the cells starts.
fn sheet_cells(xml: &[u8], book: &Book, budget: u64) -> Option<(Vec<Cell<Data>>, usize)> {
    let Some(open) = memmem::find(xml, b"<sheetData>") else {
        // An empty sheet writes `<sheetData/>`; anything else is left to calamine.
        let empty = memmem::find(xml, b"<sheetData/>")?;
        return Some((Vec::new(), empty));
    };
    let start = open + b"<sheetData>".len();
    let end = start + memmem::find(&xml[start..], b"</sheetData>")?;
    let cells = scan_rows(&xml[start..end], book, budget.min(CELL_BUDGET))?;
    Some((cells, end))
}

/// The cells of `body`; None when they are not plain or take more than `budget` bytes (see
/// [`CELL_BUDGET`]; calamine's path then reads the sheet and names the problem).
fn scan_rows(body: &[u8], book: &Book, budget: u64) -> Option<Vec<Cell<Data>>> {
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
        let (content, used) = CellContent::parse(&body[i..])?;
        i += used;
        match content.value(&cell, book)? {
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
/// (one to three capitals, then one to nine digits) inside the sheet's bounds. Anything else
/// sends the sheet to calamine.
fn cell_ref(r: &[u8]) -> Option<(u32, u32)> {
    let letters = r.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if !(1..=3).contains(&letters) {
        return None;
    }
    let col = r[..letters]
        .iter()
        .fold(0u32, |acc, &b| acc * 26 + u32::from(b - b'A' + 1));
    let row = u32::try_from(index(&r[letters..])?).ok()?;
    ((1..=1_048_576).contains(&row) && col <= 16_384).then(|| (row - 1, col - 1))
}

/// One to nine ASCII digits as a number.
fn index(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0usize, |acc, &b| acc * 10 + usize::from(b - b'0')),
    )
}

/// What a cell element holds between `<c …>` and `</c>`.
#[derive(Default)]
struct CellContent<'x> {
    /// The saved value (`<v>`).
    v: Option<&'x [u8]>,
    /// The text of an inline string (`<is>`).
    inline: Option<String>,
    /// A formula (`<f>`), with or without its text.
    formula: bool,
}

impl<'x> CellContent<'x> {
    /// The content and how many bytes it took, `</c>` included.
    fn parse(xml: &'x [u8]) -> Option<(CellContent<'x>, usize)> {
        let mut content = CellContent::default();
        let mut at = 0;
        loop {
            let rest = &xml[at..];
            if rest.starts_with(b"</c>") {
                return Some((content, at + b"</c>".len()));
            }
            if let Some(after) = rest.strip_prefix(b"<v>") {
                let end = memchr::memchr(b'<', after)?;
                after[end..].strip_prefix(b"</v>")?;
                if content.v.replace(&after[..end]).is_some() {
                    return None;
                }
                at += b"<v>".len() + end + b"</v>".len();
            } else if rest.starts_with(b"<f") && matches!(rest.get(2), Some(b' ' | b'>' | b'/')) {
                // The formula's text is escaped XML: no `<` before its end tag.
                let close = memchr::memchr(b'>', rest)?;
                at += close + 1;
                if rest[close - 1] != b'/' {
                    let text = &rest[close + 1..];
                    let end = memchr::memchr(b'<', text)?;
                    text[end..].strip_prefix(b"</f>")?;
                    at += end + b"</f>".len();
                }
                if std::mem::replace(&mut content.formula, true) {
                    return None;
                }
            } else if let Some(after) = rest.strip_prefix(b"<is>") {
                let (text, used) = string_item(after, b"</is>")?;
                if content.inline.replace(text).is_some() {
                    return None;
                }
                at += b"<is>".len() + used;
            } else {
                return None;
            }
        }
    }

    /// The cell's value as calamine gives it; None for what is left to calamine's path: a
    /// formula saved without a value (or, in a workbook to be recalculated on opening, with a
    /// 0 or empty text that may be a placeholder) is reported there, not read as empty or 0.
    fn value(&self, cell: &CellAttrs, book: &Book) -> Option<Data> {
        if let Some(text) = &self.inline {
            // calamine ignores a `<v>` beside the inline text; such a cell is left to it.
            let plain = cell.typ == Some(b"inlineStr") && self.v.is_none() && !self.formula;
            return plain.then(|| Data::String(text.clone()));
        }
        let Some(v) = self.v else {
            return (!self.formula).then_some(Data::Empty);
        };
        let data = value(v, cell, book)?;
        if self.formula {
            let placeholder = match &data {
                Data::Empty => true,
                Data::Float(f) => *f == 0.0,
                Data::String(s) => s.is_empty(),
                _ => false,
            };
            if placeholder && (book.full_calc_on_load || data == Data::Empty) {
                return None;
            }
        }
        Some(data)
    }
}

fn value(v: &[u8], cell: &CellAttrs, book: &Book) -> Option<Data> {
    match cell.typ {
        Some(b"s") if v.is_empty() => Some(Data::Empty),
        Some(b"s") => book.strings.get(index(v)?).map(|s| Data::String(s.clone())),
        None | Some(b"n") if v.is_empty() => Some(Data::Empty),
        None | Some(b"n") => {
            let shown = match cell.style {
                Some(style) => book.styles.get(index(style)?).copied()?,
                None => Shown::Number,
            };
            let numeric = v[0] != b'+'
                && v.iter()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
            if !numeric {
                return None;
            }
            let n: f64 = std::str::from_utf8(v).ok()?.parse().ok()?;
            let kind = match shown {
                Shown::Number => return Some(Data::Float(n)),
                Shown::DateTime => ExcelDateTimeType::DateTime,
                Shown::Duration => ExcelDateTimeType::TimeDelta,
                Shown::Unknown => return None,
            };
            Some(Data::DateTime(ExcelDateTime::new(n, kind, book.date1904)))
        }
        Some(b"b") => match v {
            b"0" => Some(Data::Bool(false)),
            b"1" => Some(Data::Bool(true)),
            _ => None,
        },
        Some(b"str") if !v.is_empty() && literal(v) => {
            Some(Data::String(String::from_utf8(v.to_vec()).ok()?))
        }
        Some(b"d") if !v.is_empty() && literal(v) => {
            Some(Data::DateTimeIso(String::from_utf8(v.to_vec()).ok()?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(strings: &[&str], styles: Vec<Shown>, full_calc_on_load: bool) -> Book {
        Book {
            strings: strings.iter().map(|s| s.to_string()).collect(),
            styles,
            full_calc_on_load,
            date1904: false,
        }
    }

    fn cells(xml: &str) -> Option<Vec<((u32, u32), Data)>> {
        cells_in(
            xml,
            &book(
                &["合计", " 其中 "],
                vec![Shown::Number, Shown::Unknown],
                true,
            ),
        )
    }

    fn cells_in(xml: &str, book: &Book) -> Option<Vec<((u32, u32), Data)>> {
        sheet_cells(xml.as_bytes(), book, CELL_BUDGET).map(|(v, _)| {
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
    fn formulas_inline_strings_and_dates_are_read() {
        let got = cells(
            r#"<worksheet><sheetData><row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1" s="0"><f t="shared" ref="B1:B2" si="0"/><v>3.5</v></c><c r="C1" t="str"><f>"a"</f><v>a</v></c><c r="D1" t="inlineStr"><is><t> x </t></is></c><c r="E1" t="inlineStr"><is><r><t>y</t></r><r><rPr><b/><sz val="11"/></rPr><t xml:space="preserve"> z</t></r></is></c><c r="F1" t="d"><v>2022-01-01</v></c></row></sheetData></worksheet>"#,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                ((0, 0), Data::Float(2.0)),
                ((0, 1), Data::Float(3.5)),
                ((0, 2), Data::String("a".into())),
                ((0, 3), Data::String("x".into())),
                ((0, 4), Data::String("y z".into())),
                ((0, 5), Data::DateTimeIso("2022-01-01".into())),
            ]
        );
        let dates = book(&[], vec![Shown::DateTime, Shown::Duration], false);
        let got = cells_in(
            r#"<worksheet><sheetData><row r="1"><c r="A1" s="0"><v>44562</v></c><c r="B1" s="1"><v>1.5</v></c></row></sheetData></worksheet>"#,
            &dates,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                (
                    (0, 0),
                    Data::DateTime(ExcelDateTime::new(
                        44562.0,
                        ExcelDateTimeType::DateTime,
                        false
                    ))
                ),
                (
                    (0, 1),
                    Data::DateTime(ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false))
                ),
            ]
        );
        // A saved 0 counts as a value unless the workbook is to be recalculated on opening.
        let zero = r#"<worksheet><sheetData><row r="1"><c r="A1"><f>A2</f><v>0</v></c></row></sheetData></worksheet>"#;
        assert_eq!(
            cells_in(zero, &book(&[], Vec::new(), false)),
            Some(vec![((0, 0), Data::Float(0.0))])
        );
        assert_eq!(cells(zero), None);
    }

    #[test]
    fn anything_else_is_left_to_calamine() {
        for body in [
            // Formulas saved without a value, or with an empty one.
            r#"<row r="1"><c r="A1"><f>1+1</f></c></row>"#,
            r#"<row r="1"><c r="A1"><f>1+1</f><v></v></c></row>"#,
            r#"<row r="1"><c r="A1" t="str"><f>1+1</f><v></v></c></row>"#,
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is><v>1</v></c></row>"#,
            r#"<row r="1"><c r="A1"><is><t>a</t></is></c></row>"#,
            r#"<row r="1"><c r="A1"><v>1</v><v>2</v></c></row>"#,
            r#"<row r="1"><c r="A1" s="1"><v>44000</v></c></row>"#,
            r#"<row r="1"><c r="A1" s="7"><v>44000</v></c></row>"#,
            r#"<row r="1"><c r="A1" t="str"><v>a&amp;b</v></c></row>"#,
            r#"<row r="1"><c r="A1" t="e"><v>#N/A</v></c></row>"#,
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
        // Rich text runs are joined; phonetic runs are left out, as calamine does.
        let rich = r#"<sst><si><r><t>a</t></r><r><rPr><b/><color rgb="FFFF0000"/></rPr><t xml:space="preserve"> b </t></r></si><si><t>c</t><rPh sb="0" eb="1"><t>d</t></rPh><phoneticPr fontId="1"/></si></sst>"#;
        assert_eq!(shared_strings(rich.as_bytes()).unwrap(), ["a b ", "c"]);
        for si in [
            "<si><r><t>a</t></si>",
            "<si><r><rPr><t>a</t></rPr></r></si>",
            "<si><t>a&amp;b</t></si>",
            "<si><t>a_x000D_</t></si>",
            "<si><t/></si>",
        ] {
            let xml = format!("<sst>{si}</sst>");
            assert_eq!(shared_strings(xml.as_bytes()), None, "{si}");
        }
    }

    #[test]
    fn formats_show_numbers_dates_or_durations() {
        use Shown::*;
        let xml = r##"<styleSheet><numFmts count="3"><numFmt numFmtId="164" formatCode="0.00_ "/><numFmt numFmtId="165" formatCode="yyyy&quot;年&quot;m&quot;月&quot;"/><numFmt numFmtId="166" formatCode="#,##0_);[Red]\(#,##0\)"/></numFmts>
            <cellXfs count="9"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165"/><xf numFmtId="14"/><xf fontId="1"><alignment/></xf><xf numFmtId="166"/><xf numFmtId="40"/><xf/><xf numFmtId="46"/><xf numFmtId="014"/></cellXfs></styleSheet>"##;
        assert_eq!(
            styles(xml).unwrap(),
            [
                Number, Number, DateTime, DateTime, Number, Number, Number, Number, Duration,
                Unknown
            ]
        );
        for (code, shown) in [
            ("#,##0.00", Number),
            ("0.00;[Red]-0.00", Number),
            ("\"d\"0", Number),
            ("\\d0", Number),
            ("[$-409]0", Number),
            ("[Red]0", Number),
            ("yyyy-mm-dd", DateTime),
            ("h:mm AM/PM", DateTime),
            ("A/P", DateTime),
            ("[h]:mm", Duration),
            ("[mm]:ss", Duration),
            ("[ss]", Duration),
        ] {
            assert_eq!(custom_format(code), shown, "{code}");
        }
    }

    #[test]
    fn cell_references() {
        assert_eq!(cell_ref(b"A1"), Some((0, 0)));
        assert_eq!(cell_ref(b"XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(cell_ref(b"AB012"), Some((11, 27)));
        for bad in [
            &b"a1"[..],
            b"A0",
            b"A",
            b"1",
            b"XFE1",
            b"A1048577",
            b"A1 ",
            b"AAAA1",
            b"A1234567890",
            b"A1B",
        ] {
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
        let (Some(sheets), Some(mut plain)) = (scan.sheets.as_ref(), Plain::open(bytes, &scan))
        else {
            return 0;
        };
        let mut x = Xlsx::new(Cursor::new(bytes)).unwrap();
        // The sheet list read without calamine is calamine's.
        let metas = x.sheets_metadata().to_vec();
        assert_eq!(metas.len(), sheets.len(), "{what}");
        for (meta, sheet) in metas.iter().zip(sheets) {
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
            let Some((fast, merges)) = plain.sheet(path, CELL_BUDGET) else {
                continue;
            };
            assert_eq!(
                merges,
                xlsx_parts::sheet_merges(bytes, path).unwrap(),
                "{what}, sheet {name}"
            );
            let (range, stray, uncached) =
                xlsx_cells(&mut x, name, scan.full_calc_on_load, &mut Spend::alone()).unwrap();
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
        /// A formula whose saved value is text.
        FormulaText(String),
        /// Rich text in two runs, the second bold.
        Rich(String, String),
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
            30 => plain.clone().prop_map(|s| Content::Text(s.to_string())),
            20 => any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Content::Number),
            20 => (-1e6f64..1e6).prop_map(|f| Content::Number((f * 100.0).round() / 100.0)),
            5 => any::<bool>().prop_map(Content::Bool),
            5 => Just(Content::Blank),
            1 => odd.prop_map(|s| Content::Text(s.to_string())),
            5 => (0f64..100.0).prop_map(Content::Formula),
            1 => Just(Content::Formula(0.0)),
            2 => plain.clone().prop_map(|s| Content::FormulaText(s.to_string())),
            3 => (plain.clone(), plain).prop_map(|(a, b)| Content::Rich(a.to_string(), b.to_string())),
        ]
    }

    fn format() -> impl Strategy<Value = Option<rust_xlsxwriter::Format>> {
        use rust_xlsxwriter::Format;
        let plain = prop::sample::select(vec![
            None,
            Some("0.00_ "),
            Some("#,##0.00"),
            Some("#,##0"),
            Some("@"),
            Some("0%"),
            Some("bold"),
            Some("border"),
            Some("yyyy\"年\"m\"月\"d\"日\""),
            Some("yyyy-mm-dd"),
            Some("builtin 14"),
            Some("builtin 22"),
        ]);
        let odd = prop::sample::select(vec![
            Some("#,##0_);[Red]\\(#,##0\\)"),
            Some("[h]:mm"),
            Some("[mm]:ss"),
            Some("h:mm AM/PM"),
            Some("\"d\"0.0"),
            Some("0.00;[Red]-0.00"),
            Some("[$-804]yyyy\"年\"m\"月\""),
            Some("General"),
            Some("builtin 46"),
        ]);
        prop_oneof![40 => plain, 4 => odd].prop_map(|f| {
            f.map(|code| match code {
                "builtin 14" => Format::new().set_num_format_index(14),
                "builtin 22" => Format::new().set_num_format_index(22),
                "builtin 46" => Format::new().set_num_format_index(46),
                "border" => Format::new().set_border(rust_xlsxwriter::FormatBorder::Thin),
                "bold" => Format::new().set_bold(),
                code => Format::new().set_num_format(code),
            })
        })
    }

    type Cells = [((u16, u16), Content, Option<rust_xlsxwriter::Format>)];

    fn workbook(cells: &Cells) -> Vec<u8> {
        workbook_with(cells, &[], false)
    }

    /// The workbook, with merged regions (first row, first column, last column), and with its
    /// text written inline in the sheet instead of in the shared strings when `inline`.
    fn workbook_with(cells: &Cells, merges: &[(u16, u16, u16)], inline: bool) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for &(row, first, last) in merges {
            // Ranges that overlap an earlier one are refused by the writer: left out.
            let _ = ws.merge_range(
                u32::from(row) + 40,
                first,
                u32::from(row) + 40,
                first + last % 4 + 1,
                "合并",
                &rust_xlsxwriter::Format::new(),
            );
        }
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
                Content::FormulaText(s) => ws.write_formula_with_format(
                    row,
                    col,
                    rust_xlsxwriter::Formula::new("=A1&\"\"").set_result(s),
                    &fmt,
                ),
                Content::Rich(a, b) => {
                    let bold = rust_xlsxwriter::Format::new().set_bold();
                    let runs = [
                        (&rust_xlsxwriter::Format::new(), a.as_str()),
                        (&bold, b.as_str()),
                    ];
                    ws.write_rich_string_with_format(row, col, &runs, &fmt)
                }
                Content::Blank => ws.write_blank(row, col, &fmt),
            }
            .unwrap();
        }
        let bytes = wb.save_to_buffer().unwrap();
        if !inline {
            return bytes;
        }
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let sst = xlsx_parts::entry(&mut zip, "xl/sharedStrings.xml", HELD_LIMIT)
            .unwrap()
            .map(|b| String::from_utf8(b).unwrap())
            .unwrap_or_default();
        let entries: Vec<String> = sst
            .split("<si>")
            .skip(1)
            .filter_map(|e| e.split_once("</si>").map(|(inner, _)| inner.to_string()))
            .collect();
        rewrite(&bytes, "xl/worksheets/sheet1.xml", |xml| {
            let mut out = String::new();
            let mut parts = xml.split(r#" t="s"><v>"#);
            out.push_str(parts.next().unwrap_or_default());
            for part in parts {
                let (index, tail) = part.split_once("</v>").unwrap();
                let entry = &entries[index.parse::<usize>().unwrap()];
                out.push_str(&format!(r#" t="inlineStr"><is>{entry}</is>{tail}"#));
            }
            out
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn generated_workbooks_read_the_same(
            cells in prop::collection::vec(((0u16..40, 0u16..8), content(), format()), 0..40),
            merges in prop::collection::vec((0u16..4, 0u16..6, 0u16..8), 0..3),
            inline in prop::bool::weighted(0.3),
        ) {
            let what = format!("{cells:?}, merges {merges:?}, inline {inline}");
            both_ways(&workbook_with(&cells, &merges, inline), &what);
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

    #[test]
    fn bureau_shapes_take_the_fast_path() {
        use rust_xlsxwriter::Format;
        let money = Some(Format::new().set_num_format("#,##0.00"));
        let date = Some(Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\""));
        let cells = [
            ((0, 0), Content::Text("合计".into()), None),
            ((0, 1), Content::Formula(12.25), money.clone()),
            ((1, 0), Content::Rich("注：".into(), "说明".into()), None),
            ((1, 1), Content::Number(12.25), money),
            ((2, 1), Content::Number(44_562.0), date),
            ((3, 1), Content::FormulaText("一".into()), None),
        ];
        for inline in [false, true] {
            let bytes = workbook_with(&cells, &[(0, 0, 3)], inline);
            assert_eq!(both_ways(&bytes, "bureau shapes"), 1, "inline {inline}");
        }
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
