//! Every byte poolcheck writes to stdout or stderr goes through here, so that
//! no write can panic and no write can hold the program hostage:
//!
//! - a closed pipe (`| head`, `2>&1 | true`) is not an error: what was not
//!   read is dropped (`eprintln!` would panic there, exit 101);
//! - a full pipe nobody reads blocks only a writer thread, never the caller
//!   for good: a caller that waits for its text gives up when Ctrl-C or
//!   SIGTERM arrives during the wait (or [`GRACE_AFTER_SIGNAL`] after one
//!   that came before it), so the run still ends with 130;
//! - log lines ([`log_stderr`]) are never waited for: when the queue to the
//!   stderr thread is full they are dropped and counted ([`dropped_log_lines`]).
//!
//! One writer thread per stream, each owning a duplicate of the stream's file
//! descriptor and writing it unbuffered, in the order the text was queued.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};

/// How long a write that starts after an interruption may still take: the
/// partial report of an interrupted probe, the proxy's summary.
pub const GRACE_AFTER_SIGNAL: Duration = Duration::from_secs(2);
/// Texts queued for a stream's thread at most; when the reader is this far
/// behind, log lines are dropped.
const QUEUE: usize = 1024;
/// How often a waiting caller looks at the signal count.
const TICK: Duration = Duration::from_millis(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

struct Job {
    bytes: Vec<u8>,
    /// Told how the write went; `None` for log lines nobody waits for.
    done: Option<mpsc::Sender<io::Result<()>>>,
}

struct Writer {
    queue: SyncSender<Job>,
}

static DROPPED: AtomicU64 = AtomicU64::new(0);

/// The error of a result that could not be written: stdout was not being
/// read, and an interruption arrived while poolcheck waited.
#[derive(Debug)]
pub struct Unwritten;

impl std::fmt::Display for Unwritten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the result was not written: stdout is not being read")
    }
}

impl std::error::Error for Unwritten {}

/// Writes a finished result to stdout and waits until it is written. A
/// closed pipe is success (the reader has what it wanted); a pipe nobody
/// reads is given up on when interrupted, with an error that counts as an
/// interruption (`signal::is_interrupted`, exit 130).
pub fn write_stdout(bytes: Vec<u8>) -> anyhow::Result<()> {
    match write_waiting(Stream::Stdout, bytes) {
        Some(result) => Ok(result?),
        None => Err(anyhow::Error::new(crate::signal::Interrupted).context(Unwritten)),
    }
}

/// Writes a note or an error to stderr and waits until it is written, unless
/// an interruption cuts the wait short. Never fails: there is nowhere left to
/// report a failure to write to stderr.
pub fn write_stderr(text: &str) {
    let _ = write_waiting(Stream::Stderr, text.as_bytes().to_vec());
}

/// Queues a log line for stderr and returns at once: the proxy's data path
/// and its stop never wait for a reader. Returns false when the line was
/// dropped (the queue is full: stderr is not being read fast enough).
pub fn log_stderr(text: String) -> bool {
    let Some(writer) = writer(Stream::Stderr) else {
        return false;
    };
    match writer.queue.try_send(Job {
        bytes: text.into_bytes(),
        done: None,
    }) {
        Ok(()) => true,
        Err(_) => {
            DROPPED.fetch_add(1, Ordering::Relaxed);
            false
        }
    }
}

/// Log lines dropped so far because stderr was not read fast enough.
pub fn dropped_log_lines() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Waits (at most `limit`, less if interrupted) until everything queued for
/// stderr is written, so log lines are not lost when the process exits.
/// Returns whether it was.
pub fn drain_stderr(limit: Duration) -> bool {
    let Some(writer) = writer(Stream::Stderr) else {
        return true;
    };
    let (tx, rx) = mpsc::channel();
    let job = Job {
        bytes: Vec::new(),
        done: Some(tx),
    };
    let deadline = Instant::now() + limit;
    submit(writer, job, Some(deadline)) && wait(&rx, Some(deadline)).is_some()
}

/// Queues `bytes` and waits for the writer; `None` when the wait was given up.
fn write_waiting(stream: Stream, bytes: Vec<u8>) -> Option<io::Result<()>> {
    let Some(writer) = writer(stream) else {
        // No writer thread (the system refused one): write here, blocking.
        return Some(write_to(stream, &bytes));
    };
    let (tx, rx) = mpsc::channel();
    let job = Job {
        bytes,
        done: Some(tx),
    };
    if !submit(writer, job, None) {
        return None;
    }
    wait(&rx, None)
}

/// Whether a wait that began when `signals_at_start` signals had arrived, at
/// `started`, should be given up now.
fn give_up(signals_at_start: u64, started: Instant, deadline: Option<Instant>) -> bool {
    let now = crate::signal::signal_count();
    now != signals_at_start
        || (now > 0 && started.elapsed() >= GRACE_AFTER_SIGNAL)
        || deadline.is_some_and(|d| Instant::now() >= d)
}

/// Puts a job in the queue, waiting for room the way `wait` waits.
fn submit(writer: &Writer, mut job: Job, deadline: Option<Instant>) -> bool {
    let signals = crate::signal::signal_count();
    let started = Instant::now();
    loop {
        match writer.queue.try_send(job) {
            Ok(()) => return true,
            Err(TrySendError::Disconnected(_)) => return false,
            Err(TrySendError::Full(back)) => job = back,
        }
        if give_up(signals, started, deadline) {
            return false;
        }
        std::thread::sleep(TICK);
    }
}

fn wait(done: &Receiver<io::Result<()>>, deadline: Option<Instant>) -> Option<io::Result<()>> {
    let signals = crate::signal::signal_count();
    let started = Instant::now();
    loop {
        match done.recv_timeout(TICK) {
            Ok(result) => return Some(result),
            // The writer thread is gone: nothing will be written.
            Err(RecvTimeoutError::Disconnected) => return Some(Ok(())),
            Err(RecvTimeoutError::Timeout) => {}
        }
        if give_up(signals, started, deadline) {
            return None;
        }
    }
}

fn writer(stream: Stream) -> Option<&'static Writer> {
    static STDOUT: OnceLock<Option<Writer>> = OnceLock::new();
    static STDERR: OnceLock<Option<Writer>> = OnceLock::new();
    let cell = match stream {
        Stream::Stdout => &STDOUT,
        Stream::Stderr => &STDERR,
    };
    cell.get_or_init(|| start_writer(stream)).as_ref()
}

fn start_writer(stream: Stream) -> Option<Writer> {
    let (queue, jobs) = mpsc::sync_channel::<Job>(QUEUE);
    // Its own descriptor (a dup): unbuffered, and std's locked stdout is
    // never held by a thread that may block for good.
    let file = match stream {
        Stream::Stdout => io::stdout().as_fd().try_clone_to_owned(),
        Stream::Stderr => io::stderr().as_fd().try_clone_to_owned(),
    }
    .map(File::from);
    std::thread::Builder::new()
        .name(format!("{stream:?}-writer").to_lowercase())
        .stack_size(64 << 10)
        .spawn(move || {
            let mut file = file.ok();
            for job in jobs {
                let result = match file.as_mut() {
                    Some(f) => write_all(f, &job.bytes),
                    None => Ok(()),
                };
                if let Some(done) = job.done {
                    let _ = done.send(result);
                }
            }
        })
        .ok()?;
    Some(Writer { queue })
}

/// Writes directly (no thread): the fallback when no writer thread exists.
fn write_to(stream: Stream, bytes: &[u8]) -> io::Result<()> {
    match stream {
        Stream::Stdout => write_all(&mut io::stdout().lock(), bytes),
        Stream::Stderr => write_all(&mut io::stderr().lock(), bytes),
    }
}

/// `write_all` + flush where a closed pipe is success: the reader went away
/// and has what it wanted.
fn write_all(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_success_other_errors_are_not() {
        assert!(write_all(&mut Closed, b"x").is_ok());
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("no space left on device"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        assert!(write_all(&mut Full, b"x").is_err());
    }

    #[test]
    fn a_wait_gives_up_on_a_deadline() {
        let (_tx, rx) = mpsc::channel();
        let started = Instant::now();
        let deadline = Some(started + Duration::from_millis(50));
        assert!(wait(&rx, deadline).is_none());
        assert!(started.elapsed() >= Duration::from_millis(50));
    }

    #[test]
    fn a_wait_ends_when_the_write_is_done() {
        let (tx, rx) = mpsc::channel();
        tx.send(Ok(())).unwrap();
        assert!(matches!(wait(&rx, None), Some(Ok(()))));
        drop(tx);
        // A writer thread that is gone means nothing more will be written.
        assert!(matches!(wait(&rx, None), Some(Ok(()))));
    }
}
