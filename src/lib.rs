//! yearbook: reads a statistics bureau's monthly workbooks, cleans and aggregates them,
//! and writes summary tables, charts and a report.

pub mod aggregate;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod emit;
pub mod error;
pub mod i18n;
pub mod ingest;
pub mod inputs;
pub mod manifest;
pub mod model;
pub mod output;
pub mod partitioned;
pub mod reuse;
pub mod run;
pub mod util;

// The message catalogues, compiled in; English stands in for a text missing in Chinese.
rust_i18n::i18n!("locales", fallback = "en");
