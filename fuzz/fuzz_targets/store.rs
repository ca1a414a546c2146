//! Random store operations mixed with random power cuts and random flash corruption.
//! Fails on a panic, on a key returned with bytes that were never stored under that id
//! and version, and on a store that cannot be re-opened after power cuts alone.
#![no_main]
use keyfort::attributes::{Algorithm, Usage};
use keyfort::platform::NoCounter;
use keyfort::store::{KeyHandle, KeyStore};
// The test kit's RAM flash, device secret and deterministic generator (not a secure one).
use keyfort_testkit::{MockFlash, TestRng as Rng, TestSecret as Dev};
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, BTreeSet};

type Flash = MockFlash<{ 4 * 2048 }, 2048>;
type Store = KeyStore<(Flash, Dev, Rng, NoCounter)>;

const ALGS: [Algorithm; 6] = [
    Algorithm::Aes128,
    Algorithm::Aes192,
    Algorithm::Aes256,
    Algorithm::Tdes2,
    Algorithm::Tdes3,
    Algorithm::HmacSha256,
];

fuzz_target!(|data: &[u8]| {
    let mut it = data.iter().copied();
    let mut next = move || it.next();
    let Ok(mut s) = Store::format((Flash::new(), Dev::A, Rng(1), NoCounter)) else {
        panic!("format failed");
    };
    // Every byte string ever stored (or attempted) per (id, version).
    let mut known: BTreeMap<(u16, u16), BTreeSet<Vec<u8>>> = BTreeMap::new();
    // Versions created by rotation whose bytes could not be learned (reading a use-counted
    // key writes, and may fail with `Full`): not checked until the id is reused.
    let mut unknown: BTreeSet<(u16, u16)> = BTreeSet::new();
    let mut corrupted = false;
    let mut boots = 0u64;
    while let Some(op) = next() {
        let id = u16::from(next().unwrap_or(0) % 6);
        let arg = next().unwrap_or(0);
        match op % 12 {
            0 | 1 => {
                let alg = ALGS[usize::from(arg % 6)];
                let key: Vec<u8> = (0..alg.key_len())
                    .map(|i| arg ^ (i as u8) ^ (id as u8 * 17))
                    .collect();
                known.entry((id, 1)).or_default().insert(key.clone());
                let _ = s.import(
                    id,
                    b"fz",
                    alg,
                    Usage::ALL,
                    &key,
                    if arg & 1 == 1 { Some(3) } else { None },
                );
            }
            2 => {
                if s.generate(id, b"g", ALGS[usize::from(arg % 6)], Usage::ALL, None)
                    .is_ok()
                {
                    if let Ok(b) =
                        s.with_key(KeyHandle::version(id, 1), Usage::DECRYPT, |k| k.to_vec())
                    {
                        known.entry((id, 1)).or_default().insert(b);
                    }
                }
            }
            3 | 4 => {
                let h = KeyHandle::version(id, u16::from(arg % 4) + 1);
                if let Ok(b) = s.with_key(h, Usage::DECRYPT, |k| k.to_vec()) {
                    let key = (id, h.version.unwrap_or(0));
                    let ok = unknown.contains(&key)
                        || known.get(&key).is_some_and(|set| set.contains(&b));
                    assert!(
                        ok,
                        "a key was returned that was never stored under ({id}, {h:?})"
                    );
                }
            }
            5 => {
                if let Ok(h) = s.rotate(id) {
                    let key = (id, h.version.unwrap_or(0));
                    match s.with_key(h, Usage::ENCRYPT, |k| k.to_vec()) {
                        Ok(b) => {
                            known.entry(key).or_default().insert(b);
                        }
                        Err(_) => {
                            unknown.insert(key);
                        }
                    }
                }
            }
            6 => {
                let _ = s.revoke(id, u16::from(arg % 3) + 1);
            }
            7 => {
                let _ = s.destroy(
                    id,
                    if arg & 1 == 0 {
                        None
                    } else {
                        Some(u16::from(arg % 3) + 1)
                    },
                );
            }
            8 => {
                let _ = s.put_state(id, &[arg; 40]);
                let mut out = [0u8; 64];
                if let Ok(n) = s.get_state(id, &mut out) {
                    assert!(
                        n == 40 && out[..n].iter().all(|&b| b == out[0]),
                        "wrong state"
                    );
                }
            }
            9 => {
                // A power cut somewhere in the next operation(s), then a reboot.
                let cut = u64::from(arg) * 3 + u64::from(next().unwrap_or(0));
                s.flash().cut_after(cut);
                let _ = s.put_state(7, &[arg; 20]);
                let _ = s.import(5, b"c", Algorithm::Aes128, Usage::ALL, &[arg; 16], None);
                known.entry((5, 1)).or_default().insert(vec![arg; 16]);
                let mut f = s.into_flash();
                f.power_on();
                boots += 1;
                s = match Store::open((f, Dev::A, Rng(boots + 7), NoCounter)) {
                    Ok(s) => s,
                    Err(e) => {
                        assert!(corrupted, "re-open after power cuts alone failed: {e:?}");
                        Store::format((Flash::new(), Dev::A, Rng(boots), NoCounter)).expect("format")
                    }
                };
            }
            10 => {
                // Random corruption: flip one bit anywhere.
                let pos = (usize::from(arg) << 8 | usize::from(next().unwrap_or(0))) % (4 * 2048);
                let mut f = s.into_flash();
                f.as_bytes_mut()[pos] ^= 1 << (arg % 8);
                corrupted = true;
                boots += 1;
                s = match Store::open((f, Dev::A, Rng(boots + 7), NoCounter)) {
                    Ok(s) => s,
                    Err(_) => {
                        corrupted = false;
                        known.clear();
                        Store::format((Flash::new(), Dev::A, Rng(boots), NoCounter)).expect("format")
                    }
                };
            }
            _ => {
                let _ = s.tamper_wipe();
            }
        }
    }
});
