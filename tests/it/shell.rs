//! `poolcheck completions` and `poolcheck man`: the scripts load in their
//! shell where the test can check that (bash), name every subcommand, and
//! the manual pages render with `man`.

use crate::common::{poolcheck, run};
use std::io::Write;
use std::process::{Command, Stdio};

const SUBCOMMANDS: [&str; 7] = [
    "inspect",
    "probe",
    "recommend",
    "explain",
    "proxy",
    "completions",
    "man",
];

fn script(shell: &str) -> String {
    let r = run(poolcheck().args(["completions", shell]));
    assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
    assert_eq!(r.stderr, "", "{shell}");
    r.stdout
}

/// Feeds `input` to a program and returns its exit code, stdout and stderr.
fn pipe_through(program: &str, args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .env("MANWIDTH", "100")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("could not run {program} ({e}): install it with scripts/install-deps.sh")
        });
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("program finished");
    writer
        .join()
        .expect("writer thread")
        .expect("input written");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bash_completion_parses_and_names_every_subcommand() {
    let s = script("bash");
    let (code, _, stderr) = pipe_through("bash", &["-n"], &s);
    assert_eq!(code, 0, "bash -n: {stderr}");
    for sub in SUBCOMMANDS {
        assert!(s.contains(sub), "bash script lacks {sub}");
    }
    assert!(s.contains("--fail-on"));
}

#[test]
fn other_shells_get_scripts_naming_every_subcommand() {
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let s = script(shell);
        assert!(s.len() > 1000, "{shell}: {} bytes", s.len());
        for sub in SUBCOMMANDS {
            assert!(s.contains(sub), "{shell} script lacks {sub}");
        }
    }
    assert!(script("zsh").starts_with("#compdef poolcheck"));
    assert!(script("fish").contains("complete -c poolcheck"));
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let r = run(poolcheck().args(["completions", "tcsh"]));
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
}

#[test]
fn man_page_renders_with_man() {
    let r = run(poolcheck().arg("man"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("\n.TH poolcheck 1"), "{}", r.stdout);
    let (code, text, stderr) = pipe_through("man", &["--warnings", "-l", "-"], &r.stdout);
    assert_eq!((code, stderr.as_str()), (0, ""), "man -l -");
    for heading in ["NAME", "SYNOPSIS", "SUBCOMMANDS", "Exit codes:"] {
        assert!(text.contains(heading), "no {heading} in:\n{text}");
    }
    for sub in SUBCOMMANDS {
        assert!(
            text.contains(&format!("poolcheck-{sub}(1)")),
            "no poolcheck-{sub}(1) in:\n{text}"
        );
    }
}

/// poolcheck(1) refers to poolcheck-inspect(1) and the others: each exists,
/// with the subcommand's options.
#[test]
fn every_subcommand_has_a_page_that_renders() {
    for sub in SUBCOMMANDS {
        let r = run(poolcheck().args(["man", sub]));
        assert_eq!(r.code, 0, "{sub}: {}", r.stderr);
        let (code, text, stderr) = pipe_through("man", &["--warnings", "-l", "-"], &r.stdout);
        assert_eq!((code, stderr.as_str()), (0, ""), "man -l - for {sub}");
        assert!(text.contains(&format!("poolcheck-{sub}")), "{sub}:\n{text}");
        assert!(text.contains("OPTIONS"), "{sub}:\n{text}");
    }
    let r = run(poolcheck().args(["man", "inspect"]));
    assert!(r.stdout.contains("fail\\-on"), "{}", r.stdout);
}

#[test]
fn man_for_an_unknown_subcommand_says_which_exist() {
    let r = run(poolcheck().args(["man", "bogus"]));
    r.assert_usage_error();
    assert!(r.stderr.contains("inspect, probe"), "{}", r.stderr);
}
