//! Arbitrary bytes as a workbook, through the same ingestion as `yearbook run`.
//!
//! The first byte picks the format the file claims (xlsx, xls, ods); the rest is the file.
//! A finding is a panic that escapes ingestion (panics inside a dependency are caught by
//! ingestion and become that file's error) or a sheet whose rows do not balance.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

fn pipeline() -> &'static yearbook::config::Pipeline {
    static P: OnceLock<yearbook::config::Pipeline> = OnceLock::new();
    P.get_or_init(|| {
        // libFuzzer's hook aborts on every panic, even one that ingestion catches and turns
        // into the file's error. Without it, a panic that escapes still aborts: the target
        // macro catches it and aborts.
        let _ = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        yearbook::config::builtin().expect("built-in dictionary")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let name = ["fuzz.xlsx", "fuzz.xls", "fuzz.ods"][pick as usize % 3];
    let report =
        yearbook::ingest::ingest_bytes(pipeline(), Path::new(name), "fuzz", file, String::new());
    for s in &report.sheets {
        assert_eq!(
            s.rows_read,
            s.rows_kept + s.rows_rejected + s.rows_skipped(),
            "rows do not balance on sheet `{}`",
            s.name
        );
    }
});
