//! `poolcheck proxy`: a TCP proxy that plays the middlebox (load balancer, NAT
//! gateway, firewall) which kills idle connections, so each way a pooled
//! MySQL/MariaDB connection dies can be reproduced on demand.
//!
//! Layout: `config` (what to do), `server` (listener, idle clock, stop),
//! `flow` (one proxied connection and how it is ended), `connect` (upstream
//! connect that gives up on stop), `packet` (the MySQL ERR packet), `event`
//! (what the proxy reports), `fds` (the open-files limit the flows need).
//!
//! What it cannot see: TCP keepalive probes carry no payload and are answered
//! by this machine's kernel, so unlike some real middleboxes (e.g. AWS NLB)
//! they never reset this proxy's idle timer. Only payload bytes count.

#![forbid(unsafe_code)]

mod config;
mod connect;
mod event;
mod fds;
mod flow;
mod packet;
mod server;
#[cfg(test)]
mod tests;

pub use config::{OnIdle, ProxyConfig};
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
