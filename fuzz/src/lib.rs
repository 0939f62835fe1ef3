//! What the fuzz targets share: rendering a report in every format to memory.

use poolcheck::finding::Severity;
use poolcheck::report::{Format, RenderOpts, Report, render};

/// Renders `report` in every format: tables plain and coloured, on no
/// terminal and on a narrow one, JSON, JUnit and GitHub annotations.
/// Rendering to memory must not fail, and the JSON must parse.
pub fn render_all(report: &impl Report) {
    let table = |color, width| (Format::Table, color, width);
    for (format, color, width) in [
        table(false, None),
        table(true, Some(60)),
        (Format::Json, false, None),
        (Format::Junit, false, None),
        (Format::Github, false, None),
    ] {
        let opts = RenderOpts {
            format,
            color,
            width,
            fail_on: Some(Severity::Warn),
        };
        let mut out = Vec::new();
        render(report, &opts, &mut out).expect("rendering to memory does not fail");
        if format == Format::Json {
            serde_json::from_slice::<serde_json::Value>(&out).expect("valid JSON");
        }
    }
}
