//! Validation of a [`RawPipeline`] into a [`Pipeline`], reporting every problem found.

use super::names::{self, SERIES_FILE};
use super::parse::{path_string, Spans};
use super::raw::{RawDataset, RawFilter, RawGrowth, RawMeasure, RawPipeline, RawTable};
use super::suggest::did_you_mean;
use super::*;
use crate::config::normalize::normalize_key;
use serde_path_to_error::Segment;
use std::collections::{BTreeMap, BTreeSet};

/// Collects problems with their lines while validation walks the raw model.
struct Check<'a> {
    spans: &'a Spans<'a>,
    problems: Vec<Problem>,
}

#[derive(Clone, Default)]
struct At(Vec<Segment>);

impl At {
    fn k(&self, key: &str) -> At {
        let mut v = self.0.clone();
        v.push(Segment::Map {
            key: key.to_string(),
        });
        At(v)
    }
    fn i(&self, index: usize) -> At {
        let mut v = self.0.clone();
        v.push(Segment::Seq { index });
        At(v)
    }
}

impl Check<'_> {
    fn err(&mut self, at: &At, message: impl Into<String>, help: Option<String>) {
        let line = self.spans.line(&at.0);
        self.problems.push(Problem {
            path: path_string(&at.0),
            line,
            message: message.into(),
            help,
        });
    }

    /// Reports an unknown name with a suggestion drawn from `known`.
    fn unknown<'k>(
        &mut self,
        at: &At,
        what: &str,
        name: &str,
        known: impl IntoIterator<Item = &'k str> + Clone,
    ) {
        self.unknown_in(at, what, name, "", known)
    }

    fn unknown_in<'k>(
        &mut self,
        at: &At,
        what: &str,
        name: &str,
        context: &str,
        known: impl IntoIterator<Item = &'k str> + Clone,
    ) {
        let help = did_you_mean(name, known.clone())
            .map(|s| crate::i18n::t!("config.did_you_mean", name = s))
            .or_else(|| {
                let all: Vec<&str> = known.into_iter().collect();
                (!all.is_empty() && all.len() <= 12)
                    .then(|| crate::i18n::t!("config.one_of", names = all.join(", ")))
            });
        let key = format!("config.what.{}", what.replace(' ', "_"));
        let what = crate::i18n::t!(key.as_str());
        self.err(
            at,
            crate::i18n::t!(
                "config.unknown",
                what = what,
                name = name,
                context = context
            ),
            help,
        );
    }
}

pub fn resolve(
    raw: RawPipeline,
    spans: &Spans,
    file: &Path,
    base_dir: &Path,
    hash: String,
) -> Result<Pipeline, Vec<Problem>> {
    let mut c = Check {
        spans,
        problems: Vec::new(),
    };
    let root = At::default();

    if let Some(m) = names::problem(&raw.name) {
        c.err(&root.k("name"), m, None);
    }

    if raw.inputs.include.is_empty() {
        c.err(
            &root.k("inputs").k("include"),
            crate::i18n::t!("config.needs_glob"),
            None,
        );
    }
    for (key, list) in [
        ("include", &raw.inputs.include),
        ("exclude", &raw.inputs.exclude),
    ] {
        for (i, g) in list.iter().enumerate() {
            if let Err(e) = globset::Glob::new(g) {
                c.err(
                    &root.k("inputs").k(key).i(i),
                    crate::i18n::t!("config.bad_glob", g = g, e_kind = e.kind()),
                    None,
                );
            }
        }
    }

    let mut formats = BTreeSet::new();
    for (i, f) in raw.output.formats.iter().enumerate() {
        match f.as_str() {
            "xlsx" => {
                formats.insert(Format::Xlsx);
            }
            "csv" => {
                formats.insert(Format::Csv);
            }
            "parquet" => {
                formats.insert(Format::Parquet);
            }
            other => c.unknown(
                &root.k("output").k("formats").i(i),
                "format",
                other,
                Format::NAMES,
            ),
        }
    }
    if !(0.5..=8.0).contains(&raw.output.chart_scale) {
        c.err(
            &root.k("output").k("chart_scale"),
            crate::i18n::t!("config.between_05_8"),
            None,
        );
    }
    if raw.output.dir.trim().is_empty() {
        c.err(
            &root.k("output").k("dir"),
            crate::i18n::t!("config.empty"),
            None,
        );
    }

    if raw.datasets.is_empty() {
        c.err(
            &root.k("datasets"),
            crate::i18n::t!("config.needs_dataset"),
            None,
        );
    }
    let mut datasets = Vec::new();
    let mut folded = BTreeMap::new();
    for name in raw.datasets.keys() {
        let at = root.k("datasets").k(name);
        if let Some(m) = names::problem(name) {
            c.err(&at, crate::i18n::t!("config.dataset_name", m = m), None);
        } else if name.eq_ignore_ascii_case(SERIES_FILE) {
            c.err(
                &at,
                crate::i18n::t!(
                    "config.dataset_name_series",
                    name = name,
                    SERIES_FILE = SERIES_FILE
                ),
                None,
            );
        }
        if let Some(prev) = folded.insert(names::fold(name), name) {
            c.err(
                &at,
                crate::i18n::t!("config.dataset_name_case", name = name, prev = prev),
                None,
            );
        }
    }
    for (name, ds) in &raw.datasets {
        datasets.push(resolve_dataset(
            &mut c,
            &root.k("datasets").k(name),
            name,
            ds,
        ));
    }

    let mut tables = Vec::new();
    let mut series_tables = Vec::new();
    let mut seen = BTreeMap::new();
    for (i, t) in raw.tables.iter().enumerate() {
        let at = root.k("tables").i(i);
        if let Some(m) = names::problem(&t.name) {
            c.err(&at.k("name"), m, None);
        }
        if let Some(prev) = seen.insert(names::fold(&t.name), i) {
            c.err(
                &at.k("name"),
                crate::i18n::t!("config.table_name_taken", name = t.name, prev = prev),
                None,
            );
        }
        if t.dataset == "series" {
            if let Some(spec) = resolve_series_table(&mut c, &at, t) {
                series_tables.push(spec);
            }
        } else if let Some(spec) = resolve_table(&mut c, &at, t, &datasets) {
            tables.push(spec);
        }
    }
    // Charts find their table among both; series tables count after the others.
    let targets: Vec<ChartTarget> = tables
        .iter()
        .map(|t| ChartTarget {
            name: t.name.clone(),
            has_by: !t.by.is_empty(),
            measures: t.measures.iter().map(|m| m.name.clone()).collect(),
        })
        .chain(series_tables.iter().map(|t| ChartTarget {
            name: t.name.clone(),
            has_by: !t.by.is_empty(),
            measures: vec![series_measure_name(t)],
        }))
        .collect();

    let mut charts = Vec::new();
    let mut chart_names = BTreeSet::new();
    for (i, ch) in raw.charts.iter().enumerate() {
        let at = root.k("charts").i(i);
        if !chart_names.insert(names::fold(&ch.name)) {
            c.err(
                &at.k("name"),
                crate::i18n::t!("config.chart_name_twice", name = ch.name),
                None,
            );
        }
        if let Some(decl) = resolve_chart(&mut c, &at, ch, &raw.tables, &targets) {
            charts.push(decl);
        }
    }

    // A table without declared charts gets a default chart named after it; a declared chart
    // of another table must not take that name, or both would write the same files.
    for (i, ch) in raw.charts.iter().enumerate() {
        let owner = charts
            .iter()
            .find(|d| d.spec.name == ch.name)
            .map(|d| d.table);
        let named = targets.iter().position(|t| t.name == ch.name);
        if let (Some(owner), Some(ti)) = (owner, named) {
            if owner != ti && !charts.iter().any(|d| d.table == ti) {
                c.err(
                    &root.k("charts").i(i).k("name"),
                    crate::i18n::t!("config.chart_name_default", name = ch.name),
                    None,
                );
            }
        }
    }

    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    Ok(Pipeline {
        title: raw.title.clone().unwrap_or_else(|| raw.name.clone()),
        name: raw.name,
        source: raw.source,
        file: file.to_path_buf(),
        base_dir: base_dir.to_path_buf(),
        hash,
        include: raw.inputs.include,
        exclude: raw.inputs.exclude,
        wide_tables: raw.inputs.wide_tables,
        output: OutputPlan {
            dir: base_dir.join(&raw.output.dir),
            formats: formats.into_iter().collect(),
            csv: CsvStyle {
                bom: raw.output.csv_bom,
                guard_formulas: raw.output.csv_guard_formulas,
            },
            chart_scale: raw.output.chart_scale,
        },
        datasets,
        tables,
        series_tables,
        charts,
    })
}

/// What a chart needs to know of the table it draws.
struct ChartTarget {
    name: String,
    has_by: bool,
    measures: Vec<String>,
}

fn resolve_chart(
    c: &mut Check,
    at: &At,
    ch: &super::raw::RawChart,
    raw_tables: &[RawTable],
    tables: &[ChartTarget],
) -> Option<ChartDecl> {
    use super::chart::{ChartKind, ChartSpec, XAxis};
    if let Some(m) = names::problem(&ch.name) {
        c.err(&at.k("name"), m, None);
    }
    let kind = ChartKind::parse(&ch.kind);
    if kind.is_none() {
        c.unknown(&at.k("kind"), "chart kind", &ch.kind, ChartKind::NAMES);
    }
    let x = match ch.x.as_deref() {
        None => None,
        Some("period") => Some(XAxis::Period),
        Some("key") => Some(XAxis::Key),
        Some(other) => {
            c.unknown(&at.k("x"), "chart axis", other, ["period", "key"]);
            None
        }
    };
    let Some(ti) = tables.iter().position(|t| t.name == ch.table) else {
        // A table that failed to resolve has had its own error.
        if raw_tables.iter().any(|t| t.name == ch.table) {
            return None;
        }
        let names: Vec<&str> = raw_tables.iter().map(|t| t.name.as_str()).collect();
        c.unknown(&at.k("table"), "table", &ch.table, names.iter().copied());
        return None;
    };
    let t = &tables[ti];
    let metric = match &ch.measure {
        None => 0,
        Some(m) => match t.measures.iter().position(|x| x == m) {
            Some(i) => i,
            None => {
                let names: Vec<&str> = t.measures.iter().map(|x| x.as_str()).collect();
                c.unknown_in(
                    &at.k("measure"),
                    "measure",
                    m,
                    &crate::i18n::t!("config.in_table", name = t.name),
                    names.iter().copied(),
                );
                return None;
            }
        },
    };
    if x == Some(XAxis::Key) && !t.has_by {
        c.err(
            &at.k("x"),
            crate::i18n::t!("config.key_needs_by", name = t.name),
            None,
        );
        return None;
    }
    if ch.periods == Some(0) {
        c.err(&at.k("periods"), crate::i18n::t!("config.at_least_1"), None);
        return None;
    }
    let spec = ChartSpec {
        name: ch.name.clone(),
        kind: kind?,
        x: x.unwrap_or(if !t.has_by { XAxis::Period } else { XAxis::Key }),
        metric,
        title: ch.title.clone(),
        periods: ch.periods.unwrap_or(2),
    };
    Some(ChartDecl { table: ti, spec, x })
}

fn resolve_dataset(c: &mut Check, at: &At, name: &str, ds: &RawDataset) -> Dataset {
    let money_unit = match ds.money_unit.as_deref() {
        None => MoneyUnit::Wanyuan,
        Some(u) => MoneyUnit::parse(u).unwrap_or_else(|| {
            c.unknown(&at.k("money_unit"), "money unit", u, MoneyUnit::NAMES);
            MoneyUnit::Wanyuan
        }),
    };
    if ds.fields.is_empty() {
        c.err(&at.k("fields"), crate::i18n::t!("config.needs_field"), None);
    }
    let mut fields: Vec<Field> = Vec::new();
    // Which field claimed each header key, to catch one header text mapped to two fields.
    // Maps and sets, not scans, so that validation stays linear in the number of synonyms.
    let mut claimed: BTreeMap<String, usize> = BTreeMap::new();
    let mut field_names = BTreeSet::new();
    for (i, f) in ds.fields.iter().enumerate() {
        let fat = at.k("fields").i(i);
        if f.name.trim().is_empty() {
            c.err(&fat.k("name"), crate::i18n::t!("config.empty"), None);
        }
        if !field_names.insert(f.name.as_str()) {
            c.err(
                &fat.k("name"),
                crate::i18n::t!("config.field_twice", name = f.name),
                None,
            );
        }
        let kind = FieldKind::parse(&f.kind).unwrap_or_else(|| {
            c.unknown(&fat.k("kind"), "field kind", &f.kind, FieldKind::NAMES);
            FieldKind::Text
        });
        let dash = match f.dash.as_deref() {
            None | Some("zero") => DashPolicy::Zero,
            Some("missing") => DashPolicy::Missing,
            Some(other) => {
                c.unknown(&fat.k("dash"), "dash policy", other, ["zero", "missing"]);
                DashPolicy::Zero
            }
        };
        let mut keys = Vec::new();
        for (j, syn) in std::iter::once(&f.name)
            .chain(f.synonyms.iter())
            .enumerate()
        {
            let key = normalize_key(syn);
            if key.is_empty() {
                c.err(
                    &fat.k("synonyms").i(j.saturating_sub(1)),
                    crate::i18n::t!("config.synonym_empty", syn = syn),
                    None,
                );
                continue;
            }
            match claimed.get(&key) {
                Some(&owner) if owner != i => {
                    let owner = &ds.fields[owner].name;
                    c.err(
                        &fat.k("synonyms").i(j.saturating_sub(1)),
                        crate::i18n::t!(
                            "config.synonym_taken",
                            syn = syn,
                            key = key,
                            owner = owner
                        ),
                        None,
                    );
                }
                // Listed twice for this field: kept once.
                Some(_) => {}
                None => {
                    claimed.insert(key.clone(), i);
                    keys.push(key);
                }
            }
        }
        fields.push(Field {
            name: f.name.clone(),
            kind,
            keys,
            required: f.required,
            dash,
        });
    }
    let mut identify = Vec::new();
    if ds.identify.is_empty() {
        c.err(
            &at.k("identify"),
            crate::i18n::t!("config.needs_identify"),
            None,
        );
    }
    for (i, id) in ds.identify.iter().enumerate() {
        match fields.iter().position(|f| &f.name == id) {
            Some(ix) => identify.push(ix),
            None => {
                let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                c.unknown(&at.k("identify").i(i), "field", id, names.iter().copied());
            }
        }
    }
    Dataset {
        name: name.to_string(),
        title: ds.title.clone().unwrap_or_else(|| name.to_string()),
        money_unit,
        identify,
        fields,
    }
}

fn field_ref(c: &mut Check, at: &At, ds: &Dataset, name: &str) -> Option<usize> {
    let found = ds.field_index(name);
    if found.is_none() {
        let names: Vec<&str> = ds.fields.iter().map(|f| f.name.as_str()).collect();
        c.unknown_in(
            at,
            "field",
            name,
            &crate::i18n::t!("config.in_dataset", name = ds.name),
            names.iter().copied(),
        );
    }
    found
}

/// The value column of a series table: as named, else the one indicator's name, else 数值.
pub fn series_measure_name(t: &SeriesTableSpec) -> String {
    match (&t.measure, t.indicators.as_slice()) {
        (Some(m), _) => m.clone(),
        (None, [one]) if !t.by.contains(&SeriesDim::Indicator) => one.clone(),
        _ => "数值".to_string(),
    }
}

/// `2015` or `"2015"` (the year), `"2019-06"` (a month); `end` picks December for a year.
fn series_period(v: &toml::Value, end: bool) -> Option<(i32, u32)> {
    let (year, month) = match v {
        toml::Value::Integer(y) => (*y, None),
        toml::Value::String(s) => match s.split_once('-') {
            Some((y, m)) => (y.parse().ok()?, Some(m.parse::<u32>().ok()?)),
            None => (s.parse().ok()?, None),
        },
        _ => return None,
    };
    let year = i32::try_from(year)
        .ok()
        .filter(|y| (1900..=2099).contains(y))?;
    match month {
        Some(m) if (1..=12).contains(&m) => Some((year, m)),
        Some(_) => None,
        None => Some((year, if end { 12 } else { 1 })),
    }
}

fn resolve_series_table(c: &mut Check, at: &At, t: &RawTable) -> Option<SeriesTableSpec> {
    let mut ok = true;
    let mut refuse = |c: &mut Check, key: &str, set: bool| {
        if set {
            c.err(
                &at.k(key),
                crate::i18n::t!("config.not_for_series", key = key),
                None,
            );
            ok = false;
        }
    };
    refuse(c, "measures", !t.measures.is_empty());
    refuse(c, "filter", !t.filter.is_empty());
    refuse(c, "period", t.period.is_some());
    refuse(c, "contribution", t.contribution);
    refuse(c, "top", t.top.is_some());
    refuse(c, "unit", t.unit.is_some());
    if t.indicators.is_empty() {
        c.err(
            &at.k("indicators"),
            crate::i18n::t!("config.series_needs_indicator"),
            None,
        );
        ok = false;
    }
    let mut by = Vec::new();
    for (i, b) in t.by.iter().enumerate() {
        match b.as_str() {
            "indicator" => by.push(SeriesDim::Indicator),
            "region" => by.push(SeriesDim::Region),
            other => {
                c.unknown(
                    &at.k("by").i(i),
                    "series dimension",
                    other,
                    SeriesDim::NAMES,
                );
                ok = false;
            }
        }
    }
    let frequency = match t.frequency.as_deref() {
        None => None,
        Some("year") => Some(SeriesFrequency::Year),
        Some("quarter") => Some(SeriesFrequency::Quarter),
        Some("month") => Some(SeriesFrequency::Month),
        Some(other) => {
            c.unknown(
                &at.k("frequency"),
                "frequency",
                other,
                SeriesFrequency::NAMES,
            );
            ok = false;
            None
        }
    };
    let mut period = |key: &str, v: &Option<toml::Value>, end: bool| match v {
        None => None,
        Some(v) => {
            let p = series_period(v, end);
            if p.is_none() {
                c.err(
                    &at.k(key),
                    crate::i18n::t!("config.bad_period", v = v),
                    None,
                );
                ok = false;
            }
            p
        }
    };
    let from = period("from", &t.from, false);
    let to = period("to", &t.to, true);
    if let (Some(a), Some(b)) = (from, to) {
        if a > b {
            c.err(&at.k("to"), crate::i18n::t!("config.before_from"), None);
            ok = false;
        }
    }
    let layout = match t.layout.as_deref() {
        None => None,
        Some("wide") => Some(Layout::Wide),
        Some("long") => Some(Layout::Long),
        Some(other) => {
            c.unknown(&at.k("layout"), "layout", other, ["wide", "long"]);
            ok = false;
            None
        }
    };
    if t.share && by.is_empty() {
        c.err(
            &at.k("share"),
            crate::i18n::t!("config.needs_by_share"),
            None,
        );
        ok = false;
    }
    if let RawGrowth::Some(_) = t.growth {
        c.err(
            &at.k("growth"),
            crate::i18n::t!("config.series_one_value"),
            None,
        );
        ok = false;
    }
    ok.then(|| SeriesTableSpec {
        name: t.name.clone(),
        title: t.title.clone().unwrap_or_else(|| t.name.clone()),
        indicators: t.indicators.clone(),
        regions: t.regions.clone(),
        variant: t.variant.clone(),
        frequency,
        from,
        to,
        by,
        measure: t.measure.clone(),
        decimals: t.decimals,
        growth: matches!(t.growth, RawGrowth::All(true)),
        share: t.share,
        single_months: t.single_months,
        layout,
    })
}

fn resolve_table(c: &mut Check, at: &At, t: &RawTable, datasets: &[Dataset]) -> Option<TableSpec> {
    for (key, set) in [
        ("indicators", !t.indicators.is_empty()),
        ("regions", !t.regions.is_empty()),
        ("variant", t.variant.is_some()),
        ("frequency", t.frequency.is_some()),
        ("from", t.from.is_some()),
        ("to", t.to.is_some()),
        ("measure", t.measure.is_some()),
        ("decimals", t.decimals.is_some()),
        ("single_months", t.single_months),
    ] {
        if set {
            c.err(
                &at.k(key),
                crate::i18n::t!("config.only_for_series", key = key),
                None,
            );
        }
    }
    let Some(di) = datasets.iter().position(|d| d.name == t.dataset) else {
        let names: Vec<&str> = datasets.iter().map(|d| d.name.as_str()).collect();
        c.unknown(
            &at.k("dataset"),
            "dataset",
            &t.dataset,
            names.iter().copied(),
        );
        return None;
    };
    let ds = &datasets[di];
    let mut ok = true;
    let mut by = Vec::new();
    for (i, b) in t.by.iter().enumerate() {
        match field_ref(c, &at.k("by").i(i), ds, b) {
            Some(ix) => by.push(ix),
            None => ok = false,
        }
    }
    if t.measures.is_empty() {
        c.err(
            &at.k("measures"),
            crate::i18n::t!("config.needs_measure"),
            None,
        );
        ok = false;
    }
    let mut measures = Vec::new();
    let mut measure_names = BTreeSet::new();
    for (i, m) in t.measures.iter().enumerate() {
        let mat = at.k("measures").i(i);
        if !measure_names.insert(m.name.clone()) {
            c.err(
                &mat.k("name"),
                crate::i18n::t!("config.measure_twice", name = m.name),
                None,
            );
        }
        match resolve_measure(c, &mat, m, ds) {
            Some(x) => measures.push(x),
            None => ok = false,
        }
    }
    let mut filters = Vec::new();
    for (i, f) in t.filter.iter().enumerate() {
        match resolve_filter(c, &at.k("filter").i(i), f, ds) {
            Some(x) => filters.push(x),
            None => ok = false,
        }
    }
    let period = match t.period.as_deref() {
        None | Some("annual") => PeriodMode::Annual,
        Some("ytd") => PeriodMode::Ytd,
        Some("monthly") => PeriodMode::Monthly,
        Some(other) => {
            c.unknown(
                &at.k("period"),
                "period",
                other,
                ["annual", "ytd", "monthly"],
            );
            ok = false;
            PeriodMode::Annual
        }
    };
    let layout = match t.layout.as_deref() {
        None | Some("wide") => Layout::Wide,
        Some("long") => Layout::Long,
        Some(other) => {
            c.unknown(&at.k("layout"), "layout", other, ["wide", "long"]);
            ok = false;
            Layout::Wide
        }
    };
    let unit = match t.unit.as_deref() {
        None => MoneyUnit::Wanyuan,
        Some(u) => MoneyUnit::parse(u).unwrap_or_else(|| {
            c.unknown(&at.k("unit"), "money unit", u, MoneyUnit::NAMES);
            ok = false;
            MoneyUnit::Wanyuan
        }),
    };
    let growth = resolve_growth(c, &at.k("growth"), &t.growth, &t.measures, &measures, ok);
    if t.contribution && !t.growth.any() {
        c.err(
            &at.k("contribution"),
            crate::i18n::t!("config.needs_growth"),
            None,
        );
        ok = false;
    }
    if t.top == Some(0) {
        c.err(&at.k("top"), crate::i18n::t!("config.at_least_1"), None);
        ok = false;
    }
    if t.top.is_some() && by.is_empty() {
        c.err(&at.k("top"), crate::i18n::t!("config.needs_by_rank"), None);
        ok = false;
    }
    ok.then(|| TableSpec {
        name: t.name.clone(),
        title: t.title.clone().unwrap_or_else(|| t.name.clone()),
        dataset: di,
        by,
        measures,
        filters,
        period,
        layout,
        growth,
        share: t.share,
        contribution: t.contribution,
        top: t.top,
        unit,
    })
}

/// Which measures get 同比: `true` means every sum and count; a list names them. A rate's 同比
/// (a percent of a percent) and the 同比 of a measure that is itself a growth are refused.
fn resolve_growth(
    c: &mut Check,
    at: &At,
    raw: &RawGrowth,
    raws: &[RawMeasure],
    measures: &[Measure],
    resolved: bool,
) -> Vec<bool> {
    let additive = |m: &Measure| matches!(m.op, Op::Sum | Op::Count | Op::CountDistinct);
    match raw {
        RawGrowth::All(all) => measures.iter().map(|m| *all && additive(m)).collect(),
        RawGrowth::Some(names) => {
            for (i, n) in names.iter().enumerate() {
                match measures.iter().find(|m| &m.name == n) {
                    Some(m) if !additive(m) => c.err(
                        &at.i(i),
                        crate::i18n::t!("config.growth_not_sum", n = n),
                        None,
                    ),
                    Some(_) => {}
                    // A measure that failed to resolve has had its own error.
                    None if !resolved && raws.iter().any(|r| &r.name == n) => {}
                    None => c.unknown(&at.i(i), "measure", n, raws.iter().map(|r| r.name.as_str())),
                }
            }
            measures
                .iter()
                .map(|m| additive(m) && names.contains(&m.name))
                .collect()
        }
    }
}

fn resolve_measure(c: &mut Check, at: &At, m: &RawMeasure, ds: &Dataset) -> Option<Measure> {
    let op = match m.op.as_str() {
        "sum" => Op::Sum,
        "count" => Op::Count,
        "count_distinct" => Op::CountDistinct,
        "mean" => Op::Mean,
        "min" => Op::Min,
        "max" => Op::Max,
        "rate" => Op::Rate,
        other => {
            c.unknown(&at.k("op"), "measure op", other, Op::NAMES);
            return None;
        }
    };
    if m.name.trim().is_empty() {
        c.err(&at.k("name"), crate::i18n::t!("config.empty"), None);
        return None;
    }
    let field = match &m.field {
        Some(f) => Some(field_ref(c, &at.k("field"), ds, f)?),
        None => None,
    };
    let needs_field = !matches!(op, Op::Count);
    if needs_field && field.is_none() {
        c.err(
            at,
            crate::i18n::t!("config.op_needs_field", op = m.op),
            None,
        );
        return None;
    }
    if let Some(fi) = field {
        let kind = ds.fields[fi].kind;
        let numeric_op = matches!(op, Op::Sum | Op::Mean | Op::Min | Op::Max);
        if numeric_op && !kind.is_numeric() {
            c.err(
                &at.k("field"),
                crate::i18n::t!(
                    "config.op_needs_numeric",
                    op = m.op,
                    fi_name = ds.fields[fi].name,
                    kind_as_str = kind.as_str()
                ),
                None,
            );
            return None;
        }
    }
    if let Some(fi) =
        field.filter(|&f| matches!(op, Op::Rate) && ds.fields[f].kind == FieldKind::Money)
    {
        c.err(
            &at.k("field"),
            crate::i18n::t!("config.rate_money", fi_name = ds.fields[fi].name),
            None,
        );
        return None;
    }
    if matches!(op, Op::Rate) && m.values.is_empty() {
        c.err(at, crate::i18n::t!("config.rate_needs_values"), None);
        return None;
    }
    if !m.values.is_empty() && !matches!(op, Op::Rate | Op::Count) {
        c.err(
            &at.k("values"),
            crate::i18n::t!("config.values_only", op = m.op),
            None,
        );
        return None;
    }
    if !m.values.is_empty() && field.is_none() {
        c.err(
            &at.k("values"),
            crate::i18n::t!("config.values_need_field"),
            None,
        );
        return None;
    }
    if m.decimals.is_some_and(|d| d > 6) {
        c.err(
            &at.k("decimals"),
            crate::i18n::t!("config.between_0_6"),
            None,
        );
        return None;
    }
    Some(Measure {
        name: m.name.clone(),
        op,
        field,
        values: m.values.clone(),
        decimals: m.decimals,
    })
}

fn resolve_filter(c: &mut Check, at: &At, f: &RawFilter, ds: &Dataset) -> Option<Filter> {
    let field = field_ref(c, &at.k("field"), ds, &f.field);
    let op = match f.op.as_str() {
        "eq" => Some(CmpOp::Eq),
        "ne" => Some(CmpOp::Ne),
        "gt" => Some(CmpOp::Gt),
        "ge" => Some(CmpOp::Ge),
        "lt" => Some(CmpOp::Lt),
        "le" => Some(CmpOp::Le),
        "in" => Some(CmpOp::In),
        "not_in" => Some(CmpOp::NotIn),
        other => {
            c.unknown(&at.k("op"), "filter op", other, CmpOp::NAMES);
            None
        }
    };
    let (field, op) = (field?, op?);
    let kind = ds.fields[field].kind;
    let vat = at.k("value");
    let list = matches!(op, CmpOp::In | CmpOp::NotIn);
    let value = match (&f.value, kind, list) {
        (toml::Value::Array(items), FieldKind::Text, true) => {
            let mut out = Vec::new();
            for (i, v) in items.iter().enumerate() {
                match v.as_str() {
                    Some(s) => out.push(s.to_string()),
                    None => c.err(&vat.i(i), crate::i18n::t!("config.expected_string"), None),
                }
            }
            FilterValue::TextList(out)
        }
        (_, _, true) => {
            c.err(&vat, crate::i18n::t!("config.text_list", op = f.op), None);
            return None;
        }
        (toml::Value::String(s), FieldKind::Text, false) => {
            if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                c.err(
                    &at.k("op"),
                    crate::i18n::t!("config.compares_numbers", op = f.op),
                    None,
                );
                return None;
            }
            FilterValue::Text(s.clone())
        }
        (v, FieldKind::Money, false) => {
            let Some(x) = number(v) else {
                c.err(&vat, crate::i18n::t!("config.expected_money"), None);
                return None;
            };
            let text = match v {
                toml::Value::Integer(i) => i.to_string(),
                _ => x.to_string(),
            };
            match crate::model::parse_decimal_scaled(&text, 6).and_then(|v| i64::try_from(v).ok()) {
                Some(fen) => FilterValue::Fen(fen),
                None => {
                    c.err(&vat, crate::i18n::t!("config.amount_out_of_range"), None);
                    return None;
                }
            }
        }
        (toml::Value::Integer(i), FieldKind::Count, false) => FilterValue::Int(*i),
        (v, FieldKind::Percent, false) if number(v).is_some() => {
            FilterValue::Float(number(v).unwrap_or(0.0))
        }
        (_, k, false) => {
            c.err(
                &vat,
                crate::i18n::t!(
                    "config.value_not_fit",
                    field_name = ds.fields[field].name,
                    k_as_str = k.as_str()
                ),
                None,
            );
            return None;
        }
    };
    Some(Filter { field, op, value })
}

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}
