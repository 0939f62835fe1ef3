//! Configuration of the proxy: where to listen, where to forward, and how an
//! idle flow is ended.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

/// How the proxy ends a flow that stayed idle past the cutoff; each mirrors a
/// kind of middlebox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnIdle {
    /// Close both sides cleanly (FIN), like a proxy/LB that closes politely.
    Fin,
    /// Reset both sides (RST), like most cloud load balancers and firewalls.
    Rst,
    /// Forget the flow silently: nothing more gets through either way, and
    /// nobody is told, like a NAT gateway or stateful firewall dropping state.
    Blackhole,
    /// Forget the flow, as a NAT gateway does (AWS's answers RST): the
    /// client's next packet gets RST, and nothing ever reaches the server,
    /// whose connection stays open (a zombie thread) until its own
    /// wait_timeout.
    Nat,
}

/// What resets a flow's idle clock: the layer the simulated middlebox works at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// Any TCP segment, either direction, payload or not (keepalive probes,
    /// bare ACKs): a NAT gateway, a conntrack firewall, a cloud network load
    /// balancer. Linux only (segments are counted from `TCP_INFO`).
    L4,
    /// Payload bytes only: a proxy that terminates TCP (ProxySQL, HAProxy,
    /// MaxScale), which never sees the client's keepalive probes.
    L7,
}

impl OnIdle {
    /// The spelling used on the command line and in events.
    pub const fn as_str(self) -> &'static str {
        match self {
            OnIdle::Fin => "fin",
            OnIdle::Rst => "rst",
            OnIdle::Blackhole => "blackhole",
            OnIdle::Nat => "nat",
        }
    }
}

impl fmt::Display for OnIdle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OnIdle {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "fin" => Ok(OnIdle::Fin),
            "rst" | "reset" => Ok(OnIdle::Rst),
            "blackhole" | "drop" => Ok(OnIdle::Blackhole),
            "nat" => Ok(OnIdle::Nat),
            _ => Err(format!(
                "unknown --on-idle mode {s:?} (expected fin, rst, blackhole or nat)"
            )),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// Where clients connect (port 0 picks a free port).
    pub listen: SocketAddr,
    /// "host:port" of the real server. Resolved once, in `Proxy::bind`.
    pub upstream: String,
    /// A flow with nothing (see `layer`) in either direction for longer than
    /// this is ended.
    pub idle_cutoff: Duration,
    /// What counts as activity: any segment (4) or payload bytes only (7).
    pub layer: Layer,
    pub on_idle: OnIdle,
    /// If set, an idle flow is ended the way MySQL 8.0.24+ ends it: this ERR
    /// packet to the client, then FIN on both sides. `on_idle` is then unused.
    pub inject_error: Option<u16>,
    /// Flows open at once; clients beyond it are accepted and closed at once.
    pub max_flows: usize,
    /// Limit on each upstream connect; a failed connect closes the client.
    pub connect_timeout: Duration,
}

impl ProxyConfig {
    /// AWS NLB's fixed idle timeout: the cutoff people most often hit.
    pub const DEFAULT_IDLE_CUTOFF: Duration = Duration::from_secs(350);
    pub const DEFAULT_MAX_FLOWS: usize = 1000;
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A config with the CLI's defaults: 350 s cutoff, layer 4, FIN, no injected
    /// error, 1000 flows, 10 s connect timeout.
    pub fn new(listen: SocketAddr, upstream: impl Into<String>) -> ProxyConfig {
        ProxyConfig {
            listen,
            upstream: upstream.into(),
            idle_cutoff: Self::DEFAULT_IDLE_CUTOFF,
            layer: Layer::L4,
            on_idle: OnIdle::Fin,
            inject_error: None,
            max_flows: Self::DEFAULT_MAX_FLOWS,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_idle_parses_and_prints() {
        for mode in [OnIdle::Fin, OnIdle::Rst, OnIdle::Blackhole, OnIdle::Nat] {
            assert_eq!(mode.to_string().parse::<OnIdle>(), Ok(mode));
        }
        assert_eq!("RST".parse::<OnIdle>(), Ok(OnIdle::Rst));
        assert!("close".parse::<OnIdle>().is_err());
    }

    #[test]
    fn new_uses_cli_defaults() {
        let c = ProxyConfig::new("127.0.0.1:3307".parse().unwrap(), "db:3306");
        assert_eq!(c.idle_cutoff, Duration::from_secs(350));
        assert_eq!(c.on_idle, OnIdle::Fin);
        assert_eq!(c.layer, Layer::L4);
        assert_eq!(c.inject_error, None);
        assert_eq!(c.max_flows, 1000);
        assert_eq!(c.connect_timeout, Duration::from_secs(10));
    }
}
