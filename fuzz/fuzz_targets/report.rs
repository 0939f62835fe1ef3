//! Fuzzes the saved-report reader of `recommend --from`
//! (`recommend::input::parse_report`), then what `recommend` does with the
//! facts it read: `build_report` and both renderers.
//!
//! A report that deserializes as an inspect or probe report is also rendered
//! through `inspect`'s and `probe`'s own table and JSON renderers: their text
//! fields stand in for what a live server can send.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcheck::recommend::{self, Framework, Inputs, Topology, input::Gathered};
use poolcheck_fuzz::render_all;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut gathered = Gathered::default();
    if recommend::input::parse_report(text, "fuzz.json", &mut gathered).is_ok() {
        assert!(!gathered.sources.is_empty());
        for framework in [Framework::Sqlalchemy, Framework::Hikaricp] {
            let inputs = Inputs {
                framework,
                framework_version: None,
                server: gathered.server.clone(),
                measured: gathered.measured.clone(),
                declared_limit_s: None,
                hosting: None,
                topology: Topology {
                    instances: Some(1),
                    processes: Some(1),
                    threads: Some(1),
                    reserve: 10,
                },
                max_blob_bytes: Some(16 << 20),
                request_timeout_s: 30,
            };
            let report = recommend::build_report(&inputs, gathered.sources.clone(), None)
                .expect("no --check, no error");
            render_all(&report);
        }
    }
    if let Ok(r) = serde_json::from_str::<poolcheck::inspect::InspectReport>(text) {
        render_all(&r);
    }
    if let Ok(r) = serde_json::from_str::<poolcheck::probe::ProbeReport>(text) {
        render_all(&r);
    }
});
