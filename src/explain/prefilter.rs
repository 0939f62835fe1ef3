//! A cheap first look at each line: one case-insensitive multi-literal scan
//! for the literals every message pattern requires and the words that make a
//! line look like an error. A line that contains none of them cannot match
//! any pattern and cannot be an unrecognised error, so the regexes are skipped
//! for it (most lines of a log).
//!
//! The scan hashes the (case-folded) four bytes at every other position of
//! the line into a bit table that fits the L1 cache, and compares the
//! literals whose hash is set there; an ordinary log line has no such
//! position at all. That
//! is a few times cheaper per byte than an Aho-Corasick DFA (about 1 MiB,
//! one dependent table load per byte), which remains the fallback for
//! literals too short to hash.
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

/// Bits of the hash: a table of 2^16 bits (8 KiB).
const HASH_BITS: u32 = 16;

pub(super) struct Prefilter {
    /// None: some pattern forces no literal, so every line is matched in full.
    scan: Option<Scan>,
    /// The longest start of a literal made only of timestamp characters:
    /// a literal can begin at most this far back inside a timestamp.
    overlap: usize,
}

enum Scan {
    /// Literals of at least 4 bytes (3 when one is that short): their first
    /// `K` bytes hashed.
    Hash4(Hashed<4>),
    Hash3(Hashed<3>),
    /// ASCII case-insensitive Aho-Corasick, for shorter literals.
    Dfa(AhoCorasick),
}

/// The literals by the hash of `K` of their bytes (ASCII letters folded to
/// lowercase, other bytes folded the same way in text and literal, which
/// only adds candidates; the comparison that follows is exact).
///
/// With `K = 4` only every other position of the text is hashed: a literal
/// that starts at an odd position is seen one byte later, by its bytes 1 to
/// 4 (a literal of exactly four bytes is entered once for each byte that may
/// follow it). That halves the work on the lines that hold no literal.
struct Hashed<const K: usize> {
    /// Bit `h` set: some entry hashes to `h`.
    bits: Box<[u64; 1 << (HASH_BITS - 6)]>,
    /// (hash, how far before the hashed position the literal starts,
    /// literal), sorted by hash.
    literals: Vec<(u32, usize, Box<[u8]>)>,
}

impl<const K: usize> Hashed<K> {
    /// Positions between two hashed ones.
    const STRIDE: usize = if K == 4 { 2 } else { 1 };

    fn new(literals: &[String]) -> Self {
        let mut bits = Box::new([0u64; 1 << (HASH_BITS - 6)]);
        let mut table: Vec<(u32, usize, Box<[u8]>)> = Vec::new();
        let mut enter = |bytes: &[u8], offset: usize, lit: &[u8]| {
            let mut word = [0u8; 4];
            word[..K].copy_from_slice(&bytes[..K]);
            let h = hash::<K>(u32::from_le_bytes(word));
            bits[(h >> 6) as usize] |= 1 << (h & 63);
            table.push((h, offset, lit.into()));
        };
        for l in literals {
            let l = l.as_bytes();
            enter(l, 0, l);
            if Self::STRIDE == 2 {
                if l.len() > K {
                    enter(&l[1..], 1, l);
                } else {
                    for b in 0..=255u8 {
                        let mut next = l[1..].to_vec();
                        next.push(b);
                        enter(&next, 1, l);
                    }
                }
            }
        }
        table.sort();
        table.dedup();
        Hashed {
            bits,
            literals: table,
        }
    }

    /// Whether any literal occurs in `text`, ASCII case-insensitively.
    fn find(&self, text: &[u8]) -> bool {
        let n = text.len();
        if n < K {
            return false;
        }
        let mut at = 0;
        // Four positions from each 8-byte load (every other one with the
        // stride of 2): independent multiplies the CPU runs side by side.
        while at + 8 <= n {
            let w = u64::from_le_bytes(text[at..at + 8].try_into().expect("8 bytes"));
            for j in (0..4).step_by(Self::STRIDE) {
                let h = hash::<K>((w >> (8 * j)) as u32);
                if self.hit(h) && self.at(text, at + j, h) {
                    return true;
                }
            }
            at += 4;
        }
        // The last few positions one by one (every entry applies at each).
        while at + K <= n {
            let mut word = [0u8; 4];
            word[..K].copy_from_slice(&text[at..at + K]);
            let h = hash::<K>(u32::from_le_bytes(word));
            if self.hit(h) && self.at(text, at, h) {
                return true;
            }
            at += 1;
        }
        false
    }

    fn hit(&self, h: u32) -> bool {
        self.bits[(h >> 6) as usize] & (1 << (h & 63)) != 0
    }

    /// Whether an entry with hash `h` at position `at` is a literal there.
    fn at(&self, text: &[u8], at: usize, h: u32) -> bool {
        let from = self.literals.partition_point(|(x, _, _)| *x < h);
        self.literals[from..]
            .iter()
            .take_while(|(x, _, _)| *x == h)
            .any(|(_, offset, l)| {
                at.checked_sub(*offset)
                    .and_then(|start| text.get(start..start + l.len()))
                    .is_some_and(|t| t.eq_ignore_ascii_case(l))
            })
    }
}

/// The hash of the first `K` bytes of `word` (little-endian), each with bit
/// 5 set (ASCII upper- and lowercase letters then agree).
fn hash<const K: usize>(word: u32) -> u32 {
    let keep = u32::MAX >> (8 * (4 - K));
    let folded = (word | 0x2020_2020) & keep;
    folded.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)
}

/// Bytes an ISO timestamp is made of (digits, `-:T,.Z+` and space).
static STAMP_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = stamp_char(b as u8);
        b += 1;
    }
    t
};

/// What an ISO timestamp is made of (digits, `-:T,.Z+` and space).
const fn stamp_char(b: u8) -> bool {
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
        let Some(scan) = &self.scan else { return true };
        let bytes = line.as_bytes();
        let from = if stamp_end > 0 && bytes[..stamp_end].iter().all(|b| STAMP_CHAR[*b as usize]) {
            stamp_end.saturating_sub(self.overlap)
        } else {
            0
        };
        let rest = &bytes[from..];
        match scan {
            Scan::Hash4(h) => h.find(rest),
            Scan::Hash3(h) => h.find(rest),
            Scan::Dfa(ac) => ac.is_match(rest),
        }
    }
}

pub(super) static PREFILTER: LazyLock<Prefilter> = LazyLock::new(|| {
    let Some(literals) = scan_literals() else {
        return Prefilter {
            scan: None,
            overlap: 0,
        };
    };
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
    Prefilter {
        scan: hashed(&literals).or_else(|| dfa(&literals)),
        overlap,
    }
});

/// The literals to scan for (lowercase, sorted, without duplicates); None
/// when some pattern forces none.
fn scan_literals() -> Option<Vec<String>> {
    let mut literals: Vec<String> = ERROR_WORDS.iter().map(|w| w.to_string()).collect();
    for p in PATTERNS {
        literals.extend(pattern_literals(p.regex)?);
    }
    // A prefix of a required literal is required too; short ones make a
    // small, fast scan while still letting almost no ordinary log line through.
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
    Some(literals)
}

/// The hashed scan, when every literal is long enough to hash.
fn hashed(literals: &[String]) -> Option<Scan> {
    match literals.iter().map(String::len).min()? {
        0..=2 => None,
        3 => Some(Scan::Hash3(Hashed::new(literals))),
        _ => Some(Scan::Hash4(Hashed::new(literals))),
    }
}

/// The Aho-Corasick scan: one table lookup per byte (the automaton is built
/// once, about 1 MiB).
fn dfa(literals: &[String]) -> Option<Scan> {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .prefilter(false)
        .build(literals)
        .ok()
        .map(Scan::Dfa)
}

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
        assert!(PREFILTER.scan.is_some());
        // The skip only pays if no literal is all timestamp characters.
        assert!(PREFILTER.overlap < 8, "{}", PREFILTER.overlap);
    }

    /// The hashed scan finds exactly what the case-folding DFA finds,
    /// wherever a literal sits (at the very end too).
    #[test]
    fn hashed_scan_agrees_with_the_dfa() {
        let literals = scan_literals().unwrap();
        let (Some(hash), Some(dfa)) = (hashed(&literals), dfa(&literals)) else {
            panic!("both scans build");
        };
        assert!(matches!(hash, Scan::Hash4(_)));
        let hash = Prefilter {
            scan: Some(hash),
            overlap: 0,
        };
        let dfa = Prefilter {
            scan: Some(dfa),
            overlap: 0,
        };
        let filler = "x".repeat(700);
        assert!(!hash.worth_a_look(&filler, 0));
        assert!(!hash.worth_a_look("", 0));
        for (i, lit) in literals.iter().enumerate() {
            // Alternate the case of its letters, as a log might write it.
            let cased: String = lit
                .chars()
                .enumerate()
                .map(|(j, c)| {
                    if (i + j) % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            for at in (0..600).step_by(7).chain(250..260) {
                for len in [at + cased.len(), 700] {
                    let mut line = filler[..at].to_string();
                    line.push_str(&cased);
                    line.push_str(&filler[..len - line.len().min(len)]);
                    assert_eq!(
                        hash.worth_a_look(&line, 0),
                        dfa.worth_a_look(&line, 0),
                        "{line}"
                    );
                    assert!(
                        hash.worth_a_look(&line, 0),
                        "{lit:?} at {at} in {}",
                        line.len()
                    );
                }
            }
            // One byte short of the literal is not enough.
            let short = &cased[..cased.len() - 1];
            let line = format!("{}{short}", &filler[..254]);
            assert_eq!(
                hash.worth_a_look(&line, 0),
                dfa.worth_a_look(&line, 0),
                "{line}"
            );
        }
    }

    #[test]
    fn three_byte_literals_hash_three_bytes() {
        let literals: Vec<String> = ["abc", "x_y", "hello"].map(String::from).into();
        let scan = hashed(&literals).unwrap();
        assert!(matches!(scan, Scan::Hash3(_)));
        let p = Prefilter {
            scan: Some(scan),
            overlap: 0,
        };
        for (line, want) in [
            ("ABC", true),
            ("zzaBc", true),
            ("ab", false),
            ("X_Y", true),
            ("x-y", false),
            ("hel", false),
            ("..HeLLo", true),
            ("", false),
        ] {
            assert_eq!(p.worth_a_look(line, 0), want, "{line}");
        }
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
