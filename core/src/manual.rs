//! The manual: what keyfort protects, against whom, and what it does not claim.
//!
//! This module holds no code; it is the design rationale that ships with the crate.
//!
//! # Who the attacker is
//!
//! keyfort is for payment terminals and IoT devices whose owner is not the key owner.
//! We assume the attacker has the device in hand and can:
//!
//! - read the whole external and internal flash at rest (a chip-off or a debug-port dump
//!   on a device whose debug port is not locked);
//! - write flash, including restoring an older image of it (rollback) and copying records
//!   between slots or from another device;
//! - cut power at any instant, including in the middle of a flash program or erase;
//! - feed any input to every parser: forged wrapped keys, forged TR-31 key blocks,
//!   malformed KSNs, corrupted flash;
//! - measure how long each operation takes, with instruction-level resolution (as QEMU
//!   gives us), and see which code paths ran;
//! - dump RAM *after* an operation has finished, or after a tamper event.
//!
//! # What keyfort does about it
//!
//! | threat | defence | where it is shown |
//! |---|---|---|
//! | flash read at rest | every key record is sealed (encrypted and authenticated) under keys derived from the device secret; no key byte is on flash in clear | store tests: raw-dump scan; QEMU memory scan |
//! | record moved, re-labelled, re-policied | the MAC covers slot id, version, algorithm, usage policy and state | store tests |
//! | flash image rolled back | records are bound to the monotonic counter, where the board has one | store tests (with and without a counter) |
//! | power cut mid-write | log-structured store: every operation is either fully there or not at all after reboot | power-cut campaign at every program/erase step; QEMU power-cut runs |
//! | forged wrapped key / key block | one constant-time verdict over every check; a single error; nothing usable left in the caller's buffer | Wycheproof vectors; valgrind "ctgrind" test; on-target trace equality |
//! | timing of secret-dependent code | no branch, table index or division depends on a secret (fixsliced AES: keyfort-aes on Cortex-M, the `aes` crate on hosts; `subtle` compares) | valgrind with secrets marked undefined; QEMU instruction traces compared on Cortex-M0/M4 |
//! | RAM dump after use | every secret type wipes itself on drop (`zeroize`, volatile writes and a fence) and scrubs 1.5 KiB of stack below the dropping frame, where moved-from copies and the cipher crates' key-schedule scratch lie ([`crate::secret::scrub_stack`]); long-lived secrets are kept as two XOR shares re-randomised on each use (the store's sealing keys; a DUKPT terminal's registers, masked under a mask key the terminal ratchets on every transaction, `dukpt::mask`) | QEMU RAM + flash scan (`./x test memscan`) for every test key, derived key and first round key (fixsliced AES, DES subkeys), with a positive control and a non-wiping build that the scan must catch; its live-terminal scan parks an AES DUKPT terminal between two transactions and finds none of its registers or future keys (the build with masking off, registers in clear, is caught) |
//! | tamper event | crypto-erase: sealing material destroyed first, then records and audit details erased, RAM secrets wiped (the board overwrites all free stack); resumable after a power cut | QEMU tamper scan (0 occurrences after the wipe); power cut after every flash operation of the wipe, each completed at the next boot |
//! | DUKPT counter reuse after a power cut | the terminal state is persisted (sealed) before a transaction's key is released | DUKPT persistence tests, demo power cycle |
//!
//! # What keyfort does not protect against
//!
//! Stated as plainly as the claims:
//!
//! - **An attacker who reads RAM, or halts the core with a debugger, while a key is in
//!   use.** A key is in plain form in RAM inside the closure that uses it and inside the
//!   cipher's key schedule for the length of one operation. Masking shortens that window;
//!   it does not close it. Lock the debug port (APPROTECT, RDP level 2) in production.
//! - **Power and electromagnetic side channels.** Constant instruction flow is not constant
//!   power. keyfort's AES is not masked against DPA/CPA; a lab with a probe and a scope
//!   can extract keys from many traces. Use a chip with a hardened crypto engine or a
//!   secure element when that is in your threat model.
//! - **Fault injection** (voltage or clock glitches, laser, EM pulses). keyfort does not
//!   duplicate computations or verify its own control flow; a glitch can skip a check.
//! - **A compromised device secret.** The sealing is only as good as the board's hardware
//!   unique key. The QEMU boards use a test-only stand-in that is *not* secret.
//! - **White-box cryptography.** keyfort makes no white-box claims: code that holds a key
//!   can be made to reveal it by an attacker who controls its execution.
//! - **Certification.** keyfort is not PCI PTS, FIPS 140-3 or X9 certified, and using it
//!   does not make a device compliant.
//! - **Rollback without a monotonic counter.** A board that offers no monotonic counter
//!   (`NoCounter`) cannot detect a restored older flash image.
//!
//! # Constant-time rules, on the machine code
//!
//! Source-level care is not enough (LLVM has turned "constant-time" selects into branches
//! on `thumbv6m` before). keyfort therefore checks the compiled code: the valgrind test
//! runs the host build with secrets marked undefined, and the QEMU trace test compares the
//! executed instruction addresses of valid and invalid inputs on Cortex-M0 and Cortex-M4.
