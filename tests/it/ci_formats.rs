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
        // Pool sizes (and the budget check) come from a given --threads.
        "--threads",
        "2",
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

#[test]
fn github_annotations_and_the_job_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = dir.path().join("step_summary.md");
    let r = run(poolcheck().env("GITHUB_STEP_SUMMARY", &summary).args([
        "explain",
        "--format",
        "github",
        "(2006, 'MySQL server has gone away')",
    ]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(
        lines[0]
            .starts_with("::warning title=poolcheck explain%3A server-gone-away::The client sent"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].ends_with("(evidence: error_code=2006, occurrences=1)"),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "poolcheck explain: 0 crit, 1 warn, 0 info; 1 checks ran, 0 skipped"
    );
    let md = std::fs::read_to_string(&summary).expect("the summary was written");
    assert!(md.starts_with("### poolcheck explain: failed\n"), "{md}");
    assert!(
        md.contains("| warn | `server-gone-away` | The client sent"),
        "{md}"
    );

    // Without the variable nothing is written; with --format json neither.
    let r = run(poolcheck().env("GITHUB_STEP_SUMMARY", &summary).args([
        "explain",
        "--format",
        "json",
        "all is well",
    ]));
    assert_eq!(r.code, 0);
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), md);
}

/// A summary that cannot be written is a note; the annotations and the exit
/// code stand, and a FIFO nobody reads does not hang the run.
#[test]
fn an_unwritable_job_summary_is_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo ran");
    assert!(made.success());
    for path in [
        dir.path().join("no/such/dir/summary.md"),
        fifo,
        dir.path().to_path_buf(),
    ] {
        let r = run(poolcheck().env("GITHUB_STEP_SUMMARY", &path).args([
            "explain",
            "--format",
            "github",
            "(2006, 'MySQL server has gone away')",
        ]));
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stdout.starts_with("::warning title="), "{}", r.stdout);
        assert!(
            r.stderr
                .starts_with("note: the job summary was not written to $GITHUB_STEP_SUMMARY"),
            "{}",
            r.stderr
        );
    }
}
