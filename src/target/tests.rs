//! Precedence tests: flags > URL > option files > environment > defaults.

use super::optfile::{OptionSet, parse_str};
use super::*;
use std::path::Path;

const GROUPS: &[&str] = &["client", "client-server", "client-mariadb", "poolcheck"];

fn files(text: &str) -> OptionSet {
    let mut set = OptionSet::default();
    parse_str(text, Path::new("/test/my.cnf"), GROUPS, &mut set).unwrap();
    set
}

fn flags() -> ConnectFlags {
    ConnectFlags {
        connect_timeout: None,
        ..ConnectFlags::default()
    }
}

fn no_prompt(_: &str) -> Result<Secret> {
    panic!("prompted")
}

fn run(f: &ConnectFlags, env: &[(&str, &str)], cnf: &str) -> Resolved {
    resolve(
        f,
        &Environment::from_pairs(env.iter().copied()),
        &files(cnf),
        &mut no_prompt,
    )
    .unwrap_or_else(|e| panic!("{e:#}"))
}

fn run_err(f: &ConnectFlags, env: &[(&str, &str)], cnf: &str) -> String {
    let e = resolve(
        f,
        &Environment::from_pairs(env.iter().copied()),
        &files(cnf),
        &mut no_prompt,
    )
    .unwrap_err();
    format!(
        "{e:#} | hint: {}",
        crate::error::find_hint(&e).unwrap_or("")
    )
}

fn tcp(host: &str, port: u16) -> Endpoint {
    Endpoint::Tcp {
        host: host.into(),
        port,
    }
}

#[test]
fn defaults_are_the_mysql_clients() {
    let r = run(&flags(), &[("USER", "alice")], "");
    assert_eq!(r.spec.endpoint, tcp("localhost", 3306));
    assert_eq!(r.spec.user, "alice");
    assert_eq!(r.spec.password, None);
    assert_eq!(r.spec.ssl_mode, SslMode::Preferred);
    assert_eq!(r.spec.connect_timeout, Duration::from_secs(10));
}

#[test]
fn environment_is_the_lowest_source() {
    let env = [
        ("MYSQL_HOST", "envhost"),
        ("MYSQL_TCP_PORT", "3310"),
        ("MYSQL_PWD", "envpw"),
        ("USER", "alice"),
    ];
    let r = run(&flags(), &env, "");
    assert_eq!(r.spec.endpoint, tcp("envhost", 3310));
    assert_eq!(r.spec.password.unwrap().expose(), "envpw");

    let r = run(
        &flags(),
        &env,
        "[client]\nhost=filehost\nport=3311\npassword=filepw\n",
    );
    assert_eq!(r.spec.endpoint, tcp("filehost", 3311));
    assert_eq!(r.spec.password.unwrap().expose(), "filepw");
}

#[test]
fn url_beats_option_files_and_env() {
    let env = [
        ("DATABASE_URL", "mysql://urluser:urlpw@urlhost:3320/urldb"),
        ("MYSQL_HOST", "envhost"),
    ];
    let r = run(
        &flags(),
        &env,
        "[client]\nhost=filehost\nuser=fileuser\npassword=filepw\n",
    );
    assert_eq!(r.spec.endpoint, tcp("urlhost", 3320));
    assert_eq!(r.spec.user, "urluser");
    assert_eq!(r.spec.password.unwrap().expose(), "urlpw");
    assert_eq!(r.spec.database.as_deref(), Some("urldb"));
}

#[test]
fn url_sources_in_order() {
    let env = [
        ("DATABASE_URL", "mysql://h3/"),
        ("POOLCHECK_URL", "mysql://h2/"),
    ];
    assert_eq!(run(&flags(), &env, "").spec.endpoint, tcp("h2", 3306));
    let f = ConnectFlags {
        target: Some("mysql://h1/".into()),
        ..flags()
    };
    assert_eq!(run(&f, &env, "").spec.endpoint, tcp("h1", 3306));
    assert_eq!(run(&flags(), &env[..1], "").spec.endpoint, tcp("h3", 3306));
}

#[test]
fn flags_beat_the_url() {
    let f = ConnectFlags {
        target: Some("mysql://u:pw@urlhost:3320/db".into()),
        host: Some("flaghost".into()),
        port: Some("3330".into()),
        user: Some("flaguser".into()),
        database: Some("flagdb".into()),
        ..flags()
    };
    let r = run(&f, &[], "");
    assert_eq!(r.spec.endpoint, tcp("flaghost", 3330));
    assert_eq!(r.spec.user, "flaguser");
    assert_eq!(r.spec.database.as_deref(), Some("flagdb"));
    // Fields a flag does not name still come from the URL.
    assert_eq!(r.spec.password.unwrap().expose(), "pw");
}

#[test]
fn missing_url_fields_fall_back_to_files_and_env() {
    let env = [
        ("DATABASE_URL", "mysql://app@db/shop"),
        ("MYSQL_PWD", "envpw"),
    ];
    let r = run(&flags(), &env, "");
    assert_eq!(r.spec.password.unwrap().expose(), "envpw");
    let r = run(&flags(), &env, "[client]\npassword=filepw\n");
    assert_eq!(r.spec.password.unwrap().expose(), "filepw");
}

#[test]
fn password_flags_beat_everything() {
    let env = [("APP_PW", "from-env"), ("MYSQL_PWD", "mysqlpwd")];
    let f = ConnectFlags {
        target: Some("mysql://u:urlpw@h/".into()),
        password: Some(PasswordArg::Env("APP_PW".into())),
        ..flags()
    };
    assert_eq!(
        run(&f, &env, "").spec.password.unwrap().expose(),
        "from-env"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pw");
    std::fs::write(&path, "from-file\nsecond line ignored\n").unwrap();
    let f = ConnectFlags {
        password: Some(PasswordArg::File(path)),
        ..f
    };
    assert_eq!(
        run(&f, &env, "").spec.password.unwrap().expose(),
        "from-file"
    );
}

#[test]
fn password_on_the_command_line_warns() {
    let f = ConnectFlags {
        password: Some(PasswordArg::Value(Secret::new("cmdline-pw".into()))),
        ..flags()
    };
    let r = run(&f, &[], "");
    assert_eq!(r.spec.password.unwrap().expose(), "cmdline-pw");
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("visible to other local users"))
    );
    assert!(!r.notes.iter().any(|n| n.contains("cmdline-pw")));
}

#[test]
fn prompt_when_asked() {
    let f = ConnectFlags {
        password: Some(PasswordArg::Prompt),
        user: Some("bob".into()),
        ..flags()
    };
    let mut asked = String::new();
    let mut prompt = |msg: &str| {
        asked = msg.to_string();
        Ok(Secret::new("typed".into()))
    };
    let r = resolve(&f, &Environment::default(), &files(""), &mut prompt).unwrap();
    assert_eq!(r.spec.password.unwrap().expose(), "typed");
    assert!(asked.contains("bob"));
}

#[test]
fn bare_password_in_option_file_prompts() {
    let mut prompt = |_: &str| Ok(Secret::new("typed".into()));
    let r = resolve(
        &flags(),
        &Environment::default(),
        &files("[client]\npassword\n"),
        &mut prompt,
    )
    .unwrap();
    assert_eq!(r.spec.password.unwrap().expose(), "typed");
}

#[test]
fn password_env_unset_is_an_error() {
    let f = ConnectFlags {
        password: Some(PasswordArg::Env("NOPE".into())),
        ..flags()
    };
    let e = run_err(&f, &[], "");
    assert!(
        e.contains("$NOPE") && e.contains("hint: export NOPE"),
        "{e}"
    );
}

#[test]
fn unreadable_password_file_is_an_error() {
    let f = ConnectFlags {
        password: Some(PasswordArg::File("/nonexistent/pw".into())),
        ..flags()
    };
    let e = run_err(&f, &[], "");
    assert!(
        e.contains("could not read the password file /nonexistent/pw"),
        "{e}"
    );
    assert!(
        e.contains("hint: --password-file takes a regular file"),
        "{e}"
    );
}

#[test]
fn socket_rules() {
    // An option-file socket applies to localhost only...
    let cnf = "[client-server]\nsocket=/run/mysqld/mysqld.sock\n";
    let r = run(&flags(), &[], cnf);
    assert_eq!(
        r.spec.endpoint,
        Endpoint::Socket("/run/mysqld/mysqld.sock".into())
    );
    // ...never to a TCP host (the Debian default my.cnf has exactly this line).
    let f = ConnectFlags {
        target: Some("mysql://root@127.0.0.1:3307/".into()),
        ..flags()
    };
    assert_eq!(run(&f, &[], cnf).spec.endpoint, tcp("127.0.0.1", 3307));
    // MYSQL_UNIX_PORT likewise.
    let env = [
        ("MYSQL_UNIX_PORT", "/tmp/env.sock"),
        ("MYSQL_HOST", "10.1.2.3"),
    ];
    assert_eq!(run(&flags(), &env, "").spec.endpoint, tcp("10.1.2.3", 3306));
    assert_eq!(
        run(&flags(), &env[..1], "").spec.endpoint,
        Endpoint::Socket("/tmp/env.sock".into())
    );
    // A socket asked for explicitly wins.
    let f = ConnectFlags {
        socket: Some("/tmp/flag.sock".into()),
        ..flags()
    };
    assert_eq!(
        run(&f, &[], "").spec.endpoint,
        Endpoint::Socket("/tmp/flag.sock".into())
    );
    let f = ConnectFlags {
        target: Some("mysql:///db?unix_socket=/tmp/url.sock".into()),
        ..flags()
    };
    assert_eq!(
        run(&f, &[], "").spec.endpoint,
        Endpoint::Socket("/tmp/url.sock".into())
    );
}

#[test]
fn ports_are_validated_with_their_origin() {
    let f = ConnectFlags {
        port: Some("70000".into()),
        ..flags()
    };
    let e = run_err(&f, &[], "");
    assert!(
        e.contains("port 70000 (from --port) is out of range"),
        "{e}"
    );
    assert!(e.contains("hint: use a port from 1 to 65535"), "{e}");
    let e = run_err(&flags(), &[("MYSQL_TCP_PORT", "abc")], "");
    assert!(e.contains("$MYSQL_TCP_PORT"), "{e}");
    let e = run_err(&flags(), &[], "[client]\nport=0\n");
    assert!(e.contains("option file"), "{e}");
}

#[test]
fn url_notes_name_ignored_params_only() {
    let f = ConnectFlags {
        target: Some("mysql2://u:pw@h/db?reconnect=true&encoding=utf8mb4".into()),
        ..flags()
    };
    let r = run(&f, &[], "");
    assert_eq!(
        r.notes,
        ["ignoring URL parameters poolcheck does not use: reconnect, encoding"]
    );
}

#[test]
fn ssl_mode_sources() {
    assert_eq!(
        run(&flags(), &[], "[client]\nssl-mode=REQUIRED\n")
            .spec
            .ssl_mode,
        SslMode::Required
    );
    assert_eq!(
        run(&flags(), &[], "[client]\nskip-ssl\n").spec.ssl_mode,
        SslMode::Disabled
    );
    assert_eq!(
        run(&flags(), &[], "[client-mariadb]\nssl\n").spec.ssl_mode,
        SslMode::Required
    );
    assert_eq!(
        run(&flags(), &[], "[client]\nssl-ca=/ca.pem\n")
            .spec
            .ssl_mode,
        SslMode::VerifyCa
    );
    let f = ConnectFlags {
        ssl_mode: Some(SslMode::Disabled),
        ..flags()
    };
    assert_eq!(
        run(&f, &[], "[client]\nssl-mode=REQUIRED\n").spec.ssl_mode,
        SslMode::Disabled
    );
    let f = ConnectFlags {
        target: Some("mysql://h/?ssl-mode=VERIFY_IDENTITY".into()),
        ..flags()
    };
    assert_eq!(
        run(&f, &[], "[client]\nskip-ssl\n").spec.ssl_mode,
        SslMode::VerifyIdentity
    );
}

#[test]
fn later_groups_and_lines_win() {
    let r = run(&flags(), &[], "[client]\nuser=a\n[poolcheck]\nuser=b\n");
    assert_eq!(r.spec.user, "b");
}

#[test]
fn display_url_masks_the_password() {
    let f = ConnectFlags {
        target: Some("mysql+pymysql://app:hunter2xyz@db.example.com:3307/shop".into()),
        ..flags()
    };
    let spec = run(&f, &[], "").spec;
    assert_eq!(
        spec.display_url(),
        "mysql://app:****@db.example.com:3307/shop"
    );
    assert!(!format!("{spec:?}").contains("hunter2xyz"));
    let f = ConnectFlags {
        target: Some("mysql://u@[::1]:3306/".into()),
        ..flags()
    };
    assert_eq!(run(&f, &[], "").spec.display_url(), "mysql://u@[::1]:3306/");
}

#[test]
fn option_file_connect_timeout_applies_unless_the_flag_is_given() {
    let r = run(&flags(), &[], "[client]\nconnect-timeout=3\n");
    assert_eq!(r.spec.connect_timeout, Duration::from_secs(3));
    // Any value given on the command line wins, the default's value included:
    // "was it given?" is an Option, never a comparison with the default.
    for secs in [7, 10] {
        let f = ConnectFlags {
            connect_timeout: Some(Duration::from_secs(secs)),
            ..flags()
        };
        assert_eq!(
            run(&f, &[], "[client]\nconnect-timeout=3\n")
                .spec
                .connect_timeout,
            Duration::from_secs(secs)
        );
    }
    assert_eq!(
        run(&flags(), &[], "").spec.connect_timeout,
        DEFAULT_CONNECT_TIMEOUT
    );
}

#[test]
fn a_password_in_a_file_others_can_read_gets_a_note() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cnf = dir.path().join("my.cnf");
    std::fs::write(&cnf, "[client]\npassword = s3cret-perm\n").unwrap();
    std::fs::set_permissions(&cnf, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut set = OptionSet::default();
    parse_str(
        &std::fs::read_to_string(&cnf).unwrap(),
        &cnf,
        GROUPS,
        &mut set,
    )
    .unwrap();
    let r = resolve(&flags(), &Environment::default(), &set, &mut no_prompt).unwrap();
    assert!(
        r.notes.iter().any(|n| n.contains("chmod 600")),
        "{:?}",
        r.notes
    );
    assert!(!r.notes.iter().any(|n| n.contains("s3cret-perm")));
    std::fs::set_permissions(&cnf, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = resolve(&flags(), &Environment::default(), &set, &mut no_prompt).unwrap();
    assert!(r.notes.is_empty(), "{:?}", r.notes);
}

fn resolve_env(f: &ConnectFlags, env: Environment) -> Result<Resolved> {
    resolve(f, &env, &files(""), &mut no_prompt)
}

/// Issue 11: a variable poolcheck reads that holds bytes that are not UTF-8
/// is an error naming it, not silently "unset" (the error then named the
/// default socket). Only variables that are actually used count.
#[test]
fn environment_values_that_are_not_utf8_are_named() {
    for name in [
        "DATABASE_URL",
        "POOLCHECK_URL",
        "MYSQL_HOST",
        "MYSQL_TCP_PORT",
        "MYSQL_PWD",
        "USER",
    ] {
        let env = Environment::from_pairs([]).with_raw(name, b"mysql://u:p\xff@h/");
        let e = resolve_env(&flags(), env).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("${name} is set but is not valid UTF-8"),
            "{name}"
        );
        assert!(crate::error::find_hint(&e).unwrap().contains(name));
        assert!(!format!("{e:#}").contains("p\u{fffd}"), "{name}");
    }
    let f = ConnectFlags {
        password: Some(PasswordArg::Env("PC_PW".into())),
        ..flags()
    };
    let e = resolve_env(&f, Environment::from_pairs([]).with_raw("PC_PW", b"\xfe")).unwrap_err();
    assert!(e.to_string().contains("$PC_PW"), "{e}");
    // Not used, so not an error: a TARGET hides both URL variables, --user
    // hides $USER, a URL password hides $MYSQL_PWD.
    let f = ConnectFlags {
        target: Some("mysql://app:pw@db/".into()),
        ..flags()
    };
    let env = Environment::from_pairs([])
        .with_raw("DATABASE_URL", b"\xff")
        .with_raw("POOLCHECK_URL", b"\xff")
        .with_raw("USER", b"\xff")
        .with_raw("MYSQL_PWD", b"\xff")
        .with_raw("MYSQL_HOST", b"\xff");
    let r = resolve_env(&f, env).unwrap();
    assert_eq!(r.spec.user, "app");
    // A path variable may hold any bytes.
    let env = Environment::from_pairs([]).with_raw("MYSQL_UNIX_PORT", b"/run/\xffmysqld.sock");
    let r = resolve_env(&flags(), env).unwrap();
    assert!(matches!(r.spec.endpoint, Endpoint::Socket(_)));
    assert!(
        Environment::from_pairs([])
            .with_raw("HOME", b"/home/\xff")
            .path("HOME")
            .is_some()
    );
    // NO_COLOR counts whatever its value.
    assert!(
        Environment::from_pairs([])
            .with_raw("NO_COLOR", b"\xff")
            .is_set("NO_COLOR")
    );
}

/// --password-file goes through the bounded reader: a FIFO, a device or a
/// directory is refused at once, naming the file. (--ssl-ca is read through
/// it by db::tls before connecting.)
#[test]
fn password_file_must_be_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for (path, what) in [
        (fifo.as_path(), "a named pipe (FIFO)"),
        (Path::new("/dev/zero"), "a character device"),
        (dir.path(), "a directory"),
    ] {
        let f = ConnectFlags {
            password: Some(PasswordArg::File(path.to_path_buf())),
            ..flags()
        };
        let e = run_err(&f, &[], "");
        assert!(
            e.contains(&format!(
                "the password file {} is {what}, not a regular file",
                path.display()
            )),
            "{e}"
        );
        assert!(e.contains("--password-env"), "{e}");
    }
}
