//! SQLAlchemy's asyncio engine: `create_async_engine(...)` over asyncmy or
//! aiomysql, with SQLAlchemy's pool options and the drivers' own timeouts;
//! and `--check` in the same names.
//!
//! The drivers differ (read in their source, asyncmy 0.2.18
//! `connection.pyx`, aiomysql 0.3.2 `connection.py`): asyncmy has
//! `connect_timeout` (default 10) and `read_timeout` (default None); aiomysql
//! has `connect_timeout` only (default None: no limit) and rejects
//! `read_timeout`. Neither has a write timeout; both turn SO_KEEPALIVE on
//! without setting its timing.

use super::common::{
    Hang, Note, Out, and, footer, header, no_pool_numbers, pool_lines, pool_numbers, timeout_reason,
};
use super::parse;
use super::sqlalchemy::{self, SQLALCHEMY_DEFAULTS, engine_options, keepalive_note, lookup};
#[cfg(test)]
use super::tests::Samples;
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec};
use crate::recommend::model::{Current, Recommendation};

/// `create_async_engine` keyword arguments, then the `connect_args` keys.
pub(super) const KEYS: &[&str] = &[
    "pool_recycle",
    "pool_pre_ping",
    "pool_size",
    "max_overflow",
    "pool_timeout",
    "connect_timeout",
    "read_timeout",
];

/// The rules' notes for the asyncio engine.
const LOOP_NOTE: &str = "create the AsyncEngine once per process, inside its event loop, and await engine.dispose() at shutdown; an AsyncEngine's connections belong to the loop that opened them";
const SESSION_NOTE: &str = "use one AsyncSession per request (async with async_session() as session: ...); a session held across idle periods keeps its connection checked out, out of reach of pool_recycle and pre-ping";

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let mut out = Out::new(app, Framework::SqlalchemyAsyncio);
    header(
        &mut out,
        rec,
        pool_lines(rec, &app.topology, Framework::SqlalchemyAsyncio),
    );
    out.code("from sqlalchemy.ext.asyncio import create_async_engine");
    out.blank();
    out.code("engine = create_async_engine(");
    out.code("    DATABASE_URL,  # mysql+asyncmy://... or mysql+aiomysql://...");
    let opts = engine_options(rec, sqlalchemy::RECYCLE_DEFAULT);
    let mut pool_note = pool_numbers(rec).is_none();
    for o in opts.iter().filter(|o| !o.connect_arg) {
        if pool_note && o.key == "pool_timeout" {
            let none = no_pool_numbers(rec, Framework::SqlalchemyAsyncio);
            out.comment("    ", &none);
            pool_note = false;
        }
        let line = format!("    {}={},", o.key, o.literal);
        out.set("    ", &o.reason, line, o.key, o.value.clone());
    }
    out.code("    connect_args={");
    out.set(
        "        ",
        &and(
            rec.reasons.connect_timeout.clone(),
            "seconds (asyncmy default 10; aiomysql default None: no limit)",
        ),
        format!("        \"connect_timeout\": {},", rec.connect_timeout_s),
        "connect_timeout",
        rec.connect_timeout_s,
    );
    out.set(
        "        ",
        &and(
            timeout_reason(rec, &rec.reasons.read_timeout, Hang::PrePing),
            "asyncmy only (default None: no timeout); aiomysql has none and rejects it - delete this line there and bound each request with asyncio.timeout() instead",
        ),
        format!("        \"read_timeout\": {},", rec.read_timeout_s),
        "read_timeout",
        rec.read_timeout_s,
    );
    out.code("    },");
    out.code(")");
    let notes: Vec<Note> = vec![
        (
            "",
            keepalive_note(
                rec,
                "neither asyncmy nor aiomysql can set its timing (both turn SO_KEEPALIVE on)",
            ),
        ),
        (
            "",
            format!(
                "No write timeout in either driver; with aiomysql no read timeout either: bound each request (async with asyncio.timeout({}): ..., Python 3.11+), and prefer asyncmy on a path that drops connections silently.",
                rec.read_timeout_s
            ),
        ),
    ];
    footer(&mut out, rec, &notes);
    out.finish()
}

pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(
        Framework::SqlalchemyAsyncio,
        pairs,
        KEYS,
        sqlalchemy::PREFIXES,
    )?;
    // AsyncAdaptedQueuePool has QueuePool's defaults.
    sqlalchemy::current_with(&|k| lookup(&given, k), SQLALCHEMY_DEFAULTS)
}

/// What `poolcheck explain` tells users of the asyncio drivers (raw or under
/// SQLAlchemy's asyncio engine).
pub(super) const ADVICE: Advice = Advice {
    layers: &["aiomysql", "asyncmy"],
    lifetime: "pool_recycle",
    idle_check: "pool_recycle=<current>,pool_pre_ping=<current>,read_timeout=<current>",
    pool_check: "pool_size=<current>,max_overflow=<current>,pool_timeout=<current>",
    idle_fix: &[
        "aiomysql.create_pool(..., pool_recycle=${recycle}) or asyncmy.create_pool(..., pool_recycle=${recycle}): below ${limit_desc} (the default -1 never recycles)",
        "with SQLAlchemy's asyncio engine: create_async_engine(url, pool_recycle=${recycle}, pool_pre_ping=True, connect_args={\"read_timeout\": 30}) (read_timeout is asyncmy's; aiomysql has none: bound each request with asyncio.timeout(30))",
    ],
    pool_fix: &[
        "maxsize (default 10) for the coroutines that query at once, and release every connection (async with pool.acquire() as conn); under SQLAlchemy pool_size + max_overflow (default 5 + 10), one AsyncSession per request",
    ],
    capacity_fix: &[],
    packet_fix: &[],
    pool_checks: &[],
};

pub(super) const SPEC: Spec = Spec {
    name: "sqlalchemy-asyncio",
    aliases: &["aiomysql", "asyncmy"],
    language: "python",
    comment: "#",
    check_keys: KEYS,
    check_units: "seconds; pool_recycle=-1 or None means never; read_timeout None means none",
    check_names: CheckKeys {
        recycle: "pool_recycle",
        pre_ping: "pool_pre_ping",
        read_timeout: "read_timeout",
    },
    notes: &[LOOP_NOTE, SESSION_NOTE],
    driver: None,
    own_wait_timeout: None,
    // AsyncAdaptedQueuePool has QueuePool's defaults.
    default_pool: DefaultPool {
        connections: Some(15),
        text: "pool_size=5 + max_overflow=10",
        sizing: "pool_size + max_overflow at least the coroutines per process that use the database at once",
    },
    release: "SQLAlchemy",
    claims: "SQLAlchemy 2.x asyncio with asyncmy 0.2 or aiomysql 0.2-0.3",
    since: &[],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "create_async_engine(",
            "pool_recycle=270,",
            "pool_pre_ping=True,",
            "pool_size=8,",
            "max_overflow=4,",
            "pool_timeout=10,",
            "\"connect_timeout\": 10,",
            "\"read_timeout\": 30,",
            "asyncio.timeout(30)",
        ],
        pool_code: &["pool_size=", "max_overflow="],
        pre_ping: true,
        read_timeout: true,
    },
};
