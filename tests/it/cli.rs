//! CLI behaviour that needs no server: help, usage errors, exit codes.

use crate::common::{poolcheck, run};

#[test]
fn help_lists_exit_codes() {
    let r = run(poolcheck().arg("--help"));
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("help", r.stdout);
}

#[test]
fn inspect_help() {
    let r = run(poolcheck().args(["inspect", "--help"]));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Exit codes:"));
    insta::assert_snapshot!("inspect_help", r.stdout);
}

/// Every subcommand's `--help`, snapshotted: doc comments on clap fields are
/// user documentation, and a change to them shows in review.
#[test]
fn every_subcommand_help() {
    for sub in [
        "probe",
        "recommend",
        "explain",
        "proxy",
        "completions",
        "man",
    ] {
        let r = run(poolcheck().args([sub, "--help"]));
        assert_eq!(r.code, 0, "{sub}: {}", r.stderr);
        let finds = !["proxy", "completions", "man"].contains(&sub);
        assert!(r.stdout.contains("Exit codes:") || !finds, "{sub}");
        insta::assert_snapshot!(format!("{sub}_help"), r.stdout);
    }
}

#[test]
fn short_h_is_help_not_host() {
    let r = run(poolcheck().args(["inspect", "-h"]));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Usage: poolcheck inspect"));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let r = run(poolcheck().args(["inspect", "--bogus"]));
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with("error: unexpected argument '--bogus'"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("\nhint: "), "{}", r.stderr);
}

#[test]
fn missing_subcommand_is_a_usage_error() {
    let r = run(&mut poolcheck());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("hint: "));
}

#[test]
fn bad_enum_value_is_a_usage_error() {
    let r = run(poolcheck().args(["inspect", "--format", "xml"]));
    assert_eq!(r.code, 2);
    let r = run(poolcheck().args(["inspect", "--fail-on", "sometimes"]));
    assert_eq!(r.code, 2);
}

#[test]
fn version() {
    let r = run(poolcheck().arg("--version"));
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("poolcheck "));
}

/// `--color always` colors the error line even when stderr is a pipe, and
/// `--color never` never emits ANSI codes (the error path used to decide
/// colors before the subcommand's flags were read).
#[test]
fn the_error_line_follows_the_color_flag() {
    let always = run(poolcheck().args([
        "inspect",
        "--color",
        "always",
        "--no-defaults",
        "mysql://u@127.0.0.1:1/",
    ]));
    assert_eq!(always.code, 2, "{}", always.stderr);
    assert!(
        always.stderr.starts_with("\x1b[1;31merror:\x1b[0m "),
        "{:?}",
        always.stderr
    );
    for args in [
        vec![
            "inspect",
            "--color",
            "never",
            "--no-defaults",
            "mysql://u@127.0.0.1:1/",
        ],
        vec![
            "recommend",
            "--color",
            "never",
            "--hosting",
            "no-such-preset",
        ],
        vec![
            "explain",
            "--color",
            "never",
            "--file",
            "/nonexistent/app.log",
        ],
    ] {
        let r = run(poolcheck().env_remove("NO_COLOR").args(&args));
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{args:?}: {:?}", r.stderr);
        assert!(!r.stderr.contains('\x1b'), "{args:?}: {:?}", r.stderr);
    }
}

/// An explicit `--connect-timeout` beats an option file's `connect_timeout`,
/// whatever its value (10s, the default's value, used to lose to the file).
#[test]
fn an_explicit_connect_timeout_beats_the_option_file() {
    // Accepts TCP (the kernel completes the handshake) but never greets.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let cnf = dir.path().join("my.cnf");
    std::fs::write(&cnf, "[client]\nconnect_timeout=1\n").unwrap();
    let r = run(poolcheck().args([
        "inspect",
        "--defaults-file",
        cnf.to_str().unwrap(),
        "--connect-timeout",
        "3s",
        &format!("mysql://u@127.0.0.1:{port}/"),
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    // A deadline cannot fire early: the option file's 1 s did not apply.
    assert!(
        r.elapsed >= std::time::Duration::from_millis(2900),
        "{:?}: {}",
        r.elapsed,
        r.stderr
    );
    drop(silent);
}
