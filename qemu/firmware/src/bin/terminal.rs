//! The demo's payment terminal (`./x demo`): boots on a factory image, imports its DUKPT
//! initial key from a TR-31 key block into the sealed store, and runs transactions.
//!
//! Each boot:
//! 1. opens the sealed store on the board's flash (the factory image `keyfort demo
//!    provision` wrote: the KBPK, sealed, and the key block in the injection slot);
//! 2. resumes the DUKPT state record, or, on the first boot, imports the key block under
//!    the KBPK (a tampered copy is refused first, to show it), loads the initial key
//!    into a DUKPT terminal (state sealed in the store) and destroys the initial key;
//! 3. runs as many transactions as the host file `pos-plan` says, polling the tamper
//!    line before each one. A transaction: the next DUKPT counter (its state is sealed
//!    in the store *before* its keys exist: the line `persisting DUKPT state` is printed
//!    just before that write, the power-cut tests cut there), a PIN block (ISO 9564
//!    format 4) under the PIN key, the card data AES-CBC encrypted under the data key, a
//!    CMAC over the record under the MAC key, and the 128-byte record
//!    (`keyfort_testkit::demo::record`) appended to the host file `transactions.bin`
//!    (`keyfort demo verify` reads it);
//! 4. on tamper: drops the DUKPT state from RAM, crypto-erases the store
//!    (`KeyStore::tamper_wipe`), overwrites the free stack, and writes its whole RAM to
//!    the host file `ram.bin` for the host to search for keys.
//!
//! The store's layout, the record, the files and the test cards are the demo's protocol
//! (`keyfort_testkit::demo`), shared with the host.
//!
//! Never prints or writes a key; the card data and PIN are TEST data.
#![no_std]
#![no_main]

use core::ffi::CStr;
use embedded_hal::digital::InputPin;
use keyfort::attributes::Usage;
use keyfort::dukpt::aes::{AesTerminal, AesTransaction, AesWorkingKey, KeyUsage, WorkingKeyType};
use keyfort::rng::{Csprng, MinEntropy};
use keyfort::store::{self, KeyHandle, KeyStore};
use keyfort::terminal::{self, StoreStatePersist, TerminalError};
use keyfort::transaction::{data, mac, pin};
use keyfort_firmware::board::{self, entropy::HostEntropy, Board};
use keyfort_testkit::demo::{
    self, factory, files,
    record::{self, TransactionCrypto},
    EXIT_NO_KEYS,
};
use semihosting::{
    fs::File,
    io::{Seek, SeekFrom, Write},
};

const RECORD_LEN: usize = record::LEN;
/// Longest key block the injection slot may hold.
const BLOCK_MAX: usize = factory::INJECTION_BLOCK_MAX;
const RECORDS: &CStr = files::RECORDS;
const RAM_DUMP: &CStr = files::RAM_DUMP;
/// The error of a terminal with neither DUKPT state nor a key to load it from.
const NO_KEYS: &str = "no keys";

type Rng = Csprng<HostEntropy>;
type Store = KeyStore<(
    board::flash::SemihostFlash,
    board::secret::TestDeviceSecret,
    Rng,
    board::counter::FileCounter,
)>;

enum End {
    Done(u32),
    Tampered(u32),
}

#[cortex_m_rt::entry]
fn main() -> ! {
    board::stack::paint();
    let m = board::MACHINE;
    defmt::println!("terminal on {=str} ({=str})", m.name, m.core);
    match run() {
        Ok(End::Done(n)) => {
            defmt::println!(
                "done: {=u32} transactions sent; stack used {=usize} of {=usize} bytes",
                n,
                board::stack::used(),
                board::stack::size()
            );
            board::exit(0)
        }
        Ok(End::Tampered(n)) => {
            // Everything that handled keys has returned: overwrite the stack it used.
            board::stack::paint();
            let dumped = board::ram::dump_in_use(RAM_DUMP);
            defmt::println!(
                "tamper: keys wiped after {=u32} transactions; RAM written to ram.bin ({=usize} bytes)",
                n,
                dumped
            );
            board::exit(0)
        }
        Err(NO_KEYS) => {
            defmt::println!(
                "terminal: no keys (wiped?): out of service until the next key injection"
            );
            board::exit(EXIT_NO_KEYS)
        }
        Err(what) => {
            defmt::println!("terminal FAILED: {=str}", what);
            board::exit(board::EXIT_FAILED)
        }
    }
}

#[inline(never)]
fn rng(personalization: &[u8]) -> Result<Rng, &'static str> {
    let src = HostEntropy::open().map_err(|_| "entropy source")?;
    Csprng::new(src, MinEntropy::Bits8, personalization).map_err(|_| "entropy health tests")
}

fn plan() -> u32 {
    let mut buf = [0u8; 12];
    let n = board::read_host_file(files::PLAN, &mut buf).unwrap_or(0);
    demo::plan(buf.get(..n).unwrap_or(&[]))
}

#[inline(never)]
fn run() -> Result<End, &'static str> {
    let b = Board::take().map_err(|_| "board setup (device directory not provisioned?)")?;
    let Board {
        flash,
        device_secret,
        counter,
        tamper,
        ..
    } = b;
    let mut slot = None;
    open_store(&mut slot, flash, device_secret, counter)?;
    let store = slot.as_mut().ok_or("store open")?;
    session(store, tamper)
}

/// Everything after the store is open: the terminal, then the transactions.
#[inline(never)]
fn session(
    store: &mut Store,
    mut tamper: board::tamper::HostTamperPin,
) -> Result<End, &'static str> {
    let keys = store.inventory().count();
    defmt::println!("boot: sealed store opened, {=usize} key(s)", keys);
    if tamper.is_high().unwrap_or(true) {
        return tamper_response(store, &mut None, 0);
    }
    let mut t_slot = None;
    boot_terminal(store, &mut t_slot)?;
    let t = t_slot.as_mut().ok_or("DUKPT terminal")?;
    finish_injection(store)?;

    let mut tx_rng = rng(b"kf-pinblock")?;
    let mut out = open_records()?;
    let todo = plan();
    let mut sent = 0;
    while sent < todo {
        if tamper.is_high().unwrap_or(true) {
            return tamper_response(store, &mut t_slot, sent);
        }
        let record = transaction(store, t, &mut tx_rng)?;
        out.write_all(&record)
            .map_err(|_| "cannot write transactions.bin")?;
        sent += 1;
    }
    Ok(End::Done(sent))
}

/// Opens the sealed store (its own frame: the scan's buffers are gone when it returns).
#[inline(never)]
fn open_store(
    slot: &mut Option<Store>,
    flash: board::flash::SemihostFlash,
    secret: board::secret::TestDeviceSecret,
    counter: board::counter::FileCounter,
) -> Result<(), &'static str> {
    // Opened in place: the store is not copied through results.
    match KeyStore::open_in(slot, (flash, secret, rng(b"kf-store")?, counter)) {
        Ok(()) => Ok(()),
        Err(store::Error::NotFormatted) => {
            Err("no factory image in flash.bin (run `keyfort demo provision`)")
        }
        Err(e) => {
            defmt::println!("store: open failed: {}", e);
            Err("store open")
        }
    }
}

/// The DUKPT terminal: resumed from its sealed state, or created on the first boot.
#[inline(never)]
fn boot_terminal(store: &mut Store, slot: &mut Option<AesTerminal>) -> Result<(), &'static str> {
    resume(store, slot)?;
    if let Some(t) = slot {
        defmt::println!(
            "boot: DUKPT state found, next counter {=u32}",
            t.next_counter().unwrap_or(0)
        );
        return Ok(());
    }
    let has = |s: &Store, id| s.inventory().any(|k| k.id == id);
    if !has(store, factory::INITIAL_KEY_ID) {
        let mut probe = [0u8; 4];
        let waiting = matches!(
            store.get_state(factory::INJECTION_SLOT, &mut probe),
            Err(store::Error::BufferTooSmall)
        );
        if !has(store, factory::KBPK_ID) || !waiting {
            return Err(NO_KEYS);
        }
        inject(store)?;
    }
    load(store, slot)
}

/// The DUKPT terminal from its sealed state record, if there is one.
#[inline(never)]
fn resume(store: &mut Store, slot: &mut Option<AesTerminal>) -> Result<(), &'static str> {
    match terminal::resume_into(store, factory::DUKPT_SLOT, slot) {
        Ok(()) => Ok(()),
        Err(e) => {
            defmt::println!("DUKPT state: {}", e);
            Err("DUKPT state record unreadable")
        }
    }
}

/// The records file, positioned at its end. (Semihosting's append mode is not used:
/// QEMU writes at the file position, which starts at 0.)
fn open_records() -> Result<File, &'static str> {
    let mut f = match File::options().read(true).write(true).open(RECORDS) {
        Ok(f) => f,
        Err(_) => File::options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(RECORDS)
            .map_err(|_| "cannot create transactions.bin")?,
    };
    f.seek(SeekFrom::End(0))
        .map_err(|_| "cannot seek transactions.bin")?;
    Ok(f)
}

/// First boot: import the key block waiting in the injection slot.
#[inline(never)]
fn inject(store: &mut Store) -> Result<(), &'static str> {
    let ik = KeyHandle::newest(factory::INITIAL_KEY_ID);
    {
        let mut block = [0u8; BLOCK_MAX];
        let n = store
            .get_state(factory::INJECTION_SLOT, &mut block)
            .map_err(|_| "no key block in the injection slot")?;
        let block = block.get(..n).unwrap_or(&[]);
        let kbpk = KeyHandle::newest(factory::KBPK_ID);

        // Show that a forged block gets nowhere: flip one hex digit of the encrypted key.
        let mut forged = [0u8; BLOCK_MAX];
        forged[..n].copy_from_slice(block);
        if let Some(c) = forged.get_mut(n.saturating_sub(40)) {
            *c = if *c == b'0' { b'1' } else { b'0' };
        }
        match terminal::import_tr31(store, kbpk, &forged[..n], factory::INITIAL_KEY_ID) {
            Err(TerminalError::KeyBlock(e)) => {
                defmt::println!("inject: a tampered copy of the key block is refused: {}", e)
            }
            _ => return Err("a tampered key block was not refused"),
        }
        let header = keyfort::tr31::Header::parse(block).map_err(|_| "key block header")?;
        let imp = match terminal::import_tr31(store, kbpk, block, factory::INITIAL_KEY_ID) {
            Ok(i) => i,
            Err(e) => {
                defmt::println!("inject: refused: {}", e);
                return Err("key block import");
            }
        };
        defmt::println!(
            "inject: TR-31 {=str} block, key usage {=str}, mode {=char}, exportability {=char} -> sealed as {} with policy [{=str}], not exportable: {=bool}",
            if header.version == keyfort::tr31::Version::D { "version D" } else { "other" },
            header.key_usage_str(),
            char::from(header.mode_of_use),
            char::from(header.exportability),
            imp.algorithm,
            usage_name(imp.usage),
            !imp.usage.exportable()
        );
        // The header's policy holds: the initial key derives, it does not encrypt.
        match store.with_key(ik, Usage::ENCRYPT, |_| ()) {
            Err(store::Error::UsageDenied) => {
                defmt::println!("policy: the initial key is refused for encryption (derive only)")
            }
            _ => return Err("the initial key was usable for encryption"),
        }
    }
    Ok(())
}

/// The usage policy for people (the demo's keys have one mode each; the purpose is in
/// the key usage printed next to it).
fn usage_name(u: Usage) -> &'static str {
    const NAMES: [(Usage, &str); 8] = [
        (Usage::DERIVE, "derive"),
        (Usage::ENCRYPT, "encrypt"),
        (Usage::DECRYPT, "decrypt"),
        (Usage::WRAP, "wrap"),
        (Usage::UNWRAP, "unwrap"),
        (Usage::MAC_GENERATE, "mac-generate"),
        (Usage::MAC_VERIFY, "mac-verify"),
        (Usage::EXPORT, "export"),
    ];
    NAMES
        .iter()
        .find(|(b, _)| u.bits() & b.bits() == b.bits())
        .map_or("none", |(_, n)| *n)
}

/// Loads the imported initial key into a DUKPT terminal, sealing its state.
#[inline(never)]
fn load(store: &mut Store, slot: &mut Option<AesTerminal>) -> Result<(), &'static str> {
    let ik = KeyHandle::newest(factory::INITIAL_KEY_ID);
    // Built in place: the terminal (about 1 KiB) is not copied through results.
    terminal::load_initial_key_into(store, ik, factory::DUKPT_SLOT, slot).map_err(|e| {
        defmt::println!("DUKPT load: {}", e);
        "DUKPT load"
    })?;
    defmt::println!("dukpt: initial key loaded, state sealed in the store");
    Ok(())
}

/// Destroys the initial key and marks the injection slot used, if a power cut came
/// before (both are idempotent).
#[inline(never)]
fn finish_injection(store: &mut Store) -> Result<(), &'static str> {
    if store
        .inventory()
        .any(|k| k.id == factory::INITIAL_KEY_ID && !k.state.is_destroyed())
    {
        store
            .destroy(factory::INITIAL_KEY_ID, None)
            .map_err(|_| "destroying the initial key")?;
        defmt::println!("dukpt: initial key destroyed (the terminal keeps only its registers)");
    }
    let mut probe = [0u8; BLOCK_MAX];
    if let Ok(n) = store.get_state(factory::INJECTION_SLOT, &mut probe) {
        if probe.get(..n) != Some(factory::INJECTION_DONE) {
            store
                .put_state(factory::INJECTION_SLOT, factory::INJECTION_DONE)
                .map_err(|_| "clearing the injection slot")?;
        }
    }
    Ok(())
}

/// One transaction's crypto under its working keys (each derived, used and dropped).
struct TxCrypto<'a> {
    tx: &'a AesTransaction,
    rng: &'a mut Rng,
}

impl TxCrypto<'_> {
    fn key(&self, u: KeyUsage) -> Result<AesWorkingKey, &'static str> {
        self.tx
            .working_key(u, WorkingKeyType::Aes128)
            .map_err(|_| "working key")
    }
}

impl TransactionCrypto for TxCrypto<'_> {
    type Error = &'static str;

    fn pin_block(&mut self, pin_digits: &[u8], pan: &[u8]) -> Result<[u8; 16], &'static str> {
        let k = self.key(KeyUsage::PinEncryption)?;
        let k = k.typed().map_err(|_| "PIN key")?;
        pin::format4_encrypt(&k, pin_digits, pan, self.rng).map_err(|_| "PIN block")
    }

    fn encrypt_card(&mut self, card: &mut [u8; 32]) -> Result<(), &'static str> {
        let k = self.key(KeyUsage::DataEncrypt)?;
        let k = k.typed().map_err(|_| "data key")?;
        data::aes_cbc_encrypt(&k, &[0u8; 16], card).map_err(|_| "card data")
    }

    fn mac(&mut self, maced: &[u8]) -> Result<[u8; 16], &'static str> {
        let k = self.key(KeyUsage::MacGeneration)?;
        let k = k.typed().map_err(|_| "MAC key")?;
        mac::aes_cmac(&k, maced).map_err(|_| "MAC")
    }
}

/// One transaction: its record (public: ciphertexts, KSN and MAC only).
#[inline(never)]
fn transaction(
    store: &mut Store,
    t: &mut AesTerminal,
    rng: &mut Rng,
) -> Result<[u8; RECORD_LEN], &'static str> {
    let counter = t.next_counter().ok_or("DUKPT counter exhausted")?;
    defmt::println!("tx {=u32}: persisting DUKPT state", counter);
    let mut persist = StoreStatePersist::new(store, factory::DUKPT_SLOT);
    let tx = match t.next_transaction(&mut persist) {
        Ok(tx) => tx,
        Err(e) => {
            defmt::println!("tx: {} ({})", e, persist.last_error());
            return Err("DUKPT transaction");
        }
    };
    let ksn = *tx.ksn();
    let r = record::build(ksn.as_bytes(), &mut TxCrypto { tx: &tx, rng })?;
    drop(tx);

    let mut hex = [0u8; 24];
    defmt::println!(
        "tx {=u32}: KSN {=str}  {=str}  PIN block + card data encrypted, CMAC {=str}..",
        counter,
        keyfort_testkit::hex::encode_into(ksn.as_bytes(), &mut hex),
        core::str::from_utf8(&r[36..53]).unwrap_or("?"),
        keyfort_testkit::hex::encode_into(&r[record::MACED..record::MACED + 4], &mut [0u8; 8])
    );
    Ok(r)
}

#[inline(never)]
fn tamper_response(
    store: &mut Store,
    t: &mut Option<AesTerminal>,
    sent: u32,
) -> Result<End, &'static str> {
    defmt::println!("tamper: line asserted, wiping keys");
    *t = None; // the DUKPT registers in RAM are wiped on drop
    store.tamper_wipe().map_err(|_| "tamper wipe")?;
    let left = store.inventory().count();
    let state = store.get_state(factory::DUKPT_SLOT, &mut [0u8; 8]).is_ok();
    defmt::println!(
        "tamper: store crypto-erased ({=usize} keys, DUKPT state present: {=bool})",
        left,
        state
    );
    Ok(End::Tampered(sent))
}
