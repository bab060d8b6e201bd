//! Aggregation of the clean data into the tables a pipeline declares.

pub(crate) mod engine;
pub mod frame;
pub mod result;

pub use engine::{aggregate, aggregate_only, AggregateError, BLANK_KEY, OTHER_KEY};
pub use frame::clean_frames;
pub use result::*;

#[cfg(test)]
mod tests;
