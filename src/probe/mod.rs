//! `poolcheck probe`: hold real connections idle, test how they died, find
//! the effective idle cutoff of the whole path, say who cut it, and time
//! reconnects. Returns data; `report/` renders it.

mod classify;
mod conn;
mod control;
mod find;
mod model;
mod observation;
mod observe;
pub mod planner;
mod reconnect;
mod rungs;
mod stats;
mod verdict;
mod watch;

pub use conn::{Keepalive, ProbeConnOptions, probe_budget};
pub use model::*;
pub use verdict::checks_evaluated;

use crate::finding::Summary;
use crate::inspect::TargetInfo;
use crate::target::ConnectSpec;
use anyhow::Result;
use std::sync::atomic::AtomicBool;
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
    /// Hold the keepalive control group (unless `--no-keepalive-control`).
    pub keepalive_control: bool,
}

/// Runs the probe: observe, then judge what was observed.
pub fn probe(
    spec: &ConnectSpec,
    target: TargetInfo,
    cfg: &ProbeConfig,
    stop: &AtomicBool,
    progress: &Progress<'_>,
) -> Result<ProbeReport> {
    let (room, obs) = observe::observe(spec, cfg, stop, progress)?;
    let mut judged = verdict::judge(&obs, room.wait_timeout_global_s);
    let keepalive_rescues = control::rescues(obs.control.as_ref(), judged.cutoff.hi_s);
    if let Some(rescued) = keepalive_rescues {
        judged
            .verdict_reason
            .push_str(&limit_kind(judged.verdict, rescued));
    }
    let findings = verdict::findings(&obs, &judged);
    Ok(ProbeReport {
        header: crate::schema::Header::new("probe"),
        target: TargetInfo {
            tls: room.tls,
            connect_ms: room.connect_ms,
            ..target
        },
        server_version: room.version,
        server_flavor: room.flavor,
        wait_timeout_global_s: room.wait_timeout_global_s,
        wait_timeout_session_s: judged.session_wait_timeout_s,
        keepalive: cfg.conn.keepalive.is_some(),
        keepalive_rescues,
        keepalive_control: Some(obs.keepalive_control),
        keepalive_idle_s: cfg.conn.keepalive.map(|k| k.idle.as_secs()),
        keepalive_interval_s: cfg
            .conn
            .keepalive
            .and_then(|k| k.interval)
            .map(|d| d.as_secs()),
        io_timeout_s: cfg.conn.io_timeout.as_secs_f64(),
        mode: match cfg.mode {
            ProbeMode::Rungs(_) => "rungs",
            ProbeMode::Find { .. } => "find",
        }
        .into(),
        rungs: obs.rungs,
        search: obs.search,
        tests: obs.tests,
        cutoff: judged.cutoff,
        verdict: judged.verdict,
        verdict_reason: judged.verdict_reason,
        zombies: obs.zombies,
        reconnects: obs.reconnects,
        restart: obs.restart,
        stalls: obs.stalls,
        interrupted: obs.interrupted,
        summary: Summary::of(&findings),
        findings,
    })
}

/// What the keepalive control group adds to the verdict's reason: the kind
/// of limit.
fn limit_kind(verdict: Verdict, rescued: bool) -> String {
    match (verdict, rescued) {
        (_, true) => {
            "; connections with TCP keepalive every second outlived it: a flow-level limit \
             (NAT gateway, conntrack firewall, network load balancer), which keepalive probes reset"
                .into()
        }
        (Verdict::Server, false) => "; connections with TCP keepalive every second died too: \
             keepalive does not reset the server's wait_timeout"
            .into(),
        (_, false) => "; connections with TCP keepalive every second died too: a protocol-level \
             limit (a proxy that terminates TCP and counts MySQL bytes, e.g. ProxySQL, HAProxy, \
             MaxScale), whose timer keepalive probes never reach"
            .into(),
    }
}
