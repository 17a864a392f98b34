"""Redis's partial quicksort (src/pqsort.c: NetBSD's qsort, Bentley & McIlroy, sorting only
the partitions that meet the wanted ranks). SORT BY ... LIMIT and the geo commands' COUNT use
it, and the order it leaves equal elements in is its own, so it is ported step for step."""
from __future__ import annotations


def pqsort(v: list, cmp, lrange: int, rrange: int) -> None:
    """Redis's partial quicksort (NetBSD qsort, Bentley-McIlroy), ported step for step so
    that equal elements end in the same order as in Redis: sorts at least ranks
    lrange..rrange of ``v`` in place. As in Redis 7.0 there is no switch to insertion sort
    after a pass without swaps (that heuristic was quadratic on crafted input)."""
    _pqsort(v, 0, len(v), cmp, lrange, rrange)


def _isort(v, a, n, cmp):
    for pm in range(a + 1, a + n):
        pl = pm
        while pl > a and cmp(v[pl - 1], v[pl]) > 0:
            v[pl], v[pl - 1] = v[pl - 1], v[pl]
            pl -= 1


def _med3(v, a, b, c, cmp):
    if cmp(v[a], v[b]) < 0:
        return b if cmp(v[b], v[c]) < 0 else (c if cmp(v[a], v[c]) < 0 else a)
    return b if cmp(v[b], v[c]) > 0 else (a if cmp(v[a], v[c]) < 0 else c)


def _vecswap(v, a, b, n):
    for i in range(n):
        v[a + i], v[b + i] = v[b + i], v[a + i]


def _pqsort(v, a, n, cmp, lr, rr):
    stack = [(a, n)]            # pending left parts (C recurses; order does not matter)
    while stack:
        a, n = stack.pop()
        while True:
            if n < 7:
                _isort(v, a, n, cmp)
                break
            pm = a + n // 2
            if n > 7:
                pl = a
                pn = a + n - 1
                if n > 40:
                    d = n // 8
                    pl = _med3(v, pl, pl + d, pl + 2 * d, cmp)
                    pm = _med3(v, pm - d, pm, pm + d, cmp)
                    pn = _med3(v, pn - 2 * d, pn - d, pn, cmp)
                pm = _med3(v, pl, pm, pn, cmp)
            v[a], v[pm] = v[pm], v[a]
            pivot = v[a]
            pa = pb = a + 1
            pc = pd = a + n - 1
            while True:
                while pb <= pc:
                    r = cmp(v[pb], pivot)
                    if r > 0:
                        break
                    if r == 0:
                        v[pa], v[pb] = v[pb], v[pa]
                        pa += 1
                    pb += 1
                while pb <= pc:
                    r = cmp(v[pc], pivot)
                    if r < 0:
                        break
                    if r == 0:
                        v[pc], v[pd] = v[pd], v[pc]
                        pd -= 1
                    pc -= 1
                if pb > pc:
                    break
                v[pb], v[pc] = v[pc], v[pb]
                pb += 1
                pc -= 1
            pn = a + n
            r = min(pa - a, pb - pa)
            _vecswap(v, a, pb - r, r)
            r = min(pd - pc, pn - pd - 1)
            _vecswap(v, pb, pn - r, r)
            r = pb - pa
            if r > 1 and not (rr < a or lr >= a + r):
                stack.append((a, r))
            r = pd - pc
            if r > 1:
                a = pn - r
                n = r
                if not (rr < a or lr >= a + r):
                    continue
            break
