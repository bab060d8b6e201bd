//! Finding the table in a sheet: the header row (or two rows), which dataset it is, the
//! column-to-field mapping, the money unit, and the table's year and month.

use super::periods::{count_years, find_month, find_year, period_text};
use super::value::cell_text;
use crate::config::normalize::{nfkc, normalize_header, squeeze, HeaderText};
use crate::config::{Dataset, Pipeline};
use crate::model::{FieldKind, MoneyUnit};
use calamine::{Data, Dimensions, Range};

/// How many rows from the top of the used range may hold the header.
pub const HEADER_SCAN_ROWS: u32 = 15;

/// Header texts that name a year column, which then gives each row its own year.
pub const YEAR_KEYS: [&str; 4] = ["年份", "年度", "年", "统计年度"];
/// Header texts that name a month column, which gives each row its own month.
const MONTH_KEYS: [&str; 4] = ["月份", "月", "统计月份", "月度"];

/// Cell access in absolute (0-based, from A1) coordinates.
pub struct Grid<'a> {
    pub range: &'a Range<Data>,
    pub merges: &'a [Dimensions],
    /// Formula cells without a computed value, which read as empty in `range`.
    pub uncached: &'a super::workbook::Uncached,
    pub first_row: u32,
    pub last_row: u32,
    pub first_col: u32,
    pub last_col: u32,
}

impl<'a> Grid<'a> {
    pub fn new(range: &'a Range<Data>, merges: &'a [Dimensions]) -> Option<Grid<'a>> {
        let (r0, c0) = range.start()?;
        let (r1, c1) = range.end()?;
        static NONE: super::workbook::Uncached = super::workbook::Uncached::new();
        Some(Grid {
            range,
            merges,
            uncached: &NONE,
            first_row: r0,
            last_row: r1,
            first_col: c0,
            last_col: c1,
        })
    }

    pub fn get(&self, row: u32, col: u32) -> &'a Data {
        static EMPTY: Data = Data::Empty;
        self.range.get_value((row, col)).unwrap_or(&EMPTY)
    }

    /// The formula of a cell saved without its computed value.
    pub fn uncached(&self, row: u32, col: u32) -> Option<&'a str> {
        self.uncached.get(&(row, col)).map(String::as_str)
    }

    pub fn text(&self, row: u32, col: u32) -> String {
        cell_text(self.get(row, col))
    }

    /// Text of a cell, or of the merged region's top-left cell that covers it.
    pub fn merged_text(&self, row: u32, col: u32) -> String {
        let own = self.text(row, col);
        if !own.trim().is_empty() {
            return own;
        }
        for m in self.merges {
            if m.start.0 <= row && row <= m.end.0 && m.start.1 <= col && col <= m.end.1 {
                return self.text(m.start.0, m.start.1);
            }
        }
        own
    }

    /// As [`Grid::merged_text`], but only for merges that start on this row: a cell covered
    /// by a merge from the row above belongs to that row's header.
    pub fn row_merged_text(&self, row: u32, col: u32) -> String {
        let own = self.text(row, col);
        if !own.trim().is_empty() {
            return own;
        }
        for m in self.merges {
            if m.start.0 == row && row <= m.end.0 && m.start.1 <= col && col <= m.end.1 {
                return self.text(m.start.0, m.start.1);
            }
        }
        own
    }

    pub fn row_texts(&self, row: u32) -> Vec<String> {
        (self.first_col..=self.last_col)
            .map(|c| self.text(row, c))
            .filter(|t| !t.trim().is_empty())
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ColumnMap {
    pub col: u32,
    pub field: usize,
    /// Header text as written (parent and child joined with `/` for two-row headers).
    pub header: String,
    pub unit: Option<MoneyUnit>,
    pub cumulative: bool,
    /// The month a `1-N月` or `N月` prefix of the header names.
    #[serde(default)]
    pub month: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Column,
    SheetName,
    Title,
    FileName,
    Header,
    UnitLine,
    Default,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Column => "year column",
            Source::SheetName => "sheet name",
            Source::Title => "title rows",
            Source::FileName => "file name",
            Source::Header => "column header",
            Source::UnitLine => "单位 line",
            Source::Default => "dataset default",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    pub dataset: usize,
    /// 0-based first and last header rows.
    pub header_first: u32,
    pub header_last: u32,
    pub columns: Vec<ColumnMap>,
    /// A year column giving each row its own year.
    pub year_col: Option<u32>,
    /// A month column giving each row its own month.
    #[serde(default)]
    pub month_col: Option<u32>,
    pub year: Option<(i32, Source)>,
    pub month: Option<(u32, Source)>,
    pub cumulative: bool,
    /// Unit of money columns without a unit in their header.
    pub unit: (MoneyUnit, Source),
    /// Title and unit lines above the header, kept as metadata.
    pub title_lines: Vec<String>,
    /// Header cells that matched no field (shown by `inspect`).
    pub unmatched: Vec<String>,
    /// Fields claimed by two columns: which column was taken and why, one message each.
    pub duplicates: Vec<String>,
    /// Doubts about the table's period (sources that name different years).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Headers that name another year than the table's (`2022年完成投资` in a 2023 table).
    #[serde(default)]
    pub other_years: Vec<String>,
}

struct Candidate {
    dataset: usize,
    first: u32,
    last: u32,
    matched: Matched,
}

/// How a column's header text was matched, best first: the parent and child headers joined,
/// the column's own header (a single row, or the child), the parent header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Joined,
    Own,
    Parent,
}

/// One header text a column may be matched by.
struct HeaderOption {
    /// As shown: parent and child joined with `/`.
    shown: String,
    text: HeaderText,
    rank: Rank,
}

/// A header's columns mapped to one dataset's fields.
struct Matched {
    columns: Vec<ColumnMap>,
    year_col: Option<u32>,
    month_col: Option<u32>,
    unmatched: Vec<String>,
    duplicates: Vec<String>,
}

/// Maps header texts to one dataset's fields; per column, the best-ranked text that names a
/// field wins. When two columns claim one field, the better-ranked match takes it (a synonym
/// naming the joined parent and child text beats one naming the child alone), then the
/// earlier column; each column left out is described in `duplicates`.
fn match_columns(ds: &Dataset, headers: &[(u32, Vec<HeaderOption>)]) -> Matched {
    let mut claims: Vec<(u32, usize, Rank, &HeaderOption)> = Vec::new();
    let mut year_col = None;
    let mut month_col = None;
    let mut unmatched = Vec::new();
    for (col, options) in headers {
        let hit = options.iter().find_map(|o| {
            ds.fields
                .iter()
                .position(|f| f.keys.iter().any(|k| k == &o.text.key))
                .map(|fi| (fi, o))
        });
        match hit {
            Some((fi, o)) => claims.push((*col, fi, o.rank, o)),
            None => {
                let is =
                    |keys: &[&str]| options.iter().any(|o| keys.contains(&o.text.key.as_str()));
                if is(&YEAR_KEYS) && year_col.is_none() {
                    year_col = Some(*col);
                } else if is(&MONTH_KEYS) && month_col.is_none() {
                    month_col = Some(*col);
                } else if let Some(o) = options.first() {
                    unmatched.push(o.shown.clone());
                }
            }
        }
    }
    let mut columns: Vec<ColumnMap> = Vec::new();
    let mut duplicates = Vec::new();
    for (col, fi, rank, o) in &claims {
        let best = claims
            .iter()
            .filter(|c| c.1 == *fi)
            .min_by_key(|c| (c.2, c.0))
            .map(|c| (c.0, c.2, c.3));
        match best {
            Some((bcol, brank, bo)) if bcol != *col => {
                let name = &ds.fields[*fi].name;
                let (this, taken) = (
                    format!("{} ({})", o.shown, crate::model::column_letter(*col)),
                    format!("{} ({})", bo.shown, crate::model::column_letter(bcol)),
                );
                duplicates.push(if brank == *rank {
                    crate::i18n::t!(
                        "layout.dup_earlier",
                        this = this,
                        taken = taken,
                        name = name
                    )
                } else {
                    let why = match brank {
                        Rank::Joined => crate::i18n::t!("layout.joined", key = bo.text.key),
                        _ => crate::i18n::t!("layout.own_header"),
                    };
                    let how = match rank {
                        Rank::Parent => crate::i18n::t!("layout.by_parent"),
                        _ => crate::i18n::t!("layout.by_child"),
                    };
                    crate::i18n::t!(
                        "layout.dup_rank",
                        this = this,
                        name = name,
                        how = how,
                        key = o.text.key,
                        taken = taken,
                        why = why
                    )
                });
            }
            _ => columns.push(ColumnMap {
                col: *col,
                field: *fi,
                header: o.shown.clone(),
                unit: o.text.unit.as_deref().and_then(MoneyUnit::parse),
                cumulative: o.text.cumulative,
                month: o.text.month,
            }),
        }
    }
    Matched {
        columns,
        year_col,
        month_col,
        unmatched,
        duplicates,
    }
}

/// Header options for each column of a single-row header at `row`.
fn single_row(grid: &Grid, row: u32) -> Vec<(u32, Vec<HeaderOption>)> {
    (grid.first_col..=grid.last_col)
        .filter_map(|c| {
            let t = grid.row_merged_text(row, c);
            (!t.trim().is_empty()).then(|| {
                (
                    c,
                    vec![HeaderOption {
                        text: normalize_header(&t),
                        shown: t,
                        rank: Rank::Own,
                    }],
                )
            })
        })
        .collect()
}

/// Header options for a parent/child header in `row` and `row + 1`: the parent and child
/// joined (in either order: `投资额` over `完成` reads `投资额完成` and `完成投资额`), the child
/// alone, then the parent alone (merged parents apply to every child below them). A unit or
/// period prefix in the parent applies to the child.
fn two_rows(grid: &Grid, row: u32) -> Vec<(u32, Vec<HeaderOption>)> {
    (grid.first_col..=grid.last_col)
        .filter_map(|c| {
            let parent = grid.merged_text(row, c);
            let child = grid.merged_text(row + 1, c);
            let (p, ch) = (parent.trim(), child.trim());
            let mut opts = Vec::new();
            let pn = normalize_header(p);
            if !ch.is_empty() && ch != p {
                let shown = if p.is_empty() {
                    ch.to_string()
                } else {
                    format!("{p}/{ch}")
                };
                let cn = normalize_header(ch);
                let inherit = |key: String| HeaderText {
                    key,
                    unit: cn.unit.clone().or_else(|| pn.unit.clone()),
                    cumulative: cn.cumulative || pn.cumulative,
                    month: cn.month.or(pn.month),
                };
                if !p.is_empty() {
                    for key in [
                        format!("{}{}", pn.key, cn.key),
                        format!("{}{}", cn.key, pn.key),
                    ] {
                        opts.push(HeaderOption {
                            shown: shown.clone(),
                            text: inherit(key),
                            rank: Rank::Joined,
                        });
                    }
                }
                opts.push(HeaderOption {
                    shown,
                    text: inherit(cn.key.clone()),
                    rank: Rank::Own,
                });
            }
            if !p.is_empty() {
                // A vertical label (the cell below empty or merged with it) is the column's own.
                let rank = if opts.is_empty() {
                    Rank::Own
                } else {
                    Rank::Parent
                };
                opts.push(HeaderOption {
                    shown: p.to_string(),
                    text: pn,
                    rank,
                });
            }
            (!opts.is_empty()).then_some((c, opts))
        })
        .collect()
}

/// Whether `row` holds only parent headers over the row below: each text stands over a child
/// (a cell below with text of its own) or is a label merged down into the row below, at least
/// one is a parent, and none looks like a title, unit or date line (in the table's first
/// column unless merged down, holding a digit, or naming 单位, 填报, 日期, 截至 or 截止
/// outside parentheses).
fn parent_row(grid: &Grid, row: u32) -> bool {
    let mut parents = 0;
    for c in grid.first_col..=grid.last_col {
        let text = grid.text(row, c);
        if text.trim().is_empty() {
            continue;
        }
        let t = squeeze(&text);
        let bare = t.trim_start_matches(['(', '（', '【', '[']);
        let bare = bare
            .split(['(', '（', '【', '['])
            .next()
            .unwrap_or_default();
        let merged_down = grid
            .merges
            .iter()
            .any(|m| m.start == (row, c) && m.end.0 > row);
        if (c == grid.first_col && !merged_down)
            || t.chars().any(|ch| ch.is_ascii_digit())
            || ["单位", "填报", "日期", "截至", "截止"]
                .iter()
                .any(|w| bare.contains(w))
        {
            return false;
        }
        if merged_down {
            continue;
        }
        if grid.text(row + 1, c).trim().is_empty() {
            return false;
        }
        parents += 1;
    }
    parents > 0
}

/// Finds the best header among the first rows for any dataset of the pipeline.
pub fn detect(
    grid: &Grid,
    pipeline: &Pipeline,
    sheet_name: &str,
    file_name: &str,
) -> Option<Layout> {
    let last_scan = grid
        .last_row
        .min(grid.first_row.saturating_add(HEADER_SCAN_ROWS - 1));
    let mut best: Option<(usize, Candidate)> = None;
    // Candidates by their last header row; at equal score the single row wins over a pair
    // ending on it, so a title or unit line above a header is never read as a parent row.
    for last in grid.first_row..=last_scan {
        let mut shapes = vec![(last, single_row(grid, last))];
        if last > grid.first_row {
            shapes.push((last - 1, two_rows(grid, last - 1)));
        }
        for (first, headers) in shapes {
            if headers.is_empty() {
                continue;
            }
            for (di, ds) in pipeline.datasets.iter().enumerate() {
                let matched = match_columns(ds, &headers);
                if !ds
                    .identify
                    .iter()
                    .all(|fi| matched.columns.iter().any(|c| c.field == *fi))
                {
                    continue;
                }
                let score = matched.columns.len();
                // Strictly better only: the earliest, single-row reading wins ties, unless the
                // row above it is a row of parents, whose units and prefixes the children take.
                let parents_over = |c: &Candidate| {
                    first < last && c.first == last && c.last == last && parent_row(grid, first)
                };
                if best
                    .as_ref()
                    .is_none_or(|(s, c)| score > *s || (score == *s && parents_over(c)))
                {
                    best = Some((
                        score,
                        Candidate {
                            dataset: di,
                            first,
                            last,
                            matched,
                        },
                    ));
                }
            }
        }
    }
    let (_, cand) = best?;
    Some(describe(grid, pipeline, cand, sheet_name, file_name))
}

fn describe(
    grid: &Grid,
    pipeline: &Pipeline,
    cand: Candidate,
    sheet_name: &str,
    file_name: &str,
) -> Layout {
    let ds = &pipeline.datasets[cand.dataset];
    let Matched {
        columns,
        year_col,
        month_col,
        unmatched,
        duplicates,
    } = cand.matched;
    let title_lines: Vec<String> = (grid.first_row..cand.first)
        .map(|r| grid.row_texts(r).join(" "))
        .filter(|s| !s.trim().is_empty())
        .collect();
    // The period comes from the titles without their date stamps (填报日期, 截至…, a full
    // date): the day a list was filled in is not the period it covers.
    let period_titles: String = (grid.first_row..cand.first)
        .flat_map(|r| (grid.first_col..=grid.last_col).map(move |c| (r, c)))
        .filter(|&(r, c)| !matches!(grid.get(r, c), calamine::Data::DateTime(_)))
        .map(|(r, c)| period_text(&nfkc(&grid.text(r, c))))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ");

    let mut warnings = Vec::new();
    let year = if year_col.is_some() {
        None
    } else {
        let from_title = find_year(&period_titles);
        let name = nfkc(file_name);
        let from_name = find_year(&name);
        let chosen = find_year(&nfkc(sheet_name))
            .map(|y| (y, Source::SheetName))
            .or_else(|| from_title.map(|y| (y, Source::Title)))
            .or_else(|| from_name.map(|y| (y, Source::FileName)));
        // A file name naming a span of years (`2018-2022年投资.xlsx`) contradicts no title.
        if let (Some(t), Some(n), Some((y, src))) = (from_title, from_name, chosen) {
            if t != n && count_years(&name) == 1 {
                warnings.push(crate::i18n::t!(
                    "layout.year_conflict",
                    t = t,
                    n = n,
                    y = y,
                    src = crate::i18n::word(src.as_str())
                ));
            }
        }
        chosen
    };
    let header_month = columns
        .iter()
        .filter(|c| ds.fields[c.field].kind.is_numeric())
        .filter_map(|c| c.month.map(|m| (m, c.cumulative)))
        .max();
    let month = find_month(&period_titles)
        .map(|m| (m, Source::Title))
        .or_else(|| find_month(&nfkc(sheet_name)).map(|m| (m, Source::SheetName)))
        .or_else(|| find_month(&nfkc(file_name)).map(|m| (m, Source::FileName)))
        .or_else(|| header_month.map(|m| (m, Source::Header)));
    let header_cumulative = columns
        .iter()
        .any(|c| c.cumulative && ds.fields[c.field].kind.is_numeric());
    let title_cumulative = month.is_some_and(|((_, cum), _)| cum) || period_titles.contains("累计");
    let unit = unit_line(&title_lines)
        .map(|u| (u, Source::UnitLine))
        .unwrap_or((ds.money_unit, Source::Default));
    let money_without_unit = columns
        .iter()
        .any(|c| ds.fields[c.field].kind == FieldKind::Money && c.unit.is_none());
    let unit = if money_without_unit || unit.1 != Source::Default {
        unit
    } else {
        // Every money column names its own unit; report that as the source.
        (unit.0, Source::Header)
    };
    // A year prefix is dropped when headers are matched; one that contradicts the table's
    // year is named, since the column may hold that other year's figures.
    let other_years = match year {
        Some((y, src)) => columns
            .iter()
            .filter_map(|c| {
                let hy = header_year(&c.header)?;
                (hy != y).then(|| {
                    crate::i18n::t!(
                        "layout.header_year",
                        header = c.header,
                        v = crate::model::column_letter(c.col),
                        hy = hy,
                        y = y,
                        src = crate::i18n::word(src.as_str())
                    )
                })
            })
            .collect(),
        None => Vec::new(),
    };
    Layout {
        dataset: cand.dataset,
        header_first: cand.first,
        header_last: cand.last,
        columns,
        year_col,
        month_col,
        year,
        month: month.map(|((m, _), s)| (m, s)),
        cumulative: header_cumulative || title_cumulative,
        unit,
        title_lines,
        unmatched,
        duplicates,
        warnings,
        other_years,
    }
}

/// The year a header starts with (`2022年完成投资`, or the child of `投资/2022年完成投资`).
fn header_year(header: &str) -> Option<i32> {
    let s = squeeze(header);
    let child = s.rsplit('/').next().unwrap_or(&s);
    let year = [child, s.as_str()].into_iter().find_map(|t| {
        let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        (digits.len() == 4 && t[4..].starts_with('年'))
            .then(|| digits.parse().ok())
            .flatten()
    });
    year
}

/// `单位：万元` (or `单位:亿元`, `金额单位：元`) in the lines above the header.
fn unit_line(lines: &[String]) -> Option<MoneyUnit> {
    for line in lines {
        let s = squeeze(line);
        let mut rest = s.as_str();
        while let Some(pos) = rest.find("单位") {
            let after = &rest[pos + "单位".len()..];
            let after = after.trim_start_matches([':', '：']);
            for unit in ["亿元", "千元", "万元", "元"] {
                if after.starts_with(unit) {
                    return MoneyUnit::parse(unit);
                }
            }
            rest = after;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_lines() {
        assert_eq!(unit_line(&["单位：万元".into()]), Some(MoneyUnit::Wanyuan));
        assert_eq!(
            unit_line(&["填报单位：二道区财政局  金额单位:元".into()]),
            Some(MoneyUnit::Yuan)
        );
        assert_eq!(unit_line(&["二道区2022年".into()]), None);
    }
}
