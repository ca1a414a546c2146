//! The Secure API: one entry per operation of the by-handle service
//! (`keyfort_capi::service::Service`, the surface the C API binds too), each checking and
//! copying its Non-secure arguments ([`crate::entry::ns`]) before the service sees them.
//!
//! Every entry returns a non-negative count or length, or a negative `kf_status_t`. A
//! refused argument leaves the service untouched (checks come first); an output is
//! written only after its operation succeeded, and zeroed if the operation failed.
use core::cell::RefCell;

use cortex_m::interrupt::Mutex;
use embedded_hal::digital::InputPin;
use keyfort::rng::{Csprng, MinEntropy};
use keyfort_board_qemu as board;
use keyfort_capi::service::{Injection, Service, KF_KSN_SIZE, KF_PIN_BLOCK_SIZE};
use keyfort_capi::status::*;
use keyfort_capi::types::*;
use keyfort_secure_client::abi::{PinArgs, WrapArgs, FACTORY_KBPK, MAX_LEN, OPEN_FORMAT, TAMPERED};
use keyfort_testkit::demo::{factory, files};
use zeroize::Zeroize;

use crate::entry::ns;
use crate::nsc_entry;

type Rng = Csprng<board::entropy::HostEntropy>;
type Svc = Service<
    board::flash::SemihostFlash,
    board::secret::TestDeviceSecret,
    Rng,
    board::counter::FileCounter,
>;

/// The one service (Secure RAM), its DUKPT state where the demo's factory layout puts it.
static SERVICE: Mutex<RefCell<Svc>> = Mutex::new(RefCell::new(Service::new(factory::DUKPT_SLOT)));

/// The demo's factory injection (`keyfort demo provision` writes it).
const INJECTION: Injection = Injection {
    kbpk_id: factory::KBPK_ID,
    initial_key_id: factory::INITIAL_KEY_ID,
    slot: factory::INJECTION_SLOT,
    done: factory::INJECTION_DONE,
};
// The Secure API's factory KBPK (imported at format) is the demo factory's KBPK.
const _: () = assert!(FACTORY_KBPK == factory::KBPK_ID as u32);

/// The factory KBPK file (TEST ONLY: the key-injection bench writes it into the device
/// directory; the Secure image reads it once, at format, and stores it sealed).
const FACTORY_KBPK_FILE: &core::ffi::CStr = files::FACTORY_KBPK;
/// Where the tamper response writes the Secure RAM for the host's scan.
const SECURE_RAM_DUMP: &core::ffi::CStr = files::RAM_DUMP;

/// Why an entry failed: a service status, or the tamper response ran.
enum Fail {
    Status(kf_status_t),
    Tampered,
}

impl From<kf_status_t> for Fail {
    fn from(s: kf_status_t) -> Self {
        Fail::Status(s)
    }
}

/// Runs `f` on the service with Non-secure interrupts masked (a re-entered entry gets
/// `KF_ERROR_BAD_STATE`), and turns its result into the entry's return word.
fn with<E: Into<Fail>>(f: impl FnOnce(&mut Svc) -> Result<usize, E>) -> i32 {
    let r = cortex_m::interrupt::free(|cs| match SERVICE.borrow(cs).try_borrow_mut() {
        Ok(mut s) => f(&mut s).map_err(Into::into),
        Err(_) => Err(Fail::Status(KF_ERROR_BAD_STATE)),
    });
    match r {
        Ok(n) => i32::try_from(n).unwrap_or(i32::MAX),
        Err(Fail::Status(e)) => e as i32,
        Err(Fail::Tampered) => TAMPERED,
    }
}

/// The tamper line: if asserted, crypto-erase the store, drop the terminal, overwrite
/// the free Secure stack and write the Secure RAM out (`ram.bin`, the file `keyfort demo scan` searches).
fn tamper_check(s: &mut Svc) -> Result<(), Fail> {
    let mut pin = board::tamper::HostTamperPin::new(board::files::TAMPER);
    if !pin.is_high().unwrap_or(true) {
        return Ok(());
    }
    defmt::println!("tamper: line asserted, wiping keys");
    if s.is_open() {
        let _ = s.tamper_wipe();
    }
    s.close();
    let wiped = board::ram::wipe_free_stack();
    let dumped = keyfort_board_qemu::ram::dump_in_use(SECURE_RAM_DUMP);
    defmt::println!(
        "tamper: keys wiped; free Secure stack overwritten ({=usize} bytes); Secure RAM written to ram.bin ({=usize} bytes)",
        wiped,
        dumped
    );
    Err(Fail::Tampered)
}

fn rng(personalization: &[u8]) -> Status<Rng> {
    let src = board::entropy::HostEntropy::open().map_err(|_| KF_ERROR_INSUFFICIENT_ENTROPY)?;
    Csprng::new(src, MinEntropy::Bits8, personalization).map_err(|_| KF_ERROR_INSUFFICIENT_ENTROPY)
}

extern "C" fn open(flags: u32, _: u32, _: u32, _: u32) -> i32 {
    with(|s| open_service(s, flags))
}

/// Opens (or formats) the store on the board; what `kfs_open` does.
fn open_service(s: &mut Svc, flags: u32) -> Result<usize, Fail> {
    if flags & !OPEN_FORMAT != 0 {
        return Err(KF_ERROR_INVALID_ARGUMENT.into());
    }
    tamper_check(s)?;
    let b = board::Board::take().map_err(|_| KF_ERROR_STORAGE_FAILURE)?;
    let (r1, r2) = (rng(b"kfs-store")?, rng(b"kfs-ops")?);
    if flags & OPEN_FORMAT == 0 {
        s.open(b.flash, b.device_secret, r1, r2, b.counter)?;
        return Ok(0);
    }
    s.format(b.flash, b.device_secret, r1, r2, b.counter)?;
    let mut kbpk = [0u8; 32];
    let r = match board::read_host_file(FACTORY_KBPK_FILE, &mut kbpk) {
        Ok(32) => {
            let a = kf_key_attributes_t {
                id: FACTORY_KBPK,
                key_type: KF_KEY_TYPE_AES,
                bits: 256,
                usage: KF_KEY_USAGE_UNWRAP,
                lifetime: KF_KEY_LIFETIME_PERSISTENT,
                ..Default::default()
            };
            s.import_key(&a, &kbpk).map(|_| 0).map_err(Fail::from)
        }
        // No factory key: an empty store (keys come by generate or unwrap).
        _ => Ok(0),
    };
    kbpk.zeroize();
    r
}

/// A timer: runs the operation (third argument) the given number of times and reports.
pub type Measure<'a> = &'a mut dyn FnMut(&str, u32, &mut dyn FnMut());

/// `./x tz-bench`'s in-process side: the same service operations as the Non-secure
/// bench's, called here without the boundary (see [`crate::bench`]).
pub fn bench_in_process(measure: Measure<'_>) {
    cortex_m::interrupt::free(|cs| {
        let Ok(mut s) = SERVICE.borrow(cs).try_borrow_mut() else {
            return;
        };
        let s: &mut Svc = &mut s;
        if open_service(s, 0).is_err() || s.dukpt_factory_inject(&INJECTION).is_err() {
            defmt::println!("bench: the store or the terminal is missing");
            return;
        }
        measure("in-process-dukpt-status", 100, &mut || {
            let _ = core::hint::black_box(s.dukpt_status());
        });
        let msg = [0x41u8; 112];
        measure("in-process-dukpt-transaction", 10, &mut || {
            if s.dukpt_begin().is_err() {
                return;
            }
            let (mut blk, mut enc, mut tag) = ([0u8; 16], [0u8; 32], [0u8; 16]);
            let _ = s.dukpt_encrypt_pin(b"1234", b"4111111111111111", &mut blk);
            let _ = s.dukpt_encrypt_data(&[0; 16], &msg[..32], &mut enc);
            let _ = s.dukpt_mac(KF_ALG_CMAC, &msg, &mut tag);
            s.dukpt_end();
        });
        s.close();
    });
}
nsc_entry!(kfs_open => open);

extern "C" fn close(_: u32, _: u32, _: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        s.close();
        Ok(0)
    })
}
nsc_entry!(kfs_close => close);

/// An attributes object in and out: copied in, the operation's key id filled in, the
/// new key's attributes written back.
fn new_key(
    io: u32,
    s: &mut Svc,
    f: impl FnOnce(&mut Svc, &kf_key_attributes_t) -> Status<kf_key_id_t>,
) -> Status<usize> {
    let a: kf_key_attributes_t = ns::read(io)?;
    let out = ns::out::<kf_key_attributes_t>(io)?;
    let id = f(s, &a)?;
    out.write_items(&[s.key_attributes(id)?])?;
    Ok(0)
}

extern "C" fn generate_key(io: u32, _: u32, _: u32, _: u32) -> i32 {
    with(|s| new_key(io, s, |s, a| s.generate_key(a)))
}
nsc_entry!(kfs_generate_key => generate_key);

extern "C" fn rotate_key(key: u32, out_id: u32, _: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        let out = ns::out::<u32>(out_id)?;
        let id = s.rotate_key(key)?;
        out.write(&id.to_le_bytes())?;
        Ok(0)
    })
}
nsc_entry!(kfs_rotate_key => rotate_key);

extern "C" fn revoke_key(key: u32, _: u32, _: u32, _: u32) -> i32 {
    with(|s| s.revoke_key(key).map(|()| 0))
}
nsc_entry!(kfs_revoke_key => revoke_key);

extern "C" fn destroy_key(key: u32, _: u32, _: u32, _: u32) -> i32 {
    with(|s| s.destroy_key(key).map(|()| 0))
}
nsc_entry!(kfs_destroy_key => destroy_key);

extern "C" fn key_attributes(key: u32, out: u32, _: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        let out = ns::out::<kf_key_attributes_t>(out)?;
        out.write_items(&[s.key_attributes(key)?])?;
        Ok(0)
    })
}
nsc_entry!(kfs_key_attributes => key_attributes);

/// Most records one inventory or audit call returns.
const LIST_MAX: usize = 32;

extern "C" fn inventory(out: u32, _: u32, _: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        let out = ns::out_buf(out)?;
        let mut list = [kf_key_attributes_t::default(); LIST_MAX];
        let cap = (out.len() / core::mem::size_of::<kf_key_attributes_t>()).min(LIST_MAX);
        let n = s.inventory(&mut list[..cap])?;
        out.write_items(&list[..n])?;
        Ok(n)
    })
}
nsc_entry!(kfs_inventory => inventory);

extern "C" fn audit(out: u32, _: u32, _: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        let out = ns::out_buf(out)?;
        let mut list = [kf_audit_event_t::default(); LIST_MAX];
        let cap = (out.len() / core::mem::size_of::<kf_audit_event_t>()).min(LIST_MAX);
        let n = s.audit(&mut list[..cap])?;
        out.write_items(&list[..n])?;
        Ok(n)
    })
}
nsc_entry!(kfs_audit => audit);

extern "C" fn tr31_import(kbpk: u32, block: u32, io: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        let a: kf_key_attributes_t = ns::read(io)?;
        let out = ns::out::<kf_key_attributes_t>(io)?;
        let mut buf = [0u8; MAX_LEN as usize];
        let block = ns::copy_in(block, &mut buf)?;
        let id = u16::try_from(a.id).map_err(|_| KF_ERROR_INVALID_ARGUMENT)?;
        let attrs = s.tr31_import(kbpk, block, id)?;
        out.write_items(&[attrs])?;
        Ok(0)
    })
}
nsc_entry!(kfs_tr31_import => tr31_import);

extern "C" fn unwrap_key(io: u32, kek: u32, alg: u32, wrapped: u32) -> i32 {
    with(|s| -> Status<usize> {
        let mut buf = [0u8; 64];
        let wrapped = ns::copy_in(wrapped, &mut buf)?;
        new_key(io, s, |s, a| s.unwrap_key(a, kek, alg, wrapped))
    })
}
nsc_entry!(kfs_unwrap_key => unwrap_key);

/// Runs `f` into a Secure buffer of `N` bytes, then copies its output to `out` (or
/// zeroes `out` if `f` failed).
fn to_out<const N: usize>(
    out: ns::Out,
    f: impl FnOnce(&mut [u8]) -> Status<usize>,
) -> Status<usize> {
    let mut tmp = [0u8; N];
    let cap = out.len().min(N);
    let r = f(&mut tmp[..cap]).and_then(|n| {
        out.write(tmp.get(..n).ok_or(KF_ERROR_CORRUPTION_DETECTED)?)?;
        Ok(n)
    });
    tmp.zeroize();
    if r.is_err() {
        out.zero();
    }
    r
}

extern "C" fn wrap_key(args: u32, out: u32, _: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        let a: WrapArgs = ns::read(args)?;
        let out = ns::out_buf(out)?;
        to_out::<64>(out, |o| s.wrap_key(a.wrapping_key, a.alg, a.key, o))
    })
}
nsc_entry!(kfs_wrap_key => wrap_key);

extern "C" fn kcv(key: u32, method: u32, out: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        let out = ns::out_buf(out)?;
        to_out::<8>(out, |o| s.key_check_value(key, method, o))
    })
}
nsc_entry!(kfs_kcv => kcv);

extern "C" fn dukpt_load_initial_key(ik: u32, _: u32, _: u32, _: u32) -> i32 {
    with(|s| s.dukpt_load_initial_key(ik).map(|()| 0))
}
nsc_entry!(kfs_dukpt_load_initial_key => dukpt_load_initial_key);

extern "C" fn dukpt_factory_inject(_: u32, _: u32, _: u32, _: u32) -> i32 {
    with(|s| s.dukpt_factory_inject(&INJECTION).map(|()| 0))
}
nsc_entry!(kfs_dukpt_factory_inject => dukpt_factory_inject);

extern "C" fn dukpt_status(out: u32, _: u32, _: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        let out = ns::out::<u32>(out)?;
        let (counter, _) = s.dukpt_status()?;
        out.write(&counter.to_le_bytes())?;
        Ok(0)
    })
}
nsc_entry!(kfs_dukpt_status => dukpt_status);

extern "C" fn dukpt_begin(ksn: u32, _: u32, _: u32, _: u32) -> i32 {
    with(|s| -> Result<usize, Fail> {
        let out = ns::out_buf(ksn)?;
        if out.len() < KF_KSN_SIZE {
            return Err(KF_ERROR_BUFFER_TOO_SMALL.into());
        }
        tamper_check(s)?;
        // The power-cut tests cut here: the next state is about to be sealed.
        let (counter, _) = s.dukpt_status()?;
        defmt::println!("tx {=u32}: persisting DUKPT state", counter);
        let k = s.dukpt_begin()?;
        out.write(&k)?;
        Ok(KF_KSN_SIZE)
    })
}
nsc_entry!(kfs_dukpt_begin => dukpt_begin);

/// Data bytes one DUKPT MAC or encryption call takes at most through the boundary.
const DATA_MAX: usize = 1024;

extern "C" fn dukpt_mac(alg: u32, msg: u32, out: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        let mut buf = [0u8; DATA_MAX];
        let msg = ns::copy_in(msg, &mut buf)?;
        let out = ns::out_buf(out)?;
        to_out::<32>(out, |o| s.dukpt_mac(alg, msg, o))
    })
}
nsc_entry!(kfs_dukpt_mac => dukpt_mac);

extern "C" fn dukpt_encrypt_data(iv: u32, input: u32, out: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        let mut ivb = [0u8; 16];
        let iv = ns::copy_in(iv, &mut ivb)?;
        let mut buf = [0u8; DATA_MAX];
        let input = ns::copy_in(input, &mut buf)?;
        let out = ns::out_buf(out)?;
        to_out::<DATA_MAX>(out, |o| s.dukpt_encrypt_data(iv, input, o))
    })
}
nsc_entry!(kfs_dukpt_encrypt_data => dukpt_encrypt_data);

extern "C" fn dukpt_encrypt_pin(args: u32, out: u32, _: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        let a: PinArgs = ns::read(args)?;
        let (mut pin, mut pan) = ([0u8; 16], [0u8; 32]);
        let pin = ns::copy_in_buf(a.pin, &mut pin)?;
        let pan = ns::copy_in_buf(a.pan, &mut pan)?;
        let out = ns::out_buf(out)?;
        to_out::<KF_PIN_BLOCK_SIZE>(out, |o| s.dukpt_encrypt_pin(pin, pan, o))
    })
}
nsc_entry!(kfs_dukpt_encrypt_pin => dukpt_encrypt_pin);

extern "C" fn dukpt_end(_: u32, _: u32, _: u32, _: u32) -> i32 {
    with(|s| -> Status<usize> {
        s.dukpt_end();
        Ok(0)
    })
}
nsc_entry!(kfs_dukpt_end => dukpt_end);
