//! Line scanning: which lines match which patterns, and how matching lines join
//! into occurrences (one per error, however many lines its traceback takes).
//!
//! The joining rule, in short: a matching line joins a recent occurrence (at most
//! [`MERGE_WINDOW`] significant lines back; traceback frames, indented lines,
//! `Caused by:` and SQLAlchemy's `[SQL: ...]` blocks do not count) when it is
//! - chained to it (`Caused by:`, or an indented `key: value` line such as
//!   Node's `code: 'PROTOCOL_CONNECTION_LOST'`: always part of that error),
//! - the same kind and code re-raised through another layer (PyMySQL's error,
//!   then SQLAlchemy's wrapper of it),
//! - a transport symptom next to a driver error or the other way round (Go's
//!   `packets.go: unexpected EOF` then `invalid connection`),
//! - a tail line of it (Connector/J's "The last packet ..." line), or
//! - the exception line that ends a Python traceback, which joins what the
//!   traceback belongs to (the log line that announced it, or the exception it
//!   chains from after "The above exception was the direct cause ...").
//!
//! The same kind through the same layer on a new line is a new occurrence.

use super::occurrence::{Numbers, Occurrence};
use super::patterns::{COMPILED, KINDS, LAYERS, PATTERNS, Role, layer_rank};
use super::prefilter::PREFILTER;
use super::text::clean_example;
use super::timestamp::{Clock, Stamp};
use regex::Regex;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::LazyLock;

/// How many significant lines apart two lines of one error may be.
pub(super) const MERGE_WINDOW: usize = 5;
/// Longer lines are cut to this many bytes before matching.
pub(super) const MAX_LINE_BYTES: usize = 10_000;
/// Two timestamped lines further apart than this are never one error.
const MERGE_MAX_SKEW_S: f64 = 5.0;
/// Recent occurrences kept open for joining (only those in the window qualify).
const OPEN_MAX: usize = 8;
/// A `[SQL: ...` block longer than this is not followed further.
const SQL_BLOCK_MAX_LINES: usize = 500;

/// Named captures that are numbers; every other capture is a string (a test
/// checks each capture in the table is in one of the two lists).
pub(super) const NUMERIC_KEYS: &[&str] = &[
    "pool_size",
    "max_overflow",
    "timeout_s",
    "timeout_ms",
    "waited_s",
    "pool_total",
    "pool_active",
    "pool_idle",
    "pool_waiting",
    "last_packet_ms",
    "last_packet_sent_ms",
    "packet_bytes",
    "max_allowed_packet_bytes",
    "system_error",
    "max_user_connections",
    "wait_timeout_s",
    "connection_limit",
    "pool_max_active",
];
#[cfg(test)]
pub(super) const STRING_KEYS: &[&str] = &[
    "pool_name",
    "phase",
    "server_address",
    "user",
    "host",
    "using_password",
    "database",
    "bad_idle_reason",
    "reason",
    "sqlalchemy_code",
];

/// Everything one pass over the text found.
pub(super) struct Scan {
    pub lines_read: usize,
    /// The groups, built as occurrences were finished.
    pub groups: Vec<super::model::Group>,
    pub unrecognised: usize,
}

static CONTINUATION: LazyLock<Regex> = LazyLock::new(|| {
    super::words::regex(
        r"^(?:\s|$)|^(?:Traceback \(most recent call last\)|The above exception was the direct cause|During handling of the above exception|Caused by:|\.\.\. \d+ (?:more|common frames omitted)|\[SQL: |\[parameters: |\(Background on this error at|[\]})]+[,;]?\s*$)",
    )
    .expect("continuation regex")
});
/// Lines that continue the error above them whatever they say: Java's chained
/// `Caused by:` and indented `key: value` properties (Node's error objects,
/// `[cause]:`). Other indented lines (frames, code, bullet lists) only do not
/// count for the window.
static CHAINED: LazyLock<Regex> = LazyLock::new(|| {
    super::words::regex(r"^(?:Caused by:|\s+(?:\[cause\]:?\s|[A-Za-z_]\w*: ))")
        .expect("chained regex")
});
/// Stack frames (Java, Node: `at ...`; Python: `File "..."`) name classes and
/// files such as `createCommunicationsException`, never an error: not matched.
static FRAME: LazyLock<Regex> =
    LazyLock::new(|| super::words::regex(r#"^\s+(?:at\s|File\s")"#).expect("frame regex"));
/// Prefixes that log collectors put before every line (docker compose's
/// `web-1  | `, kubectl's `[pod/name/container] `): removed, so timestamps and
/// indentation are seen as the app wrote them.
static LOG_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    super::words::regex(r"^(?:[a-z0-9][a-z0-9_.-]*[-_]\d+ +\| ?|\[pod/[^\]\s]+\] )")
        .expect("prefix regex")
});
static LOOKS_LIKE_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    super::words::regex(
        r"(?i)error|exception|fatal|traceback|panic|\bfail(?:ed|ure)?\b|\bcritical\b",
    )
    .expect("error-word regex")
});
/// MySQL error codes as drivers print them: `(2006, '`, `ERROR 2006 (HY000)`,
/// Go's `Error 1040:`, Node's `errno: 4031`, Connector/Python's `2055: `.
static ERROR_CODE: LazyLock<Regex> = LazyLock::new(|| {
    super::words::regex(
        r#"\((\d{4}),\s*['"]|\bERROR (\d{4}) \([0-9A-Z]{5}\)|\bError (\d{4})(?: \([0-9A-Z]{5}\))?:|\berrno: (\d{4})\b|(?:^|[\s)#])(\d{4})(?: \([0-9A-Z]{5}\))?: |SQL Error: (\d{4})"#,
    )
    .expect("error code regex")
});
/// OS error numbers: `system error: 32`, `[Errno 104]`, `BrokenPipeError(32,`, Node's `errno: -104`.
static SYSTEM_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    super::words::regex(
        r"system error: (\d+)|\[Errno (\d+)\]|(?:BrokenPipe|ConnectionReset|ConnectionAborted|ConnectionRefused|Timeout)Error\((\d+)|errno: -(\d+)",
    )
    .expect("system error regex")
});

/// What shows that a generic network error (reset, broken pipe, refused)
/// came from a database connection: a database, driver, ORM or pool name, the
/// MySQL port, or mysql2's `fatal: true` property. Without it such a line is
/// an HTTP server's, a CDN's or a message queue's and no MySQL failure.
static DB_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    super::words::regex(
        r"(?i)mysql|mariadb|\bsql|jdbc|database|\bdb\b|pymysql|sqlalchemy|activerecord|hikari|sequelize|knex|prisma|typeorm|doctrine|\bpdo\b|trilogy|:3306\b|packets\.go|driver: bad connection|^\s+fatal: true",
    )
    .expect("database context regex")
});

/// Error codes the tables know; other 4-digit numbers are not taken as codes.
static KNOWN_CODES: LazyLock<Vec<i64>> = LazyLock::new(|| {
    let mut codes: Vec<i64> = KINDS.iter().filter_map(|k| k.code).collect();
    for p in PATTERNS {
        for (key, value) in p.sets {
            if let (&"error_code", super::patterns::Const::Int(c)) = (key, value) {
                codes.push(*c);
            }
        }
    }
    codes.extend([2002, 2003, 2013, 2020, 2055, 1044, 1203, 1226]);
    codes.sort_unstable();
    codes.dedup();
    codes
});

/// Scans a stream once, line by line (see [`super::lines::for_each`]);
/// memory does not grow with its length.
pub(super) fn scan(reader: impl std::io::BufRead) -> std::io::Result<Scan> {
    let mut s = Scanner::default();
    super::lines::for_each(reader, MAX_LINE_BYTES, |line| s.line(line))?;
    Ok(s.finish())
}

#[derive(Default)]
struct Scanner {
    unrecognised: usize,
    gaps: super::group::GapStats,
    grouper: super::group::Grouper,
    line_no: usize,
    /// Significant (non-continuation) lines so far.
    sig: usize,
    clock: Clock,
    last_ts: Option<Stamp>,
    last_gap: Option<f64>,
    /// Inside a multi-line `[SQL: ...]` block: lines seen so far.
    in_sql: usize,
    /// The recent occurrences that later lines may still join, oldest first;
    /// older ones are finished and handed to the grouper.
    open: VecDeque<Occurrence>,
    last_hit_sig: Option<usize>,
    /// Error-looking lines not yet known to belong to a recognised error.
    pending: VecDeque<usize>,
    /// The significant line a Python traceback's error started on (the line
    /// before its first `Traceback (most recent call last):`).
    tb_start: Option<usize>,
    /// `sig` at the latest `Traceback (most recent call last):` line.
    tb_marker_sig: Option<usize>,
    /// Line number of the latest "The above exception ..." / "During handling ..." line.
    chain_marker_line: usize,
    /// `sig` of the latest weak occurrence (see [`Occurrence::weak`]): lines
    /// within the window of it are checked for database context.
    last_weak_sig: Option<usize>,
}

/// What one line matched.
struct LineHit<'a> {
    line: &'a str,
    /// The pattern that decides the kind (highest rank, then table order).
    best: usize,
    layer: usize,
    numbers: Numbers,
    /// The line's own timestamp, in seconds.
    stamp: Option<f64>,
    chained: bool,
    /// The exception line ending a Python traceback: may join only what began
    /// at or after this significant line.
    traceback_from: Option<usize>,
    /// The line names a database, driver, ORM or pool ([`DB_CONTEXT`]).
    db: bool,
    /// A generic network error without database context on its line.
    weak: bool,
}

impl Scanner {
    fn line(&mut self, raw: &str) {
        self.line_no += 1;
        let mut line = truncate(raw, MAX_LINE_BYTES);
        // The regexes below run only on lines whose first bytes allow a match.
        if (memchr::memchr(b'|', line.as_bytes()).is_some() || line.starts_with("[pod/"))
            && let Some(m) = LOG_PREFIX.find(line)
        {
            line = &line[m.end()..];
        }
        let mut stamp_end = 0;
        let stamp = self.clock.parse_ref(line).map(|(text, secs)| {
            stamp_end = text.as_ptr() as usize - line.as_ptr() as usize + text.len();
            if let Some(last) = &self.last_ts {
                let gap = (secs - last.secs).max(0.0);
                self.gaps.add(gap);
                self.last_gap = Some(gap);
            }
            // Reuses the last stamp's text buffer: no allocation per line.
            match &mut self.last_ts {
                Some(last) => {
                    last.text.clear();
                    last.text.push_str(text);
                    last.secs = secs;
                }
                None => {
                    self.last_ts = Some(Stamp {
                        text: text.to_string(),
                        secs,
                    })
                }
            }
            secs
        });
        let continuation = self.is_continuation(line, stamp.is_some());
        if !continuation {
            self.sig += 1;
        }
        // Error-looking lines with no recognised error close by are unrecognised.
        while let Some(&p) = self.pending.front() {
            if self.sig - p <= MERGE_WINDOW {
                break;
            }
            self.pending.pop_front();
            self.unrecognised += 1;
        }

        // (The first byte first: most lines start with neither.)
        let first = line.as_bytes().first().copied();
        if matches!(first, Some(b'T' | b'D'))
            && (line.starts_with("The above exception was the direct cause")
                || line.starts_with("During handling of the above exception"))
        {
            self.chain_marker_line = self.line_no;
        } else if first == Some(b'T') && line.starts_with("Traceback (most recent call last)") {
            // A traceback right after "The above exception ..." (one blank line
            // between) continues the same error; any other starts a new one.
            let chained = self.tb_start.is_some() && self.line_no <= self.chain_marker_line + 3;
            if !chained {
                self.tb_start = Some(self.sig);
            }
            self.tb_marker_sig = Some(self.sig);
        }
        if let Some(w) = self.last_weak_sig {
            if self.sig - w > MERGE_WINDOW {
                self.last_weak_sig = None;
            } else if continuation && DB_CONTEXT.is_match(line) {
                // A frame or indented line of the error's own that names the database.
                self.confirm_weak();
            }
        }
        if may_be_indented(line) && FRAME.is_match(line) {
            return;
        }
        if !PREFILTER.worth_a_look(line, stamp_end) {
            return; // no pattern can match, and it does not look like an error
        }
        let Some(class) = classify(line) else {
            self.no_hit(line, continuation);
            return;
        };
        let any_start = class.any_start;
        let db = DB_CONTEXT.is_match(line);
        let weak = PATTERNS[class.best].needs_db && !db;
        let hit = LineHit {
            line,
            best: class.best,
            layer: class.layer,
            numbers: class.numbers,
            stamp,
            chained: CHAINED.is_match(line),
            traceback_from: match (self.tb_marker_sig, self.tb_start) {
                (Some(m), Some(start)) if !continuation && self.sig == m + 1 => Some(start),
                _ => None,
            },
            db,
            weak,
        };
        let taken = if any_start {
            self.start(hit);
            true
        } else {
            self.tail(hit)
        };
        if taken {
            self.last_hit_sig = Some(self.sig);
            self.pending.clear();
        } else {
            self.no_hit(line, continuation);
        }
    }

    fn finish(mut self) -> Scan {
        self.unrecognised += self.pending.len();
        while let Some(o) = self.open.pop_front() {
            self.retire(o);
        }
        Scan {
            lines_read: self.line_no,
            groups: self.grouper.finish(&self.gaps),
            unrecognised: self.unrecognised,
        }
    }

    /// An occurrence no later line can join: into its group (network noise
    /// without database context is dropped).
    fn retire(&mut self, o: Occurrence) {
        if !o.weak {
            self.grouper.add(&o);
        }
    }

    fn no_hit(&mut self, line: &str, continuation: bool) {
        if continuation || !LOOKS_LIKE_ERROR.is_match(line) {
            return;
        }
        if self
            .last_hit_sig
            .is_some_and(|h| self.sig - h <= MERGE_WINDOW)
        {
            return; // a log line about the error just recognised
        }
        self.pending.push_back(self.sig);
    }

    /// Traceback frames, indented lines, chained causes and SQL blocks belong
    /// to the entry above them and do not move the joining window.
    fn is_continuation(&mut self, line: &str, stamped: bool) -> bool {
        if self.in_sql > 0 {
            if stamped || self.in_sql > SQL_BLOCK_MAX_LINES {
                self.in_sql = 0;
            } else {
                self.in_sql += 1;
                if line.trim_end().ends_with(']')
                    || line.starts_with("[parameters:")
                    || line.starts_with("(Background on this error")
                {
                    self.in_sql = 0;
                }
                return true;
            }
        }
        if line.starts_with("[SQL: ") && !line.trim_end().ends_with(']') {
            self.in_sql = 1;
        }
        may_continue(line) && CONTINUATION.is_match(line)
    }

    /// A line with a Start pattern: joins a recent occurrence or begins one.
    fn start(&mut self, hit: LineHit<'_>) {
        let Some(kind) = COMPILED.pattern_kind[hit.best] else {
            return;
        };
        let chained = hit.chained || hit.traceback_from.is_some();
        let rank = KINDS[kind].rank;
        let target = (0..self.open.len()).rev().find(|&i| {
            let o = &self.open[i];
            if !self.joinable(o, hit.stamp) {
                return false;
            }
            if hit.traceback_from.is_some_and(|from| o.first_sig < from) {
                return false; // an earlier error, not the one this traceback belongs to
            }
            if o.weak != hit.weak && !chained {
                return false; // network noise next to a database error is not part of it
            }
            if o.kind == kind {
                codes_compatible(&o.numbers, &hit.numbers)
                    && (chained || o.layers & (1 << hit.layer) == 0)
            } else {
                chained || (KINDS[o.kind].rank == 0) != (rank == 0)
            }
        });
        match target {
            Some(i) => {
                let sig = self.sig;
                let line_no = self.line_no;
                let o = &mut self.open[i];
                let outer = hit.layer < o.layer;
                let mut headline = outer;
                if kind != o.kind {
                    let connect = |k: usize| KINDS[k].topic == super::patterns::Topic::Connect;
                    let idle = KINDS[o.kind].topic == super::patterns::Topic::Idle;
                    if KINDS[o.kind].rank == 0 && rank >= 1 {
                        o.kind = kind; // the driver error explains the transport symptom
                        headline = true;
                    } else if rank == 2 && connect(kind) && idle && KINDS[o.kind].rank == 1 {
                        // A link failure caused by a failed connect (a TLS
                        // handshake, a blocked host) is that connect failure.
                        o.kind = kind;
                        headline = true;
                    } else if rank >= 1 && o.caused_by.is_none() && chained {
                        o.caused_by = Some(kind);
                    }
                }
                join(o, &hit, sig, line_no);
                o.weak &= hit.weak;
                if headline {
                    o.headline = clean_example(hit.line);
                    if COMPILED.pattern_kind[hit.best] == Some(o.kind) {
                        o.note = PATTERNS[hit.best].note.or(o.note);
                    }
                }
            }
            None => self.create(kind, hit),
        }
    }

    /// A line with only Tail patterns: continues a recent occurrence, else
    /// begins its own (if its pattern names a kind). False when it was neither.
    fn tail(&mut self, hit: LineHit<'_>) -> bool {
        let p = &PATTERNS[hit.best];
        let Role::Tail(of) = p.role else {
            return false;
        };
        let kind = COMPILED.pattern_kind[hit.best];
        let wanted = |k: usize| of.is_empty() || of.contains(&KINDS[k].id);
        let target = (0..self.open.len()).rev().find(|&i| {
            let o = &self.open[i];
            self.joinable(o, hit.stamp) && (wanted(o.kind) || o.caused_by.is_some_and(wanted))
        });
        match (target, kind) {
            (Some(i), _) => {
                let sig = self.sig;
                let line_no = self.line_no;
                let o = &mut self.open[i];
                if let Some(k) = kind
                    && k != o.kind
                {
                    if wanted(o.kind) && KINDS[k].rank > KINDS[o.kind].rank {
                        o.kind = k;
                        o.note = p.note;
                    } else if let Some(c) = o.caused_by
                        && wanted(c)
                        && KINDS[k].rank > KINDS[c].rank
                    {
                        o.caused_by = Some(k);
                    }
                }
                join(o, &hit, sig, line_no);
                // A detail line (a timeout) is as generic as a reset.
                o.weak &= !(hit.db || kind.is_some());
                true
            }
            (None, Some(k)) => {
                self.create(k, hit);
                true
            }
            (None, None) => false,
        }
    }

    fn joinable(&self, o: &Occurrence, stamp: Option<f64>) -> bool {
        if self.sig - o.last_sig > MERGE_WINDOW {
            return false;
        }
        match (stamp, &o.time) {
            (Some(a), Some(b)) => (a - b.secs).abs() <= MERGE_MAX_SKEW_S,
            _ => true,
        }
    }

    /// Database context near weak occurrences: they were database errors.
    fn confirm_weak(&mut self) {
        let sig = self.sig;
        for o in &mut self.open {
            if o.weak && sig - o.last_sig <= MERGE_WINDOW {
                o.weak = false;
            }
        }
        self.last_weak_sig = None;
    }

    fn create(&mut self, kind: usize, hit: LineHit<'_>) {
        if hit.weak {
            self.last_weak_sig = Some(self.sig);
        }
        let note = if COMPILED.pattern_kind[hit.best] == Some(kind) {
            PATTERNS[hit.best].note
        } else {
            None
        };
        self.open.push_back(Occurrence {
            kind,
            caused_by: None,
            layers: 1 << hit.layer,
            layer: hit.layer,
            numbers: hit.numbers,
            first_line: self.line_no,
            last_line: self.line_no,
            headline: clean_example(hit.line),
            note,
            last_sig: self.sig,
            first_sig: self.sig,
            time: self.last_ts.clone(),
            quiet_before_s: self.last_gap,
            weak: hit.weak,
        });
        if self.open.len() > OPEN_MAX
            && let Some(old) = self.open.pop_front()
        {
            self.retire(old);
        }
    }
}

/// What the patterns say about one line.
struct Class {
    best: usize,
    any_start: bool,
    layer: usize,
    numbers: Numbers,
}

/// Matches one line against the table; None when no pattern matches.
fn classify(line: &str) -> Option<Class> {
    let c = &*COMPILED;
    let matched = c.set.matches(line);
    if !matched.matched_any() {
        return None;
    }
    // The kind: the highest-ranked pattern that names one (table order breaks ties).
    let mut best: Option<(usize, u8)> = None;
    let mut any_start = false;
    for idx in matched.iter() {
        any_start |= matches!(PATTERNS[idx].role, Role::Start);
        if let Some(k) = c.pattern_kind[idx] {
            let rank = KINDS[k].rank;
            if best.is_none_or(|(_, r)| rank > r) {
                best = Some((idx, rank));
            }
        }
    }
    let best_kind = best.and_then(|(i, _)| c.pattern_kind[i]);
    // Numbers come from patterns of that kind and from detail patterns
    // (transport symptoms, links); another kind's captures would mislabel.
    let mut numbers = Numbers::new();
    let mut layer = LAYERS.len();
    for idx in matched.iter() {
        let p = &PATTERNS[idx];
        let contributes = match c.pattern_kind[idx] {
            None => true,
            Some(k) => Some(k) == best_kind || KINDS[k].rank == 0,
        };
        if !contributes {
            continue;
        }
        let re = c.pattern(idx);
        if let Some(caps) = re.captures(line) {
            for name in re.capture_names().flatten() {
                if let Some(m) = caps.name(name) {
                    numbers
                        .entry(name.to_string())
                        .or_insert_with(|| value_of(name, m.as_str()));
                }
            }
        }
        for (key, value) in p.sets {
            numbers
                .entry(key.to_string())
                .or_insert_with(|| match value {
                    super::patterns::Const::Int(i) => Value::from(*i),
                    super::patterns::Const::Str(s) => Value::from(*s),
                });
        }
        if let Some(l) = p.layer {
            layer = layer.min(layer_rank(l));
        }
    }
    // The outermost layer the line shows (a pattern's own layer counts too).
    if layer > 0
        && let Some(rank) = c.layers.matches(line).iter().next()
        && rank < layer
    {
        layer = rank;
    }
    extract_codes(line, &mut numbers);
    Some(Class {
        best: best.map_or_else(|| matched.iter().next().unwrap_or(0), |(i, _)| i),
        any_start,
        layer,
        numbers,
    })
}

/// Adds a line to an occurrence: its numbers fill gaps (earlier lines win).
fn join(o: &mut Occurrence, hit: &LineHit<'_>, sig: usize, line_no: usize) {
    for (k, v) in &hit.numbers {
        o.numbers.entry(k.clone()).or_insert_with(|| v.clone());
    }
    o.layers |= 1 << hit.layer;
    o.layer = o.layer.min(hit.layer);
    o.last_line = line_no;
    o.last_sig = sig;
}

fn codes_compatible(a: &Numbers, b: &Numbers) -> bool {
    match (a.get("error_code"), b.get("error_code")) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// MySQL error code and OS error number, when the line shows them.
fn extract_codes(line: &str, numbers: &mut Numbers) {
    if !numbers.contains_key("error_code")
        && let Some(code) = ERROR_CODE.captures_iter(line).find_map(|c| {
            c.iter()
                .skip(1)
                .flatten()
                .find_map(|m| m.as_str().parse::<i64>().ok())
                .filter(|n| KNOWN_CODES.binary_search(n).is_ok())
        })
    {
        numbers.insert("error_code".into(), Value::from(code));
    }
    if !numbers.contains_key("system_error")
        && let Some(n) = SYSTEM_ERROR.captures(line).and_then(|c| {
            c.iter()
                .skip(1)
                .flatten()
                .find_map(|m| m.as_str().parse::<i64>().ok())
        })
    {
        numbers.insert("system_error".into(), Value::from(n));
    }
}

/// A captured value: numbers for [`NUMERIC_KEYS`] (`28,801,123` too), else text.
fn value_of(key: &str, raw: &str) -> Value {
    let text = raw.trim();
    if NUMERIC_KEYS.contains(&key) {
        let digits: String = text.chars().filter(|c| *c != ',').collect();
        if let Ok(i) = digits.parse::<i64>() {
            return Value::from(i);
        }
        if let Ok(f) = digits.parse::<f64>()
            && f.is_finite()
        {
            return Value::from(f);
        }
    }
    Value::from(text)
}

/// Whether the line starts with whitespace (or something that may be
/// Unicode whitespace): the only lines `FRAME` can match.
fn may_be_indented(line: &str) -> bool {
    line.as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_whitespace() || !b.is_ascii())
}

/// Whether `CONTINUATION` can match: an empty or indented line, or one
/// starting with a character its other alternatives start with.
fn may_continue(line: &str) -> bool {
    match line.as_bytes().first() {
        None => true,
        Some(b) => {
            !b.is_ascii()
                || b.is_ascii_whitespace()
                || matches!(
                    b,
                    b'T' | b'D' | b'C' | b'.' | b'[' | b'(' | b']' | b'}' | b')'
                )
        }
    }
}

/// The first `max` bytes of `line`, cut at a character boundary.
fn truncate(line: &str, max: usize) -> &str {
    if line.len() <= max {
        return line;
    }
    let mut end = max;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}
