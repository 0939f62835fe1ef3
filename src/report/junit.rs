//! `--format junit`: the result as a JUnit XML report, the shape GitLab,
//! Jenkins, CircleCI, Azure Pipelines and GitHub's test-report actions read.
//! One `<testsuite>` per run; one `<testcase>` per check that ran (classname
//! the subcommand, name the check id), passing when the check found nothing
//! or only findings below `--fail-on`; a `<failure>` for each finding at or
//! above it; a `<skipped>` testcase for each check that could not run. A
//! check with several findings (one per idle group, say) has one testcase per
//! finding. Only the attributes of the common JUnit schema are used.

use super::{RenderOpts, Report};
use crate::finding::{Finding, Severity};
use anyhow::Result;
use std::fmt::Write as _;
use std::io::Write;

enum Outcome<'a> {
    /// The check ran and found nothing, or only findings below `--fail-on`.
    Passed(Vec<&'a Finding>),
    Failed(&'a Finding),
    Skipped(&'a str),
}

struct Case<'a> {
    name: &'a str,
    outcome: Outcome<'a>,
}

/// The testcases of one run, in the order the checks ran; skipped checks last.
fn cases<'a>(
    checks: &'a [String],
    findings: &'a [Finding],
    skipped: &'a [crate::finding::Skipped],
    fail_on: Option<Severity>,
    command: &'a str,
) -> Vec<Case<'a>> {
    let mut ids: Vec<&str> = checks.iter().map(String::as_str).collect();
    for f in findings {
        // A finding of a check the report did not list still gets its testcase.
        if !ids.contains(&f.id.as_str()) {
            ids.push(&f.id);
        }
    }
    let mut out = Vec::new();
    for id in ids {
        let (failed, passed): (Vec<&Finding>, Vec<&Finding>) = findings
            .iter()
            .filter(|f| f.id == id)
            .partition(|f| fail_on.is_some_and(|t| f.severity >= t));
        for f in failed {
            out.push(Case {
                name: id,
                outcome: Outcome::Failed(f),
            });
        }
        if !passed.is_empty() || !out.iter().any(|c| c.name == id) {
            out.push(Case {
                name: id,
                outcome: Outcome::Passed(passed),
            });
        }
    }
    for s in skipped {
        out.push(Case {
            name: &s.check,
            outcome: Outcome::Skipped(&s.reason),
        });
    }
    if out.is_empty() {
        // Nothing to check (explain found nothing it knows): the run itself passed.
        out.push(Case {
            name: command,
            outcome: Outcome::Passed(Vec::new()),
        });
    }
    out
}

pub fn write_junit(
    r: &(impl Report + ?Sized),
    opts: &RenderOpts,
    out: &mut dyn Write,
) -> Result<()> {
    let header = r.header();
    let command = header.command.as_str();
    let checks = r.checks();
    let cases = cases(&checks, r.findings(), r.skipped(), opts.fail_on, command);
    let failures = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
        .count();
    let tests = cases.len();
    let suite = format!("poolcheck {command}");

    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"poolcheck\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
        attr(&suite)
    );
    x.push_str("    <properties>\n");
    let fail_on = opts.fail_on.map_or("never", Severity::as_str);
    for (name, value) in [
        ("poolcheck.version", header.tool.version.as_str()),
        (
            "poolcheck.schema_version",
            &header.schema_version.to_string(),
        ),
        ("poolcheck.fail_on", fail_on),
    ] {
        let _ = writeln!(
            x,
            "      <property name=\"{}\" value=\"{}\"/>",
            attr(name),
            attr(value)
        );
    }
    x.push_str("    </properties>\n");
    for case in &cases {
        let open = format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            attr(command),
            attr(case.name)
        );
        match &case.outcome {
            Outcome::Passed(below) if below.is_empty() => {
                let _ = writeln!(x, "{open}/>");
            }
            Outcome::Passed(below) => {
                let _ = writeln!(x, "{open}>");
                let notes: Vec<String> = below.iter().map(|f| describe(f)).collect();
                let _ = writeln!(
                    x,
                    "      <system-out>{}</system-out>",
                    text(&notes.join("\n"))
                );
                x.push_str("    </testcase>\n");
            }
            Outcome::Failed(f) => {
                let _ = writeln!(x, "{open}>");
                let _ = writeln!(
                    x,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    attr(&f.message),
                    f.severity.as_str(),
                    text(&describe(f))
                );
                x.push_str("    </testcase>\n");
            }
            Outcome::Skipped(reason) => {
                let _ = writeln!(x, "{open}>");
                let _ = writeln!(x, "      <skipped message=\"{}\"/>", attr(reason));
                x.push_str("    </testcase>\n");
            }
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    out.write_all(x.as_bytes())?;
    Ok(())
}

/// A finding as text: severity, id, message, then the evidence, one per line.
fn describe(f: &Finding) -> String {
    let mut s = format!("[{}] {}: {}", f.severity.as_str(), f.id, f.message);
    if !f.evidence.is_empty() {
        s.push_str("\nevidence:");
        for (k, v) in &f.evidence {
            let _ = write!(s, "\n  {k} = {v}");
        }
    }
    s
}

/// Whether XML 1.0 allows this character at all (its `Char` production);
/// the others (most C0 controls, U+FFFE, U+FFFF) are dropped.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes character data.
fn text(s: &str) -> String {
    escape(s, false)
}

/// Escapes an attribute value (in double quotes); whitespace other than a
/// space is written as a character reference, which attribute-value
/// normalization would otherwise turn into spaces.
fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| xml_char(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A bare CR would be read back as a line feed.
            '\r' => out.push_str("&#13;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\'' if in_attribute => out.push_str("&apos;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}
