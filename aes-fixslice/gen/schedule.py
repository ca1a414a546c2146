"""Reorders a straight-line gate list for a core with few registers (Thumb-1: eight low
registers): greedy list scheduling that always issues the ready gate adding the fewest
live values (operands whose last use it is are freed; state words are loaded when first
needed and stored as soon as their final value exists). The same gates, the same results
(gen_rust.py checks each schedule against the unscheduled list)."""


def schedule(loads, ops, stores):
    """`loads`: {var: slot} read from the state; `ops`: [(dst, a, sym, b)];
    `stores`: {slot: var}. Returns a list of ("load", var, slot) / ("op", dst, a, sym, b) /
    ("store", slot, var) steps."""
    uses = {}
    for d, a, s, b in ops:
        for x in (a, b):
            uses[x] = uses.get(x, 0) + 1
    out_of = {}
    for slot, v in stores.items():
        out_of.setdefault(v, []).append(slot)
    defined = {}
    t = 0
    steps = []
    loaded_slots = set()
    pending_stores = dict(stores)
    remaining = list(ops)

    def flush_stores():
        for slot, v in list(pending_stores.items()):
            # a slot is written only once its input was read (or is never read)
            slot_read = all(loads[x] != slot or x in defined for x in loads)
            if v in defined and slot_read:
                steps.append(("store", slot, v))
                del pending_stores[slot]

    while remaining:
        best = None
        for i, (d, a, s, b) in enumerate(remaining):
            if any(x not in defined and x not in loads for x in (a, b)):
                continue
            need = len({x for x in (a, b) if x not in defined})
            freed = len({x for x in (a, b) if uses[x] == (2 if a == b == x else 1)})
            recent = max(defined.get(x, t) for x in (a, b))
            key = (1 + need - freed, -recent, i)
            if best is None or key < best[0]:
                best = (key, i)
        d, a, s, b = remaining.pop(best[1])
        for x in dict.fromkeys((a, b)):
            if x not in defined:
                steps.append(("load", x, loads[x]))
                defined[x] = t
                t += 1
        for x in (a, b):
            uses[x] -= 1
        steps.append(("op", d, a, s, b))
        defined[d] = t
        t += 1
        flush_stores()
    for x in loads:
        if x not in defined:
            steps.append(("load", x, loads[x]))
            defined[x] = t
    flush_stores()
    assert not pending_stores, pending_stores
    return steps
