//! The power-cut campaign: a scripted workload of every store operation, with power cut
//! at every programmed byte and every erase (one run per cut point). After each cut the
//! store is re-opened and must hold exactly the state before or after the interrupted
//! operation: every committed key present, with the right metadata and the right bytes.
//! Then one more write and re-open check that the recovered store works.
//!
//! Operations that write several records (destroying a rotated key, restoring over a
//! destroyed key's metadata, an epoch advance that rotates and deactivates) also accept
//! the intermediate states between them, each a state the key was put in by the
//! operation; every key state transition of the standards' table is in the script, so
//! after any cut no key is in a state it was never put in.
//!
//! Prints: cut points tried, committed keys lost, corrupted reads (both asserted 0).
//! Run: `cargo test -p keyfort-tests --test store_campaign -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used
)]
mod store_common;

use keyfort::attributes::{Algorithm, Usage};
use keyfort::store::epoch::epoch_message;
use keyfort::store::{
    Cryptoperiod, Error, KeyHandle, KeyOptions, KeyState, KeyStore, PeriodUnit, RevocationReason,
};
use keyfort::wrap::Kek;
use keyfort_testkit::MockFlash;
use std::collections::BTreeMap;
use store_common::*;

type Flash = MockFlash<{ 5 * 3072 }, 3072>;
type Store = KeyStore<(Flash, Dev, TestRng, SharedCounter)>;

#[derive(Clone, Debug)]
enum Op {
    Gen(u16, Algorithm, Usage),
    Import(u16, Algorithm, Usage, Vec<u8>, Option<u32>),
    Use(KeyHandle, Usage),
    Rotate(u16),
    Revoke(u16, u16),
    /// Revoke for compromise.
    Compromise(u16, u16),
    /// An AES-128 encrypt/decrypt key imported with options.
    ImportWith(u16, Vec<u8>, KeyOptions),
    SetState(u16, u16, KeyState),
    UseCompromised(u16, u16),
    /// Advance the epoch by one, authenticated by key `.0`.
    Epoch(u16),
    Destroy(u16, Option<u16>),
    Export(u16),
    Restore,
    Put(u16, Vec<u8>),
    Wipe,
}

#[derive(Clone, Debug, PartialEq)]
struct Km {
    bytes: Vec<u8>,
    alg: Algorithm,
    usage: Usage,
    state: KeyState,
    uses: u32,
    limit: Option<u32>,
    label: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Model {
    keys: BTreeMap<(u16, u16), Km>,
    states: BTreeMap<u16, Vec<u8>>,
}

fn pattern(seed: u8, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| {
            seed.wrapping_mul(31)
                .wrapping_add((i as u8).wrapping_mul(7))
        })
        .collect()
}

fn script() -> Vec<Op> {
    use Algorithm::*;
    let ed = Usage::ENCRYPT | Usage::DECRYPT;
    let mac = Usage::MAC_GENERATE | Usage::MAC_VERIFY;
    vec![
        Op::Gen(1, Aes128, ed),
        Op::Import(2, Aes256, ed | Usage::EXPORT, pattern(2, 32), None),
        Op::Import(3, Tdes2, mac, pattern(3, 16), Some(3)),
        Op::Put(100, pattern(100, 200)),
        Op::Use(KeyHandle::newest(1), Usage::ENCRYPT),
        Op::Use(KeyHandle::newest(3), Usage::MAC_GENERATE),
        Op::Rotate(1),
        Op::Use(KeyHandle::version(1, 1), Usage::DECRYPT),
        Op::Gen(4, HmacSha256, mac),
        Op::Put(100, pattern(101, 180)),
        Op::Revoke(1, 1),
        Op::Export(2),
        Op::Destroy(2, None),
        Op::Restore,
        Op::Use(KeyHandle::newest(3), Usage::MAC_VERIFY),
        Op::Rotate(4),
        Op::Destroy(1, Some(1)),
        Op::Put(101, pattern(7, 20)),
        Op::Import(5, Aes192, Usage::ENCRYPT, pattern(5, 24), None),
        Op::Compromise(1, 1),
        // Replacements that fill the sector: compactions because it is full.
        Op::Put(100, pattern(11, 180)),
        Op::Put(100, pattern(12, 170)),
        Op::Put(100, pattern(13, 160)),
        Op::Put(100, pattern(14, 150)),
        Op::Put(100, pattern(15, 140)),
        Op::Put(100, pattern(16, 130)),
        Op::Put(100, pattern(17, 120)),
        Op::Put(100, pattern(18, 110)),
        Op::Use(KeyHandle::newest(3), Usage::MAC_VERIFY),
        Op::Export(2),
        Op::Put(101, pattern(8, 120)),
        Op::Revoke(4, 2),
        Op::Destroy(4, Some(2)),
        Op::Put(102, pattern(9, 100)),
        Op::Rotate(5),
        Op::Use(KeyHandle::newest(5), Usage::ENCRYPT),
        Op::Put(101, pattern(10, 16)),
        Op::Wipe,
        Op::Gen(6, Aes128, ed),
        Op::Import(7, Aes128, Usage::DECRYPT, pattern(7, 16), Some(2)),
        Op::Put(100, pattern(102, 64)),
        Op::Rotate(6),
        Op::Use(KeyHandle::newest(7), Usage::DECRYPT),
        Op::Destroy(6, None),
        // Every transition of the state table (SP 800-57 / KMIP), numbered as in
        // `store_states.rs`'s expected table.
        Op::ImportWith(8, pattern(8, 16), pre()),
        Op::SetState(8, 1, KeyState::Active),
        Op::SetState(8, 1, KeyState::Suspended),
        Op::SetState(8, 1, KeyState::Active),
        Op::SetState(8, 1, KeyState::Deactivated),
        Op::Compromise(8, 1),
        Op::UseCompromised(8, 1),
        Op::Destroy(8, None),
        Op::ImportWith(11, pattern(11, 16), pre()),
        Op::Compromise(11, 1),
        Op::ImportWith(12, pattern(12, 16), pre()),
        Op::Destroy(12, None),
        Op::Compromise(12, 1),
        Op::Import(9, HmacSha256, Usage::MAC_VERIFY, pattern(9, 32), None),
        Op::ImportWith(10, pattern(10, 16), periodic()),
        Op::Epoch(9),
        Op::SetState(10, 2, KeyState::Suspended),
        Op::SetState(10, 2, KeyState::Deactivated),
        Op::Destroy(10, Some(1)),
        Op::SetState(10, 2, KeyState::Compromised),
        Op::Destroy(10, Some(2)),
        Op::ImportWith(13, pattern(13, 16), KeyOptions::default()),
        Op::SetState(13, 1, KeyState::Suspended),
        Op::SetState(13, 1, KeyState::Compromised),
        Op::ImportWith(14, pattern(14, 16), KeyOptions::default()),
        Op::SetState(14, 1, KeyState::Destroyed),
        Op::ImportWith(15, pattern(15, 16), KeyOptions::default()),
        Op::Compromise(15, 1),
        Op::ImportWith(16, pattern(16, 16), KeyOptions::default()),
        Op::SetState(16, 1, KeyState::Suspended),
        Op::Destroy(16, None),
    ]
}

/// AES-256: at least as strong as every key the script exports (the KEK-strength rule).
const BACKUP_KEK: [u8; 32] = [0x4B; 32];

/// A backup of key 2 (same metadata and bytes as the script's) exported by another
/// device's store: restoring it is a migration. (Restoring this store's own blob after
/// key 2 was destroyed is refused as a replay: `store_backup_replay.rs`.)
fn foreign_blob() -> Vec<u8> {
    let mut other = KeyStore::format((
        Flash::new(),
        Dev(DEV_B),
        TestRng(77),
        SharedCounter::frozen(),
    ))
    .unwrap();
    let usage = Usage::ENCRYPT | Usage::DECRYPT | Usage::EXPORT;
    let h = other
        .import(
            2,
            &label(2),
            Algorithm::Aes256,
            usage,
            &pattern(2, 32),
            None,
        )
        .unwrap();
    let kek = Kek::new(
        &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&BACKUP_KEK).unwrap(),
    )
    .unwrap();
    let mut out = [0u8; 128];
    let n = other.export_backup(h, &kek, &mut out).unwrap();
    out[..n].to_vec()
}

fn label(id: u16) -> Vec<u8> {
    format!("key-{id}").into_bytes()
}

/// Reads key bytes through the store with a usage the key allows (None if unreadable).
fn read_bytes(
    s: &mut Store,
    id: u16,
    ver: u16,
    km: &Km,
    newest: bool,
) -> Option<Result<Vec<u8>, Error>> {
    let newest = match km.state {
        KeyState::Active => newest,
        KeyState::Deactivated => false,
        _ => return None,
    };
    if km.limit.is_some_and(|l| km.uses >= l) {
        return None;
    }
    let consuming = [
        Usage::DECRYPT,
        Usage::UNWRAP,
        Usage::MAC_VERIFY,
        Usage::EXPORT,
    ];
    let producing = [
        Usage::ENCRYPT,
        Usage::WRAP,
        Usage::MAC_GENERATE,
        Usage::DERIVE,
    ];
    let need = consuming
        .iter()
        .chain(producing.iter().filter(|_| newest))
        .find(|u| km.usage.contains(**u))?;
    Some(s.with_key(KeyHandle::version(id, ver), *need, |k| k.to_vec()))
}

fn set_state(m: &mut Model, id: u16, v: u16, state: KeyState) {
    m.keys.get_mut(&(id, v)).unwrap().state = state;
}

/// Imported pre-active.
fn pre() -> KeyOptions {
    KeyOptions {
        pre_active: true,
        ..KeyOptions::default()
    }
}

/// Active, with a cryptoperiod of one epoch's protection that rotates.
fn periodic() -> KeyOptions {
    KeyOptions {
        cryptoperiod: Some(Cryptoperiod {
            unit: PeriodUnit::Epochs,
            protect: 1,
            process: 3,
            auto_rotate: true,
        }),
        ..KeyOptions::default()
    }
}

/// Applies `op` to the store and the model. Errors are returned (a cut). `mids`: the
/// models of the states between the records of an operation that writes several.
fn apply(
    s: &mut Store,
    m: &mut Model,
    op: &Op,
    blob: &mut Vec<u8>,
    mids: &mut Vec<Model>,
) -> Result<(), Error> {
    let ed = Usage::ENCRYPT | Usage::DECRYPT;
    match op {
        Op::Gen(id, alg, usage) => {
            s.generate(*id, &label(*id), *alg, *usage, None)?;
            // Learn the generated bytes (the only thing the model cannot predict).
            let mut b = Vec::new();
            let need = if usage.contains(Usage::ENCRYPT) {
                Usage::ENCRYPT
            } else {
                Usage::MAC_GENERATE
            };
            s.with_key(KeyHandle::version(*id, 1), need, |k| b = k.to_vec())?;
            m.keys.insert(
                (*id, 1),
                Km {
                    bytes: b,
                    alg: *alg,
                    usage: *usage,
                    state: KeyState::Active,
                    uses: 0,
                    limit: None,
                    label: label(*id),
                },
            );
        }
        Op::Import(id, alg, usage, key, limit) => {
            s.import(*id, &label(*id), *alg, *usage, key, *limit)?;
            m.keys.insert(
                (*id, 1),
                Km {
                    bytes: key.clone(),
                    alg: *alg,
                    usage: *usage,
                    state: KeyState::Active,
                    uses: 0,
                    limit: *limit,
                    label: label(*id),
                },
            );
        }
        Op::Use(h, need) => {
            s.with_key(*h, *need, |_| ())?;
            let v = h.version.unwrap_or_else(|| {
                m.keys
                    .iter()
                    .filter(|((i, _), k)| *i == h.id && k.state == KeyState::Active)
                    .map(|((_, v), _)| *v)
                    .max()
                    .unwrap()
            });
            let k = m.keys.get_mut(&(h.id, v)).unwrap();
            if k.limit.is_some() {
                k.uses += 1;
            }
        }
        Op::Rotate(id) => {
            let nh = s.rotate(*id)?;
            let v = nh.version.unwrap();
            let old = m.keys.get(&(*id, v - 1)).unwrap().clone();
            let need = if old.usage.contains(Usage::ENCRYPT) {
                Usage::ENCRYPT
            } else {
                Usage::MAC_GENERATE
            };
            let mut b = Vec::new();
            s.with_key(nh, need, |k| b = k.to_vec())?;
            m.keys.insert(
                (*id, v),
                Km {
                    bytes: b,
                    state: KeyState::Active,
                    uses: 0,
                    ..old
                },
            );
        }
        Op::Revoke(id, v) => {
            s.revoke(*id, *v)?;
            set_state(m, *id, *v, KeyState::Deactivated);
        }
        Op::Compromise(id, v) => {
            s.revoke_with(*id, *v, RevocationReason::Compromise)?;
            let k = m.keys.get_mut(&(*id, *v)).unwrap();
            k.state = if k.state.is_destroyed() {
                KeyState::DestroyedCompromised
            } else {
                KeyState::Compromised
            };
        }
        Op::ImportWith(id, key, opts) => {
            s.import_with(*id, &label(*id), Algorithm::Aes128, ed, key, opts)?;
            m.keys.insert(
                (*id, 1),
                Km {
                    bytes: key.clone(),
                    alg: Algorithm::Aes128,
                    usage: ed,
                    state: if opts.pre_active {
                        KeyState::PreActive
                    } else {
                        KeyState::Active
                    },
                    uses: 0,
                    limit: None,
                    label: label(*id),
                },
            );
        }
        Op::SetState(id, v, to) => {
            s.set_state(*id, *v, *to)?;
            set_state(m, *id, *v, *to);
        }
        Op::UseCompromised(id, v) => {
            s.with_compromised_key(KeyHandle::version(*id, *v), Usage::DECRYPT, |_| ())?;
        }
        Op::Epoch(key) => {
            let next = s.epoch() + 1;
            let msg = epoch_message(&pattern(*key as u8, 32), s.store_id()?, next).unwrap();
            s.advance_epoch(KeyHandle::newest(*key), &msg)?;
            // Every active epoch-counted key (protect period 1) rotates, then its old
            // version is deactivated: two records per key after the epoch's.
            let due: Vec<(u16, u16)> = m
                .keys
                .iter()
                // Key 10 is the script's only key with a cryptoperiod.
                .filter(|((i, _), k)| k.state == KeyState::Active && *i == 10)
                .map(|(k, _)| *k)
                .collect();
            mids.push(m.clone());
            for (id, v) in due {
                let old = m.keys.get(&(id, v)).unwrap().clone();
                let mut b = Vec::new();
                s.with_key(KeyHandle::version(id, v + 1), Usage::DECRYPT, |k| {
                    b = k.to_vec()
                })?;
                m.keys.insert((id, v + 1), Km { bytes: b, ..old });
                mids.push(m.clone());
                set_state(m, id, v, KeyState::Deactivated);
            }
        }
        Op::Destroy(id, v) => {
            s.destroy(*id, *v)?;
            // One record per version, in version order.
            let targets: Vec<u16> = m
                .keys
                .iter()
                .filter(|((i, kv), k)| {
                    *i == *id && v.is_none_or(|v| v == *kv) && !k.state.is_destroyed()
                })
                .map(|((_, kv), _)| *kv)
                .collect();
            for kv in targets {
                let k = m.keys.get_mut(&(*id, kv)).unwrap();
                k.state = if k.state == KeyState::Compromised {
                    KeyState::DestroyedCompromised
                } else {
                    KeyState::Destroyed
                };
                mids.push(m.clone());
            }
            mids.pop();
        }
        Op::Export(id) => {
            let kek = Kek::new(
                &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&BACKUP_KEK)
                    .unwrap(),
            )
            .unwrap();
            let mut out = [0u8; 128];
            let n = s.export_backup(KeyHandle::newest(*id), &kek, &mut out)?;
            *blob = out[..n].to_vec();
        }
        Op::Restore => {
            let kek = Kek::new(
                &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&BACKUP_KEK)
                    .unwrap(),
            )
            .unwrap();
            let h = s.import_backup(&kek, &foreign_blob())?;
            // First the destroyed metadata of the id goes (a purge), then the key comes.
            if m.keys.keys().any(|(i, _)| *i == h.id) {
                m.keys.retain(|(i, _), _| *i != h.id);
                mids.push(m.clone());
            }
            // The backup carries id 2's original metadata and bytes.
            m.keys.insert(
                (h.id, 1),
                Km {
                    bytes: pattern(2, 32),
                    alg: Algorithm::Aes256,
                    usage: Usage::ENCRYPT | Usage::DECRYPT | Usage::EXPORT,
                    state: KeyState::Active,
                    uses: 0,
                    limit: None,
                    label: label(2),
                },
            );
        }
        Op::Put(slot, data) => {
            s.put_state(*slot, data)?;
            m.states.insert(*slot, data.clone());
        }
        Op::Wipe => {
            s.tamper_wipe()?;
            *m = Model::default();
        }
    }
    Ok(())
}

/// Metadata view of the store (no reads that change state).
fn meta(s: &mut Store, probe_states: &[u16]) -> Result<Model, Error> {
    let mut m = Model::default();
    for i in s.inventory().collect::<Vec<_>>() {
        m.keys.insert(
            (i.id, i.version),
            Km {
                bytes: Vec::new(),
                alg: i.algorithm,
                usage: i.usage,
                state: i.state,
                uses: i.uses,
                limit: i.use_limit,
                label: i.label().to_vec(),
            },
        );
    }
    for &slot in probe_states {
        let mut buf = [0u8; 1024];
        match s.get_state(slot, &mut buf) {
            Ok(n) => {
                m.states.insert(slot, buf[..n].to_vec());
            }
            Err(Error::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(m)
}

fn strip(m: &Model) -> Model {
    let mut m = m.clone();
    for k in m.keys.values_mut() {
        k.bytes.clear();
    }
    m
}

struct Tally {
    cuts: u64,
    lost: u64,
    corrupted: u64,
    open_failures: u64,
    matched_before: u64,
    matched_after: u64,
    matched_mid: u64,
    wipes_reported: u64,
}

fn newest_of(m: &Model, id: u16) -> Option<u16> {
    m.keys
        .iter()
        .filter(|((i, _), k)| *i == id && k.state == KeyState::Active)
        .map(|((_, v), _)| *v)
        .max()
}

/// Checks the re-opened store against the models before/after the interrupted op (or
/// between its records, `mids`).
fn check(s: &mut Store, before: &Model, mids: &[Model], after: &Model, t: &mut Tally, k: u64) {
    let slots: Vec<u16> = before
        .states
        .keys()
        .chain(after.states.keys())
        .copied()
        .collect();
    let seen = match meta(s, &slots) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("cut {k}: metadata read failed: {e:?}");
            t.corrupted += 1;
            return;
        }
    };
    let target = if seen == strip(before) {
        t.matched_before += 1;
        before
    } else if seen == strip(after) {
        t.matched_after += 1;
        after
    } else if let Some(mid) = mids.iter().find(|m| seen == strip(m)) {
        t.matched_mid += 1;
        mid
    } else {
        for (key, km) in before
            .keys
            .iter()
            .filter(|(key, _)| after.keys.contains_key(*key))
        {
            match seen.keys.get(key) {
                None => t.lost += 1,
                Some(x) if x.alg != km.alg || x.usage != km.usage || x.label != km.label => {
                    t.corrupted += 1
                }
                _ => {}
            }
        }
        eprintln!(
            "cut {k}: state is neither before nor after\n seen {seen:?}\n before {:?}\n after {:?}",
            strip(before),
            strip(after)
        );
        t.corrupted += 1;
        return;
    };
    // Invariants: the audit ring is bounded and in order; no version over the limit; no
    // plaintext key or state byte in the raw flash (checked on every 16th cut point).
    let ev: Vec<_> = s.audit().collect();
    if ev.len() > keyfort::store::audit::AUDIT_CAP
        || !ev
            .windows(2)
            .all(|w| w[0].seq < w[1].seq || w[1].code == keyfort::store::AuditCode::TamperWipe)
    {
        eprintln!("cut {k}: audit ring out of order or too long: {ev:?}");
        t.corrupted += 1;
    }
    if k.is_multiple_of(16) {
        let img = s.flash().as_bytes();
        for km in target.keys.values() {
            if contains(img, &km.bytes[..8]) {
                eprintln!("cut {k}: plaintext key bytes on flash");
                t.corrupted += 1;
            }
        }
        for st in target.states.values() {
            if st.len() >= 16 && contains(img, &st[..16]) {
                eprintln!("cut {k}: plaintext state bytes on flash");
                t.corrupted += 1;
            }
        }
    }
    for (&(id, v), km) in target.keys.iter() {
        let newest = newest_of(target, id) == Some(v);
        match read_bytes(s, id, v, km, newest) {
            None => {}
            Some(Ok(b)) if b == km.bytes => {}
            Some(Ok(_)) => {
                eprintln!("cut {k}: key {id} v{v}: WRONG BYTES");
                t.corrupted += 1;
            }
            Some(Err(e)) => {
                eprintln!("cut {k}: key {id} v{v}: read failed {e:?}");
                t.lost += 1;
            }
        }
    }
}

#[test]
fn power_cut_at_every_step_with_counter() {
    campaign("with a monotonic counter", SharedCounter::default());
}

#[test]
fn power_cut_at_every_step_without_counter() {
    campaign("without a counter", SharedCounter::frozen());
}

fn campaign(name: &str, kind: SharedCounter) {
    let ops = script();
    // Reference run without cuts: models before/after each op, and the cut-point count.
    let counter = kind.same_kind();
    let mut s = Store::format((Flash::new(), Dev(DEV_A), TestRng(7), counter.clone())).unwrap();
    let start = s.flash().steps();
    let mut models = vec![Model::default()];
    let mut blob = Vec::new();
    let mut m = Model::default();
    let mut op_steps = Vec::new();
    let mut op_mids = Vec::new();
    for op in &ops {
        let st = s.flash().steps();
        let mut mids = Vec::new();
        apply(&mut s, &mut m, op, &mut blob, &mut mids)
            .unwrap_or_else(|e| panic!("reference {op:?}: {e:?}"));
        op_mids.push(mids);
        op_steps.push(s.flash().steps() - st);
        models.push(m.clone());
    }
    let total = s.flash().steps() - start;
    let (bytes, erases) = (s.flash().bytes_written(), s.flash().sectors_erased());
    println!("store campaign ({name}): {} ops, {total} cut points (programmed bytes + erases), reference run wrote {bytes} bytes and erased {erases} sectors", ops.len());

    let mut t = Tally {
        cuts: 0,
        lost: 0,
        corrupted: 0,
        open_failures: 0,
        matched_before: 0,
        matched_after: 0,
        matched_mid: 0,
        wipes_reported: 0,
    };
    for k in 0..total {
        let counter = kind.same_kind();
        let mut s = Store::format((Flash::new(), Dev(DEV_A), TestRng(7), counter.clone())).unwrap();
        s.flash()
            .set_mix_seed((k as u32).wrapping_mul(2_654_435_761) ^ 0x5555);
        s.flash().cut_after(k);
        let mut m = Model::default();
        let mut blob = Vec::new();
        let mut cut_at = None;
        for (i, op) in ops.iter().enumerate() {
            if let Err(e) = apply(&mut s, &mut m, op, &mut blob, &mut Vec::new()) {
                assert!(
                    s.flash().is_cut(),
                    "cut {k}: op {i} {op:?} failed without a cut: {e:?}"
                );
                cut_at = Some(i);
                break;
            }
        }
        let Some(i) = cut_at else {
            panic!("cut {k}: no cut happened")
        };
        t.cuts += 1;
        let mut flash = s.into_flash();
        flash.power_on();
        if matches!(ops[i], Op::Wipe) {
            // A wipe cut after its kill marker is finished by open, which reports it.
            match KeyStore::open((&mut flash, Dev(DEV_A), TestRng(500 + k), counter.clone())) {
                Ok(_) => {}
                Err(Error::TamperWiped) => t.wipes_reported += 1,
                Err(e) => {
                    eprintln!("cut {k} (op {i} Wipe): open failed: {e:?}");
                    t.open_failures += 1;
                    continue;
                }
            }
        }
        let mut s = match Store::open((flash, Dev(DEV_A), TestRng(1000 + k), counter.clone())) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cut {k} (op {i} {:?}): open failed: {e:?}", ops[i]);
                t.open_failures += 1;
                t.lost += models[i].keys.len() as u64;
                continue;
            }
        };
        check(&mut s, &models[i], &op_mids[i], &models[i + 1], &mut t, k);
        // The recovered store must take a write and keep it over another re-open.
        if let Err(e) = s.put_state(999, b"after-recovery") {
            eprintln!("cut {k}: write after recovery failed: {e:?}");
            t.corrupted += 1;
            continue;
        }
        let flash = s.into_flash();
        match Store::open((flash, Dev(DEV_A), TestRng(2000 + k), counter.clone())) {
            Ok(mut s) => {
                let mut b = [0u8; 32];
                if s.get_state(999, &mut b).ok() != Some(14) || &b[..14] != b"after-recovery" {
                    eprintln!("cut {k}: write after recovery lost");
                    t.corrupted += 1;
                }
            }
            Err(e) => {
                eprintln!("cut {k}: second re-open failed: {e:?}");
                t.open_failures += 1;
            }
        }
    }
    println!(
        "store campaign ({name}): cut points tried {}, committed keys lost {}, corrupted reads {}, open failures {} (state before op: {}, after op: {}, between its records: {}; interrupted wipes finished and reported by open: {})",
        t.cuts, t.lost, t.corrupted, t.open_failures, t.matched_before, t.matched_after, t.matched_mid, t.wipes_reported
    );
    println!("store campaign ({name}): programmed bytes + erases per op: {op_steps:?}");
    assert_eq!(t.cuts, total);
    assert_eq!(t.lost, 0, "committed keys lost");
    assert_eq!(t.corrupted, 0, "corrupted reads");
    assert_eq!(t.open_failures, 0, "open failures");
    assert!(t.matched_before > 0 && t.matched_after > 0);
    assert!(t.wipes_reported > 0);
}
