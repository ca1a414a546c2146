//! Differential: the terminal side and the host side agree on every working key, for
//! 100,000 consecutive transactions per BDK type (TDES, AES-128/192/256) across the
//! counter jumps, and on every transaction near the end of life. The terminal's
//! counters are also checked against the "next counter with few enough one-bits" rule,
//! computed here independently, and the terminal is restarted from its persisted
//! state now and then (as after a power cut).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::integer_division_remainder_used
)]
use keyfort::dukpt::aes::{AesBdk, AesInitialKey, AesTerminal, BdkType, KeyUsage, WorkingKeyType};
use keyfort::dukpt::tdes::{TdesBdk, TdesIpek, TdesKsn, TdesTerminal, TdesVariant};
use keyfort::dukpt::{DukptError, PersistError, StatePersist};

/// Keeps the last persisted state, like a store would.
#[derive(Default)]
struct Keep(Vec<u8>);
impl StatePersist for Keep {
    fn persist(&mut self, state: &[u8]) -> Result<(), PersistError> {
        self.0.clear();
        self.0.extend_from_slice(state);
        Ok(())
    }
}

/// The smallest counter after `c` with at most `max` one-bits (independent of the
/// library: plain search with the lowest-set-bit step, which never skips a valid one).
fn next_valid(c: u64, max: u32) -> u64 {
    let mut n = c + 1;
    while n.count_ones() > max {
        n += n & n.wrapping_neg();
    }
    n
}

/// Checks each counter a terminal issues against [`next_valid`] and counts the jumps
/// (counters that are not the previous one plus one).
struct Counters {
    bits: u32,
    max_ones: u32,
    prev: Option<u64>,
    jumps: usize,
}

impl Counters {
    fn new(bits: u32, max_ones: u32) -> Self {
        Self {
            bits,
            max_ones,
            prev: None,
            jumps: 0,
        }
    }

    /// The terminal reported end of life: only right if no valid counter is left.
    fn exhausted(&self) {
        let last = self.prev.expect("exhausted before any transaction");
        assert!(
            next_valid(last, self.max_ones) >= 1 << self.bits,
            "exhausted early after {last:X}"
        );
    }

    /// The terminal issued counter `c`.
    fn issued(&mut self, c: u64) {
        if let Some(p) = self.prev {
            assert_eq!(
                c,
                next_valid(p, self.max_ones),
                "terminal counter after {p:X}"
            );
            if c != p + 1 {
                self.jumps += 1;
            }
        }
        self.prev = Some(c);
    }
}

const TDES_BDK: &str = "0123456789ABCDEFFEDCBA9876543210";
const TDES_KSN: &str = "FFFF9876543210E00000";
const VARIANTS: [TdesVariant; 5] = [
    TdesVariant::Pin,
    TdesVariant::MacRequest,
    TdesVariant::MacResponse,
    TdesVariant::DataRequest,
    TdesVariant::DataResponse,
];

/// Runs `n` transactions (or until end of life), comparing every variant key with the
/// host; returns the number of transactions and of counter jumps.
fn run_tdes(t: &mut TdesTerminal, ipek: &TdesIpek, bdk: &TdesBdk, n: usize) -> (usize, usize) {
    let mut keep = Keep::default();
    let mut counters = Counters::new(21, 10);
    let mut done = 0;
    for i in 0..n {
        let tx = match t.next_transaction(&mut keep) {
            Ok(tx) => tx,
            Err(DukptError::Exhausted) => {
                counters.exhausted();
                break;
            }
            Err(e) => panic!("transaction {i}: {e}"),
        };
        let c = u64::from(tx.ksn().counter());
        counters.issued(c);
        let host = bdk.current_key(tx.ksn()).unwrap();
        let host_ipek = ipek.current_key(tx.ksn().counter()).unwrap();
        assert_eq!(host.expose(), host_ipek.expose());
        for v in VARIANTS {
            assert_eq!(
                tx.key(v).expose(),
                host.variant(v).expose(),
                "counter {c:X} {v:?}"
            );
        }
        done += 1;
        if i % 9973 == 9972 {
            // Power cut: resume from the persisted state.
            *t = TdesTerminal::from_state(&keep.0).unwrap();
        }
    }
    (done, counters.jumps)
}

#[test]
fn tdes_terminal_and_host_agree() {
    let bdk = TdesBdk::new(
        &keyfort::key::TypedKey::raw(
            &hex::decode(TDES_BDK).unwrap(),
            keyfort::attributes::Algorithm::Tdes2,
        )
        .unwrap(),
    )
    .unwrap();
    let ksn = TdesKsn::from_bytes(&hex::decode(TDES_KSN).unwrap()).unwrap();
    let ipek = bdk.ipek(&ksn);
    let mut t = TdesTerminal::load(&ipek, &mut Keep::default()).unwrap();
    let (n, jumps) = run_tdes(&mut t, &ipek, &bdk, 100_000);
    assert_eq!(n, 100_000);
    assert!(jumps > 1000, "only {jumps} counter jumps");
    println!("TDES: {n} transactions from load, {jumps} counter jumps, all keys agree");
    // End of life: the last valid counters, until exhausted.
    let mut t = TdesTerminal::load_at_counter(&ipek, 0x1F_C000, &mut Keep::default()).unwrap();
    let (n, jumps) = run_tdes(&mut t, &ipek, &bdk, usize::MAX);
    assert!(t.is_exhausted());
    assert_eq!(
        t.next_transaction(&mut Keep::default()).err(),
        Some(DukptError::Exhausted)
    );
    println!("TDES: {n} transactions to end of life from 1FC000, {jumps} jumps");
}

/// Every (usage, type) pair the BDK allows.
fn pairs(kind: BdkType) -> Vec<(KeyUsage, WorkingKeyType)> {
    let mut v = Vec::new();
    for u in KeyUsage::ALL {
        for t in WorkingKeyType::ALL {
            if t.allowed_under(kind) {
                v.push((u, t));
            }
        }
    }
    v
}

fn run_aes(t: &mut AesTerminal, ik: &AesInitialKey, n: usize) -> (usize, usize) {
    let pairs = pairs(ik.kind());
    let mut keep = Keep::default();
    let mut counters = Counters::new(32, 16);
    let mut done = 0;
    for i in 0..n {
        let tx = match t.next_transaction(&mut keep) {
            Ok(tx) => tx,
            Err(DukptError::Exhausted) => {
                counters.exhausted();
                break;
            }
            Err(e) => panic!("transaction {i}: {e}"),
        };
        let c = u64::from(tx.ksn().counter());
        counters.issued(c);
        let host = ik.derivation_key(tx.ksn().counter()).unwrap();
        for &(u, kt) in &pairs {
            let a = tx.working_key(u, kt).unwrap();
            let b = host.working_key(u, kt).unwrap();
            assert_eq!(a.expose(), b.expose(), "counter {c:X} {u:?} {kt:?}");
        }
        done += 1;
        if i % 9973 == 9972 {
            *t = AesTerminal::from_state(&keep.0).unwrap();
        }
    }
    (done, counters.jumps)
}

fn aes_case(bdk_hex: &str) {
    let bdk =
        AesBdk::new(&keyfort::key::TypedKey::raw_aes(&hex::decode(bdk_hex).unwrap()).unwrap())
            .unwrap();
    let ik = bdk
        .initial_key(&hex::decode("1234567890123456").unwrap())
        .unwrap();
    let kind = bdk.kind();
    // From load: the standard's first transactions.
    let mut t = AesTerminal::load(&ik, &mut Keep::default()).unwrap();
    let (n, _) = run_aes(&mut t, &ik, 100_000);
    assert_eq!(n, 100_000);
    println!("{kind:?}: {n} consecutive transactions from load, all keys agree");
    // 100,000 consecutive transactions in a region where the 16-one-bit rule makes the
    // counter jump often.
    let mut t = AesTerminal::load_at_counter(&ik, 0xFF00_0000, &mut Keep::default()).unwrap();
    let (n, jumps) = run_aes(&mut t, &ik, 100_000);
    assert_eq!(n, 100_000);
    assert!(jumps > 10_000, "only {jumps} jumps");
    println!("{kind:?}: {n} consecutive transactions from FF000000, {jumps} counter jumps, all keys agree");
    // End of life: every remaining counter from FFF00000 until exhausted.
    let mut t = AesTerminal::load_at_counter(&ik, 0xFFF0_0000, &mut Keep::default()).unwrap();
    let (n, jumps) = run_aes(&mut t, &ik, usize::MAX);
    assert!(t.is_exhausted());
    assert_eq!(
        t.next_transaction(&mut Keep::default()).err(),
        Some(DukptError::Exhausted)
    );
    println!("{kind:?}: {n} transactions to end of life from FFF00000, {jumps} jumps");
}

#[test]
fn aes128_terminal_and_host_agree() {
    aes_case("FEDCBA9876543210F1F1F1F1F1F1F1F1");
}

#[test]
fn aes192_terminal_and_host_agree() {
    aes_case("FEDCBA9876543210F1F1F1F1F1F1F1F1FEDCBA9876543210");
}

#[test]
fn aes256_terminal_and_host_agree() {
    aes_case("FEDCBA9876543210F1F1F1F1F1F1F1F1FEDCBA9876543210F1F1F1F1F1F1F1F1");
}
