//! Tables of the portal series: the values selected by indicator, region, variant and
//! period, one per (period, key), never added up (a sum of rates or of provinces' figures
//! that already hold a total would be a wrong figure).

use super::result::{AggRow, MetricDef, MetricKind, MetricValue, TableResult};
use crate::config::{Layout, SeriesDim, SeriesFrequency, SeriesTableSpec};
use crate::ingest::periods_wide::Frequency;
use crate::ingest::wide::Point;
use crate::ingest::FileReport;
use crate::model::{column_letter, MoneyUnit};
use std::collections::{BTreeMap, BTreeSet};

/// Where a value was read, for messages.
struct Cell<'a> {
    value: Option<f64>,
    file: &'a str,
    sheet: &'a str,
    point: &'a Point,
}

impl Cell<'_> {
    fn at(&self) -> String {
        crate::i18n::t!(
            "series.at",
            file = self.file,
            sheet = self.sheet,
            cell = format!("{}{}", column_letter(self.point.col), self.point.row + 1)
        )
    }
}

fn frequency_of(f: Frequency) -> SeriesFrequency {
    match f {
        Frequency::Year => SeriesFrequency::Year,
        Frequency::Quarter => SeriesFrequency::Quarter,
        Frequency::Month => SeriesFrequency::Month,
    }
}

/// The month a period ends in.
fn end_month(p: &Point) -> u32 {
    match p.key.frequency {
        Frequency::Year => 12,
        Frequency::Quarter => p.key.quarter.unwrap_or(4) * 3,
        Frequency::Month => p.key.month.unwrap_or(12),
    }
}

/// Decimals a value needs as written, up to 4.
fn decimals_of(v: f64) -> u8 {
    let s = format!("{v}");
    s.split_once('.').map_or(0, |(_, f)| f.len().min(4) as u8)
}

/// The table `spec` selects from the series of `files`, up to the run's `period`.
pub fn series_table(
    spec: &SeriesTableSpec,
    files: &[FileReport],
    period: (i32, u32),
    warnings: &mut Vec<String>,
) -> Result<TableResult, String> {
    let name = &spec.name;
    let wanted: BTreeSet<&str> = spec.indicators.iter().map(String::as_str).collect();
    let regions: BTreeSet<&str> = spec.regions.iter().map(String::as_str).collect();
    let mut cells: Vec<Cell> = Vec::new();
    // Tables whose notes say their figures were revised or their coverage changed.
    let mut breaks: BTreeSet<String> = BTreeSet::new();
    for f in files {
        for sh in &f.sheets {
            for w in &sh.wide {
                if spec.variant.as_ref().is_some_and(|v| v != &w.variant) {
                    continue;
                }
                let revised = w
                    .notes()
                    .is_some_and(|n| ["修订", "口径", "调整"].iter().any(|k| n.contains(k)));
                let before = cells.len();
                for p in &w.points {
                    let region_ok = regions.is_empty()
                        || p.region.as_deref().is_some_and(|r| regions.contains(r));
                    let freq_ok = spec
                        .frequency
                        .is_none_or(|fr| fr == frequency_of(p.key.frequency));
                    if wanted.contains(p.indicator.as_str()) && region_ok && freq_ok {
                        cells.push(Cell {
                            value: p.value,
                            file: &f.display,
                            sheet: &sh.name,
                            point: p,
                        });
                    }
                }
                if revised && cells.len() > before {
                    breaks.insert(format!("{} `{}`", f.display, sh.name));
                }
            }
        }
    }
    if cells.is_empty() {
        return Err(crate::i18n::t!(
            "series.none",
            name = name,
            indicators = spec.indicators.join(" / "),
            region = if regions.is_empty() {
                String::new()
            } else {
                crate::i18n::t!("series.region", v = spec.regions.join(" / "))
            },
            variant = spec
                .variant
                .as_ref()
                .map(|v| crate::i18n::t!("series.variant", v = v))
                .unwrap_or_default(),
            frequency = spec
                .frequency
                .map(|f| crate::i18n::t!("series.frequency", v = f.name()))
                .unwrap_or_default()
        ));
    }
    let freqs: BTreeSet<SeriesFrequency> = cells
        .iter()
        .map(|c| frequency_of(c.point.key.frequency))
        .collect();
    let freq = match freqs.iter().collect::<Vec<_>>().as_slice() {
        [one] => **one,
        several => {
            let names: Vec<&str> = several.iter().map(|f| f.name()).collect();
            return Err(crate::i18n::t!(
                "series.frequencies",
                name = name,
                v = names.join(", ")
            ));
        }
    };
    if freq == SeriesFrequency::Quarter {
        return Err(crate::i18n::t!("series.quarterly", name = name));
    }
    // Values after the run's period, or after `to`, are not shown.
    let last = spec.to.map_or(period, |t| t.min(period));
    cells.retain(|c| (c.point.key.year, end_month(c.point)) <= last);

    let units: BTreeSet<Option<&str>> = cells.iter().map(|c| c.point.unit.as_deref()).collect();
    let percent = units.len() == 1 && units.contains(&Some("%"));
    let cumulative = cells.iter().all(|c| c.point.key.cumulative);
    let one_unit = (units.len() == 1)
        .then(|| units.iter().next().copied().flatten())
        .flatten();
    if units.len() > 1 && !spec.by.contains(&SeriesDim::Indicator) {
        let shown: Vec<&str> = units.iter().map(|u| u.unwrap_or("(none)")).collect();
        return Err(crate::i18n::t!(
            "series.units",
            name = name,
            v = shown.join(", ")
        ));
    }
    // Keys in order of appearance: the portal's own order of regions and indicators.
    let key_of = |c: &Cell| -> Vec<String> {
        spec.by
            .iter()
            .map(|d| match d {
                SeriesDim::Indicator => match (&c.point.unit, units.len() > 1) {
                    (Some(u), true) => format!("{}({u})", c.point.indicator),
                    _ => c.point.indicator.clone(),
                },
                SeriesDim::Region => c.point.region.clone().unwrap_or_default(),
            })
            .collect()
    };
    let mut keys: Vec<Vec<String>> = Vec::new();
    let mut values: BTreeMap<(i32, Option<u32>, usize), &Cell> = BTreeMap::new();
    for c in &cells {
        let key = key_of(c);
        let ki = match keys.iter().position(|k| k == &key) {
            Some(i) => i,
            None => {
                keys.push(key);
                keys.len() - 1
            }
        };
        let month = (freq == SeriesFrequency::Month).then(|| end_month(c.point));
        let slot = (c.point.key.year, month, ki);
        match values.get(&slot) {
            None => {
                values.insert(slot, c);
            }
            Some(prev) if prev.value.is_none() => {
                values.insert(slot, c);
            }
            Some(prev) => {
                if c.value.is_some() && c.value != prev.value {
                    return Err(crate::i18n::t!(
                        "series.conflict",
                        name = name,
                        indicator = c.point.indicator,
                        period = c.point.period,
                        was = prev.value.unwrap_or_default(),
                        at = prev.at(),
                        now = c.value.unwrap_or_default(),
                        at2 = c.at()
                    ));
                }
            }
        }
    }

    // The values shown: as published, or 1—N月 values differenced into single months.
    let shown: BTreeMap<(i32, Option<u32>, usize), Option<f64>> = match spec.single_months {
        true => single_months(name, freq, percent, &values, &keys, warnings)?,
        false => values.iter().map(|(k, c)| (*k, c.value)).collect(),
    };

    if spec.growth && !breaks.is_empty() {
        let shown: Vec<String> = breaks.into_iter().collect();
        warnings.push(crate::i18n::t!(
            "series.break",
            name = name,
            v = shown.join(", ")
        ));
    }
    let mut base = crate::config::series_measure_name(spec);
    if spec.single_months && spec.measure.is_none() {
        // 社会消费品零售总额累计值 differenced is 社会消费品零售总额当月.
        for cumulative in ["累计值", "累计"] {
            if let Some(stem) = base.strip_suffix(cumulative) {
                base = stem.to_string();
                break;
            }
        }
        base.push_str("当月");
    }
    let (kind, metric_name) = match (percent, one_unit) {
        (true, _) => (MetricKind::Percent, base.clone()),
        (false, Some(u)) => (MetricKind::Number, format!("{base}({u})")),
        (false, None) => (MetricKind::Number, base.clone()),
    };
    let decimals = spec.decimals.unwrap_or_else(|| {
        values
            .values()
            .filter_map(|c| c.value)
            .chain(shown.values().flatten().copied())
            .map(decimals_of)
            .max()
            .unwrap_or(0)
    });
    let mut metrics = vec![MetricDef {
        name: metric_name,
        kind,
        decimals,
        unit: String::new(),
    }];
    let growth_metric = spec.growth.then(|| {
        metrics.push(match percent {
            true => MetricDef {
                name: format!("{base}同比增减"),
                kind: MetricKind::Points,
                decimals: decimals.max(1),
                unit: String::new(),
            },
            false => MetricDef {
                name: format!("{base}同比"),
                kind: MetricKind::Percent,
                decimals: 1,
                unit: String::new(),
            },
        });
        metrics.len() - 1
    });
    let share_metric = spec.share.then(|| {
        metrics.push(MetricDef {
            name: format!("{base}构成"),
            kind: MetricKind::Percent,
            decimals: 1,
            unit: String::new(),
        });
        metrics.len() - 1
    });
    let mut totals: BTreeMap<(i32, Option<u32>), f64> = BTreeMap::new();
    // A period where some key has no value has no known total: no shares for it.
    let mut incomplete: BTreeSet<(i32, Option<u32>)> = BTreeSet::new();
    for (&(y, m, _), v) in &shown {
        match v {
            Some(v) => *totals.entry((y, m)).or_insert(0.0) += v,
            None => {
                incomplete.insert((y, m));
            }
        }
    }
    for period in &incomplete {
        totals.remove(period);
    }
    let first = spec.from.unwrap_or((i32::MIN, 0));
    let mut rows = Vec::new();
    for (&(y, m, ki), &value) in &shown {
        if (y, m.unwrap_or(12)) < first {
            continue;
        }
        let key = (!spec.by.is_empty()).then(|| keys[ki].clone());
        let row = |metric: usize, value: Option<f64>| AggRow {
            year: y,
            month: m,
            key: key.clone(),
            metric,
            value: value.filter(|v| v.is_finite()).map(MetricValue::Float),
        };
        rows.push(row(0, value));
        if let Some(gi) = growth_metric {
            let prev = shown.get(&(y - 1, m, ki)).copied().flatten();
            let g = match (value, prev) {
                (Some(v), Some(p)) if percent => Some(v - p),
                (Some(v), Some(p)) if p != 0.0 => Some((v / p - 1.0) * 100.0),
                _ => None,
            };
            rows.push(row(gi, g));
        }
        if let Some(si) = share_metric {
            let total = totals.get(&(y, m)).copied().filter(|t| *t > 0.0);
            rows.push(row(si, value.zip(total).map(|(v, t)| v / t * 100.0)));
        }
    }
    // Periods in order, then keys in order of appearance, then metrics.
    rows.sort_by(|a, b| {
        let ka = a
            .key
            .as_ref()
            .and_then(|k| keys.iter().position(|x| x == k));
        let kb = b
            .key
            .as_ref()
            .and_then(|k| keys.iter().position(|x| x == k));
        (a.year, a.month, ka, a.metric).cmp(&(b.year, b.month, kb, b.metric))
    });
    Ok(TableResult {
        name: spec.name.clone(),
        title: spec.title.clone(),
        unit: MoneyUnit::Wanyuan,
        dims: spec.by.iter().map(|d| d.name().to_string()).collect(),
        dim_titles: spec.by.iter().map(|d| d.title().to_string()).collect(),
        metrics,
        rows,
        wide: match spec.layout {
            Some(l) => l == Layout::Wide,
            None => freq == SeriesFrequency::Year,
        },
        warnings: Vec::new(),
        ytd: (freq == SeriesFrequency::Month).then_some(!spec.single_months && cumulative),
    })
}

/// Monthly 1—N月 values differenced into single months: January's as published, each later
/// month's less the month before's. A month whose month before has no value is left empty
/// (national figures often give 1—2月 together), and a single month below zero (a 1—N月 figure
/// that falls) is a warning.
fn single_months(
    name: &str,
    freq: SeriesFrequency,
    percent: bool,
    values: &BTreeMap<(i32, Option<u32>, usize), &Cell>,
    keys: &[Vec<String>],
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<(i32, Option<u32>, usize), Option<f64>>, String> {
    if freq != SeriesFrequency::Month {
        return Err(crate::i18n::t!(
            "series.single_months_freq",
            name = name,
            freq_name = freq.name()
        ));
    }
    if percent {
        return Err(crate::i18n::t!("series.single_months_rate", name = name));
    }
    if let Some(c) = values.values().find(|c| !c.point.key.cumulative) {
        return Err(crate::i18n::t!(
            "series.single_months_single",
            name = name,
            indicator = c.point.indicator,
            period = c.point.period,
            at = c.at()
        ));
    }
    let label = |y: i32, m: u32, k: usize| {
        let key = keys.get(k).map(|k| k.join(" ")).unwrap_or_default();
        match key.is_empty() {
            true => format!("{y}年{m}月"),
            false => format!("{key} {y}年{m}月"),
        }
    };
    let mut gaps = Vec::new();
    let mut out = BTreeMap::new();
    for (&(y, m, k), c) in values {
        let month = m.unwrap_or(12);
        let before = (month > 1)
            .then(|| values.get(&(y, Some(month - 1), k)).and_then(|p| p.value))
            .flatten();
        let single = match (c.value, month, before) {
            (Some(v), 1, _) => Some(v),
            (Some(v), _, Some(b)) => {
                // As many decimals as the figures subtracted, not the float's noise.
                let places = decimals_of(v).max(decimals_of(b)) as i32;
                let scale = 10f64.powi(places);
                let d = ((v - b) * scale).round() / scale;
                if d < 0.0 {
                    warnings.push(crate::i18n::t!(
                        "series.falls",
                        name = name,
                        label = label(y, month, k),
                        b = b,
                        before = month - 1,
                        v = v,
                        month = month,
                        d = d
                    ));
                }
                Some(d)
            }
            (Some(_), _, None) => {
                gaps.push(label(y, month, k));
                None
            }
            (None, _, _) => None,
        };
        out.insert((y, m, k), single);
    }
    if !gaps.is_empty() {
        warnings.push(crate::i18n::t!(
            "series.gaps",
            name = name,
            v = gaps.join(", ")
        ));
    }
    Ok(out)
}

/// Every series table of the pipeline, in order, with what a reader must be told about them.
pub fn series_tables(
    pipeline: &crate::config::Pipeline,
    files: &[FileReport],
    period: (i32, u32),
) -> Result<(Vec<TableResult>, Vec<String>), String> {
    let mut warnings = Vec::new();
    let tables = pipeline
        .series_tables
        .iter()
        .map(|s| series_table(s, files, period, &mut warnings))
        .collect::<Result<_, _>>()?;
    Ok((tables, warnings))
}
