//! Secret arguments (keys): where a command reads them from, into wiped buffers.
//!
//! Every key a command takes (a KEK, BDK, KBPK, device secret or plaintext key) can be
//! given in one of three ways, shown here for `--kek`:
//!
//! - `--kek-file PATH`: read from a file; `--kek-file -` reads it from standard input
//!   (one secret per command at most);
//! - `--kek-env VAR`: read from the environment variable `VAR` (readable by the same
//!   user through `/proc/PID/environ` and inherited by child processes: prefer a file or
//!   standard input);
//! - `--kek HEX`: on the command line. **For test keys only**: a command line is visible
//!   to every user of the machine (`/proc/PID/cmdline`, `ps`) and is kept in shell
//!   history.
//!
//! File, standard-input and environment content is hex (upper or lower case, white space
//! around it ignored) by default; with `--secret-format raw` it is the key's bytes
//! exactly as read (no trimming; an environment variable cannot hold a zero byte, so a
//! raw key containing one must come from a file or standard input).
//!
//! What is read is held in buffers that are wiped when dropped ([`zeroize::Zeroizing`]):
//! files and standard input are read straight into one buffer of fixed capacity (never
//! reallocated, no copy left behind by growth); standard input is read through its own
//! file descriptor, bypassing the standard library's buffered reader. Error messages name
//! the argument (and a file's path or a variable's name), never what was read.
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use clap::ValueEnum;
use zeroize::Zeroizing;

use super::hexarg;

/// The largest secret input read from a file, standard input or the environment, in
/// bytes as read (hex of a 4096-byte KWP key is 8192 characters, plus white space).
pub const MAX_SECRET_INPUT: usize = 16 * 1024;

/// How secret inputs from files, standard input and the environment are encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum SecretFormat {
    /// Hex digits (white space around them ignored).
    #[default]
    Hex,
    /// The key's bytes, exactly as read.
    Raw,
}

static FORMAT: OnceLock<SecretFormat> = OnceLock::new();
static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

/// Sets the encoding of secret inputs for this process (from `--secret-format`; once).
pub fn set_format(f: SecretFormat) {
    let _ = FORMAT.set(f);
}

fn format() -> SecretFormat {
    FORMAT.get().copied().unwrap_or_default()
}

/// Where one secret comes from.
pub enum Source<'a> {
    /// Hex on the command line (test keys only).
    Hex(&'a str),
    /// A file, or standard input for `-`.
    File(&'a Path),
    /// An environment variable's name.
    Env(&'a str),
}

/// Reads the secret argument `name` (e.g. `--kek`) from `src` into a wiped buffer.
pub fn read(name: &str, src: Source<'_>) -> Result<Zeroizing<Vec<u8>>, String> {
    match src {
        Source::Hex(s) => hexarg::parse(name, s),
        Source::File(p) => {
            let what = format!("{name}-file");
            let raw = if p == Path::new("-") {
                if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
                    return Err(format!(
                        "{what}: only one secret can come from standard input"
                    ));
                }
                read_stdin().map_err(|e| format!("{what}: standard input: {e}"))?
            } else {
                let f = std::fs::File::open(p)
                    .map_err(|e| format!("{what}: {}: {}", p.display(), e.kind()))?;
                read_capped(f).map_err(|e| format!("{what}: {}: {e}", p.display()))?
            };
            decode(&what, raw)
        }
        Source::Env(var) => {
            let what = format!("{name}-env");
            let v = std::env::var_os(var).ok_or_else(|| format!("{what}: {var} is not set"))?;
            // Moved, not copied, into the wiped buffer.
            let raw = Zeroizing::new(std::os::unix::ffi::OsStringExt::into_vec(v));
            if raw.len() > MAX_SECRET_INPUT {
                return Err(format!("{what}: {var} is too long"));
            }
            decode(&what, raw)
        }
    }
}

/// Standard input through a duplicate of its descriptor: reads go straight into our
/// buffer, not through `Stdin`'s internal buffer (which is never wiped).
fn read_stdin() -> Result<Zeroizing<Vec<u8>>, String> {
    use std::os::fd::AsFd;
    let fd = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| e.kind().to_string())?;
    read_capped(std::fs::File::from(fd))
}

/// Reads all of `r` into one buffer of [`MAX_SECRET_INPUT`] + 1 bytes, allocated once and
/// wiped on drop, then truncated (truncation keeps the allocation: the wipe covers it).
fn read_capped(mut r: impl Read) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut buf = Zeroizing::new(vec![0u8; MAX_SECRET_INPUT + 1]);
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.kind().to_string()),
        }
    }
    if n > MAX_SECRET_INPUT {
        return Err(format!("longer than {MAX_SECRET_INPUT} bytes"));
    }
    // Zeroizing<Vec> wipes the whole capacity on drop, so the bytes past `n` are covered.
    buf.truncate(n);
    Ok(buf)
}

/// Decodes what was read according to `--secret-format`.
fn decode(what: &str, raw: Zeroizing<Vec<u8>>) -> Result<Zeroizing<Vec<u8>>, String> {
    let out = match format() {
        SecretFormat::Raw => raw,
        SecretFormat::Hex => {
            let digits = raw.trim_ascii();
            if !digits.len().is_multiple_of(2) {
                return Err(format!("{what}: not valid hex"));
            }
            let mut out = Zeroizing::new(vec![0u8; digits.len() / 2]);
            hex::decode_to_slice(digits, &mut out).map_err(|_| format!("{what}: not valid hex"))?;
            out
        }
    };
    if out.is_empty() {
        return Err(format!("{what}: empty"));
    }
    Ok(out)
}

/// Declares a clap argument group for one secret: `--NAME HEX`, `--NAME-file PATH`,
/// `--NAME-env VAR`, at most one of them (exactly one when `required`). `$what` completes
/// the help text ("The key-encryption key (16, 24 or 32 bytes)").
macro_rules! secret_arg {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $file:literal, $env:literal, $what:literal,
     required = $req:literal) => {
        $(#[$doc])*
        #[derive(clap::Args)]
        #[group(required = $req, multiple = false)]
        pub struct $ty {
            #[arg(
                long = $name,
                id = $name,
                value_name = "HEX",
                help = concat!($what, ", hex on the command line: TEST KEYS ONLY (visible \
                    in /proc/PID/cmdline and shell history; use --", $file, " or --", $env,
                    ")")
            )]
            hex: Option<String>,
            #[arg(
                long = $file,
                id = $file,
                value_name = "PATH",
                help = concat!($what, ", read from a file (`-`: standard input), hex or \
                    as --secret-format says")
            )]
            file: Option<std::path::PathBuf>,
            #[arg(
                long = $env,
                id = $env,
                value_name = "VAR",
                help = concat!($what, ", read from an environment variable, hex or as \
                    --secret-format says")
            )]
            env: Option<String>,
        }

        impl $ty {
            /// The secret, from whichever source was given; `None` if none was.
            #[allow(dead_code)]
            pub fn read_opt(&self) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, String> {
                use $crate::cmd::secretarg::{read, Source};
                let name = concat!("--", $name);
                if let Some(h) = &self.hex {
                    return read(name, Source::Hex(h)).map(Some);
                }
                if let Some(p) = &self.file {
                    return read(name, Source::File(p)).map(Some);
                }
                if let Some(v) = &self.env {
                    return read(name, Source::Env(v)).map(Some);
                }
                Ok(None)
            }

            /// The secret (one source is required by the argument group).
            #[allow(dead_code)]
            pub fn read(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
                self.read_opt()?
                    .ok_or_else(|| concat!("--", $name, ": missing").to_string())
            }
        }

        impl Drop for $ty {
            fn drop(&mut self) {
                if let Some(h) = &mut self.hex {
                    zeroize::Zeroize::zeroize(h);
                }
            }
        }
    };
}

secret_arg!(
    /// `--kek`: a key-encryption key.
    KekArg, "kek", "kek-file", "kek-env", "Key-encryption key (16, 24 or 32 bytes)",
    required = true
);
secret_arg!(
    /// `--key`: a plaintext key to wrap or import.
    KeyArg, "key", "key-file", "key-env", "The plaintext key", required = true
);
secret_arg!(
    /// `--bdk`: a base derivation key.
    BdkArg, "bdk", "bdk-file", "bdk-env", "Base derivation key", required = true
);
secret_arg!(
    /// `--bdk` when a random BDK is made if none is given.
    OptBdkArg, "bdk", "bdk-file", "bdk-env",
    "The BDK (AES-128/192/256); a random AES-128 BDK if absent", required = false
);
secret_arg!(
    /// `--kbpk`: a TR-31 key block protection key.
    KbpkArg, "kbpk", "kbpk-file", "kbpk-env", "Key block protection key", required = true
);
secret_arg!(
    /// `--device-secret`: a test device's 32-byte secret.
    DeviceSecretArg, "device-secret", "device-secret-file", "device-secret-env",
    "The test device's secret (32 bytes)", required = true
);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn read_capped_refuses_more_than_the_cap() {
        let ok = vec![b'a'; MAX_SECRET_INPUT];
        assert_eq!(read_capped(&ok[..]).map(|b| b.len()), Ok(MAX_SECRET_INPUT));
        let long = vec![b'a'; MAX_SECRET_INPUT + 1];
        assert!(read_capped(&long[..]).is_err());
    }

    #[test]
    fn hex_decode_trims_and_rejects() {
        let d = |s: &[u8]| decode("--kek-file", Zeroizing::new(s.to_vec())).map(|v| v.to_vec());
        assert_eq!(d(b" 0aFf\n"), Ok(vec![0x0a, 0xff]));
        for bad in [&b"0a f"[..], b"abc", b"zz", b"\n"] {
            let e = d(bad).unwrap_err();
            assert!(e.starts_with("--kek-file: "), "{e}");
        }
    }
}
