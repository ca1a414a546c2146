//! Size probe for `./x bench` (`xtask/src/bench_target.rs`): the whole core: KW, KWP, AES and TDES DUKPT (terminal and host), TR-31 import, PIN, MAC and data operations.
//! Inputs come through `black_box`, so nothing is folded away; the section sizes of this
//! ELF minus those of `bench_size_base` are what the feature costs.
#![no_std]
#![no_main]

use core::hint::black_box;
use keyfort_firmware::board;

use keyfort::attributes::Algorithm;
use keyfort::dukpt::aes::{AesBdk, AesKsn, AesTerminal, KeyUsage, WorkingKeyType};
use keyfort::dukpt::tdes::{TdesBdk, TdesKsn, TdesTerminal, TdesVariant};
use keyfort::dukpt::NoPersist;
use keyfort::key::TypedKey;
use keyfort::transaction::{data, mac, pin};
use keyfort::wrap::{kw_unwrap, kw_wrap, kwp_unwrap, kwp_wrap, Kek};

#[cortex_m_rt::entry]
fn main() -> ! {
    let k = black_box([0x11u8; 32]);
    let klen = black_box(32usize);
    let key = &k[..klen];
    let mut w = [0u8; 40];
    let mut out = [0u8; 40];
    let mut n = 0u32;
    if let Ok(kek) = keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(key)
        .map_err(keyfort::wrap::WrapError::from)
        .and_then(|k| Kek::new(&k))
    {
        n += u32::from(kw_wrap(&kek, black_box(&[0x22; 32]), &mut w).is_ok());
        n += u32::from(kw_unwrap(&kek, black_box(&w), &mut out).is_ok());
        n += u32::from(kwp_wrap(&kek, black_box(&[0x22; 20]), &mut w).is_ok());
        n += u32::from(kwp_unwrap(&kek, black_box(&w[..32]), &mut out).is_ok());
    }
    let state = black_box([0u8; 600]);
    if let Ok(mut t) = AesTerminal::from_state(&state[..black_box(600)]) {
        if let Ok(tx) = t.next_transaction(&mut NoPersist) {
            n += u32::from(
                tx.working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)
                    .is_ok(),
            );
        }
    }
    if let Ok(b) = keyfort::key::TypedKey::raw_aes(&key[..16])
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
    {
        let ksn = AesKsn::new(&black_box([0x12; 8]), black_box(7));
        n += u32::from(
            b.working_key(&ksn, KeyUsage::MacGeneration, WorkingKeyType::Aes128)
                .is_ok(),
        );
    }
    if let (Ok(b), Ok(ksn)) = (
        keyfort::key::TypedKey::raw(&key[..16], keyfort::attributes::Algorithm::Tdes2)
            .map_err(keyfort::dukpt::DukptError::from)
            .and_then(|k| TdesBdk::new(&k)),
        TdesKsn::from_bytes(&black_box([0xFF; 10])),
    ) {
        n += u32::from(b.key(&ksn, TdesVariant::Pin).is_ok());
    }
    if let Ok(mut t) = TdesTerminal::from_state(&state[..black_box(400)]) {
        if let Ok(tx) = t.next_transaction(&mut NoPersist) {
            n += u32::from(black_box(tx.key(TdesVariant::DataRequest).expose()[0]) == 1);
        }
    }
    let block = black_box([b'0'; 112]);
    if let Ok(k) = keyfort::tr31::raw_kbpk(key, &block) {
        n += u32::from(keyfort::tr31::unwrap(&k, &block).is_ok());
    }
    let k16 = &key[..16];
    if let Ok(k) = TypedKey::raw(k16, Algorithm::Tdes2) {
        n += u32::from(pin::format0_encrypt(&k, b"1234", b"4111111111111111").is_ok());
    }
    if let Ok(k) = TypedKey::raw(k16, Algorithm::Aes128) {
        n += u32::from(
            pin::format4_encrypt_with_fill(&k, b"1234", b"4111111111111111", &[0x5A; 8]).is_ok(),
        );
    }
    if let Ok(k) = TypedKey::raw(k16, Algorithm::Aes128) {
        n += u32::from(mac::aes_cmac(&k, &block).is_ok());
    }
    if let Ok(k) = TypedKey::raw(k16, Algorithm::Tdes2) {
        n += u32::from(mac::retail_mac(&k, &block).is_ok());
    }
    if let Ok(k) = TypedKey::raw(key, Algorithm::HmacSha256) {
        n += u32::from(mac::hmac_sha256(&k, &block).is_ok());
    }
    let mut buf = black_box([0u8; 32]);
    if let Ok(k) = TypedKey::raw(k16, Algorithm::Aes128) {
        n += u32::from(data::aes_cbc_encrypt(&k, &[0; 16], &mut buf).is_ok());
    }
    if let Ok(k) = TypedKey::raw(k16, Algorithm::Tdes2) {
        n += u32::from(data::tdes_cbc_decrypt(&k, &[0; 8], &mut buf).is_ok());
    }
    defmt::println!("size probe {=u32}", black_box(n));
    board::exit(0)
}
