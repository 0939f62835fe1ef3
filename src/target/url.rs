//! Parses the connection URLs users paste from their apps (Django, Rails,
//! SQLAlchemy, Heroku add-ons) into the parts poolcheck uses.
//!
//! The mysql crate's own URL parser accepts only `mysql://` and rejects unknown
//! query parameters, so URLs are normalised here and never handed to it.

use super::SslMode;
use super::secret::Secret;
use crate::error::hinted;
use anyhow::Result;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use std::path::PathBuf;

/// What a URL said. Every field is optional: missing parts fall back to the
/// next source in the precedence order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UrlParts {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub database: Option<String>,
    pub socket: Option<PathBuf>,
    pub ssl_mode: Option<SslMode>,
    /// Query parameters poolcheck does not use (names only: values may be secret).
    pub ignored_params: Vec<String>,
}

const HINT: &str = "write it as mysql://USER:PASSWORD@HOST:PORT/DATABASE \
(mariadb://, mysql2:// and mysql+DRIVER:// work too; percent-encode @ : / in the password)";

/// Schemes that name a MySQL-protocol server. `mysql+pymysql` and other
/// SQLAlchemy `dialect+driver` forms are matched by their dialect.
fn scheme_is_mysql(scheme: &str) -> bool {
    let dialect = scheme.split('+').next().unwrap_or(scheme);
    let known = matches!(
        dialect,
        "mysql" | "mariadb" | "mysql2" | "trilogy" | "mysqlgis" | "mysqlx"
    );
    // Only SQLAlchemy's dialects take a `+driver` suffix.
    known && (!scheme.contains('+') || matches!(dialect, "mysql" | "mariadb"))
}

/// Parses a connection URL. Errors never repeat the URL itself (it may hold a password).
pub fn parse_url(input: &str) -> Result<UrlParts> {
    let input = input.trim();
    let Some((scheme, _)) = input.split_once("://") else {
        return Err(hinted("the target is not a URL (no scheme://)", HINT));
    };
    let scheme = scheme.to_ascii_lowercase();
    if !scheme_is_mysql(&scheme) {
        let shown: String = scheme
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(40)
            .collect();
        return Err(hinted(
            format!("unsupported URL scheme '{shown}': poolcheck talks to MySQL and MariaDB"),
            "use a mysql://, mariadb://, mysql2:// or mysql+DRIVER:// URL",
        ));
    }
    let (scheme_part, rest) = input.split_once("://").unwrap_or((input, ""));
    let (userinfo, after_at) = split_userinfo(rest);
    let authority_end = after_at.find(['/', '?', '#']).unwrap_or(after_at.len());
    let hostport = &after_at[..authority_end];
    // The url crate cuts the authority at the first `/`, `?` or `#`, so a
    // password holding one of them is handed over percent-encoded. `mysql2://
    // user@/db?socket=...` has no host, which the url crate refuses after user
    // info: it gets a placeholder.
    let hostless = hostport.is_empty();
    let to_parse = match userinfo {
        Some(u) => format!(
            "{scheme_part}://{}@{}{}",
            utf8_percent_encode(u, USERINFO_RAW),
            if hostless { "localhost" } else { hostport },
            &after_at[authority_end..]
        ),
        None => input.to_string(),
    };
    let parsed = url::Url::parse(&to_parse).map_err(|e| {
        hinted(
            format!("malformed connection URL: {}", describe_url_error(e)),
            HINT,
        )
    })?;

    let mut parts = UrlParts::default();
    if let Some(host) = parsed.host_str().filter(|h| !h.is_empty() && !hostless) {
        // IPv6 literals come back bracketed; the socket layer wants them bare.
        let host = host.trim_start_matches('[').trim_end_matches(']');
        parts.host = Some(decode(host, "host")?);
    }
    parts.port = parsed.port();
    if !parsed.username().is_empty() {
        parts.user = Some(decode(parsed.username(), "user name")?);
    }
    if let Some(pw) = parsed.password() {
        parts.password = Some(Secret::new(decode(pw, "password")?));
    } else if userinfo.is_some_and(|u| u.contains(':')) {
        // `user:@host` is an explicitly empty password, not "no password given".
        parts.password = Some(Secret::new(String::new()));
    }
    let db = parsed.path().trim_start_matches('/');
    let db = db.split('/').next().unwrap_or("");
    if !db.is_empty() {
        parts.database = Some(decode(db, "database name")?);
    }

    for (key, value) in parsed.query_pairs() {
        let norm = key.to_ascii_lowercase().replace('-', "_");
        match norm.as_str() {
            "socket" | "unix_socket" => {
                if !value.is_empty() {
                    parts.socket = Some(PathBuf::from(value.as_ref()));
                }
            }
            "ssl_mode" | "sslmode" => {
                parts.ssl_mode = Some(SslMode::parse(&value).ok_or_else(|| {
                    hinted(
                        "unknown ssl-mode in the URL",
                        "use DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY",
                    )
                })?);
            }
            _ => {
                // Names only, and only plain ones: anything else may be a
                // piece of a password that was not written the way we read it.
                let name = if is_plain_name(&key, parts.password.as_ref()) {
                    key.into_owned()
                } else {
                    UNNAMED_PARAM.to_string()
                };
                if !parts.ignored_params.contains(&name) {
                    parts.ignored_params.push(name);
                }
            }
        }
    }
    Ok(parts)
}

/// Shown instead of a parameter name that is not a plain identifier.
pub const UNNAMED_PARAM: &str = "(a parameter with an unusual name)";

/// Characters of raw user info that the url crate would take for the end of
/// the authority (or mangle); `%` stays, so percent-escapes the user wrote
/// are decoded once, as before.
const USERINFO_RAW: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'/')
    .add(b'?')
    .add(b'#')
    .add(b'@')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'^')
    .add(b'{')
    .add(b'}')
    .add(b'|');

/// Splits `rest` (the URL after `scheme://`) into the user info and what
/// follows its `@`. The last `@` that is followed by something that can be a
/// `host[:port]` (then the end, `/`, `?` or `#`) ends the user info, as most
/// drivers read it: a password may hold unencoded `@`, `/`, `?`, `#` and `:`.
/// A user name (before the first `:`) never holds `/`, `?` or `#`, so an `@`
/// in the path or query of a URL without user info is not taken for one.
/// An `@` in a query value must therefore be written `%40` after a password.
fn split_userinfo(rest: &str) -> (Option<&str>, &str) {
    let mut last_possible = None;
    for (at, _) in rest.rmatch_indices('@') {
        let userinfo = &rest[..at];
        let after = &rest[at + 1..];
        let user = userinfo.split(':').next().unwrap_or("");
        if user.contains(['/', '?', '#']) {
            continue;
        }
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        if is_plausible_hostport(&after[..end]) {
            return (Some(userinfo), after);
        }
        last_possible.get_or_insert((userinfo, after));
    }
    // No `@` is followed by a good host: the last one still ends the user info
    // (the url crate then says what is wrong with the host or port), so that a
    // password is never read as a host name or a query.
    if let Some((userinfo, after)) = last_possible {
        return (Some(userinfo), after);
    }
    // Each `@` is in the path or query (the text before it cannot be user info).
    (None, rest)
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` or empty, by character classes only
/// (the url crate validates the host itself).
fn is_plausible_hostport(text: &str) -> bool {
    let (host, port) = if let Some(v6) = text.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, tail)) => {
                if !addr
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.' | '%'))
                {
                    return false;
                }
                match tail {
                    "" => return true,
                    t => match t.strip_prefix(':') {
                        Some(p) => ("", p),
                        None => return false,
                    },
                }
            }
            None => return false,
        }
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, p),
            None => (text, ""),
        }
    };
    host.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~' | '%'))
        && port.chars().all(|c| c.is_ascii_digit())
}

/// A parameter name safe to repeat: a short identifier that is no piece of the password.
fn is_plain_name(name: &str, password: Option<&Secret>) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && password.is_none_or(|pw| !pw.expose().contains(name))
}

fn decode(raw: &str, what: &str) -> Result<String> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            hinted(
                format!("the {what} in the URL is not valid UTF-8 after percent-decoding"),
                HINT,
            )
        })
}

/// The url crate's messages are short and never quote the input.
fn describe_url_error(e: url::ParseError) -> String {
    match e {
        url::ParseError::InvalidPort => "the port is not a number from 1 to 65535".into(),
        url::ParseError::EmptyHost => "the host is empty".into(),
        url::ParseError::InvalidIpv6Address => "invalid IPv6 address".into(),
        url::ParseError::InvalidIpv4Address => "invalid IPv4 address".into(),
        url::ParseError::InvalidDomainCharacter => "invalid character in the host".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(u: &str) -> UrlParts {
        parse_url(u).unwrap_or_else(|e| panic!("{u}: {e:#}"))
    }

    fn err(u: &str) -> String {
        let e = parse_url(u).unwrap_err();
        let hint = crate::error::find_hint(&e).unwrap_or("").to_string();
        format!("{e:#} | {hint}")
    }

    #[test]
    fn plain_mysql_url() {
        let p = ok("mysql://app:secret@db.example.com:3307/shop");
        assert_eq!(p.host.as_deref(), Some("db.example.com"));
        assert_eq!(p.port, Some(3307));
        assert_eq!(p.user.as_deref(), Some("app"));
        assert_eq!(p.password.as_ref().map(Secret::expose), Some("secret"));
        assert_eq!(p.database.as_deref(), Some("shop"));
        assert!(p.ignored_params.is_empty());
    }

    #[test]
    fn every_scheme_users_paste() {
        for scheme in [
            "mysql",
            "mariadb",
            "mysql2",
            "trilogy",
            "mysqlgis",
            "mysql+pymysql",
            "mysql+mysqldb",
            "mysql+mysqlconnector",
            "mysql+aiomysql",
            "mariadb+mariadbconnector",
            "MySQL",
        ] {
            let p = ok(&format!("{scheme}://u:p@h:3306/d"));
            assert_eq!(p.host.as_deref(), Some("h"), "{scheme}");
            assert_eq!(p.user.as_deref(), Some("u"), "{scheme}");
        }
    }

    #[test]
    fn foreign_schemes_are_refused() {
        for u in [
            "postgres://u@h/d",
            "postgresql+psycopg2://u@h/d",
            "http://h/",
        ] {
            let e = err(u);
            assert!(e.contains("unsupported URL scheme"), "{u}: {e}");
        }
        assert!(!err("postgres://u:topsecret@h/d").contains("topsecret"));
    }

    #[test]
    fn percent_encoded_credentials() {
        let p = ok("mysql://us%40er:p%40ss%3Aw%2Frd@h/d");
        assert_eq!(p.user.as_deref(), Some("us@er"));
        assert_eq!(p.password.unwrap().expose(), "p@ss:w/rd");
    }

    #[test]
    fn colon_in_password_after_first() {
        let p = ok("mysql://u:pa:ss@h/d");
        assert_eq!(p.password.unwrap().expose(), "pa:ss");
    }

    #[test]
    fn empty_password_is_kept_distinct_from_none() {
        assert_eq!(ok("mysql://u:@h/").password.unwrap().expose(), "");
        assert!(ok("mysql://u@h/").password.is_none());
    }

    #[test]
    fn socket_forms() {
        let p = ok("mysql:///shop?unix_socket=/run/mysqld/mysqld.sock");
        assert_eq!(p.host, None);
        assert_eq!(p.socket, Some("/run/mysqld/mysqld.sock".into()));
        assert_eq!(p.database.as_deref(), Some("shop"));
        let p = ok("mysql://u@localhost/d?socket=%2Ftmp%2Fmy.sock");
        assert_eq!(p.socket, Some("/tmp/my.sock".into()));
        let p = ok("mysql2://u@/d?socket=/tmp/s");
        assert_eq!(p.host, None);
        assert_eq!(p.socket, Some("/tmp/s".into()));
    }

    #[test]
    fn unused_params_are_listed_by_name_only() {
        let p = ok(
            "mysql2://u:p@h/d?encoding=utf8mb4&reconnect=true&pool=5&charset=utf8&ssl_ca=/etc/ca.pem",
        );
        assert_eq!(
            p.ignored_params,
            ["encoding", "reconnect", "pool", "charset", "ssl_ca"]
        );
    }

    #[test]
    fn ssl_mode_param() {
        assert_eq!(
            ok("mysql://h/?ssl-mode=required").ssl_mode,
            Some(SslMode::Required)
        );
        assert_eq!(
            ok("mysql://h/?ssl_mode=VERIFY_CA").ssl_mode,
            Some(SslMode::VerifyCa)
        );
        assert!(err("mysql://h/?sslmode=maybe").contains("unknown ssl-mode"));
    }

    #[test]
    fn ipv6_host() {
        let p = ok("mysql://u@[::1]:3306/");
        assert_eq!(p.host.as_deref(), Some("::1"));
    }

    #[test]
    fn no_port_no_db() {
        let p = ok("mysql://h");
        assert_eq!(p.port, None);
        assert_eq!(p.database, None);
        assert_eq!(p.user, None);
    }

    #[test]
    fn malformed_urls() {
        assert!(err("mysql://u@h:99999/d").contains("port"));
        assert!(err("mysql://u@h:abc/d").contains("port"));
        assert!(err("db.example.com:3306").contains("not a URL"));
        assert!(err("mysql://u:pw@[::1/d").contains("malformed"));
        let e = err("mysql://u:sekrit99@h:99999/d");
        assert!(!e.contains("sekrit99"), "{e}");
        assert!(e.contains("hint") || e.contains("mysql://USER"), "{e}");
    }

    /// Issue 11: a password with unencoded `?`, `#`, `/` or `@` is read the
    /// way the user meant it (the last `@` before the host wins), and no
    /// piece of it reaches the ignored-parameter list.
    #[test]
    fn unencoded_delimiters_in_the_password() {
        for (url, password, host, port, db) in [
            (
                "mysql://app:2024?Summer@host:3306/shop",
                "2024?Summer",
                "host",
                Some(3306),
                Some("shop"),
            ),
            (
                "mysql://app:pa#ss@host/db",
                "pa#ss",
                "host",
                None,
                Some("db"),
            ),
            (
                "mysql://app:a/b@host:3307/db",
                "a/b",
                "host",
                Some(3307),
                Some("db"),
            ),
            ("mysql://app:p@ss@host/db", "p@ss", "host", None, Some("db")),
            ("mysql://app:p@ss@host", "p@ss", "host", None, None),
            (
                "mysql://app:/?#@@db.example.com:3306/",
                "/?#@",
                "db.example.com",
                Some(3306),
                None,
            ),
            (
                "mysql://app:x?y=1&z@10.0.0.5/shop?ssl-mode=required",
                "x?y=1&z",
                "10.0.0.5",
                None,
                Some("shop"),
            ),
            (
                "mysql://app:?a#b/c@d@[::1]:3306/shop?charset=utf8",
                "?a#b/c@d",
                "::1",
                Some(3306),
                Some("shop"),
            ),
            (
                "mariadb://app:%40lready:enc?ded@h/d",
                "@lready:enc?ded",
                "h",
                None,
                Some("d"),
            ),
            (
                "mysql+pymysql://app:Summer#2024@h:3306",
                "Summer#2024",
                "h",
                Some(3306),
                None,
            ),
        ] {
            let p = ok(url);
            assert_eq!(p.user.as_deref(), Some("app"), "{url}");
            assert_eq!(
                p.password.as_ref().map(Secret::expose),
                Some(password),
                "{url}"
            );
            assert_eq!(p.host.as_deref(), Some(host), "{url}");
            assert_eq!(p.port, port, "{url}");
            assert_eq!(p.database.as_deref(), db, "{url}");
            for name in &p.ignored_params {
                assert!(!password.contains(name.as_str()), "{url}: {name}");
            }
        }
        let p = ok("mysql://app:x?y=1&z@10.0.0.5/shop?ssl-mode=required&pool=5");
        assert_eq!(p.ssl_mode, Some(SslMode::Required));
        assert_eq!(p.ignored_params, ["pool"]);
        // Hostless with a socket: the placeholder host is not taken for one.
        let p = ok("mysql2://u:p?w@/d?socket=/tmp/s");
        assert_eq!(p.host, None);
        assert_eq!(p.password.unwrap().expose(), "p?w");
        assert_eq!(p.socket, Some("/tmp/s".into()));
    }

    /// An `@` after the host, in a URL without user info, is not user info.
    #[test]
    fn an_at_sign_in_path_or_query_is_not_user_info() {
        let p = ok("mysql://db.example.com/shop?application_name=me@laptop");
        assert_eq!(p.host.as_deref(), Some("db.example.com"));
        assert_eq!(p.user, None);
        assert_eq!(p.ignored_params, ["application_name"]);
        let p = ok("mysql://u@h/d?socket=/run/a@b.sock");
        assert_eq!(p.user.as_deref(), Some("u"));
        assert_eq!(p.host.as_deref(), Some("h"));
        assert_eq!(p.socket, Some("/run/a@b.sock".into()));
    }

    /// Parameter names that are not plain identifiers, or that are pieces of
    /// the password, are not repeated.
    #[test]
    fn odd_parameter_names_are_not_echoed() {
        let p = ok("mysql://u:Summer2024@h/d?Summer=1&x%20y=2&pool=5");
        assert_eq!(p.ignored_params, [UNNAMED_PARAM, "pool"]);
        let p = ok("mysql://u@h/d?%E2%80%AEevil=1");
        assert_eq!(p.ignored_params, [UNNAMED_PARAM]);
    }

    #[test]
    fn errors_after_an_odd_password_do_not_echo_it() {
        for url in [
            "mysql://u:Se?cr#et99@h:99999/d",
            "mysql://u:Se/cr@et99@h:abc/d",
            "mysql://u:Se?cr@et99@[::1/d",
            "mysql://u:Se?cr@et99@h:port/d",
        ] {
            let e = err(url);
            for piece in ["Se?cr", "cr#et", "Se/cr", "et99", "cr@et"] {
                assert!(!e.contains(piece), "{url}: {e}");
            }
        }
    }
}
