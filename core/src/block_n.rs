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
}

impl BlockCipher<16> for Aes {
    fn enc(&self, b: &mut [u8; 16]) {
        self.encrypt(b);
    }
    fn dec(&self, b: &mut [u8; 16]) {
        self.decrypt(b);
    }
}

impl BlockCipher<8> for Tdes {
    fn enc(&self, b: &mut [u8; 8]) {
        self.encrypt(b);
    }
    fn dec(&self, b: &mut [u8; 8]) {
        self.decrypt(b);
    }
}
