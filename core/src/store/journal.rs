//! The log: sector headers, chained records, append, scan and compaction.
//!
//! One data sector is *current*: it starts with a snapshot of every live record (closed
//! by a `SnapEnd` record) followed by appended records. Each record is written header
//! first, then body, then tag, then a separate commit block; a record whose commit block
//! is still erased is uncommitted and is accepted only as the very last thing in the
//! sector (a torn write), after which the sector takes no more appends. Compaction
//! writes a new snapshot into the next data sector (round robin, which spreads wear),
//! and only after its `SnapEnd` is committed erases the old sector.
use embedded_storage::nor_flash::NorFlash;
use rand_core::TryCryptoRng;
use zeroize::Zeroize;

use super::audit::{AuditCode, AuditEvent, EVENT_LEN};
use super::error::Error;
use super::format::*;
use super::seal::{ctr_xor_body, tag_eq, HmacSha256};
use super::{Entry, KeyStore};
use crate::platform::{DeviceSecret, MonotonicCounter};
use hmac::Mac;

/// Where a record body comes from.
pub(crate) enum Body<'a> {
    /// No body.
    None,
    /// Plaintext to encrypt under the record's nonce.
    Plain(&'a [u8]),
    /// Ciphertext carried over from a live record (same nonce and binding). Each unit is
    /// read from flash once, authenticated as part of the source record and written into
    /// the new one; the new record's tag is written only after the source's tag verified.
    Copy(Source),
}

/// A live record to copy: where it is, the sector sequence it is chained under, and the
/// header the index holds for it (verified when the store was opened).
#[derive(Clone, Copy)]
pub(crate) struct Source {
    pub off: u32,
    pub seq: u32,
    pub hdr: RecHeader,
}

/// Where the body of a record goes while [`KeyStore::read_record`] reads it. Each byte
/// of the record is read from flash exactly once; what the MAC check covers is what the
/// caller gets, and nothing is used if the check fails.
pub(crate) enum Sink<'a> {
    /// Authenticated only.
    Discard,
    /// The ciphertext kept in RAM: the first `min(body_len, buf.len())` body bytes
    /// (wiped again if the record does not verify).
    Ram(&'a mut [u8]),
    /// Carried into a new record: every unit is fed to `mac` (the new record's MAC) and
    /// programmed at `dst` onwards.
    Copy { dst: u32, mac: &'a mut HmacSha256 },
}

/// A record that verified: its header and its tag (the next record's chain input), both
/// the bytes the MAC check covered.
pub(crate) struct Verified {
    pub hdr: RecHeader,
    pub tag: [u8; TAG_LEN],
}

/// Outcome of scanning one sector.
pub(crate) struct Scan {
    pub complete: bool,
    pub end: u32,
    pub closed: bool,
    pub last_tag: [u8; TAG_LEN],
    pub max_gen: u32,
    pub max_nonce: u32,
    pub pending_destroy: bool,
}

impl<F, D, R, C> KeyStore<F, D, R, C>
where
    F: NorFlash,
    D: DeviceSecret,
    R: TryCryptoRng,
    C: MonotonicCounter,
{
    /// Reads flash; a failure marks the store broken (reopen).
    pub(crate) fn flash_read(&mut self, off: u32, buf: &mut [u8]) -> Result<(), Error> {
        self.flash.read(off, buf).map_err(|_| {
            self.broken = true;
            Error::Flash
        })
    }

    /// Programs flash; a failure marks the store broken (reopen).
    pub(crate) fn flash_write(&mut self, off: u32, buf: &[u8]) -> Result<(), Error> {
        self.flash.write(off, buf).map_err(|_| {
            self.broken = true;
            Error::Flash
        })
    }

    /// Erases sector `sector`; a failure marks the store broken (reopen).
    pub(crate) fn flash_erase(&mut self, sector: u32) -> Result<(), Error> {
        let base = self.base(sector);
        self.flash
            .erase(base, base + self.sector_size)
            .map_err(|_| {
                self.broken = true;
                Error::Flash
            })
    }

    pub(crate) fn base(&self, sector: u32) -> u32 {
        sector * self.sector_size
    }

    /// Whether `[from, to)` is erased.
    pub(crate) fn region_blank(&mut self, from: u32, to: u32) -> Result<bool, Error> {
        let mut off = from;
        let mut buf = [0u8; 64];
        while off < to {
            let n = core::cmp::min(64, (to - off) as usize);
            let b = buf.get_mut(..n).ok_or(Error::LogicBug)?;
            self.flash_read(off, b)?;
            if !blank(b) {
                return Ok(false);
            }
            off += u32f(n);
        }
        Ok(true)
    }

    /// The sector header of data sector `s` if it authenticates: (header, tag).
    pub(crate) fn read_sector_header(
        &mut self,
        s: u32,
    ) -> Result<Option<(SectorHeader, [u8; TAG_LEN])>, Error> {
        let mut b = [0u8; 48];
        self.flash_read(self.base(s), &mut b)?;
        let mut fields = [0u8; 32];
        fields.copy_from_slice(&b[..32]);
        let Some(h) = SectorHeader::decode(&fields) else {
            return Ok(None);
        };
        let keys = self.keys.as_mut().ok_or(Error::LogicBug)?;
        let mut m = keys.mac(&mut self.rng)?;
        m.update(b"sector");
        m.update(&fields);
        let full = m.finalize().into_bytes();
        if !tag_eq(&full[..TAG_LEN], &b[32..48]) {
            return Ok(None);
        }
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&b[32..48]);
        Ok(Some((h, tag)))
    }

    /// Reads the record at `off` (chained to the tag just before it, in a sector of
    /// sequence `sector_seq`) once, verifies it, and hands its body to `sink`. `Ok(None)`:
    /// uncommitted. `expect`: the header the index holds; anything else on flash is
    /// [`Error::Corrupt`] (checked before any body byte goes anywhere). Errors: `Corrupt`
    /// for a bad tag or structure, `FormatVersion`.
    #[allow(clippy::integer_division_remainder_used)] // the sector of a public flash offset
    pub(crate) fn read_record(
        &mut self,
        off: u32,
        sector_seq: u32,
        expect: Option<&RecHeader>,
        mut sink: Sink<'_>,
    ) -> Result<Option<Verified>, Error> {
        let limit = self.base(off / self.sector_size) + self.sector_size;
        let mut hb = [0u8; REC_HDR_LEN];
        self.flash_read(off, &mut hb)?;
        let len = u32f(RecHeader::checked_len(&hb).ok_or(Error::Corrupt)?);
        if off + len > limit {
            return Err(Error::Corrupt);
        }
        if expect.is_some_and(|e| *e != RecHeader::decode(&hb)) {
            return Err(Error::Corrupt);
        }
        let mut commit = [0u8; UNIT];
        self.flash_read(off + len - u32f(UNIT), &mut commit)?;
        if blank(&commit) {
            return Ok(None);
        }
        let mut prev = [0u8; TAG_LEN];
        self.flash_read(off - 32, &mut prev)?;
        let keys = self.keys.as_mut().ok_or(Error::LogicBug)?;
        let mut m = keys.mac(&mut self.rng)?;
        m.update(&prev);
        m.update(&sector_seq.to_le_bytes());
        m.update(&hb);
        let body = off + u32f(REC_HDR_LEN);
        let body_end = off + len - u32f(TAG_LEN + UNIT);
        let mut p = body;
        let mut chunk = [0u8; UNIT];
        let mut kept = 0usize;
        let mut res = Ok(());
        while p < body_end {
            if let Err(e) = self.flash_read(p, &mut chunk) {
                res = Err(e);
                break;
            }
            m.update(&chunk);
            let i = (p - body) as usize;
            match &mut sink {
                Sink::Discard => {}
                Sink::Ram(buf) => {
                    let n = buf.len().saturating_sub(i).min(UNIT);
                    if let (Some(d), Some(c)) = (buf.get_mut(i..i + n), chunk.get(..n)) {
                        d.copy_from_slice(c);
                        kept = i + n;
                    }
                }
                Sink::Copy { dst, mac } => {
                    mac.update(&chunk);
                    if let Err(e) = self.flash_write(*dst + u32f(i), &chunk) {
                        res = Err(e);
                        break;
                    }
                }
            }
            p += u32f(UNIT);
        }
        let mut tag = [0u8; TAG_LEN];
        if res.is_ok() {
            res = self.flash_read(body_end, &mut tag);
        }
        if res.is_ok() {
            let full = m.finalize().into_bytes();
            if !tag_eq(&full[..TAG_LEN], &tag) {
                res = Err(Error::Corrupt);
            }
        }
        let h = RecHeader::decode(&hb);
        if res.is_ok() && h.version != FORMAT_VERSION {
            res = Err(Error::FormatVersion);
        }
        if res.is_ok() && !h.well_formed() {
            res = Err(Error::Corrupt);
        }
        if let Sink::Ram(buf) = sink {
            // Only the body itself, and only if it verified: padding and a record that
            // failed leave nothing behind.
            let from = if res.is_ok() {
                usize::from(h.body_len)
            } else {
                0
            };
            if let Some(rest) = buf.get_mut(from..kept) {
                rest.zeroize();
            }
        }
        res.map(|()| Some(Verified { hdr: h, tag }))
    }

    /// Decrypts a verified body held in RAM in place (`buf` is the body, or its first
    /// part). On failure `buf` is wiped.
    pub(crate) fn decrypt_in_place(&mut self, h: &RecHeader, buf: &mut [u8]) -> Result<(), Error> {
        let binding = (h.nonce, h.kind, h.slot, h.kver);
        let r = match self.keys.as_mut() {
            Some(keys) => keys.with_aes(&mut self.rng, |aes| {
                aes.map(|a| ctr_xor_body(a, binding, 0, buf)).is_some()
            }),
            None => Ok(false),
        };
        match r {
            Ok(true) => Ok(()),
            Ok(false) => {
                buf.zeroize();
                Err(Error::LogicBug)
            }
            Err(e) => {
                buf.zeroize();
                Err(e)
            }
        }
    }

    /// Scans data sector `s` (header already verified), applying records to the index.
    pub(crate) fn scan_sector(
        &mut self,
        s: u32,
        hdr: &SectorHeader,
        hdr_tag: [u8; TAG_LEN],
    ) -> Result<Scan, Error> {
        let base = self.base(s);
        let limit = base + self.sector_size;
        let mut sc = Scan {
            complete: false,
            end: base + u32f(SECTOR_HDR_LEN),
            closed: false,
            last_tag: hdr_tag,
            max_gen: hdr.gen,
            max_nonce: hdr.next_nonce,
            pending_destroy: false,
        };
        self.floor = hdr.floor;
        let mut off = sc.end;
        loop {
            if off + u32f(REC_OVERHEAD) > limit {
                // Not even an empty record fits: the sector is full.
                sc.closed = true;
                break;
            }
            let mut lw = [0u8; 4];
            self.flash_read(off, &mut lw)?;
            if blank(&lw) {
                if self.region_blank(off, limit)? {
                    break;
                }
                return Err(Error::Corrupt);
            }
            let Some(len) = RecHeader::checked_len(&lw) else {
                // A torn length word is only acceptable as the last thing written.
                if self.region_blank(off + 4, limit)? {
                    sc.closed = true;
                    break;
                }
                return Err(Error::Corrupt);
            };
            let len = u32f(len);
            if off + len > limit {
                return Err(Error::Corrupt);
            }
            // Every record's first bytes land in `ring` (ciphertext): the audit ring's
            // body is then the verified copy read during the scan, not a second read.
            let mut ring = [0u8; EVENT_LEN * super::audit::AUDIT_CAP];
            match self.read_record(off, hdr.seq, None, Sink::Ram(&mut ring))? {
                None => {
                    if self.region_blank(off + len, limit)? {
                        sc.closed = true;
                        break;
                    }
                    return Err(Error::Corrupt);
                }
                Some(v) => {
                    let h = v.hdr;
                    if sc.complete && h.kind == Kind::SnapEnd as u8 {
                        return Err(Error::Corrupt);
                    }
                    if !sc.complete && h.kind == Kind::Tombstone as u8 {
                        return Err(Error::Corrupt);
                    }
                    sc.max_gen = sc.max_gen.max(h.gen);
                    sc.max_nonce = sc.max_nonce.max(h.nonce.saturating_add(1));
                    sc.max_nonce = sc.max_nonce.max(h.seq.saturating_add(1));
                    if h.kind == Kind::Tombstone as u8 {
                        sc.pending_destroy = true;
                    }
                    self.apply(&h, off, sc.complete, &mut ring)?;
                    if h.kind == Kind::SnapEnd as u8 {
                        sc.complete = true;
                    }
                    sc.last_tag = v.tag;
                    off += u32::from(h.len);
                    sc.end = off;
                }
            }
        }
        Ok(sc)
    }

    /// Applies an authentic record to the RAM index and audit ring. `ring`: the verified
    /// ciphertext of the record's body (used for the audit ring record only).
    #[allow(clippy::integer_division_remainder_used)] // public record lengths against the event size
    fn apply(
        &mut self,
        h: &RecHeader,
        off: u32,
        appended: bool,
        ring: &mut [u8],
    ) -> Result<(), Error> {
        let kind = Kind::from_u8(h.kind).ok_or(Error::Corrupt)?;
        match kind {
            Kind::Key | Kind::State => {
                if kind == Kind::Key && h.kver == 0 {
                    return Err(Error::Corrupt);
                }
                let e = Entry {
                    hdr: *h,
                    offset: off,
                };
                if let Some(x) = self
                    .index
                    .iter_mut()
                    .find(|x| x.hdr.kind == h.kind && x.hdr.slot == h.slot && x.hdr.kver == h.kver)
                {
                    *x = e;
                } else {
                    self.index.push(e).map_err(|_| Error::Corrupt)?;
                }
            }
            Kind::Tombstone => {
                // Backups exported before this destroy can no longer be restored.
                self.floor = self.floor.max(h.seq);
                self.index.retain(|x| {
                    !(x.hdr.kind == Kind::Key as u8
                        && x.hdr.slot == h.slot
                        && (h.kver == 0 || x.hdr.kver == h.kver))
                });
            }
            Kind::Event | Kind::SnapEnd => {}
            Kind::AuditRing => {
                if appended {
                    return Err(Error::Corrupt);
                }
                let n = usize::from(h.body_len);
                if n % EVENT_LEN != 0 || n > EVENT_LEN * super::audit::AUDIT_CAP {
                    return Err(Error::Corrupt);
                }
                let body = ring.get_mut(..n).ok_or(Error::Corrupt)?;
                self.decrypt_in_place(h, body)?;
                self.audit.clear();
                for c in body.chunks_exact(EVENT_LEN) {
                    let mut b = [0u8; EVENT_LEN];
                    b.copy_from_slice(c);
                    self.audit.push(AuditEvent::decode(&b));
                }
            }
        }
        if appended && h.event != 0 {
            self.audit.push(AuditEvent {
                code: AuditCode::from_code(h.event),
                id: h.slot,
                version: h.kver,
                seq: h.seq,
                gen: h.gen,
            });
        }
        Ok(())
    }

    /// Writes a record at the current write position (room already checked).
    #[allow(clippy::integer_division_remainder_used)] // the keystream block index of a public body offset
    fn write_record(&mut self, h: &mut RecHeader, body: &Body<'_>) -> Result<u32, Error> {
        let off = self.write_pos;
        let seq_s = self.cur_seq;
        let hb = h.encode();
        let keys = self.keys.as_mut().ok_or(Error::LogicBug)?;
        let mut m = keys.mac(&mut self.rng)?;
        m.update(&self.last_tag);
        m.update(&seq_s.to_le_bytes());
        m.update(&hb);
        self.flash_write(off, &hb)?;
        let n = usize::from(h.body_len);
        if let Body::Copy(src) = body {
            let dst = off + u32f(REC_HDR_LEN);
            let r = self.read_record(
                src.off,
                src.seq,
                Some(&src.hdr),
                Sink::Copy { dst, mac: &mut m },
            );
            match r {
                Ok(Some(v)) if v.hdr.body_len == h.body_len => {}
                Ok(_) => return Err(self.refuse_copy(Error::Corrupt)),
                Err(e) => return Err(self.refuse_copy(e)),
            }
        }
        let mut i = 0usize;
        while i < n {
            match body {
                Body::None | Body::Copy(_) => break,
                Body::Plain(p) => {
                    // Two units per key schedule, their keystream in one two-block call.
                    let units = if i + UNIT < n { 2 } else { 1 };
                    let mut pair = [0u8; 2 * UNIT];
                    let take = core::cmp::min(units * UNIT, n - i);
                    if let (Some(d), Some(s)) = (pair.get_mut(..take), p.get(i..i + take)) {
                        d.copy_from_slice(s);
                    }
                    let binding = (h.nonce, h.kind, h.slot, h.kver);
                    let first = u32f(i / UNIT);
                    let keys = self.keys.as_mut().ok_or(Error::LogicBug)?;
                    let ok = keys.with_aes(&mut self.rng, |aes| {
                        aes.map(|a| {
                            ctr_xor_body(
                                a,
                                binding,
                                first,
                                pair.get_mut(..units * UNIT).unwrap_or(&mut []),
                            )
                        })
                        .is_some()
                    });
                    if ok != Ok(true) {
                        // Half a record is on flash: like a torn write, the sector takes
                        // no more appends.
                        pair.zeroize();
                        self.closed = true;
                        self.broken = true;
                        return Err(ok.err().unwrap_or(Error::LogicBug));
                    }
                    // `pair` now holds ciphertext only.
                    for c in pair.chunks_exact(UNIT).take(units) {
                        m.update(c);
                        self.flash_write(off + u32f(REC_HDR_LEN + i), c)?;
                        i += UNIT;
                    }
                }
            }
        }
        if matches!(body, Body::None) && n != 0 {
            return Err(Error::LogicBug);
        }
        let full = m.finalize().into_bytes();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        let tag_off = off + u32f(REC_HDR_LEN + pad(n));
        self.flash_write(tag_off, &tag)?;
        self.flash_write(tag_off + u32f(TAG_LEN), &COMMIT_PATTERN)?;
        self.last_tag = tag;
        self.write_pos = off + u32::from(h.len);
        Ok(off)
    }

    /// A copy whose source did not verify (or failed to read): the half-written record
    /// gets no tag and no commit block, so nothing the attacker changed is ever
    /// authenticated; the sector takes no more appends and the store must be re-opened.
    fn refuse_copy(&mut self, e: Error) -> Error {
        self.closed = true;
        self.broken = true;
        e
    }

    pub(crate) fn alloc_seq(&mut self) -> Result<u32, Error> {
        let s = self.next_nonce;
        self.next_nonce = s.checked_add(1).ok_or(Error::Exhausted)?;
        Ok(s)
    }

    /// Bytes the live data takes in a fresh snapshot.
    fn snapshot_len(&self) -> u32 {
        let recs: usize = self.index.iter().map(|e| usize::from(e.hdr.len)).sum();
        let ring = REC_OVERHEAD + pad(self.audit.len() * EVENT_LEN);
        u32f(SECTOR_HDR_LEN + recs + ring + REC_OVERHEAD)
    }

    /// Appends a lifecycle record: compacts first if needed, binds it to the next counter
    /// value, commits it, then increments the counter. Returns its offset.
    pub(crate) fn append(&mut self, mut h: RecHeader, body: Body<'_>) -> Result<u32, Error> {
        if self.broken {
            return Err(Error::NeedsReopen);
        }
        let n = match body {
            Body::None => 0,
            Body::Plain(p) => p.len(),
            Body::Copy(_) => usize::from(h.body_len),
        };
        h.set_body_len(n).ok_or(Error::BadLength)?;
        let len = u32::from(h.len);
        let end = self.base(self.cur) + self.sector_size;
        if self.closed || self.write_pos + len > end {
            self.compact(len)?;
        }
        // Copy sources are looked up again: compaction may have moved them.
        let body = match body {
            Body::Copy(_) => Body::Copy(self.source(h.kind, h.slot, h.kver)?),
            b => b,
        };
        h.gen = self
            .counter_high_water
            .checked_add(1)
            .ok_or(Error::Exhausted)?;
        h.seq = self.alloc_seq()?;
        if let Body::Plain(_) = body {
            h.nonce = h.seq;
        }
        let off = self.write_record(&mut h, &body)?;
        self.max_gen = self.max_gen.max(h.gen);
        match self.counter.increment() {
            Ok(v) => self.counter_high_water = v,
            Err(_) => {
                self.broken = true;
                return Err(Error::Counter);
            }
        }
        self.apply(&h, off, true, &mut [])?;
        Ok(off)
    }

    /// The live record `(kind, slot, kver)` as a copy source (it is in the current
    /// sector).
    pub(crate) fn source(&self, kind: u8, slot: u16, kver: u16) -> Result<Source, Error> {
        self.index
            .iter()
            .find(|e| e.hdr.kind == kind && e.hdr.slot == slot && e.hdr.kver == kver)
            .map(|e| Source {
                off: e.offset,
                seq: self.cur_seq,
                hdr: e.hdr,
            })
            .ok_or(Error::LogicBug)
    }

    /// Writes a new snapshot of the live data into the next data sector, leaving room
    /// for `reserve` bytes, then erases every other data sector that is not blank.
    pub(crate) fn compact(&mut self, reserve: u32) -> Result<(), Error> {
        if self.broken {
            return Err(Error::NeedsReopen);
        }
        if self.snapshot_len() + reserve > self.sector_size {
            return Err(Error::Full);
        }
        // Once it has started, a compaction that fails for any reason (flash, a refused
        // copy, a refusing RNG) leaves the RAM view stale: re-open.
        let r = self.write_snapshot();
        if r.is_err() {
            self.broken = true;
        }
        r
    }

    /// The body of [`KeyStore::compact`]: the new snapshot, then the erases.
    #[allow(clippy::integer_division_remainder_used)] // the next sector, from the public sector count
    fn write_snapshot(&mut self) -> Result<(), Error> {
        let data_sectors = self.sectors - 1;
        let target = if self.cur == 0 {
            1
        } else {
            1 + (self.cur % data_sectors)
        };
        self.flash_erase(target)?;
        let seq = self.max_seq.checked_add(1).ok_or(Error::Exhausted)?;
        self.max_seq = seq;
        let sh = SectorHeader {
            version: FORMAT_VERSION,
            seq,
            gen: self.max_gen.max(self.counter_high_water),
            next_nonce: self.next_nonce,
            salt_slot: self.salt_slot,
            floor: self.floor,
        };
        let fields = sh.encode();
        let keys = self.keys.as_mut().ok_or(Error::LogicBug)?;
        let mut m = keys.mac(&mut self.rng)?;
        m.update(b"sector");
        m.update(&fields);
        let full = m.finalize().into_bytes();
        let mut hb = [0u8; 48];
        hb[..32].copy_from_slice(&fields);
        hb[32..48].copy_from_slice(&full[..TAG_LEN]);
        let base = self.base(target);
        self.flash_write(base, &hb)?;
        let old_cur = self.cur;
        let old_seq = self.cur_seq;
        self.cur = target;
        self.cur_seq = seq;
        self.last_tag.copy_from_slice(&full[..TAG_LEN]);
        self.write_pos = base + u32f(SECTOR_HDR_LEN);
        self.closed = false;
        // Live records, ciphertext carried over from their verified reads, re-chained.
        for i in 0..self.index.len() {
            let Some(e) = self.index.get(i) else { break };
            let src = Source {
                off: e.offset,
                seq: old_seq,
                hdr: e.hdr,
            };
            let mut h = e.hdr;
            h.event = 0;
            let off = self.write_record(&mut h, &Body::Copy(src))?;
            if let Some(e) = self.index.get_mut(i) {
                e.hdr = h;
                e.offset = off;
            }
        }
        // The audit ring.
        let mut ring = [0u8; EVENT_LEN * super::audit::AUDIT_CAP];
        let mut n = 0;
        for ev in self.audit.iter() {
            if let Some(d) = ring.get_mut(n..n + EVENT_LEN) {
                d.copy_from_slice(&ev.encode());
            }
            n += EVENT_LEN;
        }
        let mut h = RecHeader::new(Kind::AuditRing);
        h.set_body_len(n).ok_or(Error::LogicBug)?;
        h.gen = sh.gen;
        h.seq = self.alloc_seq()?;
        h.nonce = h.seq;
        self.write_record(&mut h, &Body::Plain(ring.get(..n).unwrap_or(&[])))?;
        let mut h = RecHeader::new(Kind::SnapEnd);
        h.set_body_len(0).ok_or(Error::LogicBug)?;
        h.gen = sh.gen;
        h.seq = self.alloc_seq()?;
        self.write_record(&mut h, &Body::None)?;
        // Committed: the old sector and any leftovers go.
        for s in 1..self.sectors {
            if s == target {
                continue;
            }
            let b = self.base(s);
            if s == old_cur || !self.region_blank(b, b + self.sector_size)? {
                self.flash_erase(s)?;
            }
        }
        self.pending_destroy = false;
        Ok(())
    }
}
