"""What a command handler may touch: one ``Context`` per client.

A handler is ``fn(c, args)``: ``c`` is the calling client's Context and ``args`` the request
(``args[0]`` is the command name). Everything a handler may read or change is declared in
``__slots__`` below, so nothing else can be reached (no ``c.server.<anything>``):

- the session: ``db``, ``resp``, ``name``, MULTI/WATCH state, subscriptions, tracking, ...;
- the output: ``reply_push(msg)`` queues an out-of-band message (RESP3 push / RESP2 array)
  behind the replies already queued; everything leaves through one flush per client;
- propagation: ``propagate_as(args)`` rewrites what this command propagates (SET EX ->
  SET PXAT), ``also_propagate(args)`` adds a command, ``no_propagate()`` drops it;
- ``no_block``: true inside MULTI/EXEC and scripts, where nothing blocks;
- services shared by every client: ``ks`` (the keyspace), ``config``, ``clients`` (the
  client registry), ``stats``, ``persistence`` (snapshots), ``pubsub`` (channels, patterns,
  notifications), ``tracker`` (client-side caching), ``replication``, ``scripting`` (Lua),
  ``engine`` (call, the command table, blocking), ``lifecycle`` (uptime, run id, shutdown).

The network layer owns the transport and flushes ``out``; it is not reachable from here.
"""
from __future__ import annotations

import time

from ..protocol.reply import Push, encode2, encode3

OUTPUT_CHECK_BYTES = 1 << 14   # queued bytes between two output-limit checks (Context.write)


class Context:
    __slots__ = (
        # identity
        "id", "name", "lib_name", "lib_ver", "addr", "laddr", "unix", "fd", "created",
        "last_interaction", "last_command", "kind",
        # session
        "db", "resp", "encode", "authenticated", "closing", "special",
        "multi", "multi_error", "no_block", "watching", "watch_dirty",
        "block", "block_args", "block_timer", "ready_key", "pending",
        "subscriptions", "psubscriptions", "ssubscriptions", "tracking",
        "monitor", "no_evict", "no_touch",
        # output: encoded chunks waiting for the one flush point, their size; and what must
        # follow the reply of the running command (its own keys' invalidations)
        "out", "out_bytes", "obuf_soft_since", "qbuf", "after_reply",
        # what the running command propagates instead of its request (see propagate_as)
        "prop",
        # services
        "ks", "config", "clients", "stats", "persistence", "pubsub", "tracker", "replication", "scripting",
        "engine", "lifecycle",
    )

    def __init__(self, services, cid: int, kind: str = "tcp"):
        self.id = cid
        self.name = self.lib_name = self.lib_ver = ""
        self.addr = self.laddr = ""
        self.unix = False
        self.fd = -1
        self.kind = kind                   # "tcp", "unix", "replica", "lua" (scripts), "internal"
        self.created = self.last_interaction = time.time()
        self.last_command = "NULL"
        self.ks = services.ks
        self.config = services.config
        self.clients = services.clients
        self.stats = services.stats
        self.persistence = services.persistence
        self.pubsub = services.pubsub
        self.tracker = services.tracking
        self.replication = services.replication
        self.scripting = services.scripting
        self.engine = services.engine
        self.lifecycle = services.lifecycle
        self.db = self.ks.dbs[0]
        self.resp = 2
        self.encode = encode2
        self.authenticated = not self.config.requirepass
        self.closing = False
        self.multi = None                  # queued (cmd, args) while in MULTI
        self.multi_error = False
        self.no_block = False              # inside EXEC or a script: blocking commands do not block
        self.watching: set = set()
        self.watch_dirty = False
        self.block = None                  # BlockOn while blocked
        self.block_args = None
        self.block_timer = None
        self.ready_key = None
        self.pending = []                  # requests read while blocked or while output is full
        self.subscriptions: dict = {}      # channel -> None (insertion ordered)
        self.psubscriptions: dict = {}
        self.ssubscriptions: dict = {}
        self.tracking = None               # a TrackingState while CLIENT TRACKING is on
        self.monitor = False
        self.no_evict = self.no_touch = False
        self.out: list = []
        self.out_bytes = 0
        self.obuf_soft_since = 0.0         # when the soft output limit was first exceeded
        self.qbuf = 0                      # bytes of an incomplete request held by the reader
        self.after_reply: list = []        # encoded messages that follow the current reply
        self.prop = None
        self.update_special()

    # ---- session
    def update_special(self) -> None:
        """Whether requests must take the engine's full path (auth, MULTI queueing, RESP2
        subscribed mode, key tracking) instead of the hot path."""
        self.special = (not self.authenticated or self.multi is not None or self.tracking is not None
                        or (self.resp == 2 and self.subscribed()))

    def subscribed(self) -> bool:
        return bool(self.subscriptions or self.psubscriptions or self.ssubscriptions)

    def set_protocol(self, resp: int) -> None:
        self.resp = resp
        self.encode = encode3 if resp == 3 else encode2
        self.update_special()

    def client_type(self) -> str:
        """Redis's client class (CLIENT LIST TYPE, output buffer limits)."""
        if self.kind == "replica":
            return "replica"
        if self.subscribed():
            return "pubsub"
        return "normal"

    def flags(self) -> str:
        f = ""
        if self.kind == "replica":
            f += "S"
        if self.monitor:
            f += "O"
        if self.multi is not None:
            f += "x"
        if self.block is not None:
            f += "b"
        if self.subscribed():
            f += "P"
        if self.tracking is not None:
            f += "t"
            if self.tracking.broken_redirect:
                f += "R"
            if self.tracking.bcast:
                f += "B"
        if self.closing:
            f += "c"
        if self.no_evict:
            f += "e"
        if self.no_touch:
            f += "T"
        return f or "N"

    # ---- output
    def write(self, data: bytes) -> None:
        """Queue encoded bytes behind what is already queued. The network layer is told on
        the first bytes queued since its last flush (it schedules one, once per event-loop
        turn) and whenever the queue crosses another 16 KB (it checks the output buffer
        limits: Redis accounts output in 16 KB blocks too). A client's own replies are queued
        by the engine and flushed at the end of its batch, so a non-empty queue always has a
        flush coming."""
        if self.closing:
            return
        before = self.out_bytes
        self.out.append(data)
        after = self.out_bytes = before + len(data)
        if not before or (before ^ after) >= OUTPUT_CHECK_BYTES:
            self.clients.io.schedule_flush(self)

    def close(self) -> None:
        """Close once the replies already queued are written (QUIT, CLIENT KILL, errors)."""
        if not self.closing:
            self.closing = True
            self.clients.io.close(self)

    def write_after_reply(self, data: bytes) -> None:
        """Queue encoded bytes to follow the reply of this client's running command (a
        top-level command, an EXEC as a whole, a blocked command when it is served)."""
        self.after_reply.append(data)

    def reply_push(self, msg: list) -> None:
        """An out-of-band message: a RESP3 push, or a plain array in RESP2."""
        self.write(self.encode(Push(msg)))

    # ---- propagation of the running command (engine/propagation.py)
    def propagate_as(self, args: list) -> None:
        """When this command changed data, propagate ``args`` instead of the request
        (absolute times for relative ones, SPOP -> SREM, INCRBYFLOAT -> SET ... KEEPTTL)."""
        self.prop = args

    def also_propagate(self, args: list) -> None:
        """Propagate ``args`` now, in this database, ahead of the command's own record (as
        Redis's alsoPropagate: SPOP with a count propagates SREMs in batches)."""
        self.engine.propagation.add(self.db.index, args)

    def no_propagate(self) -> None:
        """This command's own record is dropped (what it did went out through also_propagate)."""
        self.prop = ()

    def force_propagate(self) -> None:
        """Propagate the request even though it changed no data (PUBLISH to replicas)."""
        self.prop = True

    def __repr__(self) -> str:
        return "<Context id=%d addr=%s db=%d>" % (self.id, self.addr, self.db.index)


def push_to_all(clients, frame2: bytes, sender=None, own=None) -> int:
    """Queue one out-of-band message on many clients (a pub/sub fan-out): ``frame2`` is its
    RESP2 array, RESP3 clients get the same bytes as a push (">" for "*", made once).
    ``Context.write`` unrolled for the loop (the call per subscriber was most of a
    delivery's cost): the same queueing and the same flush / limit-check points. ``sender``
    gets its copy appended to ``own`` instead (it goes out inside its own reply)."""
    f3 = None
    size = len(frame2)
    n = 0
    for c in tuple(clients):      # a limit check may drop a client: iterate a copy
        n += 1
        f = frame2 if c.resp == 2 else (f3 or (f3 := b">" + frame2[1:]))
        if c is sender:
            own.append(f)
        elif not c.closing:
            before = c.out_bytes
            c.out.append(f)
            after = c.out_bytes = before + size
            if not before or (before ^ after) >= OUTPUT_CHECK_BYTES:
                c.clients.io.schedule_flush(c)
    return n
