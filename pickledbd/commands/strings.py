"""String commands."""
from __future__ import annotations

from ..keyspace import MISSING, STRING_TYPES, WRONGTYPE
from ..resp import OK, RedisError
from .registry import command
from .util import OVERFLOW, INT_MAX, INT_MIN, parse_int


@command("get")
def get(c, args):
    v = c.db.lookup(args[1])
    if v is MISSING:
        return None
    if type(v) is str:
        return v
    return c.db.lookup_string(args[1])


@command("set")
def set_(c, args):
    if len(args) == 3:
        c.db.set(args[1], args[2])
        return OK
    raise RedisError("ERR syntax error")


@command("incr")
def incr(c, args):
    return _incr_by(c, args[1], 1)


def _incr_by(c, key: str, delta: int) -> int:
    db = c.db
    v = db.lookup(key)
    if v is MISSING:
        n = 0
    elif type(v) is int:
        n = v
    elif type(v) in STRING_TYPES:
        n = parse_int(v if type(v) is str else db.lookup_string(key))
    else:
        raise WRONGTYPE
    n += delta
    if n < INT_MIN or n > INT_MAX:
        raise OVERFLOW
    db.set(key, str(n), keep_ttl=True)
    return n
