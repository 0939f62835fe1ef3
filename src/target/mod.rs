//! Where to connect: merges the TARGET URL, flags, environment and MySQL option
//! files into one [`ConnectSpec`], in a documented precedence order.
//!
//! Precedence, highest first (each field is taken from the first source that has it):
//! 1. command-line flags (`--host`, `--port`, `--user`, `--socket`, `--database`,
//!    `--password*`, `--ssl-mode`, `--ssl-ca`);
//! 2. the URL: the TARGET argument, else `$POOLCHECK_URL`, else `$DATABASE_URL`;
//! 3. option files, groups `[client]`, `[client-server]`, `[client-mariadb]`, `[poolcheck]`;
//! 4. environment `MYSQL_HOST`, `MYSQL_TCP_PORT`, `MYSQL_UNIX_PORT`, `MYSQL_PWD`;
//! 5. defaults: localhost, port 3306, the OS user name, no password.
//!
//! This is the MySQL clients' order (environment < option files < command line),
//! with the URL slotted between the files and the flags.

pub mod optfile;
mod secret;
mod url;

pub use secret::{Secret, scrub};
pub use url::{UrlParts, parse_url};

use crate::error::hinted;
use crate::input::{self, InputError};
use anyhow::Result;
use optfile::OptionSet;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// TLS policy, named as in the MySQL clients' `--ssl-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SslMode {
    Disabled,
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

impl std::fmt::Display for SslMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SslMode::Disabled => "DISABLED",
            SslMode::Preferred => "PREFERRED",
            SslMode::Required => "REQUIRED",
            SslMode::VerifyCa => "VERIFY_CA",
            SslMode::VerifyIdentity => "VERIFY_IDENTITY",
        })
    }
}

impl SslMode {
    pub fn parse(s: &str) -> Option<SslMode> {
        match s.trim().to_ascii_uppercase().replace('-', "_").as_str() {
            "DISABLED" | "DISABLE" | "FALSE" | "0" | "OFF" => Some(SslMode::Disabled),
            "PREFERRED" | "PREFER" => Some(SslMode::Preferred),
            "REQUIRED" | "REQUIRE" | "TRUE" | "1" | "ON" => Some(SslMode::Required),
            "VERIFY_CA" => Some(SslMode::VerifyCa),
            "VERIFY_IDENTITY" | "VERIFY_FULL" => Some(SslMode::VerifyIdentity),
            _ => None,
        }
    }
}

/// How to reach the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Tcp { host: String, port: u16 },
    Socket(PathBuf),
}

/// Everything needed to open a connection, resolved once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSpec {
    pub endpoint: Endpoint,
    pub user: String,
    pub password: Option<Secret>,
    pub database: Option<String>,
    pub ssl_mode: SslMode,
    pub ssl_ca: Option<PathBuf>,
    pub connect_timeout: Duration,
}

impl ConnectSpec {
    /// The target as a URL with the password masked: safe to print anywhere.
    pub fn display_url(&self) -> String {
        let user = percent_encoding::utf8_percent_encode(&self.user, USERINFO).to_string();
        let pw = if self.password.is_some() { ":****" } else { "" };
        let db = self.database.as_deref().unwrap_or("");
        match &self.endpoint {
            Endpoint::Tcp { host, port } if host.contains(':') => {
                format!("mysql://{user}{pw}@[{host}]:{port}/{db}")
            }
            Endpoint::Tcp { host, port } => format!("mysql://{user}{pw}@{host}:{port}/{db}"),
            Endpoint::Socket(path) => {
                format!(
                    "mysql://{user}{pw}@localhost/{db}?socket={}",
                    path.display()
                )
            }
        }
    }

    /// "127.0.0.1:3306" or the socket path, for messages.
    pub fn address(&self) -> String {
        match &self.endpoint {
            Endpoint::Tcp { host, port } if host.contains(':') => format!("[{host}]:{port}"),
            Endpoint::Tcp { host, port } => format!("{host}:{port}"),
            Endpoint::Socket(path) => path.display().to_string(),
        }
    }
}

const USERINFO: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Where the password comes from when a flag names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordArg {
    /// `--password=VALUE` (works, but other local users can see it in `ps`).
    Value(Secret),
    /// `--password` without a value: ask on the terminal.
    Prompt,
    /// `--password-env NAME`.
    Env(String),
    /// `--password-file PATH`.
    File(PathBuf),
}

/// The connection flags, already free of clap types.
#[derive(Debug, Clone, Default)]
pub struct ConnectFlags {
    pub target: Option<String>,
    pub host: Option<String>,
    pub port: Option<String>,
    pub user: Option<String>,
    pub socket: Option<PathBuf>,
    pub database: Option<String>,
    pub password: Option<PasswordArg>,
    pub ssl_mode: Option<SslMode>,
    pub ssl_ca: Option<PathBuf>,
    /// `--connect-timeout`, when given: it beats an option file's value.
    pub connect_timeout: Option<Duration>,
}

/// A snapshot of the environment variables poolcheck reads, taken once.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: HashMap<String, String>,
    /// Variables whose value is not valid UTF-8 (names only): reading one of
    /// these is an error naming it, not a silent "unset".
    not_utf8: HashMap<String, std::ffi::OsString>,
}

impl Environment {
    pub fn capture() -> Environment {
        let mut env = Environment::default();
        for (k, v) in std::env::vars_os() {
            let Ok(name) = k.into_string() else { continue };
            match v.into_string() {
                Ok(value) => {
                    env.vars.insert(name, value);
                }
                Err(raw) => {
                    env.not_utf8.insert(name, raw);
                }
            }
        }
        env
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Environment {
        Environment {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            not_utf8: HashMap::new(),
        }
    }

    /// A test environment with `name` set to bytes that are not UTF-8.
    pub fn with_raw(mut self, name: &str, value: &[u8]) -> Environment {
        use std::os::unix::ffi::OsStrExt;
        self.vars.remove(name);
        self.not_utf8.insert(
            name.to_string(),
            std::ffi::OsStr::from_bytes(value).to_os_string(),
        );
        self
    }

    /// The variable's value; an empty value counts as unset, and so does a
    /// value that is not UTF-8 (use [`Environment::text`] where that matters).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Whether the variable is set to a non-empty value, UTF-8 or not
    /// (`NO_COLOR`: any value turns colors off).
    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some() || self.not_utf8.get(name).is_some_and(|v| !v.is_empty())
    }

    /// Like [`Environment::get`], but a value that is not UTF-8 is an error
    /// naming the variable.
    pub fn text(&self, name: &str) -> Result<Option<&str>> {
        if self.not_utf8.get(name).is_some_and(|v| !v.is_empty()) {
            return Err(hinted(
                format!("${name} is set but is not valid UTF-8"),
                format!(
                    "set ${name} to UTF-8 text (percent-encode other bytes in a URL), or unset it"
                ),
            ));
        }
        Ok(self.get(name))
    }

    /// A variable holding a path (`$HOME`): any bytes are a valid path.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        match self.not_utf8.get(name) {
            Some(raw) if !raw.is_empty() => Some(PathBuf::from(raw)),
            _ => self.get(name).map(PathBuf::from),
        }
    }
}

/// The resolved target plus notes to show on stderr (never containing secrets).
#[derive(Debug)]
pub struct Resolved {
    pub spec: ConnectSpec,
    pub notes: Vec<String>,
}

/// Asks for a password on the terminal; injected so tests never block.
pub type Prompt<'a> = &'a mut dyn FnMut(&str) -> Result<Secret>;

/// Merges every source into one [`ConnectSpec`] (see the module docs for the order).
pub fn resolve(
    flags: &ConnectFlags,
    env: &Environment,
    files: &OptionSet,
    prompt: Prompt<'_>,
) -> Result<Resolved> {
    let mut notes = Vec::new();

    // Only the URL that is used must be readable: a non-UTF-8 $DATABASE_URL
    // behind a TARGET argument does not matter.
    let poolcheck_url = match &flags.target {
        Some(_) => None,
        None => env.text("POOLCHECK_URL")?,
    };
    let database_url = match (&flags.target, poolcheck_url) {
        (None, None) => env.text("DATABASE_URL")?,
        _ => None,
    };
    let (url_text, url_origin) = match (&flags.target, poolcheck_url, database_url) {
        (Some(t), _, _) => (Some(t.as_str()), "the TARGET argument"),
        (None, Some(u), _) => (Some(u), "$POOLCHECK_URL"),
        (None, None, Some(u)) => (Some(u), "$DATABASE_URL"),
        _ => (None, ""),
    };
    let url = match url_text {
        Some(text) => {
            let parts = parse_url(text).map_err(|e| {
                if url_origin == "the TARGET argument" {
                    e
                } else {
                    e.context(format!("could not use the URL in {url_origin}"))
                }
            })?;
            if !parts.ignored_params.is_empty() {
                notes.push(format!(
                    "ignoring URL parameters poolcheck does not use: {}",
                    parts.ignored_params.join(", ")
                ));
            }
            parts
        }
        None => UrlParts::default(),
    };

    let file = |name: &str| files.get(name).and_then(|v| v.value.clone());

    let host = flags
        .host
        .clone()
        .or_else(|| url.host.clone())
        .or_else(|| file("host"));
    let host = match host {
        Some(h) => Some(h),
        None => env.text("MYSQL_HOST")?.map(str::to_string),
    };

    let (port_text, port_origin) = if let Some(p) = &flags.port {
        (Some(p.clone()), "--port")
    } else if let Some(p) = url.port {
        (Some(p.to_string()), "the URL")
    } else if let Some(p) = file("port") {
        (Some(p), "port= in an option file")
    } else if let Some(p) = env.text("MYSQL_TCP_PORT")? {
        (Some(p.to_string()), "$MYSQL_TCP_PORT")
    } else {
        (None, "")
    };
    let port = match port_text {
        Some(text) => parse_port(&text, port_origin)?,
        None => 3306,
    };

    // A socket named on the command line or in the URL is what the user asked
    // for. One from an option file or $MYSQL_UNIX_PORT only applies to
    // `localhost`, as in the MySQL clients; a TCP host never falls back to it.
    let explicit_socket = flags.socket.clone().or_else(|| {
        if flags.host.is_none() {
            url.socket.clone()
        } else {
            None
        }
    });
    let ambient_socket = file("socket")
        .map(PathBuf::from)
        .or_else(|| env.path("MYSQL_UNIX_PORT"));
    let is_local = host.as_deref().is_none_or(|h| h == "localhost");
    let endpoint = match (explicit_socket, is_local, ambient_socket) {
        (Some(path), _, _) => Endpoint::Socket(path),
        (None, true, Some(path)) => Endpoint::Socket(path),
        _ => Endpoint::Tcp {
            host: host.unwrap_or_else(|| "localhost".into()),
            port,
        },
    };

    let user = flags
        .user
        .clone()
        .or_else(|| url.user.clone())
        .or_else(|| file("user"));
    let user = match user {
        Some(u) => u,
        None => match env.text("USER")? {
            Some(u) => u.to_string(),
            None => env.text("LOGNAME")?.unwrap_or("root").to_string(),
        },
    };

    let database = flags
        .database
        .clone()
        .or_else(|| url.database.clone())
        .or_else(|| file("database"));

    let password = match &flags.password {
        Some(PasswordArg::Value(s)) => {
            notes.push(
                "a password on the command line is visible to other local users (ps, /proc); \
                 prefer --password-env or --password-file"
                    .into(),
            );
            Some(s.clone())
        }
        Some(PasswordArg::Prompt) => Some(prompt(&format!("Password for {user}: "))?),
        Some(PasswordArg::Env(name)) => Some(Secret::new(
            env.text(name)?
                .ok_or_else(|| {
                    hinted(
                        format!("--password-env names ${name}, which is not set"),
                        format!(
                            "export {name}=... before running poolcheck, or use --password-file"
                        ),
                    )
                })?
                .to_string(),
        )),
        Some(PasswordArg::File(path)) => {
            let secret = read_password_file(path)?;
            notes.extend(readable_by_others(path));
            Some(secret)
        }
        None => match (&url.password, files.get("password")) {
            (Some(pw), _) => Some(pw.clone()),
            (None, Some(opt)) => match &opt.value {
                Some(v) => {
                    if let Some(note) = readable_by_others(&opt.file) {
                        notes.push(note);
                    }
                    Some(Secret::new(v.clone()))
                }
                // A bare `password` line means "ask", as in the mysql client.
                None => Some(prompt(&format!("Password for {user}: "))?),
            },
            (None, None) => env.text("MYSQL_PWD")?.map(|p| Secret::new(p.to_string())),
        },
    };

    let ssl_ca = flags
        .ssl_ca
        .clone()
        .or_else(|| file("ssl_ca").map(PathBuf::from));
    let ssl_mode = match flags.ssl_mode.or(url.ssl_mode) {
        Some(mode) => mode,
        None => ssl_mode_from_files(files)?.unwrap_or(if ssl_ca.is_some() {
            SslMode::VerifyCa
        } else {
            SslMode::Preferred
        }),
    };
    // The flag when given, then an option file's connect_timeout (whole
    // seconds, as the MySQL clients read it), then the default.
    let connect_timeout = flags
        .connect_timeout
        .or_else(|| {
            file("connect_timeout")?
                .parse::<u64>()
                .ok()
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
        })
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);

    Ok(Resolved {
        spec: ConnectSpec {
            endpoint,
            user,
            password,
            database,
            ssl_mode,
            ssl_ca,
            connect_timeout,
        },
        notes,
    })
}

/// The connect timeout when neither `--connect-timeout` nor an option file sets one.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

fn parse_port(text: &str, origin: &str) -> Result<u16> {
    let shown = crate::error::shown(text, 20);
    match text.trim().parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(p as u16),
        Ok(_) => Err(hinted(
            format!("port {shown} (from {origin}) is out of range"),
            "use a port from 1 to 65535",
        )),
        Err(_) => Err(hinted(
            format!("port '{shown}' (from {origin}) is not a number"),
            "use a port from 1 to 65535, e.g. --port 3306",
        )),
    }
}

/// A note when a file holding a password can be read by other local users.
fn readable_by_others(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o044 != 0).then(|| {
        format!(
            "{} holds a password and other local users can read it (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

fn read_password_file(path: &Path) -> Result<Secret> {
    let (bytes, _) =
        input::read(path, input::Kind::PasswordFile).map_err(InputError::into_anyhow)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        hinted(
            format!("the password file {} is not valid UTF-8", path.display()),
            "write the password as UTF-8 text on the first line",
        )
    })?;
    let line = text.lines().next().unwrap_or("");
    Ok(Secret::new(line.trim_end_matches('\r').to_string()))
}

/// `ssl-mode=...`, MariaDB's `ssl` / `skip-ssl`, and `ssl-verify-server-cert`.
fn ssl_mode_from_files(files: &OptionSet) -> Result<Option<SslMode>> {
    if let Some(v) = files.get("ssl_mode").and_then(|v| v.value.as_deref()) {
        return SslMode::parse(v).map(Some).ok_or_else(|| {
            hinted(
                "unknown ssl-mode in an option file",
                "use DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY",
            )
        });
    }
    let flag = |name: &str| {
        files.get(name).map(|v| {
            !matches!(
                v.value.as_deref(),
                Some("0" | "false" | "FALSE" | "off" | "OFF")
            )
        })
    };
    Ok(match (flag("ssl_verify_server_cert"), flag("ssl")) {
        (Some(true), _) => Some(SslMode::VerifyIdentity),
        (_, Some(false)) => Some(SslMode::Disabled),
        (_, Some(true)) => Some(SslMode::Required),
        _ => None,
    })
}

#[cfg(test)]
mod tests;
