//! Command-line interface: argument parsing, logging set-up, and error printing.

use crate::cmd;
use crate::error::{exit, report, report_json};
use crate::i18n::{self, Lang};
use crate::shortcuts::{on, Shortcut};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXIT_CODES: &str = "Exit codes:
  0  success
  1  success with warnings (rejected rows, unreadable files or unrecognised sheets)
  2  pipeline file or command-line error; nothing written
  3  data errors under --strict; nothing written
  4  output or I/O failure; the previous output is untouched";

#[derive(Debug, Parser)]
#[command(name = "yearbook", version, about = "Turns a statistics bureau's monthly workbooks into summary tables, charts and a report", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only print errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail (repeat for debug output).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Language of messages: errors, warnings, rejection reasons [default: zh, or $YEARBOOK_LANG].
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the inputs, aggregate, and write tables, clean data and a manifest.
    #[command(after_help = EXIT_CODES)]
    Run(cmd::run::RunArgs),
    /// Check the pipeline and every input it matches; writes nothing.
    #[command(after_help = EXIT_CODES)]
    Validate(cmd::validate::ValidateArgs),
    /// Read a share of the inputs into a partitioned Parquet folder, for `run --from-parquet`.
    #[command(after_help = EXIT_CODES)]
    Ingest(cmd::ingest::IngestArgs),
    /// Show what detection finds in workbooks: sheets, header, fields, unit, year, rows.
    Inspect(cmd::inspect::InspectArgs),
    /// Write a working pipeline for the workbooks in a folder, from their headers.
    Init(cmd::init::InitArgs),
}

/// Runs the command line and gives the process's exit code.
pub fn run() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    match cli.log.lang {
        Some(l) => i18n::set(l),
        None => match std::env::var(i18n::ENV) {
            Ok(v) if !v.is_empty() => match Lang::parse(&v) {
                Some(l) => i18n::set(l),
                None => {
                    eprintln!(
                        "{}",
                        crate::i18n::t!("cli.bad_lang_env", env = i18n::ENV, value = v)
                    );
                    return exit::USAGE;
                }
            },
            _ => i18n::set(Lang::Zh),
        },
    }
    if let Err(line) = crate::shortcuts::init() {
        eprintln!("{}{line}", crate::i18n::t!("error.prefix"));
        return exit::USAGE;
    }
    init_logging(&cli.log);
    let json = matches!(cli.log.log_format, LogFormat::Json);
    // In polars' own pool: a worker of another pool waiting on polars takes up unrelated work
    // meanwhile, and two pools put twice as many threads on the cores.
    if matches!(cli.command, Command::Run(_) | Command::Ingest(_)) && on(Shortcut::NullPageEarly) {
        make_null_page_early();
    }
    let result = polars_core::runtime::THREAD_POOL.install(|| match cli.command {
        Command::Run(a) => cmd::run::execute(a, json),
        Command::Validate(a) => cmd::validate::execute(a),
        Command::Ingest(a) => cmd::ingest::execute(a),
        Command::Inspect(a) => cmd::inspect::execute(a),
        Command::Init(a) => cmd::init::execute(a),
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            let code = e.exit_code();
            match json {
                true => eprintln!("{}", report_json(&e, code)),
                false => eprintln!("{}", report(&e)),
            }
            code
        }
    }
}

/// Polars makes one shared page of zeroes the first time it needs a column of nulls, and a run
/// always needs it (writing an all-null column to Parquet does). Touching its pages is
/// measurable on a short re-run, so it is made on a thread of its own while the pipeline and
/// the parse cache are read.
fn make_null_page_early() {
    use polars::prelude::{DataType, PlSmallStr, Series};
    std::thread::spawn(|| Series::full_null(PlSmallStr::EMPTY, 0, &DataType::Int32));
}

fn init_logging(args: &LogArgs) {
    use tracing_subscriber::EnvFilter;
    let level = if args.quiet {
        "error"
    } else {
        match args.verbose {
            0 => "info",
            1 => "debug",
            _ => "trace",
        }
    };
    let filter = EnvFilter::try_from_env("YEARBOOK_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("yearbook={level}")));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi);
    let _ = match args.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.without_time().try_init(),
    };
}

/// The pipeline argument every pipeline command takes.
#[derive(Debug, Args)]
pub struct PipelineArg {
    /// Pipeline file (TOML).
    pub pipeline: PathBuf,
}
