//! MACs: ANSI X9.19 retail MAC (ISO 9797-1 MAC algorithm 3 with DES, padding method 1),
//! AES-CMAC and TDES-CMAC (the crate's SP 800-38B CMAC over [`crate::block`]),
//! HMAC-SHA256 (`hmac` crate). Every `verify_*`
//! compares in constant time (`subtle`) and accepts a MAC truncated to its leftmost
//! bytes, 4 bytes at least.
use super::{aes, tdes, OpsError};
use crate::block::Des;
use crate::block_cipher::{BlockCipher, BlockEncrypt};
use crate::cmac::{cmac, cmac8};
use crate::key::{Cmac, Hmac, MacGenerate, MacVerify, RetailMac, Role, TypedKey};
use crate::modes;
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// The shortest MAC a verify accepts.
pub const MIN_MAC_LEN: usize = 4;

fn check_tag(computed: &[u8], tag: &[u8]) -> Result<(), OpsError> {
    if tag.len() < MIN_MAC_LEN || tag.len() > computed.len() {
        return Err(OpsError::BadMacLength);
    }
    let head = computed.get(..tag.len()).ok_or(OpsError::BadMacLength)?;
    if bool::from(head.ct_eq(tag)) {
        Ok(())
    } else {
        Err(OpsError::MacMismatch)
    }
}

/// Checks `tag` against a freshly computed MAC (or passes on its error), then wipes
/// the computed MAC.
fn verify<const N: usize>(computed: Result<[u8; N], OpsError>, tag: &[u8]) -> Result<(), OpsError> {
    let mut m = computed?;
    let r = check_tag(&m, tag);
    m.zeroize();
    r
}

/// X9.19 retail MAC under a 2-key TDES key bound to ISO 9797-1 MAC algorithm 3 (`M3`):
/// DES-CBC-MAC under the left half over the zero-padded data (one zero block if the data
/// is empty), then the last block decrypted under the right half and encrypted under the
/// left half. A key whose halves are equal (a single-DES CBC-MAC) is refused when the
/// holder is made ([`crate::key::KeyError::DegenerateKey`]).
pub fn retail_mac(
    key: &TypedKey<'_, MacGenerate<RetailMac>>,
    data: &[u8],
) -> Result<[u8; 8], OpsError> {
    retail(key.expose(), data)
}

/// Verifies an X9.19 retail MAC (4 to 8 leftmost bytes) under an `M3` key.
pub fn verify_retail_mac(
    key: &TypedKey<'_, MacVerify<RetailMac>>,
    data: &[u8],
    tag: &[u8],
) -> Result<(), OpsError> {
    verify(retail(key.expose(), data), tag)
}

fn retail(key: &[u8], data: &[u8]) -> Result<[u8; 8], OpsError> {
    if key.len() != 16 {
        return Err(OpsError::BadKeyLength);
    }
    crate::block::check_tdes_key(key)?;
    let mut k = [0u8; 8];
    k.copy_from_slice(&key[..8]);
    let k1 = Des::new(&k);
    k.copy_from_slice(&key[8..]);
    let k2 = Des::new(&k);
    k.zeroize();
    // DES-CBC-MAC under the left half (zero padding; one zero block if empty).
    let mut chain = [0u8; 16];
    if data.is_empty() {
        k1.enc(&mut chain);
    }
    modes::cbc_mac(&k1, &mut chain, data);
    k2.dec(&mut chain);
    k1.enc(&mut chain);
    let mut out = [0u8; 8];
    out.copy_from_slice(&chain[..8]);
    chain.zeroize();
    Ok(out)
}

/// AES-CMAC (NIST SP 800-38B) under an AES key bound to CMAC (`M6`).
pub fn aes_cmac(key: &TypedKey<'_, MacGenerate<Cmac>>, data: &[u8]) -> Result<[u8; 16], OpsError> {
    aes_cmac_of(key, data)
}

/// Verifies an AES-CMAC (4 to 16 leftmost bytes) under an AES `M6` key.
pub fn verify_aes_cmac(
    key: &TypedKey<'_, MacVerify<Cmac>>,
    data: &[u8],
    tag: &[u8],
) -> Result<(), OpsError> {
    verify(aes_cmac_of(key, data), tag)
}

fn aes_cmac_of<R: Role>(key: &TypedKey<'_, R>, data: &[u8]) -> Result<[u8; 16], OpsError> {
    Ok(cmac(&aes(key)?, &[data]))
}

/// TDES-CMAC (NIST SP 800-38B with the 64-bit block) under a TDES key bound to CMAC
/// (`M6`).
pub fn tdes_cmac(key: &TypedKey<'_, MacGenerate<Cmac>>, data: &[u8]) -> Result<[u8; 8], OpsError> {
    tdes_cmac_of(key, data)
}

/// Verifies a TDES-CMAC (4 to 8 leftmost bytes) under a TDES `M6` key.
pub fn verify_tdes_cmac(
    key: &TypedKey<'_, MacVerify<Cmac>>,
    data: &[u8],
    tag: &[u8],
) -> Result<(), OpsError> {
    verify(tdes_cmac_of(key, data), tag)
}

fn tdes_cmac_of<R: Role>(key: &TypedKey<'_, R>, data: &[u8]) -> Result<[u8; 8], OpsError> {
    Ok(cmac8(&tdes(key)?, &[data]))
}

/// HMAC-SHA256 under a key bound to HMAC (`M7`), of 16 bytes or more (DUKPT HMAC keys
/// are 16, 24 or 32).
///
/// The `hmac` crate wipes its keyed state on drop, but moving that state (into
/// `finalize`) leaves copies in stack frames nothing wipes; the stack below this call is
/// scrubbed ([`crate::secret::scrub_stack`]) before the MAC is returned.
pub fn hmac_sha256(
    key: &TypedKey<'_, MacGenerate<Hmac>>,
    data: &[u8],
) -> Result<[u8; 32], OpsError> {
    hmac_of(key.expose(), data)
}

fn hmac_of(key: &[u8], data: &[u8]) -> Result<[u8; 32], OpsError> {
    if key.len() < 16 {
        return Err(OpsError::BadKeyLength);
    }
    let mut out = [0u8; 32];
    let r = hmac_sha256_into(key, data, &mut out);
    crate::secret::scrub_stack();
    r.map(|()| out)
}

/// The HMAC computation in its own frame, below [`hmac_sha256`]'s, where the scrub
/// reaches the keyed state's copies.
#[inline(never)]
fn hmac_sha256_into(key: &[u8], data: &[u8], out: &mut [u8; 32]) -> Result<(), OpsError> {
    let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|_| OpsError::BadKeyLength)?;
    Mac::update(&mut m, data);
    out.copy_from_slice(&m.finalize().into_bytes());
    Ok(())
}

/// Verifies an HMAC-SHA256 (4 to 32 leftmost bytes) under an `M7` key.
pub fn verify_hmac_sha256(
    key: &TypedKey<'_, MacVerify<Hmac>>,
    data: &[u8],
    tag: &[u8],
) -> Result<(), OpsError> {
    verify(hmac_of(key.expose(), data), tag)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::attributes::Algorithm;
    use crate::key::MacKind;

    fn gen<A: MacKind>(k: &[u8], a: Algorithm) -> TypedKey<'_, MacGenerate<A>> {
        TypedKey::raw(k, a).unwrap()
    }
    fn ver<A: MacKind>(k: &[u8], a: Algorithm) -> TypedKey<'_, MacVerify<A>> {
        TypedKey::raw(k, a).unwrap()
    }

    #[test]
    fn aes_cmac_sp800_38b_d1_example_2() {
        // SP 800-38B D.1 example 2 (AES-128, one block), through the ops API.
        let key = [
            0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf,
            0x4f, 0x3c,
        ];
        let msg = [
            0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93,
            0x17, 0x2a,
        ];
        let tag = [
            0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44, 0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a,
            0x28, 0x7c,
        ];
        assert_eq!(aes_cmac(&gen(&key, Algorithm::Aes128), &msg), Ok(tag));
        assert_eq!(
            verify_aes_cmac(&ver(&key, Algorithm::Aes128), &msg, &tag),
            Ok(())
        );
        // The same bytes as a TDES CMAC key: the AES-CMAC refuses them, typed.
        assert_eq!(
            aes_cmac(&gen(&key, Algorithm::Tdes2), &msg),
            Err(OpsError::WrongAlgorithm)
        );
    }

    #[test]
    fn verify_paths_for_every_mac() {
        type Verify<'a> = &'a dyn Fn(&[u8], &[u8]) -> Result<(), OpsError>;
        let data = b"amount=12.34";
        let k16: [u8; 16] = *b"retail-mac-key16";
        let k32: [u8; 32] = *b"hmac-sha256-key-of-32-bytes-long";
        let (t2, a1, h) = (Algorithm::Tdes2, Algorithm::Aes128, Algorithm::HmacSha256);
        let full: [(std::vec::Vec<u8>, &str); 4] = [
            (retail_mac(&gen(&k16, t2), data).unwrap().to_vec(), "retail"),
            (aes_cmac(&gen(&k16, a1), data).unwrap().to_vec(), "aes-cmac"),
            (
                tdes_cmac(&gen(&k16, t2), data).unwrap().to_vec(),
                "tdes-cmac",
            ),
            (hmac_sha256(&gen(&k32, h), data).unwrap().to_vec(), "hmac"),
        ];
        let verifiers: [Verify<'_>; 4] = [
            &|d, t| verify_retail_mac(&ver(&k16, t2), d, t),
            &|d, t| verify_aes_cmac(&ver(&k16, a1), d, t),
            &|d, t| verify_tdes_cmac(&ver(&k16, t2), d, t),
            &|d, t| verify_hmac_sha256(&ver(&k32, h), d, t),
        ];
        for ((mac, name), v) in full.iter().zip(verifiers) {
            assert_eq!(v(data, mac), Ok(()), "{name} full");
            assert_eq!(v(data, &mac[..4]), Ok(()), "{name} 4 bytes");
            assert_eq!(
                v(data, &mac[..3]),
                Err(OpsError::BadMacLength),
                "{name} 3 bytes"
            );
            let mut long = mac.clone();
            long.push(0);
            assert_eq!(
                v(data, &long),
                Err(OpsError::BadMacLength),
                "{name} too long"
            );
            let mut bad = mac.clone();
            bad[3] ^= 0x80;
            assert_eq!(v(data, &bad), Err(OpsError::MacMismatch), "{name} flipped");
        }
        // A 16-byte key is an HMAC key for DUKPT; shorter is refused by the holder.
        assert!(TypedKey::<MacGenerate<Hmac>>::raw(&k16, h).is_ok());
        assert!(TypedKey::<MacGenerate<Hmac>>::raw(&k16[..8], h).is_err());
    }
}
