//! SQLAlchemy's asyncio engine on a real app, over asyncmy and over aiomysql
//! (tests/apps/sqlalchemy_asyncio/), through the rig in common/proof.rs: fin,
//! rst, blackhole and nat at a 3 s cutoff; the 40 s silent drop runs with every
//! framework's in framework_proofs.rs.

use crate::common::proof::{App, prove_short, within_reach};
use crate::common::python::asyncio_python;
use crate::sqlalchemy_proof::defaults;
use std::process::Command;

const APP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/apps/sqlalchemy_asyncio/app.py"
);

fn command(driver: &str, port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    let mut cmd = Command::new(asyncio_python());
    cmd.arg(APP)
        .arg(driver)
        .arg(port.to_string())
        .arg(settings.to_string())
        .arg(idle_s.to_string());
    cmd
}

pub const ASYNCMY: App = App {
    framework: "sqlalchemy-asyncio",
    name: "sqlalchemy-asyncio+asyncmy",
    version: "2.0",
    command: |port, settings, idle_s| command("asyncmy", port, settings, idle_s),
    defaults,
    beyond_reach: within_reach,
};

pub const AIOMYSQL: App = App {
    framework: "sqlalchemy-asyncio",
    name: "sqlalchemy-asyncio+aiomysql",
    version: "2.0",
    command: |port, settings, idle_s| command("aiomysql", port, settings, idle_s),
    defaults,
    beyond_reach: within_reach,
};

#[test]
fn sqlalchemy_asyncio_asyncmy_proof_at_a_short_cutoff() {
    prove_short(&ASYNCMY);
}

#[test]
fn sqlalchemy_asyncio_aiomysql_proof_at_a_short_cutoff() {
    prove_short(&AIOMYSQL);
}
