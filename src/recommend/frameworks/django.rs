//! Django (its MySQL backend on mysqlclient, or on PyMySQL installed as
//! MySQLdb): `DATABASES["default"]` with CONN_MAX_AGE,
//! CONN_HEALTH_CHECKS and the driver OPTIONS timeouts. Django has no pool:
//! each thread holds its own connection, so the topology is the pool.

use super::common::{Note, Out, and, does_not_fit_lines, footer, header};
use super::parse::{self, Bare};
use super::sqlalchemy::keepalive_note;
use crate::recommend::model::{Current, PoolPlan, Recommendation, Topology};
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec, Version};
#[cfg(test)]
use super::tests::Samples;
use crate::drivers;

/// Settings keys, then the `OPTIONS` keys mysqlclient takes.
pub(super) const KEYS: &[&str] = &[
    "CONN_MAX_AGE",
    "CONN_HEALTH_CHECKS",
    "connect_timeout",
    "read_timeout",
    "write_timeout",
];

const PREFIXES: &[&str] = &["OPTIONS."];

/// The rules' notes for Django.
const NO_POOL_NOTE: &str = "Django keeps one connection per thread and has no pool: the budget must hold processes x threads";
const ASGI_NOTE: &str = "with ASGI, keep persistent connections off (CONN_MAX_AGE = 0)";

/// Django opens one connection per thread per process: that is the number
/// to hold against the budget, whatever pool numbers the plan chose.
fn connection_lines(rec: &Recommendation, t: &Topology) -> Vec<String> {
    if let PoolPlan::DoesNotFit { .. } = rec.pool {
        return does_not_fit_lines(rec, t);
    }
    let budget = match rec.pool {
        PoolPlan::Fits {
            budget: Some(b), ..
        }
        | PoolPlan::FrameworkDefault {
            budget: Some(b), ..
        } => Some(b),
        _ => None,
    };
    let Some(threads) = t.threads else {
        return vec![format!(
            "Django has no pool: each thread keeps its own connection, so instances x processes x threads connections{}; give --threads (and --processes, --instances) to check that",
            budget.map_or(String::new(), |b| format!(" must fit the budget of {b}"))
        )];
    };
    let total = t.instances() * t.processes() * threads;
    let verdict = match budget {
        Some(b) if total > b => {
            format!("; that exceeds the budget of {b}: run fewer processes or threads")
        }
        Some(b) => format!(", within the budget of {b}"),
        None => "; no budget known (no server facts to size against)".to_string(),
    };
    vec![format!(
        "Django has no pool: each thread keeps its own connection, so up to {} instances x {} processes x {} threads = {total} connections{verdict}",
        t.instances(),
        t.processes(),
        threads
    )]
}

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let topology = &app.topology;
    let mut out = Out::new(app, Framework::Django);
    header(&mut out, rec, connection_lines(rec, topology));
    out.code("DATABASES = {");
    out.code("    \"default\": {");
    out.code("        \"ENGINE\": \"django.db.backends.mysql\",");
    out.comment("        ", "NAME, USER, PASSWORD, HOST, PORT as before");
    let max_age = rec.recycle_s;
    out.set(
        "        ",
        &and(
            rec.reasons.recycle.clone(),
            "Django closes a connection older than this when a request starts or ends (default 0: after every request; None: never)",
        ),
        format!("        \"CONN_MAX_AGE\": {max_age},"),
        "CONN_MAX_AGE",
        max_age,
    );
    let health = if rec.pre_ping { "True" } else { "False" };
    out.set(
        "        ",
        &and(
            rec.reasons.pre_ping.clone(),
            "Django 4.1+, once per request (default False)",
        ),
        format!("        \"CONN_HEALTH_CHECKS\": {health},"),
        "CONN_HEALTH_CHECKS",
        rec.pre_ping,
    );
    out.code("        \"OPTIONS\": {");
    let options = super::common::driver_timeouts(
        rec,
        "mysqlclient, or PyMySQL as MySQLdb; default: no timeout",
    );
    for (key, value, why) in options {
        out.set(
            "            ",
            &why,
            format!("            \"{key}\": {value},"),
            key,
            value,
        );
    }
    out.code("        },");
    out.code("    },");
    out.code("}");
    let notes: Vec<Note> = vec![
        ("", keepalive_note(
            rec,
            "neither mysqlclient nor PyMySQL (as MySQLdb, via pymysql.install_as_MySQLdb()) can set it",
        )),
        ("", "CONN_MAX_AGE = 0 (the default) is also safe - a new connection per request - at the cost of a connect per request.".to_string()),
        ("close_old_connections", "Outside requests (management commands, task workers) Django does not recycle connections: call django.db.close_old_connections() before each unit of work.".to_string()),
        ("ASGI", "Under ASGI, Django's docs say to disable persistent connections (CONN_MAX_AGE = 0).".to_string()),
    ];
    footer(&mut out, rec, &notes);
    out.finish()
}

pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(Framework::Django, pairs, KEYS, PREFIXES)?;
    // CONN_MAX_AGE: 0 (default) closes after each request, None never closes.
    let recycle_s = match given.get("CONN_MAX_AGE") {
        None => Some(0.0),
        Some(v) if parse::is_none_word(v) => None,
        Some(v) => Some(parse::non_negative("CONN_MAX_AGE", v, Bare::Seconds)?),
    };
    let health_checks = match given.get("CONN_HEALTH_CHECKS") {
        None => false,
        Some(v) => parse::boolean("CONN_HEALTH_CHECKS", v)?,
    };
    // With CONN_MAX_AGE = 0 no connection is ever reused, so none can be
    // handed out stale: that is as safe as a check before use.
    let pre_ping = health_checks || recycle_s == Some(0.0);
    let mut read_timeout_s = None;
    for key in ["connect_timeout", "read_timeout", "write_timeout"] {
        let Some(v) = given.get(key) else { continue };
        // mysqlclient treats 0 as "not set".
        let secs = parse::optional_secs(key, v)?;
        if key == "read_timeout" {
            read_timeout_s = secs;
        }
    }
    Ok(Current {
        recycle_s,
        idle_timeout_s: None,
        pre_ping,
        read_timeout_s,
        // One connection per thread: bounded by the server's threads, which
        // --check does not know, not by any Django setting.
        max_per_process: None,
    })
}

/// What `poolcheck explain` tells django users.
pub(super) const ADVICE: Advice = Advice {
    layers: &["django"],
    lifetime: "CONN_MAX_AGE",
    idle_check: "CONN_MAX_AGE=<current>,CONN_HEALTH_CHECKS=<current>",
    pool_check: "CONN_MAX_AGE=<current>",
    idle_fix: &[
                    "DATABASES[\"default\"][\"CONN_MAX_AGE\"] = ${recycle} (below ${limit_desc}; 0, a new connection per request, is also safe)",
                    "DATABASES[\"default\"][\"CONN_HEALTH_CHECKS\"] = True (Django 4.1+): a reused connection is checked before the request uses it",
                    "DATABASES[\"default\"][\"OPTIONS\"] = {\"read_timeout\": 30, \"write_timeout\": 30} (mysqlclient)",
                    "outside requests (management commands, Celery tasks, your own threads) call django.db.close_old_connections() before each unit of work: Django recycles connections only when a request starts or ends",
                ],
    pool_fix: &[],
    capacity_fix: &[
                    "Django has no pool for MySQL: every thread of every process keeps its own connection, so instances x processes x threads must fit max_connections; fewer threads, or CONN_MAX_AGE = 0",
                ],
    packet_fix: &[],
    pool_checks: &[],
};

pub(super) const SPEC: Spec = Spec {
    name: "django",
    aliases: &[],
    language: "python",
    comment: "#",
    check_keys: KEYS,
    check_units: "seconds; CONN_MAX_AGE=None means forever, 0 closes per request",
    check_names: CheckKeys {
        recycle: "CONN_MAX_AGE",
        pre_ping: "CONN_HEALTH_CHECKS",
        read_timeout: "read_timeout",
    },
    notes: &[NO_POOL_NOTE, ASGI_NOTE],
    driver: Some(&drivers::PYMYSQL),
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: None,
        text: "no pool",
        sizing: "fewer threads or processes if they do not fit",
    },
    release: "Django",
    claims: "Django 4.1+ (CONN_HEALTH_CHECKS), on mysqlclient or PyMySQL as MySQLdb",
    since: &[("CONN_HEALTH_CHECKS", Version::minor(4, 1))],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "\"CONN_MAX_AGE\": 270,",
            "\"CONN_HEALTH_CHECKS\": True,",
            "\"connect_timeout\": 10,",
            "\"read_timeout\": 30,",
            "\"write_timeout\": 30,",
            "Django has no pool",
            "2 instances x 4 processes x 8 threads = 64 connections, within the budget of 141",
        ],
        pool_code: &[],
        pre_ping: true,
        read_timeout: true,
    },
};
