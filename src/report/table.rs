//! Human-readable tables (comfy-table). Durations and sizes are humanized here
//! and only here; JSON keeps plain numbers with units in the key names.

use super::{PLAIN_WIDTH, RenderOpts};
use crate::db::sanitize;
use crate::finding::{Finding, Severity, Skipped};
use crate::inspect::InspectReport;
use anyhow::Result;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};
use std::io::Write;

/// A table laid out at the width config.rs decided: the terminal's, or
/// [`PLAIN_WIDTH`] off a terminal. comfy-table detects nothing itself, so
/// colour (`--color`, NO_COLOR) and width stay separate decisions.
pub(super) fn new_table(opts: &RenderOpts) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_BORDERS_ONLY);
    t.force_no_tty();
    if opts.color {
        t.enforce_styling();
    }
    t.set_width(line_width(opts) as u16);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t
}

/// How wide a line may be.
pub(super) fn line_width(opts: &RenderOpts) -> usize {
    usize::from(opts.width.unwrap_or(PLAIN_WIDTH)).max(20)
}

/// Writes a line of prose wrapped at the output's width, continuation lines
/// indented by two spaces.
pub(super) fn write_prose(
    out: &mut dyn Write,
    opts: &RenderOpts,
    text: &str,
) -> std::io::Result<()> {
    write_wrapped(out, line_width(opts), "", "  ", text)
}

/// Writes `text` wrapped at `width` columns at spaces: the first line starts
/// with `first`, the others with `rest` (a hanging indent). A word longer
/// than a line is not broken; it gets a line of its own.
pub(super) fn write_wrapped(
    out: &mut dyn Write,
    width: usize,
    first: &str,
    rest: &str,
    text: &str,
) -> std::io::Result<()> {
    let mut line = first.to_string();
    let mut len = first.chars().count();
    let mut empty = true;
    for word in text.split_whitespace() {
        let n = word.chars().count();
        // Break before the word when it does not fit, unless the line holds
        // nothing yet but indentation (a word too long for any line).
        if len + 1 + n > width && !line.trim().is_empty() {
            writeln!(out, "{line}")?;
            line = rest.to_string();
            len = rest.chars().count();
            empty = true;
        }
        if !empty || !line.is_empty() && !line.ends_with(' ') {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += n;
        empty = false;
    }
    writeln!(out, "{}", line.trim_end())
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
    write_prose(
        out,
        opts,
        &format!(
            "{} {} ({}, up {}) via {}{}, as {}",
            sanitize(&f.server.flavor),
            sanitize(&f.server.version),
            sanitize(&f.server.version_comment),
            seconds(f.server.uptime_s),
            r.target.url,
            if r.target.tls { " (TLS)" } else { "" },
            sanitize(&f.account.current_user),
        ),
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
        {
            // The same count as the max-connections-refused finding: MariaDB
            // counts a refusal at login in Aborted_connects only.
            let refused = crate::inspect::refusals(f);
            [
                "refused (1040)".into(),
                refused.total().to_string(),
                format!(
                    "'Too many connections': {} on arrival (Connection_errors_max_connections), {} at login",
                    refused.at_accept, refused.at_login
                ),
            ]
        },
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

/// The findings and skipped checks, shared by every subcommand's table. On
/// a terminal, a table at its width; elsewhere (CI logs, files) one finding
/// per paragraph, `severity id: message` wrapped at [`PLAIN_WIDTH`], which
/// stays readable in a log viewer and greps by id.
pub fn render_findings(
    findings: &[Finding],
    skipped: &[Skipped],
    opts: &RenderOpts,
    out: &mut dyn Write,
) -> Result<()> {
    writeln!(out, "\nFindings")?;
    if findings.is_empty() {
        writeln!(out, "  none")?;
    } else if opts.width.is_none() {
        for f in findings {
            let first = format!("  {:<4} {}:", f.severity.as_str(), f.id);
            write_wrapped(
                out,
                line_width(opts),
                &first,
                "       ",
                &sanitize(&f.message),
            )?;
        }
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
        let first = format!("skipped: {}", s.check);
        write_wrapped(
            out,
            line_width(opts),
            &first,
            "  ",
            &format!("({})", s.reason),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(width: usize, first: &str, rest: &str, text: &str) -> String {
        let mut out = Vec::new();
        write_wrapped(&mut out, width, first, rest, text).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn wrapping_at_spaces_with_a_hanging_indent() {
        assert_eq!(
            wrapped(20, "  crit id:", "    ", "one two three four five six"),
            "  crit id: one two\n    three four five\n    six\n"
        );
        assert_eq!(wrapped(20, "a:", "  ", ""), "a:\n");
        // A word longer than the line is not broken.
        let long = "x".repeat(30);
        assert_eq!(
            wrapped(20, "a:", "  ", &format!("b {long} c")),
            format!("a: b\n  {long}\n  c\n")
        );
        assert_eq!(
            wrapped(20, "a:", "  ", &format!("{long} c")),
            format!("a:\n  {long}\n  c\n")
        );
    }
}
