//! Fuzzes the TR-31 header parser and unwrap: no input may panic. The first byte picks a
//! KBPK length (and versions A/C opt-in); when an unwrap succeeds (a fuzzer-made block
//! with a valid MAC, or one built here), the key is re-wrapped as version D and must
//! unwrap to the same key and header fields.
#![no_main]
use core::convert::Infallible;

use keyfort::key::{KbpkUnwrap, KbpkWrap, TypedKey};
use keyfort::attributes::Algorithm;
use keyfort::tr31::{self, Header, HeaderSpec, OptBlock, UnwrapOptions};
use libfuzzer_sys::fuzz_target;
use rand_core::{TryCryptoRng, TryRng};

struct Counter(u8);
impl TryRng for Counter {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(u32::from(self.0))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from(self.0))
    }
    fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Infallible> {
        for b in d {
            self.0 = self.0.wrapping_add(1);
            *b = self.0;
        }
        Ok(())
    }
}
impl TryCryptoRng for Counter {}

fn round_trip(key: &[u8], h: &Header<'_>) {
    let kbpk_bytes = [0x5Au8; 32];
    let Ok(kbpk) = TypedKey::<KbpkWrap>::raw(&kbpk_bytes, Algorithm::Aes256) else {
        return;
    };
    let unwrap_kbpk = TypedKey::<KbpkUnwrap>::raw(&kbpk_bytes, Algorithm::Aes256)
        .expect("an AES-256 KBPK is admitted");
    let spec = HeaderSpec {
        key_usage: h.key_usage,
        algorithm: h.algorithm,
        mode_of_use: h.mode_of_use,
        key_version: h.key_version,
        exportability: if matches!(h.exportability, b'E' | b'N' | b'S') {
            h.exportability
        } else {
            b'N'
        },
    };
    let opt: Vec<OptBlock<'_>> = h.opt_blocks().filter(|b| &b.id != b"PB").collect();
    let Ok(len) = tr31::wrapped_len(&spec, &opt, key.len()) else {
        return;
    };
    let mut out = vec![0u8; len];
    let Ok(n) = tr31::wrap(&kbpk, &spec, &opt, key, &mut Counter(0), &mut out) else {
        return;
    };
    let (h2, k2) = tr31::unwrap_with::<128>(&unwrap_kbpk, &out[..n], &UnwrapOptions::default())
        .expect("re-wrapped block must unwrap");
    assert_eq!(k2.expose(), key);
    assert_eq!(
        (h2.key_usage, h2.algorithm, h2.mode_of_use, h2.key_version),
        (h.key_usage, h.algorithm, h.mode_of_use, h.key_version)
    );
    let got: Vec<OptBlock<'_>> = h2.opt_blocks().filter(|b| &b.id != b"PB").collect();
    assert_eq!(got, opt);
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let kbpk_len = [16usize, 24, 32][usize::from(sel & 3) % 3];
    let (kbpk, block) = rest.split_at(kbpk_len.min(rest.len()));
    let _ = Header::parse(block).map(|h| (h.opt_blocks().count(), h.len()));
    let opts = if sel & 4 != 0 {
        UnwrapOptions::legacy()
    } else {
        UnwrapOptions::default()
    };
    // The KBPK as the block's version and its length name it; and (bit 4) as a key of
    // the other cipher, which every version must refuse before anything is derived.
    if let Ok(k) = tr31::raw_kbpk(kbpk, block) {
        if let Ok((h, key)) = tr31::unwrap_with::<128>(&k, block, &opts) {
            let _ = h.policy(key.len());
            round_trip(key.expose(), &h);
        }
        if sel & 16 != 0 {
            let other = match k.algorithm() {
                Algorithm::Tdes2 | Algorithm::Tdes3 => Algorithm::Aes128,
                _ => Algorithm::Tdes2,
            };
            if let Ok(wrong) = TypedKey::<KbpkUnwrap>::raw(&kbpk[..16], other) {
                let r = tr31::unwrap_with::<128>(&wrong, block, &opts);
                assert!(r.is_err(), "a KBPK of the other cipher unwrapped a block");
            }
        }
    }
    // Also wrap the fuzz input's tail as a key and unwrap it (exercises export).
    if sel & 8 != 0 && !block.is_empty() && block.len() <= tr31::MAX_WRAP_KEY {
        if let Ok(h) = Header::parse(b"D0016B1AX00N0000") {
            round_trip(block, &h);
        }
    }
});
