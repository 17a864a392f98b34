"""The sorted-set value, in two forms as in Redis: compact while small, dict + sorted list
once big.

Small ("listpack-sized": at most 128 members, none longer than 64 bytes, Redis's
zset-max-listpack-entries / -value defaults): the members in a plain list in rank order,
their scores in a parallel ``array('d')`` and one byte of each member's hash in a parallel
``bytearray``. No per-member dict entry, tuple or float object: ~17 bytes per member beside
its string, against ~140 for the big form. A member is found by ``bytearray.find`` of its
hash byte (memchr over at most 128 bytes) and one string compare per candidate; rank is the
position; score ranges bisect the array; inserts and deletes move at most 128 slots, as Redis
moves its listpack.

Big: a member -> score dict plus a ``SortedList`` of (score, sort key): O(1) score lookup,
O(log n) insert/delete/rank, O(log n + m) ranges, like Redis's dict + skiplist. A set turns
big once for good (as Redis converts to the skiplist), never back.

Equal scores order by member *bytes*, as Redis orders them (memcmp). Members are str;
non-UTF-8 bytes travel as lone surrogates (surrogateescape), whose code points do not sort
like the bytes they stand for. So the big form's sorted list holds a sort key per member: the
member itself when it is ASCII (the common case, no copy), else its bytes seen as latin-1
text, whose code-point order is exactly the byte order. ``mkey``/``unkey`` convert. The small
form holds the members themselves: comparing an ASCII string with any string gives the byte
order already (they first differ at an ASCII character, or one is a prefix), so a bisect with
an ASCII probe runs on the list as it is and only a non-ASCII probe needs ``key=mkey``.
All public methods take and return members.
"""
from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right

from sortedcontainers import SortedList

from .ranges import index_range

INF = math.inf
LISTPACK_ENTRIES = 128      # Redis's zset-max-listpack-entries / -value defaults: below these a
LISTPACK_VALUE = 64         # zset is "listpack" encoded (ZSCAN replies all of it at once)
# The big form's SortedList load factor (sublists of ORDER_LOAD to twice that): smaller than
# sortedcontainers' default 1000 (whose docs advise about the cube root of the size). A search
# reads the list of sublist maxima, which stays in cache, and then one sublist, whose probes
# each miss the cache twice (a tuple and its float scattered over the heap): fewer probes there
# made a ZADD into a 100k-member set 11% faster in process (200 vs 1000; 100 measured the same).
ORDER_LOAD = 200


def _order(items) -> SortedList:
    o = SortedList()
    o._reset(ORDER_LOAD)
    o.update(items)
    return o


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


def _too_long(member: str) -> bool:
    """Longer than a listpack entry may be (zset-max-listpack-value)."""
    return len(member) > LISTPACK_VALUE or (not member.isascii() and _blen(member) > LISTPACK_VALUE)


def _sorted_small(pairs):
    """(members list, scores array, hash bytes) of (member, score) pairs in (score, bytes)
    order; scores as listpack stores them (-0 as 0)."""
    rows = sorted((float(s) + 0.0, mkey(m), m) for m, s in pairs)
    members = [r[2] for r in rows]
    return members, array("d", [r[0] for r in rows]), bytearray([hash(m) & 255 for m in members])


class ZSet:
    # small form: _m members (rank order), _v scores, _h hash bytes; big_scores, _o None.
    # big form: big_scores member -> score, _o SortedList of (score, sort key); _m, _v, _h
    # None. big_scores is public for the hot readers (ZSCORE): a dict.get, no method call.
    __slots__ = ("_m", "_v", "_h", "big_scores", "_o", "scan_snapshot", "scan_tag")

    def __init__(self, mapping=None):
        self.scan_snapshot = None   # ZSCAN's hash-ordered member list (dropped when members are added)
        self.scan_tag = 0           # this zset's tag in ZSCAN cursors (keyspace/scan.py)
        self.big_scores = self._o = None
        if mapping and (len(mapping) > LISTPACK_ENTRIES or any(_too_long(m) for m in mapping)):
            self._m = self._v = self._h = None
            self.big_scores = {m: float(s) for m, s in mapping.items()}
            self._o = _order((s, mkey(m)) for m, s in self.big_scores.items())
        elif mapping:
            self._m, self._v, self._h = _sorted_small(mapping.items())
        else:
            self._m, self._v, self._h = [], array("d"), bytearray()

    # ------------------------------------------------------------------ the two forms
    @property
    def big(self) -> bool:
        """Whether Redis would use the skiplist encoding (one way, as in Redis)."""
        return self._m is None

    @big.setter
    def big(self, value: bool) -> None:
        if value:
            self.to_skiplist()

    def to_skiplist(self) -> None:
        """Turn big for good (zsetConvert to SKIPLIST: growth, or SORT)."""
        m = self._m
        if m is None:
            return
        v = self._v
        self.big_scores = dict(zip(m, v))
        self._o = _order(zip(v, map(mkey, m)))
        self._m = self._v = self._h = None

    def score_dict(self) -> dict[str, float]:
        """The storage layer's view (see docs/storage-contract.md): the live dict of a big
        set, a new one (rank order) for a small set."""
        if self._m is None:
            return self.big_scores
        return dict(zip(self._m, self._v))

    def encoding(self) -> str:
        """What OBJECT ENCODING would say in Redis 7.0 (listpack until 128 members or a
        member longer than 64 bytes, then skiplist for good)."""
        return "skiplist" if self._m is None else "listpack"

    def __len__(self) -> int:
        m = self._m
        return len(self.big_scores) if m is None else len(m)

    def __bool__(self) -> bool:
        m = self._m
        return bool(self.big_scores) if m is None else bool(m)

    def __contains__(self, member) -> bool:
        return self.score(member) is not None

    def __eq__(self, other):
        return isinstance(other, ZSet) and self.score_dict() == other.score_dict()

    def __repr__(self):
        return "ZSet(%r)" % (self.items(),)

    def copy(self) -> "ZSet":
        z = ZSet()
        if self._m is None:
            z._m = z._v = z._h = None
            z.big_scores = dict(self.big_scores)
            z._o = _order(self._o)
        else:
            z._m, z._v, z._h = list(self._m), array("d", self._v), bytearray(self._h)
        return z

    # ------------------------------------------------------------------ whole-set views
    def members(self):
        """The members, in no particular order."""
        m = self._m
        return iter(self.big_scores) if m is None else iter(m)

    def pairs(self):
        """(member, score) pairs, in no particular order (do not change the set meanwhile)."""
        m = self._m
        return self.big_scores.items() if m is None else zip(m, self._v)

    def ranked_members(self):
        """The members in rank order, lazily."""
        m = self._m
        if m is None:
            return (k if k.isascii() else unkey(k) for _, k in self._o)
        return iter(list(m))

    def iter_range(self, i: int, j: int):
        """(member, score) of index range [i, j), lazily (do not change the set meanwhile)."""
        m = self._m
        if m is None:
            return ((k if k.isascii() else unkey(k), s) for s, k in self._o.islice(i, j))
        return zip(m[i:j], self._v[i:j])

    # ------------------------------------------------------------------ single members
    def _find(self, member: str) -> int:
        """A small set's position of ``member``, or -1."""
        h = hash(member) & 255
        fp = self._h
        i = fp.find(h)
        if i >= 0:
            m = self._m
            while i >= 0:
                if m[i] == member:
                    return i
                i = fp.find(h, i + 1)
        return -1

    def score(self, member: str):
        m = self._m
        if m is None:
            return self.big_scores.get(member)
        h = hash(member) & 255
        fp = self._h
        i = fp.find(h)
        while i >= 0:
            if m[i] == member:
                return self._v[i]
            i = fp.find(h, i + 1)
        return None

    def getter(self):
        """A ``member -> score or None`` function (the dict's own get for a big set)."""
        return self.score if self._m is not None else self.big_scores.get

    def _insert_small(self, member: str, score: float, h: int) -> None:
        m, v = self._m, self._v
        n = len(v)
        if not n or score > v[n - 1]:
            i = n
        else:
            i = bisect_left(v, score)
            if i < n and v[i] == score:
                j = bisect_right(v, score, i)
                if member.isascii():
                    i = bisect_left(m, member, i, j)
                else:
                    i = bisect_left(m, mkey(member), i, j, key=mkey)
        m.insert(i, member)
        v.insert(i, score)
        self._h.insert(i, h)

    # Negative zero: a listpack-encoded (small) zset stores -0 as 0, a skiplist keeps -0
    # (Redis 7.0 prints "0" / "-0" for them); ``score + 0.0`` turns -0.0 into 0.0.
    def put(self, member: str, score: float) -> int:
        """Set ``member``'s score: 1 when the member is new, 0 when its score changed, -1
        when it already had that score (nothing done). ZADD's hot path."""
        m = self._m
        if m is None:
            scores = self.big_scores
            old = scores.get(member)
            if old is not None:
                if old == score:
                    return -1
                key = member if member.isascii() else mkey(member)
                order = self._o
                order.remove((old, key))
                scores[member] = score
                order.add((score, key))
                return 0
            scores[member] = score
            self._o.add((score, member if member.isascii() else mkey(member)))
            self.scan_snapshot = None
            return 1
        h = hash(member) & 255
        fp = self._h
        i = fp.find(h)
        while i >= 0:
            if m[i] == member:
                break
            i = fp.find(h, i + 1)
        if i >= 0:
            score += 0.0
            v = self._v
            if v[i] == score:
                return -1
            last = len(v) - 1
            if (i == 0 or v[i - 1] < score) and (i == last or score < v[i + 1]):
                v[i] = score            # its rank does not change
            else:
                del m[i]
                del v[i]
                del fp[i]
                self._insert_small(member, score, h)
            return 0
        if len(m) >= LISTPACK_ENTRIES or _too_long(member):
            self.to_skiplist()
            return self.put(member, score)
        self._insert_small(member, score + 0.0, h)
        return 1

    def add(self, member: str, score: float) -> bool:
        """Set ``member``'s score; True when the member is new."""
        return self.put(member, score) == 1

    def add_new(self, mapping: dict) -> None:
        """Add members known to be absent, in bulk (one sort of the merged small set, or
        SortedList.update, which sorts once when the batch is large against the set)."""
        if not mapping:
            return
        m = self._m
        if m is not None:
            items = list(mapping.items())
            room = LISTPACK_ENTRIES - len(m)
            cut = 0
            while cut < len(items) and cut < room and not _too_long(items[cut][0]):
                cut += 1
            if cut:
                self._m, self._v, self._h = _sorted_small(
                    [*zip(m, self._v), *items[:cut]] if m else items[:cut])
            if cut == len(items):
                return
            self.to_skiplist()
            mapping = dict(items[cut:])
        scores = self.big_scores
        scores.update(mapping)
        self._o.update([(s, k if k.isascii() else mkey(k)) for k, s in mapping.items()])
        self.scan_snapshot = None

    def remove(self, member: str) -> bool:
        m = self._m
        if m is None:
            old = self.big_scores.pop(member, None)
            if old is None:
                return False
            self._o.remove((old, mkey(member)))
            return True
        i = self._find(member)
        if i < 0:
            return False
        del m[i]
        del self._v[i]
        del self._h[i]
        return True

    def rank(self, member: str):
        """0-based rank by ascending score, or None. O(log n)."""
        m = self._m
        if m is None:
            s = self.big_scores.get(member)
            if s is None:
                return None
            return self._o.bisect_left((s, mkey(member)))
        i = self._find(member)
        return None if i < 0 else i

    def at(self, index: int):
        """(member, score) at rank ``index`` (O(log n))."""
        if self._m is None:
            s, k = self._o[index]
            return unkey(k), s
        return self._m[index], self._v[index]

    # ------------------------------------------------------------------ ranges (index bounds)
    def rank_bounds(self, start: int, end: int):
        """Redis's rank sanitising: [i, j) for ranks start..end (negative from the end)."""
        m = self._m
        r = index_range(start, end, len(self._o) if m is None else len(m))
        return (0, 0) if r is None else (r[0], r[1] + 1)

    def score_bounds(self, lo: float, lo_ex: bool, hi: float, hi_ex: bool):
        """[i, j) of the members whose score is in the range. O(log n)."""
        v = self._v
        if v is not None:
            i = bisect_right(v, lo) if lo_ex else bisect_left(v, lo)
            j = bisect_left(v, hi) if hi_ex else bisect_right(v, hi)
            return i, max(i, j)
        order = self._o
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
        m = self._m
        if m is not None:
            n = len(m)
            if not n:
                return 0, 0
            if self._v[0] == self._v[n - 1]:
                def spos(b, upper):
                    kind = b[0]
                    if kind == "-":
                        return 0
                    if kind == "+":
                        return n
                    find = bisect_right if (kind == "[") == upper else bisect_left
                    probe = b[1]
                    if probe.isascii():
                        return find(m, probe)
                    return find(m, mkey(probe), key=mkey)
                i = spos(lo, False)
                return i, max(i, spos(hi, True))
            return self._lex_walk(lo, hi, n, lambda i: mkey(m[i]), True)
        order = self._o
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
        return self._lex_walk(lo, hi, n, lambda i: order[i][1], False)

    @staticmethod
    def _lex_walk(lo, hi, n, key_at, linear):
        """A lex range over members with different scores, as Redis finds it: the first
        member (in score order) not below ``lo`` - the listpack scans from the head, the
        skiplist's search acts as a binary search - then members while not above ``hi``.
        ``key_at(i)``: the sort key at rank i."""
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
        if below_min(key_at(n - 1)) or not within_max(key_at(0)):
            return 0, 0
        if linear:
            i = 0
            while i < n and below_min(key_at(i)):
                i += 1
        else:
            i, top = 0, n
            while i < top:
                mid = (i + top) // 2
                if below_min(key_at(mid)):
                    i = mid + 1
                else:
                    top = mid
        j = i
        while j < n and within_max(key_at(j)):
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
            a, b = j - offset - n, j - offset
        else:
            a, b = i + offset, i + offset + n
        m = self._m
        if m is not None:
            ms, vs = m[a:b], self._v[a:b]
            if reverse:
                ms.reverse()
                vs.reverse()
            return list(zip(ms, vs))
        it = self._o.islice(a, b, reverse=reverse)
        return [(k if k.isascii() else unkey(k), s) for s, k in it]

    def delete_slice(self, i: int, j: int) -> int:
        """Remove index range [i, j); returns how many."""
        if j <= i:
            return 0
        m = self._m
        if m is not None:
            del m[i:j]
            del self._v[i:j]
            del self._h[i:j]
            return j - i
        scores = self.big_scores
        for s, k in self._o.islice(i, j):
            del scores[k if k.isascii() else unkey(k)]
        del self._o[i:j]
        return j - i

    def pop(self, count: int, highest: bool = False) -> list:
        """Remove and return up to ``count`` (member, score), lowest (or highest) first."""
        m = self._m
        if count == 1 and m is None and self._o:    # ZPOPMIN/ZPOPMAX: one SortedList.pop
            sc, k = self._o.pop(-1 if highest else 0)
            member = k if k.isascii() else unkey(k)
            del self.big_scores[member]
            return [(member, sc)]
        n = len(self._o) if m is None else len(m)
        count = min(count, n)
        if highest:
            out = self.slice(n - count, n, reverse=True)
            a, b = n - count, n
        else:
            out = self.slice(0, count)
            a, b = 0, count
        if m is not None:
            del m[a:b]
            del self._v[a:b]
            del self._h[a:b]
            return out
        del self._o[a:b]
        scores = self.big_scores
        for k, _ in out:
            del scores[k]
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
        return self.slice(0, len(self))
