//! Hostile input files (issue 11, items 3-5 and 12): every place poolcheck
//! reads a file it is handed refuses a FIFO, a device, a directory and a huge
//! file at once, with exit 2, an `error:` line naming the file and a `hint:`,
//! instead of hanging or reading until memory runs out. No server is needed:
//! every file is read before anything connects (the targets point at a closed port).

use crate::common::{Run, closed_port, poolcheck, run};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The hostile files, made once per test in its own temp dir.
struct Hostile {
    dir: tempfile::TempDir,
    fifo: PathBuf,
    sparse: PathBuf,
}

impl Hostile {
    fn new() -> Hostile {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mkfifo");
        // 64 GiB that take no disk: a reader that trusts the size, or reads
        // to the end, exhausts memory.
        let sparse = dir.path().join("sparse");
        std::fs::File::create(&sparse)
            .unwrap()
            .set_len(64 << 30)
            .unwrap();
        Hostile { dir, fifo, sparse }
    }

    /// (path, what the error says about it).
    fn cases(&self) -> Vec<(PathBuf, &'static str)> {
        vec![
            (
                self.fifo.clone(),
                "is a named pipe (FIFO), not a regular file",
            ),
            (
                "/dev/zero".into(),
                "is a character device, not a regular file",
            ),
            (
                self.dir.path().to_path_buf(),
                "is a directory, not a regular file",
            ),
            (self.sparse.clone(), "is larger than"),
        ]
    }
}

/// A short timeout: a read that blocks on a FIFO would otherwise hang the suite.
fn bounded(cmd: &mut assert_cmd::Command) -> Run {
    run(cmd.timeout(Duration::from_secs(20)))
}

fn refused(r: &Run, path: &Path, why: &str, what: &str) {
    assert_ne!(r.code, -1, "{what}: killed by the timeout (it hung)");
    r.assert_usage_error();
    let path = path.display().to_string();
    assert!(
        r.stderr.contains(&path),
        "{what}: {path} not named: {}",
        r.stderr
    );
    assert!(r.stderr.contains(why), "{what}: want {why:?}: {}", r.stderr);
    assert!(
        r.stderr.lines().next().unwrap().len() < 300,
        "{what}: {}",
        r.stderr
    );
}

/// `poolcheck inspect FLAGS... PATH TARGET`, bounded.
fn inspect_with(flags: &[&str], path: &Path) -> Run {
    bounded(
        poolcheck()
            .arg("inspect")
            .args(flags)
            .arg(path)
            .arg(target()),
    )
}

fn target() -> String {
    format!("mysql://root@127.0.0.1:{}/", closed_port())
}

/// `--defaults-file`, `--defaults-extra-file`, `!include`, `!includedir` and
/// `~/.my.cnf`, each pointing at each hostile file.
#[test]
fn option_files_that_are_not_regular_files_are_refused() {
    let h = Hostile::new();
    let work = tempfile::tempdir().unwrap();
    for (i, (bad, why)) in h.cases().into_iter().enumerate() {
        let r = inspect_with(&["--defaults-file"], &bad);
        refused(&r, &bad, why, "--defaults-file");
        let r = inspect_with(&["--defaults-extra-file"], &bad);
        refused(&r, &bad, why, "--defaults-extra-file");

        let top = work.path().join(format!("top{i}.cnf"));
        std::fs::write(&top, format!("[client]\n!include {}\n", bad.display())).unwrap();
        let r = inspect_with(&["--defaults-file"], &top);
        refused(&r, &bad, why, "!include");

        // ~/.my.cnf: HOME points at a dir whose .my.cnf is the hostile file
        // (a symlink to it, or the directory itself).
        let home = work.path().join(format!("home{i}"));
        std::fs::create_dir(&home).unwrap();
        let cnf = home.join(".my.cnf");
        if bad.is_dir() {
            std::fs::create_dir(&cnf).unwrap();
        } else {
            std::os::unix::fs::symlink(&bad, &cnf).unwrap();
        }
        let r = bounded(poolcheck().arg("inspect").arg(target()).env("HOME", &home));
        refused(&r, &cnf, why, "~/.my.cnf");
        // explain --target reads ~/.my.cnf too.
        let r = bounded(
            poolcheck()
                .args(["explain", "--target"])
                .arg(target())
                .arg("(2006, 'MySQL server has gone away')")
                .env("HOME", &home),
        );
        refused(&r, &cnf, why, "explain --target with ~/.my.cnf");
    }
    // In an !includedir: a FIFO named *.cnf (a subdirectory is skipped, as in mysql).
    let conf = work.path().join("conf.d");
    std::fs::create_dir_all(conf.join("sub.cnf")).unwrap();
    std::os::unix::fs::symlink(&h.fifo, conf.join("50-pipe.cnf")).unwrap();
    let top = work.path().join("dir.cnf");
    std::fs::write(&top, format!("[client]\n!includedir {}\n", conf.display())).unwrap();
    let r = inspect_with(&["--defaults-file"], &top);
    refused(&r, &conf.join("50-pipe.cnf"), "FIFO", "!includedir");
}

/// 10 levels of 8 `!include`s each: used to run until killed (depth was the
/// only bound). Now the load stops at 100 files with an error at the directive.
#[test]
fn include_fan_out_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    for level in 0..10 {
        let next = dir.path().join(format!("l{}.cnf", level + 1));
        let text = format!(
            "[client]\n{}",
            format!("!include {}\n", next.display()).repeat(8)
        );
        std::fs::write(dir.path().join(format!("l{level}.cnf")), text).unwrap();
    }
    std::fs::write(dir.path().join("l10.cnf"), "[client]\nuser=x\n").unwrap();
    let r = bounded(
        poolcheck()
            .args(["inspect", "--defaults-file"])
            .arg(dir.path().join("l0.cnf"))
            .arg(target()),
    );
    r.assert_usage_error();
    assert!(
        r.stderr.contains("more than 100 option files in one load"),
        "{}",
        r.stderr
    );

    // Fewer, bigger files: each under the 1 MiB cap, together over 4 MiB.
    let filler = format!("[other]\n#{}\n", "x".repeat(900 << 10));
    let mut top = String::from("[client]\n");
    for i in 0..6 {
        let f = dir.path().join(format!("big{i}.cnf"));
        std::fs::write(&f, &filler).unwrap();
        top.push_str(&format!("!include {}\n", f.display()));
    }
    let top_path = dir.path().join("big.cnf");
    std::fs::write(&top_path, top).unwrap();
    let r = inspect_with(&["--defaults-file"], &top_path);
    r.assert_usage_error();
    assert!(r.stderr.contains("more than 4 MiB read"), "{}", r.stderr);
}

/// `--password-file`, `--ssl-ca`, `recommend --from` and `explain --file`.
#[test]
fn other_input_files_that_are_not_regular_files_are_refused() {
    let h = Hostile::new();
    for (bad, why) in h.cases() {
        let r = inspect_with(&["--no-defaults", "--password-file"], &bad);
        refused(&r, &bad, why, "--password-file");
        assert!(r.stderr.contains("--password-env"), "{}", r.stderr);

        let r = inspect_with(&["--no-defaults", "--ssl-ca"], &bad);
        refused(&r, &bad, why, "--ssl-ca");

        let r = bounded(poolcheck().args(["recommend", "--from"]).arg(&bad));
        refused(&r, &bad, why, "recommend --from");

        // A huge log is cut, not refused (explain reads the first 256 MiB).
        if bad != h.sparse {
            let r = bounded(poolcheck().args(["explain", "--file"]).arg(&bad));
            refused(&r, &bad, why, "explain --file");
        }
    }
}

/// `explain --file` of a 64 GiB sparse file reads the first 256 MiB and says
/// so; stdin (`-`) stays allowed for `explain` and `recommend --from`, bounded
/// by the same limits.
#[test]
fn logs_are_cut_and_stdin_stays_allowed() {
    let h = Hostile::new();
    let r = bounded(
        poolcheck()
            .args(["explain", "--fail-on", "never", "--file"])
            .arg(&h.sparse),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the log is longer than 256 MiB; only its first 256 MiB were read"),
        "{}",
        r.stderr
    );

    let r = bounded(
        poolcheck()
            .args(["explain", "--fail-on", "never", "--file", "-"])
            .write_stdin("(2006, 'MySQL server has gone away')\n"),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("2006"), "{}", r.stdout);

    // `--from -` with stdin a pipe is read (and found not to be a report).
    let r = bounded(
        poolcheck()
            .args(["recommend", "--from", "-"])
            .write_stdin("not json"),
    );
    r.assert_usage_error();
    assert!(r.stderr.contains("stdin is not JSON"), "{}", r.stderr);

    // `--from -` with /dev/zero on stdin stops at the saved-report cap.
    // (assert_cmd always replaces stdin, so a shell redirects it.)
    let bin = assert_cmd::cargo::cargo_bin("poolcheck");
    let r = bounded(poolcheck_via_sh().arg(format!(
        "exec '{}' recommend --from - < /dev/zero",
        bin.display()
    )));
    r.assert_usage_error();
    assert!(r.stderr.contains("is larger than 16 MiB"), "{}", r.stderr);
}

fn poolcheck_via_sh() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.env_clear().env("NO_COLOR", "1").arg("-c");
    cmd
}

/// Files that are too big but regular: each kind has its own cap.
#[test]
fn each_kind_of_file_has_a_size_cap() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, size: usize| {
        let p = dir.path().join(name);
        std::fs::write(&p, vec![b'#'; size]).unwrap();
        p
    };
    let pw = file("pw", (64 << 10) + 1);
    let r = inspect_with(&["--no-defaults", "--password-file"], &pw);
    refused(&r, &pw, "is larger than 64 KiB", "--password-file");
    let cnf = file("my.cnf", (1 << 20) + 1);
    let r = inspect_with(&["--defaults-file"], &cnf);
    refused(&r, &cnf, "is larger than 1 MiB", "--defaults-file");
    let ca = file("ca.pem", (4 << 20) + 1);
    let r = inspect_with(&["--no-defaults", "--ssl-ca"], &ca);
    refused(&r, &ca, "is larger than 4 MiB", "--ssl-ca");
    let report = file("report.json", (16 << 20) + 1);
    let r = bounded(poolcheck().args(["recommend", "--from"]).arg(&report));
    refused(&r, &report, "is larger than 16 MiB", "recommend --from");
}

/// Item 12: a non-UTF-8 `$DATABASE_URL` (and the other variables poolcheck
/// reads) is an error naming the variable; it used to be skipped silently and
/// the error then named the default socket.
#[test]
fn environment_values_that_are_not_utf8_are_named() {
    use std::os::unix::ffi::OsStrExt;
    let raw = std::ffi::OsStr::from_bytes(b"mysql://app:p\xffw@127.0.0.1:1/");
    for var in ["DATABASE_URL", "POOLCHECK_URL", "MYSQL_HOST", "MYSQL_PWD"] {
        let r = bounded(poolcheck().args(["inspect", "--no-defaults"]).env(var, raw));
        r.assert_usage_error();
        assert!(
            r.stderr
                .starts_with(&format!("error: ${var} is set but is not valid UTF-8")),
            "{var}: {}",
            r.stderr
        );
    }
    let r = bounded(
        poolcheck()
            .args(["inspect", "--no-defaults", "--password-env", "PC_PW"])
            .arg(target())
            .env("PC_PW", raw),
    );
    r.assert_usage_error();
    assert!(r.stderr.contains("$PC_PW"), "{}", r.stderr);
}

/// Item 12: a bare `poolcheck` is an error (exit 2) with an `error:` line and
/// a hint, not only the help.
#[test]
fn a_bare_poolcheck_is_an_error_with_a_hint() {
    let r = bounded(&mut poolcheck());
    r.assert_usage_error();
    assert!(
        r.stderr.starts_with("error: no command given"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Commands:"), "{}", r.stderr);
}
