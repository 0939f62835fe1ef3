//! Faults in the middle of work: the server restarts, other clients fill it,
//! the account changes, the path goes silent, a signal arrives. Each test
//! checks what the report says and that no poolcheck thread is left on the
//! server afterwards.

use crate::common::relay::{Relay, SynBlackhole};
use crate::common::{Reaped, Run, Sandbox, await_threads, light, poolcheck, run, threads_of};
use mysql::prelude::Queryable;
use poolcheck::probe::{KeepaliveControl, ProbeReport};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `poolcheck <args>` in the background with a clean environment.
pub fn spawn(args: &[&str]) -> Reaped {
    let child = Command::new(assert_cmd::cargo::cargo_bin("poolcheck"))
        .args(args)
        .env_clear()
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("poolcheck started");
    Reaped::new(child)
}

/// Sends a signal by name (INT, TERM).
fn signal(child: &mut Reaped, name: &str) {
    let id = child.child().id().to_string();
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &id])
        .status()
        .unwrap();
    assert!(ok.success(), "kill -{name}");
}

/// Waits (at most `limit`) for the process to end; both streams are read on
/// threads so a full pipe cannot stall it.
pub fn finish(mut child: Reaped, limit: Duration) -> Run {
    let started = Instant::now();
    let mut out = child.child().stdout.take().unwrap();
    let mut err = child.child().stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let code = loop {
        if let Some(status) = child.child().try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        assert!(
            started.elapsed() < limit,
            "poolcheck still running after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        code,
        stdout: o.join().unwrap(),
        stderr: e.join().unwrap(),
        elapsed: started.elapsed(),
    }
}

fn report(r: &Run) -> ProbeReport {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}\nstdout:\n{}\nstderr:\n{}", r.stdout, r.stderr))
}

fn ids(rep: &ProbeReport) -> Vec<&str> {
    rep.findings.iter().map(|f| f.id.as_str()).collect()
}

/// The server lets go of a closed connection's thread within moments; waits
/// (bounded) for the count to reach zero.
fn assert_no_thread_left(sb: &Sandbox, user: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while threads_of(sb, user) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(threads_of(sb, user), 0, "poolcheck threads of {user} left");
}

/// A user for one test, so its threads can be counted apart from others'.
fn user(sb: &Sandbox, name: &str) -> String {
    sb.exec(&[
        &format!("DROP USER IF EXISTS '{name}'@'%'"),
        &format!("CREATE USER '{name}'@'%' IDENTIFIED BY '{name}-pw'"),
        &format!("GRANT PROCESS ON *.* TO '{name}'@'%'"),
    ]);
    sb.url(name, Some(&format!("{name}-pw")))
}

fn via(url: &str, port: u16, relay_port: u16) -> String {
    url.replace(&format!(":{port}/"), &format!(":{relay_port}/"))
}

fn status(sb: &Sandbox, name: &str) -> u64 {
    sb.admin()
        .query_first::<(String, u64), _>(format!("SHOW GLOBAL STATUS LIKE '{name}'"))
        .unwrap()
        .unwrap()
        .1
}

#[test]
fn a_server_restart_mid_probe_is_reported_and_not_taken_for_a_cutoff() {
    // A private server: restarting the shared one would break other tests.
    let mut sb = Sandbox::start(&["--wait-timeout=3600"]);
    let url = user(&sb, "restarted");
    // A server up for a few seconds, so its Uptime after the restart is
    // clearly smaller than before (as for any server that ran a while).
    let t = Instant::now();
    while status(&sb, "Uptime") < 4 && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let child = spawn(&[
        "probe",
        "--no-defaults",
        "--format",
        "json",
        "--idle",
        "3s,6s",
        "--connections",
        "2",
        &url,
    ]);
    std::thread::sleep(Duration::from_millis(800));
    sb.restart(&["--wait-timeout=3600"]);
    let r = finish(child, Duration::from_secs(60));
    let rep = report(&r);
    let restart = rep.restart.as_ref().unwrap_or_else(|| {
        panic!(
            "the report must say the server restarted:\n{}\n{}",
            r.stdout, r.stderr
        )
    });
    assert_eq!(restart.connection_ids.len(), 4, "{restart:?}");
    assert!(ids(&rep).contains(&"server-restarted"), "{:?}", ids(&rep));
    // No idle cutoff is claimed from deaths the restart caused.
    assert_eq!(rep.cutoff.hi_s, None, "{:?}", rep.cutoff);
    assert!(!ids(&rep).contains(&"idle-cutoff-short"), "{:?}", ids(&rep));
    assert!(!ids(&rep).contains(&"connection-killed"), "{:?}", ids(&rep));
    assert_eq!(rep.verdict, poolcheck::probe::Verdict::Server);
    assert!(
        rep.verdict_reason.contains("restarted"),
        "{}",
        rep.verdict_reason
    );
    assert_eq!(r.code, 1, "a warning finding; stderr:\n{}", r.stderr);
    assert_no_thread_left(&sb, "restarted");
}

#[test]
fn other_clients_filling_the_server_make_the_probe_back_off() {
    // A private server with few connections, so filling it is cheap.
    let sb = Sandbox::start(&["--wait-timeout=3600", "--max-connections=30"]);
    let url = user(&sb, "crowded");
    sb.exec(&["CREATE USER 'filler'@'%' IDENTIFIED BY 'filler-pw'"]);
    let open_filler = || {
        let opts = mysql::OptsBuilder::new()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(sb.port)
            .user(Some("filler"))
            .pass(Some("filler-pw"))
            .prefer_socket(false)
            .init(vec!["SET SESSION wait_timeout = 3600"]);
        mysql::Conn::new(opts).expect("filler connection")
    };
    let fill = |until_threads: u64| -> Vec<mysql::Conn> {
        let mut held = Vec::new();
        while status(&sb, "Threads_connected") < until_threads {
            held.push(open_filler());
            assert!(held.len() < 40, "could not fill the server");
        }
        held
    };

    // 1. --find behind a proxy that silently drops flows idle for 3 s:
    // dead connections need replacing, but by then (at 4 s at the earliest)
    // others hold 28 of 30, so the search must stop opening and end early.
    // Half of the filling is done before the probe starts (it still has room
    // for its 4 and the control connection), so the rest is quick.
    let prefill = fill(14);
    let (proxy, proxy_port, _log) = crate::proxy::start_proxy(&[
        "--upstream",
        &format!("127.0.0.1:{}", sb.port),
        "--idle-cutoff",
        "3s",
        "--on-idle",
        "blackhole",
    ]);
    let child = spawn(&[
        "probe",
        "--no-defaults",
        "--format",
        "json",
        "--ssl-mode",
        "DISABLED",
        "--find",
        "--max",
        "20s",
        "--max-connections",
        "4",
        "--io-timeout",
        "1s",
        &via(&url, sb.port, proxy_port),
    ]);
    std::thread::sleep(Duration::from_millis(1000));
    let filler = fill(28);
    let r = finish(child, Duration::from_secs(40));
    let rep = report(&r);
    assert!(
        ids(&rep).contains(&"probe-backed-off"),
        "{:?}\n{}\n{}",
        ids(&rep),
        r.stdout,
        r.stderr
    );
    let search = rep.search.as_ref().expect("search figures");
    assert!(search.most_open_at_once <= 4, "{search:?}");
    assert_eq!(
        status(&sb, "Connection_errors_max_connections"),
        0,
        "nobody was refused for want of connections"
    );
    assert!(status(&sb, "Max_used_connections") < 30);
    // The proxy holds the server side of the flows it blackholed; stopping it
    // lets those go.
    let _ = proxy.terminate();
    assert_no_thread_left(&sb, "crowded");

    // 2. --idle: the rungs are held; the reconnect timing, which needs fresh
    // connections, is skipped once others have filled the server meanwhile.
    drop(filler);
    drop(prefill);
    // The server ends the fillers' threads as it reads their quits: wait, so
    // that the next fill does not count threads that are going away.
    let t = Instant::now();
    while status(&sb, "Threads_connected") > 1 && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let child = spawn(&[
        "probe",
        "--no-defaults",
        "--format",
        "json",
        "--idle",
        "2s",
        "--connections",
        "1",
        &url,
    ]);
    // Once the probe holds its 4 (the control connection, the keepalive
    // control group's 2, the probe connection), 24 others: after the rung
    // (nothing died, so the control group closes untested), 25 of 30 are
    // used, and the probe's 1 may not become 2. (Counted, not filled up to a
    // Threads_connected figure, which also counts threads still ending.)
    let t = Instant::now();
    while threads_of(&sb, "crowded") < 4 && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let filler: Vec<mysql::Conn> = (0..24).map(|_| open_filler()).collect();
    let r = finish(child, Duration::from_secs(30));
    let rep = report(&r);
    assert!(
        ids(&rep).contains(&"probe-backed-off"),
        "{:?}\n{}\n{}",
        ids(&rep),
        r.stdout,
        r.stderr
    );
    assert!(rep.reconnects.is_none(), "{:?}", rep.reconnects);
    assert_eq!(status(&sb, "Connection_errors_max_connections"), 0);
    drop(filler);
    assert_no_thread_left(&sb, "crowded");
}

/// `--idle 2s,7s` on the shared server (wait_timeout 5): the second rung dies,
/// and looking its threads up needs a fresh control connection, which the
/// server now refuses.
fn account_changes_mid_run(name: &str, change: &str) {
    let _c = light();
    let sb = Sandbox::shared();
    let url = user(sb, name);
    let child = spawn(&[
        "probe",
        "--no-defaults",
        "--idle",
        "2s,7s",
        "--connections",
        "1",
        &url,
    ]);
    // Once its connections are open (the control connection, the keepalive
    // control group's 2, 2 probe connections).
    await_threads(sb, name, 5);
    sb.exec(&[&change.replace("{u}", name)]);
    let r = finish(child, Duration::from_secs(40));
    r.assert_usage_error();
    assert!(
        r.stderr
            .contains("refused the probe's account in the middle of the run"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("1045"), "{}", r.stderr);
    assert!(!r.stderr.contains(&format!("{name}-pw")), "{}", r.stderr);
    assert_no_thread_left(sb, name);
}

#[test]
fn a_password_changed_mid_run_is_a_clear_error() {
    account_changes_mid_run(
        "pwchanged",
        "ALTER USER '{u}'@'%' IDENTIFIED BY 'another-one'",
    );
}

#[test]
fn an_account_dropped_mid_run_is_a_clear_error() {
    account_changes_mid_run("dropped", "DROP USER '{u}'@'%'");
}

#[test]
fn a_path_that_drops_connection_attempts_is_a_timeout_not_a_hang() {
    let hole = SynBlackhole::start();
    // The same path always gets the same words: the phase decides them, not
    // which of two timers fires first (the driver's TCP connect timeout or
    // poolcheck's deadline; they used to give two different messages).
    let mut errors = std::collections::BTreeSet::new();
    for cmd in ["inspect", "probe", "inspect", "probe", "inspect"] {
        let mut args = vec![cmd, "--no-defaults", "--connect-timeout", "2s"];
        if cmd == "probe" {
            args.extend(["--idle", "1s"]);
        }
        let target = format!("mysql://u:p@127.0.0.1:{}/", hole.port);
        args.push(&target);
        let r = run(poolcheck().args(&args));
        r.assert_usage_error();
        assert!(
            r.stderr.contains(&format!(
                "no TCP connection to 127.0.0.1:{} within 2s (connect timeout ran out in the TCP connect",
                hole.port
            )),
            "{}",
            r.stderr
        );
        errors.insert(r.stderr.lines().next().unwrap_or_default().to_string());
        assert!(r.elapsed < Duration::from_secs(8), "{cmd}: {:?}", r.elapsed);
    }
    assert_eq!(errors.len(), 1, "{errors:#?}");
    // A path that accepts the connection and then says nothing.
    let relay = Relay::start(Sandbox::shared().port);
    relay.silent_from(0);
    let r = run(poolcheck().args([
        "inspect",
        "--no-defaults",
        "--connect-timeout",
        "2s",
        &format!("mysql://root@127.0.0.1:{}/", relay.port),
    ]));
    r.assert_usage_error();
    assert!(
        r.stderr
            .contains("connect timeout ran out in the handshake"),
        "{}",
        r.stderr
    );
    assert!(r.elapsed < Duration::from_secs(8), "{:?}", r.elapsed);
}

#[test]
fn a_path_that_goes_silent_during_the_reconnect_test_is_reported() {
    let _c = light();
    let sb = Sandbox::shared();
    let url = user(sb, "silentre");
    let relay = Relay::start(sb.port);
    // 0: the control connection (capacity, room checks), 1-2: the keepalive
    // control group, 3: the probe connection; from 4 on (the reconnect
    // samples) the path swallows everything.
    relay.silent_from(4);
    let r = run(poolcheck().args([
        "probe",
        "--no-defaults",
        "--format",
        "json",
        "--idle",
        "1s",
        "--connections",
        "1",
        "--reconnects",
        "3",
        "--connect-timeout",
        "2s",
        // The relay counts TCP connections; DISABLED keeps TLS out of its way.
        "--ssl-mode",
        "DISABLED",
        &via(&url, sb.port, relay.port),
    ]));
    let rep = report(&r);
    assert_eq!(
        rep.keepalive_control,
        Some(KeepaliveControl::Held),
        "the relay's indices count the control group"
    );
    let re = rep.reconnects.as_ref().expect("reconnects were timed");
    assert!(re.failures >= 1, "{re:?}");
    assert!(
        re.errors
            .iter()
            .any(|e| e.contains("connect timeout") || e.contains("timed out")),
        "{re:?}"
    );
    assert!(ids(&rep).contains(&"reconnect-failures"), "{:?}", ids(&rep));
    assert_eq!(r.code, 1, "{}", r.stderr);
    // One timed-out sample is enough: the rest are not waited for.
    assert!(r.elapsed < Duration::from_secs(10), "{:?}", r.elapsed);
    drop(relay);
    assert_no_thread_left(sb, "silentre");
}

/// Where in its work the probe is when the signal arrives.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Still opening the first (capacity) connection.
    Connecting,
    /// Opening its probe connections.
    Opening,
    /// Holding them idle.
    Idle,
    /// Testing them, with answers that never come.
    Testing,
    /// Timing reconnects.
    Reconnecting,
}

fn interrupt_at(phase: Phase, sig: &str) {
    let _c = light();
    let sb = Sandbox::shared();
    let name = format!(
        "sig{}{}",
        format!("{phase:?}").to_lowercase(),
        sig.to_lowercase()
    );
    let url = user(sb, &name);
    let relay = Relay::start(sb.port);
    // DISABLED: one TCP connection per connect, so the relay's counting holds
    // (PREFERRED retries without TLS against this TLS-less server).
    let mut args: Vec<&str> = vec![
        "probe",
        "--no-defaults",
        "--format",
        "json",
        "--ssl-mode",
        "DISABLED",
    ];
    // When to send the signal: once the probe has this many threads on the
    // server (it may first wait its turn for the server-wide probe lock
    // while another probe of the shared server opens its connections), and
    // this long after.
    let (threads, after) = match phase {
        Phase::Connecting => {
            relay.slow_from(0, Duration::from_secs(5));
            args.extend(["--idle", "5s"]);
            (0, Duration::from_millis(600))
        }
        Phase::Opening => {
            // The capacity check passes and the keepalive control group (1-2)
            // opens; each probe connection takes 700 ms.
            relay.slow_from(3, Duration::from_millis(700));
            args.extend(["--idle", "5s", "--connections", "4"]);
            (3, Duration::from_millis(500))
        }
        Phase::Idle => {
            // The control connection, the group's 2, 3 probe connections.
            args.extend(["--idle", "30s", "--connections", "3"]);
            (6, Duration::ZERO)
        }
        Phase::Testing => {
            // The control connection, the group's 2, 2 probe connections;
            // then silenced before their test at 2 s.
            args.extend(["--idle", "2s", "--connections", "2", "--io-timeout", "30s"]);
            (5, Duration::from_millis(2000))
        }
        Phase::Reconnecting => {
            // 0: the control connection, 1-2: the keepalive control group,
            // 3: the probe connection; then samples, each connect held 1 s.
            relay.slow_from(4, Duration::from_secs(1));
            args.extend(["--idle", "1s", "--connections", "1", "--reconnects", "20"]);
            (4, Duration::from_millis(2500))
        }
    };
    let target = via(&url, sb.port, relay.port);
    args.push(&target);
    let mut child = spawn(&args);
    let seen = await_threads(sb, &name, threads);
    if matches!(phase, Phase::Testing) {
        // A thread is listed from the handshake on: let the last login
        // finish (the tests come 2 s after it) before the path goes silent.
        std::thread::sleep(Duration::from_millis(500));
        relay.all_silent();
    }
    std::thread::sleep(after);
    // Checked against the report below.
    let held = matches!(phase, Phase::Idle).then_some(seen);
    let sent = Instant::now();
    signal(&mut child, sig);
    let r = finish(child, Duration::from_secs(10));
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "{phase:?}/{sig}: took {:?} to stop",
        sent.elapsed()
    );
    assert_eq!(r.code, 130, "{phase:?}/{sig}: stderr:\n{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    match phase {
        Phase::Connecting => {
            assert_eq!(r.stdout, "", "nothing measured, nothing reported");
            assert!(r.stderr.contains("interrupted"), "{}", r.stderr);
        }
        _ => {
            let rep = report(&r);
            assert!(rep.interrupted, "{phase:?}/{sig}");
            assert_eq!(
                rep.keepalive_control,
                Some(KeepaliveControl::Held),
                "{phase:?}/{sig}: the relay's indices count the control group"
            );
            if let Some(held) = held {
                assert_eq!(held, 6, "the probe holds its connections");
            }
            if let Phase::Reconnecting = phase {
                let re = rep.reconnects.as_ref().expect("partial reconnect figures");
                assert!(re.attempts < 20, "{re:?}");
                assert_eq!(re.failures, 0, "{re:?}");
            }
        }
    }
    drop(relay);
    assert_no_thread_left(sb, &name);
}

#[test]
fn interrupted_while_connecting() {
    interrupt_at(Phase::Connecting, "INT");
    interrupt_at(Phase::Connecting, "TERM");
}

#[test]
fn interrupted_while_opening_connections() {
    interrupt_at(Phase::Opening, "INT");
    interrupt_at(Phase::Opening, "TERM");
}

#[test]
fn interrupted_while_holding_connections_idle() {
    interrupt_at(Phase::Idle, "INT");
    interrupt_at(Phase::Idle, "TERM");
}

#[test]
fn interrupted_while_testing_connections() {
    interrupt_at(Phase::Testing, "INT");
    interrupt_at(Phase::Testing, "TERM");
}

#[test]
fn interrupted_while_timing_reconnects() {
    interrupt_at(Phase::Reconnecting, "INT");
    interrupt_at(Phase::Reconnecting, "TERM");
}

/// Freezes the server 1 s into `child`'s run for `how_long`, then waits
/// (at most 90 s) for its report, which must say `server-stalled`.
fn frozen_during(sb: &Sandbox, child: Reaped, how_long: Duration) -> (Run, ProbeReport) {
    std::thread::sleep(Duration::from_millis(1000));
    let frozen = sb.freeze();
    std::thread::sleep(how_long);
    drop(frozen);
    let r = finish(child, Duration::from_secs(90));
    let rep = report(&r);
    assert!(
        ids(&rep).contains(&"server-stalled"),
        "{:?}\n{}\n{}",
        ids(&rep),
        r.stdout,
        r.stderr
    );
    (r, rep)
}

/// `probe --idle 3s` with the server frozen (SIGSTOP) from 1 s to 6 s: the
/// tests at 3 s get no answer within `--io-timeout 2s`, exactly as on a path
/// that drops packets, but the control connection's own heartbeat hung too.
/// Before, this was verdict `middlebox` with `silent-drop` and
/// `zombie-connections`.
#[test]
fn a_frozen_server_is_not_taken_for_a_silent_middlebox() {
    let sb = Sandbox::start(&["--wait-timeout=3600"]);
    let url = user(&sb, "frozenidle");
    let child = spawn(&[
        "probe",
        "--no-defaults",
        "--format",
        "json",
        "--idle",
        "3s",
        "--connections",
        "2",
        "--io-timeout",
        "2s",
        "--reconnects",
        "2",
        &url,
    ]);
    let (r, rep) = frozen_during(&sb, child, Duration::from_secs(5));
    assert!(!rep.stalls.is_empty(), "{:?}", rep.stalls);
    assert_ne!(
        rep.verdict,
        poolcheck::probe::Verdict::Middlebox,
        "{}",
        rep.verdict_reason
    );
    for id in [
        "silent-drop",
        "zombie-connections",
        "idle-cutoff-short",
        "connection-killed",
    ] {
        assert!(!ids(&rep).contains(&id), "{id}: {:?}", ids(&rep));
    }
    assert_eq!(rep.cutoff.hi_s, None, "{:?}", rep.cutoff);
    assert!(rep.zombies.is_empty(), "{:?}", rep.zombies);
    assert_eq!(r.code, 1, "a warning finding; stderr:\n{}", r.stderr);
    assert_no_thread_left(&sb, "frozenidle");
}

/// `probe --find` with the server frozen from 1 s to 5 s, on connections whose
/// session wait_timeout is 6 s: the tests the freeze failed are not taken for
/// deaths (before: a claimed 1-2 s cutoff); the search still finds the
/// server's 6 s.
#[test]
fn a_frozen_server_does_not_shorten_the_cutoff_found() {
    let sb = Sandbox::start(&["--wait-timeout=3600"]);
    let url = user(&sb, "frozenfind");
    let child = spawn(&[
        "probe",
        "--no-defaults",
        "--format",
        "json",
        "--find",
        "--max",
        "30s",
        "--max-connections",
        "6",
        "--io-timeout",
        "2s",
        "--session-wait-timeout",
        "6",
        "--reconnects",
        "0",
        &url,
    ]);
    let (_, rep) = frozen_during(&sb, child, Duration::from_secs(4));
    let (lo, hi) = (rep.cutoff.lo_s, rep.cutoff.hi_s.expect("a cutoff"));
    assert!(lo < 6.5 && hi >= 5.5, "({lo}, {hi}] should contain 6 s");
    assert_eq!(
        rep.verdict,
        poolcheck::probe::Verdict::Server,
        "{}",
        rep.verdict_reason
    );
    assert!(!ids(&rep).contains(&"silent-drop"), "{:?}", ids(&rep));
    assert_no_thread_left(&sb, "frozenfind");
}

/// The server is restarted while `probe` times 1000 reconnects: sampling
/// stops at the first failure that the restart explains, and the report names
/// the restart. Before, hundreds of samples "failed" within a fraction of a
/// second with a misleading message.
#[test]
fn a_server_restart_during_the_reconnect_timing_stops_the_sampling_and_is_named() {
    let mut sb = Sandbox::start(&["--wait-timeout=3600"]);
    let url = user(&sb, "restartre");
    // Up for a few seconds, so the restart's Uptime is clearly smaller.
    let t = Instant::now();
    while status(&sb, "Uptime") < 4 && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(200));
    }
    // 0: the control connection, 1: the keepalive control group's first;
    // every later connect (its second, the probe connection, the samples) is
    // held 20 ms, so 1000 samples take over 20 s.
    let relay = Relay::start(sb.port);
    relay.slow_from(2, Duration::from_millis(20));
    let child = spawn(&[
        "probe",
        "--no-defaults",
        "--format",
        "json",
        "--ssl-mode",
        "DISABLED",
        "--idle",
        "1s",
        "--connections",
        "1",
        "--reconnects",
        "1000",
        &via(&url, sb.port, relay.port),
    ]);
    // The reconnect timing starts after about 1 s.
    std::thread::sleep(Duration::from_millis(3000));
    sb.restart(&["--wait-timeout=3600"]);
    let r = finish(child, Duration::from_secs(90));
    let rep = report(&r);
    let re = rep.reconnects.as_ref().expect("reconnects were timed");
    assert!(re.restarted, "{re:?}\n{}", r.stderr);
    assert!(re.attempts < 1000, "{re:?}");
    assert!(re.failures >= 1 && re.failures <= 10, "{re:?}");
    assert!(rep.restart.is_some(), "{:?}", rep.restart);
    assert!(ids(&rep).contains(&"server-restarted"), "{:?}", ids(&rep));
    let f = rep
        .findings
        .iter()
        .find(|f| f.id == "reconnect-failures")
        .expect("reconnect-failures");
    assert!(f.message.contains("restarted"), "{}", f.message);
    assert_eq!(r.code, 1, "{}", r.stderr);
    drop(relay);
    assert_no_thread_left(&sb, "restartre");
}

/// Two, then three probes of as many accounts started together against a
/// server with 40 connections, each wanting 17 (two rungs of 8 and the
/// control connection; 19 with the keepalive control group, which fits) of
/// its share of 19: they take the server-wide named lock in turn, whatever
/// their account, to read the room and open their connections, so a later
/// one sees the earlier one's connections and takes half of what is left
/// (here: too little, so it refuses clearly). Nobody is refused a connection
/// by the server. Before, two probes together held 36 of 40 connections and
/// three pushed `Connection_errors_max_connections` up.
#[test]
fn concurrent_probes_share_the_server_within_one_budget() {
    let sb = Sandbox::start(&["--wait-timeout=3600", "--max-connections=40"]);
    for n in [2usize, 3] {
        // One account each: the lock is the server's, whatever the account.
        let names: Vec<String> = (0..n).map(|i| format!("together{n}x{i}")).collect();
        let urls: Vec<String> = names.iter().map(|name| user(&sb, name)).collect();
        sb.exec(&["FLUSH STATUS"]);
        let children: Vec<Reaped> = urls
            .iter()
            .map(|url| {
                spawn(&[
                    "probe",
                    "--no-defaults",
                    "--format",
                    "json",
                    "--idle",
                    "1s,2s",
                    "--connections",
                    "8",
                    "--reconnects",
                    "3",
                    url,
                ])
            })
            .collect();
        let runs: Vec<Run> = children
            .into_iter()
            .map(|c| finish(c, Duration::from_secs(60)))
            .collect();
        let mut measured = 0;
        for r in &runs {
            assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
            match r.code {
                0 | 1 => {
                    measured += 1;
                    let rep = report(r);
                    assert!(!ids(&rep).contains(&"probe-backed-off"), "{:?}", ids(&rep));
                }
                2 => assert!(
                    r.stderr.contains("may be used safely")
                        || r.stderr
                            .contains("another poolcheck probe is opening connections"),
                    "{}",
                    r.stderr
                ),
                other => panic!("exit {other}: {}", r.stderr),
            }
        }
        assert!(measured >= 1, "no probe ran");
        assert_eq!(
            status(&sb, "Connection_errors_max_connections"),
            0,
            "{n} probes together: nobody was refused for want of connections"
        );
        let peak = status(&sb, "Max_used_connections");
        eprintln!("{n} probes together: {measured} measured, Max_used_connections {peak} of 40");
        // One probe's 17, the others' control connections, the test's own.
        assert!(
            peak <= 25,
            "{n} probes together: {peak} of 40 connections used, more than one share"
        );
        for name in &names {
            assert_no_thread_left(&sb, name);
        }
    }
}
