"""Register allocation of a straight-line IR block (ir.Rec ops) onto Thumb-2 registers:
furthest-next-use eviction (Belady) with spills to word slots of the stack frame, then a
parallel move that leaves the outputs in the registers the caller asked for."""
import random

from ir import _shift, M32

POOL = ["r%d" % i for i in range(13)] + ["lr"]


class Frame:
    """Spill slots: word offsets from sp starting at `first`."""

    def __init__(self, first):
        self.first = first
        self.max = first

    def offset(self, slot):
        return 4 * (self.first + slot)


def allocate(ops, inputs, outputs, pool, frame, clean_bonus=0):
    """inputs/outputs: lists of (var, reg). Returns a list of instruction strings."""
    END = len(ops)
    uses = {}
    for i, (op, d, a, b, sh) in enumerate(ops):
        uses.setdefault(a, []).append(i)
        if isinstance(b, str):
            uses.setdefault(b, []).append(i)
    for v, _ in outputs:
        uses.setdefault(v, []).append(END)
    ptr = {v: 0 for v in uses}

    def next_use(v, i):
        u = uses.get(v, [])
        k = ptr.get(v, 0)
        while k < len(u) and u[k] < i:
            k += 1
        ptr[v] = k
        return u[k] if k < len(u) else None

    reg_of, var_in, slot_of = {}, {}, {}
    free_slots = []
    nslots = [0]
    code = []
    for v, r in inputs:
        reg_of[v] = r
        var_in[r] = v

    def new_slot():
        if free_slots:
            return free_slots.pop()
        nslots[0] += 1
        frame.max = max(frame.max, frame.first + nslots[0])
        return nslots[0] - 1

    targets_of = {v: r for v, r in outputs}
    target_regs = set(targets_of.values())

    def get_reg(i, protect, want=None):
        if want is not None and want not in var_in and want in pool:
            return want
        free = [r for r in pool if r not in var_in]
        for r in free:
            if r not in target_regs:
                return r
        if free:
            return free[0]
        best, bestd = None, -1
        for r in pool:
            v = var_in[r]
            if v in protect:
                continue
            nu = next_use(v, i)
            dist = 1 << 30 if nu is None else nu
            if v in slot_of:
                dist += clean_bonus
            if dist > bestd:
                best, bestd = r, dist
        v = var_in.pop(best)
        del reg_of[v]
        if v not in slot_of:
            s = new_slot()
            slot_of[v] = s
            code.append("str %s, [sp, #%d]" % (best, frame.offset(s)))
        return best

    def release(v):
        r = reg_of.pop(v, None)
        if r is not None:
            del var_in[r]
        s = slot_of.pop(v, None)
        if s is not None:
            free_slots.append(s)

    # inputs that are never used
    for v, r in inputs:
        if next_use(v, 0) is None:
            release(v)

    for i, (op, d, a, b, sh) in enumerate(ops):
        srcs = [a] + ([b] if isinstance(b, str) else [])
        for v in srcs:
            if v not in reg_of:
                r = get_reg(i, set(srcs))
                code.append("ldr %s, [sp, #%d]" % (r, frame.offset(slot_of[v])))
                reg_of[v] = r
                var_in[r] = v
        ra = reg_of[a]
        rb = reg_of[b] if isinstance(b, str) else None
        for v in set(srcs):
            if next_use(v, i + 1) is None:
                release(v)
        rd = get_reg(i + 1, set(), targets_of.get(d))
        shs = ""
        if sh is not None:
            shs = ", %s #%d" % sh
        if op == "andi":
            code.append("and %s, %s, #0x%08x" % (rd, ra, b))
        elif op == "mvn":
            code.append("mvn %s, %s" % (rd, ra))
        elif op == "mov":
            if sh is None:
                code.append("mov %s, %s" % (rd, ra))
            else:
                code.append("%s %s, %s, #%d" % (sh[0], rd, ra, sh[1]))
        else:
            code.append("%s %s, %s, %s%s" % (op, rd, ra, rb, shs))
        reg_of[d] = rd
        var_in[rd] = d
        if next_use(d, i + 1) is None:
            release(d)

    # parallel move to the output registers
    targets = target_regs
    pending = [(v, r) for v, r in outputs if reg_of.get(v) != r]
    regmoves = [(v, r) for v, r in pending if v in reg_of]
    loads = [(v, r) for v, r in pending if v not in reg_of]
    while regmoves:
        progress = False
        for k, (v, r) in enumerate(regmoves):
            # target must not hold a value still to be moved
            occ = var_in.get(r)
            if occ is None or (occ not in [x for x, _ in regmoves] and occ not in [x for x, _ in loads]):
                src = reg_of[v]
                code.append("mov %s, %s" % (r, src))
                del var_in[src]
                reg_of[v] = r
                var_in[r] = v
                regmoves.pop(k)
                progress = True
                break
        if not progress:
            # a cycle: move one value to a free register outside the targets
            v, r = regmoves[0]
            tmp = next(x for x in pool if x not in var_in and x not in targets)
            src = reg_of[v]
            code.append("mov %s, %s" % (tmp, src))
            del var_in[src]
            reg_of[v] = tmp
            var_in[tmp] = v
    for v, r in loads:
        assert r not in var_in, (v, r)
        code.append("ldr %s, [sp, #%d]" % (r, frame.offset(slot_of[v])))
        reg_of[v] = r
        var_in[r] = v
    return code


def simulate(code, regs, mem):
    """Runs allocated code (the subset allocate emits) on Python ints."""
    for line in code:
        mnem, rest = line.split(" ", 1)
        args = [x.strip() for x in rest.replace("[", "").replace("]", "").split(",")]
        if mnem == "ldr":
            regs[args[0]] = mem[int(args[2][1:])]
        elif mnem == "str":
            mem[int(args[2][1:])] = regs[args[0]]
        elif mnem == "mov":
            regs[args[0]] = regs[args[1]]
        elif mnem == "mvn":
            regs[args[0]] = ~regs[args[1]] & M32
        elif mnem in ("ror", "lsr", "lsl"):
            regs[args[0]] = _shift(regs[args[1]], (mnem, int(args[2][1:])))
        elif mnem == "and" and args[2].startswith("#"):
            regs[args[0]] = regs[args[1]] & int(args[2][1:], 16)
        else:
            b = regs[args[2]]
            if len(args) == 4:
                k, n = args[3].split()
                b = _shift(b, (k, int(n[1:])))
            a = regs[args[1]]
            regs[args[0]] = {"eor": a ^ b, "and": a & b, "orr": a | b, "bic": a & ~b & M32}[mnem]
    return regs


def check_block(ops, inputs, outputs, code):
    from ir import run_ops

    for _ in range(20):
        env = {v: random.getrandbits(32) for v, _ in inputs}
        regs = {r: env[v] for v, r in inputs}
        want = run_ops(ops, dict(env))
        got = simulate(code, regs, {})
        for v, r in outputs:
            assert got[r] == want[v], (v, r)


def schedule(ops, seed, bias):
    """A random topological order of `ops`, biased (probability `bias`) towards ops that
    end the life of an operand."""
    rnd = random.Random(seed)
    defined = set()
    producers = {op[1] for op in ops}
    remaining_uses = {}
    for op in ops:
        for v in (op[2], op[3]):
            if isinstance(v, str):
                remaining_uses[v] = remaining_uses.get(v, 0) + 1
    pending = list(ops)
    out = []

    def ready(op):
        return all(not isinstance(v, str) or v not in producers or v in defined for v in (op[2], op[3]))

    while pending:
        rdy = [k for k, op in enumerate(pending) if ready(op)]
        if rnd.random() < bias:
            def score(k):
                op = pending[k]
                srcs = {v for v in (op[2], op[3]) if isinstance(v, str)}
                return sum(1 for v in srcs if remaining_uses[v] == (op[2], op[3]).count(v)) 
            best = max(score(k) for k in rdy)
            rdy = [k for k in rdy if score(k) == best]
            k = rdy[0] if rnd.random() < 0.5 else rnd.choice(rdy)
        else:
            k = rnd.choice(rdy)
        op = pending.pop(k)
        for v in (op[2], op[3]):
            if isinstance(v, str):
                remaining_uses[v] -= 1
        defined.add(op[1])
        out.append(op)
    return out


def anneal(ops, inputs, outputs, pool, start, clean_bonus, iters, seed):
    """Simulated annealing over schedules: moves one op a few places (keeping every
    operand defined before use); returns (emitted length, ops)."""
    rnd = random.Random(seed)
    first = {v for v, _ in inputs}

    def cost(o):
        return len(allocate(o, inputs, outputs, pool, Frame(6), clean_bonus))

    def valid(o):
        defined = set(first)
        for op in o:
            for v in (op[2], op[3]):
                if isinstance(v, str) and v not in defined:
                    return False
            defined.add(op[1])
        return True

    cur, c = list(start), cost(start)
    best = (c, cur)
    temp = 2.0
    for _ in range(iters):
        i = rnd.randrange(len(cur) - 1)
        j = i + rnd.choice([-3, -2, -1, 1, 2, 3])
        if not 0 <= j < len(cur):
            continue
        new = cur[:i] + cur[i + 1 :]
        new.insert(j, cur[i])
        if not valid(new):
            continue
        nc = cost(new)
        if nc <= c or rnd.random() < 2.718281828 ** (-(nc - c) / temp):
            cur, c = new, nc
            if c < best[0]:
                best = (c, cur)
        temp = max(0.05, temp * 0.9995)
    return best
