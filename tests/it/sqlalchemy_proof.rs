//! The proof on a real app: a pooled SQLAlchemy + PyMySQL app talks to the
//! sandbox through `poolcheck proxy` (fin, rst, blackhole with a 3 s cutoff,
//! and blackhole at 40 s in framework_proofs.rs), idles past the cutoff and queries again. With
//! SQLAlchemy's defaults it fails (or hangs); with the settings `poolcheck
//! recommend` printed for that path, taken from its JSON output, it succeeds
//! without waiting longer than the recommended read timeout. The rig is
//! common/proof.rs, shared with every framework's proof.

use crate::common::proof::{App, Cutoff, Expect, Mode, prove_short, within_reach};
use crate::common::python::python;
use std::process::Command;

const APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/apps/sqlalchemy_app.py");

fn command(port: u16, settings: &serde_json::Value, idle_s: u64) -> Command {
    let url = format!("mysql+pymysql://root@127.0.0.1:{port}/");
    let mut cmd = Command::new(python());
    cmd.arg(APP)
        .arg(url)
        .arg(settings.to_string())
        .arg(idle_s.to_string());
    cmd
}

/// pool_recycle=-1 and no pre-ping: the dead pooled connection is reused,
/// and neither PyMySQL nor the asyncio drivers have a read timeout by default,
/// so a silent drop hangs. The asyncio engine's proof shares this.
pub fn defaults(mode: Mode, _cutoff: Cutoff) -> Expect {
    match mode {
        Mode::Blackhole => Expect::Hangs,
        Mode::Fin | Mode::Rst | Mode::Nat => Expect::Fails(&["2013", "2006"]),
    }
}

pub const SQLALCHEMY: App = App {
    framework: "sqlalchemy",
    name: "sqlalchemy+pymysql",
    version: "2.0",
    command,
    defaults,
    beyond_reach: within_reach,
};

#[test]
fn sqlalchemy_survives_fin_rst_and_blackhole_with_the_recommended_settings() {
    prove_short(&SQLALCHEMY);
}
