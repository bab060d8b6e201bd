//! yearbook: reads a statistics bureau's monthly workbooks, cleans and aggregates them,
//! and writes summary tables, charts and a report.
//!
//! The stages, bottom first (see docs/architecture.md): `config` → `ingest` → `clean` →
//! `aggregate` → `emit`, with `store` for what one run keeps for the next, `batch` for a run's
//! state and `run` calling them in order. The public surface is what the command line, the
//! examples, the fuzz targets and the integration tests use; everything else is the crate's
//! own.

pub mod aggregate;
pub(crate) mod batch;
pub mod clean;
pub mod cli;
pub(crate) mod cmd;
pub mod config;
pub mod emit;
pub mod error;
pub(crate) mod faults;
pub(crate) mod files;
pub mod i18n;
pub mod ingest;
pub(crate) mod inputs;
pub mod model;
pub(crate) mod publish;
pub mod run;
pub mod shortcuts;
pub(crate) mod store;

// The message catalogues, compiled in; English stands in for a text missing in Chinese.
rust_i18n::i18n!("locales", fallback = "en");
