//! The confused-deputy checks (`./x test tz`, boundary): every entry that takes a pointer
//! is called with one pointer or buffer bad at a time (NULL, Secure RAM through either
//! alias, Secure code, the NSC veneers, a range across the end of Non-secure RAM or the
//! start of Non-secure code, a range wrapping past 4 GiB, an absurd length), everything
//! else valid. Each call must return `KF_ERROR_INVALID_ARGUMENT`, and the Secure state
//! seen through the API (DUKPT counter, transaction, key inventory, audit ring) must be
//! the same afterwards; then a real transaction must still work.
use keyfort_secure_client::abi::{dump, raw, Buf, PinArgs, WrapArgs, FACTORY_KBPK, MAX_LEN};
use keyfort_secure_client::{
    kf_audit_event_t, kf_key_attributes_t, kf_status_t, Client, KF_ALG_AES_KW, KF_ALG_CMAC,
    KF_KCV_CMAC,
};

use crate::log::line;

/// A valid Non-secure buffer for the "absurd length" cases and the good arguments.
static mut SCRATCH: [u8; 64] = [0; 64];

fn scratch() -> u32 {
    core::ptr::addr_of_mut!(SCRATCH) as u32
}

/// The bad ranges: (what, address, length).
fn cases() -> [(&'static str, u32, u32); 10] {
    [
        ("NULL", 0, 16),
        ("Secure RAM (Secure alias)", 0x3800_0000, 16),
        ("Secure RAM (Non-secure alias)", 0x2800_0000, 16),
        ("Secure code", 0x1000_0000, 16),
        ("NSC veneers", 0x1020_0000, 16),
        ("across the end of Non-secure RAM", 0x283F_FFFE, 16),
        ("across the start of Non-secure code", 0x002F_FFFE, 16),
        ("wrap-around", 0xFFFF_FFF0, 0x20),
        ("absurd length", scratch(), 0x7FFF_FFFF),
        ("one byte over MAX_LEN", scratch(), MAX_LEN + 1),
    ]
}

fn addr<T>(x: &T) -> u32 {
    x as *const T as u32
}

#[derive(PartialEq, Eq, Clone, Copy, Debug)]
struct Snapshot {
    counter: u32,
    keys: usize,
    events: usize,
    first_key: u32,
    last_seq: u32,
}

fn snapshot(kf: &mut Client) -> Option<Snapshot> {
    let mut keys = [kf_key_attributes_t::default(); 8];
    let mut events = [kf_audit_event_t::default(); 32];
    let k = kf.inventory(&mut keys).ok()?;
    let e = kf.audit(&mut events).ok()?;
    Some(Snapshot {
        counter: kf.dukpt_next_counter().ok()?,
        keys: k,
        events: e,
        first_key: keys[0].id,
        last_seq: events[e.saturating_sub(1)].seq,
    })
}

/// Runs the checks; returns the exit status.
pub fn run() -> i32 {
    let Ok(mut kf) = Client::open() else {
        line(format_args!("BOUNDARY FAIL: the store does not open"));
        return 1;
    };
    if kf.dukpt_factory_inject().is_err() {
        line(format_args!("BOUNDARY FAIL: no DUKPT terminal"));
        return 1;
    }
    // A transaction in progress: the DUKPT operations below have all they need but the
    // one bad pointer.
    let Ok(tx) = kf.dukpt_begin() else {
        line(format_args!("BOUNDARY FAIL: dukpt_begin"));
        return 1;
    };
    let Some(before) = snapshot(&mut kf) else {
        line(format_args!("BOUNDARY FAIL: snapshot"));
        return 1;
    };

    // Good arguments.
    let msg = [0x41u8; 16];
    let mut out = [0u8; 32];
    let good_in = Buf::of(&msg);
    let good_out = Buf::of_mut(&mut out);
    let mut attr = kf_key_attributes_t {
        id: 9,
        key_type: keyfort_secure_client::KF_KEY_TYPE_AES,
        bits: 128,
        usage: keyfort_secure_client::KF_KEY_USAGE_ENCRYPT,
        lifetime: keyfort_secure_client::KF_KEY_LIFETIME_PERSISTENT,
        ..Default::default()
    };
    let io = core::ptr::addr_of_mut!(attr) as u32;
    let wrap_args = WrapArgs {
        wrapping_key: FACTORY_KBPK,
        alg: KF_ALG_AES_KW,
        key: FACTORY_KBPK,
    };
    let pin_ok = PinArgs {
        pin: Buf::of(b"1234"),
        pan: Buf::of(b"4111111111111111"),
    };

    let mut refused = 0u32;
    let mut failed = 0u32;
    for (what, ptr, len) in cases() {
        let bad = Buf { ptr, len };
        let desc = addr(&bad);
        let pin_bad = PinArgs {
            pin: bad,
            pan: pin_ok.pan,
        };
        let pan_bad = PinArgs {
            pin: pin_ok.pin,
            pan: bad,
        };
        let k = FACTORY_KBPK;
        #[rustfmt::skip]
        let calls: [(&str, usize, [u32; 4]); 31] = [
            ("generate_key(attr)", raw::kfs_generate_key as *const () as usize, [ptr, 0, 0, 0]),
            ("rotate_key(out_id)", raw::kfs_rotate_key as *const () as usize, [k, ptr, 0, 0]),
            ("key_attributes(out)", raw::kfs_key_attributes as *const () as usize, [k, ptr, 0, 0]),
            ("inventory(desc)", raw::kfs_inventory as *const () as usize, [ptr, 0, 0, 0]),
            ("inventory(buf)", raw::kfs_inventory as *const () as usize, [desc, 0, 0, 0]),
            ("audit(desc)", raw::kfs_audit as *const () as usize, [ptr, 0, 0, 0]),
            ("audit(buf)", raw::kfs_audit as *const () as usize, [desc, 0, 0, 0]),
            ("tr31_import(block desc)", raw::kfs_tr31_import as *const () as usize, [k, ptr, io, 0]),
            ("tr31_import(block)", raw::kfs_tr31_import as *const () as usize, [k, desc, io, 0]),
            ("tr31_import(attr)", raw::kfs_tr31_import as *const () as usize, [k, addr(&good_in), ptr, 0]),
            ("unwrap_key(attr)", raw::kfs_unwrap_key as *const () as usize, [ptr, k, KF_ALG_AES_KW, addr(&good_in)]),
            ("unwrap_key(wrapped desc)", raw::kfs_unwrap_key as *const () as usize, [io, k, KF_ALG_AES_KW, ptr]),
            ("unwrap_key(wrapped)", raw::kfs_unwrap_key as *const () as usize, [io, k, KF_ALG_AES_KW, desc]),
            ("wrap_key(args)", raw::kfs_wrap_key as *const () as usize, [ptr, addr(&good_out), 0, 0]),
            ("wrap_key(out desc)", raw::kfs_wrap_key as *const () as usize, [addr(&wrap_args), ptr, 0, 0]),
            ("wrap_key(out)", raw::kfs_wrap_key as *const () as usize, [addr(&wrap_args), desc, 0, 0]),
            ("kcv(out desc)", raw::kfs_kcv as *const () as usize, [k, KF_KCV_CMAC, ptr, 0]),
            ("kcv(out)", raw::kfs_kcv as *const () as usize, [k, KF_KCV_CMAC, desc, 0]),
            ("dukpt_status(out)", raw::kfs_dukpt_status as *const () as usize, [ptr, 0, 0, 0]),
            ("dukpt_begin(ksn desc)", raw::kfs_dukpt_begin as *const () as usize, [ptr, 0, 0, 0]),
            ("dukpt_begin(ksn)", raw::kfs_dukpt_begin as *const () as usize, [desc, 0, 0, 0]),
            ("dukpt_mac(msg)", raw::kfs_dukpt_mac as *const () as usize, [KF_ALG_CMAC, desc, addr(&good_out), 0]),
            ("dukpt_mac(out)", raw::kfs_dukpt_mac as *const () as usize, [KF_ALG_CMAC, addr(&good_in), desc, 0]),
            ("dukpt_mac(msg desc)", raw::kfs_dukpt_mac as *const () as usize, [KF_ALG_CMAC, ptr, addr(&good_out), 0]),
            ("dukpt_encrypt_data(iv)", raw::kfs_dukpt_encrypt_data as *const () as usize, [desc, addr(&good_in), addr(&good_out), 0]),
            ("dukpt_encrypt_data(input)", raw::kfs_dukpt_encrypt_data as *const () as usize, [addr(&good_in), desc, addr(&good_out), 0]),
            ("dukpt_encrypt_data(out)", raw::kfs_dukpt_encrypt_data as *const () as usize, [addr(&good_in), addr(&good_in), desc, 0]),
            ("dukpt_encrypt_pin(args)", raw::kfs_dukpt_encrypt_pin as *const () as usize, [ptr, addr(&good_out), 0, 0]),
            ("dukpt_encrypt_pin(pin)", raw::kfs_dukpt_encrypt_pin as *const () as usize, [addr(&pin_bad), addr(&good_out), 0, 0]),
            ("dukpt_encrypt_pin(pan)", raw::kfs_dukpt_encrypt_pin as *const () as usize, [addr(&pan_bad), addr(&good_out), 0, 0]),
            ("dukpt_encrypt_pin(out)", raw::kfs_dukpt_encrypt_pin as *const () as usize, [addr(&pin_ok), desc, 0, 0]),
        ];
        for (name, entry, args) in calls {
            // The length cases name a good address with a bad length: they apply to
            // buffers (descriptors), not to the fixed-size objects passed by address.
            if ptr == scratch() && args.contains(&ptr) {
                continue;
            }
            let r = dump::call(entry as u32, args);
            crate::log::regs(name);
            if r == kf_status_t::KF_ERROR_INVALID_ARGUMENT as i32 {
                refused += 1;
            } else {
                failed += 1;
                line(format_args!(
                    "BOUNDARY FAIL: {name} with {what} ({ptr:#010x}, {len:#x}) returned {r}"
                ));
            }
        }
    }
    let after = snapshot(&mut kf);
    let unchanged = after == Some(before);
    line(format_args!(
        "ns: boundary: {refused} bad calls refused with KF_ERROR_INVALID_ARGUMENT, {failed} not; Secure state unchanged: {unchanged} ({before:?})"
    ));
    // The service still works: the transaction in progress MACs, then a new one begins
    // at the next counter.
    let mut tag = [0u8; 16];
    let works = kf.dukpt_cmac(&tx, &msg, &mut tag).is_ok()
        && kf.dukpt_end(tx).is_ok()
        && kf.dukpt_begin().is_ok_and(|t| {
            u32::from_be_bytes([t.ksn()[8], t.ksn()[9], t.ksn()[10], t.ksn()[11]]) == before.counter
        });
    line(format_args!(
        "ns: boundary: service works afterwards: {works}"
    ));
    if failed == 0 && unchanged && works {
        line(format_args!("ns: boundary: PASS"));
        0
    } else {
        1
    }
}
