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
            let mut c = mysql::Conn::new(
                mysql::OptsBuilder::new()
                    .ip_or_hostname(Some("127.0.0.1"))
                    .tcp_port(sb.port)
                    .user(Some("idlepool"))
                    .pass(Some("idle-pw"))
                    .prefer_socket(false),
            )
            .unwrap();
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
