//! index.html: one page per run that works offline from the output folder: the row
//! accounting, a contents list, then each table with its chart (as the XLSX prints it: a
//! two-level header, thousands separators, labels on one line), and links to every file.
//! Printed, each table starts a page.

use super::grid::{print, CellOut, Grid};
use super::EmitError;
use crate::aggregate::TableResult;
use std::fmt::Write;
use std::path::Path;

/// What the page says about the run besides the tables.
pub struct ReportMeta<'a> {
    pub title: &'a str,
    pub pipeline: &'a str,
    pub period_label: String,
    pub source: Option<&'a str>,
    pub files: usize,
    pub unreadable: usize,
    pub rows_read: u64,
    pub rows_kept: u64,
    pub rows_rejected: u64,
    pub rows_skipped: u64,
    /// Relative path of the XLSX workbook, if written.
    pub xlsx: Option<String>,
    /// Per table: relative links to its CSV, Parquet, PNG and SVG files, where written.
    pub links: Vec<TableLinks>,
    /// Every warning of the run, as printed and listed in manifest.json.
    pub warnings: &'a [String],
    /// The portal series (data/series.*), when any sheet held a wide table.
    pub series: Option<SeriesSection>,
}

/// The wide tables of a run as the page lists them, with their notes and source.
pub struct SeriesSection {
    pub csv: Option<String>,
    pub parquet: Option<String>,
    /// The span of periods with a value, e.g. `2015年—2019年`.
    pub span: String,
    pub tables: Vec<SeriesTable>,
}

pub struct SeriesTable {
    pub file: String,
    pub sheet: String,
    pub title: String,
    pub span: String,
    pub series: usize,
    pub values: usize,
    pub source: Option<String>,
    pub notes: Option<String>,
    /// The metadata sheet's notes and sources, per series: (series, text).
    pub series_notes: Vec<(String, String)>,
}

/// The page's section on the portal series of `files`, linking the series files written.
pub fn series_section(
    files: &[crate::ingest::FileReport],
    csv: Option<String>,
    parquet: Option<String>,
) -> Option<SeriesSection> {
    use crate::clean::frame::{period_span, series_span_label, span_label};
    let span = series_span_label(files)?;
    let mut tables = Vec::new();
    for f in files {
        for sh in &f.sheets {
            for w in &sh.wide {
                let indicators: std::collections::BTreeSet<&str> =
                    w.points.iter().map(|p| p.indicator.as_str()).collect();
                let first = w.points.first().map_or("", |p| p.indicator.as_str());
                let mut title = match indicators.len() {
                    0 | 1 => first.to_string(),
                    n => format!("{first} 等 {n} 个指标"),
                };
                if w.variant != "当期" {
                    title = format!("{title}（{}）", w.variant);
                }
                let series_notes = w
                    .series_notes
                    .iter()
                    .map(|n| {
                        let name = match &n.region {
                            Some(r) => format!("{}（{r}）", n.indicator),
                            None => n.indicator.clone(),
                        };
                        let text: Vec<String> = [
                            n.notes.clone(),
                            n.source.as_ref().map(|s| format!("数据来源：{s}")),
                        ]
                        .into_iter()
                        .flatten()
                        .collect();
                        (name, text.join(" "))
                    })
                    .collect();
                tables.push(SeriesTable {
                    file: f.display.clone(),
                    sheet: sh.name.clone(),
                    title,
                    span: span_label(period_span(w.points.iter())).unwrap_or_default(),
                    series: w.series,
                    values: w.points.len(),
                    source: w.source(),
                    notes: w.notes(),
                    series_notes,
                });
            }
        }
    }
    Some(SeriesSection {
        csv,
        parquet,
        span,
        tables,
    })
}

fn render_series(h: &mut String, s: &SeriesSection) {
    let _ = writeln!(h, "<h2 id=\"series\">门户数据</h2>");
    let _ = writeln!(h, "<p>数据期：{}</p>", escape(&s.span));
    let _ = writeln!(
        h,
        "<div class=\"scroll\"><table class=\"data\">\n<tr><th>文件</th><th>工作表</th><th>指标</th><th>数据期</th><th>序列</th><th>数值</th><th>数据来源</th><th>注</th></tr>"
    );
    for t in &s.tables {
        let mut notes = t.notes.as_deref().map(escape).unwrap_or_default();
        for (name, text) in &t.series_notes {
            if !notes.is_empty() {
                notes.push_str("<br>");
            }
            let _ = write!(notes, "{}：{}", escape(name), escape(text));
        }
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{notes}</td></tr>",
            escape(&t.file),
            escape(&t.sheet),
            escape(&t.title),
            escape(&t.span),
            t.series,
            t.values,
            escape(t.source.as_deref().unwrap_or("")),
        );
    }
    let _ = writeln!(h, "</table></div>");
    let _ = write!(h, "<p class=\"links\">");
    for (label, link) in [("series.csv", &s.csv), ("series.parquet", &s.parquet)] {
        if let Some(l) = link {
            let _ = write!(h, "<a href=\"{}\">{label}</a>", href(l));
        }
    }
    let _ = writeln!(h, "</p>");
}

#[derive(Default)]
pub struct TableLinks {
    pub csv: Option<String>,
    pub parquet: Option<String>,
    /// (PNG, SVG) of each chart of the table.
    pub charts: Vec<(String, String)>,
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // C0 control characters are not allowed in HTML text.
            _ => out.push(crate::emit::xml_text_char(c)),
        }
    }
    out
}

/// A relative link, with each path segment percent-encoded where needed.
fn href(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' | b'~' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// The charts' embedded font, also shipped beside the page (with its licence) so that the
/// Chinese text renders on a machine without CJK fonts; browsers load it only when the
/// system fonts named before it are missing.
pub const FONT_FILE: &str = "fonts/YearbookSansSC-Regular.otf";
pub const FONT_LICENCE_FILE: &str = "fonts/OFL.txt";
const FONT_LICENCE: &str = include_str!("../../assets/fonts/OFL.txt");

/// The sha256 of the embedded font (checked by a test), so that a run does not hash its
/// 1.8 MB again for the manifest.
const FONT_SHA256: &str = "18df0e2e0538457bbec97ab2a3660fcfd6ccd58bbb562c27d62113caf7be201a";

const STYLE: &str = "@font-face{font-family:'Yearbook Sans SC';src:url('fonts/YearbookSansSC-Regular.otf') format('opentype')}
body{font-family:'Noto Sans CJK SC','Noto Sans SC','PingFang SC','Microsoft YaHei','Yearbook Sans SC',sans-serif;margin:0 auto;max-width:1100px;padding:12px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
.meta td{padding:2px 12px 2px 0}.scroll{overflow-x:auto}
table.data{border-collapse:collapse;font-size:.9em}table.data th,table.data td{border:1px solid #bbb;padding:3px 8px}
table.data th{background:#f0f0f0}table.data td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:bold}ul.warnings{color:#8a1c00}img{max-width:100%;height:auto}.links a{margin-right:1em}
table.data th.k,table.data td.k{white-space:nowrap;text-align:left}p.unit{font-size:.9em;margin:.3em 0}
p.note{font-size:.85em;color:#444;margin:.3em 0}nav.toc ol{columns:2;padding-left:1.5em}
@media print{body{max-width:none;padding:0}.scroll{overflow:visible}nav.toc{break-after:page}
section.table{break-before:page;break-inside:avoid}h2{margin-top:0}.links{display:none}
table.data{font-size:9pt}img{max-height:45vh;width:auto}@page{size:A4 landscape;margin:12mm}}";

/// Renders the page; the same tables and metadata give the same bytes.
pub fn render(tables: &[TableResult], meta: &ReportMeta) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} {}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n",
        escape(meta.title),
        escape(&meta.period_label)
    );
    let _ = writeln!(h, "<h1>{}</h1>", escape(meta.title));
    let _ = writeln!(h, "<table class=\"meta\">");
    let _ = writeln!(
        h,
        "<tr><td>数据期</td><td>{}</td></tr>",
        escape(&meta.period_label)
    );
    let _ = writeln!(
        h,
        "<tr><td>流水线</td><td>{}</td></tr>",
        escape(meta.pipeline)
    );
    if let Some(s) = meta.source {
        let _ = writeln!(h, "<tr><td>数据来源</td><td>{}</td></tr>", escape(s));
    }
    let _ = writeln!(
        h,
        "<tr><td>文件</td><td>{} 个（无法读取 {} 个）</td></tr>",
        meta.files, meta.unreadable
    );
    let _ = writeln!(
        h,
        "<tr><td>行数</td><td>读取 {} = 采用 {} + <a href=\"rejected.csv\">拒收 {}</a> + 跳过 {}</td></tr>",
        meta.rows_read, meta.rows_kept, meta.rows_rejected, meta.rows_skipped
    );
    let _ = writeln!(h, "</table>");
    let _ = write!(h, "<p class=\"links\">");
    if let Some(x) = &meta.xlsx {
        let _ = write!(h, "<a href=\"{}\">全部表格 (XLSX)</a>", href(x));
    }
    let _ = write!(
        h,
        "<a href=\"facts.csv\">facts.csv</a><a href=\"manifest.json\">manifest.json</a>"
    );
    if let Some(csv) = meta.series.as_ref().and_then(|s| s.csv.as_ref()) {
        let _ = write!(h, "<a href=\"{}\">门户数据 (series.csv)</a>", href(csv));
    }
    let _ = writeln!(h, "</p>");
    if !meta.warnings.is_empty() {
        let _ = writeln!(
            h,
            "<h2 id=\"warnings\">警告（{} 条）</h2>\n<ul class=\"warnings\">",
            meta.warnings.len()
        );
        for w in meta.warnings {
            let _ = writeln!(h, "<li>{}</li>", escape(w));
        }
        let _ = writeln!(h, "</ul>");
    }
    contents(&mut h, tables);
    let empty = TableLinks::default();
    let notes_meta = super::xlsx::TableMeta {
        title: meta.title.to_string(),
        source: meta.source.map(str::to_string),
        period_label: meta.period_label.clone(),
    };
    for (i, t) in tables.iter().enumerate() {
        let links = meta.links.get(i).unwrap_or(&empty);
        let _ = writeln!(h, "<section class=\"table\">");
        let _ = writeln!(
            h,
            "<h2 id=\"{}\">{}</h2>",
            escape(&t.name),
            escape(&t.title)
        );
        for (png, _) in &links.charts {
            let _ = writeln!(
                h,
                "<p><img src=\"{}\" alt=\"{}\" width=\"960\" height=\"540\"></p>",
                href(png),
                escape(&t.title)
            );
        }
        let grid = print(t);
        if t.metrics
            .iter()
            .any(|m| m.kind == crate::aggregate::MetricKind::Money)
            && !(t.wide && t.dims.is_empty())
        {
            let _ = writeln!(
                h,
                "<p class=\"unit\">单位：{}</p>",
                escape(&t.unit.to_string())
            );
        }
        table_html(&mut h, &grid);
        for line in super::xlsx::notes(t, &notes_meta) {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(&line));
        }
        let _ = write!(h, "<p class=\"links\">");
        for (label, link) in [("CSV", &links.csv), ("Parquet", &links.parquet)] {
            if let Some(l) = link {
                let _ = write!(h, "<a href=\"{}\">{label}</a>", href(l));
            }
        }
        for (png, svg) in &links.charts {
            let _ = write!(
                h,
                "<a href=\"{}\">SVG</a><a href=\"{}\">PNG</a>",
                href(svg),
                href(png)
            );
        }
        let _ = writeln!(h, "</p>\n</section>");
    }
    if let Some(s) = &meta.series {
        render_series(&mut h, s);
    }
    h.push_str("</body>\n</html>\n");
    h
}

/// The contents list: a link to each table.
fn contents(h: &mut String, tables: &[TableResult]) {
    if tables.is_empty() {
        return;
    }
    let _ = writeln!(h, "<nav class=\"toc\"><h2>目录</h2><ol>");
    for t in tables {
        let _ = writeln!(
            h,
            "<li><a href=\"#{}\">{}</a></li>",
            href(&t.name),
            escape(&t.title)
        );
    }
    let _ = writeln!(h, "</ol></nav>");
}

/// A printed grid as an HTML table: the bands over their columns, the label columns on one
/// line, numbers right-aligned as the XLSX shows them.
fn table_html(h: &mut String, grid: &Grid) {
    let _ = writeln!(h, "<div class=\"scroll\"><table class=\"data\">\n<tr>");
    let banded = |c: usize| {
        grid.bands
            .iter()
            .any(|b| (b.first..b.first + b.span).contains(&c))
    };
    let two = !grid.bands.is_empty();
    let class = |c: usize| {
        if c < grid.key_columns {
            " class=\"k\""
        } else {
            ""
        }
    };
    for (c, head) in grid.headers.iter().enumerate() {
        if let Some(b) = grid.bands.iter().find(|b| b.first == c) {
            let _ = write!(h, "<th colspan=\"{}\">{}</th>", b.span, escape(&b.label));
        } else if !banded(c) {
            let rows = if two { " rowspan=\"2\"" } else { "" };
            let _ = write!(h, "<th{}{rows}>{}</th>", class(c), escape(head));
        }
    }
    let _ = writeln!(h, "</tr>");
    if two {
        let _ = write!(h, "<tr>");
        for (c, head) in grid.headers.iter().enumerate() {
            if banded(c) {
                let _ = write!(h, "<th>{}</th>", escape(head));
            }
        }
        let _ = writeln!(h, "</tr>");
    }
    for (r, row) in grid.rows.iter().enumerate() {
        let total = if grid.total_rows.get(r).copied().unwrap_or(false) {
            " class=\"total\""
        } else {
            ""
        };
        let _ = write!(h, "<tr{total}>");
        for (c, cell) in row.iter().enumerate() {
            match cell {
                CellOut::Text(s) => {
                    let _ = write!(h, "<td{}>{}</td>", class(c), escape(s));
                }
                CellOut::Number { text, .. } => {
                    let _ = write!(h, "<td class=\"n\">{}</td>", escape(text));
                }
                CellOut::Empty => h.push_str("<td></td>"),
            }
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</table></div>");
}

/// Writes the page.
pub fn write_report(
    tables: &[TableResult],
    meta: &ReportMeta,
    path: &Path,
    sink: &super::OutputWriter,
) -> Result<super::Written, EmitError> {
    sink.put(path, render(tables, meta))
        .map_err(EmitError::io(path))
}

/// Writes the font the page falls back to, with its licence, into the output folder `dir`.
/// Returns the files written.
pub fn write_fonts(
    dir: &Path,
    sink: &super::OutputWriter,
) -> Result<Vec<super::Written>, EmitError> {
    let place = |rel: &str| super::output_path(dir, &rel.split('/').collect::<Vec<_>>());
    let (font, licence) = (place(FONT_FILE)?, place(FONT_LICENCE_FILE)?);
    if let Some(fonts) = font.parent() {
        std::fs::create_dir_all(fonts).map_err(EmitError::io(fonts))?;
    }
    // The font's digest is known in advance, so it is not hashed on every run.
    let font = sink
        .put_known(&font, super::chart::FONT, FONT_SHA256)
        .map_err(EmitError::io(&font))?;
    let licence = sink
        .put(&licence, FONT_LICENCE)
        .map_err(EmitError::io(&licence))?;
    Ok(vec![font, licence])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_digest_is_the_fonts() {
        let dir = tempfile::tempdir().expect("temporary folder");
        for w in write_fonts(dir.path(), &super::super::OutputWriter::default()).expect("written") {
            let bytes = std::fs::read(&w.path).expect("readable");
            assert_eq!(w, super::super::Written::of(&w.path, &bytes));
        }
    }

    #[test]
    fn escapes_and_encodes() {
        assert_eq!(escape("<a&b>\""), "&lt;a&amp;b&gt;&quot;");
        assert_eq!(escape("新\u{1}建"), "新\u{FFFD}建");
        assert_eq!(
            href("charts/投资 表.png"),
            "charts/%E6%8A%95%E8%B5%84%20%E8%A1%A8.png"
        );
    }
}
