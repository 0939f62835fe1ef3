//! The recommendation as text: the limit and where it came from, the
//! framework's configuration ready to paste, the reasons, notes and findings.

use super::RenderOpts;
use super::table::{line_width, new_table, render_findings, write_prose, write_wrapped};
use crate::db::sanitize;
use crate::recommend::{PoolPlan, RecommendReport};
use anyhow::Result;
use std::io::Write;

pub fn render_recommend_table(
    r: &RecommendReport,
    opts: &RenderOpts,
    out: &mut dyn Write,
) -> Result<()> {
    let rec = &r.recommendation;
    match &r.framework_version {
        Some(v) => writeln!(
            out,
            "poolcheck recommend for {} {}",
            r.framework.name(),
            sanitize(v)
        )?,
        None => writeln!(out, "poolcheck recommend for {}", r.framework.name())?,
    }
    if !r.sources.is_empty() {
        write_prose(
            out,
            opts,
            &format!("facts from: {}", sanitize(&r.sources.join("; "))),
        )?;
    }
    let t = &r.topology;
    let topology = match t.threads {
        Some(threads) => format!(
            "topology: {} instance(s) x {} process(es) x {threads} concurrent request(s), {} connections kept in reserve",
            t.instances(),
            t.processes(),
            t.reserve
        ),
        None => format!(
            "topology: {} instance(s) x {} process(es), concurrent requests not given (--threads): pool sizes stay at the framework's default; {} connections kept in reserve",
            t.instances(),
            t.processes(),
            t.reserve
        ),
    };
    write_prose(out, opts, &topology)?;
    match &rec.limit {
        Some(l) => write_prose(
            out,
            opts,
            &format!(
                "idle limit: {} s, from {}",
                crate::recommend::rules::secs_text(l.seconds),
                sanitize(&l.detail)
            ),
        )?,
        None => write_prose(
            out,
            opts,
            "idle limit: unknown (assuming the 28800 s server default)",
        )?,
    }
    for c in rec
        .candidates
        .iter()
        .filter(|c| Some(*c) != rec.limit.as_ref())
    {
        write_wrapped(
            out,
            line_width(opts),
            "  also considered:",
            "    ",
            &format!(
                "{} s, {}",
                crate::recommend::rules::secs_text(c.seconds),
                sanitize(&c.detail)
            ),
        )?;
    }
    if rec.silent_drop {
        // Keepalive is essential only where it is what keeps the connections:
        // a flow-level limit. Against the server's or a proxy's it does nothing.
        let text = match rec.limit.as_ref().and_then(|l| l.keepalive_helps) {
            Some(true) => {
                "silent drop: yes, so driver read timeouts and TCP keepalive are essential"
            }
            Some(false) => {
                "silent drop: yes, so driver read timeouts are essential (TCP keepalive does not reset this limit)"
            }
            None => {
                "silent drop: yes, so driver read timeouts are essential, and TCP keepalive too if the limit is flow-level"
            }
        };
        write_prose(out, opts, text)?;
    }
    writeln!(
        out,
        "\n# {} configuration\n{}",
        r.framework.name(),
        r.config.snippet.trim_end()
    )?;
    if let PoolPlan::DoesNotFit {
        needed,
        budget,
        options,
    } = &rec.pool
    {
        {
            writeln!(out)?;
            write_prose(
                out,
                opts,
                &format!(
                    "The connection budget cannot hold this topology: {needed} connections needed, {budget} available. Options:"
                ),
            )
        }?;
        for o in options {
            write_wrapped(out, line_width(opts), "  -", "    ", o)?;
        }
    }
    if let Some(check) = &r.check {
        let given: Vec<String> = check
            .given
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        {
            writeln!(out)?;
            write_prose(
                out,
                opts,
                &format!(
                    "Check of the current settings: {}",
                    sanitize(&given.join(", "))
                ),
            )
        }?;
        if check.findings.is_empty() {
            writeln!(out, "  safe for this path")?;
        }
    }
    render_findings(&r.findings, &[], opts, out)
}

pub fn render_hosting_table(
    presets: &[crate::recommend::hosting::Preset],
    opts: &RenderOpts,
    out: &mut dyn Write,
) -> Result<()> {
    use crate::recommend::hosting::LimitLayer;
    let limit = |p: &crate::recommend::hosting::Preset| match p.limit_s {
        Some(s) => format!("{s} s"),
        None => "none (--idle-limit)".to_string(),
    };
    // What the limit counts, and so whether TCP keepalive resets it.
    let kind = |p: &crate::recommend::hosting::Preset| match p.layer {
        LimitLayer::Flow => "flow-level: keepalive resets it",
        LimitLayer::Protocol => "server/protocol-level: keepalive does not reset it",
    };
    if opts.width.is_none() {
        // Off a terminal: one paragraph per preset, the source URL whole on its own line.
        for p in presets {
            let silent = if p.silent {
                "drops silently"
            } else {
                "not silent"
            };
            writeln!(out, "{}: {}, {silent}, {}", p.name, limit(p), kind(p))?;
            write_wrapped(out, line_width(opts), "   ", "   ", p.behaviour)?;
            writeln!(out, "   source: {}", p.source)?;
            write_wrapped(out, line_width(opts), "   kind: ", "   ", p.layer_source)?;
        }
        return Ok(());
    }
    let mut t = new_table(opts);
    t.set_header([
        "preset",
        "idle limit",
        "silent",
        "kind",
        "behaviour",
        "source",
    ]);
    for p in presets {
        t.add_row([
            p.name.to_string(),
            limit(p),
            if p.silent { "yes" } else { "no" }.to_string(),
            format!("{}; {}", kind(p), p.layer_source),
            p.behaviour.to_string(),
            p.source.to_string(),
        ]);
    }
    writeln!(out, "{t}")?;
    Ok(())
}
