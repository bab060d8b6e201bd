//! Charts of the tables: plotters draws SVG, resvg rasterises it to PNG with the embedded
//! CJK font, so Chinese text renders on machines without Chinese fonts, and glyphs are placed
//! by a real text layout (plotters' own raster text path misplaces full-width punctuation).

use super::EmitError;
use crate::aggregate::{MetricKind, MetricValue, TableResult};
pub use crate::config::chart::{ChartKind, ChartSpec, XAxis};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The embedded font: a GB2312 subset of Noto Sans CJK SC (SIL OFL 1.1, assets/fonts/OFL.txt).
pub static FONT: &[u8] = include_bytes!("../../assets/fonts/YearbookSansSC-Regular.otf");
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

/// What one chart shows: values per category, one list per series, and an optional line on
/// a second axis (growth in percent).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub kind: ChartKind,
    pub title: String,
    /// `单位：万元`.
    pub unit_line: String,
    pub categories: Vec<String>,
    pub series: Vec<(String, Vec<Option<f64>>)>,
    pub line: Option<(String, Vec<Option<f64>>)>,
}

fn register_font() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

fn value_f64(kind: MetricKind, v: Option<MetricValue>, unit_fen: i64) -> Option<f64> {
    match v? {
        MetricValue::Fen(f) if kind == MetricKind::Money => Some(f as f64 / unit_fen as f64),
        MetricValue::Fen(x) | MetricValue::Int(x) => Some(x as f64),
        MetricValue::Float(x) => Some(x),
    }
}

/// A category's label: `2022年`, `2022年1—2月` (1—N月 values) or `2022年2月`; without the
/// year (`1—2月`) when every category is in the same year.
fn period_label(year: i32, month: Option<u32>, months_are_ytd: bool, with_year: bool) -> String {
    let year = match with_year || month.is_none() {
        true => format!("{year}年"),
        false => String::new(),
    };
    match month {
        None => year,
        Some(1) => format!("{year}1月"),
        Some(m) if months_are_ytd => format!("{year}1—{m}月"),
        Some(m) => format!("{year}{m}月"),
    }
}

/// Selects the values a chart shows from a table; None when there is nothing to draw.
pub fn chart_data(table: &TableResult, spec: &ChartSpec) -> Option<ChartData> {
    let metric = spec.metric;
    let def = table.metrics.get(metric)?;
    let unit_fen = table.unit.fen();
    let unit_line = match (spec.kind, def.kind) {
        (ChartKind::Share, _) | (_, MetricKind::Percent) => "单位：%".to_string(),
        (_, MetricKind::Money) => format!("单位：{}", table.unit),
        _ if !def.unit.is_empty() => format!("单位：{}", def.unit),
        _ => String::new(),
    };
    let mut periods: Vec<(i32, Option<u32>)> =
        table.rows.iter().map(|r| (r.year, r.month)).collect();
    periods.sort();
    periods.dedup();
    let years = periods
        .iter()
        .map(|p| p.0)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let ytd = table
        .ytd
        .unwrap_or(periods.iter().filter(|p| p.1.is_some()).count() <= years);
    let value = |y: i32, m: Option<u32>, key: Option<&str>, mi: usize| {
        table
            .rows
            .iter()
            .find(|r| {
                r.year == y
                    && r.month == m
                    && r.metric == mi
                    && r.key.as_ref().map(|k| k.join("/")).as_deref() == key
            })
            .and_then(|r| value_f64(table.metrics[mi].kind, r.value, unit_fen))
    };
    // Groups in the table's order for the latest period (合计 left out).
    let latest = *periods.last()?;
    let mut keys: Vec<String> = Vec::new();
    for r in table
        .rows
        .iter()
        .filter(|r| (r.year, r.month) == latest && r.metric == metric)
    {
        if let Some(k) = &r.key {
            let name = k.join("/");
            if !keys.contains(&name) {
                keys.push(name);
            }
        }
    }
    // Too many groups: the largest stay, the rest are summed into 其他 where sums make sense.
    let additive = matches!(def.kind, MetricKind::Money | MetricKind::Count);
    let mut rest: Vec<String> = Vec::new();
    if keys.len() > MAX_CATEGORIES && additive {
        rest = keys.split_off(MAX_CATEGORIES - 1);
        if let Some(pos) = keys.iter().position(|k| k == OTHER) {
            rest.push(keys.remove(pos));
        }
        keys.push(OTHER.to_string());
    } else {
        keys.truncate(MAX_CATEGORIES);
    }
    let group = |y: i32, m: Option<u32>, k: &str| -> Option<f64> {
        if !rest.is_empty() && k == OTHER {
            let parts: Vec<f64> = rest
                .iter()
                .filter_map(|r| value(y, m, Some(r), metric))
                .collect();
            (!parts.is_empty()).then(|| parts.iter().sum())
        } else {
            value(y, m, Some(k), metric)
        }
    };
    let title = spec.title.clone().unwrap_or_else(|| table.title.clone());
    let growth = table
        .metrics
        .iter()
        .position(|m| m.name == format!("{}同比", def.name));
    let mut data = match spec.x {
        XAxis::Period => {
            let skip = periods.len().saturating_sub(MAX_CATEGORIES);
            let shown = &periods[skip..];
            let one_year = shown.iter().all(|p| p.0 == shown[0].0 && p.1.is_some());
            let categories = shown
                .iter()
                .map(|&(y, m)| period_label(y, m, ytd, !one_year))
                .collect();
            let series = if keys.is_empty() || spec.kind == ChartKind::BarLine {
                vec![(
                    def.name.clone(),
                    shown
                        .iter()
                        .map(|&(y, m)| value(y, m, None, metric))
                        .collect(),
                )]
            } else {
                keys.iter()
                    .map(|k| {
                        (
                            k.clone(),
                            shown.iter().map(|&(y, m)| group(y, m, k)).collect(),
                        )
                    })
                    .collect()
            };
            let line = match (spec.kind, growth) {
                (ChartKind::BarLine, Some(g)) => Some((
                    format!("{}同比增长(%)", def.name),
                    shown.iter().map(|&(y, m)| value(y, m, None, g)).collect(),
                )),
                _ => None,
            };
            // Months of one year are labelled without it: the title says it.
            let title = match (one_year, shown.first()) {
                (true, Some(&(y, _))) if spec.title.is_none() => format!("{title}（{y}年）"),
                _ => title,
            };
            ChartData {
                kind: spec.kind,
                title,
                unit_line,
                categories,
                series,
                line,
            }
        }
        XAxis::Key => {
            let mut shown: Vec<(i32, Option<u32>)> = periods
                .iter()
                .rev()
                .filter(|p| p.1 == latest.1)
                .take(spec.periods.max(1))
                .copied()
                .collect();
            shown.reverse();
            let series = shown
                .iter()
                .map(|&(y, m)| {
                    (
                        format!("{}{}", period_label(y, m, ytd, true), def.name),
                        keys.iter().map(|k| group(y, m, k)).collect(),
                    )
                })
                .collect();
            ChartData {
                kind: spec.kind,
                title,
                unit_line,
                categories: keys,
                series,
                line: None,
            }
        }
    };
    if data.kind == ChartKind::Share {
        // Each category as percentages of its own total.
        let n = data.categories.len();
        for i in 0..n {
            let total: f64 = data
                .series
                .iter()
                .filter_map(|(_, v)| v.get(i).copied().flatten())
                .sum();
            for (_, v) in data.series.iter_mut() {
                if let Some(x) = v.get_mut(i) {
                    *x = x.map(|x| if total != 0.0 { x / total * 100.0 } else { 0.0 });
                }
            }
        }
    }
    (!data.categories.is_empty()).then_some(data)
}

/// The default chart of a table.
pub fn default_chart(table: &TableResult) -> Option<ChartData> {
    chart_data(table, &default_for(table))
}

/// Thousands separators and at most two decimals.
fn number_label(x: f64) -> String {
    let neg = x < 0.0;
    let r = (x.abs() * 100.0).round() / 100.0;
    let int = r.trunc() as u64;
    let frac = ((r - r.trunc()) * 100.0).round() as u64;
    let digits = int.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let mut s = if neg { format!("-{grouped}") } else { grouped };
    if frac > 0 {
        let f = format!("{frac:02}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

/// A "nice" tick step for a range.
fn nice_step(range: f64) -> f64 {
    if range <= 0.0 || !range.is_finite() {
        return 1.0;
    }
    let raw = range / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn axis_range(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    let mut whole = true;
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
        whole &= v.fract() == 0.0;
    }
    if hi == lo {
        hi = lo + 1.0;
    }
    // Counts get whole-number ticks.
    let step = if whole {
        nice_step(hi - lo).max(1.0)
    } else {
        nice_step(hi - lo)
    };
    (
        (lo / step).floor() * step,
        (hi * 1.1 / step).ceil() * step,
        step,
    )
}

/// Splits a long label into lines of at most `width` characters, at most three lines.
fn wrap(label: &str, width: usize) -> Vec<String> {
    // A month (`1—10月`) stays on one line.
    if label.ends_with('月') && !label.contains('年') && label.chars().count() <= 6 {
        return vec![label.to_string()];
    }
    // Period labels break after the year: `2022年` / `1—10月`.
    if let Some((year, rest)) = label.split_once('年') {
        if label.chars().count() > width
            && !rest.is_empty()
            && year.chars().all(|c| c.is_ascii_digit())
        {
            return vec![format!("{year}年"), rest.to_string()];
        }
    }
    let chars: Vec<char> = label.chars().collect();
    let mut lines: Vec<String> = chars.chunks(width).map(|c| c.iter().collect()).collect();
    if lines.len() > 3 {
        lines.truncate(3);
        if let Some(last) = lines.last_mut() {
            last.pop();
            last.push('…');
        }
    }
    lines
}

fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn draw(root: &Area, c: &ChartData) -> Result<(), String> {
    let e = |err: DrawingAreaErrorKind<_>| err.to_string();
    root.fill(&WHITE).map_err(e)?;
    let title = font(22.0).pos(Pos::new(HPos::Center, VPos::Top));
    root.draw_text(&c.title, &title, (WIDTH as i32 / 2, 14))
        .map_err(e)?;
    let right = if c.line.is_some() { 880 } else { 930 };
    let (left, top, bottom) = (90i32, 80i32, 440i32);
    let small = font(13.0);
    let unit_pos = small.pos(Pos::new(HPos::Left, VPos::Bottom));
    root.draw_text(&c.unit_line, &unit_pos, (left - 60, top - 16))
        .map_err(e)?;

    let n = c.categories.len().max(1);
    let stacked = matches!(c.kind, ChartKind::Stacked | ChartKind::Share);
    // Value range: stacked bars reach the sum of each category.
    let extent: Vec<f64> = if stacked {
        (0..n)
            .flat_map(|i| {
                let pos: f64 = c
                    .series
                    .iter()
                    .filter_map(|(_, v)| v.get(i).copied().flatten())
                    .filter(|x| *x > 0.0)
                    .sum();
                let neg: f64 = c
                    .series
                    .iter()
                    .filter_map(|(_, v)| v.get(i).copied().flatten())
                    .filter(|x| *x < 0.0)
                    .sum();
                [pos, neg]
            })
            .collect()
    } else {
        c.series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten().copied())
            .collect()
    };
    let (lo, hi, step) = axis_range(extent.into_iter());
    let y_of = |v: f64| bottom - ((v - lo) / (hi - lo) * (bottom - top) as f64).round() as i32;
    let grid = RGBColor(220, 220, 220);
    let mut t = lo;
    while t <= hi + step * 0.01 {
        let y = y_of(t);
        root.draw(&PathElement::new(vec![(left, y), (right, y)], grid))
            .map_err(e)?;
        let tick = small.pos(Pos::new(HPos::Right, VPos::Center));
        root.draw_text(&number_label(t), &tick, (left - 8, y))
            .map_err(e)?;
        t += step;
    }
    let zero = y_of(0.0f64.max(lo));
    root.draw(&PathElement::new(vec![(left, zero), (right, zero)], BLACK))
        .map_err(e)?;

    let slot = (right - left) as f64 / n as f64;
    let ns = c.series.len().max(1);
    let per_slot = if stacked { 1 } else { ns };
    let bar_w = (slot * 0.7 / per_slot as f64).min(90.0);
    let group_pad = (slot - bar_w * per_slot as f64) / 2.0;
    let label_bars = n * per_slot <= LABELLED_BARS && c.kind != ChartKind::Line;
    let label_width = ((slot / 14.0).floor() as usize).clamp(2, 12);
    let center = |i: usize| (left as f64 + slot * (i as f64 + 0.5)).round() as i32;
    let value_style = font(12.0).pos(Pos::new(HPos::Center, VPos::Bottom));
    // Value labels are placed once every bar and point is known, so that none overlaps
    // another (see [`place_labels`]).
    let mut labels: Vec<Label> = Vec::new();
    let mut markers: Vec<(i32, i32, i32, i32)> = Vec::new();
    for (i, cat) in c.categories.iter().enumerate() {
        let x0 = left as f64 + slot * i as f64 + group_pad;
        let (mut up, mut down) = (0.0f64, 0.0f64);
        for (si, (_, vals)) in c.series.iter().enumerate() {
            let Some(v) = vals.get(i).copied().flatten() else {
                continue;
            };
            let color = PALETTE[si % PALETTE.len()];
            if c.kind == ChartKind::Line {
                continue;
            }
            let (bx, from, to) = if stacked {
                let base = if v >= 0.0 { up } else { down };
                if v >= 0.0 {
                    up += v;
                } else {
                    down += v;
                }
                (x0, base, base + v)
            } else {
                (x0 + bar_w * si as f64, 0.0f64.max(lo), v)
            };
            let (y1, y2) = (y_of(from), y_of(to));
            let rect = [
                (bx.round() as i32, y1.min(y2)),
                ((bx + bar_w).round() as i32 - 1, y1.max(y2)),
            ];
            root.draw(&Rectangle::new(rect, color.filled()))
                .map_err(e)?;
            if label_bars && !stacked {
                labels.push(Label::bar(
                    number_label(v),
                    (bx + bar_w / 2.0).round() as i32,
                    y1.min(y2) - 3,
                ));
            }
        }
        if label_bars && stacked && c.kind == ChartKind::Stacked {
            labels.push(Label::bar(number_label(up + down), center(i), y_of(up) - 3));
        }
        for (li, line) in wrap(cat, label_width).iter().enumerate() {
            let style = small.pos(Pos::new(HPos::Center, VPos::Top));
            root.draw_text(line, &style, (center(i), bottom + 8 + 17 * li as i32))
                .map_err(e)?;
        }
    }
    if c.kind == ChartKind::Line {
        for (si, (_, vals)) in c.series.iter().enumerate() {
            let color = PALETTE[si % PALETTE.len()];
            let pts: Vec<(i32, i32)> = vals
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (center(i), y_of(v))))
                .collect();
            root.draw(&PathElement::new(pts.clone(), color.stroke_width(2)))
                .map_err(e)?;
            for p in &pts {
                root.draw(&Circle::new(*p, 3, color.filled())).map_err(e)?;
            }
        }
    }

    if let Some((_, vals)) = &c.line {
        let (llo, lhi, lstep) = axis_range(vals.iter().flatten().copied());
        let ly = |v: f64| bottom - ((v - llo) / (lhi - llo) * (bottom - top) as f64).round() as i32;
        let mut t = llo;
        while t <= lhi + lstep * 0.01 {
            let tick = small.pos(Pos::new(HPos::Left, VPos::Center));
            root.draw_text(&format!("{}%", number_label(t)), &tick, (right + 8, ly(t)))
                .map_err(e)?;
            t += lstep;
        }
        let pts: Vec<(i32, i32)> = vals
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (center(i), ly(v))))
            .collect();
        root.draw(&PathElement::new(pts.clone(), LINE_COLOR.stroke_width(2)))
            .map_err(e)?;
        for (p, v) in pts.iter().zip(vals.iter().flatten()) {
            root.draw(&Circle::new(*p, 4, LINE_COLOR.filled()))
                .map_err(e)?;
            labels.push(Label::point(format!("{}%", number_label(*v)), p.0, p.1));
            markers.push((p.0 - 4, p.1 - 4, p.0 + 4, p.1 + 4));
        }
    }
    for (label, bottom) in labels.iter().zip(place_labels(&labels, &markers)) {
        if let Some(bottom) = bottom {
            root.draw_text(&label.text, &value_style, (label.x, bottom))
                .map_err(e)?;
        }
    }

    // Legend, bottom left.
    let mut x = left;
    let ly = 515;
    let mut entries: Vec<(String, RGBColor)> = c
        .series
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.clone(), PALETTE[i % PALETTE.len()]))
        .collect();
    if let Some((n, _)) = &c.line {
        entries.push((n.clone(), LINE_COLOR));
    }
    for (name, color) in entries {
        root.draw(&Rectangle::new(
            [(x, ly - 6), (x + 12, ly + 6)],
            color.filled(),
        ))
        .map_err(e)?;
        root.draw_text(
            &name,
            &small.pos(Pos::new(HPos::Left, VPos::Center)),
            (x + 18, ly),
        )
        .map_err(e)?;
        x += 30 + 14 * name.chars().count() as i32;
    }
    root.present().map_err(e)?;
    Ok(())
}

/// A value label to place: centred on `x`, its bottom at one of `bottoms` (tried in order).
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub text: String,
    pub x: i32,
    pub bottoms: Vec<i32>,
}

impl Label {
    /// A bar's value: above the bar, else one and two label heights higher.
    pub fn bar(text: String, x: i32, bottom: i32) -> Label {
        let h = VALUE_LABEL_HEIGHT;
        Label {
            text,
            x,
            bottoms: vec![bottom, bottom - h, bottom - 2 * h],
        }
    }

    /// A line point's value: above the point, below it, or higher up.
    pub fn point(text: String, x: i32, y: i32) -> Label {
        let h = VALUE_LABEL_HEIGHT;
        Label {
            text,
            x,
            bottoms: vec![y - 6, y + 6 + h, y - 6 - h, y + 6 + 2 * h, y - 6 - 2 * h],
        }
    }

    /// The label's box (left, top, right, bottom) with its bottom at `bottom`.
    pub fn bounds(&self, bottom: i32) -> (i32, i32, i32, i32) {
        let w = text_width(&self.text);
        (
            self.x - w / 2 - 1,
            bottom - VALUE_LABEL_HEIGHT,
            self.x + w / 2 + 1,
            bottom,
        )
    }
}

/// The width of 12-pixel text: digits and Latin letters about 7 pixels, CJK 12.
fn text_width(s: &str) -> i32 {
    s.chars()
        .map(|c| match c {
            ',' | '.' => 4,
            c if c.is_ascii() => 7,
            _ => 12,
        })
        .sum()
}

/// Where each label goes: its first position that overlaps neither a label placed before it
/// nor one of the `obstacles` (the growth line's points), or None (the label is dropped) when
/// every position would.
pub fn place_labels(labels: &[Label], obstacles: &[(i32, i32, i32, i32)]) -> Vec<Option<i32>> {
    let mut placed: Vec<(i32, i32, i32, i32)> = obstacles.to_vec();
    let overlaps = |a: (i32, i32, i32, i32), b: &(i32, i32, i32, i32)| {
        a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
    };
    labels
        .iter()
        .map(|l| {
            let at = l
                .bottoms
                .iter()
                .copied()
                .find(|&b| !placed.iter().any(|p| overlaps(l.bounds(b), p)))?;
            placed.push(l.bounds(at));
            Some(at)
        })
        .collect()
}

/// The chart as SVG text; the same data gives the same bytes.
pub fn render_svg(c: &ChartData) -> Result<String, String> {
    register_font();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, c)?;
    }
    Ok(xml_safe(&buf).replace(
        &format!("font-family=\"{FAMILY}\""),
        &format!("font-family=\"{FAMILY_FALLBACKS}\""),
    ))
}

/// Control characters from a cell (say U+0001 in a project name) and the non-characters
/// U+FFFE and U+FFFF are not allowed in XML and
/// would make the SVG unreadable: each becomes U+FFFD, the replacement character.
fn xml_safe(svg: &str) -> String {
    svg.chars()
        .map(|c| match c {
            '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => crate::emit::xml_text_char(c),
        })
        .collect()
}

fn fontdb() -> Arc<resvg::usvg::fontdb::Database> {
    static DB: OnceLock<Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_font_data(FONT.to_vec());
        db.set_sans_serif_family(FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// Rasterises SVG to PNG at `scale` times the SVG size, with the embedded font only.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, String> {
    let opts = resvg::usvg::Options {
        fontdb: fontdb(),
        font_family: FAMILY.to_string(),
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &opts).map_err(|e| e.to_string())?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or("chart size out of range")?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or("cannot allocate the chart image")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    // tiny-skia's `encode_png` copies the whole image before un-premultiplying it; the
    // pixmap is not needed after, so that is done in place. Same encoder settings, same bytes.
    let (width, height) = (pixmap.width(), pixmap.height());
    let rgba = pixmap.take_demultiplied();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&rgba).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
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
