//! Pure: the cutoff interval, who cut the connections, and every probe
//! finding, from what a run observed.

use super::model::{ConnResult, Cutoff, Outcome, Reconnects, Verdict};
use super::observation::{DeathCheck, Observation};
use crate::finding::{Finding, Severity};

/// What the observations mean.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub cutoff: Cutoff,
    pub verdict: Verdict,
    pub verdict_reason: String,
    /// Connections that died at an idle age others survived (a KILL, an
    /// idle-killer); the restart's casualties are not among them.
    pub kills: Vec<u32>,
    /// The wait_timeout the probe connections had.
    pub session_wait_timeout_s: u64,
}

/// Every test result of the run that is evidence about the path, rungs
/// first: deaths during a stall of the server itself are left out.
fn all_results(obs: &Observation) -> Vec<&ConnResult> {
    obs.rungs
        .iter()
        .flat_map(|r| r.connections.iter())
        .chain(obs.tests.iter())
        .filter(|r| !r.during_stall)
        .collect()
}

/// The deaths a stall of the server explains.
fn stalled_ids(obs: &Observation) -> Vec<u32> {
    obs.rungs
        .iter()
        .flat_map(|r| r.connections.iter())
        .chain(obs.tests.iter())
        .filter(|r| r.during_stall)
        .map(|r| r.connection_id)
        .collect()
}

/// The cutoff, who made it, and why; `wait_timeout_global_s` stands in when
/// no probe connection reported its session value.
pub fn judge(obs: &Observation, wait_timeout_global_s: u64) -> Judgement {
    let all = all_results(obs);
    // A rung's stalled deaths are not its survivors' neighbours: `killed`
    // only looks at the results kept.
    let rungs_kept: Vec<super::model::Rung> = obs
        .rungs
        .iter()
        .map(|r| super::model::Rung {
            idle_s: r.idle_s,
            connections: r
                .connections
                .iter()
                .filter(|c| !c.during_stall)
                .cloned()
                .collect(),
        })
        .collect();
    let mut killed = killed(&all, &rungs_kept);
    // The restart's casualties are left out of the cutoff like a KILL's.
    let restart_ids: &[u32] = obs.restart.as_ref().map_or(&[], |r| &r.connection_ids);
    killed.retain(|id| !restart_ids.contains(id));
    let kills = killed.clone();
    killed.extend_from_slice(restart_ids);
    let mut cutoff = cutoff_from(&all, &killed);
    if let Some(e) = obs.estimate {
        // The planner may know a tighter lower bound (a quiet peek just before
        // an announced death); keep it only where it agrees with the results.
        let lo = e.lo.as_secs_f64();
        if cutoff.hi_s.is_none_or(|hi| lo < hi) && lo > cutoff.lo_s {
            cutoff.lo_s = super::conn::round3(lo);
        }
    }
    let session_wait = obs.session_wait_timeout_s.unwrap_or(wait_timeout_global_s);
    let (verdict, mut verdict_reason) = decide(&obs.deaths, &killed, &cutoff, session_wait);
    let stalled = stalled_ids(obs);
    if !stalled.is_empty() && obs.deaths.is_empty() {
        verdict_reason = format!(
            "the server itself stopped answering for a while during the probe (its own control \
             connection waited too): the {} test(s) that failed meanwhile say nothing about an idle \
             limit, and every other test survived",
            stalled.len()
        );
    }
    if let Some(r) = &obs.restart
        && obs.deaths.is_empty()
    {
        verdict_reason = format!(
            "the server restarted during the probe (Uptime {} s when noticed): its {} connection(s) \
             died with it, which says nothing about an idle limit",
            r.uptime_after_s,
            r.connection_ids.len()
        );
    }
    Judgement {
        cutoff,
        verdict,
        verdict_reason,
        kills,
        session_wait_timeout_s: session_wait,
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The id of every check [`findings`] evaluates, in the order it reports them.
pub const CHECKS: &[&str] = &[
    "idle-cutoff-short",
    "middlebox-cutoff-below-wait-timeout",
    "silent-drop",
    "server-error-on-idle",
    "zombie-connections",
    "reconnect-failures",
    "server-restarted",
    "probe-backed-off",
    "server-stalled",
    "connection-killed",
];

/// The checks a probe run evaluated: every one of [`CHECKS`] runs on what the
/// run observed, except the reconnect check when no reconnects were timed.
pub fn checks_evaluated(report: &super::model::ProbeReport) -> Vec<String> {
    CHECKS
        .iter()
        .filter(|id| **id != "reconnect-failures" || report.reconnects.is_some())
        .map(|id| id.to_string())
        .collect()
}

/// Every finding of a probe run.
pub fn findings(obs: &Observation, j: &Judgement) -> Vec<Finding> {
    let classes: Vec<Outcome> = all_results(obs).iter().map(|r| r.outcome.clone()).collect();
    let mut out = path_findings(
        &j.cutoff,
        j.verdict,
        &classes,
        &obs.zombies,
        j.session_wait_timeout_s,
        obs.reconnects.as_ref(),
    );
    if let Some(r) = &obs.restart {
        out.push(
            Finding::new(
                "server-restarted",
                Severity::Warn,
                format!(
                    "the server restarted while the probe ran (noticed {:.0} s in; Uptime was {} s, then {} s): {}; \
                     run the probe again for a full measurement",
                    r.noticed_after_s,
                    r.uptime_before_s,
                    r.uptime_after_s,
                    if r.connection_ids.is_empty() {
                        "no probe connection died with it".to_string()
                    } else {
                        format!(
                            "the {} probe connection(s) that died with it are left out of the cutoff",
                            r.connection_ids.len()
                        )
                    }
                ),
            )
            .with("uptime_after_s", r.uptime_after_s)
            .with("connection_ids", r.connection_ids.clone()),
        );
    }
    if let Some(c) = obs.backed_off {
        out.push(
            Finding::new(
                "probe-backed-off",
                Severity::Warn,
                format!(
                    "other clients brought the server to {} of {} connections during the probe: poolcheck \
                     stopped opening connections so as not to take the last free ones{}; the results are partial",
                    c.threads_connected,
                    c.max_connections,
                    if obs.search.is_some() {
                        " and ended the search early"
                    } else if obs.reconnects.is_none() {
                        " and skipped the reconnect timing"
                    } else {
                        ""
                    }
                ),
            )
            .with("threads_connected", c.threads_connected)
            .with("max_connections", c.max_connections),
        );
    }
    if let Some(longest) = obs
        .stalls
        .iter()
        .map(|s| s.to_s - s.from_s)
        .max_by(f64::total_cmp)
    {
        let ids = stalled_ids(obs);
        out.push(
            Finding::new(
                "server-stalled",
                Severity::Warn,
                format!(
                    "the server itself stopped answering during the probe ({} time(s), up to {longest:.1} s; \
                     its own control connection waited too): a frozen server (a paused VM or container, \
                     SIGSTOP, swapping, stuck storage) is no idle cutoff; {} test(s) that failed meanwhile \
                     are left out of the cutoff and the verdict",
                    obs.stalls.len(),
                    ids.len()
                ),
            )
            .with("stalls", obs.stalls.len())
            .with("longest_stall_s", round1(longest))
            .with("connection_ids", ids),
        );
    }
    if !j.kills.is_empty() {
        out.push(
            Finding::new(
                "connection-killed",
                Severity::Warn,
                format!(
                    "{} probe connection(s) died at an idle age that others survived: something closed \
                     them that is no idle limit (a KILL, an idle-connection killer such as pt-kill, a \
                     restart); pools see the same as a sudden 2006/2013",
                    j.kills.len()
                ),
            )
            .with("connection_ids", j.kills.clone()),
        );
    }
    out
}

/// The tightest interval the observations support: above every idle age that
/// survived, at most the shortest idle age that died later than that. A death
/// at an age another connection outlived is no idle cutoff (see [`killed`]).
pub fn cutoff_from(results: &[&ConnResult], killed: &[u32]) -> Cutoff {
    let lo = longest_survived(results);
    let hi = results
        .iter()
        .filter(|r| r.outcome.is_death() && r.idle_s > lo && !killed.contains(&r.connection_id))
        .map(|r| r.idle_s)
        .fold(None, |acc: Option<f64>, v| {
            Some(acc.map_or(v, |a| a.min(v)))
        });
    Cutoff { lo_s: lo, hi_s: hi }
}

fn longest_survived(results: &[&ConnResult]) -> f64 {
    results
        .iter()
        .filter(|r| r.outcome == Outcome::Alive)
        .map(|r| r.idle_s)
        .fold(0.0, f64::max)
}

/// Deaths at an idle age that another connection survived: an idle limit kills
/// every connection idle that long, so these were closed by something else
/// (a KILL, an idle-connection killer such as pt-kill, a restart).
/// Within one `--idle` rung the ages are equal but for the milliseconds the
/// opens took, so survivors next to deaths there mean kills too.
pub fn killed(results: &[&ConnResult], rungs: &[super::model::Rung]) -> Vec<u32> {
    let lo = longest_survived(results);
    let mut out: Vec<u32> = results
        .iter()
        .filter(|r| r.outcome.is_death() && r.idle_s <= lo)
        .map(|r| r.connection_id)
        .collect();
    for rung in rungs {
        if rung.connections.iter().any(|c| c.outcome == Outcome::Alive) {
            out.extend(
                rung.connections
                    .iter()
                    .filter(|c| c.outcome.is_death() && !out.contains(&c.connection_id))
                    .map(|c| c.connection_id)
                    .collect::<Vec<_>>(),
            );
        }
    }
    out
}

/// Decides who cut the connections.
///
/// - A thread the server still holds after the client side died: a middlebox
///   dropped the flow (the server would have closed its own thread).
/// - An idle-timeout error packet (4031): the server.
/// - Threads gone, and the connections died clearly before the server's own
///   wait_timeout: something on the path closed both sides (load balancers that
///   reset both ends do this). An idle-killer script (pt-kill) looks the same,
///   and the reason says so.
/// - Otherwise the cutoff matches the server's limit: the server.
/// - Deaths in `killed` (at ages others survived) are no idle cutoff; when they
///   are all there is, the server side closed them.
pub fn decide(
    deaths: &[DeathCheck],
    killed: &[u32],
    cutoff: &Cutoff,
    session_wait_timeout_s: u64,
) -> (Verdict, String) {
    let idle_deaths: Vec<&DeathCheck> = deaths
        .iter()
        .filter(|d| !killed.contains(&d.connection_id))
        .collect();
    if idle_deaths.is_empty() && !killed.is_empty() {
        return (
            Verdict::Server,
            format!(
                "{} connection(s) were closed at an idle age others survived: not an idle timeout \
                 but a KILL, an idle-connection killer or a restart on the server side",
                killed.len()
            ),
        );
    }
    let deaths = idle_deaths;
    if deaths.is_empty() {
        return (
            Verdict::None,
            format!(
                "every connection survived the longest idle time tested ({:.1} s)",
                cutoff.lo_s
            ),
        );
    }
    let wait = session_wait_timeout_s as f64;
    if deaths.iter().any(|d| d.thread_on_server) {
        return (
            Verdict::Middlebox,
            "the server still held the dead connections' threads: something between client and server dropped them".into(),
        );
    }
    if deaths.iter().any(|d| {
        matches!(
            d.outcome,
            Outcome::ServerError {
                code: Some(4031),
                ..
            }
        )
    }) {
        return (
            Verdict::Server,
            "the server sent error 4031 (idle timeout) before closing".into(),
        );
    }
    let margin = (wait * 0.05).max(1.0);
    match cutoff.hi_s {
        Some(hi) if hi + margin <= wait => (
            Verdict::Middlebox,
            format!(
                "connections died after at most {hi:.1} s idle, before the server's {wait:.0} s wait_timeout, and \
                 both ends were closed: a proxy or load balancer on the path; an idle-killer such as pt-kill would look the same"
            ),
        ),
        _ => (
            Verdict::Server,
            format!(
                "the cutoff matches the server's {wait:.0} s wait_timeout and the server closed the threads"
            ),
        ),
    }
}

/// Below this, a cutoff breaks most pools' defaults and even many tuned ones.
const SHORT_CUTOFF_S: f64 = 600.0;

/// The findings about the path itself: the cutoff, how connections died, the
/// reconnects.
fn path_findings(
    cutoff: &Cutoff,
    verdict: Verdict,
    classes: &[Outcome],
    zombies: &[u32],
    session_wait_timeout_s: u64,
    reconnects: Option<&Reconnects>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(hi) = cutoff.hi_s {
        if hi < SHORT_CUTOFF_S {
            out.push(
                Finding::new(
                    "idle-cutoff-short",
                    if hi < 60.0 { Severity::Crit } else { Severity::Warn },
                    format!(
                        "idle connections die after {:.1}-{hi:.1} s on this path: a pool must recycle them sooner and pre-ping",
                        cutoff.lo_s
                    ),
                )
                .with("cutoff_lo_s", cutoff.lo_s)
                .with("cutoff_hi_s", hi),
            );
        }
        if verdict == Verdict::Middlebox && hi < session_wait_timeout_s as f64 {
            out.push(
                Finding::new(
                    "middlebox-cutoff-below-wait-timeout",
                    Severity::Warn,
                    format!(
                        "something between client and server ends idle connections at about {hi:.0} s, before the server's \
                         {session_wait_timeout_s} s wait_timeout: size pool recycling to the path, not to the server"
                    ),
                )
                .with("cutoff_hi_s", hi)
                .with("wait_timeout_session_s", session_wait_timeout_s),
            );
        }
    }
    if classes.contains(&Outcome::Blackholed) {
        out.push(Finding::new(
            "silent-drop",
            Severity::Crit,
            "idle connections are dropped silently: a ping on one hangs until TCP gives up (about 15 minutes on \
             Linux) unless the driver has a read timeout, so pre-ping alone does not help",
        ));
    }
    if let Some(code) = classes.iter().find_map(|c| match c {
        Outcome::ServerError { code, .. } => Some(*code),
        _ => None,
    }) {
        let mut f = Finding::new(
            "server-error-on-idle",
            Severity::Info,
            "the server sends an error packet when it closes an idle connection; many drivers misreport it \
             (\"packets out of sync\", \"lost connection\")",
        );
        if let Some(code) = code {
            f = f.with("error_code", code);
        }
        out.push(f);
    }
    if !zombies.is_empty() {
        out.push(
            Finding::new(
                "zombie-connections",
                Severity::Warn,
                format!(
                    "{} dropped connection(s) still hold a server thread until wait_timeout ({session_wait_timeout_s} s), \
                     counting against max_connections",
                    zombies.len()
                ),
            )
            .with("zombies", zombies.len())
            .with("wait_timeout_session_s", session_wait_timeout_s),
        );
    }
    if let Some(r) = reconnects.filter(|r| r.failures > 0) {
        {
            out.push(
                Finding::new(
                    "reconnect-failures",
                    Severity::Warn,
                    if r.restarted {
                        format!(
                            "{} of {} fresh connections failed: the server restarted during the reconnect \
                             timing, which stopped there (see server-restarted)",
                            r.failures, r.attempts
                        )
                    } else {
                        format!("{} of {} fresh connections failed", r.failures, r.attempts)
                    },
                )
                .with("failures", r.failures)
                .with("attempts", r.attempts),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`CHECKS`] names every finding this file can make, and nothing else.
    #[test]
    fn checks_list_every_finding_made_here() {
        let source = include_str!("verdict.rs");
        let source = source.split("#[cfg(test)]").next().unwrap_or_default();
        let literal = regex::Regex::new(r#"Finding::new\(\s*"([a-z0-9-]+)""#).expect("regex");
        let mut made: Vec<&str> = literal
            .captures_iter(source)
            .map(|c| c.get(1).expect("group").as_str())
            .collect();
        let mut listed = CHECKS.to_vec();
        made.sort_unstable();
        listed.sort_unstable();
        assert_eq!(made, listed);
    }

    fn r(idle: f64, outcome: Outcome) -> ConnResult {
        ConnResult {
            connection_id: 1,
            idle_s: idle,
            outcome,
            detect_ms: 1.0,
            thread_on_server: None,
            during_stall: false,
        }
    }

    #[test]
    fn cutoff_interval() {
        let a = r(2.0, Outcome::Alive);
        let b = r(4.0, Outcome::Reset);
        let c = r(6.0, Outcome::Reset);
        let d = r(3.0, Outcome::Alive);
        let e = r(
            1.0,
            Outcome::Error {
                message: "x".into(),
            },
        );
        let cut = cutoff_from(&[&a, &b, &c, &d, &e], &[]);
        assert_eq!(
            cut,
            Cutoff {
                lo_s: 3.0,
                hi_s: Some(4.0)
            }
        );
        assert_eq!(
            cutoff_from(&[&a], &[]),
            Cutoff {
                lo_s: 2.0,
                hi_s: None
            }
        );
    }

    fn death(outcome: Outcome, on_server: bool) -> DeathCheck {
        DeathCheck {
            connection_id: 1,
            outcome,
            thread_on_server: on_server,
        }
    }

    #[test]
    fn verdicts() {
        let cut = |hi| Cutoff {
            lo_s: hi - 0.5,
            hi_s: Some(hi),
        };
        assert_eq!(
            decide(
                &[],
                &[],
                &Cutoff {
                    lo_s: 10.0,
                    hi_s: None
                },
                5
            )
            .0,
            Verdict::None
        );
        // Zombie thread: middlebox.
        assert_eq!(
            decide(&[death(Outcome::Reset, true)], &[], &cut(3.2), 5).0,
            Verdict::Middlebox
        );
        // 4031: server.
        let e = Outcome::ServerError {
            code: Some(4031),
            message: String::new(),
        };
        assert_eq!(
            decide(&[death(e, false)], &[], &cut(9.0), 8).0,
            Verdict::Server
        );
        // Threads gone, died well before the server's limit: both ends closed on the path.
        assert_eq!(
            decide(&[death(Outcome::Closed, false)], &[], &cut(3.0), 5).0,
            Verdict::Middlebox
        );
        assert_eq!(
            decide(&[death(Outcome::Reset, false)], &[], &cut(300.0), 28800).0,
            Verdict::Middlebox
        );
        // Threads gone, cutoff at the server's limit: the server.
        assert_eq!(
            decide(&[death(Outcome::Reset, false)], &[], &cut(5.0), 5).0,
            Verdict::Server
        );
        assert_eq!(
            decide(&[death(Outcome::Reset, false)], &[], &cut(4.5), 5).0,
            Verdict::Server
        );
        assert_eq!(
            decide(&[death(Outcome::Reset, false)], &[], &cut(6.0), 5).0,
            Verdict::Server
        );
        assert_eq!(
            decide(&[death(Outcome::Reset, false)], &[], &cut(28000.0), 28800).0,
            Verdict::Server
        );
    }

    #[test]
    fn deaths_at_ages_others_survived_are_kills() {
        let mut dead = r(4.0, Outcome::Closed);
        dead.connection_id = 9;
        let alive = r(4.0, Outcome::Alive);
        let later = r(7.0, Outcome::Reset);
        assert_eq!(killed(&[&dead, &alive], &[]), vec![9]);
        assert_eq!(
            cutoff_from(&[&dead, &alive], &[9]),
            Cutoff {
                lo_s: 4.0,
                hi_s: None
            }
        );
        assert_eq!(cutoff_from(&[&dead, &alive, &later], &[9]).hi_s, Some(7.0));
        // In one rung, a death a millisecond "older" than a survivor is a kill too.
        let mut late = r(4.001, Outcome::Closed);
        late.connection_id = 11;
        let rung = crate::probe::Rung {
            idle_s: 4.0,
            connections: vec![alive.clone(), late.clone()],
        };
        assert_eq!(killed(&[&alive, &late], &[rung]), vec![11]);
        let d = DeathCheck {
            connection_id: 9,
            outcome: Outcome::Closed,
            thread_on_server: false,
        };
        let (v, why) = decide(
            std::slice::from_ref(&d),
            &[9],
            &Cutoff {
                lo_s: 4.0,
                hi_s: None,
            },
            60,
        );
        assert_eq!(v, Verdict::Server);
        assert!(why.contains("KILL"), "{why}");
        // A real cutoff next to a kill still decides by the cutoff.
        let other = DeathCheck {
            connection_id: 10,
            outcome: Outcome::Reset,
            thread_on_server: true,
        };
        assert_eq!(
            decide(
                &[d, other],
                &[9],
                &Cutoff {
                    lo_s: 4.0,
                    hi_s: Some(7.0)
                },
                60
            )
            .0,
            Verdict::Middlebox
        );
    }

    #[test]
    fn finding_rules() {
        let ids = |f: Vec<Finding>| {
            f.into_iter()
                .map(|f| (f.id, f.severity))
                .collect::<Vec<_>>()
        };
        let cut = Cutoff {
            lo_s: 2.9,
            hi_s: Some(3.0),
        };
        let got = ids(path_findings(
            &cut,
            Verdict::Middlebox,
            &[Outcome::Blackholed],
            &[7],
            28800,
            None,
        ));
        assert_eq!(
            got,
            vec![
                ("idle-cutoff-short".to_string(), Severity::Crit),
                (
                    "middlebox-cutoff-below-wait-timeout".to_string(),
                    Severity::Warn
                ),
                ("silent-drop".to_string(), Severity::Crit),
                ("zombie-connections".to_string(), Severity::Warn),
            ]
        );
        let cut = Cutoff {
            lo_s: 340.0,
            hi_s: Some(350.0),
        };
        let e = Outcome::ServerError {
            code: Some(4031),
            message: String::new(),
        };
        let got = ids(path_findings(&cut, Verdict::Server, &[e], &[], 350, None));
        assert_eq!(
            got,
            vec![
                ("idle-cutoff-short".to_string(), Severity::Warn),
                ("server-error-on-idle".to_string(), Severity::Info)
            ]
        );
        let none = Cutoff {
            lo_s: 900.0,
            hi_s: None,
        };
        let rc = Reconnects {
            attempts: 10,
            failures: 2,
            tcp_connect_ms: None,
            handshake_auth_ms: None,
            first_query_ms: None,
            errors: vec![],
            restarted: false,
        };
        assert_eq!(
            ids(path_findings(
                &none,
                Verdict::None,
                &[Outcome::Alive],
                &[],
                28800,
                Some(&rc)
            )),
            vec![("reconnect-failures".to_string(), Severity::Warn)]
        );
    }
}
