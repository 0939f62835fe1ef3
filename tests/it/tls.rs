//! TLS modes against a sandbox that has TLS: a throwaway CA and a server
//! certificate for 127.0.0.1 / localhost, made with the openssl CLI.

use crate::common::{Sandbox, poolcheck, run};
use poolcheck::inspect::InspectReport;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub struct TlsSandbox {
    pub sandbox: Sandbox,
    pub ca: PathBuf,
    other_ca: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

pub fn tls_sandbox() -> &'static TlsSandbox {
    static TLS: OnceLock<TlsSandbox> = OnceLock::new();
    TLS.get_or_init(|| start_tls_sandbox(&[]))
}

/// A TLS sandbox that refuses plain-text connections (switched on after the
/// start: the rig's readiness check logs in without TLS).
fn secure_transport_sandbox() -> TlsSandbox {
    let t = start_tls_sandbox(&[]);
    t.sandbox
        .exec(&["SET GLOBAL require_secure_transport = ON"]);
    t
}

pub fn start_tls_sandbox(extra: &[&str]) -> TlsSandbox {
    {
        let dir = tempfile::Builder::new()
            .prefix("poolcheck-tls-")
            .tempdir()
            .unwrap()
            .keep();
        make_ca(&dir, "ca");
        make_ca(&dir, "other-ca");
        std::fs::write(
            dir.join("san.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        openssl(
            &dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
            ],
        );
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "san.cnf",
                "-out",
                "server.pem",
            ],
        );
        let p = |f: &str| dir.join(f).display().to_string();
        let mut args = vec![
            format!("--ssl-ca={}", p("ca.pem")),
            format!("--ssl-cert={}", p("server.pem")),
            format!("--ssl-key={}", p("server.key")),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let sandbox = Sandbox::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
        TlsSandbox {
            sandbox,
            ca: dir.join("ca.pem"),
            other_ca: dir.join("other-ca.pem"),
        }
    }
}

fn inspect(args: &[&str], url: &str) -> crate::common::Run {
    run(poolcheck()
        .args([
            "inspect",
            "--no-defaults",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args(args)
        .arg(url))
}

/// Asserts that stderr holds every one of `parts`.
fn says(r: &crate::common::Run, parts: &[&str]) {
    for part in parts {
        assert!(r.stderr.contains(part), "no {part:?} in:\n{}", r.stderr);
    }
}

fn tls_of(r: &crate::common::Run) -> bool {
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str::<InspectReport>(&r.stdout)
        .unwrap()
        .target
        .tls
}

#[test]
fn preferred_and_required_use_tls_when_the_server_offers_it() {
    let t = tls_sandbox();
    let url = t.sandbox.root_url();
    assert!(tls_of(&inspect(&[], &url)), "PREFERRED is the default");
    assert!(tls_of(&inspect(&["--ssl-mode", "REQUIRED"], &url)));
    assert!(!tls_of(&inspect(&["--ssl-mode", "DISABLED"], &url)));
}

#[test]
fn verify_modes_check_the_certificate() {
    let t = tls_sandbox();
    let ca = t.ca.to_str().unwrap();
    let url = t.sandbox.root_url();
    assert!(tls_of(&inspect(
        &["--ssl-mode", "VERIFY_CA", "--ssl-ca", ca],
        &url
    )));
    assert!(tls_of(&inspect(
        &["--ssl-mode", "VERIFY_IDENTITY", "--ssl-ca", ca],
        &url
    )));
    // --ssl-ca alone implies VERIFY_CA.
    assert!(tls_of(&inspect(&["--ssl-ca", ca], &url)));
    let localhost = format!("mysql://root@localhost:{}/", t.sandbox.port);
    assert!(tls_of(&inspect(
        &["--ssl-mode", "VERIFY_IDENTITY", "--ssl-ca", ca],
        &localhost
    )));
}

#[test]
fn a_certificate_from_another_ca_is_refused() {
    let t = tls_sandbox();
    let r = inspect(
        &[
            "--ssl-mode",
            "VERIFY_CA",
            "--ssl-ca",
            t.other_ca.to_str().unwrap(),
        ],
        &t.sandbox.root_url(),
    );
    r.assert_usage_error();
    assert!(
        r.stderr.contains("certificate was not accepted"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--ssl-ca"), "{}", r.stderr);
}

/// `require_secure_transport=ON` refuses a plain-text login. MariaDB answers
/// it with 1045 "access denied", word for word what a wrong password gets
/// (MySQL has its own 3159, which is named as the cause): the hint says the
/// connection was plain text and names require_secure_transport and the
/// `--ssl-mode` that fixes it. The default PREFERRED takes TLS and gets in.
#[test]
fn a_server_that_requires_tls_gets_a_hint_that_says_so() {
    let t = &secure_transport_sandbox();
    let url = t.sandbox.root_url();
    let r = inspect(&["--ssl-mode", "DISABLED"], &url);
    r.assert_usage_error();
    says(
        &r,
        &[
            "(over a plain-text connection)",
            "require_secure_transport=ON",
            "connect with --ssl-mode REQUIRED (--ssl-mode is DISABLED now)",
        ],
    );
    assert!(
        tls_of(&inspect(&[], &url)),
        "PREFERRED uses the server's TLS"
    );
}

/// An account created `REQUIRE SSL` that logs in over plain text gets the
/// same 1045 as a wrong password: the hint names both causes, and says that
/// this connection was plain text. Over TLS the account gets in.
#[test]
fn an_account_that_requires_tls_gets_a_hint_that_says_so() {
    let t = tls_sandbox();
    t.sandbox.exec(&[
        "CREATE USER IF NOT EXISTS 'needs_tls'@'%' IDENTIFIED BY 'tls-pw' REQUIRE SSL",
        "GRANT PROCESS ON *.* TO 'needs_tls'@'%'",
    ]);
    let url = t.sandbox.url("needs_tls", Some("tls-pw"));
    let r = inspect(&["--ssl-mode", "DISABLED"], &url);
    r.assert_usage_error();
    says(
        &r,
        &[
            "(over a plain-text connection)",
            "REQUIRE SSL",
            "--ssl-mode REQUIRED",
        ],
    );
    assert!(tls_of(&inspect(&[], &url)));
    assert!(tls_of(&inspect(&["--ssl-mode", "REQUIRED"], &url)));
    // A wrong password over TLS: the plain user-and-password hint only.
    let r = inspect(&[], &t.sandbox.url("needs_tls", Some("wrong")));
    r.assert_usage_error();
    assert!(
        r.stderr.contains("check the user and password"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("REQUIRE SSL"), "{}", r.stderr);
}

/// The same account on a server without TLS, with the default PREFERRED
/// (which goes plain text because the greeting offers no TLS): the 1045 hint
/// names the password and TLS, says the server offers none, and how to try
/// once it does; `--ssl-mode REQUIRED` then says the server has no TLS.
#[test]
fn an_account_that_requires_tls_on_a_server_without_tls_gets_both_causes() {
    let sb = crate::common::Sandbox::shared();
    sb.exec(&[
        "CREATE USER IF NOT EXISTS 'needs_tls_plain'@'%' IDENTIFIED BY 'tls-pw' REQUIRE SSL",
    ]);
    let url = sb.url("needs_tls_plain", Some("tls-pw"));
    let r = inspect(&[], &url);
    r.assert_usage_error();
    says(
        &r,
        &[
            "(over a plain-text connection)",
            "check the user and password",
            "REQUIRE SSL",
            "offers no TLS",
            "--ssl-mode REQUIRED",
        ],
    );
    let r = inspect(&["--ssl-mode", "REQUIRED"], &url);
    r.assert_usage_error();
    says(&r, &["does not offer TLS"]);
}

/// A bad `--ssl-ca` is the file's fault: each kind is named, with a hint,
/// before any connection (the server is never contacted: a closed port).
#[test]
fn a_bad_ssl_ca_is_blamed_on_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "this is not a certificate\n").unwrap();
    let key = dir.path().join("key.pem");
    std::fs::write(
        &key,
        "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let binary = dir.path().join("random.der");
    std::fs::write(&binary, [0x30u8, 0x03, 0x02, 0x01, 0x00, 0xff, 0x00]).unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let missing = dir.path().join("missing.pem");
    let url = format!("mysql://root@127.0.0.1:{}/", crate::common::closed_port());
    let cases: [(&Path, &str); 7] = [
        (
            &missing,
            "could not read the CA certificate file {}: not found",
        ),
        (
            dir.path(),
            "the CA certificate file {} is a directory, not a regular file",
        ),
        (
            &fifo,
            "the CA certificate file {} is a named pipe (FIFO), not a regular file",
        ),
        (&empty, "the CA certificate file {} is empty"),
        (&text, "the CA certificate file {} holds no certificate"),
        (&key, "the CA certificate file {} holds no certificate"),
        (
            &binary,
            "the CA certificate file {} is neither PEM nor a DER certificate",
        ),
    ];
    for (path, words) in cases {
        for mode in ["VERIFY_CA", "VERIFY_IDENTITY", "REQUIRED"] {
            let r = inspect(
                &["--ssl-mode", mode, "--ssl-ca", path.to_str().unwrap()],
                &url,
            );
            r.assert_usage_error();
            assert!(
                r.stderr.starts_with(&format!(
                    "error: {}",
                    words.replace("{}", &path.display().to_string())
                )),
                "{mode} {path:?}: {}",
                r.stderr
            );
            assert!(!r.stderr.contains("did not answer like"), "{}", r.stderr);
            assert!(!r.stderr.contains("connection refused"), "{}", r.stderr);
        }
    }
}

/// Against a server with TLS the default PREFERRED also costs one connection
/// (TLS on it) and leaves no aborted connect, counter or error-log line
/// (a private TLS sandbox, so other tests' connections do not count).
#[test]
fn preferred_against_a_tls_server_costs_one_connection() {
    use crate::footprint::{Footprint, Meter};
    let t = start_tls_sandbox(&["--log-warnings=4"]);
    let url = t.sandbox.root_url();
    let mut meter = Meter::new(&t.sandbox);
    let mut tls = false;
    let fp = meter.measure(|| tls = tls_of(&inspect(&[], &url)));
    assert!(tls);
    assert_eq!(
        fp,
        Footprint {
            connections: 1,
            ..Footprint::default()
        }
    );
}
