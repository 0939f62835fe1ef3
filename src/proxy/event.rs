//! What the proxy reports while it runs (events) and when it stops (stats).

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// One thing that happened to a flow. Every `Accepted` flow later gets exactly
/// one `Closed`, sent once its sockets are closed (also after `UpstreamFailed`).
#[derive(Debug, Clone)]
pub enum ProxyEvent {
    Accepted {
        flow: u64,
        client: SocketAddr,
    },
    /// The flow was idle longer than the cutoff and was ended `how`:
    /// "fin", "rst", "blackhole" or "error CODE".
    Killed {
        flow: u64,
        idle: Duration,
        how: &'static str,
    },
    /// `bytes_up` went client → server, `bytes_down` server → client.
    Closed {
        flow: u64,
        bytes_up: u64,
        bytes_down: u64,
    },
    UpstreamFailed {
        flow: u64,
        error: String,
    },
    /// A client that was accepted and closed at once (no flow was made).
    Refused {
        client: SocketAddr,
        reason: String,
    },
}

/// One line per event, as the CLI prints them to stderr.
impl fmt::Display for ProxyEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyEvent::Accepted { flow, client } => {
                write!(f, "flow {flow}: accepted from {client}")
            }
            ProxyEvent::Killed { flow, idle, how } => write!(
                f,
                "flow {flow}: idle for {:.3}s, killed ({how})",
                idle.as_secs_f64()
            ),
            ProxyEvent::Closed {
                flow,
                bytes_up,
                bytes_down,
            } => write!(
                f,
                "flow {flow}: closed ({bytes_up} bytes up, {bytes_down} bytes down)"
            ),
            ProxyEvent::UpstreamFailed { flow, error } => {
                write!(
                    f,
                    "flow {flow}: upstream connect failed, client closed: {error}"
                )
            }
            ProxyEvent::Refused { client, reason } => write!(f, "refused {client}: {reason}"),
        }
    }
}

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct ProxyStats {
    /// Flows accepted and served (refused clients not included).
    pub flows_total: u64,
    /// Flows ended by the idle cutoff.
    pub flows_killed: u64,
    /// Most flows open at once.
    pub max_concurrent: usize,
    /// Clients closed at once because `max_flows` flows were open (or a flow
    /// thread could not be started).
    pub flows_refused: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_print_one_line_each() {
        let killed = ProxyEvent::Killed {
            flow: 7,
            idle: Duration::from_millis(350_012),
            how: "rst",
        };
        assert_eq!(
            killed.to_string(),
            "flow 7: idle for 350.012s, killed (rst)"
        );
        let refused = ProxyEvent::Refused {
            client: "127.0.0.1:5000".parse().unwrap(),
            reason: "max_flows (2) reached".into(),
        };
        assert_eq!(
            refused.to_string(),
            "refused 127.0.0.1:5000: max_flows (2) reached"
        );
    }
}
