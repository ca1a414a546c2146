//! Inputs for the on-target trace-equality test of key unwrap (`./x test ct-trace`,
//! firmware `ct_trace`) and the data-address check (`ct_data`): valid wrapped keys and
//! wrapped keys that each fail exactly one unwrap check, built with a chosen initial
//! value. Buffers are at most 48 bytes (Cortex-M0 stack).
use crate::selftest::wrap::K128;
use keyfort::block::Aes;

/// Wraps the semiblocks `p` (8 bytes: one AES block, RFC 5649 4.1; more: W) with a chosen
/// initial value into `out[..p.len() + 8]`, using the crate's own W (the checks under test
/// are in unwrap, not in W).
pub fn forge(aes: &Aes, iv: [u8; 8], p: &[u8], out: &mut [u8]) -> usize {
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
        let mut a = iv;
        w(aes, &mut a, &mut out[8..]);
        out[..8].copy_from_slice(&a);
    }
    n
}

/// The wrapping function W (RFC 3394 section 2.2.1, index-based form) on the chaining
/// value `a` and the semiblocks `r`: written here from the RFC, independently of
/// keyfort's, and checked through the published examples the self-tests unwrap.
fn w(aes: &Aes, a: &mut [u8; 8], r: &mut [u8]) {
    let mut t: u64 = 0;
    for _ in 0..6 {
        for ri in r.chunks_exact_mut(8) {
            t += 1;
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(a);
            b[8..].copy_from_slice(ri);
            aes.encrypt(&mut b);
            for ((x, y), z) in a.iter_mut().zip(&b[..8]).zip(t.to_be_bytes()) {
                *x = y ^ z;
            }
            ri.copy_from_slice(&b[8..]);
        }
    }
}

/// A KWP initial value: the 4-byte `prefix` and the big-endian message length indicator.
pub fn iv(prefix: [u8; 4], mli: u32) -> [u8; 8] {
    let mut v = [0u8; 8];
    v[..4].copy_from_slice(&prefix);
    v[4..].copy_from_slice(&mli.to_be_bytes());
    v
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
/// `keyfort::wrap::kw_unwrap_ct` / `keyfort::wrap::kwp_unwrap_ct` (no branch on the verdict at all),
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
