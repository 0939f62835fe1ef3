//! Times fresh connections after the idle phase: what a pool pays to replace
//! a dead connection.

use super::conn::round3;
use super::model::Reconnects;
use super::stats::spread;
use crate::db;
use crate::target::ConnectSpec;
use std::time::{Duration, Instant};

/// The pause after a failed sample from a server that did not restart.
const FAILURE_PAUSE: Duration = Duration::from_millis(300);

/// `count` sequential samples. Each sample: a full driver connect (TCP,
/// handshake, login; the driver times its TCP connect apart), then
/// `SELECT 1`, then a proper close. A sample costs the server one connection
/// and nothing in `Aborted_connects` or the error log.
///
/// After a failed connect, `after_failure` asks the control connection
/// whether the server restarted (true: sampling stops there, and the report
/// says so, instead of counting every sample of the outage as a failure). An
/// account the server now refuses ends the run with an error.
pub fn time_reconnects(
    spec: &ConnectSpec,
    io_timeout: Duration,
    count: usize,
    stop: &std::sync::atomic::AtomicBool,
    after_failure: &mut dyn FnMut() -> anyhow::Result<bool>,
) -> anyhow::Result<Reconnects> {
    let mut tcp = Vec::new();
    let mut handshake = Vec::new();
    let mut query = Vec::new();
    let mut failures = 0;
    let mut attempts = 0;
    let mut errors: Vec<String> = Vec::new();
    let mut restarted = false;
    for _ in 0..count {
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        attempts += 1;
        let started = Instant::now();
        match db::connect(spec, io_timeout) {
            Ok(mut session) => {
                let open_ms = started.elapsed().as_secs_f64() * 1000.0;
                let tcp_ms = session
                    .tcp_connect_time
                    .map(|d| round3(d.as_secs_f64() * 1000.0));
                if let Some(t) = tcp_ms {
                    tcp.push(t);
                    handshake.push((open_ms - t).max(0.0));
                } else {
                    handshake.push(open_ms);
                }
                let q = Instant::now();
                match session.query_text("SELECT 1") {
                    Ok(_) => query.push(q.elapsed().as_secs_f64() * 1000.0),
                    Err(e) => {
                        failures += 1;
                        remember(&mut errors, format!("first query: {e:#}"));
                    }
                }
            }
            Err(e) if crate::signal::is_interrupted(&e) => {
                attempts -= 1;
                break;
            }
            Err(e) => {
                if let Some(code) = super::watch::account_gone(&e) {
                    return Err(super::watch::account_refused(e, code));
                }
                failures += 1;
                let text = format!("{e:#}");
                let timed_out = e
                    .chain()
                    .any(|c| c.downcast_ref::<db::ConnectTimedOut>().is_some())
                    || text.contains("timed out");
                remember(&mut errors, text);
                if timed_out {
                    // A path that swallows new connections makes every sample
                    // wait the whole connect timeout: one is proof enough.
                    break;
                }
                match after_failure() {
                    Ok(true) => {
                        restarted = true;
                        break;
                    }
                    // The same server, failing a connect: one failure is not
                    // followed by hundreds within a second (a shutdown in
                    // progress refuses connects before the server is gone).
                    Ok(false) => {
                        let _ =
                            super::conn::wait_until(Instant::now() + FAILURE_PAUSE, stop, || {});
                    }
                    Err(e) if crate::signal::is_interrupted(&e) => break,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(Reconnects {
        attempts,
        failures,
        tcp_connect_ms: spread(&tcp),
        handshake_auth_ms: spread(&handshake),
        first_query_ms: spread(&query),
        errors,
        restarted,
    })
}

fn remember(errors: &mut Vec<String>, e: String) {
    let e = db::sanitize(&e);
    if errors.len() < 5 && !errors.contains(&e) {
        errors.push(e);
    }
}
