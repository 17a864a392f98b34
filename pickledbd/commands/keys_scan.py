"""SCAN cursors over a plain dict, and RANDOMKEY sampling, without hooks on every write.

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
import re
import time
from collections import OrderedDict

from ..keyspace import MISSING, TYPE_NAMES, now_ms

MAX_SNAPSHOTS = 16
MAX_IDLE = 600.0
_POS_BITS = 32
_POS_MASK = (1 << _POS_BITS) - 1
_ID_LIMIT = (1 << 31)

_CURSOR = re.compile(r"([+-]?)([0-9]*)\Z", re.ASCII)
ULONG_MAX = (1 << 64) - 1


def parse_cursor(s: str):
    """strtoul(s, 10) as Redis's parseScanCursorOrReply accepts it; None when invalid."""
    if s and s[0] in " \t\n\v\f\r":
        return None
    m = _CURSOR.match(s)
    if m is None:
        return None
    sign, digits = m.groups()
    if not digits:
        return 0 if not s else None
    n = int(digits)
    if n > ULONG_MAX:
        return None
    if sign == "-":
        n = (-n) & ULONG_MAX
    return n


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


CURSORS = ScanCursors()


def scan_keys(db, cursor: int, count: int, match=None, type_name: str | None = None):
    """One SCAN call: (next cursor, live keys passing MATCH and TYPE)."""
    nxt, keys = CURSORS.page(db, cursor, count)
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


_RANDOM: dict = {}


def random_key(db):
    """A random live key or None (expired keys met on the way are deleted)."""
    for _ in range(3):
        if not db.data:
            return None
        rk = _RANDOM.get(db.index)
        dirty = db.ks.dirty
        if (rk is None or rk.data is not db.data or dirty < rk.dirty
                or dirty - rk.dirty > len(rk.keys) // 2 + 16 or rk.misses > len(rk.keys) // 2 + 16
                or not rk.keys):
            rk = _RANDOM[db.index] = _RandomKeys(db)
            if not rk.keys:
                return None
        keys = rk.keys
        for _ in range(32):
            key = keys[random.randrange(len(keys))]
            if db.lookup(key) is not MISSING:
                return key
            rk.misses += 1
        _RANDOM.pop(db.index, None)
    return None
