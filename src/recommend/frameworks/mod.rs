//! Per-framework output of `poolcheck recommend`: each framework's own
//! configuration for a [`Recommendation`], and `--check KEY=VALUE` parsing in
//! that framework's own key names. One module per framework; this one only
//! dispatches.

mod common;
mod django;
mod flask;
mod generic;
mod go;
mod hikaricp;
mod node;
mod parse;
mod rails;
mod sqlalchemy;
mod sqlx;

#[cfg(test)]
mod tests;

use crate::recommend::model::{Current, Framework, FrameworkConfig, Recommendation, Topology};

/// The framework's own configuration for `rec`, ready to paste, each number
/// with a one-line reason (as a comment in the snippet and in
/// `settings[].reason`). Pool sizes are left out when the connection budget
/// cannot hold the topology; the snippet then lists the options instead.
pub fn render(framework: Framework, rec: &Recommendation, topology: &Topology) -> FrameworkConfig {
    match framework {
        Framework::Sqlalchemy => sqlalchemy::render(rec, topology),
        Framework::FlaskSqlalchemy => flask::render(rec, topology),
        Framework::Django => django::render(rec, topology),
        Framework::Go => go::render(rec, topology),
        Framework::Hikaricp => hikaricp::render(rec, topology),
        Framework::Rails => rails::render(rec, topology),
        Framework::NodeMysql2 => node::render(rec, topology),
        Framework::Sqlx => sqlx::render(rec, topology),
        Framework::Generic => generic::render(rec, topology),
    }
}

/// `--check` pairs in the framework's own key names -> framework-neutral
/// [`Current`]. Keys not given take the framework's default (e.g.
/// SQLAlchemy: pool_recycle=-1 i.e. never, pool_pre_ping=False, pool_size=5,
/// max_overflow=10). Keys match ignoring case, `_` and `-`.
///
/// Err(message) on an unknown key (the message lists the accepted keys), a
/// key given twice, or a bad value (the message names the key and echoes at
/// most 40 characters of the value).
pub fn current_from_check(
    framework: Framework,
    pairs: &[(String, String)],
) -> Result<Current, String> {
    match framework {
        Framework::Sqlalchemy => sqlalchemy::current(pairs),
        Framework::FlaskSqlalchemy => flask::current(pairs),
        Framework::Django => django::current(pairs),
        Framework::Go => go::current(pairs),
        Framework::Hikaricp => hikaricp::current(pairs),
        Framework::Rails => rails::current(pairs),
        Framework::NodeMysql2 => node::current(pairs),
        Framework::Sqlx => sqlx::current(pairs),
        Framework::Generic => generic::current(pairs),
    }
}

/// Accepted `--check` keys per framework. Units and "never" spellings:
///
/// - sqlalchemy: `create_engine` arguments and `connect_args` keys; seconds;
///   pool_recycle -1 or None = never; read/write timeouts None or 0 = none;
///   pool_size 0 = no limit, max_overflow -1 = no limit.
/// - flask-sqlalchemy: the sqlalchemy keys plus the pre-3.0
///   `SQLALCHEMY_POOL_RECYCLE`, `SQLALCHEMY_POOL_SIZE`,
///   `SQLALCHEMY_MAX_OVERFLOW`, `SQLALCHEMY_POOL_TIMEOUT` (the engine-option
///   keys win when both are given).
/// - django: CONN_MAX_AGE in seconds (None = forever, 0 = per request),
///   CONN_HEALTH_CHECKS, and the mysqlclient OPTIONS timeouts in seconds.
/// - go: `db.Set...` names without `Set` and DSN parameters; Go durations
///   (`3m`, `180s`, `1h`; a bare number other than 0 is rejected), 0 = none;
///   MaxOpenConns 0 = unlimited; checkConnLiveness true/false.
/// - hikaricp: HikariCP and Connector/J properties in milliseconds (or a
///   duration such as `4m30s`); Spring `spring.datasource.hikari.` prefixes
///   and kebab-case accepted.
/// - rails: database.yml keys in seconds; pool or max_connections;
///   idle_timeout 0 = never; max_age/read_timeout none/nil = none.
/// - node-mysql2: createPool options; milliseconds.
/// - sqlx: `MySqlPoolOptions` method names; seconds (or `10m`), None = never.
/// - generic: seconds; 0 or none = never / no timeout.
pub fn check_keys(framework: Framework) -> &'static [&'static str] {
    match framework {
        Framework::Sqlalchemy => sqlalchemy::KEYS,
        Framework::FlaskSqlalchemy => flask::KEYS,
        Framework::Django => django::KEYS,
        Framework::Go => go::KEYS,
        Framework::Hikaricp => hikaricp::KEYS,
        Framework::Rails => rails::KEYS,
        Framework::NodeMysql2 => node::KEYS,
        Framework::Sqlx => sqlx::KEYS,
        Framework::Generic => generic::KEYS,
    }
}

/// One line on the units `--check` values take for `framework`, for `--help`
/// and error hints.
pub fn check_units(framework: Framework) -> &'static str {
    match framework {
        Framework::Sqlalchemy => {
            "seconds; pool_recycle=-1 or None means never; read/write timeouts None means none"
        }
        Framework::FlaskSqlalchemy => {
            "seconds; SQLAlchemy keys or SQLALCHEMY_* config keys; pool_recycle=-1 means never"
        }
        Framework::Django => "seconds; CONN_MAX_AGE=None means forever, 0 closes per request",
        Framework::Go => "Go durations (3m, 180s, 1h); 0 means none or never",
        Framework::Hikaricp => "milliseconds; 0 means none or never",
        Framework::Rails => "seconds; idle_timeout=0 means never",
        Framework::NodeMysql2 => "milliseconds",
        Framework::Sqlx => "seconds (or 10m, 1h); None means never",
        Framework::Generic => "seconds; 0 or none means never or no timeout",
    }
}
