//! Turns a group's kind, layer and numbers into its cause, checks and fix.

use super::frameworks::{LAYER_NOTES, TOPIC_CHECKS, TOPIC_FIXES, family, for_topic};
use super::occurrence::{Numbers, idle_min};
use super::patterns::{ASSUMED_LIMIT_S, KINDS, Kind, Topic, match_limit};
use super::text::{self, duration, int, render, sentence};
use crate::drivers;
use serde_json::Value;

/// An idle time shorter than this is no idle timeout worth deriving a limit from.
const SHORT_IDLE_S: f64 = 30.0;

/// The words a group shows.
pub(super) struct Text {
    pub cause: String,
    pub not_cause: Option<String>,
    pub checks: Vec<String>,
    pub fix: Vec<String>,
}

/// An idle limit learned elsewhere (a live server's wait_timeout).
pub(super) struct KnownLimit {
    pub seconds: f64,
    pub desc: String,
}

// The same recycle rule as `poolcheck recommend`.
use crate::recommend::rules::recycle_for;

/// The limit the fixes aim below, and how to name it.
struct LimitUse {
    seconds: f64,
    known: bool,
    desc: String,
    arg: String,
}

pub(super) fn describe(
    kind: &Kind,
    layer: &str,
    numbers: &Numbers,
    caused_by: Option<usize>,
    note: Option<&str>,
    known: Option<&KnownLimit>,
) -> Text {
    let cause_kind = caused_by.map(|c| &KINDS[c]);
    // A pool that timed out because it could not connect is a connect problem.
    let topic = match (kind.topic, cause_kind) {
        (Topic::Pool, Some(c)) if matches!(c.topic, Topic::Connect | Topic::Idle) => Topic::Connect,
        (t, _) => t,
    };
    Text {
        cause: cause(kind, topic, layer, numbers, cause_kind, note),
        not_cause: if topic == kind.topic {
            kind.not_cause.map(sentence)
        } else {
            None
        },
        checks: checks(topic, layer, numbers, known),
        fix: fixes(kind, topic, layer, numbers, known),
    }
}

fn cause(
    kind: &Kind,
    topic: Topic,
    layer: &str,
    numbers: &Numbers,
    cause_kind: Option<&Kind>,
    note: Option<&str>,
) -> String {
    let mut parts = Vec::new();
    if kind.topic == Topic::Idle {
        parts.extend(idle_sentences(numbers));
    }
    if let Some(s) = numbers.get("in_flight_s").and_then(Value::as_f64) {
        parts.push(format!(
            "The last packet was sent and the last one received at the same moment, {} ago, and nothing came back since: the statement sent then was in flight all that time.",
            duration(s)
        ));
    }
    if let Some(note) = note.and_then(|n| render(n, numbers)) {
        parts.push(sentence(&note));
    }
    match cause_kind {
        Some(c) if topic == Topic::Connect && kind.topic == Topic::Pool => parts.push(format!(
            "The pool ran dry because it could not open new connections ({}): the database was unreachable or refused connections at the time, not a pool too small for the load.",
            c.title
        )),
        _ => parts.push(sentence(kind.cause)),
    }
    if let Some(c) = cause_kind
        && topic == kind.topic
    {
        parts.push(format!("It was caused by: {}.", c.title));
    }
    if kind.rank >= 1
        && matches!(topic, Topic::Idle | Topic::Connect | Topic::Killed)
        && let Some(how) = numbers.get("closed_by").and_then(Value::as_str)
        && let Some(s) = closed_by_sentence(how)
    {
        parts.push(s.to_string());
    }
    for (l, t, note) in LAYER_NOTES {
        if *l == layer && *t == topic {
            parts.push((*note).to_string());
        }
    }
    parts.join(" ")
}

fn closed_by_sentence(how: &str) -> Option<&'static str> {
    Some(match how {
        "reset" => {
            "The connection was reset (TCP RST): AWS NLBs and NAT gateways reset flows idle past 350 s, and a restarted server or a killed connection resets too."
        }
        "broken-pipe" => {
            "Broken pipe: the client wrote to a socket the other side had already closed."
        }
        "eof" => {
            "The other side closed the connection (EOF): the server's wait_timeout, a proxy, or a restart."
        }
        "timeout" => {
            "Timed out: no answer at all, as from a connection dropped silently (an Azure Load Balancer by default, firewalls) or an unreachable server; only a client read timeout turns that hang into an error."
        }
        "refused" => {
            "Connection refused: nothing listens at that address and port (server down or restarting, wrong port), or a firewall rejects it."
        }
        "unreachable" => "No route to host: the network path to the server is down.",
        "dns" => {
            "No such host: the database's host name did not resolve (a typo, a private DNS zone the app's network cannot see, or a name that exists only inside another network)."
        }
        _ => return None,
    })
}

/// What the idle-time numbers (Connector/J's "last packet ... ms ago") say.
fn idle_sentences(n: &Numbers) -> Vec<String> {
    let Some(idle) = idle_min(n) else {
        return Vec::new();
    };
    let varies = n.get("idle_s_max").and_then(Value::as_f64);
    let recv_ms = n.get("last_packet_ms").and_then(Value::as_f64);
    let wait = n.get("answer_wait_s").and_then(Value::as_f64);
    let lead = match (varies, recv_ms, wait) {
        (Some(max), _, _) => format!(
            "The idle times before these failures ran from {} to {}; the shortest, {},",
            duration(idle),
            duration(max),
            duration(idle)
        ),
        (None, Some(ms), None) => format!("{} ms is {},", int(ms as i64), duration(idle)),
        _ => format!("The connection had been idle {},", duration(idle)),
    };
    let mut out = vec![match match_limit(idle) {
        Some(l) => {
            let rel = if idle >= l.seconds {
                "just past"
            } else {
                "just under"
            };
            format!("{lead} {rel} {}: {}.", l.name, l.conclusion)
        }
        None if idle < SHORT_IDLE_S => format!(
            "{lead} too short for an idle timeout unless one is set that low: a server restart, a KILL, a failover or a network fault is more likely."
        ),
        None => format!(
            "{lead} so the idle limit that closed it is at most that; it matches none of the common defaults (8 h wait_timeout, 350 s AWS NLB/NAT, 300 s PythonAnywhere, 240 s Azure LB, 1200 s GCP Cloud NAT, 90 s ClearDB): look for a configured wait_timeout or a proxy's idle timeout."
        ),
    }];
    if let Some(w) = wait
        && w >= 5.0
    {
        out.push(format!(
            "After sending, the driver waited {} for an answer: a read timeout (socketTimeout) expired or the connection was dropped silently, unless a query really ran that long.",
            duration(w)
        ));
    }
    out
}

fn limit_use(numbers: &Numbers, known: Option<&KnownLimit>) -> LimitUse {
    let idle = idle_min(numbers);
    let matched = idle.and_then(match_limit);
    // The smallest limit known: a server's wait_timeout can be above a middlebox's.
    if let Some(k) = known
        && matched.is_none_or(|m| k.seconds <= m.seconds)
    {
        return LimitUse {
            seconds: k.seconds,
            known: true,
            desc: k.desc.clone(),
            arg: format!(" --idle-limit {}s", k.seconds.round()),
        };
    }
    // A server log that states its wait_timeout.
    if let Some(w) = numbers.get("wait_timeout_s").and_then(Value::as_f64)
        && w > 0.0
    {
        return LimitUse {
            seconds: w,
            known: true,
            desc: format!(
                "the server's wait_timeout ({} s, from its log)",
                text::num(w)
            ),
            arg: format!(" --idle-limit {w}s"),
        };
    }
    if let Some(l) = matched {
        return LimitUse {
            seconds: l.seconds,
            known: true,
            desc: format!("the {} s idle limit", text::num(l.seconds)),
            arg: match l.hosting {
                Some(h) => format!(" --hosting {h}"),
                None => format!(" --idle-limit {}s", l.seconds),
            },
        };
    }
    match idle {
        Some(i) if (SHORT_IDLE_S..ASSUMED_LIMIT_S).contains(&i) => LimitUse {
            seconds: i.floor(),
            known: true,
            desc: format!(
                "the idle limit, at most {} here (the shortest idle time before a failure)",
                duration(i)
            ),
            arg: format!(" --idle-limit {}s", i.floor()),
        },
        _ => LimitUse {
            seconds: ASSUMED_LIMIT_S,
            known: false,
            desc: format!(
                "the idle limit on your path (unknown from this text; {} s assumes 4 min, the shortest common one: poolcheck inspect and probe find yours)",
                recycle_for(ASSUMED_LIMIT_S)
            ),
            arg: String::new(),
        },
    }
}

/// The template values: the group's numbers plus the computed settings.
fn context(layer: &str, numbers: &Numbers, known: Option<&KnownLimit>) -> Numbers {
    let fam = family(layer);
    let limit = limit_use(numbers, known);
    let recycle = recycle_for(limit.seconds);
    let mut ctx = numbers.clone();
    let mut put = |k: &str, v: Value| {
        ctx.insert(k.to_string(), v);
    };
    put("recycle", Value::from(recycle));
    put("recycle_ms", Value::from(recycle * 1000));
    // sqlx's idle_timeout: its reaper runs only every min(idle, lifetime).
    put(
        "recycle_half",
        Value::from(crate::recommend::frameworks::sqlx_idle_timeout_for(recycle)),
    );
    // HikariCP keepaliveTime: 30-60 s and below maxLifetime.
    put(
        "keepalive_ms",
        Value::from((recycle * 500).clamp(30_000, 60_000)),
    );
    // A TCP keepalive delay well inside the limit (Node).
    put(
        "tcp_keepalive_ms",
        Value::from((recycle * 500).clamp(10_000, 60_000)),
    );
    put("limit_desc", Value::from(limit.desc));
    put("limit_arg", Value::from(limit.arg));
    let probe = if limit.known && limit.seconds <= 1800.0 {
        format!(
            "{}s,{}s",
            (limit.seconds * 0.9).round(),
            (limit.seconds * 1.1).round()
        )
    } else {
        "60s,300s,600s".to_string()
    };
    put("probe_idle", Value::from(probe));
    put("framework", Value::from(fam.framework.name()));
    // The framework's own name for its read timeout (`generic` has only --check's).
    let read_timeout = match fam.framework {
        crate::recommend::Framework::Generic => "read timeout",
        f => f.spec().check_names.read_timeout,
    };
    put("read_timeout", Value::from(read_timeout));
    put("lifetime", Value::from(fam.advice.lifetime));
    let pool_check = fam.advice.pool_check;
    let pool_check = render(pool_check, numbers).unwrap_or_else(|| pool_check.into());
    put("idle_check", Value::from(fam.advice.idle_check));
    put("pool_check", Value::from(pool_check));
    let hint = packet_hint(numbers);
    put("packet_hint", Value::from(format!("{}M", hint >> 20)));
    put("packet_hint_bytes", Value::from(hint));
    for (key, driver) in [
        ("pymysql_packet", &drivers::PYMYSQL),
        ("go_packet", &drivers::GO_SQL_DRIVER),
    ] {
        put(
            key,
            Value::from(text::bytes(driver.max_allowed_packet_bytes)),
        );
    }
    ctx
}

/// A max_allowed_packet to suggest: the next power of two above the packet,
/// at least 16 MiB (the seeds' `--max-allowed-packet=16M`), at most 1 GiB
/// (MySQL's maximum); 64 MiB (MySQL 8.0's default) when the size is unknown.
fn packet_hint(n: &Numbers) -> u64 {
    let size = n
        .get("packet_bytes_max")
        .or_else(|| n.get("packet_bytes"))
        .and_then(Value::as_u64);
    match size {
        Some(s) => s
            .max(1)
            .checked_next_power_of_two()
            .map_or(1 << 30, |p| p.clamp(16 << 20, 1 << 30)),
        None => 64 << 20,
    }
}

fn checks(topic: Topic, layer: &str, numbers: &Numbers, known: Option<&KnownLimit>) -> Vec<String> {
    let ctx = context(layer, numbers, known);
    let fam = family(layer);
    for_topic(TOPIC_CHECKS, topic)
        .iter()
        .chain(fam.checks(topic))
        .filter_map(|t| render(t, &ctx))
        .collect()
}

fn fixes(
    kind: &Kind,
    topic: Topic,
    layer: &str,
    numbers: &Numbers,
    known: Option<&KnownLimit>,
) -> Vec<String> {
    let ctx = context(layer, numbers, known);
    let fam = family(layer);
    let own = fam.fix(topic);
    let neutral = for_topic(TOPIC_FIXES, topic);
    let lines: Vec<&str> = if topic.server_side() {
        neutral.iter().chain(own).copied().collect()
    } else if own.is_empty() {
        neutral.to_vec()
    } else {
        own.to_vec()
    };
    let extra = if topic == kind.topic {
        kind.extra_fix
    } else {
        &[]
    };
    lines
        .iter()
        .chain(extra)
        .filter_map(|t| render(t, &ctx))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycle_rule() {
        // recommend::rules::recycle_for: limit minus 10% (at least 10 s), at least 1.
        assert_eq!(recycle_for(300.0), 270);
        assert_eq!(recycle_for(350.0), 315);
        assert_eq!(recycle_for(28_800.0), 25_920);
        assert_eq!(recycle_for(90.0), 80);
        assert_eq!(recycle_for(240.0), 216);
        assert_eq!(recycle_for(5.0), 1);
    }

    #[test]
    fn packet_hints() {
        let mut n = Numbers::new();
        assert_eq!(packet_hint(&n), 64 << 20);
        n.insert("packet_bytes".into(), Value::from(10_399));
        assert_eq!(packet_hint(&n), 16 << 20);
        n.insert("packet_bytes".into(), Value::from(27_759_038));
        assert_eq!(packet_hint(&n), 32 << 20);
        n.insert("packet_bytes".into(), Value::from(u64::MAX / 2));
        assert_eq!(packet_hint(&n), 1 << 30);
    }
}
