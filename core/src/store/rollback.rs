//! The monotonic counter as the store uses it: the value it last read or set (`hw`).
//! Which records step it is the store's counter budget (see the manual's "Rollback").
use super::error::Error;
use crate::platform::MonotonicCounter;

/// The board's counter and its last known value.
pub(crate) struct Rollback<C> {
    counter: C,
    hw: u32,
}

impl<C: MonotonicCounter> Rollback<C> {
    /// Reads the counter.
    pub(crate) fn new(mut counter: C) -> Result<Self, Error> {
        let hw = counter.read().map_err(|_| Error::Counter)?;
        Ok(Self { counter, hw })
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
    fn a_failing_counter_is_an_error() {
        let mut r = Rollback::new(Ram(1, true)).unwrap();
        assert_eq!(r.step(), Err(Error::Counter));
        assert_eq!(r.check(2), Err(Error::Counter));
        assert_eq!(r.hw(), 1);
        let r = Rollback::new(Ram(u32::MAX, false)).unwrap();
        assert_eq!(r.next(), Err(Error::Exhausted));
    }
}
