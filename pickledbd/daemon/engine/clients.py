"""The client registry (CLIENT LIST/KILL, MONITOR, INFO clients) and the services bundle.

``Clients.io`` is the network layer's side of every connection, set when the server is
wired: ``schedule_flush(ctx)`` (queued output leaves at the next flush point), ``close(ctx)``
(after the queued output), ``resume(ctx)`` (run what a client sent while it was blocked),
``serve_while_busy(skip)`` / ``busy_over()`` (a script holds the loop: serve the others).
The engine and the handlers reach connections only through it.
"""
from __future__ import annotations

import time


class NoIO:
    """The io of contexts with no connection (tests, internal callers): output is kept."""

    def schedule_flush(self, ctx) -> None:
        pass

    def close(self, ctx) -> None:
        pass

    def resume(self, ctx) -> None:
        pass

    def output_pending(self, ctx) -> int:
        return ctx.out_bytes

    def query_buffered(self, ctx) -> int:
        return 0

    def serve_while_busy(self, skip) -> None:
        pass

    def busy_over(self) -> None:
        pass


class Clients:
    def __init__(self):
        self.by_id: dict = {}
        self.monitors: list = []
        self.io = NoIO()
        self.on_disconnect: list = []   # fn(ctx), one per service that keeps client state
        self._last_id = 0

    def next_id(self) -> int:
        self._last_id += 1
        return self._last_id

    def add(self, ctx) -> None:
        self.by_id[ctx.id] = ctx

    def forget(self, ctx) -> None:
        """A client is gone: every service drops what it kept for it."""
        for fn in self.on_disconnect:
            fn(ctx)
        self.remove_monitor(ctx)
        self.by_id.pop(ctx.id, None)

    def get(self, cid: int):
        return self.by_id.get(cid)

    def __len__(self) -> int:
        return len(self.by_id)

    def all(self) -> list:
        return list(self.by_id.values())

    def blocked_count(self) -> int:
        return sum(1 for c in self.by_id.values() if c.block is not None)

    # ---- MONITOR
    def add_monitor(self, ctx) -> None:
        if not ctx.monitor:
            ctx.monitor = True
            self.monitors.append(ctx)

    def remove_monitor(self, ctx) -> None:
        if ctx.monitor:
            ctx.monitor = False
            if ctx in self.monitors:
                self.monitors.remove(ctx)

    def feed_monitors(self, ctx, args: list, origin: str | None = None) -> None:
        """``+<time> [<db> <addr>] "arg" ...`` to every monitor but the caller (replicationFeedMonitors)."""
        addr = origin or ("unix:" + ctx.addr if ctx.unix else ctx.addr)
        line = "+%.6f [%d %s] %s\r\n" % (time.time(), ctx.db.index, addr,
                                          " ".join('"%s"' % monitor_escape(a) for a in redacted(args)))
        data = line.encode("utf-8", "surrogateescape")
        for m in self.monitors:
            if m is not ctx:
                m.write(data)


def redacted(args: list) -> list:
    """Passwords never reach MONITOR or SLOWLOG (redactClientCommandArgument): AUTH's
    arguments, HELLO's AUTH username and password, found by parsing the options as HELLO
    does (a SETNAME value "auth" is not an AUTH), and MIGRATE's AUTH/AUTH2."""
    name = args[0].lower()
    if name == "auth":
        return args[:1] + ["(redacted)"] * (len(args) - 1)
    if name == "hello":
        out = list(args)
        i = 2
        while i < len(args):
            more = len(args) - 1 - i
            opt = args[i].lower()
            if opt == "auth" and more >= 2:
                out[i + 1] = out[i + 2] = "(redacted)"
                i += 3
            elif opt == "setname" and more >= 1:
                i += 2
            else:
                break
        return out
    if name == "migrate":
        return _redacted_migrate(args)
    return args


def _redacted_migrate(args: list) -> list:
    """MIGRATE's AUTH password and AUTH2 username and password, found as migrateCommand
    parses its options (from the 7th argument; KEYS ends them)."""
    out = list(args)
    i = 6
    while i < len(args):
        more = len(args) - 1 - i
        opt = args[i].lower()
        if opt in ("copy", "replace"):
            i += 1
        elif opt == "auth" and more >= 1:
            out[i + 1] = "(redacted)"
            i += 2
        elif opt == "auth2" and more >= 2:
            out[i + 1] = out[i + 2] = "(redacted)"
            i += 3
        else:
            break
    return out


def monitor_escape(s: str) -> str:
    """sdscatrepr: printable ASCII as is, quotes and backslashes escaped, the rest \\xNN."""
    out = []
    for ch in s.encode("utf-8", "surrogateescape"):
        c = chr(ch)
        if c in '\\"':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c == "\a":
            out.append("\\a")
        elif c == "\b":
            out.append("\\b")
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % ch)
    return "".join(out)


def obuf_limit_reached(used: int, limits: tuple, since: float, now: float) -> tuple[bool, float]:
    """checkClientOutputBufferLimits: (reached, soft-limit start) for ``used`` bytes pending
    and a class's (hard, soft, soft seconds); ``since`` is when the soft limit was first
    passed (0: not passed)."""
    hard, soft, soft_seconds = limits
    if hard and used >= hard:
        return True, since
    if soft and used >= soft:
        if not since:
            return False, now
        return now - since >= soft_seconds, since
    return False, 0.0


class Services:
    """What every Context shares; filled in by the server wiring."""

    __slots__ = ("ks", "config", "clients", "stats", "persistence", "pubsub", "tracking", "replication",
                 "scripting", "engine", "lifecycle")

    def __init__(self, **kw):
        for name in self.__slots__:
            setattr(self, name, kw.get(name))
