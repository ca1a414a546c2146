//! One module per command family.
use clap::Subcommand;

pub mod hexarg;
pub mod wrap;

/// The top-level commands.
#[derive(Subcommand)]
pub enum Command {
    /// Print the keyfort version.
    Version,
    /// AES key wrap: `kw` (RFC 3394) and `kwp` (RFC 5649) wrap / unwrap.
    #[command(flatten)]
    Wrap(wrap::WrapCommand),
}

/// Runs a command; the error is a one-line, key-free message.
pub fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Version => {
            println!("keyfort {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Wrap(c) => wrap::run(c),
    }
}
