//! The facts `inspect` reports, and the pure parsing of the server's answers into them.

use crate::finding::{Finding, Skipped, Summary};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The whole `inspect` result (also the `--format json` document).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InspectReport {
    pub schema_version: u32,
    pub tool: crate::report::Tool,
    pub command: String,
    pub target: TargetInfo,
    #[serde(flatten)]
    pub facts: ServerFacts,
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    pub summary: Summary,
}

/// How we reached the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// The target URL with the password masked.
    pub url: String,
    /// "tcp" or "socket".
    pub transport: String,
    pub address: String,
    pub tls: bool,
    pub connect_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerFacts {
    pub server: ServerInfo,
    pub account: AccountInfo,
    pub timeouts: Timeouts,
    pub capacity: Capacity,
    pub packets: Packets,
    pub counters: Counters,
    pub idle: IdleConnections,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub version: String,
    pub version_comment: String,
    pub flavor: String,
    pub uptime_s: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// The account the server matched (CURRENT_USER()).
    pub current_user: String,
    /// Whether SHOW GRANTS shows PROCESS (needed to see other accounts' threads).
    pub has_process_privilege: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeouts {
    pub wait_timeout_global_s: u64,
    /// What a normal (non-interactive) pooled client gets: the one that matters.
    pub wait_timeout_session_s: u64,
    pub interactive_timeout_s: u64,
    pub connect_timeout_s: u64,
    pub net_read_timeout_s: u64,
    pub net_write_timeout_s: u64,
    /// Statements run for each new non-SUPER connection (may change wait_timeout).
    pub init_connect: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    pub max_connections: u64,
    /// 0 means no server-wide per-account limit.
    pub max_user_connections_global: u64,
    /// The limit that applies to this account (its own MAX_USER_CONNECTIONS, else the global one); 0 = none.
    pub max_user_connections_account: u64,
    pub threads_connected: u64,
    pub threads_running: u64,
    pub max_used_connections: u64,
    pub thread_cache_size: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Packets {
    pub max_allowed_packet_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    pub aborted_clients: u64,
    pub aborted_clients_per_hour: f64,
    pub aborted_connects: u64,
    pub connection_errors_max_connections: u64,
    pub connections: u64,
}

/// Sleeping connections now on the server, grouped by account and client host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleConnections {
    /// "ok" (all accounts seen), "own-only" (no PROCESS: only this account's threads).
    pub scope: String,
    pub groups: Vec<IdleGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleGroup {
    pub user: String,
    pub host: String,
    pub count: u64,
    pub max_idle_s: u64,
}

/// Column order of [`VARIABLES_SQL`](super::collect).
pub const VARIABLE_COLUMNS: &[&str] = &[
    "version",
    "version_comment",
    "wait_timeout_global",
    "wait_timeout_session",
    "interactive_timeout",
    "connect_timeout",
    "net_read_timeout",
    "net_write_timeout",
    "max_connections",
    "max_user_connections_global",
    "max_user_connections_session",
    "max_allowed_packet",
    "thread_cache_size",
    "current_user",
    "init_connect",
];

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

/// Whether `SHOW GRANTS` lines give PROCESS on *.* (directly or via ALL PRIVILEGES).
pub fn grants_include_process(grants: &[String]) -> bool {
    grants.iter().any(|g| {
        let upper = g.to_ascii_uppercase();
        let Some(on) = upper.find(" ON *.*") else {
            return false;
        };
        let privileges = &upper[..on];
        privileges.contains("ALL PRIVILEGES")
            || privileges
                .trim_start_matches("GRANT ")
                .split(',')
                .any(|p| p.trim() == "PROCESS")
    })
}

/// The account's own limit from a `SHOW GRANTS` line (`WITH MAX_USER_CONNECTIONS n`).
pub fn grants_max_user_connections(grants: &[String]) -> Option<u64> {
    grants.iter().find_map(|g| {
        let upper = g.to_ascii_uppercase();
        let at = upper.find("MAX_USER_CONNECTIONS ")?;
        upper[at + "MAX_USER_CONNECTIONS ".len()..]
            .split_whitespace()
            .next()?
            .parse()
            .ok()
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
    fn process_privilege_from_grants() {
        let g = |s: &str| vec![s.to_string()];
        assert!(grants_include_process(&g(
            "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"
        )));
        assert!(grants_include_process(&g(
            "GRANT SELECT, PROCESS ON *.* TO `mon`@`%`"
        )));
        assert!(grants_include_process(&g(
            "GRANT PROCESS ON *.* TO 'mon'@'%'"
        )));
        assert!(!grants_include_process(&g(
            "GRANT USAGE ON *.* TO `app`@`%`"
        )));
        assert!(!grants_include_process(&g(
            "GRANT ALL PRIVILEGES ON `shop`.* TO `app`@`%`"
        )));
        assert!(!grants_include_process(&g(
            "GRANT SELECT ON `process`.* TO `app`@`%`"
        )));
    }

    #[test]
    fn account_limit_from_grants() {
        let g = vec![
            "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*AAAA' WITH MAX_USER_CONNECTIONS 5".to_string(),
        ];
        assert_eq!(grants_max_user_connections(&g), Some(5));
        assert_eq!(
            grants_max_user_connections(&["GRANT USAGE ON *.* TO `a`@`%`".to_string()]),
            None
        );
    }

    #[test]
    fn status_rows() {
        let rows = vec![vec![Some("Uptime".to_string()), Some("42".to_string())]];
        assert_eq!(status_map(&rows)["uptime"].as_deref(), Some("42"));
    }
}
