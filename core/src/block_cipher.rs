//! [`BlockCipher`]: the [`crate::block`] ciphers behind one object-safe trait whose block
//! length (16 bytes for AES, 8 for TDES) is known at run time, so that modes (CMAC, CBC,
//! TR-31 key block encryption) are written and compiled once for both ciphers: modes
//! take `&dyn BlockCipher` and keep blocks in a 16-byte [`Block`], of which TDES uses the
//! first 8 bytes. One indirect call per block costs nothing next to the block cipher
//! call itself, and one copy of each mode instead of one per block size saves flash.
//! The block length is public (it follows from the algorithm), so branching on it leaks
//! nothing.
use crate::block::{Aes, AesEnc, Des, Tdes};

/// A block buffer of the largest block size; a cipher with 8-byte blocks uses the first
/// 8 bytes and leaves the rest untouched.
pub(crate) type Block = [u8; 16];

/// The encrypting direction of a block cipher with 16-byte (wide) or 8-byte blocks: all
/// that CTR needs, so that it also runs on an encryption-only schedule
/// ([`crate::block::AesEnc`], the store's record cipher).
pub(crate) trait BlockEncrypt {
    /// Whether blocks are 16 bytes (AES) rather than 8 (TDES).
    fn wide(&self) -> bool;
    /// Encrypts the block in `b[..block_len]` in place.
    fn enc(&self, b: &mut Block);
    /// Encrypts two independent blocks in place (one two-block call where the cipher has
    /// one, else two single-block calls).
    fn enc2(&self, a: &mut Block, b: &mut Block) {
        self.enc(a);
        self.enc(b);
    }
}

/// A block cipher with 16-byte (wide) or 8-byte blocks, both directions.
pub(crate) trait BlockCipher: BlockEncrypt {
    /// Decrypts the block in `b[..self.block_len()]` in place.
    fn dec(&self, b: &mut Block);
    /// Decrypts two independent blocks in place (see [`BlockEncrypt::enc2`]).
    fn dec2(&self, a: &mut Block, b: &mut Block) {
        self.dec(a);
        self.dec(b);
    }
}

/// The block length in bytes: 16 or 8, nothing else.
#[inline(always)]
fn block_len_of(wide: bool) -> usize {
    if wide {
        16
    } else {
        8
    }
}

impl dyn BlockEncrypt + '_ {
    /// The block length in bytes: 16 or 8, nothing else (inlined at the caller, so the
    /// compiler knows it is never zero).
    #[inline(always)]
    pub(crate) fn block_len(&self) -> usize {
        block_len_of(self.wide())
    }
}

impl dyn BlockCipher + '_ {
    /// The block length in bytes (see `dyn BlockEncrypt`'s).
    #[inline(always)]
    pub(crate) fn block_len(&self) -> usize {
        block_len_of(self.wide())
    }
}

/// The AES schedules (both directions, and encryption only): 16-byte blocks, one
/// two-block call for two blocks.
macro_rules! wide_block_encrypt {
    ($($t:ty),*) => {$(
        impl BlockEncrypt for $t {
            fn wide(&self) -> bool {
                true
            }
            fn enc(&self, b: &mut Block) {
                self.encrypt(b);
            }
            fn enc2(&self, a: &mut Block, b: &mut Block) {
                self.encrypt2(a, b);
            }
        }
    )*};
}
wide_block_encrypt!(Aes, AesEnc);

impl BlockCipher for Aes {
    fn dec(&self, b: &mut Block) {
        self.decrypt(b);
    }
    // `dec2` stays two single-block calls: `Aes::decrypt2` would link the `aes` crate's
    // second (two-block) inverse fixslice, about 3.9 KiB of .text on a Cortex-M0, to save
    // one block decryption per TR-31 unwrap.
}

/// The 8-byte-block ciphers: the block is the first half of [`Block`].
macro_rules! narrow_block_cipher {
    ($($t:ty),*) => {$(
        impl BlockEncrypt for $t {
            fn wide(&self) -> bool {
                false
            }
            fn enc(&self, b: &mut Block) {
                if let Some(h) = b.first_chunk_mut::<8>() {
                    self.encrypt(h);
                }
            }
        }
        impl BlockCipher for $t {
            fn dec(&self, b: &mut Block) {
                if let Some(h) = b.first_chunk_mut::<8>() {
                    self.decrypt(h);
                }
            }
        }
    )*};
}
narrow_block_cipher!(Tdes, Des);
