//! What one probe run observed, whichever mode made the observations: the
//! data that the I/O side (`observe`, `rungs`, `find`, `watch`, `control`)
//! fills in and [`super::verdict`] judges. Data only; it imports none of the
//! modules that fill or read it.

use super::model::{
    ConnResult, KeepaliveControl, Outcome, Reconnects, Restart, Rung, Search, Stall,
};
use super::planner::Estimate;

/// Everything a run saw, in either mode; [`super::verdict`] turns it into the
/// cutoff, the verdict and the findings.
#[derive(Debug, Default)]
pub struct Observation {
    /// `--idle`: each rung's connections.
    pub rungs: Vec<Rung>,
    /// `--find`: every test, in order.
    pub tests: Vec<ConnResult>,
    /// `--find`: the search's own figures (present iff the mode was `--find`).
    pub search: Option<Search>,
    /// `--find`: the planner's interval; it also knows the quiet peek just
    /// before an announced death, which no test result records.
    pub estimate: Option<Estimate>,
    /// Dead connections, as the control connection found them afterwards.
    pub deaths: Vec<DeathCheck>,
    /// Dead connections whose threads the server still held.
    pub zombies: Vec<u32>,
    /// What the probe connections got for `wait_timeout`.
    pub session_wait_timeout_s: Option<u64>,
    /// Other clients filled the server: the probe stopped opening connections.
    pub backed_off: Option<Crowding>,
    pub reconnects: Option<Reconnects>,
    /// The server restarted while the probe ran.
    pub restart: Option<Restart>,
    /// The server stopped answering its control connection for a while.
    pub stalls: Vec<Stall>,
    /// Ctrl-C or SIGTERM: a partial run.
    pub interrupted: bool,
    /// The keepalive control group, tested after something died.
    pub control: Option<ControlResult>,
    /// Whether the keepalive control group was held, and if not, why.
    pub keepalive_control: KeepaliveControl,
}

/// A dead probe connection, as seen when we asked the server about it.
#[derive(Debug, Clone)]
pub struct DeathCheck {
    pub connection_id: u32,
    pub outcome: Outcome,
    /// The server still listed the thread.
    pub thread_on_server: bool,
}

/// What a room check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crowding {
    pub threads_connected: u64,
    pub max_connections: u64,
}

/// What the control group showed when it was tested.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlResult {
    pub results: Vec<ConnResult>,
}
