"""maxmemory: memory accounting, per-key access data (LRU/LFU) and eviction, after Redis's
evict.c.

``used_memory`` is an estimate kept up to date on every write while ``maxmemory`` is set:
a fixed base (what an empty server holds, as Redis counts it) plus, per key, the Python
objects it costs (``sys.getsizeof`` of the key and of a string value; a collection counts
its container plus its length times an average element size that is re-measured on a
sample every len/2 changes) and a fixed per-key overhead for the dict slots. With
``maxmemory 0`` nothing is counted and INFO shows the process's resident memory instead.

Eviction follows performEvictions: before a command runs while used memory is above the
limit, sample ``maxmemory-samples`` keys per database (O(1) random picks from a
``Sampler``), keep the best candidates in a 16-entry pool, evict the best, repeat until
under the limit. Evicted keys fire ``evicted`` events and are propagated as DEL.
"""
from __future__ import annotations

import random
import time
from collections import deque
from itertools import islice
from sys import getsizeof

from .smallhash import SmallHash
from .stream import Stream

POLICIES = ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
            "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction")
BASE_MEMORY = 900 * 1024     # an empty redis-server 7.0 reports about this much
KEY_OVERHEAD = 48            # data-dict slot and entry, expires/access/sampler slots (measured)
SCALAR_SIZE = 32             # a library-stored int/float/bool/None
EVPOOL_SIZE = 16
SAMPLE_CAP = 1024            # per-database picks per round, whatever maxmemory-samples says
ELEMENT_SAMPLE = 16          # elements measured when a collection's average is refreshed
LFU_INIT_VAL = 5
EVICT_BUDGET_S = 0.05        # eviction time per command: past it the command runs anyway
#                              (Redis's EVICT_RUNNING) and the next one goes on evicting


def str_size(s: str) -> int:
    """sys.getsizeof of a str, fast for ASCII (getsizeof itself costs ~200 ns)."""
    return 49 + len(s) if s.isascii() else getsizeof(s)


def lfu_minutes() -> int:
    return (int(time.time()) // 60) & 65535


class Sampler:
    """Random keys of a dict in O(1): an array of its keys plus each key's slot. Deleted keys
    are dropped lazily, when a pick meets them or the array grows to twice the dict."""

    __slots__ = ("keys", "pos")

    def __init__(self, live=()):
        self.keys = list(live)
        self.pos = {k: i for i, k in enumerate(self.keys)}

    def add(self, key: str, live: dict) -> None:
        if key not in self.pos:
            self.pos[key] = len(self.keys)
            self.keys.append(key)
            if len(self.keys) > 2 * len(live) + 64:
                self.__init__(live)

    def pick(self, live: dict):
        """A random key of ``live`` or None. Each stale slot met is removed for good."""
        keys = self.keys
        stale = 0
        while keys:
            i = int(random.random() * len(keys))
            key = keys[i]
            if key in live:
                return key
            last = keys.pop()
            if i < len(keys):
                keys[i] = last
                self.pos[last] = i
            del self.pos[key]
            stale += 1
            if stale > 16 and len(keys) > 2 * len(live):
                self.__init__(live)
                keys = self.keys
        return None


def element_average(v) -> float:
    """Mean cost of one element of a collection (its strings and tuples), from a bounded
    sample; the slots holding them are in ``container_size``."""
    t = type(v)
    n = len(v)
    if not n:
        return 0.0
    half = ELEMENT_SAMPLE // 2
    if t is dict:
        items = list(islice(iter(v.items()), half))
        if n > half:
            items += [(k, v[k]) for k in islice(reversed(v), half)]
        return sum(str_size(k) + _size(x) for k, x in items) / len(items)
    if t is SmallHash:          # packed in one string: its share of it
        return (v.nbytes() - 48) / n
    if t is deque or t is list:
        sample = [v[i] for i in range(min(n, half))] + [v[-1 - i] for i in range(min(max(n - half, 0), half))]
        return sum(_size(x) for x in sample) / len(sample)
    if t is set:
        sample = list(islice(v, ELEMENT_SAMPLE))
        return sum(_size(m) for m in sample) / len(sample)
    if t is Stream:
        # an entry: its int ID (shared by the dict and the sorted list), its fields tuple
        # and their strings (groups and PELs are not counted)
        sample = list(islice(iter(v.entries.values()), ELEMENT_SAMPLE))
        return 52 + sum(40 + 8 * len(f) + sum(_size(x) for x in f) for f in sample) / len(sample)
    # ZSet, big: the member, its float, the ordered list's (score, key) tuple, and for a
    # non-ASCII member its byte-order key (zset.mkey); small: the member and 17 bytes of list,
    # array and hash-byte slots, less the 58 slot bytes container_size counts for a ZSet
    sample = list(islice(v.members(), ELEMENT_SAMPLE))
    if not v.big:
        return sum(_size(m) for m in sample) / max(len(sample), 1) - 41
    return 80 + sum(_size(m) * (1 if m.isascii() else 2) for m in sample) / max(len(sample), 1)


def _size(x) -> int:
    return str_size(x) if type(x) is str else getsizeof(x)


# the containers' own slots, by formula (sys.getsizeof costs ~200 ns): a dict ~50 bytes per
# entry (entry + index at 2/3 load), a set ~30 (16-byte slots at 60% load), a deque 8, a
# ZSet its scores dict plus the ordered list's slots: type -> (bytes per element, fixed)
_SLOTS = {dict: (50, 64), SmallHash: (0, 48), set: (30, 200), deque: (8, 600), list: (8, 600), Stream: (58, 600)}


def container_size(v) -> int:
    per_slot, fixed = _SLOTS.get(type(v), (58, 128))
    return fixed + per_slot * len(v)


class DbMeta:
    """One database's accounting: its share of used memory, the collections' size records,
    and the samplers eviction picks keys from (None under noeviction)."""

    __slots__ = ("mem", "used", "sizes", "keys", "vkeys")

    def __init__(self, mem: "Memory"):
        self.mem = mem
        self.used = 0
        self.sizes: dict = {}      # collection key -> [estimate, element average, changes,
        #                            length when the average was measured]
        self.keys = None
        self.vkeys = None

    def add(self, delta: int) -> None:
        self.used += delta
        mem = self.mem
        mem.used += delta
        if delta > 0 and mem.used + BASE_MEMORY > mem.limit and mem.on_over is not None:
            mem.on_over()

    def value_size(self, key: str, v) -> int:
        t = type(v)
        if t is str:
            if self.sizes:
                self.sizes.pop(key, None)
            return str_size(v)
        if t in (int, float, bool, type(None)):
            return SCALAR_SIZE
        avg = element_average(v)
        est = container_size(v) + int(len(v) * avg)
        self.sizes[key] = [est, avg, 0, len(v)]
        return est

    def size_of(self, key: str, v) -> int:
        """The size last counted for ``key`` holding ``v``."""
        rec = self.sizes.get(key)
        if rec is not None:
            return rec[0]
        return str_size(v) if type(v) is str else SCALAR_SIZE

    def on_set(self, key: str, value, data: dict) -> None:
        old = data.get(key, data)
        if type(value) is str and type(old) is str:      # the hot case, inlined
            # an ASCII str costs 49 + len bytes; sys.getsizeof costs ~200 ns, len ~30
            delta = ((49 + len(value) if value.isascii() else getsizeof(value))
                     - (49 + len(old) if old.isascii() else getsizeof(old)))
            if delta:
                self.used += delta
                mem = self.mem
                mem.used += delta
                if delta > 0 and mem.used + BASE_MEMORY > mem.limit and mem.on_over is not None:
                    mem.on_over()
            return
        if old is data:
            delta = KEY_OVERHEAD + str_size(key)
            if self.keys is not None:
                self.keys.add(key, data)
        else:
            delta = -self.size_of(key, old)
        self.add(delta + self.value_size(key, value))

    def on_delete(self, key: str, value) -> None:
        size = self.size_of(key, value)
        if self.sizes:
            self.sizes.pop(key, None)
        self.add(-(KEY_OVERHEAD + str_size(key) + size))

    def on_modified(self, key: str, v) -> None:
        """A collection changed in place: its container size and length now, times the
        element average (refreshed on a sample after len/2 changes or when the length has
        doubled; lists look at their newest ends at once)."""
        rec = self.sizes.get(key)
        if rec is None:
            if type(v) in (dict, SmallHash, set, deque, list) or hasattr(v, "score_dict"):
                self.add(self.value_size(key, v))    # a collection we had not seen (defensive)
            return
        n = len(v)
        mods = rec[2] + 1
        # re-measure after len/2 changes, or once it has doubled (a big HSET into a new key)
        if mods * 2 >= n or mods >= 4096 or n > 2 * rec[3] + 16:
            rec[1] = element_average(v)
            rec[3] = n
            mods = 0
        elif type(v) is deque:
            rec[1] = max(rec[1], (_size(v[0]) + _size(v[-1])) / 2)
        rec[2] = mods
        per_slot, fixed = _SLOTS.get(type(v), (58, 128))
        est = fixed + int(n * (per_slot + rec[1]))
        delta = est - rec[0]
        if delta:
            rec[0] = est
            self.add(delta)

    def rebuild(self, db) -> None:
        self.mem.used -= self.used
        self.used = 0
        self.sizes = {}
        total = 0
        for key, v in db.data.items():
            total += KEY_OVERHEAD + str_size(key) + self.value_size(key, v)
        self.used = total
        self.mem.used += total
        evicting = self.mem.policy != "noeviction"
        self.keys = Sampler(db.data) if evicting else None
        self.vkeys = Sampler(db.expires) if evicting else None


class Memory:
    """Server-wide: the limit and policy, the used-memory estimate, the eviction pool."""

    def __init__(self, ks):
        self.ks = ks
        self.limit = 0
        self.policy = "noeviction"
        self.samples = 5
        self.log_factor = 10
        self.decay_time = 1
        self.used = 0
        self.evicted = 0
        self.peak = 0              # INFO used_memory_peak while counting
        self.tracking = False      # per-key access data kept (Database.access)
        self.access_wanted = False # OBJECT IDLETIME was used: keep access data whatever the policy
        self.pool: list = []       # (score, db index, key), best candidate last
        self.next_db = 0           # round robin of the random policies
        self.on_over = None        # fn(): used memory went above the limit (engine gates)
        self.on_evict = None       # fn(db index, key): an evicted key (engine propagates DEL)
        self._config = None

    # ---- configuration
    def configure(self, values) -> None:
        self.ks.hash_limits = (values["hash-max-listpack-entries"], values["hash-max-listpack-value"])
        conf = (values["maxmemory"], values["maxmemory-policy"], values["maxmemory-samples"],
                values["lfu-log-factor"], values["lfu-decay-time"])
        if conf == self._config:
            return
        old = self._config
        self._config = conf
        self.limit, self.policy, self.samples, self.log_factor, self.decay_time = conf
        ks = self.ks
        lfu = self.policy.endswith("-lfu")
        if old is None or old[1].endswith("-lfu") != lfu or self._tracking() != self.tracking:
            ks.lfu = lfu
            self.track_access(self._tracking(), fresh=True)
        accounting = bool(self.limit)
        if not accounting:
            for db in ks.dbs:
                db.meta = None
            self.used = 0
        elif old is None or not old[0] or (old[1] == "noeviction") != (self.policy == "noeviction"):
            self.rebuild()
        self.pool = []

    def _tracking(self) -> bool:
        return self.policy.endswith(("-lru", "-lfu")) or self.access_wanted

    def track_access(self, on: bool, fresh: bool = False) -> None:
        """Keep per-key access data (a parallel dict, ~45 bytes a key) or drop it. It is kept
        under the LRU/LFU policies and from the first OBJECT IDLETIME on; the keys start
        afresh (as in Redis, switching policies takes a while to show real data)."""
        if on == self.tracking and not fresh:
            return
        self.tracking = on
        ks = self.ks
        now = ks.lru_clock = int(time.time())
        init = (lfu_minutes() << 8) | LFU_INIT_VAL if ks.lfu else now
        for db in ks.dbs:
            db.access = dict.fromkeys(db.data, init) if on else None

    def want_access(self) -> None:
        """OBJECT IDLETIME asks for idle times: track them from now on."""
        if not self.access_wanted:
            self.access_wanted = True
            self.track_access(True)

    def rebuild(self) -> None:
        if not self.limit:
            return
        self.used = 0
        for db in self.ks.dbs:
            db.meta = DbMeta(self)
            db.meta.rebuild(db)

    # ---- reading
    @property
    def accounting(self) -> bool:
        return bool(self.limit)

    def used_memory(self) -> int:
        return BASE_MEMORY + self.used

    def over(self) -> bool:
        return bool(self.limit) and BASE_MEMORY + self.used > self.limit

    def idle_ms(self, db, key: str) -> int:
        t = db.access.get(key) if db.access is not None else None
        if t is None:
            return 0
        return max(0, int(time.time()) - t) * 1000

    def frequency(self, db, key: str) -> int:
        t = db.access.get(key) if db.access is not None else None
        return 0 if t is None else self.lfu_decayed(t)

    # ---- LFU (Redis's LFULogIncr / LFUDecrAndReturn)
    def lfu_decayed(self, packed: int) -> int:
        counter = packed & 255
        if self.decay_time:
            ldt = packed >> 8
            now = lfu_minutes()
            elapsed = now - ldt if now >= ldt else 65535 - ldt + now
            periods = elapsed // self.decay_time
            if periods:
                counter = 0 if periods > counter else counter - periods
        return counter

    def lfu_touch(self, access: dict, key: str) -> None:
        packed = access.get(key)
        counter = LFU_INIT_VAL if packed is None else self.lfu_decayed(packed)
        if counter < 255:
            base = max(counter - LFU_INIT_VAL, 0)
            if random.random() < 1.0 / (base * self.log_factor + 1):
                counter += 1
        access[key] = (lfu_minutes() << 8) | counter

    def lfu_write(self, access: dict, key: str) -> None:
        """A write: a new key starts at LFU_INIT_VAL, an existing one is touched."""
        if key in access:
            self.lfu_touch(access, key)
        else:
            access[key] = (lfu_minutes() << 8) | LFU_INIT_VAL

    def loaded(self) -> None:
        """The data was replaced (load at start-up, DEBUG RELOAD): access data start afresh,
        accounting is redone."""
        if self.tracking:
            self.track_access(True, fresh=True)
        self.rebuild()

    # ---- eviction (performEvictions)
    def evict(self) -> bool:
        """Evict keys until used memory is under the limit. False when the policy cannot free
        anything (noeviction, or no candidate key): the caller answers -OOM to denyoom
        commands. True when under the limit, or when this turn's time budget ran out."""
        if not self.over():
            return True
        if self.policy == "noeviction":
            return False
        deadline = time.perf_counter() + EVICT_BUDGET_S
        self.ks.lru_clock = int(time.time())
        while self.over():
            found = self._pick()
            if found is None:
                return False
            self._evict(*found)
            if time.perf_counter() > deadline:
                return True
        return True

    def _pick(self):
        dbs = self.ks.dbs
        volatile = self.policy.startswith("volatile-")
        if self.policy.endswith("-random"):
            for _ in range(len(dbs)):
                db = dbs[self.next_db]
                self.next_db = (self.next_db + 1) % len(dbs)
                meta = db.meta
                live = db.expires if volatile else db.data
                if meta is None or not live:
                    continue
                key = (meta.vkeys if volatile else meta.keys).pick(live)
                if key is not None:
                    return db, key
            return None
        while True:
            sampled = 0
            for db in dbs:
                live = db.expires if volatile else db.data
                if db.meta is None or not live:
                    continue
                sampled += self._populate(db, live, volatile)
            if not sampled and not self.pool:
                return None
            while self.pool:
                _, dbi, key = self.pool.pop()
                db = dbs[dbi]
                if key in (db.expires if volatile else db.data):
                    return db, key
            if not sampled:
                return None

    def _populate(self, db, live: dict, volatile: bool) -> int:
        """evictionPoolPopulate: score ``maxmemory-samples`` random keys of ``db`` (higher =
        better to evict) into the pool, which keeps the best EVPOOL_SIZE."""
        sampler = db.meta.vkeys if volatile else db.meta.keys
        access = db.access
        policy = self.policy
        now = int(time.time())
        pool = self.pool
        n = 0
        for _ in range(min(self.samples, SAMPLE_CAP, len(live))):
            key = sampler.pick(live)
            if key is None:
                break
            n += 1
            if policy.endswith("-ttl"):
                score = -db.expires[key]
            elif policy.endswith("-lfu"):
                t = access.get(key) if access is not None else None
                score = 255 - (LFU_INIT_VAL if t is None else self.lfu_decayed(t))
            else:
                t = access.get(key) if access is not None else None
                score = now - (now if t is None else t)
            entry = (score, db.index, key)
            if any(e[1] == db.index and e[2] == key for e in pool):
                continue
            if len(pool) < EVPOOL_SIZE:
                pool.append(entry)
            elif score > pool[0][0]:
                pool[0] = entry
            else:
                continue
            pool.sort(key=lambda e: e[0])
        return n

    def _evict(self, db, key: str) -> None:
        """dbSyncDelete + signalModifiedKey + the ``evicted`` event + propagateDeletion; no
        dirty count, as in Redis."""
        value = db.data.pop(key)
        if db.expires:
            db.expires.pop(key, None)
        db.forget(key, value)
        self.evicted += 1
        db._track(key)      # signalModifiedKey: WATCH, client-side caching
        from . import events
        db.notify(events.EVICTED, "evicted", key)
        if self.on_evict is not None:
            self.on_evict(db.index, key)
