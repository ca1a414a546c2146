//! Memory-scan workload: runs keyfort's key handling with known TEST keys, then stops and
//! lets the host read all of the device's RAM and its flash image (`./x test memscan`;
//! host side in `xtask/src/memscan.rs`).
//!
//! The TEST keys come from the host file `memscan-keys.bin` in the device directory (see
//! [`Keys`] for the layout), so they are in no firmware image: anything the host finds in
//! RAM was put there by the workload.
//!
//! Protocol: the firmware prints a marker line and waits until the host file `host-ack`
//! holds the marker's step number (one ASCII digit), so the host can dump RAM while the
//! firmware is parked.
//! 1. `memscan: control live`: a KEK's AES-256 schedule and a TDES key's schedules are
//!    alive (positive control: the host must find their representations, which proves
//!    its needles match what the `aes` crate / keyfort-aes and keyfort's DES keep in RAM).
//! 2. `memscan: live terminal`: an AES DUKPT terminal is alive between two transactions
//!    (loaded, one transaction run, its keys dropped; the BDK and initial key dropped):
//!    the host must find none of its current registers nor any future key (they are held
//!    masked), and must find them in the `keyfort_no_wipe` build (which holds them in clear).
//! 3. `memscan: workload done`: everything was dropped except the key store (whose
//!    sealing keys are held masked); the host must find nothing in RAM or flash. The host
//!    then asserts the tamper line.
//! 4. `memscan: tamper wipe done`: the firmware saw the tamper line, ran the store's
//!    `tamper_wipe()` and wiped the free stack (`board::ram`); it prints what the wipe
//!    cost and what the store still holds (nothing). The host scans again: nothing.
//!
//! Built with `RUSTFLAGS="--cfg keyfort_no_wipe"` (keyfort's test-only switch: secret
//! holders skip their wipe and the DUKPT terminal keeps its registers in clear; the host
//! sets it for the control build), the same workload leaves its keys behind, and steps 2
//! and 3 must find them.
#![no_std]
#![no_main]

use embedded_hal::digital::InputPin;
use embedded_storage::nor_flash::ReadNorFlash;
use keyfort::attributes::{Algorithm, Usage};
use keyfort::block::{Aes, Tdes};
use keyfort::dukpt::aes::{AesBdk, AesKsn, AesTerminal, KeyUsage, WorkingKeyType};
use keyfort::dukpt::tdes::{TdesBdk, TdesKey, TdesKsn, TdesTerminal, TdesVariant};
use keyfort::dukpt::{NoPersist, PersistError, StatePersist};
use keyfort::key::TypedKey;
use keyfort::rng::HmacDrbg;
use keyfort::rng::{Csprng, MinEntropy};
use keyfort::secret::{Secret, SecretBuf};
use keyfort::store::{AuditCode, Error as StoreError, KeyHandle};
use keyfort::transaction::{data, mac, pin};
use keyfort::wrap::{kw_unwrap, kw_wrap, kwp_unwrap, kwp_wrap, Kek};
use keyfort_firmware::board;
use keyfort_firmware::board::{probe::ProbedFlash, Board};

/// DUKPT transactions per scheme.
const TRANSACTIONS: usize = 3;
const PAN: &[u8] = b"4111111111111111";
const PIN: &[u8] = b"1234";

/// The TEST keys, as read from `memscan-keys.bin` (offsets in bytes).
///
/// | offset | len | field |
/// |---|---|---|
/// | 0 | 16 | AES DUKPT BDK (AES-128) |
/// | 16 | 8 | AES DUKPT initial key ID (public) |
/// | 24 | 16 | TDES DUKPT BDK (two-key) |
/// | 40 | 10 | TDES DUKPT initial KSN (public) |
/// | 56 | 32 | KEK (AES-256) for KW / KWP |
/// | 88 | 16 | data key wrapped with KW |
/// | 104 | 20 | data key wrapped with KWP |
/// | 128 | 32 | key imported into the store (AES-256) |
/// | 160 | 48 | HMAC-DRBG entropy input (fixed, so the host knows what it generates) |
/// | 208 | 32 | TR-31 KBPK (AES-256; the key of TR-31:2018 A.7.4, whose block is public) |
struct Keys(SecretBuf<KEYS_LEN>);
const KEYS_LEN: usize = 240;

/// ASC X9 TR-31:2018 A.7.4: a version D block (public: it is the wrapped form).
const TR31_BLOCK: &[u8] = b"D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34";

impl Keys {
    /// Fills the holder in place: a holder returned by value would leave a copy of the
    /// keys in the returning frame (a move is a copy), which no drop wipes.
    fn load(&mut self) -> Result<(), &'static str> {
        let n = board::read_host_file(c"memscan-keys.bin", self.0.backing_mut())
            .map_err(|_| "cannot read memscan-keys.bin")?;
        self.0.set_len(n).ok_or("keys file too long")?;
        if n != KEYS_LEN {
            return Err("keys file has the wrong length");
        }
        Ok(())
    }
    fn get(&self, at: usize, len: usize) -> &[u8] {
        self.0.expose().get(at..at + len).unwrap_or(&[])
    }
    fn aes_bdk(&self) -> &[u8] {
        self.get(0, 16)
    }
    fn aes_ikid(&self) -> &[u8] {
        self.get(16, 8)
    }
    fn tdes_bdk(&self) -> &[u8] {
        self.get(24, 16)
    }
    fn tdes_iksn(&self) -> &[u8] {
        self.get(40, 10)
    }
    fn kek(&self) -> &[u8] {
        self.get(56, 32)
    }
    fn kw_key(&self) -> &[u8] {
        self.get(88, 16)
    }
    fn kwp_key(&self) -> &[u8] {
        self.get(104, 20)
    }
    fn drbg_entropy(&self) -> &[u8] {
        self.get(160, 48)
    }
    fn store_key(&self) -> &[u8] {
        self.get(128, 32)
    }
    fn kbpk(&self) -> &[u8] {
        self.get(208, 32)
    }
}

#[cortex_m_rt::entry]
fn main() -> ! {
    defmt::println!(
        "memscan workload on {=str} ({=str}), wipe on drop: {=bool}",
        board::MACHINE.name,
        board::MACHINE.core,
        cfg!(not(keyfort_no_wipe))
    );
    let r = run();
    match r {
        Ok(()) => {
            defmt::println!("memscan: done");
            board::exit(0)
        }
        Err(what) => {
            defmt::println!("memscan FAILED: {=str}", what);
            board::exit(board::EXIT_FAILED)
        }
    }
}

type Store = keyfort_firmware::ProbedStore;

fn run() -> Result<(), &'static str> {
    let b = Board::take().map_err(|_| "board setup (device directory not provisioned?)")?;
    let mut tamper = b.tamper;
    let mut flash = ProbedFlash::new(b.flash);
    let mut root = [0u8; 32];
    flash.read(0, &mut root).map_err(|_| "flash read")?;
    let rng = Csprng::new(b.entropy, MinEntropy::Bits8, b"keyfort memscan")
        .map_err(|_| "entropy source failed its health tests")?;
    let mut store = if root.iter().all(|&x| x == 0xFF) {
        Store::format((flash, b.device_secret, rng, b.counter))
    } else {
        Store::open((flash, b.device_secret, rng, b.counter))
    }
    .map_err(|_| "key store: format/open failed")?;

    workload(&mut store)?;
    defmt::println!(
        "memscan: store holds {=usize} key versions",
        store.inventory().count()
    );
    defmt::println!("memscan: workload done");
    wait_for_host(3);

    // Tamper response.
    while !tamper.is_high().unwrap_or(true) {
        cortex_m::asm::delay(200_000);
    }
    defmt::println!("memscan: tamper line asserted");
    let mut clock = Clock::start();
    store.flash().reset();
    let wiped = store.tamper_wipe();
    let wipe_ticks = clock.lap();
    let freed = board::ram::wipe_free_stack();
    let ram_ticks = clock.lap();
    wiped.map_err(|_| "tamper_wipe failed")?;
    defmt::println!(
        "tamper: store wiped: {=u32} sectors erased, {=u32} bytes programmed, {=u32} flash operations, {=u32} instructions (SysTick under -icount shift=0)",
        store.flash().erased_sectors(),
        store.flash().programmed_bytes(),
        store.flash().ops(),
        wipe_ticks.saturating_mul(INSTR_PER_TICK)
    );
    defmt::println!(
        "tamper: RAM: {=usize} bytes of free stack overwritten, {=u32} instructions",
        freed,
        ram_ticks.saturating_mul(INSTR_PER_TICK)
    );
    report_store(&mut store);
    defmt::println!("memscan: tamper wipe done");
    wait_for_host(4);
    Ok(())
}

/// Prints what the store holds: key versions, whether key 1 can still be used, the last
/// audit event. The host checks this line.
fn report_store(store: &mut Store) {
    let keys = store.inventory().count();
    let key1 = match store.with_key(KeyHandle::newest(1), Usage::DECRYPT, |_| ()) {
        Ok(()) => "usable",
        Err(StoreError::NotFound) => "NotFound",
        Err(_) => "other error",
    };
    let last = store.audit().last().map(|e| e.code);
    defmt::println!(
        "store state: {=usize} key versions, key 1: {=str}, last audit event: {=str}",
        keys,
        key1,
        match last {
            Some(AuditCode::TamperWipe) => "TamperWipe",
            Some(_) => "other",
            None => "none",
        }
    );
}

/// Instructions per SysTick tick under `-icount shift=0` (1 ns per instruction) on a
/// 25 MHz MPS2 SysTick.
const INSTR_PER_TICK: u32 = 40;

/// SysTick as a free-running 24-bit down-counter.
struct Clock {
    last: u32,
}

impl Clock {
    fn start() -> Self {
        if let Some(mut p) = cortex_m::Peripherals::take() {
            p.SYST
                .set_clock_source(cortex_m::peripheral::syst::SystClkSource::Core);
            p.SYST.set_reload(0x00FF_FFFF);
            p.SYST.clear_current();
            p.SYST.enable_counter();
        }
        Clock {
            last: cortex_m::peripheral::SYST::get_current(),
        }
    }
    /// Ticks since the last lap (modulo 2^24).
    fn lap(&mut self) -> u32 {
        let now = cortex_m::peripheral::SYST::get_current();
        let d = self.last.wrapping_sub(now) & 0x00FF_FFFF;
        self.last = now;
        d
    }
}

/// The whole workload. The keys holder is dropped in place at the end of this scope:
/// `drop(keys)` would *move* it into `drop`'s argument first, which may leave the bytes
/// in this frame (seen on target by the scan).
#[inline(never)]
fn workload(store: &mut Store) -> Result<(), &'static str> {
    let mut keys = Keys(SecretBuf::new());
    keys.load()?;
    control(&keys)?;
    live_terminal(&keys)?;
    store_use(&keys, store)?;
    dukpt_aes(&keys)?;
    dukpt_tdes(&keys, store)?;
    wrap(&keys)?;
    drbg(&keys)?;
    tr31(&keys)?;
    Ok(())
}

/// Waits until the host file `host-ack` holds `step` (the host has read the memory).
fn wait_for_host(step: u8) {
    loop {
        let mut b = [0u8; 1];
        if board::read_host_file(c"host-ack", &mut b) == Ok(1) && b[0] == b'0' + step {
            return;
        }
        cortex_m::asm::delay(200_000);
    }
}

/// Positive control: key schedules alive while the host reads RAM.
#[inline(never)]
fn control(keys: &Keys) -> Result<(), &'static str> {
    let a = Aes::new(keys.kek()).map_err(|_| "control: AES")?;
    let t = Tdes::new(keys.tdes_bdk()).map_err(|_| "control: TDES")?;
    let mut b = [0u8; 16];
    a.encrypt(&mut b);
    let mut c = [0u8; 8];
    t.encrypt(&mut c);
    defmt::println!("memscan: control live");
    wait_for_host(1);
    drop((a, t));
    Ok(())
}

/// A live AES DUKPT terminal between two transactions, while the host reads RAM.
#[inline(never)]
fn live_terminal(keys: &Keys) -> Result<(), &'static str> {
    let e = |_| "live terminal";
    let mut slot = None;
    load_live(keys, &mut slot)?;
    let term = slot.as_mut().ok_or("live terminal")?;
    {
        let tx = term.next_transaction(&mut NoPersist).map_err(e)?;
        let k = tx
            .working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)
            .map_err(e)?;
        pin::format4_encrypt_with_fill(&k.typed().map_err(|_| "key")?, PIN, PAN, &[0x5A; 8])
            .map_err(|_| "PIN")?;
    }
    defmt::println!(
        "memscan: live terminal, next counter {=u32}",
        term.next_counter().unwrap_or(0)
    );
    wait_for_host(2);
    // Dropped (wiped) in place with `slot`.
    Ok(())
}

/// Loads the live terminal into `out`; the BDK and initial key are dropped (wiped) here.
#[inline(never)]
fn load_live(keys: &Keys, out: &mut Option<AesTerminal>) -> Result<(), &'static str> {
    let e = |_| "live terminal load";
    let bdk = keyfort::key::TypedKey::raw_aes(keys.aes_bdk())
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
        .map_err(e)?;
    let ik = bdk.initial_key(keys.aes_ikid()).map_err(e)?;
    *out = Some(AesTerminal::load(&ik, &mut NoPersist).map_err(e)?);
    Ok(())
}

/// AES DUKPT: inject, run transactions (PIN block, MAC, data), verify each on the host
/// side from the BDK.
#[inline(never)]
fn dukpt_aes(keys: &Keys) -> Result<(), &'static str> {
    let e = |_| "AES DUKPT";
    let bdk = keyfort::key::TypedKey::raw_aes(keys.aes_bdk())
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
        .map_err(e)?;
    let ik = bdk.initial_key(keys.aes_ikid()).map_err(e)?;
    let mut term = AesTerminal::load(&ik, &mut NoPersist).map_err(e)?;
    drop(ik);
    for _ in 0..TRANSACTIONS {
        let tx = term.next_transaction(&mut NoPersist).map_err(e)?;
        let k = tx
            .working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)
            .map_err(e)?;
        let block =
            pin::format4_encrypt_with_fill(&k.typed().map_err(|_| "key")?, PIN, PAN, &[0x5A; 8])
                .map_err(|_| "PIN")?;
        drop(k);
        let k = tx
            .working_key(KeyUsage::MacGeneration, WorkingKeyType::Aes128)
            .map_err(e)?;
        let tag =
            mac::aes_cmac(&k.typed().map_err(|_| "key")?, b"amount=12.34").map_err(|_| "MAC")?;
        drop(k);
        let k = tx
            .working_key(KeyUsage::DataEncrypt, WorkingKeyType::Aes128)
            .map_err(e)?;
        let mut msg = *b"track2 data, 32 bytes of it.....";
        data::aes_cbc_encrypt(&k.typed().map_err(|_| "key")?, &[0; 16], &mut msg)
            .map_err(|_| "data")?;
        drop(k);
        let ksn: AesKsn = *tx.ksn();
        drop(tx);
        // Host side.
        let dk = bdk.derivation_key(&ksn).map_err(e)?;
        let k = dk
            .working_key(KeyUsage::MacGeneration, WorkingKeyType::Aes128)
            .map_err(e)?;
        mac::verify_aes_cmac(&k.typed().map_err(|_| "key")?, b"amount=12.34", &tag)
            .map_err(|_| "MAC verify")?;
        drop(k);
        let k = dk
            .working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)
            .map_err(e)?;
        let p = pin::format4_decrypt(&k.typed().map_err(|_| "key")?, &block, PAN)
            .map_err(|_| "PIN decrypt")?;
        if p.expose() != PIN {
            return Err("PIN round trip");
        }
        drop((p, k));
        let k = dk
            .working_key(KeyUsage::DataEncrypt, WorkingKeyType::Aes128)
            .map_err(e)?;
        data::aes_cbc_decrypt(&k.typed().map_err(|_| "key")?, &[0; 16], &mut msg)
            .map_err(|_| "data")?;
        if &msg != b"track2 data, 32 bytes of it....." {
            return Err("data round trip");
        }
    }
    defmt::println!("memscan: AES DUKPT, {=usize} transactions", TRANSACTIONS);
    Ok(())
}

/// A TDES DUKPT variant key admitted for the role `R` under the policy its variant fixed.
fn tdes<R: keyfort::key::Role>(k: &TdesKey) -> Result<TypedKey<'_, R>, &'static str> {
    k.typed().map_err(|_| "TDES key")
}

/// TDES DUKPT: the same with the 2009 variants; the terminal state (its future keys) is
/// persisted sealed in the key store before each transaction's keys are released.
#[inline(never)]
fn dukpt_tdes(keys: &Keys, store: &mut Store) -> Result<(), &'static str> {
    let mut persist = StorePersist(store);
    let e = |_| "TDES DUKPT";
    let bdk = keyfort::key::TypedKey::raw(keys.tdes_bdk(), keyfort::attributes::Algorithm::Tdes2)
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| TdesBdk::new(&k))
        .map_err(e)?;
    let iksn = TdesKsn::from_bytes(keys.tdes_iksn()).map_err(e)?;
    let ipek = bdk.ipek(&iksn);
    let mut term = TdesTerminal::load(&ipek, &mut persist).map_err(e)?;
    drop(ipek);
    for _ in 0..TRANSACTIONS {
        let tx = term.next_transaction(&mut persist).map_err(e)?;
        let k = tx.key(TdesVariant::Pin);
        let block = pin::format0_encrypt(&tdes(&k)?, PIN, PAN).map_err(|_| "PIN")?;
        drop(k);
        let k = tx.key(TdesVariant::MacRequest);
        let tag = mac::retail_mac(&tdes(&k)?, b"amount=12.34").map_err(|_| "MAC")?;
        drop(k);
        let k = tx.key(TdesVariant::DataRequest);
        let mut msg = *b"track2 data, 24 bytes...";
        data::tdes_cbc_encrypt(&tdes(&k)?, &[0; 8], &mut msg).map_err(|_| "data")?;
        drop(k);
        let ksn = TdesKsn::from_array(*tx.ksn().as_bytes());
        drop(tx);
        // Host side.
        let k = bdk.key(&ksn, TdesVariant::MacRequest).map_err(e)?;
        mac::verify_retail_mac(&tdes(&k)?, b"amount=12.34", &tag).map_err(|_| "MAC verify")?;
        drop(k);
        let k = bdk.key(&ksn, TdesVariant::Pin).map_err(e)?;
        let p = pin::format0_decrypt(&tdes(&k)?, &block, PAN).map_err(|_| "PIN decrypt")?;
        if p.expose() != PIN {
            return Err("PIN round trip");
        }
        drop((p, k));
        let k = bdk.key(&ksn, TdesVariant::DataRequest).map_err(e)?;
        data::tdes_cbc_decrypt(&tdes(&k)?, &[0; 8], &mut msg).map_err(|_| "data")?;
        if &msg != b"track2 data, 24 bytes..." {
            return Err("data round trip");
        }
    }
    defmt::println!("memscan: TDES DUKPT, {=usize} transactions", TRANSACTIONS);
    Ok(())
}

/// KW and KWP: wrap two data keys under the KEK and unwrap them into wiped buffers.
#[inline(never)]
fn wrap(keys: &Keys) -> Result<(), &'static str> {
    let kek = keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(keys.kek())
        .map_err(keyfort::wrap::WrapError::from)
        .and_then(|k| Kek::new(&k))
        .map_err(|_| "KEK")?;
    let mut wrapped = [0u8; 40];
    let n = kw_wrap(&kek, keys.kw_key(), &mut wrapped).map_err(|_| "KW wrap")?;
    let mut back = SecretBuf::<32>::new();
    back.set_len(16).ok_or("len")?;
    let m = kw_unwrap(&kek, &wrapped[..n], back.expose_mut()).map_err(|_| "KW unwrap")?;
    if m != 16 || back.expose() != keys.kw_key() {
        return Err("KW round trip");
    }
    let n = kwp_wrap(&kek, keys.kwp_key(), &mut wrapped).map_err(|_| "KWP wrap")?;
    let mut back = SecretBuf::<32>::new();
    back.set_len(32).ok_or("len")?;
    let m = kwp_unwrap(&kek, &wrapped[..n], back.backing_mut()).map_err(|_| "KWP unwrap")?;
    back.set_len(m).ok_or("len")?;
    if back.expose() != keys.kwp_key() {
        return Err("KWP round trip");
    }
    defmt::println!("memscan: KW and KWP wrap/unwrap done");
    Ok(())
}

/// HMAC-DRBG: instantiate from the fixed TEST entropy, generate an AES-256 key, use it.
/// (The host runs the same DRBG and looks for the key and the state's traces.)
#[inline(never)]
fn drbg(keys: &Keys) -> Result<(), &'static str> {
    let mut d = HmacDrbg::instantiate(keys.drbg_entropy(), &[], b"memscan")
        .map_err(|_| "DRBG instantiate")?;
    let mut key = Secret::<32>::zero();
    d.generate(key.expose_mut(), &[])
        .map_err(|_| "DRBG generate")?;
    let a = Aes::new(key.expose()).map_err(|_| "AES")?;
    let mut b = [0u8; 16];
    a.encrypt(&mut b);
    defmt::println!("memscan: HMAC-DRBG generated and used an AES-256 key");
    Ok(())
}

/// TR-31: import a version D key block (KBEK/KBAK derived, block decrypted and MACed) and
/// use the key.
#[inline(never)]
fn tr31(keys: &Keys) -> Result<(), &'static str> {
    let kbpk = TypedKey::raw(keys.kbpk(), Algorithm::Aes256).map_err(|_| "TR-31 KBPK")?;
    let imported = keyfort::tr31::import(&kbpk, TR31_BLOCK).map_err(|_| "TR-31 import")?;
    let a = Aes::new(imported.key.expose()).map_err(|_| "AES")?;
    let mut b = [0u8; 16];
    a.encrypt(&mut b);
    defmt::println!("memscan: TR-31 key block imported and its key used");
    Ok(())
}

/// The key store's state records as a DUKPT terminal's persistence (state slot 1).
struct StorePersist<'a>(&'a mut Store);

impl StatePersist for StorePersist<'_> {
    fn persist(&mut self, state: &[u8]) -> Result<(), PersistError> {
        self.0.put_state(1, state).map_err(|_| PersistError::Io)
    }
}

/// Key store: import the TEST key, use it, rotate, use the new version and the old one.
#[inline(never)]
fn store_use(keys: &Keys, store: &mut Store) -> Result<(), &'static str> {
    let e = |_| "key store";
    store
        .import(
            1,
            b"memscan",
            Algorithm::Aes256,
            Usage::ENCRYPT | Usage::DECRYPT,
            keys.store_key(),
            None,
        )
        .map_err(e)?;
    let mut block = [0u8; 16];
    let enc = |k: &[u8], b: &mut [u8; 16]| -> bool { Aes::new(k).map(|a| a.encrypt(b)).is_ok() };
    let ok = store
        .with_key(KeyHandle::newest(1), Usage::ENCRYPT, |k| enc(k, &mut block))
        .map_err(e)?;
    let rotated = store.rotate(1).map_err(e)?;
    let ok2 = store
        .with_key(KeyHandle::newest(1), Usage::ENCRYPT, |k| enc(k, &mut block))
        .map_err(e)?;
    let ok3 = store
        .with_key(KeyHandle::version(1, 1), Usage::DECRYPT, |k| {
            Aes::new(k).map(|a| a.decrypt(&mut block)).is_ok()
        })
        .map_err(e)?;
    if !(ok && ok2 && ok3) || rotated.version != Some(2) {
        return Err("key store use");
    }
    defmt::println!("memscan: key store: imported, used, rotated, used both versions");
    Ok(())
}
