//! Shell completions and man pages, written from each binary's clap
//! definition so that they never disagree with `--help`:
//!
//! - `BINARY completions SHELL` prints the completion script for bash,
//!   zsh or fish (`source <(sidecar-tail completions bash)`); the others
//!   clap knows would cost the images room they do not have;
//! - `BINARY man` prints the man page in roff (`BINARY man > BINARY.1`,
//!   `man -l BINARY.1`).
//!
//! Both are read before the real command line, as words of their own, so
//! that they need no place among a binary's paths and flags. (A file named
//! `completions` or `man` is still followed as `./completions`.)

use std::process::ExitCode;

#[cfg(feature = "docs")]
use clap_complete::{
    shells::{Bash, Fish, Zsh},
    Generator,
};

/// Writes completions or the man page of the binary's `command` when the
/// process's arguments ask for them, and returns the exit code; `None`
/// when they do not, and the binary runs as usual (the command is then not
/// built: clap builds it again to parse).
pub fn answer(command: impl FnOnce() -> clap::Command) -> Option<ExitCode> {
    let first = std::env::args_os().nth(1)?;
    if first != "completions" && first != "man" {
        return None;
    }
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    answer_to(command(), &args)
}

/// [`answer`] for `args`, without the program name.
#[cfg(feature = "docs")]
fn answer_to(command: clap::Command, args: &[String]) -> Option<ExitCode> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match words.as_slice() {
        ["completions", "bash"] => completions(command, Bash),
        ["completions", "zsh"] => completions(command, Zsh),
        ["completions", "fish"] => completions(command, Fish),
        ["completions", shell] => {
            eprintln!("error: unknown shell '{shell}'; use one of bash, zsh, fish");
            return Some(ExitCode::from(2));
        }
        ["completions"] => {
            eprintln!("error: which shell? `completions bash`, `completions zsh` or `completions fish`");
            return Some(ExitCode::from(2));
        }
        ["man"] => man(command),
        _ => return None,
    };
    Some(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: writing to stdout: {e}");
            ExitCode::FAILURE
        }
    })
}

#[cfg(feature = "docs")]
fn completions(command: clap::Command, shell: impl Generator) -> std::io::Result<()> {
    let name = command.get_name().to_owned();
    // The two words read before the command line, so that they complete too.
    let mut command = command
        .subcommand(
            clap::Command::new("completions")
                .about("Print shell completions")
                .arg(clap::Arg::new("shell").value_parser(["bash", "zsh", "fish"])),
        )
        .subcommand(clap::Command::new("man").about("Print the man page (roff)"))
        .disable_help_subcommand(true);
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut out);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &out)
}

#[cfg(feature = "docs")]
fn man(command: clap::Command) -> std::io::Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command).render(&mut out)?;
    std::io::Write::write_all(&mut std::io::stdout().lock(), &out)
}

/// [`answer`] for `args`, without the program name, in a build without
/// the `docs` feature (the container images): say so rather than take the
/// words for paths.
#[cfg(not(feature = "docs"))]
fn answer_to(_command: clap::Command, args: &[String]) -> Option<ExitCode> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["completions"] | ["completions", _] | ["man"] => {
            eprintln!(
                "error: this build has no completions or man pages (built without the `docs` \
                 feature, as the container images are); `cargo install --locked --path ...` has them"
            );
            Some(ExitCode::from(2))
        }
        _ => None,
    }
}

#[cfg(all(test, feature = "docs"))]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn only_the_exact_words_are_taken() {
        let command = || clap::Command::new("x").arg(clap::Arg::new("path"));
        assert_eq!(answer_to(command(), &args(&["app.log"])), None);
        assert_eq!(answer_to(command(), &args(&["man", "app.log"])), None);
        assert_eq!(
            answer_to(command(), &args(&["completions", "tcsh"])),
            Some(ExitCode::from(2))
        );
    }
}
