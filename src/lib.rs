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
pub mod signal;
pub mod target;

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
    let result = config::resolve(&cli, &env, &term).and_then(app::dispatch);
    match result {
        Ok(status) => status,
        Err(err) if signal::is_interrupted(&err) => {
            // Nothing was measured yet (a partial report is printed otherwise).
            report::note(
                false,
                output.stderr_color,
                "interrupted before anything was measured; no connection left open",
            );
            ExitStatus::Interrupted
        }
        Err(err) => {
            report::print_error(&err, output.stderr_color, &mut std::io::stderr().lock());
            ExitStatus::Error
        }
    }
}
