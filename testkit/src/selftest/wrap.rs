//! On-target self-tests of `wrap` (see [`super`]): published examples, one
//! rejection per unwrap check, zeroing on failure, round trips for every KEK size.
//! Buffers are at most 48 bytes (Cortex-M0 stack).
use super::{check, Test};
use crate::hex::hex;
use crate::wrap_trace::{forge, iv, trace_input, TRACE_INPUTS, TRACE_KEK};
use keyfort::block::Aes;
use keyfort::wrap::{
    kw_unwrap, kw_unwrap_ct, kw_unwrap_in_place, kw_wrap, kwp_unwrap, kwp_unwrap_ct,
    kwp_unwrap_in_place, kwp_wrap, kwp_wrap_in_place, kwp_wrapped_len, Kek, WrapError,
};

/// The tests of this module.
pub const TESTS: &[Test] = &[
    Test {
        name: "wrap::rfc3394_4_1_kw128",
        run: rfc3394_4_1,
    },
    Test {
        name: "wrap::rfc3394_4_6_kw256_256",
        run: rfc3394_4_6,
    },
    Test {
        name: "wrap::rfc5649_6_kwp_20_octets",
        run: rfc5649_20,
    },
    Test {
        name: "wrap::rfc5649_6_kwp_7_octets",
        run: rfc5649_7,
    },
    Test {
        name: "wrap::kw_icv_flip_rejected_and_zeroed",
        run: kw_icv_flip,
    },
    Test {
        name: "wrap::kwp_each_check_rejects",
        run: kwp_each_check,
    },
    Test {
        name: "wrap::round_trips_all_kek_sizes",
        run: round_trips,
    },
    Test {
        name: "wrap::trace_inputs_verdicts",
        run: trace_inputs_verdicts,
    },
];

// RFC 3394 section 4.1: 128 bits of key data, 128-bit KEK.
pub(crate) const K128: [u8; 16] = hex("000102030405060708090a0b0c0d0e0f");
const P128: [u8; 16] = hex("00112233445566778899aabbccddeeff");
const C_4_1: [u8; 24] = hex("1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5");
// RFC 3394 section 4.6: 256 bits of key data, 256-bit KEK.
const K256: [u8; 32] = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const P256: [u8; 32] = hex("00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f");
const C_4_6: [u8; 40] =
    hex("28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21");
// RFC 5649 section 6: 192-bit KEK; 20 octets and 7 octets of key data.
const K192: [u8; 24] = hex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
const P20: [u8; 20] = hex("c37b7e6492584340bed12207808941155068f738");
const C20: [u8; 32] = hex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a");
const P7: [u8; 7] = hex("466f7250617369");
const C7: [u8; 16] = hex("afbeb0f07dfbf5419200f2ccb50bb24f");

fn kek(k: &[u8]) -> Result<Kek, &'static str> {
    keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(k)
        .map_err(keyfort::wrap::WrapError::from)
        .and_then(|k| Kek::new(&k))
        .map_err(|_| "KEK rejected")
}

/// Wraps and unwraps (into a buffer and in place) one published KW example.
fn kw_example(k: &[u8], p: &[u8], c: &[u8]) -> Result<(), &'static str> {
    let kek = kek(k)?;
    let mut buf = [0u8; 48];
    let n = kw_wrap(&kek, p, &mut buf).map_err(|_| "kw_wrap failed")?;
    check(buf.get(..n) == Some(c), "kw_wrap: wrong ciphertext")?;
    let mut out = [0u8; 48];
    let m = kw_unwrap(&kek, c, &mut out).map_err(|_| "kw_unwrap failed")?;
    check(out.get(..m) == Some(p), "kw_unwrap: wrong key")?;
    let m = kw_unwrap_in_place(&kek, &mut buf, n).map_err(|_| "in-place unwrap failed")?;
    check(buf.get(..m) == Some(p), "kw_unwrap_in_place: wrong key")
}

fn rfc3394_4_1() -> Result<(), &'static str> {
    kw_example(&K128, &P128, &C_4_1)
}

fn rfc3394_4_6() -> Result<(), &'static str> {
    kw_example(&K256, &P256, &C_4_6)
}

fn kwp_example(p: &[u8], c: &[u8]) -> Result<(), &'static str> {
    let kek = kek(&K192)?;
    let mut buf = [0u8; 32];
    let n = kwp_wrap(&kek, p, &mut buf).map_err(|_| "kwp_wrap failed")?;
    check(buf.get(..n) == Some(c), "kwp_wrap: wrong ciphertext")?;
    let mut out = [0u8; 32];
    let m = kwp_unwrap(&kek, c, &mut out).map_err(|_| "kwp_unwrap failed")?;
    check(out.get(..m) == Some(p), "kwp_unwrap: wrong key")?;
    let m = kwp_unwrap_in_place(&kek, &mut buf, n).map_err(|_| "in-place unwrap failed")?;
    check(buf.get(..m) == Some(p), "kwp_unwrap_in_place: wrong key")
}

fn rfc5649_20() -> Result<(), &'static str> {
    kwp_example(&P20, &C20)
}

fn rfc5649_7() -> Result<(), &'static str> {
    kwp_example(&P7, &C7)
}

/// Flipping one bit of each semiblock of the RFC 3394 4.1 ciphertext fails the ICV, and
/// the caller's whole buffer is zero afterwards.
fn kw_icv_flip() -> Result<(), &'static str> {
    let kek = kek(&K128)?;
    for pos in [0usize, 9, 23] {
        let mut c = C_4_1;
        c[pos] ^= 0x01;
        let mut out = [0xEEu8; 32];
        let r = kw_unwrap(&kek, &c, &mut out);
        check(r == Err(WrapError::Integrity), "KW: bit flip accepted")?;
        check(out.iter().all(|&b| b == 0), "KW: buffer not zeroed")?;
    }
    Ok(())
}

/// KWP: for n = 1 and n = 2, the control (correct prefix, MLI and padding) unwraps, and a
/// wrong prefix, an MLI above 8n, an MLI at 8(n-1), and a nonzero padding byte each give
/// `Integrity` with the buffer zeroed.
fn kwp_each_check() -> Result<(), &'static str> {
    let aes = Aes::new(&K192).map_err(|_| "AES key")?;
    let kek = kek(&K192)?;
    // (padded plaintext length, key length)
    for (plen, klen, plen32, klen32) in [(8usize, 5usize, 8u32, 5u32), (16, 11, 16, 11)] {
        let mut p = [0x5Au8; 16];
        p[klen..].fill(0);
        let good = [0xA6, 0x59, 0x59, 0xA6];
        let mut bad_pad = p;
        bad_pad[plen - 1] = 0x01;
        let cases: [([u8; 8], &[u8], bool, &'static str); 5] = [
            (iv(good, klen32), &p[..plen], true, "KWP: control rejected"),
            (
                iv([0xA6, 0x59, 0x59, 0xA7], klen32),
                &p[..plen],
                false,
                "KWP: bad prefix accepted",
            ),
            (
                iv(good, plen32 + 1),
                &p[..plen],
                false,
                "KWP: MLI > 8n accepted",
            ),
            (
                iv(good, plen32 - 8),
                &p[..plen],
                false,
                "KWP: MLI <= 8(n-1) accepted",
            ),
            (
                iv(good, klen32),
                &bad_pad[..plen],
                false,
                "KWP: nonzero padding accepted",
            ),
        ];
        for (v, data, valid, msg) in cases {
            let mut c = [0u8; 24];
            let n = forge(&aes, v, data, &mut c);
            let mut out = [0xEEu8; 24];
            let r = kwp_unwrap(&kek, &c[..n], &mut out);
            if valid {
                check(r == Ok(klen), msg)?;
                check(out[..klen] == p[..klen], "KWP: wrong key")?;
            } else {
                check(r == Err(WrapError::Integrity), msg)?;
                check(out.iter().all(|&b| b == 0), "KWP: buffer not zeroed")?;
            }
        }
    }
    Ok(())
}

/// KW and KWP round trips (buffer and in place) for 128-, 192- and 256-bit KEKs.
fn round_trips() -> Result<(), &'static str> {
    for k in [&K256[..16], &K256[..24], &K256[..]] {
        let kek = kek(k)?;
        let key = P256;
        let mut buf = [0u8; 40];
        let n = kw_wrap(&kek, &key[..24], &mut buf).map_err(|_| "kw_wrap")?;
        let mut out = [0u8; 40];
        let m = kw_unwrap(&kek, &buf[..n], &mut out).map_err(|_| "kw round trip")?;
        check(out[..m] == key[..24], "kw round trip: wrong key")?;
        for klen in [1usize, 8, 9, 31] {
            buf = [0u8; 40];
            buf[..klen].copy_from_slice(&key[..klen]);
            let n = kwp_wrap_in_place(&kek, &mut buf, klen).map_err(|_| "kwp_wrap_in_place")?;
            check(n == kwp_wrapped_len(klen).unwrap_or(0), "kwp length")?;
            let m = kwp_unwrap_in_place(&kek, &mut buf, n).map_err(|_| "kwp round trip")?;
            check(
                m == klen && buf[..m] == key[..klen],
                "kwp round trip: wrong key",
            )?;
        }
    }
    Ok(())
}

/// Every trace input gets its intended verdict from the `_ct` unwrap.
fn trace_inputs_verdicts() -> Result<(), &'static str> {
    let kek = kek(&TRACE_KEK)?;
    for i in 0..TRACE_INPUTS {
        let t = trace_input(i).ok_or("trace input missing")?;
        let w = t.wrapped.get(..t.len).ok_or("trace length")?;
        let mut out = [0xEEu8; 24];
        let (ok, _) = if t.kwp {
            kwp_unwrap_ct(&kek, w, &mut out)
        } else {
            kw_unwrap_ct(&kek, w, &mut out)
        }
        .map_err(|_| "trace input: length error")?;
        check(bool::from(ok) == t.valid, t.name)?;
        check(
            t.valid || out.iter().all(|&b| b == 0),
            "trace input: not zeroed",
        )?;
    }
    Ok(())
}
