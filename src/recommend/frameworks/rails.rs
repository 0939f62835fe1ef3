//! Rails (Active Record, mysql2 adapter): database.yml pool and timeout keys
//! in seconds; and `--check` in database.yml's names.

use super::common::{Out, and, footer, header, limit_s, pool_lines, pool_numbers, secs, untagged};
use super::parse;
use super::sqlalchemy::keepalive_note;
use crate::recommend::model::{Current, LimitSource, Recommendation};
use super::{Advice, CheckKeys, DefaultPool, Deployment, OwnWaitTimeout, Framework, FrameworkConfig, Spec, Version};
#[cfg(test)]
use super::tests::Samples;

pub(super) const KEYS: &[&str] = &[
    "pool",
    "max_connections",
    "checkout_timeout",
    "idle_timeout",
    "reaping_frequency",
    "max_age",
    "connect_timeout",
    "read_timeout",
    "write_timeout",
    "wait_timeout",
];

/// The session wait_timeout Rails' MySQL adapter sets when database.yml
/// has no wait_timeout key (abstract_mysql_adapter.rb).
const RAILS_WAIT_TIMEOUT_S: u64 = 2_147_483;

/// Rails' MySQL adapter sets its own session wait_timeout, so the server's is
/// no limit for it.
fn own_wait_timeout(wait: u64) -> String {
    format!(
        "Rails' MySQL adapter sets SESSION wait_timeout = 2147483 on every connection, so the server's {wait} s \
         wait_timeout does not apply to it (unless database.yml sets its own top-level wait_timeout:); \
         a middlebox still does: measure the path as Rails sees it with poolcheck probe --session-wait-timeout 2147483"
    )
}

/// Older Rails reaped every 60 s; newer ones at most every 20 s.
const MAX_REAPING_S: u64 = 20;

/// The reaper closes idle connections only when it runs, so a connection can
/// sit idle for idle_timeout + reaping_frequency: keep that strictly under the
/// limit (the largest whole number of seconds below the room left, at most
/// 20, at least 1).
fn reaping_frequency(rec: &Recommendation) -> u64 {
    match limit_s(rec) {
        Some(limit) => {
            let room = (limit - rec.recycle_s as f64).ceil() - 1.0;
            (room.max(1.0) as u64).min(MAX_REAPING_S)
        }
        None => MAX_REAPING_S,
    }
}

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let topology = &app.topology;
    let mut out = Out::new(app, Framework::Rails);
    header(&mut out, rec, pool_lines(rec, topology, Framework::Rails));
    out.comment("", "config/database.yml");
    out.code("production:");
    out.code("  adapter: mysql2");
    out.comment("  ", "database, username, password, host as before");
    match pool_numbers(rec) {
        Some(numbers) => {
            let pool = numbers.size + numbers.overflow;
            out.set(
                "  ",
                &and(
                    numbers.total_reason(),
                    "at least your threads per process (default 5; called max_connections in Rails 8.1+, where pool still works)",
                ),
                format!("  pool: {pool}"),
                "pool",
                pool,
            );
        }
        None => out.no_pool_numbers("  ", rec),
    }
    out.set(
        "  ",
        &and(
            rec.reasons.checkout_timeout.clone(),
            "seconds (default 5)",
        ),
        format!("  checkout_timeout: {}", rec.checkout_timeout_s),
        "checkout_timeout",
        rec.checkout_timeout_s,
    );
    out.set(
        "  ",
        &and(
            rec.reasons.recycle.clone(),
            "seconds idle before the reaper closes a connection (default 300)",
        ),
        format!("  idle_timeout: {}", rec.recycle_s),
        "idle_timeout",
        rec.recycle_s,
    );
    let reap = reaping_frequency(rec);
    let reap_reason = match limit_s(rec) {
        Some(limit) if ((rec.recycle_s + reap) as f64) < limit => format!(
            "the reaper closes idle connections only when it runs: idle_timeout + {reap} = {} s stays below the {} s limit (older Rails default 60)",
            rec.recycle_s + reap,
            secs(limit)
        ),
        Some(limit) => format!(
            "the reaper closes idle connections only when it runs: idle_timeout + {reap} = {} s, not below the {} s limit - a limit this short is too short for the reaper (older Rails default 60)",
            rec.recycle_s + reap,
            secs(limit)
        ),
        None => "how often the reaper closes idle connections (older Rails default 60)".to_string(),
    };
    out.set(
        "  ",
        &reap_reason,
        format!("  reaping_frequency: {reap}"),
        "reaping_frequency",
        reap,
    );
    out.set(
        "  ",
        "Rails 8.1+ (older releases do not read it): retire connections older than this too",
        format!("  max_age: {}", rec.recycle_s),
        "max_age",
        rec.recycle_s,
    );
    let driver = super::common::driver_timeouts(rec, "mysql2; default: none");
    for (key, value, why) in driver {
        out.set("  ", &why, format!("  {key}: {value}"), key, value);
    }
    let mut notes = vec![
        "wait_timeout: Rails sets SESSION wait_timeout on every connection to this file's wait_timeout key (2147483 when unset; it overrides variables: { wait_timeout: ... }), so the server's wait_timeout does not reach Rails connections - middleboxes still do, hence idle_timeout.".to_string(),
    ];
    if rec
        .limit
        .as_ref()
        .is_some_and(|l| l.source == LimitSource::SessionWaitTimeout)
    {
        notes.push("The limit above is the server's wait_timeout: Rails raises it for its own connections, so it binds only if you set a smaller wait_timeout key here.".to_string());
    }
    notes.push("Pre-ping is built in: Active Record verifies a connection it checks out (a ping, or in Rails 7.1+ a verify before first use) and reconnects if it is dead.".to_string());
    notes.push(keepalive_note(rec, "the mysql2 gem cannot set it"));
    footer(&mut out, rec, &untagged(notes));
    out.finish()
}

pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(Framework::Rails, pairs, KEYS, &[])?;
    // max_connections is the 8.1 name; pool its alias.
    let pool = match given
        .get("max_connections")
        .map(|v| ("max_connections", v))
        .or_else(|| given.get("pool").map(|v| ("pool", v)))
    {
        None => 5,
        Some((k, v)) => parse::count(k, v)?,
    };
    // idle_timeout 0 keeps idle connections forever; the default is 300.
    let mut idle_timeout_s = match given.get("idle_timeout") {
        None => Some(300.0),
        Some(v) => parse::optional_secs("idle_timeout", v)?,
    };
    // Without a reaper (reaping_frequency 0 or none) nothing enforces it.
    if let Some(v) = given.get("reaping_frequency")
        && parse::optional_secs("reaping_frequency", v)?.is_none()
    {
        idle_timeout_s = None;
    }
    let recycle_s = match given.get("max_age") {
        None => None,
        Some(v) => parse::optional_secs("max_age", v)?,
    };
    let read_timeout_s = match given.get("read_timeout") {
        None => None,
        Some(v) => parse::optional_secs("read_timeout", v)?,
    };
    for key in ["checkout_timeout", "connect_timeout", "write_timeout"] {
        if let Some(v) = given.get(key) {
            parse::optional_secs(key, v)?;
        }
    }
    if let Some(v) = given.get("wait_timeout") {
        parse::count("wait_timeout", v)?;
    }
    Ok(Current {
        recycle_s,
        idle_timeout_s,
        // Active Record verifies connections at checkout; no switch for it.
        pre_ping: true,
        read_timeout_s,
        max_per_process: Some(pool),
    })
}

/// What `poolcheck explain` tells rails users.
pub(super) const ADVICE: Advice = Advice {
    layers: &["rails"],
    lifetime: "idle_timeout",
    idle_check: "idle_timeout=<current>,reaping_frequency=<current>",
    pool_check: "pool=<current>,checkout_timeout=${timeout_s|<current>}",
    idle_fix: &[
                    "config/database.yml: idle_timeout: ${recycle} (seconds idle before the reaper closes a connection; below ${limit_desc}; default 300)",
                    "reaping_frequency: 20 (the reaper closes idle connections only when it runs)",
                    "max_age: ${recycle} (Rails 8.1+: retire connections older than this too)",
                    "read_timeout: 30 and write_timeout: 30 (mysql2 gem): a connection dropped silently fails in 30 s",
                ],
    pool_fix: &[
                    "pool (max_connections in Rails 8.1+) at least the threads of one process that use Active Record: Puma's RAILS_MAX_THREADS, Sidekiq's concurrency",
                    "threads the app starts itself must give their connection back: wrap their work in ActiveRecord::Base.connection_pool.with_connection { ... }",
                    "checkout_timeout below the request timeout$[ (now ${timeout_s} s)]$",
                ],
    capacity_fix: &[
                    "pool x processes (Puma workers, Sidekiq processes) x instances must fit max_connections",
                ],
    packet_fix: &[],
    pool_checks: &[
                "ActiveRecord::Base.connection_pool.stat while it happens: size, busy, idle and waiting",
            ],
};

pub(super) const SPEC: Spec = Spec {
    name: "rails",
    aliases: &[],
    language: "yaml",
    comment: "#",
    check_keys: KEYS,
    check_units: "seconds; idle_timeout=0 means never",
    check_names: CheckKeys {
        recycle: "idle_timeout",
        pre_ping: "pool keepalive",
        read_timeout: "read_timeout",
    },
    notes: &[],
    driver: None,
    own_wait_timeout: Some(OwnWaitTimeout {
        session_s: RAILS_WAIT_TIMEOUT_S,
        note: own_wait_timeout,
    }),
    default_pool: DefaultPool {
        connections: Some(5),
        text: "pool: 5",
        sizing: "pool at least the threads per process (Puma's RAILS_MAX_THREADS, Sidekiq's concurrency)",
    },
    release: "Rails",
    claims: "Rails 6.1+ (Active Record, mysql2 adapter); max_age 8.1+",
    since: &[("max_age", Version::minor(8, 1))],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "  pool: 12\n",
            "  checkout_timeout: 10\n",
            "  idle_timeout: 270\n",
            "  reaping_frequency: 20\n",
            "  max_age: 270\n",
            "  connect_timeout: 10\n",
            "  read_timeout: 30\n",
            "  write_timeout: 30\n",
            "2147483",
        ],
        pool_code: &["pool:"],
        pre_ping: true,
        read_timeout: true,
    },
};
