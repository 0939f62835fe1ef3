//! One recognised error as the scan builds it (its kind, layers, numbers and
//! lines) and the numbers taken from its text: what the scanner makes and
//! the grouping and wording read.

use super::timestamp::Stamp;
use serde_json::Value;
use std::collections::BTreeMap;

pub(super) type Numbers = BTreeMap<String, Value>;

/// The idle time a group's numbers show: the shortest, which bounds the limit.
pub(super) fn idle_min(n: &Numbers) -> Option<f64> {
    n.get("idle_s_min")
        .or_else(|| n.get("idle_s"))
        .and_then(Value::as_f64)
}

/// One error, possibly spread over several lines.
#[derive(Debug, Clone)]
pub(super) struct Occurrence {
    /// Index into KINDS.
    pub kind: usize,
    /// A different kind the error was chained from (Java's `Caused by:`).
    pub caused_by: Option<usize>,
    /// Bit per layer rank seen on its lines.
    pub layers: u64,
    /// The outermost layer's rank.
    pub layer: usize,
    pub numbers: Numbers,
    pub first_line: usize,
    pub last_line: usize,
    /// The line that decided its kind and layer, cleaned.
    pub headline: String,
    /// The cause sentence template of the headline's pattern.
    pub note: Option<&'static str>,
    /// The significant line it last grew on (for the joining window).
    pub last_sig: usize,
    /// The significant line it started on.
    pub first_sig: usize,
    /// The nearest timestamp at or before its first line.
    pub time: Option<Stamp>,
    /// Seconds without log lines before that timestamp.
    pub quiet_before_s: Option<f64>,
    /// Only a generic network error so far (no database context on its
    /// lines): dropped unless a line with database context joins it.
    pub weak: bool,
}
