"""The fixsliced AES algorithm (both blocks of the 32-bit representation), written once
over an IR backend `B` (see ir.py). Bit p = 8*row + 2*col + slot of slice j holds bit j
(LSB first) of byte (row, col) of block `slot`. The state after round r is held as
SR^-r(state) (full fixslicing); round key r is stored as SR^-r(K_r), and for r >= 1 XORed
with 0x63 in every byte (the S-box constant, folded out of the S-box)."""
import sbox as sb


def sbox(B, s):
    """Forward S-box without its constant on 8 slices s[0..7] (LSB first)."""
    v = {"U%d" % i: s[7 - i] for i in range(8)}
    for dst, op, a, b in sb.gates():
        v[dst] = B.xor(v[a], v[b]) if op == "^" else B.and_(v[a], v[b])
    return [v["S%d" % (7 - j)] for j in range(8)]


def ainv(B, s):
    """Linear part of the inverse affine map, slice-wise: out_i = s_{i+2}^s_{i+5}^s_{i+7}."""
    # out_i = s[i+2] ^ s[i+5] ^ s[i+7]; share p_k = s[k] ^ s[k+3] (then out_i = p[i+2] ^ s[i+7])
    # -> 8 + 8 = 16 XORs.
    return [B.xor(B.xor(s[(i + 2) % 8], s[(i + 5) % 8]), s[(i + 7) % 8]) for i in range(8)]


def inv_sbox(B, s):
    return ainv(B, sbox(B, ainv(B, s)))


def byte_mask(dc):
    """Bits of each byte whose column c satisfies c + dc < 4."""
    m = (1 << (2 * (4 - dc))) - 1
    return m * 0x01010101


def rol8(m, k):
    k %= 8
    b = m & 0xFF
    b = ((b << k) | (b >> (8 - k))) & 0xFF if k else b
    return b * 0x01010101


def rot_rc(B, x, dr, dc):
    """y(row i, col c) = x(row i+dr, col c+dc). Returns (value, ror) so that the caller
    applies the final rotation as a shifted operand: y = ror(value, k)."""
    dc %= 4
    if dc == 0:
        return x, (8 * dr) % 32
    d_lo = (8 * (dr - 1) + 2 * dc) % 32
    m = rol8(byte_mask(dc), d_lo)
    t = B.xor(x, x, ("ror", 8))
    t = B.andi(t, m)
    z = B.xor(x, t)
    return z, d_lo


def _sh(k):
    return ("ror", k) if k % 32 else None


def xtime(B, t):
    """Slice-wise multiplication by x in GF(2^8)."""
    return [
        t[7],
        B.xor(t[0], t[7]),
        t[1],
        B.xor(t[2], t[7]),
        B.xor(t[3], t[7]),
        t[4],
        t[5],
        t[6],
    ]


def mix_columns(B, a, r):
    """MC_r = SR^-r . MixColumns . SR^r on the 8 slices."""
    r %= 4
    z = []
    t = []
    for j in range(8):
        zj, k1 = rot_rc(B, a[j], 1, r)
        z.append((zj, k1))
        t.append(B.xor(a[j], zj, _sh(k1)))
    x = xtime(B, t)
    out = []
    for j in range(8):
        wj, k2 = rot_rc(B, t[j], 2, 2 * r)
        zj, k1 = z[j]
        o = B.xor(x[j], zj, _sh(k1))
        o = B.xor(o, wj, _sh(k2))
        out.append(o)
    return out


def times4(B, t):
    """Slice-wise multiplication by x^2."""
    t76 = B.xor(t[7], t[6])
    return [
        t[6],
        t76,
        B.xor(t[0], t[7]),
        B.xor(t[1], t[6]),
        B.xor(t[2], t76),
        B.xor(t[3], t[7]),
        t[4],
        t[5],
    ]


def inv_mix_columns(B, a, r):
    """InvMC_r: InvMixColumns = MixColumns . (a ^ 4 (a ^ R2 a))."""
    r %= 4
    t = []
    for j in range(8):
        wj, k2 = rot_rc(B, a[j], 2, 2 * r)
        t.append(B.xor(a[j], wj, _sh(k2)))
    f = times4(B, t)
    u = [B.xor(a[j], f[j]) for j in range(8)]
    return mix_columns(B, u, r)


# Transposition: 8 words x[w], w = slot*4 + col (little-endian column words, row i at
# bits 8i) <-> 8 slices. Three delta swaps exchange index bits (word bit a, bit-position
# bit b): (2,0), (0,1), (1,2).
STAGES = [(2, 0), (0, 1), (1, 2)]
MASKS = {0: 0x55555555, 1: 0x33333333, 2: 0x0F0F0F0F}


def slice_word(j):
    """Which transposed word holds slice j."""
    return ((j & 1) << 2) | ((j >> 1) & 1) | (((j >> 2) & 1) << 1)


def _stage(B, x, a, b):
    x = list(x)
    sh = 1 << b
    for w in range(8):
        if w & (1 << a):
            continue
        w2 = w | (1 << a)
        t = B.xor(x[w2], x[w], ("lsr", sh))
        t = B.andi(t, MASKS[b])
        x[w2] = B.xor(x[w2], t)
        x[w] = B.xor(x[w], t, ("lsl", sh))
    return x


def bitslice(B, x):
    for a, b in STAGES:
        x = _stage(B, x, a, b)
    return [x[slice_word(j)] for j in range(8)]


def unbitslice(B, s):
    x = [None] * 8
    for j in range(8):
        x[slice_word(j)] = s[j]
    for a, b in reversed(STAGES):
        x = _stage(B, x, a, b)
    return x


def sr2_cols(B, c):
    """ShiftRows^2 on one block's 4 column words (rows 1 and 3 move by two columns)."""
    c = list(c)
    for i in (0, 1):
        t = B.xor(c[i], c[i + 2])
        t = B.andi(t, 0xFF00FF00)
        c[i] = B.xor(c[i], t)
        c[i + 2] = B.xor(c[i + 2], t)
    return c


def sr_cols(B, c, m):
    """Column c, row i taken from column c + m*i (one block's column words): ShiftRows^m."""
    m %= 4
    if m == 0:
        return list(c)
    out = []
    for col in range(4):
        v = B.andi(c[col], 0x000000FF)
        for i in (1, 2, 3):
            v = B.or_(v, B.andi(c[(col + m * i) % 4], 0xFF << (8 * i)))
        out.append(v)
    return out
