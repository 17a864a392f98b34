"""LCS as Redis 7.0 computes it (t_string.c lcsCommand), over bytes.

Redis fills the full (alen+1) x (blen+1) DP table and walks back from the end, preferring
``i--`` only when LCS(i-1, j) > LCS(i, j-1). A Python DP table would be far too slow, so
the rows are computed bit-parallel (Hyyro's bit-vector LCS, one big-int operation per byte
of ``a``): after row i, bit j of ``V[i]`` is 0 exactly where LCS(i, j+1) = LCS(i, j) + 1, so
LCS(i, j) = j - popcount(V[i] & (2**j - 1)). The walk back then asks the same questions as
Redis and produces the same string and the same match ranges.
"""
from __future__ import annotations


def _rows(a: bytes, b: bytes, keep: bool = True) -> list:
    n = len(b)
    full = (1 << n) - 1
    masks: dict = {}
    for j, ch in enumerate(b):
        masks[ch] = masks.get(ch, 0) | (1 << j)
    v = full
    rows = [v]
    for ch in a:
        u = v & masks.get(ch, 0)
        v = ((v + u) | (v - u)) & full
        if keep:
            rows.append(v)
    return rows if keep else [v]


def lcs_len(a: bytes, b: bytes) -> int:
    if not a or not b:
        return 0
    return len(b) - _rows(a, b, False)[-1].bit_count()


def lcs_reply(a: bytes, b: bytes, getlen: bool, getidx: bool, withmatchlen: bool, minmatchlen: int):
    from ..keyspace import from_bytes
    alen, blen = len(a), len(b)
    if not getidx and getlen:
        return lcs_len(a, b)
    rows = _rows(a, b) if alen and blen else None

    def L(i, j):
        if i == 0 or j == 0:
            return 0
        return j - (rows[i] & ((1 << j) - 1)).bit_count()

    total = L(alen, blen)
    idx = total
    result = bytearray(total)
    matches = []
    arange_start, arange_end, brange_start, brange_end = alen, 0, 0, 0
    i, j = alen, blen
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result[idx - 1] = a[i - 1]
            if arange_start == alen:
                arange_start = arange_end = i - 1
                brange_start = brange_end = j - 1
            elif arange_start == i and brange_start == j:
                arange_start -= 1
                brange_start -= 1
            else:
                emit = True
            if arange_start == 0 or brange_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if L(i - 1, j) > L(i, j - 1):
                i -= 1
            else:
                j -= 1
            if arange_start != alen:
                emit = True
        if emit:
            match_len = arange_end - arange_start + 1
            if minmatchlen == 0 or match_len >= minmatchlen:
                if getidx:
                    m = [[arange_start, arange_end], [brange_start, brange_end]]
                    if withmatchlen:
                        m.append(match_len)
                    matches.append(m)
            arange_start = alen
    if getidx:
        return {"matches": matches, "len": total}
    return from_bytes(bytes(result))
