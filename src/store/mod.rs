//! The output folder's `.cache/`: what one run keeps for the next. Every entry is sealed (see
//! [`sealed`]); a missing, damaged or planted entry is a miss, never an error.

pub mod charts;
pub mod links;
pub mod parse;
pub mod prune;
pub mod results;
pub mod sealed;
pub mod trash;
