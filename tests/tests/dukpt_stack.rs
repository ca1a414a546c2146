//! The host AES and TDES DUKPT derivations leave none of their chain's keys on the stack,
//! and a block cipher schedule's drop scrubs below its backend's frames (`generic`).
//!
//! `AesBdk::working_key` runs in a frame of its own, its working key is forgotten (so the
//! holder's own drop, which scrubs the stack too, does not run and cannot hide a missing
//! scrub of the derivation), and then a sibling frame reads back the stack where the
//! derivation's frames were and searches it for the initial key and every derivation key
//! of the chain (taken beforehand from the public API). This shows the one scrub of the
//! derivation (`dukpt::aes::host::scrubbed`) reaches deep enough on this target: 512
//! bytes on the lane-engine path of an AES-128 BDK (where the chain's keys stay in vector
//! registers, so nothing is left even without it), 8 KiB on the schedule path (AES-256;
//! on a CPU with AVX-512 and VAES, whose `aes` backend has deep frames, the 2 KiB it was
//! before failed the AES-256 case).
//!
//! Controls the scan must catch: a key copied into a local of a frame that has returned
//! (`leave_copy`) is found at the same depth, in every case; and, checked by hand, the
//! schedule path with its scrub removed (`DERIVATION_SCRUB_WORDS` = 1) fails the AES-256
//! case ("1 of 2 chain keys left on the stack").
//!
//! The stack is read back by `keyfort_ctgrind::stack::below` (a local array never
//! written, read with volatile reads).
#![cfg(target_arch = "x86_64")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use keyfort::dukpt::aes::{AesBdk, AesKsn, KeyUsage, WorkingKeyType};
use keyfort::key::TypedKey;
use std::hint::black_box;

/// Bytes of stack read back below the test's frame (well past the deepest derivation).
const AREA: usize = 16 * 1024;
const IKID: [u8; 8] = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];

#[inline(always)]
fn stack_below() -> Vec<u8> {
    keyfort_ctgrind::stack::below::<AREA>()
}

/// Overwrites the stack below the caller, so that what earlier calls left there (the
/// needles' own derivation) cannot be found.
#[inline(never)]
fn clear_below() {
    let mut area = [0u8; AREA];
    black_box(&mut area);
}

/// The derivation under test, in its own frame; its working key is forgotten.
#[inline(never)]
fn derive_and_forget(bdk: &AesBdk, ksn: &AesKsn) {
    let k = bdk.working_key(ksn, KeyUsage::PinEncryption, WorkingKeyType::Aes128);
    assert!(k.is_ok());
    core::mem::forget(black_box(k));
}

/// Runs `f` 512 bytes below the caller's frame: the top of the area that
/// [`stack_below`] reads back is its own frame's saved registers and locals, so what is
/// checked must lie deeper.
#[inline(never)]
fn deeper(f: impl FnOnce()) {
    let pad = [0u8; 512];
    black_box(&pad);
    f();
    black_box(&pad);
}

/// The control: a copy of `key` left in a returned frame.
#[inline(never)]
fn leave_copy(key: &[u8]) {
    let mut copy = [0u8; 32];
    copy[..key.len()].copy_from_slice(key);
    black_box(&copy);
}

/// The initial key and each derivation key on the way to `counter` (the needles).
fn chain_keys(bdk: &AesBdk, counter: u32) -> Vec<Vec<u8>> {
    let mut keys = vec![bdk.initial_key(&IKID).unwrap().expose().to_vec()];
    let mut walked = 0u32;
    for bit in (0..32).rev().map(|b| 1u32 << b) {
        if counter & bit != 0 {
            walked |= bit;
            let ksn = AesKsn::new(&IKID, walked);
            keys.push(bdk.derivation_key(&ksn).unwrap().expose().to_vec());
        }
    }
    keys
}

fn found(stack: &[u8], needles: &[Vec<u8>]) -> usize {
    needles
        .iter()
        .filter(|n| stack.windows(n.len()).any(|w| w == n.as_slice()))
        .count()
}

fn bdk(bytes: &[u8]) -> AesBdk {
    AesBdk::new(&TypedKey::raw_aes(bytes).unwrap()).unwrap()
}

fn check(bdk: &AesBdk, counter: u32) {
    let needles = chain_keys(bdk, counter);
    clear_below();
    assert_eq!(found(&stack_below(), &needles), 0, "cleared");
    deeper(|| derive_and_forget(bdk, &AesKsn::new(&IKID, counter)));
    let left = found(&stack_below(), &needles);
    assert_eq!(
        left,
        0,
        "{left} of {} chain keys left on the stack",
        needles.len()
    );

    // Control: the scan sees a key left in a returned frame at that depth.
    clear_below();
    deeper(|| leave_copy(&needles[0]));
    assert_eq!(found(&stack_below(), &needles), 1, "control not caught");
}

#[test]
fn no_chain_key_left_on_the_stack_aes128_bdk() {
    let bdk = bdk(&[0x11; 16]);
    for counter in [1, 0xFF, 0xFFFF, 0x8000_0001] {
        check(&bdk, counter);
    }
}

#[test]
fn no_chain_key_left_on_the_stack_aes256_bdk() {
    let bdk = bdk(&[0x22; 32]);
    for counter in [1, 0xFF, 0xFFFF] {
        check(&bdk, counter);
    }
}

/// TDES: the host derivation (`TdesBdk::key`) scrubs once after its NRKGP steps, whose
/// DES schedules and blocks leave the stack to it (`dukpt::tdes::derive::scrubbed`).
/// Checked by hand: with that scrub cut to one 16-byte word the test fails ("1 of 4 key
/// halves left").
mod tdes {
    use super::*;
    use keyfort::dukpt::tdes::{TdesBdk, TdesKsn, TdesVariant};

    const KSN: [u8; 10] = [0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0x00, 0x00];

    fn ksn(counter: u32) -> TdesKsn {
        TdesKsn::from_bytes(&KSN).unwrap().with_counter(counter)
    }

    /// The 8-byte halves (each a single-DES key of an NRKGP step) of the IPEK and of the
    /// current key after each step on the way to `counter`.
    fn chain_halves(bdk: &TdesBdk, counter: u32) -> Vec<Vec<u8>> {
        let ipek = bdk.ipek(&ksn(counter));
        let mut keys = vec![ipek.expose().to_vec()];
        let mut walked = 0u32;
        for bit in (0..21).rev().map(|b| 1u32 << b) {
            if counter & bit != 0 {
                walked |= bit;
                let k = ipek.current_key_any_counter(walked).unwrap();
                keys.push(k.expose().to_vec());
            }
        }
        keys.iter()
            .flat_map(|k| k.chunks(8).map(<[u8]>::to_vec))
            .collect()
    }

    #[inline(never)]
    fn derive_and_forget(bdk: &TdesBdk, counter: u32) {
        let k = bdk.key(&ksn(counter), TdesVariant::Pin);
        assert!(k.is_ok());
        core::mem::forget(black_box(k));
    }

    #[test]
    fn no_chain_key_left_on_the_stack_tdes_bdk() {
        let raw = [
            0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54,
            0x32, 0x10,
        ];
        let typed = TypedKey::raw(&raw, keyfort::attributes::Algorithm::Tdes2).unwrap();
        let bdk = TdesBdk::new(&typed).unwrap();
        for counter in [1, 0x3FF, 0x1F_F800] {
            let needles = chain_halves(&bdk, counter);
            clear_below();
            assert_eq!(found(&stack_below(), &needles), 0, "cleared");
            deeper(|| derive_and_forget(&bdk, counter));
            let left = found(&stack_below(), &needles);
            assert_eq!(left, 0, "{left} of {} key halves left", needles.len());

            clear_below();
            deeper(|| leave_copy(&needles[0]));
            assert_eq!(found(&stack_below(), &needles), 1, "control not caught");
        }
    }
}

/// A block cipher schedule's drop scrubs below the cipher backend's frames
/// ([`keyfort::secret::CIPHER_SCRUB_BYTES`]), and the caller's scrub
/// ([`keyfort::secret::scrub_stack`], as its docs ask after code that held key bytes)
/// covers the frame the schedule lived in: an AES-256 schedule made, used for a block and
/// dropped in a frame that then returns leaves neither half of the key on the stack. The
/// `aes` crate's backend is picked at run time, so this depends on the CPU: checked by
/// hand on one with AVX-512 and VAES (AMD EPYC), with the schedule's scrub at the
/// holders' depth of 1.5 KiB the test fails (a key half 3.2 KiB below the reading frame,
/// in the VAES-512 backend's frame); the `leave_copy` control below runs everywhere.
mod generic {
    use super::*;
    use keyfort::block::Aes;

    const KEY: [u8; 32] = [
        0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77,
        0x81, 0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61, 0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14,
        0xdf, 0xf4,
    ];

    /// A schedule expanded, used and dropped in this frame (its moved-from copies stay
    /// here: what the caller's scrub is for).
    #[inline(never)]
    fn use_schedule(key: &[u8; 32]) {
        let aes = Aes::new(key).unwrap();
        let mut b = [0u8; 16];
        aes.encrypt(&mut b);
        black_box(&b);
    }

    /// The caller: runs the code that held the key, then scrubs.
    #[inline(never)]
    fn use_then_scrub(key: &[u8; 32]) {
        use_schedule(key);
        keyfort::secret::scrub_stack();
    }

    #[test]
    fn no_aes_key_left_below_a_schedules_scrub() {
        let needles = vec![KEY[..16].to_vec(), KEY[16..].to_vec()];
        clear_below();
        deeper(|| use_then_scrub(&KEY));
        let left = found(&stack_below(), &needles);
        assert_eq!(left, 0, "{left} of 2 key halves left");

        clear_below();
        deeper(|| leave_copy(&needles[1]));
        assert_eq!(found(&stack_below(), &needles), 1, "control not caught");
    }
}
