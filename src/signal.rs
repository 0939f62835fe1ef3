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

/// Whether Ctrl-C or SIGTERM has arrived (false until a handler is installed).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The error a blocking step returns when an interruption cut it short; the
/// top level turns it into exit code 130.
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Whether an error chain says an interruption cut the work short.
pub fn is_interrupted(err: &anyhow::Error) -> bool {
    err.downcast_ref::<Interrupted>().is_some() || err.chain().any(|e| e.is::<Interrupted>())
}
