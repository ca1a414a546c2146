//! Constant-time trace firmware: runs keyfort's AES-KW / AES-KWP unwrap on a valid input
//! and on inputs that each fail exactly one check (`keyfort_testkit::wrap_trace::trace_input`:
//! real wrapped inputs, forged by encrypting crafted plaintext blocks with the KEK), each
//! call between the two marker functions [`kf_trace_begin`] and [`kf_trace_end`].
//!
//! `./x test` (step "ct-trace", `xtask/src/ct_trace.rs`) runs this under QEMU with
//! `-singlestep -d exec,nochain`, cuts the executed-address log at the markers, and
//! requires equal instruction counts and equal address-sequence hashes within each group.
//!
//! To prove the check can fail, the same inputs also go through deliberately naive unwraps
//! (early-exit compares, a padding loop bounded by the MLI) whose traces MUST differ.
//!
//! It also traces the AES block functions alone (`keyfort::block::Aes`: keyfort-aes's
//! assembly on ARMv7-M, its portable model on ARMv6-M): key schedule, one-block encrypt and
//! decrypt of AES-128 and AES-256 under four different keys and blocks each, which must
//! give equal traces per group.
//!
//! Protocol (defmt lines, in call order; the k-th line goes with the k-th marker pair):
//! `ct <k> <impl> <group> <valid> <name>` before each traced call, then
//! `ct-done <calls> <bad>` (`bad` = calls whose verdict was not the expected one).
#![no_std]
#![no_main]

use core::hint::black_box;
use core::sync::atomic::{AtomicU32, Ordering};

use keyfort::block::Aes;
use keyfort::wrap::{kw_unwrap, kw_unwrap_ct, kwp_unwrap, kwp_unwrap_ct, Kek};
use keyfort_firmware::board;
use keyfort_testkit::wrap_trace::{trace_input, TRACE_INPUTS, TRACE_KEK};

static BEGIN: AtomicU32 = AtomicU32::new(0);
static END: AtomicU32 = AtomicU32::new(0);

/// Start marker: the trace of call `k` starts at this function's first instruction.
/// (Its body differs from [`kf_trace_end`]'s so the linker cannot fold the two.)
#[allow(unsafe_code)] // `no_mangle`: the trace harness finds the marker by name
#[no_mangle]
#[inline(never)]
pub extern "C" fn kf_trace_begin(k: u32) {
    black_box(&BEGIN).store(k, Ordering::Relaxed);
}

/// End marker: the trace of call `k` stops just before this function's first instruction.
#[allow(unsafe_code)] // `no_mangle`: the trace harness finds the marker by name
#[no_mangle]
#[inline(never)]
pub extern "C" fn kf_trace_end(k: u32) {
    black_box(&END).store(k ^ 0x5A5A_5A5A, Ordering::Relaxed);
}

/// Which unwrap a traced call runs.
#[derive(Clone, Copy)]
enum Impl {
    /// `kw_unwrap_ct` / `kwp_unwrap_ct`: the whole unwrap without the final branch on the
    /// verdict; must be equal within a group.
    Ct,
    /// `kw_unwrap` / `kwp_unwrap`: the public API; must be equal up to turning the verdict
    /// into the returned `Result` (checked by xtask against the `unwrap_ct` core).
    Api,
    /// The naive unwraps below: must differ.
    Naive,
}

#[cortex_m_rt::entry]
fn main() -> ! {
    defmt::println!(
        "ct-trace on {=str} ({=str}): {=usize} inputs",
        board::MACHINE.name,
        board::MACHINE.core,
        TRACE_INPUTS
    );
    let (Ok(kek), Ok(aes)) = (
        keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&TRACE_KEK)
            .map_err(keyfort::wrap::WrapError::from)
            .and_then(|k| Kek::new(&k)),
        Aes::new(&TRACE_KEK),
    ) else {
        defmt::println!("ct-trace: KEK rejected");
        board::exit(board::EXIT_FAILED)
    };
    let mut k = 0u32;
    let mut bad = 0u32;
    for which in [Impl::Ct, Impl::Api, Impl::Naive] {
        for i in 0..TRACE_INPUTS {
            let Some(t) = trace_input(i) else {
                bad += 1;
                continue;
            };
            let (label, prefix) = match (which, t.kwp) {
                (Impl::Ct, false) => ("kw_unwrap_ct", ""),
                (Impl::Ct, true) => ("kwp_unwrap_ct", ""),
                (Impl::Api, false) => ("kw_unwrap", "api-"),
                (Impl::Api, true) => ("kwp_unwrap", "api-"),
                (Impl::Naive, false) => ("naive_kw_unwrap", "naive-"),
                (Impl::Naive, true) => ("naive_kwp_unwrap", "naive-"),
            };
            defmt::println!(
                "ct {=u32} {=str} {=str}{=str} {=bool} {=str}",
                k,
                label,
                prefix,
                t.group,
                t.valid,
                t.name
            );
            let wrapped = &t.wrapped[..t.len];
            let mut out = [0xEEu8; 24];
            let accepted = traced(k, || match (which, t.kwp) {
                (Impl::Ct, false) => kw_unwrap_ct(&kek, wrapped, &mut out)
                    .map(|(ok, _)| bool::from(ok))
                    .unwrap_or(false),
                (Impl::Ct, true) => kwp_unwrap_ct(&kek, wrapped, &mut out)
                    .map(|(ok, _)| bool::from(ok))
                    .unwrap_or(false),
                (Impl::Api, false) => kw_unwrap(&kek, wrapped, &mut out).is_ok(),
                (Impl::Api, true) => kwp_unwrap(&kek, wrapped, &mut out).is_ok(),
                (Impl::Naive, false) => naive_kw_unwrap(&aes, wrapped, &mut out).is_some(),
                (Impl::Naive, true) => naive_kwp_unwrap(&aes, wrapped, &mut out).is_some(),
            });
            let zeroed = out.iter().take(t.len - 8).all(|&b| b == 0);
            if accepted != t.valid || (!accepted && !zeroed) {
                bad += 1;
                defmt::println!(
                    "ct-wrong {=u32}: accepted={=bool}, zeroed={=bool}",
                    k,
                    accepted,
                    zeroed
                );
            }
            k += 1;
        }
    }
    // The block cipher alone (keyfort-aes's assembly on ARMv7-M): key schedule, encrypt and
    // decrypt of one block under different keys and blocks; equal traces per group.
    for (len, ks, enc, dec) in [
        (16, "aes128-ks", "aes128-enc", "aes128-dec"),
        (32, "aes256-ks", "aes256-enc", "aes256-dec"),
    ] {
        for (group, op) in [(ks, 0), (enc, 1), (dec, 2)] {
            for (i, seed) in [0x00u8, 0xff, 0x5a, 0x17].into_iter().enumerate() {
                let key: [u8; 32] = core::array::from_fn(|j| seed ^ (j as u8).wrapping_mul(29));
                let Ok(aes) = Aes::new(&key[..len]) else {
                    bad += 1;
                    continue;
                };
                let mut block: [u8; 16] = core::array::from_fn(|j| seed.wrapping_add(j as u8 * 7));
                let name = [
                    "key+block 00",
                    "key+block ff",
                    "key+block 5a",
                    "key+block 17",
                ][i];
                defmt::println!(
                    "ct {=u32} {=str} {=str} {=bool} {=str}",
                    k,
                    "aes_block",
                    group,
                    true,
                    name
                );
                traced(k, || match op {
                    0 => Aes::new(black_box(&key[..len])).is_ok(),
                    1 => {
                        aes.encrypt(black_box(&mut block));
                        true
                    }
                    _ => {
                        aes.decrypt(black_box(&mut block));
                        true
                    }
                });
                k += 1;
            }
        }
    }
    defmt::println!("ct-done {=u32} {=u32}", k, bad);
    board::exit(if bad == 0 { 0 } else { board::EXIT_FAILED })
}

/// Runs `f` between the markers. The verdict leaves through `black_box` *after* the end
/// marker, so the traced part contains no caller code that branches on it.
#[inline(never)]
fn traced(k: u32, f: impl FnOnce() -> bool) -> bool {
    kf_trace_begin(k);
    let r = black_box(f());
    kf_trace_end(k);
    r
}

/// W⁻¹ (RFC 3394 section 2.2.2): `a` = C[0] on entry, the recovered A on exit;
/// `r` holds C[1..n] on entry and P[1..n] on exit.
fn w_inv(aes: &Aes, a: &mut [u8; 8], r: &mut [u8]) {
    let n = r.len() / 8;
    for j in (0..6).rev() {
        for i in (1..=n).rev() {
            let t = ((n * j) + i) as u64;
            let mut b = [0u8; 16];
            for (x, c) in a.iter_mut().zip(t.to_be_bytes()) {
                *x ^= c;
            }
            b[..8].copy_from_slice(a);
            b[8..].copy_from_slice(&r[8 * (i - 1)..8 * i]);
            aes.decrypt(&mut b);
            a.copy_from_slice(&b[..8]);
            r[8 * (i - 1)..8 * i].copy_from_slice(&b[8..]);
        }
    }
}

/// A deliberately NAIVE AES-KW unwrap: the ICV is compared byte by byte with an early
/// exit, and the output is zeroed only on failure. Its trace must differ between a valid
/// input and one with a wrong ICV byte; if the trace check saw no difference, the check
/// itself would be broken.
#[inline(never)]
fn naive_kw_unwrap(aes: &Aes, wrapped: &[u8], out: &mut [u8]) -> Option<usize> {
    let klen = wrapped.len() - 8;
    let mut a = [0u8; 8];
    a.copy_from_slice(&wrapped[..8]);
    out[..klen].copy_from_slice(&wrapped[8..]);
    w_inv(aes, &mut a, &mut out[..klen]);
    for b in black_box(a) {
        if b != 0xA6 {
            out.fill(0);
            return None;
        }
    }
    Some(klen)
}

/// A deliberately NAIVE AES-KWP unwrap: prefix, MLI range and padding checked one after
/// the other with early exits, the padding loop running from the MLI. Its traces must
/// differ between a valid input and each failing one.
#[inline(never)]
fn naive_kwp_unwrap(aes: &Aes, wrapped: &[u8], out: &mut [u8]) -> Option<usize> {
    let plen = wrapped.len() - 8;
    let mut a = [0u8; 8];
    if plen == 8 {
        let mut b = [0u8; 16];
        b.copy_from_slice(wrapped);
        aes.decrypt(&mut b);
        a.copy_from_slice(&b[..8]);
        out[..8].copy_from_slice(&b[8..]);
    } else {
        a.copy_from_slice(&wrapped[..8]);
        out[..plen].copy_from_slice(&wrapped[8..]);
        w_inv(aes, &mut a, &mut out[..plen]);
    }
    let a = black_box(a);
    let fail = |out: &mut [u8]| {
        out.fill(0);
        None
    };
    if a[..4] != [0xA6, 0x59, 0x59, 0xA6] {
        return fail(out);
    }
    let mli = u32::from_be_bytes([a[4], a[5], a[6], a[7]]) as usize;
    if mli <= plen - 8 || mli > plen {
        return fail(out);
    }
    for i in mli..plen {
        if out[i] != 0 {
            return fail(out);
        }
    }
    Some(mli)
}
