//! MACs: ANSI X9.19 retail MAC (ISO 9797-1 MAC algorithm 3 with DES, padding method 1),
//! AES-CMAC and TDES-CMAC (the crate's SP 800-38B CMAC over [`crate::block`]),
//! HMAC-SHA256 (`hmac` crate). Every `verify_*`
//! compares in constant time (`subtle`) and accepts a MAC truncated to its leftmost
//! bytes, 4 bytes at least.
use super::OpsError;
use crate::block::{Aes, Des, Tdes};
use crate::block_cipher::BlockCipher;
use crate::cmac::{cmac, cmac8};
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

/// X9.19 retail MAC under a 16-byte (two-key) TDES key: DES-CBC-MAC under the left
/// half over the zero-padded data (one zero block if the data is empty), then the last
/// block decrypted under the right half and encrypted under the left half. A key whose
/// halves are equal (a single-DES CBC-MAC) is refused ([`OpsError::DegenerateKey`]).
pub fn retail_mac(key: &[u8], data: &[u8]) -> Result<[u8; 8], OpsError> {
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

/// Verifies an X9.19 retail MAC (4 to 8 leftmost bytes).
pub fn verify_retail_mac(key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), OpsError> {
    verify(retail_mac(key, data), tag)
}

/// AES-CMAC (NIST SP 800-38B) under a 16-, 24- or 32-byte key.
pub fn aes_cmac(key: &[u8], data: &[u8]) -> Result<[u8; 16], OpsError> {
    let c = Aes::new(key).map_err(|_| OpsError::BadKeyLength)?;
    Ok(cmac(&c, &[data]))
}

/// Verifies an AES-CMAC (4 to 16 leftmost bytes).
pub fn verify_aes_cmac(key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), OpsError> {
    verify(aes_cmac(key, data), tag)
}

/// TDES-CMAC (NIST SP 800-38B with the 64-bit block) under a 16- or 24-byte key.
pub fn tdes_cmac(key: &[u8], data: &[u8]) -> Result<[u8; 8], OpsError> {
    let c = Tdes::new(key)?;
    Ok(cmac8(&c, &[data]))
}

/// Verifies a TDES-CMAC (4 to 8 leftmost bytes).
pub fn verify_tdes_cmac(key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), OpsError> {
    verify(tdes_cmac(key, data), tag)
}

/// HMAC-SHA256 under a key of 16 bytes or more (DUKPT HMAC keys are 16, 24 or 32).
///
/// The `hmac` crate wipes its keyed state on drop, but moving that state (into
/// `finalize`) leaves copies in stack frames nothing wipes; the stack below this call is
/// scrubbed ([`crate::secret::scrub_stack`]) before the MAC is returned.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<[u8; 32], OpsError> {
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

/// Verifies an HMAC-SHA256 (4 to 32 leftmost bytes).
pub fn verify_hmac_sha256(key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), OpsError> {
    verify(hmac_sha256(key, data), tag)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
        assert_eq!(aes_cmac(&key, &msg), Ok(tag));
        assert_eq!(verify_aes_cmac(&key, &msg, &tag), Ok(()));
    }

    #[test]
    fn verify_paths_for_every_mac() {
        type Verify = fn(&[u8], &[u8], &[u8]) -> Result<(), OpsError>;
        let data = b"amount=12.34";
        let k16: [u8; 16] = *b"retail-mac-key16";
        let full: [(std::vec::Vec<u8>, &str); 4] = [
            (retail_mac(&k16, data).unwrap().to_vec(), "retail"),
            (aes_cmac(&k16, data).unwrap().to_vec(), "aes-cmac"),
            (tdes_cmac(&k16, data).unwrap().to_vec(), "tdes-cmac"),
            (hmac_sha256(&k16, data).unwrap().to_vec(), "hmac"),
        ];
        let verifiers: [Verify; 4] = [
            verify_retail_mac,
            verify_aes_cmac,
            verify_tdes_cmac,
            verify_hmac_sha256,
        ];
        for ((mac, name), v) in full.iter().zip(verifiers) {
            assert_eq!(v(&k16, data, mac), Ok(()), "{name} full");
            assert_eq!(v(&k16, data, &mac[..4]), Ok(()), "{name} 4 bytes");
            assert_eq!(
                v(&k16, data, &mac[..3]),
                Err(OpsError::BadMacLength),
                "{name} 3 bytes"
            );
            let mut long = mac.clone();
            long.push(0);
            assert_eq!(
                v(&k16, data, &long),
                Err(OpsError::BadMacLength),
                "{name} too long"
            );
            let mut bad = mac.clone();
            bad[3] ^= 0x80;
            assert_eq!(
                v(&k16, data, &bad),
                Err(OpsError::MacMismatch),
                "{name} flipped"
            );
            assert_eq!(
                v(&k16[..8], data, mac),
                Err(OpsError::BadKeyLength),
                "{name} key"
            );
        }
    }
}
