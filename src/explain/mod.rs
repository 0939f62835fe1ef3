//! `poolcheck explain`: from an error message or a whole log to the likely
//! cause, what to check, and the fix for the framework the text came through.
//! Pure: no I/O; the command reads the input and prints the report.
//!
//! The recognisers are data (`patterns.rs`: kinds, message patterns, layers,
//! idle limits; `frameworks.rs`: checks and fixes per framework). Scanning is
//! one linear pass (`recognize.rs`), then grouping and timing (`group.rs`),
//! wording (`advice.rs`), and optionally a live server's verdicts (`confirm.rs`).

mod advice;
mod confirm;
mod frameworks;
mod group;
mod model;
mod patterns;
mod recognize;
mod text;
mod timestamp;

#[cfg(test)]
mod tests;

pub use model::*;

/// Explains text (an error message or a whole log). Pure; never panics on any input.
pub fn explain(text: &str) -> ExplainReport {
    let scan = recognize::scan(text);
    let matches = group::groups(&scan);
    ExplainReport {
        schema_version: SCHEMA_VERSION,
        tool: crate::report::Tool {
            name: "poolcheck".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        command: "explain".into(),
        lines_read: scan.lines_read,
        findings: group::findings(&matches),
        summary: group::summary(scan.lines_read, &matches, scan.unrecognised),
        unrecognised_lines: scan.unrecognised,
        matches,
        server: None,
    }
}

/// Every message pattern `explain` recognises, in priority order (patterns
/// that only add numbers to an error, such as SQLAlchemy's background link, are
/// left out).
pub fn catalogue() -> Vec<CatalogueEntry> {
    patterns::catalogue()
}

/// Adds what a live server says (confirms / rules out each group's cause).
pub fn confirm(report: &mut ExplainReport, facts: &crate::inspect::ServerFacts) {
    confirm::apply(report, facts);
}
