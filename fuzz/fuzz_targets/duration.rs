//! Fuzzes `config::parse_duration` (every duration flag) and
//! `recommend::input::parse_size` (`--max-blob`).
//!
//! Properties: a duration is accepted only if the text has a digit, is longer
//! than zero, shorter than the 1e12 s that bare seconds are capped at, and can
//! be added to `Instant::now()` (connect and probe deadlines do exactly that);
//! errors name the flag and carry no control characters to the terminal. A
//! size is accepted only if it starts with a digit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match poolcheck::config::parse_duration(text, "--fuzz") {
        Ok(d) => {
            assert!(
                text.chars().any(|c| c.is_ascii_digit()),
                "{text:?} has no digit but parsed as {d:?}"
            );
            assert!(d > Duration::ZERO, "{text:?} parsed as zero");
            assert!(
                d.as_secs_f64() < 1e12,
                "{text:?} parsed as {d:?}, above the 1e12 s cap on bare seconds"
            );
            assert!(
                Instant::now().checked_add(d).is_some(),
                "{text:?} parsed as {d:?}, which overflows a deadline"
            );
        }
        Err(e) => {
            let shown = poolcheck::report::format_error(&e, false);
            assert!(
                shown.contains("--fuzz"),
                "error does not name the flag: {shown}"
            );
            let message = format!("{e:#}");
            assert!(
                !message.chars().any(char::is_control),
                "control characters reach the terminal: {message:?}"
            );
        }
    }
    if let Some(n) = poolcheck::recommend::input::parse_size(text) {
        let t = text.trim();
        assert!(
            t.starts_with(|c: char| c.is_ascii_digit()),
            "{text:?} parsed as {n} bytes"
        );
    }
});
