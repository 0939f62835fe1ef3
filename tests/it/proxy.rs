//! `poolcheck proxy` as a user runs it: in front of the sandbox, killed flows
//! logged on stderr, SIGTERM stops it with a summary and exit 130.

use crate::common::{Reaped, Sandbox, poolcheck, run};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Starts the proxy on a free port and returns it with the port it printed.
/// The proxy is killed when the returned guard is dropped.
pub fn start_proxy(args: &[&str]) -> (Reaped, u16, BufReader<std::process::ChildStderr>) {
    let bin = assert_cmd::cargo::cargo_bin("poolcheck");
    let mut child = Command::new(bin)
        .args(["proxy", "--listen", "127.0.0.1:0"])
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
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let port = listening_port(&line);
    (child, port, stderr)
}

/// The port in the proxy's first stderr line ("listening on 127.0.0.1:PORT ...").
pub fn listening_port(line: &str) -> u16 {
    line.split("listening on 127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

pub fn terminate(child: Reaped) -> (i32, String) {
    child.terminate()
}

#[test]
fn resets_an_idle_mysql_connection_and_stops_on_sigterm() {
    let sb = Sandbox::shared();
    let (child, port, mut stderr) = start_proxy(&[
        "--upstream",
        &format!("127.0.0.1:{}", sb.port),
        "--idle-cutoff",
        "1s",
        "--on-idle",
        "rst",
    ]);
    let mut conn = mysql::Conn::new(
        mysql::OptsBuilder::new()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(port)
            .user(Some("root"))
            .prefer_socket(false)
            .read_timeout(Some(Duration::from_secs(5))),
    )
    .expect("connect through the proxy");
    conn.ping().expect("alive while active");
    std::thread::sleep(Duration::from_millis(1600));
    assert!(
        conn.ping().is_err(),
        "the proxy should have reset the idle flow"
    );
    let (code, stdout) = terminate(child);
    assert_eq!(code, 130);
    assert!(stdout.contains("1 ended at the idle cutoff"), "{stdout}");
    let mut log = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut log).unwrap();
    assert!(log.contains("killed (rst)"), "{log}");
}

#[test]
fn bad_proxy_arguments() {
    for args in [
        vec!["proxy", "--upstream", "127.0.0.1"],
        vec![
            "proxy",
            "--upstream",
            "127.0.0.1:3306",
            "--listen",
            "localhost",
        ],
        vec![
            "proxy",
            "--upstream",
            "127.0.0.1:3306",
            "--idle-cutoff",
            "soon",
        ],
        vec!["proxy", "--upstream", "127.0.0.1:3306", "--max-flows", "0"],
    ] {
        run(poolcheck().args(&args)).assert_usage_error();
    }
    let r = run(poolcheck().args([
        "proxy",
        "--upstream",
        "127.0.0.1:3306",
        "--on-idle",
        "explode",
    ]));
    assert_eq!(r.code, 2);
}
