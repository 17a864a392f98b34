"""Propagation: what each write did, as the commands that replay it (Redis's alsoPropagate /
propagatePendingCommands in server.c).

``call()`` records, for a command that changed data (the keyspace's dirty counter moved), the
request or the rewrite its handler asked for (``Context.propagate_as``); handlers add more
with ``Context.also_propagate``, and an expired key adds a ``DEL``. The records of one
execution unit (a command, an EXEC, a script) are handed to the feeds when the unit ends:
one record as is, several wrapped in MULTI ... EXEC, so a replica or the append-only file
applies them atomically. Each record carries its database; feeds emit SELECT as needed.

Feeds (replicas, the append-only file, tests) register with ``add_feed``; with no feed,
nothing is recorded at all.
"""
from __future__ import annotations

MULTI = ["MULTI"]
EXEC = ["EXEC"]


class Propagation:
    __slots__ = ("active", "pending", "__dict__", "__weakref__")      # read by _speedups.c

    def __init__(self):
        self.feeds: list = []        # fn(records): records = [(db index or None, args), ...]
        self.active = False          # any feed: record at all
        self.pending: list = []      # records of the unit in progress
        # hands one unit to every feed: the feed itself when there is one (the hot path of a
        # write that propagates as it came: engine/call.py run_batch)
        self.unit = self._fan_out

    def add_feed(self, feed) -> None:
        self.feeds.append(feed)
        self._wire()

    def remove_feed(self, feed) -> None:
        if feed in self.feeds:
            self.feeds.remove(feed)
        self._wire()
        if not self.active:
            self.pending.clear()

    def _wire(self) -> None:
        self.active = bool(self.feeds)
        self.unit = self.feeds[0] if len(self.feeds) == 1 else self._fan_out

    def _fan_out(self, ops: list) -> None:
        for feed in self.feeds:
            feed(ops)

    def add(self, db: int, args: list) -> None:
        if self.active:
            self.pending.append((db, args))

    def flush(self) -> None:
        """End of an execution unit: hand its records to every feed."""
        ops = self.pending
        if not ops:
            return
        self.pending = []
        if len(ops) > 1:
            ops = [(ops[0][0], MULTI), *ops, (None, EXEC)]
        self.unit(ops)
