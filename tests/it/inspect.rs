//! `poolcheck inspect` against the real sandbox MariaDB.

use crate::common::sandbox::{MAX_ALLOWED_PACKET, MAX_CONNECTIONS, WAIT_TIMEOUT_S};
use crate::common::{Run, Sandbox, poolcheck, run};
use mysql::prelude::Queryable;
use poolcheck::inspect::InspectReport;
use std::time::Duration;

fn inspect_json(args: &[&str]) -> (Run, InspectReport) {
    let r = run(poolcheck()
        .args(["inspect", "--no-defaults", "--format", "json"])
        .args(args));
    assert_ne!(r.code, 2, "could not run: {}", r.stderr);
    let report: InspectReport =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    (r, report)
}

fn ids(report: &InspectReport) -> Vec<&str> {
    report.findings.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn reports_the_exact_values_the_server_was_started_with() {
    let sb = Sandbox::shared();
    let (r, rep) = inspect_json(&[&sb.root_url()]);
    assert_eq!(rep.header.schema_version, 1);
    assert_eq!(rep.facts.timeouts.wait_timeout_global_s, WAIT_TIMEOUT_S);
    assert_eq!(rep.facts.timeouts.wait_timeout_session_s, WAIT_TIMEOUT_S);
    assert_eq!(rep.facts.capacity.max_connections, MAX_CONNECTIONS);
    assert_eq!(
        rep.facts.packets.max_allowed_packet_bytes,
        MAX_ALLOWED_PACKET
    );
    assert_eq!(rep.facts.server.flavor, "MariaDB");
    assert_eq!(rep.target.transport, "tcp");
    assert_eq!(rep.target.address, format!("127.0.0.1:{}", sb.port));
    assert!(rep.facts.account.has_process_privilege);
    let found = ids(&rep);
    assert!(found.contains(&"max-allowed-packet-small"), "{found:?}");
    assert!(found.contains(&"wait-timeout-short"), "{found:?}");
    // Findings at warn or above with the default --fail-on warn: exit 1.
    assert_eq!(r.code, 1);
    assert_eq!(rep.summary.crit, 1);
}

#[test]
fn fail_on_threshold_sets_the_exit_code() {
    let sb = Sandbox::shared();
    let code = |fail_on: &str| {
        run(poolcheck().args([
            "inspect",
            "--no-defaults",
            "--fail-on",
            fail_on,
            &sb.root_url(),
        ]))
        .code
    };
    assert_eq!(code("never"), 0);
    assert_eq!(code("crit"), 1);
    assert_eq!(code("info"), 1);
}

#[test]
fn table_is_the_default_format() {
    let sb = Sandbox::shared();
    let r = run(poolcheck().args(["inspect", "--no-defaults", &sb.root_url()]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.starts_with("MariaDB "), "{}", r.stdout);
    assert!(r.stdout.contains("wait_timeout (session)"));
    assert!(r.stdout.contains("4 MiB"));
    assert!(r.stdout.contains("max-allowed-packet-small"));
    assert!(!r.stdout.contains('\x1b'), "no colors when not a terminal");
    assert_eq!(r.stderr, "");
}

#[test]
fn account_without_process_gets_skipped_not_an_error() {
    let sb = Sandbox::shared();
    sb.exec(&[
        "CREATE USER IF NOT EXISTS 'noproc'@'%' IDENTIFIED BY 'noproc-pw'",
        "GRANT SELECT ON mysql.* TO 'noproc'@'%'",
    ]);
    let (r, rep) = inspect_json(&[&sb.url("noproc", Some("noproc-pw"))]);
    assert_eq!(r.code, 1);
    assert!(!rep.facts.account.has_process_privilege);
    assert_eq!(rep.facts.idle.scope, "own-only");
    assert_eq!(rep.skipped[0].check, "idle-connections-other-accounts");
    assert!(rep.skipped[0].reason.contains("needs PROCESS"));
    // The table says so too.
    let r = run(poolcheck().args([
        "inspect",
        "--no-defaults",
        &sb.url("noproc", Some("noproc-pw")),
    ]));
    assert!(
        r.stdout
            .contains("skipped: idle-connections-other-accounts (needs PROCESS"),
        "{}",
        r.stdout
    );
}

#[test]
fn account_limit_is_reported() {
    let sb = Sandbox::shared();
    sb.exec(&[
        "CREATE USER IF NOT EXISTS 'limited'@'%' IDENTIFIED BY 'limited-pw' WITH MAX_USER_CONNECTIONS 7",
    ]);
    let (_, rep) = inspect_json(&[&sb.url("limited", Some("limited-pw"))]);
    assert_eq!(rep.facts.capacity.max_user_connections_account, 7);
    assert_eq!(rep.facts.capacity.max_user_connections_global, 0);
}

#[test]
fn idle_pool_connections_are_grouped_and_flagged_near_wait_timeout() {
    let sb = Sandbox::shared();
    sb.exec(&["CREATE USER IF NOT EXISTS 'idlepool'@'%' IDENTIFIED BY 'idle-pw'"]);
    // Three pooled connections that survive the server's 5 s (they raise their
    // own session value), left idle for 4.5 s: 90% of the global wait_timeout.
    let pool: Vec<mysql::Conn> = (0..3)
        .map(|_| {
            let mut c = sb.connect_as("idlepool", "idle-pw").unwrap();
            c.query_drop("SET SESSION wait_timeout = 600").unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(4500));
    let (_, rep) = inspect_json(&[&sb.root_url()]);
    let group = rep
        .facts
        .idle
        .groups
        .iter()
        .find(|g| g.user == "idlepool")
        .expect("idle group for idlepool");
    assert_eq!(group.count, 3);
    assert_eq!(group.host, "127.0.0.1");
    assert!(group.max_idle_s >= 4, "{group:?}");
    let flagged = rep
        .findings
        .iter()
        .find(|f| f.id == "idle-near-wait-timeout" && f.evidence["user"] == "idlepool");
    assert!(flagged.is_some(), "{:?}", rep.findings);
    drop(pool);
}

#[test]
fn connects_through_the_unix_socket() {
    let sb = Sandbox::shared();
    let (_, rep) = inspect_json(&["--socket", sb.socket.to_str().unwrap(), "--user", "root"]);
    assert_eq!(rep.target.transport, "socket");
    assert_eq!(rep.facts.timeouts.wait_timeout_global_s, WAIT_TIMEOUT_S);
}

#[test]
fn reads_an_option_file() {
    let sb = Sandbox::shared();
    sb.exec(&["CREATE USER IF NOT EXISTS 'cnfuser'@'%' IDENTIFIED BY 'p#ss w;rd'"]);
    let dir = tempfile::tempdir().unwrap();
    let cnf = dir.path().join("my.cnf");
    std::fs::write(
        &cnf,
        format!(
            "[client]\nhost = 127.0.0.1\nport = {}\nuser = cnfuser\npassword = \"p#ss w;rd\"  # quoted\n[mysqld]\nport = 1\n",
            sb.port
        ),
    )
    .unwrap();
    let r = run(poolcheck()
        .args(["inspect", "--format", "json", "--defaults-file"])
        .arg(&cnf));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let rep: InspectReport = serde_json::from_str(&r.stdout).unwrap();
    assert!(rep.facts.account.current_user.starts_with("cnfuser@"));
    assert_eq!(
        rep.target.url,
        format!("mysql://cnfuser:****@127.0.0.1:{}/", sb.port)
    );
}

#[test]
fn database_url_from_the_environment_with_app_parameters() {
    let sb = Sandbox::shared();
    let url = format!(
        "mysql+pymysql://root@127.0.0.1:{}/?charset=utf8mb4&reconnect=true",
        sb.port
    );
    let r = run(poolcheck()
        .args(["inspect", "--no-defaults", "--format", "json"])
        .env("DATABASE_URL", &url));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "note: ignoring URL parameters poolcheck does not use: charset, reconnect\n"
    );
    serde_json::from_str::<InspectReport>(&r.stdout).unwrap();
    // --quiet silences notes.
    let r = run(poolcheck()
        .args(["inspect", "--no-defaults", "--quiet"])
        .env("DATABASE_URL", &url));
    assert_eq!(r.stderr, "");
}

#[test]
fn piping_into_head_is_not_an_error() {
    let sb = Sandbox::shared();
    let bin = assert_cmd::cargo::cargo_bin("poolcheck");
    let script = format!(
        "'{}' inspect --no-defaults --fail-on never '{}' | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}",
        bin.display(),
        sb.root_url()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("error"));
}

/// MariaDB refuses an ordinary account at login once max_connections are in
/// use (the extra slot is kept for SUPER) and counts that only in
/// Aborted_connects, not in Connection_errors_max_connections: 3 such
/// refusals gave no finding. With the SUPER slot taken too, it refuses at
/// accept and counts both: 5 more gave "2 refused". The finding now says 3,
/// then 8.
#[test]
fn refusals_of_an_ordinary_account_are_counted_on_mariadb() {
    let sb = Sandbox::start(&["--max-connections=10"]);
    sb.exec(&[
        "CREATE USER 'full'@'%' IDENTIFIED BY 'full-pw'",
        "GRANT SELECT ON *.* TO 'full'@'%'",
    ]);
    let app = || sb.connect_as("full", "full-pw");
    let refuse = |n: usize| {
        for _ in 0..n {
            match app() {
                Err(mysql::Error::MySqlError(e)) => assert_eq!(e.code, 1040, "{e}"),
                other => panic!("expected 1040, got {:?}", other.map(|_| "a connection")),
            }
        }
    };
    let refused = |rep: &InspectReport| {
        rep.findings
            .iter()
            .find(|f| f.id == "max-connections-refused")
            .map(|f| (f.evidence["refused"].as_u64().unwrap(), f.message.clone()))
    };
    let held: Vec<_> = (0..10).map(|_| app().unwrap()).collect();
    // Only the SUPER slot is left: refused at login. Under load a refused
    // connection's thread can still hold that slot when the next one arrives,
    // which is then refused at accept instead: the split may vary, the total
    // may not.
    refuse(3);
    // root takes the SUPER slot for the inspection.
    let (_, rep) = inspect_json(&["--fail-on", "never", &sb.root_url()]);
    let at_accept = rep.facts.counters.connection_errors_max_connections;
    assert!(at_accept < 3, "at least one refusal was at login");
    assert_eq!(rep.facts.counters.aborted_connects, 3);
    let (n, message) = refused(&rep).expect("a max-connections-refused finding");
    assert_eq!(n, 3, "{message}");
    assert!(
        message.contains(&format!(
            "{at_accept} when connecting, {} at login",
            3 - at_accept
        )),
        "{message}"
    );
    // The SUPER slot taken as well: refused at accept.
    let admin = sb.admin();
    refuse(5);
    drop(admin);
    let (_, rep) = inspect_json(&["--fail-on", "never", &sb.root_url()]);
    assert_eq!(
        rep.facts.counters.connection_errors_max_connections,
        at_accept + 5
    );
    let (n, message) = refused(&rep).expect("a max-connections-refused finding");
    assert_eq!(n, 8, "{message}");
    assert!(
        message.contains(&format!(
            "{} when connecting, {} at login",
            at_accept + 5,
            3 - at_accept
        )),
        "{message}"
    );
    drop(held);
}

/// A connection that sets a longer session wait_timeout (Rails does; so does
/// a shell) and idles past the global one is alive: that is evidence of the
/// longer session limit (`idle-past-global-wait-timeout`, info), not of a
/// pool that "does not recycle before the server kills them".
#[test]
fn idle_past_the_global_wait_timeout_is_named_as_a_longer_session_limit() {
    let sb = Sandbox::shared();
    sb.exec(&["CREATE USER IF NOT EXISTS 'longsession'@'%' IDENTIFIED BY 'long-pw'"]);
    let mut c = sb.connect_as("longsession", "long-pw").unwrap();
    c.query_drop("SET SESSION wait_timeout = 600").unwrap();
    // Idle past the global 5 s: TIME must read above 5 (a bounded wait, 20 s).
    let started = std::time::Instant::now();
    let rep = loop {
        std::thread::sleep(Duration::from_millis(500));
        let (_, rep) = inspect_json(&["--fail-on", "never", &sb.root_url()]);
        let past = rep
            .facts
            .idle
            .groups
            .iter()
            .any(|g| g.user == "longsession" && g.max_idle_s > WAIT_TIMEOUT_S);
        if past {
            break rep;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never idle past {WAIT_TIMEOUT_S} s: {:?}",
            rep.facts.idle
        );
    };
    let ours: Vec<_> = rep
        .findings
        .iter()
        .filter(|f| f.evidence.get("user").and_then(|u| u.as_str()) == Some("longsession"))
        .collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert_eq!(ours[0].id, "idle-past-global-wait-timeout");
    assert_eq!(ours[0].severity, poolcheck::finding::Severity::Info);
    assert!(ours[0].message.contains("longer"), "{}", ours[0].message);
    // It is alive: a query on it works.
    c.query_drop("SELECT 1").unwrap();
}
