//! Fuzzes `target::optfile::parse_str` (the `.my.cnf` reader), then
//! `target::resolve` with the options read as the only source.
//!
//! The first byte picks the shape of the input:
//! - even: the rest is the option file;
//! - odd: the file is `[client]\npassword=Zq{rest}`, so the password starts
//!   with the marker `Zq`. Unless another, non-secret option also holds the
//!   marker, neither the set's `Debug`, an error about line 2, the display
//!   URL, the notes nor a resolve error may contain it.
//!
//! Inputs with an `!include`/`!includedir` directive are skipped: those read
//! the disk, which would make runs depend on the machine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcheck::target::{self, ConnectFlags, Environment, optfile};
use std::path::Path;

const MARKER: &str = "Zq";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if text.contains("include") {
        return;
    }
    let marked = mode % 2 == 1;
    let text = if marked {
        format!("[client]\npassword={MARKER}{text}")
    } else {
        text.to_string()
    };

    let mut set = optfile::OptionSet::default();
    let parsed = optfile::parse_str(
        &text,
        Path::new("/fuzz/my.cnf"),
        poolcheck::config::OPTION_GROUPS,
        &mut set,
    );

    // What may legitimately show the marker: names, and values of options that
    // cannot hold a password, also as messages show them (control characters
    // dropped: `port=Z\x05q` is shown as `Zq`).
    let public: String = set
        .iter()
        .map(|(name, value)| {
            if is_secret(name) {
                name.to_string()
            } else {
                let raw = value.value.clone().unwrap_or_default();
                let shown: String = raw.chars().filter(|c| !c.is_control()).collect();
                format!("{name}{:?}{raw}{shown}", value.value)
            }
        })
        .collect();
    let quiet = !marked || public.contains(MARKER);

    if let Err(e) = &parsed {
        let _ = e.to_string();
        if marked && e.line == Some(2) {
            assert!(
                !e.to_string().contains(MARKER),
                "an error about the password line quotes it: {e}"
            );
        }
    }
    if !quiet {
        let debug = format!("{set:?}");
        assert!(
            !debug.contains(MARKER),
            "OptionSet Debug shows a password: {debug}"
        );
    }

    // Even a partly read file is resolved: load() stops at the error, but the
    // options before it must be safe to use and show.
    let flags = ConnectFlags {
        ..ConnectFlags::default()
    };
    let mut prompt =
        |_: &str| -> anyhow::Result<target::Secret> { Err(anyhow::anyhow!("no terminal")) };
    match target::resolve(&flags, &Environment::default(), &set, &mut prompt) {
        Ok(resolved) => {
            let shown = resolved.spec.display_url();
            let _ = resolved.spec.address();
            if !quiet {
                assert!(!shown.contains(MARKER), "display_url shows the password");
                for note in &resolved.notes {
                    assert!(!note.contains(MARKER), "a note shows the password: {note}");
                }
                assert!(!format!("{:?}", resolved.spec).contains(MARKER));
            }
        }
        Err(e) => {
            let printed = poolcheck::report::format_error(&e, false);
            if !quiet {
                assert!(
                    !printed.contains(MARKER),
                    "resolve error shows the password"
                );
                assert!(!format!("{e:?}").contains(MARKER));
            }
        }
    }
});

/// Mirrors the option-file reader's rule for names that may hold a password
/// (`password`, `password1`, `ssl-key-password`, abbreviations such as `pass`).
fn is_secret(name: &str) -> bool {
    name.contains("password") || name.contains("passwd") || "password".starts_with(name)
}
