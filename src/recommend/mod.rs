//! `poolcheck recommend`: pool settings for the user's framework and hosting
//! environment, from server facts, probe measurements and declared limits; and
//! a CI guard comparing the app's current settings with them.

pub mod frameworks;
pub mod hosting;
pub mod input;
pub mod model;
pub mod rules;

pub use frameworks::{Framework, FrameworkConfig, Setting, Version};
pub use model::*;
pub use rules::Inputs;

use crate::finding::{Finding, Summary};
use serde::{Deserialize, Serialize};

/// `--check` results: the app's settings as understood, and what is unsafe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub given: Vec<(String, String)>,
    pub current: Current,
    pub findings: Vec<Finding>,
}

/// The whole `recommend` result (also its `--format json` document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendReport {
    #[serde(flatten)]
    pub header: crate::schema::Header,
    pub framework: Framework,
    /// `--framework-version`, when given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub framework_version: Option<String>,
    /// Where the facts came from (live server, saved reports, flags).
    pub sources: Vec<String>,
    pub topology: Topology,
    pub recommendation: Recommendation,
    pub config: FrameworkConfig,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub check: Option<CheckResult>,
    /// The recommendation's own findings, then the check's.
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// The ids of the checks the rules evaluated (for reports that list
    /// passing checks too, such as JUnit); not part of the JSON document.
    #[serde(skip)]
    pub checks: Vec<String>,
}

/// Runs the rules, renders the framework's configuration, and checks the
/// app's current settings when given. Pure.
pub fn build_report(
    inputs: &Inputs,
    sources: Vec<String>,
    check: Option<Vec<(String, String)>>,
) -> Result<RecommendReport, String> {
    let mut ran = Vec::new();
    let recommendation = rules::recommend_noting(inputs, &mut ran);
    let app = frameworks::Deployment {
        topology: inputs.topology,
        version: inputs.framework_version,
    };
    let config = frameworks::render(inputs.framework, &recommendation, &app);
    let check = match check {
        Some(given) => {
            let current = frameworks::current_from_check(inputs.framework, &given)?;
            let findings = rules::check_noting(
                &current,
                &recommendation,
                inputs,
                &inputs.framework.spec().check_names,
                &mut ran,
            );
            Some(CheckResult {
                given,
                current,
                findings,
            })
        }
        None => None,
    };
    let mut findings = recommendation.findings.clone();
    if let Some(c) = &check {
        findings.extend(c.findings.iter().cloned());
    }
    Ok(RecommendReport {
        header: crate::schema::Header::new("recommend"),
        framework: inputs.framework,
        framework_version: inputs.framework_version.map(|v| v.to_string()),
        sources,
        topology: inputs.topology,
        summary: Summary::of(&findings),
        recommendation,
        config,
        check,
        findings,
        checks: ran.into_iter().map(String::from).collect(),
    })
}

/// Parses `KEY=VALUE,KEY=VALUE` (values may not contain commas).
pub fn parse_check(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            let shown = crate::error::shown(part, 40);
            return Err(format!("'{shown}' is not KEY=VALUE"));
        };
        let key = k.trim();
        if key.is_empty() {
            return Err("a --check entry has an empty key".into());
        }
        out.push((key.to_string(), v.trim().to_string()));
    }
    if out.is_empty() {
        return Err("--check names no settings".into());
    }
    Ok(out)
}

/// What was wrong with `--check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckProblem {
    /// Not `KEY=VALUE,...` ([`parse_check`]).
    Syntax,
    /// A key or value the framework does not take ([`build_report`]).
    Setting,
}

/// The `bad --check` error, with a hint listing the framework's keys.
pub fn bad_check(framework: Framework, problem: CheckProblem, message: &str) -> anyhow::Error {
    let name = framework.name();
    let keys = framework.spec().check_keys.join(", ");
    let hint = match problem {
        CheckProblem::Syntax => format!("write KEY=VALUE,... in {name}'s own names: {keys}"),
        CheckProblem::Setting => format!("{name} takes: {keys}"),
    };
    crate::error::hinted(format!("bad --check: {message}"), hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_syntax() {
        assert_eq!(
            parse_check("pool_recycle=3600, pool_pre_ping=false").unwrap(),
            vec![
                ("pool_recycle".to_string(), "3600".to_string()),
                ("pool_pre_ping".to_string(), "false".to_string())
            ]
        );
        assert!(
            parse_check("pool_recycle")
                .unwrap_err()
                .contains("not KEY=VALUE")
        );
        assert!(parse_check("=5").is_err());
        assert!(parse_check(" , ").is_err());
    }
}
