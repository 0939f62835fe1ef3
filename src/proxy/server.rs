//! The proxy itself: the listener, the main loop (accept, idle clock, reaping
//! finished flows) and a clean stop.
//!
//! One main thread ticks every 10 ms: it accepts what is pending, kills flows
//! idle past the cutoff, and joins flows whose threads are done. So a kill
//! lands within ~10 ms after the cutoff, and a stop is seen within 10 ms.
//! Every flow runs in scoped threads (see `flow`), so `run` cannot return
//! before every one of them has been joined.

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread::{self, Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use super::config::{Layer, OnIdle, ProxyConfig};
use super::event::{ProxyEvent, ProxyStats};
use super::flow::{self, Ctx, FLOW_STACK, Flow, Kill};
use super::packet::{ER_CLIENT_INTERACTION_TIMEOUT, err_packet};
use super::segments::SegmentCounter;

/// Main loop period: the longest an accept() waits, so also the idle-check
/// granularity and the stop latency. A client arriving is accepted at once.
const TICK: Duration = Duration::from_millis(10);
/// Accepts per tick at most, so a connection flood cannot delay idle kills.
const ACCEPTS_PER_TICK: usize = 256;
/// The listen backlog when the system maximum cannot be read: Linux's
/// default somaxconn since 5.4.
const BACKLOG_FALLBACK: i32 = 4096;
/// Bounds on the backlog: std's 128 at least; at most what any kernel takes.
const BACKLOG_MIN: i32 = 128;
const BACKLOG_MAX: i32 = 65535;
/// `--layer 4`: the longest time between two segment polls (one sock_diag
/// dump of every TCP socket each time; a few ms for thousands of sockets).
/// A shorter cutoff polls 20 times per cutoff, at most once a tick.
const SEGMENT_POLL_MAX: Duration = Duration::from_millis(100);

/// How often `--layer 4` counts segments for `cutoff`.
pub(super) fn segment_poll(cutoff: Duration) -> Duration {
    (cutoff / 20).clamp(TICK, SEGMENT_POLL_MAX)
}

/// The listen backlog: the system maximum (`/proc/sys/net/core/somaxconn`),
/// so a burst of pool connects waits in the accept queue while the main loop
/// sleeps between ticks. A fixed 1024 made the 1025th simultaneous connect
/// lose its SYN and retry after 1 s.
fn backlog() -> i32 {
    use std::io::Read;
    let mut text = String::new();
    let read = std::fs::File::open("/proc/sys/net/core/somaxconn")
        .and_then(|f| f.take(32).read_to_string(&mut text));
    backlog_from(read.ok().map(|_| text.as_str()))
}

/// Pure: the backlog from somaxconn's text (`None`: unreadable).
pub(super) fn backlog_from(somaxconn: Option<&str>) -> i32 {
    somaxconn
        .and_then(|t| t.trim().parse::<i64>().ok())
        .map_or(BACKLOG_FALLBACK, |n| {
            n.clamp(i64::from(BACKLOG_MIN), i64::from(BACKLOG_MAX)) as i32
        })
}

pub struct Proxy {
    config: ProxyConfig,
    listener: TcpListener,
    local_addr: SocketAddr,
    /// `config.upstream` resolved once at bind: a flow thread's small stack
    /// is no place for the system resolver, and a slow DNS must not stall
    /// the accept loop. Restart the proxy to pick up DNS changes.
    upstream: Vec<SocketAddr>,
    /// `--layer 4` only.
    segments: Option<SegmentCounter>,
}

/// A flow and its first thread (which joins the flow's second one).
struct Live<'scope> {
    flow: Arc<Flow>,
    thread: ScopedJoinHandle<'scope, ()>,
}

impl Proxy {
    /// Resolves the upstream and binds the listener (port 0 allowed). Nothing
    /// is accepted until `run`.
    pub fn bind(config: ProxyConfig) -> io::Result<Proxy> {
        let upstream: Vec<SocketAddr> = config
            .upstream
            .to_socket_addrs()
            .map_err(|e| io::Error::new(e.kind(), format!("upstream {:?}: {e}", config.upstream)))?
            .collect();
        if upstream.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("upstream {:?} resolves to no address", config.upstream),
            ));
        }
        let listener = listen(config.listen)
            .map_err(|e| io::Error::new(e.kind(), format!("listen on {}: {e}", config.listen)))?;
        let local_addr = listener.local_addr()?;
        let segments = match config.layer {
            Layer::L7 => None,
            Layer::L4 => Some(SegmentCounter::open().map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "--layer 4 counts TCP segments with Linux's sock_diag, which failed \
                         ({e}); --layer 7 counts payload bytes only"
                    ),
                )
            })?),
        };
        Ok(Proxy {
            config,
            listener,
            local_addr,
            upstream,
            segments,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Runs until `stop` is set. `on_event` is called from proxy threads (so it
    /// must be Send + Sync); the CLI prints each event to stderr. Flow threads
    /// have 64 KiB stacks, so `on_event` must stay light (printing is fine).
    ///
    /// On stop: stops accepting, closes every flow with FIN (RST if an rst
    /// kill is under way), joins every thread, and returns the stats, within
    /// a few hundred ms of `stop` being set.
    pub fn run(
        self,
        stop: &AtomicBool,
        on_event: &(dyn Fn(ProxyEvent) + Send + Sync),
    ) -> io::Result<ProxyStats> {
        let Proxy {
            config,
            listener,
            upstream,
            mut segments,
            local_addr,
        } = self;
        // Families whose sockets a segment poll reads (true: IPv6).
        let mut families = vec![local_addr.is_ipv6()];
        families.extend(upstream.iter().map(SocketAddr::is_ipv6));
        families.sort_unstable();
        families.dedup();
        let poll_every = segment_poll(config.idle_cutoff);
        let mut last_poll = Instant::now();
        // `Ctx::now()` of the last poll: the earliest a newly counted segment came.
        let mut last_poll_at = 0u64;
        // accept() blocks for at most one tick (SO_RCVTIMEO applies to accept on
        // Linux): a new client is taken at once, and the loop still turns every tick.
        listener.set_nonblocking(false)?;
        socket2::SockRef::from(&listener).set_read_timeout(Some(TICK))?;
        let ctx = Ctx {
            epoch: Instant::now(),
            stop,
            on_event,
            upstream: &upstream,
            connect_timeout: config.connect_timeout,
            inject: config.inject_error.map(err_packet),
        };
        let (kill, how) = kill_action(&config);
        let mut stats = ProxyStats::default();

        thread::scope(|scope| {
            let mut flows: Vec<Live<'_>> = Vec::new();
            // Upstream sockets of NAT-forgotten flows: held open, read and
            // discarded, until the server closes them or the proxy stops.
            let mut zombies: Vec<std::net::TcpStream> = Vec::new();
            let mut next_id = 1u64;
            while !stop.load(SeqCst) {
                for _ in 0..ACCEPTS_PER_TICK {
                    match listener.accept() {
                        Ok((client, peer)) => {
                            if let Some(live) = admit(
                                scope, &ctx, &config, &mut stats, &flows, next_id, client, peer,
                            ) {
                                next_id += 1;
                                flows.push(live);
                                stats.flows_total += 1;
                                stats.max_concurrent = stats.max_concurrent.max(flows.len());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        // WouldBlock: nothing pending. Anything else (EMFILE,
                        // ECONNABORTED, ...) is retried next tick; the client
                        // concerned, if any, is already gone.
                        Err(_) => break,
                    }
                }

                if let Some(counter) = segments.as_mut()
                    && !flows.is_empty()
                    && last_poll.elapsed() >= poll_every
                {
                    last_poll = Instant::now();
                    let since = std::mem::replace(&mut last_poll_at, ctx.now());
                    // A failed poll leaves the payload clocks to decide.
                    if let Ok(counts) = counter.read(&families) {
                        for live in &flows {
                            live.flow.saw_segments(&counts, since);
                        }
                    }
                }

                let now = ctx.now();
                for live in &flows {
                    if let Some(idle) = live.flow.idle(now)
                        && idle > config.idle_cutoff
                        && live.flow.kill(kill)
                    {
                        stats.flows_killed += 1;
                        if kill == Kill::Nat
                            && let Some(up) = live.flow.upstream_handle()
                            && up.set_nonblocking(true).is_ok()
                        {
                            zombies.push(up);
                        }
                        on_event(ProxyEvent::Killed {
                            flow: live.flow.id,
                            idle,
                            how,
                        });
                    }
                }

                zombies.retain(server_still_there);

                let mut i = 0;
                while i < flows.len() {
                    if flows[i].thread.is_finished() {
                        finish(flows.swap_remove(i), on_event);
                    } else {
                        i += 1;
                    }
                }
            }

            drop(listener); // stop accepting: pending clients get RST now
            for live in &flows {
                live.flow.begin_stop();
            }
            for live in flows {
                finish(live, on_event);
            }
        });
        Ok(stats)
    }
}

/// Opens a flow for an accepted client, or closes the client (with a
/// `Refused` event) when at `max_flows` or a thread cannot be started.
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename them
fn admit<'scope>(
    scope: &'scope Scope<'scope, '_>,
    ctx: &'scope Ctx<'scope>,
    config: &ProxyConfig,
    stats: &mut ProxyStats,
    flows: &[Live<'scope>],
    id: u64,
    client: std::net::TcpStream,
    peer: SocketAddr,
) -> Option<Live<'scope>> {
    let refuse = |stats: &mut ProxyStats, reason: String| {
        stats.flows_refused += 1;
        (ctx.on_event)(ProxyEvent::Refused {
            client: peer,
            reason,
        });
        None
    };
    if flows.len() >= config.max_flows {
        // Dropping the client closes it (FIN: it has sent nothing yet).
        drop(client);
        return refuse(stats, format!("max_flows ({}) reached", config.max_flows));
    }
    if let Err(e) = flow::configure(&client) {
        return refuse(stats, format!("cannot set up client socket: {e}"));
    }
    let flow = Arc::new(Flow::new(id, client));
    let thread_flow = Arc::clone(&flow);
    let spawned = thread::Builder::new()
        .name(format!("flow{id}-up"))
        .stack_size(FLOW_STACK)
        .spawn_scoped(scope, move || flow::run_flow(scope, ctx, thread_flow, peer));
    match spawned {
        Ok(thread) => Some(Live { flow, thread }),
        // The closure (and its Arc) is dropped: the client socket closes.
        Err(e) => {
            drop(flow);
            refuse(stats, format!("cannot start flow thread: {e}"))
        }
    }
}

/// Joins a flow's thread, closes its sockets, and reports it `Closed`.
fn finish(live: Live<'_>, on_event: &(dyn Fn(ProxyEvent) + Send + Sync)) {
    // A panicking flow thread has already printed its panic; the flow is
    // over either way, so carry on serving the others.
    let _ = live.thread.join();
    let id = live.flow.id;
    let (bytes_up, bytes_down) = live.flow.bytes();
    // Normally the last handle: the sockets close here, so `Closed` is only
    // reported once they really are (after an rst kill, this sends the RST).
    drop(live.flow);
    on_event(ProxyEvent::Closed {
        flow: id,
        bytes_up,
        bytes_down,
    });
}

/// What an idle kill does, and how the `Killed` event names it.
fn kill_action(config: &ProxyConfig) -> (Kill, &'static str) {
    match config.inject_error {
        Some(ER_CLIENT_INTERACTION_TIMEOUT) => (Kill::Inject, "error 4031"),
        // `how` is &'static str by contract; one short string per `run`.
        Some(code) => (
            Kill::Inject,
            Box::leak(format!("error {code}").into_boxed_str()),
        ),
        None => match config.on_idle {
            OnIdle::Fin => (Kill::Fin, "fin"),
            OnIdle::Rst => (Kill::Rst, "rst"),
            OnIdle::Blackhole => (Kill::Blackhole, "blackhole"),
            OnIdle::Nat => (Kill::Nat, "nat"),
        },
    }
}

/// Reads and discards what the server sent on a forgotten flow's socket;
/// false once the server has closed it (its wait_timeout) or reset it.
fn server_still_there(mut socket: &std::net::TcpStream) -> bool {
    use std::io::Read;
    let mut buf = [0u8; 512];
    for _ in 0..16 {
        match socket.read(&mut buf) {
            Ok(0) => return false,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

pub(super) fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // Like std's TcpListener::bind: a restarted proxy can rebind its port
    // while old flows linger in TIME_WAIT. (On Windows it means port theft.)
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(backlog())?;
    Ok(socket.into())
}
