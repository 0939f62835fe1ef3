//! `--idle 60s,120s,300s`: every rung's connections are opened together and
//! held at the same time, so the wall time is the longest rung, not the sum.

use super::Progress;
use super::conn::{ProbeConn, ProbeConnOptions, test_all, wait_until};
use super::model::{ConnResult, Rung};
use super::observation::Observation;
use super::watch::ServerWatch;
use crate::target::ConnectSpec;
use anyhow::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Probe connections opened between two room checks.
const BATCH: usize = 8;

pub fn run_rungs(
    spec: &ConnectSpec,
    opts: &ProbeConnOptions,
    watch: &mut ServerWatch<'_>,
    idles: &[Duration],
    per_rung: usize,
    stop: &AtomicBool,
    progress: &Progress<'_>,
) -> Result<Observation> {
    let started = Instant::now();
    let mut order: Vec<usize> = (0..idles.len()).collect();
    order.sort_by_key(|&i| idles[i]);
    let mut run = Observation::default();

    // Open everything first; an early error drops (closes) whatever was opened.
    // The room was checked for all of them at the start; every BATCH opens
    // it is checked again (other clients may fill the server meanwhile), and
    // the probe stops opening rather than take more than its share.
    let mut pools: Vec<Vec<ProbeConn>> = Vec::with_capacity(idles.len());
    let mut opened = 0;
    let total = order.len() * per_rung;
    'open: for _ in &order {
        let mut pool = Vec::with_capacity(per_rung);
        for _ in 0..per_rung {
            if stop.load(Ordering::SeqCst) {
                run.interrupted = true;
                return Ok(run);
            }
            if opened > 0 && opened % BATCH == 0 {
                match watch.may_open(opened, BATCH.min(total - opened), stop) {
                    Ok(Ok(())) => {}
                    Ok(Err(crowding)) => {
                        run.backed_off = Some(crowding);
                        pools.push(pool);
                        break 'open;
                    }
                    Err(e) if crate::signal::is_interrupted(&e) || stop.load(Ordering::SeqCst) => {
                        run.interrupted = true;
                        return Ok(run);
                    }
                    Err(e) => return Err(e),
                }
            }
            let conn = match ProbeConn::open(spec, opts) {
                Ok(c) => c,
                Err(e) if crate::signal::is_interrupted(&e) => {
                    run.interrupted = true;
                    return Ok(run);
                }
                Err(e) => return Err(refused_while_opening(e, opened)),
            };
            opened += 1;
            run.session_wait_timeout_s
                .get_or_insert(conn.session_wait_timeout_s);
            pool.push(conn);
        }
        pools.push(pool);
    }
    watch.release_lock(stop);
    let longest = idles.iter().max().copied().unwrap_or_default();

    for (pool, &rung_index) in pools.iter_mut().zip(&order) {
        if pool.is_empty() {
            continue;
        }
        let idle = idles[rung_index];
        let newest = pool
            .iter()
            .map(|c| c.last_activity)
            .max()
            .unwrap_or(started);
        let waited = wait_until(newest + idle, stop, || {
            progress(
                started.elapsed(),
                &format!(
                    "holding {} connections idle, longest rung {}",
                    per_rung * idles.len(),
                    crate::units::duration(longest)
                ),
            )
        });
        if !waited {
            run.interrupted = true;
            break;
        }
        // The tested connections stay open until their threads have been
        // looked up (closing one would end its server thread), then close.
        let tested_from = Instant::now();
        let (mut results, _tested, complete) = test_all(std::mem::take(pool), stop);
        if !complete {
            run.interrupted = true;
        }
        let checked = mark_stalled(watch, &mut results, tested_from, stop).and_then(|()| {
            watch.record_deaths(&mut results, &mut run.deaths, &mut run.zombies, stop)
        });
        match checked {
            Err(e) if crate::signal::is_interrupted(&e) || stop.load(Ordering::SeqCst) => {
                run.interrupted = true;
            }
            other => other?,
        }
        run.rungs.push(Rung {
            idle_s: idle.as_secs_f64(),
            connections: results,
        });
        if run.interrupted {
            break;
        }
    }
    Ok(run)
}

/// Marks the unanswered tests among `results` (tested from `from` until now)
/// that the server's own stall explains.
pub fn mark_stalled(
    watch: &mut ServerWatch<'_>,
    results: &mut [ConnResult],
    from: Instant,
    stop: &AtomicBool,
) -> Result<()> {
    // Only a test that got no answer can be the server's stall: a frozen
    // server sends no FIN, RST or error packet.
    let unanswered = |r: &ConnResult| r.outcome == super::model::Outcome::Blackholed;
    if !results.iter().any(unanswered) {
        return Ok(());
    }
    if watch.stalled_during(from, Instant::now(), stop)? {
        for r in results.iter_mut().filter(|r| unanswered(r)) {
            r.during_stall = true;
        }
    }
    Ok(())
}

/// A probe connection the server refused while the others were being opened:
/// usually other clients took the free connections meanwhile.
fn refused_while_opening(e: anyhow::Error, opened: usize) -> anyhow::Error {
    match crate::db::server_code(&e) {
        Some(1040 | 1203) => e.context(crate::error::Hinted::new(
            format!(
                "the server ran out of connections while the probe was opening its own \
                 (other clients took them); poolcheck closed the {opened} it had opened"
            ),
            "run the probe when the server is less busy, or with fewer --connections / --idle rungs",
        )),
        _ => e.context("could not open the probe connections"),
    }
}
