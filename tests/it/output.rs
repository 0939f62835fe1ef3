//! Output channels a user or an operator can break: stdout and stderr closed
//! (`2>&1 | true`, `| head`, `2>&-`), or full because nobody reads them; and
//! Ctrl-C / SIGTERM while poolcheck waits on anything. No write may panic
//! (exit 101), the proxy keeps serving whatever happens to its stderr, and a
//! signal always ends the run with 130 within a bound.

use crate::common::{Reaped, Sandbox, Silent, closed_port, light};
use std::io::{PipeReader, PipeWriter, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a signalled run may take to exit: the 5 s backstop plus margin
/// for a loaded machine. A hang, not a timing goal.
const EXIT_BOUND: Duration = Duration::from_secs(15);

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("poolcheck")
}

/// `poolcheck ARGS` with the hermetic environment of `common::poolcheck`.
fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_clear()
        .env("RUST_BACKTRACE", "0")
        .env("USER", "poolcheck-test")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

/// A pipe whose reader is already gone: every write gets EPIPE.
fn closed_pipe() -> PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

/// A pipe filled to the brim whose reader (returned, kept open) never reads:
/// the next write blocks for good.
fn full_pipe() -> (PipeReader, PipeWriter) {
    use rustix::fs::{OFlags, fcntl_setfl};
    let (reader, mut writer) = std::io::pipe().unwrap();
    fcntl_setfl(&writer, OFlags::NONBLOCK).unwrap();
    for chunk in [&[b'x'; 4096][..], b"x"] {
        loop {
            match writer.write(chunk) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("filling the pipe: {e}"),
            }
        }
    }
    // poolcheck gets the pipe as any program would: blocking.
    fcntl_setfl(&writer, OFlags::empty()).unwrap();
    (reader, writer)
}

/// Waits for the child to exit (at most `limit`): its exit code.
fn wait_exit(child: &mut Child, limit: Duration) -> i32 {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(
            started.elapsed() < limit,
            "poolcheck still running after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(child: &Child, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success(), "kill -{signal}");
}

/// Waits (at most 30 s) until the process has a thread named `name`.
fn wait_for_thread(child: &mut Child, name: &str) {
    let started = Instant::now();
    loop {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", child.id()));
        let found = tasks.into_iter().flatten().flatten().any(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name)
        });
        if found {
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "poolcheck exited before starting thread {name}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no thread {name} after 30 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn read_all(mut r: impl Read) -> String {
    let mut s = String::new();
    r.read_to_string(&mut s).unwrap();
    s
}

/// An upstream for the proxy that echoes every byte back, one thread per
/// connection (ended when the proxy closes its side).
struct Echo {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Echo {
    fn start() -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            while !flag.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(300) {
                match listener.accept() {
                    Ok((s, _)) => {
                        s.set_nonblocking(false).unwrap();
                        std::thread::Builder::new()
                            .stack_size(64 << 10)
                            .spawn(move || {
                                let mut r = &s;
                                let mut w = &s;
                                let _ = std::io::copy(&mut r, &mut w);
                            })
                            .unwrap();
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Echo { port, stop }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Starts `poolcheck proxy` on a free port in front of `upstream` with the
/// given stdout and stderr, and waits until it accepts connections.
/// (The port cannot be read from its start note: stderr may be closed or full.)
fn start_proxy(upstream: u16, extra: &[&str], stdout: Stdio, stderr: Stdio) -> (Reaped, u16) {
    let port = closed_port();
    let mut cmd = command(&["proxy", "--format", "json"]);
    cmd.args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--upstream", &format!("127.0.0.1:{upstream}")])
        .args(extra)
        .stdout(stdout)
        .stderr(stderr);
    let mut child = Reaped::new(cmd.spawn().unwrap());
    drop(cmd);
    let started = Instant::now();
    loop {
        assert!(
            child.child().try_wait().unwrap().is_none(),
            "the proxy exited (port {port} taken meanwhile?)"
        );
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (child, port);
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the proxy did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One client through the proxy: what it sends comes back (the proxy serves it).
fn assert_served(port: u16, what: &str) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(what.as_bytes()).unwrap();
    let mut back = vec![0; what.len()];
    s.read_exact(&mut back)
        .unwrap_or_else(|e| panic!("{what}: no echo through the proxy: {e}"));
    assert_eq!(back, what.as_bytes());
    s.shutdown(Shutdown::Both).unwrap();
}

/// The proxy's JSON summary, after SIGTERM (exit 130, within 5 s).
fn stop_proxy(proxy: Reaped, stdout: Option<PipeReader>) -> serde_json::Value {
    let (code, out) = proxy.terminate();
    assert_eq!(code, 130);
    let out = match stdout {
        Some(r) => read_all(r),
        None => out,
    };
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[derive(Clone, Copy, Debug)]
enum Closed {
    /// `2>&1 | true`: stdout and stderr one pipe, closed.
    Both,
    /// `| true` for stderr only (`2>&1 >/dev/null | true`); stdout read.
    Stderr,
    /// `2>&-` (the shell closes fd 2).
    StderrFd,
}

/// Runs poolcheck with stderr (and maybe stdout) closed: exit code and the
/// stdout read, if it was.
fn run_closed(args: &[&str], how: Closed) -> (i32, String) {
    let mut cmd = match how {
        Closed::StderrFd => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg("exec \"$0\" \"$@\" 2>&-")
                .arg(bin())
                .args(args)
                .env_clear()
                .env("NO_COLOR", "1")
                .env("USER", "poolcheck-test")
                .stdin(Stdio::null());
            c
        }
        _ => command(args),
    };
    let (stdout, reader) = match how {
        Closed::Both => {
            let w = closed_pipe();
            cmd.stderr(w.try_clone().unwrap());
            (Stdio::from(w), None)
        }
        Closed::Stderr | Closed::StderrFd => {
            if let Closed::Stderr = how {
                cmd.stderr(closed_pipe());
            }
            let (r, w) = std::io::pipe().unwrap();
            (Stdio::from(w), Some(r))
        }
    };
    let mut child = cmd.stdout(stdout).spawn().unwrap();
    drop(cmd); // the parent's copies of the pipe ends
    let out = std::thread::spawn(move || reader.map(read_all).unwrap_or_default());
    let code = wait_exit(&mut child, Duration::from_secs(60));
    (code, out.join().unwrap())
}

/// With stderr (or stdout and stderr) a closed pipe or a closed descriptor,
/// every subcommand exits with its documented code and no panic (101): with
/// a note, an error, a usage error, a result, and a probe's progress.
#[test]
fn a_closed_stderr_never_changes_the_exit_code() {
    let _connections = light();
    let sb = Sandbox::shared();
    let refused = format!("mysql://app@127.0.0.1:{}/", closed_port());
    let good = sb.url("root", None);
    // (args, expected exit code, stdout must hold this when read)
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        // A note (password on the command line) and an error.
        (
            vec!["inspect", "--no-defaults", "--password=x", &refused],
            2,
            "",
        ),
        // A note and a result.
        (
            vec![
                "inspect",
                "--no-defaults",
                "--password=",
                "--format",
                "json",
                "--fail-on",
                "never",
                &good,
            ],
            0,
            "\"schema_version\"",
        ),
        (
            vec!["probe", "--no-defaults", "--idle", "1s", &refused],
            2,
            "",
        ),
        (
            vec![
                "probe",
                "--no-defaults",
                "--idle",
                "1s",
                "--connections",
                "1",
                "--reconnects",
                "1",
                "--format",
                "json",
                "--fail-on",
                "never",
                &good,
            ],
            0,
            "\"rungs\"",
        ),
        (
            vec![
                "explain",
                "--fail-on",
                "never",
                "(2013, 'Lost connection to MySQL server during query')",
            ],
            0,
            "2013",
        ),
        (
            vec![
                "recommend",
                "--framework",
                "sqlalchemy",
                "--idle-limit",
                "300s",
            ],
            0,
            "pool_recycle",
        ),
        (vec!["inspect", "--no-such-flag"], 2, ""),
        (vec!["explain", "--file", "/no/such/file.log"], 2, ""),
    ];
    for (args, code, wanted) in &cases {
        for how in [Closed::Both, Closed::Stderr, Closed::StderrFd] {
            let (got, stdout) = run_closed(args, how);
            assert_eq!(got, *code, "{how:?} {args:?}; stdout: {stdout}");
            if !matches!(how, Closed::Both) {
                assert!(stdout.contains(wanted), "{how:?} {args:?}: {stdout}");
            }
        }
    }
}

/// The proxy with its stderr closed (`proxy ... 2>&1 | head -2` once head
/// is gone): it logs every accept, kill and close into the closed pipe and
/// keeps serving client after client; SIGTERM still gives the summary, 130.
#[test]
fn the_proxy_keeps_serving_with_its_stderr_closed() {
    let echo = Echo::start();
    for both in [false, true] {
        let (stdout, reader) = if both {
            (closed_pipe(), None)
        } else {
            let (r, w) = std::io::pipe().unwrap();
            (w, Some(r))
        };
        let stderr = if both {
            stdout.try_clone().unwrap()
        } else {
            closed_pipe()
        };
        let (mut proxy, port) = start_proxy(
            echo.port,
            &["--idle-cutoff", "1s"],
            Stdio::from(stdout),
            Stdio::from(stderr),
        );
        for i in 0..10 {
            assert_served(port, &format!("client {i}"));
        }
        // A kill is logged too (and a refused client would be): still serving.
        let idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
        idle.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        assert_eq!((&idle).read(&mut [0; 16]).unwrap(), 0, "not killed");
        assert_served(port, "after the kill");
        assert!(proxy.child().try_wait().unwrap().is_none());
        if both {
            let (code, _) = proxy.terminate();
            assert_eq!(code, 130);
        } else {
            let summary = stop_proxy(proxy, reader);
            // 10 + 1 killed + 1 after + the readiness check of start_proxy.
            assert_eq!(summary["stats"]["flows_total"], 13, "{summary}");
            assert_eq!(summary["stats"]["flows_killed"], 1, "{summary}");
        }
    }
}

/// The proxy with a stderr pipe that is full and never read: the start note
/// and 1,800 event lines (600 flows killed at a 1 s idle cutoff) cannot be
/// written, yet every client is served and killed on time, a client after
/// them is served, SIGTERM stops it within 5 s, and the summary counts the
/// dropped log lines.
#[test]
fn the_proxy_never_waits_for_a_full_stderr() {
    let echo = Echo::start();
    let (_unread, stderr) = full_pipe();
    let (out_reader, out_writer) = std::io::pipe().unwrap();
    let (mut proxy, port) = start_proxy(
        echo.port,
        &["--idle-cutoff", "1s"],
        Stdio::from(out_writer),
        Stdio::from(stderr),
    );
    assert_served(port, "first");
    for round in 0..4 {
        let clients: Vec<TcpStream> = (0..150)
            .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect();
        for c in &clients {
            // Each is killed (FIN) after 1 s idle, by a proxy that cannot log it.
            c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let n = (&*c)
                .read(&mut [0; 16])
                .unwrap_or_else(|e| panic!("round {round}: no kill: {e}"));
            assert_eq!(n, 0, "round {round}");
        }
        assert_served(port, &format!("after round {round}"));
    }
    assert!(proxy.child().try_wait().unwrap().is_none());
    let summary = stop_proxy(proxy, Some(out_reader));
    assert_eq!(summary["stats"]["flows_killed"], 600, "{summary}");
    let dropped = summary["log_lines_dropped"].as_u64().unwrap();
    // 606 flows (with start_proxy's readiness check): 1 note, 606 accepts,
    // 600 kills and 606 closes = 1,813 lines; one is being written (blocked)
    // and 1,024 wait in the queue.
    let flows = summary["stats"]["flows_total"].as_u64().unwrap();
    assert_eq!(flows, 606, "{summary}");
    assert_eq!(dropped, 1 + 2 * flows + 600 - 1 - 1_024, "{summary}");
}

/// A result nobody reads (stdout a full pipe): Ctrl-C or SIGTERM while
/// poolcheck waits to write it ends the run with 130 and a note, for a
/// report from a server, from text alone, and the proxy's summary.
#[test]
fn a_signal_ends_a_write_to_a_full_stdout_with_130() {
    let _connections = light();
    let sb = Sandbox::shared();
    let good = sb.url("root", None);
    let cases: Vec<Vec<&str>> = vec![
        vec!["inspect", "--no-defaults", "--format", "table", &good],
        vec![
            "explain",
            "--format",
            "table",
            "(2006, 'MySQL server has gone away')",
        ],
        vec!["recommend", "--list-hosting", "--format", "json"],
    ];
    for args in &cases {
        for signal in ["INT", "TERM"] {
            let (_unread, stdout) = full_pipe();
            let (err_reader, err_writer) = std::io::pipe().unwrap();
            let mut cmd = command(args);
            cmd.stdout(stdout).stderr(err_writer);
            let mut child = cmd.spawn().unwrap();
            drop(cmd);
            // The writer thread starts when the result is ready to be written.
            wait_for_thread(&mut child, "stdout-writer");
            std::thread::sleep(Duration::from_millis(100));
            kill(&child, signal);
            let code = wait_exit(&mut child, EXIT_BOUND);
            let stderr = read_all(err_reader);
            assert_eq!(code, 130, "{signal} {args:?}: {stderr}");
            assert!(
                stderr.contains("interrupted while writing the result"),
                "{signal} {args:?}: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
    // The proxy: SIGTERM stops it, and its summary waits a moment, not for good.
    let echo = Echo::start();
    let (_unread, stdout) = full_pipe();
    let (proxy, port) = start_proxy(echo.port, &[], Stdio::from(stdout), Stdio::null());
    assert_served(port, "one");
    let (code, _) = proxy.terminate();
    assert_eq!(code, 130);
}

/// Ctrl-C or SIGTERM while any subcommand waits on a server that never
/// answers (a listening socket that accepts and stays silent), or on stdin
/// that never ends, and to the proxy: exit 130, never the shell's 143.
#[test]
fn every_subcommand_exits_130_on_either_signal_while_waiting() {
    let silent = Silent::start();
    let url = format!("mysql://app@127.0.0.1:{}/", silent.port);
    let connecting: Vec<Vec<&str>> = vec![
        vec!["inspect", "--no-defaults", "--connect-timeout", "60s", &url],
        vec![
            "recommend",
            "--no-defaults",
            "--framework",
            "sqlalchemy",
            "--connect-timeout",
            "60s",
            &url,
        ],
        vec![
            "explain",
            "--target",
            &url,
            "--connect-timeout",
            "60s",
            "(2013, 'Lost connection to MySQL server during query')",
        ],
        vec![
            "probe",
            "--no-defaults",
            "--idle",
            "1s",
            "--connect-timeout",
            "60s",
            &url,
        ],
    ];
    for args in &connecting {
        for signal in ["INT", "TERM"] {
            let before = silent.accepted();
            let mut cmd = command(args);
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            let started = Instant::now();
            while silent.accepted() == before {
                assert!(child.try_wait().unwrap().is_none(), "{args:?} exited");
                assert!(started.elapsed() < Duration::from_secs(30), "{args:?}");
                std::thread::sleep(Duration::from_millis(10));
            }
            kill(&child, signal);
            let code = wait_exit(&mut child, EXIT_BOUND);
            let stdout = read_all(child.stdout.take().unwrap());
            let stderr = read_all(child.stderr.take().unwrap());
            assert_eq!(code, 130, "{signal} {args:?}: {stderr}");
            assert_eq!(stdout, "", "{signal} {args:?}");
            assert!(
                stderr.contains("interrupted"),
                "{signal} {args:?}: {stderr}"
            );
        }
    }
    // The proxy, with a flow open to an upstream that never answers.
    for signal in ["INT", "TERM"] {
        let (mut proxy, port) = start_proxy(silent.port, &[], Stdio::piped(), Stdio::null());
        let _client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        kill(proxy.child(), signal);
        let code = wait_exit(proxy.child(), EXIT_BOUND);
        assert_eq!(code, 130, "proxy {signal}");
        let summary = read_all(proxy.child().stdout.take().unwrap());
        assert!(summary.contains("\"flows_total\""), "{summary}");
    }
    // Waiting on stdin that never ends (the test keeps it open, writes nothing).
    let reading: Vec<Vec<&str>> = vec![
        vec!["explain"],
        vec!["explain", "--file", "-"],
        vec!["recommend", "--framework", "sqlalchemy", "--from", "-"],
    ];
    for args in &reading {
        for signal in ["INT", "TERM"] {
            let (stdin_reader, _stdin_writer) = std::io::pipe().unwrap();
            let mut cmd = command(args);
            cmd.stdin(stdin_reader)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            drop(cmd);
            // ctrlc's thread: the handler is installed.
            wait_for_thread(&mut child, "ctrl-c");
            kill(&child, signal);
            let code = wait_exit(&mut child, EXIT_BOUND);
            let stderr = read_all(child.stderr.take().unwrap());
            assert_eq!(code, 130, "{signal} {args:?}: {stderr}");
            assert!(
                stderr.contains("interrupted"),
                "{signal} {args:?}: {stderr}"
            );
        }
    }
}
