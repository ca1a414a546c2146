//! The one pattern for secret bytes.
//!
//! Every secret in keyfort lives in one of these holders. None is `Copy` or `Clone`, none
//! prints its content (`Debug` is redacted, there is no `defmt::Format`), and each wipes
//! itself on drop through `zeroize` (its slice wipe: a plain fill, then an `asm!` barrier the
//! compiler must assume reads the bytes, which keeps the fill from being optimised away).
//!
//! A holder's wipe covers its own bytes only. Copies the compiler leaves behind when a
//! value is *moved* (returned, passed by value), and scratch the cipher crates keep in
//! their stack frames (the `aes` crate's key-schedule work area and its per-call widened
//! copy of the round keys, the `des` crate's subkey array), stay in stack memory that
//! has been returned from, until something overwrites it. So every holder's drop (and
//! the block ciphers' in [`crate::block`]) also calls [`scrub_stack`], which overwrites
//! the [`STACK_SCRUB_BYTES`] of stack just below the frame that drops it: the frames of
//! the calls that used the secret. The memory-scan test (`./x test memscan`)
//! checks the result on target by reading all of the device's RAM.
//!
//! (The test-only compiler flag `--cfg keyfort_no_wipe` turns these wipes and scrubs off,
//! so the memory-scan test can prove it detects keys left in RAM. It is not a Cargo
//! feature, so no crate in a dependency tree can switch it on: only whoever runs the
//! final build, through `RUSTFLAGS` or cargo's `rustflags` config, and keyfort's build
//! script then prints a warning. Only the memory-scan step of `./x test` sets it; the
//! `no-wipe-not-a-feature` step checks that `--features keyfort/_no-wipe` is refused.
//! Never set it in a product.)
use core::fmt;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// How many bytes of stack [`scrub_stack`] overwrites (deep enough for an AES-256 key
/// schedule's work area plus a block call's widened round keys and their callers, on
/// keyfort's own ciphers). The memory-scan workload needs this much: with 1024 it found
/// one residue. A block cipher schedule's drop reaches further on hosts
/// ([`CIPHER_SCRUB_BYTES`]).
pub const STACK_SCRUB_BYTES: usize = 1536;

/// How many bytes of stack a block cipher schedule's drop ([`crate::block::Aes`], and the
/// DUKPT derivations' one scrub after their schedules) overwrites below the dropping
/// frame.
/// - Bare metal: [`STACK_SCRUB_BYTES`] (keyfort-aes runs there).
/// - Hosts: 8 KiB. There the `aes` crate runs, and it picks its backend at run time; on a
///   CPU with AVX-512 and VAES its VAES-512 backend's block call has a 3 KiB frame under
///   a 2 KiB one (`objdump` of the x86-64 release build: `x86_vaes512::Aes::encrypt`
///   3,072 bytes, `encrypt_with_backend` 2,040), where it spills the round keys.
///   `tests/tests/dukpt_stack.rs::generic`, on such a CPU (AMD EPYC, `avx512f` and
///   `vaes`), finds an AES-256 key 3.2 KiB below its reading frame with this at 1.5 KiB
///   and none at 4 KiB; 8 KiB covers both frames with a margin. It costs about 60 ns a
///   schedule dropped there (BENCH.md, `kw-wrap+ks` rows).
#[cfg(target_os = "none")]
pub const CIPHER_SCRUB_BYTES: usize = STACK_SCRUB_BYTES;
/// How many bytes of stack a block cipher schedule's drop overwrites (see the bare-metal
/// value's notes).
#[cfg(not(target_os = "none"))]
pub const CIPHER_SCRUB_BYTES: usize = 8192;

/// How many bytes of stack a DES or TDES schedule's drop overwrites below the dropping
/// frame (and TDES DUKPT's one scrub after its NRKGP steps): 1 KiB. keyfort's DES runs
/// in small frames: the deepest DES work below a holder lies about 0.6 KiB down on the
/// Cortex-M3 (the M3 bench build's `objdump` for NRKGP: a closure's frame 96 bytes,
/// `Nrkgp::new` 312, the key expansion under it 176, whose round keys sit at its bottom;
/// a QEMU trace of the TR-31 version B unwrap: the KBPK's key expansion 640 bytes below
/// the frame that drops it). The memory scan (`./x test memscan`, DES subkeys among its
/// needles) and the host stack test (`tests/tests/dukpt_stack.rs`, TDES chain) check it.
pub(crate) const DES_SCRUB_BYTES: usize = 1024;

/// Overwrites the [`STACK_SCRUB_BYTES`] of stack just below the caller's frame, where
/// frames of calls that have returned (and the copies of secrets they made) lie. Called
/// by every secret holder's and key schedule's drop; call it yourself after code of your
/// own that copied key bytes into locals. Costs one `memset` of the area and 1.5 KiB of
/// stack depth below the dropping frame.
///
/// Safe code cannot name the stack, so this is a local array wiped with `zeroize` (a
/// fill and an optimisation barrier the optimiser cannot see through); it lands below
/// the caller because this function is never inlined.
#[inline(never)]
pub fn scrub_stack() {
    scrub_stack_bytes::<{ STACK_SCRUB_BYTES >> 4 }>();
}

/// [`scrub_stack`] to the depth of a block cipher's frames ([`CIPHER_SCRUB_BYTES`]): what
/// a key schedule's drop runs.
#[inline(never)]
pub(crate) fn scrub_cipher_stack() {
    scrub_stack_bytes::<{ CIPHER_SCRUB_BYTES >> 4 }>();
}

/// [`scrub_stack`] to the depth of keyfort's DES frames ([`DES_SCRUB_BYTES`]): what a DES
/// or TDES schedule's drop runs.
#[inline(never)]
pub(crate) fn scrub_des_stack() {
    scrub_stack_bytes::<{ DES_SCRUB_BYTES >> 4 }>();
}

/// Runs `f` in a never-inlined frame below the caller's, then overwrites `WORDS` 16-byte
/// words of stack below the caller once ([`scrub_stack_bytes`]): every key schedule,
/// moved-from copy and temporary of the whole computation lies there. The one scrub of a
/// derivation whose holders inside wipe themselves without scrubbing (the DUKPT hosts,
/// the TDES DUKPT steps), instead of one per dropped schedule and holder.
#[inline(always)]
pub(crate) fn scrubbed_to<const WORDS: usize, R>(f: impl FnOnce() -> R) -> R {
    let r = below(f);
    scrub_stack_bytes::<WORDS>();
    r
}

/// Runs `f` in its own frame (see [`scrubbed_to`]).
#[inline(never)]
fn below<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// [`scrub_stack`] with a depth of `WORDS` 16-byte words, for a caller that knows how deep
/// the frames it has to clean go (the key expansion of [`crate::block::Aes::new`]).
#[inline(never)]
pub fn scrub_stack_bytes<const WORDS: usize>() {
    // One plain fill of the whole area (wide stores / `memset`), then `zeroize`'s
    // optimisation barrier. The area starts uninitialised (no second fill), and
    // `zeroize` on a `[MaybeUninit<_>]` is `write_bytes` followed by an `asm!` block that
    // takes the area's address and is declared to possibly read memory (no `nomem`), on
    // every target with inline assembly (Arm, x86-64, AArch64, RISC-V, ...; volatile
    // stores elsewhere). The compiler cannot see into the `asm!`, so it must assume all
    // of the zeroes are read there: it can neither drop the stores as dead (the area dies
    // right after) nor shrink them, and `black_box` below keeps the area itself (and so
    // its depth below the caller's frame) alive. The memory-scan step checks the result
    // on target.
    #[cfg(not(keyfort_no_wipe))]
    {
        let mut area = [const { core::mem::MaybeUninit::<u128>::uninit() }; WORDS];
        area.as_mut_slice().zeroize();
        core::hint::black_box(&area);
    }
}

/// Wipes `x` with `zeroize`'s slice wipe: one plain fill (word or wider stores, or
/// `memset`), then its optimisation barrier (an `asm!` block taking the slice, so the
/// compiler must assume the zeroes are read and cannot drop the fill). `zeroize` on an
/// *array* instead writes one volatile element at a time: a byte array costs about four
/// Cortex-M0 instructions a byte that way (a terminal's 1 KiB state: about 4,300).
#[inline]
pub(crate) fn wipe<T: zeroize::DefaultIsZeroes>(x: &mut [T]) {
    x.zeroize();
}

/// A fixed-size secret: a key, a key schedule's input, a register.
pub struct Secret<const N: usize> {
    bytes: [u8; N],
}

impl<const N: usize> Secret<N> {
    /// Takes ownership of `bytes`. The caller's copy (if it had one) is its own to wipe.
    pub fn new(bytes: [u8; N]) -> Self {
        Self { bytes }
    }

    /// An all-zero secret, to be filled through [`Secret::expose_mut`].
    pub fn zero() -> Self {
        Self { bytes: [0u8; N] }
    }

    /// Copies `src` into a new secret; `None` if the length is not `N`.
    pub fn from_slice(src: &[u8]) -> Option<Self> {
        let mut s = Self::zero();
        if src.len() != N {
            return None;
        }
        s.bytes.copy_from_slice(src);
        Some(s)
    }

    /// The secret bytes. Keep the borrow short; do not copy them out.
    pub fn expose(&self) -> &[u8; N] {
        &self.bytes
    }

    /// The secret bytes, writable.
    pub fn expose_mut(&mut self) -> &mut [u8; N] {
        &mut self.bytes
    }
}

impl<const N: usize> ConstantTimeEq for Secret<N> {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.bytes.ct_eq(&other.bytes)
    }
}

impl<const N: usize> Drop for Secret<N> {
    #[inline(never)]
    fn drop(&mut self) {
        #[cfg(not(keyfort_no_wipe))]
        wipe(&mut self.bytes);
        scrub_stack();
    }
}
impl<const N: usize> ZeroizeOnDrop for Secret<N> {}

/// Wipes the bytes now (the secret stays usable, all zero), for code that clears its
/// secrets through `zeroize`'s traits. Independent of the wipe on drop.
impl<const N: usize> Zeroize for Secret<N> {
    fn zeroize(&mut self) {
        wipe(&mut self.bytes);
    }
}

impl<const N: usize> fmt::Debug for Secret<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret<{N}>(..)")
    }
}

/// A fixed-size secret of `4 * W` bytes held as `W` 32-bit words, for a buffer that code
/// works on both as bytes (an encoding) and a word at a time: a DUKPT terminal's state,
/// whose registers are masked word by word. A byte array has no alignment the compiler
/// knows, so on the Cortex-M0 (no unaligned access) each word of it is read and written
/// as four bytes: masking a word of a register cost 22 instructions that way, 6 in words
/// (the loops in the M0 bench build's disassembly; `./x bench`, AES-256 terminal load). Otherwise as [`Secret`]: not `Copy`/`Clone`,
/// redacted `Debug`, wiped (and the stack below scrubbed) on drop. The byte views are
/// `bytemuck`'s compile-time-checked casts (`u32` to `u8`: always valid).
pub(crate) struct SecretWords<const W: usize> {
    words: [u32; W],
}

impl<const W: usize> SecretWords<W> {
    /// All zero.
    pub(crate) fn zero() -> Self {
        Self { words: [0; W] }
    }

    /// Copies `src`; `None` unless it is `4 * W` bytes long.
    pub(crate) fn from_slice(src: &[u8]) -> Option<Self> {
        let mut s = Self::zero();
        if src.len() != s.expose().len() {
            return None;
        }
        s.expose_mut().copy_from_slice(src);
        Some(s)
    }

    /// The secret bytes (the words' bytes in memory order).
    pub(crate) fn expose(&self) -> &[u8] {
        bytemuck::must_cast_slice(&self.words)
    }

    /// The secret bytes, writable.
    pub(crate) fn expose_mut(&mut self) -> &mut [u8] {
        bytemuck::must_cast_slice_mut(&mut self.words)
    }

    /// The secret as words (native byte order: word `i` is bytes `4i..4i + 4` read with
    /// `u32::from_ne_bytes`).
    pub(crate) fn words_mut(&mut self) -> &mut [u32; W] {
        &mut self.words
    }
}

impl<const W: usize> Drop for SecretWords<W> {
    #[inline(never)]
    fn drop(&mut self) {
        #[cfg(not(keyfort_no_wipe))]
        wipe(&mut self.words);
        scrub_stack();
    }
}

impl<const W: usize> fmt::Debug for SecretWords<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretWords<{W}>(..)")
    }
}

/// A variable-length secret of at most `CAP` bytes (key data of a key block, a stored
/// key of any supported algorithm). The length is public; the content is not.
pub struct SecretBuf<const CAP: usize> {
    bytes: [u8; CAP],
    len: usize,
}

impl<const CAP: usize> SecretBuf<CAP> {
    /// An empty buffer.
    pub fn new() -> Self {
        Self {
            bytes: [0u8; CAP],
            len: 0,
        }
    }

    /// Copies `src`; `None` if it is longer than `CAP`.
    pub fn from_slice(src: &[u8]) -> Option<Self> {
        let mut s = Self::new();
        let dst = s.bytes.get_mut(..src.len())?;
        dst.copy_from_slice(src);
        s.len = src.len();
        Some(s)
    }

    /// Sets the length (content beyond it is wiped); `None` if `len > CAP`.
    pub fn set_len(&mut self, len: usize) -> Option<()> {
        if len > CAP {
            return None;
        }
        if let Some(tail) = self.bytes.get_mut(len..) {
            tail.zeroize();
        }
        self.len = len;
        Some(())
    }

    /// The public length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// The secret bytes, writable (length unchanged).
    pub fn expose_mut(&mut self) -> &mut [u8] {
        self.bytes.get_mut(..self.len).unwrap_or(&mut [])
    }

    /// The whole backing store, writable; pair with [`SecretBuf::set_len`].
    pub fn backing_mut(&mut self) -> &mut [u8; CAP] {
        &mut self.bytes
    }
}

impl<const CAP: usize> Default for SecretBuf<CAP> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const CAP: usize> Drop for SecretBuf<CAP> {
    #[inline(never)]
    fn drop(&mut self) {
        #[cfg(not(keyfort_no_wipe))]
        wipe(&mut self.bytes);
        self.len = 0;
        scrub_stack();
    }
}
impl<const CAP: usize> ZeroizeOnDrop for SecretBuf<CAP> {}

/// Wipes the whole backing store now and empties the buffer. Independent of the wipe on
/// drop.
impl<const CAP: usize> Zeroize for SecretBuf<CAP> {
    fn zeroize(&mut self) {
        wipe(&mut self.bytes);
        self.len = 0;
    }
}

impl<const CAP: usize> fmt::Debug for SecretBuf<CAP> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBuf<{CAP}>(len {}, ..)", self.len)
    }
}

/// A variable-length secret of at most `CAP` bytes that wipes itself on drop but, unlike
/// [`SecretBuf`], does **not** scrub the stack: for the intermediate keys of a chain
/// (DUKPT's derivation keys) whose owner calls [`scrub_stack`] once when the whole chain
/// is done, instead of once per holder. Crate-internal so that only such owners hold one.
pub(crate) struct WipedBuf<const CAP: usize> {
    bytes: [u8; CAP],
    len: usize,
}

impl<const CAP: usize> WipedBuf<CAP> {
    /// An empty holder.
    pub(crate) const fn new() -> Self {
        Self {
            bytes: [0u8; CAP],
            len: 0,
        }
    }

    /// Sets the length (the content is kept); `None` if `len > CAP`.
    pub(crate) fn set_len(&mut self, len: usize) -> Option<()> {
        (len <= CAP).then(|| self.len = len)
    }

    /// `len` zero bytes, to be filled through [`WipedBuf::expose_mut`]; `None` if
    /// `len > CAP`.
    pub(crate) fn zeroed(len: usize) -> Option<Self> {
        let mut s = Self::new();
        s.set_len(len)?;
        Some(s)
    }

    /// Copies `src`; `None` if it is longer than `CAP`.
    pub(crate) fn from_slice(src: &[u8]) -> Option<Self> {
        let mut s = Self::zeroed(src.len())?;
        s.expose_mut().copy_from_slice(src);
        Some(s)
    }

    /// The secret bytes.
    pub(crate) fn expose(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// The secret bytes, writable (length unchanged).
    pub(crate) fn expose_mut(&mut self) -> &mut [u8] {
        self.bytes.get_mut(..self.len).unwrap_or(&mut [])
    }
}

impl<const CAP: usize> Drop for WipedBuf<CAP> {
    fn drop(&mut self) {
        #[cfg(not(keyfort_no_wipe))]
        wipe(&mut self.bytes);
    }
}

impl<const CAP: usize> fmt::Debug for WipedBuf<CAP> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WipedBuf<{CAP}>(len {}, ..)", self.len)
    }
}

/// A long-lived secret kept in RAM as two XOR shares, `a ^ b = key`, neither of which
/// alone says anything about the key. The shares are re-randomised on every use, so a
/// RAM dump taken between uses does not hold the plain key.
pub struct Masked<const N: usize> {
    a: [u8; N],
    b: [u8; N],
}

impl<const N: usize> Masked<N> {
    /// Splits `plain` into two shares with a fresh mask from `rng`.
    pub fn new<R: rand_core::CryptoRng + ?Sized>(plain: &Secret<N>, rng: &mut R) -> Self {
        let mut m = Self {
            a: [0u8; N],
            b: [0u8; N],
        };
        rng.fill_bytes(&mut m.b);
        for ((a, p), b) in m.a.iter_mut().zip(plain.expose()).zip(m.b.iter()) {
            *a = p ^ b;
        }
        m
    }

    /// Re-randomises both shares without ever forming the plain key.
    pub fn remask<R: rand_core::CryptoRng + ?Sized>(&mut self, rng: &mut R) {
        let mut r = [0u8; N];
        rng.fill_bytes(&mut r);
        for ((a, b), r) in self.a.iter_mut().zip(self.b.iter_mut()).zip(r.iter()) {
            *a ^= r;
            *b ^= r;
        }
        wipe(&mut r);
    }

    /// Runs `f` with the plain key in a temporary that is wiped on the way out, then
    /// re-randomises the shares.
    pub fn with_plain<R, T>(&mut self, rng: &mut R, f: impl FnOnce(&Secret<N>) -> T) -> T
    where
        R: rand_core::CryptoRng + ?Sized,
    {
        // Dropped in place at the end of the block: `drop(plain)` would move it first,
        // which can leave an unwiped copy in this frame.
        let out = {
            let mut plain = Secret::<N>::zero();
            for ((p, a), b) in plain.expose_mut().iter_mut().zip(&self.a).zip(&self.b) {
                *p = a ^ b;
            }
            f(&plain)
        };
        self.remask(rng);
        out
    }
}

impl<const N: usize> Drop for Masked<N> {
    #[inline(never)]
    fn drop(&mut self) {
        #[cfg(not(keyfort_no_wipe))]
        {
            wipe(&mut self.a);
            wipe(&mut self.b);
        }
    }
}
impl<const N: usize> ZeroizeOnDrop for Masked<N> {}

impl<const N: usize> fmt::Debug for Masked<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Masked<{N}>(..)")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::cast_possible_truncation)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new([0xAB; 4]);
        let t = std::format!("{s:?}");
        assert!(!t.contains("ab") && !t.contains("AB") && !t.contains("171"));
        let b = SecretBuf::<8>::from_slice(&[0xCD; 3]).unwrap();
        assert_eq!(std::format!("{b:?}"), "SecretBuf<8>(len 3, ..)");
    }

    #[test]
    fn zeroize_wipes_now() {
        fn wipe<Z: Zeroize>(z: &mut Z) {
            z.zeroize();
        }
        let mut s = Secret::new([0xA5; 16]);
        wipe(&mut s);
        assert_eq!(s.expose(), &[0u8; 16]);
        let mut b = SecretBuf::<8>::from_slice(&[0x5A; 6]).unwrap();
        wipe(&mut b);
        assert!(b.is_empty());
        assert_eq!(
            b.backing_mut(),
            &[0u8; 8],
            "the bytes beyond the length too"
        );
    }

    #[test]
    fn secretbuf_bounds() {
        assert!(SecretBuf::<4>::from_slice(&[1; 5]).is_none());
        let mut b = SecretBuf::<4>::from_slice(&[1, 2, 3, 4]).unwrap();
        b.set_len(2).unwrap();
        assert_eq!(b.expose(), &[1, 2]);
        assert!(b.set_len(5).is_none());
        b.set_len(4).unwrap();
        assert_eq!(b.expose(), &[1, 2, 0, 0], "tail wiped when shortened");
    }
}
