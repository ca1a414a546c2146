//! What crosses the boundary: the entry points' names and argument shapes, shared by the
//! Secure image (which defines the entries) and this crate (which calls them).
//!
//! Every entry takes at most four 32-bit words in r0-r3 (nothing on the stack, so the
//! Secure side never reads the Non-secure stack) and returns one `i32` in r0: a
//! non-negative count or length on success, a negative `kf_status_t` on failure.
//! Variable-length data travels as a pointer to a [`Buf`] descriptor: the Secure side
//! copies the descriptor in, checks the range it names with `TT` (Non-secure, readable or
//! writable by the Non-secure world, one SAU/IDAU region, no wrap-around, at most
//! [`MAX_LEN`] bytes), copies inputs in, and writes outputs only after the operation
//! succeeded.

/// The most bytes one buffer may name (larger is refused with `KF_ERROR_INVALID_ARGUMENT`).
/// A TR-31 block's largest length (9992) fits.
pub const MAX_LEN: u32 = 10 * 1024;

/// `kfs_open` flag: format the store first (factory provisioning; every key is erased)
/// and inject the factory KBPK (key id 1).
pub const OPEN_FORMAT: u32 = 1;

/// The key id the factory KBPK gets at format.
pub const FACTORY_KBPK: u32 = 1;

/// Returned (by `kfs_open` and `kfs_dukpt_begin`) when the tamper line was found
/// asserted: the Secure side has crypto-erased the store and dropped the terminal. The
/// Secure API's own code, next to the `kf_status_t` codes (which stop at -207).
pub const TAMPERED: i32 = -250;

/// A Non-secure buffer: address and length.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Buf {
    /// Its address in the Non-secure world.
    pub ptr: u32,
    /// Its length in bytes.
    pub len: u32,
}

impl Buf {
    /// The buffer `s` (read by the Secure side).
    pub fn of<T>(s: &[T]) -> Self {
        Buf {
            ptr: s.as_ptr() as u32,
            len: core::mem::size_of_val(s) as u32,
        }
    }

    /// The buffer `s` (written by the Secure side).
    pub fn of_mut<T>(s: &mut [T]) -> Self {
        Buf {
            ptr: s.as_mut_ptr() as u32,
            len: core::mem::size_of_val(s) as u32,
        }
    }
}

/// `kfs_wrap_key`'s key arguments.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WrapArgs {
    /// The stored wrapping key (usage WRAP).
    pub wrapping_key: u32,
    /// `KF_ALG_AES_KW` or `KF_ALG_AES_KWP`.
    pub alg: u32,
    /// The stored key to export (usage EXPORT).
    pub key: u32,
}

/// `kfs_dukpt_encrypt_pin`'s inputs.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PinArgs {
    /// The PIN, ASCII digits.
    pub pin: Buf,
    /// The PAN, ASCII digits.
    pub pan: Buf,
}

/// The entry points (defined by the Secure image, reached through the veneers in its
/// import library), each with the raw word arguments it takes.
pub mod raw {
    extern "C" {
        /// Opens (flag [`super::OPEN_FORMAT`]: formats first) the Secure store.
        pub fn kfs_open(flags: u32) -> i32;
        /// Closes the store.
        pub fn kfs_close() -> i32;
        /// Generates a key: attributes in, the new key's attributes out.
        pub fn kfs_generate_key(io_attr: u32) -> i32;
        /// Rotates a key: the new version's id to `out_id`.
        pub fn kfs_rotate_key(key: u32, out_id: u32) -> i32;
        /// Revokes a key version.
        pub fn kfs_revoke_key(key: u32) -> i32;
        /// Destroys a key (all versions, or one).
        pub fn kfs_destroy_key(key: u32) -> i32;
        /// A key's attributes to `out_attr`.
        pub fn kfs_key_attributes(key: u32, out_attr: u32) -> i32;
        /// Every key's attributes into the [`super::Buf`] at `out`.
        pub fn kfs_inventory(out: u32) -> i32;
        /// The audit events into the [`super::Buf`] at `out`.
        pub fn kfs_audit(out: u32) -> i32;
        /// TR-31 import under `kbpk` of the block at `block`; id in, attributes out.
        pub fn kfs_tr31_import(kbpk: u32, block: u32, io_attr: u32) -> i32;
        /// Unwrap of the ciphertext at `wrapped` under `kek` into a new stored key.
        pub fn kfs_unwrap_key(io_attr: u32, kek: u32, alg: u32, wrapped: u32) -> i32;
        /// Wrap of a stored key ([`super::WrapArgs`]) into the buffer at `out`.
        pub fn kfs_wrap_key(args: u32, out: u32) -> i32;
        /// A key check value into the buffer at `out`.
        pub fn kfs_kcv(key: u32, method: u32, out: u32) -> i32;
        /// Loads a stored DUKPT initial key into the terminal.
        pub fn kfs_dukpt_load_initial_key(ik: u32) -> i32;
        /// Finishes the factory's key injection (TR-31 block in the store's injection
        /// slot -> initial key -> DUKPT terminal; the initial key destroyed).
        pub fn kfs_dukpt_factory_inject() -> i32;
        /// The terminal's next counter to `out_counter` (0: exhausted).
        pub fn kfs_dukpt_status(out_counter: u32) -> i32;
        /// Begins a DUKPT transaction: the KSN into the buffer at `ksn`.
        pub fn kfs_dukpt_begin(ksn: u32) -> i32;
        /// The transaction's MAC (`alg`) of the buffer at `msg` into the buffer at `out`.
        pub fn kfs_dukpt_mac(alg: u32, msg: u32, out: u32) -> i32;
        /// The transaction's AES-CBC encryption.
        pub fn kfs_dukpt_encrypt_data(iv: u32, input: u32, out: u32) -> i32;
        /// The transaction's PIN block ([`super::PinArgs`]).
        pub fn kfs_dukpt_encrypt_pin(args: u32, out: u32) -> i32;
        /// Ends the transaction.
        pub fn kfs_dukpt_end() -> i32;
    }
}

/// The entries with typed arguments (the addresses of Non-secure objects).
pub mod call {
    use super::{raw, Buf, PinArgs, WrapArgs};
    use keyfort_capi::types::kf_key_attributes_t;

    fn a<T>(p: &T) -> u32 {
        p as *const T as u32
    }

    macro_rules! calls {
        ($( $(#[$m:meta])* fn $name:ident($($arg:ident: $ty:ty => $conv:expr),*); )*) => {$(
            $(#[$m])*
            pub fn $name($($arg: $ty),*) -> i32 {
                #[cfg(not(feature = "register-dump"))]
                // SAFETY: a call through the Secure image's veneer; every argument is a
                // word (an id, a flag, or the address of a live Non-secure object that
                // outlives the call). The Secure side checks every address with `TT`
                // and writes only the objects passed for output.
                let r = unsafe { raw::$name($($conv),*) };
                #[cfg(feature = "register-dump")]
                let r = {
                    let args = [$($conv),*];
                    let w = |i: usize| args.get(i).copied().unwrap_or(0);
                    super::dump::call(raw::$name as *const () as u32, [w(0), w(1), w(2), w(3)])
                };
                r
            }
        )*};
    }

    calls! {
        /// See [`raw::kfs_open`].
        fn kfs_open(flags: u32 => flags);
        /// See [`raw::kfs_close`].
        fn kfs_close();
        /// See [`raw::kfs_generate_key`].
        fn kfs_generate_key(io: &mut kf_key_attributes_t => a(io));
        /// See [`raw::kfs_rotate_key`].
        fn kfs_rotate_key(key: u32 => key, out: &mut u32 => a(out));
        /// See [`raw::kfs_revoke_key`].
        fn kfs_revoke_key(key: u32 => key);
        /// See [`raw::kfs_destroy_key`].
        fn kfs_destroy_key(key: u32 => key);
        /// See [`raw::kfs_key_attributes`].
        fn kfs_key_attributes(key: u32 => key, out: &mut kf_key_attributes_t => a(out));
        /// See [`raw::kfs_inventory`].
        fn kfs_inventory(out: &Buf => a(out));
        /// See [`raw::kfs_audit`].
        fn kfs_audit(out: &Buf => a(out));
        /// See [`raw::kfs_tr31_import`].
        fn kfs_tr31_import(kbpk: u32 => kbpk, block: &Buf => a(block), io: &mut kf_key_attributes_t => a(io));
        /// See [`raw::kfs_unwrap_key`].
        fn kfs_unwrap_key(io: &mut kf_key_attributes_t => a(io), kek: u32 => kek, alg: u32 => alg, wrapped: &Buf => a(wrapped));
        /// See [`raw::kfs_wrap_key`].
        fn kfs_wrap_key(args: &WrapArgs => a(args), out: &Buf => a(out));
        /// See [`raw::kfs_kcv`].
        fn kfs_kcv(key: u32 => key, method: u32 => method, out: &Buf => a(out));
        /// See [`raw::kfs_dukpt_load_initial_key`].
        fn kfs_dukpt_load_initial_key(ik: u32 => ik);
        /// See [`raw::kfs_dukpt_factory_inject`].
        fn kfs_dukpt_factory_inject();
        /// See [`raw::kfs_dukpt_status`].
        fn kfs_dukpt_status(out: &mut u32 => a(out));
        /// See [`raw::kfs_dukpt_begin`].
        fn kfs_dukpt_begin(ksn: &Buf => a(ksn));
        /// See [`raw::kfs_dukpt_mac`].
        fn kfs_dukpt_mac(alg: u32 => alg, msg: &Buf => a(msg), out: &Buf => a(out));
        /// See [`raw::kfs_dukpt_encrypt_data`].
        fn kfs_dukpt_encrypt_data(iv: &Buf => a(iv), input: &Buf => a(input), out: &Buf => a(out));
        /// See [`raw::kfs_dukpt_encrypt_pin`].
        fn kfs_dukpt_encrypt_pin(args: &PinArgs => a(args), out: &Buf => a(out));
        /// See [`raw::kfs_dukpt_end`].
        fn kfs_dukpt_end();
    }
}

/// The register dump after each call (feature `register-dump`): what the Secure side left
/// in every register the Non-secure world can read.
#[cfg(feature = "register-dump")]
pub mod dump {
    /// Words in a dump: r0-r12, APSR, s0-s31, FPSCR.
    pub const WORDS: usize = 47;
    /// Index of APSR in a dump.
    pub const APSR: usize = 13;
    /// Index of s0 in a dump.
    pub const S0: usize = 14;
    /// Index of FPSCR in a dump.
    pub const FPSCR: usize = 46;

    #[no_mangle]
    static mut KFS_LAST_REGS: [u32; WORDS] = [0; WORDS];

    core::arch::global_asm!(
        ".syntax unified",
        ".fpu fpv5-sp-d16",
        ".section .text.kfs_call_dump,\"ax\",%progbits",
        ".global kfs_call_dump",
        ".type kfs_call_dump,%function",
        ".p2align 2",
        ".thumb_func",
        // r0 = entry (veneer) address, r1 = pointer to 4 argument words.
        "kfs_call_dump:",
        "push {{r4-r11, lr}}",
        "sub sp, sp, #4",
        "mov r4, r0",
        "ldm r1, {{r0-r3}}",
        "blx r4",
        // Nothing below may change a flag before APSR is read.
        "ldr lr, ={regs}",
        "stm lr, {{r0-r12}}",
        "mrs r1, apsr",
        "str r1, [lr, #52]",
        "add r1, lr, #56",
        "vstmia r1, {{s0-s31}}",
        "vmrs r2, fpscr",
        "str r2, [lr, #184]",
        "add sp, sp, #4",
        "pop {{r4-r11, pc}}",
        regs = sym KFS_LAST_REGS,
    );

    extern "C" {
        fn kfs_call_dump(entry: u32, args: *const u32) -> i32;
    }

    /// Calls the entry at `entry` with `args` in r0-r3 and saves the registers it
    /// returned with.
    pub fn call(entry: u32, args: [u32; 4]) -> i32 {
        // SAFETY: `entry` is a veneer address of the import library; the trampoline
        // passes `args` in r0-r3, keeps the AAPCS (r4-r11 and s16-s31 preserved) and
        // writes only `KFS_LAST_REGS`.
        unsafe { kfs_call_dump(entry, args.as_ptr()) }
    }

    /// The registers after the last call.
    pub fn last() -> [u32; WORDS] {
        // SAFETY: single-threaded Non-secure application; the static is written only by
        // the trampoline, which has returned.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!(KFS_LAST_REGS)) }
    }
}
