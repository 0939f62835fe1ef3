//! `--idle 60s,120s,300s`: every rung's connections are opened together and
//! held at the same time, so the wall time is the longest rung, not the sum.

use super::Progress;
use super::conn::{ProbeConn, ProbeConnOptions, record_deaths, wait_until};
use super::model::{ConnResult, Rung};
use super::verdict::DeathCheck;
use crate::target::ConnectSpec;
use anyhow::Result;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

pub struct RungsRun {
    pub rungs: Vec<Rung>,
    pub deaths: Vec<DeathCheck>,
    pub zombies: Vec<u32>,
    pub session_wait_timeout_s: Option<u64>,
    pub interrupted: bool,
}

pub fn run_rungs(
    spec: &ConnectSpec,
    opts: &ProbeConnOptions,
    idles: &[Duration],
    per_rung: usize,
    stop: &AtomicBool,
    progress: &Progress<'_>,
) -> Result<RungsRun> {
    let started = Instant::now();
    let mut order: Vec<usize> = (0..idles.len()).collect();
    order.sort_by_key(|&i| idles[i]);
    let mut run = RungsRun {
        rungs: Vec::new(),
        deaths: Vec::new(),
        zombies: Vec::new(),
        session_wait_timeout_s: None,
        interrupted: false,
    };

    // Open everything first; an early error drops (closes) whatever was opened.
    let mut pools: Vec<Vec<ProbeConn>> = Vec::with_capacity(idles.len());
    for _ in &order {
        let mut pool = Vec::with_capacity(per_rung);
        for _ in 0..per_rung {
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                run.interrupted = true;
                return Ok(run);
            }
            let conn = ProbeConn::open(spec, opts)?;
            run.session_wait_timeout_s
                .get_or_insert(conn.session_wait_timeout_s);
            pool.push(conn);
        }
        pools.push(pool);
    }
    let longest = idles.iter().max().copied().unwrap_or_default();

    for (pool, &rung_index) in pools.iter_mut().zip(&order) {
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
                    human(longest)
                ),
            )
        });
        if !waited {
            run.interrupted = true;
            break;
        }
        let mut results: Vec<ConnResult> = test_all(pool);
        record_deaths(
            spec,
            opts.io_timeout,
            &mut results,
            &mut run.deaths,
            &mut run.zombies,
        )?;
        run.rungs.push(Rung {
            idle_s: idle.as_secs_f64(),
            connections: results,
        });
        // This rung is done: close its connections now rather than at the end.
        pool.clear();
    }
    Ok(run)
}

/// Tests connections at the same moment, one thread each: a blackholed one
/// must not delay the others by its whole read timeout.
pub fn test_all(pool: &mut [ProbeConn]) -> Vec<ConnResult> {
    std::thread::scope(|s| {
        let handles: Vec<_> = pool.iter_mut().map(|c| s.spawn(move || c.test())).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("probe test thread"))
            .collect()
    })
}

pub fn human(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs_f64(
        (d.as_secs_f64() * 10.0).round() / 10.0,
    ))
    .to_string()
}
