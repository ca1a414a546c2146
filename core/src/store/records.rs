//! The store's use of its journal: loading on open, appending a lifecycle record with
//! its counter step, compaction, and reading a verified record back.
use super::error::Error;
use super::format::*;
use super::journal::{Body, Keys, Sink, Source, Verified};
use super::rollback::steps_counter;
use super::{AuditCode, AuditEvent, KeyStore};
use crate::platform::Platform;

impl<P: Platform> KeyStore<P> {
    /// Loads the current data sector of the live salt slot (stamped `slot_gen`, made by
    /// `origin`), checks it against the counter and finishes an interrupted destroy.
    pub(crate) fn load(&mut self, slot_gen: u32, origin: u8) -> Result<(), Error> {
        let keys = Keys::of(&mut self.seal, &mut self.rng)?;
        let found = self
            .journal
            .load(self.root.slot, keys, &mut self.index, &mut self.audit)?;
        let Some(scan) = found else {
            if slot_gen != self.rollback.hw() {
                return Err(Error::MissingData);
            }
            self.init_empty(origin)?;
            // A slot made by a wipe with no data yet: this open did the wipe's last step.
            return if origin == ORIGIN_TAMPER {
                Err(Error::TamperWiped)
            } else {
                Ok(())
            };
        };
        self.rollback.check(self.journal.max_gen())?;
        // Records a rolled-back image lost (at most a sector's worth: every compaction
        // steps the counter) used sequences just above this image's: the new ones start
        // past them, so no CTR nonce of a lost record is used again.
        self.journal.skip_nonces()?;
        self.pending_destroy = scan.pending_destroy;
        if let Some((id, top)) = scan.destroy_rest {
            self.finish_destroy(id, top)?;
        }
        if self.pending_destroy {
            self.compact(0)?;
        }
        Ok(())
    }

    /// Writes the first snapshot of an empty store (after format or wipe).
    pub(crate) fn init_empty(&mut self, origin: u8) -> Result<(), Error> {
        self.index.clear();
        self.audit.clear();
        let hw = self.rollback.hw();
        self.audit.push(AuditEvent {
            code: if origin == ORIGIN_TAMPER {
                AuditCode::TamperWipe
            } else {
                AuditCode::Formatted
            },
            id: 0,
            version: 0,
            seq: 0,
            gen: hw,
            before: None,
            after: None,
        });
        self.journal.reset(hw);
        self.compact(0)
    }

    /// Appends a lifecycle record: compacts first if needed, stamps it with the counter
    /// value its budget gives ([`super::rollback::Rollback::stamp`]), commits it, then
    /// steps the counter if it is a stepping record. Returns its offset.
    pub(crate) fn append(&mut self, mut h: RecHeader, body: Body<'_>) -> Result<u32, Error> {
        if self.journal.io.broken {
            return Err(Error::NeedsReopen);
        }
        let n = match body {
            Body::None => 0,
            Body::Plain(p) => p.len(),
            Body::Copy(_) => usize::from(h.body_len),
        };
        h.set_body_len(n).ok_or(Error::BadLength)?;
        let len = u32::from(h.len);
        if self.journal.needs_room(len) {
            self.compact(len)?;
        }
        // Copy sources are looked up again: compaction may have moved them.
        let body = match body {
            Body::Copy(_) => Body::Copy(self.source(h.kind, h.slot, h.kver)?),
            b => b,
        };
        let security = steps_counter(AuditCode::of_record(h.event));
        let (gen, step) = self.rollback.stamp(security)?;
        let keys = Keys::of(&mut self.seal, &mut self.rng)?;
        let off = self.journal.append(&mut h, &body, gen, keys)?;
        if step {
            self.step_counter()?;
        }
        let keys = Keys::of(&mut self.seal, &mut self.rng)?;
        self.journal.apply(
            &h,
            off,
            true,
            &mut [],
            keys,
            &mut self.index,
            &mut self.audit,
        )?;
        Ok(off)
    }

    /// Writes a new snapshot of the live data, leaving room for `reserve` bytes. It
    /// steps the counter: stamped `hw + 1`, stepped after its `SnapEnd` commits.
    pub(crate) fn compact(&mut self, reserve: u32) -> Result<(), Error> {
        let gen = self.rollback.next()?;
        let keys = Keys::of(&mut self.seal, &mut self.rng)?;
        self.journal.compact(
            reserve,
            gen,
            self.root.slot,
            keys,
            &mut self.index,
            &self.audit,
        )?;
        self.pending_destroy = false;
        self.step_counter()
    }

    /// Steps the counter after a record stamped with its next value committed. A
    /// counter that fails leaves the store to re-open (which finishes the step).
    fn step_counter(&mut self) -> Result<(), Error> {
        let r = self.rollback.step();
        if r.is_err() {
            self.journal.io.broken = true;
        }
        r
    }

    /// The live record `(kind, slot, kver)` as a copy source.
    pub(crate) fn source(&self, kind: u8, slot: u16, kver: u16) -> Result<Source, Error> {
        self.journal.source(&self.index, kind, slot, kver)
    }

    /// [`super::journal::Journal::read_record`] in the current sector.
    pub(crate) fn read_record(
        &mut self,
        off: u32,
        expect: Option<&RecHeader>,
        sink: Sink<'_>,
    ) -> Result<Option<Verified>, Error> {
        let seq = self.journal.cur_seq();
        let keys = Keys::of(&mut self.seal, &mut self.rng)?;
        self.journal.read_record(off, seq, expect, sink, keys)
    }

    /// Decrypts a verified body held in RAM in place (`buf` is the body, or its first
    /// part). On failure `buf` is wiped.
    pub(crate) fn decrypt_in_place(&mut self, h: &RecHeader, buf: &mut [u8]) -> Result<(), Error> {
        match self.seal.as_mut() {
            Some(seal) => seal.xor_body(&mut self.rng, h, 0, buf),
            None => {
                zeroize::Zeroize::zeroize(buf);
                Err(Error::LogicBug)
            }
        }
    }
}
