//! The control side of a probe run: a short-lived connection now and then that
//! asks the server about itself. It tells which dead probes' threads the server
//! still holds, whether the server restarted meanwhile (its Uptime went back),
//! and whether other clients have filled it up so far that the probe must not
//! take more.

use super::conn::{round3, share};
use super::model::{ConnResult, Restart};
use super::verdict::DeathCheck;
use crate::db::server::{self, ServerRoom};
use crate::db::{self, Session};
use crate::target::ConnectSpec;
use anyhow::{Context, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a control connection may wait out an outage (a restart) before the
/// probe gives up with an error.
const PATIENCE: Duration = Duration::from_secs(30);
/// Pause between control connection attempts during an outage.
const RETRY: Duration = Duration::from_millis(500);
/// Uptime has whole seconds and the reads take time: a restart is only
/// believed when Uptime fell behind the clock by more than this.
const UPTIME_SLACK_S: u64 = 2;

pub struct ServerWatch<'a> {
    spec: &'a ConnectSpec,
    io_timeout: Duration,
    started: Instant,
    uptime_s: u64,
    /// The server's Connections counter (connects since it started) then.
    connections: u64,
    read_at: Instant,
    max_connections: u64,
    /// Set once a restart is seen; later deaths of connections opened before
    /// it are the restart's, not an idle limit's.
    pub restart: Option<Restart>,
}

/// What a room check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crowding {
    pub threads_connected: u64,
    pub max_connections: u64,
}

impl<'a> ServerWatch<'a> {
    pub fn new(spec: &'a ConnectSpec, io_timeout: Duration, room: &ServerRoom) -> ServerWatch<'a> {
        ServerWatch {
            spec,
            io_timeout,
            started: room.status.read_at,
            uptime_s: room.status.uptime_s,
            connections: room.status.connections,
            read_at: room.status.read_at,
            max_connections: room.max_connections,
            restart: None,
        }
    }

    /// Opens a control connection, waiting out a short outage. An account the
    /// server now refuses (password changed, account dropped) is an error at once.
    fn control(&self, stop: &AtomicBool) -> Result<Session> {
        let first_try = Instant::now();
        loop {
            match db::connect(self.spec, self.io_timeout) {
                Ok(s) => return Ok(s),
                Err(e) if crate::signal::is_interrupted(&e) => return Err(e),
                Err(e) => {
                    if let Some(code) = db::server_code(&e).filter(|c| ACCOUNT_GONE.contains(c)) {
                        return Err(e.context(crate::error::Hinted::new(
                            format!(
                                "the server refused the probe's account in the middle of the run (error {code})"
                            ),
                            "the password was changed or the account dropped or locked while the probe ran; \
                             poolcheck closed its connections (check the account and run again)",
                        )));
                    }
                    if first_try.elapsed() >= PATIENCE || stop.load(Ordering::SeqCst) {
                        return Err(e.context(crate::error::Hinted::new(
                            format!(
                                "the server stopped answering in the middle of the probe (no control connection for {})",
                                humantime::format_duration(PATIENCE)
                            ),
                            "the server went down or the network path failed while the probe ran; \
                             poolcheck closed its connections (check the server and run again)",
                        )));
                    }
                    std::thread::sleep(RETRY);
                }
            }
        }
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
            .filter(|r| r.outcome.is_death())
            .map(|r| r.connection_id)
            .collect();
        if dead.is_empty() {
            return Ok(());
        }
        let mut s = self.control(stop)?;
        self.status(&mut s)?;
        let still = if self.restart.is_some() {
            Vec::new()
        } else {
            threads_on_server(&mut s, &dead)?
        };
        for r in results.iter_mut().filter(|r| r.outcome.is_death()) {
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
        let mut s = self.control(stop)?;
        let c = self.status(&mut s)?;
        // Threads_connected counts ours, the control connection included.
        let ours = held as u64 + 1;
        let free_to_us = c.max_connections.saturating_sub(c.threads_connected) + ours;
        Ok(if ours + more as u64 <= share(free_to_us) {
            Ok(())
        } else {
            Err(c)
        })
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
