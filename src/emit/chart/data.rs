//! What a chart draws: categories, series and the growth line, taken from a table.

use super::*;

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

pub(super) fn value_f64(kind: MetricKind, v: Option<MetricValue>, unit_fen: i64) -> Option<f64> {
    match v? {
        MetricValue::Fen(f) if kind == MetricKind::Money => Some(f as f64 / unit_fen as f64),
        MetricValue::Fen(x) | MetricValue::Int(x) => Some(x as f64),
        MetricValue::Float(x) => Some(x),
    }
}

/// A category's label: `2022年`, `2022年1—2月` (1—N月 values) or `2022年2月`; without the
/// year (`1—2月`) when every category is in the same year.
pub(super) fn period_label(
    year: i32,
    month: Option<u32>,
    months_are_ytd: bool,
    with_year: bool,
) -> String {
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
