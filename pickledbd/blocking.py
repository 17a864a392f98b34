"""What a blocking command returns when it has to wait (BLPOP, BZPOPMIN, ...).

The server parks the client on ``keys``; when one of them is written (see
``Database.modified``) it runs the same command again, first-blocked-first-served,
until the command returns something other than a BlockOn. On timeout the client gets
``timeout_reply``. Inside MULTI/EXEC or a script nothing blocks: ``timeout_reply`` at once.
"""
from __future__ import annotations

from .resp import RedisError


class BlockOn:
    __slots__ = ("keys", "timeout", "timeout_reply")

    def __init__(self, keys: list[str], timeout: float, timeout_reply):
        self.keys = keys
        self.timeout = timeout          # seconds; 0 = forever
        self.timeout_reply = timeout_reply


def parse_timeout(arg: str) -> float:
    """A blocking command's timeout in seconds, with Redis's error texts."""
    try:
        t = float(arg)
    except ValueError:
        raise RedisError("ERR timeout is not a float or out of range") from None
    if t != t or t in (float("inf"), float("-inf")):
        raise RedisError("ERR timeout is not a float or out of range")
    if t < 0:
        raise RedisError("ERR timeout is negative")
    if t * 1000 > (1 << 63) / 1000:
        raise RedisError("ERR timeout is out of range")
    return t
