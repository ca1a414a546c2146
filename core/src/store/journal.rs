//! The log: sector headers, chained records, append, scan and compaction.
//!
//! One data sector is *current*: it starts with a snapshot of every live record (closed
//! by a `SnapEnd` record) followed by appended records. Each record is written header
//! first, then body, then tag, then a separate commit block; a record whose commit block
//! is still erased is uncommitted and is accepted only as the very last thing in the
//! sector (a torn write), after which the sector takes no more appends. Compaction
//! writes a new snapshot into the next data sector (round robin, which spreads wear),
//! and only after its `SnapEnd` is committed erases the old sector.
//!
//! [`Journal`] owns the write position, the sequences, the chain (the last tag) and the
//! nonce counter; the sealing keys, the RAM index and the audit ring it reads and writes
//! are passed in by the store.
use embedded_storage::nor_flash::MultiwriteNorFlash;
use rand_core::TryCryptoRng;
use zeroize::Zeroize;

use super::audit::{AuditCode, AuditEvent, AuditRing, AUDIT_CAP, EVENT_LEN, WHOLE_KEY_DESTROY};
use super::error::Error;
use super::format::*;
use super::hmac_sha256::HmacSha256;
use super::index::{Entry, Index};
use super::seal::{tag_eq, Seal};
use super::sectors::Sectors;
use super::state::KeyState;
use super::MAX_ENTRIES;

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

/// Where the body of a record goes while [`Journal::read_record`] reads it. Each byte
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
    /// A whole-key destroy a power cut stopped: its flagged first record's key id and
    /// version (see [`super::audit::WHOLE_KEY_DESTROY`]).
    pub destroy_rest: Option<(u16, u16)>,
}

/// The log over the data sectors.
pub(crate) struct Journal<F> {
    /// The flash.
    pub(crate) io: Sectors<F>,
    /// The current data sector (0: none yet).
    cur: u32,
    /// Its sequence.
    cur_seq: u32,
    /// The highest sector sequence seen or written.
    max_seq: u32,
    /// Where the next record goes.
    write_pos: u32,
    /// The current sector takes no more appends (full, or a torn write).
    closed: bool,
    /// The tag the next record is chained to.
    last_tag: [u8; TAG_LEN],
    /// The next record sequence (and body nonce): never reused under one salt.
    next_nonce: u32,
    /// The largest counter value on flash (records and the current sector's header).
    max_gen: u32,
    /// Backup restore floor (see [`SectorHeader::floor`]).
    floor: u32,
}

/// The seal and the generator its masks take: what every tag and body needs.
pub(crate) struct Keys<'a, R> {
    pub seal: &'a mut Seal,
    pub rng: &'a mut R,
}

impl<'a, R: TryCryptoRng> Keys<'a, R> {
    /// The store's keys ([`Error::LogicBug`] before they are derived).
    pub(crate) fn of(seal: &'a mut Option<Seal>, rng: &'a mut R) -> Result<Self, Error> {
        Ok(Self {
            seal: seal.as_mut().ok_or(Error::LogicBug)?,
            rng,
        })
    }

    fn mac(&mut self) -> Result<HmacSha256, Error> {
        self.seal.mac(self.rng)
    }

    fn reborrow(&mut self) -> Keys<'_, R> {
        Keys {
            seal: self.seal,
            rng: self.rng,
        }
    }
}

impl<F: MultiwriteNorFlash> Journal<F> {
    pub(crate) fn new(io: Sectors<F>) -> Self {
        Self {
            io,
            cur: 0,
            cur_seq: 0,
            max_seq: 0,
            write_pos: 0,
            closed: true,
            last_tag: [0; TAG_LEN],
            next_nonce: 0,
            max_gen: 0,
            floor: 0,
        }
    }

    /// The current data sector (0 before the first snapshot).
    pub(crate) fn cur(&self) -> u32 {
        self.cur
    }

    /// The current sector's sequence (the chain input of its records).
    pub(crate) fn cur_seq(&self) -> u32 {
        self.cur_seq
    }

    /// Where the next record goes (the end of the current sector's records).
    pub(crate) fn write_pos(&self) -> u32 {
        self.write_pos
    }

    /// The next record sequence.
    pub(crate) fn next_nonce(&self) -> u32 {
        self.next_nonce
    }

    /// The largest counter value on flash.
    pub(crate) fn max_gen(&self) -> u32 {
        self.max_gen
    }

    /// The backup restore floor.
    pub(crate) fn floor(&self) -> u32 {
        self.floor
    }

    /// Forgets the log (a tamper wipe, or an empty store about to be written): the next
    /// snapshot starts a new chain at sequence 1 with nonces from 1, stamped `gen`.
    pub(crate) fn reset(&mut self, gen: u32) {
        self.cur = 0;
        self.cur_seq = 0;
        self.max_seq = 0;
        self.write_pos = 0;
        self.closed = true;
        self.last_tag = [0; TAG_LEN];
        self.next_nonce = 1;
        self.max_gen = gen;
        self.floor = 0;
    }

    /// Moves the next sequence past every sequence the records after this point could
    /// have taken before the flash was rolled back to it: a sector's worth of records
    /// (at least 96 bytes each) plus a compaction's (a copy of every live record, the
    /// audit ring, `SnapEnd`).
    #[allow(clippy::integer_division_remainder_used)] // the public sector size over the unit
    pub(crate) fn skip_nonces(&mut self) -> Result<(), Error> {
        let gap = self.io.size() / u32f(UNIT) + u32f(MAX_ENTRIES) + 3;
        self.next_nonce = self.next_nonce.checked_add(gap).ok_or(Error::Exhausted)?;
        Ok(())
    }

    /// Whether a record of `len` bytes needs a compaction first.
    pub(crate) fn needs_room(&self, len: u32) -> bool {
        self.closed || self.write_pos + len > self.io.end(self.cur)
    }

    /// The sector header of data sector `s` if it authenticates: (header, tag).
    pub(crate) fn read_sector_header<R: TryCryptoRng>(
        &mut self,
        s: u32,
        k: Keys<'_, R>,
    ) -> Result<Option<(SectorHeader, [u8; TAG_LEN])>, Error> {
        let mut b = [0u8; 48];
        self.io.read(self.io.base(s), &mut b)?;
        let mut fields = [0u8; 32];
        fields.copy_from_slice(&b[..32]);
        let Some(h) = SectorHeader::decode(&fields) else {
            return Ok(None);
        };
        let tag = k.seal.sector_tag(k.rng, &fields)?;
        if !tag_eq(&tag, &b[32..48]) {
            return Ok(None);
        }
        Ok(Some((h, tag)))
    }

    /// Reads the record at `off` (chained to the tag just before it, in a sector of
    /// sequence `sector_seq`) once, verifies it, and hands its body to `sink`. `Ok(None)`:
    /// uncommitted. `expect`: the header the index holds; anything else on flash is
    /// [`Error::Corrupt`] (checked before any body byte goes anywhere). Errors: `Corrupt`
    /// for a bad tag or structure, `FormatVersion`.
    pub(crate) fn read_record<R: TryCryptoRng>(
        &mut self,
        off: u32,
        sector_seq: u32,
        expect: Option<&RecHeader>,
        mut sink: Sink<'_>,
        mut k: Keys<'_, R>,
    ) -> Result<Option<Verified>, Error> {
        let limit = self.io.end(self.io.of(off));
        let mut hb = [0u8; REC_HDR_LEN];
        self.io.read(off, &mut hb)?;
        let len = u32f(RecHeader::checked_len(&hb).ok_or(Error::Corrupt)?);
        if off + len > limit {
            return Err(Error::Corrupt);
        }
        // Decoded once; its fields count only once the tag below verifies.
        let h = RecHeader::decode(&hb);
        if expect.is_some_and(|e| *e != h) {
            return Err(Error::Corrupt);
        }
        let mut commit = [0u8; UNIT];
        self.io.read(off + len - u32f(UNIT), &mut commit)?;
        if blank(&commit) {
            return Ok(None);
        }
        let mut prev = [0u8; TAG_LEN];
        self.io.read(off - 32, &mut prev)?;
        let mut m = k.mac()?;
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
            if let Err(e) = self.io.read(p, &mut chunk) {
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
                    if let Err(e) = self.io.program(*dst + u32f(i), &chunk) {
                        res = Err(e);
                        break;
                    }
                }
            }
            p += u32f(UNIT);
        }
        let mut tag = [0u8; TAG_LEN];
        if res.is_ok() {
            res = self.io.read(body_end, &mut tag);
        }
        if res.is_ok() {
            let full = m.finalize();
            if !tag_eq(&full[..TAG_LEN], &tag) {
                res = Err(Error::Corrupt);
            }
        }
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

    /// Finds the current data sector of the store in salt slot `salt_slot` (the one of
    /// highest sequence whose snapshot is complete), loading its records into `index`
    /// and `audit`. `None`: no complete snapshot (a fresh slot).
    pub(crate) fn load<R: TryCryptoRng>(
        &mut self,
        salt_slot: u32,
        mut k: Keys<'_, R>,
        index: &mut Index,
        audit: &mut AuditRing,
    ) -> Result<Option<Scan>, Error> {
        // Authentic sector headers, highest sequence first.
        let mut hdrs: heapless::Vec<(u32, SectorHeader, [u8; TAG_LEN]), 64> = heapless::Vec::new();
        for i in 1..self.io.count() {
            if let Some((h, t)) = self.read_sector_header(i, k.reborrow())? {
                if h.version != FORMAT_VERSION {
                    return Err(Error::FormatVersion);
                }
                if h.salt_slot != salt_slot {
                    continue;
                }
                self.max_seq = self.max_seq.max(h.seq);
                hdrs.push((i, h, t)).map_err(|_| Error::Geometry)?;
            }
        }
        hdrs.sort_unstable_by_key(|h| core::cmp::Reverse(h.1.seq));
        for (i, h, t) in hdrs.iter() {
            index.clear();
            audit.clear();
            let sc = self.scan_sector(*i, h, *t, k.reborrow(), index, audit)?;
            if !sc.complete {
                continue;
            }
            self.cur = *i;
            self.cur_seq = h.seq;
            self.write_pos = sc.end;
            self.closed = sc.closed;
            self.last_tag = sc.last_tag;
            self.next_nonce = sc.max_nonce;
            self.max_gen = sc.max_gen;
            return Ok(Some(sc));
        }
        index.clear();
        audit.clear();
        Ok(None)
    }

    /// Scans data sector `s` (header already verified), applying records to the index.
    pub(crate) fn scan_sector<R: TryCryptoRng>(
        &mut self,
        s: u32,
        hdr: &SectorHeader,
        hdr_tag: [u8; TAG_LEN],
        mut k: Keys<'_, R>,
        index: &mut Index,
        audit: &mut AuditRing,
    ) -> Result<Scan, Error> {
        let base = self.io.base(s);
        let limit = self.io.end(s);
        let mut sc = Scan {
            complete: false,
            end: base + u32f(SECTOR_HDR_LEN),
            closed: false,
            last_tag: hdr_tag,
            max_gen: hdr.gen,
            max_nonce: hdr.next_nonce,
            pending_destroy: false,
            destroy_rest: None,
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
            self.io.read(off, &mut lw)?;
            if blank(&lw) {
                if self.io.is_blank(off, limit)? {
                    break;
                }
                return Err(Error::Corrupt);
            }
            let Some(len) = RecHeader::checked_len(&lw) else {
                // A torn length word is only acceptable as the last thing written.
                if self.io.is_blank(off + 4, limit)? {
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
            let mut ring = [0u8; EVENT_LEN * AUDIT_CAP];
            match self.read_record(off, hdr.seq, None, Sink::Ram(&mut ring), k.reborrow())? {
                None => {
                    if self.io.is_blank(off + len, limit)? {
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
                    let destroyed_key = h.kind == Kind::Key as u8
                        && KeyState::from_code(h.state).is_some_and(KeyState::is_destroyed);
                    if h.kind == Kind::Tombstone as u8 || (sc.complete && destroyed_key) {
                        // A destroy after the snapshot: its old sealed record may still
                        // be in this sector; the open compacts it away.
                        sc.pending_destroy = true;
                    }
                    // Also in the snapshot: a compaction inside the destroy keeps the flag.
                    if destroyed_key && h.event & WHOLE_KEY_DESTROY != 0 {
                        sc.destroy_rest = Some((h.slot, h.kver));
                    }
                    self.apply(&h, off, sc.complete, &mut ring, k.reborrow(), index, audit)?;
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
    #[allow(clippy::too_many_arguments)]
    #[allow(clippy::integer_division_remainder_used)] // public record lengths, offsets and the sector count
    pub(crate) fn apply<R: TryCryptoRng>(
        &mut self,
        h: &RecHeader,
        off: u32,
        appended: bool,
        ring: &mut [u8],
        k: Keys<'_, R>,
        index: &mut Index,
        audit: &mut AuditRing,
    ) -> Result<(), Error> {
        let kind = Kind::from_u8(h.kind).ok_or(Error::Corrupt)?;
        match kind {
            Kind::Key | Kind::State | Kind::Epoch => {
                if kind == Kind::Key && h.kver == 0 {
                    return Err(Error::Corrupt);
                }
                index.upsert(Entry {
                    hdr: *h,
                    offset: off,
                })?;
            }
            Kind::Tombstone => {
                // Backups exported before this destroy can no longer be restored.
                self.floor = self.floor.max(h.seq);
                index.remove_key(h.slot, h.kver);
            }
            Kind::Event | Kind::SnapEnd => {}
            Kind::AuditRing => {
                if appended {
                    return Err(Error::Corrupt);
                }
                let n = usize::from(h.body_len);
                if n % EVENT_LEN != 0 || n > EVENT_LEN * AUDIT_CAP {
                    return Err(Error::Corrupt);
                }
                let body = ring.get_mut(..n).ok_or(Error::Corrupt)?;
                k.seal.xor_body(k.rng, h, 0, body)?;
                audit.clear();
                for c in body.chunks_exact(EVENT_LEN) {
                    let mut b = [0u8; EVENT_LEN];
                    b.copy_from_slice(c);
                    audit.push(AuditEvent::decode(&b));
                }
            }
        }
        if appended
            && kind == Kind::Key
            && KeyState::from_code(h.state).is_some_and(KeyState::is_destroyed)
        {
            // Backups exported before this destroy can no longer be restored.
            self.floor = self.floor.max(h.seq);
        }
        if appended && h.event != 0 {
            let key_event = matches!(kind, Kind::Key | Kind::Event);
            audit.push(AuditEvent {
                code: AuditCode::of_record(h.event),
                id: h.slot,
                version: h.kver,
                seq: h.seq,
                gen: h.gen,
                before: KeyState::from_code(h.prev_state).filter(|_| key_event),
                after: KeyState::from_code(h.state).filter(|_| key_event),
            });
        }
        Ok(())
    }

    /// Writes a record at the current write position (room already checked).
    #[allow(clippy::integer_division_remainder_used)] // public record lengths, offsets and the sector count
    fn write_record<R: TryCryptoRng>(
        &mut self,
        h: &mut RecHeader,
        body: &Body<'_>,
        mut k: Keys<'_, R>,
    ) -> Result<u32, Error> {
        let off = self.write_pos;
        let seq_s = self.cur_seq;
        let hb = h.encode();
        let mut m = k.mac()?;
        m.update(&self.last_tag);
        m.update(&seq_s.to_le_bytes());
        m.update(&hb);
        self.io.program(off, &hb)?;
        let n = usize::from(h.body_len);
        if let Body::Copy(src) = body {
            let dst = off + u32f(REC_HDR_LEN);
            let r = self.read_record(
                src.off,
                src.seq,
                Some(&src.hdr),
                Sink::Copy { dst, mac: &mut m },
                k.reborrow(),
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
                    let first = u32f(i / UNIT);
                    let ok = k.seal.xor_body(
                        k.rng,
                        h,
                        first,
                        pair.get_mut(..units * UNIT).unwrap_or(&mut []),
                    );
                    if let Err(e) = ok {
                        // Half a record is on flash: like a torn write, the sector takes
                        // no more appends. (`pair` was wiped.)
                        self.closed = true;
                        self.io.broken = true;
                        return Err(e);
                    }
                    // `pair` now holds ciphertext only.
                    for c in pair.chunks_exact(UNIT).take(units) {
                        m.update(c);
                        self.io.program(off + u32f(REC_HDR_LEN + i), c)?;
                        i += UNIT;
                    }
                }
            }
        }
        if matches!(body, Body::None) && n != 0 {
            return Err(Error::LogicBug);
        }
        let full = m.finalize();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        let tag_off = off + u32f(REC_HDR_LEN + pad(n));
        self.io.program(tag_off, &tag)?;
        self.io.program(tag_off + u32f(TAG_LEN), &COMMIT_PATTERN)?;
        self.last_tag = tag;
        self.write_pos = off + u32::from(h.len);
        Ok(off)
    }

    /// A copy whose source did not verify (or failed to read): the half-written record
    /// gets no tag and no commit block, so nothing the attacker changed is ever
    /// authenticated; the sector takes no more appends and the store must be re-opened.
    fn refuse_copy(&mut self, e: Error) -> Error {
        self.closed = true;
        self.io.broken = true;
        e
    }

    pub(crate) fn alloc_seq(&mut self) -> Result<u32, Error> {
        let s = self.next_nonce;
        self.next_nonce = s.checked_add(1).ok_or(Error::Exhausted)?;
        Ok(s)
    }

    /// Bytes the live data takes in a fresh snapshot.
    pub(crate) fn snapshot_len(index: &Index, audit: &AuditRing) -> u32 {
        let ring = REC_OVERHEAD + pad(audit.len() * EVENT_LEN);
        u32f(SECTOR_HDR_LEN + index.record_bytes() + ring + REC_OVERHEAD)
    }

    /// Appends record `h` (room already made) stamped with counter value `gen`, a fresh
    /// sequence and (for a plaintext body) a fresh nonce. Returns its offset; `h` is
    /// what was written.
    pub(crate) fn append<R: TryCryptoRng>(
        &mut self,
        h: &mut RecHeader,
        body: &Body<'_>,
        gen: u32,
        k: Keys<'_, R>,
    ) -> Result<u32, Error> {
        h.gen = gen;
        h.seq = self.alloc_seq()?;
        if let Body::Plain(_) = body {
            h.nonce = h.seq;
        }
        let off = self.write_record(h, body, k)?;
        self.max_gen = self.max_gen.max(gen);
        Ok(off)
    }

    /// The live record `(kind, slot, kver)` as a copy source (it is in the current
    /// sector).
    pub(crate) fn source(
        &self,
        index: &Index,
        kind: u8,
        slot: u16,
        kver: u16,
    ) -> Result<Source, Error> {
        index
            .find(kind, slot, kver)
            .map(|e| Source {
                off: e.offset,
                seq: self.cur_seq,
                hdr: e.hdr,
            })
            .ok_or(Error::LogicBug)
    }

    /// Writes a new snapshot of the live data (stamped with counter value `gen`, under
    /// salt slot `salt_slot`) into the next data sector, leaving room for `reserve`
    /// bytes, then erases every other data sector that is not blank.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn compact<R: TryCryptoRng>(
        &mut self,
        reserve: u32,
        gen: u32,
        salt_slot: u32,
        k: Keys<'_, R>,
        index: &mut Index,
        audit: &AuditRing,
    ) -> Result<(), Error> {
        if self.io.broken {
            return Err(Error::NeedsReopen);
        }
        if Self::snapshot_len(index, audit) + reserve > self.io.size() {
            return Err(Error::Full);
        }
        // Once it has started, a compaction that fails for any reason (flash, a refused
        // copy, a refusing RNG) leaves the RAM view stale: re-open.
        let r = self.write_snapshot(gen, salt_slot, k, index, audit);
        if r.is_err() {
            self.io.broken = true;
        }
        r
    }

    /// The body of [`Journal::compact`]: the new snapshot, then the erases.
    #[allow(clippy::integer_division_remainder_used)] // public record lengths, offsets and the sector count
    fn write_snapshot<R: TryCryptoRng>(
        &mut self,
        gen: u32,
        salt_slot: u32,
        mut k: Keys<'_, R>,
        index: &mut Index,
        audit: &AuditRing,
    ) -> Result<(), Error> {
        let data_sectors = self.io.count() - 1;
        let target = if self.cur == 0 {
            1
        } else {
            1 + (self.cur % data_sectors)
        };
        self.io.erase(target)?;
        let seq = self.max_seq.checked_add(1).ok_or(Error::Exhausted)?;
        self.max_seq = seq;
        let sh = SectorHeader {
            version: FORMAT_VERSION,
            seq,
            gen,
            next_nonce: self.next_nonce,
            salt_slot,
            floor: self.floor,
        };
        let fields = sh.encode();
        let tag = k.seal.sector_tag(k.rng, &fields)?;
        let mut hb = [0u8; 48];
        hb[..32].copy_from_slice(&fields);
        hb[32..48].copy_from_slice(&tag);
        let base = self.io.base(target);
        self.io.program(base, &hb)?;
        let old_cur = self.cur;
        let old_seq = self.cur_seq;
        self.cur = target;
        self.cur_seq = seq;
        self.last_tag = tag;
        self.write_pos = base + u32f(SECTOR_HDR_LEN);
        self.closed = false;
        self.max_gen = self.max_gen.max(gen);
        // Live records, ciphertext carried over from their verified reads, re-chained.
        for i in 0..index.len() {
            let Some(e) = index.get(i) else { break };
            let src = Source {
                off: e.offset,
                seq: old_seq,
                hdr: e.hdr,
            };
            let mut h = e.hdr;
            if !index.destroy_unfinished(&h) {
                h.event = 0;
            }
            let off = self.write_record(&mut h, &Body::Copy(src), k.reborrow())?;
            if let Some(e) = index.get_mut(i) {
                e.hdr = h;
                e.offset = off;
            }
        }
        // The audit ring.
        let mut ring = [0u8; EVENT_LEN * AUDIT_CAP];
        let mut n = 0;
        for ev in audit.iter() {
            if let Some(d) = ring.get_mut(n..n + EVENT_LEN) {
                d.copy_from_slice(&ev.encode());
            }
            n += EVENT_LEN;
        }
        let mut h = RecHeader::new(Kind::AuditRing);
        h.set_body_len(n).ok_or(Error::LogicBug)?;
        h.gen = gen;
        h.seq = self.alloc_seq()?;
        h.nonce = h.seq;
        self.write_record(
            &mut h,
            &Body::Plain(ring.get(..n).unwrap_or(&[])),
            k.reborrow(),
        )?;
        let mut h = RecHeader::new(Kind::SnapEnd);
        h.set_body_len(0).ok_or(Error::LogicBug)?;
        h.gen = gen;
        h.seq = self.alloc_seq()?;
        self.write_record(&mut h, &Body::None, k)?;
        // Committed: the old sector and any leftovers go.
        for s in 1..self.io.count() {
            if s == target {
                continue;
            }
            if s == old_cur || !self.io.sector_blank(s)? {
                self.io.erase(s)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::integer_division_remainder_used)]
mod tests {
    extern crate std;
    use super::*;
    use crate::platform::DeviceSecret;
    use keyfort_testkit::MockFlash;
    use std::{vec, vec::Vec};

    struct Dev;
    impl DeviceSecret for Dev {
        fn with_secret<T>(&self, f: impl FnOnce(&[u8; 32]) -> T) -> T {
            f(&[0x42; 32])
        }
    }
    struct Rng(u32);
    impl rand_core::TryRng for Rng {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            self.0 = self.0.wrapping_mul(1_103_515_245).wrapping_add(12345);
            Ok(self.0)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(u64::from(self.try_next_u32()?))
        }
        fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> {
            for b in d {
                *b = (self.try_next_u32()? >> 24) as u8;
            }
            Ok(())
        }
    }
    impl TryCryptoRng for Rng {}

    type Flash = MockFlash<{ 3 * 1024 }, 1024>;

    struct Fixture {
        j: Journal<Flash>,
        seal: Option<Seal>,
        rng: Rng,
        index: Index,
        audit: AuditRing,
    }

    impl Fixture {
        fn new(flash: Flash) -> Self {
            let mut rng = Rng(1);
            let seal = Some(Seal::derive(&Dev, &[5; 32], &mut rng).unwrap());
            let mut j = Journal::new(Sectors::new(flash).unwrap());
            j.reset(0);
            Self {
                j,
                seal,
                rng,
                index: Index::default(),
                audit: AuditRing::default(),
            }
        }

        fn compact(&mut self, gen: u32) -> Result<(), Error> {
            let k = Keys::of(&mut self.seal, &mut self.rng)?;
            self.j.compact(0, gen, 0, k, &mut self.index, &self.audit)
        }

        fn put(&mut self, slot: u16, data: &[u8], gen: u32) -> Result<u32, Error> {
            let mut h = RecHeader::new(Kind::State);
            h.slot = slot;
            h.set_body_len(data.len()).unwrap();
            if self.j.needs_room(u32::from(h.len)) {
                let k = Keys::of(&mut self.seal, &mut self.rng)?;
                self.j
                    .compact(u32::from(h.len), gen, 0, k, &mut self.index, &self.audit)?;
            }
            let k = Keys::of(&mut self.seal, &mut self.rng)?;
            let off = self.j.append(&mut h, &Body::Plain(data), gen, k)?;
            let k = Keys::of(&mut self.seal, &mut self.rng)?;
            self.j
                .apply(&h, off, true, &mut [], k, &mut self.index, &mut self.audit)?;
            Ok(off)
        }

        /// A fresh journal over this one's flash, loaded as on open.
        fn reload(self) -> (Fixture, Result<Option<Scan>, Error>) {
            let mut f = Fixture::new(self.j.io.into_flash());
            let k = Keys::of(&mut f.seal, &mut f.rng).unwrap();
            let r = f.j.load(0, k, &mut f.index, &mut f.audit);
            (f, r)
        }

        fn read_state(&mut self, slot: u16) -> Vec<u8> {
            let e = *self.index.state(slot).unwrap();
            let mut buf = vec![0u8; usize::from(e.hdr.body_len)];
            let seq = self.j.cur_seq();
            let k = Keys::of(&mut self.seal, &mut self.rng).unwrap();
            let v = self
                .j
                .read_record(e.offset, seq, Some(&e.hdr), Sink::Ram(&mut buf), k)
                .unwrap()
                .unwrap();
            let seal = self.seal.as_mut().unwrap();
            seal.xor_body(&mut self.rng, &v.hdr, 0, &mut buf).unwrap();
            buf
        }
    }

    #[test]
    fn appended_records_load_back_with_position_chain_and_counter_value() {
        let mut f = Fixture::new(Flash::new());
        f.compact(3).unwrap();
        assert_eq!(f.j.cur(), 1);
        f.put(1, b"first state", 3).unwrap();
        f.put(2, b"second", 4).unwrap();
        f.put(1, b"first, replaced", 4).unwrap();
        let (pos, nonce, tag) = (f.j.write_pos(), f.j.next_nonce(), f.j.last_tag);
        let (mut g, r) = f.reload();
        let scan = r.unwrap().unwrap();
        assert!(scan.complete && !scan.closed);
        assert_eq!(
            (g.j.cur(), g.j.write_pos(), g.j.next_nonce()),
            (1, pos, nonce)
        );
        assert_eq!(g.j.last_tag, tag);
        assert_eq!(g.j.max_gen(), 4);
        assert_eq!(g.index.len(), 2);
        assert_eq!(g.read_state(1), b"first, replaced");
        assert_eq!(g.read_state(2), b"second");
    }

    #[test]
    fn a_record_dropped_from_the_middle_breaks_the_chain() {
        let mut f = Fixture::new(Flash::new());
        f.compact(0).unwrap();
        let a = f.put(1, b"aaaa", 0).unwrap();
        let b = f.put(2, b"bbbb", 0).unwrap();
        f.put(3, b"cccc", 0).unwrap();
        let mut flash = f.j.io.into_flash();
        // Copy record 3 over record 2 (same length): record 3 is authentic, but chained
        // to record 2's tag, not record 1's.
        let len = (b - a) as usize;
        let mem = flash.as_bytes_mut();
        let third: Vec<u8> = mem[b as usize + len..b as usize + 2 * len].to_vec();
        mem[b as usize..b as usize + len].copy_from_slice(&third);
        let mut g = Fixture::new(flash);
        let k = Keys::of(&mut g.seal, &mut g.rng).unwrap();
        assert_eq!(
            g.j.load(0, k, &mut g.index, &mut g.audit).err(),
            Some(Error::Corrupt)
        );
    }

    #[test]
    fn a_torn_last_record_is_dropped_and_closes_the_sector() {
        let setup = || {
            let mut f = Fixture::new(Flash::new());
            f.compact(0).unwrap();
            f.put(1, b"kept", 0).unwrap();
            f
        };
        // How many flash steps the second record takes.
        let mut f = setup();
        let before = f.j.io.flash().steps();
        f.put(2, b"torn", 0).unwrap();
        let steps = f.j.io.flash().steps() - before;
        // Cut in its tag (the last 32 steps are the tag and the commit block).
        let mut f = setup();
        let end = f.j.write_pos();
        f.j.io.flash().cut_after(steps - 30);
        assert_eq!(f.put(2, b"torn", 0), Err(Error::Flash));
        let mut flash = f.j.io.into_flash();
        flash.power_on();
        let (g, r) = Fixture::new(flash).reload();
        let scan = r.unwrap().unwrap();
        assert!(scan.closed, "no more appends after a torn write");
        assert_eq!(g.j.write_pos(), end);
        assert!(g.index.state(2).is_none());
        assert!(g.index.state(1).is_some());
        assert!(g.j.needs_room(0));
    }

    #[test]
    fn compaction_moves_round_robin_and_erases_the_old_sector() {
        let mut f = Fixture::new(Flash::new());
        f.compact(1).unwrap();
        assert_eq!(f.j.cur(), 1);
        // 32 bytes: with format 2's 80-byte record headers the snapshot of four state
        // records, the ring and the end marker still leaves room for a 24-byte append.
        f.put(9, &[7; 32], 1).unwrap();
        f.compact(2).unwrap();
        assert_eq!(f.j.cur(), 2);
        assert!(f.j.io.sector_blank(1).unwrap());
        assert_eq!(f.read_state(9), [7; 32]);
        f.compact(2).unwrap();
        assert_eq!(
            f.j.cur(),
            1,
            "wraps past the last sector, never onto the root"
        );
        assert!(f.j.io.sector_blank(2).unwrap());
        // Fill the sector: appends compact on their own and every state survives.
        for i in 0..40u8 {
            f.put(u16::from(i % 3), &[i; 24], 2).unwrap();
        }
        let (mut g, r) = f.reload();
        assert!(r.unwrap().is_some());
        for s in 0..3u8 {
            let last = (0..40u8).filter(|i| i % 3 == s).max().unwrap();
            assert_eq!(g.read_state(u16::from(s)), [last; 24]);
        }
        assert_eq!(g.read_state(9), [7; 32]);
    }

    #[test]
    fn a_snapshot_too_big_for_a_sector_is_refused_before_writing() {
        let mut f = Fixture::new(Flash::new());
        f.compact(0).unwrap();
        f.put(1, &[1; 500], 0).unwrap();
        let written = f.j.io.flash().bytes_written();
        let k = Keys::of(&mut f.seal, &mut f.rng).unwrap();
        assert_eq!(
            f.j.compact(600, 0, 0, k, &mut f.index, &f.audit),
            Err(Error::Full)
        );
        assert_eq!(f.j.io.flash().bytes_written(), written);
    }
}
