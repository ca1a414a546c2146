//! `keyfort kw ...` and `keyfort kwp ...`: AES key wrap (RFC 3394) and key wrap with
//! padding (RFC 5649), hex in and hex out.
//!
//! ```text
//! keyfort kw  wrap   --kek-file KEK --key-file KEY   # prints the wrapped key
//! keyfort kw  unwrap --kek-file KEK --wrapped HEX    # prints the key
//! keyfort kwp wrap   --kek-file KEK --key-file -     # the key from standard input
//! keyfort kwp unwrap --kek-env KEYFORT_KEK --wrapped HEX
//! keyfort kw  wrap   --kek HEX --key HEX             # test keys only
//! ```
//!
//! Keys come from a file, standard input or an environment variable (see
//! [`super::secretarg`]); `--kek HEX` / `--key HEX` are for test keys only.
//!
//! Output is upper-case hex (`--json`: `{"wrapped": ...}` / `{"key": ...}`). A failed
//! unwrap prints one line to stderr (never key material, never which check failed) and
//! exits with status 3 if the integrity check failed (wrong KEK, altered input), 1 for
//! bad input.
use clap::Subcommand;
use keyfort::key::{KekRole, KeyUnwrap, KeyWrap, TypedKey};
use keyfort::wrap::{self, Kek, WrapError};
use zeroize::Zeroizing;

use super::failure::{self, Failure};
use super::hexarg;
use super::output;
use super::secretarg::{KekArg, KeyArg};

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
        #[command(flatten)]
        kek: KekArg,
        #[command(flatten)]
        key: KeyArg,
    },
    /// Unwrap a wrapped key; prints the key in hex.
    Unwrap {
        #[command(flatten)]
        kek: KekArg,
        /// The wrapped key, hex.
        #[arg(long)]
        wrapped: String,
    },
}

/// Runs a `kw` / `kwp` command.
pub fn run(cmd: WrapCommand) -> Result<(), Failure> {
    let (padded, op, name) = match cmd {
        WrapCommand::Kw(op) => (false, op, "kw"),
        WrapCommand::Kwp(op) => (true, op, "kwp"),
    };
    match op {
        Op::Wrap { kek, key } => {
            let what = format!("{name} wrap");
            let kek = kek_of::<KeyWrap>(&kek.read()?).map_err(|e| failure::wrap(&what, e))?;
            let key = key.read()?;
            let mut out = Zeroizing::new(vec![0u8; key.len() + 16]);
            let n = if padded {
                wrap::kwp_wrap(&kek, &key, &mut out)
            } else {
                wrap::kw_wrap(&kek, &key, &mut out)
            }
            .map_err(|e| failure::wrap(&what, e))?;
            let hex = output::hex(&out[..n]);
            if output::json() {
                return output::print_json(serde_json::json!({ "wrapped": hex }));
            }
            println!("{hex}");
        }
        Op::Unwrap { kek, wrapped } => {
            let what = format!("{name} unwrap");
            let kek = kek_of::<KeyUnwrap>(&kek.read()?).map_err(|e| failure::wrap(&what, e))?;
            let wrapped = hexarg::parse("--wrapped", &wrapped)?;
            let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
            let n = if padded {
                wrap::kwp_unwrap(&kek, &wrapped, &mut out)
            } else {
                wrap::kw_unwrap(&kek, &wrapped, &mut out)
            }
            .map_err(|e| failure::wrap(&what, e))?;
            let text = output::secret_hex(&out[..n]);
            if output::json() {
                return output::print_json(serde_json::json!({ "key": text.as_str() }));
            }
            println!("{}", text.as_str());
        }
    }
    Ok(())
}

/// The KEK of the command line's bytes, admitted for the role `R` (an AES key of 16, 24
/// or 32 bytes that wraps, or unwraps).
fn kek_of<R: KekRole>(bytes: &[u8]) -> Result<Kek, WrapError> {
    Kek::new(&TypedKey::<R>::raw_aes(bytes)?)
}
