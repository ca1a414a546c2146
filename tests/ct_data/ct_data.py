#!/usr/bin/env python3
"""On-target constant-time check of INSTRUCTION and DATA addresses (`./x test ct-data`).

Loads the `ct_data` firmware ELF (qemu/firmware/src/bin/ct_data.rs) into unicorn, built for
Cortex-M0 (thumbv6m, `microbit`) and Cortex-M4 (thumbv7em, `mps2-an386`), and calls its
`extern "C"` entry points directly with chosen inputs. For every traced call it logs the
executed instructions (as the sequence of translated blocks: start address and length)
and the address, size and direction of every load and store. Within a group (same public
lengths and parameters, same public outcome; different keys and data, forged tags wrong
at different positions) both sequences must be equal. A table lookup indexed by a secret
shows as differing data addresses even when the instructions are the same; an early exit
shows in both. Each traced call is also run without memory hooks, and counts only if it
executed the same blocks and returned the same result (see CORES).

Negative controls, in the same firmware, that the check must catch: AES-128 with a table
S-box and an AES-CMAC verification with an early-exit compare (`keyfort_ctgrind::leaky`).

Operations whose traces differ fail the check, except those in KNOWN_LEAKY_UNTIL_CT_DES,
which must still differ (a listed row whose traces turn out equal fails the check, so the
list cannot go stale). It is empty since keyfort's own table-free DES replaced the `des`
crate; the DES/TDES rows are checked like every other.

Setup facts (../shared/TOOLCHAIN.md): plain UC_MODE_THUMB with ctl_set_cpu_model (the
MCLASS mode always emulates a Cortex-M33); return address in a mapped page of the code
region (RET below); no semihosting in traced code; a condition-failed instruction in an IT
block is missing from the instruction trace (a secret condition still shows as a difference).

Usage: ct_data.py --elf microbit=PATH --elf mps2-an386=PATH --vectors DIR
Exit status 0 = every check held and every control was caught.
"""

import argparse
import hashlib
import json
import os
import struct
import sys
import time
from array import array
from concurrent.futures import ProcessPoolExecutor

from elftools.elf.elffile import ELFFile
from unicorn import UC_ARCH_ARM, UC_HOOK_BLOCK, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE
from unicorn import UC_MODE_THUMB, Uc, UcError
from unicorn import arm_const as A

# Rows known to leak, reported as such (empty: every row must show equal traces).
KNOWN_LEAKY_UNTIL_CT_DES: set = set()

# (core, unicorn model). Every traced call also runs on a twin engine WITHOUT memory
# hooks; the traced run counts only if it executed the same blocks and produced the same
# result. Reason: with memory hooks installed, unicorn 2.1.4 mis-executes some Thumb-2 IT
# blocks on the Cortex-M4 (seen: `ittt lo; ldrlo; strlo [r3], #4; cmplo; bhs` in
# compiler_builtins' memcpy branched to the wrong place although its translated blocks
# were the same as without hooks; a memcpy ran off the end of RAM; TR-31 unwraps of valid
# blocks were refused), while the same calls run right without them. Which calls it hits
# depends on what the engine ran before (a partial `--only` run can show more). A call
# whose traced run diverges is reported as UNRELIABLE and compared with nothing; a row
# says how many of its traces were shown and compared, and fails if none were compared.
# The Cortex-M0 (Thumb-1: no IT blocks) has not shown it.
CORES = {"microbit": ("Cortex-M0", A.UC_CPU_ARM_CORTEX_M0),
         "mps2-an386": ("Cortex-M4", A.UC_CPU_ARM_CORTEX_M4)}
# Cores on which every row must be shown. On the Cortex-M4, rows whose every call the
# emulator mis-executes with hooks (above) are reported as NOT SHOWN instead of failing;
# a row or control that is shown there must still pass or be caught. The Cortex-M0 is
# strict: every row compared, every control caught.
STRICT = {"microbit": True, "mps2-an386": False}
FLASH = (0x0000_0000, 4 << 20)
RAM = (0x2000_0000, 4 << 20)
IO = 0x2100_0000            # the harness's buffers: same address on every call
IN_ADDR, OUT_ADDR = IO, IO + 0x1000
IN_LEN, OUT_LEN = 512, 256  # as in ct_data.rs
RET = 0x0800_0000           # return address: a page of its own in the code region
STEP_TIMEOUT_US = 120_000_000  # per call, before the harness gives up


class Machine:
    """One firmware image in unicorn; calls entries from a fresh copy of RAM each time."""

    def __init__(self, elf_path, cpu_model, mem_hooks):
        self.uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
        self.uc.ctl_set_cpu_model(cpu_model)  # before anything else touches the engine
        for base, size in (FLASH, RAM, (IO, 0x2000), (RET, 0x1000)):
            self.uc.mem_map(base, size)
        self.syms = {}
        with open(elf_path, "rb") as f:
            elf = ELFFile(f)
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or not seg["p_filesz"]:
                    continue
                data = seg.data()
                # At the run address (.data already initialised, as the reset code would)
                # and at the load address.
                for addr in {seg["p_vaddr"], seg["p_paddr"]}:
                    self.uc.mem_write(addr, data)
            for sym in elf.get_section_by_name(".symtab").iter_symbols():
                self.syms[sym.name] = sym["st_value"]
        self.stack_top = self.syms["_stack_start"]
        self.ram0 = bytes(self.uc.mem_read(*RAM))
        # Hooks stay installed: unicorn does not re-translate code it already ran when a
        # hook is added later, so a hook added per call would miss most instructions.
        # The instruction sequence is logged per translated block (start address and
        # length): equal block sequences are equal instruction sequences (a block is the
        # same instructions wherever it is entered from), at a fifth of the callbacks.
        self.uc.hook_add(UC_HOOK_BLOCK, lambda _u, a, size, _d: self.pc_add((a << 8) | size))
        if mem_hooks:
            self.uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                             lambda _u, acc, a, size, _v, _d: self.mem_add((a << 8) | (size << 1) | (acc & 1)))

    def call(self, name, args):
        """Calls entry `name` with `args` (list of bytes). Returns (r0, out, blocks, mems):
        the executed blocks as `address << 8 | length`, the loads and stores as
        `address << 8 | size << 1 | is_store`."""
        uc = self.uc
        uc.mem_write(RAM[0], self.ram0)
        head = struct.pack("<4H", *([len(a) for a in args] + [0] * (4 - len(args))))
        buf = head + b"".join(args)
        assert len(buf) <= IN_LEN, name
        uc.mem_write(IN_ADDR, buf.ljust(IN_LEN, b"\0"))
        uc.mem_write(OUT_ADDR, bytes(OUT_LEN))
        for r in (A.UC_ARM_REG_R2, A.UC_ARM_REG_R3, A.UC_ARM_REG_R4, A.UC_ARM_REG_R12):
            uc.reg_write(r, 0)
        uc.reg_write(A.UC_ARM_REG_R0, IN_ADDR)
        uc.reg_write(A.UC_ARM_REG_R1, OUT_ADDR)
        # Room for a caller's frame above the entry's, as on a real call.
        uc.reg_write(A.UC_ARM_REG_SP, self.stack_top - 0x100)
        uc.reg_write(A.UC_ARM_REG_LR, RET | 1)
        blocks, mems = array("Q"), array("Q")
        self.pc_add, self.mem_add = blocks.append, mems.append
        try:
            uc.emu_start(self.syms[name] | 1, RET, timeout=STEP_TIMEOUT_US)
        except UcError as e:
            pc = uc.reg_read(A.UC_ARM_REG_PC)
            raise RuntimeError(f"{name}: emulation stopped at {pc:#x}: {e}") from e
        if uc.reg_read(A.UC_ARM_REG_PC) != RET:
            raise RuntimeError(f"{name}: did not return within {STEP_TIMEOUT_US // 1_000_000} s")
        return (uc.reg_read(A.UC_ARM_REG_R0), bytes(uc.mem_read(OUT_ADDR, OUT_LEN)), blocks, mems)


def digest(a):
    return hashlib.sha256(a.tobytes()).hexdigest()[:16]


def first_diff(a, b):
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return i


# ---------------------------------------------------------------- inputs

def flip_hex(s, i):
    """`s` with hex character `i` changed within its class (digit or letter): the block
    is public, and its hex decoding may branch on the class."""
    c = {"0": "1", "A": "B", "a": "b"}.get(s[i], "0" if s[i].isdigit() else "A")
    return s[:i] + c + s[i + 1:]


def flip(b, i):
    """`b` with bit 4 of byte `i` changed (not bit 0: that is a DES key's parity bit)."""
    return b[:i] + bytes([b[i] ^ 0x10]) + b[i + 1:]


def keyed(n, seed):
    """`n` key-like bytes, different for every seed."""
    return hashlib.sha256(b"ct-data/%d/%d" % (seed, n)).digest()[:n] if n <= 32 else (
        keyed(32, seed) + keyed(n - 32, seed + 1000))


def kw_groups(m):
    """AES-KW / AES-KWP unwrap through `kw_unwrap_ct` / `kwp_unwrap_ct` (no branch on the
    verdict): valid and refused inputs belong in one group."""
    groups = {"kw": {}, "kwp": {}}
    kek = bytes(range(16))  # keyfort_testkit::wrap_trace::TRACE_KEK (RFC 3394 4.1)
    i = 0
    while True:
        r, out, _, _ = m.call("kf_ct_prep_trace_input", [struct.pack("<I", i)])
        if r == 0:
            break
        valid, kwp, n = out[0], out[1], out[2]
        group = out[35:51].rstrip(b"\0").decode()
        name = out[51:91].rstrip(b"\0").decode()
        groups["kwp" if kwp else "kw"].setdefault(group, []).append(
            (name, [kek, out[3:3 + n]], valid))
        i += 1
    # Several KEKs (AES-256), a 32-byte key, and the same wrapped keys with one ciphertext
    # byte changed at different positions.
    for alg, klen in (("kw", 32), ("kwp", 20)):
        g = groups[alg].setdefault(f"{alg} AES-256 KEKs, key {klen}", [])
        for s in range(3):
            kek2 = keyed(32, s)
            n, out, _, _ = m.call("kf_ct_prep_wrap",
                                  [kek2, keyed(klen, 10 + s), struct.pack("<I", alg == "kwp")])
            w = out[:n]
            g.append((f"KEK {s} valid", [kek2, w], 1))
            g.append((f"KEK {s} byte {(7 * s) % n} flipped", [kek2, flip(w, (7 * s) % n)], 0))
    return groups


def tr31_groups(m, vectors_dir, version):
    with open(os.path.join(vectors_dir, "tr31", "tr31_vectors.json")) as f:
        vs = json.load(f)["vectors"]
    ok, seen = {}, set()
    for v in vs:
        kb = v["key_block"]
        if v["expect"] != "ok" or kb[0] != version or len(kb) > 120 or (v["kbpk"], kb) in seen:
            continue
        seen.add((v["kbpk"], kb))
        ok.setdefault((len(v["kbpk"]) // 2, len(kb)), []).append((v["id"], bytes.fromhex(v["kbpk"]), kb))
    # The key block is public (it travels in the clear) and its hex decoding branches on
    # each character's class, so a group holds one block with different secrets (the KBPK)
    # or blocks that differ only within a character class (forged MACs). Accepted blocks
    # under different KBPKs always differ in public ciphertext: each is traced once, for
    # its verdict and for the report, and compared with nothing.
    groups = {}
    for (kl, bl), items in sorted(ok.items(), key=lambda kv: -len(kv[1])):
        i, k, b = items[0]
        groups[f"KBPK {kl}, block {bl}: accepted ({i})"] = [(i, [k, b.encode()], 1)]
        mac_len = 16 if version == "B" else 32  # hex characters
        groups[f"KBPK {kl}, block {bl}: refused, tag wrong at one char"] = [
            ("MAC char 0 changed", [k, flip_hex(b, bl - mac_len).encode()], 0),
            ("MAC last char changed", [k, flip_hex(b, bl - 1).encode()], 0),
            ("key data char changed", [k, flip_hex(b, bl - mac_len - 1).encode()], 0),
        ]
        groups[f"KBPK {kl}, block {bl}: refused, other KBPKs"] = [
            (f"KBPK byte {j} changed", [flip(k, j), b.encode()], 0) for j in (0, kl // 2, kl - 1)]
        break  # one length per version: the step's time budget
    return groups


def mac_groups(m, prep, klen, tlen, dlen):
    """Verification of tags made by `prep`: accepted under several keys; refused with the
    tag wrong at its first, middle and last byte, and under another key."""
    keys = [keyed(klen, s) for s in range(3)]
    data = keyed(dlen, 99)
    tags = [m.call(prep, [k, data])[1][:tlen] for k in keys]
    acc = [(f"key {s}", [keys[s], data, tags[s]], 1) for s in range(3)]
    ref = [(f"tag byte {i} wrong", [keys[0], data, flip(tags[0], i)], 0)
           for i in (0, tlen // 2, tlen - 1)]
    ref.append(("other key", [keys[1], data, tags[0]], 0))
    return {f"key {klen}, data {dlen}, tag {tlen}: accepted": acc,
            f"key {klen}, data {dlen}, tag {tlen}: refused": ref}


def block_groups(key_lens, blen):
    return {f"key {kl}": [(f"key+block {s}", [keyed(kl, s), keyed(blen, 50 + s)], 1) for s in range(3)]
            for kl in key_lens}


def operations(m, vectors_dir):
    """(row name, entry, groups, kind); kind 'op' must be equal, 'control' must differ."""
    kw = kw_groups(m)
    ikid = bytes.fromhex("1234567890123456")
    return [
        ("AES-KW unwrap (kw_unwrap_ct)", "kf_ct_kw_unwrap", kw["kw"], "op"),
        ("AES-KWP unwrap (kwp_unwrap_ct)", "kf_ct_kwp_unwrap", kw["kwp"], "op"),
        ("TR-31 B unwrap", "kf_ct_tr31_unwrap", tr31_groups(m, vectors_dir, "B"), "op"),
        ("TR-31 D unwrap", "kf_ct_tr31_unwrap", tr31_groups(m, vectors_dir, "D"), "op"),
        ("TR-31 E unwrap", "kf_ct_tr31_unwrap", tr31_groups(m, vectors_dir, "E"), "op"),
        ("AES-CMAC verify", "kf_ct_aes_cmac_verify", mac_groups(m, "kf_ct_prep_aes_cmac", 16, 16, 40), "op"),
        ("TDES-CMAC verify", "kf_ct_tdes_cmac_verify", mac_groups(m, "kf_ct_prep_tdes_cmac", 16, 8, 24), "op"),
        ("store tag check (HMAC-SHA256, tag_eq)", "kf_ct_store_tag_check",
         mac_groups(m, "kf_ct_prep_store_tag", 32, 16, 48), "op"),
        ("AES DUKPT derivation", "kf_ct_aes_dukpt",
         {f"BDK {kl}, counter 5": [(f"BDK {s}", [keyed(kl, s), ikid, struct.pack("<I", 5)], 1)
                                    for s in range(3)] for kl in (16, 32)}, "op"),
        ("TDES DUKPT derivation", "kf_ct_tdes_dukpt",
         {"BDK 16, counter 5": [(f"BDK {s}", [keyed(16, s), bytes.fromhex("FFFF9876543210E00005")], 1)
                                for s in range(3)]}, "op"),
        ("AES DUKPT terminal: load, 4 transactions, masked registers", "kf_ct_aes_terminal",
         {f"initial key {kl}, 4 transactions": [(f"IK {s}", [keyed(kl, s), ikid, struct.pack("<I", 4)], 1)
                                               for s in range(3)] for kl in (16, 32)}, "op"),
        ("TDES DUKPT terminal: load, 4 transactions, masked registers", "kf_ct_tdes_terminal",
         {"BDK 16, 4 transactions": [(f"BDK {s}", [keyed(16, s), bytes.fromhex("FFFF9876543210E00000"),
                                                   struct.pack("<I", 4)], 1)
                                     for s in range(3)]}, "op"),
        ("keyfort-aes block + key schedule (block::Aes)", "kf_ct_aes_block", block_groups((16, 32), 16), "op"),
        ("TDES block (block::Tdes)", "kf_ct_tdes_block", block_groups((16, 24), 8), "op"),
        ("DES block (block::Des)", "kf_ct_des_block", block_groups((8,), 8), "op"),
        ("CONTROL table S-box AES-128", "kf_ct_control_table_aes", block_groups((16,), 16), "control"),
        ("CONTROL early-exit CMAC compare", "kf_ct_control_early_exit_cmac",
         mac_groups(m, "kf_ct_prep_aes_cmac", 16, 16, 40), "control"),
    ]


# ---------------------------------------------------------------- the check

def run_core(machine_name, elf, vectors_dir, verbose, only):
    core, model = CORES[machine_name]
    m = Machine(elf, model, True)
    twin = Machine(elf, model, False)  # the reference run, and the inputs' preparation
    tag = f"[{machine_name} {core}]"
    failures, leaky, caught, outputs, lines, unreliable = [], [], [], {}, [], []
    say = lines.append
    t0 = time.time()
    for row, entry, groups, kind in operations(twin, vectors_dir):
        if only and only not in row:
            continue
        t_row = time.time()
        n_traces, n_shown, n_compared, instr_eq, data_eq, n_blocks, n_mems = 0, 0, 0, True, True, [], []
        notes = []
        for gname, inputs in groups.items():
            ref = None
            for name, args, expect in inputs:
                n_traces += 1
                r, out, twin_blocks, _ = twin.call(entry, args)
                outputs[(entry, gname, name)] = out
                if r != expect:
                    failures.append(f"{tag} {row} / {gname} / {name}: returned {r}, expected {expect}")
                try:
                    r2, out2, pcs, mems = m.call(entry, args)
                except RuntimeError as e:
                    r2, out2, pcs, mems = None, None, None, str(e)
                if (r2, out2, pcs) != (r, out, twin_blocks):
                    unreliable.append(f"{tag} {row} / {gname} / {name}: traced run diverged "
                                      f"(returned {r2}, reference {r})")
                    continue
                n_shown += 1
                n_blocks.append(len(pcs))
                n_mems.append(len(mems))
                if ref is None:
                    ref = (name, pcs, mems)
                    continue
                n_compared += 1
                if pcs != ref[1]:
                    instr_eq = False
                    if verbose:
                        i = first_diff(pcs, ref[1])
                        at = lambda t: f"{t[i] >> 8:#x}" if i < len(t) else "end"
                        notes.append(f"{gname}: '{name}' vs '{ref[0]}': instructions differ at "
                                     f"block #{i} ({at(pcs)} vs {at(ref[1])})")
                if mems != ref[2]:
                    data_eq = False
                    if verbose:
                        i = first_diff(mems, ref[2])
                        at = lambda t: f"{t[i] >> 8:#x}" if i < len(t) else "end"
                        notes.append(f"{gname}: '{name}' vs '{ref[0]}': data differ at access "
                                     f"#{i} ({at(mems)} vs {at(ref[2])})")
        equal = instr_eq and data_eq
        yn = lambda b: "yes" if b else "NO"
        if not n_compared and not STRICT[machine_name]:
            verdict = "NOT SHOWN (emulator mis-executes every call with hooks)"
            unreliable.append(f"{tag} {row}: {verdict}")
        elif kind == "control":
            verdict = "caught" if not equal else "NOT CAUGHT (check broken)"
            (caught if not equal else failures).append(f"{tag} control {row}: {verdict}")
        elif row in KNOWN_LEAKY_UNTIL_CT_DES:
            if equal:
                verdict = "now EQUAL: remove it from KNOWN_LEAKY_UNTIL_CT_DES"
                failures.append(f"{tag} {row}: {verdict}")
            else:
                verdict = "DIFFERS: known leaky until the constant-time DES lands (des crate tables)"
                leaky.append(f"{tag} {row}")
        else:
            verdict = "PASS" if equal and n_compared else "FAIL"
            if not equal:
                failures.append(f"{tag} {row}: traces differ")
            elif not n_compared:
                failures.append(f"{tag} {row}: no two traces of a group to compare")
        if not n_blocks:
            n_blocks, n_mems = [0], [0]
        shown = f"{n_shown:>2}" if n_shown == n_traces else f"{n_shown:>2} of {n_traces} (rest UNRELIABLE)"
        say(f"{tag} {row:<46} traces {shown}, {n_compared:>2} compared  blocks {min(n_blocks):>6}..{max(n_blocks):<6} "
            f"loads+stores {min(n_mems):>6}..{max(n_mems):<6} instr addrs equal: {yn(instr_eq):<3} "
            f"data addrs equal: {yn(data_eq):<3} {verdict}  ({time.time() - t_row:.0f} s)")
        for n in notes:
            say(f"{tag}     {n}")
    # The traced code really computed: the table AES (a correct AES) agrees with keyfort's
    # AES-128 on the same inputs, and every block call decrypted back to its input.
    for s in range(3):
        a = outputs.get(("kf_ct_aes_block", "key 16", f"key+block {s}"))
        b = outputs.get(("kf_ct_control_table_aes", "key 16", f"key+block {s}"))
        if a and b and a[:16] != b[:16]:
            failures.append(f"{tag} keyfort AES and the table AES disagree on input {s}")
    for entry, bl in (("kf_ct_aes_block", 16), ("kf_ct_tdes_block", 8), ("kf_ct_des_block", 8)):
        for (e, g, n), out in outputs.items():
            if e == entry and out[bl:2 * bl] != keyed(bl, 50 + int(n[-1])):
                failures.append(f"{tag} {entry} {g} {n}: decrypt(encrypt(block)) != block")
    for u in unreliable:
        say(f"{tag} UNRELIABLE (unicorn memory-hook bug; this call shows nothing): {u}")
    say(f"{tag} done in {time.time() - t0:.1f} s")
    return lines, failures, leaky, caught, unreliable


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--elf", action="append", required=True, help="MACHINE=PATH")
    ap.add_argument("--vectors", required=True, help="the shared vectors directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="say where traces part")
    ap.add_argument("--only", help="run only the rows whose name contains this (a partial run)")
    a = ap.parse_args()
    failures, leaky, caught, unreliable = [], [], [], []
    specs = [spec.split("=", 1) for spec in a.elf]
    print(f"ct-data: tracing {', '.join(m for m, _ in specs)} in parallel", flush=True)
    # One process per core (the cores are independent; the machine has two CPUs).
    with ProcessPoolExecutor(max_workers=len(specs)) as pool:
        jobs = [pool.submit(run_core, m, p, a.vectors, a.verbose, a.only) for m, p in specs]
        for job in jobs:
            lines, f, l, c, u = job.result()
            print("\n".join(lines), flush=True)
            unreliable += u
            failures += f
            leaky += l
            caught += c
    print(f"ct-data: controls caught {len(caught)}, known leaky (des crate) {len(leaky)}, "
          f"calls unicorn mis-executed with hooks (shown nothing) {len(unreliable)}, "
          f"failures {len(failures)}")
    for f in failures:
        print(f"ct-data: FAIL {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
