//! The on-target power-cut campaign's firmware: the sealed store's whole lifecycle on the
//! board's flash file, with power cut at a chosen flash operation (`./x test`, step
//! "persistence"; `./x campaign`; runner in `xtask/src/demo_persistence.rs`).
//!
//! Every boot:
//! 1. reads the plan (`cut-plan`, host file: `AT SEED OPS MODE`): cut the power at the
//!    `AT`-th flash program or erase from boot (0: never; [`keyfort_firmware::cut_flash`]
//!    leaves that operation half done and stops the machine), counting only those after
//!    the boot's first operation if `MODE` has bit 0, only erases if it has bit 1; run
//!    `OPS` operations. Bit 2 is the campaign's *negative control*: each operation is
//!    written to the ledger before the store runs it (a store that acknowledged before
//!    it commits), which the checks below must catch as lost or wrong keys;
//! 2. opens the store (formats it on the very first boot). The flash operations of the
//!    open are the recovery of the previous cut: a cut there is a double fault. The only
//!    open error accepted is the typed outcome the manual documents for a cut tamper wipe,
//!    [`store::Error::TamperWiped`] (then the store is opened again); any other is counted
//!    by the runner as an open error and fails the run (exit 2);
//! 3. replays the *ledger* (`ledger.bin`, host file): one entry per operation that
//!    returned `Ok`, written right after it returned (with the key check value of a
//!    generated or rotated key). The store must hold exactly what the ledger says, or
//!    what it says plus the one operation the power cut (the next one of the cycle):
//!    every key version with its bytes (key check value, read back through the store),
//!    state, use count and limit; no other key; the last state record. A committed key
//!    missing is *lost*, a key with other bytes or metadata, or one that should not be
//!    there, is *wrong*: both fail the run (exit 1);
//! 4. runs the next operations of a 39-operation cycle: generate, import, use-counted use
//!    up to the limit and past it (refused), rotate, revoke, destroy a version and a whole
//!    key, backup export, restore of a replayed backup (refused), state records of DUKPT
//!    terminal size that fill sectors and make the store compact, a tamper wipe, and the
//!    restore of a backup into the wiped store (a migration: accepted).
//!
//! The keys are TEST data (imported ones derived from the operation number), never secrets.
#![no_std]
#![no_main]

use core::ffi::CStr;
use keyfort::attributes::{Algorithm, Usage};
use keyfort::block::Aes;
use keyfort::kcv::{aes_cmac, KcvLen};
use keyfort::rng::{Csprng, FailClosed, MinEntropy};
use keyfort::store::{self, backup::MAX_BACKUP_LEN, KeyHandle, KeyState, KeyStore};
use keyfort::wrap::Kek;
use keyfort_firmware::board::{self, entropy::HostEntropy, Board};
use keyfort_firmware::cut_flash::{CutFlash, CutPlan, Phase};
use semihosting::{
    fs::File,
    io::{Read, Seek, SeekFrom, Write},
};

const LEDGER: &CStr = c"ledger.bin";
const PLAN: &CStr = c"cut-plan";
const BACKUP: &CStr = c"backup.bin";
/// Key ids used: 1..=IDS; versions 1..=VERS.
const IDS: usize = 6;
const VERS: usize = 3;
/// The state record slot (a DUKPT terminal's state in a product).
const STATE_SLOT: u16 = 1;
/// The largest state record written.
const STATE_MAX: usize = 568;
/// The backup KEK: AES-256, at least as strong as every exported key. TEST data.
const BACKUP_KEK: [u8; 32] = [0x4B; 32];
/// Exit status when the store could not be opened (an open error).
const EXIT_OPEN: i32 = 2;

type Store<'a> = KeyStore<(
    &'a mut CutFlash<board::flash::SemihostFlash>,
    &'a board::secret::TestDeviceSecret,
    // Fails closed: a failed reseed or health test is a typed store error.
    FailClosed<HostEntropy>,
    &'a mut board::counter::FileCounter,
)>;

const ED: Usage = Usage::ENCRYPT.union(Usage::DECRYPT);
const EXP: Usage = ED.union(Usage::EXPORT);

#[derive(Clone, Copy, PartialEq, Eq, defmt::Format)]
enum Op {
    Gen(u16, Algorithm),
    Import(u16, Algorithm, Usage, Option<u32>),
    /// One use of a use-counted key (its newest version).
    Use(u16),
    /// A use past the limit: must be refused.
    UseRefused(u16),
    Rotate(u16),
    Revoke(u16, u16),
    Destroy(u16, Option<u16>),
    Export(u16),
    /// The last exported blob, of a key destroyed since: must be refused.
    RestoreRefused,
    /// The last exported blob, into a store wiped since (a new store): accepted.
    Restore,
    State,
    Wipe,
}

/// The workload, repeated.
const CYCLE: [Op; 39] = {
    use Algorithm::{Aes128, Aes256};
    use Op::*;
    [
        Gen(1, Aes128),
        Import(2, Aes256, EXP, None),
        Import(3, Aes128, ED, Some(4)),
        State,
        Use(3),
        Rotate(1),
        Export(2),
        State,
        Gen(4, Aes256),
        Use(3),
        Revoke(1, 1),
        State,
        Destroy(2, None),
        RestoreRefused,
        Rotate(4),
        State,
        Use(3),
        Import(5, Aes256, EXP, None),
        Destroy(1, Some(1)),
        // State records that fill sectors: compaction because the sector is full.
        State,
        State,
        State,
        State,
        State,
        State,
        State,
        State,
        Use(3),
        UseRefused(3),
        Rotate(5),
        Export(5),
        State,
        Destroy(4, None),
        Wipe,
        Restore,
        Gen(6, Aes128),
        State,
        Destroy(5, None),
        Destroy(6, None),
    ]
};

/// A key check value (AES-CMAC, 5 bytes): public, identifies the key bytes.
type Fp = [u8; 5];

/// One key version as the ledger says it is.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Km {
    /// None: generated by the operation the power cut; learned from the store.
    fp: Option<Fp>,
    alg: Algorithm,
    usage: Usage,
    revoked: bool,
    uses: u32,
    limit: Option<u32>,
}

/// What the ledger says is committed.
#[derive(Clone, Copy, Default)]
struct Model {
    /// Operations committed (the next operation's number).
    n: u32,
    keys: [[Option<Km>; VERS]; IDS],
    /// The operation number of the last state record written.
    state: Option<u32>,
    /// The last backup exported: key id and what it held.
    backup: Option<(u16, Km)>,
    formatted: bool,
}

fn slot(id: u16) -> usize {
    usize::from(id).saturating_sub(1).min(IDS - 1)
}

impl Model {
    fn next_op(&self) -> Op {
        CYCLE[(self.n as usize) % CYCLE.len()]
    }

    /// The newest active version's index of key `id`.
    fn newest(&self, id: u16) -> Option<usize> {
        (0..VERS)
            .rev()
            .find(|&v| self.keys[slot(id)][v].is_some_and(|k| !k.revoked))
    }

    /// Applies `op` (number `self.n`); `fp` is the new key's check value, if any.
    fn apply(&mut self, op: Op, fp: Option<Fp>) {
        let n = self.n;
        let fresh = |alg, usage, limit, fp| Km {
            fp,
            alg,
            usage,
            revoked: false,
            uses: 0,
            limit,
        };
        match op {
            Op::Gen(id, alg) => self.keys[slot(id)][0] = Some(fresh(alg, ED, None, fp)),
            Op::Import(id, alg, usage, limit) => {
                let k = import_key(n, alg);
                let fp = kcv(&k[..alg.key_len()]);
                self.keys[slot(id)][0] = Some(fresh(alg, usage, limit, fp));
            }
            Op::Use(id) => {
                if let Some(v) = self.newest(id) {
                    if let Some(k) = self.keys[slot(id)][v].as_mut() {
                        k.uses += 1;
                    }
                }
            }
            Op::Rotate(id) => {
                let top = (0..VERS).rev().find(|&v| self.keys[slot(id)][v].is_some());
                if let Some(t) = top.filter(|&t| t + 1 < VERS) {
                    if let Some(old) = self.keys[slot(id)][t] {
                        self.keys[slot(id)][t + 1] = Some(fresh(old.alg, old.usage, old.limit, fp));
                    }
                }
            }
            Op::Revoke(id, v) => {
                if let Some(k) = self.keys[slot(id)][usize::from(v) - 1].as_mut() {
                    k.revoked = true;
                }
            }
            Op::Destroy(id, None) => self.keys[slot(id)] = [None; VERS],
            Op::Destroy(id, Some(v)) => self.keys[slot(id)][usize::from(v) - 1] = None,
            Op::Export(id) => {
                self.backup = self
                    .newest(id)
                    .and_then(|v| self.keys[slot(id)][v])
                    .map(|k| (id, k));
            }
            Op::Restore => {
                if let Some((id, k)) = self.backup {
                    self.keys[slot(id)] = [Some(k), None, None];
                }
            }
            Op::State => self.state = Some(n),
            Op::Wipe => {
                self.keys = [[None; VERS]; IDS];
                self.state = None;
            }
            Op::UseRefused(_) | Op::RestoreRefused => {}
        }
        self.n += 1;
    }
}

/// The TEST key imported by operation `n` (32 bytes; the algorithm takes its prefix).
fn import_key(n: u32, alg: Algorithm) -> [u8; 32] {
    let mut k = [0u8; 32];
    let mut x = n.wrapping_mul(0x9E37_79B9) ^ 0x5bd1_e995 ^ u32::from(alg.code());
    for b in k.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    k
}

/// The state record written by operation `n`: 64 to 568 bytes (a DUKPT terminal's
/// state is a few hundred).
fn state_record(n: u32, out: &mut [u8; STATE_MAX]) -> usize {
    let len = 64 + (n.wrapping_mul(7) % 8) as usize * 72;
    for (i, b) in out.iter_mut().enumerate().take(len) {
        *b = (n as u8).wrapping_mul(31) ^ (i as u8).wrapping_mul(7) ^ (n >> 8) as u8;
    }
    len
}

fn kcv(key: &[u8]) -> Option<Fp> {
    let aes = Aes::new(key).ok()?;
    let mut fp = [0u8; 5];
    fp.copy_from_slice(aes_cmac(&aes, KcvLen::Five).as_bytes());
    Some(fp)
}

#[cortex_m_rt::entry]
fn main() -> ! {
    board::stack::paint();
    match run() {
        Ok(()) => board::exit(0),
        Err(Fail::Check(what)) => {
            defmt::println!("persistence FAILED: {=str}", what);
            board::exit(board::EXIT_FAILED)
        }
        Err(Fail::Open(e)) => {
            defmt::println!("open error: {}", e);
            board::exit(EXIT_OPEN)
        }
    }
}

enum Fail {
    Check(&'static str),
    Open(store::Error),
}

impl From<&'static str> for Fail {
    fn from(s: &'static str) -> Self {
        Fail::Check(s)
    }
}

fn read_ledger(m: &mut Model) -> Result<(), &'static str> {
    let Ok(mut f) = File::open(LEDGER) else {
        return Ok(());
    };
    let mut e = [0u8; 16];
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
            return Ok(());
        }
        let n = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
        let fp = (e[13] == 1).then(|| [e[8], e[9], e[10], e[11], e[12]]);
        match e[0] {
            b'F' => m.formatted = true,
            b'O' if n == m.n => {
                let op = m.next_op();
                m.apply(op, fp);
            }
            _ => return Err("ledger out of order"),
        }
    }
}

fn log(entry: u8, n: u32, fp: Option<Fp>) -> Result<(), &'static str> {
    let mut f = match File::options().read(true).write(true).open(LEDGER) {
        Ok(f) => f,
        Err(_) => File::options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(LEDGER)
            .map_err(|_| "ledger")?,
    };
    f.seek(SeekFrom::End(0)).map_err(|_| "ledger")?;
    let mut e = [0u8; 16];
    e[0] = entry;
    e[4..8].copy_from_slice(&n.to_le_bytes());
    if let Some(fp) = fp {
        e[8..13].copy_from_slice(&fp);
        e[13] = 1;
    }
    f.write_all(&e).map_err(|_| "ledger")
}

/// `AT SEED OPS MODE` from the plan file (missing numbers are 0).
fn plan() -> (CutPlan, u32, bool) {
    let mut buf = [0u8; 64];
    let n = board::read_host_file(PLAN, &mut buf).unwrap_or(0);
    let mut v = [0u32; 4];
    let text = buf.get(..n).unwrap_or(&[]);
    for (slot, word) in v.iter_mut().zip(
        text.split(|c| c.is_ascii_whitespace())
            .filter(|w| !w.is_empty()),
    ) {
        *slot = word
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .fold(0u32, |a, &c| {
                a.saturating_mul(10).saturating_add(u32::from(c - b'0'))
            });
    }
    (
        CutPlan {
            at: v[0],
            seed: v[1],
            work_only: v[3] & 1 != 0,
            erase_only: v[3] & 2 != 0,
        },
        v[2],
        v[3] & 4 != 0,
    )
}

fn rng() -> Result<FailClosed<HostEntropy>, &'static str> {
    let src = HostEntropy::open().map_err(|_| "entropy")?;
    Ok(Csprng::new(src, MinEntropy::Bits8, b"kf-persist")
        .map_err(|_| "entropy")?
        .fail_closed())
}

/// How the store compares with a model.
#[derive(Default)]
struct Tally {
    /// Key versions and state records that matched.
    checked: u32,
    lost: u32,
    wrong: u32,
    /// The check value of a key the model did not know (generated by the cut operation).
    learned: Option<Fp>,
}

impl Tally {
    fn clean(&self) -> bool {
        self.lost == 0 && self.wrong == 0
    }
}

/// Compares the store with `m`, key version by key version.
fn compare(s: &mut Store<'_>, m: &Model) -> Tally {
    let mut t = Tally::default();
    // Nothing the model does not hold (a destroyed version keeps its metadata for the
    // audit, not its material: it is not held).
    for k in s.inventory().filter(|k| !k.state.is_destroyed()) {
        let known = usize::from(k.id) >= 1
            && usize::from(k.id) <= IDS
            && usize::from(k.version) >= 1
            && usize::from(k.version) <= VERS
            && m.keys[slot(k.id)][usize::from(k.version) - 1].is_some();
        if !known {
            t.wrong += 1;
        }
    }
    for i in 0..IDS {
        for v in 0..VERS {
            let Some(km) = m.keys[i][v] else { continue };
            let (id, ver) = (i as u16 + 1, v as u16 + 1);
            let Some(info) = s
                .inventory()
                .find(|k| k.id == id && k.version == ver && !k.state.is_destroyed())
            else {
                t.lost += 1;
                continue;
            };
            // Revocation (not for compromise) deactivates a version.
            let state_ok = (info.state == KeyState::Deactivated) == km.revoked;
            if !state_ok
                || info.algorithm != km.alg
                || info.usage != km.usage
                || info.use_limit != km.limit
                || info.uses != km.uses
            {
                t.wrong += 1;
                continue;
            }
            // Read back the bytes where a read changes nothing (no use count).
            if !km.revoked && km.limit.is_none() {
                match s.with_key(KeyHandle::version(id, ver), Usage::DECRYPT, kcv) {
                    Ok(fp) if km.fp.is_none() => t.learned = fp,
                    Ok(fp) if fp == km.fp => {}
                    Ok(_) => {
                        t.wrong += 1;
                        continue;
                    }
                    Err(_) => {
                        t.lost += 1;
                        continue;
                    }
                }
            }
            t.checked += 1;
        }
    }
    let mut buf = [0u8; STATE_MAX];
    let mut want = [0u8; STATE_MAX];
    match (s.get_state(STATE_SLOT, &mut buf), m.state) {
        (Err(store::Error::NotFound), None) => {}
        (Ok(len), Some(n)) => {
            let wl = state_record(n, &mut want);
            if buf.get(..len) == want.get(..wl) {
                t.checked += 1;
            } else {
                t.wrong += 1;
            }
        }
        (Err(store::Error::NotFound), Some(_)) => t.lost += 1,
        _ => t.wrong += 1,
    }
    t
}

/// Checks the store against the ledger; the operation the power cut may have committed.
fn verify(s: &mut Store<'_>, m: &mut Model) -> Result<(), &'static str> {
    let inflight = m.next_op();
    let before = compare(s, m);
    if before.clean() {
        defmt::println!(
            "check: {=u32} committed operations, {=u32} key versions and state records verified, lost 0, wrong 0; op {=u32} ({}) not done",
            m.n,
            before.checked,
            m.n,
            inflight
        );
        return Ok(());
    }
    let mut after = *m;
    after.apply(inflight, None);
    let t = compare(s, &after);
    if t.clean() {
        defmt::println!(
            "check: {=u32} committed operations, {=u32} key versions and state records verified, lost 0, wrong 0; op {=u32} ({}) done",
            m.n,
            t.checked,
            m.n,
            inflight
        );
        let fp = match inflight {
            Op::Gen(..) | Op::Rotate(..) => t.learned,
            _ => None,
        };
        log(b'O', m.n, fp)?;
        m.apply(inflight, fp);
        return Ok(());
    }
    defmt::println!(
        "check FAILED: lost {=u32} wrong {=u32} (against the state after op {=u32} ({}): lost {=u32} wrong {=u32})",
        before.lost,
        before.wrong,
        m.n,
        inflight,
        t.lost,
        t.wrong
    );
    Err("the store is neither the committed state nor that plus the interrupted operation")
}

fn run() -> Result<(), Fail> {
    let mut m = Model::default();
    read_ledger(&mut m)?;
    let (cut, ops, ack_early) = plan();
    let Board {
        flash,
        device_secret,
        mut counter,
        ..
    } = Board::take().map_err(|_| "board setup")?;
    let mut flash = CutFlash::new(flash, cut);
    let first = KeyStore::open((&mut flash, &device_secret, rng()?, &mut counter));
    let mut s = match first {
        Ok(s) => s,
        Err(store::Error::NotFormatted) if !m.formatted => {
            let s = KeyStore::format((&mut flash, &device_secret, rng()?, &mut counter))
                .map_err(|_| "format")?;
            log(b'F', 0, None)?;
            m.formatted = true;
            defmt::println!("persist: formatted a new store");
            s
        }
        // The documented outcome of a tamper wipe the power cut: open finished it and
        // says so; open again to use the empty store.
        Err(store::Error::TamperWiped) => {
            defmt::println!("open: TamperWiped (a cut wipe, finished and reported)");
            KeyStore::open((&mut flash, &device_secret, rng()?, &mut counter))
                .map_err(Fail::Open)?
        }
        Err(e) => return Err(Fail::Open(e)),
    };
    let open_ops = s.flash().ops();
    s.flash().set_phase(Phase::FirstOp);
    defmt::println!("open: ok after {=u32} flash operations", open_ops);
    verify(&mut s, &mut m)?;
    let kek = keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&BACKUP_KEK)
        .map_err(keyfort::wrap::WrapError::from)
        .and_then(|k| Kek::new(&k))
        .map_err(|_| "kek")?;
    let mut first_ops = 0;
    for i in 0..ops {
        let op = m.next_op();
        let n = m.n;
        if ack_early {
            // The negative control: committed in the ledger before the store ran it.
            log(b'O', n, None)?;
        }
        let fp = step(&mut s, &kek, op, n, &m)?;
        if !ack_early {
            log(b'O', n, fp)?;
        }
        m.apply(op, fp);
        if i == 0 {
            first_ops = s.flash().ops();
            s.flash().set_phase(Phase::Work);
            defmt::println!(
                "first: {=u32} flash operations to the end of the first operation",
                first_ops
            );
        }
    }
    defmt::println!(
        "done: {=u32} operations committed in total; {=u32} flash operations this boot ({=u32} to the end of the first operation, {=u32} erases); stack used {=usize} bytes",
        m.n,
        s.flash().ops(),
        first_ops,
        s.flash().erases(),
        board::stack::used()
    );
    Ok(())
}

/// Runs operation `n`; returns the check value of a key it made.
fn step(s: &mut Store<'_>, kek: &Kek, op: Op, n: u32, m: &Model) -> Result<Option<Fp>, Fail> {
    let failed = |e: store::Error| {
        defmt::println!("persist: op {=u32} ({}) failed: {}", n, op, e);
        Fail::Check("store operation failed")
    };
    let label = b"persist";
    match op {
        Op::Gen(id, alg) => {
            s.generate(id, label, alg, ED, None).map_err(failed)?;
            let fp = s
                .with_key(KeyHandle::version(id, 1), Usage::DECRYPT, kcv)
                .map_err(failed)?;
            Ok(fp)
        }
        Op::Import(id, alg, usage, limit) => {
            let k = import_key(n, alg);
            s.import(id, label, alg, usage, &k[..alg.key_len()], limit)
                .map_err(failed)?;
            Ok(None)
        }
        Op::Use(id) => {
            let want = m
                .newest(id)
                .and_then(|v| m.keys[slot(id)][v])
                .and_then(|k| k.fp);
            let got = s
                .with_key(KeyHandle::newest(id), Usage::ENCRYPT, kcv)
                .map_err(failed)?;
            if got != want {
                return Err(Fail::Check("a use-counted key released other bytes"));
            }
            Ok(None)
        }
        Op::UseRefused(id) => match s.with_key(KeyHandle::newest(id), Usage::ENCRYPT, |_| ()) {
            Err(store::Error::UseLimitReached) => Ok(None),
            _ => Err(Fail::Check("a use past the limit was not refused")),
        },
        Op::Rotate(id) => {
            let h = s.rotate(id).map_err(failed)?;
            Ok(s.with_key(h, Usage::DECRYPT, kcv).map_err(failed)?)
        }
        Op::Revoke(id, v) => s.revoke(id, v).map(|_| None).map_err(failed),
        Op::Destroy(id, v) => s.destroy(id, v).map(|_| None).map_err(failed),
        Op::Export(id) => {
            let mut blob = [0u8; MAX_BACKUP_LEN];
            let len = s
                .export_backup(KeyHandle::newest(id), kek, &mut blob)
                .map_err(failed)?;
            let mut f = File::options()
                .write(true)
                .create(true)
                .truncate(true)
                .open(BACKUP)
                .map_err(|_| "backup file")?;
            f.write_all(&blob[..len]).map_err(|_| "backup file")?;
            Ok(None)
        }
        Op::RestoreRefused | Op::Restore => {
            let mut blob = [0u8; MAX_BACKUP_LEN];
            let len = board::read_host_file(BACKUP, &mut blob).map_err(|_| "backup file")?;
            let r = s.import_backup(kek, &blob[..len]);
            match (op, r) {
                (Op::Restore, Ok(_)) => Ok(None),
                (Op::Restore, Err(e)) => Err(failed(e)),
                (_, Err(store::Error::BackupReplayed)) => Ok(None),
                _ => Err(Fail::Check("the backup of a destroyed key was not refused")),
            }
        }
        Op::State => {
            let mut rec = [0u8; STATE_MAX];
            let len = state_record(n, &mut rec);
            s.put_state(STATE_SLOT, &rec[..len])
                .map(|_| None)
                .map_err(failed)
        }
        Op::Wipe => s.tamper_wipe().map(|_| None).map_err(failed),
    }
}
