//! Ctrl-C and SIGTERM: set a flag that long-running commands poll, so they can
//! close their connections and report what they have before exiting with 130.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

/// Installs the handler (once per process) and returns the flag it sets.
pub fn interrupt_flag() -> anyhow::Result<&'static AtomicBool> {
    let installed = INSTALLED.get_or_init(|| {
        ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst)).map_err(|e| e.to_string())
    });
    match installed {
        Ok(()) => Ok(&INTERRUPTED),
        Err(e) => Err(anyhow::anyhow!("could not install the Ctrl-C handler: {e}")),
    }
}
