//! Pure: what a peek and (if needed) a ping say about an idle connection.

use super::model::Outcome;
use crate::db::{Peek, PingFailure};

/// The peek comes first because it consumes nothing: it sees an error packet the
/// driver would misreport, and a FIN or RST before a write muddles them.
pub fn classify(peek: &Peek, ping: Option<&Result<(), PingFailure>>) -> Outcome {
    match peek {
        Peek::ErrPacket { code, message } => Outcome::ServerError {
            code: Some(*code),
            message: message.clone(),
        },
        Peek::Data { bytes } => Outcome::ServerError {
            code: None,
            message: format!(
                "the server sent {bytes} bytes on an idle connection (likely an error packet)"
            ),
        },
        Peek::Eof => Outcome::Closed,
        Peek::Reset => Outcome::Reset,
        Peek::Failed { kind, os } => Outcome::Error {
            message: format!(
                "socket check failed: {kind:?} (os error {})",
                os.unwrap_or(0)
            ),
        },
        Peek::Nothing => match ping {
            None => Outcome::Error {
                message: "not pinged".into(),
            },
            Some(Ok(())) => Outcome::Alive,
            Some(Err(failure)) => match failure {
                PingFailure::Server { code, message } => Outcome::ServerError {
                    code: Some(*code),
                    message: message.clone(),
                },
                PingFailure::Timeout => Outcome::Blackholed,
                PingFailure::Reset => Outcome::Reset,
                PingFailure::Eof | PingFailure::BrokenPipe => Outcome::Closed,
                PingFailure::OutOfSync => Outcome::ServerError {
                    code: None,
                    message: "out-of-sequence packet (an unsolicited error packet)".into(),
                },
                PingFailure::Other(m) => Outcome::Error { message: m.clone() },
            },
        },
    }
}

/// Whether a ping is needed after this peek.
pub fn needs_ping(peek: &Peek) -> bool {
    matches!(peek, Peek::Nothing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_decides_when_it_can() {
        let e = Peek::ErrPacket {
            code: 4031,
            message: "inactivity".into(),
        };
        assert_eq!(classify(&e, None).label(), "server-error 4031");
        assert_eq!(classify(&Peek::Eof, None), Outcome::Closed);
        assert_eq!(classify(&Peek::Reset, None), Outcome::Reset);
        assert_eq!(
            classify(&Peek::Data { bytes: 64 }, None).label(),
            "server-error"
        );
        assert!(!needs_ping(&Peek::Eof));
        assert!(needs_ping(&Peek::Nothing));
    }

    #[test]
    fn ping_decides_otherwise() {
        let p = |r: Result<(), PingFailure>| classify(&Peek::Nothing, Some(&r));
        assert_eq!(p(Ok(())), Outcome::Alive);
        assert_eq!(p(Err(PingFailure::Timeout)), Outcome::Blackholed);
        assert_eq!(p(Err(PingFailure::Reset)), Outcome::Reset);
        assert_eq!(p(Err(PingFailure::Eof)), Outcome::Closed);
        assert_eq!(p(Err(PingFailure::BrokenPipe)), Outcome::Closed);
        assert_eq!(
            p(Err(PingFailure::Server {
                code: 1927,
                message: "killed".into()
            }))
            .label(),
            "server-error 1927"
        );
        assert_eq!(p(Err(PingFailure::OutOfSync)).label(), "server-error");
        assert!(matches!(
            p(Err(PingFailure::Other("x".into()))),
            Outcome::Error { .. }
        ));
    }

    #[test]
    fn deaths() {
        assert!(!Outcome::Alive.is_death());
        assert!(Outcome::Blackholed.is_death());
        assert!(
            !Outcome::Error {
                message: String::new()
            }
            .is_death()
        );
    }
}
