//! The errors a command can end with, and the exit code each maps to.

use crate::config::ConfigError;
use std::path::PathBuf;

/// Exit codes, documented in README.md and `--help`.
pub mod exit {
    /// Everything read and written; no warnings.
    pub const OK: u8 = 0;
    /// Outputs written, but some rows were rejected, files unreadable or sheets unrecognised.
    pub const WARNINGS: u8 = 1;
    /// The pipeline file or the command line is wrong; nothing was written.
    pub const USAGE: u8 = 2;
    /// With `--strict`: rejected rows or unreadable files; nothing was written.
    pub const DATA: u8 = 3;
    /// Writing the outputs failed; the previous output is untouched.
    pub const OUTPUT: u8 = 4;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Data(String),
    #[error("{}", crate::i18n::t!("error.cannot_write", path = path.display()))]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", crate::i18n::t!("error.cannot_write_outputs"))]
    Emit(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("{}", crate::i18n::t!("error.aggregation_failed"))]
    Aggregate(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) | Error::Usage(_) => exit::USAGE,
            Error::Data(_) => exit::DATA,
            Error::Aggregate(_) => exit::DATA,
            Error::Output { .. } | Error::Emit(_) => exit::OUTPUT,
        }
    }

    pub fn output(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Output { path, source }
    }
}

/// Prints an error once, with its causes, the way the command line shows it.
/// The error as one JSON line for log collectors: its message, each cause in turn, and the
/// exit code, as fields (`--log-format json`).
pub fn report_json(err: &dyn std::error::Error, exit_code: u8) -> String {
    let mut causes = Vec::new();
    let mut source = err.source();
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    serde_json::json!({
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "level": "ERROR",
        "fields": {
            "message": "error",
            "error": err.to_string(),
            "causes": causes,
            "exit_code": exit_code,
        }
    })
    .to_string()
}

pub fn report(err: &dyn std::error::Error) -> String {
    let mut out = format!("{}{err}", crate::i18n::t!("error.prefix"));
    let mut source = err.source();
    let mut first = true;
    while let Some(s) = source {
        if first {
            out.push_str(&format!("\n\n{}", crate::i18n::t!("error.caused_by")));
            first = false;
        }
        out.push_str(&format!("\n    {s}"));
        source = s.source();
    }
    out
}

/// The message a panic carried, for reporting it as an error.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
