//! Findings: what a check concluded, with a stable id, a severity and the
//! numbers behind it. Findings are data; they never mean "could not run".

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Crit,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Crit => "crit",
        }
    }
}

/// One conclusion. `id` is stable kebab-case and documented in docs/checks.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    pub message: String,
    /// The numbers the conclusion rests on, keyed with units in the name.
    pub evidence: BTreeMap<String, serde_json::Value>,
}

impl Finding {
    pub fn new(id: &str, severity: Severity, message: impl Into<String>) -> Finding {
        Finding {
            id: id.to_string(),
            severity,
            message: message.into(),
            evidence: BTreeMap::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Finding {
        self.evidence.insert(key.to_string(), value.into());
        self
    }
}

/// A check that could not be evaluated, and what it would need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub check: String,
    pub reason: String,
}

/// The `--fail-on` threshold: `None` means never fail on findings.
pub fn status_for(findings: &[Finding], fail_on: Option<Severity>) -> crate::exit::ExitStatus {
    match fail_on {
        Some(threshold) if findings.iter().any(|f| f.severity >= threshold) => {
            crate::exit::ExitStatus::Findings
        }
        _ => crate::exit::ExitStatus::Clean,
    }
}

/// Counts per severity, for the JSON summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub crit: usize,
    pub warn: usize,
    pub info: usize,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Summary {
        let count = |s| findings.iter().filter(|f| f.severity == s).count();
        Summary {
            crit: count(Severity::Crit),
            warn: count(Severity::Warn),
            info: count(Severity::Info),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::ExitStatus;

    fn f(s: Severity) -> Finding {
        Finding::new("x", s, "m")
    }

    #[test]
    fn fail_on_thresholds() {
        let info = [f(Severity::Info)];
        let warn = [f(Severity::Info), f(Severity::Warn)];
        assert_eq!(status_for(&info, Some(Severity::Warn)), ExitStatus::Clean);
        assert_eq!(
            status_for(&info, Some(Severity::Info)),
            ExitStatus::Findings
        );
        assert_eq!(
            status_for(&warn, Some(Severity::Warn)),
            ExitStatus::Findings
        );
        assert_eq!(status_for(&warn, Some(Severity::Crit)), ExitStatus::Clean);
        assert_eq!(status_for(&warn, None), ExitStatus::Clean);
        assert_eq!(status_for(&[], Some(Severity::Info)), ExitStatus::Clean);
    }

    #[test]
    fn summary_counts() {
        let s = Summary::of(&[f(Severity::Crit), f(Severity::Info), f(Severity::Info)]);
        assert_eq!((s.crit, s.warn, s.info), (1, 0, 2));
    }
}
