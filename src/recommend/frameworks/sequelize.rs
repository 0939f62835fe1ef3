//! Sequelize over mysql2: `new Sequelize(url, { pool, dialectOptions })`, the
//! pool being sequelize-pool, in milliseconds; and `--check` in the pool's
//! and mysql2's names.
//!
//! Facts from Sequelize's source (sequelize/sequelize v6, read at 6.37.8:
//! `lib/dialects/abstract/connection-manager.js`,
//! `lib/dialects/mysql/connection-manager.js`) and sequelize-pool's (7.1.0,
//! `lib/Pool.js`): the pool defaults are max 5, min 0, idle 10000, acquire
//! 60000, evict 1000 (ms); every `evict` ms the reaper destroys free
//! connections idle past `idle`, but keeps `min` of them whatever their idle
//! time; sequelize-pool reads an idle or evict of 0 as its own default
//! (30000, 1000). Each connection is a `mysql2.createConnection()` of the
//! connection options with `dialectOptions` spread over them. At acquire a
//! connection is checked only by its local state (`validate`: no fatal or
//! protocol error, not closing, socket not destroyed), and one that emits
//! ECONNRESET, EPIPE or PROTOCOL_CONNECTION_LOST is destroyed. There is no
//! max-lifetime option (`maxUses` counts uses) and no query timeout for
//! MySQL. Proven by tests/it/framework_proofs.rs (Sequelize 6.37.8 + mysql2
//! 3.24.6).

use super::common::{
    Out, and, footer, header, keepalive_reason, keepalive_useless, no_pool_numbers, pool_lines, pool_numbers, untagged,
};
use super::parse::{self, Bare};
#[cfg(test)]
use super::tests::Samples;
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec};
use crate::recommend::model::{Current, Recommendation};

pub(super) const KEYS: &[&str] = &[
    "max",
    "min",
    "idle",
    "evict",
    "acquire",
    "maxUses",
    "connectTimeout",
    "enableKeepAlive",
    "keepAliveInitialDelay",
];

/// Users paste `pool.max` and `dialectOptions.connectTimeout` as often as
/// the bare names.
const PREFIXES: &[&str] = &["pool.", "dialectOptions."];

const DEFAULT_MAX: u64 = 5;
const DEFAULT_MIN: u64 = 0;
/// Sequelize's own `pool.idle` default.
const DEFAULT_IDLE_MS: f64 = 10_000.0;
/// sequelize-pool's, when `idle` is 0.
const POOL_IDLE_MS: f64 = 30_000.0;
/// The reaper's period (`evict` default, and sequelize-pool's for 0).
const EVICT_MS: u64 = 1000;

/// `(idle, evict)` in ms for a recycle time: the reaper looks every `evict`
/// ms, so a free connection can stay idle + evict; the two add up to the
/// recycle time (evict at most its default, at most half the recycle time).
pub(super) fn idle_evict_ms_for(recycle_s: u64) -> (u64, u64) {
    let recycle_ms = (recycle_s * 1000).max(2);
    let evict = EVICT_MS.min(recycle_ms / 2);
    (recycle_ms - evict, evict)
}

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let mut out = Out::new(app, Framework::Sequelize);
    header(
        &mut out,
        rec,
        pool_lines(rec, &app.topology, Framework::Sequelize),
    );
    out.code("const { Sequelize } = require('sequelize');");
    out.blank();
    out.code("const sequelize = new Sequelize(process.env.DATABASE_URL, {");
    out.code("  dialect: 'mysql',");
    out.comment(
        "  ",
        "handed to mysql2's createConnection() for every pooled connection",
    );
    out.code("  dialectOptions: {");
    out.set(
        "    ",
        &and(
            rec.reasons.connect_timeout.clone(),
            "ms; mysql2's own option (default 10000)",
        ),
        format!("    connectTimeout: {},", rec.connect_timeout_s * 1000),
        "connectTimeout",
        rec.connect_timeout_s * 1000,
    );
    if keepalive_useless(rec) {
        out.keepalive_not_set("    ", "keepAliveInitialDelay", rec);
    } else {
        out.set(
            "    ",
            &and(
                keepalive_reason(rec),
                "mysql2's enableKeepAlive (on by default) and keepAliveInitialDelay in ms (default 0: the OS default, 7200 s on Linux)",
            ),
            format!(
                "    enableKeepAlive: true, keepAliveInitialDelay: {},",
                rec.keepalive_idle_s * 1000
            ),
            "keepAliveInitialDelay",
            rec.keepalive_idle_s * 1000,
        );
    }
    out.code("  },");
    out.code("  pool: {");
    match pool_numbers(rec) {
        Some(pool) => {
            let max = pool.size + pool.overflow;
            out.set(
                "    ",
                &and(pool.total_reason(), "default 5"),
                format!("    max: {max},"),
                "max",
                max,
            );
        }
        None => {
            let none = no_pool_numbers(rec, Framework::Sequelize);
            out.comment("    ", &none);
        }
    }
    out.set(
        "    ",
        "the pool keeps min free connections open whatever their idle time: 0 lets idle close all of them (the default)",
        "    min: 0,",
        "min",
        0,
    );
    let (idle_ms, evict_ms) = idle_evict_ms_for(rec.recycle_s);
    out.set(
        "    ",
        &format!(
            "ms; the pool checks idle time every evict ms, so {idle_ms} + {evict_ms} <= {} ms, the recycle time ({}) (default 10000)",
            rec.recycle_s * 1000,
            rec.reasons.recycle
        ),
        format!("    idle: {idle_ms},"),
        "idle",
        idle_ms,
    );
    out.set(
        "    ",
        "ms; how often the pool looks for idle connections (default 1000)",
        format!("    evict: {evict_ms},"),
        "evict",
        evict_ms,
    );
    out.set(
        "    ",
        &and(
            rec.reasons.checkout_timeout.clone(),
            "ms; SequelizeConnectionAcquireTimeoutError after this (default 60000)",
        ),
        format!("    acquire: {},", rec.checkout_timeout_s * 1000),
        "acquire",
        rec.checkout_timeout_s * 1000,
    );
    out.code("  },");
    out.code("});");
    let notes = vec![
        format!(
            "No read timeout: Sequelize has none for MySQL (mysql2 connections have none either); bound each request in your handler ({} s recommended).",
            rec.read_timeout_s
        ),
        "No max lifetime: Sequelize's pool has none (maxUses counts queries, not time); idle is the only recycling.".to_string(),
        "No pre-ping: Sequelize checks a connection at acquire only by its local state, so it drops one whose socket closed (FIN, RST) but not one a middlebox forgot silently - idle below the limit avoids reusing one.".to_string(),
    ];
    footer(&mut out, rec, &untagged(notes));
    out.finish()
}

pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(Framework::Sequelize, pairs, KEYS, PREFIXES)?;
    let max = given.count_or("max", DEFAULT_MAX)?;
    let min = given.count_or("min", DEFAULT_MIN)?;
    let idle_s = given.millis_or("idle", DEFAULT_IDLE_MS / 1000.0, POOL_IDLE_MS / 1000.0)?;
    let evict_s = given.millis_or(
        "evict",
        EVICT_MS as f64 / 1000.0,
        EVICT_MS as f64 / 1000.0,
    )?;
    for key in ["acquire", "connectTimeout", "keepAliveInitialDelay"] {
        if let Some(v) = given.get(key) {
            parse::non_negative(key, v, Bare::Millis)?;
        }
    }
    // maxUses: a count, or Infinity (the default).
    if let Some(v) = given
        .get("maxUses")
        .filter(|v| !parse::is_none_word(v) && v.trim() != "Infinity")
    {
        parse::count("maxUses", v)?;
    }
    if let Some(v) = given.get("enableKeepAlive") {
        parse::boolean("enableKeepAlive", v)?;
    }
    Ok(Current {
        recycle_s: None,
        // The reaper keeps `min` free connections whatever their idle time,
        // and looks only every `evict`.
        idle_timeout_s: (min == 0).then_some(idle_s + evict_s),
        pre_ping: false,
        read_timeout_s: None,
        max_per_process: Some(max),
    })
}

/// What `poolcheck explain` tells Sequelize users.
pub(super) const ADVICE: Advice = Advice {
    layers: &["sequelize"],
    lifetime: "pool.idle",
    idle_check: "min=<current>,idle=<current>,evict=<current>",
    pool_check: "max=<current>,acquire=<current>",
    idle_fix: &[
        "new Sequelize(..., { pool: { max: 5, min: 0, idle: ${recycle_ms}, evict: 1000, acquire: 30000 } }): pool.idle (ms) below ${limit_desc}, so idle connections close before the limit does (min: 0, or min connections stay open whatever their idle time)",
        "retry: { match: [/SequelizeConnectionError/, /ECONNRESET/, /PROTOCOL_CONNECTION_LOST/], max: 3 }, so a query on a connection killed anyway is retried (Sequelize has already dropped that connection from its pool)",
    ],
    pool_fix: &[
        "pass { transaction: t } to every query inside a managed transaction: a query without it waits for a second connection and can exhaust the pool",
        "pool.max for the real concurrency, and pool.acquire (ms, default 60000) below the request timeout",
    ],
    capacity_fix: &["pool.max x processes x instances must fit max_connections"],
    packet_fix: &[],
    pool_checks: &[],
};

pub(super) const SPEC: Spec = Spec {
    name: "sequelize",
    aliases: &[],
    language: "javascript",
    comment: "//",
    check_keys: KEYS,
    check_units: "milliseconds; pool. and dialectOptions. prefixes accepted",
    check_names: CheckKeys {
        recycle: "pool.idle",
        pre_ping: "connection check",
        read_timeout: "query timeout",
    },
    notes: &[],
    driver: None,
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: Some(DEFAULT_MAX),
        text: "pool.max 5",
        sizing: "pool.max at least the queries a process runs at once",
    },
    release: "Sequelize",
    claims: "Sequelize 6.x with mysql2 (read at 6.37.8, sequelize-pool 7)",
    since: &[],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "dialect: 'mysql',",
            "connectTimeout: 10000,",
            "keepAliveInitialDelay: 60000,",
            "max: 12,",
            "min: 0,",
            "idle: 269000,",
            "evict: 1000,",
            "acquire: 10000,",
            "No read timeout",
        ],
        pool_code: &["max:"],
        pre_ping: false,
        read_timeout: false,
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_reap_after_ten_seconds_and_min_keeps_connections() {
        let cur = current(&[]).unwrap();
        assert_eq!(
            (cur.recycle_s, cur.idle_timeout_s, cur.max_per_process),
            (None, Some(11.0), Some(5))
        );
        let cur = current(&pairs(&[("pool.min", "2")])).unwrap();
        assert_eq!(cur.idle_timeout_s, None);
        // sequelize-pool reads 0 as its own defaults.
        let cur = current(&pairs(&[("idle", "0"), ("pool.evict", "0")])).unwrap();
        assert_eq!(cur.idle_timeout_s, Some(31.0));
        let cur = current(&pairs(&[("dialectOptions.connectTimeout", "5000")])).unwrap();
        assert_eq!(cur.max_per_process, Some(5));
        assert!(current(&pairs(&[("maxUses", "Infinity")])).is_ok());
    }

    #[test]
    fn idle_and_evict_add_up_to_the_recycle_time() {
        assert_eq!(idle_evict_ms_for(270), (269_000, 1000));
        assert_eq!(idle_evict_ms_for(1), (500, 500));
        assert_eq!(idle_evict_ms_for(0), (1, 1));
    }
}
