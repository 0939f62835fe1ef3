//! Connecting to the upstream with a deadline that also gives up as soon as
//! the proxy is told to stop.
//!
//! A blocking `connect_timeout` would hold a flow thread (and so the proxy's
//! shutdown) for up to the whole timeout, and it cannot be interrupted without
//! `unsafe`. So the connect is non-blocking and its completion is polled with
//! a short, growing sleep: loopback connects finish within the first 1 ms
//! poll, remote ones cost at most one wake-up every 20 ms while pending.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

const FIRST_POLL: Duration = Duration::from_millis(1);
const MAX_POLL: Duration = Duration::from_millis(20);

/// Tries each address in turn until one connects, all within `timeout` in
/// total. Fails with `Interrupted` when `stop` is set. The stream returned is
/// in blocking mode.
pub(super) fn connect(
    addrs: &[SocketAddr],
    timeout: Duration,
    stop: &AtomicBool,
) -> io::Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    let mut last_error = None;
    for &addr in addrs {
        match connect_one(addr, deadline, stop) {
            Ok(stream) => return Ok(stream),
            Err(e) => {
                let out_of_time = matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                );
                last_error = Some(io::Error::new(e.kind(), format!("{addr}: {e}")));
                if out_of_time {
                    break;
                }
            }
        }
    }
    Err(last_error
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no upstream address")))
}

fn connect_one(addr: SocketAddr, deadline: Instant, stop: &AtomicBool) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if in_progress(&e) => wait_connected(&socket, deadline, stop)?,
        Err(e) => return Err(e),
    }
    socket.set_nonblocking(false)?;
    Ok(socket.into())
}

fn wait_connected(socket: &Socket, deadline: Instant, stop: &AtomicBool) -> io::Result<()> {
    let mut pause = FIRST_POLL;
    loop {
        // A failed connect leaves its error in SO_ERROR; a finished one has a peer.
        if let Some(e) = socket.take_error()? {
            return Err(e);
        }
        match socket.peer_addr() {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {}
            Err(e) => return Err(e),
        }
        if stop.load(SeqCst) {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "proxy is stopping",
            ));
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"));
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(MAX_POLL);
    }
}

fn in_progress(e: &io::Error) -> bool {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::EINPROGRESS) {
        return true;
    }
    // Windows reports a pending non-blocking connect as WSAEWOULDBLOCK.
    e.kind() == io::ErrorKind::WouldBlock
}
