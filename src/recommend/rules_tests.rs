//! The recommendation rules, case by case.

use super::*;
use crate::probe::Verdict;
use crate::recommend::hosting;

fn inputs() -> Inputs {
    Inputs {
        framework: Framework::Sqlalchemy,
        framework_version: None,
        server: ServerSide::default(),
        measured: None,
        declared_limit_s: None,
        hosting: None,
        topology: Topology {
            instances: Some(1),
            processes: Some(1),
            threads: Some(4),
            reserve: 10,
        },
        max_blob_bytes: None,
        request_timeout_s: 30,
    }
}

fn server(wait: u64, max: u64, others: u64) -> ServerSide {
    ServerSide {
        session_wait_timeout_s: Some(wait),
        max_connections: Some(max),
        other_connections: Some(others),
        other_count: None,
        max_user_connections: None,
        max_allowed_packet_bytes: Some(64 << 20),
    }
}

fn ids(f: &[crate::finding::Finding]) -> Vec<&str> {
    f.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn recycle_margin() {
    assert_eq!(recycle_for(300.0), 270);
    assert_eq!(recycle_for(28800.0), 25920);
    assert_eq!(recycle_for(90.0), 80);
    assert_eq!(recycle_for(50.0), 40);
    assert_eq!(recycle_for(11.0), 1);
    assert_eq!(recycle_for(5.0), 1);
    assert_eq!(recycle_for(350.0), 315);
}

#[test]
fn limit_is_the_smallest_source_and_says_which() {
    let mut i = inputs();
    i.server = server(28800, 151, 5);
    let r = recommend(&i);
    assert_eq!(
        r.limit.as_ref().unwrap().source,
        LimitSource::SessionWaitTimeout
    );
    assert_eq!(r.recycle_s, 25920);

    i.hosting = hosting::find("aws-nlb");
    let r = recommend(&i);
    assert_eq!(r.limit.as_ref().unwrap().source, LimitSource::Hosting);
    assert_eq!(r.recycle_s, 315);
    assert_eq!(r.candidates.len(), 2);
    assert!(
        r.reasons.recycle.contains("aws-nlb"),
        "{}",
        r.reasons.recycle
    );

    i.declared_limit_s = Some(300.0);
    let r = recommend(&i);
    assert_eq!(r.limit.as_ref().unwrap().source, LimitSource::Declared);
    assert_eq!(r.recycle_s, 270);

    i.measured = Some(Measured {
        lo_s: 120.0,
        hi_s: Some(125.0),
        silent: false,
        verdict: Verdict::Middlebox,
        keepalive_rescues: None,
    });
    let r = recommend(&i);
    assert_eq!(
        r.limit.as_ref().unwrap().source,
        LimitSource::MeasuredCutoff
    );
    assert_eq!(r.limit.as_ref().unwrap().seconds, 120.0);
    assert_eq!(r.recycle_s, 108);
}

#[test]
fn a_short_server_limit_wins_over_a_longer_middlebox() {
    let mut i = inputs();
    i.server = server(60, 151, 0);
    i.hosting = hosting::find("aws-nat-gateway");
    let r = recommend(&i);
    assert_eq!(r.limit.unwrap().seconds, 60.0);
    assert_eq!(r.recycle_s, 50);
}

#[test]
fn measured_with_nothing_surviving_uses_the_fatal_age() {
    let mut i = inputs();
    i.measured = Some(Measured {
        lo_s: 0.0,
        hi_s: Some(60.0),
        silent: false,
        verdict: Verdict::Middlebox,
        keepalive_rescues: None,
    });
    let r = recommend(&i);
    assert_eq!(r.limit.as_ref().unwrap().seconds, 60.0);
    assert!(r.limit.unwrap().detail.contains("may be lower"));
}

#[test]
fn measured_without_a_death_is_only_a_note() {
    let mut i = inputs();
    i.measured = Some(Measured {
        lo_s: 600.0,
        hi_s: None,
        silent: false,
        verdict: Verdict::None,
        keepalive_rescues: None,
    });
    let r = recommend(&i);
    assert!(r.limit.is_none());
    assert_eq!(r.recycle_s, recycle_for(28800.0));
    assert!(r.notes.iter().any(|n| n.contains("saw no connection die")));
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("assuming MySQL's default"))
    );
}

#[test]
fn rails_ignores_the_server_wait_timeout() {
    let mut i = inputs();
    i.framework = Framework::Rails;
    i.server = server(300, 151, 0);
    let r = recommend(&i);
    assert!(r.limit.is_none());
    assert!(r.notes.iter().any(|n| n.contains("2147483")));
    i.hosting = hosting::find("aws-nlb");
    assert_eq!(recommend(&i).recycle_s, 315);
}

#[test]
fn silent_paths_make_timeouts_essential() {
    let mut i = inputs();
    i.hosting = hosting::find("azure-lb");
    let r = recommend(&i);
    assert!(r.silent_drop);
    assert_eq!(r.recycle_s, 216);
    assert!(r.reasons.read_timeout.text.contains("essential"));
    assert!(r.reasons.read_timeout.text.contains("15 minutes"));
    assert_eq!(r.keepalive_idle_s, 60);
    let mut i = inputs();
    i.measured = Some(Measured {
        lo_s: 2.9,
        hi_s: Some(3.1),
        silent: true,
        verdict: Verdict::Middlebox,
        keepalive_rescues: None,
    });
    let r = recommend(&i);
    assert!(r.silent_drop);
    assert_eq!(r.keepalive_idle_s, 1);
    assert_eq!(r.recycle_s, 1);
    let mut i = inputs();
    i.hosting = hosting::find("pythonanywhere");
    let r = recommend(&i);
    assert!(!r.silent_drop);
    assert!(!r.reasons.read_timeout.text.contains("essential"));
}

#[test]
fn timeouts_follow_the_request_timeout() {
    let mut i = inputs();
    i.request_timeout_s = 60;
    let r = recommend(&i);
    assert_eq!(
        (r.read_timeout_s, r.write_timeout_s, r.checkout_timeout_s),
        (60, 60, 54)
    );
    i.request_timeout_s = 5;
    assert_eq!(recommend(&i).checkout_timeout_s, 4);
    i.request_timeout_s = 1;
    assert_eq!(recommend(&i).checkout_timeout_s, 1);
}

#[test]
fn pool_fits_the_budget() {
    let mut i = inputs();
    i.server = server(28800, 151, 10);
    i.topology = Topology {
        instances: Some(2),
        processes: Some(4),
        threads: Some(8),
        reserve: 10,
    };
    // budget 151 - 10 - 10 = 131; per process 131 / 8 = 16; overflow min(8, 16 - 8) = 8.
    let r = recommend(&i);
    assert_eq!(
        r.pool,
        PoolPlan::Fits {
            pool_size: 8,
            max_overflow: 8,
            worst_case_total: 128,
            budget: Some(131)
        }
    );
    // A tighter budget squeezes the overflow.
    i.server.max_connections = Some(100); // 80 -> 10 per process -> overflow 2
    match recommend(&i).pool {
        PoolPlan::Fits {
            max_overflow,
            worst_case_total,
            ..
        } => assert_eq!((max_overflow, worst_case_total), (2, 80)),
        other => panic!("{other:?}"),
    }
    // Exactly fits: no overflow.
    i.server.max_connections = Some(84); // 64 -> 8 per process
    match recommend(&i).pool {
        PoolPlan::Fits { max_overflow, .. } => assert_eq!(max_overflow, 0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn account_limit_caps_the_budget() {
    let mut i = inputs();
    i.server = server(28800, 151, 0);
    i.server.max_user_connections = Some(12);
    assert_eq!(budget(&i), Some(12));
    match recommend(&i).pool {
        PoolPlan::Fits {
            max_overflow,
            worst_case_total,
            ..
        } => assert_eq!((max_overflow, worst_case_total), (4, 8)),
        other => panic!("{other:?}"),
    }
    i.server.max_connections = None;
    assert_eq!(budget(&i), Some(12));
}

#[test]
fn budget_that_cannot_hold_the_topology_is_said_plainly() {
    let mut i = inputs();
    i.server = server(28800, 40, 5);
    i.server.max_user_connections = Some(30);
    i.topology = Topology {
        instances: Some(3),
        processes: Some(4),
        threads: Some(8),
        reserve: 10,
    };
    let r = recommend(&i);
    match &r.pool {
        PoolPlan::DoesNotFit {
            needed,
            budget,
            options,
        } => {
            assert_eq!((*needed, *budget), (96, 25));
            assert!(options.iter().any(|o| o.contains("fewer workers")));
            assert!(
                options
                    .iter()
                    .any(|o| o.contains("raise max_connections (now 40)"))
            );
            assert!(options.iter().any(|o| o.contains("ProxySQL")));
            assert!(
                options
                    .iter()
                    .any(|o| o.contains("MAX_USER_CONNECTIONS (now 30)"))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ids(&r.findings), vec!["pool-budget-exceeded"]);
    assert_eq!(r.findings[0].severity, Severity::Crit);
}

#[test]
fn no_server_facts_means_no_overflow() {
    let r = recommend(&inputs());
    assert_eq!(
        r.pool,
        PoolPlan::Fits {
            pool_size: 4,
            max_overflow: 0,
            worst_case_total: 4,
            budget: None
        }
    );
    assert!(
        r.reasons
            .pool
            .as_ref()
            .unwrap()
            .max_overflow
            .contains("no server facts")
    );
}

#[test]
fn packet_limits() {
    let mut i = inputs();
    i.server = server(28800, 151, 0);
    i.server.max_allowed_packet_bytes = Some(4 << 20);
    i.max_blob_bytes = Some(8 << 20);
    let r = recommend(&i);
    assert_eq!(
        ids(&r.findings),
        vec![
            "max-allowed-packet-below-blob",
            "max-allowed-packet-below-driver-default"
        ]
    );
    i.framework = Framework::Hikaricp; // no documented driver default to compare with
    i.max_blob_bytes = Some(1 << 20);
    assert!(recommend(&i).findings.is_empty());
    i.framework = Framework::Go;
    i.server.max_allowed_packet_bytes = Some(16 << 20);
    assert_eq!(
        ids(&recommend(&i).findings),
        vec!["max-allowed-packet-below-driver-default"]
    );
}

#[test]
fn framework_notes() {
    let mut i = inputs();
    assert!(recommend(&i).notes.iter().any(|n| n.contains("after fork")));
    assert!(
        recommend(&i)
            .notes
            .iter()
            .any(|n| n.contains("one session per request"))
    );
    i.framework = Framework::FlaskSqlalchemy;
    assert!(recommend(&i).notes.iter().any(|n| n.contains("7200")));
    i.framework = Framework::Django;
    assert!(recommend(&i).notes.iter().any(|n| n.contains("no pool")));
}

fn current(
    recycle: Option<f64>,
    pre_ping: bool,
    read: Option<f64>,
    per_process: Option<u64>,
) -> Current {
    Current {
        recycle_s: recycle,
        idle_timeout_s: None,
        pre_ping,
        read_timeout_s: read,
        max_per_process: per_process,
    }
}

#[test]
fn check_flags_each_unsafe_value() {
    let mut i = inputs();
    i.hosting = hosting::find("pythonanywhere");
    i.server = server(28800, 151, 0);
    let r = recommend(&i);
    let keys = Framework::Sqlalchemy.spec().check_names.clone();
    // pool_recycle=3600 on a 300 s path (SQLAlchemy's default: no pre-ping).
    let f = check(&current(Some(3600.0), false, None, Some(15)), &r, &i, &keys);
    assert_eq!(ids(&f), vec!["recycle-at-or-above-limit", "pre-ping-off"]);
    assert!(f[0].message.contains("pool_recycle") && f[0].message.contains("270"));
    // pool_recycle=270, pool_pre_ping=true: safe.
    assert!(check(&current(Some(270.0), true, None, Some(15)), &r, &i, &keys).is_empty());
    // Never recycling is unsafe; exactly at the limit too.
    assert_eq!(
        ids(&check(&current(None, true, None, Some(15)), &r, &i, &keys)),
        vec!["recycle-at-or-above-limit"]
    );
    assert_eq!(
        ids(&check(
            &current(Some(300.0), true, None, Some(15)),
            &r,
            &i,
            &keys
        )),
        vec!["recycle-at-or-above-limit"]
    );
    // An idle timeout below the limit is enough even with a long max age.
    let mut c = current(Some(3600.0), true, None, Some(15));
    c.idle_timeout_s = Some(200.0);
    assert!(check(&c, &r, &i, &keys).is_empty());
}

#[test]
fn check_read_timeout_only_matters_on_silent_paths() {
    let mut i = inputs();
    i.hosting = hosting::find("azure-lb");
    let r = recommend(&i);
    let keys = Framework::Sqlalchemy.spec().check_names.clone();
    let f = check(&current(Some(200.0), true, None, Some(4)), &r, &i, &keys);
    assert_eq!(ids(&f), vec!["read-timeout-missing-silent-drop"]);
    assert!(
        check(
            &current(Some(200.0), true, Some(30.0), Some(4)),
            &r,
            &i,
            &keys
        )
        .is_empty()
    );
    assert_eq!(
        ids(&check(
            &current(Some(200.0), true, Some(3600.0), Some(4)),
            &r,
            &i,
            &keys
        )),
        vec!["read-timeout-missing-silent-drop"]
    );
}

#[test]
fn check_pool_totals_against_the_budget() {
    let mut i = inputs();
    i.server = server(28800, 40, 5); // budget 25
    i.topology.processes = Some(2);
    let r = recommend(&i);
    let keys = Framework::Sqlalchemy.spec().check_names.clone();
    let f = check(&current(Some(100.0), true, None, Some(15)), &r, &i, &keys);
    assert_eq!(ids(&f), vec!["pool-total-exceeds-budget"]);
    assert!(check(&current(Some(100.0), true, None, Some(12)), &r, &i, &keys).is_empty());
    assert_eq!(
        ids(&check(
            &current(Some(100.0), true, None, None),
            &r,
            &i,
            &keys
        )),
        vec!["pool-total-exceeds-budget"]
    );
    // Without server facts there is no budget to exceed.
    let i2 = inputs();
    let r2 = recommend(&i2);
    assert!(check(&current(Some(100.0), true, None, None), &r2, &i2, &keys).is_empty());
}

#[test]
fn reasons_are_the_same_list_in_json() {
    let mut i = inputs();
    i.hosting = hosting::find("azure-lb");
    let r = recommend(&i);
    let json = serde_json::to_value(&r.reasons).unwrap();
    let settings: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["setting"].as_str().unwrap())
        .collect();
    assert_eq!(
        settings,
        [
            "recycle",
            "pre_ping",
            "read_timeout",
            "write_timeout",
            "keepalive",
            "connect_timeout",
            "checkout_timeout",
            "pool_size",
            "max_overflow"
        ]
    );
    assert_eq!(json[0]["reason"].as_str(), Some(r.reasons.recycle.as_str()));
    let back: Reasons = serde_json::from_value(json).unwrap();
    assert_eq!(back, r.reasons);
    // No pool numbers, no pool reasons.
    i.server.max_connections = Some(5);
    i.topology.threads = Some(50);
    let r = recommend(&i);
    assert!(r.reasons.pool.is_none());
    let json = serde_json::to_string(&r.reasons).unwrap();
    assert!(!json.contains("pool_size"), "{json}");
    assert_eq!(serde_json::from_str::<Reasons>(&json).unwrap(), r.reasons);
}

/// A limit too short for the usual margin gets a reason that says so, not
/// "by 10% (at least 10 s)" next to a 1 s recycle (#12).
#[test]
fn recycle_reason_says_the_margin_it_has() {
    let reason = |limit: f64| recycle_reason(limit, recycle_for(limit), "x");
    assert_eq!(
        reason(300.0),
        "270 s: below the 300 s idle limit (x) by 10% (at least 10 s)"
    );
    assert!(reason(50.0).contains("by 10% (at least 10 s)"));
    let short = reason(3.0);
    assert!(!short.contains("by 10%"), "{short}");
    assert!(
        short.starts_with("1 s: 2 s below the 3 s idle limit (x); the usual margin"),
        "{short}"
    );
    assert!(reason(39.7).starts_with("29 s: below the 39.7 s idle limit"));
    assert!(reason(0.5).contains("not below the 0.5 s idle limit"));
    for tenths in 1..5000 {
        let limit = f64::from(tenths) / 10.0;
        let r = reason(limit);
        assert_eq!(
            r.contains("by 10% (at least 10 s)"),
            limit - recycle_for(limit) as f64 >= (limit * 0.1).max(10.0) - 1e-6,
            "{r}"
        );
    }
}

/// The measured interval keeps its tenths: "survived 39.7 s and died by
/// 40.2 s", not "survived 40 s and died by 40 s" (#12).
#[test]
fn measured_detail_shows_the_interval() {
    let mut i = inputs();
    i.measured = Some(Measured {
        lo_s: 39.7,
        hi_s: Some(40.2),
        silent: true,
        verdict: Verdict::Middlebox,
        keepalive_rescues: None,
    });
    let r = recommend(&i);
    let detail = &r.limit.as_ref().unwrap().detail;
    assert!(
        detail.contains("survived 39.7 s and died by 40.2 s idle"),
        "{detail}"
    );
    assert!(
        r.reasons.recycle.contains("39.7 s idle limit"),
        "{}",
        r.reasons.recycle
    );
}

/// Without --threads the framework's own pool size stays: no pool numbers
/// from the budget (Flask-SQLAlchemy's 5 + 10 is not cut to 1 + 0) (#12).
#[test]
fn no_threads_keeps_the_framework_default_pool() {
    let mut i = inputs();
    i.topology = Topology {
        instances: None,
        processes: None,
        threads: None,
        reserve: 10,
    };
    i.framework = Framework::FlaskSqlalchemy;
    let r = recommend(&i);
    assert_eq!(
        r.pool,
        PoolPlan::FrameworkDefault {
            per_process: Some(15),
            worst_case_total: Some(15),
            budget: None
        }
    );
    assert_eq!(r.reasons.pool, None);
    i.server = server(28800, 151, 5);
    i.topology.processes = Some(4);
    let mut ran = Vec::new();
    let r = recommend_noting(&i, &mut ran);
    assert_eq!(
        r.pool,
        PoolPlan::FrameworkDefault {
            per_process: Some(15),
            worst_case_total: Some(60),
            budget: Some(136)
        }
    );
    assert!(r.findings.is_empty());
    assert!(!ran.contains(&"pool-budget-exceeded"));
    // With --threads, the budget sizes it as before.
    i.topology.threads = Some(8);
    assert!(matches!(
        recommend(&i).pool,
        PoolPlan::Fits { pool_size: 8, .. }
    ));
}

/// The note says how other clients were counted, and when the process list
/// could not show other accounts (no PROCESS) (#12).
#[test]
fn other_clients_note_says_how_they_were_counted() {
    let mut i = inputs();
    i.server = server(28800, 151, 2);
    i.server.other_count = Some(OtherCount {
        threads_connected: 30,
        account: "app".into(),
        account_idle: 27,
        all_accounts_visible: false,
    });
    let r = recommend(&i);
    let note = r
        .notes
        .iter()
        .find(|n| n.starts_with("other clients:"))
        .expect("a note on other clients");
    assert!(note.contains("2 connections"), "{note}");
    assert!(
        note.contains("27 idle ones of the app's account 'app'"),
        "{note}"
    );
    assert!(note.contains("without the PROCESS privilege"), "{note}");
    assert_eq!(budget(&i), Some(151 - 10 - 2));
}

/// Rails raises its session wait_timeout to 2147483, so a probe that the
/// server's wait_timeout ended may hide a middlebox: the note says so and
/// gives the probe to run (#12).
#[test]
fn rails_says_when_a_server_limit_hides_a_middlebox() {
    let mut i = inputs();
    i.framework = Framework::Rails;
    i.measured = Some(Measured {
        lo_s: 59.5,
        hi_s: Some(60.5),
        silent: false,
        verdict: Verdict::Server,
        keepalive_rescues: None,
    });
    let r = recommend(&i);
    assert!(
        r.notes.iter().any(|n| n.contains("may hide a middlebox")
            && n.contains("poolcheck probe --session-wait-timeout 2147483")),
        "{:?}",
        r.notes
    );
    i.measured.as_mut().unwrap().verdict = Verdict::Middlebox;
    assert!(!recommend(&i).notes.iter().any(|n| n.contains("may hide")));
    i.framework = Framework::Sqlalchemy;
    i.measured.as_mut().unwrap().verdict = Verdict::Server;
    assert!(!recommend(&i).notes.iter().any(|n| n.contains("may hide")));
}

#[test]
fn keepalive_is_advised_by_the_kind_of_limit() {
    let mut i = inputs();
    // The server's wait_timeout: keepalive does not reset it.
    i.server.session_wait_timeout_s = Some(300);
    let r = recommend(&i);
    assert!(
        r.reasons
            .keepalive
            .contains("does not keep connections alive here"),
        "{}",
        r.reasons.keepalive
    );
    // A flow-level limit measured by the probe's control group.
    i.server.session_wait_timeout_s = None;
    i.measured = Some(Measured {
        lo_s: 100.0,
        hi_s: Some(101.0),
        silent: true,
        verdict: Verdict::Middlebox,
        keepalive_rescues: Some(true),
    });
    let r = recommend(&i);
    assert!(
        r.reasons.keepalive.contains("flow-level"),
        "{}",
        r.reasons.keepalive
    );
    assert!(
        r.reasons.keepalive.contains("essential"),
        "{}",
        r.reasons.keepalive
    );
    // A protocol-level middlebox: its control group died too.
    i.measured.as_mut().unwrap().keepalive_rescues = Some(false);
    let r = recommend(&i);
    assert!(
        r.reasons
            .keepalive
            .contains("does not keep connections alive here"),
        "{}",
        r.reasons.keepalive
    );
    assert!(
        !r.reasons.keepalive.contains("essential"),
        "{}",
        r.reasons.keepalive
    );
    // A hosting preset carries its layer.
    i.measured = None;
    i.hosting = hosting::find("aws-nlb");
    assert!(recommend(&i).reasons.keepalive.contains("flow-level"));
    i.hosting = hosting::find("pythonanywhere");
    assert!(
        recommend(&i)
            .reasons
            .keepalive
            .contains("does not keep connections alive here")
    );
}

/// Every preset's layer decides the keepalive advice: flow-level ones get
/// TCP keepalive (and the snippets set it), server- and protocol-level ones
/// get the reason it cannot help (and no keepalive value); a preset without a
/// number gives its layer to --idle-limit.
#[test]
fn each_presets_layer_decides_the_keepalive_advice() {
    use crate::recommend::frameworks::{self, Deployment};
    use hosting::LimitLayer::{Flow, Protocol};
    let expected = [
        ("pythonanywhere", Protocol, Some(300)),
        ("aws-nlb", Flow, Some(350)),
        ("aws-nat-gateway", Flow, Some(350)),
        ("aws-network-firewall", Flow, Some(350)),
        ("aws-rds-proxy", Protocol, Some(1800)),
        ("azure-lb", Flow, Some(240)),
        ("azure-mysql", Protocol, None),
        ("gcp-cloud-nat", Flow, Some(1200)),
        ("gcp-cloud-sql", Protocol, None),
        ("cleardb", Protocol, Some(90)),
        ("proxysql", Protocol, Some(28800)),
        ("haproxy", Protocol, None),
        ("k8s-conntrack", Flow, Some(86400)),
    ];
    assert_eq!(hosting::PRESETS.len(), expected.len());
    for (name, layer, limit_s) in expected {
        let p = hosting::find(name).unwrap();
        assert_eq!((p.layer, p.limit_s), (layer, limit_s), "{name}");
        let mut i = inputs();
        i.hosting = Some(p);
        if limit_s.is_none() {
            // No number: a note says so, and --idle-limit takes the layer.
            let r = recommend(&i);
            assert!(r.limit.is_none(), "{name}");
            assert!(
                r.notes
                    .iter()
                    .any(|n| n.contains(name) && n.contains("no idle limit")),
                "{name}: {:?}",
                r.notes
            );
            i.declared_limit_s = Some(120.0);
        }
        let r = recommend(&i);
        let helps = r.tcp_keepalive_helps();
        assert_eq!(helps, Some(layer == Flow), "{name}");
        let node = frameworks::render(
            Framework::NodeMysql2,
            &r,
            &Deployment {
                topology: i.topology,
                version: None,
            },
        );
        let sets = node
            .settings
            .iter()
            .any(|s| s.key == "keepAliveInitialDelay");
        match layer {
            Flow => {
                assert!(r.reasons.keepalive.contains("flow-level"), "{name}");
                assert!(sets, "{name}: {}", node.snippet);
            }
            Protocol => {
                assert!(
                    r.reasons
                        .keepalive
                        .contains("does not keep connections alive here"),
                    "{name}"
                );
                assert!(!sets, "{name}: {}", node.snippet);
                assert!(
                    node.snippet
                        .contains("keepAliveInitialDelay: not set - TCP keepalive does not"),
                    "{name}: {}",
                    node.snippet
                );
                let sa = frameworks::render(
                    Framework::Sqlalchemy,
                    &r,
                    &Deployment {
                        topology: i.topology,
                        version: None,
                    },
                );
                assert!(!sa.snippet.contains("sysctl"), "{name}: {}", sa.snippet);
            }
        }
    }
}

/// A host-wide keepalive time below 30 s is never given without saying what
/// else it changes.
#[test]
fn a_short_host_wide_keepalive_says_what_else_it_affects() {
    use crate::recommend::frameworks::{self, Deployment};
    let mut i = inputs();
    i.declared_limit_s = Some(20.0);
    let r = recommend(&i);
    assert_eq!(r.keepalive_idle_s, 10);
    let sa = frameworks::render(
        Framework::Sqlalchemy,
        &r,
        &Deployment {
            topology: i.topology,
            version: None,
        },
    );
    let line = sa
        .snippet
        .lines()
        .find(|l| l.contains("tcp_keepalive_time=10"))
        .expect("the sysctl");
    assert!(line.contains("every socket there"), "{line}");
    assert!(line.contains("below 30 s"), "{line}");
}

/// HikariCP cannot hold an idle limit of 31 s or less (maxLifetime's 30 s
/// minimum): a finding, crit where the path drops silently (the proof's
/// requests fail there), warn where it closes flows (validation replaces
/// them); exactly where the snippet says the limit is too short.
#[test]
fn a_limit_too_short_for_hikaricp_is_a_finding() {
    let find = |i: &Inputs| {
        let mut ran = Vec::new();
        let r = recommend_noting(i, &mut ran);
        assert!(ran.contains(&"idle-limit-too-short-for-framework"));
        r.findings
            .into_iter()
            .find(|f| f.id == "idle-limit-too-short-for-framework")
    };
    let mut i = inputs();
    i.framework = Framework::Hikaricp;
    i.measured = Some(Measured {
        lo_s: 3.0,
        hi_s: Some(4.0),
        silent: true,
        verdict: Verdict::Middlebox,
        keepalive_rescues: None,
    });
    let f = find(&i).expect("a finding at 3 s");
    assert_eq!(f.severity, Severity::Crit, "{f:?}");
    assert_eq!(f.evidence["limit_s"], 3.0);
    assert_eq!(f.evidence["shortest_limit_s"], 31.0);
    assert_eq!(f.evidence["silent_drop"], true);
    assert!(
        f.message.contains("too short for hikaricp"),
        "{}",
        f.message
    );
    assert!(f.message.contains("connectionTimeout"), "{}", f.message);

    for (limit, expected) in [(31.0, Some(Severity::Warn)), (31.5, None), (40.0, None)] {
        let mut i = inputs();
        i.framework = Framework::Hikaricp;
        i.declared_limit_s = Some(limit);
        assert_eq!(find(&i).map(|f| f.severity), expected, "{limit}");
    }
    // Other frameworks recycle below 31 s: no finding.
    let mut i = inputs();
    i.declared_limit_s = Some(3.0);
    assert_eq!(find(&i), None);

    // The finding and the snippet's warning agree at every limit.
    for tenths in 10..600 {
        let mut i = inputs();
        i.framework = Framework::Hikaricp;
        i.declared_limit_s = Some(tenths as f64 / 10.0);
        let r = recommend(&i);
        let app = crate::recommend::frameworks::Deployment {
            topology: i.topology,
            version: None,
        };
        let cfg = crate::recommend::frameworks::render(Framework::Hikaricp, &r, &app);
        let warns = cfg.snippet.contains("too short for HikariCP");
        let found = ids(&r.findings).contains(&"idle-limit-too-short-for-framework");
        assert_eq!(warns, found, "{tenths} tenths: {}", cfg.snippet);
    }
}
