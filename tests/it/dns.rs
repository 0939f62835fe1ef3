//! Name resolution under a resolver the test controls: poolcheck runs in a
//! private network and mount namespace (`unshare --net --mount`) whose
//! /etc/resolv.conf, /etc/hosts and /etc/nsswitch.conf are bind-mounted
//! files pointing at a small DNS server on that namespace's 127.0.0.1:53
//! (tests/it/dns_helper.py). The same helper relays the namespace's
//! 127.0.0.1:PORT to the sandbox's Unix socket (a file, so reachable from any
//! network namespace). The machine's own resolver is never asked.
//!
//! Names: `slow.poolcheck.test` answers 127.0.0.1 after 0.8 s;
//! `stall.poolcheck.test` is never answered; anything else is NXDOMAIN.
//! Needs root or unprivileged user namespaces (`unshare`, `ip`: util-linux,
//! iproute2) and python3.

use crate::common::{Run, Sandbox};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const HELPER: &str = include_str!("dns_helper.py");

struct Namespace {
    dir: tempfile::TempDir,
}

impl Namespace {
    fn new() -> Namespace {
        let dir = tempfile::Builder::new()
            .prefix("poolcheck-dns-")
            .tempdir()
            .unwrap();
        let w = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        w(
            "resolv.conf",
            "nameserver 127.0.0.1\noptions timeout:5 attempts:1\n",
        );
        w("hosts", "127.0.0.1 localhost\n::1 localhost\n");
        w("nsswitch.conf", "hosts: files dns\n");
        w("dns_helper.py", HELPER);
        Namespace { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs poolcheck with `args` inside the namespace; `{PORT}` in an argument
    /// is the relay's port there.
    fn poolcheck(&self, socket: &Path, args: &[&str]) -> Run {
        let script = r#"
set -e
ip link set lo up
mount --bind "$D/resolv.conf" /etc/resolv.conf
mount --bind "$D/hosts" /etc/hosts
mount --bind "$D/nsswitch.conf" /etc/nsswitch.conf
rm -f "$D/ready" "$D/queries.log"
python3 "$D/dns_helper.py" "$D" "$SOCK" 33060 &
helper=$!
i=0
while [ ! -e "$D/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ -e "$D/ready" ] || { echo "dns helper did not start" >&2; kill $helper; exit 99; }
set +e
bin=$1; shift
"$bin" "$@"
rc=$?
kill $helper 2>/dev/null
wait $helper 2>/dev/null
exit $rc
"#;
        let mut cmd = Command::new("unshare");
        // Unprivileged: a user namespace in which we are root.
        if !running_as_root() {
            cmd.args(["--user", "--map-root-user"]);
        }
        cmd.args(["--net", "--mount", "--fork", "sh", "-c", script, "sh"])
            .arg(assert_cmd::cargo::cargo_bin("poolcheck"))
            .args(args.iter().map(|a| a.replace("{PORT}", "33060")))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("D", self.dir.path())
            .env("SOCK", socket)
            .env("USER", "root")
            .env("NO_COLOR", "1")
            .env("RUST_BACKTRACE", "0");
        let started = Instant::now();
        let out = cmd.output().expect("unshare runs (util-linux)");
        let r = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: started.elapsed(),
        };
        assert_ne!(
            r.code, 99,
            "the namespace could not be set up: {}",
            r.stderr
        );
        r
    }

    /// The A queries the helper saw for `name`.
    fn a_queries(&self, name: &str) -> usize {
        std::fs::read_to_string(self.path("queries.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| *l == format!("A {name}"))
            .count()
    }
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        .unwrap_or(false)
}

/// A resolver that takes 0.8 s, under `--connect-timeout 2s`: inspect and a
/// probe with reconnect samples succeed, and the resolver is asked once per
/// run (one A query), not per connect. Before, every connect resolved the name
/// twice (four times with the default PREFERRED against a server without
/// TLS), so 0.8 s per lookup ran past 2 s: "no complete MySQL handshake".
#[test]
fn a_slow_resolver_is_asked_once_per_run_within_the_connect_timeout() {
    let _l = crate::common::light();
    let sb = Sandbox::shared();
    let ns = Namespace::new();
    let url = "mysql://root@slow.poolcheck.test:{PORT}/";
    let r = ns.poolcheck(
        &sb.socket,
        &[
            "inspect",
            "--no-defaults",
            "--fail-on",
            "never",
            "--connect-timeout",
            "2s",
            url,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("MariaDB"), "{}", r.stdout);
    assert_eq!(ns.a_queries("slow.poolcheck.test"), 1, "inspect");

    // A probe opens a control connection, probe connections and reconnect
    // samples: still one lookup.
    let r = ns.poolcheck(
        &sb.socket,
        &[
            "probe",
            "--no-defaults",
            "--fail-on",
            "never",
            "--connect-timeout",
            "2s",
            "--idle",
            "1s",
            "--connections",
            "2",
            "--reconnects",
            "5",
            "--format",
            "json",
            url,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ns.a_queries("slow.poolcheck.test"), 1, "probe");
}

/// A resolver that never answers: the connect timeout runs out while
/// resolving and the error says so (it used to say "no complete MySQL
/// handshake"). An unknown name (NXDOMAIN) is "could not resolve" at once.
#[test]
fn a_silent_resolver_is_named_as_the_phase_that_ran_out_of_time() {
    let sb = Sandbox::shared();
    let ns = Namespace::new();
    let r = ns.poolcheck(
        &sb.socket,
        &[
            "inspect",
            "--no-defaults",
            "--connect-timeout",
            "1s",
            "mysql://root@stall.poolcheck.test:{PORT}/",
        ],
    );
    r.assert_usage_error();
    assert!(
        r.stderr.starts_with(
            "error: could not resolve the host name in stall.poolcheck.test:33060 within 1s \
             (connect timeout ran out while resolving)"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("hint: the DNS resolver did not answer in time"),
        "{}",
        r.stderr
    );
    // The run ends at its deadline, not when the resolver gives up (5 s).
    assert!(r.elapsed < Duration::from_secs(5), "{:?}", r.elapsed);

    let r = ns.poolcheck(
        &sb.socket,
        &[
            "inspect",
            "--no-defaults",
            "--connect-timeout",
            "2s",
            "mysql://root@missing.poolcheck.test:{PORT}/",
        ],
    );
    r.assert_usage_error();
    assert!(
        r.stderr
            .starts_with("error: could not resolve the host name in missing.poolcheck.test:33060"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("connect timeout"), "{}", r.stderr);
}

/// The name is what TLS verifies, though the connection goes to the address
/// resolved for it: `slow.poolcheck.test` resolves to 127.0.0.1, and the TLS
/// sandbox's certificate is for `localhost` and 127.0.0.1. VERIFY_IDENTITY
/// refuses it (had poolcheck handed the driver the address, the certificate's
/// 127.0.0.1 would have matched); VERIFY_CA, which checks only the issuer,
/// accepts it. Both over the namespace's relay to the server's Unix socket.
#[test]
fn tls_verifies_the_host_name_not_the_address_it_resolved_to() {
    let t = crate::tls::tls_sandbox();
    let ns = Namespace::new();
    let ca = t.ca.to_str().unwrap();
    let url = "mysql://root@slow.poolcheck.test:{PORT}/";
    let r = ns.poolcheck(
        &t.sandbox.socket,
        &[
            "inspect",
            "--no-defaults",
            "--ssl-mode",
            "VERIFY_IDENTITY",
            "--ssl-ca",
            ca,
            url,
        ],
    );
    r.assert_usage_error();
    assert!(
        r.stderr.contains("certificate was not accepted"),
        "{}",
        r.stderr
    );
    let r = ns.poolcheck(
        &t.sandbox.socket,
        &[
            "inspect",
            "--no-defaults",
            "--fail-on",
            "never",
            "--format",
            "json",
            "--ssl-mode",
            "VERIFY_CA",
            "--ssl-ca",
            ca,
            url,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep: poolcheck::inspect::InspectReport = serde_json::from_str(&r.stdout).unwrap();
    assert!(rep.target.tls, "VERIFY_CA connected with TLS");
}
