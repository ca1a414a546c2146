//! Data-address trace firmware: keyfort's secret-handling operations as `extern "C"` entry
//! points that an emulator calls directly, for `./x test`'s step "ct-data"
//! (`tests/ct_data/ct_data.py`, run by `xtask/src/ct_data.rs`).
//!
//! The harness loads this ELF into unicorn (Cortex-M0 build for `microbit`, Cortex-M4
//! build for `mps2-an386`), writes an input into its own RAM buffer (always at the same
//! address), calls an entry with `r0` = input, `r1` = output, and logs every executed
//! instruction address and every load and store address until the entry returns. Within
//! a group of inputs (same public lengths and parameters, same public outcome; different
//! keys and data, forged tags wrong at different positions) both sequences must be equal.
//! Nothing here runs `main`'s code path at trace time: `main` only keeps the entries
//! linked. No entry may log (the emulator has no semihosting).
//!
//! Input layout (every entry): four little-endian `u16` argument lengths, then the
//! arguments back to back ([`Args`]). Each entry returns a `u32` the harness checks (the
//! verdict of a verification, or 1 when it ran).
//!
//! `kf_ct_prep_*` entries are not traced: they make the valid inputs (tags, wrapped keys)
//! that the harness then forges. `kf_ct_control_*` are the NEGATIVE CONTROLS the check must
//! catch (`keyfort_ctgrind::leaky`: a table S-box AES, an early-exit tag compare).
#![no_std]
#![no_main]

use core::hint::black_box;

use keyfort::attributes::Algorithm;
use keyfort::block::{Aes, Des, Tdes};
use keyfort::dukpt::aes::{
    AesBdk, AesInitialKey, AesKsn, AesTerminal, KeyUsage, WorkingKeyType, AES_STATE_LEN,
};
use keyfort::dukpt::tdes::{TdesBdk, TdesKsn, TdesTerminal, TdesVariant};
use keyfort::dukpt::NoPersist;
use keyfort::key::{BdkDerive, IkDerive, KeyWrapUnwrap, Role, TypedKey};
use keyfort::transaction::mac::{aes_cmac, tdes_cmac, verify_aes_cmac, verify_tdes_cmac};
use keyfort::wrap::{kw_unwrap_ct, kw_wrap, kwp_unwrap_ct, kwp_wrap, Kek};
use keyfort_ctgrind::leaky;
use keyfort_firmware::board;
use keyfort_testkit::wrap_trace::trace_input;

/// An AES key (its length names the size) admitted for the role `R`, as a raw key.
fn aes_key<R: Role>(k: &[u8]) -> Option<TypedKey<'_, R>> {
    TypedKey::raw_aes(k).ok()
}

/// A TDES key (16 or 24 bytes) admitted for the role `R`, as a raw key.
fn tdes_key<R: Role>(k: &[u8]) -> Option<TypedKey<'_, R>> {
    let a = if k.len() == 24 {
        Algorithm::Tdes3
    } else {
        Algorithm::Tdes2
    };
    TypedKey::raw(k, a).ok()
}

/// Bytes of input an entry reads.
pub const IN_LEN: usize = 512;
/// Bytes of output an entry may write.
pub const OUT_LEN: usize = 256;

/// The arguments of one call: `[len0, len1, len2, len3]` (`u16` LE) then the bytes.
struct Args<'a>(&'a [u8; IN_LEN]);

impl Args<'_> {
    /// Argument `i` (empty if the lengths do not fit the buffer).
    fn get(&self, i: usize) -> &[u8] {
        let len = |j: usize| usize::from(u16::from_le_bytes([self.0[2 * j], self.0[2 * j + 1]]));
        let start = 8 + (0..i).map(len).sum::<usize>();
        self.0.get(start..start + len(i)).unwrap_or(&[])
    }

    /// Argument `i` as an array (all zero if its length is not `N`).
    fn array<const N: usize>(&self, i: usize) -> [u8; N] {
        self.get(i).try_into().unwrap_or([0; N])
    }

    /// Argument `i` as a little-endian `u32` (public parameters only).
    fn u32(&self, i: usize) -> u32 {
        u32::from_le_bytes(self.array(i))
    }
}

/// Defines an entry point the harness calls with an input and an output buffer.
macro_rules! entry {
    ($(#[$m:meta])* fn $name:ident($a:ident, $o:ident) $body:block) => {
        $(#[$m])*
        ///
        /// # Safety
        /// `inp` points to [`IN_LEN`] readable bytes and `out` to [`OUT_LEN`] writable
        /// bytes; the two do not overlap.
        #[allow(unsafe_code)] // a C-ABI entry point over raw buffers (SAFETY note below)
        #[no_mangle]
        #[inline(never)]
        pub unsafe extern "C" fn $name(inp: *const u8, out: *mut u8) -> u32 {
            // SAFETY: the caller's contract above (the harness passes two disjoint
            // buffers of these sizes in its own RAM region).
            let (inp, $o) = unsafe {
                (
                    &*inp.cast::<[u8; IN_LEN]>(),
                    &mut *out.cast::<[u8; OUT_LEN]>(),
                )
            };
            let $a = Args(inp);
            $body
        }
    };
}

entry! {
    /// AES-KW unwrap (`kw_unwrap_ct`, no branch on the verdict): args KEK, wrapped key.
    /// Returns the verdict; the key (or zeros) in `out`.
    fn kf_ct_kw_unwrap(a, out) {
        let Some(kek) = aes_key::<KeyWrapUnwrap>(a.get(0)).and_then(|k| Kek::new(&k).ok()) else { return 2 };
        match kw_unwrap_ct(&kek, a.get(1), out) {
            Ok((ok, _)) => u32::from(ok.unwrap_u8()),
            Err(_) => 2,
        }
    }
}

entry! {
    /// AES-KWP unwrap (`kwp_unwrap_ct`): as [`kf_ct_kw_unwrap`].
    fn kf_ct_kwp_unwrap(a, out) {
        let Some(kek) = aes_key::<KeyWrapUnwrap>(a.get(0)).and_then(|k| Kek::new(&k).ok()) else { return 2 };
        match kwp_unwrap_ct(&kek, a.get(1), out) {
            Ok((ok, _)) => u32::from(ok.unwrap_u8()),
            Err(_) => 2,
        }
    }
}

entry! {
    /// TR-31 unwrap (versions B, D, E; the public `tr31::unwrap`): args KBPK, key block.
    /// Returns 1 and the key in `out`, or 0.
    fn kf_ct_tr31_unwrap(a, out) {
        let unwrapped = keyfort::tr31::raw_kbpk(a.get(0), a.get(1))
            .and_then(|k| keyfort::tr31::unwrap(&k, a.get(1)));
        match unwrapped {
            Ok((_, key)) => {
                let k = key.expose();
                if let Some(o) = out.get_mut(..k.len()) {
                    o.copy_from_slice(k);
                }
                1
            }
            Err(_) => 0,
        }
    }
}

entry! {
    /// AES-CMAC verification (`transaction::mac::verify_aes_cmac`): args key, data, tag.
    fn kf_ct_aes_cmac_verify(a, _out) {
        let Some(k) = aes_key(a.get(0)) else { return 0 };
        u32::from(verify_aes_cmac(&k, a.get(1), a.get(2)).is_ok())
    }
}

entry! {
    /// TDES-CMAC verification (`transaction::mac::verify_tdes_cmac`): args key, data, tag.
    fn kf_ct_tdes_cmac_verify(a, _out) {
        let Some(k) = tdes_key(a.get(0)) else { return 0 };
        u32::from(verify_tdes_cmac(&k, a.get(1), a.get(2)).is_ok())
    }
}

entry! {
    /// The store's tag check as the test kit recomputes it
    /// (`keyfort_testkit::store_tag::store_tag_check`: the same HMAC-SHA256 of `hmac`/`sha2`
    /// and the same `subtle` comparison as the store's crate-private `seal::tag_eq`): args
    /// key, message, tag.
    fn kf_ct_store_tag_check(a, _out) {
        u32::from(keyfort_testkit::store_tag::store_tag_check(a.get(0), &[a.get(1)], a.get(2)))
    }
}

entry! {
    /// AES DUKPT (host side): BDK → initial key → derivation key of the KSN → AES-128 PIN
    /// encryption working key. Args BDK, initial key ID (8), counter (`u32` LE, public).
    fn kf_ct_aes_dukpt(a, out) {
        let ksn = AesKsn::new(&a.array(1), a.u32(2));
        let Some(bdk) = aes_key::<BdkDerive>(a.get(0)).and_then(|k| AesBdk::new(&k).ok()) else {
            return 0;
        };
        let Ok(wk) = bdk.working_key(&ksn, KeyUsage::PinEncryption, WorkingKeyType::Aes128)
        else {
            return 0;
        };
        let k = wk.expose();
        if let Some(o) = out.get_mut(..k.len()) {
            o.copy_from_slice(k);
        }
        1
    }
}

entry! {
    /// TDES DUKPT (host side): BDK → IPEK → current key of the KSN → PIN variant.
    /// Args BDK (16), KSN (10).
    fn kf_ct_tdes_dukpt(a, out) {
        let bdk = tdes_key::<BdkDerive>(a.get(0)).and_then(|k| TdesBdk::new(&k).ok());
        let (Some(bdk), Ok(ksn)) = (bdk, TdesKsn::from_bytes(a.get(1))) else {
            return 0;
        };
        let Ok(k) = bdk.key(&ksn, TdesVariant::Pin) else { return 0 };
        out[..16].copy_from_slice(k.expose());
        1
    }
}

entry! {
    /// AES DUKPT terminal: load the initial key (32 registers derived and masked), run
    /// `n` transactions (the used register unmasked, new ones derived and masked, the
    /// state viewed as a persister reads it, unmasked register by register) and the PIN
    /// key of the last one. Args initial key (16/32), initial key ID (8), `n` (`u32` LE,
    /// public).
    fn kf_ct_aes_terminal(a, out) {
        let ik = aes_key::<IkDerive>(a.get(0)).and_then(|k| AesInitialKey::new(&k, a.get(1)).ok());
        let Some(ik) = ik else { return 0 };
        let Ok(mut t) = AesTerminal::load(&ik, &mut NoPersist) else { return 0 };
        drop(ik);
        let mut state = [0u8; AES_STATE_LEN];
        for _ in 1..a.u32(2) {
            if t.next_transaction(&mut NoPersist).is_err() {
                return 0;
            }
            t.view().read(0, &mut state);
        }
        let Ok(tx) = t.next_transaction(&mut NoPersist) else { return 0 };
        let Ok(wk) = tx.working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128) else {
            return 0;
        };
        let k = wk.expose();
        if let Some(o) = out.get_mut(..k.len()) {
            o.copy_from_slice(k);
        }
        u32::from(black_box(state[0]) == b'K')
    }
}

entry! {
    /// TDES DUKPT terminal: the IPEK of a BDK and KSN loaded (21 registers derived and
    /// masked), `n` transactions, the PIN variant of the last. Args BDK (16), initial KSN
    /// (10), `n` (`u32` LE, public).
    fn kf_ct_tdes_terminal(a, out) {
        let bdk = tdes_key::<BdkDerive>(a.get(0)).and_then(|k| TdesBdk::new(&k).ok());
        let (Some(bdk), Ok(iksn)) = (bdk, TdesKsn::from_bytes(a.get(1))) else {
            return 0;
        };
        let Ok(mut t) = TdesTerminal::load(&bdk.ipek(&iksn), &mut NoPersist) else { return 0 };
        for _ in 1..a.u32(2) {
            if t.next_transaction(&mut NoPersist).is_err() {
                return 0;
            }
        }
        let Ok(tx) = t.next_transaction(&mut NoPersist) else { return 0 };
        out[..16].copy_from_slice(tx.key(TdesVariant::Pin).expose());
        1
    }
}

entry! {
    /// keyfort's AES (`block::Aes`: keyfort-aes, its assembly on ARMv7-M and its portable
    /// model on ARMv6-M): key schedule, then one block encrypted and decrypted.
    /// Args key (16/24/32), block (16).
    fn kf_ct_aes_block(a, out) {
        let Ok(aes) = Aes::new(a.get(0)) else { return 0 };
        let mut b: [u8; 16] = a.array(1);
        aes.encrypt(&mut b);
        out[..16].copy_from_slice(&b);
        aes.decrypt(&mut b);
        out[16..32].copy_from_slice(&b);
        1
    }
}

entry! {
    /// keyfort's TDES (`block::Tdes`): key schedule, one block encrypted and decrypted.
    /// Args key (16/24), block (8).
    fn kf_ct_tdes_block(a, out) {
        let Ok(t) = Tdes::new(a.get(0)) else { return 0 };
        let mut b: [u8; 8] = a.array(1);
        t.encrypt(&mut b);
        out[..8].copy_from_slice(&b);
        t.decrypt(&mut b);
        out[8..16].copy_from_slice(&b);
        1
    }
}

entry! {
    /// keyfort's single DES (`block::Des`, the `des` crate): args key (8), block (8).
    fn kf_ct_des_block(a, out) {
        let d = Des::new(&a.array(0));
        let mut b: [u8; 8] = a.array(1);
        d.encrypt(&mut b);
        out[..8].copy_from_slice(&b);
        d.decrypt(&mut b);
        out[8..16].copy_from_slice(&b);
        1
    }
}

entry! {
    /// CONTROL (must be caught): AES-128 with a table S-box
    /// (`keyfort_ctgrind::leaky::table_aes128_encrypt`). Args key (16), block (16).
    fn kf_ct_control_table_aes(a, out) {
        let mut b: [u8; 16] = a.array(1);
        leaky::table_aes128_encrypt(&a.array(0), &mut b);
        out[..16].copy_from_slice(&b);
        1
    }
}

entry! {
    /// CONTROL (must be caught): AES-CMAC verification whose tag compare returns at the
    /// first differing byte (`keyfort_ctgrind::leaky::early_exit_eq`). Args key, data, tag.
    fn kf_ct_control_early_exit_cmac(a, _out) {
        let Some(k) = aes_key(a.get(0)) else { return 2 };
        let Ok(t) = aes_cmac(&k, a.get(1)) else { return 2 };
        u32::from(leaky::early_exit_eq(&t, a.get(2)))
    }
}

entry! {
    /// Not traced: the AES-CMAC of args key, data into `out` (16 bytes).
    fn kf_ct_prep_aes_cmac(a, out) {
        let Some(k) = aes_key(a.get(0)) else { return 0 };
        let Ok(t) = aes_cmac(&k, a.get(1)) else { return 0 };
        out[..16].copy_from_slice(&t);
        16
    }
}

entry! {
    /// Not traced: the TDES-CMAC of args key, data into `out` (8 bytes).
    fn kf_ct_prep_tdes_cmac(a, out) {
        let Some(k) = tdes_key(a.get(0)) else { return 0 };
        let Ok(t) = tdes_cmac(&k, a.get(1)) else { return 0 };
        out[..8].copy_from_slice(&t);
        8
    }
}

entry! {
    /// Not traced: the store tag (`keyfort_testkit::store_tag::store_tag`) of args key, message.
    fn kf_ct_prep_store_tag(a, out) {
        let t = keyfort_testkit::store_tag::store_tag(a.get(0), &[a.get(1)]);
        out[..t.len()].copy_from_slice(&t);
        t.len() as u32
    }
}

entry! {
    /// Not traced: AES-KW (arg 2 = 0) or AES-KWP (1) wrap of args KEK, key into `out`;
    /// returns the wrapped length (0 on error).
    fn kf_ct_prep_wrap(a, out) {
        let Some(kek) = aes_key::<KeyWrapUnwrap>(a.get(0)).and_then(|k| Kek::new(&k).ok()) else { return 0 };
        let r = if a.u32(2) == 0 {
            kw_wrap(&kek, a.get(1), out)
        } else {
            kwp_wrap(&kek, a.get(1), out)
        };
        r.map_or(0, |n| n as u32)
    }
}

entry! {
    /// Not traced: `keyfort_testkit::wrap_trace::trace_input(arg 0)` (a valid wrapped key, or one
    /// failing exactly one unwrap check, under `TRACE_KEK`): `out` = valid, kwp, length,
    /// wrapped (32), group (16, NUL-padded), name (40, NUL-padded). Returns 0 past the end.
    fn kf_ct_prep_trace_input(a, out) {
        let Some(t) = trace_input(a.u32(0) as usize) else { return 0 };
        out[0] = u8::from(t.valid);
        out[1] = u8::from(t.kwp);
        out[2] = t.len as u8;
        out[3..35].copy_from_slice(&t.wrapped);
        for (o, b) in out[35..51].iter_mut().zip(t.group.bytes()) {
            *o = b;
        }
        for (o, b) in out[51..91].iter_mut().zip(t.name.bytes()) {
            *o = b;
        }
        1
    }
}

entry! {
    /// Not traced: a TR-31 version D block (`tr31::wrap`; header `P0AE00E`, no optional
    /// blocks) of args KBPK, key, with padding taken from arg 2. Returns its length.
    fn kf_ct_prep_tr31_d(a, out) {
        let spec = keyfort::tr31::HeaderSpec {
            key_usage: *b"P0",
            algorithm: b'A',
            mode_of_use: b'E',
            key_version: *b"00",
            exportability: b'E',
        };
        let mut pad = PadBytes(a.get(2));
        let Some(kbpk) = aes_key(a.get(0)) else { return 0 };
        keyfort::tr31::wrap(&kbpk, &spec, &[], a.get(1), &mut pad, out).map_or(0, |n| n as u32)
    }
}

/// The padding of a prepared key block: bytes the harness chose, then zeros. Not a
/// random generator; only for making public test inputs.
struct PadBytes<'a>(&'a [u8]);

impl rand_core::TryRng for PadBytes<'_> {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> {
        for x in d {
            *x = self.0.first().copied().unwrap_or(0);
            self.0 = self.0.get(1..).unwrap_or(&[]);
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for PadBytes<'_> {}

/// An entry's type.
type Entry = unsafe extern "C" fn(*const u8, *mut u8) -> u32;

/// Every entry, kept in the image (nothing else calls them).
#[used]
static ENTRIES: [Entry; 21] = [
    kf_ct_kw_unwrap,
    kf_ct_kwp_unwrap,
    kf_ct_tr31_unwrap,
    kf_ct_aes_cmac_verify,
    kf_ct_tdes_cmac_verify,
    kf_ct_store_tag_check,
    kf_ct_aes_dukpt,
    kf_ct_tdes_dukpt,
    kf_ct_aes_terminal,
    kf_ct_tdes_terminal,
    kf_ct_aes_block,
    kf_ct_tdes_block,
    kf_ct_des_block,
    kf_ct_control_table_aes,
    kf_ct_control_early_exit_cmac,
    kf_ct_prep_aes_cmac,
    kf_ct_prep_tdes_cmac,
    kf_ct_prep_store_tag,
    kf_ct_prep_wrap,
    kf_ct_prep_trace_input,
    kf_ct_prep_tr31_d,
];

#[cortex_m_rt::entry]
fn main() -> ! {
    // Run under QEMU, this only says what it is: the entries are called by the emulator.
    black_box(&ENTRIES);
    defmt::println!(
        "ct_data: {=usize} entry points for the data-address trace (tests/ct_data/ct_data.py)",
        ENTRIES.len()
    );
    board::exit(0)
}
