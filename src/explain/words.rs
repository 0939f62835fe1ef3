//! Word boundaries for explain's regexes.
//!
//! A Unicode `\b` cannot run in the regex crate's fast (DFA) engines once a
//! line holds a non-ASCII character, so every such line fell back to the slow
//! engine: a log with Chinese, accented or NBSP-spaced lines was read about
//! a thousand times slower than an ASCII one (4 ms per line). The patterns'
//! words are ASCII (error names, driver names, numbers), so an ASCII boundary
//! is also the right one: in `连接mysql超时` it sees `mysql` as a word, where
//! the Unicode boundary sees none (CJK letters are word characters).

use regex::{Regex, RegexSet};

/// `src` with every `\b` an ASCII word boundary.
pub(super) fn ascii_boundaries(src: &str) -> String {
    src.replace(r"\b", r"(?-u:\b)")
}

/// [`Regex::new`] with ASCII word boundaries.
pub(super) fn regex(src: &str) -> Result<Regex, regex::Error> {
    Regex::new(&ascii_boundaries(src))
}

/// [`RegexSet::new`] with ASCII word boundaries.
pub(super) fn regex_set<'a>(
    sources: impl IntoIterator<Item = &'a str>,
) -> Result<RegexSet, regex::Error> {
    RegexSet::new(sources.into_iter().map(ascii_boundaries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_ascii() {
        let re = regex(r"\bmysql\b").unwrap();
        assert!(re.is_match("连接mysql超时"));
        assert!(re.is_match("(mysql)"));
        assert!(!re.is_match("mysqlx"));
        assert!(!re.is_match("pymysql"));
    }
}
