//! A key's whole life on target (`./x test lifecycle`), through the public store API
//! only: imported pre-active with a cryptoperiod of one epoch, activated, suspended and
//! reactivated, deactivated by an authenticated epoch message (its protect period
//! ended), revoked for compromise, used once through the compromised opt-in, destroyed;
//! after each step the firmware checks what each use gives (the state's typed error or
//! the key), the inventory's state and the audit log's before/after states, and at the
//! end re-opens the store from flash and checks that the destroyed key stays destroyed.
//! Prints `lifecycle: N checks passed` and exits 0, or names the failed check.
#![no_std]
#![no_main]

use keyfort::attributes::{Algorithm, Usage};
use keyfort::rng::{Csprng, FailClosed, MinEntropy};
use keyfort::store::epoch::epoch_message;
use keyfort::store::{
    AuditCode, Cryptoperiod, Error, KeyHandle, KeyOptions, KeyState, KeyStore, PeriodUnit,
    RevocationReason,
};
use keyfort_firmware::board::{self, entropy::HostEntropy, Board};

type Store = KeyStore<(
    board::flash::SemihostFlash,
    board::secret::TestDeviceSecret,
    FailClosed<HostEntropy>,
    board::counter::FileCounter,
)>;

/// TEST keys (never real keys).
const KEY: [u8; 16] = [0x3C; 16];
const EPOCH_KEY: [u8; 32] = [0xE5; 32];
const ID: u16 = 7;
const EPOCH_ID: u16 = 8;

#[cortex_m_rt::entry]
fn main() -> ! {
    let mut checks = 0u32;
    match run(&mut checks) {
        Ok(()) => {
            defmt::println!("lifecycle: {=u32} checks passed", checks);
            board::exit(0)
        }
        Err(what) => {
            defmt::println!("lifecycle FAILED after {=u32} checks: {=str}", checks, what);
            board::exit(board::EXIT_FAILED)
        }
    }
}

fn rng() -> Result<FailClosed<HostEntropy>, &'static str> {
    let src = HostEntropy::open().map_err(|_| "entropy")?;
    Ok(Csprng::new(src, MinEntropy::Bits8, b"kf-lifecycle")
        .map_err(|_| "entropy")?
        .fail_closed())
}

/// `ok` or a failure named `what`; counts the check.
fn check(checks: &mut u32, ok: bool, what: &'static str) -> Result<(), &'static str> {
    if !ok {
        return Err(what);
    }
    *checks += 1;
    Ok(())
}

/// What using the key for `need` gives: the key's bytes are compared inside the closure.
fn use_key(s: &mut Store, need: Usage, opt_in: bool) -> Result<bool, Error> {
    let h = KeyHandle::version(ID, 1);
    if opt_in {
        s.with_compromised_key(h, need, |k| k == KEY)
    } else {
        s.with_key(h, need, |k| k == KEY)
    }
}

fn state(s: &Store) -> Option<KeyState> {
    s.inventory()
        .find(|i| i.id == ID && i.version == 1)
        .map(|i| i.state)
}

/// The newest audit event is a transition of the key from `before` to `after`.
fn audited(s: &Store, before: KeyState, after: KeyState) -> bool {
    s.audit().last().is_some_and(|e| {
        e.id == ID && e.version == 1 && e.before == Some(before) && e.after == Some(after)
    })
}

fn run(checks: &mut u32) -> Result<(), &'static str> {
    let b = Board::take().map_err(|_| "board setup (device directory not provisioned?)")?;
    let mut s =
        Store::format((b.flash, b.device_secret, rng()?, b.counter)).map_err(|_| "format")?;
    let c = checks;
    s.import(
        EPOCH_ID,
        b"epoch",
        Algorithm::HmacSha256,
        Usage::MAC_VERIFY,
        &EPOCH_KEY,
        None,
    )
    .map_err(|_| "import the epoch key")?;
    let opts = KeyOptions {
        pre_active: true,
        cryptoperiod: Some(Cryptoperiod {
            unit: PeriodUnit::Epochs,
            protect: 1,
            process: 2,
            auto_rotate: false,
        }),
        ..KeyOptions::default()
    };
    let usage = Usage::ENCRYPT | Usage::DECRYPT;
    s.import_with(ID, b"life", Algorithm::Aes128, usage, &KEY, &opts)
        .map_err(|_| "import pre-active")?;

    // Pre-active: nothing.
    check(
        c,
        state(&s) == Some(KeyState::PreActive),
        "state pre-active",
    )?;
    check(
        c,
        use_key(&mut s, Usage::DECRYPT, false) == Err(Error::NotYetActive),
        "pre-active use",
    )?;
    // Active.
    s.activate(ID, 1).map_err(|_| "activate")?;
    check(
        c,
        audited(&s, KeyState::PreActive, KeyState::Active),
        "activation audited",
    )?;
    check(
        c,
        use_key(&mut s, Usage::ENCRYPT, false) == Ok(true),
        "active encrypt",
    )?;
    // Suspended, then active again.
    s.set_state(ID, 1, KeyState::Suspended)
        .map_err(|_| "suspend")?;
    check(
        c,
        use_key(&mut s, Usage::DECRYPT, false) == Err(Error::Suspended),
        "suspended use",
    )?;
    check(
        c,
        s.set_state(ID, 1, KeyState::PreActive) == Err(Error::TransitionRefused),
        "no way back to pre-active",
    )?;
    s.set_state(ID, 1, KeyState::Active)
        .map_err(|_| "reactivate")?;
    check(
        c,
        audited(&s, KeyState::Suspended, KeyState::Active),
        "reactivation audited",
    )?;
    // The host's epoch message ends the protect period: deactivated, decrypt only.
    let id = s.store_id().map_err(|_| "store id")?;
    let msg = epoch_message(&EPOCH_KEY, id, 1).map_err(|_| "epoch message")?;
    let mut forged = msg;
    forged[30] ^= 0x10;
    check(
        c,
        s.advance_epoch(KeyHandle::newest(EPOCH_ID), &forged) == Err(Error::EpochAuth),
        "forged epoch refused",
    )?;
    check(
        c,
        s.advance_epoch(KeyHandle::newest(EPOCH_ID), &msg) == Ok(1),
        "epoch accepted",
    )?;
    check(
        c,
        s.advance_epoch(KeyHandle::newest(EPOCH_ID), &msg) == Err(Error::EpochReplayed),
        "epoch replay refused",
    )?;
    check(
        c,
        state(&s) == Some(KeyState::Deactivated),
        "deactivated at the end of the protect period",
    )?;
    check(
        c,
        use_key(&mut s, Usage::ENCRYPT, false) == Err(Error::Deactivated),
        "deactivated encrypt",
    )?;
    check(
        c,
        use_key(&mut s, Usage::DECRYPT, false) == Ok(true),
        "deactivated decrypt",
    )?;
    // Compromised: only with the opt-in, only decrypt, audited.
    s.revoke_with(ID, 1, RevocationReason::Compromise)
        .map_err(|_| "revoke for compromise")?;
    check(
        c,
        audited(&s, KeyState::Deactivated, KeyState::Compromised),
        "compromise audited",
    )?;
    check(
        c,
        use_key(&mut s, Usage::DECRYPT, false) == Err(Error::Compromised),
        "compromised without opt-in",
    )?;
    check(
        c,
        use_key(&mut s, Usage::ENCRYPT, true) == Err(Error::CompromisedUse),
        "compromised encrypt",
    )?;
    check(
        c,
        use_key(&mut s, Usage::DECRYPT, true) == Ok(true),
        "compromised decrypt with opt-in",
    )?;
    check(
        c,
        s.audit()
            .last()
            .is_some_and(|e| e.code == AuditCode::CompromisedUse),
        "compromised use audited",
    )?;
    // Destroyed: the material gone, the metadata kept.
    s.destroy(ID, None).map_err(|_| "destroy")?;
    check(
        c,
        audited(&s, KeyState::Compromised, KeyState::DestroyedCompromised),
        "destroy audited",
    )?;
    check(
        c,
        use_key(&mut s, Usage::DECRYPT, true) == Err(Error::Destroyed),
        "destroyed use",
    )?;
    // After a power cycle, from flash.
    drop(s);
    let b = Board::take().map_err(|_| "board setup")?;
    let mut s =
        Store::open((b.flash, b.device_secret, rng()?, b.counter)).map_err(|_| "re-open")?;
    check(
        c,
        state(&s) == Some(KeyState::DestroyedCompromised),
        "destroyed after re-open",
    )?;
    check(
        c,
        use_key(&mut s, Usage::DECRYPT, true) == Err(Error::Destroyed),
        "destroyed use after re-open",
    )?;
    check(c, s.epoch() == 1, "epoch after re-open")?;
    Ok(())
}
