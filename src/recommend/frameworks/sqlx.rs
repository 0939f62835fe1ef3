//! Rust sqlx: a `MySqlPoolOptions` builder chain; and `--check` in the
//! builder's method names, durations in seconds.

use super::common::{Out, and, footer, header, limit_s, pool_lines, pool_numbers, secs, untagged};
use super::parse::{self, Bare};
use crate::recommend::model::{Current, Recommendation};
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec};
#[cfg(test)]
use super::tests::Samples;

pub(super) const KEYS: &[&str] = &[
    "max_connections",
    "min_connections",
    "max_lifetime",
    "idle_timeout",
    "acquire_timeout",
    "test_before_acquire",
];

const PREFIXES: &[&str] = &["."];

/// sqlx 0.8 and 0.9 (`sqlx-core/src/pool/inner.rs` at 0.8.6 and 0.9.0, the
/// crates.io releases): `spawn_maintenance_tasks` reaps idle connections every
/// `min(max_lifetime, idle_timeout)`, and `check_idle_conn` at acquire only
/// pings (and runs `before_acquire`); it checks neither idle time nor age. So
/// a connection can sit idle for idle_timeout + that period: with both at
/// the recycle time, twice the recycle time. Half the recycle time for
/// idle_timeout (max_lifetime staying at the recycle time) keeps the
/// longest idle time at most the recycle time.
pub(super) fn idle_timeout_for(recycle_s: u64) -> u64 {
    (recycle_s / 2).max(1)
}

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let topology = &app.topology;
    let mut out = Out::new(app, Framework::Sqlx);
    header(&mut out, rec, pool_lines(rec, topology, Framework::Sqlx));
    out.code("use sqlx::mysql::MySqlPoolOptions;");
    out.code("use std::time::Duration;");
    out.blank();
    out.code("let pool = MySqlPoolOptions::new()");
    match pool_numbers(rec) {
        Some(pool) => {
 let (size, overflow) = (pool.size, pool.overflow);
            let max = size + overflow;
            out.set(
                "    ",
                &and(pool.total_reason(), "default 10"),
                format!("    .max_connections({max})"),
                "max_connections",
                max,
            );
        }
        None => out.no_pool_numbers("    ", rec),
    }
    out.set(
        "    ",
        "the default: no connections opened just to stand idle (with a minimum, sqlx reopens each one idle_timeout reaps)",
        "    .min_connections(0)",
        "min_connections",
        0,
    );
    let r = rec.recycle_s;
    let idle = idle_timeout_for(r);
    let period = idle.min(r);
    out.set(
        "    ",
        &and(
            rec.reasons.recycle.clone(),
            "default 30 min",
        ),
        format!("    .max_lifetime(Duration::from_secs({r}))"),
        "max_lifetime",
        r,
    );
    let longest = idle + period;
    let bound = match limit_s(rec) {
        Some(limit) if (longest as f64) < limit => {
            format!("{longest} s, below the {} s limit", secs(limit))
        }
        Some(limit) => format!(
            "{longest} s, not below the {} s limit: a limit this short is too short for sqlx's reaper",
            secs(limit)
        ),
        None => format!("{longest} s"),
    };
    let lead = if idle * 2 <= r {
        "half the recycle time".to_string()
    } else {
        format!("{idle} s, the shortest in whole seconds")
    };
    out.set(
        "    ",
        &format!(
            "{lead}: sqlx closes idle connections only when its reaper runs, every min(idle_timeout, max_lifetime) = {period} s, and acquire checks neither idle time nor age, so a connection can sit idle up to idle_timeout + {period} = {bound} (default 10 min)"
        ),
        format!("    .idle_timeout(Duration::from_secs({idle}))"),
        "idle_timeout",
        idle,
    );
    let acquire = rec.checkout_timeout_s;
    let acquire_reason = and(
        rec.reasons.checkout_timeout.clone(),
        "sqlx runs the whole acquire in this timeout, connecting and the test ping included, which have no timeouts of their own (default 30 s)",
    );
    let acquire_reason = if rec.silent_drop {
        format!(
            "{acquire_reason}; essential on this path: a ping on a silently dropped connection hangs until this fires"
        )
    } else {
        acquire_reason
    };
    out.set(
        "    ",
        &acquire_reason,
        format!("    .acquire_timeout(Duration::from_secs({acquire}))"),
        "acquire_timeout",
        acquire,
    );
    out.set(
        "    ",
        &and(
            rec.reasons.pre_ping.clone(),
            "default true",
        ),
        format!("    .test_before_acquire({})", rec.pre_ping),
        "test_before_acquire",
        rec.pre_ping,
    );
    out.code("    .connect(&database_url)");
    out.code("    .await?;");
    let hang = if rec.silent_drop {
        " - essential on this path, where a query on a dropped connection otherwise hangs ~15 minutes"
    } else {
        ""
    };
    let notes = vec![
        format!(
            "No read or write timeout: sqlx's MySQL driver has none; wrap queries in tokio::time::timeout(Duration::from_secs({}), ...){hang}. It bounds a query on a connection that dies in use; idle connections are kept safe by max_lifetime and idle_timeout, not by it (the proof app holds without it).",
            rec.read_timeout_s
        ),
        "No TCP keepalive: sqlx does not turn it on for its sockets, so the host's keepalive settings do not apply either; max_lifetime and idle_timeout below the limit are what keep idle connections safe.".to_string(),
    ];
    footer(&mut out, rec, &untagged(notes));
    out.finish()
}

/// A duration in seconds (bare) or with a unit; none/null for `None`.
fn optional(key: &str, value: &str) -> Result<Option<f64>, String> {
    if parse::is_none_word(value) {
        return Ok(None);
    }
    parse::non_negative(key, value, Bare::Seconds).map(Some)
}

pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(Framework::Sqlx, pairs, KEYS, PREFIXES)?;
    let recycle_s = match given.get("max_lifetime") {
        None => Some(1800.0),
        Some(v) => optional("max_lifetime", v)?,
    };
    let idle_timeout_s = match given.get("idle_timeout") {
        None => Some(600.0),
        Some(v) => optional("idle_timeout", v)?,
    };
    let pre_ping = match given.get("test_before_acquire") {
        None => true,
        Some(v) => parse::boolean("test_before_acquire", v)?,
    };
    let max = match given.get("max_connections") {
        None => 10,
        Some(v) => parse::count("max_connections", v)?,
    };
    if let Some(v) = given.get("min_connections") {
        parse::count("min_connections", v)?;
    }
    if let Some(v) = given.get("acquire_timeout") {
        parse::non_negative("acquire_timeout", v, Bare::Seconds)?;
    }
    Ok(Current {
        recycle_s,
        idle_timeout_s,
        pre_ping,
        // sqlx's MySQL driver has no read timeout.
        read_timeout_s: None,
        max_per_process: Some(max),
    })
}

/// What `poolcheck explain` tells sqlx users.
pub(super) const ADVICE: Advice = Advice {
    layers: &["sqlx"],
    lifetime: "max_lifetime",
    idle_check: "max_lifetime=<current>,idle_timeout=<current>",
    pool_check: "max_connections=<current>,acquire_timeout=<current>",
    idle_fix: &[
                    "MySqlPoolOptions::new().max_lifetime(Duration::from_secs(${recycle})).idle_timeout(Duration::from_secs(${recycle_half})).test_before_acquire(true): below ${limit_desc}; idle_timeout is half of it because sqlx reaps idle connections only every min(idle_timeout, max_lifetime) and does not check idle time at acquire",
                    "wrap queries in tokio::time::timeout(Duration::from_secs(30), ...): sqlx's MySQL driver has no read timeout",
                ],
    pool_fix: &[
                    "max_connections at least the tasks that hold a connection at once; do not keep a PoolConnection or Transaction across slow awaits",
                    "PoolTimedOut also means connecting failed for the whole acquire_timeout: check the database is reachable (poolcheck inspect)",
                ],
    capacity_fix: &["max_connections per process so the sum fits the server's max_connections"],
    packet_fix: &[],
    pool_checks: &[
                "pool.size() and pool.num_idle() while it happens: all busy means load or held connections",
            ],
};

pub(super) const SPEC: Spec = Spec {
    name: "sqlx",
    aliases: &[],
    language: "rust",
    comment: "//",
    check_keys: KEYS,
    check_units: "seconds (or 10m, 1h); None means never",
    check_names: CheckKeys {
        recycle: "max_lifetime",
        pre_ping: "test_before_acquire",
        read_timeout: "read timeout",
    },
    notes: &[],
    driver: None,
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: Some(10),
        text: "max_connections(10)",
        sizing: "max_connections to the tasks per process that hold a connection at once",
    },
    release: "sqlx",
    claims: "sqlx 0.8 and 0.9 (pool/inner.rs read at 0.8.6 and 0.9.0)",
    since: &[],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            ".max_connections(12)",
            ".min_connections(0)",
            ".max_lifetime(Duration::from_secs(270))",
            ".idle_timeout(Duration::from_secs(135))",
            ".acquire_timeout(Duration::from_secs(10))",
            ".test_before_acquire(true)",
            "tokio::time::timeout(Duration::from_secs(30)",
        ],
        pool_code: &[".max_connections("],
        pre_ping: true,
        read_timeout: false,
    },
};
