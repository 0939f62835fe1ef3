//! The explain report as text: one block per recognised problem.

use super::RenderOpts;
use crate::db::sanitize;
use crate::explain::ExplainReport;
use anyhow::Result;
use std::io::Write;

pub fn render_explain_table(
    r: &ExplainReport,
    opts: &RenderOpts,
    out: &mut dyn Write,
) -> Result<()> {
    let bold = |t: &str| {
        if opts.color {
            format!("\x1b[1m{t}\x1b[0m")
        } else {
            t.to_string()
        }
    };
    writeln!(out, "{}", sanitize(&r.summary_text))?;
    for (i, g) in r.matches.iter().enumerate() {
        let severity = r
            .findings
            .get(i)
            .map(|f| f.severity.as_str())
            .unwrap_or("info");
        let lines = if g.first_line == g.last_line {
            format!("line {}", g.first_line)
        } else {
            format!("lines {}-{}", g.first_line, g.last_line)
        };
        writeln!(
            out,
            "\n{} [{severity}] {} via {}: {} time{}, {lines}",
            bold(&g.id),
            sanitize(&g.title),
            sanitize(&g.layer),
            g.count,
            if g.count == 1 { "" } else { "s" }
        )?;
        writeln!(out, "  e.g.   {}", sanitize(&g.example))?;
        writeln!(out, "  cause: {}", sanitize(&g.cause))?;
        if let Some(n) = &g.not_cause {
            writeln!(out, "  not:   {}", sanitize(n))?;
        }
        if let Some(t) = &g.timing {
            writeln!(
                out,
                "  when:  {} (first {}, last {})",
                sanitize(&t.pattern),
                sanitize(&t.first),
                sanitize(&t.last)
            )?;
        }
        if let Some(v) = r.server.as_ref().and_then(|s| s.verdicts.get(i)) {
            writeln!(
                out,
                "  server: {} ({})",
                sanitize(&v.status),
                sanitize(&v.reason)
            )?;
        }
        for c in &g.checks {
            writeln!(out, "  check: {}", sanitize(c))?;
        }
        for f in &g.fix {
            writeln!(out, "  fix:   {}", sanitize(f))?;
        }
    }
    Ok(())
}
