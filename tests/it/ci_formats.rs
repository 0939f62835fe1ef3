//! `--format junit` (and the CI formats to come) end to end: real runs
//! against the sandbox MariaDB, the exit codes unchanged, the XML parsed.

use crate::common::{Sandbox, poolcheck, run};

/// (name, outcome) of every testcase, after checking the counts.
fn testcases(xml: &str, classname: &str) -> Vec<(String, &'static str)> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
    let suite = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("a testsuite");
    let mut cases = Vec::new();
    for case in suite.children().filter(|n| n.has_tag_name("testcase")) {
        assert_eq!(case.attribute("classname"), Some(classname));
        let outcome = if case.children().any(|n| n.has_tag_name("failure")) {
            "failure"
        } else if case.children().any(|n| n.has_tag_name("skipped")) {
            "skipped"
        } else {
            "pass"
        };
        cases.push((case.attribute("name").expect("name").to_string(), outcome));
    }
    let n = |a: &str| suite.attribute(a).and_then(|v| v.parse::<usize>().ok());
    assert_eq!(n("tests"), Some(cases.len()));
    let failures = cases.iter().filter(|c| c.1 == "failure").count();
    assert_eq!(n("failures"), Some(failures));
    let skipped = cases.iter().filter(|c| c.1 == "skipped").count();
    assert_eq!(n("skipped"), Some(skipped));
    cases
}

fn has(cases: &[(String, &str)], name: &str, outcome: &str) -> bool {
    cases.iter().any(|(n, o)| n == name && *o == outcome)
}

#[test]
fn inspect_junit_keeps_the_exit_code_and_lists_passing_and_skipped_checks() {
    let sb = Sandbox::shared();
    sb.exec(&[
        "CREATE USER IF NOT EXISTS 'noproc'@'%' IDENTIFIED BY 'noproc-pw'",
        "GRANT SELECT ON mysql.* TO 'noproc'@'%'",
    ]);
    let url = sb.url("noproc", Some("noproc-pw"));
    let r = run(poolcheck().args(["inspect", "--no-defaults", "--format", "junit", &url]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let cases = testcases(&r.stdout, "inspect");
    assert!(has(&cases, "wait-timeout-short", "failure"), "{cases:?}");
    assert!(
        has(&cases, "max-allowed-packet-small", "failure"),
        "{cases:?}"
    );
    assert!(has(&cases, "max-connections-refused", "pass"), "{cases:?}");
    assert!(
        has(&cases, "idle-connections-other-accounts", "skipped"),
        "{cases:?}"
    );

    let r = run(poolcheck().args([
        "inspect",
        "--no-defaults",
        "--format",
        "junit",
        "--fail-on",
        "never",
        &url,
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        testcases(&r.stdout, "inspect")
            .iter()
            .all(|c| c.1 != "failure")
    );
}

#[test]
fn recommend_check_junit_fails_the_unsafe_settings() {
    let sb = Sandbox::shared();
    let r = run(poolcheck().args([
        "recommend",
        "--no-defaults",
        "--format",
        "junit",
        "--check",
        "pool_recycle=-1,pool_pre_ping=false",
        &sb.root_url(),
    ]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let cases = testcases(&r.stdout, "recommend");
    assert!(
        has(&cases, "recycle-at-or-above-limit", "failure"),
        "{cases:?}"
    );
    assert!(has(&cases, "pre-ping-off", "failure"), "{cases:?}");
    assert!(has(&cases, "pool-budget-exceeded", "pass"), "{cases:?}");
}

#[test]
fn explain_junit_without_a_server() {
    let r = run(poolcheck().args([
        "explain",
        "--format",
        "junit",
        "(2006, 'MySQL server has gone away')",
    ]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        testcases(&r.stdout, "explain"),
        vec![("server-gone-away".to_string(), "failure")]
    );
    let r = run(poolcheck().args(["explain", "--format", "junit", "all is well"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        testcases(&r.stdout, "explain"),
        vec![("explain".to_string(), "pass")]
    );
}

#[test]
fn ci_formats_are_refused_where_there_are_no_findings() {
    let r = run(poolcheck().args(["proxy", "--upstream", "127.0.0.1:1", "--format", "junit"]));
    r.assert_usage_error();
    assert!(r.stderr.contains("proxy makes no findings"), "{}", r.stderr);
    let r = run(poolcheck().args(["recommend", "--list-hosting", "--format", "junit"]));
    r.assert_usage_error();
}
