//! `poolcheck probe`: hold real connections idle, test how they died, find
//! the effective idle cutoff of the whole path, say who cut it, and time
//! reconnects. Returns data; `report/` renders it.

mod classify;
mod conn;
mod model;
mod reconnect;
mod rungs;
mod stats;
mod verdict;

pub use conn::{ProbeConnOptions, ServerRoom, probe_budget};
pub use model::*;

use crate::error::hinted;
use crate::finding::Summary;
use crate::inspect::TargetInfo;
use crate::target::ConnectSpec;
use anyhow::Result;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Progress callback: time since start, and what is going on.
pub type Progress<'a> = dyn Fn(Duration, &str) + Sync + 'a;

/// What to run, resolved from the command line.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    pub idles: Vec<Duration>,
    pub connections: usize,
    pub conn: ProbeConnOptions,
    pub reconnects: usize,
}

pub fn probe(
    spec: &ConnectSpec,
    target: TargetInfo,
    cfg: &ProbeConfig,
    stop: &AtomicBool,
    progress: &Progress<'_>,
) -> Result<ProbeReport> {
    let io = cfg.conn.io_timeout;
    let room = conn::server_room(spec, io)?;
    let budget = probe_budget(&room);
    // One more for the control connection that checks dead probes' threads.
    let needed = cfg.idles.len() * cfg.connections + 1;
    if needed > budget {
        return Err(hinted(
            format!(
                "the probe needs {needed} connections but only {budget} may be used safely \
                 ({} of max_connections {} in use{})",
                room.threads_connected,
                room.max_connections,
                if room.account_limit > 0 {
                    format!(", account limit {}", room.account_limit)
                } else {
                    String::new()
                }
            ),
            "use fewer --connections or --idle rungs (poolcheck takes at most half of the free connections)",
        ));
    }
    let target = TargetInfo {
        tls: room.tls,
        connect_ms: room.connect_ms,
        ..target
    };

    let run = rungs::run_rungs(spec, &cfg.conn, &cfg.idles, cfg.connections, stop, progress)?;
    let reconnects = (!run.interrupted && cfg.reconnects > 0).then(|| {
        progress(Duration::ZERO, "timing reconnects");
        reconnect::time_reconnects(spec, io, cfg.reconnects)
    });
    let all: Vec<&ConnResult> = run
        .rungs
        .iter()
        .flat_map(|r| r.connections.iter())
        .collect();
    let cutoff = verdict::cutoff_from(&all);
    let session_wait = run
        .session_wait_timeout_s
        .unwrap_or(room.wait_timeout_global_s);
    let (verdict, verdict_reason) = verdict::decide(&run.deaths, &cutoff, session_wait);
    let classes: Vec<Outcome> = all.iter().map(|r| r.outcome.clone()).collect();
    let findings = verdict::findings(
        &cutoff,
        verdict,
        &classes,
        &run.zombies,
        session_wait,
        reconnects.as_ref(),
    );
    Ok(ProbeReport {
        schema_version: crate::report::SCHEMA_VERSION,
        tool: crate::report::Tool::current(),
        command: "probe".into(),
        target,
        server_version: room.version,
        server_flavor: room.flavor,
        wait_timeout_global_s: room.wait_timeout_global_s,
        wait_timeout_session_s: session_wait,
        keepalive: cfg.conn.keepalive,
        io_timeout_s: io.as_secs_f64(),
        mode: "rungs".into(),
        rungs: run.rungs,
        search: None,
        tests: Vec::new(),
        cutoff,
        verdict,
        verdict_reason,
        zombies: run.zombies,
        reconnects,
        interrupted: run.interrupted,
        summary: Summary::of(&findings),
        findings,
    })
}
