//! On-target self-tests of `store` (see [`crate::selftest`]): a 3-sector store of 512-byte
//! sectors in a RAM mock flash (1.5 KiB plus the store's ~2.5 KiB index), small
//! enough for a Cortex-M0.
use super::mock_flash::MockFlash;
use super::{Error, KeyHandle, KeyStore};
use crate::attributes::{Algorithm, Usage};
use crate::platform::{DeviceSecret, NoCounter};
use crate::selftest::{check, Test};

/// The tests of this module.
pub const TESTS: &[Test] = &[
    Test {
        name: "store::seal_reopen_use",
        run: seal_reopen_use,
    },
    Test {
        name: "store::policy_and_rotation",
        run: policy_and_rotation,
    },
    Test {
        name: "store::tamper_wipe_resumes",
        run: tamper_wipe_resumes,
    },
];

type Flash = MockFlash<{ 3 * 512 }, 512>;

struct Dev;
impl DeviceSecret for Dev {
    fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R {
        f(&[0x5E; 32])
    }
}

/// A fixed-sequence generator: self-tests only, NOT a source of real keys.
struct TestRng(u32);
impl rand_core::TryRng for TestRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut x = self.0 | 1;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        Ok(x)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(u64::from(self.try_next_u32()?) << 32 | u64::from(self.try_next_u32()?))
    }
    fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> {
        for b in d {
            *b = self.try_next_u32()?.to_le_bytes()[0];
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for TestRng {}

const KEY: [u8; 16] = *b"self-test key 16";

// Each test owns one flash and lends it to each store by `&mut` (NorFlash is implemented
// for `&mut F`), so the 2.25 KiB array is never moved or copied and only one store is
// alive at a time: on the Cortex-M0 two stores plus a moved flash overflow the stack.

fn seal_reopen_use() -> Result<(), &'static str> {
    let mut flash = Flash::new();
    let h = {
        let mut s =
            KeyStore::format(&mut flash, Dev, TestRng(1), NoCounter).map_err(|_| "format")?;
        s.import(1, b"st", Algorithm::Aes128, Usage::DECRYPT, &KEY, None)
            .map_err(|_| "import")?
    };
    check(
        !flash.as_bytes().windows(8).any(|w| w == &KEY[..8]),
        "key bytes on flash",
    )?;
    let mut s = KeyStore::open(&mut flash, Dev, TestRng(2), NoCounter).map_err(|_| "open")?;
    let ok = s
        .with_key(h, Usage::DECRYPT, |k| k == KEY)
        .map_err(|_| "with_key")?;
    check(ok, "wrong key after reopen")
}

fn policy_and_rotation() -> Result<(), &'static str> {
    let mut flash = Flash::new();
    let mut s = KeyStore::format(&mut flash, Dev, TestRng(3), NoCounter).map_err(|_| "format")?;
    s.import(
        2,
        b"r",
        Algorithm::Aes128,
        Usage::ENCRYPT | Usage::DECRYPT,
        &KEY,
        None,
    )
    .map_err(|_| "import")?;
    check(
        s.with_key(KeyHandle::newest(2), Usage::EXPORT, |_| ()) == Err(Error::UsageDenied),
        "policy not enforced",
    )?;
    s.rotate(2).map_err(|_| "rotate")?;
    check(
        s.with_key(KeyHandle::version(2, 1), Usage::ENCRYPT, |_| ())
            == Err(Error::NotNewestVersion),
        "old version encrypts",
    )?;
    let old = s
        .with_key(KeyHandle::version(2, 1), Usage::DECRYPT, |k| k == KEY)
        .map_err(|_| "old version decrypt")?;
    check(old, "old version wrong")
}

fn tamper_wipe_resumes() -> Result<(), &'static str> {
    let mut flash = Flash::new();
    {
        let mut s =
            KeyStore::format(&mut flash, Dev, TestRng(4), NoCounter).map_err(|_| "format")?;
        s.import(3, b"t", Algorithm::Aes128, Usage::DECRYPT, &KEY, None)
            .map_err(|_| "import")?;
        s.flash_mut().cut_after(60);
        check(s.tamper_wipe() == Err(Error::Flash), "cut not hit")?;
    }
    flash.power_on();
    // The open after the cut finishes the wipe and reports it; the next one opens the
    // empty store.
    let r = KeyStore::open(&mut flash, Dev, TestRng(5), NoCounter).map(|_| ());
    check(r == Err(Error::TamperWiped), "finished wipe not reported")?;
    let mut s =
        KeyStore::open(&mut flash, Dev, TestRng(6), NoCounter).map_err(|_| "open after cut")?;
    check(s.inventory().count() == 0, "keys survived the wipe")?;
    check(
        s.with_key(KeyHandle::newest(3), Usage::DECRYPT, |_| ()) == Err(Error::NotFound),
        "key readable after wipe",
    )
}
