//! The built-in field dictionary (`dictionary.toml`, compiled in): the datasets `init` and
//! `inspect` recognise when no pipeline is given.

use super::raw::{RawDataset, RawField, RawInputs, RawOutput, RawPipeline};
use crate::config::normalize::normalize_key;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The dictionary's text.
pub const SOURCE: &str = include_str!("dictionary.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    common: Vec<RawField>,
    datasets: BTreeMap<String, RawDataset>,
}

/// The dictionary as a pipeline's raw model: every dataset with the common fields it does not
/// already have. No inputs and no tables.
pub fn raw() -> Result<RawPipeline, String> {
    let file: File = toml::from_str(SOURCE).map_err(|e| e.to_string())?;
    let mut datasets = BTreeMap::new();
    for (name, mut ds) in file.datasets {
        let mut claimed: BTreeSet<String> = BTreeSet::new();
        for f in &ds.fields {
            claimed.insert(normalize_key(&f.name));
            claimed.extend(f.synonyms.iter().map(|s| normalize_key(s)));
        }
        for c in &file.common {
            if ds.fields.iter().any(|f| f.name == c.name) {
                continue;
            }
            let synonyms: Vec<String> = c
                .synonyms
                .iter()
                .filter(|s| !claimed.contains(&normalize_key(s)))
                .cloned()
                .collect();
            if synonyms.is_empty() {
                continue;
            }
            claimed.extend(synonyms.iter().map(|s| normalize_key(s)));
            ds.fields.push(RawField {
                synonyms,
                ..c.clone()
            });
        }
        datasets.insert(name, ds);
    }
    Ok(RawPipeline {
        name: "dictionary".into(),
        title: Some("内置字段词典".into()),
        source: None,
        inputs: RawInputs {
            include: vec!["**/*.xlsx".into()],
            exclude: vec![],
            wide_tables: true,
        },
        output: RawOutput::default(),
        datasets,
        tables: vec![],
        charts: vec![],
    })
}

/// Field names of the common columns: `seq` and `remark` are never measured or grouped by.
pub const NOT_TABULATED: [&str; 2] = ["seq", "remark"];

#[cfg(test)]
mod tests {
    #[test]
    fn the_dictionary_loads_and_keeps_the_field_names_pipelines_use() {
        let p = crate::config::builtin().expect("dictionary");
        let names = |ds: &str| -> Vec<String> {
            let d = p.datasets.iter().find(|d| d.name == ds).expect(ds);
            d.fields.iter().map(|f| f.name.clone()).collect()
        };
        for (ds, fields) in [
            (
                "investment",
                &[
                    "project",
                    "nature",
                    "industry",
                    "total_investment",
                    "annual_plan",
                    "completed",
                    "status",
                ][..],
            ),
            ("subsidy", &["subsidy_type", "households", "amount"][..]),
            ("tax_relief", &["tax_type", "amount"][..]),
            ("tax_service", &["category", "transactions"][..]),
            ("funds", &["fund_type", "amount", "quota"][..]),
        ] {
            let have = names(ds);
            for f in fields {
                assert!(have.iter().any(|h| h == f), "{ds} lacks {f}");
            }
        }
        // Common columns join every dataset.
        assert!(names("financing").contains(&"area".to_string()));
        assert!(names("investment").contains(&"seq".to_string()));
    }
}
