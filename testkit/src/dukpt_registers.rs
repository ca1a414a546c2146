//! Which keys an AES DUKPT terminal's registers can have held: the list a host-side key
//! scan of a terminal's flash and RAM searches for (`keyfort demo scan`, the demo's second
//! scan in `xtask`), in one place, computed through keyfort's public host API.
//!
//! Register `i` of a terminal whose next counter is `c` holds the derivation key of the
//! counter made of `c`'s bits above `i` plus bit `i`. Over all next counters `1..=max`
//! these are the counters with lowest set bit `i` and at most `(max >> (i + 1)) << (i +
//! 1) | 1 << i`: [`register_counters`] walks them without a heap, each once.
//!
//! ```
//! use keyfort::dukpt::aes::AesBdk;
//! use keyfort::key::TypedKey;
//! use keyfort_testkit::dukpt_registers::{register_counters, register_keys};
//!
//! let bdk = TypedKey::raw_aes(&[0x5A; 16]).unwrap();
//! let ik = AesBdk::new(&bdk).unwrap().initial_key(&[1; 8]).unwrap();
//! // Before any transaction, register i holds the key of counter 1 << i.
//! assert_eq!(register_counters(0).count(), 32);
//! assert!(register_keys(&ik, 0).count() == 32);
//! ```
use keyfort::dukpt::aes::{AesDerivationKey, AesInitialKey, AesKsn};

/// Every counter whose derivation key a terminal loaded at counter 1 can hold in one of
/// its 32 registers while its next counter runs from 1 to `max` (a superset: registers
/// not in use at a given counter are counted too). Each counter once: by register (lowest
/// set bit) `0..32`, ascending within a register; about `max + 32` values. Includes
/// counters no device uses (more than 16 one-bits), which a terminal never derives:
/// [`register_keys`] leaves those out.
pub fn register_counters(max: u32) -> impl Iterator<Item = u32> {
    (0..32u32).flat_map(move |i| {
        let highest = max.checked_shr(i + 1).unwrap_or(0);
        (0..=highest).map(move |k| k.checked_shl(i + 1).unwrap_or(0) | (1u32 << i))
    })
}

/// The derivation keys of [`register_counters`]`(max)` that a device can use (counter at
/// most 16 one-bits): every key a terminal loaded with `ik` can have held in a register
/// (and released as a transaction's key) up to counter `max`. Each is derived from the
/// initial key (up to 32 AES steps).
pub fn register_keys(ik: &AesInitialKey, max: u32) -> impl Iterator<Item = AesDerivationKey> + '_ {
    register_counters(max)
        .filter(|&c| {
            AesKsn::new(ik.initial_key_id(), c)
                .check_device_counter()
                .is_ok()
        })
        .filter_map(|c| ik.derivation_key_any_counter(c).ok())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use keyfort::dukpt::aes::{AesBdk, AesTerminal};
    use keyfort::dukpt::NoPersist;
    use std::collections::BTreeSet;
    use std::vec::Vec;

    #[test]
    fn counters_once_each_and_each_the_register_rule() {
        for max in [0u32, 1, 2, 7, 64, 300, u32::MAX >> 20] {
            let v: Vec<u32> = register_counters(max).collect();
            let set: BTreeSet<u32> = v.iter().copied().collect();
            assert_eq!(set.len(), v.len(), "duplicates at max {max}");
            // The rule itself, brute force over every next counter and register.
            let mut want = BTreeSet::new();
            for c in 1..=max {
                for i in 0..32u32 {
                    let above = c
                        .checked_shr(i + 1)
                        .unwrap_or(0)
                        .checked_shl(i + 1)
                        .unwrap_or(0);
                    want.insert(above | (1 << i));
                }
            }
            if max == 0 {
                // No transaction yet: the registers as loaded (counter 1 << i).
                want = (0..32).map(|i| 1u32 << i).collect();
            }
            assert_eq!(set, want, "max {max}");
        }
    }

    #[test]
    fn every_register_a_running_terminal_holds_is_listed() {
        let bdk = AesBdk::new(&keyfort::key::TypedKey::raw_aes(&[0x5A; 16]).unwrap()).unwrap();
        let ik = bdk.initial_key(&[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let max = 200;
        let listed: BTreeSet<Vec<u8>> = register_keys(&ik, max)
            .map(|k| k.expose().to_vec())
            .collect();
        // Negative control: a key the terminal never holds (another initial key's) is not.
        let other = bdk.initial_key(&[8, 7, 6, 5, 4, 3, 2, 1]).unwrap();
        let stranger = other.derivation_key_any_counter(1).unwrap();
        assert!(!listed.contains(stranger.expose()));
        let mut t = AesTerminal::load(&ik, &mut NoPersist).unwrap();
        let mut seen = 0;
        loop {
            for i in 0..32 {
                if let Some(r) = t.register(i) {
                    assert!(
                        listed.contains(r.expose()),
                        "register {i} at {:?} not listed",
                        t.next_counter()
                    );
                    seen += 1;
                }
            }
            if t.next_counter().is_none_or(|c| c >= max) {
                break;
            }
            let tx = t.next_transaction(&mut NoPersist).unwrap();
            // The transaction's key (its register's value) is listed too.
            let dk = bdk.derivation_key(tx.ksn()).unwrap();
            assert!(
                listed.contains(dk.expose()),
                "counter {}",
                tx.ksn().counter()
            );
        }
        assert!(seen > 32 * 100, "the walk ran ({seen} registers checked)");
    }
}
