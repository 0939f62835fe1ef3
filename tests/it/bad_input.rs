//! Every bad input gets exit 2, an `error:` and a `hint:` line, nothing on
//! stdout, no password, and an answer within connect-timeout + 2 s.

use crate::common::{Run, Sandbox, UNRESOLVABLE_HOST, closed_port, poolcheck, run};
use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

fn inspect(args: &[&str]) -> Run {
    run(poolcheck().arg("inspect").arg("--no-defaults").args(args))
}

#[test]
fn malformed_url() {
    let r = inspect(&["mysql://u:pw@db:notaport/x"]);
    r.assert_usage_error();
    assert!(
        r.stderr.contains("malformed connection URL"),
        "{}",
        r.stderr
    );
    let r = inspect(&["db.example.com:3306"]);
    r.assert_usage_error();
}

#[test]
fn unknown_scheme() {
    let r = inspect(&["postgres://app:pgsecret@db/x"]);
    r.assert_usage_error();
    assert!(r.stderr.contains("unsupported URL scheme 'postgres'"));
    assert!(!r.stderr.contains("pgsecret"));
}

#[test]
fn port_out_of_range() {
    inspect(&["--port", "70000"]).assert_usage_error();
    let r = inspect(&["mysql://u:pw@127.0.0.1:65536/"]);
    r.assert_usage_error();
    assert!(r.stderr.contains("port"));
}

#[test]
fn unknown_host() {
    let url = format!("mysql://root@{UNRESOLVABLE_HOST}/");
    let r = inspect(&["--connect-timeout", "3s", &url]);
    r.assert_usage_error();
    assert!(r.stderr.contains("could not resolve"), "{}", r.stderr);
}

#[test]
fn connection_refused() {
    let port = closed_port();
    let r = inspect(&[&format!("mysql://root@127.0.0.1:{port}/")]);
    r.assert_usage_error();
    assert!(r.stderr.contains("connection refused"), "{}", r.stderr);
}

/// A listener that accepts and then never says a word (a hung proxy, a
/// firewall that completes the TCP handshake, an HTTP server waiting for a request).
#[test]
fn server_that_never_speaks() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Holds the connection open, silent, until the test is done (30 s at most),
    // so only poolcheck's own connect timeout can end the wait.
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        let _ = wait.recv_timeout(Duration::from_secs(30));
        drop(conn);
    });
    let r = inspect(&[
        "--connect-timeout",
        "1s",
        &format!("mysql://root@127.0.0.1:{port}/"),
    ]);
    let _ = done.send(());
    r.assert_usage_error();
    assert!(
        r.stderr
            .contains("accepted the TCP connection but sent no complete MySQL greeting")
            && r.stderr
                .contains("connect timeout ran out in the handshake"),
        "{}",
        r.stderr
    );
    // Ended by the 1 s timeout, not by the peer: far below the holder's 30 s
    // (generous for a loaded machine; this is no timing goal).
    assert!(r.elapsed < Duration::from_secs(20), "took {:?}", r.elapsed);
    holder.join().unwrap();
}

/// Something that answers, but not in MySQL's protocol.
#[test]
fn non_mysql_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let _ = conn.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request",
        );
    });
    let r = inspect(&[
        "--connect-timeout",
        "2s",
        &format!("mysql://root@127.0.0.1:{port}/"),
    ]);
    r.assert_usage_error();
    assert!(
        r.stderr.contains("did not answer like a MySQL"),
        "{}",
        r.stderr
    );
    assert!(r.elapsed < Duration::from_secs(4), "took {:?}", r.elapsed);
    server.join().unwrap();
}

#[test]
fn wrong_password() {
    let sb = Sandbox::shared();
    sb.exec(&["CREATE USER IF NOT EXISTS 'pwuser'@'%' IDENTIFIED BY 'right-password-1'"]);
    let r = inspect(&[&sb.url("pwuser", Some("Wr0ng-Secret-77"))]);
    r.assert_usage_error();
    assert!(
        r.stderr.contains("access denied for user 'pwuser'"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("Wr0ng-Secret-77"));
}

#[test]
fn too_many_connections() {
    // Its own server: filling the shared one would break the other tests.
    let sb = Sandbox::start(&["--max-connections=10"]);
    // Fill it, SUPER's extra slot included, until the server itself refuses:
    // a connect that failed for another reason (a slow machine) is retried,
    // or the slot it missed would let poolcheck in.
    let mut held = Vec::new();
    let mut refused = false;
    for _ in 0..50 {
        match mysql::Conn::new(
            mysql::OptsBuilder::new()
                .ip_or_hostname(Some("127.0.0.1"))
                .tcp_port(sb.port)
                .user(Some("root"))
                .prefer_socket(false)
                .tcp_connect_timeout(Some(Duration::from_secs(20))),
        ) {
            Ok(c) => held.push(c),
            Err(e) if e.to_string().contains("Too many connections") => {
                refused = true;
                break;
            }
            Err(_) => continue,
        }
    }
    assert!(
        refused && held.len() >= 10,
        "opened {}, refused: {refused}",
        held.len()
    );
    let r = inspect(&[&sb.root_url()]);
    r.assert_usage_error();
    assert!(r.stderr.contains("too many connections"), "{}", r.stderr);
}

#[test]
fn tls_required_against_a_server_without_tls() {
    let sb = Sandbox::shared();
    let r = inspect(&["--ssl-mode", "REQUIRED", &sb.root_url()]);
    r.assert_usage_error();
    assert!(r.stderr.contains("does not offer TLS"), "{}", r.stderr);
}

#[test]
fn unreadable_password_file() {
    let r = inspect(&[
        "--password-file",
        "/nonexistent/poolcheck-pw",
        "mysql://root@127.0.0.1:1/",
    ]);
    r.assert_usage_error();
    assert!(r.stderr.contains("could not read the password file"));
}

#[test]
fn bad_duration() {
    let r = inspect(&["--connect-timeout", "soon", "mysql://root@127.0.0.1:1/"]);
    r.assert_usage_error();
    assert!(
        r.stderr
            .contains("invalid duration 'soon' for --connect-timeout")
    );
}

#[test]
fn password_prompt_without_a_terminal() {
    let r = inspect(&["--password", "mysql://root@127.0.0.1:1/"]);
    r.assert_usage_error();
    assert!(r.stderr.contains("needs a terminal"), "{}", r.stderr);
}

#[test]
fn password_env_not_set() {
    let r = inspect(&[
        "--password-env",
        "NOT_SET_ANYWHERE",
        "mysql://root@127.0.0.1:1/",
    ]);
    r.assert_usage_error();
}

#[test]
fn broken_option_file() {
    let dir = tempfile::tempdir().unwrap();
    let cnf = dir.path().join("my.cnf");
    std::fs::write(&cnf, "user = orphan-before-any-group\n").unwrap();
    let r = run(poolcheck()
        .args(["inspect", "--defaults-file"])
        .arg(&cnf)
        .arg("mysql://root@127.0.0.1:1/"));
    r.assert_usage_error();
    assert!(r.stderr.contains("option file"), "{}", r.stderr);
}

/// The same secret through every input channel, on failure paths: it must
/// appear in no byte of output.
#[test]
fn password_never_printed() {
    const SECRET: &str = "Zq9-leak-canary-4711";
    let sb = Sandbox::shared();
    let refused = format!("127.0.0.1:{}", closed_port());
    let dir = tempfile::tempdir().unwrap();
    let pwfile = dir.path().join("pw");
    std::fs::write(&pwfile, SECRET).unwrap();
    let cnf = dir.path().join("my.cnf");
    std::fs::write(&cnf, format!("[client]\npassword = \"{SECRET}\"\n")).unwrap();

    let urls = [
        format!("mysql://root:{SECRET}@{refused}/"),
        sb.url("nobody", Some(SECRET)),
        format!("mysql://root:{SECRET}@127.0.0.1:99999/"),
    ];
    for url in &urls {
        for format in ["table", "json"] {
            let r = run(poolcheck().args(["inspect", "--no-defaults", "--format", format, url]));
            assert_eq!(r.code, 2);
            assert!(
                !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
                "{url}: {}",
                r.stderr
            );
        }
    }
    let target = sb.url("nobody", None);
    let runs = [
        run(poolcheck()
            .args([
                "inspect",
                "--no-defaults",
                "--password-env",
                "PC_PW",
                &target,
            ])
            .env("PC_PW", SECRET)),
        run(poolcheck()
            .args(["inspect", "--no-defaults", "--password-file"])
            .arg(&pwfile)
            .arg(&target)),
        run(poolcheck()
            .args(["inspect", "--defaults-file"])
            .arg(&cnf)
            .arg(&target)),
        run(poolcheck()
            .args(["inspect", "--no-defaults", &target])
            .env("MYSQL_PWD", SECRET)),
        run(poolcheck().args([
            "inspect",
            "--no-defaults",
            &format!("--password={SECRET}"),
            &target,
        ])),
    ];
    for r in runs {
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
            "{}",
            r.stderr
        );
    }
}

/// Issue 11, item 2: bidi overrides and isolates and other invisible format
/// characters in user names, from the server (a sleeping connection's
/// account in the table) and from the command line (the access-denied
/// error), reach the terminal as `<U+202E>`, never as the raw character that
/// would reorder what is shown.
#[test]
fn bidi_and_format_characters_in_names_are_shown_escaped() {
    use mysql::prelude::Queryable;
    let _connections = crate::common::light();
    let sb = Sandbox::shared();
    let raw = ['\u{202E}', '\u{2066}', '\u{200F}', '\u{061C}', '\u{202A}'];
    for c in raw {
        let user = format!("pc_bidi{c}x");
        let shown = format!("pc_bidi<U+{:04X}>x", u32::from(c));
        sb.exec(&[&format!(
            "CREATE OR REPLACE USER '{user}'@'%' IDENTIFIED BY 'bidi-pw-1'"
        )]);
        let mut idle = mysql::Conn::new(
            mysql::OptsBuilder::new()
                .ip_or_hostname(Some("127.0.0.1"))
                .tcp_port(sb.port)
                .user(Some(user.clone()))
                .pass(Some("bidi-pw-1"))
                .prefer_socket(false),
        )
        .unwrap();
        idle.query_drop("SET SESSION wait_timeout = 600").unwrap();
        let r = run(poolcheck().args([
            "inspect",
            "--no-defaults",
            "--fail-on",
            "never",
            &sb.root_url(),
        ]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains(&shown), "{shown} not in: {}", r.stdout);
        assert!(!r.stdout.contains(c) && !r.stderr.contains(c), "{c:?} raw");

        let r = inspect(&["--user", &user, &sb.url("", Some("wrong-pw-2"))]);
        r.assert_usage_error();
        assert!(r.stderr.contains(&shown), "{}", r.stderr);
        assert!(!r.stderr.contains(c), "{c:?} raw: {}", r.stderr);
        drop(idle);
        sb.exec(&[&format!("DROP USER '{user}'@'%'")]);
    }
}
