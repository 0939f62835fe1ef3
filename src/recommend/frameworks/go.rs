//! Go `database/sql` with go-sql-driver/mysql: the DB pool setters and the
//! DSN timeout parameters; `--check` in the setters' and DSN's names, with Go
//! duration values.

use super::common::{Hang, Out, and, footer, header, keepalive_useless, pool_lines, pool_numbers, timeout_reason, untagged};
use super::parse::{self, Bare};
use crate::recommend::model::{Current, Recommendation};
use super::{Advice, CheckKeys, DefaultPool, Deployment, Framework, FrameworkConfig, Spec, Version};
#[cfg(test)]
use super::tests::Samples;
use crate::drivers;

/// The `db.Set...` names without `Set`, then DSN parameters.
pub(super) const KEYS: &[&str] = &[
    "ConnMaxLifetime",
    "ConnMaxIdleTime",
    "MaxOpenConns",
    "MaxIdleConns",
    "timeout",
    "readTimeout",
    "writeTimeout",
    "checkConnLiveness",
];

const PREFIXES: &[&str] = &["db.Set", "Set"];

/// A Go duration literal for whole seconds, as the DSN wants it.
fn dsn_secs(s: u64) -> String {
    format!("{s}s")
}

pub(super) fn render(rec: &Recommendation, app: &Deployment) -> FrameworkConfig {
    let topology = &app.topology;
    let mut out = Out::new(app, Framework::Go);
    header(&mut out, rec, pool_lines(rec, topology, Framework::Go));
    // The DSN parameters share one line: their reasons go above it.
    let dsn = [
        (
            "timeout",
            rec.connect_timeout_s,
            and(
                rec.reasons.connect_timeout.clone(),
                "dial timeout",
            ),
        ),
        (
            "readTimeout",
            rec.read_timeout_s,
            and(
                timeout_reason(rec, &rec.reasons.read_timeout, Hang::Query),
                "default 0: none",
            ),
        ),
        (
            "writeTimeout",
            rec.write_timeout_s,
            and(
                timeout_reason(rec, &rec.reasons.write_timeout, Hang::Query),
                "default 0: none",
            ),
        ),
    ];
    out.comment("", "DSN parameters (go-sql-driver/mysql):");
    let mut params = Vec::new();
    for (key, secs, why) in &dsn {
        out.comment("", &format!("{key}={}: {why}", dsn_secs(*secs)));
        out.record(key, dsn_secs(*secs), why);
        params.push(format!("{key}={}", dsn_secs(*secs)));
    }
    out.code(format!(
        "dsn := \"USER:PASSWORD@tcp(HOST:3306)/DBNAME?{}\"",
        params.join("&")
    ));
    out.code("db, err := sql.Open(\"mysql\", dsn)");
    out.code("if err != nil {");
    out.code("\tlog.Fatal(err)");
    out.code("}");
    let life = rec.recycle_s;
    out.set(
        "",
        &and(
            rec.reasons.recycle.clone(),
            "the driver's README calls SetConnMaxLifetime required (default: never)",
        ),
        format!("db.SetConnMaxLifetime({life} * time.Second)"),
        "ConnMaxLifetime",
        dsn_secs(life),
    );
    out.set(
        "",
        "closes connections idle this long, before the idle limit can (Go 1.15+; default: never)",
        format!("db.SetConnMaxIdleTime({life} * time.Second)"),
        "ConnMaxIdleTime",
        dsn_secs(life),
    );
    match pool_numbers(rec) {
        Some(pool) => {
 let (size, overflow) = (pool.size, pool.overflow);
            let open = size + overflow;
            out.set(
                "",
                &and(
                    pool.total_reason(),
                    "per process (default 0: unlimited)",
                ),
                format!("db.SetMaxOpenConns({open})"),
                "MaxOpenConns",
                open,
            );
            out.set(
                "",
                &and(
                    pool.reasons.pool_size.clone(),
                    "idle connections kept (default 2)",
                ),
                format!("db.SetMaxIdleConns({size})"),
                "MaxIdleConns",
                size,
            );
        }
        None => out.no_pool_numbers("", rec),
    }
    let notes = vec![
        format!(
            "Checkout timeout: database/sql has none; give each request a deadline instead (ctx, cancel := context.WithTimeout(ctx, {}*time.Second); db.QueryContext(ctx, ...)).",
            rec.checkout_timeout_s
        ),
        "Pre-ping: database/sql has no option; the driver's checkConnLiveness (on by default) drops a pooled connection the server or a middlebox closed (FIN/RST) before using it, but cannot see a silently dropped one - readTimeout covers that.".to_string(),
        go_keepalive_note(rec),
    ];
    footer(&mut out, rec, &untagged(notes));
    out.finish()
}

/// Go's net.Dialer, which the driver dials with, sends TCP keepalive every
/// 15 s by default: enough for a flow-level limit above that, too slow below
/// it, and no help against the server's or a proxy's own idle clock.
fn go_keepalive_note(rec: &Recommendation) -> String {
    if keepalive_useless(rec) {
        return format!(
            "TCP keepalive: nothing to set - Go's net.Dialer sends probes every 15 s by default, but {}",
            rec.reasons.keepalive
        );
    }
    if rec.keepalive_idle_s < GO_DIALER_KEEPALIVE_S {
        return format!(
            "TCP keepalive: Go's net.Dialer default (every {GO_DIALER_KEEPALIVE_S} s) is too slow for this limit; dial with your own: \
             mysql.RegisterDialContext(\"tcp\", func(ctx context.Context, addr string) (net.Conn, error) {{ d := net.Dialer{{KeepAlive: {}*time.Second}}; return d.DialContext(ctx, \"tcp\", addr) }}) (go-sql-driver 1.5+) - {}",
            rec.keepalive_idle_s, rec.reasons.keepalive
        );
    }
    format!(
        "TCP keepalive: nothing to set; the driver dials with Go's net.Dialer, which enables keepalive with a {GO_DIALER_KEEPALIVE_S} s period by default (unless you register your own dial function), below this limit{}",
        if rec.tcp_keepalive_helps() == Some(true) {
            ": its probes keep this flow-level limit from forgetting idle connections"
        } else {
            ""
        }
    )
}

/// net.Dialer's default keepalive period.
const GO_DIALER_KEEPALIVE_S: u64 = 15;

/// `d <= 0` means "no limit" in database/sql's setters and the DSN.
fn limit(key: &str, value: &str) -> Result<Option<f64>, String> {
    let s = parse::duration(key, value, Bare::Rejected)?;
    Ok((s > 0.0).then_some(s))
}

pub(super) fn current(pairs: &[(String, String)]) -> Result<Current, String> {
    let given = parse::collect(Framework::Go, pairs, KEYS, PREFIXES)?;
    let opt = |key: &'static str| -> Result<Option<f64>, String> {
        given.get(key).map_or(Ok(None), |v| limit(key, v))
    };
    let recycle_s = opt("ConnMaxLifetime")?;
    let idle_timeout_s = opt("ConnMaxIdleTime")?;
    let read_timeout_s = opt("readTimeout")?;
    opt("writeTimeout")?;
    opt("timeout")?;
    // Both: n <= 0 means unlimited (open) or the default of 2 / none (idle).
    let open = match given.get("MaxOpenConns") {
        None => 0,
        Some(v) => parse::integer("MaxOpenConns", v)?,
    };
    if let Some(v) = given.get("MaxIdleConns") {
        parse::integer("MaxIdleConns", v)?;
    }
    // No pre-ping option exists; checkConnLiveness (default true) is the
    // driver's check at reuse, and it catches FIN/RST.
    let pre_ping = match given.get("checkConnLiveness") {
        None => true,
        Some(v) => parse::boolean("checkConnLiveness", v)?,
    };
    Ok(Current {
        recycle_s,
        idle_timeout_s,
        pre_ping,
        read_timeout_s,
        max_per_process: (open > 0).then_some(open.unsigned_abs()),
    })
}

/// What `poolcheck explain` tells go users.
pub(super) const ADVICE: Advice = Advice {
    layers: &["go-sql-driver"],
    lifetime: "SetConnMaxLifetime",
    idle_check: "ConnMaxLifetime=<current>,ConnMaxIdleTime=<current>",
    pool_check: "MaxOpenConns=<current>,MaxIdleConns=<current>",
    idle_fix: &[
                    "db.SetConnMaxLifetime(${recycle} * time.Second): below ${limit_desc}; the driver's README calls SetConnMaxLifetime required",
                    "db.SetConnMaxIdleTime(${recycle} * time.Second) (Go 1.15+): idle connections are closed before the limit can",
                    "DSN readTimeout=30s&writeTimeout=30s: a connection dropped silently fails instead of hanging",
                ],
    pool_fix: &[],
    capacity_fix: &[
                    "db.SetMaxOpenConns(<n>) in every process so the sum over processes and instances fits max_connections, and db.SetMaxIdleConns(<n>) no higher",
                ],
    packet_fix: &[
                    "DSN maxAllowedPacket=${packet_hint_bytes} (the driver's own limit, ${go_packet} by default; maxAllowedPacket=0 reads the server's value at each connect)",
                ],
    pool_checks: &[],
};

pub(super) const SPEC: Spec = Spec {
    name: "go",
    aliases: &[],
    language: "go",
    comment: "//",
    check_keys: KEYS,
    check_units: "Go durations (3m, 180s, 1h); 0 means none or never",
    check_names: CheckKeys {
        recycle: "ConnMaxLifetime",
        pre_ping: "checkConnLiveness",
        read_timeout: "readTimeout",
    },
    notes: &[],
    driver: Some(&drivers::GO_SQL_DRIVER),
    own_wait_timeout: None,
    default_pool: DefaultPool {
        connections: None,
        text: "SetMaxOpenConns unlimited, SetMaxIdleConns 2",
        sizing: "SetMaxOpenConns to the goroutines per process that query at once, SetMaxIdleConns to the same",
    },
    release: "Go",
    claims: "Go 1.15+ (SetConnMaxIdleTime) with go-sql-driver/mysql 1.5+ (checkConnLiveness)",
    since: &[("ConnMaxIdleTime", Version::minor(1, 15))],
    unproven: None,
    render,
    read_check: current,
    advice: ADVICE,
    #[cfg(test)]
    samples: Samples {
        expected_300: &[
            "timeout=10s&readTimeout=30s&writeTimeout=30s",
            "db.SetConnMaxLifetime(270 * time.Second)",
            "db.SetConnMaxIdleTime(270 * time.Second)",
            "db.SetMaxOpenConns(12)",
            "db.SetMaxIdleConns(8)",
            "checkConnLiveness",
        ],
        pool_code: &["SetMaxOpenConns(", "SetMaxIdleConns("],
        pre_ping: true,
        read_timeout: true,
    },
};
