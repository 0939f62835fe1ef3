//! Tests for `explain`: every recognised message (each with where its text comes
//! from), grouping of multi-line errors and logs, timestamps and quiet periods,
//! inputs that must give nothing, the tables' invariants, and `confirm`.

use super::*;
use crate::finding::Severity;
use serde_json::{Value, json};

/// The only group `text` produces (fails with the report when there are more).
fn only(text: &str) -> Group {
    let r = explain(text);
    assert_eq!(r.matches.len(), 1, "expected one group: {:#?}", r.matches);
    r.matches[0].clone()
}

/// A test input from `tests/explain-data/`.
fn data(name: &str) -> String {
    let path = format!("{}/tests/explain-data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn n(g: &Group, key: &str) -> Value {
    g.numbers.get(key).cloned().unwrap_or(Value::Null)
}

fn has(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

/// Asserts id, layer and error code in one go.
fn assert_kind(g: &Group, id: &str, layer: &str, code: Option<i64>) {
    assert_eq!((g.id.as_str(), g.layer.as_str()), (id, layer), "{g:#?}");
    assert_eq!(
        n(g, "error_code"),
        code.map_or(Value::Null, Value::from),
        "{g:#?}"
    );
}

/// The checks every idle-type group gets, naming the commands.
fn assert_idle_checks(g: &Group, framework: &str) {
    assert!(has(&g.checks, "poolcheck inspect"), "{:#?}", g.checks);
    assert!(has(&g.checks, "poolcheck probe --idle "), "{:#?}", g.checks);
    assert!(
        has(
            &g.checks,
            &format!("poolcheck recommend --framework {framework}")
        ),
        "{:#?}",
        g.checks
    );
}

mod messages {
    //! One test per message: id, layer, numbers, cause and fix.
    use super::*;

    #[test]
    fn sqlalchemy_pymysql_2006_broken_pipe() {
        // PyMySQL pymysql/connections.py _write_bytes: OperationalError(CR_SERVER_GONE_ERROR,
        // f"MySQL server has gone away ({e!r})"), wrapped by SQLAlchemy's exc.py (the brief's text).
        let g = only(
            "sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2006, \"MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))\")",
        );
        assert_kind(&g, "server-gone-away", "sqlalchemy", Some(2006));
        assert_eq!(n(&g, "system_error"), json!(32));
        assert_eq!(n(&g, "closed_by"), json!("broken-pipe"));
        assert!(
            g.cause
                .contains("sat idle longer than the shortest idle limit"),
            "{}",
            g.cause
        );
        assert!(
            g.cause
                .contains("Broken pipe: the client wrote to a socket"),
            "{}",
            g.cause
        );
        assert!(g.cause.contains("pool_recycle=-1"), "{}", g.cause);
        // No limit in the text: the fix assumes 4 min (recycle 216) and says so.
        assert!(
            g.fix[0].starts_with("create_engine(url, pool_recycle=216, pool_pre_ping=True)"),
            "{:#?}",
            g.fix
        );
        assert!(g.fix[0].contains("assumes 4 min"), "{}", g.fix[0]);
        assert!(has(&g.fix, "SQLALCHEMY_ENGINE_OPTIONS"), "{:#?}", g.fix);
        assert!(has(&g.fix, "scoped_session.remove()"), "{:#?}", g.fix);
        assert_idle_checks(&g, "sqlalchemy");
        assert!(has(
            &g.checks,
            "--check pool_recycle=<current>,pool_pre_ping=<current>"
        ));
        assert_eq!(g.not_cause, None);
    }

    #[test]
    fn sqlalchemy_mysqlclient_2013() {
        // mysqlclient (libmysqlclient CR_SERVER_LOST) through SQLAlchemy; the brief's text.
        let g = only(
            "sqlalchemy.exc.OperationalError: (MySQLdb._exceptions.OperationalError) (2013, 'Lost connection to MySQL server during query')",
        );
        assert_kind(&g, "lost-connection-during-query", "sqlalchemy", Some(2013));
        assert!(
            g.cause.contains("first request after a quiet period"),
            "{}",
            g.cause
        );
        assert!(has(&g.fix, "pool_pre_ping=True"));
        assert_idle_checks(&g, "sqlalchemy");
    }

    #[test]
    fn mysql_connector_connection_not_available() {
        // mysql-connector-python connection.py OperationalError("MySQL Connection not available.");
        // seed 001 (PythonAnywhere's help page) quotes it through SQLAlchemy.
        let g = only(
            "sqlalchemy.exc.OperationalError: (mysql.connector.errors.OperationalError) MySQL Connection not available.",
        );
        assert_kind(&g, "connection-not-available", "sqlalchemy", None);
        assert!(g.cause.contains("forked its workers"), "{}", g.cause);
        assert!(has(&g.fix, "engine.dispose(close=False)"), "{:#?}", g.fix);
        assert!(has(&g.fix, "pool_recycle=216"), "{:#?}", g.fix);
    }

    #[test]
    fn django_mysqlclient_2006() {
        // Django re-raises MySQLdb's error as django.db.utils.OperationalError (django/db/utils.py).
        let g = only("django.db.utils.OperationalError: (2006, 'MySQL server has gone away')");
        assert_kind(&g, "server-gone-away", "django", Some(2006));
        assert!(g.cause.contains("CONN_HEALTH_CHECKS"), "{}", g.cause);
        assert!(
            g.fix[0].starts_with("DATABASES[\"default\"][\"CONN_MAX_AGE\"] = 216"),
            "{:#?}",
            g.fix
        );
        assert!(has(&g.fix, "CONN_HEALTH_CHECKS\"] = True"));
        assert!(has(&g.fix, "close_old_connections()"));
        assert_idle_checks(&g, "django");
    }

    #[test]
    fn django_1040() {
        // MySQL ER_CON_COUNT_ERROR (1040) "Too many connections" as Django re-raises it.
        let g = only("django.db.utils.OperationalError: (1040, 'Too many connections')");
        assert_kind(&g, "too-many-connections", "django", Some(1040));
        assert!(has(&g.fix, "Django has no pool for MySQL"), "{:#?}", g.fix);
        // Server-side advice first for capacity problems.
        assert!(g.fix[0].starts_with("make all pools fit"), "{:#?}", g.fix);
    }

    #[test]
    fn go_unexpected_eof_then_invalid_connection_is_one_error() {
        // go-sql-driver packets.go logs "[mysql] ... packets.go:37: unexpected EOF", then the
        // query returns ErrInvalidConn = errors.New("invalid connection") (errors.go).
        let g = only(&data("go-invalid-connection.txt"));
        assert_kind(&g, "invalid-connection", "go-sql-driver", None);
        assert_eq!((g.count, g.first_line, g.last_line), (1, 1, 2));
        assert_eq!(n(&g, "closed_by"), json!("eof"));
        assert!(
            g.cause
                .contains("The other side closed the connection (EOF)"),
            "{}",
            g.cause
        );
        assert!(g.cause.contains("SetConnMaxLifetime"), "{}", g.cause);
        assert!(
            g.fix[0].starts_with("db.SetConnMaxLifetime(216 * time.Second)"),
            "{:#?}",
            g.fix
        );
        assert!(has(&g.fix, "readTimeout=30s"));
        assert_idle_checks(&g, "go");
    }

    #[test]
    fn go_bad_connection() {
        // database/sql driver.ErrBadConn: "driver: bad connection".
        let g = only("2026/11/20 03:14:15 query failed: driver: bad connection");
        assert_kind(&g, "invalid-connection", "go-sql-driver", None);
    }

    #[test]
    fn go_connection_reset_and_broken_pipe() {
        // Go net.OpError text, as go-sql-driver issues #871 and #260 quote them.
        let g = only("read tcp 10.0.0.5:51234->10.0.0.9:3306: read: connection reset by peer");
        assert_kind(&g, "connection-reset", "go-sql-driver", None);
        assert_eq!(n(&g, "closed_by"), json!("reset"));
        assert!(
            g.cause
                .contains("AWS NLBs and NAT gateways reset flows idle past 350 s")
        );
        let g = only("write tcp 10.0.0.5:51234->10.0.0.9:3306: write: broken pipe");
        assert_kind(&g, "broken-pipe", "go-sql-driver", None);
        assert!(has(&g.fix, "SetConnMaxLifetime"));
    }

    #[test]
    fn go_closing_bad_idle_connection() {
        // go-sql-driver connection.go, as issue #1392 and a service log quote it.
        let r = explain(
            "[mysql] 2026/08/29 03:24:30 connection.go:801 closing bad idle connection: unexpected read from socket",
        );
        let g = &r.matches[0];
        assert_kind(g, "bad-idle-connection", "go-sql-driver", None);
        assert_eq!(
            n(g, "bad_idle_reason"),
            json!("unexpected read from socket")
        );
        assert!(g.cause.contains("4031 inactivity error"), "{}", g.cause);
        assert_eq!(r.findings[0].severity, Severity::Info);
    }

    #[test]
    fn connector_j_28801123_ms_is_the_default_wait_timeout() {
        // Connector/J LocalizedErrorMessages CommunicationsException.ServerPacketTimingInfo,
        // through Spring and HikariCP proxies (tests/explain-data).
        let g = only(&data("connector-j-communications-link-failure.txt"));
        assert_kind(&g, "communications-link-failure", "connector-j", None);
        assert_eq!((g.count, g.first_line, g.last_line), (1, 2, 14));
        assert_eq!(n(&g, "last_packet_ms"), json!(28_801_123));
        assert_eq!(n(&g, "last_packet_sent_ms"), json!(28_801_124));
        assert_eq!(n(&g, "idle_s"), json!(28_801.123));
        assert!(
            g.cause.starts_with(
                "28,801,123 ms is 8 h 0 min 1 s, just past the default wait_timeout of 28800 s: the server closed an idle pooled connection."
            ),
            "{}",
            g.cause
        );
        assert!(
            g.fix[0]
                .starts_with("HikariCP maxLifetime=25920000 (ms; below the 28,800 s idle limit"),
            "{:#?}",
            g.fix
        );
        assert!(has(&g.fix, "socketTimeout=30000"));
        assert!(
            has(
                &g.checks,
                "poolcheck recommend --framework hikaricp --idle-limit 28800s"
            ),
            "{:#?}",
            g.checks
        );
    }

    #[test]
    fn connector_j_idle_times_matched_to_middleboxes() {
        // Idle limits from docs: AWS NLB/NAT 350 s, Azure LB 4 min, PythonAnywhere 300 s,
        // ClearDB 90 s, GCP Cloud NAT 1200 s (reference sections 4 and 3).
        let cases = [
            (351_012, "AWS NLB or NAT gateway", "aws-nlb", 315),
            (241_500, "Azure Load Balancer", "azure-lb", 216),
            (301_000, "PythonAnywhere", "pythonanywhere", 270),
            (91_000, "ClearDB", "cleardb", 80),
            (1_210_000, "GCP Cloud NAT", "gcp-cloud-nat", 1080),
        ];
        for (ms, who, hosting, recycle) in cases {
            let text = format!(
                "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure The last packet successfully received from the server was {} milliseconds ago. The last packet sent successfully to the server was {} milliseconds ago.",
                text::int(ms),
                text::int(ms + 1)
            );
            let g = only(&text);
            assert!(
                g.cause.contains(who) && g.cause.contains("just past"),
                "{ms}: {}",
                g.cause
            );
            assert!(
                has(&g.checks, &format!("--hosting {hosting}")),
                "{ms}: {:#?}",
                g.checks
            );
            assert!(
                g.fix[0].starts_with(&format!("HikariCP maxLifetime={}", recycle * 1000)),
                "{ms}: {:#?}",
                g.fix
            );
        }
        // 351 s gives probe rungs around 350 s.
        let g = only(
            "Communications link failure The last packet successfully received from the server was 351,012 milliseconds ago. The last packet sent successfully to the server was 351,013 milliseconds ago.",
        );
        assert!(
            has(&g.checks, "poolcheck probe --idle 315s,385s"),
            "{:#?}",
            g.checks
        );
        assert!(
            g.cause.contains("consistent with an AWS NLB"),
            "{}",
            g.cause
        );
        // An idle time matching no documented limit says so and bounds the limit.
        let g = only(
            "Communications link failure The last packet successfully received from the server was 5,000,000 milliseconds ago. The last packet sent successfully to the server was 5,000,001 milliseconds ago.",
        );
        assert!(
            g.cause
                .contains("1 h 23 min 20 s, so the idle limit that closed it is at most that"),
            "{}",
            g.cause
        );
        assert!(
            g.cause.contains("matches none of the common defaults"),
            "{}",
            g.cause
        );
    }

    #[test]
    fn connector_j_waiting_for_an_answer_is_not_idle() {
        // Sent 30 s after the last packet arrived... then nothing for 30 s: a read timeout.
        let g = only(
            "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure The last packet successfully received from the server was 31,000 milliseconds ago. The last packet sent successfully to the server was 30,000 milliseconds ago.",
        );
        assert_eq!(n(&g, "idle_s"), json!(1.0));
        assert_eq!(n(&g, "answer_wait_s"), json!(30.0));
        assert!(
            g.cause.contains("too short for an idle timeout"),
            "{}",
            g.cause
        );
        assert!(
            g.cause.contains("the driver waited 30 s for an answer"),
            "{}",
            g.cause
        );
        // No limit derived from a 1 s idle time: the assumed one is used.
        assert!(
            g.fix[0].starts_with("HikariCP maxLifetime=216000"),
            "{:#?}",
            g.fix
        );
    }

    #[test]
    fn hikaricp_pool_timeout() {
        // HikariCP HikariPool.createTimeoutException: poolName + " - Connection is not available,
        // request timed out after " + elapsed + "ms." (the brief's "%s - ... after %dms.").
        let r = explain(
            "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.",
        );
        let g = &r.matches[0];
        assert_kind(g, "pool-exhausted", "hikaricp", None);
        assert_eq!(
            (n(g, "timeout_ms"), n(g, "timeout_s")),
            (json!(30000), json!(30.0))
        );
        assert_eq!(n(g, "pool_name"), json!("HikariPool-1"));
        assert!(
            g.cause
                .starts_with("HikariPool-1 waited 30,000 ms for a free connection."),
            "{}",
            g.cause
        );
        assert!(
            g.not_cause
                .as_deref()
                .unwrap()
                .starts_with("Not a server limit")
        );
        assert!(
            g.fix[0].starts_with("leakDetectionThreshold=60000"),
            "{:#?}",
            g.fix
        );
        assert!(
            has(
                &g.checks,
                "--check maximumPoolSize=<current>,connectionTimeout=30000"
            ),
            "{:#?}",
            g.checks
        );
        assert_eq!(r.findings[0].severity, Severity::Warn);
    }

    #[test]
    fn hikaricp_pool_timeout_with_stats() {
        // Newer HikariCP releases append the pool state to the same message, as users'
        // logs quote it ("... after 30001ms (total=10, active=10, idle=0, waiting=5)").
        let g = only(
            "HikariPool-1 - Connection is not available, request timed out after 30001ms (total=10, active=10, idle=0, waiting=5)",
        );
        assert_kind(&g, "pool-exhausted", "hikaricp", None);
        for (k, v) in [
            ("pool_total", 10),
            ("pool_active", 10),
            ("pool_idle", 0),
            ("pool_waiting", 5),
        ] {
            assert_eq!(n(&g, k), json!(v), "{k}");
        }
        assert!(
            g.cause.contains("(total=10, active=10, idle=0, waiting=5)"),
            "{}",
            g.cause
        );
        assert!(has(&g.fix, "(total=10, waiting=5 here)"), "{:#?}", g.fix);
    }

    #[test]
    fn hikaricp_timeout_caused_by_no_connection_at_all() {
        // HikariCP timeout whose cause is Connector/J's ServerPacketTimingInfoNoRecv.
        let g = only(&data("hikaricp-cannot-connect.txt"));
        assert_kind(&g, "pool-exhausted", "hikaricp", None);
        assert_eq!(n(&g, "caused_by"), json!("cannot-connect"));
        assert_eq!(n(&g, "closed_by"), json!("refused"));
        assert!(
            g.cause.contains("could not open new connections"),
            "{}",
            g.cause
        );
        assert!(g.cause.contains("Connection refused"), "{}", g.cause);
        assert_eq!(g.not_cause, None);
        assert!(
            g.fix[0].starts_with("make the server reachable"),
            "{:#?}",
            g.fix
        );
    }

    #[test]
    fn hikaricp_failed_to_validate() {
        // HikariCP PoolBase.isConnectionAlive log line, Connector/J's Connection.2 inside it.
        let r = explain(
            "WARN  com.zaxxer.hikari.pool.PoolBase - HikariPool-1 - Failed to validate connection com.mysql.cj.jdbc.ConnectionImpl@5c3b6c6e (No operations allowed after connection closed.). Possibly consider using a shorter maxLifetime value.",
        );
        let g = &r.matches[0];
        assert_kind(g, "stale-connection-validation", "hikaricp", None);
        assert_eq!(r.findings[0].severity, Severity::Info);
        assert!(g.fix[0].starts_with("HikariCP maxLifetime="));
    }

    #[test]
    fn connector_j_no_operations_after_close() {
        // Connector/J LocalizedErrorMessages Connection.2.
        let g = only(
            "com.mysql.cj.jdbc.exceptions.MySQLNonTransientConnectionException: No operations allowed after connection closed.",
        );
        assert_kind(&g, "connection-closed", "connector-j", None);
    }

    #[test]
    fn node_mysql2_protocol_connection_lost() {
        // node-mysql2 lib/base/connection.js: 'Connection lost: The server closed the connection.'
        let g = only(&data("node-mysql2-connection-lost.txt"));
        assert_kind(&g, "connection-lost", "node-mysql2", None);
        assert_eq!((g.count, g.first_line, g.last_line), (1, 2, 7));
        assert!(
            g.cause.contains("maxIdle is below connectionLimit"),
            "{}",
            g.cause
        );
        assert!(g.fix[0].contains("idleTimeout: 216000"), "{:#?}", g.fix);
        assert!(
            g.fix[0].contains("keepAliveInitialDelay: 60000"),
            "{:#?}",
            g.fix
        );
        assert_idle_checks(&g, "node-mysql2");
    }

    #[test]
    fn node_mysql2_econnreset() {
        // Node's error object for ECONNRESET as mysql2 emits it (errno -104).
        let g = only(&data("node-mysql2-econnreset.txt"));
        assert_kind(&g, "connection-reset", "node-mysql2", None);
        assert_eq!((g.count, g.first_line, g.last_line), (1, 1, 4));
        // errno: -104 sits on a property line of its own; the code line says enough.
        assert_eq!(n(&g, "closed_by"), json!("reset"));
    }

    #[test]
    fn node_mysql2_4031() {
        // node-mysql2's test for ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8.0.24+ message text).
        let g = only(
            "Error: The client was disconnected by the server because of inactivity. See wait_timeout and interactive_timeout for configuring this behavior.\n    at Packet.asError (/app/node_modules/mysql2/lib/packets/packet.js:740:17)\n  code: 'ER_CLIENT_INTERACTION_TIMEOUT',\n  errno: 4031,\n  sqlState: 'HY000',\n  sqlMessage: 'The client was disconnected by the server because of inactivity. See wait_timeout and interactive_timeout for configuring this behavior.'\n}",
        );
        assert_kind(&g, "idle-timeout-4031", "node-mysql2", Some(4031));
        assert_eq!((g.first_line, g.last_line), (1, 6));
        assert!(
            g.cause.contains("idle longer than wait_timeout"),
            "{}",
            g.cause
        );
    }

    #[test]
    fn rails_gone_away() {
        // mysql2 gem Mysql2::Error::ConnectionError, raised through Active Record (the brief's text).
        let g = only(
            "ActiveRecord::StatementInvalid: Mysql2::Error::ConnectionError: MySQL server has gone away",
        );
        assert_kind(&g, "server-gone-away", "rails", Some(2006));
        assert!(
            g.cause.contains("SESSION wait_timeout = 2147483"),
            "{}",
            g.cause
        );
        assert!(
            g.fix[0].starts_with("config/database.yml: idle_timeout: 216"),
            "{:#?}",
            g.fix
        );
        assert_idle_checks(&g, "rails");
        let g = only("Mysql2::Error: Lost connection to MySQL server during query");
        assert_kind(&g, "lost-connection-during-query", "rails", Some(2013));
    }

    #[test]
    fn rails_connection_timeout() {
        // activerecord connection_pool/queue.rb: "could not obtain a connection from the pool
        // within %0.3f seconds (waited %0.3f seconds); all pooled connections were in use".
        let g = only(
            "ActiveRecord::ConnectionTimeoutError: could not obtain a connection from the pool within 5.000 seconds (waited 5.002 seconds); all pooled connections were in use",
        );
        assert_kind(&g, "pool-exhausted", "rails", None);
        assert_eq!(
            (n(&g, "timeout_s"), n(&g, "waited_s")),
            (json!(5.0), json!(5.002))
        );
        assert!(
            g.cause.starts_with(
                "No connection came free within the 5 s checkout_timeout (waited 5.002 s)"
            ),
            "{}",
            g.cause
        );
        assert!(has(&g.fix, "RAILS_MAX_THREADS"));
        assert!(
            has(
                &g.fix,
                "checkout_timeout below the request timeout (now 5 s)"
            ),
            "{:#?}",
            g.fix
        );
    }

    #[test]
    fn sqlalchemy_queuepool_exhausted() {
        // sqlalchemy/pool/impl.py: "QueuePool limit of size %d overflow %d reached, connection
        // timed out, timeout %0.2f" (error code 3o7r).
        let r = explain(
            "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/14/3o7r)",
        );
        let g = &r.matches[0];
        assert_kind(g, "pool-exhausted", "sqlalchemy", None);
        assert_eq!(
            (
                n(g, "pool_size"),
                n(g, "max_overflow"),
                n(g, "pool_max"),
                n(g, "timeout_s")
            ),
            (json!(5), json!(10), json!(15), json!(30.0))
        );
        assert_eq!(n(g, "sqlalchemy_code"), json!("3o7r"));
        assert_eq!(
            n(g, "closed_by"),
            Value::Null,
            "'connection timed out' is the pool's wait, not a socket"
        );
        assert!(
            g.cause.starts_with("QueuePool size 5 + overflow 10 = 15 connections were all checked out and none came back within 30 s."),
            "{}",
            g.cause
        );
        assert!(g.cause.contains("leaked"), "{}", g.cause);
        assert!(has(&g.fix, "(now 5 + 10)"), "{:#?}", g.fix);
        assert!(has(
            &g.fix,
            "pool_timeout below the request timeout (now 30 s)"
        ));
        assert!(
            has(
                &g.checks,
                "--check pool_size=5,max_overflow=10,pool_timeout=30"
            ),
            "{:#?}",
            g.checks
        );
        assert!(has(&g.checks, "echo_pool=\"debug\""));
        assert_eq!(r.findings[0].evidence["pool_size"], json!(5));
        assert_eq!(r.findings[0].evidence["occurrences"], json!(1));
    }

    #[test]
    fn sqlx_and_mysql2_pool_timeouts() {
        // sqlx-core error.rs Error::PoolTimedOut Display.
        let g = only("Error: pool timed out while waiting for an open connection");
        assert_kind(&g, "pool-exhausted", "sqlx", None);
        assert!(has(&g.fix, "PoolTimedOut also means connecting failed"));
        // node-mysql2 lib/base/pool.js: new Error('Queue limit reached.').
        let g = only("Error: Queue limit reached.");
        assert_kind(&g, "pool-exhausted", "node-mysql2", None);
        assert!(g.cause.contains("queueLimit was reached"));
    }

    #[test]
    fn mysql_client_errors() {
        // The mysql CLI's "ERROR %d (%s): %s" with libmysqlclient / server messages.
        let cases = [
            (
                "ERROR 2006 (HY000): MySQL server has gone away",
                "server-gone-away",
                2006,
            ),
            (
                "ERROR 2013 (HY000): Lost connection to MySQL server during query",
                "lost-connection-during-query",
                2013,
            ),
            (
                "ERROR 1040 (08004): Too many connections",
                "too-many-connections",
                1040,
            ),
            (
                "ERROR 1153 (08S01): Got a packet bigger than 'max_allowed_packet' bytes",
                "packet-too-large",
                1153,
            ),
            (
                "ERROR 1045 (28000): Access denied for user 'app'@'10.0.0.5' (using password: YES)",
                "access-denied",
                1045,
            ),
            (
                "ERROR 4031 (HY000): The client was disconnected by the server because of inactivity. See wait_timeout and interactive_timeout for configuring this behavior.",
                "idle-timeout-4031",
                4031,
            ),
            (
                "ERROR 1927 (70100): Connection was killed",
                "connection-killed",
                1927,
            ),
            (
                "ERROR 2003 (HY000): Can't connect to MySQL server on 'db:3306' (111)",
                "cannot-connect",
                2003,
            ),
            (
                "ERROR 2002 (HY000): Can't connect to local MySQL server through socket '/run/mysqld/mysqld.sock' (2)",
                "cannot-connect",
                2002,
            ),
            (
                "ERROR 1226 (42000): User 'app' has exceeded the 'max_user_connections' resource (current value: 10)",
                "max-user-connections",
                1226,
            ),
        ];
        for (text, id, code) in cases {
            let g = only(text);
            assert_kind(&g, id, "mysql", Some(code));
            assert!(
                !g.cause.is_empty() && !g.fix.is_empty() && !g.checks.is_empty(),
                "{text}"
            );
        }
    }

    #[test]
    fn access_denied_is_not_a_pool_problem() {
        // MySQL ER_ACCESS_DENIED_ERROR (1045): "Access denied for user '%s'@'%s' (using password: %s)".
        let r = explain(
            "pymysql.err.OperationalError: (1045, \"Access denied for user 'app'@'10.0.0.5' (using password: NO)\")",
        );
        let g = &r.matches[0];
        assert_kind(g, "access-denied", "pymysql", Some(1045));
        assert_eq!(
            (n(g, "user"), n(g, "host"), n(g, "using_password")),
            (json!("app"), json!("10.0.0.5"), json!("NO"))
        );
        assert!(
            g.cause
                .starts_with("The server saw the login as 'app'@'10.0.0.5' (using password: NO)."),
            "{}",
            g.cause
        );
        assert!(
            g.not_cause
                .as_deref()
                .unwrap()
                .starts_with("Not a pool or idle-timeout problem"),
            "{:?}",
            g.not_cause
        );
        assert!(has(&g.fix, "ALTER USER 'app'@'<host>'"), "{:#?}", g.fix);
        assert!(has(&g.checks, "WHERE user = 'app'"), "{:#?}", g.checks);
        assert_eq!(r.findings[0].severity, Severity::Info);
        // 1044 is the same kind with its own code (a separate group).
        let g = only("ERROR 1044 (42000): Access denied for user 'app'@'%' to database 'shop'");
        assert_kind(&g, "access-denied", "mysql", Some(1044));
    }

    /// 1045 is also what an account created REQUIRE SSL (or MariaDB's
    /// require_secure_transport) answers a plain-text login: the cause says
    /// so; MySQL's own 3159 is named as the TLS requirement it is.
    #[test]
    fn access_denied_names_tls_and_3159_is_the_tls_requirement() {
        let g = only(
            "ERROR 1045 (28000): Access denied for user 'app'@'10.0.0.5' (using password: YES)",
        );
        assert!(g.cause.contains("REQUIRE SSL"), "{}", g.cause);
        assert!(g.cause.contains("require_secure_transport"), "{}", g.cause);
        let g = only(
            "ERROR 3159 (HY000): Connections using insecure transport are prohibited while --require_secure_transport=ON.",
        );
        assert_kind(&g, "access-denied", "mysql", Some(3159));
        assert!(
            g.cause
                .starts_with("The server requires TLS (require_secure_transport=ON)"),
            "{}",
            g.cause
        );
    }

    #[test]
    fn connector_python_2055() {
        // mysql-connector-python CR_SERVER_LOST_EXTENDED through SQLAlchemy (a user's log).
        let g = only(
            "sqlalchemy.exc.OperationalError: (mysql.connector.errors.OperationalError) 2055: Lost connection to MySQL server at '10.15.5.86:3306', system error: 32 Broken pipe",
        );
        assert_kind(&g, "lost-connection-system-error", "sqlalchemy", Some(2055));
        assert_eq!(
            (n(&g, "system_error"), n(&g, "closed_by")),
            (json!(32), json!("broken-pipe"))
        );
        assert_eq!(n(&g, "server_address"), json!("10.15.5.86:3306"));
        assert!(
            g.cause.contains("max_allowed_packet (large INSERTs)"),
            "{}",
            g.cause
        );
        assert!(has(&g.fix, "pool_recycle="));
    }

    #[test]
    fn packets_too_large() {
        // Connector/J PacketTooBigException: "Packet for query is too large ({0} > {1}). You can
        // change this value on the server by setting the 'max_allowed_packet' variable."
        let g = only(
            "com.mysql.cj.jdbc.exceptions.PacketTooBigException: Packet for query is too large (10,399 > 4,096). You can change this value on the server by setting the 'max_allowed_packet' variable.",
        );
        assert_kind(&g, "packet-too-large", "connector-j", Some(1153));
        assert_eq!(
            (n(&g, "packet_bytes"), n(&g, "max_allowed_packet_bytes")),
            (json!(10_399), json!(4_096))
        );
        assert!(
            g.cause.starts_with(
                "The statement was 10,399 bytes, above the 4,096-byte max_allowed_packet"
            ),
            "{}",
            g.cause
        );
        assert!(g.not_cause.is_some());
        assert!(
            g.fix[0].contains("SET GLOBAL max_allowed_packet = 16777216")
                && g.fix[0].contains("max_allowed_packet=16M"),
            "{:#?}",
            g.fix
        );
        assert!(has(&g.fix, "softEvictConnections"));
        assert!(has(&g.checks, "(10,399 bytes here)"), "{:#?}", g.checks);
        // go-sql-driver errors.go ErrPktTooLarge.
        let g = only("packet for query is too large. Try adjusting the `Config.MaxAllowedPacket`");
        assert_kind(&g, "packet-too-large", "go-sql-driver", Some(1153));
        assert!(has(&g.fix, "maxAllowedPacket=67108864"), "{:#?}", g.fix);
        // libmysqlclient CR_NET_PACKET_TOO_LARGE (2020): the client's own limit.
        let g = only(
            "pymysql.err.InternalError: (2020, \"Got packet bigger than 'max_allowed_packet' bytes\")",
        );
        assert_kind(&g, "packet-too-large", "pymysql", Some(2020));
        assert!(
            has(&g.fix, "pymysql.connect(..., max_allowed_packet=67108864)"),
            "{:#?}",
            g.fix
        );
    }

    #[test]
    fn connect_failures_are_not_idle_problems() {
        // libmysqlclient CR_SERVER_LOST_EXTENDED at the handshake stage.
        let g = only(
            "ERROR 2013 (HY000): Lost connection to MySQL server at 'reading initial communication packet', system error: 0",
        );
        assert_kind(&g, "lost-connection-at-handshake", "mysql", Some(2013));
        assert_eq!(
            n(&g, "phase"),
            json!("reading initial communication packet")
        );
        assert_eq!(
            n(&g, "server_address"),
            Value::Null,
            "the 2055 pattern's capture must not leak in"
        );
        assert!(
            g.not_cause
                .as_deref()
                .unwrap()
                .starts_with("Not an idle pooled connection")
        );
        // PyMySQL connections.py connect(): CR_CONN_HOST_ERROR through SQLAlchemy.
        let g = only(
            "sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2003, \"Can't connect to MySQL server on 'db.internal' ([Errno 111] Connection refused)\")",
        );
        assert_kind(&g, "cannot-connect", "sqlalchemy", Some(2003));
        assert_eq!(
            (n(&g, "server_address"), n(&g, "closed_by")),
            (json!("db.internal"), json!("refused"))
        );
        assert!(
            g.cause.starts_with("Nothing answered at db.internal."),
            "{}",
            g.cause
        );
    }

    #[test]
    fn server_error_log_lines() {
        // sql/sql_connect.cc ER_NEW_ABORTING_CONNECTION (MariaDB with log_warnings >= 2).
        let g = only(
            "2026-11-20  3:14:15 12 [Warning] Aborted connection 12 to db: 'shop' user: 'app' host: '10.0.0.5' (Got timeout reading communication packets)",
        );
        assert_kind(&g, "aborted-connection", "mysql-server", None);
        assert_eq!(
            n(&g, "reason"),
            json!("Got timeout reading communication packets")
        );
        // MySQL 8.0.24+ error log note MY-013730 states the limit itself.
        let g = only(
            "2026-11-20T03:14:15.123456Z 12 [Note] [MY-013730] [Server] 'wait_timeout' period of 28800 seconds was exceeded for `app`@`10.0.0.5`. The idle time since last command was too long.",
        );
        assert_kind(&g, "aborted-connection", "mysql-server", None);
        assert_eq!(n(&g, "wait_timeout_s"), json!(28800));
        assert!(g.cause.starts_with("The server closed a connection of 'app'@'10.0.0.5' that was idle past its wait_timeout of 28800 s."), "{}", g.cause);
    }

    #[test]
    fn pymysql_variants() {
        // PyMySQL _read_bytes: CR_SERVER_LOST with the socket error appended.
        let g = only(
            "pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query ([Errno 104] Connection reset by peer)')",
        );
        assert_kind(&g, "lost-connection-during-query", "pymysql", Some(2013));
        assert_eq!(
            (n(&g, "system_error"), n(&g, "closed_by")),
            (json!(104), json!("reset"))
        );
        assert!(
            g.cause.contains("The connection was reset (TCP RST)"),
            "{}",
            g.cause
        );
        assert!(
            g.fix[0].starts_with("without a pool: open a connection per unit of work"),
            "{:#?}",
            g.fix
        );
        // PyMySQL err.InterfaceError(0, '') on a closed connection, through SQLAlchemy.
        let g = only("sqlalchemy.exc.InterfaceError: (pymysql.err.InterfaceError) (0, '')");
        assert_kind(&g, "connection-closed", "sqlalchemy", None);
        // The server's 4031 as PyMySQL raises it.
        let g = only(
            "pymysql.err.OperationalError: (4031, 'The client was disconnected by the server because of inactivity. See wait_timeout and interactive_timeout for configuring this behavior.')",
        );
        assert_kind(&g, "idle-timeout-4031", "pymysql", Some(4031));
        // MariaDB Connector/C words 2006 without "MySQL".
        let g = only("MySQLdb.OperationalError: (2006, 'Server has gone away')");
        assert_kind(&g, "server-gone-away", "mysqlclient", Some(2006));
    }
}

mod seeds {
    //! The user questions poolcheck grew from (tests/explain-data/seed-*.txt).
    use super::*;

    fn ids(r: &ExplainReport) -> Vec<(String, String, usize, usize, usize)> {
        r.matches
            .iter()
            .map(|g| {
                (
                    g.id.clone(),
                    g.layer.clone(),
                    g.count,
                    g.first_line,
                    g.last_line,
                )
            })
            .collect()
    }

    fn row(
        id: &str,
        layer: &str,
        count: usize,
        first: usize,
        last: usize,
    ) -> (String, String, usize, usize, usize) {
        (id.into(), layer.into(), count, first, last)
    }

    #[test]
    fn seed_000_flask_gone_away_after_days() {
        // Quoted "MySQL server has gone away" (lines 1, 7, 62) and "'MySQL has gone away'" (37).
        let r = explain(&data("seed-000.txt"));
        assert_eq!(ids(&r), vec![row("server-gone-away", "mysql", 4, 1, 62)]);
        // Lines 69 and 92 mention errors in prose, far from the quotes.
        assert_eq!(r.unrecognised_lines, 2);
        let g = &r.matches[0];
        assert!(
            g.cause.contains("max_allowed_packet"),
            "the seed's LONGBLOB answer is covered"
        );
        assert!(has(&g.fix, "pre-ping"), "{:#?}", g.fix);
    }

    #[test]
    fn seed_001_pythonanywhere() {
        // "2013, 'Lost connection to MySQL server during query'" and mysql-connector's
        // "MySQL Connection not available." through SQLAlchemy.
        let r = explain(&data("seed-001.txt"));
        assert_eq!(
            ids(&r),
            vec![
                row("lost-connection-during-query", "mysql", 1, 17, 17),
                row("connection-not-available", "sqlalchemy", 1, 50, 50),
            ]
        );
        assert!(has(&r.matches[1].fix, "dispose"));
    }

    #[test]
    fn seed_002_queuepool_and_gone_away() {
        // "TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out,
        // timeout 30" and the old SQLAlchemy wrapper "(OperationalError) (2006, 'mysql server
        // has gone away')", bulleted; then "error 2006 (MySQL server has gone away)" in prose.
        let r = explain(&data("seed-002.txt"));
        assert_eq!(
            ids(&r),
            vec![
                row("pool-exhausted", "sqlalchemy", 1, 7, 7),
                row("server-gone-away", "sqlalchemy", 1, 8, 8),
                row("server-gone-away", "mysql", 1, 38, 38),
            ]
        );
        let pool = &r.matches[0];
        assert_eq!(
            (
                n(pool, "pool_size"),
                n(pool, "max_overflow"),
                n(pool, "timeout_s")
            ),
            (json!(5), json!(10), json!(30))
        );
        assert!(pool.cause.contains("5 + overflow 10 = 15"));
    }

    #[test]
    fn seed_003_hash_2006() {
        // "#2006: MySQL server has gone away"
        let r = explain(&data("seed-003.txt"));
        assert_eq!(ids(&r), vec![row("server-gone-away", "mysql", 1, 3, 3)]);
        assert_eq!(n(&r.matches[0], "error_code"), json!(2006));
    }

    #[test]
    fn seed_004_no_message_at_all() {
        // "500 errors after a day" is prose: nothing recognised, nothing invented.
        let r = explain(&data("seed-004.txt"));
        assert!(r.matches.is_empty() && r.findings.is_empty());
        assert!(
            r.summary_text.starts_with("Nothing recognised"),
            "{}",
            r.summary_text
        );
        // Line 1 ("500 errors") and line 30 (`def shutdown_session(exception=None):`).
        assert_eq!(r.unrecognised_lines, 2);
    }
}

mod grouping {
    //! One occurrence per error however many lines it takes; groups by kind,
    //! layer and distinguishing numbers.
    use super::*;

    const PYMYSQL_2006: &str = "pymysql.err.OperationalError: (2006, \"MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))\")";
    const SQLA_2006: &str = "sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2006, \"MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))\")";

    #[test]
    fn python_traceback_is_one_occurrence() {
        // BrokenPipeError -> PyMySQL 2006 -> SQLAlchemy wrapper -> [SQL] block -> background link.
        let r = explain(&data("sqlalchemy-pymysql-2006-traceback.txt"));
        assert_eq!(r.matches.len(), 1);
        let g = &r.matches[0];
        assert_kind(g, "server-gone-away", "sqlalchemy", Some(2006));
        assert_eq!((g.count, g.first_line, g.last_line), (1, 5, 24));
        assert!(
            g.example.starts_with("sqlalchemy.exc.OperationalError:"),
            "the outermost line is the example"
        );
        assert_eq!(n(g, "sqlalchemy_code"), json!("e3q8"));
        // The log header ("ERROR app: Exception on /orders") belongs to the error.
        assert_eq!(r.unrecognised_lines, 0);
    }

    #[test]
    fn django_chained_traceback_is_one_occurrence() {
        let g = only(&data("django-mysqlclient-2006-traceback.txt"));
        assert_kind(&g, "server-gone-away", "django", Some(2006));
        assert_eq!((g.count, g.first_line, g.last_line), (1, 12, 23));
    }

    #[test]
    fn the_wrapper_within_five_lines_is_the_same_occurrence() {
        // Rule: the same kind and code through another layer joins when at most 5
        // significant lines separate them; 6 and it is a new occurrence.
        for (noise, occurrences) in [(0, 1), (4, 1), (5, 2)] {
            let mut text = vec![PYMYSQL_2006.to_string()];
            text.extend((0..noise).map(|i| format!("INFO request {i} done")));
            text.push(SQLA_2006.to_string());
            let r = explain(&text.join("\n"));
            let total: usize = r.matches.iter().map(|g| g.count).sum();
            assert_eq!(
                total, occurrences,
                "{noise} lines between: {:#?}",
                r.matches
            );
        }
    }

    #[test]
    fn the_same_line_twice_is_two_occurrences() {
        let r = explain(&format!("{SQLA_2006}\n{SQLA_2006}\n"));
        assert_eq!(r.matches.len(), 1);
        assert_eq!(
            (
                r.matches[0].count,
                r.matches[0].first_line,
                r.matches[0].last_line
            ),
            (2, 1, 2)
        );
    }

    #[test]
    fn a_logged_message_and_its_traceback_are_one_error_each_time() {
        // logger.exception(e): the message on the log line, then the traceback whose
        // last line repeats it. Two requests in a row stay two errors.
        let one = [
            "2026-11-20 03:14:15,123 ERROR app: (pymysql.err.OperationalError) (2006, \"MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))\")",
            "Traceback (most recent call last):",
            "  File \"/app/x.py\", line 1, in f",
            PYMYSQL_2006,
            "",
            "The above exception was the direct cause of the following exception:",
            "",
            "Traceback (most recent call last):",
            "  File \"/app/x.py\", line 2, in g",
            SQLA_2006,
        ]
        .join("\n");
        let g = only(&format!("{one}\n{one}"));
        assert_eq!((g.count, g.first_line, g.last_line), (2, 1, 20));
    }

    #[test]
    fn collector_prefixes_are_ignored() {
        // docker compose prefixes every line with the service: the traceback still
        // reads as one error, and the timestamps after the prefix are found.
        let text: String = data("sqlalchemy-pymysql-2006-traceback.txt")
            .lines()
            .map(|l| format!("web-1  | {l}\n"))
            .collect();
        let g = only(&text);
        assert_eq!((g.count, g.first_line, g.last_line), (1, 5, 24));
        assert_eq!(g.timing.unwrap().first, "2026-11-20 03:14:15,123");
    }

    #[test]
    fn lines_minutes_apart_never_join() {
        let text =
            format!("2026-11-20 03:14:15,000 {PYMYSQL_2006}\n2026-11-20 03:20:00,000 {SQLA_2006}");
        let total: usize = explain(&text).matches.iter().map(|g| g.count).sum();
        assert_eq!(total, 2);
    }

    #[test]
    fn different_codes_are_different_groups() {
        let r = explain(
            "ERROR 2006 (HY000): MySQL server has gone away\nERROR 2013 (HY000): Lost connection to MySQL server during query\nERROR 2006 (HY000): MySQL server has gone away",
        );
        let got: Vec<(&str, usize)> = r.matches.iter().map(|g| (g.id.as_str(), g.count)).collect();
        assert_eq!(
            got,
            vec![("server-gone-away", 2), ("lost-connection-during-query", 1)]
        );
        assert_eq!(r.findings.len(), 2);
        assert!(
            r.summary_text
                .starts_with("Recognised 3 errors in 3 lines: server-gone-away x2 (mysql)"),
            "{}",
            r.summary_text
        );
    }

    #[test]
    fn pool_sizes_split_groups_and_idle_times_are_summarised() {
        let r = explain(
            "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00\nQueuePool limit of size 20 overflow 0 reached, connection timed out, timeout 10.00\nQueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00",
        );
        let got: Vec<(Value, usize)> = r
            .matches
            .iter()
            .map(|g| (n(g, "pool_size"), g.count))
            .collect();
        assert_eq!(got, vec![(json!(5), 2), (json!(20), 1)]);

        let line = |ms: i64| {
            format!(
                "Communications link failure The last packet successfully received from the server was {} milliseconds ago. The last packet sent successfully to the server was {} milliseconds ago.",
                text::int(ms),
                text::int(ms + 1)
            )
        };
        let g = only(&[line(352_500), line(351_012), line(9_000_000)].join("\n"));
        assert_eq!(g.count, 3);
        assert_eq!(
            (n(&g, "last_packet_ms_min"), n(&g, "last_packet_ms_max")),
            (json!(351_012), json!(9_000_000))
        );
        assert_eq!(n(&g, "idle_s_min"), json!(351.012));
        assert!(g.cause.starts_with("The idle times before these failures ran from 5 min 51 s to 2 h 30 min 0 s; the shortest, 5 min 51 s, just past 350 s: consistent with an AWS NLB"), "{}", g.cause);
    }

    #[test]
    fn java_caused_by_chain_is_one_occurrence() {
        let text = "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure\n\nThe last packet successfully received from the server was 600,000 milliseconds ago. The last packet sent successfully to the server was 600,001 milliseconds ago.\n\tat com.mysql.cj.jdbc.exceptions.SQLError.createCommunicationsException(SQLError.java:174)\nCaused by: com.mysql.cj.exceptions.CJCommunicationsException: Communications link failure\nCaused by: java.net.SocketException: Connection reset\n\tat java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:323)";
        let g = only(text);
        assert_kind(&g, "communications-link-failure", "connector-j", None);
        assert_eq!((g.count, g.first_line, g.last_line), (1, 1, 6));
        assert_eq!(n(&g, "closed_by"), json!("reset"));
        assert!(g.cause.contains("10 min 0 s"), "{}", g.cause);
    }

    #[test]
    fn unrecognised_error_lines_are_counted_only_away_from_recognised_ones() {
        let text = [
            "2026-11-20 03:00:00 ERROR payment: card declined by gateway", // 1: unrecognised
            "2026-11-20 03:00:01 INFO ok",
            "2026-11-20 03:00:02 INFO ok",
            "2026-11-20 03:00:03 INFO ok",
            "2026-11-20 03:00:04 INFO ok",
            "2026-11-20 03:00:05 INFO ok",
            "2026-11-20 03:00:06 INFO ok",
            "2026-11-20 03:00:07 ERROR app: Exception on /orders [GET]", // belongs to the next line
            "2026-11-20 03:00:07 ERROR 2006 (HY000): MySQL server has gone away",
            "2026-11-20 03:00:08 ERROR request failed with status 500", // about the error above
        ]
        .join("\n");
        let r = explain(&text);
        assert_eq!(r.matches.len(), 1);
        assert_eq!(r.unrecognised_lines, 1);
    }
}

mod timing {
    use super::*;

    #[test]
    fn failures_after_quiet_periods_point_at_idle_kills() {
        // 4 of 5 failures follow >= 30 min without any log line.
        let mut lines = Vec::new();
        let mut t = 0u64;
        let stamp = |t: u64| {
            format!(
                "2026-11-20 {:02}:{:02}:{:02},000",
                t / 3600 % 24,
                t / 60 % 60,
                t % 60
            )
        };
        for (i, quiet) in [true, true, false, true, true].iter().enumerate() {
            for _ in 0..20 {
                t += 7;
                lines.push(format!("{} INFO web: GET /items 200", stamp(t)));
            }
            t += if *quiet { 1800 + 60 * i as u64 } else { 3 };
            lines.push(format!("{} ERROR sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2013, 'Lost connection to MySQL server during query')", stamp(t)));
        }
        let g = only(&lines.join("\n"));
        let timing = g.timing.expect("timestamps");
        assert_eq!(g.count, 5);
        assert_eq!(timing.after_quiet_periods, 4);
        assert_eq!(timing.first, "2026-11-20 00:32:20,000");
        assert_eq!(timing.longest_quiet_before_s, Some(2040.0));
        assert!(
            timing.pattern.starts_with("4 of 5 failures came after >= 4 min 0 s without log lines (longest quiet time before one: 34 min 0 s)"),
            "{}",
            timing.pattern
        );
        assert!(
            timing.pattern.contains("idle connections killed"),
            "{}",
            timing.pattern
        );
        // So clear a pattern also goes into the cause.
        assert!(g.cause.ends_with("In this log 4 of 5 failures came after >= 4 min 0 s without log lines (longest quiet time before one: 34 min 0 s): the first request after a quiet period got a dead pooled connection."), "{}", g.cause);
    }

    #[test]
    fn failures_under_load_are_not_idle_kills() {
        let lines: Vec<String> = (0..30)
            .map(|i| {
                let msg = if i % 10 == 9 {
                    "ERROR 2013 (HY000): Lost connection to MySQL server during query"
                } else {
                    "INFO busy"
                };
                format!(
                    "Nov 20 03:{:02}:{:02} db-client app[12]: {msg}",
                    i / 6,
                    i % 6 * 10
                )
            })
            .collect();
        let g = only(&lines.join("\n"));
        let timing = g.timing.unwrap();
        assert_eq!(
            (timing.after_quiet_periods, timing.first.as_str()),
            (0, "Nov 20 03:01:30")
        );
        assert!(
            timing.pattern.contains("while the app was busy"),
            "{}",
            timing.pattern
        );
    }

    #[test]
    fn timestamp_formats_in_logs() {
        for line in [
            "2026-11-20T03:14:15Z ERROR 2006 (HY000): MySQL server has gone away",
            "2026-11-20 03:14:15,123 ERROR MySQL server has gone away",
            "Nov 20 03:14:15 web1 app[1]: MySQL server has gone away",
            "10.0.0.1 - - [20/Nov/2026:03:14:15 +0000] MySQL server has gone away",
            "[mysql] 2026/11/20 03:14:15 packets.go:37: unexpected EOF",
        ] {
            let g = only(line);
            assert!(
                g.timing
                    .as_ref()
                    .is_some_and(|t| t.first.contains("03:14:15")),
                "{line}: {:?}",
                g.timing
            );
        }
        assert_eq!(only("MySQL server has gone away").timing, None);
    }
}

mod robustness {
    //! Inputs that must give nothing, or at least never panic.
    use super::*;

    fn nothing(text: &str) -> ExplainReport {
        let r = explain(text);
        assert!(r.matches.is_empty(), "{:#?}", r.matches);
        assert!(r.findings.is_empty());
        assert!(
            r.summary_text.starts_with("Nothing recognised"),
            "{}",
            r.summary_text
        );
        r
    }

    #[test]
    fn unrecognised_inputs() {
        let r = nothing("");
        assert_eq!((r.lines_read, r.unrecognised_lines), (0, 0));
        let r = nothing(
            "The weather in Lisbon was mild, and the pool (the swimming kind) stayed open late.\nNobody went away.",
        );
        assert_eq!((r.lines_read, r.unrecognised_lines), (2, 0));
        let access_log = "10.0.0.1 - - [20/Nov/2026:03:14:15 +0000] \"GET /index.html HTTP/1.1\" 200 5123 \"-\" \"curl/8.5\"\n10.0.0.2 - - [20/Nov/2026:03:14:16 +0000] \"POST /api/orders HTTP/1.1\" 502 0 \"-\" \"Mozilla/5.0\"\n";
        let r = nothing(access_log);
        assert_eq!((r.lines_read, r.unrecognised_lines), (2, 0));
        let garbage: String = (0u32..4000)
            .map(|i| char::from_u32((i * 7919) % 0xD7FF).unwrap_or('?'))
            .collect();
        nothing(&garbage);
        nothing("\u{0}\u{1}\u{1b}[31m\r\n\r\n\u{fffd}\u{fffd}");
        let r = nothing("ERROR payment gateway timeout\nKeyError: 'user_id'\n");
        assert_eq!(r.unrecognised_lines, 2);
        assert!(
            r.summary_text.contains("2 lines looked like errors"),
            "{}",
            r.summary_text
        );
    }

    #[test]
    fn long_lines_are_cut_for_matching() {
        let pad = "x".repeat(10_000);
        nothing(&format!("{pad}MySQL server has gone away"));
        let g = only(&format!("MySQL server has gone away{pad}{pad}"));
        assert_eq!(g.example.chars().count(), 300);
        // A multi-byte character across the cut must not panic.
        let r = explain(&format!(
            "{}é MySQL server has gone away",
            "x".repeat(9_999)
        ));
        assert!(r.matches.is_empty());
    }

    #[test]
    fn fragments_and_mixtures_never_panic() {
        // Deterministic mixtures of message fragments, numbers and junk.
        let parts = [
            "Communications link failure",
            "The last packet successfully received from the server was ",
            "99999999999999999999999",
            " milliseconds ago. The last packet sent successfully to the server was ",
            "-1",
            "QueuePool limit of size ",
            " overflow -1 reached, connection timed out, timeout ",
            "Caused by: ",
            "    ",
            "\t at x",
            "[SQL: ",
            "]",
            "(2006, '",
            "Access denied for user ''@'' (using password: NO)",
            "2026-02-30T25:61:61Z ",
            "Nov 31 99:99:99 ",
            "\n",
            "\r\n",
            "é",
            "${",
            "$[",
            "Packet for query is too large (1 > 0)",
            "timed out after 0ms (total=0, active=0, idle=0, waiting=0)",
            "HikariPool-1 - Connection is not available, request",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..150 {
            let mut text = String::new();
            for _ in 0..30 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(parts[(seed % parts.len() as u64) as usize]);
            }
            let r = explain(&text);
            for g in &r.matches {
                assert!(
                    g.first_line <= g.last_line && g.last_line <= r.lines_read,
                    "{g:#?}"
                );
                assert!(g.count >= 1 && !g.cause.is_empty());
            }
            assert_eq!(r.findings.len(), r.matches.len());
        }
    }

    #[test]
    fn large_inputs_finish() {
        // One 4 MB line (cut to 10,000 bytes for matching) and 20,000 short ones.
        let mut text = "MySQL server has gone away ".repeat(150_000);
        text.push('\n');
        for i in 0..20_000 {
            text.push_str(&format!(
                "2026-11-20T03:{:02}:{:02}Z INFO ok {i}\n",
                i / 60 % 60,
                i % 60
            ));
        }
        let r = explain(&text);
        assert_eq!(r.lines_read, 20_001);
        assert_eq!(r.matches.len(), 1);
        assert_eq!(r.matches[0].count, 1);
    }

    #[test]
    fn report_round_trips_as_json() {
        let r = explain(&data("hikaricp-cannot-connect.txt"));
        let json = serde_json::to_string(&r).unwrap();
        let back: ExplainReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        assert_eq!(
            (
                r.header.schema_version,
                r.header.command.as_str(),
                r.header.tool.name.as_str()
            ),
            (1, "explain", "poolcheck")
        );
    }
}

mod tables {
    //! The data tables' invariants.
    use super::super::patterns::{COMPILED, KINDS, LAYERS, LIMITS, PATTERNS, Role, kind};
    use super::super::recognize::{NUMERIC_KEYS, STRING_KEYS};
    use super::*;

    #[test]
    fn kinds_and_patterns_agree() {
        let _ = &*COMPILED; // every regex compiles
        for k in KINDS {
            assert!(
                k.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                k.id
            );
            assert!(
                PATTERNS.iter().any(|p| p.kind == Some(k.id)),
                "{} has no pattern",
                k.id
            );
            assert_eq!(
                KINDS.iter().filter(|o| o.id == k.id).count(),
                1,
                "{} twice",
                k.id
            );
        }
        for p in PATTERNS {
            if let Some(id) = p.kind {
                assert!(kind(id).is_some(), "{id}");
            }
            if let Role::Tail(of) = p.role {
                assert!(of.iter().all(|id| kind(id).is_some()), "{of:?}");
            }
            if let Some(l) = p.layer {
                assert!(LAYERS.iter().any(|(name, _)| *name == l), "{l}");
            }
            assert!(!p.source.is_empty());
            for name in regex::Regex::new(p.regex)
                .unwrap()
                .capture_names()
                .flatten()
            {
                assert!(
                    NUMERIC_KEYS.contains(&name) || STRING_KEYS.contains(&name),
                    "capture {name} is neither numeric nor string"
                );
            }
        }
        let mut limits: Vec<f64> = LIMITS.iter().map(|l| l.seconds).collect();
        limits.sort_by(f64::total_cmp);
        // No idle time matches two limits.
        for w in limits.windows(2) {
            assert!(w[0] * 1.05 + 5.0 < w[1] * 0.98, "{w:?}");
        }
    }

    #[test]
    fn severities_as_specified() {
        let sev = |id: &str| kind(id).unwrap().severity;
        for id in [
            "server-gone-away",
            "lost-connection-during-query",
            "idle-timeout-4031",
            "communications-link-failure",
            "pool-exhausted",
            "too-many-connections",
            "packet-too-large",
        ] {
            assert_eq!(sev(id), Severity::Warn, "{id}");
        }
        assert_eq!(sev("access-denied"), Severity::Info);
    }

    #[test]
    fn limits_agree_with_the_hosting_presets() {
        // Every preset's idle limit is one explain recognises, and names a
        // preset with that limit.
        // ProxySQL's 8 h is MySQL's own default wait_timeout, which explain
        // names as the server's.
        for p in crate::recommend::hosting::PRESETS {
            let Some(limit_s) = p.limit_s else { continue };
            let l = super::super::patterns::match_limit(limit_s as f64)
                .unwrap_or_else(|| panic!("no explain limit for the {} preset", p.name));
            assert_eq!(l.seconds, limit_s as f64, "{}", p.name);
            if p.name == "proxysql" {
                assert!(l.server_side && l.hosting.is_none());
                continue;
            }
            let named = l.hosting.and_then(crate::recommend::hosting::find);
            assert_eq!(named.map(|n| n.limit_s), Some(p.limit_s), "{}", p.name);
        }
        // Every limit that names a preset has that preset's number.
        for l in LIMITS {
            if let Some(h) = l.hosting {
                let p = crate::recommend::hosting::find(h).expect(h);
                assert_eq!(p.limit_s.map(|s| s as f64), Some(l.seconds), "{h}");
            }
        }
    }

    #[test]
    fn every_framework_has_advice() {
        use crate::recommend::Framework;
        for fw in Framework::ALL {
            let a = &fw.spec().advice;
            for (what, text) in [
                ("lifetime", a.lifetime),
                ("idle_check", a.idle_check),
                ("pool_check", a.pool_check),
            ] {
                assert!(!text.trim().is_empty(), "{}: no {what}", fw.name());
            }
            // Only the generic framework leaves every fix to the neutral one.
            assert_eq!(
                a.idle_fix.is_empty(),
                fw == Framework::Generic,
                "{}: idle fix",
                fw.name()
            );
            for layer in a.layers {
                assert!(
                    LAYERS.iter().any(|(name, _)| name == layer),
                    "{}: layer {layer} is not one explain recognises",
                    fw.name()
                );
                assert_eq!(super::super::frameworks::family(layer).framework, fw);
            }
        }
        // The layers that show a framework lead to its advice.
        for (layer, fw) in [
            ("sqlalchemy", Framework::Sqlalchemy),
            ("django", Framework::Django),
            ("go-sql-driver", Framework::Go),
            ("connector-j", Framework::Hikaricp),
            ("rails", Framework::Rails),
            ("node-mysql2", Framework::NodeMysql2),
            ("sqlx", Framework::Sqlx),
            ("laravel", Framework::Laravel),
            ("php", Framework::PhpPdo),
            ("pymysql", Framework::Generic),
            ("mysql", Framework::Generic),
        ] {
            assert_eq!(
                super::super::frameworks::family(layer).framework,
                fw,
                "{layer}"
            );
        }
    }

    #[test]
    fn every_stack_of_explains_own_has_advice_and_known_layers() {
        for a in super::super::stacks::STACKS {
            assert!(!a.idle_fix.is_empty(), "{:?}", a.layers);
            for layer in a.layers {
                assert!(LAYERS.iter().any(|(name, _)| name == layer), "{layer}");
                let fam = super::super::frameworks::family(layer);
                assert!(std::ptr::eq(fam.advice, *a), "{layer}");
            }
        }
    }

    #[test]
    fn catalogue_lists_every_kind() {
        let c = catalogue();
        for k in KINDS {
            assert!(c.iter().any(|e| e.id == k.id), "{}", k.id);
        }
        assert!(c.iter().all(|e| !e.source.is_empty()));
    }
}

mod log {
    //! A generated mixed log of 5000 lines: noise, a few hundred errors of several
    //! kinds and layers, timestamps and quiet gaps; exact groups expected.
    use super::*;
    use std::collections::BTreeMap;

    /// Days since 1970 to (year, month, day) (Howard Hinnant's algorithm).
    fn civil(days: i64) -> (i64, i64, i64) {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + i64::from(m <= 2), m, d)
    }

    #[derive(Default)]
    struct Expect {
        count: usize,
        first: usize,
        last: usize,
        quiet: usize,
    }

    struct Gen {
        lines: Vec<String>,
        t: i64,
        rng: u64,
        order: Vec<(String, String)>,
        expect: BTreeMap<(String, String), Expect>,
        unrecognised: usize,
    }

    impl Gen {
        fn rand(&mut self, n: u64) -> u64 {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            self.rng % n
        }
        fn iso(&self) -> String {
            let (y, m, d) = civil(self.t.div_euclid(86_400));
            let s = self.t.rem_euclid(86_400);
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
                s / 3600,
                s / 60 % 60,
                s % 60
            )
        }
        fn go(&self) -> String {
            self.iso()
                .replace('-', "/")
                .replace('T', " ")
                .replace('Z', "")
        }
        fn noise(&mut self, quiet: bool) {
            self.t += if quiet {
                3600
            } else {
                1 + self.rand(20) as i64
            };
            let n = self.rand(1000);
            let line = format!(
                "{} INFO web: GET /api/items/{n} 200 {}ms",
                self.iso(),
                self.rand(90)
            );
            self.lines.push(line);
        }
        /// Adds an event; `hit` is its first and `last` its last matching line (0-based in `body`).
        fn event(&mut self, id: &str, layer: &str, body: Vec<String>, hit: usize, quiet: bool) {
            let start = self.lines.len();
            self.lines.extend(body);
            let key = (id.to_string(), layer.to_string());
            if !self.expect.contains_key(&key) {
                self.order.push(key.clone());
            }
            let e = self.expect.entry(key).or_default();
            if e.count == 0 {
                e.first = start + hit + 1;
            }
            e.count += 1;
            e.last = self.lines.len();
            e.quiet += usize::from(quiet);
        }
    }

    #[test]
    fn five_thousand_line_log() {
        let mut g = Gen {
            lines: Vec::new(),
            t: 1_795_132_800, // 2026-11-20T00:00:00Z
            rng: 0x9e37_79b9_7f4a_7c15,
            order: Vec::new(),
            expect: BTreeMap::new(),
            unrecognised: 0,
        };
        let mut events = 0;
        while g.lines.len() < 4_900 {
            // Enough noise between events that no two can join (window: 5 lines).
            for _ in 0..6 + g.rand(10) {
                g.noise(false);
            }
            let quiet = g.rand(4) == 0;
            g.t += if quiet {
                1800 + g.rand(30_000) as i64
            } else {
                1 + g.rand(5) as i64
            };
            let ts = g.iso();
            match g.rand(6) {
                0 => {
                    let body = vec![
                        format!("{ts} ERROR app: Exception on /orders [GET]"),
                        "Traceback (most recent call last):".into(),
                        "  File \"/app/views.py\", line 20, in orders".into(),
                        "    rows = db.session.execute(q).all()".into(),
                        "pymysql.err.OperationalError: (2006, \"MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))\")".into(),
                        String::new(),
                        "The above exception was the direct cause of the following exception:".into(),
                        String::new(),
                        "sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2006, \"MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))\")".into(),
                        "(Background on this error at: https://sqlalche.me/e/20/e3q8)".into(),
                    ];
                    g.event("server-gone-away", "sqlalchemy", body, 4, quiet);
                }
                1 => {
                    let ms = 30_000 + g.rand(10);
                    let body = vec![format!(
                        "{ts} ERROR 1 --- [nio-8080-exec-1] c.e.Api : HikariPool-1 - Connection is not available, request timed out after {ms}ms."
                    )];
                    g.event("pool-exhausted", "hikaricp", body, 0, quiet);
                }
                2 => {
                    let ms = 351_000 + g.rand(9_000) as i64;
                    let body = vec![
                        format!(
                            "{ts} ERROR 1 --- [nio-8080-exec-2] o.h.e.j.s.SqlExceptionHelper : com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure"
                        ),
                        String::new(),
                        format!(
                            "The last packet successfully received from the server was {} milliseconds ago. The last packet sent successfully to the server was {} milliseconds ago.",
                            text::int(ms),
                            text::int(ms + 1)
                        ),
                    ];
                    g.event("communications-link-failure", "connector-j", body, 0, quiet);
                }
                3 => {
                    let go = g.go();
                    let body = vec![
                        format!("[mysql] {go} packets.go:37: unexpected EOF"),
                        format!("{go} fail to query: invalid connection"),
                    ];
                    g.event("invalid-connection", "go-sql-driver", body, 0, quiet);
                }
                4 => {
                    let body = vec![format!(
                        "{ts} ERROR worker: sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)"
                    )];
                    g.event("pool-exhausted", "sqlalchemy", body, 0, quiet);
                }
                _ => {
                    g.lines
                        .push(format!("{ts} ERROR payment: card declined by gateway"));
                    g.unrecognised += 1;
                }
            }
            events += 1;
            // Now and then a quiet period with no failure after it (the base rate).
            if g.rand(10) == 0 {
                g.noise(true);
            }
        }
        while g.lines.len() < 5_000 {
            g.noise(false);
        }
        for _ in 0..6 {
            g.noise(false); // the last events' window closes inside the log
        }
        let text = g.lines.join("\n");
        let started = std::time::Instant::now();
        let r = explain(&text);
        let took = started.elapsed();
        println!(
            "explain on a {}-line log ({} bytes, {events} events): {:.1} ms",
            r.lines_read,
            text.len(),
            took.as_secs_f64() * 1000.0
        );

        assert_eq!(r.lines_read, g.lines.len());
        assert_eq!(r.unrecognised_lines, g.unrecognised);
        let got: Vec<(String, String)> = r
            .matches
            .iter()
            .map(|m| (m.id.clone(), m.layer.clone()))
            .collect();
        assert_eq!(got, g.order, "groups in order of first appearance");
        for m in &r.matches {
            let e = &g.expect[&(m.id.clone(), m.layer.clone())];
            assert_eq!(
                (m.count, m.first_line, m.last_line),
                (e.count, e.first, e.last),
                "{} ({})",
                m.id,
                m.layer
            );
            let timing = m.timing.as_ref().expect("every event is timestamped");
            assert_eq!(timing.after_quiet_periods, e.quiet, "{} quiet", m.id);
        }
        let total: usize = r.matches.iter().map(|m| m.count).sum();
        assert!(total > 200, "a few hundred errors: {total}");
        // The connector-j group's idle times (351-360 s) point at the AWS NLB/NAT.
        let cj = r
            .matches
            .iter()
            .find(|m| m.id == "communications-link-failure")
            .unwrap();
        assert!(cj.cause.contains("just past 350 s"), "{}", cj.cause);
    }

    /// Lines that cannot match (most of a real log, and what the prefilter
    /// skips) change nothing: the same groups, counts, numbers, examples,
    /// causes and timing with hundreds of them between the errors as
    /// without. Some of them share words and literals with the patterns
    /// (`connection`, `timeout`, `pool`, `read`), in any case, at any place
    /// in long lines, so they pass the prefilter and reach the regexes.
    #[test]
    fn non_matching_lines_change_nothing() {
        let events: [&[&str]; 6] = [
            &[
                "2026-11-20 00:01:00,001 ERROR sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2006, \"MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))\")",
            ],
            &[
                "2026-11-20 00:09:00,002 ERROR (MySQLdb._exceptions.OperationalError) (2013, 'Lost connection to MySQL server during query')",
            ],
            &[
                "2026-11-20 00:09:30,003 ERROR sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00",
            ],
            &[
                "[mysql] 2026/11/20 00:40:15 packets.go:37: unexpected EOF",
                "invalid connection",
            ],
            &[
                "2026-11-20 01:20:00,004 ERROR com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure",
                "",
                "The last packet successfully received from the server was 351,204 milliseconds ago. The last packet sent successfully to the server was 351,205 milliseconds ago.",
                "\tat com.mysql.cj.jdbc.exceptions.SQLError.createCommunicationsException(SQLError.java:174)",
                "\tat com.zaxxer.hikari.pool.ProxyPreparedStatement.executeQuery(ProxyPreparedStatement.java:52)",
            ],
            &[
                "2026-11-20 01:21:00,005 ERROR read tcp 10.0.0.5:51234->10.0.0.9:443: read: connection reset by peer",
            ],
        ];
        let long_tail = format!("{} Connection POOL stats ok", "x".repeat(300));
        let very_long = format!("trace id {} end", "ab".repeat(6_000));
        let noise: Vec<String> = vec![
            "INFO  web.request GET /orders/17 200 12ms".into(),
            "DEBUG connection pool stats: active=3 idle=7 waiting=0".into(),
            "INFO  TIMEOUT set to 30s for the upstream CALL".into(),
            "INFO  read 512 bytes from cache; server warm".into(),
            "web-1  | INFO started worker 3".into(),
            "INFO  Zürich → café: the order is on its way".into(),
            long_tail,
            very_long,
            "INFO  queued 4 jobs, socket buffers fine, protocol v2".into(),
        ];
        let build = |extra: usize| {
            let mut lines: Vec<String> = Vec::new();
            for (i, event) in events.iter().enumerate() {
                // Six plain lines keep the errors apart (the joining window is 5).
                for k in 0..6 {
                    lines.push(format!("2026-11-20 00:0{i}:0{k},000 INFO tick {k}"));
                    if k == 2 {
                        // Untimestamped, so the gaps between timestamps stay the same.
                        lines.extend((0..extra).map(|j| noise[j % noise.len()].clone()));
                    }
                }
                lines.extend(event.iter().map(|l| l.to_string()));
            }
            lines.extend((0..6).map(|k| format!("2026-11-20 02:00:0{k},000 INFO tick")));
            lines.join("\n")
        };
        let without = explain(&build(0));
        let with = explain(&build(300));
        assert_eq!(with.lines_read, without.lines_read + 6 * 300);
        assert!(without.matches.len() >= 5, "{:#?}", without.matches);
        // Line numbers move by the lines added; everything else is the same.
        let comparable = |r: &ExplainReport| {
            let mut v = serde_json::to_value(r).unwrap();
            v["lines_read"] = Value::Null;
            v["summary_text"] = Value::Null;
            for m in v["matches"].as_array_mut().unwrap() {
                m["first_line"] = Value::Null;
                m["last_line"] = Value::Null;
            }
            v
        };
        assert_eq!(comparable(&with), comparable(&without));
        assert_eq!(
            with.summary_text.replace(&with.lines_read.to_string(), "N"),
            without
                .summary_text
                .replace(&without.lines_read.to_string(), "N")
        );
    }
}

mod confirm_tests {
    //! `confirm`: each group's cause against a live server's facts.
    use super::*;
    use crate::inspect::*;

    pub(super) fn facts(
        wait: u64,
        max_connections: u64,
        max_used: u64,
        packet: u64,
    ) -> ServerFacts {
        ServerFacts {
            server: ServerInfo {
                version: "8.0.36".into(),
                version_comment: "MySQL Community Server - GPL".into(),
                flavor: "MySQL".into(),
                uptime_s: 86_400,
            },
            account: AccountInfo {
                current_user: "app@%".into(),
                has_process_privilege: false,
            },
            timeouts: Timeouts {
                wait_timeout_global_s: wait,
                wait_timeout_session_s: wait,
                interactive_timeout_s: 28_800,
                connect_timeout_s: 10,
                net_read_timeout_s: 30,
                net_write_timeout_s: 60,
                init_connect: String::new(),
            },
            capacity: Capacity {
                max_connections,
                max_user_connections_global: 0,
                max_user_connections_account: 0,
                threads_connected: 12,
                threads_running: 2,
                max_used_connections: max_used,
                thread_cache_size: 9,
            },
            packets: Packets {
                max_allowed_packet_bytes: packet,
            },
            counters: Counters {
                aborted_clients: 240,
                aborted_clients_per_hour: 10.0,
                aborted_connects: 0,
                connection_errors_max_connections: 0,
                aborted_connects_preauth: 0,
                access_denied_errors: 0,
                connection_errors_total: 0,
                connections: 1_000,
            },
            idle: IdleConnections {
                scope: "ok".into(),
                groups: vec![],
            },
        }
    }

    fn verdict(text: &str, f: &ServerFacts) -> (ExplainReport, Verdict) {
        let mut r = explain(text);
        confirm(&mut r, f);
        let server = r.server.clone().expect("server check");
        assert_eq!(server.verdicts.len(), r.matches.len());
        let v = server.verdicts[0].clone();
        (r, v)
    }

    #[test]
    fn gone_away_with_a_300_s_wait_timeout_is_confirmed() {
        let f = facts(300, 151, 20, 64 << 20);
        let (r, v) = verdict(
            "sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2006, \"MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))\")",
            &f,
        );
        assert_eq!(
            (v.group.as_str(), v.status.as_str()),
            ("server-gone-away", "confirmed")
        );
        assert!(
            v.reason.starts_with("wait_timeout here is 300 s"),
            "{}",
            v.reason
        );
        assert!(v.reason.contains("Aborted_clients: 240"), "{}", v.reason);
        let s = r.server.as_ref().unwrap();
        assert_eq!(
            (
                s.wait_timeout_session_s,
                s.max_connections,
                s.max_allowed_packet_bytes
            ),
            (300, 151, 64 << 20)
        );
        // The fix now aims below this server's wait_timeout: recycle 270.
        let g = &r.matches[0];
        assert!(
            g.fix[0].starts_with("create_engine(url, pool_recycle=270, pool_pre_ping=True)"),
            "{:#?}",
            g.fix
        );
        assert!(
            g.fix[0].contains("this server's wait_timeout (300 s)"),
            "{}",
            g.fix[0]
        );
        assert!(has(&g.checks, "--idle-limit 300s"), "{:#?}", g.checks);
    }

    #[test]
    fn too_many_connections_at_max_used_is_confirmed() {
        let (_, v) = verdict(
            "ERROR 1040 (08004): Too many connections",
            &facts(28_800, 151, 151, 64 << 20),
        );
        assert_eq!(v.status, "confirmed");
        assert!(
            v.reason
                .starts_with("Max_used_connections is 151 of max_connections 151"),
            "{}",
            v.reason
        );
        let (_, v) = verdict(
            "ERROR 1040 (08004): Too many connections",
            &facts(28_800, 151, 40, 64 << 20),
        );
        assert_eq!(v.status, "ruled-out", "{}", v.reason);
    }

    #[test]
    fn packet_too_large_against_4_mib() {
        let f = facts(28_800, 151, 20, 4 << 20);
        let (_, v) = verdict(
            "ERROR 1153 (08S01): Got a packet bigger than 'max_allowed_packet' bytes",
            &f,
        );
        assert_eq!(v.status, "possible");
        assert!(
            v.reason.starts_with(
                "max_allowed_packet here is 4 MiB (low: MySQL 8.0 defaults to 64 MiB)"
            ),
            "{}",
            v.reason
        );
        let (_, v) = verdict(
            "Packet for query is too large (5,000,000 > 4,194,304). You can change this value on the server by setting the 'max_allowed_packet' variable.",
            &f,
        );
        assert_eq!(v.status, "confirmed");
        assert_eq!(
            v.reason,
            "the 5,000,000-byte statement is larger than max_allowed_packet here (4 MiB)"
        );
        let (_, v) = verdict(
            "Packet for query is too large (5,000,000 > 4,194,304).",
            &facts(28_800, 151, 20, 64 << 20),
        );
        assert_eq!(v.status, "ruled-out", "{}", v.reason);
    }

    #[test]
    fn eight_hours_idle_against_a_300_s_wait_timeout_points_elsewhere() {
        let f = facts(300, 151, 20, 64 << 20);
        let (r, v) = verdict(&data("connector-j-communications-link-failure.txt"), &f);
        assert_eq!(
            (v.group.as_str(), v.status.as_str()),
            ("communications-link-failure", "ruled-out")
        );
        assert!(
            v.reason
                .starts_with("wait_timeout here is 300 s, not 28,800 s"),
            "{}",
            v.reason
        );
        assert!(v.reason.contains("ProxySQL"), "{}", v.reason);
        // Not the limit to fix for: the fix still aims below the 8 h match.
        assert!(
            r.matches[0].fix[0].starts_with("HikariCP maxLifetime=25920000"),
            "{:#?}",
            r.matches[0].fix
        );
        // The same idle time against a default server confirms it.
        let (r, v) = verdict(
            &data("connector-j-communications-link-failure.txt"),
            &facts(28_800, 151, 20, 64 << 20),
        );
        assert_eq!(v.status, "confirmed", "{}", v.reason);
        assert!(r.matches[0].fix[0].starts_with("HikariCP maxLifetime=25920000"));
        // A server whose wait_timeout is longer than the idle time did not close it.
        let (_, v) = verdict(
            "Communications link failure The last packet successfully received from the server was 351,012 milliseconds ago. The last packet sent successfully to the server was 351,013 milliseconds ago.",
            &facts(28_800, 151, 20, 64 << 20),
        );
        assert_eq!(v.status, "ruled-out");
        assert!(
            v.reason.contains("the idle time points at 350 s"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn rails_4031_pool_and_access_denied() {
        let f = facts(300, 151, 20, 64 << 20);
        let (_, v) = verdict(
            "Mysql2::Error::ConnectionError: MySQL server has gone away",
            &f,
        );
        assert_eq!(v.status, "ruled-out");
        assert!(v.reason.contains("2147483"), "{}", v.reason);
        let (_, v) = verdict(
            "ERROR 4031 (HY000): The client was disconnected by the server because of inactivity. See wait_timeout and interactive_timeout for configuring this behavior.",
            &facts(28_800, 151, 20, 64 << 20),
        );
        assert_eq!(v.status, "confirmed");
        let (_, v) = verdict(
            "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00",
            &f,
        );
        assert_eq!(v.status, "confirmed");
        assert!(
            v.reason
                .contains("the limit that was hit is the app's pool"),
            "{}",
            v.reason
        );
        let (_, v) = verdict(
            "ERROR 1045 (28000): Access denied for user 'app'@'10.0.0.5' (using password: YES)",
            &f,
        );
        assert_eq!(v.status, "possible");
        assert!(v.reason.contains("same user name"), "{}", v.reason);
    }

    #[test]
    fn a_2006_after_long_quiet_periods_with_default_wait_timeout() {
        // Timing decides when the text has no idle time: a 9 h quiet gap beats 8 h.
        let text = "2026-11-20 00:00:00,000 INFO start\n2026-11-20 09:00:00,000 ERROR MySQL server has gone away";
        let (_, v) = verdict(text, &facts(28_800, 151, 20, 64 << 20));
        assert_eq!(v.status, "confirmed", "{}", v.reason);
        let text = "2026-11-20 00:00:00,000 INFO start\n2026-11-20 00:10:00,000 ERROR MySQL server has gone away";
        let (_, v) = verdict(text, &facts(28_800, 151, 20, 64 << 20));
        assert_eq!(v.status, "possible", "{}", v.reason);
    }
}

mod readings {
    //! Readings issue 14 found wrong: statements in flight, network noise
    //! without database context, and a server's own error log.
    use super::*;

    #[test]
    fn connector_j_equal_packet_times_are_a_statement_in_flight() {
        // alibaba/druid#5835 (MySQL 8.0.26, Druid 1.2.20): "query timeout after about 10 s";
        // both times equal, the statement sent 11,541 ms ago never got its answer.
        let g = only(
            "Error querying database.  Cause: com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure The last packet successfully received from the server was 11,541 milliseconds ago. The last packet sent successfully to the server was 11,541 milliseconds ago.",
        );
        assert_kind(&g, "query-timeout", "connector-j", None);
        assert_eq!(n(&g, "in_flight_s"), json!(11.541));
        assert_eq!(n(&g, "idle_s"), Value::Null);
        assert!(
            g.cause.contains("was in flight all that time"),
            "{}",
            g.cause
        );
        assert!(!g.cause.contains("idle limit"), "{}", g.cause);
        assert!(
            g.not_cause
                .as_deref()
                .unwrap()
                .starts_with("Not an idle connection")
        );
        assert!(
            has(&g.checks, "the client's socketTimeout"),
            "{:#?}",
            g.checks
        );
        assert!(
            has(&g.fix, "socketTimeout above the longest statement"),
            "{:#?}",
            g.fix
        );
        // One millisecond apart (alibaba/druid#6295: 38,307,062 / 38,307,063 after 10 h
        // idle) stays the idle reading.
        let g = only(
            "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure The last packet successfully received from the server was 38,307,062 milliseconds ago. The last packet sent successfully to the server was 38,307,063 milliseconds ago.",
        );
        assert_kind(&g, "communications-link-failure", "connector-j", None);
        assert_eq!(n(&g, "idle_s"), json!(38_307.062));
    }

    #[test]
    fn mysql2_gem_read_timeout_is_a_statement_in_flight() {
        // mysql2 gem ext/mysql2/client.c rb_raise(cMysql2TimeoutError, "Timeout waiting for a
        // response from the last query. (waited %d seconds)"); the message as errbit's spec quotes it.
        let g = only(
            "Mysql2::Error: Timeout waiting for a response from the last query. (waited 15 seconds): UPDATE `some_table` SET `some_value` = 1 WHERE `some_table`.`id` = 1",
        );
        assert_kind(&g, "query-timeout", "rails", None);
        assert_eq!(n(&g, "timeout_s"), json!(15));
        assert!(
            g.cause
                .starts_with("The client waited its read_timeout of 15 s"),
            "{}",
            g.cause
        );
        assert!(
            has(&g.checks, "the client gave up after 15 s"),
            "{:#?}",
            g.checks
        );
        assert!(
            has(&g.checks, "the client's read_timeout"),
            "{:#?}",
            g.checks
        );
    }

    /// HTTP/CDN lines as servers print them: nginx/Kong (Kong/kong#3082,
    /// engintron/engintron#1333), Go's net/http (barnacs/compy#19), Python
    /// requests (psf/requests#6203), Node (nodejs core `read ECONNRESET`).
    const HTTP_NOISE: &[&str] = &[
        "2017/12/11 16:35:02 [error] 59#0: *244286 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 10.250.3.2, server: kong, request: \"GET /api/events/lastEventTime HTTP/1.1\", upstream: \"http://11.211.103.77:9000/api/events/lastEventTime\", host: \"<REDACTED>\"",
        "2021/06/18 14:49:16 [error] 1379645#1379645: *73 peer closed connection in SSL handshake (104: Connection reset by peer) while SSL handshaking to upstream, client: ::ffff:62.210.78.76, server: localhost, request: \"GET / HTTP/1.1\", upstream: \"https://85.10.200.69:8443/\", host: \"agsksa.com\"",
        "2017/06/09 07:50:01 http: TLS handshake error from 41.66.203.167:41837: read tcp 45.62.242.187:3130->41.66.203.167:41837: read: connection reset by peer",
        "[2022-07-21 11:10:41,919] ERROR in resilientsession: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
        "2020/08/27 17:12:58 [error] 14965#0: *20033661 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.7, server: localhost, request: \"POST /upload/log HTTP/1.1\", upstream: \"http://127.0.0.1:9980/upload/log\"",
        "2017/12/11 16:35:03 [error] 59#0: *244287 writev() failed (32: Broken pipe) while sending request to upstream, client: 10.250.3.2, server: kong",
        "Error: read ECONNRESET\n    at TLSWrap.onStreamRead (node:internal/stream_base_commons:217:20)",
    ];

    #[test]
    fn network_errors_without_database_context_are_not_mysql_failures() {
        for line in HTTP_NOISE {
            let r = explain(line);
            assert!(r.matches.is_empty(), "{line}: {:#?}", r.matches);
        }
        // The same noise, 100 times each, around four real errors: only those.
        let real = [
            "2017/12/11 16:40:00 [mysql] 2017/12/11 16:40:00 packets.go:37: unexpected EOF",
            "read tcp 10.0.0.5:51234->10.0.0.9:3306: read: connection reset by peer",
            "pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query ([Errno 104] Connection reset by peer)')",
            "write tcp 10.0.0.5:51234->10.0.0.9:3306: write: broken pipe",
        ];
        let mut log = Vec::new();
        for i in 0..100 {
            for line in HTTP_NOISE {
                log.push(line.to_string());
            }
            if i % 25 == 0 {
                log.push(real[i / 25].to_string());
            }
        }
        let r = explain(&log.join("\n"));
        let ids: Vec<(&str, usize)> = r.matches.iter().map(|g| (g.id.as_str(), g.count)).collect();
        assert_eq!(
            ids,
            [
                ("unexpected-eof", 1),
                ("connection-reset", 1),
                ("lost-connection-during-query", 1),
                ("broken-pipe", 1)
            ],
            "{:#?}",
            r.matches
        );
        // A driver's stack frame under a bare reset is the context (a Node mysql2 stack).
        let g = only(
            "Error: read ECONNRESET\n    at TCP.onStreamRead (node:internal/stream_base_commons:217:20)\n    at Connection.query (/app/node_modules/mysql2/lib/connection.js:120:12)",
        );
        assert_kind(&g, "connection-reset", "node-mysql2", None);
    }

    #[test]
    fn server_logs_quiet_periods_are_not_the_clients_idle_time() {
        // MariaDB's ER_NEW_ABORTING_CONNECTION lines, busy log: the timing must not
        // call an idle timeout unlikely when the server says it timed them out.
        let text = (0..6)
            .map(|i| format!("2026-11-20 03:14:{:02} {i} [Warning] Aborted connection {i} to db: 'shop' user: 'app' host: '10.0.0.5' (Got timeout reading communication packets)", 10 + i))
            .collect::<Vec<_>>()
            .join("\n");
        let g = only(&text);
        let t = g.timing.as_ref().unwrap();
        assert!(!t.pattern.contains("unlikely"), "{}", t.pattern);
        assert!(
            t.pattern.contains("say nothing about how long"),
            "{}",
            t.pattern
        );
        assert!(!g.cause.contains("In this log"), "{}", g.cause);
    }
}

mod server_log_confirm {
    use super::confirm_tests::facts;
    use super::*;

    #[test]
    fn a_logged_wait_timeout_unlike_the_servers_is_not_confirmed() {
        // MY-013730 as MySQL 8.0.24+ writes it, with a session wait_timeout of 2 s.
        let mut r = explain(
            "2026-11-20T03:14:15.123456Z 12 [Note] [MY-013730] [Server] 'wait_timeout' period of 2 seconds was exceeded for `app`@`10.0.0.5`. The idle time since last command was too long.",
        );
        confirm(&mut r, &facts(28_800, 151, 20, 64 << 20));
        let v = &r.server.as_ref().unwrap().verdicts[0];
        assert_eq!(v.status, "possible", "{v:#?}");
        assert!(
            v.reason
                .contains("closed after 2 s idle, but wait_timeout here is 28,800 s"),
            "{}",
            v.reason
        );
        // The fix keeps the log's 2 s limit, not this server's 28,800 s.
        assert!(
            !has(&r.matches[0].checks, "28800"),
            "{:#?}",
            r.matches[0].checks
        );
        // The same number as the server's: confirmed.
        let mut r = explain(
            "2026-11-20T03:14:15.123456Z 12 [Note] [MY-013730] [Server] 'wait_timeout' period of 60 seconds was exceeded for `app`@`10.0.0.5`. The idle time since last command was too long.",
        );
        confirm(&mut r, &facts(60, 151, 20, 64 << 20));
        assert_eq!(r.server.as_ref().unwrap().verdicts[0].status, "confirmed");
    }
}

mod families {
    //! The stacks issue 14 added, each message verbatim from the driver's
    //! source or a public issue thread (named per case): id, layer, and the fix
    //! in that stack's own terms.
    use super::*;

    /// (where the text comes from, text, id, layer, a fix or check line that must appear)
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );

    fn check(cases: &[Case]) {
        for (source, text, id, layer, advice) in cases {
            let r = explain(text);
            assert_eq!(r.matches.len(), 1, "{source}: {:#?}", r.matches);
            let g = &r.matches[0];
            assert_eq!(
                (g.id.as_str(), g.layer.as_str()),
                (*id, *layer),
                "{source}: {g:#?}"
            );
            assert!(
                has(&g.fix, advice) || has(&g.checks, advice) || g.cause.contains(advice),
                "{source}: no '{advice}' in {:#?} / {:#?}",
                g.fix,
                g.checks
            );
        }
    }

    #[test]
    fn dotnet() {
        check(&[
            (
                "MySqlConnector MySqlConnection.cs: \"Connect Timeout expired.\" + \" All pooled connections are in use.\"",
                "MySqlConnector.MySqlException (0x80004005): Connect Timeout expired. All pooled connections are in use.",
                "pool-exhausted",
                "dotnet",
                "dispose every MySqlConnection",
            ),
            (
                "MySql.Data pool timeout (its own test asserts this exact text)",
                "MySql.Data.MySqlClient.MySqlException (0x80004005): error connecting: Timeout expired.  The timeout period elapsed prior to obtaining a connection from the pool.  This may have occurred because all pooled connections were in use and max pool size was reached.",
                "pool-exhausted",
                "dotnet",
                "Maximum Pool Size (default 100)",
            ),
            (
                "MySqlConnector / MySql.Data UnableToConnectToHost (1042)",
                "MySqlConnector.MySqlException (0x80004005): Unable to connect to any of the specified MySQL hosts.",
                "cannot-connect",
                "dotnet",
                "make the server reachable",
            ),
            (
                "MySql.Data MySqlCommand: InvalidOperationException(\"Connection must be valid and open.\")",
                "System.InvalidOperationException: Connection must be valid and open.",
                "connection-closed",
                "dotnet",
                "Connection Lifetime=216",
            ),
            (
                ".NET NetworkStream IOException with WSAECONNRESET (10054), as MySql.Data wraps it",
                "MySql.Data.MySqlClient.MySqlException (0x80004005): Reading from the stream has failed. ---> System.IO.IOException: Unable to read data from the transport connection: An existing connection was forcibly closed by the remote host.",
                "connection-reset",
                "dotnet",
                "Connection Idle Timeout=108",
            ),
        ]);
        // Windows 10054 in Python's form (SafeBreach-Labs/CloudMiner#4 quotes the tuple).
        let g = only(
            "pymysql.err.OperationalError: (2013, \"Lost connection to MySQL server during query (ConnectionResetError(10054, 'An existing connection was forcibly closed by the remote host', None, 10054, None))\")",
        );
        assert_eq!(
            (n(&g, "system_error"), n(&g, "closed_by")),
            (json!(10054), json!("reset"))
        );
        // 10060 is the Windows timeout.
        let g = only(
            "MySql.Data.MySqlClient.MySqlException (0x80004005): Unable to connect to any of the specified MySQL hosts. ---> System.Net.Sockets.SocketException (10060): A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond.",
        );
        assert_eq!(n(&g, "closed_by"), json!("timeout"));
    }

    #[test]
    fn node_orms_and_query_builders() {
        check(&[
            (
                "knex lib/client.js: KnexTimeoutError",
                "KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?",
                "pool-exhausted",
                "knex",
                ".transacting(trx)",
            ),
            (
                "sequelize ConnectionAcquireTimeoutError over sequelize-pool's TimeoutError",
                "SequelizeConnectionAcquireTimeoutError: Operation timeout\n    at ConnectionManager._acquire (/app/node_modules/sequelize/lib/pool.js:120)",
                "pool-exhausted",
                "sequelize",
                "{ transaction: t }",
            ),
            (
                "sequelize connection manager: SequelizeConnectionError wrapping mysql2's connect error",
                "SequelizeConnectionError: connect ETIMEDOUT",
                "cannot-connect",
                "sequelize",
                "make the server reachable",
            ),
            (
                "prisma P2024 (the numbers as prisma prints them)",
                "PrismaClientKnownRequestError: Timed out fetching a new connection from the connection pool. More info: http://pris.ly/d/connection-pool (Current connection pool timeout: 10, connection limit: 5)",
                "pool-exhausted",
                "prisma",
                "connection_limit 5 and pool_timeout 10 s here",
            ),
            (
                "prisma P1001 (prisma's own test snapshot)",
                "Error: P1001: Can't reach database server at `db.internal`:`3306`",
                "cannot-connect",
                "prisma",
                "make the server reachable",
            ),
            (
                "prisma user-facing-errors P1017",
                "PrismaClientUnknownRequestError: Server has closed the connection.",
                "server-closed-connection",
                "prisma",
                "max_idle_connection_lifetime=216",
            ),
            (
                "node-mysql2 lib/connection.js _addCommandClosedState",
                "Error: Can't add new command when connection is in closed state",
                "connection-closed",
                "node-mysql2",
                "idleTimeout: 216000",
            ),
            (
                "TypeORM's QueryFailedError over mysql2's PROTOCOL_CONNECTION_LOST",
                "QueryFailedError: Connection lost: The server closed the connection.",
                "connection-lost",
                "typeorm",
                "extra: { connectionLimit: 10, maxIdle: 5, idleTimeout: 216000",
            ),
        ]);
        let g = only(
            "PrismaClientKnownRequestError: Timed out fetching a new connection from the connection pool. More info: http://pris.ly/d/connection-pool (Current connection pool timeout: 10, connection limit: 5)",
        );
        assert_eq!(
            (n(&g, "timeout_s"), n(&g, "connection_limit")),
            (json!(10), json!(5))
        );
    }

    #[test]
    fn php_laravel_doctrine() {
        check(&[
            (
                "php-src mysqlnd: \"Error while sending %s packet. PID=%d\" (the phpt expectations)",
                "PHP Warning:  PDOStatement::execute(): Error while sending QUERY packet. PID=23661 in /var/www/app/Db.php on line 42",
                "server-gone-away",
                "php",
                "reconnect (a new PDO or mysqli)",
            ),
            (
                "Laravel QueryException over PDO's 2006 (DetectsLostConnections: 'server has gone away')",
                "[2024-05-02 03:14:15] production.ERROR: SQLSTATE[HY000]: General error: 2006 MySQL server has gone away (SQL: select * from `jobs` limit 1) {\"exception\":\"[object] (Illuminate\\\\Database\\\\QueryException(code: HY000)",
                "server-gone-away",
                "laravel",
                "php artisan queue:work --max-time=216",
            ),
            (
                "doctrine/dbal ConnectionLost for 2006",
                "Doctrine\\DBAL\\Exception\\ConnectionLost: An exception occurred while executing a query: SQLSTATE[HY000]: General error: 2006 MySQL server has gone away",
                "server-gone-away",
                "doctrine",
                "messenger:consume --time-limit=216",
            ),
        ]);
        let g = only(
            "[2024-05-02 03:14:15] production.ERROR: SQLSTATE[HY000]: General error: 2006 MySQL server has gone away (SQL: select * from `jobs` limit 1) {\"exception\":\"[object] (Illuminate\\\\Database\\\\QueryException(code: HY000)",
        );
        assert!(has(&g.fix, "php artisan queue:restart"), "{:#?}", g.fix);
        assert!(!has(&g.fix, "pool_recycle"), "{:#?}", g.fix);
    }

    #[test]
    fn ruby() {
        check(&[
            (
                "trilogy-libraries/trilogy#128: Trilogy::EOFError",
                "Trilogy::EOFError: trilogy_query_recv: TRILOGY_CLOSED_CONNECTION",
                "server-closed-connection",
                "trilogy",
                "open a new client",
            ),
            (
                "trilogy-libraries/trilogy#183",
                "Trilogy::SSLError: trilogy_query_recv: SSL Error: unexpected eof while reading",
                "server-closed-connection",
                "trilogy",
                "read_timeout: 30",
            ),
            (
                "Rails with the trilogy adapter at connect (the error-tracker spec quoting it)",
                "ActiveRecord::ConnectionNotEstablished: trilogy_connect - unable to connect to db:25060: TRILOGY_CLOSED_CONNECTION",
                "cannot-connect",
                "rails",
                "make the server reachable",
            ),
        ]);
    }

    #[test]
    fn python_async_and_the_tuple_form() {
        check(&[
            (
                "aiomysql connection.py raises PyMySQL's errors",
                "aiomysql: pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query')",
                "lost-connection-during-query",
                "aiomysql",
                "aiomysql.create_pool(..., pool_recycle=216)",
            ),
            (
                "asyncmy errors.pyx OperationalError",
                "asyncmy.errors.OperationalError: (2006, 'MySQL server has gone away')",
                "server-gone-away",
                "asyncmy",
                "asyncmy.create_pool(..., pool_recycle=216)",
            ),
            (
                "SQLAlchemy's asyncio engine over asyncmy",
                "sqlalchemy.exc.OperationalError: (asyncmy.errors.OperationalError) (2013, 'Lost connection to MySQL server during query')",
                "lost-connection-during-query",
                "sqlalchemy",
                "pool_pre_ping=True",
            ),
            (
                "the bare Python tuple PyMySQL/mysqlclient errors print",
                "(2013, 'Lost connection to MySQL server during query')",
                "lost-connection-during-query",
                "python",
                "read_timeout=30, write_timeout=30",
            ),
        ]);
    }

    #[test]
    fn failover_and_topology() {
        check(&[
            (
                "MySQL ER_OPTION_PREVENTS_STATEMENT as go-sql-driver prints it (go test quoting it)",
                "Error 1290 (HY000): The MySQL server is running with the --read-only option so it cannot execute this statement",
                "read-only-after-failover",
                "go-sql-driver",
                "writer (cluster) endpoint",
            ),
            (
                "MySQL ER_HOST_IS_BLOCKED through PDO (quoted in a public log)",
                "PDOException: SQLSTATE[HY000] [1129] Host 'p3nlhg240.shr.prod.phx3.secureserver.net' is blocked because of many connection errors; unblock with 'mysqladmin flush-hosts'",
                "host-blocked",
                "php",
                "FLUSH HOSTS",
            ),
            (
                "ER_USER_LIMIT_REACHED through node mysql (balderdashy/sails#1083)",
                "{ [Error: ER_USER_LIMIT_REACHED: User '###' has exceeded the 'max_user_connections' resource (current value: 15)] code: 'ER_USER_LIMIT_REACHED', fatal: true }",
                "max-user-connections",
                "node-mysql2",
                "max_user_connections",
            ),
            (
                "ER_TOO_MANY_USER_CONNECTIONS, old wording (flourishlib/flourish-classes#161)",
                "mysqli_connect(): (42000/1203): User newhind_test has already more than 'max_user_connections' active connections",
                "max-user-connections",
                "php",
                "max_user_connections",
            ),
        ]);
        // The quote variants users paste: none around the user, escaped, or none at all.
        for text in [
            "SQLSTATE[HY000] [1203] User already has more than 'max_user_connections' active connections",
            "Error 1226: User 'exporter' has exceeded the 'max_user_connections' resource (current value: 10)",
            "\"message\": \"User \\'app\\' has exceeded the \\'max_user_connections\\' resource (current value: 3)\"",
        ] {
            let g = only(text);
            assert_eq!(g.id, "max-user-connections", "{text}");
        }
        let g = only(
            "Error 1226: User 'exporter' has exceeded the 'max_user_connections' resource (current value: 10)",
        );
        assert_eq!(
            (
                n(&g, "user"),
                n(&g, "max_user_connections"),
                n(&g, "error_code")
            ),
            (json!("exporter"), json!(10), json!(1226))
        );
    }

    #[test]
    fn shared_connections() {
        check(&[
            (
                "PyMySQL connections.py _read_packet (the threading write-up quoting it)",
                "pymysql.err.InternalError: Packet sequence number wrong - got 0 expected 1",
                "shared-connection",
                "pymysql",
                "engine.dispose(close=False)",
            ),
            (
                "libmysqlclient CR_COMMANDS_OUT_OF_SYNC (2014) through mysqlclient",
                "MySQLdb.ProgrammingError: (2014, \"Commands out of sync; you can't run this command now\")",
                "shared-connection",
                "mysqlclient",
                "one connection per thread or coroutine",
            ),
        ]);
        let g = only("#2014 - Commands out of sync; you can't run this command now");
        assert_eq!(n(&g, "error_code"), json!(2014));
        assert!(
            g.not_cause
                .as_deref()
                .unwrap()
                .starts_with("Not an idle timeout")
        );
    }

    #[test]
    fn java_pools() {
        check(&[
            (
                "commons-dbcp2 PoolingDataSource.getConnection",
                "java.sql.SQLException: Cannot get a connection, pool error Timeout waiting for idle object, borrowMaxWaitDuration=PT10S",
                "pool-exhausted",
                "dbcp",
                "removeAbandonedOnBorrow=true",
            ),
            (
                "c3p0 ThreadPoolAsynchronousRunner$DeadlockDetector",
                "WARN  com.mchange.v2.async.ThreadPoolAsynchronousRunner  - com.mchange.v2.async.ThreadPoolAsynchronousRunner$DeadlockDetector@15a4ecd -- APPARENT DEADLOCK!!! Creating emergency threads for unassigned pending tasks!",
                "pool-helper-deadlock",
                "c3p0",
                "maxStatements=0",
            ),
            (
                "alibaba/druid DruidDataSource.getConnectionInternal",
                "Caused by: com.alibaba.druid.pool.GetConnectionTimeoutException: wait millis 60009, active 50, maxActive 50, creating 0",
                "pool-exhausted",
                "druid",
                "maxActive 50 here",
            ),
            (
                "HikariCP ProxyLeakTask.run",
                "2026-01-18 14:20:30.456 WARN 12345 --- [HikariPool-1 housekeeper] com.zaxxer.hikari.pool.ProxyLeakTask : Connection leak detection triggered for com.mysql.cj.jdbc.ConnectionImpl@7a5d012c on thread http-nio-8081-exec-23, stack trace follows\njava.lang.Exception: Apparent connection leak detected",
                "connection-leak",
                "hikaricp",
                "leakDetectionThreshold=60000",
            ),
            (
                "javax.net.ssl.SSLHandshakeException as Connector/J wraps it",
                "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure\nCaused by: javax.net.ssl.SSLHandshakeException: No appropriate protocol (protocol is disabled or cipher suites are inappropriate)",
                "tls-handshake-failed",
                "connector-j",
                "tlsVersions=TLSv1.2,TLSv1.3",
            ),
        ]);
        let g = only(
            "Caused by: com.alibaba.druid.pool.GetConnectionTimeoutException: wait millis 60009, active 50, maxActive 50, creating 0",
        );
        assert_eq!(
            (
                n(&g, "timeout_ms"),
                n(&g, "pool_active"),
                n(&g, "pool_max_active")
            ),
            (json!(60009), json!(50), json!(50))
        );
        // An HTTP client's handshake failure is no database's.
        assert!(
            explain("javax.net.ssl.SSLHandshakeException: PKIX path building failed")
                .matches
                .is_empty()
        );
    }

    #[test]
    fn go_connect_failures_and_1040() {
        check(&[
            (
                "Go net.DNSError through go-sql-driver",
                "[mysql] 2024/03/01 10:00:00 connector.go:95: dial tcp: lookup mysql on 127.0.0.11:53: no such host",
                "cannot-connect",
                "go-sql-driver",
                "No such host",
            ),
            (
                "Go net.OpError EHOSTUNREACH",
                "dial tcp 10.0.0.9:3306: connect: no route to host",
                "cannot-connect",
                "go-sql-driver",
                "No route to host",
            ),
            (
                "Go EADDRNOTAVAIL (TiDB tools' comment quotes it)",
                "dial tcp 10.26.2.1:3306: connect: cannot assign requested address",
                "local-ports-exhausted",
                "go-sql-driver",
                "SetMaxIdleConns(n) equal to db.SetMaxOpenConns(n)",
            ),
            (
                "go-sql-driver MySQLError.Error(): \"Error %d: %s\"",
                "Error 1040: Too many connections",
                "too-many-connections",
                "go-sql-driver",
                "db.SetMaxOpenConns(<n>)",
            ),
            (
                "sqlx PoolOptions::connect -> Error::PoolTimedOut, under the app's expect()",
                "thread 'main' panicked at src/main.rs:20:10: Failed to create pool: PoolTimedOut",
                "cannot-connect",
                "sqlx",
                "not that the pool was busy",
            ),
        ]);
    }
}
