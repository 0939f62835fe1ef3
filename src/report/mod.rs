//! The only code that writes results: tables, JSON, errors, and the decisions
//! about color and progress (made once, passed in as values).

mod explain_table;
mod github;
mod junit;
mod probe_table;
mod progress;
mod recommend_table;
mod stream;
mod table;

#[cfg(test)]
mod junit_tests;
#[cfg(test)]
mod render_tests;

pub use github::{STEP_SUMMARY_MAX_BYTES, append_step_summary, step_summary};
pub use probe_table::render_probe_table;
pub use progress::IdleProgress;
pub use stream::{
    GRACE_AFTER_SIGNAL, Unwritten, drain_stderr, dropped_log_lines, log_stderr, write_stderr,
    write_stdout,
};
pub use table::{render_findings, render_inspect_table};

use crate::finding::{Finding, Skipped};
use crate::inspect::InspectReport;
use crate::schema::Header;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// The shape of a result on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: tables and short lines.
    Table,
    /// For programs: one JSON document.
    Json,
    /// For CI: a JUnit XML report, one testcase per check.
    Junit,
    /// For GitHub Actions: one workflow command (annotation) per finding.
    Github,
}

/// How to render: decided once in config.rs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOpts {
    pub format: Format,
    /// Color on stdout.
    pub color: bool,
    /// The terminal's width when stdout is one; `None` for a pipe or file,
    /// where findings get a plain layout and everything fits [`PLAIN_WIDTH`].
    pub width: Option<u16>,
    /// `--fail-on`: findings at or above it are failures in CI formats.
    pub fail_on: Option<crate::finding::Severity>,
}

/// The width of output that goes to no terminal (CI logs, files, pipes).
pub const PLAIN_WIDTH: u16 = 100;

/// One subcommand's result, as every output format sees it: the header, the
/// findings and the checks that were skipped (all that a format such as JSON
/// or a CI report needs), plus the subcommand's own table for people. A new
/// output format is one new file in `report/` that reads these.
pub trait Report: Serialize {
    fn header(&self) -> &Header;
    fn findings(&self) -> &[Finding] {
        &[]
    }
    fn skipped(&self) -> &[Skipped] {
        &[]
    }
    /// The ids of the checks that were evaluated: one listed here without a
    /// finding passed. Checks that could not run are in `skipped()`.
    fn checks(&self) -> Vec<String> {
        Vec::new()
    }
    fn write_table(&self, opts: &RenderOpts, out: &mut dyn Write) -> Result<()>;
}

impl Report for InspectReport {
    fn header(&self) -> &Header {
        &self.header
    }
    fn findings(&self) -> &[Finding] {
        &self.findings
    }
    fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }
    fn checks(&self) -> Vec<String> {
        crate::inspect::checks_evaluated(&self.facts)
    }
    fn write_table(&self, opts: &RenderOpts, out: &mut dyn Write) -> Result<()> {
        render_inspect_table(self, opts, out)
    }
}

impl Report for crate::probe::ProbeReport {
    fn header(&self) -> &Header {
        &self.header
    }
    fn findings(&self) -> &[Finding] {
        &self.findings
    }
    fn checks(&self) -> Vec<String> {
        crate::probe::checks_evaluated(self)
    }
    fn write_table(&self, opts: &RenderOpts, out: &mut dyn Write) -> Result<()> {
        render_probe_table(self, opts, out)
    }
}

impl Report for crate::recommend::RecommendReport {
    fn header(&self) -> &Header {
        &self.header
    }
    fn findings(&self) -> &[Finding] {
        &self.findings
    }
    fn checks(&self) -> Vec<String> {
        self.checks.clone()
    }
    fn write_table(&self, opts: &RenderOpts, out: &mut dyn Write) -> Result<()> {
        recommend_table::render_recommend_table(self, opts, out)
    }
}

impl Report for crate::explain::ExplainReport {
    fn header(&self) -> &Header {
        &self.header
    }
    fn findings(&self) -> &[Finding] {
        &self.findings
    }
    /// One check per recognised problem kind.
    fn checks(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for g in &self.matches {
            if !ids.contains(&g.id) {
                ids.push(g.id.clone());
            }
        }
        ids
    }
    fn write_table(&self, opts: &RenderOpts, out: &mut dyn Write) -> Result<()> {
        explain_table::render_explain_table(self, opts, out)
    }
}

/// Renders a result in the chosen format.
pub fn render(result: &impl Report, opts: &RenderOpts, out: &mut dyn Write) -> Result<()> {
    match opts.format {
        Format::Json => write_json(result, out),
        Format::Table => result.write_table(opts, out),
        Format::Junit => junit::write_junit(result, opts, out),
        Format::Github => github::write_github(result, opts, out),
    }
}

/// Renders a whole result first, then writes it to stdout in one piece, so an
/// error while rendering never leaves half a document behind.
pub fn emit(result: &impl Report, opts: &RenderOpts) -> Result<()> {
    let mut buf = Vec::new();
    render(result, opts, &mut buf)?;
    emit_stdout(&buf)
}

/// `recommend --list-hosting`.
#[derive(Serialize)]
pub struct HostingList {
    #[serde(flatten)]
    pub header: Header,
    pub presets: &'static [crate::recommend::hosting::Preset],
}

impl HostingList {
    pub fn all() -> HostingList {
        HostingList {
            header: Header::new("recommend --list-hosting"),
            presets: crate::recommend::hosting::PRESETS,
        }
    }
}

impl Report for HostingList {
    fn header(&self) -> &Header {
        &self.header
    }
    fn write_table(&self, opts: &RenderOpts, out: &mut dyn Write) -> Result<()> {
        recommend_table::render_hosting_table(self.presets, opts, out)
    }
}

/// The proxy's closing summary.
#[derive(Serialize)]
pub struct ProxySummary {
    #[serde(flatten)]
    pub header: Header,
    pub stats: crate::proxy::ProxyStats,
    /// Log lines not written because stderr was not read fast enough.
    pub log_lines_dropped: u64,
}

impl ProxySummary {
    pub fn new(stats: crate::proxy::ProxyStats, log_lines_dropped: u64) -> ProxySummary {
        ProxySummary {
            header: Header::new("proxy"),
            stats,
            log_lines_dropped,
        }
    }
}

impl Report for ProxySummary {
    fn header(&self) -> &Header {
        &self.header
    }
    fn write_table(&self, _opts: &RenderOpts, out: &mut dyn Write) -> Result<()> {
        let s = &self.stats;
        write!(
            out,
            "proxy stopped: {} flows, {} ended at the idle cutoff, {} refused, at most {} at once",
            s.flows_total, s.flows_killed, s.flows_refused, s.max_concurrent
        )?;
        if self.log_lines_dropped > 0 {
            write!(
                out,
                "; {} log lines dropped (stderr was not read fast enough)",
                self.log_lines_dropped
            )?;
        }
        writeln!(out)?;
        Ok(())
    }
}

/// The proxy's event log: one line per event on stderr, queued so that a
/// stderr nobody reads never stalls the proxy (lines are dropped and
/// counted instead, see `dropped_log_lines`). Kills and failures always
/// matter; accepts and closes are logged only when not quiet.
pub fn log_proxy_event(quiet: bool, event: &crate::proxy::ProxyEvent) {
    use crate::proxy::ProxyEvent;
    let important = matches!(
        event,
        ProxyEvent::Killed { .. } | ProxyEvent::UpstreamFailed { .. } | ProxyEvent::Refused { .. }
    );
    if important || !quiet {
        log_stderr(format!(
            "proxy: {}\n",
            crate::db::sanitize(&event.to_string())
        ));
    }
}

fn write_json<T: Serialize>(value: &T, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Writes a finished result to stdout in one piece. A closed pipe (`| head`)
/// is not an error: the reader has what it wanted. A pipe nobody reads gives
/// way to Ctrl-C / SIGTERM (an interruption error, exit 130).
pub fn emit_stdout(bytes: &[u8]) -> Result<()> {
    write_stdout(bytes.to_vec())
}

/// Prints a could-not-run error on stderr: `error:`, the causes, and a
/// `hint:` line. All text is sanitized and scrubbed of known passwords.
pub fn print_error(err: &anyhow::Error, color: bool) {
    write_stderr(&format_error(err, color));
}

/// The interrupt backstop's last words before it exits with 130 (see
/// `signal::BACKSTOP`): a note on stderr, and a moment for it to drain.
pub fn backstop_last_words() {
    log_stderr(format!(
        "note: interrupted, and still not done {}s later; stopping now\n",
        crate::signal::BACKSTOP.as_secs()
    ));
    drain_stderr(std::time::Duration::from_millis(200));
}

/// Says on stderr what an interruption left undone: nothing measured yet
/// (a partial report is printed otherwise), or a result nobody read.
pub fn print_interrupted(err: &anyhow::Error, color: bool) {
    let text = if err.downcast_ref::<Unwritten>().is_some() {
        "interrupted while writing the result, which stdout did not take; it was not written"
    } else {
        "interrupted before anything was measured; no connection left open"
    };
    note(false, color, text);
}

pub fn format_error(err: &anyhow::Error, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut lines = Vec::new();
    let mut chain = err.chain().map(|e| crate::db::sanitize(&e.to_string()));
    if let Some(top) = chain.next() {
        lines.push(format!("{} {top}", paint("1;31", "error:")));
    }
    let mut previous = String::new();
    for cause in chain {
        // anyhow repeats a message when a context wraps an error that prints the same text.
        if cause != previous {
            lines.push(format!("  caused by: {cause}"));
        }
        previous = cause;
    }
    if let Some(hint) = crate::error::find_hint(err) {
        lines.push(format!(
            "{} {}",
            paint("1;36", "hint:"),
            crate::db::sanitize(hint)
        ));
    }
    lines.join("\n") + "\n"
}

/// Prints a note (not a result) on stderr unless quiet, and waits until it
/// is written (an interruption cuts the wait short).
pub fn note(quiet: bool, color: bool, text: &str) {
    if !quiet {
        write_stderr(&note_line(color, text));
    }
}

/// Queues a note for stderr without waiting, as the proxy's log does.
pub fn log_note(quiet: bool, color: bool, text: &str) {
    if !quiet {
        log_stderr(note_line(color, text));
    }
}

fn note_line(color: bool, text: &str) -> String {
    let label = if color {
        "\x1b[1;33mnote:\x1b[0m"
    } else {
        "note:"
    };
    format!("{label} {}\n", crate::db::sanitize(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::hinted;

    #[test]
    fn error_grammar() {
        let e = anyhow::anyhow!("Connection refused (os error 111)").context(
            crate::error::Hinted::new(
                "connection refused by 127.0.0.1:1",
                "is the server running?",
            ),
        );
        assert_eq!(
            format_error(&e, false),
            "error: connection refused by 127.0.0.1:1\n  caused by: Connection refused (os error 111)\nhint: is the server running?\n"
        );
        let e = hinted("bad port", "use 1..65535");
        assert_eq!(
            format_error(&e, false),
            "error: bad port\nhint: use 1..65535\n"
        );
    }

    #[test]
    fn error_text_is_sanitized() {
        let e = anyhow::anyhow!("evil \x1b]0;title\x07 text");
        assert!(!format_error(&e, false).contains('\x1b'));
    }
}
