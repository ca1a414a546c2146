//! Host side: IPEK and current key for any KSN, and the variant keys.
//!
//! Cost of a key for a counter with `n` one-bits: `2n` single-DES key expansions and
//! `2n` DES blocks (plus two TDES blocks for the IPEK; the BDK's two schedules are
//! expanded once in [`TdesBdk::new`]). No allocation.
use super::derive::{ksnr, BdkSchedules, Nrkgp};
use super::ksn::TdesKsn;
use super::variants::{LegacyOptions, TdesLegacyVariant, TdesVariant};
use crate::dukpt::DukptError;
use crate::secret::Secret;

/// A 16-byte TDES key (IPEK, current key or variant key). Wiped on drop.
pub struct TdesKey(Secret<16>);

impl TdesKey {
    /// The key bytes. Keep the borrow short.
    pub fn expose(&self) -> &[u8; 16] {
        self.0.expose()
    }
}

impl core::fmt::Debug for TdesKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("TdesKey(..)")
    }
}

/// A two-key TDES base derivation key, both schedules expanded once.
pub struct TdesBdk {
    sched: BdkSchedules,
}

impl TdesBdk {
    /// Takes a 16-byte (two-key) BDK. A BDK whose halves are the same DES key is
    /// refused ([`DukptError::DegenerateKey`]).
    pub fn new(bdk: &[u8]) -> Result<Self, DukptError> {
        let b: &[u8; 16] = bdk.try_into().map_err(|_| DukptError::BadKeyLength)?;
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
        self.ipek(ksn).current_key(ksn.counter())
    }

    /// A variant key for a KSN a device may have produced.
    pub fn key(&self, ksn: &TdesKsn, variant: TdesVariant) -> Result<TdesKey, DukptError> {
        Ok(self.current_key(ksn)?.variant(variant))
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
    /// Takes a 16-byte IPEK and its KSN (the counter is cleared). An IPEK whose halves
    /// are the same DES key is refused ([`DukptError::DegenerateKey`]); IPEKs derived
    /// from a BDK ([`TdesBdk::ipek`]) are not checked (the derivation fixes them).
    pub fn new(ipek: &[u8], ksn: &TdesKsn) -> Result<Self, DukptError> {
        if ipek.len() != 16 {
            return Err(DukptError::BadKeyLength);
        }
        crate::block::check_tdes_key(ipek)?;
        Ok(Self {
            key: Secret::from_slice(ipek).ok_or(DukptError::BadKeyLength)?,
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
        let ksn = self.iksn.with_counter(counter);
        if ksn.counter() != counter {
            return Err(DukptError::TooManyOneBits);
        }
        ksn.check_device_counter()?;
        let base = self.iksn.right8();
        // Copied straight into the holder: `Secret::new(*x)` builds a plain temporary first.
        let mut key = Secret::<16>::zero();
        key.expose_mut().copy_from_slice(self.key.expose());
        let mut reg = 0u32;
        let mut mask = 1u32 << 20;
        while mask != 0 {
            if counter & mask != 0 {
                reg |= mask;
                let n = Nrkgp::new(key.expose());
                n.derive(&ksnr(&base, reg), key.expose_mut());
            }
            mask >>= 1;
        }
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
        TdesKey(k)
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
        Ok(TdesKey(k))
    }
}

impl core::fmt::Debug for TdesCurrentKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TdesCurrentKey({:?}, ..)", self.ksn)
    }
}
