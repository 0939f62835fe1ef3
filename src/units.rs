//! How durations read in tables and messages, written once. JSON keeps plain
//! numbers with the unit in the key name; these are for people.

use std::time::Duration;

/// A duration in humantime's words (`5s`, `8h`, `1m 30s`), to a tenth of a
/// second: server settings, rungs, search intervals in messages.
pub fn duration(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs_f64(
        (d.as_secs_f64() * 10.0).round() / 10.0,
    ))
    .to_string()
}

/// Whole seconds in humantime's words (`28800` -> `8h`).
pub fn seconds(s: u64) -> String {
    duration(Duration::from_secs(s))
}

/// A measured time: a tenth of a second shown always under a minute (`2.0s`,
/// so measured and configured values are told apart), humantime above.
pub fn measured(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        seconds(s.round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(duration(Duration::from_millis(2049)), "2s");
        assert_eq!(duration(Duration::from_millis(2160)), "2s 200ms");
        assert_eq!(duration(Duration::from_secs(90)), "1m 30s");
        assert_eq!(seconds(28800), "8h");
        assert_eq!(seconds(5), "5s");
        assert_eq!(measured(2.0), "2.0s");
        assert_eq!(measured(59.94), "59.9s");
        assert_eq!(measured(3600.4), "1h");
    }
}
