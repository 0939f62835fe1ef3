//! HikariCP with MySQL Connector/J: pool properties in milliseconds, clamped
//! to HikariCP's documented minimums, plus the Connector/J URL timeouts; and
//! `--check` read the way HikariConfig validates it.

use super::common::{Hang, Out, and, footer, header, limit_s, pool_lines, pool_numbers, secs, timeout_reason, untagged};
use super::parse::{self, Bare};
use crate::recommend::model::{Current, Recommendation};
use super::{ShortestLimit, Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec, Version};
#[cfg(test)]
use super::tests::Samples;

/// HikariCP property names, then Connector/J URL properties.
pub(super) const KEYS: &[&str] = &[
    "maxLifetime",
    "keepaliveTime",
    "idleTimeout",
    "maximumPoolSize",
    "minimumIdle",
    "connectionTimeout",
    "connectTimeout",
    "socketTimeout",
    "tcpKeepAlive",
];

/// Spring Boot and hikari.properties spellings of the same keys.
const PREFIXES: &[&str] = &[
    "spring.datasource.hikari.data-source-properties.",
    "spring.datasource.hikari.",
    "hikari.",
    "dataSource.",
];

/// HikariConfig resets a non-zero maxLifetime below this to the default.
const MIN_LIFETIME_MS: u64 = 30_000;
const DEFAULT_LIFETIME_MS: u64 = 1_800_000;
/// keepaliveTime below this is disabled.
const MIN_KEEPALIVE_MS: u64 = 30_000;
/// idleTimeout below this is reset to the default.
const MIN_IDLE_MS: u64 = 10_000;
const DEFAULT_IDLE_MS: u64 = 600_000;
/// The housekeeper retires idle connections up to this late.
const HOUSEKEEPING_MS: u64 = 30_000;
/// connectionTimeout floor.
const MIN_CONNECTION_TIMEOUT_MS: u64 = 250;

/// maxLifetime when the recycle time is below HikariCP's 30 s minimum. A
/// connection retires by its own timer at maxLifetime minus up to 2.5%
/// (HikariPool.createPoolEntry, 2.7.9 and later), not at checkout, so 30 s
/// holds a limit above 31 s without the usual margin.
fn minimum_lifetime_reason(limit_s: Option<f64>) -> String {
    let floor = "30000: HikariCP's minimum (smaller values are reset to the 30 min default)";
    match limit_s {
        Some(limit) if holds(limit) => format!(
            "{floor}, {} s below the {} s idle limit: enough, because HikariCP retires each connection by its own timer at maxLifetime (up to 2.5% early), not at checkout",
            secs(limit - MIN_LIFETIME_MS as f64 / 1000.0),
            secs(limit)
        ),
        Some(limit) => format!(
            "{floor}, not below the {} s idle limit by the 1 s it needs: a limit this short is too short for HikariCP - raise the idle limit above {} s",
            secs(limit),
            secs(MIN_WORKING_LIMIT_S)
        ),
        None => floor.to_string(),
    }
}

/// The shortest idle limit maxLifetime=30000 holds: 30 s and 1 s to retire.
const MIN_WORKING_LIMIT_S: f64 = 31.0;

/// Whether HikariCP's settings can retire connections before `limit_s`.
fn holds(limit_s: f64) -> bool {
    limit_s > MIN_WORKING_LIMIT_S
}

/// The idle limits HikariCP cannot hold, for the rules' finding
/// (`idle-limit-too-short-for-framework`). Measured by the proof at a 3 s
/// cutoff: a silent drop fails the request at connectionTimeout (the borrow
/// validates each dead pooled connection for up to validationTimeout, 5 s);
/// a closed, reset or forgotten flow is found by that validation at once.
pub(super) const SHORTEST_LIMIT: ShortestLimit = ShortestLimit {
    holds,
    shortest_s: MIN_WORKING_LIMIT_S,
    why: "maxLifetime cannot go below 30000 (HikariConfig resets a smaller value to the 30 min default) and a connection retires by its own timer up to 2.5% early, so the limit must be above 31 s",
    silent: "on a path that drops idle connections silently, a borrow validates the dead pooled connections one by one (each up to validationTimeout, 5 s) and a request fails at connectionTimeout",
    visible: "the validation at borrow replaces connections the path closed or reset, at the cost of a round trip per dead connection; a silent drop on this path would fail requests",
};

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let topology = &app.topology;
    let mut out = Out::new(app, Framework::Hikaricp);
    header(&mut out, rec, pool_lines(rec, topology, Framework::Hikaricp));
    out.comment(
        "",
        "hikari.properties (HikariConfig); Spring Boot: the same names under spring.datasource.hikari. (e.g. spring.datasource.hikari.max-lifetime)",
    );

    // Connector/J URL properties share the jdbcUrl line: reasons above it.
    let url = [
        (
            "connectTimeout",
            serde_json::Value::from(rec.connect_timeout_s * 1000),
            (rec.connect_timeout_s * 1000).to_string(),
            and(
                rec.reasons.connect_timeout.clone(),
                "ms (default 0: none in MySQL Connector/J; 30000 in MariaDB Connector/J)",
            ),
        ),
        (
            "socketTimeout",
            serde_json::Value::from(rec.read_timeout_s * 1000),
            (rec.read_timeout_s * 1000).to_string(),
            and(
                timeout_reason(rec, &rec.reasons.read_timeout, Hang::Query),
                "ms, reads only (default 0: none, in both MySQL and MariaDB Connector/J); HikariCP's own check at borrow is bounded by validationTimeout (5 s)",
            ),
        ),
        (
            "tcpKeepAlive",
            serde_json::Value::from(true),
            "true".to_string(),
            "SO_KEEPALIVE on (the default in both MySQL and MariaDB Connector/J): the OS keepalive timing applies, which Connector/J cannot set; keepaliveTime below is the pool's own".to_string(),
        ),
    ];
    let mut params = Vec::new();
    for (key, value, text, why) in url {
        out.comment("", &format!("{key}={text}: {why}"));
        out.record(key, value, &why);
        params.push(format!("{key}={text}"));
    }
    out.comment(
        "",
        "jdbc:mysql:// is MySQL Connector/J; with MariaDB Connector/J write jdbc:mariadb:// (the same property names)",
    );
    out.code(format!(
        "jdbcUrl=jdbc:mysql://HOST:3306/DBNAME?{}",
        params.join("&")
    ));

    let wanted_ms = rec.recycle_s * 1000;
    let life_ms = wanted_ms.max(MIN_LIFETIME_MS);
    let life_reason = rec.reasons.recycle.clone();
    let life_reason = if wanted_ms < MIN_LIFETIME_MS {
        minimum_lifetime_reason(limit_s(rec))
    } else {
        and(
            life_reason,
            "ms; in-use connections retire when returned (default 1800000)",
        )
    };
    out.set(
        "",
        &life_reason,
        format!("maxLifetime={life_ms}"),
        "maxLifetime",
        life_ms,
    );

    let keep_ms = (rec.keepalive_idle_s * 1000).max(MIN_KEEPALIVE_MS);
    if keep_ms < life_ms {
        out.set(
            "",
            "HikariCP pings idle connections this often, finding dead ones before a request does (min 30000, below maxLifetime; default 0: off)",
            format!("keepaliveTime={keep_ms}"),
            "keepaliveTime",
            keep_ms,
        );
    } else {
        out.comment(
            "",
            "keepaliveTime: not set - it must be at least 30000 and below maxLifetime, and this maxLifetime leaves no room",
        );
    }

    match pool_numbers(rec) {
        Some(pool) => {
 let (size, overflow) = (pool.size, pool.overflow);
            let max = size + overflow;
            if overflow > 0 {
                let idle_ms = life_ms.saturating_sub(HOUSEKEEPING_MS).max(MIN_IDLE_MS);
                out.set(
                    "",
                    "closes surplus idle connections (above minimumIdle) before maxLifetime; HikariCP checks every 30 s, hence 30 s below it (min 10000; default 600000)",
                    format!("idleTimeout={idle_ms}"),
                    "idleTimeout",
                    idle_ms,
                );
            } else {
                out.comment(
                    "",
                    "idleTimeout: not set - with minimumIdle = maximumPoolSize the pool is fixed-size and HikariCP ignores it",
                );
            }
            out.set(
                "",
                &and(pool.total_reason(), "default 10"),
                format!("maximumPoolSize={max}"),
                "maximumPoolSize",
                max,
            );
            out.set(
                "",
                &and(
                    pool.reasons.pool_size.clone(),
                    "idle connections kept (default: maximumPoolSize)",
                ),
                format!("minimumIdle={size}"),
                "minimumIdle",
                size,
            );
        }
        None => out.no_pool_numbers("", rec),
    }

    let conn_ms = (rec.checkout_timeout_s * 1000).max(MIN_CONNECTION_TIMEOUT_MS);
    out.set(
        "",
        &and(
            rec.reasons.checkout_timeout.clone(),
            "ms (min 250; default 30000)",
        ),
        format!("connectionTimeout={conn_ms}"),
        "connectionTimeout",
        conn_ms,
    );
    let notes = vec![
        "Pre-ping is built in: HikariCP validates a connection (isValid) before handing it out unless it was used in the last 500 ms.".to_string(),
        "Connector/J has no write timeout (socketTimeout covers reads only).".to_string(),
    ];
    footer(&mut out, rec, &untagged(notes));
    out.finish()
}

fn ms(key: &str, value: &str) -> Result<u64, String> {
    let secs = parse::non_negative(key, value, Bare::Millis)?;
    Ok((secs * 1000.0).round() as u64)
}

/// Reads the properties and applies HikariConfig's own validation, so the
/// result is what the pool would really do (e.g. maxLifetime=20000 runs as
/// the 30 min default).
pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(Framework::Hikaricp, pairs, KEYS, PREFIXES)?;
    let get_ms = |key: &'static str, default: u64| -> Result<u64, String> {
        given.get(key).map_or(Ok(default), |v| ms(key, v))
    };
    let mut life = get_ms("maxLifetime", DEFAULT_LIFETIME_MS)?;
    if life != 0 && life < MIN_LIFETIME_MS {
        life = DEFAULT_LIFETIME_MS;
    }
    let max = match given.get("maximumPoolSize") {
        None => 10,
        Some(v) => {
            let n = parse::count("maximumPoolSize", v)?;
            if n == 0 {
                return Err("maximumPoolSize: must be at least 1".to_string());
            }
            n
        }
    };
    let min_idle = match given.get("minimumIdle") {
        None => max,
        Some(v) => parse::count("minimumIdle", v)?.min(max),
    };
    let mut idle = get_ms("idleTimeout", DEFAULT_IDLE_MS)?;
    // idleTimeout only acts below maximumPoolSize, and HikariConfig disables
    // it when it is within 1 s of maxLifetime or resets it when under 10 s.
    let idle_timeout_s = if min_idle < max {
        if life > 0 && idle + 1000 > life {
            idle = 0;
        } else if idle != 0 && idle < MIN_IDLE_MS {
            idle = DEFAULT_IDLE_MS;
        }
        (idle > 0).then_some(idle as f64 / 1000.0)
    } else {
        None
    };
    for key in ["keepaliveTime", "connectionTimeout", "connectTimeout"] {
        get_ms(key, 0)?;
    }
    if let Some(v) = given.get("tcpKeepAlive") {
        parse::boolean("tcpKeepAlive", v)?;
    }
    let socket = get_ms("socketTimeout", 0)?;
    Ok(Current {
        recycle_s: (life > 0).then_some(life as f64 / 1000.0),
        idle_timeout_s,
        // Validation at borrow cannot be turned off.
        pre_ping: true,
        read_timeout_s: (socket > 0).then_some(socket as f64 / 1000.0),
        max_per_process: Some(max),
    })
}

/// What `poolcheck explain` tells hikaricp users.
pub(super) const ADVICE: Advice = Advice {
    layers: &["hikaricp", "connector-j", "java"],
    lifetime: "maxLifetime",
    idle_check: "maxLifetime=<current>,keepaliveTime=<current>",
    pool_check: "maximumPoolSize=${pool_total|<current>},connectionTimeout=${timeout_ms|<current>}",
    idle_fix: &[
                    "HikariCP maxLifetime=${recycle_ms} (ms; below ${limit_desc}, as HikariCP's docs ask; its minimum is 30000)",
                    "keepaliveTime=${keepalive_ms} (HikariCP 4.0.0+, below maxLifetime): idle connections are pinged, so middleboxes see traffic and dead ones are found before a request gets them",
                    "JDBC URL socketTimeout=30000 (Connector/J, ms): a read on a connection dropped silently fails in 30 s",
                    "do not rely on Connector/J's autoReconnect=true (its docs advise against it): let the pool validate and replace connections",
                    "other pools, the same in their terms: Tomcat JDBC maxAge=${recycle_ms} with testOnBorrow=true; DBCP2 maxConnLifetimeMillis=${recycle_ms} with testOnBorrow=true; c3p0 maxIdleTime=${recycle} with testConnectionOnCheckout=true",
                ],
    pool_fix: &[
                    "leakDetectionThreshold=60000: HikariCP logs where a connection was taken that was held longer than 60 s",
                    "maximumPoolSize small and bounded (HikariCP's sizing guide starts at cores x 2 + effective spindles), and bound the threads that need a connection$[ (total=${pool_total}, waiting=${pool_waiting} here)]$",
                    "connectionTimeout below the request timeout$[ (it waited ${timeout_ms} ms here)]$",
                ],
    capacity_fix: &[
                    "maximumPoolSize per instance so instances x maximumPoolSize fits max_connections; a lower minimumIdle keeps fewer connections open while idle",
                ],
    packet_fix: &[
                    "Connector/J reads max_allowed_packet from the server when it connects: after raising it, renew the pool's connections (restart, or HikariPoolMXBean.softEvictConnections())",
                ],
    pool_checks: &[
                "leakDetectionThreshold=60000 logs the stack trace of code that holds a connection longer than 60 s",
            ],
};

pub(super) const SPEC: Spec = Spec {
    name: "hikaricp",
    aliases: &[],
    language: "properties",
    comment: "#",
    check_keys: KEYS,
    check_units: "milliseconds; 0 means none or never",
    check_names: CheckKeys {
        recycle: "maxLifetime",
        pre_ping: "connection validation",
        read_timeout: "socketTimeout",
    },
    notes: &[],
    driver: None,
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: Some(10),
        text: "maximumPoolSize=10, minimumIdle=maximumPoolSize",
        sizing: "maximumPoolSize to the threads per instance that hold a connection at once (HikariCP's guide: small, cores x 2 + spindles)",
    },
    release: "HikariCP",
    claims: "HikariCP 2.7+ with MySQL Connector/J or MariaDB Connector/J; keepaliveTime 4.0.0+",
    since: &[("keepaliveTime", Version::new(4, 0, 0))],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "connectTimeout=10000&socketTimeout=30000&tcpKeepAlive=true",
            "\nmaxLifetime=270000\n",
            "\nkeepaliveTime=60000\n",
            "\nidleTimeout=240000\n",
            "\nmaximumPoolSize=12\n",
            "\nminimumIdle=8\n",
            "\nconnectionTimeout=10000\n",
        ],
        pool_code: &["maximumPoolSize=", "minimumIdle="],
        pre_ping: true,
        read_timeout: true,
    },
};
