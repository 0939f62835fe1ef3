//! The control side of a probe run: one connection, kept open for the whole
//! run, that asks the server about itself. It tells which dead probes' threads
//! the server still holds, whether the server restarted meanwhile (its Uptime
//! went back), whether other clients have filled it up so far that the probe
//! must not take more, and, with a heartbeat ping every 250 ms, whether the
//! server itself stopped answering for a while (a frozen server is not a
//! silent middlebox).

use super::conn::{round3, share};
use super::model::{ConnResult, Restart, Stall};
use super::observation::{Crowding, DeathCheck};
use crate::db::server::{self, ServerRoom};
use crate::db::{self, Session};
use crate::target::ConnectSpec;
use anyhow::{Context, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

/// How long a control connection may wait out an outage (a restart) before the
/// probe gives up with an error.
const PATIENCE: Duration = Duration::from_secs(30);
/// Pause between control connection attempts during an outage.
const RETRY: Duration = Duration::from_millis(500);
/// Uptime has whole seconds and the reads take time: a restart is only
/// believed when Uptime fell behind the clock by more than this.
const UPTIME_SLACK_S: u64 = 2;
/// How often the heartbeat pings the server.
const BEAT: Duration = Duration::from_millis(250);
/// An answer (or a failure) that took longer than half the io timeout, and
/// at least this, on the control connection means the server, not the path of
/// one connection, stalled. A test is only failed by a stall as long as the
/// io timeout, so shorter hiccups of a busy server are no stall.
const STALL_MIN: Duration = Duration::from_secs(1);

/// The server-wide named lock a probe holds on its control connection while
/// it reads the room and opens its connections (as an SQL expression). One
/// for the whole server, whatever the account: the connections are the
/// server's, so probes of different accounts take turns too, and each sees
/// the others' connections as used.
pub const PROBE_LOCK: &str = "'poolcheck.probe'";
/// The control connection, shared by the watch and its heartbeat thread.
type Control = Arc<Mutex<Option<Session>>>;

pub struct ServerWatch<'a> {
    spec: &'a ConnectSpec,
    io_timeout: Duration,
    started: Instant,
    uptime_s: u64,
    /// The server's Connections counter (connects since it started) then.
    connections: u64,
    read_at: Instant,
    max_connections: u64,
    /// Connections the probe holds beside its control connection and the ones
    /// it counts itself (the keepalive control group): the room checks count
    /// them as its own.
    pub also_held: usize,
    /// Set once a restart is seen; later deaths of connections opened before
    /// it are the restart's, not an idle limit's.
    pub restart: Option<Restart>,
    control: Control,
    stalls: Arc<Mutex<Stalls>>,
    beat_stop: Arc<AtomicBool>,
    beat_done: mpsc::Receiver<()>,
}

/// When the control connection went unanswered. Every attempt (a query, or a
/// connect after the connection was lost) is timed: one that took longer than
/// its `min`, answered or not, is a stall that began after the last quick
/// answer; a quick answer or a quick refusal (a restart, not a freeze) ends it.
#[derive(Debug)]
struct Stalls {
    /// An attempt that took longer than this was a stall.
    min: Duration,
    last_quick: Instant,
    /// An attempt under way since then.
    attempt: Option<Instant>,
    /// The stall still going on: from, latest slow attempt's end.
    open: Option<(Instant, Instant)>,
    done: Vec<(Instant, Instant)>,
}

impl Stalls {
    fn new(now: Instant, io_timeout: Duration) -> Stalls {
        Stalls {
            min: (io_timeout / 2).max(STALL_MIN),
            last_quick: now,
            attempt: None,
            open: None,
            done: Vec::new(),
        }
    }

    fn begin(&mut self, at: Instant) {
        self.attempt.get_or_insert(at);
    }

    fn end(&mut self, at: Instant) {
        let Some(began) = self.attempt.take() else {
            return;
        };
        if at.duration_since(began) > self.min {
            let from = self.open.map_or(self.last_quick, |(f, _)| f);
            self.open = Some((from, at));
        } else {
            if let Some(o) = self.open.take() {
                self.done.push(o);
            }
            self.last_quick = at;
        }
    }

    /// Every stall so far, the one going on included (up to `now`).
    fn all(&self, now: Instant) -> Vec<(Instant, Instant)> {
        let mut v = self.done.clone();
        let ongoing = self
            .attempt
            .filter(|a| now.duration_since(*a) > self.min)
            .map(|_| (self.open.map_or(self.last_quick, |(f, _)| f), now));
        match (self.open, ongoing) {
            (_, Some(o)) => v.push(o),
            (Some(o), None) => v.push(o),
            (None, None) => {}
        }
        v
    }

    fn overlaps(&self, from: Instant, to: Instant) -> bool {
        self.all(Instant::now())
            .iter()
            .any(|&(a, b)| a < to && b > from)
    }
}

/// Times one attempt on the control connection into `stalls`.
fn timed<T>(stalls: &Mutex<Stalls>, f: impl FnOnce() -> T) -> T {
    stalls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .begin(Instant::now());
    let out = f();
    stalls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .end(Instant::now());
    out
}

impl<'a> ServerWatch<'a> {
    /// Takes over `control`, the session that read `room`, for the whole run.
    pub fn new(
        spec: &'a ConnectSpec,
        io_timeout: Duration,
        room: &ServerRoom,
        control: Session,
    ) -> ServerWatch<'a> {
        let control: Control = Arc::new(Mutex::new(Some(control)));
        let stalls = Arc::new(Mutex::new(Stalls::new(room.status.read_at, io_timeout)));
        let beat_stop = Arc::new(AtomicBool::new(false));
        let (done_tx, beat_done) = mpsc::channel();
        let (c, st, stop, spec_owned) = (
            control.clone(),
            stalls.clone(),
            beat_stop.clone(),
            spec.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("poolcheck-heartbeat".into())
            .spawn(move || {
                heartbeat(&spec_owned, io_timeout, &c, &st, &stop);
                let _ = done_tx.send(());
            });
        if spawned.is_err() {
            // No heartbeat: stalls are then seen only by the watch's own queries.
            beat_stop.store(true, Ordering::SeqCst);
        }
        ServerWatch {
            spec,
            also_held: 0,
            io_timeout,
            started: room.status.read_at,
            uptime_s: room.status.uptime_s,
            connections: room.status.connections,
            read_at: room.status.read_at,
            max_connections: room.max_connections,
            restart: None,
            control,
            stalls,
            beat_stop,
            beat_done,
        }
    }

    /// The control connection (from `control`, a clone of `self.control`),
    /// waiting for the heartbeat's query to finish and reconnecting (waiting
    /// out a short outage) when it was lost. An account the server now refuses
    /// (password changed, account dropped) is an error at once.
    fn acquire<'c>(
        &self,
        control: &'c Control,
        stop: &AtomicBool,
    ) -> Result<MutexGuard<'c, Option<Session>>> {
        let waiting = Instant::now();
        let mut guard = loop {
            match control.try_lock() {
                Ok(g) => break g,
                Err(std::sync::TryLockError::Poisoned(p)) => break p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {
                    if stop.load(Ordering::SeqCst) {
                        return Err(anyhow::Error::new(crate::signal::Interrupted));
                    }
                    if waiting.elapsed() >= PATIENCE + self.io_timeout {
                        return Err(anyhow::Error::new(stopped_answering()));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        };
        if guard.is_none() {
            *guard = Some(self.reconnect(stop)?);
        }
        Ok(guard)
    }

    fn reconnect(&self, stop: &AtomicBool) -> Result<Session> {
        let first_try = Instant::now();
        loop {
            match timed(&self.stalls, || db::connect(self.spec, self.io_timeout)) {
                Ok(s) => return Ok(s),
                Err(e) if crate::signal::is_interrupted(&e) => return Err(e),
                Err(e) => {
                    if let Some(code) = account_gone(&e) {
                        return Err(account_refused(e, code));
                    }
                    if first_try.elapsed() >= PATIENCE || stop.load(Ordering::SeqCst) {
                        return Err(e.context(stopped_answering()));
                    }
                    std::thread::sleep(RETRY);
                }
            }
        }
    }

    /// Runs `f` on the control connection; when that fails, once more on a
    /// fresh one (the old one may have died with a restart).
    fn with_control<T>(
        &mut self,
        stop: &AtomicBool,
        mut f: impl FnMut(&mut Self, &mut Session) -> Result<T>,
    ) -> Result<T> {
        let control = self.control.clone();
        let stalls = self.stalls.clone();
        let mut guard = self.acquire(&control, stop)?;
        let session = guard.as_mut().expect("acquire() connects");
        match timed(&stalls, || f(self, session)) {
            Ok(v) => Ok(v),
            Err(e) if crate::signal::is_interrupted(&e) => Err(e),
            Err(_) => {
                *guard = None;
                drop(guard);
                let mut guard = self.acquire(&control, stop)?;
                let session = guard.as_mut().expect("acquire() connects");
                timed(&stalls, || f(self, session))
            }
        }
    }

    /// Whether the server itself stopped answering at some point between
    /// `from` and `to` (the test window of a connection that died). A stall
    /// that began just before `to` may not be known yet: the control
    /// connection is asked once more now, which waits it out.
    pub fn stalled_during(
        &mut self,
        from: Instant,
        to: Instant,
        stop: &AtomicBool,
    ) -> Result<bool> {
        if self.stalled(from, to) {
            return Ok(true);
        }
        self.with_control(stop, |_, s| {
            s.ping_classified()
                .map_err(|f| anyhow::anyhow!("the control connection's ping failed: {f:?}"))
        })?;
        Ok(self.stalled(from, to))
    }

    fn stalled(&self, from: Instant, to: Instant) -> bool {
        self.stalls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .overlaps(from, to)
    }

    /// Every stall seen, in seconds since the probe started.
    pub fn stalls(&self) -> Vec<Stall> {
        let since = |t: Instant| round3(t.saturating_duration_since(self.started).as_secs_f64());
        self.stalls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .all(Instant::now())
            .into_iter()
            .map(|(a, b)| Stall {
                from_s: since(a),
                to_s: since(b),
            })
            .collect()
    }

    /// Reads Uptime, Connections and Threads_connected, and notes a restart.
    fn status(&mut self, s: &mut Session) -> Result<Crowding> {
        let sample = server::read_status(s)?;
        let (uptime, threads, connections) = (
            sample.uptime_s,
            sample.threads_connected,
            sample.connections,
        );
        let now = sample.read_at;
        let expected = self.uptime_s + now.duration_since(self.read_at).as_secs();
        // Uptime that fell well behind the clock is a restart; so is Uptime a
        // little behind while the count of connections ever made went back.
        let restarted = uptime + UPTIME_SLACK_S < expected
            || (uptime < expected && connections < self.connections);
        if restarted && self.restart.is_none() {
            self.restart = Some(Restart {
                uptime_before_s: self.uptime_s,
                uptime_after_s: uptime,
                noticed_after_s: round3(now.duration_since(self.started).as_secs_f64()),
                connection_ids: Vec::new(),
            });
        }
        self.uptime_s = uptime;
        self.connections = connections;
        self.read_at = now;
        Ok(Crowding {
            threads_connected: threads,
            max_connections: self.max_connections,
        })
    }

    /// After a test batch: asks the server which dead probes' threads it still
    /// holds, marks each result, and records the deaths (and zombies) for the
    /// verdict. After a restart, thread ids start over and say nothing: deaths
    /// are then marked as the restart's.
    pub fn record_deaths(
        &mut self,
        results: &mut [ConnResult],
        deaths: &mut Vec<DeathCheck>,
        zombies: &mut Vec<u32>,
        stop: &AtomicBool,
    ) -> Result<()> {
        let dead: Vec<u32> = results
            .iter()
            .filter(|r| r.outcome.is_death() && !r.during_stall)
            .map(|r| r.connection_id)
            .collect();
        if dead.is_empty() {
            return Ok(());
        }
        let still = self.with_control(stop, |w, s| {
            w.status(s)?;
            if w.restart.is_some() {
                Ok(Vec::new())
            } else {
                threads_on_server(s, &dead)
            }
        })?;
        for r in results
            .iter_mut()
            .filter(|r| r.outcome.is_death() && !r.during_stall)
        {
            if let Some(restart) = self.restart.as_mut() {
                restart.connection_ids.push(r.connection_id);
                continue;
            }
            let on_server = still.contains(&r.connection_id);
            r.thread_on_server = Some(on_server);
            deaths.push(DeathCheck {
                connection_id: r.connection_id,
                outcome: r.outcome.clone(),
                thread_on_server: on_server,
            });
            if on_server {
                zombies.push(r.connection_id);
            }
        }
        Ok(())
    }

    pub fn max_connections(&self) -> u64 {
        self.max_connections
    }

    /// Whether the probe may open `more` connections on top of the `held` it
    /// has, by the same rule as the start (at most half of what is free to
    /// everyone else, never the last 5). `Err(crowding)` when it may not.
    pub fn may_open(
        &mut self,
        held: usize,
        more: usize,
        stop: &AtomicBool,
    ) -> Result<std::result::Result<(), Crowding>> {
        let c = self.with_control(stop, |w, s| w.status(s))?;
        // Threads_connected counts ours, the control connection included.
        let ours = (held + self.also_held) as u64 + 1;
        let free_to_us = c.max_connections.saturating_sub(c.threads_connected) + ours;
        Ok(if ours + more as u64 <= share(free_to_us) {
            Ok(())
        } else {
            Err(c)
        })
    }
}

impl Drop for ServerWatch<'_> {
    /// Stops the heartbeat and closes the control connection properly (a
    /// COM_QUIT, so the server counts no aborted client), unless the heartbeat
    /// is stuck on a server that does not answer: the process exit ends it.
    fn drop(&mut self) {
        self.beat_stop.store(true, Ordering::SeqCst);
        let _ = self.beat_done.recv_timeout(Duration::from_secs(1));
        if let Ok(mut guard) = self.control.try_lock() {
            drop(guard.take());
        }
    }
}

/// The heartbeat: a COM_PING every [`BEAT`] on the control connection, timed
/// into `stalls`; reconnects when the connection was lost.
fn heartbeat(
    spec: &ConnectSpec,
    io_timeout: Duration,
    control: &Mutex<Option<Session>>,
    stalls: &Mutex<Stalls>,
    stop: &AtomicBool,
) {
    let mut next = Instant::now() + BEAT;
    while !stop.load(Ordering::SeqCst) {
        if Instant::now() < next {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        next = Instant::now() + BEAT;
        let Ok(mut guard) = control.try_lock() else {
            // The watch is using it: that use is timed too.
            continue;
        };
        match guard.as_mut() {
            Some(s) => {
                if timed(stalls, || s.ping_classified()).is_err() {
                    *guard = None;
                }
            }
            None => {
                if let Ok(s) = timed(stalls, || db::connect(spec, io_timeout)) {
                    *guard = Some(s);
                }
            }
        }
    }
}

fn stopped_answering() -> crate::error::Hinted {
    crate::error::Hinted::new(
        format!(
            "the server stopped answering in the middle of the probe (no control connection for {})",
            humantime::format_duration(PATIENCE)
        ),
        "the server went down or the network path failed while the probe ran; \
         poolcheck closed its connections (check the server and run again)",
    )
}

/// The server's refusal code when `e` says this account may no longer log in.
pub fn account_gone(e: &anyhow::Error) -> Option<u16> {
    db::server_code(e).filter(|c| ACCOUNT_GONE.contains(c))
}

/// The error that ends a run whose account the server started refusing.
pub fn account_refused(e: anyhow::Error, code: u16) -> anyhow::Error {
    e.context(crate::error::Hinted::new(
        format!("the server refused the probe's account in the middle of the run (error {code})"),
        "the password was changed or the account dropped or locked while the probe ran; \
         poolcheck closed its connections (check the account and run again)",
    ))
}

/// Whether the server restarted since the last look (asks it now).
impl ServerWatch<'_> {
    /// Lets the next probe of this server read the room: this one has opened
    /// its connections (they now count in Threads_connected for the next one).
    pub fn release_lock(&mut self, stop: &AtomicBool) {
        let _ = self.with_control(stop, |_, s| {
            s.query_text(&format!("SELECT RELEASE_LOCK({PROBE_LOCK})"))
                .map(drop)
        });
    }

    pub fn restarted(&mut self, stop: &AtomicBool) -> Result<bool> {
        self.with_control(stop, |w, s| w.status(s).map(drop))?;
        Ok(self.restart.is_some())
    }
}

/// Server errors that mean "this account may no longer log in".
const ACCOUNT_GONE: &[u16] = &[1045, 1044, 1130, 1698, 3118, 4151];

/// Which of these connection ids the server still lists (threads it still holds).
fn threads_on_server(s: &mut Session, ids: &[u32]) -> Result<Vec<u32>> {
    let list: Vec<String> = ids.iter().map(u32::to_string).collect();
    let rows = s
        .query_text(&format!(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE ID IN ({})",
            list.join(",")
        ))
        .context("could not look the dead connections up in the process list")?;
    Ok(rows
        .iter()
        .filter_map(|r| r.first().cloned().flatten())
        .filter_map(|v| v.parse().ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_attempts_make_a_stall_from_the_last_quick_answer() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut s = Stalls::new(t0, Duration::from_secs(2));
        // Quick answers: no stall.
        s.begin(at(0));
        s.end(at(5));
        s.begin(at(250));
        s.end(at(260));
        assert!(s.all(at(300)).is_empty());
        // A ping that hangs 3 s, then a reconnect that takes 2.5 s: one stall
        // from the last quick answer to the end of the slow reconnect.
        s.begin(at(500));
        assert!(
            !s.overlaps(at(400), at(600)),
            "not yet longer than the minimum"
        );
        assert_eq!(s.all(at(2000)), vec![(at(260), at(2000))], "ongoing");
        s.end(at(3500));
        s.begin(at(3600));
        s.end(at(6100));
        s.begin(at(6300));
        s.end(at(6310));
        assert_eq!(s.all(at(7000)), vec![(at(260), at(6100))]);
        assert!(s.overlaps(at(3000), at(5000)));
        assert!(!s.overlaps(at(6200), at(6900)));
        // A quick failure (a refused connect: a restart, not a freeze) ends
        // nothing and starts nothing.
        s.begin(at(7000));
        s.end(at(7002));
        assert_eq!(s.all(at(8000)).len(), 1);
    }
}
