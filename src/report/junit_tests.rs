//! `--format junit`, tested by parsing what it writes (roxmltree) and
//! checking it against the element and attribute rules of the common JUnit
//! schema (Jenkins' junit-10.xsd, which GitLab and the test-report actions
//! read), and the counts against the testcases.

use super::render_tests::{LOG, inspect_report, probe_report, recommend_report};
use super::{Format, RenderOpts, Report, render};
use crate::finding::{Finding, Severity, Skipped};
use crate::recommend::{Framework, Topology};

fn opts(fail_on: Option<Severity>) -> RenderOpts {
    RenderOpts {
        format: Format::Junit,
        color: false,
        width: None,
        fail_on,
    }
}

fn junit(report: &impl Report, fail_on: Option<Severity>) -> String {
    let mut out = Vec::new();
    render(report, &opts(fail_on), &mut out).expect("rendering to memory does not fail");
    String::from_utf8(out).expect("UTF-8")
}

/// One testcase as the schema check read it.
#[derive(Debug, PartialEq)]
struct Case {
    classname: String,
    name: String,
    /// `pass`, `failure` or `skipped`.
    outcome: &'static str,
    message: Option<String>,
    body: String,
}

fn attrs_within(node: roxmltree::Node, allowed: &[&str]) {
    for a in node.attributes() {
        assert!(
            allowed.contains(&a.name()),
            "<{}> has attribute {} outside the schema",
            node.tag_name().name(),
            a.name()
        );
    }
}

fn count(node: roxmltree::Node, name: &str) -> usize {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> lacks {name}", node.tag_name().name()))
        .parse()
        .expect("a count")
}

fn elements<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children().filter(|n| n.is_element())
}

/// Parses the document and checks it against the schema's rules; returns the testcases.
fn validate(xml: &str) -> Vec<Case> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    attrs_within(
        root,
        &["name", "time", "tests", "failures", "disabled", "errors"],
    );
    let suites: Vec<_> = elements(root).collect();
    assert_eq!(suites.len(), 1, "one testsuite per run");
    let suite = suites[0];
    assert_eq!(suite.tag_name().name(), "testsuite");
    attrs_within(
        suite,
        &[
            "name",
            "tests",
            "failures",
            "errors",
            "time",
            "disabled",
            "skipped",
            "timestamp",
            "hostname",
            "id",
            "package",
            "file",
            "log",
            "url",
            "version",
        ],
    );
    assert!(suite.attribute("name").is_some_and(|n| !n.is_empty()));
    let mut cases = Vec::new();
    let mut seen_case = false;
    for (i, child) in elements(suite).enumerate() {
        match child.tag_name().name() {
            "properties" => {
                assert!(i == 0, "properties come first");
                for p in elements(child) {
                    assert_eq!(p.tag_name().name(), "property");
                    attrs_within(p, &["name", "value"]);
                    assert!(p.attribute("name").is_some() && p.attribute("value").is_some());
                }
            }
            "testcase" => {
                seen_case = true;
                attrs_within(
                    child,
                    &["name", "assertions", "time", "classname", "status"],
                );
                let mut kids: Vec<_> = elements(child).collect();
                let order = ["skipped", "error", "failure", "system-out", "system-err"];
                let rank = |n: &roxmltree::Node| {
                    order
                        .iter()
                        .position(|o| *o == n.tag_name().name())
                        .unwrap_or_else(|| panic!("<{}> in a testcase", n.tag_name().name()))
                };
                assert!(kids.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])), "order");
                assert!(kids.iter().filter(|k| rank(k) == 0).count() <= 1);
                // Each finding is its own testcase, so at most one failure here.
                assert!(kids.iter().filter(|k| rank(k) == 2).count() <= 1);
                let (outcome, message, body) = match kids.first() {
                    Some(k) if rank(k) == 0 => {
                        attrs_within(*k, &["message"]);
                        (
                            "skipped",
                            k.attribute("message").map(String::from),
                            String::new(),
                        )
                    }
                    Some(k) if rank(k) == 2 => {
                        attrs_within(*k, &["message", "type"]);
                        let body = k.text().unwrap_or_default().to_string();
                        ("failure", k.attribute("message").map(String::from), body)
                    }
                    _ => {
                        let out = kids
                            .drain(..)
                            .map(|k| k.text().unwrap_or_default().to_string());
                        ("pass", None, out.collect::<Vec<_>>().join("\n"))
                    }
                };
                cases.push(Case {
                    classname: child.attribute("classname").expect("classname").into(),
                    name: child.attribute("name").expect("name").into(),
                    outcome,
                    message,
                    body,
                });
            }
            "system-out" | "system-err" => assert!(seen_case),
            other => panic!("<{other}> in a testsuite"),
        }
    }
    let failures = cases.iter().filter(|c| c.outcome == "failure").count();
    let skipped = cases.iter().filter(|c| c.outcome == "skipped").count();
    assert_eq!(count(suite, "tests"), cases.len(), "testsuite tests");
    assert_eq!(count(suite, "failures"), failures, "testsuite failures");
    assert_eq!(count(suite, "skipped"), skipped, "testsuite skipped");
    assert_eq!(count(suite, "errors"), 0);
    assert_eq!(count(root, "tests"), cases.len(), "testsuites tests");
    assert_eq!(count(root, "failures"), failures, "testsuites failures");
    cases
}

fn outcomes(cases: &[Case]) -> Vec<(&str, &str)> {
    cases.iter().map(|c| (c.name.as_str(), c.outcome)).collect()
}

#[test]
fn inspect_has_a_testcase_per_check_and_a_failure_per_finding_at_fail_on() {
    let report = inspect_report();
    let cases = validate(&junit(&report, Some(Severity::Warn)));
    assert!(cases.iter().all(|c| c.classname == "inspect"));
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, report.checks());
    let got = outcomes(&cases);
    assert!(got.contains(&("wait-timeout-short", "failure")));
    assert!(got.contains(&("max-allowed-packet-small", "failure")));
    // Below --fail-on: a passing testcase that still says what it found.
    assert!(got.contains(&("wait-timeout-differs-interactive", "pass")));
    assert!(got.contains(&("max-connections-refused", "pass")));
    assert_eq!(got.iter().filter(|(_, o)| *o == "failure").count(), 2);
    let short = cases
        .iter()
        .find(|c| c.name == "wait-timeout-short")
        .unwrap();
    let finding = &report.findings[0];
    assert_eq!(short.message.as_deref(), Some(finding.message.as_str()));
    assert!(
        short
            .body
            .contains("evidence:\n  threshold_s = 60\n  wait_timeout_session_s = 5"),
        "{}",
        short.body
    );
    let info = cases
        .iter()
        .find(|c| c.name == "wait-timeout-differs-interactive")
        .unwrap();
    assert!(
        info.body
            .starts_with("[info] wait-timeout-differs-interactive: "),
        "{}",
        info.body
    );
}

#[test]
fn fail_on_decides_the_failures_as_it_decides_the_exit_code() {
    let report = inspect_report();
    let failures = |fail_on| {
        let cases = validate(&junit(&report, fail_on));
        cases.iter().filter(|c| c.outcome == "failure").count()
    };
    assert_eq!(failures(None), 0);
    assert_eq!(failures(Some(Severity::Crit)), 1);
    assert_eq!(failures(Some(Severity::Info)), 3);
}

#[test]
fn a_check_skipped_for_lack_of_process_is_a_skipped_testcase() {
    let mut report = inspect_report();
    report.facts.account.has_process_privilege = false;
    report.skipped = vec![Skipped {
        check: "idle-connections-other-accounts".into(),
        reason: "needs PROCESS: only this account's own idle connections were examined".into(),
    }];
    let cases = validate(&junit(&report, Some(Severity::Warn)));
    let last = cases.last().unwrap();
    assert_eq!(
        (last.name.as_str(), last.outcome),
        ("idle-connections-other-accounts", "skipped")
    );
    assert!(
        last.message
            .as_deref()
            .unwrap()
            .starts_with("needs PROCESS")
    );
}

#[test]
fn probe_lists_its_checks() {
    let report = probe_report();
    let cases = validate(&junit(&report, Some(Severity::Warn)));
    assert!(cases.iter().all(|c| c.classname == "probe"));
    assert_eq!(cases.len(), crate::probe::checks_evaluated(&report).len());
    assert!(outcomes(&cases).contains(&("idle-cutoff-short", "failure")));
    assert!(outcomes(&cases).contains(&("silent-drop", "pass")));
    assert!(outcomes(&cases).contains(&("reconnect-failures", "pass")));
}

#[test]
fn recommend_lists_the_checks_it_evaluated() {
    let topology = Topology {
        instances: Some(4),
        processes: Some(8),
        threads: Some(16),
        reserve: 10,
    };
    let report = recommend_report(Framework::Go, topology);
    let cases = validate(&junit(&report, Some(Severity::Warn)));
    assert!(cases.iter().all(|c| c.classname == "recommend"));
    assert!(outcomes(&cases).contains(&("pool-budget-exceeded", "failure")));
    assert!(outcomes(&cases).contains(&("max-allowed-packet-below-blob", "failure")));
}

/// With every fact and --check given, every rule in rules.rs runs: the
/// recorded checks are every finding id that file can make.
#[test]
fn recommend_with_every_fact_runs_every_rule() {
    let inspect = inspect_report();
    let inputs = crate::recommend::Inputs {
        framework: Framework::Sqlalchemy,
        framework_version: None,
        server: crate::recommend::input::server_side(&inspect.facts),
        measured: None,
        declared_limit_s: None,
        hosting: crate::recommend::hosting::find("aws-nlb"),
        topology: Topology {
            instances: Some(1),
            processes: Some(1),
            threads: Some(1),
            reserve: 10,
        },
        max_blob_bytes: Some(1 << 20),
        request_timeout_s: 30,
    };
    let check = Some(vec![("pool_recycle".to_string(), "3600".to_string())]);
    let report = crate::recommend::build_report(&inputs, vec![], check).expect("a valid --check");
    let source = include_str!("../recommend/rules.rs");
    let source = source.split("#[cfg(test)]").next().unwrap_or_default();
    let literal = regex::Regex::new(r#"Finding::new\(\s*"([a-z0-9-]+)""#).expect("regex");
    let mut made: Vec<String> = literal
        .captures_iter(source)
        .map(|c| c[1].to_string())
        .collect();
    let mut ran = report.checks();
    made.sort();
    ran.sort();
    assert_eq!(ran, made);
    validate(&junit(&report, Some(Severity::Warn)));
}

#[test]
fn explain_has_a_testcase_per_recognised_problem() {
    let report = crate::explain::explain(LOG);
    let cases = validate(&junit(&report, Some(Severity::Warn)));
    assert!(cases.iter().all(|c| c.classname == "explain"));
    assert_eq!(cases.len(), report.findings.len());
    for (case, finding) in cases.iter().zip(&report.findings) {
        assert_eq!(case.name, finding.id);
    }
}

#[test]
fn explain_that_recognised_nothing_is_one_passing_testcase() {
    let report = crate::explain::explain("the cache warmed up in 3 s");
    let cases = validate(&junit(&report, Some(Severity::Info)));
    assert_eq!(outcomes(&cases), vec![("explain", "pass")]);
}

/// Markup and quotes are escaped, characters XML 1.0 forbids are dropped,
/// line breaks survive in attributes and text.
#[test]
fn text_from_the_server_is_escaped_and_cleaned() {
    let mut report = inspect_report();
    let nasty = "a <b> & \"c\" 'd'\u{1}\u{1b}[31m\u{fffe}\r\nline two\ttab";
    report.findings = vec![
        Finding::new("idle-near-wait-timeout", Severity::Warn, nasty)
            .with("user", "x</failure><injected/>"),
    ];
    let xml = junit(&report, Some(Severity::Warn));
    let cases = validate(&xml);
    let case = cases.iter().find(|c| c.outcome == "failure").unwrap();
    let clean = "a <b> & \"c\" 'd'[31m\r\nline two\ttab";
    assert_eq!(case.message.as_deref(), Some(clean));
    assert!(case.body.contains(clean), "{}", case.body);
    assert!(
        case.body.contains("user = \"x</failure><injected/>\""),
        "{}",
        case.body
    );
    assert!(!xml.contains('\u{1b}') && !xml.contains('\u{1}'));
}

#[test]
fn inspect_junit_snapshot() {
    insta::assert_snapshot!(junit(&inspect_report(), Some(Severity::Warn)));
}
