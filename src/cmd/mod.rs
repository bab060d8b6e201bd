//! One module per subcommand.

pub mod init;
pub mod inspect;
pub mod run;
pub mod validate;
