//! poolcheck: diagnose and tune pooled MySQL/MariaDB connections.
//!
//! `run` is the one entry point; `main.rs` only maps its result to an exit code.

pub mod app;
pub mod cli;
pub mod config;
pub mod db;
pub mod drivers;
pub mod error;
pub mod exit;
pub mod explain;
pub mod finding;
pub mod input;
pub mod inspect;
pub mod probe;
pub mod proxy;
pub mod recommend;
pub mod report;
pub mod schema;
pub mod shell;
pub mod signal;
pub mod target;
pub mod units;

use cli::Cli;
use exit::ExitStatus;
use target::Environment;

/// Runs one command to completion and says how it ended: resolves the command
/// line into one [`config::Config`], then [`app::dispatch`]es it. Errors are
/// printed here (stderr), with the colors `--color` asked for; results go to
/// stdout.
pub fn run(cli: Cli) -> ExitStatus {
    let env = Environment::capture();
    let term = config::Terminal::detect(&env);
    let output = config::resolve_output(&cli, &term);
    // Every subcommand: a signal means exit 130, never the shell's 143. Probe
    // and proxy report a failure to install it; the others run without.
    let _ = signal::install(report::backstop_last_words);
    let result = config::resolve(&cli, &env, &term).and_then(app::dispatch);
    match result {
        Ok(status) => status,
        Err(err) if signal::is_interrupted(&err) => {
            report::print_interrupted(&err, output.stderr_color);
            ExitStatus::Interrupted
        }
        Err(err) => {
            report::print_error(&err, output.stderr_color);
            ExitStatus::Error
        }
    }
}
