//! The root sector: geometry and the salt slots. The live salt slot holds the random
//! per-store salt from which (with the device secret) the sealing keys are derived.
//! Killing the slot (programming its live block to zero) marks a wipe in progress;
//! zeroing its salt is the crypto-erase. A new slot is used for the next store.
use embedded_storage::nor_flash::NorFlash;
use rand_core::TryCryptoRng;
use zeroize::Zeroize;

use super::error::Error;
use super::format::*;
use super::seal::{root_tag, tag_eq, SealKeys};
use super::KeyStore;
use crate::platform::{DeviceSecret, MonotonicCounter};

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

impl<F, D, R, C> KeyStore<F, D, R, C>
where
    F: NorFlash,
    D: DeviceSecret,
    R: TryCryptoRng,
    C: MonotonicCounter,
{
    #[allow(clippy::integer_division_remainder_used)] // the public sector size over the slot size
    pub(crate) fn slots(&self) -> u32 {
        u32f((self.sector_size as usize - ROOT_HDR_LEN) / SLOT_LEN)
    }

    fn slot_tag(&self, i: u32, body: &[u8]) -> [u8; TAG_LEN] {
        root_tag(&self.dev, &[b"slot", &i.to_le_bytes(), body])
    }

    pub(crate) fn read_root(&mut self) -> Result<RootState, Error> {
        let mut h = [0u8; ROOT_HDR_LEN];
        self.flash_read(0, &mut h)?;
        if blank(&h) {
            return Ok(RootState::Unformatted);
        }
        let t = root_tag(&self.dev, &[b"root", &h[..16]]);
        if !tag_eq(&t, &h[16..32]) {
            return Err(Error::RootAuth);
        }
        if h[4] != FORMAT_VERSION {
            return Err(Error::FormatVersion);
        }
        if h[..16] != root_header(self.sector_size, self.sectors) {
            return Err(Error::Geometry);
        }
        // The newest slot that decodes as live or killed decides (see `decode_live`).
        let mut last: Option<(u32, Mark)> = None;
        let mut next = 0;
        for i in 0..self.slots() {
            let mut s = [0u8; SLOT_LEN];
            self.flash_read(u32f(slot_offset(i as usize)), &mut s)?;
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
                self.flash_read(u32f(slot_offset(i as usize)), &mut s)?;
                let t = self.slot_tag(i, &s[..48]);
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
    pub(crate) fn free_slot_after(&mut self, after: u32) -> Result<u32, Error> {
        let mut i = after + 1;
        while i < self.slots() {
            let mut s = [0u8; SLOT_LEN];
            self.flash_read(u32f(slot_offset(i as usize)), &mut s)?;
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
    pub(crate) fn write_root_header(&mut self) -> Result<(), Error> {
        self.flash_erase(0)?;
        let f = root_header(self.sector_size, self.sectors);
        let t = root_tag(&self.dev, &[b"root", &f]);
        let mut h = [0u8; ROOT_HDR_LEN];
        h[..16].copy_from_slice(&f);
        h[16..].copy_from_slice(&t);
        self.flash_write(0, &h)
    }

    /// Writes salt slot `i` with a fresh salt (body, then live block) and derives keys.
    pub(crate) fn create_slot(&mut self, i: u32, origin: u8) -> Result<(), Error> {
        let mut s = [0u8; SLOT_BODY_LEN];
        // Fail closed: no salt from an RNG that refuses (health test or reseed failed).
        if self.rng.try_fill_bytes(&mut s[..32]).is_err() {
            s.zeroize();
            return Err(Error::Rng);
        }
        s[32..36].copy_from_slice(&self.counter_high_water.to_le_bytes());
        s[36] = origin;
        let t = self.slot_tag(i, &s[..48]);
        s[48..64].copy_from_slice(&t);
        let off = u32f(slot_offset(i as usize));
        let r = self.flash_write(off, &s);
        let mut salt = [0u8; 32];
        salt.copy_from_slice(&s[..32]);
        s.zeroize();
        if let Err(e) = r {
            salt.zeroize();
            return Err(e);
        }
        if let Err(e) = self.flash_write(off + u32f(SLOT_BODY_LEN), &LIVE_PATTERN) {
            salt.zeroize();
            return Err(e);
        }
        let keys = SealKeys::derive(&self.dev, &salt, &mut self.rng);
        salt.zeroize();
        self.keys = Some(keys?);
        self.salt_slot = i;
        Ok(())
    }

    /// Marks slot `i` killed (wipe in progress).
    pub(crate) fn kill_slot(&mut self, i: u32) -> Result<(), Error> {
        let off = u32f(slot_offset(i as usize)) + u32f(SLOT_BODY_LEN);
        self.flash_write(off, &[0u8; UNIT])
    }

    /// Destroys slot `i`'s salt by programming it to zero.
    pub(crate) fn zero_salt(&mut self, i: u32) -> Result<(), Error> {
        let off = u32f(slot_offset(i as usize));
        self.flash_write(off, &[0u8; 32])
    }
}
