//! Shell integration generated from the command-line definition: completion
//! scripts (clap_complete) and the manual pages (clap_mangen). Both are
//! derived from `cli.rs`, so they never drift from `--help`.

use clap::CommandFactory;
pub use clap_complete::Shell;

/// A shell completion script for poolcheck, generated from these definitions.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(
        shell,
        &mut crate::cli::Cli::command(),
        "poolcheck",
        &mut out,
    );
    out
}

/// The names of the subcommands that have a manual page of their own.
pub fn man_page_names() -> Vec<String> {
    crate::cli::Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

/// The manual page (roff) of poolcheck, or of one subcommand
/// (`poolcheck-inspect(1)`, as poolcheck(1) refers to it); `None` when there
/// is no such subcommand.
pub fn man_page(command: Option<&str>) -> Option<Vec<u8>> {
    let mut root = crate::cli::Cli::command().disable_help_subcommand(true);
    root.build();
    let cmd = match command {
        None => root,
        Some(name) => root.find_subcommand(name)?.clone(),
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .expect("rendering to memory does not fail");
    Some(out)
}
