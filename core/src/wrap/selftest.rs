//! On-target self-tests of `wrap` (see [`crate::selftest`]): published examples, one
//! rejection per unwrap check, zeroing on failure, round trips for every KEK size.
//! Buffers are at most 48 bytes (Cortex-M0 stack).
use super::permute::w;
use super::*;
use crate::block::Aes;
use crate::selftest::{check, Test};

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

/// Decodes a hex literal at compile time (a bad literal fails the build).
#[allow(clippy::panic)]
const fn hex<const N: usize>(s: &str) -> [u8; N] {
    const fn nib(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("bad hex"),
        }
    }
    let b = s.as_bytes();
    assert!(b.len() == 2 * N, "hex length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = (nib(b[2 * i]) << 4) | nib(b[2 * i + 1]);
        i += 1;
    }
    out
}

// RFC 3394 section 4.1: 128 bits of key data, 128-bit KEK.
const K128: [u8; 16] = hex("000102030405060708090a0b0c0d0e0f");
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
    Kek::new(k).map_err(|_| "KEK rejected")
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

/// Wraps the semiblocks `p` (8 bytes: one AES block, RFC 5649 4.1; more: W) with a chosen
/// initial value into `out[..p.len() + 8]`, using the crate's own W (the checks under test
/// are in unwrap, not in W; W itself is checked against the RFC examples above).
fn forge(aes: &Aes, iv: [u8; 8], p: &[u8], out: &mut [u8]) -> usize {
    let n = p.len() + 8;
    let Some(out) = out.get_mut(..n) else {
        return 0;
    };
    if p.len() == 8 {
        let mut block = [0u8; 16];
        block[..8].copy_from_slice(&iv);
        block[8..].copy_from_slice(p);
        aes.encrypt(&mut block);
        out.copy_from_slice(&block);
    } else {
        out[8..].copy_from_slice(p);
        let mut a = u64::from_le_bytes(iv);
        w(aes, &mut a, &mut out[8..]);
        out[..8].copy_from_slice(&a.to_le_bytes());
    }
    n
}

fn iv(prefix: [u8; 4], mli: u32) -> [u8; 8] {
    let mut v = [0u8; 8];
    v[..4].copy_from_slice(&prefix);
    v[4..].copy_from_slice(&mli.to_be_bytes());
    v
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

/// The KEK of the trace inputs (RFC 3394 section 4.1's).
pub const TRACE_KEK: [u8; 16] = K128;

/// How a trace input is built: KW or KWP, key length, padded length, initial value
/// override, padding byte override.
struct TraceSpec {
    name: &'static str,
    group: &'static str,
    kwp: bool,
    valid: bool,
    key_len: usize,
    padded_len: usize,
    prefix: [u8; 4],
    /// For KWP: the MLI written into the initial value.
    mli: u32,
    /// KW: XOR into ICV byte 0 / 7. KWP: padding byte index to set nonzero (or none).
    tweak: Option<usize>,
}

const A6: [u8; 4] = [0xA6; 4];
const P2: [u8; 4] = [0xA6, 0x59, 0x59, 0xA6];

#[rustfmt::skip]
const TRACE_SPECS: [TraceSpec; 17] = [
    TraceSpec { name: "kw n=3 valid", group: "kw-32", kwp: false, valid: true, key_len: 24, padded_len: 24, prefix: A6, mli: 0, tweak: None },
    TraceSpec { name: "kw n=3 ICV byte 7", group: "kw-32", kwp: false, valid: false, key_len: 24, padded_len: 24, prefix: A6, mli: 0, tweak: Some(7) },
    TraceSpec { name: "kw n=3 ICV byte 0", group: "kw-32", kwp: false, valid: false, key_len: 24, padded_len: 24, prefix: A6, mli: 0, tweak: Some(0) },
    TraceSpec { name: "kwp n=3 valid len 20", group: "kwp-32", kwp: true, valid: true, key_len: 20, padded_len: 24, prefix: P2, mli: 20, tweak: None },
    TraceSpec { name: "kwp n=3 valid len 17", group: "kwp-32", kwp: true, valid: true, key_len: 17, padded_len: 24, prefix: P2, mli: 17, tweak: None },
    TraceSpec { name: "kwp n=3 valid len 24", group: "kwp-32", kwp: true, valid: true, key_len: 24, padded_len: 24, prefix: P2, mli: 24, tweak: None },
    TraceSpec { name: "kwp n=3 prefix", group: "kwp-32", kwp: true, valid: false, key_len: 20, padded_len: 24, prefix: [0xA6, 0x59, 0x59, 0xA7], mli: 20, tweak: None },
    TraceSpec { name: "kwp n=3 MLI 25 (> 8n)", group: "kwp-32", kwp: true, valid: false, key_len: 20, padded_len: 24, prefix: P2, mli: 25, tweak: None },
    TraceSpec { name: "kwp n=3 MLI 16 (<= 8(n-1))", group: "kwp-32", kwp: true, valid: false, key_len: 20, padded_len: 24, prefix: P2, mli: 16, tweak: None },
    TraceSpec { name: "kwp n=3 MLI 2^31+20", group: "kwp-32", kwp: true, valid: false, key_len: 20, padded_len: 24, prefix: P2, mli: 0x8000_0014, tweak: None },
    TraceSpec { name: "kwp n=3 pad byte 23", group: "kwp-32", kwp: true, valid: false, key_len: 20, padded_len: 24, prefix: P2, mli: 20, tweak: Some(23) },
    TraceSpec { name: "kwp n=3 pad byte 20", group: "kwp-32", kwp: true, valid: false, key_len: 20, padded_len: 24, prefix: P2, mli: 20, tweak: Some(20) },
    TraceSpec { name: "kwp n=1 valid len 5", group: "kwp-16", kwp: true, valid: true, key_len: 5, padded_len: 8, prefix: P2, mli: 5, tweak: None },
    TraceSpec { name: "kwp n=1 prefix", group: "kwp-16", kwp: true, valid: false, key_len: 5, padded_len: 8, prefix: [0x26, 0x59, 0x59, 0xA6], mli: 5, tweak: None },
    TraceSpec { name: "kwp n=1 MLI 9", group: "kwp-16", kwp: true, valid: false, key_len: 5, padded_len: 8, prefix: P2, mli: 9, tweak: None },
    TraceSpec { name: "kwp n=1 MLI 0", group: "kwp-16", kwp: true, valid: false, key_len: 5, padded_len: 8, prefix: P2, mli: 0, tweak: None },
    TraceSpec { name: "kwp n=1 pad byte 7", group: "kwp-16", kwp: true, valid: false, key_len: 5, padded_len: 8, prefix: P2, mli: 5, tweak: Some(7) },
];

/// The number of trace inputs ([`trace_input`] takes `0..TRACE_INPUTS`).
pub const TRACE_INPUTS: usize = TRACE_SPECS.len();

/// One input for the on-target trace-equality test (a valid wrapped key or one that fails
/// exactly one unwrap check), under [`TRACE_KEK`].
///
/// Compare traces only within a `group` (same algorithm and wrapped length): unwrap of
/// every input of a group must execute the same instruction sequence. Trace
/// [`super::kw_unwrap_ct`] / [`super::kwp_unwrap_ct`] (no branch on the verdict at all),
/// or the non-inlined cores `keyfort::wrap::kw::unwrap_ct` / `keyfort::wrap::kwp::unwrap_ct`.
pub struct TraceInput {
    /// What the input is, e.g. `"kwp n=3 MLI 25 (> 8n)"`.
    pub name: &'static str,
    /// Inputs with the same group must give equal traces.
    pub group: &'static str,
    /// KWP (else KW).
    pub kwp: bool,
    /// Whether unwrap must accept it.
    pub valid: bool,
    /// The wrapped key is `wrapped[..len]`.
    pub wrapped: [u8; 32],
    /// Its length.
    pub len: usize,
}

/// Builds trace input `i` (`None` past the end). Key bytes are 0x5A (nonzero, so a zeroed
/// output is visible).
pub fn trace_input(i: usize) -> Option<TraceInput> {
    let s = TRACE_SPECS.get(i)?;
    let aes = Aes::new(&TRACE_KEK).ok()?;
    let mut p = [0x5Au8; 24];
    let p = p.get_mut(..s.padded_len)?;
    let mut v;
    if s.kwp {
        if let Some(tail) = p.get_mut(s.key_len..) {
            tail.fill(0);
        }
        v = iv(s.prefix, s.mli);
        if let Some(b) = s.tweak.and_then(|t| p.get_mut(t)) {
            *b = 0x01;
        }
    } else {
        v = [0xA6; 8];
        if let Some(b) = s.tweak.and_then(|t| v.get_mut(t)) {
            *b ^= 0x01;
        }
    }
    let mut wrapped = [0u8; 32];
    let len = forge(&aes, v, p, &mut wrapped);
    Some(TraceInput {
        name: s.name,
        group: s.group,
        kwp: s.kwp,
        valid: s.valid,
        wrapped,
        len,
    })
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
