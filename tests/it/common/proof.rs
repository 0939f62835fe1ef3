//! The proof rig shared by every framework's proof: a real app (tests/apps/)
//! talks to a MariaDB sandbox through `poolcheck proxy`, idles past the
//! proxy's cutoff and serves one more request. Once with the framework's
//! defaults (the outcome each proof states: a failure, a hang, or success where
//! the framework does not reuse connections), once with the settings
//! `poolcheck recommend --format json` printed after `poolcheck probe` on that
//! same path (success, without waiting longer than the recommended read
//! timeout). Every wait is bounded; the modes of one proof run in parallel.

use super::{Reaped, Sandbox, poolcheck};
use poolcheck::recommend::RecommendReport;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How the proxy ends an idle flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Fin,
    Rst,
    Blackhole,
    /// Forgets the flow: the client's next packet gets RST, the server keeps
    /// its side (a zombie thread until its own wait_timeout).
    Nat,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Fin, Mode::Rst, Mode::Blackhole, Mode::Nat];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Fin => "fin",
            Mode::Rst => "rst",
            Mode::Blackhole => "blackhole",
            Mode::Nat => "nat",
        }
    }
}

/// The proxy's idle cutoff, and the probe and app timings that go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cutoff {
    /// 3 s: the app idles 4 s.
    Short,
    /// 40 s: the app idles 45 s.
    /// HikariCP's maxLifetime cannot go below 30 s; this is the realistic case.
    Long,
}

impl Cutoff {
    fn proxy_cutoff(self) -> &'static str {
        match self {
            Cutoff::Short => "3s",
            Cutoff::Long => "40s",
        }
    }

    /// The probe's rungs: one survives the cutoff, one outlives it.
    fn probe_idles(self) -> &'static str {
        match self {
            Cutoff::Short => "2s,4s",
            Cutoff::Long => "36s,44s",
        }
    }

    /// How long the app idles between its two requests: past the cutoff.
    pub fn app_idle_s(self) -> u64 {
        match self {
            Cutoff::Short => 4,
            Cutoff::Long => 45,
        }
    }
}

/// The proofs' own server: apps open pools of up to 10 connections (HikariCP's
/// default) while many cells run at once, which the shared sandbox's 40
/// connections (and the other tests counting on them) cannot take; its
/// wait_timeout outlasts the longest idle period, so only the proxy ends flows.
fn proof_sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| Sandbox::start(&["--wait-timeout=3600", "--max-connections=300"]))
}

/// What one run of an app did with its request after the idle period.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Ok {
        elapsed_s: f64,
    },
    Failed {
        error: String,
        elapsed_s: f64,
    },
    /// Still waiting when the test gave up (the app was killed).
    Hung,
}

/// What a proof expects from the framework's defaults in one mode.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// The request fails with an error containing one of these fragments.
    Fails(&'static [&'static str]),
    /// The request waits past the give-up bound.
    Hangs,
    /// The request waits past the give-up bound, or fails with one of these
    /// fragments when the pool's own wait ends first: sqlx's 30 s
    /// acquire_timeout ends near the long cutoff's 30 s bound.
    HangsOrFails(&'static [&'static str]),
    /// The request succeeds: the framework does not reuse the dead connection.
    Succeeds,
}

/// The app of one framework.
pub struct App {
    /// `--framework` for recommend.
    pub framework: &'static str,
    /// A label for messages (framework + driver).
    pub name: &'static str,
    /// The release the app runs (the oldest the install can bring), given
    /// to recommend as `--framework-version`.
    pub version: &'static str,
    /// The command that runs the app against 127.0.0.1:PORT with SETTINGS
    /// (recommend's keys and values; `{}` for the framework's defaults),
    /// idling IDLE seconds between its two requests. It prints one JSON line:
    /// {"ok": bool, "error": str, "elapsed_s": float}.
    pub command: fn(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command,
    /// The defaults' outcome in each mode at each cutoff.
    pub defaults: fn(Mode, Cutoff) -> Expect,
    /// Cells where recommend's snippet says the framework cannot hold the
    /// limit (the text it says so with): there the recommended run must fail.
    pub beyond_reach: fn(Mode, Cutoff) -> Option<&'static str>,
}

/// For [`App::beyond_reach`]: recommend claims every cell.
pub fn within_reach(_mode: Mode, _cutoff: Cutoff) -> Option<&'static str> {
    None
}

/// How long past the idle period a run of the defaults may take before the
/// test calls it hung. The bound runs from the app's start, so it also covers
/// starting up, which under load is slow at either cutoff: at the long cutoff
/// every framework's app starts at once (15 runtimes on two shared cores), and
/// Django's and Sequelize's first request was seen to come more than 12 s
/// after the start; at the short one, Flask's, Django's and HikariCP's apps
/// were called hung after 12 s while other tests loaded the machine. Only a
/// run that really hangs waits this long.
fn default_give_up(_cutoff: Cutoff) -> Duration {
    Duration::from_secs(30)
}

/// Runs the app's command, returning its outcome; kills it once `bound` passes.
pub fn run_app(mut cmd: Command, bound: Duration) -> (Outcome, String) {
    let mut child = Reaped::new(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the app started"),
    );
    let started = Instant::now();
    loop {
        if child.child().try_wait().unwrap().is_some() {
            let mut stdout = String::new();
            let mut stderr = String::new();
            let c = child.child();
            std::io::Read::read_to_string(c.stdout.as_mut().unwrap(), &mut stdout).unwrap();
            std::io::Read::read_to_string(c.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            let line = stdout.lines().last().unwrap_or_default();
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{e}: stdout {stdout:?} stderr {stderr}"));
            let elapsed_s = v["elapsed_s"].as_f64().unwrap_or(-1.0);
            let outcome = if v["ok"] == true {
                Outcome::Ok { elapsed_s }
            } else {
                Outcome::Failed {
                    error: v["error"].as_str().unwrap_or_default().to_string(),
                    elapsed_s,
                }
            };
            return (outcome, format!("{line} stderr: {}", stderr.trim()));
        }
        if started.elapsed() > bound {
            return (Outcome::Hung, String::new());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `poolcheck probe` through a proxy in `mode` at `cutoff`: its JSON report.
/// Probes of one server take turns (a probe holds a server-wide lock), so
/// each kind of path is probed once per test binary and every framework's
/// recommendation for that kind of path reads the same report.
fn probe_json(port: u16, mode: Mode, cutoff: Cutoff) -> Vec<u8> {
    type Probes = std::collections::HashMap<(&'static str, Cutoff), Vec<u8>>;
    static PROBES: Mutex<Option<Probes>> = Mutex::new(None);
    let mut probes = PROBES.lock().unwrap_or_else(|e| e.into_inner());
    let probes = probes.get_or_insert_with(Default::default);
    if let Some(json) = probes.get(&(mode.name(), cutoff)) {
        return json.clone();
    }
    let probe = poolcheck()
        .args(["probe", "--no-defaults", "--format", "json", "--idle"])
        .arg(cutoff.probe_idles())
        .args(["--connections", "1", "--reconnects", "0", "--io-timeout"])
        .args(["2s", "--fail-on", "never"])
        .arg(format!("mysql://root@127.0.0.1:{port}/"))
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(
        probe.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    probes.insert((mode.name(), cutoff), probe.stdout.clone());
    probe.stdout
}

/// `recommend --from -` for the framework, reading the probe of this path:
/// the report and the settings exactly as recommend printed them.
pub fn recommended(
    port: u16,
    app: &App,
    mode: Mode,
    cutoff: Cutoff,
) -> (RecommendReport, serde_json::Value) {
    let probe = probe_json(port, mode, cutoff);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("poolcheck"))
        .args(["recommend", "--from", "-", "--framework", app.framework])
        .args(["--framework-version", app.version])
        .args(["--format", "json", "--fail-on", "never"])
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&probe).unwrap();
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

/// `poolcheck proxy` in front of the sandbox; returns it and its port.
fn middlebox(upstream: u16, cutoff: Cutoff, mode: Mode) -> (Reaped, u16) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("poolcheck"))
        .args(["proxy", "--listen", "127.0.0.1:0", "--upstream"])
        .arg(format!("127.0.0.1:{upstream}"))
        .args([
            "--idle-cutoff",
            cutoff.proxy_cutoff(),
            "--on-idle",
            mode.name(),
        ])
        .env_clear()
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let child = Reaped::new(child);
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let port = crate::proxy::listening_port(&line);
    // Keep draining the proxy's log so it never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (child, port)
}

/// One cell: the app behind a proxy in `mode` at `cutoff`, with its defaults
/// and with the recommended settings. Returns the measured outcomes as a line
/// for docs/recommend.md, or the first broken expectation.
pub fn prove_cell(app: &App, mode: Mode, cutoff: Cutoff) -> Result<String, String> {
    let (_proxy, port) = middlebox(proof_sandbox().port, cutoff, mode);
    let idle = cutoff.app_idle_s();
    let give_up = Duration::from_secs(idle) + default_give_up(cutoff);
    let label = format!("{} {} {:?}", app.name, mode.name(), cutoff);

    // The defaults and the probe run at the same time: both only idle.
    let ((default, default_line), (report, settings)) = std::thread::scope(|s| {
        let d = s.spawn(|| run_app((app.command)(port, &serde_json::json!({}), idle), give_up));
        let r = recommended(port, app, mode, cutoff);
        (d.join().expect("default run"), r)
    });
    let expected = (app.defaults)(mode, cutoff);
    let matched = match (&expected, &default) {
        (Expect::Hangs | Expect::HangsOrFails(_), Outcome::Hung)
        | (Expect::Succeeds, Outcome::Ok { .. }) => true,
        (Expect::HangsOrFails(fragments), Outcome::Failed { error, .. }) => {
            fragments.iter().any(|f| error.contains(f))
        }
        (Expect::Fails(fragments), Outcome::Failed { error, .. }) => {
            fragments.iter().any(|f| error.contains(f))
        }
        _ => false,
    };
    if !matched {
        return Err(format!(
            "{label}: defaults expected {expected:?}, got {default:?} {default_line}"
        ));
    }

    let rec = &report.recommendation;
    let bound = Duration::from_secs(idle + rec.read_timeout_s + 10);
    let (fixed, fixed_line) = run_app((app.command)(port, &settings, idle), bound);
    if let Some(says) = (app.beyond_reach)(mode, cutoff) {
        // recommend itself says this framework cannot hold this limit: the
        // proof pins both that warning and the failure it warns of.
        let text = report.config.snippet.as_str();
        return match fixed {
            Outcome::Ok { .. } => Err(format!(
                "{label}: recommend says {says:?}, but its settings held: {fixed_line}"
            )),
            _ if !text.contains(says) => Err(format!("{label}: no {says:?} in {text}")),
            // ... and says it as a finding, so `--fail-on` can act on it.
            _ if !report
                .findings
                .iter()
                .any(|f| f.id == "idle-limit-too-short-for-framework") =>
            {
                Err(format!(
                    "{label}: no finding says {says:?}: {:?}",
                    report.findings
                ))
            }
            other => Ok(format!(
                "{label}: defaults {default:?}; recommended {settings} -> {other:?}, as recommend warns"
            )),
        };
    }
    match fixed {
        Outcome::Ok { elapsed_s } if elapsed_s < rec.read_timeout_s as f64 => Ok(format!(
            "{label}: defaults {default:?}; recommended {settings} -> ok in {elapsed_s} s"
        )),
        other => Err(format!(
            "{label}: recommended {settings} gave {other:?} {fixed_line}"
        )),
    }
}

/// Every mode at the short cutoff, in parallel; panics with every broken cell.
pub fn prove_short(app: &App) {
    prove_cells(Mode::ALL.iter().map(|&m| (app, m, Cutoff::Short)).collect());
}

/// The silent drop at the realistic cutoff, every app in parallel.
pub fn prove_long_blackhole(apps: &[&App]) {
    prove_cells(
        apps.iter()
            .map(|&app| (app, Mode::Blackhole, Cutoff::Long))
            .collect(),
    );
}

fn prove_cells(cells: Vec<(&App, Mode, Cutoff)>) {
    let results: Vec<Result<String, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = cells
            .into_iter()
            .map(|(app, m, c)| s.spawn(move || prove_cell(app, m, c)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("cell panicked".into())))
            .collect()
    });
    report(results);
}

/// The command that runs an app: `program`, its leading arguments, then
/// PORT SETTINGS_JSON IDLE_SECONDS.
pub fn app_command(
    program: impl AsRef<std::ffi::OsStr>,
    leading: &[&str],
    port: u16,
    settings: &serde_json::Value,
    idle_s: u64,
) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(leading)
        .arg(port.to_string())
        .arg(settings.to_string())
        .arg(idle_s.to_string());
    cmd
}

fn report(results: Vec<Result<String, String>>) {
    let mut failed = Vec::new();
    for r in results {
        match r {
            Ok(line) => eprintln!("proof: {line}"),
            Err(e) => failed.push(e),
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
