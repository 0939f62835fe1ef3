//! The inspect rules: pure functions from [`ServerFacts`] to findings.
//! Every id here is documented in docs/checks.md; ids never change.

use super::facts::ServerFacts;
use crate::finding::{Finding, Severity, Skipped};

/// Below this, no pool's idle period survives; pools must pre-ping and recycle fast.
const WAIT_TIMEOUT_CRIT_S: u64 = 60;
/// Below this, common pool defaults outlive the server's limit (HikariCP's
/// maxLifetime is 30 min, Flask-SQLAlchemy 3 recycles at 2 h, SQLAlchemy and Go never).
const WAIT_TIMEOUT_WARN_S: u64 = 1800;
/// The client-side max_allowed_packet that PyMySQL, mysqlclient and Connector/J default to.
const DRIVER_PACKET_DEFAULT: u64 = crate::drivers::COMMON_MAX_ALLOWED_PACKET_BYTES;
/// A share of max_connections that leaves too little headroom for a burst.
const CAPACITY_WARN_PCT: f64 = 85.0;
/// Aborted_clients per hour that points at a systematic cause (idle kills, apps
/// that exit without closing) rather than the odd crash.
const ABORTED_RATE_WARN: f64 = 10.0;
/// An idle group at this share of wait_timeout is a pool that does not recycle before the server kills.
const IDLE_NEAR_PCT: f64 = 80.0;

pub fn evaluate(f: &ServerFacts) -> (Vec<Finding>, Vec<Skipped>) {
    run_checks(f, &mut Vec::new())
}

/// The ids of the checks that [`evaluate`] evaluates on these facts (a check
/// that found nothing passed; one that lacked the data it needs is not here).
pub fn checks_evaluated(f: &ServerFacts) -> Vec<String> {
    let mut ran = Vec::new();
    run_checks(f, &mut ran);
    ran.into_iter().map(String::from).collect()
}

/// Every rule, each noting its id in `ran` as it is evaluated.
fn run_checks(f: &ServerFacts, ran: &mut Vec<&'static str>) -> (Vec<Finding>, Vec<Skipped>) {
    let mut out = Vec::new();
    let t = &f.timeouts;
    let c = &f.capacity;

    let wait = t.wait_timeout_session_s;
    ran.push("wait-timeout-short");
    if wait < WAIT_TIMEOUT_WARN_S {
        let severity = if wait < WAIT_TIMEOUT_CRIT_S {
            Severity::Crit
        } else {
            Severity::Warn
        };
        out.push(
            Finding::new(
                "wait-timeout-short",
                severity,
                format!(
                    "the server closes a pooled connection after {wait} s idle (session wait_timeout); \
                     pools must recycle sooner than that and pre-ping"
                ),
            )
            .with("wait_timeout_session_s", wait)
            .with("threshold_s", if severity == Severity::Crit { WAIT_TIMEOUT_CRIT_S } else { WAIT_TIMEOUT_WARN_S }),
        );
    }
    ran.push("wait-timeout-session-differs");
    if t.wait_timeout_session_s != t.wait_timeout_global_s {
        out.push(
            Finding::new(
                "wait-timeout-session-differs",
                Severity::Info,
                format!(
                    "this login's session wait_timeout ({} s) differs from the global value ({} s): \
                     per-account settings or init_connect change it, so other accounts may get another limit",
                    t.wait_timeout_session_s, t.wait_timeout_global_s
                ),
            )
            .with("wait_timeout_session_s", t.wait_timeout_session_s)
            .with("wait_timeout_global_s", t.wait_timeout_global_s),
        );
    }
    ran.push("wait-timeout-differs-interactive");
    if t.interactive_timeout_s != t.wait_timeout_global_s {
        out.push(
            Finding::new(
                "wait-timeout-differs-interactive",
                Severity::Info,
                format!(
                    "interactive clients (the mysql shell) get {} s but pools get {} s: \
                     a test from the shell does not show what your app sees",
                    t.interactive_timeout_s, t.wait_timeout_global_s
                ),
            )
            .with("interactive_timeout_s", t.interactive_timeout_s)
            .with("wait_timeout_global_s", t.wait_timeout_global_s),
        );
    }
    ran.push("init-connect-set");
    if !t.init_connect.trim().is_empty() {
        out.push(
            Finding::new(
                "init-connect-set",
                Severity::Info,
                "init_connect is set: it runs for ordinary accounts but not for accounts with SUPER \
                 or CONNECTION_ADMIN, so an admin login may see other session values than the app",
            )
            .with("init_connect_chars", t.init_connect.chars().count()),
        );
    }

    if c.max_connections > 0 {
        ran.push("max-connections-near-limit");
        let used_pct = pct(c.max_used_connections, c.max_connections);
        if used_pct >= CAPACITY_WARN_PCT {
            let severity = if c.max_used_connections >= c.max_connections {
                Severity::Crit
            } else {
                Severity::Warn
            };
            out.push(
                Finding::new(
                    "max-connections-near-limit",
                    severity,
                    format!(
                        "connections peaked at {} of max_connections {} ({used_pct:.0}%) since the server started",
                        c.max_used_connections, c.max_connections
                    ),
                )
                .with("max_used_connections", c.max_used_connections)
                .with("max_connections", c.max_connections)
                .with("used_pct", used_pct),
            );
        }
        ran.push("threads-connected-high");
        let now_pct = pct(c.threads_connected, c.max_connections);
        if now_pct >= CAPACITY_WARN_PCT {
            out.push(
                Finding::new(
                    "threads-connected-high",
                    Severity::Warn,
                    format!(
                        "{} connections are open now, {now_pct:.0}% of max_connections {}",
                        c.threads_connected, c.max_connections
                    ),
                )
                .with("threads_connected", c.threads_connected)
                .with("max_connections", c.max_connections),
            );
        }
    }
    ran.push("max-connections-refused");
    let refusals = refusals(f);
    if refusals.total() > 0 {
        let how = if refusals.at_login > 0 {
            format!(
                " ({} when connecting, {} at login: MariaDB counts those only in Aborted_connects, \
                 so the login figure is Aborted_connects less the other causes it counts and may \
                 include a few other failed logins)",
                refusals.at_accept, refusals.at_login
            )
        } else {
            String::new()
        };
        out.push(
            Finding::new(
                "max-connections-refused",
                Severity::Warn,
                format!(
                    "{} connection attempts were refused with 'Too many connections' (1040) since the server started{how}",
                    refusals.total()
                ),
            )
            .with("refused", refusals.total())
            .with("connection_errors_max_connections", refusals.at_accept)
            .with("refused_at_login", refusals.at_login),
        );
    }

    ran.push("aborted-clients-rate");
    let aborted = f.counters.aborted_clients;
    let rate = f.counters.aborted_clients_per_hour;
    if aborted >= 10 && rate >= 1.0 {
        out.push(
            Finding::new(
                "aborted-clients-rate",
                if rate >= ABORTED_RATE_WARN { Severity::Warn } else { Severity::Info },
                format!(
                    "{aborted} connections were aborted ({rate:.1} per hour of uptime): idle connections \
                     killed at wait_timeout, or clients that vanished without closing"
                ),
            )
            .with("aborted_clients", aborted)
            .with("aborted_clients_per_hour", rate)
            .with("uptime_s", f.server.uptime_s),
        );
    }

    ran.push("max-allowed-packet-small");
    let packet = f.packets.max_allowed_packet_bytes;
    if packet < DRIVER_PACKET_DEFAULT {
        out.push(
            Finding::new(
                "max-allowed-packet-small",
                Severity::Warn,
                format!(
                    "max_allowed_packet is {}, below the 16 MiB that common drivers allow: a larger \
                     statement or row fails with error 1153 and the connection is dropped",
                    human_bytes(packet)
                ),
            )
            .with("max_allowed_packet_bytes", packet)
            .with("driver_default_bytes", DRIVER_PACKET_DEFAULT),
        );
    }

    // Idle groups are compared with the global wait_timeout: that is what
    // other accounts' pooled sessions start with.
    let limit = t.wait_timeout_global_s;
    if limit > 0 {
        ran.extend(["idle-past-global-wait-timeout", "idle-near-wait-timeout"]);
    }
    for g in &f.idle.groups {
        let (id, severity, message) = if limit > 0 && g.max_idle_s > limit {
            // Alive past the global limit: the server is not applying it to
            // them. Their session has a longer wait_timeout (the client set
            // it, as Rails and many shells do, or interactive_timeout applies).
            (
                "idle-past-global-wait-timeout",
                Severity::Info,
                format!(
                    "{} sleeping connection(s) of {}@{} have been idle up to {} s, past the {} s \
                     global wait_timeout, and are still open: their sessions run with a longer \
                     wait_timeout (set by the client, or interactive_timeout for interactive \
                     clients), so the global value does not limit that pool",
                    g.count, g.user, g.host, g.max_idle_s, limit
                ),
            )
        } else if limit > 0 && pct(g.max_idle_s, limit) >= IDLE_NEAR_PCT {
            (
                "idle-near-wait-timeout",
                Severity::Warn,
                format!(
                    "{} sleeping connection(s) of {}@{} have been idle up to {} s of the {} s \
                     wait_timeout: that pool does not recycle before the server kills them",
                    g.count, g.user, g.host, g.max_idle_s, limit
                ),
            )
        } else {
            continue;
        };
        out.push(
            Finding::new(id, severity, message)
                .with("user", g.user.clone())
                .with("host", g.host.clone())
                .with("count", g.count)
                .with("max_idle_s", g.max_idle_s)
                .with("wait_timeout_global_s", limit),
        );
    }

    let mut skipped = Vec::new();
    if !f.account.has_process_privilege {
        skipped.push(Skipped {
            check: "idle-connections-other-accounts".into(),
            reason: "needs PROCESS: only this account's own idle connections were examined".into(),
        });
    }
    (out, skipped)
}

/// "Too many connections" refusals, by where the server refused them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusals {
    /// Refused when the connection arrived: Connection_errors_max_connections.
    pub at_accept: u64,
    /// MariaDB: refused at login because only the extra SUPER slot was left.
    pub at_login: u64,
}

impl Refusals {
    pub fn total(&self) -> u64 {
        self.at_accept.saturating_add(self.at_login)
    }
}

/// MariaDB (verified on 10.11) refuses an ordinary account at login when
/// connections exceed max_connections (the extra slot is for SUPER) and
/// counts that only in Aborted_connects; it refuses at accept, counting both
/// Aborted_connects and Connection_errors_max_connections, when even the
/// extra slot is taken. A login refusal needs max_connections + 1 threads at
/// once, so without `Max_used_connections > max_connections` there was none.
/// Otherwise they are what Aborted_connects holds beyond its other known
/// causes: aborts before authentication, access denied, and every
/// Connection_errors_% refusal. MySQL counts its refusals in
/// Connection_errors_max_connections.
pub fn refusals(f: &ServerFacts) -> Refusals {
    let c = &f.counters;
    let at_login = if f.server.flavor == "MariaDB"
        && f.capacity.max_used_connections > f.capacity.max_connections
    {
        c.aborted_connects
            .saturating_sub(c.aborted_connects_preauth)
            .saturating_sub(c.access_denied_errors)
            .saturating_sub(
                c.connection_errors_total
                    .max(c.connection_errors_max_connections),
            )
    } else {
        0
    };
    Refusals {
        at_accept: c.connection_errors_max_connections,
        at_login,
    }
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// 4194304 → "4 MiB".
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::super::facts::*;
    use super::*;

    fn healthy() -> ServerFacts {
        ServerFacts {
            server: ServerInfo {
                version: "10.11.19-MariaDB".into(),
                version_comment: "Debian 12".into(),
                flavor: "MariaDB".into(),
                uptime_s: 86400,
            },
            account: AccountInfo {
                current_user: "root@localhost".into(),
                has_process_privilege: true,
            },
            timeouts: Timeouts {
                wait_timeout_global_s: 28800,
                wait_timeout_session_s: 28800,
                interactive_timeout_s: 28800,
                connect_timeout_s: 10,
                net_read_timeout_s: 30,
                net_write_timeout_s: 60,
                init_connect: String::new(),
            },
            capacity: Capacity {
                max_connections: 151,
                max_user_connections_global: 0,
                max_user_connections_account: 0,
                threads_connected: 5,
                threads_running: 1,
                max_used_connections: 20,
                thread_cache_size: 8,
            },
            packets: Packets {
                max_allowed_packet_bytes: 64 << 20,
            },
            counters: Counters {
                aborted_clients: 0,
                aborted_clients_per_hour: 0.0,
                aborted_connects: 0,
                connection_errors_max_connections: 0,
                connections: 100,
                aborted_connects_preauth: 0,
                access_denied_errors: 0,
                connection_errors_total: 0,
            },
            idle: IdleConnections {
                scope: "all".into(),
                groups: vec![],
            },
        }
    }

    fn ids(f: &ServerFacts) -> Vec<(String, Severity)> {
        evaluate(f)
            .0
            .into_iter()
            .map(|x| (x.id, x.severity))
            .collect()
    }

    #[test]
    fn healthy_server_has_no_findings() {
        assert_eq!(ids(&healthy()), vec![]);
        assert!(evaluate(&healthy()).1.is_empty());
    }

    #[test]
    fn wait_timeout_bands() {
        let mut f = healthy();
        f.timeouts.wait_timeout_global_s = 5;
        f.timeouts.wait_timeout_session_s = 5;
        f.timeouts.interactive_timeout_s = 5;
        assert_eq!(ids(&f), vec![("wait-timeout-short".into(), Severity::Crit)]);
        f.timeouts.wait_timeout_session_s = 600;
        f.timeouts.wait_timeout_global_s = 600;
        f.timeouts.interactive_timeout_s = 600;
        assert_eq!(ids(&f), vec![("wait-timeout-short".into(), Severity::Warn)]);
        f.timeouts.wait_timeout_session_s = 1800;
        f.timeouts.wait_timeout_global_s = 1800;
        f.timeouts.interactive_timeout_s = 1800;
        assert_eq!(ids(&f), vec![]);
    }

    #[test]
    fn session_and_interactive_differences() {
        let mut f = healthy();
        f.timeouts.wait_timeout_session_s = 3600;
        f.timeouts.interactive_timeout_s = 600;
        let got = ids(&f);
        assert!(got.contains(&("wait-timeout-session-differs".into(), Severity::Info)));
        assert!(got.contains(&("wait-timeout-differs-interactive".into(), Severity::Info)));
    }

    #[test]
    fn capacity() {
        let mut f = healthy();
        f.capacity.max_used_connections = 129; // 85.4 %
        assert_eq!(
            ids(&f),
            vec![("max-connections-near-limit".into(), Severity::Warn)]
        );
        f.capacity.max_used_connections = 151;
        assert_eq!(
            ids(&f),
            vec![("max-connections-near-limit".into(), Severity::Crit)]
        );
        f.capacity.max_used_connections = 20;
        f.capacity.threads_connected = 140;
        assert_eq!(
            ids(&f),
            vec![("threads-connected-high".into(), Severity::Warn)]
        );
        f.capacity.threads_connected = 5;
        f.counters.connection_errors_max_connections = 3;
        assert_eq!(
            ids(&f),
            vec![("max-connections-refused".into(), Severity::Warn)]
        );
    }

    #[test]
    fn aborted_clients_rate() {
        let mut f = healthy();
        f.counters.aborted_clients = 240;
        f.counters.aborted_clients_per_hour = 10.0;
        assert_eq!(
            ids(&f),
            vec![("aborted-clients-rate".into(), Severity::Warn)]
        );
        f.counters.aborted_clients_per_hour = 2.0;
        assert_eq!(
            ids(&f),
            vec![("aborted-clients-rate".into(), Severity::Info)]
        );
        f.counters.aborted_clients = 5; // too few to mean anything
        assert_eq!(ids(&f), vec![]);
    }

    #[test]
    fn packet_limit() {
        let mut f = healthy();
        f.packets.max_allowed_packet_bytes = 4 << 20;
        let (findings, _) = evaluate(&f);
        assert_eq!(findings[0].id, "max-allowed-packet-small");
        assert!(findings[0].message.contains("4 MiB"));
        assert_eq!(findings[0].evidence["max_allowed_packet_bytes"], 4194304);
        f.packets.max_allowed_packet_bytes = 16 << 20;
        assert_eq!(ids(&f), vec![]);
    }

    #[test]
    fn idle_groups_near_wait_timeout() {
        let mut f = healthy();
        f.idle.groups = vec![
            IdleGroup {
                user: "app".into(),
                host: "10.0.0.5".into(),
                count: 7,
                max_idle_s: 25000,
            },
            IdleGroup {
                user: "web".into(),
                host: "10.0.0.6".into(),
                count: 2,
                max_idle_s: 30,
            },
        ];
        let (findings, _) = evaluate(&f);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].id, "idle-near-wait-timeout");
        assert_eq!(findings[0].evidence["user"], "app");
    }

    #[test]
    fn idle_past_the_global_limit_is_a_longer_session_limit_not_a_warning() {
        let mut f = healthy();
        f.idle.groups = vec![
            IdleGroup {
                user: "rails".into(),
                host: "10.0.0.7".into(),
                count: 4,
                max_idle_s: 28801,
            },
            IdleGroup {
                user: "app".into(),
                host: "10.0.0.5".into(),
                count: 2,
                max_idle_s: 28800,
            },
        ];
        let got = ids(&f);
        assert_eq!(
            got,
            vec![
                ("idle-past-global-wait-timeout".into(), Severity::Info),
                ("idle-near-wait-timeout".into(), Severity::Warn),
            ]
        );
        let (findings, _) = evaluate(&f);
        assert_eq!(findings[0].evidence["user"], "rails");
        assert!(
            findings[0].message.contains("longer"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn mariadb_refusals_at_login_are_found_in_aborted_connects() {
        let mut f = healthy();
        // 3 refused at login (only the SUPER slot was left), 1 wrong password,
        // 2 aborted handshakes, 5 refused at accept (also in Aborted_connects).
        f.capacity.max_connections = 10;
        f.capacity.max_used_connections = 11;
        f.counters.aborted_connects = 3 + 1 + 2 + 5;
        f.counters.access_denied_errors = 1;
        f.counters.aborted_connects_preauth = 2;
        f.counters.connection_errors_max_connections = 5;
        f.counters.connection_errors_total = 5;
        assert_eq!(
            refusals(&f),
            Refusals {
                at_accept: 5,
                at_login: 3
            }
        );
        let (findings, _) = evaluate(&f);
        let r = findings
            .iter()
            .find(|x| x.id == "max-connections-refused")
            .unwrap();
        assert_eq!(r.evidence["refused"], 8);
        assert!(
            r.message.starts_with("8 connection attempts"),
            "{}",
            r.message
        );
        // Never more than max_connections at once: no login refusal possible.
        f.capacity.max_used_connections = 10;
        assert_eq!(refusals(&f).at_login, 0);
        // MySQL counts its refusals in Connection_errors_max_connections alone.
        f.capacity.max_used_connections = 11;
        f.server.flavor = "MySQL".into();
        assert_eq!(refusals(&f).total(), 5);
        // More other causes than aborts (access denied counts statements too): 0, not a wrap.
        f.server.flavor = "MariaDB".into();
        f.counters.access_denied_errors = 1000;
        assert_eq!(refusals(&f).at_login, 0);
    }

    #[test]
    fn no_process_privilege_is_skipped_not_an_error() {
        let mut f = healthy();
        f.account.has_process_privilege = false;
        let (_, skipped) = evaluate(&f);
        assert_eq!(skipped[0].check, "idle-connections-other-accounts");
        assert!(skipped[0].reason.contains("needs PROCESS"));
    }

    #[test]
    fn init_connect() {
        let mut f = healthy();
        f.timeouts.init_connect = "SET SESSION wait_timeout=300".into();
        assert_eq!(ids(&f), vec![("init-connect-set".into(), Severity::Info)]);
    }

    /// Every finding comes from a check that says it ran; a healthy server
    /// ran every check and failed none.
    #[test]
    fn checks_evaluated_cover_every_finding() {
        let all = checks_evaluated(&healthy());
        assert_eq!(all.len(), 11, "{all:?}");
        let mut f = healthy();
        f.timeouts.wait_timeout_session_s = 5;
        f.timeouts.interactive_timeout_s = 600;
        f.timeouts.init_connect = "SET x=1".into();
        f.capacity.max_used_connections = 151;
        f.capacity.threads_connected = 140;
        f.counters.connection_errors_max_connections = 3;
        f.counters.aborted_clients = 240;
        f.counters.aborted_clients_per_hour = 10.0;
        f.packets.max_allowed_packet_bytes = 1 << 20;
        f.idle.groups = vec![IdleGroup {
            user: "app".into(),
            host: "h".into(),
            count: 1,
            max_idle_s: 28000,
        }];
        let (findings, _) = evaluate(&f);
        assert_eq!(findings.len(), 10);
        let ran = checks_evaluated(&f);
        for finding in &findings {
            assert!(ran.contains(&finding.id), "{} not in {ran:?}", finding.id);
        }
        f.capacity.max_connections = 0;
        let ran = checks_evaluated(&f);
        assert!(!ran.contains(&"max-connections-near-limit".to_string()));
    }

    #[test]
    fn bytes() {
        assert_eq!(human_bytes(4 << 20), "4 MiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(100), "100 B");
    }
}
