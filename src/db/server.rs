//! What a server reports about itself, read and checked: the value ranges a
//! MySQL or MariaDB server can report, its product name, and the capacity and
//! status queries that `inspect` and `probe` both rely on. Below both, so
//! neither borrows from the other.

use super::{Session, TextRow};
use anyhow::{Context, Result};
use std::collections::HashMap;
use std::time::Instant;

/// Parses a server-reported number, refusing what no MySQL or MariaDB server
/// reports (NULL, text, negative, out of the variable's documented range) with
/// an error that names the variable and the value: nothing is computed from it.
pub fn parse_count(name: &str, value: Option<&str>) -> Result<u64> {
    let range = allowed_range(name);
    let problem = match value {
        None => "NULL (no value)".to_string(),
        Some(raw) => {
            let text = raw.trim();
            match text.parse::<u64>() {
                Ok(v) if range.contains(&v) => return Ok(v),
                _ => {
                    let shown: String = text
                        .chars()
                        .map(|c| if c.is_control() { '?' } else { c })
                        .take(40)
                        .collect();
                    let numeric = text.strip_prefix('-').unwrap_or(text);
                    if !numeric.is_empty() && numeric.bytes().all(|b| b.is_ascii_digit()) {
                        format!(
                            "'{shown}' (MySQL and MariaDB allow {} to {})",
                            range.start(),
                            range.end()
                        )
                    } else {
                        format!("'{shown}' (not a whole number)")
                    }
                }
            }
        }
    };
    Err(crate::error::hinted(
        format!("the server reported an impossible value for {name}: {problem}"),
        "no MySQL or MariaDB server reports this: check that the target (--host/--port or the URL) \
         is a real MySQL/MariaDB server and not a proxy or emulation that answers with made-up values",
    ))
}

/// The values a server can report for a variable (any `@@global.` or
/// `@@session.` prefix ignored), from the MySQL and MariaDB manuals; status
/// counters and unknown names: 0 to 2^63-1 (the servers' counters are signed
/// 64-bit; anything above cannot be a count and would overflow sums).
pub fn allowed_range(name: &str) -> std::ops::RangeInclusive<u64> {
    let base = name.trim_start_matches("@@");
    let base = base
        .strip_prefix("global.")
        .or_else(|| base.strip_prefix("session."))
        .unwrap_or(base);
    match base.to_ascii_lowercase().as_str() {
        "wait_timeout" | "interactive_timeout" | "net_read_timeout" | "net_write_timeout" => {
            1..=31_536_000
        }
        "connect_timeout" => 2..=31_536_000,
        "max_connections" => 1..=100_000,
        "max_user_connections" => 0..=u64::from(u32::MAX),
        "max_allowed_packet" => 1024..=1 << 30,
        "thread_cache_size" => 0..=16_384,
        _ => 0..=i64::MAX as u64,
    }
}

/// Names the server product from `VERSION()` and `@@version_comment`.
pub fn detect_flavor(version: &str, comment: &str) -> &'static str {
    let v = version.to_ascii_lowercase();
    let c = comment.to_ascii_lowercase();
    if v.contains("mysql_aurora") || c.contains("aurora") {
        "Amazon Aurora MySQL"
    } else if v.contains("mariadb") || c.contains("mariadb") {
        "MariaDB"
    } else if c.contains("percona xtradb cluster") {
        "Percona XtraDB Cluster"
    } else if c.contains("percona") {
        "Percona Server"
    } else if v.contains("tidb") {
        "TiDB"
    } else if v.contains("vitess") {
        "Vitess"
    } else if v.ends_with("-google") || c.contains("google") {
        "Google Cloud SQL for MySQL"
    } else {
        "MySQL"
    }
}

/// `SHOW GLOBAL STATUS` rows into a map (a NULL value stays `None`).
pub fn status_map(rows: &[Vec<Option<String>>]) -> HashMap<String, Option<String>> {
    rows.iter()
        .filter_map(|r| match (r.first(), r.get(1)) {
            (Some(Some(k)), Some(v)) => Some((k.to_ascii_lowercase(), v.clone())),
            _ => None,
        })
        .collect()
}

/// The value of one `SHOW STATUS` row (name, value), by name.
pub fn status_value<'r>(rows: &'r [TextRow], name: &str) -> Option<&'r str> {
    rows.iter()
        .find(|r| {
            r.first()
                .and_then(|c| c.as_deref())
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .and_then(|r| r.get(1))
        .and_then(|c| c.as_deref())
}

/// The first row of an answer that MySQL and MariaDB always give one row
/// (`what` names the query in the error).
pub fn one_row<'r>(rows: &'r [TextRow], what: &str) -> Result<&'r TextRow> {
    rows.first().ok_or_else(|| {
        crate::error::hinted(
            format!("the server answered the {what} query with no row"),
            "MySQL and MariaDB always answer it with one: check that the target (--host/--port \
             or the URL) is a real MySQL/MariaDB server, not a proxy or emulation",
        )
    })
}

/// What the server says about room for more connections.
#[derive(Debug, Clone)]
pub struct ServerRoom {
    pub version: String,
    pub flavor: String,
    pub max_connections: u64,
    /// The account's connection limit (0: none).
    pub account_limit: u64,
    /// This account's threads now on the server.
    pub account_threads: u64,
    pub wait_timeout_global_s: u64,
    pub status: StatusSample,
    /// The session that read it negotiated TLS.
    pub tls: bool,
    /// Wall time of that session's connect + handshake + login.
    pub connect_ms: f64,
}

/// The capacity query: limits and this account's threads, then a
/// [`StatusSample`].
pub fn read_room(s: &mut Session) -> Result<ServerRoom> {
    let v = s
        .query_text(
            "SELECT VERSION(), @@version_comment, @@global.max_connections, @@session.max_user_connections, \
             @@global.wait_timeout, \
             (SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1))",
        )
        .context("could not read the server's connection limits")?;
    let status = read_status(s)?;
    let row = one_row(&v, "capacity")?;
    let col = |i: usize| row.get(i).and_then(|c| c.as_deref());
    let version = col(0).unwrap_or_default().to_string();
    let comment = col(1).unwrap_or_default().to_string();
    Ok(ServerRoom {
        tls: s.tls,
        connect_ms: (s.connect_time.as_secs_f64() * 1e6).round() / 1000.0,
        flavor: detect_flavor(&version, &comment).to_string(),
        version,
        max_connections: parse_count("max_connections", col(2))?,
        account_limit: parse_count("max_user_connections", col(3))?,
        wait_timeout_global_s: parse_count("wait_timeout", col(4))?,
        account_threads: parse_count("processlist count", col(5))?,
        status,
    })
}

/// Tries to take a server-wide named lock on this session without waiting
/// (`name` is an SQL expression):
/// `Some(true)` taken (held until the session ends), `Some(false)` another
/// session holds it, `None` when the server has no usable named locks
/// (an error, or NULL).
pub fn try_named_lock(s: &mut Session, name: &str) -> Option<bool> {
    let rows = s.query_text(&format!("SELECT GET_LOCK({name}, 0)")).ok()?;
    match rows.first()?.first()?.as_deref()? {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// The counters watched while work runs: Uptime going back means a restart,
/// Threads_connected how full the server is.
#[derive(Debug, Clone, Copy)]
pub struct StatusSample {
    pub uptime_s: u64,
    pub threads_connected: u64,
    /// Connects since the server started.
    pub connections: u64,
    /// When the answer arrived.
    pub read_at: Instant,
}

const STATUS_SQL: &str =
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected', 'Uptime', 'Connections')";

pub fn read_status(s: &mut Session) -> Result<StatusSample> {
    let rows = s
        .query_text(STATUS_SQL)
        .context("could not read Threads_connected and Uptime")?;
    let get = |name: &str| status_value(&rows, name);
    Ok(StatusSample {
        uptime_s: parse_count("Uptime", get("Uptime"))?,
        threads_connected: parse_count("Threads_connected", get("Threads_connected"))?,
        connections: parse_count("Connections", get("Connections"))?,
        read_at: Instant::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavors() {
        assert_eq!(
            detect_flavor("10.11.19-MariaDB-0+deb12u1", "Debian 12"),
            "MariaDB"
        );
        assert_eq!(
            detect_flavor("8.0.36", "MySQL Community Server - GPL"),
            "MySQL"
        );
        assert_eq!(
            detect_flavor("8.0.35-27", "Percona Server (GPL), Release 27"),
            "Percona Server"
        );
        assert_eq!(
            detect_flavor("8.0.35-27.1", "Percona XtraDB Cluster (GPL), Release rel27"),
            "Percona XtraDB Cluster"
        );
        assert_eq!(
            detect_flavor("8.0.mysql_aurora.3.04.0", "Source distribution"),
            "Amazon Aurora MySQL"
        );
        assert_eq!(detect_flavor("5.7.25-TiDB-v7.1.0", "TiDB Server"), "TiDB");
        assert_eq!(
            detect_flavor("8.0.31-google", "(Google)"),
            "Google Cloud SQL for MySQL"
        );
        assert_eq!(detect_flavor("8.0.30-Vitess", "Version"), "Vitess");
    }
    #[test]
    fn counts_refuse_nonsense() {
        assert_eq!(parse_count("wait_timeout", Some("28800")).unwrap(), 28800);
        for bad in [
            "-5",
            "abc",
            "1e99",
            "",
            "99999999999999999999999",
            "18446744073709551615",
            "0",
            "31536001",
        ] {
            let e = parse_count("@@global.wait_timeout", Some(bad)).unwrap_err();
            assert!(
                e.to_string()
                    .contains("impossible value for @@global.wait_timeout"),
                "{bad}: {e}"
            );
            assert!(crate::error::find_hint(&e).is_some(), "{bad}: no hint");
        }
        let e = parse_count("wait_timeout", Some("-1"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("'-1' (MySQL and MariaDB allow 1 to 31536000)"),
            "{e}"
        );
        let e = parse_count("wait_timeout", Some("abc"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("'abc' (not a whole number)"), "{e}");
        let e = parse_count("Uptime", None).unwrap_err().to_string();
        assert!(e.contains("impossible value for Uptime: NULL"), "{e}");
        // Counters may be large, but not beyond a signed 64-bit count.
        assert!(parse_count("Uptime", Some("9223372036854775807")).is_ok());
        assert!(parse_count("Uptime", Some("9223372036854775808")).is_err());
        assert!(parse_count("max_allowed_packet", Some("1073741824")).is_ok());
        assert!(parse_count("max_allowed_packet", Some("1073741825")).is_err());
        assert!(parse_count("max_connections", Some("0")).is_err());
        assert!(parse_count("max_user_connections", Some("0")).is_ok());
        let e = parse_count("x", Some("\x1b[31mred"))
            .unwrap_err()
            .to_string();
        assert!(!e.contains('\x1b'));
    }
    #[test]
    fn status_rows() {
        let rows = vec![vec![Some("Uptime".to_string()), Some("42".to_string())]];
        assert_eq!(status_map(&rows)["uptime"].as_deref(), Some("42"));
    }
}
