//! Entry point: parse the command line, run, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match poolcheck::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version exit 0; usage errors exit 2, with our hint line.
            let _ = e.print();
            if e.use_stderr() {
                eprintln!(
                    "hint: run `poolcheck --help` or `poolcheck <COMMAND> --help` for the options"
                );
            }
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    ExitCode::from(poolcheck::run(cli).code())
}
