"""The sorted-set value: member -> score dict plus a sorted list of (score, key).

O(1) score lookup, O(log n) insert/delete/rank, O(log n + m) ranges, like Redis's
dict + skiplist. Equal scores order by member *bytes*, as Redis orders them (memcmp).

Members are str; non-UTF-8 bytes travel as lone surrogates (surrogateescape), whose code
points do not sort like the bytes they stand for. So the sorted list holds a sort key per
member: the member itself when it is ASCII (the common case, no copy), else its bytes seen
as latin-1 text, whose code-point order is exactly the byte order. ``mkey``/``unkey``
convert; all public methods take and return members.
"""
from __future__ import annotations

import math

from sortedcontainers import SortedList

from .ranges import index_range

INF = math.inf
LISTPACK_ENTRIES = 128      # Redis's zset-max-listpack-entries / -value defaults: below these a
LISTPACK_VALUE = 64         # zset is "listpack" encoded (ZSCAN replies all of it at once)


def mkey(member: str) -> str:
    """The sort key of ``member`` (byte order)."""
    if member.isascii():
        return member
    return member.encode("utf-8", "surrogateescape").decode("latin-1")


def unkey(key: str) -> str:
    if key.isascii():
        return key
    return key.encode("latin-1").decode("utf-8", "surrogateescape")


def _blen(member: str) -> int:
    return len(member) if member.isascii() else len(member.encode("utf-8", "surrogateescape"))


class ZSet:
    __slots__ = ("scores", "order", "big", "scan_snapshot", "scan_tag")

    def __init__(self, mapping=None):
        self.scores: dict[str, float] = {}
        self.order = SortedList()
        self.big = False            # Redis would use the skiplist encoding (one way, as in Redis)
        self.scan_snapshot = None   # ZSCAN's hash-ordered member list (dropped when members are added)
        self.scan_tag = 0           # this zset's tag in ZSCAN cursors (keyspace/scan.py)
        if mapping:
            self.big = len(mapping) > LISTPACK_ENTRIES or any(
                _blen(m) > LISTPACK_VALUE for m in mapping)
            if self.big:
                self.scores = {m: float(s) for m, s in mapping.items()}
            else:
                self.scores = {m: float(s) + 0.0 for m, s in mapping.items()}
            self.order = SortedList((s, mkey(m)) for m, s in self.scores.items())

    def score_dict(self) -> dict[str, float]:
        """The storage layer's view (see docs/storage-contract.md)."""
        return self.scores

    def encoding(self) -> str:
        """What OBJECT ENCODING would say in Redis 7.0 (listpack until 128 members or a
        member longer than 64 bytes, then skiplist for good)."""
        return "skiplist" if self.big else "listpack"

    def __len__(self) -> int:
        return len(self.scores)

    def __bool__(self) -> bool:
        return bool(self.scores)

    def __contains__(self, member) -> bool:
        return member in self.scores

    def __eq__(self, other):
        return isinstance(other, ZSet) and self.scores == other.scores

    def __repr__(self):
        return "ZSet(%r)" % (self.items(),)

    def copy(self) -> "ZSet":
        z = ZSet()
        z.scores = dict(self.scores)
        z.order = SortedList(self.order)
        z.big = self.big
        return z

    # ------------------------------------------------------------------ single members
    def _small_after_adding(self, member: str) -> bool:
        """Whether the zset stays listpack-encoded with ``member`` added (else it turns big)."""
        if not self.big and (len(self.scores) >= LISTPACK_ENTRIES or _blen(member) > LISTPACK_VALUE):
            self.big = True
        return not self.big

    # Negative zero: a listpack-encoded (small) zset stores -0 as 0, a skiplist keeps -0
    # (Redis 7.0 prints "0" / "-0" for them); ``score + 0.0`` turns -0.0 into 0.0.
    # add() is ZADD's hot path: _small_after_adding and mkey are inlined (an ASCII member
    # is its own sort key and its own byte length).
    def add(self, member: str, score: float) -> bool:
        """Set ``member``'s score; True when the member is new. O(log n)."""
        scores = self.scores
        old = scores.get(member)
        if old is not None:
            if not self.big:
                score += 0.0
            if old == score:
                return False
            key = member if member.isascii() else mkey(member)
            order = self.order
            order.remove((old, key))
            scores[member] = score
            order.add((score, key))
            return False
        ascii = member.isascii()
        if not self.big:
            if (len(scores) >= LISTPACK_ENTRIES or len(member) > LISTPACK_VALUE
                    or (not ascii and _blen(member) > LISTPACK_VALUE)):
                self.big = True
            else:
                score += 0.0
        scores[member] = score
        self.order.add((score, member if ascii else mkey(member)))
        self.scan_snapshot = None
        return True

    def add_new(self, mapping: dict) -> None:
        """Add members known to be absent, in bulk (SortedList.update sorts once when the
        batch is large against the set, else inserts one by one)."""
        if not mapping:
            return
        scores = self.scores
        for m, s in mapping.items():
            scores[m] = s + 0.0 if self._small_after_adding(m) else s
        self.order.update([(scores[m], m if m.isascii() else mkey(m)) for m in mapping])
        self.scan_snapshot = None

    def remove(self, member: str) -> bool:
        old = self.scores.pop(member, None)
        if old is None:
            return False
        self.order.remove((old, mkey(member)))
        return True

    def score(self, member: str):
        return self.scores.get(member)

    def rank(self, member: str):
        """0-based rank by ascending score, or None. O(log n)."""
        s = self.scores.get(member)
        if s is None:
            return None
        return self.order.bisect_left((s, mkey(member)))

    def at(self, index: int):
        """(member, score) at rank ``index`` (O(log n))."""
        s, k = self.order[index]
        return unkey(k), s

    # ------------------------------------------------------------------ ranges (index bounds)
    def rank_bounds(self, start: int, end: int):
        """Redis's rank sanitising: [i, j) for ranks start..end (negative from the end)."""
        r = index_range(start, end, len(self.order))
        return (0, 0) if r is None else (r[0], r[1] + 1)

    def score_bounds(self, lo: float, lo_ex: bool, hi: float, hi_ex: bool):
        """[i, j) of the members whose score is in the range. O(log n)."""
        order = self.order
        n = len(order)
        if lo_ex:
            i = n if lo == INF else order.bisect_left((math.nextafter(lo, INF),))
        else:
            i = order.bisect_left((lo,))
        if hi_ex:
            j = order.bisect_left((hi,))
        else:
            j = n if hi == INF else order.bisect_left((math.nextafter(hi, INF),))
        return i, max(i, j)

    def lex_bounds(self, lo, hi):
        """[i, j) for a lex range; ``lo``/``hi`` are parsed bounds: ("-",), ("+",),
        ("[", member) or ("(", member). Meaningful when all scores are equal (as in Redis)."""
        order = self.order
        n = len(order)
        if not n:
            return 0, 0
        s0 = order[0][0]

        def pos(b, upper):
            kind = b[0]
            if kind == "-":
                return 0
            if kind == "+":
                return n
            probe = (s0, mkey(b[1]))
            if (kind == "[") == upper:
                return order.bisect_right(probe)
            return order.bisect_left(probe)

        if order[-1][0] == s0:
            i = pos(lo, False)
            j = pos(hi, True)
            return i, max(i, j)
        return self._lex_walk(lo, hi)

    def _lex_walk(self, lo, hi):
        """A lex range over members with different scores, as Redis finds it: the first
        member (in score order) not below ``lo`` - the listpack scans from the head, the
        skiplist's search acts as a binary search - then members while not above ``hi``."""
        order, n = self.order, len(self.order)
        if lo[0] in "[(" and hi[0] in "[(":        # always empty (zslIsInLexRange)
            a, b = mkey(lo[1]), mkey(hi[1])
            if a > b or (a == b and (lo[0] == "(" or hi[0] == "(")):
                return 0, 0
        if lo[0] == "+" or hi[0] == "-":
            return 0, 0

        def below_min(k):
            return lo[0] != "-" and (lo[0] == "+" or k < mkey(lo[1]) or (lo[0] == "(" and k == mkey(lo[1])))

        def within_max(k):
            return hi[0] == "+" or (hi[0] != "-" and (k < mkey(hi[1]) or (hi[0] == "[" and k == mkey(hi[1]))))

        # Redis first checks the range against the ends as if members were sorted
        if below_min(order[n - 1][1]) or not within_max(order[0][1]):
            return 0, 0
        if not self.big:
            i = 0
            while i < n and below_min(order[i][1]):
                i += 1
        else:
            i, top = 0, n
            while i < top:
                mid = (i + top) // 2
                if below_min(order[mid][1]):
                    i = mid + 1
                else:
                    top = mid
        j = i
        while j < n and within_max(order[j][1]):
            j += 1
        return i, j

    def slice(self, i: int, j: int, reverse: bool = False, offset: int = 0, limit: int = -1) -> list:
        """(member, score) pairs of index range [i, j) (reversed: from j-1 down), skipping
        ``offset`` and returning at most ``limit`` (negative: all). O(log n + m)."""
        if offset < 0:
            return []
        n = j - i - offset
        if n <= 0:
            return []
        if 0 <= limit < n:
            n = limit
        if reverse:
            it = self.order.islice(j - offset - n, j - offset, reverse=True)
        else:
            it = self.order.islice(i + offset, i + offset + n)
        return [(k if k.isascii() else unkey(k), s) for s, k in it]

    def delete_slice(self, i: int, j: int) -> int:
        """Remove index range [i, j); returns how many."""
        if j <= i:
            return 0
        scores = self.scores
        for s, k in self.order.islice(i, j):
            del scores[k if k.isascii() else unkey(k)]
        del self.order[i:j]
        return j - i

    def pop(self, count: int, highest: bool = False) -> list:
        """Remove and return up to ``count`` (member, score), lowest (or highest) first."""
        n = len(self.order)
        count = min(count, n)
        if highest:
            out = self.slice(n - count, n, reverse=True)
            del self.order[n - count:n]
        else:
            out = self.slice(0, count)
            del self.order[0:count]
        scores = self.scores
        for m, _ in out:
            del scores[m]
        return out

    def pop_min(self):
        return self.pop(1)[0]

    def pop_max(self):
        return self.pop(1, True)[0]

    def by_rank(self, start: int, stop: int) -> list:
        """(score, member) pairs for ranks start..stop inclusive (already clamped)."""
        return [(s, m) for m, s in self.slice(start, stop + 1)]

    def items(self):
        """(member, score) in rank order."""
        return self.slice(0, len(self.order))
