"""Server statistics (INFO stats, CONFIG RESETSTAT) and the slow log.

Per-command counters (calls, time, failed and rejected calls) live on the server's own
command table (engine/command.py), so two servers in one process share nothing.
"""
from __future__ import annotations

import os
import resource
import time
from collections import deque

from .clients import redacted

ERRORS_MAX = 128
LATENCY_SAMPLES = 160


def rss_bytes() -> int:
    """Resident memory of this process (INFO used_memory, the maxmemory check)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Stats:
    __slots__ = ("net_input", "net_output", "slow_ns", "__dict__", "__weakref__")   # read by _speedups.c

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
        self.qbuf_disconnects = 0    # ... their query buffer limit
        self.slowlog: deque = deque()
        self.slowlog_next_id = 0
        self.slowlog_ns = 0          # cached from slowlog-log-slower-than
        self.latency_ns = 0          # cached from latency-monitor-threshold (ms; 0 = off)
        self.slow_ns = 0             # the lower of the two: the one check on the hot path
        self.latency: dict = {}      # event -> deque of (unix time, ms), LATENCY HISTORY
        self.latency_max: dict = {}  # event -> all-time max ms (LATENCY LATEST)
        self.config_changed()

    def config_changed(self) -> None:
        us = self.config.values["slowlog-log-slower-than"]
        self.slowlog_ns = us * 1000 if us >= 0 else 1 << 62
        ms = self.config.values["latency-monitor-threshold"]
        self.latency_ns = ms * 1_000_000 if ms > 0 else 1 << 62
        self.slow_ns = min(self.slowlog_ns, self.latency_ns)

    def slow_command(self, ctx, cmd, args: list, ns: int) -> None:
        """A command took at least one of the thresholds: SLOWLOG and/or a latency sample
        (event "fast-command" for commands flagged fast, else "command", as Redis does)."""
        if ns >= self.slowlog_ns:
            self.slowlog_add(ctx, args, ns // 1000)
        if ns >= self.latency_ns:
            self.latency_sample("fast-command" if cmd.fast else "command", ns // 1_000_000)

    def latency_sample(self, event: str, ms: int) -> None:
        """latencyAddSample: one sample per second per event (the highest), 160 kept."""
        now = int(time.time())
        samples = self.latency.setdefault(event, deque(maxlen=LATENCY_SAMPLES))
        if samples and samples[-1][0] == now:
            if ms > samples[-1][1]:
                samples[-1] = (now, ms)
        else:
            samples.append((now, ms))
        if ms > self.latency_max.get(event, -1):
            self.latency_max[event] = ms

    def error_reply(self, err) -> None:
        self.total_error_replies += 1
        prefix = err.message.split(" ", 1)[0]
        n = self.errors.get(prefix)
        if n is not None:
            self.errors[prefix] = n + 1
        elif len(self.errors) < ERRORS_MAX:   # Redis stops adding prefixes past 128
            self.errors[prefix] = 1

    def slowlog_add(self, ctx, args: list, usec: int) -> None:
        args = redacted(args)      # passwords never reach SLOWLOG GET
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
        self.obuf_disconnects = self.qbuf_disconnects = 0
        ks.expired_keys = 0
        ks.hits = ks.misses = 0          # counted by the keyspace's lookups
        ks.mem.evicted = 0
        self.slowlog.clear()
