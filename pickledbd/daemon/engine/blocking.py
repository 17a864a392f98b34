"""Blocked clients (Redis's blocked.c): what a blocking command returns when it has to
wait (BLPOP, BZPOPMIN, ...), and the service that parks and wakes clients.

The engine parks the client on ``keys``; when one of them is written (see
``Database.modified``) it runs the same command again through ``call()``,
first-blocked-first-served, until the command returns something other than a BlockOn. On
timeout the client gets ``timeout_reply``. Inside MULTI/EXEC or a script nothing blocks
(``Context.no_block``): ``call()`` turns a BlockOn into its ``timeout_reply`` at once.
"""
from __future__ import annotations

import re
from collections import deque
from decimal import ROUND_CEILING, Decimal

from ..errors import RedisError


class BlockOn:
    __slots__ = ("keys", "timeout", "timeout_reply", "args")

    def __init__(self, keys: list[str], timeout: float, timeout_reply, args: list | None = None):
        self.keys = keys
        self.timeout = timeout          # seconds; 0 = forever
        self.timeout_reply = timeout_reply
        # what to re-run instead of the request, when it must be pinned at blocking time
        # (XREAD's "$" resolved to the stream's last ID then)
        self.args = args


_TIMEOUT_DEC = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z", re.ASCII)
_TIMEOUT_HEX = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?\Z")
_TIMEOUT_INF = re.compile(r"[+-]?inf(?:inity)?\Z", re.IGNORECASE)
_LLONG_MAX = (1 << 63) - 1
_FOREVER = 10 * 365 * 86400.0     # longer than this: never times out in practice


def parse_timeout(arg: str) -> float:
    """A blocking command's timeout in seconds (0 = forever), as Redis 7.0's
    getTimeoutFromObjectOrReply reads it: strtold (decimal, hex, inf), milliseconds rounded
    up; a value beyond LLONG_MAX ms (inf included) wraps negative in its cast."""
    not_float = RedisError("ERR timeout is not a float or out of range")
    s = arg
    if _TIMEOUT_DEC.match(s):
        d = Decimal(s)
        if d and not -4950 <= d.adjusted() <= 4931:
            raise not_float             # strtold: ERANGE (overflow / underflow)
        ms = d * 1000
    elif _TIMEOUT_HEX.match(s):
        try:
            ms = Decimal(float.fromhex(s)) * 1000
        except OverflowError:
            raise not_float from None
    elif _TIMEOUT_INF.match(s):
        raise RedisError("ERR timeout is negative")
    else:
        raise not_float
    if ms > _LLONG_MAX:
        raise RedisError("ERR timeout is negative")
    tval = int(ms.to_integral_value(rounding=ROUND_CEILING))
    if tval < 0:
        raise RedisError("ERR timeout is negative")
    seconds = tval / 1000
    return 0.0 if seconds > _FOREVER else seconds


class Blocking:
    """Parks clients on keys, times them out, serves them when their keys are written."""

    def __init__(self, ks, clients, engine, call_later):
        self.ks = ks
        self.clients = clients
        self.engine = engine
        self.call_later = call_later     # fn(seconds, callback, *args) -> handle with cancel()

    def park(self, c, args: list, block: BlockOn) -> None:
        c.block = block
        c.block_args = args if block.args is None else block.args
        blocked = self.ks.blocked
        dbi = c.db.index
        for key in block.keys:
            blocked.setdefault((dbi, key), deque()).append(c)
        if block.timeout > 0:
            c.block_timer = self.call_later(block.timeout, self.unblock, c, block.timeout_reply)

    def unblock(self, c, reply) -> None:
        """Release a blocked client with ``reply`` (timeout, CLIENT UNBLOCK) and run what it
        sent meanwhile."""
        if c.block is None:
            return
        self.forget(c)
        self._reply(c, reply)
        if self.ks.ready_keys:
            self.serve()
        self.clients.io.resume(c)

    @staticmethod
    def _reply(c, reply) -> None:
        c.write(c.encode(reply))
        if c.after_reply:
            c.write(b"".join(c.after_reply))
            c.after_reply.clear()

    def forget(self, c) -> None:
        """Take ``c`` off every queue it waits in (served, timed out, disconnected)."""
        blocked = self.ks.blocked
        dbi = c.db.index
        for key in c.block.keys:
            q = blocked.get((dbi, key))
            if q is not None:
                try:
                    q.remove(c)
                except ValueError:
                    pass
                if not q:
                    del blocked[(dbi, key)]
        if c.block_timer is not None:
            c.block_timer.cancel()
            c.block_timer = None
        c.block = None
        c.block_args = None
        c.ready_key = None

    def serve(self) -> None:
        """Serve clients blocked on keys that were just written, in the order they blocked
        (handleClientsBlockedOnKeys): each is re-run through the engine's ``call()``."""
        ks = self.ks
        engine = self.engine
        while ks.ready_keys:
            ready = list(ks.ready_keys)
            ks.ready_keys.clear()
            for dbi, key in dict.fromkeys(ready):
                queue = ks.blocked.get((dbi, key))
                while queue:
                    c = queue[0]
                    c.ready_key = key      # serve from the key that became ready, as Redis does
                    reply = engine.call_blocked(c)
                    if reply.__class__ is BlockOn:
                        break
                    self.forget(c)
                    self._reply(c, reply)
                    self.clients.io.resume(c)
                    queue = ks.blocked.get((dbi, key))

    def count(self) -> int:
        return self.clients.blocked_count()
