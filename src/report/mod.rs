//! The only code that writes results: tables, JSON, errors, and the decisions
//! about color and progress (made once, passed in as values).

mod explain_table;
mod probe_table;
mod progress;
mod recommend_table;
mod table;

#[cfg(test)]
mod render_tests;

pub use probe_table::render_probe_table;
pub use progress::IdleProgress;
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
}

/// How to render: decided once in config.rs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOpts {
    pub format: Format,
    /// Color on stdout.
    pub color: bool,
    /// Wrap tables to the terminal's width (stdout is a terminal).
    pub wrap: bool,
}

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
    fn write_table(&self, opts: &RenderOpts, out: &mut dyn Write) -> Result<()> {
        explain_table::render_explain_table(self, opts, out)
    }
}

/// Renders a result in the chosen format.
pub fn render(result: &impl Report, opts: &RenderOpts, out: &mut dyn Write) -> Result<()> {
    match opts.format {
        Format::Json => write_json(result, out),
        Format::Table => result.write_table(opts, out),
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
}

impl ProxySummary {
    pub fn new(stats: crate::proxy::ProxyStats) -> ProxySummary {
        ProxySummary {
            header: Header::new("proxy"),
            stats,
        }
    }
}

impl Report for ProxySummary {
    fn header(&self) -> &Header {
        &self.header
    }
    fn write_table(&self, _opts: &RenderOpts, out: &mut dyn Write) -> Result<()> {
        let s = &self.stats;
        writeln!(
            out,
            "proxy stopped: {} flows, {} ended at the idle cutoff, {} refused, at most {} at once",
            s.flows_total, s.flows_killed, s.flows_refused, s.max_concurrent
        )?;
        Ok(())
    }
}

fn write_json<T: Serialize>(value: &T, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Writes a finished result to stdout in one piece. A closed pipe (`| head`)
/// is not an error: the reader has what it wanted.
pub fn emit_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|_| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Prints a could-not-run error: `error:`, the causes, and a `hint:` line.
/// All text is sanitized and scrubbed of known passwords.
pub fn print_error(err: &anyhow::Error, color: bool, out: &mut dyn Write) {
    let _ = out.write_all(format_error(err, color).as_bytes());
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

/// Prints a note (not a result) on stderr unless quiet.
pub fn note(quiet: bool, color: bool, text: &str) {
    if quiet {
        return;
    }
    let label = if color {
        "\x1b[1;33mnote:\x1b[0m"
    } else {
        "note:"
    };
    eprintln!("{label} {}", crate::db::sanitize(text));
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
