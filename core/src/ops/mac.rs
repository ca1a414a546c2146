//! MACs: ANSI X9.19 retail MAC (ISO 9797-1 MAC algorithm 3 with DES, padding method 1),
//! AES-CMAC and TDES-CMAC (the crate's SP 800-38B CMAC over [`crate::block`]),
//! HMAC-SHA256 (`hmac` crate). Every `verify_*`
//! compares in constant time (`subtle`) and accepts a MAC truncated to its leftmost
//! bytes, 4 bytes at least.
use super::OpsError;
use crate::block::{Aes, Des, Tdes};
use crate::cmac::cmac;
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

/// X9.19 retail MAC under a 16-byte (two-key) TDES key: DES-CBC-MAC under the left
/// half over the zero-padded data (one zero block if the data is empty), then the last
/// block decrypted under the right half and encrypted under the left half.
pub fn retail_mac(key: &[u8], data: &[u8]) -> Result<[u8; 8], OpsError> {
    if key.len() != 16 {
        return Err(OpsError::BadKeyLength);
    }
    let mut k = [0u8; 8];
    k.copy_from_slice(&key[..8]);
    let k1 = Des::new(&k);
    k.copy_from_slice(&key[8..]);
    let k2 = Des::new(&k);
    k.zeroize();
    let mut chain = [0u8; 8];
    let mut chunks = data.chunks(8);
    let mut any = false;
    for chunk in &mut chunks {
        any = true;
        for (c, d) in chain.iter_mut().zip(chunk.iter()) {
            *c ^= d;
        }
        k1.encrypt(&mut chain);
    }
    if !any {
        k1.encrypt(&mut chain);
    }
    k2.decrypt(&mut chain);
    k1.encrypt(&mut chain);
    Ok(chain)
}

/// Verifies an X9.19 retail MAC (4 to 8 leftmost bytes).
pub fn verify_retail_mac(key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), OpsError> {
    let mut m = retail_mac(key, data)?;
    let r = check_tag(&m, tag);
    m.zeroize();
    r
}

/// AES-CMAC (NIST SP 800-38B) under a 16-, 24- or 32-byte key.
pub fn aes_cmac(key: &[u8], data: &[u8]) -> Result<[u8; 16], OpsError> {
    let c = Aes::new(key).map_err(|_| OpsError::BadKeyLength)?;
    Ok(cmac(&c, &[data]))
}

/// Verifies an AES-CMAC (4 to 16 leftmost bytes).
pub fn verify_aes_cmac(key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), OpsError> {
    let mut m = aes_cmac(key, data)?;
    let r = check_tag(&m, tag);
    m.zeroize();
    r
}

/// TDES-CMAC (NIST SP 800-38B with the 64-bit block) under a 16- or 24-byte key.
pub fn tdes_cmac(key: &[u8], data: &[u8]) -> Result<[u8; 8], OpsError> {
    let c = Tdes::new(key).map_err(|_| OpsError::BadKeyLength)?;
    Ok(cmac(&c, &[data]))
}

/// Verifies a TDES-CMAC (4 to 8 leftmost bytes).
pub fn verify_tdes_cmac(key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), OpsError> {
    let mut m = tdes_cmac(key, data)?;
    let r = check_tag(&m, tag);
    m.zeroize();
    r
}

/// HMAC-SHA256 under a key of 16 bytes or more (DUKPT HMAC keys are 16, 24 or 32).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<[u8; 32], OpsError> {
    if key.len() < 16 {
        return Err(OpsError::BadKeyLength);
    }
    let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|_| OpsError::BadKeyLength)?;
    Mac::update(&mut m, data);
    let tag = m.finalize().into_bytes();
    let mut out = [0u8; 32];
    out.copy_from_slice(&tag);
    Ok(out)
}

/// Verifies an HMAC-SHA256 (4 to 32 leftmost bytes).
pub fn verify_hmac_sha256(key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), OpsError> {
    let mut m = hmac_sha256(key, data)?;
    let r = check_tag(&m, tag);
    m.zeroize();
    r
}
