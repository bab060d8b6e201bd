//! Failure injection for the tests of atomic output: `YEARBOOK_FAIL_AT=<stage>` makes that
//! stage fail, or (`delete-output`) removes the output folder as another process might.
//! Compiled only into debug builds, which the tests run; a release build ignores the variable.

use std::path::Path;

/// An error at `stage` when the tests ask for one.
pub fn fail_point(stage: &str) -> std::io::Result<()> {
    #[cfg(debug_assertions)]
    if std::env::var("YEARBOOK_FAIL_AT").is_ok_and(|s| s == stage) {
        return Err(std::io::Error::other(format!(
            "injected failure at stage `{stage}`"
        )));
    }
    let _ = stage;
    Ok(())
}

/// Removes the pipeline's output folder (the staging folder's parent) when the tests ask,
/// then lets the run go on.
pub fn delete_point(staging: &Path) {
    #[cfg(debug_assertions)]
    if std::env::var("YEARBOOK_FAIL_AT").is_ok_and(|s| s == "delete-output") {
        if let Some(root) = staging.parent() {
            let _ = std::fs::remove_dir_all(root);
        }
    }
    let _ = staging;
}
