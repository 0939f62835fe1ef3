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

/// User input as an error message may echo it: control and invisible format
/// characters (bidi overrides, zero-width marks) dropped, at most `max_chars`
/// characters kept, so a message can neither be spoofed nor flooded.
pub fn shown(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control() && !is_format_char(*c))
        .take(max_chars)
        .collect()
}

/// Unicode format characters (general category Cf) that change how text
/// around them is displayed without showing themselves.
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
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
    fn shown_input_is_bounded_and_cannot_spoof() {
        assert_eq!(shown("abc", 2), "ab");
        assert_eq!(shown("a\x1b[31mb\n", 10), "a[31mb");
        assert_eq!(shown("host\u{202E}moc.evil", 40), "hostmoc.evil");
        assert_eq!(shown("x\u{200B}\u{2066}y\u{FEFF}", 40), "xy");
        assert_eq!(shown("ünïcödé ok", 40), "ünïcödé ok");
    }
}
