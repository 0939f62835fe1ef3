//! Small text helpers: number and duration wording, example cleaning, and the
//! `${key}` template renderer the advice tables are written in.

use regex::{Captures, Regex};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Examples are trimmed to this many characters.
pub(super) const EXAMPLE_MAX_CHARS: usize = 300;

/// `28801123` -> `28,801,123`: log text writes big numbers that way (Connector/J
/// does), and it keeps the cause sentences readable.
pub(super) fn int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number as people write it: integers with separators, others with at most
/// three decimals and no trailing zeros.
pub(super) fn num(x: f64) -> String {
    if !x.is_finite() {
        return "?".into();
    }
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        return int(x as i64);
    }
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `28801.123` -> `8 h 0 min 1 s`; days drop the seconds (`4 d 2 h 5 min`).
pub(super) fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "?".into();
    }
    if secs < 10.0 && secs.fract() != 0.0 {
        return format!("{} s", num((secs * 10.0).round() / 10.0));
    }
    let total = secs.round() as u64;
    let (d, h, m, s) = (
        total / 86_400,
        total % 86_400 / 3600,
        total % 3600 / 60,
        total % 60,
    );
    if d > 0 {
        format!("{d} d {h} h {m} min")
    } else if h > 0 {
        format!("{h} h {m} min {s} s")
    } else if m > 0 {
        format!("{m} min {s} s")
    } else {
        format!("{s} s")
    }
}

/// Bytes in MiB when exact (`4 MiB`), else with separators (`10,399 bytes`).
pub(super) fn bytes(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{} bytes", int(n as i64))
    }
}

/// A value as a template shows it: numbers plain (they end up in settings and
/// commands), or with separators when `grouped` (prose).
pub(super) fn show(v: &Value, grouped: bool) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if grouped => n.as_f64().map_or_else(|| n.to_string(), num),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => (f as i64).to_string(),
            (None, Some(f)) => {
                let s = format!("{f:.3}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// The example line: trimmed, control characters replaced (a log may hold
/// terminal escapes or binary), credentials masked, at most
/// [`EXAMPLE_MAX_CHARS`] characters.
pub(super) fn clean_example(line: &str) -> String {
    let controls_replaced: String = line
        .trim()
        .chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '?',
            c => c,
        })
        .collect();
    // Before trimming to length: a cut could leave half a URL the patterns miss.
    let cleaned = mask_credentials(&controls_replaced);
    if cleaned.chars().count() <= EXAMPLE_MAX_CHARS {
        return cleaned;
    }
    let mut cut: String = cleaned.chars().take(EXAMPLE_MAX_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// `password=x`, `Pwd=x;`, `DB_PASSWORD: "x"`, `?password=x&`: the value.
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(password|passwd|pwd)("?\s*[=:]\s*["']?)([^\s;&,'"]+)"#)
        .expect("key=value credential regex")
});
/// `scheme://user:password@host`: everything from the `:` to the last `@`
/// before a space (an unencoded `@` or `/` in a password is common in logs).
static URL_USERINFO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)([a-z][a-z0-9+.\-]*://[^\s:/@]*:)\S*@").expect("URL credential regex")
});
/// Go's DSN `user:password@tcp(host:port)/db` (and `@unix(...)`).
static GO_DSN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([^\s:/@'"=]+:)\S*@(tcp|tcp6|unix)\("#).expect("Go DSN credential regex")
});

/// Masks passwords a log line may carry next to an error (a DSN printed at
/// start-up, a connection string in an exception): the example is shown in
/// tables and saved in JSON reports, and a URL is always shown with its
/// password masked. MySQL's own `(using password: YES)` is left as it is.
pub(super) fn mask_credentials(line: &str) -> String {
    let line = KEY_VALUE.replace_all(line, |c: &Captures<'_>| {
        // `(using password: YES)` ends with the bracket.
        let value = c[3].trim_end_matches(')');
        if value.eq_ignore_ascii_case("yes") || value.eq_ignore_ascii_case("no") || value == "****"
        {
            c[0].to_string()
        } else {
            format!("{}{}****", &c[1], &c[2])
        }
    });
    let line = URL_USERINFO.replace_all(&line, "$1****@");
    GO_DSN.replace_all(&line, "$1****@$2(").into_owned()
}

/// Capitalises the first letter (the tables write causes as clauses).
pub(super) fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(chars.as_str());
            if !out.ends_with(['.', '!', '?']) {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

/// Renders a template from the tables.
///
/// `${key}` is replaced by the value (numbers plain: `30000`), `${key:n}` by
/// the value with separators (`30,000`, for prose); `${key|text}` falls back to
/// `text` when the key is missing. `$[ ... ]$` is an optional
/// segment: dropped when a `${key}` inside it (without fallback) is missing.
/// Everything else is literal, so Python dicts and `[mysqld]` need no escaping.
/// Returns None when a required key outside optional segments is missing.
pub(super) fn render(template: &str, values: &BTreeMap<String, Value>) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("$[") {
            let end = after.find("]$")?;
            if let Some(seg) = render_plain(&after[..end], values) {
                out.push_str(&seg);
            }
            rest = &after[end + 2..];
        } else {
            let next = rest.find("$[").unwrap_or(rest.len());
            out.push_str(&render_plain(&rest[..next], values)?);
            rest = &rest[next..];
        }
    }
    Some(out)
}

/// Placeholders only (no optional segments); None when a required key is missing.
fn render_plain(template: &str, values: &BTreeMap<String, Value>) -> Option<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        let inner = &after[..end];
        let (key, fallback) = match inner.split_once('|') {
            Some((k, f)) => (k, Some(f)),
            None => (inner, None),
        };
        let (key, grouped) = match key.strip_suffix(":n") {
            Some(k) => (k, true),
            None => (key, false),
        };
        match (values.get(key), fallback) {
            (Some(v), _) => out.push_str(&show(v, grouped)),
            (None, Some(f)) => out.push_str(f),
            (None, None) => return None,
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_durations() {
        assert_eq!(int(28_801_123), "28,801,123");
        assert_eq!(int(999), "999");
        assert_eq!(int(-1000), "-1,000");
        assert_eq!(num(30.0), "30");
        assert_eq!(num(5.002), "5.002");
        assert_eq!(duration(28_801.123), "8 h 0 min 1 s");
        assert_eq!(duration(351.0), "5 min 51 s");
        assert_eq!(duration(45.0), "45 s");
        assert_eq!(duration(0.25), "0.3 s");
        assert_eq!(duration(4.0 * 86_400.0 + 7_500.0), "4 d 2 h 5 min");
        assert_eq!(bytes(4 << 20), "4 MiB");
        assert_eq!(bytes(10_399), "10,399 bytes");
    }

    #[test]
    fn examples_are_clean_and_short() {
        assert_eq!(clean_example("  a\tb\u{1b}[31m \n"), "a b?[31m");
        let long = "x".repeat(1000);
        let e = clean_example(&long);
        assert_eq!(e.chars().count(), EXAMPLE_MAX_CHARS);
        assert!(e.ends_with('…'));
    }

    #[test]
    fn credentials_in_examples_are_masked() {
        for (line, want) in [
            (
                "gone away; url=mysql://app:p%40ss@db:3306/shop",
                "gone away; url=mysql://app:****@db:3306/shop",
            ),
            (
                "mysql+pymysql://app:S3cr%t/p@ss:word@db/shop?charset=utf8mb4 x",
                "mysql+pymysql://app:****@db/shop?charset=utf8mb4 x",
            ),
            (
                "dsn=app:pw@x@tcp(db:3306)/shop EOF",
                "dsn=app:****@tcp(db:3306)/shop EOF",
            ),
            (
                "jdbc:mysql://db:3306/shop?user=app&password=p@ss/1&useSSL=false",
                "jdbc:mysql://db:3306/shop?user=app&password=****&useSSL=false",
            ),
            (
                "Server=db;Uid=app;Pwd=hunter2;Database=shop",
                "Server=db;Uid=app;Pwd=****;Database=shop",
            ),
            ("DB_PASSWORD: \"hunter2\"", "DB_PASSWORD: \"****\""),
            (
                "{\"password\": \"hunter2\", \"user\": \"app\"}",
                "{\"password\": \"****\", \"user\": \"app\"}",
            ),
            (
                "Access denied for user 'app'@'10.0.0.5' (using password: YES)",
                "Access denied for user 'app'@'10.0.0.5' (using password: YES)",
            ),
            (
                "mysql://app@db/shop and app@tcp(db:3306)/x: no password here",
                "mysql://app@db/shop and app@tcp(db:3306)/x: no password here",
            ),
            (
                "Lost connection to MySQL server at 'reading initial communication packet'",
                "Lost connection to MySQL server at 'reading initial communication packet'",
            ),
        ] {
            assert_eq!(clean_example(line), want, "{line}");
        }
        // Masked before the cut: a long line never shows half a password.
        let long = format!("{} mysql://app:{}@db/", "x".repeat(280), "s".repeat(100));
        assert!(
            !clean_example(&long).contains("sss"),
            "{}",
            clean_example(&long)
        );
    }

    #[test]
    fn templates() {
        let mut v = BTreeMap::new();
        v.insert("pool_size".to_string(), json!(5));
        v.insert("ms".to_string(), json!(30000));
        assert_eq!(
            render(
                "size ${pool_size}$[ + ${max_overflow}]$ in ${ms:n} ms, ${ms}",
                &v
            )
            .unwrap(),
            "size 5 in 30,000 ms, 30000"
        );
        assert_eq!(
            render("{\"a\": ${x|<n>}} [mysqld]", &v).unwrap(),
            "{\"a\": <n>} [mysqld]"
        );
        assert_eq!(render("needs ${missing}", &v), None);
        assert_eq!(render("unclosed $[ ${pool_size}", &v), None);
    }
}
