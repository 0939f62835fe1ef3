//! `poolcheck recommend` as CI jobs run it: offline from presets and saved
//! reports, live against the sandbox, and the --check guard's exit codes.

use crate::common::{Sandbox, light, poolcheck, run};
use poolcheck::recommend::{PoolPlan, RecommendReport};

fn recommend_json(args: &[&str]) -> (i32, RecommendReport) {
    let r = run(poolcheck()
        .args(["recommend", "--format", "json"])
        .args(args));
    assert_ne!(r.code, 2, "could not run: {}", r.stderr);
    (
        r.code,
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout)),
    )
}

#[test]
fn check_fails_a_recycle_above_a_300_s_limit_and_passes_a_safe_one() {
    let r = run(poolcheck().args([
        "recommend",
        "--hosting",
        "pythonanywhere",
        "--check",
        "pool_recycle=3600",
    ]));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("recycle-at-or-above-limit"));
    let r = run(poolcheck().args([
        "recommend",
        "--hosting",
        "pythonanywhere",
        "--check",
        "pool_recycle=270,pool_pre_ping=true",
    ]));
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("safe for this path"));
}

#[test]
fn the_recommendation_names_its_limit_and_settings() {
    let (code, rep) = recommend_json(&["--hosting", "pythonanywhere"]);
    assert_eq!(code, 0);
    assert_eq!(rep.recommendation.recycle_s, 270);
    let keys: Vec<&str> = rep.config.settings.iter().map(|s| s.key.as_str()).collect();
    assert!(
        keys.contains(&"pool_recycle") && keys.contains(&"pool_pre_ping"),
        "{keys:?}"
    );
    assert!(rep.config.snippet.contains("pool_recycle=270"));
}

#[test]
fn a_budget_that_cannot_hold_the_topology_is_reported() {
    let _connections = light();
    let sb = Sandbox::shared();
    let (code, rep) = recommend_json(&[
        "--no-defaults",
        "--instances",
        "3",
        "--processes",
        "4",
        "--threads",
        "8",
        &sb.root_url(),
    ]);
    assert_eq!(code, 1);
    assert!(
        matches!(
            rep.recommendation.pool,
            PoolPlan::DoesNotFit { needed: 96, .. }
        ),
        "{:?}",
        rep.recommendation.pool
    );
    assert!(rep.findings.iter().any(|f| f.id == "pool-budget-exceeded"));
    assert!(
        !rep.config.snippet.contains("pool_size="),
        "{}",
        rep.config.snippet
    );
    // Live facts: the sandbox's 5 s wait_timeout is the limit.
    assert_eq!(rep.recommendation.limit.unwrap().seconds, 5.0);
}

#[test]
fn reads_saved_inspect_reports_from_stdin() {
    let _connections = light();
    let sb = Sandbox::shared();
    let inspect = run(poolcheck().args([
        "inspect",
        "--no-defaults",
        "--format",
        "json",
        &sb.root_url(),
    ]));
    let mut cmd = poolcheck();
    cmd.args([
        "recommend",
        "--from",
        "-",
        "--format",
        "json",
        "--framework",
        "go",
        "--fail-on",
        "never",
    ])
    .write_stdin(inspect.stdout);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep: RecommendReport = serde_json::from_str(&r.stdout).unwrap();
    assert!(rep.sources[0].starts_with("inspect report stdin"));
    assert!(rep.config.snippet.contains("SetConnMaxLifetime"));
}

#[test]
fn every_framework_renders() {
    for fw in poolcheck::recommend::Framework::ALL.map(|f| f.name()) {
        let r = run(poolcheck().args(["recommend", "--hosting", "aws-nlb", "--framework", fw]));
        assert_eq!(r.code, 0, "{fw}: {}", r.stderr);
        assert!(r.stdout.contains(&format!("# {fw} configuration")), "{fw}");
    }
}

#[test]
fn list_hosting() {
    let r = run(poolcheck().args(["recommend", "--list-hosting"]));
    assert_eq!(r.code, 0);
    for name in [
        "pythonanywhere",
        "aws-nlb",
        "aws-nat-gateway",
        "azure-lb",
        "gcp-cloud-nat",
        "cleardb",
    ] {
        assert!(r.stdout.contains(name), "{name}");
    }
}

#[test]
fn bad_recommend_input() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"schema_version\": 1, \"command\": \"proxy\"}").unwrap();
    for args in [
        vec!["recommend", "--hosting", "heroku"],
        vec!["recommend", "--idle-limit", "soon"],
        vec![
            "recommend",
            "--hosting",
            "aws-nlb",
            "--check",
            "pool_recycle",
        ],
        vec![
            "recommend",
            "--hosting",
            "aws-nlb",
            "--check",
            "no_such_key=1",
        ],
        vec!["recommend", "--hosting", "aws-nlb", "--threads", "0"],
        vec!["recommend", "--hosting", "aws-nlb", "--max-blob", "lots"],
        vec!["recommend", "--from", "/nonexistent/report.json"],
        vec!["recommend", "--from", junk.to_str().unwrap()],
    ] {
        run(poolcheck().args(&args)).assert_usage_error();
    }
}

/// .NET is unproven (no runtime here): the snippet and the JSON say so, and
/// `--check` reads MySqlConnector's names and connection-string spellings.
#[test]
fn dotnet_is_marked_unproven_and_its_check_reads_connection_string_names() {
    let (code, rep) = recommend_json(&["--hosting", "pythonanywhere", "--framework", "dotnet"]);
    assert_eq!(code, 0);
    assert!(rep.config.unproven.is_some(), "{:?}", rep.config);
    assert!(
        rep.config.snippet.contains("// UNPROVEN:"),
        "{}",
        rep.config.snippet
    );
    assert!(rep.config.snippet.contains("ConnectionIdleTimeout = 210,"));
    let r = run(poolcheck().args([
        "recommend",
        "--hosting",
        "pythonanywhere",
        "--format",
        "json",
    ]));
    assert!(!r.stdout.contains("\"unproven\""), "{}", r.stdout);

    let check = |pairs: &str| {
        run(poolcheck().args([
            "recommend",
            "--hosting",
            "pythonanywhere",
            "--framework",
            "dotnet",
            "--check",
            pairs,
        ]))
    };
    // No idle timeout and no lifetime: unsafe at a 300 s limit.
    let r = check("Connection Idle Timeout=0,Connection Lifetime=0");
    assert_eq!(r.code, 1, "{}", r.stdout);
    let r = check("ConnectionIdleTimeout=210,ConnectionLifeTime=270,Max Pool Size=12");
    assert_eq!(r.code, 0, "{}", r.stdout);
}

/// Knex's defaults keep two connections open forever (tarn's `min: 2`);
/// the snippet's `min: 0` with its idleTimeoutMillis passes (knex has no
/// pre-ping: that warning stays, hence `--fail-on crit`).
#[test]
fn knex_defaults_fail_and_min_zero_with_the_idle_timeout_passes() {
    let check = |pairs: &[&str]| {
        run(poolcheck()
            .args([
                "recommend",
                "--hosting",
                "pythonanywhere",
                "--framework",
                "knex",
            ])
            .args(pairs))
    };
    assert_eq!(check(&[]).code, 0);
    let r = check(&["--fail-on", "crit", "--check", "pool.max=10"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let r = check(&[
        "--fail-on",
        "crit",
        "--check",
        "pool.min=0,pool.idleTimeoutMillis=269000",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // tarn reaps every reapIntervalMillis: a slow reaper keeps connections
    // free past idleTimeoutMillis, beyond PythonAnywhere's 300 s.
    let r = check(&[
        "--fail-on",
        "crit",
        "--check",
        "pool.min=0,pool.idleTimeoutMillis=269000,pool.reapIntervalMillis=60000",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("329 s"), "{}", r.stdout);
}

/// HikariCP cannot hold an idle limit of 31 s or less (maxLifetime's 30 s
/// minimum): recommend raises a finding `--fail-on` acts on, warn on a path
/// that closes flows (crit on a silent one: the HikariCP proof at 3 s).
#[test]
fn a_limit_too_short_for_hikaricp_fails_the_check() {
    let (code, rep) = recommend_json(&["--framework", "hikaricp", "--idle-limit", "20s"]);
    assert_eq!(code, 1);
    let f = rep
        .findings
        .iter()
        .find(|f| f.id == "idle-limit-too-short-for-framework")
        .unwrap_or_else(|| panic!("{:?}", rep.findings));
    assert_eq!(f.severity, poolcheck::finding::Severity::Warn);
    assert_eq!(f.evidence["limit_s"], 20.0);
    assert!(rep.config.snippet.contains("too short for HikariCP"));
    let r = run(poolcheck().args([
        "recommend",
        "--framework",
        "hikaricp",
        "--idle-limit",
        "20s",
        "--fail-on",
        "crit",
    ]));
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("idle-limit-too-short-for-framework"),
        "{}",
        r.stdout
    );
    let (code, rep) = recommend_json(&["--framework", "hikaricp", "--idle-limit", "40s"]);
    assert_eq!(code, 0, "{:?}", rep.findings);
}
