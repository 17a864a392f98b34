"""Cursors for SCAN/HSCAN/SSCAN/ZSCAN, RANDOMKEY and uniform random picks from sets and hashes.
All their state lives in one ``ScanState`` per keyspace.

SCAN: Redis's reverse-binary cursor over a key index
----------------------------------------------------
Redis's guarantee: a key present for the whole iteration is returned at least once (keys
added or deleted meanwhile may or may not be). Redis gets it from reverse-binary cursors over
its hash table, and its cursors are small (below the table size). A Python ``dict`` cannot
resume at a position after it changed, so a database being scanned gets a ``KeyIndex``: a
power-of-two table of buckets by ``hash(key)``, kept in step with the data by the keyspace's
one write hook (``Database._track`` -> ``key_touched``). A call visits buckets in
reverse-binary order (Redis's dictScan), at most ``10 x COUNT`` of them, so it is O(COUNT)
however many iterations run at once; cursors stay below the table size (~2 x keys), and the
guarantee holds across the table's growth as in Redis. A cursor too large for the table (made
up, or the table shrank) starts the walk again rather than being masked as Redis does:
duplicates are allowed, misses are not, and a made-up number can never loop.

The index is built on the first SCAN that cannot answer in one call, ``BUILD_STEP`` keys per
SCAN call (the write hook keeps the keys it sees meanwhile): until it is complete a call
answers an empty page and the cursor it was given (``START_AGAIN`` for cursor 0), so a
million keys cost ~60 calls of ~5 ms rather than one stall. It is dropped after
``INDEX_IDLE`` seconds without a SCAN on that database (or on FLUSHDB, SWAPDB, a load); until
then each insert or delete costs one bucket update; without it writes pay one falsy check.
Rebuilding later keeps old cursors meaningful: bucket positions depend only on the key's hash
and the table size. (Growing or shrinking the table rehashes at once: O(n), amortised O(1)
per write, but one write pays it; Redis rehashes incrementally.)

HSCAN / SSCAN / ZSCAN: the same cursors over a hash-ordered snapshot
--------------------------------------------------------------------
Large collections are walked in the order of ``u = hash(member) mod 2**64``, a snapshot sorted
once (O(n log n)) and shared by every iteration of that collection; it is rebuilt after
members were added (removed ones are skipped). The cursor is the reverse-binary number of the
next bucket of a virtual table of 2**k buckets (2**k >= size) whose bucket is ``u``'s top k
bits, plus a 12-bit tag of the collection above it: a small number (below 2**(k + 12)). A
cursor whose tag does not match (made up, from a collection deleted and created again, or from
before the table changed size) starts the walk again: duplicates are allowed, misses are not.

Random picks
------------
Sets and hashes have no O(1) random access in Python. ``Pool`` keeps a list of the members
plus the set of those removed since (lazy deletion, rebuilt when half are gone); additions
are appended by the commands that add. A pick draws uniform indices until it meets a live
member (expected < 2 draws), so SPOP, SRANDMEMBER and HRANDFIELD are uniform and O(1)
amortised. A pool whose size disagrees with its collection (a change it was not told about)
is rebuilt, so it can be stale but never wrong.
"""
from __future__ import annotations

import random
import time
import weakref
from array import array
from bisect import bisect_left
from itertools import islice

from .database import MISSING, TYPE_NAMES, now_ms

INDEX_IDLE = 600.0          # seconds without SCAN before a database's key index is dropped
BUILD_STEP = 16384          # keys a SCAN call adds to an index being built (~5 ms)
START_AGAIN = (1 << 32) - 1  # "from the start" while the index is being built (any table is smaller)
MAX_HASH_SNAPS = 64         # hashes (dicts cannot be weakly referenced) with a pool/scan order
_MASK64 = (1 << 64) - 1


def _rev(v: int, bits: int) -> int:
    """``v`` with its low ``bits`` bits reversed."""
    return int(format(v, "0%db" % bits)[::-1], 2) if bits else 0


def _next_cursor(v: int, mask: int) -> int:
    """Redis's dictScan step: increment the reversed cursor (0 when the walk is over)."""
    bits = mask.bit_length()
    r = _rev(v & mask, bits) + 1
    return 0 if r > mask else _rev(r, bits)


# ---------------------------------------------------------------- SCAN: the key index
class KeyIndex:
    """Buckets of keys by ``hash(key) & mask``; a bucket is None, one key, or a list."""

    __slots__ = ("data", "table", "mask", "used", "last_used", "pending", "pos")

    def __init__(self, data: dict):
        self.data = data
        size = 4
        while size < len(data):
            size <<= 1
        self.table, self.mask, self.used = [None] * size, size - 1, 0
        self.pending = list(data)   # keys still to add (the write hook adds and removes the
        self.pos = 0                # keys it sees meanwhile), a step per SCAN call
        self.last_used = time.monotonic()

    def build_step(self) -> bool:
        """Index the next BUILD_STEP keys of the initial list; True once complete."""
        if self.pending is None:
            return True
        data, table, mask, used = self.data, self.table, self.mask, 0
        end = self.pos + BUILD_STEP
        for k in self.pending[self.pos:end]:       # add(k), inlined
            if k not in data:
                continue
            i = hash(k) & mask
            b = table[i]
            if b is None:
                table[i] = k
            elif type(b) is list:
                if k in b:
                    continue
                b.append(k)
            elif b == k:
                continue
            else:
                table[i] = [b, k]
            used += 1
        self.used += used
        self.pos = end
        if end < len(self.pending):
            return False
        self.pending = None
        if self.used > 2 * len(self.table):
            self._fill(len(self.table) * 2, list(self._keys()))
        return True

    def _fill(self, size: int, keys) -> None:
        table = [None] * size
        mask = size - 1
        used = 0
        for k in keys:
            i = hash(k) & mask
            b = table[i]
            if b is None:
                table[i] = k
            elif type(b) is list:
                b.append(k)
            else:
                table[i] = [b, k]
            used += 1
        self.table, self.mask, self.used = table, mask, used

    def _keys(self):
        for b in self.table:
            if b is None:
                continue
            if type(b) is list:
                yield from b
            else:
                yield b

    def add(self, key: str) -> None:
        table = self.table
        i = hash(key) & self.mask
        b = table[i]
        if b is None:
            table[i] = key
        elif type(b) is list:
            if key in b:
                return
            b.append(key)
        elif b == key:
            return
        else:
            table[i] = [b, key]
        self.used += 1
        if self.used > len(table) and self.pending is None:
            self._fill(len(table) * 2, list(self._keys()))

    def remove(self, key: str) -> None:
        table = self.table
        i = hash(key) & self.mask
        b = table[i]
        if b is None:
            return
        if type(b) is list:
            if key not in b:
                return
            b.remove(key)
            if len(b) == 1:
                table[i] = b[0]
        elif b == key:
            table[i] = None
        else:
            return
        self.used -= 1
        if len(table) > 4 and self.used * 8 < len(table) and self.pending is None:
            self._fill(len(table) // 2, list(self._keys()))

    def _bucket(self, v: int) -> list:
        b = self.table[v]
        return [] if b is None else list(b) if type(b) is list else [b]

    def scan(self, cursor: int, count: int) -> tuple[int, list]:
        """Redis's SCAN loop: buckets until ``count`` keys or 10 x count buckets. A bucket that
        would overflow COUNT is split as a finer table would split it (see ``_split``)."""
        mask = self.mask
        bits = mask.bit_length()
        out: list = []
        if cursor == START_AGAIN:
            cursor = 0
        v = cursor
        if cursor > mask:
            v, keys = self._resume(cursor, bits)
            if keys is not None:
                nxt = self._take(keys, out, count, bits)
                if nxt is not None:
                    return nxt, out
                v = _next_cursor(v, mask)
                if not v or len(out) >= count:
                    return v, out
        budget = count * 10
        table = self.table
        while True:
            b = table[v]
            if b is not None:
                if type(b) is list:
                    nxt = self._take(b, out, count, bits)
                    if nxt is not None:
                        return nxt, out
                else:
                    out.append(b)
            v = _next_cursor(v, mask)
            budget -= 1
            if not v or budget <= 0 or len(out) >= count:
                return v, out

    @staticmethod
    def _fine(bits: int):
        """Order of a bucket's keys as a table with more bits visits them: by the hash bits
        above ``bits``, least significant first (reverse binary)."""
        width = 64 - bits
        return lambda k: _rev((hash(k) & _MASK64) >> bits, width)

    def _take(self, keys: list, out: list, count: int, bits: int):
        """Add ``keys`` (one bucket) to ``out``; if that overflows COUNT, add only a prefix in
        fine order and return the cursor of the next key in the finer table where the two
        are in different buckets (None when the whole bucket was added)."""
        room = count - len(out)
        if len(keys) <= room:
            out.extend(keys)
            return None
        keys = sorted(keys, key=self._fine(bits))
        for i in range(room, len(keys)):
            h1, h2 = hash(keys[i - 1]) & _MASK64, hash(keys[i]) & _MASK64
            x = (h1 ^ h2) >> bits
            width = bits + (x & -x).bit_length()        # bits of the finer table
            if x and width <= 53:                       # cursors stay below 2**53
                out.extend(keys[:i])
                return h2 & ((1 << width) - 1)
        out.extend(keys)
        return None

    def _resume(self, cursor: int, bits: int):
        """A cursor above the table: a split bucket (bucket, its keys still to return) if some
        key of the bucket is exactly there; else (0, None): made up, or from before the table
        shrank - start again (duplicates are allowed, misses are not)."""
        width = cursor.bit_length()
        if width > 53:
            return 0, None
        v = cursor & self.mask
        low = (1 << width) - 1
        keys = self._bucket(v)
        if not any(hash(k) & low == cursor for k in keys):
            return 0, None
        sub = width - bits
        target = _rev(cursor >> bits, sub)
        submask = (1 << sub) - 1
        return v, [k for k in keys if _rev(((hash(k) & _MASK64) >> bits) & submask, sub) >= target]


def key_touched(db, key: str) -> None:
    """The write hook: ``key`` was set or deleted in ``db``; keep its index in step."""
    indexes = db.ks.key_indexes
    idx = indexes.get(db.index)
    if idx is None:
        return
    if idx.data is not db.data:       # SWAPDB or a load replaced the dict: rebuild on demand
        del indexes[db.index]
    elif key in db.data:
        idx.add(key)
    else:
        idx.remove(key)


def drop_key_index(ks, index: int) -> None:
    ks.key_indexes.pop(index, None)


def _key_index(db) -> KeyIndex:
    indexes = db.ks.key_indexes
    now = time.monotonic()
    for i, idx in list(indexes.items()):
        if now - idx.last_used > INDEX_IDLE:
            del indexes[i]
    idx = indexes.get(db.index)
    if idx is None or idx.data is not db.data:
        idx = indexes[db.index] = KeyIndex(db.data)
    idx.last_used = now
    return idx


def scan_keys(db, cursor: int, count: int, match=None, type_name: str | None = None):
    """One SCAN call: (next cursor, live keys passing MATCH and TYPE)."""
    data, expires = db.data, db.expires
    if cursor == 0 and len(data) <= count and db.index not in db.ks.key_indexes:
        nxt, keys = 0, list(data)
    else:
        idx = _key_index(db)
        if not idx.build_step():
            # an empty page: the iteration stays where it was (or at its start)
            return cursor or START_AGAIN, []
        nxt, keys = idx.scan(cursor, count)
    now = now_ms() if expires else 0
    out = []
    for key in keys:
        v = data.get(key, MISSING)
        if v is MISSING:
            continue
        if match is not None and not match(key):
            continue
        if type_name is not None and TYPE_NAMES[type(v)] != type_name:
            continue
        if expires:
            when = expires.get(key)
            if when is not None and when <= now:
                db.lookup(key)        # expire it, as Redis's SCAN does
                continue
        out.append(key)
    return nxt, out


# ---------------------------------------------------------------- RANDOMKEY
class _RandomKeys:
    __slots__ = ("data", "keys", "dirty", "misses")

    def __init__(self, db):
        self.data = db.data
        self.keys = list(db.data)
        self.dirty = db.ks.dirty
        self.misses = 0


def random_key(db):
    """A random live key or None (expired keys met on the way are deleted). A key list is
    rebuilt after as many writes as half its size, so the cost is amortised O(1)."""
    for _ in range(3):
        if not db.data:
            return None
        rk = db.ks.scans.random.get(db.index)
        dirty = db.ks.dirty
        if (rk is None or rk.data is not db.data or dirty < rk.dirty
                or dirty - rk.dirty > len(rk.keys) // 2 + 16 or rk.misses > len(rk.keys) // 2 + 16
                or not rk.keys):
            rk = db.ks.scans.random[db.index] = _RandomKeys(db)
            if not rk.keys:
                return None
        keys = rk.keys
        for _ in range(32):
            key = keys[random.randrange(len(keys))]
            if db.lookup(key) is not MISSING:
                return key
            rk.misses += 1
        db.ks.scans.random.pop(db.index, None)
    return None


# ---------------------------------------------------------------- collections
def hash_order(members) -> tuple[list, array]:
    """(members sorted by u = hash mod 2**64, their u): the order collection cursors walk."""
    ms = sorted(members, key=lambda m: hash(m) & _MASK64)
    return ms, array("Q", [hash(m) & _MASK64 for m in ms])


TAG_BITS = 12      # collection cursors carry a tag of their collection above the position


def new_tag() -> int:
    return random.randrange(1, 1 << TAG_BITS)


def hash_scan(ordered: tuple, cursor: int, count: int, tag: int) -> tuple[int, list]:
    """One step over a hash-ordered snapshot: the buckets from ``cursor`` on until about
    ``count`` members (a bucket is never split). Returns (next cursor, members). A cursor
    is ``position | tag << bits``: one made up, from another collection (deleted and
    created again), or from before the table changed size starts the walk again."""
    ms, us = ordered
    n = len(ms)
    bits = max(2, (n - 1).bit_length())
    shift = 64 - bits
    if cursor >> bits != tag:
        cursor = 0
    i = bisect_left(us, _rev(cursor & ((1 << bits) - 1), bits) << shift)
    if i >= n:
        return 0, []
    j = min(i + count, n)
    if j < n:
        j = bisect_left(us, ((us[j - 1] >> shift) + 1) << shift, j)
    if j >= n:
        return 0, ms[i:]
    return _rev(us[j] >> shift, bits) | tag << bits, ms[i:j]


class Pool:
    """A collection's members for uniform picks (with lazy deletion) and its scan order."""

    __slots__ = ("ref", "items", "dead", "order", "tag", "__weakref__")

    def __init__(self, ref, tag: int):
        self.ref = ref
        self.items = None       # list of members, maybe with removed ones (in ``dead``)
        self.dead = set()
        self.order = None       # hash_order(...) for SSCAN/HSCAN
        self.tag = tag          # of this collection, in its scan cursors

    def added(self, members) -> None:
        self.order = None
        if self.items is None:
            return
        dead = self.dead
        for m in members:
            if m in dead:
                dead.discard(m)
            else:
                self.items.append(m)

    def removed(self, members) -> None:
        if self.items is None:
            return
        self.dead.update(members)
        if len(self.dead) * 2 > len(self.items):
            self.items = None

    def _fresh(self, coll) -> list:
        items = self.items
        if items is None or len(items) - len(self.dead) != len(coll):
            items = self.items = list(coll)
            self.dead = set()
        return items

    def picks(self, coll, k: int) -> list:
        """``k`` independent uniform picks (repeats allowed) from the non-empty ``coll``."""
        out = random.choices(self._fresh(coll), k=k)
        dead = self.dead
        if dead:
            out = [m if m not in dead else self.pick(coll) for m in out]
        return out

    def pick(self, coll):
        """A uniformly chosen live member of the non-empty ``coll``."""
        items = self._fresh(coll)
        dead, rnd, n = self.dead, random.random, len(items)
        while True:
            m = items[int(rnd() * n)]   # randrange's uniformity (bias < n / 2**53), at a tenth of its cost
            if m not in dead:
                if m in coll:
                    return m
                self.items = None           # changed behind our back: start again
                return self.pick(coll)


def pool(ks, coll) -> Pool:
    """The Pool of a set (weakly held) or a hash (held, at most MAX_HASH_SNAPS of them)."""
    pools = ks.scans.pools
    cid = id(coll)
    p = pools.get(cid)
    if p is not None and p.ref() is coll:
        return p
    if type(coll) is dict:
        strong = coll
        # from the identity, so that a pool dropped and made again keeps cursors valid
        p = Pool(lambda: strong, (cid * 0x9E3779B97F4A7C15 >> 17) % ((1 << TAG_BITS) - 1) + 1)
        hashes = ks.scans.hash_pools
        hashes[cid] = None
        while len(hashes) > MAX_HASH_SNAPS:
            pools.pop(next(iter(hashes)), None)
            del hashes[next(iter(hashes))]
    else:
        p = Pool(weakref.ref(coll, lambda _r, cid=cid: pools.pop(cid, None)), new_tag())
    pools[cid] = p
    return p


def tracked(ks, coll):
    """The Pool of ``coll`` if it has one (the commands that change it must report changes)."""
    p = ks.scans.pools.get(id(coll)) if ks.scans.pools else None
    return p if p is not None and p.ref() is coll else None


def members_added(ks, coll, members) -> None:
    p = tracked(ks, coll)
    if p is not None:
        p.added(members)


def members_removed(ks, coll, members) -> None:
    p = tracked(ks, coll)
    if p is not None:
        p.removed(members)


def scan_step(ks, coll, cursor: int, count: int) -> tuple[int, list]:
    """HSCAN/SSCAN of a large hash or set: (next cursor, members, maybe some removed)."""
    p = pool(ks, coll)
    if p.order is None or len(p.order[0]) < len(coll):
        p.order = hash_order(coll)
    return hash_scan(p.order, cursor, count, p.tag)


class ScanState:
    """Every cursor table of one keyspace (two servers in one process share nothing)."""

    def __init__(self):
        self.indexes: dict = {}                    # db index -> KeyIndex (SCAN in progress)
        self.random: dict = {}                     # db index -> _RandomKeys
        self.pools: dict = {}                      # id(set or hash) -> Pool
        self.hash_pools: dict = {}                 # ids of hashes in ``pools`` (LRU order)


def sample_chunks(members, n: int, count: int, picks, chunk: int = 4096):
    """Redis's SRANDMEMBER/HRANDFIELD/ZRANDMEMBER count rules, as lists of at most ``chunk``
    members: a negative count draws -count uniform picks (repeats allowed); a count >= n gives
    every member; otherwise ``count`` distinct members, uniformly chosen. ``members`` iterates
    the collection, ``picks(k)`` draws k independent uniform members. Memory: one chunk, plus
    the chosen members when count is below n/3 (as Redis's dict of picks)."""
    if count < 0:
        left = -count
        while left:
            k = min(left, chunk)
            yield picks(k)
            left -= k
    elif count >= n:
        it = iter(members)
        while True:
            part = list(islice(it, chunk))
            if not part:
                return
            yield part
    elif count * 3 > n:
        # selection sampling (Knuth's algorithm S): one pass, each member kept with
        # probability needed/remaining, so every count-subset is equally likely
        need, left, rnd, out = count, n, random.random, []
        for m in members:
            if rnd() * left < need:
                out.append(m)
                need -= 1
                if len(out) == chunk:
                    yield out
                    out = []
                if not need:
                    break
            left -= 1
        if out:
            yield out
    else:
        seen, out = set(), []
        while len(seen) < count:
            for m in picks(min(chunk, count - len(seen))):
                if m not in seen:
                    seen.add(m)
                    out.append(m)
            if len(out) >= chunk:
                yield out[:chunk]
                out = out[chunk:]
        if out:
            yield out
