//! Open-file headroom. Every flow holds two sockets, so the default 1000
//! flows need about 2000 descriptors: twice the soft limit of 1024 that many
//! logins and service managers start with. Past the limit, accept() fails
//! with EMFILE and clients wait in the listen backlog, neither served nor
//! refused. So the proxy raises its soft limit as far as `--max-flows`
//! needs (never past the hard limit), and when even that is too low it
//! serves fewer flows and says so: extra clients are then refused and
//! logged like any client past `--max-flows`.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors besides the flows': stdio, the listener, the signal pipe, a
/// client accepted only to be refused, and slack.
const SPARE: u64 = 32;

/// The open-files limit the proxy runs with, and the flows it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFiles {
    /// The soft limit before and after raising it.
    pub soft_before: u64,
    pub soft: u64,
    /// `None`: unlimited.
    pub hard: Option<u64>,
    /// At most `max_flows` as asked, fewer when the limit cannot fit them.
    pub flows: usize,
}

/// Descriptors `max_flows` flows need.
pub fn needed(max_flows: usize) -> u64 {
    2 * max_flows as u64 + SPARE
}

/// Flows that fit in a soft limit.
pub fn flows_within(soft: u64) -> usize {
    usize::try_from(soft.saturating_sub(SPARE) / 2).unwrap_or(usize::MAX)
}

/// Raises this process's soft open-files limit to what `max_flows` needs
/// (at most the hard limit; never lowers it) and says how many flows fit.
pub fn fit(max_flows: usize) -> OpenFiles {
    let limit = getrlimit(Resource::Nofile);
    // `None` is RLIM_INFINITY.
    let soft_before = limit.current.unwrap_or(u64::MAX);
    let want = needed(max_flows);
    let mut soft = soft_before;
    if soft_before < want {
        let target = limit.maximum.map_or(want, |hard| hard.min(want));
        if target > soft_before
            && setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(target),
                    maximum: limit.maximum,
                },
            )
            .is_ok()
        {
            soft = target;
        }
    }
    OpenFiles {
        soft_before,
        soft,
        hard: limit.maximum,
        flows: max_flows.min(flows_within(soft)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_descriptors_per_flow_plus_spare() {
        assert_eq!(needed(1000), 2032);
        assert_eq!(flows_within(1024), 496);
        assert_eq!(flows_within(2032), 1000);
        assert_eq!(flows_within(10), 0);
    }

    #[test]
    fn fit_never_lowers_the_limit_and_keeps_what_fits() {
        let before = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
        let small = fit(1);
        assert_eq!(small.flows, 1);
        assert_eq!(small.soft, before);
        let after = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
        assert!(after >= before);
    }
}
