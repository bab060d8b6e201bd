//! Aggregation of the clean data into the tables a pipeline declares.

pub mod checks;
pub(crate) mod engine;
pub mod incremental;
pub mod result;
pub mod series;

pub use engine::{
    aggregate, aggregate_only, file_partials, made_of_partials, table_of_partials, AggregateError,
    Partials, BLANK_KEY, OTHER_KEY,
};
pub use result::*;

#[cfg(test)]
mod tests;
