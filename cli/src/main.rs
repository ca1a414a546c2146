//! `keyfort`: the host-side tool for the payment host and the key-injection bench.
//!
//! Every command takes and prints hex. A failed operation prints one line to stderr and
//! exits with status 1; the line never contains key material.
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;

/// keyfort: key wrap, DUKPT, TR-31 key blocks and flash images, from the command line.
#[derive(Parser)]
#[command(name = "keyfort", version, about)]
struct Cli {
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cmd::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keyfort: {e}");
            ExitCode::FAILURE
        }
    }
}

#[allow(dead_code)]
fn _assert_subcommand<T: Subcommand>() {}
