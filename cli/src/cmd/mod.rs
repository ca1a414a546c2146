//! One module per command family.
use clap::Subcommand;

pub mod demo;
pub mod dukpt;
pub mod hexarg;
pub mod host;
pub mod secretarg;
pub mod store;
pub mod tr31;
pub mod wrap;

/// The top-level commands.
#[derive(Subcommand)]
pub enum Command {
    /// Print the keyfort version.
    Version,
    /// AES key wrap: `kw` (RFC 3394) and `kwp` (RFC 5649) wrap / unwrap.
    #[command(flatten)]
    Wrap(wrap::WrapCommand),
    /// DUKPT host-side derivations (AES X9.24-3, TDES X9.24-1).
    #[command(subcommand)]
    Dukpt(dukpt::Dukpt),
    /// TR-31 / X9.143 key blocks: wrap, unwrap, print a header.
    #[command(subcommand)]
    Tr31(tr31::Tr31Cmd),
    /// Build and inspect sealed key-store flash images (factory provisioning).
    #[command(subcommand)]
    Store(store::StoreCmd),
    /// The end-to-end demo's host side: provision a terminal, verify its transactions,
    /// scan it for keys.
    #[command(subcommand)]
    Demo(demo::DemoCmd),
}

/// Runs a command; the error is a one-line, key-free message.
pub fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Version => {
            println!("keyfort {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Wrap(c) => wrap::run(c),
        Command::Dukpt(c) => dukpt::run(c),
        Command::Tr31(c) => tr31::run(c),
        Command::Store(c) => store::run(c),
        Command::Demo(c) => demo::run(c),
    }
}
