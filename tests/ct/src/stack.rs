//! Reading back the stack below the caller: the bytes the frames of calls that have
//! returned left there, for the host tests that check a derivation's stack scrub
//! (`tests/tests/dukpt_stack.rs`). Kept here because it needs `unsafe` (the workspace
//! forbids it elsewhere) and, like the rest of this crate, only tests use it.
use std::vec::Vec;

/// The `N` bytes of stack just below the caller's frame, as earlier frames left them.
///
/// A local array that is never written lands there (the function is never inlined);
/// its bytes are read with volatile reads, so the compiler neither assumes nor drops
/// them. Rust calls such bytes uninitialised: this is for tests, on x86-64 Linux.
#[inline(never)]
pub fn below<const N: usize>() -> Vec<u8> {
    let area = [const { core::mem::MaybeUninit::<u8>::uninit() }; N];
    let p = core::hint::black_box(area.as_ptr());
    let mut out = Vec::with_capacity(N);
    for i in 0..N {
        // SAFETY: `p.add(i)` is inside `area`, which lives until the function returns.
        // The byte may be uninitialised (the point); the volatile read returns what the
        // memory holds.
        out.push(unsafe { core::ptr::read_volatile(p.add(i).cast::<u8>()) });
    }
    out
}
