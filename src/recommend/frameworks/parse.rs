//! `--check KEY=VALUE` parsing shared by the framework modules: key lookup in
//! each framework's own names, and value parsers that name the key on error.

use super::Framework;

/// Values are echoed back in errors; never more than this many characters,
/// because a value may be a pasted secret or a whole config file.
const ECHO_MAX: usize = 40;

/// The `--check` pairs of one run, keyed by the framework's canonical names.
pub(super) struct Given<'a> {
    entries: Vec<(&'static str, &'a str)>,
}

impl<'a> Given<'a> {
    pub(super) fn get(&self, key: &str) -> Option<&'a str> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.trim())
    }

    /// The count given for `key`, or the framework's `default` when it was
    /// not given.
    pub(super) fn count_or(&self, key: &str, default: u64) -> Result<u64, String> {
        self.get(key).map_or(Ok(default), |v| count(key, v))
    }

    /// The milliseconds given for `key`, in seconds: `default_s` when it was
    /// not given, `zero_s` when it was 0 (pools that read 0 as "the
    /// default" or "off").
    pub(super) fn millis_or(&self, key: &str, default_s: f64, zero_s: f64) -> Result<f64, String> {
        match self.get(key) {
            None => Ok(default_s),
            Some(v) => {
                let s = non_negative(key, v, Bare::Millis)?;
                Ok(if s > 0.0 { s } else { zero_s })
            }
        }
    }

    /// True when any of `keys` was given.
    pub(super) fn any(&self, keys: &[&str]) -> bool {
        keys.iter().any(|k| self.get(k).is_some())
    }
}

/// Matches each pair to a canonical key of `keys`. Matching ignores case,
/// `_` and `-` (so `max-lifetime`, `MAX_LIFETIME` and `maxLifetime` are one
/// key) and any of `prefixes` (e.g. `connect_args.`), because users copy keys
/// from config files, env vars and Spring properties alike.
pub(super) fn collect<'a>(
    framework: Framework,
    pairs: &'a [(String, String)],
    keys: &'static [&'static str],
    prefixes: &[&str],
) -> Result<Given<'a>, String> {
    let mut entries: Vec<(&'static str, &'a str)> = Vec::new();
    for (raw_key, value) in pairs {
        let wanted = normalize(strip_prefixes(raw_key.trim(), prefixes));
        let Some(key) = keys.iter().copied().find(|k| normalize(k) == wanted) else {
            return Err(format!(
                "unknown {} key '{}'; accepted keys: {}",
                framework.name(),
                echo(raw_key),
                keys.join(", ")
            ));
        };
        if entries.iter().any(|(k, _)| *k == key) {
            return Err(format!("{key} is given twice"));
        }
        entries.push((key, value.as_str()));
    }
    Ok(Given { entries })
}

fn strip_prefixes<'k>(key: &'k str, prefixes: &[&str]) -> &'k str {
    for p in prefixes {
        if key.len() > p.len() && key.is_char_boundary(p.len()) {
            let (head, tail) = key.split_at(p.len());
            if head.eq_ignore_ascii_case(p) {
                return tail;
            }
        }
    }
    key
}

fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// At most `ECHO_MAX` characters of user input, control characters replaced,
/// so an error message can never carry a whole secret or escape sequences.
pub(super) fn echo(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(ECHO_MAX)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if value.chars().count() > ECHO_MAX {
        out.push_str("...");
    }
    out
}

fn bad(key: &str, expected: &str, value: &str) -> String {
    format!("{key}: expected {expected}, got '{}'", echo(value))
}

pub(super) fn boolean(key: &str, value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(bad(key, "true or false", value)),
    }
}

/// A whole number that may be negative (frameworks use -1 or 0 as markers).
pub(super) fn integer(key: &str, value: &str) -> Result<i64, String> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| bad(key, "a whole number", value))
}

/// A whole number, zero or more.
pub(super) fn count(key: &str, value: &str) -> Result<u64, String> {
    value
        .trim()
        .parse::<u64>()
        .map_err(|_| bad(key, "a whole number (0 or more)", value))
}

/// True for the spellings frameworks use for "no limit": Python's None, YAML
/// and JSON null, Ruby nil.
pub(super) fn is_none_word(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "none" | "null" | "nil" | "~"
    )
}

/// Units a bare number is read in, per framework.
#[derive(Clone, Copy)]
pub(super) enum Bare {
    Seconds,
    Millis,
    /// Go: a bare number is a Duration in nanoseconds, which is never what a
    /// user means, so only `0` is accepted bare.
    Rejected,
}

/// A duration in seconds: a bare number in the framework's unit, or a
/// Go-style duration (`90s`, `3m`, `1h30m`, `500ms`). Negative values are
/// returned as is; callers decide what they mean.
pub(super) fn duration(key: &str, value: &str, bare: Bare) -> Result<f64, String> {
    let v = value.trim();
    let expected = match bare {
        Bare::Seconds => "seconds (e.g. 270) or a duration like 4m30s",
        Bare::Millis => "milliseconds (e.g. 270000) or a duration like 4m30s",
        Bare::Rejected => "a Go duration like 270s, 4m30s or 1h",
    };
    if let Ok(n) = v.parse::<f64>() {
        if !n.is_finite() {
            return Err(bad(key, expected, value));
        }
        return match bare {
            Bare::Seconds => Ok(n),
            Bare::Millis => Ok(n / 1000.0),
            Bare::Rejected if n == 0.0 => Ok(0.0),
            Bare::Rejected => Err(bad(key, expected, value)),
        };
    }
    go_duration(v).ok_or_else(|| bad(key, expected, value))
}

/// Go's `time.ParseDuration` syntax, in seconds: an optional sign, then one
/// or more `<decimal><unit>` parts with units ns, us, µs, ms, s, m, h.
fn go_duration(text: &str) -> Option<f64> {
    let (sign, mut rest) = match text.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * scale;
    }
    Some(sign * total)
}

/// A duration that must not be negative.
pub(super) fn non_negative(key: &str, value: &str, bare: Bare) -> Result<f64, String> {
    let secs = duration(key, value, bare)?;
    if secs < 0.0 {
        return Err(bad(key, "a duration of 0 or more", value));
    }
    Ok(secs)
}

/// Seconds (or a duration) where 0 or a none word (None, null, nil, ~) mean
/// "no limit": a driver timeout, a max age or an idle timeout that is off.
pub(super) fn optional_secs(key: &str, value: &str) -> Result<Option<f64>, String> {
    if is_none_word(value) {
        return Ok(None);
    }
    let secs = non_negative(key, value, Bare::Seconds)?;
    Ok((secs > 0.0).then_some(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("3m"), Some(180.0));
        assert_eq!(go_duration("180s"), Some(180.0));
        assert_eq!(go_duration("1h"), Some(3600.0));
        assert_eq!(go_duration("1h30m"), Some(5400.0));
        assert_eq!(go_duration("1.5s"), Some(1.5));
        assert_eq!(go_duration("500ms"), Some(0.5));
        assert_eq!(go_duration("-1s"), Some(-1.0));
        assert_eq!(go_duration("3"), None);
        assert_eq!(go_duration("3x"), None);
        assert_eq!(go_duration("s"), None);
        assert_eq!(go_duration(""), None);
    }

    #[test]
    fn bare_numbers_follow_the_framework_unit() {
        assert_eq!(duration("k", "270", Bare::Seconds), Ok(270.0));
        assert_eq!(duration("k", "270000", Bare::Millis), Ok(270.0));
        assert_eq!(duration("k", "0", Bare::Rejected), Ok(0.0));
        assert!(duration("k", "270", Bare::Rejected).is_err());
        assert_eq!(duration("k", "4m30s", Bare::Millis), Ok(270.0));
        assert!(duration("k", "inf", Bare::Seconds).is_err());
        assert!(duration("k", "NaN", Bare::Seconds).is_err());
    }

    #[test]
    fn booleans() {
        for t in ["true", "True", "1", "yes"] {
            assert_eq!(boolean("k", t), Ok(true), "{t}");
        }
        for f in ["false", "False", "0", "no"] {
            assert_eq!(boolean("k", f), Ok(false), "{f}");
        }
        assert!(boolean("k", "maybe").is_err());
    }

    #[test]
    fn echo_is_bounded_and_clean() {
        let long = "x".repeat(100);
        let e = echo(&long);
        assert_eq!(e.chars().filter(|c| *c == 'x').count(), 40);
        assert!(e.ends_with("..."));
        assert_eq!(echo("a\u{1b}[31mb"), "a?[31mb");
    }

    #[test]
    fn keys_match_loosely_but_only_once() {
        const KEYS: &[&str] = &["maxLifetime", "socketTimeout"];
        let pairs = vec![
            ("max-lifetime".to_string(), "1".to_string()),
            ("dataSource.socketTimeout".to_string(), "2".to_string()),
        ];
        let g = collect(Framework::Hikaricp, &pairs, KEYS, &["dataSource."]).unwrap();
        assert_eq!(g.get("maxLifetime"), Some("1"));
        assert_eq!(g.get("socketTimeout"), Some("2"));

        let twice = vec![
            ("maxLifetime".to_string(), "1".to_string()),
            ("MAX_LIFETIME".to_string(), "2".to_string()),
        ];
        let err = collect(Framework::Hikaricp, &twice, KEYS, &[])
            .err()
            .unwrap();
        assert!(err.contains("twice"), "{err}");
    }
}
