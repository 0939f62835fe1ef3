//! The recommendation rules: pure functions from [`Inputs`] to a
//! [`Recommendation`], and from the app's current settings to findings.

use super::frameworks::{CheckKeys, Framework};
use super::model::*;
use crate::finding::{Finding, Severity};
use crate::probe::Verdict;

/// Everything the rules read.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    pub framework: Framework,
    /// `--framework-version`: the release the app runs.
    pub framework_version: Option<super::frameworks::Version>,
    pub server: ServerSide,
    pub measured: Option<Measured>,
    pub declared_limit_s: Option<f64>,
    pub hosting: Option<&'static super::hosting::Preset>,
    pub topology: Topology,
    pub max_blob_bytes: Option<u64>,
    /// How long a request may take before the app gives up on it.
    pub request_timeout_s: u64,
}

/// MySQL's and MariaDB's default wait_timeout, assumed when nothing else is known.
pub const DEFAULT_WAIT_TIMEOUT_S: u64 = 28800;

/// The driver connect timeout recommended everywhere.
pub const CONNECT_TIMEOUT_S: u64 = 10;

/// Recycle below the limit by at least 10 s and 10%: pools check age only at
/// checkout, clocks drift, and a request may be mid-flight at the boundary.
pub fn recycle_for(limit_s: f64) -> u64 {
    let margin = (limit_s * 0.10).max(10.0);
    ((limit_s - margin).floor() as i64).max(1) as u64
}

/// Seconds as the reasons show them: whole seconds without a fraction, else
/// a tenth (a measured 39.7 s is not "40 s").
pub fn secs_text(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// The recycle time's reason, saying the margin it really has: a limit too
/// short for the usual margin gets the shortest recycle, and says so.
pub fn recycle_reason(limit_s: f64, recycle_s: u64, which: &str) -> String {
    let limit = secs_text(limit_s);
    let margin = limit_s - recycle_s as f64;
    if margin >= (limit_s * 0.10).max(10.0) - 1e-6 {
        format!("{recycle_s} s: below the {limit} s idle limit ({which}) by 10% (at least 10 s)")
    } else if margin > 0.0 {
        format!(
            "{recycle_s} s: {} s below the {limit} s idle limit ({which}); the usual margin (10%, at least 10 s) does not fit a limit this short",
            secs_text(margin)
        )
    } else {
        format!(
            "{recycle_s} s: the shortest setting, and not below the {limit} s idle limit ({which}): no recycle time fits a limit this short"
        )
    }
}

/// Why (or whether) TCP keepalive, by the kind of the limit that decides.
fn keepalive_reason(idle_s: u64, silent: bool, helps: Option<bool>) -> String {
    match helps {
        Some(false) => "TCP keepalive does not keep connections alive here: this limit is the server's \
             wait_timeout or a proxy that counts MySQL bytes, and keepalive probes carry none, so they reset \
             neither; only recycling below the limit does"
            .to_string(),
        Some(true) => format!(
            "TCP keepalive after {idle_s} s idle, below the limit: the limit is flow-level (a NAT, load balancer \
             or firewall that forgets flows without packets), so keepalive probes keep idle pooled connections \
             alive{}",
            if silent {
                "; essential here, the path drops silently"
            } else {
                ""
            }
        ),
        None => format!(
            "TCP keepalive after {idle_s} s idle, below the limit: it keeps a flow-level limit (NAT, load balancer, \
             firewall) from forgetting idle connections{}; it cannot reset the server's wait_timeout or a proxy \
             that counts MySQL bytes (poolcheck probe's keepalive_rescues tells which)",
            if silent {
                " and a dropped flow is noticed in seconds"
            } else {
                ""
            }
        ),
    }
}

/// Every idle limit the inputs name.
pub fn candidates(inputs: &Inputs, notes: &mut Vec<String>) -> Vec<LimitCandidate> {
    let mut out = Vec::new();
    if let Some(wait) = inputs.server.session_wait_timeout_s {
        if let Some(own) = inputs.framework.spec().own_wait_timeout {
            notes.push((own.note)(wait));
        } else {
            out.push(LimitCandidate {
                source: LimitSource::SessionWaitTimeout,
                seconds: wait as f64,
                silent: false,
                detail: format!("the server's wait_timeout for the app's sessions: {wait} s"),
                keepalive_helps: Some(false),
            });
        }
    }
    if let Some(m) = &inputs.measured {
        // The probe's sessions met the server's wait_timeout, which this
        // framework raises for its own connections: a middlebox further out
        // would be hidden behind it.
        if let Some(own) = inputs.framework.spec().own_wait_timeout
            && m.verdict == Verdict::Server
        {
            notes.push(format!(
                "the probe's connections were ended by the server's wait_timeout, which {} raises to {} s for its own connections: the measured limit binds the probe, not {}, and may hide a middlebox further out - measure the path as {} sees it with poolcheck probe --session-wait-timeout {}",
                inputs.framework.name(),
                own.session_s,
                inputs.framework.name(),
                inputs.framework.name(),
                own.session_s
            ));
        }
        match m.hi_s {
            Some(hi) => {
                // The largest idle age seen surviving is the safe figure; with
                // none, only the fatal age is known.
                let (seconds, extra) = if m.lo_s > 0.0 {
                    (m.lo_s, String::new())
                } else {
                    (
                        hi,
                        " (no connection survived, so the real limit may be lower)".to_string(),
                    )
                };
                out.push(LimitCandidate {
                    source: LimitSource::MeasuredCutoff,
                    seconds,
                    silent: m.silent,
                    keepalive_helps: m
                        .keepalive_rescues
                        .or((m.verdict == Verdict::Server).then_some(false)),
                    detail: format!(
                        "measured by poolcheck probe: connections survived {:.1} s and died by {hi:.1} s idle ({}{}){extra}",
                        m.lo_s,
                        verdict_word(m.verdict),
                        if m.silent { ", silently" } else { "" }
                    ),
                });
            }
            None => notes.push(format!(
                "poolcheck probe saw no connection die within {:.0} s idle",
                m.lo_s
            )),
        }
    }
    // A preset without a number (HAProxy has no default; Azure's and Google's
    // wait_timeout defaults are not published) still says what kind of limit
    // --idle-limit is.
    let numberless = inputs.hosting.filter(|p| p.limit_s.is_none());
    if let Some(s) = inputs.declared_limit_s {
        out.push(LimitCandidate {
            source: LimitSource::Declared,
            seconds: s,
            silent: numberless.is_some_and(|p| p.silent),
            detail: match numberless {
                Some(p) => format!("--idle-limit {s:.0} s, a {} limit", p.name),
                None => format!("--idle-limit {s:.0} s"),
            },
            keepalive_helps: numberless.map(|p| p.layer == super::hosting::LimitLayer::Flow),
        });
    }
    if let Some(p) = inputs.hosting {
        match p.limit_s {
            Some(limit_s) => out.push(LimitCandidate {
                source: LimitSource::Hosting,
                seconds: limit_s as f64,
                silent: p.silent,
                detail: format!("{} preset: {}", p.name, p.behaviour),
                keepalive_helps: Some(p.layer == super::hosting::LimitLayer::Flow),
            }),
            None if inputs.declared_limit_s.is_none() => notes.push(format!(
                "the {} preset has no idle limit to offer: {}",
                p.name, p.behaviour
            )),
            None => {}
        }
    }
    out
}

/// The probe's verdict as the limit's detail words it.
fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Server => "server",
        Verdict::Middlebox => "middlebox",
        Verdict::None => "none",
    }
}

/// The connection budget for this app, if server facts allow computing it.
pub fn budget(inputs: &Inputs) -> Option<u64> {
    let s = &inputs.server;
    let server = s.max_connections.map(|mc| {
        mc.saturating_sub(inputs.topology.reserve)
            .saturating_sub(s.other_connections.unwrap_or(0))
    });
    let account = s.max_user_connections.filter(|n| *n > 0);
    match (server, account) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Pool sizing: from the budget when `--threads` is given, else the
/// framework's own default (see [`default_pool`]). With it, the max_overflow
/// reason (None when the budget cannot hold the topology).
fn plan_pool(
    inputs: &Inputs,
    ran: &mut Vec<&'static str>,
    findings: &mut Vec<Finding>,
) -> (PoolPlan, Option<String>) {
    let t = inputs.topology;
    let (instances, processes) = (t.instances(), t.processes());
    let Some(threads) = t.threads else {
        let plan = default_pool(inputs);
        return (plan, None);
    };
    let needed = instances * processes * threads;
    if budget(inputs).is_some() {
        ran.push("pool-budget-exceeded");
    }
    match budget(inputs) {
        Some(b) if needed > b => {
            let mut options = vec![
                format!(
                    "run fewer workers: instances x processes x threads must be at most {b} (now {} x {} x {} = {needed})",
                    instances, processes, threads
                ),
                format!(
                    "raise max_connections{} so that {needed} connections fit after the reserve of {} and the {} connections of other clients",
                    inputs.server.max_connections.map(|m| format!(" (now {m})")).unwrap_or_default(),
                    t.reserve,
                    inputs.server.other_connections.unwrap_or(0)
                ),
                "put a connection pooler such as ProxySQL between the app and the server, so many app connections share few server connections".into(),
            ];
            if let Some(n) = inputs
                .server
                .max_user_connections
                .filter(|n| *n > 0 && *n < needed)
            {
                options.push(format!(
                    "raise the account's MAX_USER_CONNECTIONS (now {n})"
                ));
            }
            findings.push(
                Finding::new(
                    "pool-budget-exceeded",
                    Severity::Crit,
                    format!(
                        "the app needs {needed} connections at full concurrency ({} instances x {} processes x {} threads) \
                         but only {b} are available: requests would fail with 'Too many connections' (1040)",
                        instances, processes, threads
                    ),
                )
                .with("needed", needed)
                .with("budget", b),
            );
            let plan = PoolPlan::DoesNotFit {
                needed,
                budget: b,
                options,
            };
            (plan, None)
        }
        Some(b) => {
            let per_process = b / (instances * processes).max(1);
            let max_overflow = per_process.saturating_sub(threads).min(threads);
            let total = instances * processes * (threads + max_overflow);
            let why = format!(
                "{max_overflow}: bursts beyond one connection per request, while {} x {} x ({} + {max_overflow}) = {total} stays within the budget of {b}",
                instances, processes, threads
            );
            let plan = PoolPlan::Fits {
                pool_size: threads,
                max_overflow,
                worst_case_total: total,
                budget: Some(b),
            };
            (plan, Some(why))
        }
        None => {
            let why = "0: no server facts to size a burst allowance against (give a target or --from inspect.json)";
            let plan = PoolPlan::Fits {
                pool_size: threads,
                max_overflow: 0,
                worst_case_total: needed,
                budget: None,
            };
            (plan, Some(why.to_string()))
        }
    }
}

/// No `--threads`: the framework's default pool stays; its worst case
/// against the budget when both are known.
fn default_pool(inputs: &Inputs) -> PoolPlan {
    let t = inputs.topology;
    let per_process = inputs.framework.spec().default_pool.connections;
    PoolPlan::FrameworkDefault {
        per_process,
        worst_case_total: per_process.map(|n| t.instances() * t.processes() * n),
        budget: budget(inputs),
    }
}

pub fn recommend(inputs: &Inputs) -> Recommendation {
    recommend_noting(inputs, &mut Vec::new())
}

/// `idle-limit-too-short-for-framework`: crit when the path drops silently
/// (requests fail), warn when it closes or resets flows (the framework's
/// check at checkout replaces the dead connections).
fn too_short_for(
    framework: Framework,
    short: &super::frameworks::ShortestLimit,
    limit: &LimitCandidate,
    silent: bool,
) -> Finding {
    let (severity, effect) = if silent {
        (Severity::Crit, short.silent)
    } else {
        (Severity::Warn, short.visible)
    };
    Finding::new(
        "idle-limit-too-short-for-framework",
        severity,
        format!(
            "the idle limit ({} s, {}) is too short for {}: {}; {effect}. Raise the limit above {} s or pool with a framework that recycles sooner",
            secs_text(limit.seconds),
            limit.detail,
            framework.name(),
            short.why,
            secs_text(short.shortest_s),
        ),
    )
    .with("limit_s", limit.seconds)
    .with("shortest_limit_s", short.shortest_s)
    .with("silent_drop", silent)
}

/// [`recommend`], noting in `ran` the id of each check it evaluates (a check
/// that lacks the facts it needs, such as the connection budget, is not).
pub fn recommend_noting(inputs: &Inputs, ran: &mut Vec<&'static str>) -> Recommendation {
    let mut notes = Vec::new();
    let mut findings = Vec::new();
    let candidates = candidates(inputs, &mut notes);
    let limit = candidates
        .iter()
        .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
        .cloned();
    let limit_s = limit
        .as_ref()
        .map_or(DEFAULT_WAIT_TIMEOUT_S as f64, |l| l.seconds);
    if limit.is_none() {
        notes.push(format!(
            "no idle limit is known: assuming MySQL's default wait_timeout of {DEFAULT_WAIT_TIMEOUT_S} s; \
             run poolcheck probe through the real network path to find the real one"
        ));
    }
    let silent = candidates.iter().any(|c| c.silent);
    // Every framework is checked; only those with a floor can fail.
    ran.push("idle-limit-too-short-for-framework");
    if let Some(short) = super::frameworks::shortest_limit(inputs.framework)
        && let Some(l) = limit.as_ref().filter(|l| !(short.holds)(l.seconds))
    {
        findings.push(too_short_for(inputs.framework, short, l, silent));
    }
    let recycle_s = recycle_for(limit_s);
    let which = limit
        .as_ref()
        .map_or("the assumed default".to_string(), |l| l.detail.clone());
    let t = inputs.topology;
    let request = inputs.request_timeout_s.max(1);

    let read_reason = if silent {
        format!(
            "{request} s: essential here, the path drops idle connections silently and without a read timeout \
             pre-ping and queries hang ~15 minutes until TCP gives up"
        )
    } else {
        format!(
            "{request} s: no query should outlive its request; bounds a hang if the path ever drops silently"
        )
    };
    // On a silent path the text says why the timeout is essential and what a
    // missing one costs; on another there is nothing to add.
    let timeout_reason = TimeoutReason {
        text: read_reason,
        covers_silent_drop: true,
    };
    let keepalive_idle_s = ((limit_s / 2.0).floor() as u64).clamp(1, 60);
    let checkout_timeout_s = (request - (request / 10).max(1)).max(1);

    let (pool, max_overflow_reason) = plan_pool(inputs, ran, &mut findings);
    let pool_size_reason = t.threads.map(|threads| {
        format!("{threads}: one connection per concurrent request ({threads} threads per process)")
    });
    let reasons = Reasons {
        recycle: recycle_reason(limit_s, recycle_s, &which),
        pre_ping: "check each connection before use, so one that died anyway (restart, failover, kill) is replaced, not handed to a request".into(),
        read_timeout: timeout_reason.clone(),
        write_timeout: timeout_reason,
        keepalive: keepalive_reason(
            keepalive_idle_s,
            silent,
            limit.as_ref().and_then(|l| l.keepalive_helps),
        ),
        connect_timeout: format!("{CONNECT_TIMEOUT_S} s: fail fast when the server is unreachable"),
        checkout_timeout: format!(
            "{checkout_timeout_s} s: give up waiting for a free connection before the {request} s request timeout"
        ),
        pool: max_overflow_reason
            .zip(pool_size_reason)
            .map(|(max_overflow, pool_size)| PoolReasons {
                pool_size,
                max_overflow,
            }),
    };

    if let Some(packet) = inputs.server.max_allowed_packet_bytes {
        if inputs.max_blob_bytes.is_some() {
            ran.push("max-allowed-packet-below-blob");
        }
        if inputs.framework.spec().driver.is_some() {
            ran.push("max-allowed-packet-below-driver-default");
        }
        if let Some(blob) = inputs.max_blob_bytes.filter(|b| *b >= packet) {
            findings.push(
                Finding::new(
                    "max-allowed-packet-below-blob",
                    Severity::Crit,
                    format!(
                        "the server's max_allowed_packet ({packet} bytes) does not fit the app's largest value \
                         ({blob} bytes, --max-blob): that write fails with error 1153 and drops the connection"
                    ),
                )
                .with("max_allowed_packet_bytes", packet)
                .with("max_blob_bytes", blob),
            );
        }
        if let Some(driver) = inputs
            .framework
            .spec()
            .driver
            .filter(|d| packet < d.max_allowed_packet_bytes)
        {
            let (default, driver) = (driver.max_allowed_packet_bytes, driver.name);
            findings.push(
                Finding::new(
                    "max-allowed-packet-below-driver-default",
                    Severity::Warn,
                    format!(
                        "the server's max_allowed_packet ({packet} bytes) is below {driver}'s client-side default \
                         ({default} bytes): the driver lets through statements the server then rejects (1153)"
                    ),
                )
                .with("max_allowed_packet_bytes", packet)
                .with("driver_default_bytes", default),
            );
        }
    }

    if let (Some(others), Some(c)) = (inputs.server.other_connections, &inputs.server.other_count) {
        notes.push(format!(
            "other clients: {others} connections (Threads_connected {}, minus poolcheck's own and the {} idle ones of the app's account '{}', which are the app's pool){}",
            c.threads_connected,
            c.account_idle,
            crate::db::sanitize(&c.account),
            if c.all_accounts_visible {
                ""
            } else {
                "; without the PROCESS privilege poolcheck sees only this account's threads, so the others are Threads_connected minus them, and a busy connection of the account counts as another client's"
            }
        ));
    }
    notes.extend(inputs.framework.spec().notes.iter().map(|n| n.to_string()));
    Recommendation {
        limit,
        candidates,
        recycle_s,
        pre_ping: true,
        silent_drop: silent,
        read_timeout_s: request,
        write_timeout_s: request,
        keepalive_idle_s,
        connect_timeout_s: CONNECT_TIMEOUT_S,
        pool,
        checkout_timeout_s,
        reasons,
        notes,
        findings,
    }
}

/// Compares the app's current settings with the recommendation: one finding per unsafe value.
pub fn check(
    current: &Current,
    rec: &Recommendation,
    inputs: &Inputs,
    keys: &CheckKeys,
) -> Vec<Finding> {
    check_noting(current, rec, inputs, keys, &mut Vec::new())
}

/// [`check`], noting in `ran` the id of each check it evaluates.
pub fn check_noting(
    current: &Current,
    rec: &Recommendation,
    inputs: &Inputs,
    keys: &CheckKeys,
    ran: &mut Vec<&'static str>,
) -> Vec<Finding> {
    ran.extend([
        "recycle-at-or-above-limit",
        "pre-ping-off",
        "read-timeout-missing-silent-drop",
    ]);
    if budget(inputs).is_some() {
        ran.push("pool-total-exceeds-budget");
    }
    let mut out = Vec::new();
    let limit_s = rec
        .limit
        .as_ref()
        .map_or(DEFAULT_WAIT_TIMEOUT_S as f64, |l| l.seconds);
    let which = rec
        .limit
        .as_ref()
        .map_or("assumed default".to_string(), short_label);
    // A pool closes a connection at its max age or its max idle time, whichever comes first.
    let longest_idle = match (current.recycle_s, current.idle_timeout_s) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    match longest_idle {
        Some(v) if v < limit_s => {}
        other => out.push(
            Finding::new(
                "recycle-at-or-above-limit",
                Severity::Crit,
                format!(
                    "{} lets connections sit idle {} but the idle limit is {limit_s:.0} s ({which}): a connection \
                     dies while idle and the next query on it fails with 2006/2013; set it to {}",
                    keys.recycle,
                    other.map_or("forever".to_string(), |v| format!("{v:.0} s")),
                    rec.recycle_s
                ),
            )
            .with("current_s", other.map_or(serde_json::Value::Null, |v| v.into()))
            .with("limit_s", limit_s)
            .with("recommended_s", rec.recycle_s),
        ),
    }
    if !current.pre_ping {
        out.push(Finding::new(
            "pre-ping-off",
            Severity::Warn,
            format!(
                "{} is off: a connection that died anyway (restart, failover, kill) is handed to a request, which fails",
                keys.pre_ping
            ),
        ));
    }
    if rec.silent_drop && current.read_timeout_s.is_none_or(|t| t > 900.0) {
        out.push(
            Finding::new(
                "read-timeout-missing-silent-drop",
                Severity::Crit,
                format!(
                    "no {} on a path that drops idle connections silently: a ping or query on a dropped connection \
                     hangs ~15 minutes; set it to {} s",
                    keys.read_timeout, rec.read_timeout_s
                ),
            )
            .with("recommended_s", rec.read_timeout_s),
        );
    }
    if let Some(b) = budget(inputs) {
        let t = inputs.topology;
        let total = current
            .max_per_process
            .map(|m| t.instances() * t.processes() * m);
        if total.is_none_or(|n| n > b) {
            out.push(
                Finding::new(
                    "pool-total-exceeds-budget",
                    Severity::Crit,
                    format!(
                        "{} instances x {} processes x {} = {} connections can exceed the budget of {b}: at peak, \
                         connects fail with 'Too many connections' (1040)",
                        t.instances(),
                        t.processes(),
                        current.max_per_process.map_or("unlimited".to_string(), |m| format!("{m} per pool")),
                        total.map_or("unbounded".to_string(), |n| n.to_string())
                    ),
                )
                .with("budget", b)
                .with("worst_case_total", total.map_or(serde_json::Value::Null, |n| n.into())),
            );
        }
    }
    out
}

/// A few words naming where a limit came from, for one-line messages.
pub fn short_label(c: &LimitCandidate) -> String {
    match c.source {
        LimitSource::SessionWaitTimeout => "the server's wait_timeout".into(),
        LimitSource::MeasuredCutoff => "measured by poolcheck probe".into(),
        LimitSource::Declared => "--idle-limit".into(),
        LimitSource::Hosting => {
            format!("{} preset", c.detail.split(' ').next().unwrap_or("hosting"))
        }
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
