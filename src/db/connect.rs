//! Opening a connection: options, TLS modes, and a deadline that covers name
//! resolution, the TCP connect, the MySQL handshake, TLS and authentication
//! together, with an error that names the phase that ran out of time.

use super::errors::{classify_connect_error, sanitize};
use super::resolve::ResolveError;
use crate::error::hinted;
use crate::target::{ConnectSpec, Endpoint, SslMode};
use anyhow::Result;
use mysql::prelude::Queryable;
use mysql::{Conn, ConnectPhase, OptsBuilder, SslOpts};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// An open connection plus what we learned while opening it.
pub struct Session {
    conn: Conn,
    /// `host:port` or the socket path, for errors.
    peer: String,
    /// Bound on each read of an answer.
    read_timeout: Duration,
    /// The driver panicked on a malformed packet: the connection is unusable.
    broken: bool,
    /// TLS was negotiated.
    pub tls: bool,
    /// Wall time of connect + handshake + login.
    pub connect_time: Duration,
    /// The TCP (or socket) connect alone, as the driver made it.
    pub tcp_connect_time: Option<Duration>,
}

/// The client-side packet cap. Setting it stops the driver from running
/// `SELECT @@max_allowed_packet` after every connect (inspect promises at most
/// four queries); the server still enforces its own limit.
const CLIENT_MAX_PACKET: usize = 1 << 30;

/// How a connection is opened beyond the target itself.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// Bound on every read and write after the connect.
    pub io_timeout: Duration,
    /// TCP keepalive idle time; `None` leaves SO_KEEPALIVE off, so a middlebox's
    /// idle timer sees a truly idle connection.
    pub keepalive: Option<Duration>,
    /// Between keepalive probes (whole seconds); `None`: the OS's interval.
    pub keepalive_interval: Option<Duration>,
    /// Statements run right after login (e.g. `SET SESSION wait_timeout = N`).
    pub init: Vec<String>,
}

/// Opens a connection to `spec`. Every read and write on it afterwards is bounded
/// by `io_timeout`; the whole opening is bounded by `spec.connect_timeout`.
pub fn connect(spec: &ConnectSpec, io_timeout: Duration) -> Result<Session> {
    connect_with(
        spec,
        &ConnectOptions {
            io_timeout,
            ..ConnectOptions::default()
        },
    )
}

/// [`connect`] with keepalive and init statements.
pub fn connect_with(spec: &ConnectSpec, options: &ConnectOptions) -> Result<Session> {
    let started = Instant::now();
    let deadline = started + spec.connect_timeout;
    // Unix sockets never carry TLS (the MySQL clients treat them as secure).
    let ssl = match (spec.ssl_mode, &spec.endpoint) {
        (SslMode::Disabled, _) | (_, Endpoint::Socket(_)) => None,
        // TLS if the greeting offers it, else plain text on the same
        // connection: no second connect, nothing aborted on the server.
        (SslMode::Preferred, _) => Some(
            SslOpts::default()
                .with_danger_accept_invalid_certs(true)
                .with_optional(true),
        ),
        (mode, _) => {
            if let Some(ca) = &spec.ssl_ca {
                super::tls::check_ca_file(ca)?;
            }
            Some(ssl_opts(mode, spec))
        }
    };
    let addrs = match &spec.endpoint {
        Endpoint::Tcp { host, port } => match super::resolve::addresses(host, *port, deadline) {
            Ok(addrs) => addrs,
            Err(ResolveError::Interrupted) => {
                return Err(anyhow::Error::new(crate::signal::Interrupted));
            }
            Err(ResolveError::Deadline) => return Err(timed_out(spec, Phase::Resolve)),
            Err(ResolveError::Failed(e)) => {
                return Err(anyhow::Error::new(e).context(crate::error::Hinted::new(
                    format!("could not resolve the host name in {}", spec.address()),
                    "check the host name (--host or the URL)",
                )));
            }
        },
        Endpoint::Socket(_) => Vec::new(),
    };
    let phase = ConnectPhase::default();
    match attempt(spec, addrs, ssl, options, deadline, &phase) {
        Ok(conn) => Ok(Session {
            tls: conn.is_tls(),
            conn,
            peer: spec.address(),
            read_timeout: options.io_timeout,
            broken: false,
            connect_time: started.elapsed(),
            tcp_connect_time: phase.tcp_connect_time(),
        }),
        Err(Attempt::Deadline) => Err(timed_out(spec, Phase::of(&phase))),
        Err(Attempt::Interrupted) => Err(anyhow::Error::new(crate::signal::Interrupted)),
        // The driver's own timeouts are set to what was left of the deadline:
        // when one fires first, the message is the same as the deadline's.
        Err(Attempt::Driver(e)) if is_timeout(&e) => Err(timed_out(spec, Phase::of(&phase))),
        Err(Attempt::Driver(e)) => Err(classify_connect_error(e, spec, phase.tls())),
        Err(Attempt::Malformed) => Err(hinted(
            format!(
                "{} did not answer like a MySQL or MariaDB server (a malformed packet in the handshake)",
                spec.address()
            ),
            "check the port: is a MySQL/MariaDB server listening there (not HTTP, SSH, a broken proxy, ...)?",
        )),
    }
}

/// The phase of opening a connection that the connect timeout ran out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Looking up the host name.
    Resolve,
    /// The TCP connect (SYN, SYN-ACK).
    Tcp,
    /// Connected; waiting for the server's greeting.
    Greeting,
    /// The TLS handshake.
    Tls,
    /// The handshake response, authentication and the session's init statements.
    Login,
}

impl Phase {
    fn of(phase: &ConnectPhase) -> Phase {
        match phase.get() {
            ConnectPhase::GREETING => Phase::Greeting,
            ConnectPhase::TLS => Phase::Tls,
            ConnectPhase::LOGIN | ConnectPhase::INIT | ConnectPhase::DONE => Phase::Login,
            _ => Phase::Tcp,
        }
    }
}

/// A connect that ran out of time, kept in the error chain with its phase.
#[derive(Debug)]
pub struct ConnectTimedOut {
    pub phase: Phase,
}

impl std::fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connect timeout in phase {:?}", self.phase)
    }
}

impl std::error::Error for ConnectTimedOut {}

/// One message per phase, so the same path always gets the same words.
fn timed_out(spec: &ConnectSpec, phase: Phase) -> anyhow::Error {
    let addr = spec.address();
    let within = humantime::format_duration(spec.connect_timeout);
    let (message, hint) = match phase {
        Phase::Resolve => (
            format!(
                "could not resolve the host name in {addr} within {within} (connect timeout ran out while resolving)"
            ),
            "the DNS resolver did not answer in time: check it (/etc/resolv.conf), use an IP \
             address, or raise --connect-timeout",
        ),
        Phase::Tcp => (
            format!(
                "no TCP connection to {addr} within {within} (connect timeout ran out in the TCP connect: \
                 nothing answered the connection attempt)"
            ),
            "check the host and port and that no firewall silently drops the traffic; raise \
             --connect-timeout for slow links",
        ),
        Phase::Greeting => (
            format!(
                "{addr} accepted the TCP connection but sent no complete MySQL greeting within {within} \
                 (connect timeout ran out in the handshake)"
            ),
            "check that this is a MySQL/MariaDB port and that nothing on the path (a proxy or \
             load balancer without a backend) holds connections open; raise --connect-timeout \
             for slow links",
        ),
        Phase::Tls => (
            format!(
                "the TLS handshake with {addr} did not finish within {within} (connect timeout ran out in TLS)"
            ),
            "check that nothing on the path intercepts or blocks TLS; --ssl-mode DISABLED shows \
             whether plain text gets through; raise --connect-timeout for slow links",
        ),
        Phase::Login => (
            format!(
                "{addr} did not finish the login within {within} (connect timeout ran out in the login)"
            ),
            "the server is slow to authenticate: overloaded, or resolving client host names \
             (skip_name_resolve off) with a slow DNS; raise --connect-timeout",
        ),
    };
    anyhow::Error::new(ConnectTimedOut { phase }).context(crate::error::Hinted::new(message, hint))
}

/// A driver error that means "no answer in time" (not a refusal or a bad answer).
fn is_timeout(e: &mysql::Error) -> bool {
    use mysql_common::proto::codec::error::PacketCodecError;
    use std::io::ErrorKind;
    match e {
        mysql::Error::DriverError(mysql::DriverError::ConnectTimeout) => true,
        mysql::Error::IoError(io) | mysql::Error::CodecError(PacketCodecError::Io(io)) => {
            matches!(io.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
        }
        _ => false,
    }
}

enum Attempt {
    Deadline,
    /// The driver panicked on a packet it could not parse.
    Malformed,
    Interrupted,
    Driver(mysql::Error),
}

fn ssl_opts(mode: SslMode, spec: &ConnectSpec) -> SslOpts {
    let base = SslOpts::default().with_root_cert_path(spec.ssl_ca.clone());
    match mode {
        // REQUIRED encrypts without verifying, as in the MySQL clients.
        SslMode::Required | SslMode::Preferred => base.with_danger_accept_invalid_certs(true),
        SslMode::VerifyCa => base.with_danger_skip_domain_validation(true),
        SslMode::VerifyIdentity | SslMode::Disabled => base,
    }
}

/// One connection attempt on a helper thread, so a peer that accepts TCP and
/// then stalls cannot hold us past the deadline. The thread ends by itself once
/// its own read timeout fires.
fn attempt(
    spec: &ConnectSpec,
    addrs: Vec<SocketAddr>,
    ssl: Option<SslOpts>,
    options: &ConnectOptions,
    deadline: Instant,
    phase: &ConnectPhase,
) -> Result<Conn, Attempt> {
    let io_timeout = options.io_timeout;
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return Err(Attempt::Deadline);
    }
    let mut builder = OptsBuilder::new()
        .user(Some(spec.user.clone()))
        .pass(spec.password.as_ref().map(|p| p.expose().to_string()))
        .db_name(spec.database.clone())
        // Never let the driver swap a TCP target for a local socket.
        .prefer_socket(false)
        .tcp_connect_timeout(Some(remaining))
        // Bounds each read of the handshake too (the connect timeout alone does not).
        .read_timeout(Some(
            io_timeout.min(remaining.max(Duration::from_millis(100))),
        ))
        .write_timeout(Some(io_timeout))
        .max_allowed_packet(Some(CLIENT_MAX_PACKET))
        .stmt_cache_size(Some(0))
        .connect_attrs(Some(HashMap::from([("program_name", "poolcheck")])))
        .tcp_keepalive_time_ms(
            options
                .keepalive
                .map(|d| d.as_millis().min(u32::MAX as u128) as u32),
        )
        .tcp_keepalive_probe_interval_secs(
            options
                .keepalive_interval
                .map(|d| d.as_secs().clamp(1, u64::from(u32::MAX)) as u32),
        )
        .init(options.init.clone())
        .connect_phase(Some(phase.clone()))
        .ssl_opts(ssl);
    match &spec.endpoint {
        Endpoint::Tcp { host, port } => {
            // The name stays what TLS verifies and sends as SNI; the TCP
            // connect goes to the addresses resolved once for the run.
            builder = builder
                .ip_or_hostname(Some(host.clone()))
                .tcp_port(*port)
                .resolved_addrs(addrs);
        }
        Endpoint::Socket(path) => {
            builder = builder.socket(Some(path.to_string_lossy().into_owned()));
        }
    }
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("poolcheck-connect".into())
        .spawn(move || {
            let opened = match guarded(|| Conn::new(builder)) {
                Ok(Ok(conn)) => {
                    // The handshake's reads were bounded by what was left of the
                    // connect timeout; answers get the io timeout from now on.
                    use std::os::fd::AsRawFd;
                    let _ = super::socket::set_read_timeout(conn.as_raw_fd(), io_timeout);
                    Ok(conn)
                }
                Ok(Err(e)) => Err(Attempt::Driver(e)),
                Err(DriverPanic) => Err(Attempt::Malformed),
            };
            let _ = tx.send(opened);
        });
    if let Err(e) = spawned {
        return Err(Attempt::Driver(mysql::Error::IoError(e)));
    }
    // Wait in short slices so Ctrl-C or SIGTERM is not held up by a slow peer;
    // the abandoned thread ends by itself at its own timeouts.
    loop {
        if crate::signal::interrupted() {
            return Err(Attempt::Interrupted);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(Duration::from_millis(100))) {
            Ok(result) => return result,
            Err(mpsc::RecvTimeoutError::Timeout) if !left.is_zero() => continue,
            Err(_) => return Err(Attempt::Deadline),
        }
    }
}

/// A row as text columns (NULL is `None`). Everything inspect reads is small and
/// textual, so one representation keeps the parsing in pure code.
pub type TextRow = Vec<Option<String>>;

impl Session {
    /// Runs one statement and returns its rows as text. An answer that stops
    /// coming for the read timeout, breaks off, or cannot be parsed is an error
    /// with a hint (the connection is not used again after a malformed packet).
    pub fn query_text(&mut self, sql: &str) -> Result<Vec<TextRow>> {
        if self.broken {
            return Err(self
                .broken_answer("the connection was left unusable by an earlier malformed packet"));
        }
        let conn = &mut self.conn;
        let rows: Vec<mysql::Row> = match guarded(|| conn.query(sql)) {
            Ok(Ok(rows)) => rows,
            Ok(Err(e @ mysql::Error::MySqlError(_))) => {
                return Err(anyhow::anyhow!(
                    "{}",
                    sanitize(&super::errors::describe(&e))
                ));
            }
            Ok(Err(e)) => return Err(self.query_failed(&e)),
            Err(DriverPanic) => {
                self.broken = true;
                return Err(self.broken_answer("a malformed packet in the answer"));
            }
        };
        Ok(rows
            .into_iter()
            .map(|row| row.unwrap().into_iter().map(value_text).collect())
            .collect())
    }

    /// An answer that stopped or broke off (not a server error packet).
    fn query_failed(&self, e: &mysql::Error) -> anyhow::Error {
        use mysql_common::proto::codec::error::PacketCodecError;
        use std::io::ErrorKind;
        let timed_out = matches!(e,
            mysql::Error::IoError(io) | mysql::Error::CodecError(PacketCodecError::Io(io))
                if matches!(io.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut));
        if timed_out {
            return self.broken_answer(&format!(
                "no data for {} (read timeout) in the middle of an answer",
                humantime::format_duration(self.read_timeout)
            ));
        }
        self.broken_answer(&sanitize(&super::errors::describe(e)))
    }

    fn broken_answer(&self, what: &str) -> anyhow::Error {
        hinted(
            format!("the answer from {} broke off: {what}", self.peer),
            "these queries are small and answered at once by MySQL/MariaDB: check that the target \
             is a real MySQL/MariaDB server (not a proxy or emulation) and that the network path \
             does not drop or stall connections, then run again",
        )
    }

    /// The server's id for this connection (from the handshake).
    pub fn connection_id(&self) -> u32 {
        self.conn.connection_id()
    }
}

fn value_text(v: mysql::Value) -> Option<String> {
    use mysql::Value;
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Double(d) => Some(d.to_string()),
        other => Some(other.as_sql(true)),
    }
}

/// Why a ping on an idle connection failed, in the terms `probe` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PingFailure {
    /// The server answered with an error packet.
    Server {
        code: u16,
        message: String,
    },
    /// The peer had closed (FIN): the driver read end-of-file.
    Eof,
    /// The peer reset the connection (RST).
    Reset,
    /// No answer within the read timeout: the path swallows packets.
    Timeout,
    /// Writing failed because the peer was already gone.
    BrokenPipe,
    /// Bytes arrived out of sequence: usually an unsolicited error packet.
    OutOfSync,
    Other(String),
}

impl Session {
    /// Looks at the socket without sending or consuming anything.
    pub fn peek(&self) -> super::socket::Peek {
        use std::os::fd::AsRawFd;
        super::socket::peek_fd(self.conn.as_raw_fd(), self.tls)
    }

    /// Sends COM_PING and waits (at most the io timeout) for the answer.
    pub fn ping_classified(&mut self) -> Result<(), PingFailure> {
        if self.broken {
            return Err(PingFailure::Other("malformed packet earlier".into()));
        }
        let conn = &mut self.conn;
        match guarded(|| conn.ping()) {
            Ok(r) => r.map_err(|e| classify_ping_error(&e)),
            Err(DriverPanic) => {
                self.broken = true;
                Err(PingFailure::Other("malformed packet in the answer".into()))
            }
        }
    }
}

/// The driver panicked: see [`guarded`].
struct DriverPanic;

std::thread_local! {
    static IN_DRIVER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a driver call, turning a panic inside the driver into an error. The
/// mysql crate indexes some packets without checking their length, so a server
/// that sends an empty packet where an answer belongs makes it panic; its panic
/// message is kept off the terminal (the caller reports a clean error).
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, DriverPanic> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_DRIVER.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    IN_DRIVER.with(|d| d.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_DRIVER.with(|d| d.set(false));
    result.map_err(|_| DriverPanic)
}

fn classify_ping_error(e: &mysql::Error) -> PingFailure {
    use mysql::{DriverError, Error};
    use mysql_common::proto::codec::error::PacketCodecError;
    use std::io::ErrorKind;
    let io_kind = |io: &std::io::Error| match io.kind() {
        ErrorKind::ConnectionReset => PingFailure::Reset,
        ErrorKind::WouldBlock | ErrorKind::TimedOut => PingFailure::Timeout,
        ErrorKind::UnexpectedEof => PingFailure::Eof,
        // The driver reports a clean end-of-file as a BrokenPipe with no errno.
        ErrorKind::BrokenPipe if io.raw_os_error().is_none() => PingFailure::Eof,
        ErrorKind::BrokenPipe => PingFailure::BrokenPipe,
        _ => PingFailure::Other(sanitize(&io.to_string())),
    };
    match e {
        Error::MySqlError(m) => PingFailure::Server {
            code: m.code,
            message: sanitize(&m.message),
        },
        Error::IoError(io) | Error::CodecError(PacketCodecError::Io(io)) => io_kind(io),
        Error::CodecError(PacketCodecError::PacketsOutOfSync)
        | Error::DriverError(DriverError::PacketOutOfSync) => PingFailure::OutOfSync,
        other => PingFailure::Other(sanitize(&super::errors::describe(other))),
    }
}
