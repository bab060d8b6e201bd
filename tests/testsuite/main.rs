//! Integration tests: one module per feature, each driving the binary on small fixtures.

mod batch;
mod common;
mod config;
mod disk;
mod hostile;
mod ingest;
mod layouts;
mod pipeline_safety;
mod publish;
mod realworld;
mod report;
mod scale;
mod seed;
mod wide;
