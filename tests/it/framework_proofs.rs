//! Each framework's proof on a real app (tests/apps/<framework>/), through the
//! rig in common/proof.rs: fin, rst, blackhole and nat at a 3 s cutoff (in
//! parallel), and the silent drop at a realistic 40 s cutoff. The defaults'
//! expected outcome is stated per framework; docs/recommend.md has the table.

use crate::common::builds::{
    go_app, hikaricp_classpath, knex_modules, node_modules, sequelize_modules, sqlx_app,
    typeorm_modules,
};
use crate::common::proof::{
    App, Cutoff, Expect, Mode, app_command, prove_long_blackhole, prove_short, within_reach,
};
use crate::common::python::{django_python, flask_python};
use crate::sqlalchemy_asyncio_proof::{AIOMYSQL, ASYNCMY};
use crate::sqlalchemy_proof::SQLALCHEMY;
use std::process::Command;

const APPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/apps");

/// PyMySQL on a connection the path closed (FIN, RST): "Lost connection"
/// (2013) or "gone away" (2006); mysqlclient says the same.
const LOST: &[&str] = &["2013", "2006"];

fn flask_command(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    let app = format!("{APPS}/flask_sqlalchemy/app.py");
    app_command(flask_python(), &[&app], port, settings, idle_s)
}

/// Flask-SQLAlchemy 3 sets pool_recycle=7200 and no pre-ping: the pooled
/// connection is reused after the cutoff.
fn pooled_defaults(mode: Mode, _cutoff: Cutoff) -> Expect {
    match mode {
        Mode::Blackhole => Expect::Hangs,
        Mode::Fin | Mode::Rst | Mode::Nat => Expect::Fails(LOST),
    }
}

const FLASK: App = App {
    framework: "flask-sqlalchemy",
    name: "flask-sqlalchemy+pymysql",
    version: "3.1",
    command: flask_command,
    defaults: pooled_defaults,
    beyond_reach: within_reach,
};

fn django_command(driver: &str, port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    let app = format!("{APPS}/django/app.py");
    app_command(django_python(), &[&app, driver], port, settings, idle_s)
}

/// Django's default CONN_MAX_AGE = 0 closes the connection when each request
/// ends, so the next request connects anew: nothing dead is reused.
fn django_defaults(_mode: Mode, _cutoff: Cutoff) -> Expect {
    Expect::Succeeds
}

const DJANGO_PYMYSQL: App = App {
    framework: "django",
    name: "django+pymysql",
    version: "5.2",
    command: |port, settings, idle| django_command("pymysql", port, settings, idle),
    defaults: django_defaults,
    beyond_reach: within_reach,
};

const DJANGO_MYSQLCLIENT: App = App {
    framework: "django",
    name: "django+mysqlclient",
    version: "5.2",
    command: |port, settings, idle| django_command("mysqlclient", port, settings, idle),
    defaults: django_defaults,
    beyond_reach: within_reach,
};

#[test]
fn flask_sqlalchemy_proof_at_a_short_cutoff() {
    prove_short(&FLASK);
}

#[test]
fn django_pymysql_proof_at_a_short_cutoff() {
    prove_short(&DJANGO_PYMYSQL);
}

#[test]
fn django_mysqlclient_proof_at_a_short_cutoff() {
    prove_short(&DJANGO_MYSQLCLIENT);
}

pub(crate) fn node_command(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    let app = format!("{APPS}/node_mysql2/app.js");
    let mut cmd = app_command("node", &[&app], port, settings, idle_s);
    cmd.env("NODE_PATH", node_modules());
    cmd
}

/// mysql2 drops a pooled connection whose socket ended or reset while idle,
/// so the next query connects anew; a silently dropped one is reused and the
/// query waits forever (mysql2 pools have no read timeout).
fn node_defaults(mode: Mode, _cutoff: Cutoff) -> Expect {
    match mode {
        Mode::Blackhole => Expect::Hangs,
        Mode::Fin | Mode::Rst => Expect::Succeeds,
        Mode::Nat => Expect::Fails(&["ECONNRESET"]),
    }
}

const NODE: App = App {
    framework: "node-mysql2",
    name: "node mysql2",
    version: "3.11.1",
    command: node_command,
    defaults: node_defaults,
    beyond_reach: within_reach,
};

pub(crate) fn go_command(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    app_command(go_app(), &[], port, settings, idle_s)
}

/// database/sql retries a request on a fresh connection when the driver's
/// liveness check (checkConnLiveness) finds the pooled one closed or reset; a
/// silently dropped one passes the check and the query waits for TCP. But Go
/// dials with TCP keepalive every 15 s by default, and at layer 4 (the
/// proxy's default, like a NAT gateway) those probes keep a 40 s flow alive.
fn go_defaults(mode: Mode, cutoff: Cutoff) -> Expect {
    match (mode, cutoff) {
        (Mode::Blackhole, Cutoff::Long) => Expect::Succeeds,
        (Mode::Blackhole, Cutoff::Short) => Expect::Hangs,
        (Mode::Fin | Mode::Rst, _) => Expect::Succeeds,
        (Mode::Nat, _) => Expect::Fails(&["invalid connection", "reset"]),
    }
}

const GO: App = App {
    framework: "go",
    name: "go database/sql+go-sql-driver",
    version: "1.19",
    command: go_command,
    defaults: go_defaults,
    beyond_reach: within_reach,
};

#[test]
fn node_mysql2_proof_at_a_short_cutoff() {
    prove_short(&NODE);
}

#[test]
fn go_proof_at_a_short_cutoff() {
    prove_short(&GO);
}

fn hikaricp_command(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    let cp = hikaricp_classpath();
    let flags = ["-Xss512k", "-XX:TieredStopAtLevel=1", "-cp", cp, "App"];
    app_command("java", &flags, port, settings, idle_s)
}

/// HikariCP validates a connection at borrow and replaces one the path closed
/// or reset, even with its defaults; on a silently dropped one the borrow
/// (or the query, socketTimeout 0) waits past the test's bound.
fn hikaricp_defaults(mode: Mode, _cutoff: Cutoff) -> Expect {
    match mode {
        Mode::Blackhole => Expect::Hangs,
        Mode::Fin | Mode::Rst | Mode::Nat => Expect::Succeeds,
    }
}

/// HikariCP's maxLifetime cannot go below 30 s, and recommend says a 3 s
/// limit is too short for HikariCP. Measured: with the default pool of 10
/// blackholed connections, the borrow validates them one by one (5 s each)
/// and the request fails at connectionTimeout; fin, rst and nat are found at
/// once by the validation.
fn hikaricp_beyond_reach(mode: Mode, cutoff: Cutoff) -> Option<&'static str> {
    match (mode, cutoff) {
        (Mode::Blackhole, Cutoff::Short) => Some("too short for HikariCP"),
        _ => None,
    }
}

const HIKARICP: App = App {
    framework: "hikaricp",
    name: "hikaricp+mariadb-java-client",
    version: "2.7.9",
    command: hikaricp_command,
    defaults: hikaricp_defaults,
    beyond_reach: hikaricp_beyond_reach,
};

#[test]
fn hikaricp_proof_at_a_short_cutoff() {
    prove_short(&HIKARICP);
}

fn rails_command(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    let app = format!("{APPS}/rails/app.rb");
    app_command("ruby", &[&app], port, settings, idle_s)
}

/// Active Record verifies a connection at checkout (a ping) and reconnects
/// when it finds it closed or reset; a ping on a silently dropped one waits
/// for TCP (mysql2 has no read timeout by default).
fn rails_defaults(mode: Mode, _cutoff: Cutoff) -> Expect {
    match mode {
        Mode::Blackhole => Expect::Hangs,
        Mode::Fin | Mode::Rst | Mode::Nat => Expect::Succeeds,
    }
}

const RAILS: App = App {
    framework: "rails",
    name: "active record+mysql2",
    version: "6.1",
    command: rails_command,
    defaults: rails_defaults,
    beyond_reach: within_reach,
};

#[test]
fn rails_proof_at_a_short_cutoff() {
    prove_short(&RAILS);
}

fn knex_command(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    let app = format!("{APPS}/knex/app.js");
    let mut cmd = app_command("node", &[&app], port, settings, idle_s);
    cmd.env("NODE_PATH", knex_modules());
    cmd
}

/// knex validates a connection at acquire by its local state only: one whose
/// socket ended or reset while idle is destroyed and replaced, one a
/// middlebox forgot is reused, and its query waits forever (no read timeout).
/// The default `min: 2` keeps free connections whatever their idle time, so
/// the 30 s idleTimeoutMillis does not help at 40 s either.
fn knex_defaults(mode: Mode, _cutoff: Cutoff) -> Expect {
    match mode {
        Mode::Blackhole => Expect::Hangs,
        Mode::Fin | Mode::Rst => Expect::Succeeds,
        Mode::Nat => Expect::Fails(&["ECONNRESET"]),
    }
}

const KNEX: App = App {
    framework: "knex",
    name: "knex+mysql2",
    version: "3.3.0",
    command: knex_command,
    defaults: knex_defaults,
    beyond_reach: within_reach,
};

#[test]
fn knex_proof_at_a_short_cutoff() {
    prove_short(&KNEX);
}

fn laravel_command(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    let app = format!("{APPS}/laravel/worker.php");
    app_command("php", &[&app], port, settings, idle_s)
}

/// A queue worker keeps its one connection between jobs. Laravel reruns a
/// query that failed with a lost-connection message on a new connection, so
/// a connection the path closed, reset or forgot (nat: RST on the next
/// packet) is replaced even with the defaults; on a silent drop the query
/// waits for mysqlnd's read timeout, 86400 s by default.
fn laravel_defaults(mode: Mode, _cutoff: Cutoff) -> Expect {
    match mode {
        Mode::Blackhole => Expect::Hangs,
        Mode::Fin | Mode::Rst | Mode::Nat => Expect::Succeeds,
    }
}

const LARAVEL: App = App {
    framework: "laravel",
    name: "laravel (illuminate/database+queue)+pdo_mysql",
    version: "8.83",
    command: laravel_command,
    defaults: laravel_defaults,
    beyond_reach: within_reach,
};

#[test]
fn laravel_proof_at_a_short_cutoff() {
    prove_short(&LARAVEL);
}

fn php_pdo_command(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    let app = format!("{APPS}/php_pdo/worker.php");
    app_command("php", &[&app], port, settings, idle_s)
}

/// A long-running PHP process with one PDO: nothing checks or replaces the
/// connection, so the query after the idle period fails on a closed or reset
/// one and waits for mysqlnd's read timeout (86400 s) on a silent drop.
fn php_pdo_defaults(mode: Mode, _cutoff: Cutoff) -> Expect {
    match mode {
        Mode::Blackhole => Expect::Hangs,
        Mode::Fin | Mode::Rst | Mode::Nat => Expect::Fails(&["2006", "2013", "gone away"]),
    }
}

const PHP_PDO: App = App {
    framework: "php-pdo",
    name: "php pdo_mysql",
    version: "8.2",
    command: php_pdo_command,
    defaults: php_pdo_defaults,
    beyond_reach: within_reach,
};

#[test]
fn php_pdo_proof_at_a_short_cutoff() {
    prove_short(&PHP_PDO);
}

/// PHP-FPM-style requests with the app's `PDO::ATTR_PERSISTENT => true` (the
/// recommendation turns it off): each request's `new PDO` reuses the
/// process's persistent connection after PDO's liveness ping, which fails at
/// once on a closed, reset or forgotten (nat) connection, so a new one is
/// made; on a silent drop the ping waits for mysqlnd's read timeout.
fn php_pdo_persistent_defaults(mode: Mode, _cutoff: Cutoff) -> Expect {
    match mode {
        Mode::Blackhole => Expect::Hangs,
        Mode::Fin | Mode::Rst | Mode::Nat => Expect::Succeeds,
    }
}

const PHP_PDO_PERSISTENT: App = App {
    framework: "php-pdo",
    name: "php pdo_mysql, persistent, per request",
    version: "8.2",
    command: |port, settings, idle| {
        let app = format!("{APPS}/php_pdo/worker.php");
        app_command("php", &[&app, "--fpm-persistent"], port, settings, idle)
    },
    defaults: php_pdo_persistent_defaults,
    beyond_reach: within_reach,
};

#[test]
fn php_pdo_persistent_proof_at_a_short_cutoff() {
    prove_short(&PHP_PDO_PERSISTENT);
}

fn sequelize_command(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    let app = format!("{APPS}/sequelize/app.js");
    let mut cmd = app_command("node", &[&app], port, settings, idle_s);
    cmd.env("NODE_PATH", sequelize_modules());
    cmd
}

/// Sequelize checks a connection at acquire by its local state only and
/// destroys one that reports ECONNRESET: closed or reset while idle, it is
/// replaced; forgotten by a middlebox, it is reused and its query waits
/// forever (no read timeout). But the default pool.idle (10 s, min 0) closes
/// a free connection long before a 40 s cutoff.
fn sequelize_defaults(mode: Mode, cutoff: Cutoff) -> Expect {
    match (mode, cutoff) {
        (Mode::Blackhole, Cutoff::Short) => Expect::Hangs,
        (Mode::Blackhole, Cutoff::Long) => Expect::Succeeds,
        (Mode::Fin | Mode::Rst, _) => Expect::Succeeds,
        (Mode::Nat, _) => Expect::Fails(&["ECONNRESET"]),
    }
}

const SEQUELIZE: App = App {
    framework: "sequelize",
    name: "sequelize+mysql2",
    version: "6.37.8",
    command: sequelize_command,
    defaults: sequelize_defaults,
    beyond_reach: within_reach,
};

#[test]
fn sequelize_proof_at_a_short_cutoff() {
    prove_short(&SEQUELIZE);
}

fn typeorm_command(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    let app = format!("{APPS}/typeorm/app.js");
    let mut cmd = app_command("node", &[&app], port, settings, idle_s);
    cmd.env("NODE_PATH", typeorm_modules());
    cmd
}

/// TypeORM's pool is mysql2's, with mysql2's defaults: a connection whose
/// socket ended or reset while idle is dropped, one a middlebox forgot is
/// reused and its query waits forever, and the idle reaper is inert while
/// maxIdle equals connectionLimit (so at 40 s too).
fn typeorm_defaults(mode: Mode, _cutoff: Cutoff) -> Expect {
    match mode {
        Mode::Blackhole => Expect::Hangs,
        Mode::Fin | Mode::Rst => Expect::Succeeds,
        Mode::Nat => Expect::Fails(&["ECONNRESET"]),
    }
}

const TYPEORM: App = App {
    framework: "typeorm",
    name: "typeorm+mysql2",
    version: "1.1.1",
    command: typeorm_command,
    defaults: typeorm_defaults,
    beyond_reach: within_reach,
};

#[test]
fn typeorm_proof_at_a_short_cutoff() {
    prove_short(&TYPEORM);
}

fn sqlx_command(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    app_command(sqlx_app(), &[], port, settings, idle_s)
}

/// sqlx's acquire pings a pooled connection first (test_before_acquire,
/// default true) and opens a new one when the ping fails: a connection the
/// path closed, reset or forgot (nat) is replaced. On a silently dropped one
/// the ping has no timeout of its own and waits for the whole acquire_timeout
/// (30 s), then fails with PoolTimedOut: about when the rig calls a run hung
/// (30 s past the idle period at either cutoff), so either outcome shows it.
fn sqlx_defaults(mode: Mode, _cutoff: Cutoff) -> Expect {
    match mode {
        Mode::Blackhole => Expect::HangsOrFails(&["PoolTimedOut"]),
        Mode::Fin | Mode::Rst | Mode::Nat => Expect::Succeeds,
    }
}

const SQLX: App = App {
    framework: "sqlx",
    name: "sqlx+mysql (tokio)",
    version: "0.8",
    command: sqlx_command,
    defaults: sqlx_defaults,
    beyond_reach: within_reach,
};

#[test]
fn sqlx_proof_at_a_short_cutoff() {
    prove_short(&SQLX);
}

/// sqlx at the realistic silent drop, on its own: the other frameworks' 40 s
/// cells run in parallel in the test below, while this one waits for the
/// sqlx app's build (its first run in a CI job builds it from crates.io).
#[test]
fn sqlx_proof_blackhole_at_40_s() {
    prove_long_blackhole(&[&SQLX]);
}

/// The realistic silent drop: every framework at a 40 s cutoff, in parallel
/// (one probe of the path, each app's defaults and recommended settings).
#[test]
fn every_framework_proof_blackhole_at_40_s() {
    prove_long_blackhole(&[
        &SQLALCHEMY,
        &ASYNCMY,
        &AIOMYSQL,
        &FLASK,
        &DJANGO_PYMYSQL,
        &DJANGO_MYSQLCLIENT,
        &NODE,
        &GO,
        &HIKARICP,
        &RAILS,
        &KNEX,
        &LARAVEL,
        &PHP_PDO,
        &SEQUELIZE,
        &TYPEORM,
    ]);
}
