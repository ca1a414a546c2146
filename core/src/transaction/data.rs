//! CBC encryption and decryption in place, TDES (8-byte blocks) and AES (16-byte
//! blocks). No padding: the caller pads (DUKPT hosts commonly zero-pad, as the
//! published vectors do) and the buffer must be a whole number of blocks.
use super::{aes, tdes, OpsError};
use crate::block_cipher::{Block, BlockCipher};
use crate::key::{DataDecrypt, DataEncrypt, TypedKey};
use crate::modes;

/// CBC-encrypts `buf` (a whole number of blocks) in place; `iv` is one block.
fn cbc_encrypt(c: &dyn BlockCipher, iv: &[u8], buf: &mut [u8]) -> Result<(), OpsError> {
    let mut chain = whole_blocks(c, iv, buf)?;
    modes::cbc_encrypt(c, &mut chain, buf);
    Ok(())
}

/// CBC-decrypts `buf` (a whole number of blocks) in place; `iv` is one block.
fn cbc_decrypt(c: &dyn BlockCipher, iv: &[u8], buf: &mut [u8]) -> Result<(), OpsError> {
    let mut chain = whole_blocks(c, iv, buf)?;
    modes::cbc_decrypt(c, &mut chain, buf);
    Ok(())
}

/// Checks that `buf` is a whole number of blocks and returns `iv` as the first
/// chaining value.
fn whole_blocks(c: &dyn BlockCipher, iv: &[u8], buf: &[u8]) -> Result<Block, OpsError> {
    if !buf.chunks_exact(c.block_len()).remainder().is_empty() {
        return Err(OpsError::BadDataLength);
    }
    let mut chain = [0u8; 16];
    for (d, s) in chain.iter_mut().zip(iv.iter()) {
        *d = *s;
    }
    Ok(chain)
}

/// TDES-CBC encrypts `buf` in place under a 2- or 3-key TDES data encryption key.
pub fn tdes_cbc_encrypt(
    key: &TypedKey<'_, DataEncrypt>,
    iv: &[u8; 8],
    buf: &mut [u8],
) -> Result<(), OpsError> {
    cbc_encrypt(&tdes(key)?, iv, buf)
}

/// TDES-CBC decrypts `buf` in place under a 2- or 3-key TDES data decryption key.
pub fn tdes_cbc_decrypt(
    key: &TypedKey<'_, DataDecrypt>,
    iv: &[u8; 8],
    buf: &mut [u8],
) -> Result<(), OpsError> {
    cbc_decrypt(&tdes(key)?, iv, buf)
}

/// AES-CBC encrypts `buf` in place under an AES data encryption key.
pub fn aes_cbc_encrypt(
    key: &TypedKey<'_, DataEncrypt>,
    iv: &[u8; 16],
    buf: &mut [u8],
) -> Result<(), OpsError> {
    cbc_encrypt(&aes(key)?, iv, buf)
}

/// AES-CBC decrypts `buf` in place under an AES data decryption key.
pub fn aes_cbc_decrypt(
    key: &TypedKey<'_, DataDecrypt>,
    iv: &[u8; 16],
    buf: &mut [u8],
) -> Result<(), OpsError> {
    cbc_decrypt(&aes(key)?, iv, buf)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::attributes::Algorithm;
    use crate::testutil::unhex as h;

    fn enc(k: &[u8], a: Algorithm) -> TypedKey<'_, DataEncrypt> {
        TypedKey::raw(k, a).unwrap()
    }
    fn dec(k: &[u8], a: Algorithm) -> TypedKey<'_, DataDecrypt> {
        TypedKey::raw(k, a).unwrap()
    }

    #[test]
    fn aes128_cbc_sp800_38a_f2() {
        // SP 800-38A appendix F.2.1 (CBC-AES128.Encrypt) and F.2.2 (.Decrypt).
        let key = h("2b7e151628aed2a6abf7158809cf4f3c");
        let iv: [u8; 16] = h("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
        let pt = h(
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                    30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
        );
        let ct = h(
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2\
                    73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
        );
        let mut buf = pt.clone();
        aes_cbc_encrypt(&enc(&key, Algorithm::Aes128), &iv, &mut buf).unwrap();
        assert_eq!(buf, ct);
        aes_cbc_decrypt(&dec(&key, Algorithm::Aes128), &iv, &mut buf).unwrap();
        assert_eq!(buf, pt);
        // An odd number of blocks (decryption goes in pairs, the last one alone).
        let mut three = ct[..48].to_vec();
        aes_cbc_decrypt(&dec(&key, Algorithm::Aes128), &iv, &mut three).unwrap();
        assert_eq!(three, pt[..48]);
    }

    #[test]
    fn tdes_cbc_round_trip_and_chaining() {
        let key = h("0123456789abcdeffedcba9876543210");
        let iv = [0x5au8; 8];
        let pt = [0x11u8; 24];
        let mut buf = pt;
        tdes_cbc_encrypt(&enc(&key, Algorithm::Tdes2), &iv, &mut buf).unwrap();
        // Equal plaintext blocks give different ciphertext blocks (chaining), and the
        // first block is E(pt ^ iv).
        assert_ne!(buf[..8], buf[8..16]);
        let mut first = [0x11u8 ^ 0x5a; 8];
        crate::block::Tdes::new(&key).unwrap().encrypt(&mut first);
        assert_eq!(buf[..8], first);
        tdes_cbc_decrypt(&dec(&key, Algorithm::Tdes2), &iv, &mut buf).unwrap();
        assert_eq!(buf, pt);
    }

    #[test]
    fn errors() {
        let k2: [u8; 16] = *b"keyfort-test-k16";
        let a16 = [0u8; 16];
        let mut odd = [0u8; 12];
        assert_eq!(
            aes_cbc_encrypt(&enc(&a16, Algorithm::Aes128), &[0; 16], &mut odd),
            Err(OpsError::BadDataLength)
        );
        assert_eq!(
            aes_cbc_decrypt(&dec(&a16, Algorithm::Aes128), &[0; 16], &mut odd),
            Err(OpsError::BadDataLength)
        );
        assert_eq!(
            tdes_cbc_encrypt(&enc(&k2, Algorithm::Tdes2), &[0; 8], &mut odd),
            Err(OpsError::BadDataLength)
        );
        assert_eq!(
            tdes_cbc_decrypt(&dec(&k2, Algorithm::Tdes2), &[0; 8], &mut odd),
            Err(OpsError::BadDataLength)
        );
        // A key of the other cipher: refused, typed.
        let mut ok = [0u8; 16];
        assert_eq!(
            aes_cbc_encrypt(&enc(&k2, Algorithm::Tdes2), &[0; 16], &mut ok),
            Err(OpsError::WrongAlgorithm)
        );
        assert_eq!(
            tdes_cbc_decrypt(&dec(&a16, Algorithm::Aes128), &[0; 8], &mut ok),
            Err(OpsError::WrongAlgorithm)
        );
        // Empty data is a whole number of blocks.
        assert_eq!(
            aes_cbc_encrypt(&enc(&a16, Algorithm::Aes128), &[0; 16], &mut []),
            Ok(())
        );
    }
}
