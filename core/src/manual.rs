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
//! | flash damaged, tampered or erased, then a reboot | `KeyStore::open_or_format` formats only a flash that never held a store (no live salt, data sectors erased, counter at 0); anything else is a typed error and the flash is left untouched | `tests/tests/store_first_boot.rs` (bit flips, erased root, foreign image, erased after use, a cut at every step of the first format) |
//! | power cut mid-write | log-structured store: after a reboot every committed operation is there and the interrupted one is either fully there or not at all, also when the cut leaves a word partly programmed or a sector partly erased and when the power is cut again during the recovery (the open, and the first operation after a cut, which compacts the torn sector away); the only open outcome other than `Ok` a cut produces is `store::Error::TamperWiped` after a cut tamper wipe. Not power-fail safe, and not cut by the campaigns: `KeyStore::format`, and a tamper wipe that has used every salt slot and must rewrite the root (documented in the store manual) | host: `tests/tests/store_campaign.rs` (a cut at every programmed byte and erase of a 43-operation workload, in RAM); on target: `./x test persistence` (`qemu/firmware/src/bin/persistence.rs`, `cut_flash.rs`): on QEMU mps2-an385 (Cortex-M3) and mps2-an505 (Cortex-M33), 75 cuts each at the flash program or erase the runner picks, the cut operation left half done (part of a word's bits programmed; an erase with a random share of its bits set), every other boot after a cut cut again in the recovery (double faults), over a 39-operation lifecycle (generate, import, rotate, revoke, destroy of a version and of a key, use-counted uses up to the limit and one refused, backup export, a replayed backup refused, DUKPT-terminal-size state records of 64 to 568 bytes that fill sectors and make the store compact, a tamper wipe, a backup restored into the wiped store); it prints cuts, torn programs and erases, double faults, keys lost, wrong keys and open errors, and fails unless the last three are 0; negative control: a firmware that writes its ledger before the store commits must be caught (lost or wrong keys). `./x campaign --cuts 5000` is the long run (the longest run so far: 1,500 cuts on mps2-an385, seed 1796481281614459012: 1,292 torn programs, 208 torn erases, 379 double faults, 24 cut wipes reported as `TamperWiped`, 4,645 operations on 14 devices; keys lost 0, wrong keys 0, open errors 0; and 600 cuts on mps2-an505, seed 2295223231924415798: 509 torn programs, 91 torn erases, 156 double faults, 8 reported wipes, 1,903 operations on 6 devices; keys lost 0, wrong keys 0, open errors 0; 5,000 cuts per board has not been run yet, about 1.3 s per cut on a loaded 2-core machine). Not modelled: flash bits that read differently from one read to the next after a cut, and cuts of the counter (the QEMU counter is a host file) |
//! | forged wrapped key / key block | one constant-time verdict over every check; a single error; nothing usable left in the caller's buffer | Wycheproof vectors; valgrind "ctgrind" test of KW/KWP unwrap on the host build (`tests/tests/wrap_ct.rs`, the `aes` crate's backend, not the Cortex-M one); QEMU instruction-trace equality of KW/KWP unwrap on Cortex-M0/M3/M4 (`./x test ct-trace`); instruction AND data-address equality of KW/KWP and TR-31 B/D/E unwrap on Cortex-M0/M4 under unicorn (`./x test ct-data`) |
//! | timing of secret-dependent code | no branch, table index or division depends on a secret (fixsliced AES: keyfort-aes on Cortex-M, the `aes` crate on hosts; `subtle` compares). | valgrind with secrets marked undefined: KW/KWP unwrap over the host `aes` backend (`tests/tests/wrap_ct.rs`) and keyfort-aes's portable model, the Cortex-M0 code (`tests/tests/aes_model_ct.rs`; a table S-box AES control must be caught); `./x test ct-data`: executed-instruction and load/store addresses equal within each input group on Cortex-M0 and M4 builds for KW/KWP unwrap, TR-31 B/D/E unwrap, AES- and TDES-CMAC verification, the store's tag check, AES and TDES DUKPT derivation, DES/TDES blocks and keyfort-aes (key schedule + block), with a table S-box AES and an early-exit compare as controls that must be caught. every row is shown on the Cortex-M0; on the Cortex-M4 only KW/KWP unwrap, keyfort-aes and the DES/TDES blocks are (unicorn 2.1.4 mis-executes the other M4 calls when memory hooks are installed: reported NOT SHOWN, not counted, so the M4 data-address claim covers those rows only; the M4 instruction traces of the unwraps are in `ct-trace`) |
//! | timing of DES / TDES (TR-31 B, TDES DUKPT, retail MAC, TDES CMAC/CBC, PIN format 0) | keyfort's own table-free DES (`block/des_ct.rs`, the same code on every target): S-boxes as a multiplexer over constant words steered by masks, permutations as fixed bit moves, no secret-dependent branch, index, address, multiplication or division; RustCrypto's `des` (S-box tables indexed by key and data bits) is only a test dependency | valgrind with keys and data marked undefined (`tests/tests/des_ct.rs`: DES and 2-/3-key TDES blocks and key schedules, TDES DUKPT host and terminal derivation, retail MAC verification, TR-31 version B unwrap up to its verdict; control: the `des` crate's DES and TDES, which it must catch); correctness: SP 800-20's five DES tables, SP 800-67's TDEA example and FIPS 81 (`tests/tests/des_vectors.rs`), differential against the `des` crate (`tests/tests/des_differential.rs`). Not yet shown on target: the QEMU trace test does not cover DES |
//! | a TDES key that is single DES in disguise (K1 = K2; 3-key K1 = K2 or K2 = K3), or 2-key TDES labelled 3-key (K1 = K3) | refused with a typed error where a TDES key enters: `block::Tdes::new`, the retail MAC, DUKPT BDK and IPEK, a TR-31 KBPK; `tr31::import` refuses a collapsing or K1 = K3 key in a block and rates a K1 = K3 KBPK as 2-key (80 bits); parity bits ignored, compared in constant time | `ops::tests::tdes_ops_refuse_degenerate_keys`, `des_differential::degenerate_tdes_keys_refused`, `dukpt_vectors::tdes_dukpt_refuses_degenerate_keys`, `tr31_roundtrip::tdes_keys_are_rated_by_what_they_are`, `tr31_vectors` (psec's 4545...45 KBPK refused); the store's own import does not yet check (see `block::check_tdes_key`) |
//! | legacy forms that weaken keys | TR-31 versions A and C only with `UnwrapOptions::legacy()`; TDES DUKPT's pre-2009 XOR-only data keys only with `dukpt::tdes::LegacyOptions::legacy()` | `tr31_vectors` (A/C refused by default), `dukpt_vectors::tdes_xor_only_data_keys_need_the_legacy_opt_in` |
//! | RAM dump after use | every secret type wipes itself on drop (`zeroize`, volatile writes and a fence) and scrubs 1.5 KiB of stack below the dropping frame, where moved-from copies and the cipher crates' key-schedule scratch lie ([`crate::secret::scrub_stack`]; a host DUKPT derivation and a batch scrub once, 2 / 4 KiB below the call, after their whole chain of wiped intermediate keys instead of once per key); long-lived secrets are kept as two XOR shares re-randomised on each use (the store's sealing keys; a DUKPT terminal's registers, masked under a mask key the terminal ratchets on every transaction, `dukpt::mask`) | QEMU RAM + flash scan (`./x test memscan`) for every test key, derived key and first round key (fixsliced AES, DES subkeys), with a positive control and a non-wiping build that the scan must catch; its live-terminal scan parks an AES DUKPT terminal between two transactions and finds none of its registers or future keys (the build with masking off, registers in clear, is caught; the TDES terminal is masked the same way but has no live scan of its own yet) |
//! | key imported under a stored KEK (KW/KWP) | the KEK stays in the store: used by handle only inside `with_key` under its `UNWRAP` policy, must be AES and at least as strong as the key; a wrong KEK or one without `UNWRAP` is refused before anything is written | `tests/tests/store_kek_import.rs` |
//! | tamper event | crypto-erase: sealing material destroyed first, then records and audit details erased, RAM secrets wiped (the board overwrites all free stack); resumable after a power cut, and a wipe that `KeyStore::open` finishes is reported to the caller as `store::Error::TamperWiped`, never as a silent `Ok` | QEMU tamper scan (0 occurrences after the wipe); power cut after every flash operation of the wipe, each completed at the next boot; `tests/tests/store_root_flips.rs` (`a_cut_tamper_wipe_is_finished_and_reported_by_open`: a cut at each of the wipe's 400 steps is either before the kill marker got half-way, store intact, or finished and reported; the store campaign counts the reported wipes) |
//! | one flipped bit in the root sector | a salt slot's live block is decoded to the nearest of the three patterns the store programs there (at least 55 bits apart): a flipped bit in a live block or in a never-used slot is not a kill marker; only a kill marker programmed at least half-way triggers a wipe (the store manual lists the states); other root flips are `Error::RootAuth`, with nothing erased | `tests/tests/store_root_flips.rs` (`one_flipped_root_bit_never_silently_erases_keys`: every bit of the root header and three salt slots, on a fresh store and after a wipe: 1,408 flips open with every key, 768 give `RootAuth` and the image still holds every key, 0 wipe; control `a_programmed_kill_marker_is_a_reported_tamper_wipe`) |
//! | flash written while the device runs (interposer on an external flash) | each record is read from flash once; only the copy that verified is decrypted, and compaction, revoke and use counting carry only verified ciphertext into a new record, whose tag is written after the source's tag verified | `tests/tests/store_runtime_writes.rs`: a bit XORed into a key or DUKPT-state body after open, before compaction, revoke or a counted use (refused with `Error::Corrupt`, never released altered, the original after a reboot), and right after the verifying read (the verified original is returned, the next read refused); each of the four fails on the code before this change |
//! | backup replayed to resurrect a key or reset its use limit | the backup blob binds use count, state, an export stamp (record sequence, counter value) and the exporting store's id under the wrap; the store refuses its own blob once it is older than the key's current record (used, revoked) or than the newest destroy (a floor kept in every sector header: `store::Error::BackupReplayed`); export needs a KEK at least as strong as the key (`store::Error::KekTooWeak`); a blob from another store (another device, or before a tamper wipe) is a migration and is accepted, with its use count | `tests/tests/store_backup_replay.rs` (export, use up, revoke, destroy, re-import: refused, also after a reboot and compactions; control: a foreign blob migrates with its use count; AES-256 key under a 128/192-bit KEK refused) |
//! | failing entropy source | the store takes a fallible generator and refuses (`store::Error::Rng`) to make a key, salt or mask when it fails; `Csprng::fail_closed` refuses every request after a failed reseed or health test (the plain `Csprng`'s infallible path still cannot refuse: give the store `FailClosed`) | `tests/tests/store_rng_fail_closed.rs` (a source that sticks: generate, rotate, re-mask refused, no key created, stored keys intact after re-open; control: the plain infallible path keeps generating) |
//! | monotonic counter worn out by its own writes (nRF52840) | the board's UICR counter writes each 32-bit CUSTOMER word at most twice between erases, the chip's nWRITE limit (nRF52840 Product Specification, NVMC): 64 steps over the chip's life, then `CounterError::Exhausted` (budget in `boards/nrf52840/README.md`) | `tests/tests/nrf52840_counter_nwrite.rs` (the board's encoding on a simulated UICR: no word written more than twice, one step per increment, writes cut part-way never step back; control: the former one-bit-per-step encoding writes a word 32 times). Not run on an nRF52840 |
//! | DUKPT counter reuse after a power cut | the terminal state is persisted (sealed) before a transaction's key is released | DUKPT persistence tests, demo power cycle |
//!
//! # The TrustZone-M key service (mps2-an505, `secure/`)
//!
//! On the Cortex-M33 keyfort can run as the device's own HSM: the store, the DUKPT terminal
//! and every operation in the Secure world (`secure/service`), the payment application in
//! the Non-secure world (`secure/app`), holding key ids, KSNs and ciphertexts through the
//! client crate (`secure/client`, no type in it holds a key). The Secure API is the C API's
//! by-handle surface (`keyfort_capi::service`: PSA-style key ids, usage flags, lifetimes;
//! DUKPT and TR-31 as extensions), bound through Non-secure-callable entries made by one
//! `global_asm!` macro on stable Rust (`secure/service/src/entry.rs` lists the Armv8-M rules
//! it follows). `./x demo mps2-an505` runs the demo that way.
//!
//! | threat | defence | where it is shown |
//! |---|---|---|
//! | a bug or exploit in the Non-secure application reads or writes key memory | the SAU and the memory protection controllers give the Non-secure world only its code (1 MiB) and RAM (2 MiB); the store, the terminal, the Secure stack and the peripherals are Secure | `./x test tz` (faults): Non-secure loads of the key store through the Secure and the Non-secure alias and a store to it each raise SecureFault (AUVIOL), reported by the Secure handler, and the Non-secure code after the access never runs; control: a load of Non-secure RAM is seen to return |
//! | the Non-secure application jumps into Secure code past the checks | only the `SG` veneers in the NSC region are entries; the entry bodies are not | `./x test tz` (faults): a jump to an entry body faults with INVEP, stacked PC = the target |
//! | confused deputy: Non-secure pointers that name Secure memory | every pointer and length checked with `TTA` over the whole range before any access (Non-secure, readable/writable by the Non-secure world, one SAU/IDAU/MPU region, no wrap-around, at most 10 KiB), arguments copied in once, outputs written after success | `./x test tz` (boundary): 278 calls (every entry, one bad pointer or buffer at a time: NULL, Secure RAM by both aliases, Secure code, NSC, across the end of Non-secure RAM and the start of Non-secure code, wrap-around, absurd lengths) all refused with `KF_ERROR_INVALID_ARGUMENT`; DUKPT counter, transaction, inventory and audit unchanged; control: the build without `TT` (`--cfg kfs_no_tt`) must fail it |
//! | Secure values left in registers after a call | each entry restores r4-r11 and s16-s31 to the caller's values and zeroes r1-r3, r12, s0-s15, FPSCR and the NZCVQ flags before `BXNS` | `./x test tz` (registers): after every Secure call of three demo transactions the Non-secure side dumps r0-r12, APSR, s0-s31, FPSCR: no 4-byte word of any key the terminal holds or derives, and those registers zero; control: the build without clearing (`--cfg kfs_no_clear`) is caught (Secure addresses and sizes left in them; this code wipes its key buffers before returning, so no key word showed even there; the key-word search itself is unit-tested, `tz::tests::a_key_word_in_a_register_is_found`) |
//! | keys reachable from the Non-secure world during normal operation | the application holds handles and ciphertexts only | `./x demo mps2-an505` and `./x test tz` (demo): every transaction verified by the host; the Non-secure memory (code and RAM, 3 MiB, dumped by the application) searched for every key and schedule form: 0 found |
//! | tamper event | the Secure side polls the tamper line at open and at every transaction: crypto-erases the store, drops the terminal, overwrites the free Secure stack | `./x test tz` (demo): Secure RAM and flash after the wipe searched (`keyfort demo scan`, schedule forms): 0 keys; the store opens with 0 keys |
//!
//! What the TrustZone service does **not** protect against:
//! - **Secure-privileged code reading RAM.** Anything running Secure (a bug in the service,
//!   a malicious Secure library, a debugger with Secure debug enabled) sees every key; the
//!   boundary protects the Secure world from the Non-secure one, not from itself.
//! - **Side channels across the boundary.** The Non-secure world can time Secure calls and
//!   share caches and buses with them; only keyfort's constant-time rules below apply, and
//!   power/EM channels are as open as without TrustZone.
//! - **Fault injection** on the SAU/MPC setup, the `TT` checks or `SG`: not hardened (no
//!   duplicated checks).
//! - **Non-secure denial of service**: the application may never call, or exhaust the DUKPT
//!   counter; Non-secure interrupts are masked while an entry runs.
//! - **QEMU is not silicon**: the checks run on QEMU 7.2's model of the AN505 (which, for
//!   one, never sets SFAR); real parts differ in their IDAU and MPC details.
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
//! on `thumbv6m` before). keyfort therefore checks the compiled code: the valgrind tests
//! run the host build with secrets marked undefined (the key unwrap over the `aes` crate,
//! and keyfort-aes's portable model, which is the Cortex-M0's AES; the Cortex-M3/M4
//! assembly is not run by valgrind); the QEMU trace test (`./x test ct-trace`) compares the
//! executed instruction addresses of valid and invalid unwrap inputs on Cortex-M0, M3 and
//! M4; and `./x test ct-data` loads the Cortex-M0 and M4 firmware into unicorn and
//! compares instruction AND data addresses (every load and store), which is what shows a
//! table lookup.
//! keyfort's DES is the same source on host and target: `des_ct` (valgrind) checks its
//! host machine code, `ct-data` its Cortex-M0/M4 machine code.
//! A verdict that the caller receives anyway (a MAC matched, a TDES key is degenerate)
//! becomes a branch in one named place each, which the valgrind tests allow by name
//! (`tests/ct/*.supp`) and require to have been reached.
