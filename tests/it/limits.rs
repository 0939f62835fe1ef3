//! Resource limits: what poolcheck holds at most, measured from outside.
//! `proxy` with 1000 idle flows stays within a memory and thread bound and
//! turns flow 1001 away at once; `probe` never holds more connections on the
//! server than its cap, and leaves none behind.

use crate::common::{Reaped, Run, Sandbox, Silent, heavy, poolcheck, run};
use mysql::prelude::Queryable;
use poolcheck::probe::KeepaliveControl;
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Flows held open in the memory test: the proxy's default --max-flows.
const FLOWS: usize = 1000;
/// The documented bound: resident memory the proxy may add for 1000 idle
/// flows (measured 38.6 MiB, 39.5 KiB per flow; see docs/reliability.md).
const RSS_BOUND_KIB: u64 = 64 * 1024;

/// Polls `cond` every 20 ms for at most `limit`; panics with `what` after.
fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(
            started.elapsed() < limit,
            "gave up after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `VmRSS` (KiB) and `Threads` from /proc/PID/status.
fn rss_and_threads(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
    };
    (field("VmRSS:"), field("Threads:"))
}

/// The soft and hard open-files limits of a process, from /proc/PID/limits.
fn nofile(pid: &str) -> (u64, u64) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let mut nums = line
        .split_whitespace()
        .filter_map(|w| w.parse::<u64>().ok());
    (nums.next().unwrap(), nums.next().unwrap())
}

/// Starts `poolcheck proxy` after `ulimit` with `ulimit_args` (`-Sn 1024`:
/// a common login default), its stderr drained into `log`.
fn start_proxy_with_nofile(
    ulimit_args: &str,
    args: &[&str],
) -> (Reaped, u16, Arc<Mutex<Vec<String>>>) {
    let bin = assert_cmd::cargo::cargo_bin("poolcheck");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit {ulimit_args} && exec \"$0\" \"$@\""))
        .arg(bin)
        .args(["proxy", "--listen", "127.0.0.1:0", "--format", "json"])
        .args(args)
        .env_clear()
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let child = Reaped::new(child);
    let mut stderr = BufReader::new(stderr);
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let port = crate::proxy::listening_port(&first);
    // Drained all the time: the proxy logs every flow, and a full pipe
    // would block it.
    let log = Arc::new(Mutex::new(vec![first]));
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in stderr.lines() {
            let Ok(line) = line else { return };
            sink.lock().unwrap().push(line);
        }
    });
    (child, port, log)
}

/// Connects one more client: it must be closed at once (EOF or a reset,
/// within 1 s), and the proxy must log why.
fn assert_turned_away(port: u16, log: &Mutex<Vec<String>>, reason: &str) {
    let mut extra = TcpStream::connect(("127.0.0.1", port)).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let refused_at = Instant::now();
    let mut buf = [0u8; 16];
    match extra.read(&mut buf) {
        Ok(0) => {}
        Ok(n) => panic!("the extra client got {n} bytes"),
        Err(e) => assert!(
            e.kind() == std::io::ErrorKind::ConnectionReset,
            "the extra client was not closed: {e}"
        ),
    }
    assert!(
        refused_at.elapsed() < Duration::from_secs(1),
        "closed after {:?}",
        refused_at.elapsed()
    );
    wait_for("the refusal in the log", Duration::from_secs(5), || {
        log.lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("proxy: refused 127.0.0.1:") && l.contains(reason))
    });
}

/// 1000 idle flows through the proxy (its default --max-flows), started
/// with a soft open-files limit of 1024 as many logins have: the proxy
/// raises its own limit, holds all 1000 with less than 64 MiB more resident
/// memory and two threads each, and closes client 1001 at once, logging it.
/// How long 1000 flows may take to open through the proxy.
const OPEN_BOUND: Duration = Duration::from_secs(120);

#[test]
fn proxy_holds_1000_idle_flows_within_bounds() {
    // This process holds both ends, 1000 clients and 1000 upstream sockets,
    // besides what other tests hold meanwhile.
    let want = 2 * FLOWS as u64 + 1000;
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|soft| soft < want) {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(limit.maximum.map_or(want, |hard| hard.min(want))),
                maximum: limit.maximum,
            },
        );
    }
    let (soft, hard) = nofile("self");
    assert!(
        soft >= want,
        "this test needs {want} open files; the limit is {soft} (hard {hard}): run `ulimit -n 4096` first"
    );
    let upstream = Silent::start();
    let (mut proxy, port, log) = start_proxy_with_nofile(
        "-Sn 1024",
        &[
            "--upstream",
            &format!("127.0.0.1:{}", upstream.port),
            "--idle-cutoff",
            "1h",
        ],
    );
    let pid = proxy.child().id();
    let (proxy_soft, proxy_hard) = nofile(&pid.to_string());
    assert!(
        proxy_soft >= 2 * FLOWS as u64,
        "the proxy did not raise its open-files limit from 1024: {proxy_soft}/{proxy_hard}"
    );
    let (rss_before, threads_before) = rss_and_threads(pid);

    let started = Instant::now();
    let mut clients = Vec::with_capacity(FLOWS);
    for _ in 0..FLOWS {
        clients.push(TcpStream::connect(("127.0.0.1", port)).unwrap());
    }
    // Bounded, and generous: under a loaded machine the proxy starts 2000
    // threads slowly (30 s was once too short).
    let deadline = Instant::now() + OPEN_BOUND;
    while upstream.held.load(Ordering::SeqCst) < FLOWS {
        if Instant::now() > deadline {
            let log = log.lock().unwrap();
            let errors: Vec<&String> = log
                .iter()
                .filter(|l| !l.contains(": accepted from"))
                .take(5)
                .collect();
            panic!(
                "only {} of {FLOWS} flows reached the upstream in {OPEN_BOUND:?}; proxy open-files \
                 limit {proxy_soft}/{proxy_hard}, threads {}; log: {errors:#?}",
                upstream.held.load(Ordering::SeqCst),
                rss_and_threads(pid).1
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Each flow's second pump thread starts once its upstream is connected.
    wait_for("2 threads per flow", OPEN_BOUND, || {
        rss_and_threads(pid).1 >= threads_before + 2 * FLOWS as u64
    });
    let open_time = started.elapsed();
    // Let the idle pumps settle (they wake every 200 ms).
    std::thread::sleep(Duration::from_millis(1000));
    let (rss, threads) = rss_and_threads(pid);
    let growth = rss.saturating_sub(rss_before);
    eprintln!(
        "proxy with {FLOWS} idle flows: VmRSS {rss_before} -> {rss} KiB (+{growth} KiB, \
         {:.1} KiB per flow), threads {threads_before} -> {threads}; open files limit \
         {proxy_soft}/{proxy_hard}; opened in {open_time:?}",
        growth as f64 / FLOWS as f64
    );
    assert!(
        growth < RSS_BOUND_KIB,
        "the proxy grew by {growth} KiB for {FLOWS} flows (bound {RSS_BOUND_KIB} KiB)"
    );
    assert!(
        threads <= threads_before + 2 * FLOWS as u64 + 4,
        "{threads} threads for {FLOWS} flows (started with {threads_before})"
    );
    assert!(proxy.child().try_wait().unwrap().is_none(), "proxy died");

    // Client 1001: accepted, then closed at once, and logged.
    assert_turned_away(port, &log, "max_flows (1000) reached");
    assert_eq!(upstream.held.load(Ordering::SeqCst), FLOWS);

    let (code, stdout) = proxy.terminate();
    assert_eq!(code, 130);
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["stats"]["flows_total"], FLOWS);
    assert_eq!(summary["stats"]["max_concurrent"], FLOWS);
    assert_eq!(summary["stats"]["flows_refused"], 1);
    drop(clients);
}

/// When even the hard open-files limit cannot hold --max-flows, the proxy
/// serves what fits, says so at start, and refuses (and logs) the rest
/// instead of leaving them unserved in the listen backlog.
#[test]
fn proxy_under_a_low_hard_limit_serves_what_fits_and_refuses_the_rest() {
    let upstream = Silent::start();
    // 100 descriptors: 32 spare, room for 34 flows of two sockets.
    let (proxy, port, log) = start_proxy_with_nofile(
        "-n 100",
        &["--upstream", &format!("127.0.0.1:{}", upstream.port)],
    );
    wait_for("the note about the limit", Duration::from_secs(5), || {
        log.lock().unwrap().iter().any(|l| {
            l.contains("the open-files limit (100, at most 100) fits 34 flows")
                && l.contains("not --max-flows 1000")
        })
    });
    let clients: Vec<TcpStream> = (0..34)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    wait_for("34 flows upstream", Duration::from_secs(10), || {
        upstream.held.load(Ordering::SeqCst) >= 34
    });
    assert_turned_away(port, &log, "max_flows (34) reached");
    let (code, stdout) = proxy.terminate();
    assert_eq!(code, 130);
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["stats"]["max_concurrent"], 34);
    assert_eq!(summary["stats"]["flows_refused"], 1);
    drop(clients);
}

/// Counts `user`'s connections on the server (root sees every thread) every
/// 100 ms while it lives, and keeps the peak.
struct Sampler {
    peak: Arc<AtomicUsize>,
    samples: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn connections_of(admin: &mut mysql::Conn, user: &str) -> usize {
    admin
        .exec_first(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = ?",
            (user,),
        )
        .unwrap()
        .unwrap()
}

/// The connections of every user in `users`.
fn connections_of_all(admin: &mut mysql::Conn, users: &[&str]) -> usize {
    users.iter().map(|u| connections_of(admin, u)).sum()
}

impl Sampler {
    fn start(sb: &Sandbox, user: &'static str) -> Sampler {
        Sampler::start_all(sb, vec![user])
    }

    /// Samples the sum of several users' connections.
    fn start_all(sb: &Sandbox, users: Vec<&'static str>) -> Sampler {
        let mut admin = sb.admin();
        let peak = Arc::new(AtomicUsize::new(0));
        let samples = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, n, flag) = (peak.clone(), samples.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            while !flag.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(120) {
                let now = connections_of_all(&mut admin, &users);
                p.fetch_max(now, Ordering::SeqCst);
                n.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Sampler {
            peak,
            samples,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops sampling; returns the peak and the number of samples.
    fn finish(mut self) -> (usize, usize) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("sampler thread");
        }
        (
            self.peak.load(Ordering::SeqCst),
            self.samples.load(Ordering::SeqCst),
        )
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Runs `probe ARGS` as `user` while sampling the server's processlist;
/// returns the run, the peak of the user's connections, and the samples.
fn probe_sampled(
    sb: &Sandbox,
    user: &'static str,
    args: &[&str],
) -> (crate::common::Run, usize, usize) {
    let sampler = Sampler::start(sb, user);
    // One sample before the probe starts: the sampler is running.
    wait_for("the first sample", Duration::from_secs(5), || {
        sampler.samples.load(Ordering::SeqCst) > 0
    });
    let r = run(poolcheck()
        .args([
            "probe",
            "--no-defaults",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args(args)
        .arg(sb.url(user, Some("limits-pw-1"))));
    let (peak, samples) = sampler.finish();
    // Gone from the server once poolcheck has exited (the server drops a
    // thread as soon as it reads the close; allow it a moment).
    let mut admin = sb.admin();
    wait_for(
        &format!("{user}'s connections to end"),
        Duration::from_secs(5),
        || connections_of(&mut admin, user) == 0,
    );
    (r, peak, samples)
}

/// The report's word on the keepalive control group.
fn control_group(r: &Run) -> Option<KeepaliveControl> {
    let rep: poolcheck::probe::ProbeReport =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    rep.keepalive_control
}

/// While `probe` runs, the server never sees more of its connections than
/// the cap it was given (`--idle` rungs x `--connections`, plus its control
/// connection and, when they fit, the keepalive control group's 2) or
/// computed (half of the account's free connections), and
/// none is left once it has exited; a probe that would need more refuses
/// before opening any probe connection.
#[test]
fn probe_never_holds_more_connections_than_its_cap() {
    let _connections = heavy();
    let sb = Sandbox::shared();
    sb.exec(&[
        "CREATE OR REPLACE USER 'pc_limits'@'%' IDENTIFIED BY 'limits-pw-1'",
        // The account limit makes the probe's own budget the binding cap:
        // the capacity check sees 10 free (its own connection is the 11th)
        // and takes half, 5.
        "CREATE OR REPLACE USER 'pc_limits_acct'@'%' IDENTIFIED BY 'limits-pw-1' \
         WITH MAX_USER_CONNECTIONS 11",
    ]);

    // Two rungs of 3: cap 9 (6 probe connections, the control connection,
    // the keepalive control group's 2).
    let (r, peak, samples) = probe_sampled(
        sb,
        "pc_limits",
        &["--idle", "1s,2s", "--connections", "3", "--reconnects", "3"],
    );
    eprintln!(
        "probe --idle 1s,2s --connections 3: peak {peak} of cap 9 in {samples} samples, {:?}",
        r.elapsed
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(control_group(&r), Some(KeepaliveControl::Held));
    assert!(peak <= 9, "peak {peak} connections, cap 9");
    assert!(
        peak >= 6,
        "the sampler saw only {peak}: it missed the rungs"
    );
    assert!(samples >= 10, "{samples} samples");

    // --find with 4 connections as an account allowed 11: needs 5, which is
    // exactly the computed budget, so the keepalive control group is left
    // out, and the probe says so. The short session wait_timeout makes the
    // server cut at 2 s, so the search ends in a few seconds.
    let (r, peak, samples) = probe_sampled(
        sb,
        "pc_limits_acct",
        &[
            "--find",
            "--max",
            "20s",
            "--max-connections",
            "4",
            "--session-wait-timeout",
            "2",
            "--reconnects",
            "2",
        ],
    );
    eprintln!(
        "probe --find --max-connections 4 (budget 5): peak {peak} in {samples} samples, {:?}",
        r.elapsed
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(control_group(&r), Some(KeepaliveControl::NoRoom));
    assert!(
        r.stderr.contains("no keepalive control group")
            && r.stderr.contains("do not fit the probe's share"),
        "{}",
        r.stderr
    );
    assert!(peak <= 5, "peak {peak} connections, cap 5");
    assert!(peak >= 2, "the sampler saw only {peak}");
    assert!(samples >= 10, "{samples} samples");

    // One more than the budget: refused before any probe connection opens.
    let (r, peak, _) = probe_sampled(
        sb,
        "pc_limits_acct",
        &["--find", "--max", "20s", "--max-connections", "5"],
    );
    r.assert_usage_error();
    assert!(
        r.stderr
            .contains("needs 6 connections but only 5 may be used safely"),
        "{}",
        r.stderr
    );
    assert!(peak <= 1, "a refused probe held {peak} connections");
}

/// Two probes of two different accounts started together on a private
/// server with 40 connections, each wanting 15 (a rung of 12, the control
/// connection, the keepalive control group's 2) of a share of 19. The
/// server-wide probe lock makes them take turns, whatever the account: the
/// second reads the room only once the first has opened its 15, and half of
/// what is left is too little, so it refuses clearly (exit 2, "only N may be
/// used safely", a hint) instead of taking a share of the same free
/// connections. Together they never hold more than one probe's 15 and the
/// other's control connection (a sampler counts both accounts' threads
/// every 100 ms), and the server refuses nobody. With the lock per account
/// (checked by hand) both read the room at once and held 26 together, and
/// one backed off halfway through its opens (exit 1, `probe-backed-off`).
#[test]
fn two_probes_of_two_accounts_share_one_budget() {
    let sb = Sandbox::start(&["--wait-timeout=3600", "--max-connections=40"]);
    let users = ["pc_pair_a", "pc_pair_b"];
    for u in users {
        sb.exec(&[
            &format!("CREATE USER '{u}'@'%' IDENTIFIED BY 'pair-pw-1'"),
            &format!("GRANT PROCESS ON *.* TO '{u}'@'%'"),
        ]);
    }
    let sampler = Sampler::start_all(&sb, users.to_vec());
    let urls: Vec<String> = users.iter().map(|u| sb.url(u, Some("pair-pw-1"))).collect();
    // No reconnect samples: after its rung a probe holds only its control
    // connection, so a later one may take its share then.
    let children: Vec<Reaped> = urls
        .iter()
        .map(|url| {
            crate::faults::spawn(&[
                "probe",
                "--no-defaults",
                "--format",
                "json",
                "--idle",
                "5s",
                "--connections",
                "12",
                "--reconnects",
                "0",
                url,
            ])
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| crate::faults::finish(c, Duration::from_secs(60)))
        .collect();
    let (peak, samples) = sampler.finish();
    let codes: Vec<i32> = runs.iter().map(|r| r.code).collect();
    eprintln!(
        "two probes of two accounts: exits {codes:?}, peak {peak} of 40 in {samples} samples"
    );
    let mut measured = 0;
    for r in &runs {
        match r.code {
            0 | 1 => {
                measured += 1;
                let rep: poolcheck::probe::ProbeReport = serde_json::from_str(&r.stdout).unwrap();
                assert_eq!(rep.keepalive_control, Some(KeepaliveControl::Held));
                assert!(
                    rep.findings.iter().all(|f| f.id != "probe-backed-off"),
                    "it had to back off: {:?}",
                    rep.findings
                );
            }
            2 => {
                assert!(
                    r.stderr.contains("needs 13 connections but only")
                        && r.stderr.contains("may be used safely")
                        && r.stderr.contains("hint:"),
                    "{}",
                    r.stderr
                );
                assert_eq!(r.stdout, "", "a refused probe reports nothing");
            }
            other => panic!("exit {other}: {}", r.stderr),
        }
    }
    assert!(measured >= 1, "no probe ran: {codes:?}");
    assert!(
        peak >= 15,
        "the sampler saw only {peak}: it missed the rung"
    );
    assert!(
        peak <= 16,
        "the two accounts' probes held {peak} connections together, more than one probe's 15 \
         and the other's control connection"
    );
    let errors: u64 = sb
        .admin()
        .query_first::<(String, u64), _>(
            "SHOW GLOBAL STATUS LIKE 'Connection_errors_max_connections'",
        )
        .unwrap()
        .map(|(_, v)| v)
        .unwrap_or_default();
    assert_eq!(errors, 0, "nobody was refused for want of connections");
}
