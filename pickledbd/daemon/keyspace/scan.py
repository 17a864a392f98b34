"""Cursors for SCAN/HSCAN/SSCAN/ZSCAN, RANDOMKEY sampling and random picks from sets,
without hooks on every write. All their state lives in one ``ScanState`` per keyspace.

SCAN: why snapshots
-------------------
Redis's guarantee: a key present for the whole iteration is returned at least once (keys
added or deleted meanwhile may or may not be). Redis gets it from reverse-binary cursors over
its own hash table. A Python ``dict`` has no such cursor: its iteration order is insertion
order, with no way to resume at a position after the dict changed.

The alternatives were (a) a per-database key index (insertion-ordered list with tombstones and
epochs) maintained on every insert and delete, which costs an extra structure and work on the
hot write path for a rarely used command, or (b) a sorted-by-hash index, which costs
O(n log n) Python work. We take a snapshot instead: ``SCAN 0`` copies the database's key list
(``list(dict)``, a C-level copy of n pointers, ~5 ms per million keys) and the cursor is
``(snapshot id << 32) | position``. Each call then reads the next COUNT keys of the snapshot,
skipping keys that are gone or expired, so a call is O(COUNT) and a full scan O(n) (the one
O(n) copy is amortised over the n/COUNT calls of the scan; never O(n^2)).

The guarantee holds by construction: a key present for the whole scan was present when the
snapshot was taken, so it is in the snapshot, and it is still there when its position is read.
Keys added later are not returned (allowed), deleted keys are skipped (allowed).

Snapshots are kept for at most ``MAX_SNAPSHOTS`` scans in progress (least recently used are
dropped, as are those idle for ``MAX_IDLE`` seconds, and a finished scan drops its own). A
cursor whose snapshot is gone (dropped, another database, a restart, or a made-up number)
restarts the scan with a fresh snapshot: the client may see keys again, which SCAN allows, and
the guarantee still holds. When the whole database fits in one call (``SCAN 0`` with COUNT >=
the number of keys) nothing is stored. Memory: 8 bytes per key per scan in progress.

RANDOMKEY
---------
Picking a random dict key is O(n) (``islice``). We keep a per-database key list and pick from
it, checking the key is still live; the list is rebuilt after as many writes as half its size
(counted with the keyspace's ``dirty`` counter) or after repeated misses, so the cost is
amortised O(1) per write and per call.
"""
from __future__ import annotations

import random
import time
import weakref
from bisect import bisect_left
from collections import OrderedDict

from .database import MISSING, TYPE_NAMES, now_ms

MAX_SNAPSHOTS = 16
MAX_IDLE = 600.0
MAX_FIELD_SCANS = 32      # snapshots of large hashes kept for running HSCANs (LRU)
_POS_BITS = 32
_POS_MASK = (1 << _POS_BITS) - 1
_ID_LIMIT = (1 << 31)
_HASH_OFFSET = 1 << 63


class _Snapshot:
    __slots__ = ("db", "data", "keys", "used")

    def __init__(self, db):
        self.db = db
        self.data = db.data
        self.keys = list(db.data)
        self.used = time.monotonic()


class ScanCursors:
    """Snapshots of key lists for iterations in progress, by id."""

    def __init__(self, max_snapshots: int = MAX_SNAPSHOTS, max_idle: float = MAX_IDLE):
        self.snaps: OrderedDict = OrderedDict()
        self.next_id = 0
        self.max_snapshots = max_snapshots
        self.max_idle = max_idle

    def _new(self, db) -> tuple[int, _Snapshot]:
        now = time.monotonic()
        while self.snaps:
            sid, snap = next(iter(self.snaps.items()))
            if len(self.snaps) >= self.max_snapshots or now - snap.used > self.max_idle:
                del self.snaps[sid]
            else:
                break
        self.next_id = self.next_id % _ID_LIMIT + 1
        snap = _Snapshot(db)
        self.snaps[self.next_id] = snap
        return self.next_id, snap

    def page(self, db, cursor: int, count: int):
        """(next_cursor, candidate keys): up to ``count`` keys of the snapshot (not yet checked
        for liveness)."""
        if cursor == 0 and len(db.data) <= count:
            return 0, list(db.data)
        sid, pos = cursor >> _POS_BITS, cursor & _POS_MASK
        snap = self.snaps.get(sid) if cursor else None
        if snap is None or snap.db is not db or snap.data is not db.data:
            sid, snap = self._new(db)
            pos = 0
        else:
            self.snaps.move_to_end(sid)
            snap.used = time.monotonic()
        keys = snap.keys[pos:pos + count]
        pos += count
        if pos >= len(snap.keys):
            self.snaps.pop(sid, None)
            return 0, keys
        return (sid << _POS_BITS) | pos, keys


def scan_keys(db, cursor: int, count: int, match=None, type_name: str | None = None):
    """One SCAN call: (next cursor, live keys passing MATCH and TYPE)."""
    nxt, keys = db.ks.scans.keys.page(db, cursor, count)
    data, expires = db.data, db.expires
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


class _RandomKeys:
    __slots__ = ("data", "keys", "dirty", "misses")

    def __init__(self, db):
        self.data = db.data
        self.keys = list(db.data)
        self.dirty = db.ks.dirty
        self.misses = 0


def random_key(db):
    """A random live key or None (expired keys met on the way are deleted)."""
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


# ---------------------------------------------------------------- HSCAN of large hashes
def scan_fields(ks, h: dict, cursor: int, count: int) -> tuple[int, list]:
    """A step over a large hash: the cursor names a snapshot of the fields taken when the scan
    started (cursor 0) and a position in it. Every field present all along is in the snapshot,
    so it is returned; fields added later may be missed and deleted ones are the caller's to
    skip, as SCAN's guarantees allow. An unknown cursor (snapshot evicted, server restarted)
    starts again from the beginning: duplicates are allowed, misses are not."""
    st = ks.scans
    scans = st.field_scans
    scan_id, pos = cursor >> _POS_BITS, cursor & _POS_MASK
    snap = scans.get(scan_id) if cursor else None
    if snap is None or snap[0] is not h:
        st.next_field_scan = st.next_field_scan % (_ID_LIMIT - 1) + 1
        scan_id = st.next_field_scan
        snap = (h, list(h))
        scans[scan_id] = snap
        while len(scans) > MAX_FIELD_SCANS:
            scans.popitem(last=False)
        pos = 0
    else:
        scans.move_to_end(scan_id)
    fields = snap[1]
    end = min(pos + count, len(fields))
    if end >= len(fields):
        scans.pop(scan_id, None)
        return 0, fields[pos:end]
    return (scan_id << _POS_BITS) | end, fields[pos:end]


# ---------------------------------------------------------------- sets: SSCAN/ZSCAN order, random picks
class _SetSnap:
    __slots__ = ("ref", "members", "by_hash", "__weakref__")

    def __init__(self, ref):
        self.ref = ref
        self.members = None     # tuple of the members (random picks)
        self.by_hash = None     # members sorted by hash (SSCAN)


def set_snapshot(ks, s: set) -> _SetSnap:
    snaps = ks.scans.set_snaps
    sid = id(s)
    snap = snaps.get(sid)
    if snap is None or snap.ref() is not s:
        snap = _SetSnap(weakref.ref(s, lambda _r, sid=sid: snaps.pop(sid, None)))
        snaps[sid] = snap
    return snap


def set_changed(ks, s: set) -> None:
    """Forget a set's snapshots after an in-place change (every set mutation calls it)."""
    snaps = ks.scans.set_snaps
    if snaps:
        snaps.pop(id(s), None)


def member_list(ks, s: set) -> tuple:
    snap = set_snapshot(ks, s)
    if snap.members is None or len(snap.members) != len(s):
        snap.members = tuple(s)
    return snap.members


def hash_order(members) -> tuple[list, list]:
    """(members sorted by hash, their hashes): the order SSCAN/ZSCAN cursors walk."""
    ms = sorted(members, key=hash)
    return ms, [hash(m) for m in ms]


def hash_scan(ordered: tuple[list, list], cursor: int, count: int) -> tuple[int, list]:
    """One step of a hash-ordered scan: members with hash >= cursor (unsigned, offset),
    about ``count`` of them, never splitting equal hashes. Returns (next cursor, members)."""
    ms, hs = ordered
    n = len(hs)
    i = bisect_left(hs, cursor - _HASH_OFFSET)
    j = min(i + count, n)
    while 0 < j < n and hs[j] == hs[j - 1]:
        j += 1
    return (0 if j >= n else hs[j] + _HASH_OFFSET), ms[i:j]


class ScanState:
    """Every cursor table of one keyspace (two servers in one process share nothing)."""

    def __init__(self):
        self.keys = ScanCursors()
        self.random: dict = {}                     # db index -> _RandomKeys
        self.field_scans: OrderedDict = OrderedDict()   # scan id -> (hash, fields snapshot)
        self.next_field_scan = 0
        self.set_snaps: dict = {}                  # id(set) -> _SetSnap (weakly held)
