//! yearbook: reads a statistics bureau's monthly workbooks, cleans and aggregates them,
//! and writes summary tables, charts and a report.

pub mod aggregate;
pub mod batch;
pub mod clean;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod emit;
pub mod error;
pub mod faults;
pub mod files;
pub mod ingest;
pub mod inputs;
pub mod model;
pub mod output;
pub mod run;
pub mod store;
