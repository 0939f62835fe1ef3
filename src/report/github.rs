//! `--format github`: GitHub Actions workflow commands, one `::error`,
//! `::warning` or `::notice` line per finding (crit, warn, info) so that
//! findings show as annotations on the run, a `::notice` per skipped check,
//! and a plain closing line for the log; plus the Markdown job summary that
//! is appended to `$GITHUB_STEP_SUMMARY` when it is set.

use super::{RenderOpts, Report};
use crate::finding::{Finding, Severity, Summary};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

/// The most a summary may add to the job summary file (GitHub takes 1 MiB
/// per step); a longer one is cut at a line, with a last line saying so.
pub const STEP_SUMMARY_MAX_BYTES: usize = 64 << 10;

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Crit => "error",
        Severity::Warn => "warning",
        Severity::Info => "notice",
    }
}

/// Escapes a command's message: `%`, CR and LF as GitHub's runner decodes
/// them; other control characters (ANSI escapes) become `?`.
fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() && c != '\t' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a property value (`title=`): the message's rules plus `:` and `,`,
/// which end a property.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn evidence_text(f: &Finding) -> String {
    let parts: Vec<String> = f.evidence.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(", ")
}

pub fn write_github(
    r: &(impl Report + ?Sized),
    _opts: &RenderOpts,
    out: &mut dyn Write,
) -> Result<()> {
    let name = &r.header().command;
    let mut text = String::new();
    for f in r.findings() {
        let mut message = f.message.clone();
        if !f.evidence.is_empty() {
            let _ = write!(message, " (evidence: {})", evidence_text(f));
        }
        let _ = writeln!(
            text,
            "::{} title={}::{}",
            command(f.severity),
            escape_property(&format!("poolcheck {name}: {}", f.id)),
            escape_data(&message)
        );
    }
    for s in r.skipped() {
        let _ = writeln!(
            text,
            "::notice title={}::{}",
            escape_property(&format!("poolcheck {name}: {} skipped", s.check)),
            escape_data(&s.reason)
        );
    }
    let s = Summary::of(r.findings());
    let _ = writeln!(
        text,
        "poolcheck {}: {} crit, {} warn, {} info; {} checks ran, {} skipped",
        escape_data(name),
        s.crit,
        s.warn,
        s.info,
        r.checks().len(),
        r.skipped().len()
    );
    out.write_all(text.as_bytes())?;
    Ok(())
}

/// Escapes text for a cell of a Markdown table that GitHub renders: no pipe
/// ends the cell, no HTML is interpreted, line breaks stay in the cell.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("&#96;"),
            '\n' => out.push_str("<br>"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The Markdown job summary of one run: the findings as a table, the checks
/// that passed, the skipped ones, and whether `--fail-on` was reached.
pub fn step_summary(r: &(impl Report + ?Sized), opts: &RenderOpts) -> String {
    let name = cell(&r.header().command);
    let findings = r.findings();
    let s = Summary::of(findings);
    let failed = opts
        .fail_on
        .is_some_and(|t| findings.iter().any(|f| f.severity >= t));
    let mut md = String::new();
    let _ = writeln!(
        md,
        "### poolcheck {name}: {}\n",
        if failed { "failed" } else { "passed" }
    );
    let _ = writeln!(
        md,
        "{} crit, {} warn, {} info (`--fail-on {}`)\n",
        s.crit,
        s.warn,
        s.info,
        opts.fail_on.map_or("never", Severity::as_str)
    );
    if !findings.is_empty() {
        md.push_str("| severity | check | finding |\n|---|---|---|\n");
        for f in findings {
            let _ = writeln!(
                md,
                "| {} | `{}` | {} |",
                f.severity.as_str(),
                cell(&f.id),
                cell(&f.message)
            );
        }
        md.push('\n');
    }
    let passed: Vec<String> = r
        .checks()
        .into_iter()
        .filter(|c| !findings.iter().any(|f| &f.id == c))
        .map(|c| format!("`{}`", cell(&c)))
        .collect();
    if !passed.is_empty() {
        let _ = writeln!(md, "Passed: {}\n", passed.join(", "));
    }
    for sk in r.skipped() {
        let _ = writeln!(md, "Skipped: `{}`: {}\n", cell(&sk.check), cell(&sk.reason));
    }
    bound(md, STEP_SUMMARY_MAX_BYTES)
}

/// Cuts text longer than `max` bytes at the last line break that fits, and says so.
fn bound(text: String, max: usize) -> String {
    const CUT: &str = "\n_(summary cut: see the job log for every finding)_\n";
    if text.len() <= max {
        return text;
    }
    let mut end = max.saturating_sub(CUT.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let end = text[..end].rfind('\n').map_or(end, |i| i + 1);
    format!("{}{CUT}", &text[..end])
}

/// Appends the summary to the job summary file. The file must be a regular
/// file (opened without blocking, so a FIFO nobody reads cannot hang the run).
pub fn append_step_summary(path: &Path, summary: &str) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .context("could not open it")?;
    let meta = file.metadata().context("could not stat it")?;
    if !meta.is_file() {
        anyhow::bail!("it is not a regular file");
    }
    file.write_all(summary.as_bytes())
        .and_then(|_| file.flush())
        .context("could not write to it")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::render_tests::inspect_report;
    use super::super::{Format, render};
    use super::*;
    use crate::finding::Skipped;

    fn opts() -> RenderOpts {
        RenderOpts {
            format: Format::Github,
            color: false,
            width: None,
            fail_on: Some(Severity::Warn),
        }
    }

    fn lines(report: &impl Report) -> Vec<String> {
        let mut out = Vec::new();
        render(report, &opts(), &mut out).expect("rendering to memory does not fail");
        String::from_utf8(out)
            .expect("UTF-8")
            .lines()
            .map(String::from)
            .collect()
    }

    #[test]
    fn one_command_per_finding_by_severity() {
        let got = lines(&inspect_report());
        assert_eq!(
            got,
            [
                "::error title=poolcheck inspect%3A wait-timeout-short::the server closes a pooled connection \
                 after 5 s idle (session wait_timeout); pools must recycle sooner than that and pre-ping \
                 (evidence: threshold_s=60, wait_timeout_session_s=5)",
                "::notice title=poolcheck inspect%3A wait-timeout-differs-interactive::interactive clients \
                 (the mysql shell) get 28800 s but pools get 5 s: a test from the shell does not show what \
                 your app sees (evidence: interactive_timeout_s=28800, wait_timeout_global_s=5)",
                "::warning title=poolcheck inspect%3A max-allowed-packet-small::max_allowed_packet is 4 MiB, \
                 below the 16 MiB that common drivers allow: a larger statement or row fails with error 1153 \
                 and the connection is dropped (evidence: driver_default_bytes=16777216, \
                 max_allowed_packet_bytes=4194304)",
                "poolcheck inspect: 1 crit, 1 warn, 1 info; 11 checks ran, 0 skipped",
            ]
        );
    }

    /// `%`, CR and LF are escaped in the message; `:` and `,` too in the
    /// title; an escape sequence cannot reach the log; no line can start a
    /// second command.
    #[test]
    fn escaping_follows_the_workflow_command_rules() {
        let mut report = inspect_report();
        report.findings = vec![Finding::new(
            "odd:id,x",
            Severity::Warn,
            "100% idle\r\n::error::injected, a:b \u{1b}[31mred",
        )];
        report.skipped = vec![Skipped {
            check: "idle-connections-other-accounts".into(),
            reason: "needs PROCESS: only this account's own idle connections were examined".into(),
        }];
        let got = lines(&report);
        assert_eq!(
            got[0],
            "::warning title=poolcheck inspect%3A odd%3Aid%2Cx::100%25 idle%0D%0A::error::injected, a:b ?[31mred"
        );
        assert_eq!(
            got[1],
            "::notice title=poolcheck inspect%3A idle-connections-other-accounts skipped::needs PROCESS: \
             only this account's own idle connections were examined"
        );
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn the_job_summary_is_a_markdown_table_with_the_passing_checks() {
        let mut report = inspect_report();
        report.findings[1].message = "a | b <script> & c\nnext".into();
        let md = step_summary(&report, &opts());
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "### poolcheck inspect: failed");
        assert_eq!(lines[2], "1 crit, 1 warn, 1 info (`--fail-on warn`)");
        assert_eq!(lines[4], "| severity | check | finding |");
        assert!(lines[6].starts_with("| crit | `wait-timeout-short` | the server closes"));
        assert_eq!(
            lines[7],
            "| info | `wait-timeout-differs-interactive` | a \\| b &lt;script&gt; &amp; c<br>next |"
        );
        assert!(
            md.contains("Passed: `wait-timeout-session-differs`, `init-connect-set`"),
            "{md}"
        );
        report.findings.clear();
        let md = step_summary(&report, &opts());
        assert!(md.starts_with("### poolcheck inspect: passed\n"), "{md}");
    }

    #[test]
    fn a_long_summary_is_cut_at_a_line() {
        let text = "line of text\n".repeat(10_000);
        let cut = bound(text, 1000);
        assert!(cut.len() <= 1000, "{}", cut.len());
        assert!(cut.ends_with("see the job log for every finding)_\n"));
        assert!(cut.lines().rev().nth(1).is_some_and(|l| l.is_empty()));
    }

    #[test]
    fn the_summary_is_appended_to_a_regular_file_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("summary.md");
        std::fs::write(&path, "earlier step\n").unwrap();
        append_step_summary(&path, "one\n").unwrap();
        append_step_summary(&path, "two\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "earlier step\none\ntwo\n"
        );
        assert!(append_step_summary(dir.path(), "x").is_err());
        assert!(append_step_summary(&dir.path().join("no/such/dir"), "x").is_err());
    }
}
