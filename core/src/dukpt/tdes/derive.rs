//! X9.24-1-2009 A.2/A.6: IPEK derivation and the non-reversible key generation process.
use crate::block::{DesKeyMask, DesSchedule, Tdes, TdesKeyError};
use crate::secret::Secret;
use zeroize::Zeroize;

/// The key mask of the IPEK's right half and of the second NRKGP half.
pub(crate) const C0_MASK: [u8; 16] = [
    0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0, 0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0,
];

/// The DES schedule of the left half of [`C0_MASK`] ([`Nrkgp::new`]).
static C0_LEFT_SCHEDULE: DesKeyMask = DesKeyMask::new(&[0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0]);

/// XORs `mask` into `key`.
pub(crate) fn xor16(key: &mut [u8; 16], mask: &[u8; 16]) {
    for (k, m) in key.iter_mut().zip(mask.iter()) {
        *k ^= m;
    }
}

/// The two TDES schedules of a BDK (plain and C0-masked), expanded once.
pub(crate) struct BdkSchedules {
    pub plain: Tdes,
    pub masked: Tdes,
}

impl BdkSchedules {
    /// Refuses a degenerate BDK ([`Tdes::new`]); the masked copy differs from the BDK
    /// by the same mask in both halves, so it is degenerate exactly when the BDK is.
    pub fn new(bdk: &[u8; 16]) -> Result<Self, TdesKeyError> {
        let mut m = Secret::<16>::zero();
        m.expose_mut().copy_from_slice(bdk);
        xor16(m.expose_mut(), &C0_MASK);
        Ok(Self {
            plain: Tdes::new(bdk)?,
            masked: Tdes::from_derived(m.expose())?,
        })
    }

    /// IPEK for the leftmost 8 bytes of the initial KSN.
    pub fn ipek(&self, iksn_left8: &[u8; 8], out: &mut [u8; 16]) {
        let mut l = *iksn_left8;
        let mut r = *iksn_left8;
        self.plain.encrypt_pair(&mut l, &self.masked, &mut r);
        out[..8].copy_from_slice(&l);
        out[8..].copy_from_slice(&r);
        l.zeroize();
        r.zeroize();
    }
}

/// A key prepared for the non-reversible key generation process: both DES schedules
/// expanded once, so that deriving several children costs no further expansion. It
/// wipes its schedules and key halves on drop but does not scrub the stack: every user
/// runs its steps inside [`scrubbed`], one scrub after all of them.
pub(crate) struct Nrkgp {
    left: DesSchedule,
    right: [u8; 8],
    left_m: DesSchedule,
    right_m: [u8; 8],
}

impl Nrkgp {
    pub fn new(key: &[u8; 16]) -> Self {
        let mut l = [0u8; 8];
        let mut r = [0u8; 8];
        l.copy_from_slice(&key[..8]);
        r.copy_from_slice(&key[8..]);
        let left = DesSchedule::new(&l);
        // The masked left half's schedule from the left half's: the key schedule is
        // linear, and the mask's schedule is a constant.
        let left_m = left.xor_mask(&C0_LEFT_SCHEDULE);
        let right = r;
        for (x, m) in r.iter_mut().zip(&C0_MASK[8..]) {
            *x ^= m;
        }
        let right_m = r;
        l.zeroize();
        r.zeroize();
        Self {
            left,
            right,
            left_m,
            right_m,
        }
    }

    /// The new key for key serial number register `ksnr` into `out`.
    pub fn derive(&self, ksnr: &[u8; 8], out: &mut [u8]) {
        let mut cr2 = [0u8; 8];
        let mut cr1 = [0u8; 8];
        for i in 0..8 {
            cr2[i] = ksnr[i] ^ self.right[i];
            cr1[i] = ksnr[i] ^ self.right_m[i];
        }
        self.left.encrypt_pair(&mut cr2, &self.left_m, &mut cr1);
        for i in 0..8 {
            cr2[i] ^= self.right[i];
            cr1[i] ^= self.right_m[i];
        }
        if let Some(o) = out.get_mut(..8) {
            o.copy_from_slice(&cr1);
        }
        if let Some(o) = out.get_mut(8..16) {
            o.copy_from_slice(&cr2);
        }
        cr1.zeroize();
        cr2.zeroize();
    }
}

impl Drop for Nrkgp {
    fn drop(&mut self) {
        self.right.zeroize();
        self.right_m.zeroize();
    }
}

/// How deep the one scrub after a run of NRKGP steps reaches ([`scrubbed`]): a DES
/// schedule's depth, [`crate::secret::DES_SCRUB_BYTES`] (1 KiB; with this scrub cut to one
/// word the host stack test finds a key half of the chain).
const NRKGP_SCRUB_WORDS: usize = crate::secret::DES_SCRUB_BYTES >> 4;

/// Runs NRKGP steps (`f`) in a frame below the caller's, then scrubs the stack below the
/// caller once: [`Nrkgp`] and its DES schedules wipe themselves but leave the stack.
#[inline(always)]
pub(crate) fn scrubbed<R>(f: impl FnOnce() -> R) -> R {
    crate::secret::scrubbed_to::<NRKGP_SCRUB_WORDS, R>(f)
}

/// The current key for `counter` from the key in `key` (the IPEK), in place: one NRKGP
/// step per one-bit of the counter, highest first (X9.24-1-2009 A.6). `base` is the
/// initial KSN's rightmost 8 bytes. Run it inside [`scrubbed`].
pub(crate) fn walk(key: &mut [u8; 16], base: &[u8; 8], counter: u32) {
    let mut reg = 0u32;
    let mut mask = 1u32 << 20;
    while mask != 0 {
        if counter & mask != 0 {
            reg |= mask;
            let n = Nrkgp::new(key);
            n.derive(&ksnr(base, reg), key);
        }
        mask >>= 1;
    }
}

/// The KSN register for counter `c`: `base` (counter bits clear) with `c` in its low 21
/// bits.
pub(crate) fn ksnr(base: &[u8; 8], c: u32) -> [u8; 8] {
    let mut r = *base;
    let cb = c.to_be_bytes();
    r[5] |= cb[1] & 0x1F;
    r[6] |= cb[2];
    r[7] |= cb[3];
    r
}
