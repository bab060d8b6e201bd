//! The one encoder of clean data as Parquet: polars' writer, then the footer's Arrow schema
//! written again with plain strings (pyarrow before 15 cannot read string views) and with
//! field metadata saying what a money column holds.

use polars::prelude::*;

/// A clean-data frame as a Parquet file's bytes, readable by older Arrow readers, its `money`
/// columns described as fen (see [`portable`]).
pub fn frame_parquet(frame: &DataFrame, money: &[&str]) -> PolarsResult<Vec<u8>> {
    // One chunk per column, so the file's layout does not depend on how the rows arrived.
    let mut df = frame.clone();
    df.rechunk_mut();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut df)?;
    portable(bytes, df.schema(), &money_notes(money))
}

/// Field metadata saying that each of `money` holds fen.
pub fn money_notes<'a>(money: &[&'a str]) -> Vec<(&'a str, Metadata)> {
    let meta = money_metadata();
    money.iter().map(|m| (*m, meta.clone())).collect()
}

/// Field metadata: key to value.
pub type Metadata = std::collections::BTreeMap<PlSmallStr, PlSmallStr>;

/// The metadata of a clean-data money column: whole fen, and how to get 元 and 万元.
pub fn money_metadata() -> Metadata {
    [
        ("unit", "fen"),
        ("scale", "0.01"),
        (
            "description",
            "money in whole fen (分, 0.01 元): divide by 100 for 元, by 1000000 for 万元",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (PlSmallStr::from(k), PlSmallStr::from(v)))
    .collect()
}

/// A Parquet file as polars wrote it from a frame of `schema`, its footer's Arrow schema
/// written again with plain strings instead of string views and with `notes` as the named
/// columns' field metadata. The pages are untouched: both string types are stored alike.
pub fn portable(
    mut bytes: Vec<u8>,
    schema: &Schema,
    notes: &[(&str, Metadata)],
) -> PolarsResult<Vec<u8>> {
    let mut arrow = schema.to_arrow(CompatLevel::oldest());
    for (name, meta) in notes {
        if let Some(field) = arrow.get_mut(name) {
            field.metadata = Some(std::sync::Arc::new(meta.clone()));
        }
    }
    let key = polars_parquet::write::schema_to_metadata_key(&arrow);
    let (mut meta, at) = super::image::footer(&bytes)?;
    let list = meta.key_value_metadata.get_or_insert_with(Vec::new);
    list.retain(|kv| kv.key != key.key);
    list.insert(
        0,
        polars_parquet_format::KeyValue {
            key: key.key,
            value: key.value,
        },
    );
    bytes.truncate(at);
    super::image::write_footer(&mut bytes, &meta)?;
    Ok(bytes)
}
