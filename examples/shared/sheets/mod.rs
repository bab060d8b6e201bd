//! A format-neutral workbook and small writers for it, shared by the example generators and
//! the test suite.

#![allow(dead_code)]

pub mod book;
pub mod ods;
pub mod xls;
pub mod xlsx;
