//! Writes the sample workbooks of 长春市二道区, 2018–2022:
//!
//! ```sh
//! cargo run --example make_sample_data            # into sample-data/
//! cargo run --example make_sample_data -- DIR     # into DIR
//! ```
//!
//! The 2022 workbooks reproduce the district's published 2022 figures exactly (see
//! sample-data/README.md); 2018–2021 are synthetic. The output is deterministic: synthetic
//! numbers come from a fixed-seed PRNG written below, and the xlsx document properties carry a
//! fixed creation date, so two runs write byte-identical files.
//!
//! One function per workbook family. Each lays its data out the way bureau workbooks do (title
//! rows, a 单位 line, one- or two-row headers, 合计/小计/其中 rows, footnotes, a hidden scratch
//! sheet, numbers typed as text), so that the sample exercises the tool's ingestion rules.

#[path = "../shared/sheets/mod.rs"]
mod sheets;

use sheets::{book, ods, xls};

use book::{Book, Cell, Sheet};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};
use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::{Path, PathBuf};

type Res<T = ()> = Result<T, Box<dyn Error>>;

fn main() -> Res {
    let root = match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data"),
    };
    let mut out = Out { root, count: 0 };
    investment(&mut out)?;
    funds(&mut out)?;
    subsidy(&mut out)?;
    financing(&mut out)?;
    tax_relief(&mut out)?;
    tax_service(&mut out)?;
    services(&mut out)?;
    portal(&mut out)?;
    println!("wrote {} workbooks under {}", out.count, out.root.display());
    Ok(())
}

// =============================================================================================
// Output

/// Where workbooks go; the format follows the file extension.
struct Out {
    root: PathBuf,
    count: usize,
}

impl Out {
    fn save(&mut self, rel: &str, doc: Doc) -> Res {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("xlsx") => write_xlsx(&doc, &path)?,
            Some("xls") => xls::write_xls(&doc.book, &path)?,
            Some("ods") => ods::write_ods(&doc.book, &path)?,
            other => return Err(format!("{rel}: unknown workbook extension {other:?}").into()),
        }
        self.count += 1;
        println!("  {rel}");
        Ok(())
    }
}

/// What a row is, for styling the xlsx output only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Title,
    Meta,
    Header,
    Data,
    Total,
    Note,
}

/// A workbook plus the row kinds of each sheet (the neutral [`Book`] has no styles).
#[derive(Default)]
struct Doc {
    book: Book,
    kinds: Vec<BTreeMap<u32, Kind>>,
}

fn doc(tables: Vec<Table>) -> Doc {
    let mut d = Doc::default();
    for t in tables {
        d.book.sheets.push(t.sheet);
        d.kinds.push(t.kinds);
    }
    d
}

fn write_xlsx(doc: &Doc, path: &Path) -> Res {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2023, 1, 10)?.and_hms(9, 0, 0)?;
    let props = DocProperties::new()
        .set_author("二道区统计局")
        .set_company("长春市二道区统计局")
        .set_comment("yearbook sample data (make_sample_data)")
        .set_creation_datetime(&created);
    wb.set_properties(&props);

    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let meta = Format::new();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color(0xDDEBF7);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let total = Format::new().set_border(FormatBorder::Thin).set_bold();
    let note = Format::new().set_align(FormatAlign::Left);
    let date = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("yyyy-mm-dd");
    let style = |k: Kind| match k {
        Kind::Title => &title,
        Kind::Meta => &meta,
        Kind::Header => &header,
        Kind::Data => &cell,
        Kind::Total => &total,
        Kind::Note => &note,
    };

    for (sheet, kinds) in doc.book.sheets.iter().zip(&doc.kinds) {
        let kind_of = |r: u32| kinds.get(&r).copied().unwrap_or(Kind::Data);
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name)?;
        for (col, width) in column_widths(sheet, kinds) {
            ws.set_column_width(col, width)?;
        }
        for (&r, &k) in kinds {
            if k == Kind::Title {
                ws.set_row_height(r, 30)?;
            }
        }
        let mut merged_text = BTreeSet::new();
        for &(r0, c0, r1, c1) in &sheet.merges {
            let text = match sheet.cells.get(&(r0, c0)) {
                Some(Cell::Text(s)) => {
                    merged_text.insert((r0, c0));
                    s.as_str()
                }
                _ => "",
            };
            ws.merge_range(r0, c0, r1, c1, text, style(kind_of(r0)))?;
        }
        for (&(r, c), value) in &sheet.cells {
            if merged_text.contains(&(r, c)) {
                continue;
            }
            let f = style(kind_of(r));
            match value {
                Cell::Text(s) => {
                    ws.write_string_with_format(r, c, s, f)?;
                }
                Cell::Number(x) => {
                    ws.write_number_with_format(r, c, *x, f)?;
                }
                Cell::Date { year, month, day } => {
                    let dt = ExcelDateTime::from_ymd(
                        u16::try_from(*year)?,
                        u8::try_from(*month)?,
                        u8::try_from(*day)?,
                    )?;
                    ws.write_datetime_with_format(r, c, &dt, &date)?;
                }
            }
        }
        if sheet.hidden {
            ws.set_hidden(true);
        }
    }
    wb.save(path)?;
    Ok(())
}

/// Column widths from the widest header or data cell (CJK characters count double).
fn column_widths(sheet: &Sheet, kinds: &BTreeMap<u32, Kind>) -> BTreeMap<u16, f64> {
    let mut w: BTreeMap<u16, usize> = BTreeMap::new();
    for (&(r, c), value) in &sheet.cells {
        let k = kinds.get(&r).copied().unwrap_or(Kind::Data);
        if !matches!(k, Kind::Header | Kind::Data | Kind::Total) {
            continue;
        }
        let shown = match value {
            Cell::Text(s) => s.chars().map(|ch| if ch.is_ascii() { 1 } else { 2 }).sum(),
            Cell::Number(x) => format!("{x}").len() + 2,
            Cell::Date { .. } => 10,
        };
        let e = w.entry(c).or_insert(0);
        *e = (*e).max(shown);
    }
    w.into_iter()
        .map(|(c, n)| (c, (n as f64 + 2.0).clamp(6.0, 44.0)))
        .collect()
}

// =============================================================================================
// Sheet building

/// A cell as the family functions write it.
#[derive(Debug, Clone)]
enum V {
    E,
    T(String),
    N(f64),
    D(i32, u32, u32),
}

fn t(s: impl Into<String>) -> V {
    V::T(s.into())
}

fn int(x: i64) -> V {
    V::N(x as f64)
}

/// Hundredths of the shown unit (0.01 万元, 0.01 元 …) as a number cell.
fn money(cents: i64) -> V {
    V::N(cents as f64 / 100.0)
}

/// The same amount typed as text, the way hand-kept sheets do: "1,837.00".
fn money_text(cents: i64) -> V {
    V::T(thousands(cents))
}

fn thousands(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let (whole, frac) = (cents.abs() / 100, cents.abs() % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{frac:02}")
}

/// ASCII digits as full-width digits (０-９), as some input methods type them.
fn fullwidth(s: &str) -> String {
    s.chars()
        .map(|ch| match ch.to_digit(10) {
            Some(d) if ch.is_ascii_digit() => char::from_u32(0xFF10 + d).unwrap_or(ch),
            _ => ch,
        })
        .collect()
}

fn ymd(y: i32, m: u32, d: u32) -> V {
    V::D(y, m, d)
}

/// A header cell: a single title (merged over both rows of a two-row header), or a parent
/// merged over its children.
enum H<'a> {
    One(&'a str),
    Group(&'a str, &'a [&'a str]),
}

/// One table on one sheet, written top to bottom.
struct Table {
    sheet: Sheet,
    kinds: BTreeMap<u32, Kind>,
    row: u32,
    ncols: u16,
}

impl Table {
    fn new(name: &str, ncols: u16) -> Table {
        Table {
            sheet: Sheet::new(name),
            kinds: BTreeMap::new(),
            row: 0,
            ncols,
        }
    }

    fn hidden(mut self) -> Table {
        self.sheet.hidden = true;
        self
    }

    /// A line merged across the table: the title, or a footnote.
    fn merged(&mut self, text: &str, kind: Kind) {
        self.sheet.text(self.row, 0, text);
        if self.ncols > 1 {
            self.sheet
                .merges
                .push((self.row, 0, self.row, self.ncols - 1));
        }
        self.kinds.insert(self.row, kind);
        self.row += 1;
    }

    fn title(&mut self, text: &str) {
        self.merged(text, Kind::Title);
    }

    fn note(&mut self, text: &str) {
        self.merged(text, Kind::Note);
    }

    /// The line between title and header: text on the left and/or the 单位 text on the right.
    fn meta(&mut self, left: &str, right: &str) {
        if !left.is_empty() {
            self.sheet.text(self.row, 0, left);
        }
        if !right.is_empty() {
            self.sheet.text(self.row, self.ncols - 1, right);
        }
        self.kinds.insert(self.row, Kind::Meta);
        self.row += 1;
    }

    fn header(&mut self, cols: &[&str]) {
        for (c, h) in cols.iter().enumerate() {
            self.sheet.text(self.row, c as u16, h);
        }
        self.kinds.insert(self.row, Kind::Header);
        self.row += 1;
    }

    /// Two header rows: single titles merged vertically, groups merged across their children.
    fn header2(&mut self, cols: &[H]) {
        let (r, mut c) = (self.row, 0u16);
        for h in cols {
            match h {
                H::One(text) => {
                    self.sheet.text(r, c, text);
                    self.sheet.merges.push((r, c, r + 1, c));
                    c += 1;
                }
                H::Group(parent, children) => {
                    self.sheet.text(r, c, parent);
                    let last = c + children.len() as u16 - 1;
                    if last > c {
                        self.sheet.merges.push((r, c, r, last));
                    }
                    for (i, child) in children.iter().enumerate() {
                        self.sheet.text(r + 1, c + i as u16, child);
                    }
                    c = last + 1;
                }
            }
        }
        self.kinds.insert(r, Kind::Header);
        self.kinds.insert(r + 1, Kind::Header);
        self.row += 2;
    }

    fn put(&mut self, cells: Vec<V>, kind: Kind) {
        for (c, v) in cells.into_iter().enumerate() {
            let c = c as u16;
            match v {
                V::E => {}
                V::T(s) => self.sheet.text(self.row, c, &s),
                V::N(x) => self.sheet.num(self.row, c, x),
                V::D(year, month, day) => {
                    self.sheet
                        .cells
                        .insert((self.row, c), Cell::Date { year, month, day });
                }
            }
        }
        self.kinds.insert(self.row, kind);
        self.row += 1;
    }

    fn row(&mut self, cells: Vec<V>) {
        self.put(cells, Kind::Data);
    }

    /// 合计, 小计 and 其中 rows (skipped by the tool; styled bold here).
    fn total(&mut self, cells: Vec<V>) {
        self.put(cells, Kind::Total);
    }
}

// =============================================================================================
// Deterministic randomness

/// splitmix64; each family seeds its own stream from its name, so that changing one family
/// leaves the numbers of the others unchanged.
struct Rng(u64);

impl Rng {
    fn new(label: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in label.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h ^ 0x2022_0A11_C0DE_5EED)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in lo..=hi.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }

    /// A date in `year`, months lo..=hi.
    fn date(&mut self, year: i32, lo: u32, hi: u32) -> (i32, u32, u32) {
        (
            year,
            self.range(lo as i64, hi as i64) as u32,
            self.range(1, 28) as u32,
        )
    }
}

/// `n` positive parts summing exactly to `total`, proportional to random weights in lo..=hi.
fn split(rng: &mut Rng, total: i64, n: usize, lo: i64, hi: i64) -> Vec<i64> {
    let w: Vec<i128> = (0..n).map(|_| rng.range(lo, hi) as i128).collect();
    let sw: i128 = w.iter().sum();
    let mut parts: Vec<i64> = w.iter().map(|x| (total as i128 * x / sw) as i64).collect();
    let mut rest = total - parts.iter().sum::<i64>();
    let mut i = 0;
    while rest > 0 {
        parts[i % n] += 1;
        rest -= 1;
        i += 1;
    }
    parts
}

// =============================================================================================
// Names

const STREETS: [&str; 10] = [
    "东盛街道",
    "吉林街道",
    "荣光街道",
    "东站街道",
    "远达街道",
    "八里堡街道",
    "长青街道",
    "鉴湖街道",
    "劝农山镇",
    "泉眼镇",
];

const PLACES: [&str; 20] = [
    "东盛",
    "吉林路",
    "荣光",
    "东站",
    "远达",
    "八里堡",
    "长青",
    "鉴湖",
    "劝农山",
    "泉眼",
    "英俊",
    "东方广场",
    "东环城路",
    "临河",
    "亚泰大街",
    "远达大街",
    "公平路",
    "吉林大路",
    "东荣大路",
    "自由大路",
];

/// Kinds of project and their industry.
const PROJECT_KINDS: [(&str, &str); 20] = [
    ("棚户区改造项目", "城市更新"),
    ("商业综合体项目", "商贸服务"),
    ("供热管网改造工程", "基础设施"),
    ("道路提升改造工程", "基础设施"),
    ("九年一贯制学校建设项目", "社会事业"),
    ("社区养老服务中心项目", "社会事业"),
    ("冷链物流园项目", "现代服务业"),
    ("住宅小区开发项目", "房地产"),
    ("智能制造产业园项目", "工业"),
    ("污水管网改造工程", "基础设施"),
    ("文旅街区改造项目", "现代服务业"),
    ("农贸市场升级改造项目", "商贸服务"),
    ("医养结合中心项目", "社会事业"),
    ("汽车零部件生产基地项目", "工业"),
    ("科技孵化基地项目", "现代服务业"),
    ("城市更新片区项目", "城市更新"),
    ("立体停车场建设项目", "基础设施"),
    ("新能源充电站建设项目", "基础设施"),
    ("生态修复工程", "农林水利"),
    ("现代农业示范园项目", "农林水利"),
];

/// Never-repeating project names with their industry.
struct ProjectNames(Vec<(String, &'static str)>);

impl ProjectNames {
    fn new(rng: &mut Rng) -> ProjectNames {
        let mut all = Vec::new();
        for place in PLACES {
            for (kind, industry) in PROJECT_KINDS {
                all.push((format!("二道区{place}{kind}"), industry));
            }
        }
        rng.shuffle(&mut all);
        ProjectNames(all)
    }

    fn take(&mut self) -> (String, &'static str) {
        self.0
            .pop()
            .unwrap_or_else(|| ("二道区城市基础设施配套项目".to_string(), "基础设施"))
    }
}

const BRANDS: [&str; 40] = [
    "亚隆", "东晟", "华瑞", "鑫达", "恒信", "金宇", "吉星", "长鑫", "博远", "瑞丰", "宏图", "盛世",
    "嘉禾", "永泰", "中衡", "汇通", "启航", "天成", "泰和", "新元", "德润", "凯旋", "正阳", "金诺",
    "鼎盛", "宇通", "华晨", "信诚", "海川", "润泽", "众合", "昌隆", "兴业", "安达", "福源", "景润",
    "弘毅", "锦程", "佳禾", "远航",
];

const TRADES: [&str; 15] = [
    "科技",
    "商贸",
    "建筑工程",
    "物流",
    "机械制造",
    "汽车零部件",
    "食品",
    "医药",
    "餐饮管理",
    "物业服务",
    "信息技术",
    "新材料",
    "装饰工程",
    "农业发展",
    "文化传媒",
];

/// Never-repeating enterprise names (600 per year's stream).
struct Firms(Vec<String>);

impl Firms {
    fn new(rng: &mut Rng) -> Firms {
        let mut all = Vec::new();
        for (i, brand) in BRANDS.iter().enumerate() {
            for (j, trade) in TRADES.iter().enumerate() {
                let (prefix, suffix) = match (i + j) % 5 {
                    0 => ("吉林省", "有限公司"),
                    1 => ("长春", "股份有限公司"),
                    2 => ("长春市", "有限责任公司"),
                    _ => ("长春市", "有限公司"),
                };
                all.push(format!("{prefix}{brand}{trade}{suffix}"));
            }
        }
        rng.shuffle(&mut all);
        Firms(all)
    }

    fn take(&mut self) -> String {
        self.0
            .pop()
            .unwrap_or_else(|| "长春市二道区个体工商户".to_string())
    }
}

// =============================================================================================
// 1. Investment projects (重点项目建设情况), 2018–2022

#[derive(Debug, Clone)]
struct Project {
    name: String,
    industry: String,
    /// 0.01 万元.
    total: i64,
    start: (i32, u32, u32),
    /// Planned completion (year, month).
    end: (i32, u32),
}

#[derive(Debug, Clone)]
struct ProjectYear {
    p: Project,
    nature: &'static str,
    status: &'static str,
    /// 0.01 万元.
    plan: i64,
    done: i64,
}

/// Projects of 5000万元 and above per year: new, continuing, new ones not yet started, and how
/// many smaller projects the workbook also lists. 2022 is the published 55 = 17 + 38, all started.
const INVESTMENT_PLAN: [(i32, usize, usize, usize, usize); 5] = [
    (2018, 15, 29, 2, 5),
    (2019, 16, 31, 1, 4),
    (2020, 15, 34, 3, 5),
    (2021, 18, 34, 1, 5),
    (2022, 17, 38, 0, 6),
];

fn named(
    name: &str,
    industry: &str,
    total_wan: i64,
    start: (i32, u32, u32),
    end: (i32, u32),
) -> Project {
    Project {
        name: name.to_string(),
        industry: industry.to_string(),
        total: total_wan * 100,
        start,
        end,
    }
}

/// Projects named in the 2022 report, by the year they started.
fn named_projects(year: i32) -> Vec<Project> {
    match year {
        2021 => vec![
            named(
                "二道区中医院迁建项目",
                "社会事业",
                58000,
                (2021, 6, 15),
                (2023, 12),
            ),
            named(
                "二道区妇幼保健院建设项目",
                "社会事业",
                21000,
                (2021, 5, 12),
                (2023, 6),
            ),
            named(
                "二道区新兴建材产业园项目",
                "工业",
                36000,
                (2021, 8, 3),
                (2023, 10),
            ),
        ],
        2022 => vec![
            named(
                "二道区疾病预防控制中心建设项目",
                "社会事业",
                12800,
                (2022, 5, 10),
                (2022, 12),
            ),
            named(
                "长春二道经济开发区新建建材产业园区项目",
                "工业",
                68000,
                (2022, 4, 18),
                (2024, 10),
            ),
            named(
                "长春市新金享冷弯型钢轨道车辆车体新材料智能项目",
                "工业",
                52000,
                (2022, 6, 6),
                (2024, 6),
            ),
            named(
                "长春二道经济开发区智能家居产业园区项目",
                "工业",
                45000,
                (2022, 5, 20),
                (2024, 9),
            ),
            named(
                "长春中拓塑业科技有限公司汽车零部件数字化工厂及研发中心项目",
                "工业",
                30000,
                (2022, 7, 8),
                (2023, 12),
            ),
            named(
                "2022年老旧小区改造配套基础设施项目",
                "城市更新",
                16500,
                (2022, 4, 25),
                (2022, 11),
            ),
        ],
        _ => Vec::new(),
    }
}

/// A total investment of 5000万元 and above, in 0.01 万元.
fn big_total(rng: &mut Rng) -> i64 {
    let r = rng.range(0, 99);
    let hundreds = if r < 50 {
        rng.range(50, 200)
    } else if r < 85 {
        rng.range(200, 600)
    } else {
        rng.range(600, 2000)
    };
    let wan = hundreds * 100 + if rng.chance(20) { 50 } else { 0 };
    wan * 100
}

fn fresh_project(rng: &mut Rng, names: &mut ProjectNames, start_year: i32, total: i64) -> Project {
    let (name, industry) = names.take();
    let start = rng.date(start_year, 3, 9);
    let end = (start_year + rng.range(1, 3) as i32, rng.range(6, 12) as u32);
    Project {
        name,
        industry: industry.to_string(),
        total,
        start,
        end,
    }
}

fn project_year(
    rng: &mut Rng,
    p: Project,
    nature: &'static str,
    status: &'static str,
) -> ProjectYear {
    let plan_wan = (p.total / 100) * rng.range(15, 45) / 100 / 10 * 10;
    let plan = plan_wan.max(100) * 100;
    let done = if status == "未开工" {
        0
    } else {
        plan * rng.range(82, 112) / 100
    };
    ProjectYear {
        p,
        nature,
        status,
        plan,
        done,
    }
}

/// Simulates the project list year by year: continuing projects come from last year's list.
fn simulate_projects(rng: &mut Rng) -> BTreeMap<i32, (Vec<ProjectYear>, Vec<ProjectYear>)> {
    let mut names = ProjectNames::new(rng);
    let carried: Vec<String> = named_projects(2021).into_iter().map(|p| p.name).collect();
    let mut prev: Vec<Project> = Vec::new();
    let mut years = BTreeMap::new();
    for (year, n_new, n_cont, not_started, n_small) in INVESTMENT_PLAN {
        let mut cont: Vec<Project> = if prev.is_empty() {
            (0..n_cont)
                .map(|_| {
                    let total = big_total(rng);
                    let started = year - rng.range(1, 2) as i32;
                    fresh_project(rng, &mut names, started, total)
                })
                .collect()
        } else {
            let mut c = prev.clone();
            rng.shuffle(&mut c);
            // The projects the 2022 report names as continuing must carry over.
            c.sort_by_key(|p| !carried.contains(&p.name));
            c.truncate(n_cont);
            c
        };
        for p in &mut cont {
            if p.end.0 < year {
                p.end = (year, rng.range(9, 12) as u32);
            }
        }
        let mut new = named_projects(year);
        let named_count = new.len();
        while new.len() < n_new {
            // One 2022 project sits exactly on the 5000万元 threshold (`ge 5000` keeps it).
            let total = if year == 2022 && new.len() == named_count {
                5000 * 100
            } else {
                big_total(rng)
            };
            new.push(fresh_project(rng, &mut names, year, total));
        }
        let mut big = Vec::new();
        for (i, p) in new.iter().enumerate() {
            let status = if i >= n_new - not_started {
                "未开工"
            } else {
                "已开工"
            };
            big.push(project_year(rng, p.clone(), "新建", status));
        }
        for p in &cont {
            big.push(project_year(rng, p.clone(), "续建", "已复工"));
        }
        let mut small = Vec::new();
        for i in 0..n_small {
            let total = rng.range(12, 49) * 100 * 100 - if rng.chance(30) { 5000 } else { 0 };
            let p = fresh_project(rng, &mut names, year, total);
            let (nature, status) = match i % 3 {
                0 => ("新建", "未开工"),
                1 => ("新建", "已开工"),
                _ => ("续建", "已复工"),
            };
            small.push(project_year(rng, p, nature, status));
        }
        prev = new.into_iter().chain(cont).collect();
        years.insert(year, (big, small));
    }
    years
}

fn sums(rows: &[&ProjectYear]) -> (i64, i64, i64) {
    rows.iter().fold((0, 0, 0), |(a, b, c), r| {
        (a + r.p.total, b + r.plan, c + r.done)
    })
}

const INVESTMENT_HEADER2: [H<'static>; 9] = [
    H::One("序号"),
    H::One("项目名称"),
    H::One("建设性质"),
    H::One("行业类别"),
    H::Group(
        "投资情况（万元）",
        &["总投资", "本年计划投资", "本年完成投资"],
    ),
    H::One("开复工情况"),
    H::One("开工时间"),
    H::One("计划竣工时间"),
    H::One("备注"),
];

/// The usual 11 columns: 序号 … 备注, dates as date cells.
fn investment_cells(i: usize, r: &ProjectYear, remark: &str) -> Vec<V> {
    let (y, m, d) = r.p.start;
    vec![
        int(i as i64),
        t(&r.p.name),
        t(r.nature),
        t(&r.p.industry),
        money(r.p.total),
        money(r.plan),
        money(r.done),
        t(r.status),
        ymd(y, m, d),
        t(format!("{}年{}月", r.p.end.0, r.p.end.1)),
        if remark.is_empty() { V::E } else { t(remark) },
    ]
}

fn investment_total(label: &str, rows: &[&ProjectYear]) -> Vec<V> {
    let (a, b, c) = sums(rows);
    vec![
        V::E,
        t(label),
        V::E,
        V::E,
        money(a),
        money(b),
        money(c),
        V::E,
        V::E,
        V::E,
        V::E,
    ]
}

fn investment(out: &mut Out) -> Res {
    let mut rng = Rng::new("investment");
    let years = simulate_projects(&mut rng);
    let get = |y: i32| {
        years
            .get(&y)
            .ok_or_else(|| format!("no projects simulated for {y}"))
    };

    // 2018: single-row header with units in the headers, 合计 as the last row.
    {
        let (big, small) = get(2018)?;
        let rows: Vec<&ProjectYear> = big.iter().chain(small).collect();
        let mut s = Table::new("2018年重点项目", 11);
        s.title("二道区2018年重点项目建设情况表");
        s.meta("填报单位：二道区发展和改革局", "单位：万元");
        s.header(&[
            "序号",
            "项目名称",
            "建设性质",
            "所属行业",
            "总投资（万元）",
            "本年计划投资（万元）",
            "本年完成投资（万元）",
            "开复工情况",
            "开工时间",
            "计划竣工时间",
            "备注",
        ]);
        for (i, r) in rows.iter().enumerate() {
            s.row(investment_cells(i + 1, r, ""));
        }
        s.total(investment_total("合计", &rows));
        s.note("注：本表含5000万元以下重点项目。");
        s.note("数据来源：二道区发展和改革局项目调度系统");
        out.save("2018/二道区2018年重点项目建设情况.xlsx", doc(vec![s]))?;
    }

    // 2019: the year only in the file name; other header words; "合  计" first; dates typed as
    // text; a dash and one unverified amount ("待核实", rejected by the tool).
    {
        let (big, small) = get(2019)?;
        let rows: Vec<&ProjectYear> = big.iter().chain(small).collect();
        let mut s = Table::new("重点项目", 10);
        s.title("二道区重点项目建设情况表");
        s.meta("", "单位：万元");
        s.header(&[
            "序号",
            "项目",
            "项目性质",
            "行业",
            "计划总投资",
            "年度计划投资",
            "完成投资",
            "项目状态",
            "开工日期",
            "竣工时间",
        ]);
        let (a, b, c) = sums(&rows);
        s.total(vec![
            V::E,
            t("合  计"),
            V::E,
            V::E,
            money(a),
            money(b),
            money(c),
        ]);
        for (i, r) in rows.iter().enumerate() {
            let (y, m, d) = r.p.start;
            let total = if i % 7 == 3 {
                money_text(r.p.total)
            } else {
                money(r.p.total)
            };
            let plan = if i == 12 { t("—") } else { money(r.plan) };
            let done = if i == 6 {
                t("待核实")
            } else {
                money(r.done)
            };
            s.row(vec![
                int(i as i64 + 1),
                t(&r.p.name),
                t(r.nature),
                t(&r.p.industry),
                total,
                plan,
                done,
                t(r.status),
                t(format!("{y}/{m}/{d}")),
                t(format!("{}年{}月", r.p.end.0, r.p.end.1)),
            ]);
        }
        s.note("填报人：李明　　审核人：王芳　　联系电话：0431-8461XXXX");
        out.save("2019/投资项目_2019.xlsx", doc(vec![s]))?;
    }

    // 2020: legacy .xls, 合计 first, units from the 单位 line.
    {
        let (big, small) = get(2020)?;
        let rows: Vec<&ProjectYear> = big.iter().chain(small).collect();
        let mut s = Table::new("Sheet1", 10);
        s.title("二道区2020年重点项目建设情况");
        s.meta("", "单位：万元");
        s.header(&[
            "序号",
            "项目名称",
            "建设性质",
            "行业类别",
            "总投资",
            "本年计划投资",
            "本年完成投资",
            "开复工情况",
            "开工时间",
            "计划竣工时间",
        ]);
        let mut total = investment_total("合计", &rows);
        total.truncate(10);
        s.total(total);
        for (i, r) in rows.iter().enumerate() {
            let mut cells = investment_cells(i + 1, r, "");
            cells.truncate(10);
            s.row(cells);
        }
        s.note("注：开复工情况截至年末。");
        out.save("2020/二道区2020年重点项目建设情况.xls", doc(vec![s]))?;
    }

    // 2021: two-row header (投资情况 over three amounts), 合计 then a 其中 block.
    {
        let (big, small) = get(2021)?;
        let rows: Vec<&ProjectYear> = big.iter().chain(small).collect();
        let big_rows: Vec<&ProjectYear> = big.iter().collect();
        let small_rows: Vec<&ProjectYear> = small.iter().collect();
        let mut s = Table::new("重点项目", 11);
        s.title("二道区2021年重点项目建设情况表");
        s.meta("", "单位：万元");
        s.header2(&INVESTMENT_HEADER2);
        s.total(investment_total(
            &format!("合计（{}个）", rows.len()),
            &rows,
        ));
        s.total(investment_total(
            &format!("其中：5000万元以上项目（{}个）", big.len()),
            &big_rows,
        ));
        s.total(investment_total(
            &format!("\u{3000}\u{3000}5000万元以下项目（{}个）", small.len()),
            &small_rows,
        ));
        for (i, r) in rows.iter().enumerate() {
            s.row(investment_cells(i + 1, r, ""));
        }
        s.note("注：续建项目开工时间为项目首次开工时间。");
        s.note("数据来源：二道区发展和改革局");
        out.save("2021/二道区2021年重点项目建设情况.xlsx", doc(vec![s]))?;
    }

    // 2022: the published 55 projects (17 新建 + 38 续建, all started) on one sheet, the
    // smaller projects on another.
    {
        let (big, small) = get(2022)?;
        let all: Vec<&ProjectYear> = big.iter().collect();
        let new: Vec<&ProjectYear> = big.iter().filter(|r| r.nature == "新建").collect();
        let cont: Vec<&ProjectYear> = big.iter().filter(|r| r.nature == "续建").collect();
        let mut s = Table::new("5000万元以上项目", 11);
        s.title("二道区2022年5000万元以上重点项目建设情况表");
        s.meta("填报单位：二道区发展和改革局", "单位：万元");
        s.header2(&INVESTMENT_HEADER2);
        s.total(investment_total(&format!("合计（{}个）", all.len()), &all));
        s.total(investment_total(
            &format!("其中：新建项目（{}个）", new.len()),
            &new,
        ));
        s.total(investment_total(
            &format!("\u{3000}\u{3000}续建项目（{}个）", cont.len()),
            &cont,
        ));
        for (i, r) in all.iter().enumerate() {
            let remark = match r.p.name.as_str() {
                "二道区疾病预防控制中心建设项目" => "5月开工，12月竣工",
                "2022年老旧小区改造配套基础设施项目" => "争取中央预算内资金",
                _ => "",
            };
            s.row(investment_cells(i + 1, r, remark));
        }
        s.note("注：1.开复工率=（已开工项目数+已复工项目数）÷计划实施项目数×100%。");
        s.note("2.续建项目开工时间为项目首次开工时间。");
        s.note("数据来源：二道区发展和改革局");

        let small_rows: Vec<&ProjectYear> = small.iter().collect();
        let mut s2 = Table::new("5000万元以下项目", 11);
        s2.title("二道区2022年5000万元以下重点项目建设情况表");
        s2.meta("", "单位：万元");
        s2.header2(&INVESTMENT_HEADER2);
        for (i, r) in small_rows.iter().enumerate() {
            s2.row(investment_cells(i + 1, r, ""));
        }
        s2.total(investment_total("合计", &small_rows));
        out.save("2022/二道区2022年重点项目建设情况.xlsx", doc(vec![s, s2]))?;
    }
    Ok(())
}

// =============================================================================================
// 2. Funds secured (争取资金): special bonds, central and provincial funds, union loans,
//    district rewards. 2020–2022.

/// A special-bond project: batch, project, applied and (if approved) issued, in 0.01 亿元.
type Bond = (&'static str, &'static str, i64, Option<i64>);

/// 2022: 3 batches, 13 projects, 9 approved, 11.73亿元 issued.
const BONDS_2022: [Bond; 13] = [
    ("第一批", "二道区中医院迁建项目", 320, Some(250)),
    ("第一批", "二道区妇幼保健院建设项目", 200, Some(180)),
    (
        "第一批",
        "二道区城市更新（东盛片区）基础设施项目",
        150,
        Some(120),
    ),
    ("第一批", "二道区疾病预防控制中心建设项目", 100, Some(95)),
    ("第一批", "二道区智慧供热管网改造项目", 160, None),
    (
        "第二批",
        "长春二道经济开发区新建建材产业园区项目",
        200,
        Some(168),
    ),
    (
        "第二批",
        "长春二道经济开发区智能家居产业园区项目",
        150,
        Some(110),
    ),
    ("第二批", "二道区新兴建材产业园项目", 120, Some(90)),
    ("第二批", "二道区农贸市场升级改造项目", 80, None),
    ("第三批", "二道区九年一贯制学校建设项目", 100, Some(85)),
    ("第三批", "二道区社区养老服务中心建设项目", 90, Some(75)),
    ("第三批", "二道区污水管网改造工程", 120, None),
    ("第三批", "二道区冷链物流园基础设施项目", 150, None),
];

/// 2022 central and provincial funds: type, project, 万元.
const UPPER_FUNDS_2022: [(&str, &str, i64); 18] = [
    (
        "中央预算内资金",
        "2022年老旧小区改造配套基础设施项目（东盛、荣光片区）",
        2150,
    ),
    (
        "中央预算内资金",
        "2022年老旧小区改造配套基础设施项目（吉林、东站片区）",
        1940,
    ),
    ("中央补助资金", "二道区农村公路建设项目", 386),
    ("中央补助资金", "二道区城乡冷链物流设施建设项目", 520),
    ("中央补助资金", "二道区学前教育发展项目", 560),
    (
        "农发行专项基金",
        "二道区新兴建材产业园基础设施配套项目",
        2506,
    ),
    ("农发行专项基金", "二道区城市更新片区基础设施项目", 1500),
    ("省预算内资金", "二道区东盛街道社区卫生服务中心改造项目", 30),
    ("省预算内资金", "二道区劝农山镇农村饮水安全巩固提升工程", 25),
    ("省预算内资金", "二道区泉眼镇农田水利设施项目", 22),
    ("省预算内资金", "二道区吉林街道社区养老服务站建设项目", 20),
    ("省预算内资金", "二道区八里堡街道公共文化服务设施项目", 20),
    ("省预算内资金", "二道区荣光街道背街小巷改造项目", 18),
    ("省预算内资金", "二道区长青街道社区综合服务中心项目", 18),
    ("省预算内资金", "二道区鉴湖街道口袋公园建设项目", 17),
    ("省预算内资金", "二道区远达街道社区食堂建设项目", 16),
    ("省预算内资金", "二道区东站街道智慧社区建设项目", 17),
    ("省预算内资金", "二道区英俊镇美丽乡村建设项目", 15),
];

/// 2022 district policy rewards, 元: 10 enterprises, 2370万元.
const REWARDS_2022: [(&str, i64); 10] = [
    ("规上工业企业增产奖励", 5_000_000),
    ("招商引资落地奖励", 4_000_000),
    ("技术改造奖励", 3_200_000),
    ("首次纳统奖励", 2_800_000),
    ("科技创新奖励", 2_500_000),
    ("规上工业企业增产奖励", 2_000_000),
    ("招商引资落地奖励", 1_500_000),
    ("技术改造奖励", 1_200_000),
    ("首次纳统奖励", 800_000),
    ("科技创新奖励", 700_000),
];

/// 2022 union interest-subsidised loans, 万元: preliminary quota (4050) and disbursed (2100).
const UNION_LOANS_2022: [(i64, i64); 12] = [
    (500, 300),
    (400, 300),
    (400, 200),
    (350, 300),
    (350, 200),
    (300, 150),
    (300, 200),
    (300, 150),
    (300, 100),
    (300, 200),
    (300, 0),
    (250, 0),
];

fn funds(out: &mut Out) -> Res {
    let mut rng = Rng::new("funds");
    funds_2022(out, &mut rng)?;
    funds_2021(out, &mut rng)?;
    funds_2020(out, &mut rng)?;
    Ok(())
}

fn funds_2022(out: &mut Out, rng: &mut Rng) -> Res {
    let mut firms = Firms::new(&mut Rng::new("firms-2022"));

    // Special bonds: two-row header (资金情况 over 申请金额/到位金额), amounts in 亿元 from the
    // 单位 line, "合  计" at the bottom.
    let mut bonds = Table::new("专项债券", 8);
    bonds.title("二道区2022年专项债券项目申报情况");
    bonds.meta("", "单位：亿元");
    bonds.header2(&[
        H::One("序号"),
        H::One("批次"),
        H::One("项目名称"),
        H::One("资金类别"),
        H::Group("资金情况", &["申请金额", "到位金额"]),
        H::One("是否获批"),
        H::One("备注"),
    ]);
    for (i, (batch, project, applied, issued)) in BONDS_2022.iter().enumerate() {
        let applied_cell = if i == 1 {
            money_text(*applied)
        } else {
            money(*applied)
        };
        let (issued_cell, ok, remark) = match issued {
            Some(c) if i == 5 => (money_text(*c), "是", ""),
            Some(c) => (money(*c), "是", ""),
            None => (t("—"), "否", "未通过财政部审核"),
        };
        bonds.row(vec![
            int(i as i64 + 1),
            t(*batch),
            t(*project),
            t("专项债券"),
            applied_cell,
            issued_cell,
            t(ok),
            t(remark),
        ]);
    }
    let applied: i64 = BONDS_2022.iter().map(|b| b.2).sum();
    let issued: i64 = BONDS_2022.iter().filter_map(|b| b.3).sum();
    bonds.total(vec![
        V::E,
        V::E,
        t("合  计"),
        V::E,
        money(applied),
        money(issued),
        V::E,
        V::E,
    ]);
    bonds.note("注：到位金额为已发行到位的新增专项债券资金。");

    // Central and provincial funds: 合计 first, a 小计 after each kind, one amount typed in
    // full-width digits.
    let mut upper = Table::new("上级资金", 6);
    upper.title("二道区2022年争取中央、省级资金情况");
    upper.meta("", "单位：万元");
    upper.header(&[
        "序号",
        "资金类别",
        "项目名称",
        "下达金额（万元）",
        "下达时间",
        "备注",
    ]);
    let grand: i64 = UPPER_FUNDS_2022.iter().map(|f| f.2).sum();
    upper.total(vec![V::E, V::E, t("合计"), int(grand)]);
    let mut i = 0;
    for kind in [
        "中央预算内资金",
        "中央补助资金",
        "农发行专项基金",
        "省预算内资金",
    ] {
        let rows: Vec<_> = UPPER_FUNDS_2022.iter().filter(|f| f.0 == kind).collect();
        for (k, project, wan) in &rows {
            i += 1;
            let amount = if *wan == 520 {
                t(fullwidth("520"))
            } else {
                int(*wan)
            };
            let (y, m, d) = rng.date(2022, 3, 11);
            upper.row(vec![int(i), t(*k), t(*project), amount, ymd(y, m, d)]);
        }
        upper.total(vec![
            V::E,
            V::E,
            t("小计"),
            int(rows.iter().map(|f| f.2).sum()),
        ]);
    }
    upper.note("数据来源：二道区财政局、二道区发展和改革局");

    // District rewards in 元, the header naming the unit; amounts partly typed as text.
    let mut rewards = Table::new("区级奖励", 6);
    rewards.title("二道区2022年区级政策奖励资金兑现情况");
    rewards.meta("", "金额单位：元");
    rewards.header(&[
        "序号",
        "资金类别",
        "企业名称",
        "奖励事项",
        "兑现金额（元）",
        "兑现时间",
    ]);
    for (i, (what, yuan)) in REWARDS_2022.iter().enumerate() {
        let cents = yuan * 100;
        let amount = if i % 2 == 0 {
            money_text(cents)
        } else {
            money(cents)
        };
        let (y, m, d) = rng.date(2022, 6, 12);
        rewards.row(vec![
            int(i as i64 + 1),
            t("区级政策奖励资金"),
            t(firms.take()),
            t(*what),
            amount,
            ymd(y, m, d),
        ]);
    }
    let total: i64 = REWARDS_2022.iter().map(|r| r.1 * 100).sum();
    rewards.total(vec![V::E, V::E, t("合计"), V::E, money(total)]);
    rewards.note("注：奖励资金按《二道区促进经济高质量发展若干政策》兑现。");

    // A scratch sheet someone left behind: hidden, and its numbers must never be counted.
    let mut scratch = Table::new("Sheet3", 4).hidden();
    scratch.header(&["资金类别", "项目名称", "下达金额", "备注"]);
    scratch.row(vec![
        t("中央预算内资金"),
        t("测试"),
        int(12345),
        t("草稿，勿用"),
    ]);
    scratch.row(vec![t("专项债券"), t("核对用"), int(99999)]);
    scratch.row(vec![t("省预算内资金"), t("临时"), int(888)]);
    out.save(
        "2022/2022年争取上级资金情况.xlsx",
        doc(vec![bonds, upper, rewards, scratch]),
    )?;

    // Union loans, as an OpenDocument spreadsheet.
    let mut loans = Table::new("工会贴息贷款", 7);
    loans.title("二道区2022年工会贴息贷款发放情况");
    loans.meta("", "单位：万元");
    loans.header(&[
        "序号",
        "资金类别",
        "企业名称",
        "初步授信额度",
        "放款金额",
        "放款日期",
        "备注",
    ]);
    for (i, (quota, paid)) in UNION_LOANS_2022.iter().enumerate() {
        let (paid_cell, date, remark) = if *paid == 0 {
            (t("—"), V::E, t("尚未放款"))
        } else {
            let (y, m, d) = rng.date(2022, 4, 12);
            (int(*paid), ymd(y, m, d), V::E)
        };
        loans.row(vec![
            int(i as i64 + 1),
            t("工会贴息贷款"),
            t(firms.take()),
            int(*quota),
            paid_cell,
            date,
            remark,
        ]);
    }
    let quota: i64 = UNION_LOANS_2022.iter().map(|l| l.0).sum();
    let paid: i64 = UNION_LOANS_2022.iter().map(|l| l.1).sum();
    loans.total(vec![V::E, V::E, t("合计"), int(quota), int(paid)]);
    loans.note("注：贴息贷款由区总工会会同合作银行发放。");
    out.save("2022/2022年工会贴息贷款发放情况.ods", doc(vec![loans]))?;
    Ok(())
}

/// Synthetic rows of one fund kind: `n` projects sharing `total_wan` 万元.
fn synthetic_funds(
    rng: &mut Rng,
    names: &mut ProjectNames,
    n: usize,
    total_wan: i64,
) -> Vec<(String, i64)> {
    split(rng, total_wan, n, 40, 160)
        .into_iter()
        .map(|w| (names.take().0, w))
        .collect()
}

fn funds_2021(out: &mut Out, rng: &mut Rng) -> Res {
    let mut names = ProjectNames::new(&mut Rng::new("fund-projects-2021"));
    let mut firms = Firms::new(&mut Rng::new("firms-2021"));

    // Bonds: single-row header, other header words, amounts in 亿元 from the 单位 line.
    let mut bonds = Table::new("专项债券", 7);
    bonds.title("二道区2021年专项债券项目申报情况");
    bonds.meta("", "单位：亿元");
    bonds.header(&[
        "序号",
        "批次",
        "项目名称",
        "资金类别",
        "申报金额",
        "发行金额",
        "是否通过",
    ]);
    let approved = split(rng, 846, 6, 60, 160);
    let (mut applied_sum, mut issued_sum) = (0, 0);
    for i in 0..9 {
        let batch = if i < 5 { "第一批" } else { "第二批" };
        let issued = if i % 3 == 2 {
            None
        } else {
            approved.get(i - i / 3).copied()
        };
        let applied = issued
            .map(|c| c * rng.range(105, 130) / 100)
            .unwrap_or(rng.range(60, 150));
        applied_sum += applied;
        issued_sum += issued.unwrap_or(0);
        let (cell, ok) = match issued {
            Some(c) => (money(c), "是"),
            None => (t("—"), "否"),
        };
        bonds.row(vec![
            int(i as i64 + 1),
            t(batch),
            t(names.take().0),
            t("专项债券"),
            money(applied),
            cell,
            t(ok),
        ]);
    }
    bonds.total(vec![
        V::E,
        V::E,
        t("合计"),
        V::E,
        money(applied_sum),
        money(issued_sum),
    ]);

    // Everything else on one sheet, 合计 first, district rewards in 万元 here.
    let mut upper = Table::new("上级资金", 5);
    upper.title("二道区2021年争取上级资金情况");
    upper.meta("", "单位：万元");
    upper.header(&["序号", "资金类型", "项目名称", "拨付金额", "备注"]);
    let mut rows: Vec<(&str, String, i64)> = Vec::new();
    for (kind, n, total) in [
        ("中央预算内资金", 2, 3260),
        ("中央补助资金", 3, 1180),
        ("农发行专项基金", 1, 2800),
        ("省预算内资金", 9, 176),
    ] {
        for (name, w) in synthetic_funds(rng, &mut names, n, total) {
            rows.push((kind, name, w));
        }
    }
    for w in split(rng, 1980, 8, 40, 160) {
        rows.push(("区级政策奖励资金", firms.take(), w));
    }
    upper.total(vec![
        V::E,
        V::E,
        t("合计"),
        int(rows.iter().map(|r| r.2).sum()),
    ]);
    for (i, (kind, name, w)) in rows.iter().enumerate() {
        upper.row(vec![int(i as i64 + 1), t(*kind), t(name), int(*w)]);
    }
    upper.note("数据来源：二道区财政局");
    out.save("2021/2021年争取上级资金情况.xlsx", doc(vec![bonds, upper]))?;
    Ok(())
}

fn funds_2020(out: &mut Out, rng: &mut Rng) -> Res {
    let mut names = ProjectNames::new(&mut Rng::new("fund-projects-2020"));
    let mut firms = Firms::new(&mut Rng::new("firms-2020"));
    // One summary sheet, bonds in 万元 like everything else.
    let mut s = Table::new("汇总", 6);
    s.title("二道区2020年争取资金汇总表");
    s.meta("", "单位：万元");
    s.header(&[
        "序号",
        "资金来源",
        "项目（企业）名称",
        "批次",
        "到位资金",
        "是否获批",
    ]);
    let mut rows: Vec<Vec<V>> = Vec::new();
    let issued = split(rng, 52600, 3, 60, 160);
    for i in 0..5 {
        let amount = if i < 3 { int(issued[i]) } else { t("—") };
        rows.push(vec![
            t("专项债券"),
            t(names.take().0),
            t("第一批"),
            amount,
            t(if i < 3 { "是" } else { "否" }),
        ]);
    }
    for (kind, n, total) in [
        ("中央预算内资金", 2, 2870),
        ("中央补助资金", 2, 960),
        ("省预算内资金", 8, 152),
    ] {
        for (name, w) in synthetic_funds(rng, &mut names, n, total) {
            rows.push(vec![t(kind), t(name), V::E, int(w), t("是")]);
        }
    }
    for w in split(rng, 1620, 7, 40, 160) {
        rows.push(vec![
            t("区级政策奖励资金"),
            t(firms.take()),
            V::E,
            int(w),
            t("是"),
        ]);
    }
    let total: i64 = issued.iter().sum::<i64>() + 2870 + 960 + 152 + 1620;
    for (i, r) in rows.into_iter().enumerate() {
        let mut cells = vec![int(i as i64 + 1)];
        cells.extend(r);
        s.row(cells);
    }
    s.total(vec![V::E, V::E, t("合计"), V::E, int(total)]);
    out.save("2020/二道区2020年争取资金汇总.xlsx", doc(vec![s]))?;
    Ok(())
}

// =============================================================================================
// 3. SME rent and utility subsidies (中小微企业房租、水电费补助), 2020–2022, amounts in 元.

/// Households and 元 per subsidy kind: (房租补助, 水电费补助).
const SUBSIDY_TOTALS: [(i32, (i64, i64), (i64, i64)); 3] = [
    (2020, (18_620, 10_350_000), (11_340, 4_660_000)),
    (2021, (19_850, 11_200_000), (12_430, 4_980_000)),
    // 2022: 35903 户 and 1837万元 in all.
    (2022, (21_876, 12_645_300), (14_027, 5_724_700)),
];

fn subsidy(out: &mut Out) -> Res {
    let mut rng = Rng::new("subsidy");
    for (year, rent, utility) in SUBSIDY_TOTALS {
        // rows: (street, kind, households, 0.01 元)
        let mut rows: Vec<(&str, &str, i64, i64)> = Vec::new();
        let mut per_kind = Vec::new();
        for (kind, (households, yuan)) in [("房租补助", rent), ("水电费补助", utility)] {
            let hh = split(&mut rng, households, STREETS.len(), 60, 160);
            let money = split(&mut rng, yuan, STREETS.len(), 60, 160);
            for (k, street) in STREETS.iter().enumerate() {
                rows.push((street, kind, hh[k], money[k] * 100));
            }
            per_kind.push((kind, households, yuan * 100));
        }
        rows.sort_by_key(|r| (STREETS.iter().position(|s| s == &r.0), r.1 != "房租补助"));
        let all_hh: i64 = rows.iter().map(|r| r.2).sum();
        let all_money: i64 = rows.iter().map(|r| r.3).sum();

        let mut s = Table::new("补助发放", 6);
        match year {
            2022 => {
                // 合计, then 其中 with an indented second line; amounts typed as text in
                // alternate rows; one household count in full-width digits.
                s.title("二道区2022年中小微企业房租、水电费补助发放情况");
                s.meta("填报单位：二道区工业和信息化局", "金额单位：元");
                s.header(&[
                    "序号",
                    "街道（镇）",
                    "补助类型",
                    "补助户数（户）",
                    "补助金额（元）",
                    "备注",
                ]);
                s.total(vec![
                    V::E,
                    t("合计"),
                    V::E,
                    int(all_hh),
                    money_text(all_money),
                ]);
                let (k0, h0, m0) = per_kind[0];
                let (k1, h1, m1) = per_kind[1];
                s.total(vec![
                    V::E,
                    t(format!("其中：{k0}")),
                    V::E,
                    int(h0),
                    money_text(m0),
                ]);
                s.total(vec![
                    V::E,
                    t(format!("\u{3000}\u{3000}{k1}")),
                    V::E,
                    int(h1),
                    money_text(m1),
                ]);
                for (i, (street, kind, hh, cents)) in rows.iter().enumerate() {
                    let hh_cell = if i == 4 {
                        t(fullwidth(&hh.to_string()))
                    } else {
                        int(*hh)
                    };
                    let money_cell = if i % 2 == 0 {
                        money_text(*cents)
                    } else {
                        money(*cents)
                    };
                    s.row(vec![
                        int(i as i64 + 1),
                        t(*street),
                        t(*kind),
                        hh_cell,
                        money_cell,
                    ]);
                }
                s.note("注：补助资金由区财政局直接拨付至企业账户。");
                s.note("数据来源：二道区工业和信息化局、二道区财政局");
            }
            2021 => {
                s.title("二道区2021年中小微企业房租水电费补助发放情况");
                s.meta("", "");
                s.header(&[
                    "序号",
                    "所属街道",
                    "补贴类型",
                    "受益户数",
                    "补贴金额（元）",
                    "备注",
                ]);
                for (i, (street, kind, hh, cents)) in rows.iter().enumerate() {
                    s.row(vec![
                        int(i as i64 + 1),
                        t(*street),
                        t(*kind),
                        int(*hh),
                        money(*cents),
                    ]);
                }
                s.total(vec![V::E, t("合　计"), V::E, int(all_hh), money(all_money)]);
            }
            _ => {
                // 2020: money unit only in the 单位 line; one household count written "约…"
                // (rejected by the tool).
                s.title("二道区2020年中小微企业房租水电费补助发放情况");
                s.meta("", "单位：元");
                s.header(&["序号", "街道", "补助项目", "户数", "发放金额", "备注"]);
                for (i, (street, kind, hh, cents)) in rows.iter().enumerate() {
                    let hh_cell = if i == 9 {
                        t(format!("约{hh}"))
                    } else {
                        int(*hh)
                    };
                    s.row(vec![
                        int(i as i64 + 1),
                        t(*street),
                        t(*kind),
                        hh_cell,
                        money(*cents),
                    ]);
                }
                s.total(vec![V::E, t("合计"), V::E, int(all_hh), money(all_money)]);
                s.note("说明：户数为街道（镇）初审上报数。");
            }
        }
        let name = format!("{year}/{year}年中小微企业房租水电费补助发放情况.xlsx");
        out.save(&name, doc(vec![s]))?;
    }
    Ok(())
}

// =============================================================================================
// 4. Bank–enterprise financing events (政企银担融资对接会), 2020–2022.

/// 2022: event, date, institutions, participants, enterprises financed, 0.01 亿元.
const FINANCING_2022: [(&str, (i32, u32, u32), &str, i64, i64, i64); 5] = [
    (
        "二道区2022年第一场政企银担融资对接会",
        (2022, 3, 18),
        "吉林银行长春二道支行、长春农商银行",
        56,
        38,
        162,
    ),
    (
        "二道区“助企纾困”政企银担融资对接会",
        (2022, 5, 26),
        "中国建设银行长春东盛支行、吉林省信用融资担保集团",
        63,
        45,
        215,
    ),
    (
        "二道区制造业企业专场融资对接会",
        (2022, 7, 15),
        "中国工商银行长春二道支行、长春市融资担保有限公司",
        58,
        42,
        238,
    ),
    (
        "二道区“专精特新”企业融资对接会",
        (2022, 9, 22),
        "中国银行长春东站支行、吉林银行长春二道支行",
        47,
        35,
        156,
    ),
    (
        "二道区2022年第五场政企银担融资对接会",
        (2022, 11, 17),
        "长春农商银行、中国邮政储蓄银行长春二道支行",
        61,
        40,
        215,
    ),
];

fn financing(out: &mut Out) -> Res {
    let mut rng = Rng::new("financing");

    let mut s = Table::new("融资对接", 7);
    s.title("二道区2022年政企银担融资对接会开展情况");
    s.meta("", "");
    s.header(&[
        "序号",
        "对接会名称",
        "举办时间",
        "合作金融机构",
        "参会企业数（户）",
        "获得融资企业数（户）",
        "融资金额（亿元）",
    ]);
    for (i, (name, (y, m, d), banks, came, financed, amount)) in FINANCING_2022.iter().enumerate() {
        let financed_cell = if i == 2 {
            t(fullwidth(&financed.to_string()))
        } else {
            int(*financed)
        };
        s.row(vec![
            int(i as i64 + 1),
            t(*name),
            ymd(*y, *m, *d),
            t(*banks),
            int(*came),
            financed_cell,
            money(*amount),
        ]);
    }
    let came: i64 = FINANCING_2022.iter().map(|f| f.3).sum();
    let financed: i64 = FINANCING_2022.iter().map(|f| f.4).sum();
    let amount: i64 = FINANCING_2022.iter().map(|f| f.5).sum();
    s.total(vec![
        V::E,
        t("合计"),
        V::E,
        V::E,
        int(came),
        int(financed),
        money(amount),
    ]);
    s.note("注：融资金额为对接会后3个月内合作金融机构实际放款金额。");
    out.save("2022/2022年政企银担融资对接会情况.xlsx", doc(vec![s]))?;

    // 2020 and 2021 in one workbook: a 年份 column gives each row its year; money in 万元.
    let mut s = Table::new("对接会", 8);
    s.title("二道区政企银担融资对接会开展情况（2020—2021年）");
    s.meta("", "单位：万元");
    s.header(&[
        "年份",
        "序号",
        "活动名称",
        "活动时间",
        "参与银行",
        "参会企业",
        "融资企业数",
        "融资金额",
    ]);
    const BANKS: [&str; 4] = [
        "吉林银行长春二道支行",
        "长春农商银行",
        "中国建设银行长春东盛支行",
        "中国工商银行长春二道支行",
    ];
    for (year, n, financed, wan) in [(2020, 3, 96, 41_000), (2021, 4, 152, 68_500)] {
        let financed = split(&mut rng, financed, n, 70, 130);
        let amounts = split(&mut rng, wan / 10, n, 70, 130);
        let months = [4, 6, 9, 11];
        for i in 0..n {
            let ordinal = ["一", "二", "三", "四"][i];
            let came = financed[i] + rng.range(8, 20);
            s.row(vec![
                int(year),
                int(i as i64 + 1),
                t(format!("二道区{year}年第{ordinal}场政企银担融资对接会")),
                ymd(year as i32, months[i], rng.range(10, 28) as u32),
                t(*rng.pick(&BANKS)),
                int(came),
                int(financed[i]),
                int(amounts[i] * 10),
            ]);
        }
        s.total(vec![
            int(year),
            V::E,
            t("小计"),
            V::E,
            V::E,
            V::E,
            int(financed.iter().sum()),
            int(wan),
        ]);
    }
    out.save(
        "2021/二道区2020-2021年政企银担融资对接会情况.xlsx",
        doc(vec![s]),
    )?;
    Ok(())
}

// =============================================================================================
// 5. Tax relief (减免退税), monthly 1—N月 cumulative workbooks, 2021 (from 1-2月) and 2022.

/// Tax kinds with their annual (1—12月) relief in 万元: 2020 (for 上年同期 only), 2021, 2022.
/// 2022 sums to 112000万元 = 11.2亿元.
const TAX_KINDS: [(&str, i64, i64, i64); 6] = [
    ("增值税留抵退税", 20_300, 21_500, 78_600),
    ("增值税小规模纳税人减免", 9_700, 10_200, 9_850),
    ("“六税两费”减免", 2_900, 3_100, 6_420),
    ("企业所得税减免", 7_800, 8_400, 8_930),
    ("个人所得税减免", 2_500, 2_650, 2_860),
    ("其他税费减免", 4_100, 4_290, 5_340),
];

/// Cumulative share (per mille) of the year's relief reached by the end of each month.
fn relief_curve(rng: &mut Rng, front_loaded: bool) -> [i64; 12] {
    let mut c = [0i64; 12];
    for (m, v) in c.iter_mut().enumerate() {
        *v = if front_loaded {
            // 2022's large-scale VAT credit refunds were paid mostly from April to June.
            [30, 70, 130, 420, 610, 760, 820, 860, 900, 940, 970, 1000][m]
        } else {
            ((m as i64 + 1) * 1000 / 12 + rng.range(-20, 20)).clamp(1, 1000)
        };
    }
    c[11] = 1000;
    for m in 1..12 {
        c[m] = c[m].max(c[m - 1] + 5).min(1000);
    }
    c
}

fn tax_relief(out: &mut Out) -> Res {
    let mut rng = Rng::new("tax-relief");
    // cumulative[year][kind][month-1] in 0.01 万元
    let mut cumulative: BTreeMap<i32, Vec<[i64; 12]>> = BTreeMap::new();
    for (yi, year) in [2020, 2021, 2022].into_iter().enumerate() {
        let mut kinds = Vec::new();
        for (ki, kind) in TAX_KINDS.iter().enumerate() {
            let annual = [kind.1, kind.2, kind.3][yi] * 100;
            let curve = relief_curve(&mut rng, year == 2022 && ki == 0);
            let mut months = [0i64; 12];
            for m in 0..12 {
                months[m] = annual * curve[m] / 1000;
            }
            kinds.push(months);
        }
        cumulative.insert(year, kinds);
    }
    let get = |y: i32| {
        cumulative
            .get(&y)
            .ok_or_else(|| format!("no relief simulated for {y}"))
    };

    for year in [2021, 2022] {
        let this = get(year)?;
        let last = get(year - 1)?;
        // 2021 published January and February together, so its series starts at 1-2月.
        let first = if year == 2021 { 2 } else { 1 };
        for n in first..=12usize {
            let period = if n == 1 {
                "1月".to_string()
            } else {
                format!("1-{n}月")
            };
            let cur: Vec<i64> = this.iter().map(|k| k[n - 1]).collect();
            let prev: Vec<i64> = last.iter().map(|k| k[n - 1]).collect();
            let growth = |c: i64, p: i64| V::N(((c - p) as f64 / p as f64 * 1000.0).round() / 10.0);
            let (cur_sum, prev_sum) = (cur.iter().sum::<i64>(), prev.iter().sum::<i64>());

            let mut s = Table::new("减免退税", 5);
            s.title(&format!("二道区{year}年{period}减免退税情况"));
            s.meta("", "单位：万元");
            if year == 2022 {
                // 合计 first; header says 本年累计; a 其中 block under the VAT credit refunds.
                s.header(&[
                    "序号",
                    "税种",
                    "本年累计（万元）",
                    "上年同期（万元）",
                    "同比增减（%）",
                ]);
                s.total(vec![
                    V::E,
                    t("合计"),
                    money(cur_sum),
                    money(prev_sum),
                    growth(cur_sum, prev_sum),
                ]);
                for (k, kind) in TAX_KINDS.iter().enumerate() {
                    s.row(vec![
                        int(k as i64 + 1),
                        t(kind.0),
                        money(cur[k]),
                        money(prev[k]),
                        growth(cur[k], prev[k]),
                    ]);
                    if k == 0 {
                        s.total(vec![
                            V::E,
                            t("其中：小微企业留抵退税"),
                            money(cur[k] * 55 / 100),
                        ]);
                        s.total(vec![
                            V::E,
                            t("\u{3000}\u{3000}制造业企业留抵退税"),
                            money(cur[k] * 30 / 100),
                        ]);
                    }
                }
                s.note("注：留抵退税含存量和增量留抵退税。");
                s.note("数据来源：国家税务总局长春市二道区税务局");
            } else {
                // The period only in the title (1-N月 marks the values as year-to-date).
                s.header(&[
                    "序号",
                    "税费种类",
                    "减免退税额（万元）",
                    "上年同期（万元）",
                    "增幅（%）",
                ]);
                for (k, kind) in TAX_KINDS.iter().enumerate() {
                    s.row(vec![
                        int(k as i64 + 1),
                        t(kind.0),
                        money(cur[k]),
                        money(prev[k]),
                        growth(cur[k], prev[k]),
                    ]);
                }
                s.total(vec![
                    V::E,
                    t("合　计"),
                    money(cur_sum),
                    money(prev_sum),
                    growth(cur_sum, prev_sum),
                ]);
                s.note("数据来源：国家税务总局长春市二道区税务局");
            }
            let name = format!("{year}/减免退税/{year}年{period}减免退税情况.xlsx");
            out.save(&name, doc(vec![s]))?;
        }
    }
    Ok(())
}

// =============================================================================================
// 6. Tax-service reforms (税收营商环境改革事项), 2021–2022.

/// 2022 限办改即办 items: 11 items, 936 transactions, shortest 30 minutes.
const INSTANT_2022: [(&str, i64, i64); 11] = [
    ("增值税专用发票最高开票限额审批（十万元及以下）", 214, 30),
    ("发票领用核定调整", 186, 40),
    ("跨区域涉税事项报验", 97, 30),
    ("非正常户解除", 42, 60),
    ("纳税信用复评", 35, 45),
    ("房产交易涉税申报", 128, 50),
    ("清税注销（未办理涉税事项纳税人）", 64, 60),
    ("增值税一般纳税人登记", 58, 35),
    ("出口退（免）税备案", 23, 40),
    ("税收完税证明开具", 61, 30),
    ("代开增值税发票", 28, 45),
];

/// 2022 transactions through the electronic tax bureau: 45557 in all.
const ONLINE_2022: [(&str, i64); 5] = [
    ("网上申报纳税", 28_614),
    ("发票网上领用", 9_327),
    ("增值税发票网上代开", 4_106),
    ("退税网上申请", 1_985),
    ("社保费网上缴纳", 1_525),
];

fn tax_service(out: &mut Out) -> Res {
    let mut rng = Rng::new("tax-service");

    // 2022: two-row header (年申报次数 over 改革前/改革后); dashes where a column does not apply.
    let mut s = Table::new("改革事项", 8);
    s.title("国家税务总局长春市二道区税务局2022年税收营商环境改革事项办理情况");
    s.meta("", "");
    s.header2(&[
        H::One("序号"),
        H::One("改革类型"),
        H::One("事项名称"),
        H::One("办理方式"),
        H::One("办理笔数（笔）"),
        H::One("最短办理时间（分钟）"),
        H::Group("年申报次数（次）", &["改革前", "改革后"]),
    ]);
    let mut i = 0;
    let mut all = 0;
    for (item, n, minutes) in INSTANT_2022 {
        i += 1;
        all += n;
        s.row(vec![
            int(i),
            t("限办改即办"),
            t(item),
            t("即办"),
            int(n),
            int(minutes),
            t("—"),
            t("—"),
        ]);
    }
    for (item, n) in ONLINE_2022 {
        i += 1;
        all += n;
        s.row(vec![
            int(i),
            t("非接触式办税"),
            t(item),
            t("电子税务局"),
            int(n),
            t("—"),
            t("—"),
            t("—"),
        ]);
    }
    i += 1;
    all += 3215;
    s.row(vec![
        int(i),
        t("简并申报"),
        t("财产和行为税合并申报"),
        t("办税服务厅"),
        int(3215),
        t("—"),
        int(4),
        int(2),
    ]);
    s.total(vec![V::E, t("合计"), V::E, V::E, int(all)]);
    s.note("注：“限办改即办”指由承诺时限内办结改为当场即时办结。");
    s.note("说明：最短办理时间为单笔业务自受理至办结的最短用时。");
    out.save("2022/2022年税收营商环境改革事项办理情况.xlsx", doc(vec![s]))?;

    // 2021: single-row header with other header words; one count typed with a fraction
    // (rejected by the tool).
    let mut s = Table::new("Sheet1", 6);
    s.title("二道区税务局2021年办税便利化事项办理情况");
    s.meta("", "");
    s.header(&[
        "序号",
        "事项类别",
        "业务事项",
        "办理渠道",
        "业务笔数",
        "最短用时（分钟）",
    ]);
    let mut i = 0;
    for (item, n, _) in INSTANT_2022.iter().take(8) {
        i += 1;
        let count = if i == 5 {
            t("12.5")
        } else {
            int(n * rng.range(60, 90) / 100)
        };
        s.row(vec![
            int(i),
            t("限办改即办"),
            t(*item),
            t("即办"),
            count,
            int(rng.range(6, 12) * 5),
        ]);
    }
    for (item, n) in ONLINE_2022.iter().take(4) {
        i += 1;
        s.row(vec![
            int(i),
            t("非接触式办税"),
            t(*item),
            t("电子税务局"),
            int(n * rng.range(70, 85) / 100),
            t("—"),
        ]);
    }
    s.note("数据来源：国家税务总局长春市二道区税务局");
    out.save("2021/2021年税收营商环境改革事项办理情况.xlsx", doc(vec![s]))?;
    Ok(())
}

// =============================================================================================
// 7. Enterprise services ledger (企业服务台账), 2021–2022.

/// 2022 permits obtained for projects: 26 in all.
const PERMITS_2022: [(&str, &[&str]); 9] = [
    (
        "二道区疾病预防控制中心建设项目",
        &["项目备案", "专项环评", "黄证", "绿证", "施工许可证"],
    ),
    (
        "长春二道经济开发区新建建材产业园区项目",
        &["项目备案", "专项环评", "黄证", "绿证", "施工许可证"],
    ),
    (
        "长春市新金享冷弯型钢轨道车辆车体新材料智能项目",
        &["项目备案", "专项环评", "施工许可证"],
    ),
    (
        "长春二道经济开发区智能家居产业园区项目",
        &["项目备案", "专项环评", "黄证", "施工许可证"],
    ),
    (
        "长春中拓塑业科技有限公司汽车零部件数字化工厂及研发中心项目",
        &["项目备案", "专项环评", "绿证"],
    ),
    ("二道区中医院迁建项目", &["绿证", "施工许可证"]),
    ("二道区妇幼保健院建设项目", &["施工许可证"]),
    (
        "2022年老旧小区改造配套基础设施项目",
        &["项目备案", "施工许可证"],
    ),
    ("二道区新兴建材产业园项目", &["黄证"]),
];

const HELP_ITEMS: [&str; 3] = ["市场主体注册登记", "经营地址变更", "经营场所证明"];
const CREDIT_ITEMS: [&str; 2] = ["行政处罚信息信用修复", "经营异常名录移出"];

/// A ledger row: type, enterprise or project, what was done, status, date (None if open), office.
type Service = (
    &'static str,
    String,
    String,
    &'static str,
    Option<(i32, u32, u32)>,
    &'static str,
);

/// `n` services of one kind for the year; `done` of them completed (the rest open).
fn services_of(
    rng: &mut Rng,
    firms: &mut Firms,
    year: i32,
    kind: &'static str,
    n: usize,
    done: usize,
) -> Vec<Service> {
    let mut statuses: Vec<bool> = (0..n).map(|i| i < done).collect();
    rng.shuffle(&mut statuses);
    statuses
        .into_iter()
        .map(|ok| {
            let date = rng.date(year, 1, 12);
            match kind {
                "企业帮办" => (
                    kind,
                    firms.take(),
                    rng.pick(&HELP_ITEMS).to_string(),
                    "已办结",
                    Some(date),
                    "区市场监督管理局",
                ),
                "用工服务走访" => (
                    kind,
                    firms.take(),
                    "四上企业用工需求走访".to_string(),
                    "已走访",
                    Some(date),
                    "区人力资源和社会保障局",
                ),
                _ => {
                    let status = if ok { "已修复" } else { "未修复" };
                    (
                        kind,
                        firms.take(),
                        rng.pick(&CREDIT_ITEMS).to_string(),
                        status,
                        ok.then_some(date),
                        "区发展和改革局",
                    )
                }
            }
        })
        .collect()
}

fn permits(rng: &mut Rng, year: i32, list: &[(&str, &[&str])]) -> Vec<Service> {
    let mut out = Vec::new();
    for (project, items) in list {
        for item in *items {
            let date = rng.date(year, 3, 11);
            out.push((
                "项目手续办理",
                project.to_string(),
                format!("办理{item}"),
                "已办结",
                Some(date),
                "区营商环境建设局",
            ));
        }
    }
    out
}

fn service_row(i: usize, s: &Service) -> Vec<V> {
    let date = match s.4 {
        Some((y, m, d)) => ymd(y, m, d),
        None => V::E,
    };
    vec![
        int(i as i64 + 1),
        t(s.0),
        t(&s.1),
        t(&s.2),
        t(s.3),
        date,
        t(s.5),
    ]
}

fn by_date(mut v: Vec<Service>) -> Vec<Service> {
    v.sort_by_key(|s| s.4.unwrap_or((9999, 12, 31)));
    v
}

fn services(out: &mut Out) -> Res {
    let mut rng = Rng::new("services");

    // 2022: one sheet per kind of service; 26 permits, 33 enterprises helped, 285 visits,
    // 67 enterprises due for credit repair of which 43 repaired.
    let mut firms = Firms::new(&mut Rng::new("service-firms-2022"));
    let kinds: [(&str, Vec<Service>); 4] = [
        (
            "项目手续办理",
            by_date(permits(&mut rng, 2022, &PERMITS_2022)),
        ),
        (
            "企业帮办",
            by_date(services_of(&mut rng, &mut firms, 2022, "企业帮办", 33, 33)),
        ),
        (
            "用工服务走访",
            by_date(services_of(
                &mut rng,
                &mut firms,
                2022,
                "用工服务走访",
                285,
                285,
            )),
        ),
        (
            "信用修复",
            by_date(services_of(&mut rng, &mut firms, 2022, "信用修复", 67, 43)),
        ),
    ];
    let mut sheets = Vec::new();
    for (kind, rows) in &kinds {
        let mut s = Table::new(kind, 7);
        s.title(&format!("二道区2022年企业服务台账（{kind}）"));
        let (status, date) = match *kind {
            "用工服务走访" => ("办理状态", "走访时间"),
            "信用修复" => ("修复状态", "办结时间"),
            _ => ("办理状态", "办结时间"),
        };
        if *kind == "信用修复" {
            let done = rows.iter().filter(|r| r.3 == "已修复").count();
            s.meta(
                &format!("应修复企业{}户，已完成修复{}户。", rows.len(), done),
                "",
            );
        }
        s.header(&[
            "序号",
            "服务类别",
            "企业（项目）名称",
            "服务事项",
            status,
            date,
            "责任单位",
        ]);
        for (i, r) in rows.iter().enumerate() {
            s.row(service_row(i, r));
        }
        s.note("填报单位：二道区营商环境建设局");
        sheets.push(s);
    }
    out.save("2022/2022年企业服务台账.xlsx", doc(sheets))?;

    // 2021: one sheet with every kind mixed, ordered by date.
    let mut firms = Firms::new(&mut Rng::new("service-firms-2021"));
    let mut rows = permits(
        &mut rng,
        2021,
        &PERMITS_2022[..7]
            .iter()
            .map(|(p, items)| (*p, &items[..items.len().min(3)]))
            .collect::<Vec<_>>(),
    );
    rows.extend(services_of(&mut rng, &mut firms, 2021, "企业帮办", 27, 27));
    rows.extend(services_of(
        &mut rng,
        &mut firms,
        2021,
        "用工服务走访",
        240,
        240,
    ));
    rows.extend(services_of(&mut rng, &mut firms, 2021, "信用修复", 52, 30));
    let rows = by_date(rows);
    let mut s = Table::new("企业服务台账", 7);
    s.title("二道区2021年企业服务台账");
    s.meta("", "");
    s.header(&[
        "序号",
        "服务类型",
        "服务对象",
        "服务内容",
        "办理结果",
        "完成时间",
        "责任单位",
    ]);
    for (i, r) in rows.iter().enumerate() {
        s.row(service_row(i, r));
    }
    s.note("填报单位：二道区营商环境建设局");
    out.save("2021/2021年企业服务台账.xlsx", doc(vec![s]))?;
    Ok(())
}

// =============================================================================================
// A download from a statistics portal: districts × years, newest first, with the portal's
// metadata lines above the table and notes below it. Synthetic figures.

fn portal(out: &mut Out) -> Res {
    let mut rng = Rng::new("portal");
    let years = [2022, 2021, 2020, 2019, 2018];
    let mut s = Table::new("分县年度数据", years.len() as u16 + 1);
    s.meta("数据库：分县年度数据", "");
    s.meta("指标：地区生产总值(亿元)", "");
    s.meta("时间：最近5年", "");
    let mut header = vec!["地区".to_string()];
    header.extend(years.iter().map(|y| format!("{y}年")));
    s.header(&header.iter().map(String::as_str).collect::<Vec<_>>());
    for (district, base) in [
        ("南关区", 700_00),
        ("宽城区", 600_00),
        ("朝阳区", 900_00),
        ("二道区", 500_00),
        ("绿园区", 550_00),
    ] {
        // Hundredths of 亿元, growing 2–8% a year from 2018.
        let mut values = vec![base as i64];
        for _ in 1..years.len() {
            let last = *values.last().unwrap_or(&0);
            values.push(last + last * (2 + (rng.next() % 7) as i64) / 100);
        }
        let mut cells = vec![t(district)];
        cells.extend(values.iter().rev().map(|v| V::N(*v as f64 / 100.0)));
        s.row(cells);
    }
    s.note("注：示例数据，数字为合成，不是公布数；本表按当年价格计算。");
    s.note("数据来源：示例数据（统计数据门户导出格式）");
    out.save("2022/长春市分县地区生产总值（门户导出）.xlsx", doc(vec![s]))?;
    Ok(())
}
