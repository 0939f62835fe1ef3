//! A password that cannot leak through `Debug`, plus a process-wide list of
//! secrets the error printer scrubs as a last line of defence.

use std::fmt;
use std::sync::Mutex;

/// A password. `Debug` prints `(redacted)`; read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

static KNOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl Secret {
    /// Wraps a password and remembers it so [`scrub`] can remove it from any text.
    pub fn new(value: String) -> Secret {
        if !value.is_empty() {
            let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
            if !known.contains(&value) {
                known.push(value.clone());
            }
        }
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

/// Replaces every known password in `text` with `****`. Used on error text that
/// may quote something we did not write (a server message, an OS error).
pub fn scrub(text: &str) -> String {
    let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for secret in known.iter() {
        // One- or two-character passwords would mangle ordinary text; they
        // never reach our messages anyway because we do not print values.
        if secret.len() >= 3 {
            out = out.replace(secret.as_str(), "****");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("hunter2-debug".into());
        assert_eq!(format!("{s:?}"), "(redacted)");
        assert_eq!(s.expose(), "hunter2-debug");
    }

    #[test]
    fn scrub_removes_known_secrets() {
        let _s = Secret::new("s3cr3t-scrub".into());
        assert_eq!(scrub("x s3cr3t-scrub y"), "x **** y");
    }
}
