//! A bare transport connect (TCP, or the Unix socket), closed at once: how
//! long the network part of a connect takes, apart from the MySQL handshake.

use crate::target::{ConnectSpec, Endpoint};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// Connects to `spec`'s endpoint without speaking MySQL and closes at once;
/// `None` when the connect failed. The server counts the connection in
/// `Aborted_connects`.
pub fn transport_connect_time(spec: &ConnectSpec) -> Option<Duration> {
    let started = Instant::now();
    match &spec.endpoint {
        Endpoint::Tcp { host, port } => {
            // The run's one lookup of the host (see db/resolve.rs).
            let deadline = started + spec.connect_timeout;
            let addr = *super::resolve::addresses(host, *port, deadline)
                .ok()?
                .first()?;
            let stream = TcpStream::connect_timeout(&addr, spec.connect_timeout).ok()?;
            let took = started.elapsed();
            drop(stream);
            Some(took)
        }
        Endpoint::Socket(path) => {
            let stream = UnixStream::connect(path).ok()?;
            let took = started.elapsed();
            drop(stream);
            Some(took)
        }
    }
}
