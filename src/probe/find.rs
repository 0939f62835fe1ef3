//! `--find`: drives the pure cutoff-search planner with real connections and a
//! real clock. Tests run on background threads (a blackholed one takes the
//! whole --io-timeout and must not hold up tests that are due meanwhile);
//! every idle connection is peeked about every 100 ms, so a death the path
//! announces (server close, FIN, RST, error packet) is seen when it happens.

use super::Progress;
use super::conn::{ProbeConn, ProbeConnOptions, round3};
use super::model::{ConnResult, Outcome, Search};
use super::observation::{Crowding, Observation};
use super::planner::{Action, ConnId, Planner, PlannerConfig, Verdict as Seen};
use super::watch::ServerWatch;
use crate::target::ConnectSpec;
use crate::units::duration;
use anyhow::{Result, bail};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Opens that fail in a row before the search gives up.
const MAX_OPEN_FAILURES: usize = 3;
/// How often idle connections are peeked for announced deaths.
const POLL: Duration = Duration::from_millis(100);

/// A finished background test: the connection comes back when it survived.
struct Answer {
    id: ConnId,
    sent_at: Duration,
    answered_at: Duration,
    result: ConnResult,
    conn: ProbeConn,
}

struct Held {
    conn: ProbeConn,
    /// The last time a peek saw nothing waiting on it.
    quiet_at: Duration,
}

pub fn run_find(
    spec: &ConnectSpec,
    opts: &ProbeConnOptions,
    watch: &mut ServerWatch<'_>,
    config: PlannerConfig,
    stop: &AtomicBool,
    progress: &Progress<'_>,
) -> Result<Observation> {
    config
        .validate()
        .map_err(|e| crate::error::hinted(e.to_string(), "see `poolcheck probe --help`"))?;
    let started = Instant::now();
    let since = |t: Instant| t.duration_since(started);
    // A dead verdict on a silent path takes the whole io timeout; the planner
    // plans around that delay.
    let mut planner = Planner::with_dead_latency(config, opts.io_timeout);
    // Connections whose death the path announced: gone, but the planner may
    // still ask to test them, and the answer is known.
    let mut announced_dead: BTreeMap<ConnId, Duration> = BTreeMap::new();
    // The interval an announced death gives: (last quiet peek, death].
    let mut announced_estimate: Option<(Duration, Duration)> = None;
    let mut held: BTreeMap<ConnId, Held> = BTreeMap::new();
    let (tx, rx) = mpsc::channel::<Answer>();
    let mut in_flight = 0usize;
    let mut early: Option<Answer> = None;
    let mut run = Observation::default();
    let mut search = Search {
        max_s: config.max.as_secs_f64(),
        resolution_s: config.resolution.as_secs_f64(),
        max_connections: config.max_connections,
        connections_opened: 0,
        test_count: 0,
        most_open_at_once: 0,
        wall_s: 0.0,
    };
    // The search ended on a death the path announced: its interval is the
    // planner's estimate only otherwise.
    let mut announced_end: Option<super::planner::Estimate> = None;
    let mut open_failures = 0;
    let mut released = false;

    'search: loop {
        if stop.load(Ordering::SeqCst) {
            run.interrupted = true;
            break;
        }
        // Verdicts that came back.
        let mut learned = false;
        let mut fresh: Vec<ConnResult> = Vec::new();
        // An answer that woke the sleep below comes first, then any others.
        while let Some(a) = early.take().or_else(|| rx.try_recv().ok()) {
            in_flight -= 1;
            learned = true;
            let mut result = a.result;
            if result.outcome != Outcome::Blackholed {
                let seen = if result.outcome == Outcome::Alive {
                    Seen::Alive
                } else {
                    Seen::Dead
                };
                planner.tested(a.id, a.sent_at, seen, a.answered_at);
                if seen == Seen::Dead {
                    fresh.push(result);
                    continue;
                }
                held.insert(
                    a.id,
                    Held {
                        conn: a.conn,
                        quiet_at: a.answered_at,
                    },
                );
            } else {
                // No answer while the server itself stalled is no verdict
                // on the path (a frozen server sends no FIN, RST or error
                // packet): the planner loses the connection.
                match watch.stalled_during(started + a.sent_at, started + a.answered_at, stop) {
                    Ok(true) => {
                        result.during_stall = true;
                        planner.lost(a.id);
                    }
                    Ok(false) => planner.tested(a.id, a.sent_at, Seen::Dead, a.answered_at),
                    Err(e) if crate::signal::is_interrupted(&e) || stop.load(Ordering::SeqCst) => {
                        run.interrupted = true;
                        break 'search;
                    }
                    Err(e) => return Err(e),
                }
            }
            fresh.push(result);
        }
        // Deaths announced on idle connections.
        let now = since(Instant::now());
        let announced: Vec<(ConnId, Outcome)> = held
            .iter()
            .filter_map(|(id, h)| h.conn.announced_death().map(|o| (*id, o)))
            .collect();
        for (id, h) in held.iter_mut() {
            if !announced.iter().any(|(a, _)| a == id) {
                h.quiet_at = now;
            }
        }
        for (id, outcome) in announced {
            let h = held.remove(&id).expect("held connection");
            let born = since(h.conn.last_activity);
            let (quiet, died) = (h.quiet_at.saturating_sub(born), now.saturating_sub(born));
            if announced_estimate.is_none_or(|(_, hi)| died < hi) {
                announced_estimate = Some((quiet, died));
            }
            announced_dead.insert(id, born);
            learned = true;
            fresh.push(ConnResult {
                connection_id: h.conn.id,
                idle_s: round3(
                    now.saturating_sub(since(h.conn.last_activity))
                        .as_secs_f64(),
                ),
                outcome,
                detect_ms: 0.0,
                thread_on_server: None,
                during_stall: false,
            });
        }
        if !fresh.is_empty() {
            let recorded = watch.record_deaths(&mut fresh, &mut run.deaths, &mut run.zombies, stop);
            run.tests.extend(fresh);
            match recorded {
                Err(e) if crate::signal::is_interrupted(&e) || stop.load(Ordering::SeqCst) => {
                    run.interrupted = true;
                    break;
                }
                other => other?,
            }
            if watch.restart.is_some() {
                // Every connection held died with the server: nothing more
                // this search holds means anything.
                break;
            }
        }

        // A death the path announced pins the cutoff to one poll interval:
        // done, when that is as precise as asked.
        if let Some((quiet, died)) = announced_estimate {
            let goal = config.resolution.max(quiet.mul_f64(0.02));
            if died.saturating_sub(quiet) <= goal {
                announced_end = Some(super::planner::Estimate {
                    lo: quiet,
                    hi: Some(died),
                });
                break;
            }
        }
        let mut wait = None;
        let mut done = false;
        let actions = planner.next(since(Instant::now()));
        let opens = actions
            .iter()
            .filter(|a| matches!(a, Action::Open(_)))
            .count();
        if opens > 0 {
            // Other clients may have filled the server since the start: open
            // only within the same share of what is free now.
            match watch.may_open(held.len() + in_flight, opens, stop) {
                Ok(Ok(())) => {}
                Ok(Err(crowding)) => {
                    run.backed_off = Some(crowding);
                    break;
                }
                Err(e) if crate::signal::is_interrupted(&e) || stop.load(Ordering::SeqCst) => {
                    run.interrupted = true;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        for action in actions {
            match action {
                Action::Test(id) if announced_dead.contains_key(&id) => {
                    // Known dead: answer at once, at its current age.
                    let now = since(Instant::now());
                    planner.tested(id, now, Seen::Dead, now);
                    announced_dead.remove(&id);
                    learned = true;
                }
                Action::Test(id) => {
                    let Some(h) = held.remove(&id) else { continue };
                    let tx = tx.clone();
                    let sent_at = since(Instant::now());
                    in_flight += 1;
                    let spawned = std::thread::Builder::new()
                        .name("poolcheck-test".into())
                        .spawn(move || {
                            let mut conn = h.conn;
                            let result = conn.test();
                            let answered_at = started.elapsed();
                            let _ = tx.send(Answer {
                                id,
                                sent_at,
                                answered_at,
                                result,
                                conn,
                            });
                        });
                    if let Err(e) = spawned {
                        bail!("could not start a probe test thread: {e}");
                    }
                }
                Action::Open(id) => match ProbeConn::open(spec, opts) {
                    Ok(conn) => {
                        open_failures = 0;
                        run.session_wait_timeout_s
                            .get_or_insert(conn.session_wait_timeout_s);
                        let at = since(conn.last_activity);
                        planner.opened(id, at);
                        held.insert(id, Held { conn, quiet_at: at });
                        search.connections_opened += 1;
                    }
                    Err(e) if crate::signal::is_interrupted(&e) => {
                        run.interrupted = true;
                        break 'search;
                    }
                    Err(e) if matches!(crate::db::server_code(&e), Some(1040 | 1203)) => {
                        run.backed_off = Some(Crowding {
                            threads_connected: watch.max_connections(),
                            max_connections: watch.max_connections(),
                        });
                        break 'search;
                    }
                    Err(e) => {
                        open_failures += 1;
                        planner.open_failed(id, since(Instant::now()));
                        if open_failures >= MAX_OPEN_FAILURES {
                            return Err(e.context(
                                "could not open probe connections during the cutoff search",
                            ));
                        }
                    }
                },
                Action::Close(id) => {
                    held.remove(&id);
                    announced_dead.remove(&id);
                }
                Action::WaitUntil(t) => wait = Some(t),
                Action::Done(_) => done = true,
            }
        }
        if !released && opens > 0 {
            // The first connections are open: the next probe may read the room.
            watch.release_lock(stop);
            released = true;
        }
        let open_now = held.len() + in_flight;
        search.most_open_at_once = search.most_open_at_once.max(open_now);
        if open_now > config.max_connections {
            bail!("internal error: the cutoff search held more than --max-connections");
        }
        if done && in_flight == 0 {
            break;
        }
        if learned {
            continue;
        }
        // Sleep until the planner's next event, an answer, or the next poll.
        let estimate = planner.estimate();
        let status = match estimate.hi {
            Some(hi) => format!("cutoff in ({}, {}]", duration(estimate.lo), duration(hi)),
            None if estimate.lo.is_zero() => "nothing tested yet".to_string(),
            None => format!("alive after {} idle", duration(estimate.lo)),
        };
        progress(
            started.elapsed(),
            &format!("searching; {open_now} connections open, {status}"),
        );
        let until = wait
            .map_or(POLL, |t| t.saturating_sub(started.elapsed()))
            .min(POLL);
        early = rx.recv_timeout(until).ok();
    }
    run.estimate = Some(if watch.restart.is_some() {
        // Survivals before the restart still hold; deaths around it do not.
        super::planner::Estimate {
            lo: planner.estimate().lo,
            hi: None,
        }
    } else {
        announced_end.unwrap_or_else(|| planner.estimate())
    });
    search.wall_s = round3(started.elapsed().as_secs_f64());
    search.test_count = run.tests.len();
    run.search = Some(search);
    Ok(run)
}
