//! Human-readable tables (comfy-table). Durations and sizes are humanized here
//! and only here; JSON keeps plain numbers with units in the key names.

use super::RenderOpts;
use crate::db::sanitize;
use crate::finding::{Finding, Severity, Skipped};
use crate::inspect::InspectReport;
use anyhow::Result;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};
use std::io::Write;

pub(super) fn new_table(opts: &RenderOpts) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_BORDERS_ONLY);
    if opts.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    if opts.wrap {
        // comfy-table measures the terminal itself.
        t.set_content_arrangement(ContentArrangement::Dynamic);
    }
    t
}

use crate::units::seconds;

fn severity_cell(s: Severity, color: bool) -> Cell {
    let cell = Cell::new(s.as_str());
    if !color {
        return cell;
    }
    match s {
        Severity::Crit => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Severity::Warn => cell.fg(Color::Yellow),
        Severity::Info => cell.fg(Color::Cyan),
    }
}

pub fn render_inspect_table(
    r: &InspectReport,
    opts: &RenderOpts,
    out: &mut dyn Write,
) -> Result<()> {
    let f = &r.facts;
    writeln!(
        out,
        "{} {} ({}, up {}) via {}{}, as {}",
        sanitize(&f.server.flavor),
        sanitize(&f.server.version),
        sanitize(&f.server.version_comment),
        seconds(f.server.uptime_s),
        r.target.url,
        if r.target.tls { " (TLS)" } else { "" },
        sanitize(&f.account.current_user),
    )?;

    let t = &f.timeouts;
    let c = &f.capacity;
    let mut vars = new_table(opts);
    vars.set_header(["setting", "value", "why it matters"]);
    let rows: Vec<[String; 3]> = vec![
        [
            "wait_timeout (session)".into(),
            seconds(t.wait_timeout_session_s),
            "what a pooled connection of this account gets".into(),
        ],
        [
            "wait_timeout (global)".into(),
            seconds(t.wait_timeout_global_s),
            "default for new non-interactive sessions".into(),
        ],
        [
            "interactive_timeout".into(),
            seconds(t.interactive_timeout_s),
            "what the mysql shell gets instead".into(),
        ],
        [
            "connect_timeout".into(),
            seconds(t.connect_timeout_s),
            "server-side handshake limit".into(),
        ],
        [
            "net_read_timeout".into(),
            seconds(t.net_read_timeout_s),
            String::new(),
        ],
        [
            "net_write_timeout".into(),
            seconds(t.net_write_timeout_s),
            String::new(),
        ],
        [
            "max_connections".into(),
            c.max_connections.to_string(),
            "server-wide connection budget".into(),
        ],
        [
            "max_user_connections".into(),
            limit_text(
                c.max_user_connections_global,
                c.max_user_connections_account,
            ),
            "per-account limit (global / this account)".into(),
        ],
        [
            "Threads_connected".into(),
            c.threads_connected.to_string(),
            "open connections now".into(),
        ],
        [
            "Max_used_connections".into(),
            c.max_used_connections.to_string(),
            "peak since start".into(),
        ],
        [
            "thread_cache_size".into(),
            c.thread_cache_size.to_string(),
            String::new(),
        ],
        [
            "max_allowed_packet".into(),
            crate::inspect::human_bytes(f.packets.max_allowed_packet_bytes),
            "largest statement or row".into(),
        ],
        [
            "Aborted_clients".into(),
            format!(
                "{} ({:.1}/h)",
                f.counters.aborted_clients, f.counters.aborted_clients_per_hour
            ),
            "idle kills and clients that vanished".into(),
        ],
        [
            "Aborted_connects".into(),
            f.counters.aborted_connects.to_string(),
            "failed logins and handshakes".into(),
        ],
        [
            "Connection_errors_max_connections".into(),
            f.counters.connection_errors_max_connections.to_string(),
            "refused with 'Too many connections'".into(),
        ],
    ];
    for row in rows {
        vars.add_row(row);
    }
    writeln!(out, "{vars}")?;

    writeln!(
        out,
        "\nIdle connections{}",
        if f.idle.scope == "all" {
            ""
        } else {
            " (this account only: needs PROCESS to see others)"
        }
    )?;
    if f.idle.groups.is_empty() {
        writeln!(out, "  none sleeping")?;
    } else {
        let mut idle = new_table(opts);
        idle.set_header(["account", "client host", "sleeping", "longest idle"]);
        for g in &f.idle.groups {
            idle.add_row([
                sanitize(&g.user),
                sanitize(&g.host),
                g.count.to_string(),
                seconds(g.max_idle_s),
            ]);
        }
        writeln!(out, "{idle}")?;
    }
    render_findings(&r.findings, &r.skipped, opts, out)
}

fn limit_text(global: u64, account: u64) -> String {
    let show = |n: u64| {
        if n == 0 {
            "none".to_string()
        } else {
            n.to_string()
        }
    };
    format!("{} / {}", show(global), show(account))
}

/// The findings and skipped checks, shared by every subcommand's table.
pub fn render_findings(
    findings: &[Finding],
    skipped: &[Skipped],
    opts: &RenderOpts,
    out: &mut dyn Write,
) -> Result<()> {
    writeln!(out, "\nFindings")?;
    if findings.is_empty() {
        writeln!(out, "  none")?;
    } else {
        let mut t = new_table(opts);
        t.set_header(["severity", "id", "finding"]);
        for f in findings {
            t.add_row(vec![
                severity_cell(f.severity, opts.color),
                Cell::new(&f.id),
                Cell::new(sanitize(&f.message)),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    for s in skipped {
        writeln!(out, "skipped: {} ({})", s.check, s.reason)?;
    }
    Ok(())
}
