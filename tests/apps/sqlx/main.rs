//! A small sqlx app (MySQL driver, tokio runtime) for poolcheck's proof
//! (tests/it/framework_proofs.rs).
//!
//! Built by tests/it/common/builds.rs from manifest.toml and Cargo.lock.
//!
//! Usage: poolcheck-sqlx-proof PORT SETTINGS_JSON IDLE_SECONDS
//!
//! SETTINGS_JSON holds `poolcheck recommend --framework sqlx` keys, each a
//! `MySqlPoolOptions` builder method: max_connections, min_connections,
//! max_lifetime, idle_timeout, acquire_timeout (seconds; null disables the
//! first two durations) and test_before_acquire; "{}" keeps sqlx's defaults.
//! Each request runs a query on the pool (which acquires a connection and
//! returns it), as an HTTP handler would. No query is wrapped in a timeout:
//! the proof shows what the pool's own settings do. The app serves one
//! request, idles, serves another, and prints one JSON line:
//! {"ok": bool, "error": str, "elapsed_s": float}.

use serde_json::{json, Value};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use std::time::{Duration, Instant};

/// A duration setting: seconds, or null for "never".
fn duration(v: &Value) -> Option<Duration> {
    v.as_f64().map(Duration::from_secs_f64)
}

fn count(v: &Value) -> u32 {
    u32::try_from(v.as_u64().expect("a count")).expect("a small count")
}

fn pool_options(settings: &serde_json::Map<String, Value>) -> MySqlPoolOptions {
    let mut options = MySqlPoolOptions::new();
    for (key, v) in settings {
        options = match key.as_str() {
            "max_connections" => options.max_connections(count(v)),
            "min_connections" => options.min_connections(count(v)),
            "max_lifetime" => options.max_lifetime(duration(v)),
            "idle_timeout" => options.idle_timeout(duration(v)),
            "acquire_timeout" => options.acquire_timeout(duration(v).expect("a timeout")),
            "test_before_acquire" => options.test_before_acquire(v.as_bool().expect("a bool")),
            other => panic!("unknown setting {other}"),
        };
    }
    options
}

async fn request(pool: &MySqlPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT 1").fetch_one(pool).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, port, settings, idle] = &args[..] else {
        panic!("usage: poolcheck-sqlx-proof PORT SETTINGS_JSON IDLE_SECONDS");
    };
    let settings: serde_json::Map<String, Value> =
        serde_json::from_str(settings).expect("SETTINGS_JSON is an object");
    let connect = MySqlConnectOptions::new()
        .host("127.0.0.1")
        .port(port.parse().expect("a port"))
        .username("root");
    let pool = pool_options(&settings)
        .connect_with(connect)
        .await
        .expect("the pool connected");
    request(&pool).await.expect("the first request");
    let idle: f64 = idle.parse().expect("idle seconds");
    tokio::time::sleep(Duration::from_secs_f64(idle)).await;
    let started = Instant::now();
    let result = match request(&pool).await {
        Ok(_) => json!({"ok": true, "error": ""}),
        Err(e) => json!({"ok": false, "error": format!("{e:?}: {e}")}),
    };
    let mut result = result;
    result["elapsed_s"] = json!(started.elapsed().as_secs_f64());
    println!("{result}");
}
