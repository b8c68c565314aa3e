//! `comity completions SHELL`: a shell completion script on stdout.

use super::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// bash, zsh, fish, powershell or elvish.
    pub shell: clap_complete::Shell,
}

/// Writes the completion script of `command` for `args.shell` to stdout.
pub fn run(args: Args, command: &mut clap::Command) -> Result<(), Failure> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, command, "comity", &mut out);
    super::emit(&String::from_utf8_lossy(&out));
    Ok(())
}
