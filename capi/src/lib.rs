//! keyfort for C firmware: a static library (`libkeyfort_capi.a`) and a generated header
//! (`include/keyfort.h`).
//!
//! ```c
//! #include "keyfort.h"
//!
//! static kf_store_t store;            /* zero-initialised, KF_STORE_SIZE bytes */
//! kf_board_t board = { .ctx = &my_flash, .flash_size = 8 * KF_SECTOR_SIZE,
//!                      .entropy_bits_per_byte = 1, .flash_read = my_read, ... };
//! kf_status_t st = kf_store_open(&store, &board);
//! if (st == KF_ERROR_NOT_FORMATTED) st = kf_store_format(&store, &board);
//!
//! kf_key_attributes_t a = { .id = 1, .key_type = KF_KEY_TYPE_AES, .bits = 256,
//!                           .usage = KF_KEY_USAGE_UNWRAP | KF_KEY_PURPOSE_TR31_KBPK,
//!                           .lifetime = KF_KEY_LIFETIME_PERSISTENT };
//! kf_key_id_t kbpk;
//! st = kf_import_key(&store, &a, kbpk_bytes, 32, &kbpk);
//! kf_key_attributes_t ik;
//! st = kf_tr31_import(&store, kbpk, block, block_len, 2, &ik);   /* a B1 initial key */
//! st = kf_dukpt_load_initial_key(&store, ik.id);
//! uint8_t ksn[12], mac[16]; size_t n;
//! st = kf_dukpt_begin(&store, ksn, sizeof ksn);
//! st = kf_dukpt_mac(&store, KF_ALG_CMAC, msg, msg_len, mac, sizeof mac, &n);
//! kf_dukpt_end(&store);
//! ```
//!
//! Layers, each with one job:
//! - [`service`]: the by-handle operation set in safe Rust, generic over the board; the
//!   one surface that this C binding and a TrustZone Non-secure binding both call.
//! - [`ffi`]: the C entry points: pointer and length checks (NULL, overlap with each other
//!   and with the store object, absurd lengths, alignment), arguments copied in, outputs
//!   zeroed on failure, no panic across the boundary.
//! - [`board`]: the C board callbacks as keyfort's board traits.
//! - [`status`], [`types`]: the status codes and the PSA-style vocabulary.
//!
//! KCV: keyfort's core has no key check value yet, so [`service`] computes it from core's
//! block cipher and CMAC (X9.24-1 2017: CMAC of a zero block, 5 bytes; or the legacy
//! encryption of a zero block, 3 bytes).
//!
//! Panics: on the host (`std`) every entry point runs under `catch_unwind`; on a thumb
//! target the panic handler below wipes the store object that was in use and halts.
//! Either way the store object is dead afterwards (`KF_ERROR_CORRUPTION_DETECTED` on the
//! host, a halted core on the device).
#![no_std]
#![cfg_attr(
    not(test),
    deny(clippy::panic, clippy::unwrap_used, clippy::expect_used)
)]

#[cfg(not(target_os = "none"))]
extern crate std;

pub mod board;
pub mod ffi;
pub mod service;
pub mod status;
pub mod types;

/// On a device: wipe the store object the failing call was using, then halt. No message
/// (it could carry data) and no unwinding into C. (Feature `panic-handler`, on by default.)
#[cfg(all(target_os = "none", not(test), feature = "panic-handler"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    ffi::wipe_current();
    loop {
        core::hint::spin_loop();
    }
}

/// Without the `panic-handler` feature: the image that links this crate decides (it
/// defines `keyfort_capi_on_panic`; the TrustZone Secure image reports and exits).
#[cfg(all(target_os = "none", not(test), not(feature = "panic-handler")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    extern "C" {
        fn keyfort_capi_on_panic() -> !;
    }
    // SAFETY: a function of the final image, taking nothing and never returning.
    unsafe { keyfort_capi_on_panic() }
}
