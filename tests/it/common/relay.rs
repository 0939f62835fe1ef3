//! A loopback TCP relay for fault tests: it forwards to a target, and can be
//! told to slow down or swallow connections from the n-th on, or to make
//! every connection go silent at once (a path that starts dropping packets). Unlike `poolcheck proxy`, it is driven
//! by the test itself, so faults land at a chosen moment. Every thread it
//! starts ends by itself: when the relay is dropped, or after `LIFETIME`.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The longest any relay thread lives, whatever the test does.
const LIFETIME: Duration = Duration::from_secs(180);
const TICK: Duration = Duration::from_millis(50);

/// What the relay does to each connection, by the order they arrive in
/// (0 is the first): the probe's connections come in a known order, so a
/// fault can be aimed at one phase of its work.
#[derive(Default)]
struct Faults {
    /// Connections from this index on wait `delay` before being relayed.
    slow_from: AtomicUsize,
    delay_ms: AtomicU64,
    /// Connections from this index on are accepted and then swallowed.
    silent_from: AtomicUsize,
    /// Every connection, old and new, is swallowed from now on.
    all_silent: AtomicBool,
    stop: AtomicBool,
}

pub struct Relay {
    pub port: u16,
    faults: Arc<Faults>,
}

impl Relay {
    /// Starts relaying 127.0.0.1:<port> to 127.0.0.1:`target`, passing everything.
    pub fn start(target: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("relay bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().unwrap().port();
        let faults = Arc::new(Faults {
            slow_from: AtomicUsize::new(usize::MAX),
            silent_from: AtomicUsize::new(usize::MAX),
            ..Faults::default()
        });
        let f = faults.clone();
        std::thread::spawn(move || {
            let born = Instant::now();
            let mut index = 0;
            while !f.stop.load(Ordering::SeqCst) && born.elapsed() < LIFETIME {
                match listener.accept() {
                    Ok((client, _)) => {
                        let f = f.clone();
                        let i = index;
                        index += 1;
                        std::thread::spawn(move || flow(client, target, i, f, born));
                    }
                    Err(_) => std::thread::sleep(TICK),
                }
            }
        });
        Relay { port, faults }
    }

    /// Connections from the `index`-th on wait `delay` before being relayed.
    pub fn slow_from(&self, index: usize, delay: Duration) {
        self.faults
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
        self.faults.slow_from.store(index, Ordering::SeqCst);
    }

    /// Connections from the `index`-th on are swallowed (a path that drops
    /// new flows); earlier ones keep working.
    pub fn silent_from(&self, index: usize) {
        self.faults.silent_from.store(index, Ordering::SeqCst);
    }

    /// Everything goes silent now, established connections included.
    pub fn all_silent(&self) {
        self.faults.all_silent.store(true, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.faults.stop.store(true, Ordering::SeqCst);
    }
}

fn flow(client: TcpStream, target: u16, index: usize, f: Arc<Faults>, born: Instant) {
    let _ = client.set_nonblocking(false);
    if index >= f.slow_from.load(Ordering::SeqCst) {
        let until = Instant::now() + Duration::from_millis(f.delay_ms.load(Ordering::SeqCst));
        while Instant::now() < until && !f.stop.load(Ordering::SeqCst) {
            std::thread::sleep(TICK);
        }
    }
    let silent = index >= f.silent_from.load(Ordering::SeqCst);
    let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
        return;
    };
    let (c2, s2) = match (client.try_clone(), server.try_clone()) {
        (Ok(c), Ok(s)) => (c, s),
        _ => return,
    };
    let f2 = f.clone();
    let up = std::thread::spawn(move || pump(c2, s2, silent, f2, born));
    pump(server, client, silent, f, born);
    let _ = up.join();
}

/// Copies `from` → `to` until either side closes, the relay stops, or its
/// lifetime ends; in `Silent` mode bytes are read and dropped.
fn pump(mut from: TcpStream, mut to: TcpStream, silent: bool, f: Arc<Faults>, born: Instant) {
    let _ = from.set_read_timeout(Some(TICK));
    let mut buf = [0u8; 16 * 1024];
    while !f.stop.load(Ordering::SeqCst) && born.elapsed() < LIFETIME {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let swallow = silent || f.all_silent.load(Ordering::SeqCst);
                if !swallow && to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

/// A loopback port that silently drops connection attempts: a listener with
/// a full accept queue, which Linux answers by dropping further SYNs (no RST),
/// as a firewall that blackholes traffic does. Keep the returned value alive.
pub struct SynBlackhole {
    pub port: u16,
    _listener: socket2::Socket,
    _queued: Vec<TcpStream>,
}

impl SynBlackhole {
    pub fn start() -> SynBlackhole {
        use socket2::{Domain, Socket, Type};
        let sock = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        sock.bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
        sock.listen(0).unwrap();
        let port = sock
            .local_addr()
            .unwrap()
            .as_socket()
            .expect("inet address")
            .port();
        // Fill the queue (backlog 0 still queues one) with connections never accepted.
        let mut queued = Vec::new();
        for _ in 0..4 {
            let addr = ("127.0.0.1", port);
            let attempt = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            let a: std::net::SocketAddr = format!("127.0.0.1:{}", addr.1).parse().unwrap();
            if attempt
                .connect_timeout(&a.into(), Duration::from_millis(300))
                .is_ok()
            {
                queued.push(attempt.into());
            } else {
                break;
            }
        }
        SynBlackhole {
            port,
            _listener: sock,
            _queued: queued,
        }
    }
}
