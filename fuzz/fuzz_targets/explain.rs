//! Fuzzes `explain::explain` (every recogniser, grouping and timing) and
//! renders the report as a table (with and without color) and as JSON,
//! because printing user text is where width and Unicode bugs hide.
//!
//! Input is decoded lossily, as `poolcheck explain --file` does.
//! Properties: group line numbers are within the lines read; the JSON is valid.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let report = poolcheck::explain::explain(&text);
    for g in &report.matches {
        assert!(
            1 <= g.first_line && g.first_line <= g.last_line && g.last_line <= report.lines_read,
            "group {} spans lines {}-{} of {}",
            g.id,
            g.first_line,
            g.last_line,
            report.lines_read
        );
        assert!(g.count >= 1);
    }
    poolcheck_fuzz::render_all(&report);
});
