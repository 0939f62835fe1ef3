//! Fuzzes `target::parse_url` and `target::resolve` with a URL as the only source.
//!
//! The first byte picks the shape of the input:
//! - even: the rest is the URL, as a user would paste it;
//! - odd: the rest is `PASSWORD\nREST` and the URL is `mysql://app:Zq{PASSWORD}@{REST}`.
//!   No error message, `Debug` output, printed error or display URL may then
//!   contain the marker `Zq`, because nothing poolcheck says about a URL
//!   quotes it (only the scheme, which is fixed here).
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcheck::target::{self, ConnectFlags, Environment, optfile::OptionSet};

const MARKER: &str = "Zq";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if mode % 2 == 0 {
        exercise(text, false);
    } else {
        let (password, tail) = text.split_once('\n').unwrap_or((text, ""));
        exercise(&format!("mysql://app:{MARKER}{password}@{tail}"), true);
    }
});

fn exercise(url: &str, marked: bool) {
    match target::parse_url(url) {
        Ok(parts) => {
            if marked {
                // Every field but the password, as Debug shows them.
                let public = format!(
                    "{:?}{:?}{:?}{:?}{:?}",
                    parts.host, parts.user, parts.database, parts.socket, parts.ignored_params
                );
                let debug = format!("{parts:?}");
                assert!(
                    public.contains(MARKER) || !debug.contains(MARKER),
                    "UrlParts Debug shows the password: {debug}"
                );
            }
        }
        Err(e) => {
            if marked {
                assert_clean(&format!("{e}"));
                assert_clean(&format!("{e:#}"));
                assert_clean(&format!("{e:?}"));
                assert_clean(&poolcheck::report::format_error(&e, false));
            }
        }
    }

    // The whole resolution with only the URL: what `inspect URL` would connect to.
    let flags = ConnectFlags {
        target: Some(url.to_string()),
        ..ConnectFlags::default()
    };
    let mut prompt = |_: &str| -> anyhow::Result<target::Secret> {
        panic!("a URL alone never makes resolve prompt")
    };
    match target::resolve(
        &flags,
        &Environment::default(),
        &OptionSet::default(),
        &mut prompt,
    ) {
        Ok(resolved) => {
            let shown = resolved.spec.display_url();
            let _ = resolved.spec.address();
            if marked {
                let public = format!(
                    "{:?}{:?}{:?}{:?}",
                    resolved.spec.endpoint,
                    resolved.spec.user,
                    resolved.spec.database,
                    resolved.notes
                );
                if !public.contains(MARKER) {
                    assert!(!shown.contains(MARKER), "display_url shows the password");
                    for note in &resolved.notes {
                        assert!(!note.contains(MARKER), "a note shows the password");
                    }
                    assert!(!format!("{:?}", resolved.spec).contains(MARKER));
                }
            }
        }
        Err(e) => {
            if marked {
                assert_clean(&format!("{e:#}"));
                assert_clean(&poolcheck::report::format_error(&e, false));
            }
        }
    }
}

fn assert_clean(text: &str) {
    assert!(
        !text.contains(MARKER),
        "an error about a URL quotes its password: {text}"
    );
}
