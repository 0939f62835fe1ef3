//! What each subcommand costs the server it diagnoses: connections opened,
//! `Aborted_*` and `Connection_errors_*` counters, and lines in the server's
//! error log, measured on a fresh private sandbox (no TLS, as most servers
//! poolcheck meets by default). docs/reliability.md has the figures.

use crate::common::{Sandbox, poolcheck, run};
use mysql::prelude::Queryable;
use std::time::{Duration, Instant};

/// Counters read with one admin connection held open for the whole test, so
/// the admin itself adds nothing between two readings.
pub struct Meter<'a> {
    admin: mysql::Conn,
    sandbox: &'a Sandbox,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Footprint {
    pub connections: u64,
    pub aborted_connects: u64,
    pub aborted_clients: u64,
    pub connection_errors: u64,
    pub error_log_lines: usize,
}

impl<'a> Meter<'a> {
    pub fn new(sandbox: &'a Sandbox) -> Meter<'a> {
        Meter {
            admin: sandbox.admin(),
            sandbox,
        }
    }

    fn status(&mut self) -> std::collections::HashMap<String, u64> {
        let rows: Vec<(String, String)> = self
            .admin
            .query(
                "SHOW GLOBAL STATUS WHERE Variable_name IN ('Connections', 'Aborted_connects', \
                 'Aborted_clients', 'Threads_connected') OR Variable_name LIKE 'Connection_errors_%'",
            )
            .unwrap();
        rows.into_iter()
            .map(|(k, v)| (k, v.parse().unwrap_or(0)))
            .collect()
    }

    fn log_lines(&self) -> usize {
        std::fs::read_to_string(self.sandbox.dir.join("error.log"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    /// Runs `f` and returns what it cost, after the server has seen every
    /// connection of it end (a bounded wait: 10 s) and the counters and the
    /// error log have stopped moving (the server may count an aborted connect
    /// and log it just after the thread is gone; a bounded wait: 5 s).
    pub fn measure(&mut self, f: impl FnOnce()) -> Footprint {
        let before = self.status();
        let lines = self.log_lines();
        f();
        let started = Instant::now();
        let mut after = self.status();
        while after["Threads_connected"] > before["Threads_connected"]
            && started.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(50));
            after = self.status();
        }
        let settled = Instant::now();
        let mut log = self.log_lines();
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let (now, now_log) = (self.status(), self.log_lines());
            let still = now == after && now_log == log;
            (after, log) = (now, now_log);
            if still || settled.elapsed() > Duration::from_secs(5) {
                break;
            }
        }
        let sum = |m: &std::collections::HashMap<String, u64>| {
            m.iter()
                .filter(|(k, _)| k.starts_with("Connection_errors_"))
                .map(|(_, v)| v)
                .sum::<u64>()
        };
        Footprint {
            connections: after["Connections"] - before["Connections"],
            aborted_connects: after["Aborted_connects"] - before["Aborted_connects"],
            aborted_clients: after["Aborted_clients"] - before["Aborted_clients"],
            connection_errors: sum(&after) - sum(&before),
            error_log_lines: log - lines,
        }
    }
}

/// Each default run (no `--ssl-mode`: PREFERRED) opens exactly one connection
/// and leaves no aborted connect, no aborted client and no error-log line.
/// Before, PREFERRED against a server without TLS gave up after the greeting
/// and connected again in plain text: two connections, one aborted connect and
/// one warning in the error log per run.
#[test]
fn default_runs_open_one_connection_and_leave_nothing_in_the_counters_or_the_log() {
    let sandbox = Sandbox::start(&["--log-warnings=4"]);
    let url = sandbox.root_url();
    let port = sandbox.port;
    let mut meter = Meter::new(&sandbox);
    // The control: what the old PREFERRED fallback did (a connection closed
    // after the greeting, without a login) is seen by this meter.
    let control = meter.measure(|| {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut greeting = [0u8; 4];
        std::io::Read::read_exact(&mut s, &mut greeting).unwrap();
    });
    println!("control (greeting read, then closed): {control:?}");
    assert_eq!(control.connections, 1, "{control:?}");
    assert_eq!(control.aborted_connects, 1, "{control:?}");
    assert!(control.error_log_lines >= 1, "{control:?}");
    let runs: [(&str, Vec<&str>); 3] = [
        ("inspect", vec!["inspect", "--fail-on", "never"]),
        ("recommend", vec!["recommend", "--fail-on", "never"]),
        (
            "explain --target",
            vec![
                "explain",
                "--fail-on",
                "never",
                "(2006, 'MySQL server has gone away')",
                "--target",
            ],
        ),
    ];
    for (name, args) in runs {
        for format in ["table", "json"] {
            let fp = meter.measure(|| {
                let r = run(poolcheck().args(&args).arg(&url).args(["--format", format]));
                assert_eq!(r.code, 0, "{name}: {}", r.stderr);
            });
            println!("{name} --format {format}: {fp:?}");
            assert_eq!(
                fp,
                Footprint {
                    connections: 1,
                    ..Footprint::default()
                },
                "{name} --format {format}"
            );
        }
    }
    // The explicit modes cost the same.
    for mode in ["DISABLED", "PREFERRED"] {
        let fp = meter.measure(|| {
            let r = run(poolcheck()
                .args(["inspect", "--fail-on", "never", "--ssl-mode", mode])
                .arg(&url));
            assert_eq!(r.code, 0, "{}", r.stderr);
        });
        println!("inspect --ssl-mode {mode}: {fp:?}");
        assert_eq!(
            fp,
            Footprint {
                connections: 1,
                ..Footprint::default()
            },
            "--ssl-mode {mode}"
        );
    }
}
