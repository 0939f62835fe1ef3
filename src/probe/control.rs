//! The keepalive control group: a few extra connections, held idle beside
//! the probe's own, with TCP keepalive every second, and tested once
//! something has died. They tell the two kinds of idle limit apart: a
//! flow-level one (NAT gateway, conntrack firewall, network load balancer)
//! forgets a flow after N seconds without any packet, and keepalive probes
//! are packets, so the control group survives; a protocol-level one (the
//! server's wait_timeout, a proxy that terminates TCP and counts MySQL
//! bytes) never sees them, so it dies with the rest.

use super::conn::{Keepalive, ProbeConn, ProbeConnOptions};
use super::model::KeepaliveControl;
use super::observation::ControlResult;
use crate::target::ConnectSpec;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Connections in the group: two, so one odd death does not decide.
pub const CONTROL_CONNECTIONS: usize = 2;
/// Their keepalive: first probe after 1 s idle, then every second, below
/// any cutoff the probe can measure (its resolution is 1 s at best).
pub const CONTROL_KEEPALIVE: Keepalive = Keepalive {
    idle: Duration::from_secs(1),
    interval: Some(Duration::from_secs(1)),
};

pub struct ControlGroup {
    conns: Vec<ProbeConn>,
}

impl ControlGroup {
    /// Opens the group when it is wanted, tells something (the probe's own
    /// connections have no keepalive) and `fits` the probe's share of the
    /// server; otherwise, or when a connection fails (the probe goes on
    /// without it), says why not.
    pub fn hold(
        spec: &ConnectSpec,
        opts: &ProbeConnOptions,
        wanted: bool,
        fits: bool,
    ) -> (Option<ControlGroup>, KeepaliveControl) {
        if let Some(not_held) = not_held(wanted, opts.keepalive.is_some(), fits) {
            return (None, not_held);
        }
        match ControlGroup::open(spec, opts) {
            Some(g) => (Some(g), KeepaliveControl::Held),
            None => (None, KeepaliveControl::OpenFailed),
        }
    }

    /// How many connections the group holds.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    fn open(spec: &ConnectSpec, opts: &ProbeConnOptions) -> Option<ControlGroup> {
        let opts = ProbeConnOptions {
            keepalive: Some(CONTROL_KEEPALIVE),
            ..opts.clone()
        };
        let conns: Option<Vec<ProbeConn>> = (0..CONTROL_CONNECTIONS)
            .map(|_| ProbeConn::open(spec, &opts).ok())
            .collect();
        conns.map(|conns| ControlGroup { conns })
    }

    /// Tests every connection at once (bounded by --io-timeout each).
    pub fn test(self, stop: &AtomicBool) -> ControlResult {
        let (results, _tested, _complete) = super::conn::test_all(self.conns, stop);
        ControlResult { results }
    }
}

/// Why the group is not to be opened at all, if it is not.
fn not_held(wanted: bool, probe_has_keepalive: bool, fits: bool) -> Option<KeepaliveControl> {
    if !wanted {
        Some(KeepaliveControl::Off)
    } else if probe_has_keepalive {
        Some(KeepaliveControl::NotNeeded)
    } else if !fits {
        Some(KeepaliveControl::NoRoom)
    } else {
        None
    }
}

/// Does keepalive rescue connections on this path? `Some(true)`: every
/// control connection outlived `died_at_s` (the shortest idle a probe
/// connection died at); `Some(false)`: every one died; `None`: nothing
/// died, the group was not idle that long, or it split.
pub fn rescues(control: Option<&ControlResult>, died_at_s: Option<f64>) -> Option<bool> {
    let (control, died_at) = (control?, died_at_s?);
    let results = &control.results;
    if results.len() != CONTROL_CONNECTIONS
        || results.iter().any(|r| r.during_stall || r.idle_s < died_at)
    {
        return None;
    }
    let alive = results
        .iter()
        .filter(|r| matches!(r.outcome, super::model::Outcome::Alive))
        .count();
    let dead = results.iter().filter(|r| r.outcome.is_death()).count();
    match (alive, dead) {
        (a, 0) if a == results.len() => Some(true),
        (0, d) if d == results.len() => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::model::{ConnResult, Outcome};

    fn result(idle_s: f64, outcome: Outcome) -> ConnResult {
        ConnResult {
            connection_id: 1,
            idle_s,
            outcome,
            detect_ms: 1.0,
            thread_on_server: None,
            during_stall: false,
        }
    }

    #[test]
    fn the_group_is_held_by_default_unless_turned_off_needless_or_too_big() {
        assert_eq!(not_held(true, false, true), None);
        assert_eq!(not_held(false, false, true), Some(KeepaliveControl::Off));
        assert_eq!(
            not_held(true, true, true),
            Some(KeepaliveControl::NotNeeded)
        );
        assert_eq!(not_held(true, false, false), Some(KeepaliveControl::NoRoom));
        assert!(KeepaliveControl::NoRoom.missed().is_some());
        assert!(KeepaliveControl::OpenFailed.missed().is_some());
        assert_eq!(KeepaliveControl::Off.missed(), None);
    }

    #[test]
    fn all_alive_past_the_death_is_a_rescue_all_dead_is_not() {
        let alive = ControlResult {
            results: vec![result(9.0, Outcome::Alive), result(9.0, Outcome::Alive)],
        };
        assert_eq!(rescues(Some(&alive), Some(5.0)), Some(true));
        let dead = ControlResult {
            results: vec![
                result(9.0, Outcome::Reset),
                result(9.0, Outcome::Blackholed),
            ],
        };
        assert_eq!(rescues(Some(&dead), Some(5.0)), Some(false));
    }

    #[test]
    fn no_death_a_young_group_or_a_split_tells_nothing() {
        let alive = ControlResult {
            results: vec![result(9.0, Outcome::Alive), result(9.0, Outcome::Alive)],
        };
        assert_eq!(rescues(Some(&alive), None), None);
        assert_eq!(rescues(Some(&alive), Some(10.0)), None);
        assert_eq!(rescues(None, Some(5.0)), None);
        let split = ControlResult {
            results: vec![result(9.0, Outcome::Alive), result(9.0, Outcome::Reset)],
        };
        assert_eq!(rescues(Some(&split), Some(5.0)), None);
    }
}
