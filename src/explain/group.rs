//! Grouping occurrences into report groups (same kind, layer, cause chain and
//! distinguishing numbers), summarising their numbers, and the time pattern.

use super::advice;
use super::model::{Group, Timing};
use super::occurrence::{Numbers, Occurrence, idle_min};
use super::patterns::LIMITS;
use super::patterns::{KINDS, Topic, kind_index, layer_name, match_limit};
use super::text::{duration, num};
use crate::finding::Finding;
use serde_json::Value;
use std::collections::HashMap;

/// A failure after at least this long without any log line counts as "after a
/// quiet period": 4 min, the shortest common idle limit (Azure Load Balancer).
/// A group whose idle time matched a shorter documented limit uses that one.
pub(super) const QUIET_S: f64 = 240.0;

/// The quiet-period thresholds a group can use: [`QUIET_S`], or a shorter
/// documented limit its idle time matched (see `timing`).
static THRESHOLDS: std::sync::LazyLock<Vec<f64>> = std::sync::LazyLock::new(|| {
    let mut t: Vec<f64> = LIMITS.iter().map(|l| l.seconds.min(QUIET_S)).collect();
    t.push(QUIET_S);
    t.sort_by(f64::total_cmp);
    t.dedup();
    t
});

fn threshold_index(threshold: f64) -> usize {
    THRESHOLDS
        .iter()
        .position(|t| *t == threshold)
        .expect("thresholds come from THRESHOLDS")
}

/// The gaps between timestamped lines, counted (a log of any length takes
/// the same memory): how many, and how many at least each threshold long.
#[derive(Debug)]
pub(super) struct GapStats {
    total: usize,
    at_least: Vec<usize>,
}

impl Default for GapStats {
    fn default() -> Self {
        GapStats {
            total: 0,
            at_least: vec![0; THRESHOLDS.len()],
        }
    }
}

impl GapStats {
    pub(super) fn add(&mut self, gap: f64) {
        self.total += 1;
        // THRESHOLDS is sorted: the first one above the gap ends the count.
        for (t, n) in THRESHOLDS.iter().zip(&mut self.at_least) {
            if gap < *t {
                break;
            }
            *n += 1;
        }
    }

    /// The share of gaps at least `threshold` long (0 without gaps).
    fn share(&self, threshold: f64) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.at_least[threshold_index(threshold)] as f64 / self.total as f64
        }
    }
}

/// Builds the groups as occurrences are finished, in order of first appearance.
#[derive(Default)]
pub(super) struct Grouper {
    accs: Vec<Acc>,
    index: HashMap<String, usize>,
}

impl Grouper {
    pub(super) fn add(&mut self, occ: &Occurrence) {
        let mut numbers = occ.numbers.clone();
        derive(occ.kind, &mut numbers);
        let kind = reading(occ.kind, &numbers);
        let key = group_key(kind, occ, &numbers);
        match self.index.get(&key) {
            Some(&i) => self.accs[i].add(occ, numbers),
            None => {
                self.index.insert(key, self.accs.len());
                self.accs.push(Acc::new(occ, kind, numbers));
            }
        }
    }

    pub(super) fn finish(self, gaps: &GapStats) -> Vec<Group> {
        self.accs.into_iter().map(|a| a.finish(gaps)).collect()
    }
}

/// One finding per group: the pattern's id and severity, the cause, the numbers.
pub(super) fn findings(groups: &[Group]) -> Vec<Finding> {
    groups
        .iter()
        .map(|g| {
            let severity = KINDS
                .iter()
                .find(|k| k.id == g.id)
                .map_or(crate::finding::Severity::Warn, |k| k.severity);
            let mut f = Finding::new(&g.id, severity, g.cause.clone()).with("occurrences", g.count);
            for (k, v) in &g.numbers {
                f.evidence.insert(k.clone(), v.clone());
            }
            f
        })
        .collect()
}

/// The report's one-sentence summary.
pub(super) fn summary(lines: usize, groups: &[Group], unrecognised: usize) -> String {
    let lines_word = if lines == 1 { "line" } else { "lines" };
    if groups.is_empty() {
        let extra = if unrecognised > 0 {
            format!(
                "; {unrecognised} {} looked like errors but matched no known pattern",
                if unrecognised == 1 { "line" } else { "lines" }
            )
        } else {
            String::new()
        };
        return format!(
            "Nothing recognised: no known MySQL/MariaDB connection or pool error in {lines} {lines_word}{extra}."
        );
    }
    let total: usize = groups.iter().map(|g| g.count).sum();
    let kinds: Vec<String> = groups
        .iter()
        .map(|g| format!("{} x{} ({})", g.id, g.count, g.layer))
        .collect();
    format!(
        "Recognised {total} {} in {lines} {lines_word}: {}.",
        if total == 1 { "error" } else { "errors" },
        kinds.join(", ")
    )
}

/// Numbers computed from others, per occurrence (so min/max work on them).
fn derive(kind: usize, n: &mut Numbers) {
    if let Some(code) = KINDS[kind].code {
        n.entry("error_code".into()).or_insert(Value::from(code));
    }
    if !n.contains_key("closed_by")
        && let Some(errno) = n.get("system_error").and_then(Value::as_i64)
    {
        let how = match errno {
            32 => Some("broken-pipe"),
            104 | 10054 => Some("reset"),
            110 | 10060 => Some("timeout"),
            111 | 10061 => Some("refused"),
            113 | 10065 => Some("unreachable"),
            _ => None,
        };
        if let Some(how) = how {
            n.insert("closed_by".into(), Value::from(how));
        }
    }
    // Connector/J: the time since the last packet is the idle time, unless the
    // request went out well after it and the driver then waited for the answer.
    if let Some(recv) = n.get("last_packet_ms").and_then(Value::as_f64) {
        let sent = n.get("last_packet_sent_ms").and_then(Value::as_f64);
        match sent {
            // Sent and received at the same moment, nothing since: the
            // statement sent then was still waiting for its answer.
            Some(s) if s == recv => {
                n.insert("in_flight_s".into(), Value::from(recv / 1000.0));
            }
            Some(s) if s >= 1000.0 && s <= recv - 1000.0 => {
                n.insert("idle_s".into(), Value::from((recv - s) / 1000.0));
                n.insert("answer_wait_s".into(), Value::from(s / 1000.0));
            }
            _ => {
                n.insert("idle_s".into(), Value::from(recv / 1000.0));
            }
        }
    }
    if let Some(ms) = n.get("timeout_ms").and_then(Value::as_f64) {
        n.entry("timeout_s".into())
            .or_insert(Value::from(ms / 1000.0));
    }
    if let (Some(size), Some(overflow)) = (
        n.get("pool_size").and_then(Value::as_i64),
        n.get("max_overflow").and_then(Value::as_i64),
    ) && overflow >= 0
    {
        n.insert("pool_max".into(), Value::from(size + overflow));
    }
}

/// The kind the numbers prove: a Connector/J link failure whose last packets
/// went both ways at the same moment was a statement in flight.
fn reading(kind: usize, n: &Numbers) -> usize {
    if KINDS[kind].id == "communications-link-failure" && n.contains_key("in_flight_s") {
        return kind_index("query-timeout").unwrap_or(kind);
    }
    kind
}

fn group_key(kind: usize, occ: &Occurrence, n: &Numbers) -> String {
    let kind = &KINDS[kind];
    let mut key = format!(
        "{}|{}|{:?}|{}",
        kind.id,
        occ.layer,
        occ.caused_by,
        n.get("error_code")
            .map(Value::to_string)
            .unwrap_or_default()
    );
    for k in kind.key_numbers {
        key.push('|');
        key.push_str(&n.get(*k).map(Value::to_string).unwrap_or_default());
    }
    key
}

/// A number's summary over the occurrences.
struct Stat {
    first: Value,
    min: f64,
    max: f64,
    numeric: bool,
    all_int: bool,
}

struct Acc {
    kind: usize,
    layer: usize,
    caused_by: Option<usize>,
    count: usize,
    first_line: usize,
    last_line: usize,
    example: String,
    note: Option<&'static str>,
    stats: Vec<(String, Stat)>,
    times: Times,
}

/// The occurrences' timestamps, folded: first and last, and the quiet time
/// before each (counted per threshold, and the longest).
#[derive(Default)]
struct Times {
    first: Option<String>,
    last: Option<String>,
    /// Occurrences with a known quiet time before them.
    known: usize,
    /// Of those, how many came after at least each of [`THRESHOLDS`].
    quiet: Vec<usize>,
    longest: Option<f64>,
}

impl Times {
    fn add(&mut self, text: &str, quiet_before: Option<f64>) {
        if self.first.is_none() {
            self.first = Some(text.to_string());
        }
        self.last = Some(text.to_string());
        if let Some(g) = quiet_before {
            self.known += 1;
            if self.quiet.is_empty() {
                self.quiet = vec![0; THRESHOLDS.len()];
            }
            for (t, n) in THRESHOLDS.iter().zip(&mut self.quiet) {
                if g >= *t {
                    *n += 1;
                }
            }
            self.longest = Some(self.longest.map_or(g, |m| m.max(g)));
        }
    }

    fn quiet_at(&self, threshold: f64) -> usize {
        self.quiet
            .get(threshold_index(threshold))
            .copied()
            .unwrap_or(0)
    }
}

impl Acc {
    fn new(occ: &Occurrence, kind: usize, numbers: Numbers) -> Acc {
        let mut acc = Acc {
            kind,
            layer: occ.layer,
            caused_by: occ.caused_by,
            count: 0,
            first_line: occ.first_line,
            last_line: occ.last_line,
            example: occ.headline.clone(),
            note: occ.note,
            stats: Vec::new(),
            times: Times::default(),
        };
        acc.add(occ, numbers);
        acc
    }

    fn add(&mut self, occ: &Occurrence, numbers: Numbers) {
        self.count += 1;
        self.last_line = self.last_line.max(occ.last_line);
        if let Some(t) = &occ.time {
            self.times.add(&t.text, occ.quiet_before_s);
        }
        for (k, v) in numbers {
            let x = v.as_f64();
            match self.stats.iter_mut().find(|(name, _)| *name == k) {
                Some((_, s)) => {
                    if let Some(x) = x {
                        s.min = s.min.min(x);
                        s.max = s.max.max(x);
                        s.all_int &= v.is_i64();
                    }
                }
                None => self.stats.push((
                    k,
                    Stat {
                        numeric: x.is_some(),
                        all_int: v.is_i64(),
                        min: x.unwrap_or(0.0),
                        max: x.unwrap_or(0.0),
                        first: v,
                    },
                )),
            }
        }
    }

    fn finish(self, gaps: &GapStats) -> Group {
        let kind = &KINDS[self.kind];
        let mut numbers = Numbers::new();
        for (k, s) in self.stats {
            if s.numeric && s.min != s.max {
                let as_value = |x: f64| {
                    if s.all_int {
                        Value::from(x as i64)
                    } else {
                        Value::from(x)
                    }
                };
                numbers.insert(format!("{k}_min"), as_value(s.min));
                numbers.insert(format!("{k}_max"), as_value(s.max));
            }
            numbers.insert(k, s.first);
        }
        if let Some(c) = self.caused_by {
            numbers.insert("caused_by".into(), Value::from(KINDS[c].id));
        }
        let layer = layer_name(self.layer);
        let mut text = advice::describe(kind, layer, &numbers, self.caused_by, self.note, None);
        let (timing, idle_kills) = match timing(kind.topic, &numbers, &self.times, gaps) {
            Some((t, head)) => (Some(t), head),
            None => (None, None),
        };
        if let Some(head) = idle_kills {
            // The log's own evidence belongs in the cause when it is this clear.
            text.cause.push_str(&format!(
                " In this log {head}: the first request after a quiet period got a dead pooled connection."
            ));
        }
        Group {
            id: kind.id.to_string(),
            title: kind.title.to_string(),
            layer: layer.to_string(),
            count: self.count,
            first_line: self.first_line,
            last_line: self.last_line,
            example: self.example,
            numbers,
            cause: text.cause,
            not_cause: text.not_cause,
            checks: text.checks,
            fix: text.fix,
            timing,
        }
    }
}

/// The timing, and the count sentence when it shows idle kills.
fn timing(
    topic: Topic,
    numbers: &Numbers,
    times: &Times,
    gaps: &GapStats,
) -> Option<(Timing, Option<String>)> {
    let first = times.first.clone()?;
    let last = times.last.clone()?;
    let threshold = idle_min(numbers)
        .and_then(match_limit)
        .map_or(QUIET_S, |l| l.seconds.min(QUIET_S));
    let quiet = times.quiet_at(threshold);
    let longest = times.longest;
    let base = gaps.share(threshold);
    let (pattern, idle_kills) = pattern_text(topic, times.known, quiet, threshold, longest, base);
    Some((
        Timing {
            first,
            last,
            after_quiet_periods: quiet,
            longest_quiet_before_s: longest,
            pattern,
        },
        idle_kills,
    ))
}

fn pattern_text(
    topic: Topic,
    n: usize,
    quiet: usize,
    threshold: f64,
    longest: Option<f64>,
    base: f64,
) -> (String, Option<String>) {
    if n == 0 {
        return (
            "no earlier timestamped line to compare with: the quiet time before the failure is unknown".into(),
            None,
        );
    }
    let thr = duration(threshold);
    let longest = longest.map_or_else(String::new, |l| {
        format!(" (longest quiet time before one: {})", duration(l))
    });
    if topic == Topic::ServerLog {
        // The server writes these lines when it closes a connection: the
        // gaps in its own log are not the clients' idle time.
        let head = if n == 1 {
            "one close logged".to_string()
        } else {
            format!("{n} closes logged")
        };
        return (
            format!(
                "{head}: the server writes these lines when it closes a connection, so quiet periods in its own log say nothing about how long the clients' connections had been idle"
            ),
            None,
        );
    }
    let head = if n == 1 {
        if quiet == 1 {
            format!("the failure came after >= {thr} without log lines{longest}")
        } else {
            format!("the failure came less than {thr} after the previous log line")
        }
    } else {
        format!("{quiet} of {n} failures came after >= {thr} without log lines{longest}")
    };
    let share = quiet as f64 / n as f64;
    let base_pct = num((base * 1000.0).round() / 10.0);
    let idle_topic = matches!(topic, Topic::Idle | Topic::ServerLog | Topic::Killed);
    if idle_topic && quiet > 0 && share >= 0.5 && share >= 3.0 * base {
        return (
            format!(
                "{head}, against {base_pct}% of all log lines: idle connections killed - the first request after a quiet period got a dead pooled connection"
            ),
            Some(head),
        );
    }
    let tail = match topic {
        Topic::Idle | Topic::ServerLog | Topic::Killed if quiet == 0 => {
            ": they happened while the app was busy, so an idle timeout is unlikely unless some pooled connections sat unused while others worked (a pool much larger than the load)".into()
        }
        Topic::Idle | Topic::ServerLog | Topic::Killed => format!(
            ", against {base_pct}% of all log lines: quiet periods explain some of them, not all"
        ),
        _ if quiet == 0 => ": they happened under load, not after idle periods".into(),
        _ => format!(", against {base_pct}% of all log lines"),
    };
    (format!("{head}{tail}"), None)
}
