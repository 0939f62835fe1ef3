//! SQLAlchemy: `create_engine(...)` with pool_recycle, pre-ping, QueuePool
//! sizing and the PyMySQL/mysqlclient timeouts; also the engine options and
//! `--check` reading that Flask-SQLAlchemy reuses.

use super::common::{Hang, Note, Out, and, footer, header, keepalive_useless, pool_lines, pool_numbers, timeout_reason};
use super::parse::{self, Bare, Given};
use crate::recommend::model::{Current, Recommendation};
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec};
#[cfg(test)]
use super::tests::Samples;
use crate::drivers;
use serde_json::Value;

/// `create_engine` keyword arguments, then the `connect_args` keys (the
/// driver's own names; PyMySQL and mysqlclient share them).
pub(super) const KEYS: &[&str] = &[
    "pool_recycle",
    "pool_pre_ping",
    "pool_size",
    "max_overflow",
    "pool_timeout",
    "connect_timeout",
    "read_timeout",
    "write_timeout",
];

/// SQLAlchemy's own pool_recycle default, as the snippet states it.
pub(super) const RECYCLE_DEFAULT: &str = "default -1: never";

/// The rules' notes for SQLAlchemy (Flask-SQLAlchemy shares the first).
pub(super) const FORK_NOTE: &str = "create the engine once per process; with gunicorn --preload or uWSGI, dispose of it in each worker after fork (engine.dispose(close=False)) so workers never share sockets";
const SESSION_NOTE: &str = "use one session per request and remove it at teardown (scoped_session.remove()); never keep a session open across idle periods";

/// Users paste `connect_args.read_timeout` as often as `read_timeout`.
pub(super) const PREFIXES: &[&str] = &["connect_args."];

/// One engine option: its key, its Python literal, the same as data, why.
pub(super) struct PyOpt {
    pub(super) key: &'static str,
    pub(super) literal: String,
    pub(super) value: Value,
    pub(super) reason: String,
    /// Goes into `connect_args` (the DBAPI driver) rather than the pool.
    pub(super) connect_arg: bool,
}

fn opt(key: &'static str, n: u64, reason: String, connect_arg: bool) -> PyOpt {
    PyOpt {
        key,
        literal: n.to_string(),
        value: Value::from(n),
        reason,
        connect_arg,
    }
}

/// The engine options for `rec`, in the order they are printed. Pool sizes
/// are left out when the budget cannot hold the topology.
///
/// `recycle_default` is what pool_recycle is when the app does not set it
/// (SQLAlchemy's -1, or what Flask-SQLAlchemy sets).
pub(super) fn engine_options(rec: &Recommendation, recycle_default: &str) -> Vec<PyOpt> {
    let mut opts = vec![
        opt(
            "pool_recycle",
            rec.recycle_s,
            and(
                rec.reasons.recycle.clone(),
                &format!(
                    "SQLAlchemy replaces a connection older than this at checkout ({recycle_default})"
                ),
            ),
            false,
        ),
        PyOpt {
            key: "pool_pre_ping",
            literal: if rec.pre_ping { "True" } else { "False" }.to_string(),
            value: Value::from(rec.pre_ping),
            reason: and(
                rec.reasons.pre_ping.clone(),
                "default off; it cannot save a connection that dies mid-transaction",
            ),
            connect_arg: false,
        },
    ];
    if let Some(pool) = pool_numbers(rec) {
 let (size, overflow) = (pool.size, pool.overflow);
        opts.push(opt(
            "pool_size",
            size,
            and(
                pool.reasons.pool_size.clone(),
                "per process (default 5)",
            ),
            false,
        ));
        opts.push(opt(
            "max_overflow",
            overflow,
            and(
                pool.reasons.max_overflow.clone(),
                "closed again when returned (default 10)",
            ),
            false,
        ));
    }
    opts.push(opt(
        "pool_timeout",
        rec.checkout_timeout_s,
        and(
            rec.reasons.checkout_timeout.clone(),
            "seconds before QueuePool gives up (default 30)",
        ),
        false,
    ));
    opts.push(opt(
        "connect_timeout",
        rec.connect_timeout_s,
        and(
            rec.reasons.connect_timeout.clone(),
            "seconds (PyMySQL default 10)",
        ),
        true,
    ));
    opts.push(opt(
        "read_timeout",
        rec.read_timeout_s,
        and(
            timeout_reason(rec, &rec.reasons.read_timeout, Hang::PrePing),
            "default None: no timeout",
        ),
        true,
    ));
    opts.push(opt(
        "write_timeout",
        rec.write_timeout_s,
        and(
            timeout_reason(rec, &rec.reasons.write_timeout, Hang::PrePing),
            "default None: no timeout",
        ),
        true,
    ));
    opts
}

/// PyMySQL/mysqlclient cannot set TCP keepalive; say so, and what to do: the
/// host-wide sysctl, saying what else it changes, or nothing when keepalive
/// cannot reset this limit.
/// `cannot` is the sentence's subject and verb, e.g. "mysqlclient cannot set it".
pub(super) fn keepalive_note(rec: &Recommendation, cannot: &str) -> String {
    if keepalive_useless(rec) {
        return format!(
            "TCP keepalive: {cannot}, and it is not needed: {}",
            rec.reasons.keepalive
        );
    }
    let value = rec.keepalive_idle_s;
    let sysctl = format!("sysctl -w net.ipv4.tcp_keepalive_time={value}");
    let affects = if value < 30 {
        format!(
            "host-wide (per network namespace): every socket there that turns keepalive on without its own timing then \
             probes after {value} s idle, frequent traffic below 30 s - prefer a container or namespace of its own for the app"
        )
    } else {
        "host-wide (per network namespace): it applies to every socket there that turns keepalive on without its own timing"
            .to_string()
    };
    if rec.silent_drop {
        format!(
            "TCP keepalive (essential on this path): {cannot}; lower the host's keepalive time below the limit instead - on Linux: {sysctl}, {affects}"
        )
    } else {
        format!(
            "TCP keepalive: {cannot}. Optional here (this path does not drop connections silently); on Linux: {sysctl}, {affects}"
        )
    }
}

/// create_engine()'s options and connect_args, as keyword arguments or (for
/// Flask's SQLALCHEMY_ENGINE_OPTIONS) as dict entries.
pub(super) fn write_engine_options(
    out: &mut Out,
    rec: &Recommendation,
    as_dict: bool,
    recycle_default: &str,
) {
    let opts = engine_options(rec, recycle_default);
    let mut pool_note = pool_numbers(rec).is_none();
    for o in opts.iter().filter(|o| !o.connect_arg) {
        if pool_note && o.key == "pool_timeout" {
            out.no_pool_numbers("    ", rec);
            pool_note = false;
        }
        let line = if as_dict {
            format!("    \"{}\": {},", o.key, o.literal)
        } else {
            format!("    {}={},", o.key, o.literal)
        };
        out.set("    ", &o.reason, line, o.key, o.value.clone());
    }
    out.code(if as_dict {
        "    \"connect_args\": {"
    } else {
        "    connect_args={"
    });
    for o in opts.iter().filter(|o| o.connect_arg) {
        out.set(
            "        ",
            &o.reason,
            format!("        \"{}\": {},", o.key, o.literal),
            o.key,
            o.value.clone(),
        );
    }
    out.code("    },");
}

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let topology = &app.topology;
    let mut out = Out::new(app, Framework::Sqlalchemy);
    header(&mut out, rec, pool_lines(rec, topology, Framework::Sqlalchemy));
    out.code("from sqlalchemy import create_engine");
    out.blank();
    out.code("engine = create_engine(");
    out.code("    DATABASE_URL,  # mysql+pymysql://... or mysql+mysqldb://...");
    write_engine_options(&mut out, rec, false, RECYCLE_DEFAULT);
    out.code(")");
    let notes: Vec<Note> = vec![
        ("", keepalive_note(
            rec,
            "neither PyMySQL (which does turn SO_KEEPALIVE on) nor mysqlclient can set it",
        )),
        ("dispose(", "Forking servers (gunicorn --preload, uWSGI without lazy-apps): call engine.dispose(close=False) in each worker after fork (gunicorn post_fork, uWSGI postfork; SQLAlchemy 1.4.33+) so workers never share the parent's pooled sockets.".to_string()),
        ("scoped_session", "Use one Session per request and remove it at teardown (scoped_session.remove()): a Session held open across idle periods keeps its connection checked out, where pool_recycle and pre-ping cannot reach it.".to_string()),
    ];
    footer(&mut out, rec, &notes);
    out.finish()
}

/// Framework defaults that differ between plain SQLAlchemy and
/// Flask-SQLAlchemy (which sets some engine options itself).
pub(super) struct Defaults {
    pub(super) recycle_s: Option<f64>,
    pub(super) pool_size: u64,
}

pub(super) const SQLALCHEMY_DEFAULTS: Defaults = Defaults {
    recycle_s: None,
    pool_size: 5,
};

/// SQLAlchemy's QueuePool defaults besides pool_size.
const MAX_OVERFLOW: i64 = 10;

/// Reads the engine options through `get`, which returns the value and the
/// key name the user gave (for error messages).
pub(super) fn current_with<'a>(
    get: &dyn Fn(&'static str) -> Option<(&'static str, &'a str)>,
    defaults: Defaults,
) -> Result<Current, String> {
    let recycle_s = match get("pool_recycle") {
        None => defaults.recycle_s,
        Some((_, v)) if parse::is_none_word(v) => None,
        // SQLAlchemy recycles only when pool_recycle > -1; -1 is "never".
        Some((k, v)) => {
            let s = parse::duration(k, v, Bare::Seconds)?;
            (s >= 0.0).then_some(s)
        }
    };
    let pre_ping = match get("pool_pre_ping") {
        None => false,
        Some((k, v)) => parse::boolean(k, v)?,
    };
    let pool_size = match get("pool_size") {
        None => defaults.pool_size,
        Some((k, v)) => parse::count(k, v)?,
    };
    let max_overflow = match get("max_overflow") {
        None => MAX_OVERFLOW,
        Some((k, v)) => parse::integer(k, v)?,
    };
    if let Some((k, v)) = get("pool_timeout") {
        parse::non_negative(k, v, Bare::Seconds)?;
    }
    for key in ["connect_timeout", "write_timeout"] {
        if let Some((k, v)) = get(key) {
            parse::optional_secs(k, v)?;
        }
    }
    let read_timeout_s = match get("read_timeout") {
        None => None,
        Some((k, v)) => parse::optional_secs(k, v)?,
    };
    // QueuePool: pool_size 0 means no limit, max_overflow -1 no overflow limit.
    let max_per_process = if pool_size == 0 || max_overflow < 0 {
        None
    } else {
        Some(pool_size + max_overflow.unsigned_abs())
    };
    Ok(Current {
        recycle_s,
        idle_timeout_s: None,
        pre_ping,
        read_timeout_s,
        max_per_process,
    })
}

pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(Framework::Sqlalchemy, pairs, KEYS, PREFIXES)?;
    current_with(&|k| lookup(&given, k), SQLALCHEMY_DEFAULTS)
}

pub(super) fn lookup<'a>(given: &Given<'a>, key: &'static str) -> Option<(&'static str, &'a str)> {
    given.get(key).map(|v| (key, v))
}

/// What `poolcheck explain` tells sqlalchemy users.
pub(super) const ADVICE: Advice = Advice {
    layers: &["sqlalchemy"],
    lifetime: "pool_recycle",
    idle_check: "pool_recycle=<current>,pool_pre_ping=<current>",
    pool_check: "pool_size=${pool_size|<current>},max_overflow=${max_overflow|<current>},pool_timeout=${timeout_s|<current>}",
    idle_fix: &[
                    "create_engine(url, pool_recycle=${recycle}, pool_pre_ping=True): connections are replaced before ${limit_desc}, and one that died anyway is replaced at checkout instead of failing the request",
                    "Flask-SQLAlchemy: app.config[\"SQLALCHEMY_ENGINE_OPTIONS\"] = {\"pool_recycle\": ${recycle}, \"pool_pre_ping\": True} (3.x otherwise sets pool_recycle=7200 for MySQL)",
                    "connect_args={\"read_timeout\": 30, \"write_timeout\": 30} (PyMySQL, mysqlclient): a connection dropped silently fails in 30 s instead of hanging",
                    "close the Session after every request or job (scoped_session.remove() at teardown; Flask-SQLAlchemy does it per request): a Session held across idle periods keeps its connection checked out, out of reach of pool_recycle and pre-ping",
                ],
    pool_fix: &[
                    "return connections: one Session per request or job, closed at its end (with Session() as session: ..., or scoped_session.remove() at teardown); a forgotten Session holds its connection until garbage collection",
                    "size per process: pool_size + max_overflow at least the threads (or greenlets) of one process that use the database$[ (now ${pool_size} + ${max_overflow})]$, and the sum over all processes within max_connections",
                    "pool_timeout below the request timeout$[ (now ${timeout_s} s)]$, so a saturated pool fails requests fast instead of queueing them",
                    "keep slow work (HTTP calls, file I/O) outside the session's transaction so connections come back quickly",
                ],
    capacity_fix: &[
                    "create_engine(url, pool_size=<n>, max_overflow=<m>): lower them per process so instances x processes x (pool_size + max_overflow) fits max_connections",
                ],
    packet_fix: &[
                    "PyMySQL's own client limit is ${pymysql_packet}: connect_args={\"max_allowed_packet\": ${packet_hint_bytes}}",
                ],
    pool_checks: &[
                "create_engine(..., echo_pool=\"debug\") logs every checkout and checkin: a checkout without a checkin is a Session or Connection never closed",
            ],
};

pub(super) const SPEC: Spec = Spec {
    name: "sqlalchemy",
    aliases: &[],
    language: "python",
    comment: "#",
    check_keys: KEYS,
    check_units: "seconds; pool_recycle=-1 or None means never; read/write timeouts None means none",
    check_names: CheckKeys {
        recycle: "pool_recycle",
        pre_ping: "pool_pre_ping",
        read_timeout: "read_timeout",
    },
    notes: &[FORK_NOTE, SESSION_NOTE],
    driver: Some(&drivers::PYMYSQL),
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: Some(15),
        text: "pool_size=5 + max_overflow=10",
        sizing: "pool_size at least the threads per process that use the database, max_overflow for bursts",
    },
    release: "SQLAlchemy",
    claims: "SQLAlchemy 1.4 and 2.x, with PyMySQL or mysqlclient",
    since: &[],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "pool_recycle=270,",
            "pool_pre_ping=True,",
            "pool_size=8,",
            "max_overflow=4,",
            "pool_timeout=10,",
            "\"connect_timeout\": 10,",
            "\"read_timeout\": 30,",
            "\"write_timeout\": 30,",
            "2 x 4 x (8 + 4) = 96 connections, within the budget of 141",
            "net.ipv4.tcp_keepalive_time=60",
            "dispose(close=False)",
        ],
        pool_code: &["pool_size=", "max_overflow="],
        pre_ping: true,
        read_timeout: true,
    },
};
