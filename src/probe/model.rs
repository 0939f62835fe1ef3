//! What a probe run reports (also its `--format json` document, which
//! `recommend --from` reads).

use crate::finding::{Finding, Summary};
use serde::{Deserialize, Serialize};

/// How a held-idle connection ended when it was tested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "kebab-case")]
pub enum Outcome {
    /// Answered a ping: survived.
    Alive,
    /// The server sent an error packet (4031 from MySQL 8.0.24+ idle timeouts).
    /// `code` is absent when the packet could not be read (TLS).
    ServerError { code: Option<u16>, message: String },
    /// The peer closed cleanly (FIN).
    Closed,
    /// The peer reset the connection (RST).
    Reset,
    /// No answer within --io-timeout: the path drops packets silently.
    Blackholed,
    /// Anything else.
    Error { message: String },
}

impl Outcome {
    /// Did the connection die (as opposed to survive or fail in an unrelated way)?
    pub fn is_death(&self) -> bool {
        !matches!(self, Outcome::Alive | Outcome::Error { .. })
    }

    pub fn label(&self) -> String {
        match self {
            Outcome::Alive => "alive".into(),
            Outcome::ServerError { code: Some(c), .. } => format!("server-error {c}"),
            Outcome::ServerError { code: None, .. } => "server-error".into(),
            Outcome::Closed => "closed".into(),
            Outcome::Reset => "reset".into(),
            Outcome::Blackholed => "blackholed".into(),
            Outcome::Error { .. } => "error".into(),
        }
    }
}

/// One probe connection's test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnResult {
    pub connection_id: u32,
    /// Idle age when the test started.
    pub idle_s: f64,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// How long the test took to tell (a blackhole takes --io-timeout).
    pub detect_ms: f64,
    /// After a death: was the server still holding this connection's thread?
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_on_server: Option<bool>,
    /// A death while the server itself stopped answering (see [`Stall`]):
    /// no evidence about the path, left out of the cutoff and the verdict.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub during_stall: bool,
}

/// One `--idle` duration and what happened to its connections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rung {
    pub idle_s: f64,
    pub connections: Vec<ConnResult>,
}

/// The effective idle cutoff: longer than `lo_s`, at most `hi_s`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cutoff {
    /// Longest idle time seen survived (0 when none).
    pub lo_s: f64,
    /// Shortest idle time seen fatal; absent when nothing died.
    pub hi_s: Option<f64>,
}

/// The server restarted while the probe ran (its Uptime went back). The
/// connections that died with it are no evidence of an idle limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Restart {
    /// Uptime when the probe last looked before the restart.
    pub uptime_before_s: u64,
    /// Uptime when the restart was noticed.
    pub uptime_after_s: u64,
    /// Seconds into the probe when the restart was noticed.
    pub noticed_after_s: f64,
    /// Probe connections that died with the restart.
    pub connection_ids: Vec<u32>,
}

/// A stretch of time in which the server did not answer its own control
/// connection (SIGSTOP, a VM pause, swapping, stuck storage): seconds since
/// the probe started. It may have begun as early as `from_s` (the last quick
/// answer before it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stall {
    pub from_s: f64,
    pub to_s: f64,
}

/// Who ended the idle connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The server closed them (wait_timeout, KILL, an idle-killer script).
    Server,
    /// Something between client and server dropped them.
    Middlebox,
    /// Nothing died within the time tested.
    None,
}

/// Whether the keepalive control group was held beside the probe's own
/// connections, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeepaliveControl {
    /// Held (tested only once something has died).
    Held,
    /// `--no-keepalive-control`.
    #[default]
    Off,
    /// `--keepalive`: the probe's own connections already had keepalive, so
    /// the group would tell nothing.
    NotNeeded,
    /// Its two connections did not fit the probe's share of the server
    /// beside the probe's own.
    NoRoom,
    /// One of its connections could not be opened.
    OpenFailed,
}

impl KeepaliveControl {
    /// Why the group was not held although it was wanted; `None` when it was
    /// held or the command line said not to.
    pub fn missed(self) -> Option<&'static str> {
        match self {
            KeepaliveControl::Held | KeepaliveControl::Off | KeepaliveControl::NotNeeded => None,
            KeepaliveControl::NoRoom => Some(
                "its 2 connections do not fit the probe's share of the server beside the \
                 probe's own (use fewer --connections or a lower --max-connections)",
            ),
            KeepaliveControl::OpenFailed => Some("one of its connections could not be opened"),
        }
    }
}

/// min / p50 / p95 / max in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub min_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reconnects {
    pub attempts: usize,
    pub failures: usize,
    /// TCP (or Unix socket) connect alone, timed inside the driver's connect.
    pub tcp_connect_ms: Option<Spread>,
    /// Connect + MySQL handshake + authentication (+ TLS) through the driver.
    pub handshake_auth_ms: Option<Spread>,
    /// `SELECT 1` on the fresh connection.
    pub first_query_ms: Option<Spread>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<String>,
    /// The server restarted during the timing: sampling stopped there.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub restarted: bool,
}

/// The cutoff search's own figures (`--find`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Search {
    pub max_s: f64,
    pub resolution_s: f64,
    pub max_connections: usize,
    pub connections_opened: usize,
    pub test_count: usize,
    pub most_open_at_once: usize,
    pub wall_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    #[serde(flatten)]
    pub header: crate::schema::Header,
    pub target: crate::inspect::TargetInfo,
    pub server_version: String,
    pub server_flavor: String,
    pub wait_timeout_global_s: u64,
    /// What the probe connections got (after --session-wait-timeout, if given).
    pub wait_timeout_session_s: u64,
    pub keepalive: bool,
    /// Did connections with TCP keepalive (every second) outlive the idle
    /// time that killed the probe's own? true: a flow-level limit; false:
    /// the server's or a protocol-level one; null: nothing died, or the
    /// control group could not be held (`keepalive_control` says why) or
    /// tested.
    #[serde(default)]
    pub keepalive_rescues: Option<bool>,
    /// Whether the keepalive control group was held, and if not, why
    /// (absent from reports made before it existed).
    #[serde(default)]
    pub keepalive_control: Option<KeepaliveControl>,
    /// With keepalive: idle seconds before the first probe.
    #[serde(default)]
    pub keepalive_idle_s: Option<u64>,
    /// With `--keepalive=DURATION`: seconds between probes (null: the OS's).
    #[serde(default)]
    pub keepalive_interval_s: Option<u64>,
    pub io_timeout_s: f64,
    /// `rungs` (--idle) or `find` (--find).
    pub mode: String,
    pub rungs: Vec<Rung>,
    /// `--find`: the search's own figures.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub search: Option<Search>,
    /// `--find`: every test the search made, in order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tests: Vec<ConnResult>,
    pub cutoff: Cutoff,
    pub verdict: Verdict,
    pub verdict_reason: String,
    /// Connection ids the server still held after something else dropped them.
    pub zombies: Vec<u32>,
    pub reconnects: Option<Reconnects>,
    /// The server restarted during the run.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub restart: Option<Restart>,
    /// The server stopped answering for a while during the run.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub stalls: Vec<Stall>,
    /// Ctrl-C or SIGTERM stopped the run: this is a partial report.
    pub interrupted: bool,
    pub findings: Vec<Finding>,
    pub summary: Summary,
}
