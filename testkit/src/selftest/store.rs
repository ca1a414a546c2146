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
// for `&mut F`), so the 2.25 KiB array is never moved or copied; each store is built in
// place (`format_in` / `open_in`) inside `with_store`'s own frame, gone when it returns,
// so only one store is on the stack at a time (the Cortex-M0 has 16 KiB of RAM).

/// The platform of a self-test store.
type Plat<'f> = (&'f mut Flash, TestSecret, TestRng, NoCounter);

/// How [`with_store`] gets its store.
#[derive(Clone, Copy)]
enum Start {
    Format,
    Open,
}

/// Formats or opens a store on `flash` (RNG seed `seed`) in place and runs `f` on it;
/// the opening error as is.
#[inline(never)]
fn with_store<T>(
    flash: &mut Flash,
    start: Start,
    seed: u64,
    f: impl FnOnce(&mut KeyStore<Plat<'_>>) -> Result<T, &'static str>,
) -> Result<Result<T, &'static str>, Error> {
    let mut slot = None;
    let p = (flash, TestSecret::A, TestRng(seed), NoCounter);
    match start {
        Start::Format => KeyStore::format_in(&mut slot, p)?,
        Start::Open => KeyStore::open_in(&mut slot, p)?,
    }
    Ok(match slot.as_mut() {
        Some(s) => f(s),
        None => Err("no store in its slot"),
    })
}

fn seal_reopen_use() -> Result<(), &'static str> {
    let mut flash = Flash::new();
    let h = with_store(&mut flash, Start::Format, 1, |s| {
        s.import(1, b"st", Algorithm::Aes128, Usage::DECRYPT, &KEY, None)
            .map_err(|_| "import")
    })
    .map_err(|_| "format")??;
    check(
        !flash.as_bytes().windows(8).any(|w| w == &KEY[..8]),
        "key bytes on flash",
    )?;
    let ok = with_store(&mut flash, Start::Open, 2, |s| {
        s.with_key(h, Usage::DECRYPT, |k| k == KEY)
            .map_err(|_| "with_key")
    })
    .map_err(|_| "open")??;
    check(ok, "wrong key after reopen")
}

fn policy_and_rotation() -> Result<(), &'static str> {
    let mut flash = Flash::new();
    with_store(&mut flash, Start::Format, 3, |s| {
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
    })
    .map_err(|_| "format")?
}

fn tamper_wipe_resumes() -> Result<(), &'static str> {
    let mut flash = Flash::new();
    with_store(&mut flash, Start::Format, 4, |s| {
        s.import(3, b"t", Algorithm::Aes128, Usage::DECRYPT, &KEY, None)
            .map_err(|_| "import")
    })
    .map_err(|_| "format")??;
    // Power is cut 60 flash steps into the wipe: the cut is planned before the store
    // reopens, and the open writes nothing (checked), so it counts from the wipe's start.
    let steps = flash.steps();
    flash.cut_after(60);
    with_store(&mut flash, Start::Open, 7, |s| {
        check(s.flash().steps() == steps, "open wrote to flash")?;
        check(s.tamper_wipe() == Err(Error::Flash), "cut not hit")
    })
    .map_err(|_| "reopen")??;
    flash.power_on();
    // The open after the cut finishes the wipe and reports it; the next one opens the
    // empty store.
    let r = with_store(&mut flash, Start::Open, 5, |_| Ok(()));
    check(
        matches!(r, Err(Error::TamperWiped)),
        "finished wipe not reported",
    )?;
    with_store(&mut flash, Start::Open, 6, |s| {
        check(s.inventory().count() == 0, "keys survived the wipe")?;
        check(
            s.with_key(KeyHandle::newest(3), Usage::DECRYPT, |_| ()) == Err(Error::NotFound),
            "key readable after wipe",
        )
    })
    .map_err(|_| "open after cut")?
}
