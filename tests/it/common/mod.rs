//! Test helpers: a hermetic `poolcheck` command and the throwaway MariaDB.

pub mod python;
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
