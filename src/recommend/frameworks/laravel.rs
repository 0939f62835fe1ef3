//! Laravel (Illuminate's database component over PDO): config/database.php's
//! 'options', mysqlnd's read timeout, and a `Queue::before` hook that closes a
//! queue worker's connection after a long idle; `--check` in the same names
//! plus `queue:work --max-time`.
//!
//! Facts from Illuminate's source (Debian's php-laravel-framework 8.83.26,
//! and laravel/framework at v13.26): Laravel has no pool and no idle
//! timeout; a connection opens lazily at the first query and stays for the
//! life of the process (a PHP-FPM request, or a whole `queue:work` worker).
//! `Connection::run` catches a query that failed with a lost-connection
//! message (`DetectsLostConnections`; `LostConnectionDetector` from 12.22:
//! "server has gone away", "Lost connection", "Error while sending", "reset
//! by peer", ...), reconnects and runs it once more - but not inside a
//! transaction, where the error propagates. `disconnect()` drops the PDO and
//! the next query reconnects (`reconnectIfMissingConnection`).
//! `queue:work --max-time` arrived in 8.0 (laravel/framework 441a85a).

use super::common::{Note, Out, footer, header};
use super::php_pdo::{self, connection_lines, idle_reason, pdo_options, read_timeout, shared_notes};
#[cfg(test)]
use super::tests::Samples;
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec};
use crate::recommend::model::{Current, Recommendation};

pub(super) const KEYS: &[&str] = &[
    "PDO::ATTR_TIMEOUT",
    "PDO::ATTR_PERSISTENT",
    "mysqlnd.net_read_timeout",
    "idle_reconnect_s",
    "max-time",
    "sapi",
];

const RETRIED: &str = ", which Laravel's lost-connection detection retries once on a new connection (outside a transaction)";

fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let mut out = Out::new(app, Framework::Laravel);
    header(&mut out, rec, connection_lines(rec, &app.topology));
    out.comment(
        "",
        "config/database.php, 'connections' => ['mysql' => [..., 'options' => here]] (keep your other options, e.g. PDO::MYSQL_ATTR_SSL_CA):",
    );
    out.code("'options' => [");
    pdo_options(&mut out, rec, "    ");
    out.code("],");
    out.blank();
    out.comment(
        "",
        "php.ini of the PHP-FPM pool and the CLI, or in AppServiceProvider::register(), before the first query:",
    );
    read_timeout(&mut out, rec, RETRIED);
    out.blank();
    out.comment(
        "",
        "app/Providers/AppServiceProvider.php, boot() (use Illuminate\\Support\\Facades\\DB and Queue): queue:work keeps its connection between jobs and Laravel closes none for idleness:",
    );
    out.code("Queue::before(function () {");
    out.code("    static $last = null;");
    out.set(
        "    ",
        &idle_reason(
            rec,
            "DB::disconnect() before a job, and its first query connects anew,",
        ),
        format!(
            "    if ($last !== null && microtime(true) - $last > {}) {{",
            rec.recycle_s
        ),
        "idle_reconnect_s",
        rec.recycle_s,
    );
    out.code("        DB::disconnect(); // each connection the jobs use: DB::disconnect('name')");
    out.code("    }");
    out.code("    $last = microtime(true);");
    out.code("});");
    let mut notes: Vec<Note> = vec![
        ("", "PHP-FPM requests: Laravel connects at a request's first query and the connection closes when the request ends, so idle limits do not apply between requests; only PDO::ATTR_PERSISTENT connections and long-running processes (queue:work, Octane, daemons) meet them.".to_string()),
        ("", "Lost connections: Laravel reruns a query that failed with 'server has gone away', 'Lost connection', 'Error while sending' or 'reset by peer' once on a new connection (DetectsLostConnections; LostConnectionDetector from 12.22), so a connection the server or a middlebox closed is replaced even with the defaults - except inside DB::transaction(), where the error propagates, and on a silent drop, where only the read timeout ends the wait.".to_string()),
        ("", "queue:work --max-time=3600 (Laravel 8.0+) makes a worker exit after that long (checked between jobs; its process manager starts a new one): it bounds a connection's age, not its idle time. php artisan queue:restart after a deploy or failover ends every worker after its current job.".to_string()),
    ];
    notes.extend(shared_notes(rec));
    footer(&mut out, rec, &notes);
    out.finish()
}

fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    php_pdo::read(Framework::Laravel, KEYS, pairs)
}

/// What `poolcheck explain` tells Laravel users.
const ADVICE: Advice = Advice {
    layers: &["laravel"],
    lifetime: "Queue::before idle check (idle_reconnect_s)",
    idle_check: "sapi=cli,idle_reconnect_s=<current>,max-time=<current>,mysqlnd.net_read_timeout=<current>",
    pool_check: "sapi=<cli or fpm-fcgi>,PDO::ATTR_PERSISTENT=<current>",
    idle_fix: &[
        "queue workers (and other long-running PHP processes) keep one connection for their whole life: close it before a job that follows a long idle - Queue::before(function () { static $last = null; if ($last !== null && microtime(true) - $last > ${recycle}) { DB::disconnect(); } $last = microtime(true); }) in AppServiceProvider::boot(), below ${limit_desc} (poolcheck recommend --framework laravel prints it)",
        "or restart them before ${limit_desc} can close it: php artisan queue:work --max-time=${recycle} (Laravel 8.0+; and --max-jobs) under Supervisor or Horizon, and php artisan queue:restart after every deploy",
        "Laravel reconnects by itself when it detects a lost connection (Illuminate\\Database\\DetectsLostConnections: 'server has gone away', 'Lost connection', 'Error while sending', ...), but not inside a transaction: give jobs retries (--tries, $backoff) or call DB::reconnect() at the start of a job that may follow a long idle wait",
        "ini_set('mysqlnd.net_read_timeout', '30') before the first query: a query on a silently dropped connection then fails in 30 s (and Laravel retries it on a new connection) instead of waiting 86400 s",
        "PHP has no connection pool to recycle: pool lifetime settings do not apply; keep PDO::ATTR_PERSISTENT off behind PHP-FPM",
    ],
    pool_fix: &[],
    capacity_fix: &[
        "every PHP-FPM child and every queue worker holds its own connection: pm.max_children x servers + workers must fit max_connections",
    ],
    packet_fix: &[],
    pool_checks: &[],
};

pub(super) const SPEC: Spec = Spec {
    name: "laravel",
    aliases: &["illuminate"],
    language: "php",
    comment: "//",
    check_keys: KEYS,
    check_units: "seconds; sapi=cli (queue:work and other long-running processes, the default) or fpm-fcgi; max-time is queue:work --max-time",
    check_names: CheckKeys {
        recycle: "idle_reconnect_s (the Queue::before idle check) or queue:work --max-time",
        pre_ping: "Laravel's lost-connection retry",
        read_timeout: "mysqlnd.net_read_timeout",
    },
    notes: &[],
    driver: None,
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: Some(1),
        text: "no pool",
        sizing: "PHP-FPM children plus queue workers per instance, times instances, within the budget",
    },
    release: "Laravel",
    claims: "Laravel 8.x to 13.x (Illuminate's database and queue) on PHP with pdo_mysql",
    since: &[],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "PDO::ATTR_TIMEOUT => 10,",
            "PDO::ATTR_PERSISTENT => false,",
            "ini_set('mysqlnd.net_read_timeout', '30');",
            "Queue::before(function () {",
            "microtime(true) - $last > 270) {",
            "DB::disconnect();",
            "2 instances x 4 processes x 8 concurrent requests (each a PHP process of its own) = 64 connections",
        ],
        pool_code: &[],
        pre_ping: true,
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
    fn a_worker_keeps_its_connection_but_retries_lost_ones() {
        let cur = current(&[]).unwrap();
        assert_eq!(
            (cur.recycle_s, cur.idle_timeout_s, cur.pre_ping, cur.read_timeout_s),
            (None, None, true, Some(86_400.0))
        );
        let cur = current(&pairs(&[("--max-time", "3600"), ("idle_reconnect_s", "270")])).unwrap();
        assert_eq!((cur.recycle_s, cur.idle_timeout_s), (Some(3600.0), Some(270.0)));
        let cur = current(&pairs(&[("sapi", "fpm-fcgi")])).unwrap();
        assert_eq!(cur.recycle_s, Some(0.0));
    }
}
