//! Turns the parsed command line into one resolved [`Config`], once, before
//! anything runs: output format, color, terminal and CI state, the connection
//! target, durations, and the inputs each subcommand reads (logs, saved
//! reports). Defaults for flags that option files can also set are applied
//! here and in `target/`, never by comparing a flag with its default. Nothing
//! past this module sees clap types.

use crate::cli::{self, Cli, ColorArg, ConnectArgs, FailOnArg, FormatArg, OutputArgs, SslModeArg};
use crate::error::hinted;
use crate::finding::Severity;
use crate::report::{Format, RenderOpts};
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
    /// The width of the terminal stdout is, if it is one.
    pub stdout_columns: Option<u16>,
}

impl Terminal {
    pub fn detect(env: &Environment) -> Terminal {
        let stdout_tty = std::io::stdout().is_terminal();
        Terminal {
            stdout_columns: output_width(stdout_tty, env.get("COLUMNS"), || {
                comfy_table::Table::new().width()
            }),
            stdout_tty,
            stderr_tty: std::io::stderr().is_terminal(),
            stdin_tty: std::io::stdin().is_terminal(),
            is_ci: env.get("CI").is_some_and(|v| v != "false" && v != "0"),
            no_color: env.is_set("NO_COLOR"),
        }
    }
}

/// Output settings every subcommand shares.
#[derive(Debug, Clone)]
pub struct Output {
    pub render: RenderOpts,
    pub fail_on: Option<Severity>,
    pub quiet: bool,
    /// Colors on stderr (errors, notes).
    pub stderr_color: bool,
    pub progress: bool,
    /// `--format github`: the job summary file to append to
    /// (`$GITHUB_STEP_SUMMARY`, when set).
    pub step_summary: Option<std::path::PathBuf>,
}

impl Output {
    pub fn resolve(args: &OutputArgs, term: &Terminal) -> Output {
        let fail_on = match args.fail_on {
            FailOnArg::Info => Some(Severity::Info),
            FailOnArg::Warn => Some(Severity::Warn),
            FailOnArg::Crit => Some(Severity::Crit),
            FailOnArg::Never => None,
        };
        Output {
            render: RenderOpts {
                format: match args.format {
                    FormatArg::Table => Format::Table,
                    FormatArg::Json => Format::Json,
                    FormatArg::Junit => Format::Junit,
                    FormatArg::Github => Format::Github,
                },
                color: use_color(args.color, term.no_color, term.stdout_tty),
                width: term.stdout_columns,
                fail_on,
            },
            fail_on,
            quiet: args.quiet,
            stderr_color: use_color(args.color, term.no_color, term.stderr_tty),
            progress: show_progress(term.stderr_tty, term.is_ci, args.quiet),
            step_summary: None,
        }
    }
}

/// Whether a stream gets colors: `--color`, then NO_COLOR, then is-a-terminal.
pub fn use_color(choice: ColorArg, no_color_env: bool, is_tty: bool) -> bool {
    match choice {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => !no_color_env && is_tty,
    }
}

/// The width results are laid out in: when stdout is a terminal, `COLUMNS`
/// if it holds a usable number, else the width the terminal reports; when it
/// is not, none (renderers then use their plain layout for logs). Decided
/// apart from color: `--color never` or NO_COLOR does not change the width.
pub fn output_width(
    stdout_tty: bool,
    columns_env: Option<&str>,
    detect: impl FnOnce() -> Option<u16>,
) -> Option<u16> {
    if !stdout_tty {
        return None;
    }
    columns_env
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|c| *c >= 20)
        .or_else(detect)
        .filter(|c| *c > 0)
}

/// Progress bars only where someone watches a terminal: stderr is a tty, not
/// under CI (some CI logs pretend to be terminals), and not `--quiet`.
pub fn show_progress(stderr_tty: bool, is_ci: bool, quiet: bool) -> bool {
    stderr_tty && !is_ci && !quiet
}

/// Everything one run needs, resolved before it starts.
#[derive(Debug)]
pub struct Config {
    pub output: Output,
    pub command: Command,
}

/// One subcommand's resolved settings and inputs.
#[derive(Debug)]
pub enum Command {
    Inspect(Target),
    Probe {
        target: Target,
        probe: crate::probe::ProbeConfig,
    },
    Recommend(Box<RecommendConfig>),
    /// `recommend --list-hosting`.
    ListHosting,
    Explain(ExplainConfig),
    Proxy(ProxyConfig),
    /// `completions SHELL`.
    Completions(crate::shell::Shell),
    /// `man [COMMAND]`: a subcommand's page, or poolcheck(1).
    Man(Option<String>),
}

/// Where to connect, and the notes resolving it produced (for stderr; never
/// containing secrets).
#[derive(Debug)]
pub struct Target {
    pub spec: ConnectSpec,
    pub notes: Vec<String>,
}

/// `recommend`: the rules' inputs, the facts read from saved reports, and
/// whether to read a live server too.
#[derive(Debug)]
pub struct RecommendConfig {
    pub inputs: crate::recommend::Inputs,
    /// Facts from `--from` reports, already read.
    pub gathered: crate::recommend::input::Gathered,
    pub live: Option<Target>,
    /// `--check` pairs in the framework's own key names.
    pub check: Option<Vec<(String, String)>>,
}

/// `explain`: what to read (the text, or a log file already opened and
/// checked, or stdin: read as a stream, never whole) and an optional server
/// to confirm causes on.
#[derive(Debug)]
pub struct ExplainConfig {
    pub input: ExplainInput,
    pub target: Option<Target>,
}

/// Where `explain`'s text comes from.
#[derive(Debug)]
pub enum ExplainInput {
    /// The arguments, one line each.
    Text(String),
    /// `--file PATH`: a regular file, opened (its kind checked) by crate::input.
    File(crate::input::Opened),
    /// `--file -`, or stdin when it is not a terminal.
    Stdin,
}

/// `proxy`: its configuration, and how many flows were asked for (the
/// open-files limit may fit fewer).
#[derive(Debug)]
pub struct ProxyConfig {
    pub proxy: crate::proxy::ProxyConfig,
    pub max_flows_asked: usize,
}

impl cli::Command {
    /// The output flags every subcommand has.
    pub fn output_args(&self) -> &OutputArgs {
        match self {
            cli::Command::Inspect(a) => &a.output,
            cli::Command::Probe(a) => &a.output,
            cli::Command::Recommend(a) => &a.output,
            cli::Command::Explain(a) => &a.output,
            cli::Command::Proxy(a) => &a.output,
            cli::Command::Completions(_) | cli::Command::Man(_) => &NO_OUTPUT_ARGS,
        }
    }
}

/// The output flags of the subcommands that have none (`completions`, `man`).
const NO_OUTPUT_ARGS: OutputArgs = OutputArgs {
    format: FormatArg::Table,
    fail_on: FailOnArg::Warn,
    color: ColorArg::Auto,
    quiet: false,
};

/// The output settings alone: these never fail, so an error in resolving the
/// rest is still printed the way `--color` asked.
pub fn resolve_output(cli: &Cli, term: &Terminal) -> Output {
    Output::resolve(cli.command.output_args(), term)
}

/// Resolves the whole command line, reading the inputs it names (option and
/// password files, saved reports, the log to explain).
pub fn resolve(cli: &Cli, env: &Environment, term: &Terminal) -> Result<Config> {
    let mut output = resolve_output(cli, term);
    check_format_has_findings(&cli.command, output.render.format)?;
    if output.render.format == Format::Github {
        output.step_summary = env.get("GITHUB_STEP_SUMMARY").map(Into::into);
    }
    let command = match &cli.command {
        cli::Command::Inspect(args) => Command::Inspect(resolve_target(&args.connect, env, term)?),
        cli::Command::Probe(args) => {
            let probe = resolve_probe(args)?;
            let target = resolve_target(&args.connect, env, term)?;
            Command::Probe { target, probe }
        }
        cli::Command::Recommend(args) if args.list_hosting => Command::ListHosting,
        cli::Command::Recommend(args) => {
            Command::Recommend(Box::new(resolve_recommend(args, env, term)?))
        }
        cli::Command::Explain(args) => Command::Explain(resolve_explain(args, env, term)?),
        cli::Command::Proxy(args) => Command::Proxy(resolve_proxy(args)?),
        cli::Command::Completions(args) => Command::Completions(match args.shell {
            cli::ShellArg::Bash => crate::shell::Shell::Bash,
            cli::ShellArg::Zsh => crate::shell::Shell::Zsh,
            cli::ShellArg::Fish => crate::shell::Shell::Fish,
            cli::ShellArg::Powershell => crate::shell::Shell::PowerShell,
            cli::ShellArg::Elvish => crate::shell::Shell::Elvish,
        }),
        cli::Command::Man(args) => Command::Man(resolve_man(args)?),
    };
    Ok(Config { output, command })
}

/// CI formats report findings: `proxy` and `recommend --list-hosting` make none.
fn check_format_has_findings(command: &cli::Command, format: Format) -> Result<()> {
    let what = match command {
        cli::Command::Proxy(_) => "proxy",
        cli::Command::Recommend(a) if a.list_hosting => "recommend --list-hosting",
        _ => return Ok(()),
    };
    let name = match format {
        Format::Table | Format::Json => return Ok(()),
        Format::Junit => "junit",
        Format::Github => "github",
    };
    Err(hinted(
        format!("{what} makes no findings for --format {name} to report"),
        "use --format table or json here; junit and github are for inspect, probe, recommend and explain",
    ))
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
    let shown = crate::error::shown(t, 40);
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

/// Resolves where to connect. Notes (never containing secrets) are kept for stderr.
pub fn resolve_target(args: &ConnectArgs, env: &Environment, term: &Terminal) -> Result<Target> {
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
        connect_timeout: args
            .connect_timeout
            .as_deref()
            .map(|t| parse_duration(t, "--connect-timeout"))
            .transpose()?,
    };
    let defaults = if args.no_defaults {
        Defaults::None
    } else if let Some(file) = &args.defaults_file {
        Defaults::Only(file.clone())
    } else {
        Defaults::Standard {
            home: env.path("HOME"),
            extra_file: args.defaults_extra_file.clone(),
        }
    };
    let files = optfile::load(&defaults, OPTION_GROUPS).map_err(|e| {
        hinted(
            e.to_string(),
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
    Ok(Target {
        spec: resolved.spec,
        notes,
    })
}

/// Resolves `probe`'s own flags.
pub fn resolve_probe(args: &cli::ProbeArgs) -> Result<crate::probe::ProbeConfig> {
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
            keepalive: probe_keepalive(args.keepalive.as_deref())?,
            session_wait_timeout: args.session_wait_timeout,
        },
        reconnects: args.reconnects.min(1000),
        keepalive_control: !args.no_keepalive_control,
    })
}

/// `--keepalive[=DURATION]`: `None` off; bare, today's 30 s idle with the
/// OS's interval; with a duration, idle = interval = DURATION.
fn probe_keepalive(arg: Option<&str>) -> Result<Option<crate::probe::Keepalive>> {
    let Some(text) = arg else {
        return Ok(None);
    };
    if text.is_empty() {
        return Ok(Some(crate::probe::Keepalive::DEFAULT));
    }
    let every = parse_duration(text, "--keepalive")?;
    if every < Duration::from_secs(1)
        || every.subsec_nanos() != 0
        || every > Duration::from_secs(32767)
    {
        return Err(hinted(
            "--keepalive=DURATION must be whole seconds from 1s to 32767s",
            "the kernel takes keepalive times in seconds, e.g. --keepalive=15s",
        ));
    }
    Ok(Some(crate::probe::Keepalive {
        idle: every,
        interval: Some(every),
    }))
}

/// Resolves `recommend`: its flags, the saved reports it reads, `--check`, and
/// the live target when it should read one.
fn resolve_recommend(
    args: &cli::RecommendArgs,
    env: &Environment,
    term: &Terminal,
) -> Result<RecommendConfig> {
    let inputs = resolve_recommend_flags(args)?;
    let mut gathered = crate::recommend::input::Gathered::default();
    for path in &args.from {
        crate::recommend::input::read_report(path, &mut gathered)?;
    }
    let check = match &args.check {
        Some(text) => Some(crate::recommend::parse_check(text).map_err(|e| {
            crate::recommend::bad_check(
                inputs.framework,
                crate::recommend::CheckProblem::Syntax,
                &e,
            )
        })?),
        None => None,
    };
    let live = if recommend_wants_live(args, env) {
        Some(resolve_target(&args.connect, env, term)?)
    } else {
        None
    };
    Ok(RecommendConfig {
        inputs,
        gathered,
        live,
        check,
    })
}

/// `recommend`'s own flags (facts are gathered separately).
pub fn resolve_recommend_flags(args: &cli::RecommendArgs) -> Result<crate::recommend::Inputs> {
    use crate::recommend::{Topology, hosting};
    let hosting = match &args.hosting {
        Some(name) => Some(hosting::find(name).ok_or_else(|| {
            hinted(
                format!("unknown --hosting '{}'", crate::error::shown(name, 40)),
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
        let Some(v) = v else { continue };
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
                    crate::error::shown(t, 40)
                ),
                "use bytes or a unit: 8M, 64MiB, 1G",
            )
        })?),
        None => None,
    };
    let request = parse_duration(&args.request_timeout, "--request-timeout")?;
    let framework_version = match &args.framework_version {
        Some(text) => Some(crate::recommend::Version::parse(text).ok_or_else(|| {
            hinted(
                format!(
                    "invalid --framework-version '{}'",
                    crate::error::shown(text, 40)
                ),
                format!(
                    "give the {} release as MAJOR[.MINOR[.PATCH]], e.g. 2.7.9",
                    args.framework.spec().release
                ),
            )
        })?),
        None => None,
    };
    Ok(crate::recommend::Inputs {
        framework: args.framework,
        framework_version,
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
pub fn recommend_wants_live(args: &cli::RecommendArgs, env: &Environment) -> bool {
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

/// Resolves `explain`: reads the text (arguments, `--file`, or stdin, through
/// the bounded reader: at most 256 MiB, a longer log is cut with a note) and
/// the optional `--target`.
fn resolve_explain(
    args: &cli::ExplainArgs,
    env: &Environment,
    term: &Terminal,
) -> Result<ExplainConfig> {
    use crate::input::{self, InputError, Kind};
    let input = match &args.file {
        Some(p) if p.as_os_str() == "-" => ExplainInput::Stdin,
        Some(p) => ExplainInput::File(input::open(p, Kind::Log).map_err(InputError::into_anyhow)?),
        None if !args.text.is_empty() => ExplainInput::Text(args.text.join("\n")),
        None if term.stdin_tty => {
            return Err(hinted(
                "nothing to explain",
                "give the error text as an argument, --file app.log, or pipe a log in",
            ));
        }
        None => ExplainInput::Stdin,
    };
    let target = match &args.target {
        Some(url) => {
            let connect = ConnectArgs {
                target: Some(url.clone()),
                connect_timeout: args.connect_timeout.clone(),
                ..ConnectArgs::default()
            };
            Some(resolve_target(&connect, env, term)?)
        }
        None => None,
    };
    Ok(ExplainConfig { input, target })
}

/// `man [COMMAND]`: the subcommand must be one that has a page.
fn resolve_man(args: &cli::ManArgs) -> Result<Option<String>> {
    match &args.command {
        None => Ok(None),
        Some(name) if crate::shell::man_page_names().contains(name) => Ok(Some(name.clone())),
        Some(name) => Err(hinted(
            format!("no manual page for '{}'", crate::db::sanitize(name)),
            format!(
                "give one of: {} (or nothing, for poolcheck(1))",
                crate::shell::man_page_names().join(", ")
            ),
        )),
    }
}

/// Resolves and validates `proxy`'s flags.
fn resolve_proxy(args: &cli::ProxyArgs) -> Result<ProxyConfig> {
    let listen: std::net::SocketAddr = args.listen.parse().map_err(|_| {
        hinted(
            format!(
                "--listen '{}' is not an IP:PORT address",
                crate::db::sanitize(&args.listen)
            ),
            "e.g. --listen 127.0.0.1:3307 (port 0 picks a free port)",
        )
    })?;
    if !args.upstream.contains(':') {
        return Err(hinted(
            "--upstream needs a port",
            "write it as HOST:PORT, e.g. --upstream 127.0.0.1:3306",
        ));
    }
    if args.max_flows == 0 {
        return Err(hinted(
            "--max-flows must be at least 1",
            "e.g. --max-flows 1000",
        ));
    }
    Ok(ProxyConfig {
        proxy: crate::proxy::ProxyConfig {
            listen,
            upstream: args.upstream.clone(),
            idle_cutoff: parse_duration(&args.idle_cutoff, "--idle-cutoff")?,
            on_idle: match args.on_idle {
                cli::OnIdleArg::Fin => crate::proxy::OnIdle::Fin,
                cli::OnIdleArg::Rst => crate::proxy::OnIdle::Rst,
                cli::OnIdleArg::Blackhole => crate::proxy::OnIdle::Blackhole,
                cli::OnIdleArg::Nat => crate::proxy::OnIdle::Nat,
            },
            layer: match args.layer {
                cli::LayerArg::L4 => crate::proxy::Layer::L4,
                cli::LayerArg::L7 => crate::proxy::Layer::L7,
            },
            inject_error: args.inject_error,
            max_flows: args.max_flows,
            connect_timeout: parse_duration(&args.connect_timeout, "--connect-timeout")?,
        },
        max_flows_asked: args.max_flows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_decision() {
        assert!(use_color(ColorArg::Auto, false, true));
        assert!(!use_color(ColorArg::Auto, true, true));
        assert!(!use_color(ColorArg::Auto, false, false));
        assert!(use_color(ColorArg::Always, true, false));
        assert!(!use_color(ColorArg::Never, false, true));
    }

    #[test]
    fn width_decision() {
        let detected = || Some(132);
        assert_eq!(output_width(true, None, detected), Some(132));
        assert_eq!(output_width(true, Some("90"), detected), Some(90));
        assert_eq!(output_width(true, Some("wide"), detected), Some(132));
        assert_eq!(output_width(true, Some("3"), detected), Some(132));
        assert_eq!(output_width(true, None, || None), None);
        assert_eq!(output_width(false, Some("90"), detected), None);
    }

    /// Colour and width are separate decisions: `--color never` on a
    /// terminal still lays tables out at its width.
    #[test]
    fn color_never_keeps_the_terminal_width() {
        let tty = Terminal {
            stdout_tty: true,
            stderr_tty: true,
            stdin_tty: true,
            is_ci: false,
            no_color: true,
            stdout_columns: Some(100),
        };
        let out = output_for(&["inspect", "--color", "never"], tty);
        assert_eq!((out.render.color, out.render.width), (false, Some(100)));
    }

    #[test]
    fn progress_decision() {
        assert!(show_progress(true, false, false));
        assert!(!show_progress(false, false, false));
        assert!(!show_progress(true, true, false));
        assert!(!show_progress(true, false, true));
    }

    fn output_for(args: &[&str], term: Terminal) -> Output {
        use clap::Parser;
        let cli =
            Cli::try_parse_from(std::iter::once("poolcheck").chain(args.iter().copied())).unwrap();
        resolve_output(&cli, &term)
    }

    /// The error line's color follows `--color` like everything else: the
    /// decision is made from the subcommand's flags before anything can fail.
    #[test]
    fn stderr_color_follows_the_color_flag() {
        let tty = Terminal {
            stdout_tty: true,
            stderr_tty: true,
            stdin_tty: true,
            is_ci: false,
            no_color: false,
            stdout_columns: Some(100),
        };
        let pipe = Terminal {
            stdout_tty: false,
            stderr_tty: false,
            stdin_tty: false,
            is_ci: false,
            no_color: true,
            stdout_columns: None,
        };
        for sub in ["inspect", "explain", "recommend"] {
            assert!(!output_for(&[sub, "--color", "never"], tty).stderr_color);
            assert!(output_for(&[sub, "--color", "always"], pipe).stderr_color);
            assert!(output_for(&[sub], tty).stderr_color);
            assert!(!output_for(&[sub], pipe).stderr_color);
        }
        let probe = ["probe", "--idle", "1s", "--color", "always"];
        assert!(output_for(&probe, pipe).stderr_color);
        let proxy = ["proxy", "--upstream", "h:1", "--color", "never"];
        assert!(!output_for(&proxy, tty).stderr_color);
    }

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
