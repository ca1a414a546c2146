//! On-target self-tests of `store` (see [`super`]): a 3-sector store of 512-byte
//! sectors in a RAM mock flash (1.5 KiB plus the store's ~2.5 KiB index), small
//! enough for a Cortex-M0.
use super::{check, Test};
use crate::mock_flash::MockFlash;
use crate::platform::{TestRng, TestSecret};
use keyfort::attributes::{Algorithm, Usage};
use keyfort::platform::NoCounter;
use keyfort::store::{Error, KeyHandle, KeyStore};

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

type Flash = MockFlash<{ 3 * 1024 }, 1024>;

const KEY: [u8; 16] = *b"self-test key 16";

// Each test owns one flash and lends it to each store by `&mut` (NorFlash is implemented
// for `&mut F`), so the 2.25 KiB array is never moved or copied and only one store is
// alive at a time: on the Cortex-M0 two stores plus a moved flash overflow the stack.

fn seal_reopen_use() -> Result<(), &'static str> {
    let mut flash = Flash::new();
    let h = {
        let mut s = KeyStore::format((&mut flash, TestSecret::A, TestRng(1), NoCounter))
            .map_err(|_| "format")?;
        s.import(1, b"st", Algorithm::Aes128, Usage::DECRYPT, &KEY, None)
            .map_err(|_| "import")?
    };
    check(
        !flash.as_bytes().windows(8).any(|w| w == &KEY[..8]),
        "key bytes on flash",
    )?;
    let mut s =
        KeyStore::open((&mut flash, TestSecret::A, TestRng(2), NoCounter)).map_err(|_| "open")?;
    let ok = s
        .with_key(h, Usage::DECRYPT, |k| k == KEY)
        .map_err(|_| "with_key")?;
    check(ok, "wrong key after reopen")
}

fn policy_and_rotation() -> Result<(), &'static str> {
    let mut flash = Flash::new();
    let mut s = KeyStore::format((&mut flash, TestSecret::A, TestRng(3), NoCounter))
        .map_err(|_| "format")?;
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
        let mut s = KeyStore::format((&mut flash, TestSecret::A, TestRng(4), NoCounter))
            .map_err(|_| "format")?;
        s.import(3, b"t", Algorithm::Aes128, Usage::DECRYPT, &KEY, None)
            .map_err(|_| "import")?;
    }
    // Power is cut 60 flash steps into the wipe: the cut is planned before the store
    // reopens, and the open writes nothing (checked), so it counts from the wipe's start.
    let steps = flash.steps();
    flash.cut_after(60);
    {
        let mut s = KeyStore::open((&mut flash, TestSecret::A, TestRng(7), NoCounter))
            .map_err(|_| "reopen")?;
        check(s.flash().steps() == steps, "open wrote to flash")?;
        check(s.tamper_wipe() == Err(Error::Flash), "cut not hit")?;
    }
    flash.power_on();
    // The open after the cut finishes the wipe and reports it; the next one opens the
    // empty store.
    let r = KeyStore::open((&mut flash, TestSecret::A, TestRng(5), NoCounter)).map(|_| ());
    check(r == Err(Error::TamperWiped), "finished wipe not reported")?;
    let mut s = KeyStore::open((&mut flash, TestSecret::A, TestRng(6), NoCounter))
        .map_err(|_| "open after cut")?;
    check(s.inventory().count() == 0, "keys survived the wipe")?;
    check(
        s.with_key(KeyHandle::newest(3), Usage::DECRYPT, |_| ()) == Err(Error::NotFound),
        "key readable after wipe",
    )
}
