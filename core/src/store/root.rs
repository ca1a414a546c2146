//! The root sector: geometry and the salt slots. The live salt slot holds the random
//! per-store salt from which (with the device secret) the sealing keys are derived.
//! Killing the slot (programming its live block to zero) marks a wipe in progress;
//! zeroing its salt is the crypto-erase. A new slot is used for the next store.
use embedded_storage::nor_flash::NorFlash;
use rand_core::CryptoRng;
use zeroize::Zeroize;

use super::error::Error;
use super::format::*;
use super::seal::{root_tag, tag_eq, SealKeys};
use super::KeyStore;
use crate::platform::{DeviceSecret, MonotonicCounter};

/// What the root sector says.
pub(crate) enum RootState {
    /// Blank, or a format that never completed.
    Unformatted,
    /// A live salt slot.
    Live {
        slot: u32,
        salt: [u8; 32],
        gen: u32,
        origin: u8,
    },
    /// The newest slot is killed (or a replacement is half-written): a wipe is in
    /// progress. `killed` is the slot to zero, `next` the first unused slot.
    Wiping { killed: u32, next: u32 },
}

impl<F, D, R, C> KeyStore<F, D, R, C>
where
    F: NorFlash,
    D: DeviceSecret,
    R: CryptoRng,
    C: MonotonicCounter,
{
    pub(crate) fn slots(&self) -> u32 {
        u32f((self.sector_size as usize - ROOT_HDR_LEN) / SLOT_LEN)
    }

    fn slot_tag(&self, i: u32, body: &[u8]) -> [u8; TAG_LEN] {
        root_tag(&self.dev, &[b"slot", &i.to_le_bytes(), body])
    }

    pub(crate) fn read_root(&mut self) -> Result<RootState, Error> {
        let mut h = [0u8; ROOT_HDR_LEN];
        self.fread(0, &mut h)?;
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
        // The newest non-empty slot decides.
        let mut last: Option<(u32, u8)> = None; // (index, 0 torn / 1 live / 2 killed)
        let mut killed_before: Option<u32> = None;
        let mut next = 0;
        for i in 0..self.slots() {
            let mut s = [0u8; SLOT_LEN];
            self.fread(u32f(slot_offset(i as usize)), &mut s)?;
            if blank(&s) {
                break;
            }
            next = i + 1;
            let st = if blank(&s[SLOT_BODY_LEN..]) {
                0
            } else if s[SLOT_BODY_LEN..] == LIVE_PATTERN {
                1
            } else {
                2
            };
            if st == 2 {
                killed_before = Some(i);
            }
            last = Some((i, st));
        }
        match last {
            None => Ok(RootState::Unformatted),
            Some((i, 1)) => {
                let mut s = [0u8; SLOT_LEN];
                self.fread(u32f(slot_offset(i as usize)), &mut s)?;
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
            Some((i, 2)) => Ok(RootState::Wiping { killed: i, next }),
            Some((i, _)) => match (i, killed_before) {
                // The very first slot half-written: the format never completed.
                (0, _) => Ok(RootState::Unformatted),
                // A replacement slot half-written right after a kill: resume the wipe.
                (i, Some(k)) if k + 1 == i => Ok(RootState::Wiping { killed: k, next }),
                // Written after a live slot: never done by the store.
                _ => Err(Error::Corrupt),
            },
        }
    }

    /// Erases the root sector and writes its header.
    pub(crate) fn write_root_header(&mut self) -> Result<(), Error> {
        self.ferase(0)?;
        let f = root_header(self.sector_size, self.sectors);
        let t = root_tag(&self.dev, &[b"root", &f]);
        let mut h = [0u8; ROOT_HDR_LEN];
        h[..16].copy_from_slice(&f);
        h[16..].copy_from_slice(&t);
        self.fwrite(0, &h)
    }

    /// Writes salt slot `i` with a fresh salt (body, then live block) and derives keys.
    pub(crate) fn create_slot(&mut self, i: u32, origin: u8) -> Result<(), Error> {
        let mut s = [0u8; SLOT_BODY_LEN];
        self.rng.fill_bytes(&mut s[..32]);
        s[32..36].copy_from_slice(&self.hw.to_le_bytes());
        s[36] = origin;
        let t = self.slot_tag(i, &s[..48]);
        s[48..64].copy_from_slice(&t);
        let off = u32f(slot_offset(i as usize));
        let r = self.fwrite(off, &s);
        let mut salt = [0u8; 32];
        salt.copy_from_slice(&s[..32]);
        s.zeroize();
        if let Err(e) = r {
            salt.zeroize();
            return Err(e);
        }
        if let Err(e) = self.fwrite(off + u32f(SLOT_BODY_LEN), &LIVE_PATTERN) {
            salt.zeroize();
            return Err(e);
        }
        self.keys = Some(SealKeys::derive(&self.dev, &salt, &mut self.rng));
        salt.zeroize();
        self.salt_slot = i;
        Ok(())
    }

    /// Marks slot `i` killed (wipe in progress).
    pub(crate) fn kill_slot(&mut self, i: u32) -> Result<(), Error> {
        let off = u32f(slot_offset(i as usize)) + u32f(SLOT_BODY_LEN);
        self.fwrite(off, &[0u8; UNIT])
    }

    /// Destroys slot `i`'s salt by programming it to zero.
    pub(crate) fn zero_salt(&mut self, i: u32) -> Result<(), Error> {
        let off = u32f(slot_offset(i as usize));
        self.fwrite(off, &[0u8; 32])
    }
}
