//! Clean data: every kept row of a dataset, typed, with the file, sheet and row it came from.
//!
//! [`frame`] builds it from the readings as polars frames and names its columns; [`image`]
//! holds one workbook's rows as a Parquet image (what the parse cache keeps) and joins the
//! images into a dataset's file; [`encode`] is the one Parquet encoder of clean data; and
//! [`partitioned`] writes and reads it as a Hive-partitioned folder for `run --from-parquet`.

pub mod encode;
pub mod frame;
pub mod image;
pub mod partitioned;

pub use frame::clean_frames;
