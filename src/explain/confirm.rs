//! Holding each group's cause against a live server's facts (from `inspect`):
//! confirmed, ruled out, or still only possible, with the number that decides.

use super::advice::{self, KnownLimit};
use super::model::{ExplainReport, Group, ServerCheck, Verdict};
use super::occurrence::idle_min;
use super::patterns::{Kind, Topic, kind, kind_index, limit_matches, match_limit};
use super::text::{bytes, duration, int};
use crate::inspect::ServerFacts;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Confirmed,
    RuledOut,
    Possible,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::RuledOut => "ruled-out",
            Status::Possible => "possible",
        }
    }
}

/// One verdict, and whether the server's wait_timeout is the limit to fix for.
struct Outcome {
    status: Status,
    reason: String,
    wait_timeout_is_limit: bool,
}

fn outcome(status: Status, reason: String) -> Outcome {
    Outcome {
        status,
        reason,
        wait_timeout_is_limit: false,
    }
}

pub(super) fn apply(report: &mut ExplainReport, facts: &ServerFacts) {
    let w = facts.timeouts.wait_timeout_session_s;
    let mut verdicts = Vec::with_capacity(report.matches.len());
    for g in &mut report.matches {
        // One verdict per group, in order (renderers pair them by index).
        let Some(k) = kind(&g.id) else {
            verdicts.push(Verdict {
                group: g.id.clone(),
                status: Status::Possible.as_str().into(),
                reason: "no server check is known for this problem".into(),
            });
            continue;
        };
        let o = verdict(k, g, facts);
        if o.wait_timeout_is_limit && w > 0 {
            // The server told us the limit: the fix can name the exact recycle.
            let known = KnownLimit {
                seconds: w as f64,
                desc: format!("this server's wait_timeout ({} s)", int(w as i64)),
            };
            let caused_by = g
                .numbers
                .get("caused_by")
                .and_then(Value::as_str)
                .and_then(kind_index);
            let text = advice::describe(k, &g.layer, &g.numbers, caused_by, None, Some(&known));
            g.checks = text.checks;
            g.fix = text.fix;
        }
        verdicts.push(Verdict {
            group: g.id.clone(),
            status: o.status.as_str().into(),
            reason: o.reason,
        });
    }
    report.server = Some(ServerCheck {
        wait_timeout_session_s: w,
        max_connections: facts.capacity.max_connections,
        max_allowed_packet_bytes: facts.packets.max_allowed_packet_bytes,
        verdicts,
    });
}

fn verdict(k: &Kind, g: &Group, f: &ServerFacts) -> Outcome {
    match k.topic {
        Topic::Idle => idle(k, g, f),
        Topic::ServerLog => server_log(g, f),
        Topic::Capacity if k.id == "max-user-connections" => account_limit(f),
        Topic::Capacity => too_many(f),
        Topic::Packet => packet(g, f),
        Topic::Auth => auth(g, f),
        Topic::Pool => pool(g, f),
        Topic::Connect => connect(f),
        Topic::Killed => killed(f),
        Topic::InFlight => in_flight(f),
        Topic::Shared => outcome(
            Status::Possible,
            "a connection shared by threads or processes is a client-side fault: the server cannot confirm it".into(),
        ),
        Topic::Failover => outcome(
            Status::Possible,
            format!(
                "this server ({}, up {}) answered poolcheck; check @@read_only on the server the app's pool is connected to, and whether a failover happened when the errors began",
                f.server.version,
                duration(f.server.uptime_s as f64)
            ),
        ),
    }
}

fn aborted(f: &ServerFacts) -> String {
    let c = &f.counters;
    if c.aborted_clients == 0 {
        return String::new();
    }
    format!(
        " (Aborted_clients: {}, {}/h: the server has been closing connections the clients did not close)",
        int(c.aborted_clients as i64),
        super::text::num((c.aborted_clients_per_hour * 10.0).round() / 10.0)
    )
}

fn idle(k: &Kind, g: &Group, f: &ServerFacts) -> Outcome {
    let w = f.timeouts.wait_timeout_session_s as f64;
    let wt = format!("wait_timeout here is {} s", int(w as i64));
    if k.id == "idle-timeout-4031" {
        return Outcome {
            status: Status::Confirmed,
            reason: format!(
                "the server itself reported the inactivity disconnect; {wt}{}",
                aborted(f)
            ),
            wait_timeout_is_limit: true,
        };
    }
    if g.layer == "rails" {
        return outcome(
            Status::RuledOut,
            format!(
                "Rails sets SESSION wait_timeout = 2147483 on its connections unless database.yml sets wait_timeout, so {wt} does not reach them: look for a middlebox (poolcheck probe), a restart or a KILL"
            ),
        );
    }
    if let Some(idle) = idle_min(&g.numbers) {
        let d = duration(idle);
        if limit_matches(w, idle) {
            return Outcome {
                status: Status::Confirmed,
                reason: format!(
                    "{wt}, and the connection died after {d} idle, just past it{}",
                    aborted(f)
                ),
                wait_timeout_is_limit: true,
            };
        }
        if w > idle {
            let hint = match_limit(idle)
                .map(|l| format!("; the idle time points at {}", l.name))
                .unwrap_or_default();
            return outcome(
                Status::RuledOut,
                format!(
                    "{wt}, longer than the {d} the connection was idle: the server did not close it, something on the path did (poolcheck probe finds it){hint}"
                ),
            );
        }
        return match match_limit(idle) {
            Some(l) if l.server_side => outcome(
                Status::RuledOut,
                format!(
                    "{wt}, not {} s: the {d} idle time, just past {}, points at a {} s limit elsewhere (another server, a proxy such as ProxySQL whose mysql-wait_timeout defaults to 8 h, or a SET SESSION wait_timeout); on this server these connections would have died after {} s, so check that the app really connects here",
                    int(l.seconds as i64),
                    l.name,
                    int(l.seconds as i64),
                    int(w as i64)
                ),
            ),
            Some(l) => Outcome {
                status: Status::Possible,
                reason: format!(
                    "{wt}, shorter than the {d} idle time, so the server would have closed these connections too; but the idle time just past {} also fits a middlebox ({}): poolcheck probe --session-wait-timeout {} tells which",
                    l.name,
                    l.conclusion.split(':').next().unwrap_or(l.conclusion),
                    (idle * 2.0).ceil() as u64
                ),
                wait_timeout_is_limit: true,
            },
            None => Outcome {
                status: Status::Possible,
                reason: format!(
                    "{wt}, shorter than the {d} idle time, so the server would have closed these connections; the app used them only later{}",
                    aborted(f)
                ),
                wait_timeout_is_limit: true,
            },
        };
    }
    match g.timing.as_ref().and_then(|t| t.longest_quiet_before_s) {
        Some(l) if l >= w => Outcome {
            status: Status::Confirmed,
            reason: format!(
                "{wt}, and failures came after quiet periods of up to {}, longer than it{}",
                duration(l),
                aborted(f)
            ),
            wait_timeout_is_limit: true,
        },
        Some(l) => Outcome {
            status: Status::Possible,
            reason: format!(
                "{wt}, longer than any quiet period before the failures (longest {}): the server's wait_timeout fits only if pooled connections sat unused while others worked; a middlebox is the other suspect (poolcheck probe)",
                duration(l)
            ),
            wait_timeout_is_limit: true,
        },
        None if w <= 3600.0 => Outcome {
            status: Status::Confirmed,
            reason: format!(
                "{wt}: a pooled connection left idle longer than that is closed by the server, and its next use fails like this{}",
                aborted(f)
            ),
            wait_timeout_is_limit: true,
        },
        None => Outcome {
            status: Status::Possible,
            reason: format!(
                "{wt} ({}): the cause when pooled connections sit idle that long (nights, weekends); failures after shorter quiet periods point at a middlebox (poolcheck probe){}",
                duration(w),
                aborted(f)
            ),
            wait_timeout_is_limit: true,
        },
    }
}

fn in_flight(f: &ServerFacts) -> Outcome {
    let t = &f.timeouts;
    outcome(
        Status::Possible,
        format!(
            "wait_timeout ({} s here) does not end a statement in flight; net_read_timeout is {} s and net_write_timeout {} s here (the server's limits on a stalled transfer): the client's own timeout or the statement's run time decides",
            int(t.wait_timeout_session_s as i64),
            int(t.net_read_timeout_s as i64),
            int(t.net_write_timeout_s as i64)
        ),
    )
}

fn server_log(g: &Group, f: &ServerFacts) -> Outcome {
    let w = f.timeouts.wait_timeout_session_s;
    // MySQL 8.0.24+ logs the session's own wait_timeout with each such close.
    if let Some(logged) = g.numbers.get("wait_timeout_s").and_then(Value::as_u64)
        && logged != w
    {
        return outcome(
            Status::Possible,
            format!(
                "the log shows connections closed after {} s idle, but wait_timeout here is {} s: those sessions ran with a wait_timeout of their own (SET SESSION wait_timeout, init_connect, a proxy), or the log is another server's",
                int(logged as i64),
                int(w as i64)
            ),
        );
    }
    let timeout = g
        .numbers
        .get("reason")
        .and_then(Value::as_str)
        .is_some_and(|r| r.to_ascii_lowercase().contains("timeout"));
    if timeout {
        Outcome {
            status: Status::Confirmed,
            reason: format!(
                "wait_timeout here is {} s: the server closes connections idle that long and logs 'Got timeout reading communication packets'{}",
                int(w as i64),
                aborted(f)
            ),
            wait_timeout_is_limit: true,
        }
    } else {
        outcome(
            Status::Possible,
            format!(
                "the server logged clients that went away without closing{}",
                aborted(f)
            ),
        )
    }
}

fn too_many(f: &ServerFacts) -> Outcome {
    let c = &f.capacity;
    // MariaDB counts most refusals in Aborted_connects only (inspect::refusals).
    let errors = crate::inspect::refusals(f).total();
    let up = duration(f.server.uptime_s as f64);
    let peak = format!(
        "Max_used_connections is {} of max_connections {} (now {} connected)",
        c.max_used_connections, c.max_connections, c.threads_connected
    );
    if c.max_used_connections >= c.max_connections || errors > 0 {
        let errs = if errors > 0 {
            format!(
                ", and {} connection attempts were refused with 'Too many connections'",
                int(errors as i64)
            )
        } else {
            String::new()
        };
        outcome(
            Status::Confirmed,
            format!(
                "{peak}{errs}: the server has run out of connections since it started {up} ago"
            ),
        )
    } else if c.max_used_connections * 10 >= c.max_connections * 9 {
        outcome(
            Status::Possible,
            format!("{peak}: close to the limit since it started {up} ago"),
        )
    } else {
        outcome(
            Status::RuledOut,
            format!(
                "{peak}: this server has not run out since it started {up} ago; the error came from another server, a proxy's own limit, or before the last restart"
            ),
        )
    }
}

fn account_limit(f: &ServerFacts) -> Outcome {
    let limit = f.capacity.max_user_connections_account;
    let who = &f.account.current_user;
    if limit > 0 {
        outcome(
            Status::Possible,
            format!(
                "the account poolcheck used ({who}) is limited to {limit} connections; if the app uses that account, that is the limit it hit"
            ),
        )
    } else {
        outcome(
            Status::Possible,
            format!(
                "no per-account limit applies to {who}; the app's account may have its own (SHOW GRANTS FOR it)"
            ),
        )
    }
}

fn packet(g: &Group, f: &ServerFacts) -> Outcome {
    let mp = f.packets.max_allowed_packet_bytes;
    let here = format!("max_allowed_packet here is {}", bytes(mp));
    let n = &g.numbers;
    let num = |k: &str| n.get(k).and_then(Value::as_u64);
    if let Some(p) = num("packet_bytes_max").or_else(|| num("packet_bytes")) {
        return if p > mp {
            outcome(
                Status::Confirmed,
                format!(
                    "the {}-byte statement is larger than max_allowed_packet here ({})",
                    int(p as i64),
                    bytes(mp)
                ),
            )
        } else {
            outcome(
                Status::RuledOut,
                format!(
                    "{here}, enough for the {}-byte statement: the limit that refused it is the driver's own or another server's",
                    int(p as i64)
                ),
            )
        };
    }
    if let Some(d) = num("max_allowed_packet_bytes") {
        return if d == mp {
            outcome(
                Status::Confirmed,
                format!("{here}, the limit the driver reported"),
            )
        } else {
            outcome(
                Status::Possible,
                format!(
                    "the driver reported a limit of {}, {here}: connections opened before a change keep the old value",
                    bytes(d)
                ),
            )
        };
    }
    if num("error_code") == Some(2020) {
        return outcome(
            Status::Possible,
            format!("the client's own limit refused it (2020); {here}"),
        );
    }
    let low = if mp < 16 << 20 {
        " (low: MySQL 8.0 defaults to 64 MiB)"
    } else {
        ""
    };
    outcome(
        Status::Possible,
        format!("{here}{low}: any statement or row above that is refused"),
    )
}

fn auth(g: &Group, f: &ServerFacts) -> Outcome {
    let user = g.numbers.get("user").and_then(Value::as_str).unwrap_or("?");
    let host = g.numbers.get("host").and_then(Value::as_str).unwrap_or("?");
    let cu = &f.account.current_user;
    let same_user = cu
        .split('@')
        .next()
        .is_some_and(|u| u.trim_matches(['`', '\'']) == user);
    let reason = if same_user {
        format!(
            "poolcheck logged in as {cu} with the same user name: the app's password or the host part of its account differs ('{user}'@'{host}' was refused)"
        )
    } else {
        format!(
            "poolcheck logged in as {cu}; the refused login was '{user}'@'{host}': check that account"
        )
    };
    outcome(Status::Possible, reason)
}

fn pool(g: &Group, f: &ServerFacts) -> Outcome {
    let c = &f.capacity;
    if g.numbers.contains_key("caused_by") {
        return outcome(
            Status::Possible,
            format!(
                "the server is up now (uptime {}) and answered poolcheck: the pool could not connect at the time, so check restarts and the path from the app's host",
                duration(f.server.uptime_s as f64)
            ),
        );
    }
    if c.max_used_connections * 10 >= c.max_connections * 9 {
        outcome(
            Status::Possible,
            format!(
                "the server is near max_connections too (peak {} of {}): a bigger pool would run into 1040 Too many connections; fix leaks and concurrency first",
                c.max_used_connections, c.max_connections
            ),
        )
    } else {
        outcome(
            Status::Confirmed,
            format!(
                "the server has room (Threads_connected {}, peak {} of max_connections {}): the limit that was hit is the app's pool, not the server",
                c.threads_connected, c.max_used_connections, c.max_connections
            ),
        )
    }
}

fn connect(f: &ServerFacts) -> Outcome {
    let refused = f.counters.aborted_connects;
    let extra = if refused > 0 {
        format!(
            "; Aborted_connects is {} (failed connection attempts)",
            int(refused as i64)
        )
    } else {
        String::new()
    };
    outcome(
        Status::Possible,
        format!(
            "the server is up now (uptime {}){extra}: if the failures are older than that, a restart explains them; otherwise check the path from the app's host",
            duration(f.server.uptime_s as f64)
        ),
    )
}

fn killed(f: &ServerFacts) -> Outcome {
    outcome(
        Status::Possible,
        format!(
            "the server cannot tell who killed connections{}",
            if f.counters.aborted_clients > 0 {
                aborted(f)
            } else {
                "; Aborted_clients is 0".into()
            }
        ),
    )
}
