//! Advice for stacks `poolcheck recommend` does not serve (yet): Doctrine, Prisma (the node ORMs Knex, Sequelize and TypeORM have framework modules), Java pools other
//! than HikariCP, and Ruby's Trilogy. Each is an
//! [`Advice`] in the registry's shape, so a stack that later gets a
//! framework module moves there unchanged (its layer names stay the same);
//! until then `--framework generic` is the recommend command they get.

use crate::recommend::frameworks::Advice;

const GENERIC_IDLE_CHECK: &str =
    "max_lifetime_s=<current>,idle_timeout_s=<current>,pre_ping=<current>";

static DOCTRINE: Advice = Advice {
    layers: &["doctrine"],
    lifetime: "worker's --time-limit",
    idle_check: GENERIC_IDLE_CHECK,
    pool_check: "max_lifetime_s=<current>",
    idle_fix: &[
        "long-running Symfony Messenger workers: messenger:consume --time-limit=${recycle} (restart before ${limit_desc}) with the doctrine_ping_connection middleware, so each message starts on a live connection",
        "outside Messenger: $connection->close() before a long wait; DBAL opens a new connection on the next query",
    ],
    pool_fix: &[],
    capacity_fix: &[
        "every PHP-FPM child and every worker holds its own connection: their total must fit max_connections",
    ],
    packet_fix: &[],
    pool_checks: &[],
};

static PRISMA: Advice = Advice {
    layers: &["prisma"],
    lifetime: "max_idle_connection_lifetime",
    idle_check: GENERIC_IDLE_CHECK,
    pool_check: "max_lifetime_s=<current>",
    idle_fix: &[
        "DATABASE_URL parameters max_idle_connection_lifetime=${recycle}&max_connection_lifetime=${recycle} (seconds, below ${limit_desc})",
        "socket_timeout=30 in DATABASE_URL, so a connection dropped silently fails instead of hanging",
    ],
    pool_fix: &[
        "DATABASE_URL connection_limit=<n> (default: CPUs x 2 + 1) and pool_timeout=<seconds> (default 10)$[ (connection_limit ${connection_limit} and pool_timeout ${timeout_s} s here)]$",
        "one PrismaClient per process (serverless: outside the handler); a long interactive $transaction holds its connection until it ends",
    ],
    capacity_fix: &[
        "connection_limit x processes (every serverless instance has its own PrismaClient) must fit max_connections",
    ],
    packet_fix: &[],
    pool_checks: &[],
};

static DBCP: Advice = Advice {
    layers: &["dbcp"],
    lifetime: "maxConnLifetimeMillis",
    idle_check: GENERIC_IDLE_CHECK,
    pool_check: "max_lifetime_s=<current>",
    idle_fix: &[
        "BasicDataSource maxConnLifetimeMillis=${recycle_ms} (below ${limit_desc}) with testOnBorrow=true (validationQuery SELECT 1, or the driver's isValid)",
        "JDBC URL socketTimeout=30000 (Connector/J, ms): a read on a connection dropped silently fails in 30 s",
    ],
    pool_fix: &[
        "maxTotal (default 8) for the real concurrency, and maxWaitMillis below the request timeout",
        "removeAbandonedOnBorrow=true, removeAbandonedTimeout=60 and logAbandoned=true: DBCP logs where a leaked connection was taken",
    ],
    capacity_fix: &["maxTotal x instances must fit max_connections"],
    packet_fix: &[],
    pool_checks: &[],
};

static C3P0: Advice = Advice {
    layers: &["c3p0"],
    lifetime: "maxConnectionAge",
    idle_check: GENERIC_IDLE_CHECK,
    pool_check: "max_lifetime_s=<current>",
    idle_fix: &[
        "maxIdleTime=${recycle} and maxConnectionAge=${recycle} (seconds, below ${limit_desc}) with testConnectionOnCheckout=true",
    ],
    pool_fix: &[
        "maxPoolSize for the real concurrency, and checkoutTimeout (ms; 0 waits forever) below the request timeout",
        "unreturnedConnectionTimeout=60 with debugUnreturnedConnectionStackTraces=true: c3p0 logs where a leaked connection was taken",
    ],
    capacity_fix: &["maxPoolSize x instances must fit max_connections"],
    packet_fix: &[],
    pool_checks: &[],
};

static DRUID: Advice = Advice {
    layers: &["druid"],
    lifetime: "phyTimeoutMillis",
    idle_check: GENERIC_IDLE_CHECK,
    pool_check: "max_lifetime_s=<current>",
    idle_fix: &[
        "DruidDataSource phyTimeoutMillis=${recycle_ms} (physical connections older than this are closed; below ${limit_desc}), maxEvictableIdleTimeMillis below it too, and testWhileIdle=true with validationQuery=SELECT 1 (or keepAlive=true)",
    ],
    pool_fix: &[
        "maxActive for the real concurrency, and maxWait (ms) below the request timeout$[ (maxActive ${pool_max_active} here)]$",
        "removeAbandoned=true, removeAbandonedTimeout=180 and logAbandoned=true: Druid logs where a leaked connection was taken",
    ],
    capacity_fix: &["maxActive x instances must fit max_connections"],
    packet_fix: &[],
    pool_checks: &[],
};

static TRILOGY: Advice = Advice {
    layers: &["trilogy"],
    lifetime: "connection's lifetime",
    idle_check: GENERIC_IDLE_CHECK,
    pool_check: "max_lifetime_s=<current>",
    idle_fix: &[
        "a Trilogy client whose connection closed cannot be used again: on Trilogy::EOFError (TRILOGY_CLOSED_CONNECTION) open a new client; under Rails the trilogy adapter reconnects, with Active Record's idle_timeout below ${limit_desc}",
        "Trilogy.new(read_timeout: 30, write_timeout: 30): a connection dropped silently fails in 30 s",
    ],
    pool_fix: &[],
    capacity_fix: &[],
    packet_fix: &[],
    pool_checks: &[],
};

/// Every stack above, for [`super::frameworks::family`] and the tests.
pub(super) static STACKS: &[&Advice] = &[&DOCTRINE, &PRISMA, &DBCP, &C3P0, &DRUID, &TRILOGY];
