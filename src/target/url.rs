//! Parses the connection URLs users paste from their apps (Django, Rails,
//! SQLAlchemy, Heroku add-ons) into the parts poolcheck uses.
//!
//! The mysql crate's own URL parser accepts only `mysql://` and rejects unknown
//! query parameters, so URLs are normalised here and never handed to it.

use super::SslMode;
use super::secret::Secret;
use crate::error::hinted;
use anyhow::Result;
use percent_encoding::percent_decode_str;
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
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    // `mysql2://user@/db?socket=...` has no host: the url crate refuses an
    // empty host after user info, so parse it with a placeholder.
    let hostless = hostport.is_empty();
    let normalized;
    let to_parse = if hostless && userinfo.is_some() {
        normalized = format!(
            "{scheme_part}://{}@localhost{}",
            userinfo.unwrap_or(""),
            &rest[authority_end..]
        );
        normalized.as_str()
    } else {
        input
    };
    let parsed = url::Url::parse(to_parse).map_err(|e| {
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
                let name: String = key.chars().filter(|c| !c.is_control()).take(40).collect();
                if !parts.ignored_params.contains(&name) {
                    parts.ignored_params.push(name);
                }
            }
        }
    }
    Ok(parts)
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
}
