//! `poolcheck explain`: from an error message or a whole log to the likely
//! cause, what to check, and the fix for the framework the text came through.
//! Pure: no I/O; the command reads the input and prints the report.
//!
//! The recognisers are data (`patterns.rs`: kinds, message patterns, layers,
//! idle limits; `frameworks.rs`: checks and fixes per framework). Scanning is
//! one linear pass (`recognize.rs`, which builds `occurrence.rs`'s records),
//! then grouping and timing (`group.rs`), wording (`advice.rs`), and
//! optionally a live server's verdicts (`confirm.rs`).

mod advice;
mod confirm;
mod frameworks;
mod group;
mod lines;
mod model;
mod occurrence;
mod patterns;
mod prefilter;
mod recognize;
mod stacks;
mod text;
mod timestamp;
mod words;

#[cfg(test)]
mod tests;

pub use model::*;

/// Explains text (an error message or a whole log). Pure; never panics on any input.
pub fn explain(text: &str) -> ExplainReport {
    explain_reader(text.as_bytes()).expect("reading from memory does not fail")
}

/// Explains a stream, line by line: memory does not grow with its length
/// (lines are cut at 10,000 bytes for matching). Fails only when reading fails.
pub fn explain_reader(reader: impl std::io::BufRead) -> std::io::Result<ExplainReport> {
    let scan = recognize::scan(reader)?;
    let matches = scan.groups;
    let findings = group::findings(&matches);
    Ok(ExplainReport {
        header: crate::schema::Header::new("explain"),
        lines_read: scan.lines_read,
        summary: crate::finding::Summary::of(&findings),
        findings,
        summary_text: group::summary(scan.lines_read, &matches, scan.unrecognised),
        unrecognised_lines: scan.unrecognised,
        matches,
        server: None,
    })
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
