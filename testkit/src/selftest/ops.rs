//! On-target self-tests of `ops` (see [`super`]): PIN blocks, MACs and CBC
//! against published DUKPT vectors (ANSI X9.24-1-2009 Annex A.4 via openemv/dukpt and
//! moov-io/dukpt; X9.24-3 supplement keys with moov-io/dukpt and openemv/dukpt
//! operations; ids tdes-0003, tdes-0242, tdes-0008, aes-0044, aes-0126, aes-0122 in
//! `../shared/vectors/dukpt/`), and PIN block round trips.
use super::{check, Test};
use crate::hex::unhex;
use keyfort::attributes::Algorithm::Tdes2;
use keyfort::dukpt::aes::{AesBdk, AesKsn, KeyUsage, WorkingKeyType};
use keyfort::dukpt::tdes::{TdesBdk, TdesKsn, TdesVariant};
use keyfort::key::TypedKey;
use keyfort::transaction::{data, mac, pin, OpsError};

/// The tests of this module.
pub const TESTS: &[Test] = &[
    Test {
        name: "ops::tdes_pin_mac_data",
        run: tdes_ops,
    },
    Test {
        name: "ops::aes_pin_cmac_hmac",
        run: aes_ops,
    },
];

const DATA: &[u8] = b"4012345678909D987";

fn tdes_ops() -> Result<(), &'static str> {
    let bdk_bytes = unhex::<16>("0123456789ABCDEFFEDCBA9876543210");
    let bdk =
        TdesBdk::new(&TypedKey::raw(&bdk_bytes, Tdes2).map_err(|_| "bdk")?).map_err(|_| "bdk")?;
    let ksn = TdesKsn::from_bytes(&unhex::<10>("FFFF9876543210E00001")).map_err(|_| "ksn")?;
    let ck = bdk.current_key(&ksn).map_err(|_| "current key")?;
    let pk = ck.variant(TdesVariant::Pin);
    let blk = pin::format0_encrypt(&pk.typed().map_err(|_| "key")?, b"1234", b"4012345678909")
        .map_err(|_| "pin")?;
    check(
        blk == unhex::<8>("1B9C1845EB993A7A"),
        "format 0 block differs",
    )?;
    let p = pin::format0_decrypt(&pk.typed().map_err(|_| "key")?, &blk, b"4012345678909")
        .map_err(|_| "decrypt")?;
    check(p.expose() == b"1234", "format 0 round trip")?;
    let mk = ck.variant(TdesVariant::MacRequest);
    let m = mac::retail_mac(&mk.typed().map_err(|_| "key")?, DATA).map_err(|_| "mac")?;
    check(m == unhex::<8>("9CCC78173FC4FB64"), "retail MAC differs")?;
    check(
        mac::verify_retail_mac(&mk.typed().map_err(|_| "key")?, DATA, &m[..4]).is_ok(),
        "retail MAC verify",
    )?;
    let dk = ck.variant(TdesVariant::DataRequest);
    let mut buf = [0u8; 24];
    buf[..DATA.len()].copy_from_slice(DATA);
    data::tdes_cbc_encrypt(&dk.typed().map_err(|_| "key")?, &[0; 8], &mut buf)
        .map_err(|_| "cbc")?;
    check(
        buf == unhex::<24>("FC0D53B7EA1FDA9EE68AAF2E70D9B9506229BE2AA993F04F"),
        "TDES-CBC differs",
    )
}

fn aes_ops() -> Result<(), &'static str> {
    let bdk_bytes = unhex::<16>("FEDCBA9876543210F1F1F1F1F1F1F1F1");
    let bdk = AesBdk::new(&TypedKey::raw_aes(&bdk_bytes).map_err(|_| "bdk")?).map_err(|_| "bdk")?;
    let id = unhex::<8>("1234567890123456");
    let dk3 = bdk
        .derivation_key(&AesKsn::new(&id, 3))
        .map_err(|_| "derivation key")?;
    let pk = dk3
        .working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)
        .map_err(|_| "pin key")?;
    let fill = unhex::<8>("2F69ADDE2E9E7ACE");
    let blk = pin::format4_encrypt_with_fill(
        &pk.typed().map_err(|_| "key")?,
        b"1234",
        b"4111111111111111",
        &fill,
    )
    .map_err(|_| "pin")?;
    check(
        blk == unhex::<16>("A5A27E82B43A9A866A93D7ABE89CEF93"),
        "format 4 block differs",
    )?;
    let p = pin::format4_decrypt(&pk.typed().map_err(|_| "key")?, &blk, b"4111111111111111")
        .map_err(|_| "decrypt")?;
    check(p.expose() == b"1234", "format 4 round trip")?;
    let mk = bdk
        .working_key(
            &AesKsn::new(&id, 2),
            KeyUsage::MacGeneration,
            WorkingKeyType::Aes128,
        )
        .map_err(|_| "mac key")?;
    let m = mac::aes_cmac(&mk.typed().map_err(|_| "key")?, DATA).map_err(|_| "cmac")?;
    check(
        m == unhex::<16>("4D104704C53491A60944193DCAF6B411"),
        "AES-CMAC differs",
    )?;
    let mut bad = m;
    bad[15] ^= 1;
    check(
        mac::verify_aes_cmac(&mk.typed().map_err(|_| "key")?, DATA, &bad)
            == Err(OpsError::MacMismatch),
        "wrong CMAC verified",
    )?;
    let hk = bdk
        .working_key(
            &AesKsn::new(&id, 1),
            KeyUsage::MacGeneration,
            WorkingKeyType::Hmac128,
        )
        .map_err(|_| "hmac key")?;
    let h = mac::hmac_sha256(&hk.typed().map_err(|_| "key")?, DATA).map_err(|_| "hmac")?;
    check(
        h == unhex::<32>("B6F8B3159CD4E140159DA87A68C0FB7AF2F123D222662E98988C76386E8E8A02"),
        "HMAC differs",
    )
}
