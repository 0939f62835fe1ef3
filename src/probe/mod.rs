//! `poolcheck probe`: hold real connections idle, test how they died, find
//! the effective idle cutoff of the whole path, say who cut it, and time
//! reconnects. Returns data; `report/` renders it.

mod classify;
mod conn;
mod find;
mod model;
pub mod planner;
mod reconnect;
mod rungs;
mod stats;
mod verdict;
mod watch;

pub use conn::{ProbeConnOptions, ServerRoom, probe_budget};
pub use model::*;

use crate::error::hinted;
use crate::finding::Summary;
use crate::inspect::TargetInfo;
use crate::target::ConnectSpec;
use anyhow::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Progress callback: time since start, and what is going on.
pub type Progress<'a> = dyn Fn(Duration, &str) + Sync + 'a;

/// Fixed idle durations, or a search for the cutoff.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeMode {
    /// `--idle`: each duration is a rung of `connections` connections.
    Rungs(Vec<Duration>),
    /// `--find`.
    Find {
        max: Duration,
        resolution: Duration,
        max_connections: usize,
    },
}

/// What to run, resolved from the command line.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    pub mode: ProbeMode,
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
    let needed = match &cfg.mode {
        ProbeMode::Rungs(idles) => idles.len() * cfg.connections + 1,
        ProbeMode::Find {
            max_connections, ..
        } => max_connections + 1,
    };
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
            "use fewer --connections or --idle rungs, or a lower --max-connections with --find \
             (poolcheck takes at most half of the free connections)",
        ));
    }
    let target = TargetInfo {
        tls: room.tls,
        connect_ms: room.connect_ms,
        ..target
    };
    let mut watch = watch::ServerWatch::new(spec, io, &room);

    let run = match &cfg.mode {
        ProbeMode::Rungs(idles) => {
            let r = rungs::run_rungs(
                spec,
                &cfg.conn,
                &mut watch,
                idles,
                cfg.connections,
                stop,
                progress,
            )?;
            Observed {
                estimate: None,
                rungs: r.rungs,
                tests: Vec::new(),
                search: None,
                deaths: r.deaths,
                zombies: r.zombies,
                session_wait_timeout_s: r.session_wait_timeout_s,
                backed_off: None,
                interrupted: r.interrupted,
            }
        }
        ProbeMode::Find {
            max,
            resolution,
            max_connections,
        } => {
            let planner = planner::PlannerConfig {
                max: *max,
                resolution: *resolution,
                max_connections: *max_connections,
            };
            let r = find::run_find(spec, &cfg.conn, &mut watch, planner, stop, progress)?;
            Observed {
                estimate: Some(r.estimate),
                rungs: Vec::new(),
                tests: r.tests,
                search: Some(r.search),
                deaths: r.deaths,
                zombies: r.zombies,
                session_wait_timeout_s: r.session_wait_timeout_s,
                backed_off: r.backed_off,
                interrupted: r.interrupted,
            }
        }
    };
    let mut interrupted = run.interrupted;
    let mut backed_off = run.backed_off;
    let mut reconnects = None;
    if !interrupted && backed_off.is_none() && cfg.reconnects > 0 {
        // Reconnects take a connection each: only while the server has room.
        match watch.may_open(0, 1, stop) {
            Ok(Ok(())) => {
                progress(Duration::ZERO, "timing reconnects");
                reconnects = Some(reconnect::time_reconnects(spec, io, cfg.reconnects, stop));
            }
            Ok(Err(crowding)) => backed_off = Some(crowding),
            Err(e) if crate::signal::is_interrupted(&e) || stop.load(Ordering::SeqCst) => {}
            Err(e) => return Err(e),
        }
        interrupted = stop.load(Ordering::SeqCst);
    }
    let restart = watch.restart.clone();
    let all: Vec<&ConnResult> = run
        .rungs
        .iter()
        .flat_map(|r| r.connections.iter())
        .chain(run.tests.iter())
        .collect();
    let mut killed = verdict::killed(&all, &run.rungs);
    // The restart's casualties are left out of the cutoff like a KILL's.
    let restart_ids: &[u32] = restart.as_ref().map_or(&[], |r| &r.connection_ids);
    killed.retain(|id| !restart_ids.contains(id));
    let kills = killed.len();
    killed.extend_from_slice(restart_ids);
    let mut cutoff = verdict::cutoff_from(&all, &killed);
    if let Some(e) = run.estimate {
        // The planner may know a tighter lower bound (a quiet peek just before
        // an announced death); keep it only where it agrees with the results.
        let lo = e.lo.as_secs_f64();
        if cutoff.hi_s.is_none_or(|hi| lo < hi) && lo > cutoff.lo_s {
            cutoff.lo_s = conn::round3(lo);
        }
    }
    let session_wait = run
        .session_wait_timeout_s
        .unwrap_or(room.wait_timeout_global_s);
    let (verdict, mut verdict_reason) =
        verdict::decide(&run.deaths, &killed, &cutoff, session_wait);
    if let Some(r) = &restart
        && run.deaths.is_empty()
    {
        verdict_reason = format!(
            "the server restarted during the probe (Uptime {} s when noticed): its {} connection(s) \
             died with it, which says nothing about an idle limit",
            r.uptime_after_s,
            r.connection_ids.len()
        );
    }
    let classes: Vec<Outcome> = all.iter().map(|r| r.outcome.clone()).collect();
    let mut findings = verdict::findings(
        &cutoff,
        verdict,
        &classes,
        &run.zombies,
        session_wait,
        reconnects.as_ref(),
    );
    if let Some(r) = &restart {
        findings.push(
            crate::finding::Finding::new(
                "server-restarted",
                crate::finding::Severity::Warn,
                format!(
                    "the server restarted while the probe ran (noticed {:.0} s in; Uptime was {} s, then {} s): \
                     the {} probe connection(s) that died with it are left out of the cutoff; run the probe again \
                     for a full measurement",
                    r.noticed_after_s,
                    r.uptime_before_s,
                    r.uptime_after_s,
                    r.connection_ids.len()
                ),
            )
            .with("uptime_after_s", r.uptime_after_s)
            .with("connection_ids", r.connection_ids.clone()),
        );
    }
    if let Some(c) = backed_off {
        findings.push(
            crate::finding::Finding::new(
                "probe-backed-off",
                crate::finding::Severity::Warn,
                format!(
                    "other clients brought the server to {} of {} connections during the probe: poolcheck \
                     stopped opening connections so as not to take the last free ones{}; the results are partial",
                    c.threads_connected,
                    c.max_connections,
                    if matches!(cfg.mode, ProbeMode::Find { .. }) {
                        " and ended the search early"
                    } else {
                        " and skipped the reconnect timing"
                    }
                ),
            )
            .with("threads_connected", c.threads_connected)
            .with("max_connections", c.max_connections),
        );
    }
    if kills > 0 {
        findings.push(
            crate::finding::Finding::new(
                "connection-killed",
                crate::finding::Severity::Warn,
                format!(
                    "{} probe connection(s) died at an idle age that others survived: something closed \
                     them that is no idle limit (a KILL, an idle-connection killer such as pt-kill, a \
                     restart); pools see the same as a sudden 2006/2013",
                    kills
                ),
            )
            .with("connection_ids", killed[..kills].to_vec()),
        );
    }
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
        mode: match cfg.mode {
            ProbeMode::Rungs(_) => "rungs",
            ProbeMode::Find { .. } => "find",
        }
        .into(),
        rungs: run.rungs,
        search: run.search,
        tests: run.tests,
        cutoff,
        verdict,
        verdict_reason,
        zombies: run.zombies,
        reconnects,
        restart,
        interrupted,
        summary: Summary::of(&findings),
        findings,
    })
}

/// What either mode observed.
struct Observed {
    estimate: Option<planner::Estimate>,
    rungs: Vec<Rung>,
    tests: Vec<ConnResult>,
    search: Option<Search>,
    deaths: Vec<verdict::DeathCheck>,
    zombies: Vec<u32>,
    session_wait_timeout_s: Option<u64>,
    backed_off: Option<watch::Crowding>,
    interrupted: bool,
}
