//! Valgrind memcheck client requests for the "ctgrind" constant-time test technique
//! (Adam Langley, 2010): mark secret inputs as *undefined*, run the code, and memcheck
//! reports every conditional jump, conditional move into an address, or memory index that
//! depends on them. Declassify results by marking them *defined* again.
//!
//! The requests are the documented client-request ABI of `valgrind.h` / `memcheck.h`
//! (Valgrind 3.x, amd64): a magic instruction sequence (`rol rdi` by 3, 13, 61, 51 -- a
//! no-op -- then `xchg rbx, rbx`) with `rax` pointing at six words `[request, args..]`,
//! the result in `rdx`. Outside Valgrind the sequence does nothing and returns the default,
//! so every function here is harmless when not under Valgrind. Only x86_64 Linux is
//! supported (elsewhere the functions are no-ops and [`running_on_valgrind`] is false).
//!
//! `stack` (host only, feature `std`) reads back the stack below a caller, for the tests that check a
//! derivation's stack scrub; it lives here because it needs `unsafe`, like the client
//! requests.
//!
//! [`leaky`] holds the negative controls (a table S-box AES, an early-exit compare) that
//! both this Valgrind check and the on-target data-address check must catch. `no_std`, so
//! the QEMU firmware links it too.
#![no_std]

#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "std")]
pub mod cases;
pub mod leaky;
#[cfg(feature = "std")]
mod rerun;
#[cfg(feature = "std")]
pub mod stack;
#[cfg(feature = "std")]
pub use rerun::{parent, rerun_under_memcheck, suppression_uses};

/// `VG_USERREQ__RUNNING_ON_VALGRIND` (valgrind.h).
const RUNNING_ON_VALGRIND: usize = 0x1001;
/// `VG_USERREQ__COUNT_ERRORS` (valgrind.h).
const COUNT_ERRORS: usize = 0x1201;
/// `VG_USERREQ_TOOL_BASE('M','C')` (memcheck.h): NOACCESS is +0, UNDEFINED +1, DEFINED +2.
const MC_BASE: usize = ((b'M' as usize) << 24) | ((b'C' as usize) << 16);
const MAKE_MEM_UNDEFINED: usize = MC_BASE + 1;
const MAKE_MEM_DEFINED: usize = MC_BASE + 2;

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn client_request(default: usize, request: usize, a1: usize, a2: usize) -> usize {
    let args: [usize; 6] = [request, a1, a2, 0, 0, 0];
    let result: usize;
    // SAFETY: the sequence rotates rdi by 128 bits in total (restoring it) and exchanges
    // rbx with itself: natively it changes only the flags (declared clobbered by default).
    // Under Valgrind the core reads `args` (valid for the whole asm block) and writes only
    // `rdx`. Memory the request names (`a1..a1+a2`) is a live borrow of the caller (see the
    // safe wrappers); memcheck changes only its shadow state, never its content.
    unsafe {
        core::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") default => result,
            out("rdi") _,
            options(nostack),
        );
    }
    result
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn client_request(default: usize, _request: usize, _a1: usize, _a2: usize) -> usize {
    default
}

/// Whether the program runs under Valgrind.
pub fn running_on_valgrind() -> bool {
    client_request(0, RUNNING_ON_VALGRIND, 0, 0) != 0
}

/// The number of errors Valgrind has reported so far (0 outside Valgrind).
pub fn count_errors() -> usize {
    client_request(0, COUNT_ERRORS, 0, 0)
}

/// Marks `bytes` as secret: memcheck treats their content as undefined from now on.
pub fn mark_secret(bytes: &[u8]) {
    client_request(0, MAKE_MEM_UNDEFINED, bytes.as_ptr() as usize, bytes.len());
}

/// Declassifies `bytes`: memcheck treats their content as defined again.
pub fn declassify(bytes: &[u8]) {
    client_request(0, MAKE_MEM_DEFINED, bytes.as_ptr() as usize, bytes.len());
}

/// Declassifies a value held in a local: stores it to memory, marks that memory defined and
/// reads it back from there (volatile), so the compiler cannot keep using an undefined
/// register copy.
pub fn declassify_usize(v: usize) -> usize {
    let mut slot: usize = 0;
    // SAFETY: `slot` is a live, aligned, initialised local.
    unsafe { core::ptr::write_volatile(&mut slot, v) };
    // SAFETY: `slot`'s bytes are plain integer bytes (no padding), valid to view as `u8`
    // for the duration of the borrow.
    let bytes = unsafe {
        core::slice::from_raw_parts(
            &slot as *const usize as *const u8,
            core::mem::size_of::<usize>(),
        )
    };
    declassify(bytes);
    // SAFETY: as above.
    unsafe { core::ptr::read_volatile(&slot) }
}
