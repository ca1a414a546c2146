//! On-target self-tests of `rng` (see [`crate::selftest`]).
use crate::selftest::Test;

/// The tests of this module.
pub const TESTS: &[Test] = &[];
