//! What to check and how to fix it, per topic and per framework, as templates
//! (see `text::render`: `${key}`, `${key|fallback}`, optional `$[ ... ]$`).
//!
//! Computed keys available to every template: `recycle`, `recycle_ms`,
//! `keepalive_ms`, `tcp_keepalive_ms`, `limit_desc`, `limit_arg`, `probe_idle`,
//! `framework`, `lifetime`, `idle_check`, `pool_check`, `packet_hint`,
//! `packet_hint_bytes`; plus the group's numbers (`pool_size`, `user`, ...).

use super::patterns::Topic;

/// A framework family: the layers it covers and its advice.
#[derive(Debug)]
pub(super) struct Family {
    pub layers: &'static [&'static str],
    /// `poolcheck recommend --framework` value.
    pub framework: &'static str,
    /// The setting that bounds how long a pooled connection lives.
    pub lifetime: &'static str,
    /// `--check` keys for the idle limit and for pool sizing.
    pub idle_check: &'static str,
    pub pool_check: &'static str,
    pub fix: &'static [(Topic, &'static [&'static str])],
    /// Checks on top of the topic's own.
    pub checks: &'static [(Topic, &'static [&'static str])],
}

/// Checks every framework gets, per topic.
pub(super) static TOPIC_CHECKS: &[(Topic, &[&str])] = &[
    (
        Topic::Idle,
        &[
            "poolcheck inspect <DSN>: the session wait_timeout your pool's connections get (compare it with your ${lifetime}) and Aborted_clients, the connections the server closed",
            "poolcheck probe --idle ${probe_idle} <DSN>, run from the app's host: finds a load balancer, NAT gateway or firewall that cuts idle connections sooner than wait_timeout, and whether it resets them or drops them silently",
            "poolcheck recommend --framework ${framework}${limit_arg} --check ${idle_check}: whether your current settings stay below the limit",
        ],
    ),
    (
        Topic::Pool,
        &[
            "count what runs at once in one process (threads, async tasks, Celery or Sidekiq concurrency) against the pool's connections$[ (${pool_max} here)]$",
            "poolcheck inspect <DSN>: Threads_connected and Max_used_connections against max_connections, i.e. whether the server has room for a bigger pool",
            "poolcheck recommend --framework ${framework} --instances <R> --processes <P> --threads <T> --check ${pool_check}",
        ],
    ),
    (
        Topic::Capacity,
        &[
            "poolcheck inspect <DSN>: max_connections, Max_used_connections, Connection_errors_max_connections and the idle (Sleep) connections per client host",
            "poolcheck recommend --framework ${framework} --instances <R> --processes <P> --threads <T>: the worst case instances x processes x (pool size + overflow) must fit max_connections minus a reserve",
        ],
    ),
    (
        Topic::Packet,
        &[
            "poolcheck inspect <DSN>: the server's max_allowed_packet$[ (the driver saw ${max_allowed_packet_bytes:n} bytes)]$",
            "poolcheck recommend --framework ${framework} --max-blob <largest value you write, e.g. 16M>: checks the server's and the driver's max_allowed_packet",
            "find the statement that failed: a large BLOB/TEXT value, or a multi-row INSERT or long IN list built from many rows$[ (${packet_bytes:n} bytes here)]$",
        ],
    ),
    (
        Topic::Auth,
        &[
            "log in with the app's settings from the app's host (mysql -h <host> -u ${user|<user>} -p, or poolcheck inspect with the app's DSN): a 1045 there too means the password or the account's host part is wrong",
            "as an admin: SELECT user, host, plugin FROM mysql.user WHERE user = '${user|<user>}'; MySQL matches the account '${user|<user>}'@'<client host>'$[ and saw the client as '${host}']$",
            "'using password: NO' means the app sent no password: check the variable or secret it reads it from",
        ],
    ),
    (
        Topic::Connect,
        &[
            "from the app's host: poolcheck inspect <DSN> (or nc -vz <host> 3306): is the server up, listening on that address (bind_address, skip_networking) and allowed through firewalls and security groups?",
            "the server's error log around the failures: restarts, crashes, and 'Host ... is blocked because of many connection errors' (max_connect_errors; FLUSH HOSTS)",
        ],
    ),
    (
        Topic::Killed,
        &[
            "who kills connections: pt-kill or cron jobs running KILL, a proxy's idle limit (ProxySQL mysql-wait_timeout, RDS Proxy IdleClientTimeout), failovers",
            "poolcheck inspect <DSN>: Aborted_clients and the idle (Sleep) connections now",
        ],
    ),
    (
        Topic::ServerLog,
        &[
            "poolcheck inspect <DSN>: wait_timeout and Aborted_clients per hour; a steady rate of 'Got timeout reading' means pooled connections outlive wait_timeout",
            "match the user and host in these lines to the app whose pool it is, then run poolcheck explain on that app's log",
        ],
    ),
];

const GENERIC_IDLE: &[&str] = &[
    "recycle pooled connections before the limit: a max lifetime of ${recycle} s, below ${limit_desc}",
    "check connections before use (pre-ping, test on borrow), so one that died anyway is replaced instead of failing a request",
    "client read and write timeouts (e.g. 30 s), so a connection dropped silently fails fast instead of hanging about 15 minutes",
    "if the server's wait_timeout is the limit and you run the server, you may raise it, but keep the pool's lifetime below every limit that remains (middleboxes too)",
];

/// The last family: matches every layer, and gives each topic's server-side
/// or framework-neutral advice.
pub(super) static FAMILIES: &[Family] = &[
    Family {
        layers: &["sqlalchemy"],
        framework: "sqlalchemy",
        lifetime: "pool_recycle",
        idle_check: "pool_recycle=<current>,pool_pre_ping=<current>",
        pool_check: "pool_size=${pool_size|<current>},max_overflow=${max_overflow|<current>},pool_timeout=${timeout_s|<current>}",
        fix: &[
            (
                Topic::Idle,
                &[
                    "create_engine(url, pool_recycle=${recycle}, pool_pre_ping=True): connections are replaced before ${limit_desc}, and one that died anyway is replaced at checkout instead of failing the request",
                    "Flask-SQLAlchemy: app.config[\"SQLALCHEMY_ENGINE_OPTIONS\"] = {\"pool_recycle\": ${recycle}, \"pool_pre_ping\": True} (3.x otherwise sets pool_recycle=7200 for MySQL)",
                    "connect_args={\"read_timeout\": 30, \"write_timeout\": 30} (PyMySQL, mysqlclient): a connection dropped silently fails in 30 s instead of hanging",
                    "close the Session after every request or job (scoped_session.remove() at teardown; Flask-SQLAlchemy does it per request): a Session held across idle periods keeps its connection checked out, out of reach of pool_recycle and pre-ping",
                ],
            ),
            (
                Topic::Pool,
                &[
                    "return connections: one Session per request or job, closed at its end (with Session() as session: ..., or scoped_session.remove() at teardown); a forgotten Session holds its connection until garbage collection",
                    "size per process: pool_size + max_overflow at least the threads (or greenlets) of one process that use the database$[ (now ${pool_size} + ${max_overflow})]$, and the sum over all processes within max_connections",
                    "pool_timeout below the request timeout$[ (now ${timeout_s} s)]$, so a saturated pool fails requests fast instead of queueing them",
                    "keep slow work (HTTP calls, file I/O) outside the session's transaction so connections come back quickly",
                ],
            ),
            (
                Topic::Capacity,
                &[
                    "create_engine(url, pool_size=<n>, max_overflow=<m>): lower them per process so instances x processes x (pool_size + max_overflow) fits max_connections",
                ],
            ),
            (
                Topic::Packet,
                &[
                    "PyMySQL's own client limit is 16 MiB: connect_args={\"max_allowed_packet\": ${packet_hint_bytes}}",
                ],
            ),
        ],
        checks: &[(
            Topic::Pool,
            &[
                "create_engine(..., echo_pool=\"debug\") logs every checkout and checkin: a checkout without a checkin is a Session or Connection never closed",
            ],
        )],
    },
    Family {
        layers: &["django"],
        framework: "django",
        lifetime: "CONN_MAX_AGE",
        idle_check: "CONN_MAX_AGE=<current>,CONN_HEALTH_CHECKS=<current>",
        pool_check: "CONN_MAX_AGE=<current>",
        fix: &[
            (
                Topic::Idle,
                &[
                    "DATABASES[\"default\"][\"CONN_MAX_AGE\"] = ${recycle} (below ${limit_desc}; 0, a new connection per request, is also safe)",
                    "DATABASES[\"default\"][\"CONN_HEALTH_CHECKS\"] = True (Django 4.1+): a reused connection is checked before the request uses it",
                    "DATABASES[\"default\"][\"OPTIONS\"] = {\"read_timeout\": 30, \"write_timeout\": 30} (mysqlclient)",
                    "outside requests (management commands, Celery tasks, your own threads) call django.db.close_old_connections() before each unit of work: Django recycles connections only when a request starts or ends",
                ],
            ),
            (
                Topic::Capacity,
                &[
                    "Django has no pool for MySQL: every thread of every process keeps its own connection, so instances x processes x threads must fit max_connections; fewer threads, or CONN_MAX_AGE = 0",
                ],
            ),
        ],
        checks: &[],
    },
    Family {
        layers: &["pymysql", "mysqlclient", "mysql-connector-python", "python"],
        framework: "generic",
        lifetime: "connection's lifetime",
        idle_check: "max_lifetime_s=<current>,pre_ping=<current>",
        pool_check: "pool_size=<current>",
        fix: &[
            (
                Topic::Idle,
                &[
                    "without a pool: open a connection per unit of work (per request, per job) instead of keeping one for the life of the process",
                    "with a pool, use SQLAlchemy's: create_engine(url, pool_recycle=${recycle}, pool_pre_ping=True), below ${limit_desc}",
                    "read_timeout=30, write_timeout=30 in connect() (PyMySQL, mysqlclient): a connection dropped silently fails in 30 s instead of hanging",
                ],
            ),
            (
                Topic::Packet,
                &[
                    "PyMySQL's own client limit is 16 MiB: pymysql.connect(..., max_allowed_packet=${packet_hint_bytes})",
                ],
            ),
        ],
        checks: &[],
    },
    Family {
        layers: &["go-sql-driver"],
        framework: "go",
        lifetime: "SetConnMaxLifetime",
        idle_check: "ConnMaxLifetime=<current>,ConnMaxIdleTime=<current>",
        pool_check: "MaxOpenConns=<current>,MaxIdleConns=<current>",
        fix: &[
            (
                Topic::Idle,
                &[
                    "db.SetConnMaxLifetime(${recycle} * time.Second): below ${limit_desc}; the driver's README calls SetConnMaxLifetime required",
                    "db.SetConnMaxIdleTime(${recycle} * time.Second) (Go 1.15+): idle connections are closed before the limit can",
                    "DSN readTimeout=30s&writeTimeout=30s: a connection dropped silently fails instead of hanging",
                ],
            ),
            (
                Topic::Capacity,
                &[
                    "db.SetMaxOpenConns(<n>) in every process so the sum over processes and instances fits max_connections, and db.SetMaxIdleConns(<n>) no higher",
                ],
            ),
            (
                Topic::Packet,
                &[
                    "DSN maxAllowedPacket=${packet_hint_bytes} (the driver's own limit, 64 MiB by default; maxAllowedPacket=0 reads the server's value at each connect)",
                ],
            ),
        ],
        checks: &[],
    },
    Family {
        layers: &["hikaricp", "connector-j", "java"],
        framework: "hikaricp",
        lifetime: "maxLifetime",
        idle_check: "maxLifetime=<current>,keepaliveTime=<current>",
        pool_check: "maximumPoolSize=${pool_total|<current>},connectionTimeout=${timeout_ms|<current>}",
        fix: &[
            (
                Topic::Idle,
                &[
                    "HikariCP maxLifetime=${recycle_ms} (ms; below ${limit_desc}, as HikariCP's docs ask; its minimum is 30000)",
                    "keepaliveTime=${keepalive_ms} (HikariCP 4.0.1+, below maxLifetime): idle connections are pinged, so middleboxes see traffic and dead ones are found before a request gets them",
                    "JDBC URL socketTimeout=30000 (Connector/J, ms): a read on a connection dropped silently fails in 30 s",
                    "do not rely on Connector/J's autoReconnect=true (its docs advise against it): let the pool validate and replace connections",
                    "other pools, the same in their terms: Tomcat JDBC maxAge=${recycle_ms} with testOnBorrow=true; DBCP2 maxConnLifetimeMillis=${recycle_ms} with testOnBorrow=true; c3p0 maxIdleTime=${recycle} with testConnectionOnCheckout=true",
                ],
            ),
            (
                Topic::Pool,
                &[
                    "leakDetectionThreshold=60000: HikariCP logs where a connection was taken that was held longer than 60 s",
                    "maximumPoolSize small and bounded (HikariCP's sizing guide starts at cores x 2 + effective spindles), and bound the threads that need a connection$[ (total=${pool_total}, waiting=${pool_waiting} here)]$",
                    "connectionTimeout below the request timeout$[ (it waited ${timeout_ms} ms here)]$",
                ],
            ),
            (
                Topic::Capacity,
                &[
                    "maximumPoolSize per instance so instances x maximumPoolSize fits max_connections; a lower minimumIdle keeps fewer connections open while idle",
                ],
            ),
            (
                Topic::Packet,
                &[
                    "Connector/J reads max_allowed_packet from the server when it connects: after raising it, renew the pool's connections (restart, or HikariPoolMXBean.softEvictConnections())",
                ],
            ),
        ],
        checks: &[(
            Topic::Pool,
            &[
                "leakDetectionThreshold=60000 logs the stack trace of code that holds a connection longer than 60 s",
            ],
        )],
    },
    Family {
        layers: &["rails"],
        framework: "rails",
        lifetime: "idle_timeout",
        idle_check: "idle_timeout=<current>,reaping_frequency=<current>",
        pool_check: "pool=<current>,checkout_timeout=${timeout_s|<current>}",
        fix: &[
            (
                Topic::Idle,
                &[
                    "config/database.yml: idle_timeout: ${recycle} (seconds idle before the reaper closes a connection; below ${limit_desc}; default 300)",
                    "reaping_frequency: 20 (the reaper closes idle connections only when it runs)",
                    "max_age: ${recycle} (Rails 8.1+: retire connections older than this too)",
                    "read_timeout: 30 and write_timeout: 30 (mysql2 gem): a connection dropped silently fails in 30 s",
                ],
            ),
            (
                Topic::Pool,
                &[
                    "pool (max_connections in Rails 8.1+) at least the threads of one process that use Active Record: Puma's RAILS_MAX_THREADS, Sidekiq's concurrency",
                    "threads the app starts itself must give their connection back: wrap their work in ActiveRecord::Base.connection_pool.with_connection { ... }",
                    "checkout_timeout below the request timeout$[ (now ${timeout_s} s)]$",
                ],
            ),
            (
                Topic::Capacity,
                &[
                    "pool x processes (Puma workers, Sidekiq processes) x instances must fit max_connections",
                ],
            ),
        ],
        checks: &[(
            Topic::Pool,
            &[
                "ActiveRecord::Base.connection_pool.stat while it happens: size, busy, idle and waiting",
            ],
        )],
    },
    Family {
        layers: &["node-mysql2"],
        framework: "node-mysql2",
        lifetime: "idleTimeout",
        idle_check: "idleTimeout=<current>,maxIdle=<current>,connectionLimit=<current>",
        pool_check: "connectionLimit=<current>",
        fix: &[
            (
                Topic::Idle,
                &[
                    "mysql.createPool({ connectionLimit: 10, maxIdle: 5, idleTimeout: ${recycle_ms}, enableKeepAlive: true, keepAliveInitialDelay: ${tcp_keepalive_ms} }): mysql2 closes idle connections only when maxIdle is below connectionLimit, and idleTimeout (ms) must be below ${limit_desc}",
                    "retry a query once when it fails with PROTOCOL_CONNECTION_LOST or ECONNRESET on a pooled connection: the pool has already dropped that connection",
                ],
            ),
            (
                Topic::Pool,
                &[
                    "release every connection taken with pool.getConnection() (connection.release() in a finally block), or use pool.query() / pool.execute(), which release it themselves",
                    "connectionLimit (default 10) for the real concurrency; queueLimit (default 0: unbounded) only bounds how many wait",
                ],
            ),
            (
                Topic::Capacity,
                &[
                    "connectionLimit per process so processes x instances x connectionLimit fits max_connections",
                ],
            ),
        ],
        checks: &[(
            Topic::Pool,
            &["count pool 'acquire' and 'release' events: an acquire without a release is a leak"],
        )],
    },
    Family {
        layers: &["sqlx"],
        framework: "sqlx",
        lifetime: "max_lifetime",
        idle_check: "max_lifetime=<current>,idle_timeout=<current>",
        pool_check: "max_connections=<current>,acquire_timeout=<current>",
        fix: &[
            (
                Topic::Idle,
                &[
                    "MySqlPoolOptions::new().max_lifetime(Duration::from_secs(${recycle})).idle_timeout(Duration::from_secs(${recycle})).test_before_acquire(true): below ${limit_desc}",
                    "wrap queries in tokio::time::timeout(Duration::from_secs(30), ...): sqlx's MySQL driver has no read timeout",
                ],
            ),
            (
                Topic::Pool,
                &[
                    "max_connections at least the tasks that hold a connection at once; do not keep a PoolConnection or Transaction across slow awaits",
                    "PoolTimedOut also means connecting failed for the whole acquire_timeout: check the database is reachable (poolcheck inspect)",
                ],
            ),
            (
                Topic::Capacity,
                &["max_connections per process so the sum fits the server's max_connections"],
            ),
        ],
        checks: &[(
            Topic::Pool,
            &[
                "pool.size() and pool.num_idle() while it happens: all busy means load or held connections",
            ],
        )],
    },
    Family {
        layers: &[],
        framework: "generic",
        lifetime: "pool's max lifetime",
        idle_check: "max_lifetime_s=<current>,idle_timeout_s=<current>,pre_ping=<current>",
        pool_check: "pool_size=${pool_size|<current>},max_overflow=${max_overflow|<current>},checkout_timeout_s=<current>",
        fix: &[
            (Topic::Idle, GENERIC_IDLE),
            (
                Topic::Pool,
                &[
                    "return every connection to the pool as soon as the work is done (close in finally blocks)",
                    "size the pool to the concurrency of one process, and keep the total over all processes within max_connections",
                    "keep slow work (HTTP calls, file I/O) outside transactions so connections come back quickly",
                    "a checkout timeout below the request timeout, so requests fail fast instead of queueing",
                ],
            ),
            (
                Topic::Capacity,
                &[
                    "make all pools fit: instances x processes x (pool size + overflow) + other clients at most max_connections minus a reserve (poolcheck recommend computes it)",
                    "or raise max_connections if the server has the memory: SET GLOBAL max_connections = <n>; and max_connections=<n> under [mysqld] in my.cnf",
                    "close idle connections sooner (a pool idle timeout), so idle ones do not hold slots",
                ],
            ),
            (
                Topic::Packet,
                &[
                    "raise the server's limit: SET GLOBAL max_allowed_packet = ${packet_hint_bytes}; and max_allowed_packet=${packet_hint} under [mysqld] in my.cnf (applies to new connections: renew the pool)",
                    "or send less per statement: smaller batches, and large files outside the database",
                ],
            ),
            (
                Topic::Auth,
                &[
                    "fix the credentials or the account, not the pool: ALTER USER '${user|<user>}'@'<host>' IDENTIFIED BY '<password>'; or CREATE USER / GRANT for the host the server sees$[ ('${host}')]$",
                    "after a password change, restart or reload the app so its pool stops opening connections with the old one",
                ],
            ),
            (
                Topic::Connect,
                &[
                    "make the server reachable from the app's host (address, port, firewall or security group, bind_address), or wait for the restart or failover to finish",
                    "a connect timeout (10 s) so requests fail fast while the server is unreachable, and pre-ping so the pool replaces connections broken by the outage",
                ],
            ),
            (
                Topic::Killed,
                &[
                    "stop or tune whatever kills the connections, or keep the pool's max lifetime below its idle limit",
                    "pre-ping (test on borrow) so a killed connection is replaced before a request uses it",
                ],
            ),
            (
                Topic::ServerLog,
                &[
                    "'Got timeout reading communication packets': set the affected pool's max lifetime below wait_timeout (poolcheck recommend --framework <yours> with poolcheck inspect's facts)",
                    "'Got an error reading communication packets': clients dropped connections without closing them (killed processes, resets from the network); close pools on shutdown",
                ],
            ),
        ],
        checks: &[],
    },
];

/// Sentences about how a layer's defaults lead to the topic's problem.
pub(super) static LAYER_NOTES: &[(&str, Topic, &str)] = &[
    (
        "rails",
        Topic::Idle,
        "Rails sets SESSION wait_timeout = 2147483 on its MySQL connections (unless database.yml sets wait_timeout), so the server's wait_timeout rarely does this to Rails: look for a load balancer, NAT gateway, firewall or proxy on the path, a server restart or a KILL.",
    ),
    (
        "sqlalchemy",
        Topic::Idle,
        "SQLAlchemy never recycles by default (pool_recycle=-1; Flask-SQLAlchemy 3.x sets 7200 s for MySQL) and pre-ping is off by default.",
    ),
    (
        "django",
        Topic::Idle,
        "With CONN_MAX_AGE above 0 Django reuses a connection across requests and, without CONN_HEALTH_CHECKS, does not check it first.",
    ),
    (
        "go-sql-driver",
        Topic::Idle,
        "database/sql keeps idle connections forever unless SetConnMaxLifetime or SetConnMaxIdleTime is set.",
    ),
    (
        "hikaricp",
        Topic::Idle,
        "HikariCP's default maxLifetime is 30 min, longer than any idle limit under 30 min on the path.",
    ),
    (
        "connector-j",
        Topic::Idle,
        "A pool's default lifetime (HikariCP: 30 min) is longer than many idle limits on the path.",
    ),
    (
        "sqlx",
        Topic::Idle,
        "sqlx's defaults (max_lifetime 30 min, idle_timeout 10 min) outlive 240-350 s load balancer limits.",
    ),
];

/// The family whose layers include `layer` (the generic one otherwise).
pub(super) fn family(layer: &str) -> &'static Family {
    FAMILIES
        .iter()
        .find(|f| f.layers.contains(&layer))
        .unwrap_or(&FAMILIES[FAMILIES.len() - 1])
}

pub(super) fn generic() -> &'static Family {
    &FAMILIES[FAMILIES.len() - 1]
}

pub(super) fn for_topic<'a>(table: &'a [(Topic, &'a [&'a str])], topic: Topic) -> &'a [&'a str] {
    table
        .iter()
        .find(|(t, _)| *t == topic)
        .map_or(&[], |(_, lines)| lines)
}
