//! The `explain` report types: the `--format json` document and what tables render.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The whole `explain` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplainReport {
    #[serde(flatten)]
    pub header: crate::schema::Header,
    pub lines_read: usize,
    /// One per recognised problem kind (+ layer + distinguishing numbers), in
    /// order of first appearance.
    pub matches: Vec<Group>,
    /// Lines that looked like errors but matched nothing and were not part of
    /// a recognised error (not within its traceback or 5 lines of it).
    pub unrecognised_lines: usize,
    /// One per group, for the same `--fail-on` handling as the other commands.
    pub findings: Vec<crate::finding::Finding>,
    /// Findings per severity, as in every report.
    pub summary: crate::finding::Summary,
    /// One plain sentence: what was recognised, or that nothing was.
    pub summary_text: String,
    /// Filled by [`confirm`](super::confirm) when a live server was inspected.
    pub server: Option<ServerCheck>,
}

/// Repeated occurrences of one problem, as it came through one layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Stable kebab-case id, e.g. `server-gone-away`; documented with the table.
    pub id: String,
    pub title: String,
    /// The outermost driver or framework the text came through, e.g. `sqlalchemy`.
    pub layer: String,
    pub count: usize,
    /// 1-based line numbers of the first line of the first occurrence and the
    /// last line of the last one.
    pub first_line: usize,
    pub last_line: usize,
    /// The first occurrence's headline, trimmed to 300 chars, control chars
    /// replaced, credentials masked; known passwords are scrubbed when written.
    #[serde(serialize_with = "scrubbed")]
    pub example: String,
    /// Numbers taken from the text (and a few derived ones, e.g. `idle_s`).
    /// A number that varies between occurrences also gets `_min` and `_max`.
    pub numbers: BTreeMap<String, serde_json::Value>,
    /// The most likely cause, using the numbers.
    pub cause: String,
    /// What it is not, where people often think it is (e.g. 1045 is no pool problem).
    pub not_cause: Option<String>,
    /// What to check, with the poolcheck command that checks it.
    pub checks: Vec<String>,
    /// The fix for this layer's framework, with concrete settings.
    pub fix: Vec<String>,
    /// When the lines had timestamps.
    pub timing: Option<Timing>,
}

/// Writes text from the user's log with every known password removed: the
/// `--target`'s password is only known after the log was read, and tables
/// scrub the example when they print it (`db::sanitize`), so JSON does too.
fn scrubbed<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::target::scrub(text))
}

/// When a group's failures happened relative to quiet periods in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// The timestamps of the first and last occurrence, as written in the log.
    pub first: String,
    pub last: String,
    /// Occurrences that came after a quiet period: at least 4 min without any
    /// log line (or a shorter documented idle limit the group's idle time matched).
    pub after_quiet_periods: usize,
    /// The longest gap without log lines before one of the occurrences.
    pub longest_quiet_before_s: Option<f64>,
    /// The conclusion in one sentence.
    pub pattern: String,
}

/// What a live server says about the groups' causes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerCheck {
    pub wait_timeout_session_s: u64,
    pub max_connections: u64,
    pub max_allowed_packet_bytes: u64,
    pub verdicts: Vec<Verdict>,
}

/// One group's cause held against the server's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The group id; verdicts come in the order of `matches`, one per group.
    pub group: String,
    /// "confirmed" | "ruled-out" | "possible"
    pub status: String,
    pub reason: String,
}

/// One recognised message, for docs and `--list` output: which id it leads to,
/// through which layer (when the message itself proves it), and its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub id: String,
    pub title: String,
    pub severity: crate::finding::Severity,
    pub layer: Option<String>,
    /// Where the message text comes from (driver source file, error list).
    pub source: String,
}
