//! The docs keep up with the code: every finding id any subcommand can make,
//! and every skipped check, is documented in docs/checks.md.

use std::collections::BTreeSet;
use std::path::Path;

/// String literals that follow `Finding::new(` (on the same line or the next)
/// and `check:` in a `Skipped`, in every source file under src/.
fn ids_in_source() -> BTreeSet<String> {
    let literal = regex::Regex::new(r#"(?:Finding::new\(\s*|\bcheck:\s*)"([a-z0-9][a-z0-9-]*)""#)
        .expect("valid regex");
    let mut ids = BTreeSet::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                // Unit tests make findings with throwaway ids.
                if name.contains("tests") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("source is UTF-8");
                let text = text.split("#[cfg(test)]").next().unwrap_or_default();
                for cap in literal.captures_iter(text) {
                    ids.insert(cap[1].to_string());
                }
            }
        }
    }
    ids
}

#[test]
fn every_finding_id_is_documented() {
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md"))
            .expect("docs/checks.md");
    let mut ids = ids_in_source();
    // The scan must see the code: a broken pattern would pass with no ids.
    for known in [
        "wait-timeout-short",
        "silent-drop",
        "pre-ping-off",
        "idle-connections-other-accounts",
    ] {
        assert!(ids.contains(known), "the source scan missed {known}");
    }
    // explain's findings carry its problem kinds' ids.
    ids.extend(poolcheck::explain::catalogue().into_iter().map(|e| e.id));
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !docs.contains(&format!("`{id}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "finding ids not documented in docs/checks.md: {missing:?}"
    );
}
