"""A tiny IR for straight-line 32-bit code: the same functions compute on Python ints
(to check the algorithm against FIPS-197) or record ops for the Thumb-2 emitter."""

M32 = 0xFFFFFFFF


def _ror(x, k):
    k %= 32
    return ((x >> k) | (x << (32 - k))) & M32 if k else x


def _shift(x, sh):
    if sh is None:
        return x
    kind, k = sh
    if kind == "ror":
        return _ror(x, k)
    if kind == "lsr":
        return x >> k
    if kind == "lsl":
        return (x << k) & M32
    raise ValueError(kind)


class Val:
    """Python-int backend."""

    def xor(self, a, b, sh=None):
        return a ^ _shift(b, sh)

    def and_(self, a, b, sh=None):
        return a & _shift(b, sh)

    def or_(self, a, b, sh=None):
        return a | _shift(b, sh)

    def bic(self, a, b, sh=None):
        return a & ~_shift(b, sh) & M32

    def andi(self, a, imm):
        return a & imm

    def mvn(self, a):
        return ~a & M32

    def mov(self, a, sh=None):
        return _shift(a, sh)


class Rec:
    """Recording backend: values are variable names; ops are appended to self.ops as
    (op, dst, a, b, sh) with b an int for andi and None for mvn/mov."""

    def __init__(self):
        self.ops = []
        self.n = 0

    def new(self):
        self.n += 1
        return "v%d" % self.n

    def _op(self, op, a, b=None, sh=None):
        d = self.new()
        self.ops.append((op, d, a, b, sh))
        return d

    def xor(self, a, b, sh=None):
        return self._op("eor", a, b, sh)

    def and_(self, a, b, sh=None):
        return self._op("and", a, b, sh)

    def or_(self, a, b, sh=None):
        return self._op("orr", a, b, sh)

    def bic(self, a, b, sh=None):
        return self._op("bic", a, b, sh)

    def andi(self, a, imm):
        return self._op("andi", a, imm)

    def mvn(self, a):
        return self._op("mvn", a)

    def mov(self, a, sh=None):
        return self._op("mov", a, None, sh)


def run_ops(ops, env):
    """Evaluates recorded ops on Python ints (env: name -> int), for checking."""
    B = Val()
    for op, d, a, b, sh in ops:
        if op == "andi":
            env[d] = env[a] & b
        elif op == "mvn":
            env[d] = ~env[a] & M32
        elif op == "mov":
            env[d] = _shift(env[a], sh)
        else:
            f = {"eor": B.xor, "and": B.and_, "orr": B.or_, "bic": B.bic}[op]
            env[d] = f(env[a], env[b], sh)
    return env
