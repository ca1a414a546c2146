"""The AES-128 / AES-256 key expansion computed on the bitsliced key (one S-box evaluation
of the whole previous round key per round, as in Adomnicai and Peyrin's fixsliced key
schedule; our own derivation and code), and its Thumb-2 emitter for gen_asm.py.

Round key r is first computed in the natural order ("K_r": slices of the 16 key bytes,
both slots equal, no ShiftRows), then stored as algo.py wants it: SR^-r(K_r), with the
S-box constant (NOT of slices 0, 1, 5, 6) for r >= 1.

One round (K_r from K_{r-1} and the base K_{r-nk/4}): S = sbox(K_{r-1}) (no constant);
for each slice j, t_j = S_j rotated so that byte (row i+1, column 3) lands on (row i,
column 0) (RotWord; AES-256's odd rounds: (row i, column 3) -> (row i, column 0)), masked
to column 0, complemented on the S-box constant's slices; then K_r = prefix(base ^ t)
where prefix XORs columns 0..c into column c (FIPS-197 w[i] = w[i-nk] ^ w[i-1]). Rcon goes
into S before the rotation (row 1, column 3 = bits 14 and 15)."""
import algo
import sbox as sb
import struct
from ir import Val

NOTS = (0, 1, 5, 6)
COL0 = 0x03030303
# ShiftRows^-r of one slice, r odd: delta swap by 2 bits (mask SR_B) then by 4 bits (mask
# SR_A[r % 4]); r = 2: the 4-bit swap with SR_A[2] alone. Found by search over the swaps
# that move whole 2-bit columns, checked against algo.sr_cols by check() below.
SR_B = 0x33003300
SR_A = {1: 0x0C0F0300, 2: 0x0F000F00, 3: 0x030F0C00}


def _ror(x, k):
    return ((x >> k) | (x << (32 - k))) & 0xFFFFFFFF


def _swap(x, sh, m):
    t = (x ^ (x >> sh)) & m
    return x ^ t ^ (t << sh)


def prefix(u):
    u ^= (u & 0x3F3F3F3F) << 2
    return u ^ ((u & 0x0F0F0F0F) << 4)


def combine(s, base, rot):
    out = []
    for j in range(8):
        t = _ror(s[j], 14 if rot else 6) & COL0
        if j in NOTS:
            t ^= COL0
        out.append(prefix(base[j] ^ t))
    return out


def stored(k, r):
    out = []
    for j, x in enumerate(k):
        if r % 4 in (1, 3):
            x = _swap(x, 2, SR_B)
        if r % 4:
            x = _swap(x, 4, SR_A[r % 4])
        if r >= 1 and j in NOTS:
            x ^= 0xFFFFFFFF
        out.append(x)
    return out


def rcon_bits(nk, r):
    """The slices Rcon touches in round r (none in AES-256's odd rounds)."""
    if nk == 8 and r % 2:
        return []
    i = r if nk == 4 else r // 2
    rc = 1
    for _ in range(i - 1):
        rc = sb.gmul(rc, 2)
    return [j for j in range(8) if rc >> j & 1]


def expand(key):
    """The stored round keys, computed as the assembly does (checked against model.py)."""
    B = Val()
    nk = len(key) // 4
    nr = nk + 6
    w = list(struct.unpack("<%dI" % nk, key))
    nat = [algo.bitslice(B, w[0:4] * 2)]
    if nk == 8:
        nat.append(algo.bitslice(B, w[4:8] * 2))
    for r in range(len(nat), nr + 1):
        s = algo.sbox(B, nat[r - 1])
        for j in rcon_bits(nk, r):
            s[j] ^= 0xC000
        nat.append(combine(s, nat[r - nk // 4], nk == 4 or r % 2 == 0))
    return nr, [stored(k, r) for r, k in enumerate(nat)]


def check():
    import model
    import random

    rnd = random.Random(5)
    for klen in (16, 32):
        for _ in range(8):
            key = bytes(rnd.getrandbits(8) for _ in range(klen))
            assert expand(key) == model.expand(key), klen


# ---------------------------------------------------------------------------------------
# Thumb-2. Frame of keyfort_aes_expand (word offsets from sp): the common frame of the
# block routines (slot 4: the S-box's return address; slots from 6: its spills), then
# NAT[0], NAT[1]: the natural keys K_r at r % 2 (8 words each).
#   slot 0: round-key write pointer   slot 1: return address of the subroutines
#   slot 2: key pointer
NAT = ["FRAME_BYTES", "(FRAME_BYTES + 32)"]
REGS8 = "{r0, r1, r2, r3, r4, r5, r6, r7}"


def section(name, glob=False):
    c = ['    .section .text.%s,"ax",%%progbits' % name]
    if glob:
        c.append("    .global %s" % name)
    return c + ["    .type %s,%%function" % name, "    .p2align 2", "    .thumb_func", "%s:" % name]


def emit_combine(rot):
    """r0-r7 = S (Rcon in), r8 = base keys -> r0-r7 = K_r. Clobbers r8-r12, lr."""
    n = "keyfort_aes_ks_combine%s" % ("_rot" if rot else "")
    c = section(n) + ["    str lr, [sp, #4]", "    mov r9, #0x%08x" % COL0]
    for half in (0, 1):
        c.append("    ldmia r8!, {r10, r11, r12, lr}")
        for k, b in enumerate(("r10", "r11", "r12", "lr")):
            j = 4 * half + k
            op = "bic" if j in NOTS else "and"
            c += [
                "    %s r%d, r9, r%d, ror #%d" % (op, j, j, 14 if rot else 6),
                "    eor r%d, r%d, %s" % (j, j, b),
                "    and %s, r%d, #0x3f3f3f3f" % (b, j),
                "    eor r%d, r%d, %s, lsl #2" % (j, j, b),
                "    and %s, r%d, #0x0f0f0f0f" % (b, j),
                "    eor r%d, r%d, %s, lsl #4" % (j, j, b),
            ]
    c += ["    ldr pc, [sp, #4]", "    .size %s, . - %s" % (n, n)]
    return c


def emit_store():
    """Stores r0-r7 = K_r as round key r at the write pointer (slot 0), advancing it.
    Entries: _sr_odd (r odd, r10 = SR_A[r % 4]), _sr2 (r10 = SR_A[2]), _not (r % 4 == 0).
    Clobbers r0-r7, r11; keeps r8, r9, r12."""
    n = "keyfort_aes_ks_store"
    c = section(n) + ["%s_sr_odd:" % n]
    for j in range(8):
        c += [
            "    eor r11, r%d, r%d, lsr #2" % (j, j),
            "    and r11, r11, #0x%08x" % SR_B,
            "    eor r%d, r%d, r11" % (j, j),
            "    eor r%d, r%d, r11, lsl #2" % (j, j),
        ]
    c.append("%s_sr2:" % n)
    for j in range(8):
        c += [
            "    eor r11, r%d, r%d, lsr #4" % (j, j),
            "    and r11, r11, r10",
            "    eor r%d, r%d, r11" % (j, j),
            "    eor r%d, r%d, r11, lsl #4" % (j, j),
        ]
    c.append("%s_not:" % n)
    c += ["    mvn r%d, r%d" % (j, j) for j in NOTS]
    c += [
        "    ldr r11, [sp, #0]",
        "    stmia r11!, %s" % REGS8,
        "    str r11, [sp, #0]",
        "    bx lr",
        "    .size %s, . - %s" % (n, n),
    ]
    return c


def emit_pack(pack_code):
    """r0-r3 = four column words -> r0-r7 = their slices, both slots (a subroutine)."""
    n = "keyfort_aes_ks_pack"
    return section(n) + pack_code + ["    bx lr", "    .size %s, . - %s" % (n, n)]


def _load_key(off):
    # r0 = key pointer (any alignment: single ldr)
    return ["    ldr r%d, [r0, #%d]" % (i, off + 4 * i) for i in (3, 2, 1)] + ["    ldr r0, [r0, #%d]" % off]


def _store_call(r):
    """Call the store routine for round key r (K_r in r0-r7, r9 = its NAT copy)."""
    m = r % 4
    if m in (1, 3):
        a = SR_A[m]
        return [
            "    movw r10, #0x%04x" % (a & 0xFFFF),
            "    movt r10, #0x%04x" % (a >> 16),
            "    bl keyfort_aes_ks_store_sr_odd",
        ]
    if m == 2:
        return ["    mov r10, #0x%08x" % SR_A[2], "    bl keyfort_aes_ks_store_sr2"]
    if r == 0:
        return ["    ldr r11, [sp, #0]", "    stmia r11!, %s" % REGS8, "    str r11, [sp, #0]"]
    return ["    bl keyfort_aes_ks_store_not"]


def emit_schedule(nk):
    """The unrolled driver for one key size (after the prologue; key pointer in slot 2)."""
    nr = nk + 6
    c = ["    ldr r0, [sp, #8]"] + _load_key(0) + ["    bl keyfort_aes_ks_pack"]
    c += ["    add r9, sp, #%s" % NAT[0], "    stm r9, %s" % REGS8] + _store_call(0)
    first = 1
    if nk == 8:
        c += ["    ldr r0, [sp, #8]"] + _load_key(16) + ["    bl keyfort_aes_ks_pack"]
        c += ["    add r9, sp, #%s" % NAT[1], "    stm r9, %s" % REGS8] + _store_call(1)
        c += ["    ldm r9, %s" % REGS8]
        first = 2
    for r in range(first, nr + 1):
        rot = nk == 4 or r % 2 == 0
        base = NAT[(r - nk // 4) % 2]
        c += ["    bl keyfort_aes_sbox"]
        c += ["    eor r%d, r%d, #0xc000" % (j, j) for j in rcon_bits(nk, r)]
        c += ["    add r8, sp, #%s" % base]
        c += ["    bl keyfort_aes_ks_combine%s" % ("_rot" if rot else "")]
        c += ["    add r9, sp, #%s" % NAT[r % 2], "    stm r9, %s" % REGS8]
        c += _store_call(r)
        if r < nr:
            c += ["    ldm r9, %s" % REGS8]
    return c


def emit_expand():
    """keyfort_aes_expand(key r0, nk r1, rk r2): AES-128 / AES-256 here; AES-192 goes to
    the word-wise expansion keyfort_aes_expand_words (same arguments)."""
    n = "keyfort_aes_expand"
    c = section(n, glob=True) + [
        "    cmp r1, #6",
        "    bne .Lks_fixsliced",
        "    b keyfort_aes_expand_words",
        ".Lks_fixsliced:",
        "    push {r4, r5, r6, r7, r8, r9, r10, r11, lr}",
        "    sub sp, sp, #(FRAME_BYTES + 64)",
        "    str r2, [sp, #0]",
        "    str r0, [sp, #8]",
        "    cmp r1, #8",
        "    beq .Lks_256",
    ]
    c += emit_schedule(4) + ["    b .Lks_wipe", ".Lks_256:"] + emit_schedule(8)
    c += [".Lks_wipe:"] + ["    mov r%d, #0" % j for j in range(8)]
    c += ["    add r8, sp, #%s" % NAT[0], "    stmia r8!, %s" % REGS8, "    stmia r8!, %s" % REGS8]
    c += [
        "    add sp, sp, #(FRAME_BYTES + 64)",
        "    pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}",
        "    .size %s, . - %s" % (n, n),
    ]
    return c


def emit_wipe():
    """keyfort_aes_wipe(rk r0): zeroes the 120 round-key words (the drop of an Aes)."""
    n = "keyfort_aes_wipe"
    zero = ["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r12"]
    c = section(n, glob=True) + ["    push {r4, r5, r6, r7}"]
    c += ["    mov %s, #0" % r for r in zero]
    c += ["    stmia r0!, {%s}" % ", ".join(zero)] * 15
    c += ["    pop {r4, r5, r6, r7}", "    bx lr", "    .size %s, . - %s" % (n, n)]
    return c


def simulate(lines, frame_bytes, key):
    """Runs the emitted keyfort_aes_expand on `key`; returns (round keys, instructions)."""
    from thumbsim import Machine

    m = Machine(lines, {"FRAME_BYTES": frame_bytes})
    m.mem[0x100 : 0x100 + len(key)] = key
    m.regs.update(r0=0x100, r1=len(key) // 4, r2=0x400)
    n = m.call("keyfort_aes_expand")
    nr = len(key) // 4 + 6
    words = [m.ld(0x400 + 4 * i) for i in range(8 * (nr + 1))]
    # and the wipe of the drop: all 120 words zero, nothing around them touched
    m.st(0x400 + 480, 0x5A5A5A5A)
    m.regs["r0"] = 0x400
    m.call("keyfort_aes_wipe")
    assert [m.ld(0x400 + 4 * i) for i in range(121)] == [0] * 120 + [0x5A5A5A5A]
    return [words[8 * r : 8 * r + 8] for r in range(nr + 1)], n


def check_asm(lines, frame_bytes):
    """The emitted key expansion against model.py on random keys of every size."""
    import model
    import random

    rnd = random.Random(7)
    counts = {}
    for klen in (16, 24, 32):
        for _ in range(3):
            key = bytes(rnd.getrandbits(8) for _ in range(klen))
            got, n = simulate(lines, frame_bytes, key)
            assert got == model.expand(key)[1], klen
            counts[klen] = n
    return counts


if __name__ == "__main__":
    check()
    print("key schedule algorithm matches model.py")
