//! One module per subcommand.

pub mod ingest;
pub mod init;
pub mod inspect;
pub mod run;
pub mod validate;
