//! Reading parts of an xlsx zip directly, where calamine would be slow or unsafe:
//!
//! - merged regions, found by a byte search for `mergeCell` in a sheet's XML (calamine
//!   parses a sheet's whole XML a second time to find them, which doubled the cost of reading);
//! - declared counts checked against the part's size before calamine reserves memory for them
//!   (a damaged `uniqueCount="4294967295"` made it ask for 103 GB);
//! - every part's size bounded, so that a zip bomb is refused instead of inflated.

use calamine::Dimensions;
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

/// The tags named `tag` (with any namespace prefix), each as its attribute text.
pub(super) fn tags<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(tag) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + tag.len()..].chars().next();
        let start = i + tag.len();
        if matches!(before, Some('<' | ':')) && matches!(after, Some(' ' | '\t' | '\r' | '\n')) {
            let end = rest[start..].find('>').map_or(rest.len(), |e| start + e);
            out.push(&rest[start..end]);
            rest = &rest[end..];
        } else {
            rest = &rest[start..];
        }
    }
    out
}

/// The value of attribute `name` (also `prefix:name`) in a tag's attribute text.
pub(super) fn attr(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().next_back();
        let tail = &rest[i + name.len()..];
        if matches!(before, Some(' ' | '\t' | '\r' | '\n' | ':')) {
            if let Some(v) = tail.trim_start().strip_prefix('=') {
                let v = v.trim_start();
                let quote = v.chars().next()?;
                if quote == '"' || quote == '\'' {
                    let body = &v[1..];
                    let end = body.find(quote)?;
                    return Some(unescape(&body[..end]));
                }
            }
        }
        rest = tail;
    }
    None
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// `B3` -> (row 2, col 1), 0-based.
pub(super) fn cell_ref(s: &str) -> Option<(u32, u32)> {
    let s = s.trim().trim_start_matches('$');
    let letters = s.chars().take_while(|c| c.is_ascii_alphabetic()).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = s[..letters].chars().try_fold(0u32, |acc, c| {
        Some(acc * 26 + (c.to_ascii_uppercase() as u32 - 'A' as u32 + 1))
    })?;
    let row: u32 = s[letters..].trim_start_matches('$').parse().ok()?;
    (row >= 1 && col >= 1).then(|| (row - 1, col - 1))
}

fn region(r: &str) -> Option<Dimensions> {
    let (a, b) = r.split_once(':').unwrap_or((r, r));
    let (a, b) = (cell_ref(a)?, cell_ref(b)?);
    Some(Dimensions {
        start: (a.0.min(b.0), a.1.min(b.1)),
        end: (a.0.max(b.0), a.1.max(b.1)),
    })
}

/// The most a single part of a workbook may expand to. Real sheets of a million rows stay
/// well below it; a zip bomb (a small file that inflates to many gigabytes) does not.
pub const PART_LIMIT: u64 = 2 << 30;
/// The most a part read whole (shared strings, styles, the workbook and its relationships, an
/// .ods content.xml) may expand to: each is held in memory, and the shared strings twice more
/// as parsed text, so this bounds them where [`PART_LIMIT`] bounds a sheet read in chunks.
pub const HELD_LIMIT: u64 = 256 << 20;

fn lies(part: &str, declared: u64) -> String {
    format!(
        "{part} inflates past the {declared} bytes its zip entry declares (a damaged file or a zip bomb)"
    )
}

/// What one pass over an xlsx zip found before calamine opens it.
pub struct Scan {
    /// The sheets in the workbook's order, or None when the workbook's structure is not as
    /// expected (the caller then asks calamine).
    pub sheets: Option<Vec<SheetPart>>,
    /// The workbook asks to be recalculated when opened (`fullCalcOnLoad`), as programs that
    /// write formulas without computing them do: a saved 0 may be a placeholder.
    pub full_calc_on_load: bool,
    /// Dates count days from 1904 (`date1904`), not from 1900.
    pub date1904: bool,
}

/// A sheet as the workbook lists it.
pub struct SheetPart {
    pub name: String,
    /// Its part in the zip.
    pub path: String,
    /// Its `state` attribute (`hidden`, `veryHidden`), when given.
    pub state: Option<String>,
    /// The type of its relationship: `.../worksheet` for a sheet of cells.
    pub kind: String,
    /// Its `<sheet>` tag holds an XML escape, which calamine decodes more fully than here.
    pub escaped: bool,
}

impl Scan {
    /// The part of the sheet with this name.
    pub fn path(&self, name: &str) -> Option<&str> {
        let sheets = self.sheets.as_ref()?;
        sheets
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.path.as_str())
    }
}

/// Opens the zip once: refuses parts that declare more than [`PART_LIMIT`] and shared-string
/// tables whose declared count cannot be true, and finds each sheet's part.
/// An unreadable zip is left to calamine, which reports it.
pub fn scan(bytes: &[u8]) -> Result<Scan, String> {
    scan_with_limit(bytes, PART_LIMIT)
}

fn scan_with_limit(bytes: &[u8], limit: u64) -> Result<Scan, String> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(Scan {
            sheets: None,
            full_calc_on_load: false,
            date1904: false,
        });
    };
    for i in 0..zip.len() {
        if let Ok(f) = zip.by_index_raw(i) {
            if f.size() > limit {
                let name = f.name().map(|n| n.to_string()).unwrap_or_default();
                return Err(too_big(&name, f.size(), limit));
            }
        }
    }
    let held = limit.min(HELD_LIMIT);
    check_counts(&mut zip, held)?;
    let workbook = entry(&mut zip, WORKBOOK, held)?.and_then(|b| String::from_utf8(b).ok());
    let full_calc_on_load = workbook.as_deref().is_some_and(|w| {
        tags(w, "calcPr")
            .first()
            .and_then(|t| attr(t, "fullCalcOnLoad"))
            .is_some_and(|v| v == "1" || v == "true")
    });
    // As calamine reads it: the last `workbookPr` that names it, "1" or "true".
    let date1904 = workbook.as_deref().is_some_and(|w| {
        tags(w, "workbookPr")
            .into_iter()
            .filter_map(|t| attr(t, "date1904"))
            .last()
            .is_some_and(|v| v == "1" || v == "true")
    });
    // Only the usual layout, whose workbook part calamine would find at the same place.
    let usual = entry(&mut zip, "_rels/.rels", held)?
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|rels| {
            tags(&rels, "Relationship").into_iter().any(|t| {
                attr(t, "Type").is_some_and(|k| k.ends_with("/officeDocument"))
                    && attr(t, "Target").is_some_and(|x| x.trim_start_matches('/') == WORKBOOK)
            })
        });
    let sheets = match workbook {
        Some(w) if usual => sheet_parts(&mut zip, &w, held)?,
        _ => None,
    };
    Ok(Scan {
        sheets,
        full_calc_on_load,
        date1904,
    })
}

const WORKBOOK: &str = "xl/workbook.xml";

fn too_big(part: &str, size: u64, limit: u64) -> String {
    format!(
        "{part} expands to {} MiB, more than the {} MiB allowed for one part (a damaged file or a zip bomb)",
        size >> 20,
        limit >> 20
    )
}

/// A part's bytes, or None when it is absent or unreadable (calamine then reports it).
/// Reads at most `limit` bytes: a part's declared size may lie.
pub(super) fn entry(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, String> {
    let Ok(f) = zip.by_name(name) else {
        return Ok(None);
    };
    let declared = f.size();
    if declared > limit {
        return Err(too_big(name, declared, limit));
    }
    let mut out = Vec::with_capacity(declared.min(64 << 20) as usize);
    // One byte past the declared size shows a part that lies about it.
    if f.take(declared + 1).read_to_end(&mut out).is_err() {
        return Ok(None);
    }
    if out.len() as u64 > declared {
        return Err(lies(name, declared));
    }
    Ok(Some(out))
}

/// The longest stretch of a sheet's XML without a `<` (one text or one tag). A cell holds at
/// most 32,767 characters, some 200 KB written out; an XML reader holds a whole text or tag
/// at once, so one of gigabytes (a sheet of one text that inflates from a small file) would be
/// held whole, and copied.
const MARKUP_LIMIT: u64 = 16 << 20;

/// A sheet part's `mergeCells` element, reading the part in chunks so that a large sheet is
/// never held whole. The part is read to its end, so that every part calamine will read
/// stays within its declared size and holds no text or tag longer than [`MARKUP_LIMIT`].
fn merge_section(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, String> {
    use bstr::ByteSlice;
    const NEEDLE: &[u8] = b"mergeCells";
    let Ok(f) = zip.by_name(name) else {
        return Ok(None);
    };
    let declared = f.size();
    let mut f = f.take(limit.min(declared) + 1);
    let mut chunk = vec![0u8; 256 << 10];
    let mut window: Vec<u8> = Vec::new();
    let mut found = false;
    let mut total = 0u64;
    let mut section = None;
    // Bytes since the last `<`.
    let mut run = 0u64;
    loop {
        let n = match f.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Ok(None),
        };
        total += n as u64;
        if total > limit {
            return Err(too_big(name, total, limit));
        }
        if total > declared {
            return Err(lies(name, declared));
        }
        let mut from = 0;
        for at in memchr::memchr_iter(b'<', &chunk[..n]) {
            run += (at - from) as u64;
            if run > MARKUP_LIMIT {
                break;
            }
            run = 0;
            from = at + 1;
        }
        run += (n - from) as u64;
        if run > MARKUP_LIMIT {
            return Err(format!(
                "{name} holds a text or tag longer than {} MiB, where a cell holds at most \
                 32,767 characters (a damaged file or a zip bomb)",
                MARKUP_LIMIT >> 20
            ));
        }
        if section.is_some() {
            continue;
        }
        window.extend_from_slice(&chunk[..n]);
        if !found {
            match window.find(NEEDLE) {
                Some(i) => {
                    window.drain(..i.saturating_sub(1));
                    found = true;
                }
                // Keep enough to match the name across a chunk boundary.
                None => {
                    let keep = window.len().saturating_sub(NEEDLE.len());
                    window.drain(..keep);
                }
            }
        }
        if found {
            if let Some(end) = closing_tag(&window) {
                window.truncate(end);
                section = Some(std::mem::take(&mut window));
                continue;
            }
            if window.len() > SECTION_LIMIT {
                // The word in a cell's text, not the element: look for the next one.
                let keep = window.len().saturating_sub(NEEDLE.len());
                window.drain(..keep);
                found = false;
            }
        }
    }
    Ok(Some(match section {
        Some(section) => section,
        None if found => window,
        None => Vec::new(),
    }))
}

/// More than any real list of merged regions (about 40 bytes each).
const SECTION_LIMIT: usize = 64 << 20;

/// The end of the first `</mergeCells>` (with any prefix) in `xml`.
fn closing_tag(xml: &[u8]) -> Option<usize> {
    use bstr::ByteSlice;
    let mut from = 0;
    while let Some(i) = xml[from..].find(b"mergeCells>") {
        let at = from + i;
        let open = xml[..at].rfind_byte(b'<')?;
        if xml.get(open + 1) == Some(&b'/') {
            return Some(at + b"mergeCells>".len());
        }
        from = at + 1;
    }
    None
}

fn sheet_parts(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    workbook: &str,
    limit: u64,
) -> Result<Option<Vec<SheetPart>>, String> {
    let rels = entry(zip, "xl/_rels/workbook.xml.rels", limit)?;
    let Some(rels) = rels.and_then(|b| String::from_utf8(b).ok()) else {
        return Ok(None);
    };
    let targets: BTreeMap<String, (String, String)> = tags(&rels, "Relationship")
        .into_iter()
        .filter_map(|t| {
            let kind = attr(t, "Type").unwrap_or_default();
            Some((attr(t, "Id")?, (attr(t, "Target")?, kind)))
        })
        .collect();
    let mut sheets = Vec::new();
    for t in tags(workbook, "sheet") {
        let (Some(name), Some((target, kind))) = (
            attr(t, "name"),
            attr(t, "id").and_then(|id| targets.get(&id)),
        ) else {
            return Ok(None);
        };
        let path = match target.strip_prefix('/') {
            Some(abs) => abs.to_string(),
            None => format!("xl/{target}"),
        };
        sheets.push(SheetPart {
            name,
            path,
            state: attr(t, "state"),
            kind: kind.clone(),
            escaped: t.contains('&'),
        });
    }
    Ok(Some(sheets))
}

/// The merged regions of the sheet part at `path`, read in chunks up to the regions' end.
/// A part that is absent (chart sheets and the like) has none.
pub fn sheet_merges(bytes: &[u8], path: &str) -> Result<Vec<Dimensions>, String> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(Vec::new());
    };
    let section = merge_section(&mut zip, path, PART_LIMIT)?.unwrap_or_default();
    Ok(merges_in(&String::from_utf8_lossy(&section)))
}

/// The `mergeCell` regions in a piece of sheet XML.
pub(super) fn merges_in(xml: &str) -> Vec<Dimensions> {
    tags(xml, "mergeCell")
        .into_iter()
        .filter_map(|t| attr(t, "ref").and_then(|r| region(&r)))
        .collect()
}

/// An error when the shared-string table declares far more distinct strings than its bytes
/// could hold (each takes at least `<si><t/></si>`). calamine reserves room for `uniqueCount`
/// up front; `count` (references across the workbook) may rightly exceed the part's size.
fn check_counts(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, limit: u64) -> Result<(), String> {
    let part = "xl/sharedStrings.xml";
    let Some(xml) = entry(zip, part, limit)? else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(&xml);
    let declared = tags(&text, "sst")
        .into_iter()
        .next()
        .and_then(|attrs| attr(attrs, "uniqueCount"))
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > xml.len() as u64 / 4 + 16 => Err(format!(
            "{part} declares uniqueCount=\"{n}\" in {} bytes",
            xml.len()
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_and_tags() {
        assert_eq!(cell_ref("A1"), Some((0, 0)));
        assert_eq!(cell_ref("$XFD$1048576"), Some((1_048_575, 16_383)));
        assert_eq!(cell_ref("1A"), None);
        let r = region("C2:A1").unwrap();
        assert_eq!((r.start, r.end), ((0, 0), (1, 2)));
        let xml = r#"<x:mergeCells count="2"><x:mergeCell ref="A1:B1"/><mergeCell ref='C3:C4' /></x:mergeCells>"#;
        let found: Vec<_> = tags(xml, "mergeCell")
            .into_iter()
            .filter_map(|t| attr(t, "ref"))
            .collect();
        assert_eq!(found, ["A1:B1", "C3:C4"]);
        let sheet = r#"<sheet name="A&amp;B" sheetId="1" r:id="rId3"/>"#;
        let t = tags(sheet, "sheet");
        assert_eq!(attr(t[0], "name").as_deref(), Some("A&B"));
        assert_eq!(attr(t[0], "id").as_deref(), Some("rId3"));
    }

    fn one_part(name: &str, xml: &[u8], method: zip::CompressionMethod) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        w.start_file(name, opts).unwrap();
        std::io::Write::write_all(&mut w, xml).unwrap();
        w.finish().unwrap();
        buf.into_inner()
    }

    fn shared_strings(xml: &[u8]) -> Vec<u8> {
        one_part("xl/sharedStrings.xml", xml, zip::CompressionMethod::Stored)
    }

    #[test]
    fn a_part_inflating_past_the_limit_is_refused() {
        // 4 MiB of zeros deflate to a few KiB; a limit of 1 MiB stands in for the real one.
        let bomb = one_part(
            "xl/worksheets/sheet1.xml",
            &vec![b'0'; 4 << 20],
            zip::CompressionMethod::Deflated,
        );
        assert!(bomb.len() < 64 << 10, "{}", bomb.len());
        let err = scan_with_limit(&bomb, 1 << 20).err().unwrap();
        assert!(
            err.contains("xl/worksheets/sheet1.xml expands to 4 MiB"),
            "{err}"
        );
    }

    #[test]
    fn a_sheet_holding_one_huge_text_is_refused() {
        let mut xml = b"<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>".to_vec();
        xml.resize(xml.len() + (MARKUP_LIMIT as usize) + 1, b'a');
        xml.extend_from_slice(b"</t></is></c></row></sheetData></worksheet>");
        let zip = one_part("s.xml", &xml, zip::CompressionMethod::Deflated);
        let err = sheet_merges(&zip, "s.xml").err().unwrap();
        assert!(
            err.contains("s.xml holds a text or tag longer than 16 MiB"),
            "{err}"
        );
        // Short texts, however many, are fine.
        let mut ok = b"<worksheet><sheetData>".to_vec();
        for _ in 0..100_000 {
            ok.extend_from_slice(b"<row><c><v>1</v></c></row>");
        }
        ok.extend_from_slice(b"</sheetData></worksheet>");
        let zip = one_part("s.xml", &ok, zip::CompressionMethod::Deflated);
        assert_eq!(sheet_merges(&zip, "s.xml").unwrap().len(), 0);
    }

    #[test]
    fn the_merge_section_ends_at_its_closing_tag() {
        let xml = br#"<c><is><t>mergeCells</t></is></c><x:mergeCells count="1"><x:mergeCell ref="A1:B1"/></x:mergeCells><pageMargins/>"#;
        let end = closing_tag(xml).unwrap();
        assert!(xml[..end].ends_with(b"</x:mergeCells>"));
        assert_eq!(closing_tag(b"<mergeCells><mergeCell ref=\"A1:B1\"/>"), None);
    }

    #[test]
    fn merged_regions_are_found_across_chunk_boundaries() {
        let mut xml = b"<worksheet><sheetData>".to_vec();
        xml.extend(std::iter::repeat_n(b' ', (256 << 10) - xml.len() - 3));
        xml.extend_from_slice(br#"</sheetData><mergeCells count="1"><mergeCell ref="A1:C1"/></mergeCells></worksheet>"#);
        let mut buf = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        for (name, body) in [
            ("_rels/.rels", br#"<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec()),
            ("xl/workbook.xml", br#"<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_vec()),
            ("xl/_rels/workbook.xml.rels", br#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#.to_vec()),
            ("xl/worksheets/sheet1.xml", xml),
        ] {
            w.start_file(name, opts).unwrap();
            std::io::Write::write_all(&mut w, &body).unwrap();
        }
        w.finish().unwrap();
        let bytes = buf.into_inner();
        let path = scan(&bytes).unwrap().path("S").unwrap().to_string();
        let m = sheet_merges(&bytes, &path).unwrap();
        assert_eq!((m[0].start, m[0].end), ((0, 0), (0, 2)));
    }

    #[test]
    fn a_huge_declared_count_is_refused() {
        let zip =
            shared_strings(br#"<sst count="2" uniqueCount="4294967295"><si><t>a</t></si></sst>"#);
        let err = scan(&zip).err().unwrap();
        assert!(err.contains(r#"uniqueCount="4294967295""#), "{err}");
    }

    #[test]
    fn many_references_to_few_strings_are_fine() {
        // `count` counts every cell that uses a string: a long sheet of one word is normal.
        let zip = shared_strings(br#"<sst count="600000" uniqueCount="1"><si><t>a</t></si></sst>"#);
        assert!(scan(&zip).is_ok());
    }
}
