//! The password never leaves poolcheck: one distinctive password, given
//! through every input channel to every subcommand that takes a target, on
//! the success path and on every failure path we can produce, must appear in
//! no byte of stdout, stderr or a saved report, in any obvious encoding.
//! Plus the warnings about passwords that other local users can see.

use crate::common::{Reaped, Sandbox, Silent, UNRESOLVABLE_HOST, closed_port, light};
use mysql::prelude::Queryable;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Needs URL-escaping four ways: `%`, `/`, `@` and `:`.
const SECRET: &str = "S3cr%t/p@ss:word";
const SECRET_IN_URL: &str = "S3cr%25t%2Fp%40ss%3Aword";
/// The account that knows the secret, one whose password is something else,
/// and one allowed a single connection (which the test holds).
const USER: &str = "pc_secret";
const OTHER_USER: &str = "pc_secret_other";
const CAPPED_USER: &str = "pc_secret_capped";

const CMDLINE_WARNING: &str = "a password on the command line is visible to other local users";
const READABLE_NOTE: &str = "holds a password and other local users can read it";

fn base64(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= n {
                out.push(alphabet[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Every form of the secret that must not appear, lower-cased (the scan is
/// case-insensitive): the password and its URL encoding, and every 6-byte
/// piece of either (a half-parsed URL would show a piece), its base64 and
/// hex, and the server's mysql_native_password hash of it.
fn forbidden() -> &'static [String] {
    static FORMS: OnceLock<Vec<String>> = OnceLock::new();
    FORMS.get_or_init(|| {
        const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut forms = vec![SECRET.to_string(), SECRET_IN_URL.to_string()];
        for text in [SECRET, SECRET_IN_URL] {
            let b = text.as_bytes();
            forms.extend(
                b.windows(6)
                    .map(|w| String::from_utf8_lossy(w).into_owned()),
            );
        }
        for alphabet in [STD, URL] {
            // The first 12 bytes: a whole number of 3-byte groups, so the
            // encoding is the same wherever the password starts a longer text.
            forms.push(base64(&SECRET.as_bytes()[..12], alphabet, false));
            forms.push(base64(SECRET.as_bytes(), alphabet, true));
        }
        forms.push(SECRET.bytes().map(|b| format!("{b:02x}")).collect());
        let hash: String = Sandbox::shared()
            .admin()
            .query_first(format!("SELECT PASSWORD('{SECRET}')"))
            .unwrap()
            .unwrap();
        forms.push(hash.trim_start_matches('*').to_string());
        forms.iter().map(|f| f.to_lowercase()).collect()
    })
}

/// Panics when any form of the secret appears in `bytes`.
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes).to_lowercase();
    for form in forbidden() {
        if let Some(at) = text.find(form.as_str()) {
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(60)
                .map_or(0, |(i, _)| i);
            let context: String = text[from..].chars().take(160).collect();
            panic!("{what}: the password leaked as {form:?} in ...{context}...");
        }
    }
}

/// Where a password can come from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Channel {
    /// `mysql://user:S3cr%25t...@host/` as the TARGET (explain: `--target`).
    Url,
    /// The same URL in `$DATABASE_URL`, no TARGET.
    EnvUrl,
    /// `--password=S3cr%t/p@ss:word` (warned about).
    PasswordFlag,
    PasswordEnv,
    PasswordFile,
    /// `password=` in `[client]` of a `--defaults-file`.
    DefaultsFile,
    DefaultsExtraFile,
    /// `~/.my.cnf` (the only file channel `explain --target` has).
    HomeMyCnf,
    MysqlPwd,
}

const CHANNELS: [Channel; 9] = [
    Channel::Url,
    Channel::EnvUrl,
    Channel::PasswordFlag,
    Channel::PasswordEnv,
    Channel::PasswordFile,
    Channel::DefaultsFile,
    Channel::DefaultsExtraFile,
    Channel::HomeMyCnf,
    Channel::MysqlPwd,
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Sub {
    Inspect,
    Probe,
    Recommend,
    Explain,
}

const SUBS: [Sub; 4] = [Sub::Inspect, Sub::Probe, Sub::Recommend, Sub::Explain];

impl Sub {
    /// `explain --target URL` has no password flags and no --defaults-file;
    /// it reads ~/.my.cnf and $MYSQL_PWD as the MySQL clients do.
    fn takes(self, channel: Channel) -> bool {
        self != Sub::Explain
            || matches!(
                channel,
                Channel::Url | Channel::HomeMyCnf | Channel::MysqlPwd
            )
    }
}

/// Option files and the password file, all mode 600 (no note expected).
struct Files {
    dir: tempfile::TempDir,
    password: PathBuf,
    cnf: PathBuf,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        let password = dir.path().join("password");
        write_private(&password, &format!("{SECRET}\n"));
        let cnf = dir.path().join("client.cnf");
        write_private(&cnf, &format!("[client]\npassword = \"{SECRET}\"\n"));
        write_private(
            &dir.path().join(".my.cnf"),
            &format!("[client]\npassword={SECRET}\n"),
        );
        Files { dir, password, cnf }
    }
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// One failure path (or the success path): where to connect and what must happen.
struct Place {
    name: &'static str,
    /// HOST:PORT
    address: String,
    user: &'static str,
    /// Path and query of the URL: `/`, `/mysql`, `/?ssl-mode=REQUIRED`.
    rest: &'static str,
    connect_timeout: &'static str,
    /// `None`: runs clean (exit 0 with --fail-on never); else exit 2 with this on stderr.
    error: Option<&'static str>,
    /// Also run with --format table (the cheap places; errors do not depend on it).
    both_formats: bool,
}

fn build(sub: Sub, channel: Channel, place: &Place, files: &Files, format: &str) -> Command {
    let with_password = format!(
        "mysql://{}:{SECRET_IN_URL}@{}{}",
        place.user, place.address, place.rest
    );
    let bare = format!("mysql://{}@{}{}", place.user, place.address, place.rest);
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("poolcheck"));
    cmd.env_clear()
        .env("RUST_BACKTRACE", "0")
        .env("USER", "poolcheck-test")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    match sub {
        Sub::Inspect => cmd.arg("inspect"),
        Sub::Probe => cmd.args([
            "probe",
            "--idle",
            "300ms",
            "--connections",
            "1",
            "--reconnects",
            "1",
        ]),
        Sub::Recommend => cmd.arg("recommend"),
        Sub::Explain => cmd.args(["explain", "(2006, 'MySQL server has gone away')"]),
    };
    cmd.args(["--format", format, "--fail-on", "never"])
        .args(["--connect-timeout", place.connect_timeout]);
    let target = match channel {
        Channel::Url => Some(with_password),
        Channel::EnvUrl => {
            cmd.env("DATABASE_URL", with_password);
            None
        }
        Channel::PasswordFlag => {
            cmd.arg(format!("--password={SECRET}"));
            Some(bare)
        }
        Channel::PasswordEnv => {
            cmd.args(["--password-env", "PC_SECRET"])
                .env("PC_SECRET", SECRET);
            Some(bare)
        }
        Channel::PasswordFile => {
            cmd.arg("--password-file").arg(&files.password);
            Some(bare)
        }
        Channel::DefaultsFile => {
            cmd.arg("--defaults-file").arg(&files.cnf);
            Some(bare)
        }
        Channel::DefaultsExtraFile => {
            cmd.arg("--defaults-extra-file").arg(&files.cnf);
            Some(bare)
        }
        Channel::HomeMyCnf => {
            cmd.env("HOME", files.dir.path());
            Some(bare)
        }
        Channel::MysqlPwd => {
            cmd.env("MYSQL_PWD", SECRET);
            Some(bare)
        }
    };
    let reads_files = matches!(
        channel,
        Channel::DefaultsFile | Channel::DefaultsExtraFile | Channel::HomeMyCnf
    );
    if sub != Sub::Explain && !reads_files {
        cmd.arg("--no-defaults");
    }
    match (sub, target) {
        (Sub::Explain, Some(t)) => cmd.arg("--target").arg(t),
        (_, Some(t)) => cmd.arg(t),
        (_, None) => &mut cmd,
    };
    cmd
}

struct Output {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs to completion, at most 30 s (then the child is killed and this panics).
fn output(cmd: Command) -> Output {
    let dir = tempfile::tempdir().unwrap();
    output_to(cmd, &dir.path().join("out"))
}

/// Runs with stdout redirected to the file `stdout` (kept for the caller).
fn output_to(mut cmd: Command, stdout: &Path) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let err = dir.path().join("err");
    cmd.stdout(std::fs::File::create(stdout).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    let mut child = Reaped::new(cmd.spawn().unwrap());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.child().try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "poolcheck did not finish within 30 s: {cmd:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read(stdout).unwrap(),
        stderr: std::fs::read(err).unwrap(),
    }
}

fn success(sb: &Sandbox) -> Place {
    Place {
        name: "success",
        address: format!("127.0.0.1:{}", sb.port),
        user: USER,
        rest: "/",
        connect_timeout: "5s",
        error: None,
        both_formats: true,
    }
}

fn create_accounts(sb: &Sandbox) {
    sb.exec(&[
        &format!("CREATE OR REPLACE USER '{USER}'@'%' IDENTIFIED BY '{SECRET}'"),
        &format!("CREATE OR REPLACE USER '{OTHER_USER}'@'%' IDENTIFIED BY 'not-the-secret-1'"),
        &format!(
            "CREATE OR REPLACE USER '{CAPPED_USER}'@'%' IDENTIFIED BY '{SECRET}' \
             WITH MAX_USER_CONNECTIONS 1"
        ),
    ]);
}

/// Every subcommand x every channel x every path: exit code as expected, the
/// command-line warning where due, no "others can read it" note for mode-600
/// files, and no form of the password in any byte of stdout or stderr.
#[test]
fn password_never_leaks_on_any_channel_or_path() {
    let _connections = light();
    let sb = Sandbox::shared();
    create_accounts(sb);
    let files = Files::new();
    let silent = Silent::start();
    let sandbox = format!("127.0.0.1:{}", sb.port);
    // The capped account's one connection, held so poolcheck gets error 1203.
    let _held = mysql::Conn::new(
        mysql::OptsBuilder::new()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(sb.port)
            .user(Some(CAPPED_USER))
            .pass(Some(SECRET))
            .prefer_socket(false)
            .init(vec!["SET SESSION wait_timeout = 600"]),
    )
    .unwrap();
    let places = [
        success(sb),
        Place {
            name: "wrong password",
            address: sandbox.clone(),
            user: OTHER_USER,
            rest: "/",
            connect_timeout: "5s",
            error: Some("access denied for user 'pc_secret_other'"),
            both_formats: true,
        },
        Place {
            name: "connection refused",
            address: format!("127.0.0.1:{}", closed_port()),
            user: USER,
            rest: "/",
            connect_timeout: "2s",
            error: Some("connection refused"),
            both_formats: true,
        },
        Place {
            name: "server never speaks",
            address: format!("127.0.0.1:{}", silent.port),
            user: USER,
            rest: "/",
            connect_timeout: "500ms",
            error: Some("sent no complete MySQL greeting"),
            both_formats: false,
        },
        Place {
            name: "unknown host",
            address: format!("{UNRESOLVABLE_HOST}:3306"),
            user: USER,
            rest: "/",
            connect_timeout: "2s",
            error: Some("could not resolve"),
            both_formats: false,
        },
        Place {
            name: "TLS required, server has none",
            address: sandbox.clone(),
            user: USER,
            rest: "/?ssl-mode=REQUIRED",
            connect_timeout: "5s",
            error: Some("does not offer TLS"),
            both_formats: false,
        },
        Place {
            name: "no privilege on the database",
            address: sandbox.clone(),
            user: USER,
            rest: "/mysql",
            connect_timeout: "5s",
            error: Some("may not use the database"),
            both_formats: false,
        },
        Place {
            name: "account at max_user_connections",
            address: sandbox.clone(),
            user: CAPPED_USER,
            rest: "/",
            connect_timeout: "5s",
            error: Some("max_user_connections"),
            both_formats: false,
        },
    ];

    let mut cases = Vec::new();
    for place in &places {
        for sub in SUBS {
            for channel in CHANNELS.into_iter().filter(|c| sub.takes(*c)) {
                for format in ["json", "table"] {
                    if format == "table" && !place.both_formats {
                        continue;
                    }
                    cases.push((place, sub, channel, format));
                }
            }
        }
    }
    let total = cases.len();
    let queue = Mutex::new(cases);
    let failures = Mutex::new(Vec::new());
    let started = Instant::now();
    // Four at a time: most runs wait on a socket, not a core.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let Some((place, sub, channel, format)) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    let what =
                        format!("{sub:?} via {channel:?}, {}, --format {format}", place.name);
                    let out = output(build(sub, channel, place, &files, format));
                    let check = std::panic::catch_unwind(|| {
                        assert_clean(&format!("{what}: stdout"), &out.stdout);
                        assert_clean(&format!("{what}: stderr"), &out.stderr);
                        let stderr = String::from_utf8_lossy(&out.stderr);
                        match place.error {
                            None => assert_eq!(out.code, 0, "{what}: {stderr}"),
                            Some(text) => {
                                assert_eq!(out.code, 2, "{what}: {stderr}");
                                assert!(out.stdout.is_empty(), "{what}: stdout on error");
                                assert!(stderr.contains(text), "{what}: want {text:?} in {stderr}");
                            }
                        }
                        assert_eq!(
                            channel == Channel::PasswordFlag,
                            stderr.contains(CMDLINE_WARNING),
                            "{what}: the command-line warning: {stderr}"
                        );
                        assert!(!stderr.contains(READABLE_NOTE), "{what}: {stderr}");
                    });
                    if let Err(e) = check {
                        let msg = e
                            .downcast_ref::<String>()
                            .cloned()
                            .unwrap_or_else(|| format!("{what}: panicked"));
                        failures.lock().unwrap().push(msg);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {total} runs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{total} runs in {:?}", started.elapsed());
}

/// `--format json > file` for every subcommand, then `recommend --from` that
/// file: the saved reports and what is made of them hold no form of the
/// password (and show the target's URL with the password masked).
#[test]
fn saved_reports_hold_no_password() {
    let _connections = light();
    let sb = Sandbox::shared();
    create_accounts(sb);
    let files = Files::new();
    let place = success(sb);
    let dir = tempfile::tempdir().unwrap();
    for sub in SUBS {
        for channel in [Channel::Url, Channel::PasswordEnv, Channel::HomeMyCnf] {
            if !sub.takes(channel) {
                continue;
            }
            let what = format!("{sub:?} via {channel:?}");
            let report = dir.path().join(format!("{sub:?}-{channel:?}.json"));
            let out = output_to(build(sub, channel, &place, &files, "json"), &report);
            assert_eq!(
                out.code,
                0,
                "{what}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_clean(&format!("{what}: {}", report.display()), &out.stdout);
            assert_clean(&format!("{what}: stderr"), &out.stderr);
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            if sub != Sub::Explain {
                let text = json.to_string();
                assert!(
                    text.contains(&format!("mysql://{USER}:****@127.0.0.1:{}/", sb.port)),
                    "{what}: no masked URL in {text}"
                );
            }
            if matches!(sub, Sub::Inspect | Sub::Probe) {
                for format in ["table", "json"] {
                    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("poolcheck"));
                    cmd.env_clear()
                        .env("NO_COLOR", "1")
                        .args(["recommend", "--format", format, "--fail-on", "never"])
                        .arg("--from")
                        .arg(&report);
                    let r = output(cmd);
                    let what = format!("recommend --from the {what} report, --format {format}");
                    assert_eq!(r.code, 0, "{what}: {}", String::from_utf8_lossy(&r.stderr));
                    assert_clean(&format!("{what}: stdout"), &r.stdout);
                    assert_clean(&format!("{what}: stderr"), &r.stderr);
                }
            }
        }
    }
}

/// A password file or option file that other local users can read gets a
/// note naming the fix (`chmod 600 PATH`); a world-writable option file is
/// ignored, as the MySQL clients do, with their warning. Neither note shows
/// the password.
#[test]
fn files_other_users_can_read_get_a_note() {
    let _connections = light();
    let sb = Sandbox::shared();
    create_accounts(sb);
    let files = Files::new();
    let place = success(sb);
    let set_mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    let run = |sub: Sub, channel: Channel| {
        let out = output(build(sub, channel, &place, &files, "json"));
        let what = format!("{sub:?} via {channel:?}");
        assert_clean(&format!("{what}: stdout"), &out.stdout);
        assert_clean(&format!("{what}: stderr"), &out.stderr);
        (
            out.code,
            String::from_utf8_lossy(&out.stderr).into_owned(),
            what,
        )
    };

    set_mode(&files.password, 0o644);
    set_mode(&files.cnf, 0o644);
    let home_cnf = files.dir.path().join(".my.cnf");
    set_mode(&home_cnf, 0o640);
    for (sub, channel, path) in [
        (Sub::Inspect, Channel::PasswordFile, &files.password),
        (Sub::Probe, Channel::PasswordFile, &files.password),
        (Sub::Inspect, Channel::DefaultsFile, &files.cnf),
        (Sub::Recommend, Channel::DefaultsExtraFile, &files.cnf),
        (Sub::Explain, Channel::HomeMyCnf, &home_cnf),
    ] {
        let (code, stderr, what) = run(sub, channel);
        assert_eq!(code, 0, "{what}: {stderr}");
        let note = format!("{} {READABLE_NOTE}", path.display());
        let fix = format!("run: chmod 600 {}", path.display());
        assert!(
            stderr.contains(&note) && stderr.contains(&fix),
            "{what}: want the note about {} in: {stderr}",
            path.display()
        );
    }

    // World-writable: anyone could have put options there, so it is not read
    // at all; without its password the login fails.
    set_mode(&files.cnf, 0o666);
    let (code, stderr, what) = run(Sub::Inspect, Channel::DefaultsExtraFile);
    assert_eq!(code, 2, "{what}: {stderr}");
    assert!(
        stderr.contains(&format!(
            "world-writable config file '{}' is ignored",
            files.cnf.display()
        )),
        "{what}: {stderr}"
    );
    assert!(stderr.contains("access denied"), "{what}: {stderr}");
}

/// The scanner itself: each form it looks for is found.
#[test]
fn leak_scanner_finds_every_form() {
    let hash = &forbidden()[forbidden().len() - 1];
    for leak in [
        SECRET.to_string(),
        SECRET_IN_URL.to_lowercase(),
        "mysql://u:S3cr%25t%2F@h/".to_string(),
        "password=p@ss:word".to_string(),
        "UzNjciV0L3BAc3M6d29yZA==".to_string(),
        "Authorization: Basic UzNjciV0L3BAc3M6".to_string(),
        "0x5333637225742F704073733A776F7264".to_string(),
        format!("IDENTIFIED BY PASSWORD '*{}'", hash.to_uppercase()),
    ] {
        let caught = std::panic::catch_unwind(|| assert_clean("self-test", leak.as_bytes()));
        assert!(caught.is_err(), "not caught: {leak}");
    }
    assert_clean("self-test", b"mysql://pc_secret:****@127.0.0.1:3306/ ok");
}

/// `explain` quotes an example line of each error it recognises. Logs often
/// carry a DSN or a `password=` next to the error: the quoted line shows it
/// masked, in the table and in JSON, and the `--target`'s own password is
/// removed wherever it appears in the log.
#[test]
fn explain_masks_credentials_in_quoted_log_lines() {
    let _connections = light();
    let sb = Sandbox::shared();
    create_accounts(sb);
    let gone = "(2006, 'MySQL server has gone away')";
    let lines = [
        format!("{gone} url=mysql://app:{SECRET_IN_URL}@db:3306/shop"),
        format!("{gone} engine mysql+pymysql://app:{SECRET}@db/shop?charset=utf8mb4"),
        format!(
            "[mysql] 2024/01/02 packets.go:37: unexpected EOF dsn=app:{SECRET}@tcp(db:3306)/shop {gone}"
        ),
        format!("{gone} jdbc:mysql://db:3306/shop?user=app&password={SECRET}&useSSL=false"),
        format!("{gone} Server=db;Uid=app;Pwd={SECRET};Database=shop"),
        format!("{gone} DB_PASSWORD: \"{SECRET}\""),
        // Not a credential: MySQL's own wording stays as it is.
        "ERROR 1045 (28000): Access denied for user 'app'@'10.0.0.5' (using password: YES)"
            .to_string(),
    ];
    for format in ["table", "json"] {
        for line in &lines {
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("poolcheck"));
            cmd.env_clear().env("NO_COLOR", "1").args([
                "explain",
                "--fail-on",
                "never",
                "--format",
                format,
                line,
            ]);
            let out = output(cmd);
            let what = format!("explain --format {format} {line:?}");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.code,
                0,
                "{what}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_clean(&what, &out.stdout);
            if line.contains("using password: YES") {
                assert!(stdout.contains("(using password: YES)"), "{stdout}");
            } else {
                assert!(
                    stdout.contains("****"),
                    "{what}: example not shown: {stdout}"
                );
            }
        }

        // The target's own password, in free text, is known and scrubbed.
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("poolcheck"));
        cmd.env_clear()
            .env("NO_COLOR", "1")
            .args(["explain", "--fail-on", "never", "--format", format])
            .arg("--target")
            .arg(format!(
                "mysql://{USER}:{SECRET_IN_URL}@127.0.0.1:{}/",
                sb.port
            ))
            .arg(format!("{gone} (we use {SECRET} here)"));
        let out = output(cmd);
        let what = format!("explain --target --format {format}");
        assert_eq!(
            out.code,
            0,
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_clean(&what, &out.stdout);
        assert_clean(&what, &out.stderr);
        assert!(String::from_utf8_lossy(&out.stdout).contains("(we use **** here)"));
    }
}

/// Issue 11, item 1: passwords with unencoded `?`, `#`, `/` and `@` (as users
/// paste them). Each is read the way the user meant it: the login succeeds
/// with the password, from the TARGET and from `$DATABASE_URL`, and no piece
/// of it is printed: not in the "ignoring URL parameters" note (which used to
/// show `Summer@host:3306/shop` for `app:2024?Summer@host`), not on an error
/// path (refused connection, wrong password, bad port).
#[test]
fn passwords_with_unencoded_delimiters_are_parsed_and_never_echoed() {
    const RAW_USER: &str = "pc_raw_pw";
    let _connections = light();
    let sb = Sandbox::shared();
    let refused = closed_port();
    let passwords = [
        "2024?Summer",
        "Sum#mer2024",
        "Sum/mer/2024",
        "Sum@mer@2024",
        "a?b#c/d@e:f",
        "?#/@lead",
    ];
    for password in passwords {
        sb.exec(&[&format!(
            "CREATE OR REPLACE USER '{RAW_USER}'@'%' IDENTIFIED BY '{password}'"
        )]);
        // Every 5-character piece, and the part after each delimiter.
        let mut pieces: Vec<String> = password
            .as_bytes()
            .windows(5)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        pieces.extend(
            password
                .split(['?', '#', '/', '@', ':'])
                .filter(|p| p.len() >= 4)
                .map(str::to_string),
        );
        let check = |what: &str, out: &Output| {
            for stream in [&out.stdout, &out.stderr] {
                let text = String::from_utf8_lossy(stream);
                for piece in &pieces {
                    assert!(
                        !text.contains(piece.as_str()),
                        "{what}: {piece:?} of the password shown: {text}"
                    );
                }
            }
        };
        let base = |url: Option<&str>| {
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("poolcheck"));
            cmd.env_clear()
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .args([
                    "inspect",
                    "--no-defaults",
                    "--fail-on",
                    "never",
                    "--connect-timeout",
                    "5s",
                ]);
            if let Some(url) = url {
                cmd.arg(url);
            }
            cmd
        };
        for query in ["", "?charset=utf8mb4&pool=5", "?ssl-mode=DISABLED"] {
            let url = format!(
                "mysql://{RAW_USER}:{password}@127.0.0.1:{}/{query}",
                sb.port
            );
            let what = format!("{password:?} {query}");
            let out = output(base(Some(&url)));
            assert_eq!(
                out.code,
                0,
                "{what}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            check(&what, &out);
            let stderr = String::from_utf8_lossy(&out.stderr);
            if query.contains("pool") {
                assert!(
                    stderr
                        .contains("ignoring URL parameters poolcheck does not use: charset, pool"),
                    "{what}: {stderr}"
                );
            }
            let mut env_cmd = base(None);
            env_cmd.env("DATABASE_URL", &url);
            let out = output(env_cmd);
            assert_eq!(out.code, 0, "{what} in $DATABASE_URL");
            check(&format!("{what} in $DATABASE_URL"), &out);
        }
        for url in [
            format!("mysql://{RAW_USER}:{password}@127.0.0.1:{refused}/"),
            format!("mysql://{OTHER_USER}:{password}@127.0.0.1:{}/", sb.port),
            format!("mysql://{RAW_USER}:{password}@127.0.0.1:99999/"),
            format!("mysql://{RAW_USER}:{password}@127.0.0.1:port/"),
        ] {
            for format in ["table", "json"] {
                let mut cmd = base(Some(&url));
                cmd.args(["--format", format]);
                let out = output(cmd);
                let what = format!("{password:?} failing ({url:?}, {format})");
                assert_eq!(out.code, 2, "{what}");
                check(&what, &out);
            }
        }
    }
}
