//! `facts.csv`: every value of every table in one long, sorted list.
//!
//! Header `year,month,table,dimension,key,metric,value,unit`. Money in 万元 with exactly 4
//! decimals (from fen, no floating point), counts as integers, percentages, points and plain
//! numbers with exactly 4 decimals (half away from zero). Undefined values have an empty
//! field. `unit` says what the value counts: 万元, %, 百分点, a count's unit (个, 户 …) or
//! nothing when unknown. `month` is a whole number, empty on annual rows.

use super::csv::{document, line, CsvStyle};
use super::grid::{fixed, TOTAL};
use super::{EmitError, OutputWriter, Written};
use crate::aggregate::{AggRow, MetricKind, MetricValue, TableResult};
use crate::model::fen_to_wan_string;
use std::path::Path;

pub const HEADER: &str = "year,month,table,dimension,key,metric,value,unit";

/// The `dimension` of grand-total rows.
pub const TOTAL_DIMENSION: &str = "total";

/// A value as facts.csv and Parquet's `value_text` write it.
pub fn value_text(kind: MetricKind, value: Option<MetricValue>) -> String {
    match (value, kind) {
        (None, _) => String::new(),
        (Some(MetricValue::Fen(fen)), _) => fen_to_wan_string(fen, 4),
        (Some(MetricValue::Int(i)), MetricKind::Count) => i.to_string(),
        (Some(MetricValue::Int(i)), _) => format!("{i}.0000"),
        (Some(MetricValue::Float(x)), MetricKind::Count) => fixed(x, 0),
        (Some(MetricValue::Float(x)), _) => fixed(x, 4),
    }
}

/// The unit of a value as facts.csv and Parquet write it (money in 万元).
pub fn value_unit(def: &crate::aggregate::MetricDef) -> String {
    super::grid::unit_of(def, crate::model::MoneyUnit::Wanyuan)
}

/// `dimension` and `key` of a row: `total`/`合计` for the grand total, else joined with `|`.
pub fn dimension_and_key(table: &TableResult, row: &AggRow) -> (String, String) {
    match &row.key {
        None => (TOTAL_DIMENSION.to_string(), TOTAL.to_string()),
        Some(k) => (table.dims.join("|"), k.join("|")),
    }
}

/// The lines of facts.csv, header first, without line endings.
pub fn facts_lines(tables: &[TableResult], style: CsvStyle) -> Vec<String> {
    struct Fact<'a> {
        year: i32,
        month: Option<u32>,
        table: &'a str,
        dimension: String,
        key: String,
        metric: &'a str,
        value: String,
        unit: String,
    }
    let mut facts = Vec::new();
    for t in tables {
        for r in &t.rows {
            let Some(def) = t.metrics.get(r.metric) else {
                continue;
            };
            let (dimension, key) = dimension_and_key(t, r);
            facts.push(Fact {
                year: r.year,
                month: r.month,
                table: &t.name,
                dimension,
                key,
                metric: &def.name,
                value: value_text(def.kind, r.value),
                unit: value_unit(def),
            });
        }
    }
    facts.sort_by(|a, b| {
        (a.year, a.month, a.table, &a.dimension, &a.key, a.metric).cmp(&(
            b.year,
            b.month,
            b.table,
            &b.dimension,
            &b.key,
            b.metric,
        ))
    });
    let mut lines = vec![HEADER.to_string()];
    lines.extend(facts.iter().map(|f| {
        let month = f.month.map(|m| m.to_string()).unwrap_or_default();
        line(
            [
                f.year.to_string().as_str(),
                &month,
                f.table,
                &f.dimension,
                &f.key,
                f.metric,
                &f.value,
                &f.unit,
            ],
            style,
        )
    }));
    lines
}

/// Writes facts.csv.
pub fn write_facts(
    tables: &[TableResult],
    path: &Path,
    style: CsvStyle,
    sink: &OutputWriter,
) -> Result<Written, EmitError> {
    sink.put(path, document(facts_lines(tables, style), style))
        .map_err(EmitError::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::grid::tests::{annual_wide, totals_only, ytd_long};

    #[test]
    fn facts_snapshot() {
        let lines = facts_lines(
            &[annual_wide(), totals_only(), ytd_long()],
            CsvStyle::default(),
        );
        let expected = "\
year,month,table,dimension,key,metric,value,unit
2021,,projects_by_nature,nature,新建,总投资,40000.0000,万元
2021,,projects_by_nature,nature,新建,总投资同比,,%
2021,,projects_by_nature,nature,新建,总投资构成,40.0000,%
2021,,projects_by_nature,nature,新建,项目个数,20,
2021,,projects_by_nature,nature,新建,项目个数同比,,%
2021,,projects_by_nature,nature,续建,总投资,60000.0001,万元
2021,,projects_by_nature,nature,续建,总投资同比,,%
2021,,projects_by_nature,nature,续建,总投资构成,60.0000,%
2021,,projects_by_nature,nature,续建,项目个数,30,
2021,,projects_by_nature,nature,续建,项目个数同比,,%
2021,,projects_by_nature,total,合计,总投资,100000.0000,万元
2021,,projects_by_nature,total,合计,总投资同比,,%
2021,,projects_by_nature,total,合计,总投资构成,100.0000,%
2021,,projects_by_nature,total,合计,项目个数,50,
2021,,projects_by_nature,total,合计,项目个数同比,,%
2022,,bonds,total,合计,金额,117300.0000,万元
2022,,bonds,total,合计,项目数,9,
2022,,projects_by_nature,nature,新建,总投资,47300.0000,万元
2022,,projects_by_nature,nature,新建,总投资同比,18.2500,%
2022,,projects_by_nature,nature,新建,总投资构成,40.3240,%
2022,,projects_by_nature,nature,新建,项目个数,17,
2022,,projects_by_nature,nature,新建,项目个数同比,-15.0000,%
2022,,projects_by_nature,nature,续建,总投资,70000.0000,万元
2022,,projects_by_nature,nature,续建,总投资同比,16.6667,%
2022,,projects_by_nature,nature,续建,总投资构成,59.6760,%
2022,,projects_by_nature,nature,续建,项目个数,38,
2022,,projects_by_nature,nature,续建,项目个数同比,26.6667,%
2022,,projects_by_nature,total,合计,总投资,117300.0000,万元
2022,,projects_by_nature,total,合计,总投资同比,17.3000,%
2022,,projects_by_nature,total,合计,总投资构成,100.0000,%
2022,,projects_by_nature,total,合计,项目个数,55,
2022,,projects_by_nature,total,合计,项目个数同比,10.0000,%
2022,12,subsidies,kind,\"奖励\"\"区级\"\"\",户数,10,
2022,12,subsidies,kind,\"奖励\"\"区级\"\"\",达标率,,%
2022,12,subsidies,kind,\"奖励\"\"区级\"\"\",金额,2370.0000,万元
2022,12,subsidies,kind,\"补助,房租\",户数,35903,
2022,12,subsidies,kind,\"补助,房租\",达标率,0.0000,%
2022,12,subsidies,kind,\"补助,房租\",金额,1837.0000,万元
2022,12,subsidies,total,合计,户数,35913,
2022,12,subsidies,total,合计,达标率,64.1850,%
2022,12,subsidies,total,合计,金额,4207.0000,万元
2023,3,subsidies,total,合计,户数,120,
2023,3,subsidies,total,合计,达标率,50.0000,%
2023,3,subsidies,total,合计,金额,12.3457,万元";
        assert_eq!(lines.join("\n"), expected);
    }

    #[test]
    fn file_has_bom_and_newlines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("facts.csv");
        write_facts(
            &[totals_only()],
            &p,
            CsvStyle::default(),
            &OutputWriter::default(),
        )
        .unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            "\u{feff}year,month,table,dimension,key,metric,value,unit\n2022,,bonds,total,合计,金额,117300.0000,万元\n2022,,bonds,total,合计,项目数,9,\n"
        );
    }

    #[test]
    fn values() {
        assert_eq!(
            value_text(MetricKind::Money, Some(MetricValue::Fen(-50))),
            "-0.0001"
        );
        assert_eq!(
            value_text(MetricKind::Money, Some(MetricValue::Fen(-49))),
            "0.0000"
        );
        assert_eq!(
            value_text(MetricKind::Points, Some(MetricValue::Float(-0.00004))),
            "0.0000"
        );
        assert_eq!(
            value_text(MetricKind::Points, Some(MetricValue::Float(0.00005))),
            "0.0001"
        );
        assert_eq!(
            value_text(MetricKind::Number, Some(MetricValue::Int(3))),
            "3.0000"
        );
        assert_eq!(value_text(MetricKind::Count, None), "");
    }
}
