"""Inverse S-box for the assembly: the forward circuit's nonlinear middle, with its two
linear layers composed with the inverse affine map (ainv) on both sides and re-synthesized
by Paar's greedy common-subexpression algorithm. Computes the same function as
algo.inv_sbox (ainv . S' . ainv), checked below."""
import random

import algo
import sbox as sb
from ir import Val


def lin_of(expr_fn, n_in):
    """Evaluates a linear function given as Python over GF(2) vectors -> masks."""
    return expr_fn([1 << i for i in range(n_in)])


def paar(B, inputs, targets):
    """inputs: list of signal values; targets: list of masks over inputs. Returns values."""
    sig = list(inputs)
    exprs = [set(i for i in range(len(inputs)) if (m >> i) & 1) for m in targets]
    while True:
        cnt = {}
        for e in exprs:
            if len(e) < 2:
                continue
            el = sorted(e)
            for x in range(len(el)):
                for y in range(x + 1, len(el)):
                    cnt[(el[x], el[y])] = cnt.get((el[x], el[y]), 0) + 1
        if not cnt:
            break
        best = max(cnt.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))[0]
        a, b = best
        sig.append(B.xor(sig[a], sig[b]))
        n = len(sig) - 1
        for e in exprs:
            if a in e and b in e:
                e.discard(a)
                e.discard(b)
                e.add(n)
    out = []
    for e in exprs:
        assert len(e) == 1, "zero target"
        out.append(sig[next(iter(e))])
    return out


class Lin:
    """Backend computing masks (linear functions)."""

    def xor(self, a, b, sh=None):
        assert sh is None
        return a ^ b


def top_targets():
    """Masks over y0..y7 of U7 and T1..T27 after ainv."""
    L = Lin()
    u = algo.ainv(L, [1 << i for i in range(8)])  # slice j of ainv(y)
    v = {"U%d" % i: u[7 - i] for i in range(8)}
    for dst, op, a, b in sb.gates():
        if dst.startswith("T"):
            v[dst] = v[a] ^ v[b]
    used = set()
    for dst, op, a, b in sb.gates():
        if dst.startswith("M"):
            used |= {a, b}
    names = ["U7"] + ["T%d" % k for k in range(1, 28) if "T%d" % k in used]
    return names, [v[n] for n in names]


def bottom_targets():
    """Masks over M46..M63 of ainv(S') slices 0..7."""
    L = Lin()
    v = {"M%d" % (46 + k): 1 << k for k in range(18)}
    for dst, op, a, b in sb.gates():
        if dst[0] in "LS":
            v[dst] = v[a] ^ v[b]
    s = [v["S%d" % (7 - j)] for j in range(8)]
    return algo.ainv(L, s)


def inv_sbox(B, s):
    names, tmasks = top_targets()
    tv = paar(B, s, tmasks)
    v = dict(zip(names, tv))
    for dst, op, a, b in sb.gates():
        if dst.startswith("M"):
            v[dst] = B.xor(v[a], v[b]) if op == "^" else B.and_(v[a], v[b])
    ms = [v["M%d" % (46 + k)] for k in range(18)]
    return paar(B, ms, bottom_targets())


def check():
    V = Val()
    for _ in range(200):
        s = [random.getrandbits(32) for _ in range(8)]
        assert inv_sbox(V, s) == algo.inv_sbox(V, s)


if __name__ == "__main__":
    check()
    from ir import Rec

    R = Rec()
    inv_sbox(R, ["i%d" % i for i in range(8)])
    print("inverse S-box ops:", len(R.ops), "(forward: %d, ainv wrap: %d)" % (len(sb.gates()), len(sb.gates()) + 32))
