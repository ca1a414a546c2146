//! The monotonic counter as the store uses it: the value it last read or set (`hw`),
//! and the counter budget, which records step it (see the manual's "Rollback").
use super::audit::AuditCode;
use super::error::Error;
use crate::platform::MonotonicCounter;

/// The board's counter and its last known value.
pub(crate) struct Rollback<C> {
    counter: C,
    hw: u32,
    /// No record has stepped the counter since the store was opened: the next one does.
    fresh: bool,
}

/// Whether a record with audit event `event` steps the counter (a security event: what
/// it records must not come back by restoring an older flash image), or is chained to
/// the records before it under the current counter value (rolled back with them, within
/// the window the manual states).
pub(crate) fn steps_counter(event: AuditCode) -> bool {
    match event {
        // Lost by a rollback, they are lost: nothing comes back that was taken away.
        AuditCode::Generated
        | AuditCode::Imported
        | AuditCode::ImportedWrapped
        | AuditCode::BackupImported
        | AuditCode::Exported
        | AuditCode::StatePut => false,
        // Rolled back, they would give back a revoked or destroyed key, uses counted
        // against a limit, or make an older key version the newest again.
        AuditCode::Revoked
        | AuditCode::Destroyed
        | AuditCode::UseCounted
        | AuditCode::Rotated
        | AuditCode::Formatted
        | AuditCode::TamperWipe
        // A key state moved (a restored image must not re-activate a deactivated or
        // compromised version), a compromised key's audited use, the epoch (rolled back,
        // it would give back protect periods) and a purge.
        | AuditCode::StateChanged
        | AuditCode::CompromisedUse
        | AuditCode::EpochAdvanced
        | AuditCode::Purged
        | AuditCode::Unknown => true,
    }
}

impl<C: MonotonicCounter> Rollback<C> {
    /// Reads the counter.
    pub(crate) fn new(mut counter: C) -> Result<Self, Error> {
        let hw = counter.read().map_err(|_| Error::Counter)?;
        Ok(Self {
            counter,
            hw,
            fresh: true,
        })
    }

    /// The counter value to stamp a record with, and whether it steps the counter
    /// (after it commits): `security` records and the first record after each open step
    /// (`hw + 1`), the others are chained under `hw`.
    pub(crate) fn stamp(&self, security: bool) -> Result<(u32, bool), Error> {
        if security || self.fresh {
            Ok((self.next()?, true))
        } else {
            Ok((self.hw, false))
        }
    }

    /// The counter's value.
    pub(crate) fn hw(&self) -> u32 {
        self.hw
    }

    /// The value a stepped record carries: the counter's next value.
    pub(crate) fn next(&self) -> Result<u32, Error> {
        self.hw.checked_add(1).ok_or(Error::Exhausted)
    }

    /// Steps the counter (after the record carrying [`Rollback::next`] committed).
    pub(crate) fn step(&mut self) -> Result<(), Error> {
        self.hw = self.counter.increment().map_err(|_| Error::Counter)?;
        self.fresh = false;
        Ok(())
    }

    /// Checks the largest counter value on flash against the counter: equal is current,
    /// one ahead is a step cut off after its record committed (finished here), anything
    /// else is a rolled-back image or a counter that fell behind.
    pub(crate) fn check(&mut self, on_flash: u32) -> Result<(), Error> {
        if on_flash < self.hw {
            return Err(Error::RolledBack);
        }
        if on_flash > self.hw.saturating_add(1) {
            return Err(Error::CounterAhead);
        }
        if on_flash == self.hw.saturating_add(1) {
            self.step()?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::platform::CounterError;

    struct Ram(u32, bool);
    impl MonotonicCounter for Ram {
        fn read(&mut self) -> Result<u32, CounterError> {
            Ok(self.0)
        }
        fn increment(&mut self) -> Result<u32, CounterError> {
            if self.1 {
                return Err(CounterError::Hardware);
            }
            self.0 += 1;
            Ok(self.0)
        }
    }

    #[test]
    fn check_accepts_current_finishes_a_cut_step_and_refuses_the_rest() {
        let mut r = Rollback::new(Ram(5, false)).unwrap();
        assert_eq!(r.check(5), Ok(()));
        assert_eq!(r.hw(), 5);
        assert_eq!(r.check(4), Err(Error::RolledBack));
        assert_eq!(r.check(7), Err(Error::CounterAhead));
        assert_eq!(r.hw(), 5);
        // A record stamped 6 committed, the step was cut off: finished.
        assert_eq!(r.next(), Ok(6));
        assert_eq!(r.check(6), Ok(()));
        assert_eq!(r.hw(), 6);
        assert_eq!(r.check(5), Err(Error::RolledBack));
    }

    #[test]
    fn the_first_record_after_open_and_security_records_step_the_rest_chain() {
        let mut r = Rollback::new(Ram(5, false)).unwrap();
        assert_eq!(r.stamp(false), Ok((6, true)), "first record after open");
        r.step().unwrap();
        assert_eq!(r.stamp(false), Ok((6, false)));
        assert_eq!(r.stamp(false), Ok((6, false)));
        assert_eq!(r.stamp(true), Ok((7, true)));
        // A step cut off (no `step`) leaves the next record stepping again.
        let r = Rollback::new(Ram(5, false)).unwrap();
        assert_eq!(r.stamp(false), Ok((6, true)));
        assert!(!steps_counter(AuditCode::StatePut));
        assert!(steps_counter(AuditCode::Revoked) && steps_counter(AuditCode::Destroyed));
    }

    #[test]
    fn a_failing_counter_is_an_error() {
        let mut r = Rollback::new(Ram(1, true)).unwrap();
        assert_eq!(r.step(), Err(Error::Counter));
        assert_eq!(r.check(2), Err(Error::Counter));
        assert_eq!(r.hw(), 1);
        let r = Rollback::new(Ram(u32::MAX, false)).unwrap();
        assert_eq!(r.next(), Err(Error::Exhausted));
    }
}
