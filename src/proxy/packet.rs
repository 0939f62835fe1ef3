//! The MySQL ERR packet the proxy writes to a client when it imitates the
//! server closing an idle connection (`--inject-error`).

/// `ER_CLIENT_INTERACTION_TIMEOUT`: what MySQL 8.0.24+ sends before closing a
/// connection that outlived `wait_timeout`.
pub const ER_CLIENT_INTERACTION_TIMEOUT: u16 = 4031;

const MESSAGE_4031: &str = "The client was disconnected by the server because of inactivity. \
     See wait_timeout and interactive_timeout for configuring this behavior.";

/// The bytes of an ERR packet for `code`:
/// `[payload len: 3 bytes LE][sequence id 0][0xff][code: u16 LE]['#'][SQLSTATE "HY000"][message]`.
///
/// Sequence id 0 because the server sends it unprompted, outside any command
/// exchange (as MySQL does for 4031).
pub fn err_packet(code: u16) -> Vec<u8> {
    let message = if code == ER_CLIENT_INTERACTION_TIMEOUT {
        MESSAGE_4031.to_string()
    } else {
        format!(
            "Connection closed by poolcheck proxy after the idle cutoff (simulated error {code})"
        )
    };
    let payload_len = 1 + 2 + 1 + 5 + message.len();
    let mut packet = Vec::with_capacity(4 + payload_len);
    // The message is short and fixed, so the length always fits in 3 bytes.
    packet.extend_from_slice(&(payload_len as u32).to_le_bytes()[..3]);
    packet.push(0); // sequence id
    packet.push(0xff); // ERR packet marker
    packet.extend_from_slice(&code.to_le_bytes());
    packet.push(b'#'); // SQL state marker (protocol 4.1)
    packet.extend_from_slice(b"HY000");
    packet.extend_from_slice(message.as_bytes());
    packet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn err_packet_4031_layout() {
        let p = err_packet(4031);
        let payload_len = u32::from_le_bytes([p[0], p[1], p[2], 0]) as usize;
        assert_eq!(payload_len, p.len() - 4, "length header counts the payload");
        assert_eq!(p[3], 0, "sequence id");
        assert_eq!(p[4], 0xff, "ERR marker");
        assert_eq!(&p[5..7], &[0xbf, 0x0f], "4031 little-endian");
        assert_eq!(&p[7..13], b"#HY000");
        assert_eq!(
            std::str::from_utf8(&p[13..]).unwrap(),
            "The client was disconnected by the server because of inactivity. \
             See wait_timeout and interactive_timeout for configuring this behavior."
        );
    }

    #[test]
    fn err_packet_other_code_has_generic_message() {
        let p = err_packet(2013);
        assert_eq!(
            u32::from_le_bytes([p[0], p[1], p[2], 0]) as usize,
            p.len() - 4
        );
        assert_eq!(&p[3..7], &[0, 0xff, 0xdd, 0x07]);
        assert_eq!(&p[7..13], b"#HY000");
        let message = std::str::from_utf8(&p[13..]).unwrap();
        assert!(message.contains("2013"), "{message}");
    }
}
