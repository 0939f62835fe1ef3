//! What a default `probe` run costs the server it diagnoses, measured with
//! the footprint meter (`footprint.rs`) on a fresh private sandbox.

use crate::common::{Sandbox, poolcheck, run};
use crate::footprint::{Footprint, Meter};

/// `probe --idle 1s --connections 2` with the default 10 reconnect samples:
/// 15 connections (the control connection, 2 probe connections, the 2 of the
/// keepalive control group, 10 samples; 13 with `--no-keepalive-control`),
/// each logged in and closed properly, and nothing in `Aborted_connects`,
/// `Aborted_clients`, `Connection_errors_*` or the error log (at
/// `--log-warnings=4`, which logs every aborted connection). Before, every
/// sample began with a bare TCP connect closed at once: one aborted connect
/// and one error-log line each.
#[test]
fn a_default_probe_run_leaves_nothing_in_the_counters_or_the_log() {
    let sandbox = Sandbox::start(&["--log-warnings=4", "--wait-timeout=3600"]);
    let url = sandbox.root_url();
    let mut meter = Meter::new(&sandbox);
    for (format, extra, connections) in [
        ("table", None, 15),
        ("json", None, 15),
        ("json", Some("--no-keepalive-control"), 13),
    ] {
        let fp = meter.measure(|| {
            let r = run(poolcheck()
                .args(["probe", "--idle", "1s", "--connections", "2"])
                .args(["--format", format])
                .args(extra)
                .arg(&url));
            assert_eq!(r.code, 0, "{}", r.stderr);
            if format == "json" {
                // The TCP connect is still timed apart, inside the driver's connect.
                let rep: poolcheck::probe::ProbeReport = serde_json::from_str(&r.stdout).unwrap();
                let held = match extra {
                    None => poolcheck::probe::KeepaliveControl::Held,
                    Some(_) => poolcheck::probe::KeepaliveControl::Off,
                };
                assert_eq!(rep.keepalive_control, Some(held));
                let re = rep.reconnects.expect("reconnects");
                assert_eq!((re.attempts, re.failures), (10, 0), "{re:?}");
                let tcp = re.tcp_connect_ms.expect("tcp_connect_ms");
                assert!(tcp.max_ms > 0.0, "{tcp:?}");
            }
        });
        let extra = extra.unwrap_or_default();
        println!("probe --idle 1s --connections 2 --format {format} {extra}: {fp:?}");
        assert_eq!(
            fp,
            Footprint {
                connections,
                ..Footprint::default()
            },
            "--format {format} {extra}"
        );
    }
}
