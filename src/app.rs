//! What each subcommand does with its resolved [`Config`]: open what it needs,
//! run the subcommand (which returns data), and hand the result to `report/`.

use crate::config::{
    Command, Config, ExplainConfig, ExplainInput, Output, ProxyConfig, RecommendConfig, Target,
};
use crate::error::hinted;
use crate::exit::ExitStatus;
use crate::target::Endpoint;
use crate::{db, explain, finding, inspect, probe, proxy, recommend, report, signal};
use anyhow::Result;

/// Runs the resolved command to completion.
pub fn dispatch(config: Config) -> Result<ExitStatus> {
    let out = &config.output;
    match config.command {
        Command::Inspect(target) => run_inspect(target, out),
        Command::Probe { target, probe } => run_probe(target, &probe, out),
        Command::Recommend(rc) => run_recommend(*rc, out),
        Command::ListHosting => {
            report::emit(&report::HostingList::all(), &out.render)?;
            Ok(ExitStatus::Clean)
        }
        Command::Explain(ec) => run_explain(ec, out),
        Command::Proxy(pc) => run_proxy(pc, out),
        Command::Completions(shell) => {
            report::emit_stdout(&crate::shell::completion_script(shell))?;
            Ok(ExitStatus::Clean)
        }
        Command::Man(command) => {
            let page = crate::shell::man_page(command.as_deref())
                .ok_or_else(|| anyhow::anyhow!("no manual page for {command:?}"))?;
            report::emit_stdout(&page)?;
            Ok(ExitStatus::Clean)
        }
    }
}

fn run_inspect(target: Target, out: &Output) -> Result<ExitStatus> {
    let mut session = open_target(&target, out)?;
    let info = inspect::TargetInfo {
        tls: session.tls,
        connect_ms: (session.connect_time.as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
        ..target_info(&target.spec)
    };
    let report = inspect::inspect(&mut session, info)?;
    publish(&report, out)?;
    Ok(finding::status_for(&report.findings, out.fail_on))
}

/// Writes a subcommand's result to stdout; with `--format github`, also
/// appends the job summary to `$GITHUB_STEP_SUMMARY`. A summary that cannot
/// be written is a note on stderr: the result and the exit code stand.
fn publish(result: &impl report::Report, out: &Output) -> Result<()> {
    report::emit(result, &out.render)?;
    if let Some(path) = &out.step_summary {
        let summary = report::step_summary(result, &out.render);
        if let Err(e) = report::append_step_summary(path, &summary) {
            report::note(
                out.quiet,
                out.stderr_color,
                &format!(
                    "the job summary was not written to $GITHUB_STEP_SUMMARY ({}): {e:#}",
                    path.display()
                ),
            );
        }
    }
    Ok(())
}

/// Prints the target's notes and opens one connection for queries.
fn open_target(target: &Target, out: &Output) -> Result<db::Session> {
    print_notes(target, out);
    // Queries get at least 10 s even with a short connect timeout.
    let io_timeout = target
        .spec
        .connect_timeout
        .max(std::time::Duration::from_secs(10));
    db::connect(&target.spec, io_timeout)
}

fn print_notes(target: &Target, out: &Output) {
    for n in &target.notes {
        report::note(out.quiet, out.stderr_color, n);
    }
}

/// The target as reports show it (TLS and timing filled in once connected).
fn target_info(spec: &crate::target::ConnectSpec) -> inspect::TargetInfo {
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

fn run_probe(target: Target, cfg: &probe::ProbeConfig, out: &Output) -> Result<ExitStatus> {
    print_notes(&target, out);
    let stop = signal::interrupt_flag()?;
    let longest = match &cfg.mode {
        probe::ProbeMode::Rungs(idles) => idles.iter().max().copied().unwrap_or_default(),
        probe::ProbeMode::Find { max, .. } => *max,
    };
    let bar = report::IdleProgress::new(out.progress, longest);
    let report = probe::probe(
        &target.spec,
        target_info(&target.spec),
        cfg,
        stop,
        &|elapsed, msg| bar.update(elapsed, msg),
    )?;
    bar.finish();
    if let Some(why) = report.keepalive_control.and_then(|k| k.missed()) {
        report::note(
            out.quiet,
            out.stderr_color,
            &format!("no keepalive control group, so keepalive_rescues stays null: {why}"),
        );
    }
    publish(&report, out)?;
    if report.interrupted {
        return Ok(ExitStatus::Interrupted);
    }
    Ok(finding::status_for(&report.findings, out.fail_on))
}

fn run_recommend(rc: RecommendConfig, out: &Output) -> Result<ExitStatus> {
    let RecommendConfig {
        mut inputs,
        mut gathered,
        live,
        check,
    } = rc;
    if let Some(target) = &live {
        let mut session = open_target(target, out)?;
        let facts = inspect::collect_facts(&mut session)?;
        // Live facts are the freshest; a saved probe's measurement stays.
        gathered.server = recommend::input::server_side(&facts);
        gathered
            .sources
            .insert(0, format!("live server {}", target.spec.display_url()));
    }
    if let Some(d) = inputs.declared_limit_s {
        gathered.sources.push(format!("--idle-limit {d:.0}s"));
    }
    if let Some(p) = inputs.hosting {
        gathered.sources.push(format!("--hosting {}", p.name));
    }
    inputs.server = gathered.server;
    inputs.measured = gathered.measured;
    let report = recommend::build_report(&inputs, gathered.sources, check).map_err(|e| {
        recommend::bad_check(inputs.framework, recommend::CheckProblem::Setting, &e)
    })?;
    publish(&report, out)?;
    Ok(finding::status_for(&report.findings, out.fail_on))
}

fn run_explain(ec: ExplainConfig, out: &Output) -> Result<ExitStatus> {
    use crate::input::{InputError, Kind, Stream};
    use std::io::{BufReader, Read};
    // Streamed line by line: memory does not grow with the log's size.
    fn stream<R: Read>(mut s: Stream<R>) -> Result<(explain::ExplainReport, bool)> {
        let report = explain::explain_reader(BufReader::with_capacity(1 << 16, &mut s))
            .map_err(|e| InputError::into_anyhow(s.error(e)))?;
        Ok((report, s.cut()))
    }
    let (mut report, cut) = match ec.input {
        ExplainInput::Text(text) => (explain::explain(&text), false),
        ExplainInput::File(opened) => stream(opened.stream())?,
        ExplainInput::Stdin => stream(crate::input::stdin_stream(Kind::Log))?,
    };
    if cut {
        let limit = crate::input::show_size(Kind::Log.limit());
        report::note(
            out.quiet,
            out.stderr_color,
            &format!("the log is longer than {limit}; only its first {limit} were read"),
        );
    }
    if let Some(target) = &ec.target {
        let mut session = open_target(target, out)?;
        let facts = inspect::collect_facts(&mut session)?;
        explain::confirm(&mut report, &facts);
    }
    publish(&report, out)?;
    Ok(finding::status_for(&report.findings, out.fail_on))
}

fn run_proxy(pc: ProxyConfig, out: &Output) -> Result<ExitStatus> {
    let ProxyConfig {
        proxy: mut config,
        max_flows_asked,
    } = pc;
    // Two sockets per flow: raise the open-files limit to fit --max-flows,
    // or serve fewer flows than asked and say so (below).
    let open_files = proxy::fit_open_files(max_flows_asked);
    if open_files.flows == 0 {
        return Err(hinted(
            format!(
                "the open-files limit ({}) leaves no room for a single flow",
                open_files.soft
            ),
            "raise it (ulimit -n 4096) and start the proxy again",
        ));
    }
    config.max_flows = open_files.flows;
    let stop = signal::interrupt_flag()?;
    let listen = config.listen;
    let server = proxy::Proxy::bind(config.clone()).map_err(|e| {
        anyhow::Error::new(e).context(crate::error::Hinted::new(
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
    // Notes and events are queued, never waited for: a stderr nobody reads
    // must not stall the proxy (report::log_stderr).
    report::log_note(
        out.quiet,
        out.stderr_color,
        &format!(
            "proxy listening on {} -> {}; flows idle for {} ({}) end with {how}",
            server.local_addr(),
            config.upstream,
            humantime::format_duration(config.idle_cutoff),
            match config.layer {
                proxy::Layer::L4 => "layer 4: no segment either way",
                proxy::Layer::L7 => "layer 7: no payload byte either way",
            }
        ),
    );
    if open_files.flows < max_flows_asked {
        report::log_note(
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
                max_flows_asked
            ),
        );
    }
    let quiet = out.quiet;
    let stats = server
        .run(stop, &|event| report::log_proxy_event(quiet, &event))
        .map_err(|e| anyhow::Error::new(e).context("the proxy stopped on an I/O error"))?;
    // What is still queued gets a moment to reach stderr before the summary.
    report::drain_stderr(std::time::Duration::from_secs(1));
    let dropped = report::dropped_log_lines();
    report::emit(&report::ProxySummary::new(stats, dropped), &out.render)?;
    Ok(ExitStatus::Interrupted)
}
