//! TLS modes against a sandbox that has TLS: a throwaway CA and a server
//! certificate for 127.0.0.1 / localhost, made with the openssl CLI.

use crate::common::{Sandbox, poolcheck, run};
use poolcheck::inspect::InspectReport;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

struct TlsSandbox {
    sandbox: Sandbox,
    ca: PathBuf,
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

fn tls_sandbox() -> &'static TlsSandbox {
    static TLS: OnceLock<TlsSandbox> = OnceLock::new();
    TLS.get_or_init(|| {
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
        let sandbox = Sandbox::start(&[
            &format!("--ssl-ca={}", p("ca.pem")),
            &format!("--ssl-cert={}", p("server.pem")),
            &format!("--ssl-key={}", p("server.key")),
        ]);
        TlsSandbox {
            sandbox,
            ca: dir.join("ca.pem"),
            other_ca: dir.join("other-ca.pem"),
        }
    })
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
