//! The payment terminal, Non-secure: the demo terminal's flow (`qemu/firmware/src/bin/
//! terminal.rs`) with every key operation a Secure call. The records are the demo's
//! (`keyfort demo verify` checks them); only KSNs, PIN blocks, ciphertexts and MACs
//! exist on this side. The record, the files and the test cards are the demo's protocol
//! (`keyfort_testkit::demo`).
use keyfort_secure_client::{abi::TAMPERED, Client, Error, Transaction};
use keyfort_testkit::demo::{
    self, files,
    record::{self, TransactionCrypto},
};

use crate::log::{self, line};

const RECORD_LEN: usize = record::LEN;

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
    let n = log::read_host_file(files::PLAN, &mut buf).unwrap_or(0);
    demo::plan(buf.get(..n).unwrap_or(&[]))
}

fn session() -> Step<u32> {
    let mut kf = ctx("open", Client::open())?;
    ctx("injection", kf.dukpt_factory_inject())?;
    let next = ctx("status", kf.dukpt_next_counter())?;
    line(format_args!(
        "ns: terminal ready, next DUKPT counter {next}"
    ));
    let mut out = log::open_append(files::RECORDS).map_err(|()| ("records", Error(-1)))?;
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

/// One transaction's crypto: Secure calls (the keys stay on the Secure side).
struct SecureCrypto<'a> {
    kf: &'a mut Client,
    tx: &'a Transaction,
}

impl TransactionCrypto for SecureCrypto<'_> {
    type Error = (&'static str, Error);

    fn pin_block(&mut self, pin: &[u8], pan: &[u8]) -> Step<[u8; 16]> {
        let mut block = [0u8; 16];
        ctx(
            "pin",
            self.kf.dukpt_encrypt_pin(self.tx, pin, pan, &mut block),
        )?;
        Ok(block)
    }

    fn encrypt_card(&mut self, card: &mut [u8; 32]) -> Step<()> {
        let mut enc = [0u8; 32];
        ctx(
            "encrypt",
            self.kf
                .dukpt_encrypt_data(self.tx, &[0u8; 16], &card[..], &mut enc),
        )?;
        *card = enc;
        Ok(())
    }

    fn mac(&mut self, maced: &[u8]) -> Step<[u8; 16]> {
        let mut tag = [0u8; 16];
        ctx("mac", self.kf.dukpt_cmac(self.tx, maced, &mut tag))?;
        Ok(tag)
    }
}

/// One transaction: its record (public: ciphertexts, KSN and MAC only).
fn transaction(kf: &mut Client) -> Step<[u8; RECORD_LEN]> {
    let tx = ctx("begin", kf.dukpt_begin())?;
    let ksn = *tx.ksn();
    let r = record::build(&ksn, &mut SecureCrypto { kf, tx: &tx })?;
    ctx("end", kf.dukpt_end(tx))?;
    line(format_args!(
        "ns: tx {}: KSN {:02x?}.. record sent",
        record::Record { raw: &r }.counter(),
        &ksn[8..12]
    ));
    Ok(r)
}
