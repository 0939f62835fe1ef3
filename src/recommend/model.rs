//! The recommendation as data, framework-neutral: the facts the rules read,
//! and what they conclude. Renderers (one per framework, `frameworks/`) turn a
//! [`Recommendation`] into configuration.

use crate::finding::Finding;
use serde::{Deserialize, Serialize};

/// Where the effective idle limit came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitSource {
    /// The server's wait_timeout as the app's sessions get it.
    SessionWaitTimeout,
    /// A cutoff measured by `poolcheck probe`.
    MeasuredCutoff,
    /// `--idle-limit`.
    Declared,
    /// `--hosting NAME`.
    Hosting,
}

/// One candidate idle limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitCandidate {
    pub source: LimitSource,
    pub seconds: f64,
    /// Connections past this limit vanish without FIN/RST (reads hang).
    pub silent: bool,
    /// Human explanation, e.g. "aws-nlb preset: 350 s, RST on next send".
    pub detail: String,
}

/// Server facts the rules use (from a live server, or a saved inspect report).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerSide {
    pub session_wait_timeout_s: Option<u64>,
    pub max_connections: Option<u64>,
    /// Connections open now by other clients (not counting poolcheck's own).
    pub other_connections: Option<u64>,
    /// The account's connection limit; 0 or None: none.
    pub max_user_connections: Option<u64>,
    pub max_allowed_packet_bytes: Option<u64>,
}

/// What `poolcheck probe` measured (from a saved probe report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Longest idle time seen survived.
    pub lo_s: f64,
    /// Shortest idle time seen fatal (None: nothing died).
    pub hi_s: Option<f64>,
    /// A probe connection was blackholed.
    pub silent: bool,
    /// "server", "middlebox" or "none".
    pub verdict: String,
}

/// The app's shape.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    /// Hosts or replicas running the app.
    pub instances: u64,
    /// Worker processes per instance (each has its own pool).
    pub processes: u64,
    /// Concurrent requests per process (threads, greenlets, async tasks).
    pub threads: u64,
    /// Connections to leave free for admins, cron jobs, other apps.
    pub reserve: u64,
}

/// Pool sizing: either numbers that fit the connection budget, or why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum PoolPlan {
    Fits {
        pool_size: u64,
        max_overflow: u64,
        /// instances × processes × (pool_size + max_overflow).
        worst_case_total: u64,
        /// None when no server facts were available to size against.
        budget: Option<u64>,
    },
    DoesNotFit {
        /// instances × processes × threads.
        needed: u64,
        budget: u64,
        options: Vec<String>,
    },
}

/// The conclusion, framework-neutral. All durations in whole seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The effective idle limit, and every candidate considered.
    pub limit: Option<LimitCandidate>,
    pub candidates: Vec<LimitCandidate>,
    /// Recycle / max lifetime / idle timeout: the limit minus a margin.
    pub recycle_s: u64,
    pub pre_ping: bool,
    /// The path drops silently: driver timeouts and keepalive matter.
    pub silent_drop: bool,
    /// Driver read/write timeouts (always given; essential when silent_drop).
    pub read_timeout_s: u64,
    pub write_timeout_s: u64,
    /// TCP keepalive idle time, below the limit (essential when silent_drop).
    pub keepalive_idle_s: u64,
    pub connect_timeout_s: u64,
    pub pool: PoolPlan,
    /// How long a request waits for a free pooled connection.
    pub checkout_timeout_s: u64,
    /// One-line reasons keyed by framework-neutral setting name: "recycle",
    /// "pre_ping", "read_timeout", "write_timeout", "keepalive", "pool_size",
    /// "max_overflow", "checkout_timeout", "connect_timeout".
    pub reasons: Vec<Reason>,
    /// Short rationale lines for the framework (fork safety, session scope...).
    pub notes: Vec<String>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub setting: String,
    pub reason: String,
}

impl Recommendation {
    /// The reason for a framework-neutral setting ("" when none).
    pub fn reason(&self, setting: &str) -> &str {
        self.reasons
            .iter()
            .find(|r| r.setting == setting)
            .map(|r| r.reason.as_str())
            .unwrap_or("")
    }
}

/// The app's current settings as `--check` gave them, in framework-neutral
/// terms; keys the user did not give take the framework's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Current {
    /// Max connection age before the pool replaces it; None = never.
    pub recycle_s: Option<f64>,
    /// Max idle time before the pool closes it; None = never.
    pub idle_timeout_s: Option<f64>,
    /// Connections are checked (ping) before use.
    pub pre_ping: bool,
    /// Driver read timeout; None = none (a read can hang for ~15 min).
    pub read_timeout_s: Option<f64>,
    /// Connections per process at most (pool_size + overflow); None = unbounded.
    pub max_per_process: Option<u64>,
}
