"""Client-side caching: CLIENT TRACKING (Redis's tracking.c).

The contract the rest of the daemon relies on (server.py wires it):

- ``key_modified(key)``: called by the keyspace for every changed key while
  ``ks.tracking`` is this object (set it only while some client tracks: it costs a call per write);
- ``flushed()``: FLUSHDB/FLUSHALL (invalidate everything);
- ``remember(ctx, cmd, args)``: the engine's ``track_reads`` hook, after a readonly command of
  a tracking client;
- ``forget(ctx)``: a client disconnected (or RESET): its tracking is off;
- ``request_done(ctx, cmd)``: the engine's hook after each request of a tracking client;
- ``call_soon(fn)`` is set by the server: BCAST invalidations are batched per loop turn with it.

commands/tracking.py parses CLIENT TRACKING/CACHING and calls ``enable``/``disable``/
``give_caching``; INFO reads ``total_keys``/``total_items``/``total_prefixes``.

As in Redis, the table is keyed by key name only (all databases): key -> the ids of the
clients that may hold it. A key's entry goes at its first change, after its invalidations
went out. Unlike Redis, a client's entries go when its tracking goes (OFF, RESET,
disconnect): the table never holds keys of clients that are not tracking.
"""
from __future__ import annotations

from collections import OrderedDict
from itertools import islice

from ..engine.command import key_names

PUSH_HEAD = b">2\r\n$10\r\ninvalidate\r\n"                              # + the keys (or null)
MESSAGE_HEAD = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"  # RESP2 redirect target
NULL2, NULL3 = b"$-1\r\n", b"_\r\n"     # "every key" after FLUSHDB/FLUSHALL
PURGE_CHUNK = 10000    # keys of a client that stopped tracking, forgotten per loop turn
EVICT_CHUNK = 1000     # keys evicted per loop turn when over tracking-table-max-keys


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def key_array(keys) -> bytes:
    """The RESP array of key names an invalidation message carries."""
    parts = [b"*%d\r\n" % len(keys)]
    for k in keys:
        e = _b(k)
        parts.append(b"$%d\r\n%s\r\n" % (len(e), e))
    return b"".join(parts)


class TrackingState:
    """One client's CLIENT TRACKING mode (``ctx.tracking`` while it is on)."""

    __slots__ = ("redirect", "bcast", "optin", "optout", "noloop", "broken_redirect", "prefixes", "caching")

    def __init__(self):
        self.redirect = 0             # client id our invalidations go to; 0: ourselves (as Redis shows it)
        self.bcast = self.optin = self.optout = self.noloop = False
        self.caching = False          # CLIENT CACHING YES/NO given: for the next command only
        self.broken_redirect = False  # the redirect target went away
        self.prefixes: set = set()    # BCAST prefixes (bytes)


class _Prefix:
    """A BCAST prefix: its clients, and the keys under it changed during this loop turn."""

    __slots__ = ("clients", "keys")

    def __init__(self):
        self.clients: dict = {}   # ctx -> None, in registration order
        self.keys: dict = {}      # key -> the client that changed it last (None: expiry), for NOLOOP


class Tracking:
    def __init__(self, ks, config, clients, pubsub, engine):
        self.ks = ks
        self.config = config
        self.clients = clients
        self.pubsub = pubsub
        self.engine = engine
        self.call_soon = None    # fn(callback): run once the current loop turn's work is done
        self.trackers: dict = {}            # id -> ctx of every tracking client
        self.table = OrderedDict()          # key -> client id (int) or set of ids; oldest first
        self.client_keys: dict = {}         # id -> set of the keys it may hold (cleanup on OFF)
        self.items = 0                      # (key, client) pairs in the table
        self.prefixes: dict = {}            # BCAST prefix (bytes) -> _Prefix
        self.prefix_lengths: list = []      # distinct prefix lengths, ascending
        self.length_counts: dict = {}       # prefix length -> how many prefixes have it
        self.changed_prefixes: set = set()  # prefixes with keys to broadcast this turn
        self.broadcast_scheduled = False
        self.purges: list = []              # (client id, iterator over its keys) left to forget
        self.purge_scheduled = False
        self.evict_scheduled = False
        config.listeners.append(self._config_changed)

    # ------------------------------------------------------------------ INFO
    def total_keys(self) -> int:
        return len(self.table)

    def total_items(self) -> int:
        return self.items

    def total_prefixes(self) -> int:
        return len(self.prefixes)

    # ------------------------------------------------------------------ CLIENT TRACKING
    def enable(self, ctx, redirect: int, bcast: bool, optin: bool, optout: bool, noloop: bool,
               prefixes: list) -> None:
        """CLIENT TRACKING ON (options already validated), as enableTracking: the mode is
        replaced, BCAST prefixes are added to the ones the client has."""
        st = ctx.tracking
        if st is None:
            st = ctx.tracking = TrackingState()
            self.trackers[ctx.id] = ctx
            self.ks.tracking = self
            ctx.update_special()
        st.redirect = redirect
        st.broken_redirect = False
        st.bcast, st.optin, st.optout, st.noloop = bcast, optin, optout, noloop
        if bcast:
            for p in prefixes or (b"",):
                self._add_prefix(ctx, st, p)

    def disable(self, ctx) -> None:
        """CLIENT TRACKING OFF, RESET, disconnect."""
        st = ctx.tracking
        if st is None:
            return
        for p in st.prefixes:
            bs = self.prefixes[p]
            bs.clients.pop(ctx, None)
            if not bs.clients:
                del self.prefixes[p]
                self.changed_prefixes.discard(p)
                self._count_length(len(p), -1)
        ctx.tracking = None
        del self.trackers[ctx.id]
        if not self.trackers:
            self.ks.tracking = None
        self._purge(ctx.id)
        ctx.update_special()

    def forget(self, ctx) -> None:
        self.disable(ctx)

    def give_caching(self, ctx) -> None:
        """CLIENT CACHING YES (OPTIN) / NO (OPTOUT): for the next command only."""
        ctx.tracking.caching = True

    def caching_given(self, ctx) -> bool:
        return ctx.tracking is not None and ctx.tracking.caching

    def request_done(self, ctx, cmd) -> None:
        """resetClient: the CACHING flag covers one command, or one whole transaction; CLIENT
        subcommands (even refused ones) keep it."""
        st = ctx.tracking
        if st is not None and st.caching and ctx.multi is None and not (
                cmd is not None and (cmd.name == "client" or (cmd.parent is not None and cmd.parent.name == "client"))):
            st.caching = False

    def _add_prefix(self, ctx, st, prefix: bytes) -> None:
        bs = self.prefixes.get(prefix)
        if bs is None:
            bs = self.prefixes[prefix] = _Prefix()
            self._count_length(len(prefix), 1)
        bs.clients[ctx] = None
        st.prefixes.add(prefix)

    def _count_length(self, n: int, delta: int) -> None:
        """Keep the distinct prefix lengths: a changed key is looked up once per length."""
        left = self.length_counts.get(n, 0) + delta
        if left:
            self.length_counts[n] = left
        else:
            del self.length_counts[n]
        if left == 0 or (delta > 0 and left == 1):
            self.prefix_lengths = sorted(self.length_counts)

    # ------------------------------------------------------------------ reads
    def remember(self, ctx, cmd, args: list) -> None:
        """trackingRememberKeys: the keys a readonly command of ``ctx`` named."""
        st = ctx.tracking
        if st is None or st.bcast or cmd.pubsub:
            return
        if st.optin or st.optout:
            given = self.caching_given(ctx)
            if (st.optin and not given) or (st.optout and given):
                return
        if cmd.first_key and "movablekeys" not in cmd.flags:
            # the legacy first/last/step says it all (key_names evaluates the key specs)
            last = cmd.last_key if cmd.last_key >= 0 else len(args) + cmd.last_key
            keys = args[cmd.first_key:last + 1:cmd.key_step or 1]
        else:
            keys = key_names(cmd, args)
        if not keys:
            return
        cid = ctx.id
        table = self.table
        mine = self.client_keys.get(cid)
        if mine is None:
            mine = self.client_keys[cid] = set()
        for key in keys:
            mine.add(key)     # also when already in the table: a purge under way must keep it
            ids = table.get(key)
            if ids is None:
                table[key] = cid
            elif ids.__class__ is int:
                if ids == cid:
                    continue
                table[key] = {ids, cid}
            elif cid in ids:
                continue
            else:
                ids.add(cid)
            self.items += 1
        limit = self.config.values["tracking-table-max-keys"]
        if limit and len(table) > limit:
            self._evict(ctx)     # the engine's current client is already unset here

    # ------------------------------------------------------------------ writes
    def key_modified(self, key: str, expired: bool = False) -> None:
        if self.prefixes:
            self._note_for_broadcast(key, None if expired else self.engine.current)
        ids = self.table.pop(key, None)
        if ids is not None:
            self._invalidate(key, ids)

    def _invalidate(self, key: str, ids, current=None, evicted: bool = False) -> None:
        """trackingInvalidateKey for a key just taken out of the table. ``current``: the
        client whose command is running (its own messages wait for its reply). NOLOOP is
        about a client's own writes: an evicted key is reported to it all the same (Redis
        would drop it silently when the eviction runs before that client's command)."""
        if ids.__class__ is int:
            ids = (ids,)
        self.items -= len(ids)
        if current is None:
            current = self.engine.current
        payload = None
        for cid in ids:
            keys = self.client_keys.get(cid)
            if keys is not None:
                keys.discard(key)
            target = self.trackers.get(cid)
            if target is None or target.tracking.bcast:
                continue
            if target is current and target.tracking.noloop and not evicted:
                continue
            if payload is None:
                payload = key_array((key,))
            self._send(target, payload, after_reply=target is current)

    def flushed(self) -> None:
        """FLUSHDB/FLUSHALL: a null invalidation ("every key") to every tracking client, and
        the table is emptied (trackingInvalidateKeysOnFlush)."""
        current = self.engine.current
        for c in list(self.trackers.values()):
            self._send(c, NULL3 if c.resp == 3 else NULL2, after_reply=c is current)
        self.table = OrderedDict()
        self.client_keys = {}
        self.items = 0
        self.purges = []

    # ------------------------------------------------------------------ BCAST
    def _note_for_broadcast(self, key: str, modifier) -> None:
        """trackingRememberKeyToBroadcast: the prefixes this key falls under get it for the
        end of this loop turn, with the client that changed it (for NOLOOP; none for an
        expired key, as in Redis)."""
        kb = _b(key)
        n = len(kb)
        found = False
        for length in self.prefix_lengths:
            if length > n:
                break
            p = kb[:length]
            bs = self.prefixes.get(p)
            if bs is not None:
                bs.keys[key] = modifier
                self.changed_prefixes.add(p)
                found = True
        if found and not self.broadcast_scheduled:
            self.broadcast_scheduled = True
            self.call_soon(self.broadcast)

    def broadcast(self) -> None:
        """trackingBroadcastInvalidationMessages (Redis's beforeSleep): for each prefix with
        changed keys, in prefix order, one message with the keys in byte order."""
        self.broadcast_scheduled = False
        changed, self.changed_prefixes = self.changed_prefixes, set()
        for p in sorted(changed):
            bs = self.prefixes.get(p)
            if bs is None or not bs.keys:
                continue
            keys, bs.keys = bs.keys, {}
            ordered = sorted(keys, key=_b)
            common = key_array(ordered)
            for c in list(bs.clients):
                if c.tracking is None:
                    continue
                if c.tracking.noloop:
                    others = [k for k in ordered if keys[k] is not c]
                    if not others:
                        continue
                    self._send(c, common if len(others) == len(ordered) else key_array(others))
                else:
                    self._send(c, common)

    # ------------------------------------------------------------------ messages
    def _message(self, c, payload: bytes):
        """sendTrackingMessage: (client to write to, frame) for an invalidation of ``c``, or
        None when it has nowhere to go (RESP2 without a subscribed redirect target)."""
        st = c.tracking
        if st is None:
            return None
        if not st.redirect:
            return (c, PUSH_HEAD + payload) if c.resp == 3 else None
        target = self.clients.get(st.redirect)
        if target is None:
            st.broken_redirect = True
            if c.resp == 3:
                return c, b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % st.redirect
            return None
        if target.resp == 3:
            return target, PUSH_HEAD + payload
        if target.subscribed():   # Redis: any client in pub/sub mode
            # Redis would send a RESP3 tracker's null "_" here, which RESP2 cannot parse
            return target, MESSAGE_HEAD + (NULL2 if payload is NULL3 else payload)
        return None

    def _send(self, c, payload: bytes, after_reply: bool = False) -> None:
        """An invalidation for ``c``. One for the client whose command is running waits for
        that command's reply (Redis's tracking_pending_keys)."""
        m = self._message(c, payload)
        if m is None:
            return
        if after_reply and m[0] is c:
            c.write_after_reply(m[1])
        else:
            m[0].write(m[1])

    # ------------------------------------------------------------------ bounds
    def _evict(self, current=None) -> None:
        """trackingLimitUsedSlots: over tracking-table-max-keys, forget the oldest keys,
        invalidating them for their clients; a big excess is worked off over loop turns."""
        limit = self.config.values["tracking-table-max-keys"]
        excess = len(self.table) - limit
        if not limit or excess <= 0:
            return
        for key in list(islice(self.table, min(excess, EVICT_CHUNK))):
            self._invalidate(key, self.table.pop(key), current, evicted=True)
        if len(self.table) > limit and not self.evict_scheduled and self.call_soon is not None:
            self.evict_scheduled = True
            self.call_soon(self._evict_more)

    def _evict_more(self) -> None:
        self.evict_scheduled = False
        self._evict()

    def _config_changed(self) -> None:
        limit = self.config.values["tracking-table-max-keys"]
        if limit and len(self.table) > limit:
            self._evict()

    def _purge(self, cid: int) -> None:
        """Take a client that stopped tracking out of the table: at once for a few keys,
        PURGE_CHUNK per loop turn for many (the id is never reused meanwhile)."""
        keys = self.client_keys.pop(cid, None)
        if not keys:
            return
        if len(keys) <= PURGE_CHUNK or self.call_soon is None:
            self._purge_keys(cid, keys)
            return
        self.purges.append((cid, iter(keys)))
        if not self.purge_scheduled:
            self.purge_scheduled = True
            self.call_soon(self._purge_step)

    def _purge_step(self) -> None:
        self.purge_scheduled = False
        if not self.purges:
            return
        cid, it = self.purges[0]
        chunk = list(islice(it, PURGE_CHUNK))
        self._purge_keys(cid, chunk)
        if len(chunk) < PURGE_CHUNK:
            self.purges.pop(0)
        if self.purges:
            self.purge_scheduled = True
            self.call_soon(self._purge_step)

    def _purge_keys(self, cid: int, keys) -> None:
        table = self.table
        again = self.client_keys.get(cid, ())   # keys read since tracking was re-enabled: keep
        for key in keys:
            if key in again:
                continue
            ids = table.get(key)
            if ids is None:
                continue
            if ids.__class__ is int:
                if ids == cid:
                    del table[key]
                    self.items -= 1
            elif cid in ids:
                ids.discard(cid)
                self.items -= 1
                if not ids:
                    del table[key]
