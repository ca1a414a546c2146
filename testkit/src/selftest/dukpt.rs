//! On-target self-tests of `dukpt` (see [`super`]): published vectors of both
//! schemes, and terminal-vs-host agreement over a few dozen transactions (kept small:
//! a Cortex-M0 under QEMU is slow). Sources: ANSI X9.24-3-2017 supplement test vectors
//! (AES-128 BDK) and ANSI X9.24-1-2009 Annex A.4, as collected in
//! `../shared/vectors/dukpt/` (ids aes-0001, aes-0018, aes-0209, tdes-0001, tdes-0257).
use super::{check, Test};
use crate::hex::unhex;
use keyfort::dukpt::aes::{AesBdk, AesKsn, AesTerminal, KeyUsage, WorkingKeyType};
use keyfort::dukpt::tdes::{TdesBdk, TdesKsn, TdesTerminal, TdesVariant};
use keyfort::dukpt::NoPersist;
use keyfort::secret::SecretBuf;

/// The tests of this module.
pub const TESTS: &[Test] = &[
    Test {
        name: "dukpt::aes_x9_24_3_vectors",
        run: aes_vectors,
    },
    Test {
        name: "dukpt::tdes_x9_24_1_vectors",
        run: tdes_vectors,
    },
    Test {
        name: "dukpt::aes_terminal_matches_host",
        run: aes_terminal_matches_host,
    },
    Test {
        name: "dukpt::tdes_terminal_matches_host",
        run: tdes_terminal_matches_host,
    },
];

const AES_BDK: &str = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
const AES_IKID: &str = "1234567890123456";
const TDES_BDK: &str = "0123456789ABCDEFFEDCBA9876543210";
const TDES_KSN: &str = "FFFF9876543210E00000";

fn aes_vectors() -> Result<(), &'static str> {
    let bdk = keyfort::key::TypedKey::raw_aes(&unhex::<16>(AES_BDK))
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
        .map_err(|_| "bdk")?;
    let ik = bdk
        .initial_key(&unhex::<8>(AES_IKID))
        .map_err(|_| "initial key")?;
    check(
        ik.expose() == unhex::<16>("1273671EA26AC29AFA4D1084127652A1"),
        "initial key differs",
    )?;
    let ksn = AesKsn::new(&unhex::<8>(AES_IKID), 1);
    let wk = bdk
        .working_key(&ksn, KeyUsage::PinEncryption, WorkingKeyType::Aes128)
        .map_err(|_| "working key")?;
    check(
        wk.expose() == unhex::<16>("AF8CB133A78F8DC2D1359F18527593FB"),
        "PIN working key differs",
    )?;
    // aes-0209: register 31 right after load.
    let t = AesTerminal::load(&ik, &mut NoPersist).map_err(|_| "load")?;
    check(
        t.register(31).as_ref().map(SecretBuf::expose)
            == Some(&unhex::<16>("9DC56486499A2E857FDEFC4740641EA8")[..]),
        "register 31 differs",
    )
}

/// The X9.24-1 example BDK ([`TDES_BDK`]), admitted as a 2-key TDES BDK.
fn tdes_bdk() -> Result<TdesBdk, &'static str> {
    keyfort::key::TypedKey::raw(
        &unhex::<16>(TDES_BDK),
        keyfort::attributes::Algorithm::Tdes2,
    )
    .map_err(keyfort::dukpt::DukptError::from)
    .and_then(|k| TdesBdk::new(&k))
    .map_err(|_| "bdk")
}

fn tdes_vectors() -> Result<(), &'static str> {
    let bdk = tdes_bdk()?;
    let ksn = TdesKsn::from_bytes(&unhex::<10>(TDES_KSN)).map_err(|_| "ksn")?;
    check(
        bdk.ipek(&ksn).expose() == &unhex::<16>("6AC292FAA1315B4D858AB3A3D7D5933A"),
        "IPEK differs",
    )?;
    let k = bdk
        .key(&ksn.with_counter(1), TdesVariant::Pin)
        .map_err(|_| "pin key")?;
    check(
        k.expose() == &unhex::<16>("042666B49184CF5C68DE9628D0397B36"),
        "PIN key differs",
    )
}

fn aes_terminal_matches_host() -> Result<(), &'static str> {
    let bdk = keyfort::key::TypedKey::raw_aes(&unhex::<16>(AES_BDK))
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
        .map_err(|_| "bdk")?;
    let ik = bdk
        .initial_key(&unhex::<8>(AES_IKID))
        .map_err(|_| "initial key")?;
    let mut t = AesTerminal::load(&ik, &mut NoPersist).map_err(|_| "load")?;
    for n in 1..=24u32 {
        let tx = t
            .next_transaction(&mut NoPersist)
            .map_err(|_| "transaction")?;
        check(tx.ksn().counter() == n, "counter sequence")?;
        let a = tx
            .working_key(KeyUsage::MacGeneration, WorkingKeyType::Aes128)
            .map_err(|_| "terminal key")?;
        let b = ik
            .working_key(n, KeyUsage::MacGeneration, WorkingKeyType::Aes128)
            .map_err(|_| "host key")?;
        check(a.expose() == b.expose(), "terminal and host keys differ")?;
    }
    // The persisted encoding restores to the same terminal.
    let r = t
        .with_state(AesTerminal::from_state)
        .map_err(|_| "state decode")?;
    check(r.next_counter() == Some(25), "restored counter")
}

fn tdes_terminal_matches_host() -> Result<(), &'static str> {
    let bdk = tdes_bdk()?;
    let ksn = TdesKsn::from_bytes(&unhex::<10>(TDES_KSN)).map_err(|_| "ksn")?;
    let ipek = bdk.ipek(&ksn);
    // Start just below a counter jump (0x3FF has 10 one-bits: 0x400 follows 0x3FF).
    let mut t = TdesTerminal::load_at_counter(&ipek, 0x3F0, &mut NoPersist).map_err(|_| "load")?;
    let mut last = 0;
    for _ in 0..24 {
        let tx = t
            .next_transaction(&mut NoPersist)
            .map_err(|_| "transaction")?;
        let c = tx.ksn().counter();
        check(c > last && c.count_ones() <= 10, "counter rule")?;
        last = c;
        let host = ipek.current_key(c).map_err(|_| "host key")?;
        check(
            tx.key(TdesVariant::DataRequest).expose()
                == host.variant(TdesVariant::DataRequest).expose(),
            "terminal and host keys differ",
        )?;
    }
    check(last > 0x400, "did not cross the jump")?;
    let r = t
        .with_state(TdesTerminal::from_state)
        .map_err(|_| "state decode")?;
    check(r.next_counter() == t.next_counter(), "restored counter")
}
