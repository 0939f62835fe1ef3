//! TypeORM over mysql2: `new DataSource({ type: 'mysql', extra })`, `extra`
//! being handed to mysql2's createPool() as is (the same options and rules
//! as node-mysql2's, in milliseconds); and `--check` in those names.
//!
//! Facts from TypeORM's source (typeorm/typeorm, read at 1.1.1:
//! `src/driver/mysql/MysqlDriver.ts` `createConnectionOptions` and
//! `createPool`, `MysqlQueryRunner.ts`): the pool is mysql2's
//! `createPool()` of TypeORM's own options (`connectTimeout`, `poolSize` as
//! `connectionLimit`, `acquireTimeout`) with `extra` assigned over them, so
//! `extra` wins; every query takes a connection with `pool.getConnection()`
//! and releases it when its QueryRunner is released; TypeORM adds no check at
//! checkout and no query timeout (`maxQueryExecutionTime` only logs). From
//! 1.0 the driver is always mysql2; 0.3.x loads `mysql` first unless
//! `connectorPackage: 'mysql2'`. Proven by tests/it/framework_proofs.rs
//! (TypeORM 1.1.1 + mysql2 3.24.6).

use super::common::{Out, footer, header, pool_lines, untagged};
use super::node;
use super::parse;
#[cfg(test)]
use super::tests::Samples;
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec};
use crate::recommend::model::{Current, Recommendation};

pub(super) const KEYS: &[&str] = &[
    "connectionLimit",
    "poolSize",
    "maxIdle",
    "idleTimeout",
    "enableKeepAlive",
    "keepAliveInitialDelay",
    "connectTimeout",
];

/// `extra.idleTimeout` is how users write them.
const PREFIXES: &[&str] = &["extra."];

/// mysql2's connectionLimit when neither `extra.connectionLimit` nor
/// `poolSize` is set.
const DEFAULT_LIMIT: u64 = 10;

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let mut out = Out::new(app, Framework::Typeorm);
    header(
        &mut out,
        rec,
        pool_lines(rec, &app.topology, Framework::Typeorm),
    );
    out.code("const { DataSource } = require('typeorm');");
    out.blank();
    out.code("const dataSource = new DataSource({");
    out.code("  type: 'mysql',");
    out.code("  url: process.env.DATABASE_URL,");
    out.comment(
        "  ",
        "handed to mysql2's createPool() as is, over TypeORM's own options (extra.connectionLimit wins over poolSize)",
    );
    out.code("  extra: {");
    node::pool_options(&mut out, rec, "    ");
    out.code("  },");
    out.code("});");
    let hang = if rec.silent_drop {
        " On this path (silent drops) a query on a dropped connection otherwise hangs ~15 minutes, holding its connection."
    } else {
        ""
    };
    let notes = vec![
        format!(
            "No read timeout: neither TypeORM nor mysql2's pool has one (maxQueryExecutionTime only logs slow queries); bound each request in your handler ({} s recommended).{hang}",
            rec.read_timeout_s
        ),
        "No max lifetime: mysql2 pools have no such option; extra.idleTimeout is the only recycling.".to_string(),
        "No pre-ping: TypeORM takes a pooled connection as is; mysql2 drops one as soon as its socket closes, but one a middlebox forgot silently or answers with RST is found only by the query that uses it - idleTimeout below the limit avoids reusing one.".to_string(),
        format!(
            "No checkout timeout: mysql2 pools wait for a free connection without limit (TypeORM's acquireTimeout is not a mysql2 option); bound the wait in your handler ({} s recommended).",
            rec.checkout_timeout_s
        ),
        "TypeORM 0.3.x loads the mysql package first when both are installed: set connectorPackage: 'mysql2', or maxIdle and idleTimeout do nothing.".to_string(),
    ];
    footer(&mut out, rec, &untagged(notes));
    out.finish()
}

pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(Framework::Typeorm, pairs, KEYS, PREFIXES)?;
    // TypeORM passes poolSize as connectionLimit; extra.connectionLimit wins.
    let limit = match given.get("poolSize") {
        None => DEFAULT_LIMIT,
        Some(v) => parse::count("poolSize", v)?,
    };
    node::pool_current(&given, limit)
}

/// What `poolcheck explain` tells TypeORM users.
pub(super) const ADVICE: Advice = Advice {
    layers: &["typeorm"],
    lifetime: "extra.idleTimeout",
    idle_check: "extra.idleTimeout=<current>,extra.maxIdle=<current>,extra.connectionLimit=<current>",
    pool_check: "extra.connectionLimit=<current>",
    idle_fix: &[
        "DataSource options extra: { connectionLimit: 10, maxIdle: 5, idleTimeout: ${recycle_ms}, enableKeepAlive: true } (handed to mysql2's pool: idleTimeout in ms below ${limit_desc}, and maxIdle below connectionLimit or idle connections are never closed)",
        "retry once on a QueryFailedError whose code is PROTOCOL_CONNECTION_LOST or ECONNRESET: the pool has already dropped that connection",
    ],
    pool_fix: &[
        "release every QueryRunner you create (await queryRunner.release() in finally); poolSize or extra.connectionLimit for the real concurrency",
    ],
    capacity_fix: &["extra.connectionLimit x processes x instances must fit max_connections"],
    packet_fix: &[],
    pool_checks: &[],
};

pub(super) const SPEC: Spec = Spec {
    name: "typeorm",
    aliases: &[],
    language: "javascript",
    comment: "//",
    check_keys: KEYS,
    check_units: "milliseconds; extra. prefix accepted",
    check_names: CheckKeys {
        recycle: "extra.idleTimeout",
        pre_ping: "connection check",
        read_timeout: "query timeout",
    },
    notes: &[],
    driver: None,
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: Some(DEFAULT_LIMIT),
        text: "connectionLimit: 10",
        sizing: "extra.connectionLimit to the queries a process runs at once",
    },
    release: "TypeORM",
    claims: "TypeORM 0.3.x and 1.x with mysql2 3.11.1+ (extra passed to createPool; read at 1.1.1)",
    since: &[],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "type: 'mysql',",
            "extra: {",
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
    fn extra_wins_over_pool_size_and_max_idle_gates_the_reaper() {
        let cur = current(&[]).unwrap();
        assert_eq!(
            (cur.recycle_s, cur.idle_timeout_s, cur.max_per_process),
            (None, None, Some(10))
        );
        let cur = current(&pairs(&[("poolSize", "20")])).unwrap();
        assert_eq!((cur.idle_timeout_s, cur.max_per_process), (None, Some(20)));
        let cur = current(&pairs(&[
            ("poolSize", "20"),
            ("extra.connectionLimit", "4"),
            ("extra.maxIdle", "2"),
            ("extra.idleTimeout", "30000"),
        ]))
        .unwrap();
        assert_eq!(
            (cur.idle_timeout_s, cur.max_per_process),
            (Some(30.0), Some(4))
        );
        let cur = current(&pairs(&[("poolSize", "20"), ("maxIdle", "5")])).unwrap();
        assert_eq!(cur.idle_timeout_s, Some(60.0));
    }
}
