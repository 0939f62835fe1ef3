//! One probe run's observations, whichever mode made them, and the I/O that
//! makes them: check the room, run the rungs or the search, then time
//! reconnects while the server has room.

use super::conn::probe_budget;
use super::control::{CONTROL_CONNECTIONS, ControlGroup};
use super::observation::Observation;
use super::planner::PlannerConfig;
use super::watch::{PROBE_LOCK, ServerWatch};
use super::{ProbeConfig, ProbeMode, Progress, find, reconnect, rungs};
use crate::db::{self, server::ServerRoom};
use crate::error::hinted;
use crate::target::ConnectSpec;
use anyhow::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Reads the server's room, refuses a probe that would take more than its
/// share, then runs the mode and the reconnect timing.
pub fn observe(
    spec: &ConnectSpec,
    cfg: &ProbeConfig,
    stop: &AtomicBool,
    progress: &Progress<'_>,
) -> Result<(ServerRoom, Observation)> {
    let io = cfg.conn.io_timeout;
    // The connection that reads the room stays open as the control connection.
    let mut control = db::connect(spec, io)?;
    // One probe per server at a time reads the room and opens its
    // connections: the next one waits for the lock, then sees them in
    // Threads_connected and takes its share of what is left.
    take_probe_lock(&mut control, stop, progress)?;
    let room = db::server::read_room(&mut control)?;
    check_budget(cfg, &room)?;
    // The keepalive control group, when it fits the share beside the rest.
    let (control_group, keepalive_control) = ControlGroup::hold(
        spec,
        &cfg.conn,
        cfg.keepalive_control,
        needed(cfg) + CONTROL_CONNECTIONS <= probe_budget(&room),
    );
    let mut watch = ServerWatch::new(spec, io, &room, control);
    // Its connections are the probe's too when the room is checked again.
    watch.also_held = control_group.as_ref().map_or(0, ControlGroup::len);
    let mut obs = match &cfg.mode {
        ProbeMode::Rungs(idles) => rungs::run_rungs(
            spec,
            &cfg.conn,
            &mut watch,
            idles,
            cfg.connections,
            stop,
            progress,
        )?,
        ProbeMode::Find {
            max,
            resolution,
            max_connections,
        } => {
            let planner = PlannerConfig {
                max: *max,
                resolution: *resolution,
                max_connections: *max_connections,
            };
            find::run_find(spec, &cfg.conn, &mut watch, planner, stop, progress)?
        }
    };
    // Tested only when something died, while the reconnects are timed (no
    // extra wall time unless they are fewer than one io-timeout's worth).
    let died = obs
        .rungs
        .iter()
        .flat_map(|r| &r.connections)
        .chain(&obs.tests)
        .any(|c| c.outcome.is_death() && !c.during_stall);
    obs.keepalive_control = keepalive_control;
    let control_group = control_group.filter(|_| died && !obs.interrupted);
    watch.also_held = control_group.as_ref().map_or(0, ControlGroup::len);
    std::thread::scope(|scope| -> Result<()> {
        let tested = control_group.map(|g| {
            std::thread::Builder::new()
                .name("poolcheck-control".into())
                .spawn_scoped(scope, move || g.test(stop))
        });
        let timed = time_reconnects(spec, cfg, &mut watch, &mut obs, stop, progress);
        if let Some(Ok(handle)) = tested {
            obs.control = handle.join().ok();
        }
        timed
    })?;
    obs.restart = watch.restart.take();
    obs.stalls = watch.stalls();
    Ok((room, obs))
}

/// Times reconnects while the server has room (`--reconnects`).
fn time_reconnects(
    spec: &ConnectSpec,
    cfg: &ProbeConfig,
    watch: &mut ServerWatch<'_>,
    obs: &mut Observation,
    stop: &AtomicBool,
    progress: &Progress<'_>,
) -> Result<()> {
    let io = cfg.conn.io_timeout;
    if !obs.interrupted && obs.backed_off.is_none() && cfg.reconnects > 0 {
        // Reconnects take a connection each: only while the server has room.
        match watch.may_open(0, 1, stop) {
            Ok(Ok(())) => {
                progress(Duration::ZERO, "timing reconnects");
                let mut restarted = || watch.restarted(stop);
                obs.reconnects = Some(reconnect::time_reconnects(
                    spec,
                    io,
                    cfg.reconnects,
                    stop,
                    &mut restarted,
                )?);
            }
            Ok(Err(crowding)) => obs.backed_off = Some(crowding),
            Err(e) if crate::signal::is_interrupted(&e) || stop.load(Ordering::SeqCst) => {}
            Err(e) => return Err(e),
        }
        obs.interrupted = stop.load(Ordering::SeqCst);
    }
    Ok(())
}

/// How long a probe waits for another one on the same server to open its
/// connections.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Takes [`PROBE_LOCK`], waiting at most [`LOCK_WAIT`] for another probe of
/// the same server to finish. A server without named locks is probed
/// without one.
fn take_probe_lock(
    control: &mut crate::db::Session,
    stop: &AtomicBool,
    progress: &Progress<'_>,
) -> Result<()> {
    let started = std::time::Instant::now();
    loop {
        match db::server::try_named_lock(control, PROBE_LOCK) {
            Some(true) | None => return Ok(()),
            Some(false) => {}
        }
        if started.elapsed() >= LOCK_WAIT {
            return Err(hinted(
                format!(
                    "another poolcheck probe is opening connections on this server \
                     (it holds the named lock {PROBE_LOCK}, whatever its account; waited {})",
                    humantime::format_duration(LOCK_WAIT)
                ),
                "wait for the other probe to finish opening its connections and run again \
                 (SELECT IS_USED_LOCK('poolcheck.probe') names its connection id)",
            ));
        }
        progress(
            started.elapsed(),
            "waiting for another poolcheck probe on this server to finish",
        );
        if !super::conn::wait_until(
            std::time::Instant::now() + Duration::from_millis(250),
            stop,
            || {},
        ) {
            return Err(anyhow::Error::new(crate::signal::Interrupted));
        }
    }
}

/// The probe's connections plus its one control connection (the keepalive
/// control group comes on top, only when it fits too).
fn needed(cfg: &ProbeConfig) -> usize {
    match &cfg.mode {
        ProbeMode::Rungs(idles) => idles.len() * cfg.connections + 1,
        ProbeMode::Find {
            max_connections, ..
        } => max_connections + 1,
    }
}

/// The probe's connections plus one control connection must fit its share.
fn check_budget(cfg: &ProbeConfig, room: &ServerRoom) -> Result<()> {
    let budget = probe_budget(room);
    let needed = needed(cfg);
    if needed <= budget {
        return Ok(());
    }
    Err(hinted(
        format!(
            "the probe needs {needed} connections but only {budget} may be used safely \
             ({} of max_connections {} in use{})",
            room.status.threads_connected,
            room.max_connections,
            if room.account_limit > 0 {
                format!(", account limit {}", room.account_limit)
            } else {
                String::new()
            }
        ),
        "use fewer --connections or --idle rungs, or a lower --max-connections with --find \
         (poolcheck takes at most half of the free connections)",
    ))
}
