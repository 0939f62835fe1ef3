//! The recognisers as data: problem kinds, the message patterns that reveal
//! them, the layers (drivers, frameworks) text comes through, and the idle
//! limits that numbers are matched against. Order in each table is priority.

use crate::finding::Severity;
use crate::recommend::hosting::{self, Preset};
use regex::{Regex, RegexSet};
use std::sync::{LazyLock, OnceLock};

/// Which advice a kind gets (checks and fixes are written per topic and framework).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Topic {
    /// A pooled connection that an idle limit (or something else) closed under the pool.
    Idle,
    /// The app's own pool had no free connection.
    Pool,
    /// The server refused a new connection (max_connections and friends).
    Capacity,
    /// max_allowed_packet.
    Packet,
    /// Login refused.
    Auth,
    /// No connection could be opened at all.
    Connect,
    /// Something KILLed the connection on the server.
    Killed,
    /// The server's own error log about connections it dropped.
    ServerLog,
    /// One connection used by two threads, coroutines or processes at once.
    Shared,
    /// A failover moved the writer; pooled connections still point at the old one.
    Failover,
    /// A statement was sent and its answer did not come in time: a client
    /// read or query timeout, a slow query, or a connection dropped mid-statement.
    InFlight,
}

impl Topic {
    /// Topics whose main fix is on the server or the account, so the generic
    /// (server-side) advice comes first even when a framework adds its own.
    pub(super) fn server_side(self) -> bool {
        matches!(
            self,
            Topic::Capacity | Topic::Packet | Topic::Auth | Topic::Connect | Topic::Killed
        )
    }
}

/// One problem kind: what `Group.id` names.
#[derive(Debug)]
pub(super) struct Kind {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// The MySQL error code the message implies (when the text shows none).
    pub code: Option<i64>,
    /// 0: a transport symptom (reset, broken pipe, EOF) that a driver error on a
    /// nearby line explains better; 1: driver and server errors; 2: conclusions
    /// that override the error they wrap (a pool timeout, "never connected").
    pub rank: u8,
    pub topic: Topic,
    /// Numbers that split groups (others are summarised with min/max).
    pub key_numbers: &'static [&'static str],
    /// The cause, as a clause; the numbers' sentences come before it.
    pub cause: &'static str,
    pub not_cause: Option<&'static str>,
    /// Fix lines for this kind on top of its topic's (templates, see text::render).
    pub extra_fix: &'static [&'static str],
}

/// How a matching line relates to the lines around it.
#[derive(Debug)]
pub(super) enum Role {
    /// Begins an occurrence (or joins one as the same error re-raised by a wrapper).
    Start,
    /// Continues a recent occurrence of one of these kinds (empty: any kind),
    /// e.g. Connector/J's "The last packet ..." line. Without one it starts its
    /// own occurrence if the pattern has a kind, else it is ignored.
    Tail(&'static [&'static str]),
}

/// A constant a pattern adds to the numbers.
#[derive(Debug, Clone, Copy)]
pub(super) enum Const {
    Int(i64),
    Str(&'static str),
}

/// One message pattern.
#[derive(Debug)]
pub(super) struct Pattern {
    /// The kind it reveals; None for patterns that only add numbers.
    pub kind: Option<&'static str>,
    /// The layer the message itself proves (else it is detected from the line).
    pub layer: Option<&'static str>,
    pub role: Role,
    /// Named groups become numbers (digits, with or without `,`) or strings.
    pub regex: &'static str,
    pub sets: &'static [(&'static str, Const)],
    /// A sentence for the cause when this pattern gave the occurrence its
    /// headline (template over the numbers; dropped when a number is missing).
    pub note: Option<&'static str>,
    /// A generic network error (reset, broken pipe, refused) that HTTP
    /// servers, CDNs and message queues print too: it counts only with
    /// database context on its line or its occurrence's (see
    /// `recognize::DB_CONTEXT`).
    pub needs_db: bool,
    /// Where the message text comes from.
    pub source: &'static str,
}

/// A documented idle limit that an idle time can be matched against.
#[derive(Debug)]
pub(super) struct Limit {
    pub seconds: f64,
    /// How the cause names it after "just past".
    pub name: &'static str,
    /// `poolcheck recommend --hosting` preset, when there is one.
    pub hosting: Option<&'static str>,
    /// A server's own wait_timeout (not a middlebox): a live server with a
    /// different wait_timeout then points elsewhere.
    pub server_side: bool,
    pub conclusion: &'static str,
}

impl Limit {
    /// A hosting preset's limit: its number and name come from the preset
    /// (`poolcheck recommend --hosting`), so the two cannot disagree.
    const fn preset(
        preset: &'static Preset,
        name: &'static str,
        server_side: bool,
        conclusion: &'static str,
    ) -> Limit {
        let Some(seconds) = preset.limit_s else {
            panic!("a preset without an idle limit");
        };
        Limit {
            seconds: seconds as f64,
            name,
            hosting: Some(preset.name),
            server_side,
            conclusion,
        }
    }
}

use Const::{Int, Str};
use Role::{Start, Tail};
use Severity::{Info, Warn};

pub(super) static KINDS: &[Kind] = &[
    Kind {
        id: "server-gone-away",
        title: "MySQL server has gone away (2006)",
        severity: Warn,
        code: Some(2006),
        rank: 1,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "the client sent a request on a connection that was already closed at the other end; \
                with a pool this is almost always a pooled connection that sat idle longer than the \
                shortest idle limit on the path (the server's wait_timeout, 8 h by default, or a load \
                balancer, NAT gateway or proxy timeout) and was reused without a check; less often the \
                server restarted, the connection was KILLed, or a statement exceeded max_allowed_packet",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "lost-connection-during-query",
        title: "Lost connection to MySQL server during query (2013)",
        severity: Warn,
        code: Some(2013),
        rank: 1,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "the connection broke after the request was sent and before the whole answer came \
                back: usually a pooled connection the server or a middlebox had closed while it sat \
                idle (the first request after a quiet period fails); otherwise a query that outran \
                net_read_timeout/net_write_timeout or a client read timeout, a server restart or KILL, \
                or a packet above max_allowed_packet",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "lost-connection-system-error",
        title: "Lost connection to MySQL server at '...', system error (2055)",
        severity: Warn,
        code: Some(2055),
        rank: 1,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "the client lost the socket, and the system error says how: 32 (broken pipe) means it \
                wrote to a connection the server had already closed, either idle past a timeout or \
                dropped by the server after a packet above max_allowed_packet (large INSERTs); 104 \
                means the server or a middlebox reset it; 110 means it timed out",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "idle-timeout-4031",
        title: "Disconnected by the server because of inactivity (4031)",
        severity: Warn,
        code: Some(4031),
        rank: 1,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "the server (MySQL 8.0.24 or later) closed this connection because it was idle longer \
                than wait_timeout (interactive_timeout for interactive clients), and said so before \
                closing: the pool handed out a connection older than the server's idle limit",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "communications-link-failure",
        title: "Communications link failure (Connector/J)",
        severity: Warn,
        code: None,
        rank: 1,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "Connector/J lost its connection to the server; on a pooled connection that had been \
                idle, the usual reason is an idle limit on the path (wait_timeout, a load balancer, \
                NAT gateway or firewall)",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "connection-reset",
        title: "Connection reset by peer (TCP RST)",
        severity: Warn,
        code: None,
        rank: 0,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "the other end or a device on the path reset the connection: AWS NLBs and NAT \
                gateways reset flows idle past 350 s, and a restarted server or a killed connection \
                resets too",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "broken-pipe",
        title: "Broken pipe (write to a closed connection)",
        severity: Warn,
        code: None,
        rank: 0,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "the client wrote to a connection the other side had already closed: a pooled \
                connection closed by wait_timeout or a middlebox while it sat idle, or one the server \
                dropped after a packet above max_allowed_packet",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "unexpected-eof",
        title: "Unexpected EOF from the server (go-sql-driver)",
        severity: Warn,
        code: None,
        rank: 0,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "the server or a proxy closed the connection (FIN) while the driver waited for a \
                packet: typically the server's wait_timeout closed an idle pooled connection, or a \
                proxy or load balancer ended the flow",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "invalid-connection",
        title: "invalid connection / driver: bad connection (Go)",
        severity: Warn,
        code: None,
        rank: 1,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "go-sql-driver found the pooled connection dead while using it, usually because the \
                server or a middlebox had closed it while idle; database/sql retries on a fresh \
                connection only when nothing had been sent yet, otherwise the query fails",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "bad-idle-connection",
        title: "closing bad idle connection (Go)",
        severity: Info,
        code: None,
        rank: 1,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "go-sql-driver's liveness check found a pooled connection already closed and \
                discarded it before use (database/sql then used another one): harmless by itself, \
                but it shows idle connections are being closed under the pool; 'unexpected read from \
                socket' means a MySQL 8.0.24+ server had sent its 4031 inactivity error",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "connection-lost",
        title: "Connection lost: The server closed the connection (Node mysql2)",
        severity: Warn,
        code: None,
        rank: 1,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "the server or a middlebox closed the socket of a pooled connection; mysql2 closes \
                idle pool connections only when maxIdle is below connectionLimit, so by default they \
                stay in the pool until wait_timeout or a load balancer kills them",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "connection-not-available",
        title: "MySQL Connection not available (mysql-connector-python)",
        severity: Warn,
        code: None,
        rank: 1,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "the connection object is no longer connected: it was closed after an idle timeout \
                or an error and then reused, or a connection opened before the web server forked its \
                workers (gunicorn --preload, uWSGI without lazy-apps, PythonAnywhere) is shared by \
                several processes",
        not_cause: None,
        extra_fix: &[
            "do not use the database at import time in a pre-forking server: connections opened \
             before the fork are shared by every worker; open them in the worker, or after the \
             fork call engine.dispose(close=False) (Flask-SQLAlchemy: db.session.close(); \
             db.engine.dispose())",
        ],
    },
    Kind {
        id: "connection-closed",
        title: "Connection used after it was closed",
        severity: Warn,
        code: None,
        rank: 1,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "the app used a connection the driver had already closed after an earlier failure \
                (Connector/J: 'No operations allowed after connection closed'; PyMySQL: \
                InterfaceError (0, '')): usually an idle connection that wait_timeout or a middlebox \
                had killed, kept and reused by code that holds connections outside the pool",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "stale-connection-validation",
        title: "HikariCP: Failed to validate connection",
        severity: Info,
        code: None,
        rank: 1,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "HikariCP found a pooled connection dead when it checked it before handing it out, \
                and replaced it (the request did not fail): connections live in the pool longer than \
                the server or the network lets them idle; HikariCP's own hint is a shorter \
                maxLifetime",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "pool-exhausted",
        title: "Connection pool exhausted",
        severity: Warn,
        code: None,
        rank: 2,
        topic: Topic::Pool,
        key_numbers: &["pool_size", "max_overflow"],
        cause: "every connection of the pool was in use for the whole checkout timeout: more \
                concurrent requests than pooled connections, connections held during slow work \
                (long queries, external calls), or connections leaked (sessions or connections never \
                closed or returned)",
        not_cause: Some(
            "not a server limit: the server refused nothing, so raising max_connections or \
             wait_timeout does not help",
        ),
        extra_fix: &[],
    },
    Kind {
        id: "too-many-connections",
        title: "Too many connections (1040)",
        severity: Warn,
        code: Some(1040),
        rank: 1,
        topic: Topic::Capacity,
        key_numbers: &[],
        cause: "the server refused a new connection because max_connections were already open: the \
                sum of all pools (instances x processes x (pool size + overflow)) plus other clients \
                is above max_connections, or connections leak or pile up idle",
        not_cause: Some("not an idle timeout: the server refused a new connection"),
        extra_fix: &[],
    },
    Kind {
        id: "max-user-connections",
        title: "Account connection limit reached (1203/1226)",
        severity: Warn,
        code: Some(1203),
        rank: 1,
        topic: Topic::Capacity,
        key_numbers: &["user"],
        cause: "this account reached its own connection limit (max_user_connections, server-wide or \
                set on the account): its pools together open more connections than it may have",
        not_cause: Some("not an idle timeout: the server refused a new connection"),
        extra_fix: &[],
    },
    Kind {
        id: "packet-too-large",
        title: "Packet bigger than max_allowed_packet (1153)",
        severity: Warn,
        code: Some(1153),
        rank: 1,
        topic: Topic::Packet,
        key_numbers: &["max_allowed_packet_bytes"],
        cause: "a single statement or row was larger than max_allowed_packet (the server's, or the \
                driver's own client limit): a large BLOB/TEXT value or a huge multi-row INSERT; the \
                server closes the connection after it, which some drivers report as 2006 or 2013",
        not_cause: Some(
            "not an idle timeout, even when it shows up as 'gone away': pool_recycle or \
             wait_timeout do not change it",
        ),
        extra_fix: &[],
    },
    Kind {
        id: "access-denied",
        title: "Access denied (1045)",
        severity: Info,
        code: Some(1045),
        rank: 1,
        topic: Topic::Auth,
        key_numbers: &["user", "host"],
        cause: "the server rejected the login: a wrong password, no account matching this user from \
                this client host (MySQL matches 'user'@'host'), no privilege on the database (1044), \
                no password sent at all ('using password: NO'), or TLS required and the client \
                connected in plain text: an account created REQUIRE SSL (or X509, ISSUER, SUBJECT), \
                or on MariaDB require_secure_transport=ON, gets this same 1045; MySQL's \
                require_secure_transport answers 3159 'Connections using insecure transport are \
                prohibited' instead (connect with TLS: ssl-mode REQUIRED, or poolcheck's --ssl-mode \
                REQUIRED to try)",
        not_cause: Some(
            "not a pool or idle-timeout problem: the login itself is refused, and no pool, recycle \
             or timeout setting changes that",
        ),
        extra_fix: &[],
    },
    Kind {
        id: "cannot-connect",
        title: "Cannot connect to the server",
        severity: Warn,
        code: Some(2003),
        rank: 2,
        topic: Topic::Connect,
        key_numbers: &[],
        cause: "the client could not open a connection at all: the server was down or restarting, \
                the host or port is wrong, or a firewall or security group blocks the path",
        not_cause: Some(
            "not an idle timeout or a pool setting: no connection was established in the first place",
        ),
        extra_fix: &[],
    },
    Kind {
        id: "lost-connection-at-handshake",
        title: "Lost connection while connecting (2013 at handshake)",
        severity: Warn,
        code: Some(2013),
        rank: 2,
        topic: Topic::Connect,
        key_numbers: &[],
        cause: "the connection was dropped while it was being opened: the server closed it during \
                the handshake (host blocked after max_connect_errors, connect_timeout on a slow \
                network or slow reverse DNS without skip_name_resolve), a proxy had no healthy \
                backend, or TLS settings do not match",
        not_cause: Some("not an idle pooled connection: this failed while opening a new one"),
        extra_fix: &[],
    },
    Kind {
        id: "connection-killed",
        title: "Connection was killed (1927)",
        severity: Warn,
        code: Some(1927),
        rank: 1,
        topic: Topic::Killed,
        key_numbers: &[],
        cause: "the connection was killed on the server: a KILL by an admin, pt-kill or a cron job, \
                a proxy, or a failover",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "server-closed-connection",
        title: "The server closed the connection (EOF)",
        severity: Warn,
        code: None,
        rank: 1,
        topic: Topic::Idle,
        key_numbers: &[],
        cause: "the server or a proxy closed the connection (a FIN, or a TLS close) while the client \
                used it: a pooled connection the server's wait_timeout or a middlebox had closed while \
                it sat idle, a restart or failover, or a KILL",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "shared-connection",
        title: "One connection used by two threads or processes at once",
        severity: Warn,
        code: None,
        rank: 1,
        topic: Topic::Shared,
        key_numbers: &[],
        cause: "two threads, coroutines or processes used one connection at the same time, so their \
                packets interleaved and the client lost its place in the protocol: a module-level \
                connection shared by threads or async tasks, or a connection opened before the web \
                server or task queue forked its workers (gunicorn --preload, uWSGI without lazy-apps, \
                Celery prefork), inherited by every child; a 2014 'Commands out of sync' also comes \
                from sending a statement before the previous result was read",
        not_cause: Some(
            "not an idle timeout or a server limit: no pool lifetime or server setting changes it",
        ),
        extra_fix: &[],
    },
    Kind {
        id: "connection-leak",
        title: "Connection held too long (pool leak detection)",
        severity: Info,
        code: None,
        rank: 1,
        topic: Topic::Pool,
        key_numbers: &[],
        cause: "a connection was taken from the pool and not returned within the leak detection \
                threshold: code that never closes it (no try-with-resources or finally), or work that \
                really holds it that long (a long transaction, an HTTP call inside one); leaked \
                connections drain the pool until requests time out waiting",
        not_cause: None,
        extra_fix: &[],
    },
    Kind {
        id: "pool-helper-deadlock",
        title: "c3p0 APPARENT DEADLOCK (the pool's helper threads are stuck)",
        severity: Warn,
        code: None,
        rank: 1,
        topic: Topic::Pool,
        key_numbers: &[],
        cause: "c3p0's helper threads were busy with the same tasks for a whole detection cycle: \
                usually acquiring new connections from a database that did not answer (unreachable, \
                refusing, slow DNS), or closing cached statements (StatementCloseTask, with \
                maxStatements above 0); checkouts wait behind them",
        not_cause: None,
        extra_fix: &[
            "if the stuck tasks are StatementCloseTask: maxStatements=0 and maxStatementsPerConnection=0 (or statementCacheNumDeferredCloseThreads=1); if they are acquire tasks: make the database reachable and set checkoutTimeout so requests fail fast",
        ],
    },
    Kind {
        id: "tls-handshake-failed",
        title: "TLS handshake with the server failed",
        severity: Warn,
        code: None,
        rank: 2,
        topic: Topic::Connect,
        key_numbers: &[],
        cause: "the client and the server could not agree on TLS: no protocol version in common (Java \
                8u291+ and 11.0.11+ disable TLS 1.0 and 1.1, the only ones MySQL 5.6 and early 5.7 \
                servers offer), a certificate the client does not trust, or a server or proxy that \
                closed the connection during the handshake",
        not_cause: Some(
            "not a pool or idle-timeout problem: no connection was established in the first place",
        ),
        extra_fix: &[
            "Connector/J: tlsVersions=TLSv1.2,TLSv1.3 (enabledTLSProtocols before 8.0.28) against a server that supports TLS 1.2, or upgrade the server; trust its CA (trustCertificateKeyStoreUrl) rather than turning TLS off",
        ],
    },
    Kind {
        id: "read-only-after-failover",
        title: "Write refused by a read-only server (1290)",
        severity: Warn,
        code: Some(1290),
        rank: 1,
        topic: Topic::Failover,
        key_numbers: &[],
        cause: "a write reached a server running read-only: after a failover (Aurora, RDS Multi-AZ, \
                Orchestrator, Group Replication) pooled connections still point at the old primary, \
                now a replica, or a cached DNS answer still names it; less often the app is \
                configured with a replica's address",
        not_cause: Some("not a privilege or SQL problem: the same statement works on the writer"),
        extra_fix: &[],
    },
    Kind {
        id: "host-blocked",
        title: "Host blocked after many connection errors (1129)",
        severity: Warn,
        code: Some(1129),
        rank: 2,
        topic: Topic::Connect,
        key_numbers: &["host"],
        cause: "the server counted max_connect_errors (100 by default) interrupted connection attempts \
                from this host without a successful login in between, and now refuses every new \
                connection from it: load balancer or monitoring TCP checks that connect and close, \
                clients with wrong TLS or protocol settings, or a network cutting handshakes",
        not_cause: Some(
            "not a pool or idle-timeout problem, and not a wrong password: the host itself is refused",
        ),
        extra_fix: &[
            "unblock it now: FLUSH HOSTS (mysqladmin flush-hosts; MySQL 8.0.23+: TRUNCATE TABLE performance_schema.host_cache)",
            "stop the failed attempts (TCP health checks against 3306: check with a real login or the proxy's MySQL check) and raise max_connect_errors (e.g. 100000)",
        ],
    },
    Kind {
        id: "local-ports-exhausted",
        title: "No local port for a new connection (cannot assign requested address)",
        severity: Warn,
        code: None,
        rank: 2,
        topic: Topic::Connect,
        key_numbers: &[],
        cause: "the app's host ran out of local ports: connections are opened and closed so fast (a \
                pool that keeps too few idle connections, or none) that thousands wait in TIME_WAIT; \
                the database itself was fine",
        not_cause: Some(
            "not a server limit or an idle timeout: the client could not even pick a source port",
        ),
        extra_fix: &[
            "reuse connections: Go db.SetMaxIdleConns(n) equal to db.SetMaxOpenConns(n) (the default keeps only 2 idle, so every burst opens and closes new ones); other pools: a minimum idle size near the usual concurrency",
            "count them on the app's host (ss -s, or netstat -ant | grep -c TIME_WAIT); a wider net.ipv4.ip_local_port_range only postpones it",
        ],
    },
    Kind {
        id: "query-timeout",
        title: "Statement in flight when the connection failed (read or query timeout)",
        severity: Warn,
        code: None,
        rank: 1,
        topic: Topic::InFlight,
        key_numbers: &[],
        cause: "the driver had sent a statement and was still waiting for its answer when it gave \
                up: a client read or query timeout expired (Connector/J socketTimeout, the mysql2 \
                gem's read_timeout), the statement really ran that long, or the connection was \
                dropped silently while the answer was awaited",
        not_cause: Some(
            "not an idle connection killed before use: the statement was in flight, so a shorter \
             pool lifetime or pre-ping does not prevent it",
        ),
        extra_fix: &[],
    },
    Kind {
        id: "aborted-connection",
        title: "Aborted connection (server error log)",
        severity: Info,
        code: None,
        rank: 1,
        topic: Topic::ServerLog,
        key_numbers: &["reason"],
        cause: "the server's own record of a connection it dropped: 'Got timeout reading \
                communication packets' means the connection sat idle past wait_timeout (or a read \
                stalled past net_read_timeout) and the server closed it; 'Got an error reading \
                communication packets' means the client went away without closing (a killed process, \
                a reset from the network, or a pool dropping connections without QUIT)",
        not_cause: None,
        extra_fix: &[],
    },
];

/// Kinds a Connector/J "The last packet ..." line continues.
const CJ_TIMING_OF: &[&str] = &["communications-link-failure", "connection-closed"];

pub(super) static PATTERNS: &[Pattern] = &[
    // --- pool exhaustion: the pool's own message beats whatever it wraps
    Pattern {
        kind: Some("pool-exhausted"),
        layer: Some("dotnet"),
        role: Start,
        regex: r"Connect Timeout expired\. All pooled connections are in use|timeout period elapsed prior to obtaining a connection from the pool",
        sets: &[],
        note: Some(
            "every connection of the pool (Maximum Pool Size, 100 by default) was in use for the whole Connection Timeout",
        ),
        needs_db: false,
        source: "MySqlConnector ConnectionPool/MySqlConnection.cs: \"Connect Timeout expired.\" + \" All pooled connections are in use.\"; MySql.Data: \"error connecting: Timeout expired.  The timeout period elapsed prior to obtaining a connection from the pool.  This may have occurred because all pooled connections were in use and max pool size was reached.\"",
    },
    Pattern {
        kind: Some("pool-exhausted"),
        layer: Some("knex"),
        role: Start,
        regex: r"Knex: Timeout acquiring a connection\. The pool is probably full",
        sets: &[],
        note: Some(
            "Knex waited acquireConnectionTimeout (60 s by default) with every pooled connection busy; its own hint is a query inside a transaction that does not use .transacting(trx)",
        ),
        needs_db: false,
        source: "knex lib/client.js acquireConnection: new KnexTimeoutError('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?')",
    },
    Pattern {
        kind: Some("pool-exhausted"),
        layer: Some("sequelize"),
        role: Start,
        regex: r"\bSequelizeConnectionAcquireTimeoutError\b",
        sets: &[],
        note: Some("Sequelize waited pool.acquire (60 s by default) for a free connection"),
        needs_db: false,
        source: "sequelize lib/errors/connection/connection-acquire-timeout-error.js (name 'SequelizeConnectionAcquireTimeoutError'), thrown by the connection manager on sequelize-pool's TimeoutError",
    },
    Pattern {
        kind: Some("pool-exhausted"),
        layer: Some("prisma"),
        role: Start,
        regex: r"Timed out fetching a new connection from the connection pool\.?(?:.*?Current connection pool timeout: (?P<timeout_s>\d+), connection limit: (?P<connection_limit>\d+))?",
        sets: &[],
        note: Some(
            "Prisma waited its pool_timeout$[ of ${timeout_s} s]$ with every connection$[ of its connection_limit of ${connection_limit}]$ busy (P2024)",
        ),
        needs_db: false,
        source: "prisma P2024: \"Timed out fetching a new connection from the connection pool. More info: http://pris.ly/d/connection-pool (Current connection pool timeout: {timeout}, connection limit: {connection_limit})\"",
    },
    Pattern {
        kind: Some("pool-exhausted"),
        layer: Some("dbcp"),
        role: Start,
        regex: r"Cannot get a connection, pool error Timeout waiting for idle object",
        sets: &[],
        note: Some(
            "DBCP waited maxWaitMillis (borrowMaxWaitDuration) while all maxTotal connections were borrowed",
        ),
        needs_db: false,
        source: "commons-dbcp2 PoolingDataSource.getConnection: \"Cannot get a connection, pool error \" + commons-pool's \"Timeout waiting for idle object\" (newer releases append \", borrowMaxWaitDuration=PT10S\")",
    },
    Pattern {
        kind: Some("pool-exhausted"),
        layer: Some("druid"),
        role: Start,
        regex: r"GetConnectionTimeoutException: wait millis (?P<timeout_ms>\d+), active (?P<pool_active>\d+)(?:, maxActive (?P<pool_max_active>\d+))?",
        sets: &[],
        note: Some(
            "Druid waited ${timeout_ms:n} ms for a connection$[ with ${pool_active} of maxActive ${pool_max_active} in use]$",
        ),
        needs_db: false,
        source: "alibaba/druid DruidDataSource.getConnectionInternal: GetConnectionTimeoutException(\"wait millis \" + waitMillis + \", active \" + activeCount + \", maxActive \" + maxActive + ...)",
    },
    Pattern {
        kind: Some("pool-helper-deadlock"),
        layer: Some("c3p0"),
        role: Start,
        regex: r"APPARENT DEADLOCK!!!",
        sets: &[],
        note: None,
        needs_db: false,
        source: "c3p0 com.mchange.v2.async.ThreadPoolAsynchronousRunner$DeadlockDetector: this + \" -- APPARENT DEADLOCK!!! Creating emergency threads for unassigned pending tasks!\"",
    },
    Pattern {
        kind: Some("connection-leak"),
        layer: Some("hikaricp"),
        role: Start,
        regex: r"Connection leak detection triggered for \S+",
        sets: &[],
        note: None,
        needs_db: false,
        source: "HikariCP ProxyLeakTask.run: LOGGER.warn(\"Connection leak detection triggered for {} on thread {}, stack trace follows\", connectionName, threadName, exception)",
    },
    Pattern {
        kind: Some("connection-leak"),
        layer: Some("hikaricp"),
        role: Tail(&["connection-leak"]),
        regex: r"Apparent connection leak detected",
        sets: &[],
        note: None,
        needs_db: false,
        source: "HikariCP ProxyLeakTask: new Exception(\"Apparent connection leak detected\")",
    },
    Pattern {
        kind: Some("cannot-connect"),
        layer: Some("sqlx"),
        role: Start,
        regex: r"(?i)failed to (?:create|connect|build|open|initiali[sz]e) (?:the )?(?:database |db |connection |sql )?pool\b.*\bPoolTimedOut\b",
        sets: &[],
        note: Some(
            "sqlx could not open the pool's first connection within acquire_timeout: PoolTimedOut at startup means the database was not reachable, not that the pool was busy",
        ),
        needs_db: false,
        source: "sqlx-core pool connect: PoolOptions::connect returns Error::PoolTimedOut when no connection opens within acquire_timeout; \"Failed to create pool\" is the app's .expect() text around it",
    },
    Pattern {
        kind: Some("pool-exhausted"),
        layer: Some("sqlalchemy"),
        role: Start,
        regex: r"QueuePool limit of size (?P<pool_size>\d+) overflow (?P<max_overflow>-?\d+) reached, connection timed out, timeout (?P<timeout_s>\d+(?:\.\d+)?)",
        sets: &[],
        note: Some(
            "QueuePool size ${pool_size} + overflow ${max_overflow} = ${pool_max} connections were all checked out and none came back within ${timeout_s} s",
        ),
        needs_db: false,
        source: "sqlalchemy lib/sqlalchemy/pool/impl.py QueuePool._do_get: \"QueuePool limit of size %d overflow %d reached, connection timed out, timeout %0.2f\"",
    },
    Pattern {
        kind: Some("pool-exhausted"),
        layer: Some("hikaricp"),
        role: Start,
        regex: r"(?P<pool_name>[\w.\-]+) - Connection is not available, request timed out after (?P<timeout_ms>\d+)ms(?: \(total=(?P<pool_total>\d+), active=(?P<pool_active>\d+), idle=(?P<pool_idle>\d+), waiting=(?P<pool_waiting>\d+)\))?",
        sets: &[],
        note: Some(
            "${pool_name} waited ${timeout_ms:n} ms for a free connection$[ (total=${pool_total}, active=${pool_active}, idle=${pool_idle}, waiting=${pool_waiting})]$",
        ),
        needs_db: false,
        source: "HikariCP src/main/java/com/zaxxer/hikari/pool/HikariPool.java createTimeoutException: poolName + \" - Connection is not available, request timed out after \" + elapsed + \"ms.\" (newer releases add the pool stats)",
    },
    Pattern {
        kind: Some("pool-exhausted"),
        layer: Some("rails"),
        role: Start,
        regex: r"could not obtain a (?:database )?connection (?:from the pool )?within (?P<timeout_s>\d+(?:\.\d+)?) seconds(?: \(waited (?P<waited_s>\d+(?:\.\d+)?) seconds\))?",
        sets: &[],
        note: Some(
            "no connection came free within the ${timeout_s} s checkout_timeout$[ (waited ${waited_s} s)]$; all pooled connections were in use",
        ),
        needs_db: false,
        source: "rails activerecord/lib/active_record/connection_adapters/abstract/connection_pool/queue.rb: \"could not obtain a connection from the pool within %0.3f seconds (waited %0.3f seconds); all pooled connections were in use\"",
    },
    Pattern {
        kind: Some("pool-exhausted"),
        layer: Some("sqlx"),
        role: Start,
        regex: r"pool timed out while waiting for an open connection|\bPoolTimedOut\b",
        sets: &[],
        note: Some(
            "sqlx waited its acquire_timeout (30 s by default) without getting a connection",
        ),
        needs_db: false,
        source: "sqlx-core/src/error.rs Error::PoolTimedOut: \"pool timed out while waiting for an open connection\"",
    },
    Pattern {
        kind: Some("pool-exhausted"),
        layer: Some("node-mysql2"),
        role: Start,
        regex: r"\bQueue limit reached\b",
        sets: &[],
        note: Some(
            "mysql2's queueLimit was reached: all connectionLimit connections were busy and the wait queue was full",
        ),
        needs_db: false,
        source: "node-mysql2 lib/base/pool.js: new Error('Queue limit reached.')",
    },
    // --- never connected
    Pattern {
        kind: Some("cannot-connect"),
        layer: Some("connector-j"),
        role: Tail(&["communications-link-failure"]),
        regex: r"The last packet sent successfully to the server was (?P<last_packet_sent_ms>[\d,]+) milliseconds ago\.\s*The driver has not received any packets from the server",
        sets: &[],
        note: Some(
            "the driver never received a single packet from the server: the connection was never established",
        ),
        needs_db: false,
        source: "Connector/J LocalizedErrorMessages.properties CommunicationsException.ServerPacketTimingInfoNoRecv",
    },
    Pattern {
        kind: Some("lost-connection-at-handshake"),
        layer: None,
        role: Start,
        regex: r"Lost connection to (?:MySQL )?server at '(?P<phase>reading initial communication packet|reading authorization packet|waiting for initial communication packet|sending authentication information|handshake: [^']*)'(?:, system error: (?P<system_error>\d+))?",
        sets: &[("error_code", Int(2013))],
        note: Some("it broke while ${phase}"),
        needs_db: false,
        source: "libmysqlclient errmsg CR_SERVER_LOST_EXTENDED with the handshake stage (sql-common/client.cc)",
    },
    Pattern {
        kind: Some("cannot-connect"),
        layer: None,
        role: Start,
        regex: r"Can't connect to local (?:MySQL )?server through socket '(?P<server_address>[^']+)'(?: \((?P<system_error>\d+)\))?",
        sets: &[("error_code", Int(2002))],
        note: Some("nothing answered on the socket ${server_address}"),
        needs_db: false,
        source: "libmysqlclient errmsg CR_CONNECTION_ERROR (2002)",
    },
    Pattern {
        kind: Some("cannot-connect"),
        layer: None,
        role: Start,
        regex: r"Can't connect to (?:MySQL )?server on '?(?P<server_address>[^'\s(]+)'?(?: \((?P<system_error>\d+)\))?",
        sets: &[("error_code", Int(2003))],
        note: Some("nothing answered at ${server_address}"),
        needs_db: false,
        source: "libmysqlclient errmsg CR_CONN_HOST_ERROR (2003); PyMySQL connections.py",
    },
    Pattern {
        kind: Some("cannot-connect"),
        layer: None,
        role: Start,
        regex: r"\bECONNREFUSED\b|connect: connection refused|Connection refused",
        sets: &[("closed_by", Str("refused"))],
        note: None,
        needs_db: true,
        source: "ECONNREFUSED as Node, Go (net) and Java (java.net.ConnectException) print it",
    },
    // --- packets
    Pattern {
        kind: Some("packet-too-large"),
        layer: Some("connector-j"),
        role: Start,
        regex: r"Packet for query is too large \((?P<packet_bytes>[\d,]+)\s*>\s*(?P<max_allowed_packet_bytes>[\d,]+)\s*\)",
        sets: &[],
        note: Some(
            "the statement was ${packet_bytes:n} bytes, above the ${max_allowed_packet_bytes:n}-byte max_allowed_packet the driver read from the server",
        ),
        needs_db: false,
        source: "Connector/J LocalizedErrorMessages.properties PacketTooBigException: \"Packet for query is too large ({0} > {1}). You can change this value on the server by setting the 'max_allowed_packet' variable.\"",
    },
    Pattern {
        kind: Some("packet-too-large"),
        layer: Some("go-sql-driver"),
        role: Start,
        regex: r"packet for query is too large\. Try adjusting the .?Config\.MaxAllowedPacket",
        sets: &[],
        note: Some(
            "the statement was larger than the driver's own maxAllowedPacket (64 MiB unless the DSN sets it; maxAllowedPacket=0 uses the server's)",
        ),
        needs_db: false,
        source: "go-sql-driver/mysql errors.go ErrPktTooLarge",
    },
    Pattern {
        kind: Some("packet-too-large"),
        layer: None,
        role: Start,
        regex: r"(?i)Got a packet bigger than .?max_allowed_packet.? bytes|\bER_NET_PACKET_TOO_LARGE\b",
        sets: &[],
        note: None,
        needs_db: false,
        source: "MySQL server ER_NET_PACKET_TOO_LARGE (1153); PyMySQL constants/ER.py NET_PACKET_TOO_LARGE",
    },
    Pattern {
        kind: Some("packet-too-large"),
        layer: None,
        role: Start,
        regex: r"(?i)Got packet bigger than .?max_allowed_packet.? bytes",
        sets: &[("error_code", Int(2020))],
        note: Some(
            "the client's own max_allowed_packet refused it (2020), before the server saw it",
        ),
        needs_db: false,
        source: "libmysqlclient errmsg CR_NET_PACKET_TOO_LARGE (2020); PyMySQL constants/CR.py",
    },
    // --- capacity
    Pattern {
        kind: Some("too-many-connections"),
        layer: None,
        role: Start,
        regex: r"(?i)\bToo many connections\b|\bER_CON_COUNT_ERROR\b",
        sets: &[],
        note: None,
        needs_db: false,
        source: "MySQL server ER_CON_COUNT_ERROR (1040): \"Too many connections\"",
    },
    Pattern {
        kind: Some("max-user-connections"),
        layer: None,
        role: Start,
        regex: r#"User (?:\\?['"`‘’]?(?P<user>[^'"`‘’\s\\]+)\\?['"`‘’]? )?(?:already has|has already) more than \\?['"`‘’]?max_user_connections\\?['"`‘’]? active connections"#,
        sets: &[("error_code", Int(1203))],
        note: None,
        needs_db: false,
        source: "MySQL server ER_TOO_MANY_USER_CONNECTIONS (1203)",
    },
    Pattern {
        kind: Some("max-user-connections"),
        layer: None,
        role: Start,
        regex: r#"User \\?['"`‘’]?(?P<user>[^'"`‘’\s\\]+)\\?['"`‘’]? has exceeded the \\?['"`‘’]?max_user_connections\\?['"`‘’]? resource(?: \(current value: (?P<max_user_connections>\d+)\))?"#,
        sets: &[("error_code", Int(1226))],
        note: Some("the account's limit is ${max_user_connections} connections"),
        needs_db: false,
        source: "MySQL server ER_USER_LIMIT_REACHED (1226)",
    },
    // --- login
    Pattern {
        kind: Some("access-denied"),
        layer: None,
        role: Start,
        regex: r"Access denied for user '(?P<user>[^']*)'@'(?P<host>[^']*)' \(using password: (?P<using_password>YES|NO)\)",
        sets: &[],
        note: Some(
            "the server saw the login as '${user}'@'${host}' (using password: ${using_password})",
        ),
        needs_db: false,
        source: "MySQL server ER_ACCESS_DENIED_ERROR (1045): \"Access denied for user '%s'@'%s' (using password: %s)\"",
    },
    Pattern {
        kind: Some("access-denied"),
        layer: None,
        role: Start,
        regex: r"Connections using insecure transport are prohibited",
        sets: &[("error_code", Int(3159))],
        note: Some(
            "the server requires TLS (require_secure_transport=ON) and this login came in plain text: \
             connect with TLS (ssl-mode REQUIRED); the user and password were not the problem",
        ),
        needs_db: false,
        source: "MySQL server ER_SECURE_TRANSPORT_REQUIRED (3159): \"Connections using insecure transport are prohibited while --require_secure_transport=ON.\"",
    },
    Pattern {
        kind: Some("access-denied"),
        layer: None,
        role: Start,
        regex: r"Access denied for user '(?P<user>[^']*)'@'(?P<host>[^']*)' to database '(?P<database>[^']*)'",
        sets: &[("error_code", Int(1044))],
        note: Some(
            "'${user}'@'${host}' logged in but has no privilege on database '${database}' (1044)",
        ),
        needs_db: false,
        source: "MySQL server ER_DBACCESS_DENIED_ERROR (1044)",
    },
    // --- connections closed under the pool
    Pattern {
        kind: Some("idle-timeout-4031"),
        layer: None,
        role: Start,
        regex: r"(?i)client was disconnected by the server because of inactivity|\bER_CLIENT_INTERACTION_TIMEOUT\b",
        sets: &[],
        note: None,
        needs_db: false,
        source: "MySQL 8.0.24+ ER_CLIENT_INTERACTION_TIMEOUT (4031): \"The client was disconnected by the server because of inactivity. See wait_timeout and interactive_timeout for configuring this behavior.\"",
    },
    Pattern {
        kind: Some("lost-connection-system-error"),
        layer: None,
        role: Start,
        regex: r"Lost connection to (?:MySQL )?server at '(?P<server_address>[^']*)', system error: (?P<system_error>\d+)",
        sets: &[],
        note: None,
        needs_db: false,
        source: "libmysqlclient / mysql-connector-python CR_SERVER_LOST_EXTENDED (2055): \"Lost connection to MySQL server at '%s', system error: %d\"",
    },
    Pattern {
        kind: Some("lost-connection-during-query"),
        layer: None,
        role: Start,
        regex: r"(?i)Lost connection to (?:MySQL )?server during query|\bCR_SERVER_LOST\b",
        sets: &[],
        note: None,
        needs_db: false,
        source: "libmysqlclient errmsg CR_SERVER_LOST (2013); PyMySQL connections.py _read_bytes",
    },
    Pattern {
        kind: Some("server-gone-away"),
        layer: None,
        role: Start,
        regex: r"(?i)\b(?:MySQL|server) has gone away|\bCR_SERVER_GONE_ERROR\b",
        sets: &[],
        note: None,
        needs_db: false,
        source: "libmysqlclient errmsg CR_SERVER_GONE_ERROR (2006): \"MySQL server has gone away\" (MariaDB Connector/C: \"Server has gone away\"); PyMySQL connections.py _write_bytes",
    },
    Pattern {
        kind: Some("connection-killed"),
        layer: None,
        role: Start,
        regex: r"(?i)\bConnection was killed\b|\bER_CONNECTION_KILLED\b",
        sets: &[],
        note: None,
        needs_db: false,
        source: "MariaDB ER_CONNECTION_KILLED (1927): \"Connection was killed\"",
    },
    Pattern {
        kind: Some("stale-connection-validation"),
        layer: Some("hikaricp"),
        role: Start,
        regex: r"Failed to validate connection\b",
        sets: &[],
        note: None,
        needs_db: false,
        source: "HikariCP PoolBase.isConnectionAlive: \"{} - Failed to validate connection {} ({}). Possibly consider using a shorter maxLifetime value.\"",
    },
    Pattern {
        kind: Some("communications-link-failure"),
        layer: Some("connector-j"),
        role: Start,
        regex: r"Communications link failure|CommunicationsException",
        sets: &[],
        note: None,
        needs_db: false,
        source: "Connector/J SQLError/ExceptionFactory.createLinkFailureMessageBasedOnHeuristics: \"Communications link failure\"",
    },
    Pattern {
        kind: Some("communications-link-failure"),
        layer: Some("connector-j"),
        role: Tail(CJ_TIMING_OF),
        regex: r"The last packet successfully received from the server was (?P<last_packet_ms>[\d,]+) milliseconds ago\.\s*The last packet sent successfully to the server was (?P<last_packet_sent_ms>[\d,]+) milliseconds ago",
        sets: &[],
        note: None,
        needs_db: false,
        source: "Connector/J LocalizedErrorMessages.properties CommunicationsException.ServerPacketTimingInfo: \"The last packet successfully received from the server was {0} milliseconds ago. The last packet sent successfully to the server was {1} milliseconds ago.\"",
    },
    Pattern {
        kind: Some("connection-closed"),
        layer: None,
        role: Start,
        regex: r"No operations allowed after connection closed|InterfaceError(?::|\))\s*\(0, ''\)",
        sets: &[],
        note: None,
        needs_db: false,
        source: "Connector/J Connection.2 \"No operations allowed after connection closed.\"; PyMySQL err.InterfaceError(0, '') on a closed connection",
    },
    Pattern {
        kind: Some("connection-not-available"),
        layer: Some("mysql-connector-python"),
        role: Start,
        regex: r"MySQL Connection not available",
        sets: &[],
        note: None,
        needs_db: false,
        source: "mysql-connector-python connection.py: errors.OperationalError(\"MySQL Connection not available.\")",
    },
    Pattern {
        kind: Some("connection-lost"),
        layer: Some("node-mysql2"),
        role: Start,
        regex: r"Connection lost: The server closed the connection|\bPROTOCOL_CONNECTION_LOST\b",
        sets: &[("closed_by", Str("eof"))],
        note: None,
        needs_db: false,
        source: "node-mysql2 lib/connection.js: 'Connection lost: The server closed the connection.' code PROTOCOL_CONNECTION_LOST",
    },
    Pattern {
        kind: Some("bad-idle-connection"),
        layer: Some("go-sql-driver"),
        role: Start,
        regex: r"closing bad idle connection: (?P<bad_idle_reason>[^\r\n]+?)\s*$",
        sets: &[],
        note: Some("the driver's reason: ${bad_idle_reason}"),
        needs_db: false,
        source: "go-sql-driver/mysql connection.go / conncheck.go: \"closing bad idle connection: \" + err",
    },
    Pattern {
        kind: Some("invalid-connection"),
        layer: Some("go-sql-driver"),
        role: Start,
        regex: r"\binvalid connection\b|driver: bad connection",
        sets: &[],
        note: None,
        needs_db: false,
        source: "go-sql-driver/mysql errors.go ErrInvalidConn = errors.New(\"invalid connection\"); database/sql driver.ErrBadConn",
    },
    Pattern {
        kind: Some("unexpected-eof"),
        layer: Some("go-sql-driver"),
        role: Start,
        regex: r"\[mysql\] .*\bunexpected EOF|\b(?:packets|connection|buffer)\.go:\d+:? unexpected EOF",
        sets: &[("closed_by", Str("eof"))],
        note: None,
        needs_db: false,
        source: "go-sql-driver/mysql packets.go: mc.log(err) of io.ErrUnexpectedEOF, printed as \"[mysql] <date> packets.go:NN: unexpected EOF\"",
    },
    Pattern {
        kind: Some("connection-reset"),
        layer: None,
        role: Start,
        regex: r"(?i)connection reset by peer|\bECONNRESET\b|\[Errno 104\]|ConnectionResetError|SocketException: Connection reset\b|An existing connection was forcibly closed by the remote host|\bWSAECONNRESET\b",
        sets: &[("closed_by", Str("reset"))],
        note: None,
        needs_db: true,
        source: "ECONNRESET as Go (net.OpError), Python, Node and Java print it",
    },
    Pattern {
        kind: Some("broken-pipe"),
        layer: None,
        role: Start,
        regex: r"(?i)\bbroken pipe\b|\bEPIPE\b|\[Errno 32\]|BrokenPipeError",
        sets: &[("closed_by", Str("broken-pipe"))],
        note: None,
        needs_db: true,
        source: "EPIPE as Go (net.OpError), Python and Node print it",
    },
    Pattern {
        kind: Some("aborted-connection"),
        layer: Some("mysql-server"),
        role: Start,
        regex: r"Aborted connection \d+ to db: '[^']*' user: '(?P<user>[^']*)' host: '(?P<host>[^']*)'.*?\((?P<reason>[^)]*)\)",
        sets: &[],
        note: Some("the server logged '${reason}' for '${user}' from ${host}"),
        needs_db: false,
        source: "MySQL/MariaDB sql/sql_connect.cc ER_ABORTING_USER_CONNECTION / ER_NEW_ABORTING_CONNECTION in the error log",
    },
    Pattern {
        kind: Some("aborted-connection"),
        layer: Some("mysql-server"),
        role: Start,
        regex: r"'wait_timeout' period of (?P<wait_timeout_s>\d+) seconds was exceeded for .(?P<user>[^`'@]*).@.(?P<host>[^`']*).",
        sets: &[("reason", Str("wait_timeout exceeded"))],
        note: Some(
            "the server closed a connection of '${user}'@'${host}' that was idle past its wait_timeout of ${wait_timeout_s} s",
        ),
        needs_db: false,
        source: "MySQL 8.0.24+ error log note MY-013730: \"'wait_timeout' period of %u seconds was exceeded for `%s`@`%s`. The idle time since last command was too long.\"",
    },
    // --- more stacks: .NET, Node ORMs, PHP, Ruby, shared connections, failover
    Pattern {
        kind: Some("cannot-connect"),
        layer: Some("dotnet"),
        role: Start,
        regex: r"Unable to connect to any of the specified MySQL hosts|\bConnect Timeout expired\.",
        sets: &[],
        note: None,
        needs_db: false,
        source: "MySql.Data and MySqlConnector MySqlException (UnableToConnectToHost, 1042): \"Unable to connect to any of the specified MySQL hosts.\"; MySqlConnector: \"Connect Timeout expired.\"",
    },
    Pattern {
        kind: Some("connection-closed"),
        layer: Some("dotnet"),
        role: Start,
        regex: r"Connection must be valid and open",
        sets: &[],
        note: None,
        needs_db: false,
        source: "MySql.Data MySqlCommand/MySqlTransaction: InvalidOperationException(\"Connection must be valid and open.\")",
    },
    Pattern {
        kind: Some("connection-reset"),
        layer: None,
        role: Start,
        regex: r"Unable to (?:read|write) data (?:from|to) the transport connection",
        sets: &[],
        note: None,
        needs_db: true,
        source: ".NET System.Net.Sockets NetworkStream IOException: \"Unable to read data from the transport connection: An existing connection was forcibly closed by the remote host.\" (WSAECONNRESET 10054)",
    },
    Pattern {
        kind: Some("connection-closed"),
        layer: Some("node-mysql2"),
        role: Start,
        regex: r"Can't add new command when connection is in closed state",
        sets: &[],
        note: Some(
            "mysql2 refused the query because this connection had already failed and closed (err.fatal): a single createConnection() kept for the life of the process instead of a pool",
        ),
        needs_db: false,
        source: "node-mysql2 lib/connection.js _addCommandClosedState: new Error(\"Can't add new command when connection is in closed state\"), err.fatal = true",
    },
    Pattern {
        kind: Some("cannot-connect"),
        layer: Some("sequelize"),
        role: Start,
        regex: r"\bSequelize(?:ConnectionRefused|ConnectionTimedOut|HostNotFound|HostNotReachable|AccessDenied)Error\b|SequelizeConnectionError: connect E[A-Z]+",
        sets: &[],
        note: None,
        needs_db: false,
        source: "sequelize lib/errors/connection/*.js: SequelizeConnectionRefusedError, SequelizeHostNotFoundError, SequelizeConnectionTimedOutError...; SequelizeConnectionError wraps the driver's connect error (\"connect ETIMEDOUT\")",
    },
    Pattern {
        kind: Some("cannot-connect"),
        layer: Some("prisma"),
        role: Start,
        regex: r"Can't reach database server at .?(?P<server_address>[^\s`']+)",
        sets: &[],
        note: Some("Prisma could not reach ${server_address} (P1001)"),
        needs_db: false,
        source: "prisma P1001: \"Can't reach database server at `{database_host}`:`{database_port}` Please make sure your database server is running at `{database_host}`:`{database_port}`.\"",
    },
    Pattern {
        kind: Some("server-closed-connection"),
        layer: Some("prisma"),
        role: Start,
        regex: r"\bP1017\b|Server has closed the connection\.",
        sets: &[("closed_by", Str("eof"))],
        note: None,
        needs_db: false,
        source: "prisma user-facing-errors P1017: \"Server has closed the connection.\"",
    },
    Pattern {
        kind: Some("cannot-connect"),
        layer: Some("trilogy"),
        role: Start,
        regex: r"trilogy_connect\b[^\r\n]*?(?:TRILOGY_CLOSED_CONNECTION|unable to connect)",
        sets: &[],
        note: None,
        needs_db: false,
        source: "trilogy Ruby ext: \"trilogy_connect - unable to connect to <host>:<port>: TRILOGY_CLOSED_CONNECTION\" (ActiveRecord::ConnectionNotEstablished), as quoted in trilogy-libraries/trilogy and Semian issues",
    },
    Pattern {
        kind: Some("server-closed-connection"),
        layer: Some("trilogy"),
        role: Start,
        regex: r"\bTRILOGY_CLOSED_CONNECTION\b|Trilogy::EOFError|trilogy_\w+: SSL Error: unexpected eof while reading",
        sets: &[("closed_by", Str("eof"))],
        note: None,
        needs_db: false,
        source: "trilogy contrib/ruby: Trilogy::EOFError \"trilogy_query_recv: TRILOGY_CLOSED_CONNECTION\" (trilogy-libraries/trilogy#118, #128); \"Trilogy::SSLError: trilogy_query_recv: SSL Error: unexpected eof while reading\" (#183)",
    },
    Pattern {
        kind: Some("server-gone-away"),
        layer: Some("php"),
        role: Start,
        regex: r"Error while sending (?:QUERY|STMT_\w+|COM_\w+) packet",
        sets: &[],
        note: Some(
            "PHP's mysqlnd could not send the statement: the connection had already been closed (idle past a timeout in a long-running worker) or the statement was larger than max_allowed_packet",
        ),
        needs_db: false,
        source: "php-src ext/mysqlnd mysqlnd_wireprotocol.c: php_error_docref(\"Error while sending %s packet. PID=%d\"); Laravel DetectsLostConnections lists 'Error while sending'",
    },
    Pattern {
        kind: Some("server-gone-away"),
        layer: Some("doctrine"),
        role: Start,
        regex: r"Doctrine\\{1,2}DBAL\\{1,2}Exception\\{1,2}ConnectionLost",
        sets: &[],
        note: None,
        needs_db: false,
        source: "doctrine/dbal src/Exception/ConnectionLost.php, raised by the MySQL exception converter for 2006/2013",
    },
    Pattern {
        kind: Some("shared-connection"),
        layer: None,
        role: Start,
        regex: r"Packet sequence number wrong",
        sets: &[],
        note: None,
        needs_db: false,
        source: "PyMySQL connections.py _read_packet / aiomysql connection.py: InternalError(\"Packet sequence number wrong - got %d expected %d\")",
    },
    Pattern {
        kind: Some("shared-connection"),
        layer: None,
        role: Start,
        regex: r"Commands out of sync; you can't run this command now|\bCR_COMMANDS_OUT_OF_SYNC\b",
        sets: &[("error_code", Int(2014))],
        note: None,
        needs_db: false,
        source: "libmysqlclient errmsg CR_COMMANDS_OUT_OF_SYNC (2014); php-src mysqlnd: mysqlnd_out_of_sync = \"Commands out of sync; you can't run this command now\"",
    },
    Pattern {
        kind: Some("read-only-after-failover"),
        layer: None,
        role: Start,
        regex: r"The (?:MySQL|MariaDB) server is running with the --(?:super-)?read-only option so it cannot execute this statement|\bER_OPTION_PREVENTS_STATEMENT\b",
        sets: &[],
        note: None,
        needs_db: false,
        source: "MySQL server ER_OPTION_PREVENTS_STATEMENT (1290): \"The MySQL server is running with the %s option so it cannot execute this statement\" (MariaDB: \"The MariaDB server ...\")",
    },
    Pattern {
        kind: Some("host-blocked"),
        layer: None,
        role: Start,
        regex: r"Host '(?P<host>[^']*)' is blocked because of many connection errors",
        sets: &[],
        note: Some("the server blocked connections from '${host}'"),
        needs_db: false,
        source: "MySQL server ER_HOST_IS_BLOCKED (1129): \"Host '%s' is blocked because of many connection errors; unblock with 'mysqladmin flush-hosts'\"",
    },
    Pattern {
        kind: Some("tls-handshake-failed"),
        layer: None,
        role: Start,
        regex: r"javax\.net\.ssl\.SSLHandshakeException|\bSSL connection error: ",
        sets: &[],
        note: None,
        needs_db: true,
        source: "Java javax.net.ssl.SSLHandshakeException (\"No appropriate protocol (protocol is disabled or cipher suites are inappropriate)\") as Connector/J wraps it; libmysqlclient CR_SSL_CONNECTION_ERROR (2026): \"SSL connection error: %s\"",
    },
    Pattern {
        kind: Some("cannot-connect"),
        layer: None,
        role: Start,
        regex: r"\blookup (?P<server_address>\S+?)(?: on \S+)?: no such host",
        sets: &[("closed_by", Str("dns"))],
        note: Some("the name ${server_address} did not resolve"),
        needs_db: true,
        source: "Go net.DNSError as go-sql-driver returns it: \"dial tcp: lookup <host> on <resolver>: no such host\"",
    },
    Pattern {
        kind: Some("cannot-connect"),
        layer: None,
        role: Start,
        regex: r"(?i)\bconnect: no route to host|\bEHOSTUNREACH\b",
        sets: &[("closed_by", Str("unreachable"))],
        note: None,
        needs_db: true,
        source: "EHOSTUNREACH as Go (net.OpError \"dial tcp <addr>: connect: no route to host\") and Node print it",
    },
    Pattern {
        kind: Some("local-ports-exhausted"),
        layer: None,
        role: Start,
        regex: r"(?i)cannot assign requested address|\bEADDRNOTAVAIL\b",
        sets: &[],
        note: None,
        needs_db: true,
        source: "EADDRNOTAVAIL as Go prints it: \"dial tcp 10.26.2.1:3306: connect: cannot assign requested address\" (the TiDB tools' and Orchestrator's comments quote it)",
    },
    // --- statements in flight
    Pattern {
        kind: Some("query-timeout"),
        layer: None,
        role: Start,
        regex: r"Timeout waiting for a response from the last query\. \(waited (?P<timeout_s>\d+) seconds\)",
        sets: &[],
        note: Some("the client waited its read_timeout of ${timeout_s} s for the answer"),
        needs_db: false,
        source: "mysql2 gem ext/mysql2/client.c: rb_raise(cMysql2TimeoutError, \"Timeout waiting for a response from the last query. (waited %d seconds)\", FIX2INT(read_timeout))",
    },
    // --- details only: they add numbers to the occurrence they belong to
    Pattern {
        kind: None,
        layer: None,
        role: Tail(&[]),
        regex: r"\[Errno 110\]|\bETIMEDOUT\b|\bi/o timeout\b|\bRead timed out\b|\bConnection timed out\b|did not properly respond after a period of time|\bWSAETIMEDOUT\b",
        sets: &[("closed_by", Str("timeout"))],
        note: None,
        needs_db: false,
        source: "ETIMEDOUT as Python, Node, Go (net) and Java (SocketTimeoutException) print it",
    },
    Pattern {
        kind: None,
        layer: Some("sqlalchemy"),
        role: Tail(&[]),
        regex: r"\(Background on this error at: https?://sqlalche\.me/e/(?:[\d.]+/)?(?P<sqlalchemy_code>\w+)\s*\)",
        sets: &[],
        note: None,
        needs_db: false,
        source: "sqlalchemy lib/sqlalchemy/exc.py HasDescriptionCode: \"(Background on this error at: https://sqlalche.me/e/%s/%s)\"",
    },
];

/// Layers in priority order: when an occurrence shows several (a driver error
/// re-raised by a framework), the first one listed here is the layer it came
/// through. Text matching none is plain `mysql` (the CLI, or a bare message).
pub(super) static LAYERS: &[(&str, &str)] = &[
    ("django", r"django\.db\.|django/db/"),
    (
        "sqlalchemy",
        r"sqlalchemy\.exc\.|sqlalche\.me/e/|\bQueuePool\b|\((?:\w+\.)*\w*Error\) (?:\(\d+,|\d{4}:|MySQL Connection)",
    ),
    (
        "laravel",
        r"Illuminate\\{1,2}(?:Database|Queue)|\bartisan\b|queue:work|(?i:laravel)",
    ),
    ("doctrine", r"Doctrine\\{1,2}DBAL|doctrine/dbal"),
    ("rails", r"ActiveRecord::|Mysql2::Error"),
    ("prisma", r"(?i:prisma)|\bP(?:1001|1017|2024)\b"),
    ("typeorm", r"QueryFailedError|(?i:typeorm)"),
    ("sequelize", r"Sequelize\w*Error|(?i:sequelize)"),
    ("knex", r"Knex\w*Error|Knex:|node_modules/knex/"),
    (
        "druid",
        r"com\.alibaba\.druid|DruidDataSource|GetConnectionTimeoutException",
    ),
    (
        "dbcp",
        r"org\.apache\.commons\.dbcp|Cannot get a connection, pool error",
    ),
    ("c3p0", r"com\.mchange\.v2|\bc3p0\b"),
    ("hikaricp", r"HikariPool|com\.zaxxer\.hikari|\bHikariCP\b"),
    (
        "connector-j",
        r"com\.mysql\.(?:cj\.)?jdbc|CommunicationsException|MySQLNonTransientConnectionException|PacketTooBigException",
    ),
    (
        "dotnet",
        r"MySqlConnector|MySql\.Data|MySqlException|System\.(?:IO\.IOException|Net\.Sockets|InvalidOperationException)",
    ),
    ("sqlx", r"\bsqlx(?:::|_core|-core)|\bPoolTimedOut\b"),
    (
        "go-sql-driver",
        r"\[mysql\] |\b(?:packets|connection|conncheck|buffer)\.go:\d+|driver: bad connection|go-sql-driver|\b(?:read|write) tcp \S+->\S+: (?:read|write):|\bError \d{4}(?: \([0-9A-Z]{5}\))?: |\bdial tcp\b",
    ),
    (
        "node-mysql2",
        r"node_modules/mysql2?/|\bPROTOCOL_[A-Z_]+\b|code: '(?:E[A-Z]+|ER_[A-Z_]+)'|\bE(?:CONNRESET|PIPE|TIMEDOUT|CONNREFUSED)\b|errno: -\d+",
    ),
    ("aiomysql", r"aiomysql"),
    ("asyncmy", r"asyncmy"),
    ("pymysql", r"pymysql"),
    (
        "mysqlclient",
        r"MySQLdb|_mysql_exceptions|_mysql\.OperationalError",
    ),
    ("mysql-connector-python", r"mysql\.connector"),
    ("trilogy", r"Trilogy::|\btrilogy_\w+|\bTRILOGY_[A-Z_]+"),
    (
        "php",
        r"PDOException|\bPDO(?:Statement)?::|SQLSTATE\[|\bmysqli|PHP (?:Warning|Fatal error)",
    ),
    (
        "python",
        r#"\[Errno \d+\]|(?:ConnectionReset|BrokenPipe|ConnectionAborted)Error|^\(\d{4}, ['"]|[\s:]\(\d{4}, ['"]"#,
    ),
    ("java", r"\bjava\.(?:net|io)\.|\bjavax?\.sql\."),
    (
        "mysql-server",
        r"Aborted connection \d+ to db:|'wait_timeout' period of \d+ seconds was exceeded",
    ),
];

/// The layer of text that shows no driver or framework.
pub(super) const DEFAULT_LAYER: &str = "mysql";

pub(super) static LIMITS: &[Limit] = &[
    Limit::preset(
        &hosting::CLEARDB,
        "ClearDB's 90 s wait_timeout",
        true,
        "consistent with ClearDB (Heroku add-on), whose servers close connections idle 90 s",
    ),
    Limit::preset(
        &hosting::AZURE_LB,
        "4 min",
        false,
        "consistent with an Azure Load Balancer (4 min idle timeout), which drops idle flows silently unless TCP reset is enabled",
    ),
    Limit::preset(
        &hosting::PYTHONANYWHERE,
        "300 s",
        false,
        "consistent with a 5-minute idle limit: PythonAnywhere closes MySQL connections idle 300 s, and many proxies and middleboxes cut at 5 minutes",
    ),
    Limit::preset(
        &hosting::AWS_NLB,
        "350 s",
        false,
        "consistent with an AWS NLB or NAT gateway (350 s idle timeout), which answers later packets with a TCP reset: the connection died in the network, not on the server",
    ),
    Limit::preset(
        &hosting::GCP_CLOUD_NAT,
        "1200 s",
        false,
        "consistent with GCP Cloud NAT (1200 s TCP established idle timeout)",
    ),
    Limit::preset(
        &hosting::AWS_RDS_PROXY,
        "1800 s",
        false,
        "consistent with an RDS Proxy's default IdleClientTimeout (30 min)",
    ),
    Limit {
        seconds: 28_800.0,
        name: "the default wait_timeout of 28800 s",
        hosting: None,
        server_side: true,
        conclusion: "the server closed an idle pooled connection",
    },
    Limit::preset(
        &hosting::K8S_CONNTRACK,
        "24 h",
        false,
        "consistent with a Kubernetes node's conntrack table (kube-proxy's 24 h established timeout), which forgets the flow",
    ),
];

/// When no limit is known, fixes assume this one: the shortest common idle
/// limit (Azure Load Balancer), safe behind all the others except ClearDB's.
pub(super) const ASSUMED_LIMIT_S: f64 = 240.0;

/// An idle time `x` matches limit `l` when `0.98 l <= x <= 1.05 l + 5 s`: the
/// connection dies at the limit and the app notices on its next use, a little later.
pub(super) fn limit_matches(limit_s: f64, idle_s: f64) -> bool {
    idle_s >= limit_s * 0.98 && idle_s <= limit_s * 1.05 + 5.0
}

/// The documented limit an idle time is just past, if any.
pub(super) fn match_limit(idle_s: f64) -> Option<&'static Limit> {
    LIMITS.iter().find(|l| limit_matches(l.seconds, idle_s))
}

pub(super) fn catalogue() -> Vec<super::model::CatalogueEntry> {
    PATTERNS
        .iter()
        .filter_map(|p| {
            let k = kind(p.kind?)?;
            Some(super::model::CatalogueEntry {
                id: k.id.into(),
                title: k.title.into(),
                severity: k.severity,
                layer: p.layer.map(Into::into),
                source: p.source.into(),
            })
        })
        .collect()
}

pub(super) fn kind(id: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.id == id)
}

pub(super) fn kind_index(id: &str) -> Option<usize> {
    KINDS.iter().position(|k| k.id == id)
}

/// The compiled tables, built once.
pub(super) struct Compiled {
    /// All patterns at once: one linear pass per line finds which match.
    pub set: RegexSet,
    /// Each pattern on its own (for its captures), compiled the first time
    /// it matches: most logs show a few of them, and compiling all of them
    /// would cost more than reading a 100,000-line log.
    patterns: Vec<OnceLock<Regex>>,
    /// Index into KINDS for each pattern's kind.
    pub pattern_kind: Vec<Option<usize>>,
    /// The layers' regexes at once: one pass per line finds the outermost.
    pub layers: RegexSet,
}

pub(super) static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let sources: Vec<&str> = PATTERNS.iter().map(|p| p.regex).collect();
    Compiled {
        set: super::words::regex_set(sources.iter().copied()).expect("explain patterns compile"),
        patterns: sources.iter().map(|_| OnceLock::new()).collect(),
        pattern_kind: PATTERNS
            .iter()
            .map(|p| p.kind.and_then(kind_index))
            .collect(),
        layers: super::words::regex_set(LAYERS.iter().map(|(_, r)| *r))
            .expect("layer regexes compile"),
    }
});

impl Compiled {
    /// Pattern `idx` (an index into [`PATTERNS`]) on its own.
    pub(super) fn pattern(&self, idx: usize) -> &Regex {
        self.patterns[idx].get_or_init(|| {
            super::words::regex(PATTERNS[idx].regex).expect("explain pattern compiles")
        })
    }
}

/// The priority of a layer (lower is outer); the default layer is last.
pub(super) fn layer_rank(layer: &str) -> usize {
    LAYERS
        .iter()
        .position(|(name, _)| *name == layer)
        .unwrap_or(LAYERS.len())
}

pub(super) fn layer_name(rank: usize) -> &'static str {
    LAYERS.get(rank).map_or(DEFAULT_LAYER, |(name, _)| name)
}
