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
