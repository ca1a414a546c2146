"""Python reference of the whole cipher (checks algo.py against FIPS-197 Appendix C)."""
import struct
import algo
import sbox as sb
from ir import Val

B = Val()


def cols(block):
    return list(struct.unpack("<4I", block))


def sub_word(w):
    return sum(sb.SBOX[(w >> (8 * i)) & 0xFF] << (8 * i) for i in range(4))


def expand(key):
    nk = len(key) // 4
    nr = nk + 6
    w = cols(key) if nk == 4 else list(struct.unpack("<%dI" % nk, key))
    rcon = 1
    for i in range(nk, 4 * (nr + 1)):
        t = w[i - 1]
        if i % nk == 0:
            t = ((t >> 8) | (t << 24)) & 0xFFFFFFFF
            t = sub_word(t) ^ rcon
            rcon = sb.gmul(rcon, 2)
        elif nk > 6 and i % nk == 4:
            t = sub_word(t)
        w.append(w[i - nk] ^ t)
    rks = []
    for r in range(nr + 1):
        c = w[4 * r : 4 * r + 4]
        m = (-r) % 4
        c = [sum(c[(cc + m * i) % 4] & (0xFF << (8 * i)) for i in range(4)) for cc in range(4)]
        s = algo.bitslice(B, c + c)
        if r >= 1:
            s = [x ^ 0xFFFFFFFF if j in (0, 1, 5, 6) else x for j, x in enumerate(s)]
        rks.append(s)
    return nr, rks


def encrypt2(key, b0, b1):
    nr, rk = expand(key)
    s = algo.bitslice(B, cols(b0) + cols(b1))
    s = [a ^ k for a, k in zip(s, rk[0])]
    for r in range(1, nr):
        s = algo.mix_columns(B, algo.sbox(B, s), r)
        s = [a ^ k for a, k in zip(s, rk[r])]
    s = [a ^ k for a, k in zip(algo.sbox(B, s), rk[nr])]
    x = algo.unbitslice(B, s)
    if nr % 4 == 2:
        x = algo.sr2_cols(B, x[:4]) + algo.sr2_cols(B, x[4:])
    return struct.pack("<4I", *x[:4]), struct.pack("<4I", *x[4:])


def decrypt2(key, b0, b1):
    nr, rk = expand(key)
    x = cols(b0) + cols(b1)
    if nr % 4 == 2:
        x = algo.sr2_cols(B, x[:4]) + algo.sr2_cols(B, x[4:])
    s = algo.bitslice(B, x)
    s = algo.inv_sbox(B, [a ^ k for a, k in zip(s, rk[nr])])
    for r in range(nr - 1, 0, -1):
        s = [a ^ k for a, k in zip(s, rk[r])]
        s = algo.inv_sbox(B, algo.inv_mix_columns(B, s, r))
    s = [a ^ k for a, k in zip(s, rk[0])]
    x = algo.unbitslice(B, s)
    return struct.pack("<4I", *x[:4]), struct.pack("<4I", *x[4:])


if __name__ == "__main__":
    pt = bytes.fromhex("00112233445566778899aabbccddeeff")
    for klen, ct in [(16, "69c4e0d86a7b0430d8cdb78070b4c55a"), (24, "dda97ca4864cdfe06eaf70a0ec0d7191"), (32, "8ea2b7ca516745bfeafc49904b496089")]:
        key = bytes(range(klen))
        c0, c1 = encrypt2(key, pt, bytes(16))
        assert c0.hex() == ct, (klen, c0.hex())
        p0, p1 = decrypt2(key, c0, c1)
        assert p0 == pt and p1 == bytes(16), klen
    print("model ok")
