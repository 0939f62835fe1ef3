//! Flask-SQLAlchemy: the same engine options as SQLAlchemy, written as
//! `SQLALCHEMY_ENGINE_OPTIONS` (2.4+ and 3.x), plus the old `SQLALCHEMY_POOL_*`
//! keys for older releases; and `--check` in either spelling.

use super::common::{Note, Out, footer, header, pool_lines};
use super::parse;
use super::sqlalchemy::{self, Defaults, engine_options, keepalive_note};
use crate::recommend::model::{Current, Recommendation};
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec};
#[cfg(test)]
use super::tests::Samples;
use crate::drivers;

/// The engine-option keys first (they win when both are given, as in
/// Flask-SQLAlchemy 2.4+), then the pre-2.4 config keys (removed in 3.0).
pub(super) const KEYS: &[&str] = &[
    "pool_recycle",
    "pool_pre_ping",
    "pool_size",
    "max_overflow",
    "pool_timeout",
    "connect_timeout",
    "read_timeout",
    "write_timeout",
    "SQLALCHEMY_POOL_RECYCLE",
    "SQLALCHEMY_POOL_SIZE",
    "SQLALCHEMY_MAX_OVERFLOW",
    "SQLALCHEMY_POOL_TIMEOUT",
];

/// The rules' notes for Flask-SQLAlchemy, before SQLAlchemy's fork note.
const RECYCLE_NOTE: &str = "Flask-SQLAlchemy 3 sets pool_recycle=7200 by itself for MySQL; set it explicitly below the limit";
const TEARDOWN_NOTE: &str =
    "Flask-SQLAlchemy removes the session at app-context teardown; do not keep sessions in globals";

/// pool_recycle when the app does not set it: Flask-SQLAlchemy 3.x sets 7200
/// for MySQL drivers (extension.py, `options.setdefault("pool_recycle", 7200)`).
const RECYCLE_DEFAULT: &str =
    "default 7200: Flask-SQLAlchemy 3.x sets it for MySQL; SQLAlchemy's own is -1, never";

/// Pre-3.0 config key for an engine option.
fn old_key(key: &str) -> Option<&'static str> {
    match key {
        "pool_recycle" => Some("SQLALCHEMY_POOL_RECYCLE"),
        "pool_size" => Some("SQLALCHEMY_POOL_SIZE"),
        "max_overflow" => Some("SQLALCHEMY_MAX_OVERFLOW"),
        "pool_timeout" => Some("SQLALCHEMY_POOL_TIMEOUT"),
        _ => None,
    }
}

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let topology = &app.topology;
    let mut out = Out::new(app, Framework::FlaskSqlalchemy);
    header(&mut out, rec, pool_lines(rec, topology, Framework::FlaskSqlalchemy));
    out.comment(
        "",
        "Flask config, Flask-SQLAlchemy 2.4+ and 3.x (3.x sets pool_recycle=7200 for MySQL by itself; this overrides it).",
    );
    out.code("SQLALCHEMY_ENGINE_OPTIONS = {");
    sqlalchemy::write_engine_options(&mut out, rec, true, RECYCLE_DEFAULT);
    out.code("}");
    out.blank();
    // The old keys are shown, not recorded as settings: the engine options
    // above are the settings, and these are the same numbers for old apps.
    out.comment(
        "",
        "Flask-SQLAlchemy before 2.4 has no SQLALCHEMY_ENGINE_OPTIONS (and 3.0 removed these keys):",
    );
    for o in engine_options(rec, RECYCLE_DEFAULT).iter() {
        if let Some(old) = old_key(o.key) {
            out.comment("", &format!("{old} = {}", o.literal));
        }
    }
    out.comment(
        "",
        "Those releases cannot set pre-ping or driver timeouts from config; upgrading is the fix.",
    );
    let notes: Vec<Note> = vec![
        ("", keepalive_note(
            rec,
            "neither PyMySQL (which does turn SO_KEEPALIVE on) nor mysqlclient can set it",
        )),
        ("teardown", "Flask-SQLAlchemy removes the session when the app context ends, so sessions are already per request; keep it that way (no session held across idle periods in background threads).".to_string()),
        ("dispose(", "Forking servers (gunicorn --preload, uWSGI without lazy-apps): in each worker after fork, run db.engine.dispose(close=False) inside app.app_context() (SQLAlchemy 1.4.33+) so workers never share the parent's pooled sockets.".to_string()),
    ];
    footer(&mut out, rec, &notes);
    out.finish()
}

/// Flask-SQLAlchemy 3 defaults pool_recycle to 7200 for MySQL drivers; 2.x
/// also set pool_size=10. Old keys given means an old (2.x) release.
pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(
        Framework::FlaskSqlalchemy,
        pairs,
        KEYS,
        sqlalchemy::PREFIXES,
    )?;
    let old_release = given.any(&[
        "SQLALCHEMY_POOL_RECYCLE",
        "SQLALCHEMY_POOL_SIZE",
        "SQLALCHEMY_MAX_OVERFLOW",
        "SQLALCHEMY_POOL_TIMEOUT",
    ]);
    let defaults = Defaults {
        recycle_s: Some(7200.0),
        pool_size: if old_release { 10 } else { 5 },
    };
    let get = |key: &'static str| {
        sqlalchemy::lookup(&given, key)
            .or_else(|| old_key(key).and_then(|old| given.get(old).map(|v| (old, v))))
    };
    sqlalchemy::current_with(&get, defaults)
}

pub(super) const SPEC: Spec = Spec {
    name: "flask-sqlalchemy",
    aliases: &[],
    language: "python",
    comment: "#",
    check_keys: KEYS,
    check_units: "seconds; SQLAlchemy keys or SQLALCHEMY_* config keys; pool_recycle=-1 means never",
    check_names: CheckKeys {
        recycle: "pool_recycle",
        pre_ping: "pool_pre_ping",
        read_timeout: "read_timeout",
    },
    notes: &[RECYCLE_NOTE, TEARDOWN_NOTE, sqlalchemy::FORK_NOTE],
    driver: Some(&drivers::PYMYSQL),
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: Some(15),
        text: "pool_size=5 + max_overflow=10 (3.x; 2.x set pool_size=10)",
        sizing: "pool_size at least the threads per process that use the database, max_overflow for bursts",
    },
    release: "Flask-SQLAlchemy",
    claims: "Flask-SQLAlchemy 2.4+ and 3.x (SQLALCHEMY_ENGINE_OPTIONS); the pre-2.4 keys in comments",
    since: &[],
    unproven: None,
    render,
    read_check: current,
    advice: // No log layer names Flask-SQLAlchemy (its errors come through
    // SQLAlchemy's), and SQLAlchemy's advice covers its config keys.
    Advice {
        layers: &[],
        ..sqlalchemy::ADVICE
    },
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "SQLALCHEMY_ENGINE_OPTIONS = {",
            "\"pool_recycle\": 270,",
            "\"pool_pre_ping\": True,",
            "\"pool_size\": 8,",
            "\"max_overflow\": 4,",
            "\"read_timeout\": 30,",
            "# SQLALCHEMY_POOL_RECYCLE = 270",
            "# SQLALCHEMY_POOL_SIZE = 8",
        ],
        pool_code: &[
            "\"pool_size\":",
            "\"max_overflow\":",
            "SQLALCHEMY_POOL_SIZE =",
        ],
        pre_ping: true,
        read_timeout: true,
    },
};
