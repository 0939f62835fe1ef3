//! Hosting presets: documented idle limits, each with its source (docs/hosting.md).

use serde::{Deserialize, Serialize};

/// The two kinds of idle limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitLayer {
    /// A NAT gateway, load balancer or conntrack firewall forgets a flow
    /// after N seconds without any packet; keepalive probes are packets.
    Flow,
    /// The server's wait_timeout, or a proxy that counts MySQL bytes: TCP
    /// keepalive never reaches its timer.
    Protocol,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preset {
    pub name: &'static str,
    pub limit_s: u64,
    /// Idle flows vanish without FIN/RST (or it is not documented that they do not).
    pub silent: bool,
    /// What the limit counts: any packet (flow-level: TCP keepalive resets
    /// it) or only the server's own idle clock (keepalive does not).
    pub layer: LimitLayer,
    pub behaviour: &'static str,
    pub source: &'static str,
}

/// Every preset, in `--list-hosting` order.
pub const PRESETS: &[Preset] = &[
    PYTHONANYWHERE,
    AWS_NLB,
    AWS_NAT_GATEWAY,
    AWS_NETWORK_FIREWALL,
    AZURE_LB,
    GCP_CLOUD_NAT,
    CLEARDB,
];

pub const PYTHONANYWHERE: Preset = Preset {
    name: "pythonanywhere",
    limit_s: 300,
    silent: false,
    layer: LimitLayer::Protocol,
    behaviour: "closes connections idle for 5 minutes (2006 on next use); its help pages recommend pool_recycle=280",
    source: "https://help.pythonanywhere.com/pages/ManagingDatabaseConnections/",
};

pub const AWS_NLB: Preset = Preset {
    name: "aws-nlb",
    limit_s: 350,
    silent: false,
    layer: LimitLayer::Flow,
    behaviour: "Network Load Balancer TCP idle timeout 350 s (configurable 60-6000 s); data sent after it gets a TCP RST",
    source: "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html",
};

pub const AWS_NAT_GATEWAY: Preset = Preset {
    name: "aws-nat-gateway",
    limit_s: 350,
    silent: false,
    layer: LimitLayer::Flow,
    behaviour: "NAT gateway times out connections idle 350 s; it answers further packets with RST (no FIN)",
    source: "https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-troubleshooting.html",
};

pub const AWS_NETWORK_FIREWALL: Preset = Preset {
    name: "aws-network-firewall",
    limit_s: 350,
    silent: true,
    layer: LimitLayer::Flow,
    behaviour: "stateful firewall TCP idle timeout 350 s (60-6000 s); later data packets are dropped",
    source: "https://docs.aws.amazon.com/network-firewall/latest/APIReference/API_FlowTimeouts.html",
};

pub const AZURE_LB: Preset = Preset {
    name: "azure-lb",
    limit_s: 240,
    silent: true,
    layer: LimitLayer::Flow,
    behaviour: "Load Balancer idle timeout 4 min (4-100 min); flows are dropped silently unless 'TCP reset on idle' is enabled",
    source: "https://learn.microsoft.com/azure/load-balancer/load-balancer-tcp-reset",
};

pub const GCP_CLOUD_NAT: Preset = Preset {
    name: "gcp-cloud-nat",
    limit_s: 1200,
    silent: true,
    layer: LimitLayer::Flow,
    behaviour: "Cloud NAT TCP established idle timeout 1200 s by default; whether it resets is not documented, so treated as silent",
    source: "https://cloud.google.com/nat/docs/public-nat#specs-timeouts",
};

pub const CLEARDB: Preset = Preset {
    name: "cleardb",
    limit_s: 90,
    silent: false,
    layer: LimitLayer::Protocol,
    behaviour: "ClearDB (Heroku add-on) servers run wait_timeout 90 s; close idle pooled connections at 75-80 s",
    source: "https://knowledge.broadcom.com/external/article/294969",
};

pub fn find(name: &str) -> Option<&'static Preset> {
    let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
    PRESETS.iter().find(|p| p.name == wanted)
}

pub fn names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup() {
        assert_eq!(find("AWS_NLB").unwrap().limit_s, 350);
        assert!(find("azure-lb").unwrap().silent);
        assert!(find("heroku").is_none());
        assert!(names().contains("pythonanywhere"));
        for p in PRESETS {
            assert!(p.source.starts_with("https://"), "{}", p.name);
        }
    }
}
