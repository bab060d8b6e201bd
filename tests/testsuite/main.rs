//! Integration tests: one module per feature, each driving the binary on small fixtures.

mod architecture;
mod batch;
mod common;
mod config;
mod disk;
mod hostile;
mod ingest;
mod init;
mod input_safety;
mod lang;
mod layouts;
mod out_safety;
mod pipeline_safety;
mod portal;
mod publish;
mod realworld;
mod report;
mod scale;
mod seed;
mod shortcuts;
mod stores;
mod trust;
mod wide;
