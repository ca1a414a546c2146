//! Import of a KW/KWP-wrapped key under a key-encryption key (KEK) held in the store, by
//! handle: the KEK is used only inside [`KeyStore::with_typed_key`]'s closure, as a
//! [`KeyUnwrap`] key (its policy allows [`Usage::UNWRAP`]), the way [`crate::terminal::import_tr31`] uses a stored KBPK.
//!
//! Shown by `tests/tests/store_kek_import.rs`: RFC 3394's published wrap imported under a
//! stored KEK; a wrong KEK ([`Error::Wrap`]), a KEK without `UNWRAP`
//! ([`Error::UsageDenied`]), a TDES KEK, a weaker KEK, a revoked KEK and a taken id are
//! each refused with their own error, and nothing is stored when they are.

use super::audit::AuditCode;
use super::backup::WrapScheme;
use super::error::Error;
use super::state::KeyOptions;
use super::{KeyHandle, KeyStore};
use crate::attributes::{Algorithm, Usage};
use crate::key::KeyUnwrap;
use crate::platform::Platform;
use crate::secret::SecretBuf;
use crate::wrap::{kw_unwrap, kwp_unwrap, Kek};

/// The largest wrapped input accepted: KWP of a 32-byte key is 40 bytes, KW of it 40; a
/// little slack for KWP padding.
const MAX_WRAPPED_LEN: usize = 48;

/// A stored KEK of `kek` may protect a key of `key`: an AES key
/// ([`Error::KekAlgorithm`]) at least as strong ([`Error::KekTooWeak`]).
pub(super) fn check_kek(kek: Algorithm, key: Algorithm) -> Result<(), Error> {
    if !matches!(
        kek,
        Algorithm::Aes128 | Algorithm::Aes192 | Algorithm::Aes256
    ) {
        return Err(Error::KekAlgorithm);
    }
    if kek.strength_bits() < key.strength_bits() {
        return Err(Error::KekTooWeak);
    }
    Ok(())
}

impl<P: Platform> KeyStore<P> {
    /// Imports `wrapped` (AES-KW or AES-KWP, by `scheme`) as key `id` (version 1), unwrapped
    /// under the stored key `kek`.
    ///
    /// Checked before anything is written: `id` is free; `kek` exists, is an AES key
    /// ([`Error::KekAlgorithm`]) at least as strong as `algorithm`
    /// ([`Error::KekTooWeak`]) and its policy allows [`Usage::UNWRAP`]
    /// ([`Error::UsageDenied`], through [`KeyStore::with_typed_key`]); the wrapped key is
    /// authentic under it ([`Error::Wrap`]) and of `algorithm`'s length
    /// ([`Error::BadLength`]). The KEK's plaintext never leaves `with_key`'s wiped buffer,
    /// and the unwrapped key lives only in a wiped buffer until it is sealed.
    #[allow(clippy::too_many_arguments)]
    pub fn import_wrapped_under(
        &mut self,
        kek: KeyHandle,
        id: u16,
        label: &[u8],
        algorithm: Algorithm,
        usage: Usage,
        scheme: WrapScheme,
        wrapped: &[u8],
        use_limit: Option<u32>,
    ) -> Result<KeyHandle, Error> {
        self.check_ok()?;
        if self
            .inventory()
            .any(|i| i.id == id && !i.state.is_destroyed())
        {
            return Err(Error::AlreadyExists);
        }
        // Every version of a key id has the same algorithm (rotation keeps it).
        let kek_alg = self
            .inventory()
            .find(|i| i.id == kek.id && kek.version.is_none_or(|v| v == i.version))
            .map(|i| i.algorithm)
            .ok_or(Error::NotFound)?;
        check_kek(kek_alg, algorithm)?;
        if wrapped.len() > MAX_WRAPPED_LEN {
            return Err(Error::BadLength);
        }
        // Filled in place inside the closure: nothing secret is returned by value.
        let mut key = SecretBuf::<MAX_WRAPPED_LEN>::new();
        self.with_typed_key::<KeyUnwrap, _>(kek, |kek| -> Result<(), Error> {
            let kek = Kek::new(kek).map_err(|_| Error::KekAlgorithm)?;
            let n = match scheme {
                WrapScheme::Kw => kw_unwrap(&kek, wrapped, key.backing_mut()),
                WrapScheme::Kwp => kwp_unwrap(&kek, wrapped, key.backing_mut()),
            }
            .map_err(|_| Error::Wrap)?;
            key.set_len(n).ok_or(Error::BadLength)
        })??;
        self.import_event(
            id,
            label,
            algorithm,
            usage,
            key.expose(),
            &KeyOptions {
                use_limit,
                ..KeyOptions::default()
            },
            AuditCode::ImportedWrapped,
        )
    }
}
