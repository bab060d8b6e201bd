//! Writes a deterministic corpus of bureau workbooks for benchmarks, with a pipeline that
//! reads it (the sample pipeline's datasets and tables, inputs pointed at the corpus).
//!
//!     cargo run --release --example bench_corpus -- PRESET DIR
//!
//!     cargo run --release --example bench_corpus -- PRESET DIR --change N
//!
//! rewrites only the first workbook, with other figures (variant N), as next month's batch
//! with one corrected workbook would.
//!
//! Presets: small (12 workbooks × 200 rows), medium (120 × 2,000), large (600 × 5,000), or
//! `N×R` for any other size. Each workbook holds one sheet laid out as bureaus send them: a
//! title row, a 单位 line, the header, a 合计 row, the data rows and two 注 lines. Sheets
//! rotate through investment projects, subsidies and tax relief; years 2018–2022.
//!
//! The `bureau-` presets (`bureau-small`, `bureau-medium`, `bureau-large`, `bureau-NxR`) write
//! workbooks as bureaus' spreadsheet programs save them: three sheets (投资 with R rows, 补贴
//! with R/10, 税收 with R/20), each with 年份 and 月份 columns, a 合计 row of SUM formulas with
//! their computed values, title, unit and note lines merged across the table, a number format
//! and borders on every cell, frozen header rows and set column widths. Some workbooks also
//! have a date column, a few cells of rich text, or all their text written inline in the
//! sheets instead of in the shared strings (as some exporters do).

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook, XlsxError};
use std::path::{Path, PathBuf};

type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

const PIPELINE: &str = include_str!("../pipelines/erdao.toml");

const NATURES: [&str; 3] = ["新建", "续建", "改扩建"];
const INDUSTRIES: [&str; 6] = [
    "基础设施",
    "工业",
    "城市更新",
    "现代服务业",
    "社会事业",
    "农林水利",
];
const STATUS: [&str; 3] = ["已开工", "已复工", "未开工"];
const AREAS: [&str; 8] = [
    "东盛街道",
    "吉林街道",
    "荣光街道",
    "东站街道",
    "远达街道",
    "长青街道",
    "八里堡街道",
    "英俊镇",
];
const SUBSIDY_TYPES: [&str; 4] = ["稳岗补贴", "一次性留工补助", "房租减免", "贷款贴息"];
const TAXES: [&str; 6] = [
    "增值税留抵退税",
    "增值税小规模纳税人减免",
    "企业所得税减免",
    "“六税两费”减免",
    "个人所得税减免",
    "其他税费减免",
];

#[path = "bench_corpus/bureau.rs"]
mod bureau;

#[path = "shared/xorshift.rs"]
mod xorshift;
use xorshift::Rng;

fn pick<'a>(rng: &mut Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.index(xs.len())]
}

/// An amount in 万元 with two decimals.
fn amount(rng: &mut Rng, lo: u64, hi: u64) -> f64 {
    (lo * 100 + rng.below((hi - lo) * 100)) as f64 / 100.0
}

fn preset(name: &str) -> Option<(usize, usize, bool)> {
    if let Some(rest) = name.strip_prefix("bureau-") {
        let (n, r) = plain_preset(rest)?;
        return Some((n, r, true));
    }
    let (n, r) = plain_preset(name)?;
    Some((n, r, false))
}

fn plain_preset(name: &str) -> Option<(usize, usize)> {
    match name {
        "small" => Some((12, 200)),
        "medium" => Some((120, 2_000)),
        "large" => Some((600, 5_000)),
        other => {
            let (n, r) = other.split_once(['x', '×'])?;
            Some((n.parse().ok()?, r.parse().ok()?))
        }
    }
}

fn main() -> Res {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some((files, rows, bureau)), Some(dir)) = (
        args.first().and_then(|p| preset(p)),
        args.get(1).map(PathBuf::from),
    ) else {
        eprintln!("usage: bench_corpus [bureau-]small|medium|large|NxR DIR [--change N]");
        std::process::exit(2);
    };
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    if let Some(variant) = args
        .iter()
        .position(|a| a == "--change")
        .and_then(|i| args.get(i + 1))
    {
        let variant: u64 = variant.parse()?;
        if bureau {
            bureau::write_workbook(&data, 0, rows, variant)?;
        } else {
            write_workbook(&data, 0, rows, variant)?;
        }
        return Ok(());
    }
    for i in 0..files {
        if bureau {
            bureau::write_workbook(&data, i, rows, 0)?;
        } else {
            write_workbook(&data, i, rows, 0)?;
        }
    }
    std::fs::write(dir.join("pipeline.toml"), pipeline())?;
    println!(
        "{files} workbooks × {rows} rows in {}; pipeline {}",
        data.display(),
        dir.join("pipeline.toml").display()
    );
    Ok(())
}

/// The sample pipeline with its inputs and output pointed at the corpus, without its last
/// section: the portal series table and chart, which the corpus has no data for.
fn pipeline() -> String {
    let mut out = String::new();
    let mut skipping = false;
    let mut lines = PIPELINE.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("# ---") && lines.peek().is_some_and(|l| l.starts_with("# 门户数据"))
        {
            break;
        }
        if line.starts_with("include = [") {
            out.push_str("include = [\"data/*.xlsx\"]\n");
            skipping = !line.ends_with(']');
            continue;
        }
        if skipping {
            skipping = line.trim() != "]";
            continue;
        }
        if line.starts_with("exclude = ") {
            continue;
        }
        if line.starts_with("dir = ") {
            out.push_str("dir = \"out\"\n");
            continue;
        }
        if line.starts_with("name = \"erdao\"") {
            out.push_str("name = \"bench\"\n");
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn write_workbook(dir: &Path, i: usize, rows: usize, variant: u64) -> Result<(), XlsxError> {
    let seed =
        (i as u64 + 1).wrapping_mul(0x1000_0001) ^ variant.wrapping_mul(0xD1B5_4A32_D192_ED03);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed);
    let year = 2018 + (i / 3 % 5) as i32;
    let month = 1 + (i / 15 % 12) as u32;
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2023, 1, 10)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let ws = wb.add_worksheet();
    let (name, title, headers): (&str, String, &[&str]) = match i % 3 {
        0 => (
            "投资",
            format!("二道区{year}年重点项目情况表（第{i}册）"),
            &[
                "序号",
                "项目名称",
                "建设性质",
                "行业类别",
                "总投资",
                "本年计划投资",
                "本年完成投资",
                "开复工情况",
            ],
        ),
        1 => (
            "补贴",
            format!("{year}年1-{month}月中小企业补助发放情况（第{i}册）"),
            &[
                "序号",
                "街道",
                "补助类型",
                "发放批次",
                "补助户数",
                "补助金额",
            ],
        ),
        _ => (
            "减税",
            format!("{year}年1-{month}月减免退税情况（第{i}册）"),
            &["序号", "税种", "减免退税额", "上年同期"],
        ),
    };
    ws.set_name(name)?;
    ws.write_string(0, 0, &title)?;
    ws.write_string(1, (headers.len() - 1) as u16, "单位：万元")?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(2, c as u16, *h)?;
    }
    ws.write_string(3, 0, "合计")?;
    let first = 4u32;
    let mut totals = vec![0.0f64; headers.len()];
    for k in 0..rows {
        let r = first + k as u32;
        ws.write_number(r, 0, (k + 1) as f64)?;
        let cells: Vec<Cell> = match i % 3 {
            0 => {
                let total = amount(&mut rng, 500, 200_000);
                let plan = (total * (0.1 + rng.below(50) as f64 / 100.0) * 100.0).round() / 100.0;
                let done = (plan * (rng.below(120) as f64 / 100.0) * 100.0).round() / 100.0;
                vec![
                    Cell::T(format!("项目{i:03}-{k:05}")),
                    Cell::T(pick(&mut rng, &NATURES).into()),
                    Cell::T(pick(&mut rng, &INDUSTRIES).into()),
                    Cell::N(total),
                    Cell::N(plan),
                    Cell::N(done),
                    Cell::T(pick(&mut rng, &STATUS).into()),
                ]
            }
            1 => vec![
                Cell::T(pick(&mut rng, &AREAS).into()),
                Cell::T(pick(&mut rng, &SUBSIDY_TYPES).into()),
                Cell::T(format!("第{}批", 1 + rng.below(4))),
                Cell::N((1 + rng.below(300)) as f64),
                Cell::N(amount(&mut rng, 1, 500)),
            ],
            _ => vec![
                Cell::T(pick(&mut rng, &TAXES).into()),
                Cell::N(amount(&mut rng, 1, 3_000)),
                Cell::N(amount(&mut rng, 1, 3_000)),
            ],
        };
        for (c, cell) in cells.iter().enumerate() {
            let col = (c + 1) as u16;
            match cell {
                Cell::T(s) => {
                    ws.write_string(r, col, s)?;
                }
                Cell::N(v) => {
                    ws.write_number(r, col, *v)?;
                    totals[c + 1] += v;
                }
            }
        }
    }
    for (c, v) in totals.iter().enumerate().skip(1) {
        if *v != 0.0 {
            ws.write_number(3, c as u16, (v * 100.0).round() / 100.0)?;
        }
    }
    let end = first + rows as u32;
    ws.write_string(end, 0, "注：本表数据为合成数据，仅用于性能测试。")?;
    ws.write_string(end + 1, 0, "数据来源：二道区统计局")?;
    wb.save(dir.join(format!("{name}_{year}_{i:04}.xlsx")))
}

enum Cell {
    T(String),
    N(f64),
}
