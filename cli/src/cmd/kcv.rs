//! `keyfort kcv`: a key's check value, as HSM consoles and psec print it.
//!
//! ```text
//! keyfort kcv --algorithm aes  --key-file KEY              # CMAC method, 3 bytes
//! keyfort kcv --algorithm aes  --key-file KEY --length 5   # CMAC method, 5 bytes
//! keyfort kcv --algorithm tdes --key-file KEY              # legacy (encrypt zeros)
//! keyfort kcv --algorithm tdes --key-file KEY --method cmac
//! keyfort kcv --algorithm aes  --key-file KEY --expect-kcv 08793E   # exit 3 if not
//! ```
//!
//! AES keys default to the CMAC method of ANSI X9.24-1-2017 (the only one it allows for
//! AES), TDES keys to the legacy method (encrypt a zero block); `--method` picks the other.
//! See [`keyfort::kcv`].
use clap::{Args, ValueEnum};
use keyfort::block::{Aes, Tdes};
use keyfort::kcv::{self, Kcv, KcvLen};

use super::failure::Failure;
use super::hexarg;
use super::output;
use super::secretarg::KeyArg;

/// A key's algorithm family, for its KCV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AlgArg {
    /// AES-128/192/256 (16, 24 or 32 bytes).
    Aes,
    /// TDES, two- or three-key (16 or 24 bytes).
    Tdes,
}

impl AlgArg {
    /// The name printed in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes => "aes",
            Self::Tdes => "tdes",
        }
    }
}

/// The KCV method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// CMAC of a zero block (X9.24-1-2017; the default for AES).
    Cmac,
    /// Encrypt a zero block (the default for TDES; 3 bytes only).
    Legacy,
}

impl MethodArg {
    /// The name printed in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cmac => "cmac",
            Self::Legacy => "legacy",
        }
    }
}

/// How to compute a KCV: the options every command that prints one takes.
#[derive(Args, Clone, Copy)]
pub struct KcvOpts {
    /// The KCV method; default: cmac for AES, legacy for TDES.
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,
    /// KCV length in bytes: 3, or 5 (CMAC method only).
    #[arg(long = "kcv-length", default_value_t = 3, value_parser = clap::value_parser!(u8).range(3..=5))]
    pub length: u8,
}

impl KcvOpts {
    /// The method used for `alg`.
    pub fn method(&self, alg: AlgArg) -> MethodArg {
        self.method.unwrap_or(match alg {
            AlgArg::Aes => MethodArg::Cmac,
            AlgArg::Tdes => MethodArg::Legacy,
        })
    }

    /// The KCV of `key` as an `alg` key.
    pub fn compute(&self, alg: AlgArg, key: &[u8]) -> Result<Kcv, Failure> {
        let len = match self.length {
            3 => KcvLen::Three,
            5 => KcvLen::Five,
            _ => return Err("--kcv-length: 3 or 5".into()),
        };
        let method = self.method(alg);
        if method == MethodArg::Legacy && len != KcvLen::Three {
            return Err("--kcv-length 5 needs --method cmac".into());
        }
        Ok(match alg {
            AlgArg::Aes => {
                let k = Aes::new(key).map_err(|_| "AES key: 16, 24 or 32 bytes expected")?;
                match method {
                    MethodArg::Cmac => kcv::aes_cmac(&k, len),
                    MethodArg::Legacy => kcv::aes_legacy(&k),
                }
            }
            AlgArg::Tdes => {
                let k = Tdes::new(key).map_err(|e| format!("TDES key: {e}"))?;
                match method {
                    MethodArg::Cmac => kcv::tdes_cmac(&k, len),
                    MethodArg::Legacy => kcv::tdes_legacy(&k),
                }
            }
        })
    }
}

/// Checks `kcv` against `--expect-kcv` (hex, 3 to 5 bytes): exit status 3 if it differs.
pub fn check_expected(what: &str, kcv: &Kcv, expect: Option<&str>) -> Result<(), Failure> {
    let Some(e) = expect else { return Ok(()) };
    let want = hexarg::parse("--expect-kcv", e)?;
    if !(3..=5).contains(&want.len()) {
        return Err("--expect-kcv: 3 to 5 bytes expected".into());
    }
    if want.len() > kcv.as_bytes().len() {
        return Err("--expect-kcv: longer than the KCV (use --kcv-length 5)".into());
    }
    if !kcv.matches(&want) {
        return Err(Failure::integrity(format!(
            "{what}: KCV {kcv} differs from the expected {}",
            output::hex(&want)
        )));
    }
    Ok(())
}

/// Arguments of `keyfort kcv`.
#[derive(Args)]
pub struct KcvArgs {
    /// The key's algorithm.
    #[arg(long, value_enum)]
    algorithm: AlgArg,
    #[command(flatten)]
    key: KeyArg,
    #[command(flatten)]
    opts: KcvOpts,
    /// Fail with exit status 3 unless the KCV starts with these bytes (hex).
    #[arg(long)]
    expect_kcv: Option<String>,
}

/// Runs `keyfort kcv`.
pub fn run(a: KcvArgs) -> Result<(), Failure> {
    let key = a.key.read()?;
    let kcv = a.opts.compute(a.algorithm, &key)?;
    check_expected("key", &kcv, a.expect_kcv.as_deref())?;
    if output::json() {
        output::print_json(serde_json::json!({
            "algorithm": a.algorithm.name(),
            "key_length": key.len(),
            "method": a.opts.method(a.algorithm).name(),
            "kcv": kcv.to_string(),
        }))
    } else {
        println!("{kcv}");
        Ok(())
    }
}
