//! A minimal OpenDocument spreadsheet writer for the example generators: strings, numbers,
//! dates, hidden sheets and merged cells, with fixed zip timestamps so output is deterministic.

use super::book::{Book, Cell, Sheet};
use std::io::{self, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `SUM(C5:C9)` in OpenFormula syntax: `of:=SUM([.C5:.C9])`.
fn open_formula(f: &str) -> String {
    let mut out = String::from("of:=");
    let mut rest = f;
    while let Some(colon) = rest.find(':') {
        let start = rest[..colon]
            .rfind(|c: char| !c.is_ascii_alphanumeric())
            .map_or(0, |p| p + 1);
        let end = rest[colon + 1..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(rest.len(), |p| colon + 1 + p);
        out.push_str(&rest[..start]);
        out.push_str(&format!(
            "[.{}:.{}]",
            &rest[start..colon],
            &rest[colon + 1..end]
        ));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn cell_xml(cell: Option<&Cell>, span: Option<(u32, u32)>, formula: Option<&str>) -> String {
    let formula = formula
        .map(|f| format!(" table:formula=\"{}\"", esc(&open_formula(f))))
        .unwrap_or_default();
    let spans = match span {
        Some((rows, cols)) => {
            format!(" table:number-rows-spanned=\"{rows}\" table:number-columns-spanned=\"{cols}\"")
        }
        None => String::new(),
    };
    match cell {
        None => format!("<table:table-cell{spans}/>"),
        Some(Cell::Text(t)) => {
            format!("<table:table-cell office:value-type=\"string\"{spans}><text:p>{}</text:p></table:table-cell>", esc(t))
        }
        Some(Cell::Number(n)) => format!(
            "<table:table-cell office:value-type=\"float\" office:value=\"{n}\"{formula}{spans}><text:p>{n}</text:p></table:table-cell>"
        ),
        Some(Cell::Date { year, month, day }) => {
            let d = format!("{year:04}-{month:02}-{day:02}");
            format!(
                "<table:table-cell table:style-name=\"date\" office:value-type=\"date\" office:date-value=\"{d}\"{spans}><text:p>{d}</text:p></table:table-cell>"
            )
        }
    }
}

fn sheet_xml(sheet: &Sheet) -> String {
    let style = if sheet.hidden { "hidden" } else { "shown" };
    let mut x = format!(
        "<table:table table:name=\"{}\" table:style-name=\"{style}\">",
        esc(&sheet.name)
    );
    let last_row = sheet
        .cells
        .keys()
        .map(|k| k.0)
        .chain(sheet.merges.iter().map(|m| m.2))
        .max();
    let last_col = sheet
        .cells
        .keys()
        .map(|k| k.1)
        .chain(sheet.merges.iter().map(|m| m.3))
        .max()
        .unwrap_or(0);
    if let Some(last_row) = last_row {
        for r in 0..=last_row {
            x.push_str("<table:table-row>");
            for c in 0..=last_col {
                let start = sheet.merges.iter().find(|m| m.0 == r && m.1 == c);
                let covered = sheet
                    .merges
                    .iter()
                    .any(|m| m.0 <= r && r <= m.2 && m.1 <= c && c <= m.3 && (m.0, m.1) != (r, c));
                if covered {
                    x.push_str("<table:covered-table-cell/>");
                } else {
                    let span = start.map(|m| (m.2 - m.0 + 1, (m.3 - m.1 + 1) as u32));
                    x.push_str(&cell_xml(
                        sheet.cells.get(&(r, c)),
                        span,
                        sheet.formulas.get(&(r, c)).map(String::as_str),
                    ));
                }
            }
            x.push_str("</table:table-row>");
        }
    }
    x.push_str("</table:table>");
    x
}

const NS: &str = "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:number=\"urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0\" office:version=\"1.2\"";

pub fn write_ods(book: &Book, path: &Path) -> io::Result<()> {
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content {NS}><office:automatic-styles>\
<style:style style:name=\"shown\" style:family=\"table\"><style:table-properties table:display=\"true\"/></style:style>\
<style:style style:name=\"hidden\" style:family=\"table\"><style:table-properties table:display=\"false\"/></style:style>\
<number:date-style style:name=\"d\"><number:year number:style=\"long\"/><number:text>-</number:text><number:month number:style=\"long\"/><number:text>-</number:text><number:day number:style=\"long\"/></number:date-style>\
<style:style style:name=\"date\" style:family=\"table-cell\" style:data-style-name=\"d\"/>\
</office:automatic-styles><office:body><office:spreadsheet>{}</office:spreadsheet></office:body></office:document-content>",
        book.sheets.iter().map(sheet_xml).collect::<String>()
    );
    let manifest = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\">\
<manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>\
<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\
<manifest:file-entry manifest:full-path=\"styles.xml\" manifest:media-type=\"text/xml\"/>\
</manifest:manifest>";
    let styles =
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-styles {NS}/>");
    let file = std::fs::File::create(path)?;
    let mut zip = ZipWriter::new(file);
    // A fixed timestamp keeps the bytes the same on every run.
    let stamp = DateTime::default();
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(stamp);
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(stamp);
    zip.start_file("mimetype", stored)?;
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")?;
    for (name, body) in [
        ("META-INF/manifest.xml", manifest.to_string()),
        ("content.xml", content),
        ("styles.xml", styles),
    ] {
        zip.start_file(name, deflated)?;
        zip.write_all(body.as_bytes())?;
    }
    zip.finish()?;
    Ok(())
}
