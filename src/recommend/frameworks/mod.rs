//! The framework registry. Each framework is one module here that declares a
//! [`Spec`]: its names, its snippet (the renderer), its `--check` keys and
//! their reader, what the rules and `poolcheck explain` need to know about it.
//! The CLI's `--framework` values, the rules, explain's advice and the tests
//! all read the spec, so a new framework is one new module plus one line in
//! the `registry!` list below.

mod common;
mod parse;

#[cfg(test)]
mod tests;

use crate::drivers::Driver;
use crate::recommend::model::{Current, Recommendation, Topology};
use serde::{Deserialize, Serialize};

/// Declares the framework modules, the [`Framework`] enum (one variant per
/// line, in the order help, docs and tests list them) and the dispatch from a
/// variant to its module's `SPEC`.
macro_rules! registry {
    ($($variant:ident => $module:ident,)+) => {
        $(mod $module;)+

        /// Which framework's configuration to emit.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Framework {
            $($variant,)+
        }

        impl Framework {
            /// Every framework, in registry order.
            pub const ALL: [Framework; [$(stringify!($variant)),+].len()] =
                [$(Framework::$variant),+];

            /// Everything poolcheck knows about this framework.
            pub fn spec(self) -> &'static Spec {
                match self {
                    $(Framework::$variant => &$module::SPEC,)+
                }
            }
        }
    };
}

registry! {
    Sqlalchemy => sqlalchemy,
    FlaskSqlalchemy => flask,
    Django => django,
    Go => go,
    Hikaricp => hikaricp,
    Rails => rails,
    NodeMysql2 => node,
    Sqlx => sqlx,
    SqlalchemyAsyncio => sqlalchemy_asyncio,
    Dotnet => dotnet,
    Knex => knex,
    Laravel => laravel,
    PhpPdo => php_pdo,
    Sequelize => sequelize,
    Typeorm => typeorm,
    Generic => generic,
}

/// Reads `--check` pairs in the framework's own names.
pub type CheckReader = fn(&[(String, String)]) -> Result<Current, String>;

/// One framework, declared once.
pub struct Spec {
    /// The `--framework` value, the JSON value and the name in messages.
    pub name: &'static str,
    /// Other spellings `--framework` accepts.
    pub aliases: &'static [&'static str],
    /// Code-fence language of the snippet, and its line-comment marker (only
    /// line comments are used: a newline is the one thing that ends them).
    pub language: &'static str,
    pub comment: &'static str,
    /// Accepted `--check` keys, canonical spelling (matching ignores case,
    /// `_`, `-` and the framework's usual prefixes).
    pub check_keys: &'static [&'static str],
    /// One line on the units `--check` values take, for docs and hints.
    pub check_units: &'static str,
    /// The framework's names for the settings `--check` findings talk about.
    pub check_names: CheckKeys,
    /// Rationale lines the rules add to every recommendation for it (fork
    /// safety, session scope...).
    pub notes: &'static [&'static str],
    /// The framework's usual driver, when its client-side max_allowed_packet
    /// is documented (the rules compare the server's with it).
    pub driver: Option<&'static Driver>,
    /// For a framework that sets its own session wait_timeout on every
    /// connection: that value, and the note saying the server's does not
    /// bind, which then is no idle-limit candidate.
    pub own_wait_timeout: Option<OwnWaitTimeout>,
    /// The framework's own pool size, which stays when no `--threads` is
    /// given.
    pub default_pool: DefaultPool,
    /// What `--framework-version` numbers (e.g. "HikariCP", "Go"), and the
    /// releases the snippet is written for (docs/recommend.md's table).
    pub release: &'static str,
    pub claims: &'static str,
    /// Keys the snippet sets that older releases lack, with the first release
    /// that has each: the snippet names it, and leaves the key out (saying
    /// so) when `--framework-version` is older.
    pub since: &'static [(&'static str, Version)],
    /// Why no test in this project runs the settings on a real app (no
    /// runtime installable here), for a framework whose snippet is unproven;
    /// None when a proof test covers it or can. Shown in the snippet and as
    /// `unproven` in JSON.
    pub unproven: Option<&'static str>,
    /// The framework's configuration for a recommendation (see [`render`]).
    pub render: fn(&Recommendation, &Deployment) -> FrameworkConfig,
    /// `--check` pairs -> [`Current`] (see [`current_from_check`]).
    pub read_check: CheckReader,
    /// What `poolcheck explain` tells this framework's users.
    pub advice: Advice,
    /// What the cross-framework tests expect of the snippet.
    #[cfg(test)]
    pub samples: tests::Samples,
}

/// The framework's own names for recycle, pre-ping and read timeout, for
/// messages.
#[derive(Debug, Clone)]
pub struct CheckKeys {
    pub recycle: &'static str,
    pub pre_ping: &'static str,
    pub read_timeout: &'static str,
}

/// `poolcheck explain`'s advice for one framework. The lines are explain's
/// templates (`${key}`, `${key|fallback}`, optional `$[ ... ]$`; the keys are
/// listed in src/explain/frameworks.rs). A topic without lines of its own
/// gets explain's framework-neutral advice.
#[derive(Debug, Clone, Copy)]
pub struct Advice {
    /// explain's layer names (the outermost driver or framework a log shows)
    /// whose errors this advice answers.
    pub layers: &'static [&'static str],
    /// The setting that bounds how long a pooled connection lives.
    pub lifetime: &'static str,
    /// `--check` arguments for the idle limit and for pool sizing.
    pub idle_check: &'static str,
    pub pool_check: &'static str,
    /// Fixes for connections an idle limit closed, a pool with no free
    /// connection, a server refusing connections, a packet too large.
    pub idle_fix: &'static [&'static str],
    pub pool_fix: &'static [&'static str],
    pub capacity_fix: &'static [&'static str],
    pub packet_fix: &'static [&'static str],
    /// Checks for a pool with no free connection, on top of the topic's own.
    pub pool_checks: &'static [&'static str],
}

impl Framework {
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The framework a `--framework` value (name or alias) means.
    pub fn from_name(text: &str) -> Option<Framework> {
        Framework::ALL
            .into_iter()
            .find(|f| f.name() == text || f.spec().aliases.contains(&text))
    }
}

impl Serialize for Framework {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Framework {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Framework::from_name(&text).ok_or_else(|| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(&text),
                &"a poolcheck recommend --framework name",
            )
        })
    }
}

/// A framework's configuration, ready to paste, and the same as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameworkConfig {
    pub framework: Framework,
    /// Code-fence language of the snippet ("python", "go", "yaml", ...).
    pub language: String,
    pub snippet: String,
    pub settings: Vec<Setting>,
    /// Set when no test runs these settings on a real app (see
    /// [`Spec::unproven`]): why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unproven: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    /// The framework's own name for it (e.g. "pool_recycle", "maxLifetime").
    pub key: String,
    pub value: serde_json::Value,
    pub reason: String,
}

/// A session wait_timeout the framework sets on every connection.
#[derive(Debug, Clone, Copy)]
pub struct OwnWaitTimeout {
    pub session_s: u64,
    /// The note for the server's wait_timeout (given, in seconds).
    pub note: fn(u64) -> String,
}

/// A framework's own pool size when the app sets none.
#[derive(Debug, Clone, Copy)]
pub struct DefaultPool {
    /// Connections per process at most; None: unbounded, or no pool.
    pub connections: Option<u64>,
    /// The default in the framework's own words ("pool_size=5 +
    /// max_overflow=10"), and how to size it to the app ("pool_size +
    /// max_overflow at least the threads per process").
    pub text: &'static str,
    pub sizing: &'static str,
}

/// A framework release, `MAJOR[.MINOR[.PATCH]]` (`--framework-version`);
/// parts not written are 0 (`4` is `4.0.0`).
#[derive(Debug, Clone, Copy)]
pub struct Version {
    parts: [u32; 3],
    /// How many parts were written (for display).
    len: u8,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            parts: [major, minor, patch],
            len: 3,
        }
    }

    /// A release named by major and minor only (shown as `4.1`).
    pub const fn minor(major: u32, minor: u32) -> Version {
        Version {
            parts: [major, minor, 0],
            len: 2,
        }
    }

    /// `2.7`, `2.7.9`, `v4.0.1`; None for anything else.
    pub fn parse(text: &str) -> Option<Version> {
        let t = text.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let mut parts = [0u32; 3];
        let mut len = 0u8;
        for piece in t.split('.') {
            if usize::from(len) == parts.len()
                || piece.is_empty()
                || !piece.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            parts[usize::from(len)] = piece.parse().ok()?;
            len += 1;
        }
        Some(Version { parts, len })
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.parts == other.parts
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> std::cmp::Ordering {
        self.parts.cmp(&other.parts)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<String> = self.parts[..usize::from(self.len.max(1))]
            .iter()
            .map(u32::to_string)
            .collect();
        f.write_str(&shown.join("."))
    }
}

/// What a snippet is for besides the recommendation: the app's shape, and
/// the framework release it runs when `--framework-version` names it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deployment {
    pub topology: Topology,
    pub version: Option<Version>,
}

/// The framework's own configuration for `rec`, ready to paste, each number
/// with a one-line reason (as a comment in the snippet and in
/// `settings[].reason`). Pool sizes are left out when the connection budget
/// cannot hold the topology; the snippet then lists the options instead.
pub fn render(framework: Framework, rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    (framework.spec().render)(rec, app)
}

/// An idle limit below which a framework's settings cannot keep pooled
/// connections inside it (HikariCP: maxLifetime's 30 s minimum). The rules
/// raise `idle-limit-too-short-for-framework` for it.
#[derive(Debug, Clone, Copy)]
pub struct ShortestLimit {
    /// Whether the framework's settings hold this idle limit (seconds).
    pub holds: fn(f64) -> bool,
    /// The limit the framework needs to be above, for the finding's evidence.
    pub shortest_s: f64,
    /// Why the framework cannot go lower.
    pub why: &'static str,
    /// What happens to requests on a path that drops silently, and on one
    /// that closes or resets flows.
    pub silent: &'static str,
    pub visible: &'static str,
}

/// The framework's [`ShortestLimit`], for those that have one. A function
/// rather than a [`Spec`] field: only HikariCP has one, and it lives in its
/// module like the rest of its knowledge.
pub fn shortest_limit(framework: Framework) -> Option<&'static ShortestLimit> {
    match framework {
        Framework::Hikaricp => Some(&hikaricp::SHORTEST_LIMIT),
        _ => None,
    }
}

/// sqlx's idle_timeout for a recycle time (see the sqlx module): explain's
/// advice uses the same rule as the snippet.
pub fn sqlx_idle_timeout_for(recycle_s: u64) -> u64 {
    sqlx::idle_timeout_for(recycle_s)
}

/// `--check` pairs in the framework's own key names -> framework-neutral
/// [`Current`]. Keys not given take the framework's default (e.g.
/// SQLAlchemy: pool_recycle=-1 i.e. never, pool_pre_ping=False, pool_size=5,
/// max_overflow=10). Keys match ignoring case, `_` and `-`. Each module's
/// `check_units` says which units and "never" spellings it reads.
///
/// Err(message) on an unknown key (the message lists the accepted keys), a
/// key given twice, or a bad value (the message names the key and echoes at
/// most 40 characters of the value).
pub fn current_from_check(
    framework: Framework,
    pairs: &[(String, String)],
) -> Result<Current, String> {
    (framework.spec().read_check)(pairs)
}
