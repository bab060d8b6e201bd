//! Real exports from the national statistics portal, read from `../shared/real-world/` beside
//! the checkout (they are not part of the project). Each test is skipped, with a message, when
//! that folder is absent, and fails when it is absent under CI. Expected values were read off the sheets by hand.

use std::path::PathBuf;
use yearbook::ingest::wide::{Orientation, Point, Role, WideTable};
use yearbook::ingest::{FileReport, SheetReport};

fn folder() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/real-world");
    if dir.is_dir() {
        Some(dir)
    } else {
        crate::common::cannot_run(&format!("{} is not present", dir.display()));
        None
    }
}

fn read(name: &str) -> Option<FileReport> {
    let path = folder()?.join(name);
    let pipeline = yearbook::config::builtin().expect("built-in dictionary");
    let report = yearbook::ingest::ingest_file(&pipeline, &path, name);
    assert_eq!(report.error, None, "{name}");
    for sh in &report.sheets {
        assert_eq!(
            sh.rows_read,
            sh.rows_kept + sh.rows_rejected + sh.rows_skipped(),
            "{name} `{}`: rows do not balance",
            sh.name
        );
    }
    Some(report)
}

fn sheet<'a>(r: &'a FileReport, name: &str) -> &'a SheetReport {
    r.sheets
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no sheet {name}"))
}

/// The first wide table of a sheet.
fn wide<'a>(r: &'a FileReport, name: &str) -> &'a WideTable {
    sheet(r, name)
        .wide
        .first()
        .unwrap_or_else(|| panic!("sheet {name} not read as a wide table"))
}

/// The point of `indicator` (or region) for `period`.
fn at<'a>(t: &'a WideTable, label: &str, period: &str) -> &'a Point {
    t.points
        .iter()
        .find(|p| {
            (p.indicator == label || p.region.as_deref() == Some(label)) && p.period == period
        })
        .unwrap_or_else(|| panic!("no point {label} / {period}"))
}

#[test]
fn provinces_by_year() {
    let Some(r) = read("nbs-分省年度数据.xls") else {
        return;
    };
    let sh = sheet(&r, "分省年度数据");
    let t = wide(&r, "分省年度数据");
    assert_eq!(t.orientation, Orientation::PeriodsInColumns);
    assert_eq!((t.header_first, sh.rows_read, sh.rows_kept), (3, 38, 31));
    assert_eq!(
        t.periods,
        ["2019年", "2018年", "2017年", "2016年", "2015年"]
    );
    assert_eq!(t.points.len(), 31 * 5);
    assert_eq!(t.metadata[1], ("指标".into(), "地区生产总值(亿元)".into()));
    assert_eq!(t.footer.len(), 3);
    assert!(t.footer[2].starts_with("数据来源"));
    let p = at(t, "北京市", "2019年");
    assert_eq!(
        (p.value, p.indicator.as_str()),
        (Some(35371.28), "地区生产总值")
    );
    assert_eq!(p.unit.as_deref(), Some("亿元"));
    assert_eq!(at(t, "天津市", "2017年").value, Some(18549.19));
    assert_eq!(at(t, "新疆维吾尔自治区", "2017年").value, Some(10881.96));
}

#[test]
fn monthly_value_added_three_sheets() {
    let Some(r) = read("nbs-工业增加值-月度.xls") else {
        return;
    };
    let month = wide(&r, "月度数据");
    assert_eq!(month.variant, "当期");
    assert_eq!(month.metadata[0], ("数据库".into(), "月度数据".into()));
    assert_eq!(month.periods[0], "2020年4月");
    // January 2020 is not published on its own: 2020年2月 follows 2019年12月.
    assert_eq!(month.periods[2..4], ["2020年2月", "2019年12月"]);
    let p = at(month, "工业增加值同比增长", "2020年4月");
    assert_eq!((p.value, p.unit.as_deref()), (Some(3.9), Some("%")));
    let feb = at(month, "工业增加值同比增长", "2020年2月");
    assert_eq!((feb.value, feb.symbol.as_deref()), (None, Some("")));
    let cum = at(month, "工业增加值累计增长", "2020年2月");
    assert_eq!((cum.value, cum.key.cumulative), (Some(-13.5), true));
    assert_eq!(month.footer, ["数据来源：国家统计局"]);

    // 同比 holds three tables: months across, the same figures transposed below (with its
    // header repeated inside), and one month by industry.
    let yoy = sheet(&r, "同比");
    assert_eq!(yoy.wide.len(), 3);
    assert!(yoy.wide.iter().all(|t| t.variant == "同比"));
    assert_eq!(yoy.wide[1].orientation, Orientation::PeriodsInRows);
    assert_eq!(yoy.skipped.get(&yearbook::ingest::SkipReason::Note), None);
    assert_eq!(
        at(&yoy.wide[1], "工业增加值同比增长", "2018年10月").value,
        Some(5.9)
    );
    assert_eq!(
        at(&yoy.wide[2], "汽车制造业", "2020年3月").value,
        Some(-22.4)
    );
    let ytd = wide(&r, "累计");
    assert_eq!(ytd.variant, "累计");
    // Two one-month tables side by side under the transposed copy.
    let beside = &sheet(&r, "累计").wide;
    assert_eq!(beside.len(), 4);
    assert_eq!(at(&beside[2], "纺织业", "2020年3月").value, Some(-16.8));
    assert_eq!(at(&beside[3], "纺织业", "2020年2月").value, Some(-27.2));
    assert!(ytd.points.iter().all(|p| p.key.cumulative));
    assert_eq!(at(ytd, "工业增加值累计增长", "2020年3月").value, Some(-8.4));
}

#[test]
fn industry_monthly_periods_in_rows() {
    let Some(r) = read("nbs-工业增加值-行业-月度.xls") else {
        return;
    };
    let t = wide(&r, "Sheet1");
    assert_eq!(t.orientation, Orientation::PeriodsInRows);
    assert_eq!((t.header_first, t.header_last), (0, 3));
    assert_eq!(t.periods.first().map(String::as_str), Some("2010-05"));
    assert_eq!(t.periods.last().map(String::as_str), Some("2020-04"));
    let p = at(t, "规模以上工业增加值_累计同比实际增速", "2010-05");
    assert_eq!(p.value, Some(18.5));
    assert_eq!(
        (p.region.as_deref(), p.unit.as_deref()),
        (Some("全国"), Some("%"))
    );
    assert!(p.key.cumulative);
    assert_eq!(p.key.month, Some(5));
    let jan = at(t, "规模以上工业增加值_累计同比实际增速", "2020-01");
    assert_eq!(jan.value, None);
    assert_eq!(
        at(t, "规模以上工业增加值_累计同比实际增速", "2020-02").value,
        Some(-13.5)
    );
    // The metadata sheet lists series; it is not a table of figures.
    assert!(sheet(&r, "Sheet2").wide.is_empty());
    // An analyst's sheet: a period block, then averages below it kept as notes.
    let s3 = sheet(&r, "Sheet3");
    assert_eq!((s3.rows_kept, s3.wide[0].periods.len()), (13, 13));
    assert_eq!(s3.wide[0].footer.len(), 8);
}

#[test]
fn numeric_year_headers() {
    let Some(r) = read("nbs-年度数据-数值年份表头.xls") else {
        return;
    };
    let t = wide(&r, "年度数据");
    assert_eq!(t.periods[0], "2023");
    assert_eq!(t.points.iter().filter(|p| p.key.year == 2023).count(), 6);
    let p = at(t, "国内生产总值指数(1978年=100)", "2023");
    assert_eq!((p.value, p.unit.as_deref()), (Some(4713.5), None));
    assert_eq!(
        at(t, "人均国内生产总值指数(1978年=100)", "2019").value,
        Some(2664.8)
    );
}

#[test]
fn energy_with_unpublished_years() {
    let Some(r) = read("nbs-年度数据 (1).xls") else {
        return;
    };
    let sh = sheet(&r, "年度数据");
    let t = wide(&r, "年度数据");
    assert_eq!((sh.rows_read, sh.rows_kept), (56, 52));
    assert_eq!(t.periods.len(), 10);
    let total = at(t, "能源消费总量", "2024年");
    assert_eq!(
        (total.value, total.unit.as_deref()),
        (Some(596000.0), Some("万吨标准煤"))
    );
    let agriculture = at(t, "农、林、牧、渔业能源消费总量", "2024年");
    assert_eq!(
        (agriculture.value, agriculture.symbol.as_deref()),
        (None, Some(""))
    );
    assert_eq!(
        at(t, "农、林、牧、渔业能源消费总量", "2022年").value,
        Some(10090.0)
    );
    assert!(t.points.iter().all(|p| p.role == Role::Item));
}

#[test]
fn cpi_dates_down_the_first_column() {
    let Some(r) = read("nbs-CPI.xls") else { return };
    let t = wide(&r, "MACHINACPI");
    assert_eq!(t.orientation, Orientation::PeriodsInRows);
    assert_eq!(t.periods.first().map(String::as_str), Some("1987-01"));
    assert_eq!(t.series, 7);
    let p = &t.points[0];
    assert_eq!(
        (p.key.year, p.key.month, p.value),
        (1987, Some(1), Some(105.1))
    );
    assert!(
        p.indicator.starts_with("居民消费价格指数CPI_当月同比"),
        "{}",
        p.indicator
    );
}

#[test]
fn the_metadata_sheet_is_joined_to_the_industry_series() {
    let Some(r) = read("nbs-工业增加值-行业-月度.xls") else {
        return;
    };
    let meta = sheet(&r, "Sheet2");
    assert!(meta.warnings.is_empty(), "{:?}", meta.warnings);
    assert_eq!((meta.series_meta.len(), meta.rows_kept), (90, 90));
    let t = wide(&r, "Sheet1");
    let note = t
        .series_note("规模以上工业增加值_累计同比实际增速", Some("全国"))
        .expect("joined");
    assert_eq!(note.source.as_deref(), Some("国家统计局"));
    assert!(note
        .notes
        .as_deref()
        .is_some_and(|n| n.contains("国家统计局不发布1月份规模以上工业生产数据")));
    // Declared monthly there: the periods stay months.
    assert!(t
        .points
        .iter()
        .all(|p| p.key.frequency == yearbook::ingest::periods_wide::Frequency::Month));
}

#[test]
fn provinces_footer_splits_into_notes_and_source() {
    let Some(r) = read("nbs-分省年度数据.xls") else {
        return;
    };
    let t = wide(&r, "分省年度数据");
    assert_eq!(t.source().as_deref(), Some("国家统计局"));
    let notes = t.notes().expect("notes");
    assert!(notes.starts_with("注：1.本表按当年价格计算。"), "{notes}");
    assert!(notes.contains(" 2.2018年数据为根据第四次全国经济普查资料修订后数据。"));
}

#[test]
fn a_batch_of_the_real_exports_alone_has_the_latest_series_period() {
    let (Some(a), Some(b)) = (
        read("nbs-分省年度数据.xls"),
        read("nbs-工业增加值-月度.xls"),
    ) else {
        return;
    };
    let files = [a, b];
    let p = yearbook::clean::frame::latest_series_period(&files).expect("a period");
    assert_eq!(p.to_string(), "2020-04");
    assert_eq!(
        yearbook::clean::frame::series_span_label(&files).as_deref(),
        Some("2015年—2020年4月")
    );
}
