//! Turns the parsed command line into resolved values, once: the connection
//! target, durations, output format, color, terminal and CI state. Nothing
//! past this module sees clap types.

use crate::cli::{ConnectArgs, FailOnArg, OutputArgs, SslModeArg};
use crate::error::hinted;
use crate::finding::Severity;
use crate::report::RenderOpts;
use crate::target::optfile::{self, Defaults};
use crate::target::{self, ConnectFlags, ConnectSpec, Environment, PasswordArg, Secret, SslMode};
use anyhow::Result;
use std::io::IsTerminal;
use std::time::Duration;

/// Terminal and environment facts, read once at start-up.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    pub stdout_tty: bool,
    pub stderr_tty: bool,
    pub stdin_tty: bool,
    pub is_ci: bool,
    pub no_color: bool,
}

impl Terminal {
    pub fn detect(env: &Environment) -> Terminal {
        Terminal {
            stdout_tty: std::io::stdout().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
            stdin_tty: std::io::stdin().is_terminal(),
            is_ci: env.get("CI").is_some_and(|v| v != "false" && v != "0"),
            no_color: env.get("NO_COLOR").is_some(),
        }
    }
}

/// Output settings every subcommand shares.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub render: RenderOpts,
    pub fail_on: Option<Severity>,
    pub quiet: bool,
    /// Colors on stderr (errors, notes).
    pub stderr_color: bool,
    pub progress: bool,
}

impl Output {
    pub fn resolve(args: &OutputArgs, term: &Terminal) -> Output {
        Output {
            render: RenderOpts {
                format: args.format,
                color: crate::report::use_color(args.color, term.no_color, term.stdout_tty),
                wrap: term.stdout_tty,
            },
            fail_on: match args.fail_on {
                FailOnArg::Info => Some(Severity::Info),
                FailOnArg::Warn => Some(Severity::Warn),
                FailOnArg::Crit => Some(Severity::Crit),
                FailOnArg::Never => None,
            },
            quiet: args.quiet,
            stderr_color: crate::report::use_color(args.color, term.no_color, term.stderr_tty),
            progress: crate::report::show_progress(term.stderr_tty, term.is_ci, args.quiet),
        }
    }
}

/// The longest duration any flag takes (about 31,700 years), in bare seconds
/// and humantime units alike: connect and probe deadlines add it to
/// `Instant::now()`, which panics on overflow.
const MAX_DURATION: Duration = Duration::from_secs(1_000_000_000_000);

/// Parses a duration: humantime (`90s`, `5m`, `1h 30m`, `500ms`) or bare seconds (`90`, `1.5`).
pub fn parse_duration(text: &str, flag: &str) -> Result<Duration> {
    let t = text.trim();
    let parsed = match t.parse::<f64>() {
        // NaN fails the comparison; infinity and values past Duration::MAX
        // become MAX, which the cap below refuses.
        Ok(secs) if secs >= 0.0 => Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)),
        Ok(_) => None,
        Err(_) => humantime::parse_duration(t).ok(),
    };
    let shown: String = t.chars().filter(|c| !c.is_control()).take(40).collect();
    match parsed {
        Some(d) if d >= MAX_DURATION => Err(hinted(
            format!("{flag} '{shown}' is too long"),
            "give less than 1e12 seconds (about 31,000 years), e.g. 10s, 2m, 8h",
        )),
        Some(d) if !d.is_zero() => Ok(d),
        Some(_) => Err(hinted(
            format!("{flag} must be longer than zero"),
            "e.g. 10s, 2m, or 30 (seconds)",
        )),
        None => Err(hinted(
            format!("invalid duration '{shown}' for {flag}"),
            "use seconds (30, 1.5) or humantime units (500ms, 90s, 5m, 1h30m)",
        )),
    }
}

/// The option-file groups poolcheck reads, later ones winning.
pub const OPTION_GROUPS: &[&str] = &["client", "client-server", "client-mariadb", "poolcheck"];

/// Resolves where to connect. Notes (never containing secrets) are returned for stderr.
pub fn resolve_target(
    args: &ConnectArgs,
    env: &Environment,
    term: &Terminal,
) -> Result<(ConnectSpec, Vec<String>)> {
    let flags = ConnectFlags {
        target: args.target.clone(),
        host: args.host.clone(),
        port: args.port.clone(),
        user: args.user.clone(),
        socket: args.socket.clone(),
        database: args.database.clone(),
        password: match (&args.password, &args.password_env, &args.password_file) {
            (Some(Some(value)), _, _) => Some(PasswordArg::Value(Secret::new(value.clone()))),
            (Some(None), _, _) => Some(PasswordArg::Prompt),
            (None, Some(name), _) => Some(PasswordArg::Env(name.clone())),
            (None, None, Some(path)) => Some(PasswordArg::File(path.clone())),
            (None, None, None) => None,
        },
        ssl_mode: args.ssl_mode.map(|m| match m {
            SslModeArg::Disabled => SslMode::Disabled,
            SslModeArg::Preferred => SslMode::Preferred,
            SslModeArg::Required => SslMode::Required,
            SslModeArg::VerifyCa => SslMode::VerifyCa,
            SslModeArg::VerifyIdentity => SslMode::VerifyIdentity,
        }),
        ssl_ca: args.ssl_ca.clone(),
        connect_timeout: parse_duration(&args.connect_timeout, "--connect-timeout")?,
    };
    let defaults = if args.no_defaults {
        Defaults::None
    } else if let Some(file) = &args.defaults_file {
        Defaults::Only(file.clone())
    } else {
        Defaults::Standard {
            home: env.get("HOME").map(Into::into),
            extra_file: args.defaults_extra_file.clone(),
        }
    };
    let files = optfile::load(&defaults, OPTION_GROUPS).map_err(|e| {
        hinted(
            format!("could not read option file: {e}"),
            "fix the file, point --defaults-file elsewhere, or pass --no-defaults",
        )
    })?;
    let stdin_tty = term.stdin_tty;
    let mut prompt = move |msg: &str| -> Result<Secret> {
        if !stdin_tty {
            return Err(hinted(
                "a password prompt needs a terminal, but stdin is not one",
                "in scripts use --password-env NAME or --password-file PATH",
            ));
        }
        let pw = rpassword::prompt_password(msg).map_err(|e| {
            anyhow::Error::new(e).context("could not read the password from the terminal")
        })?;
        Ok(Secret::new(pw))
    };
    let resolved = target::resolve(&flags, env, &files, &mut prompt)?;
    let mut notes: Vec<String> = files.warnings().to_vec();
    notes.extend(resolved.notes);
    Ok((resolved.spec, notes))
}

/// Resolves `probe`'s own flags.
pub fn resolve_probe(args: &crate::cli::ProbeArgs) -> Result<crate::probe::ProbeConfig> {
    let mut idles = Vec::new();
    for text in &args.idle {
        idles.push(parse_duration(text, "--idle")?);
    }
    let mode = if args.find {
        let max = parse_duration(&args.max, "--max")?;
        let resolution = parse_duration(&args.resolution, "--resolution")?;
        if !(4..=64).contains(&args.max_connections) {
            return Err(hinted(
                "--max-connections must be from 4 to 64",
                "the default of 16 meets the search's time and precision bounds",
            ));
        }
        if resolution >= max {
            return Err(hinted(
                "--resolution must be shorter than --max",
                "e.g. --max 1h --resolution 1s",
            ));
        }
        crate::probe::ProbeMode::Find {
            max,
            resolution,
            max_connections: args.max_connections,
        }
    } else {
        crate::probe::ProbeMode::Rungs(idles.clone())
    };
    if args.connections == 0 || args.connections > 100 {
        return Err(hinted(
            "--connections must be from 1 to 100",
            "the default of 3 per rung is plenty to tell a pattern",
        ));
    }
    if let Some(0) = args.session_wait_timeout {
        return Err(hinted(
            "--session-wait-timeout must be at least 1",
            "e.g. --session-wait-timeout 3600",
        ));
    }
    let max_idle = Duration::from_secs(7 * 24 * 3600);
    if idles.iter().any(|d| *d > max_idle) {
        return Err(hinted(
            "--idle longer than 7 days",
            "pick a duration you can wait for, e.g. --idle 8h",
        ));
    }
    Ok(crate::probe::ProbeConfig {
        mode,
        connections: args.connections,
        conn: crate::probe::ProbeConnOptions {
            io_timeout: parse_duration(&args.io_timeout, "--io-timeout")?,
            keepalive: args.keepalive,
            session_wait_timeout: args.session_wait_timeout,
        },
        reconnects: args.reconnects.min(1000),
    })
}

/// Resolves `recommend`'s own flags (facts are gathered separately).
pub fn resolve_recommend(args: &crate::cli::RecommendArgs) -> Result<crate::recommend::Inputs> {
    use crate::cli::FrameworkArg as F;
    use crate::recommend::{Framework, Topology, hosting};
    let hosting = match &args.hosting {
        Some(name) => Some(hosting::find(name).ok_or_else(|| {
            hinted(
                format!(
                    "unknown --hosting '{}'",
                    name.chars()
                        .filter(|c| !c.is_control())
                        .take(40)
                        .collect::<String>()
                ),
                format!("known presets: {} (or give --idle-limit)", hosting::names()),
            )
        })?),
        None => None,
    };
    let declared = match &args.idle_limit {
        Some(t) => Some(parse_duration(t, "--idle-limit")?.as_secs_f64()),
        None => None,
    };
    for (flag, v) in [
        ("--instances", args.instances),
        ("--processes", args.processes),
        ("--threads", args.threads),
    ] {
        if v == 0 || v > 100_000 {
            return Err(hinted(
                format!("{flag} must be from 1 to 100000"),
                "count what runs at peak",
            ));
        }
    }
    let max_blob = match &args.max_blob {
        Some(t) => Some(crate::recommend::input::parse_size(t).ok_or_else(|| {
            hinted(
                format!(
                    "invalid size '{}' for --max-blob",
                    t.chars()
                        .filter(|c| !c.is_control())
                        .take(40)
                        .collect::<String>()
                ),
                "use bytes or a unit: 8M, 64MiB, 1G",
            )
        })?),
        None => None,
    };
    let request = parse_duration(&args.request_timeout, "--request-timeout")?;
    Ok(crate::recommend::Inputs {
        framework: match args.framework {
            F::Sqlalchemy => Framework::Sqlalchemy,
            F::FlaskSqlalchemy => Framework::FlaskSqlalchemy,
            F::Django => Framework::Django,
            F::Go => Framework::Go,
            F::Hikaricp => Framework::Hikaricp,
            F::Rails => Framework::Rails,
            F::NodeMysql2 => Framework::NodeMysql2,
            F::Sqlx => Framework::Sqlx,
            F::Generic => Framework::Generic,
        },
        server: Default::default(),
        measured: None,
        declared_limit_s: declared,
        hosting,
        topology: Topology {
            instances: args.instances,
            processes: args.processes,
            threads: args.threads,
            reserve: args.reserve,
        },
        max_blob_bytes: max_blob,
        request_timeout_s: request.as_secs().max(1),
    })
}

/// Whether `recommend` should read a live server: a target on the command line;
/// or a target in the environment when no report was given; or no other facts at all.
pub fn recommend_wants_live(args: &crate::cli::RecommendArgs, env: &Environment) -> bool {
    let c = &args.connect;
    let cli_target =
        c.target.is_some() || c.host.is_some() || c.socket.is_some() || c.port.is_some();
    let env_target = ["POOLCHECK_URL", "DATABASE_URL", "MYSQL_HOST"]
        .iter()
        .any(|v| env.get(v).is_some());
    let offline_facts =
        !args.from.is_empty() || args.idle_limit.is_some() || args.hosting.is_some();
    cli_target || (args.from.is_empty() && env_target) || !offline_facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = |s| parse_duration(s, "--x").unwrap();
        assert_eq!(d("90"), Duration::from_secs(90));
        assert_eq!(d("1.5"), Duration::from_millis(1500));
        assert_eq!(d("90s"), Duration::from_secs(90));
        assert_eq!(d("5m"), Duration::from_secs(300));
        assert_eq!(d("1h 30m"), Duration::from_secs(5400));
        assert_eq!(d("1h30m"), Duration::from_secs(5400));
        assert_eq!(d("500ms"), Duration::from_millis(500));
        assert_eq!(d(" 8h "), Duration::from_secs(28800));
    }

    #[test]
    fn bad_durations() {
        for bad in [
            "",
            "abc",
            "-5",
            "5 parsecs",
            "NaN",
            "inf",
            "1e400",
            "0",
            "0s",
        ] {
            let e = parse_duration(bad, "--connect-timeout").unwrap_err();
            assert!(crate::error::find_hint(&e).is_some(), "{bad}");
            assert!(e.to_string().contains("--connect-timeout"), "{bad}: {e}");
        }
    }

    /// Found by the `duration` fuzz target (minimised input `1444444444444s`):
    /// humantime took durations bare seconds refuse, and `--connect-timeout
    /// 18446744073709551615s` then panicked adding the deadline to `Instant::now()`.
    #[test]
    fn durations_past_the_cap_are_refused_in_any_unit() {
        for text in [
            "1444444444444s",
            "18446744073709551615s",
            "40000y",
            "1000000000000",
            "1e400",
            "inf",
        ] {
            let e = parse_duration(text, "--connect-timeout").unwrap_err();
            assert!(e.to_string().contains("is too long"), "{text}: {e}");
            assert!(crate::error::find_hint(&e).is_some(), "{text}");
        }
        for text in ["999999999999", "31000y", "999999999999s 999ms"] {
            let d = parse_duration(text, "--x").unwrap();
            assert!(std::time::Instant::now().checked_add(d).is_some(), "{text}");
        }
    }
}
