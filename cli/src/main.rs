//! `keyfort`: the host-side tool for the payment host and the key-injection bench.
//!
//! Every command takes and prints hex. A failed operation prints one line to stderr and
//! exits with status 1; the line never contains key material.
//!
//! Keys are read from a file or standard input (`--kek-file PATH`, `--kek-file -`) or an
//! environment variable (`--kek-env VAR`), hex or raw (`--secret-format`); the hex
//! command-line form (`--kek HEX`) is for test keys only (see `cmd::secretarg`).
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;

/// keyfort: key wrap, DUKPT, TR-31 key blocks and flash images, from the command line.
#[derive(Parser)]
#[command(
    name = "keyfort",
    version,
    about,
    after_help = "Keys (KEK, BDK, KBPK, device secret, plaintext key): give each as \
--NAME-file PATH (`-`: standard input) or --NAME-env VAR, hex or raw (--secret-format). \
--NAME HEX on the command line is for TEST KEYS ONLY: it is visible in /proc/PID/cmdline \
and kept in shell history."
)]
struct Cli {
    /// How keys read from files, standard input or environment variables are encoded.
    #[arg(long, global = true, value_enum, default_value_t = cmd::secretarg::SecretFormat::Hex)]
    secret_format: cmd::secretarg::SecretFormat,
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cmd::secretarg::set_format(cli.secret_format);
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
