//! The batch's lockstep loop on an AES lane engine ([`AesLanes128`]: x86-64 with AES-NI):
//! AES-128 BDKs, every chain step of every lane one lane of one engine call, each step's
//! key expanded on the fly inside the call (no key schedule is built, stored or wiped).
//! The same derivation data and results as the generic loop in `batch`; which of the two
//! runs depends only on the BDK's size and the CPU (public).
use super::batch::{AesBatch, AesBatchKey, LaneJob};
use super::derive::{derivation_step_data, working_key_data};
use super::ksn::AesKsn;
use super::types::{KeyUsage, WorkingKeyType};
use crate::block::{AesLanes128, AES_LANES};
use crate::dukpt::DukptError;

/// One derivation in flight on the engine (public bookkeeping).
#[derive(Clone, Copy, Default)]
struct Lane {
    at: LaneJob,
    /// This pass: a chain step (else a block of the working key).
    stepping: bool,
    /// The working key's block this lane makes next (0, then 1 for a 24- or 32-byte key).
    out_block: usize,
}

/// The lanes' keys (the chain's current key) and blocks (derivation data in, the next
/// key or a working key block out). Wiped on drop.
struct LaneSecrets {
    keys: [[u8; 16]; AES_LANES],
    blocks: [[u8; 16]; AES_LANES],
}

impl Drop for LaneSecrets {
    fn drop(&mut self) {
        #[cfg(not(keyfort_no_wipe))]
        {
            zeroize::Zeroize::zeroize(&mut self.keys);
            zeroize::Zeroize::zeroize(&mut self.blocks);
        }
    }
}

impl AesBatch<'_> {
    /// [`AesBatch::working_keys`]'s loop on `engine` (an AES-128 BDK).
    pub(super) fn run_lanes(
        &mut self,
        engine: &AesLanes128,
        ksns: &[AesKsn],
        usage: KeyUsage,
        key_type: WorkingKeyType,
        out: &mut [AesBatchKey],
    ) -> Result<usize, DukptError> {
        let kind = self.bdk_kind();
        let len = key_type.key_len();
        let mut lanes = [Lane::default(); AES_LANES];
        let mut s = LaneSecrets {
            keys: [[0; 16]; AES_LANES],
            blocks: [[0; 16]; AES_LANES],
        };
        let mut next = 0usize;
        let mut done = 0usize;
        loop {
            let mut busy = false;
            for ((lane, key), block) in lanes.iter_mut().zip(&mut s.keys).zip(&mut s.blocks) {
                // An idle lane takes the next valid KSN; its initial key comes from the
                // cache or the BDK.
                if lane.at.job.is_none() {
                    *lane = Lane::default();
                    if lane.at.take(ksns, &mut next, out) {
                        self.initial_key(&lane.at.ikid, key);
                    }
                }
                if lane.at.job.is_none() {
                    *block = [0; 16];
                    continue;
                }
                busy = true;
                let step = lane.at.steps.next();
                lane.stepping = step.is_some();
                *block = match step {
                    Some(step) => derivation_step_data(kind, &lane.at.ikid, step),
                    None => {
                        let mut d =
                            working_key_data(usage, key_type, &lane.at.ikid, lane.at.counter);
                        // The key block counter: 1, then 2 (DeriveKey).
                        d[1] = d[1].wrapping_add(u8::try_from(lane.out_block).unwrap_or(0));
                        d
                    }
                };
            }
            if !busy {
                break;
            }
            engine.encrypt(&s.keys, &mut s.blocks);
            for ((lane, key), block) in lanes.iter_mut().zip(&mut s.keys).zip(&s.blocks) {
                let Some(j) = lane.at.job else { continue };
                if lane.stepping {
                    *key = *block;
                    continue;
                }
                let from = 16 * lane.out_block;
                let to = len.min(from + 16);
                if let Some(o) = out.get_mut(j) {
                    o.put(from..to, block);
                    if to == len {
                        o.finish(key_type, usage);
                        done += 1;
                    }
                }
                if to == len {
                    lane.at.job = None;
                } else {
                    lane.out_block += 1;
                }
            }
        }
        Ok(done)
    }
}
