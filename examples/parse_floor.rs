//! The parse floor: how fast the workbooks of a folder can be read at all. Opens every
//! workbook with calamine, loads every sheet and walks every cell, in parallel across files
//! (rayon, as `yearbook run` does), and nothing else.
//!
//!     cargo run --release --example parse_floor -- DIR

use calamine::{open_workbook_auto_from_rs, Data, Reader};

// The allocator `yearbook` itself uses, so that the floor and the run compare like for like.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use rayon::prelude::*;
use std::io::Cursor;
use std::path::PathBuf;
use std::time::Instant;

#[path = "shared/workbooks.rs"]
mod workbooks;

fn main() {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: parse_floor DIR");
        std::process::exit(2);
    };
    let files = match workbooks::workbooks(&dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {}: {e}", dir.display());
            std::process::exit(1);
        }
    };
    let start = Instant::now();
    let (cells, numbers) = files
        .par_iter()
        .map(|path| {
            let Ok(bytes) = std::fs::read(path) else {
                return (0u64, 0u64);
            };
            let Ok(mut wb) = open_workbook_auto_from_rs(Cursor::new(bytes)) else {
                return (0, 0);
            };
            let mut cells = 0u64;
            let mut numbers = 0u64;
            for name in wb.sheet_names() {
                let Ok(range) = wb.worksheet_range(&name) else {
                    continue;
                };
                for (_, _, cell) in range.used_cells() {
                    cells += 1;
                    if matches!(cell, Data::Float(_) | Data::Int(_)) {
                        numbers += 1;
                    }
                }
            }
            (cells, numbers)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!(
        "{} workbooks, {cells} cells ({numbers} numbers) in {:.3} s",
        files.len(),
        start.elapsed().as_secs_f64()
    );
}
