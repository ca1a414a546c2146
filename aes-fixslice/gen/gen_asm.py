"""Writes ../src/armv7m.s: fixsliced AES-128/192/256 two-block encryption and decryption
in ARMv7-M Thumb-2, from the same algorithm description as the checks (algo.py).

Frame (word offsets from sp, both functions):
  0: block 0 pointer   1: block 1 pointer   2: round-key pointer
  3: end pointer (enc: rk + 32*nr; dec: rk + 32)   4: S-box return address
  5: nr   6..: spill slots of the generated blocks
The state lives in r0-r7 (slice j in rj) between blocks."""
import algo
import invsbox
import keysched
from ir import Rec
import sys

from regalloc import POOL, Frame, allocate, anneal, check_block, schedule

TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 300
ANNEAL = int(sys.argv[2]) if len(sys.argv) > 2 else 40000

FRAME = Frame(6)
STATE = ["r%d" % i for i in range(8)]
COUNT = {}


def block(name, fn, pool=POOL, trials=TRIALS, nin=8, anneal_iters=0):
    """Records fn(B, inputs) -> outputs, picks the best of `trials` random schedules
    (fixed seeds: reproducible), allocates, checks by simulation, returns code."""
    B = Rec()
    ins = ["in%d" % i for i in range(nin)]
    outs = fn(B, ins)
    inputs = list(zip(ins, STATE))
    outputs = list(zip(outs, STATE))
    best = None
    for seed in range(trials):
        ops = B.ops if seed == 0 else schedule(B.ops, seed, 0.5 + 0.5 * (seed % 2))
        scratch = Frame(FRAME.first)
        code = allocate(ops, inputs, outputs, pool, scratch, (0, 4, 8, 16)[(seed >> 1) % 4])
        if best is None or len(code) < len(best[1]):
            best = (ops, code, scratch.max)
    ops, code, fmax = best
    if anneal_iters:
        # then improve the best schedule by simulated annealing (fixed seed)
        cb = [(len(allocate(ops, inputs, outputs, pool, Frame(FRAME.first), b)), b) for b in (0, 4, 8, 16)]
        bonus = min(cb)[1]
        _, ops = anneal(ops, inputs, outputs, pool, ops, bonus, anneal_iters, 1)
        scratch = Frame(FRAME.first)
        code = allocate(ops, inputs, outputs, pool, scratch, bonus)
        fmax = scratch.max
    FRAME.max = max(FRAME.max, fmax)
    B.ops = ops
    check_block(B.ops, inputs, outputs, code)
    COUNT[name] = (len(B.ops), len(code))
    return ["    " + c for c in code]


def ark_up():
    return [
        "    ldr r8, [sp, #8]",
        "    ldmia r8!, {r9, r10, r11, r12}",
        "    eor r0, r0, r9",
        "    eor r1, r1, r10",
        "    eor r2, r2, r11",
        "    eor r3, r3, r12",
        "    ldmia r8!, {r9, r10, r11, r12}",
        "    eor r4, r4, r9",
        "    eor r5, r5, r10",
        "    eor r6, r6, r11",
        "    eor r7, r7, r12",
        "    str r8, [sp, #8]",
    ]


def ark_down():
    return [
        "    ldr r8, [sp, #8]",
        "    ldmdb r8!, {r9, r10, r11, r12}",
        "    eor r4, r4, r9",
        "    eor r5, r5, r10",
        "    eor r6, r6, r11",
        "    eor r7, r7, r12",
        "    ldmdb r8!, {r9, r10, r11, r12}",
        "    eor r0, r0, r9",
        "    eor r1, r1, r10",
        "    eor r2, r2, r11",
        "    eor r3, r3, r12",
        "    str r8, [sp, #8]",
    ]


def sr2_both(label):
    """ShiftRows^2 on both blocks' column words (r0-r3, r4-r7) if nr % 4 == 2."""
    c = ["    ldr r12, [sp, #20]", "    tst r12, #2", "    beq %s" % label]
    for a, b in [(0, 2), (1, 3), (4, 6), (5, 7)]:
        c += [
            "    eor r12, r%d, r%d" % (a, b),
            "    and r12, r12, #0xff00ff00",
            "    eor r%d, r%d, r12" % (a, a),
            "    eor r%d, r%d, r12" % (b, b),
        ]
    return c + ["%s:" % label]


def load_blocks():
    c = ["    ldr r%d, [r3, #%d]" % (4 + i, 4 * i) for i in range(4)]
    c += ["    ldr r0, [r2, #0]", "    ldr r1, [r2, #4]", "    ldr r3, [r2, #12]", "    ldr r2, [r2, #8]"]
    return c


def store_blocks():
    c = ["    ldr r8, [sp, #0]"] + ["    str r%d, [r8, #%d]" % (i, 4 * i) for i in range(4)]
    c += ["    ldr r8, [sp, #4]"] + ["    str r%d, [r8, #%d]" % (4 + i, 4 * i) for i in range(4)]
    return c


def prologue(name):
    return [
        "    .section .text.%s,\"ax\",%%progbits" % name,
        "    .global %s" % name,
        "    .type %s,%%function" % name,
        "    .p2align 2",
        "    .thumb_func",
        "%s:" % name,
        "    push {r4, r5, r6, r7, r8, r9, r10, r11, lr}",
        "    sub sp, sp, #FRAME_BYTES",
        "    str r2, [sp, #0]",
        "    str r3, [sp, #4]",
        "    str r1, [sp, #20]",
    ]


def epilogue(name):
    return [
        "    add sp, sp, #FRAME_BYTES",
        "    pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}",
        "    .size %s, . - %s" % (name, name),
    ]


def check_final(label):
    return ["    ldr r9, [sp, #12]", "    cmp r8, r9", "    beq %s" % label]


def main():
    no_r8 = [r for r in POOL if r != "r8"]
    bits = block("bitslice", lambda B, x: algo.bitslice(B, x), no_r8)
    unbits = block("unbitslice", lambda B, s: algo.unbitslice(B, s))
    sbox = block("sbox", lambda B, s: algo.sbox(B, s), anneal_iters=ANNEAL)
    mc = [block("mc%d" % r, lambda B, s, r=r: algo.mix_columns(B, s, r)) for r in range(4)]
    imc = [block("imc%d" % r, lambda B, s, r=r: algo.inv_mix_columns(B, s, r)) for r in range(4)]
    isbox = block("inv_sbox", lambda B, s: invsbox.inv_sbox(B, s), anneal_iters=ANNEAL)

    def inv_sbox():
        return ["    bl keyfort_aes_inv_sbox"]

    out = []
    # the S-box, a local leaf routine sharing its caller's frame
    out += [
        "    .section .text.keyfort_aes_sbox,\"ax\",%progbits",
        "    .type keyfort_aes_sbox,%function",
        "    .p2align 2",
        "    .thumb_func",
        "keyfort_aes_sbox:",
        "    str lr, [sp, #16]",
    ]
    out += sbox
    out += ["    ldr pc, [sp, #16]", "    .size keyfort_aes_sbox, . - keyfort_aes_sbox"]
    out += [
        "    .section .text.keyfort_aes_inv_sbox,\"ax\",%progbits",
        "    .type keyfort_aes_inv_sbox,%function",
        "    .p2align 2",
        "    .thumb_func",
        "keyfort_aes_inv_sbox:",
        "    str lr, [sp, #16]",
    ]
    out += isbox
    out += ["    ldr pc, [sp, #16]", "    .size keyfort_aes_inv_sbox, . - keyfort_aes_inv_sbox"]

    # encryption: r0 = round keys, r1 = nr, r2 = block 0, r3 = block 1
    n = "keyfort_aes_encrypt2"
    out += prologue(n)
    out += ["    add r12, r0, r1, lsl #5", "    str r12, [sp, #12]", "    mov r8, r0"]
    out += load_blocks() + bits
    out += ark_up()[1:]  # r8 already holds the pointer
    out += [".Lenc_loop:"]
    for r in (1, 2, 3, 0):
        out += ["    bl keyfort_aes_sbox"] + mc[r] + ark_up()
        if r in (1, 3):
            out += check_final(".Lenc_final")
    out += ["    b .Lenc_loop", ".Lenc_final:", "    bl keyfort_aes_sbox"] + ark_up()
    out += unbits + sr2_both(".Lenc_sr2") + store_blocks() + epilogue(n)

    # decryption
    n = "keyfort_aes_decrypt2"
    out += prologue(n)
    out += [
        "    add r12, r0, #32",
        "    str r12, [sp, #12]",
        "    add r8, r0, r1, lsl #5",
        "    add r8, r8, #32",
    ]
    out += load_blocks() + sr2_both(".Ldec_sr2") + bits
    out += ark_down()[1:] + inv_sbox()
    out += ["    ldr r12, [sp, #20]", "    tst r12, #2", "    beq .Ldec_entry3", ".Ldec_loop:"]
    for r in (1, 0, 3, 2):
        if r == 3:
            out += [".Ldec_entry3:"]
        out += ark_down() + imc[r] + inv_sbox()
        if r == 1:
            out += ["    ldr r8, [sp, #8]"] + check_final(".Ldec_final")
    out += ["    b .Ldec_loop", ".Ldec_final:"] + ark_down() + unbits + store_blocks() + epilogue(n)

    # key schedule helpers: r0 = w, r1 = nr, r2 = rk (slice_keys); r0 = word (subword)
    ks = [
        block("slice_key%d" % m, lambda B, c, m=m: algo.bitslice(B, algo.sr_cols(B, c, m) * 2), nin=4)
        for m in range(4)
    ]
    n = "keyfort_aes_slice_keys"
    out += prologue(n)[:-3]
    out += [
        "    str r2, [sp, #0]",
        "    str r1, [sp, #8]",
        "    mov r8, r0",
        "    ldmia r8!, {r0, r1, r2, r3}",
        "    str r8, [sp, #4]",
    ]
    out += ks[0]
    out += ["    ldr r8, [sp, #0]", "    stmia r8!, {r0, r1, r2, r3, r4, r5, r6, r7}", "    str r8, [sp, #0]"]
    out += [".Lks_loop:"]
    # key r is stored as SR^-r(K_r) = SR^m(K_r), m = -r mod 4: r = 1, 2, 3, 4 -> m = 3, 2, 1, 0
    for m in (3, 2, 1, 0):
        out += ["    ldr r8, [sp, #4]", "    ldmia r8!, {r0, r1, r2, r3}", "    str r8, [sp, #4]"]
        out += ks[m]
        out += ["    mvn r%d, r%d" % (j, j) for j in (0, 1, 5, 6)]
        out += [
            "    ldr r8, [sp, #0]",
            "    stmia r8!, {r0, r1, r2, r3, r4, r5, r6, r7}",
            "    str r8, [sp, #0]",
            "    ldr r9, [sp, #8]",
            "    subs r9, r9, #1",
            "    str r9, [sp, #8]",
            "    beq .Lks_done",
        ]
    out += ["    b .Lks_loop", ".Lks_done:"]
    out += epilogue(n)
    # AES-128 / AES-256: the expansion on the bitsliced key (keysched.py)
    no_lr = [r for r in POOL if r != "lr"]
    pack = block("ks_pack", lambda B, c: algo.bitslice(B, list(c) * 2), no_lr, nin=4)
    ks_lines = keysched.emit_pack(pack) + keysched.emit_combine(True) + keysched.emit_combine(False)
    ks_lines += keysched.emit_store() + keysched.emit_expand() + keysched.emit_wipe()
    out += ks_lines
    # AES-192: the word-wise expansion, then slicing (keyfort_aes_expand's arguments):
    # r0 = key bytes, r1 = nk (6), r2 = round keys out.
    # Frame: the common frame, then w[60] (240 bytes), then j and nk.
    W = "FRAME_BYTES"
    n = "keyfort_aes_expand_words"
    out += [
        "    .section .text.%s,\"ax\",%%progbits" % n,
        "    .type %s,%%function" % n,
        "    .p2align 2",
        "    .thumb_func",
        "%s:" % n,
        "    push {r4, r5, r6, r7, r8, r9, r10, r11, lr}",
        "    sub sp, sp, #(FRAME_BYTES + 248)",
        "    str r2, [sp, #0]",
        "    str r1, [sp, #(%s + 244)]" % W,
        # copy the key words into w
        "    add r8, sp, #%s" % W,
        "    mov r9, r1",
        ".Lx_copy:",
        "    ldr r3, [r0], #4",
        "    str r3, [r8], #4",
        "    subs r9, r9, #1",
        "    bne .Lx_copy",
        # r8 = &w[nk] (write pointer); end = &w[4 * nk + 28]
        "    add r9, sp, #%s" % W,
        "    add r9, r9, r1, lsl #4",
        "    add r9, r9, #112",
        "    str r9, [sp, #12]",
        "    mov r9, #1",
        "    str r9, [sp, #8]",
        ".Lx_outer:",
        "    str r8, [sp, #4]",
        "    ldr r0, [r8, #-4]",
        "    ror r0, r0, #8",
        "    bl .Lx_subword",
        "    ldr r9, [sp, #8]",
        "    eor r0, r0, r9",
        # rcon = xtime(rcon) (public)
        "    lsl r10, r9, #1",
        "    tst r9, #0x80",
        "    it ne",
        "    eorne r10, r10, #0x1b",
        "    and r10, r10, #0xff",
        "    str r10, [sp, #8]",
        "    ldr r8, [sp, #4]",
        "    ldr r1, [sp, #(%s + 244)]" % W,
        "    sub r2, r8, r1, lsl #2",
        "    ldr r2, [r2]",
        "    eor r0, r0, r2",
        "    str r0, [r8], #4",
        "    mov r9, #1",
        ".Lx_inner:",
        "    ldr r12, [sp, #12]",
        "    cmp r8, r12",
        "    beq .Lx_done",
        "    ldr r1, [sp, #(%s + 244)]" % W,
        "    cmp r9, r1",
        "    beq .Lx_outer",
        "    ldr r0, [r8, #-4]",
        "    cmp r1, #8",
        "    bne .Lx_plain",
        "    cmp r9, #4",
        "    bne .Lx_plain",
        "    str r8, [sp, #4]",
        "    str r9, [sp, #(%s + 240)]" % W,
        "    bl .Lx_subword",
        "    ldr r8, [sp, #4]",
        "    ldr r9, [sp, #(%s + 240)]" % W,
        "    ldr r1, [sp, #(%s + 244)]" % W,
        ".Lx_plain:",
        "    sub r2, r8, r1, lsl #2",
        "    ldr r2, [r2]",
        "    eor r0, r0, r2",
        "    str r0, [r8], #4",
        "    add r9, r9, #1",
        "    b .Lx_inner",
        # subword on r0 -> r0 (clobbers r0-r12, lr is saved in the S-box slot by it)
        ".Lx_subword:",
        "    str lr, [sp, #20]",
        "    mov r8, r0",
        "    and r0, r8, #0x01010101",
    ]
    for j in range(1, 8):
        out += ["    lsr r%d, r8, #%d" % (j, j), "    and r%d, r%d, #0x01010101" % (j, j)]
    out += ["    bl keyfort_aes_sbox", "    mov r8, #0x63636363", "    eor r8, r8, r0"]
    out += ["    eor r8, r8, r%d, lsl #%d" % (j, j) for j in range(1, 8)]
    out += [
        "    mov r0, r8",
        "    ldr pc, [sp, #20]",
        ".Lx_done:",
        # slice the round keys: keyfort_aes_slice_keys(w, nr = nk + 6, rk)
        "    add r0, sp, #%s" % W,
        "    ldr r1, [sp, #(%s + 244)]" % W,
        "    add r1, r1, #6",
        "    ldr r2, [sp, #0]",
        "    bl keyfort_aes_slice_keys",
        # wipe w
        "    add r8, sp, #%s" % W,
        "    mov r0, #0",
        "    mov r1, #0",
        "    mov r2, #0",
        "    mov r3, #0",
        "    mov r4, #0",
        "    mov r5, #0",
        "    mov r6, #0",
        "    mov r7, #0",
    ]
    out += ["    stmia r8!, {r0, r1, r2, r3, r4, r5, r6, r7}"] * 7
    out += ["    stmia r8!, {r0, r1, r2, r3}"]
    out += [
        "    add sp, sp, #(FRAME_BYTES + 248)",
        "    pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}",
        "    .size %s, . - %s" % (n, n),
    ]

    frame_words = FRAME.max + (FRAME.max & 1)
    hdr = [
        "// @generated by gen/gen_asm.py (from gen/algo.py, gen/sbox.py); do not edit.",
        "// Fixsliced AES, two blocks per call, ARMv7-M Thumb-2. See src/armv7m.rs for the",
        "// calling contract. Instructions per block (IR ops -> emitted): "
        + ", ".join("%s %d->%d" % (k, a, b) for k, (a, b) in COUNT.items()),
        "    .syntax unified",
        "    .thumb",
        "    .equ FRAME_BYTES, %d" % (4 * frame_words),
    ]
    # the whole key expansion, run on a Thumb-2 interpreter against model.py
    counts = keysched.check_asm(out, 4 * frame_words)
    hdr.insert(
        3,
        "// Key expansion, instructions executed (keysched.check_asm): "
        + ", ".join("AES-%d %d" % (8 * k, n) for k, n in sorted(counts.items())),
    )
    open("../src/armv7m.s", "w").write("\n".join(hdr + out) + "\n")
    for k, v in COUNT.items():
        print(k, v)
    print("frame words", frame_words)


if __name__ == "__main__":
    main()
