//! One module per command family.
use clap::Subcommand;

pub mod hexarg;
pub mod tr31;

/// The top-level commands.
#[derive(Subcommand)]
pub enum Command {
    /// Print the keyfort version.
    Version,
    /// TR-31 / X9.143 key blocks: wrap, unwrap, print a header.
    #[command(subcommand)]
    Tr31(tr31::Tr31Cmd),
}

/// Runs a command; the error is a one-line, key-free message.
pub fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Version => {
            println!("keyfort {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Tr31(c) => tr31::run(c),
    }
}
