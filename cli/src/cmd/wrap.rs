//! `keyfort kw ...` and `keyfort kwp ...`: AES key wrap (RFC 3394) and key wrap with
//! padding (RFC 5649), hex in and hex out.
//!
//! ```text
//! keyfort kw  wrap   --kek HEX --key HEX       # prints the wrapped key
//! keyfort kw  unwrap --kek HEX --wrapped HEX   # prints the key
//! keyfort kwp wrap   --kek HEX --key HEX
//! keyfort kwp unwrap --kek HEX --wrapped HEX
//! ```
//!
//! A failed unwrap prints one line to stderr (never key material, never which check
//! failed) and exits with status 1.
use clap::Subcommand;
use keyfort::wrap::{self, Kek};
use zeroize::{Zeroize, Zeroizing};

use super::hexarg;

/// The key-wrap command families.
#[derive(Subcommand)]
pub enum WrapCommand {
    /// AES key wrap, RFC 3394 / NIST SP 800-38F KW (key data: a multiple of 8 bytes, >= 16).
    #[command(subcommand)]
    Kw(Op),
    /// AES key wrap with padding, RFC 5649 / NIST SP 800-38F KWP (key data: 1..=4096 bytes).
    #[command(subcommand)]
    Kwp(Op),
}

/// Wrap or unwrap.
#[derive(Subcommand)]
pub enum Op {
    /// Wrap a key; prints the wrapped key in hex.
    Wrap {
        /// Key-encryption key, hex (16, 24 or 32 bytes).
        #[arg(long)]
        kek: String,
        /// The key to wrap, hex.
        #[arg(long)]
        key: String,
    },
    /// Unwrap a wrapped key; prints the key in hex.
    Unwrap {
        /// Key-encryption key, hex (16, 24 or 32 bytes).
        #[arg(long)]
        kek: String,
        /// The wrapped key, hex.
        #[arg(long)]
        wrapped: String,
    },
}

/// Runs a `kw` / `kwp` command.
pub fn run(cmd: WrapCommand) -> Result<(), String> {
    let (padded, op, name) = match cmd {
        WrapCommand::Kw(op) => (false, op, "kw"),
        WrapCommand::Kwp(op) => (true, op, "kwp"),
    };
    match op {
        Op::Wrap { mut kek, mut key } => {
            let kek_bytes = hexarg::parse("--kek", &kek);
            let key_bytes = hexarg::parse("--key", &key);
            kek.zeroize();
            key.zeroize();
            let kek = Kek::new(&kek_bytes?).map_err(|e| format!("{name} wrap: {e}"))?;
            let key = key_bytes?;
            let mut out = Zeroizing::new(vec![0u8; key.len() + 16]);
            let n = if padded {
                wrap::kwp_wrap(&kek, &key, &mut out)
            } else {
                wrap::kw_wrap(&kek, &key, &mut out)
            }
            .map_err(|e| format!("{name} wrap: {e}"))?;
            println!("{}", hex::encode(&out[..n]));
        }
        Op::Unwrap { mut kek, wrapped } => {
            let kek_bytes = hexarg::parse("--kek", &kek);
            kek.zeroize();
            let kek = Kek::new(&kek_bytes?).map_err(|e| format!("{name} unwrap: {e}"))?;
            let wrapped = hexarg::parse("--wrapped", &wrapped)?;
            let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
            let n = if padded {
                wrap::kwp_unwrap(&kek, &wrapped, &mut out)
            } else {
                wrap::kw_unwrap(&kek, &wrapped, &mut out)
            }
            .map_err(|e| format!("{name} unwrap: {e}"))?;
            let mut text = Zeroizing::new(hex::encode(&out[..n]));
            println!("{}", text.as_str());
            text.zeroize();
        }
    }
    Ok(())
}
