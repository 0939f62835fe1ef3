//! Plain PHP PDO with pdo_mysql (mysqlnd): the PDO attributes, mysqlnd's read
//! timeout, and a long-running process's idle check; `--check` in the same
//! names. The pieces Laravel shares (it is PDO underneath) live here too.
//!
//! Facts from php-src (`ext/pdo_mysql/mysql_driver.c`) and measured with
//! PHP 8.2.36 (docs/recommend.md, sources):
//! PHP has no pool; a PDO object is one connection, opened in the
//! constructor and closed when the object goes away (for PHP-FPM, at the end
//! of the request). `PDO::ATTR_TIMEOUT` is pdo_mysql's connect timeout
//! (default 30 s), not a read timeout; reads are bounded by the ini setting
//! `mysqlnd.net_read_timeout` (PHP_INI_ALL, default 86400 s), and a read past
//! it fails with 2006 "MySQL server has gone away". mysqlnd has no write
//! timeout setting; it turns SO_KEEPALIVE on (measured: the
//! host's 7200 s timer) with no option for its timing. A persistent connection
//! (`PDO::ATTR_PERSISTENT`) outlives the request in its FPM child and is
//! checked by a ping (pdo_mysql's check_liveness) when a later `new PDO`
//! reuses it, a ping bounded only by the read timeout.

use super::common::{Hang, Note, Out, and, does_not_fit_lines, footer, header, timeout_reason};
use super::sqlalchemy::keepalive_note;
use super::parse::{self, Bare};
#[cfg(test)]
use super::tests::Samples;
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec};
use crate::recommend::model::{Current, PoolPlan, Recommendation, Topology};

pub(super) const KEYS: &[&str] = &[
    "PDO::ATTR_TIMEOUT",
    "PDO::ATTR_PERSISTENT",
    "mysqlnd.net_read_timeout",
    "idle_reconnect_s",
    "sapi",
];

/// Keys as they appear in an options array or on a command line.
pub(super) const PREFIXES: &[&str] = &["options.", "queue:work --", "--"];

/// mysqlnd.net_read_timeout's default (php-src ext/mysqlnd/mysqlnd.c).
pub(super) const DEFAULT_NET_READ_TIMEOUT_S: f64 = 86_400.0;

/// `php_sapi_name()` values of servers that run one request per process
/// lifetime slice, where a non-persistent connection closes at request end.
const PER_REQUEST_SAPIS: &[&str] = &["fpm-fcgi", "fpm", "cgi-fcgi", "apache2handler", "litespeed"];

/// The header line in place of a pool: one connection per PHP process.
pub(super) fn connection_lines(rec: &Recommendation, t: &Topology) -> Vec<String> {
    if let PoolPlan::DoesNotFit { .. } = rec.pool {
        return does_not_fit_lines(rec, t);
    }
    let budget = match rec.pool {
        PoolPlan::Fits {
            budget: Some(b), ..
        }
        | PoolPlan::FrameworkDefault {
            budget: Some(b), ..
        } => Some(b),
        _ => None,
    };
    let what = "PHP has no pool: each process (a PHP-FPM child, a worker) keeps one connection per database it uses";
    if t.processes.is_none() && t.threads.is_none() {
        return vec![format!(
            "{what}, so the app holds instances x processes connections{}; give --processes (FPM's pm.max_children plus the workers) and --instances to check that, or --threads to size from",
            budget.map_or(String::new(), |b| format!(", which must fit the budget of {b}"))
        )];
    }
    // A PHP process serves one request at a time: threads are processes.
    let per_instance = t.processes() * t.threads.unwrap_or(1);
    let total = t.instances() * per_instance;
    let verdict = match budget {
        Some(b) if total > b => {
            format!("; that exceeds the budget of {b}: run fewer PHP-FPM children or workers")
        }
        Some(b) => format!(", within the budget of {b}"),
        None => "; no budget known (no server facts to size against)".to_string(),
    };
    let shape = match t.threads {
        Some(threads) if threads > 1 => format!(
            "{} processes x {threads} concurrent requests (each a PHP process of its own)",
            t.processes()
        ),
        _ => format!("{} processes", t.processes()),
    };
    vec![format!(
        "{what}, so up to {} instances x {shape} = {total} connections{verdict}",
        t.instances()
    )]
}

/// The connect timeout and persistence lines of a PDO options array.
pub(super) fn pdo_options(out: &mut Out, rec: &Recommendation, indent: &str) {
    out.set(
        indent,
        &and(
            rec.reasons.connect_timeout.clone(),
            "seconds; pdo_mysql's connect timeout, not a read timeout (default 30)",
        ),
        format!("{indent}PDO::ATTR_TIMEOUT => {},", rec.connect_timeout_s),
        "PDO::ATTR_TIMEOUT",
        rec.connect_timeout_s,
    );
    out.set(
        indent,
        "keep it off (the default): a persistent connection outlives the request, idles in its PHP-FPM child past any idle limit, and is checked only by a ping when reused, which hangs on a silent drop until the read timeout",
        format!("{indent}PDO::ATTR_PERSISTENT => false,"),
        "PDO::ATTR_PERSISTENT",
        false,
    );
}

/// mysqlnd's read timeout, as an ini_set() line.
pub(super) fn read_timeout(out: &mut Out, rec: &Recommendation, retried: &str) {
    out.set(
        "",
        &and(
            timeout_reason(rec, &rec.reasons.read_timeout, Hang::Query),
            &format!(
                "mysqlnd's read timeout in seconds, PHP_INI_ALL (default 86400); a read past it fails with 2006 'MySQL server has gone away'{retried}"
            ),
        ),
        format!(
            "ini_set('mysqlnd.net_read_timeout', '{}');",
            rec.read_timeout_s
        ),
        "mysqlnd.net_read_timeout",
        rec.read_timeout_s,
    );
}

/// The reason for the idle check, for both renderers.
pub(super) fn idle_reason(rec: &Recommendation, closes: &str) -> String {
    format!(
        "{}; {closes} when the last use started more than this many seconds ago (PHP closes no connection for idleness)",
        rec.reasons.recycle
    )
}

/// Notes both renderers end with.
pub(super) fn shared_notes(rec: &Recommendation) -> Vec<Note> {
    vec![
        ("", keepalive_note(
            rec,
            "mysqlnd turns SO_KEEPALIVE on but PDO cannot set its timing, so the host's applies (7200 s on Linux)",
        )),
        ("", format!(
            "No write timeout: mysqlnd has no setting for one; a write to a dead connection fails when TCP gives up, and the read timeout ({} s) bounds the wait for its answer.",
            rec.read_timeout_s
        )),
    ]
}

fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let mut out = Out::new(app, Framework::PhpPdo);
    header(&mut out, rec, connection_lines(rec, &app.topology));
    out.comment(
        "",
        "php.ini of the PHP-FPM pool and the CLI, or ini_set() before the first connection:",
    );
    read_timeout(&mut out, rec, "");
    out.blank();
    out.comment(
        "",
        "A long-running process (a worker, a daemon) keeps one PDO and replaces it after a long idle; a PHP-FPM request may call db() too:",
    );
    out.code("function db(): PDO");
    out.code("{");
    out.code("    static $pdo = null;");
    out.code("    static $last = 0.0;");
    out.set(
        "    ",
        &idle_reason(rec, "a new PDO replaces the connection"),
        format!(
            "    if ($pdo === null || microtime(true) - $last > {}) {{",
            rec.recycle_s
        ),
        "idle_reconnect_s",
        rec.recycle_s,
    );
    out.code("        $pdo = null; // closes the old connection first");
    out.code(
        "        $pdo = new PDO(getenv('DB_DSN'), getenv('DB_USERNAME'), getenv('DB_PASSWORD'), [",
    );
    out.code("            PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,");
    pdo_options(&mut out, rec, "            ");
    out.code("        ]);");
    out.code("    }");
    out.code("    $last = microtime(true);");
    out.code("    return $pdo;");
    out.code("}");
    let mut notes = vec![
        ("", "PHP-FPM requests: a non-persistent PDO connects in the request and closes when it ends, so idle limits do not apply between requests; only persistent connections and long-running processes meet them.".to_string()),
        ("", "No retry: PDO does not reconnect; a query on a connection the server or a middlebox closed fails with 2006 or 2013 - the idle check avoids reusing one, and a restart or failover still needs a retry in your code.".to_string()),
    ];
    notes.extend(shared_notes(rec));
    footer(&mut out, rec, &notes);
    out.finish()
}

/// `--check` for PHP's settings; `laravel` adds Laravel's retry and
/// `queue:work --max-time`.
pub(super) fn read(
    framework: Framework,
    keys: &'static [&'static str],
    pairs: &[(String, String)],
) -> Result<Current, String> {
    let given = parse::collect(framework, pairs, keys, PREFIXES)?;
    let per_request = match given.get("sapi") {
        None => false,
        Some(v) => {
            let v = v.to_ascii_lowercase();
            if PER_REQUEST_SAPIS.contains(&v.as_str()) {
                true
            } else if v == "cli" {
                false
            } else {
                return Err(format!(
                    "sapi: expected cli or {}, got '{}'",
                    PER_REQUEST_SAPIS.join(", "),
                    parse::echo(&v)
                ));
            }
        }
    };
    let persistent = match given.get("PDO::ATTR_PERSISTENT") {
        None => false,
        Some(v) => parse::boolean("PDO::ATTR_PERSISTENT", v)?,
    };
    if let Some(v) = given.get("PDO::ATTR_TIMEOUT") {
        parse::non_negative("PDO::ATTR_TIMEOUT", v, Bare::Seconds)?;
    }
    let read_timeout_s = match given.get("mysqlnd.net_read_timeout") {
        None => Some(DEFAULT_NET_READ_TIMEOUT_S),
        Some(v) => parse::optional_secs("mysqlnd.net_read_timeout", v)?,
    };
    let idle_s = match given.get("idle_reconnect_s") {
        None => None,
        Some(v) => parse::optional_secs("idle_reconnect_s", v)?,
    };
    let max_time_s = match given.get("max-time") {
        None => None,
        Some(v) => parse::optional_secs("max-time", v)?,
    };
    let laravel = framework == Framework::Laravel;
    let (recycle_s, idle_timeout_s, pre_ping) = if per_request && !persistent {
        // A connection per request, closed at its end: nothing is reused.
        (Some(0.0), None, true)
    } else if per_request {
        // Reused across requests, pinged by PDO at reuse; never retired.
        (None, idle_s, true)
    } else {
        // A long-running process: its connection lives as long as the
        // process (queue:work --max-time), or until the idle check.
        (max_time_s, idle_s, laravel)
    };
    Ok(Current {
        recycle_s,
        idle_timeout_s,
        pre_ping,
        read_timeout_s,
        max_per_process: Some(1),
    })
}

fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    read(Framework::PhpPdo, KEYS, pairs)
}

/// What `poolcheck explain` tells PHP users.
const ADVICE: Advice = Advice {
    layers: &["php"],
    lifetime: "idle check (idle_reconnect_s)",
    idle_check: "sapi=cli,idle_reconnect_s=<current>,mysqlnd.net_read_timeout=<current>",
    pool_check: "sapi=<cli or fpm-fcgi>,PDO::ATTR_PERSISTENT=<current>",
    idle_fix: &[
        "a long-running PHP script or daemon keeps its connection forever: reconnect (a new PDO or mysqli) after a wait longer than ${recycle} s, below ${limit_desc}, or catch 2006 / 'Error while sending QUERY packet', reconnect and retry the statement",
        "ini_set('mysqlnd.net_read_timeout', '30') before connecting: a read on a silently dropped connection then fails in 30 s instead of 86400",
        "persistent connections (PDO::ATTR_PERSISTENT, mysqli p:host) outlive requests: turn them off, or keep wait_timeout above the longest pause between requests",
    ],
    pool_fix: &[],
    capacity_fix: &[
        "every PHP-FPM child holds its own connection: pm.max_children x servers must fit max_connections",
    ],
    packet_fix: &[],
    pool_checks: &[],
};

pub(super) const SPEC: Spec = Spec {
    name: "php-pdo",
    aliases: &["pdo", "php"],
    language: "php",
    comment: "//",
    check_keys: KEYS,
    check_units: "seconds; sapi=cli (a long-running process, the default) or fpm-fcgi (one request per connection unless persistent)",
    check_names: CheckKeys {
        recycle: "idle_reconnect_s (your idle check)",
        pre_ping: "a check before reuse",
        read_timeout: "mysqlnd.net_read_timeout",
    },
    notes: &[],
    driver: None,
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: Some(1),
        text: "no pool",
        sizing: "PHP-FPM children plus workers per instance, times instances, within the budget",
    },
    release: "PHP",
    claims: "PHP 7.4+ and 8.x, PDO with pdo_mysql on mysqlnd",
    since: &[],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "ini_set('mysqlnd.net_read_timeout', '30');",
            "microtime(true) - $last > 270) {",
            "PDO::ATTR_TIMEOUT => 10,",
            "PDO::ATTR_PERSISTENT => false,",
            "2 instances x 4 processes x 8 concurrent requests (each a PHP process of its own) = 64 connections",
        ],
        pool_code: &[],
        pre_ping: false,
        read_timeout: true,
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fpm_requests_reuse_nothing_unless_persistent() {
        let cur = current(&pairs(&[("sapi", "fpm-fcgi")])).unwrap();
        assert_eq!((cur.recycle_s, cur.pre_ping), (Some(0.0), true));
        let cur = current(&pairs(&[("sapi", "fpm-fcgi"), ("PDO::ATTR_PERSISTENT", "true")]))
            .unwrap();
        assert_eq!((cur.recycle_s, cur.idle_timeout_s, cur.pre_ping), (None, None, true));
        assert_eq!(cur.read_timeout_s, Some(86_400.0));
    }

    #[test]
    fn a_long_running_process_keeps_its_connection() {
        let cur = current(&[]).unwrap();
        assert_eq!(
            (cur.recycle_s, cur.idle_timeout_s, cur.pre_ping, cur.max_per_process),
            (None, None, false, Some(1))
        );
        let cur = current(&pairs(&[
            ("options.PDO::ATTR_TIMEOUT", "5"),
            ("mysqlnd.net_read_timeout", "30"),
            ("idle_reconnect_s", "270"),
        ]))
        .unwrap();
        assert_eq!((cur.idle_timeout_s, cur.read_timeout_s), (Some(270.0), Some(30.0)));
        let err = current(&pairs(&[("sapi", "embed")])).unwrap_err();
        assert!(err.contains("sapi"), "{err}");
    }
}
