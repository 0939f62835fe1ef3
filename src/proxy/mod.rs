//! `poolcheck proxy`: a TCP proxy that plays the middlebox (load balancer, NAT
//! gateway, firewall) which kills idle connections, so each way a pooled
//! MySQL/MariaDB connection dies can be reproduced on demand.
//!
//! Layout: `config` (what to do), `server` (listener, idle clock, stop),
//! `flow` (one proxied connection and how it is ended), `connect` (upstream
//! connect that gives up on stop), `packet` (the MySQL ERR packet), `event`
//! (what the proxy reports), `fds` (the open-files limit the flows need).
//!
//! TCP keepalive probes carry no payload and are answered by this machine's
//! kernel, so no read() ever sees them. With `--layer 4` (the default, what
//! NAT gateways and network load balancers are) the proxy counts every
//! segment each socket received (`segments`, Linux's `tcpi_segs_in`), so a
//! probe resets the idle clock as it does in a real NAT; with `--layer 7`
//! only payload bytes count, as in a proxy that terminates TCP.

#![forbid(unsafe_code)]

mod config;
mod connect;
mod event;
mod fds;
mod flow;
mod packet;
mod segments;
mod server;
#[cfg(test)]
mod tests;

pub use config::{Layer, OnIdle, ProxyConfig};
pub use event::{ProxyEvent, ProxyStats};
pub use fds::{OpenFiles, fit as fit_open_files};
pub use packet::{ER_CLIENT_INTERACTION_TIMEOUT, err_packet};
pub use server::Proxy;

use std::io;
use std::sync::atomic::AtomicBool;

/// Binds and runs in one call: what `poolcheck proxy` does. Returns when
/// `stop` is set (or at once if binding fails).
pub fn serve(
    config: ProxyConfig,
    stop: &AtomicBool,
    on_event: &(dyn Fn(ProxyEvent) + Send + Sync),
) -> io::Result<ProxyStats> {
    Proxy::bind(config)?.run(stop, on_event)
}
