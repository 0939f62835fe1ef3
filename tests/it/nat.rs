//! Probe, proxy and apps through a real Linux NAT (conntrack + nftables
//! masquerade in network namespaces the tests create: common::netns).

use crate::common::netns::{Forgotten, Nat};
use crate::common::{Run, Sandbox, run};
use poolcheck::probe::{ProbeReport, Verdict};

/// A private sandbox reachable through `nat`, with a long wait_timeout (the
/// NAT, not the server, must be what kills idle connections) and a user any
/// address may log in as (connections arrive from the NAT's address).
pub fn server_behind(nat: &Nat) -> Sandbox {
    let sb = Sandbox::start(&[
        &nat.bind_arg(),
        "--wait-timeout=600",
        "--max-connections=40",
    ]);
    sb.exec(&[
        "CREATE USER IF NOT EXISTS 'natprobe'@'%' IDENTIFIED BY 'natprobe-pw'",
        "GRANT PROCESS ON *.* TO 'natprobe'@'%'",
    ]);
    sb
}

pub fn url_behind(nat: &Nat, sb: &Sandbox) -> String {
    format!(
        "mysql://natprobe:natprobe-pw@{}:{}/",
        nat.server_ip, sb.port
    )
}

/// `poolcheck probe --format json ARGS URL`, run on the NAT's client side.
pub fn probe_behind(nat: &Nat, url: &str, args: &[&str]) -> (Run, ProbeReport) {
    probe_report(
        nat.poolcheck()
            .args(["probe", "--no-defaults", "--format", "json"])
            .args(args)
            .arg(url),
    )
}

/// Runs a `probe --format json` command: the run and its parsed report
/// (the run must not be a could-not-run).
pub fn probe_report(cmd: &mut assert_cmd::Command) -> (Run, ProbeReport) {
    let r = run(cmd);
    assert_ne!(r.code, 2, "could not run: {}", r.stderr);
    let report: ProbeReport =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    (r, report)
}

/// A NAT forgetting flows after `established_s`, a private server behind
/// it, one probe through it; the server is stopped afterwards.
pub fn probe_through_nat(established_s: u32, forgotten: Forgotten, args: &[&str]) -> ProbeReport {
    let nat = Nat::new(established_s, forgotten);
    let sb = server_behind(&nat);
    let (_, rep) = probe_behind(&nat, &url_behind(&nat, &sb), args);
    sb.stop();
    rep
}

fn outcomes(rep: &ProbeReport) -> Vec<(f64, String)> {
    rep.rungs
        .iter()
        .flat_map(|g| {
            g.connections
                .iter()
                .map(move |c| (g.idle_s, c.outcome.label()))
        })
        .collect()
}

fn idle_past_the_nat(forgotten: Forgotten) -> ProbeReport {
    probe_through_nat(
        3,
        forgotten,
        &[
            "--idle",
            "1s,6s",
            "--connections",
            "1",
            "--reconnects",
            "0",
            "--io-timeout",
            "2s",
        ],
    )
}

#[test]
fn a_kernel_nat_that_drops_forgotten_flows_blackholes_an_idle_connection() {
    let rep = idle_past_the_nat(Forgotten::Drop);
    assert_eq!(
        outcomes(&rep),
        vec![(1.0, "alive".into()), (6.0, "blackholed".into())]
    );
    assert_eq!(rep.verdict, Verdict::Middlebox, "{}", rep.verdict_reason);
    // The keepalive control group, held by default, outlived the NAT.
    assert_eq!(rep.keepalive_rescues, Some(true), "{}", rep.verdict_reason);
}

#[test]
fn a_kernel_nat_that_rejects_forgotten_flows_resets_an_idle_connection() {
    let rep = idle_past_the_nat(Forgotten::Reset);
    assert_eq!(
        outcomes(&rep),
        vec![(1.0, "alive".into()), (6.0, "reset".into())]
    );
    assert_eq!(rep.verdict, Verdict::Middlebox, "{}", rep.verdict_reason);
    // The keepalive control group, held by default, outlived the NAT.
    assert_eq!(rep.keepalive_rescues, Some(true), "{}", rep.verdict_reason);
}

#[test]
fn a_panicking_test_leaves_no_namespace_behind() {
    let names = std::panic::catch_unwind(|| {
        let nat = Nat::new(3, Forgotten::Drop);
        let names = (nat.client_ns.clone(), nat.server_ip);
        std::panic::panic_any(names)
    })
    .expect_err("panicked");
    let (client_ns, _) = names
        .downcast_ref::<(String, std::net::Ipv4Addr)>()
        .unwrap();
    let left: Vec<String> = std::fs::read_dir("/run/netns")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(!left.contains(client_ns), "{left:?}");
}
