//! Ctrl-C and SIGTERM: set a flag that long-running commands poll, so they can
//! close their connections and report what they have before exiting with 130.
//!
//! The handler is installed for every subcommand (`install`, at the start of
//! `run`), so no signal ends poolcheck with the shell's 143 or silence. A
//! step that cannot poll the flag (a blocking read of stdin, a query on a
//! stalled server) is covered by a backstop: if the process is still running
//! [`BACKSTOP`] after the first signal, it exits with 130 there and then.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Signals received so far: a writer waiting on a full pipe gives up when
/// this changes during its wait.
static SIGNALS: AtomicU64 = AtomicU64::new(0);
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
/// What the backstop does before it exits: say why, and let stderr drain.
/// Given by the caller of [`install`], so that this module, which every
/// blocking step reads, depends on no writer.
static LAST_WORDS: OnceLock<fn()> = OnceLock::new();

/// How long after the first Ctrl-C or SIGTERM poolcheck may still run: long
/// enough to close connections and print a partial report, short enough that
/// a stuck step never keeps it alive.
pub const BACKSTOP: Duration = Duration::from_secs(5);

/// Installs the handler (once per process). `last_words` runs on the
/// backstop's thread just before it exits the process.
pub fn install(last_words: fn()) -> anyhow::Result<()> {
    let _ = LAST_WORDS.set(last_words);
    let installed =
        INSTALLED.get_or_init(|| ctrlc::set_handler(on_signal).map_err(|e| e.to_string()));
    match installed {
        Ok(()) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("could not install the Ctrl-C handler: {e}")),
    }
}

/// The flag the handler sets, installing the handler (with no last words)
/// if `run` has not.
pub fn interrupt_flag() -> anyhow::Result<&'static AtomicBool> {
    install(|| {})?;
    Ok(&INTERRUPTED)
}

/// Runs on ctrlc's own thread, not in signal context.
fn on_signal() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    if SIGNALS.fetch_add(1, Ordering::SeqCst) == 0 {
        let _ = std::thread::Builder::new()
            .name("interrupt-backstop".into())
            .stack_size(64 << 10)
            .spawn(|| {
                std::thread::sleep(BACKSTOP);
                if let Some(last_words) = LAST_WORDS.get() {
                    last_words();
                }
                std::process::exit(crate::exit::ExitStatus::Interrupted.code().into());
            });
    }
}

/// Whether Ctrl-C or SIGTERM has arrived (false until a handler is installed).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// How many times Ctrl-C or SIGTERM has arrived.
pub fn signal_count() -> u64 {
    SIGNALS.load(Ordering::SeqCst)
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
