//! .NET with MySqlConnector (and MySql.Data where its names differ): a
//! `MySqlConnectionStringBuilder` initializer, in seconds; and `--check` in
//! the builder's property names or the connection string's spellings.
//!
//! Facts from MySqlConnector's source (2.x, `MySqlConnectionStringBuilder.cs`,
//! `Core/ConnectionSettings.cs`, `Core/ConnectionPool.cs`) and MySql.Data's
//! (`MySqlPool.cs`). Unproven: no .NET runtime is installable where the
//! project's tests run, so no test runs these settings on a real app.

use super::common::{
    Hang, Out, and, footer, header, keepalive_reason, keepalive_useless, pool_lines, pool_numbers,
    timeout_reason, untagged,
};
use super::parse::{self, Bare};
#[cfg(test)]
use super::tests::Samples;
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec};
use crate::recommend::model::{Current, Recommendation};

pub(super) const KEYS: &[&str] = &[
    "ConnectionLifeTime",
    "ConnectionIdleTimeout",
    "ConnectionReset",
    "Keepalive",
    "DefaultCommandTimeout",
    "ConnectionTimeout",
    "MaximumPoolSize",
    "MinimumPoolSize",
];

/// The connection string's other spellings (MySqlConnector's `keys:` lists,
/// spaces removed) -> the builder's property name.
const ALIASES: &[(&str, &str)] = &[
    ("maxpoolsize", "MaximumPoolSize"),
    ("minpoolsize", "MinimumPoolSize"),
    ("commandtimeout", "DefaultCommandTimeout"),
    ("connecttimeout", "ConnectionTimeout"),
];

/// MySqlConnector's defaults (`[DefaultValue]` in MySqlConnectionStringBuilder.cs).
const DEFAULT_IDLE_S: u64 = 180;
const DEFAULT_COMMAND_TIMEOUT_S: u64 = 30;
const DEFAULT_MAX_POOL: u64 = 100;

/// MySqlConnector's reaper period for an idle timeout (ConnectionPool.cs
/// `StartReaperTask`: `Math.Max(1, Math.Min(60, ConnectionIdleTimeout / 2))`
/// seconds, integer division).
pub(super) fn reaper_period(idle_s: u64) -> u64 {
    (idle_s / 2).clamp(1, 60)
}

/// The largest ConnectionIdleTimeout whose idle time plus one reaper period
/// stays within `recycle_s`: checkout checks no idle time (only the reaper
/// closes idle sessions), so a session can sit idle that long.
pub(super) fn idle_timeout_for(recycle_s: u64) -> u64 {
    (1..=recycle_s)
        .rev()
        .find(|i| i + reaper_period(*i) <= recycle_s)
        .unwrap_or(1)
}

const UNPROVEN: &str = "not run on a real app here (no .NET runtime where poolcheck's tests run): names, units and defaults are from MySqlConnector's and MySql.Data's source";

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let mut out = Out::new(app, Framework::Dotnet);
    header(
        &mut out,
        rec,
        pool_lines(rec, &app.topology, Framework::Dotnet),
    );
    out.code("using MySqlConnector; // MySql.Data: using MySql.Data.MySqlClient;");
    out.blank();
    out.code("var builder = new MySqlConnectionStringBuilder(Environment.GetEnvironmentVariable(\"MYSQL_CONNECTION_STRING\"))");
    out.code("{");
    let idle = idle_timeout_for(rec.recycle_s);
    out.set(
        "    ",
        &format!(
            "seconds; the pool checks no idle time at checkout and reaps every min(60, half of this) s, so the longest idle time is {idle} + {} <= {} s, the recycle time ({}) (default 180); MySql.Data has no such option (it closes connections idle 180 s, fixed): remove this line there",
            reaper_period(idle),
            rec.recycle_s,
            rec.reasons.recycle
        ),
        format!("    ConnectionIdleTimeout = {idle},"),
        "ConnectionIdleTimeout",
        idle,
    );
    out.set(
        "    ",
        "seconds; checked when a connection goes back to the pool, so it bounds age, not idle time (default 0: no limit)",
        format!("    ConnectionLifeTime = {},", rec.recycle_s),
        "ConnectionLifeTime",
        rec.recycle_s,
    );
    out.set(
        "    ",
        "the minimum stays open past ConnectionIdleTimeout: 0 lets the reaper close every idle connection (default 0)",
        "    MinimumPoolSize = 0,",
        "MinimumPoolSize",
        0,
    );
    match pool_numbers(rec) {
        Some(pool) => {
            let max = pool.size + pool.overflow;
            out.set(
                "    ",
                &and(pool.total_reason(), "default 100"),
                format!("    MaximumPoolSize = {max},"),
                "MaximumPoolSize",
                max,
            );
        }
        None => out.no_pool_numbers("    ", rec),
    }
    out.set(
        "    ",
        &and(
            rec.reasons.pre_ping.clone(),
            "a reset round trip at checkout (MySqlConnector's default true; MySql.Data defaults to false but pings at checkout anyway), bounded by ConnectionTimeout",
        ),
        "    ConnectionReset = true,",
        "ConnectionReset",
        true,
    );
    out.set(
        "    ",
        &and(
            timeout_reason(rec, &rec.reasons.read_timeout, Hang::Query),
            "seconds for a whole command, 0 means none (default 30)",
        ),
        format!("    DefaultCommandTimeout = {},", rec.read_timeout_s),
        "DefaultCommandTimeout",
        rec.read_timeout_s,
    );
    if keepalive_useless(rec) {
        out.keepalive_not_set("    ", "Keepalive", rec);
    } else {
        out.set(
            "    ",
            &and(
                keepalive_reason(rec),
                "seconds before the first TCP keepalive probe (on .NET Core 3.0+ then one a second; default 0: the OS default, 7200 s on Linux)",
            ),
            format!("    Keepalive = {},", rec.keepalive_idle_s),
            "Keepalive",
            rec.keepalive_idle_s,
        );
    }
    let connect = rec.connect_timeout_s.max(rec.checkout_timeout_s);
    out.set(
        "    ",
        &and(
            rec.reasons.connect_timeout.clone(),
            "seconds; also how long Open() waits for a free pooled connection (default 15)",
        ),
        format!("    ConnectionTimeout = {connect},"),
        "ConnectionTimeout",
        connect,
    );
    out.code("};");
    out.code("// MySqlConnector 2.2+; elsewhere pass builder.ConnectionString to new MySqlConnection(...)");
    out.code("await using var dataSource = new MySqlDataSource(builder.ConnectionString);");
    let notes = vec![
        "In a connection string the same options are spelled Connection Idle Timeout, Connection Lifetime, Minimum Pool Size, Maximum Pool Size, Connection Reset, Default Command Timeout, Keepalive, Connection Timeout.".to_string(),
        "Dispose every MySqlConnection (using / await using): only a disposed connection goes back to the pool.".to_string(),
    ];
    footer(&mut out, rec, &untagged(notes));
    out.finish()
}

/// Optional seconds where 0 means "no limit".
fn seconds_or_never(key: &str, value: &str) -> Result<Option<f64>, String> {
    let s = parse::non_negative(key, value, Bare::Seconds)?;
    Ok((s > 0.0).then_some(s))
}

pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    // Connection strings spell keys with spaces ("Connection Lifetime") and
    // have a few other names ("Max Pool Size"): map them to the builder's.
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| {
            let squeezed: String = k.chars().filter(|c| !c.is_whitespace()).collect();
            let key = ALIASES
                .iter()
                .find(|(alias, _)| squeezed.eq_ignore_ascii_case(alias))
                .map_or(squeezed.clone(), |(_, canonical)| canonical.to_string());
            (key, v.clone())
        })
        .collect();
    let given = parse::collect(Framework::Dotnet, &pairs, KEYS, &[])?;
    let recycle_s = match given.get("ConnectionLifeTime") {
        None => None,
        Some(v) => seconds_or_never("ConnectionLifeTime", v)?,
    };
    let idle_timeout_s = match given.get("ConnectionIdleTimeout") {
        None => Some(DEFAULT_IDLE_S as f64),
        Some(v) => seconds_or_never("ConnectionIdleTimeout", v)?,
    };
    let pre_ping = match given.get("ConnectionReset") {
        None => true,
        Some(v) => parse::boolean("ConnectionReset", v)?,
    };
    let read_timeout_s = match given.get("DefaultCommandTimeout") {
        None => Some(DEFAULT_COMMAND_TIMEOUT_S as f64),
        Some(v) => seconds_or_never("DefaultCommandTimeout", v)?,
    };
    let max = given.count_or("MaximumPoolSize", DEFAULT_MAX_POOL)?;
    let min = given.count_or("MinimumPoolSize", 0)?;
    for key in ["Keepalive", "ConnectionTimeout"] {
        if let Some(v) = given.get(key) {
            parse::non_negative(key, v, Bare::Seconds)?;
        }
    }
    Ok(Current {
        recycle_s,
        // The minimum pool is never reaped, so with one the idle limit
        // closes those connections whatever the idle timeout says.
        idle_timeout_s: if min > 0 { None } else { idle_timeout_s },
        pre_ping,
        read_timeout_s,
        max_per_process: Some(max),
    })
}

/// What `poolcheck explain` tells .NET users.
pub(super) const ADVICE: Advice = Advice {
    layers: &["dotnet"],
    lifetime: "Connection Idle Timeout",
    idle_check: "ConnectionIdleTimeout=<current>,ConnectionLifeTime=<current>,MinimumPoolSize=<current>",
    pool_check: "MaximumPoolSize=<current>",
    idle_fix: &[
        "MySqlConnector connection string: Connection Idle Timeout=${recycle_half} (seconds; the pool reaps idle connections every min(60, half of it) s and checks no idle time at checkout, so it plus that period must stay below ${limit_desc}), Minimum Pool Size=0 (the minimum is never reaped) and Keepalive=30; Connection Lifetime=${recycle} bounds age (checked when a connection is returned), not idle time",
        "MySql.Data has no idle timeout option (it closes connections idle 180 s): with a shorter limit, keep Connection Lifetime=${recycle} and rely on its ping at checkout, or move to MySqlConnector",
        "Default Command Timeout=30 (the default), so a command on a connection dropped silently fails in 30 s",
    ],
    pool_fix: &[
        "dispose every MySqlConnection (using / await using) so it goes back to the pool; one left open is held until the garbage collector finds it",
        "Maximum Pool Size (default 100) for the real concurrency, and Connection Timeout (default 15 s, also the wait for a free pooled connection) below the request timeout",
    ],
    capacity_fix: &["Maximum Pool Size x processes x instances must fit max_connections"],
    packet_fix: &[],
    pool_checks: &[],
};

pub(super) const SPEC: Spec = Spec {
    default_pool: DefaultPool {
        connections: Some(DEFAULT_MAX_POOL),
        text: "MaximumPoolSize = 100",
        sizing: "MaximumPoolSize to the requests per process that hold a connection at once",
    },
    name: "dotnet",
    aliases: &["mysqlconnector", "mysql-data"],
    language: "csharp",
    comment: "//",
    check_keys: KEYS,
    check_units: "seconds; 0 means no limit; connection-string spellings (Connection Lifetime, Max Pool Size, ...) accepted",
    check_names: CheckKeys {
        recycle: "ConnectionLifeTime",
        pre_ping: "ConnectionReset",
        read_timeout: "DefaultCommandTimeout",
    },
    notes: &[],
    driver: None,
    own_wait_timeout: None,
    unproven: Some(UNPROVEN),
    release: "MySqlConnector",
    claims: "MySqlConnector 2.x (read at 2.6.1; MySqlDataSource from 2.2); MySql.Data's differences noted; unproven",
    since: &[],
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "ConnectionIdleTimeout = 210,",
            "ConnectionLifeTime = 270,",
            "MinimumPoolSize = 0,",
            "MaximumPoolSize = 12,",
            "ConnectionReset = true,",
            "DefaultCommandTimeout = 30,",
            "Keepalive = 60,",
            "ConnectionTimeout = 10,",
            "UNPROVEN: not run on a real app here",
        ],
        pool_code: &["MaximumPoolSize ="],
        pre_ping: true,
        read_timeout: true,
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_timeout_plus_reaper_period_fits_the_recycle_time() {
        assert_eq!(idle_timeout_for(270), 210);
        assert_eq!(idle_timeout_for(27), 18);
        assert_eq!(idle_timeout_for(2), 1);
        for recycle in 2..2000 {
            let idle = idle_timeout_for(recycle);
            assert!(idle + reaper_period(idle) <= recycle, "{recycle}");
            assert!(idle + 1 + reaper_period(idle + 1) > recycle, "{recycle}");
        }
    }

    #[test]
    fn connection_string_spellings_are_read() {
        let pairs: Vec<(String, String)> = [
            ("Connection Lifetime", "270"),
            ("Max Pool Size", "12"),
            ("Command Timeout", "0"),
            ("Connection Idle Timeout", "0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let cur = current(&pairs).unwrap();
        assert_eq!(cur.recycle_s, Some(270.0));
        assert_eq!(cur.max_per_process, Some(12));
        assert_eq!(cur.read_timeout_s, None);
        assert_eq!(cur.idle_timeout_s, None);
    }

    #[test]
    fn defaults_are_mysqlconnectors() {
        let cur = current(&[]).unwrap();
        assert_eq!(
            (
                cur.recycle_s,
                cur.idle_timeout_s,
                cur.pre_ping,
                cur.read_timeout_s,
                cur.max_per_process
            ),
            (None, Some(180.0), true, Some(30.0), Some(100))
        );
        let min: Vec<(String, String)> = vec![("MinimumPoolSize".into(), "5".into())];
        assert_eq!(current(&min).unwrap().idle_timeout_s, None);
    }
}
