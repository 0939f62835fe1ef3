//! Python venvs with packages from PyPI, each created once under cargo's
//! target dir and reused by later runs: SQLAlchemy's, SQLAlchemy asyncio's,
//! Flask-SQLAlchemy's and Django's proofs each have their own.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const SQLALCHEMY: &[&str] = &["SQLAlchemy>=2.0,<3", "PyMySQL>=1.1,<2"];
const FLASK: &[&str] = &["Flask-SQLAlchemy>=3.1,<4", "PyMySQL>=1.1,<2"];
/// mysqlclient builds against libmariadb-dev (scripts/install-deps.sh).
const DJANGO: &[&str] = &["Django>=5.2,<6", "PyMySQL>=1.1,<2", "mysqlclient>=2.2,<3"];

/// SQLAlchemy's asyncio engine with both asyncio drivers.
const ASYNCIO: &[&str] = &[
    "SQLAlchemy[asyncio]>=2.0,<3",
    "asyncmy>=0.2.9,<0.3",
    "aiomysql>=0.2,<0.4",
];

/// The SQLAlchemy + PyMySQL venv's python.
pub fn python() -> &'static PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| venv("sqlalchemy-venv", SQLALCHEMY))
}

/// The Flask-SQLAlchemy + PyMySQL venv's python.
pub fn flask_python() -> &'static PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| venv("flask-venv", FLASK))
}

/// The Django + PyMySQL + mysqlclient venv's python.
pub fn django_python() -> &'static PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| venv("django-venv", DJANGO))
}

/// The SQLAlchemy asyncio + asyncmy + aiomysql venv's python.
pub fn asyncio_python() -> &'static PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| venv("sqlalchemy-asyncio-venv", ASYNCIO))
}

/// The venv `name` with `requirements`, created on first use (or when the
/// requirements changed); returns its python.
fn venv(name: &str, requirements: &[&str]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let python = dir.join("bin/python");
    let ready = dir.join(".ready");
    let wanted = requirements.join("\n");
    if std::fs::read_to_string(&ready).ok().as_deref() == Some(wanted.as_str()) {
        return python;
    }
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
        .args(requirements)
        .output()
        .expect("pip ran");
    assert!(
        out.status.success(),
        "pip install {requirements:?} failed (scripts/install-deps.sh installs what builds need):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&ready, wanted).unwrap();
    python
}
