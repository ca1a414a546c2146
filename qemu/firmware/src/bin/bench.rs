//! Benchmark firmware (`./x bench`, `xtask/src/bench.rs`): instructions and peak stack per
//! operation, keyfort next to RustCrypto `aes-kw` 0.3 built into the same firmware.
//!
//! Instructions are counted with QEMU's `-icount shift=N` (the virtual clock advances
//! 2^N ns per instruction) and SysTick on the core clock: ticks per instruction are
//! calibrated in the same run on a two-instruction loop, so xtask turns ticks into exact
//! instruction counts (to within a fraction of an instruction). Stack: the free stack is
//! painted before each operation and scanned after it.
//!
//! Output lines (defmt):
//! - `bench-calib <n1> <ticks1> <n2> <ticks2> <empty>`: loops of n1 / n2 iterations of
//!   `subs; bne` (2 instructions each) and an empty measurement, in ticks;
//! - `bench-op <name> <reps> <ticks> <stack>`: `reps` runs of the operation in `ticks`,
//!   `stack` bytes of stack at the deepest point below the harness frame;
//! - `bench-done`.
#![no_std]
#![no_main]

use core::hint::black_box;
use core::sync::atomic::{AtomicU32, Ordering};

use aes_kw::KeyInit;
use cortex_m::peripheral::{syst::SystClkSource, SCB, SYST};
use cortex_m_rt::exception;
use keyfort::attributes::{Algorithm, Usage};
use keyfort::block::Aes;
use keyfort::dukpt::aes::{AesBdk, AesKsn, AesTerminal, KeyUsage, WorkingKeyType};
use keyfort::dukpt::tdes::{TdesBdk, TdesKsn, TdesVariant};
use keyfort::dukpt::NoPersist;
use keyfort::platform::NoCounter;
use keyfort::store::KeyStore;
// The test kit's RAM flash, device secret and deterministic generator (NOT a source of
// real keys).
use keyfort::wrap::{kw_unwrap, kw_wrap, kwp_unwrap, kwp_wrap, Kek};
use keyfort_firmware::board;
use keyfort_testkit::{MockFlash, TestRng, TestSecret};

/// SysTick wraps (every 2^24 ticks).
static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    WRAPS.store(WRAPS.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// Ticks since SysTick was started (monotonic across wraps).
#[inline(never)]
fn now() -> u64 {
    loop {
        let w1 = WRAPS.load(Ordering::Relaxed);
        let v = SYST::get_current();
        let pending = SCB::is_pendst_pending();
        let w2 = WRAPS.load(Ordering::Relaxed);
        if w1 == w2 && !pending {
            return (u64::from(w1) << 24) + u64::from(0x00FF_FFFF - v);
        }
    }
}

extern "C" {
    static _stack_end: u32;
}

const PAINT: u32 = 0xC0DE_5A17;
/// Left unpainted below the harness's stack pointer (the painter's own frame).
const MARGIN: usize = 96;

/// Paints the free stack from `_stack_end` up to `top`.
#[allow(unsafe_code)] // raw writes to free stack memory (SAFETY note below)
#[inline(never)]
fn paint(top: usize) {
    let mut p = core::ptr::addr_of!(_stack_end) as usize;
    while p + 4 <= top {
        // SAFETY: `p` is 4-aligned and between `_stack_end` (the end of statics) and `top`,
        // which lies MARGIN bytes below the caller's stack pointer and below this function's
        // small frame: unused stack memory that no live frame or static occupies.
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// The lowest stack address written since [`paint`].
#[allow(unsafe_code)] // raw reads of the painted stack (SAFETY note below)
#[inline(never)]
fn lowest_touched(top: usize) -> usize {
    let mut p = core::ptr::addr_of!(_stack_end) as usize;
    // SAFETY: reads 4-aligned words of the stack region below `top`, inside RAM.
    while p + 4 <= top && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    p
}

/// Runs `f` `reps` times between two clock reads; prints ticks and peak stack.
#[inline(never)]
fn measure(name: &str, reps: u32, mut f: impl FnMut()) {
    let sp = cortex_m::register::msp::read() as usize;
    let top = sp - MARGIN;
    paint(top);
    let t0 = now();
    for _ in 0..reps {
        f();
    }
    let t1 = now();
    let low = lowest_touched(top);
    defmt::println!(
        "bench-op {=str} {=u32} {=u64} {=usize}",
        name,
        reps,
        t1 - t0,
        sp - low
    );
}

/// `n` iterations of `subs; bne`: exactly 2n instructions (+ the setup).
#[allow(unsafe_code)] // inline assembly (SAFETY note below)
#[inline(never)]
fn spin(n: u32) {
    // SAFETY: a register-only countdown loop; touches no memory and no stack.
    unsafe {
        core::arch::asm!(
            "1:",
            "subs {0}, #1",
            "bne 1b",
            inout(reg) n => _,
            options(nomem, nostack)
        )
    };
}

fn calibrate() {
    let (n1, n2) = (20_000u32, 120_000u32);
    let t = now();
    spin(n1);
    let a = now() - t;
    let t = now();
    spin(n2);
    let b = now() - t;
    let t = now();
    let e = now() - t;
    defmt::println!(
        "bench-calib {=u32} {=u64} {=u32} {=u64} {=u64}",
        n1,
        a,
        n2,
        b,
        e
    );
}

const K32: [u8; 32] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
];
const KEY32: [u8; 32] = [0x5A; 32];

#[cortex_m_rt::entry]
fn main() -> ! {
    let Some(mut p) = cortex_m::Peripherals::take() else {
        board::exit(board::EXIT_FAILED)
    };
    p.SYST.set_clock_source(SystClkSource::Core);
    p.SYST.set_reload(0x00FF_FFFF);
    p.SYST.clear_current();
    p.SYST.enable_interrupt();
    p.SYST.enable_counter();
    defmt::println!(
        "bench on {=str} ({=str})",
        board::MACHINE.name,
        board::MACHINE.core
    );
    calibrate();
    measure("noop", 1, || {
        black_box(());
    });
    blocks();
    wraps();
    dukpt();
    tr31();
    store();
    defmt::println!("bench-done");
    board::exit(0)
}

/// The bare AES costs: key schedule, one block.
fn blocks() {
    for (klen, ks, enc, dec) in [
        (
            16,
            "aes128-key-schedule",
            "aes128-encrypt-block",
            "aes128-decrypt-block",
        ),
        (
            32,
            "aes256-key-schedule",
            "aes256-encrypt-block",
            "aes256-decrypt-block",
        ),
    ] {
        let k = &K32[..klen];
        // keyfort-aes alone: its key schedule and the drop that wipes it, without
        // keyfort's `block::Aes` wrapper and stack scrub
        let bare = if klen == 16 {
            "keyfort-aes128-key-schedule"
        } else {
            "keyfort-aes256-key-schedule"
        };
        measure(bare, 1, || {
            let aes = keyfort_aes::Aes::new(black_box(k));
            black_box(&aes);
        });
        let mut slot = None;
        measure(ks, 1, || slot = black_box(Aes::new(black_box(k)).ok()));
        let Some(aes) = slot else { continue };
        let mut b = [0x33u8; 16];
        // Per block, averaged over the 12 sequential calls a 2-semiblock KW needs.
        measure(enc, 12, || aes.encrypt(black_box(&mut b)));
        measure(dec, 12, || aes.decrypt(black_box(&mut b)));
        if klen == 16 {
            let mut c = [0x44u8; 16];
            measure("aes128-encrypt2", 12, || {
                aes.encrypt2(black_box(&mut b), black_box(&mut c))
            });
            measure("aes128-decrypt2", 12, || {
                aes.decrypt2(black_box(&mut b), black_box(&mut c))
            });
        }
    }
}

/// KW / KWP wrap and unwrap, keyfort and aes-kw, KEK expanded and with the key schedule.
fn wraps() {
    for (klen, tag) in [(16usize, "128"), (32, "256")] {
        let kek_bytes = &K32[..klen];
        let key = &KEY32[..klen];
        let (Ok(kek), Ok(kw128), Ok(kw256), Ok(kwp128), Ok(kwp256)) = (
            keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(kek_bytes)
                .map_err(keyfort::wrap::WrapError::from)
                .and_then(|k| Kek::new(&k)),
            aes_kw::KwAes128::new_from_slice(&K32[..16]),
            aes_kw::KwAes256::new_from_slice(&K32),
            aes_kw::KwpAes128::new_from_slice(&K32[..16]),
            aes_kw::KwpAes256::new_from_slice(&K32),
        ) else {
            defmt::println!("bench: key setup failed");
            continue;
        };
        let wide = klen == 32;
        let mut wrapped = [0u8; 40];
        let mut out = [0u8; 40];
        let n = klen + 8;
        // keyfort KW
        measure(name("kw-wrap", tag), 1, || {
            black_box(kw_wrap(&kek, black_box(key), &mut wrapped).ok());
        });
        measure(name("kw-unwrap", tag), 1, || {
            black_box(kw_unwrap(&kek, black_box(&wrapped[..n]), &mut out).ok());
        });
        measure(name("kw-wrap+ks", tag), 1, || {
            if let Ok(k) =
                keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(black_box(kek_bytes))
                    .map_err(keyfort::wrap::WrapError::from)
                    .and_then(|k| Kek::new(&k))
            {
                black_box(kw_wrap(&k, black_box(key), &mut wrapped).ok());
            }
        });
        // aes-kw KW
        measure(name("aeskw-kw-wrap", tag), 1, || {
            let r = if wide {
                kw256.wrap_key(black_box(key), &mut wrapped).is_ok()
            } else {
                kw128.wrap_key(black_box(key), &mut wrapped).is_ok()
            };
            black_box(r);
        });
        measure(name("aeskw-kw-unwrap", tag), 1, || {
            let r = if wide {
                kw256.unwrap_key(black_box(&wrapped[..n]), &mut out).is_ok()
            } else {
                kw128.unwrap_key(black_box(&wrapped[..n]), &mut out).is_ok()
            };
            black_box(r);
        });
        measure(name("aeskw-kw-wrap+ks", tag), 1, || {
            let r = if wide {
                aes_kw::KwAes256::new_from_slice(black_box(kek_bytes))
                    .map(|c| c.wrap_key(black_box(key), &mut wrapped).is_ok())
            } else {
                aes_kw::KwAes128::new_from_slice(black_box(kek_bytes))
                    .map(|c| c.wrap_key(black_box(key), &mut wrapped).is_ok())
            };
            black_box(r.is_ok());
        });
        // keyfort KWP
        measure(name("kwp-wrap", tag), 1, || {
            black_box(kwp_wrap(&kek, black_box(key), &mut wrapped).ok());
        });
        measure(name("kwp-unwrap", tag), 1, || {
            black_box(kwp_unwrap(&kek, black_box(&wrapped[..n]), &mut out).ok());
        });
        // aes-kw KWP
        measure(name("aeskw-kwp-wrap", tag), 1, || {
            let r = if wide {
                kwp256.wrap_key(black_box(key), &mut wrapped).is_ok()
            } else {
                kwp128.wrap_key(black_box(key), &mut wrapped).is_ok()
            };
            black_box(r);
        });
        measure(name("aeskw-kwp-unwrap", tag), 1, || {
            let r = if wide {
                kwp256
                    .unwrap_key(black_box(&wrapped[..n]), &mut out)
                    .is_ok()
            } else {
                kwp128
                    .unwrap_key(black_box(&wrapped[..n]), &mut out)
                    .is_ok()
            };
            black_box(r);
        });
    }
}

/// `<op>-<tag>` names as static strings (defmt needs `&'static str` only for `=str`
/// literals; a small table keeps the names plain).
fn name(op: &str, tag: &str) -> &'static str {
    macro_rules! table {
        ($($op:literal),*) => {
            match (op, tag) {
                $(($op, "128") => concat!($op, "-128"), ($op, _) => concat!($op, "-256"),)*
                _ => "?",
            }
        };
    }
    table!(
        "kw-wrap",
        "kw-unwrap",
        "kw-wrap+ks",
        "aeskw-kw-wrap",
        "aeskw-kw-unwrap",
        "aeskw-kw-wrap+ks",
        "kwp-wrap",
        "kwp-unwrap",
        "aeskw-kwp-wrap",
        "aeskw-kwp-unwrap"
    )
}

/// DUKPT: AES terminal transactions (each: next transaction + PIN working key), AES and
/// TDES host derivations.
fn dukpt() {
    const TX: u32 = 40;
    let ikid = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];
    let Ok(bdk) = keyfort::key::TypedKey::raw_aes(&K32[..16])
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
    else {
        return;
    };
    let Ok(ik) = bdk.initial_key(&ikid) else {
        return;
    };
    let mut slot = None;
    measure("dukpt-aes-terminal-load", 1, || {
        slot = AesTerminal::load(&ik, &mut NoPersist).ok();
    });
    let Some(mut term) = slot else { return };
    // Per-transaction ticks: average and worst over the first TX transactions.
    let (mut total, mut worst) = (0u64, 0u64);
    let mut worst_stack = 0usize;
    for _ in 0..TX {
        let sp = cortex_m::register::msp::read() as usize;
        let top = sp - MARGIN;
        paint(top);
        let t0 = now();
        let ok = term.next_transaction(&mut NoPersist).and_then(|tx| {
            tx.working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)
                .map(|k| black_box(k.expose()[0]))
        });
        let t = now() - t0;
        worst_stack = worst_stack.max(sp - lowest_touched(top));
        black_box(ok.is_ok());
        total += t;
        worst = worst.max(t);
    }
    defmt::println!(
        "bench-op dukpt-aes-terminal-tx-avg {=u32} {=u64} {=usize}",
        TX,
        total,
        worst_stack
    );
    defmt::println!(
        "bench-op dukpt-aes-terminal-tx-worst 1 {=u64} {=usize}",
        worst,
        worst_stack
    );
    for (counter, label) in [
        (0x0000_0001u32, "dukpt-aes-host-derive-1bit"),
        (0x0000_FFFF, "dukpt-aes-host-derive-16bits"),
    ] {
        let ksn = AesKsn::new(&ikid, counter);
        measure(label, 1, || {
            let k = bdk.working_key(&ksn, KeyUsage::PinEncryption, WorkingKeyType::Aes128);
            black_box(k.map(|k| k.expose()[0]).ok());
        });
    }
    drop(term);
    // AES-256: every derivation is two independent blocks (one two-block call).
    if let Ok(bdk) = keyfort::key::TypedKey::raw_aes(&K32)
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
    {
        if let Ok(ik) = bdk.initial_key(&ikid) {
            measure("dukpt-aes256-terminal-load", 1, || {
                black_box(AesTerminal::load(&ik, &mut NoPersist).is_ok());
            });
        }
        let ksn = AesKsn::new(&ikid, 0x0000_FFFF);
        measure("dukpt-aes256-host-derive-16bits", 1, || {
            let k = bdk.working_key(&ksn, KeyUsage::PinEncryption, WorkingKeyType::Aes256);
            black_box(k.map(|k| k.expose()[0]).ok());
        });
    }
    let tdes_bdk = [
        0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32,
        0x10,
    ];
    let Ok(tbdk) = keyfort::key::TypedKey::raw(&tdes_bdk, keyfort::attributes::Algorithm::Tdes2)
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| TdesBdk::new(&k))
    else {
        return;
    };
    for (ksn, label) in [
        (
            [0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0x00, 0x01],
            "dukpt-tdes-host-derive-1bit",
        ),
        (
            [0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0xFF, 0xC0],
            "dukpt-tdes-host-derive-10bits",
        ),
    ] {
        let Ok(ksn) = TdesKsn::from_bytes(&ksn) else {
            continue;
        };
        measure(label, 1, || {
            black_box(tbdk.key(&ksn, TdesVariant::Pin).map(|k| k.expose()[0]).ok());
        });
    }
}

/// TR-31 unwrap of the published TR-31:2018 examples (A.7.4 version D, A.7.2.2 version B).
fn tr31() {
    const D_KBPK: [u8; 32] = [
        0x88, 0xE1, 0xAB, 0x2A, 0x2E, 0x3D, 0xD3, 0x8C, 0x1F, 0xA0, 0x39, 0xA5, 0x36, 0x50, 0x0C,
        0xC8, 0xA8, 0x7A, 0xB9, 0xD6, 0x2D, 0xC9, 0x2C, 0x01, 0x05, 0x8F, 0xA7, 0x9F, 0x44, 0x65,
        0x7D, 0xE6,
    ];
    const D_BLOCK: &[u8] = b"D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34";
    const B_KBPK: [u8; 16] = [
        0xDD, 0x75, 0x15, 0xF2, 0xBF, 0xC1, 0x7F, 0x85, 0xCE, 0x48, 0xF3, 0xCA, 0x25, 0xCB, 0x21,
        0xF6,
    ];
    const B_BLOCK: &[u8] =
        b"B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E";
    use keyfort::attributes::Algorithm;
    use keyfort::key::{KbpkUnwrap, TypedKey};
    let (Ok(d_kbpk), Ok(b_kbpk)) = (
        TypedKey::<KbpkUnwrap>::raw(&D_KBPK, Algorithm::Aes256),
        TypedKey::<KbpkUnwrap>::raw(&B_KBPK, Algorithm::Tdes2),
    ) else {
        defmt::println!("tr31 bench: KBPK refused");
        return;
    };
    measure("tr31-unwrap-d-aes256", 1, || {
        let r = keyfort::tr31::unwrap(black_box(&d_kbpk), black_box(D_BLOCK));
        black_box(r.map(|(_, k)| k.expose().len()).ok());
    });
    measure("tr31-unwrap-b-tdes", 1, || {
        let r = keyfort::tr31::unwrap(black_box(&b_kbpk), black_box(B_BLOCK));
        black_box(r.map(|(_, k)| k.expose().len()).ok());
    });
}

/// The store's flash in RAM: 4 sectors of 1 KiB (fits the Cortex-M0's 16 KiB of RAM).
type StoreFlash = MockFlash<{ 4 * 1024 }, 1024>;
/// Keys in the store.
const STORE_KEYS: u16 = 4;

/// Store with 4 keys: put (generate), get (with_key), open (from the image, copy
/// included), rotate; instructions per operation.
fn store() {
    if board::MACHINE.name == "microbit" {
        // A RAM-backed flash plus the store's state overflow the 16 KiB of RAM here.
        defmt::println!("bench-skip store: RAM-backed store does not fit the microbit's 16 KiB");
        return;
    }
    let Ok(mut s) = KeyStore::format((StoreFlash::new(), TestSecret::A, TestRng(1), NoCounter))
    else {
        defmt::println!("bench: store format failed");
        return;
    };
    let mut handles = [None; STORE_KEYS as usize];
    let mut id = 0u16;
    measure("store-put-n4", u32::from(STORE_KEYS), || {
        let h = s
            .generate(id + 1, b"bench", Algorithm::Aes128, Usage::ENCRYPT, None)
            .ok();
        if let Some(slot) = handles.get_mut(usize::from(id)) {
            *slot = black_box(h);
        }
        id += 1;
    });
    let mut i = 0;
    measure("store-get-n4", u32::from(STORE_KEYS), || {
        if let Some(Some(h)) = handles.get(i) {
            black_box(s.with_key(*h, Usage::ENCRYPT, |k| k[0]).ok());
        }
        i += 1;
    });
    // open: re-open the same flash (no second copy of the image: the Cortex-M0 has
    // 16 KiB of RAM).
    let mut slot = Some(s.into_flash());
    let mut reopened = None;
    measure("store-open-n4", 1, || {
        if let Some(f) = slot.take() {
            reopened = KeyStore::open((f, TestSecret::A, TestRng(2), NoCounter)).ok();
        }
    });
    let Some(mut s) = reopened else {
        defmt::println!("bench: store open failed");
        return;
    };
    let mut id = 0u16;
    measure("store-rotate-n4", u32::from(STORE_KEYS), || {
        id += 1;
        black_box(s.rotate(id).is_ok());
    });
}
