//! Timestamps at the start of log lines, in the formats common in app logs:
//! ISO 8601 / Python logging / log4j, Go's `log`, Apache/nginx `[dd/Mon/yyyy:...]`,
//! and syslog (`Nov 20 03:14:15`, no year).

use regex::Regex;
use std::sync::LazyLock;

/// Only this many bytes at the start of a line are searched: a date later in
/// the line is part of the message, not when the line was written.
const PREFIX_BYTES: usize = 80;

/// One parsed timestamp.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stamp {
    /// As written in the log (shown in reports).
    pub text: String,
    /// Seconds since 1970 (UTC when the log gave an offset; otherwise the log's
    /// own clock, which is fine for gaps within one log).
    pub secs: f64,
}

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    super::words::regex(
        r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:\s?(Z|[+-]\d{2}:?\d{2})\b)?",
    )
    .expect("ISO timestamp regex")
});
static GO_LOG: LazyLock<Regex> = LazyLock::new(|| {
    super::words::regex(r"(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?")
        .expect("Go log timestamp regex")
});
static CLF: LazyLock<Regex> = LazyLock::new(|| {
    super::words::regex(
        r"\[(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?: ([+-]\d{4}))?\]",
    )
    .expect("CLF timestamp regex")
});
static SYSLOG: LazyLock<Regex> = LazyLock::new(|| {
    super::words::regex(r"^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})\b")
        .expect("syslog regex")
});

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Syslog lines carry no year: they are read as this year, and a jump back of
/// more than half a year is taken as the turn of the year.
const SYSLOG_BASE_YEAR: i64 = 2001;

/// Reads timestamps line by line; keeps the state syslog's missing year needs.
#[derive(Debug, Default)]
pub(super) struct Clock {
    syslog_year_offset: i64,
    last_syslog: Option<f64>,
    minute: Minute,
}

/// The last ISO timestamp's date, hour and minute as written (with the `[`
/// before it, if any, through the `:` before the seconds) and their seconds
/// since 1970: consecutive log lines mostly share them, and comparing 17
/// bytes is cheaper than reading five numbers and a calendar date.
#[derive(Debug, Default)]
struct Minute {
    text: [u8; 18],
    len: usize,
    secs: i64,
}

impl Minute {
    fn get(&self, line: &[u8]) -> Option<i64> {
        (self.len > 0 && line.get(..self.len) == Some(&self.text[..self.len])).then_some(self.secs)
    }

    fn set(&mut self, line: &[u8], len: usize, secs: i64) {
        self.text[..len].copy_from_slice(&line[..len]);
        self.len = len;
        self.secs = secs;
    }
}

impl Clock {
    /// The timestamp near the start of `line`, if any.
    #[cfg(test)]
    pub(super) fn parse(&mut self, line: &str) -> Option<Stamp> {
        self.parse_ref(line).map(|(text, secs)| Stamp {
            text: text.to_string(),
            secs,
        })
    }

    /// The timestamp's text (as shown in reports) and its seconds, without
    /// allocating: called for every line of a log.
    pub(super) fn parse_ref<'a>(&mut self, line: &'a str) -> Option<(&'a str, f64)> {
        let mut end = line.len().min(PREFIX_BYTES);
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        let prefix = &line[..end];
        // Most app logs start with an ISO timestamp: read it by hand, exactly
        // as the ISO regex would (anything else takes the regexes).
        if let Some(found) = iso_at_start(prefix, &mut self.minute) {
            return found;
        }
        if !prefix.bytes().any(|b| b.is_ascii_digit()) {
            return None;
        }
        if let Some(c) = ISO.captures(prefix) {
            let secs = civil(&c, 1, 2, 3, 4, 5, 6)? + fraction(c.get(7).map(|m| m.as_str()))
                - offset(c.get(8).map(|m| m.as_str()))?;
            return Some(stamp(c.get(0)?.as_str(), secs));
        }
        if let Some(c) = GO_LOG.captures(prefix) {
            let secs = civil(&c, 1, 2, 3, 4, 5, 6)? + fraction(c.get(7).map(|m| m.as_str()));
            return Some(stamp(c.get(0)?.as_str(), secs));
        }
        if let Some(c) = CLF.captures(prefix) {
            let month = month_number(c.get(2)?.as_str())?;
            let secs = seconds(
                num(c.get(3))?,
                month,
                num(c.get(1))?,
                num(c.get(4))?,
                num(c.get(5))?,
                num(c.get(6))?,
            )? - offset(c.get(7).map(|m| m.as_str()))?;
            return Some(stamp(c.get(0)?.as_str(), secs));
        }
        if let Some(c) = SYSLOG.captures(prefix) {
            let month = month_number(c.get(1)?.as_str())?;
            let mut secs = seconds(
                SYSLOG_BASE_YEAR + self.syslog_year_offset,
                month,
                num(c.get(2))?,
                num(c.get(3))?,
                num(c.get(4))?,
                num(c.get(5))?,
            )?;
            if let Some(last) = self.last_syslog
                && secs < last - 183.0 * 86_400.0
            {
                self.syslog_year_offset += 1;
                secs += 365.0 * 86_400.0;
            }
            self.last_syslog = Some(secs);
            return Some(stamp(c.get(0)?.as_str(), secs));
        }
        None
    }
}

/// The ISO regex's match when it starts at byte 0 or 1 of an ASCII prefix:
/// `Some(result)` when it does (the result is None for an impossible date,
/// as with the regex), None when the regexes must look.
fn iso_at_start<'a>(p: &'a str, minute: &mut Minute) -> Option<Option<(&'a str, f64)>> {
    let b = p.as_bytes();
    // Every byte this reads lies in the first 40 (a 1-byte '[', 19 for the
    // date and time, 10 for a fraction, 1 space, 6 for an offset and the byte
    // after it): ASCII there means the regex's Unicode classes (\d, \s, \b)
    // agree with these ASCII checks.
    if !b[..b.len().min(40)].is_ascii() {
        return None;
    }
    let start = if b.first() == Some(&b'[') { 1 } else { 0 };
    let d = |i: usize, n: usize| -> Option<i64> {
        let s = b.get(start + i..start + i + n)?;
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| s.iter().fold(0i64, |acc, x| acc * 10 + i64::from(x - b'0')))
    };
    let at = |i: usize| b.get(start + i).copied();
    // Through the ':' before the seconds.
    let head = start + 17;
    let base = match minute.get(b) {
        Some(secs) => Some(secs),
        None => {
            if at(4) != Some(b'-')
                || at(7) != Some(b'-')
                || !matches!(at(10), Some(b'T' | b' '))
                || at(13) != Some(b':')
                || at(16) != Some(b':')
            {
                return None;
            }
            let (y, mo, da, h, mi) = (d(0, 4)?, d(5, 2)?, d(8, 2)?, d(11, 2)?, d(14, 2)?);
            let base = minute_secs(y, mo, da, h, mi);
            if let Some(secs) = base {
                minute.set(b, head, secs);
            }
            base
        }
    };
    let s = d(17, 2)?;
    let mut end = start + 19;
    // (?:[.,](\d{1,9}))?
    let mut frac = None;
    if matches!(b.get(end), Some(b'.' | b',')) {
        let digits = b[end + 1..]
            .iter()
            .take(9)
            .take_while(|x| x.is_ascii_digit())
            .count();
        if digits > 0 {
            frac = Some(&p[end + 1..end + 1 + digits]);
            end += 1 + digits;
        }
    }
    // (?:\s?(Z|[+-]\d{2}:?\d{2})\b)?
    let mut zone = None;
    let mut z = end;
    if b.get(z).is_some_and(u8::is_ascii_whitespace) {
        z += 1;
    }
    let word = |i: usize| {
        b.get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    };
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    match b.get(z) {
        Some(b'Z') if !word(z + 1) => zone = Some((z, z + 1)),
        Some(b'+' | b'-') if digit(z + 1) && digit(z + 2) => {
            if b.get(z + 3) == Some(&b':') && digit(z + 4) && digit(z + 5) && !word(z + 6) {
                zone = Some((z, z + 6));
            } else if digit(z + 3) && digit(z + 4) && !word(z + 5) {
                zone = Some((z, z + 5));
            }
        }
        _ => {}
    }
    if let Some((_, e)) = zone {
        end = e;
    }
    let secs = match base {
        Some(base) if s <= 60 => (base + s) as f64,
        _ => return Some(None),
    };
    let off = match offset(zone.map(|(a, e)| &p[a..e])) {
        Some(o) => o,
        None => return Some(None),
    };
    // (No `stamp` trimming: this text starts with a digit and ends with a
    // digit or `Z`.)
    Some(Some((&p[start..end], secs + fraction(frac) - off)))
}

fn stamp(text: &str, secs: f64) -> (&str, f64) {
    (text.trim_start_matches('[').trim_end_matches(']'), secs)
}

fn num(m: Option<regex::Match<'_>>) -> Option<i64> {
    m?.as_str().parse().ok()
}

fn month_number(name: &str) -> Option<i64> {
    MONTHS.iter().position(|m| *m == name).map(|i| i as i64 + 1)
}

#[allow(clippy::too_many_arguments)] // one index per date field reads clearer than a struct here
fn civil(
    c: &regex::Captures<'_>,
    y: usize,
    mo: usize,
    d: usize,
    h: usize,
    mi: usize,
    s: usize,
) -> Option<f64> {
    seconds(
        num(c.get(y))?,
        num(c.get(mo))?,
        num(c.get(d))?,
        num(c.get(h))?,
        num(c.get(mi))?,
        num(c.get(s))?,
    )
}

/// Seconds since 1970-01-01 for a civil date and time; None for impossible fields.
fn seconds(year: i64, month: i64, day: i64, h: i64, mi: i64, s: i64) -> Option<f64> {
    if s > 60 {
        return None;
    }
    Some((minute_secs(year, month, day, h, mi)? + s) as f64)
}

/// Seconds since 1970-01-01 at the start of a minute; None for impossible fields.
fn minute_secs(year: i64, month: i64, day: i64, h: i64, mi: i64) -> Option<i64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 24 || mi > 59 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + mi * 60)
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm; proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `123` -> 0.123: digits over a power of ten, rounded once, so the same
/// double as parsing "0.123" (at most 9 digits, both exact before dividing).
fn fraction(m: Option<&str>) -> f64 {
    let Some(digits) = m.filter(|d| !d.is_empty() && d.len() <= 9) else {
        return 0.0;
    };
    let n = digits
        .bytes()
        .fold(0u64, |acc, b| acc * 10 + u64::from(b.wrapping_sub(b'0')));
    // Powers of ten to 1e9 are exact doubles: the same as `10f64.powi(len)`,
    // without a call per line.
    const POW10: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    n as f64 / POW10[digits.len()]
}

/// A UTC offset in seconds (`Z`, `+0100`, `-05:00`); 0 when absent.
fn offset(m: Option<&str>) -> Option<f64> {
    let Some(t) = m else { return Some(0.0) };
    if t == "Z" {
        return Some(0.0);
    }
    let sign = if t.starts_with('-') { -1.0 } else { 1.0 };
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    let h: f64 = digits.get(..2)?.parse().ok()?;
    let mi: f64 = digits.get(2..4)?.parse().ok()?;
    Some(sign * (h * 3600.0 + mi * 60.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(line: &str) -> f64 {
        Clock::default().parse(line).expect(line).secs
    }

    #[test]
    fn formats() {
        let base = secs("2026-11-20T03:14:15Z GET /");
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(base, 1_795_144_455.0);
        assert_eq!(secs("2026-11-20 03:14:15,123 ERROR x"), base + 0.123);
        assert_eq!(secs("2026-11-20T04:14:15+01:00 x"), base);
        assert_eq!(
            secs("[mysql] 2026/11/20 03:14:15 packets.go:36: unexpected EOF"),
            base
        );
        assert_eq!(
            secs("10.0.0.1 - - [20/Nov/2026:03:14:15 +0000] \"GET /\""),
            base
        );
        assert_eq!(
            secs("I, [2026-11-20T03:14:15.500000 #42]  INFO -- : x"),
            base + 0.5
        );
        let t = Clock::default()
            .parse("Nov 20 03:14:15 host app[1]: x")
            .unwrap();
        assert_eq!(t.text, "Nov 20 03:14:15");
        assert_eq!(
            Clock::default()
                .parse("[20/Nov/2026:03:14:15 +0000]")
                .unwrap()
                .text,
            "20/Nov/2026:03:14:15 +0000"
        );
    }

    /// What the ISO regex alone finds (the path before the hand-written one).
    fn by_regex(line: &str) -> Option<(String, f64)> {
        let c = ISO.captures(&line[..line.len().min(PREFIX_BYTES)])?;
        let secs = civil(&c, 1, 2, 3, 4, 5, 6)? + fraction(c.get(7).map(|m| m.as_str()))
            - offset(c.get(8).map(|m| m.as_str()))?;
        let (t, s) = stamp(c.get(0)?.as_str(), secs);
        Some((t.to_string(), s))
    }

    /// What the hand-written reader must answer: no match at the start (None)
    /// when the regex finds none.
    fn by_regex_outcome(line: &str) -> Option<Option<(&str, f64)>> {
        match by_regex(line) {
            None => None,
            Some(_) => panic!("{line}: the regex matches"),
        }
    }

    #[test]
    fn the_hand_written_iso_reader_agrees_with_the_regex() {
        for line in [
            "2026-11-20 03:14:15,123 ERROR x",
            "2026-11-20T03:14:15.123456789Z x",
            "2026-11-20T03:14:15.1234567891 x",
            "2026-11-20T03:14:15+01:00 x",
            "2026-11-20T03:14:15 +0100 x",
            "2026-11-20T03:14:15+01:00x",
            "2026-11-20T03:14:15+0100x",
            "2026-11-20T03:14:15Zulu",
            "2026-11-20T03:14:15Z",
            "2026-11-20T03:14:15-05:30",
            "2026-11-20T03:14:15.",
            "2026-11-20 03:14:15, x",
            "[2026-11-20T03:14:15.500Z] x",
            "2026-13-20 03:14:15 impossible",
            "2026-11-20 25:14:15 impossible",
            "2026-11-20T03:14:15+01:0 x",
        ] {
            let fast = iso_at_start(line, &mut Minute::default())
                .expect(line)
                .map(|(t, s)| (t.to_string(), s));
            assert_eq!(fast, by_regex(line), "{line}");
            // The same after a line with the same minute, or another one.
            for before in [line, "2026-11-20 03:14:00 x", "2026-11-20T03:14:59Z"] {
                let mut minute = Minute::default();
                let _ = iso_at_start(before, &mut minute);
                let cached = iso_at_start(line, &mut minute)
                    .expect(line)
                    .map(|(t, s)| (t.to_string(), s));
                assert_eq!(cached, by_regex(line), "{line} after {before}");
            }
        }
        assert_eq!(
            iso_at_start("x 2026-11-20 03:14:15", &mut Minute::default()),
            None
        );
        let mut minute = Minute::default();
        let _ = iso_at_start("2026-11-20 03:14:15 x", &mut minute);
        for line in [
            "2026-11-20 03:14:",
            "2026-11-20 03:14:1x",
            "2026-11-20 03:14",
        ] {
            assert_eq!(
                iso_at_start(line, &mut minute),
                by_regex_outcome(line),
                "{line}"
            );
        }
    }

    #[test]
    fn syslog_year_turns() {
        let mut c = Clock::default();
        let dec = c.parse("Dec 31 23:59:00 h a: x").unwrap().secs;
        let jan = c.parse("Jan  1 00:01:00 h a: x").unwrap().secs;
        assert_eq!(jan - dec, 120.0);
    }

    #[test]
    fn not_timestamps() {
        let mut c = Clock::default();
        for line in [
            "",
            "no digits here",
            "the 2026-13-40T99:99:99 is not a date",
            &format!("{}2026-11-20T03:14:15Z", " ".repeat(100)),
            "Nov 99 03:14:15 x",
        ] {
            assert_eq!(c.parse(line), None, "{line}");
        }
    }
}
