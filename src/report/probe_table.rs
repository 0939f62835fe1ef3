//! The probe report as tables.

use super::RenderOpts;
use super::table::{line_width, new_table, render_findings, write_prose, write_wrapped};
use crate::db::sanitize;
use crate::probe::{ProbeReport, Spread, Verdict};
use anyhow::Result;
use std::io::Write;

use crate::units::measured;

pub fn render_probe_table(r: &ProbeReport, opts: &RenderOpts, out: &mut dyn Write) -> Result<()> {
    write_prose(
        out,
        opts,
        &format!(
            "probe of {} ({} {}{}); probe sessions' wait_timeout {}s, keepalive {}{}",
            r.target.url,
            sanitize(&r.server_flavor),
            sanitize(&r.server_version),
            if r.target.tls { ", TLS" } else { "" },
            r.wait_timeout_session_s,
            if r.keepalive { "on" } else { "off" },
            if r.interrupted {
                " — INTERRUPTED, partial report"
            } else {
                ""
            },
        ),
    )?;
    let mut t = new_table(opts);
    t.set_header([
        "idle",
        "connection",
        "outcome",
        "detected in",
        "thread on server",
    ]);
    let results = r
        .rungs
        .iter()
        .flat_map(|g| g.connections.iter())
        .chain(r.tests.iter());
    {
        for c in results {
            t.add_row([
                measured(c.idle_s),
                c.connection_id.to_string(),
                c.outcome.label(),
                format!("{:.0} ms", c.detect_ms),
                match c.thread_on_server {
                    Some(true) => "yes (zombie)".into(),
                    Some(false) => "gone".into(),
                    None => String::new(),
                },
            ]);
        }
    }
    writeln!(out, "{t}")?;
    if let Some(s) = &r.search {
        write_prose(
            out,
            opts,
            &format!(
                "search: {} tests on {} connections (at most {} open at once) in {}; up to {}, resolution {}",
                s.test_count,
                s.connections_opened,
                s.most_open_at_once,
                measured(s.wall_s),
                measured(s.max_s),
                measured(s.resolution_s)
            ),
        )?;
    }
    match r.cutoff.hi_s {
        Some(hi) => write_prose(
            out,
            opts,
            &format!(
                "idle cutoff: more than {}, at most {}",
                measured(r.cutoff.lo_s),
                measured(hi)
            ),
        )?,
        None => write_prose(
            out,
            opts,
            &format!(
                "idle cutoff: none seen (connections survived {})",
                measured(r.cutoff.lo_s)
            ),
        )?,
    }
    let verdict = match r.verdict {
        Verdict::Server => "server",
        Verdict::Middlebox => "middlebox",
        Verdict::None => "none",
    };
    write_prose(
        out,
        opts,
        &format!("verdict: {verdict} ({})", sanitize(&r.verdict_reason)),
    )?;
    if let Some(rc) = &r.reconnects {
        writeln!(
            out,
            "\nreconnects: {} ({} failed)",
            rc.attempts, rc.failures
        )?;
        let mut t = new_table(opts);
        t.set_header(["phase", "min", "p50", "p95", "max"]);
        let row = |name: &str, s: &Option<Spread>| -> [String; 5] {
            match s {
                Some(s) => [
                    name.to_string(),
                    format!("{:.2} ms", s.min_ms),
                    format!("{:.2} ms", s.p50_ms),
                    format!("{:.2} ms", s.p95_ms),
                    format!("{:.2} ms", s.max_ms),
                ],
                None => [
                    name.to_string(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ],
            }
        };
        t.add_row(row("TCP connect", &rc.tcp_connect_ms));
        t.add_row(row("handshake + auth", &rc.handshake_auth_ms));
        t.add_row(row("first query", &rc.first_query_ms));
        writeln!(out, "{t}")?;
        for e in &rc.errors {
            write_wrapped(
                out,
                line_width(opts),
                "  reconnect error:",
                "    ",
                &sanitize(e),
            )?;
        }
    }
    render_findings(&r.findings, &[], opts, out)
}
