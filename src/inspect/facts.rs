//! The facts `inspect` reports, and the pure parsing of the server's answers into them.

use crate::finding::{Finding, Skipped, Summary};
use serde::{Deserialize, Serialize};

/// The whole `inspect` result (also the `--format json` document).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InspectReport {
    #[serde(flatten)]
    pub header: crate::schema::Header,
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
    /// MariaDB: attempts aborted before authentication (part of Aborted_connects).
    #[serde(default)]
    pub aborted_connects_preauth: u64,
    /// MariaDB: access-denied errors (failed logins, and denied statements).
    #[serde(default)]
    pub access_denied_errors: u64,
    /// Every `Connection_errors_%` counter added up (max_connections included).
    #[serde(default)]
    pub connection_errors_total: u64,
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
}
