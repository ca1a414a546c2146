//! The store tests' platform: the test kit's device secret (as `Dev`), deterministic
//! generator (NOT cryptographic) and counter shared across simulated reboots.
#![allow(unused_imports, dead_code)]
pub use keyfort_testkit::contains;
pub use keyfort_testkit::platform::{SharedCounter, TestRng, TestSecret as Dev, DEV_A, DEV_B};

pub mod counter_steps;
