//! Host name resolution, once per run and within the connect deadline: every
//! later connection to the same host reuses the first answer, so a slow
//! resolver costs its delay once, inside `--connect-timeout`, and is named as
//! the phase that ran out of time.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Why the addresses of a host are not known.
#[derive(Debug)]
pub enum ResolveError {
    /// The resolver answered: no such host (or it failed).
    Failed(std::io::Error),
    /// The resolver did not answer before the deadline.
    Deadline,
    /// Ctrl-C or SIGTERM while waiting.
    Interrupted,
}

/// The resolver's answer, kept as plain data so every caller can rebuild it.
type Answer = Result<Vec<IpAddr>, (std::io::ErrorKind, String)>;

/// One lookup, shared by every connection of the run that needs the host.
#[derive(Default)]
struct Lookup {
    answer: Mutex<Option<Answer>>,
    done: Condvar,
}

fn table() -> &'static Mutex<HashMap<String, Arc<Lookup>>> {
    static TABLE: OnceLock<Mutex<HashMap<String, Arc<Lookup>>>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

/// How many lookups this process has started (for tests: one per host).
pub fn lookups_started() -> usize {
    table().lock().map(|t| t.len()).unwrap_or(0)
}

/// The addresses of `host` with `port`, in the resolver's order. An IP literal
/// is used as is. A name is looked up once per process on a helper thread;
/// callers wait for that one answer until their own `deadline`, so a
/// resolver that never answers cannot hold a connect past it.
pub fn addresses(
    host: &str,
    port: u16,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, ResolveError> {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let lookup = {
        let mut table = table().lock().unwrap_or_else(|e| e.into_inner());
        match table.get(host) {
            Some(l) => l.clone(),
            None => {
                let l = Arc::new(Lookup::default());
                table.insert(host.to_string(), l.clone());
                start_lookup(host.to_string(), l.clone());
                l
            }
        }
    };
    let mut answer = lookup.answer.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(result) = answer.as_ref() {
            return match result {
                Ok(ips) => Ok(ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect()),
                Err((kind, text)) => Err(ResolveError::Failed(std::io::Error::new(
                    *kind,
                    text.clone(),
                ))),
            };
        }
        if crate::signal::interrupted() {
            return Err(ResolveError::Interrupted);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ResolveError::Deadline);
        }
        // Short slices so a signal is noticed while the resolver is slow.
        answer = lookup
            .done
            .wait_timeout(answer, left.min(Duration::from_millis(100)))
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// Runs the system resolver (getaddrinfo: /etc/hosts, then DNS, as the
/// MySQL clients do) on its own thread; it ends by itself when the resolver
/// gives up, even if nobody waits any more.
fn start_lookup(host: String, lookup: Arc<Lookup>) {
    let fill = move |result| {
        *lookup.answer.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        lookup.done.notify_all();
    };
    let spawned = std::thread::Builder::new()
        .name("poolcheck-resolve".into())
        .spawn({
            let host = host.clone();
            let fill = fill.clone();
            move || {
                let result = (host.as_str(), 0)
                    .to_socket_addrs()
                    .map(|addrs| {
                        let mut ips: Vec<IpAddr> = Vec::new();
                        for a in addrs {
                            if !ips.contains(&a.ip()) {
                                ips.push(a.ip());
                            }
                        }
                        ips
                    })
                    .map_err(|e| (e.kind(), e.to_string()));
                fill(result);
            }
        });
    if let Err(e) = spawned {
        fill(Err((
            e.kind(),
            format!("could not start the resolver thread: {e}"),
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lookup counter is process-wide: tests that read it take turns.
    static COUNTER: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn ip_literals_need_no_lookup() {
        let _turn = COUNTER.lock().unwrap_or_else(|e| e.into_inner());
        let soon = Instant::now() + Duration::from_secs(1);
        let before = lookups_started();
        assert_eq!(
            addresses("127.0.0.1", 3306, soon).unwrap(),
            vec!["127.0.0.1:3306".parse().unwrap()]
        );
        assert_eq!(
            addresses("::1", 33, soon).unwrap(),
            vec!["[::1]:33".parse().unwrap()]
        );
        assert_eq!(
            addresses("[::1]", 33, soon).unwrap(),
            vec!["[::1]:33".parse().unwrap()]
        );
        assert_eq!(lookups_started(), before);
    }

    #[test]
    fn a_name_is_looked_up_once_and_reused_with_any_port() {
        let _turn = COUNTER.lock().unwrap_or_else(|e| e.into_inner());
        let soon = Instant::now() + Duration::from_secs(5);
        let first = addresses("localhost", 1, soon).unwrap();
        let count = lookups_started();
        let second = addresses("localhost", 2, soon).unwrap();
        assert_eq!(lookups_started(), count);
        assert!(!first.is_empty());
        assert_eq!(
            first.iter().map(|a| a.ip()).collect::<Vec<_>>(),
            second.iter().map(|a| a.ip()).collect::<Vec<_>>()
        );
        assert!(second.iter().all(|a| a.port() == 2));
    }
}
