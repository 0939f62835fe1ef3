//! poolcheck: diagnose and tune pooled MySQL/MariaDB connections.
//!
//! `run` is the one entry point; `main.rs` only maps its result to an exit code.

pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod exit;
pub mod explain;
pub mod finding;
pub mod inspect;
pub mod probe;
pub mod proxy;
pub mod recommend;
pub mod report;
pub mod signal;
pub mod target;

use anyhow::Result;
use cli::{Cli, Command, ExplainArgs, InspectArgs, OnIdleArg, ProbeArgs, ProxyArgs, RecommendArgs};
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
        Command::Probe(args) => run_probe(args, &env, &term),
        Command::Recommend(args) => run_recommend(args, &env, &term),
        Command::Explain(args) => run_explain(args, &env, &term),
        Command::Proxy(args) => run_proxy(args, &term),
    };
    match result {
        Ok(status) => status,
        Err(err) if signal::is_interrupted(&err) => {
            // Nothing was measured yet (a partial report is printed otherwise).
            report::note(
                false,
                stderr_color,
                "interrupted before anything was measured; no connection left open",
            );
            ExitStatus::Interrupted
        }
        Err(err) => {
            report::print_error(&err, stderr_color, &mut std::io::stderr().lock());
            ExitStatus::Error
        }
    }
}

fn run_inspect(args: &InspectArgs, env: &Environment, term: &Terminal) -> Result<ExitStatus> {
    let out = Output::resolve(&args.output, term);
    let (spec, mut session) = open_target(&args.connect, env, term, &out)?;
    let target = inspect::TargetInfo {
        tls: session.tls,
        connect_ms: (session.connect_time.as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
        ..target_info(&spec)
    };
    let report = inspect::inspect(&mut session, target)?;
    report::emit(&report, &out.render)?;
    Ok(finding::status_for(&report.findings, out.fail_on))
}

/// Resolves the target (printing its notes) and opens one connection for queries.
fn open_target(
    connect: &cli::ConnectArgs,
    env: &Environment,
    term: &Terminal,
    out: &Output,
) -> Result<(target::ConnectSpec, db::Session)> {
    let (spec, notes) = config::resolve_target(connect, env, term)?;
    for n in &notes {
        report::note(out.quiet, out.stderr_color, n);
    }
    // Queries get at least 10 s even with a short connect timeout.
    let io_timeout = spec.connect_timeout.max(std::time::Duration::from_secs(10));
    let session = db::connect(&spec, io_timeout)?;
    Ok((spec, session))
}

/// The target as reports show it (TLS and timing filled in once connected).
fn target_info(spec: &target::ConnectSpec) -> inspect::TargetInfo {
    inspect::TargetInfo {
        url: spec.display_url(),
        transport: match spec.endpoint {
            Endpoint::Tcp { .. } => "tcp",
            Endpoint::Socket(_) => "socket",
        }
        .into(),
        address: spec.address(),
        tls: false,
        connect_ms: 0.0,
    }
}

fn run_probe(args: &ProbeArgs, env: &Environment, term: &Terminal) -> Result<ExitStatus> {
    let out = Output::resolve(&args.output, term);
    let cfg = config::resolve_probe(args)?;
    let (spec, notes) = config::resolve_target(&args.connect, env, term)?;
    for n in &notes {
        report::note(out.quiet, out.stderr_color, n);
    }
    let stop = signal::interrupt_flag()?;
    let longest = match &cfg.mode {
        probe::ProbeMode::Rungs(idles) => idles.iter().max().copied().unwrap_or_default(),
        probe::ProbeMode::Find { max, .. } => *max,
    };
    let bar = report::IdleProgress::new(out.progress, longest);
    let report = probe::probe(&spec, target_info(&spec), &cfg, stop, &|elapsed, msg| {
        bar.update(elapsed, msg)
    })?;
    bar.finish();
    report::emit(&report, &out.render)?;
    if report.interrupted {
        return Ok(ExitStatus::Interrupted);
    }
    Ok(finding::status_for(&report.findings, out.fail_on))
}

fn run_recommend(args: &RecommendArgs, env: &Environment, term: &Terminal) -> Result<ExitStatus> {
    let out = Output::resolve(&args.output, term);
    if args.list_hosting {
        report::emit(&report::HostingList::all(), &out.render)?;
        return Ok(ExitStatus::Clean);
    }
    let mut inputs = config::resolve_recommend(args)?;
    let mut gathered = recommend::input::Gathered::default();
    for path in &args.from {
        recommend::input::read_report(path, &mut gathered)?;
    }
    if config::recommend_wants_live(args, env) {
        let (spec, mut session) = open_target(&args.connect, env, term, &out)?;
        let facts = inspect::collect_facts(&mut session)?;
        let live = recommend::input::server_side(&facts);
        // Live facts are the freshest; a saved probe's measurement stays.
        gathered.server = live;
        gathered
            .sources
            .insert(0, format!("live server {}", spec.display_url()));
    }
    if let Some(d) = inputs.declared_limit_s {
        gathered.sources.push(format!("--idle-limit {d:.0}s"));
    }
    if let Some(p) = inputs.hosting {
        gathered.sources.push(format!("--hosting {}", p.name));
    }
    inputs.server = gathered.server;
    inputs.measured = gathered.measured;
    let check = match &args.check {
        Some(text) => Some(recommend::parse_check(text).map_err(|e| {
            error::hinted(
                format!("bad --check: {e}"),
                format!(
                    "write KEY=VALUE,... in {}'s own names: {}",
                    inputs.framework.name(),
                    recommend::frameworks::check_keys(inputs.framework).join(", ")
                ),
            )
        })?),
        None => None,
    };
    let report = recommend::build_report(&inputs, gathered.sources, check).map_err(|e| {
        error::hinted(
            format!("bad --check: {e}"),
            format!(
                "{} takes: {}",
                inputs.framework.name(),
                recommend::frameworks::check_keys(inputs.framework).join(", ")
            ),
        )
    })?;
    report::emit(&report, &out.render)?;
    Ok(finding::status_for(&report.findings, out.fail_on))
}

/// Longest input `explain` reads (a bigger log is cut, with a note).
const EXPLAIN_MAX_BYTES: u64 = 256 << 20;

fn run_explain(args: &ExplainArgs, env: &Environment, term: &Terminal) -> Result<ExitStatus> {
    use std::io::Read;
    let out = Output::resolve(&args.output, term);
    let mut text = String::new();
    let from_stdin = match &args.file {
        Some(p) if p.as_os_str() == "-" => true,
        Some(p) => {
            let file = std::fs::File::open(p).map_err(|e| {
                anyhow::Error::new(e).context(error::Hinted::new(
                    format!("could not read the log file {}", p.display()),
                    "check the path given to --file (or pipe the log into poolcheck explain)",
                ))
            })?;
            let mut bytes = Vec::new();
            file.take(EXPLAIN_MAX_BYTES).read_to_end(&mut bytes)?;
            text = String::from_utf8_lossy(&bytes).into_owned();
            false
        }
        None if !args.text.is_empty() => {
            text = args.text.join("\n");
            false
        }
        None if term.stdin_tty => {
            return Err(error::hinted(
                "nothing to explain",
                "give the error text as an argument, --file app.log, or pipe a log in",
            ));
        }
        None => true,
    };
    if from_stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(EXPLAIN_MAX_BYTES)
            .read_to_end(&mut bytes)?;
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    let mut report = explain::explain(&text);
    if let Some(url) = &args.target {
        let connect = cli::ConnectArgs {
            target: Some(url.clone()),
            connect_timeout: args.connect_timeout.clone(),
            ..cli::ConnectArgs::default()
        };
        let (_, mut session) = open_target(&connect, env, term, &out)?;
        let facts = inspect::collect_facts(&mut session)?;
        explain::confirm(&mut report, &facts);
    }
    report::emit(&report, &out.render)?;
    Ok(finding::status_for(&report.findings, out.fail_on))
}

fn run_proxy(args: &ProxyArgs, term: &Terminal) -> Result<ExitStatus> {
    let out = Output::resolve(&args.output, term);
    let listen: std::net::SocketAddr = args.listen.parse().map_err(|_| {
        error::hinted(
            format!(
                "--listen '{}' is not an IP:PORT address",
                db::sanitize(&args.listen)
            ),
            "e.g. --listen 127.0.0.1:3307 (port 0 picks a free port)",
        )
    })?;
    if !args.upstream.contains(':') {
        return Err(error::hinted(
            "--upstream needs a port",
            "write it as HOST:PORT, e.g. --upstream 127.0.0.1:3306",
        ));
    }
    if args.max_flows == 0 {
        return Err(error::hinted(
            "--max-flows must be at least 1",
            "e.g. --max-flows 1000",
        ));
    }
    // Two sockets per flow: raise the open-files limit to fit --max-flows,
    // or serve fewer flows than asked and say so (below).
    let open_files = proxy::fit_open_files(args.max_flows);
    if open_files.flows == 0 {
        return Err(error::hinted(
            format!(
                "the open-files limit ({}) leaves no room for a single flow",
                open_files.soft
            ),
            "raise it (ulimit -n 4096) and start the proxy again",
        ));
    }
    let config = proxy::ProxyConfig {
        listen,
        upstream: args.upstream.clone(),
        idle_cutoff: config::parse_duration(&args.idle_cutoff, "--idle-cutoff")?,
        on_idle: match args.on_idle {
            OnIdleArg::Fin => proxy::OnIdle::Fin,
            OnIdleArg::Rst => proxy::OnIdle::Rst,
            OnIdleArg::Blackhole => proxy::OnIdle::Blackhole,
        },
        inject_error: args.inject_error,
        max_flows: open_files.flows,
        connect_timeout: config::parse_duration(&args.connect_timeout, "--connect-timeout")?,
    };
    let stop = signal::interrupt_flag()?;
    let server = proxy::Proxy::bind(config.clone()).map_err(|e| {
        anyhow::Error::new(e).context(error::Hinted::new(
            format!(
                "could not start the proxy on {listen} for upstream {}",
                db::sanitize(&config.upstream)
            ),
            "pick a free --listen port and a resolvable --upstream HOST:PORT",
        ))
    })?;
    let how = match config.inject_error {
        Some(code) => format!("error {code}, then close"),
        None => config.on_idle.to_string(),
    };
    report::note(
        out.quiet,
        out.stderr_color,
        &format!(
            "proxy listening on {} -> {}; flows idle for {} end with {how}",
            server.local_addr(),
            config.upstream,
            humantime::format_duration(config.idle_cutoff)
        ),
    );
    if open_files.flows < args.max_flows {
        report::note(
            out.quiet,
            out.stderr_color,
            &format!(
                "the open-files limit ({}, at most {}) fits {} flows of two sockets each, \
                 not --max-flows {}: further clients are refused; raise the hard limit \
                 (ulimit -Hn, LimitNOFILE=) for more",
                open_files.soft,
                open_files
                    .hard
                    .map_or_else(|| "unlimited".to_string(), |h| h.to_string()),
                open_files.flows,
                args.max_flows
            ),
        );
    }
    let quiet = out.quiet;
    let log = move |event: proxy::ProxyEvent| {
        // Kills and failures always matter; accepts and closes only when not quiet.
        let important = matches!(
            event,
            proxy::ProxyEvent::Killed { .. }
                | proxy::ProxyEvent::UpstreamFailed { .. }
                | proxy::ProxyEvent::Refused { .. }
        );
        if important || !quiet {
            eprintln!("proxy: {}", db::sanitize(&event.to_string()));
        }
    };
    let stats = server
        .run(stop, &log)
        .map_err(|e| anyhow::Error::new(e).context("the proxy stopped on an I/O error"))?;
    report::emit(&report::ProxySummary::new(stats), &out.render)?;
    Ok(ExitStatus::Interrupted)
}
