//! Workbooks as bureaus' spreadsheet programs save them (see the `bureau-` presets).

use super::{amount, pick, Rng, AREAS, INDUSTRIES, NATURES, STATUS, SUBSIDY_TYPES, TAXES};
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Workbook,
    Worksheet, XlsxError,
};
use std::io::{Read, Write};
use std::path::Path;

type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// What a column holds, and so its format and whether the 合计 row sums it.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    /// 序号, 年份, 月份: whole numbers, not summed.
    Label,
    Money,
    Count,
    Date,
}

enum Value {
    Text(String),
    /// A text in two runs, the second in red.
    Rich(String, &'static str),
    /// Hundredths, so that the 合计 row is exact.
    Cents(i64),
    Whole(u64),
    Date(ExcelDateTime),
}

struct Formats {
    title: Format,
    unit: Format,
    note: Format,
    header: Format,
    total_label: Format,
    text: Format,
    label: Format,
    money: Format,
    count: Format,
    date: Format,
    bold: Format,
    red: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_font_name("宋体")
            .set_font_size(10);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_name("黑体")
                .set_font_size(16)
                .set_align(FormatAlign::Center),
            unit: Format::new().set_align(FormatAlign::Right),
            note: Format::new().set_align(FormatAlign::Left).set_text_wrap(),
            header: cell
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap()
                .set_background_color(Color::RGB(0xDDEBF7)),
            total_label: cell.clone().set_bold().set_align(FormatAlign::Center),
            text: cell.clone(),
            label: cell
                .clone()
                .set_num_format("0")
                .set_align(FormatAlign::Center),
            money: cell.clone().set_num_format("#,##0.00"),
            count: cell.clone().set_num_format("#,##0"),
            date: cell.set_num_format("yyyy\"年\"m\"月\"d\"日\""),
            bold: Format::new().set_bold(),
            red: Format::new().set_font_color(Color::Red),
        }
    }

    fn of(&self, kind: Kind) -> &Format {
        match kind {
            Kind::Text => &self.text,
            Kind::Label => &self.label,
            Kind::Money => &self.money,
            Kind::Count => &self.count,
            Kind::Date => &self.date,
        }
    }
}

/// Workbook `i`: its period, and which of the rarer features it has.
struct Plan {
    year: i32,
    month: u32,
    dates: bool,
    rich: bool,
    inline: bool,
}

impl Plan {
    fn of(i: usize) -> Plan {
        Plan {
            year: 2018 + (i % 5) as i32,
            month: 1 + (i / 5 % 12) as u32,
            dates: i % 4 == 1,
            rich: i % 3 == 2,
            inline: i % 5 == 3,
        }
    }
}

pub fn write_workbook(dir: &Path, i: usize, rows: usize, variant: u64) -> Res {
    let seed =
        (i as u64 + 1).wrapping_mul(0x1000_0001) ^ variant.wrapping_mul(0xD1B5_4A32_D192_ED03);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed);
    let plan = Plan::of(i);
    let f = Formats::new();
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2023, 1, 10)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    investment(wb.add_worksheet(), &f, &plan, i, rows, &mut rng)?;
    subsidy(
        wb.add_worksheet(),
        &f,
        &plan,
        i,
        (rows / 10).max(1),
        &mut rng,
    )?;
    tax(
        wb.add_worksheet(),
        &f,
        &plan,
        i,
        (rows / 20).max(1),
        &mut rng,
    )?;
    let mut bytes = wb.save_to_buffer()?;
    if plan.inline {
        bytes = inline_strings(&bytes)?;
    }
    let name = format!("{}年{}月报表_{i:04}.xlsx", plan.year, plan.month);
    std::fs::write(dir.join(name), bytes)?;
    Ok(())
}

fn period(plan: &Plan) -> [Value; 2] {
    [
        Value::Whole(plan.year as u64),
        Value::Whole(u64::from(plan.month)),
    ]
}

fn investment(
    ws: &mut Worksheet,
    f: &Formats,
    plan: &Plan,
    i: usize,
    rows: usize,
    rng: &mut Rng,
) -> Result<(), XlsxError> {
    let mut columns = vec![
        ("序号", Kind::Label, 6.0),
        ("年份", Kind::Label, 7.0),
        ("月份", Kind::Label, 6.0),
        ("项目名称", Kind::Text, 28.0),
        ("建设性质", Kind::Text, 10.0),
        ("行业类别", Kind::Text, 12.0),
        ("总投资", Kind::Money, 14.0),
        ("本年计划投资", Kind::Money, 14.0),
        ("本年完成投资", Kind::Money, 14.0),
        ("开复工情况", Kind::Text, 11.0),
    ];
    if plan.dates {
        columns.push(("开工日期", Kind::Date, 16.0));
    }
    let data = (0..rows)
        .map(|k| {
            let total = cents(amount(rng, 500, 200_000));
            let planned = total * (10 + rng.below(50) as i64) / 100;
            let done = planned * rng.below(120) as i64 / 100;
            let name = format!("项目{i:03}-{k:05}");
            // A few names with a remark in red, as bureaus mark key projects.
            let name = if plan.rich && k % 400 == 7 {
                Value::Rich(name, "（重点）")
            } else {
                Value::Text(name)
            };
            let mut row: Vec<Value> = period(plan).into_iter().collect();
            row.extend([
                name,
                Value::Text(pick(rng, &NATURES).into()),
                Value::Text(pick(rng, &INDUSTRIES).into()),
                Value::Cents(total),
                Value::Cents(planned),
                Value::Cents(done),
                Value::Text(pick(rng, &STATUS).into()),
            ]);
            if plan.dates {
                let day = ExcelDateTime::from_ymd(
                    plan.year as u16,
                    1 + rng.below(12) as u8,
                    1 + rng.below(28) as u8,
                );
                row.push(day.map_or(Value::Whole(0), Value::Date));
            }
            row
        })
        .collect();
    let title = format!(
        "二道区{}年{}月重点项目情况表（第{i}册）",
        plan.year, plan.month
    );
    sheet(ws, f, plan, "投资", &title, &columns, data)
}

fn subsidy(
    ws: &mut Worksheet,
    f: &Formats,
    plan: &Plan,
    i: usize,
    rows: usize,
    rng: &mut Rng,
) -> Result<(), XlsxError> {
    let columns = [
        ("序号", Kind::Label, 6.0),
        ("年份", Kind::Label, 7.0),
        ("月份", Kind::Label, 6.0),
        ("街道", Kind::Text, 12.0),
        ("补助类型", Kind::Text, 16.0),
        ("发放批次", Kind::Text, 10.0),
        ("补助户数", Kind::Count, 10.0),
        ("补助金额", Kind::Money, 14.0),
    ];
    let data = (0..rows)
        .map(|_| {
            let mut row: Vec<Value> = period(plan).into_iter().collect();
            row.extend([
                Value::Text(pick(rng, &AREAS).into()),
                Value::Text(pick(rng, &SUBSIDY_TYPES).into()),
                Value::Text(format!("第{}批", 1 + rng.below(4))),
                Value::Whole(1 + rng.below(300)),
                Value::Cents(cents(amount(rng, 1, 500))),
            ]);
            row
        })
        .collect();
    let title = format!(
        "{}年{}月中小企业补助发放情况（第{i}册）",
        plan.year, plan.month
    );
    sheet(ws, f, plan, "补贴", &title, &columns, data)
}

fn tax(
    ws: &mut Worksheet,
    f: &Formats,
    plan: &Plan,
    i: usize,
    rows: usize,
    rng: &mut Rng,
) -> Result<(), XlsxError> {
    let columns = [
        ("序号", Kind::Label, 6.0),
        ("年份", Kind::Label, 7.0),
        ("月份", Kind::Label, 6.0),
        ("税种", Kind::Text, 24.0),
        ("减免退税额", Kind::Money, 14.0),
        ("上年同期", Kind::Money, 14.0),
    ];
    let data = (0..rows)
        .map(|_| {
            let mut row: Vec<Value> = period(plan).into_iter().collect();
            row.extend([
                Value::Text(pick(rng, &TAXES).into()),
                Value::Cents(cents(amount(rng, 1, 3_000))),
                Value::Cents(cents(amount(rng, 1, 3_000))),
            ]);
            row
        })
        .collect();
    let title = format!("{}年{}月减免退税情况（第{i}册）", plan.year, plan.month);
    sheet(ws, f, plan, "税收", &title, &columns, data)
}

fn cents(v: f64) -> i64 {
    (v * 100.0).round() as i64
}

/// One sheet: title and unit lines merged across the table, the header, a 合计 row of SUM
/// formulas with their values, the rows (each after its 序号), and two merged note lines.
fn sheet(
    ws: &mut Worksheet,
    f: &Formats,
    plan: &Plan,
    name: &str,
    title: &str,
    columns: &[(&str, Kind, f64)],
    rows: Vec<Vec<Value>>,
) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    let last = (columns.len() - 1) as u16;
    ws.merge_range(0, 0, 0, last, title, &f.title)?;
    ws.set_row_height(0, 30)?;
    ws.merge_range(1, 0, 1, last, "单位：万元、户", &f.unit)?;
    for (c, (head, _, width)) in columns.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *head, &f.header)?;
        ws.set_column_width(c as u16, *width)?;
    }
    ws.set_freeze_panes(4, 1)?;
    let first = 4u32;
    let end = first + rows.len() as u32;
    let mut sums = vec![0i64; columns.len()];
    for (k, row) in rows.into_iter().enumerate() {
        let r = first + k as u32;
        ws.write_number_with_format(r, 0, (k + 1) as f64, &f.label)?;
        for (c, value) in row.into_iter().enumerate() {
            let col = (c + 1) as u16;
            let format = f.of(columns[c + 1].1);
            match value {
                Value::Text(s) => ws.write_string_with_format(r, col, &s, format)?,
                Value::Rich(s, remark) => ws.write_rich_string_with_format(
                    r,
                    col,
                    &[(&Format::new(), s.as_str()), (&f.red, remark)],
                    format,
                )?,
                Value::Cents(v) => {
                    sums[c + 1] += v;
                    ws.write_number_with_format(r, col, v as f64 / 100.0, format)?
                }
                Value::Whole(v) => {
                    if columns[c + 1].1 == Kind::Count {
                        sums[c + 1] += v as i64 * 100;
                    }
                    ws.write_number_with_format(r, col, v as f64, format)?
                }
                Value::Date(d) => ws.write_datetime_with_format(r, col, &d, format)?,
            };
        }
    }
    ws.write_string_with_format(3, 0, "合计", &f.total_label)?;
    for (c, (_, kind, _)) in columns.iter().enumerate().skip(1) {
        let format = f.of(*kind);
        if !matches!(kind, Kind::Money | Kind::Count) {
            ws.write_blank(3, c as u16, format)?;
            continue;
        }
        let letter = column_letter(c as u16);
        let sum = Formula::new(format!("=SUM({letter}{}:{letter}{end})", first + 1))
            .set_result(number(sums[c]));
        ws.write_formula_with_format(3, c as u16, sum, format)?;
    }
    ws.merge_range(end, 0, end, last, "", &f.note)?;
    let source = format!("数据来源：二道区统计局，{}年{}月", plan.year, plan.month);
    if plan.rich {
        ws.write_rich_string_with_format(
            end,
            0,
            &[
                (&f.bold, "注："),
                (&Format::new(), "本表数据为合成数据，仅用于性能测试。"),
            ],
            &f.note,
        )?;
    } else {
        ws.write_string_with_format(end, 0, "注：本表数据为合成数据，仅用于性能测试。", &f.note)?;
    }
    ws.merge_range(end + 1, 0, end + 1, last, &source, &f.note)?;
    Ok(())
}

/// A sum of hundredths as Excel would have saved its value.
fn number(cents: i64) -> String {
    let v = cents as f64 / 100.0;
    format!("{v}")
}

fn column_letter(c: u16) -> String {
    let mut n = u32::from(c) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let d = (n - 1) % 26;
        out.push(b'A' + d as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The workbook with every shared-string cell of its sheets written as an inline string
/// (`t="inlineStr"`), runs of rich text included, as some exporters write them.
fn inline_strings(bytes: &[u8]) -> Res<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let mut strings = String::new();
    zip.by_name("xl/sharedStrings.xml")?
        .read_to_string(&mut strings)?;
    // Each entry's inner XML: `<t>…</t>` or runs of `<r>…</r>`.
    let entries: Vec<&str> = strings
        .split("<si>")
        .skip(1)
        .filter_map(|s| s.split_once("</si>").map(|(inner, _)| inner))
        .collect();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for k in 0..zip.len() {
        let mut part = zip.by_index(k)?;
        let name = part.name()?.to_string();
        let mut body = Vec::new();
        part.read_to_end(&mut body)?;
        if name.starts_with("xl/worksheets/sheet") {
            body = inline_sheet(&String::from_utf8(body)?, &entries)?.into_bytes();
        }
        out.start_file(name, options)?;
        out.write_all(&body)?;
    }
    Ok(out.finish()?.into_inner())
}

fn inline_sheet(xml: &str, entries: &[&str]) -> Res<String> {
    const CELL: &str = r#" t="s"><v>"#;
    let mut out = String::with_capacity(xml.len() * 2);
    let mut rest = xml;
    while let Some(at) = rest.find(CELL) {
        out.push_str(&rest[..at]);
        let after = &rest[at + CELL.len()..];
        let (index, tail) = after
            .split_once("</v></c>")
            .ok_or("a shared-string cell without its end")?;
        let entry = entries
            .get(index.parse::<usize>()?)
            .ok_or("a shared-string index past the table")?;
        out.push_str(r#" t="inlineStr"><is>"#);
        out.push_str(entry);
        out.push_str("</is></c>");
        rest = tail;
    }
    out.push_str(rest);
    Ok(out)
}
