//! Terminal state persistence and strict input checking: no counter is ever released
//! twice across persist failures and power cuts; corrupted states are refused with the
//! right error; bad inputs get typed errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::integer_division_remainder_used
)]
use keyfort::dukpt::aes::{AesBdk, AesKsn, AesTerminal, KeyUsage, WorkingKeyType, AES_STATE_LEN};
use keyfort::dukpt::tdes::{TdesBdk, TdesIpek, TdesKsn, TdesTerminal, TdesVariant, TDES_STATE_LEN};
use keyfort::dukpt::{DukptError, NoPersist, PersistError, StatePersist};

/// A store that keeps the last durable state and fails on request.
#[derive(Default)]
struct Flaky {
    durable: Vec<u8>,
    fail_next: bool,
}
impl StatePersist for Flaky {
    fn persist(&mut self, state: &[u8]) -> Result<(), PersistError> {
        if std::mem::take(&mut self.fail_next) {
            return Err(PersistError::Io);
        }
        self.durable = state.to_vec();
        Ok(())
    }
}

fn aes_bdk() -> AesBdk {
    AesBdk::new(
        &keyfort::key::TypedKey::raw_aes(&hex::decode("FEDCBA9876543210F1F1F1F1F1F1F1F1").unwrap())
            .unwrap(),
    )
    .unwrap()
}

/// The X9.24-1 example TDES BDK.
fn tdes_bdk() -> TdesBdk {
    TdesBdk::new(
        &keyfort::key::TypedKey::raw(
            &hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap(),
            keyfort::attributes::Algorithm::Tdes2,
        )
        .unwrap(),
    )
    .unwrap()
}

/// The IPEK of the X9.24-1 example KSN under [`tdes_bdk`].
fn tdes_ipek() -> TdesIpek {
    tdes_bdk().ipek(&TdesKsn::from_bytes(&hex::decode("FFFF9876543210E00000").unwrap()).unwrap())
}

#[test]
fn no_counter_released_twice_across_failures_and_power_cuts() {
    let bdk = aes_bdk();
    let ik = bdk
        .initial_key(&hex::decode("1234567890123456").unwrap())
        .unwrap();
    let mut store = Flaky::default();
    let mut t = AesTerminal::load(&ik, &mut store).unwrap();
    let mut released: Vec<u32> = Vec::new();
    // A fixed pseudo-random schedule of events.
    let mut x = 0x2545F491u32;
    for _ in 0..3000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        match x % 10 {
            0 => {
                store.fail_next = true;
                assert_eq!(
                    t.next_transaction(&mut store).err(),
                    Some(DukptError::PersistFailed)
                );
            }
            1 => {
                // Power cut: RAM lost, restart from the durable state.
                t = AesTerminal::from_state(&store.durable).unwrap();
            }
            _ => {
                let tx = t.next_transaction(&mut store).unwrap();
                let c = tx.ksn().counter();
                // The host derives the same key.
                let k = tx
                    .working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)
                    .unwrap();
                let h = bdk
                    .working_key(tx.ksn(), KeyUsage::PinEncryption, WorkingKeyType::Aes128)
                    .unwrap();
                assert_eq!(k.expose(), h.expose());
                if let Some(&last) = released.last() {
                    assert!(c > last, "counter {c} released after {last}");
                }
                released.push(c);
            }
        }
    }
    assert!(released.len() > 2000);
}

#[test]
fn persist_failure_releases_nothing_and_burns_the_counter() {
    let ipek = tdes_ipek();
    let mut store = Flaky::default();
    let mut t = TdesTerminal::load(&ipek, &mut store).unwrap();
    let before = store.durable.clone();
    assert_eq!(t.next_counter(), Some(1));
    store.fail_next = true;
    assert_eq!(
        t.next_transaction(&mut store).err(),
        Some(DukptError::PersistFailed)
    );
    assert_eq!(
        store.durable, before,
        "a failed persist left the durable state alone"
    );
    // Counter 1 is burnt in RAM: the next transaction uses 2.
    let tx = t.next_transaction(&mut store).unwrap();
    assert_eq!(tx.ksn().counter(), 2);
    assert_eq!(
        tx.key(TdesVariant::Pin).expose(),
        tdes_bdk().key(tx.ksn(), TdesVariant::Pin).unwrap().expose()
    );
}

#[test]
fn corrupted_states_are_refused() {
    let ik = aes_bdk()
        .initial_key(&hex::decode("1234567890123456").unwrap())
        .unwrap();
    let mut t = AesTerminal::load(&ik, &mut NoPersist).unwrap();
    for _ in 0..5 {
        t.next_transaction(&mut NoPersist).unwrap();
    }
    let good = t.with_state(<[u8]>::to_vec);
    assert_eq!(good.len(), AES_STATE_LEN);
    assert!(AesTerminal::from_state(&good).is_ok());
    assert_eq!(
        AesTerminal::from_state(&good[1..]).err(),
        Some(DukptError::StateLength)
    );
    let flip = |i: usize, m: u8| {
        let mut s = good.clone();
        s[i] ^= m;
        AesTerminal::from_state(&s).err()
    };
    assert_eq!(flip(0, 1), Some(DukptError::StateVersion), "magic");
    assert_eq!(flip(2, 2), Some(DukptError::StateVersion), "version");
    assert_eq!(flip(3, 0x80), Some(DukptError::StateVersion), "scheme");
    assert_eq!(flip(5, 1), Some(DukptError::StateInconsistent), "reserved");
    assert_eq!(
        flip(23, 0x10),
        Some(DukptError::StateInconsistent),
        "register flags"
    );
    assert_eq!(
        flip(19, 0x01),
        Some(DukptError::StateInconsistent),
        "counter vs flags"
    );
    // Next counter 6 = 0b110: register 0 is erased; a stray byte in it is refused.
    assert_eq!(
        flip(24, 0x01),
        Some(DukptError::StateInconsistent),
        "erased register"
    );
    // Register 1 (in use, AES-128): bytes after the 16-byte key must be zero.
    assert_eq!(
        flip(24 + 32 + 20, 0x01),
        Some(DukptError::StateInconsistent),
        "slot tail"
    );
    // A TDES state is not an AES state.
    let ipek = tdes_ipek();
    let mut tt = TdesTerminal::load(&ipek, &mut NoPersist).unwrap();
    let mut ts = tt.with_state(<[u8]>::to_vec);
    assert_eq!(ts.len(), TDES_STATE_LEN);
    assert_eq!(
        AesTerminal::from_state(&ts).err(),
        Some(DukptError::StateLength)
    );
    assert!(TdesTerminal::from_state(&ts).is_ok());
    ts[20] ^= 0x80;
    assert_eq!(
        TdesTerminal::from_state(&ts).err(),
        Some(DukptError::StateInconsistent)
    );
}

#[test]
fn strict_input_checks() {
    assert_eq!(
        keyfort::key::TypedKey::raw_aes(&[0; 15])
            .map_err(keyfort::dukpt::DukptError::from)
            .and_then(|k| AesBdk::new(&k))
            .err(),
        Some(DukptError::BadKeyLength)
    );
    assert_eq!(
        AesKsn::from_bytes(&[0; 11]).err(),
        Some(DukptError::BadKsnLength)
    );
    let bdk = aes_bdk();
    assert_eq!(
        bdk.initial_key(&[0; 7]).err(),
        Some(DukptError::BadInitialKeyIdLength)
    );
    let id = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];
    let w = |c: u32, t: WorkingKeyType| {
        bdk.working_key(&AesKsn::new(&id, c), KeyUsage::PinEncryption, t)
            .err()
    };
    assert_eq!(w(0, WorkingKeyType::Aes128), Some(DukptError::CounterZero));
    assert_eq!(
        w(0x1FFFF, WorkingKeyType::Aes128),
        Some(DukptError::TooManyOneBits)
    );
    assert_eq!(
        w(0xFFFF0000, WorkingKeyType::Aes128),
        None,
        "16 one-bits is allowed"
    );
    assert_eq!(
        w(1, WorkingKeyType::Aes256),
        Some(DukptError::KeyTypeNotAllowed)
    );
    assert_eq!(
        w(1, WorkingKeyType::Aes192),
        Some(DukptError::KeyTypeNotAllowed)
    );
    assert_eq!(
        w(1, WorkingKeyType::Hmac256),
        Some(DukptError::KeyTypeNotAllowed)
    );
    assert_eq!(w(1, WorkingKeyType::Tdes3), None);
    assert_eq!(
        bdk.update_key(&id, WorkingKeyType::Aes256).err(),
        Some(DukptError::KeyTypeNotAllowed)
    );
    let ik = bdk.initial_key(&id).unwrap();
    assert_eq!(
        AesTerminal::load_at_counter(&ik, 0x1FFFF, &mut NoPersist).err(),
        Some(DukptError::TooManyOneBits)
    );
    assert_eq!(
        AesTerminal::load_at_counter(&ik, 0, &mut NoPersist).err(),
        Some(DukptError::CounterZero)
    );

    assert_eq!(
        keyfort::key::TypedKey::raw(&[0; 24], keyfort::attributes::Algorithm::Tdes2)
            .map_err(keyfort::dukpt::DukptError::from)
            .and_then(|k| TdesBdk::new(&k))
            .err(),
        Some(DukptError::BadKeyLength)
    );
    assert_eq!(
        TdesKsn::from_bytes(&[0; 12]).err(),
        Some(DukptError::BadKsnLength)
    );
    let tb = tdes_bdk();
    let ksn = TdesKsn::from_bytes(&hex::decode("FFFF9876543210E00000").unwrap()).unwrap();
    assert_eq!(tb.current_key(&ksn).err(), Some(DukptError::CounterZero));
    assert_eq!(
        tb.current_key(&ksn.with_counter(0x7FF)).err(),
        Some(DukptError::TooManyOneBits)
    );
    assert!(
        tb.current_key(&ksn.with_counter(0x3FF)).is_ok(),
        "10 one-bits is allowed"
    );
}
