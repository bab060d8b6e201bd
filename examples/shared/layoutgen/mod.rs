//! Random bureau workbooks with their ground truth: each case is one workbook drawn from the
//! layouts district offices use (title and unit lines, one- or two-row headers, total rows,
//! numbers typed every way, the year in a column, sheet, title or file name, decoy sheets),
//! together with the exact clean rows, row accounting and period yearbook must find in it.
//!
//! Every dimension of the space can be switched off, so that a property test can cover what
//! the rules handle and a soak run can look for what they do not. A case depends only on its
//! seed and the space.

#![allow(dead_code)]

pub mod check;

use super::sheets::book::{Book, Cell, Sheet};
use super::xorshift::Rng;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Ods,
}

impl Format {
    pub fn ext(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
        }
    }
}

macro_rules! space {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// Which layout features cases may use; each is drawn independently per case.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct Space {
            $($(#[doc = $doc])* pub $name: bool,)*
        }

        impl Space {
            /// The names of the dimensions, as `--only` and `--without` take them.
            pub const DIMENSIONS: &'static [&'static str] = &[$(stringify!($name),)*];

            /// Plain xlsx workbooks: one title-less header and data rows.
            pub fn none() -> Space {
                Space { $($name: false,)* }
            }

            /// Every dimension.
            pub fn full() -> Space {
                Space { $($name: true,)* }
            }

            pub fn get_mut(&mut self, name: &str) -> Option<&mut bool> {
                match name {
                    $(stringify!($name) => Some(&mut self.$name),)*
                    _ => None,
                }
            }

            pub fn get(&self, name: &str) -> Option<bool> {
                match name {
                    $(stringify!($name) => Some(self.$name),)*
                    _ => None,
                }
            }
        }
    };
}

space! {
    /// Legacy .xls workbooks.
    xls,
    /// OpenDocument workbooks.
    ods,
    /// 0–3 title rows above the header.
    titles,
    /// Title rows merged across the table.
    merged_titles,
    /// A unit line: `单位：万元`, `单位:元`, `（单位：亿元）`, `金额单位：元`, a space after the colon.
    unit_lines,
    /// The unit line lists several units: `单位：万元、户、笔`.
    unit_line_lists,
    /// A `填报单位：…` line, with the unit sometimes in another cell of it.
    filler_lines,
    /// `填报日期：` and `数据截至` lines naming a later date than the data's period.
    dated_lines,
    /// Units in the column headers.
    header_units,
    /// Two header rows: a parent merged over its children, repeated over each, or above some
    /// columns only; labels of the other columns in the top row with the cell below empty.
    two_row_headers,
    /// Two header rows whose every field label sits in the bottom row: the top row holds only
    /// parents and labels no field claims.
    parent_only_headers,
    /// The money unit in the parent header (`投资额（万元）` over `总投资 | 完成投资`).
    parent_units,
    /// `申请情况/户数` and `发放情况/户数` side by side; synonyms name the joined texts.
    joined_synonyms,
    /// Header texts with spaces, line breaks, ASCII or full-width parentheses.
    header_noise,
    /// Period prefixes: 本年, 本月, 本年累计, 累计, `1-N月`, `1—N月`, `1至N月`, `1-N月累计`.
    prefixes,
    /// January's cumulative header `1月累计完成投资`.
    january_prefixes,
    /// Columns no field claims: 上年…, 序号, 联系电话, 备注, 完成率, quarters.
    decoy_columns,
    /// Grand totals (合计, 总计, `合　计`, `合计（N个）`) at the top, bottom or both.
    grand_totals,
    /// A `共N个项目` total row.
    count_totals,
    /// 小计 or `<group>小计` rows after each group, short group names.
    subtotals,
    /// `<group>小计` rows with long group names (`创业担保贷款贴息小计`).
    long_subtotals,
    /// `其中：…` rows with indented continuation rows under a grand total.
    breakdowns,
    /// Total rows as SUM/SUBTOTAL formulas with cached results rather than typed numbers.
    formulas,
    /// Numbers as text: plain, thousands separators, NBSP/U+3000 padding, a trailing unit.
    text_numbers,
    /// Full-width digits, point and thousands separator.
    fullwidth_numbers,
    /// Dash markers and empty cells for zero.
    dashes,
    /// Negatives: number cells, `-x`, `(x)`, `（x）`, `－x`.
    negatives,
    /// Negatives written `−x` (U+2212) or `△x`.
    exotic_negatives,
    /// Rows whose amount is text such as 待定, which must be rejected.
    rejected_rows,
    /// Blank rows among the data.
    blank_rows,
    /// Footnotes under the table (`注：`, `填报人：`, `数据来源：`), with a later date.
    footnotes,
    /// A 年份/年度/统计年度 column: numbers, text, `2021年`, padded.
    year_columns,
    /// Full-width digits in the year column.
    fullwidth_year_columns,
    /// A 月份 column as the only place the month is given.
    month_columns,
    /// The year in the sheet name.
    sheet_years,
    /// The year in a title row.
    title_years,
    /// The year in the file name (`2019年投资.xlsx`, `投资_2023.xlsx`, `2022年1-7月投资.xlsx`).
    file_years,
    /// A month (`YYYY年M月`, `YYYY年1-M月`) where the year is written.
    months,
    /// Project names holding another year, or starting 合计划….
    name_decoys,
    /// Hidden and very hidden copies of the table.
    hidden_sheets,
    /// Sheets with notes, contacts or nothing.
    unrelated_sheets,
}

impl Space {
    /// The dimensions yearbook's rules handle today; the rest are listed in
    /// [`Space::FAILING`] with what goes wrong.
    pub fn passing() -> Space {
        let mut s = Space::full();
        for (name, _) in Space::FAILING {
            if let Some(b) = s.get_mut(name) {
                *b = false;
            }
        }
        s
    }

    /// Dimensions yearbook gets wrong today, with what goes wrong: none. A dimension added
    /// before its rule is listed here, so that the property test keeps passing meanwhile.
    pub const FAILING: &'static [(&'static str, &'static str)] = &[];
}

/// A kept row as yearbook must read it. Money in fen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// 0-based sheet row.
    pub row: u32,
    pub name: String,
    pub kind: String,
    pub total: i64,
    pub done: i64,
    pub households: i64,
    pub applied: Option<i64>,
}

/// What yearbook must find in a case's workbook.
#[derive(Clone, Debug)]
pub struct Truth {
    pub sheet: String,
    pub year: i32,
    /// The year comes from a column: the sheet itself has none.
    pub year_column: bool,
    pub month: Option<u32>,
    /// The month comes from a column: the sheet itself has none (each clean row has it).
    pub month_column: bool,
    pub cumulative: bool,
    pub kept: Vec<Row>,
    pub rejected: u64,
    /// Skipped rows of the data sheet by reason (manifest names).
    pub skipped: BTreeMap<&'static str, u64>,
    /// Names of the other sheets, none of which may give a row.
    pub other_sheets: Vec<String>,
    /// Visible sheets with text but no table, which yearbook reports (a warning, exit 1).
    pub no_table: Vec<String>,
}

pub struct Case {
    pub seed: u64,
    pub format: Format,
    pub file_name: String,
    pub book: Book,
    pub truth: Truth,
    /// The dimensions this case used.
    pub used: Vec<&'static str>,
}

impl Case {
    pub fn write(&self, path: &std::path::Path) -> Result<(), String> {
        let r = match self.format {
            Format::Xlsx => {
                super::sheets::xlsx::write_xlsx(&self.book, path).map_err(|e| e.to_string())
            }
            Format::Xls => {
                super::sheets::xls::write_xls(&self.book, path).map_err(|e| e.to_string())
            }
            Format::Ods => {
                super::sheets::ods::write_ods(&self.book, path).map_err(|e| e.to_string())
            }
        };
        r.map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The pipeline the cases are read with; `include` is relative to its folder.
pub const PIPELINE: &str = r#"name = "layouts"
title = "版式测试"

[inputs]
include = ["cases/**/*.xlsx", "cases/**/*.xls", "cases/**/*.ods"]
wide_tables = false

[output]
dir = "out"
formats = ["csv"]
chart_scale = 0.5

[datasets.proj]
title = "项目"
money_unit = "万元"
identify = ["name", "total"]

[[datasets.proj.fields]]
name = "name"
kind = "text"
synonyms = ["项目名称", "建设项目名称", "项目"]
required = true

[[datasets.proj.fields]]
name = "kind"
kind = "text"
synonyms = ["建设性质", "项目类别", "类别"]

[[datasets.proj.fields]]
name = "total"
kind = "money"
synonyms = ["总投资", "计划总投资"]

[[datasets.proj.fields]]
name = "done"
kind = "money"
synonyms = ["完成投资", "完成投资额"]

[[datasets.proj.fields]]
name = "households"
kind = "count"
synonyms = ["户数", "带动户数", "发放情况户数"]

[[datasets.proj.fields]]
name = "applied"
kind = "count"
synonyms = ["申请情况户数"]

[[tables]]
name = "by_kind"
title = "分类别项目情况"
dataset = "proj"
by = ["kind"]
measures = [
  { name = "项目个数", op = "count" },
  { name = "总投资", op = "sum", field = "total" },
  { name = "完成投资", op = "sum", field = "done" },
  { name = "户数", op = "sum", field = "households" },
]
"#;

/// Fen in one unit.
fn fen_per(unit: &str) -> i64 {
    match unit {
        "元" => 100,
        "千元" => 100_000,
        "亿元" => 10_000_000_000,
        _ => 1_000_000,
    }
}

struct G<'a> {
    rng: Rng,
    space: &'a Space,
    used: Vec<&'static str>,
    /// How this case writes numbers, drawn once per case.
    num: NumStyle,
}

#[derive(Default)]
struct NumStyle {
    text: bool,
    fullwidth: bool,
    dashes: bool,
    exotic: bool,
}

impl G<'_> {
    fn below(&mut self, n: usize) -> usize {
        self.rng.index(n)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.rng.below(100) < percent
    }
    fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.below(items.len())]
    }
    /// Whether a case uses `dim`: on in the space, then drawn with `percent`.
    fn on(&mut self, dim: &'static str, percent: u64) -> bool {
        let enabled = self.space.get(dim).unwrap_or(false);
        // Always draw, so that switching one dimension off leaves the others' draws alone.
        let drawn = self.chance(percent);
        if enabled && drawn {
            if !self.used.contains(&dim) {
                self.used.push(dim);
            }
            true
        } else {
            false
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Col {
    Seq,
    Name,
    Kind,
    Year,
    Month,
    Total,
    PrevDone,
    Done,
    Rate,
    Households,
    Applied,
    Quarter(u8),
    Phone,
    Remark,
}

/// `k` hundredths as decimal text, without trailing zero decimals.
fn decimal(k: i64) -> String {
    let a = k.unsigned_abs();
    let sign = if k < 0 { "-" } else { "" };
    match a % 100 {
        0 => format!("{sign}{}", a / 100),
        f if f % 10 == 0 => format!("{sign}{}.{}", a / 100, f / 10),
        f => format!("{sign}{}.{f:02}", a / 100),
    }
}

fn thousands(int: &str, sep: char) -> String {
    let digits: Vec<char> = int.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(*c);
    }
    out
}

fn fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c),
            '.' => '．',
            ',' => '，',
            _ => c,
        })
        .collect()
}

/// A non-negative amount of `k` hundredths of the column's unit, written some way.
fn amount_cell(g: &mut G, k: i64, unit: &str) -> Cell {
    let text = decimal(k.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), format!(".{f}")),
        None => (text.clone(), String::new()),
    };
    let mut forms: Vec<String> = Vec::new();
    if g.num.text && g.chance(60) {
        forms.push(text.clone());
        forms.push(format!("{}{frac}", thousands(&int, ',')));
        forms.push(format!("\u{a0}{text}\u{3000}"));
        forms.push(format!(" {text} "));
        forms.push(format!("{text}{unit}"));
    }
    if g.num.fullwidth && g.chance(40) {
        forms.push(fullwidth(&text));
        forms.push(fullwidth(&format!("{}{frac}", thousands(&int, ','))));
        forms.push(format!("{}{frac}", thousands(&int, '，')));
    }
    if forms.is_empty() {
        return Cell::Number(k as f64 / 100.0);
    }
    Cell::Text(g.pick(&forms).clone())
}

/// A money cell of `k` hundredths (any sign) of `unit`.
fn money_cell(g: &mut G, k: i64, unit: &str) -> Cell {
    if k == 0 && g.num.dashes {
        let d = ["-", "—", "——", "－", "–", ""];
        let t = *g.pick(&d);
        return Cell::Text(t.to_string());
    }
    if k >= 0 {
        return amount_cell(g, k, unit);
    }
    let a = decimal(-k);
    let mut forms = vec![
        format!("-{a}"),
        format!("({a})"),
        format!("（{a}）"),
        format!("－{a}"),
    ];
    if g.num.exotic && g.chance(50) {
        forms = vec![format!("−{a}"), format!("△{a}")];
    }
    if g.chance(30) {
        return Cell::Number(k as f64 / 100.0);
    }
    Cell::Text(g.pick(&forms).clone())
}

fn count_cell(g: &mut G, n: i64) -> Cell {
    if n == 0 && g.num.dashes {
        return Cell::Text(g.pick(&["-", "—", ""]).to_string());
    }
    let t = n.to_string();
    let mut forms = Vec::new();
    if g.num.text && g.chance(50) {
        forms.push(t.clone());
        forms.push(format!("{t}户"));
        forms.push(format!("\u{3000}{t}"));
    }
    if g.num.fullwidth && g.chance(30) {
        forms.push(fullwidth(&t));
    }
    if forms.is_empty() {
        return Cell::Number(n as f64);
    }
    Cell::Text(g.pick(&forms).clone())
}

const SHORT_KINDS: [&str; 4] = ["新建", "续建", "改扩建", "技改"];
const LONG_KINDS: [&str; 4] = [
    "创业担保贷款贴息",
    "政策奖励资金",
    "城市更新改造项目",
    "产业园区基础设施配套",
];
const PLACES: [&str; 8] = [
    "长春",
    "东盛",
    "吉林",
    "荣光",
    "远达",
    "八里堡",
    "英俊",
    "三道",
];
const THINGS: [&str; 8] = [
    "物流园区",
    "智能制造基地",
    "老旧小区改造",
    "污水处理厂",
    "商业综合体",
    "供热管网",
    "农产品加工",
    "数据中心",
];

/// One planned body row.
enum Body {
    Data(usize),
    Blank,
    Total {
        label: String,
        rows: Vec<usize>,
        grand: bool,
    },
    Breakdown {
        label: String,
        rows: Vec<usize>,
    },
    Note(String),
}

struct Planned {
    name: String,
    kind: usize,
    /// Hundredths of the column's unit.
    total: i64,
    done: i64,
    prev: i64,
    households: i64,
    applied: i64,
    reject: Option<&'static str>,
}

fn col_letter(c: u16) -> String {
    let mut n = c as u32 + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Most cases one yearbook run may hold: any this many consecutive seeds have years of their
/// own.
pub const MAX_GROUP: usize = 45;

/// The year of a case's data: 2000 + 2 × (seed mod 45), so that consecutive seeds have years
/// of their own (a year in the outputs belongs to one case) and a decoy year, the next, to
/// none; a seed drawn alone keeps its year.
pub fn year_of(seed: u64) -> i32 {
    2000 + 2 * (seed % MAX_GROUP as u64) as i32
}

/// Draws the case for `seed`.
pub fn generate(seed: u64, space: &Space) -> Case {
    let year = year_of(seed);
    let mut g = G {
        rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        space,
        used: Vec::new(),
        num: NumStyle::default(),
    };
    for _ in 0..4 {
        g.rng.next();
    }
    // Format.
    let xls = g.on("xls", 30);
    let ods = g.on("ods", 30);
    let format = if xls {
        Format::Xls
    } else if ods {
        Format::Ods
    } else {
        Format::Xlsx
    };

    // Period: where the year is written, and the month.
    let mut sources: Vec<&str> = Vec::new();
    if g.on("year_columns", 25) {
        sources.push("column");
    }
    if g.on("sheet_years", 35) {
        sources.push("sheet");
    }
    let want_titles = g.on("titles", 80);
    if want_titles && g.on("title_years", 50) {
        sources.push("title");
    }
    if g.on("file_years", 50) || sources.is_empty() {
        sources.push("file");
    }
    // The first source in yearbook's order is the one that decides.
    let source = sources[g.below(sources.len())];
    let month_column = source != "column" && g.on("month_columns", 15);
    let month_place = source != "column" || want_titles;
    let month: Option<(u32, bool)> = if month_column {
        Some((1 + g.below(12) as u32, false))
    } else if g.on("months", 40) && month_place {
        let m = 1 + g.below(12) as u32;
        Some((m, g.chance(60)))
    } else {
        None
    };
    // The month is written where the year is (in the title for a year column).
    let month_text = |m: Option<(u32, bool)>, dash: &str| match m {
        Some((m, true)) => format!("1{dash}{m}月"),
        Some((m, false)) => format!("{m}月"),
        None => String::new(),
    };
    let dash = *g.pick(&["-", "—", "-", "至"]);
    let written_month = if month_column { None } else { month };
    let year_text = format!("{year}年{}", month_text(written_month, dash));

    // Groups and rows.
    let long = g.on("long_subtotals", 50);
    let kinds_pool: &[&str] = if long { &LONG_KINDS } else { &SHORT_KINDS };
    let n_kinds = 1 + g.below(3);
    let mut kinds: Vec<String> = Vec::new();
    while kinds.len() < n_kinds {
        let k = g.pick(kinds_pool).to_string();
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    let negatives = g.on("negatives", 30);
    g.num = NumStyle {
        text: g.on("text_numbers", 60),
        fullwidth: g.on("fullwidth_numbers", 40),
        dashes: g.on("dashes", 40),
        exotic: negatives && g.on("exotic_negatives", 60),
    };
    let fullwidth_years = source == "column" && g.on("fullwidth_year_columns", 40);
    let rejects = g.on("rejected_rows", 30);
    let name_decoys = g.on("name_decoys", 30);
    let mut planned: Vec<Planned> = Vec::new();
    let mut names_seen: Vec<String> = Vec::new();
    for (ki, _) in kinds.iter().enumerate() {
        for _ in 0..1 + g.below(5) {
            let mut name = format!("{}{}项目", g.pick(&PLACES), g.pick(&THINGS));
            if name_decoys && g.chance(30) {
                name = match g.below(3) {
                    0 => format!("{}年{name}", year - 5 - g.below(10) as i32),
                    1 => format!("合计划生育服务中心{}", g.pick(&THINGS)),
                    _ => format!("{name}（{}—{}年）", year - 1, year + 2),
                };
            }
            while names_seen.contains(&name) {
                name.push('二');
            }
            names_seen.push(name.clone());
            let total = 100 + g.rng.below(5_000_000) as i64;
            let mut done = if g.chance(10) {
                0
            } else {
                g.rng.below(total as u64) as i64
            };
            if negatives && g.chance(25) {
                done = -(1 + g.rng.below(100_000) as i64);
            }
            let reject =
                (rejects && g.chance(15)).then(|| *g.pick(&["待定", "未填报", "不详", "见附表"]));
            planned.push(Planned {
                name,
                kind: ki,
                total: if reject.is_some() { 0 } else { total },
                done: if reject.is_some() { 0 } else { done },
                prev: g.rng.below(3_000_000) as i64,
                households: if g.chance(10) {
                    0
                } else {
                    g.rng.below(400) as i64
                },
                applied: g.rng.below(500) as i64,
                reject,
            });
        }
    }

    // Columns.
    let decoys = g.on("decoy_columns", 50);
    let joined = g.on("joined_synonyms", 30) && g.space.two_row_headers;
    let two_rows = joined || g.on("two_row_headers", 40);
    let mut cols: Vec<Col> = Vec::new();
    if decoys && g.chance(60) {
        cols.push(Col::Seq);
    }
    if g.chance(20) {
        cols.push(Col::Kind);
        cols.push(Col::Name);
    } else {
        cols.push(Col::Name);
        cols.push(Col::Kind);
    }
    if source == "column" {
        cols.push(Col::Year);
    }
    if month_column {
        cols.push(Col::Month);
    }
    cols.push(Col::Total);
    if decoys && g.chance(40) {
        cols.push(Col::PrevDone);
    }
    cols.push(Col::Done);
    if decoys && g.chance(40) {
        cols.push(Col::Rate);
    }
    if joined {
        cols.push(Col::Applied);
    }
    cols.push(Col::Households);
    if decoys && g.chance(30) {
        for q in 1..=4 {
            cols.push(Col::Quarter(q));
        }
    }
    if decoys && g.chance(40) {
        cols.push(Col::Phone);
    }
    if decoys && g.chance(40) {
        cols.push(Col::Remark);
    }
    let ncols = cols.len() as u16;
    let col_of = |c: Col| cols.iter().position(|x| *x == c).map(|p| p as u16);
    let last_col = ncols - 1;

    // Units: column header, parent header, unit line, dataset default (万元).
    let units = ["元", "千元", "万元", "亿元"];
    let line_unit = g.on("unit_lines", 50).then(|| *g.pick(&units));
    let parent_unit = two_rows && g.on("parent_units", 40);
    let parent_unit_name = parent_unit.then(|| line_unit.unwrap_or(*g.pick(&units)));
    let header_units = g.on("header_units", 40);
    let mut col_unit: BTreeMap<u16, &str> = BTreeMap::new();
    let mut header_unit_text: BTreeMap<u16, &str> = BTreeMap::new();
    for c in [Col::Total, Col::Done, Col::PrevDone] {
        let Some(ci) = col_of(c) else { continue };
        let unit = if header_units && !parent_unit && g.chance(70) {
            let u = *g.pick(&units);
            header_unit_text.insert(ci, u);
            u
        } else if let Some(u) = parent_unit_name {
            u
        } else {
            line_unit.unwrap_or("万元")
        };
        col_unit.insert(ci, unit);
    }

    // Header texts.
    let noise = g.on("header_noise", 40);
    let cumulative_data = matches!(month, Some((_, true)));
    let mut done_cumulative = false;
    let done_text = {
        let base = *g.pick(&["完成投资", "完成投资额"]);
        let mut prefix = String::new();
        if g.on("prefixes", 60) {
            let options: Vec<(String, bool)> = match month {
                Some((m, true)) => vec![
                    (format!("1-{m}月"), true),
                    (format!("1—{m}月"), true),
                    (format!("1至{m}月"), true),
                    (format!("1-{m}月累计"), true),
                    ("本年累计".into(), true),
                    ("累计".into(), true),
                ],
                Some((_, false)) => vec![("本月".into(), false)],
                None => vec![
                    ("本年".into(), false),
                    ("本年累计".into(), true),
                    ("累计".into(), true),
                ],
            };
            let (p, cum) = g.pick(&options).clone();
            prefix = p;
            done_cumulative = cum;
        }
        if cumulative_data && month.map(|m| m.0) == Some(1) && g.on("january_prefixes", 70) {
            prefix = "1月累计".into();
            done_cumulative = true;
        }
        format!("{prefix}{base}")
    };
    let unit_suffix = |g: &mut G, u: &str| -> String {
        if noise {
            g.pick(&[
                format!("（{u}）"),
                format!("({u})"),
                format!("\n（{u}）"),
                format!(" (单位：{u})"),
            ])
            .clone()
        } else {
            format!("（{u}）")
        }
    };
    let spaced = |g: &mut G, t: &str| -> String {
        if noise && g.chance(40) {
            match g.below(3) {
                0 => t
                    .chars()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                1 => {
                    let n = t.chars().count() / 2;
                    let (a, b): (String, String) =
                        (t.chars().take(n).collect(), t.chars().skip(n).collect());
                    format!("{a}\n{b}")
                }
                _ => format!(" {t}\u{3000}"),
            }
        } else {
            t.to_string()
        }
    };
    let name_label = *g.pick(&["项目名称", "建设项目名称", "项目"]);
    let kind_label = *g.pick(&["建设性质", "项目类别", "类别"]);
    let year_label = *g.pick(&["年份", "年度", "统计年度"]);
    let total_label = *g.pick(&["总投资", "计划总投资"]);
    let households_label = *g.pick(&["户数", "带动户数"]);
    let mut header: Vec<String> = Vec::new();
    for (i, c) in cols.iter().enumerate() {
        let ci = i as u16;
        let t = match c {
            Col::Seq => "序号".to_string(),
            Col::Name => spaced(&mut g, name_label),
            Col::Kind => spaced(&mut g, kind_label),
            Col::Year => year_label.to_string(),
            Col::Month => "月份".to_string(),
            Col::Total => spaced(&mut g, total_label),
            Col::PrevDone => "上年完成投资".to_string(),
            Col::Done => spaced(&mut g, &done_text),
            Col::Rate => "完成率".to_string(),
            Col::Households => {
                if joined {
                    "户数".to_string()
                } else {
                    households_label.to_string()
                }
            }
            Col::Applied => "户数".to_string(),
            Col::Quarter(q) => {
                ["一季度", "二季度", "三季度", "四季度"][*q as usize - 1].to_string()
            }
            Col::Phone => "联系电话".to_string(),
            Col::Remark => "备注".to_string(),
        };
        let t = match header_unit_text.get(&ci) {
            Some(u) => format!("{t}{}", unit_suffix(&mut g, u)),
            None => t,
        };
        header.push(t);
    }

    // Title lines: (cells, merged across the table).
    let mut title_lines: Vec<(Vec<(u16, String)>, bool)> = Vec::new();
    let merged_titles = g.on("merged_titles", 50);
    let mut unit_placed = false;
    if want_titles {
        let subject = *g.pick(&["重点项目建设情况表", "固定资产投资项目台账", "项目推进情况"]);
        let district = *g.pick(&["二道区", "某区", ""]);
        let title = if source == "title" || (source == "column" && written_month.is_some()) {
            format!("{district}{year_text}{subject}")
        } else if source == "sheet" && g.chance(30) {
            // Agrees with the sheet name.
            format!("{district}{year_text}{subject}")
        } else {
            format!("{district}{subject}")
        };
        title_lines.push((vec![(0, title)], merged_titles));
        if g.on("filler_lines", 50) {
            let mut cells = vec![(0, "填报单位：二道区发展和改革局".to_string())];
            if let Some(u) = line_unit {
                if g.chance(50) && last_col > 0 {
                    cells.push((last_col, format!("单位：{u}")));
                    unit_placed = true;
                }
            }
            title_lines.push((cells, false));
        }
    }
    if let Some(u) = line_unit {
        if !unit_placed {
            let text = if g.on("unit_line_lists", 40) {
                format!("单位：{u}、户、笔")
            } else {
                g.pick(&[
                    format!("单位：{u}"),
                    format!("单位:{u}"),
                    format!("（单位：{u}）"),
                    format!("金额单位：{u}"),
                    format!("单位： {u}"),
                ])
                .clone()
            };
            let c = if g.chance(50) { 0 } else { last_col };
            title_lines.push((vec![(c, text)], false));
        }
    }
    if want_titles && g.on("dated_lines", 40) {
        let later = format!("{}年1月{}日", year + 1, 5 + g.below(20));
        let text = if g.chance(50) {
            format!("填报日期：{later}")
        } else {
            format!("数据截至{later}")
        };
        let c = if g.chance(50) { 0 } else { last_col };
        let at = g.below(title_lines.len() + 1);
        title_lines.insert(at, (vec![(c, text)], false));
    }

    // Body plan.
    let grand = g.on("grand_totals", 50);
    let count_total = g.on("count_totals", 20);
    let subtotals = long || g.on("subtotals", 40);
    let breakdown = grand && kinds.len() > 1 && g.on("breakdowns", 40);
    let blanks = g.on("blank_rows", 30);
    let all: Vec<usize> = (0..planned.len()).collect();
    let grand_label = |g: &mut G| -> String {
        let labels = [
            "合计".to_string(),
            "总计".to_string(),
            "合\u{3000}计".to_string(),
            format!("合计（{}个）", planned.len()),
        ];
        g.pick(&labels).clone()
    };
    let breakdown_rows = |kinds: &[String]| -> Vec<Body> {
        kinds
            .iter()
            .enumerate()
            .map(|(ki, k)| Body::Breakdown {
                label: if ki == 0 {
                    format!("其中：{k}")
                } else {
                    format!("\u{3000}\u{3000}{k}")
                },
                rows: planned
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.kind == ki)
                    .map(|(i, _)| i)
                    .collect(),
            })
            .collect()
    };
    let mut body: Vec<Body> = Vec::new();
    let (top, bottom) = if grand {
        match g.below(3) {
            0 => (true, false),
            1 => (false, true),
            _ => (true, true),
        }
    } else {
        (false, false)
    };
    let breakdown_at_top = breakdown && (top && (!bottom || g.chance(50)));
    if top {
        let label = grand_label(&mut g);
        body.push(Body::Total {
            label,
            rows: all.clone(),
            grand: true,
        });
        if breakdown_at_top {
            body.extend(breakdown_rows(&kinds));
        }
    }
    if count_total && !top {
        body.push(Body::Total {
            label: format!("共{}个项目", planned.len()),
            rows: all.clone(),
            grand: true,
        });
    }
    for (ki, k) in kinds.iter().enumerate() {
        for (i, p) in planned.iter().enumerate() {
            if p.kind != ki {
                continue;
            }
            if blanks && g.chance(20) {
                body.push(Body::Blank);
            }
            body.push(Body::Data(i));
        }
        if subtotals {
            let label = if long || g.chance(50) {
                format!("{k}小计")
            } else {
                "小计".to_string()
            };
            let rows = planned
                .iter()
                .enumerate()
                .filter(|(_, p)| p.kind == ki)
                .map(|(i, _)| i)
                .collect();
            body.push(Body::Total {
                label,
                rows,
                grand: false,
            });
        }
    }
    if bottom {
        let label = grand_label(&mut g);
        body.push(Body::Total {
            label,
            rows: all.clone(),
            grand: true,
        });
        if breakdown && !breakdown_at_top {
            body.extend(breakdown_rows(&kinds));
        }
    }
    if g.on("footnotes", 40) {
        if blanks && g.chance(50) {
            body.push(Body::Blank);
        }
        let notes = [
            format!("注：本表数据截至{}年1月{}日。", year + 1, 3 + g.below(20)),
            "填报人：张三".to_string(),
            "数据来源：区发展和改革局".to_string(),
        ];
        for n in notes.iter().take(1 + g.below(3)) {
            body.push(Body::Note(n.clone()));
        }
    }

    // Sheet name and file name.
    let sheet_name = if source == "sheet" {
        g.pick(&[
            year_text.clone(),
            format!("{year_text}项目"),
            format!("项目{year}"),
        ])
        .clone()
    } else {
        g.pick(&["重点项目", "Sheet1", "项目表", "台账"])
            .to_string()
    };
    let sheet_name =
        if source == "sheet" && sheet_name == format!("项目{year}") && written_month.is_some() {
            year_text.clone()
        } else {
            sheet_name
        };
    let stem = if source == "file" {
        match (written_month, g.below(3)) {
            (Some(_), _) | (None, 0) => format!("{year_text}投资"),
            (None, 1) => format!("投资_{year}"),
            _ => format!("{year}年重点项目"),
        }
    } else if source == "title" && g.chance(30) {
        // Agrees with the title.
        format!("{year}年投资")
    } else {
        g.pick(&["重点项目", "投资项目台账", "项目清单"])
            .to_string()
    };
    let file_name = format!("{stem}.{}", format.ext());

    // Lay the sheet out.
    let mut sheet = Sheet::new(&sheet_name);
    let formulas = g.on("formulas", 60);
    let mut r: u32 = 0;
    let mut skipped: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (cells, merged) in &title_lines {
        for (c, t) in cells {
            sheet.text(r, *c, t);
        }
        if *merged && last_col > 0 {
            sheet.merges.push((r, 0, r, last_col));
        }
        r += 1;
    }
    *skipped.entry("title").or_default() += title_lines.len() as u64;
    if two_rows {
        // Parents over the money columns (contiguous: Total, PrevDone, Done).
        let parent = match parent_unit_name {
            Some(u) => format!(
                "{}{}",
                g.pick(&["投资额", "投资情况"]),
                unit_suffix(&mut g, u)
            ),
            None => g.pick(&["投资额", "投资情况", "投资完成情况"]).to_string(),
        };
        let money: Vec<u16> = [Col::Total, Col::PrevDone, Col::Done]
            .iter()
            .filter_map(|c| col_of(*c))
            .collect();
        let repeat = g.chance(30);
        // Unless the space allows a top row of parents alone, the name's label sits in the
        // top row, so that only the pair of rows names every identifying field.
        let parent_only = g.on("parent_only_headers", 30);
        for (i, c) in cols.iter().enumerate() {
            let ci = i as u16;
            let text = &header[i];
            match c {
                Col::Total | Col::PrevDone | Col::Done => {
                    if repeat || ci == money[0] {
                        sheet.text(r, ci, &parent);
                    }
                    sheet.text(r + 1, ci, text);
                }
                Col::Applied | Col::Households if joined => {
                    let p = if *c == Col::Applied {
                        "申请情况"
                    } else {
                        "发放情况"
                    };
                    sheet.text(r, ci, p);
                    sheet.text(r + 1, ci, text);
                }
                _ => match if parent_only {
                    2
                } else if *c == Col::Name {
                    g.below(2)
                } else {
                    g.below(3)
                } {
                    0 => sheet.text(r, ci, text),
                    1 => {
                        sheet.text(r, ci, text);
                        sheet.merges.push((r, ci, r + 1, ci));
                    }
                    _ => sheet.text(r + 1, ci, text),
                },
            }
        }
        if !repeat && money.len() > 1 {
            sheet.merges.push((r, money[0], r, money[money.len() - 1]));
        }
        r += 2;
        skipped.insert("header", 2);
    } else {
        for (i, t) in header.iter().enumerate() {
            sheet.text(r, i as u16, t);
        }
        r += 1;
        skipped.insert("header", 1);
    }

    let mut kept: Vec<Row> = Vec::new();
    let mut rejected = 0u64;
    let unit_of = |ci: Option<u16>| ci.and_then(|c| col_unit.get(&c).copied()).unwrap_or("万元");
    let fen = |k: i64, unit: &str| k * (fen_per(unit) / 100);
    let sum_rows = |rows: &[usize], f: &dyn Fn(&Planned) -> i64| -> i64 {
        rows.iter().map(|&i| f(&planned[i])).sum()
    };
    let mut data_rows_at: BTreeMap<usize, u32> = BTreeMap::new();
    // First pass for data row positions (formulas name them).
    {
        let mut rr = r;
        for b in &body {
            if let Body::Data(i) = b {
                data_rows_at.insert(*i, rr);
            }
            rr += 1;
        }
    }
    let phone = |g: &mut G| -> f64 {
        if g.chance(50) {
            (80_000_000 + g.rng.below(9_999_999)) as f64
        } else {
            (13_000_000_000u64 + g.rng.below(999_999_999)) as f64
        }
    };
    for b in &body {
        match b {
            Body::Blank => {
                *skipped.entry("blank").or_default() += 1;
            }
            Body::Note(t) => {
                sheet.text(r, 0, t);
                *skipped.entry("note").or_default() += 1;
            }
            Body::Data(i) => {
                let p = &planned[*i];
                for (ci, c) in cols.iter().enumerate() {
                    let ci = ci as u16;
                    let cell = match c {
                        Col::Seq => Some(Cell::Number((*i + 1) as f64)),
                        Col::Name => Some(Cell::Text(p.name.clone())),
                        Col::Kind => Some(Cell::Text(kinds[p.kind].clone())),
                        Col::Year => {
                            let mut forms = vec![
                                Cell::Number(year as f64),
                                Cell::Text(year.to_string()),
                                Cell::Text(format!("{year}年")),
                                Cell::Text(format!(" {year}\u{3000}")),
                            ];
                            if fullwidth_years {
                                forms = vec![
                                    Cell::Text(fullwidth(&year.to_string())),
                                    Cell::Text(format!("{}年", fullwidth(&year.to_string()))),
                                ];
                            }
                            Some(g.pick(&forms).clone())
                        }
                        Col::Month => {
                            let m = month.map(|m| m.0).unwrap_or(1);
                            Some(
                                g.pick(&[Cell::Number(m as f64), Cell::Text(format!("{m}月"))])
                                    .clone(),
                            )
                        }
                        Col::Total => Some(match p.reject {
                            Some(t) => Cell::Text(t.to_string()),
                            None => money_cell(&mut g, p.total, unit_of(Some(ci))),
                        }),
                        Col::Done => Some(match p.reject {
                            Some(_) => Cell::Text("—".into()),
                            None => money_cell(&mut g, p.done, unit_of(Some(ci))),
                        }),
                        Col::PrevDone => Some(Cell::Number(p.prev as f64 / 100.0)),
                        Col::Rate => Some(if g.chance(50) {
                            Cell::Text(format!("{}%", g.below(100)))
                        } else {
                            Cell::Number(g.below(100) as f64 / 100.0)
                        }),
                        Col::Households => Some(count_cell(&mut g, p.households)),
                        Col::Applied => Some(count_cell(&mut g, p.applied)),
                        Col::Quarter(q) => {
                            Some(Cell::Number((p.prev / 4 + *q as i64) as f64 / 100.0))
                        }
                        Col::Phone => Some(Cell::Number(phone(&mut g))),
                        Col::Remark => {
                            let t = *g.pick(&["", "已开工", "前期手续办理中", "拟竣工"]);
                            (!t.is_empty()).then(|| Cell::Text(t.to_string()))
                        }
                    };
                    if let Some(cell) = cell {
                        if cell != Cell::Text(String::new()) {
                            sheet.cells.insert((r, ci), cell);
                        }
                    }
                }
                if p.reject.is_some() {
                    rejected += 1;
                } else {
                    kept.push(Row {
                        row: r,
                        name: p.name.clone(),
                        kind: kinds[p.kind].clone(),
                        total: fen(p.total, unit_of(col_of(Col::Total))),
                        done: fen(p.done, unit_of(col_of(Col::Done))),
                        households: p.households,
                        applied: joined.then_some(p.applied),
                    });
                }
            }
            Body::Total { .. } | Body::Breakdown { .. } => {
                let (label, rows, is_total, is_grand) = match b {
                    Body::Total { label, rows, grand } => (label, rows, true, *grand),
                    Body::Breakdown { label, rows } => (label, rows, false, false),
                    _ => continue,
                };
                let label_col = col_of(Col::Name).unwrap_or(0);
                sheet.text(r, label_col, label);
                let sums: Vec<(Col, i64)> = vec![
                    (Col::Total, sum_rows(rows, &|p| p.total)),
                    (Col::Done, sum_rows(rows, &|p| p.done)),
                    (Col::PrevDone, sum_rows(rows, &|p| p.prev)),
                    (Col::Households, sum_rows(rows, &|p| p.households)),
                    (Col::Applied, sum_rows(rows, &|p| p.applied)),
                ];
                for (c, v) in sums {
                    let Some(ci) = col_of(c) else { continue };
                    let value = match c {
                        Col::Households | Col::Applied => v as f64,
                        _ => v as f64 / 100.0,
                    };
                    sheet.num(r, ci, value);
                    if formulas && is_total {
                        let first = rows.iter().filter_map(|i| data_rows_at.get(i)).min();
                        let last = rows.iter().filter_map(|i| data_rows_at.get(i)).max();
                        if let (Some(a), Some(z)) = (first, last) {
                            let l = col_letter(ci);
                            let f = if is_grand && subtotals {
                                format!("SUBTOTAL(9,{l}{}:{l}{})", a + 1, z + 1)
                            } else {
                                format!("SUM({l}{}:{l}{})", a + 1, z + 1)
                            };
                            sheet.formulas.insert((r, ci), f);
                        }
                    }
                }
                *skipped
                    .entry(if is_total { "total" } else { "breakdown" })
                    .or_default() += 1;
            }
        }
        r += 1;
    }

    // Other sheets.
    let mut sheets = vec![sheet];
    if g.on("hidden_sheets", 30) {
        let mut copy = sheets[0].clone();
        copy.name = g.pick(&["备份", "Sheet2", "原始数据"]).to_string();
        copy.hidden = true;
        copy.very_hidden = format != Format::Ods && g.chance(50);
        let at = g.below(2);
        sheets.insert(at, copy);
    }
    let mut no_table = Vec::new();
    if g.on("unrelated_sheets", 30) {
        match g.below(3) {
            0 => {
                let mut s = Sheet::new("填表说明");
                s.text(0, 0, "填表说明");
                s.text(1, 0, "1. 项目名称填写全称，金额保留两位小数。");
                s.text(2, 0, "2. 本表于每月5日前报送。");
                no_table.push(s.name.clone());
                sheets.push(s);
            }
            1 => {
                let mut s = Sheet::new("联系人");
                s.text(0, 0, "姓名");
                s.text(0, 1, "联系电话");
                s.text(1, 0, "张三");
                s.num(1, 1, 13_912_345_678.0);
                s.text(2, 0, "李四");
                s.num(2, 1, 84_612_345.0);
                no_table.push(s.name.clone());
                let at = g.below(sheets.len() + 1);
                sheets.insert(at, s);
            }
            _ => {
                // The empty sheet a new workbook comes with.
                sheets.push(Sheet::new("Sheet3"));
            }
        }
    }
    let truth = Truth {
        sheet: sheet_name,
        year,
        year_column: source == "column",
        month: month.map(|m| m.0),
        month_column,
        cumulative: cumulative_data || done_cumulative,
        kept,
        rejected,
        skipped: skipped.into_iter().filter(|(_, n)| *n > 0).collect(),
        other_sheets: sheets.iter().map(|s| s.name.clone()).collect(),
        no_table,
    };
    let mut truth = truth;
    truth.other_sheets.retain(|s| *s != truth.sheet);
    Case {
        seed,
        format,
        file_name,
        book: Book { sheets },
        truth,
        used: g.used,
    }
}
