"""What a blocking command returns when it has to wait (BLPOP, BZPOPMIN, ...).

The server parks the client on ``keys``; when one of them is written (see
``Database.modified``) it runs the same command again, first-blocked-first-served,
until the command returns something other than a BlockOn. On timeout the client gets
``timeout_reply``. Inside MULTI/EXEC or a script nothing blocks: ``timeout_reply`` at once.
"""
from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal

from .resp import RedisError


class BlockOn:
    __slots__ = ("keys", "timeout", "timeout_reply")

    def __init__(self, keys: list[str], timeout: float, timeout_reply):
        self.keys = keys
        self.timeout = timeout          # seconds; 0 = forever
        self.timeout_reply = timeout_reply


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
