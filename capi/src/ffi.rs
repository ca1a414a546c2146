//! The C entry points. Each one checks every pointer and length before anything else
//! (NULL, alignment, a range that wraps the address space, a length above the
//! argument's maximum, an output overlapping any other argument, any argument overlapping
//! the store object), copies its input structs in, runs the [`crate::service`] operation
//! with panics contained, and zeroes every output (buffers, lengths, ids, structs) when it
//! fails. Nothing is allocated.
//!
//! The store object `kf_store_t` is caller memory (static, or on a stack that outlives
//! its use): zero it before the first open. It is not thread-safe: serialise calls on one
//! store object. A call made from inside a board callback on the same store object is
//! refused with `KF_ERROR_BAD_STATE`.
use core::mem::{align_of, size_of};
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

use keyfort::rng::Csprng;

use crate::board::{kf_board_t, Board, CCounter, CDevice, CEntropy, CFlash};
use crate::service::*;
use crate::status::*;
use crate::types::*;

/// Size of `kf_store_t` in 8-byte words.
pub const KF_STORE_WORDS: usize = 768;
/// Size of `kf_store_t` in bytes (the store's RAM index, audit ring, DUKPT terminal and
/// DRBGs; checked against the real size when keyfort is built, on every target).
pub const KF_STORE_SIZE: usize = KF_STORE_WORDS * 8;
/// Most entries `kf_inventory` and `kf_audit` take per call.
pub const KF_MAX_LIST: usize = 256;

/// The memory of one open store: caller-owned, opaque. Zero it before
/// the first `kf_store_open` / `kf_store_format`. 16-byte aligned.
#[allow(non_camel_case_types)]
#[repr(C, align(16))]
#[derive(Debug)]
pub struct kf_store_t {
    /// Opaque.
    pub opaque: [u64; KF_STORE_WORDS],
}

type CService = Service<CFlash, CDevice, Csprng<CEntropy>, CCounter>;

/// The state slot the C API's DUKPT terminal keeps its state in (the C API's storage
/// layout; it keeps no other state record).
const DUKPT_STATE_SLOT: u16 = 10;

/// What `kf_store_t` holds: a state word, read before anything else, then the service.
#[repr(C)]
struct Slot {
    state: u32,
    svc: CService,
}

/// `Slot::state`: the service is initialised and open.
const OPEN: u32 = 0x4B46_4F50;
/// `Slot::state`: a call is running on it.
const BUSY: u32 = 0x4B46_4255;

const _: () = assert!(size_of::<Slot>() <= size_of::<kf_store_t>());
const _: () = assert!(align_of::<Slot>() <= align_of::<kf_store_t>());

/// The store object of the call in progress, for the device panic handler.
static CURRENT: AtomicPtr<kf_store_t> = AtomicPtr::new(ptr::null_mut());

/// Wipes the store object of the call in progress (for the panic handler): its keys'
/// RAM state, terminal registers and DRBG state are overwritten, and it reads as closed.
pub fn wipe_current() {
    let p = CURRENT.swap_or_load(ptr::null_mut());
    if !p.is_null() {
        wipe_store(p);
    }
}

trait SwapOrLoad {
    fn swap_or_load(&self, v: *mut kf_store_t) -> *mut kf_store_t;
}
impl SwapOrLoad for AtomicPtr<kf_store_t> {
    // thumbv6m has atomic load/store but no swap: a load then a store is enough here (a
    // panic handler runs once, on one core).
    fn swap_or_load(&self, v: *mut kf_store_t) -> *mut kf_store_t {
        let p = self.load(Ordering::Acquire);
        self.store(v, Ordering::Release);
        p
    }
}

/// Overwrites a whole store object with zeroes (without running drops: nothing in it
/// owns memory elsewhere).
fn wipe_store(p: *mut kf_store_t) {
    let words = p.cast::<u64>();
    for i in 0..KF_STORE_WORDS {
        // SAFETY: `p` is a non-null, aligned store object of KF_STORE_WORDS words (checked
        // by every entry point before it is recorded); volatile so the wipe stays.
        unsafe { ptr::write_volatile(words.add(i), 0) };
    }
    core::sync::atomic::compiler_fence(Ordering::SeqCst);
}

/// Runs `f`, containing a panic (host: `catch_unwind`; device: the panic handler wipes
/// and halts, so this never returns there after a panic).
fn contained(f: impl FnOnce() -> kf_status_t) -> Option<kf_status_t> {
    #[cfg(not(target_os = "none"))]
    {
        std::panic::catch_unwind(core::panic::AssertUnwindSafe(f)).ok()
    }
    #[cfg(target_os = "none")]
    {
        Some(f())
    }
}

fn code(r: Status) -> kf_status_t {
    match r {
        Ok(()) => KF_SUCCESS,
        Err(e) => e,
    }
}

/// One argument range the call uses.
#[derive(Clone, Copy)]
struct Range {
    start: usize,
    len: usize,
    output: bool,
}

impl Range {
    fn overlaps(&self, o: &Range) -> bool {
        self.len != 0
            && o.len != 0
            && self.start < o.start + o.len
            && o.start < self.start + self.len
    }
}

/// The checked arguments of one call; on failure its outputs are zeroed.
struct Args {
    store: Range,
    ranges: [Range; 8],
    n: usize,
}

impl Args {
    fn new(store: *mut kf_store_t) -> Self {
        let r = Range {
            start: store as usize,
            len: size_of::<kf_store_t>(),
            output: true,
        };
        Self {
            store: r,
            ranges: [r; 8],
            n: 0,
        }
    }

    /// Records a range: non-null unless empty, not wrapping, at most `max` bytes, aligned
    /// to `align`, not overlapping the store object, and (for an output) nothing else.
    fn add(&mut self, p: usize, len: usize, max: usize, align: usize, output: bool) -> Status {
        if len > max || (len != 0 && p == 0) || p % align != 0 {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        }
        p.checked_add(len).ok_or(KF_ERROR_INVALID_ARGUMENT)?;
        let r = Range {
            start: p,
            len,
            output,
        };
        if r.overlaps(&self.store) {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        }
        for o in self.ranges.iter().take(self.n) {
            if (output || o.output) && r.overlaps(o) {
                return Err(KF_ERROR_INVALID_ARGUMENT);
            }
        }
        let slot = self
            .ranges
            .get_mut(self.n)
            .ok_or(KF_ERROR_CORRUPTION_DETECTED)?;
        *slot = r;
        self.n += 1;
        Ok(())
    }

    /// An input buffer of `len` bytes (NULL allowed when `len` is 0).
    ///
    /// # Safety
    /// `p` must be readable for `len` bytes for the duration of the call (the C caller's
    /// promise); the checks here cover everything else.
    unsafe fn input<'a>(&mut self, p: *const u8, len: usize, max: usize) -> Status<&'a [u8]> {
        self.add(p as usize, len, max, 1, false)?;
        if len == 0 {
            return Ok(&[]);
        }
        // SAFETY: non-null, not wrapping, at most `max` bytes, readable (caller's promise),
        // and no output of this call overlaps it, so nothing writes it while borrowed.
        Ok(unsafe { core::slice::from_raw_parts(p, len) })
    }

    /// An output buffer of `size` bytes (must not be NULL, even when `size` is 0).
    ///
    /// # Safety
    /// `p` must be writable for `size` bytes for the duration of the call.
    unsafe fn output<'a>(&mut self, p: *mut u8, size: usize, max: usize) -> Status<&'a mut [u8]> {
        if p.is_null() {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        }
        self.add(p as usize, size, max, 1, true)?;
        // SAFETY: non-null, not wrapping, at most `max` bytes, writable (caller's
        // promise), overlapping no other argument and not the store object: the only
        // reference to these bytes.
        Ok(unsafe { core::slice::from_raw_parts_mut(p, size) })
    }

    /// An output value (must not be NULL; aligned for `T`).
    ///
    /// # Safety
    /// `p` must be writable for one `T` for the duration of the call.
    unsafe fn out<'a, T>(&mut self, p: *mut T) -> Status<&'a mut T> {
        if p.is_null() {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        }
        self.add(
            p as usize,
            size_of::<T>(),
            size_of::<T>(),
            align_of::<T>(),
            true,
        )?;
        // SAFETY: non-null, aligned, writable (caller's promise), disjoint from every
        // other argument and the store object; `T` here is a plain C struct or integer
        // for which every bit pattern is valid, so the old content may be anything.
        Ok(unsafe { &mut *p })
    }

    /// An array of `count` output values.
    ///
    /// # Safety
    /// `p` must be writable for `count` values for the duration of the call.
    unsafe fn out_array<'a, T>(&mut self, p: *mut T, count: usize) -> Status<&'a mut [T]> {
        if p.is_null() || count > KF_MAX_LIST {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        }
        let bytes = count
            .checked_mul(size_of::<T>())
            .ok_or(KF_ERROR_INVALID_ARGUMENT)?;
        self.add(p as usize, bytes, usize::MAX, align_of::<T>(), true)?;
        // SAFETY: as for `out`, for `count` consecutive values.
        Ok(unsafe { core::slice::from_raw_parts_mut(p, count) })
    }

    /// Copies an input struct in (the caller may change its copy afterwards).
    ///
    /// # Safety
    /// `p` must be readable for one `T`; every bit pattern must be a valid `T`.
    unsafe fn copy_in<T: Copy>(&mut self, p: *const T) -> Status<T> {
        if p.is_null() {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        }
        self.add(
            p as usize,
            size_of::<T>(),
            size_of::<T>(),
            align_of::<T>(),
            false,
        )?;
        // SAFETY: non-null, aligned, readable (caller's promise); `T` is a plain C struct.
        Ok(unsafe { ptr::read(p) })
    }

    /// Zeroes every output range (after the call's references to them are gone).
    fn zero_outputs(&self) {
        for r in self.ranges.iter().take(self.n).filter(|r| r.output) {
            // SAFETY: the range was checked (non-null, not wrapping, writable by the
            // caller's promise) when it was recorded, and nothing borrows it any more.
            unsafe { ptr::write_bytes(r.start as *mut u8, 0, r.len) };
        }
    }
}

/// The store object behind `store` if it is non-null and aligned.
fn slot_ptr(store: *mut kf_store_t) -> Option<*mut Slot> {
    if store.is_null() || (store as usize) % align_of::<kf_store_t>() != 0 {
        return None;
    }
    Some(store.cast::<Slot>())
}

/// The common shape of an entry point on an open store: check the store object, mark it
/// busy, let `f` check its arguments and run the operation with panics contained, zero
/// the outputs on failure.
fn call(store: *mut kf_store_t, f: impl FnOnce(&mut Args, &mut CService) -> Status) -> kf_status_t {
    let Some(slot) = slot_ptr(store) else {
        return KF_ERROR_INVALID_HANDLE;
    };
    // SAFETY: `slot` is non-null and aligned for `Slot` (its first field is a u32 at
    // offset 0); the caller promises `kf_store_t` memory, zeroed or used by keyfort only.
    let state = unsafe { ptr::addr_of_mut!((*slot).state) };
    // SAFETY: as above; a u32 is valid for any bits.
    match unsafe { state.read_volatile() } {
        OPEN => {}
        BUSY => return KF_ERROR_BAD_STATE,
        _ => return KF_ERROR_INVALID_HANDLE,
    }
    // SAFETY: as above.
    unsafe { state.write_volatile(BUSY) };
    CURRENT.store(store, Ordering::Release);
    let mut args = Args::new(store);
    let r = contained(|| {
        // SAFETY: state OPEN means keyfort initialised `svc` (kf_store_open/format) and
        // nobody else holds a reference to it (the state is now BUSY, and no argument
        // overlaps the store object).
        let svc = unsafe { &mut *ptr::addr_of_mut!((*slot).svc) };
        code(f(&mut args, svc))
    });
    CURRENT.store(ptr::null_mut(), Ordering::Release);
    match r {
        Some(st) => {
            // SAFETY: as above.
            unsafe { state.write_volatile(OPEN) };
            if st != KF_SUCCESS {
                args.zero_outputs();
            }
            st
        }
        None => {
            wipe_store(store);
            args.zero_outputs();
            KF_ERROR_CORRUPTION_DETECTED
        }
    }
}

fn open_or_format(store: *mut kf_store_t, board: *const kf_board_t, format: bool) -> kf_status_t {
    let Some(slot) = slot_ptr(store) else {
        return KF_ERROR_INVALID_HANDLE;
    };
    // SAFETY: as in `call`.
    let state = unsafe { ptr::addr_of_mut!((*slot).state) };
    // SAFETY: as in `call`.
    match unsafe { state.read_volatile() } {
        OPEN | BUSY => return KF_ERROR_BAD_STATE,
        _ => {}
    }
    let mut args = Args::new(store);
    // SAFETY: `board` must point at a readable `kf_board_t` (the caller's promise); it is
    // copied in, and every field is valid for any bits (nullable function pointers).
    let b = match unsafe { args.copy_in(board) } {
        Ok(b) => b,
        Err(e) => return e,
    };
    CURRENT.store(store, Ordering::Release);
    // SAFETY: `slot` is aligned and big enough for a `Slot` (const-asserted), caller
    // memory nobody else uses; it is initialised here without reading the old content.
    unsafe {
        ptr::write(
            slot,
            Slot {
                state: BUSY,
                svc: Service::new(DUKPT_STATE_SLOT),
            },
        )
    };
    let r = contained(|| {
        // SAFETY: just initialised; the only reference.
        let svc = unsafe { &mut *ptr::addr_of_mut!((*slot).svc) };
        code(open_service(svc, &b, format))
    });
    CURRENT.store(ptr::null_mut(), Ordering::Release);
    match r {
        Some(KF_SUCCESS) => {
            // SAFETY: as in `call`.
            unsafe { state.write_volatile(OPEN) };
            KF_SUCCESS
        }
        Some(st) => {
            // SAFETY: initialised above and no longer borrowed: drop it (wipes), then
            // leave the memory zeroed (reads as never opened).
            unsafe { ptr::drop_in_place(slot) };
            wipe_store(store);
            st
        }
        None => {
            wipe_store(store);
            KF_ERROR_CORRUPTION_DETECTED
        }
    }
}

fn open_service(svc: &mut CService, b: &kf_board_t, format: bool) -> Status {
    let board = Board::new(b)?;
    board.probe_secret()?;
    let rng = Csprng::new(board.entropy(), board.min_entropy, b"keyfort-capi/store")
        .map_err(|_| KF_ERROR_INSUFFICIENT_ENTROPY)?;
    let op_rng = Csprng::new(board.entropy(), board.min_entropy, b"keyfort-capi/ops")
        .map_err(|_| KF_ERROR_INSUFFICIENT_ENTROPY)?;
    if format {
        svc.format(board.flash(), board.device(), rng, op_rng, board.counter())
    } else {
        svc.open(board.flash(), board.device(), rng, op_rng, board.counter())
    }
}

/// Formats the flash described by `board` as an empty store and opens it in `store`
/// (factory provisioning: erases the whole area; not power-fail safe).
///
/// # Safety
/// `store` must point at `kf_store_t` memory that is zeroed or was used only by keyfort;
/// `board` at a readable `kf_board_t` whose callbacks and context stay valid until
/// `kf_store_close`.
#[no_mangle]
pub unsafe extern "C" fn kf_store_format(
    store: *mut kf_store_t,
    board: *const kf_board_t,
) -> kf_status_t {
    open_or_format(store, board, true)
}

/// Opens the store on the flash described by `board` in `store`, finishing whatever a
/// power cut interrupted and restoring the DUKPT terminal. `KF_ERROR_NOT_FORMATTED` on a
/// blank flash; `KF_ERROR_BAD_STATE` if `store` is already open.
///
/// # Safety
/// As for `kf_store_format`.
#[no_mangle]
pub unsafe extern "C" fn kf_store_open(
    store: *mut kf_store_t,
    board: *const kf_board_t,
) -> kf_status_t {
    open_or_format(store, board, false)
}

/// Closes `store`: its RAM state (index, sealing keys, DUKPT registers, DRBGs) is wiped
/// and the object reads as closed. Closing a closed store succeeds.
///
/// # Safety
/// `store` must point at `kf_store_t` memory that is zeroed or was used only by keyfort.
#[no_mangle]
pub unsafe extern "C" fn kf_store_close(store: *mut kf_store_t) -> kf_status_t {
    let Some(slot) = slot_ptr(store) else {
        return KF_ERROR_INVALID_HANDLE;
    };
    // SAFETY: as in `call`.
    let state = unsafe { ptr::addr_of_mut!((*slot).state) };
    // SAFETY: as in `call`.
    match unsafe { state.read_volatile() } {
        OPEN => {
            // SAFETY: OPEN: initialised by keyfort and not borrowed; dropped once, then
            // the memory is zeroed (reads as closed).
            unsafe { ptr::drop_in_place(slot) };
            wipe_store(store);
            KF_SUCCESS
        }
        BUSY => KF_ERROR_BAD_STATE,
        _ => KF_SUCCESS,
    }
}

/// Crypto-erases the store (tamper response): from the first flash write on, nothing on
/// flash decrypts; the DUKPT terminal is gone; an empty store with a tamper event in its
/// audit log remains open. A power cut on the way is finished by the next open.
///
/// # Safety
/// `store` must point at `kf_store_t` memory that is zeroed or was used only by keyfort.
#[no_mangle]
pub unsafe extern "C" fn kf_tamper_wipe(store: *mut kf_store_t) -> kf_status_t {
    call(store, |_, s| s.tamper_wipe())
}

/// Imports a plain key (`psa_import_key`) with the attributes `attributes` (the id to
/// create, type, bits, usage, `KF_KEY_LIFETIME_PERSISTENT`, use limit, label); writes
/// its key id (version 1) to `key`.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_import_key(
    store: *mut kf_store_t,
    attributes: *const kf_key_attributes_t,
    data: *const u8,
    data_length: usize,
    key: *mut kf_key_id_t,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise on each pointer; `Args` checks the rest.
        let (attr, data, key) = unsafe {
            (
                a.copy_in(attributes)?,
                a.input(data, data_length, KF_MAX_KEY_DATA)?,
                a.out(key)?,
            )
        };
        *key = s.import_key(&attr, data)?;
        Ok(())
    })
}

/// Generates a key from keyfort's DRBG (`psa_generate_key`); writes its key id to `key`.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_generate_key(
    store: *mut kf_store_t,
    attributes: *const kf_key_attributes_t,
    key: *mut kf_key_id_t,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise on each pointer; `Args` checks the rest.
        let (attr, key) = unsafe { (a.copy_in(attributes)?, a.out(key)?) };
        *key = s.generate_key(&attr)?;
        Ok(())
    })
}

/// Rotates the id of `key`: a new version with a fresh random key and the newest
/// version's policy; writes the new version's key id to `new_key`.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_rotate_key(
    store: *mut kf_store_t,
    key: kf_key_id_t,
    new_key: *mut kf_key_id_t,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise; `Args` checks the rest.
        let out = unsafe { a.out(new_key)? };
        *out = s.rotate_key(key)?;
        Ok(())
    })
}

/// Revokes one version of a key (version 0 in `key`: the newest active one). A revoked
/// version can no longer be used; its metadata stays until destroyed.
///
/// # Safety
/// `store` as for `kf_store_open`.
#[no_mangle]
pub unsafe extern "C" fn kf_revoke_key(store: *mut kf_store_t, key: kf_key_id_t) -> kf_status_t {
    call(store, |_, s| s.revoke_key(key))
}

/// Destroys a key (`psa_destroy_key`): every version (version 0 in `key`) or one, then
/// verifies that nothing decryptable of it is left on flash.
///
/// # Safety
/// `store` as for `kf_store_open`.
#[no_mangle]
pub unsafe extern "C" fn kf_destroy_key(store: *mut kf_store_t, key: kf_key_id_t) -> kf_status_t {
    call(store, |_, s| s.destroy_key(key))
}

/// The attributes of a key version (`psa_get_key_attributes`; version 0: the newest
/// active one). Never key bytes.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_get_key_attributes(
    store: *mut kf_store_t,
    key: kf_key_id_t,
    attributes: *mut kf_key_attributes_t,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise; `Args` checks the rest.
        let out = unsafe { a.out(attributes)? };
        *out = s.key_attributes(key)?;
        Ok(())
    })
}

/// Every key version's attributes into `attributes` (room for `count`, at most
/// `KF_MAX_LIST`); writes how many to `length`.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_inventory(
    store: *mut kf_store_t,
    attributes: *mut kf_key_attributes_t,
    count: usize,
    length: *mut usize,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise; `Args` checks the rest.
        let (out, len) = unsafe { (a.out_array(attributes, count)?, a.out(length)?) };
        *len = s.inventory(out)?;
        Ok(())
    })
}

/// The audit events (oldest first) into `events` (room for `count`); writes how many to
/// `length`.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_audit(
    store: *mut kf_store_t,
    events: *mut kf_audit_event_t,
    count: usize,
    length: *mut usize,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise; `Args` checks the rest.
        let (out, len) = unsafe { (a.out_array(events, count)?, a.out(length)?) };
        *len = s.audit(out)?;
        Ok(())
    })
}

/// Unwraps `data` (`KF_ALG_AES_KW` or `KF_ALG_AES_KWP`) under the stored key
/// `wrapping_key` (usage UNWRAP, at least as strong) and stores it as a new key with
/// `attributes`; writes its key id to `key`. A wrong key or altered data is
/// `KF_ERROR_INVALID_SIGNATURE` and stores nothing. The import is in the audit log
/// (code 4, imported wrapped).
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_unwrap_key(
    store: *mut kf_store_t,
    attributes: *const kf_key_attributes_t,
    wrapping_key: kf_key_id_t,
    alg: u32,
    data: *const u8,
    data_length: usize,
    key: *mut kf_key_id_t,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise on each pointer; `Args` checks the rest.
        let (attr, data, key) = unsafe {
            (
                a.copy_in(attributes)?,
                a.input(data, data_length, KF_MAX_WRAPPED)?,
                a.out(key)?,
            )
        };
        *key = s.unwrap_key(&attr, wrapping_key, alg, data)?;
        Ok(())
    })
}

/// Wraps the stored key `key` (usage EXPORT) under the stored key `wrapping_key` (usage
/// WRAP, at least as strong) with `KF_ALG_AES_KW` or `KF_ALG_AES_KWP` into `data`
/// (`data_size` bytes); writes the wrapped length to `data_length`. The export is in the
/// audit log (code 9, exported), recorded before the key is read.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_wrap_key(
    store: *mut kf_store_t,
    wrapping_key: kf_key_id_t,
    alg: u32,
    key: kf_key_id_t,
    data: *mut u8,
    data_size: usize,
    data_length: *mut usize,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise on each pointer; `Args` checks the rest.
        let (out, len) = unsafe { (a.output(data, data_size, KF_MAX_DATA)?, a.out(data_length)?) };
        *len = s.wrap_key(wrapping_key, alg, key, out)?;
        Ok(())
    })
}

/// Exports the stored key `key` (active, usage EXPORT) as a backup blob under the stored
/// backup KEK `backup_kek` (AES, usage WRAP, at least as strong) into `blob`
/// (`blob_size` bytes, at least `KF_BACKUP_MAX_SIZE`); writes the blob length to
/// `blob_length`. The blob (AES-KWP) carries the key's id, policy, use count and label,
/// authenticated with it. The export is in the audit log.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_export_backup(
    store: *mut kf_store_t,
    backup_kek: kf_key_id_t,
    key: kf_key_id_t,
    blob: *mut u8,
    blob_size: usize,
    blob_length: *mut usize,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise on each pointer; `Args` checks the rest.
        let (out, len) = unsafe { (a.output(blob, blob_size, KF_MAX_DATA)?, a.out(blob_length)?) };
        *len = s.export_backup(backup_kek, key, out)?;
        Ok(())
    })
}

/// Imports a backup blob made by `kf_export_backup` (on this or another device) under
/// the stored backup KEK `backup_kek` (AES, usage UNWRAP); writes the key's id to `key`.
/// An altered blob or a wrong KEK is `KF_ERROR_INVALID_SIGNATURE`, an outdated blob of
/// this store `KF_ERROR_ROLLED_BACK`, a key id in use `KF_ERROR_ALREADY_EXISTS`; nothing
/// is stored then.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_import_backup(
    store: *mut kf_store_t,
    backup_kek: kf_key_id_t,
    blob: *const u8,
    blob_length: usize,
    key: *mut kf_key_id_t,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise on each pointer; `Args` checks the rest.
        let (blob, key) = unsafe { (a.input(blob, blob_length, KF_BACKUP_MAX_SIZE)?, a.out(key)?) };
        *key = s.import_backup(backup_kek, blob)?;
        Ok(())
    })
}

/// A key check value of the stored key `key` (`KF_KCV_CMAC`: 5 bytes; `KF_KCV_LEGACY`:
/// 3 bytes) into `kcv`; writes its length to `kcv_length`.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_key_check_value(
    store: *mut kf_store_t,
    key: kf_key_id_t,
    method: u32,
    kcv: *mut u8,
    kcv_size: usize,
    kcv_length: *mut usize,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise on each pointer; `Args` checks the rest.
        let (out, len) = unsafe { (a.output(kcv, kcv_size, KF_MAX_DATA)?, a.out(kcv_length)?) };
        *len = s.key_check_value(key, method, out)?;
        Ok(())
    })
}

/// Imports the TR-31 key block `block` (ASCII, `block_length` bytes) as key `id`,
/// unwrapped under the stored KBPK `kbpk` (usage UNWRAP) with the policy the header
/// grants; writes the new key's attributes to `attributes`. A forged or altered block is
/// `KF_ERROR_INVALID_SIGNATURE` and stores nothing.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_tr31_import(
    store: *mut kf_store_t,
    kbpk: kf_key_id_t,
    block: *const u8,
    block_length: usize,
    id: u16,
    attributes: *mut kf_key_attributes_t,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise on each pointer; `Args` checks the rest.
        let (block, out) = unsafe {
            (
                a.input(block, block_length, KF_MAX_TR31_BLOCK)?,
                a.out(attributes)?,
            )
        };
        *out = s.tr31_import(kbpk, block, id)?;
        Ok(())
    })
}

/// Loads the stored AES DUKPT initial key `initial_key` (usage DERIVE, labelled with its
/// initial key ID in hex, as `kf_tr31_import` stores a `B1` key with an `IK` block) into
/// the terminal and seals its state. Destroy the initial key afterwards.
///
/// # Safety
/// `store` as for `kf_store_open`.
#[no_mangle]
pub unsafe extern "C" fn kf_dukpt_load_initial_key(
    store: *mut kf_store_t,
    initial_key: kf_key_id_t,
) -> kf_status_t {
    call(store, |_, s| s.dukpt_load_initial_key(initial_key))
}

/// The DUKPT terminal's next transaction counter (0 once exhausted) and its 8-byte
/// initial key ID. `KF_ERROR_BAD_STATE` if no terminal is loaded.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_dukpt_status(
    store: *mut kf_store_t,
    next_counter: *mut u32,
    initial_key_id: *mut u8,
    initial_key_id_size: usize,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise on each pointer; `Args` checks the rest.
        let (c, id) = unsafe {
            (
                a.out(next_counter)?,
                a.output(initial_key_id, initial_key_id_size, KF_MAX_DATA)?,
            )
        };
        let (n, ikid) = s.dukpt_status()?;
        id.get_mut(..8)
            .ok_or(KF_ERROR_BUFFER_TOO_SMALL)?
            .copy_from_slice(&ikid);
        *c = n;
        Ok(())
    })
}

/// Starts the next DUKPT transaction (its state is sealed first) and writes its KSN
/// (`KF_KSN_SIZE` bytes) to `ksn`. Ends any transaction in progress.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_dukpt_begin(
    store: *mut kf_store_t,
    ksn: *mut u8,
    ksn_size: usize,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise; `Args` checks the rest.
        let out = unsafe { a.output(ksn, ksn_size, KF_MAX_DATA)? };
        let dst = out
            .get_mut(..KF_KSN_SIZE)
            .ok_or(KF_ERROR_BUFFER_TOO_SMALL)?;
        dst.copy_from_slice(&s.dukpt_begin()?);
        Ok(())
    })
}

/// The current transaction's ISO 9564 format 4 PIN block for `pin` (ASCII digits) and
/// `pan` (ASCII digits) into `pin_block` (`KF_PIN_BLOCK_SIZE` bytes).
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_dukpt_encrypt_pin(
    store: *mut kf_store_t,
    pin: *const u8,
    pin_length: usize,
    pan: *const u8,
    pan_length: usize,
    pin_block: *mut u8,
    pin_block_size: usize,
    pin_block_length: *mut usize,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise on each pointer; `Args` checks the rest.
        let (pin, pan, out, len) = unsafe {
            (
                a.input(pin, pin_length, 12)?,
                a.input(pan, pan_length, 19)?,
                a.output(pin_block, pin_block_size, KF_MAX_DATA)?,
                a.out(pin_block_length)?,
            )
        };
        *len = s.dukpt_encrypt_pin(pin, pan, out)?;
        Ok(())
    })
}

/// The current transaction's MAC (`KF_ALG_CMAC`: AES-CMAC, 16 bytes;
/// `KF_ALG_HMAC_SHA_256`: 32 bytes) of `input` into `mac`.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_dukpt_mac(
    store: *mut kf_store_t,
    alg: u32,
    input: *const u8,
    input_length: usize,
    mac: *mut u8,
    mac_size: usize,
    mac_length: *mut usize,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise on each pointer; `Args` checks the rest.
        let (input, out, len) = unsafe {
            (
                a.input(input, input_length, KF_MAX_DATA)?,
                a.output(mac, mac_size, KF_MAX_DATA)?,
                a.out(mac_length)?,
            )
        };
        *len = s.dukpt_mac(alg, input, out)?;
        Ok(())
    })
}

/// The current transaction's AES-128-CBC encryption (no padding: `input_length` a
/// multiple of 16, at most `KF_MAX_DATA`) of `input` with the 16-byte `iv` into `output`.
///
/// # Safety
/// Pointers must be valid for their stated sizes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn kf_dukpt_encrypt_data(
    store: *mut kf_store_t,
    iv: *const u8,
    iv_length: usize,
    input: *const u8,
    input_length: usize,
    output: *mut u8,
    output_size: usize,
    output_length: *mut usize,
) -> kf_status_t {
    call(store, |a, s| {
        // SAFETY: the caller's promise on each pointer; `Args` checks the rest.
        let (iv, input, out, len) = unsafe {
            (
                a.input(iv, iv_length, 16)?,
                a.input(input, input_length, KF_MAX_DATA)?,
                a.output(output, output_size, KF_MAX_DATA)?,
                a.out(output_length)?,
            )
        };
        *len = s.dukpt_encrypt_data(iv, input, out)?;
        Ok(())
    })
}

/// Ends the current DUKPT transaction: its keys are wiped.
///
/// # Safety
/// `store` as for `kf_store_open`.
#[no_mangle]
pub unsafe extern "C" fn kf_dukpt_end(store: *mut kf_store_t) -> kf_status_t {
    call(store, |_, s| {
        s.dukpt_end();
        Ok(())
    })
}
