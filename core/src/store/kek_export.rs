//! Export of a stored key wrapped (AES-KW or AES-KWP) under a key-encryption key (KEK)
//! held in the store, by handle: the counterpart of [`KeyStore::import_wrapped_under`].
//! Both keys are used only inside [`KeyStore::with_key`]'s closures, under their
//! policies ([`Usage::EXPORT`] for the key, [`Usage::WRAP`] for the KEK), and every export
//! is in the audit log ([`AuditCode::Exported`], recorded before the key is read, so an
//! export that happened is always logged).
//!
//! Shown by `tests/tests/store_kek_import.rs` (`export_wrapped_under_*`): the wrapped key
//! unwraps under the KEK to the stored key and the export is in the audit log; a key
//! without `EXPORT`, a KEK without `WRAP`, a TDES KEK, a weaker KEK, a revoked key and a
//! short buffer are each refused with their own error, the buffer zeroed, nothing logged.
use zeroize::Zeroize;

use super::audit::AuditCode;
use super::backup::WrapScheme;
use super::error::Error;
use super::format::{Kind, RecHeader, MAX_KEY_LEN};
use super::journal::Body;
use super::kek_import::check_kek;
use super::{usage_check, KeyHandle, KeyStore};
use crate::attributes::{Algorithm, Usage};
use crate::key::KeyWrap;
use crate::platform::Platform;
use crate::secret::SecretBuf;
use crate::wrap::{kw_wrap, kwp_wrap, Kek};

/// The length of `key_len` bytes wrapped with `scheme`.
const fn wrapped_len(scheme: WrapScheme, key_len: usize) -> usize {
    match scheme {
        WrapScheme::Kw => key_len + 8,
        WrapScheme::Kwp => ((key_len + 7) & !7) + 8,
    }
}

impl<P: Platform> KeyStore<P> {
    /// Wraps the stored key `key` under the stored key `kek` with `scheme` into `out`;
    /// returns the wrapped length.
    ///
    /// Checked before anything is logged or read: `key` exists, is active
    /// (a version not active: its state's error, e.g. [`Error::Deactivated`]) and exportable ([`Error::NotExportable`]); `kek` exists, is an
    /// AES key ([`Error::KekAlgorithm`]) at least as strong as `key`
    /// ([`Error::KekTooWeak`]) and allows [`Usage::WRAP`] ([`Error::UsageDenied`]); `out`
    /// holds the result ([`Error::BufferTooSmall`]). `out` is zeroed on any failure.
    pub fn export_wrapped_under(
        &mut self,
        kek: KeyHandle,
        key: KeyHandle,
        scheme: WrapScheme,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let r = (|| -> Result<usize, Error> {
            self.check_ok()?;
            let e = self.resolve(key)?;
            let usage = Usage::from_bits(e.hdr.usage).ok_or(Error::Corrupt)?;
            // Only an active version leaves the device (a deactivated, suspended or
            // compromised one is refused with its state's error).
            usage_check::check_state(&e.hdr, Usage::EXPORT, false)?;
            if !usage.exportable() {
                return Err(Error::NotExportable);
            }
            let alg = Algorithm::from_code(e.hdr.alg).ok_or(Error::Corrupt)?;
            let k = self.resolve(kek)?;
            let kek_alg = Algorithm::from_code(k.hdr.alg).ok_or(Error::Corrupt)?;
            check_kek(kek_alg, alg)?;
            let kek_usage = Usage::from_bits(k.hdr.usage).ok_or(Error::Corrupt)?;
            if !kek_usage.contains(Usage::WRAP) {
                return Err(Error::UsageDenied);
            }
            let n = wrapped_len(scheme, alg.key_len());
            let dst = out.get_mut(..n).ok_or(Error::BufferTooSmall)?;
            // Record the export first: an export that happened is always in the log.
            let mut h = RecHeader::new(Kind::Event);
            h.event = AuditCode::Exported.code();
            h.slot = e.hdr.slot;
            h.kver = e.hdr.kver;
            self.append(h, Body::None)?;
            let key = KeyHandle {
                id: e.hdr.slot,
                version: Some(e.hdr.kver),
            };
            let mut plain = SecretBuf::<MAX_KEY_LEN>::new();
            self.with_key(key, Usage::EXPORT, |b| {
                plain.set_len(b.len()).ok_or(Error::BadLength)?;
                plain.expose_mut().copy_from_slice(b);
                Ok::<(), Error>(())
            })??;
            self.with_typed_key::<KeyWrap, _>(kek, |k| {
                let kek = Kek::new(k).map_err(|_| Error::KekAlgorithm)?;
                match scheme {
                    WrapScheme::Kw => kw_wrap(&kek, plain.expose(), dst),
                    WrapScheme::Kwp => kwp_wrap(&kek, plain.expose(), dst),
                }
                .map_err(|_| Error::Wrap)
            })?
        })();
        if r.is_err() {
            out.zeroize();
        }
        r
    }
}
