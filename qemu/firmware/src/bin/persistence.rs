//! Persistence and power-cut test of the sealed store on the board's flash file
//! (`./x test`, step "persistence"; see `xtask/src/persistence.rs`).
//!
//! Every boot:
//! 1. opens the store on `flash.bin` (formats it on the very first boot);
//! 2. reads the *ledger* (`ledger.bin`, host file): one 8-byte entry per store operation
//!    that returned `Ok`, written right after it returned. What the ledger says was
//!    committed must be in the store: every key it imported and did not destroy, with
//!    the right bytes (read back through `with_key`), no key it destroyed, the last state
//!    record it wrote. The one operation that may have been cut (the next one the
//!    deterministic schedule picks) may be found done or not done; if done, the ledger
//!    catches up. Anything else is a lost or resurrected key: the run fails (exit 1);
//! 3. runs the number of operations `pos-plan` says (imports, destroys with compaction,
//!    state records), printing `op N: ...` just before each store call: the host cuts
//!    the power at those lines, or after a time, and restarts on the same files.
//!
//! The keys are TEST data derived from the operation number, never secrets.
#![no_std]
#![no_main]

use core::ffi::CStr;
use keyfort::attributes::{Algorithm, Usage};
use keyfort::rng::{Csprng, FailClosed, MinEntropy};
use keyfort::store::{self, KeyHandle, KeyStore};
use keyfort_firmware::board::{self, entropy::HostEntropy, Board};
use semihosting::{
    fs::File,
    io::{Read, Seek, SeekFrom, Write},
};

const LEDGER: &CStr = c"ledger.bin";
const PLAN: &CStr = c"pos-plan";
/// Key ids used: 1..=IDS.
const IDS: usize = 8;
/// Keys alive at most before the schedule destroys the oldest.
const LIVE: usize = 5;
/// The state record slot.
const STATE_SLOT: u16 = 1;

type Store = KeyStore<
    board::flash::SemihostFlash,
    board::secret::TestDeviceSecret,
    // Fails closed: a failed reseed or health test is a typed store error.
    FailClosed<HostEntropy>,
    board::counter::FileCounter,
>;

/// What the ledger says is committed.
#[derive(Default)]
struct Model {
    /// Operations committed (the next operation's number).
    n: u32,
    /// Per key id (index id - 1): the operation number that imported it, if alive.
    keys: [Option<u32>; IDS],
    /// The last state value written.
    state: Option<u32>,
    formatted: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Import(u16),
    Destroy(u16),
    State,
}

impl Model {
    /// The operation number `self.n` does, fixed by the committed state.
    fn next_op(&self) -> Op {
        if self.n % 3 == 2 {
            return Op::State;
        }
        let live = self.keys.iter().filter(|k| k.is_some()).count();
        if live < LIVE {
            let free = self.keys.iter().position(Option::is_none).unwrap_or(0);
            Op::Import(free as u16 + 1)
        } else {
            let oldest = (0..IDS)
                .filter_map(|i| self.keys[i].map(|n| (n, i)))
                .min()
                .map_or(0, |(_, i)| i);
            Op::Destroy(oldest as u16 + 1)
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Import(id) => self.keys[usize::from(id) - 1] = Some(self.n),
            Op::Destroy(id) => self.keys[usize::from(id) - 1] = None,
            Op::State => self.state = Some(self.n),
        }
        self.n += 1;
    }
}

/// The TEST key of operation `n`.
fn key(n: u32) -> [u8; 16] {
    let mut k = [0u8; 16];
    let mut x = n.wrapping_mul(0x9E37_79B9) ^ 0x5bd1_e995;
    for b in k.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    k
}

#[cortex_m_rt::entry]
fn main() -> ! {
    board::stack::paint();
    match run() {
        Ok(()) => board::exit(0),
        Err(what) => {
            defmt::println!("persistence FAILED: {=str}", what);
            board::exit(board::EXIT_FAILED)
        }
    }
}

fn read_ledger(m: &mut Model) -> Result<(), &'static str> {
    let Ok(mut f) = File::open(LEDGER) else {
        return Ok(());
    };
    let mut e = [0u8; 8];
    loop {
        let mut got = 0;
        while got < e.len() {
            match f.read(&mut e[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(_) => return Err("ledger unreadable"),
            }
        }
        if got < e.len() {
            // A torn last entry: its operation is the one in flight (see the docs).
            return Ok(());
        }
        let n = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
        match e[0] {
            b'F' => m.formatted = true,
            b'O' if n == m.n => {
                let op = m.next_op();
                m.apply(op);
            }
            _ => return Err("ledger out of order"),
        }
    }
}

fn log(entry: u8, n: u32) -> Result<(), &'static str> {
    let mut f = match File::options().read(true).write(true).open(LEDGER) {
        Ok(f) => f,
        Err(_) => File::options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(LEDGER)
            .map_err(|_| "ledger")?,
    };
    let len = f.seek(SeekFrom::End(0)).map_err(|_| "ledger")?;
    // Drop a torn entry by writing over it (ledger entries are 8 bytes).
    f.seek(SeekFrom::Start(len - len % 8))
        .map_err(|_| "ledger")?;
    let mut e = [0u8; 8];
    e[0] = entry;
    e[4..8].copy_from_slice(&n.to_le_bytes());
    f.write_all(&e).map_err(|_| "ledger")
}

fn plan() -> u32 {
    let mut buf = [0u8; 12];
    let n = board::read_host_file(PLAN, &mut buf).unwrap_or(0);
    buf.get(..n)
        .unwrap_or(&[])
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0u32, |v, &c| {
            v.saturating_mul(10).saturating_add(u32::from(c - b'0'))
        })
}

#[inline(never)]
fn open(m: &mut Model, slot: &mut Option<Store>) -> Result<(), &'static str> {
    let b = Board::take().map_err(|_| "board setup")?;
    let Board {
        flash,
        device_secret,
        counter,
        ..
    } = b;
    let src = HostEntropy::open().map_err(|_| "entropy")?;
    let rng = Csprng::new(src, MinEntropy::Bits8, b"kf-persist")
        .map_err(|_| "entropy")?
        .fail_closed();
    match KeyStore::open(flash, device_secret, rng, counter) {
        Ok(s) => {
            *slot = Some(s);
            Ok(())
        }
        Err(store::Error::NotFormatted) if !m.formatted => {
            // First boot (or a cut during format, which is not power-fail safe).
            let b = Board::take().map_err(|_| "board setup")?;
            let src = HostEntropy::open().map_err(|_| "entropy")?;
            let rng = Csprng::new(src, MinEntropy::Bits8, b"kf-persist")
                .map_err(|_| "entropy")?
                .fail_closed();
            let s =
                KeyStore::format(b.flash, b.device_secret, rng, b.counter).map_err(|_| "format")?;
            log(b'F', 0)?;
            m.formatted = true;
            defmt::println!("persist: formatted a new store");
            *slot = Some(s);
            Ok(())
        }
        Err(e) => {
            defmt::println!("persist: store open failed: {}", e);
            Err("store open after a power cut")
        }
    }
}

/// Whether the store holds key `id` with the bytes of operation `n`.
fn holds(s: &mut Store, id: u16, n: u32) -> Result<bool, &'static str> {
    let want = key(n);
    match s.with_key(KeyHandle::newest(id), Usage::ENCRYPT, |k| k == want) {
        Ok(same) => Ok(same),
        Err(store::Error::NotFound) => Ok(false),
        Err(_) => Err("key unreadable"),
    }
}

fn present(s: &Store, id: u16) -> bool {
    s.inventory().any(|k| k.id == id)
}

fn state(s: &mut Store) -> Result<Option<u32>, &'static str> {
    let mut b = [0u8; 4];
    match s.get_state(STATE_SLOT, &mut b) {
        Ok(4) => Ok(Some(u32::from_le_bytes(b))),
        Ok(_) => Err("state record of the wrong length"),
        Err(store::Error::NotFound) => Ok(None),
        Err(_) => Err("state record unreadable"),
    }
}

/// Checks the store against the ledger; the in-flight operation may have happened.
#[inline(never)]
fn verify(s: &mut Store, m: &mut Model) -> Result<(), &'static str> {
    let inflight = m.next_op();
    let mut done = false;
    for i in 0..IDS {
        let id = i as u16 + 1;
        match (m.keys[i], inflight) {
            (None, Op::Import(x)) if x == id => {
                if holds(s, id, m.n)? {
                    done = true;
                } else if present(s, id) {
                    return Err("an interrupted import left a wrong key");
                }
            }
            (Some(_), Op::Destroy(x)) if x == id => {
                if !present(s, id) {
                    done = true;
                } else if !holds(s, id, m.keys[i].unwrap_or(0))? {
                    return Err("a key changed during an interrupted destroy");
                }
            }
            (Some(n), _) => {
                if !holds(s, id, n)? {
                    defmt::println!("persist: committed key {=u16} LOST", id);
                    return Err("a committed key was lost");
                }
            }
            (None, _) => {
                if present(s, id) {
                    defmt::println!("persist: destroyed key {=u16} is back", id);
                    return Err("a destroyed key came back");
                }
            }
        }
    }
    let st = state(s)?;
    if inflight == Op::State && st == Some(m.n) {
        done = true;
    } else if st != m.state {
        return Err("the state record is not the last one committed");
    }
    let live = m.keys.iter().filter(|k| k.is_some()).count();
    defmt::println!(
        "persist: {=u32} committed operations checked: {=usize} keys and the state record intact{=str}",
        m.n,
        live,
        if done { "; the interrupted operation had committed" } else { "" }
    );
    if done {
        log(b'O', m.n)?;
        m.apply(inflight);
    }
    Ok(())
}

fn run() -> Result<(), &'static str> {
    let mut m = Model::default();
    read_ledger(&mut m)?;
    let mut slot = None;
    open(&mut m, &mut slot)?;
    let s = slot.as_mut().ok_or("store")?;
    verify(s, &mut m)?;
    for _ in 0..plan() {
        let op = m.next_op();
        let n = m.n;
        let r = match op {
            Op::Import(id) => {
                defmt::println!("op {=u32}: import key {=u16}", n, id);
                s.import(
                    id,
                    b"persist",
                    Algorithm::Aes128,
                    Usage::ENCRYPT,
                    &key(n),
                    None,
                )
                .map(|_| ())
            }
            Op::Destroy(id) => {
                defmt::println!("op {=u32}: destroy key {=u16}", n, id);
                s.destroy(id, None)
            }
            Op::State => {
                defmt::println!("op {=u32}: write state record", n);
                s.put_state(STATE_SLOT, &n.to_le_bytes())
            }
        };
        if let Err(e) = r {
            defmt::println!("persist: op {=u32} failed: {}", n, e);
            return Err("store operation failed");
        }
        log(b'O', n)?;
        m.apply(op);
    }
    defmt::println!(
        "persist: done, {=u32} operations committed in total; stack used {=usize} bytes",
        m.n,
        board::stack::used()
    );
    Ok(())
}
