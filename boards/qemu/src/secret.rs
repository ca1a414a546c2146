//! **TEST-ONLY** stand-in for a hardware unique key (HUK).
//!
//! The 32 bytes come from `device-secret.bin` in the device directory, which the runner
//! fills from the host's `/dev/urandom` when it creates the device: each simulated device
//! has its own secret, kept across runs. Anyone who can read that host file has the key,
//! so this protects nothing: it only lets keyfort's key derivation run as it would on a
//! chip. A real board reads a HUK that software cannot export (a PUF, a key slot in a
//! secure element or a crypto engine, an OTP region locked after provisioning).

use core::ffi::CStr;
use keyfort::platform::DeviceSecret;
use semihosting::{fs::File, io::Read};
use zeroize::Zeroize;

/// The device secret could not be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub struct SecretMissing;

/// TEST-ONLY device secret (see the module docs). Wiped on drop; never printed.
pub struct TestDeviceSecret {
    bytes: [u8; 32],
}

impl TestDeviceSecret {
    /// Loads the secret from the host file `path` (at least 32 bytes).
    pub fn load(path: &CStr) -> Result<Self, SecretMissing> {
        let mut file = File::open(path).map_err(|_| SecretMissing)?;
        let mut s = TestDeviceSecret { bytes: [0; 32] };
        file.read_exact(&mut s.bytes).map_err(|_| SecretMissing)?;
        Ok(s)
    }
}

impl DeviceSecret for TestDeviceSecret {
    fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R {
        f(&self.bytes)
    }
}

impl Drop for TestDeviceSecret {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl core::fmt::Debug for TestDeviceSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("TestDeviceSecret(..)")
    }
}
