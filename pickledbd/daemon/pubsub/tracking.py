"""Client-side caching: CLIENT TRACKING (Redis's tracking.c).

The contract the rest of the daemon relies on (server.py wires it):

- ``key_modified(key)``: called by the keyspace for every changed key while
  ``ks.tracking`` is this object (set it only while some client tracks: it costs a call per write);
- ``flushed()``: FLUSHDB/FLUSHALL (invalidate everything);
- ``remember(ctx, cmd, args)``: the engine's ``track_reads`` hook, after a readonly command of
  a tracking client;
- ``forget(ctx)``: a client disconnected (or RESET): its tracking is off;
- ``call_soon(fn)`` is set by the server: BCAST invalidations are batched per loop turn with it.
"""
from __future__ import annotations


class Tracking:
    def __init__(self, ks, config, clients, pubsub, engine):
        self.ks = ks
        self.config = config
        self.clients = clients
        self.pubsub = pubsub
        self.engine = engine
        self.call_soon = None    # fn(callback): run once the current loop turn's work is done

    def key_modified(self, key: str) -> None:
        pass

    def flushed(self) -> None:
        pass

    def remember(self, ctx, cmd, args: list) -> None:
        pass

    def forget(self, ctx) -> None:
        pass
