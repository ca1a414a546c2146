//! One module per command family.
use clap::Subcommand;

pub mod hexarg;

/// The top-level commands.
#[derive(Subcommand)]
pub enum Command {
    /// Print the keyfort version.
    Version,
}

/// Runs a command; the error is a one-line, key-free message.
pub fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Version => {
            println!("keyfort {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    }
}
