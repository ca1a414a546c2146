//! The key-encryption key: an expanded AES key schedule.
use super::WrapError;
use crate::block::Aes;

/// A key-encryption key (KEK) for AES-KW / AES-KWP: the expanded AES-128/192/256 key
/// schedule.
///
/// Not `Copy`, not `Clone`; `Debug` shows only the key size; the schedule is wiped when the
/// `Kek` is dropped (the `aes` crate's `zeroize` feature, through [`crate::block::Aes`]).
/// The caller's copy of the raw key bytes is the caller's to wipe (for example by keeping
/// it in a [`crate::secret::Secret`]).
pub struct Kek {
    aes: Aes,
}

impl Kek {
    /// Expands a 16-, 24- or 32-byte KEK. The length is public; any other length is
    /// [`WrapError::KekLength`].
    // Never inlined, with the key expansion inlined here: its temporaries and
    // moved-from copies of the schedule lie in this frame, below the caller's, where the
    // scrub of the `Aes` drop reaches them; and the schedule is not moved once more
    // through `Aes::new`'s `Result`.
    #[inline(never)]
    pub fn new(key: &[u8]) -> Result<Self, WrapError> {
        match Aes::new_inlined(key) {
            Ok(aes) => Ok(Self { aes }),
            Err(_) => Err(WrapError::KekLength),
        }
    }

    /// The KEK length in bytes (16, 24 or 32).
    pub fn key_len(&self) -> usize {
        self.aes.key_len()
    }

    /// The block cipher.
    #[inline(always)]
    pub(super) fn aes(&self) -> &Aes {
        &self.aes
    }
}

impl core::fmt::Debug for Kek {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Kek(AES-{}, ..)", self.key_len() * 8)
    }
}
