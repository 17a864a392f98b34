"""Server statistics (INFO stats, CONFIG RESETSTAT) and the slow log.

Per-command counters (calls, time, failed and rejected calls) live on the server's own
command table (engine/command.py), so two servers in one process share nothing.
"""
from __future__ import annotations

import time
from collections import deque

ERRORS_MAX = 128


class Stats:
    def __init__(self, config):
        self.config = config
        self.connections = 0
        self.rejected_conn = 0
        self.total_error_replies = 0
        self.errors: dict = {}       # error prefix ("ERR", "WRONGTYPE") -> count (INFO errorstats)
        self.net_input = 0
        self.net_output = 0
        self.keyspace_hits = 0
        self.keyspace_misses = 0
        self.obuf_disconnects = 0    # clients closed for overcoming their output buffer limit
        self.slowlog: deque = deque()
        self.slowlog_next_id = 0
        self.slowlog_ns = 0          # cached from slowlog-log-slower-than (read per command)
        self.config_changed()

    def config_changed(self) -> None:
        us = self.config.values["slowlog-log-slower-than"]
        self.slowlog_ns = us * 1000 if us >= 0 else 1 << 62

    def error_reply(self, err) -> None:
        self.total_error_replies += 1
        prefix = err.message.split(" ", 1)[0]
        n = self.errors.get(prefix)
        if n is not None:
            self.errors[prefix] = n + 1
        elif len(self.errors) < ERRORS_MAX:   # Redis stops adding prefixes past 128
            self.errors[prefix] = 1

    def slowlog_add(self, ctx, args: list, usec: int) -> None:
        entry = [self.slowlog_next_id, int(time.time()), usec,
                 [a if len(a) <= 128 else a[:128] + "... (%d more bytes)" % (len(a) - 128) for a in args[:31]]
                 + (["... (%d more arguments)" % (len(args) - 31)] if len(args) > 32 else []),
                 ctx.addr, ctx.name]
        self.slowlog_next_id += 1
        self.slowlog.appendleft(entry)
        while len(self.slowlog) > self.config.values["slowlog-max-len"]:
            self.slowlog.pop()

    def reset(self, table, ks) -> None:
        """CONFIG RESETSTAT."""
        table.reset_stats()
        self.connections = self.rejected_conn = self.total_error_replies = 0
        self.errors.clear()
        self.net_input = self.net_output = 0
        self.keyspace_hits = self.keyspace_misses = 0
        self.obuf_disconnects = 0
        ks.expired_keys = 0
        self.slowlog.clear()
