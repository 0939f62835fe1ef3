//! The recommendation as data, framework-neutral: the facts the rules read,
//! and what they conclude. Renderers (one per framework, `frameworks/`) turn a
//! [`Recommendation`] into configuration.

use crate::finding::Finding;
use crate::probe::Verdict;
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
    /// Whether TCP keepalive resets this limit: true for a flow-level one,
    /// false for the server's or a protocol-level proxy's, None: not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive_helps: Option<bool>,
}

/// Server facts the rules use (from a live server, or a saved inspect report).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerSide {
    pub session_wait_timeout_s: Option<u64>,
    pub max_connections: Option<u64>,
    /// Connections open now by other accounts: not poolcheck's own, and not
    /// the app account's, which are the app's own pool (the budget is for it).
    pub other_connections: Option<u64>,
    /// How `other_connections` was counted, for a note: the app account's
    /// idle connections left out, and whether other accounts were visible.
    #[serde(default)]
    pub other_count: Option<OtherCount>,
    /// The account's connection limit; 0 or None: none.
    pub max_user_connections: Option<u64>,
    pub max_allowed_packet_bytes: Option<u64>,
}

/// How the other clients' connections were counted from a live server or a
/// saved inspect report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtherCount {
    pub threads_connected: u64,
    /// The account poolcheck logged in as (the app's), and its idle
    /// connections the process list showed.
    pub account: String,
    pub account_idle: u64,
    /// The process list showed every account (PROCESS privilege).
    pub all_accounts_visible: bool,
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
    /// Who ended the idle connections, as the probe decided it.
    pub verdict: Verdict,
    /// The probe's keepalive control group: true, keepalive outlived the
    /// limit (flow-level); false, it died too; None: not tested.
    #[serde(default)]
    pub keepalive_rescues: Option<bool>,
}

/// The app's shape, as far as the flags gave it (None: not given; in JSON,
/// null). Pool sizes are computed only from a given `threads`; without it the
/// framework's default pool size stays.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    /// Hosts or replicas running the app.
    pub instances: Option<u64>,
    /// Worker processes per instance (each has its own pool).
    pub processes: Option<u64>,
    /// Concurrent requests per process (threads, greenlets, async tasks).
    pub threads: Option<u64>,
    /// Connections to leave free for admins, cron jobs, other apps.
    pub reserve: u64,
}

impl Topology {
    /// Instances, one when not given.
    pub fn instances(&self) -> u64 {
        self.instances.unwrap_or(1)
    }

    /// Processes per instance, one when not given.
    pub fn processes(&self) -> u64 {
        self.processes.unwrap_or(1)
    }

    /// Whether any of --instances, --processes, --threads was given.
    pub fn given(&self) -> bool {
        self.instances.is_some() || self.processes.is_some() || self.threads.is_some()
    }
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
    /// No `--threads`: the framework's own default pool size stays (the
    /// snippet sets none) and the snippet says how to size it.
    FrameworkDefault {
        /// The default cap per process; None: unbounded, or no pool.
        per_process: Option<u64>,
        /// instances × processes × per_process.
        worst_case_total: Option<u64>,
        budget: Option<u64>,
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
    /// Why each value is what it is, one line per setting.
    pub reasons: Reasons,
    /// Short rationale lines for the framework (fork safety, session scope...).
    pub notes: Vec<String>,
    pub findings: Vec<Finding>,
}

impl Recommendation {
    /// Whether TCP keepalive resets the limit that decides: false for the
    /// server's wait_timeout or a protocol-level proxy (renderers then set no
    /// keepalive and say why), None when the kind is not known.
    pub fn tcp_keepalive_helps(&self) -> Option<bool> {
        self.limit.as_ref().and_then(|l| l.keepalive_helps)
    }
}

/// The rules' one-line reason for each framework-neutral setting. In JSON it
/// is the list `[{"setting": "recycle", "reason": "..."}, ...]`, in this order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "Vec<Reason>", try_from = "Vec<Reason>")]
pub struct Reasons {
    pub recycle: String,
    pub pre_ping: String,
    pub read_timeout: TimeoutReason,
    pub write_timeout: TimeoutReason,
    pub keepalive: String,
    pub connect_timeout: String,
    pub checkout_timeout: String,
    /// The pool numbers' reasons: None when the budget cannot hold the
    /// topology, where no pool numbers are given.
    pub pool: Option<PoolReasons>,
}

/// A read or write timeout's reason.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeoutReason {
    pub text: String,
    /// On a path that drops silently, the text says why the timeout is
    /// essential there and what a missing one costs; when false, renderers
    /// add that. The rules' texts always do, so JSON keeps only the text and
    /// reads it back as true.
    pub covers_silent_drop: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PoolReasons {
    pub pool_size: String,
    pub max_overflow: String,
}

/// One entry of the JSON form of [`Reasons`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub setting: String,
    pub reason: String,
}

impl From<Reasons> for Vec<Reason> {
    fn from(r: Reasons) -> Vec<Reason> {
        let mut out: Vec<(&str, String)> = vec![
            ("recycle", r.recycle),
            ("pre_ping", r.pre_ping),
            ("read_timeout", r.read_timeout.text),
            ("write_timeout", r.write_timeout.text),
            ("keepalive", r.keepalive),
            ("connect_timeout", r.connect_timeout),
            ("checkout_timeout", r.checkout_timeout),
        ];
        if let Some(p) = r.pool {
            out.push(("pool_size", p.pool_size));
            out.push(("max_overflow", p.max_overflow));
        }
        out.into_iter()
            .map(|(setting, reason)| Reason {
                setting: setting.to_string(),
                reason,
            })
            .collect()
    }
}

impl TryFrom<Vec<Reason>> for Reasons {
    type Error = String;

    fn try_from(list: Vec<Reason>) -> Result<Reasons, String> {
        let take = |setting: &str| {
            list.iter()
                .find(|r| r.setting == setting)
                .map(|r| r.reason.clone())
        };
        let need = |setting: &str| take(setting).ok_or_else(|| format!("no reason for {setting}"));
        let timeout = |setting: &str| {
            need(setting).map(|text| TimeoutReason {
                text,
                covers_silent_drop: true,
            })
        };
        Ok(Reasons {
            recycle: need("recycle")?,
            pre_ping: need("pre_ping")?,
            read_timeout: timeout("read_timeout")?,
            write_timeout: timeout("write_timeout")?,
            keepalive: need("keepalive")?,
            connect_timeout: need("connect_timeout")?,
            checkout_timeout: need("checkout_timeout")?,
            pool: match (take("pool_size"), take("max_overflow")) {
                (Some(pool_size), Some(max_overflow)) => Some(PoolReasons {
                    pool_size,
                    max_overflow,
                }),
                _ => None,
            },
        })
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
