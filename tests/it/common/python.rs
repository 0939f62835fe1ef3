//! A Python venv with SQLAlchemy and PyMySQL from PyPI, created once under
//! cargo's target dir and reused by later runs.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const REQUIREMENTS: &[&str] = &["SQLAlchemy>=2.0,<3", "PyMySQL>=1.1,<2"];

/// The venv's python, creating the venv on first use.
pub fn python() -> &'static PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sqlalchemy-venv");
        let python = dir.join("bin/python");
        let ready = dir.join(".ready");
        if !ready.exists() {
            let status = Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(&dir)
                .status()
                .expect("python3 runs (install it: apt-get install python3 python3-venv)");
            assert!(
                status.success(),
                "python3 -m venv failed (apt-get install python3-venv)"
            );
            let out = Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(REQUIREMENTS)
                .output()
                .expect("pip ran");
            assert!(
                out.status.success(),
                "pip install {REQUIREMENTS:?} failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::fs::write(&ready, REQUIREMENTS.join("\n")).unwrap();
        }
        python
    })
}
