//! Probe connections: open one, hold it idle, test it; and the probe's share
//! of the server's free connections.

use super::classify::{classify, needs_ping};
use super::model::{ConnResult, Outcome};
use crate::db::server::ServerRoom;
use crate::db::{self, ConnectOptions, Session};
use crate::target::ConnectSpec;
use anyhow::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How probe connections are opened.
#[derive(Debug, Clone)]
pub struct ProbeConnOptions {
    pub io_timeout: Duration,
    pub keepalive: Option<Keepalive>,
    pub session_wait_timeout: Option<u64>,
}

/// TCP keepalive on probe connections (`--keepalive[=DURATION]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Idle time before the first probe (TCP_KEEPIDLE).
    pub idle: Duration,
    /// Between probes (TCP_KEEPINTVL); `None`: the OS's (Linux: 75 s).
    pub interval: Option<Duration>,
}

impl Keepalive {
    /// Bare `--keepalive`: 30 s idle (well below common middlebox limits),
    /// the OS's interval.
    pub const DEFAULT: Keepalive = Keepalive {
        idle: Duration::from_secs(30),
        interval: None,
    };
}

pub struct ProbeConn {
    session: Session,
    pub id: u32,
    /// The last time bytes crossed this connection (its idle clock starts here).
    pub last_activity: Instant,
    pub session_wait_timeout_s: u64,
}

impl ProbeConn {
    pub fn open(spec: &ConnectSpec, opts: &ProbeConnOptions) -> Result<ProbeConn> {
        let options = ConnectOptions {
            io_timeout: opts.io_timeout,
            keepalive: opts.keepalive.map(|k| k.idle),
            keepalive_interval: opts.keepalive.and_then(|k| k.interval),
            init: opts
                .session_wait_timeout
                .map(|n| vec![format!("SET SESSION wait_timeout = {n}")])
                .unwrap_or_default(),
        };
        let mut session = db::connect_with(spec, &options)?;
        let rows = session.query_text("SELECT @@session.wait_timeout")?;
        let wait = db::server::parse_count(
            "wait_timeout",
            rows.first()
                .and_then(|r| r.first())
                .and_then(|v| v.as_deref()),
        )?;
        Ok(ProbeConn {
            id: session.connection_id(),
            session,
            last_activity: Instant::now(),
            session_wait_timeout_s: wait,
        })
    }

    /// Tests the connection: a peek first (consumes nothing), then a ping when
    /// the peek saw nothing. An answered ping resets the idle clock.
    pub fn test(&mut self) -> ConnResult {
        let started = Instant::now();
        let idle = started.duration_since(self.last_activity);
        let peek = self.session.peek();
        let ping = needs_ping(&peek).then(|| self.session.ping_classified());
        let outcome = classify(&peek, ping.as_ref());
        if outcome == Outcome::Alive {
            self.last_activity = Instant::now();
        }
        ConnResult {
            connection_id: self.id,
            idle_s: round3(idle.as_secs_f64()),
            outcome,
            detect_ms: round3(started.elapsed().as_secs_f64() * 1000.0),
            thread_on_server: None,
            during_stall: false,
        }
    }
}

impl ProbeConn {
    /// Looks without sending: `Some(outcome)` when the peer has already said
    /// goodbye (FIN, RST, an error packet).
    pub fn announced_death(&self) -> Option<Outcome> {
        let peek = self.session.peek();
        Some(classify(&peek, None)).filter(|o| !needs_ping(&peek) && o.is_death())
    }
}

pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The probe's share of `free` connections: half, and never the last 5.
pub fn share(free: u64) -> u64 {
    free.saturating_sub(5).min(free / 2)
}

/// How many probe connections may be opened: at most half of what is free,
/// always leaving at least 5 free, and likewise for the account's own limit.
pub fn probe_budget(room: &ServerRoom) -> usize {
    let mut budget = share(
        room.max_connections
            .saturating_sub(room.status.threads_connected),
    );
    if room.account_limit > 0 {
        budget = budget.min(
            share(room.account_limit.saturating_sub(room.account_threads)).max(
                // A per-account limit is usually small: allow half of it even if under 10.
                room.account_limit.saturating_sub(room.account_threads) / 2,
            ),
        );
    }
    budget as usize
}

/// Sleeps until `deadline` in small steps; false when interrupted.
pub fn wait_until(deadline: Instant, stop: &AtomicBool, mut tick: impl FnMut()) -> bool {
    loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        tick();
        std::thread::sleep((deadline - now).min(Duration::from_millis(100)));
    }
}

/// Tests connections at the same moment, one thread each: a blackholed one
/// must not delay the others by its whole read timeout. Returns the results,
/// the tested connections, and whether every test answered: on an
/// interruption it returns at once, and tests still running end by themselves
/// within --io-timeout.
pub fn test_all(
    pool: Vec<ProbeConn>,
    stop: &AtomicBool,
) -> (Vec<ConnResult>, Vec<ProbeConn>, bool) {
    let n = pool.len();
    let (tx, rx) = mpsc::channel::<(usize, ConnResult, ProbeConn)>();
    let mut tested = Vec::with_capacity(n);
    let mut got: Vec<Option<ConnResult>> = vec![None; n];
    let mut received = 0;
    for (i, mut conn) in pool.into_iter().enumerate() {
        let tx = tx.clone();
        let id = conn.id;
        let spawned = std::thread::Builder::new()
            .name("poolcheck-test".into())
            .spawn(move || {
                let result = conn.test();
                let _ = tx.send((i, result, conn));
            });
        if let Err(e) = spawned {
            received += 1;
            got[i] = Some(ConnResult {
                connection_id: id,
                idle_s: 0.0,
                outcome: Outcome::Error {
                    message: format!("could not start a test thread: {e}"),
                },
                detect_ms: 0.0,
                thread_on_server: None,
                during_stall: false,
            });
        }
    }
    drop(tx);
    while received < n && !stop.load(Ordering::SeqCst) {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok((i, r, conn)) => {
                got[i] = Some(r);
                tested.push(conn);
                received += 1;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    (got.into_iter().flatten().collect(), tested, received == n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::server::StatusSample;

    fn room(max: u64, used: u64, limit: u64, mine: u64) -> ServerRoom {
        ServerRoom {
            version: String::new(),
            flavor: String::new(),
            max_connections: max,
            account_limit: limit,
            account_threads: mine,
            wait_timeout_global_s: 28800,
            status: StatusSample {
                uptime_s: 100,
                threads_connected: used,
                connections: 100,
                read_at: Instant::now(),
            },
            tls: false,
            connect_ms: 0.0,
        }
    }

    #[test]
    fn budget_takes_a_small_share() {
        assert_eq!(probe_budget(&room(40, 2, 0, 0)), 19);
        assert_eq!(probe_budget(&room(151, 20, 0, 0)), 65);
        assert_eq!(probe_budget(&room(10, 8, 0, 0)), 0);
        assert_eq!(probe_budget(&room(12, 2, 0, 0)), 5);
        assert_eq!(probe_budget(&room(151, 20, 6, 1)), 2);
        assert_eq!(probe_budget(&room(151, 20, 40, 0)), 20);
        assert_eq!(probe_budget(&room(40, 45, 0, 0)), 0);
    }
}
