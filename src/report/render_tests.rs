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
    wrap: false,
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
        instances: 2,
        processes: 4,
        threads: 4,
        reserve: 10,
    };
    insta::assert_snapshot!(table(&recommend_report(Framework::Sqlalchemy, topology)));
}

#[test]
fn recommend_table_that_cannot_fit() {
    let topology = Topology {
        instances: 4,
        processes: 8,
        threads: 16,
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
                    instances: 1,
                    processes: 1,
                    threads: 1,
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
