//! Pieces every renderer shares: the snippet builder, the header (limit,
//! topology, pool budget), and the one-line reasons as each framework shows them.

use super::{Deployment, Framework, FrameworkConfig, Setting, Version};
use crate::recommend::model::{PoolPlan, PoolReasons, Recommendation, TimeoutReason, Topology};
use serde_json::Value;

/// Builds a snippet line by line and records each setting next to the line
/// that sets it, so the snippet and `settings` cannot drift apart.
pub(super) struct Out {
    framework: Framework,
    /// The release `--framework-version` named, if any.
    version: Option<Version>,
    language: &'static str,
    /// The line-comment marker ("#" or "//"). Only line comments are used:
    /// a newline is the one thing that can end them, and `clean` removes it.
    mark: &'static str,
    lines: Vec<String>,
    settings: Vec<Setting>,
}

impl Out {
    pub(super) fn new(app: &Deployment, framework: Framework) -> Out {
        let spec = framework.spec();
        Out {
            framework,
            version: app.version,
            language: spec.language,
            mark: spec.comment,
            lines: Vec::new(),
            settings: Vec::new(),
        }
    }

    pub(super) fn comment(&mut self, indent: &str, text: &str) {
        let line = format!("{indent}{} {}", self.mark, clean(text));
        self.lines.push(line.trim_end().to_string());
    }

    /// The comment where pool sizes would go when there are none.
    pub(super) fn no_pool_numbers(&mut self, indent: &str, rec: &Recommendation) {
        let text = no_pool_numbers(rec, self.framework);
        self.comment(indent, &text);
    }

    pub(super) fn code(&mut self, line: impl Into<String>) {
        self.lines.push(line.into());
    }

    pub(super) fn blank(&mut self) {
        self.lines.push(String::new());
    }

    /// The comment where a TCP keepalive setting would go when keepalive
    /// cannot help against this limit: why it is not set.
    pub(super) fn keepalive_not_set(&mut self, indent: &str, key: &str, rec: &Recommendation) {
        let text = format!("{key}: not set - {}", rec.reasons.keepalive);
        self.comment(indent, &text);
    }

    /// Records a setting without writing a line (for values that share one
    /// line, such as DSN or URL parameters).
    pub(super) fn record(&mut self, key: &str, value: impl Into<Value>, reason: &str) {
        self.settings.push(Setting {
            key: key.to_string(),
            value: value.into(),
            reason: clean(reason),
        });
    }

    /// The reason as a comment, then the code line, and the setting as data.
    /// A key older releases lack names the release it needs; when
    /// `--framework-version` is older, only a comment saying so is written.
    pub(super) fn set(
        &mut self,
        indent: &str,
        reason: &str,
        line: impl Into<String>,
        key: &str,
        value: impl Into<Value>,
    ) {
        let spec = self.framework.spec();
        let since = spec.since.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        let mut reason = reason.to_string();
        if let Some(min) = since {
            let release = spec.release;
            if let Some(v) = self.version.filter(|v| *v < min) {
                self.comment(
                    indent,
                    &format!(
                        "{key}: not set - {release} {min}+ only, and --framework-version is {v}; upgrade to use it"
                    ),
                );
                return;
            }
            let named = format!("{release} {min}+");
            if !reason.contains(&named) {
                reason = format!("{reason} ({named})");
            }
        }
        let reason = reason.as_str();
        self.comment(indent, reason);
        self.code(line);
        self.record(key, value, reason);
    }

    pub(super) fn finish(self) -> FrameworkConfig {
        let mut snippet = self.lines.join("\n");
        snippet.push('\n');
        FrameworkConfig {
            framework: self.framework,
            language: self.language.to_string(),
            snippet,
            settings: self.settings,
            unproven: self.framework.spec().unproven.map(str::to_string),
        }
    }
}

/// Text safe inside a line comment of any of the snippet languages: no
/// newlines or control characters (they would turn the rest into code), and
/// ASCII for the common typographic characters, because some config formats
/// (Java .properties) are not read as UTF-8.
pub(super) fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            '×' => out.push('x'),
            '—' | '–' | '−' => out.push('-'),
            '≤' => out.push_str("<="),
            '≥' => out.push_str(">="),
            '≈' => out.push('~'),
            '‘' | '’' => out.push('\''),
            '“' | '”' => out.push('"'),
            '…' => out.push_str("..."),
            '→' => out.push_str("->"),
            c => out.push(c),
        }
    }
    out
}

/// Seconds for display: whole numbers without a fraction.
pub(super) fn secs(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value:.1}")
    }
}

/// `base` followed by `; extra` (for framework-specific facts).
pub(super) fn and(base: String, extra: &str) -> String {
    if extra.is_empty() {
        base
    } else {
        format!("{base}; {extra}")
    }
}

/// What a silent path costs without read/write timeouts, as each driver
/// experiences it.
#[derive(Clone, Copy)]
pub(super) enum Hang {
    /// The pool pings at checkout, and the ping itself blocks.
    PrePing,
    /// No blocking ping at checkout; the query is what blocks.
    Query,
}

const SILENT: &str = "essential: this path drops idle connections silently";

/// Reason for a read or write timeout: the rules' reason, marked essential
/// when the path drops silently (that is when a missing timeout hurts most),
/// unless the rules' text already says so.
pub(super) fn timeout_reason(rec: &Recommendation, reason: &TimeoutReason, hang: Hang) -> String {
    if !rec.silent_drop || reason.covers_silent_drop {
        return reason.text.clone();
    }
    let cost = match hang {
        Hang::PrePing => "without them pre-ping hangs ~15 minutes",
        Hang::Query => {
            "without them a query on a dropped connection hangs ~15 minutes (TCP retransmission)"
        }
    };
    format!("{}; {SILENT}, and {cost}", reason.text)
}

/// TCP keepalive does not reset the limit that decides (the server's
/// wait_timeout, a protocol-level proxy): renderers set no keepalive value.
pub(super) fn keepalive_useless(rec: &Recommendation) -> bool {
    rec.tcp_keepalive_helps() == Some(false)
}

/// Reason for a TCP keepalive setting, marked essential on a silent path.
pub(super) fn keepalive_reason(rec: &Recommendation) -> String {
    let base = rec.reasons.keepalive.clone();
    if rec.silent_drop {
        format!("{base}; {SILENT}")
    } else {
        base
    }
}

/// Pool numbers, when the budget holds them, with their reasons.
pub(super) struct Pool<'a> {
    pub(super) size: u64,
    pub(super) overflow: u64,
    pub(super) reasons: &'a PoolReasons,
}

impl Pool<'_> {
    /// Reason for a pool's one cap (max open / maximum pool size / pool),
    /// which is pool_size + max_overflow: both reasons, since both numbers
    /// are in it. These pools have no overflow setting, so the second number
    /// is "plus", not SQLAlchemy's "overflow".
    pub(super) fn total_reason(&self) -> String {
        format!(
            "{} + {}: {}; plus {}",
            self.size, self.overflow, self.reasons.pool_size, self.reasons.max_overflow
        )
    }
}

/// Pool numbers when the budget holds them; None means "print no numbers".
pub(super) fn pool_numbers(rec: &Recommendation) -> Option<Pool<'_>> {
    match (&rec.pool, &rec.reasons.pool) {
        (
            PoolPlan::Fits {
                pool_size,
                max_overflow,
                ..
            },
            Some(reasons),
        ) => Some(Pool {
            size: *pool_size,
            overflow: *max_overflow,
            reasons,
        }),
        _ => None,
    }
}

/// The comment put where pool-size settings would go when there are none:
/// the budget cannot hold the topology, or no --threads was given.
pub(super) fn no_pool_numbers(rec: &Recommendation, framework: Framework) -> String {
    match rec.pool {
        PoolPlan::FrameworkDefault { .. } => format!(
            "pool size: not set - {}'s default stays ({}); size it with --threads (see the top)",
            framework.name(),
            framework.spec().default_pool.text
        ),
        _ => {
            "pool size: none given - the connection budget cannot hold this topology (see the top)"
                .to_string()
        }
    }
}

/// The first lines of every snippet: what it is for, the limit it is built
/// around, the pool budget, and the rules' notes.
pub(super) fn header(out: &mut Out, rec: &Recommendation, pool: Vec<String>) {
    let name = out.framework.name();
    out.comment("", &format!("poolcheck recommend: {name}"));
    if let Some(why) = out.framework.spec().unproven {
        out.comment("", &format!("UNPROVEN: {why}."));
    }
    match &rec.limit {
        Some(limit) => {
            let detail = limit.detail.trim();
            let line = if detail.is_empty() {
                format!("Idle limit: {} s", secs(limit.seconds))
            } else {
                format!("Idle limit: {} s - {detail}", secs(limit.seconds))
            };
            out.comment("", &line);
        }
        None => out.comment("", "Idle limit: none found or declared"),
    }
    if rec.silent_drop {
        out.comment(
            "",
            if keepalive_useless(rec) {
                "This path drops idle connections silently (no FIN/RST): driver timeouts are essential (TCP keepalive does not reset this limit)."
            } else {
                "This path drops idle connections silently (no FIN/RST): driver timeouts and TCP keepalive are essential."
            },
        );
    }
    for line in pool {
        out.comment("", &line);
    }
    for note in &rec.notes {
        out.comment("", note);
    }
}

/// Pool lines for frameworks with a per-process pool: the worst case against
/// the budget, or why no pool numbers are given.
pub(super) fn pool_lines(rec: &Recommendation, t: &Topology, framework: Framework) -> Vec<String> {
    let (instances, processes) = (t.instances(), t.processes());
    let threads = t.threads.unwrap_or(0);
    match &rec.pool {
        PoolPlan::Fits {
            pool_size,
            max_overflow,
            worst_case_total,
            budget,
        } => {
            let mut lines = vec![format!(
                "Topology: {} instances x {} processes x {} threads; worst case {} x {} x ({} + {}) = {} connections{}",
                instances,
                processes,
                threads,
                instances,
                processes,
                pool_size,
                max_overflow,
                worst_case_total,
                match budget {
                    Some(b) => format!(", within the budget of {b}"),
                    None => "; no budget known (no server facts to size against)".to_string(),
                }
            )];
            if pool_size + max_overflow < threads {
                lines.push(format!(
                    "{} connections for {} threads per process: at peak a request waits for a connection (checkout timeout)",
                    pool_size + max_overflow,
                    threads
                ));
            }
            lines
        }
        PoolPlan::DoesNotFit { .. } => does_not_fit_lines(rec, t),
        PoolPlan::FrameworkDefault { .. } => default_pool_lines(rec, t, framework),
    }
}

/// No --threads: the framework's default pool stays; how to size it, and
/// its worst case against the budget when both are known.
pub(super) fn default_pool_lines(
    rec: &Recommendation,
    t: &Topology,
    framework: Framework,
) -> Vec<String> {
    let PoolPlan::FrameworkDefault {
        per_process,
        worst_case_total,
        budget,
    } = &rec.pool
    else {
        return Vec::new();
    };
    let pool = framework.spec().default_pool;
    let mut lines = vec![format!(
        "Pool size: not set, so {}'s default stays ({}): no --threads given to size it from. Size it yourself - {} - or give --threads (and --processes, --instances) to have it sized from the connection budget.",
        framework.name(),
        pool.text,
        pool.sizing
    )];
    match (per_process, worst_case_total, budget) {
        (Some(n), Some(total), Some(b)) => lines.push(format!(
            "At that default, {} instances x {} processes x {n} = {total} connections at most, {} the budget of {b}.",
            t.instances(),
            t.processes(),
            if total > b { "more than" } else { "within" }
        )),
        (_, _, Some(b)) => lines.push(format!("The connection budget is {b}.")),
        _ => {}
    }
    lines
}

/// The budget cannot hold the topology: no pool numbers, the options instead.
pub(super) fn does_not_fit_lines(rec: &Recommendation, t: &Topology) -> Vec<String> {
    let PoolPlan::DoesNotFit {
        needed,
        budget,
        options,
    } = &rec.pool
    else {
        return Vec::new();
    };
    let mut lines = vec![
        format!(
            "Pool size: not given. The connection budget ({budget}) cannot hold this topology: {} instances x {} processes x {} threads = {needed} connections at peak.",
            t.instances(),
            t.processes(),
            t.threads.unwrap_or(0)
        ),
        "Options:".to_string(),
    ];
    lines.extend(options.iter().map(|o| format!("- {o}")));
    lines
}

/// A framework note, and a word that shows the rules' notes already cover
/// its topic ("" when only an identical note counts).
pub(super) type Note = (&'static str, String);

/// Notes no rules note could cover (framework-specific facts only).
pub(super) fn untagged(notes: Vec<String>) -> Vec<Note> {
    notes.into_iter().map(|n| ("", n)).collect()
}

/// Framework notes at the end, skipping any whose topic the rules' notes
/// (printed at the top) already cover, so nothing is said twice.
pub(super) fn footer(out: &mut Out, rec: &Recommendation, notes: &[Note]) {
    let covered = |topic: &str, text: &String| {
        rec.notes.contains(text)
            || (!topic.is_empty()
                && rec
                    .notes
                    .iter()
                    .any(|n| n.to_ascii_lowercase().contains(&topic.to_ascii_lowercase())))
    };
    let fresh: Vec<&String> = notes
        .iter()
        .filter(|(topic, text)| !covered(topic, text))
        .map(|(_, text)| text)
        .collect();
    if fresh.is_empty() {
        return;
    }
    out.blank();
    for note in fresh {
        out.comment("", note);
    }
}

/// The idle limit in seconds, when one is known.
pub(super) fn limit_s(rec: &Recommendation) -> Option<f64> {
    rec.limit.as_ref().map(|l| l.seconds)
}

/// connect/read/write timeouts with their reasons, for drivers configured as
/// key/value options (Django's mysqlclient OPTIONS, Rails' mysql2 keys).
pub(super) fn driver_timeouts(
    rec: &Recommendation,
    driver_note: &str,
) -> [(&'static str, u64, String); 3] {
    [
        (
            "connect_timeout",
            rec.connect_timeout_s,
            rec.reasons.connect_timeout.clone(),
        ),
        (
            "read_timeout",
            rec.read_timeout_s,
            and(
                timeout_reason(rec, &rec.reasons.read_timeout, Hang::PrePing),
                driver_note,
            ),
        ),
        (
            "write_timeout",
            rec.write_timeout_s,
            and(
                timeout_reason(rec, &rec.reasons.write_timeout, Hang::PrePing),
                driver_note,
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_keeps_comments_on_one_line() {
        assert_eq!(clean("a\nb\r\nc"), "a b  c");
        assert_eq!(clean("2 × 4 — ok…"), "2 x 4 - ok...");
        assert_eq!(clean("bell\u{7}"), "bell");
    }

    #[test]
    fn secs_formats() {
        assert_eq!(secs(300.0), "300");
        assert_eq!(secs(299.5), "299.5");
    }
}
