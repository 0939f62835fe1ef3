//! What to check and how to fix it, per topic and per framework, as templates
//! (see `text::render`: `${key}`, `${key|fallback}`, optional `$[ ... ]$`).
//!
//! Computed keys available to every template: `recycle`, `recycle_ms`,
//! `recycle_half` (sqlx's idle_timeout for that recycle time),
//! `keepalive_ms`, `tcp_keepalive_ms`, `limit_desc`, `limit_arg`, `probe_idle`,
//! `framework`, `lifetime`, `idle_check`, `pool_check`, `packet_hint`,
//! `packet_hint_bytes`, `pymysql_packet`, `go_packet` (the drivers' own
//! limits, e.g. `16 MiB`); plus the group's numbers (`pool_size`, `user`, ...).
//! Each framework's own advice is in its module under
//! src/recommend/frameworks/; this file holds what is not per framework.

use super::patterns::Topic;
use crate::recommend::Framework;
use crate::recommend::frameworks::Advice;

/// The advice for one layer, and the framework `poolcheck recommend` takes for it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Family {
    pub framework: Framework,
    pub advice: &'static Advice,
}

impl Family {
    /// The framework's own fix for `topic` (empty: the neutral fix applies).
    pub fn fix(&self, topic: Topic) -> &'static [&'static str] {
        let a = self.advice;
        match topic {
            Topic::Idle => a.idle_fix,
            Topic::Pool => a.pool_fix,
            Topic::Capacity => a.capacity_fix,
            Topic::Packet => a.packet_fix,
            Topic::Auth
            | Topic::Connect
            | Topic::Killed
            | Topic::ServerLog
            | Topic::InFlight
            | Topic::Shared
            | Topic::Failover => &[],
        }
    }

    /// Checks on top of the topic's own.
    pub fn checks(&self, topic: Topic) -> &'static [&'static str] {
        match topic {
            Topic::Pool => self.advice.pool_checks,
            _ => &[],
        }
    }
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
    (
        Topic::Shared,
        &[
            "which threads, coroutines or processes use this connection: one connection (or one SQLAlchemy Session, one PyMySQL connection) used by two at once interleaves their packets",
            "whether it was opened before a fork: gunicorn --preload, uWSGI without lazy-apps, Celery prefork, multiprocessing; a connection made at import time is shared by every child",
        ],
    ),
    (
        Topic::Failover,
        &[
            "SELECT @@hostname, @@read_only, @@innodb_read_only on the app's own connection: which server the pool is really on",
            "when the failover happened (the cloud console's events, Orchestrator's log) against the first failure, and the host name the app connects to (the cluster/writer endpoint, not an instance's)",
        ],
    ),
    (
        Topic::InFlight,
        &[
            "how long the statement ran$[ (the client gave up after ${timeout_s} s)]$$[ (its answer was awaited ${in_flight_s} s)]$: the slow query log or performance_schema.events_statements_history, and SHOW PROCESSLIST while it happens",
            "the client's ${read_timeout} (and any per-statement timeout) against the longest statement the app must run: failures after about the same time each occurrence are that timeout",
            "poolcheck inspect <DSN>: net_read_timeout and net_write_timeout, the server's own limits on a stalled transfer",
        ],
    ),
];

const GENERIC_IDLE: &[&str] = &[
    "recycle pooled connections before the limit: a max lifetime of ${recycle} s, below ${limit_desc}",
    "check connections before use (pre-ping, test on borrow), so one that died anyway is replaced instead of failing a request",
    "client read and write timeouts (e.g. 30 s), so a connection dropped silently fails fast instead of hanging about 15 minutes",
    "if the server's wait_timeout is the limit and you run the server, you may raise it, but keep the pool's lifetime below every limit that remains (middleboxes too)",
];

/// Framework-neutral fixes per topic: what a framework without lines of its
/// own for the topic gets, and the server-side fixes that come first for
/// [`Topic::server_side`] topics.
pub(super) static TOPIC_FIXES: &[(Topic, &[&str])] = &[
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
        Topic::Shared,
        &[
            "one connection per thread or coroutine: take one from a pool for each unit of work (SQLAlchemy scoped_session, a pool's acquire, threading.local) instead of a module-level connection",
            "never reuse the parent's connections after a fork: open them in the worker (gunicorn post_fork, uWSGI lazy-apps = true), or call engine.dispose(close=False) in the child (Flask-SQLAlchemy: db.engine.dispose())",
            "for 2014 in PHP or C: read or free every result before the next statement (mysqli store_result and next_result; a stored procedure returns an extra result)",
        ],
    ),
    (
        Topic::Failover,
        &[
            "connect through the writer (cluster) endpoint and let the pool see the new primary: a short DNS cache (JVM networkaddress.cache.ttl=5) and a max lifetime (${recycle} s) so connections opened before the failover are replaced",
            "evict a connection that returns 1290 instead of retrying on it (HikariCP SQLExceptionOverride, a retry with a fresh connection); the AWS Advanced JDBC/Python wrappers' failover plugins do this for Aurora",
            "send reads meant for replicas through a separate pool, writes only to the writer",
        ],
    ),
    (
        Topic::InFlight,
        &[
            "make the statement finish within the timeout (an index, smaller batches, LIMIT), or run it outside the request",
            "the client's ${read_timeout} above the longest statement the app legitimately runs, or a per-statement limit instead (MAX_EXECUTION_TIME, JDBC Statement.setQueryTimeout), so a slow query is cancelled cleanly instead of breaking the connection",
            "if the statement is quick when run by hand, the connection was cut mid-statement (a failover, a middlebox dropping the flow): poolcheck probe checks the path; retry idempotent statements once",
        ],
    ),
    (
        Topic::ServerLog,
        &[
            "'Got timeout reading communication packets': set the affected pool's max lifetime below wait_timeout (poolcheck recommend --framework <yours> with poolcheck inspect's facts)",
            "'Got an error reading communication packets': clients dropped connections without closing them (killed processes, resets from the network); close pools on shutdown",
        ],
    ),
];

/// Python drivers used without a framework: no framework of poolcheck
/// recommend's, so their advice points at `--framework generic`.
static PYTHON_DRIVERS: Advice = Advice {
    layers: &["pymysql", "mysqlclient", "mysql-connector-python", "python"],
    lifetime: "connection's lifetime",
    idle_check: "max_lifetime_s=<current>,pre_ping=<current>",
    pool_check: "pool_size=<current>",
    idle_fix: &[
        "without a pool: open a connection per unit of work (per request, per job) instead of keeping one for the life of the process",
        "with a pool, use SQLAlchemy's: create_engine(url, pool_recycle=${recycle}, pool_pre_ping=True), below ${limit_desc}",
        "read_timeout=30, write_timeout=30 in connect() (PyMySQL, mysqlclient): a connection dropped silently fails in 30 s instead of hanging",
    ],
    pool_fix: &[],
    capacity_fix: &[],
    packet_fix: &[
        "PyMySQL's own client limit is ${pymysql_packet}: pymysql.connect(..., max_allowed_packet=${packet_hint_bytes})",
    ],
    pool_checks: &[],
};

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

/// The family whose layers include `layer`: a registered framework's, the
/// Python drivers', or the generic framework's.
pub(super) fn family(layer: &str) -> Family {
    if let Some(framework) = Framework::ALL
        .into_iter()
        .find(|f| f.spec().advice.layers.contains(&layer))
    {
        return Family {
            framework,
            advice: &framework.spec().advice,
        };
    }
    let own = super::stacks::STACKS
        .iter()
        .copied()
        .find(|a| a.layers.contains(&layer));
    let (framework, advice) = if let Some(advice) = own {
        (Framework::Generic, advice)
    } else if PYTHON_DRIVERS.layers.contains(&layer) {
        (Framework::Generic, &PYTHON_DRIVERS)
    } else {
        (Framework::Generic, &Framework::Generic.spec().advice)
    };
    Family { framework, advice }
}

pub(super) fn for_topic<'a>(table: &'a [(Topic, &'a [&'a str])], topic: Topic) -> &'a [&'a str] {
    table
        .iter()
        .find(|(t, _)| *t == topic)
        .map_or(&[], |(_, lines)| lines)
}
