//! Knex over mysql2: `knex({ client: 'mysql2', connection, pool })`, the
//! pool being tarn.js, in milliseconds; and `--check` in the pool's and
//! knex's names.
//!
//! Facts from knex's source (knex/knex 3.3.0, `lib/client.js`,
//! `lib/dialects/mysql2/index.js`) and tarn.js's (`src/Pool.ts`, 3.x):
//! knex's pool defaults are min 2, max 10; `acquireConnectionTimeout`
//! (default 60000) and `pool.acquireTimeoutMillis` take the smaller; tarn
//! reaps free connections idle `idleTimeoutMillis` (default 30000) every
//! `reapIntervalMillis` (default 1000) but keeps `min` of them whatever
//! their idle time; knex validates a connection at acquire only by its local
//! state (no round trip); `pool.maxConnectionLifetimeMillis` arrived in 3.2.0.
//! Proven by tests/it/framework_proofs.rs (knex 3.3.0 + mysql2 3.24.6).

use super::common::{
    Out, and, footer, header, keepalive_reason, keepalive_useless, no_pool_numbers, pool_lines, pool_numbers, untagged,
};
use super::parse::{self, Bare};
#[cfg(test)]
use super::tests::Samples;
use super::{
    Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec, Version,
};
use crate::recommend::model::{Current, Recommendation};

pub(super) const KEYS: &[&str] = &[
    "min",
    "max",
    "idleTimeoutMillis",
    "reapIntervalMillis",
    "acquireTimeoutMillis",
    "acquireConnectionTimeout",
    "maxConnectionLifetimeMillis",
    "connectTimeout",
    "keepAliveInitialDelay",
];

/// Users paste `pool.min` as often as `min`.
const PREFIXES: &[&str] = &["pool.", "connection."];

const DEFAULT_MIN: u64 = 2;
const DEFAULT_MAX: u64 = 10;
const DEFAULT_IDLE_MS: f64 = 30_000.0;
/// tarn's reaper period (`reapIntervalMillis` default).
const REAP_MS: u64 = 1000;

/// idleTimeoutMillis for a recycle time: tarn checks idle time only every
/// reapIntervalMillis, so a connection can stay free that much longer.
pub(super) fn idle_ms_for(recycle_s: u64) -> u64 {
    (recycle_s * 1000).saturating_sub(REAP_MS).max(REAP_MS)
}

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let mut out = Out::new(app, Framework::Knex);
    header(
        &mut out,
        rec,
        pool_lines(rec, &app.topology, Framework::Knex),
    );
    out.code("const knex = require('knex')({");
    out.code("  client: 'mysql2',");
    out.code("  connection: {");
    out.code("    uri: process.env.DATABASE_URL,");
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
    out.set(
        "    ",
        "tarn keeps min free connections open whatever their idle time: 0 lets idleTimeoutMillis close all of them (knex's default 2)",
        "    min: 0,",
        "min",
        0,
    );
    match pool_numbers(rec) {
        Some(pool) => {
            let max = pool.size + pool.overflow;
            out.set(
                "    ",
                &and(pool.total_reason(), "default 10"),
                format!("    max: {max},"),
                "max",
                max,
            );
        }
        None => {
            let none = no_pool_numbers(rec, Framework::Knex);
            out.comment("    ", &none);
        }
    }
    let idle_ms = idle_ms_for(rec.recycle_s);
    out.set(
        "    ",
        &format!(
            "ms; tarn checks idle time every reapIntervalMillis (1000), so {idle_ms} + 1000 <= {} ms, the recycle time ({}) (default 30000)",
            rec.recycle_s * 1000,
            rec.reasons.recycle
        ),
        format!("    idleTimeoutMillis: {idle_ms},"),
        "idleTimeoutMillis",
        idle_ms,
    );
    out.set(
        "    ",
        "ms; how often tarn looks for idle connections (the default)",
        format!("    reapIntervalMillis: {REAP_MS},"),
        "reapIntervalMillis",
        REAP_MS,
    );
    out.set(
        "    ",
        "ms; a connection older than this is replaced at acquire (default: none)",
        format!("    maxConnectionLifetimeMillis: {},", rec.recycle_s * 1000),
        "maxConnectionLifetimeMillis",
        rec.recycle_s * 1000,
    );
    out.code("  },");
    out.set(
        "  ",
        &and(
            rec.reasons.checkout_timeout.clone(),
            "ms; knex takes the smaller of this and pool.acquireTimeoutMillis (default 60000)",
        ),
        format!(
            "  acquireConnectionTimeout: {},",
            rec.checkout_timeout_s * 1000
        ),
        "acquireConnectionTimeout",
        rec.checkout_timeout_s * 1000,
    );
    out.code("});");
    let notes = vec![
        format!(
            "No read timeout: knex has none for MySQL; bound each query with .timeout({}, {{ cancel: true }}), which kills it on the server too.",
            rec.read_timeout_s * 1000
        ),
        "No pre-ping: knex checks a connection at acquire only by its local state, so it drops one whose socket closed (FIN, RST) but not one a middlebox forgot silently - idleTimeoutMillis below the limit avoids reusing one.".to_string(),
    ];
    footer(&mut out, rec, &untagged(notes));
    out.finish()
}

pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(Framework::Knex, pairs, KEYS, PREFIXES)?;
    let min = given.count_or("min", DEFAULT_MIN)?;
    let max = given.count_or("max", DEFAULT_MAX)?;
    // tarn treats 0 as "use the default" in both; it destroys a free
    // connection at the first reap after idleTimeoutMillis, so one can stay
    // free up to idleTimeoutMillis + reapIntervalMillis.
    let default_idle_s = DEFAULT_IDLE_MS / 1000.0;
    let idle_s = given.millis_or("idleTimeoutMillis", default_idle_s, default_idle_s)?;
    let default_reap_s = REAP_MS as f64 / 1000.0;
    let reap_s = given.millis_or("reapIntervalMillis", default_reap_s, default_reap_s)?;
    let recycle_s = match given.get("maxConnectionLifetimeMillis") {
        None => None,
        Some(v) => {
            let s = parse::non_negative("maxConnectionLifetimeMillis", v, Bare::Millis)?;
            (s > 0.0).then_some(s)
        }
    };
    for key in [
        "acquireTimeoutMillis",
        "acquireConnectionTimeout",
        "connectTimeout",
        "keepAliveInitialDelay",
    ] {
        if let Some(v) = given.get(key) {
            parse::non_negative(key, v, Bare::Millis)?;
        }
    }
    Ok(Current {
        recycle_s,
        // tarn keeps `min` free connections whatever their idle time.
        idle_timeout_s: (min == 0).then_some(idle_s + reap_s),
        pre_ping: false,
        read_timeout_s: None,
        max_per_process: Some(max),
    })
}

/// What `poolcheck explain` tells Knex users.
pub(super) const ADVICE: Advice = Advice {
    layers: &["knex"],
    lifetime: "pool.idleTimeoutMillis",
    idle_check: "min=<current>,idleTimeoutMillis=<current>,maxConnectionLifetimeMillis=<current>",
    pool_check: "max=<current>,acquireConnectionTimeout=<current>",
    idle_fix: &[
        "knex({ pool: { min: 0, max: 10, idleTimeoutMillis: ${recycle_ms} } }): min: 0 lets idle connections close (the default min: 2 keeps two open forever), idleTimeoutMillis below ${limit_desc}",
    ],
    pool_fix: &[
        "every query inside a transaction must run on it (.transacting(trx), or trx('table')): a query outside waits for a second connection and can exhaust the pool (Knex's own hint)",
        "pool.max for the real concurrency, and acquireConnectionTimeout (ms, default 60000) below the request timeout",
    ],
    capacity_fix: &["pool.max x processes x instances must fit max_connections"],
    packet_fix: &[],
    pool_checks: &[],
};

pub(super) const SPEC: Spec = Spec {
    name: "knex",
    aliases: &[],
    language: "javascript",
    comment: "//",
    check_keys: KEYS,
    check_units: "milliseconds; pool. and connection. prefixes accepted",
    check_names: CheckKeys {
        recycle: "maxConnectionLifetimeMillis",
        pre_ping: "connection check",
        read_timeout: "query timeout",
    },
    notes: &[],
    driver: None,
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: Some(DEFAULT_MAX),
        text: "min 2, max 10",
        sizing: "pool.max at least the queries a process runs at once",
    },
    release: "knex",
    claims: "knex 2.x and 3.x with mysql2 (maxConnectionLifetimeMillis from 3.2.0)",
    since: &[("maxConnectionLifetimeMillis", Version::new(3, 2, 0))],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "client: 'mysql2',",
            "min: 0,",
            "max: 12,",
            "idleTimeoutMillis: 269000,",
            "reapIntervalMillis: 1000,",
            "maxConnectionLifetimeMillis: 270000,",
            "acquireConnectionTimeout: 10000,",
            "keepAliveInitialDelay: 60000,",
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
    fn defaults_keep_two_connections_forever() {
        let cur = current(&[]).unwrap();
        assert_eq!(
            (cur.recycle_s, cur.idle_timeout_s, cur.max_per_process),
            (None, None, Some(10))
        );
        // Idle up to idleTimeoutMillis, plus up to one reap interval.
        let cur = current(&pairs(&[("pool.min", "0")])).unwrap();
        assert_eq!(cur.idle_timeout_s, Some(31.0));
        let cur = current(&pairs(&[("min", "0"), ("idleTimeoutMillis", "0")])).unwrap();
        assert_eq!(cur.idle_timeout_s, Some(31.0));
    }

    /// tarn.js 3.x `src/Pool.ts`: `check()` runs every reapIntervalMillis
    /// (`|| 1000`) and destroys free resources idle longer than
    /// idleTimeoutMillis, so a slow reaper lets them idle past it.
    #[test]
    fn a_slow_reaper_counts_towards_the_idle_time() {
        let cur = current(&pairs(&[
            ("min", "0"),
            ("idleTimeoutMillis", "269000"),
            ("reapIntervalMillis", "60000"),
        ]))
        .unwrap();
        assert_eq!(cur.idle_timeout_s, Some(329.0));
        let cur = current(&pairs(&[
            ("min", "0"),
            ("idleTimeoutMillis", "269000"),
            ("reapIntervalMillis", "0"),
        ]))
        .unwrap();
        assert_eq!(cur.idle_timeout_s, Some(270.0));
        assert!(current(&pairs(&[("reapIntervalMillis", "soon")])).is_err());
    }

    #[test]
    fn idle_timeout_leaves_room_for_the_reaper() {
        assert_eq!(idle_ms_for(270), 269_000);
        assert_eq!(idle_ms_for(1), 1000);
    }
}
