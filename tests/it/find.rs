//! `poolcheck probe --find` against the real sandbox and through `poolcheck
//! proxy` in each mode: the interval contains the real cutoff, the class and
//! the verdict are right.

use crate::common::{Run, Sandbox, heavy, light, poolcheck, run};
use crate::proxy::{start_proxy, terminate};
use poolcheck::probe::{ProbeReport, Verdict};

fn find(url: &str, args: &[&str]) -> (Run, ProbeReport) {
    let r = run(poolcheck()
        .args([
            "probe",
            "--no-defaults",
            "--format",
            "json",
            "--find",
            "--max",
            "60s",
            "--reconnects",
            "0",
        ])
        .args(args)
        .arg(url));
    assert_ne!(r.code, 2, "could not run: {}", r.stderr);
    let report: ProbeReport =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    (r, report)
}

fn classes(rep: &ProbeReport) -> Vec<String> {
    let mut v: Vec<String> = rep.tests.iter().map(|t| t.outcome.label()).collect();
    v.sort();
    v.dedup();
    v
}

/// The proxy ends a flow at its first 10 ms check after the cutoff, so the
/// path's real cutoff is up to a tick (plus scheduling) above the nominal one:
/// a ping at an idle age of exactly `c` may still get through.
const PROXY_TICK_SLACK: f64 = 0.05;

fn contains(rep: &ProbeReport, c: f64) {
    let (lo, hi) = (rep.cutoff.lo_s, rep.cutoff.hi_s.expect("a cutoff"));
    assert!(
        lo < c + PROXY_TICK_SLACK && c <= hi + 0.2,
        "({lo}, {hi}] should contain {c}"
    );
    assert!(
        hi - lo <= 1.0 + 0.05,
        "({lo}, {hi}] wider than the 1 s resolution"
    );
}

#[test]
fn finds_the_server_wait_timeout_with_default_settings() {
    let _connections = heavy();
    let sb = Sandbox::shared();
    let (r, rep) = find(&sb.root_url(), &[]);
    assert_eq!(rep.mode, "find");
    contains(&rep, 5.0);
    assert_eq!(rep.verdict, Verdict::Server, "{}", rep.verdict_reason);
    let search = rep.search.as_ref().unwrap();
    assert!(search.most_open_at_once <= 16, "{search:?}");
    assert!(search.wall_s < 1.25 * 5.0 + 5.0, "{search:?}");
    assert_eq!(r.code, 1);
}

fn through_proxy(mode: &[&str], extra: &[&str]) -> ProbeReport {
    let _connections = light();
    let sb = Sandbox::shared();
    let upstream = format!("127.0.0.1:{}", sb.port);
    let mut args = vec!["--upstream", &upstream, "--idle-cutoff", "3s"];
    args.extend_from_slice(mode);
    let (proxy, port, _log) = start_proxy(&args);
    let mut a = vec!["--max-connections", "8", "--io-timeout", "1s"];
    a.extend_from_slice(extra);
    let (_, rep) = find(&format!("mysql://root@127.0.0.1:{port}/"), &a);
    terminate(proxy);
    rep
}

#[test]
fn finds_a_fin_middlebox() {
    let rep = through_proxy(&["--on-idle", "fin"], &[]);
    contains(&rep, 3.0);
    assert_eq!(classes(&rep), ["alive", "closed"]);
    assert_eq!(rep.verdict, Verdict::Middlebox, "{}", rep.verdict_reason);
}

#[test]
fn finds_an_rst_middlebox() {
    let rep = through_proxy(&["--on-idle", "rst"], &[]);
    contains(&rep, 3.0);
    assert_eq!(classes(&rep), ["alive", "reset"]);
    assert_eq!(rep.verdict, Verdict::Middlebox, "{}", rep.verdict_reason);
}

#[test]
fn finds_a_blackhole() {
    let rep = through_proxy(&["--on-idle", "blackhole"], &[]);
    contains(&rep, 3.0);
    assert_eq!(classes(&rep), ["alive", "blackholed"]);
    assert_eq!(rep.verdict, Verdict::Middlebox, "{}", rep.verdict_reason);
    assert!(rep.findings.iter().any(|f| f.id == "silent-drop"));
}

#[test]
fn finds_an_idle_timeout_error_packet() {
    let rep = through_proxy(&["--inject-error", "4031"], &[]);
    contains(&rep, 3.0);
    assert!(
        classes(&rep).contains(&"server-error 4031".to_string()),
        "{:?}",
        classes(&rep)
    );
    assert_eq!(rep.verdict, Verdict::Server);
}

#[test]
fn bad_find_arguments() {
    let url = "mysql://root@127.0.0.1:1/";
    for args in [
        vec!["probe", "--max", "1h", url],
        vec!["probe", "--find", "--resolution", "2h", "--max", "1h", url],
        vec!["probe", "--find", "--max-connections", "1", url],
        vec!["probe", "--find", "--max", "soon", url],
    ] {
        assert_eq!(run(poolcheck().args(&args)).code, 2, "{args:?}");
    }
}
