//! `poolcheck explain` as users run it: a message, a log file, stdin, and a
//! live server to confirm causes.

use crate::common::{Sandbox, light, poolcheck, run};
use poolcheck::explain::ExplainReport;

fn explain_json(cmd: &mut assert_cmd::Command) -> (i32, ExplainReport) {
    let r = run(cmd.args(["--format", "json"]));
    assert_ne!(r.code, 2, "could not run: {}", r.stderr);
    (
        r.code,
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout)),
    )
}

#[test]
fn a_message_as_an_argument() {
    // PyMySQL through SQLAlchemy (seed 000's symptom).
    let msg = "sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2006, \"MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))\")";
    let (code, rep) = explain_json(poolcheck().args(["explain", msg]));
    assert_eq!(code, 1);
    assert_eq!(rep.matches.len(), 1);
    assert_eq!(rep.matches[0].id, "server-gone-away");
    assert_eq!(rep.matches[0].layer, "sqlalchemy");
    assert!(
        rep.matches[0]
            .fix
            .iter()
            .any(|f| f.contains("pool_pre_ping"))
    );
}

#[test]
fn a_log_file_is_grouped_with_counts_and_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&format!(
            "2026-11-20 0{}:{:02}:00,000 INFO request ok\n",
            1 + i / 60,
            i % 60
        ));
    }
    text.push_str(
        "2026-11-20 09:00:00,000 ERROR (2013, 'Lost connection to MySQL server during query')\n",
    );
    text.push_str("2026-11-20 09:00:01,000 INFO request ok\n");
    text.push_str(
        "2026-11-20 12:00:00,000 ERROR (2013, 'Lost connection to MySQL server during query')\n",
    );
    std::fs::write(&log, text).unwrap();
    let (code, rep) = explain_json(poolcheck().args(["explain", "--file"]).arg(&log));
    assert_eq!(code, 1);
    assert_eq!(rep.lines_read, 303);
    let g = &rep.matches[0];
    assert_eq!((g.count, g.first_line, g.last_line), (2, 301, 303));
    assert!(g.timing.is_some(), "{g:?}");
}

#[test]
fn stdin_is_read_when_piped() {
    let mut cmd = poolcheck();
    cmd.args(["explain"]).write_stdin("Error: Connection lost: The server closed the connection.\n    code: 'PROTOCOL_CONNECTION_LOST'\n");
    let (code, rep) = explain_json(&mut cmd);
    assert_eq!(code, 1);
    assert_eq!(rep.matches[0].layer, "node-mysql2");
}

#[test]
fn unrecognised_text_invents_nothing() {
    let mut cmd = poolcheck();
    cmd.args(["explain"])
        .write_stdin("GET /index.html 200 512\nall good here\n");
    let (code, rep) = explain_json(&mut cmd);
    assert_eq!(code, 0);
    assert!(rep.matches.is_empty() && rep.findings.is_empty());
    let r = run(poolcheck().args(["explain", "everything is fine"]));
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("Nothing recognised"), "{}", r.stdout);
}

#[test]
fn a_target_confirms_or_rules_out_causes() {
    let _connections = light();
    let sb = Sandbox::shared();
    let msg = "(2006, 'MySQL server has gone away')";
    let (_, rep) = explain_json(poolcheck().args(["explain", "--target", &sb.root_url(), msg]));
    let server = rep.server.expect("server check");
    assert_eq!(server.wait_timeout_session_s, 5);
    assert_eq!(server.verdicts.len(), 1);
    assert!(
        server.verdicts[0].reason.contains('5'),
        "{:?}",
        server.verdicts[0]
    );
}

#[test]
fn bad_explain_input() {
    run(poolcheck().args(["explain", "--file", "/nonexistent/app.log"])).assert_usage_error();
    let r = run(poolcheck().args(["explain", "--target", "postgres://x@y/", "(2006, 'gone')"]));
    r.assert_usage_error();
}
