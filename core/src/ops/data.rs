//! CBC encryption and decryption in place, TDES (8-byte blocks) and AES (16-byte
//! blocks). No padding: the caller pads (DUKPT hosts commonly zero-pad, as the
//! published vectors do) and the buffer must be a whole number of blocks.
use super::OpsError;
use crate::block::{Aes, Tdes};
use zeroize::Zeroize;

/// TDES-CBC encrypts `buf` in place under a 16- or 24-byte key.
pub fn tdes_cbc_encrypt(key: &[u8], iv: &[u8; 8], buf: &mut [u8]) -> Result<(), OpsError> {
    let c = Tdes::new(key).map_err(|_| OpsError::BadKeyLength)?;
    if buf.len() & 7 != 0 {
        return Err(OpsError::BadDataLength);
    }
    let mut chain = *iv;
    for chunk in buf.chunks_exact_mut(8) {
        for (b, x) in chain.iter_mut().zip(chunk.iter()) {
            *b ^= x;
        }
        c.encrypt(&mut chain);
        chunk.copy_from_slice(&chain);
    }
    Ok(())
}

/// TDES-CBC decrypts `buf` in place under a 16- or 24-byte key.
pub fn tdes_cbc_decrypt(key: &[u8], iv: &[u8; 8], buf: &mut [u8]) -> Result<(), OpsError> {
    let c = Tdes::new(key).map_err(|_| OpsError::BadKeyLength)?;
    if buf.len() & 7 != 0 {
        return Err(OpsError::BadDataLength);
    }
    let mut prev = *iv;
    for chunk in buf.chunks_exact_mut(8) {
        let mut blk = [0u8; 8];
        blk.copy_from_slice(chunk);
        let ct = blk;
        c.decrypt(&mut blk);
        for ((o, b), p) in chunk.iter_mut().zip(blk.iter()).zip(prev.iter()) {
            *o = b ^ p;
        }
        prev = ct;
        blk.zeroize();
    }
    Ok(())
}

/// AES-CBC encrypts `buf` in place under a 16-, 24- or 32-byte key.
pub fn aes_cbc_encrypt(key: &[u8], iv: &[u8; 16], buf: &mut [u8]) -> Result<(), OpsError> {
    let c = Aes::new(key).map_err(|_| OpsError::BadKeyLength)?;
    if buf.len() & 15 != 0 {
        return Err(OpsError::BadDataLength);
    }
    let mut chain = *iv;
    for chunk in buf.chunks_exact_mut(16) {
        for (b, x) in chain.iter_mut().zip(chunk.iter()) {
            *b ^= x;
        }
        c.encrypt(&mut chain);
        chunk.copy_from_slice(&chain);
    }
    Ok(())
}

/// AES-CBC decrypts `buf` in place under a 16-, 24- or 32-byte key.
pub fn aes_cbc_decrypt(key: &[u8], iv: &[u8; 16], buf: &mut [u8]) -> Result<(), OpsError> {
    let c = Aes::new(key).map_err(|_| OpsError::BadKeyLength)?;
    if buf.len() & 15 != 0 {
        return Err(OpsError::BadDataLength);
    }
    let mut prev = *iv;
    for chunk in buf.chunks_exact_mut(16) {
        let mut blk = [0u8; 16];
        blk.copy_from_slice(chunk);
        let ct = blk;
        c.decrypt(&mut blk);
        for ((o, b), p) in chunk.iter_mut().zip(blk.iter()).zip(prev.iter()) {
            *o = b ^ p;
        }
        prev = ct;
        blk.zeroize();
    }
    Ok(())
}
