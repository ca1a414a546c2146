//! The root sector: geometry and the salt slots. The live salt slot holds the random
//! per-store salt from which (with the device secret) the sealing keys are derived.
//! Killing the slot (programming its live block to zero) marks a wipe in progress;
//! zeroing its salt is the crypto-erase. A new slot is used for the next store.
use embedded_storage::nor_flash::MultiwriteNorFlash;
use rand_core::TryCryptoRng;
use zeroize::Zeroize;

use super::error::Error;
use super::format::*;
use super::seal::{tag_eq, RootKey, Seal};
use super::sectors::Sectors;
use crate::platform::DeviceSecret;

/// What the root sector says.
pub(crate) enum RootState {
    /// Blank, or a format that never completed (no slot decodes as live or killed).
    Unformatted,
    /// A live salt slot.
    Live {
        slot: u32,
        salt: [u8; 32],
        gen: u32,
        origin: u8,
    },
    /// The newest live-or-killed slot is killed: a wipe is in progress. `killed` is the
    /// slot to zero, `next` the first erased slot after every written one.
    Wiping { killed: u32, next: u32 },
}

/// What a slot's 16-byte live block says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Erased: the slot's creation never finished (or the slot was never used).
    Unset,
    /// [`LIVE_PATTERN`]: the slot holds the store's salt.
    Live,
    /// Programmed to zero: the slot was killed, a tamper wipe is in progress or done.
    Killed,
}

/// Decodes a live block to the nearest of the three patterns the store ever programs
/// there: erased (all ones), [`LIVE_PATTERN`] and all zeros. They are at least
/// 55 bits apart (the ones of `LIVE_PATTERN`; it has 73 zeros), so a few flipped bits decode to
/// what was written, and a torn program (which moves the block from one pattern towards
/// the next) counts as the one it is nearer to. A tie between live and killed counts
/// as killed (a kill that got half-way is finished), a tie between erased and live as
/// erased (a creation that got half-way is not used).
pub(crate) fn decode_live(b: &[u8; UNIT]) -> Mark {
    let (mut to_blank, mut to_live, mut to_zero) = (0u32, 0u32, 0u32);
    for (x, l) in b.iter().zip(LIVE_PATTERN.iter()) {
        to_blank += (!x).count_ones();
        to_live += (x ^ l).count_ones();
        to_zero += x.count_ones();
    }
    if to_zero <= to_live && to_zero < to_blank {
        Mark::Killed
    } else if to_live < to_blank {
        Mark::Live
    } else {
        Mark::Unset
    }
}

/// The root sector as the store uses it: which salt slot holds the live store.
#[derive(Default)]
pub(crate) struct Root {
    /// The live salt slot (valid once the store is open).
    pub(crate) slot: u32,
}

impl Root {
    /// Salt slots in the root sector.
    #[allow(clippy::integer_division_remainder_used)] // the public sector size over the slot size
    pub(crate) fn slots<F: MultiwriteNorFlash>(io: &Sectors<F>) -> u32 {
        u32f((io.size() as usize - ROOT_HDR_LEN) / SLOT_LEN)
    }

    fn slot_tag(key: &RootKey, i: u32, body: &[u8]) -> [u8; TAG_LEN] {
        key.tag(&[b"slot", &i.to_le_bytes(), body])
    }

    pub(crate) fn read<F: MultiwriteNorFlash, D: DeviceSecret>(
        io: &mut Sectors<F>,
        dev: &D,
    ) -> Result<RootState, Error> {
        let mut h = [0u8; ROOT_HDR_LEN];
        io.read(0, &mut h)?;
        if blank(&h) {
            return Ok(RootState::Unformatted);
        }
        // Derived once for the header and the live slot.
        let key = RootKey::derive(dev);
        let t = key.tag(&[b"root", &h[..16]]);
        if !tag_eq(&t, &h[16..32]) {
            return Err(Error::RootAuth);
        }
        if h[4] != FORMAT_VERSION {
            return Err(Error::FormatVersion);
        }
        if h[..16] != root_header(io.size(), io.count()) {
            return Err(Error::Geometry);
        }
        // The newest slot that decodes as live or killed decides (see `decode_live`).
        let mut last: Option<(u32, Mark)> = None;
        let mut next = 0;
        for i in 0..Self::slots(io) {
            let mut s = [0u8; SLOT_LEN];
            io.read(u32f(slot_offset(i as usize)), &mut s)?;
            if blank(&s) {
                break;
            }
            next = i + 1;
            let mut live = [0u8; UNIT];
            live.copy_from_slice(&s[SLOT_BODY_LEN..]);
            s.zeroize();
            match decode_live(&live) {
                // Never completed (a torn creation), or garbage in a slot the store
                // never wrote: not evidence of anything, skipped.
                Mark::Unset => {}
                m => last = Some((i, m)),
            }
        }
        match last {
            None => Ok(RootState::Unformatted),
            Some((i, Mark::Live)) => {
                let mut s = [0u8; SLOT_LEN];
                io.read(u32f(slot_offset(i as usize)), &mut s)?;
                let t = Self::slot_tag(&key, i, &s[..48]);
                if !tag_eq(&t, &s[48..64]) {
                    s.zeroize();
                    return Err(Error::RootAuth);
                }
                let mut salt = [0u8; 32];
                salt.copy_from_slice(&s[..32]);
                let gen = u32::from_le_bytes([s[32], s[33], s[34], s[35]]);
                let origin = s[36];
                s.zeroize();
                Ok(RootState::Live {
                    slot: i,
                    salt,
                    gen,
                    origin,
                })
            }
            Some((i, _)) => Ok(RootState::Wiping { killed: i, next }),
        }
    }

    /// The first salt slot after `after` that is still erased (`slots()` if none).
    pub(crate) fn free_slot_after<F: MultiwriteNorFlash>(
        io: &mut Sectors<F>,
        after: u32,
    ) -> Result<u32, Error> {
        let mut i = after + 1;
        while i < Self::slots(io) {
            let mut s = [0u8; SLOT_LEN];
            io.read(u32f(slot_offset(i as usize)), &mut s)?;
            let free = blank(&s);
            s.zeroize();
            if free {
                break;
            }
            i += 1;
        }
        Ok(i)
    }

    /// Erases the root sector and writes its header.
    pub(crate) fn write_header<F: MultiwriteNorFlash, D: DeviceSecret>(
        io: &mut Sectors<F>,
        dev: &D,
    ) -> Result<(), Error> {
        io.erase(0)?;
        let f = root_header(io.size(), io.count());
        let t = RootKey::derive(dev).tag(&[b"root", &f]);
        let mut h = [0u8; ROOT_HDR_LEN];
        h[..16].copy_from_slice(&f);
        h[16..].copy_from_slice(&t);
        io.program(0, &h)
    }

    /// Writes salt slot `i` with a fresh salt (body, then live block) stamped with
    /// counter value `gen`, makes it the live slot and returns its sealing keys.
    pub(crate) fn create_slot<F: MultiwriteNorFlash, D: DeviceSecret, R: TryCryptoRng>(
        &mut self,
        io: &mut Sectors<F>,
        dev: &D,
        rng: &mut R,
        i: u32,
        origin: u8,
        gen: u32,
    ) -> Result<Seal, Error> {
        let mut s = [0u8; SLOT_BODY_LEN];
        // Fail closed: no salt from an RNG that refuses (health test or reseed failed).
        if rng.try_fill_bytes(&mut s[..32]).is_err() {
            s.zeroize();
            return Err(Error::Rng);
        }
        s[32..36].copy_from_slice(&gen.to_le_bytes());
        s[36] = origin;
        let t = Self::slot_tag(&RootKey::derive(dev), i, &s[..48]);
        s[48..64].copy_from_slice(&t);
        let off = u32f(slot_offset(i as usize));
        let r = io.program(off, &s);
        let mut salt = [0u8; 32];
        salt.copy_from_slice(&s[..32]);
        s.zeroize();
        if let Err(e) = r {
            salt.zeroize();
            return Err(e);
        }
        if let Err(e) = io.program(off + u32f(SLOT_BODY_LEN), &LIVE_PATTERN) {
            salt.zeroize();
            return Err(e);
        }
        let keys = Seal::derive(dev, &salt, rng);
        salt.zeroize();
        let keys = keys?;
        self.slot = i;
        Ok(keys)
    }

    /// Marks slot `i` killed (wipe in progress): its live block, programmed once with
    /// [`LIVE_PATTERN`], is programmed to zero (a second program of those words).
    pub(crate) fn kill_slot<F: MultiwriteNorFlash>(
        io: &mut Sectors<F>,
        i: u32,
    ) -> Result<(), Error> {
        let off = u32f(slot_offset(i as usize)) + u32f(SLOT_BODY_LEN);
        io.program(off, &[0u8; UNIT])
    }

    /// Destroys slot `i`'s salt by programming it to zero (a second program of those
    /// words; skipped when a resumed wipe finds it zero already, so no word is
    /// programmed a third time).
    pub(crate) fn zero_salt<F: MultiwriteNorFlash>(
        io: &mut Sectors<F>,
        i: u32,
    ) -> Result<(), Error> {
        let off = u32f(slot_offset(i as usize));
        let mut salt = [0u8; 32];
        io.read(off, &mut salt)?;
        let done = salt.iter().all(|&b| b == 0);
        salt.zeroize();
        if done {
            return Ok(());
        }
        io.program(off, &[0u8; 32])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use keyfort_testkit::MockFlash;

    struct Dev(u8);
    impl DeviceSecret for Dev {
        fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R {
            f(&[self.0; 32])
        }
    }
    struct Rng(u8);
    impl rand_core::TryRng for Rng {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(0)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(0)
        }
        fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> {
            for b in d {
                self.0 = self.0.wrapping_mul(5).wrapping_add(3);
                *b = self.0;
            }
            Ok(())
        }
    }
    impl TryCryptoRng for Rng {}

    type Io = Sectors<MockFlash<{ 3 * 512 }, 512>>;

    fn formatted() -> (Io, Root) {
        let mut io = Sectors::new(MockFlash::new()).unwrap();
        Root::write_header(&mut io, &Dev(1)).unwrap();
        let mut root = Root::default();
        root.create_slot(&mut io, &Dev(1), &mut Rng(0), 0, ORIGIN_FORMAT, 7)
            .unwrap();
        (io, root)
    }

    #[test]
    fn blank_is_unformatted_and_a_slot_goes_live() {
        let mut io: Io = Sectors::new(MockFlash::new()).unwrap();
        assert!(matches!(
            Root::read(&mut io, &Dev(1)),
            Ok(RootState::Unformatted)
        ));
        let (mut io, root) = formatted();
        assert_eq!(root.slot, 0);
        let live = match Root::read(&mut io, &Dev(1)).unwrap() {
            RootState::Live {
                slot, gen, origin, ..
            } => Some((slot, gen, origin)),
            _ => None,
        };
        assert_eq!(live, Some((0, 7, ORIGIN_FORMAT)));
        // Another device's root does not authenticate.
        assert_eq!(Root::read(&mut io, &Dev(2)).err(), Some(Error::RootAuth));
    }

    #[test]
    fn killed_slot_means_wiping_and_the_next_free_slot_is_after_it() {
        let (mut io, _) = formatted();
        assert_eq!(Root::free_slot_after(&mut io, 0).unwrap(), 1);
        Root::kill_slot(&mut io, 0).unwrap();
        assert!(matches!(
            Root::read(&mut io, &Dev(1)),
            Ok(RootState::Wiping { killed: 0, next: 1 })
        ));
        Root::zero_salt(&mut io, 0).unwrap();
        let programmed = io.flash().bytes_written();
        // Resumed: the salt is zero already and is not programmed again.
        Root::zero_salt(&mut io, 0).unwrap();
        assert_eq!(io.flash().bytes_written(), programmed);
        let off = slot_offset(0);
        assert!(io.flash().as_bytes()[off..off + 32].iter().all(|&b| b == 0));
    }

    #[test]
    fn live_block_decoding_is_nearest_pattern() {
        assert_eq!(decode_live(&[0xFF; UNIT]), Mark::Unset);
        assert_eq!(decode_live(&LIVE_PATTERN), Mark::Live);
        assert_eq!(decode_live(&[0; UNIT]), Mark::Killed);
        let mut flipped = LIVE_PATTERN;
        flipped[0] ^= 0x81;
        flipped[9] ^= 0x10;
        assert_eq!(decode_live(&flipped), Mark::Live);
        let mut torn_kill = [0u8; UNIT];
        torn_kill[..4].copy_from_slice(&LIVE_PATTERN[..4]);
        assert_eq!(decode_live(&torn_kill), Mark::Killed);
    }
}
