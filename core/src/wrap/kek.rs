//! The key-encryption key: an expanded AES key schedule and the directions it may be
//! used in.
use super::WrapError;
use crate::block::Aes;
use crate::key::{KekRole, TypedKey};

/// A key-encryption key (KEK) for AES-KW / AES-KWP: the expanded AES-128/192/256 key
/// schedule, made from a key admitted for key encryption
/// ([`crate::key::KeyWrap`], [`crate::key::KeyUnwrap`] or [`crate::key::KeyWrapUnwrap`]):
/// a PIN, data, MAC or KBPK key is not a KEK (its holder's type is not a [`KekRole`], and
/// [`TypedKey::new`] refuses its usage for these roles). A KEK of one direction refuses
/// the other with [`WrapError::UsageDenied`].
///
/// Not `Copy`, not `Clone`; `Debug` shows only the key size; the schedule is wiped when the
/// `Kek` is dropped (the `aes` crate's `zeroize` feature, through [`crate::block::Aes`]).
/// The caller's copy of the raw key bytes is the caller's to wipe (for example by keeping
/// it in a [`crate::secret::Secret`]).
///
/// ```compile_fail
/// use keyfort::attributes::Algorithm;
/// use keyfort::key::{PinEncrypt, TypedKey};
/// use keyfort::wrap::Kek;
///
/// // A PIN key is not a key-encryption key: this does not compile.
/// let pin = TypedKey::<PinEncrypt>::raw(&[0x11; 16], Algorithm::Aes128).unwrap();
/// let _ = Kek::new(&pin);
/// ```
pub struct Kek {
    aes: Aes,
    wraps: bool,
    unwraps: bool,
}

impl Kek {
    /// Expands the KEK `key` (AES-128, -192 or -256, checked when `key` was admitted),
    /// for the directions its role grants.
    // Never inlined, with the key expansion inlined here: its temporaries and
    // moved-from copies of the schedule lie in this frame, below the caller's, where the
    // scrub of the `Aes` drop reaches them; and the schedule is not moved once more
    // through `Aes::new`'s `Result`.
    #[inline(never)]
    pub fn new<R: KekRole>(key: &TypedKey<'_, R>) -> Result<Self, WrapError> {
        match Aes::new_inlined(key.expose()) {
            Ok(aes) => Ok(Self {
                aes,
                wraps: R::WRAPS,
                unwraps: R::UNWRAPS,
            }),
            Err(_) => Err(WrapError::KekLength),
        }
    }

    /// The KEK length in bytes (16, 24 or 32).
    pub fn key_len(&self) -> usize {
        self.aes.key_len()
    }

    /// Whether the KEK may wrap.
    pub fn wraps(&self) -> bool {
        self.wraps
    }

    /// Whether the KEK may unwrap.
    pub fn unwraps(&self) -> bool {
        self.unwraps
    }

    /// The block cipher, for a wrap ([`WrapError::UsageDenied`] if the KEK may not wrap).
    #[inline(always)]
    pub(super) fn wrapping(&self) -> Result<&Aes, WrapError> {
        if self.wraps {
            Ok(&self.aes)
        } else {
            Err(WrapError::UsageDenied)
        }
    }

    /// The block cipher, for an unwrap ([`WrapError::UsageDenied`] if the KEK may not
    /// unwrap).
    #[inline(always)]
    pub(super) fn unwrapping(&self) -> Result<&Aes, WrapError> {
        if self.unwraps {
            Ok(&self.aes)
        } else {
            Err(WrapError::UsageDenied)
        }
    }
}

impl core::fmt::Debug for Kek {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Kek(AES-{}, ..)", self.key_len() * 8)
    }
}
