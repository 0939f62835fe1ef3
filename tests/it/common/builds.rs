//! The non-Python proof apps' builds, each done once per test binary and kept
//! under cargo's target dir: node mysql2 and the node ORMs from npm (the ORM
//! apps pinned by their own package-lock.json), the Go app built offline
//! against Debian's go-sql-driver (scripts/install-deps.sh installs both
//! runtimes), the sqlx app with cargo from crates.io (its own Cargo.lock).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const APPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/apps");
const MYSQL2: &str = "mysql2@>=3.11.1 <4";

fn target_tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn checked(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e} (run scripts/install-deps.sh)"));
    assert!(
        out.status.success(),
        "{what} failed (run scripts/install-deps.sh):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The node_modules dir holding mysql2, installed from npm on first use.
pub fn node_modules() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = target_tmp("node-mysql2");
        let ready = dir.join(".ready");
        if std::fs::read_to_string(&ready).ok().as_deref() != Some(MYSQL2) {
            std::fs::create_dir_all(&dir).unwrap();
            checked(
                Command::new("npm")
                    .args([
                        "install",
                        "--no-audit",
                        "--no-fund",
                        "--no-save",
                        "--prefix",
                    ])
                    .arg(&dir)
                    .arg(MYSQL2),
                "npm install mysql2",
            );
            std::fs::write(&ready, MYSQL2).unwrap();
        }
        dir.join("node_modules")
    })
}

/// `npm ci` of tests/apps/APP's package.json and package-lock.json into
/// cargo's target dir, once per test binary (again only when the lockfile
/// changed; npm's cache makes a repeat quick): the node_modules dir to give
/// the app as NODE_PATH.
fn npm_ci(app: &str) -> PathBuf {
    let dir = target_tmp(&format!("npm-{app}"));
    let lock = std::fs::read_to_string(format!("{APPS}/{app}/package-lock.json"))
        .unwrap_or_else(|e| panic!("tests/apps/{app}/package-lock.json: {e}"));
    let ready = dir.join(".ready");
    if std::fs::read_to_string(&ready).ok().as_deref() != Some(lock.as_str()) {
        std::fs::create_dir_all(&dir).unwrap();
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(format!("{APPS}/{app}/{file}"), dir.join(file)).unwrap();
        }
        checked(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir),
            &format!("npm ci tests/apps/{app}"),
        );
        std::fs::write(&ready, &lock).unwrap();
    }
    dir.join("node_modules")
}

/// knex and mysql2 for tests/apps/knex.
pub fn knex_modules() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| npm_ci("knex"))
}

/// Sequelize and mysql2 for tests/apps/sequelize.
pub fn sequelize_modules() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| npm_ci("sequelize"))
}

/// TypeORM and mysql2 for tests/apps/typeorm.
pub fn typeorm_modules() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| npm_ci("typeorm"))
}

/// The Go app's binary, built once per test binary, offline (GOPATH mode
/// against Debian's /usr/share/gocode).
pub fn go_app() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = target_tmp("go-app");
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("app");
        checked(
            Command::new("go")
                .args(["build", "-o"])
                .arg(&bin)
                .arg(format!("{APPS}/go/main.go"))
                .env("GOPATH", "/usr/share/gocode")
                .env("GO111MODULE", "off")
                .env("GOCACHE", dir.join("cache"))
                .env("GOPROXY", "off"),
            "go build tests/apps/go",
        );
        bin
    })
}

/// Debian's jars the HikariCP app compiles and runs against.
const JARS: &[&str] = &[
    "/usr/share/java/HikariCP.jar",
    "/usr/share/java/slf4j-api.jar",
    "/usr/share/java/slf4j-nop.jar",
    "/usr/share/java/mariadb-java-client.jar",
];

/// The classpath running the HikariCP app, compiled once per test binary.
pub fn hikaricp_classpath() -> &'static String {
    static CP: OnceLock<String> = OnceLock::new();
    CP.get_or_init(|| {
        let dir = target_tmp("hikaricp-app");
        std::fs::create_dir_all(&dir).unwrap();
        let jars = JARS.join(":");
        checked(
            Command::new("javac")
                .args(["-cp", &jars, "-d"])
                .arg(&dir)
                .arg(format!("{APPS}/hikaricp/App.java")),
            "javac tests/apps/hikaricp/App.java",
        );
        format!("{}:{jars}", dir.display())
    })
}

/// Writes `text` to `path` unless it already holds it (an unchanged mtime
/// keeps cargo's fingerprint fresh).
fn write_if_changed(path: &std::path::Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}

/// The sqlx app's binary: its own cargo project, kept in tests/apps/sqlx as
/// manifest.toml, Cargo.lock and main.rs (no Cargo.toml there, so it is no
/// nested package of poolcheck's), assembled under cargo's target dir and
/// built with --locked into its own target dir next to it. After the first
/// build (2.5 minutes from nothing on 2 busy cores, a minute of CPU) cargo
/// finds it fresh in well under a second.
pub fn sqlx_app() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = target_tmp("sqlx-app");
        let project = dir.join("project");
        std::fs::create_dir_all(project.join("src")).unwrap();
        for (from, to) in [
            ("manifest.toml", "Cargo.toml"),
            ("Cargo.lock", "Cargo.lock"),
            ("main.rs", "src/main.rs"),
        ] {
            let text = std::fs::read_to_string(format!("{APPS}/sqlx/{from}")).unwrap();
            write_if_changed(&project.join(to), &text);
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        checked(
            Command::new(cargo)
                .args(["build", "--locked", "--quiet", "--manifest-path"])
                .arg(project.join("Cargo.toml"))
                .env("CARGO_TARGET_DIR", &dir),
            "cargo build tests/apps/sqlx",
        );
        dir.join("debug/poolcheck-sqlx-proof")
    })
}
