//! Could-not-run errors that carry a hint telling the user what to change.
//!
//! Anything can fail with a plain `anyhow` error; the failures a user can fix are
//! wrapped in [`Hinted`] so the top-level printer can add a `hint:` line.

use std::fmt;

/// An error message (a lowercase fragment) together with the fix for it.
#[derive(Debug)]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

impl Hinted {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Hinted {
        Hinted {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

/// Shorthand for returning a hinted error.
pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Hinted::new(message, hint))
}

/// User input as an error message may echo it: control characters dropped
/// and at most `max_chars` characters kept, so a message cannot be flooded.
/// (Every error line is also passed through `db::sanitize` when printed,
/// which shows invisible format characters such as bidi overrides.)
pub fn shown(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect()
}

/// The first hint found in an error chain, outermost first.
pub fn find_hint(err: &anyhow::Error) -> Option<&str> {
    // `downcast_ref` on the anyhow error sees context layers, which `chain()` hides.
    err.downcast_ref::<Hinted>()
        .or_else(|| err.chain().find_map(|e| e.downcast_ref::<Hinted>()))
        .map(|h| h.hint.as_str())
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn shown_input_is_bounded_and_has_no_control_characters() {
        assert_eq!(shown("abc", 2), "ab");
        assert_eq!(shown("a\x1b[31mb\n", 10), "a[31mb");
        assert_eq!(shown("ünïcödé ok", 40), "ünïcödé ok");
    }
}
