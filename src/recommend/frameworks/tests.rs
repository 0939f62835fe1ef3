//! Tests across all renderers: snippets carry the right keys and numbers,
//! `settings` round-trip through `--check`, defaults, errors, and the
//! generated sections of docs/recommend.md.

use super::{Deployment, Framework, FrameworkConfig, Version, current_from_check};

/// Renders for a topology, with no --framework-version.
fn render(fw: Framework, rec: &Recommendation, topology: &Topology) -> FrameworkConfig {
    super::render(
        fw,
        rec,
        &Deployment {
            topology: *topology,
            version: None,
        },
    )
}
use crate::recommend::model::{
    Current, LimitCandidate, LimitSource, PoolPlan, PoolReasons, Reasons, Recommendation,
    TimeoutReason, Topology,
};

/// What the tests below expect of one framework's snippet (each module's
/// `SPEC.samples`).
pub struct Samples {
    /// Substrings the snippet must contain for the 300 s recommendation.
    pub expected_300: &'static [&'static str],
    /// The code (not comment) that would set a pool size.
    pub pool_code: &'static [&'static str],
    /// Whether the recommended settings, read back through `--check`, have
    /// pre-ping and a read timeout (some frameworks have no such option;
    /// their snippet says so).
    pub pre_ping: bool,
    pub read_timeout: bool,
}

fn check_keys(fw: Framework) -> &'static [&'static str] {
    fw.spec().check_keys
}

fn check_units(fw: Framework) -> &'static str {
    fw.spec().check_units
}

fn topology() -> Topology {
    Topology {
        instances: Some(2),
        processes: Some(4),
        threads: Some(8),
        reserve: 10,
    }
}

fn reasons() -> Reasons {
    let timeout = |text: &str| TimeoutReason {
        text: text.to_string(),
        covers_silent_drop: false,
    };
    Reasons {
        recycle: "below the idle limit with a 10% margin, so a connection is replaced before the limit closes it".into(),
        pre_ping: "a ping at checkout replaces a connection that died anyway (restart, failover, kill)".into(),
        read_timeout: timeout("fails a read from a dead connection after this long; above the slowest expected query"),
        write_timeout: timeout("fails a write to a dead connection after this long"),
        keepalive: "TCP keepalive probes well inside the idle limit keep middlebox flows alive and find dead peers".into(),
        connect_timeout: "fail fast when the server is unreachable".into(),
        checkout_timeout: "a request waits at most this long for a free connection, well inside the request timeout".into(),
        pool: Some(PoolReasons {
            pool_size: "one connection for each of the 8 threads in a process".into(),
            max_overflow: "headroom for bursts, still within the connection budget".into(),
        }),
    }
}

fn rec(limit_s: f64, silent: bool, recycle_s: u64, detail: &str, pool: PoolPlan) -> Recommendation {
    let limit = LimitCandidate {
        source: LimitSource::Hosting,
        seconds: limit_s,
        silent,
        detail: detail.to_string(),
        keepalive_helps: None,
    };
    Recommendation {
        limit: Some(limit.clone()),
        candidates: vec![limit],
        recycle_s,
        pre_ping: true,
        silent_drop: silent,
        read_timeout_s: 30,
        write_timeout_s: 30,
        keepalive_idle_s: 60,
        connect_timeout_s: 10,
        pool,
        checkout_timeout_s: 10,
        reasons: reasons(),
        notes: Vec::new(),
        findings: Vec::new(),
    }
}

fn fits() -> PoolPlan {
    PoolPlan::Fits {
        pool_size: 8,
        max_overflow: 4,
        worst_case_total: 96,
        budget: Some(141),
    }
}

/// pythonanywhere: 300 s, closes with an error on next use.
fn rec_300() -> Recommendation {
    rec(
        300.0,
        false,
        270,
        "pythonanywhere preset: closes connections idle for 5 minutes",
        fits(),
    )
}

/// azure-lb: 240 s, silent drop.
fn rec_azure() -> Recommendation {
    rec(
        240.0,
        true,
        216,
        "azure-lb preset: idle flows are dropped silently after 4 min",
        fits(),
    )
}

const OPTION_A: &str = "run 2 processes per instance instead of 4";
const OPTION_B: &str = "raise max_connections to at least 74";

fn rec_no_fit() -> Recommendation {
    rec(
        300.0,
        false,
        270,
        "pythonanywhere preset",
        PoolPlan::DoesNotFit {
            needed: 64,
            budget: 50,
            options: vec![OPTION_A.to_string(), OPTION_B.to_string()],
        },
    )
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The recommended settings as `--check` would receive them.
fn settings_as_pairs(framework: Framework, rec: &Recommendation) -> Vec<(String, String)> {
    render(framework, rec, &topology())
        .settings
        .iter()
        .map(|s| {
            let v = match &s.value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (s.key.clone(), v)
        })
        .collect()
}

fn expected_300(framework: Framework) -> &'static [&'static str] {
    framework.spec().samples.expected_300
}

fn pool_code(framework: Framework) -> &'static [&'static str] {
    framework.spec().samples.pool_code
}

const POOL_SETTINGS: &[&str] = &[
    "pool_size",
    "max_overflow",
    "MaxOpenConns",
    "MaxIdleConns",
    "maximumPoolSize",
    "minimumIdle",
    "pool",
    "connectionLimit",
    "maxIdle",
    "max_connections",
];

#[test]
fn snippets_for_300s_carry_the_numbers() {
    for fw in Framework::ALL {
        let cfg = render(fw, &rec_300(), &topology());
        assert_eq!(cfg.framework, fw);
        for want in expected_300(fw) {
            assert!(
                cfg.snippet.contains(want),
                "{}: missing {want:?} in\n{}",
                fw.name(),
                cfg.snippet
            );
        }
        assert!(cfg.snippet.contains("Idle limit: 300 s"), "{}", fw.name());
        assert!(!cfg.snippet.contains("essential"), "{}", fw.name());
    }
}

#[test]
fn languages() {
    let lang = |fw| render(fw, &rec_300(), &topology()).language;
    assert_eq!(lang(Framework::Sqlalchemy), "python");
    assert_eq!(lang(Framework::FlaskSqlalchemy), "python");
    assert_eq!(lang(Framework::Django), "python");
    assert_eq!(lang(Framework::Go), "go");
    assert_eq!(lang(Framework::Hikaricp), "properties");
    assert_eq!(lang(Framework::Rails), "yaml");
    assert_eq!(lang(Framework::NodeMysql2), "javascript");
    assert_eq!(lang(Framework::Sqlx), "rust");
    assert_eq!(lang(Framework::Generic), "ini");
}

#[test]
fn silent_path_marks_timeouts_essential() {
    let expected: &[(Framework, &[&str])] = &[
        (
            Framework::Sqlalchemy,
            &[
                "pool_recycle=216,",
                "without them pre-ping hangs ~15 minutes",
            ],
        ),
        (
            Framework::FlaskSqlalchemy,
            &[
                "\"pool_recycle\": 216,",
                "without them pre-ping hangs ~15 minutes",
            ],
        ),
        (
            Framework::Django,
            &[
                "\"CONN_MAX_AGE\": 216,",
                "without them pre-ping hangs ~15 minutes",
            ],
        ),
        (
            Framework::Go,
            &["SetConnMaxLifetime(216 * time.Second)", "hangs ~15 minutes"],
        ),
        (
            Framework::Hikaricp,
            &[
                "maxLifetime=216000",
                "idleTimeout=186000",
                "hangs ~15 minutes",
            ],
        ),
        (
            Framework::Rails,
            &[
                "idle_timeout: 216",
                "reaping_frequency: 20",
                "without them pre-ping hangs ~15 minutes",
            ],
        ),
        (
            Framework::NodeMysql2,
            &["idleTimeout: 216000", "hangs ~15 minutes"],
        ),
        (
            Framework::Sqlx,
            &["Duration::from_secs(216)", "hangs ~15 minutes"],
        ),
        (
            Framework::Generic,
            &[
                "max_lifetime_s = 216",
                "without them pre-ping hangs ~15 minutes",
            ],
        ),
    ];
    for (fw, wants) in expected {
        let cfg = render(*fw, &rec_azure(), &topology());
        assert!(cfg.snippet.contains("essential"), "{}", fw.name());
        assert!(
            cfg.snippet.contains("drops idle connections silently"),
            "{}",
            fw.name()
        );
        for want in *wants {
            assert!(
                cfg.snippet.contains(want),
                "{}: missing {want:?} in\n{}",
                fw.name(),
                cfg.snippet
            );
        }
    }
    // The settings carry the same reasons as the comments.
    let cfg = render(Framework::Sqlalchemy, &rec_azure(), &topology());
    let read = cfg
        .settings
        .iter()
        .find(|s| s.key == "read_timeout")
        .unwrap();
    assert!(
        read.reason
            .contains("without them pre-ping hangs ~15 minutes"),
        "{}",
        read.reason
    );
}

#[test]
fn settings_keys_are_check_keys_and_have_reasons() {
    for fw in Framework::ALL {
        for r in [rec_300(), rec_azure(), rec_no_fit()] {
            let cfg = render(fw, &r, &topology());
            assert!(!cfg.settings.is_empty(), "{}", fw.name());
            for s in &cfg.settings {
                assert!(
                    check_keys(fw).contains(&s.key.as_str()),
                    "{}: setting {} is not a --check key",
                    fw.name(),
                    s.key
                );
                assert!(
                    !s.reason.trim().is_empty(),
                    "{}: {} has no reason",
                    fw.name(),
                    s.key
                );
                assert!(
                    cfg.snippet.contains(&s.reason),
                    "{}: reason of {} not in snippet",
                    fw.name(),
                    s.key
                );
            }
            let mut keys: Vec<&str> = cfg.settings.iter().map(|s| s.key.as_str()).collect();
            keys.sort();
            keys.dedup();
            assert_eq!(
                keys.len(),
                cfg.settings.len(),
                "{}: duplicate settings",
                fw.name()
            );
        }
    }
}

#[test]
fn does_not_fit_prints_no_pool_numbers() {
    for fw in Framework::ALL {
        let cfg = render(fw, &rec_no_fit(), &topology());
        for s in &cfg.settings {
            assert!(
                !POOL_SETTINGS.contains(&s.key.as_str()),
                "{}: {}",
                fw.name(),
                s.key
            );
        }
        for code in pool_code(fw) {
            assert!(
                !cfg.snippet.contains(code),
                "{}: {code:?} in\n{}",
                fw.name(),
                cfg.snippet
            );
        }
        for want in [
            "cannot hold this topology",
            "budget (50)",
            "= 64 connections",
            OPTION_A,
            OPTION_B,
        ] {
            assert!(
                cfg.snippet.contains(want),
                "{}: missing {want:?}",
                fw.name()
            );
        }
        // The recycle setting is still there, in the framework's unit
        // (Sequelize's idle leaves its reaper's period to the recycle time).
        assert!(
            cfg.settings
                .iter()
                .any(|s| s.value == serde_json::json!(270)
                    || s.value == serde_json::json!(270_000)
                    || s.value == serde_json::json!("270s")
                    || (fw == Framework::Sequelize
                        && s.key == "idle"
                        && s.value == serde_json::json!(269_000))),
            "{}",
            fw.name()
        );
    }
}

#[test]
fn recommended_settings_round_trip_through_check() {
    for r in [rec_300(), rec_azure(), rec_no_fit()] {
        for fw in Framework::ALL {
            let given = settings_as_pairs(fw, &r);
            let cur =
                current_from_check(fw, &given).unwrap_or_else(|e| panic!("{}: {e}", fw.name()));
            let recycle = cur.recycle_s.or(cur.idle_timeout_s);
            // mysql2's idle reaper needs maxIdle < connectionLimit, which
            // cannot be given without pool numbers; the snippet says so.
            let inert = matches!(fw, Framework::NodeMysql2 | Framework::Typeorm)
                && matches!(r.pool, PoolPlan::DoesNotFit { .. });
            assert!(
                inert || recycle.is_some_and(|s| s <= r.recycle_s as f64),
                "{}: {cur:?}",
                fw.name()
            );
            let samples = &fw.spec().samples;
            assert_eq!(cur.pre_ping, samples.pre_ping, "{}", fw.name());
            let read = samples.read_timeout.then_some(30.0);
            assert_eq!(cur.read_timeout_s, read, "{}", fw.name());
            // Django and PHP have no pool: one connection per thread or process.
            let no_pool = matches!(
                fw,
                Framework::Django | Framework::Laravel | Framework::PhpPdo
            );
            if matches!(r.pool, PoolPlan::Fits { .. }) && !no_pool {
                assert_eq!(cur.max_per_process, Some(12), "{}", fw.name());
            }
        }
    }
}

fn defaults(fw: Framework) -> Current {
    current_from_check(fw, &[]).unwrap()
}

#[test]
fn defaults_when_no_keys() {
    let c = defaults(Framework::Sqlalchemy);
    assert_eq!(
        (
            c.recycle_s,
            c.idle_timeout_s,
            c.pre_ping,
            c.read_timeout_s,
            c.max_per_process
        ),
        (None, None, false, None, Some(15))
    );
    let c = defaults(Framework::FlaskSqlalchemy);
    assert_eq!(
        (c.recycle_s, c.pre_ping, c.max_per_process),
        (Some(7200.0), false, Some(15))
    );
    // CONN_MAX_AGE 0 reuses no connection, which counts as checked.
    let c = defaults(Framework::Django);
    assert_eq!(
        (c.recycle_s, c.pre_ping, c.read_timeout_s, c.max_per_process),
        (Some(0.0), true, None, None)
    );
    let c = current_from_check(Framework::Django, &pairs(&[("CONN_MAX_AGE", "60")])).unwrap();
    assert_eq!((c.recycle_s, c.pre_ping), (Some(60.0), false));
    let c = defaults(Framework::Go);
    assert_eq!(
        (
            c.recycle_s,
            c.idle_timeout_s,
            c.pre_ping,
            c.read_timeout_s,
            c.max_per_process
        ),
        (None, None, true, None, None)
    );
    let c = defaults(Framework::Hikaricp);
    assert_eq!(
        (
            c.recycle_s,
            c.idle_timeout_s,
            c.pre_ping,
            c.read_timeout_s,
            c.max_per_process
        ),
        (Some(1800.0), None, true, None, Some(10))
    );
    let c = defaults(Framework::Rails);
    assert_eq!(
        (
            c.recycle_s,
            c.idle_timeout_s,
            c.pre_ping,
            c.read_timeout_s,
            c.max_per_process
        ),
        (None, Some(300.0), true, None, Some(5))
    );
    let c = defaults(Framework::NodeMysql2);
    assert_eq!(
        (
            c.recycle_s,
            c.idle_timeout_s,
            c.pre_ping,
            c.read_timeout_s,
            c.max_per_process
        ),
        (None, None, false, None, Some(10))
    );
    let c = defaults(Framework::Sqlx);
    assert_eq!(
        (
            c.recycle_s,
            c.idle_timeout_s,
            c.pre_ping,
            c.read_timeout_s,
            c.max_per_process
        ),
        (Some(1800.0), Some(600.0), true, None, Some(10))
    );
    let c = defaults(Framework::Generic);
    assert_eq!(
        (
            c.recycle_s,
            c.idle_timeout_s,
            c.pre_ping,
            c.read_timeout_s,
            c.max_per_process
        ),
        (None, None, false, None, None)
    );
}

#[test]
fn unknown_key_lists_accepted_keys() {
    for fw in Framework::ALL {
        let err = current_from_check(fw, &pairs(&[("bogus_key", "1")])).unwrap_err();
        assert!(err.contains("bogus_key"), "{err}");
        assert!(err.contains(fw.name()), "{err}");
        for k in check_keys(fw) {
            assert!(err.contains(k), "{}: {k} not listed in {err}", fw.name());
        }
    }
}

#[test]
fn bad_value_names_the_key_and_echoes_little() {
    let long = format!("abc{}", "z".repeat(200));
    for fw in Framework::ALL {
        for key in check_keys(fw) {
            let err = current_from_check(fw, &pairs(&[(key, &long)]))
                .expect_err(&format!("{}: {key} accepted garbage", fw.name()));
            assert!(err.contains(key), "{}: {err}", fw.name());
            assert!(err.chars().filter(|c| *c == 'z').count() <= 40, "{err}");
        }
    }
}

#[test]
fn framework_specific_check_values() {
    let cur = |fw, items: &[(&str, &str)]| current_from_check(fw, &pairs(items));

    // SQLAlchemy: -1 and None are "never"; unlimited overflow has no bound.
    let c = cur(
        Framework::Sqlalchemy,
        &[("pool_recycle", "-1"), ("max_overflow", "-1")],
    )
    .unwrap();
    assert_eq!((c.recycle_s, c.max_per_process), (None, None));
    let c = cur(
        Framework::Sqlalchemy,
        &[
            ("pool_recycle", "None"),
            ("connect_args.read_timeout", "None"),
        ],
    )
    .unwrap();
    assert_eq!((c.recycle_s, c.read_timeout_s), (None, None));
    let c = cur(
        Framework::Sqlalchemy,
        &[("pool_pre_ping", "True"), ("pool_recycle", "280")],
    )
    .unwrap();
    assert_eq!((c.recycle_s, c.pre_ping), (Some(280.0), true));

    // Flask: old keys mean a 2.x release (pool_size 10); engine options win.
    let c = cur(
        Framework::FlaskSqlalchemy,
        &[("SQLALCHEMY_POOL_RECYCLE", "280")],
    )
    .unwrap();
    assert_eq!((c.recycle_s, c.max_per_process), (Some(280.0), Some(20)));
    let c = cur(
        Framework::FlaskSqlalchemy,
        &[("SQLALCHEMY_POOL_RECYCLE", "280"), ("pool_recycle", "100")],
    )
    .unwrap();
    assert_eq!(c.recycle_s, Some(100.0));
    let err = cur(
        Framework::FlaskSqlalchemy,
        &[("SQLALCHEMY_POOL_RECYCLE", "soon")],
    )
    .unwrap_err();
    assert!(err.contains("SQLALCHEMY_POOL_RECYCLE"), "{err}");

    // Django: None is forever.
    let c = cur(
        Framework::Django,
        &[("CONN_MAX_AGE", "None"), ("CONN_HEALTH_CHECKS", "True")],
    )
    .unwrap();
    assert_eq!((c.recycle_s, c.pre_ping), (None, true));

    // Go: durations; a bare number is rejected; liveness checks can be off.
    let c = cur(
        Framework::Go,
        &[
            ("ConnMaxLifetime", "3m"),
            ("SetConnMaxIdleTime", "1h"),
            ("readTimeout", "30s"),
        ],
    )
    .unwrap();
    assert_eq!(
        (c.recycle_s, c.idle_timeout_s, c.read_timeout_s),
        (Some(180.0), Some(3600.0), Some(30.0))
    );
    let err = cur(Framework::Go, &[("ConnMaxLifetime", "180")]).unwrap_err();
    assert!(
        err.contains("ConnMaxLifetime") && err.contains("Go duration"),
        "{err}"
    );
    let c = cur(
        Framework::Go,
        &[("checkConnLiveness", "false"), ("MaxOpenConns", "0")],
    )
    .unwrap();
    assert_eq!((c.pre_ping, c.max_per_process), (false, None));

    // HikariCP: below 30 s, maxLifetime runs as the 30 min default; idleTimeout
    // only counts with minimumIdle < maximumPoolSize, and not near maxLifetime.
    let c = cur(Framework::Hikaricp, &[("maxLifetime", "20000")]).unwrap();
    assert_eq!(c.recycle_s, Some(1800.0));
    let c = cur(Framework::Hikaricp, &[("maxLifetime", "0")]).unwrap();
    assert_eq!(c.recycle_s, None);
    let c = cur(
        Framework::Hikaricp,
        &[("minimumIdle", "2"), ("idleTimeout", "60000")],
    )
    .unwrap();
    assert_eq!(c.idle_timeout_s, Some(60.0));
    let c = cur(
        Framework::Hikaricp,
        &[
            ("minimumIdle", "2"),
            ("maxLifetime", "60000"),
            ("idleTimeout", "60000"),
        ],
    )
    .unwrap();
    assert_eq!(c.idle_timeout_s, None);
    let c = cur(
        Framework::Hikaricp,
        &[
            ("spring.datasource.hikari.max-lifetime", "270000"),
            ("dataSource.socketTimeout", "30000"),
        ],
    )
    .unwrap();
    assert_eq!((c.recycle_s, c.read_timeout_s), (Some(270.0), Some(30.0)));
    assert!(cur(Framework::Hikaricp, &[("maximumPoolSize", "0")]).is_err());

    // Rails: idle_timeout 0 never closes; without a reaper nothing does.
    let c = cur(Framework::Rails, &[("idle_timeout", "0")]).unwrap();
    assert_eq!(c.idle_timeout_s, None);
    let c = cur(Framework::Rails, &[("reaping_frequency", "0")]).unwrap();
    assert_eq!(c.idle_timeout_s, None);
    let c = cur(
        Framework::Rails,
        &[("max_connections", "16"), ("read_timeout", "nil")],
    )
    .unwrap();
    assert_eq!((c.max_per_process, c.read_timeout_s), (Some(16), None));

    // Node: idleTimeout only counts when maxIdle < connectionLimit.
    let c = cur(Framework::NodeMysql2, &[("idleTimeout", "30000")]).unwrap();
    assert_eq!(c.idle_timeout_s, None);
    let c = cur(
        Framework::NodeMysql2,
        &[("idleTimeout", "30000"), ("maxIdle", "3")],
    )
    .unwrap();
    assert_eq!(c.idle_timeout_s, Some(30.0));
    let c = cur(Framework::NodeMysql2, &[("connectionLimit", "0")]).unwrap();
    assert_eq!(c.max_per_process, None);

    // sqlx: seconds or durations, None disables.
    let c = cur(
        Framework::Sqlx,
        &[("max_lifetime", "None"), ("idle_timeout", "4m")],
    )
    .unwrap();
    assert_eq!((c.recycle_s, c.idle_timeout_s), (None, Some(240.0)));

    // Generic: a pool size bounds connections per process.
    let c = cur(
        Framework::Generic,
        &[
            ("pool_size", "5"),
            ("max_overflow", "2"),
            ("pre_ping", "yes"),
        ],
    )
    .unwrap();
    assert_eq!((c.max_per_process, c.pre_ping), (Some(7), true));

    // A key given twice is an error, in any spelling.
    let err = cur(
        Framework::Sqlalchemy,
        &[("pool_recycle", "1"), ("POOL_RECYCLE", "2")],
    )
    .unwrap_err();
    assert!(err.contains("twice"), "{err}");
}

#[test]
fn hikari_cannot_go_below_30s() {
    let mut r = rec_300();
    r.recycle_s = 20;
    r.limit.as_mut().unwrap().seconds = 25.0;
    let cfg = render(Framework::Hikaricp, &r, &topology());
    assert!(
        cfg.snippet.contains("\nmaxLifetime=30000\n"),
        "{}",
        cfg.snippet
    );
    assert!(
        cfg.snippet.contains("too short for HikariCP"),
        "{}",
        cfg.snippet
    );
    // keepaliveTime must stay below maxLifetime: 60 s cannot.
    assert!(!cfg.snippet.contains("\nkeepaliveTime="), "{}", cfg.snippet);
}

#[test]
fn fixed_pools_and_threads_beyond_the_pool() {
    let mut r = rec_300();
    r.pool = PoolPlan::Fits {
        pool_size: 4,
        max_overflow: 0,
        worst_case_total: 32,
        budget: None,
    };
    let hikari = render(Framework::Hikaricp, &r, &topology()).snippet;
    assert!(!hikari.contains("\nidleTimeout="), "{hikari}");
    let node = render(Framework::NodeMysql2, &r, &topology()).snippet;
    assert!(node.contains("maxIdle: 3,"), "{node}");
    let sa = render(Framework::Sqlalchemy, &r, &topology()).snippet;
    assert!(sa.contains("no budget known"), "{sa}");
    assert!(sa.contains("4 connections for 8 threads"), "{sa}");
    // Django holds one connection per thread, whatever the pool plan says.
    r.pool = PoolPlan::Fits {
        pool_size: 2,
        max_overflow: 0,
        worst_case_total: 16,
        budget: Some(40),
    };
    let dj = render(Framework::Django, &r, &topology()).snippet;
    assert!(
        dj.contains("= 64 connections; that exceeds the budget of 40"),
        "{dj}"
    );
}

#[test]
fn rails_mentions_the_session_wait_timeout_override() {
    let mut r = rec_300();
    r.limit.as_mut().unwrap().source = LimitSource::SessionWaitTimeout;
    let s = render(Framework::Rails, &r, &topology()).snippet;
    assert!(
        s.contains("binds only if you set a smaller wait_timeout"),
        "{s}"
    );
    let s = render(Framework::Rails, &rec_300(), &topology()).snippet;
    assert!(!s.contains("binds only if"), "{s}");
}

#[test]
fn text_from_the_rules_cannot_break_out_of_comments() {
    let mut r = rec_300();
    r.reasons.recycle = "margin\nimport os; os.system('x')".to_string();
    r.notes = vec!["note\r\nDROP TABLE users".to_string()];
    r.limit.as_mut().unwrap().detail = "detail\nrm -rf /".to_string();
    for fw in Framework::ALL {
        let s = render(fw, &r, &topology()).snippet;
        for line in s.lines() {
            let t = line.trim_start();
            assert!(!t.starts_with("import os"), "{}: {line}", fw.name());
            assert!(!t.starts_with("DROP TABLE"), "{}: {line}", fw.name());
            assert!(!t.starts_with("rm -rf"), "{}: {line}", fw.name());
        }
    }
}

#[test]
fn notes_are_printed_once() {
    let mut r = rec_300();
    r.notes = vec!["Rules note: restart-safe.".to_string()];
    for fw in Framework::ALL {
        let s = render(fw, &r, &topology()).snippet;
        assert_eq!(
            s.matches("Rules note: restart-safe.").count(),
            1,
            "{}",
            fw.name()
        );
    }
}

#[test]
fn framework_notes_the_rules_already_gave_are_not_repeated() {
    let mut r = rec_300();
    r.notes = vec![
        "with gunicorn --preload, call engine.dispose(close=False) after fork".to_string(),
        "with ASGI, keep persistent connections off (CONN_MAX_AGE = 0)".to_string(),
    ];
    let sa = render(Framework::Sqlalchemy, &r, &topology()).snippet;
    assert_eq!(sa.matches("dispose(close=False)").count(), 1, "{sa}");
    assert!(sa.contains("scoped_session.remove()"), "{sa}");
    let dj = render(Framework::Django, &r, &topology()).snippet;
    assert_eq!(dj.matches("ASGI").count(), 1, "{dj}");
}

#[test]
fn no_limit_known() {
    let mut r = rec_300();
    r.limit = None;
    r.candidates.clear();
    for fw in Framework::ALL {
        let s = render(fw, &r, &topology()).snippet;
        assert!(
            s.contains("Idle limit: none found or declared"),
            "{}",
            fw.name()
        );
    }
    let rails = render(Framework::Rails, &r, &topology()).snippet;
    assert!(rails.contains("reaping_frequency: 20"), "{rails}");
}

#[test]
fn snippets_are_ascii() {
    for fw in Framework::ALL {
        for r in [rec_300(), rec_azure(), rec_no_fit()] {
            let s = render(fw, &r, &topology()).snippet;
            assert!(
                s.is_ascii(),
                "{}: {:?}",
                fw.name(),
                s.chars().find(|c| !c.is_ascii())
            );
        }
    }
}

/// The generated part of docs/recommend.md: one section per framework with
/// the snippet for the 300 s recommendation and the `--check` keys.
fn docs_sections() -> String {
    let mut doc = String::new();
    for fw in Framework::ALL {
        let cfg = render(fw, &rec_300(), &topology());
        doc.push_str(&format!("## {}\n\n", fw.name()));
        doc.push_str(&format!("```{}\n{}```\n\n", cfg.language, cfg.snippet));
        let keys: Vec<String> = check_keys(fw).iter().map(|k| format!("`{k}`")).collect();
        doc.push_str(&format!(
            "`--check` keys ({}): {}\n\n",
            check_units(fw),
            keys.join(", ")
        ));
    }
    doc
}

/// `cargo test -- --nocapture print_docs` prints the generated sections.
#[test]
fn print_docs() {
    println!("{}", docs_sections());
}

/// docs/recommend.md must contain the sections exactly as generated.
#[test]
fn docs_are_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/recommend.md");
    let doc = std::fs::read_to_string(path).expect("docs/recommend.md");
    assert!(
        doc.contains(&docs_sections()),
        "docs/recommend.md is stale: regenerate with cargo test -- --nocapture print_docs"
    );
}

#[test]
fn names_are_unique_and_read_back() {
    let mut seen = Vec::new();
    for fw in Framework::ALL {
        let spec = fw.spec();
        for name in std::iter::once(&spec.name).chain(spec.aliases) {
            assert!(!seen.contains(name), "{name} names two frameworks");
            seen.push(*name);
            assert_eq!(Framework::from_name(name), Some(fw), "{name}");
        }
        let json = serde_json::to_value(fw).unwrap();
        assert_eq!(json, serde_json::json!(spec.name));
        assert_eq!(serde_json::from_value::<Framework>(json).unwrap(), fw);
    }
    assert!(serde_json::from_str::<Framework>("\"nope\"").is_err());
}

/// sqlx reaps idle connections only every min(idle_timeout, max_lifetime)
/// and checks neither at acquire (pool/inner.rs, 0.8 and 0.9): at a 40 s
/// limit, idle_timeout + that period must stay below 40 s.
#[test]
fn sqlx_idle_timeout_leaves_room_for_the_reaper() {
    let mut r = rec_300();
    r.limit.as_mut().unwrap().seconds = 40.0;
    r.recycle_s = crate::recommend::rules::recycle_for(40.0);
    let cfg = render(Framework::Sqlx, &r, &topology());
    let value = |key: &str| {
        cfg.settings
            .iter()
            .find(|s| s.key == key)
            .and_then(|s| s.value.as_u64())
            .unwrap()
    };
    let (life, idle) = (value("max_lifetime"), value("idle_timeout"));
    assert!(idle + idle.min(life) < 40, "{}", cfg.snippet);
    assert!((14..=19).contains(&idle), "{}", cfg.snippet);
    assert!(
        cfg.snippet
            .contains("idle_timeout + 15 = 30 s, below the 40 s limit"),
        "{}",
        cfg.snippet
    );
    // Every recycle time: the longest idle time stays at most the recycle.
    for recycle in 1..2000 {
        let idle = super::sqlx_idle_timeout_for(recycle);
        assert!(idle + idle.min(recycle) <= recycle.max(2), "{recycle}");
    }
}

/// Comments that state a default state the framework's own (#12).
#[test]
fn comments_state_each_frameworks_own_defaults() {
    let flask = render(Framework::FlaskSqlalchemy, &rec_300(), &topology());
    let recycle = flask
        .settings
        .iter()
        .find(|s| s.key == "pool_recycle")
        .unwrap();
    assert!(
        !recycle.reason.contains("(default -1: never)"),
        "{}",
        recycle.reason
    );
    assert!(
        recycle.reason.contains("default 7200"),
        "{}",
        recycle.reason
    );
    let sa = render(Framework::Sqlalchemy, &rec_300(), &topology()).snippet;
    assert!(sa.contains("(default -1: never)"), "{sa}");

    // Django runs on mysqlclient or on PyMySQL as MySQLdb, and has no pool.
    let dj = render(Framework::Django, &rec_300(), &topology()).snippet;
    assert!(dj.contains("neither mysqlclient nor PyMySQL"), "{dj}");
    assert!(!dj.contains("the pool replaces"), "{dj}");

    // HikariCP's URL properties: MySQL's and MariaDB's Connector/J differ.
    let hk = render(Framework::Hikaricp, &rec_300(), &topology()).snippet;
    assert!(hk.contains("30000 in MariaDB Connector/J"), "{hk}");
    assert!(hk.contains("jdbc:mariadb://"), "{hk}");
}

/// Rails: idle_timeout + reaping_frequency strictly below the limit at every
/// limit where that fits, and the comment says when it cannot (#12).
#[test]
fn rails_reaper_sum_is_strictly_below_the_limit() {
    for tenths in 1..20_000 {
        let limit = f64::from(tenths) / 10.0;
        let mut r = rec_300();
        r.limit.as_mut().unwrap().seconds = limit;
        r.recycle_s = crate::recommend::rules::recycle_for(limit);
        let cfg = render(Framework::Rails, &r, &topology());
        let reap = cfg
            .settings
            .iter()
            .find(|s| s.key == "reaping_frequency")
            .and_then(|s| s.value.as_u64())
            .unwrap();
        let below = ((r.recycle_s + reap) as f64) < limit;
        assert!(
            below || r.recycle_s as f64 + 1.0 >= limit,
            "{limit}: {reap}"
        );
        assert_eq!(
            cfg.snippet.contains("stays below"),
            below,
            "{limit}: {}",
            cfg.snippet
        );
    }
}

/// Every key a snippet sets that older releases lack names the release it
/// needs, and `--framework-version` below it leaves the key out, saying so:
/// HikariCP 2.7.9 (Debian's) refuses a properties file with keepaliveTime,
/// which arrived in 4.0.0 (CHANGES: "merged #1699 add new configuration
/// property 'keepaliveTime'") (#12).
#[test]
fn keys_name_and_respect_the_release_they_need() {
    for fw in Framework::ALL {
        let spec = fw.spec();
        for (key, min) in spec.since {
            assert!(spec.check_keys.contains(key), "{}: {key}", fw.name());
            let cfg = render(fw, &rec_300(), &topology());
            let set = cfg.settings.iter().find(|s| s.key == *key);
            let set = set.unwrap_or_else(|| panic!("{}: {key} not set", fw.name()));
            let named = format!("{} {min}+", spec.release);
            assert!(set.reason.contains(&named), "{}: {}", fw.name(), set.reason);
            let older = Version::new(0, 1, 0);
            let app = Deployment {
                topology: topology(),
                version: Some(older),
            };
            let cfg = super::render(fw, &rec_300(), &app);
            assert!(cfg.settings.iter().all(|s| s.key != *key), "{}", fw.name());
            assert!(
                cfg.snippet.contains(&format!(
                    "{key}: not set - {named} only, and --framework-version is 0.1.0"
                )),
                "{}: {}",
                fw.name(),
                cfg.snippet
            );
            let app = Deployment {
                topology: topology(),
                version: Some(*min),
            };
            let cfg = super::render(fw, &rec_300(), &app);
            assert!(cfg.settings.iter().any(|s| s.key == *key), "{}", fw.name());
        }
    }
    let app = Deployment {
        topology: topology(),
        version: Version::parse("2.7.9"),
    };
    let cfg = super::render(Framework::Hikaricp, &rec_300(), &app);
    assert!(!cfg.snippet.contains("\nkeepaliveTime="), "{}", cfg.snippet);
    assert!(
        cfg.snippet.contains("\nmaxLifetime=270000\n"),
        "{}",
        cfg.snippet
    );
}

#[test]
fn versions_parse() {
    assert_eq!(Version::parse("2.7.9"), Some(Version::new(2, 7, 9)));
    assert_eq!(Version::parse("v4.0.1"), Some(Version::new(4, 0, 1)));
    assert!(Version::parse("2.7").unwrap() < Version::new(4, 0, 0));
    assert!(Version::parse("4").unwrap() >= Version::new(4, 0, 0));
    assert_eq!(Version::parse("2.7").unwrap().to_string(), "2.7");
    for bad in ["", "x", "2..7", "1.2.3.4", "2.7-beta", "-1"] {
        assert_eq!(Version::parse(bad), None, "{bad}");
    }
}

/// maxLifetime=30000, HikariCP's minimum, holds a 39.7 s limit: a connection
/// retires by its own timer, so the comment does not call the limit too
/// short; at 25 s it is (#12).
#[test]
fn hikari_minimum_lifetime_says_whether_it_holds() {
    let mut r = rec_300();
    r.limit.as_mut().unwrap().seconds = 39.7;
    r.recycle_s = crate::recommend::rules::recycle_for(39.7);
    let s = render(Framework::Hikaricp, &r, &topology()).snippet;
    assert!(s.contains("\nmaxLifetime=30000\n"), "{s}");
    assert!(s.contains("9.7 s below the 39.7 s idle limit"), "{s}");
    assert!(!s.contains("too short"), "{s}");
    assert!(!s.contains("29 s:"), "{s}");
}

/// mysql2: the read-timeout advice does not leak connections (pool.query
/// with a timeout never returns its connection), and no snippet names an
/// overflow setting its pool does not have (#12).
#[test]
fn node_advice_does_not_leak_and_no_overflow_without_one() {
    let s = render(Framework::NodeMysql2, &rec_300(), &topology()).snippet;
    assert!(s.contains("conn.destroy()"), "{s}");
    assert!(s.contains("pool.getConnection()"), "{s}");
    assert!(s.contains("leaks the connection"), "{s}");
    let mut r = rec_300();
    r.pool = PoolPlan::Fits {
        pool_size: 1,
        max_overflow: 0,
        worst_case_total: 8,
        budget: None,
    };
    for fw in Framework::ALL {
        if matches!(
            fw,
            Framework::Sqlalchemy
                | Framework::FlaskSqlalchemy
                | Framework::SqlalchemyAsyncio
                | Framework::Generic
        ) {
            continue;
        }
        for r in [rec_300(), r.clone()] {
            let s = render(fw, &r, &topology()).snippet;
            assert!(
                !s.to_ascii_lowercase().contains("overflow"),
                "{}: {s}",
                fw.name()
            );
        }
    }
    let s = render(Framework::NodeMysql2, &r, &topology()).snippet;
    assert!(s.contains("maxIdle: 0,"), "{s}");
    assert!(s.contains("connectionLimit 2 with maxIdle 1"), "{s}");
}

/// No --threads: no snippet sets a pool size; each says which default stays
/// and how to size it. mysql2 still needs maxIdle below its default
/// connectionLimit for idleTimeout to run (#12).
#[test]
fn framework_default_pool_sets_no_size() {
    let mut r = rec_300();
    r.pool = PoolPlan::FrameworkDefault {
        per_process: Some(15),
        worst_case_total: Some(15),
        budget: Some(141),
    };
    r.reasons.pool = None;
    let t = Topology {
        instances: None,
        processes: None,
        threads: None,
        reserve: 10,
    };
    for fw in Framework::ALL {
        let cfg = render(fw, &r, &t);
        for s in &cfg.settings {
            let allowed =
                matches!(fw, Framework::NodeMysql2 | Framework::Typeorm) && s.key == "maxIdle";
            assert!(
                allowed || !POOL_SETTINGS.contains(&s.key.as_str()),
                "{}: {}",
                fw.name(),
                s.key
            );
        }
        let pool = fw.spec().default_pool;
        assert!(
            cfg.snippet.contains(pool.text),
            "{}: {}",
            fw.name(),
            cfg.snippet
        );
        assert!(cfg.snippet.contains("--threads"), "{}", fw.name());
        assert!(!cfg.snippet.contains("cannot hold"), "{}", fw.name());
    }
    let flask = render(Framework::FlaskSqlalchemy, &r, &t).snippet;
    assert!(flask.contains("pool_size=5 + max_overflow=10"), "{flask}");
    assert!(!flask.contains("\"pool_size\":"), "{flask}");
    let node = render(Framework::NodeMysql2, &r, &t);
    assert!(node.snippet.contains("maxIdle: 9,"), "{}", node.snippet);
    let given = settings_as_pairs_for(Framework::NodeMysql2, &r, &t);
    let cur = current_from_check(Framework::NodeMysql2, &given).unwrap();
    assert_eq!(cur.idle_timeout_s, Some(270.0));
}

fn settings_as_pairs_for(fw: Framework, r: &Recommendation, t: &Topology) -> Vec<(String, String)> {
    render(fw, r, t)
        .settings
        .iter()
        .map(|s| {
            (
                s.key.clone(),
                s.value.to_string().trim_matches('"').to_string(),
            )
        })
        .collect()
}

/// docs/recommend.md's release table has each framework's row as its spec
/// declares it (the last column, "Tested here", is the proof tests' to fill).
#[test]
fn docs_release_table_matches_the_specs() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/recommend.md");
    let doc = std::fs::read_to_string(path).expect("docs/recommend.md");
    for fw in Framework::ALL {
        let spec = fw.spec();
        let keys: Vec<String> = spec
            .since
            .iter()
            .map(|(k, v)| format!("`{k}` {} {v}+", spec.release))
            .collect();
        let keys = if keys.is_empty() {
            "none".to_string()
        } else {
            keys.join(", ")
        };
        let row = format!("| {} | {} | {keys} |", spec.name, spec.claims);
        assert!(doc.contains(&row), "docs/recommend.md lacks the row {row}");
    }
}
