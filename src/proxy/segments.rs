//! Segments each TCP socket has received (Linux's `tcpi_segs_in` in
//! `TCP_INFO`), read for every socket at once: how `--layer 4` sees what a
//! user-space proxy otherwise never does, TCP keepalive probes and bare ACKs
//! (they carry no payload, so no read() returns them, but each one counts).
//!
//! One NETLINK_SOCK_DIAG dump per poll (what `ss -ti` does), not a
//! getsockopt per socket: the crate has no unsafe code, and a netlink request
//! and its answer are plain bytes. Linux ≥ 4.2 (the kernel that added
//! `tcpi_segs_in`); elsewhere `SegmentCounter::open` fails and `--layer 4`
//! refuses to start.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// (local, peer) of a socket, as `getsockname`/`getpeername` give them.
pub(super) type SocketKey = (SocketAddr, SocketAddr);

/// Byte offset of `tcpi_segs_in` in `struct tcp_info` (include/uapi/linux/tcp.h:
/// 8 bytes of u8 fields, 24 u32 fields, 4 u64 fields, then segs_out, segs_in).
const SEGS_IN_OFFSET: usize = 8 + 24 * 4 + 4 * 8 + 4;

const NLMSG_HDR: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
/// `struct inet_diag_msg`.
const DIAG_MSG: usize = 72;
const INET_DIAG_INFO: u16 = 2;
/// TCP states worth watching: every state a flow's socket can idle in
/// (ESTABLISHED, FIN_WAIT1/2, CLOSE_WAIT, LAST_ACK, CLOSING), not LISTEN
/// or TIME_WAIT.
const STATES: u32 = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 11);
/// Bound on one dump: reads of the answer, and how long each may wait.
const MAX_READS: usize = 100_000;
const READ_TIMEOUT: Duration = Duration::from_secs(1);

pub(super) struct SegmentCounter {
    fd: rustix::fd::OwnedFd,
    buf: Vec<u8>,
    seq: u32,
}

impl SegmentCounter {
    pub fn open() -> io::Result<SegmentCounter> {
        use rustix::net::{AddressFamily, SocketFlags, SocketType, netlink, sockopt};
        let fd = rustix::net::socket_with(
            AddressFamily::NETLINK,
            SocketType::DGRAM,
            SocketFlags::CLOEXEC,
            Some(netlink::SOCK_DIAG),
        )?;
        sockopt::set_socket_timeout(&fd, sockopt::Timeout::Recv, Some(READ_TIMEOUT))?;
        let mut counter = SegmentCounter {
            fd,
            buf: vec![0; 64 * 1024],
            seq: 0,
        };
        // Fails here, at start, if this kernel answers no dump.
        counter.read(&[false])?;
        Ok(counter)
    }

    /// `tcpi_segs_in` of every TCP socket of the given families (`true`: IPv6)
    /// in this network namespace.
    pub fn read(&mut self, v6: &[bool]) -> io::Result<HashMap<SocketKey, u32>> {
        let mut out = HashMap::new();
        for &family in v6 {
            self.dump(family, &mut out)?;
        }
        Ok(out)
    }

    fn dump(&mut self, v6: bool, out: &mut HashMap<SocketKey, u32>) -> io::Result<()> {
        use rustix::net::{RecvFlags, SendFlags, netlink::SocketAddrNetlink};
        self.seq = self.seq.wrapping_add(1);
        let request = dump_request(v6, self.seq);
        rustix::net::sendto(
            &self.fd,
            &request,
            SendFlags::empty(),
            &SocketAddrNetlink::new(0, 0),
        )?;
        for _ in 0..MAX_READS {
            let (n, _) = rustix::net::recv(&self.fd, &mut self.buf[..], RecvFlags::empty())?;
            if parse_answer(&self.buf[..n.min(self.buf.len())], self.seq, out)? {
                return Ok(());
            }
        }
        Err(io::Error::other("sock_diag dump did not end"))
    }
}

/// A `SOCK_DIAG_BY_FAMILY` dump request for TCP sockets with `TCP_INFO`.
pub(super) fn dump_request(v6: bool, seq: u32) -> Vec<u8> {
    let len = NLMSG_HDR + 56;
    let mut m = Vec::with_capacity(len);
    m.extend_from_slice(&(len as u32).to_ne_bytes());
    m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    m.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    // struct inet_diag_req_v2: family, protocol, ext (1 << (INET_DIAG_INFO-1)), pad
    let family: u8 = if v6 { 10 } else { 2 };
    m.extend_from_slice(&[family, 6, 1 << (INET_DIAG_INFO - 1), 0]);
    m.extend_from_slice(&STATES.to_ne_bytes());
    m.resize(len, 0); // inet_diag_sockid: all zero, a dump ignores it
    m
}

/// Adds one datagram's messages to `out`. Ok(true) once the dump is done.
pub(super) fn parse_answer(
    mut data: &[u8],
    seq: u32,
    out: &mut HashMap<SocketKey, u32>,
) -> io::Result<bool> {
    while data.len() >= NLMSG_HDR {
        let len = u32_at(data, 0) as usize;
        if len < NLMSG_HDR || len > data.len() {
            return Err(io::Error::other("malformed sock_diag answer"));
        }
        let kind = u16::from_ne_bytes([data[4], data[5]]);
        let msg_seq = u32_at(data, 8);
        let body = &data[NLMSG_HDR..len];
        if msg_seq == seq {
            match kind {
                NLMSG_DONE => return Ok(true),
                NLMSG_ERROR => {
                    let errno = body
                        .get(..4)
                        .map_or(0, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                    return Err(io::Error::from_raw_os_error(-errno));
                }
                SOCK_DIAG_BY_FAMILY => {
                    if let Some((key, segs)) = parse_socket(body) {
                        out.insert(key, segs);
                    }
                }
                _ => {}
            }
        }
        data = &data[align4(len).min(data.len())..];
    }
    Ok(false)
}

/// One `inet_diag_msg` with its attributes: the socket and its segs_in.
fn parse_socket(msg: &[u8]) -> Option<(SocketKey, u32)> {
    if msg.len() < DIAG_MSG {
        return None;
    }
    let v6 = msg[0] == 10;
    let sport = u16::from_be_bytes([msg[4], msg[5]]);
    let dport = u16::from_be_bytes([msg[6], msg[7]]);
    let addr = |at: usize| -> IpAddr {
        if v6 {
            let mut b = [0u8; 16];
            b.copy_from_slice(&msg[at..at + 16]);
            IpAddr::V6(Ipv6Addr::from(b))
        } else {
            IpAddr::V4(Ipv4Addr::new(
                msg[at],
                msg[at + 1],
                msg[at + 2],
                msg[at + 3],
            ))
        }
    };
    let key = (
        SocketAddr::new(addr(8), sport),
        SocketAddr::new(addr(24), dport),
    );
    let mut attrs = &msg[DIAG_MSG..];
    while attrs.len() >= 4 {
        let len = u16::from_ne_bytes([attrs[0], attrs[1]]) as usize;
        let kind = u16::from_ne_bytes([attrs[2], attrs[3]]);
        if len < 4 || len > attrs.len() {
            return None;
        }
        let payload = &attrs[4..len];
        if kind == INET_DIAG_INFO && payload.len() >= SEGS_IN_OFFSET + 4 {
            return Some((key, u32_at(payload, SEGS_IN_OFFSET)));
        }
        attrs = &attrs[align4(len).min(attrs.len())..];
    }
    None
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    fn key(s: &TcpStream) -> SocketKey {
        (s.local_addr().unwrap(), s.peer_addr().unwrap())
    }

    #[test]
    fn counts_payload_and_keepalive_probes_on_a_real_socket() {
        let mut counter = SegmentCounter::open().expect("sock_diag on Linux");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let before = counter.read(&[false]).unwrap()[&key(&server)];
        (&client).write_all(b"ping").unwrap();
        let mut buf = [0u8; 4];
        server.read_exact(&mut buf).unwrap();
        let after_data = counter.read(&[false]).unwrap()[&key(&server)];
        assert!(after_data > before, "{before} -> {after_data}");

        // Keepalive probes every second from the client: no payload, but
        // the server's socket counts each one.
        let ka = socket2::TcpKeepalive::new()
            .with_time(Duration::from_secs(1))
            .with_interval(Duration::from_secs(1));
        socket2::SockRef::from(&client)
            .set_tcp_keepalive(&ka)
            .unwrap();
        let started = std::time::Instant::now();
        let mut now = after_data;
        while now == after_data && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(200));
            now = counter.read(&[false]).unwrap()[&key(&server)];
        }
        assert!(now > after_data, "no keepalive probe counted");
        server.set_nonblocking(true).unwrap();
        assert!(server.read(&mut buf).is_err(), "a probe is no payload");
    }

    #[test]
    fn a_request_is_a_dump_of_tcp_with_info() {
        let r = dump_request(false, 7);
        assert_eq!(r.len(), 72);
        assert_eq!(u32_at(&r, 0), 72);
        assert_eq!(u32_at(&r, 8), 7);
        assert_eq!(&r[16..20], &[2, 6, 2, 0]);
    }

    #[test]
    fn a_truncated_answer_is_an_error_not_a_panic() {
        let mut out = HashMap::new();
        let mut bad = dump_request(false, 1);
        bad[0] = 200; // claims more bytes than there are
        assert!(parse_answer(&bad, 1, &mut out).is_err());
        assert!(!parse_answer(&[1, 2, 3], 1, &mut out).unwrap());
    }
}
