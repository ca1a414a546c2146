//! `keyfort`: the host-side tool for the payment host and the key-injection bench.
//!
//! Every command takes hex (either case) and prints upper-case hex; `--json` prints one
//! JSON object instead of text. A failed operation prints one line to stderr (never key
//! material) and exits with a status that tells bad input (1), a usage error (2), an
//! integrity failure such as a bad MAC (3) and a refusal or system failure (4) apart
//! (see `cmd::failure`).
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
and kept in shell history.

JSON: --json prints one JSON object per command on standard output (and errors as {\"error\", \"exit_code\"} on standard error). Hex output is upper case everywhere.

Exit status: 0 success; 1 bad input (malformed or missing value, unparsable key block or KSN, counter no device produces); 2 command-line usage error; 3 integrity failure (MAC or key-wrap check failed, store does not authenticate, KCV differs from --expect-kcv); 4 refused by a key's policy, or a system failure."
)]
struct Cli {
    /// How keys read from files, standard input or environment variables are encoded.
    #[arg(long, global = true, value_enum, default_value_t = cmd::secretarg::SecretFormat::Hex)]
    secret_format: cmd::secretarg::SecretFormat,
    /// Print the result as one JSON object (hex values as upper-case strings).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cmd::secretarg::set_format(cli.secret_format);
    cmd::output::set_json(cli.json);
    match cmd::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            cmd::output::print_failure(&f);
            ExitCode::from(f.exit as u8)
        }
    }
}

#[allow(dead_code)]
fn _assert_subcommand<T: Subcommand>() {}
