"""The typed keyspace: Redis types over the core's data, expiry, WRONGTYPE checks and
the one place where every write is signalled (``Database.modified``), plus the keyspace's
change signals with their event names (``Database.notify``, ``Keyspace.on_expired``).

Values live in plain dicts exactly as the storage layer loads and saves them (see
docs/storage-contract.md): a Redis string is a ``str`` (or a JSON scalar the library
stored: int, float, bool, None), a hash a ``dict``, a list a ``deque``, a set a ``set``
and a sorted set a ``ZSet``. Keys and members are ``str``; non-UTF-8 bytes travel as
lone surrogates (``surrogateescape``), so everything is binary safe.
"""
from __future__ import annotations

import heapq
import random
import time
from collections import deque
from itertools import islice

import orjson

from ..errors import WRONGTYPE
from . import events
from .evict import Memory
from ...storage.state import StreamDict
from .smallhash import LISTPACK_ENTRIES, LISTPACK_VALUE, SmallHash, pack as pack_hash
from .stream import Stream
from .zset import ZSet

MISSING = object()

TYPE_NAMES = {
    str: "string", int: "string", float: "string", bool: "string", type(None): "string",
    dict: "hash", SmallHash: "hash", deque: "list", list: "list", set: "set", ZSet: "zset", Stream: "stream",
}
STRING_TYPES = (str, int, float, bool, type(None))


def now_ms() -> int:
    return int(time.time() * 1000)


def type_name(value) -> str:
    return TYPE_NAMES[type(value)]


def as_str(value) -> str:
    """A string value as Redis sees it: str as is, a library-stored JSON scalar as its text."""
    if type(value) is str:
        return value
    return orjson.dumps(value).decode()


def to_bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def from_bytes(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def byte_len(s: str) -> int:
    return len(s) if s.isascii() else len(s.encode("utf-8", "surrogateescape"))


class Database:
    """One numbered database: ``data`` key -> value, ``expires`` key -> unix ms."""

    __slots__ = ("index", "data", "expires", "ks", "meta", "access")

    def __init__(self, index: int, ks: "Keyspace", data=None, expires=None):
        self.index = index
        self.ks = ks
        self.data: dict = {} if data is None else data
        self.expires: dict = {} if expires is None else expires
        self.meta = None        # evict.DbMeta while maxmemory is set: memory accounting
        self.access = None      # key -> LRU clock (s) or LFU (minutes << 8 | counter)

    # ---- reads
    def lookup(self, key: str):
        """The value at ``key`` or MISSING; an expired key is deleted on the way. A miss in a
        readonly command is a ``keymiss`` event (class m) while those are enabled."""
        v = self.data.get(key, MISSING)
        if v is not MISSING:
            if self.expires:
                when = self.expires.get(key)
                if when is not None and when <= now_ms():
                    self._expire(key)
                    v = MISSING
            if v is not MISSING:
                ks = self.ks
                if ks.read_cmd:
                    ks.hits += 1
                access = self.access
                if access is not None:
                    if ks.lfu:
                        ks.mem.lfu_touch(access, key)
                    else:
                        access[key] = ks.lru_clock
                return v
        ks = self.ks
        if ks.read_cmd:
            ks.misses += 1
        if ks.reading:
            self.notify(events.KEY_MISS, "keymiss", key)
        return v

    def lookup_read(self, key: str):
        """``lookup`` as Redis's lookupKeyRead: a miss is a keymiss event even inside a write
        command (the source keys of SINTERSTORE, ...)."""
        v = self.lookup(key)
        ks = self.ks
        if not ks.read_cmd:       # a write command reading (lookupKeyRead counts it too)
            if v is MISSING:
                ks.misses += 1
            else:
                ks.hits += 1
        if v is MISSING and not self.ks.reading and self.ks.notify_mask & events.KEY_MISS:
            self.notify(events.KEY_MISS, "keymiss", key)
        return v

    def lookup_quiet(self, key: str):
        """``lookup`` with no keymiss event (LOOKUP_NONOTIFY: OBJECT, SCAN's checks, ...)."""
        ks = self.ks
        if not ks.reading:
            return self.lookup(key)
        ks.reading = False
        try:
            return self.lookup(key)
        finally:
            ks.reading = True

    def lookup_type(self, key: str, types):
        """The value at ``key`` if it is one of ``types``, MISSING if absent; else WRONGTYPE."""
        v = self.lookup(key)
        if v is not MISSING and type(v) not in types:
            raise WRONGTYPE
        return v

    def lookup_string(self, key: str, read: bool = False):
        """The string at ``key`` (as str) or None; WRONGTYPE for other types. ``read``: look
        it up as ``lookup_read`` does (a write command reading first: GETSET, GETDEL, ...)."""
        v = self.lookup_read(key) if read else self.lookup(key)
        if v is MISSING:
            return None
        if type(v) is str:
            return v
        if type(v) in STRING_TYPES:
            return as_str(v)
        raise WRONGTYPE

    def exists(self, key: str) -> bool:
        return self.lookup(key) is not MISSING

    def ttl_ms(self, key: str):
        """Remaining ms, -1 without expiry, -2 when absent."""
        if self.lookup(key) is MISSING:
            return -2
        when = self.expires.get(key)
        if when is None:
            return -1
        return max(0, when - now_ms())

    # ---- writes: every change goes through here
    def set(self, key: str, value, keep_ttl: bool = False) -> None:
        ks = self.ks
        if ks.notify_mask & events.NEW and key not in self.data:
            self.notify(events.NEW, "new", key)
        if self.meta is not None:
            self.meta.on_set(key, value, self.data)
        access = self.access
        if access is not None:
            if ks.lfu:
                ks.mem.lfu_write(access, key)
            else:
                access[key] = ks.lru_clock
        self.data[key] = value
        if not keep_ttl and self.expires:
            self.expires.pop(key, None)
        ks.dirty += 1    # modified(key), inlined: SET is the hottest write
        if ks.dirty_keys is not None or ks.watched or ks.blocked or ks.tracking is not None or ks.key_indexes:
            self._track(key)

    def delete(self, key: str) -> bool:
        v = self.lookup(key)
        if v is MISSING:
            return False
        del self.data[key]
        if self.expires:
            self.expires.pop(key, None)
        if self.meta is not None or self.access is not None:
            self.forget(key, v)
        self.modified(key)
        return True

    def store(self, key: str, value) -> int:
        """Write a *STORE result (SINTERSTORE, ZUNIONSTORE, ...): an empty result deletes
        the key, as Redis never keeps an empty collection. Returns the result's size."""
        if value:
            self.set(key, value)
        else:
            self.delete(key)
        return len(value)

    def set_expire(self, key: str, when_ms: int) -> None:
        self.expires[key] = when_ms
        heapq.heappush(self.ks.expiry_heap, (when_ms, self.index, key))
        if self.meta is not None and self.meta.vkeys is not None:
            self.meta.vkeys.add(key, self.expires)
        self.modified(key)

    def persist(self, key: str) -> bool:
        if self.expires.pop(key, None) is None:
            return False
        self.modified(key)
        return True

    def modified(self, key: str) -> None:
        """Signal a change to ``key`` (set, delete, in-place edit of a collection). Save rules
        (the dirty counter, which also tells the engine to propagate), incremental saves,
        blocked clients, WATCH and client-side caching hook in here."""
        if self.meta is not None:
            v = self.data.get(key)
            if v is not None and type(v) is not str:
                self.meta.on_modified(key, v)
        ks = self.ks
        ks.dirty += 1
        if ks.dirty_keys is not None or ks.watched or ks.blocked or ks.tracking is not None or ks.key_indexes:
            self._track(key)

    def forget(self, key: str, value) -> None:
        """``key`` holding ``value`` left the data dict: its accounting and access data go."""
        if self.meta is not None:
            self.meta.on_delete(key, value)
        if self.access is not None:
            self.access.pop(key, None)

    def removed_from(self, key: str, value, cls: int, event: str) -> None:
        """A command removed elements of the collection at ``key`` (LPOP, SREM, ZREM, HDEL,
        ...): its event, then, if it is now empty, the key goes with a ``del`` event (Redis's
        listElementsRemoved and its kin); notifications off cost one check."""
        mask = self.ks.notify_mask
        if mask & cls:
            self.notify(cls, event, key)
        if value:
            self.modified(key)
        else:
            self.delete(key)
            if mask & events.GENERIC:
                self.notify(events.GENERIC, "del", key)

    def notify(self, cls: int, event: str, key: str) -> None:
        """A keyspace event (``events.*`` class, Redis's event name), as notifyKeyspaceEvent."""
        ks = self.ks
        if ks.notify_mask & cls:
            ks.notify_sink(cls, event, key, self.index)

    def _track(self, key: str, expired: bool = False) -> None:
        ks = self.ks
        if ks.dirty_keys is not None:
            keys = ks.dirty_keys.setdefault(self.index, set())
            if keys is not None:        # None: the whole db is rewritten at the next save
                keys.add(key)
        if ks.watched and (self.index, key) in ks.watched:
            ks.touch_watchers(self.index, key)
        if ks.blocked and (self.index, key) in ks.blocked:
            ks.ready_keys.append((self.index, key))
        if ks.tracking is not None:
            ks.tracking.key_modified(key, expired)
        if ks.key_indexes:
            ks.key_touched(self, key)

    def drop_if_empty(self, key: str, value) -> None:
        """An emptied collection deletes its key, as in Redis."""
        if not value:
            del self.data[key]
            if self.expires:
                self.expires.pop(key, None)
            if self.meta is not None or self.access is not None:
                self.forget(key, value)

    def _expire(self, key: str) -> None:
        """Delete a key whose time has come (lazily or by the active cycle), as Redis's
        deleteExpiredKeyAndPropagate: an ``expired`` event and a DEL for replicas and the
        AOF, but no dirty count (the command that met it did not change anything)."""
        value = self.data.pop(key)
        del self.expires[key]
        if self.meta is not None or self.access is not None:
            self.forget(key, value)
        ks = self.ks
        ks.expired_keys += 1
        if ks.notify_mask & events.EXPIRED:
            self.notify(events.EXPIRED, "expired", key)
        if ks.dirty_keys is not None or ks.watched or ks.blocked or ks.tracking is not None or ks.key_indexes:
            self._track(key, expired=True)
        if ks.on_expired is not None:
            ks.on_expired(self.index, key)

    def clear(self) -> int:
        """FLUSHDB: returns the number of keys removed (Redis adds it to the dirty count)."""
        ks = self.ks
        n = len(self.data)
        if ks.watched:
            for dbi, key in list(ks.watched):
                if dbi == self.index and key in self.data:
                    ks.touch_watchers(dbi, key)
        self.data.clear()
        self.expires.clear()
        if self.access is not None:
            self.access.clear()
        if self.meta is not None:
            self.meta.rebuild(self)
        ks.key_indexes.pop(self.index, None)
        ks.dirty += n
        if ks.dirty_keys is not None:
            ks.dirty_keys[self.index] = None
        return n

    def random_key(self):
        """A random live key or None (expired keys met on the way are deleted)."""
        for _ in range(100):
            if not self.data:
                return None
            key = next(islice(self.data, random.randrange(len(self.data)), None))
            if self.lookup(key) is not MISSING:
                return key
        return None

    def __len__(self):
        return len(self.data)


class Keyspace:
    """All databases plus the server-wide change state."""

    # what the compiled hot path reads per command (daemon/_speedups.c): slots, a load each
    __slots__ = ("dirty", "dirty_keys", "watched", "blocked", "ready_keys", "key_indexes", "encodings",
                 "notify_mask", "tracking", "reading", "read_cmd", "hits", "misses", "scans",
                 "__dict__", "__weakref__")

    def __init__(self, databases: int = 16):
        from .scan import ScanState, key_touched
        self.dbs = [Database(i, self) for i in range(databases)]
        self.dirty = 0                 # changes since the last successful save
        self.dirty_keys = None         # {db: set(keys) | None} when the storage saves incrementally
        self.watched: dict = {}        # (db, key) -> set of clients WATCHing it
        self.blocked: dict = {}        # (db, key) -> deque of clients blocked on it
        self.ready_keys: list = []     # keys that got a push while clients wait on them
        self.expired_keys = 0
        self.expiry_heap: list = []    # (when_ms, db, key); stale entries are skipped when popped
        self.active_expire = True      # DEBUG SET-ACTIVE-EXPIRE 0 leaves expiry to key accesses
        self.scans = ScanState()       # SCAN cursors, random-pick snapshots
        self.key_indexes = self.scans.indexes   # db index -> SCAN's key index, kept in step
        self.key_touched = key_touched          # by this hook (scan.py) while it exists
        self.encodings: dict = {}      # remembered OBJECT ENCODING of some strings (strings.py)
        self.hash_limits = (LISTPACK_ENTRIES, LISTPACK_VALUE)   # hash-max-listpack-*, kept by
        #                                the config (Memory.configure) for hashes loaded from a file
        # Signals to the layers above, set when the server is wired:
        self.notify_mask = 0           # notify-keyspace-events classes (events.*)
        self.notify_sink = None        # fn(cls, event, key, db index): publish the event
        self.on_expired = None         # fn(db index, key): a key expired (propagate a DEL)
        self.tracking = None           # object with key_modified(key): client-side caching
        self.functions = None          # the function libraries (scripting/functions.py): codes()
        #                                and load_codes(codes), saved and loaded with the data
        self.reading = False           # set by the engine around readonly commands while
        #                                keymiss events are enabled: lookups that miss notify
        self.read_cmd = False          # the running command is a read: its lookups count as
        self.hits = 0                  # keyspace_hits / keyspace_misses
        self.misses = 0
        self.lfu = False               # maxmemory-policy is *-lfu (access holds LFU data)
        self.lru_clock = int(time.time())   # Redis's LRU clock: seconds, refreshed by the cron
        self.mem = Memory(self)        # maxmemory: accounting and eviction (evict.py)

    def touch_watchers(self, db: int, key: str) -> None:
        for client in self.watched.get((db, key), ()):
            client.watch_dirty = True

    # ---- persistence
    def load_state(self, state) -> None:
        """The data file's content; the function libraries first (CorruptDatabaseError for one
        that cannot be loaded: nothing is changed then)."""
        if self.functions is not None:
            self.functions.load_codes(state.functions)
        for i, data in state.dbs.items():
            if i >= len(self.dbs):
                raise ValueError("the data file holds database %d but only %d databases are configured"
                                 % (i, len(self.dbs)))
            self.dbs[i].data = _typed(data, self.hash_limits)
            self.dbs[i].expires = dict(state.expires.get(i, {}))
        self.rebuild_expiry_heap()
        self.mem.loaded()

    def state(self):
        from ...storage import State
        return State(dbs={db.index: db.data for db in self.dbs},
                     expires={db.index: db.expires for db in self.dbs if db.expires},
                     functions=self.functions.codes() if self.functions is not None else [])

    def swap(self, a: int, b: int) -> None:
        da, db_ = self.dbs[a], self.dbs[b]
        da.data, db_.data = db_.data, da.data
        da.expires, db_.expires = db_.expires, da.expires
        da.meta, db_.meta = db_.meta, da.meta
        da.access, db_.access = db_.access, da.access
        self.dirty += 1
        if self.dirty_keys is not None:
            self.dirty_keys[a] = self.dirty_keys[b] = None
        self.rebuild_expiry_heap()

    def active_expire_cycle(self, limit: int = 20000, on_each=None) -> int:
        """Delete keys whose time has come, soonest first (a heap, so the work is
        proportional to what expires, not to the keyspace). ``on_each()`` runs after each
        key (the engine hands on its DEL). Returns keys removed."""
        heap, now, removed = self.expiry_heap, now_ms(), 0
        while heap and heap[0][0] <= now and removed < limit:
            when, index, key = heapq.heappop(heap)
            db = self.dbs[index]
            if db.expires.get(key) == when:
                db._expire(key)
                removed += 1
                if on_each is not None:
                    on_each()
        if len(heap) > 1000 and len(heap) > 2 * sum(len(db.expires) for db in self.dbs):
            self.rebuild_expiry_heap()
        return removed

    def rebuild_expiry_heap(self) -> None:
        heap = [(when, db.index, key) for db in self.dbs for key, when in db.expires.items()]
        heapq.heapify(heap)
        self.expiry_heap = heap


def _typed(data: dict, hash_limits: tuple) -> dict:
    """Give lists their daemon form (a deque: O(1) at both ends) and small hashes theirs (a
    SmallHash, when all str and within ``hash_limits``). List items and set members the
    library stored as other JSON (numbers, true, null, objects) become their JSON text:
    Redis elements are strings. Everything else is used as loaded."""
    for key, value in data.items():
        t = type(value)
        if t is dict:
            data[key] = pack_hash(value, *hash_limits)
        elif t is list:
            data[key] = deque(v if type(v) is str else as_str(v) for v in value)
        elif t is set and not all(type(m) is str for m in value):
            data[key] = {m if type(m) is str else as_str(m) for m in value}
        elif t is StreamDict:
            data[key] = _stream(key, value)
    return data


def _stream(key: str, plain: dict) -> Stream:
    from ...errors import CorruptDatabaseError
    try:
        return Stream.from_plain(plain)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise CorruptDatabaseError("the stream at key %r is malformed: %s" % (key, e)) from None
