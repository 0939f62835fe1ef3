//! Driver errors → messages with hints. Server-supplied text is sanitized and
//! scrubbed of known passwords before it is shown.

use crate::error::Hinted;
use crate::target::{ConnectSpec, Endpoint, SslMode, scrub};
use mysql::{DriverError, Error};
use mysql_common::proto::codec::error::PacketCodecError;
use std::io::ErrorKind;

/// Makes text we did not write safe for a terminal: control characters become
/// `?`, invisible format characters (bidi overrides and isolates, zero-width
/// marks, line separators, tag characters) are shown as `<U+202E>`, known
/// passwords become `****`, and length is capped.
pub fn sanitize(text: &str) -> String {
    let mut clean = String::with_capacity(text.len().min(600));
    for c in text.chars().take(500) {
        if c.is_control() && c != '\t' {
            clean.push('?');
        } else if is_invisible_format(c) {
            clean.push_str(&format!("<U+{:04X}>", u32::from(c)));
        } else {
            clean.push(c);
        }
    }
    scrub(&clean)
}

/// Unicode format characters (general category Cf) plus the line and
/// paragraph separators: invisible, and the bidi ones reorder what a terminal
/// shows (`admin\u{202E}nimda` reads as "adminadmin"), so a user or host
/// name could pass for another.
fn is_invisible_format(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x2028..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// A one-line description of a driver error, without Debug noise.
pub fn describe(e: &Error) -> String {
    match e {
        Error::MySqlError(m) => format!("server error {} ({}): {}", m.code, m.state, m.message),
        Error::CodecError(c) => format!("protocol error: {c}"),
        Error::DriverError(d) => d.to_string(),
        Error::IoError(io) => io.to_string(),
        other => other.to_string(),
    }
}

const CHECK_PASSWORD: &str = "check the user and password (--user, --password-env, \
     --password-file, the URL, ~/.my.cnf); the password is never shown";

/// MySQL's ER_SECURE_TRANSPORT_REQUIRED (`require_secure_transport=ON`).
const MYSQL_SECURE_TRANSPORT_REQUIRED: u16 = 3159;

/// `tls`: whether this connection had set up TLS before it failed. Timeouts
/// never get here: connect.rs names the phase they ran out in.
pub(super) fn classify_connect_error(e: Error, spec: &ConnectSpec, tls: bool) -> anyhow::Error {
    let addr = spec.address();
    let (message, hint) = match &e {
        Error::MySqlError(m) if requires_secure_transport(m.code, &m.message) => (
            format!(
                "the server at {addr} accepts only encrypted connections (require_secure_transport=ON), \
                 and this one was {}",
                if matches!(spec.endpoint, Endpoint::Socket(_)) {
                    "refused anyway"
                } else {
                    "plain text"
                }
            ),
            format!(
                "connect with TLS: --ssl-mode REQUIRED (or VERIFY_CA / VERIFY_IDENTITY with --ssl-ca); \
                 --ssl-mode is {} now",
                spec.ssl_mode
            ),
        ),
        Error::MySqlError(m) => match m.code {
            1045 if !tls && !matches!(spec.endpoint, Endpoint::Socket(_)) => (
                format!(
                    "access denied for user '{}' at {addr} (over a plain-text connection)",
                    spec.user
                ),
                if spec.ssl_mode == SslMode::Preferred {
                    // PREFERRED went plain only because the greeting offered no TLS.
                    format!(
                        "{CHECK_PASSWORD}. Or TLS is required: the server offers no TLS, so an \
                         account created REQUIRE SSL (or X509, ISSUER, SUBJECT) cannot log in until \
                         TLS is enabled on the server (then --ssl-mode REQUIRED tries it)"
                    )
                } else {
                    format!(
                        "{CHECK_PASSWORD}. Or TLS is required: the server answers a plain-text login \
                         with this same error when the account was created REQUIRE SSL (or X509, \
                         ISSUER, SUBJECT) and, on MariaDB, when require_secure_transport=ON: \
                         connect with --ssl-mode REQUIRED (--ssl-mode is {} now)",
                        spec.ssl_mode
                    )
                },
            ),
            1045 => (
                format!("access denied for user '{}' at {addr}", spec.user),
                CHECK_PASSWORD.to_string(),
            ),
            1040 => (
                format!("the server at {addr} has no free connections (too many connections)"),
                "the server is at max_connections: close idle clients or raise max_connections, \
                 then run `poolcheck inspect` to see who holds them"
                    .to_string(),
            ),
            1203 => (
                format!(
                    "user '{}' has reached its max_user_connections limit",
                    spec.user
                ),
                "close some of this account's connections, or raise its MAX_USER_CONNECTIONS"
                    .to_string(),
            ),
            1049 => (
                "the database named in the target does not exist".to_string(),
                "check --database or the database part of the URL (it can be left out)".to_string(),
            ),
            1044 => (
                format!(
                    "user '{}' may not use the database named in the target",
                    spec.user
                ),
                "leave the database out (--database / URL path): poolcheck does not need one"
                    .to_string(),
            ),
            1130 => (
                format!("the server at {addr} does not let this host log in"),
                "the account has no grant for the host you connect from; check user@host grants"
                    .to_string(),
            ),
            _ => (
                format!("the server at {addr} refused the login"),
                "see the server's message above".to_string(),
            ),
        },
        Error::DriverError(DriverError::CouldNotConnect(Some((_, _, kind)))) => {
            match (&spec.endpoint, kind) {
                (Endpoint::Socket(_), ErrorKind::NotFound) => (
                    format!("no socket file at {addr}"),
                    "check --socket (or socket= in ~/.my.cnf, $MYSQL_UNIX_PORT); is the server running?"
                        .to_string(),
                ),
                (_, ErrorKind::ConnectionRefused) => (
                    format!("connection refused by {addr}"),
                    "is the server running and listening there? check the host and port \
                     (--host/--port or the URL)"
                        .to_string(),
                ),
                (_, ErrorKind::PermissionDenied) => (
                    format!("permission denied connecting to {addr}"),
                    "check the socket file's permissions".to_string(),
                ),
                _ => (
                    format!("could not connect to {addr}"),
                    "check the host and port (--host/--port or the URL)".to_string(),
                ),
            }
        }
        Error::DriverError(DriverError::TlsNotSupported) => (
            format!(
                "the server at {addr} does not offer TLS, but --ssl-mode is {}",
                spec.ssl_mode
            ),
            "enable TLS on the server, or use --ssl-mode PREFERRED or DISABLED".to_string(),
        ),
        Error::CodecError(PacketCodecError::Io(io)) | Error::IoError(io)
            if io.kind() == ErrorKind::InvalidData && spec.ssl_mode != SslMode::Disabled =>
        {
            (
                format!("TLS with {addr} failed: the certificate was not accepted"),
                "pass the server's CA with --ssl-ca, or use --ssl-mode REQUIRED to encrypt \
                 without verifying"
                    .to_string(),
            )
        }
        Error::IoError(_) | Error::CodecError(_) | Error::DriverError(_) => (
            format!("{addr} did not answer like a MySQL or MariaDB server"),
            "check the port: is a MySQL/MariaDB server listening there (not HTTP, SSH, ...)?"
                .to_string(),
        ),
        _ => (
            format!("could not connect to {addr}"),
            "check the connection settings".to_string(),
        ),
    };
    let root = match &e {
        Error::MySqlError(m) => anyhow::Error::new(ServerCode {
            code: m.code,
            text: sanitize(&describe(&e)),
        }),
        _ => anyhow::anyhow!("{}", sanitize(&describe(&e))),
    };
    root.context(Hinted::new(sanitize(&message), hint))
}

/// MySQL says 3159, "Connections using insecure transport are prohibited
/// while --require_secure_transport=ON." (MariaDB answers a plain-text login
/// under require_secure_transport with 1045, the same as a wrong password).
fn requires_secure_transport(code: u16, message: &str) -> bool {
    code == MYSQL_SECURE_TRANSPORT_REQUIRED
        || message.contains("--require_secure_transport=ON")
        || message.contains("insecure transport are prohibited")
}

/// A connect refused by the server with an error code (1045, 1040, ...),
/// kept in the error chain so callers can react to the code.
#[derive(Debug)]
pub struct ServerCode {
    pub code: u16,
    text: String,
}

impl std::fmt::Display for ServerCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for ServerCode {}

/// The server's error code, when the server itself refused a connect.
pub fn server_code(err: &anyhow::Error) -> Option<u16> {
    err.chain()
        .find_map(|e| e.downcast_ref::<ServerCode>())
        .map(|c| c.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_and_other_invisible_format_characters_are_shown_as_code_points() {
        for (input, want) in [
            ("admin\u{202E}nimda", "admin<U+202E>nimda"),
            (
                "a\u{202A}b\u{202B}c\u{202C}d\u{202D}e",
                "a<U+202A>b<U+202B>c<U+202C>d<U+202D>e",
            ),
            (
                "\u{2066}x\u{2067}y\u{2068}z\u{2069}",
                "<U+2066>x<U+2067>y<U+2068>z<U+2069>",
            ),
            ("l\u{200E}r\u{200F}a\u{061C}", "l<U+200E>r<U+200F>a<U+061C>"),
            (
                "zero\u{200B}width\u{FEFF}\u{2060}",
                "zero<U+200B>width<U+FEFF><U+2060>",
            ),
            ("line\u{2028}para\u{2029}", "line<U+2028>para<U+2029>"),
            ("tag\u{E0041}\u{E007F}", "tag<U+E0041><U+E007F>"),
            ("10.0.0.5\u{202E}", "10.0.0.5<U+202E>"),
        ] {
            assert_eq!(sanitize(input), want, "{input:?}");
        }
    }

    #[test]
    fn ordinary_text_is_kept() {
        for text in [
            "app@10.0.0.5",
            "Müller-Lüdenscheidt",
            "用户",
            "עברית ومرحبا",
            "emoji 🙂 ok",
            "tab\tstays",
        ] {
            assert_eq!(sanitize(text), text);
        }
        assert_eq!(sanitize("bell\x07esc\x1b[31m"), "bell?esc?[31m");
        assert_eq!(sanitize("c1\u{9b}31m"), "c1?31m");
    }

    fn spec(ssl_mode: SslMode) -> ConnectSpec {
        ConnectSpec {
            endpoint: Endpoint::Tcp {
                host: "db".into(),
                port: 3306,
            },
            user: "app".into(),
            password: None,
            database: None,
            ssl_mode,
            ssl_ca: None,
            connect_timeout: std::time::Duration::from_secs(2),
        }
    }

    fn server_error(code: u16, message: &str) -> Error {
        Error::MySqlError(mysql::MySqlError {
            state: "28000".into(),
            message: message.into(),
            code,
        })
    }

    /// The error line and the hint, as the user sees them.
    fn shown(e: Error, spec: &ConnectSpec, tls: bool) -> String {
        let err = classify_connect_error(e, spec, tls);
        let hinted = err.downcast_ref::<Hinted>().expect("a hinted error");
        format!("{} / {}", hinted.message, hinted.hint)
    }

    const DENIED: &str = "Access denied for user 'app'@'10.0.0.5' (using password: YES)";

    /// 1045 is ambiguous: a wrong password, or an account or server that
    /// requires TLS (MariaDB answers both with 1045). Over plain text the
    /// hint names both, and how to try TLS; over TLS only the password.
    #[test]
    fn access_denied_over_plain_text_names_tls_too() {
        let plain = shown(server_error(1045, DENIED), &spec(SslMode::Disabled), false);
        for part in [
            "plain-text",
            "check the user and password",
            "REQUIRE SSL",
            "require_secure_transport",
            "--ssl-mode REQUIRED",
        ] {
            assert!(plain.contains(part), "{part}: {plain}");
        }
        // PREFERRED went plain because the server offered no TLS.
        let preferred = shown(server_error(1045, DENIED), &spec(SslMode::Preferred), false);
        for part in [
            "check the user and password",
            "REQUIRE SSL",
            "offers no TLS",
            "--ssl-mode REQUIRED",
        ] {
            assert!(preferred.contains(part), "{part}: {preferred}");
        }
        let tls = shown(server_error(1045, DENIED), &spec(SslMode::Required), true);
        assert!(tls.contains("check the user and password"), "{tls}");
        assert!(
            !tls.contains("REQUIRE SSL") && !tls.contains("ssl-mode"),
            "{tls}"
        );
    }

    /// MySQL's own answer to a plain-text login under
    /// require_secure_transport (3159) gets the TLS hint directly.
    #[test]
    fn insecure_transport_prohibited_gets_a_tls_hint() {
        for (code, message) in [
            (
                3159,
                "Connections using insecure transport are prohibited while --require_secure_transport=ON.",
            ),
            (1105, "Connections using insecure transport are prohibited"),
        ] {
            let text = shown(server_error(code, message), &spec(SslMode::Disabled), false);
            assert!(
                text.contains("accepts only encrypted connections"),
                "{text}"
            );
            assert!(text.contains("--ssl-mode REQUIRED"), "{text}");
            assert!(!text.contains("check the user and password"), "{text}");
        }
    }

    #[test]
    fn sanitizing_twice_changes_nothing() {
        let once = sanitize("x\u{202E}y\x1bz");
        assert_eq!(sanitize(&once), once);
    }
}
