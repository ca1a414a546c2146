//! Key block export (host side): version D with X9.143 key-length obfuscation and random
//! padding.
//!
//! The clear payload is `bit length (2 bytes) || key || random padding`, where the key
//! plus padding fills the largest key of its algorithm (32 bytes for `A`, 24 for `T`)
//! and the payload is a multiple of 16 bytes: a block does not tell a 16-byte from a
//! 32-byte AES key. MAC = CMAC(KBAK, header || payload); the payload is encrypted with
//! AES-CBC under the KBEK with the MAC as IV.
use rand_core::CryptoRng;
use zeroize::Zeroize;

use super::header::{header_len, write_header, HeaderSpec, OptBlock, Out, Version};
use super::kdf::derive_keys;
use super::payload::with_aes_pair;
use super::Tr31Error;
use crate::cmac::cmac;
use crate::key::{KbpkWrap, TypedKey};
use crate::modes;
use crate::secret::SecretBuf;

/// Largest key [`wrap`] accepts, in bytes.
pub const MAX_WRAP_KEY: usize = 62;
const PAYLOAD_CAP: usize = 80;

/// The key length a payload is padded to for `algorithm` (obfuscation).
fn obfuscated_len(algorithm: u8, key_len: usize) -> usize {
    let max = match algorithm {
        b'A' => 32,
        b'T' => 24,
        _ => 0,
    };
    key_len.max(max)
}

/// The length of the block [`wrap`] produces for these inputs.
pub fn wrapped_len(
    spec: &HeaderSpec,
    opt: &[OptBlock<'_>],
    key_len: usize,
) -> Result<usize, Tr31Error> {
    let payload = payload_len(spec, key_len)?;
    Ok(header_len(opt, 16)? + 2 * payload + 32)
}

fn payload_len(spec: &HeaderSpec, key_len: usize) -> Result<usize, Tr31Error> {
    if key_len == 0 || key_len > MAX_WRAP_KEY {
        return Err(Tr31Error::KeyTooLarge);
    }
    let raw = 2 + obfuscated_len(spec.algorithm, key_len);
    Ok((raw + 15) & !15)
}

/// Wraps `key` into a version D block under the AES `kbpk` (a `K1` key admitted for
/// wrapping; [`KbpkWrap`] takes AES keys only) with the caller's header fields and
/// optional blocks (a `PB` block is added to align the header), padding from `rng`.
/// Writes the ASCII block into `out` and returns its length.
pub fn wrap<R: CryptoRng + ?Sized>(
    kbpk: &TypedKey<'_, KbpkWrap>,
    spec: &HeaderSpec,
    opt: &[OptBlock<'_>],
    key: &[u8],
    rng: &mut R,
    out: &mut [u8],
) -> Result<usize, Tr31Error> {
    spec.validate()?;
    let plen = payload_len(spec, key.len())?;
    let total = wrapped_len(spec, opt, key.len())?;
    if out.len() < total {
        return Err(Tr31Error::OutputTooSmall);
    }
    let keys = derive_keys(Version::D, kbpk)?;
    // The schedules stay in `with_aes_pair`'s frame and are wiped there.
    with_aes_pair(&keys, |e, a| {
        let mut payload = SecretBuf::<PAYLOAD_CAP>::new();
        payload.set_len(plen).ok_or(Tr31Error::KeyTooLarge)?;
        {
            let p = payload.expose_mut();
            let bits = u16::try_from(key.len() * 8).map_err(|_| Tr31Error::KeyTooLarge)?;
            p.get_mut(..2)
                .ok_or(Tr31Error::KeyTooLarge)?
                .copy_from_slice(&bits.to_be_bytes());
            p.get_mut(2..2 + key.len())
                .ok_or(Tr31Error::KeyTooLarge)?
                .copy_from_slice(key);
            rng.fill_bytes(p.get_mut(2 + key.len()..).unwrap_or(&mut []));
        }
        let mut w = Out { buf: out, pos: 0 };
        let hlen = write_header(&mut w, Version::D, spec, opt, total)?;
        let header = w.buf.get(..hlen).ok_or(Tr31Error::OutputTooSmall)?;
        let mac = cmac(a, &[header, payload.expose()]);
        // CBC under the KBEK with the MAC as IV, in a copy of the payload (wiped).
        let mut ct = [0u8; PAYLOAD_CAP];
        let r = match ct.get_mut(..plen) {
            Some(c) => {
                c.copy_from_slice(payload.expose());
                let mut chain = mac;
                modes::cbc_encrypt(e, &mut chain, c);
                w.put_hex(c).and_then(|()| w.put_hex(&mac))
            }
            None => Err(Tr31Error::KeyTooLarge),
        };
        ct.zeroize();
        if let Err(err) = r {
            w.buf.zeroize();
            return Err(err);
        }
        Ok(w.pos)
    })
}
