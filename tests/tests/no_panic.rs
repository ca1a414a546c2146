//! No panic on any input: random and mutated inputs through every public parser and
//! unwrap path of core (DUKPT KSNs, terminal states and counters, TR-31 blocks mutated
//! from the published vectors, KW/KWP lengths and buffers, PIN blocks, MAC verify). The
//! property is that each call returns (Ok or a typed error); the test binary runs with
//! overflow checks, so an arithmetic overflow on input is a failure too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used
)]
use keyfort::attributes::Algorithm;
use keyfort::dukpt::aes::{AesBdk, AesKsn, AesTerminal, KeyUsage, WorkingKeyType};
use keyfort::dukpt::tdes::{TdesBdk, TdesKsn, TdesTerminal};
use keyfort::dukpt::NoPersist;
use keyfort::key::TypedKey;

/// xorshift64: reproducible pseudo-random inputs.
struct R(u64);
impl R {
    fn n(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_inputs_do_not_panic() {
    let mut r = R(0x1234_5678_9abc_def1);
    let bdk = AesBdk::new(&keyfort::key::TypedKey::raw_aes(&[0x11; 16]).unwrap()).unwrap();
    let tbdk_bytes = core::array::from_fn::<u8, 16, _>(|i| 0x22 ^ i as u8);
    let tbdk = TdesBdk::new(
        &keyfort::key::TypedKey::raw(&tbdk_bytes, keyfort::attributes::Algorithm::Tdes2).unwrap(),
    )
    .unwrap();
    for _ in 0..20000 {
        let len = (r.n() % 40) as usize;
        let v: Vec<u8> = (0..len).map(|_| r.n() as u8).collect();
        if let Ok(k) = AesKsn::from_bytes(&v) {
            let _ = bdk.derivation_key(&k);
            let _ = bdk.derivation_key_any_counter(&k);
            for u in KeyUsage::ALL {
                for t in WorkingKeyType::ALL {
                    let _ = bdk.working_key(&k, u, t);
                }
            }
            let _ = k.check_device_counter();
        }
        if let Ok(k) = TdesKsn::from_bytes(&v) {
            let _ = tbdk.current_key(&k);
            let _ = k.check_device_counter();
            let _ = k.with_counter(r.n() as u32);
            let ipek = tbdk.ipek(&k);
            let _ = ipek.current_key(r.n() as u32);
            let c = r.n() as u32;
            if let Ok(mut t) = TdesTerminal::load_at_counter(&ipek, c & 0x1FFFFF, &mut NoPersist) {
                for _ in 0..3 {
                    let _ = t.next_transaction(&mut NoPersist);
                }
            }
        }
        let _ = bdk.initial_key(&v);
        if let Ok(ik) = bdk.initial_key(&[1, 2, 3, 4, 5, 6, 7, 8]) {
            let c = r.n() as u32;
            let _ = ik.derivation_key(c);
            let _ = ik.derivation_key_any_counter(c);
            if r.n() & 63 == 0 {
                if let Ok(mut t) = AesTerminal::load_at_counter(&ik, c, &mut NoPersist) {
                    for _ in 0..3 {
                        let _ = t.next_transaction(&mut NoPersist);
                    }
                    let mut s = t.with_state(<[u8]>::to_vec);
                    let i = (r.n() as usize) % s.len();
                    s[i] ^= r.n() as u8;
                    if let Ok(mut t2) = AesTerminal::from_state(&s) {
                        let _ = t2.next_transaction(&mut NoPersist);
                    }
                }
            }
        }
        let _ = AesTerminal::from_state(&v);
        let _ = TdesTerminal::from_state(&v);
        if let Ok(k) = TypedKey::raw(&[0x33; 16], Algorithm::Aes128) {
            let _ = keyfort::tr31::unwrap(&k, &v);
        }
        let _ = keyfort::tr31::header::Header::parse(&v);
        let pan: Vec<u8> = v.iter().map(|b| b'0' + b % 10).collect();
        let blk8: [u8; 8] = core::array::from_fn(|i| v.get(i).copied().unwrap_or(0));
        let blk16: [u8; 16] = core::array::from_fn(|i| v.get(i).copied().unwrap_or(0));
        let k0 = core::array::from_fn::<u8, 16, _>(|i| 0x44 ^ i as u8);
        if let Ok(k) = TypedKey::raw(&k0, Algorithm::Tdes2) {
            let _ = keyfort::transaction::pin::format0_decrypt(&k, &blk8, &pan);
        }
        if let Ok(k) = TypedKey::raw(&[0x44; 16], Algorithm::Aes128) {
            let _ = keyfort::transaction::pin::format4_decrypt(&k, &blk16, &pan);
        }
        let _ = keyfort::transaction::pin::format0_block(&pan, &pan);
        if let Ok(k) = TypedKey::raw(&[0x44; 16], Algorithm::Aes128) {
            let _ = keyfort::transaction::pin::format4_encrypt_with_fill(&k, &pan, &pan, &[0; 8]);
        }
        // Random bytes as keys: admitted or refused by the holder, never a panic.
        for alg in [Algorithm::Tdes2, Algorithm::Aes128, Algorithm::HmacSha256] {
            if let Ok(k) = TypedKey::raw(&v, alg) {
                let _ = keyfort::transaction::mac::retail_mac(&k, &v);
            }
            if let Ok(k) = TypedKey::raw(&v, alg) {
                let _ = keyfort::transaction::mac::verify_aes_cmac(&k, &v, &v);
            }
            if let Ok(k) = TypedKey::raw(&v, alg) {
                let _ = keyfort::transaction::mac::verify_hmac_sha256(&k, &v, &v);
            }
        }
    }
}

#[test]
fn mutated_tr31_blocks_do_not_panic() {
    let j = keyfort_tests::load_json("tr31/tr31_vectors.json");
    let mut r = R(0x9876_5432_1fed_cba9);
    let mut n = 0;
    for v in j["vectors"].as_array().unwrap() {
        let (Some(b), Some(k)) = (v["key_block"].as_str(), v["kbpk"].as_str()) else {
            continue;
        };
        let kbpk = keyfort_tests::unhex(k);
        let block = b.as_bytes().to_vec();
        let Ok(kbpk) = keyfort::tr31::raw_kbpk(&kbpk, &block) else {
            continue;
        };
        for _ in 0..3000 {
            let mut m = block.clone();
            match r.n() % 4 {
                0 => {
                    let i = (r.n() as usize) % m.len();
                    m[i] = r.n() as u8;
                }
                1 => {
                    let i = (r.n() as usize) % m.len();
                    m[i] = b"0123456789ABCDEFabcdefPB"[(r.n() % 24) as usize];
                }
                2 => {
                    let l = (r.n() as usize) % (m.len() + 1);
                    m.truncate(l);
                    let s = format!("{:04}", m.len());
                    if m.len() >= 5 {
                        m[1..5].copy_from_slice(s.as_bytes());
                    }
                }
                _ => {
                    let extra = (r.n() % 40) as usize;
                    for _ in 0..extra {
                        m.push(b"0123456789ABCDEF"[(r.n() % 16) as usize]);
                    }
                    let s = format!("{:04}", m.len());
                    if m.len() >= 5 && m.len() < 10000 {
                        m[1..5].copy_from_slice(s.as_bytes());
                    }
                }
            }
            let _ = keyfort::tr31::unwrap(&kbpk, &m);
            let _ = keyfort::tr31::unwrap_with::<16>(
                &kbpk,
                &m,
                &keyfort::tr31::UnwrapOptions::legacy(),
            );
            if let Ok(h) = keyfort::tr31::header::Header::parse(&m) {
                for o in h.opt_blocks() {
                    let _ = o;
                }
            }
            n += 1;
        }
    }
    println!("{n} mutated blocks");
}

#[test]
fn wrap_random_lengths_do_not_panic() {
    use keyfort::wrap::*;
    let mut r = R(0x5555_aaaa_1234_4321);
    let kek = Kek::new(
        &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&[7; 16]).unwrap(),
    )
    .unwrap();
    for _ in 0..20000 {
        let inl = (r.n() % 80) as usize;
        let outl = (r.n() % 80) as usize;
        let v: Vec<u8> = (0..inl).map(|_| r.n() as u8).collect();
        let mut out = vec![0u8; outl];
        let _ = kw_wrap(&kek, &v, &mut out);
        let _ = kw_unwrap(&kek, &v, &mut out);
        let _ = kwp_wrap(&kek, &v, &mut out);
        let _ = kwp_unwrap(&kek, &v, &mut out);
        let mut buf = v.clone();
        let l = (r.n() % 90) as usize;
        let _ = kw_unwrap_in_place(&kek, &mut buf, l);
        let mut buf = v.clone();
        let _ = kwp_unwrap_in_place(&kek, &mut buf, l);
        let mut buf = v.clone();
        let _ = kw_wrap_in_place(&kek, &mut buf, l);
        let mut buf = v.clone();
        let _ = kwp_wrap_in_place(&kek, &mut buf, l);
        let _ = kw_wrapped_len(l.wrapping_mul(r.n() as usize));
        let _ = kwp_wrapped_len(usize::MAX - (r.n() % 16) as usize);
        let _ = kwp_unwrap_buf_len(usize::MAX - (r.n() % 16) as usize);
        let _ = kw_unwrapped_len(usize::MAX - (r.n() % 16) as usize);
    }
}
