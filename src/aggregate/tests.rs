//! Measures against values computed by hand.

use super::*;
use crate::clean::clean_frames;
use crate::config::{self, Pipeline};
use crate::ingest::{Extracted, FileReport, SheetReport, Visibility};
use crate::model::Value;
use std::collections::BTreeMap;
use std::path::Path;

const PIPELINE: &str = r#"
name = "t"
[inputs]
include = ["*.xlsx"]
[datasets.d]
identify = ["kind"]
[[datasets.d.fields]]
name = "kind"
kind = "text"
[[datasets.d.fields]]
name = "amount"
kind = "money"
[[datasets.d.fields]]
name = "n"
kind = "count"
"#;

fn pipeline(tables: &str) -> Pipeline {
    let src = format!("{PIPELINE}\n{tables}");
    config::load_str(&src, Path::new("t.toml"), Path::new(".")).expect("valid pipeline")
}

/// A sheet of rows (year, kind, amount in 万元, n).
fn sheet(month: Option<u32>, cumulative: bool, rows: &[(i32, &str, i64, i64)]) -> SheetReport {
    SheetReport {
        name: "s".into(),
        visibility: Visibility::Visible,
        rows_read: 0,
        rows_kept: rows.len() as u64,
        rows_rejected: 0,
        skipped: BTreeMap::new(),
        layout: None,
        warnings: vec![],
        rejected: vec![],
        wide: Vec::new(),
        series_meta: Vec::new(),
        data: Some(Extracted {
            dataset: 0,
            month,
            cumulative,
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, (y, k, a, n))| {
                    let kind = if k.is_empty() {
                        Value::Null
                    } else {
                        Value::Text(k.to_string())
                    };
                    (
                        i as u32 + 1,
                        *y,
                        vec![kind, Value::Money(a * 1_000_000), Value::Count(*n)],
                    )
                })
                .collect(),
            row_months: Vec::new(),
            totals: Vec::new(),
        }),
    }
}

fn files(sheets: Vec<SheetReport>) -> Vec<FileReport> {
    vec![FileReport {
        display: "f.xlsx".into(),
        path: "f.xlsx".into(),
        format: Some("xlsx".into()),
        cached: false,
        size: 0,
        sha256: String::new(),
        sheets,
        error: None,
    }]
}

/// (year, month, key, metric name) -> value as f64.
fn run(
    p: &Pipeline,
    sheets: Vec<SheetReport>,
    period: (i32, u32),
) -> BTreeMap<(i32, Option<u32>, String, String), Option<f64>> {
    run_tuned(p, sheets, period, engine::Tuning::default())
}

/// [`run`], the engine worked through as `tuning` says.
fn run_tuned(
    p: &Pipeline,
    sheets: Vec<SheetReport>,
    period: (i32, u32),
    tuning: engine::Tuning,
) -> BTreeMap<(i32, Option<u32>, String, String), Option<f64>> {
    let frames = clean_frames(p, &files(sheets)).expect("frames");
    let tables: Vec<TableResult> = engine::aggregate_tuned(p, &frames, period, &|_| true, tuning)
        .expect("aggregate")
        .into_iter()
        .flatten()
        .collect();
    let mut out = BTreeMap::new();
    for t in &tables {
        for r in &t.rows {
            let key = r
                .key
                .as_ref()
                .map(|k| k.join("|"))
                .unwrap_or_else(|| "合计".into());
            let v = engine::as_f64(r.value).map(|x| {
                if t.metrics[r.metric].kind == MetricKind::Money {
                    x / 1e6
                } else {
                    x
                }
            });
            out.insert((r.year, r.month, key, t.metrics[r.metric].name.clone()), v);
        }
    }
    out
}

fn get(
    m: &BTreeMap<(i32, Option<u32>, String, String), Option<f64>>,
    y: i32,
    mo: Option<u32>,
    k: &str,
    metric: &str,
) -> Option<f64> {
    *m.get(&(y, mo, k.to_string(), metric.to_string()))
        .unwrap_or_else(|| panic!("no value for {y} {mo:?} {k} {metric}"))
}

#[test]
fn sums_counts_distinct_rates_and_filters() {
    let p = pipeline(
        r#"
[[tables]]
name = "t"
dataset = "d"
by = ["kind"]
filter = [{ field = "amount", op = "ge", value = 10 }]
measures = [
  { name = "金额", op = "sum", field = "amount" },
  { name = "个数", op = "count" },
  { name = "甲个数", op = "count", field = "kind", values = ["甲"] },
  { name = "种类", op = "count_distinct", field = "kind" },
  { name = "甲占比", op = "rate", field = "kind", values = ["甲"] },
  { name = "最大", op = "max", field = "n" },
]
"#,
    );
    let m = run(
        &p,
        vec![sheet(
            None,
            false,
            &[
                (2022, "甲", 10, 1),
                (2022, "甲", 30, 5),
                (2022, "乙", 20, 2),
                (2022, "乙", 5, 9),
                (2022, "", 12, 3),
            ],
        )],
        (2022, 12),
    );
    assert_eq!(get(&m, 2022, None, "合计", "金额"), Some(72.0));
    assert_eq!(
        get(&m, 2022, None, "合计", "个数"),
        Some(4.0),
        "the 5万元 row is filtered out"
    );
    assert_eq!(get(&m, 2022, None, "合计", "甲个数"), Some(2.0));
    assert_eq!(
        get(&m, 2022, None, "合计", "种类"),
        Some(2.0),
        "null is not a distinct value"
    );
    assert_eq!(get(&m, 2022, None, "合计", "甲占比"), Some(50.0));
    assert_eq!(get(&m, 2022, None, "合计", "最大"), Some(5.0));
    assert_eq!(get(&m, 2022, None, "甲", "金额"), Some(40.0));
    assert_eq!(get(&m, 2022, None, "未填报", "金额"), Some(12.0));
}

#[test]
fn growth_is_empty_for_zero_or_absent_bases_and_rates_get_none() {
    let p = pipeline(
        r#"
[[tables]]
name = "t"
dataset = "d"
by = ["kind"]
measures = [{ name = "金额", op = "sum", field = "amount" }, { name = "甲占比", op = "rate", field = "kind", values = ["甲"] }]
growth = true
"#,
    );
    let m = run(
        &p,
        vec![
            sheet(None, false, &[(2021, "甲", 100, 0), (2021, "乙", 0, 0)]),
            sheet(
                None,
                false,
                &[
                    (2022, "甲", 120, 0),
                    (2022, "乙", 50, 0),
                    (2022, "丙", 7, 0),
                ],
            ),
        ],
        (2022, 12),
    );
    assert_eq!(get(&m, 2022, None, "甲", "金额同比"), Some(20.0));
    assert_eq!(get(&m, 2022, None, "乙", "金额同比"), None, "zero base");
    assert_eq!(get(&m, 2022, None, "丙", "金额同比"), None, "absent base");
    assert_eq!(
        get(&m, 2021, None, "合计", "金额同比"),
        None,
        "no earlier year"
    );
    assert_eq!(get(&m, 2022, None, "合计", "金额同比"), Some(77.0));
    // `growth = true` gives 同比 to sums and counts only: a rate has none.
    let names: Vec<&str> = m.keys().map(|k| k.3.as_str()).collect();
    assert!(
        !names.iter().any(|n| n.starts_with("甲占比同")),
        "{names:?}"
    );
}

#[test]
fn share_contribution_and_pull() {
    let p = pipeline(
        r#"
[[tables]]
name = "t"
dataset = "d"
by = ["kind"]
measures = [{ name = "金额", op = "sum", field = "amount" }]
growth = true
share = true
contribution = true
"#,
    );
    let m = run(
        &p,
        vec![sheet(
            None,
            false,
            &[
                (2021, "甲", 60, 0),
                (2021, "乙", 40, 0),
                (2022, "甲", 90, 0),
                (2022, "乙", 30, 0),
            ],
        )],
        (2022, 12),
    );
    assert_eq!(get(&m, 2022, None, "甲", "金额构成"), Some(75.0));
    assert_eq!(get(&m, 2022, None, "合计", "金额构成"), Some(100.0));
    // Total grew by 20: 甲 +30 contributes 150%, 乙 -10 contributes -50%.
    assert_eq!(get(&m, 2022, None, "甲", "金额贡献率"), Some(150.0));
    assert_eq!(get(&m, 2022, None, "乙", "金额贡献率"), Some(-50.0));
    assert_eq!(get(&m, 2022, None, "甲", "金额拉动"), Some(30.0));
    assert_eq!(get(&m, 2022, None, "合计", "金额拉动"), Some(20.0));
}

#[test]
fn cumulative_months_to_single_months_including_one_to_two() {
    let p = pipeline(
        r#"
[[tables]]
name = "t"
dataset = "d"
by = ["kind"]
measures = [{ name = "金额", op = "sum", field = "amount" }]
period = "monthly"
"#,
    );
    // 2022: 1—2月 published together, then 1—3月; 乙 first appears in 1—3月.
    let m = run(
        &p,
        vec![
            sheet(Some(2), true, &[(2022, "甲", 30, 0)]),
            sheet(Some(3), true, &[(2022, "甲", 45, 0), (2022, "乙", 8, 0)]),
        ],
        (2022, 12),
    );
    assert_eq!(
        get(&m, 2022, Some(2), "甲", "金额"),
        Some(30.0),
        "1—2月 stands as month 2"
    );
    assert_eq!(get(&m, 2022, Some(3), "甲", "金额"), Some(15.0));
    assert_eq!(
        get(&m, 2022, Some(3), "乙", "金额"),
        Some(8.0),
        "absent last month counts as 0"
    );
    assert_eq!(get(&m, 2022, Some(3), "合计", "金额"), Some(23.0));
}

#[test]
fn single_months_to_year_to_date_and_annual_from_latest_cumulative_month() {
    let ytd = pipeline(
        r#"
[[tables]]
name = "t"
dataset = "d"
measures = [{ name = "金额", op = "sum", field = "amount" }]
period = "ytd"
growth = true
"#,
    );
    let months = vec![
        sheet(Some(1), false, &[(2021, "甲", 10, 0)]),
        sheet(Some(2), false, &[(2021, "甲", 20, 0)]),
        sheet(Some(1), false, &[(2022, "甲", 12, 0)]),
        sheet(Some(2), false, &[(2022, "甲", 24, 0)]),
    ];
    let m = run(&ytd, months, (2022, 12));
    assert_eq!(get(&m, 2022, Some(2), "合计", "金额"), Some(36.0));
    assert_eq!(
        get(&m, 2022, Some(2), "合计", "金额同比"),
        Some(20.0),
        "1—2月 against 1—2月 of last year"
    );

    let annual = pipeline(
        r#"
[[tables]]
name = "t"
dataset = "d"
measures = [{ name = "金额", op = "sum", field = "amount" }]
"#,
    );
    let cum = vec![
        sheet(Some(11), true, &[(2022, "甲", 100, 0)]),
        sheet(Some(12), true, &[(2022, "甲", 112, 0)]),
    ];
    let m = run(&annual, cum.clone(), (2022, 12));
    assert_eq!(
        get(&m, 2022, None, "合计", "金额"),
        Some(112.0),
        "the year is its 1—12月 value"
    );
    let m = run(&annual, cum, (2022, 11));
    assert_eq!(
        get(&m, 2022, Some(11), "合计", "金额"),
        Some(100.0),
        "rows after the period are left out, and the partial year is 1—11月"
    );
}

#[test]
fn top_n_folds_the_rest_into_other() {
    let p = pipeline(
        r#"
[[tables]]
name = "t"
dataset = "d"
by = ["kind"]
measures = [{ name = "金额", op = "sum", field = "amount" }, { name = "最大", op = "max", field = "n" }]
top = 2
"#,
    );
    let m = run(
        &p,
        vec![sheet(
            None,
            false,
            &[
                (2022, "甲", 50, 1),
                (2022, "乙", 40, 2),
                (2022, "丙", 5, 7),
                (2022, "丁", 3, 4),
            ],
        )],
        (2022, 12),
    );
    assert_eq!(get(&m, 2022, None, "其他", "金额"), Some(8.0));
    assert_eq!(
        get(&m, 2022, None, "其他", "最大"),
        Some(7.0),
        "non-additive measures recomputed from the rows"
    );
    assert_eq!(get(&m, 2022, None, "合计", "金额"), Some(98.0));
    assert!(!m.contains_key(&(2022, None, "丙".to_string(), "金额".to_string())));
}

#[test]
fn slices_give_the_same_figures_whatever_their_batches() {
    let p = pipeline(
        r#"
[[tables]]
name = "ytd"
dataset = "d"
by = ["kind"]
measures = [
  { name = "金额", op = "sum", field = "amount" },
  { name = "户数", op = "count_distinct", field = "kind" },
  { name = "均值", op = "mean", field = "n" },
]
period = "ytd"
top = 1

[[tables]]
name = "monthly"
dataset = "d"
by = ["kind"]
measures = [{ name = "当月金额", op = "sum", field = "amount" }]
period = "monthly"
"#,
    );
    let sheets = || {
        vec![
            sheet(Some(1), false, &[(2022, "甲", 10, 1), (2022, "乙", 5, 2)]),
            sheet(Some(2), false, &[(2022, "甲", 20, 3), (2022, "丙", 7, 4)]),
            sheet(Some(3), true, &[(2022, "甲", 40, 5), (2022, "", 9, 6)]),
            sheet(Some(4), true, &[(2022, "乙", 50, 7)]),
        ]
    };
    let whole = run(&p, sheets(), (2022, 12));
    // One slice per batch.
    let one_slice = engine::Tuning {
        batch_rows: 1,
        ..engine::Tuning::default()
    };
    let split = run_tuned(&p, sheets(), (2022, 12), one_slice);
    assert_eq!(whole, split);
    assert_eq!(get(&whole, 2022, Some(2), "合计", "金额"), Some(42.0));
    assert_eq!(get(&whole, 2022, Some(4), "合计", "当月金额"), Some(1.0));
}

/// Tables of every period mode whose measures all add up exactly.
const ACCUMULABLE: &str = r#"
[[tables]]
name = "ytd"
dataset = "d"
by = ["kind"]
measures = [
  { name = "金额", op = "sum", field = "amount" },
  { name = "笔数", op = "count" },
  { name = "甲笔数", op = "count", field = "kind", values = ["甲"] },
  { name = "甲占比", op = "rate", field = "kind", values = ["甲"] },
  { name = "最少", op = "min", field = "n" },
  { name = "最多", op = "max", field = "amount" },
]
period = "ytd"
growth = true
top = 1

[[tables]]
name = "monthly"
dataset = "d"
by = ["kind"]
measures = [{ name = "当月金额", op = "sum", field = "amount" }, { name = "户数", op = "sum", field = "n" }]
period = "monthly"

[[tables]]
name = "annual"
dataset = "d"
measures = [{ name = "金额", op = "sum", field = "amount" }, { name = "最多", op = "max", field = "n" }]
period = "annual"
"#;

/// Single months and 1—N月 sheets over two years, with a blank key.
fn accumulable_sheets() -> Vec<SheetReport> {
    vec![
        sheet(
            Some(1),
            false,
            &[(2021, "甲", 3, 9), (2022, "甲", 10, 1), (2022, "乙", 5, 2)],
        ),
        sheet(Some(2), false, &[(2022, "甲", 20, 3), (2022, "丙", 7, 4)]),
        sheet(Some(3), true, &[(2022, "甲", 40, 5), (2022, "", 9, 6)]),
        sheet(Some(4), true, &[(2022, "乙", 50, 7)]),
        sheet(Some(5), false, &[(2022, "乙", -2, 0)]),
    ]
}

#[test]
fn summing_by_month_gives_the_figures_of_gathering_every_slice() {
    let p = pipeline(ACCUMULABLE);
    let by_month = run(&p, accumulable_sheets(), (2022, 12));
    let gathering = engine::Tuning {
        by_combo: false,
        ..engine::Tuning::default()
    };
    let gathered = run_tuned(&p, accumulable_sheets(), (2022, 12), gathering);
    assert_eq!(by_month, gathered);
    assert_eq!(get(&by_month, 2022, Some(2), "合计", "金额"), Some(42.0));
    assert_eq!(get(&by_month, 2022, Some(2), "合计", "最多"), Some(20.0));
}

#[test]
fn the_partials_of_each_file_add_up_to_the_table() {
    let p = pipeline(ACCUMULABLE);
    // The 3月 sheet is in both files, so their partials share combinations and keys.
    let mut two = files(accumulable_sheets()[..3].to_vec());
    two.extend(files(accumulable_sheets()[2..].to_vec()));
    two[1].display = "g.xlsx".into();
    let frames = clean_frames(&p, &two).expect("frames");
    for period in [(2022, 12), (2022, 3), (2021, 12)] {
        let whole = aggregate(&p, &frames, period).expect("aggregate");
        for (ti, t) in whole.iter().enumerate() {
            let per_file = file_partials(&p, ti, &frames[0]).expect("partials");
            assert_eq!(per_file.keys().collect::<Vec<_>>(), ["f.xlsx", "g.xlsx"]);
            let mut sum = Partials::default();
            for part in per_file.values() {
                sum.add(part, &p, ti);
            }
            let added = table_of_partials(&p, ti, &frames[0].clear(), sum, period);
            assert_eq!(&added.expect("table"), t, "{} at {period:?}", t.name);
        }
    }
}

#[test]
fn a_partial_year_is_its_months_and_compares_with_the_same_months() {
    let annual = pipeline(
        r#"
[[tables]]
name = "t"
dataset = "d"
measures = [{ name = "金额", op = "sum", field = "amount" }]
growth = true
"#,
    );
    let sheets = vec![
        sheet(Some(6), true, &[(2023, "甲", 50, 0)]),
        sheet(Some(12), true, &[(2023, "甲", 120, 0)]),
        sheet(Some(3), true, &[(2024, "甲", 30, 0)]),
        sheet(Some(6), true, &[(2024, "甲", 60, 0)]),
    ];
    let m = run(&annual, sheets, (2024, 12));
    assert_eq!(get(&m, 2023, None, "合计", "金额"), Some(120.0));
    assert_eq!(get(&m, 2024, Some(6), "合计", "金额"), Some(60.0));
    assert_eq!(
        get(&m, 2024, Some(6), "合计", "金额同比"),
        Some(20.0),
        "1—6月 against 1—6月 of the year before, not its whole year"
    );
    assert!(!m.contains_key(&(2023, Some(6), "合计".into(), "金额".into())));
}

#[test]
fn january_is_read_as_the_later_months_of_its_year() {
    let annual = pipeline(
        r#"
[[tables]]
name = "t"
dataset = "d"
measures = [{ name = "金额", op = "sum", field = "amount" }, { name = "个数", op = "count" }]
"#,
    );
    // January's file says 1月 (no 累计); February on says 1—N月.
    let cum = vec![
        sheet(Some(1), false, &[(2024, "甲", 10, 0), (2024, "乙", 5, 0)]),
        sheet(Some(2), true, &[(2024, "甲", 25, 0), (2024, "乙", 9, 0)]),
    ];
    let m = run(&annual, cum, (2024, 12));
    assert_eq!(get(&m, 2024, Some(2), "合计", "金额"), Some(34.0));
    assert_eq!(get(&m, 2024, Some(2), "合计", "个数"), Some(2.0));
    // Single months: January flagged 1—1月 is still one month of twelve.
    let single = vec![
        sheet(Some(1), true, &[(2024, "甲", 10, 0)]),
        sheet(Some(2), false, &[(2024, "甲", 15, 0)]),
    ];
    let m = run(&annual, single, (2024, 12));
    assert_eq!(get(&m, 2024, Some(2), "合计", "金额"), Some(25.0));
}

#[test]
fn a_sum_over_cells_that_are_all_empty_is_empty_not_zero() {
    let p = pipeline(
        r#"
[[tables]]
name = "t"
dataset = "d"
by = ["kind"]
growth = true
measures = [
  { name = "金额", op = "sum", field = "amount" },
  { name = "个数", op = "count" },
]
"#,
    );
    // 2021's workbook left the amount column empty: its sum is unknown, not 0.
    let mut s = sheet(
        None,
        false,
        &[(2021, "甲", 0, 1), (2021, "乙", 0, 1), (2022, "甲", 10, 1)],
    );
    if let Some(d) = &mut s.data {
        for row in d.rows.iter_mut().filter(|r| r.1 == 2021) {
            row.2[1] = Value::Null;
        }
    }
    let m = run(&p, vec![s], (2022, 12));
    assert_eq!(get(&m, 2021, None, "合计", "金额"), None);
    assert_eq!(get(&m, 2021, None, "甲", "金额"), None);
    assert_eq!(get(&m, 2021, None, "合计", "个数"), Some(2.0));
    assert_eq!(get(&m, 2022, None, "合计", "金额"), Some(10.0));
    // No growth from an unknown base.
    assert_eq!(get(&m, 2022, None, "合计", "金额同比"), None);
}
