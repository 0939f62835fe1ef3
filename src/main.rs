//! Entry point: parse the command line, run, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // clap exits with 2 on usage errors and 0 for --help/--version.
    let cli = poolcheck::cli::Cli::parse();
    ExitCode::from(poolcheck::run(cli).code())
}
