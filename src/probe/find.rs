//! `--find`: drives the pure cutoff-search planner with real connections and a
//! real clock. The planner decides when to open and test; this module does it,
//! records what happened, and checks dead probes' threads on the server.

use super::conn::{record_deaths, wait_until, ProbeConn, ProbeConnOptions};
use super::model::{ConnResult, Outcome, Search};
use super::planner::{Action, ConnId, Planner, PlannerConfig, Verdict as Seen};
use super::rungs::{human, test_all};
use super::verdict::DeathCheck;
use super::Progress;
use crate::target::ConnectSpec;
use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

pub struct FindRun {
    pub tests: Vec<ConnResult>,
    pub deaths: Vec<DeathCheck>,
    pub zombies: Vec<u32>,
    pub session_wait_timeout_s: Option<u64>,
    pub search: Search,
    pub interrupted: bool,
}

/// Opens that fail in a row before the search gives up.
const MAX_OPEN_FAILURES: usize = 3;

pub fn run_find(
    spec: &ConnectSpec,
    opts: &ProbeConnOptions,
    config: PlannerConfig,
    stop: &AtomicBool,
    progress: &Progress<'_>,
) -> Result<FindRun> {
    let started = Instant::now();
    let since = |t: Instant| t.duration_since(started);
    let mut planner = Planner::new(config.clone());
    let mut conns: BTreeMap<ConnId, ProbeConn> = BTreeMap::new();
    let mut run = FindRun {
        tests: Vec::new(),
        deaths: Vec::new(),
        zombies: Vec::new(),
        session_wait_timeout_s: None,
        search: Search {
            max_s: config.max.as_secs_f64(),
            resolution_s: config.resolution.as_secs_f64(),
            max_connections: config.max_connections,
            connections_opened: 0,
            test_count: 0,
            most_open_at_once: 0,
            wall_s: 0.0,
        },
        interrupted: false,
    };
    let mut open_failures = 0;

    loop {
        if crate::signal::interrupted() {
            run.interrupted = true;
            break;
        }
        let actions = planner.next(since(Instant::now()));
        let mut to_test = Vec::new();
        let mut to_open = Vec::new();
        let mut wait = None;
        let mut done = false;
        for action in actions {
            match action {
                Action::Test(id) => to_test.push(id),
                Action::Open(id) => to_open.push(id),
                Action::Close(id) => {
                    conns.remove(&id);
                }
                Action::WaitUntil(t) => wait = Some(t),
                Action::Done(_) => done = true,
            }
        }

        // Tests first: they are due now, and opens take time.
        if !to_test.is_empty() {
            test_batch(spec, opts, &mut planner, &mut conns, &to_test, started, &mut run)?;
        }
        for id in to_open {
            match ProbeConn::open(spec, opts) {
                Ok(conn) => {
                    open_failures = 0;
                    run.session_wait_timeout_s.get_or_insert(conn.session_wait_timeout_s);
                    planner.opened(id, since(conn.last_activity));
                    conns.insert(id, conn);
                    run.search.connections_opened += 1;
                }
                Err(e) => {
                    open_failures += 1;
                    planner.open_failed(id, since(Instant::now()));
                    if open_failures >= MAX_OPEN_FAILURES {
                        return Err(e.context("could not open probe connections during the cutoff search"));
                    }
                }
            }
        }
        run.search.most_open_at_once = run.search.most_open_at_once.max(conns.len());
        if conns.len() > config.max_connections {
            bail!("internal error: the cutoff search opened more than --max-connections");
        }
        if done {
            break;
        }
        if let Some(t) = wait {
            let estimate = planner.estimate();
            let status = match estimate.hi {
                Some(hi) => format!("cutoff in ({}, {}]", human(estimate.lo), human(hi)),
                None => format!("alive after {} idle", human(estimate.lo)),
            };
            let message = format!("searching; {} connections open, {status}", conns.len());
            if !wait_until(started + t, stop, || progress(started.elapsed(), &message)) {
                run.interrupted = true;
                break;
            }
        }
    }
    run.search.wall_s = super::conn::round3(started.elapsed().as_secs_f64());
    run.search.test_count = run.tests.len();
    Ok(run)
}

/// Tests the given connections at once and tells the planner what it saw.
fn test_batch(
    spec: &ConnectSpec,
    opts: &ProbeConnOptions,
    planner: &mut Planner,
    conns: &mut BTreeMap<ConnId, ProbeConn>,
    ids: &[ConnId],
    started: Instant,
    run: &mut FindRun,
) -> Result<()> {
    let sent_at = started.elapsed();
    let (order, mut batch): (Vec<ConnId>, Vec<ProbeConn>) = ids
        .iter()
        .filter_map(|id| conns.remove(id).map(|c| (*id, c)))
        .unzip();
    let mut results = test_all(&mut batch);
    let answered_at = started.elapsed();
    for ((id, conn), result) in order.into_iter().zip(batch).zip(results.iter()) {
        let alive = result.outcome == Outcome::Alive;
        // An unexplained error makes the connection unusable too: the planner
        // stops counting on it (the cutoff itself ignores such results).
        let seen = if alive { Seen::Alive } else { Seen::Dead };
        planner.tested(id, sent_at, seen, answered_at);
        if alive {
            conns.insert(id, conn);
        }
    }
    record_deaths(spec, opts.io_timeout, &mut results, &mut run.deaths, &mut run.zombies)?;
    run.tests.extend(results);
    Ok(())
}
