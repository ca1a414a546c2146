//! `keyfort demo ...`: the payment host's side of the end-to-end demo (`./x demo`).
//!
//! - `provision`: the key-injection bench. Creates (or takes) a BDK, derives the
//!   terminal's AES DUKPT initial key, wraps it in a TR-31 version D key block (usage
//!   `B1`, mode `X`, non-exportable, initial key ID in an `IK` optional block) under a
//!   fresh AES-256 KBPK, and writes the device's factory flash image: the store's own
//!   on-flash format, sealed under the device's (test-only) secret, holding the KBPK
//!   (`UNWRAP` only) and the block in the injection slot
//!   (`keyfort_testkit::demo::factory`).
//! - `verify`: reads the terminal's transaction records, re-derives each transaction's
//!   keys from the BDK and the KSN, checks the MAC, decrypts the card data and the PIN
//!   block, checks that no KSN counter was used twice, and prints the table.
//! - `scan`: searches the terminal's flash (and RAM, if dumped) for every key it ever
//!   held or could derive, and opens the store with the device secret to list what is
//!   left.
//!
//! With `--json` each command prints one summary object instead of its text. A failed
//! check (a transaction that does not verify, a key found in a dump, a store that still
//! holds keys after a wipe) exits with status 3.
//!
//! The host directory keeps the BDK and the KBPK in hex files: TEST ONLY (a real payment
//! host keeps its BDK in an HSM).
use clap::{Args, Subcommand};
use keyfort_testkit::demo::files;
use std::ffi::CStr;
use std::path::PathBuf;

mod image;
mod provision;
mod scan;
mod verify;

/// The `demo` subcommands.
#[derive(Subcommand)]
pub enum DemoCmd {
    /// Key-injection bench: BDK, initial key, TR-31 block, factory flash image.
    Provision {
        #[command(flatten)]
        dirs: Dirs,
        #[command(flatten)]
        bdk: crate::cmd::secretarg::OptBdkArg,
    },
    /// Payment host: verify every transaction record, print the table.
    Verify {
        #[command(flatten)]
        dirs: Dirs,
        /// Fail unless exactly this many complete records arrived.
        #[arg(long)]
        expect: Option<usize>,
        /// One line per transaction.
        #[arg(long)]
        table: bool,
    },
    /// Search the terminal's flash and RAM dump for keys.
    Scan {
        #[command(flatten)]
        dirs: Dirs,
        /// Fail if the store still holds a key or DUKPT state (after a tamper wipe).
        #[arg(long)]
        expect_wiped: bool,
    },
}

/// Where the device and the host keep their files.
#[derive(Args)]
pub struct Dirs {
    /// The device directory (the QEMU run's working directory: flash.bin, ...).
    #[arg(long)]
    device: PathBuf,
    /// The host's directory (BDK, KBPK: TEST ONLY).
    #[arg(long)]
    host: PathBuf,
}

impl Dirs {
    /// The demo file `f` ([`files`]) of the device directory.
    fn device_file(&self, f: &CStr) -> PathBuf {
        self.device.join(files::name(f))
    }
    /// The demo file `f` ([`files`]) of the host directory.
    fn host_file(&self, f: &CStr) -> PathBuf {
        host_file(&self.host, f)
    }
}

/// The demo file `f` of the host directory `host`.
fn host_file(host: &std::path::Path, f: &CStr) -> PathBuf {
    host.join(files::name(f))
}

/// Runs a `demo` subcommand.
pub fn run(cmd: DemoCmd) -> Result<(), crate::cmd::failure::Failure> {
    match cmd {
        DemoCmd::Provision { dirs, bdk } => Ok(provision::run(&dirs, bdk.read_opt()?)?),
        DemoCmd::Verify {
            dirs,
            expect,
            table,
        } => verify::run(&dirs, expect, table),
        DemoCmd::Scan { dirs, expect_wiped } => scan::run(&dirs, expect_wiped),
    }
}
