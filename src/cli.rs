//! Command-line types (clap derive). Nothing here is used past `config.rs`.

use crate::exit::EXIT_CODES_HELP;
use crate::recommend::Framework;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Diagnose and tune pooled MySQL/MariaDB connections: find out which idle
/// limit kills your pool's connections, and which settings survive it.
#[derive(Debug, Parser)]
#[command(name = "poolcheck", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the server variables and counters that decide whether pooled
    /// connections survive, and turn them into findings.
    #[command(after_help = INSPECT_AFTER_HELP)]
    Inspect(InspectArgs),

    /// Hold real connections idle, then test whether they survived and how they
    /// died; find the effective idle cutoff of the whole path and who cut it.
    #[command(after_help = PROBE_AFTER_HELP)]
    Probe(ProbeArgs),

    /// Emit pool settings (recycle, pre-ping, timeouts, pool size) for your
    /// framework and hosting, and fail CI when the app's settings are unsafe.
    #[command(after_help = RECOMMEND_AFTER_HELP)]
    Recommend(RecommendArgs),

    /// Explain connection-pool errors: from an error message or a whole log to
    /// the likely cause, what to check, and the fix for your framework.
    #[command(after_help = EXPLAIN_AFTER_HELP)]
    Explain(ExplainArgs),

    /// Forward TCP to a server and end flows that stay idle past a cutoff, the
    /// way a load balancer, NAT gateway or firewall does: put it between your
    /// app and a local database to see whether your pool survives.
    #[command(after_help = PROXY_AFTER_HELP)]
    Proxy(ProxyArgs),

    /// Print a shell completion script on stdout.
    #[command(after_help = COMPLETIONS_AFTER_HELP)]
    Completions(CompletionsArgs),

    /// Print the manual page (roff) on stdout.
    #[command(after_help = MAN_AFTER_HELP)]
    Man(ManArgs),
}

const COMPLETIONS_AFTER_HELP: &str = "\
Install:
  bash: poolcheck completions bash > ~/.local/share/bash-completion/completions/poolcheck
  zsh:  poolcheck completions zsh > ~/.zfunc/_poolcheck   # with fpath+=(~/.zfunc) before compinit
  fish: poolcheck completions fish > ~/.config/fish/completions/poolcheck.fish
  PowerShell: poolcheck completions powershell | Out-String | Invoke-Expression   # in $PROFILE
  elvish: poolcheck completions elvish >> ~/.config/elvish/rc.elv";

const MAN_AFTER_HELP: &str = "\
Examples:
  poolcheck man | man -l -                      # read it now
  poolcheck man > ~/.local/share/man/man1/poolcheck.1
  poolcheck man inspect > ~/.local/share/man/man1/poolcheck-inspect.1";

/// `poolcheck completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: ShellArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

/// `poolcheck man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand whose own page to print (poolcheck-COMMAND(1)) instead of poolcheck(1).
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

const PROBE_AFTER_HELP: &str = concat!(
    "Examples:
  poolcheck probe --idle 300s mysql://app@db:3306/
  poolcheck probe --idle 60s,120s,300s --connections 2
  poolcheck probe --idle 400s --session-wait-timeout 3600   # look past a short server limit
  poolcheck probe --find --max 1h                           # search for the cutoff

Outcomes: alive, server-error CODE (e.g. 4031), closed (FIN), reset (RST),
blackholed (no answer within --io-timeout), error. Verdict: server, middlebox or none.
Ctrl-C or SIGTERM closes every probe connection and prints a partial report (exit 130).\n\n",
    crate::exit_codes_help!()
);

/// `poolcheck probe`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["idle", "find"])))]
pub struct ProbeArgs {
    /// How long to hold connections idle before testing them; several rungs
    /// (e.g. 60s,120s,300s) run at the same time.
    #[arg(long, value_name = "DURATIONS", value_delimiter = ',')]
    pub idle: Vec<String>,

    /// Search for the effective idle cutoff instead of testing fixed durations.
    #[arg(long)]
    pub find: bool,

    /// With --find: the longest idle time to search up to.
    #[arg(long, value_name = "DURATION", default_value = "8h", requires = "find")]
    pub max: String,

    /// With --find: the cutoff is pinned to an interval no wider than this, or 2% of the cutoff if larger.
    #[arg(long, value_name = "DURATION", default_value = "1s", requires = "find")]
    pub resolution: String,

    /// With --find: most probe connections open at once.
    #[arg(long, value_name = "N", default_value_t = 16, requires = "find")]
    pub max_connections: usize,

    /// Probe connections per rung.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub connections: usize,

    /// A test with no answer within this long counts as blackholed.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub io_timeout: String,

    /// Turn TCP keepalive on for probe connections (off by default: it would
    /// hide idle drops). Bare: first probe after 30 s idle, then the OS's
    /// interval. `--keepalive=DURATION` (whole seconds, e.g. --keepalive=15s):
    /// first probe after DURATION idle and then every DURATION, as an app's
    /// driver would send them.
    #[arg(long, value_name = "DURATION", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub keepalive: Option<String>,

    /// Set the probe connections' session wait_timeout (seconds), as frameworks
    /// such as Rails do; lets a middlebox behind a shorter server limit show.
    #[arg(long, value_name = "SECONDS")]
    pub session_wait_timeout: Option<u64>,

    /// Fresh connections to time after the idle phase (0: skip).
    #[arg(long, value_name = "K", default_value_t = 10)]
    pub reconnects: usize,

    /// Do not hold the keepalive control group. By default the probe also
    /// holds two connections with TCP keepalive every second (when they fit
    /// its share of the server) and tests them after a death: the report's
    /// keepalive_rescues says whether keepalive saves connections on this path
    /// (flow-level limit) or not (the server's wait_timeout, a protocol-level
    /// proxy).
    #[arg(long)]
    pub no_keepalive_control: bool,

    #[command(flatten)]
    pub connect: ConnectArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

const RECOMMEND_AFTER_HELP: &str = "\
Examples:
  poolcheck recommend --hosting pythonanywhere --framework flask-sqlalchemy
  poolcheck recommend mysql://app@db/shop --processes 4 --threads 8 --framework django
  poolcheck probe --idle 60s,300s --format json | poolcheck recommend --from - --framework go
  poolcheck recommend --from inspect.json --hosting aws-nlb --check pool_recycle=3600,pool_pre_ping=false

Facts come from a live server when a target is given (TARGET, --host, --socket, or
$POOLCHECK_URL / $DATABASE_URL without --from), from saved reports (--from), and from
--idle-limit / --hosting. The effective idle limit is the smallest of them.

Exit codes:
  0    ran; no finding at or above --fail-on
  1    ran; at least one finding at or above --fail-on (with --check: an unsafe setting)
  2    could not run (usage, connect, authentication, privilege, timeout)
  130  interrupted (Ctrl-C / SIGTERM)";

/// `poolcheck recommend`.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// Framework whose configuration to print.
    #[arg(long, value_parser = framework_parser(), default_value = "sqlalchemy")]
    pub framework: Framework,

    /// The framework release the app runs (e.g. 2.7.9 for HikariCP, 1.21 for
    /// Go): settings that release lacks are left out, and the snippet says
    /// so. Without it, such settings name the release they need.
    #[arg(long, value_name = "VERSION")]
    pub framework_version: Option<String>,

    /// A saved `inspect` or `probe` JSON report (`-` for stdin); repeatable.
    #[arg(long, value_name = "FILE")]
    pub from: Vec<std::path::PathBuf>,

    /// An idle limit you know of on the path (e.g. 350s).
    #[arg(long, value_name = "DURATION")]
    pub idle_limit: Option<String>,

    /// A hosting preset: its documented idle limit and kind of limit, which
    /// decides the TCP keepalive advice (see --list-hosting).
    #[arg(long, value_name = "NAME")]
    pub hosting: Option<String>,

    /// Print the hosting presets and exit.
    #[arg(long)]
    pub list_hosting: bool,

    /// Hosts or replicas running the app. One when not given.
    #[arg(long, value_name = "R")]
    pub instances: Option<u64>,

    /// Worker processes per instance (each has its own pool). One when not given.
    #[arg(long, value_name = "P")]
    pub processes: Option<u64>,

    /// Concurrent requests per process (threads, greenlets, async tasks). Without it, pool sizes stay at the framework's default and the
    /// snippet says how to size them; with it, they are sized from the
    /// connection budget.
    #[arg(long, value_name = "T")]
    pub threads: Option<u64>,

    /// Connections to keep free for admins, cron jobs and other apps.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub reserve: u64,

    /// The largest value the app writes (e.g. 8M), to check max_allowed_packet.
    #[arg(long, value_name = "SIZE")]
    pub max_blob: Option<String>,

    /// How long a request may run; read timeouts and the pool checkout wait follow it.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub request_timeout: String,

    /// The app's current settings, in the framework's own key names
    /// (e.g. pool_recycle=3600,pool_pre_ping=false): exit 1 when one is unsafe.
    #[arg(long, value_name = "KEY=VALUE,...")]
    pub check: Option<String>,

    #[command(flatten)]
    pub connect: ConnectArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `--framework` values: every framework's name and aliases, from the registry.
fn framework_parser() -> impl clap::builder::TypedValueParser<Value = Framework> {
    let values = Framework::ALL.map(|f| {
        clap::builder::PossibleValue::new(f.name()).aliases(f.spec().aliases.iter().copied())
    });
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(values)
        .map(|name| Framework::from_name(&name).expect("a registered framework name"))
}

const EXPLAIN_AFTER_HELP: &str = concat!(
    "Examples:
  poolcheck explain \"(2006, 'MySQL server has gone away')\"
  poolcheck explain --file app.log
  kubectl logs deploy/web | poolcheck explain --format json
  poolcheck explain --target mysql://app@db/shop --file app.log   # confirm causes on the server

Unrecognised text is said to be unrecognised; nothing is invented (exit 0).\n\n",
    crate::exit_codes_help!()
);

/// `poolcheck explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Error text to explain (several arguments are read as separate lines).
    #[arg(value_name = "TEXT")]
    pub text: Vec<String>,

    /// Read a log file (`-` for stdin). Without TEXT or --file, stdin is read when it is not a terminal.
    #[arg(long, value_name = "PATH", conflicts_with = "text")]
    pub file: Option<std::path::PathBuf>,

    /// Also read this server's values to confirm or rule out each cause.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,

    /// Connection limit for --target (e.g. 10s) [default: 10s, or connect_timeout
    /// from an option file].
    #[arg(long, value_name = "DURATION")]
    pub connect_timeout: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

const PROXY_AFTER_HELP: &str = "\
Examples:
  # an AWS NLB / NAT gateway: resets flows idle for 350 s
  poolcheck proxy --upstream 127.0.0.1:3306 --idle-cutoff 350s --on-idle rst
  # an Azure load balancer without TCP reset: silently drops after 4 min
  poolcheck proxy --upstream db:3306 --listen 127.0.0.1:3307 --idle-cutoff 4m --on-idle blackhole
  # MySQL 8.0.24+ closing an idle connection with error 4031
  poolcheck proxy --upstream 127.0.0.1:3306 --idle-cutoff 30s --inject-error 4031

Each killed flow is logged on stderr. Ctrl-C or SIGTERM stops the proxy, closes every
flow, and prints a summary on stdout (exit code 130).";

/// `poolcheck proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Address to accept clients on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3307")]
    pub listen: String,

    /// The real server, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    pub upstream: String,

    /// End a flow after this long with nothing in either direction (see --layer; e.g. 350s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "350s")]
    pub idle_cutoff: String,

    /// How to end an idle flow: fin (close both sides), rst (reset both sides),
    /// blackhole (silently stop forwarding; the client's reads hang), nat
    /// (forget the flow: the client's next packet gets RST, the server is
    /// told nothing and keeps its connection until its own wait_timeout).
    #[arg(long, value_enum, default_value_t = OnIdleArg::Fin, value_name = "HOW")]
    pub on_idle: OnIdleArg,

    /// What resets a flow's idle clock. 4: any TCP segment either way, payload
    /// or not, so TCP keepalive probes keep a flow alive (NAT gateways,
    /// conntrack firewalls, network load balancers; Linux only). 7: payload
    /// bytes only, keepalive never helps (ProxySQL, HAProxy, MaxScale, cloud
    /// SQL proxies).
    #[arg(long, value_enum, default_value_t = LayerArg::L4, value_name = "4|7")]
    pub layer: LayerArg,

    /// First send the client this MySQL error, with sequence id 0 as MySQL 8.0.24+
    /// does for idle connections (4031), then close. Overrides --on-idle.
    #[arg(long, value_name = "CODE")]
    pub inject_error: Option<u16>,

    /// Most flows at once; further clients are accepted and closed at once. Each
    /// flow holds two sockets: the proxy raises its open-files limit to fit them.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_flows: usize,

    /// Limit for connecting to the upstream.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub connect_timeout: String,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayerArg {
    #[value(name = "4")]
    L4,
    #[value(name = "7")]
    L7,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnIdleArg {
    Fin,
    Rst,
    Blackhole,
    Nat,
}

const INSPECT_AFTER_HELP: &str = concat!(
    "Examples:
  poolcheck inspect mysql://app@db.internal:3306/shop
  DATABASE_URL=mysql+pymysql://app:pw@db/shop poolcheck inspect --format json
  poolcheck inspect --host 127.0.0.1 --user app --password-env DB_PASSWORD --fail-on crit\n\n",
    crate::exit_codes_help!()
);

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Where the server is and how to log in. Shared by every subcommand that connects.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Connection")]
pub struct ConnectArgs {
    /// Server URL as your app has it: mysql://, mariadb://, mysql2://, or
    /// SQLAlchemy's mysql+pymysql:// and friends. Default: $POOLCHECK_URL, then
    /// $DATABASE_URL, then MySQL client settings (flags, option files, MYSQL_HOST...).
    #[arg(value_name = "TARGET")]
    pub target: Option<String>,

    /// Server host name or IP (`localhost` uses the socket if one is configured).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,

    /// TCP port [default: 3306].
    #[arg(short = 'P', long, value_name = "PORT")]
    pub port: Option<String>,

    /// User to log in as [default: your OS user name].
    #[arg(short = 'u', long, value_name = "USER")]
    pub user: Option<String>,

    /// Unix socket file to connect through instead of TCP.
    #[arg(short = 'S', long, value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// Default database (schema) to select.
    #[arg(short = 'D', long, value_name = "NAME")]
    pub database: Option<String>,

    /// Password. Without a value, prompt for it (only on a terminal). A value
    /// given here is visible to other local users: prefer --password-env.
    #[arg(
        long,
        value_name = "PASSWORD",
        num_args = 0..=1,
        require_equals = true,
        conflicts_with_all = ["password_env", "password_file"]
    )]
    pub password: Option<Option<String>>,

    /// Read the password from this environment variable.
    #[arg(long, value_name = "NAME", conflicts_with = "password_file")]
    pub password_env: Option<String>,

    /// Read the password from the first line of this file.
    #[arg(long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,

    /// TLS policy [default: PREFERRED, which falls back to plain text when the
    /// server has no TLS]. REQUIRED encrypts without checking the certificate.
    #[arg(long, value_name = "MODE", ignore_case = true)]
    pub ssl_mode: Option<SslModeArg>,

    /// CA certificate (PEM) for VERIFY_CA / VERIFY_IDENTITY. Implies VERIFY_CA
    /// when --ssl-mode is not given.
    #[arg(long, value_name = "PATH")]
    pub ssl_ca: Option<PathBuf>,

    /// Limit for TCP connect plus the MySQL handshake and login (e.g. 10s, 2s,
    /// 500ms, or bare seconds) [default: 10s, or connect_timeout from an option file].
    #[arg(long, value_name = "DURATION")]
    pub connect_timeout: Option<String>,

    /// Read only this option file (instead of /etc/my.cnf, /etc/mysql/my.cnf, ~/.my.cnf).
    #[arg(long, value_name = "PATH", conflicts_with = "no_defaults")]
    pub defaults_file: Option<PathBuf>,

    /// Also read this option file, after the global ones and before ~/.my.cnf.
    #[arg(long, value_name = "PATH", conflicts_with = "no_defaults")]
    pub defaults_extra_file: Option<PathBuf>,

    /// Read no option files.
    #[arg(long)]
    pub no_defaults: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SslModeArg {
    Disabled,
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

/// How results are written. Shared by every subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Result format on stdout: tables, one JSON document, a JUnit XML report
    /// for CI (one testcase per check, a failure per finding at or above
    /// --fail-on), or GitHub Actions annotations (one per finding; a job
    /// summary is appended to $GITHUB_STEP_SUMMARY when it is set).
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// Exit with 1 when a finding reaches this severity (`never`: always 0 when the run worked).
    #[arg(long, value_enum, default_value_t = FailOnArg::Warn, value_name = "SEVERITY")]
    pub fail_on: FailOnArg,

    /// When to use colors (NO_COLOR in the environment means never).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub color: ColorArg,

    /// Print no notes or progress on stderr (errors still go there).
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Junit,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Info,
    Warn,
    Crit,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("poolcheck").chain(args.iter().copied()))
    }

    #[test]
    fn password_without_value_means_prompt() {
        let cli = parse(&["inspect", "--password"]).unwrap();
        let Command::Inspect(a) = cli.command else {
            panic!("not inspect")
        };
        assert_eq!(a.connect.password, Some(None));
    }

    #[test]
    fn password_needs_equals_so_it_never_eats_the_target() {
        let cli = parse(&["inspect", "--password", "mysql://h/db"]).unwrap();
        let Command::Inspect(a) = cli.command else {
            panic!("not inspect")
        };
        assert_eq!(a.connect.password, Some(None));
        assert_eq!(a.connect.target.as_deref(), Some("mysql://h/db"));
    }

    #[test]
    fn short_h_stays_help() {
        let err = parse(&["inspect", "-h"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
    }

    #[test]
    fn password_sources_conflict() {
        let err = parse(&["inspect", "--password-env", "A", "--password-file", "f"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn ssl_mode_is_case_insensitive() {
        let cli = parse(&["inspect", "--ssl-mode", "verify_ca"]).unwrap();
        let Command::Inspect(a) = cli.command else {
            panic!("not inspect")
        };
        assert_eq!(a.connect.ssl_mode, Some(SslModeArg::VerifyCa));
    }
}
