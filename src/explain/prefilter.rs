//! A cheap first look at each line: one case-insensitive multi-literal scan
//! (Aho-Corasick) for the literals every message pattern requires and the
//! words that make a line look like an error. A line that contains none of
//! them cannot match any pattern and cannot be an unrecognised error, so the
//! regexes are skipped for it (most lines of a log).
//!
//! The literals are taken from the patterns themselves (their parsed syntax),
//! so the table cannot drift from them: a pattern whose match does not force
//! some literal (a test checks there is none) would turn the prefilter off.

use super::patterns::PATTERNS;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex_syntax::hir::{Class, Hir, HirKind};
use std::sync::LazyLock;

/// Words [`super::recognize`]'s error-looking test (`LOOKS_LIKE_ERROR`) needs.
pub(super) const ERROR_WORDS: &[&str] = &[
    "error",
    "exception",
    "fatal",
    "traceback",
    "panic",
    "fail",
    "critical",
];

/// Shorter literals would let most lines through; the table's test keeps them out.
pub(super) const MIN_LITERAL: usize = 3;

/// Literals are cut to this many bytes for the scan.
const PREFIX_LEN: usize = 5;

pub(super) struct Prefilter {
    /// None: some pattern forces no literal, so every line is matched in full.
    ac: Option<AhoCorasick>,
    /// The longest start of a literal made only of timestamp characters:
    /// a literal can begin at most this far back inside a timestamp.
    overlap: usize,
}

/// What an ISO timestamp is made of (digits, `-:T,.Z+` and space).
fn stamp_char(b: u8) -> bool {
    b.is_ascii_digit()
        || matches!(
            b,
            b'-' | b':' | b'T' | b't' | b' ' | b',' | b'.' | b'Z' | b'z' | b'+'
        )
}

impl Prefilter {
    /// Whether the line may match a pattern or look like an error.
    /// `stamp_end`: where the line's timestamp ends (0: none). A timestamp made
    /// only of timestamp characters can hold no literal, so the scan starts
    /// just before its end.
    pub(super) fn worth_a_look(&self, line: &str, stamp_end: usize) -> bool {
        let Some(ac) = &self.ac else { return true };
        let bytes = line.as_bytes();
        let from = if stamp_end > 0 && bytes[..stamp_end].iter().all(|b| stamp_char(*b)) {
            stamp_end.saturating_sub(self.overlap)
        } else {
            0
        };
        ac.is_match(&bytes[from..])
    }
}

pub(super) static PREFILTER: LazyLock<Prefilter> = LazyLock::new(|| {
    let mut literals: Vec<String> = ERROR_WORDS.iter().map(|w| w.to_string()).collect();
    for p in PATTERNS {
        match pattern_literals(p.regex) {
            Some(l) => literals.extend(l),
            None => {
                return Prefilter {
                    ac: None,
                    overlap: 0,
                };
            }
        }
    }
    // A prefix of a required literal is required too; short ones make a small
    // automaton that stays in cache (the scan is then a few times faster)
    // while still letting almost no ordinary log line through.
    for l in &mut literals {
        if l.len() > PREFIX_LEN {
            let mut end = PREFIX_LEN;
            while !l.is_char_boundary(end) {
                end -= 1;
            }
            l.truncate(end);
        }
    }
    literals.sort();
    literals.dedup();
    // A DFA: one table lookup per byte, the fastest scan for a few hundred
    // literals (the automaton is built once, about 1 MiB).
    // A literal made only of timestamp characters could sit wholly inside
    // one: then no part of a timestamp is skipped.
    let overlap = literals
        .iter()
        .map(|l| match l.bytes().take_while(|b| stamp_char(*b)).count() {
            n if n == l.len() => usize::MAX,
            n => n,
        })
        .max()
        .unwrap_or(0);
    let ac = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .prefilter(false)
        .build(&literals)
        .ok();
    Prefilter { ac, overlap }
});

/// Literals (lowercase) one of which every match of `regex` contains.
pub(super) fn pattern_literals(regex: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::parse(regex).ok()?;
    required(&hir)
}

fn required(h: &Hir) -> Option<Vec<String>> {
    match h.kind() {
        HirKind::Literal(_) | HirKind::Class(_) => text(h).map(|t| vec![t]),
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(required(a)?);
            }
            Some(out)
        }
        HirKind::Concat(items) => {
            // The longest run of literal characters, else a part that forces
            // long enough literals of its own.
            let mut best = String::new();
            let mut run = String::new();
            for item in items {
                match text(item) {
                    Some(t) => run.push_str(&t),
                    None => {
                        if run.len() > best.len() {
                            best = std::mem::take(&mut run);
                        }
                        run.clear();
                    }
                }
            }
            if run.len() > best.len() {
                best = run;
            }
            if best.len() >= MIN_LITERAL {
                return Some(vec![best]);
            }
            items
                .iter()
                .filter_map(required)
                .find(|l| l.iter().all(|t| t.len() >= MIN_LITERAL))
                .or_else(|| (!best.is_empty()).then(|| vec![best]))
        }
        _ => None,
    }
}

/// The node as literal text (lowercase ASCII), if it is one: a literal, or a
/// class that only spells one letter in both cases (`(?i)` turns `k` into
/// `[Kk\u{212A}]`).
fn text(h: &Hir) -> Option<String> {
    match h.kind() {
        HirKind::Literal(l) => Some(String::from_utf8_lossy(&l.0).to_ascii_lowercase()),
        HirKind::Class(Class::Unicode(c)) => {
            let mut letter: Option<char> = None;
            for r in c.ranges() {
                for ch in r.start()..=r.end() {
                    if ch.is_ascii() {
                        let lower = ch.to_ascii_lowercase();
                        if letter.is_some_and(|l| l != lower) {
                            return None;
                        }
                        letter = Some(lower);
                    } else if !matches!(ch, '\u{212A}' | '\u{017F}') {
                        return None;
                    }
                }
            }
            letter.map(String::from)
        }
        HirKind::Class(Class::Bytes(c)) => {
            let mut letter: Option<u8> = None;
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    let lower = b.to_ascii_lowercase();
                    if !b.is_ascii() || letter.is_some_and(|l| l != lower) {
                        return None;
                    }
                    letter = Some(lower);
                }
            }
            letter.map(|b| char::from(b).to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_forces_long_literals() {
        for p in PATTERNS {
            let lits = pattern_literals(p.regex)
                .unwrap_or_else(|| panic!("no literal forced by {}", p.regex));
            assert!(
                lits.iter().all(|l| l.len() >= MIN_LITERAL),
                "{}: {lits:?}",
                p.regex
            );
        }
        assert!(PREFILTER.ac.is_some());
        // The skip only pays if no literal is all timestamp characters.
        assert!(PREFILTER.overlap < 8, "{}", PREFILTER.overlap);
    }

    #[test]
    fn literals_of_case_insensitive_and_alternated_patterns() {
        assert_eq!(
            pattern_literals(r"(?i)\bbroken pipe\b|\bEPIPE\b").unwrap(),
            ["broken pipe", "epipe"]
        );
        assert_eq!(
            pattern_literals(r"(?P<n>[\w.]+) - Connection is not available, after (?P<t>\d+)ms")
                .unwrap(),
            [" - connection is not available, after "]
        );
        let noise = "2026-11-20 00:00:01,000 INFO GET /orders/1 200 3ms";
        assert!(!PREFILTER.worth_a_look(noise, 0));
        assert!(!PREFILTER.worth_a_look(noise, 23));
        assert!(PREFILTER.worth_a_look("(2006, 'MySQL server has gone away')", 0));
        assert!(PREFILTER.worth_a_look("something FAILED here", 0));
        // A literal ending right after the timestamp is still seen.
        let hit = "2026-11-20 00:00:01,000 ERROR x";
        assert!(PREFILTER.worth_a_look(hit, 23));
    }
}
