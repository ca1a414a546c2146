//! One module per command family.
use clap::Subcommand;

pub mod dukpt;
pub mod hexarg;

/// The top-level commands.
#[derive(Subcommand)]
pub enum Command {
    /// Print the keyfort version.
    Version,
    /// DUKPT host-side derivations (AES X9.24-3, TDES X9.24-1).
    #[command(subcommand)]
    Dukpt(dukpt::Dukpt),
}

/// Runs a command; the error is a one-line, key-free message.
pub fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Version => {
            println!("keyfort {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Dukpt(c) => dukpt::run(c),
    }
}
