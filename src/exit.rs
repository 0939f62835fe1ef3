//! The documented exit codes. They are public API: never renumber them.

/// How a poolcheck run ended, as seen by a shell or a CI job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// 0: ran, and no finding reached the `--fail-on` threshold.
    Clean,
    /// 1: ran, and at least one finding is at or above `--fail-on`.
    Findings,
    /// 2: could not run (bad usage, connect, authentication, privilege, timeout).
    Error,
    /// 130: interrupted by Ctrl-C or SIGTERM; a partial report was printed.
    Interrupted,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
            ExitStatus::Interrupted => 130,
        }
    }

    /// Combines the outcomes of several parts of one run: an interruption beats
    /// "could not run", which beats findings, which beat a clean run.
    pub fn merge(self, other: ExitStatus) -> ExitStatus {
        self.max(other)
    }
}

/// The exit-code table shown in `--help`, as a literal so help texts can
/// `concat!` it.
#[macro_export]
macro_rules! exit_codes_help {
    () => {
        "Exit codes:
  0    ran; no finding at or above --fail-on
  1    ran; at least one finding at or above --fail-on
  2    could not run (usage, connect, authentication, privilege, timeout)
  130  interrupted (Ctrl-C / SIGTERM)"
    };
}

pub const EXIT_CODES_HELP: &str = exit_codes_help!();

#[cfg(test)]
mod tests {
    use super::ExitStatus::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(
            [Clean, Findings, Error, Interrupted].map(|s| s.code()),
            [0, 1, 2, 130]
        );
    }

    #[test]
    fn error_beats_findings_beats_clean() {
        assert_eq!(Clean.merge(Findings), Findings);
        assert_eq!(Findings.merge(Clean), Findings);
        assert_eq!(Findings.merge(Error), Error);
        assert_eq!(Error.merge(Clean), Error);
        assert_eq!(Clean.merge(Clean), Clean);
        assert_eq!(Error.merge(Interrupted), Interrupted);
    }
}
