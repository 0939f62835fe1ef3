//! Entry point: parse the command line, run, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match poolcheck::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version exit 0; usage errors exit 2, with our hint line.
            // A bare `poolcheck` gets the help, but it is still an error: say so first.
            if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                poolcheck::report::write_stderr("error: no command given\n\n");
            }
            let _ = e.print();
            if e.use_stderr() {
                poolcheck::report::write_stderr(
                    "hint: run `poolcheck --help` or `poolcheck <COMMAND> --help` for the options\n",
                );
            }
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    ExitCode::from(poolcheck::run(cli).code())
}
