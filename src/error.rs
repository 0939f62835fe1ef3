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

/// The first hint found in an error chain, outermost first.
pub fn find_hint(err: &anyhow::Error) -> Option<&str> {
    // `downcast_ref` on the anyhow error sees context layers, which `chain()` hides.
    err.downcast_ref::<Hinted>()
        .or_else(|| err.chain().find_map(|e| e.downcast_ref::<Hinted>()))
        .map(|h| h.hint.as_str())
}
