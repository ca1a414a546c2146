//! One module per command family.
use clap::Subcommand;

pub mod hexarg;
pub mod store;

/// The top-level commands.
#[derive(Subcommand)]
pub enum Command {
    /// Print the keyfort version.
    Version,
    /// Build and inspect sealed key-store flash images (factory provisioning).
    #[command(subcommand)]
    Store(store::StoreCmd),
}

/// Runs a command; the error is a one-line, key-free message.
pub fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Version => {
            println!("keyfort {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Store(c) => store::run(c),
    }
}
