//! Test helpers: a hermetic `poolcheck` command and the throwaway MariaDB.

pub mod builds;
pub mod fake_mysql;
pub mod netns;
pub mod proof;
pub mod python;
pub mod relay;
pub mod sandbox;

pub use sandbox::Sandbox;

use assert_cmd::Command;
use std::time::{Duration, Instant};

/// `poolcheck` with a clean environment: no HOME, no MYSQL_*, POOLCHECK_*,
/// DATABASE_URL or CI from the developer's shell, no colors, no backtraces.
pub fn poolcheck() -> Command {
    let mut cmd = Command::cargo_bin("poolcheck").expect("binary built");
    cmd.env_clear()
        .env("RUST_BACKTRACE", "0")
        .env("USER", "poolcheck-test")
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60));
    cmd
}

/// The result of one run, with the exit code and both streams as text.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

pub fn run(cmd: &mut Command) -> Run {
    let started = Instant::now();
    let out = cmd.output().expect("poolcheck ran");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

impl Run {
    /// Asserts the could-not-run contract: exit 2, nothing on stdout, an
    /// `error:` line and a `hint:` line on stderr.
    pub fn assert_usage_error(&self) -> &Self {
        assert_eq!(self.code, 2, "exit code; stderr:\n{}", self.stderr);
        assert_eq!(self.stdout, "", "stdout must stay empty on errors");
        assert!(
            self.stderr.starts_with("error: "),
            "stderr:\n{}",
            self.stderr
        );
        assert!(
            self.stderr.lines().any(|l| l.starts_with("hint: ")),
            "no hint line; stderr:\n{}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }
}

/// A host name that no resolver sends a query for, so "unknown host" tests
/// never depend on the machine's DNS: its first label has 64 characters, one
/// more than DNS allows, and the lookup fails at once (glibc will not build
/// the query; nscd and systemd-resolved check names the same way).
/// `no-such-host.invalid` went to the resolver and, with a silent one,
/// became a connect timeout instead of "could not resolve".
pub const UNRESOLVABLE_HOST: &str =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.invalid";

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Tests that hold many sandbox connections take this for writing; tests that
/// hold a few take it for reading. The probe refuses to take more than half of
/// the free connections, so a 16-connection search must not overlap others.
pub static CONNECTION_HEAVY: std::sync::RwLock<()> = std::sync::RwLock::new(());

pub fn heavy() -> std::sync::RwLockWriteGuard<'static, ()> {
    CONNECTION_HEAVY.write().unwrap_or_else(|e| e.into_inner())
}

pub fn light() -> std::sync::RwLockReadGuard<'static, ()> {
    CONNECTION_HEAVY.read().unwrap_or_else(|e| e.into_inner())
}

/// A child process that is killed when dropped, so a failing test never
/// leaves a proxy or a probe running.
pub struct Reaped(Option<std::process::Child>);

impl Reaped {
    pub fn new(child: std::process::Child) -> Reaped {
        Reaped(Some(child))
    }

    pub fn child(&mut self) -> &mut std::process::Child {
        self.0.as_mut().expect("child still owned")
    }

    /// Sends SIGTERM and waits (at most 5 s) for the exit code and stdout.
    pub fn terminate(mut self) -> (i32, String) {
        let id = self.child().id();
        std::process::Command::new("kill")
            .args(["-TERM", &id.to_string()])
            .status()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child().try_wait().unwrap() {
                let mut child = self.0.take().expect("child still owned");
                let mut stdout = String::new();
                if let Some(mut out) = child.stdout.take() {
                    std::io::Read::read_to_string(&mut out, &mut stdout).unwrap();
                }
                // Already exited (try_wait saw it); this only reaps it for good.
                let _ = child.wait();
                return (status.code().unwrap_or(-1), stdout);
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "process did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A loopback listener that accepts every connection and holds it without
/// a word (a server that never speaks, an upstream that only holds sockets),
/// until dropped or for 5 minutes at most. `held` counts what it accepted.
pub struct Silent {
    pub port: u16,
    pub held: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Silent {
    pub fn start() -> Silent {
        use std::sync::atomic::Ordering::SeqCst;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (count, flag) = (held.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut sockets = Vec::new();
            let started = Instant::now();
            while !flag.load(SeqCst) && started.elapsed() < Duration::from_secs(300) {
                match listener.accept() {
                    Ok((s, _)) => {
                        sockets.push(s);
                        count.store(sockets.len(), SeqCst);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Silent {
            port,
            held,
            stop,
            thread: Some(thread),
        }
    }

    /// How many connections it has accepted so far.
    pub fn accepted(&self) -> usize {
        self.held.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How many threads `user` has on the server now.
pub fn threads_of(sb: &Sandbox, user: &str) -> usize {
    use mysql::prelude::Queryable;
    sb.admin()
        .exec_first::<usize, _, _>(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = ?",
            (user,),
        )
        .unwrap()
        .unwrap_or(0)
}

/// Waits (at most 20 s) until `user` has at least `n` threads on the server,
/// and returns how many it has then. A probe first waits its turn for the
/// server-wide probe lock while another probe of the same server opens its
/// connections, so a test that acts on a probe's held connections waits for
/// them instead of sleeping a fixed time.
pub fn await_threads(sb: &Sandbox, user: &str, n: usize) -> usize {
    let started = Instant::now();
    loop {
        let now = threads_of(sb, user);
        if now >= n || started.elapsed() > Duration::from_secs(20) {
            return now;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
