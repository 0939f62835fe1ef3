//! The queries `inspect` runs: four, after the handshake, all read-only and cheap,
//! because users run it against busy production servers.

use super::facts::*;
use crate::db::Session;
use crate::db::server::{detect_flavor, parse_count, status_map};
use anyhow::{Context, Result};

/// One row of variables. `@@session.wait_timeout` is what this non-interactive
/// login got, i.e. what a pooled client of the same account gets.
const VARIABLES_SQL: &str = "SELECT VERSION(), @@version_comment, \
     @@global.wait_timeout, @@session.wait_timeout, @@global.interactive_timeout, \
     @@global.connect_timeout, @@global.net_read_timeout, @@global.net_write_timeout, \
     @@global.max_connections, @@global.max_user_connections, @@session.max_user_connections, \
     @@global.max_allowed_packet, @@global.thread_cache_size, CURRENT_USER(), @@global.init_connect";

/// The refusal counters differ by flavour: MariaDB counts a "Too many
/// connections" refused at login (the usual case: the extra SUPER slot free)
/// only in Aborted_connects, and one refused at accept in both that and
/// Connection_errors_max_connections; so the other causes Aborted_connects
/// counts are read too (checks.rs subtracts them).
const STATUS_SQL: &str = "SHOW GLOBAL STATUS WHERE Variable_name IN \
     ('Uptime', 'Aborted_clients', 'Aborted_connects', 'Aborted_connects_preauth', \
      'Access_denied_errors', 'Threads_connected', 'Threads_running', 'Max_used_connections', \
      'Connections') OR Variable_name LIKE 'Connection\\_errors\\_%'";

const GRANTS_SQL: &str = "SHOW GRANTS FOR CURRENT_USER()";

/// Sleeping threads grouped by account and client host (port stripped). Our own
/// connection is running this query, so it is never counted as idle.
const IDLE_SQL: &str = "SELECT USER, SUBSTRING_INDEX(HOST, ':', 1) AS client_host, \
     COUNT(*), MAX(TIME) FROM information_schema.PROCESSLIST \
     WHERE COMMAND = 'Sleep' GROUP BY USER, client_host ORDER BY MAX(TIME) DESC LIMIT 100";

pub fn collect_facts(session: &mut Session) -> Result<ServerFacts> {
    let vars = session
        .query_text(VARIABLES_SQL)
        .context("could not read server variables")?;
    let status = session
        .query_text(STATUS_SQL)
        .context("could not read global status")?;
    let grants: Vec<String> = session
        .query_text(GRANTS_SQL)
        .context("could not read this account's grants")?
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    let idle = session
        .query_text(IDLE_SQL)
        .context("could not read the process list")?;
    facts_from_rows(&vars, &status, &grants, &idle)
}

/// Pure: the four answers into [`ServerFacts`].
pub fn facts_from_rows(
    vars: &[Vec<Option<String>>],
    status: &[Vec<Option<String>>],
    grants: &[String],
    idle: &[Vec<Option<String>>],
) -> Result<ServerFacts> {
    let row = crate::db::server::one_row(vars, "variables")?;
    let var = |name: &str| -> Option<&str> {
        let i = VARIABLE_COLUMNS.iter().position(|c| *c == name)?;
        row.get(i)?.as_deref()
    };
    let num = |name: &str| parse_count(&variable_label(name), var(name));
    let status = status_map(status);
    // A counter the server does not list is 0; one it lists as NULL is a lie.
    let stat = |name: &str| -> Result<u64> {
        match status.get(&name.to_ascii_lowercase()) {
            Some(v) => parse_count(name, v.as_deref()),
            None => Ok(0),
        }
    };

    let version = var("version").unwrap_or_default().to_string();
    let version_comment = var("version_comment").unwrap_or_default().to_string();
    let uptime_s = stat("Uptime")?;
    let aborted_clients = stat("Aborted_clients")?;
    let has_process = grants_include_process(grants);
    let global_muc = num("max_user_connections_global")?;
    let account_muc = grants_max_user_connections(grants)
        .filter(|n| *n > 0)
        .unwrap_or(num("max_user_connections_session")?);

    let groups = idle
        .iter()
        .map(|r| {
            let text = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
            Ok(IdleGroup {
                user: text(0),
                host: text(1),
                count: parse_count("processlist count", Some(&text(2)))?,
                max_idle_s: parse_count("processlist TIME", Some(&text(3)))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

    Ok(ServerFacts {
        server: ServerInfo {
            flavor: detect_flavor(&version, &version_comment).to_string(),
            version,
            version_comment,
            uptime_s,
        },
        account: AccountInfo {
            current_user: var("current_user").unwrap_or_default().to_string(),
            has_process_privilege: has_process,
        },
        timeouts: Timeouts {
            wait_timeout_global_s: num("wait_timeout_global")?,
            wait_timeout_session_s: num("wait_timeout_session")?,
            interactive_timeout_s: num("interactive_timeout")?,
            connect_timeout_s: num("connect_timeout")?,
            net_read_timeout_s: num("net_read_timeout")?,
            net_write_timeout_s: num("net_write_timeout")?,
            init_connect: var("init_connect").unwrap_or_default().to_string(),
        },
        capacity: Capacity {
            max_connections: num("max_connections")?,
            max_user_connections_global: global_muc,
            max_user_connections_account: account_muc,
            threads_connected: stat("Threads_connected")?,
            threads_running: stat("Threads_running")?,
            max_used_connections: stat("Max_used_connections")?,
            thread_cache_size: num("thread_cache_size")?,
        },
        packets: Packets {
            max_allowed_packet_bytes: num("max_allowed_packet")?,
        },
        counters: Counters {
            aborted_clients,
            aborted_clients_per_hour: per_hour(aborted_clients, uptime_s),
            aborted_connects: stat("Aborted_connects")?,
            connection_errors_max_connections: stat("Connection_errors_max_connections")?,
            connections: stat("Connections")?,
            aborted_connects_preauth: stat("Aborted_connects_preauth")?,
            access_denied_errors: stat("Access_denied_errors")?,
            connection_errors_total: status
                .iter()
                .filter(|(k, _)| k.starts_with("connection_errors_"))
                .try_fold(0u64, |sum, (k, v)| {
                    parse_count(k, v.as_deref()).map(|n| sum.saturating_add(n))
                })?,
        },
        idle: IdleConnections {
            scope: if has_process { "all" } else { "own-only" }.into(),
            groups,
        },
    })
}

/// How a column of [`VARIABLES_SQL`] is named in errors: `@@global.wait_timeout`.
fn variable_label(column: &str) -> String {
    if let Some(base) = column.strip_suffix("_session") {
        format!("@@session.{base}")
    } else {
        format!("@@global.{}", column.trim_end_matches("_global"))
    }
}

fn per_hour(count: u64, uptime_s: u64) -> f64 {
    if uptime_s == 0 {
        return 0.0;
    }
    let rate = count as f64 * 3600.0 / uptime_s as f64;
    (rate * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    fn vars_row(wait: &str) -> Vec<Vec<Option<String>>> {
        vec![vec![
            s("10.11.19-MariaDB-0+deb12u1"),
            s("Debian 12"),
            s(wait),
            s(wait),
            s("28800"),
            s("10"),
            s("30"),
            s("60"),
            s("40"),
            s("0"),
            s("0"),
            s("4194304"),
            s("8"),
            s("root@localhost"),
            s(""),
        ]]
    }

    #[test]
    fn rows_to_facts() {
        let status = vec![
            vec![s("Uptime"), s("7200")],
            vec![s("Aborted_clients"), s("30")],
            vec![s("Threads_connected"), s("3")],
        ];
        let grants = vec!["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost`".to_string()];
        let idle = vec![vec![s("app"), s("10.0.0.5"), s("4"), s("290")]];
        let f = facts_from_rows(&vars_row("5"), &status, &grants, &idle).unwrap();
        assert_eq!(f.timeouts.wait_timeout_session_s, 5);
        assert_eq!(f.capacity.max_connections, 40);
        assert_eq!(f.packets.max_allowed_packet_bytes, 4 << 20);
        assert_eq!(f.counters.aborted_clients_per_hour, 15.0);
        assert_eq!(f.capacity.threads_connected, 3);
        assert_eq!(f.server.flavor, "MariaDB");
        assert_eq!(f.idle.scope, "all");
        assert_eq!(f.idle.groups[0].max_idle_s, 290);
    }

    #[test]
    fn absurd_values_are_errors_not_panics() {
        for bad in ["-1", "abc", "184467440737095516160"] {
            let e = facts_from_rows(&vars_row(bad), &[], &[], &[]).unwrap_err();
            assert!(e.to_string().contains("wait_timeout"), "{e}");
        }
        assert!(facts_from_rows(&[], &[], &[], &[]).is_err());
        let short = vec![vec![s("8.0")]];
        assert!(facts_from_rows(&short, &[], &[], &[]).is_err());
    }
}
