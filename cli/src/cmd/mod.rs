//! One module per command family.
use clap::Subcommand;

pub mod components;
pub mod demo;
pub mod dukpt;
pub mod failure;
pub mod hexarg;
pub mod host;
pub mod kcv;
pub mod output;
pub mod secretarg;
pub mod store;
pub mod tr31;
pub mod wrap;

use failure::Failure;

/// The top-level commands.
#[derive(Subcommand)]
pub enum Command {
    /// Print the keyfort version.
    Version,
    /// AES key wrap: `kw` (RFC 3394) and `kwp` (RFC 5649) wrap / unwrap.
    #[command(flatten)]
    Wrap(wrap::WrapCommand),
    /// DUKPT host-side derivations (AES X9.24-3, TDES X9.24-1), same commands for both.
    #[command(subcommand)]
    Dukpt(dukpt::Dukpt),
    /// TR-31 / X9.143 key blocks: wrap, unwrap, print a header.
    #[command(subcommand)]
    Tr31(tr31::Tr31Cmd),
    /// A key's check value (KCV): AES CMAC method (X9.24-1), TDES legacy method.
    Kcv(kcv::KcvArgs),
    /// Key components for split knowledge: combine (XOR) or split, with KCVs.
    #[command(subcommand)]
    Components(components::ComponentsCmd),
    /// Build and inspect sealed key-store flash images (factory provisioning).
    #[command(subcommand)]
    Store(store::StoreCmd),
    /// The end-to-end demo's host side: provision a terminal, verify its transactions,
    /// scan it for keys.
    #[command(subcommand)]
    Demo(demo::DemoCmd),
}

/// Runs a command; the error says which exit status and carries a one-line, key-free
/// message.
pub fn run(cmd: Command) -> Result<(), Failure> {
    match cmd {
        Command::Version => {
            if output::json() {
                output::print_json(serde_json::json!({ "version": env!("CARGO_PKG_VERSION") }))
            } else {
                println!("keyfort {}", env!("CARGO_PKG_VERSION"));
                Ok(())
            }
        }
        Command::Wrap(c) => wrap::run(c),
        Command::Dukpt(c) => dukpt::run(c),
        Command::Tr31(c) => tr31::run(c),
        Command::Kcv(a) => kcv::run(a),
        Command::Components(c) => components::run(c),
        Command::Store(c) => store::run(c),
        Command::Demo(c) => demo::run(c),
    }
}
