//! Apps whose only defence against an idle limit is TCP keepalive, through
//! the kernel NAT of common::netns (#13 item 5): with keepalive below the
//! NAT's established timeout they serve a request after idling past it;
//! without keepalive (the control) the same request fails. The apps are the
//! framework proofs' own (tests/apps), run on the NAT's client side, with
//! pool settings left at their defaults: no recycling, nothing but keepalive.

use crate::common::netns::{Forgotten, Nat};
use crate::common::proof::{Outcome, run_app};
use crate::framework_proofs::{go_command, node_command};
use crate::nat::server_behind;
use serde_json::json;
use std::process::Command;
use std::time::Duration;

/// The app run twice at once on the client side of a NAT that forgets a
/// flow after `established_s` and resets a forgotten flow's next packet:
/// with `keepalive` settings and with `control` settings, each idling
/// `idle_s` between its two requests. Both outcomes, with their output.
fn with_and_without_keepalive(
    established_s: u32,
    idle_s: u64,
    command: fn(u16, &serde_json::Value, u64) -> Command,
    keepalive: serde_json::Value,
    control: serde_json::Value,
) -> [(Outcome, String); 2] {
    let nat = Nat::new(established_s, Forgotten::Reset);
    let sb = server_behind(&nat);
    let run = |extra: &serde_json::Value| {
        let mut settings = json!({
            "host": nat.server_ip.to_string(),
            "user": "natprobe",
            "password": "natprobe-pw",
        });
        for (k, v) in extra.as_object().unwrap() {
            settings[k] = v.clone();
        }
        let cmd = nat.on_client_side(&command(sb.port, &settings, idle_s));
        // A reset answers the control's request at once; the bound only
        // keeps a broken run from hanging the suite.
        run_app(cmd, Duration::from_secs(idle_s + 20))
    };
    let outcomes = std::thread::scope(|s| {
        let with = s.spawn(|| run(&keepalive));
        let without = s.spawn(|| run(&control));
        [with.join().unwrap(), without.join().unwrap()]
    });
    sb.stop();
    outcomes
}

/// The keepalive run served its request; the control's failed with an error
/// naming one of `reset` (the NAT's reset, not a setup failure).
fn assert_survives_and_control_fails(name: &str, outcomes: [(Outcome, String); 2], reset: &[&str]) {
    let [(with, with_out), (without, without_out)] = outcomes;
    eprintln!("{name}: with keepalive {with_out}; without {without_out}");
    assert!(
        matches!(with, Outcome::Ok { .. }),
        "{name} with keepalive: {with:?} {with_out}"
    );
    assert!(
        matches!(&without, Outcome::Failed { error, .. }
            if reset.iter().any(|r| error.contains(r)) && !error.starts_with("setup")),
        "{name} without keepalive (the control): {without:?} {without_out}"
    );
}

/// node mysql2 with `enableKeepAlive` and `keepAliveInitialDelay: 1000`
/// (a probe after each second of idle) keeps its pooled connection through
/// a NAT that forgets flows idle 3 s, and serves a request after 5 s idle;
/// with `enableKeepAlive: false` the request is reset.
#[test]
fn node_mysql2_with_keepalive_survives_the_kernel_nat() {
    let outcomes = with_and_without_keepalive(
        3,
        5,
        node_command,
        json!({"enableKeepAlive": true, "keepAliveInitialDelay": 1000}),
        json!({"enableKeepAlive": false}),
    );
    assert_survives_and_control_fails(
        "node mysql2",
        outcomes,
        &["ECONNRESET", "PROTOCOL_CONNECTION_LOST"],
    );
}

/// Go's database/sql with go-sql-driver/mysql and the driver's own dialer:
/// Go's net.Dialer default, TCP keepalive every 15 s, unchanged. It is not
/// shortened here: the NAT forgets flows idle 20 s, so the default's probe at
/// 15 s keeps the flow through a 25 s idle. The control dials with
/// net.Dialer{KeepAlive: -1} (registered with mysql.RegisterDialContext); the
/// driver still turns SO_KEEPALIVE on, at the OS timing (7200 s), so no probe
/// is sent within the idle and the request fails (invalid connection).
#[test]
fn go_with_its_default_dialer_keepalive_survives_the_kernel_nat() {
    let outcomes = with_and_without_keepalive(
        20,
        25,
        go_command,
        json!({}),
        json!({"dialKeepAlive": "-1s"}),
    );
    assert_survives_and_control_fails("Go database/sql", outcomes, &["invalid connection"]);
}
