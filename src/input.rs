//! The one way poolcheck reads a file it is handed: option files, the
//! password file, saved reports, logs for `explain` and the `--ssl-ca` file.
//!
//! Every read is checked for its kind and bounded in size. A file is opened
//! with `O_NONBLOCK` (so a FIFO without a writer cannot block the open) and its
//! type is taken from the opened descriptor (`fstat`), not from the path, so
//! it cannot be swapped between the check and the read. Only regular files are
//! read: a FIFO, a device, a socket or a directory is refused with an error
//! naming the file and what to give instead. Each kind of file has a size
//! limit ([`Kind::limit`]); stdin (`-`, where a flag documents it) is bounded
//! by the same limits.

use crate::error::Hinted;
use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;

/// What a file is for; decides its size limit, its name in messages and the hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `--defaults-file`, `--defaults-extra-file`, the standard option files and
    /// whatever they `!include`.
    OptionFile,
    /// `--password-file`.
    PasswordFile,
    /// `recommend --from`: a saved `inspect` or `probe` JSON report.
    SavedReport,
    /// `explain --file`: a log. Longer logs are cut, not refused.
    Log,
    /// `--ssl-ca`: PEM CA certificates.
    CaCertificates,
}

/// What happens to input past the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// An error: a file this big cannot be what the flag wants.
    Refuse,
    /// The first `limit` bytes are used and the caller says so.
    Truncate,
}

impl Kind {
    /// The most bytes read from one such file (documented in
    /// docs/reliability.md, "Hostile input files").
    pub const fn limit(self) -> u64 {
        match self {
            Kind::OptionFile => MIB,
            Kind::PasswordFile => 64 * KIB,
            Kind::SavedReport => 16 * MIB,
            Kind::Log => 256 * MIB,
            Kind::CaCertificates => 4 * MIB,
        }
    }

    pub const fn overflow(self) -> Overflow {
        match self {
            Kind::Log => Overflow::Truncate,
            _ => Overflow::Refuse,
        }
    }

    /// How messages name such a file.
    pub const fn what(self) -> &'static str {
        match self {
            Kind::OptionFile => "option file",
            Kind::PasswordFile => "password file",
            Kind::SavedReport => "saved report",
            Kind::Log => "log file",
            Kind::CaCertificates => "CA certificate file",
        }
    }

    /// What to give instead.
    pub const fn hint(self) -> &'static str {
        match self {
            Kind::OptionFile => {
                "give --defaults-file / --defaults-extra-file (and !include) a regular file, \
                 or pass --no-defaults"
            }
            Kind::PasswordFile => {
                "--password-file takes a regular file, readable by this user, with the password \
                 on its first line (from a pipe or a secret manager, use --password-env NAME)"
            }
            Kind::SavedReport => {
                "pass a file written by `poolcheck inspect --format json` or \
                 `poolcheck probe --format json`; to read a pipe, use --from - with it on stdin"
            }
            Kind::Log => {
                "give --file a regular log file, or pipe the log in: `... | poolcheck explain`"
            }
            Kind::CaCertificates => "--ssl-ca takes a regular file of PEM CA certificates",
        }
    }
}

/// Why a file was not read. `Display` is one line naming the file; the hint
/// comes with [`InputError::into_anyhow`].
#[derive(Debug)]
pub struct InputError {
    pub path: PathBuf,
    pub kind: Kind,
    pub problem: Problem,
}

#[derive(Debug)]
pub enum Problem {
    /// Not a regular file: what it is ("a named pipe (FIFO)", "a directory", ...).
    NotRegular(&'static str),
    /// Bigger than [`Kind::limit`].
    TooLarge,
    /// Opening or reading failed.
    Io(io::Error),
}

impl InputError {
    /// A short reason: "is a named pipe (FIFO), not a regular file".
    pub fn reason(&self) -> String {
        match &self.problem {
            Problem::NotRegular(what) => format!("is {what}, not a regular file"),
            Problem::TooLarge => format!(
                "is larger than {}, the most poolcheck reads from a {}",
                show_size(self.kind.limit()),
                self.kind.what()
            ),
            Problem::Io(e) => describe_io(e),
        }
    }

    /// A hinted error for the top-level printer.
    pub fn into_anyhow(self) -> anyhow::Error {
        let message = self.to_string();
        anyhow::Error::new(Hinted::new(message, self.kind.hint()))
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::Io(_) => write!(
                f,
                "could not read the {} {}: {}",
                self.kind.what(),
                self.path.display(),
                self.reason()
            ),
            _ => write!(
                f,
                "the {} {} {}",
                self.kind.what(),
                self.path.display(),
                self.reason()
            ),
        }
    }
}

impl std::error::Error for InputError {}

/// A regular file, opened and checked, not yet read.
#[derive(Debug)]
pub struct Opened {
    file: File,
    meta: Metadata,
    path: PathBuf,
    kind: Kind,
}

/// Opens `path` for a `kind` read: without blocking, regular files only, and
/// (for kinds that refuse overflow) no bigger than the limit.
pub fn open(path: &Path, kind: Kind) -> Result<Opened, InputError> {
    let error = |problem| InputError {
        path: path.to_path_buf(),
        kind,
        problem,
    };
    let file = match File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    {
        Ok(file) => file,
        // A socket cannot be opened at all (ENXIO); say what it is rather than
        // "no such device or address". Looked up after the failure, so no race.
        Err(e) => {
            let what = std::fs::metadata(path).ok().and_then(|m| not_regular(&m));
            return Err(error(match what {
                Some(what) if e.raw_os_error() == Some(libc::ENXIO) => Problem::NotRegular(what),
                _ => Problem::Io(e),
            }));
        }
    };
    let meta = file.metadata().map_err(|e| error(Problem::Io(e)))?;
    if let Some(what) = not_regular(&meta) {
        return Err(error(Problem::NotRegular(what)));
    }
    if kind.overflow() == Overflow::Refuse && meta.len() > kind.limit() {
        return Err(error(Problem::TooLarge));
    }
    Ok(Opened {
        file,
        meta,
        path: path.to_path_buf(),
        kind,
    })
}

impl Opened {
    /// The metadata of the opened file (mode bits for permission notes).
    pub fn metadata(&self) -> &Metadata {
        &self.meta
    }

    /// Reads the whole file, at most [`Kind::limit`] bytes. Returns whether it
    /// was cut (only for [`Overflow::Truncate`] kinds; others fail instead).
    /// The size is checked again while reading: a file may grow, and some
    /// (under /proc) report a size of 0.
    pub fn read(self) -> Result<(Vec<u8>, bool), InputError> {
        let Opened {
            file, path, kind, ..
        } = self;
        read_bounded(file, kind).map_err(|problem| InputError {
            path,
            kind,
            problem,
        })
    }
}

impl Opened {
    /// The file as a bounded stream, for a reader that goes line by line
    /// instead of holding the whole file (`explain`).
    pub fn stream(self) -> Stream<File> {
        Stream::new(self.file, self.path, self.kind)
    }
}

/// Stdin as a bounded stream with the limit of `kind`.
pub fn stdin_stream(kind: Kind) -> Stream<io::Stdin> {
    Stream::new(io::stdin(), PathBuf::from("(stdin)"), kind)
}

/// An input read as a stream, at most [`Kind::limit`] bytes: past the limit
/// it ends, and [`Stream::cut`] says whether there was more.
#[derive(Debug)]
pub struct Stream<R> {
    inner: R,
    left: u64,
    cut: bool,
    path: PathBuf,
    kind: Kind,
}

impl<R: Read> Stream<R> {
    fn new(inner: R, path: PathBuf, kind: Kind) -> Self {
        Stream {
            inner,
            left: kind.limit(),
            cut: false,
            path,
            kind,
        }
    }

    /// Whether the input went on past the limit (it was cut there).
    pub fn cut(&self) -> bool {
        self.cut
    }

    /// A read error as the error every input reports, naming the file.
    pub fn error(&self, e: io::Error) -> InputError {
        InputError {
            path: self.path.clone(),
            kind: self.kind,
            problem: Problem::Io(e),
        }
    }
}

impl<R: Read> Read for Stream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            if !self.cut {
                let mut probe = [0u8; 1];
                self.cut = self.inner.read(&mut probe)? > 0;
            }
            return Ok(0);
        }
        let room = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..room])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Opens and reads `path` as `kind` (see [`open`] and [`Opened::read`]).
pub fn read(path: &Path, kind: Kind) -> Result<(Vec<u8>, bool), InputError> {
    open(path, kind)?.read()
}

/// Reads stdin (a `-` argument) with the limit of `kind`.
pub fn read_stdin(kind: Kind) -> Result<(Vec<u8>, bool), InputError> {
    read_bounded(io::stdin().lock(), kind).map_err(|problem| InputError {
        path: PathBuf::from("(stdin)"),
        kind,
        problem,
    })
}

/// Text from bytes read, replacing invalid UTF-8 (logs are often mixed);
/// copies only when something had to be replaced.
pub fn lossy_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn read_bounded(reader: impl Read, kind: Kind) -> Result<(Vec<u8>, bool), Problem> {
    let limit = kind.limit();
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(Problem::Io)?;
    if bytes.len() as u64 <= limit {
        return Ok((bytes, false));
    }
    match kind.overflow() {
        Overflow::Refuse => Err(Problem::TooLarge),
        Overflow::Truncate => {
            bytes.truncate(limit as usize);
            Ok((bytes, true))
        }
    }
}

/// What a non-regular file is, for messages; `None` for a regular file.
fn not_regular(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        Some("not a file")
    }
}

/// "1 MiB", "64 KiB", "256 MiB".
pub fn show_size(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// A short lowercase reason, without the "(os error N)" noise of io::Error.
pub fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "not found".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => match e.raw_os_error() {
            Some(libc::ELOOP) => "too many levels of symbolic links".into(),
            Some(libc::ENOTDIR) => "a component of the path is not a directory".into(),
            _ => e.kind().to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::time::{Duration, Instant};

    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
    }

    const ALL: [Kind; 5] = [
        Kind::OptionFile,
        Kind::PasswordFile,
        Kind::SavedReport,
        Kind::Log,
        Kind::CaCertificates,
    ];

    #[test]
    fn a_regular_file_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "hello\n").unwrap();
        for kind in ALL {
            assert_eq!(read(&path, kind).unwrap(), (b"hello\n".to_vec(), false));
        }
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        let started = Instant::now();
        for kind in ALL {
            let e = read(&fifo, kind).unwrap_err();
            assert!(matches!(e.problem, Problem::NotRegular(_)), "{e}");
            assert_eq!(
                e.to_string(),
                format!(
                    "the {} {} is a named pipe (FIFO), not a regular file",
                    kind.what(),
                    fifo.display()
                )
            );
        }
        // Not a timing assertion on the code: a blocking open would never return.
        assert!(started.elapsed() < Duration::from_secs(60));
    }

    #[test]
    fn devices_and_directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for (path, what) in [
            (Path::new("/dev/zero"), "a character device"),
            (Path::new("/dev/null"), "a character device"),
            (dir.path(), "a directory"),
        ] {
            for kind in ALL {
                let e = read(path, kind).unwrap_err();
                assert!(e.reason().starts_with(&format!("is {what}")), "{e}");
            }
        }
    }

    #[test]
    fn a_socket_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let e = read(&path, Kind::OptionFile).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "the option file {} is a socket, not a regular file",
                path.display()
            )
        );
    }

    #[test]
    fn a_big_sparse_file_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sparse");
        let f = File::create(&path).unwrap();
        f.set_len(64 << 30).unwrap();
        for kind in [
            Kind::OptionFile,
            Kind::PasswordFile,
            Kind::SavedReport,
            Kind::CaCertificates,
        ] {
            let e = read(&path, kind).unwrap_err();
            assert!(matches!(e.problem, Problem::TooLarge), "{e}");
            assert!(
                e.to_string()
                    .contains(&format!("is larger than {}", show_size(kind.limit()))),
                "{e}"
            );
        }
    }

    #[test]
    fn limits_are_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        let limit = Kind::PasswordFile.limit() as usize;
        std::fs::write(&path, vec![b'x'; limit]).unwrap();
        assert_eq!(read(&path, Kind::PasswordFile).unwrap().0.len(), limit);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"y")
            .unwrap();
        assert!(read(&path, Kind::PasswordFile).is_err());
    }

    #[test]
    fn a_file_that_claims_size_zero_is_still_bounded() {
        // /proc files report st_size 0; the read itself is capped.
        let (bytes, cut) = read(Path::new("/proc/self/status"), Kind::PasswordFile).unwrap();
        assert!(!bytes.is_empty() && !cut);
        let mut reader: &[u8] = &vec![b'a'; (Kind::PasswordFile.limit() + 10) as usize];
        assert!(matches!(
            read_bounded(&mut reader, Kind::PasswordFile),
            Err(Problem::TooLarge)
        ));
    }

    #[test]
    fn logs_are_cut_not_refused() {
        let mut reader: &[u8] = &[b'a'; 100];
        assert_eq!(
            read_bounded(&mut reader, Kind::Log).unwrap(),
            (vec![b'a'; 100], false)
        );
        assert_eq!(Kind::Log.overflow(), Overflow::Truncate);
    }

    #[test]
    fn missing_files_say_so() {
        let e = read(Path::new("/nonexistent/poolcheck-x"), Kind::SavedReport).unwrap_err();
        assert_eq!(
            e.to_string(),
            "could not read the saved report /nonexistent/poolcheck-x: not found"
        );
        let hinted = e.into_anyhow();
        assert!(
            crate::error::find_hint(&hinted)
                .unwrap()
                .contains("--from -")
        );
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(show_size(MIB), "1 MiB");
        assert_eq!(show_size(64 * KIB), "64 KiB");
        assert_eq!(show_size(4 * MIB), "4 MiB");
        assert_eq!(show_size(100), "100 bytes");
    }

    #[test]
    fn lossy_text_keeps_valid_text_without_copying_semantics_changing() {
        assert_eq!(lossy_text(b"ok".to_vec()), "ok");
        assert_eq!(lossy_text(b"a\xffb".to_vec()), "a\u{fffd}b");
    }
}
