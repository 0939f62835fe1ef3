//! A throwaway MariaDB: `mariadb-install-db` + `mariadbd` in a temp dir on a
//! free loopback port. Started once per test binary (or per test that needs
//! special settings) and stopped by a watchdog when the test process exits,
//! which also deletes its directory. Never the machine's own server.

use mysql::prelude::Queryable;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Sandbox {
    /// The shell that stops mariadbd when this process ends; kept, never waited on.
    _watchdog: std::process::Child,
    pub port: u16,
    pub socket: PathBuf,
    pub dir: PathBuf,
}

/// The settings the shared sandbox starts with; tests assert these exact values.
pub const WAIT_TIMEOUT_S: u64 = 5;
pub const MAX_CONNECTIONS: u64 = 40;
pub const MAX_ALLOWED_PACKET: u64 = 4 << 20;

const INSTALL_HINT: &str = "mariadbd not found: install MariaDB with `bash scripts/install-deps.sh` \
     (or `apt-get update && apt-get install -y mariadb-server mariadb-client`)";

fn find_program(name: &str) -> PathBuf {
    let dirs = std::env::var("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .chain([
            "/usr/sbin".into(),
            "/usr/bin".into(),
            "/usr/local/sbin".into(),
        ])
        .map(|d: PathBuf| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{INSTALL_HINT} ({name} missing)"))
}

impl Sandbox {
    /// The sandbox shared by all tests of this binary.
    pub fn shared() -> &'static Sandbox {
        static SHARED: OnceLock<Sandbox> = OnceLock::new();
        SHARED.get_or_init(|| {
            Sandbox::start(&[
                &format!("--wait-timeout={WAIT_TIMEOUT_S}"),
                &format!("--max-connections={MAX_CONNECTIONS}"),
                "--max-allowed-packet=4M",
            ])
        })
    }

    /// Starts a new server with extra `mariadbd` options.
    pub fn start(extra: &[&str]) -> Sandbox {
        let install_db = find_program("mariadb-install-db");
        let mariadbd = find_program("mariadbd");
        let dir = tempfile::Builder::new()
            .prefix("poolcheck-sandbox-")
            .tempdir()
            .expect("temp dir")
            .keep();
        let data = dir.join("data");
        let tmp = private_tmpdir(&dir);
        let status = Command::new(&install_db)
            .args([
                "--no-defaults",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .arg(format!("--datadir={}", data.display()))
            // Passed on to the bootstrap mariadbd: its temporary tables live
            // here, not in the /tmp that other sandboxes starting at the same
            // time share (where they were seen to vanish mid-bootstrap).
            .arg(format!("--tmpdir={}", tmp.display()))
            .env("TMPDIR", &tmp)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("install.log")).unwrap())
            .status()
            .expect("mariadb-install-db ran");
        assert!(
            status.success(),
            "mariadb-install-db failed; see {}/install.log",
            dir.display()
        );

        for _attempt in 0..3 {
            let port = super::closed_port();
            let socket = dir.join("mysqld.sock");
            let watchdog = spawn_with_watchdog(&mariadbd, &dir, &data, port, &socket, extra);
            let sandbox = Sandbox {
                _watchdog: watchdog,
                port,
                socket,
                dir: dir.clone(),
            };
            if sandbox.wait_ready(Duration::from_secs(30)) {
                return sandbox;
            }
            // Most likely someone took the port between our probe and the bind.
            sandbox.kill();
        }
        panic!(
            "the sandbox mariadbd did not start; see {}/error.log",
            dir.display()
        );
    }

    /// Stops mariadbd (SIGTERM, as a service manager would) and starts it again
    /// on the same port and data directory: a server restart, as clients see it.
    /// Needs `&mut` (the new watchdog replaces the old one) and a private sandbox.
    pub fn restart(&mut self, extra: &[&str]) {
        let old = self.pid();
        self.kill();
        let started = Instant::now();
        while old.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists()) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "mariadbd did not stop"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let mariadbd = find_program("mariadbd");
        let data = self.dir.join("data");
        // The old watchdog has nothing left to stop; it still deletes the
        // directory when the test process ends, as the new one does.
        self._watchdog =
            spawn_with_watchdog(&mariadbd, &self.dir, &data, self.port, &self.socket, extra);
        assert!(
            self.wait_ready(Duration::from_secs(30)),
            "the sandbox mariadbd did not come back; see {}/error.log",
            self.dir.display()
        );
    }

    fn wait_ready(&self, limit: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < limit {
            if self.try_admin().is_ok() {
                return true;
            }
            if !self.pid_alive() && started.elapsed() > Duration::from_secs(3) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Freezes mariadbd (SIGSTOP) until the guard is dropped (SIGCONT): a
    /// server that stops answering without closing anything, as a paused VM or
    /// container does. Needs a private sandbox.
    pub fn freeze(&self) -> Frozen {
        let pid = self.pid().expect("mariadbd pid");
        signal_pid(pid, "STOP");
        Frozen(pid)
    }

    fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.dir.join("mariadbd.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn pid_alive(&self) -> bool {
        self.pid()
            .is_some_and(|p| Path::new(&format!("/proc/{p}")).exists())
    }

    /// Stops this server (SIGTERM); for a private sandbox a test is done with.
    pub fn stop(&self) {
        self.kill();
    }

    fn kill(&self) {
        if let Some(p) = self.pid() {
            let _ = Command::new("kill").arg(p.to_string()).status();
        }
    }

    fn try_admin(&self) -> mysql::Result<mysql::Conn> {
        let opts = mysql::OptsBuilder::new()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(self.port)
            .user(Some("root"))
            .prefer_socket(false)
            .tcp_connect_timeout(Some(Duration::from_secs(2)))
            .read_timeout(Some(Duration::from_secs(10)))
            // The admin connection must not be killed by the short wait_timeout mid-test.
            .init(vec!["SET SESSION wait_timeout = 3600"]);
        mysql::Conn::new(opts)
    }

    /// A TCP login as `user` (no TLS, never swapped for the socket).
    pub fn connect_as(&self, user: &str, password: &str) -> mysql::Result<mysql::Conn> {
        mysql::Conn::new(
            mysql::OptsBuilder::new()
                .ip_or_hostname(Some("127.0.0.1"))
                .tcp_port(self.port)
                .user(Some(user))
                .pass(Some(password))
                .prefer_socket(false),
        )
    }

    /// A root connection for test setup.
    pub fn admin(&self) -> mysql::Conn {
        self.try_admin().expect("admin connection to the sandbox")
    }

    /// Runs setup statements as root.
    pub fn exec(&self, statements: &[&str]) {
        let mut c = self.admin();
        for s in statements {
            c.query_drop(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        }
    }

    /// `mysql://user[:password]@127.0.0.1:PORT/`.
    pub fn url(&self, user: &str, password: Option<&str>) -> String {
        match password {
            Some(p) => format!("mysql://{user}:{p}@127.0.0.1:{}/", self.port),
            None => format!("mysql://{user}@127.0.0.1:{}/", self.port),
        }
    }

    pub fn root_url(&self) -> String {
        self.url("root", None)
    }
}

/// The sandbox's own temporary directory (created if missing), inside its
/// temp dir, so no two servers share one.
fn private_tmpdir(dir: &Path) -> PathBuf {
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).expect("sandbox tmp dir");
    tmp
}

/// A frozen mariadbd; dropping this resumes it (also when a test fails).
pub struct Frozen(i32);

impl Drop for Frozen {
    fn drop(&mut self) {
        signal_pid(self.0, "CONT");
    }
}

fn signal_pid(pid: i32, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill ran");
    assert!(ok.success(), "kill -{name} {pid}");
}

/// Runs mariadbd under a small shell that stops it (and deletes the directory)
/// once this test process is gone, or after 90 minutes at the most.
fn spawn_with_watchdog(
    mariadbd: &Path,
    dir: &Path,
    data: &Path,
    port: u16,
    socket: &Path,
    extra: &[&str],
) -> std::process::Child {
    let mut args = vec![
        "--no-defaults".to_string(),
        "--user=root".into(),
        format!("--datadir={}", data.display()),
        format!("--tmpdir={}", private_tmpdir(dir).display()),
        format!("--socket={}", socket.display()),
        format!("--port={port}"),
        "--bind-address=127.0.0.1".into(),
        "--skip-name-resolve".into(),
        "--skip-log-bin".into(),
        "--performance-schema=OFF".into(),
        "--innodb-buffer-pool-size=16M".into(),
        format!("--log-error={}/error.log", dir.display()),
        format!("--pid-file={}/server.pid", dir.display()),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        r#"'{bin}' {args} >/dev/null 2>&1 &
m=$!
echo $m > '{dir}/mariadbd.pid'
i=0
while kill -0 {parent} 2>/dev/null && [ $i -lt 27000 ]; do sleep 0.2; i=$((i+1)); done
kill $m 2>/dev/null
j=0
while kill -0 $m 2>/dev/null && [ $j -lt 100 ]; do sleep 0.1; j=$((j+1)); done
kill -9 $m 2>/dev/null
rm -rf '{dir}'
"#,
        bin = mariadbd.display(),
        args = quoted.join(" "),
        dir = dir.display(),
        parent = std::process::id(),
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh spawned")
}
