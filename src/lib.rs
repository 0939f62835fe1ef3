//! poolcheck: diagnose and tune pooled MySQL/MariaDB connections.
//!
//! `run` is the one entry point; `main.rs` only maps its result to an exit code.

pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod exit;
pub mod finding;
pub mod inspect;
pub mod report;
pub mod target;

use anyhow::Result;
use cli::{Cli, Command, InspectArgs};
use config::{Output, Terminal};
use exit::ExitStatus;
use target::{Endpoint, Environment};

/// Runs one command to completion and says how it ended. Errors are printed
/// here (stderr); results go to stdout.
pub fn run(cli: Cli) -> ExitStatus {
    let env = Environment::capture();
    let term = Terminal::detect(&env);
    let stderr_color = !term.no_color && term.stderr_tty;
    let result = match &cli.command {
        Command::Inspect(args) => run_inspect(args, &env, &term),
    };
    match result {
        Ok(status) => status,
        Err(err) => {
            report::print_error(&err, stderr_color, &mut std::io::stderr().lock());
            ExitStatus::Error
        }
    }
}

fn run_inspect(args: &InspectArgs, env: &Environment, term: &Terminal) -> Result<ExitStatus> {
    let out = Output::resolve(&args.output, term);
    let (spec, notes) = config::resolve_target(&args.connect, env, term)?;
    for n in &notes {
        report::note(out.quiet, out.stderr_color, n);
    }
    let io_timeout = spec.connect_timeout.max(std::time::Duration::from_secs(10));
    let mut session = db::connect(&spec, io_timeout)?;
    let target = inspect::TargetInfo {
        url: spec.display_url(),
        transport: match spec.endpoint {
            Endpoint::Tcp { .. } => "tcp",
            Endpoint::Socket(_) => "socket",
        }
        .into(),
        address: spec.address(),
        tls: session.tls,
        connect_ms: (session.connect_time.as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
    };
    let report = inspect::inspect(&mut session, target)?;
    let mut buf = Vec::new();
    report::render_inspect(&report, &out.render, &mut buf)?;
    report::emit_stdout(&buf)?;
    Ok(finding::status_for(&report.findings, out.fail_on))
}
