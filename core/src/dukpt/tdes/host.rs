//! Host side: IPEK and current key for any KSN, and the variant keys.
//!
//! Cost of a key for a counter with `n` one-bits: `2n` single-DES key expansions and
//! `2n` DES blocks (plus two TDES blocks for the IPEK; the BDK's two schedules are
//! expanded once in [`TdesBdk::new`]). No allocation.
use super::derive::{scrubbed, walk, BdkSchedules};
use super::ksn::TdesKsn;
use super::variants::{LegacyOptions, TdesLegacyVariant, TdesVariant};
use crate::attributes::Algorithm;
use crate::dukpt::DukptError;
use crate::key::{BdkDerive, IkDerive, TypedKey};
use crate::secret::Secret;

/// A variant key of one transaction: 16 bytes of 2-key TDES and the variant that made
/// it, which fixes its use. Wiped on drop.
pub struct TdesKey {
    key: Secret<16>,
    variant: TdesVariant,
}

impl TdesKey {
    /// The key bytes. Keep the borrow short.
    pub fn expose(&self) -> &[u8; 16] {
        self.key.expose()
    }

    /// The variant it was made as (a legacy XOR-only data key: its data variant).
    pub fn variant(&self) -> TdesVariant {
        self.variant
    }

    /// The key admitted for the role `R` under the policy its variant fixed
    /// ([`TdesVariant::policy`]): a PIN key encrypts and decrypts PIN blocks, a MAC key
    /// generates and verifies the X9.19 retail MAC or TDES-CMAC, a data key encrypts
    /// and decrypts data. Another role is [`crate::key::KeyError::UsageDenied`].
    pub fn typed<R: crate::key::Role>(
        &self,
    ) -> Result<crate::key::TypedKey<'_, R>, crate::key::KeyError> {
        crate::key::TypedKey::new(
            self.key.expose(),
            crate::attributes::Algorithm::Tdes2,
            self.variant.policy(R::NEED),
        )
    }
}

impl core::fmt::Debug for TdesKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TdesKey({:?}, ..)", self.variant)
    }
}

/// A two-key TDES base derivation key, both schedules expanded once.
pub struct TdesBdk {
    sched: BdkSchedules,
}

impl TdesBdk {
    /// Takes a 2-key TDES BDK (a key admitted as a `B0` key, its halves checked then; an
    /// AES one is [`DukptError::WrongAlgorithm`]).
    pub fn new(bdk: &TypedKey<'_, BdkDerive>) -> Result<Self, DukptError> {
        if bdk.algorithm() != Algorithm::Tdes2 {
            return Err(DukptError::WrongAlgorithm);
        }
        let b: &[u8; 16] = bdk
            .expose()
            .try_into()
            .map_err(|_| DukptError::BadKeyLength)?;
        Ok(Self {
            sched: BdkSchedules::new(b)?,
        })
    }

    /// The IPEK of the device whose KSN (any counter) is `ksn`.
    pub fn ipek(&self, ksn: &TdesKsn) -> TdesIpek {
        let iksn = ksn.initial();
        let mut k = Secret::<16>::zero();
        self.sched.ipek(&iksn.left8(), k.expose_mut());
        TdesIpek { key: k, iksn }
    }

    /// The current key for a KSN a device may have produced.
    pub fn current_key(&self, ksn: &TdesKsn) -> Result<TdesCurrentKey, DukptError> {
        let mut key = Secret::<16>::zero();
        self.device_current_key(ksn, &mut key)?;
        Ok(TdesCurrentKey { key, ksn: *ksn })
    }

    /// A variant key for a KSN a device may have produced (the same key as
    /// `self.current_key(ksn)?.variant(variant)`, made in the one holder).
    pub fn key(&self, ksn: &TdesKsn, variant: TdesVariant) -> Result<TdesKey, DukptError> {
        let mut key = Secret::<16>::zero();
        self.device_current_key(ksn, &mut key)?;
        variant.apply(key.expose_mut());
        Ok(TdesKey { key, variant })
    }

    /// The current key for a device's KSN, derived in the caller's holder `key` (not
    /// returned: a move would leave a copy in this frame): the IPEK, then the NRKGP
    /// steps, with one stack scrub after them (no intermediate holders and their
    /// scrubs).
    fn device_current_key(&self, ksn: &TdesKsn, key: &mut Secret<16>) -> Result<(), DukptError> {
        ksn.check_device_counter()?;
        let iksn = ksn.initial();
        scrubbed(|| {
            self.sched.ipek(&iksn.left8(), key.expose_mut());
            walk(key.expose_mut(), &iksn.right8(), ksn.counter());
        });
        Ok(())
    }

    /// A variant key for any counter, including ones no device produces (zero: the IPEK
    /// itself; more than 10 one-bits). For reproducing published values; use
    /// [`TdesBdk::key`] for transactions.
    pub fn key_any_counter(
        &self,
        ksn: &TdesKsn,
        variant: TdesVariant,
    ) -> Result<TdesKey, DukptError> {
        Ok(self
            .ipek(ksn)
            .current_key_any_counter(ksn.counter())?
            .variant(variant))
    }

    /// A pre-2009 XOR-only data key for a KSN, only with the legacy opt-in (see
    /// [`TdesCurrentKey::legacy_variant`]).
    pub fn legacy_key(
        &self,
        ksn: &TdesKsn,
        v: TdesLegacyVariant,
        opts: &LegacyOptions,
    ) -> Result<TdesKey, DukptError> {
        self.current_key(ksn)?.legacy_variant(v, opts)
    }
}

impl core::fmt::Debug for TdesBdk {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("TdesBdk(..)")
    }
}

/// An initial PIN encryption key with its initial KSN (counter zero).
pub struct TdesIpek {
    key: Secret<16>,
    iksn: TdesKsn,
}

impl TdesIpek {
    /// Takes a 2-key TDES IPEK (a key admitted as a `B1` key: an IPEK whose halves are
    /// the same DES key was refused then; an AES one is [`DukptError::WrongAlgorithm`])
    /// and its KSN (the counter is cleared). IPEKs derived from a BDK
    /// ([`TdesBdk::ipek`]) are not checked (the derivation fixes them).
    pub fn new(ipek: &TypedKey<'_, IkDerive>, ksn: &TdesKsn) -> Result<Self, DukptError> {
        if ipek.algorithm() != Algorithm::Tdes2 {
            return Err(DukptError::WrongAlgorithm);
        }
        Ok(Self {
            key: Secret::from_slice(ipek.expose()).ok_or(DukptError::BadKeyLength)?,
            iksn: ksn.initial(),
        })
    }

    /// The key bytes, for injection. Keep the borrow short.
    pub fn expose(&self) -> &[u8; 16] {
        self.key.expose()
    }

    /// The initial KSN.
    pub fn initial_ksn(&self) -> &TdesKsn {
        &self.iksn
    }

    /// The current key for a counter a device may use.
    pub fn current_key(&self, counter: u32) -> Result<TdesCurrentKey, DukptError> {
        self.iksn.with_counter(counter).check_device_counter()?;
        self.current_key_any_counter(counter)
    }

    /// The current key for any 21-bit counter, including ones no device uses (zero: the
    /// IPEK; more than 10 one-bits). See [`TdesBdk::key_any_counter`].
    pub fn current_key_any_counter(&self, counter: u32) -> Result<TdesCurrentKey, DukptError> {
        let ksn = self.iksn.with_counter(counter);
        if ksn.counter() != counter {
            return Err(DukptError::TooManyOneBits);
        }
        let base = self.iksn.right8();
        // Copied straight into the holder: `Secret::new(*x)` builds a plain temporary first.
        let mut key = Secret::<16>::zero();
        key.expose_mut().copy_from_slice(self.key.expose());
        scrubbed(|| walk(key.expose_mut(), &base, counter));
        Ok(TdesCurrentKey { key, ksn })
    }
}

impl core::fmt::Debug for TdesIpek {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TdesIpek({:?}, ..)", self.iksn)
    }
}

/// The current (transaction) key of one KSN, before any variant.
pub struct TdesCurrentKey {
    key: Secret<16>,
    ksn: TdesKsn,
}

impl TdesCurrentKey {
    pub(crate) fn from_parts(key: Secret<16>, ksn: TdesKsn) -> Self {
        Self { key, ksn }
    }

    /// The KSN.
    pub fn ksn(&self) -> &TdesKsn {
        &self.ksn
    }

    /// The key bytes (for test vectors and diagnostics). Keep the borrow short.
    pub fn expose(&self) -> &[u8; 16] {
        self.key.expose()
    }

    /// A variant key of this transaction.
    pub fn variant(&self, v: TdesVariant) -> TdesKey {
        let mut k = Secret::<16>::zero();
        k.expose_mut().copy_from_slice(self.key.expose());
        v.apply(k.expose_mut());
        TdesKey { key: k, variant: v }
    }

    /// A pre-2009 XOR-only data key of this transaction; refused
    /// ([`DukptError::LegacyNotAllowed`]) unless `opts` allow it.
    pub fn legacy_variant(
        &self,
        v: TdesLegacyVariant,
        opts: &LegacyOptions,
    ) -> Result<TdesKey, DukptError> {
        let mut k = Secret::<16>::zero();
        k.expose_mut().copy_from_slice(self.key.expose());
        v.apply(k.expose_mut(), opts)?;
        Ok(TdesKey {
            key: k,
            variant: v.data_variant(),
        })
    }
}

impl core::fmt::Debug for TdesCurrentKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TdesCurrentKey({:?}, ..)", self.ksn)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const BDK: [u8; 16] = [
        0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32,
        0x10,
    ];

    fn ksn(counter: u32) -> TdesKsn {
        TdesKsn::from_array([0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0, 0])
            .with_counter(counter)
    }

    /// `key_any_counter` is `key` wherever a device may use the counter, and derives the
    /// counters `key` refuses (more than 10 one-bits, zero) instead of refusing them.
    #[test]
    fn any_counter_extends_device_counters() {
        let bdk = TdesBdk::new(&TypedKey::raw(&BDK, Algorithm::Tdes2).unwrap()).unwrap();
        for c in [1u32, 2, 3, 0x3FF, 0x1FF800, 0x10_0000] {
            let a = bdk.key(&ksn(c), TdesVariant::Pin).unwrap();
            let b = bdk.key_any_counter(&ksn(c), TdesVariant::Pin).unwrap();
            assert_eq!(a.expose(), b.expose(), "{c:#x}");
        }
        // X9.24-1-2009 A.4: counter 1's PIN key, a published value.
        let k = bdk.key_any_counter(&ksn(1), TdesVariant::Pin).unwrap();
        assert_eq!(k.expose()[..4], [0x04, 0x26, 0x66, 0xB4]);
        for c in [0u32, 0x7FF, 0x1F_FFFF] {
            assert!(bdk.key(&ksn(c), TdesVariant::Pin).is_err(), "{c:#x}");
            assert!(bdk.key_any_counter(&ksn(c), TdesVariant::Pin).is_ok());
        }
        // Distinct counters, distinct keys (0x7FF is 0x3FF's chain one step further).
        let a = bdk.key_any_counter(&ksn(0x7FF), TdesVariant::Pin).unwrap();
        let b = bdk.key_any_counter(&ksn(0x3FF), TdesVariant::Pin).unwrap();
        assert_ne!(a.expose(), b.expose());
        // Counter 0: the IPEK's own variant.
        let ipek = bdk.ipek(&ksn(0));
        let z = bdk.key_any_counter(&ksn(0), TdesVariant::Pin).unwrap();
        let from_ipek =
            TdesCurrentKey::from_parts(Secret::from_slice(ipek.expose()).unwrap(), ksn(0))
                .variant(TdesVariant::Pin);
        assert_eq!(z.expose(), from_ipek.expose());
    }
}
