//! The payment terminal, Non-secure: the demo terminal's flow (`qemu/firmware/src/bin/
//! terminal.rs`) with every key operation a Secure call. The records are the demo's
//! (`keyfort demo verify` checks them); only KSNs, PIN blocks, ciphertexts and MACs
//! exist on this side.
use keyfort_secure_client::{abi::TAMPERED, Client, Error};

use crate::log::{self, line};

/// Test cards: PAN and PIN (TEST data, public; the host has the same table).
const CARDS: [(&[u8], &[u8]); 3] = [
    (b"4111111111111111", b"1234"),
    (b"5555555555554444", b"4321"),
    (b"378282246310005", b"909090"),
];
const RECORD_LEN: usize = 128;
/// Transactions per run when there is no plan file.
const DEFAULT_PLAN: u32 = 10;

/// Runs the terminal, then writes its memory out for the host's scan; returns the exit
/// status.
pub fn run() -> i32 {
    let status = run_session();
    let n = log::dump_nonsecure_memory();
    line(format_args!(
        "ns: Non-secure memory written to ns-memory.bin ({n} bytes)"
    ));
    status
}

fn run_session() -> i32 {
    match session() {
        Ok(n) => {
            line(format_args!("ns: done: {n} transactions sent"));
            0
        }
        Err((what, e)) if e.0 == TAMPERED => {
            line(format_args!(
                "ns: {what}: the Secure side answered the tamper line (keys wiped)"
            ));
            0
        }
        Err((what, e)) => {
            line(format_args!("ns: {what} failed: status {}", e.0));
            if what == "open" || what == "injection" {
                line(format_args!(
                    "terminal: no keys (wiped?): out of service until the next key injection"
                ));
                return crate::EXIT_NO_KEYS;
            }
            1
        }
    }
}

type Step<T> = Result<T, (&'static str, Error)>;

fn ctx<T>(what: &'static str, r: keyfort_secure_client::Result<T>) -> Step<T> {
    log::regs(what);
    r.map_err(|e| (what, e))
}

fn plan() -> u32 {
    let mut buf = [0u8; 12];
    let n = log::read_host_file(c"pos-plan", &mut buf).unwrap_or(0);
    let digits = buf.get(..n).unwrap_or(&[]);
    let mut v: u32 = 0;
    let mut any = false;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(u32::from(c - b'0'));
        any = true;
    }
    if any {
        v
    } else {
        DEFAULT_PLAN
    }
}

fn session() -> Step<u32> {
    let mut kf = ctx("open", Client::open())?;
    ctx("injection", kf.dukpt_factory_inject())?;
    let next = ctx("status", kf.dukpt_next_counter())?;
    line(format_args!(
        "ns: terminal ready, next DUKPT counter {next}"
    ));
    let mut out = log::open_append(c"transactions.bin").map_err(|()| ("records", Error(-1)))?;
    let todo = plan();
    let mut sent = 0;
    while sent < todo {
        let r = transaction(&mut kf)?;
        use semihosting::io::Write;
        out.write_all(&r).map_err(|_| ("records", Error(-1)))?;
        sent += 1;
    }
    ctx("close", kf.close())?;
    Ok(sent)
}

fn ascii_u32(mut v: u32, out: &mut [u8]) {
    for c in out.iter_mut().rev() {
        *c = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// One transaction: its record (public: ciphertexts, KSN and MAC only).
fn transaction(kf: &mut Client) -> Step<[u8; RECORD_LEN]> {
    let tx = ctx("begin", kf.dukpt_begin())?;
    let ksn = *tx.ksn();
    let counter = u32::from_be_bytes([ksn[8], ksn[9], ksn[10], ksn[11]]);
    let card_index = (counter % CARDS.len() as u32) as usize;
    let (pan, pin_digits) = CARDS[card_index];
    let mut r = [0u8; RECORD_LEN];
    r[0..4].copy_from_slice(b"KFTX");
    r[4] = 1;
    r[5] = card_index as u8;
    r[8..20].copy_from_slice(&ksn);

    let mut block = [0u8; 16];
    ctx(
        "pin",
        kf.dukpt_encrypt_pin(&tx, pin_digits, pan, &mut block),
    )?;
    r[20..36].copy_from_slice(&block);

    // The message: amount and trace number (the KSN counter).
    let msg = &mut r[36..68];
    msg.copy_from_slice(b"AMT=000000.00 EUR STAN=000000   ");
    let cents = counter.wrapping_mul(7919) % 100_000;
    ascii_u32(cents / 100, &mut msg[4..10]);
    ascii_u32(cents % 100, &mut msg[11..13]);
    ascii_u32(counter, &mut msg[23..29]);

    // Card data (track-2 style), encrypted under the data key (a new key per
    // transaction, so a zero IV is safe).
    let mut card = [0u8; 32];
    card[..pan.len()].copy_from_slice(pan);
    card[pan.len()..pan.len() + 8].copy_from_slice(b"=2812101");
    let mut enc = [0u8; 32];
    ctx(
        "encrypt",
        kf.dukpt_encrypt_data(&tx, &[0u8; 16], &card, &mut enc),
    )?;
    r[68..100].copy_from_slice(&enc);

    let mut tag = [0u8; 16];
    ctx("mac", kf.dukpt_cmac(&tx, &r[..112], &mut tag))?;
    r[112..128].copy_from_slice(&tag);
    ctx("end", kf.dukpt_end(tx))?;
    line(format_args!(
        "ns: tx {counter}: KSN {:02x?}.. record sent",
        &ksn[8..12]
    ));
    Ok(r)
}
