//! Fuzzes `recommend --check`: `recommend::parse_check`, then every
//! framework's reading of the pairs (`frameworks::current_from_check`) through
//! `recommend::build_report`, rendered as a table and as JSON.
//!
//! Properties: accepted pairs are non-empty, have non-empty trimmed keys and
//! no commas; the JSON rendering is valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcheck::recommend::{self, Framework, Inputs, Topology};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(pairs) = recommend::parse_check(text) else {
        return;
    };
    assert!(!pairs.is_empty());
    for (key, value) in &pairs {
        assert!(!key.is_empty() && key.trim() == key, "bad key {key:?}");
        assert!(value.trim() == value, "untrimmed value {value:?}");
        assert!(!key.contains(',') && !value.contains(','));
    }
    for framework in Framework::ALL {
        let inputs = Inputs {
            framework,
            framework_version: None,
            server: Default::default(),
            measured: None,
            declared_limit_s: Some(300.0),
            hosting: None,
            topology: Topology {
                instances: Some(2),
                processes: Some(4),
                threads: Some(8),
                reserve: 10,
            },
            max_blob_bytes: None,
            request_timeout_s: 30,
        };
        let Ok(report) = recommend::build_report(&inputs, vec!["fuzz".into()], Some(pairs.clone()))
        else {
            continue;
        };
        poolcheck_fuzz::render_all(&report);
    }
});
