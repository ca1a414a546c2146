"""A small interpreter for the Thumb-2 subset gen_asm.py emits (data processing with
shifted or immediate operands, ldr/str/ldm/stm, push/pop, bl/b/bx, cmp/tst/subs with
it/conditional execution), to check whole generated routines against the Python
reference on random inputs (used for the key expansion). Memory is a bytearray;
instruction counts are returned, so the generator can report them."""
import re

M32 = 0xFFFFFFFF


def _ror(x, k):
    k %= 32
    return ((x >> k) | (x << (32 - k))) & M32 if k else x


def _shift(x, kind, k):
    if kind == "ror":
        return _ror(x, k)
    if kind == "lsr":
        return x >> k
    if kind == "lsl":
        return (x << k) & M32
    raise ValueError(kind)


COND = {
    "eq": lambda f: f["z"],
    "ne": lambda f: not f["z"],
    "cs": lambda f: f["c"],
    "cc": lambda f: not f["c"],
}


class Machine:
    def __init__(self, lines, equs, mem_size=1 << 16):
        self.code = []
        self.labels = {}
        for line in lines:
            s = line.split("//")[0].strip()
            if not s:
                continue
            if s.endswith(":"):
                self.labels[s[:-1]] = len(self.code)
                continue
            if s.startswith("."):
                continue
            self.code.append(s)
        self.equs = equs
        self.mem = bytearray(mem_size)
        self.regs = {"r%d" % i: 0 for i in range(13)}
        self.regs.update(sp=mem_size - 16, lr=0)
        self.flags = {"z": False, "c": False}

    def ld(self, a):
        return int.from_bytes(self.mem[a : a + 4], "little")

    def st(self, a, v):
        self.mem[a : a + 4] = (v & M32).to_bytes(4, "little")

    def imm(self, s):
        s = s.strip().lstrip("#")
        for k, v in self.equs.items():
            s = s.replace(k, str(v))
        return eval(s, {}, {}) & M32  # constant expressions of the generator only

    def op2(self, args):
        if args[0].startswith("#"):
            return self.imm(",".join(args))
        v = self.regs[args[0]]
        if len(args) > 1:
            kind, k = args[1].split()
            v = _shift(v, kind, self.imm(k))
        return v

    def call(self, label, max_steps=200000):
        """Runs from `label` until it returns to the caller; returns instructions executed."""
        RET = M32
        self.regs["lr"] = RET
        pc = self.labels[label]
        n = 0
        it = []
        while pc != RET:
            n += 1
            assert n < max_steps
            ins = self.code[pc]
            pc += 1
            mnem, _, rest = ins.partition(" ")
            if it:
                cond = it.pop(0)
                if not COND[cond](self.flags):
                    continue
                assert mnem.endswith(cond), ins
                mnem = mnem[: -len(cond)]
            mnem = mnem.replace(".w", "")
            if mnem in ("it", "itt", "ite"):
                c = rest.strip()
                inv = {"eq": "ne", "ne": "eq", "cs": "cc", "cc": "cs"}[c]
                it = [c] + [c if x == "t" else inv for x in mnem[2:]]
                continue
            m = re.match(r"(\w+),?\s*\[(\w+)(?:,\s*#([-\w()+* ]+))?\](!?)(?:,\s*#(-?\w+))?$", rest.strip())
            if mnem in ("ldr", "str") and m:
                rt, rn, off, wb, post = m.groups()
                a = self.regs[rn] + (self.imm(off) if off else 0)
                a &= M32
                if off and off.strip().startswith("-"):
                    a = (self.regs[rn] - self.imm(off.strip()[1:])) & M32
                addr = self.regs[rn] if post else a
                if mnem == "ldr":
                    v = self.ld(addr)
                    if rt == "pc":
                        pc = v
                    else:
                        self.regs[rt] = v
                else:
                    self.st(addr, self.regs[rt])
                if post:
                    self.regs[rn] = (self.regs[rn] + int(post)) & M32
                elif wb:
                    self.regs[rn] = a
                continue
            if mnem in ("push", "pop", "ldmia", "stmia", "ldm", "stm", "ldmdb"):
                if mnem in ("push", "pop"):
                    base, wb = "sp", True
                    regs = rest
                else:
                    base, regs = rest.split(",", 1)
                    base = base.strip()
                    wb = base.endswith("!")
                    base = base.rstrip("!")
                regs = [r.strip() for r in regs.strip().strip("{}").split(",")]
                if mnem == "push":
                    a = self.regs["sp"] - 4 * len(regs)
                    for i, r in enumerate(regs):
                        self.st(a + 4 * i, self.regs[r])
                    self.regs["sp"] = a
                    continue
                if mnem == "ldmdb":
                    a = self.regs[base] - 4 * len(regs)
                    for i, r in enumerate(regs):
                        self.regs[r] = self.ld(a + 4 * i)
                    if wb:
                        self.regs[base] = a
                    continue
                a = self.regs[base]
                for i, r in enumerate(regs):
                    if mnem.startswith("st"):
                        self.st(a + 4 * i, self.regs[r])
                    elif r == "pc":
                        pc = self.ld(a + 4 * i)
                    else:
                        self.regs[r] = self.ld(a + 4 * i)
                if wb:
                    self.regs[base] = a + 4 * len(regs)
                continue
            args = [x.strip() for x in rest.split(",")]
            if mnem == "bl":
                self.regs["lr"] = pc
                pc = self.labels[args[0]]
            elif mnem == "b":
                pc = self.labels[args[0]]
            elif mnem in ("beq", "bne"):
                if COND[mnem[1:]](self.flags):
                    pc = self.labels[args[0]]
            elif mnem == "bx":
                pc = self.regs[args[0]]
            elif mnem in ("cmp", "subs", "tst"):
                if mnem == "subs":
                    a, b = self.regs[args[1]], self.op2(args[2:])
                    r = (a - b) & M32
                    self.regs[args[0]] = r
                    self.flags = {"z": r == 0, "c": a >= b}
                elif mnem == "cmp":
                    a, b = self.regs[args[0]], self.op2(args[1:])
                    self.flags = {"z": a == b, "c": a >= b}
                else:
                    r = self.regs[args[0]] & self.op2(args[1:])
                    self.flags = {"z": r == 0, "c": self.flags["c"]}
            elif mnem in ("mov", "mvn"):
                v = self.op2(args[1:])
                self.regs[args[0]] = v if mnem == "mov" else ~v & M32
            elif mnem == "movw":
                self.regs[args[0]] = self.imm(args[1])
            elif mnem == "movt":
                self.regs[args[0]] = (self.regs[args[0]] & 0xFFFF) | (self.imm(args[1]) << 16)
            elif mnem in ("lsl", "lsr", "ror"):
                self.regs[args[0]] = _shift(self.regs[args[1]], mnem, self.imm(args[2]))
            else:
                a = self.regs[args[1]]
                b = self.op2(args[2:])
                f = {
                    "eor": lambda: a ^ b,
                    "and": lambda: a & b,
                    "orr": lambda: a | b,
                    "bic": lambda: a & ~b & M32,
                    "add": lambda: (a + b) & M32,
                    "sub": lambda: (a - b) & M32,
                }[mnem]
                self.regs[args[0]] = f()
        return n
