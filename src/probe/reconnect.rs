//! Times fresh connections after the idle phase: what a pool pays to replace
//! a dead connection.

use super::conn::round3;
use super::model::Reconnects;
use super::stats::spread;
use crate::db;
use crate::target::ConnectSpec;
use std::time::{Duration, Instant};

/// `count` sequential samples. Each sample: a bare TCP (or socket) connect on a
/// socket closed at once, then a full driver connect (handshake + login), then
/// `SELECT 1`. The bare connect shows in the server's Aborted_connects.
pub fn time_reconnects(
    spec: &ConnectSpec,
    io_timeout: Duration,
    count: usize,
    stop: &std::sync::atomic::AtomicBool,
) -> Reconnects {
    let mut tcp = Vec::new();
    let mut handshake = Vec::new();
    let mut query = Vec::new();
    let mut failures = 0;
    let mut attempts = 0;
    let mut errors: Vec<String> = Vec::new();
    for _ in 0..count {
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        attempts += 1;
        let tcp_ms = bare_connect_ms(spec);
        let started = Instant::now();
        match db::connect(spec, io_timeout) {
            Ok(mut session) => {
                let open_ms = started.elapsed().as_secs_f64() * 1000.0;
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
                failures += 1;
                let text = format!("{e:#}");
                let timed_out = text.contains("connect timeout") || text.contains("timed out");
                remember(&mut errors, text);
                if timed_out {
                    // A path that swallows new connections makes every sample
                    // wait the whole connect timeout: one is proof enough.
                    break;
                }
            }
        }
    }
    Reconnects {
        attempts,
        failures,
        tcp_connect_ms: spread(&tcp),
        handshake_auth_ms: spread(&handshake),
        first_query_ms: spread(&query),
        errors,
    }
}

fn remember(errors: &mut Vec<String>, e: String) {
    let e = db::sanitize(&e);
    if errors.len() < 5 && !errors.contains(&e) {
        errors.push(e);
    }
}

fn bare_connect_ms(spec: &ConnectSpec) -> Option<f64> {
    db::transport_connect_time(spec).map(|d| round3(d.as_secs_f64() * 1000.0))
}
