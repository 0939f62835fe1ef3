//! Snapshots of every table renderer, from reports built by hand: inspect and
//! probe documents as a real run against a throwaway MariaDB wrote them
//! (`testdata/`), recommend and explain from their pure builders. What prints
//! is tested by what it prints; `cargo insta review` shows a change.

use super::{Format, RenderOpts, Report, render};
use crate::explain::ExplainReport;
use crate::inspect::InspectReport;
use crate::probe::ProbeReport;
use crate::recommend::{Framework, Inputs, RecommendReport, Topology};

const PLAIN: RenderOpts = RenderOpts {
    format: Format::Table,
    color: false,
    width: None,
    fail_on: Some(crate::finding::Severity::Warn),
};

fn table(report: &impl Report) -> String {
    let mut out = Vec::new();
    render(report, &PLAIN, &mut out).expect("rendering to memory does not fail");
    String::from_utf8(out).expect("tables are UTF-8")
}

pub(super) fn inspect_report() -> InspectReport {
    serde_json::from_str(include_str!("testdata/inspect.json")).expect("inspect fixture")
}

pub(super) fn probe_report() -> ProbeReport {
    serde_json::from_str(include_str!("testdata/probe.json")).expect("probe fixture")
}

pub(super) fn recommend_report(framework: Framework, topology: Topology) -> RecommendReport {
    let inspect = inspect_report();
    let inputs = Inputs {
        framework,
        framework_version: None,
        server: crate::recommend::input::server_side(&inspect.facts),
        measured: None,
        declared_limit_s: None,
        hosting: crate::recommend::hosting::find("aws-nlb"),
        topology,
        max_blob_bytes: Some(8 << 20),
        request_timeout_s: 30,
    };
    let sources = vec![
        "live server mysql://root@127.0.0.1:3306/".to_string(),
        "--hosting aws-nlb".to_string(),
    ];
    crate::recommend::build_report(&inputs, sources, None).expect("no --check given")
}

pub(super) const LOG: &str = "\
2026-11-30 08:00:01,120 INFO app started
2026-11-30 09:12:44,002 ERROR sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2013, 'Lost connection to MySQL server during query')
2026-11-30 09:12:45,310 ERROR sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2006, \"MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))\")
2026-11-30 11:40:02,551 ERROR sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2013, 'Lost connection to MySQL server during query')
2026-11-30 11:40:09,000 WARNING could not render the dashboard
";

#[test]
fn inspect_table() {
    insta::assert_snapshot!(table(&inspect_report()));
}

#[test]
fn probe_table() {
    insta::assert_snapshot!(table(&probe_report()));
}

#[test]
fn recommend_table_that_fits() {
    let topology = Topology {
        instances: Some(2),
        processes: Some(4),
        threads: Some(4),
        reserve: 10,
    };
    insta::assert_snapshot!(table(&recommend_report(Framework::Sqlalchemy, topology)));
}

#[test]
fn recommend_table_that_cannot_fit() {
    let topology = Topology {
        instances: Some(4),
        processes: Some(8),
        threads: Some(16),
        reserve: 10,
    };
    insta::assert_snapshot!(table(&recommend_report(Framework::Go, topology)));
}

#[test]
fn explain_table() {
    let report: ExplainReport = crate::explain::explain(LOG);
    insta::assert_snapshot!(table(&report));
}

#[test]
fn explain_table_for_unrecognised_text() {
    insta::assert_snapshot!(table(&crate::explain::explain(
        "the cache warmed up in 3 s"
    )));
}

#[test]
fn hosting_table() {
    insta::assert_snapshot!(table(&super::HostingList::all()));
}

/// Every document starts with the same header, whatever the subcommand.
#[test]
fn every_report_has_the_one_header() {
    let reports: Vec<(&str, serde_json::Value)> = vec![
        ("inspect", serde_json::to_value(inspect_report()).unwrap()),
        ("probe", serde_json::to_value(probe_report()).unwrap()),
        (
            "recommend",
            serde_json::to_value(recommend_report(
                Framework::Rails,
                Topology {
                    instances: Some(1),
                    processes: Some(1),
                    threads: Some(1),
                    reserve: 10,
                },
            ))
            .unwrap(),
        ),
        (
            "explain",
            serde_json::to_value(crate::explain::explain(LOG)).unwrap(),
        ),
    ];
    for (command, json) in reports {
        assert_eq!(
            json["schema_version"],
            crate::schema::SCHEMA_VERSION,
            "{command}"
        );
        assert_eq!(json["tool"]["name"], "poolcheck", "{command}");
        assert_eq!(json["command"], command);
        for key in ["crit", "warn", "info"] {
            assert!(json["summary"][key].is_u64(), "{command}: summary.{key}");
        }
    }
}

fn table_at(report: &impl Report, width: Option<u16>) -> String {
    let opts = RenderOpts { width, ..PLAIN };
    let mut out = Vec::new();
    render(report, &opts, &mut out).expect("rendering to memory does not fail");
    String::from_utf8(out).expect("tables are UTF-8")
}

/// Every rendered report, with the lines that are pasted verbatim (the
/// framework's configuration: code, not prose) set apart.
fn every_table(width: Option<u16>) -> Vec<(String, String, Vec<String>)> {
    let fits = Topology {
        instances: Some(2),
        processes: Some(4),
        threads: Some(4),
        reserve: 10,
    };
    let no_fit = Topology {
        instances: Some(4),
        processes: Some(8),
        threads: Some(16),
        reserve: 10,
    };
    let snippet = |r: &RecommendReport| r.config.snippet.lines().map(String::from).collect();
    let sqlalchemy = recommend_report(Framework::Sqlalchemy, fits);
    let go = recommend_report(Framework::Go, no_fit);
    vec![
        ("inspect".into(), table_at(&inspect_report(), width), vec![]),
        ("probe".into(), table_at(&probe_report(), width), vec![]),
        (
            "recommend".into(),
            table_at(&sqlalchemy, width),
            snippet(&sqlalchemy),
        ),
        ("recommend go".into(), table_at(&go, width), snippet(&go)),
        (
            "explain".into(),
            table_at(&crate::explain::explain(LOG), width),
            vec![],
        ),
        (
            "hosting".into(),
            table_at(&super::HostingList::all(), width),
            vec![],
        ),
    ]
}

/// Lines wider than `width` that are more than one unbreakable token.
fn too_wide(text: &str, verbatim: &[String], width: usize) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > width)
        .filter(|l| l.split_whitespace().count() > 1)
        .filter(|l| !verbatim.iter().any(|v| v == l))
        .map(String::from)
        .collect()
}

/// Off a terminal (CI logs, files) nothing is wider than 100 columns but a
/// single unbreakable token, and findings are one paragraph each, not a box.
#[test]
fn the_plain_layout_fits_100_columns() {
    for (name, text, verbatim) in every_table(None) {
        let wide = too_wide(&text, &verbatim, 100);
        assert!(wide.is_empty(), "{name}: {wide:#?}");
        let findings = text.split("\nFindings\n").nth(1).unwrap_or_default();
        assert!(
            !findings.contains('│'),
            "{name}: findings in a box:\n{findings}"
        );
    }
}

/// On a terminal, tables and text are laid out at its width, whatever the
/// color choice (`--color never` used to turn width detection off too).
#[test]
fn a_render_at_a_given_width_never_exceeds_it() {
    for width in [60u16, 80, 100, 132] {
        for (name, text, verbatim) in every_table(Some(width)) {
            let wide = too_wide(&text, &verbatim, usize::from(width));
            assert!(wide.is_empty(), "{name} at {width}: {wide:#?}");
        }
    }
    let colored = RenderOpts {
        width: Some(80),
        color: true,
        ..PLAIN
    };
    let mut out = Vec::new();
    render(&inspect_report(), &colored, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains('\u{1b}'), "colors when asked for");
}

#[test]
fn inspect_table_on_an_80_column_terminal() {
    insta::assert_snapshot!(table_at(&inspect_report(), Some(80)));
}
