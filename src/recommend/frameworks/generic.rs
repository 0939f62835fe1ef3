//! Framework-neutral output: plain `key = value` lines in seconds, for pools
//! poolcheck has no renderer for; and `--check` in the same names.

use super::common::{Hang, Out, and, footer, header, keepalive_reason, keepalive_useless, pool_lines, pool_numbers, timeout_reason};
use super::parse;
use crate::recommend::model::{Current, Recommendation};
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec};
#[cfg(test)]
use super::tests::Samples;

pub(super) const KEYS: &[&str] = &[
    "max_lifetime_s",
    "idle_timeout_s",
    "pre_ping",
    "read_timeout_s",
    "write_timeout_s",
    "tcp_keepalive_idle_s",
    "connect_timeout_s",
    "pool_size",
    "max_overflow",
    "checkout_timeout_s",
];

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let topology = &app.topology;
    let mut out = Out::new(app, Framework::Generic);
    header(&mut out, rec, pool_lines(rec, topology, Framework::Generic));
    out.comment(
        "",
        "Map each line to your pool's own setting; durations are seconds.",
    );
    let recycle = rec.reasons.recycle.clone();
    let mut lines: Vec<(&str, serde_json::Value, String)> = vec![
        ("max_lifetime_s", rec.recycle_s.into(), recycle.clone()),
        (
            "idle_timeout_s",
            rec.recycle_s.into(),
            and(recycle, "where the pool has a separate idle timeout"),
        ),
        (
            "pre_ping",
            rec.pre_ping.into(),
            rec.reasons.pre_ping.clone(),
        ),
        (
            "read_timeout_s",
            rec.read_timeout_s.into(),
            timeout_reason(rec, &rec.reasons.read_timeout, Hang::PrePing),
        ),
        (
            "write_timeout_s",
            rec.write_timeout_s.into(),
            timeout_reason(rec, &rec.reasons.write_timeout, Hang::PrePing),
        ),
        (
            "tcp_keepalive_idle_s",
            rec.keepalive_idle_s.into(),
            keepalive_reason(rec),
        ),
        (
            "connect_timeout_s",
            rec.connect_timeout_s.into(),
            rec.reasons.connect_timeout.clone(),
        ),
    ];
    if let Some(pool) = pool_numbers(rec) {
 let (size, overflow) = (pool.size, pool.overflow);
        lines.push((
            "pool_size",
            size.into(),
            pool.reasons.pool_size.clone(),
        ));
        lines.push((
            "max_overflow",
            overflow.into(),
            pool.reasons.max_overflow.clone(),
        ));
    }
    lines.push((
        "checkout_timeout_s",
        rec.checkout_timeout_s.into(),
        rec.reasons.checkout_timeout.clone(),
    ));
    for (key, value, why) in lines {
        if key == "tcp_keepalive_idle_s" && keepalive_useless(rec) {
            out.keepalive_not_set("", key, rec);
            continue;
        }
        out.set("", &why, format!("{key} = {value}"), key, value);
    }
    footer(&mut out, rec, &[]);
    out.finish()
}

/// Keys not given mean "not configured": no recycling, no ping, no timeout,
/// no bound on connections.
pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(Framework::Generic, pairs, KEYS, &[])?;
    let secs = |key: &str| given.get(key).map_or(Ok(None), |v| parse::optional_secs(key, v));
    let recycle_s = secs("max_lifetime_s")?;
    let idle_timeout_s = secs("idle_timeout_s")?;
    let read_timeout_s = secs("read_timeout_s")?;
    for key in [
        "write_timeout_s",
        "tcp_keepalive_idle_s",
        "connect_timeout_s",
        "checkout_timeout_s",
    ] {
        secs(key)?;
    }
    let pre_ping = match given.get("pre_ping") {
        None => false,
        Some(v) => parse::boolean("pre_ping", v)?,
    };
    let overflow = match given.get("max_overflow") {
        None => 0,
        Some(v) => parse::count("max_overflow", v)?,
    };
    let max_per_process = match given.get("pool_size") {
        None => None,
        Some(v) => Some(parse::count("pool_size", v)? + overflow),
    };
    Ok(Current {
        recycle_s,
        idle_timeout_s,
        pre_ping,
        read_timeout_s,
        max_per_process,
    })
}

/// What `poolcheck explain` tells generic users.
pub(super) const ADVICE: Advice = Advice {
    layers: &[],
    lifetime: "pool's max lifetime",
    idle_check: "max_lifetime_s=<current>,idle_timeout_s=<current>,pre_ping=<current>",
    pool_check: "pool_size=${pool_size|<current>},max_overflow=${max_overflow|<current>},checkout_timeout_s=<current>",
    idle_fix: &[],
    pool_fix: &[],
    capacity_fix: &[],
    packet_fix: &[],
    pool_checks: &[],
};

pub(super) const SPEC: Spec = Spec {
    name: "generic",
    aliases: &[],
    language: "ini",
    comment: "#",
    check_keys: KEYS,
    check_units: "seconds; 0 or none means never or no timeout",
    check_names: CheckKeys {
        recycle: "max_lifetime_s",
        pre_ping: "pre_ping",
        read_timeout: "read_timeout_s",
    },
    notes: &[],
    driver: None,
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: None,
        text: "your pool's own",
        sizing: "one connection per concurrent request, plus a few for bursts",
    },
    release: "the pool",
    claims: "any pool (the settings are framework-neutral)",
    since: &[],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "max_lifetime_s = 270\n",
            "idle_timeout_s = 270\n",
            "pre_ping = true\n",
            "read_timeout_s = 30\n",
            "write_timeout_s = 30\n",
            "tcp_keepalive_idle_s = 60\n",
            "pool_size = 8\n",
            "max_overflow = 4\n",
            "checkout_timeout_s = 10\n",
        ],
        pool_code: &["pool_size =", "max_overflow ="],
        pre_ping: true,
        read_timeout: true,
    },
};
