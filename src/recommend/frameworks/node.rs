//! Node mysql2: `mysql.createPool({...})` options in milliseconds, with the
//! maxIdle rule that decides whether idleTimeout runs at all; and `--check`
//! in createPool's names.

use super::common::{Out, and, footer, header, keepalive_reason, keepalive_useless, pool_lines, pool_numbers, untagged};
use super::parse::{self, Bare};
use crate::recommend::model::{Current, PoolPlan, Recommendation};
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec, Version};
#[cfg(test)]
use super::tests::Samples;

pub(super) const KEYS: &[&str] = &[
    "connectionLimit",
    "maxIdle",
    "idleTimeout",
    "enableKeepAlive",
    "keepAliveInitialDelay",
    "connectTimeout",
];

const DEFAULT_LIMIT: u64 = 10;
const DEFAULT_IDLE_MS: f64 = 60_000.0;

// mysql2 (sidorares/node-mysql2 at 928c3c5, 3.23.4): lib/base/pool.js
// query() releases its connection in `.once('end')` of the query, and
// lib/commands/query.js `_handleTimeoutError` calls onResult with
// PROTOCOL_SEQUENCE_TIMEOUT without ending the command, so a pool.query()
// that times out never returns its connection; PoolConnection.destroy()
// (lib/pool_connection.js) removes it from the pool. The idle reaper
// (`_removeIdleTimeoutConnections`, every 1 s) runs only when maxIdle <
// connectionLimit and closes free connections above maxIdle or idle past
// idleTimeout.
/// mysql2's createPool() options the recommendation sets, one per line at
/// `indent` (node's createPool, TypeORM's `extra`): the pool size with the
/// maxIdle that lets idleTimeout run, idleTimeout, keepalive and the connect
/// timeout.
pub(super) fn pool_options(out: &mut Out, rec: &Recommendation, indent: &str) {
    match pool_numbers(rec) {
        Some(pool) => {
 let (size, overflow) = (pool.size, pool.overflow);
            let limit = size + overflow;
            // The idle reaper only runs when maxIdle < connectionLimit.
            let max_idle = if overflow > 0 {
                size
            } else {
                limit.saturating_sub(1)
            };
            out.set(
                indent,
                &and(pool.total_reason(), "default 10"),
                format!("{indent}connectionLimit: {limit},"),
                "connectionLimit",
                limit,
            );
            let idle_reason = if max_idle == 0 {
                "below connectionLimit, or mysql2 never runs its idle reaper and idleTimeout does nothing (default: connectionLimit); with connectionLimit 1 that means 0, so every released connection closes within ~1 s (a new connection per request) - connectionLimit 2 with maxIdle 1 keeps one pooled"
            } else {
                "below connectionLimit, or mysql2 never runs its idle reaper and idleTimeout does nothing (default: connectionLimit); free connections above it close within ~1 s"
            };
            out.set(
                indent,
                idle_reason,
                format!("{indent}maxIdle: {max_idle},"),
                "maxIdle",
                max_idle,
            );
        }
        None => {
            out.no_pool_numbers(indent, rec);
            if let PoolPlan::FrameworkDefault { .. } = rec.pool {
                // The default connectionLimit stays; maxIdle must still be
                // below it for idleTimeout to run.
                let max_idle = DEFAULT_LIMIT - 1;
                out.set(
                    indent,
                    &format!(
                        "below the default connectionLimit of {DEFAULT_LIMIT}, or mysql2 never runs its idle reaper and idleTimeout does nothing (default: connectionLimit); if you set connectionLimit, keep maxIdle below it"
                    ),
                    format!("{indent}maxIdle: {max_idle},"),
                    "maxIdle",
                    max_idle,
                );
            } else {
                out.comment(
                    indent,
                    "once you pick connectionLimit, set maxIdle below it, or idleTimeout does nothing",
                );
            }
        }
    }
    let idle_ms = rec.recycle_s * 1000;
    out.set(
        indent,
        &and(
            rec.reasons.recycle.clone(),
            "ms; mysql2 3.11.1+ closes any free connection idle this long (older 3.x releases only close those above maxIdle - upgrade); default 60000",
        ),
        format!("{indent}idleTimeout: {idle_ms},"),
        "idleTimeout",
        idle_ms,
    );
    out.set(
        indent,
        "TCP keepalive on (the default in current mysql2)",
        format!("{indent}enableKeepAlive: true,"),
        "enableKeepAlive",
        true,
    );
    let keep_ms = rec.keepalive_idle_s * 1000;
    if keepalive_useless(rec) {
        out.keepalive_not_set(indent, "keepAliveInitialDelay", rec);
    } else {
        out.set(
            indent,
            &and(
                keepalive_reason(rec),
                "ms of idle before a probe (default 0: the OS default, 7200 s on Linux); an answered probe starts the idle time again",
            ),
            format!("{indent}keepAliveInitialDelay: {keep_ms},"),
            "keepAliveInitialDelay",
            keep_ms,
        );
    }
    let connect_ms = rec.connect_timeout_s * 1000;
    out.set(
        indent,
        &and(
            rec.reasons.connect_timeout.clone(),
            "ms (default 10000)",
        ),
        format!("{indent}connectTimeout: {connect_ms},"),
        "connectTimeout",
        connect_ms,
    );
}

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let topology = &app.topology;
    let mut out = Out::new(app, Framework::NodeMysql2);
    header(&mut out, rec, pool_lines(rec, topology, Framework::NodeMysql2));
    out.code("const mysql = require('mysql2/promise');");
    out.blank();
    out.code("const pool = mysql.createPool({");
    out.code("  uri: process.env.DATABASE_URL,");
    pool_options(&mut out, rec, "  ");
    out.code("});");
    let read_ms = rec.read_timeout_s * 1000;
    let hang = if rec.silent_drop {
        " On this path (silent drops) a query on a dropped connection otherwise hangs ~15 minutes."
    } else {
        ""
    };
    let notes = vec![
        format!(
            "No read timeout: mysql2 pools have none, and pool.query({{ sql, timeout }}) leaks the connection when the timeout fires: the query fails with PROTOCOL_SEQUENCE_TIMEOUT but never ends, and the pool takes a connection back only when its query ends. Take the connection yourself and destroy it on that error: const conn = await pool.getConnection(); try {{ const [rows] = await conn.query({{ sql, timeout: {read_ms} }}, values); conn.release(); return rows; }} catch (e) {{ if (e.code === 'PROTOCOL_SEQUENCE_TIMEOUT') conn.destroy(); else conn.release(); throw e; }}{hang}"
        ),
        "No max lifetime: mysql2 pools have no such option; idleTimeout is the only recycling.".to_string(),
        "No pre-ping: mysql2 drops a pooled connection as soon as its socket closes, but one a middlebox forgot silently or answers with RST is found only by the query that uses it - idleTimeout below the limit avoids reusing one.".to_string(),
        format!(
            "No checkout timeout: mysql2 pools wait for a free connection without limit; bound the wait in your handler ({} s recommended).",
            rec.checkout_timeout_s
        ),
    ];
    footer(&mut out, rec, &untagged(notes));
    out.finish()
}

pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(Framework::NodeMysql2, pairs, KEYS, &[])?;
    pool_current(&given, DEFAULT_LIMIT)
}

/// [`Current`] from mysql2's createPool() options in `given` (node's
/// createPool, TypeORM's `extra`), `default_limit` being the connectionLimit
/// when none is given.
pub(super) fn pool_current(given: &parse::Given, default_limit: u64) -> Result<Current, String> {
    // connectionLimit 0 means unlimited.
    let limit = match given.get("connectionLimit") {
        None => default_limit,
        Some(v) => parse::count("connectionLimit", v)?,
    };
    let max_idle = match given.get("maxIdle") {
        None => limit,
        Some(v) => parse::count("maxIdle", v)?,
    };
    let idle_s = match given.get("idleTimeout") {
        None => DEFAULT_IDLE_MS / 1000.0,
        Some(v) => parse::non_negative("idleTimeout", v, Bare::Millis)?,
    };
    for key in ["keepAliveInitialDelay", "connectTimeout"] {
        if let Some(v) = given.get(key) {
            parse::non_negative(key, v, Bare::Millis)?;
        }
    }
    if let Some(v) = given.get("enableKeepAlive") {
        parse::boolean("enableKeepAlive", v)?;
    }
    Ok(Current {
        recycle_s: None,
        // The reaper only runs when maxIdle < connectionLimit.
        idle_timeout_s: (max_idle < limit).then_some(idle_s),
        pre_ping: false,
        read_timeout_s: None,
        max_per_process: (limit > 0).then_some(limit),
    })
}

/// What `poolcheck explain` tells node-mysql2 users.
pub(super) const ADVICE: Advice = Advice {
    layers: &["node-mysql2"],
    lifetime: "idleTimeout",
    idle_check: "idleTimeout=<current>,maxIdle=<current>,connectionLimit=<current>",
    pool_check: "connectionLimit=<current>",
    idle_fix: &[
                    "mysql.createPool({ connectionLimit: 10, maxIdle: 5, idleTimeout: ${recycle_ms}, enableKeepAlive: true, keepAliveInitialDelay: ${tcp_keepalive_ms} }): mysql2 closes idle connections only when maxIdle is below connectionLimit, and idleTimeout (ms) must be below ${limit_desc}",
                    "retry a query once when it fails with PROTOCOL_CONNECTION_LOST or ECONNRESET on a pooled connection: the pool has already dropped that connection",
                ],
    pool_fix: &[
                    "release every connection taken with pool.getConnection() (connection.release() in a finally block), or use pool.query() / pool.execute(), which release it themselves",
                    "connectionLimit (default 10) for the real concurrency; queueLimit (default 0: unbounded) only bounds how many wait",
                ],
    capacity_fix: &[
                    "connectionLimit per process so processes x instances x connectionLimit fits max_connections",
                ],
    packet_fix: &[],
    pool_checks: &["count pool 'acquire' and 'release' events: an acquire without a release is a leak"],
};

pub(super) const SPEC: Spec = Spec {
    name: "node-mysql2",
    aliases: &[],
    language: "javascript",
    comment: "//",
    check_keys: KEYS,
    check_units: "milliseconds",
    check_names: CheckKeys {
        recycle: "idleTimeout",
        pre_ping: "connection check",
        read_timeout: "query timeout",
    },
    notes: &[],
    driver: None,
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: Some(10),
        text: "connectionLimit: 10",
        sizing: "connectionLimit to the queries a process runs at once",
    },
    release: "mysql2",
    claims: "mysql2 3.1.0+ (maxIdle, idleTimeout); idleTimeout closes every free connection from 3.11.1",
    since: &[("maxIdle", Version::new(3, 1, 0)), ("idleTimeout", Version::new(3, 1, 0))],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "connectionLimit: 12,",
            "maxIdle: 8,",
            "idleTimeout: 270000,",
            "enableKeepAlive: true,",
            "keepAliveInitialDelay: 60000,",
            "connectTimeout: 10000,",
            "No read timeout",
        ],
        pool_code: &["connectionLimit:", "maxIdle:"],
        pre_ping: false,
        read_timeout: false,
    },
};
