//! `poolcheck probe` against the real sandbox, directly and through
//! `poolcheck proxy` in each mode.

use crate::common::{Run, Sandbox, light, poolcheck, run};
use crate::proxy::{start_proxy, terminate};
use poolcheck::probe::{Outcome, ProbeReport, Verdict};

fn probe_json(url: &str, args: &[&str]) -> (Run, ProbeReport) {
    let r = run(poolcheck()
        .args(["probe", "--no-defaults", "--format", "json"])
        .args(args)
        .arg(url));
    assert_ne!(r.code, 2, "could not run: {}", r.stderr);
    let report: ProbeReport =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    (r, report)
}

fn classes(rep: &ProbeReport) -> Vec<(f64, String)> {
    rep.rungs
        .iter()
        .flat_map(|g| {
            g.connections
                .iter()
                .map(move |c| (g.idle_s, c.outcome.label()))
        })
        .collect()
}

#[test]
fn server_wait_timeout_is_found_and_blamed_on_the_server() {
    let _connections = light();
    let sb = Sandbox::shared();
    let (r, rep) = probe_json(
        &sb.root_url(),
        &["--idle", "2s,7s", "--connections", "2", "--reconnects", "3"],
    );
    assert_eq!(rep.wait_timeout_session_s, 5);
    let got = classes(&rep);
    assert_eq!(got.len(), 4);
    assert!(
        got[..2].iter().all(|(i, c)| *i == 2.0 && c == "alive"),
        "{got:?}"
    );
    // MariaDB resets a TCP connection when its wait_timeout fires.
    assert!(
        got[2..].iter().all(|(i, c)| *i == 7.0 && c == "reset"),
        "{got:?}"
    );
    assert!(rep.cutoff.lo_s >= 2.0 && rep.cutoff.lo_s < 5.0);
    assert!(rep.cutoff.hi_s.unwrap() >= 5.0);
    assert_eq!(rep.verdict, Verdict::Server);
    let rc = rep.reconnects.as_ref().unwrap();
    assert_eq!((rc.attempts, rc.failures), (3, 0));
    assert!(rc.handshake_auth_ms.unwrap().p50_ms > 0.0);
    assert_eq!(r.code, 1, "idle-cutoff-short is crit");
    assert!(rep.findings.iter().any(|f| f.id == "idle-cutoff-short"));
}

#[test]
fn session_wait_timeout_lets_connections_outlive_the_server_default() {
    let _connections = light();
    let sb = Sandbox::shared();
    let (r, rep) = probe_json(
        &sb.root_url(),
        &[
            "--idle",
            "6s",
            "--connections",
            "1",
            "--reconnects",
            "0",
            "--session-wait-timeout",
            "60",
        ],
    );
    assert_eq!(rep.wait_timeout_session_s, 60);
    assert_eq!(classes(&rep), vec![(6.0, "alive".to_string())]);
    assert_eq!(rep.verdict, Verdict::None);
    assert_eq!(rep.cutoff.hi_s, None);
    assert_eq!(r.code, 0);
}

fn through_proxy(mode_args: &[&str]) -> ProbeReport {
    let sb = Sandbox::shared();
    let mut args = vec![
        "--upstream".to_string(),
        format!("127.0.0.1:{}", sb.port),
        "--idle-cutoff".into(),
        "2s".into(),
    ];
    args.extend(mode_args.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (child, port, _stderr) = start_proxy(&args);
    let url = format!("mysql://root@127.0.0.1:{port}/");
    let (_, rep) = probe_json(
        &url,
        &[
            "--idle",
            "1s,3s",
            "--connections",
            "1",
            "--reconnects",
            "2",
            "--io-timeout",
            "1s",
        ],
    );
    let (code, _) = terminate(child);
    assert_eq!(code, 130);
    rep
}

#[test]
fn proxy_fin_is_closed_and_a_middlebox() {
    let _connections = light();
    let rep = through_proxy(&["--on-idle", "fin"]);
    assert_eq!(
        classes(&rep),
        vec![(1.0, "alive".into()), (3.0, "closed".into())]
    );
    assert_eq!(rep.verdict, Verdict::Middlebox, "{}", rep.verdict_reason);
}

#[test]
fn proxy_rst_is_reset_and_a_middlebox() {
    let _connections = light();
    let rep = through_proxy(&["--on-idle", "rst"]);
    assert_eq!(
        classes(&rep),
        vec![(1.0, "alive".into()), (3.0, "reset".into())]
    );
    assert_eq!(rep.verdict, Verdict::Middlebox, "{}", rep.verdict_reason);
}

#[test]
fn proxy_blackhole_is_blackholed_with_a_zombie_thread() {
    let _connections = light();
    let rep = through_proxy(&["--on-idle", "blackhole"]);
    assert_eq!(
        classes(&rep),
        vec![(1.0, "alive".into()), (3.0, "blackholed".into())]
    );
    assert_eq!(rep.verdict, Verdict::Middlebox);
    assert_eq!(rep.zombies.len(), 1);
    let ids: Vec<&str> = rep.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(
        ids.contains(&"silent-drop") && ids.contains(&"zombie-connections"),
        "{ids:?}"
    );
    let dead = &rep.rungs[1].connections[0];
    assert!(
        dead.detect_ms >= 900.0,
        "a blackhole takes the io timeout: {dead:?}"
    );
}

#[test]
fn proxy_error_4031_is_a_server_error() {
    let _connections = light();
    let rep = through_proxy(&["--inject-error", "4031"]);
    assert_eq!(
        classes(&rep),
        vec![(1.0, "alive".into()), (3.0, "server-error 4031".into())]
    );
    assert!(matches!(
        rep.rungs[1].connections[0].outcome,
        Outcome::ServerError {
            code: Some(4031),
            ..
        }
    ));
    assert_eq!(rep.verdict, Verdict::Server);
}

#[test]
fn sigterm_closes_every_probe_connection_and_prints_a_partial_report() {
    let _connections = light();
    let sb = Sandbox::shared();
    sb.exec(&[
        "CREATE USER IF NOT EXISTS 'probeint'@'%' IDENTIFIED BY 'probeint-pw'",
        "GRANT PROCESS ON *.* TO 'probeint'@'%'",
    ]);
    let bin = assert_cmd::cargo::cargo_bin("poolcheck");
    let child = std::process::Command::new(bin)
        .args([
            "probe",
            "--no-defaults",
            "--format",
            "json",
            "--idle",
            "30s",
            "--connections",
            "3",
        ])
        .arg(sb.url("probeint", Some("probeint-pw")))
        .env_clear()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let child = crate::common::Reaped::new(child);
    // 3 probe connections, the control connection and the keepalive
    // control group's 2 (the probe may first wait its turn for the
    // server-wide probe lock).
    crate::common::await_threads(sb, "probeint", 6);
    let count = || -> usize {
        use mysql::prelude::Queryable;
        sb.admin()
            .query_first::<usize, _>(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'probeint'",
            )
            .unwrap()
            .unwrap()
    };
    assert_eq!(count(), 6, "the probe holds its connections");
    let (code, stdout) = terminate(child);
    assert_eq!(code, 130);
    let rep: ProbeReport = serde_json::from_str(&stdout).unwrap();
    assert!(rep.interrupted);
    assert_eq!(rep.verdict, Verdict::None);
    // The server sees the quits right away.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while count() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(count(), 0, "no poolcheck thread left on the server");
}

#[test]
fn refuses_to_take_too_many_connections() {
    let _connections = light();
    let sb = Sandbox::shared();
    let r = run(poolcheck().args([
        "probe",
        "--no-defaults",
        "--idle",
        "1s",
        "--connections",
        "60",
        &sb.root_url(),
    ]));
    r.assert_usage_error();
    assert!(r.stderr.contains("may be used safely"), "{}", r.stderr);
}

#[test]
fn bad_probe_arguments() {
    let _connections = light();
    for args in [
        vec!["probe", "--idle", "soon", "mysql://root@127.0.0.1:1/"],
        vec![
            "probe",
            "--idle",
            "1s",
            "--connections",
            "0",
            "mysql://root@127.0.0.1:1/",
        ],
        vec![
            "probe",
            "--idle",
            "1s",
            "--io-timeout",
            "0",
            "mysql://root@127.0.0.1:1/",
        ],
        vec![
            "probe",
            "--idle",
            "1s",
            "--session-wait-timeout",
            "0",
            "mysql://root@127.0.0.1:1/",
        ],
    ] {
        run(poolcheck().args(&args)).assert_usage_error();
    }
    let r = run(poolcheck().args(["probe", "mysql://root@127.0.0.1:1/"]));
    assert_eq!(r.code, 2, "--idle is required");
}

/// A KILL is no idle cutoff: the other connections of the same idle age survive.
#[test]
fn a_killed_connection_is_not_taken_for_a_cutoff() {
    use mysql::prelude::Queryable;
    let _connections = light();
    let sb = Sandbox::shared();
    sb.exec(&["CREATE USER IF NOT EXISTS 'probekill'@'%' IDENTIFIED BY 'probekill-pw'"]);
    let bin = assert_cmd::cargo::cargo_bin("poolcheck");
    let child = std::process::Command::new(bin)
        .args([
            "probe",
            "--no-defaults",
            "--format",
            "json",
            "--idle",
            "4s",
            "--connections",
            "3",
        ])
        .args([
            "--reconnects",
            "0",
            "--session-wait-timeout",
            "60",
            "--fail-on",
            "never",
        ])
        .arg(sb.url("probekill", Some("probekill-pw")))
        .env_clear()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Its connections are open: the control connection, the keepalive
    // control group's 2, 3 probe connections (the probe may first wait its
    // turn for the server-wide probe lock).
    crate::common::await_threads(sb, "probekill", 6);
    let mut admin = sb.admin();
    let victim: u64 = admin
        // The newest: the oldest is the probe's control connection.
        .query_first("SELECT MAX(ID) FROM information_schema.PROCESSLIST WHERE USER = 'probekill'")
        .unwrap()
        .unwrap();
    admin
        .query_drop(format!("KILL CONNECTION {victim}"))
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rep: ProbeReport = serde_json::from_slice(&out.stdout).unwrap();
    let got = classes(&rep);
    assert_eq!(
        got.iter().filter(|(_, c)| c == "alive").count(),
        2,
        "{got:?}"
    );
    assert_eq!(
        rep.cutoff.hi_s, None,
        "a kill is no cutoff: {:?}",
        rep.cutoff
    );
    assert_eq!(rep.verdict, Verdict::Server, "{}", rep.verdict_reason);
    assert!(rep.findings.iter().any(|f| f.id == "connection-killed"));
}
