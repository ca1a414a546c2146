//! [`BlockCipher<N>`]: the [`crate::block`] ciphers behind one trait generic over the
//! block size, so that modes (CMAC, CBC, TR-31 key block encryption) are written once for
//! AES (16-byte blocks) and TDES (8-byte blocks).
use crate::block::{Aes, Tdes};

/// A block cipher with `N`-byte blocks.
pub(crate) trait BlockCipher<const N: usize> {
    /// Encrypts one block in place.
    fn enc(&self, b: &mut [u8; N]);
    /// Decrypts one block in place.
    fn dec(&self, b: &mut [u8; N]);
    /// Encrypts two independent blocks in place (one two-block call where the cipher has
    /// one, else two single-block calls).
    fn enc2(&self, a: &mut [u8; N], b: &mut [u8; N]) {
        self.enc(a);
        self.enc(b);
    }
    /// Decrypts two independent blocks in place (see [`BlockCipher::enc2`]).
    fn dec2(&self, a: &mut [u8; N], b: &mut [u8; N]) {
        self.dec(a);
        self.dec(b);
    }
}

impl BlockCipher<16> for Aes {
    fn enc(&self, b: &mut [u8; 16]) {
        self.encrypt(b);
    }
    fn dec(&self, b: &mut [u8; 16]) {
        self.decrypt(b);
    }
    fn enc2(&self, a: &mut [u8; 16], b: &mut [u8; 16]) {
        self.encrypt2(a, b);
    }
    // `dec2` stays two single-block calls: `Aes::decrypt2` would link the `aes` crate's
    // second (two-block) inverse fixslice, about 3.9 KiB of .text on a Cortex-M0, to save
    // one block decryption per TR-31 unwrap.
}

impl BlockCipher<8> for Tdes {
    fn enc(&self, b: &mut [u8; 8]) {
        self.encrypt(b);
    }
    fn dec(&self, b: &mut [u8; 8]) {
        self.decrypt(b);
    }
}
