//! `poolcheck inspect`: collect the server facts that decide whether pooled
//! connections survive, and evaluate them into findings. Returns data; never prints.

mod checks;
mod collect;
mod facts;

pub use checks::{Refusals, checks_evaluated, evaluate, human_bytes, refusals};
pub use collect::collect_facts;
pub use facts::*;

use crate::db::Session;
use crate::finding::Summary;
use anyhow::Result;

/// Runs the whole inspection on an open session.
pub fn inspect(session: &mut Session, target: TargetInfo) -> Result<InspectReport> {
    let facts = collect_facts(session)?;
    Ok(InspectReport::build(target, facts))
}

impl InspectReport {
    /// Assembles the report from collected facts (pure; used by tests too).
    pub fn build(target: TargetInfo, facts: ServerFacts) -> InspectReport {
        let (findings, skipped) = evaluate(&facts);
        InspectReport {
            header: crate::schema::Header::new("inspect"),
            target,
            summary: Summary::of(&findings),
            facts,
            findings,
            skipped,
        }
    }
}
