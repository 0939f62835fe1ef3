//! Where recommend's facts come from: a live server (inspect's collection),
//! saved `inspect` / `probe` JSON reports (`--from`), or nothing.

use super::model::{Measured, OtherCount, ServerSide};
use crate::error::hinted;
use crate::inspect::{InspectReport, ServerFacts};
use crate::probe::{Outcome, ProbeReport};
use anyhow::Result;
use std::path::Path;

/// Facts gathered from every source, and a line per source for the report.
#[derive(Debug, Default)]
pub struct Gathered {
    pub server: ServerSide,
    pub measured: Option<Measured>,
    pub sources: Vec<String>,
}

/// Server facts as the rules want them. Neither our own connection nor the
/// app account's are "other clients": the account poolcheck logs in with is
/// the app's, so its connections are the pool the budget is for. They are
/// counted from the process list's idle (Sleep) groups of that user; a
/// connection of it busy at that moment still counts as another client's.
pub fn server_side(facts: &ServerFacts) -> ServerSide {
    let current = &facts.account.current_user;
    let user = current
        .rsplit_once('@')
        .map_or(current.as_str(), |(u, _)| u);
    let account_idle: u64 = facts
        .idle
        .groups
        .iter()
        .filter(|g| g.user == user)
        .map(|g| g.count)
        .sum();
    let threads = facts.capacity.threads_connected;
    ServerSide {
        session_wait_timeout_s: Some(facts.timeouts.wait_timeout_session_s),
        max_connections: Some(facts.capacity.max_connections),
        other_connections: Some(threads.saturating_sub(1).saturating_sub(account_idle)),
        other_count: Some(OtherCount {
            threads_connected: threads,
            account: user.to_string(),
            account_idle,
            all_accounts_visible: facts.idle.scope == "ok",
        }),
        max_user_connections: Some(facts.capacity.max_user_connections_account).filter(|n| *n > 0),
        max_allowed_packet_bytes: Some(facts.packets.max_allowed_packet_bytes),
    }
}

pub fn measured(report: &ProbeReport) -> Measured {
    let silent = report
        .rungs
        .iter()
        .flat_map(|r| r.connections.iter())
        .chain(report.tests.iter())
        .any(|c| c.outcome == Outcome::Blackholed);
    Measured {
        lo_s: report.cutoff.lo_s,
        hi_s: report.cutoff.hi_s,
        silent,
        verdict: report.verdict,
        keepalive_rescues: report.keepalive_rescues,
    }
}

/// Reads one saved report (`-` is stdin) into `into`, through the bounded
/// reader (regular files only, at most 16 MiB; stdin has the same cap).
pub fn read_report(path: &Path, into: &mut Gathered) -> Result<()> {
    use crate::input::{self, InputError, Kind};
    let (shown, read) = if path.as_os_str() == "-" {
        ("stdin".to_string(), input::read_stdin(Kind::SavedReport))
    } else {
        (
            path.display().to_string(),
            input::read(path, Kind::SavedReport),
        )
    };
    let (bytes, _) = read.map_err(InputError::into_anyhow)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| hinted(format!("{shown} is not JSON (not valid UTF-8)"), FROM_HINT))?;
    parse_report(&text, &shown, into)
}

const FROM_HINT: &str =
    "--from takes the JSON of `poolcheck inspect --format json` or `poolcheck probe --format json`";

pub fn parse_report(text: &str, shown: &str, into: &mut Gathered) -> Result<()> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| hinted(format!("{shown} is not JSON ({e})"), FROM_HINT))?;
    let version = value.get("schema_version").and_then(|v| v.as_u64());
    if version != Some(u64::from(crate::schema::SCHEMA_VERSION)) {
        return Err(hinted(
            format!(
                "{shown} has schema_version {}; this poolcheck reads {}",
                version.map_or("none".to_string(), |v| v.to_string()),
                crate::schema::SCHEMA_VERSION
            ),
            FROM_HINT,
        ));
    }
    match value.get("command").and_then(|c| c.as_str()) {
        Some("inspect") => {
            let report: InspectReport = serde_json::from_value(value).map_err(|e| {
                hinted(
                    format!("{shown}: not a complete inspect report ({e})"),
                    FROM_HINT,
                )
            })?;
            into.server = server_side(&report.facts);
            into.sources
                .push(format!("inspect report {shown} ({})", report.target.url));
        }
        Some("probe") => {
            let report: ProbeReport = serde_json::from_value(value).map_err(|e| {
                hinted(
                    format!("{shown}: not a complete probe report ({e})"),
                    FROM_HINT,
                )
            })?;
            if into.server.session_wait_timeout_s.is_none() {
                // The probe's own sessions may have set their wait_timeout; the
                // app's sessions start from the global value.
                into.server.session_wait_timeout_s = Some(report.wait_timeout_global_s);
            }
            into.measured = Some(measured(&report));
            into.sources
                .push(format!("probe report {shown} ({})", report.target.url));
        }
        other => {
            return Err(hinted(
                format!(
                    "{shown} is a poolcheck report of '{}', not of inspect or probe",
                    other
                        .unwrap_or("unknown")
                        .chars()
                        .take(20)
                        .collect::<String>()
                ),
                FROM_HINT,
            ));
        }
    }
    Ok(())
}

/// Parses sizes like `16M`, `64MiB`, `1G`, `4096`.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The app account's own idle connections are its pool, not other
    /// clients': with 27 of them open the budget is not 0 (#12).
    #[test]
    fn other_clients_leave_out_the_app_account() {
        let report: InspectReport =
            serde_json::from_str(include_str!("../report/testdata/inspect.json")).unwrap();
        let mut facts = report.facts;
        facts.capacity.threads_connected = 30;
        facts.account.current_user = "app@%".into();
        facts.idle.scope = "own-only".into();
        facts.idle.groups = vec![
            crate::inspect::IdleGroup {
                user: "app".into(),
                host: "10.0.0.5".into(),
                count: 20,
                max_idle_s: 5,
            },
            crate::inspect::IdleGroup {
                user: "app".into(),
                host: "10.0.0.6".into(),
                count: 7,
                max_idle_s: 9,
            },
        ];
        let s = server_side(&facts);
        // 30 - poolcheck's own - the app's 27.
        assert_eq!(s.other_connections, Some(2));
        let count = s.other_count.unwrap();
        assert_eq!(
            (count.account_idle, count.all_accounts_visible),
            (27, false)
        );
        facts.idle.groups[1].user = "reports".into();
        facts.idle.scope = "ok".into();
        assert_eq!(server_side(&facts).other_connections, Some(9));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("16M"), Some(16 << 20));
        assert_eq!(parse_size("64MiB"), Some(64 << 20));
        assert_eq!(parse_size("1g"), Some(1 << 30));
        assert_eq!(parse_size("2 KB"), Some(2048));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("-5M"), None);
        assert_eq!(parse_size("99999999999999G"), None);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let mut g = Gathered::default();
        let e =
            |t: &str, g: &mut Gathered| format!("{:#}", parse_report(t, "x.json", g).unwrap_err());
        assert!(e("not json", &mut g).contains("not JSON"));
        assert!(
            e(r#"{"schema_version": 2, "command": "inspect"}"#, &mut g)
                .contains("schema_version 2")
        );
        assert!(e(r#"{"schema_version": 1, "command": "proxy"}"#, &mut g).contains("'proxy'"));
        assert!(
            e(r#"{"schema_version": 1, "command": "inspect"}"#, &mut g)
                .contains("not a complete inspect report")
        );
    }
}
