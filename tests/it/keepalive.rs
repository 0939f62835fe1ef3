//! TCP keepalive against the two kinds of idle limit: a flow-level one (the
//! kernel NAT of common::netns, `poolcheck proxy --layer 4`), which keepalive
//! probes reset, and a protocol-level one (`--layer 7`, a proxy that counts
//! payload bytes), which they never reach.

use crate::common::netns::Forgotten;
use crate::common::{Run, Sandbox, poolcheck};
use crate::nat::{probe_report, probe_through_nat};
use crate::proxy::{start_proxy, terminate};
use poolcheck::probe::{ProbeReport, Verdict};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// These tests' own server (wait_timeout 5 s, as the shared one), probed
/// by one of them at a time: a probe holds the server-wide probe lock for
/// its whole run, and the shared sandbox's other probes must not wait for
/// these.
fn server() -> (&'static Sandbox, MutexGuard<'static, ()>) {
    static SERVER: OnceLock<Sandbox> = OnceLock::new();
    static TURN: Mutex<()> = Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let sb = SERVER.get_or_init(|| Sandbox::start(&["--wait-timeout=5", "--max-connections=40"]));
    (sb, turn)
}

/// The control group's answer, and the kind of limit the verdict names.
fn assert_limit_kind(rep: &ProbeReport, rescues: Option<bool>, kind: &str) {
    assert_eq!(rep.keepalive_rescues, rescues, "{}", rep.verdict_reason);
    assert!(rep.verdict_reason.contains(kind), "{}", rep.verdict_reason);
}

fn outcomes(rep: &ProbeReport) -> Vec<String> {
    rep.rungs
        .iter()
        .flat_map(|g| g.connections.iter().map(|c| c.outcome.label()))
        .collect()
}

fn probe_json(url: &str, args: &[&str]) -> (Run, ProbeReport) {
    probe_report(
        poolcheck()
            .args(["probe", "--no-defaults", "--format", "json"])
            .args(args)
            .arg(url),
    )
}

/// One probe connection idle 5 s, keepalive every second or none.
fn idle_args(keepalive: bool) -> Vec<&'static str> {
    let mut a = vec![
        "--idle",
        "5s",
        "--connections",
        "1",
        "--reconnects",
        "0",
        "--io-timeout",
        "2s",
    ];
    if keepalive {
        a.push("--keepalive=1s");
    }
    a
}

/// Through the kernel NAT (3 s conntrack timeout).
fn through_kernel_nat(keepalive: bool) -> ProbeReport {
    probe_through_nat(3, Forgotten::Drop, &idle_args(keepalive))
}

/// Through `poolcheck proxy` (2 s cutoff) in front of the shared sandbox.
fn through_proxy(proxy_args: &[&str], keepalive: bool) -> (ProbeReport, String) {
    let (sb, _turn) = server();
    let upstream = format!("127.0.0.1:{}", sb.port);
    let mut args = vec!["--upstream", &upstream, "--idle-cutoff", "2s"];
    args.extend_from_slice(proxy_args);
    let (child, port, mut stderr) = start_proxy(&args);
    let url = format!("mysql://root@127.0.0.1:{port}/");
    let mut probe = idle_args(keepalive);
    // The shared sandbox's wait_timeout is 5 s: look past it.
    probe.extend(["--session-wait-timeout", "60"]);
    let (_, rep) = probe_json(&url, &probe);
    let (code, _) = terminate(child);
    assert_eq!(code, 130);
    let mut log = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut log).unwrap();
    (rep, log)
}

#[test]
fn keepalive_every_second_keeps_a_flow_through_the_kernel_nat() {
    let rep = through_kernel_nat(true);
    assert_eq!(outcomes(&rep), ["alive"]);
    assert_eq!(rep.keepalive_interval_s, Some(1));
    assert_eq!(rep.keepalive_rescues, None, "nothing died");
    let rep = through_kernel_nat(false);
    assert_eq!(outcomes(&rep), ["blackholed"]);
    assert_eq!(rep.verdict, Verdict::Middlebox);
    assert_limit_kind(&rep, Some(true), "flow-level");
}

#[test]
fn proxy_layer_4_lets_keepalive_through_like_the_kernel_nat() {
    let (rep, log) = through_proxy(&["--layer", "4", "--on-idle", "blackhole"], true);
    assert_eq!(outcomes(&rep), ["alive"], "{log}");
    assert!(!log.contains("killed"), "{log}");
    // Layer 4 is the default; without keepalive the flow dies as in the NAT.
    let (rep, log) = through_proxy(&["--on-idle", "blackhole"], false);
    assert_eq!(outcomes(&rep), ["blackholed"], "{log}");
    assert!(log.contains("killed (blackhole)"), "{log}");
    assert_eq!(rep.keepalive_rescues, Some(true), "{}", rep.verdict_reason);
}

#[test]
fn proxy_layer_7_does_not_let_keepalive_through() {
    let (rep, log) = through_proxy(&["--layer", "7", "--on-idle", "fin"], true);
    assert_eq!(outcomes(&rep), ["closed"], "{log}");
    assert!(log.contains("killed (fin)"), "{log}");
    assert_eq!(rep.verdict, Verdict::Middlebox);
    // The control group's keepalive does not get through either.
    let (rep, log) = through_proxy(&["--layer", "7", "--on-idle", "fin"], false);
    assert_eq!(outcomes(&rep), ["closed"], "{log}");
    assert_limit_kind(&rep, Some(false), "protocol-level");
}

#[test]
fn keepalive_does_not_rescue_a_connection_from_the_servers_wait_timeout() {
    let (sb, _turn) = server();
    let (_, rep) = probe_json(
        &sb.root_url(),
        &[
            "--idle",
            "7s",
            "--connections",
            "1",
            "--reconnects",
            "0",
            "--io-timeout",
            "2s",
        ],
    );
    assert_eq!(outcomes(&rep), ["reset"]);
    assert_eq!(rep.verdict, Verdict::Server);
    assert_limit_kind(&rep, Some(false), "wait_timeout");
}

#[test]
fn proxy_on_idle_nat_resets_the_client_and_leaves_the_server_a_zombie() {
    let (rep, log) = through_proxy(&["--on-idle", "nat"], false);
    assert_eq!(outcomes(&rep), ["reset"], "{log}");
    assert!(log.contains("killed (nat)"), "{log}");
    assert_eq!(rep.verdict, Verdict::Middlebox, "{}", rep.verdict_reason);
    assert_eq!(rep.zombies.len(), 1, "the server kept its side: {rep:?}");
}

#[test]
fn find_through_the_kernel_nat_says_keepalive_rescues() {
    let rep = probe_through_nat(
        3,
        Forgotten::Reset,
        &[
            "--find",
            "--max",
            "20s",
            "--max-connections",
            "8",
            "--reconnects",
            "0",
            "--io-timeout",
            "2s",
        ],
    );
    assert_eq!(rep.verdict, Verdict::Middlebox, "{}", rep.verdict_reason);
    let hi = rep.cutoff.hi_s.expect("a cutoff");
    // The kernel checks a conntrack entry's age when a packet comes (in
    // jiffies), so a flow may outlive the nominal 3 s by a little.
    assert!(rep.cutoff.lo_s < 3.5 && hi >= 3.0, "{:?}", rep.cutoff);
    assert_eq!(rep.keepalive_rescues, Some(true), "{}", rep.verdict_reason);
}
