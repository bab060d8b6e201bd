//! Reading parts of an xlsx zip directly, where calamine would be slow or unsafe:
//!
//! - merged regions, found by a byte search for `mergeCell` in each sheet's XML (calamine
//!   parses a sheet's whole XML a second time to find them, which doubled the cost of reading);
//! - declared counts checked against the part's size before calamine reserves memory for them
//!   (a damaged `uniqueCount="4294967295"` made it ask for 103 GB).

use calamine::Dimensions;
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

fn entry(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<Vec<u8>> {
    let mut f = zip.by_name(name).ok()?;
    let mut out = Vec::with_capacity(f.size().min(64 << 20) as usize);
    f.read_to_end(&mut out).ok()?;
    Some(out)
}

/// The tags named `tag` (with any namespace prefix), each as its attribute text.
fn tags<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
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
fn attr(tag: &str, name: &str) -> Option<String> {
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
fn cell_ref(s: &str) -> Option<(u32, u32)> {
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

/// Merged regions by sheet name, or None when the workbook's structure is not as expected
/// (the caller then asks calamine).
pub fn merges_by_sheet(bytes: &[u8]) -> Option<BTreeMap<String, Vec<Dimensions>>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let workbook = String::from_utf8(entry(&mut zip, "xl/workbook.xml")?).ok()?;
    let rels = String::from_utf8(entry(&mut zip, "xl/_rels/workbook.xml.rels")?).ok()?;
    let targets: BTreeMap<String, String> = tags(&rels, "Relationship")
        .into_iter()
        .filter_map(|t| Some((attr(t, "Id")?, attr(t, "Target")?)))
        .collect();
    let mut out = BTreeMap::new();
    for t in tags(&workbook, "sheet") {
        let name = attr(t, "name")?;
        let target = targets.get(&attr(t, "id")?)?;
        let path = match target.strip_prefix('/') {
            Some(abs) => abs.to_string(),
            None => format!("xl/{target}"),
        };
        let Some(xml) = entry(&mut zip, &path) else {
            // Chart sheets and the like have no cells.
            out.insert(name, Vec::new());
            continue;
        };
        let xml = String::from_utf8_lossy(&xml);
        let merges = match xml.find("mergeCells") {
            Some(i) => tags(&xml[i..], "mergeCell")
                .into_iter()
                .filter_map(|t| attr(t, "ref").and_then(|r| region(&r)))
                .collect(),
            None => Vec::new(),
        };
        out.insert(name, merges);
    }
    Some(out)
}

/// An error when the shared-string table declares far more distinct strings than its bytes
/// could hold (each takes at least `<si><t/></si>`). calamine reserves room for `uniqueCount`
/// up front; `count` (references across the workbook) may rightly exceed the part's size.
pub fn check_counts(bytes: &[u8]) -> Result<(), String> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(()); // calamine reports an unreadable zip itself.
    };
    let part = "xl/sharedStrings.xml";
    let Some(xml) = entry(&mut zip, part) else {
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

    fn shared_strings(xml: &[u8]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        w.start_file("xl/sharedStrings.xml", opts).unwrap();
        std::io::Write::write_all(&mut w, xml).unwrap();
        w.finish().unwrap();
        buf.into_inner()
    }

    #[test]
    fn a_huge_declared_count_is_refused() {
        let zip =
            shared_strings(br#"<sst count="2" uniqueCount="4294967295"><si><t>a</t></si></sst>"#);
        let err = check_counts(&zip).unwrap_err();
        assert!(err.contains(r#"uniqueCount="4294967295""#), "{err}");
    }

    #[test]
    fn many_references_to_few_strings_are_fine() {
        // `count` counts every cell that uses a string: a long sheet of one word is normal.
        let zip = shared_strings(br#"<sst count="600000" uniqueCount="1"><si><t>a</t></si></sst>"#);
        assert_eq!(check_counts(&zip), Ok(()));
    }
}
