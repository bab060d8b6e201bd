//! Charts of the tables: plotters draws SVG, resvg rasterises it to PNG with the embedded
//! CJK font, so Chinese text renders on machines without Chinese fonts, and glyphs are placed
//! by a real text layout (plotters' own raster text path misplaces full-width punctuation).

use super::EmitError;
use crate::aggregate::{MetricKind, MetricValue, TableResult};
pub use crate::config::chart::{ChartKind, ChartSpec, XAxis};
use plotters::prelude::*;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The embedded font: a GB2312 subset of Noto Sans CJK SC (SIL OFL 1.1, assets/fonts/OFL.txt).
pub static FONT: &[u8] = include_bytes!("../../../assets/fonts/YearbookSansSC-Regular.otf");
/// The embedded font's family name.
pub const FAMILY: &str = "Yearbook Sans SC";
/// What SVG viewers try when the embedded font is not installed.
const FAMILY_FALLBACKS: &str = "Yearbook Sans SC, Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, SimHei, sans-serif";

const WIDTH: u32 = 960;
const HEIGHT: u32 = 540;
/// Okabe–Ito colours: distinguishable with colour-blindness and in greyscale print.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
];
const LINE_COLOR: RGBColor = RGBColor(213, 94, 0);
/// The height of a value label (12 px text with its line spacing).
const VALUE_LABEL_HEIGHT: i32 = 15;

/// At most this many bars carry value labels.
const LABELLED_BARS: usize = 24;
/// At most this many categories are drawn; beyond it the smallest are summed into 其他.
const MAX_CATEGORIES: usize = 12;
/// Label of the groups folded together.
const OTHER: &str = "其他";

mod data;
mod raster;
mod svg;

pub use data::*;
pub use raster::*;
pub use svg::*;

/// The chart a table gets when the pipeline declares none.
pub fn default_for(table: &TableResult) -> ChartSpec {
    let metric = headline(table);
    let growth = table.metrics.get(metric).is_some_and(|m| {
        table
            .metrics
            .iter()
            .any(|g| g.name == format!("{}同比", m.name))
    });
    let (kind, x) = match (table.dims.is_empty(), growth) {
        (false, _) => (ChartKind::Bar, XAxis::Key),
        (true, true) => (ChartKind::BarLine, XAxis::Period),
        (true, false) => (ChartKind::Bar, XAxis::Period),
    };
    ChartSpec {
        name: table.name.clone(),
        kind,
        x,
        metric,
        title: None,
        periods: 2,
    }
}

/// The measure a table's default chart draws: the first money amount; else the first rate;
/// else the first count that is not a count of batches (申报批次 1/2/3 says little); else the
/// first measure. Derived metrics (同比, 构成 …) are never the headline.
pub fn headline(table: &TableResult) -> usize {
    let parents = super::grid::derived_from(&table.metrics);
    let base: Vec<(usize, &crate::aggregate::MetricDef)> = table
        .metrics
        .iter()
        .enumerate()
        .filter(|(i, _)| parents[*i].is_none())
        .collect();
    let first = |f: &dyn Fn(&crate::aggregate::MetricDef) -> bool| {
        base.iter().find(|(_, m)| f(m)).map(|(i, _)| *i)
    };
    first(&|m| m.kind == MetricKind::Money)
        .or_else(|| first(&|m| m.kind == MetricKind::Percent))
        .or_else(|| first(&|m| m.kind == MetricKind::Count && !m.name.ends_with("批次")))
        .unwrap_or(0)
}

/// Writes `<name>.svg` and `<name>.png` for a chart of a table; None when the table has
/// nothing to draw.
pub fn write_chart(
    table: &TableResult,
    spec: &ChartSpec,
    dir: &Path,
    scale: f32,
    cache: Option<&crate::store::charts::PngCache>,
    sink: &super::OutputWriter,
) -> Result<Option<(super::Written, super::Written)>, EmitError> {
    let Some(data) = chart_data(table, spec) else {
        return Ok(None);
    };
    let svg_path = super::output_path(dir, &[&format!("{}.svg", spec.name)])?;
    let png_path = super::output_path(dir, &[&format!("{}.png", spec.name)])?;
    let other = |p: &Path, m: String| EmitError::Io {
        path: p.to_path_buf(),
        source: std::io::Error::other(m),
    };
    let svg = render_svg(&data).map_err(|m| other(&svg_path, m))?;
    let png = match cache {
        Some(c) => c.png(&svg, scale, svg_to_png),
        None => svg_to_png(&svg, scale),
    }
    .map_err(|m| other(&png_path, m))?;
    let svg = sink.put(&svg_path, svg).map_err(EmitError::io(&svg_path))?;
    let png = sink.put(&png_path, png).map_err(EmitError::io(&png_path))?;
    Ok(Some((svg, png)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> ChartData {
        ChartData {
            kind: ChartKind::BarLine,
            title: "二道区5000万元以上项目总投资（万元）".into(),
            unit_line: "单位：万元".into(),
            categories: vec![
                "新建".into(),
                "续建".into(),
                "长春二道经济开发区智能家居产业园区项目".into(),
            ],
            series: vec![
                (
                    "2021年总投资".into(),
                    vec![Some(12000.0), Some(30500.5), None],
                ),
                (
                    "2022年总投资".into(),
                    vec![Some(15000.0), Some(28000.0), Some(800.0)],
                ),
            ],
            line: Some((
                "总投资同比增长(%)".into(),
                vec![Some(25.0), Some(-8.2), None],
            )),
        }
    }

    /// (x, y, text) of every text element of an SVG that plotters wrote.
    fn texts(svg: &str) -> Vec<(i32, i32, String)> {
        let attr = |line: &str, name: &str| -> Option<i32> {
            let at = line.find(&format!(" {name}=\""))? + name.len() + 3;
            line[at..].split('"').next()?.parse().ok()
        };
        let lines: Vec<&str> = svg.lines().collect();
        lines
            .windows(2)
            .filter(|w| w[0].starts_with("<text"))
            .filter_map(|w| Some((attr(w[0], "x")?, attr(w[0], "y")?, w[1].to_string())))
            .collect()
    }

    #[test]
    fn growth_labels_keep_clear_of_the_bar_labels() {
        // 减免退税 1—N月, 2022: the 9月 growth point sits on top of its bar.
        let bars = [
            0.52, 1.12, 1.85, 4.41, 6.17, 7.62, 8.36, 9.02, 9.57, 10.14, 10.66, 11.2,
        ];
        let growth = [
            39.54, 54.7, 171.26, 191.31, 208.82, 189.46, 168.61, 155.44, 140.96, 134.37, 123.37,
        ];
        let c = ChartData {
            kind: ChartKind::BarLine,
            title: "减免退税累计进度".into(),
            unit_line: "单位：亿元".into(),
            categories: (1..=12).map(|m| format!("2022年{m}月")).collect(),
            series: vec![("减免退税额".into(), bars.iter().map(|&v| Some(v)).collect())],
            line: Some((
                "减免退税额同比增长(%)".into(),
                std::iter::once(None)
                    .chain(growth.iter().map(|&v| Some(v)))
                    .collect(),
            )),
        };
        let t = texts(&render_svg(&c).unwrap());
        let mut checked = 0;
        for (x, y, label) in t.iter().filter(|t| t.2.ends_with('%')) {
            let Some(bar) = t
                .iter()
                .find(|b| b.0 == *x && !b.2.ends_with('%') && b.2.contains('.'))
            else {
                continue;
            };
            assert!(
                (y - bar.1).abs() >= VALUE_LABEL_HEIGHT,
                "{label} at y={y} overlaps {} at y={}",
                bar.2,
                bar.1
            );
            checked += 1;
        }
        assert_eq!(checked, 11);
    }

    #[test]
    fn a_cached_png_is_reused_only_for_the_same_svg_and_scale() {
        let dir = tempfile::tempdir().unwrap();
        let cache = crate::store::charts::PngCache::new(&dir.path().join("charts")).unwrap();
        let svg = render_svg(&data()).unwrap();
        let fresh = svg_to_png(&svg, 0.25).unwrap();
        assert_eq!(cache.png(&svg, 0.25, svg_to_png).unwrap(), fresh);
        let entry = cache.entry(&svg, 0.25);
        assert!(entry.is_file());
        // What is in the cache is what a re-run writes, without rendering again.
        let marker = b"\x89PNG\r\n\x1a\nmarker".to_vec();
        crate::store::sealed::write_sealed(&entry, &marker).unwrap();
        assert_eq!(cache.png(&svg, 0.25, svg_to_png).unwrap(), marker);
        assert_ne!(cache.png(&svg, 0.2, svg_to_png).unwrap(), marker);
        let other = svg.replace("新建", "扩建");
        assert_ne!(cache.png(&other, 0.25, svg_to_png).unwrap(), marker);
        // A damaged entry, or one cut short, is rendered again.
        std::fs::write(&entry, b"not a png").unwrap();
        assert_eq!(cache.png(&svg, 0.25, svg_to_png).unwrap(), fresh);
        let whole = std::fs::read(&entry).unwrap();
        std::fs::write(&entry, &whole[..whole.len() / 2]).unwrap();
        assert_eq!(cache.png(&svg, 0.25, svg_to_png).unwrap(), fresh);
    }

    #[test]
    fn svg_has_chinese_text_and_font_fallbacks_and_is_deterministic() {
        let a = render_svg(&data()).unwrap();
        assert!(a.contains("二道区5000万元以上项目总投资"));
        assert!(a.contains("单位：万元"));
        assert!(a.contains("PingFang SC"));
        assert_eq!(a, render_svg(&data()).unwrap());
    }

    #[test]
    fn png_is_valid_scaled_and_deterministic() {
        let svg = render_svg(&data()).unwrap();
        let png = svg_to_png(&svg, 2.0).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
        let h = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
        assert_eq!((w, h), (WIDTH * 2, HEIGHT * 2));
        assert_eq!(png, svg_to_png(&svg, 2.0).unwrap());
    }

    #[test]
    fn labels() {
        assert_eq!(number_label(1234567.5), "1,234,567.5");
        assert_eq!(number_label(-12.0), "-12");
        assert_eq!(wrap("长春二道经济开发区智能家居产业园区项目", 6).len(), 3);
    }

    #[test]
    fn every_kind_renders_to_valid_deterministic_files() {
        for kind in ["bar", "stacked", "line", "bar_line", "share"] {
            let mut d = data();
            d.kind = ChartKind::parse(kind).unwrap();
            d.title = format!("减免退税额（{kind}）");
            if d.kind != ChartKind::BarLine {
                d.line = None;
            }
            let svg = render_svg(&d).unwrap();
            assert!(svg.starts_with("<svg") || svg.contains("<svg"), "{kind}");
            assert!(
                svg.contains(&format!("减免退税额（{kind}）")),
                "{kind}: title missing from the SVG text"
            );
            assert_eq!(svg, render_svg(&d).unwrap(), "{kind}");
            let png = svg_to_png(&svg, 1.0).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{kind}");
            assert!(png.len() > 10_000, "{kind}: suspiciously small PNG");
            assert_eq!(png, svg_to_png(&svg, 1.0).unwrap(), "{kind}");
        }
    }

    #[test]
    fn many_groups_fold_into_other() {
        use crate::aggregate::{AggRow, MetricDef};
        let mut rows = vec![AggRow {
            year: 2022,
            month: None,
            key: None,
            metric: 0,
            value: Some(MetricValue::Int(120)),
        }];
        for i in 0..15i64 {
            rows.push(AggRow {
                year: 2022,
                month: None,
                key: Some(vec![format!("街道{i:02}")]),
                metric: 0,
                value: Some(MetricValue::Int(15 - i)),
            });
        }
        let table = TableResult {
            name: "t".into(),
            title: "各街道户数".into(),
            unit: crate::model::MoneyUnit::Wanyuan,
            dims: vec!["area".into()],
            dim_titles: vec!["街道".into()],
            metrics: vec![MetricDef {
                name: "户数".into(),
                kind: MetricKind::Count,
                decimals: 0,
                unit: "户".into(),
            }],
            rows,
            wide: true,
            warnings: Vec::new(),
            ytd: None,
        };
        let d = default_chart(&table).unwrap();
        assert_eq!(d.categories.len(), MAX_CATEGORIES);
        assert_eq!(d.categories.last().map(String::as_str), Some("其他"));
        // The four smallest (4 + 3 + 2 + 1) are summed.
        assert_eq!(d.series[0].1.last().copied().flatten(), Some(10.0));
    }

    use crate::aggregate::MetricDef;

    fn metric(name: &str, kind: MetricKind) -> MetricDef {
        MetricDef {
            name: name.into(),
            kind,
            decimals: 2,
            unit: String::new(),
        }
    }

    fn table_of(metrics: Vec<MetricDef>) -> TableResult {
        TableResult {
            name: "t".into(),
            title: "表".into(),
            unit: crate::model::MoneyUnit::Wanyuan,
            dims: vec![],
            dim_titles: vec![],
            metrics,
            rows: vec![],
            wide: true,
            warnings: Vec::new(),
            ytd: None,
        }
    }

    #[test]
    fn the_default_chart_draws_the_headline_measure() {
        use MetricKind::*;
        // 专项债券: batches and counts first, then the amounts.
        let t = table_of(vec![
            metric("申报批次", Count),
            metric("申报项目数", Count),
            metric("申请金额", Money),
            metric("到位金额", Money),
            metric("申报批次同比", Percent),
        ]);
        assert_eq!(headline(&t), 2);
        assert_eq!(default_for(&t).metric, 2);
        // 信用修复: counts, then the rate.
        let t = table_of(vec![
            metric("应修复企业数", Count),
            metric("已修复企业数", Count),
            metric("修复率", Percent),
        ]);
        assert_eq!(headline(&t), 2);
        // Counts only: never the batch count.
        let t = table_of(vec![metric("申报批次", Count), metric("事项数", Count)]);
        assert_eq!(headline(&t), 1);
        // A growth is never the headline.
        let t = table_of(vec![metric("件数", Count), metric("件数同比", Percent)]);
        assert_eq!(headline(&t), 0);
    }

    #[test]
    fn year_to_date_months_are_labelled_1_to_n() {
        let mut t = table_of(vec![MetricDef {
            unit: "户".into(),
            ..metric("户数", MetricKind::Count)
        }]);
        t.ytd = Some(true);
        t.wide = false;
        for m in 1..=3 {
            t.rows.push(crate::aggregate::AggRow {
                year: 2022,
                month: Some(m),
                key: None,
                metric: 0,
                value: Some(MetricValue::Int(m as i64 * 10)),
            });
        }
        let d = default_chart(&t).unwrap();
        assert_eq!(d.categories, vec!["1月", "1—2月", "1—3月"]);
        assert_eq!(d.title, "表（2022年）");
        // A count carries its unit.
        assert_eq!(d.unit_line, "单位：户");
        // Across years the year stays; single months are labelled as such.
        t.rows.push(crate::aggregate::AggRow {
            year: 2023,
            month: Some(2),
            key: None,
            metric: 0,
            value: Some(MetricValue::Int(5)),
        });
        let d = default_chart(&t).unwrap();
        assert_eq!(d.categories[3], "2023年1—2月");
        t.ytd = Some(false);
        let d = default_chart(&t).unwrap();
        assert_eq!(d.categories[1], "2022年2月");
    }

    /// The boxes of every value label drawn (numbers and percentages) in an SVG.
    fn value_boxes(svg: &str) -> Vec<(String, (i32, i32, i32, i32))> {
        texts(svg)
            .into_iter()
            // Inside the plot (axis ticks are outside), above the category labels.
            .filter(|(x, y, t)| {
                (90..880).contains(x)
                    && *y < 440
                    && t.chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_digit() || c == '-')
            })
            .map(|(x, y, t)| {
                let l = Label {
                    text: t.clone(),
                    x,
                    bottoms: vec![],
                };
                (t, l.bounds(y))
            })
            .collect()
    }

    #[test]
    fn value_labels_never_overlap() {
        // Grouped bars with close values and a growth line through them.
        let c = ChartData {
            kind: ChartKind::BarLine,
            title: "t".into(),
            unit_line: String::new(),
            categories: (1..=12).map(|m| format!("{m}月")).collect(),
            series: vec![
                (
                    "2021年".into(),
                    (0..12).map(|i| Some(1000.0 + i as f64)).collect(),
                ),
                (
                    "2022年".into(),
                    (0..12).map(|i| Some(1001.5 + i as f64)).collect(),
                ),
            ],
            line: Some((
                "同比增长(%)".into(),
                (0..12).map(|i| Some(90.0 + i as f64)).collect(),
            )),
        };
        let svg = render_svg(&c).unwrap();
        let boxes = value_boxes(&svg);
        assert!(boxes.len() >= 12, "{boxes:?}");
        for (i, (a, ba)) in boxes.iter().enumerate() {
            for (b, bb) in &boxes[i + 1..] {
                let overlap = ba.0 < bb.2 && bb.0 < ba.2 && ba.1 < bb.3 && bb.1 < ba.3;
                assert!(!overlap, "{a} {ba:?} overlaps {b} {bb:?}");
            }
        }
    }

    #[test]
    fn placing_moves_a_label_up_then_drops_it() {
        let a = Label::bar("1,000".into(), 100, 200);
        let b = Label::bar("1,001".into(), 105, 200);
        let c = Label::bar("1,002".into(), 110, 200);
        let d = Label::bar("1,003".into(), 102, 200);
        let h = VALUE_LABEL_HEIGHT;
        assert_eq!(
            place_labels(&[a, b, c, d], &[]),
            vec![Some(200), Some(200 - h), Some(200 - 2 * h), None]
        );
    }
}
