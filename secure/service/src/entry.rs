//! Non-secure-callable entries: the one macro that makes them
//! ([`nsc_entry!`](crate::nsc_entry)) and the checks every Non-secure pointer goes
//! through ([`ns`]).
//!
//! # The Armv8-M rules an entry follows (stable Rust, `global_asm!`)
//!
//! The unstable `extern "cmse-nonsecure-entry"` ABI is not used;
//! [`nsc_entry!`](crate::nsc_entry) writes the entry in assembly instead, following the
//! Armv8-M Security Extension's requirements (Arm v8-M ARM, "Security state
//! transitions"; ACLE "CMSE" chapter):
//!
//! 1. **Entry only through `SG`.** The entry is two labels at one address, `name` and
//!    `__acle_se_name`; rust-lld (`--cmse-implib`) generates the veneer `name: SG; B.W
//!    __acle_se_name` in the NSC region and exports only the veneers in the import
//!    library. Any other Secure address reached from the Non-secure state faults
//!    (SecureFault INVEP; `./x test tz` jumps into Secure code that is not an entry).
//! 2. **Arguments in r0-r3 only,** never on the Non-secure stack, so the Secure side never
//!    reads Non-secure stack memory. Anything larger is a pointer to a Non-secure
//!    descriptor (`keyfort_secure_client::abi::Buf`).
//! 3. **Every Non-secure pointer checked with `TTA`** (the attributes the Non-secure
//!    world has for an address) before any access, for the whole range: not NULL, at most
//!    `MAX_LEN` bytes, no wrap-around past 4 GiB, both ends Non-secure and readable (or
//!    writable, NSRW) by the Non-secure world, both ends in the same SAU, IDAU and MPU
//!    region (so a range cannot span Secure memory between two Non-secure regions). A
//!    failed check returns `KF_ERROR_INVALID_ARGUMENT` before the service is touched:
//!    Secure state unchanged (the confused-deputy rule).
//! 4. **Arguments copied in once** into Secure memory before use (no double fetch a
//!    Non-secure interrupt handler could change in between); outputs written once, after
//!    the operation succeeded.
//! 5. **Nothing Secure left in a register on return:** r0 carries the result; r1-r3 and
//!    r12 are zeroed; r4-r11 and s16-s31 are restored from the entry's own saved copy (the
//!    caller's values: AAPCS callee-saved); s0-s15 and FPSCR are zeroed; the APSR flags
//!    (N, Z, C, V, Q) are cleared (GE: the Secure image is built without the DSP
//!    extension, so no Secure instruction writes it); then `BXNS lr` (lr bit 0 is clear: `SG` marked the
//!    Non-secure caller). `./x test tz` dumps these registers from the Non-secure side
//!    after every entry and searches them for key bytes; the `--cfg kfs_no_clear` build
//!    (this clearing left out) is its negative control.
//! 6. **No Secure stack reachable:** the entries run on the Secure main stack (MSP_S, in
//!    Secure RAM that the SAU and the MPC keep Secure), return no Secure address, and the
//!    Non-secure world has its own banked stack pointer.
//!
//! Not done (documented limits): the entries do not save and restore the Non-secure
//! FPSCR rounding mode (it is reset to round-to-nearest), and Non-secure interrupts stay
//! masked while an entry runs (a critical section around the service).

/// Defines the Non-secure-callable entry `$name`, running `$imp` (an `extern "C" fn(u32,
/// u32, u32, u32) -> i32`), with the Armv8-M rules of the [module docs](self).
#[macro_export]
macro_rules! nsc_entry {
    ($name:ident => $imp:path) => {
        const _: extern "C" fn(u32, u32, u32, u32) -> i32 = $imp;
        #[cfg(not(kfs_no_clear))]
        core::arch::global_asm!(
            $crate::nsc_entry!(@head $name),
            // Clear everything the Secure code may have left (rule 5).
            "mov r1, #0",
            "mov r2, #0",
            "mov r3, #0",
            "mov r12, #0",
            "vmov d0, r1, r1",
            "vmov d1, r1, r1",
            "vmov d2, r1, r1",
            "vmov d3, r1, r1",
            "vmov d4, r1, r1",
            "vmov d5, r1, r1",
            "vmov d6, r1, r1",
            "vmov d7, r1, r1",
            "vmsr fpscr, r1",
            "msr apsr_nzcvq, r1",
            "bxns lr",
            imp = sym $imp,
        );
        // The negative control of `./x test tz` (registers): no clearing.
        #[cfg(kfs_no_clear)]
        core::arch::global_asm!(
            $crate::nsc_entry!(@head $name),
            "bxns lr",
            imp = sym $imp,
        );
    };
    (@head $name:ident) => {
        concat!(
            ".syntax unified\n",
            ".fpu fpv5-sp-d16\n",
            ".section .text.kfs_entry.", stringify!($name), ",\"ax\",%progbits\n",
            ".global ", stringify!($name), "\n",
            ".global __acle_se_", stringify!($name), "\n",
            ".type ", stringify!($name), ",%function\n",
            ".type __acle_se_", stringify!($name), ",%function\n",
            ".p2align 2\n",
            ".thumb_func\n",
            stringify!($name), ":\n",
            ".thumb_func\n",
            "__acle_se_", stringify!($name), ":\n",
            // Save the caller's callee-saved registers (104 bytes: the stack stays
            // 8-byte aligned), run the operation, restore them.
            "push {{r4-r12, lr}}\n",
            "vpush {{s16-s31}}\n",
            "bl {imp}\n",
            "vpop {{s16-s31}}\n",
            "pop {{r4-r12, lr}}\n",
        )
    };
}

/// Checked access to Non-secure memory (rules 3 and 4 of the [module docs](self)).
pub mod ns {
    use keyfort_capi::status::{kf_status_t, Status, KF_ERROR_INVALID_ARGUMENT};
    use keyfort_secure_client::abi::{Buf, MAX_LEN};

    /// TT response bits (Armv8-M ARM, TT instruction).
    const NSR: u32 = 1 << 20;
    const NSRW: u32 = 1 << 21;
    const SRVALID: u32 = 1 << 17;
    /// IREGION, IRVALID, SRVALID, MRVALID, SREGION, MREGION: "which region".
    const REGION: u32 = 0xFF80_0000 | SRVALID | 1 << 16 | 0xFFFF;

    /// The Non-secure world's view of `addr` (`TTA`).
    fn tta(addr: u32) -> u32 {
        let r: u32;
        // SAFETY: TTA only reads the security and MPU configuration for `addr`; it
        // accesses no memory.
        unsafe {
            core::arch::asm!(
                "tta {r}, {a}",
                a = in(reg) addr,
                r = lateout(reg) r,
                options(nomem, nostack, preserves_flags)
            )
        };
        r
    }

    /// Whether the Non-secure world may read (or, `write`, write) all of
    /// `[ptr, ptr + len)`; a range of length 0 is never accessed and passes.
    pub fn check(ptr: u32, len: u32, write: bool) -> Status {
        if len == 0 {
            return Ok(());
        }
        if ptr == 0 || len > MAX_LEN {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        }
        let last = ptr.checked_add(len - 1).ok_or(KF_ERROR_INVALID_ARGUMENT)?;
        // The negative control of `./x test tz` (bad pointers): no TT check.
        #[cfg(kfs_no_tt)]
        return Ok(());
        let (a, b) = (tta(ptr), tta(last));
        let need = if write { NSRW } else { NSR };
        let ok = a & need != 0 && b & need != 0 && a & SRVALID != 0 && a & REGION == b & REGION;
        if ok {
            Ok(())
        } else {
            Err(KF_ERROR_INVALID_ARGUMENT)
        }
    }

    /// Plain data that any bit pattern is a valid value of (structs of integers).
    ///
    /// # Safety
    /// Implement only for `repr(C)` types made of integers and arrays of integers.
    pub unsafe trait Pod: Copy {}
    // SAFETY: integers and repr(C) structs of integers.
    unsafe impl Pod for u32 {}
    // SAFETY: repr(C) { u32, u32 }.
    unsafe impl Pod for Buf {}
    // SAFETY: repr(C) { u32, u32, u32 }.
    unsafe impl Pod for keyfort_secure_client::abi::WrapArgs {}
    // SAFETY: repr(C) { Buf, Buf }.
    unsafe impl Pod for keyfort_secure_client::abi::PinArgs {}
    // SAFETY: repr(C), integer fields and a byte array.
    unsafe impl Pod for keyfort_capi::types::kf_key_attributes_t {}
    // SAFETY: repr(C), integer fields.
    unsafe impl Pod for keyfort_capi::types::kf_audit_event_t {}

    /// Copies in the object at Non-secure address `addr`.
    pub fn read<T: Pod>(addr: u32) -> Status<T> {
        check(addr, core::mem::size_of::<T>() as u32, false)?;
        // SAFETY: the whole object lies in memory the Non-secure world may read (checked
        // just above with TTA), so reading it cannot touch Secure memory; `T: Pod`
        // accepts any bytes; unaligned reads are allowed.
        Ok(unsafe { core::ptr::read_unaligned(addr as *const T) })
    }

    /// A checked Non-secure output object at `addr`.
    pub fn out<T: Pod>(addr: u32) -> Status<Out> {
        let b = Buf {
            ptr: addr,
            len: core::mem::size_of::<T>() as u32,
        };
        check(b.ptr, b.len, true)?;
        Ok(Out(b))
    }

    /// The Non-secure input buffer the descriptor at `desc` names, copied into `dst`;
    /// returns the copied bytes.
    pub fn copy_in(desc: u32, dst: &mut [u8]) -> Status<&[u8]> {
        copy_in_buf(read(desc)?, dst)
    }

    /// The Non-secure input buffer `b` (a descriptor already copied in), copied into
    /// `dst`; returns the copied bytes.
    pub fn copy_in_buf(b: Buf, dst: &mut [u8]) -> Status<&[u8]> {
        let d = dst
            .get_mut(..b.len as usize)
            .ok_or(KF_ERROR_INVALID_ARGUMENT)?;
        check(b.ptr, b.len, false)?;
        // SAFETY: the range is Non-secure-readable memory (checked), `d` is a Secure
        // buffer of exactly `b.len` bytes; the two cannot overlap (one is Non-secure, the
        // other Secure).
        unsafe { core::ptr::copy_nonoverlapping(b.ptr as *const u8, d.as_mut_ptr(), d.len()) };
        Ok(d)
    }

    /// The Non-secure output buffer the descriptor at `desc` names, checked writable.
    pub fn out_buf(desc: u32) -> Status<Out> {
        let b: Buf = read(desc)?;
        check(b.ptr, b.len, true)?;
        Ok(Out(b))
    }

    /// A Non-secure output range that passed [`check`] for writing.
    #[derive(Clone, Copy, Debug)]
    pub struct Out(Buf);

    impl Out {
        /// Its length in bytes.
        pub fn len(&self) -> usize {
            self.0.len as usize
        }

        /// Whether it is empty.
        pub fn is_empty(&self) -> bool {
            self.0.len == 0
        }

        /// Writes `data` at its start (`KF_ERROR_BUFFER_TOO_SMALL` if it does not fit).
        pub fn write(&self, data: &[u8]) -> Status {
            if data.len() > self.len() {
                return Err(kf_status_t::KF_ERROR_BUFFER_TOO_SMALL);
            }
            // SAFETY: `[ptr, ptr + len)` is Non-secure-writable memory (checked when
            // this `Out` was made), and `data` fits in it.
            unsafe {
                core::ptr::copy_nonoverlapping(data.as_ptr(), self.0.ptr as *mut u8, data.len())
            };
            Ok(())
        }

        /// Writes the objects `items` at its start.
        pub fn write_items<T: Pod>(&self, items: &[T]) -> Status {
            // SAFETY: `T: Pod` is plain data without padding-dependent meaning; its bytes
            // are the values the Non-secure side asked for (attributes, events).
            let bytes = unsafe {
                core::slice::from_raw_parts(
                    items.as_ptr().cast::<u8>(),
                    core::mem::size_of_val(items),
                )
            };
            self.write(bytes)
        }

        /// Zeroes it (an operation failed after the checks passed).
        pub fn zero(&self) {
            for i in 0..self.0.len {
                // SAFETY: inside the checked Non-secure-writable range.
                unsafe { core::ptr::write_volatile((self.0.ptr + i) as *mut u8, 0) };
            }
        }
    }
}
