//! Looks at an idle connection's socket without sending or consuming anything:
//! the only way to see a MySQL 8 idle-timeout error packet (4031), which the
//! driver would otherwise misreport as "packets out of sync".

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{BorrowedFd, RawFd};

/// What was waiting on an idle connection's socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peek {
    /// Nothing arrived: alive, or silently dropped (only a round trip tells).
    Nothing,
    /// The peer closed (FIN).
    Eof,
    /// The peer reset the connection (RST).
    Reset,
    /// An unsolicited MySQL error packet, e.g. 4031 sent by MySQL 8.0.24+ before it closes.
    ErrPacket { code: u16, message: String },
    /// Bytes that cannot be decoded here (TLS records, or not an error packet).
    Data { bytes: usize },
    /// The peek itself failed in another way.
    Failed {
        kind: io::ErrorKind,
        os: Option<i32>,
    },
}

/// Sets the read timeout (SO_RCVTIMEO) of the driver's socket.
#[expect(
    unsafe_code,
    reason = "borrowing the driver's socket fd to set a timeout"
)]
pub(super) fn set_read_timeout(fd: RawFd, timeout: std::time::Duration) -> io::Result<()> {
    // SAFETY: `fd` belongs to a `Conn` that the caller holds for the whole
    // call, so it stays open; only a socket option is changed.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    socket2::SockRef::from(&borrowed).set_read_timeout(Some(timeout))
}

/// Peeks at most 512 bytes, without blocking.
#[expect(unsafe_code, reason = "borrowing the driver's socket fd to peek at it")]
pub(super) fn peek_fd(fd: RawFd, tls: bool) -> Peek {
    // SAFETY: `fd` belongs to a `Conn` that the caller borrows for the whole
    // call, so it stays open; we only read with MSG_PEEK and close nothing.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let sock = socket2::SockRef::from(&borrowed);
    let mut buf = [0u8; 512];
    // SAFETY: `[u8]` and `[MaybeUninit<u8>]` have the same layout, the bytes
    // are already initialised, and recv only ever writes initialised bytes.
    let view = unsafe { &mut *(&mut buf[..] as *mut [u8] as *mut [MaybeUninit<u8>]) };
    match sock.recv_with_flags(view, libc::MSG_PEEK | libc::MSG_DONTWAIT) {
        Ok(0) => Peek::Eof,
        Ok(n) if tls => Peek::Data { bytes: n },
        Ok(n) => parse_err_packet(&buf[..n]).unwrap_or(Peek::Data { bytes: n }),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Peek::Nothing,
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Peek::Reset,
        Err(e) => Peek::Failed {
            kind: e.kind(),
            os: e.raw_os_error(),
        },
    }
}

/// `[len:3 LE][seq:1][0xff][code:2 LE]['#'][sqlstate:5][message]`.
pub fn parse_err_packet(bytes: &[u8]) -> Option<Peek> {
    if bytes.len() < 7 || bytes[4] != 0xff {
        return None;
    }
    let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], 0]) as usize;
    let code = u16::from_le_bytes([bytes[5], bytes[6]]);
    let end = (4 + len).min(bytes.len());
    let mut rest = &bytes[7.min(end)..end];
    if rest.first() == Some(&b'#') && rest.len() >= 6 {
        rest = &rest[6..];
    }
    Some(Peek::ErrPacket {
        code,
        message: super::sanitize(&String::from_utf8_lossy(rest)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_4031_packet() {
        let msg = b"The client was disconnected by the server because of inactivity.";
        let mut p = Vec::new();
        let payload_len = 1 + 2 + 1 + 5 + msg.len();
        p.extend_from_slice(&(payload_len as u32).to_le_bytes()[..3]);
        p.push(0);
        p.push(0xff);
        p.extend_from_slice(&4031u16.to_le_bytes());
        p.extend_from_slice(b"#HY000");
        p.extend_from_slice(msg);
        assert_eq!(
            parse_err_packet(&p),
            Some(Peek::ErrPacket {
                code: 4031,
                message: String::from_utf8_lossy(msg).into_owned()
            })
        );
    }

    #[test]
    fn ignores_other_bytes() {
        assert_eq!(parse_err_packet(b"HTTP/1.1 400"), None);
        assert_eq!(parse_err_packet(&[1, 0, 0, 0, 0xff]), None);
        // Truncated message: still the code.
        let p = [20, 0, 0, 0, 0xff, 0x0c, 0x04, b'#'];
        assert!(matches!(
            parse_err_packet(&p),
            Some(Peek::ErrPacket { code: 1036, .. })
        ));
    }
}
