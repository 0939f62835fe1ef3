//! One proxied connection (a "flow"): its upstream connect, its two pump
//! threads, its idle clock, and the ways it ends (natural close, idle kill by
//! FIN / RST / blackhole / injected ERR packet, proxy stop).
//!
//! Cost of one flow, idle or not: two threads with 64 KiB stacks (virtual; an
//! idle pump touches only a few KiB of it), one 8 KiB heap buffer per
//! thread, one `Flow` (about 100 bytes) and two sockets (two fds; the
//! kernel's socket buffers stay small while idle). Measured on Linux with
//! 1000 idle flows: about 35-40 KiB resident per flow (under 40 MiB in all),
//! and 2000 threads (tests/it/limits.rs holds it under 64 MiB). Idle pumps wake every 200 ms (read timeout) to look at the stop
//! flag and the flow's state: about 7% of one core for 1000 idle flows, the
//! price of bounding every wait without `unsafe` polling. Kills and stop do
//! not wait for that wake-up: they shut the sockets down, which ends a
//! blocked read at once.
//!
//! Each socket has exactly ONE handle (no `try_clone`): both pumps use it
//! through `&TcpStream`. That is what makes the RST kill work: SO_LINGER 0 only
//! sends RST when the last handle of a socket closes, and a clone kept by a
//! pump would otherwise turn it into nothing at all.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, OnceLock};
use std::thread::{self, Scope};
use std::time::{Duration, Instant};

use socket2::SockRef;

use std::collections::HashMap;

use super::connect::connect;
use super::event::ProxyEvent;
use super::segments::SocketKey;

/// Stack of every flow thread. Pumps only read, write and compare; the
/// biggest user is the `on_event` callback, which must not need more.
pub(super) const FLOW_STACK: usize = 64 * 1024;
/// Per direction. Small on purpose: memory per flow matters more than
/// throughput for a proxy that exists to watch connections sit idle.
const BUF_SIZE: usize = 8 * 1024;
/// Read and write timeout of every socket: how often a blocked pump looks at
/// the stop flag and the flow's state. Longer costs less CPU per idle flow;
/// shorter notices a stop sooner when no shutdown() wakes the pump.
pub(super) const IO_TIMEOUT: Duration = Duration::from_millis(200);
/// How long the injected ERR packet may take to get into a client's socket
/// (a client that reads nothing must not keep the flow alive).
const INJECT_BUDGET: Duration = Duration::from_secs(1);

// Flow states. Only ACTIVE flows are watched for idleness; every kill is a
// compare-exchange from ACTIVE, so a flow is killed at most once.
const CONNECTING: u8 = 0;
const ACTIVE: u8 = 1;
/// Killed by blackhole: pumps keep reading and discarding until the client
/// closes or the proxy stops.
const BLACKHOLE: u8 = 2;
/// Ending with FIN (fin kill, natural close, error, stop): pumps exit, and
/// both sockets are shut down.
const CLOSING: u8 = 3;
/// Killed by RST: SO_LINGER 0 is set; pumps exit WITHOUT shutting anything
/// down (a shutdown(Write) would send FIN first), and the close sends RST.
const RESET: u8 = 4;
/// Killed with an ERR packet: the down pump (the only writer to the client)
/// writes it, then the flow closes with FIN.
const INJECT: u8 = 5;
/// Forgotten, NAT style: SO_LINGER 0 is set on the client socket; the down
/// pump exits, the up pump waits for the client's next packet (or the main
/// loop sees one counted) and then the flow ends with nothing sent anywhere
/// but the client's RST. The upstream socket is not shut down: the proxy's
/// main loop holds a second handle to it (a zombie on the server's side).
const NAT: u8 = 6;

/// The action applied to a flow found idle past the cutoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kill {
    Fin,
    Rst,
    Blackhole,
    Inject,
    Nat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    /// client → upstream
    Up,
    /// upstream → client
    Down,
}

/// What every flow thread shares with the proxy, for the proxy's lifetime.
pub(super) struct Ctx<'a> {
    /// Zero of the flows' idle clocks (nanoseconds in an `AtomicU64`).
    pub epoch: Instant,
    pub stop: &'a AtomicBool,
    pub on_event: &'a (dyn Fn(ProxyEvent) + Send + Sync),
    pub upstream: &'a [SocketAddr],
    pub connect_timeout: Duration,
    /// The ERR packet for `--inject-error`, built once.
    pub inject: Option<Vec<u8>>,
}

impl Ctx<'_> {
    pub fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn stopping(&self) -> bool {
        self.stop.load(SeqCst)
    }
}

pub(super) struct Flow {
    pub id: u64,
    client: TcpStream,
    /// Set once, by the flow's first thread, when the connect succeeds.
    upstream: OnceLock<TcpStream>,
    state: AtomicU8,
    /// `Ctx::now()` of the last byte read or written, either direction.
    last_active: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    /// `--layer 4`: the two sockets' (local, peer) addresses, once connected.
    keys: OnceLock<[SocketKey; 2]>,
    /// `--layer 4`: segments received at the last poll, client << 32 | upstream.
    segs: AtomicU64,
    segs_known: AtomicBool,
}

impl Flow {
    /// `client` must already have had `configure` applied.
    pub fn new(id: u64, client: TcpStream) -> Flow {
        Flow {
            id,
            client,
            upstream: OnceLock::new(),
            state: AtomicU8::new(CONNECTING),
            last_active: AtomicU64::new(0),
            bytes_up: AtomicU64::new(0),
            bytes_down: AtomicU64::new(0),
            keys: OnceLock::new(),
            segs: AtomicU64::new(0),
            segs_known: AtomicBool::new(false),
        }
    }

    /// (client → upstream, upstream → client) bytes forwarded so far.
    pub fn bytes(&self) -> (u64, u64) {
        (self.bytes_up.load(SeqCst), self.bytes_down.load(SeqCst))
    }

    fn state(&self) -> u8 {
        self.state.load(SeqCst)
    }

    /// How long the flow has gone without a byte, if it is one the idle
    /// cutoff applies to (connected, not yet killed or closing).
    pub fn idle(&self, now: u64) -> Option<Duration> {
        (self.state() == ACTIVE)
            .then(|| Duration::from_nanos(now.saturating_sub(self.last_active.load(SeqCst))))
    }

    /// `--layer 4`: takes this poll's segment counts. A segment received on
    /// either socket since the last poll (at `Ctx::now()` = `since`) is
    /// activity (ACTIVE), or the client's next packet after a NAT kill (which
    /// ends the flow with RST). It is dated at `since`, the earliest it can
    /// have come: so the ACK of a forwarded byte never moves the idle clock
    /// past the payload's own time (a later date would stretch every cutoff
    /// by up to one poll), and a keepalive probe counts at most one poll early.
    pub fn saw_segments(&self, counts: &HashMap<SocketKey, u32>, since: u64) {
        let Some(upstream) = self.upstream.get() else {
            return;
        };
        let keys = match self.keys.get() {
            Some(k) => k,
            None => {
                let key = |s: &TcpStream| Some((s.local_addr().ok()?, s.peer_addr().ok()?));
                let (Some(c), Some(u)) = (key(&self.client), key(upstream)) else {
                    return;
                };
                self.keys.get_or_init(|| [c, u])
            }
        };
        let (Some(&c), Some(&u)) = (counts.get(&keys[0]), counts.get(&keys[1])) else {
            return;
        };
        let packed = (u64::from(c) << 32) | u64::from(u);
        let prev = self.segs.swap(packed, SeqCst);
        if !self.segs_known.swap(true, SeqCst) || prev == packed {
            return;
        }
        match self.state() {
            ACTIVE => {
                self.last_active.fetch_max(since, SeqCst);
            }
            NAT if (prev >> 32) as u32 != c => {
                // Sends nothing; the up pump's read returns 0 and the flow ends.
                let _ = self.client.shutdown(Shutdown::Read);
            }
            _ => {}
        }
    }

    /// After a NAT kill: a second handle to the upstream socket, so that it
    /// stays open (nothing sent to the server) once the flow is gone.
    pub fn upstream_handle(&self) -> Option<TcpStream> {
        self.upstream.get().and_then(|u| u.try_clone().ok())
    }

    fn touch(&self, ctx: &Ctx<'_>) {
        // fetch_max: the two pumps race, and the clock must never go back.
        self.last_active.fetch_max(ctx.now(), SeqCst);
    }

    /// Ends an ACTIVE flow the `how` way. Returns false if the flow was not
    /// ACTIVE (already killed, closing, or still connecting). Only does
    /// non-blocking socket calls, so the proxy's main loop can call it.
    pub fn kill(&self, how: Kill) -> bool {
        let next = match how {
            Kill::Fin => CLOSING,
            Kill::Rst => RESET,
            Kill::Blackhole => BLACKHOLE,
            Kill::Inject => INJECT,
            Kill::Nat => NAT,
        };
        // The state changes first so that pumps woken below see why.
        if self
            .state
            .compare_exchange(ACTIVE, next, SeqCst, SeqCst)
            .is_err()
        {
            return false;
        }
        match how {
            Kill::Fin => self.shutdown_all(),
            Kill::Rst => {
                for socket in self.sockets() {
                    // SO_LINGER 0 is a socket option, not a handle's: the
                    // close of the (only) handle, once the pumps are out,
                    // sends RST instead of FIN.
                    let _ = SockRef::from(socket).set_linger(Some(Duration::ZERO));
                    // Wakes a pump blocked in read() without sending anything.
                    let _ = socket.shutdown(Shutdown::Read);
                }
            }
            // Pumps see the state at their next read and start discarding.
            Kill::Blackhole => {}
            // The client's socket will close with RST; the down pump sees the
            // state within IO_TIMEOUT and leaves the upstream socket alone.
            Kill::Nat => {
                let _ = SockRef::from(&self.client).set_linger(Some(Duration::ZERO));
            }
            Kill::Inject => {
                // Wake the down pump: it alone writes to the client, so the
                // ERR packet can't land in the middle of a forwarded packet.
                if let Some(up) = self.upstream.get() {
                    let _ = up.shutdown(Shutdown::Read);
                }
            }
        }
        true
    }

    /// Proxy stop: end the flow with FIN, whatever it was doing (an RST kill
    /// already under way is left to finish as RST; a NAT-forgotten flow ends
    /// with the client's RST and nothing to the server).
    pub fn begin_stop(&self) {
        if self.state() == NAT {
            let _ = self.client.shutdown(Shutdown::Read);
            return;
        }
        if self
            .state
            .fetch_update(SeqCst, SeqCst, |s| (s != RESET).then_some(CLOSING))
            .is_ok()
        {
            self.shutdown_all();
        }
    }

    /// A read or write failed while the flow was live: close it with FIN.
    fn fail(&self) {
        let live = self
            .state
            .fetch_update(SeqCst, SeqCst, |s| {
                matches!(s, ACTIVE | BLACKHOLE).then_some(CLOSING)
            })
            .is_ok();
        if live {
            self.shutdown_all();
        }
    }

    fn sockets(&self) -> impl Iterator<Item = &TcpStream> {
        std::iter::once(&self.client).chain(self.upstream.get())
    }

    /// FIN to both sides and wake both pumps (their reads return 0).
    fn shutdown_all(&self) {
        for socket in self.sockets() {
            // Fails harmlessly if already shut down or reset by the peer.
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    /// A read in direction `dir` hit EOF (`error` None) or an error.
    fn ended(&self, ctx: &Ctx<'_>, dir: Dir, error: Option<io::Error>) {
        match (self.state(), dir) {
            (ACTIVE, _) if error.is_some() => self.fail(),
            // A half-close is passed on as a half-close, as a transparent
            // middlebox would; the other direction keeps flowing.
            (ACTIVE, Dir::Up) => {
                if let Some(up) = self.upstream.get() {
                    let _ = up.shutdown(Shutdown::Write);
                }
            }
            (ACTIVE, Dir::Down) => {
                let _ = self.client.shutdown(Shutdown::Write);
            }
            // The client gave up on the blackholed flow: now release it.
            (BLACKHOLE, Dir::Up) => self.fail(),
            // The server went away behind the blackhole: the client must not
            // learn of it, so keep its socket open and keep discarding.
            (BLACKHOLE, Dir::Down) => {}
            (INJECT, Dir::Down) => self.inject(ctx),
            _ => {}
        }
    }

    /// The `--inject-error` kill, run by the down pump: ERR packet, then FIN.
    fn inject(&self, ctx: &Ctx<'_>) {
        if let Some(packet) = &ctx.inject {
            let deadline = Instant::now() + INJECT_BUDGET;
            let _ = write_all(
                &self.client,
                packet,
                || ctx.stopping() || Instant::now() >= deadline,
                |_| {},
            );
        }
        self.state.store(CLOSING, SeqCst);
        // Queued bytes (the packet) still go out before the FIN.
        self.shutdown_all();
    }
}

/// Settings every proxied socket gets: no Nagle delay (the proxy must not
/// add latency of its own), and short timeouts so no read or write blocks a
/// thread for longer than `IO_TIMEOUT`.
pub(super) fn configure(socket: &TcpStream) -> io::Result<()> {
    // Accepted sockets inherit O_NONBLOCK from the listener on BSD/macOS.
    socket.set_nonblocking(false)?;
    socket.set_nodelay(true)?;
    socket.set_read_timeout(Some(IO_TIMEOUT))?;
    socket.set_write_timeout(Some(IO_TIMEOUT))
}

/// Body of a flow's first thread: connect upstream, start the down pump,
/// pump client → upstream, then wait for the down pump.
pub(super) fn run_flow<'scope>(
    scope: &'scope Scope<'scope, '_>,
    ctx: &'scope Ctx<'scope>,
    flow: Arc<Flow>,
    client: SocketAddr,
) {
    (ctx.on_event)(ProxyEvent::Accepted {
        flow: flow.id,
        client,
    });
    // Closes the flow properly on every way out of here, panics included.
    let _settle = Settle(&flow);

    let upstream = connect(ctx.upstream, ctx.connect_timeout, ctx.stop)
        .and_then(|up| configure(&up).map(|()| up));
    let upstream = match upstream {
        Ok(up) => up,
        Err(e) => {
            // Being stopped mid-connect is not the upstream's failure.
            if !ctx.stopping() {
                (ctx.on_event)(ProxyEvent::UpstreamFailed {
                    flow: flow.id,
                    error: e.to_string(),
                });
            }
            return;
        }
    };
    let _ = flow.upstream.set(upstream);
    // Fails only if the proxy began stopping meanwhile; `_settle` closes.
    if flow
        .state
        .compare_exchange(CONNECTING, ACTIVE, SeqCst, SeqCst)
        .is_err()
    {
        return;
    }
    flow.touch(ctx);

    let down_flow = Arc::clone(&flow);
    let down = thread::Builder::new()
        .name(format!("flow{}-down", flow.id))
        .stack_size(FLOW_STACK)
        .spawn_scoped(scope, move || pump(ctx, &down_flow, Dir::Down));
    let Ok(down) = down else {
        return;
    };
    pump(ctx, &flow, Dir::Up);
    // Bounded: the down pump sees every state change within IO_TIMEOUT.
    let _ = down.join();
}

/// On drop, ends the flow with FIN unless it is being reset.
struct Settle<'a>(&'a Flow);

impl Drop for Settle<'_> {
    fn drop(&mut self) {
        self.0.begin_stop();
    }
}

/// Moves bytes one way until EOF, an error, a kill or the stop flag.
fn pump(ctx: &Ctx<'_>, flow: &Flow, dir: Dir) {
    let Some(upstream) = flow.upstream.get() else {
        return;
    };
    let (mut from, to, counter) = match dir {
        Dir::Up => (&flow.client, upstream, &flow.bytes_up),
        Dir::Down => (upstream, &flow.client, &flow.bytes_down),
    };
    let mut buf = vec![0u8; BUF_SIZE];
    loop {
        if ctx.stopping() {
            return;
        }
        match flow.state() {
            ACTIVE | BLACKHOLE => {}
            INJECT if dir == Dir::Down => return flow.inject(ctx),
            // Forgotten: only the client's next packet is waited for.
            NAT if dir == Dir::Up => {}
            _ => return,
        }
        match from.read(&mut buf) {
            Ok(0) => return flow.ended(ctx, dir, None),
            // The client's next packet after a NAT kill: the flow ends, and
            // dropping its (only) client handle sends RST.
            Ok(_) if flow.state() == NAT => return,
            // Blackholed (or being killed): what was read is dropped.
            Ok(_) if flow.state() != ACTIVE => {}
            Ok(n) => {
                flow.touch(ctx);
                let written = write_all(
                    to,
                    &buf[..n],
                    || ctx.stopping() || flow.state() != ACTIVE,
                    |k| {
                        counter.fetch_add(k as u64, SeqCst);
                        flow.touch(ctx);
                    },
                );
                // Ok(false), aborted by a state change: the loop top decides.
                if written.is_err() {
                    return flow.fail();
                }
            }
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return flow.ended(ctx, dir, Some(e)),
        }
    }
}

/// Writes all of `data`, calling `progress` after each partial write. After
/// each write timeout, gives up if `abort()` says so. Ok(true) when all was
/// written, Ok(false) when aborted.
fn write_all(
    mut to: &TcpStream,
    mut data: &[u8],
    abort: impl Fn() -> bool,
    progress: impl Fn(usize),
) -> io::Result<bool> {
    while !data.is_empty() {
        match to.write(data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                progress(n);
                data = &data[n..];
            }
            Err(e) if is_timeout(&e) => {
                if abort() {
                    return Ok(false);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// A socket timeout shows as WouldBlock on Unix and TimedOut on Windows.
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
