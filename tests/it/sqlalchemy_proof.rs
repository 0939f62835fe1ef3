//! The proof on a real app: a pooled SQLAlchemy + PyMySQL app talks to the
//! sandbox through `poolcheck proxy` (fin, rst, blackhole with a 3 s cutoff),
//! idles past the cutoff and queries again. With SQLAlchemy's defaults it fails
//! (or hangs); with the settings `poolcheck recommend` printed for that path,
//! taken from its JSON output, it succeeds without waiting longer than the
//! recommended read timeout.

use crate::common::python::python;
use crate::common::{Sandbox, light, poolcheck};
use crate::proxy::{start_proxy, terminate};
use poolcheck::recommend::RecommendReport;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/apps/sqlalchemy_app.py");
/// Past the proxy's 3 s cutoff, short of the sandbox's own 5 s wait_timeout.
const IDLE_S: &str = "4";
/// How long the test waits for the default app before calling it hung.
const GIVE_UP: Duration = Duration::from_secs(12);

struct AppRun {
    /// None: still hanging when the test gave up (then it was killed).
    result: Option<serde_json::Value>,
}

fn run_app(url: &str, settings: &serde_json::Value) -> AppRun {
    let mut child = Command::new(python())
        .args([APP, url, &settings.to_string(), IDLE_S])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            let line = String::from_utf8_lossy(&out.stdout);
            let value = serde_json::from_str(line.trim()).unwrap_or_else(|e| {
                panic!(
                    "{e}: stdout {line:?} stderr {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
            return AppRun {
                result: Some(value),
            };
        }
        if started.elapsed() > GIVE_UP {
            let _ = child.kill();
            let _ = child.wait();
            return AppRun { result: None };
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// probe through the path, then recommend from the probe's JSON: the settings
/// exactly as recommend printed them.
fn recommended(url: &str) -> (RecommendReport, serde_json::Value) {
    let probe = poolcheck()
        .args([
            "probe",
            "--no-defaults",
            "--format",
            "json",
            "--idle",
            "2s,4s",
            "--connections",
            "1",
        ])
        .args([
            "--reconnects",
            "0",
            "--io-timeout",
            "2s",
            "--fail-on",
            "never",
            url,
        ])
        .output()
        .unwrap();
    assert_eq!(
        probe.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("poolcheck"));
    let mut child = cmd
        .args([
            "recommend",
            "--from",
            "-",
            "--framework",
            "sqlalchemy",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&probe.stdout)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: RecommendReport = serde_json::from_slice(&out.stdout).unwrap();
    let settings: serde_json::Map<String, serde_json::Value> = report
        .config
        .settings
        .iter()
        .map(|s| (s.key.clone(), s.value.clone()))
        .collect();
    (report, serde_json::Value::Object(settings))
}

fn prove(mode: &[&str]) {
    let sb = Sandbox::shared();
    let upstream = format!("127.0.0.1:{}", sb.port);
    let mut args = vec!["--upstream", &upstream, "--idle-cutoff", "3s"];
    args.extend_from_slice(mode);
    let (proxy, port, _log) = start_proxy(&args);
    let url = format!("mysql+pymysql://root@127.0.0.1:{port}/");
    let probe_url = format!("mysql://root@127.0.0.1:{port}/");

    // 1. SQLAlchemy's defaults: the pooled connection died idle.
    let default = run_app(&url, &serde_json::json!({}));
    match (&default.result, mode.contains(&"blackhole")) {
        (None, true) => {} // still hanging when we gave up: the silent-drop symptom
        (Some(r), false) => {
            assert_eq!(r["ok"], false, "{r}");
            let e = r["error"].as_str().unwrap();
            assert!(e.contains("2013") || e.contains("2006"), "{e}");
        }
        (other, _) => panic!("unexpected default run for {mode:?}: {other:?}"),
    }

    // 2. The settings poolcheck recommend printed for this path.
    let (report, settings) = recommended(&probe_url);
    let rec = &report.recommendation;
    assert!(rec.recycle_s < 3, "{rec:?}");
    let fixed = run_app(&url, &settings)
        .result
        .expect("the recommended settings never hang");
    assert_eq!(fixed["ok"], true, "{fixed} with {settings}");
    assert!(
        fixed["elapsed_s"].as_f64().unwrap() < rec.read_timeout_s as f64,
        "{fixed}"
    );
    let (code, _) = terminate(proxy);
    assert_eq!(code, 130);
}

#[test]
fn sqlalchemy_survives_a_fin_middlebox_with_the_recommended_settings() {
    let _connections = light();
    prove(&["--on-idle", "fin"]);
}

#[test]
fn sqlalchemy_survives_an_rst_middlebox_with_the_recommended_settings() {
    let _connections = light();
    prove(&["--on-idle", "rst"]);
}

#[test]
fn sqlalchemy_survives_a_blackhole_with_the_recommended_settings() {
    let _connections = light();
    prove(&["--on-idle", "blackhole"]);
}
