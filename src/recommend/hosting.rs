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
    /// The documented default, in seconds; None when there is none (HAProxy:
    /// an unset timeout is infinite) or none could be sourced (then the
    /// behaviour says so, and `--idle-limit` or a live server gives it).
    pub limit_s: Option<u64>,
    /// Idle flows vanish without FIN/RST (or it is not documented that they do not).
    pub silent: bool,
    /// What the limit counts: any packet (flow-level: TCP keepalive resets
    /// it) or only the server's own idle clock (keepalive does not).
    pub layer: LimitLayer,
    pub behaviour: &'static str,
    /// Where the limit (or its absence) is documented.
    pub source: &'static str,
    /// Why the layer is what it is, and where that is documented.
    pub layer_source: &'static str,
}

/// Every preset, in `--list-hosting` order.
pub const PRESETS: &[Preset] = &[
    PYTHONANYWHERE,
    AWS_NLB,
    AWS_NAT_GATEWAY,
    AWS_NETWORK_FIREWALL,
    AWS_RDS_PROXY,
    AZURE_LB,
    AZURE_MYSQL,
    GCP_CLOUD_NAT,
    GCP_CLOUD_SQL,
    CLEARDB,
    PROXYSQL,
    HAPROXY,
    K8S_CONNTRACK,
];

pub const PYTHONANYWHERE: Preset = Preset {
    name: "pythonanywhere",
    limit_s: Some(300),
    silent: false,
    layer: LimitLayer::Protocol,
    behaviour: "closes connections idle for 5 minutes (2006 on next use); its help pages recommend pool_recycle=280",
    source: "https://help.pythonanywhere.com/pages/ManagingDatabaseConnections/",
    layer_source: "server-level: the MySQL servers close connections inactive for 300 s (2006 'server has gone away'), the same page",
};

pub const AWS_NLB: Preset = Preset {
    name: "aws-nlb",
    limit_s: Some(350),
    silent: false,
    layer: LimitLayer::Flow,
    behaviour: "Network Load Balancer TCP idle timeout 350 s (configurable 60-6000 s); data sent after it gets a TCP RST",
    source: "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html",
    layer_source: "flow-level: 'Clients or targets can use TCP keepalive packets to reset the idle timeout' \
                   (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html#connection-idle-timeout)",
};

pub const AWS_NAT_GATEWAY: Preset = Preset {
    name: "aws-nat-gateway",
    limit_s: Some(350),
    silent: false,
    layer: LimitLayer::Flow,
    behaviour: "NAT gateway times out connections idle 350 s; it answers further packets with RST (no FIN)",
    source: "https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-troubleshooting.html",
    layer_source: "flow-level: the same page's fix is more traffic on the connection or TCP keepalive below 350 s",
};

pub const AWS_NETWORK_FIREWALL: Preset = Preset {
    name: "aws-network-firewall",
    limit_s: Some(350),
    silent: true,
    layer: LimitLayer::Flow,
    behaviour: "stateful firewall TCP idle timeout 350 s (60-6000 s); later data packets are dropped",
    source: "https://docs.aws.amazon.com/network-firewall/latest/APIReference/API_FlowTimeouts.html",
    layer_source: "flow-level: 'without any TCP traffic'; 'Clients or targets can use TCP keepalive packets to reset the idle timeout' (the same page)",
};

pub const AWS_RDS_PROXY: Preset = Preset {
    name: "aws-rds-proxy",
    limit_s: Some(1800),
    silent: false,
    layer: LimitLayer::Protocol,
    behaviour: "RDS Proxy closes a client connection idle for IdleClientTimeout, 1800 s (30 min) by default (1-28800 s); \
                the database connection behind it goes back to the proxy's pool",
    source: "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connections.html",
    layer_source: "protocol-level: a client connection is idle 'when the application doesn't submit a new request' (the same page); \
                   the proxy terminates TCP, so keepalive probes are not requests",
};

pub const AZURE_LB: Preset = Preset {
    name: "azure-lb",
    limit_s: Some(240),
    silent: true,
    layer: LimitLayer::Flow,
    behaviour: "Load Balancer idle timeout 4 min (4-100 min); flows are dropped silently unless 'TCP reset on idle' is enabled",
    source: "https://learn.microsoft.com/azure/load-balancer/load-balancer-tcp-reset",
    layer_source: "flow-level: 'A common practice is to use a TCP keep-alive ... Keep-alive packets ensure the idle timeout value isn't reached' (the same page)",
};

pub const AZURE_MYSQL: Preset = Preset {
    name: "azure-mysql",
    limit_s: None,
    silent: false,
    layer: LimitLayer::Protocol,
    behaviour: "Azure Database for MySQL (Flexible Server): wait_timeout is a server parameter you can change; its default is not \
                published on the server-parameters page, so this preset carries no number: poolcheck reads the server's own \
                wait_timeout when given a target (or --from inspect.json), or give it with --idle-limit",
    source: "https://learn.microsoft.com/azure/mysql/flexible-server/concepts-server-parameters",
    layer_source: "server-level: wait_timeout is the MySQL server's own idle clock, which counts MySQL commands, not TCP segments",
};

pub const GCP_CLOUD_NAT: Preset = Preset {
    name: "gcp-cloud-nat",
    limit_s: Some(1200),
    silent: true,
    layer: LimitLayer::Flow,
    behaviour: "Cloud NAT TCP established idle timeout 1200 s by default; whether it resets is not documented, so treated as silent",
    source: "https://cloud.google.com/nat/docs/public-nat#specs-timeouts",
    layer_source: "flow-level: a NAT mapping's timer for an established TCP connection (tcpEstablishedIdleTimeoutSec); \
                   that keepalive resets it is our inference from its kind, not a statement of the page",
};

pub const GCP_CLOUD_SQL: Preset = Preset {
    name: "gcp-cloud-sql",
    limit_s: None,
    silent: false,
    layer: LimitLayer::Protocol,
    behaviour: "Google Cloud SQL for MySQL: wait_timeout is a database flag you can set; no default is published on the flags \
                page, so this preset carries no number: poolcheck reads the server's own wait_timeout when given a target \
                (or --from inspect.json), or give it with --idle-limit",
    source: "https://cloud.google.com/sql/docs/mysql/flags",
    layer_source: "server-level: wait_timeout is the MySQL server's own idle clock, which counts MySQL commands, not TCP segments",
};

pub const CLEARDB: Preset = Preset {
    name: "cleardb",
    limit_s: Some(90),
    silent: false,
    layer: LimitLayer::Protocol,
    behaviour: "ClearDB (Heroku add-on) servers run wait_timeout 90 s; close idle pooled connections at 75-80 s",
    source: "https://knowledge.broadcom.com/external/article/294969",
    layer_source: "server-level: the limit is the servers' wait_timeout (the same article)",
};

pub const PROXYSQL: Preset = Preset {
    name: "proxysql",
    limit_s: Some(28800),
    silent: false,
    layer: LimitLayer::Protocol,
    behaviour: "ProxySQL closes a client connection inactive for mysql-wait_timeout, 28800000 ms (8 h) by default \
                (variables.wait_timeout=8*3600*1000 in its source), or the client's own lower SET wait_timeout; mysql-max_transaction_idle_time ends a transaction left idle",
    source: "https://github.com/sysown/proxysql/blob/v2.x/lib/MySQL_Thread.cpp",
    layer_source: "protocol-level: ProxySQL terminates TCP and logs 'Killing client connection ... because inactive' when no \
                   query came (its docs: 'inactive (no queries)'); keepalive probes never reach it",
};

pub const HAPROXY: Preset = Preset {
    name: "haproxy",
    limit_s: None,
    silent: false,
    layer: LimitLayer::Protocol,
    behaviour: "HAProxy in TCP mode ends a connection after 'timeout client' / 'timeout server' of inactivity; there is no \
                default (unset means infinite, with a warning at startup), so give yours with --idle-limit",
    source: "https://docs.haproxy.org/dev/configuration.html#4.2-timeout%20client",
    layer_source: "protocol-level for TCP keepalive: 'keep-alive packets are neither emitted nor received at the application \
                   level ... those keep-alive packets will not be forwarded to the other side of the proxy' \
                   (option clitcpka, the same manual): the inactivity timers count data, so keepalive does not reset them",
};

pub const K8S_CONNTRACK: Preset = Preset {
    name: "k8s-conntrack",
    limit_s: Some(86400),
    silent: true,
    layer: LimitLayer::Flow,
    behaviour: "Kubernetes nodes: kube-proxy sets the kernel's conntrack established timeout to 24 h \
                (--conntrack-tcp-timeout-established, default 24h0m0s; the kernel's own default is 432000 s); a NATed \
                flow forgotten after it is dropped as invalid, so treated as silent",
    source: "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/",
    layer_source: "flow-level: conntrack ages an entry by its last packet, and a keepalive probe is a packet",
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
        assert_eq!(find("AWS_NLB").unwrap().limit_s, Some(350));
        assert!(find("azure-lb").unwrap().silent);
        assert!(find("heroku").is_none());
        assert!(names().contains("pythonanywhere"));
        for p in PRESETS {
            assert!(p.source.starts_with("https://"), "{}", p.name);
            let kind = match p.layer {
                LimitLayer::Flow => "flow-level",
                LimitLayer::Protocol => "-level",
            };
            assert!(p.layer_source.contains(kind), "{}", p.name);
        }
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names.len(), unique.len());
    }
}
