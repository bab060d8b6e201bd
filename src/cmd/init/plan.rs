//! From the tables found to datasets, fields and default tables: what `init` decides.

use super::survey::{Column, Table};
use crate::config::dictionary::NOT_TABULATED;
use crate::config::names;
use crate::config::normalize::normalize_key;
use crate::config::raw::{RawField, RawPipeline};
use crate::ingest::value::{clean_number_text, parse_cell};
use crate::model::{DashPolicy, FieldKind, MoneyUnit};
use std::collections::{BTreeMap, BTreeSet};

/// Where a field's name and kind come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The dataset's own dictionary field.
    Dictionary,
    /// A dictionary field of another dataset, known by its header.
    Known(String),
    /// Named after the header; kind inferred from the cells.
    Inferred,
}

#[derive(Debug, Clone)]
pub struct FieldPlan {
    pub name: String,
    pub kind: FieldKind,
    pub origin: Origin,
    /// Synonyms as written into the pipeline (normalised header texts and dictionary ones).
    pub synonyms: Vec<String>,
    /// Headers as seen in the workbooks.
    pub headers: Vec<String>,
    /// The latest header text seen, normalised: the display name of measures.
    pub display: String,
    pub required: bool,
    pub dash: Option<String>,
    pub cells: Vec<String>,
    pub header_units: BTreeSet<String>,
    pub unit_line_money: bool,
    /// Why the kind is what it is (inferred fields).
    pub why: String,
    /// The kind was a guess between readings.
    pub ambiguous: bool,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub title: String,
    /// Index of the dictionary dataset, if it is one.
    pub dict: Option<usize>,
    pub money_unit: Option<String>,
    pub identify: Vec<String>,
    pub fields: Vec<FieldPlan>,
    /// (file, sheet) of every table read into it.
    pub sheets: Vec<(String, String)>,
    /// Fields present in each sheet.
    presence: Vec<BTreeSet<usize>>,
    pub rows: usize,
    pub years: BTreeSet<i32>,
    pub months: bool,
    pub cumulative: bool,
    /// Ambiguities and how they were resolved.
    pub notes: Vec<String>,
    /// Header keys claimed, and by which field.
    claimed: BTreeMap<String, usize>,
}

/// A default table with its chart's measure.
#[derive(Debug, Clone)]
pub struct TablePlan {
    pub name: String,
    pub title: String,
    pub dataset: String,
    pub by: Option<String>,
    /// (measure name, op, field, decimals).
    pub measures: Vec<(String, &'static str, Option<String>, Option<u8>)>,
    pub period: Option<&'static str>,
    pub growth: bool,
    pub share: bool,
    pub chart_measure: String,
}

/// Turns a sheet or title text into a name the config accepts: letters (Chinese included),
/// digits, `_` and `-`, years and months left out, at most 64 characters.
pub fn safe_name(text: &str, fallback: &str) -> String {
    let stripped = strip_periods(text);
    let mut s: String = stripped
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    let s = s.trim_matches(|c| c == '_' || c == '-').to_string();
    let s: String = s.chars().take(names::MAX_CHARS).collect();
    if s.is_empty() || names::problem(&s).is_some() {
        fallback.to_string()
    } else {
        s
    }
}

/// Text without its years and months (`2022年1-6月税收` → `税收`).
pub fn strip_periods(text: &str) -> String {
    let cs: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < cs.len() {
        if cs[i].is_ascii_digit() {
            let mut j = i;
            while j < cs.len() && (cs[j].is_ascii_digit() || "-—–~～至".contains(cs[j])) {
                j += 1;
            }
            if j < cs.len() && (cs[j] == '年' || cs[j] == '月') {
                j += 1;
                if j < cs.len() && (cs[j] == '度' || cs[j] == '份') {
                    j += 1;
                }
                i = j;
                continue;
            }
            // A bare four-digit year (`投资项目_2019`).
            if j - i == 4 && (j == cs.len() || !cs[j].is_ascii_digit()) {
                let y: String = cs[i..j].iter().collect();
                if y.parse::<i32>().is_ok_and(|y| (1990..=2099).contains(&y)) {
                    i = j;
                    continue;
                }
            }
        }
        out.push(cs[i]);
        i += 1;
    }
    out.trim_matches(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .to_string()
}

/// Sheet names that say nothing about the table.
fn generic_sheet(name: &str) -> bool {
    let lower = name.to_lowercase();
    let rest = lower
        .trim_start_matches("sheet")
        .trim_start_matches("工作表")
        .trim_start_matches('表');
    rest.len() < lower.len() && rest.chars().all(|c| c.is_ascii_digit())
}

impl Plan {
    pub fn new(
        name: String,
        title: String,
        dict: Option<usize>,
        money_unit: Option<String>,
    ) -> Plan {
        Plan {
            name,
            title,
            dict,
            money_unit,
            identify: Vec::new(),
            fields: Vec::new(),
            sheets: Vec::new(),
            presence: Vec::new(),
            rows: 0,
            years: BTreeSet::new(),
            months: false,
            cumulative: false,
            notes: Vec::new(),
            claimed: BTreeMap::new(),
        }
    }

    pub fn keys(&self) -> BTreeSet<String> {
        self.claimed.keys().cloned().collect()
    }

    fn claim(&mut self, fi: usize, syn: &str) -> bool {
        let key = normalize_key(syn);
        if key.is_empty() {
            return false;
        }
        match self.claimed.get(&key) {
            Some(&o) if o != fi => false,
            Some(_) => {
                // A header that is the field's own name is listed too, as seen.
                let f = &mut self.fields[fi];
                if !f.synonyms.iter().any(|s| s == syn) {
                    f.synonyms.push(syn.to_string());
                }
                true
            }
            None => {
                self.claimed.insert(key, fi);
                self.fields[fi].synonyms.push(syn.to_string());
                true
            }
        }
    }

    fn add_field(&mut self, raw: &RawField, origin: Origin) -> usize {
        let fi = self.fields.len();
        self.fields.push(FieldPlan {
            name: raw.name.clone(),
            kind: FieldKind::parse(&raw.kind).unwrap_or(FieldKind::Text),
            origin,
            synonyms: Vec::new(),
            headers: Vec::new(),
            display: String::new(),
            required: raw.required,
            dash: raw.dash.clone(),
            cells: Vec::new(),
            header_units: BTreeSet::new(),
            unit_line_money: false,
            why: String::new(),
            ambiguous: false,
        });
        self.claimed.entry(normalize_key(&raw.name)).or_insert(fi);
        for s in &raw.synonyms {
            self.claim(fi, s);
        }
        fi
    }

    /// Reads one table's columns into the plan's fields.
    pub fn add_table(&mut self, t: &Table, dict: &RawPipeline) {
        self.sheets.push((t.file.clone(), t.sheet.clone()));
        self.rows += t.rows;
        if let Some(y) = t.year {
            self.years.insert(y);
        }
        if t.year_column {
            // Years come per row; the count of distinct years is not known here.
            self.years.insert(i32::MIN);
        }
        self.months |= t.month.is_some();
        self.cumulative |= t.month.is_some() && t.cumulative;
        let own = self
            .dict
            .and_then(|_| dict.datasets.get(&self.name))
            .cloned();
        let mut used: BTreeSet<usize> = BTreeSet::new();
        for col in &t.columns {
            let Some(fi) = self.field_for(col, own.as_ref(), dict) else {
                continue;
            };
            if !used.insert(fi) {
                self.notes.push(crate::i18n::t!(
                    "init.field_twice",
                    file = t.file,
                    sheet = t.sheet,
                    header = col.header,
                    fi_name = self.fields[fi].name
                ));
                continue;
            }
            self.claim(fi, &col.text.key);
            let f = &mut self.fields[fi];
            if !f.headers.contains(&col.header) {
                f.headers.push(col.header.clone());
            }
            // Dictionary fields show their first synonym, the usual name; others the header.
            f.display = match f.origin {
                Origin::Inferred => col.text.key.clone(),
                _ => f
                    .synonyms
                    .first()
                    .cloned()
                    .unwrap_or_else(|| col.text.key.clone()),
            };
            f.cells.extend(col.cells.iter().cloned());
            if let Some(u) = &col.text.unit {
                f.header_units.insert(u.clone());
            }
            f.unit_line_money |= t.unit_line.is_some();
        }
        self.presence.push(used);
    }

    fn field_for(
        &mut self,
        col: &Column,
        own: Option<&crate::config::raw::RawDataset>,
        dict: &RawPipeline,
    ) -> Option<usize> {
        // The detection mapped it to one of this dataset's dictionary fields.
        if let (Some(fi), Some(own)) = (col.field, own) {
            let raw = own.fields.get(fi)?;
            if let Some(i) = self.fields.iter().position(|f| f.name == raw.name) {
                return Some(i);
            }
            return Some(self.add_field(raw, Origin::Dictionary));
        }
        let key = &col.text.key;
        if let Some(&fi) = self.claimed.get(key) {
            return Some(fi);
        }
        // A header another dataset knows keeps that field's name.
        for (dname, ds) in &dict.datasets {
            let hit = ds.fields.iter().find(|f| {
                std::iter::once(&f.name)
                    .chain(&f.synonyms)
                    .any(|s| normalize_key(s) == *key)
            });
            if let Some(raw) = hit {
                // Another variant of a field this dataset already has (`补助金额` beside `金额`).
                if let Some(i) = self.fields.iter().position(|f| f.name == raw.name) {
                    return Some(i);
                }
                {
                    let origin = if own.is_some() && *dname == self.name {
                        Origin::Dictionary
                    } else {
                        Origin::Known(dname.clone())
                    };
                    let mut raw = raw.clone();
                    // Dictionary datasets keep `required` for their own fields only.
                    raw.required &= origin == Origin::Dictionary;
                    return Some(self.add_field(&raw, origin));
                }
            }
        }
        let base = safe_name(key, "column");
        let mut name = base.clone();
        let mut n = 2;
        while self.fields.iter().any(|f| f.name == name)
            || self.claimed.contains_key(&normalize_key(&name))
        {
            name = format!("{base}_{n}");
            n += 1;
        }
        let raw = RawField {
            name,
            kind: "text".into(),
            synonyms: vec![],
            required: false,
            dash: None,
        };
        Some(self.add_field(&raw, Origin::Inferred))
    }

    /// Infers the kinds of fields named after headers, and settles identify and money unit.
    pub fn settle(&mut self) {
        for f in &mut self.fields {
            if f.origin == Origin::Inferred {
                infer(f);
            }
        }
        if self.dict.is_none() {
            let everywhere = |fi: &usize| self.presence.iter().all(|p| p.contains(fi));
            let all: Vec<usize> = (0..self.fields.len()).filter(everywhere).collect();
            let text = all.iter().find(|&&i| {
                self.fields[i].kind == FieldKind::Text
                    && !NOT_TABULATED.contains(&self.fields[i].name.as_str())
            });
            let num = all.iter().find(|&&i| self.fields[i].kind.is_numeric());
            let mut id: Vec<usize> = text.into_iter().chain(num).copied().collect();
            if id.is_empty() {
                id.extend(
                    all.first()
                        .copied()
                        .or((!self.fields.is_empty()).then_some(0)),
                );
            }
            self.identify = id.iter().map(|&i| self.fields[i].name.clone()).collect();
            let unitless = self.fields.iter().any(|f| {
                f.kind == FieldKind::Money
                    && !f.header_units.iter().any(|u| MoneyUnit::parse(u).is_some())
                    && !f.unit_line_money
            });
            self.money_unit = Some("万元".into());
            if unitless {
                self.notes
                    .push(crate::i18n::t!("init.money_unit", name = self.name));
            }
        }
        for f in &self.fields {
            if f.ambiguous {
                self.notes.push(format!(
                    "dataset `{}`, field `{}` ({}): {}",
                    self.name,
                    f.name,
                    f.headers.join(", "),
                    f.why
                ));
            }
        }
    }

    /// Fields worth a table of their own: text with a handful to ~30 values that repeat.
    fn groupings(&self) -> Vec<&FieldPlan> {
        self.fields
            .iter()
            .filter(|f| f.kind == FieldKind::Text && !NOT_TABULATED.contains(&f.name.as_str()))
            .filter(|f| {
                let filled: Vec<&String> =
                    f.cells.iter().filter(|c| !c.trim().is_empty()).collect();
                let distinct: BTreeSet<&str> = filled.iter().map(|c| c.trim()).collect();
                (2..=30).contains(&distinct.len())
                    && filled.len() * 2 >= self.rows
                    && distinct.len() * 2 <= filled.len()
            })
            .collect()
    }

    /// The measure that counts rows, named after what a row is.
    fn count_name(&self) -> String {
        for f in &self.fields {
            if f.kind != FieldKind::Text {
                continue;
            }
            let d = f.display.split(['(', '（']).next().unwrap_or("");
            for suffix in ["名称", "对象"] {
                if let Some(x) = d.strip_suffix(suffix) {
                    if !x.is_empty() {
                        return format!("{x}数");
                    }
                }
            }
        }
        "个数".into()
    }

    /// The default tables: totals, then one per grouping field, then 1—N月 or monthly.
    pub fn tables(&self, taken: &mut BTreeSet<String>) -> Vec<TablePlan> {
        if self.rows == 0 {
            return Vec::new();
        }
        let count = self.count_name();
        let mut measures = vec![(count.clone(), "count", None, None)];
        let mut names: BTreeSet<String> = BTreeSet::from([count.clone()]);
        let mut headline = None;
        for f in &self.fields {
            let money = f.kind == FieldKind::Money;
            if !(money || f.kind == FieldKind::Count)
                || NOT_TABULATED.contains(&f.name.as_str())
                || f.cells.iter().all(|c| c.trim().is_empty())
            {
                continue;
            }
            let mut m = if f.display.is_empty() {
                f.name.clone()
            } else {
                f.display.clone()
            };
            if m == "累计" {
                m = f.synonyms.first().cloned().unwrap_or(m);
            }
            if !names.insert(m.clone()) {
                m = format!("{m}_{}", f.name);
                names.insert(m.clone());
            }
            if money && headline.is_none() {
                headline = Some(m.clone());
            }
            measures.push((m, "sum", Some(f.name.clone()), money.then_some(2)));
        }
        let headline = headline
            .or_else(|| measures.get(1).map(|m| m.0.clone()))
            .unwrap_or(count);
        let sums = measures.len() > 1;
        let years = self.years.len() > 1 || self.years.contains(&i32::MIN);
        let mut out = Vec::new();
        let mut push = |name: String, title: String, by: Option<String>, period, share| {
            let mut name: String = name.chars().take(names::MAX_CHARS).collect();
            let base = name.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                let suffix = format!("_{n}");
                name = base
                    .chars()
                    .take(names::MAX_CHARS - suffix.chars().count())
                    .collect::<String>()
                    + &suffix;
                n += 1;
            }
            out.push(TablePlan {
                name,
                title,
                dataset: self.name.clone(),
                by,
                measures: measures.clone(),
                period,
                growth: sums && years,
                share,
                chart_measure: headline.clone(),
            });
        };
        push(self.name.clone(), self.title.clone(), None, None, false);
        for f in self.groupings() {
            push(
                format!("{}_by_{}", self.name, f.name),
                format!("{}分{}情况", self.title, f.display),
                Some(f.name.clone()),
                None,
                sums,
            );
        }
        if self.months {
            let (suffix, title, period) = if self.cumulative {
                ("ytd", "累计进度", "ytd")
            } else {
                ("monthly", "分月情况", "monthly")
            };
            push(
                format!("{}_{suffix}", self.name),
                format!("{}{title}", self.title),
                None,
                Some(period),
                false,
            );
        }
        out
    }
}

/// A new dataset's name and title from the sheet name, or from its title line when the sheet
/// name says nothing.
pub fn new_dataset_name(t: &Table) -> (String, String) {
    let from = if !generic_sheet(&t.sheet) && !strip_periods(&t.sheet).is_empty() {
        t.sheet.clone()
    } else if let Some(line) = t.title_lines.first() {
        line.clone()
    } else {
        std::path::Path::new(&t.file)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default()
    };
    let mut title = strip_periods(from.trim())
        .trim_end_matches(['.', '。', '_', '-'])
        .to_string();
    // `税收情况表` is about 税收: tables get `…分…情况` titles of their own.
    for suffix in [
        "情况表",
        "情况",
        "统计表",
        "汇总表",
        "明细表",
        "一览表",
        "表",
    ] {
        if let Some(rest) = title.strip_suffix(suffix) {
            if !rest.is_empty() {
                title = rest.trim_end_matches(['.', '。', '_', '-']).to_string();
                break;
            }
        }
    }
    (
        safe_name(&title, "table"),
        if title.is_empty() {
            "表".into()
        } else {
            title
        },
    )
}

const MONEY_WORDS: [&str; 5] = ["金额", "投资", "资金", "额", "元"];
const COUNT_WORDS: [&str; 8] = ["户", "个", "笔", "人", "件", "次", "数", "家"];

fn infer(f: &mut FieldPlan) {
    let keys: Vec<String> = f.synonyms.iter().map(|s| normalize_key(s)).collect();
    let has = |words: &[&str]| keys.iter().any(|k| words.iter().any(|w| k.contains(w)));
    let units: Vec<&String> = f.header_units.iter().collect();
    let unit_money = units.iter().any(|u| MoneyUnit::parse(u).is_some());
    let unit_count = units.iter().any(|u| COUNT_WORDS.contains(&u.as_str()));
    let unit_pct = units.iter().any(|u| u.as_str() == "%");
    let filled: Vec<&str> = f
        .cells
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    if filled.is_empty() {
        f.kind = FieldKind::Text;
        f.why = "no values seen: text".into();
        return;
    }
    let numbers: Vec<Option<String>> = filled
        .iter()
        .filter_map(|c| clean_number_text(c).ok())
        .map(|n| n.map(|(s, _)| s))
        .collect();
    let real: Vec<&String> = numbers.iter().flatten().collect();
    let numeric = !real.is_empty() && numbers.len() * 10 >= filled.len() * 8;
    if numeric {
        let whole = real
            .iter()
            .all(|s| !s.contains('.') || s.trim_end_matches('0').ends_with('.'));
        let odd = filled.len() - numbers.len();
        let (kind, why) = if unit_pct || has(&["%", "率", "比重", "占比"]) {
            (
                FieldKind::Percent,
                "header says 率 or %: percent".to_string(),
            )
        } else if unit_money || has(&MONEY_WORDS) {
            (
                FieldKind::Money,
                "header names money (金额/投资/资金/额 or a money unit): money".into(),
            )
        } else if (unit_count || has(&COUNT_WORDS)) && whole {
            (
                FieldKind::Count,
                "whole numbers under a header that counts (户/个/笔/人/件/次/数): count".into(),
            )
        } else if f.unit_line_money {
            (
                FieldKind::Money,
                "numbers under a 单位 line naming a money unit: money".into(),
            )
        } else if whole {
            f.ambiguous = true;
            (FieldKind::Count, "whole numbers, no unit and no word saying what they are: read as a count (change `kind` to money if they are amounts)".into())
        } else {
            f.ambiguous = true;
            (FieldKind::Money, "numbers with decimals, no unit and no word saying what they are: read as money (change `kind` if not)".into())
        };
        f.kind = kind;
        f.why = why;
        if odd > 0 {
            f.ambiguous = true;
            f.why.push_str(&format!(
                "; {odd} of {} cells are not numbers, and `run` rejects their rows",
                filled.len()
            ));
        }
        return;
    }
    let dates = filled
        .iter()
        .filter(|c| {
            parse_cell(
                &calamine::Data::String(c.to_string()),
                FieldKind::Date,
                MoneyUnit::Wanyuan,
                DashPolicy::Missing,
            )
            .is_ok()
        })
        .count();
    if dates == filled.len() {
        f.kind = FieldKind::Date;
        f.why = "every cell is a date: date".into();
    } else {
        f.kind = FieldKind::Text;
        f.why = "text".into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_sheets_pass_the_config_check() {
        for (text, want) in [
            ("2022年税收", "税收"),
            ("2022年1-6月 税收.情况", "税收情况"),
            ("投资项目_2019", "投资项目"),
            ("../../etc", "etc"),
            ("CON", "table"),
            ("2022", "table"),
        ] {
            let got = safe_name(text, "table");
            assert_eq!(got, want, "{text}");
            assert!(names::problem(&got).is_none(), "{got}");
        }
        let long = "很".repeat(100);
        assert_eq!(safe_name(&long, "t").chars().count(), names::MAX_CHARS);
        assert!(generic_sheet("Sheet1") && generic_sheet("工作表2") && !generic_sheet("税收"));
    }

    fn field(header: &str, cells: &[&str]) -> FieldPlan {
        FieldPlan {
            name: header.into(),
            kind: FieldKind::Text,
            origin: Origin::Inferred,
            synonyms: vec![header.into()],
            headers: vec![header.into()],
            display: header.into(),
            required: false,
            dash: None,
            cells: cells.iter().map(|c| c.to_string()).collect(),
            header_units: BTreeSet::new(),
            unit_line_money: false,
            why: String::new(),
            ambiguous: false,
        }
    }

    #[test]
    fn kinds_follow_the_header_and_the_cells() {
        let kind = |h: &str, cells: &[&str]| {
            let mut f = field(h, cells);
            infer(&mut f);
            (f.kind, f.ambiguous)
        };
        assert_eq!(kind("奖励金额", &["1.5", "2"]), (FieldKind::Money, false));
        assert_eq!(kind("企业户数", &["3", "4"]), (FieldKind::Count, false));
        assert_eq!(
            kind("完成率", &["95.5", "100"]),
            (FieldKind::Percent, false)
        );
        assert_eq!(kind("开业日期", &["2022-01-03"]), (FieldKind::Date, false));
        assert_eq!(kind("责任人", &["张三", "李四"]), (FieldKind::Text, false));
        assert_eq!(kind("指标", &["12", "13"]), (FieldKind::Count, true));
        assert_eq!(kind("指标", &["12.5", "13"]), (FieldKind::Money, true));
    }
}
