//! The explain report as text: one block per recognised problem.

use super::RenderOpts;
use super::table::{line_width, write_wrapped};
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
    let w = line_width(opts);
    const INDENT: &str = "         ";
    write_wrapped(out, w, "", "  ", &sanitize(&r.summary_text))?;
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
        writeln!(out)?;
        write_wrapped(
            out,
            w,
            "",
            "  ",
            &format!(
                "{} [{severity}] {} via {}: {} time{}, {lines}",
                bold(&g.id),
                sanitize(&g.title),
                sanitize(&g.layer),
                g.count,
                if g.count == 1 { "" } else { "s" }
            ),
        )?;
        write_wrapped(out, w, "  e.g.   ", INDENT, &sanitize(&g.example))?;
        write_wrapped(out, w, "  cause: ", INDENT, &sanitize(&g.cause))?;
        if let Some(n) = &g.not_cause {
            write_wrapped(out, w, "  not:   ", INDENT, &sanitize(n))?;
        }
        if let Some(t) = &g.timing {
            let when = format!(
                "{} (first {}, last {})",
                sanitize(&t.pattern),
                sanitize(&t.first),
                sanitize(&t.last)
            );
            write_wrapped(out, w, "  when:  ", INDENT, &when)?;
        }
        if let Some(v) = r.server.as_ref().and_then(|s| s.verdicts.get(i)) {
            let server = format!("{} ({})", sanitize(&v.status), sanitize(&v.reason));
            write_wrapped(out, w, "  server: ", INDENT, &server)?;
        }
        for c in &g.checks {
            write_wrapped(out, w, "  check: ", INDENT, &sanitize(c))?;
        }
        for f in &g.fix {
            write_wrapped(out, w, "  fix:   ", INDENT, &sanitize(f))?;
        }
    }
    Ok(())
}
